package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The lab's stack (test/e2e/scenarios/00-drbd-baseline.crm) and MooseFS
// addresses (test/e2e/scenarios/mfs.sh).
const (
	vip       = "169.254.77.100"
	mnt       = "/mnt/mfs"
	soakDir   = mnt + "/soak"
	verifyMnt = "/mnt/mfs-verify" // the check's own mount, never the writer's
	lockFile  = "/data/mfs/.mfsmaster.lock"
	hangFlag  = "/run/soak-hang-crm_attribute"
	clientPID = "/run/soak-client.pid"
)

// Driver runs the soak's rounds against a lab whose stack is up.
type Driver struct {
	Lab     *Lab
	Bin     string // the soak binary as the guests see it (the host's / is theirs)
	Fencing bool
	Settle  time.Duration // how long a round may take to settle before it needs a human
	Warmup  time.Duration // client writing before the fault
	// FenceWait is how long a second fencing could still follow the first
	// in a partition: the lab's SBD msgwait and a margin.
	FenceWait time.Duration
	Log       func(format string, a ...any)
	Sleep     func(time.Duration) // time.Sleep; tests pass a fake
	Now       func() time.Time    // time.Now; tests pass a fake

	records []byte // every client's record so far, whole lines only
}

// Round runs one step: the client on the passive node, the fault, the wait
// until the cluster settled, and the check of every acknowledged write so
// far. Outcomes: the round's result; Human says why it needed one.
func (d *Driver) Round(st Step) RoundResult {
	res := RoundResult{Step: st}
	active, err := d.locate()
	if err != nil {
		res.Human = err.Error()
		return res
	}
	passive := Other(active)
	rec := fmt.Sprintf("soak/r%03d.log", st.Round)
	start, err := d.startClient(passive, st.Round)
	if err != nil {
		res.Human = "client: " + err.Error()
		return res
	}
	if st.Fault == FaultCrash || st.Fault == FaultPartition {
		// This fault takes a node's chunkserver, and with it every chunk
		// of which it holds the only copy (the other node's chunkserver
		// rebooted empty in an earlier round).
		if err := d.waitTwoCopies(passive); err != nil {
			d.Log("round %d: %v; injecting all the same", st.Round, err)
		}
	}
	d.sleep(d.Warmup)
	d.Log("round %d: %s on active %s (hold %s), client on %s", st.Round, st.Fault, active, st.Hold, passive)
	t0 := time.Now()
	if err := d.inject(st, active, passive); err != nil {
		res.Human = fmt.Sprintf("%s: %v", st.Fault, err)
	}
	if res.Human == "" {
		if err := d.settle(); err != nil {
			res.Human = err.Error()
		}
	}
	res.Recovery = time.Since(t0)
	t1 := time.Now()
	end, stopped := d.stopClient(passive)
	d.Log("round %d: client stopped in %.1fs", st.Round, time.Since(t1).Seconds())
	data, rerr := d.Lab.ReadShare(passive, rec)
	if rerr != nil {
		res.Human = joinReason(res.Human, fmt.Sprintf("client record: %v", rerr))
		return res
	}
	l, perr := ParseLog(bytes.NewReader(data))
	if perr != nil {
		res.Human = joinReason(res.Human, perr.Error())
		return res
	}
	res.Acks, res.Fails = len(l.Acks), l.Fails
	// The client's own clock bounds the gap: from its start to its stop,
	// so that a client hung after its last ack counts until then. A
	// client that died with its node has no stop: its last ack ends it.
	if len(l.Acks) > 0 {
		if start.IsZero() {
			start = l.Acks[0].At
		}
		if !stopped {
			end = l.Acks[len(l.Acks)-1].At
		}
		res.Gap = LongestGap(start, end, l.Acks)
	}
	if res.Human != "" {
		return res
	}
	lost, verr := d.verify(passive, data)
	res.Lost = lost
	if verr != nil {
		res.Human = verr.Error()
	}
	d.Log("round %d: %s recovered in %.1fs; %d acks, %d failed writes, longest gap %.1fs, %d lost",
		st.Round, st.Fault, res.Recovery.Seconds(), res.Acks, res.Fails, res.Gap.Seconds(), res.Lost)
	return res
}

func (d *Driver) sleep(t time.Duration) {
	if d.Sleep != nil {
		d.Sleep(t)
		return
	}
	time.Sleep(t)
}

func (d *Driver) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

var locateRE = regexp.MustCompile(`is running on: (node[12])`)

