package splitbrain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/logging"

	"github.com/ocf-mfs/ocf-mfs/internal/crm"
	"github.com/ocf-mfs/ocf-mfs/internal/drbdadm"
	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
	"github.com/ocf-mfs/ocf-mfs/internal/splitbrain/marker"
)

// Resolver is the recovery of one node of a split-brain resource, as
// `drbd-splitbrain resolve` runs it: lock, gather the facts, decide, back up,
// commit, run the peer's side, verify, clear the marker. The command line
// only turns flags into a Request and an outcome into an exit status.
type Resolver struct {
	Runner runner.Runner // runs the peer's side over ssh
	Drbd   *drbdadm.Client
	CRM    *crm.Client
	// ReadState reads every device: /proc/drbd on DRBD 8, drbdsetup events2
	// (with --statistics) on DRBD 9, whose /proc/drbd lists none.
	ReadState func(ctx context.Context) (*drbdproc.Status, error)
	// ParseGIs reads `drbdadm get-gi`, one line per volume; nil: GI not
	// shown.
	ParseGIs func(text string) ([]*drbdproc.GI, error)
	Hostname func() (string, error)
	Root     string // "/" on a real system: where /proc and /sys are
	LockDir  string // LockDir on a real system
	Log      *logging.Logger
	Now      func() time.Time
	Interval time.Duration // verify poll interval; 1 s when zero
	Markers  *marker.Store // cleared once recovery is verified; nil: none
	// CommandTimeout bounds each drbdadm, cibadmin and crm_resource command
	// on its own; DefaultCommandTimeout when zero. The ssh to the peer has
	// its own bound: the verify timeout plus one CommandTimeout.
	CommandTimeout time.Duration
	// Statfs returns the free bytes of the backup directory; statfs(2)
	// when nil.
	Statfs func(dir string) (uint64, error)
}

// Request is one resolve as the operator asked for it.
type Request struct {
	Resource string
	// DiscardLocal and KeepLocal are the operator's choice of this node's
	// role; neither means decide automatically, both is refused.
	DiscardLocal, KeepLocal bool
	Force                   bool          // see Options
	DryRun                  bool          // stop after printing the plan
	BackupDir               string        // "" for no backup of the victim's disk
	Peer                    string        // host to run the other side on, "" for none
	Timeout                 time.Duration // how long verify waits
	// Confirm is asked once the plan is printed, unless DryRun; a non-nil
	// error (a *Refusal) stops before anything changes.
	Confirm func(p *Plan) error
	// Out receives the plan and what runs, for the operator.
	Out io.Writer
	// Progress, when non-nil, receives the verify progress line (a terminal).
	Progress io.Writer
}

// errLogged marks a failure already on record (the executor logs a failed
// step itself), so that Resolve does not log it twice.
type errLogged struct{ error }

func (e errLogged) Unwrap() error { return e.error }

// Resolve runs the whole recovery. Every outcome is logged once.
//
// Outcomes:
//   - nil: recovered and verified, or a dry run that printed the plan;
//   - a *Refusal: nothing changed (contradicting choices, another resolve
//     holds the lock, the planner refused, not confirmed);
//   - an error wrapping ErrNotVerified: the commands ran, but the resource
//     was not Connected UpToDate/UpToDate within the timeout;
//   - any other error: something failed, a command among them that did not
//     end within CommandTimeout; the output says what ran.
func (r *Resolver) Resolve(ctx context.Context, q Request) error {
	err := r.withDeadlines().resolve(ctx, q)
	var refusal *Refusal
	var logged errLogged
	switch {
	case err == nil, errors.Is(err, ErrNotVerified):
	case errors.As(err, &refusal):
		r.Log.Warnf("resolve refused: %s", refusal.Reason)
	case errors.As(err, &logged):
	default:
		r.Log.Errorf("resolve: %v", err)
	}
	return err
}

