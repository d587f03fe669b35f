#!/usr/bin/env bash
# Regenerates test/lab/captures/: real output of drbdadm, drbdsetup,
# /proc/drbd, dmesg and the Pacemaker tools on the lab, at each state a DRBD
# pair goes through (syncing, connected, partitioned, split brain, victim
# reconnecting, resynced) and for the failing calls our code must handle.
# Each capture is STATE.NODE.NAME.txt (stdout, byte for byte) plus
# STATE.NODE.NAME.stderr.txt when stderr was not empty; README.md gets the
# table of command, node and exit code. Boots its own VMs with 256 MiB disks
# (slow resync and verify are caught mid-way) and tears them down.
#
#   test/lab/capture.sh           (VMs of the same LAB must be down)
set -eu
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
OUT=$HERE/captures
CRM=$HERE/../e2e/scenarios/00-drbd-baseline.crm
export DISK_MB=${DISK_MB:-256}
MANIFEST=$(mktemp)
trap 'lab down >/dev/null 2>&1; rm -f "$MANIFEST"' EXIT

# cap STATE NODE NAME CMD WHAT: run CMD (bash) in NODE, keep stdout, stderr
# and exit code. WHAT says what the capture shows, for the README table.
cap() {
  local state=$1 node=$2 name=$3 cmd=$4 what=$5 q share base rc
  share=$LAB/share/$node/cap base=$state.$node.$name
  printf -v q '%q' "$cmd"
  x "$node" "mkdir -p /share/cap; timeout 60 bash -c $q >/share/cap/o 2>/share/cap/e; echo \$? >/share/cap/rc" >/dev/null
  rc=$(cat "$share/rc")
  mv "$share/o" "$OUT/$base.txt"
  if [ -s "$share/e" ]; then mv "$share/e" "$OUT/$base.stderr.txt"; else rm -f "$share/e"; fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$base" "$node" "$state" "$cmd" "$rc" "$what" >>"$MANIFEST"
  echo "  $base: exit $rc"
}

# The state of r0 as every tool reports it, on one node.
cap_state() {
  local s=$1 n=$2
  cap "$s" "$n" proc-drbd 'cat /proc/drbd' "/proc/drbd in state $s"
  cap "$s" "$n" drbdadm-role 'drbdadm role r0' "local/peer role"
  cap "$s" "$n" drbdadm-cstate 'drbdadm cstate r0' "connection state"
  cap "$s" "$n" drbdadm-dstate 'drbdadm dstate r0' "local/peer disk state"
  cap "$s" "$n" drbdadm-show-gi 'drbdadm show-gi r0' "generation identifiers, explained"
  cap "$s" "$n" drbdadm-get-gi 'drbdadm get-gi r0' "generation identifiers, one line"
  cap "$s" "$n" drbdadm-status 'drbdadm status r0' "drbdadm status (works with the 8.4.11 kernel)"
  cap "$s" "$n" drbdsetup-status-json 'drbdsetup status --json' "drbdsetup status --json (DRBD 9 only)"
  cap "$s" "$n" drbdsetup-events2-now 'drbdsetup events2 --now' "drbdsetup events2 --now (DRBD 9 only)"
}

# What only depends on the configuration.
cap_config() {
  local s=$1 n=$2
  cap "$s" "$n" drbdadm-sh-resources 'drbdadm sh-resources' "configured resources"
  cap "$s" "$n" drbdadm-sh-dev 'drbdadm sh-dev r0' "device of r0"
  cap "$s" "$n" drbdadm-sh-minor 'drbdadm sh-minor r0' "minor of r0"
  cap "$s" "$n" drbdadm-dump 'drbdadm dump r0' "r0 as drbdadm parsed it"
}

