// Package master is the ocf:mfs:master resource agent: Pacemaker's view of
// one mfsmaster, through the mfs domain client.
package master

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/agent/master/core"
	"github.com/ocf-mfs/ocf-mfs/internal/mfs"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

const (
	defaultConfig = mfs.DefaultConfig
	defaultBinary = core.DefaultBinary
)

// Agent implements ocf.Agent and ocf.Reloader.
type Agent struct {
	Runner   runner.Runner
	ProcRoot string                       // "/proc"
	LookPath func(string) (string, error) // exec.LookPath
	Poll     time.Duration                // how often start looks again
	// StateDir keeps the DATA_PATH of each resource's last start; ""
	// means $HA_RSCTMP, or /run/resource-agents without it.
	StateDir string
	// MasterName is the process name of a running master ("mfsmaster");
	// tests set their own to stand in for a hung master.
	MasterName string
	// MetaloggerName is the process name of a running metalogger
	// ("mfsmetalogger"), for the same reason.
	MetaloggerName string
}

// New returns the agent wired to this machine.
func New() *Agent {
	return &Agent{Runner: runner.Exec{}, ProcRoot: "/proc", LookPath: exec.LookPath, Poll: 200 * time.Millisecond}
}

// instance is one request's view: parameters, the parsed configuration
// (nil when it cannot be read) and the domain client.
type instance struct {
	p      core.Params
	cfg    *mfs.Config
	cfgErr error // why cfg is nil
	m      *mfs.Master
	host   *mfs.Host
}

func (a *Agent) instance(r *ocf.Request) (*instance, error) {
	p, err := core.ReadParams(r.Env)
	if err != nil {
		return nil, err
	}
	host, err := mfs.NewHost(a.ProcRoot)
	if err != nil {
		return nil, ocf.Errorf(ocf.ErrGeneric, "read %s: %w", a.ProcRoot, err)
	}
	in := &instance{p: p, host: host}
	a.readConfig(in)
	return in, nil
}

func (a *Agent) readConfig(in *instance) {
	cfg, err := mfs.ReadConfigFile(in.p.Config)
	switch {
	case errors.Is(err, mfs.ErrConfig):
		in.cfgErr = ocf.Errorf(ocf.ErrConfigured, "config %s: %w", in.p.Config, err)
	case err != nil:
		in.cfgErr = ocf.Errorf(ocf.ErrInstalled, "config %s cannot be read: %w", in.p.Config, err)
	default:
		in.cfg = cfg
		in.m = a.master(in.host, in.p, cfg)
	}
}

func (a *Agent) master(host *mfs.Host, p core.Params, cfg *mfs.Config) *mfs.Master {
	m := &mfs.Master{Runner: a.Runner, Host: host, Binary: p.Binary, Config: p.Config, Cfg: cfg, Name: a.MasterName}
	if filepath.IsAbs(p.Binary) {
		// A MooseFS installed under its own prefix has mfsmetarestore
		// next to mfsmaster.
		m.Metarestore = filepath.Join(filepath.Dir(p.Binary), "mfsmetarestore")
	}
	return m
}

// statePath is where the DATA_PATH of this resource's last start is kept,
// so that a stop can find its master when the configuration has become
// unreadable.
func (a *Agent) statePath(env *ocf.Env) string {
	dir := a.StateDir
	if dir == "" {
		dir = "/run/resource-agents"
		if d, ok := env.Get("HA_RSCTMP"); ok && d != "" {
			dir = d
		}
	}
	name := strings.NewReplacer("/", "_", "\x00", "_").Replace(env.Instance())
	return filepath.Join(dir, "ocf-mfs-master-"+name+".datapath")
}

