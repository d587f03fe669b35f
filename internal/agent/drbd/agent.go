// Package drbd is the ocf:mfs:drbd resource agent: a promotable clone of one
// DRBD resource, driven through the drbd domain client and read through
// drbdproc, for use in place of ocf:linbit:drbd.
package drbd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/prometheus/procfs"

	"github.com/ocf-mfs/ocf-mfs/internal/crm"

	"github.com/ocf-mfs/ocf-mfs/internal/drbdadm"
	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
	"github.com/ocf-mfs/ocf-mfs/internal/splitbrain/marker"
)

const (
	defaultConf           = "/etc/drbd.conf"
	defaultScores         = "0 10 1000 10000"
	defaultConnectTimeout = 10
	// stateDirDefault is where resource agents keep state that must not
	// survive a reboot (HA_RSCTMP in resource-agents).
	stateDirDefault = "/run/resource-agents"
)

// Agent implements ocf.Agent, ocf.Promoter and ocf.Notifier.
type Agent struct {
	Runner   runner.Runner
	ProcDrbd string                       // drbdproc.DefaultPath
	StateDir string                       // "" = $HA_RSCTMP or /run/resource-agents
	Markers  marker.Store                 // split-brain markers left by our handler
	LookPath func(string) (string, error) // exec.LookPath
	Now      func() time.Time
	Poll     time.Duration // how often start, promote and demote look again
	// ScoreRecheck is how long a score written by this agent is trusted
	// without asking the attribute daemon: a monitor reads its own note
	// instead of forking crm_attribute every interval, but looks again
	// after this long in case Pacemaker restarted and lost the attribute.
	ScoreRecheck time.Duration
	// AttrdID names the running attribute daemon (attrdIdentity over
	// /proc); a different name means it restarted and forgot the score.
	// Its argument is the name last seen, tried first.
	AttrdID func(hint string) string
	// Uptime is time since boot (uptime): the note's age must not follow
	// the wall clock.
	Uptime func() time.Duration
	// PeerGrace is how long promote waits for a peer that still reads as
	// Primary, at most half the promote timeout.
	PeerGrace time.Duration
}

// New returns the agent wired to this machine.
func New() *Agent {
	return &Agent{Runner: runner.Exec{}, ProcDrbd: drbdproc.DefaultPath,
		Markers:  marker.Store{Dir: marker.Dir},
		LookPath: exec.LookPath, Now: time.Now, Poll: 500 * time.Millisecond, ScoreRecheck: 5 * time.Minute,
		PeerGrace: 30 * time.Second, Uptime: uptime,
		AttrdID: func(hint string) string { return attrdIdentity(procfs.DefaultMountPoint, hint) }}
}

type params struct {
	res            string
	conf           string
	scores         Scores
	connectTimeout time.Duration
	// peerPrimaryRemoves is remove_master_score_if_peer_primary=true.
	peerPrimaryRemoves bool
	// warnings are parameters ignored in favour of their default.
	warnings []string
	// ignoreNotify is ignore_missing_notifications: notify=false accepted.
	ignoreNotify bool
	// failPromoteEarly is fail_promote_early_if_peer_primary: no grace
	// for a peer that still reads as Primary.
	failPromoteEarly bool
	// moduleGE and moduleLT bound the DRBD module's version, "" for none.
	moduleGE, moduleLT string
}

