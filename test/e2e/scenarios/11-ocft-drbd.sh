#!/usr/bin/env bash
# resource-agents' own ocft cases for ocf:linbit:drbd
# (/usr/share/resource-agents/ocft/configs/drbd.linbit), run by ocft on real
# DRBD against linbit's agent and against ocf:mfs:drbd side by side, then
# our own ocft configuration (test/ocft/drbd). ocf:mfs:drbd must pass every
# packaged case linbit's agent passes, the two-node "try to 'promote' in
# single-primary mode" included, and every case of its own.
#
# The packaged cases are taken as shipped, with three changes: no
# InstallPackage line (the lab installs nothing); the clone meta-data
# Pacemaker really passes added to their environment (they predate it, and
# without it neither agent is in a promotable clone); and the lab's nodes,
# addresses and disks filled in, with minor 9 so that r0 keeps minor 0.
# Each node's backing disk is a loop device over a file in its tmpfs, and
# ocft reaches node2 with ssh, as it is written to: the scenario runs an
# sshd on node2's lab address for the run, with a key made for it.
# It touches neither r0 nor the cluster. E2E_OCFT_PACKAGED=0 runs our own
# configuration only (CI does, for time: the packaged cases take about
# four minutes per agent under qemu TCG).
# e2e: standalone
set -eu
. "$(dirname "$0")/../../lab/lib.sh"
CFG=$E2E_REPO/test/ocft/drbd
W=/run/ocft-drbd # on each node: ssh keys, configurations
IMG=/dev/shm/ocft-drbd.img # the backing disk's file: /run is too small
IP1=169.254.77.1 IP2=169.254.77.2
META='\tEnv OCF_RESKEY_CRM_meta_clone_node_max=1\n\tEnv OCF_RESKEY_CRM_meta_promotable=true\n\tEnv OCF_RESKEY_CRM_meta_promoted_max=1\n\tEnv OCF_RESKEY_CRM_meta_promoted_node_max=1\n\tEnv OCF_RESKEY_CRM_meta_master_max=1\n\tEnv OCF_RESKEY_CRM_meta_master_node_max=1'

