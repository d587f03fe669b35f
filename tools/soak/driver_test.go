package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/runner"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeLab stands in for lab.sh: answer decides each call's output and exit
// code from its arguments, and every call is kept in order.
type fakeLab struct {
	calls  []string
	answer func(args []string) (string, int)
}

func (f *fakeLab) Run(_ context.Context, _ string, args ...string) (runner.Result, error) {
	f.calls = append(f.calls, strings.Join(args, " "))
	out, code := f.answer(args)
	return runner.Result{Stdout: out, ExitCode: code}, nil
}

func (f *fakeLab) called(sub string) []string {
	var out []string
	for _, c := range f.calls {
		if strings.Contains(c, sub) {
			out = append(out, c)
		}
	}
	return out
}

// healthyLab answers as a lab where p_mfs runs on node1, the client on
// node2 records three acknowledged writes, the cluster settles at once,
// the VIP is on node1 only and the check finds everything.
func healthyLab(t *testing.T, dir string) *fakeLab {
	rec := filepath.Join(dir, "share", "node2", "soak", "r001.log")
	require.NoError(t, os.MkdirAll(filepath.Dir(rec), 0o755))
	return &fakeLab{answer: func(a []string) (string, int) {
		switch {
		case a[0] == "status":
			return "node1 running pid 1 node1 up=4s\nnode2 running pid 2 node2 up=4s", 0
		case a[0] != "exec":
			return "", 0
		}
		node, cmd := a[1], a[2]
		switch {
		case strings.HasPrefix(cmd, "crm_resource --locate"):
			return "resource p_mfs is running on: node1", 0
		case strings.Contains(cmd, " client -dir "):
			lines := ""
			for i, sec := range []int64{1, 2, 4} {
				lines += FormatAck(Ack{At: time.Unix(sec, 0), Path: "r001-node2-0001", Offset: int64(i), Length: 1, Sum: sumA})
			}
			require.NoError(t, os.WriteFile(rec, []byte(lines+"fail 4000 r001-node2-0002 EIO\n"), 0o644))
			return "", 0
		case strings.Contains(cmd, "ip -o addr show"):
			if node == "node1" {
				return "", 0
			}
			return "", 1
		case strings.Contains(cmd, " verify -dir "):
			return "checked 3, lost 0", 0
		}
		return "", 0
	}}
}

func testDriver(f *fakeLab, dir string) *Driver {
	return &Driver{Lab: &Lab{Script: "lab.sh", Dir: dir, Run: f}, Bin: "/repo/bin/soak", Fencing: true,
		Settle: time.Minute, Log: func(string, ...any) {}, Sleep: func(time.Duration) {}}
}

func TestRoundKill9(t *testing.T) {
	dir := t.TempDir()
	f := healthyLab(t, dir)
	r := testDriver(f, dir).Round(Step{Round: 1, Fault: FaultKill9})
	assert.Empty(t, r.Human)
	assert.Equal(t, 3, r.Acks)
	assert.Equal(t, 1, r.Fails)
	assert.Zero(t, r.Lost)
	assert.Equal(t, 2*time.Second, r.Gap)
	kills := f.called("kill -9")
	require.Len(t, kills, 1)
	assert.True(t, strings.HasPrefix(kills[0], "exec node1 "), "the master is killed on the active node: %s", kills[0])
	require.Len(t, f.called(" client -dir "), 1)
	assert.True(t, strings.HasPrefix(f.called(" client -dir ")[0], "exec node2 "), "the client writes from the passive node")
	// The check reads the record of every round so far, from the verifying node's share.
	all, err := os.ReadFile(filepath.Join(dir, "share", "node2", "soak", "all.log"))
	require.NoError(t, err)
	assert.Equal(t, 4, strings.Count(string(all), "\n"))
}

func TestRoundVIPTwiceNeedsHuman(t *testing.T) {
	dir := t.TempDir()
	f := healthyLab(t, dir)
	healthy := f.answer
	f.answer = func(a []string) (string, int) {
		if a[0] == "exec" && strings.Contains(a[2], "ip -o addr show") {
			return "", 0
		}
		return healthy(a)
	}
	r := testDriver(f, dir).Round(Step{Round: 1, Fault: FaultKill9})
	assert.Contains(t, r.Human, "VIP up on 2 nodes")
}

func TestRoundSplitBrainNeedsHuman(t *testing.T) {
	dir := t.TempDir()
	f := healthyLab(t, dir)
	healthy := f.answer
	f.answer = func(a []string) (string, int) {
		if a[0] == "exec" && a[2] == "drbd-splitbrain status" {
			return "r0: split brain (confirmed)", 3
		}
		return healthy(a)
	}
	r := testDriver(f, dir).Round(Step{Round: 1, Fault: FaultStandby})
	assert.Contains(t, r.Human, "split brain on node1")
}

