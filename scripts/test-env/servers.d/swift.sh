#!/usr/bin/env bash
# servers.d/swift.sh start|stop|health — throw-away OpenStack Swift + Keystone v3 (+ s3api/s3token, + tempauth v1)
# on 127.0.0.1. Debian 12 packages: swift swift-proxy swift-object swift-container swift-account
# python3-swiftclient keystone python3-keystonemiddleware uwsgi-core uwsgi-plugin-python3 memcached xfsprogs.
# Needs root (mounts a tmpfs — or an XFS image — for Swift's devices: Swift keeps metadata in user.* xattrs and
# ext4 overflows with a few KB of them). The first start initialises state under $BASE (rings, sqlite DB, fernet
# keys, users, EC2 credential, ~+10 s); later starts reuse it. Object data lives in the tmpfs: gone after stop.
#
#   Keystone v3 : http://127.0.0.1:5000/v3 (v2.0 does not exist)  admin/admin (project admin);
#                 tester/testing (project test, role member), domain Default, catalog region RegionOne
#   Swift       : http://127.0.0.1:8080/v1/AUTH_<test project id>  (catalog: type object-store)
#   tempauth v1 : GET http://127.0.0.1:8080/auth/v1.0  X-Auth-User: test:tester  X-Auth-Key: testing
#   S3 (SigV4)  : http://127.0.0.1:8080, region us-east-1, path-style, keys tester-access / tester-secret
#                 (Keystone EC2 credential of tester -> same account as the Keystone user)
#   Encryption  : keymaster+encryption in the pipeline (SWIFT_ENCRYPTION=0 turns it off) => S3
#                 "x-amz-server-side-encryption: AES256" is accepted.
set -euo pipefail
SERVER_NAME=swift
. "$(dirname "$0")/../lib.sh"
BASE=$STATE_ROOT/swift
STORAGE=${SWIFT_STORAGE:-auto}   # auto | tmpfs | xfs | dir
KS_PORT=5000; PROXY_PORT=8080; MC_PORT=11211
OBJ_PORT=6200; CONT_PORT=6201; ACC_PORT=6202
S3_REGION=us-east-1              # SigV4 region clients must sign with (s3api 'location')
KS_REGION=RegionOne              # Keystone catalog region
ADMIN_PASS='admin'; SWIFT_SVC_PASS='swiftpass'
TEST_PROJECT='test'; TEST_USER='tester'; TEST_PASS='testing'
EC2_ACCESS=tester-access; EC2_SECRET=tester-secret
ENCRYPTION=${SWIFT_ENCRYPTION:-1}
KS_PROCESSES=${KS_PROCESSES:-2}  # keystone uwsgi worker processes (single-threaded each, see below; the sqlite DB
                                 # is in WAL mode so they do not lock each other out). One alone is a bottleneck
                                 # when tests run in parallel: every Swift token validation goes through it.
PY=/usr/bin/python3              # Debian's python, not a pyenv/venv one
ME=$(id -un)
ETC=$BASE/etc; LOG=$BASE/log; RUN=$BASE/run; NODE=$BASE/srv/node
KCONF=$ETC/keystone/keystone.conf
PROCS=(proxy-server object-server container-server account-server keystone-uwsgi keystone-wsgiref memcached)

