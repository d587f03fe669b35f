package drbd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// Pacemaker 1.1 and 2.0 pass OCF 1.0 and have no crm_attribute
// --promotion: the score is the node attribute master-<instance>, and 1.1
// answers "not set" with exit 6 (see internal/crm's pacemaker11 for the
// sources).
func TestPacemakerBefore21Promotes(t *testing.T) {
	s := newSim(t, "connected.node1.proc-drbd.txt")
	get := "crm_attribute -n master-" + inst + " -l reboot -G -q"
	set := "crm_attribute -n master-" + inst + " -l reboot -v 10000"
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n")).
		On(get, runner.Exit(6, "Error performing operation: No such device or address\n")).
		On(set, runner.OK(""))
	o := s.run("monitor", "OCF_RA_VERSION_MAJOR", "1", "OCF_RA_VERSION_MINOR", "0")
	assert.Equal(t, ocf.RunningPromoted, o.code, o.stderr)
	assert.Equal(t, []string{s.drbdadm("sh-minor r0"), get, set}, s.fake.Calls())
	assert.NotContains(t, o.stderr, "promotion score:", "no warning: the score was written")
}

// README: promote "fails early ... and lowers the score so Pacemaker looks
// elsewhere instead of retrying in a loop". A Secondary whose peer stays
// Primary deserves 10000 by the table, so writing the deserved score (what
// promote did) lowers nothing: the score goes, and the next monitor puts
// back what the state deserves.
func TestPromoteRefusalLowersTheScore(t *testing.T) {
	s := newSim(t, "connected.node2.proc-drbd.txt")
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n")).
		On(crmGet, runner.OK("10000\n")).
		On(crmDel, runner.OK(""))
	o := s.run("promote")
	assert.Equal(t, ocf.ErrGeneric, o.code)
	assert.Equal(t, []string{"cannot promote r0: the peer is Primary and promoted-max is 1"}, o.reasons())
	assert.Equal(t, []string{s.drbdadm("sh-minor r0"), crmGet, crmDel}, s.fake.Calls())

	var n int
	s.calls(&n)
	s.fake.Replace(crmGet, noScore).On(crmSet("10000"), runner.OK(""))
	o = s.run("monitor")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Equal(t, []string{crmGet, crmSet("10000")}, s.calls(&n), "the monitor restores the deserved score")
}

// linbit's validate logs a malformed adjust_master_score and uses the
// default; a monitor failing with 6 would stop the resource cluster-wide.
func TestMalformedAdjustMasterScoreFallsBack(t *testing.T) {
	for _, bad := range []string{"1 2 x 4", "1 2 3", "10 5 1000 10000"} {
		s := newSim(t, "connected.node2.proc-drbd.txt")
		s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n")).On(crmGet, noScore).On(crmSet("10000"), runner.OK(""))
		for _, action := range []string{"validate-all", "monitor"} {
			o := s.run(action, "OCF_RESKEY_adjust_master_score", bad)
			assert.Equal(t, ocf.Success, o.code, "%s %q: %s", action, bad, o.stderr)
			assert.Contains(t, o.stderr, "using the default", bad)
		}
		assert.Contains(t, s.fake.Calls(), crmSet("10000"))
	}
}

// A score of 0 or less removes the attribute (linbit's set_master_score):
// 0 would still let Pacemaker promote the node when no other can be.
func TestAdjustMasterScoreZeroDeletes(t *testing.T) {
	s := newSim(t, "connected.node2.proc-drbd.txt")
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n")).On(crmGet, runner.OK("5\n")).On(crmDel, runner.OK(""))
	o := s.run("monitor", "OCF_RESKEY_adjust_master_score", "0 0 0 0")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Equal(t, []string{s.drbdadm("sh-minor r0"), crmGet, crmDel}, s.fake.Calls())
}

// deadlines records the deadline of every command's context.
type deadlines struct {
	runner.Runner
	got []time.Time
}

func (d *deadlines) Run(ctx context.Context, name string, args ...string) (runner.Result, error) {
	dl, _ := ctx.Deadline()
	d.got = append(d.got, dl)
	return d.Runner.Run(ctx, name, args...)
}

// A command that ignores SIGTERM is killed KillGrace after its deadline;
// that must still be before Pacemaker's own timeout, or Pacemaker times
// the action out (a failed monitor) while we wait for the kill.
func TestCommandDeadlineLeavesRoomForTheKill(t *testing.T) {
	for _, timeout := range []time.Duration{20 * time.Second, 5 * time.Second} {
		s := newSim(t, "connected.node2.proc-drbd.txt")
		s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n")).On(crmGet, noScore).On(crmSet("10000"), runner.OK(""))
		rec := &deadlines{Runner: s.fake}
		s.agent.Runner = rec
		begin := time.Now()
		o := s.run("monitor", "OCF_RESKEY_CRM_meta_timeout", fmt.Sprint(timeout.Milliseconds()))
		assert.Equal(t, ocf.Success, o.code, o.stderr)
		require.Len(t, rec.got, 3)
		for _, dl := range rec.got {
			require.False(t, dl.IsZero())
			assert.True(t, dl.Add(runner.DefaultKillGrace).Before(begin.Add(timeout)),
				"timeout %v: deadline %v after start leaves no room for the %v kill grace", timeout, dl.Sub(begin), runner.DefaultKillGrace)
		}
	}
}

