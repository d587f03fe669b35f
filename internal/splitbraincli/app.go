// Package splitbraincli is the drbd-splitbrain command line: status, resolve and
// the DRBD handlers, over urfave/cli. cmd/drbd-splitbrain only wires it to
// the real system.
package splitbraincli

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/logging"

	"github.com/urfave/cli/v2"

	"github.com/ocf-mfs/ocf-mfs/internal/drbdadm"
	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
	"github.com/ocf-mfs/ocf-mfs/internal/splitbrain"
	"github.com/ocf-mfs/ocf-mfs/internal/splitbrain/marker"
)

// Deps gathers the dependencies of every subcommand.
type Deps struct {
	Status  StatusDeps
	Resolve ResolveDeps
	Handler HandlerDeps
}

// NewApp builds the drbd-splitbrain application.
func NewApp(d Deps, version string, stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:    "drbd-splitbrain",
		Usage:   "see, resolve and handle DRBD split brains safely",
		Version: version,
		Description: `status reports DRBD devices and split brains; resolve recovers one node
of a split-brain resource (plan, commit, verify), refusing whatever could
discard the wrong data; handler is what drbd.conf's handlers section calls.`,
		Flags: []cli.Flag{procDrbdFlag()},
		Commands: []*cli.Command{
			StatusCommand(d.Status),
			ResolveCommand(d.Resolve),
			HandlerCommand(d.Handler),
		},
		Writer:               stdout,
		ErrWriter:            stderr,
		EnableBashCompletion: true,
		HideHelpCommand:      true,
		// urfave/cli exits 3 for an unknown command, which status uses for
		// a split brain; a typo must read as an error.
		OnUsageError: usageError,
		CommandNotFound: func(c *cli.Context, name string) {
			cli.HandleExitCoder(cli.Exit(fmt.Sprintf("drbd-splitbrain: unknown command %q (see --help)", name), 1))
		},
	}
}

// procDrbdFlag is --proc-drbd, accepted before the subcommand and after
// `status`: operators type it either way.
func procDrbdFlag() cli.Flag {
	return &cli.StringFlag{Name: "proc-drbd", Value: drbdproc.DefaultPath, Usage: "read DRBD state from `PATH` (a saved copy, or - for stdin); status only"}
}

// usageError reports a mistyped command line once: urfave/cli would print
// the whole help and return the error, which main then printed again.
// The exit code is 1, an error, for status as for resolve and handlers.
func usageError(c *cli.Context, err error, _ bool) error {
	name := c.App.Name
	if c.Command != nil && c.Command.Name != "" {
		name += " " + c.Command.Name
	}
	return cli.Exit(fmt.Sprintf("%s: %v (see %s --help for usage)", c.App.Name, err, name), 1)
}

// LogFile is drbd-splitbrain's own record of what resolve and the handlers
// did, next to the journal or syslog.
const LogFile = "/var/log/drbd-splitbrain.log"

// System wires every subcommand to this machine.
func System() Deps {
	r := runner.Exec{}
	// What a tool that can discard data did must be on record even where no
	// journal or syslog runs (containers, minimal installs): it also keeps
	// its own log file unless HA_LOGFILE names another.
	log := logging.New("drbd-splitbrain", "", os.LookupEnv, nil)
	if _, set := os.LookupEnv("HA_LOGFILE"); !set {
		log.AddFile(LogFile)
	}
	// Statistics: only then does events2 print what is out of sync with
	// each DRBD 9 peer.
	src := &drbdproc.Source{Runner: r, Statistics: true}
	markers := &marker.Store{Dir: marker.Dir}
	// Handlers read /proc/drbd only: they may run inside a kernel callback
	// of drbdsetup. resolve, run by an operator, reads DRBD 9's state
	// through drbdsetup like status: its /proc/drbd lists no device.
	proc := &drbdproc.Source{NoFork: true}
	readDevice := func(ctx context.Context, minor int) (drbdproc.Device, error) {
		return drbdproc.DeviceOf(ctx, proc, minor)
	}
	status := StatusDeps{
		Read: src.Read,
		Names: func(ctx context.Context) (map[int]string, error) {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			return (&drbdadm.Client{Runner: r}).MinorNames(ctx)
		},
		Markers:  markers,
		Kernel:   func() map[int]bool { return splitbrain.KmsgSplitBrains("/dev/kmsg") },
		Stdin:    os.Stdin,
		Terminal: func() bool { return isTerminal(os.Stdout) },
	}
	resolve := NewResolveDeps(src.Read, drbdproc.ParseGIs, log)
	resolve.Markers = markers
	return Deps{
		Status:  status,
		Resolve: resolve,
		Handler: withClear(NewHandlerDeps(readDevice, markers.Record, log), markers.Clear),
	}
}

func withClear(d HandlerDeps, clear func(string) error) HandlerDeps {
	d.ClearMarker = clear
	return d
}
