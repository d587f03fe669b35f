#!/usr/bin/env bash
# make soak: boots the two-VM lab from nothing with fencing (LAB_SBD=1),
# builds the e2e baseline stack (test/e2e/scenarios/00-drbd-baseline.sh),
# turns fencing on (fencing.crm, DRBD fencing resource-and-stonith with
# ocf-mfs's handlers), starts both chunkservers and runs the soak driver
# (tools/soak). Always tears the lab down; on failure the lab's state goes
# to test/soak/artifacts/.
#
#   test/soak/soak.sh [ROUNDS [SEED]]
#
# Environment: SOAK_FAULTS (comma-separated, default all), SOAK_OUT
# (Markdown file for the table, default docs/benchmarks.md; empty: none),
# SOAK_NOFENCE=1 (no SBD: stonith-enabled=false, no partition fault), LAB,
# OCF_MFS_BIN (see test/lab/lab.sh), SOAK_KEEP=1 to leave the VMs running.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SC=$REPO/test/e2e/scenarios
. "$REPO/test/lab/lib.sh"
. "$SC/mfs.sh"
. "$SC/fence.sh"
ROUNDS=${1:-30} SEED=${2:-0}
export OCF_MFS_BIN=${OCF_MFS_BIN:-$REPO/bin}
FENCE=1
[ "${SOAK_NOFENCE:-0}" = 1 ] && FENCE=0
export LAB_SBD=$FENCE
ART=$HERE/artifacts
SOAK_BIN=$OCF_MFS_BIN/soak

teardown() { [ "${SOAK_KEEP:-0}" = 1 ] || lab down >/dev/null 2>&1; }
trap teardown EXIT
trap 'exit 130' INT TERM
fail() {
  echo "soak: $*"
  lab collect "$ART" >/dev/null 2>&1
  echo "soak: the lab's state is in $ART"
  exit 1
}

[ -x "$SOAK_BIN" ] || fail "$SOAK_BIN missing (make soak builds it)"
rm -rf "$ART"
t0=$SECONDS
log "lab: boot from nothing (LAB=$LAB, LAB_SBD=$LAB_SBD)"
lab down >/dev/null 2>&1
{ [ -d "$LAB/kernel/root/boot" ] || lab kernel; } && lab build >/dev/null && lab wipe-disks && lab up || fail "the lab did not boot"
rm -rf "$LAB/share/node1/soak" "$LAB/share/node2/soak"
BASELINE_FAILOVERS=0 bash "$SC/00-drbd-baseline.sh" || fail "baseline failed"

if [ $FENCE = 1 ]; then
  log "fencing: fence_sbd, stonith-enabled=true, DRBD resource-and-stonith"
  x node1 'sbd -d /dev/vdc list' || fail "sbd has no slots"
  x node1 "crm configure load update $HERE/fencing.crm && crm_resource -r p_mfs --meta -p priority -v 10 >/dev/null" || fail "fencing configuration refused"
  fencing resource-and-stonith || fail "DRBD fencing not set"
  wait_crm node1 'st_sbd[[:space:]].*Started' 180 || fail "st_sbd did not start"
fi
chunkservers_up || fail "chunkservers did not register"
log "stack ready after $((SECONDS - t0))s"

fenceflag=()
[ $FENCE = 1 ] && fenceflag=(-fencing)
# After a partition's first fencing, a second could follow until the
# first fencer's msgwait has passed.
msgwait=$(sed -n 's/^LAB_SBD_MSGWAIT=//p' "$REPO/test/lab/guest/sbd.default")
"$SOAK_BIN" run -rounds "$ROUNDS" -seed "$SEED" -faults "${SOAK_FAULTS:-all}" "${fenceflag[@]}" -fence-wait "$((msgwait + 5))s" \
  -lab "$REPO/test/lab/lab.sh" -bin "$SOAK_BIN" -o "${SOAK_OUT-$REPO/docs/benchmarks.md}"
rc=$?
log "soak done in $((SECONDS - t0))s (exit $rc)"
[ $rc = 0 ] || fail "soak failed (exit $rc)"
