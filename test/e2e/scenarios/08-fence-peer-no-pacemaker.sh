#!/usr/bin/env bash
# fence-peer with Pacemaker down: the handler cannot place its constraint,
# so it must answer 1 ("helper broken") and the kernel must leave the
# peer's disk state alone. Answering 5 ("peer unreachable") here made the
# Primary, whose disk is UpToDate, mark the peer Outdated with nothing in
# place to keep the promoted role off it.
#
# The cluster is put in maintenance mode and stopped on both nodes, so
# DRBD, the file system and the services keep running unmanaged; then only
# DRBD's port is dropped (tc inside the guests) with fencing resource-only.
# Afterwards the link, fencing, the cluster and management are restored.
set -eu
. "$(dirname "$0")/../../lab/lib.sh"
. "$(dirname "$0")/mfs.sh"
. "$(dirname "$0")/fence.sh"

maintenance() { x node1 "crm_attribute --type crm_config --name maintenance-mode --update $1"; }
restore() {
  heal_drbd node1 >/dev/null 2>&1
  heal_drbd node2 >/dev/null 2>&1
  fencing dont-care >/dev/null 2>&1
  lab cluster-start >/dev/null 2>&1
  lab cluster-wait 300 >/dev/null 2>&1
  maintenance false >/dev/null 2>&1
}
trap restore EXIT

A=$(locate p_fs)
[ -n "$A" ] || { echo "p_fs is not running"; exit 1; }
B=$(other "$A")

log "maintenance mode, then Pacemaker and Corosync stopped on both nodes"
maintenance true
wait_crm node1 'unmanaged|maintenance' 60
lab cluster-stop
# corosync-cfgtool -H returns before corosync has exited.
for n in node1 node2; do wait_for $n '! pidof pacemakerd >/dev/null && ! pidof corosync >/dev/null' 60; done
x "$A" "mountpoint -q /data && drbdadm role r0 | grep -q ^Primary/"
fencing resource-only

log "replication link down with no cluster: fence-peer on $A cannot place a constraint"
timer_start fence_peer_no_cluster
cut_drbd "$A"
cut_drbd "$B"
wait_for "$A" 'grep "fence-peer r0" /var/log/drbd-splitbrain.log | grep -q "exiting 1"' 120 1
timer_stop fence_peer_no_cluster
x "$A" 'grep "fence-peer r0" /var/log/drbd-splitbrain.log | tail -3; dmesg | grep -i "fence-peer" | tail -3'
# The kernel took 1 as "helper broken": the peer's disk is still unknown
# to it, not Outdated.
wait_drbd "$A" 'cs:WFConnection ro:Primary/Unknown ds:UpToDate/DUnknown' 30
x "$A" '! grep -q "ds:UpToDate/Outdated" /proc/drbd' || { echo "$B was marked Outdated with no constraint in place"; x "$A" 'cat /proc/drbd'; exit 1; }
x "$B" 'cat /proc/drbd; ! grep -q "ds:Outdated" /proc/drbd' || { echo "$B is Outdated"; exit 1; }
x "$A" 'echo written-without-cluster >/data/no-cluster.txt && sync'

log "link back: $B resyncs from $A; cluster and management restored"
heal_drbd "$A"
heal_drbd "$B"
wait_drbd "$B" 'cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate' 300
fencing dont-care
lab cluster-start
lab cluster-wait 300
maintenance false
trap - EXIT
wait_crm node1 "Promoted: \\[ $A \\]" 240
x node1 'crm_resource --wait --timeout=240s'
wait_crm node1 "p_vip[[:space:]].*Started $A" 120
x "$A" 'grep -qx written-without-cluster /data/no-cluster.txt'
x node1 'crm_mon -1r'
