#!/usr/bin/env bash
# scripts/test-env/install.sh — install every Debian package the integration tests and benchmarks need.
#
# Idempotent and fast: one dpkg-query call; `apt-get update` + `apt-get install` run only when
# something is missing. Needs root (CI runs as root) and Debian 12 (bookworm) apt mirrors.
#
#   bash scripts/test-env/install.sh          # install what is missing
#   bash scripts/test-env/install.sh --check  # exit 1 (and list them) if packages are missing
#
# NB: /root/.pyenv/shims/aws may shadow Debian's awscli on developer machines: tests and
# benchmarks call /usr/bin/aws explicitly (and with `env -u AWS_CA_BUNDLE`).
set -euo pipefail

PKGS=(
  # Ceph RADOS Gateway (S3), single node, memstore OSD
  radosgw ceph-mon ceph-osd ceph-common bc uuid-runtime
  # OpenStack Swift + Keystone v3 (+ s3api); xfsprogs: XFS image fallback for Swift's xattrs
  swift swift-proxy swift-object swift-container swift-account python3-swiftclient
  keystone python3-keystonemiddleware uwsgi-core uwsgi-plugin-python3 memcached xfsprogs
  # SFTP
  openssh-server openssh-client
  # OS keychain (Secret Service)
  dbus gnome-keyring libsecret-tools
  # browser for UI tests, misc tools; aria2: several ranges of one link at once (link tests)
  chromium unzip curl aria2
  # benchmark peers; apache2-utils: ab, the link server's request-rate lines
  awscli rclone nginx wrk hyperfine iproute2 apache2-utils
)

missing() {
  # dpkg-query prints one line per known package; unknown ones go to stderr (ignored)
  local installed
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PKGS[@]}" 2>/dev/null | awk '$2 ~ /^ii/ {print $1}')
  local p
  for p in "${PKGS[@]}"; do
    grep -qx -- "$p" <<<"$installed" || echo "$p"
  done
}

MISSING=$(missing)
if [ -z "$MISSING" ]; then
  echo "test-env: all ${#PKGS[@]} packages present"
  exit 0
fi
if [ "${1:-}" = --check ]; then
  echo "test-env: missing packages:" $MISSING >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "test-env: missing packages:" $MISSING "— run this script as root (apt-get)" >&2
  exit 1
fi

echo "test-env: installing:" $MISSING
export DEBIAN_FRONTEND=noninteractive
# never let package scripts start the system's own daemons (memcached on :11211, nginx on :80, sshd on :22…):
# our servers.sh starts private instances on fixed ports. Docker-style images already ship this file.
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$POLICY"; chmod 755 "$POLICY"
  trap 'rm -f "$POLICY"' EXIT
fi
T0=$(date +%s)
apt-get update -qq
# --no-install-recommends: recommends pull in nothing the tests use (barbican/castellan, pam modules, xauth…)
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $MISSING
LEFT=$(missing)
if [ -n "$LEFT" ]; then echo "test-env: still missing after install:" $LEFT >&2; exit 1; fi
echo "test-env: installed in $(( $(date +%s) - T0 )) s"
