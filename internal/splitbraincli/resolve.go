package splitbraincli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/ocf-mfs/ocf-mfs/internal/logging"

	"github.com/urfave/cli/v2"

	"github.com/ocf-mfs/ocf-mfs/internal/crm"
	"github.com/ocf-mfs/ocf-mfs/internal/drbdadm"
	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
	"github.com/ocf-mfs/ocf-mfs/internal/splitbrain"
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
	splitbrain.Resolver
	Stdin  *os.File // where the confirmation is read
	Stdout *os.File // for the terminal check of the progress display
	// Geteuid is os.Geteuid; nil skips the root check.
	Geteuid func() int
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
Every volume of the resource is checked, backed up and verified: the
victim's discard covers them all. On DRBD 9 the state comes from drbdsetup
events2; a resource with more than one peer is refused (resolve each
connection by hand with drbdadm's RES:PEER).

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
		OnUsageError: usageError,
		Action:       func(c *cli.Context) error { return runResolve(c, d) },
	}
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
	if c.NArg() != 1 {
		return cli.Exit("usage: drbd-splitbrain resolve [options] RESOURCE", ExitError)
	}
	if err := requireRoot(d.Geteuid, "resolve"); err != nil {
		return cli.Exit("error: "+err.Error(), ExitError)
	}
	res := c.Args().First()
	w := c.App.Writer
	q := splitbrain.Request{Resource: res, DiscardLocal: c.Bool("discard-local"), KeepLocal: c.Bool("keep-local"),
		Force: c.Bool("force"), DryRun: c.Bool("dry-run"), BackupDir: c.String("backup-dir"), Peer: c.String("peer"),
		Timeout: c.Duration("timeout"), Out: w}
	if !c.Bool("yes") {
		q.Confirm = func(p *splitbrain.Plan) error { return confirm(w, d.Stdin, p) }
	}
	if isTerminal(d.Stdout) {
		q.Progress = w
	}
	err := d.Resolve(c.Context, q)
	var refusal *splitbrain.Refusal
	switch {
	case err == nil:
		return nil
	case errors.As(err, &refusal):
		return cli.Exit("refused (nothing changed): "+refusal.Reason, ExitRefused)
	case errors.Is(err, splitbrain.ErrNotVerified):
		return cli.Exit(err.Error(), ExitNotVerified)
	}
	return cli.Exit("error: "+err.Error(), ExitError)
}

// confirm asks the operator on a terminal; without one it refuses.
func confirm(w io.Writer, stdin *os.File, p *splitbrain.Plan) error {
	if !isTerminal(stdin) {
		return &splitbrain.Refusal{Reason: "no terminal to confirm on; run with --yes to proceed without confirmation"}
	}
	fmt.Fprintf(w, "Proceed as the %s of %s on %s? Type yes: ", p.Role, p.Facts.Resource, p.Facts.Node)
	answer, _ := bufio.NewReader(stdin).ReadString('\n')
	if strings.TrimSpace(answer) != "yes" {
		return &splitbrain.Refusal{Reason: "not confirmed"}
	}
	return nil
}

// NewResolveDeps wires resolve to the real system. readState is usually a
// drbdproc.Source that may fork drbdsetup (DRBD 9) with Statistics set.
func NewResolveDeps(readState func(context.Context) (*drbdproc.Status, error), parseGIs func(string) ([]*drbdproc.GI, error), log *logging.Logger) ResolveDeps {
	r := runner.Exec{}
	return ResolveDeps{Resolver: splitbrain.Resolver{Runner: r, Drbd: &drbdadm.Client{Runner: r}, CRM: &crm.Client{Runner: r},
		ReadState: readState, ParseGIs: parseGIs, Hostname: os.Hostname, Root: "/",
		LockDir: splitbrain.LockDir, Log: log, Now: time.Now}, Stdin: os.Stdin, Stdout: os.Stdout, Geteuid: os.Geteuid}
}
