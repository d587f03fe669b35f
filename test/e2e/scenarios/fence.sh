# Helpers of the fencing scenarios (05, 08), sourced after lab/lib.sh.
# shellcheck shell=bash

# cut_drbd NODE: drop DRBD's port on NODE's link (tc inside the guest), so
# the replication link fails while Corosync still works and nothing leaves
# the lab link.
cut_drbd() {
  x "$1" 'modprobe -a sch_prio cls_u32 act_gact; tc qdisc add dev eth0 root handle 1: prio &&
    tc filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dport 7789 0xffff action drop &&
    tc filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip sport 7789 0xffff action drop'
}
# heal_drbd NODE: undo cut_drbd.
heal_drbd() { x "$1" 'tc qdisc del dev eth0 root 2>/dev/null || true'; }
fencing() { # fencing MODE: set it in the lab's drbd.conf of both nodes and apply
  for n in node1 node2; do
    x $n "sed -i '/^resource r0 {/,/^}/{/^  disk { fencing /d}; /^resource r0 {/a\\  disk { fencing $1; }' /etc/drbd.conf && drbdadm adjust r0 && drbdadm dump r0 | grep -q 'fencing.*$1'"
  done
}
