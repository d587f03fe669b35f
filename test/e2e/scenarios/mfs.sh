# Helpers for the scenarios that need MooseFS clients' files: sourced, not
# run (run.sh runs only NN-name.sh). The client reaches the master through
# the VIP, as a real client would.
VIP=169.254.77.100
MNT=/mnt/mfs

locate() { x node1 "crm_resource --locate -r $1" | sed -n 's/.* is running on: \([^ ]*\).*/\1/p' | head -1; }
other() { [ "$1" = node1 ] && echo node2 || echo node1; }

# SCORE is the promotion score ocf:mfs:drbd keeps for the lab's p_drbd_r0
# (the master-<instance> attribute every Pacemaker from 1.1 to 3.0 reads).
# score NODE prints its value on NODE, nothing when there is none;
# score_is NODE VALUE [SECS] waits until it reads VALUE.
SCORE=master-p_drbd_r0
score() { x "$1" "crm_attribute -N $1 -n $SCORE -l reboot -G -q 2>/dev/null" || true; }
score_is() { wait_for "$1" "[ \"\$(crm_attribute -N $1 -n $SCORE -l reboot -G -q 2>/dev/null)\" = $2 ]" "${3:-60}" 1; }

# new_fs NODE [CMD]: ext4 on r0, made on NODE (Primary for the time), with
# a master's DATA_PATH in /data/mfs seeded from the empty metadata MooseFS
# ships; CMD runs while /data is mounted.
new_fs() {
  x "$1" "drbdadm primary r0 && mkfs.ext4 -q -F /dev/drbd0 && mount /dev/drbd0 /data &&
    mkdir /data/mfs && cp /var/lib/mfs/metadata.mfs.empty /data/mfs/metadata.mfs && chown -R mfs:mfs /data/mfs &&
    ${2:-true} && umount /data && drbdadm secondary r0"
}

# ANSWERS: a condition, true when the master behind the VIP answers an info
# request.
ANSWERS="mfscli -H $VIP -P 9421 -SIN 2>/dev/null | grep -q 'master version'"

# master_answers NODE [SECS]: wait until ANSWERS holds in NODE.
master_answers() { wait_for "$1" "$ANSWERS" "${2:-120}" 1; }

# chunkservers_up: one chunkserver per node, both registered. CS_CFG and
# CS_DIR choose its configuration and DATA_PATH (the DRBD scenarios' by
# default).
chunkservers_up() {
  local n cfg=${CS_CFG:-/etc/mfs/mfschunkserver-lab.cfg} dir=${CS_DIR:-/var/lib/mfs-cs}
  for n in node1 node2; do
    x $n "mkdir -p $dir/hdd && chown -R mfs:mfs $dir &&
      { mfschunkserver -c $cfg test >/dev/null 2>&1 || mfschunkserver -c $cfg start >/dev/null 2>&1; }"
  done
  # mfscli names them by host name, one "chunk servers:" line each.
  wait_for node1 "[ \$(mfscli -H $VIP -P 9421 -SCS 2>/dev/null | grep -c '^chunk servers:.*node[12]') -ge 2 ]" 180 1
}

# client_mount NODE: mfsmount of the whole file system at $MNT.
client_mount() {
  x "$1" "mkdir -p $MNT; mountpoint -q $MNT || mfsmount $MNT -H $VIP -P 9421 >/dev/null 2>&1; mountpoint -q $MNT"
}

# write_files NODE TAG: a tree of directories and files, goal 2 so that
# both chunkservers hold every chunk; its checksums go to $MNT/TAG.sha256.
# MooseFS 4 replaced goals with storage classes ("No such class" for goal
# 2): its predefined class 2CP keeps two copies too.
write_files() {
  x "$1" "set -e; d=$MNT/$2; mkdir -p \$d/a/b/c
    mfssetgoal -r 2 \$d >/dev/null 2>&1 || mfssetsclass -r 2CP \$d >/dev/null
    for i in 1 2 3 4 5; do head -c \$((i * 100000)) /dev/urandom >\$d/a/f\$i; echo \$i >\$d/a/b/c/n\$i; done
    mkdir \$d/empty-dir; sync
    cd $MNT && find $2 -type f | sort | xargs sha256sum >$MNT/$2.sha256 && sync"
}

# check_files NODE TAG: every file and directory written by write_files,
# with the same content, read back through NODE's client.
check_files() {
  wait_for "$1" "cd $MNT && test -d $2/empty-dir && sha256sum --quiet -c $2.sha256" 120 2
}

# vip_once: the VIP is up on exactly one node, the one where Pacemaker runs
# p_vip (a stray copy elsewhere answers that node's clients with nothing
# behind it). Polls for up to two minutes, as a recovery may be under way.
vip_once() {
  local n on= loc= i
  for i in $(seq 60); do
    on=
    for n in node1 node2; do
      x $n "ip -o addr show dev eth0 | grep -q ' $VIP/'" && on="$on $n"
    done
    loc=$(locate p_vip)
    [ -n "$loc" ] && [ "$on" = " $loc" ] && return 0
    sleep 2
  done
  echo "VIP up on:${on:- no node}; Pacemaker runs p_vip on: ${loc:-no node}"
  return 1
}

# stack_and_files TAG: sets A (the node running p_mfs) and B (the other),
# brings up both chunkservers and a fresh client mount on B (an earlier
# scenario's mount may hang on a master that moved), and writes TAG's files.
stack_and_files() {
  A=$(locate p_mfs)
  [ -n "$A" ] || { echo "p_mfs is not running"; return 1; }
  B=$(other "$A")
  vip_once
  master_answers "$B"
  chunkservers_up
  x "$B" "mountpoint -q $MNT && umount -l $MNT; true"
  client_mount "$B"
  write_files "$B" "$1"
}