mkdir -p "$OUT"
rm -f "$OUT"/*.txt
lab down >/dev/null 2>&1 || true
lab wipe-disks >/dev/null
lab up

log "unconfigured"
cap unconfigured node1 drbdadm-down-already-down 'drbdadm down r0' "down when already down"
cap unconfigured node1 proc-drbd 'cat /proc/drbd' "/proc/drbd, module loaded, no resource"
cap unconfigured node1 drbdadm-cstate 'drbdadm cstate r0' "cstate of a resource that is not up"
cap unconfigured node1 drbdadm-status 'drbdadm status r0' "status of a resource that is not up"
for n in node1 node2; do x $n 'drbdadm create-md --force r0 </dev/null >/dev/null 2>&1' ; done
cap unconfigured node1 drbdadm-up 'drbdadm up r0' "up: attach + connect"
x node2 'drbdadm up r0'
wait_drbd node1 'cs:Connected ro:Secondary/Secondary ds:Inconsistent/Inconsistent' 60

log "inconsistent: both connected, no data yet"
cap_state inconsistent node1
cap inconsistent node1 drbdadm-up-already-up 'drbdadm up r0' "up when already up"
cap inconsistent node1 drbdadm-primary-inconsistent 'drbdadm primary r0' "primary refused: local disk Inconsistent"

log "syncing at 1M/s"
for n in node1 node2; do x $n 'drbdadm disk-options --resync-rate=1M r0'; done
x node1 'drbdadm primary --force r0'
wait_drbd node1 "sync'ed:" 60
wait_for node1 "grep -q 'finish:' /proc/drbd && sleep 3" 60
cap_state syncing node1
cap_state syncing node2
for n in node1 node2; do x $n 'drbdadm disk-options --resync-rate=400M r0'; done
wait_drbd node1 'cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate' 300
wait_drbd node2 'cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate' 60

log "connected: node1 Primary with /data mounted"
x node1 'mkfs.ext4 -q -F /dev/drbd0 && mount /dev/drbd0 /data && echo common >/data/common.txt && sync'
for n in node1 node2; do cap_state connected $n; cap_config connected $n; done
cap connected node1 drbdadm-secondary-mounted 'drbdadm secondary r0' "secondary refused: device held open (mounted)"
cap connected node2 drbdadm-primary-peer-primary 'drbdadm primary r0' "primary refused: peer is Primary and connected"
cap connected node2 drbdadm-connect-already-connected 'drbdadm connect r0' "connect when already connected"
cap connected node2 drbdadm-adjust 'drbdadm adjust r0' "adjust with nothing to change"
cap connected node2 drbdadm-dump-xml 'drbdadm dump-xml r0' "r0 as XML"

log "verify at 1M/s"
for n in node1 node2; do x $n 'drbdadm disk-options --resync-rate=1M r0'; done
cap verifying node1 drbdadm-verify 'drbdadm verify r0' "start online verify"
wait_drbd node1 'verified:' 60
wait_for node1 "grep -q 'finish:' /proc/drbd && sleep 3" 60
cap verifying node1 proc-drbd 'cat /proc/drbd' "/proc/drbd during online verify (VerifyS)"
cap verifying node2 proc-drbd 'cat /proc/drbd' "/proc/drbd during online verify (VerifyT)"
cap verifying node1 drbdadm-cstate 'drbdadm cstate r0' "cstate during verify"
for n in node1 node2; do x $n 'drbdadm disk-options --resync-rate=400M r0'; done
wait_drbd node1 'cs:Connected ro:Primary/Secondary' 300
cap verified node1 dmesg-verify 'dmesg | grep -i "online verify"' "kernel lines of the finished verify"

log "partitioned: links cut, node1 writes"
lab mon node1 'set_link n0 off' >/dev/null
lab mon node2 'set_link n0 off' >/dev/null
x node1 'echo "node1 while partitioned" >/data/node1.txt && sync'
wait_drbd node1 'cs:WFConnection' 120
wait_drbd node2 'cs:WFConnection' 120
for n in node1 node2; do cap_state partitioned $n; done
cap partitioned node2 drbdadm-outdate 'drbdadm outdate r0' "outdate the Secondary by hand (what fencing does)"
cap partitioned node2 drbdadm-dstate-outdated 'drbdadm dstate r0' "dstate after outdate"
cap partitioned node2 proc-drbd-outdated 'cat /proc/drbd' "/proc/drbd with an Outdated local disk"
cap partitioned node2 drbdadm-primary-outdated 'drbdadm primary r0' "primary refused: local disk Outdated"
cap partitioned node2 drbdadm-primary-force-outdated 'drbdadm primary --force r0' "forced primary of an Outdated disk"
x node2 'mount /dev/drbd0 /data && echo "node2 while partitioned" >/data/node2.txt && sync'
for n in node1 node2; do cap_state partitioned-dual-primary $n; done

log "split-brain: links back, both StandAlone"
lab mon node1 'set_link n0 on' >/dev/null
lab mon node2 'set_link n0 on' >/dev/null
wait_drbd node1 'cs:StandAlone' 120
wait_drbd node2 'cs:StandAlone' 120
for n in node1 node2; do
  cap_state split-brain $n
  cap split-brain $n dmesg-drbd 'dmesg | grep -i drbd' "all DRBD kernel lines up to the split brain"
  cap split-brain $n dmesg-split-brain 'dmesg | grep -i "split-brain"' "the split brain detection lines"
done
cap split-brain node2 drbdadm-disconnect-standalone 'drbdadm disconnect r0' "disconnect on a StandAlone node"

log "victim node2 discards its data"
x node2 'umount /data'
cap split-brain node2 drbdadm-secondary 'drbdadm secondary r0' "victim demoted (unmounted first)"
cap split-brain node2 drbdadm-connect-discard 'drbdadm --discard-my-data connect r0' "victim reconnects, discarding its data"
wait_drbd node2 'cs:WFConnection' 30
for n in node1 node2; do cap_state victim-reconnecting $n; done

log "survivor node1 reconnects, resync"
cap victim-reconnecting node1 drbdadm-connect-survivor 'drbdadm connect r0' "survivor reconnects: resync of the victim starts"
wait_drbd node1 'cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate' 300
wait_drbd node2 'cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate' 60
for n in node1 node2; do cap_state resynced $n; done
cap resynced node1 dmesg-resync 'dmesg | grep -iE "sync|bitmap|uuid" | tail -n 40' "kernel lines of the split-brain resync"
cap resynced node1 drbdadm-adjust 'drbdadm adjust r0' "adjust with nothing to change, Primary"

log "pacemaker: the baseline stack"
x node1 'umount /data && drbdadm secondary r0'
lab cluster-start
lab cluster-wait 300
x node1 "crm configure load update $CRM"
wait_crm node1 'p_vip[[:space:]].*Started node[12]' 240
P=$(x node1 'crm_resource --locate -r p_fs' | sed -n 's/.* is running on: \([^ ]*\).*/\1/p')
cap pacemaker node1 crm_mon-1r 'crm_mon -1r' "crm_mon, both nodes online, stack started"
cap pacemaker node1 crm_mon-1rf 'crm_mon -1rf' "crm_mon with fail counts"
cap pacemaker node1 crm_mon-xml 'crm_mon --output-as=xml' "crm_mon XML"
cap pacemaker node1 crm_mon-as-xml 'crm_mon --as-xml' "crm_mon legacy XML"
for n in node1 node2; do
  cap pacemaker $n crm_attribute-promotion-G 'crm_attribute -p p_drbd_r0 -l reboot -G -q' "promotion score of the local node"
  cap pacemaker $n crm_attribute-promotion-G-verbose 'crm_attribute -p p_drbd_r0 -l reboot -G' "promotion score, full line"
