#!/usr/bin/env bash
# The version matrix: ocf-mfs on the userland of Debian 11 (bullseye),
# 12 (bookworm) and 13 (trixie), each a root file system built with
# debootstrap from Debian's archive and holding that release's Pacemaker,
# corosync, crmsh, pcs, MooseFS and drbd-utils, with our agents installed
# from our own .deb (make deb).
#
#   matrix.sh [RELEASE...]          everything below for each RELEASE (default
#                                   bullseye bookworm trixie), a summary table,
#                                   and that table into README.md
#   matrix.sh rootfs RELEASE        build the root file system, or reuse the cached one
#   matrix.sh install RELEASE DEB   dpkg -i DEB inside it
#   matrix.sh versions RELEASE      the versions of the stack it holds
#   matrix.sh integration RELEASE crm|pcs
#                                   the single-node Pacemaker suite (test/integration)
#                                   inside it, configured with crmsh or with pcs
#   matrix.sh mfs RELEASE           ocf:mfs:master's real-mfsmaster tests on the release's MooseFS
#   matrix.sh lab RELEASE [FILTER...]
#                                   the two-VM DRBD lab booted on it (test/e2e/run.sh)
#   matrix.sh shell RELEASE [CMD...]
#                                   a shell (or CMD) inside it, namespaces as the suites get
#
# A root file system is cached in $MATRIX_STATE/RELEASE and rebuilt when its
# package list (or this recipe) changes: the list's hash is kept in a stamp
# file beside it. The suites run inside private mount, pid, network, UTS and
# IPC namespaces, with the release as their root: nothing they start is visible to, or touches, the
# host's own services and files.
#
# Environment: MATRIX_STATE (default /var/cache/ocf-mfs-matrix),
# MATRIX_MIRROR (Debian archive; default: the one apt on this machine uses),
# MATRIX_LAB (scenarios for the lab run, default "03 04 05 10"; 00 always runs),
# MATRIX_SUITES (default "crm pcs mfs lab"), MATRIX_SUITES_<release> and
# MATRIX_LAB_<release> (the same for one release, e.g. MATRIX_LAB_trixie="04"),
# MATRIX_README (default
# <repo>/README.md, empty to leave it alone), MATRIX_LOCK_DIR (directory of
# the lock files `lab` and `pacemaker` that serialise heavy runs with other
# users of this machine, default: no locking).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
STATE=${MATRIX_STATE:-/var/cache/ocf-mfs-matrix}
RELEASES_ALL="bullseye bookworm trixie"
# What the suites need inside the root file system. kmod, e2fsprogs, bash
# and iproute2 are what the lab's guests need to boot (test/lab/guest/stage2).
PACKAGES_COMMON="pacemaker pacemaker-cli-utils corosync crmsh pcs resource-agents
  moosefs-master moosefs-cli moosefs-chunkserver moosefs-client moosefs-metalogger
  fuse3 drbd-utils libxml2-utils iproute2 procps util-linux kmod e2fsprogs psmisc
  ca-certificates"
# Bumped when the recipe below changes in a way the package list does not show.
RECIPE=1

die() { echo "matrix: $*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
timing() { printf 'TIMING name=%s seconds=%s\n' "$1" "$2"; }

number() { case $1 in bullseye) echo 11 ;; bookworm) echo 12 ;; trixie) echo 13 ;; *) die "unknown release '$1' ($RELEASES_ALL)" ;; esac; }
packages() { echo $PACKAGES_COMMON; }

# The mirror apt on this machine downloads Debian from, so the matrix uses
# the same route (and proxy rules) as every other package install here.
mirror() {
  [ -n "${MATRIX_MIRROR:-}" ] && { echo "$MATRIX_MIRROR"; return; }
  apt-cache policy 2>/dev/null | awk '$2 ~ /^https?:\/\// && $2 !~ /security/ && $3 ~ /\/main$/ { print $2; exit }'
}