// A node back from standby attaches its disk before it connects: for that
// moment its device is StandAlone and status says "suspected". That is no
// split brain unless the cluster then fails to settle.
func TestRoundPassingStandAloneIsNoSplitBrain(t *testing.T) {
	dir := t.TempDir()
	f := healthyLab(t, dir)
	healthy := f.answer
	statuses := 0
	f.answer = func(a []string) (string, int) {
		if a[0] == "exec" && a[1] == "node2" && a[2] == "drbd-splitbrain status" {
			statuses++
			if statuses == 1 {
				return "  0 r0           StandAlone    Secondary/Unknown UpToDate/DUnknown  split brain suspected (StandAlone)", 3
			}
		}
		return healthy(a)
	}
	r := testDriver(f, dir).Round(Step{Round: 1, Fault: FaultStandby})
	assert.Empty(t, r.Human)
	assert.Equal(t, 1, statuses, "a settled cluster needs no second look")
}

func TestRoundLastingStandAloneNeedsHuman(t *testing.T) {
	dir := t.TempDir()
	f := healthyLab(t, dir)
	healthy := f.answer
	f.answer = func(a []string) (string, int) {
		switch {
		case a[0] == "exec" && a[1] == "node2" && a[2] == "drbd-splitbrain status":
			return "  0 r0           StandAlone    Secondary/Unknown UpToDate/DUnknown  split brain suspected (StandAlone)", 3
		case a[0] == "exec" && strings.Contains(a[2], "check()"):
			return "DRBD not connected and in sync", 1
		}
		return healthy(a)
	}
	r := testDriver(f, dir).Round(Step{Round: 1, Fault: FaultStandby})
	assert.Contains(t, r.Human, "split brain on node2")
	assert.Contains(t, r.Human, "suspected")
}

func TestRoundLostWrites(t *testing.T) {
	dir := t.TempDir()
	f := healthyLab(t, dir)
	healthy := f.answer
	f.answer = func(a []string) (string, int) {
		if a[0] == "exec" && strings.Contains(a[2], " verify -dir ") {
			return "lost r001-node2-0001 0+1: content at 0+1 differs\nchecked 3, lost 1", 1
		}
		return healthy(a)
	}
	r := testDriver(f, dir).Round(Step{Round: 1, Fault: FaultKill9})
	assert.Equal(t, 1, r.Lost)
}

// A partition must end with exactly one node fenced: its qemu is gone; the
// survivor gets its link back and the victim boots and rejoins.
func TestRoundPartitionOneFenced(t *testing.T) {
	dir := t.TempDir()
	f := healthyLab(t, dir)
	healthy := f.answer
	cut := false
	booted := false
	f.answer = func(a []string) (string, int) {
		switch {
		case a[0] == "mon" && a[2] == "set_link n0 off":
			cut = true
		case a[0] == "up" && a[1] == "node2":
			booted = true
		case a[0] == "status" && cut && !booted:
			return "node1 running pid 1 node1 up=4s\nnode2 down", 0
		}
		return healthy(a)
	}
	d := testDriver(f, dir)
	d.FenceWait = 25 * time.Second
	var slept []time.Duration
	d.Sleep = func(t time.Duration) { slept = append(slept, t) }
	r := d.Round(Step{Round: 1, Fault: FaultPartition, Hold: 90 * time.Second})
	assert.Empty(t, r.Human)
	// The survivor is watched as long as a second fencing could still come
	// (the lab's msgwait and a margin), not a fixed time.
	assert.Contains(t, slept, 25*time.Second)
	assert.NotContains(t, slept, 45*time.Second)
	assert.Equal(t, []string{"mon node1 set_link n0 off", "mon node2 set_link n0 off", "mon node1 set_link n0 on"}, f.called("set_link"))
	assert.Equal(t, []string{"up node2", "cluster-start node2"}, append(f.called("up node"), f.called("cluster-start")...))
}

func TestRoundPartitionBothFencedNeedsHuman(t *testing.T) {
	dir := t.TempDir()
	f := healthyLab(t, dir)
	healthy := f.answer
	cut := false
	f.answer = func(a []string) (string, int) {
		switch {
		case a[0] == "mon" && a[2] == "set_link n0 off":
			cut = true
		case a[0] == "status" && cut:
			return "node1 down\nnode2 down", 0
		}
		return healthy(a)
	}
	r := testDriver(f, dir).Round(Step{Round: 1, Fault: FaultPartition, Hold: 90 * time.Second})
	assert.Contains(t, r.Human, "both nodes were fenced")
}

