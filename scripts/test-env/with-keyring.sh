#!/usr/bin/env bash
# scripts/test-env/with-keyring.sh CMD [ARGS...] — run CMD inside a private D-Bus session bus with its own
# gnome-keyring-daemon (Secret Service), keyring files in a throw-away dir (never ~/.local/share/keyrings).
# Debian packages: dbus gnome-keyring libsecret-tools (secret-tool). Exit status: CMD's.
#
#   default          the "login" collection is created and UNLOCKED (password $KEYRING_PASSWORD, default ci-pass)
#                    and is the default collection: secret-tool store/lookup and @napi-rs/keyring work.
#   KEYRING_LOCKED=1 same, then the collection is LOCKED before CMD runs (see the note at the end for what
#                    clients then see). Inside CMD, `with-keyring.sh --lock` / `--unlock` toggle it again.
set -euo pipefail
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
COLLECTION=/org/freedesktop/secrets/collection/login

secret_call() {  # method objpath -> calls org.freedesktop.Secret.Service.<method>([objpath])
  dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
    "org.freedesktop.Secret.Service.$1" "array:objpath:$2" >/dev/null
}
lock() { secret_call Lock "$COLLECTION"; }
unlock() {  # gnome-keyring's Unlock() would need a prompter (no display here): use the daemon's control socket
  echo -n "${KEYRING_PASSWORD:-ci-pass}" | gnome-keyring-daemon --replace --unlock --components=secrets >/dev/null 2>&1
}

case "${1:-}" in
  --lock) [ -n "${_IN_KEYRING_SESSION:-}" ] || { echo "--lock: not inside with-keyring.sh" >&2; exit 2; }; lock; exit ;;
  --unlock) [ -n "${_IN_KEYRING_SESSION:-}" ] || { echo "--unlock: not inside with-keyring.sh" >&2; exit 2; }; unlock; exit ;;
  "") echo "usage: $0 CMD [ARGS...]" >&2; exit 2 ;;
esac

if [ -z "${_IN_KEYRING_SESSION:-}" ]; then
  tmp=$(mktemp -d /tmp/outbox-keyring.XXXXXX)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/data" "$tmp/cache" "$tmp/run"; chmod 700 "$tmp/run"
  # private keyring files + control socket; dbus-run-session ends the bus (and the daemon) when CMD exits
  set +e
  _IN_KEYRING_SESSION=1 XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/run" \
    dbus-run-session -- "$SELF" "$@" \
    2> >(grep -vE --line-buffered 'Failed to set fd limit|SystemPrompter|gcr-prompter|cannot open display|^$' >&2)
  rc=$?
  exit $rc
fi

# inside the private session bus
echo -n "${KEYRING_PASSWORD:-ci-pass}" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
for _ in $(seq 1 50); do   # wait (max 5 s) until the daemon owns org.freedesktop.secrets
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true' && break
  sleep 0.1
done
if [ "${KEYRING_LOCKED:-0}" = 1 ]; then lock; fi
"$@"

# What a LOCKED keyring looks like (gnome-keyring 42 with no display: its unlock prompt cannot show, so every
# access that needs the secret fails at once instead of hanging; measured with @napi-rs/keyring 2.1, store
# pinned to { linux: { store: 'secret-service' } }):
#   @napi-rs/keyring  setPassword(), and getPassword() of an entry that EXISTS, THROW "Couldn't access platform
#                     storage: Secret Service: unlock prompt was dismissed"; getPassword() of an entry that does
#                     not exist still returns null (no unlock needed to find nothing): so a write must be
#                     checked, and a null read does not prove that nothing is stored;
#                     without any session bus, `new Entry(...)` itself throws "Platform failure: DBus error: …".
#   secret-tool       lookup -> exit 1 "Cannot get secret of a locked object"; store -> exit 1 "Cannot create an
#                     item in a locked collection"; search still lists the items' attributes, without secrets.
# Lock/unlock by hand: Lock is the Secret Service D-Bus method
#   dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
#     org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login
# (what `with-keyring.sh --lock` runs); the service's Unlock() needs a GUI prompter, so `--unlock` feeds the
# password to a replacing daemon (`gnome-keyring-daemon --replace --unlock`), which reopens the same keyring file.
