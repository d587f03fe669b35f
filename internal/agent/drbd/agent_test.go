package drbd

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/agent/agenttest"
	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf/ocftest"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
	"github.com/ocf-mfs/ocf-mfs/internal/splitbrain/marker"
	"github.com/ocf-mfs/ocf-mfs/test/lab/captures"
)

// The captures (package captures) are real /proc/drbd and drbdadm output
// from the lab's DRBD 8.4 (test/lab/captures/README.md says how each was
// taken).

// sim is one node: a /proc/drbd the test rewrites as drbdadm would change
// it, a fake runner that answers drbdadm and crm_attribute, and the agent.
type sim struct {
	t     *testing.T
	dir   string
	proc  string
	conf  string
	fake  *runner.Fake
	agent *Agent
	env   map[string]string
}

const inst = "p_drbd_r0:1"

func newSim(t *testing.T, procCapture string) *sim {
	t.Helper()
	dir := t.TempDir()
	s := &sim{t: t, dir: dir, proc: filepath.Join(dir, "proc_drbd"), conf: filepath.Join(dir, "drbd.conf"),
		fake: &runner.Fake{}}
	require.NoError(t, os.WriteFile(s.conf, []byte("resource r0 {}\n"), 0o644))
	if procCapture != "" {
		s.setProc(procCapture)
	}
	s.agent = &Agent{Runner: s.fake, ProcDrbd: s.proc, StateDir: filepath.Join(dir, "run"),
		Markers:  marker.Store{Dir: filepath.Join(dir, "markers")},
		LookPath: func(p string) (string, error) { return "/usr/sbin/" + p, nil },
		Now:      time.Now, Poll: time.Millisecond, ScoreRecheck: time.Hour, PeerGrace: 50 * time.Millisecond,
		Uptime: func() time.Duration { return time.Hour }, AttrdID: func(string) string { return "812:4711" }}
	s.env = map[string]string{
		"OCF_RESOURCE_INSTANCE":                  inst,
		"OCF_RESKEY_drbd_resource":               "r0",
		"OCF_RESKEY_drbdconf":                    s.conf,
		"OCF_RESKEY_CRM_meta_clone_max":          "2",
		"OCF_RESKEY_CRM_meta_clone_node_max":     "1",
		"OCF_RESKEY_CRM_meta_promotable":         "true",
		"OCF_RESKEY_CRM_meta_promoted_max":       "1",
		"OCF_RESKEY_CRM_meta_promoted_node_max":  "1",
		"OCF_RESKEY_CRM_meta_notify":             "true",
		"OCF_RESKEY_CRM_meta_timeout":            "20000",
		"OCF_RESKEY_CRM_meta_interval":           "31000",
		"OCF_RESKEY_CRM_meta_on_node":            "node2",
		"OCF_RESKEY_CRM_meta_notify_type":        "",
		"OCF_RESKEY_CRM_meta_notify_operation":   "",
		"OCF_RESKEY_CRM_meta_notify_start_uname": "",
	}
	return s
}

// setProc makes /proc/drbd read as a capture; "" removes it, as when the
// module is not loaded.
func (s *sim) setProc(name string) {
	if name == "" {
		os.Remove(s.proc)
		return
	}
	require.NoError(s.t, os.WriteFile(s.proc, []byte(captures.Read(s.t, name)), 0o644))
}

func (s *sim) drbdadm(args string) string { return "drbdadm -c " + s.conf + " " + args }

const (
	crmGet = "crm_attribute --promotion=" + inst + " -l reboot -G -q"
	crmDel = "crm_attribute --promotion=" + inst + " -l reboot -D"
)

func crmSet(score string) string {
	return "crm_attribute --promotion=" + inst + " -l reboot -v " + score
}

// noScore answers the score query as Pacemaker does when there is none.
var noScore = runner.Exit(105, "")

type out struct {
	code   ocf.ExitCode
	stderr string
	r      agenttest.Result
}

func (o out) reasons() []string { return o.r.Reasons() }

// run runs an action; extra are KEY, VALUE pairs overriding the
// environment, an empty value removing the key.
func (s *sim) run(action string, extra ...string) out {
	s.t.Helper()
	r := agenttest.Run(s.agent, s.env, action, extra...)
	return out{r.Code, r.Stderr, r}
}