func TestRoundPartitionNobodyFencedNeedsHuman(t *testing.T) {
	dir := t.TempDir()
	f := healthyLab(t, dir)
	now := time.Now()
	d := testDriver(f, dir)
	// Time passes only in the driver's sleeps.
	d.Sleep = func(t time.Duration) { now = now.Add(t) }
	d.Now = func() time.Time { return now }
	r := d.Round(Step{Round: 1, Fault: FaultPartition, Hold: 10 * time.Second})
	assert.Contains(t, r.Human, "no node was fenced")
	assert.Equal(t, []string{"mon node1 set_link n0 off", "mon node2 set_link n0 off", "mon node1 set_link n0 on", "mon node2 set_link n0 on"}, f.called("set_link"))
}

func TestSettleScriptNamesEveryCheck(t *testing.T) {
	s := settleScript(true)
	for _, want := range []string{"Online: \\[ (node1 node2|node2 node1) \\]", "UNCLEAN", "unmanaged", "Stopped", "st_sbd", "ds:UpToDate/UpToDate", "master version"} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, settleScript(false), "st_sbd")
}

// A client that hangs in fsync after its last ack (the master it wrote to
// was stopped) is without acknowledged writes until the driver stops it:
// the gap runs to the guest's clock at the stop, not to the last ack.
func TestRoundGapCountsAHungClientsTail(t *testing.T) {
	dir := t.TempDir()
	f := healthyLab(t, dir)
	healthy := f.answer
	f.answer = func(a []string) (string, int) {
		if a[0] == "exec" && strings.Contains(a[2], " client -dir ") {
			healthy(a)
			return "clock=500", 0
		}
		if a[0] == "exec" && strings.Contains(a[2], "kill -TERM") {
			return "clock=64000", 0
		}
		return healthy(a)
	}
	r := testDriver(f, dir).Round(Step{Round: 1, Fault: FaultSigstop, Hold: 20 * time.Second})
	assert.Empty(t, r.Human)
	assert.Equal(t, 60*time.Second, r.Gap, "acks at 1, 2 and 4 s; stopped at 64 s")
}

// A round waited after its check until MooseFS had copied every chunk
// twice again, up to three minutes after a crash or a partition, though
// only a fault that takes a node's chunkserver with it needs the second
// copy: the other faults leave both chunkservers. The wait now comes
// before such a fault, where it protects the data, and the rounds
// between let MooseFS replicate meanwhile.
func TestRoundWaitsForTwoCopiesOnlyBeforeANodeIsLost(t *testing.T) {
	dir := t.TempDir()
	f := healthyLab(t, dir)
	d := testDriver(f, dir)
	d.Round(Step{Round: 1, Fault: FaultKill9})
	assert.Empty(t, f.called("mfscheckfile"), "kill -9 leaves both chunkservers: no wait")

	f.calls = nil
	d.Round(Step{Round: 2, Fault: FaultCrash})
	waits := f.called("mfscheckfile")
	require.Len(t, waits, 1)
	var iWait, iQuit int
	for i, c := range f.calls {
		switch {
		case strings.Contains(c, "mfscheckfile"):
			iWait = i
		case c == "mon node1 quit":
			iQuit = i
		}
	}
	assert.Less(t, iWait, iQuit, "the wait comes before the node is lost")
}

// Found by make soak after a SIGSTOP round: the writing client's mount was
// still hung on the master it had written to, and the check, reading back
// through that same mount, failed twice and took a minute. Reading through
// the writer's mount could also answer from that client's cache. The check
// mounts the file system afresh, on a mount point of its own, and reads
// from there.
func TestVerifyReadsThroughAFreshMountOfItsOwn(t *testing.T) {
	v := oneCall(t, FaultKill9, " verify -dir ")
	assert.Contains(t, v, "umount -l "+verifyMnt)
	assert.Contains(t, v, "mfsmount "+verifyMnt+" -H "+vip)
	assert.Contains(t, v, " verify -dir "+verifyMnt+"/soak ")
	assert.NotContains(t, v, " verify -dir "+mnt+"/")
}

// oneCall runs one round of fault on a healthy lab and returns the one
// lab.sh call that contains sub.
func oneCall(t *testing.T, fault Fault, sub string) string {
	t.Helper()
	dir := t.TempDir()
	f := healthyLab(t, dir)
	testDriver(f, dir).Round(Step{Round: 1, Fault: fault})
	calls := f.called(sub)
	require.Len(t, calls, 1)
	return calls[0]
}

// A client killed while blocked in a write leaves its mount hanging on a
// master that went away; stopping the client lets go of that mount.
func TestStopClientLetsGoOfTheWritersMount(t *testing.T) {
	assert.Contains(t, oneCall(t, FaultKill9, "kill -TERM"), "umount -l "+mnt)
}
