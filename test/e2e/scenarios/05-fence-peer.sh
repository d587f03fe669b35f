#!/usr/bin/env bash
# Resource-level fencing with our handlers: the replication link fails while
# Corosync still works (the classic case of a dedicated DRBD link), so the
# Primary's fence-peer handler places a Pacemaker constraint that keeps the
# promoted role off the peer, whose data is now outdated. Even with the
# active node in standby, Pacemaker must not promote the outdated node. Once
# the link is back and the peer has resynced, its after-resync-target
# handler (unfence-peer) removes the constraint and the cluster is whole.
#
# Only DRBD's port is dropped (tc inside the guests), so nothing leaves the
# lab link. Fencing is turned on for this scenario only and off again at the
# end, so the other scenarios can still make a real split brain.
set -eu
. "$(dirname "$0")/../../lab/lib.sh"
. "$(dirname "$0")/mfs.sh"
. "$(dirname "$0")/fence.sh"

fence_id() { x node1 "cibadmin -Q -o constraints" | grep -o 'id="drbd-fence-by-handler-r0-[^"]*"' | head -1; }
cleanup() {
  heal_drbd node1 >/dev/null 2>&1
  heal_drbd node2 >/dev/null 2>&1
  x node1 'crm_attribute --node node1 --name standby --update off; crm_attribute --node node2 --name standby --update off' >/dev/null 2>&1
  fencing dont-care >/dev/null 2>&1
}
trap cleanup EXIT

A=$(locate p_fs)
[ -n "$A" ] || { echo "p_fs is not running"; exit 1; }
B=$(other "$A")
[ -z "$(fence_id)" ] || { echo "a fence constraint is already there: $(fence_id)"; exit 1; }
fencing resource-only

log "replication link down ($A keeps running, Corosync still connected)"
timer_start fence_constraint_placed
cut_drbd "$A"
cut_drbd "$B"
wait_for node1 'cibadmin -Q -o constraints | grep -q drbd-fence-by-handler-r0' 120 1
timer_stop fence_constraint_placed
echo "constraint: $(fence_id)"
x "$A" 'grep "fence-peer r0" /var/log/drbd-splitbrain.log | tail -3'
x node1 "cibadmin -Q -o constraints | grep -A3 drbd-fence-by-handler-r0 | grep -q 'value=\"$A\"'" ||
  { echo "the constraint does not keep the promoted role on $A"; x node1 'cibadmin -Q -o constraints'; exit 1; }
# fence-peer answers only once the peer has stayed online for its settle
# time; until then DRBD holds its state changes, and a standby in that
# window would stop DRBD before the kernel records the peer Outdated.
wait_for "$A" 'drbdadm dstate r0 | grep -q "^UpToDate/Outdated"' 90 1
x "$A" 'grep "fence-peer r0" /var/log/drbd-splitbrain.log | tail -1'
x "$A" 'echo written-while-fenced >/data/fenced.txt && sync'

log "standby $A: the outdated $B must not be promoted"
x node1 "crm_attribute --node $A --name standby --update on"
wait_crm node1 "Unpromoted: \\[ $B \\]|Unpromoted: \\[ $B $A \\]|Unpromoted: \\[ $A $B \\]" 240
wait_crm node1 "Stopped" 60
# Let the scheduler finish every transition (it would have promoted $B by
# then), rather than waiting a fixed time.
x node1 'crm_resource --wait --timeout=240s'
x "$B" '! drbdadm role r0 | grep -q ^Primary' || { echo "$B was promoted despite the fence constraint"; exit 1; }
x node1 'crm_mon -1r'
x node1 "crm_attribute --node $A --name standby --update off"
wait_crm node1 "Promoted: \\[ $A \\]" 240

log "replication link back: $B resyncs, its handler removes the constraint"
timer_start fence_constraint_removed
heal_drbd "$A"
heal_drbd "$B"
wait_drbd "$B" 'cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate' 300
wait_for node1 '! cibadmin -Q -o constraints | grep -q drbd-fence-by-handler-r0' 120 1
timer_stop fence_constraint_removed
x "$B" 'grep "unfence-peer r0" /var/log/drbd-splitbrain.log | tail -2'
wait_crm node1 "p_vip[[:space:]].*Started $A" 120
vip_once
x "$A" 'grep -qx written-while-fenced /data/fenced.txt'
fencing dont-care
trap - EXIT
x node1 'crm_mon -1r'
