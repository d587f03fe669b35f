package master

// The promotable mode: MooseFS high availability without DRBD. Each
// unpromoted instance runs mfsmetalogger against the current master (the
// VIP in master_host), which receives every metadata change as it happens;
// the promoted instance runs mfsmaster, rebuilt from that node's
// metalogger files with `mfsmaster -a`. The mode is chosen by Pacemaker's
// clone meta attributes (promotable=true, or master-max on Pacemaker 1.1):
// the plain primitive never enters this file.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/crm"
	"github.com/ocf-mfs/ocf-mfs/internal/mfs"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
)

const (
	defaultMetaloggerBinary = "mfsmetalogger"
	defaultMaxLag           = 1000
	// Promotion scores. A promoted master keeps the highest, so that
	// after a kill -9 it is restarted in place from its own files, which
	// lose nothing; a metalogger within max_lag of the master scores
	// between scoreFreshMin and scoreMax by how close it is; one behind
	// by more scores scoreLagging; a node that never followed a master
	// but holds the metadata of the last one it ran scores scoreOwn.
	scoreMax      = 1000
	scoreFreshMin = 101
	scoreLagging  = 10
	scoreOwn      = 1
)

// promotable reports whether this instance is part of a promotable clone.
func promotable(env *ocf.Env) bool { return env.Clone().Promotable }

type mlParams struct {
	masterHost string
	binary     string
	path       string // the metalogger's DATA_PATH; "" means DATA_PATH/metalogger
	maxLag     uint64
}

func readMLParams(env *ocf.Env) (mlParams, error) {
	p := mlParams{masterHost: env.ParamOr("master_host", ""), binary: env.ParamOr("metalogger_binary", defaultMetaloggerBinary),
		path: env.ParamOr("metalogger_path", "")}
	lag, err := env.IntParam("max_lag", defaultMaxLag)
	if err != nil || lag < 0 {
		return p, ocf.Errorf(ocf.ErrConfigured, "max_lag must be a number of changes, not %q", env.ParamOr("max_lag", ""))
	}
	p.maxLag = uint64(lag)
	if p.masterHost == "" {
		return p, ocf.Errorf(ocf.ErrConfigured, "master_host (the address the master is reached at, its VIP) is required in a promotable clone")
	}
	if strings.ContainsAny(p.masterHost, " \t\n#=") {
		return p, ocf.Errorf(ocf.ErrConfigured, "master_host %q is not a host name or address", p.masterHost)
	}
	if p.path != "" && !filepath.IsAbs(p.path) {
		return p, ocf.Errorf(ocf.ErrConfigured, "metalogger_path %q must be an absolute path", p.path)
	}
	return p, nil
}

// pinstance is a promotable request's view: the master's, plus the
// metalogger and the promotion score.
type pinstance struct {
	*instance
	mp     mlParams
	ml     *mfs.Metalogger
	scorer *crm.Scorer
}

func (a *Agent) pinstance(r *ocf.Request) (*pinstance, error) {
	in, err := a.instance(r)
	if err != nil {
		return nil, err
	}
	if err := a.validate(in); err != nil {
		return nil, err
	}
	mp, err := readMLParams(r.Env)
	if err != nil {
		return nil, err
	}
	if _, err := a.LookPath(mp.binary); err != nil {
		return nil, ocf.Errorf(ocf.ErrInstalled, "metalogger_binary %s: %w", mp.binary, err)
	}
	if mp.path == "" {
		mp.path = filepath.Join(in.cfg.DataPath, "metalogger")
	}
	if filepath.Clean(mp.path) == filepath.Clean(in.cfg.DataPath) {
		// mfsmaster -a reads every metadata* and changelog_ml* file of
		// its DATA_PATH: shared, the two histories would mix.
		return nil, ocf.Errorf(ocf.ErrConfigured, "metalogger_path must not be DATA_PATH %s", in.cfg.DataPath)
	}
	pi := &pinstance{instance: in, mp: mp,
		ml: &mfs.Metalogger{Runner: a.Runner, Host: in.host, Binary: mp.binary, DataPath: mp.path, Name: a.MetaloggerName,
			Config: filepath.Join(a.stateDir(r.Env), "ocf-mfs-metalogger-"+instanceFileName(r.Env)+".cfg")},
		scorer: &crm.Scorer{Runner: a.Runner, Resource: r.Env.Instance(), Log: r.Log, Dialect: crm.DialectFromOCF(ocfVersion(r.Env))},
	}
	return pi, nil
}

