// Package master is the ocf:mfs:master resource agent: Pacemaker's view of
// one mfsmaster, through the mfs domain client.
package master

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/mfs"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

const (
	defaultConfig = mfs.DefaultConfig
	defaultBinary = "mfsmaster"
)

// Agent implements ocf.Agent and ocf.Reloader.
type Agent struct {
	Runner   runner.Runner
	ProcRoot string                          // "/proc"
	LookPath func(string) (string, error)    // exec.LookPath
	Signal   func(int, syscall.Signal) error // mfs.Signal
	Poll     time.Duration                   // how often start and stop look again
	// MasterName is the process name of a running master ("mfsmaster");
	// tests set their own to stand in for a hung master.
	MasterName string
}

// New returns the agent wired to this machine.
func New() *Agent {
	return &Agent{Runner: runner.Exec{}, ProcRoot: "/proc", LookPath: exec.LookPath, Signal: mfs.Signal,
		Poll: 200 * time.Millisecond}
}

type params struct {
	config       string
	binary       string
	autoRecovery bool
	probeTimeout time.Duration
}

func readParams(env *ocf.Env) (params, error) {
	p := params{config: env.ParamOr("config", defaultConfig), binary: env.ParamOr("binary", defaultBinary)}
	var err error
	if p.autoRecovery, err = env.BoolParam("auto_recovery", true); err != nil {
		return p, ocf.Errorf(ocf.ErrConfigured, "auto_recovery: %v", err)
	}
	secs, err := env.IntParam("probe_timeout", 5)
	if err != nil || secs <= 0 {
		return p, ocf.Errorf(ocf.ErrConfigured, "probe_timeout must be a positive number of seconds, not %q", env.ParamOr("probe_timeout", ""))
	}
	p.probeTimeout = time.Duration(secs) * time.Second
	return p, nil
}

// instance is one request's view: parameters, the parsed configuration
// (nil when it cannot be read) and the domain client.
type instance struct {
	p      params
	cfg    *mfs.Config
	cfgErr error // why cfg is nil
	m      *mfs.Master
	host   *mfs.Host
}

func (a *Agent) instance(r *ocf.Request) (*instance, error) {
	p, err := readParams(r.Env)
	if err != nil {
		return nil, err
	}
	host, err := mfs.NewHost(a.ProcRoot)
	if err != nil {
		return nil, ocf.Errorf(ocf.ErrGeneric, "read %s: %v", a.ProcRoot, err)
	}
	in := &instance{p: p, host: host}
	f, err := os.Open(p.config)
	if err != nil {
		in.cfgErr = ocf.Errorf(ocf.ErrInstalled, "config %s cannot be read: %v", p.config, err)
	} else {
		in.cfg, err = mfs.ParseConfig(f)
		f.Close()
		if err != nil {
			in.cfgErr = ocf.Errorf(ocf.ErrConfigured, "config %s: %v", p.config, err)
		}
	}
	if in.cfg != nil {
		in.m = &mfs.Master{Runner: a.Runner, Host: host, Binary: p.binary, Config: p.config, Cfg: in.cfg, Name: a.MasterName}
	}
	return in, nil
}

// Validate implements ocf.Agent: parameters, the configuration and the
// binary. DATA_PATH is not required here, because it exists only where the
// DRBD file system is mounted.
func (a *Agent) Validate(ctx context.Context, r *ocf.Request) error {
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
	if _, err := a.LookPath(in.p.binary); err != nil {
		return ocf.Errorf(ocf.ErrInstalled, "binary %s: %v", in.p.binary, err)
	}
	return nil
}

// Monitor implements ocf.Agent.
func (a *Agent) Monitor(ctx context.Context, r *ocf.Request) error {
	in, err := a.instance(r)
	if err != nil {
		return err
	}
	if in.cfg == nil {
		// Without the configuration there is no DATA_PATH to look in; a
		// master started with this config file is still found by name.
		pids, _ := in.host.FindMasters(in.p.config)
		if len(pids) == 0 {
			return ocf.Errorf(ocf.NotRunning, "not running (%v)", in.cfgErr)
		}
		return ocf.Errorf(ocf.ErrGeneric, "mfsmaster runs (pid %d) but %v", pids[0], in.cfgErr)
	}
	return a.monitor(ctx, r, in)
}

