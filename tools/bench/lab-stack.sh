#!/usr/bin/env bash
# make bench: failover of the tutorial's whole stack in the lab, ours against
# what the tutorial runs. Run on the host, with the lab up, the cluster online
# and DRBD r0 up, connected and in sync (tools/bench sets that up).
#
#   lab-stack.sh prepare    ext4 on r0 with an empty master in /data/mfs
#   lab-stack.sh ours       ms ocf:mfs:drbd + Filesystem + ocf:mfs:master + VIP
#   lab-stack.sh tutorial   ms ocf:linbit:drbd + Filesystem + lsb init script
#                           (status always 0) + the cron watchdog
#
# Each stack is loaded, started, failed over by standby and back online, and
# then its active node is crashed (qemu quit). Failover is timed from the
# command (or the crash) until a client on the survivor reaches a master
# through the VIP, for at most BENCH_FAILOVER_LIMIT seconds (default 240).
# Prints "RESULT stack=S event=E seconds=N recovered=yes|no limit=L".
# The crashed node is booted again and rejoins when the stack recovered;
# the tutorial's does not, so run it last.
#
# With BENCH_TIMELINES set (a host folder), each event also leaves
# $BENCH_TIMELINES/STACK-EVENT/ for tools/bench's waterfall: NODE.log, every
# line each live node's pacemaker.log gained from just before the fault
# until the cluster settled after it, and meta: "fault=EPOCH" (host clock),
# "clock node=N host=EPOCH guest=EPOCH rtt=SECONDS" per live node (to put
# both nodes on the host's axis; the host's time is the middle of the round
# trip that read the guest's) and "gone node=N" for a crashed node, whose log died
# with its VM.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$REPO/test/lab/lib.sh"
. "$REPO/test/e2e/scenarios/mfs.sh"
CRM=$REPO/test/e2e/scenarios/00-drbd-baseline.crm
LIMIT=${BENCH_FAILOVER_LIMIT:-240}

# The tutorial's check_mfsmaster.sh, run five times a minute by cron.
WATCHDOG='while sleep 10; do [[ -z $(netstat -ntlp | grep mfsmaster) ]] && /etc/init.d/mfsmaster-tutorial start; done'
INIT='#!/bin/bash
# The tutorial'"'"'s mfsmaster init script (ocf-mfs benchmark copy).
CFG=/etc/mfs/mfsmaster-ha.cfg
case "$1" in
start) [[ -z $(netstat -ntlp | grep mfsmaster) ]] && rm -f /data/mfs/.mfsmaster.lock; mfsmaster -c $CFG start ;;
stop) mfsmaster -c $CFG stop ;;
status) mfsmaster -c $CFG test ;;
esac
exit 0'

# serving_cond: the node holds the VIP and a client there gets an answer.
serving_cond() { echo "ip -o addr show dev eth0 | grep -q ' $VIP/' && $ANSWERS"; }

PLOG=/var/log/pacemaker/pacemaker.log
TL=${BENCH_TIMELINES:-}
declare -A LOGAT=()

# mark_logs: remember how long each node's pacemaker.log is, before a fault.
mark_logs() {
  [ -n "$TL" ] || return 0
  local n
  for n in node1 node2; do LOGAT[$n]=$(x $n "wc -l <$PLOG" 2>/dev/null || echo 0); done
}

# save_logs STACK EVENT T0 GONE: once the cluster settled, what each node
# but GONE logged since mark_logs, and the clocks, into $TL/STACK-EVENT.
save_logs() {
  [ -n "$TL" ] || return 0
  local d=$TL/$1-$2 n h1 g h2 live
  rm -rf "$d" && mkdir -p "$d"
  echo "fault=$3" >"$d/meta"
  if [ -n "${4:-}" ]; then
    echo "gone node=$4" >>"$d/meta"
    live=$(other "$4")
  else
    live="node1 node2"
  fi
  # Pacemaker may still be running actions when the client first gets an
  # answer (a monitor, a notify): wait, boundedly, until it has none left.
  x "${live%% *}" "timeout 120 crm_resource --wait >/dev/null 2>&1" || true
  for n in $live; do
    x $n "tail -n +$((${LOGAT[$n]:-0} + 1)) $PLOG" >"$d/$n.log" || true
    h1=$(now)
    g=$(x $n "date +%s.%N") || continue
    h2=$(now)
    echo "clock node=$n host=$(awk -v a="$h1" -v b="$h2" 'BEGIN { printf "%.6f", (a + b) / 2 }') guest=$g" \
      "rtt=$(awk -v a="$h1" -v b="$h2" 'BEGIN { printf "%.6f", b - a }')" >>"$d/meta"
  done
}