func ocfVersion(env *ocf.Env) (string, string) {
	major, _ := env.Get("OCF_RA_VERSION_MAJOR")
	minor, _ := env.Get("OCF_RA_VERSION_MINOR")
	return major, minor
}

func instanceFileName(env *ocf.Env) string {
	return strings.NewReplacer("/", "_", "\x00", "_").Replace(env.Instance())
}

// stateDir is where files of this node's resources live: StateDir,
// $HA_RSCTMP or /run/resource-agents.
func (a *Agent) stateDir(env *ocf.Env) string {
	return filepath.Dir(a.statePath(env))
}

// startMetalogger writes the metalogger's configuration, prepares its
// DATA_PATH for the working user and starts it unless it runs; it returns
// once the metalogger holds its lock.
func (a *Agent) startMetalogger(ctx context.Context, r *ocf.Request, pi *pinstance) error {
	p, err := pi.ml.Holder()
	if err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "%w", err)
	}
	if p != nil {
		return nil
	}
	uid, gid, err := mfs.WorkingIDs(pi.cfg)
	if err != nil {
		return ocf.Errorf(ocf.ErrInstalled, "%w", err)
	}
	if err := os.MkdirAll(pi.mp.path, 0o750); err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "metalogger_path: %w", err)
	}
	if uid > 0 {
		if err := os.Chown(pi.mp.path, uid, gid); err != nil {
			return ocf.Errorf(ocf.ErrGeneric, "metalogger_path: %w", err)
		}
	}
	err = pi.ml.WriteConfig(mfs.MetaloggerConfig{DataPath: pi.mp.path, MasterHost: pi.mp.masterHost, MasterPort: pi.cfg.Matoml.Port,
		WorkingUser: pi.cfg.WorkingUser, WorkingGroup: pi.cfg.WorkingGroup, ReconnectDelay: 1})
	if err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "write the metalogger's configuration: %w", err)
	}
	if err := pi.ml.Start(ctx); err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "%w", err)
	}
	for {
		if p, _ := pi.ml.Holder(); p != nil {
			r.Log.Infof("mfsmetalogger started (pid %d), following the master at %s:%d", p.PID, pi.mp.masterHost, pi.cfg.Matoml.Port)
			return nil
		}
		select {
		case <-ctx.Done():
			return ocf.Errorf(ocf.ErrGeneric, "mfsmetalogger did not lock %s before the timeout", pi.ml.LockPath())
		case <-time.After(a.Poll):
		}
	}
}

// stopMetalogger stops the metalogger of this resource, if it runs. It
// never fails for bad parameters: the metalogger is found through
// metalogger_path, or DATA_PATH/metalogger.
func (a *Agent) stopMetalogger(ctx context.Context, r *ocf.Request, host *mfs.Host, dataPath string) error {
	path := r.Env.ParamOr("metalogger_path", "")
	if path == "" && dataPath != "" {
		path = filepath.Join(dataPath, "metalogger")
	}
	if path == "" {
		return nil
	}
	ml := &mfs.Metalogger{Host: host, DataPath: path, Name: a.MetaloggerName}
	p, err := ml.Holder()
	if err != nil {
		r.Log.Warnf("%v: leaving it alone", err)
		return nil
	}
	if p == nil {
		return nil
	}
	// A metalogger has nothing to store: SIGTERM and its exit are quick,
	// and a kill loses no change the master still has.
	if _, err := host.Terminate(ctx, p, 2*time.Second, r.Log); err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "stop mfsmetalogger: %w", err)
	}
	r.Log.Infof("mfsmetalogger stopped")
	return nil
}

// startUnpromoted is start in a promotable clone: the metalogger, never
// the master. The master's own files stay where they are until a master
// answers at master_host (see followMaster).
func (a *Agent) startUnpromoted(ctx context.Context, r *ocf.Request) error {
	pi, err := a.pinstance(r)
	if err != nil {
		return err
	}
	st, err := pi.m.State()
	if err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "read mfsmaster state: %w", err)
	}
	if st.Running() {
		// Left running by a previous life of the resource: the monitor
		// reports it promoted, and Pacemaker decides.
		r.Log.Warnf("mfsmaster already runs here (pid %d): not starting a metalogger next to it", st.PID)
		return nil
	}
	if err := a.startMetalogger(ctx, r, pi); err != nil {
		return err
	}
	a.followMaster(ctx, r, pi)
	return nil
}

