#!/usr/bin/env bash
# The guests can run MooseFS: /dev/fuse exists (for mfsmount) and mfsmaster
# starts on loopback from the packaged empty metadata, answers mfscli and
# stops cleanly. Runs on the node without the DRBD file system, so it does not
# disturb the cluster.
set -eu
. "$(dirname "$0")/../../lab/lib.sh"

n=$(x node1 'crm_resource --locate -r p_fs' | sed -n 's/.* is running on: \([^ ]*\).*/\1/p')
case $n in node1) n=node2 ;; *) n=node1 ;; esac
x $n 'test -c /dev/fuse && lsmod | grep -q "^fuse "'
timer_start mfsmaster_start_empty
x $n 'set -e
  d=/tmp/e2e-mfsmaster; rm -rf $d; mkdir -p $d
  cp /var/lib/mfs/metadata.mfs.empty $d/metadata.mfs
  chown -R mfs:mfs $d
  echo "* / rw,alldirs,maproot=0" >$d/exports.cfg
  printf "%s\n" "DATA_PATH = $d" "EXPORTS_FILENAME = $d/exports.cfg" "MATOML_LISTEN_HOST = 127.0.0.1" \
    "MATOCS_LISTEN_HOST = 127.0.0.1" "MATOCL_LISTEN_HOST = 127.0.0.1" >$d/mfsmaster.cfg
  mfsmaster -c $d/mfsmaster.cfg start >$d/start.log 2>&1 || { cat $d/start.log; exit 1; }'
timer_stop mfsmaster_start_empty
x $n 'mfsmaster -c /tmp/e2e-mfsmaster/mfsmaster.cfg test'
# mfscli gives up quickly; a guest busy under TCG may need a few tries.
wait_for $n 'mfscli -H 127.0.0.1 -P 9421 -SIN | grep "master version"' 30 1
x $n 'd=/tmp/e2e-mfsmaster; mfsmaster -c $d/mfsmaster.cfg stop >/dev/null 2>&1 && ! mfsmaster -c $d/mfsmaster.cfg test >/dev/null 2>&1'
