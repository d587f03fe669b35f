package splitbrain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/logging"

	"github.com/ocf-mfs/ocf-mfs/internal/drbdadm"
	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
)

// StateFunc reads the current state of every volume of the resource
// (/proc/drbd on DRBD 8, drbdsetup events2 on DRBD 9), in drbdadm's order.
type StateFunc func(ctx context.Context) ([]drbdproc.Device, error)

// Executor carries out a Plan: Commit runs its commands, Verify waits for
// the result.
type Executor struct {
	Drbd  *drbdadm.Client
	State StateFunc
	Log   *logging.Logger
	// Progress, when non-nil, receives a one-line progress display rewritten
	// in place (a terminal).
	Progress io.Writer
	// Interval between state polls; 1 s when zero.
	Interval time.Duration
}

// Commit runs the plan's commands in order through the drbdadm client,
// whose verbs already accept the expected exit codes (disconnect exits 10
// on a StandAlone device). It stops at the first failure; the commands run
// before it are named in the error, so the operator knows the state.
func (e *Executor) Commit(ctx context.Context, p *Plan) error {
	res := p.Facts.Resource
	for i, c := range p.Commands {
		e.Log.Infof("%s: step %d/%d: %s", res, i+1, len(p.Commands), c)
		var err error
		switch c.Verb {
		case "disconnect":
			err = e.Drbd.Disconnect(ctx, res)
			if err == nil {
				err = e.standAlone(ctx)
			}
		case "secondary":
			err = e.Drbd.Secondary(ctx, res)
		case "connect":
			err = e.Drbd.Connect(ctx, res, false)
		case "connect-discard":
			err = e.Drbd.Connect(ctx, res, true)
		default:
			err = fmt.Errorf("unknown step %q", c.Verb)
		}
		if err != nil {
			e.Log.Errorf("%s: step %d/%d failed: %v", res, i+1, len(p.Commands), err)
			return fmt.Errorf("step %d/%d (%s): %w", i+1, len(p.Commands), c, err)
		}
	}
	return nil
}

// standAlone checks the state after a disconnect: drbdadm's exit 10 is
// any kernel failure, not only "already StandAlone", and discarding data
// on a device that is still trying to connect would race with the peer.
// Every volume's every peer must be StandAlone.
func (e *Executor) standAlone(ctx context.Context) error {
	if e.State == nil {
		return errors.New("cannot read the state after disconnect")
	}
	vols, err := e.State(ctx)
	if err != nil {
		return fmt.Errorf("state after disconnect: %w", err)
	}
	for _, d := range vols {
		for _, p := range d.PeerList() {
			if p.CState != "StandAlone" {
				return fmt.Errorf("after disconnect the resource is %s, not StandAlone (minor %d)", p.CState, d.Minor)
			}
		}
		if !d.Configured() {
			return fmt.Errorf("after disconnect minor %d is %s, not StandAlone", d.Minor, d.CState)
		}
	}
	if len(vols) == 0 {
		return errors.New("after disconnect no volume is listed")
	}
	return nil
}

// ErrNotVerified is returned by Verify when the deadline passes first.
var ErrNotVerified = errors.New("not recovered before the deadline")

// Verify polls the state until every volume is Healthy (Connected to its
// every peer, UpToDate/UpToDate, nothing out of sync) or until ctx ends,
// then returns the last state seen of the volume that held it back (the
// first volume once all are healthy) and nil or an error wrapping
// ErrNotVerified. Read errors
// are retried until the deadline: a read that fails once while DRBD
// changes state must not turn a recovery into a failure.
func (e *Executor) Verify(ctx context.Context, res string) (drbdproc.Device, error) {
	interval := e.Interval
	if interval == 0 {
		interval = time.Second
	}
	var last drbdproc.Device
	var lastErr error
	for {
		vols, err := e.State(ctx)
		if err == nil && len(vols) == 0 {
			err = errors.New("no volume listed")
		}
		if err == nil {
			d := vols[0]
			for _, v := range vols {
				if !v.Healthy() {
					d = v
					break
				}
			}
			last, lastErr = d, nil
			e.progress(d)
			if d.Healthy() {
				e.endProgress()
				e.Log.Infof("%s: recovered: cs:%s ds:%s/%s", res, d.CState, d.Disk, d.PeerDisk)
				return d, nil
			}
		} else {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			e.endProgress()
			msg := fmt.Sprintf("last seen cs:%s ro:%s/%s ds:%s/%s", last.CState, last.Role, last.PeerRole, last.Disk, last.PeerDisk)
			if lastErr != nil {
				msg = "last read failed: " + lastErr.Error()
			}
			e.Log.Warnf("%s: %v; %s", res, ErrNotVerified, msg)
			return last, fmt.Errorf("%w: %s", ErrNotVerified, msg)
		case <-time.After(interval):
		}
	}
}

func (e *Executor) progress(d drbdproc.Device) {
	if e.Progress == nil {
		return
	}
	line := fmt.Sprintf("cs:%s ds:%s/%s", d.CState, d.Disk, d.PeerDisk)
	if d.Sync != nil {
		line += fmt.Sprintf(" %5.1f%% (%d KiB left)", d.Sync.Percent, d.Sync.RemainingKiB)
	} else if d.CState == "WFConnection" {
		line += " waiting for the peer"
	}
	fmt.Fprintf(e.Progress, "\r\033[K%s", line)
}

func (e *Executor) endProgress() {
	if e.Progress != nil {
		fmt.Fprint(e.Progress, "\n")
	}
}
