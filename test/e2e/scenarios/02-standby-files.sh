#!/usr/bin/env bash
# Scenario 1 of the e2e issue: standby failover and back, with a real
# MooseFS client. Files and directories written through mfsmount before
# `crm node standby` are all there, with the same content, once the whole
# stack (DRBD Primary, /data, mfsmaster, VIP) runs on the other node; then
# the node comes back online as Unpromoted.
set -eu
. "$(dirname "$0")/../../lab/lib.sh"
. "$(dirname "$0")/mfs.sh"

stack_and_files standby
check_files "$B" standby

log "crm node standby $A: the stack moves to $B"
timer_start standby_failover
x node1 "crm node standby $A"
wait_crm node1 "p_vip[[:space:]].*Started $B" 300
master_answers "$B"
timer_stop standby_failover
[ "$(locate p_mfs)" = "$B" ] || { echo "p_mfs is not on $B"; exit 1; }
check_files "$B" standby
x "$B" "ls $MNT/standby/a/b/c | wc -l | grep -qx 5"

log "crm node online $A: it rejoins as Unpromoted and resyncs"
timer_start standby_rejoin
x node1 "crm node online $A"
wait_crm node1 "Unpromoted: \\[ $A \\]" 240
wait_drbd "$A" 'cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate' 180
timer_stop standby_rejoin
x node1 'crm_mon -1r'
