#!/usr/bin/env bash
# servers.d/sftp.sh start|stop|health — private OpenSSH sshd (internal-sftp) on 127.0.0.1:2222. Needs root and
# Debian's openssh-server + openssh-client. The system's own sshd is not touched.
#
#   user sftptest, password sftp-pass-123, home $BASE/home (kept across restarts)
#   client keys ($BASE/keys, all in authorized_keys):
#     id_ed25519      OpenSSH-format ed25519, no passphrase
#     id_rsa_pem      PEM ("BEGIN RSA PRIVATE KEY") RSA 3072, no passphrase
#     id_ed25519_enc  OpenSSH-format ed25519 encrypted with passphrase key-pass-123
#   host key: $BASE/keys/ssh_host_ed25519_key.pub ; known_hosts line: $BASE/keys/known_hosts
#   $BASE/home/readonly/ : owned by root, mode 755 -> the user can list/read but not write (permission tests)
set -euo pipefail
SERVER_NAME=sftp
. "$(dirname "$0")/../lib.sh"
BASE=$STATE_ROOT/sftp
U=sftptest; P=sftp-pass-123; KEY_PASS=key-pass-123; PORT=2222
HOMED=$BASE/home
KEYS=$BASE/keys

health() { tcp_banner 127.0.0.1 $PORT SSH-2.0-OpenSSH; }

stop() { kill_pidfiles "$BASE/sshd/sshd.pid"; }

start() {
  stop
  [ "$(id -u)" = 0 ] || die "needs root (creates the user $U)"
  mkdir -p "$BASE/sshd" "$KEYS" /run/sshd; chmod 755 /run/sshd "$BASE"   # /run/sshd: compiled-in privsep dir (Debian)
  rm -f "$BASE/sshd/sshd.log"
  [ -f "$KEYS/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C outbox-test-host -f "$KEYS/ssh_host_ed25519_key"
  [ -f "$KEYS/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C ci-ed25519 -f "$KEYS/id_ed25519"
  [ -f "$KEYS/id_rsa_pem" ] || ssh-keygen -q -t rsa -b 3072 -m PEM -N '' -C ci-rsa-pem -f "$KEYS/id_rsa_pem"
  [ -f "$KEYS/id_ed25519_enc" ] || ssh-keygen -q -t ed25519 -N "$KEY_PASS" -C ci-ed25519-enc -f "$KEYS/id_ed25519_enc"
  chmod 600 "$KEYS"/id_* "$KEYS/ssh_host_ed25519_key"; chmod 644 "$KEYS"/*.pub
  echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$KEYS/ssh_host_ed25519_key.pub")" > "$KEYS/known_hosts"

  if id "$U" >/dev/null 2>&1; then
    [ "$(getent passwd "$U" | cut -d: -f6)" = "$HOMED" ] || usermod -d "$HOMED" "$U"
  else
    useradd -M -d "$HOMED" -s /bin/bash "$U"
  fi
  echo "$U:$P" | chpasswd      # also unlocks the account (a locked '!' account is refused even by pubkey with UsePAM no)
  mkdir -p "$HOMED/.ssh" "$HOMED/readonly"
  cat "$KEYS/id_ed25519.pub" "$KEYS/id_rsa_pem.pub" "$KEYS/id_ed25519_enc.pub" > "$HOMED/.ssh/authorized_keys"
  chown "$U:$U" "$HOMED" "$HOMED/.ssh" "$HOMED/.ssh/authorized_keys"
  chmod 700 "$HOMED" "$HOMED/.ssh"; chmod 600 "$HOMED/.ssh/authorized_keys"
  echo "this directory is owned by root: $U cannot write here" > "$HOMED/readonly/README.txt"
  chown -R root:root "$HOMED/readonly"; chmod 755 "$HOMED/readonly"; chmod 644 "$HOMED/readonly/README.txt"

  cat > "$BASE/sshd/sshd_config" <<CFG
ListenAddress 127.0.0.1
Port $PORT
HostKey $KEYS/ssh_host_ed25519_key
PidFile $BASE/sshd/sshd.daemon.pid
UsePAM no
PermitRootLogin no
AllowUsers $U
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
UseDNS no
MaxStartups 100:30:200
MaxSessions 64
Subsystem sftp internal-sftp
CFG
  /usr/sbin/sshd -t -f "$BASE/sshd/sshd_config"
  # -D: no fork, so the recorded pid is sshd's; absolute path: sshd re-execs itself
  spawn "$BASE/sshd/sshd.pid" "$BASE/sshd/sshd.log" /usr/sbin/sshd -f "$BASE/sshd/sshd_config" -D -e
  wait_until 20 "$BASE/sshd/sshd.pid" health || die "sshd does not greet on 127.0.0.1:$PORT"
  log "READY sftp://$U@127.0.0.1:$PORT (pid $(cat "$BASE/sshd/sshd.pid"))"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  health) health ;;
  log) echo "$BASE/sshd/sshd.log" ;;
  *) echo "usage: $0 start|stop|health|log" >&2; exit 2 ;;
esac
