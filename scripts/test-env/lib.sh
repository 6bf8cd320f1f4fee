# shellcheck shell=bash
# scripts/test-env/lib.sh — helpers shared by scripts/test-env/servers.d/*.sh (sourced, not run).
STATE_ROOT=${OUTBOX_TEST_ENV:-/tmp/outbox-test-env}
TEST_ENV_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$TEST_ENV_DIR/../.." && pwd)

_T0=$(date +%s%N)
log() { local ms=$(( ($(date +%s%N) - _T0) / 1000000 )); printf '[%s +%d.%03ds] %s\n' "${SERVER_NAME:-test-env}" $((ms/1000)) $((ms%1000)) "$*"; }
die() { echo "[${SERVER_NAME:-test-env}] ERROR: $*" >&2; exit 1; }

# alive PID : PID is a running process (a zombie counts as dead: PID 1 here reaps orphans only every ~2 s)
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# pid_alive FILE : the pid in FILE is a live process
pid_alive() { [ -s "$1" ] && alive "$(cat "$1" 2>/dev/null)"; }


# ours FILE PID : PID is still the process FILE was written for. A process we started began before its pid
# file was written; one that began later got the number after ours died (e.g. pid files left over from
# before a reboot or a killed session): never signal that one.
ours() {
  local age started written
  age=$(ps -o etimes= -p "$2" 2>/dev/null | tr -d ' ') || return 1
  [ -n "$age" ] || return 1
  started=$(( $(date +%s) - age )); written=$(stat -c %Y "$1" 2>/dev/null || echo 0)
  [ "$started" -le $(( written + 2 )) ]
}

# [KILL_SIGNAL=sig] kill_pidfiles FILE... : TERM (or KILL_SIGNAL) every pid found in the FILEs at once,
# wait up to 5 s, KILL survivors; remove the FILEs
kill_pidfiles() {
  local f pid pids=()
  for f in "$@"; do
    [ -f "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    if alive "$pid" && ours "$f" "$pid"; then kill -"${KILL_SIGNAL:-TERM}" "$pid" 2>/dev/null || true; pids+=("$pid"); fi
  done
  for _ in $(seq 1 50); do
    local left=()
    for pid in "${pids[@]}"; do alive "$pid" && left+=("$pid"); done
    pids=("${left[@]}")
    [ ${#pids[@]} = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    echo "pid $pid ($(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-60)) did not exit, sending KILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -f "$@"
}

# spawn PIDFILE LOGFILE CMD... : start CMD detached (own session, no tty, stdio to LOGFILE), record its pid
spawn() {
  local pidfile=$1 logfile=$2; shift 2
  setsid nohup "$@" >>"$logfile" 2>&1 </dev/null &
  echo $! > "$pidfile"
}

# http_code URL [curl args...] : prints the HTTP status (000 when nothing answers)
# (generous timeout: on a loaded 2-core box Keystone-backed requests can take several seconds)
http_code() { local url=$1; shift; curl -s -o /dev/null -w '%{http_code}' --max-time "${HTTP_TIMEOUT:-10}" "$@" "$url" 2>/dev/null || true; }

# s3_ok ENDPOINT ACCESS SECRET [REGION] : a SigV4-signed ListBuckets answers 200 (server up AND user known)
s3_ok() {
  local code
  code=$(http_code "$1/" --aws-sigv4 "aws:amz:${4:-us-east-1}:s3" --user "$2:$3" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
  [ "$code" = 200 ]
}

# tcp_banner HOST PORT PREFIX : something listens on HOST:PORT and greets with PREFIX (e.g. SSH-2.0-)
tcp_banner() {
  local line
  # builtins only (read -t): no child process may keep the command substitution's pipe open
  line=$(timeout 10 bash -c 'exec 3<>/dev/tcp/$0/$1 && IFS= read -r -t 8 l <&3; printf %s "$l"' "$1" "$2" 2>/dev/null || true)
  [[ $line == "$3"* ]]
}

# wait_until SECONDS PIDFILE_OR_EMPTY CMD... : retry CMD every 0.2 s until SECONDS (wall clock) have passed;
# fail early if PIDFILE's process died
wait_until() {
  local t=$1 pidfile=$2 deadline; shift 2
  deadline=$(( $(date +%s) + t ))
  while :; do
    "$@" && return 0
    if [ -n "$pidfile" ] && ! pid_alive "$pidfile"; then echo "the process of $pidfile died" >&2; return 1; fi
    [ "$(date +%s)" -ge "$deadline" ] && { echo "timeout after ${t}s waiting for: $*" >&2; return 1; }
    sleep 0.2
  done
}
