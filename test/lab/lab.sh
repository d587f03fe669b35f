#!/usr/bin/env bash
# Two-node DRBD lab for ocf-mfs: two qemu VMs under software emulation (TCG)
# booting Debian's stock kernel (it carries the in-tree DRBD 8.4 module) with
# this host's own userland: the host's / is shared read-only over 9p and each
# guest writes to a private tmpfs overlay. So drbd-utils, corosync, pacemaker,
# resource-agents, MooseFS and our freshly built bin/ run unchanged in the VMs.
# ROOTFS (default /) is the userland the guests boot: another Debian
# release's root file system (test/matrix/matrix.sh builds them) runs that
# release's Pacemaker, corosync and drbd-utils on the same kernel; the repo,
# the kernel modules and OCF_MFS_BIN are then bound in from the host.
# The guests talk over 169.254.77.0/24 only, carried by a qemu dgram socket
# pair on 127.0.0.1: no packet leaves the host.
#
#   lab.sh deps                   install the host packages the lab uses (root)
#   lab.sh kernel                 fetch Debian's linux-image-amd64 into $LAB/kernel
#   lab.sh build                  build the initramfs (done by 'up' when missing)
#   lab.sh up [NODE...]           boot VMs (default node1 node2) and wait for them
#   lab.sh exec NODE CMD...       run CMD with bash in NODE; its output and exit code
#   lab.sh mon NODE HMP           qemu monitor command ('set_link n0 off', 'quit')
#   lab.sh console NODE           root shell on NODE's serial console (^] leaves)
#   lab.sh status                 which VMs run
#   lab.sh down [NODE...]         stop VMs
#   lab.sh wipe-disks             recreate the disk images (VMs down)
#   lab.sh cluster-start [NODE...]  start corosync + pacemakerd in the guests
#   lab.sh cluster-wait [SECS]    wait until both nodes are online in Pacemaker
#   lab.sh cluster-stop [NODE...]   stop pacemaker + corosync
#   lab.sh collect DIR            crm_mon, logs, /proc/drbd, dmesg of every node into DIR
#   lab.sh install-bin [NODE...]  reinstall the ocf-mfs binaries from OCF_MFS_BIN (after make build)
#
# Environment: LAB (state dir, default /tmp/ocf-mfs-lab), OCF_MFS_BIN (our
# binaries, default <repo>/bin), DISK_MB (DRBD backing disk, default 64),
# MEM (MiB per VM, default 1536: mfsmaster, a chunkserver and a client
# mount share each guest), LAB_PORT (first UDP port on 127.0.0.1,
# default 47701), LAB_TIMEOUT (seconds one exec may take, default 600),
# BOOT_TIMEOUT (default 180), ROOTFS (the guests' root, default /),
# LAB_SBD=1 (fencing: see below).
#
# LAB_SBD=1 at boot gives the lab real fencing: both VMs attach one small
# shared disk (the same raw file, $LAB/disks/sbd.img, share-rw=on,
# cache=none) as /dev/vdc, the guest loads softdog as its watchdog, and
# cluster-start runs sbd (Debian's package) before corosync, creating the
# SBD header on first use. What the cluster does with it (a fence_sbd
# resource, stonith-enabled=true, DRBD's resource-and-stonith) is up to the
# caller: test/soak/fencing.crm. Without LAB_SBD nothing of this exists.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
GUEST=$HERE/guest
LAB=${LAB:-/tmp/ocf-mfs-lab}
OCF_MFS_BIN=${OCF_MFS_BIN:-$REPO/bin}
ROOTFS=${ROOTFS:-/}
KROOT=$LAB/kernel/root
# corosync locks about 170 MiB in RAM and even an empty mfsmaster takes about
# 200 MiB: with 512 MiB the guest OOM-kills mfsmaster, and with 1024 MiB
# it still did once a chunkserver and a client mount ran beside it.
MEM=${MEM:-1536}
LAB_SBD=${LAB_SBD:-0}
DISK_MB=${DISK_MB:-64}
LAB_PORT=${LAB_PORT:-47701}
NODES_ALL="node1 node2"
RUN=$LAB/run SHARE=$LAB/share DISKS=$LAB/disks BUILD=$LAB/build
# Only what the initramfs needs to reach the host's root; the rest is loaded
# by modprobe from the mounted module tree once the guest runs stage2.
BOOTMODS="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
  virtio_blk failover net_failover virtio_net virtio-rng netfs fscache 9pnet 9pnet_virtio 9p overlay"

