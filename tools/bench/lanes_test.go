package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// hostLocal makes the host's zone UTC for a test, as on the machine that
// captured the fixtures: the logs' local times and the meta's epochs must
// agree whatever zone the test runs in.
func hostLocal(t *testing.T) {
	t.Helper()
	old := time.Local
	time.Local = time.UTC
	t.Cleanup(func() { time.Local = old })
}

// The fixtures testdata/lab-ours-standby and testdata/lab-ours-crash are
// real: what lab-stack.sh kept of our stack's failovers in a make bench
// run in the lab, trimmed to the controller's lines (their READMEs say
// how).
func labCapture(t *testing.T, name string) capture {
	t.Helper()
	hostLocal(t)
	c, err := readCapture("testdata/" + name)
	require.NoError(t, err)
	return c
}

func at(c capture, d time.Duration) time.Time { return c.Fault.Add(d) }

func TestReadCaptureOfAStandbyPutsBothNodesOnTheHostsClock(t *testing.T) {
	c := labCapture(t, "lab-ours-standby")
	require.True(t, time.Unix(1795797685, 85341997).Equal(c.Fault), "%v", c.Fault)
	require.Equal(t, -873360986*time.Nanosecond, c.Skew["node1"])
	require.Equal(t, -1090138498*time.Nanosecond, c.Skew["node2"])
	require.Equal(t, 119932*time.Microsecond, c.Slack, "half node2's round trip, the longer")
	require.Empty(t, c.Gone)

	// node2 went to standby: it stopped the master (logged at 16:41:30.841
	// and 16:41:34.289 on a clock 1.09 s behind the host's).
	var stop, promote op
	nodes := map[string]int{}
	for _, o := range c.Ops {
		nodes[o.Node]++
		switch {
		case o.Node == "node2" && o.Resource == "p_mfs" && o.Action == "stop":
			stop = o
		case o.Node == "node1" && o.Resource == "p_drbd_r0" && o.Action == "promote":
			promote = o
		}
		require.False(t, o.End.Before(c.Fault), "nothing that ended before the fault: %+v", o)
	}
	require.Equal(t, 2, len(nodes), "both nodes' logs, one axis")
	require.WithinDuration(t, at(c, 6795*time.Millisecond), stop.Start, time.Millisecond)
	require.Equal(t, 3448*time.Millisecond, stop.End.Sub(stop.Start))
	require.Equal(t, "ok", stop.Result)
	require.WithinDuration(t, at(c, 15900*time.Millisecond), promote.Start, time.Millisecond)
	require.True(t, promote.Start.After(stop.End), "the promote on node1 waits for the stop on node2")
}

func TestStepsOfAStandbyFollowTheConstraints(t *testing.T) {
	c := labCapture(t, "lab-ours-standby")
	// The slow notify and monitors stay: node1 runs one action at a time,
	// so p_fs's first monitor holds up p_mfs's start.
	require.Equal(t, "node2 p_vip stop 5.5–6.7 s; node2 p_mfs stop 6.8–10.2 s; node2 p_fs stop 10.3–13.0 s; "+
		"node2 p_drbd_r0 demote 13.3–13.5 s; node2 p_drbd_r0 stop 13.8–14.5 s; node1 p_drbd_r0 notify 14.5–15.5 s; "+
		"node1 p_drbd_r0 promote 15.9–16.6 s; node1 p_fs start 17.2–19.1 s; node1 p_fs monitor 20s 19.1–20.6 s; "+
		"node1 p_mfs start 20.7–22.1 s; node1 p_vip start 22.3–24.1 s; node1 p_vip monitor 10s 24.1–26.2 s",
		steps(c.Fault, c.Ops))
}

func TestReadCaptureOfACrashHasTheSurvivorAlone(t *testing.T) {
	c := labCapture(t, "lab-ours-crash")
	require.Equal(t, []string{"node1"}, c.Gone)
	require.NotContains(t, c.Skew, "node1")
	for _, o := range c.Ops {
		require.Equal(t, "node2", o.Node)
	}
	// Nothing happens for 11 s: corosync has to declare node1 lost and
	// node2 to become DC before the first notify.
	require.WithinDuration(t, at(c, 10973*time.Millisecond), c.Ops[0].Start, time.Millisecond)
	require.Equal(t, "notify", c.Ops[0].Action)
	last := c.Ops[len(c.Ops)-1]
	require.Equal(t, "p_drbd_r0 monitor 15s promoted 8", fmt.Sprint(last.Resource, " ", last.Action, " ", last.Interval, " ", last.Result, " ", last.RC))
	require.False(t, failed(last), "a promoted instance's monitor answers 8")
}

func TestReadCaptureWithoutMetaFails(t *testing.T) {
	_, err := readCapture(t.TempDir())
	require.Error(t, err)
}

func TestParseMetaRejectsBadTimes(t *testing.T) {
	// Synthetic: meta files as lab-stack.sh would not write them.
	for _, in := range []string{
		"clock node=node1 host=1 guest=2\n",            // no fault
		"fault=yesterday\n",                            // not a number
		"fault=1.5\nclock node=node1 host=x guest=2\n", // a clock that is not one
	} {
		_, err := parseMeta(strings.NewReader(in))
		require.Error(t, err, in)
	}
	c, err := parseMeta(strings.NewReader("fault=1795784400.25\ngone node=node1\n"))
	require.NoError(t, err)
	require.Equal(t, []string{"node1"}, c.Gone)
	require.Equal(t, 250*time.Millisecond, c.Fault.Sub(time.Unix(1795784400, 0)))
	require.Zero(t, c.Slack, "no clock line, no round trip")
}