health() {
  [ "$(http_code "http://127.0.0.1:$KS_PORT/v3")" = 200 ] && s3_ok "http://127.0.0.1:$PROXY_PORT" "$EC2_ACCESS" "$EC2_SECRET" "$S3_REGION"
}

stop() {
  local name files=()
  for name in "${PROCS[@]}"; do files+=("$RUN/$name.pid"); done
  kill_pidfiles "${files[@]}"
  if mountpoint -q "$NODE" 2>/dev/null; then umount "$NODE" || umount -l "$NODE"; fi   # loop device auto-detaches
  return 0
}

xattr_room() {  # prints how many bytes of Swift-style xattrs fit on one inode in dir $1 (stops at 10 KB)
  $PY - "$1" <<'PYX'
import os, sys
p = os.path.join(sys.argv[1], '.xattr-probe'); open(p, 'w').close(); n = 0
try:
    for i in range(40):
        os.setxattr(p, 'user.swift.metadata%d' % i, b'x' * 254); n += 254
except OSError:
    pass
finally:
    os.unlink(p)
print(n)
PYX
}
mount_tmpfs() { mount -t tmpfs -o size="${SWIFT_TMPFS_SIZE:-2g}" tmpfs "$NODE" 2>/dev/null || return 1
                [ "$(xattr_room "$NODE")" -ge 10000 ] || { umount "$NODE"; return 1; }; }   # tmpfs user xattrs: kernel >= 6.6
mount_xfs()   { command -v mkfs.xfs >/dev/null || return 1
                [ -f "$BASE/xfs.img" ] || { truncate -s "${SWIFT_XFS_SIZE:-2G}" "$BASE/xfs.img" && mkfs.xfs -q "$BASE/xfs.img"; } || return 1
                mount -o loop "$BASE/xfs.img" "$NODE" 2>/dev/null; }

write_configs() {
  cat > "$KCONF" <<CONF
[DEFAULT]
log_dir = $LOG
log_file = keystone.log
debug = false
[database]
connection = sqlite:///$BASE/keystone.db
[token]
provider = fernet
expiration = 86400
[fernet_tokens]
key_repository = $ETC/keystone/fernet-keys
[fernet_receipts]
key_repository = $ETC/keystone/fernet-keys
[credential]
key_repository = $ETC/keystone/credential-keys
[cache]
# shared (memcached) cache: token validation, role assignments and the catalog are otherwise recomputed on
# every request -- validating one token took ~4 s on a busy 2-core box, i.e. every new Swift token cost that
enabled = true
backend = dogpile.cache.memcached
memcache_servers = 127.0.0.1:$MC_PORT
[identity]
# bcrypt cost 4 instead of 12: password auth ~0.3 s faster per token on a slow CI box (test-only setting)
password_hash_rounds = 4
CONF

  local s port
  for s in account:$ACC_PORT container:$CONT_PORT object:$OBJ_PORT; do
    port=${s#*:}; s=${s%%:*}
    cat > "$ETC/swift/$s-server.conf" <<CONF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $port
workers = 0
user = $ME
swift_dir = $ETC/swift
devices = $NODE
mount_check = false
log_level = INFO
[pipeline:main]
pipeline = healthcheck $s-server
[app:$s-server]
use = egg:swift#$s
[filter:healthcheck]
use = egg:swift#healthcheck
[$s-updater]
interval = 5
CONF
  done

  local enc=""; [ "$ENCRYPTION" = 1 ] && enc="keymaster encryption "
  cat > "$ETC/swift/proxy-server.conf" <<CONF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $PROXY_PORT
workers = 0
user = $ME
swift_dir = $ETC/swift
log_level = INFO

[pipeline:main]
# authtoken must come BEFORE s3api/s3token: it strips X-Identity-* headers, so after s3token it would discard
# the identity s3token derived from the S3 signature (-> 401 -> S3 "SignatureDoesNotMatch" for every request).
# tempauth goes after keystoneauth, with its own reseller prefix (TEMP_), so both auth systems coexist.
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl ratelimit authtoken s3api s3token keystoneauth tempauth copy container-quotas account-quotas slo dlo versioned_writes symlink ${enc}proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:s3api]
use = egg:swift#s3api
location = $S3_REGION
# s3_acl false: canned bucket ACLs map to Swift container ACLs
s3_acl = false
dns_compliant_bucket_names = true

[filter:s3token]
use = egg:swift#s3token
auth_uri = http://127.0.0.1:$KS_PORT/v3
reseller_prefix = AUTH_
# let requests with keys Keystone does not know (tempauth S3 keys) fall through to tempauth
delay_auth_decision = true
http_timeout = 10.0
# service credentials: this keystone build rejects unauthenticated POST /v3/s3tokens (401); also enables secret cache
auth_url = http://127.0.0.1:$KS_PORT
auth_type = password
project_domain_id = default
user_domain_id = default
project_name = service
username = swift
password = $SWIFT_SVC_PASS
secret_cache_duration = 300

[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
www_authenticate_uri = http://127.0.0.1:$KS_PORT
auth_url = http://127.0.0.1:$KS_PORT
auth_type = password
project_domain_id = default
user_domain_id = default
project_name = service
username = swift
password = $SWIFT_SVC_PASS
delay_auth_decision = true
memcached_servers = 127.0.0.1:$MC_PORT
service_token_roles_required = true

[filter:keystoneauth]
use = egg:swift#keystoneauth
reseller_prefix = AUTH_
operator_roles = admin, member
reseller_admin_role = ResellerAdmin

[filter:tempauth]
use = egg:swift#tempauth
reseller_prefix = TEMP
token_life = 86400
user_admin_admin = admin .admin .reseller_admin
user_test_tester = testing .admin
user_test2_tester2 = testing2 .admin

[filter:keymaster]
use = egg:swift#keymaster
encryption_root_secret = dGVzdC1vbmx5LXJvb3Qtc2VjcmV0LTMyLWJ5dGVzLWxvbmchIQ==

[filter:encryption]
use = egg:swift#encryption

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$MC_PORT

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:tempurl]
use = egg:swift#tempurl
[filter:ratelimit]
use = egg:swift#ratelimit
[filter:copy]
use = egg:swift#copy
[filter:container-quotas]
use = egg:swift#container_quotas
[filter:account-quotas]
use = egg:swift#account_quotas
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_versioned_writes = true
[filter:symlink]
use = egg:swift#symlink
CONF
}

build_rings() {  # 1 replica, 1 device (== swift-ring-builder create 10 1 1; add; rebalance) in one python process
  $PY - "$ETC/swift" $ACC_PORT $CONT_PORT $OBJ_PORT <<'PYR'
import sys, os
from swift.common.ring import RingBuilder
d = sys.argv[1]
for name, port in zip(('account', 'container', 'object'), map(int, sys.argv[2:5])):
    b = RingBuilder(10, 1, 1)
    b.add_dev({'region': 1, 'zone': 1, 'ip': '127.0.0.1', 'port': port, 'device': 'd1', 'weight': 100})
    b.rebalance()
    b.save(os.path.join(d, name + '.builder'))
    b.get_ring().save(os.path.join(d, name + '.ring.gz'))
PYR
}

keystone_db_init() {  # db_sync + fernet/credential keys + bootstrap (all-or-nothing; marker written after users)
  rm -rf "$BASE/keystone.db"* "$ETC/keystone/fernet-keys" "$ETC/keystone/credential-keys"
  km() { keystone-manage --config-file "$KCONF" "$@" >>"$LOG/keystone-manage.log" 2>&1; }
  km db_sync
  # WAL journal: readers never block the writer (multi-worker keystone otherwise hits "database is locked")
  $PY -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode=WAL")' "$BASE/keystone.db"
  # == keystone-manage fernet_setup + credential_setup (2 keys each), without 2 more ~4 s CLI start-ups
  $PY - "$ETC/keystone/fernet-keys" "$ETC/keystone/credential-keys" <<'PYK'
import base64, os, sys
for d in sys.argv[1:]:
    os.makedirs(d, mode=0o700, exist_ok=True)
    for i in ('0', '1'):
        p = os.path.join(d, i)
        if not os.path.exists(p):
            fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, base64.urlsafe_b64encode(os.urandom(32))); os.close(fd)
PYK
  km bootstrap --bootstrap-password "$ADMIN_PASS" \
    --bootstrap-admin-url "http://127.0.0.1:$KS_PORT/v3/" --bootstrap-internal-url "http://127.0.0.1:$KS_PORT/v3/" \
    --bootstrap-public-url "http://127.0.0.1:$KS_PORT/v3/" --bootstrap-region-id "$KS_REGION"
}

