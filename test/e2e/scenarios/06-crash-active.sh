#!/usr/bin/env bash
# Scenario 3: the active node crashes (its qemu quits, no clean shutdown).
# The survivor promotes DRBD, mounts /data and starts mfsmaster through the
# -a path (a crashed master leaves no metadata.mfs); every file a client
# wrote before the crash is there. The crashed node boots again, rejoins,
# resyncs and comes back as Unpromoted.
set -eu
. "$(dirname "$0")/../../lab/lib.sh"
. "$(dirname "$0")/mfs.sh"

stack_and_files crash

log "crash $A (qemu quit)"
lab mon "$A" quit >/dev/null 2>&1 || true
timer_start crash_takeover
wait_crm "$B" "p_vip[[:space:]].*Started $B" 300
master_answers "$B"
timer_stop crash_takeover
x "$B" "grep -h 'recovery true\|starting with -a' /var/log/pacemaker/*.log 2>/dev/null | tail -2" || log "(the agent's log lines are not in pacemaker.log on this build)"
check_files "$B" crash

log "boot $A again; it rejoins and resyncs"
timer_start crash_rejoin
lab up "$A"
lab cluster-start "$A"
wait_crm "$B" "Unpromoted: \\[ $A \\]" 300
wait_drbd "$A" 'cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate' 300
timer_stop crash_rejoin
check_files "$B" crash
x "$B" 'crm_mon -1r'