cleanup() {
  for n in node1 node2; do
    x "$n" "for r in ocft0 ocftmfs; do for c in $W/*.conf /run/resource-agents/ocft_drbd_tmp.conf /run/resource-agents/ocft_mfs_drbd.conf; do [ -f \$c ] && drbdadm -c \$c down \$r; done; done
      [ -f $W/sshd.pid ] && kill \$(cat $W/sshd.pid)
      losetup -j $IMG -O NAME --noheadings | xargs -r -n1 losetup -d; rm -f $IMG
      rm -rf $W" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT

# ocft's setup writes its drbd.conf into HA_RSCTMP without creating it,
# and on a node freshly booted no resource agent has created it yet.
log "a loop disk, $W and /run/resource-agents on both nodes"
declare -A DISK
for n in node1 node2; do
  DISK[$n]=$(x "$n" "mkdir -p $W /run/resource-agents && truncate -s 24M $IMG && modprobe loop 2>/dev/null; losetup -f --show $IMG")
  x "$n" "[ -b '${DISK[$n]}' ]" || { echo "no loop device on $n: '${DISK[$n]}'"; exit 1; }
done
log "disks: node1 ${DISK[node1]}, node2 ${DISK[node2]}"

log "sshd on node2 ($IP2) for ocft's remote steps, a key for node1"
x node2 "mkdir -p /run/sshd && ssh-keygen -q -t ed25519 -N '' -f $W/host_key &&
  printf '%s\n' 'ListenAddress $IP2' 'HostKey $W/host_key' 'PidFile $W/sshd.pid' 'AuthorizedKeysFile $W/authorized_keys' \
    'PermitRootLogin prohibit-password' 'PasswordAuthentication no' 'KbdInteractiveAuthentication no' 'UsePAM no' 'StrictModes no' >$W/sshd_config &&
  /usr/sbin/sshd -f $W/sshd_config"
pub=$(x node1 "ssh-keygen -q -t ed25519 -N '' -f $W/id && cat $W/id.pub")
x node2 "printf '%s\n' '$pub' >$W/authorized_keys && chmod 600 $W/authorized_keys"
# The guest's root is a private overlay: this ssh configuration is node1's
# alone, gone with the VM.
x node1 "mkdir -p /root/.ssh && printf '%s\n' 'Host $IP2' '  IdentityFile $W/id' '  StrictHostKeyChecking no' \
  '  UserKnownHostsFile /dev/null' '  LogLevel ERROR' >>/root/.ssh/config && ssh -o BatchMode=yes root@$IP2 true"

log "ocft configurations: the packaged drbd.linbit for each agent, and ours"
fill() { sed -e "s|HOSTNAME1|node1|; s|IP_ADDRESS1|$IP1|; s|/dev/DEVICE1|${DISK[node1]}|; s|HOSTNAME2|node2|; s|IP_ADDRESS2|$IP2|; s|/dev/DEVICE2|${DISK[node2]}|"; }
packaged=$(x node1 'cat /usr/share/resource-agents/ocft/configs/drbd.linbit')
linbit=$(printf '%s\n' "$packaged" | fill | sed -e '/^[[:space:]]*InstallPackage/d' -e 's|/dev/drbd0|/dev/drbd9|' \
  -e "/^[[:space:]]*Env OCF_RESKEY_CRM_meta_clone_max=2/a\\
$META")
mfs=$(printf '%s\n' "$linbit" | sed 's|^\([[:space:]]*AgentRoot\) .*|\1 /usr/lib/ocf/resource.d/mfs|')
ours=$(sed -e "s|@NAME_1@|node1|; s|@IP_1@|$IP1|; s|@DISK_1@|${DISK[node1]}|; s|@NAME_2@|node2|; s|@IP_2@|$IP2|; s|@DISK_2@|${DISK[node2]}|" "$CFG")
put node1 $W/cfg/drbd.linbit <<<"$linbit"
put node1 $W/cfg/drbd.mfs <<<"$mfs"
put node1 $W/cfg/drbd.ours <<<"$ours"

# peer_up CONF RES: the resource up on node2, as ocft's setup leaves it on
# node1: ocft runs the setup on its own node only.
peer_up() {
  local body
  body=$(x node1 "cat $W/cfg/$1" | sed -n '/^SETUP-AGENT/,/^EOF/p' | sed '1,2d;$d' | sed 's/^\t//')
  put node2 "$W/$2.conf" <<<"$body"
  x node2 "mkdir -p /run/resource-agents
    sed -i -e 's|\$NAME_1|node1|g; s|\$IP_1|$IP1|g; s|\$DISK_1|${DISK[node1]}|g; s|\$PORT_1|5735|g; s|\$DEVICE_1|/dev/drbd9|g' \
      -e 's|\$NAME_2|node2|g; s|\$IP_2|$IP2|g; s|\$DISK_2|${DISK[node2]}|g; s|\$PORT_2|5735|g; s|\$DEVICE_2|/dev/drbd9|g' $W/$2.conf
    cp $W/$2.conf /run/resource-agents/$3
    modprobe drbd; drbdadm -c $W/$2.conf down $2 >/dev/null 2>&1
    drbdadm -c $W/$2.conf dump-md $2 >/dev/null 2>&1 || drbdadm -c $W/$2.conf -- --force create-md $2 >/dev/null
    drbdadm -c $W/$2.conf up $2"
}

# run CONFIG: ocft make and test on node1; prints CASE<TAB>pass|FAIL lines.
declare -A RESULT
run() {
  local cfg=$1 out
  out=$(LAB_TIMEOUT=1800 x node1 "cd $W && ocft make -d $W/cfg $cfg >/dev/null && ocft test $cfg 2>&1" || true)
  printf '%s\n' "$out" | sed "s/^/  [$cfg] /" >&2
  # ocft prints "<config>: <case> - " and then OK. for each expected exit
  # code met, or FAILED/ERROR and the agent's output, ending the case.
  printf '%s\n' "$out" | sed 's/\x1b\[[0-9;]*m//g' | awk -v p="$cfg: " '
    index($0, p) == 1 {
      if (name != "") print name "\t" (bad ? "FAIL" : "pass")
      rest = substr($0, length(p) + 1); i = index(rest, " - ")
      name = substr(rest, 1, i - 1); bad = (substr(rest, i + 3) ~ /FAILED|ERROR/); next
    }
    /FAILED|ERROR/ { bad = 1 }
    END { if (name != "") print name "\t" (bad ? "FAIL" : "pass") }'
}

# meta_data RES: DRBD meta-data on node1's disk too. The packaged setup
# creates it only when `drbdadm dump-md` exits 255, which drbd-utils 8.x
# did for a blank disk; 9.x exits 1 there, so the setup would bring up a
# disk without meta-data and wait forever for it to connect.
meta_data() {
  x node1 "printf 'resource %s { device %s; meta-disk internal; on node1 { address $IP1:%s; disk ${DISK[node1]}; } on node2 { address $IP2:%s; disk ${DISK[node2]}; } }\n' $1 $2 $3 $3 >$W/md-$1.conf
    drbdadm -c $W/md-$1.conf dump-md $1 >/dev/null 2>&1 || drbdadm -c $W/md-$1.conf -- --force create-md $1 >/dev/null"
}

timer_start ocft_drbd
packaged_cfgs="drbd.linbit drbd.mfs"
[ "${E2E_OCFT_PACKAGED:-1}" = 0 ] && packaged_cfgs=
for c in $packaged_cfgs; do
  meta_data ocft0 /dev/drbd9 5735
  peer_up "$c" ocft0 ocft_drbd_tmp.conf
  while IFS=$'\t' read -r name res; do RESULT[$c/$name]=$res; done < <(run "$c")
  x node2 "drbdadm -c $W/ocft0.conf down ocft0" >/dev/null 2>&1 || true
done
peer_up drbd.ours ocftmfs ocft_mfs_drbd.conf
ours_out=$(run drbd.ours)
timer_stop ocft_drbd

fail=0
printf '%-48s %-8s %s\n' "packaged case (drbd.linbit)" "linbit" "ocf:mfs:drbd" >&2
names=$(printf '%s\n' "${!RESULT[@]}" | sed -n 's|^drbd.linbit/||p' | sort)
[ -n "$names" ] || [ -z "$packaged_cfgs" ] || { echo "ocft ran no packaged case"; exit 1; }
[ -z "$names" ] || while IFS= read -r name; do
  l=${RESULT[drbd.linbit/$name]} m=${RESULT[drbd.mfs/$name]:-missing}
  printf '%-48s %-8s %s\n' "$name" "$l" "$m" >&2
  echo "RESULT ocft drbd.linbit case=\"$name\" linbit=$l mfs=$m"
  if [ "$l" = pass ] && [ "$m" != pass ]; then fail=1; fi
done <<<"$names"
[ "$(printf '%s\n' "$ours_out" | grep -c .)" -ge 15 ] || { echo "our ocft configuration ran $(printf '%s\n' "$ours_out" | grep -c .) cases"; fail=1; }
while IFS=$'\t' read -r name res; do
  echo "RESULT ocft drbd.ours case=\"$name\" mfs=$res"
  [ "$res" = pass ] || fail=1
done <<<"$ours_out"
exit $fail
