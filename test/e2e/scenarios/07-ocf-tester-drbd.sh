#!/usr/bin/env bash
# Scenario 6: /usr/sbin/ocf-tester against ocf:mfs:drbd on a real DRBD
# resource. Pacemaker lets go of r0 first (the clone is stopped, which stops
# everything on it); ocf-tester then drives r0 through start, promote,
# demote and stop on node1 with its peer down, and the stack comes back.
set -eu
. "$(dirname "$0")/../../lab/lib.sh"

x node1 'crm resource stop ms_drbd'
wait_for node1 '! grep -q "cs:" /proc/drbd' 300 1
wait_for node2 '! grep -q "cs:" /proc/drbd' 300 1

timer_start ocf_tester_drbd
x node1 'ocf-tester -n ocftest -o drbd_resource=r0 -o connect_timeout=2 \
  -o CRM_meta_clone_max=2 -o CRM_meta_clone_node_max=1 -o CRM_meta_promotable=true \
  -o CRM_meta_promoted_max=1 -o CRM_meta_promoted_node_max=1 -o CRM_meta_notify=true \
  /usr/lib/ocf/resource.d/mfs/drbd' | tee /dev/stderr | grep -q 'passed all tests'
timer_stop ocf_tester_drbd
x node1 '! grep -q "cs:" /proc/drbd && crm_attribute --promotion=ocftest -l reboot -D >/dev/null 2>&1; true'

x node1 'crm resource start ms_drbd'
wait_crm node1 "p_vip[[:space:]].*Started node[12]" 300
x node1 'crm_mon -1r'