die() { echo "lab: $*" >&2; exit 1; }
node_index() { case $1 in node1) echo 1 ;; node2) echo 2 ;; *) die "unknown node '$1' (node1, node2)" ;; esac; }
kver() { ls "$KROOT/boot" 2>/dev/null | sed -n 's/^vmlinuz-//p' | head -1; }

# A dgram socket needs realpath-free, space-free paths for 9p and qemu options.
case $LAB$OCF_MFS_BIN$REPO$ROOTFS in *[[:space:],]*) die "LAB, OCF_MFS_BIN, ROOTFS and the repo path must not contain spaces or commas" ;; esac
[ -d "$ROOTFS/usr/sbin" ] || die "ROOTFS $ROOTFS is not a root file system"

# With a ROOTFS of its own, the guest still needs these host paths, at the
# same place: stage2 and the scenarios' files (the repo), the kernel's
# modules and our binaries. The host's / is shared read-only for them alone.
host_binds() {
  [ "$ROOTFS" = / ] && return 0
  local b="$REPO,$LAB/kernel"
  [ -d "$OCF_MFS_BIN" ] && case $OCF_MFS_BIN/ in "$REPO"/*) ;; *) b="$b,$OCF_MFS_BIN" ;; esac
  echo "$b"
}

deps() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q qemu-system-x86 busybox-static cpio kmod \
    e2fsprogs drbd-utils corosync pacemaker pacemaker-cli-utils crmsh resource-agents \
    moosefs-master moosefs-chunkserver moosefs-client fuse3 python3 iproute2 >/dev/null
}

# Debian's kernel, not the host's: the host kernel may lack DRBD (this one is
# built with it) and we need its modules on disk anyway. Cached in $LAB/kernel.
kernel() {
  local d=$LAB/kernel pkg deb v moddir
  mkdir -p "$d" || die "cannot create $d"
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
    # Fresh CI containers start with empty package lists.
    apt-get update -q >/dev/null 2>&1
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  fi
  [ -n "$pkg" ] || die "apt-cache knows no linux-image-amd64 (run apt-get update)"
  # As root, apt would hand the download to user _apt, who cannot write here.
  local sandbox=()
  [ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
  (cd "$d" && rm -f ./*.deb && apt-get "${sandbox[@]}" download "$pkg" >/dev/null) || die "apt-get download $pkg failed"
  deb=$(ls "$d"/*.deb | head -1)
  rm -rf "$KROOT" && dpkg-deb -x "$deb" "$KROOT" && rm -f "$deb" || die "cannot extract $deb"
  v=$(kver); [ -n "$v" ] || die "$pkg has no /boot/vmlinuz-*"
  # Debian moved modules to /usr/lib/modules after bookworm; keep one path.
  moddir=$KROOT/lib/modules
  [ -d "$moddir/$v" ] || { [ -d "$KROOT/usr/lib/modules/$v" ] && mkdir -p "$KROOT/lib" && ln -sfn ../usr/lib/modules "$moddir"; }
  depmod -b "$KROOT" "$v" || die "depmod failed"
  [ -n "$(find -L "$moddir/$v" -name 'drbd.ko*' | head -1)" ] || die "kernel $v has no drbd module"
  echo "kernel: $v in $KROOT"
}

build() {
  [ -n "$(kver)" ] || kernel
  local v d=$BUILD/initrd m f
  v=$(kver)
  rm -rf "$d" && mkdir -p "$d"/{bin,dev,proc,sys,mods} || die "cannot create $d"
  cp "$(command -v busybox)" "$d/bin/busybox" || die "busybox missing (lab.sh deps)"
  install -m 0755 "$GUEST/init" "$d/init"
  mknod "$d/dev/console" c 5 1 2>/dev/null || true
  : >"$d/mods/order"
  for m in $BOOTMODS; do
    # Built-in modules print "builtin"; only real .ko files need copying.
    f=$(modprobe -d "$KROOT" -S "$v" --show-depends "$m" 2>/dev/null | awk '$1=="insmod"{print $2}' | tail -1)
    [ -n "$f" ] || continue
    cp "$f" "$d/mods/$m.ko${f##*.ko}" && echo "$m.ko${f##*.ko}" >>"$d/mods/order"
  done
  (cd "$d" && find . | cpio -o -H newc --quiet | gzip -1) >"$BUILD/initrd.gz" || die "cpio failed"
  echo "initramfs: $BUILD/initrd.gz ($(du -h "$BUILD/initrd.gz" | cut -f1)) for $v"
}

# hmp SOCKET CMD: one human monitor command, its output without prompt/echo.
hmp() {
  python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(15)
s.connect(sys.argv[1])
buf = b""
def until(tok):
    global buf
    while tok not in buf:
        d = s.recv(4096)
        if not d:
            return
        buf += d
until(b"(qemu) ")
buf = b""
s.sendall(sys.argv[2].encode() + b"\n")
if sys.argv[2].strip() == "quit":
    # Wait until qemu closes the monitor as it exits: closing first could
    # leave the command unread (a crash round once found the node alive),
    # and a qemu still there after the timeout fails this with an error.
    until(b"\0no such prompt\0")
else:
    until(b"(qemu) ")
    lines = buf.decode(errors="replace").replace("\r", "").split("\n")[1:-1]
    print("\n".join(l for l in lines if not l.startswith("\x1b")))
PY
}

alive() { local p; p=$(cat "$RUN/$1.pid" 2>/dev/null) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

start_node() {
  local n=$1 i lport rport binds extra=()
  i=$(node_index "$n") || exit 1
  binds=$(host_binds)
  [ -n "$binds" ] && extra=(-virtfs local,path=/,mount_tag=hostfs,security_model=none,readonly=on,multidevs=remap)
  lport=$((LAB_PORT + i - 1)) rport=$((LAB_PORT + 2 - i))
  alive "$n" && { echo "$n: already running (pid $(cat "$RUN/$n.pid"))"; return 0; }
  mkdir -p "$RUN" "$SHARE/$n/cmd" "$SHARE/$n/out" "$DISKS"
  rm -f "$SHARE/$n/ready" "$SHARE/$n/cmd/"* "$SHARE/$n/out/"* "$RUN/$n".{sock,mon,pid,console.log}
  [ -f "$DISKS/$n-vda.img" ] || truncate -s 16M "$DISKS/$n-vda.img"
  [ -f "$DISKS/$n-vdb.img" ] || truncate -s "${DISK_MB}M" "$DISKS/$n-vdb.img"
  # The guest learns of LAB_SBD from its share (stage2, cluster-start).
  local sbd=()
  rm -f "$SHARE/$n/sbd"
  if [ "$LAB_SBD" = 1 ]; then
    # One file, two writers: qemu refuses a second writer unless the device
    # allows sharing; cache=none (O_DIRECT) hands each write to the file at
    # once, as a shared SAN disk would, which SBD's slots rely on. The last
    # PCI slot makes it the last virtio disk the guest finds, /dev/vdc:
    # qemu creates this -device before the if=virtio drives, and would
    # otherwise give it a lower slot and the name vda.
    [ -f "$DISKS/sbd.img" ] || truncate -s 8M "$DISKS/sbd.img"
    sbd=(-drive file="$DISKS/sbd.img",if=none,id=sbd,format=raw,cache=none
      -device virtio-blk-pci,drive=sbd,share-rw=on,serial=sbd,addr=0x1f)
    echo 1 >"$SHARE/$n/sbd"
  fi
  qemu-system-x86_64 -name "$n" -nodefaults -no-user-config -display none -no-reboot \
    -accel tcg,tb-size=256 -m "$MEM" -smp 1 \
    -kernel "$KROOT/boot/vmlinuz-$(kver)" -initrd "$BUILD/initrd.gz" \
    -append "console=ttyS0 quiet panic=-1 lab.node=$i lab.guest=$GUEST lab.kmods=$KROOT/lib/modules/$(kver) lab.bin=$OCF_MFS_BIN${binds:+ lab.binds=$binds}" \
    -chardev socket,id=con0,path="$RUN/$n.sock",server=on,wait=off,logfile="$RUN/$n.console.log" \
    -serial chardev:con0 \
    -monitor unix:"$RUN/$n.mon",server=on,wait=off \
    -virtfs local,path="$ROOTFS",mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    "${extra[@]}" \
    -virtfs local,path="$SHARE/$n",mount_tag=share,security_model=none,multidevs=remap \
    -drive file="$DISKS/$n-vda.img",if=virtio,format=raw,cache=writeback \
    -drive file="$DISKS/$n-vdb.img",if=virtio,format=raw,cache=writeback \
    "${sbd[@]}" \
    -netdev dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=$lport,remote.type=inet,remote.host=127.0.0.1,remote.port=$rport \
    -device virtio-net-pci,netdev=n0,mac=52:54:00:77:00:0$i,romfile= \
    -device virtio-rng-pci \
    -daemonize -pidfile "$RUN/$n.pid" || die "qemu for $n failed to start"
  echo "$n: qemu pid $(cat "$RUN/$n.pid")"
}

wait_ready() {
  local n=$1 t=${BOOT_TIMEOUT:-180} s=$SECONDS
  until [ -s "$SHARE/$n/ready" ]; do
    alive "$n" || { tail -20 "$RUN/$n.console.log" >&2; die "$n died while booting"; }
    ((SECONDS - s > t)) && { tail -20 "$RUN/$n.console.log" >&2; die "$n not ready after ${t}s"; }
    sleep 0.2
  done
  echo "$n: ready $(cat "$SHARE/$n/ready")"
}

# lab_exec NODE CMD...: the guest agent picks up share/NODE/cmd/ID.cmd and
# leaves ID.out and then ID.rc, so the exit code arrives after all output.
lab_exec() {
  local n=$1; shift
  node_index "$n" >/dev/null || exit 1
  local d=$SHARE/$n id t=${LAB_TIMEOUT:-600} s=$SECONDS rc
  id="$(date +%s%N)-$$-$RANDOM"
  [ -s "$d/ready" ] || { echo "lab: $n is not up" >&2; return 125; }
  printf '%s\n' "$*" >"$d/cmd/$id.tmp" && mv "$d/cmd/$id.tmp" "$d/cmd/$id.cmd"
  until [ -e "$d/out/$id.rc" ]; do
    if ((SECONDS - s > t)) || ! alive "$n"; then
      cat "$d/out/$id.out" 2>/dev/null
      echo "lab: exec on $n: no answer after $((SECONDS - s))s or VM gone" >&2
      return 124
    fi
    sleep 0.05
  done
  cat "$d/out/$id.out"
  rc=$(cat "$d/out/$id.rc")
  rm -f "$d/out/$id.out" "$d/out/$id.rc"
  return "$rc"
}

stop_node() {
  local n=$1 p i
  alive "$n" || { rm -f "$SHARE/$n/ready"; echo "$n: not running"; return 0; }
  p=$(cat "$RUN/$n.pid")
  hmp "$RUN/$n.mon" quit >/dev/null 2>&1
  for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$p" 2>/dev/null && kill -9 "$p"
  rm -f "$SHARE/$n/ready"
  echo "$n: stopped (pid $p)"
}

console() {
  python3 - "$RUN/$1.sock" <<'PY'
import os, select, socket, sys, termios, tty
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
fd = sys.stdin.fileno()
old = termios.tcgetattr(fd)
tty.setraw(fd)
print("connected, ^] leaves\r")
try:
    while True:
        r, _, _ = select.select([fd, s], [], [])
        if s in r:
            d = s.recv(4096)
            if not d:
                break
            os.write(1, d)
        if fd in r:
            d = os.read(fd, 1024)
            if b"\x1d" in d:
                break
            s.sendall(d)
finally:
    termios.tcsetattr(fd, termios.TCSADRAIN, old)
PY
}

# sbd before corosync, as its systemd unit orders it, and only in a guest
# booted with LAB_SBD=1 (/share/sbd exists). The slot of
# this node is cleared first: after being fenced, a node that an operator
# restarts is meant to rejoin.
SBD_START='if [ -e /share/sbd ]; then
    set -a; . /etc/default/sbd; set +a
    # "sbd create" on the wrong disk would wipe it: only on the shared one.
    [ "$(cat /sys/block/${SBD_DEVICE#/dev/}/serial 2>/dev/null)" = sbd ] ||
      { echo "$SBD_DEVICE is not the shared sbd disk: $(grep -H . /sys/block/vd*/serial 2>&1 | tr "\n" " ")"; exit 1; }
    sbd -d "$SBD_DEVICE" dump >/dev/null 2>&1 || sbd -d "$SBD_DEVICE" -1 "$LAB_SBD_WATCHDOG" -4 "$LAB_SBD_MSGWAIT" create >/dev/null || exit 1
    sbd -d "$SBD_DEVICE" message "$(hostname)" clear >/dev/null 2>&1
    pidof sbd >/dev/null || sbd -p /run/sbd.pid watch || exit 1
    s=$SECONDS; until sbd -d "$SBD_DEVICE" list | grep -qw "$(hostname)"; do ((SECONDS - s > 60)) && { echo "sbd: no slot after 60s"; exit 1; }; sleep 0.5; done
  fi'