// remember writes DATA_PATH for statePath, readable by root only.
func (a *Agent) remember(env *ocf.Env, dataPath string) error {
	p := a.statePath(env)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	tmp := p + ".new"
	if err := os.WriteFile(tmp, []byte(dataPath+"\n"), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// remembered returns the DATA_PATH remembered for this resource, "" when
// none is.
func (a *Agent) remembered(env *ocf.Env) string {
	b, err := mfs.ReadSmallFile(a.statePath(env), 4096)
	if err != nil {
		return ""
	}
	d := strings.TrimSpace(string(b))
	if !filepath.IsAbs(d) {
		return ""
	}
	return d
}

// Validate implements ocf.Agent: parameters, the configuration and the
// binary. DATA_PATH is not required here, because it exists only where the
// DRBD file system is mounted.
func (a *Agent) Validate(ctx context.Context, r *ocf.Request) error {
	if promotable(r.Env) {
		_, err := a.pinstance(r)
		return err
	}
	in, err := a.instance(r)
	if err != nil {
		return err
	}
	return a.validate(in)
}

func (a *Agent) validate(in *instance) error {
	if in.cfgErr != nil {
		return in.cfgErr
	}
	if _, err := a.LookPath(in.p.Binary); err != nil {
		return ocf.Errorf(ocf.ErrInstalled, "binary %s: %w", in.p.Binary, err)
	}
	return nil
}

// Monitor implements ocf.Agent.
func (a *Agent) Monitor(ctx context.Context, r *ocf.Request) error {
	if promotable(r.Env) {
		return a.monitorPromotable(ctx, r)
	}
	in, err := a.instance(r)
	if err != nil {
		return err
	}
	if in.cfg == nil {
		// Without the configuration, only the DATA_PATH of the last start
		// can tell whether our master still runs.
		if d := a.remembered(r.Env); d != "" {
			if p, _ := in.host.LockHolder(filepath.Join(d, mfs.LockName)); p != nil {
				return ocf.Errorf(ocf.ErrGeneric, "mfsmaster runs (pid %d, DATA_PATH %s) but %v", p.PID, d, in.cfgErr)
			}
		}
		return ocf.Errorf(ocf.NotRunning, "not running (%v)", in.cfgErr)
	}
	return a.monitor(ctx, r, in)
}

func (a *Agent) monitor(ctx context.Context, r *ocf.Request, in *instance) error {
	st, err := core.Serving(in.host, in.cfg, a.MasterName)
	if err != nil {
		return err
	}
	if r.Env.CheckLevel() >= 20 {
		pctx, cancel := context.WithTimeout(ctx, in.p.ProbeTimeout)
		defer cancel()
		if _, err := mfs.Probe(pctx, in.cfg.Matocl); err != nil {
			return ocf.Errorf(ocf.ErrGeneric, "mfsmaster (pid %d) did not answer on port %d within %s: %v",
				st.PID, in.cfg.Matocl.Port, in.p.ProbeTimeout, err)
		}
	}
	return nil
}

// Start implements ocf.Agent.
func (a *Agent) Start(ctx context.Context, r *ocf.Request) error {
	if promotable(r.Env) {
		return a.startUnpromoted(ctx, r)
	}
	in, err := a.instance(r)
	if err != nil {
		return err
	}
	if err := a.validate(in); err != nil {
		return err
	}
	for _, k := range in.cfg.InlineComments() {
		// The agent reads what mfsmaster reads; the operator most likely
		// meant a comment.
		r.Log.Warnf("%s in %s is %q: mfsmaster takes a '#' after a value as part of it; put comments on lines of their own",
			k, in.p.Config, in.cfg.Raw[k])
	}
	uid, gid, err := mfs.WorkingIDs(in.cfg)
	if err != nil {
		// mfsmaster would start, fail to switch users and exit; the
		// operator needs this reason, not "it exited".
		return ocf.Errorf(ocf.ErrInstalled, "%w", err)
	}
	if problem := mfs.DataPathProblem(in.cfg.DataPath, uid, gid); problem != "" {
		return ocf.Errorf(ocf.ErrGeneric, "%s", problem)
	}
	st, err := in.m.State()
	if err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "read mfsmaster state: %w", err)
	}
	if st.Running() {
		if err := a.monitor(ctx, r, in); err != nil {
			return ocf.Errorf(ocf.ErrGeneric, "an mfsmaster (pid %d) already holds DATA_PATH %s but is unhealthy (%v); not starting a second one",
				st.PID, in.cfg.DataPath, err)
		}
		r.Log.Infof("mfsmaster already running (pid %d)", st.PID)
		return nil
	}
	if st.Process != nil {
		return ocf.Errorf(ocf.ErrGeneric, "%s is locked by pid %d (%s), not an mfsmaster; not starting", in.cfg.LockPath(), st.PID, st.Process.Comm)
	}
	if err := a.remember(r.Env, in.cfg.DataPath); err != nil {
		r.Log.Warnf("cannot remember DATA_PATH for a stop without configuration: %v", err)
	}
	v, err := in.m.Version(ctx)
	if err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "cannot tell the MooseFS version: %w", err)
	}
	if mode := in.cfg.Raw["CHANGELOG_SAVE_MODE"]; mode != "2" && v.AtLeast(3, 0, 0) {
		// Modes 0 and 1 leave the latest changes in the page cache: after a
		// crash of this node, DRBD's copy lacks what clients were already
		// told. Before 3.0 there is no such setting to recommend.
		r.Log.Warnf("CHANGELOG_SAVE_MODE is %s in %s: changes made in the last seconds before a crash of this node can be lost on failover; "+
			"set CHANGELOG_SAVE_MODE = 2 (fsync each change) for a master whose DATA_PATH is on DRBD", orDefault(mode, "0 (the default)"), in.p.Config)
	}
	md, err := in.m.ReadMetadata()
	if err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "read DATA_PATH: %w", err)
	}
	recover := false
	switch {
	case md.Empty():
		return ocf.Errorf(ocf.ErrGeneric, "no metadata in DATA_PATH %s (a new file system starts from metadata.mfs.empty copied to metadata.mfs)", in.cfg.DataPath)
	case md.NeedsRecovery() && !in.p.AutoRecovery:
		return ocf.Errorf(ocf.ErrGeneric, "metadata.mfs missing after a crash; auto_recovery=false, so recover by hand (%s)", recoverHow(v))
	case md.NeedsRecovery():
		r.Log.Warnf("metadata.mfs is missing (crash or unclean failover): recovering from metadata.mfs.back and changelogs with %s", recoverHow(v))
		recover = true
	}
	t0 := time.Now()
	if err := in.m.Start(ctx, v, recover); err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "%w", err)
	}
	took := time.Since(t0)
	// mfsmaster's start returns once it has loaded the metadata; clients
	// are served only when the client port answers.
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, perr := mfs.Probe(pctx, in.cfg.Matocl)
		cancel()
		st, _ := in.m.State()
		if perr == nil {
			// mfsmaster's own share is logged apart from the agent's: a
			// failover timeline (make bench) separates MooseFS's time from ours.
			r.Log.Infof("mfsmaster %s started (pid %d, recovery %t); mfsmaster start took %.2f s", v, st.PID, recover, took.Seconds())
			return nil
		}
		// The daemon can still die after 'mfsmaster start' returned (the
		// kernel's OOM killer, for one): waiting out the start timeout
		// would only delay the failover.
		if !st.Running() {
			return ocf.Errorf(ocf.ErrGeneric, "mfsmaster exited after it started; see the system log and dmesg (out of memory?)")
		}
		select {
		case <-ctx.Done():
			return ocf.Errorf(ocf.ErrGeneric, "mfsmaster did not answer on port %d before the start timeout: %w", in.cfg.Matocl.Port, perr)
		case <-time.After(a.Poll):
		}
	}
}

