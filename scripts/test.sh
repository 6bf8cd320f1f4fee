#!/usr/bin/env bash
# npm test: everything the tests need, then every suite.
#   1. Debian packages (real servers, keychain, Chromium), only what is missing;
#   2. the build (the CLI tests run bin/outbox.js exactly as users do);
#   3. the real servers on 127.0.0.1 (idempotent: running ones are reused);
#   4. unit + integration tests (vitest) inside a private D-Bus session with an
#      unlocked gnome-keyring, then the end-to-end UI tests in Chromium.
# Extra arguments go to vitest, e.g. `npm test -- test/unit`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/test-env/install.sh
npx electron-vite build >/dev/null
bash scripts/test-env/servers.sh start
bash scripts/test-env/with-keyring.sh npx vitest run "$@"
if [ $# -eq 0 ] && [ -f playwright.config.ts ]; then
  bash scripts/test-env/with-keyring.sh npx playwright test -c playwright.config.ts
fi