// locate finds the node running p_mfs, asking any node that answers.
func (d *Driver) locate() (string, error) {
	var last string
	for _, n := range Nodes {
		out, err := d.Lab.Exec(n, time.Minute, "crm_resource --locate -r p_mfs")
		if m := locateRE.FindStringSubmatch(out); err == nil && m != nil {
			return m[1], nil
		}
		last = out
	}
	return "", fmt.Errorf("p_mfs runs nowhere: %s", lastLines(last, 3))
}

var clockRE = regexp.MustCompile(`clock=(\d+)`)

// guestClock reads the "clock=UNIXMS" a guest command printed; zero when
// there is none.
func guestClock(out string) time.Time {
	m := clockRE.FindStringSubmatch(out)
	if m == nil {
		return time.Time{}
	}
	ms, _ := strconv.ParseInt(m[1], 10, 64)
	return time.UnixMilli(ms)
}

// startClient mounts the file system through the VIP on node (a fresh
// mount: one from an earlier round may hang on a master that moved) and
// starts a client writing into soak/, goal 2, recording into node's share.
// Outcomes: the guest's clock when the client started (the acks carry
// that clock, not the host's), or an error.
func (d *Driver) startClient(node string, round int) (time.Time, error) {
	out, err := d.Lab.Exec(node, 3*time.Minute, fmt.Sprintf(`set -e
		mkdir -p /share/soak
		%[1]s
		mkdir -p %[3]s; mfssetgoal 2 %[3]s >/dev/null
		rm -f /share/soak/r%03[5]d.log
		setsid %[4]s client -dir %[3]s -name r%03[5]d-%[6]s -record /share/soak/r%03[5]d.log \
			</dev/null >/share/soak/r%03[5]d.out 2>&1 &
		echo $! >%[7]s; echo clock=$(date +%%s%%3N)`, freshMount(mnt), vip, soakDir, d.Bin, round, node, clientPID))
	return guestClock(out), err
}

// stopClient ends the client on node if node still runs; one still
// blocked in a write 10 s after SIGTERM (its mount hangs on a master that
// went away) is killed, and its acknowledged writes so far are what count.
// Outcomes: the guest's clock at the stop and true; false when the node or
// the client was gone.
func (d *Driver) stopClient(node string) (time.Time, bool) {
	if !d.Lab.Alive(node) {
		return time.Time{}, false
	}
	out, _ := d.Lab.Exec(node, time.Minute, fmt.Sprintf(`p=$(cat %[1]s 2>/dev/null) || exit 0
		echo clock=$(date +%%s%%3N)
		kill -TERM "$p" 2>/dev/null; s=$SECONDS
		while kill -0 "$p" 2>/dev/null && ((SECONDS - s < 10)); do sleep 0.5; done
		kill -KILL "$p" 2>/dev/null; rm -f %[1]s
		# Its mount may still hang on a master that went away; the next
		# round mounts afresh. (A chunk it was writing stays locked on the
		# master until MooseFS's lock timeout, 120 s after the write began,
		# and reads of it wait until then: the check after such a round is
		# slow, and unmounting does not shorten it.)
		umount -l %[2]s 2>/dev/null; true`, clientPID, mnt))
	end := guestClock(out)
	return end, !end.IsZero()
}

// cutDRBD drops DRBD's port on node's link (as test/e2e/scenarios/fence.sh
// does): the replication traffic stops while corosync, on the same link,
// still passes, so the cluster does not partition.
const cutDRBD = `modprobe -a sch_prio cls_u32 act_gact; tc qdisc add dev eth0 root handle 1: prio &&
	tc filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dport 7789 0xffff action drop &&
	tc filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip sport 7789 0xffff action drop`

const healDRBD = `tc qdisc del dev eth0 root 2>/dev/null || true`

// hangWrapper is put in front of crm_attribute in the guests' PATH
// (/usr/local/sbin comes first, and pacemakerd passes its PATH to the
// agents). While the flag file exists every call sleeps as long as it says.
const hangWrapper = `#!/bin/sh
[ -e ` + hangFlag + ` ] && sleep "$(cat ` + hangFlag + `)"
exec /usr/sbin/crm_attribute "$@"
`