keystone_users_init() {  # users/projects/roles/catalog/EC2 credential, through the running Keystone API
  KS_URL=http://127.0.0.1:$KS_PORT/v3 ADMIN_PASS=$ADMIN_PASS SWIFT_SVC_PASS=$SWIFT_SVC_PASS \
  TEST_PROJECT=$TEST_PROJECT TEST_USER=$TEST_USER TEST_PASS=$TEST_PASS REGION=$KS_REGION \
  EC2_ACCESS=$EC2_ACCESS EC2_SECRET=$EC2_SECRET SWIFT_URL=http://127.0.0.1:$PROXY_PORT \
  $PY - <<'PYU'
import json, os, urllib.request
E = os.environ; KS = E['KS_URL']
def call(method, path, body=None, token=None):
    h = {'Content-Type': 'application/json'}
    if token: h['X-Auth-Token'] = token
    req = urllib.request.Request(KS + path, method=method, headers=h,
                                 data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(req) as r:
        return r.headers, json.loads(r.read() or b'null')
h, _ = call('POST', '/auth/tokens', {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
    'name': 'admin', 'domain': {'id': 'default'}, 'password': E['ADMIN_PASS']}}},
    'scope': {'project': {'name': 'admin', 'domain': {'id': 'default'}}}}})
tok = h['X-Subject-Token']
def find(coll, name):
    b = call('GET', '/%s?name=%s' % (coll, name), token=tok)[1][coll]; return b[0]['id'] if b else None
def create(coll, obj):
    return call('POST', '/' + coll, {coll[:-1]: obj}, tok)[1][coll[:-1]]['id']
