#!/usr/bin/env bash
# A real single-node Pacemaker and a real MooseFS, for the integration tests,
# `make demo` and `make bench`, in a sandbox of their own: our users run these
# on the nodes of their production clusters, so nothing here may read or
# write that node's cluster.
#
# The sandbox is a holder process (`sleep infinity`) in new mount, network,
# IPC and UTS namespaces. Every directory Pacemaker, corosync and crmsh read
# or write is a private tmpfs inside it: /etc/corosync, /etc/pacemaker,
# /var/lib/pacemaker, /var/lib/corosync, /var/log/{pacemaker,corosync,crmsh},
# /run (Pacemaker's sockets, HA_RSCTMP), /dev/shm (libqb's IPC rings) and
# /etc/init.d (where lsb: resources live, for the benchmarks' tutorial stack);
# its IPC sockets are abstract, so the network namespace keeps them apart
# too. /usr/lib/ocf/resource.d is seen through a private copy whose `mfs`
# provider holds the agents of $OCF_MFS_BIN, so the host's installed agents
# are neither used nor replaced. The network namespace holds only a loopback
# that also carries 169.254.78.1 (the chunkserver refuses a master on any
# 127.x address). The client's mount lives in the sandbox's mount namespace;
# the host reaches its files through /proc/HOLDER/root (CLIENT below).
#
# Processes are ours when they run in the sandbox's network namespace: the
# harness stops those, by pid, and never anything found by name.
#
#   local.sh up                 the sandbox alone
#   local.sh cluster-start      up, then corosync + pacemakerd; wait until the node is online (as root)
#   local.sh cluster-stop       stop pacemakerd, then corosync (TERM, bounded wait, KILL)
#   local.sh mfs-setup          master config + DATA_PATH seeded from the packaged empty metadata
#   local.sh chunk-start        a chunkserver with one folder as its disk
#   local.sh mount              mfsmount of the file system on $MNT (inside the sandbox)
#   local.sh mfs-stop           in order: unmount the client, stop the chunkserver, stop any master
#   local.sh down               everything above in order, then the sandbox; removes $STATE
#   local.sh check-clean        exit 1, saying what, if anything of a sandbox is left
#   local.sh run CMD...         run CMD inside the sandbox (crm, crm_mon, mfscli...)
#   local.sh env                print the paths and ports below as shell assignments
#
# Environment: OCF_MFS_LOCAL (state folder, default /tmp/ocf-mfs-local),
# OCF_MFS_BIN (the agents to run, default <repo>/bin), MFS_PORT_BASE
# (default 19419: master 19419-19421, chunkserver 19422).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${OCF_MFS_LOCAL:-/tmp/ocf-mfs-local}
BIN=${OCF_MFS_BIN:-$(cd "$HERE/../.." && pwd)/bin}
BASE=${MFS_PORT_BASE:-19419}
MATOML=$BASE MATOCS=$((BASE + 1)) MATOCL=$((BASE + 2)) CSSERV=$((BASE + 3))
CFG=$STATE/master/mfsmaster.cfg
DATA=$STATE/master/data
MNT=$STATE/mnt
ADDR=169.254.78.1
HOLDER_FILE=$STATE/holder
# What Pacemaker, corosync and crmsh write, made private in the sandbox.
PRIVATE_DIRS="/etc/corosync /etc/pacemaker /var/lib/pacemaker /var/lib/corosync
  /var/log/pacemaker /var/log/corosync /var/log/crmsh /var/lib/crmsh /run /dev/shm /etc/init.d"
OCF_DIR=/usr/lib/ocf/resource.d

die() { echo "local.sh: $*" >&2; exit 1; }

# wait_until SECONDS DESCRIPTION COMMAND...: poll a condition, never a fixed sleep.
wait_until() {
  local t=$1 what=$2 s=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS - s < t)) || { echo "local.sh: timed out after ${t}s waiting for $what" >&2; return 1; }
    sleep 0.2
  done
}