cluster_start() {
  local n
  for n in "$@"; do
    lab_exec "$n" "$SBD_START"'
      pidof corosync >/dev/null || corosync || exit 1
      pidof pacemakerd >/dev/null || (setsid pacemakerd </dev/null >/var/log/pacemaker/pacemakerd.out 2>&1 &)
      echo "$(hostname): corosync + pacemakerd started"' || die "cluster-start on $n failed"
  done
}

# Polls inside the guest: one round trip, not one per try.
cluster_wait() {
  local t=${1:-300}
  LAB_TIMEOUT=$((t + 30)) lab_exec node1 "s=\$SECONDS
    until crm_mon -1 2>/dev/null | grep -Eq 'Online: \\[ (node1 node2|node2 node1) \\]'; do
      ((SECONDS - s > $t)) && { crm_mon -1 2>&1; echo 'cluster not online after ${t}s'; exit 1; }
      sleep 1
    done
    echo \"cluster online (waited \$((SECONDS - s))s)\""
}

cluster_stop() {
  local n
  for n in "$@"; do
    alive "$n" || continue
    # Inside the VM (lab_exec): its own process table, never the host's.
    LAB_TIMEOUT=200 lab_exec "$n" 'pacemakerd --shutdown >/dev/null 2>&1 || pkill -TERM -x pacemakerd
      s=$SECONDS; while pidof pacemakerd >/dev/null && ((SECONDS - s < 150)); do sleep 0.5; done
      corosync-cfgtool -H --force >/dev/null 2>&1 || pkill -TERM -x corosync
      # sbd last: it disarms the watchdog on SIGTERM.
      [ -s /run/sbd.pid ] && { s=$SECONDS; while pidof corosync >/dev/null && ((SECONDS - s < 30)); do sleep 0.5; done
        kill -TERM "$(cat /run/sbd.pid)" 2>/dev/null; }
      echo "$(hostname): cluster stopped"'
  done
}

