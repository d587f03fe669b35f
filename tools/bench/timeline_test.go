package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testdata/pacemaker-kill9.log: the operation lines of pacemaker.log from a
// single-node run of test/harness/local.sh with a chunkserver, a client and
// two kill -9 of mfsmaster (monitor every 10 s and every 60 s at depth 20).
// Only the state folder's path was replaced by the harness's default.
func fixtureOps(t *testing.T) []op {
	t.Helper()
	f, err := os.Open("testdata/pacemaker-kill9.log")
	require.NoError(t, err)
	defer f.Close()
	ops, err := parseOps(f, 2026)
	require.NoError(t, err)
	return ops
}

func TestParseOpsFromPacemakersLog(t *testing.T) {
	ops := fixtureOps(t)

	byKey := map[string][]op{}
	for _, o := range ops {
		byKey[o.Action] = append(byKey[o.Action], o)
	}
	require.Len(t, byKey["probe"], 1)
	require.Len(t, byKey["start"], 3, "the first start and one after each kill")
	require.Len(t, byKey["stop"], 2)

	first := byKey["probe"][0]
	require.Equal(t, "vm", first.Node)
	require.Equal(t, "b_mfs", first.Resource)
	require.Equal(t, "not running", first.Result)
	require.Equal(t, 7, first.RC)
	require.Equal(t, time.Date(2026, time.November, 27, 13, 51, 31, 971e6, time.Local), first.Start)
	require.Equal(t, 28*time.Millisecond, first.End.Sub(first.Start))

	// Every start was requested before its result, on one time axis.
	for _, o := range byKey["start"] {
		require.True(t, o.End.After(o.Start), "%+v", o)
	}
	// A recurring monitor's failure is the moment Pacemaker noticed.
	var failed []op
	for _, o := range byKey["monitor"] {
		if o.RC != 0 {
			failed = append(failed, o)
		}
	}
	require.Len(t, failed, 2)
	require.Equal(t, "not running", failed[0].Result)
	require.Equal(t, 10*time.Second, failed[0].Interval)
}

func TestNoticedToServing(t *testing.T) {
	ops := fixtureOps(t)
	got := noticedToServing(ops, "b_mfs")
	// 13:51:42.303 monitor "not running" -> 13:51:42.823 start ok, and
	// 13:51:52.967 -> 13:51:53.279.
	require.Equal(t, []time.Duration{520 * time.Millisecond, 312 * time.Millisecond}, got)
}

func TestParseOpsRejectsNothingButCountsNoOps(t *testing.T) {
	// Synthetic: lines of other daemons, and a line cut short.
	in := "Nov 27 13:51:31.971 vm pacemaker-fenced [1] (x) info: something else\n" +
		"Nov 27 13:51:32.007 vm pacemaker-controld  [19635] (do_lrm_rsc_op) \tnotice: Requesting local execution of start operation for\n"
	ops, err := parseOps(strings.NewReader(in), 2026)
	require.NoError(t, err)
	require.Empty(t, ops)
}

func TestWaterfallDrawsEveryOp(t *testing.T) {
	ops := fixtureOps(t)
	svg := waterfall("kill -9 recovery", ops)
	require.True(t, strings.HasPrefix(svg, "<svg"))
	require.Equal(t, len(ops), strings.Count(svg, "<rect class=\"op\""))
	require.Contains(t, svg, "vm b_mfs start")
}

// ocf:mfs:master logs how long mfsmaster itself took in a stop (from
// SIGTERM to its exit) and in a start ("mfsmaster start"), so that a
// failover's timeline can show which part of the master's step is
// MooseFS's and which is the agent's. Built from real lines of the lab's
// pacemaker.log; the two agent lines with the figures are synthetic, in
// the format the agent now writes.
const ownTimeLog = `Nov 27 17:19:46.247 node1 pacemaker-controld  [380] (do_lrm_rsc_op) 	notice: Requesting local execution of stop operation for p_mfs on node1 | transition_key=13:8:0:19edd6e9-cb03-4b42-ad53-86310da3fb0d op_key=p_mfs_stop_0
Nov 27 17:19:46 master(p_mfs)[3326]: INFO: sending SIGTERM to mfsmaster (pid 3091)
Nov 27 17:19:49 master(p_mfs)[3326]: INFO: mfsmaster (pid 3091) exited 2.71 s after SIGTERM
Nov 27 17:19:49 master(p_mfs)[3326]: INFO: mfsmaster stopped
Nov 27 17:19:49.247 node1 pacemaker-controld  [380] (log_executor_event) 	notice: Result of stop operation for p_mfs on node1: ok | CIB update 79, graph action confirmed; call=34 key=p_mfs_stop_0 rc=0
Nov 27 17:20:00.776 node1 pacemaker-controld  [368] (do_lrm_rsc_op) 	notice: Requesting local execution of start operation for p_mfs on node1 | transition_key=5:10:0:19edd6e9-cb03-4b42-ad53-86310da3fb0d op_key=p_mfs_start_0
Nov 27 17:20:02 master(p_mfs)[828]: INFO: mfsmaster 3.0.117 started (pid 838, recovery false); mfsmaster start took 1.05 s
Nov 27 17:20:02.172 node1 pacemaker-controld  [368] (log_executor_event) 	notice: Result of start operation for p_mfs on node1: ok | CIB update 32, graph action confirmed; call=32 key=p_mfs_start_0 rc=0
`

func TestParseOpsTakesMfsmastersOwnTime(t *testing.T) {
	ops, err := parseOps(strings.NewReader(ownTimeLog), 2026)
	require.NoError(t, err)
	require.Len(t, ops, 2)
	require.Equal(t, "stop", ops[0].Action)
	require.Equal(t, 2710*time.Millisecond, ops[0].Own)
	require.Equal(t, "start", ops[1].Action)
	require.Equal(t, 1050*time.Millisecond, ops[1].Own)

	fault := ops[0].Start.Add(-time.Second)
	svg := lanes("standby", "", fault, time.Time{}, ops)
	require.Equal(t, 2, strings.Count(svg, `class="own"`), svg)
	require.Contains(t, svg, "mfsmaster itself: 2710 ms")
	require.Contains(t, svg, "hatched: mfsmaster&#39;s own time")
	require.Contains(t, steps(fault, ops), "p_mfs stop 1.0–4.0 s (mfsmaster itself 2.7 s)")
}