roles = {r['name']: r['id'] for r in call('GET', '/roles', token=tok)[1]['roles']}
if 'ResellerAdmin' not in roles:
    roles['ResellerAdmin'] = create('roles', {'name': 'ResellerAdmin'})
svc_p = find('projects', 'service') or create('projects', {'name': 'service', 'domain_id': 'default'})
test_p = find('projects', E['TEST_PROJECT']) or create('projects', {'name': E['TEST_PROJECT'], 'domain_id': 'default'})
swift_u = find('users', 'swift') or create('users', {'name': 'swift', 'password': E['SWIFT_SVC_PASS'], 'domain_id': 'default', 'default_project_id': svc_p})
test_u = find('users', E['TEST_USER']) or create('users', {'name': E['TEST_USER'], 'password': E['TEST_PASS'], 'domain_id': 'default', 'default_project_id': test_p})
call('PUT', '/projects/%s/users/%s/roles/%s' % (svc_p, swift_u, roles['admin']), token=tok)
call('PUT', '/projects/%s/users/%s/roles/%s' % (test_p, test_u, roles['member']), token=tok)
svc = find('services', 'swift') or create('services', {'name': 'swift', 'type': 'object-store', 'description': 'Swift'})
for iface in ('public', 'internal', 'admin'):
    url = E['SWIFT_URL'] + ('/v1' if iface == 'admin' else '/v1/AUTH_%(project_id)s')
    create('endpoints', {'service_id': svc, 'interface': iface, 'region_id': E['REGION'], 'url': url})
create('credentials', {'type': 'ec2', 'user_id': test_u, 'project_id': test_p,
                       'blob': json.dumps({'access': E['EC2_ACCESS'], 'secret': E['EC2_SECRET']})})
PYU
}