// followMaster asks the master at master_host for its metadata version.
// When it answers, this node follows it: the master files of its own
// DATA_PATH belong to a history the cluster left (a node returning after a
// takeover) and are set aside, so that a later promotion never mixes them
// with the new master's. Outcomes: the master's version and true; false
// when no master answers or it does not tell its version.
func (a *Agent) followMaster(ctx context.Context, r *ocf.Request, pi *pinstance) (uint64, bool) {
	pctx, cancel := context.WithTimeout(ctx, pi.p.ProbeTimeout)
	defer cancel()
	info, err := mfs.Probe(pctx, mfs.Endpoint{Host: pi.mp.masterHost, Port: pi.cfg.Matocl.Port})
	if err != nil || !info.HasMetaVersion {
		return 0, false
	}
	if has, _ := mfs.HasMetadataFiles(pi.cfg.DataPath); has {
		folder, err := mfs.SetAside(pi.cfg.DataPath, time.Now())
		if err != nil {
			r.Log.Warnf("set aside the old metadata of DATA_PATH %s: %v", pi.cfg.DataPath, err)
		} else {
			r.Log.Warnf("a master runs at %s (version %d): this node's own metadata files, from before, were moved to %s",
				pi.mp.masterHost, info.MetaVersion, folder)
		}
	}
	return info.MetaVersion, true
}

// score is the promotion score of a metalogger that holds held while the
// master is at master (see the score constants).
func score(held, master, maxLag uint64) int {
	lag := uint64(0)
	if master > held {
		lag = master - held
	}
	if lag > maxLag {
		return scoreLagging
	}
	if maxLag == 0 {
		return scoreMax
	}
	return scoreMax - int(lag*uint64(scoreMax-scoreFreshMin)/maxLag)
}

// monitorPromotable is monitor in a promotable clone: 8 for a healthy
// master, 0 for a running metalogger (after updating the score), 7 when
// neither runs, 1 for a master that runs but does not serve.
func (a *Agent) monitorPromotable(ctx context.Context, r *ocf.Request) error {
	pi, err := a.pinstance(r)
	if err != nil {
		if r.Probe || ocf.CodeOf(err) == ocf.ErrInstalled {
			// A probe on a node without MooseFS or its configuration
			// finds nothing running, which is what it asks.
			return ocf.Errorf(ocf.NotRunning, "not running (%w)", err)
		}
		return err
	}
	st, err := pi.m.State()
	if err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "read mfsmaster state: %w", err)
	}
	if st.Running() {
		if err := a.monitor(ctx, r, pi.instance); err != nil {
			return ocf.Errorf(ocf.FailedPromoted, "%w", err)
		}
		return ocf.Errorf(ocf.RunningPromoted, "promoted")
	}
	p, err := pi.ml.Holder()
	if err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "%w", err)
	}
	if p == nil {
		return ocf.Errorf(ocf.NotRunning, "neither mfsmaster nor mfsmetalogger runs")
	}
	if p.Stopped() {
		return ocf.Errorf(ocf.ErrGeneric, "mfsmetalogger (pid %d) is stopped (SIGSTOP) and receives no change", p.PID)
	}
	if err := a.updateScore(ctx, r, pi); err != nil {
		// The metalogger runs: a score not written is reported, and
		// retried by the next monitor.
		r.Log.Warnf("%v", err)
	}
	return nil
}

// updateScore sets this node's promotion score from the version its
// metalogger holds, compared with the master's. Without a master to
// compare with it keeps the score set while there was one: the metaloggers
// stopped receiving when the master went, so that score still ranks them.
// A node that never had one gets scoreOwn only if its own DATA_PATH holds
// metadata at least as new as its metalogger's (it ran the last master and
// never followed another), and no score otherwise: a copy whose freshness
// nothing vouches for is never promoted.
func (a *Agent) updateScore(ctx context.Context, r *ocf.Request, pi *pinstance) error {
	held, err := mfs.ReadHeld(pi.mp.path, mfs.MetaloggerFiles)
	if err != nil {
		return fmt.Errorf("read the metalogger's files: %w", err)
	}
	if master, ok := a.followMaster(ctx, r, pi); ok {
		want := score(held.Next, master, pi.mp.maxLag)
		if held.Next == 0 {
			want = scoreLagging
		}
		if want == scoreLagging {
			r.Log.Warnf("metalogger holds version %d, master %d: more than max_lag=%d behind", held.Next, master, pi.mp.maxLag)
		}
		_, err := pi.scorer.Set(ctx, want)
		return err
	}
	_, set, err := pi.scorer.Get(ctx)
	if err != nil || set {
		return err
	}
	own, err := mfs.ReadHeld(pi.cfg.DataPath, mfs.MasterFiles)
	if err != nil {
		return fmt.Errorf("read DATA_PATH: %w", err)
	}
	if own.Next > 0 && own.Next >= held.Next {
		_, err = pi.scorer.Set(ctx, scoreOwn)
	}
	return err
}

