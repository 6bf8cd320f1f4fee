#!/usr/bin/env bash
# scripts/test-env/servers.sh start|stop|restart|status [name...]
#
# Starts/stops the real servers the integration tests and benchmarks talk to, all on 127.0.0.1:
#   rgw      Ceph RADOS Gateway (S3)                       :7480
#   swift    OpenStack Swift + Keystone v3 (+ S3 s3api)    :8080 (Swift + S3), :5000 (Keystone)
#   sftp     OpenSSH sshd (internal-sftp)                  :2222
#   azurite  Azurite Blob                                  :10000
#   gcs      firebase-tools Cloud Storage emulator         :9199
# Endpoints and credentials: test/support/servers.ts (the fixed values live in servers.d/<name>.sh too).
#
# No names = all of them. `start` is idempotent: a healthy server is left alone; a dead or unhealthy one is
# (re)started; the missing ones start in parallel. Servers run detached (own session), so they outlive this shell.
# State and logs: /tmp/outbox-test-env/<name>/ (start.log = output of the last start).
# Packages: bash scripts/test-env/install.sh ; azurite and firebase-tools: npm ci (devDependencies).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
ALL=(rgw swift sftp azurite gcs)

usage() { echo "usage: $0 start|stop|restart|status [${ALL[*]}]" >&2; exit 2; }
CMD=${1:-}; [ $# -gt 0 ] && shift
case "$CMD" in start|stop|restart|status) ;; *) usage ;; esac
NAMES=("$@"); [ ${#NAMES[@]} = 0 ] && NAMES=("${ALL[@]}")
for n in "${NAMES[@]}"; do [ -f "$HERE/servers.d/$n.sh" ] || { echo "unknown server: $n" >&2; usage; }; done

mkdir -p "$STATE_ROOT"
# one servers.sh at a time (two test runs starting servers at once would fight over ports and pid files);
# flock -o: the lock is held by flock itself, so the daemons we spawn do not inherit it
if [ -z "${_OUTBOX_TEST_ENV_LOCKED:-}" ] && [ "$CMD" != status ]; then
  _OUTBOX_TEST_ENV_LOCKED=1 exec flock -o -w 600 "$STATE_ROOT/.lock" bash "$0" "$CMD" "$@"
fi
# the daemons must not inherit the caller's descriptors either: a caller's `flock FILE servers.sh start`
# would otherwise stay locked for as long as the servers run
for fd in /proc/$$/fd/*; do
  fd=${fd##*/}
  case $fd in 0|1|2|255) ;; *) eval "exec $fd>&-" 2>/dev/null || true ;; esac
done

# healthy NAME : the server answers like itself (second chance after 1 s: a busy server is not a dead one,
# and restarting it would pull it from under tests that are using it)
healthy() { bash "$HERE/servers.d/$1.sh" health || { sleep 1; bash "$HERE/servers.d/$1.sh" health; }; }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
secs() { local ms=$1; printf '%d.%01d' $((ms/1000)) $(( (ms%1000)/100 )); }

show_failure() {  # name
  local n=$1 f
  echo "---- $n FAILED; tail of $STATE_ROOT/$n/start.log:" >&2
  tail -n 25 "$STATE_ROOT/$n/start.log" >&2 2>/dev/null || true
  for f in $(bash "$HERE/servers.d/$n.sh" log 2>/dev/null); do
    [ -s "$f" ] || continue
    echo "---- $n: tail of $f:" >&2
    tail -n 15 "$f" >&2
  done
  echo "---- (packages: bash scripts/test-env/install.sh; node servers: npm ci)" >&2
}

do_status() {
  local n bad=0 probe; probe=$(mktemp -d)
  for n in "${NAMES[@]}"; do { healthy "$n" && touch "$probe/$n"; } & done
  wait
  for n in "${NAMES[@]}"; do
    if [ -e "$probe/$n" ]; then printf '%-8s up\n' "$n"; else printf '%-8s DOWN\n' "$n"; bad=1; fi
  done
  rm -rf "$probe"
  return $bad
}

do_stop() {
  local n pids=()
  for n in "${NAMES[@]}"; do bash "$HERE/servers.d/$n.sh" stop & pids+=($!); done
  local rc=0 p; for p in "${pids[@]}"; do wait "$p" || rc=1; done
  echo "stopped: ${NAMES[*]}"
  return $rc
}

do_start() {
  local t0 n todo=() ; t0=$(now_ms)
  declare -A PID2NAME=() START=()
  local probe; probe=$(mktemp -d)
  for n in "${NAMES[@]}"; do { healthy "$n" && touch "$probe/$n"; } & done   # all health checks at once
  wait
  for n in "${NAMES[@]}"; do
    if [ -e "$probe/$n" ]; then printf '%-8s already running\n' "$n"; else todo+=("$n"); fi
  done
  rm -rf "$probe"
  [ ${#todo[@]} = 0 ] && { echo "all up ($(secs $(( $(now_ms) - t0 ))) s)"; return 0; }
  for n in "${todo[@]}"; do
    mkdir -p "$STATE_ROOT/$n"
    START[$n]=$(now_ms)
    bash "$HERE/servers.d/$n.sh" start >"$STATE_ROOT/$n/start.log" 2>&1 </dev/null &
    PID2NAME[$!]=$n
  done
  local failed=() done_pid rc
  while [ ${#PID2NAME[@]} -gt 0 ]; do
    rc=0; wait -n -p done_pid "${!PID2NAME[@]}" || rc=$?
    n=${PID2NAME[$done_pid]}; unset "PID2NAME[$done_pid]"
    if [ $rc = 0 ] && healthy "$n"; then
      printf '%-8s started in %s s\n' "$n" "$(secs $(( $(now_ms) - START[$n] )))"
    else
      printf '%-8s FAILED (exit %s) after %s s\n' "$n" "$rc" "$(secs $(( $(now_ms) - START[$n] )))" >&2
      failed+=("$n")
    fi
  done
  if [ ${#failed[@]} -gt 0 ]; then
    for n in "${failed[@]}"; do show_failure "$n"; bash "$HERE/servers.d/$n.sh" stop >/dev/null 2>&1 || true; done
    echo "servers.sh: failed to start: ${failed[*]} (total $(secs $(( $(now_ms) - t0 ))) s)" >&2
    return 1
  fi
  echo "all up ($(secs $(( $(now_ms) - t0 ))) s)"
}

case "$CMD" in
  start) do_start ;;
  stop) do_stop ;;
  restart) do_stop; do_start ;;
  status) do_status ;;
esac
