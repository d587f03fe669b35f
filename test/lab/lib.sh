# Helpers for scripts that drive the lab (source it; bash only).
#
#   lab ARGS...                    test/lab/lab.sh ARGS...
#   x NODE CMD                     run CMD in NODE (lab.sh exec)
#   wait_for NODE 'COND' [SECS]    poll COND (bash) inside NODE until it exits 0;
#                                  on timeout print COND's last output, return 1
#   wait_drbd NODE REGEX [SECS]    until /proc/drbd matches the extended REGEX
#   wait_crm NODE REGEX [SECS]     until `crm_mon -1r` matches the extended REGEX
#   timer_start NAME / timer_stop NAME
#                                  print "TIMING name=NAME seconds=S.S" at stop
#   timed NAME CMD...              run CMD, print its TIMING line, keep its exit code
#   log MSG                        timestamped progress line on stderr
#
# The polling loops run in the guest, so a wait costs one round trip to the
# VM however long it takes. TIMING lines are what `make bench` parses.

LAB_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_SH=$LAB_LIB_DIR/lab.sh
export LAB=${LAB:-/tmp/ocf-mfs-lab}

lab() { "$LAB_SH" "$@"; }
x() { "$LAB_SH" exec "$@"; }

# put NODE FILE: stdin becomes FILE in NODE, byte for byte, its folder
# made if missing (lab exec passes a command line, not stdin).
put() { x "$1" "mkdir -p \$(dirname $2) && echo $(base64 -w0) | base64 -d >$2"; }

now() { date +%s.%N; }
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# wait_for NODE 'COND' [SECS] [INTERVAL]
wait_for() {
  local node=$1 cond=$2 t=${3:-120} iv=${4:-0.5} q
  printf -v q '%q' "$cond"
  LAB_TIMEOUT=$((t + 60)) x "$node" "s=\$SECONDS
    while :; do
      out=\$(bash -c $q 2>&1) && exit 0
      if ((SECONDS - s >= $t)); then
        [ -n \"\$out\" ] && printf '%s\n' \"\$out\"
        echo \"wait_for: condition still false after ${t}s on \$(hostname): \"$q
        exit 1
      fi
      sleep $iv
    done"
}

wait_drbd() {
  local q
  printf -v q '%q' "$2"
  wait_for "$1" "grep -Eq $q /proc/drbd || { cat /proc/drbd; exit 1; }" "${3:-120}"
}

wait_crm() {
  local q
  printf -v q '%q' "$2"
  # crm_mon before Pacemaker 2.1 says Masters/Slaves where later ones say
  # Promoted/Unpromoted: the patterns use the new names for both.
  wait_for "$1" "crm_mon -1r 2>&1 | sed -e 's/Masters: \\[/Promoted: [/; s/Slaves: \\[/Unpromoted: [/' >/tmp/crm_mon.wait; grep -Eq $q /tmp/crm_mon.wait || { cat /tmp/crm_mon.wait; exit 1; }" "${3:-180}" 2
}

declare -A LAB_TIMERS=()
timer_start() { LAB_TIMERS[$1]=$(now); }
timer_stop() {
  local s=${LAB_TIMERS[$1]:-}
  [ -n "$s" ] || { echo "timer_stop: no timer '$1'" >&2; return 1; }
  unset "LAB_TIMERS[$1]"
  awk -v n="$1" -v a="$s" -v b="$(now)" 'BEGIN { printf "TIMING name=%s seconds=%.1f\n", n, b - a }'
}
timed() {
  local name=$1 rc
  shift
  timer_start "$name"
  "$@"
  rc=$?
  timer_stop "$name"
  return $rc
}
