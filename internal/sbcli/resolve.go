package sbcli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/ocf-mfs/ocf-mfs/internal/crm"
	"github.com/ocf-mfs/ocf-mfs/internal/drbd"
	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
	"github.com/ocf-mfs/ocf-mfs/internal/splitbrain"
	"github.com/ocf-mfs/ocf-mfs/internal/splitbrain/marker"
)

// Exit statuses of resolve.
const (
	ExitRecovered   = 0 // recovered and verified
	ExitError       = 1 // something failed; the output says what ran
	ExitRefused     = 2 // refused: nothing changed
	ExitNotVerified = 3 // commands ran, but not Connected UpToDate/UpToDate in time
)

// ResolveDeps is what resolve needs from the system; tests replace it all.
type ResolveDeps struct {
	Runner     runner.Runner
	Drbd       *drbd.Client
	CRM        *crm.Client
	ReadDevice func(ctx context.Context, minor int) (drbdproc.Device, error) // /proc/drbd
	ParseGI    func(text string) (*drbdproc.GI, error)                       // nil: GI not shown
	Hostname   func() (string, error)
	Root       string // "/" on a real system: where /proc and /sys are
	LockDir    string // splitbrain.LockDir on a real system
	Stdin      *os.File
	Stdout     *os.File // for the terminal check of the progress display
	Log        *ocf.Logger
	Now        func() time.Time
	Interval   time.Duration // verify poll interval; 1 s when zero
	Markers    *marker.Store // cleared once recovery is verified; nil: none
}

// ResolveCommand is `drbd-splitbrain resolve RESOURCE`. Options may come
// before or after RESOURCE (`resolve r0 --discard-local --yes`), as
// operators type them during an incident; urfave/cli stops at the first
// argument, so the outer command only reorders and hands over to the real
// one.
func ResolveCommand(d ResolveDeps) *cli.Command {
	inner := resolveCommand(d)
	outer := *inner
	outer.SkipFlagParsing = true
	outer.Action = func(c *cli.Context) error {
		app := &cli.App{Name: c.App.Name, Writer: c.App.Writer, ErrWriter: c.App.ErrWriter,
			Commands: []*cli.Command{inner}, ExitErrHandler: func(*cli.Context, error) {}}
		argv := append([]string{c.App.Name, inner.Name}, Interspersed(c.Args().Slice(), inner.Flags)...)
		return app.RunContext(c.Context, argv)
	}
	return &outer
}

// Interspersed moves the options in args before the positional arguments,
// keeping each option's value with it, so that flags may follow them. An
// argument "--" ends the options.
func Interspersed(args []string, flags []cli.Flag) []string {
	takesValue := map[string]bool{}
	for _, f := range flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			takesValue[n] = !isBool
		}
	}
	var opts, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			opts = append(opts, a)
			name := strings.TrimLeft(a, "-")
			if takesValue[name] && !strings.Contains(name, "=") && i+1 < len(args) {
				opts = append(opts, args[i+1])
				i++
			}
		default:
			pos = append(pos, a)
		}
	}
	if len(pos) > 0 {
		opts = append(opts, "--")
	}
	return append(opts, pos...)
}