done
cap pacemaker node1 crm_attribute-promotion-missing 'crm_attribute -p p_missing -l reboot -G -q' "promotion score that does not exist"
cap pacemaker node1 crm_resource-locate-clone 'crm_resource --locate -r ms_drbd' "where the promotable clone runs"
cap pacemaker node1 crm_resource-locate-primitive 'crm_resource --locate -r p_fs' "where a primitive runs"
cap pacemaker node1 cibadmin-constraints 'cibadmin -Q -o constraints' "constraints section"
FENCE='<rsc_location rsc="ms_drbd" id="drbd-fence-by-handler-r0-ms_drbd"><rule role="Promoted" score="-INFINITY" id="drbd-fence-by-handler-r0-rule-ms_drbd"><expression attribute="#uname" operation="ne" value="node1" id="drbd-fence-by-handler-r0-expr-1-ms_drbd"/></rule></rsc_location>'
cap pacemaker node1 cibadmin-create-fence "cibadmin -C -o constraints -X '$FENCE'" "fence constraint placed (crm-fence-peer)"
cap pacemaker node1 cibadmin-create-fence-again "cibadmin -C -o constraints -X '$FENCE'" "same constraint placed again"
cap pacemaker node1 cibadmin-constraints-fenced 'cibadmin -Q -o constraints' "constraints with the fence constraint"
cap pacemaker node1 cibadmin-query-fence "cibadmin -Q --xpath \"//rsc_location[@id='drbd-fence-by-handler-r0-ms_drbd']\"" "query of the fence constraint by id"
cap pacemaker node1 cibadmin-delete-fence "cibadmin -D -o constraints -X '<rsc_location id=\"drbd-fence-by-handler-r0-ms_drbd\"/>'" "fence constraint removed"
cap pacemaker node1 cibadmin-delete-fence-again "cibadmin -D -o constraints -X '<rsc_location id=\"drbd-fence-by-handler-r0-ms_drbd\"/>'" "removing it again"
cap pacemaker node1 cibadmin-query-fence-missing "cibadmin -Q --xpath \"//rsc_location[@id='drbd-fence-by-handler-r0-ms_drbd']\"" "query of a missing constraint by id"
cap pacemaker "$P" proc-drbd 'cat /proc/drbd' "/proc/drbd under Pacemaker, promoted node"
lab cluster-stop

# Versions, for the README.
V_KERNEL=$(x node1 'uname -r')
V_DRBD=$(x node1 'head -1 /proc/drbd')
V_UTILS=$(x node1 'drbdadm --version 2>/dev/null | sed -n "s/^DRBDADM_VERSION=//p"')
V_PCMK=$(x node1 'pacemakerd --version | head -1')
V_COROSYNC=$(x node1 'corosync -v | head -1')
V_RA=$(x node1 'dpkg-query -W -f="\${Version}" resource-agents')

