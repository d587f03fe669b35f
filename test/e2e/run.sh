#!/usr/bin/env bash
# End-to-end suite: boots the two-VM DRBD lab from nothing (kernel download
# included when not cached), runs test/e2e/scenarios/NN-name.sh in order on
# the same VMs and always tears them down. It builds nothing: the VMs get
# the binaries already in bin/ (make build), or OCF_MFS_BIN.
#
#   test/e2e/run.sh [FILTER...]   run scenarios whose file name contains a FILTER
#                                 (default all; 00-* runs first, it builds the base,
#                                 unless every chosen scenario is standalone)
#
# Prints "PASS name (Ns)" or "FAIL name (Ns)" per scenario, TIMING lines, and
# last "N passed, M failed". A failed scenario's output and the lab's state
# (crm_mon, logs, /proc/drbd, dmesg of both nodes) go to
# test/e2e/artifacts/<scenario>/. If a 00-* scenario fails, the later ones
# cannot run and count as failed. Exit code: 0 when all passed.
#
# Environment: LAB, OCF_MFS_BIN, DISK_MB (see test/lab/lab.sh),
# E2E_SCENARIO_TIMEOUT (seconds per scenario, default 900), E2E_KEEP=1 to
# leave the VMs running afterwards.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$REPO/test/lab/lib.sh"
ART=$HERE/artifacts
export OCF_MFS_BIN=${OCF_MFS_BIN:-$REPO/bin}
export E2E_REPO=$REPO

teardown() { [ "${E2E_KEEP:-0}" = 1 ] || lab down >/dev/null 2>&1; }
trap teardown EXIT
trap 'exit 130' INT TERM

# show_artifacts DIR: the files a reader of a CI log needs first.
show_artifacts() {
  local f
  for f in "$1"/node*.crm_mon.txt "$1"/node*.proc_drbd.txt "$1"/node*.drbdadm-status.txt "$1"/node*.DOWN; do
    [ -f "$f" ] || continue
    echo "----- $f"
    cat "$f"
  done
  for f in "$1"/node*.dmesg.txt "$1"/node*.pacemaker.log; do
    [ -f "$f" ] || continue
    echo "----- $f (last 40 lines)"
    tail -n 40 "$f"
  done
}

# A scenario with a line "# e2e: standalone" builds its own cluster
# configuration from whatever the CIB holds, running or not: when only such
# scenarios are chosen, the 00-* baseline (DRBD) is not built for them.
standalone() { grep -qx '# e2e: standalone' "$1"; }
scenarios=()
base=() need_base=0
for s in "$HERE"/scenarios/[0-9][0-9]-*.sh; do
  [ -f "$s" ] || continue
  name=$(basename "$s" .sh)
  if [[ $name == 00-* ]]; then
    base+=("$s")
    continue
  fi
  if [ $# -gt 0 ]; then
    keep=0
    for f in "$@"; do [[ $name == *"$f"* ]] && keep=1; done
    [ $keep = 1 ] || continue
  fi
  standalone "$s" || need_base=1
  scenarios+=("$s")
done
if [ $need_base = 1 ] || [ ${#scenarios[@]} = 0 ]; then
  scenarios=(${base[@]+"${base[@]}"} ${scenarios[@]+"${scenarios[@]}"})
fi
[ ${#scenarios[@]} -gt 0 ] || { echo "run.sh: no scenarios"; echo "0 passed, 0 failed"; exit 1; }

[ -d "$OCF_MFS_BIN" ] || echo "run.sh: $OCF_MFS_BIN does not exist (make build): the VMs get no ocf:mfs agents"
rm -rf "$ART"
timer_start e2e_total

log "lab: boot from nothing (LAB=$LAB)"
lab down >/dev/null 2>&1
booted=1
if ! { { [ -d "$LAB/kernel/root/boot" ] || timed lab_kernel lab kernel; } &&
  timed lab_initramfs lab build && lab wipe-disks && timed lab_boot lab up; }; then
  booted=0
  lab collect "$ART/lab-up" >/dev/null 2>&1
  show_artifacts "$ART/lab-up"
fi

passed=0 failed=0 blocked=
for s in "${scenarios[@]}"; do
  name=$(basename "$s" .sh)
  if [ $booted = 0 ] || [ -n "$blocked" ]; then
    echo "FAIL $name (not run: ${blocked:-the lab did not boot})"
    failed=$((failed + 1))
    continue
  fi
  log "scenario $name"
  out=$(mktemp)
  t0=$SECONDS
  timeout -k 10 "${E2E_SCENARIO_TIMEOUT:-900}" bash "$s" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  # Every scenario's key timings, for make bench (docs/benchmarks.md).
  mkdir -p "$ART" && grep -h '^TIMING ' "$out" | sed "s/^TIMING /TIMING scenario=$name /" >>"$ART/timings.txt"
  if [ "$rc" = 0 ]; then
    echo "PASS $name ($((SECONDS - t0))s)"
    passed=$((passed + 1))
  else
    [ "$rc" = 124 ] && echo "run.sh: $name timed out after ${E2E_SCENARIO_TIMEOUT:-900}s"
    echo "FAIL $name ($((SECONDS - t0))s, exit $rc)"
    failed=$((failed + 1))
    mkdir -p "$ART/$name" && cp "$out" "$ART/$name/output.log"
    lab collect "$ART/$name" >/dev/null 2>&1
    show_artifacts "$ART/$name"
    [[ $name == 00-* ]] && blocked="$name failed"
  fi
  rm -f "$out"
done
timer_stop e2e_total | tee -a "$ART/timings.txt"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
