#!/usr/bin/env bash
# Scenario 2: kill -9 of mfsmaster. The tutorial's LSB script kept saying
# "running" and a cron job restarted the master; here Pacemaker's monitor
# (ocf:mfs:master, every 10 s) notices, and the restart goes through
# mfsmaster -a because a killed master leaves no metadata.mfs behind. Files
# written before the kill are all there afterwards.
set -eu
. "$(dirname "$0")/../../lab/lib.sh"
. "$(dirname "$0")/mfs.sh"

stack_and_files kill9
old=$(x "$A" 'head -1 /data/mfs/.mfsmaster.lock')

log "kill -9 mfsmaster (pid $old) on $A"
x "$A" "kill -9 $old"
timer_start kill9_detected
# The monitor's failure shows as a failed action of p_mfs.
wait_crm node1 "p_mfs.*(not running|error)" 120
timer_stop kill9_detected
timer_start kill9_recovered
wait_for "$A" "pid=\$(head -1 /data/mfs/.mfsmaster.lock 2>/dev/null) && [ \"\$pid\" != $old ] && [ \"\$(cat /proc/\$pid/comm 2>/dev/null)\" = mfsmaster ]" 180 1
master_answers "$A"
timer_stop kill9_recovered
[ "$(locate p_mfs)" = "$A" ] || { echo "p_mfs moved away from $A instead of restarting in place"; exit 1; }
# A killed master leaves metadata.mfs.back and changelogs but no
# metadata.mfs: the restart had to take the -a path.
x "$A" "grep -h 'recovery true\|starting with -a' /var/log/pacemaker/*.log 2>/dev/null | tail -2" || log "(the agent's log lines are not in pacemaker.log on this build)"
check_files "$B" kill9
x node1 'crm resource cleanup p_mfs >/dev/null'
wait_crm node1 "p_vip[[:space:]].*Started $A" 120
x node1 'crm_mon -1rf'