// promotableState is what promote and demote start from: the instance and
// its master's state. The plain primitive has neither action: 3, which
// ocf-tester expects from a resource that is not promotable.
func (a *Agent) promotableState(r *ocf.Request) (*pinstance, mfs.State, error) {
	if !promotable(r.Env) {
		return nil, mfs.State{}, ocf.Errorf(ocf.ErrUnimplemented, "%s: ocf:mfs:master is promotable only in a promotable clone", r.Action)
	}
	pi, err := a.pinstance(r)
	if err != nil {
		return nil, mfs.State{}, err
	}
	st, err := pi.m.State()
	if err != nil {
		return nil, st, ocf.Errorf(ocf.ErrGeneric, "read mfsmaster state: %w", err)
	}
	return pi, st, nil
}

// Promote implements ocf.Promoter: stop the metalogger, rebuild the
// metadata in DATA_PATH from the freshest copy this node holds and start
// the master with -a; it returns once the master answers clients.
func (a *Agent) Promote(ctx context.Context, r *ocf.Request) error {
	pi, st, err := a.promotableState(r)
	if err != nil {
		return err
	}
	if st.Running() {
		return a.monitor(ctx, r, pi.instance)
	}
	if st.Process != nil {
		return ocf.Errorf(ocf.ErrGeneric, "%s is locked by pid %d (%s), not an mfsmaster; not starting", pi.cfg.LockPath(), st.PID, st.Process.Comm)
	}
	if err := a.stopMetalogger(ctx, r, pi.host, pi.cfg.DataPath); err != nil {
		return err
	}
	fromML, err := a.rebuild(r, pi)
	if err != nil {
		return err
	}
	if err := a.remember(r.Env, pi.cfg.DataPath); err != nil {
		r.Log.Warnf("cannot remember DATA_PATH for a stop without configuration: %v", err)
	}
	v, err := pi.m.Version(ctx)
	if err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "cannot tell the MooseFS version: %w", err)
	}
	if !v.AtLeast(1, 7, 0) {
		return ocf.Errorf(ocf.ErrInstalled, "MooseFS %s has no mfsmaster -a, which the promotable mode needs", v)
	}
	recover := true
	if fromML && mfs.HasRestore(v) {
		// Rebuilt into a metadata.mfs of the master's own, which it
		// serves to the other nodes' metaloggers from its start.
		if err := pi.m.Restore(ctx); err != nil {
			return ocf.Errorf(ocf.ErrGeneric, "rebuild the metadata from the metalogger's files: %w", err)
		}
		if _, err := mfs.SetAside(pi.cfg.DataPath, time.Now(), "metadata.mfs"); err != nil {
			return ocf.Errorf(ocf.ErrGeneric, "set aside the metalogger's files after the rebuild: %w", err)
		}
		recover = false
	}
	if err := pi.m.Start(ctx, v, recover); err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "%w", err)
	}
	if err := a.waitServing(ctx, pi.instance); err != nil {
		return err
	}
	if _, err := pi.scorer.Set(ctx, scoreMax); err != nil {
		r.Log.Warnf("%v", err)
	}
	r.Log.Infof("promoted: mfsmaster %s serves from the rebuilt metadata", v)
	return nil
}

