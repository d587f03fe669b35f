#!/usr/bin/env bash
# fake-host.sh CMD...: run CMD on a make-believe production cluster node, and
# fail if CMD touched that node's cluster. Our users run make test and make
# demo on their cluster nodes; this is how we check that both leave such a
# node alone.
#
# In a mount namespace of its own (so the real host's files are never
# written), /etc/corosync, /var/lib/pacemaker and /var/lib/corosync hold the
# configuration, CIB and ring state of a cluster named "production", and two
# processes named corosync and pacemakerd run (copies of sleep). After CMD,
# those files must be byte-identical and those processes still running.
# FAKE_COROSYNC and FAKE_PACEMAKERD hold their pids for CMD's own use.
#
# Exit: CMD's exit code when the node was left alone; 97 when it was not
# (what changed is printed); 96 when the make-believe node could not be made.
set -u
if [ "${1:-}" != _inside ]; then
  [ $# -gt 0 ] || { sed -n '2,/^set -u/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2; }
  [ "$(id -u)" = 0 ] || { echo "fake-host.sh: needs root (a mount namespace)" >&2; exit 96; }
  exec unshare --mount --propagation private -- "$0" _inside "$@"
fi
shift

fail() { echo "fake-host.sh: $*" >&2; exit 96; }
SCRATCH=$(mktemp -d) || fail "mktemp"
mount -t tmpfs -o mode=0700 fake-host "$SCRATCH" || fail "tmpfs on $SCRATCH"
for d in /etc/corosync /var/lib/pacemaker /var/lib/corosync; do
  mkdir -p "$d" 2>/dev/null
  mount -t tmpfs -o mode=0755 fake-host "$d" || fail "tmpfs on $d"
done
mkdir -p /var/lib/pacemaker/cib
cat >/etc/corosync/corosync.conf <<'EOF'
# the production cluster of a node that runs ocf-mfs's tests
totem {
    version: 2
    cluster_name: production
    transport: knet
}
nodelist {
    node {
        ring0_addr: 192.0.2.11
        name: prod-a
        nodeid: 1
    }
}
EOF
cat >/var/lib/pacemaker/cib/cib.xml <<'EOF'
<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="42" num_updates="0" admin_epoch="7">
  <configuration><crm_config/><nodes/><resources/><constraints/></configuration>
  <status/>
</cib>
EOF
echo "production ring" >/var/lib/corosync/ringid_1
FILES="/etc/corosync/corosync.conf /var/lib/pacemaker/cib/cib.xml /var/lib/corosync/ringid_1"
# shellcheck disable=SC2086
sha256sum $FILES >"$SCRATCH/sums"

cp /bin/sleep "$SCRATCH/corosync" && cp /bin/sleep "$SCRATCH/pacemakerd" || fail "copy sleep"
"$SCRATCH/corosync" infinity </dev/null >/dev/null 2>&1 &
FAKE_COROSYNC=$!
"$SCRATCH/pacemakerd" infinity </dev/null >/dev/null 2>&1 &
FAKE_PACEMAKERD=$!
export FAKE_COROSYNC FAKE_PACEMAKERD

"$@"
rc=$?

bad=0
if ! out=$(sha256sum --quiet -c "$SCRATCH/sums" 2>&1); then
  echo "fake-host.sh: the node's cluster files changed:" >&2
  echo "$out" | sed 's/^/  /' >&2
  bad=1
fi
for p in "corosync:$FAKE_COROSYNC" "pacemakerd:$FAKE_PACEMAKERD"; do
  name=${p%%:*} pid=${p#*:}
  comm=$(cat "/proc/$pid/comm" 2>/dev/null)
  if [ "$comm" != "$name" ] || grep -q '^State:.*Z' "/proc/$pid/status"; then
    echo "fake-host.sh: the node's $name (pid $pid) no longer runs" >&2
    bad=1
  fi
done
kill "$FAKE_COROSYNC" "$FAKE_PACEMAKERD" 2>/dev/null
wait 2>/dev/null
[ $bad = 0 ] || exit 97
echo "fake-host.sh: the node's cluster files and processes are as they were"
exit $rc
