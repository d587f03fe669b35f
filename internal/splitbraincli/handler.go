package splitbraincli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/logging"

	"github.com/urfave/cli/v2"

	"github.com/ocf-mfs/ocf-mfs/internal/crm"
	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
	"github.com/ocf-mfs/ocf-mfs/internal/splitbrain"
	"github.com/ocf-mfs/ocf-mfs/internal/splitbrain/marker"
)

// HandlerDeps is what the drbd.conf handlers need from the system.
type HandlerDeps struct {
	Runner     runner.Runner
	CRM        *crm.Client
	Getenv     func(string) (string, bool)
	ReadDevice func(ctx context.Context, minor int) (drbdproc.Device, error) // /proc/drbd, never drbdsetup
	Hostname   func() (string, error)
	LockDir    string
	Log        *logging.Logger
	// Marker records a confirmed split brain for `status` (the marker package).
	Marker func(marker.Marker) error
	// ClearMarker forgets it after a resync (after-resync-target).
	ClearMarker func(res string) error
	// Geteuid is os.Geteuid; nil skips the root check.
	Geteuid func() int
}

// NotifyEnv names the environment variable that may hold the split-brain
// notification command, for drbd.conf lines that cannot carry quoting.
const NotifyEnv = "DRBD_SPLITBRAIN_NOTIFY"

// HandlerCommand is `drbd-splitbrain handler split-brain|fence-peer|unfence-peer`.
func HandlerCommand(d HandlerDeps) *cli.Command {
	// Fresh flag values per subcommand: urfave/cli keeps state in them.
	timeout := func() cli.Flag {
		return &cli.DurationFlag{Name: "timeout", Value: 20 * time.Second, Usage: "bound on each Pacemaker command"}
	}
	lockWait := func() cli.Flag {
		return &cli.DurationFlag{Name: "lock-timeout", Value: 60 * time.Second, Usage: "how long to wait for a concurrent handler of the same resource"}
	}
	cmd := &cli.Command{
		Name:  "handler",
		Usage: "DRBD handlers for drbd.conf: split-brain, fence-peer, unfence-peer",
		Description: `For drbd.conf (DRBD 8.4):

    disk     { fencing resource-only; }
    handlers {
        split-brain         "/usr/sbin/drbd-splitbrain handler split-brain";
        fence-peer          "/usr/sbin/drbd-splitbrain handler fence-peer";
        after-resync-target "/usr/sbin/drbd-splitbrain handler unfence-peer";
    }

They read DRBD_RESOURCE, DRBD_MINOR, DRBD_PEER(S), DRBD_PEER_ADDRESS,
DRBD_PEER_AF and DRBD_CONF, set by drbdadm.`,
		// Without a known handler name nothing ran: that must not read as
		// success to drbdadm or to an operator testing the line.
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return cli.Exit("handler: name one of split-brain, fence-peer, unfence-peer", 1)
			}
			return cli.Exit(fmt.Sprintf("handler: unknown handler %q (split-brain, fence-peer, unfence-peer)", c.Args().First()), 1)
		},
		Subcommands: []*cli.Command{
			{
				Name:  "split-brain",
				Usage: "log a detected split brain, record it for `status`, notify; never discards",
				Flags: []cli.Flag{timeout(), &cli.StringFlag{Name: "notify-cmd", EnvVars: []string{NotifyEnv},
					Usage: "shell `COMMAND` run on split brain, with DRBD's environment"}},
				Action: func(c *cli.Context) error {
					h, err := newHandlers(c, d)
					if err != nil {
						d.Log.Errorf("split-brain: %v", err)
						return cli.Exit(err.Error(), 1)
					}
					h.Notify = c.String("notify-cmd")
					if err := h.SplitBrain(c.Context); err != nil {
						return cli.Exit(err.Error(), 1)
					}
					return nil
				},
			},
			{
				Name:  "fence-peer",
				Usage: "place the constraint that keeps the promoted role off the peer; exit 3-7 as DRBD expects",
				Flags: []cli.Flag{timeout(), lockWait(), &cli.StringFlag{Name: "role",
					Usage: "name the promoted role `Master` or `Promoted` in the constraint (default: as the cluster's feature set says)"},
					&cli.DurationFlag{Name: "settle", Value: 15 * time.Second,
						Usage: "how long the peer must stay online before 4 is answered; at least corosync's token + consensus timeouts"},
					&cli.DurationFlag{Name: "fence-timeout", Value: 90 * time.Second,
						Usage: "how long to wait for a lost peer to be recorded fenced (7) before answering 5"}},
				Action: func(c *cli.Context) error {
					code := fencePeer(c, d)
					if code == 0 {
						return nil
					}
					return cli.Exit("", code)
				},
			},
			{
				Name:  "unfence-peer",
				Usage: "after-resync-target: remove our constraint once both disks are UpToDate",
				Flags: []cli.Flag{timeout(), lockWait()},
				Action: func(c *cli.Context) error {
					h, err := newHandlers(c, d)
					if err != nil {
						d.Log.Errorf("unfence-peer: %v", err)
						return cli.Exit(err.Error(), 1)
					}
					release := handlerLock(c, d, h.Env.Resource)
					defer release()
					if err := h.UnfencePeer(c.Context); err != nil {
						return cli.Exit(err.Error(), 1)
					}
					return nil
				},
			},
		},
	}
	// A mistyped flag in drbd.conf's handler line exits 1 ("helper
	// broken" for fence-peer), with the error logged once.
	cmd.OnUsageError = usageError
	for _, sub := range cmd.Subcommands {
		sub.OnUsageError = usageError
	}
	return cmd
}