// calls returns the commands run since the last call of calls.
func (s *sim) calls(since *int) []string {
	all := s.fake.Calls()
	c := all[*since:]
	*since = len(all)
	return c
}

func TestMetadataIsValid(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, New().Metadata().WriteXML(&b))
	assert.Empty(t, ocftest.ValidateMetadata(t, b.Bytes()))
	for _, p := range []string{"drbd_resource", "drbdconf", "adjust_master_score", "connect_timeout"} {
		assert.Contains(t, b.String(), `<parameter name="`+p+`"`)
	}
	assert.Contains(t, b.String(), "UpToDate and Primary")
}

// pcs copies the meta-data's default operations into the CIB, and
// Pacemaker before 2.1 knows no role named Promoted or Unpromoted; every
// version up to 3.0 still accepts Master and Slave (attribute-roles in
// constraints-4.0.rng, the role of an op in resources-4.0.rng), which is
// also what ocf:linbit:drbd's meta-data says.
func TestMetadataRoleNamesEveryPacemakerAccepts(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, New().Metadata().WriteXML(&b))
	assert.Contains(t, b.String(), `role="Master"`)
	assert.Contains(t, b.String(), `role="Slave"`)
	assert.NotContains(t, b.String(), `role="Promoted"`)
	assert.NotContains(t, b.String(), `role="Unpromoted"`)
}

func TestMonitorStates(t *testing.T) {
	s := newSim(t, "connected.node2.proc-drbd.txt")
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK(captures.Read(t, "connected.node2.drbdadm-sh-minor.txt")))
	s.fake.On(crmGet, noScore)
	s.fake.On(crmSet("10000"), runner.OK(""))
	var n int

	o := s.run("monitor")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Equal(t, []string{s.drbdadm("sh-minor r0"), crmGet, crmSet("10000")}, s.calls(&n))

	// The second monitor has its minor and its score noted: it forks nothing.
	o = s.run("monitor")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Empty(t, s.calls(&n))

	// Promoted: 8, and the score follows.
	s.setProc("connected.node1.proc-drbd.txt")

	o = s.run("monitor")
	assert.Equal(t, ocf.RunningPromoted, o.code, o.stderr)
	assert.Empty(t, o.reasons())
	assert.Empty(t, s.calls(&n), "UpToDate with the peer known scores 10000 as Primary too: nothing asked")

	// Outdated data gets no score at all.
	s.setProc("partitioned.node2.proc-drbd-outdated.txt")
	s.fake.Replace(crmGet, runner.OK("10000\n"))
	s.fake.On(crmDel, runner.OK(""))
	o = s.run("monitor")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Equal(t, []string{crmGet, crmDel}, s.calls(&n))

	// Down, and the module unloaded: not running, and a probe says so quietly.
	s.setProc("unconfigured.node1.proc-drbd.txt")
	o = s.run("monitor")
	assert.Equal(t, ocf.NotRunning, o.code)
	assert.Equal(t, []string{"r0 is not up"}, o.reasons())
	s.setProc("")
	o = s.run("monitor", "OCF_RESKEY_CRM_meta_interval", "0")
	assert.Equal(t, ocf.NotRunning, o.code)
	assert.Empty(t, o.reasons())
	assert.Empty(t, s.calls(&n))
}

// linbit's drbd_monitor skips the score only when a probe finds nothing
// running: a probe after Pacemaker restarted on a node whose DRBD kept
// running must give the node its score back at once.
func TestProbeFindingDrbdRunningWritesTheScore(t *testing.T) {
	s := newSim(t, "connected.node1.proc-drbd.txt")
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n")).On(crmGet, noScore).On(crmSet("10000"), runner.OK(""))
	o := s.run("monitor", "OCF_RESKEY_CRM_meta_interval", "0")
	assert.Equal(t, ocf.RunningPromoted, o.code, o.stderr)
	assert.Equal(t, []string{s.drbdadm("sh-minor r0"), crmGet, crmSet("10000")}, s.fake.Calls())
}

