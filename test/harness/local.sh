#!/usr/bin/env bash
# A real single-node Pacemaker and a real MooseFS, for the integration tests
# and `make demo`. No systemd needed: corosync and pacemakerd run as plain
# background processes.
#
# Everything runs inside a network namespace of its own (ocfmfs), holding
# only its loopback, which also carries 169.254.78.1: the
# chunkserver refuses a master on any 127.x address, and nothing may listen
# on this machine's real addresses. Pacemaker's IPC sockets are abstract and
# so per namespace: run its tools with `local.sh run crm_mon -1`. The client
# mount is made from inside the namespace with nsenter (which, unlike
# `ip netns exec`, keeps the host's mount namespace), so it is visible on
# the host.
#
#   local.sh cluster-start      corosync + pacemakerd, wait until the node is online (as root)
#   local.sh cluster-stop       stop both, wipe the CIB, restore /etc/corosync/corosync.conf
#   local.sh mfs-setup          master config + DATA_PATH seeded from the packaged empty metadata
#   local.sh chunk-start        a chunkserver with one folder as its disk
#   local.sh mount              mfsmount of the file system on $STATE/mnt
#   local.sh mfs-stop           unmount, stop the chunkserver, kill any master of ours
#   local.sh run CMD...         run CMD inside the namespace (crm, crm_mon, mfscli...)
#   local.sh env                print the paths and ports below as shell assignments
#
# Environment: OCF_MFS_LOCAL (state folder, default /tmp/ocf-mfs-local),
# MFS_PORT_BASE (default 19419: master 19419-19421, chunkserver 19422), apart
# from MooseFS's default ports so a master already on this machine is not
# disturbed.
set -u
STATE=${OCF_MFS_LOCAL:-/tmp/ocf-mfs-local}
BASE=${MFS_PORT_BASE:-19419}
MATOML=$BASE MATOCS=$((BASE + 1)) MATOCL=$((BASE + 2)) CSSERV=$((BASE + 3))
CFG=$STATE/master/mfsmaster.cfg
DATA=$STATE/master/data
MNT=$STATE/mnt
COROSYNC_CONF=/etc/corosync/corosync.conf
NS=${OCF_MFS_NETNS:-ocfmfs}
ADDR=169.254.78.1

die() { echo "local.sh: $*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# wait_until SECONDS DESCRIPTION COMMAND...: poll a condition, never a fixed sleep.
wait_until() {
  local t=$1 what=$2 s=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS - s < t)) || { echo "local.sh: timed out after ${t}s waiting for $what" >&2; return 1; }
    sleep 0.5
  done
}

in_ns() { nsenter --net="/run/netns/$NS" "$@"; }

ns_up() {
  [ -e "/run/netns/$NS" ] || ip netns add "$NS" || return 1
  ip -n "$NS" link set lo up &&
    ip -n "$NS" addr replace "$ADDR/32" dev lo
}

node_online() { in_ns crm_mon -1 2>/dev/null | grep -Eq "Online: \[ $(uname -n) \]" && in_ns crm_mon -1 | grep -q "Current DC: $(uname -n)"; }

