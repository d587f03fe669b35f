#!/usr/bin/env bash
# MooseFS high availability without DRBD: ocf:mfs:master as a promotable
# clone over metaloggers (the README's crm configuration, with the lab's
# VIP), each node's DATA_PATH on its own disk, a chunkserver on each node
# and a client on node2 that keeps creating files with known content, each
# recorded once fsync returned. One run covers, in this order:
#   1. a crash of the active node (qemu quit): node2 takes over from its
#      metalogger's files; node1 boots, rejoins unpromoted, its old files
#      set aside;
#   2. kill -9 of the active mfsmaster;
#   3. crm node standby of the active node and back: it returns unpromoted,
#      its files from before set aside.
# The client's node is never the one that crashes, so its record survives.
# After each fault every file recorded at least two seconds before it is
# there with its content (else the scenario fails); files acknowledged in
# those last seconds and missing are the takeover's lost changes, counted
# and printed (a RESULT line each), and the time from the fault until the
# master answers through the VIP is a TIMING line. A clean switchover
# (standby) must lose nothing.
#
# It needs no DRBD and builds its own cluster configuration: when it runs
# alone, the 00 baseline is not built; after other scenarios, the running
# configuration is saved, stopped, and restored at the end.
# e2e: standalone
set -eu
. "$(dirname "$0")/../../lab/lib.sh"
. "$(dirname "$0")/mfs.sh"
CRM=$(cd "$(dirname "$0")" && pwd)/09-metalogger-takeover.crm
DP=/var/lib/mfs-ml # DATA_PATH of mfsmaster-ml.cfg, on /dev/vda
export CS_CFG=/etc/mfs/mfschunkserver-ml.cfg CS_DIR=/var/lib/mfs-cs-ml
C=node2                 # the client's node
W=$MNT/ml               # where the client writes
REC=/root/ml-record     # in C: "N TIME" per file fN whose fsync returned
LOSTF=/root/ml-lost     # in C: the N of every file counted lost
WRITER=/root/ml-writer.sh

# crm_state NODE: what Pacemaker shows, for the log.
crm_state() { x "$1" 'crm_mon -1r 2>&1 | sed -n "/Full List of Resources/,\$p"' || true; }

# disk NODE: DATA_PATH on NODE's /dev/vda, made on first use (mkfs when
# NEW=1), mounted again after a reboot.
disk() {
  x "$1" "mkdir -p $DP && { mountpoint -q $DP || { [ \"${NEW:-0}\" = 1 ] && mkfs.ext4 -q -F /dev/vda; mount /dev/vda $DP; } } &&
    chown mfs:mfs $DP && df -h $DP | tail -1"
}

# promoted: the node whose instance Pacemaker shows promoted and the VIP
# runs on (they are colocated), or nothing.
promoted() {
  x "$C" "crm_mon -1r 2>/dev/null" 2>/dev/null | sed -n 's/.*[^n]Promoted: \[ \(node[12]\) \].*/\1/p' | head -1
}

# settled: one instance promoted, the other unpromoted, the VIP on the
# promoted node and the master answering there.
settled() {
  wait_for "$C" "m=\$(crm_mon -1r 2>&1); printf '%s\n' \"\$m\" | grep -Eq '[^n]Promoted: \\[ node[12] \\]' &&
    printf '%s\n' \"\$m\" | grep -Eq 'Unpromoted: \\[ node[12] \\]' &&
    printf '%s\n' \"\$m\" | grep -Eq 'vip[[:space:]].*Started node[12]' && $ANSWERS || { printf '%s\n' \"\$m\"; exit 1; }" "${1:-300}" 2
}

# unpromoted_with_files_aside NODE N: NODE runs a metalogger and no
# mfsmaster, and holds at least N set-aside folders in DATA_PATH, with no
# master file of its own left beside them.
unpromoted_with_files_aside() {
  wait_for "$1" "! pidof mfsmaster >/dev/null && pidof mfsmetalogger >/dev/null &&
    [ \$(ls -d $DP/set-aside-* 2>/dev/null | wc -l) -ge $2 ] &&
    ! ls $DP/ | grep -Eq '^(metadata|changelog)' || { ls -la $DP; exit 1; }" 180 2
  x "$1" "echo \"$1 (unpromoted): DATA_PATH holds\" \$(ls $DP); ls -d $DP/set-aside-* 2>/dev/null; true"
}

asides() { x "$1" "ls -d $DP/set-aside-* 2>/dev/null | wc -l"; }

last_record() { x "$C" "tail -1 $REC | cut -d' ' -f1"; }