func TestProbeWithoutDrbdUtilsIsNotRunning(t *testing.T) {
	s := newSim(t, "connected.node1.proc-drbd.txt")
	s.agent.LookPath = func(string) (string, error) { return "", os.ErrNotExist }
	o := s.run("monitor", "OCF_RESKEY_CRM_meta_interval", "0")
	assert.Equal(t, ocf.NotRunning, o.code, o.stderr)
	o = s.run("monitor")
	assert.Equal(t, ocf.ErrInstalled, o.code, o.stderr)
	assert.Equal(t, []string{"drbdadm not found: install drbd-utils"}, o.reasons())
}

func TestMonitorReportsStandAlone(t *testing.T) {
	s := newSim(t, "split-brain.node1.proc-drbd.txt")
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n"))
	s.fake.On(crmGet, runner.OK("10000\n"))
	o := s.run("monitor")
	assert.Equal(t, ocf.RunningPromoted, o.code, o.stderr)
	assert.Equal(t, []string{"r0 is StandAlone (not replicating); see drbd-splitbrain status"}, o.reasons())

	at := time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC)
	require.NoError(t, s.agent.Markers.Record(marker.Marker{Resource: "r0", DetectedAt: at}))
	o = s.run("monitor")
	assert.Equal(t, []string{"r0 is StandAlone after a split brain detected 2026-11-02T03:04:05Z; resolve with drbd-splitbrain"}, o.reasons())
	assert.Contains(t, o.stderr, "WARNING")
	// Reporting is all it does: no drbdadm verb beyond reading the minor.
	for _, c := range s.fake.Calls() {
		assert.NotContains(t, c, "connect")
		assert.NotContains(t, c, "discard")
	}
}

func TestValidateCloneMeta(t *testing.T) {
	cases := []struct {
		key, value, reason string
	}{
		{"OCF_RESKEY_CRM_meta_clone_max", "", "ocf:mfs:drbd must run as a promotable clone (ms or clone promotable=true)"},
		{"OCF_RESKEY_CRM_meta_clone_node_max", "2", "clone-node-max must be 1, not 2"},
		{"OCF_RESKEY_CRM_meta_promoted_node_max", "2", "promoted-node-max must be 1, not 2"},
		{"OCF_RESKEY_CRM_meta_promoted_max", "3", "promoted-max must be at most 2, not 3"},
		{"OCF_RESKEY_CRM_meta_notify", "false", "notify=true is required on the clone"},
		{"OCF_RESKEY_drbd_resource", "", "drbd_resource is required"},
		{"OCF_RESKEY_connect_timeout", "soon", `connect_timeout must be a number of seconds, not "soon"`},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			s := newSim(t, "unconfigured.node1.proc-drbd.txt")
			s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n"))
			for _, action := range []string{"validate-all", "start"} {
				o := s.run(action, c.key, c.value)
				assert.Equal(t, ocf.ErrConfigured, o.code, o.stderr)
				assert.Equal(t, []string{c.reason}, o.reasons())
			}
			// Nothing was brought up.
			for _, call := range s.fake.Calls() {
				assert.NotContains(t, call, " up ")
			}
		})
	}
	// The old master-max name is read too.
	s := newSim(t, "unconfigured.node1.proc-drbd.txt")
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n"))
	o := s.run("validate-all", "OCF_RESKEY_CRM_meta_promoted_max", "", "OCF_RESKEY_CRM_meta_master_max", "3")
	assert.Equal(t, []string{"promoted-max must be at most 2, not 3"}, o.reasons())
	o = s.run("validate-all")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
}

func TestValidateResourceNotInConf(t *testing.T) {
	s := newSim(t, "unconfigured.node1.proc-drbd.txt")
	s.fake.On(s.drbdadm("sh-minor r0"), runner.Exit(10, "'r0' not defined in your config (for this host).\n"))
	o := s.run("validate-all")
	assert.Equal(t, ocf.ErrConfigured, o.code)
	require.Len(t, o.reasons(), 1)
	assert.Contains(t, o.reasons()[0], "resource r0 is not defined in "+s.conf)

	s.env["OCF_RESKEY_drbdconf"] = filepath.Join(s.dir, "missing.conf")
	o = s.run("validate-all")
	assert.Equal(t, ocf.ErrInstalled, o.code)
}