func (a *Agent) monitor(ctx context.Context, r *ocf.Request, in *instance) error {
	if _, err := os.Stat(in.cfg.DataPath); errors.Is(err, os.ErrNotExist) {
		// The DRBD file system is mounted on another node: nothing can run
		// here, which is "not running", never a configuration error.
		return ocf.Errorf(ocf.NotRunning, "DATA_PATH %s is absent here", in.cfg.DataPath)
	}
	st, err := in.m.State()
	if err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "read mfsmaster state: %v", err)
	}
	if !st.Running() {
		return ocf.Errorf(ocf.NotRunning, "not running")
	}
	if st.Process.Stopped() {
		return ocf.Errorf(ocf.ErrGeneric, "mfsmaster (pid %d) is stopped (state %s) and serves no one", st.PID, st.Process.State)
	}
	if !st.Listening {
		return ocf.Errorf(ocf.ErrGeneric, "mfsmaster (pid %d) is not listening on its client port %d", st.PID, in.cfg.Matocl.Port)
	}
	if r.Env.CheckLevel() >= 20 {
		pctx, cancel := context.WithTimeout(ctx, in.p.probeTimeout)
		defer cancel()
		if _, err := mfs.Probe(pctx, in.cfg.Matocl); err != nil {
			return ocf.Errorf(ocf.ErrGeneric, "mfsmaster (pid %d) did not answer on port %d within %s: %v",
				st.PID, in.cfg.Matocl.Port, in.p.probeTimeout, err)
		}
	}
	return nil
}

// Start implements ocf.Agent.
func (a *Agent) Start(ctx context.Context, r *ocf.Request) error {
	in, err := a.instance(r)
	if err != nil {
		return err
	}
	if err := a.validate(in); err != nil {
		return err
	}
	uid, gid := workingIDs(in.cfg)
	if problem := mfs.DataPathProblem(in.cfg.DataPath, uid, gid); problem != "" {
		return ocf.Errorf(ocf.ErrGeneric, "%s", problem)
	}
	st, err := in.m.State()
	if err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "read mfsmaster state: %v", err)
	}
	if st.Running() {
		if err := a.monitor(ctx, r, in); err != nil {
			return ocf.Errorf(ocf.ErrGeneric, "an mfsmaster (pid %d) already holds DATA_PATH %s but is unhealthy (%v); not starting a second one",
				st.PID, in.cfg.DataPath, err)
		}
		r.Log.Infof("mfsmaster already running (pid %d)", st.PID)
		return nil
	}
	if st.PID != 0 {
		// mfsmaster leaves its lock file behind; only a live owner matters.
		r.Log.Infof("removing stale %s (pid %d is not a running mfsmaster)", in.cfg.LockPath(), st.PID)
		if err := os.Remove(in.cfg.LockPath()); err != nil && !errors.Is(err, os.ErrNotExist) {
			return ocf.Errorf(ocf.ErrGeneric, "remove stale lock: %v", err)
		}
	}
	if mode := in.cfg.Raw["CHANGELOG_SAVE_MODE"]; mode != "2" {
		// Modes 0 and 1 leave the latest changes in the page cache: after a
		// crash of this node, DRBD's copy lacks what clients were already told.
		r.Log.Warnf("CHANGELOG_SAVE_MODE is %s in %s: changes made in the last seconds before a crash of this node can be lost on failover; "+
			"set CHANGELOG_SAVE_MODE = 2 (fsync each change) for a master whose DATA_PATH is on DRBD", orDefault(mode, "0 (the default)"), in.p.config)
	}
	md, err := in.m.ReadMetadata()
	if err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "read DATA_PATH: %v", err)
	}
	recover := false
	switch {
	case md.Empty():
		return ocf.Errorf(ocf.ErrGeneric, "no metadata in DATA_PATH %s (a new file system starts from metadata.mfs.empty copied to metadata.mfs)", in.cfg.DataPath)
	case md.NeedsRecovery() && !in.p.autoRecovery:
		return ocf.Errorf(ocf.ErrGeneric, "metadata.mfs missing after a crash; auto_recovery=false, so recover by hand with mfsmaster -a")
	case md.NeedsRecovery():
		r.Log.Warnf("metadata.mfs is missing (crash or unclean failover): starting with -a to recover from metadata.mfs.back and changelogs")
		recover = true
	}
	if err := in.m.Start(ctx, recover); err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "%v", err)
	}
	// mfsmaster's start returns once it has loaded the metadata; clients
	// are served only when the client port answers.
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, perr := mfs.Probe(pctx, in.cfg.Matocl)
		cancel()
		st, _ := in.m.State()
		if perr == nil {
			r.Log.Infof("mfsmaster started (pid %d, recovery %t)", st.PID, recover)
			return nil
		}
		// The daemon can still die after 'mfsmaster start' returned (the
		// kernel's OOM killer, for one): waiting out the start timeout
		// would only delay the failover.
		if !st.Running() {
			return ocf.Errorf(ocf.ErrGeneric, "mfsmaster exited after it started (pid %d); see the system log and dmesg (out of memory?)", st.PID)
		}
		select {
		case <-ctx.Done():
			return ocf.Errorf(ocf.ErrGeneric, "mfsmaster did not answer on port %d before the start timeout: %v", in.cfg.Matocl.Port, perr)
		case <-time.After(a.Poll):
		}
	}
}