# collect DIR: everything needed to understand a failure, per node. Each
# command has its own short deadline so a hung guest cannot hang the collect.
collect() {
  local dir=$1 n
  mkdir -p "$dir" || die "cannot create $dir"
  for n in $NODES_ALL; do
    [ -f "$RUN/$n.console.log" ] && cp "$RUN/$n.console.log" "$dir/$n.console.log"
    if ! alive "$n" || [ ! -s "$SHARE/$n/ready" ]; then
      echo "$n is down" >"$dir/$n.DOWN"
      continue
    fi
    local -A what=(
      [crm_mon.txt]='crm_mon -1rf 2>&1'
      [proc_drbd.txt]='cat /proc/drbd 2>&1'
      [drbdadm-status.txt]='drbdadm status all 2>&1; drbdadm show-gi r0 2>&1'
      [dmesg.txt]='dmesg 2>&1'
      [pacemaker.log]='cat /var/log/pacemaker/pacemaker.log /var/log/pacemaker/pacemakerd.out 2>&1'
      [corosync.log]='cat /var/log/corosync/corosync.log 2>&1'
      [ps.txt]='ps -eo pid,stat,etime,args 2>&1; mount 2>&1; ip -br addr 2>&1'
    )
    local f
    for f in "${!what[@]}"; do
      LAB_TIMEOUT=30 lab_exec "$n" "${what[$f]}" >"$dir/$n.$f" 2>&1
    done
  done
  echo "collected into $dir"
}