func recoverHow(v mfs.Version) string {
	if v.AtLeast(1, 7, 0) {
		return "mfsmaster -a"
	}
	return "mfsmetarestore -a"
}

// Stop implements ocf.Agent. It never fails for bad parameters or a bad
// configuration, and it never signals a process it did not identify as the
// master of this resource's DATA_PATH: the holder of the lock on the
// configured DATA_PATH, or, when the configuration cannot be read, on the
// DATA_PATH of this resource's last start. Without either it stops nothing
// and says so.
func (a *Agent) Stop(ctx context.Context, r *ocf.Request) error {
	p, perr := core.ReadParams(r.Env)
	if perr != nil {
		// config, binary and the rest are still usable.
		r.Log.Warnf("stop with an unusable parameter (%v): using the defaults for the others", perr)
		p.KillMarginSet = false
	}
	host, err := mfs.NewHost(a.ProcRoot)
	if err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "read %s: %w", a.ProcRoot, err)
	}
	in := &instance{p: p, host: host}
	a.readConfig(in)
	dataPath := ""
	if in.cfg != nil {
		dataPath = in.cfg.DataPath
	} else if dataPath = a.remembered(r.Env); dataPath != "" {
		r.Log.Warnf("%v: stopping the master of DATA_PATH %s, where this resource last started", in.cfgErr, dataPath)
		in.m = a.master(host, p, &mfs.Config{DataPath: dataPath})
	} else {
		r.Log.Warnf("%v, and this resource never started here: stopping nothing", in.cfgErr)
		return nil
	}
	if promotable(r.Env) {
		if err := a.stopMetalogger(ctx, r, host, dataPath); err != nil {
			return err
		}
	}
	st, err := in.m.State()
	if errors.Is(err, mfs.ErrNotRegular) {
		r.Log.Warnf("%v, and no process holds a lock on it: nothing to stop", err)
		return nil
	}
	if err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "read mfsmaster state: %w", err)
	}
	if st.Process == nil {
		return nil
	}
	if !st.Running() {
		r.Log.Warnf("%s is locked by pid %d (%s), which is not an mfsmaster: leaving it alone", filepath.Join(dataPath, mfs.LockName), st.PID, st.Process.Comm)
		return nil
	}
	margin := p.Margin(r.Env.Timeout())
	t0 := time.Now()
	killed, err := host.Terminate(ctx, st.Process, margin, r.Log)
	if err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "%w", err)
	}
	if !killed {
		// Most of a stop is mfsmaster's own grace before it stores its
		// metadata; the figure lets a failover timeline show it as such.
		r.Log.Infof("mfsmaster (pid %d) exited %.2f s after SIGTERM", st.PID, time.Since(t0).Seconds())
	}
	r.Log.Infof("mfsmaster stopped")
	return nil
}

// Reload implements ocf.Reloader: mfsmaster rereads its configuration and
// exports on SIGHUP.
func (a *Agent) Reload(ctx context.Context, r *ocf.Request) error {
	in, err := a.instance(r)
	if err != nil {
		return err
	}
	if in.cfg == nil {
		return in.cfgErr
	}
	st, err := in.m.State()
	if err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "read mfsmaster state: %w", err)
	}
	if !st.Running() {
		return ocf.Errorf(ocf.NotRunning, "mfsmaster is not running; nothing to reload")
	}
	if err := in.host.Signal(st.Process.ProcID, syscall.SIGHUP); err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "SIGHUP to pid %d: %w", st.PID, err)
	}
	r.Log.Infof("sent SIGHUP to mfsmaster (pid %d): configuration and exports reloaded", st.PID)
	return nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