func (r *Resolver) resolve(ctx context.Context, q Request) error {
	w, res := q.Out, q.Resource
	opts := Options{Force: q.Force}
	switch {
	case q.DiscardLocal && q.KeepLocal:
		return &Refusal{Reason: "--discard-local and --keep-local contradict each other"}
	case q.DiscardLocal:
		opts.Choice = DiscardLocal
	case q.KeepLocal:
		opts.Choice = KeepLocal
	}
	if err := drbdadm.CheckResourceName(res); err != nil {
		return &Refusal{Reason: err.Error()}
	}
	if q.Peer != "" {
		if err := CheckHost(q.Peer); err != nil {
			return &Refusal{Reason: "--peer: " + err.Error()}
		}
	}
	lock, err := TryLock(LockPath(r.LockDir, res))
	if errors.Is(err, ErrLocked) {
		return &Refusal{Reason: fmt.Sprintf("another drbd-splitbrain resolve is running: %v", err)}
	}
	if err != nil {
		return err
	}
	defer lock.Release()

	// Plan.
	fmt.Fprintf(w, "== plan ==\n")
	facts, err := r.Gather(ctx, res)
	if err != nil {
		return err
	}
	fmt.Fprint(w, facts.Describe())
	plan, refusal := Decide(facts, opts)
	if refusal != nil {
		return refusal
	}
	plan.Render(w, q.Peer, q.Timeout)
	r.Log.Infof("resolve %s: plan: %s (%s): %s", res, plan.Role, plan.Reason, plan.commandList())
	if q.DryRun {
		fmt.Fprintln(w, "dry run: nothing changed")
		return nil
	}
	if q.Confirm != nil {
		if err := q.Confirm(plan); err != nil {
			return err
		}
	}

	// Commit.
	fmt.Fprintf(w, "== commit ==\n")
	if plan.Role == Victim && q.BackupDir != "" {
		if err := r.backup(ctx, q, facts); err != nil {
			return err
		}
	}
	minors := make([]int, len(facts.Volumes))
	for i, v := range facts.Volumes {
		minors[i] = v.Minor
	}
	ex := &Executor{Drbd: r.Drbd, Log: r.Log, Interval: r.Interval,
		State: func(ctx context.Context) ([]drbdproc.Device, error) { return r.volumes(ctx, res, minors) }}
	for _, cmd := range plan.Commands {
		fmt.Fprintf(w, "  %s\n", cmd)
	}
	if err := ex.Commit(ctx, plan); err != nil {
		return errLogged{err}
	}
	if len(plan.Commands) == 0 {
		fmt.Fprintln(w, "  nothing to run: already waiting for the peer")
	}
	if q.Peer != "" {
		r.runPeer(ctx, q, plan)
	}

	// Verify.
	fmt.Fprintf(w, "== verify ==\n")
	ex.Progress = q.Progress
	vctx, cancel := context.WithTimeout(ctx, q.Timeout)
	defer cancel()
	dev, err := ex.Verify(vctx, res)
	if err != nil {
		if q.Peer == "" {
			fmt.Fprintf(w, "on the peer, run: %s\n", strings.Join(plan.PeerArgs, " "))
		}
		return fmt.Errorf("committed but not verified within %s: %w", q.Timeout, err)
	}
	if r.Markers != nil {
		if err := r.Markers.Clear(res); err != nil {
			r.Log.Warnf("resolve %s: recovered, but the split-brain marker stays: %v", res, err)
		}
	}
	r.Log.Infof("resolve %s: recovered: cs:%s ro:%s/%s ds:%s/%s", res, dev.CState, dev.Role, dev.PeerRole, dev.Disk, dev.PeerDisk)
	fmt.Fprintf(w, "recovered: cs:%s ro:%s/%s ds:%s/%s\n", dev.CState, dev.Role, dev.PeerRole, dev.Disk, dev.PeerDisk)
	// Without fencing, Pacemaker can miss what the cut-off node started as
	// the partitions merged (the lab once kept a VIP up on both nodes).
	fmt.Fprintf(w, "next: crm resource refresh (Pacemaker re-probes every node and stops anything left running twice by the partition), then crm_mon -1r\n")
	return nil
}

