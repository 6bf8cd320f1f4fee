#!/usr/bin/env bash
# npm run bench [-- --quick | --runs N | --only s3-rgw,sftp | --keep-data | --no-write]
# The benchmark board (bench/run.ts): Outbox's exporters side by side with rclone, aws, sftp,
# swift and nginx on the real test servers; prints one table and writes it into BENCHMARKS.md.
#   1. Debian packages (servers and peers), only what is missing;
#   2. the build (Outbox is measured as users run it: node bin/outbox.js);
#   3. the real servers on 127.0.0.1 (idempotent);
#   4. the board. Full mode takes ~55 min on 2 cores and ~7 GiB of temp disk; --quick ~2 min.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/test-env/install.sh
npx electron-vite build >/dev/null
bash scripts/test-env/servers.sh start
exec node_modules/.bin/tsx bench/run.ts "$@"
