#!/usr/bin/env bash
# servers.d/azurite.sh start|stop|health — Azurite (npm devDependency azurite@3.35; 3.37+ wants Node 22), Blob
# service only, in memory, on 127.0.0.1:10000. Runs node_modules/azurite directly (no npx).
#
#   account devstoreaccount1, key Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==
#   endpoint http://127.0.0.1:10000/devstoreaccount1 (path-style account)
#   --skipApiVersionCheck: required with current SDKs; --loose: ignore headers/params azurite does not implement.
#   In-memory azurite keeps deleted blobs' memory until it restarts (restart it between big benchmarks).
set -euo pipefail
SERVER_NAME=azurite
. "$(dirname "$0")/../lib.sh"
BASE=$STATE_ROOT/azurite
PORT=10000
MAIN=$REPO_ROOT/node_modules/azurite/dist/src/blob/main.js

health() {  # any HTTP answer from Azurite's blob service (the Server header names it)
  curl -s -o /dev/null -D - --max-time "${HTTP_TIMEOUT:-10}" "http://127.0.0.1:$PORT/devstoreaccount1?comp=list" 2>/dev/null | grep -qi '^server: Azurite-Blob'
}

stop() { kill_pidfiles "$BASE/azurite.pid"; }

start() {
  stop
  [ -f "$MAIN" ] || die "$MAIN not found: run npm ci (azurite is a devDependency)"
  mkdir -p "$BASE"; rm -f "$BASE/azurite.log"
  cd "$BASE"   # cwd: where azurite would put anything it writes (--location is refused with --inMemoryPersistence)
  spawn "$BASE/azurite.pid" "$BASE/azurite.log" node "$MAIN" --blobHost 127.0.0.1 --blobPort $PORT \
    --inMemoryPersistence --silent --disableTelemetry --skipApiVersionCheck --loose
  wait_until 30 "$BASE/azurite.pid" health || die "azurite does not answer on 127.0.0.1:$PORT"
  log "READY http://127.0.0.1:$PORT/devstoreaccount1 (pid $(cat "$BASE/azurite.pid"))"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  health) health ;;
  log) echo "$BASE/azurite.log" ;;
  *) echo "usage: $0 start|stop|health|log" >&2; exit 2 ;;
esac