// workingIDs resolves WORKING_USER and WORKING_GROUP; -1 when unknown, in
// which case only the mount is checked for writability.
func workingIDs(cfg *mfs.Config) (int, int) {
	u, err := user.Lookup(cfg.WorkingUser)
	if err != nil {
		return -1, -1
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if cfg.WorkingGroup != "" {
		if g, err := user.LookupGroup(cfg.WorkingGroup); err == nil {
			gid, _ = strconv.Atoi(g.Gid)
		}
	}
	return uid, gid
}

// Stop implements ocf.Agent. It never fails for a bad configuration: the
// process is then found by its name and command line.
func (a *Agent) Stop(ctx context.Context, r *ocf.Request) error {
	in, err := a.instance(r)
	if err != nil {
		// Unusable parameters: stop whatever runs with the default config.
		r.Log.Warnf("stop with unusable parameters (%v): looking for mfsmaster -c %s", err, defaultConfig)
		host, herr := mfs.NewHost(a.ProcRoot)
		if herr != nil {
			return ocf.Errorf(ocf.ErrGeneric, "read %s: %v", a.ProcRoot, herr)
		}
		in = &instance{p: params{config: defaultConfig}, host: host}
	}
	var pids []int
	if in.cfg != nil {
		if st, err := in.m.State(); err == nil && st.Running() {
			pids = append(pids, st.PID)
		}
	}
	if len(pids) == 0 {
		pids, _ = in.host.FindMasters(in.p.config)
	}
	if len(pids) == 0 {
		return nil
	}
	// A master stopped by SIGSTOP would sit on SIGTERM until the stop
	// timeout and then lose its metadata to SIGKILL; resumed, it stores
	// it and exits like any other.
	for _, pid := range pids {
		if p, err := in.host.Process(pid); err == nil && p.Stopped() {
			r.Log.Warnf("mfsmaster (pid %d) is stopped (SIGSTOP): resuming it so that it can store its metadata", pid)
			_ = a.Signal(pid, syscall.SIGCONT)
		}
	}
	// Keep time for SIGKILL and its wait: a stop that times out makes
	// Pacemaker fence or block the node.
	reserve := 5 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left/5 < reserve {
			reserve = left / 5
		}
	}
	clean, cancel := ctxBefore(ctx, reserve)
	defer cancel()
	if in.m != nil && in.cfg != nil && len(pids) == 1 {
		if err := in.m.Stop(clean); err != nil {
			r.Log.Warnf("mfsmaster stop: %v", err)
		}
	} else {
		for _, pid := range pids {
			r.Log.Infof("sending SIGTERM to mfsmaster pid %d", pid)
			_ = a.Signal(pid, syscall.SIGTERM)
		}
	}
	var left []int
	for _, pid := range pids {
		if err := in.host.WaitGone(clean, pid); err != nil {
			left = append(left, pid)
		}
	}
	for _, pid := range left {
		r.Log.Warnf("mfsmaster (pid %d) did not store its metadata and exit before the stop timeout: sending SIGKILL; the next start recovers with -a", pid)
		_ = a.Signal(pid, syscall.SIGKILL)
		_ = a.Signal(-pid, syscall.SIGKILL) // its data writer child, in the same group
		if err := in.host.WaitGone(ctx, pid); err != nil {
			return ocf.Errorf(ocf.ErrGeneric, "mfsmaster (pid %d) survived SIGKILL: %v", pid, err)
		}
	}
	r.Log.Infof("mfsmaster stopped")
	return nil
}

// ctxBefore is ctx with its deadline moved earlier by d.
func ctxBefore(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, dl.Add(-d))
	}
	return context.WithCancel(ctx)
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
		return ocf.Errorf(ocf.ErrGeneric, "read mfsmaster state: %v", err)
	}
	if !st.Running() {
		return ocf.Errorf(ocf.NotRunning, "mfsmaster is not running; nothing to reload")
	}
	if err := a.Signal(st.PID, syscall.SIGHUP); err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "SIGHUP to pid %d: %v", st.PID, err)
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