// backup saves the backing device of every volume before anything is
// discarded: `drbdadm connect --discard-my-data` discards them all.
func (r *Resolver) backup(ctx context.Context, q Request, facts Facts) error {
	w, res := q.Out, q.Resource
	lower, err := r.Drbd.LowerDevices(ctx, res)
	if err != nil {
		return fmt.Errorf("backup: %w (nothing changed)", err)
	}
	if len(lower) != len(facts.Volumes) {
		return fmt.Errorf("backup: drbdadm names %d backing devices for the %d volumes of %s (nothing changed)", len(lower), len(facts.Volumes), res)
	}
	imgs := make([]Image, len(lower))
	gis := facts.gis()
	for i, l := range lower {
		m := Manifest{Resource: res, Node: facts.Node, Volume: facts.Volumes[i].Volume, Device: facts.Volumes[i]}
		if gis != nil {
			m.GI = gis[i]
		}
		imgs[i] = Image{Src: filepath.Join(r.Root, l), Manifest: m}
	}
	fmt.Fprintf(w, "backing up %s to %s ...\n", strings.Join(lower, ", "), q.BackupDir)
	b := Backuper{Runner: r.Drbd.Runner, Statfs: r.Statfs, Now: r.Now}
	paths, err := b.BackupAll(ctx, q.BackupDir, imgs)
	if err != nil {
		return fmt.Errorf("%w (nothing changed)", err)
	}
	for i, img := range paths {
		fmt.Fprintf(w, "backup: %s (+ .sha256, .json)\n", img)
		r.Log.Infof("resolve %s: backup of %s saved as %s", res, lower[i], img)
	}
	return nil
}

// runPeer runs the other side over ssh. Its failure is reported, not
// fatal: verify still tells whether the resource recovered.
func (r *Resolver) runPeer(ctx context.Context, q Request, plan *Plan) {
	w, res, peer := q.Out, q.Resource, q.Peer
	argv := plan.peerArgv(peer, q.Timeout)
	fmt.Fprintf(w, "peer: %s\n", strings.Join(argv, " "))
	r.Log.Infof("resolve %s: running the %s side on %s", res, plan.Role.other(), peer)
	// The peer waits up to q.Timeout for its verify, after commands that
	// each end within a command timeout of their own.
	margin := r.CommandTimeout
	if margin <= 0 {
		margin = DefaultCommandTimeout
	}
	pctx, cancel := context.WithTimeout(ctx, q.Timeout+margin)
	out, err := r.Runner.Run(pctx, argv[0], argv[1:]...)
	cancel()
	for _, l := range strings.Split(strings.TrimRight(out.Stdout+out.Stderr, "\n"), "\n") {
		if l != "" {
			fmt.Fprintf(w, "  %s: %s\n", peer, l)
		}
	}
	if err != nil || out.ExitCode != 0 {
		r.Log.Warnf("resolve %s: peer %s: exit %d %v", res, peer, out.ExitCode, err)
		fmt.Fprintf(w, "peer side failed (exit %d); waiting anyway\n", out.ExitCode)
	}
}

func (role Role) other() Role {
	if role == Victim {
		return Survivor
	}
	return Victim
}

// peerArgv is the ssh command running the peer's side. "--" ends ssh's
// options before the host, and every remote word is quoted, because ssh
// hands them, joined, to the peer's shell (host and resource are checked
// as well: quoting is the second line of defence).
func (p *Plan) peerArgv(host string, timeout time.Duration) []string {
	argv := []string{"ssh", "-o", "BatchMode=yes", "--", host}
	args := p.PeerArgs
	// Keep the resource last; pass our timeout so both sides give up together.
	words := append(append([]string{}, args[:len(args)-1]...), "--timeout", timeout.String(), args[len(args)-1])
	for _, w := range words {
		argv = append(argv, shellQuote(w))
	}
	return argv
}

func (p *Plan) commandList() string {
	if len(p.Commands) == 0 {
		return "no command, wait only"
	}
	var s []string
	for _, c := range p.Commands {
		s = append(s, c.String())
	}
	return strings.Join(s, "; ")
}

// Render prints the plan for an operator: the role and why, the commands,
// the warnings, what the peer runs (on peer, when given) and the wait.
func (p *Plan) Render(w io.Writer, peer string, timeout time.Duration) {
	fmt.Fprintf(w, "role: %s (%s)\n", p.Role, p.Reason)
	if len(p.Commands) == 0 {
		fmt.Fprintln(w, "commands: none, the resource already waits for the peer (WFConnection)")
	} else {
		fmt.Fprintln(w, "commands:")
		for _, c := range p.Commands {
			note := ""
			if len(c.OKCodes) > 0 {
				note = fmt.Sprintf("   (exit %v expected on StandAlone)", c.OKCodes)
			}
			fmt.Fprintf(w, "  %s%s\n", c, note)
		}
	}
	for _, warn := range p.Warnings {
		fmt.Fprintf(w, "WARNING: %s\n", warn)
	}
	if peer != "" {
		fmt.Fprintf(w, "then on %s: %s\n", peer, strings.Join(p.peerArgv(peer, timeout), " "))
	} else {
		fmt.Fprintf(w, "then on the peer: %s\n", strings.Join(p.PeerArgs, " "))
	}
	fmt.Fprintf(w, "then wait up to %s for Connected UpToDate/UpToDate\n", timeout)
}