result() { echo "RESULT stack=$1 event=$2 seconds=$3 recovered=$4 limit=$LIMIT"; }

# timed_until STACK EVENT NODE T0: seconds from T0 until NODE serves.
timed_until() {
  local t0=$4 ok=yes
  wait_for "$3" "$(serving_cond)" "$LIMIT" 0.5 >/dev/null || ok=no
  result "$1" "$2" "$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')" $ok
}

# stack_crm STACK: the crm configuration of STACK, from the e2e baseline's.
stack_crm() {
  if [ "$1" = tutorial ]; then
    awk '/^primitive p_mfs / { print "primitive p_mfs lsb:mfsmaster-tutorial \\\n    op monitor interval=10 timeout=30"; skip = 1; next }
      skip && /\\$/ { next }
      skip { skip = 0; next }
      { sub("ocf:mfs:drbd", "ocf:linbit:drbd"); print }' "$CRM"
  else
    cat "$CRM"
  fi
}

# load STACK: replace whatever runs with STACK's resources and wait until
# they serve.
load() {
  x node1 "crm configure property stop-all-resources=true >/dev/null 2>&1 || true"
  wait_for node1 "! crm_mon -1r 2>/dev/null | grep -Eq 'Started|Promoted:|Unpromoted:'" 300 2
  x node1 "cibadmin --replace --scope constraints --xml-text '<constraints/>' &&
    cibadmin --replace --scope resources --xml-text '<resources/>' &&
    crm_resource --cleanup >/dev/null 2>&1; crm configure property stop-all-resources=false"
  stack_crm "$1" | put node1 /tmp/stack.crm
  x node1 "crm configure load update /tmp/stack.crm"
  wait_for node1 "crm_resource --locate -r p_vip 2>/dev/null | grep -q 'running on'" 300 2
  A=$(locate p_mfs)
  wait_for "$A" "$(serving_cond)" 300 1
}

case ${1:-} in
prepare)
  new_fs node1 ;;
ours | tutorial)
  S=$1
  if [ "$S" = tutorial ]; then
    for n in node1 node2; do
      put $n /etc/init.d/mfsmaster-tutorial <<<"$INIT"
      x $n "chmod 755 /etc/init.d/mfsmaster-tutorial"
      x $n "setsid bash -c '$WATCHDOG' </dev/null >/dev/null 2>&1 &"
    done
  fi
  log "$S: load the stack"
  load "$S"
  B=$(other "$A")
  log "$S: standby $A"
  mark_logs
  t0=$(now)
  x node1 "crm node standby $A"
  timed_until "$S" standby_failover "$B" "$t0"
  save_logs "$S" standby_failover "$t0"
  x node1 "crm node online $A"
  wait_for node1 "crm_mon -1r | grep -q 'Unpromoted: \\[ $A \\]'" 300 2
  wait_drbd "$A" 'cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate' 300 >/dev/null
  A=$B B=$(other "$B")
  log "$S: crash $A (qemu quit)"
  mark_logs
  t0=$(now)
  lab mon "$A" quit >/dev/null 2>&1 || true
  out=$(timed_until "$S" crash_takeover "$B" "$t0")
  echo "$out"
  save_logs "$S" crash_takeover "$t0" "$A"
  x "$B" "crm_mon -1r | grep -E 'p_mfs|p_vip|Promoted'" | sed "s/^/$S after crash: /"
  case $out in
  *recovered=yes*)
    log "$S: boot $A again; it rejoins and resyncs"
    lab up "$A" >/dev/null
    lab cluster-start "$A" >/dev/null
    wait_for "$B" "crm_mon -1r | grep -q 'Unpromoted: \\[ $A \\]'" 300 2
    wait_drbd "$A" 'cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate' 300 >/dev/null ;;
  esac ;;
*)
  echo "usage: $0 prepare|ours|tutorial" >&2
  exit 2 ;;
esac