// Pacemaker restarting under a running DRBD clears every transient
// attribute: the remembered score must not hide that for ScoreRecheck.
// The attribute daemon's identity (pid and start time, from /proc) is part
// of the note, so the next monitor notices without forking anything.
func TestAttrdRestartIsNoticedWithoutAFork(t *testing.T) {
	s := newSim(t, "connected.node1.proc-drbd.txt")
	attrd := "812:4711"
	s.agent.AttrdID = func(string) string { return attrd }
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n")).On(crmGet, noScore, noScore).On(crmSet("10000"), runner.OK(""), runner.OK(""))
	var n int
	o := s.run("monitor")
	assert.Equal(t, ocf.RunningPromoted, o.code, o.stderr)
	assert.Equal(t, []string{s.drbdadm("sh-minor r0"), crmGet, crmSet("10000")}, s.calls(&n))
	o = s.run("monitor")
	assert.Equal(t, ocf.RunningPromoted, o.code, o.stderr)
	assert.Empty(t, s.calls(&n), "steady state: no process, no attribute daemon call")

	attrd = "1990:88123" // pacemaker restarted: a new daemon, no score
	o = s.run("monitor")
	assert.Equal(t, ocf.RunningPromoted, o.code, o.stderr)
	assert.Equal(t, []string{crmGet, crmSet("10000")}, s.calls(&n), "the score is back by the next monitor")
	o = s.run("monitor")
	assert.Empty(t, s.calls(&n))
}

// The note's age is measured on the time since boot: setting the wall
// clock back must not make an old note look fresh, nor forward an old one.
func TestScoreNoteAgeIgnoresTheWallClock(t *testing.T) {
	s := newSim(t, "connected.node1.proc-drbd.txt")
	s.agent.ScoreRecheck = 5 * time.Minute
	s.agent.AttrdID = func(string) string { return "" } // no daemon seen: time alone decides
	up := time.Hour
	s.agent.Uptime = func() time.Duration { return up }
	wall := time.Now()
	s.agent.Now = func() time.Time { return wall }
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n")).On(crmGet, noScore, runner.OK("10000\n"), runner.OK("10000\n")).On(crmSet("10000"), runner.OK(""))
	var n int
	s.run("monitor")
	s.calls(&n)

	wall = wall.Add(-24 * time.Hour) // clock set back a day
	up += 6 * time.Minute
	s.run("monitor")
	assert.Equal(t, []string{crmGet}, s.calls(&n), "six minutes passed, whatever the wall clock says")

	wall = wall.Add(48 * time.Hour) // and forward two
	up += time.Minute
	s.run("monitor")
	assert.Empty(t, s.calls(&n), "one minute passed since the check")
}

// attrdIdentity finds the daemon in a /proc tree (synthetic stat files in
// the kernel's format).
func TestAttrdIdentityFromProc(t *testing.T) {
	root := t.TempDir()
	stat := func(pid int, comm string, start int) {
		dir := filepath.Join(root, fmt.Sprint(pid))
		require.NoError(t, os.MkdirAll(dir, 0o755))
		line := fmt.Sprintf("%d (%s) S 1 %d %d 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 %d 1 1 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
			pid, comm, pid, pid, start)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "stat"), []byte(line), 0o644))
	}
	stat(1, "systemd", 1)
	stat(700, "pacemakerd", 900)
	stat(812, "pacemaker-attrd", 4711)
	assert.Equal(t, "812:4711", attrdIdentity(root, ""))
	assert.Equal(t, "812:4711", attrdIdentity(root, "812:4711"))
	require.NoError(t, os.RemoveAll(filepath.Join(root, "812")))
	stat(812, "bash", 99999)   // pid reused by something else
	stat(1990, "attrd", 88123) // Pacemaker 1.1's name
	assert.Equal(t, "1990:88123", attrdIdentity(root, "812:4711"))
	require.NoError(t, os.RemoveAll(filepath.Join(root, "1990")))
	assert.Equal(t, "", attrdIdentity(root, "1990:88123"))
}

// linbitParams are ocf:linbit:drbd's parameters (the <parameter> elements
// of scripts/drbd.ocf's meta-data in drbd-utils 9.x).
var linbitParams = []string{"drbd_resource", "drbdconf", "adjust_master_score", "stop_outdates_secondary",
	"ignore_missing_notifications", "wfc_timeout", "remove_master_score_if_peer_primary",
	"fail_promote_early_if_peer_primary", "unfence_if_all_uptodate", "unfence_extra_args",
	"require_drbd_module_version_ge", "require_drbd_module_version_lt", "connect_only_after_promote"}