// rebuild puts into DATA_PATH what `mfsmaster -a` must start from: the
// metalogger's files, unless the master's own are newer (this node ran the
// last master and no other master answered since: a kill -9 restarted in
// place, or a cold start). The master's old files are set aside first, so
// that one history only is ever in DATA_PATH. It reports whether the
// metalogger's files were copied.
func (a *Agent) rebuild(r *ocf.Request, pi *pinstance) (bool, error) {
	own, err := mfs.ReadHeld(pi.cfg.DataPath, mfs.MasterFiles)
	if err != nil {
		r.Log.Warnf("DATA_PATH's own metadata is unusable (%v): rebuilding from the metalogger's", err)
		own = mfs.Held{}
	}
	held, err := mfs.ReadHeld(pi.mp.path, mfs.MetaloggerFiles)
	if err != nil {
		return false, ocf.Errorf(ocf.ErrGeneric, "read the metalogger's files: %w", err)
	}
	if own.Next > 0 && own.Next >= held.Next {
		r.Log.Infof("DATA_PATH holds version %d (%s), the metalogger %d: starting from DATA_PATH", own.Next, own.From, held.Next)
		return false, nil
	}
	if held.Next == 0 {
		return false, ocf.Errorf(ocf.ErrGeneric, "no metadata to promote from: the metalogger in %s has received none, and DATA_PATH %s has none", pi.mp.path, pi.cfg.DataPath)
	}
	folder, err := mfs.SetAside(pi.cfg.DataPath, time.Now())
	if err != nil {
		return false, ocf.Errorf(ocf.ErrGeneric, "set aside DATA_PATH's old metadata: %w", err)
	}
	if folder != "" {
		r.Log.Warnf("DATA_PATH's own metadata (version %d) is older than the metalogger's (%d): moved to %s", own.Next, held.Next, folder)
	}
	uid, gid, _ := mfs.WorkingIDs(pi.cfg)
	names, err := mfs.CopyMetadata(pi.mp.path, pi.cfg.DataPath, uid, gid, nil)
	if err != nil {
		return false, ocf.Errorf(ocf.ErrGeneric, "copy the metalogger's files to DATA_PATH: %w", err)
	}
	r.Log.Infof("rebuilding version %d from the metalogger's %s", held.Next, strings.Join(names, ", "))
	return true, nil
}

// waitServing returns once the master answers on its client port, or
// fails when it exits or ctx ends first.
func (a *Agent) waitServing(ctx context.Context, in *instance) error {
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, perr := mfs.Probe(pctx, in.cfg.Matocl)
		cancel()
		if perr == nil {
			return nil
		}
		if st, _ := in.m.State(); !st.Running() {
			return ocf.Errorf(ocf.ErrGeneric, "mfsmaster exited after it started; see the system log")
		}
		select {
		case <-ctx.Done():
			return ocf.Errorf(ocf.ErrGeneric, "mfsmaster did not answer on port %d before the promote timeout: %w", in.cfg.Matocl.Port, perr)
		case <-time.After(a.Poll):
		}
	}
}

// Demote implements ocf.Promoter: the master stores its metadata and
// stops, the stored metadata seeds the metalogger, which starts and
// follows the next master.
func (a *Agent) Demote(ctx context.Context, r *ocf.Request) error {
	pi, st, err := a.promotableState(r)
	if err != nil {
		return err
	}
	if st.Running() {
		if err := a.Stop(ctx, r); err != nil {
			return err
		}
		if _, err := os.Stat(filepath.Join(pi.cfg.DataPath, "metadata.mfs")); err == nil {
			// A clean stop stored every change: the metalogger starts
			// from it rather than from an older download.
			if err := a.seedMetalogger(r, pi); err != nil {
				r.Log.Warnf("%v: the metalogger downloads the metadata from the next master instead", err)
			}
		}
	}
	return a.startMetalogger(ctx, r, pi)
}

func (a *Agent) seedMetalogger(r *ocf.Request, pi *pinstance) error {
	if err := os.MkdirAll(pi.mp.path, 0o750); err != nil {
		return err
	}
	folder, err := mfs.SetAside(pi.mp.path, time.Now())
	if err != nil {
		return fmt.Errorf("set aside the metalogger's old files: %w", err)
	}
	if folder != "" {
		r.Log.Infof("the metalogger's files from before this node's promotion were moved to %s", folder)
	}
	uid, gid, _ := mfs.WorkingIDs(pi.cfg)
	if _, err := mfs.CopyMetadata(pi.cfg.DataPath, pi.mp.path, uid, gid, mfs.MetaloggerName); err != nil {
		return fmt.Errorf("seed the metalogger: %w", err)
	}
	return nil
}
