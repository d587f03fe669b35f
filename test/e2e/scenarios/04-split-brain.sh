#!/usr/bin/env bash
# A real split brain and its recovery with drbd-splitbrain, as an operator
# would run it at 3 a.m.:
#   - the link between the nodes goes down; with stonith disabled and
#     no-quorum-policy=ignore (the tutorial's settings) both sides promote
#     DRBD, mount /data and take writes;
#   - the link comes back: DRBD detects the split brain, both StandAlone;
#   - `drbd-splitbrain status` reports it on both nodes (exit 3, confirmed by
#     the split-brain handler or the kernel log);
#   - `drbd-splitbrain resolve` on the victim (with a backup of its device)
#     and on the survivor brings r0 back to Connected UpToDate/UpToDate;
#   - the survivor's writes are kept, the victim's are gone (but in the
#     backup), and Pacemaker runs the stack on one node again.
set -eu
. "$(dirname "$0")/../../lab/lib.sh"
. "$(dirname "$0")/mfs.sh"

A=$(locate p_fs)
[ -n "$A" ] || { echo "p_fs is not running"; exit 1; }
B=$(other "$A")
x "$A" 'echo before-partition >/data/before.txt && sync'

log "partition: cut the lab link on both nodes; $B promotes on its own"
timer_start partition_takeover
lab mon node1 'set_link n0 off' >/dev/null
lab mon node2 'set_link n0 off' >/dev/null
wait_for "$B" 'mountpoint -q /data' 240 1
timer_stop partition_takeover
# Which side survives is Pacemaker's choice when the partitions merge, so
# each side's write is named after its node.
for n in "$A" "$B"; do
  x $n "echo written-on-$n >/data/partition-$n.txt && sync"
done

log "heal: the link comes back, DRBD finds the split brain"
timer_start split_brain_detected
lab mon node1 'set_link n0 on' >/dev/null
lab mon node2 'set_link n0 on' >/dev/null
wait_drbd node1 'cs:StandAlone' 180
wait_drbd node2 'cs:StandAlone' 180
timer_stop split_brain_detected

# Pacemaker merges the partitions and keeps one promoted instance; wait until
# it has settled, so the victim is the node it does not promote.
# settled: both nodes online, p_fs started once, one node promoted.
settled() {
  wait_for node1 'crm_mon -1r >/tmp/m 2>&1; [ $(grep -cE "p_fs[[:space:]].*Started" /tmp/m) = 1 ] &&
    grep -qE "(Promoted|Masters): \[ node[12] \]" /tmp/m && ! grep -q "OFFLINE\|UNCLEAN" /tmp/m || { cat /tmp/m; exit 1; }' 300 2
}
timer_start cluster_settled
settled
timer_stop cluster_settled
# Without fencing, Pacemaker can lose track of what the cut-off side started
# just as the partitions merged (the lab once kept the VIP up on both nodes
# this way): re-probe everything, as an operator should after a partition.
x node1 'crm_resource --refresh >/dev/null && crm_resource --wait --timeout=300s' || log "(the cluster was still busy after the refresh)"
settled
S=$(locate p_fs)
V=$(other "$S")
log "survivor $S (Pacemaker's promoted node), victim $V"

for n in node1 node2; do
  rc=0
  out=$(x $n 'drbd-splitbrain status --json') || rc=$?
  echo "$n: $out"
  [ "$rc" = 3 ] || { echo "status on $n exited $rc, want 3 (split brain)"; exit 1; }
  echo "$out" | grep -q '"split_brain":"confirmed"' || { echo "split brain not confirmed on $n"; exit 1; }
done
x "$V" 'drbd-splitbrain status' || true

log "resolve: refused without confirmation, then the plan as a dry run"
rc=0
x "$V" 'drbd-splitbrain resolve r0 </dev/null' || rc=$?
[ "$rc" = 2 ] || { echo "resolve without --yes and without a terminal exited $rc, want 2 (refused)"; exit 1; }
x "$V" 'drbd-splitbrain resolve r0 --dry-run'
rc=0
x "$S" 'drbd-splitbrain resolve r0 --discard-local --yes' || rc=$?
[ "$rc" = 2 ] || { echo "discarding on the promoted node with /data mounted exited $rc, want 2 (refused)"; exit 1; }

log "resolve: victim $V (with a backup of its device), then survivor $S"
timer_start split_brain_resolve
x "$V" 'rm -rf /var/tmp/sb-backup; (drbd-splitbrain resolve r0 --yes --backup-dir /var/tmp/sb-backup --timeout 5m \
  >/tmp/resolve.log 2>&1; echo $? >/tmp/resolve.rc) </dev/null >/dev/null 2>&1 &'
wait_for "$V" 'grep -q "== verify ==" /tmp/resolve.log || { cat /tmp/resolve.log; [ ! -f /tmp/resolve.rc ]; exit 1; }' 120 1
x "$S" 'drbd-splitbrain resolve r0 --yes --timeout 5m'
wait_for "$V" 'test -f /tmp/resolve.rc' 300 1
x "$V" 'cat /tmp/resolve.log; exit $(cat /tmp/resolve.rc)'
timer_stop split_brain_resolve

for n in node1 node2; do
  x $n 'drbd-splitbrain status --json && drbd-splitbrain status --json | grep -q "\"split_brain\":\"none\""'
done
x "$S" "grep -qx before-partition /data/before.txt && grep -qx written-on-$S /data/partition-$S.txt &&
  test ! -e /data/partition-$V.txt" || { echo "survivor data wrong after resolve"; exit 1; }
x "$V" 'set -e; img=$(ls /var/tmp/sb-backup/*.img); cd /var/tmp/sb-backup; sha256sum -c "$img.sha256" >/dev/null
  grep -q "\"resource\": *\"r0\"" "$img.json"; echo "backup $img verified"'
# The discarded write is still there, in the image of the victim's device.
x "$V" "debugfs -R 'cat /partition-$V.txt' \$(ls /var/tmp/sb-backup/*.img) 2>/dev/null | grep -qx written-on-$V" ||
  { echo "the victim's write is not in its backup image"; exit 1; }

log "online verify: the two disks hold the same data, block for block"
timer_start verify_after_resolve
x "$S" 'drbdadm verify r0'
wait_for "$S" '! grep -q "verified:" /proc/drbd && grep -q "cs:Connected" /proc/drbd' 600 2
timer_stop verify_after_resolve
for n in node1 node2; do
  x $n 'grep -q " oos:0$" /proc/drbd || { cat /proc/drbd; exit 1; }'
done

# The handler and resolve leave a record an operator can read afterwards.
for n in node1 node2; do
  x $n 'grep -q "split-brain r0: DRBD detected a split brain" /var/log/drbd-splitbrain.log' ||
    { echo "no split-brain handler record on $n"; exit 1; }
done
x "$V" 'grep -E "resolve r0: (plan|backup|recovered)" /var/log/drbd-splitbrain.log'

log "Pacemaker: back to one promoted node, the peer Unpromoted, no failures left"
x node1 'crm resource cleanup >/dev/null 2>&1 || true'
wait_crm node1 "Unpromoted: \\[ $V \\]" 240
wait_crm node1 "p_vip[[:space:]].*Started $S" 120
vip_once
x node1 'crm_mon -1r'