# locked NAME CMD...: CMD under the lock NAME when MATRIX_LOCK_DIR is set.
locked() {
  local name=$1
  shift
  if [ -n "${MATRIX_LOCK_DIR:-}" ]; then
    mkdir -p "$MATRIX_LOCK_DIR" && flock "$MATRIX_LOCK_DIR/$name" "$@"
  else
    "$@"
  fi
}

stamp_of() { printf 'recipe=%s release=%s packages=%s\n' "$RECIPE" "$1" "$(packages "$1" | tr ' ' '\n' | sort | tr '\n' ' ')" | sha256sum | cut -d' ' -f1; }

# in_root DIR CMD...: CMD with DIR as its root (pivot_root), in fresh mount, pid, network,
# UTS and IPC namespaces with their own /proc, /sys, /dev (the host's devices
# bound in, /dev/fuse among them), /dev/shm, /run and /tmp. Bind mounts named
# in MATRIX_BINDS (space separated absolute paths) appear at the same path.
# MATRIX_NET=host keeps the host's network, for apt-get while building.
in_root() {
  local root=$1 net=--net
  shift
  [ "${MATRIX_NET:-}" = host ] && net=
  unshare --mount --pid $net --uts --ipc --fork --propagation private \
    env MATRIX_ROOT="$root" MATRIX_NET="${MATRIX_NET:-}" MATRIX_BINDS="${MATRIX_BINDS:-}" bash -c '
      set -e
      r=$MATRIX_ROOT
      # A mount point, so that tools which remount / (ip netns) can.
      mount --bind "$r" "$r"
      mount -t proc proc "$r/proc"
      mount -t sysfs sys "$r/sys" 2>/dev/null || mount --rbind /sys "$r/sys"
      mount -t tmpfs -o mode=0755 dev "$r/dev"
      for d in null zero full random urandom tty fuse; do
        [ -e /dev/$d ] || continue
        touch "$r/dev/$d" && mount --bind /dev/$d "$r/dev/$d"
      done
      mkdir -p "$r/dev/pts" "$r/dev/shm" "$r/dev/mqueue"
      mount -t devpts -o newinstance,ptmxmode=0666 devpts "$r/dev/pts"
      ln -s pts/ptmx "$r/dev/ptmx"
      ln -s /proc/self/fd "$r/dev/fd"
      mount -t tmpfs -o mode=1777 shm "$r/dev/shm"
      mount -t tmpfs -o mode=0755 run "$r/run"
      mount -t tmpfs -o mode=1777 tmp "$r/tmp"
      mkdir -p "$r/run/lock"
      for b in $MATRIX_BINDS; do
        mkdir -p "$r$b" && mount --bind "$b" "$r$b"
      done
      [ -n "$MATRIX_NET" ] || ip link set lo up
      hostname matrix
      # pivot_root, not chroot: setns() into a mount namespace (nsenter
      # --mount, as the harness does) resets the root to that namespace'"'"'s
      # own, which after a chroot would be the host'"'"'s /.
      mkdir -p "$r/run/oldroot"
      cd "$r"
      pivot_root . run/oldroot
      cd /
      umount -l /run/oldroot
      rmdir /run/oldroot
      exec /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 TERM=dumb ${MATRIX_ENV:-} "$@"
    ' in_root "$@"
}

