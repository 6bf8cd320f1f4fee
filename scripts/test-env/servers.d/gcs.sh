#!/usr/bin/env bash
# servers.d/gcs.sh start|stop|health — firebase-tools' Cloud Storage emulator on 127.0.0.1:9199, project demo-outbox,
# started in-process by scripts/test-env/gcs-emulator.cjs (npm devDependency firebase-tools@14). In memory.
#
#   STORAGE_EMULATOR_HOST=http://127.0.0.1:9199 ; no auth (any or no Authorization header)
#   Buckets: POST /storage/v1/b (create) answers 501, but ANY request whose path contains /b/<name>/ creates
#   bucket <name> on the fly (GET /storage/v1/b/<name>/o, an upload to /upload/storage/v1/b/<name>/o, …).
#   GET /storage/v1/b/<name> (bucket metadata, bucket.exists()) answers 501 even then.
set -euo pipefail
SERVER_NAME=gcs
. "$(dirname "$0")/../lib.sh"
BASE=$STATE_ROOT/gcs
PORT=9199

health() {  # the gcloud API answers a bucket listing (GET /b; NB GET /storage/v1/b is read as an object download)
  curl -s --max-time "${HTTP_TIMEOUT:-10}" "http://127.0.0.1:$PORT/b" 2>/dev/null | grep -q '"storage#buckets"'
}

stop() { kill_pidfiles "$BASE/gcs.pid"; }

start() {
  stop
  mkdir -p "$BASE"; rm -f "$BASE/gcs.log"
  cd "$BASE"   # the emulator may write exports/temp files into its cwd
  PORT=$PORT PROJECT_ID=demo-outbox spawn "$BASE/gcs.pid" "$BASE/gcs.log" node "$TEST_ENV_DIR/gcs-emulator.cjs"
  wait_until 60 "$BASE/gcs.pid" health || die "GCS emulator does not answer on 127.0.0.1:$PORT"
  log "READY http://127.0.0.1:$PORT (project demo-outbox, pid $(cat "$BASE/gcs.pid"))"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  health) health ;;
  log) echo "$BASE/gcs.log" ;;
  *) echo "usage: $0 start|stop|health|log" >&2; exit 2 ;;
esac