# starttime PID: field 22 of /proc/PID/stat, which tells a process from a
# later one that reuses its pid. The command name (field 2) may hold spaces.
starttime() {
  local s
  read -r s 2>/dev/null <"/proc/$1/stat" || return 1
  s=${s##*) }
  set -- $s
  echo "${20}"
}

# holder: the sandbox's pid, when the one recorded still runs (same pid,
# same start time); nothing otherwise.
holder() {
  local pid st
  [ -f "$HOLDER_FILE" ] || return 1
  read -r pid st <"$HOLDER_FILE" || return 1
  [ -n "$pid" ] && [ "$(starttime "$pid")" = "$st" ] || return 1
  echo "$pid"
}

# ours: the pids of every process in the sandbox's network namespace but the
# holder. A process cannot leave a namespace by daemonizing, so this finds
# the master's helpers and everything Pacemaker forked.
# -ef compares the namespaces' inodes, without a fork per process.
ours() {
  local h p
  h=$(holder) || return 0
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" != "$h" ] && [ "/proc/$p/ns/net" -ef "/proc/$h/ns/net" ] && echo "$p"
  done
}

# ours_named COMM...: those of ours whose command name is one of COMM.
ours_named() {
  local p c n
  for p in $(ours); do
    read -r c 2>/dev/null <"/proc/$p/comm" || continue
    for n in "$@"; do [ "$c" = "$n" ] && echo "$p"; done
  done
}

# in_sb CMD...: run CMD in the sandbox, with a home of its own for crmsh.
in_sb() {
  local h
  h=$(holder) || die "no sandbox runs (local.sh up, or cluster-start)"
  nsenter -t "$h" --mount --net --ipc --uts -- env HOME="$STATE/home" "$@"
}

# _inside: the holder's own script, run by unshare in the new namespaces.
# It makes the private directories, then becomes the holder.
inside() {
  set -e
  local d prov orig=/run/ocf-mfs/resource.d.host
  for d in $PRIVATE_DIRS; do
    [ -d "$d" ] && mount -t tmpfs -o mode=0755 ocf-mfs "$d"
  done
  chmod 1777 /dev/shm
  # The host's agents stay readable beneath the private /run.
  mkdir -p "$orig"
  [ -d "$OCF_DIR" ] && mount --rbind "$OCF_DIR" "$orig"
  # Pacemaker's directories, as its package lays them out.
  for d in /var/lib/pacemaker/cib /var/lib/pacemaker/pengine /var/lib/pacemaker/blackbox \
    /var/lib/pacemaker/cores /var/log/pacemaker /run/crm; do
    mkdir -p "$d" && chown hacluster:haclient "$d" && chmod 0750 "$d"
  done
  mkdir -p /run/resource-agents /run/lock /var/lib/corosync /var/log/corosync "$STATE/home"
  # A private resource.d: every provider of the host's, read-only, and ours.
  mount -t tmpfs -o mode=0755 ocf-mfs "$OCF_DIR"
  for prov in "$orig"/*; do
    [ -d "$prov" ] || continue
    [ "${prov##*/}" = mfs ] && continue
    mkdir "$OCF_DIR/${prov##*/}" && mount --bind -o ro "$prov" "$OCF_DIR/${prov##*/}"
  done
  mkdir "$OCF_DIR/mfs"
  # ocf:mfs:master's front execs ocf-mfsmaster-actions from beside its own
  # executable: a link, not a copy, keeps the two built together.
  ln -s "$(cd "$BIN" && pwd)/ocf-mfsmaster" "$OCF_DIR/mfs/master"
  [ -x "$BIN/ocf-mfsdrbd" ] && install -m 0755 "$BIN/ocf-mfsdrbd" "$OCF_DIR/mfs/drbd"
  cat >/etc/corosync/corosync.conf <<EOF
# Written by ocf-mfs test/harness/local.sh inside its own mount namespace
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
  ip link set lo up
  ip addr add "$ADDR/32" dev lo
  # No pid namespace: pids stay the host's, so the lock file's pid is the
  # one to signal. This shell becomes the holder (exec keeps the pid).
  echo "$$ $(starttime $$)" >"$HOLDER_FILE"
  exec sleep infinity
}

