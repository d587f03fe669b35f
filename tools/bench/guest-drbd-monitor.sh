#!/bin/bash
# Runs inside a lab node: N monitors of one agent on the real resource r0.
# Prints one more monitor's strace output (STRACE_ARGS, from tools/bench) as
# TRACE lines, for the host to count processes (threads are not: a Go
# agent's runtime threads would count in /proc/stat's counter) and programs
# run; then, last, one line of totals: wall time, CPU from the shell's
# children times, attribute tool calls through logging shims placed first
# in PATH and HA_SBIN_DIR.
#   STRACE_ARGS='...' guest-drbd-monitor.sh AGENT_PATH INSTANCE N
set -u
agent=$1 inst=$2 n=$3
shim=/tmp/bench-shim
mkdir -p $shim
for t in crm_attribute crm_master; do
  real=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v $t)
  printf '#!/bin/sh\necho "%s $*" >>%s/calls\nexec %s "$@"\n' "$t" "$shim" "$real" >$shim/$t
  chmod 755 $shim/$t
done
export PATH=$shim:$PATH HA_SBIN_DIR=$shim OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=$inst \
  OCF_RESKEY_drbd_resource=r0 OCF_RESKEY_CRM_meta_interval=10000 OCF_RESKEY_CRM_meta_timeout=20000 \
  OCF_RESKEY_CRM_meta_clone_max=2 OCF_RESKEY_CRM_meta_clone_node_max=1 OCF_RESKEY_CRM_meta_promotable=true \
  OCF_RESKEY_CRM_meta_master_max=1 OCF_RESKEY_CRM_meta_master_node_max=1 \
  OCF_RESKEY_CRM_meta_promoted_max=1 OCF_RESKEY_CRM_meta_promoted_node_max=1 OCF_RESKEY_CRM_meta_notify=true \
  HA_LOGFACILITY=none
# One warm-up run settles the score (and our agent's note), as on a
# cluster that has been running for a while.
$agent monitor >/dev/null 2>&1
rm -f $shim/calls
codes=""
times >$shim/times0 # what the warm-up cost, to subtract
cpu0=$(tail -1 $shim/times0)
t0=$(date +%s%N)
for ((i = 0; i < n; i++)); do
  $agent monitor >/dev/null 2>&1
  codes="$codes $?"
done
t1=$(date +%s%N)
times >$shim/times # in this shell: its children's CPU, not a subshell's
cpu=$(tail -1 $shim/times)
calls=$(wc -l <$shim/calls 2>/dev/null || echo 0)
writes=$(grep -cE -- ' -v | -D' $shim/calls 2>/dev/null || echo 0)
# The host counts processes and programs in the trace (tools/bench countTrace).
strace $STRACE_ARGS -o $shim/strace $agent monitor >/dev/null 2>&1
sed 's/^/TRACE /' $shim/strace
echo "agent=$agent n=$n wall_ns=$((t1 - t0)) cpu_user=${cpu% *} cpu_sys=${cpu#* } cpu0_user=${cpu0% *} cpu0_sys=${cpu0#* } attr_calls=$calls attr_writes=$writes codes=$(echo $codes | tr ' ' '\n' | sort | uniq -c | awk '{printf "%s:%s,", $2, $1}')"
