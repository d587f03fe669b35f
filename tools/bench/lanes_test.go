package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// hostLocal makes the host's zone UTC for a test: the logs' local times and
// the meta's epochs must agree whatever zone the test runs in.
func hostLocal(t *testing.T) {
	t.Helper()
	old := time.Local
	time.Local = time.UTC
	t.Cleanup(func() { time.Local = old })
}

// testdata/lab-standby-synthetic is SYNTHETIC (see its README): a standby
// failover written by hand, each node's clock off the host's.
func TestReadCaptureSynthetic(t *testing.T) {
	hostLocal(t)
	c, err := readCapture("testdata/lab-standby-synthetic")
	require.NoError(t, err)
	fault := time.Date(2026, time.November, 27, 13, 0, 0, 0, time.UTC)
	require.True(t, fault.Equal(c.Fault), "%v", c.Fault)
	require.Equal(t, 500*time.Millisecond, c.Skew["node1"])
	require.Equal(t, -time.Second, c.Skew["node2"])
	require.Equal(t, 60*time.Millisecond, c.Slack, "half node2's round trip; node1's is not known")

	// node2's monitor result of before the fault is left out; the rest,
	// of both nodes, is on the host's clock and in order of start.
	var got []string
	for _, o := range c.Ops {
		got = append(got, o.Node+" "+o.Resource+" "+o.Action)
	}
	require.Equal(t, []string{
		"node1 p_mfs stop", "node1 p_drbd_r0 demote", "node1 p_drbd_r0 notify",
		"node2 p_drbd_r0 promote", "node2 p_mfs start", "node2 p_mfs monitor"}, got)
	stop := c.Ops[0]
	require.WithinDuration(t, fault.Add(-100*time.Millisecond), stop.Start, 0, "node1 logged 13:00:00.400, half a second ahead")
	require.Equal(t, 3100*time.Millisecond, stop.End.Sub(stop.Start))
	start := c.Ops[4]
	require.WithinDuration(t, fault.Add(5*time.Second), start.Start, 0, "node2 logged 13:00:04.000, a second behind")
	mon := c.Ops[5]
	require.Equal(t, 7, mon.RC)
	require.True(t, failed(mon))
}

func TestReadCaptureWithoutMetaFails(t *testing.T) {
	_, err := readCapture(t.TempDir())
	require.Error(t, err)
}

func TestParseMetaRejectsBadTimes(t *testing.T) {
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
	hostLocal(t)
	c, err := readCapture("testdata/lab-standby-synthetic")
	require.NoError(t, err)
	served := c.Fault.Add(6 * time.Second)
	svg := lanes("standby", "synthetic", c.Fault, served, c.Ops)
	require.True(t, strings.HasPrefix(svg, "<svg"))
	require.Equal(t, len(c.Ops), strings.Count(svg, `<rect class="op"`))
	for _, l := range []string{">node1 p_mfs<", ">node1 p_drbd_r0<", ">node2 p_drbd_r0<", ">node2 p_mfs<"} {
		require.Contains(t, svg, l)
	}
	require.Equal(t, 4, len(byLane(c.Ops)))
	require.Contains(t, svg, `class="fault"`)
	require.Contains(t, svg, "client answered 6.0s")
	require.Contains(t, svg, ">stop 3.1s<")
	require.NotContains(t, svg, ">notify", "notifies go unlabelled")
	require.Contains(t, svg, ">monitor 10s not running<", "a failed monitor is labelled")
	require.Contains(t, svg, `<text x="509.2" y="161" fill="#333">monitor 10s not running</text>`,
		"the last label ends at the right edge rather than past it")
	// The axis starts at the fault: the stop that began 0.1 s before is
	// drawn from 0.
	require.Contains(t, svg, `<rect class="op" x="130.0"`)
}

func TestStepsListsThePath(t *testing.T) {
	hostLocal(t)
	c, err := readCapture("testdata/lab-standby-synthetic")
	require.NoError(t, err)
	require.Equal(t, "node1 p_mfs stop 0.0–3.0 s; node1 p_drbd_r0 demote 3.1–3.5 s; node2 p_drbd_r0 promote 4.2–5.0 s; node2 p_mfs start 5.0–6.0 s",
		steps(c.Fault, c.Ops))
}

func TestStackTimelinesDrawsWhatWasCaptured(t *testing.T) {
	hostLocal(t)
	logs := t.TempDir()
	dst := logs + "/ours-standby_failover"
	require.NoError(t, os.CopyFS(dst, os.DirFS("testdata/lab-standby-synthetic")))
	old := *out
	*out = t.TempDir() + "/benchmarks.md"
	t.Cleanup(func() { *out = old })

	r := &report{}
	require.NoError(t, stackTimelines(r, logs, func(stack, event string) (float64, bool) {
		return 6, stack == "ours" && event == "standby_failover"
	}))
	svg, err := os.ReadFile(timelinePath("ours-standby"))
	require.NoError(t, err)
	require.Contains(t, string(svg), "client answered 6.0s")
	require.Contains(t, string(svg), "clocks of the nodes matched within 60 ms")
	_, err = os.Stat(timelinePath("tutorial-standby"))
	require.ErrorIs(t, err, os.ErrNotExist, "nothing captured, nothing drawn")
	md := r.String()
	require.Contains(t, md, "| standby failover | ![ocf:mfs:drbd + ocf:mfs:master, standby failover: every resource action on every node](timeline-ours-standby.svg) | not captured |")
	require.Contains(t, md, "| crash takeover | not captured | not captured |")
	require.Contains(t, md, "node2 p_mfs start 5.0–6.0 s")
}

func TestStackTimelinesWithoutCapturesWritesNothing(t *testing.T) {
	r := &report{}
	require.NoError(t, stackTimelines(r, t.TempDir(), func(string, string) (float64, bool) { return 0, false }))
	require.Empty(t, r.String())
}