{
  cat <<H
# DRBD and Pacemaker captures from the lab

Real output recorded on the two-VM lab (\`test/lab/lab.sh\`) by
\`test/lab/capture.sh\`; regenerate with that script (about 6 minutes).
Use them as test fixtures: replay them through a fake runner, parse them.
This is the one home of the lab's captures: tests never copy them into a
testdata directory nor climb the tree to them; they read a capture by its
name through the Go package of this directory (\`captures.go\`, which embeds
every \`*.txt\`):

    import "github.com/ocf-mfs/ocf-mfs/test/lab/captures"

    in := captures.Read(t, "split-brain.node1.proc-drbd.txt") // string; t.Fatalf if missing
    b, err := captures.Bytes("connected.node1.drbdadm-show-gi.txt")
    path := captures.File(t, "split-brain.node1.proc-drbd.txt") // written under t.TempDir()
    names, err := captures.Names("*.proc-drbd.txt")

- Kernel: Debian $V_KERNEL, DRBD module: \`$V_DRBD\`
- drbd-utils $V_UTILS (drbdadm runs its 8.4 compatibility path for this kernel)
- $V_PCMK, $V_COROSYNC, resource-agents $V_RA
- Resource r0: /dev/drbd0 on /dev/vdb (256 MiB), meta-disk internal, protocol C,
  node1 169.254.77.1, node2 169.254.77.2 (see \`test/lab/guest/etc/drbd.conf\`).
  Pacemaker stack: \`test/e2e/scenarios/00-drbd-baseline.crm\` (clone \`ms_drbd\` of
  \`p_drbd_r0\` ocf:linbit:drbd, \`p_fs\`, \`p_vip\`).

Each file is exactly the command's stdout. \`*.stderr.txt\` beside it holds its
stderr when there was any. File names: \`STATE.NODE.NAME.txt\`.

States, in the order the script goes through them:
unconfigured (module loaded, r0 down) -> inconsistent (both up, never synced)
-> syncing (initial sync at 1 MiB/s) -> connected (node1 Primary, ext4 mounted
on /data) -> verifying (online verify at 1 MiB/s) -> partitioned (both qemu
links cut, node1 wrote) -> partitioned-dual-primary (node2 outdated, forced
primary, wrote) -> split-brain (links back, both StandAlone) ->
victim-reconnecting (node2 \`--discard-my-data connect\`, node1 still
StandAlone) -> resynced (node1 connected, UpToDate/UpToDate) -> pacemaker
(corosync + pacemaker on both, the stack started; promoted node: $P).

What these versions do, worth knowing before writing a parser or a client:

- The kernel logs \`Split-Brain detected but unresolved, dropping connection!\`
  (after the \`initial-split-brain\` and \`split-brain\` helpers), and both
  nodes end \`cs:StandAlone\` when both were Primary.
- Refusals come as drbdsetup's exit code through drbdadm, reason on stderr:
  primary on an Inconsistent or Outdated disk 17 (\`(-2) Need access to
  UpToDate data\`); secondary while mounted 11 (\`(-12) Device is held open by
  someone\`); primary while the connected peer is Primary 11 (\`(-1) Multiple
  primaries not allowed by config\`); connect when connected 10 (\`(102) Local
  address(port) already in use\`); disconnect on StandAlone 10 (\`unknown
  connection\`); cstate/status of a resource that is down 10. \`up\` when up
  exits 1; \`down\` when down exits 0.
- \`drbdadm status\` and \`drbdsetup events2 --now\` work on 8.4.11;
  \`drbdsetup status --json\` does not (exit 20, \`unrecognized option '--json'\`).
- \`crm_attribute -G -q\` of a missing attribute exits 105 with nothing on
  stdout. \`cibadmin -C\` of an existing id exits 108 (\`File exists\`, a
  \`<failed>\` document on stdout); \`cibadmin -D\` of a missing element exits 0;
  \`cibadmin -Q --xpath\` of a missing element exits 105 (\`No such device or address\`).

| file | node | state | command | exit | shows |
| --- | --- | --- | --- | --- | --- |
H
  while IFS=$'\t' read -r base node state cmd rc what; do
    f="$base.txt"
    [ -f "$OUT/$base.stderr.txt" ] && f="$f (+ .stderr)"
    printf '| %s | %s | %s | `%s` | %s | %s |\n' "$f" "$node" "$state" "${cmd//|/\\|}" "$rc" "$what"
  done <"$MANIFEST"
} >"$OUT/README.md"
log "captures: $(ls "$OUT" | wc -l) files in $OUT"