// fencePeer never returns anything but a fence-peer code: a failure to read
// the environment or a panic in the wiring ends as 1, "helper broken",
// which changes no DRBD state.
func fencePeer(c *cli.Context, d HandlerDeps) (code int) {
	h := &splitbrain.Handlers{Log: d.Log}
	return h.Guard(func() int {
		hh, err := newHandlers(c, d)
		if err != nil {
			d.Log.Errorf("fence-peer: %v; no constraint placed", err)
			return splitbrain.FencePeerFailed
		}
		h.Env = hh.Env
		switch role := c.String("role"); role {
		case "", "Master", "Promoted":
			hh.Role = role
		default:
			d.Log.Errorf("fence-peer %s: --role %q: not Master or Promoted; no constraint placed", hh.Env.Resource, role)
			return splitbrain.FencePeerFailed
		}
		hh.Settle, hh.FenceWait = c.Duration("settle"), c.Duration("fence-timeout")
		release := handlerLock(c, d, hh.Env.Resource)
		defer release()
		return hh.FencePeer(c.Context)
	})
}

func newHandlers(c *cli.Context, d HandlerDeps) (*splitbrain.Handlers, error) {
	if err := requireRoot(d.Geteuid, "the handlers"); err != nil {
		return nil, err
	}
	env, err := splitbrain.ReadHandlerEnv(d.Getenv)
	if err != nil {
		return nil, err
	}
	node, err := d.Hostname()
	if err != nil {
		return nil, fmt.Errorf("hostname: %w", err)
	}
	return &splitbrain.Handlers{Env: env, Node: node, CRM: d.CRM, Runner: d.Runner, Log: d.Log,
		Device: d.ReadDevice, Marker: d.Marker, ClearMarker: d.ClearMarker, Timeout: c.Duration("timeout")}, nil
}

// handlerLock serialises handlers of one resource (the kernel may call
// fence-peer for every volume at once). Failing to get it within the bound
// is logged and the handler goes on, as crm-fence-peer.sh does: an answer
// to the kernel matters more than the ordering.
func handlerLock(c *cli.Context, d HandlerDeps, res string) func() {
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("lock-timeout"))
	defer cancel()
	path := splitbrain.LockPath(d.LockDir, res+".handler")
	l, err := splitbrain.WaitLock(ctx, path)
	if err != nil {
		d.Log.Warnf("handler %s: %v; going on without the lock", res, err)
		return func() {}
	}
	return l.Release
}

// DefaultHostname is os.Hostname, which is uname -n: the name Pacemaker's
// #uname and crm-fence-peer.sh use.
func DefaultHostname() (string, error) { return os.Hostname() }

// NewHandlerDeps wires the handlers to the real system; marker records the
// split brain (the marker package's RecordSplitBrain, adapted).
func NewHandlerDeps(readDevice func(context.Context, int) (drbdproc.Device, error), record func(marker.Marker) error, log *logging.Logger) HandlerDeps {
	r := runner.Exec{}
	return HandlerDeps{Runner: r, CRM: &crm.Client{Runner: r}, Getenv: os.LookupEnv, ReadDevice: readDevice,
		Hostname: DefaultHostname, LockDir: splitbrain.LockDir, Log: log, Marker: record, Geteuid: os.Geteuid}
}

// requireRoot stops resolve and the handlers before they run anything as
// another user: drbdadm, /proc/PID/fd, the root-only lock directory and
// the CIB all need root, and failing half-way helps nobody. status reads
// /proc/drbd, which anyone may.
func requireRoot(geteuid func() int, who string) error {
	if geteuid == nil {
		return nil
	}
	if uid := geteuid(); uid != 0 {
		return fmt.Errorf("%s must run as root (running as uid %d)", who, uid)
	}
	return nil
}