up() {
  [ "$(id -u)" = 0 ] || die "the sandbox needs root (namespaces and mounts)"
  [ -x "$BIN/ocf-mfsmaster" ] || die "no $BIN/ocf-mfsmaster: run make build first"
  [ -x "$BIN/ocf-mfsmaster-actions" ] || die "no $BIN/ocf-mfsmaster-actions: run make build first"
  if holder >/dev/null; then return 0; fi
  mkdir -p "$STATE"
  rm -f "$HOLDER_FILE"
  # setsid keeps the holder out of the caller's process group, so a Ctrl-C
  # of the demo does not kill it before the cleanup has stopped Pacemaker.
  setsid unshare --mount --net --ipc --uts --propagation private -- \
    "$HERE/local.sh" _inside </dev/null >"$STATE/holder.log" 2>&1 &
  wait_until 20 "the sandbox" holder || { cat "$STATE/holder.log" >&2; kill -KILL $! 2>/dev/null; down; return 1; }
}

node_online() { in_sb crm_mon -1 2>/dev/null | grep -Eq "Online: \[ $(uname -n) \]" && in_sb crm_mon -1 | grep -q "Current DC: $(uname -n)"; }

cluster_start() {
  up || return 1
  [ -z "$(ours_named corosync pacemakerd)" ] || die "the sandbox's cluster already runs (local.sh down first)"
  in_sb setsid corosync -f >>"$STATE/corosync.out" 2>&1 </dev/null &
  wait_until 30 "corosync" in_sb corosync-cfgtool -s || { tail -20 "$STATE/corosync.log" "$STATE/corosync.out" >&2; return 1; }
  in_sb env PCMK_logfile="$STATE/pacemaker.log" setsid pacemakerd >>"$STATE/pacemakerd.out" 2>&1 </dev/null &
  wait_until 120 "the node to be online with a DC" node_online || { in_sb crm_mon -1 >&2; tail -30 "$STATE/pacemaker.log" >&2; return 1; }
  # The tutorial's settings: one node, no fencing device.
  in_sb crm_attribute --type crm_config --name stonith-enabled --update false &&
    in_sb crm_attribute --type crm_config --name no-quorum-policy --update ignore
}

# stop_procs SECONDS SIGNAL_FIRST COMM...: signal ours with those names, wait
# until they are gone, then SIGKILL what is left. Returns 1 if any was killed.
stop_procs() {
  local t=$1 sig=$2 p
  shift 2
  for p in $(ours_named "$@"); do kill "-$sig" "$p" 2>/dev/null; done
  wait_until "$t" "$* to exit" none_named "$@" && return 0
  for p in $(ours_named "$@"); do kill -KILL "$p" 2>/dev/null; done
  wait_until 10 "$* to die" none_named "$@"
  return 1
}
none_named() { [ -z "$(ours_named "$@")" ]; }
none_left() { [ -z "$(ours)" ]; }

cluster_stop() {
  holder >/dev/null || return 0
  if [ -n "$(ours_named pacemakerd)" ]; then
    # Pacemaker stops its resources first, so a master it runs stores its
    # metadata; the wait covers the agent's own stop timeout.
    stop_procs 120 TERM pacemakerd ||
      echo "local.sh: pacemakerd did not stop in time and was killed" >&2
  fi
  # pacemakerd's daemons are gone with it, or orphans now: none may stay.
  stop_procs 10 TERM pacemaker-based pacemaker-fenced pacemaker-execd pacemaker-attrd \
    pacemaker-schedulerd pacemaker-controld >/dev/null
  stop_procs 30 TERM corosync >/dev/null
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
# mfsmaster for the ocf-mfs local harness, inside its sandbox
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
  in_sb mfschunkserver -c "$cs/mfschunkserver.cfg" start >"$cs/start.log" 2>&1 || { cat "$cs/start.log" >&2; return 1; }
  # Registered with the master: mfscli lists it among the chunkservers.
  wait_until 60 "the chunkserver to register" in_sb sh -c "mfscli -H $ADDR -P $MATOCL -SCS 2>/dev/null | grep -q '$ADDR'"
}

do_mount() {
  mkdir -p "$MNT"
  mounted && return 0
  in_sb mfsmount "$MNT" -H "$ADDR" -P "$MATOCL" >"$STATE/mount.log" 2>&1 || { cat "$STATE/mount.log" >&2; return 1; }
  wait_until 30 "the client mount" mounted
}