func (d *Driver) inject(st Step, active, passive string) error {
	hold := int(st.Hold.Seconds())
	switch st.Fault {
	case FaultKill9:
		_, err := d.Lab.Exec(active, time.Minute, "kill -9 $(head -1 "+lockFile+")")
		return err
	case FaultSigstop:
		_, err := d.Lab.Exec(active, time.Minute, fmt.Sprintf(`p=$(head -1 %s) && kill -STOP "$p" &&
			{ (sleep %d; kill -CONT "$p" 2>/dev/null) </dev/null >/dev/null 2>&1 & }`, lockFile, hold))
		if err == nil {
			d.sleep(st.Hold)
		}
		return err
	case FaultCrash:
		if err := d.Lab.Mon(active, "quit"); err != nil && d.Lab.Alive(active) {
			return err
		}
		// The node stays down until the survivor took over, as a real
		// reboot takes its time; with SBD the survivor fences it first.
		if err := d.waitTakeover(passive); err != nil {
			return err
		}
		return d.rejoin(active)
	case FaultStandby:
		if _, err := d.Lab.Exec(active, time.Minute, "/usr/sbin/crm_attribute --node "+active+" --name standby --update on"); err != nil {
			return err
		}
		werr := d.waitTakeover(passive)
		_, err := d.Lab.Exec(passive, time.Minute, "/usr/sbin/crm_attribute --node "+active+" --name standby --update off")
		if werr != nil {
			return werr
		}
		return err
	case FaultReplLink:
		for _, n := range Nodes {
			if _, err := d.Lab.Exec(n, time.Minute, cutDRBD); err != nil {
				return err
			}
		}
		d.sleep(st.Hold)
		var err error
		for _, n := range Nodes {
			if _, e := d.Lab.Exec(n, time.Minute, healDRBD); e != nil {
				err = e
			}
		}
		return err
	case FaultHungAttr:
		for _, n := range Nodes {
			if _, err := d.Lab.Exec(n, time.Minute, fmt.Sprintf("cat >/usr/local/sbin/crm_attribute <<'EOF'\n%sEOF\nchmod 0755 /usr/local/sbin/crm_attribute; echo %d >%s",
				hangWrapper, hold, hangFlag)); err != nil {
				return err
			}
		}
		// A steady monitor writes no score: make the passive node's score
		// change (its disk goes Outdated and back) while the tool hangs.
		_, err := d.Lab.Exec(passive, 2*time.Minute, "drbdadm disconnect r0; sleep 5; drbdadm connect r0")
		d.sleep(st.Hold)
		for _, n := range Nodes {
			_, _ = d.Lab.Exec(n, time.Minute, "rm -f "+hangFlag)
		}
		return err
	case FaultPartition:
		return d.partition(st.Hold)
	}
	return fmt.Errorf("unknown fault %q", st.Fault)
}

// partition cuts both nodes' links and waits for fencing: exactly one node
// must be reset (its qemu, run with -no-reboot, exits when sbd resets it).
// Then the survivor's link comes back and the victim boots and rejoins.
func (d *Driver) partition(hold time.Duration) error {
	for _, n := range Nodes {
		if err := d.Lab.Mon(n, "set_link n0 off"); err != nil {
			return err
		}
	}
	deadline := d.now().Add(hold)
	var dead []string
	for d.now().Before(deadline) {
		dead = dead[:0]
		for _, n := range Nodes {
			if !d.Lab.Alive(n) {
				dead = append(dead, n)
			}
		}
		if len(dead) > 0 {
			break
		}
		d.sleep(2 * time.Second)
	}
	if len(dead) == 1 {
		// A second fencing would come within sbd's msgwait: wait it out.
		d.sleep(d.FenceWait)
		if !d.Lab.Alive(Other(dead[0])) {
			dead = append(dead, Other(dead[0]))
		}
	}
	switch len(dead) {
	case 0:
		for _, n := range Nodes {
			_ = d.Lab.Mon(n, "set_link n0 on")
		}
		return fmt.Errorf("no node was fenced within %s of the partition", hold)
	case 2:
		return fmt.Errorf("both nodes were fenced")
	}
	victim := dead[0]
	d.Log("partition: %s fenced, %s survived", victim, Other(victim))
	if err := d.Lab.Mon(Other(victim), "set_link n0 on"); err != nil {
		return err
	}
	return d.rejoin(victim)
}

// waitTakeover waits until node runs the VIP (and so the whole stack).
func (d *Driver) waitTakeover(node string) error {
	_, err := d.Lab.Exec(node, 6*time.Minute, `s=$SECONDS
		until crm_mon -1r 2>/dev/null | grep -Eq "p_vip[[:space:]].*Started `+node+`"; do
			((SECONDS - s > 300)) && { crm_mon -1r; echo "no takeover by `+node+` after 300s"; exit 1; }
			sleep 2
		done`)
	return err
}

// rejoin boots node again; settle starts its chunkserver.
func (d *Driver) rejoin(node string) error {
	return d.Lab.Boot(node)
}

