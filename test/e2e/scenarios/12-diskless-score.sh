#!/usr/bin/env bash
# The promotion score of a Secondary whose disk is detached (Diskless, its
# peer UpToDate): linbit's table gives it 10, the "only remote access to
# UpToDate data" slot, so that it stays a last resort rather than none.
# The other states the lab produces are checked on its captures
# (internal/agent/drbd TestLinbitScoresOnLabCaptures); this one needs a
# detach under a running cluster. The Primary must keep serving, and after
# the disk is attached again and resynced the Secondary's score is back.
set -eu
. "$(dirname "$0")/../../lab/lib.sh"
. "$(dirname "$0")/mfs.sh"

wait_crm node1 "p_mfs[[:space:]].*Started" 300
P=$(locate p_fs)
S=$(other "$P")
score_is "$S" 10000

log "drbdadm detach r0 on $S (Secondary)"
x "$S" 'drbdadm detach r0'
wait_drbd "$S" 'ds:Diskless/UpToDate' 60
x "$S" 'cat /proc/drbd'
timer_start diskless_score
# One unpromoted-monitor interval (30 s) and the monitor's own time.
score_is "$S" 10 60
timer_stop diskless_score
log "$SCORE on $S is 10 while Diskless; $P still $(x "$P" "sed -n 's/.*ro:\([A-Za-z]*\)\/.*/\1/p' /proc/drbd")"
[ "$(locate p_fs)" = "$P" ] || { echo "p_fs moved from $P"; exit 1; }
master_answers "$P"

log "drbdadm attach r0 on $S"
x "$S" 'drbdadm attach r0'
wait_drbd "$S" 'ds:UpToDate/UpToDate' 180
score_is "$S" 10000 60
x node1 'crm_mon -1rf'
