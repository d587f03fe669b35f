#!/usr/bin/env bash
# make demo: a local, single-node Pacemaker managing a real mfsmaster through
# ocf:mfs:master, with a chunkserver and a client mount, on loopback. It
# shows what the tutorial's LSB script could not do: Pacemaker itself
# notices a kill -9 of mfsmaster and restarts it, and the clients' files are
# all still there. Unattended, about a minute once the packages are there.
# It runs in the harness's sandbox (test/harness/local.sh): this node's own
# cluster, if it has one, is never read or touched, and the agents it runs
# are the ones just built, not installed anywhere. It cleans up after itself,
# also on Ctrl-C; make demo-stop does the same after a harder interruption.
#
#   scripts/demo.sh          the demo
#   scripts/demo.sh stop     clean up only
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
H=$REPO/test/harness/local.sh
eval "$("$H" env)"
RSC=p_mfs
MONITOR=5

step() { printf '\n\033[1m==> [%3ds] %s\033[0m\n' "$SECONDS" "$*"; }
say() { printf '    %s\n' "$*"; }
crm_mon1() { "$H" run crm_mon -1rf 2>/dev/null | sed 's/^/    | /'; }
lock_pid() { head -1 "$DATA/.mfsmaster.lock" 2>/dev/null || true; }
is_master() { [ -n "$1" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = mfsmaster ] && ! grep -q '^State:.*[TZ]' "/proc/$1/status" 2>/dev/null; }
# The checks read a tool's whole output before matching it: under pipefail,
# `tool | grep -q` is false whenever grep matches before the tool is done
# writing, which made the demo wait out a master that was answering.
answers() { local out; out=$("$H" run mfscli -H "$ADDR" -P "$MATOCL" -SIN 2>/dev/null) && [[ $out == *"master version"* ]]; }
noticed() { local out; out=$("$H" run crm_mon -1rf 2>/dev/null) && grep -q "$RSC.*monitor.*not running" <<<"$out"; }
# until SECONDS WHAT CMD...: poll, never a fixed sleep.
until_ok() {
  local t=$1 what=$2 s=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS - s < t)) || { echo "demo: timed out after ${t}s waiting for $what" >&2; crm_mon1 >&2; return 1; }
    sleep 0.2
  done
}

# secs FROM TO: the seconds between two `date +%s.%N` stamps, to a tenth.
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# cleanup: the harness stops the client, the chunkserver, the master (through
# Pacemaker) and the cluster, in that order, then the sandbox.
cleanup() { "$H" down; }

if [ "${1:-}" = stop ]; then
  cleanup
  echo "demo: stopped and cleaned up"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "demo: run as root (it starts corosync and pacemaker)" >&2; exit 1; }

step "Installing what the demo needs and building ocf-mfs"
"$REPO/scripts/deps.sh" demo
make -C "$REPO" --no-print-directory build >/dev/null
say "ocf:mfs:master is $("$REPO/bin/ocf-mfsmaster" version), as built in bin/"

trap 'trap - EXIT INT TERM; echo; echo "==> Cleaning up"; cleanup; echo "demo: cleaned up"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
step "Starting a single-node cluster (corosync + pacemakerd, no systemd)"
t=$SECONDS
"$H" cluster-start
eval "$("$H" env)"
say "node online after $((SECONDS - t)) s, in a sandbox of its own (mount, network, IPC namespaces)"

step "Configuring mfsmaster under Pacemaker with crm, as an operator would"
"$H" mfs-setup >/dev/null
cmd=(crm configure primitive "$RSC" ocf:mfs:master params config="$CFG"
  op start timeout=300s op stop timeout=600s
  op monitor interval=${MONITOR}s timeout=30s
  op monitor interval=60s timeout=30s OCF_CHECK_LEVEL=20)
say "${cmd[*]}"
"$H" run "${cmd[@]}" 2>&1 | grep -v 'WARNING' | sed 's/^/    /' || true
until_ok 120 "mfsmaster to start" sh -c "pid=\$(head -1 $DATA/.mfsmaster.lock 2>/dev/null) && [ \"\$(cat /proc/\$pid/comm 2>/dev/null)\" = mfsmaster ]"
until_ok 60 "mfsmaster to answer clients" answers
crm_mon1

step "A chunkserver and a client mount (mfsmount over FUSE) at $MNT"
"$H" chunk-start
"$H" mount
# The mount is the sandbox's; the host reaches it through the holder's root.
mkdir -p "$CLIENT/demo/docs" "$CLIENT/demo/photos/2026"
for i in 1 2 3; do head -c $((i * 200000)) /dev/urandom >"$CLIENT/demo/photos/2026/img$i.raw"; done
echo "written before the kill" >"$CLIENT/demo/docs/readme.txt"
sync
(cd "$CLIENT" && find demo -type f | sort | xargs sha256sum) >"$STATE/demo.sha256"
say "$(find "$CLIENT/demo" -type f | wc -l) files in $(find "$CLIENT/demo" -type d | wc -l) directories written through the client:"
(cd "$CLIENT" && find demo | sort | sed 's/^/      /')

step "kill -9 of mfsmaster: the failure the tutorial's LSB script never reported"
old=$(lock_pid)
say "mfsmaster runs as pid $old; killing it with SIGKILL"
t0=$(date +%s.%N)
kill -9 "$old"
until_ok 120 "Pacemaker to notice" noticed
t1=$(date +%s.%N)
say "Pacemaker's monitor noticed after $(secs "$t0" "$t1") s (monitor interval ${MONITOR} s):"
"$H" run crm_mon -1rf 2>/dev/null | grep "$RSC.*monitor" | sed 's/^/      /'
until_ok 120 "the restart" sh -c "pid=\$(head -1 $DATA/.mfsmaster.lock 2>/dev/null) && [ \"\$pid\" != $old ] && [ \"\$(cat /proc/\$pid/comm 2>/dev/null)\" = mfsmaster ]"
until_ok 60 "mfsmaster to answer clients" answers
t2=$(date +%s.%N)
new=$(lock_pid)
say "restarted in place as pid $new, $(secs "$t0" "$t2") s after the kill; no cron job involved"
say "metadata.mfs was missing after the kill, so the agent recovered with 'mfsmaster -a':"
ls "$DATA" | grep -E '^(metadata|changelog)' | sed 's/^/      /'
crm_mon1

step "The client's files after the restart"
until_ok 60 "the client to reconnect" test -f "$CLIENT/demo/docs/readme.txt"
if (cd "$CLIENT" && sha256sum --quiet -c "$STATE/demo.sha256"); then
  say "all $(wc -l <"$STATE/demo.sha256") files present with the same content; directories:"
  (cd "$CLIENT" && find demo -type d | sort | sed 's/^/      /')
else
  echo "demo: FILES DIFFER after the restart" >&2
  exit 1
fi