func resolveCommand(d ResolveDeps) *cli.Command {
	return &cli.Command{
		Name:      "resolve",
		Usage:     "recover from a DRBD split brain: plan, commit, verify",
		ArgsUsage: "RESOURCE",
		Description: `Reads the state (roles, connection, disks, generation identifiers, whether
the device is open or mounted, where Pacemaker promotes the resource), decides
this node's role, prints the exact commands, runs them after confirmation,
and waits until the resource is Connected and UpToDate/UpToDate.

The victim runs: drbdadm disconnect (exit 10 on StandAlone is expected),
drbdadm secondary (when Primary), drbdadm connect --discard-my-data.
The survivor runs drbdadm connect (nothing when already WFConnection).

Exit status: 0 recovered and verified, 1 error, 2 refused (nothing changed),
3 committed but not verified before --timeout.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "discard-local", Usage: "this node is the victim: its changes since the split are discarded"},
			&cli.BoolFlag{Name: "keep-local", Usage: "this node is the survivor: its data is kept"},
			&cli.BoolFlag{Name: "force", Usage: "discard even on a node whose device is in use or that Pacemaker promotes (says what will be lost)"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation (required without a terminal)"},
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "stop after printing the plan"},
			&cli.StringFlag{Name: "backup-dir", Usage: "before discarding, save a sparse, sha256-checksummed image of the victim's backing device in `DIR`"},
			&cli.DurationFlag{Name: "timeout", Value: 10 * time.Minute, Usage: "how long to wait for Connected UpToDate/UpToDate"},
			&cli.StringFlag{Name: "peer", Usage: "also run the other side on `HOST` over ssh (BatchMode)"},
		},
		Action: func(c *cli.Context) error { return runResolve(c, d) },
	}
}

func refused(log *ocf.Logger, format string, a ...any) error {
	msg := fmt.Sprintf(format, a...)
	log.Warnf("resolve refused: %s", msg)
	return cli.Exit("refused (nothing changed): "+msg, ExitRefused)
}

func failed(log *ocf.Logger, format string, a ...any) error {
	msg := fmt.Sprintf(format, a...)
	log.Errorf("resolve: %s", msg)
	return cli.Exit("error: "+msg, ExitError)
}

// isTerminal reports whether f is a terminal: a character device (cheap
// check) that also answers the TCGETS ioctl, so that /dev/null, also a
// character device, does not count as an operator to ask.
func isTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	return errno == 0
}

func runResolve(c *cli.Context, d ResolveDeps) error {
	w := c.App.Writer
	log := d.Log
	if c.NArg() != 1 {
		return cli.Exit("usage: drbd-splitbrain resolve [options] RESOURCE", ExitError)
	}
	res := c.Args().First()
	opts := splitbrain.Options{Force: c.Bool("force")}
	switch {
	case c.Bool("discard-local") && c.Bool("keep-local"):
		return refused(log, "--discard-local and --keep-local contradict each other")
	case c.Bool("discard-local"):
		opts.Choice = splitbrain.DiscardLocal
	case c.Bool("keep-local"):
		opts.Choice = splitbrain.KeepLocal
	}
	timeout := c.Duration("timeout")
	ctx := c.Context

	lock, err := splitbrain.TryLock(splitbrain.LockPath(d.LockDir, res))
	if errors.Is(err, splitbrain.ErrLocked) {
		return refused(log, "another drbd-splitbrain resolve is running: %v", err)
	}
	if err != nil {
		return failed(log, "%v", err)
	}
	defer lock.Release()

	// Plan.
	fmt.Fprintf(w, "== plan ==\n")
	facts, err := gather(ctx, d, res)
	if err != nil {
		return failed(log, "%v", err)
	}
	fmt.Fprint(w, facts.Describe())
	plan, refusal := splitbrain.Decide(facts, opts)
	if refusal != nil {
		return refused(log, "%s", refusal.Reason)
	}
	printPlan(w, plan, c.String("peer"), timeout)
	log.Infof("resolve %s: plan: %s (%s): %s", res, plan.Role, plan.Reason, commandList(plan))
	if c.Bool("dry-run") {
		fmt.Fprintln(w, "dry run: nothing changed")
		return nil
	}
	if !c.Bool("yes") {
		if !isTerminal(d.Stdin) {
			return refused(log, "no terminal to confirm on; run with --yes to proceed without confirmation")
		}
		fmt.Fprintf(w, "Proceed as the %s of %s on %s? Type yes: ", plan.Role, res, facts.Node)
		answer, _ := bufio.NewReader(d.Stdin).ReadString('\n')
		if strings.TrimSpace(answer) != "yes" {
			return refused(log, "not confirmed")
		}
	}

	// Commit.
	fmt.Fprintf(w, "== commit ==\n")
	if plan.Role == splitbrain.Victim && c.String("backup-dir") != "" {
		lower, err := d.Drbd.LowerDevice(ctx, res)
		if err != nil {
			return failed(log, "backup: %v (nothing changed)", err)
		}
		fmt.Fprintf(w, "backing up %s to %s ...\n", lower, c.String("backup-dir"))
		img, err := splitbrain.Backup(filepath.Join(d.Root, lower), c.String("backup-dir"),
			splitbrain.Manifest{Resource: res, Node: facts.Node, Device: facts.Device, GI: facts.GI}, d.Now)
		if err != nil {
			return failed(log, "%v (nothing changed)", err)
		}
		fmt.Fprintf(w, "backup: %s (+ .sha256, .json)\n", img)
		log.Infof("resolve %s: backup of %s saved as %s", res, lower, img)
	}
	ex := &splitbrain.Executor{Drbd: d.Drbd, Log: log, Interval: d.Interval,
		State: func(ctx context.Context) (drbdproc.Device, error) { return d.ReadDevice(ctx, facts.Device.Minor) }}
	for _, cmd := range plan.Commands {
		fmt.Fprintf(w, "  %s\n", cmd)
	}
	if err := ex.Commit(ctx, plan); err != nil {
		return failed(log, "%v", err)
	}
	if len(plan.Commands) == 0 {
		fmt.Fprintln(w, "  nothing to run: already waiting for the peer")
	}
	if peer := c.String("peer"); peer != "" {
		argv := peerArgv(plan, peer, timeout)
		fmt.Fprintf(w, "peer: %s\n", strings.Join(argv, " "))
		log.Infof("resolve %s: running the %s side on %s", res, other(plan.Role), peer)
		pctx, cancel := context.WithTimeout(ctx, timeout+30*time.Second)
		out, err := d.Runner.Run(pctx, argv[0], argv[1:]...)
		cancel()
		for _, l := range strings.Split(strings.TrimRight(out.Stdout+out.Stderr, "\n"), "\n") {
			if l != "" {
				fmt.Fprintf(w, "  %s: %s\n", peer, l)
			}
		}
		if err != nil || out.ExitCode != 0 {
			log.Warnf("resolve %s: peer %s: exit %d %v", res, peer, out.ExitCode, err)
			fmt.Fprintf(w, "peer side failed (exit %d); waiting anyway\n", out.ExitCode)
		}
	}

	// Verify.
	fmt.Fprintf(w, "== verify ==\n")
	if isTerminal(d.Stdout) {
		ex.Progress = w
	}
	vctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dev, err := ex.Verify(vctx, res)
	if err != nil {
		if c.String("peer") == "" {
			fmt.Fprintf(w, "on the peer, run: %s\n", strings.Join(plan.PeerArgs, " "))
		}
		return cli.Exit(fmt.Sprintf("committed but not verified within %s: %v", timeout, err), ExitNotVerified)
	}
	if d.Markers != nil {
		if err := d.Markers.Clear(res); err != nil {
			log.Warnf("resolve %s: recovered, but the split-brain marker stays: %v", res, err)
		}
	}
	log.Infof("resolve %s: recovered: cs:%s ro:%s/%s ds:%s/%s", res, dev.CState, dev.Role, dev.PeerRole, dev.Disk, dev.PeerDisk)
	fmt.Fprintf(w, "recovered: cs:%s ro:%s/%s ds:%s/%s\n", dev.CState, dev.Role, dev.PeerRole, dev.Disk, dev.PeerDisk)
	// Without fencing, Pacemaker can miss what the cut-off node started as
	// the partitions merged (the lab once kept a VIP up on both nodes).
	fmt.Fprintf(w, "next: crm resource refresh (Pacemaker re-probes every node and stops anything left running twice by the partition), then crm_mon -1r\n")
	return nil
}

func other(r splitbrain.Role) splitbrain.Role {
	if r == splitbrain.Victim {
		return splitbrain.Survivor
	}
	return splitbrain.Victim
}

func peerArgv(p *splitbrain.Plan, host string, timeout time.Duration) []string {
	argv := []string{"ssh", "-o", "BatchMode=yes", host}
	args := p.PeerArgs
	// Keep the resource last; pass our timeout so both sides give up together.
	argv = append(argv, args[:len(args)-1]...)
	return append(argv, "--timeout", timeout.String(), args[len(args)-1])
}

func commandList(p *splitbrain.Plan) string {
	if len(p.Commands) == 0 {
		return "no command, wait only"
	}
	var s []string
	for _, c := range p.Commands {
		s = append(s, c.String())
	}
	return strings.Join(s, "; ")
}

func printPlan(w io.Writer, p *splitbrain.Plan, peer string, timeout time.Duration) {
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
		fmt.Fprintf(w, "then on %s: %s\n", peer, strings.Join(peerArgv(p, peer, timeout), " "))
	} else {
		fmt.Fprintf(w, "then on the peer: %s\n", strings.Join(p.PeerArgs, " "))
	}
	fmt.Fprintf(w, "then wait up to %s for Connected UpToDate/UpToDate\n", timeout)
}

// gather reads every fact the planner needs. Only the device state is
// essential; generation identifiers and Pacemaker's view degrade to
// "unknown", which makes the planner refuse to guess.
func gather(ctx context.Context, d ResolveDeps, res string) (splitbrain.Facts, error) {
	f := splitbrain.Facts{Resource: res}
	node, err := d.Hostname()
	if err != nil {
		return f, fmt.Errorf("hostname: %w", err)
	}
	f.Node = node
	minor, err := d.Drbd.Minor(ctx, res)
	if err != nil {
		return f, err
	}
	dev, err := d.ReadDevice(ctx, minor)
	if err != nil {
		return f, fmt.Errorf("state of %s (minor %d): %w", res, minor, err)
	}
	f.Device = dev
	if d.ParseGI != nil && dev.Configured() {
		if text, err := d.Drbd.GIText(ctx, res); err == nil {
			if gi, err := d.ParseGI(text); err == nil {
				f.GI = gi
			} else {
				d.Log.Warnf("resolve %s: generation identifiers: %v", res, err)
			}
		} else {
			d.Log.Warnf("resolve %s: drbdadm get-gi: %v", res, err)
		}
	}
	u, err := splitbrain.ProbeUsage(d.Root, minor)
	if err != nil {
		return f, fmt.Errorf("device usage: %w", err)
	}
	f.Usage = u
	p, err := d.CRM.FindPromotable(ctx, res)
	switch {
	case errors.Is(err, crm.ErrNoCluster):
		d.Log.Infof("resolve %s: no Pacemaker cluster", res)
	case err != nil:
		d.Log.Warnf("resolve %s: Pacemaker: %v", res, err)
	default:
		f.Cluster.Present = true
		if p != nil {
			f.Cluster.Resource = p.ID
			promoted, err := d.CRM.PromotedNode(ctx, p.ID)
			if err != nil {
				d.Log.Warnf("resolve %s: where is %s promoted: %v", res, p.ID, err)
				f.Cluster.Present = false
			}
			f.Cluster.Promoted = promoted
		}
	}
	return f, nil
}

// NewResolveDeps wires resolve to the real system. readDevice is usually
// drbdproc.DeviceOf over a /proc/drbd Source.
func NewResolveDeps(readDevice func(context.Context, int) (drbdproc.Device, error), parseGI func(string) (*drbdproc.GI, error), log *ocf.Logger) ResolveDeps {
	r := runner.Exec{}
	return ResolveDeps{Runner: r, Drbd: &drbd.Client{Runner: r}, CRM: &crm.Client{Runner: r},
		ReadDevice: readDevice, ParseGI: parseGI, Hostname: os.Hostname, Root: "/",
		LockDir: splitbrain.LockDir, Stdin: os.Stdin, Stdout: os.Stdout, Log: log, Now: time.Now}
}
