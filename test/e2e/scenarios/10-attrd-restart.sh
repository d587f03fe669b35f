#!/usr/bin/env bash
# The attribute daemon dies under a Primary and pacemakerd restarts it.
# The promotion scores are transient attributes: the new daemon may start
# without them, and a promoted clone without a score can be demoted. The
# agent notes the daemon it last wrote to (its pid and start time, read
# from /proc without a fork), so the next monitor after the restart writes
# the score again. It must be back, and DRBD still Primary where it was,
# within one promoted-monitor interval (15 s) and the monitor's own time.
set -eu
. "$(dirname "$0")/../../lab/lib.sh"
. "$(dirname "$0")/mfs.sh"

wait_crm node1 "p_mfs[[:space:]].*Started" 300
P=$(locate p_fs)
[ -n "$P" ] || { echo "p_fs runs nowhere"; exit 1; }
S=$(other "$P")
score_is "$P" 10000 60
log "before: $SCORE is $(score "$P") on $P (Primary), $(score "$S") on $S"

pid=$(x "$P" 'pidof pacemaker-attrd')
[ -n "$pid" ] || { echo "no pacemaker-attrd on $P"; exit 1; }
log "kill -9 pacemaker-attrd (pid $pid) on $P"
x "$P" "kill -9 $pid"
timer_start attrd_restart_score_back
wait_for "$P" "p=\$(pidof pacemaker-attrd) && [ \"\$p\" != $pid ]" 60
log "pacemaker-attrd is back on $P as pid $(x "$P" 'pidof pacemaker-attrd'); $SCORE reads '$(score "$P")' right after"
score_is "$P" 10000 40
timer_stop attrd_restart_score_back
log "after: $SCORE is $(score "$P") on $P, $(score "$S") on $S"

x "$P" "grep -q 'ro:Primary/' /proc/drbd" || { x "$P" 'cat /proc/drbd'; echo "DRBD on $P is no longer Primary"; exit 1; }
[ "$(locate p_fs)" = "$P" ] || { echo "p_fs moved from $P to $(locate p_fs)"; exit 1; }
master_answers "$P"
x node1 'crm_mon -1rf'