func TestResultWithoutRCTakesItsText(t *testing.T) {
	// Synthetic: Pacemaker 2.0's result line, which has no rc= field.
	in := "Nov 27 13:00:04.150 node1 pacemaker-controld  [100] (process_lrm_event) \tnotice: Result of probe operation for p_fs on node1: not running | call=5 key=p_fs_monitor_0 confirmed=true cib-update=30\n"
	ops, err := parseOps(strings.NewReader(in), 2026)
	require.NoError(t, err)
	require.Len(t, ops, 1)
	require.Equal(t, "probe", ops[0].Action)
	require.Equal(t, 7, ops[0].RC)
	require.False(t, failed(ops[0]), "a probe that finds nothing is an answer")
}

func TestLanesOneLanePerNodeAndResource(t *testing.T) {
	c := labCapture(t, "lab-ours-standby")
	svg := lanes("standby", "a note", c.Fault, at(c, 25*time.Second), c.Ops)
	require.True(t, strings.HasPrefix(svg, "<svg"))
	require.Equal(t, len(c.Ops), strings.Count(svg, `<rect class="op"`))
	ls := byLane(c.Ops)
	require.Len(t, ls, 8, "4 resources on each node")
	for _, l := range ls {
		require.Contains(t, svg, ">"+l.node+" "+l.rsc+"<")
	}
	require.Equal(t, "node1", ls[0].node, "nodes in name order")
	require.Contains(t, svg, `class="fault"`)
	require.Contains(t, svg, ">a note<")
	require.Contains(t, svg, "client answered 25.0s")
	require.Contains(t, svg, ">stop 3.4s<")
	require.Equal(t, 1, strings.Count(svg, ">notify"), "quick notifies go unlabelled, the 1 s one does not")
	require.Contains(t, svg, ">notify 1.0s<")
	require.NotContains(t, svg, ">monitor 15s", "so do quick successful recurring monitors")
	require.Contains(t, svg, ">monitor 20s 1.5s<", "but not slow ones")
	// Every label stays inside the figure.
	for _, part := range strings.Split(svg, `<text x="`)[1:] {
		var x float64
		_, err := fmt.Sscanf(part, "%f", &x)
		require.NoError(t, err)
		require.Less(t, x, 640.0, part)
	}
}

func TestLanesMarksAFailure(t *testing.T) {
	// Synthetic: one failed recurring monitor, at 2 s after the fault.
	fault := time.Unix(1795784400, 0)
	svg := lanes("t", "", fault, time.Time{}, []op{{Node: "n", Resource: "r", Action: "monitor", Interval: 10 * time.Second,
		Start: fault.Add(2 * time.Second), End: fault.Add(2 * time.Second), Result: "not running", RC: 7}})
	require.Contains(t, svg, `fill="#e74c3c"`)
	require.Contains(t, svg, ">monitor 10s not running<")
	require.NotContains(t, svg, "client answered", "no answer, no line")
}

func TestStackTimelinesDrawsWhatWasCaptured(t *testing.T) {
	hostLocal(t)
	logs := t.TempDir()
	require.NoError(t, os.CopyFS(logs+"/ours-standby_failover", os.DirFS("testdata/lab-ours-standby")))
	require.NoError(t, os.CopyFS(logs+"/ours-crash_takeover", os.DirFS("testdata/lab-ours-crash")))
	old := *out
	*out = t.TempDir() + "/benchmarks.md"
	t.Cleanup(func() { *out = old })

	r := &report{}
	require.NoError(t, stackTimelines(r, logs, func(stack, event string) (float64, bool) {
		return 25, event == "standby_failover"
	}))
	svg, err := os.ReadFile(timelinePath("ours-standby"))
	require.NoError(t, err)
	require.Contains(t, string(svg), "client answered 25.0s")
	require.Contains(t, string(svg), ">guest clocks set against the host within 119 ms<")
	crash, err := os.ReadFile(timelinePath("ours-crash"))
	require.NoError(t, err)
	require.Contains(t, string(crash), ">no client answer through the VIP<", "one clause per line")
	require.Contains(t, string(crash), ">node1 crashed: its log died with the VM, so it has no lane<")
	_, err = os.Stat(timelinePath("tutorial-standby"))
	require.ErrorIs(t, err, os.ErrNotExist, "nothing captured, nothing drawn")
	md := r.String()
	require.Contains(t, md, "| standby failover | ![ocf:mfs:drbd + ocf:mfs:master, standby failover: every resource action on every node](timeline-ours-standby.svg) | not captured |")
	require.Contains(t, md, "| crash takeover | ![ocf:mfs:drbd + ocf:mfs:master, crash takeover: every resource action on every node](timeline-ours-crash.svg) | not captured |")
	require.Contains(t, md, "node1 p_mfs start 20.7–22.1 s")
	require.Contains(t, md, "node2 p_drbd_r0 promote 11.1–11.4 s")
}

func TestStackTimelinesWithoutCapturesWritesNothing(t *testing.T) {
	r := &report{}
	require.NoError(t, stackTimelines(r, t.TempDir(), func(string, string) (float64, bool) { return 0, false }))
	require.Empty(t, r.String())
}

func TestStackGoals(t *testing.T) {
	// Synthetic figures: the ratios of the run before the timelines
	// (28.7 s and 24.1 s against 41.0 s), and two edge cases.
	require.Equal(t, "Goals: standby failover 28.7 s, 0.70× the tutorial's standby (goal at most 0.5×: not met); "+
		"crash takeover 20.0 s, 0.49× the tutorial's standby (goal at most 0.5×: met).",
		stackGoals(28.7, true, 20.0, true, 41.0, true))
	require.Contains(t, stackGoals(10, true, 0, false, 41, true), "crash takeover: no answer, goal not met")
	require.Contains(t, stackGoals(10, true, 10, true, 240, false), "not judged")
}