cmd=${1:-}
shift || true
case $cmd in
  deps) deps ;;
  kernel) kernel ;;
  build) build ;;
  up)
    t0=$SECONDS
    [ -n "$(kver)" ] || kernel
    { [ "$GUEST/init" -nt "$BUILD/initrd.gz" ] || [ "$KROOT/boot" -nt "$BUILD/initrd.gz" ]; } && build
    for n in ${*:-$NODES_ALL}; do start_node "$n"; done
    for n in ${*:-$NODES_ALL}; do wait_ready "$n"; done
    echo "up in $((SECONDS - t0))s" ;;
  exec) [ $# -ge 2 ] || die "usage: exec NODE CMD"; lab_exec "$@" ;;
  mon) [ $# -eq 2 ] || die "usage: mon NODE HMPCMD"; node_index "$1" >/dev/null && hmp "$RUN/$1.mon" "$2" ;;
  console) [ $# -eq 1 ] || die "usage: console NODE"; console "$1" ;;
  status)
    for n in $NODES_ALL; do
      if alive "$n"; then echo "$n running pid $(cat "$RUN/$n.pid") $(cat "$SHARE/$n/ready" 2>/dev/null)"; else echo "$n down"; fi
    done ;;
  down) for n in ${*:-$NODES_ALL}; do stop_node "$n"; done ;;
  wipe-disks)
    for n in $NODES_ALL; do alive "$n" && die "$n is running (lab.sh down first)"; done
    rm -f "$DISKS"/*.img; echo "disks wiped" ;;
  cluster-start) cluster_start ${*:-$NODES_ALL} ;;
  cluster-wait) cluster_wait "${1:-300}" ;;
  cluster-stop) cluster_stop ${*:-$NODES_ALL} ;;
  collect) [ $# -eq 1 ] || die "usage: collect DIR"; collect "$1" ;;
  install-bin)
    # Through the per-node share (9p, cache=none): the guests' view of the
    # host's root is cached and may still show the previous build.
    for n in ${*:-$NODES_ALL}; do
      rm -rf "$SHARE/$n/bin" && mkdir -p "$SHARE/$n/bin" && cp -p "$OCF_MFS_BIN"/* "$SHARE/$n/bin/" &&
        lab_exec "$n" "LAB_BIN=/share/bin $GUEST/hook"
    done ;;
  *) sed -n '2,/^set -u/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