func TestStartFromDown(t *testing.T) {
	s := newSim(t, "unconfigured.node1.proc-drbd.txt")
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n"))
	// drbdadm up leaves it looking for the peer; the peer then answers.
	s.fake.On(s.drbdadm("up r0"), runner.OK(""))
	polls := 0
	s.fake.Hook = func(argv string) {
		if argv == s.drbdadm("up r0") {
			s.setProc("victim-reconnecting.node2.proc-drbd.txt")
		}
	}
	s.agent.Now = func() time.Time {
		// Each poll of the connection state asks the time; connect on the third.
		polls++
		if polls == 3 {
			s.setProc("connected.node2.proc-drbd.txt")
		}
		return time.Now()
	}
	s.fake.On(crmGet, noScore)
	s.fake.On(crmSet("10000"), runner.OK(""))
	o := s.run("start")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Equal(t, []string{s.drbdadm("sh-minor r0"), s.drbdadm("up r0"), crmGet, crmSet("10000")}, s.fake.Calls())
	assert.Contains(t, o.stderr, "r0 started: Connected Secondary/Primary UpToDate/UpToDate")
}

func TestStartAlonePeerNeverComes(t *testing.T) {
	s := newSim(t, "unconfigured.node1.proc-drbd.txt")
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n"))
	s.fake.On(s.drbdadm("up r0"), runner.OK(""))
	s.fake.Hook = func(argv string) {
		if argv == s.drbdadm("up r0") {
			s.setProc("victim-reconnecting.node2.proc-drbd.txt")
		}
	}
	s.fake.On(crmGet, noScore)
	s.fake.On(crmSet("1000"), runner.OK(""))
	start := time.Now()
	o := s.run("start", "OCF_RESKEY_connect_timeout", "1")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.GreaterOrEqual(t, time.Since(start), time.Second, "start waits connect_timeout for the peer")
	assert.Equal(t, []string{s.drbdadm("sh-minor r0"), s.drbdadm("up r0"), crmGet, crmSet("1000")}, s.fake.Calls())
}

func TestStartRunningAdjustsAndDemotes(t *testing.T) {
	s := newSim(t, "connected.node1.proc-drbd.txt")
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n"))
	s.fake.On(s.drbdadm("adjust r0"), runner.OK(""))
	s.fake.On(s.drbdadm("secondary r0"), runner.OK(""))
	s.fake.Hook = func(argv string) {
		if argv == s.drbdadm("secondary r0") {
			s.setProc("connected.node2.proc-drbd.txt")
		}
	}
	s.fake.On(crmGet, noScore)
	s.fake.On(crmSet("10000"), runner.OK(""))
	o := s.run("start")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Equal(t, []string{s.drbdadm("sh-minor r0"), s.drbdadm("adjust r0"), s.drbdadm("secondary r0"), crmGet, crmSet("10000")}, s.fake.Calls())
	assert.Contains(t, o.stderr, "was already Primary at start")
}

// standAloneSecondary is the split-brain capture of node2 as it reads once
// Pacemaker has demoted it: StandAlone, Secondary, peer unknown.
func (s *sim) standAloneSecondary() {
	sb := strings.Replace(captures.Read(s.t, "split-brain.node2.proc-drbd.txt"), "ro:Primary/Unknown", "ro:Secondary/Unknown", 1)
	require.NoError(s.t, os.WriteFile(s.proc, []byte(sb), 0o644))
}

func TestStartLeavesRecordedSplitBrainAlone(t *testing.T) {
	s := newSim(t, "")
	s.standAloneSecondary()
	require.NoError(t, s.agent.Markers.Record(marker.Marker{Resource: "r0", DetectedAt: time.Now()}))
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n"))
	s.fake.On(crmGet, noScore)
	s.fake.On(crmSet("1000"), runner.OK(""))
	o := s.run("start")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Equal(t, []string{s.drbdadm("sh-minor r0"), crmGet, crmSet("1000")}, s.fake.Calls())
	assert.Empty(t, o.reasons(), "a successful start prints no reason")
}