func readParams(env *ocf.Env) (params, error) {
	p := params{conf: env.ParamOr("drbdconf", defaultConf), scores: DefaultScores}
	p.res, _ = env.Param("drbd_resource")
	if p.res == "" {
		return p, ocf.Errorf(ocf.ErrConfigured, "drbd_resource is required")
	}
	if v, ok := env.Param("adjust_master_score"); ok && v != "" {
		// As linbit's agent: a malformed value is logged and the
		// defaults apply; failing every monitor would stop the resource
		// cluster-wide over a tuning knob.
		if s, err := ParseScores(v); err != nil {
			p.warnings = append(p.warnings, fmt.Sprintf("%v; using the default %q", err, defaultScores))
		} else {
			p.scores = s
		}
	}
	p.peerPrimaryRemoves, _ = env.BoolParam("remove_master_score_if_peer_primary", false)
	p.ignoreNotify, _ = env.BoolParam("ignore_missing_notifications", false)
	p.failPromoteEarly, _ = env.BoolParam("fail_promote_early_if_peer_primary", false)
	p.moduleGE = env.ParamOr("require_drbd_module_version_ge", "")
	p.moduleLT = env.ParamOr("require_drbd_module_version_lt", "")
	for _, v := range []string{p.moduleGE, p.moduleLT} {
		if _, ok := parseVersion(v); v != "" && !ok {
			return p, ocf.Errorf(ocf.ErrConfigured, "require_drbd_module_version: %q is not x.y.z", v)
		}
	}
	if v, ok := env.Get("OCF_RESKEY_wfc_timeout"); ok {
		// linbit's name for the same wait: empty or not a number means
		// "do not wait".
		secs, err := strconv.Atoi(v)
		if err != nil || secs < 0 {
			secs = 0
		}
		p.connectTimeout = time.Duration(secs) * time.Second
		return p, nil
	}
	secs, err := env.IntParam("connect_timeout", defaultConnectTimeout)
	if err != nil || secs < 0 {
		return p, ocf.Errorf(ocf.ErrConfigured, "connect_timeout must be a number of seconds, not %q", env.ParamOr("connect_timeout", ""))
	}
	p.connectTimeout = time.Duration(secs) * time.Second
	return p, nil
}

// validateClone checks the meta attributes a DRBD resource needs as a
// promotable clone: one instance per node, at most two Primaries (two only
// with allow-two-primaries in drbd.conf), and notifications, without which
// the agent never hears that its peer came back.
func validateClone(m ocf.CloneMeta, ignoreNotify bool) error {
	switch {
	case !m.IsClone || !m.Promotable:
		return ocf.Errorf(ocf.ErrConfigured, "ocf:mfs:drbd must run as a promotable clone (ms or clone promotable=true)")
	case m.NodeMax != 0 && m.NodeMax != 1:
		return ocf.Errorf(ocf.ErrConfigured, "clone-node-max must be 1, not %d", m.NodeMax)
	case m.PromotedNodeMax != 0 && m.PromotedNodeMax != 1:
		return ocf.Errorf(ocf.ErrConfigured, "promoted-node-max must be 1, not %d", m.PromotedNodeMax)
	case m.PromotedMax > 2:
		return ocf.Errorf(ocf.ErrConfigured, "promoted-max must be at most 2, not %d", m.PromotedMax)
	case !m.Notify && !ignoreNotify:
		return ocf.Errorf(ocf.ErrConfigured, "notify=true is required on the clone")
	}
	return nil
}

// instance is one action's view of the resource.
type instance struct {
	a      *Agent
	r      *ocf.Request
	p      params
	client *drbdadm.Client
	src    *drbdproc.Source
	scorer *crm.Scorer
	note   *note
	// vols are every volume of the resource as device last read them:
	// the score is judged on all of them.
	vols []drbdproc.Device
}

// killRoom is how much earlier than the action's deadline every command
// must end: the runner's TERM-to-KILL grace plus a second to report. The
// action's own margin (a tenth of the timeout, at least a second) is no
// bigger than the grace for timeouts up to 20 s, so a crm_attribute that
// ignores SIGTERM would otherwise hold a monitor until Pacemaker's timeout.
const killRoom = runner.DefaultKillGrace + time.Second

// roomy runs commands with their deadline moved killRoom earlier, or by
// half the time left when that is less (a timeout of a few seconds leaves
// no room for the grace anyway, and the command must still get a chance).
type roomy struct{ runner.Runner }

func (r roomy) Run(ctx context.Context, name string, args ...string) (runner.Result, error) {
	if dl, ok := ctx.Deadline(); ok {
		room := min(killRoom, time.Until(dl)/2)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-room))
		defer cancel()
	}
	return r.Runner.Run(ctx, name, args...)
}

func (a *Agent) instance(r *ocf.Request) (*instance, error) {
	p, err := readParams(r.Env)
	run := roomy{a.Runner}
	in := &instance{a: a, r: r, p: p,
		client: &drbdadm.Client{Runner: run, Config: p.conf},
		src:    &drbdproc.Source{Path: a.ProcDrbd, Runner: run},
		scorer: &crm.Scorer{Runner: run, Resource: r.Env.Instance(), Log: r.Log, Dialect: dialect(r.Env)},
	}
	in.note = loadNote(a.stateDir(r.Env), p.res)
	for _, w := range p.warnings {
		r.Log.Warnf("%s", w)
	}
	return in, err
}