rootfs() {
  local rel=$1 dir=$STATE/$1 want m t0=$SECONDS
  number "$rel" >/dev/null
  want=$(stamp_of "$rel")
  if [ -f "$dir/.ocf-mfs-matrix.stamp" ] && [ "$(cat "$dir/.ocf-mfs-matrix.stamp")" = "$want" ]; then
    log "$rel: cached root file system $dir"
    timing "rootfs_$rel" $((SECONDS - t0))
    return 0
  fi
  [ "$(id -u)" = 0 ] || die "building a root file system needs root"
  command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"
  m=$(mirror)
  [ -n "$m" ] || die "no Debian mirror found in apt's configuration; set MATRIX_MIRROR"
  log "$rel: debootstrap from $m into $dir (package list changed or first build)"
  mkdir -p "$STATE"
  rm -rf "$dir.new"
  debootstrap --variant=minbase "$rel" "$dir.new" "$m" >"$STATE/$rel.debootstrap.log" 2>&1 ||
    { tail -30 "$STATE/$rel.debootstrap.log" >&2; die "$rel: debootstrap failed (log: $STATE/$rel.debootstrap.log)"; }
  # Packages must not start services in a root file system being built.
  printf '#!/bin/sh\nexit 101\n' >"$dir.new/usr/sbin/policy-rc.d" && chmod 0755 "$dir.new/usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$dir.new/etc/resolv.conf"
  MATRIX_NET=host MATRIX_ENV="DEBIAN_FRONTEND=noninteractive" in_root "$dir.new" sh -c \
    "apt-get update -q && apt-get install -y -q --no-install-recommends $(packages "$rel") && apt-get clean" \
    >>"$STATE/$rel.debootstrap.log" 2>&1 ||
    { tail -30 "$STATE/$rel.debootstrap.log" >&2; die "$rel: installing the stack failed (log: $STATE/$rel.debootstrap.log)"; }
  echo "$want" >"$dir.new/.ocf-mfs-matrix.stamp"
  rm -rf "$dir" && mv "$dir.new" "$dir"
  log "$rel: root file system ready in $((SECONDS - t0))s"
  timing "rootfs_$rel" $((SECONDS - t0))
}

# install RELEASE DEB: our package, installed as a user would, by dpkg.
install_deb() {
  local dir=$STATE/$1 deb=$2
  [ -f "$deb" ] || die "no package $deb (make deb)"
  mkdir -p "$dir/var/cache/ocf-mfs" && cp "$deb" "$dir/var/cache/ocf-mfs/ocf-mfs.deb" &&
    MATRIX_NET=host in_root "$dir" dpkg -i /var/cache/ocf-mfs/ocf-mfs.deb >"$STATE/$1.dpkg.log" 2>&1 ||
    { cat "$STATE/$1.dpkg.log" >&2; die "$1: dpkg -i $deb failed"; }
  log "$1: installed $(basename "$deb")"
}

# versions RELEASE: one line, name=version for each part of the stack.
versions() {
  in_root "$STATE/$1" sh -c '
    v() { dpkg-query -W -f "\${Version}" "$1" 2>/dev/null | sed "s/^[0-9]*://; s/-[^-]*$//" || echo none; }
    echo "pacemaker=$(v pacemaker) corosync=$(v corosync) crmsh=$(v crmsh) pcs=$(v pcs) moosefs=$(v moosefs-master) drbd-utils=$(v drbd-utils) resource-agents=$(v resource-agents) ocf-mfs=$(v ocf-mfs)"'
}

# testbin: where this checkout's compiled test binaries go, one folder per
# checkout, so that two clones running the matrix never share one.
testbin() {
  local d
  d=$STATE/test/$(printf '%s' "$REPO" | sha256sum | cut -c1-12)
  mkdir -p "$d" && echo "$d"
}