// settleScript holds when the cluster is whole again: both nodes online,
// one promoted and one unpromoted DRBD, the stack started, nothing
// stopped, failed, blocked or unmanaged, DRBD connected and in sync, the
// master answering through the VIP. It prints the state when it does not.
func settleScript(fencing bool) string {
	st := ""
	if fencing {
		st = `grep -Eq "st_sbd[[:space:]].*Started" /tmp/soak.mon || bad "fence device not started"`
	}
	return `bad() { echo "$1"; cat /tmp/soak.mon /proc/drbd; exit 1; }
		crm_mon -1r >/tmp/soak.mon 2>&1 || bad "crm_mon failed"
		grep -Eq "Online: \[ (node1 node2|node2 node1) \]" /tmp/soak.mon || bad "not both online"
		! grep -Eq "OFFLINE|UNCLEAN|FAILED|Stopped|unmanaged|blocked|pending" /tmp/soak.mon || bad "a node or resource is not healthy"
		grep -Eq "Promoted: \[ node[12] \]" /tmp/soak.mon && grep -Eq "Unpromoted: \[ node[12] \]" /tmp/soak.mon || bad "DRBD not promoted once"
		for r in p_fs p_mfs p_vip; do grep -Eq "$r[[:space:]].*Started" /tmp/soak.mon || bad "$r not started"; done
		` + st + `
		grep -Eq "cs:Connected ro:(Primary/Secondary|Secondary/Primary) ds:UpToDate/UpToDate" /proc/drbd || bad "DRBD not connected and in sync"
		mfscli -H ` + vip + ` -P 9421 -SIN 2>/dev/null | grep -q "master version" || bad "master does not answer"`
}

// splitBrain asks drbd-splitbrain status on each node. It exits 3 both for
// a split brain the kernel or the handler recorded ("confirmed") and for a
// device that is merely StandAlone ("suspected"), which a node back from
// standby or a reboot is for a moment, between attaching its disk and
// connecting. confirmedOnly counts the first kind alone. Outcomes: nil, or
// the node and its status lines.
func (d *Driver) splitBrain(confirmedOnly bool) error {
	for _, n := range Nodes {
		out, err := d.Lab.Exec(n, time.Minute, "drbd-splitbrain status")
		if err == nil || !strings.Contains(err.Error(), "exit 3") {
			continue
		}
		if !confirmedOnly || strings.Contains(strings.ToLower(out), "confirmed") {
			return fmt.Errorf("split brain on %s: %s", n, lastLines(out, 4))
		}
	}
	return nil
}

// settle waits until the cluster is whole again (settleScript), the VIP is
// up on one node only, both chunkservers are registered and failed actions
// are cleaned up. Outcomes: nil; or why a human is needed (a split brain,
// or no settled state within d.Settle).
func (d *Driver) settle() error {
	// A confirmed split brain needs a human: no waiting cures it.
	if err := d.splitBrain(true); err != nil {
		return err
	}
	secs := int(d.Settle.Seconds())
	wait := fmt.Sprintf(`s=$SECONDS; check() { %s
		}
		until out=$(check 2>&1); do ((SECONDS - s > %d)) && { echo "$out"; exit 1; }; sleep 2; done`, settleScript(d.Fencing), secs)
	var out string
	var err error
	for _, n := range Nodes {
		if out, err = d.Lab.Exec(n, d.Settle+time.Minute, wait); err == nil {
			break
		}
		if d.Lab.Alive(n) {
			if err := d.splitBrain(false); err != nil {
				return err
			}
			return fmt.Errorf("not settled after %ds: %s", secs, lastLines(out, 12))
		}
	}
	if err != nil {
		return fmt.Errorf("not settled: %v", err)
	}
	var on []string
	for _, n := range Nodes {
		if _, err := d.Lab.Exec(n, time.Minute, "ip -o addr show dev eth0 | grep -q ' "+vip+"/'"); err == nil {
			on = append(on, n)
		}
	}
	if len(on) != 1 {
		return fmt.Errorf("VIP up on %d nodes (%v)", len(on), on)
	}
	if err := d.chunkservers(); err != nil {
		return err
	}
	_, _ = d.Lab.Exec(on[0], 2*time.Minute, "crm_resource --cleanup >/dev/null 2>&1; crm_resource --wait --timeout=90s >/dev/null 2>&1; true")
	return nil
}