// Gather reads every fact the planner needs. Only the device state is
// essential; generation identifiers and Pacemaker's view degrade to
// "unknown", which makes the planner refuse to guess.
//
// Outcomes: the facts; an error when the host name, the minors, the
// device state or the device usage cannot be read, or when the state
// names a minor of the resource as another resource's.
func (r *Resolver) Gather(ctx context.Context, res string) (Facts, error) {
	f := Facts{Resource: res}
	node, err := r.Hostname()
	if err != nil {
		return f, fmt.Errorf("hostname: %w", err)
	}
	f.Node = node
	minors, err := r.Drbd.Minors(ctx, res)
	if err != nil {
		return f, err
	}
	vols, err := r.volumes(ctx, res, minors)
	if err != nil {
		return f, err
	}
	f.Volumes, f.Device = vols, vols[0]
	if r.ParseGIs != nil && vols[0].Configured() {
		if text, err := r.Drbd.GIText(ctx, res); err == nil {
			if gis, err := r.ParseGIs(text); err == nil && len(gis) == len(vols) {
				f.GIs, f.GI = gis, gis[0]
			} else if err == nil {
				r.Log.Warnf("resolve %s: drbdadm get-gi printed %d generation identifiers for %d volumes: not used", res, len(gis), len(vols))
			} else {
				r.Log.Warnf("resolve %s: generation identifiers: %v", res, err)
			}
		} else {
			r.Log.Warnf("resolve %s: drbdadm get-gi: %v", res, err)
		}
	}
	for _, m := range minors {
		u, err := ProbeUsage(r.Root, m)
		if err != nil {
			return f, fmt.Errorf("device usage: %w", err)
		}
		f.Usage.Mounts = append(f.Usage.Mounts, u.Mounts...)
		f.Usage.Holders = append(f.Usage.Holders, u.Holders...)
		f.Usage.PIDs = append(f.Usage.PIDs, u.PIDs...)
	}
	p, err := r.CRM.FindPromotable(ctx, res)
	switch {
	case errors.Is(err, crm.ErrNoCluster):
		r.Log.Infof("resolve %s: no Pacemaker cluster", res)
	case err != nil:
		r.Log.Warnf("resolve %s: Pacemaker: %v", res, err)
	default:
		f.Cluster.Present = true
		if p != nil {
			f.Cluster.Resource = p.ID
			promoted, err := r.CRM.PromotedNodes(ctx, p.ID)
			if err != nil {
				r.Log.Warnf("resolve %s: where is %s promoted: %v", res, p.ID, err)
				f.Cluster.Present = false
			}
			f.Cluster.PromotedOn = promoted
			if len(promoted) == 1 {
				f.Cluster.Promoted = promoted[0]
			}
		}
	}
	return f, nil
}

// volumes reads the state of every minor of res. A minor the state does not
// list is Unconfigured (the resource is down); DRBD 9 names each device's
// resource, and a minor that belongs to another one means drbd.conf and
// the kernel disagree.
func (r *Resolver) volumes(ctx context.Context, res string, minors []int) ([]drbdproc.Device, error) {
	st, err := r.ReadState(ctx)
	if err != nil {
		return nil, fmt.Errorf("state of %s: %w", res, err)
	}
	out := make([]drbdproc.Device, len(minors))
	for i, m := range minors {
		d, ok := st.Device(m)
		switch {
		case !ok:
			d = drbdproc.Device{Minor: m, Resource: res, Volume: i, CState: "Unconfigured"}
		case d.Resource != "" && d.Resource != res:
			return nil, fmt.Errorf("state of %s: minor %d belongs to resource %s", res, m, d.Resource)
		case d.Resource == "":
			// /proc/drbd knows neither names nor volume numbers; drbdadm
			// lists the volumes in order.
			d.Resource, d.Volume = res, i
		}
		out[i] = d
	}
	return out, nil
}