# integration RELEASE crm|pcs: test/integration compiled here, run there,
# with the repo bound in at the same path (the test finds the harness
# relative to its source) and our agents from the .deb.
integration() {
  local rel=$1 sh=$2 bin
  case $sh in crm | pcs) ;; *) die "integration: shell is crm or pcs, not '$sh'" ;; esac
  bin=$(testbin)
  # Always compiled (Go's cache makes it cheap): a binary kept from
  # another checkout would look for the harness under that checkout.
  (cd "$REPO" && CGO_ENABLED=0 ${GO:-go} test -c -tags integration -o "$bin/integration.test" ./test/integration) || die "cannot compile test/integration"
  # The harness takes the agents from OCF_MFS_BIN under their build names;
  # these are the very files the package installed.
  MATRIX_BINDS="$REPO $bin" MATRIX_ENV="CI=1 OCF_MFS_BIN=/tmp/ocf-mfs-pkg OCF_MFS_SHELL=$sh" \
    locked pacemaker timeout -k 10 "${MATRIX_SUITE_TIMEOUT:-1500}" \
    "$0" shell "$rel" sh -c 'set -e; d=/tmp/ocf-mfs-pkg; mkdir -p $d
      cp /usr/lib/ocf/resource.d/mfs/master $d/ocf-mfsmaster
      cp /usr/libexec/ocf-mfs/ocf-mfsmaster-actions $d/ocf-mfsmaster-actions
      cp /usr/lib/ocf/resource.d/mfs/drbd $d/ocf-mfsdrbd
      cp /usr/sbin/drbd-splitbrain $d/drbd-splitbrain
      exec "$0" -test.v -test.count=1 -test.timeout=20m -test.run "^TestPacemakerManagesMfsmaster\$"' "$bin/integration.test"
}

# mfs RELEASE: ocf:mfs:master's tests that drive a real mfsmaster (the
# audit's findings: stop never hits another master, a lost lock file, pid
# reuse, the config reader against where the daemon really listens...) on
# the release's MooseFS, which is 4.x on Debian 13. No Pacemaker needed.
mfs_suite() {
  local rel=$1 bin
  bin=$(testbin)
  (cd "$REPO" && CGO_ENABLED=0 ${GO:-go} test -c -tags integration -o "$bin/master.test" ./internal/agent/master) ||
    die "cannot compile internal/agent/master's tests"
  MATRIX_BINDS="$REPO $bin" MATRIX_ENV="CI=1" \
    locked pacemaker timeout -k 10 "${MATRIX_SUITE_TIMEOUT:-1500}" \
    "$0" shell "$rel" sh -c 'mfsmaster -v && cd "$1/internal/agent/master" &&
      exec "$0" -test.v -test.count=1 -test.timeout=10m -test.run "^TestFinding"' "$bin/master.test" "$REPO"
}

# lab RELEASE [FILTER...]: test/e2e/run.sh with the two VMs booted on the
# release's root file system. No OCF_MFS_BIN: the guests run the agents the
# package installed there. The lab state (kernel, disks) is the matrix's own.
lab_run() {
  local rel=$1
  shift
  [ -f "$STATE/$rel/.ocf-mfs-matrix.stamp" ] || die "$rel: no root file system (matrix.sh rootfs $rel)"
  ROOTFS=$STATE/$rel LAB=$STATE/lab OCF_MFS_BIN=$STATE/no-bin \
    locked lab "$REPO/test/e2e/run.sh" ${*:-${MATRIX_LAB:-03 04 05 10}}
}