// dialect is what the Pacemaker running this action speaks, from the OCF
// version it passes (1.0 before Pacemaker 2.1, 1.1 from 2.1).
func dialect(env *ocf.Env) crm.Dialect {
	major, _ := env.Get("OCF_RA_VERSION_MAJOR")
	minor, _ := env.Get("OCF_RA_VERSION_MINOR")
	return crm.DialectFromOCF(major, minor)
}

func (a *Agent) stateDir(env *ocf.Env) string {
	if a.StateDir != "" {
		return a.StateDir
	}
	if d, ok := env.Get("HA_RSCTMP"); ok && d != "" {
		return d
	}
	return stateDirDefault
}

// Validate implements ocf.Agent: parameters, clone meta attributes, drbdadm,
// and the resource's definition in drbdconf.
func (a *Agent) Validate(ctx context.Context, r *ocf.Request) error {
	in, err := a.instance(r)
	if err != nil {
		return err
	}
	if err := validateClone(r.Env.Clone(), in.p.ignoreNotify); err != nil {
		return err
	}
	if _, err = in.minorsFromConf(ctx); err != nil {
		return err
	}
	return in.checkModule(ctx)
}

// minorsFromConf asks drbdadm for the minor of each of the resource's
// volumes, which also proves that drbdadm is installed and that drbdconf
// defines the resource.
func (in *instance) minorsFromConf(ctx context.Context) ([]int, error) {
	if _, err := in.a.LookPath("drbdadm"); err != nil {
		return nil, ocf.Errorf(ocf.ErrInstalled, "drbdadm not found: install drbd-utils")
	}
	if _, err := os.Stat(in.p.conf); err != nil {
		return nil, ocf.Errorf(ocf.ErrInstalled, "drbdconf %s: %w", in.p.conf, err)
	}
	minors, err := in.client.Minors(ctx, in.p.res)
	if err != nil {
		return nil, ocf.Errorf(ocf.ErrConfigured, "resource %s is not defined in %s: %w", in.p.res, in.p.conf, err)
	}
	return minors, nil
}

// minors returns the resource's minors, volume 0's first, from the note
// when drbdconf has not changed since, so that a monitor forks no drbdadm.
func (in *instance) minors(ctx context.Context) ([]int, error) {
	mtime := confMtime(in.p.conf)
	if len(in.note.Minors) > 0 && in.note.Conf == in.p.conf && in.note.ConfMtime == mtime {
		return in.note.Minors, nil
	}
	m, err := in.minorsFromConf(ctx)
	if err != nil {
		return nil, err
	}
	in.note.Minors, in.note.Conf, in.note.ConfMtime = m, in.p.conf, mtime
	in.saveNote()
	return m, nil
}

func confMtime(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.ModTime().UnixNano()
}

// device is the resource's state in the kernel; ok is false when the
// resource is not up (or the module is not loaded).
func (in *instance) device(ctx context.Context) (dev drbdproc.Device, ok bool, err error) {
	st, err := in.src.Read(ctx)
	if errors.Is(err, os.ErrNotExist) {
		return dev, false, nil
	}
	if err != nil {
		return dev, false, ocf.Errorf(ocf.ErrGeneric, "read DRBD state: %w", err)
	}
	// DRBD 9 names its devices; /proc/drbd of 8.4 knows only minors.
	in.vols = in.vols[:0]
	for _, d := range st.Devices {
		if d.Resource == in.p.res {
			in.vols = append(in.vols, d)
		}
	}
	if d, ok := st.Volume(in.p.res, 0); ok {
		return d, d.Configured(), nil
	}
	if st.Major() >= 9 {
		return dev, false, nil
	}
	// An 8.4 resource with several volumes has a minor for each; the
	// first is volume 0, whose role and state the actions report. The
	// score must weigh them all: a node whose second volume is still
	// Inconsistent cannot serve the file system.
	minors, err := in.minors(ctx)
	if err != nil {
		return dev, false, err
	}
	dev, found := st.Device(minors[0])
	for _, m := range minors {
		if d, ok := st.Device(m); ok {
			in.vols = append(in.vols, d)
		}
	}
	return dev, found && dev.Configured(), nil
}

