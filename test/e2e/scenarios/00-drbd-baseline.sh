#!/usr/bin/env bash
# Baseline every later scenario builds on: DRBD r0 created and synced, ext4 on
# it, then the tutorial's stack under Pacemaker with our agents (ocf:mfs:drbd
# promotable clone, Filesystem on /data, ocf:mfs:master with DATA_PATH on it,
# IPaddr2 VIP), and a standby failover there and back (unless
# BASELINE_FAILOVERS=0). Leaves the cluster
# running, all resources started, node1 and node2 online.
set -eu
. "$(dirname "$0")/../../lab/lib.sh"
. "$(dirname "$0")/mfs.sh"
CRM=$(cd "$(dirname "$0")" && pwd)/00-drbd-baseline.crm

log "DRBD: create-md + up on both nodes"
for n in node1 node2; do
  x $n 'drbdadm create-md --force r0 </dev/null >/dev/null 2>&1 && drbdadm up r0'
done
timer_start drbd_connect
wait_drbd node1 'cs:(Connected|SyncSource|SyncTarget)' 60
timer_stop drbd_connect

log "DRBD: initial sync from node1"
timer_start drbd_initial_sync
x node1 'drbdadm primary --force r0'
wait_drbd node1 'cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate' 300
wait_drbd node2 'cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate' 60
timer_stop drbd_initial_sync

new_fs node1 'echo baseline >/data/baseline.txt'

log "Pacemaker: start corosync + pacemaker on both nodes"
timer_start cluster_online
lab cluster-start
lab cluster-wait 300
timer_stop cluster_online

log "Pacemaker: load the stack"
timer_start stack_started
# Pacemaker before 2.1 (Debian 11's 2.0) knows the roles as Master and
# Slave only, and its crmsh rejects the new names: the same stack is loaded
# in the names the guest's Pacemaker reads (it has no crm_attribute
# --promotion either). Pacemaker 3.0 lists --promotion under --help-all
# only; its crmsh then rejects Master in a configuration as invalid.
x node1 "if crm_attribute --help-all 2>&1 | grep -q -- --promotion; then crm configure load update $CRM
  else sed -e 's/role=Promoted/role=Master/; s/role=Unpromoted/role=Slave/; s/:Promoted\$/:Master/' $CRM >/tmp/stack.crm &&
    crm configure load update /tmp/stack.crm; fi"
wait_crm node1 "p_vip[[:space:]].*Started node[12]" 300
timer_stop stack_started
x node1 'crm_mon -1r'

# check_active NODE: the file system, the data, the VIP and the DRBD
# Primary are all on NODE (the peer may be Secondary or gone).
check_active() {
  x "$1" "mountpoint -q /data || { echo '/data not mounted'; exit 1; }
    grep -qx baseline /data/baseline.txt || { echo 'baseline.txt lost'; exit 1; }
    ip -o addr show dev eth0 | grep -q ' $VIP/24 ' || { echo 'no VIP'; ip -o addr; exit 1; }
    drbdadm role r0 | grep -q '^Primary/' || { echo \"role: \$(drbdadm role r0)\"; exit 1; }
    pid=\$(head -1 /data/mfs/.mfsmaster.lock) && [ \"\$(cat /proc/\$pid/comm)\" = mfsmaster ] || { echo 'no mfsmaster'; exit 1; }"
  master_answers "$1"
}
failover() { # failover FROM TO
  log "standby $1: everything moves to $2"
  timer_start "failover_$1_to_$2"
  x node1 "crm_attribute --node $1 --name standby --update on"
  wait_crm node1 "p_vip[[:space:]].*Started $2" 240
  timer_stop "failover_$1_to_$2"
  check_active "$2"
  x node1 "crm_attribute --node $1 --name standby --update off"
  # Back online, the old node must rejoin as Unpromoted with DRBD in sync.
  wait_crm node1 "Unpromoted: \\[ $1 \\]" 240
  wait_drbd "$1" 'cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate' 120
}

A=$(locate p_fs)
case $A in node1) B=node2 ;; node2) B=node1 ;; *) echo "p_fs is not running anywhere"; exit 1 ;; esac
check_active "$A"
# make soak builds on this stack and runs its own standby rounds: it skips
# the two failovers (BASELINE_FAILOVERS=0), a minute of its setup.
if [ "${BASELINE_FAILOVERS:-1}" = 1 ]; then
  failover "$A" "$B"
  failover "$B" "$A"
fi
x node1 'crm_mon -1r'
log "baseline done: stack on $A, $B Unpromoted"