func TestStartFailures(t *testing.T) {
	s := newSim(t, "unconfigured.node1.proc-drbd.txt")
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n"))
	s.fake.On(s.drbdadm("up r0"), runner.Exit(10, "open(/dev/vdb) failed: No such file or directory\n"))
	o := s.run("start")
	assert.Equal(t, ocf.ErrGeneric, o.code)
	require.Len(t, o.reasons(), 1)
	assert.Contains(t, o.reasons()[0], "drbdadm up r0:")

	// The module is not loaded and cannot be.
	s = newSim(t, "")
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n"))
	s.fake.On("modprobe -s drbd", runner.Exit(1, "modprobe: FATAL: Module drbd not found\n"))
	o = s.run("start")
	assert.Equal(t, ocf.ErrInstalled, o.code)
	assert.Contains(t, o.reasons()[0], "cannot load the DRBD kernel module")

	// Attached nothing: Diskless is not a started replica.
	s = newSim(t, "unconfigured.node1.proc-drbd.txt")
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n"))
	s.fake.On(s.drbdadm("up r0"), runner.OK(""))
	s.fake.Hook = func(argv string) {
		if argv == s.drbdadm("up r0") {
			require.NoError(t, os.WriteFile(s.proc, []byte(strings.Replace(captures.Read(t, "connected.node2.proc-drbd.txt"),
				"ds:UpToDate/UpToDate", "ds:Diskless/UpToDate", 1)), 0o644))
		}
	}
	o = s.run("start")
	assert.Equal(t, ocf.ErrGeneric, o.code)
	assert.Equal(t, []string{"the backing disk of r0 is not attached (disk state Diskless)"}, o.reasons())
}

func TestStopFromPrimary(t *testing.T) {
	s := newSim(t, "connected.node1.proc-drbd.txt")
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n"))
	// Held open for a moment (the file system's unmount finishing), then free.
	s.fake.On(s.drbdadm("secondary r0"),
		runner.Exit(11, captures.Read(t, "connected.node1.drbdadm-secondary-mounted.stderr.txt")), runner.OK(""))
	s.fake.On(s.drbdadm("down r0"), runner.OK(""))
	s.fake.Hook = func(argv string) {
		switch argv {
		case s.drbdadm("down r0"):
			s.setProc("unconfigured.node1.proc-drbd.txt")
		}
	}
	s.fake.On(crmGet, runner.OK("10000\n"))
	s.fake.On(crmDel, runner.OK(""))
	o := s.run("stop")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Equal(t, []string{s.drbdadm("sh-minor r0"), s.drbdadm("secondary r0"), s.drbdadm("secondary r0"),
		s.drbdadm("down r0"), crmGet, crmDel}, s.fake.Calls())

	// Stopped already: still succeeds, and only tidies the score.
	var n = len(s.fake.Calls())
	s.fake.Replace(crmGet, noScore)
	o = s.run("stop")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Equal(t, []string{s.drbdadm("sh-minor r0"), crmGet}, s.calls(&n))
}

func TestStopWithBrokenConfigStillTakesTheDeviceDown(t *testing.T) {
	s := newSim(t, "connected.node2.proc-drbd.txt")
	s.env["OCF_RESKEY_drbdconf"] = filepath.Join(s.dir, "gone.conf")
	s.env["OCF_RESKEY_CRM_meta_notify"] = "false" // and bad meta too
	gone := "drbdadm -c " + filepath.Join(s.dir, "gone.conf")
	s.fake.On(gone+" down r0", runner.Exit(1, "Can not open '"+filepath.Join(s.dir, "gone.conf")+"'.\n"))
	s.fake.On("drbdsetup down r0", runner.OK(""))
	s.fake.On(crmGet, runner.OK("1000\n"))
	s.fake.On(crmDel, runner.OK(""))
	o := s.run("stop")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Equal(t, []string{gone + " down r0", "drbdsetup down r0", crmGet, crmDel}, s.fake.Calls())

	// Without even a resource name there is nothing of ours to stop.
	o = s.run("stop", "OCF_RESKEY_drbd_resource", "")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
}

func TestStopFailsWhenTheDeviceStaysOpen(t *testing.T) {
	s := newSim(t, "connected.node1.proc-drbd.txt")
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n"))
	s.fake.On(s.drbdadm("secondary r0"), runner.Exit(11, captures.Read(t, "connected.node1.drbdadm-secondary-mounted.stderr.txt")))
	o := s.run("stop", "OCF_RESKEY_CRM_meta_timeout", "3000")
	assert.Equal(t, ocf.ErrGeneric, o.code)
	require.Len(t, o.reasons(), 1)
	assert.Contains(t, o.reasons()[0], "drbdadm secondary r0: gave up after")
	var secondaries int
	for _, c := range s.fake.Calls() {
		if c == s.drbdadm("secondary r0") {
			secondaries++
		}
		assert.NotEqual(t, s.drbdadm("down r0"), c, "never down a device that is in use")
	}
	assert.Greater(t, secondaries, 2, "it retried")
	assert.Less(t, secondaries, 20, "with growing pauses, not in a tight loop")
}