func (in *instance) saveNote() {
	if err := in.note.save(in.a.stateDir(in.r.Env), in.p.res); err != nil {
		in.r.Log.Debugf("state note: %v", err)
	}
}

// updateScore sets the score the resource deserves, or removes it. It asks
// crm_attribute only when the score changed since this agent last wrote it,
// or when that was longer ago than ScoreRecheck.
func (in *instance) updateScore(ctx context.Context, dev drbdproc.Device, fresh bool) error {
	v := in.verdict(dev)
	if v.Keep {
		return nil
	}
	return in.writeScore(ctx, v.Score, fresh)
}

// verdict judges every volume device read (in.vols), or dev alone when it
// kept none.
func (in *instance) verdict(dev drbdproc.Device) Verdict {
	vols := in.vols
	if len(vols) == 0 {
		vols = []drbdproc.Device{dev}
	}
	return in.p.scores.Judge(vols, in.p.peerPrimaryRemoves)
}

// noted tells whether this agent's note says score is in the CIB now: it
// wrote it for this resource id, to the attribute daemon whose identity is
// attrd, since this boot (now is the uptime). Callers read both once.
func (in *instance) noted(score int, attrd string, now time.Duration) bool {
	return in.note.Score != nil && *in.note.Score == score && in.note.Attrd == attrd &&
		in.note.ScoreOf == in.scorer.Resource && now >= time.Duration(in.note.ScoreUptime)
}

// writeScore sets score, or removes the score when it is 0 or less.
func (in *instance) writeScore(ctx context.Context, want int, fresh bool) error {
	if want <= 0 {
		want = -1
	}
	now := in.a.Uptime()
	attrd := in.a.AttrdID(in.note.Attrd)
	if !fresh && in.noted(want, attrd, now) && now-time.Duration(in.note.ScoreUptime) < in.a.ScoreRecheck {
		return nil
	}
	var err error
	if want > 0 {
		_, err = in.scorer.Set(ctx, want)
	} else {
		err = in.scorer.Delete(ctx)
	}
	if err != nil {
		return err
	}
	in.note.Score, in.note.ScoreUptime, in.note.Attrd, in.note.ScoreOf = &want, int64(now), attrd, in.scorer.Resource
	in.saveNote()
	return nil
}

// splitBrainNotice explains a StandAlone device to the operator. It never
// acts on it: choosing which node's changes to throw away is an operator's
// decision (drbd-splitbrain resolve).
func (in *instance) splitBrainNotice(dev drbdproc.Device) {
	if dev.CState != "StandAlone" {
		return
	}
	mk, _ := in.a.Markers.Load(in.p.res)
	msg := fmt.Sprintf("%s is StandAlone (not replicating); see drbd-splitbrain status", in.p.res)
	if mk != nil {
		msg = fmt.Sprintf("%s is StandAlone after a split brain detected %s; resolve with drbd-splitbrain",
			in.p.res, mk.DetectedAt.Format(time.RFC3339))
	}
	in.r.Log.Warnf("%s", msg)
	in.r.Notice = msg
}

// Monitor implements ocf.Agent: 7 when the resource is not up, 8 when
// Primary, 0 when Secondary. On DRBD 8.4 it reads /proc/drbd and forks
// nothing unless the score must change.
func (a *Agent) Monitor(ctx context.Context, r *ocf.Request) error {
	in, err := a.instance(r)
	if err != nil {
		return err
	}
	dev, up, err := in.device(ctx)
	if err != nil {
		// On a node without drbd-utils or without the resource a probe
		// has found nothing running, which is all it asks.
		if r.Probe && (ocf.CodeOf(err) == ocf.ErrInstalled || ocf.CodeOf(err) == ocf.ErrConfigured) {
			return ocf.Errorf(ocf.NotRunning, "%w", err)
		}
		return err
	}
	if !up {
		return ocf.Errorf(ocf.NotRunning, "%s is not up", in.p.res)
	}
	in.splitBrainNotice(dev)
	// A probe that finds the device up scores it too, as linbit's does:
	// after Pacemaker restarts, the probe is the first chance to give back
	// the score it forgot.
	if err := in.updateScore(ctx, dev, false); err != nil {
		// A monitor reports the device, not the attribute daemon.
		r.Log.Warnf("promotion score: %v", err)
	}
	if dev.Role == "Primary" {
		return &ocf.Error{Code: ocf.RunningPromoted}
	}
	return nil
}