# check_files KIND P M: every file recorded up to fM and not already
# counted lost is read back; a missing or wrong one is a lost change when
# it came after fP (acknowledged in the last seconds before the fault), and
# fails the scenario otherwise. Prints "RESULT kind=KIND lost=N ...".
check_files() {
  local kind=$1 p=$2 m=$3 out rc=0
  out=$(LAB_TIMEOUT=900 x "$C" "touch $LOSTF; declare -A gone; while read -r i; do gone[\$i]=1; done <$LOSTF
    n=0 lost=0 bad=0 list=
    while read -r i t; do
      [ \$i -le $m ] || break
      [ -z \"\${gone[\$i]:-}\" ] || continue
      n=\$((n + 1)) l=
      IFS= read -r l <$W/f\$i 2>/dev/null || true
      [ \"\$l\" = \"ocf-mfs e2e file \$i\" ] && continue
      if [ \$i -le $p ]; then
        bad=\$((bad + 1)); echo \"MISSING f\$i, acknowledged before f$p: \$(ls -l $W/f\$i 2>&1) content '\$l'\"
      else
        lost=\$((lost + 1)) list=\"\$list f\$i\"; echo \$i >>$LOSTF
      fi
    done <$REC
    echo \"checked=\$n lost=\$lost bad=\$bad lost_files=\${list# }\"
    [ \$bad = 0 ]") || rc=$?
  printf '%s\n' "$out"
  local kv
  kv=$(printf '%s\n' "$out" | grep '^checked=' | tail -1)
  echo "RESULT kind=$kind checkpoint=f$p fault_at=f$m $kv"
  [ $rc = 0 ] || { echo "files acknowledged before the fault are gone after $kind"; return 1; }
  case $kind in standby) [[ $kv == *" lost=0 "* ]] || { echo "a clean switchover lost changes"; return 1; } ;; esac
}

# before_fault: the checkpoint (the last file recorded), then two more
# seconds of writing, as the metalogger flushes its changelog once a second.
before_fault() {
  P=$(last_record)
  sleep 2
  log "checkpoint f$P, $(($(last_record) - P)) more files since"
}

### The cluster, its configuration and DATA_PATHs
SAVED=
if x node1 'crm_mon -1 >/dev/null 2>&1'; then
  if [ -n "$(x node1 'cibadmin -Q --scope resources 2>/dev/null' | grep -E '<(primitive|clone|master|group)')" ]; then
    log "a configuration runs: saved, stopped, restored at the end"
    SAVED=$(mktemp)
    x node1 'cibadmin -Q --scope configuration' >"$SAVED"
    x node1 'crm_attribute --type crm_config --name stop-all-resources --update true'
    wait_for node1 "! crm_mon -1r 2>&1 | grep -Eq '(Started|Promoted|Unpromoted|Slave|Master)[: ]'" 300 2
    x node1 "cibadmin --replace --scope constraints --xml-text '<constraints/>' && cibadmin --replace --scope resources --xml-text '<resources/>' &&
      crm_attribute --type crm_config --name stop-all-resources --delete"
    x node1 'mfschunkserver -c /etc/mfs/mfschunkserver-lab.cfg stop >/dev/null 2>&1; true'
    x node2 'mfschunkserver -c /etc/mfs/mfschunkserver-lab.cfg stop >/dev/null 2>&1; umount -l /mnt/mfs 2>/dev/null; true'
  fi
else
  log "Pacemaker: start corosync + pacemaker on both nodes"
  timer_start ml_cluster_online
  lab cluster-start
  lab cluster-wait 300
  timer_stop ml_cluster_online
fi

log "DATA_PATH $DP on each node's /dev/vda; node1 holds a new file system"
for n in node1 node2; do NEW=1 disk $n; done
x node1 "cp /var/lib/mfs/metadata.mfs.empty $DP/metadata.mfs && chown mfs:mfs $DP/metadata.mfs"

log "Pacemaker: the promotable clone over metaloggers and the VIP"
timer_start ml_stack_started
x node1 "crm configure load update $CRM"
# node1 alone holds metadata: its score is 1, node2 has none.
wait_crm node1 "vip[[:space:]].*Started node1" 300
settled
timer_stop ml_stack_started
crm_state node1
[ "$(promoted)" = node1 ] || { echo "node1 is not the promoted instance"; exit 1; }
unpromoted_with_files_aside node2 0

log "chunkservers on both nodes; the client on $C starts writing"
chunkservers_up
x "$C" "mkdir -p $MNT; mountpoint -q $MNT && umount -l $MNT; mfsmount $MNT -H $VIP -P 9421 -o mfsioretries=10 >/dev/null 2>&1; mountpoint -q $MNT &&
  mkdir -p $W && mfssetgoal -r 2 $W >/dev/null && rm -f $REC $LOSTF /root/ml-writer.err /root/ml-writer.stop"
# Goal 2 with both chunkservers up: a file's fsync returns once both hold
# its data, so the crash of either node loses no content.
x "$C" "cat >$WRITER <<'EOF'
i=0
while [ ! -e /root/ml-writer.stop ]; do
  i=\$((i + 1))
  if { printf 'ocf-mfs e2e file %d\n' \$i >$W/f\$i && sync $W/f\$i; } 2>>/root/ml-writer.err; then
    echo \"\$i \$EPOCHREALTIME\" >>$REC
  else
    echo \"\$EPOCHREALTIME f\$i failed\" >>/root/ml-writer.err
  fi
  sleep 0.3
done
EOF
setsid bash $WRITER </dev/null >/dev/null 2>&1 &
echo writer started"
wait_for "$C" "[ \$(wc -l <$REC 2>/dev/null || echo 0) -ge 20 ]" 120 1

### 1. Crash of the active node
A=$(promoted)
[ "$A" = node1 ] || { echo "expected node1 promoted, not '$A'"; exit 1; }
before_fault
log "fault 1: crash $A (qemu quit)"
lab mon "$A" quit >/dev/null 2>&1 || true
timer_start ml_takeover_crash
M=$(last_record)
wait_for "$C" "ip -o addr show dev eth0 | grep -q ' $VIP/' && $ANSWERS" 300 1
timer_stop ml_takeover_crash
crm_state "$C"
check_files crash "$P" "$M"

log "$A boots again: it must rejoin unpromoted, its old files set aside"
timer_start ml_crash_rejoin
lab up "$A"
disk "$A"
x "$A" "ls $DP"
lab cluster-start "$A"
settled
timer_stop ml_crash_rejoin
[ "$(promoted)" = "$C" ] || { echo "$A came back promoted"; exit 1; }
unpromoted_with_files_aside "$A" 1
chunkservers_up
crm_state "$C"

### 2. kill -9 of the active master
A=$(promoted)
old=$(x "$A" "head -1 $DP/.mfsmaster.lock")
before_fault
log "fault 2: kill -9 mfsmaster (pid $old) on $A"
x "$A" "kill -9 $old"
timer_start ml_takeover_kill9
M=$(last_record)
wait_for "$C" "$ANSWERS" 300 1
timer_stop ml_takeover_kill9
log "the master answers again, from $(promoted)"
check_files kill9 "$P" "$M"
x "$C" 'crm resource cleanup mfs >/dev/null 2>&1; true'
settled
crm_state "$C"

### 3. Standby of the active node, and back
A=$(promoted)
B=$(other "$A")
n_aside=$(asides "$A")
before_fault
log "fault 3: crm node standby $A"
x "$C" "crm_attribute --node $A --name standby --update on"
timer_start ml_takeover_standby
M=$(last_record)
wait_for "$B" "ip -o addr show dev eth0 | grep -q ' $VIP/' && $ANSWERS" 300 1
timer_stop ml_takeover_standby
check_files standby "$P" "$M"
log "$A back online: it must return unpromoted, its files set aside"
timer_start ml_standby_rejoin
x "$C" "crm_attribute --node $A --name standby --update off"
settled
timer_stop ml_standby_rejoin
[ "$(promoted)" = "$B" ] || { echo "$A came back promoted"; exit 1; }
unpromoted_with_files_aside "$A" $((n_aside + 1))

### Last: the writer stops, every file is checked once more
x "$C" "touch /root/ml-writer.stop"
sleep 1
M=$(last_record)
check_files final "$M" "$M"
x "$C" "echo \"\$(wc -l <$REC) files acknowledged, \$(wc -l <$LOSTF) lost, \$(grep -c failed /root/ml-writer.err 2>/dev/null || true) creations failed while no master answered\"; tail -3 /root/ml-writer.err 2>/dev/null; true"
crm_state "$C"

if [ -n "$SAVED" ]; then
  log "the previous configuration back"
  x "$C" "umount -l $MNT 2>/dev/null; true"
  for n in node1 node2; do x $n "mfschunkserver -c $CS_CFG stop >/dev/null 2>&1; true"; done
  x node1 'crm_attribute --type crm_config --name stop-all-resources --update true'
  wait_for node1 "! crm_mon -1r 2>&1 | grep -Eq '(Started|Promoted|Unpromoted|Slave|Master)[: ]'" 300 2
  x node1 "cat >/root/saved-cib.xml <<'EOF'
$(cat "$SAVED")
EOF
cibadmin --replace --scope configuration --xml-file /root/saved-cib.xml"
  rm -f "$SAVED"
  wait_crm node1 "p_vip[[:space:]].*Started node[12]" 300
fi