func TestPromote(t *testing.T) {
	s := newSim(t, "connected.node2.proc-drbd.txt")
	s.env["OCF_RESKEY_CRM_meta_interval"] = "0"
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n"))

	// The peer is still Primary: refuse without asking DRBD.
	o := s.run("promote")
	require.Equal(t, ocf.ErrGeneric, o.code)
	assert.Equal(t, []string{"cannot promote r0: the peer is Primary and promoted-max is 1"}, o.reasons())
	for _, c := range s.fake.Calls() {
		assert.NotContains(t, c, "primary r0")
	}

	// The link just broke and DRBD has not noticed yet: the peer still
	// reads as Primary for a few polls, then the connection drops.
	polls := 0
	s.agent.Now = func() time.Time {
		if polls++; polls == 4 {
			s.setProc("partitioned.node2.proc-drbd.txt") // WFConnection, Secondary/Unknown
		}
		return time.Now()
	}
	s.fake.On(s.drbdadm("primary r0"), runner.OK(""))
	s.fake.On(crmGet, runner.OK("10\n"))
	s.fake.On(crmSet("10000"), runner.OK(""))
	s.fake.Hook = func(argv string) {
		if argv == s.drbdadm("primary r0") {
			s.setProc("partitioned.node1.proc-drbd.txt") // Primary, peer gone
		}
	}
	n := len(s.fake.Calls())
	o = s.run("promote")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Equal(t, []string{s.drbdadm("primary r0"), crmGet, crmSet("10000")}, s.calls(&n))
	assert.Contains(t, o.stderr, "no longer Primary")
	s.agent.Now = time.Now

	// The peer demoted: promote, and the score follows.
	swapRoles := strings.NewReplacer("ro:Secondary/Primary", "ro:Secondary/Secondary")
	require.NoError(t, os.WriteFile(s.proc, []byte(swapRoles.Replace(captures.Read(t, "connected.node2.proc-drbd.txt"))), 0o644))
	s.fake.Hook = func(argv string) {
		if argv == s.drbdadm("primary r0") {
			s.setProc("connected.node1.proc-drbd.txt")
		}
	}
	n = len(s.fake.Calls())
	o = s.run("promote")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	// 10000 is already the score this agent last wrote: no CIB traffic.
	assert.Equal(t, []string{s.drbdadm("primary r0")}, s.calls(&n))

	// Promoting the promoted is a no-op.
	o = s.run("promote")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Empty(t, s.calls(&n))
}

func TestPromoteWithoutUpToDateData(t *testing.T) {
	s := newSim(t, "partitioned.node2.proc-drbd-outdated.txt")
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n"))
	s.fake.On(crmGet, runner.OK("10\n"))
	s.fake.On(crmDel, runner.OK(""))
	o := s.run("promote")
	assert.Equal(t, ocf.ErrGeneric, o.code)
	assert.Equal(t, []string{"cannot promote r0: no access to UpToDate data (local disk Outdated, peer disk DUnknown)"}, o.reasons())
	// The score goes, so Pacemaker stops choosing this node.
	assert.Equal(t, []string{s.drbdadm("sh-minor r0"), crmGet, crmDel}, s.fake.Calls())
}

func TestPromoteRefusedByDrbdFailsFast(t *testing.T) {
	// Consistent data may be promotable (the fence-peer handler can make it
	// UpToDate), so DRBD is asked; its "Need access to UpToDate data" is final.
	s := newSim(t, "partitioned.node2.proc-drbd.txt")
	consistent := strings.Replace(captures.Read(t, "partitioned.node2.proc-drbd.txt"), "ds:UpToDate/DUnknown", "ds:Consistent/DUnknown", 1)
	require.NoError(t, os.WriteFile(s.proc, []byte(consistent), 0o644))
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n"))
	s.fake.On(s.drbdadm("primary r0"), runner.Exit(17, captures.Read(t, "partitioned.node2.drbdadm-primary-outdated.stderr.txt")))
	s.fake.On(crmGet, noScore)
	o := s.run("promote")
	assert.Equal(t, ocf.ErrGeneric, o.code)
	require.Len(t, o.reasons(), 1)
	assert.Contains(t, o.reasons()[0], "DRBD refused to promote r0")
	assert.Equal(t, []string{s.drbdadm("sh-minor r0"), s.drbdadm("primary r0"), crmGet}, s.fake.Calls(),
		"Consistent alone scores 0 by default: there is no score to remove")
}

