#!/usr/bin/env bash
# servers.d/rgw.sh start|stop|health — throw-away single-node Ceph (1 mon, 1 memstore OSD, no mgr, auth none)
# with a RADOS Gateway (S3) on 127.0.0.1:7480. Debian 12 packages: radosgw ceph-mon ceph-osd ceph-common
# bc uuid-runtime (scripts/test-env/install.sh). Every start builds a fresh cluster (memstore: data lives in
# RAM); ready in ~15 s.
#
#   S3: http://127.0.0.1:7480, path-style, region us-east-1,
#       access TESTACCESSKEY000001  secret testsecretkey0000000000000000000000000001
#   SSE-KMS (aws:kms) testing keys: testkey-1, testkey-2. SSE-C works. Plain AES256 is accepted but only
#   encrypts when RGW_DEFAULT_SSE_KEY (base64 32 bytes) is set at start.
set -euo pipefail
SERVER_NAME=rgw
. "$(dirname "$0")/../lib.sh"
BASE=$STATE_ROOT/rgw
PORT=${RGW_PORT:-7480}
ACCESS_KEY=TESTACCESSKEY000001
SECRET_KEY=testsecretkey0000000000000000000000000001
OBJSTORE=${RGW_OBJECTSTORE:-memstore}     # memstore | bluestore
CONF=$BASE/ceph.conf
CEPH=(ceph -c "$CONF" --connect-timeout 5)

# a full OSD still lists buckets but hangs every write: not healthy (start builds a fresh cluster)
health() {
  s3_ok "http://127.0.0.1:$PORT" "$ACCESS_KEY" "$SECRET_KEY" us-east-1 &&
    ! "${CEPH[@]}" health 2>/dev/null | grep -q 'full osd'
}

stop() {
  # radosgw takes ~5 s to exit on TERM (and hangs once its cluster is gone); its data is thrown away anyway
  KILL_SIGNAL=KILL kill_pidfiles "$BASE/run/client.rgw.gw.pid"
  kill_pidfiles "$BASE/run/osd.0.pid"   # one after the other: the osd lingers 5 s when the mon goes first
  kill_pidfiles "$BASE/run/mon.a.pid"
  # memstore data is gone with the OSD anyway: keep only the logs of the last run for post-mortems
  rm -rf "$BASE/mon" "$BASE/osd" "$BASE/rgw" "$BASE/run"
}

start() {
  stop
  rm -rf "$BASE"/{mon,osd,log,run,rgw,monmap,keyring}   # not $BASE itself: servers.sh writes start.log there
  mkdir -p "$BASE"/{mon,osd,log,run,rgw}
  local fsid; fsid=$(uuidgen)
  cat > "$CONF" <<CONF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:3300,v1:127.0.0.1:6789]
mon initial members = a
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
run dir = $BASE/run
pid file = $BASE/run/\$name.pid
admin socket = $BASE/run/\$name.asok
log file = $BASE/log/\$name.log
keyring = $BASE/keyring
log to stderr = false
err to stderr = true
[mon]
mon data = $BASE/mon
mon data avail warn = 1
mon data avail crit = 0
[osd]
osd data = $BASE/osd
osd objectstore = $OBJSTORE
# RAM only as objects are stored; 8 GiB: a full board's 20,000-object rounds filled 4 GiB faster than RGW's GC freed it
memstore device bytes = 8589934592
bluestore block path = $BASE/osd/block.img
bluestore block create = true
bluestore block size = 4294967296
bluestore fsck on mount = false
osd memory target = 1073741824
osd op num shards = 1
osd op num threads per shard = 2
[client]
rgw data = $BASE/rgw
# radosgw's built-in defaults are ms_mon_client_mode=secure + auth_client_required=cephx;
# 'secure' mode is impossible with auth=none, so allow crc
ms mon client mode = crc secure
[client.rgw.gw]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw thread pool size = 64
rgw dns name = localhost
rgw crypt require ssl = false
# deleted objects give their memory back within a minute (the default waits 2 hours, and a day of
# test runs fills the memstore OSD, after which every write hangs)
rgw gc obj min wait = 30
rgw gc processor period = 30
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = testkey-1=YmluCmJvb3N0CmJvb3N0LWJ1aWxkCmNlcGguY29uZgo= testkey-2=aWIKTWFrZWZpbGUKbWFuCm91dApzcmMKVGVzdGluZwo=
CONF
  # optional: encrypt every object with a static key (rgw "RGW-AUTO" mode, testing only)
  if [ -n "${RGW_DEFAULT_SSE_KEY:-}" ]; then echo "rgw crypt default encryption key = $RGW_DEFAULT_SSE_KEY" >> "$CONF"; fi
  log "conf written ($OBJSTORE)"

  # --- monitor (ceph daemons fork themselves; setsid: new session, detached from the caller)
  ceph-authtool --create-keyring "$BASE/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  monmaptool --create --fsid "$fsid" --addv a '[v2:127.0.0.1:3300,v1:127.0.0.1:6789]' "$BASE/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$BASE/monmap" --keyring "$BASE/keyring"
  setsid -w ceph-mon -c "$CONF" -i a </dev/null >>"$BASE/log/mon.a.stdout.log" 2>&1
  wait_until 30 "" "${CEPH[@]}" mon stat >/dev/null 2>&1 || die "mon did not come up (log: $BASE/log/mon.a.log)"
  log "mon up"

  # --- osd
  local osd_uuid osd_id
  osd_uuid=$(uuidgen)
  osd_id=$("${CEPH[@]}" osd new "$osd_uuid")
  ceph-osd -c "$CONF" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" 2>>"$BASE/log/osd-mkfs.log"
  setsid -w ceph-osd -c "$CONF" -i "$osd_id" </dev/null >>"$BASE/log/osd.$osd_id.stdout.log" 2>&1
  osd_up() { "${CEPH[@]}" osd stat 2>/dev/null | grep -q ' 1 up'; }
  wait_until 60 "" osd_up || die "osd did not come up (log: $BASE/log/osd.$osd_id.log)"
  log "osd.$osd_id up"

  # --- rgw (its parent returns once it has daemonized; timeout guards a hang before that)
  setsid -w timeout 90 radosgw -c "$CONF" -n client.rgw.gw </dev/null >>"$BASE/log/radosgw.stdout.log" 2>&1 \
    || die "radosgw failed to start (log: $BASE/log/client.rgw.gw.log)"
  rgw_http() { [ "$(http_code "http://127.0.0.1:$PORT/")" != 000 ]; }
  wait_until 120 "$BASE/run/client.rgw.gw.pid" rgw_http || die "rgw did not answer on :$PORT (log: $BASE/log/client.rgw.gw.log)"
  log "rgw listening on 127.0.0.1:$PORT"
  radosgw-admin -c "$CONF" user create --uid=tester --display-name="Tester" \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >/dev/null
  wait_until 30 "" health || die "S3 user does not work (signed ListBuckets is not 200)"
  log "READY s3=http://127.0.0.1:$PORT access=$ACCESS_KEY"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  health) health ;;
  log) echo "$BASE/log/client.rgw.gw.log $BASE/log/osd.0.log $BASE/log/mon.a.log" ;;
  *) echo "usage: $0 start|stop|health|log" >&2; exit 2 ;;
esac
