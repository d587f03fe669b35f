#!/usr/bin/env bash
# Installs, idempotently, every Debian package that ocf-mfs's tests, demo,
# end-to-end lab and packaging use. As root on Debian it runs apt-get only
# when something is missing; elsewhere it lists what is missing and fails.
set -euo pipefail

PACKAGES=(
  # the cluster stack our agents run under, and the OCF compliance checker
  pacemaker pacemaker-cli-utils corosync crmsh resource-agents
  # MooseFS: the master we manage, and the pieces that prove clients keep their files
  moosefs-master moosefs-cli moosefs-metalogger moosefs-chunkserver moosefs-client fuse3
  # DRBD userland (the kernel side lives in the lab VMs)
  drbd-utils
  # meta-data validation (xmllint)
  libxml2-utils
  # the two-VM DRBD lab
  qemu-system-x86 busybox-static cpio kmod e2fsprogs python3 iproute2 procps psmisc
  # packaging
  rpm rpmlint
  # make bench counts the processes each monitor runs
  strace
  # build and tests
  git make ca-certificates
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
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