# mounted: from the sandbox's mount table, because stat (and so mountpoint)
# of a FUSE mount whose master is gone can fail or hang.
mounted() {
  local h
  h=$(holder) || return 1
  grep -q " $MNT fuse" "/proc/$h/mounts"
}

# unmount_client: umount's last request to the client must be answered, and
# a client whose master is gone cannot answer it: umount then waits in the
# kernel, where no signal reaches it. So the wait is bounded, and after it
# the client process is killed, which fails that request and lets umount
# finish. The tests fsync what they check, so nothing they count is lost.
unmount_client() {
  local h u
  h=$(holder) || return 0
  if mounted; then
    if [ -z "$(ours_named mfsmaster)" ]; then
      stop_procs 0 KILL mfsmount >/dev/null
    fi
    nsenter -t "$h" --mount umount "$MNT" 2>/dev/null &
    u=$!
    if ! wait_until 20 "the client to unmount" not_mounted; then
      stop_procs 0 KILL mfsmount >/dev/null
    fi
    wait "$u" 2>/dev/null
    mounted && nsenter -t "$h" --mount umount -l "$MNT" 2>/dev/null
  fi
  stop_procs 10 TERM mfsmount >/dev/null
  return 0
}
not_mounted() { ! mounted; }

# mfs_stop: the client first, while the master still answers it; then the
# chunkserver; then any master left.
mfs_stop() {
  holder >/dev/null || return 0
  unmount_client
  if [ -n "$(ours_named mfschunkserver)" ]; then
    timeout 30 nsenter -t "$(holder)" --mount --net mfschunkserver -c "$STATE/cs/mfschunkserver.cfg" stop >/dev/null 2>&1
    stop_procs 10 TERM mfschunkserver >/dev/null
  fi
  # A master outside Pacemaker's hands (Pacemaker stops its own before).
  stop_procs 60 TERM mfsmaster >/dev/null
  return 0
}

# down: everything, in order, with bounded waits; then the sandbox and its
# state. Safe to run at any point, and again.
down() {
  local h p
  if h=$(holder); then
    if [ -n "$(ours_named pacemakerd)" ]; then
      # The client goes before the master Pacemaker runs for it.
      unmount_client
      in_sb crm_attribute --type crm_config --name stop-all-resources --update true >/dev/null 2>&1 &&
        wait_until 90 "Pacemaker to stop its resources" none_named mfsmaster
    fi
    mfs_stop
    cluster_stop
    for p in $(ours); do kill -KILL "$p" 2>/dev/null; done
    wait_until 10 "the sandbox's processes to die" none_left
    kill -KILL "$h" 2>/dev/null
    wait_until 10 "the sandbox to end" sh -c "! kill -0 $h 2>/dev/null"
  fi
  rm -rf "$STATE"
  return 0
}

# check_clean: what a sandbox of $STATE left behind, if anything.
check_clean() {
  local bad=0 h
  if h=$(holder); then echo "the sandbox still runs (pid $h)"; bad=1; fi
  if [ -n "$(ours)" ]; then echo "processes still run in it: $(ours | tr '\n' ' ')"; bad=1; fi
  if grep -q " $STATE" /proc/self/mounts; then echo "mounts left under $STATE"; bad=1; fi
  if [ -e "$STATE" ]; then echo "$STATE still exists"; bad=1; fi
  return $bad
}

case ${1:-} in
  _inside) inside ;;
  up) up ;;
  cluster-start) cluster_start ;;
  cluster-stop) cluster_stop ;;
  mfs-setup) mfs_setup ;;
  chunk-start) chunk_start ;;
  mount) do_mount ;;
  mfs-stop) mfs_stop ;;
  down) down ;;
  check-clean) check_clean ;;
  run) shift; in_sb "$@" ;;
  env)
    h=$(holder) || h=
    printf 'STATE=%s\nCFG=%s\nDATA=%s\nMNT=%s\nCLIENT=%s\nMATOCL=%s\nADDR=%s\nHOLDER=%s\n' \
      "$STATE" "$CFG" "$DATA" "$MNT" "${h:+/proc/$h/root}$MNT" "$MATOCL" "$ADDR" "$h"
    ;;
  *) sed -n '2,/^set -u/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