func TestDemote(t *testing.T) {
	s := newSim(t, "connected.node1.proc-drbd.txt")
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n"))
	s.fake.On(s.drbdadm("secondary r0"), runner.OK(""))
	s.fake.Hook = func(argv string) {
		if argv == s.drbdadm("secondary r0") {
			s.setProc("connected.node2.proc-drbd.txt")
		}
	}
	s.fake.On(crmGet, runner.OK("10000\n"))

	o := s.run("demote")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Equal(t, []string{s.drbdadm("sh-minor r0"), s.drbdadm("secondary r0"), crmGet}, s.fake.Calls())

	n := len(s.fake.Calls())
	o = s.run("demote")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Empty(t, s.calls(&n), "demoting the demoted does nothing")

	s.setProc("unconfigured.node1.proc-drbd.txt")
	o = s.run("demote")
	assert.Equal(t, ocf.NotRunning, o.code)
}

func TestNotify(t *testing.T) {
	s := newSim(t, "")
	s.standAloneSecondary()
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n"))

	// No notify variables at all (ocf-tester): success, nothing done.
	o := s.run("notify")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Equal(t, []string{s.drbdadm("sh-minor r0")}, s.fake.Calls())

	// The peer started while we are StandAlone with no split brain on
	// record: reconnect.
	post := []string{"OCF_RESKEY_CRM_meta_notify_type", "post", "OCF_RESKEY_CRM_meta_notify_operation", "start",
		"OCF_RESKEY_CRM_meta_notify_start_uname", "node1", "OCF_RESKEY_CRM_meta_notify_start_resource", "p_drbd_r0:0"}
	s.fake.On(s.drbdadm("connect r0"), runner.OK(""))
	s.fake.On(crmGet, noScore)
	s.fake.On(crmSet("1000"), runner.OK(""))
	n := len(s.fake.Calls())
	o = s.run("notify", post...)
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Equal(t, []string{s.drbdadm("connect r0"), crmGet, crmSet("1000")}, s.calls(&n))

	// With a split brain on record it leaves the device alone.
	require.NoError(t, s.agent.Markers.Record(marker.Marker{Resource: "r0", DetectedAt: time.Now()}))
	o = s.run("notify", post...)
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Empty(t, s.calls(&n))
	assert.Contains(t, o.stderr, "stays StandAlone")

	// Failures inside notify are logged, never returned.
	require.NoError(t, s.agent.Markers.Clear("r0"))
	s.fake.Replace(s.drbdadm("connect r0"), runner.Exit(10, "failure\n"))
	o = s.run("notify", post...)
	assert.Equal(t, ocf.Success, o.code, o.stderr)

	// The old master/slave names and a broken environment change nothing.
	o = s.run("notify", "OCF_RESKEY_drbd_resource", "", "OCF_RESKEY_CRM_meta_notify_type", "pre",
		"OCF_RESKEY_CRM_meta_notify_operation", "promote", "OCF_RESKEY_CRM_meta_notify_master_uname", "node1")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
}

// A DRBD 8.4 resource with two volumes has two minors, and /proc/drbd
// names neither resource nor volume: the agent must judge every minor
// drbdadm gives the resource. Judging only the first gave 10000 to a node
// whose second volume was still Inconsistent, and it could be promoted.
const twoVolumes84 = `version: 8.4.11 (api:1/proto:86-101)
srcversion: 6A2B6F8C2A5C1A8E5D0E1F2
 0: cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate C r-----
    ns:0 nr:1028 dw:1028 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0
 1: cs:SyncTarget ro:Secondary/Primary ds:Inconsistent/UpToDate C r-----
    ns:0 nr:20480 dw:20480 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:1003520
	[>....................] sync'ed:  2.1% (980/1000)M
 5: cs:Connected ro:Secondary/Secondary ds:Inconsistent/Inconsistent C r-----
    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0
`