healthcheck_ok() { [ "$(http_code "http://127.0.0.1:$1/healthcheck")" = 200 ]; }
keystone_ok() { [ "$(http_code "http://127.0.0.1:$KS_PORT/v3")" = 200 ]; }

end_to_end() {  # keystone token for tester -> HEAD of the catalog's Swift account URL answers 2xx
  local hdr=$RUN/tok.hdr body=$RUN/tok.json token url code
  curl -s --max-time 10 -D "$hdr" -o "$body" -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$KS_PORT/v3/auth/tokens" \
    -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"$TEST_USER\",\"domain\":{\"id\":\"default\"},\"password\":\"$TEST_PASS\"}}},\"scope\":{\"project\":{\"name\":\"$TEST_PROJECT\",\"domain\":{\"id\":\"default\"}}}}}" || return 1
  token=$(tr -d '\r' < "$hdr" | sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: //p')
  url=$($PY -c '
import json,sys; c=json.load(open(sys.argv[1]))["token"]["catalog"]
print([e["url"] for s in c if s["type"]=="object-store" for e in s["endpoints"] if e["interface"]=="public"][0])' "$body") || return 1
  rm -f "$hdr" "$body"
  code=$(http_code "$url" -I -H "X-Auth-Token: $token")
  LAST_E2E="HEAD $url -> $code"
  [[ $code =~ ^2 ]] || return 1   # the first HEAD right after the users were created may get 401
  echo "$url" > "$BASE/storage_url"
}

start() {
  trap 'echo "swift: start failed at line $LINENO; stopping what was started (logs: $LOG)" >&2; stop' ERR
  stop
  mkdir -p "$ETC/keystone" "$ETC/swift" "$LOG" "$RUN" "$NODE"
  : > "$LOG/keystone.log"   # keep logs of this run only (they are appended to otherwise)
  for name in "${PROCS[@]}"; do : > "$LOG/$name.log"; done

  # storage for Swift's devices (pickled metadata in 254-byte user.* xattr chunks; tmpfs/XFS: ~unlimited)
  if ! mountpoint -q "$NODE"; then
    case $STORAGE in
      tmpfs) mount_tmpfs || die "tmpfs mount or user xattrs on tmpfs not available" ;;
      xfs)   mount_xfs   || die "XFS loop mount failed (need root, loop devices, xfsprogs)" ;;
      auto)  if [ "$(id -u)" = 0 ] && { mount_tmpfs || mount_xfs; }; then :; else
               echo "WARNING: using plain dir $NODE (only $(xattr_room "$NODE") bytes of xattrs per object)" >&2; fi ;;
      dir)   ;;
    esac
  fi
  local room; room=$(xattr_room "$NODE")
  [ "$room" -ge 254 ] || die "devices dir $NODE has no usable user xattrs"
  mkdir -p "$NODE/d1"
  log "storage: $(findmnt -n -o FSTYPE --target "$NODE") at $NODE, xattr room >= $room bytes"

  write_configs
  [ -f "$ETC/swift/object.ring.gz" ] || { build_rings; log "rings built"; }

  # memcached: authtoken token cache, tempauth tokens, s3token secret cache, swift info cache (tempauth needs it)
  local mc_user=(); [ "$(id -u)" = 0 ] && mc_user=(-u root)
  spawn "$RUN/memcached.pid" "$LOG/memcached.log" memcached "${mc_user[@]}" -l 127.0.0.1 -p $MC_PORT -U 0 -m 64

  # swift storage servers: independent of keystone, start them first so they load while keystone initialises
  local s
  for s in account container object; do
    spawn "$RUN/$s-server.pid" "$LOG/$s-server.log" swift-$s-server "$ETC/swift/$s-server.conf" -v
  done

  local fresh=0
  if [ ! -f "$BASE/.keystone-bootstrapped" ]; then fresh=1; keystone_db_init; log "keystone db initialised"; fi

  # keystone under uwsgi (fallback: wsgiref). NB: sqlite + uwsgi *threads* breaks keystone ("SQLite objects
  # created in a thread can only be used in that same thread", then "database is locked"): processes only.
  # No --lazy-apps: the master loads keystone once (the DB is opened lazily, at the first request) and forks
  # the workers: half the CPU and ~10 s less start-up on a busy 2-core box than loading it in each worker.
  # (At shutdown the forked workers print "terminate called … Accessing state after destruction": harmless.)
  local ks_name
  if [ -x /usr/bin/uwsgi ] && [ -e /usr/lib/uwsgi/plugins/python3_plugin.so ]; then
    ks_name=keystone-uwsgi
    spawn "$RUN/$ks_name.pid" "$LOG/$ks_name.log" uwsgi --plugin python3 --http-socket 127.0.0.1:$KS_PORT \
      --wsgi-file /usr/bin/keystone-wsgi-public --master --processes "$KS_PROCESSES" --threads 1 \
      --die-on-term --no-orphans --buffer-size 65535 --disable-logging \
      --env OS_KEYSTONE_CONFIG_FILES="$KCONF"
  else
    ks_name=keystone-wsgiref
    OS_KEYSTONE_CONFIG_FILES="$KCONF" spawn "$RUN/$ks_name.pid" "$LOG/$ks_name.log" \
      /usr/bin/keystone-wsgi-public --host 127.0.0.1 --port $KS_PORT
  fi
  wait_until 120 "$RUN/$ks_name.pid" keystone_ok
  log "keystone up"
  if [ $fresh = 1 ]; then
    keystone_users_init
    touch "$BASE/.keystone-bootstrapped"
    log "keystone users/projects/endpoints/EC2 credential created"
  fi

  spawn "$RUN/proxy-server.pid" "$LOG/proxy-server.log" swift-proxy-server "$ETC/swift/proxy-server.conf" -v
  local sp
  for sp in account-server:$ACC_PORT container-server:$CONT_PORT object-server:$OBJ_PORT proxy-server:$PROXY_PORT; do
    wait_until 90 "$RUN/${sp%%:*}.pid" healthcheck_ok "${sp#*:}"
  done
  log "swift up"
  # two real end-to-end checks, at once (each waits on Keystone): native Swift (Keystone token -> HEAD of the
  # catalog's account URL) and S3 (signed ListBuckets: s3api -> s3token -> Keystone EC2 credential)
  (
    LAST_E2E="no Keystone token for $TEST_USER"
    wait_until 60 "" end_to_end || die "Swift end-to-end check failed: $LAST_E2E"
  ) & local e2e=$!
  wait_until 60 "" health || die "signed S3 ListBuckets with $EC2_ACCESS is not 200"
  wait $e2e
  trap - ERR
  log "READY keystone=http://127.0.0.1:$KS_PORT/v3 swift=$(cat "$BASE/storage_url") s3=http://127.0.0.1:$PROXY_PORT ($S3_REGION)"
}

case "${1:-}" in
  start) start ;;
  stop) stop; [ "${CLEAN:-0}" = 1 ] && rm -rf "$BASE"; exit 0 ;;
  health) health ;;
  log) echo "$LOG/proxy-server.log $LOG/keystone.log $LOG/keystone-uwsgi.log $LOG/object-server.log" ;;
  *) echo "usage: $0 start|stop|health|log" >&2; exit 2 ;;
esac