cluster_start() {
  [ "$(id -u)" = 0 ] || die "cluster-start needs root"
  pgrep -x corosync >/dev/null && die "corosync already runs here; stop it first (local.sh cluster-stop)"
  mkdir -p "$STATE"
  ns_up || die "cannot create network namespace $NS"
  if [ -f "$COROSYNC_CONF" ] && [ ! -f "$STATE/corosync.conf.orig" ]; then
    cp -p "$COROSYNC_CONF" "$STATE/corosync.conf.orig"
  fi
  cat >"$COROSYNC_CONF" <<EOF
# Written by ocf-mfs test/harness/local.sh; the original is in $STATE/corosync.conf.orig
totem {
    version: 2
    cluster_name: ocfmfslocal
    transport: knet
    crypto_cipher: none
    crypto_hash: none
}
nodelist {
    node {
        ring0_addr: 127.0.0.1
        name: $(uname -n)
        nodeid: 1
    }
}
quorum {
    provider: corosync_votequorum
}
logging {
    to_logfile: yes
    logfile: $STATE/corosync.log
    to_syslog: no
    to_stderr: no
    timestamp: on
}
EOF
  # Every run starts from an empty CIB, not from what a previous run left.
  rm -rf /var/lib/pacemaker/cib/* /var/lib/pacemaker/pengine/* 2>/dev/null
  mkdir -p /var/log/pacemaker /run/crm && chown hacluster:haclient /var/log/pacemaker 2>/dev/null
  # $! would be the pid of the subshell running in_ns, not the daemon's.
  in_ns setsid corosync -f >>"$STATE/corosync.out" 2>&1 </dev/null &
  wait_until 30 "corosync" in_ns corosync-cfgtool -s || { tail -20 "$STATE/corosync.log" "$STATE/corosync.out" >&2; return 1; }
  pgrep -nx corosync >"$STATE/corosync.pid"
  PCMK_logfile=$STATE/pacemaker.log in_ns setsid pacemakerd >>"$STATE/pacemakerd.out" 2>&1 </dev/null &
  wait_until 10 "pacemakerd" pgrep -x pacemakerd && pgrep -nx pacemakerd >"$STATE/pacemakerd.pid"
  wait_until 120 "the node to be online with a DC" node_online || { in_ns crm_mon -1 >&2; tail -30 "$STATE/pacemaker.log" >&2; return 1; }
  # The tutorial's settings: one node, no fencing device.
  in_ns crm_attribute --type crm_config --name stonith-enabled --update false &&
    in_ns crm_attribute --type crm_config --name no-quorum-policy --update ignore
}

stop_pid() { # stop_pid NAME SECONDS: TERM, wait, then KILL
  local f=$STATE/$1.pid pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    wait_until "$2" "$1 to exit" sh -c "! kill -0 $pid 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status" ||
      kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$f"
}

cluster_stop() {
  stop_pid pacemakerd 120
  pkill -KILL -x pacemakerd 2>/dev/null
  pkill -KILL -f '^/usr/lib/pacemaker/pacemaker-' 2>/dev/null
  stop_pid corosync 30
  pkill -KILL -x corosync 2>/dev/null
  rm -rf /var/lib/pacemaker/cib/* /var/lib/pacemaker/pengine/* 2>/dev/null
  if [ -f "$STATE/corosync.conf.orig" ]; then
    mv "$STATE/corosync.conf.orig" "$COROSYNC_CONF"
  fi
  [ -e "/run/netns/$NS" ] && ip netns del "$NS"
  return 0
}

mfs_setup() {
  [ -f /var/lib/mfs/metadata.mfs.empty ] || die "moosefs-master is not installed (no /var/lib/mfs/metadata.mfs.empty)"
  mfs_stop
  rm -rf "$STATE/master" "$STATE/cs"
  mkdir -p "$DATA"
  cp /var/lib/mfs/metadata.mfs.empty "$DATA/metadata.mfs"
  echo "* / rw,alldirs,maproot=0" >"$STATE/master/exports.cfg"
  cat >"$CFG" <<EOF
# mfsmaster for the ocf-mfs local harness, inside network namespace $NS
WORKING_USER = root
DATA_PATH = $DATA
EXPORTS_FILENAME = $STATE/master/exports.cfg
MATOML_LISTEN_HOST = $ADDR
MATOML_LISTEN_PORT = $MATOML
MATOCS_LISTEN_HOST = $ADDR
MATOCS_LISTEN_PORT = $MATOCS
MATOCL_LISTEN_HOST = $ADDR
MATOCL_LISTEN_PORT = $MATOCL
EOF
  echo "$CFG"
}

chunk_start() {
  local cs=$STATE/cs
  mkdir -p "$cs/data" "$cs/hdd"
  echo "$cs/hdd" >"$cs/mfshdd.cfg"
  cat >"$cs/mfschunkserver.cfg" <<EOF
WORKING_USER = root
DATA_PATH = $cs/data
HDD_CONF_FILENAME = $cs/mfshdd.cfg
MASTER_HOST = $ADDR
MASTER_PORT = $MATOCS
BIND_HOST = $ADDR
CSSERV_LISTEN_HOST = $ADDR
CSSERV_LISTEN_PORT = $CSSERV
EOF
  in_ns mfschunkserver -c "$cs/mfschunkserver.cfg" start >"$cs/start.log" 2>&1 || { cat "$cs/start.log" >&2; return 1; }
  # Registered with the master: mfscli lists it among the chunkservers.
  wait_until 60 "the chunkserver to register" in_ns sh -c "mfscli -H $ADDR -P $MATOCL -SCS 2>/dev/null | grep -q '$ADDR'"
}

do_mount() {
  mkdir -p "$MNT"
  mounted && return 0
  in_ns mfsmount "$MNT" -H "$ADDR" -P "$MATOCL" >"$STATE/mount.log" 2>&1 || { cat "$STATE/mount.log" >&2; return 1; }
  wait_until 30 "the client mount" mounted
}

# mounted: from /proc/mounts, because stat (and so mountpoint) of a FUSE
# mount whose master is gone can fail or hang.
mounted() { grep -q " $MNT fuse" /proc/mounts; }

mfs_stop() {
  if mounted; then
    umount "$MNT" 2>/dev/null || umount -l "$MNT"
  fi
  [ -f "$STATE/cs/mfschunkserver.cfg" ] && [ -e "/run/netns/$NS" ] && in_ns mfschunkserver -c "$STATE/cs/mfschunkserver.cfg" stop >/dev/null 2>&1
  pkill -KILL -f "mfsmaster -c $CFG" 2>/dev/null
  pkill -KILL -f "mfschunkserver -c $STATE/cs/" 2>/dev/null
  return 0
}

case ${1:-} in
  cluster-start) cluster_start ;;
  cluster-stop) cluster_stop ;;
  mfs-setup) mfs_setup ;;
  chunk-start) chunk_start ;;
  mount) do_mount ;;
  mfs-stop) mfs_stop ;;
  run) shift; in_ns "$@" ;;
  env) printf 'STATE=%s\nCFG=%s\nDATA=%s\nMNT=%s\nMATOCL=%s\nADDR=%s\nNS=%s\n' "$STATE" "$CFG" "$DATA" "$MNT" "$MATOCL" "$ADDR" "$NS" ;;
  *) sed -n '2,/^set -u/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