func TestMonitorJudgesEveryVolumeOfAn84Resource(t *testing.T) {
	s := newSim(t, "")
	require.NoError(t, os.WriteFile(s.proc, []byte(twoVolumes84), 0o644))
	st, err := drbdproc.Parse(strings.NewReader(twoVolumes84))
	require.NoError(t, err)
	d0, _ := st.Device(0)
	d1, _ := st.Device(1)
	want := DefaultScores.Judge([]drbdproc.Device{d0, d1}, false)
	require.False(t, want.Keep)
	onlyFirst := DefaultScores.Judge([]drbdproc.Device{d0}, false)
	require.NotEqual(t, onlyFirst.Score, want.Score, "the fixture must tell the two apart")

	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n1\n")).On(crmGet, noScore)
	if want.Score > 0 {
		s.fake.On(crmSet(strconv.Itoa(want.Score)), runner.OK(""))
	} else {
		s.fake.On(crmDel, runner.OK(""))
	}
	o := s.run("monitor")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.NotContains(t, s.fake.Calls(), crmSet(strconv.Itoa(onlyFirst.Score)), "scored on volume 0 alone")
	assert.Contains(t, s.fake.Calls(), s.drbdadm("sh-minor r0"))

	// Minor 5 belongs to another resource: it never counts.
	s.fake.Replace(s.drbdadm("sh-minor r0"), runner.OK("0\n"))
	require.NoError(t, os.Remove(filepath.Join(s.agent.StateDir, "ocf-mfs-drbd-r0.json")))
	s.fake.On(crmSet(strconv.Itoa(onlyFirst.Score)), runner.OK(""))
	o = s.run("monitor")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Contains(t, s.fake.Calls(), crmSet(strconv.Itoa(onlyFirst.Score)))
}

// A standby failover, seen from the survivor. Every score written while
// Pacemaker runs the failover aborts its transition (a transient attribute
// changed), and each write costs a crm_attribute run on the critical path.
// The peer that stops cleanly leaves this node with every change it had
// (connected and UpToDate until the end), so the score it had is still
// true: the post-stop notify and the promote write nothing. Only a monitor
// lowers the score to "peer unknown" later, when the node is still not
// promoted.
func TestStandbyFailoverWritesNoScoreOnTheSurvivor(t *testing.T) {
	s := newSim(t, "connected.node2.proc-drbd.txt") // Secondary/Primary, UpToDate/UpToDate
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n"))
	s.fake.On(crmGet, runner.OK("10000\n"))
	s.fake.On(crmSet("1000"), runner.OK(""))
	s.fake.On(crmSet("10000"), runner.OK(""))
	s.fake.On(s.drbdadm("primary r0"), runner.OK(""))
	require.Equal(t, ocf.Success, s.run("monitor").code)
	n := len(s.fake.Calls())

	// The peer demoted and went down: WFConnection, Secondary/Unknown.
	s.setProc("partitioned.node2.proc-drbd.txt")
	postStop := []string{"OCF_RESKEY_CRM_meta_interval", "0", "OCF_RESKEY_CRM_meta_notify_type", "post",
		"OCF_RESKEY_CRM_meta_notify_operation", "stop",
		"OCF_RESKEY_CRM_meta_notify_stop_uname", "node1", "OCF_RESKEY_CRM_meta_notify_stop_resource", "p_drbd_r0:0"}
	o := s.run("notify", postStop...)
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Empty(t, s.calls(&n), "the post-stop notify of a clean stop writes no score")

	s.fake.Hook = func(argv string) {
		if argv == s.drbdadm("primary r0") {
			s.setProc("partitioned.node1.proc-drbd.txt") // Primary, peer gone
		}
	}
	o = s.run("promote", "OCF_RESKEY_CRM_meta_interval", "0")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Equal(t, []string{s.drbdadm("primary r0")}, s.calls(&n), "the promote keeps the score it found")

	// Had it stayed Secondary, its monitor says "peer unknown".
	s.setProc("partitioned.node2.proc-drbd.txt")
	require.Equal(t, ocf.Success, s.run("monitor").code)
	assert.Equal(t, []string{crmGet, crmSet("1000")}, s.calls(&n))
}