# all RELEASE...: every step for every release, then the table.
all() {
  local rel v suite rc t0 rows=() deb sv lv label
  deb=$(ls -t "$REPO"/dist/ocf-mfs_*.deb 2>/dev/null | head -1)
  [ -n "$deb" ] || die "no dist/ocf-mfs_*.deb: run make deb (make matrix does)"
  for rel in "$@"; do
    t0=$SECONDS
    if ! rootfs "$rel" || ! install_deb "$rel" "$deb"; then
      rows+=("$rel|-|rootfs|FAIL|$((SECONDS - t0))")
      continue
    fi
    v=$(versions "$rel")
    echo "VERSIONS release=$rel $v"
    sv=MATRIX_SUITES_$rel lv=MATRIX_LAB_$rel
    for suite in ${!sv:-${MATRIX_SUITES:-crm pcs mfs lab}}; do
      log "$rel: $suite"
      t0=$SECONDS label=$suite
      case $suite in
        crm | pcs) integration "$rel" "$suite" ;;
        mfs) mfs_suite "$rel" ;;
        lab)
          lab_run "$rel" ${!lv:-} 2>&1 | tee "$STATE/$rel.lab.log"
          rc=${PIPESTATUS[0]}
          # Each scenario's own result: "DRBD lab: 00 pass, 04 FAIL".
          label="DRBD lab: $(awk '/^(PASS|FAIL) [0-9][0-9]-/ { printf "%s%s %s", sep, substr($2, 1, 2), ($1 == "PASS" ? "pass" : /not run/ ? "not run" : "FAIL"); sep = ", " }' "$STATE/$rel.lab.log")"
          (exit $rc) ;;
        *) die "unknown suite '$suite' (crm pcs mfs lab)" ;;
      esac
      rc=$?
      echo "RESULT release=$rel suite=$suite $([ $rc = 0 ] && echo PASS || echo FAIL) seconds=$((SECONDS - t0))"
      rows+=("$rel|$v|$label|$([ $rc = 0 ] && echo pass || echo FAIL)|$((SECONDS - t0))")
    done
  done
  {
    echo "Written by \`make matrix\` on $(date -u +%Y-%m-%d), ocf-mfs $(printf '%s\n' "${rows[@]}" | grep -o 'ocf-mfs=[^ |]*' | head -1 | cut -d= -f2):"
    echo
    table "${rows[@]}"
  } | tee "$STATE/table.md"
  [ -n "${MATRIX_README-$REPO/README.md}" ] && readme "${MATRIX_README-$REPO/README.md}" "$STATE/table.md"
  ! grep -q '| FAIL |' "$STATE/table.md"
}

# table ROW...: ROW is release|versions|suite|result|seconds.
table() {
  local r rel v suite res secs
  local -A what=([crm]="Pacemaker suite, crmsh" [pcs]="Pacemaker suite, pcs -f" [mfs]="ocf:mfs:master, real mfsmaster" [rootfs]="root file system")
  echo "| Debian | Pacemaker | corosync | crmsh | pcs | MooseFS | drbd-utils | resource-agents | suite | result | minutes |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  for r in "$@"; do
    IFS='|' read -r rel v suite res secs <<<"$r"
    get() { echo "$v" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
    printf '| %s %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(number "$rel")" "$rel" \
      "$(get pacemaker)" "$(get corosync)" "$(get crmsh)" "$(get pcs)" "$(get moosefs)" \
      "$(get drbd-utils)" "$(get resource-agents)" "${what[$suite]:-$suite}" "$res" \
      "$(awk -v s="$secs" 'BEGIN { printf "%.1f", s / 60 }')"
  done
}

# readme FILE TABLE: TABLE between the matrix's marker comments in FILE.
readme() {
  local f=$1 t=$2 begin='<!-- matrix:begin -->' end='<!-- matrix:end -->'
  grep -qF "$begin" "$f" && grep -qF "$end" "$f" || { log "no matrix markers in $f: table not written"; return 0; }
  awk -v b="$begin" -v e="$end" -v t="$t" '
    $0 == b { print; print ""; while ((getline l < t) > 0) print l; print ""; skip = 1; next }
    $0 == e { skip = 0 }
    !skip' "$f" >"$f.new" && mv "$f.new" "$f"
  log "table written into $f"
}

cmd=${1:-}
case $cmd in
  "" | bullseye | bookworm | trixie) all ${*:-$RELEASES_ALL} ;;
  lab) shift; lab_run "$@" ;;
  rootfs) shift; for r in ${*:-$RELEASES_ALL}; do rootfs "$r" || exit 1; done ;;
  install) install_deb "$2" "$3" ;;
  versions) versions "$2" ;;
  integration) integration "$2" "$3" ;;
  mfs) mfs_suite "$2" ;;
  shell) rel=$2; shift 2; in_root "$STATE/$rel" "${@:-/bin/bash}" ;;
  *) sed -n '2,/^set -u/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