func TestEveryLinbitParameterIsDeclaredAndInTheReadme(t *testing.T) {
	require.Len(t, linbitParams, 13)
	var b bytes.Buffer
	require.NoError(t, New().Metadata().WriteXML(&b))
	readme, err := os.ReadFile("../../../README.md")
	require.NoError(t, err)
	for _, p := range linbitParams {
		assert.Contains(t, b.String(), `<parameter name="`+p+`"`)
		assert.Contains(t, string(readme), "| `"+p+"` |", "README's table of linbit's parameters")
	}
}

func TestIgnoreMissingNotifications(t *testing.T) {
	s := newSim(t, "unconfigured.node1.proc-drbd.txt")
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n"))
	o := s.run("validate-all", "OCF_RESKEY_CRM_meta_notify", "false", "OCF_RESKEY_ignore_missing_notifications", "true")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	o = s.run("validate-all", "OCF_RESKEY_CRM_meta_notify", "false")
	assert.Equal(t, ocf.ErrConfigured, o.code, o.stderr)
}

// The 8.4 lab's module is 8.4.11 (connected.node1.proc-drbd.txt).
func TestRequireDrbdModuleVersion(t *testing.T) {
	for _, c := range []struct {
		key, value string
		code       ocf.ExitCode
	}{
		{"OCF_RESKEY_require_drbd_module_version_ge", "9.0.16", ocf.ErrInstalled},
		{"OCF_RESKEY_require_drbd_module_version_ge", "8.4.0", ocf.Success},
		{"OCF_RESKEY_require_drbd_module_version_lt", "8.4.11", ocf.ErrInstalled},
		{"OCF_RESKEY_require_drbd_module_version_lt", "9.0.0", ocf.Success},
		{"OCF_RESKEY_require_drbd_module_version_lt", "", ocf.Success},
		{"OCF_RESKEY_require_drbd_module_version_ge", "9.0", ocf.ErrConfigured},
	} {
		s := newSim(t, "connected.node2.proc-drbd.txt")
		s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n"))
		o := s.run("validate-all", c.key, c.value)
		assert.Equal(t, c.code, o.code, "%s=%s: %s", c.key, c.value, o.stderr)
	}
}

func TestWfcTimeoutIsTheConnectWait(t *testing.T) {
	p, err := readParams(ocf.NewEnv(ocf.MapLookup(map[string]string{
		"OCF_RESKEY_drbd_resource": "r0", "OCF_RESKEY_wfc_timeout": "3"})))
	require.NoError(t, err)
	assert.Equal(t, 3*time.Second, p.connectTimeout)
	p, _ = readParams(ocf.NewEnv(ocf.MapLookup(map[string]string{
		"OCF_RESKEY_drbd_resource": "r0", "OCF_RESKEY_wfc_timeout": ""})))
	assert.Equal(t, time.Duration(0), p.connectTimeout, "linbit: empty or non-digits: do not wait")
}

// reload (linbit's drbd_reload): drbdadm adjust when up, then the score.
func TestReloadAdjusts(t *testing.T) {
	s := newSim(t, "connected.node2.proc-drbd.txt")
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n")).On(s.drbdadm("adjust r0"), runner.OK("")).
		On(crmGet, noScore).On(crmSet("10000"), runner.OK(""))
	o := s.run("reload")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Equal(t, []string{s.drbdadm("sh-minor r0"), s.drbdadm("adjust r0"), crmGet, crmSet("10000")}, s.fake.Calls())
}

// The note is kept per DRBD resource, but the score belongs to a Pacemaker
// resource: a score written for one resource id must not stop another id
// on the same DRBD resource (a renamed or re-created primitive, a second
// instance) from writing its own. In the lab, monitors run by hand as
// bench_mfs left node1 without any score for p_drbd_r0 for minutes, and
// a standby failover could not promote node1 until a notify rewrote it.
func TestScoreNoteOfAnotherResourceIdDoesNotHideTheScore(t *testing.T) {
	s := newSim(t, "connected.node2.proc-drbd.txt")
	other := "crm_attribute --promotion=bench_mfs -l reboot"
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n")).On(crmGet, noScore).On(crmSet("10000"), runner.OK("")).
		On(other+" -G -q", noScore).On(other+" -v 10000", runner.OK(""))
	var n int
	o := s.run("monitor", "OCF_RESOURCE_INSTANCE", "bench_mfs")
	require.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Equal(t, []string{s.drbdadm("sh-minor r0"), other + " -G -q", other + " -v 10000"}, s.calls(&n))

	o = s.run("monitor")
	require.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Equal(t, []string{crmGet, crmSet("10000")}, s.calls(&n), "p_drbd_r0 has no score yet")
	o = s.run("monitor")
	require.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Empty(t, s.calls(&n), "now it has: steady state again")
}
