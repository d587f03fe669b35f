#!/usr/bin/env bash
# Installs, idempotently, the Debian packages one part of ocf-mfs needs. As
# root on Debian it runs apt-get only when something is missing; elsewhere it
# lists what is missing and fails.
#
#   scripts/deps.sh demo    make demo: a single-node Pacemaker and MooseFS
#   scripts/deps.sh test    make test: the demo's, plus what the tests and packaging use
#   scripts/deps.sh e2e     make e2e: the test set, plus the two-VM DRBD lab
#   scripts/deps.sh matrix  make matrix: the e2e set, plus debootstrap for the releases
#   scripts/deps.sh         everything (the same as matrix)
#
# A newcomer's first command is make demo: it must not wait for qemu or rpm.
set -euo pipefail

DEMO=(
  # the cluster stack our agents run under
  pacemaker pacemaker-cli-utils corosync crmsh resource-agents
  # MooseFS: the master we manage, and the pieces that prove clients keep their files
  moosefs-master moosefs-cli moosefs-chunkserver moosefs-client fuse3
  # the harness's sandbox: unshare and nsenter, ip, and a process table
  util-linux iproute2 procps
)
TEST=(
  "${DEMO[@]}"
  moosefs-metalogger
  # DRBD userland (the kernel side lives in the lab VMs), for the agents' tests
  drbd-utils
  # meta-data validation (xmllint)
  libxml2-utils
  # packaging, and the checks of what it builds
  rpm rpmlint lintian dpkg-dev
  # make bench counts the processes each monitor runs
  strace
  # build and tests
  git make ca-certificates
)
E2E=(
  "${TEST[@]}"
  # the two-VM DRBD lab
  qemu-system-x86 busybox-static cpio kmod e2fsprogs python3 psmisc
  # fencing in the lab (LAB_SBD=1, make soak): SBD on a shared disk, fence_sbd
  sbd fence-agents
  # scenario 11: ocft reaches the second guest over ssh; the guests run
  # their own sshd from this package's binary (the host's is not used)
  openssh-server
)
MATRIX=(
  "${E2E[@]}"
  # root file systems of Debian 11, 12 and 13
  debootstrap
)

case ${1:-all} in
  demo) PACKAGES=("${DEMO[@]}") ;;
  test) PACKAGES=("${TEST[@]}") ;;
  e2e) PACKAGES=("${E2E[@]}") ;;
  matrix | all) PACKAGES=("${MATRIX[@]}") ;;
  *) echo "usage: scripts/deps.sh [demo|test|e2e|matrix]" >&2; exit 2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != 'install ok installed' ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q "${missing[@]}" >/dev/null
  echo "deps: installed ${#missing[@]} packages"
else
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: install them as root with: apt-get install ${missing[*]}" >&2
  exit 1
fi