// chunkservers starts a node's chunkserver when it is not running (a
// rebooted node lost it) and waits until both are registered.
func (d *Driver) chunkservers() error {
	for _, n := range Nodes {
		if _, err := d.Lab.Exec(n, 2*time.Minute, `mkdir -p /var/lib/mfs-cs/hdd && chown -R mfs:mfs /var/lib/mfs-cs &&
			{ mfschunkserver -c /etc/mfs/mfschunkserver-lab.cfg test >/dev/null 2>&1 ||
			  mfschunkserver -c /etc/mfs/mfschunkserver-lab.cfg start >/dev/null 2>&1; }`); err != nil {
			return fmt.Errorf("chunkserver on %s: %w", n, err)
		}
	}
	_, err := d.Lab.Exec("node1", 4*time.Minute, `s=$SECONDS
		until [ $(mfscli -H `+vip+` -P 9421 -SCS 2>/dev/null | grep -c '^chunk servers:.*node[12]') -ge 2 ]; do
			((SECONDS - s > 180)) && { mfscli -H `+vip+` -P 9421 -SCS; exit 1; }; sleep 2; done`)
	if err != nil {
		return fmt.Errorf("chunkservers not both registered: %w", err)
	}
	return nil
}

// freshMount is the shell lines that mount the file system through the
// VIP on dir, afresh: a mount left there may hang on a master that moved.
// The last line fails when nothing got mounted.
func freshMount(dir string) string {
	return fmt.Sprintf(`mkdir -p %[1]s
		if mountpoint -q %[1]s; then umount -l %[1]s; fi
		mfsmount %[1]s -H %[2]s -P 9421 >/dev/null 2>&1; mountpoint -q %[1]s`, dir, vip)
}

// waitTwoCopies waits, on node, until MooseFS holds two copies of every
// chunk of the soak's files: a rebooted chunkserver comes back empty (its
// disk is in the guest's memory). It reads through the mount the round's
// client has just made (startClient). Outcomes: nil, or an error after
// three minutes.
func (d *Driver) waitTwoCopies(node string) error {
	t := time.Now()
	out, err := d.Lab.Exec(node, 4*time.Minute, `s=$SECONDS
		while mfscheckfile `+soakDir+`/* 2>/dev/null | grep -Eq "chunks with [01] cop"; do
			((SECONDS - s > 180)) && { echo "not two copies of every chunk after 180s"; exit 1; }; sleep 2; done`)
	if err != nil {
		return fmt.Errorf("%v: %s", err, lastLines(out, 2))
	}
	d.Log("two copies of every chunk after %.1fs", time.Since(t).Seconds())
	return nil
}

// verify adds the round's record to every earlier one and has node read
// back every acknowledged write so far, retrying a read that fails while
// MooseFS is still busy after the fault. Outcomes: the count lost, and an
// error when the check itself could not run.
func (d *Driver) verify(node string, record []byte) (int, error) {
	// Only whole lines: a partial last line was never a recorded ack.
	if i := bytes.LastIndexByte(record, '\n'); i >= 0 {
		d.records = append(d.records, record[:i+1]...)
	}
	all := d.Lab.SharePath(node, "soak/all.log")
	if err := os.MkdirAll(filepath.Dir(all), 0o755); err != nil {
		return 0, fmt.Errorf("verify: %w", err)
	}
	if err := os.WriteFile(all, d.records, 0o644); err != nil {
		return 0, fmt.Errorf("verify: %w", err)
	}
	// A fresh mount of its own: the writer's may still hang on the master
	// it wrote to, and could answer from its own cache.
	// Up to 6 minutes: a read of a chunk whose writer died waits for
	// MooseFS's write lock (120 s), and a failed attempt is tried again.
	out, err := d.Lab.Exec(node, 6*time.Minute, fmt.Sprintf(`%[2]s
		s=$SECONDS
		for i in 1 2 3; do %[3]s verify -dir %[1]s/soak -record /share/soak/all.log >/tmp/soak.verify 2>&1; rc=$?
			[ $rc = 0 ] && break; echo "attempt $i after $((SECONDS - s))s: $(head -3 /tmp/soak.verify | tr '\n' ' ')"; sleep 20; done
		cat /tmp/soak.verify
		echo "verified in $((SECONDS - s))s"; umount -l %[1]s; exit $rc`,
		verifyMnt, freshMount(verifyMnt), d.Bin))
	d.Log("verify on %s: %s", node, lastLines(out, 6))
	m := regexp.MustCompile(`checked (\d+), lost (\d+)`).FindAllStringSubmatch(out, -1)
	if m == nil {
		return 0, fmt.Errorf("verify did not run: %v: %s", err, lastLines(out, 4))
	}
	lost, _ := strconv.Atoi(m[len(m)-1][2])
	return lost, nil
}
