package local

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"
)

// Linux system call numbers shared by every architecture since 5.3.
const (
	sysPidfdSendSignal = 424
	sysPidfdOpen       = 434
)

// Signal sends sig to the process id names, and to nothing else: a process
// gone, or a pid now used by another process, is not an error and gets no
// signal. A pidfd pins the process between the start-time check and the
// signal; kernels without pidfds (before 5.3) get a plain kill right after
// the check.
func (h *Host) Signal(id ProcID, sig syscall.Signal) error {
	fd, _, e := syscall.Syscall(sysPidfdOpen, uintptr(id.PID), 0, 0)
	if e == syscall.ESRCH {
		return nil
	}
	pinned := e == 0
	if pinned {
		defer syscall.Close(int(fd))
	}
	p, err := h.Same(id)
	if err != nil {
		return err
	}
	if p == nil {
		return nil
	}
	if pinned {
		_, _, e = syscall.Syscall6(sysPidfdSendSignal, fd, uintptr(sig), 0, 0, 0, 0)
		if e == 0 || e == syscall.ESRCH {
			return nil
		}
		return fmt.Errorf("signal %v to pid %d: %w", sig, id.PID, e)
	}
	if err := syscall.Kill(id.PID, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal %v to pid %d: %w", sig, id.PID, err)
	}
	return nil
}

// WaitGone waits until the process id names has exited (a zombie counts as
// gone, and so does a pid now used by another process) or ctx ends.
func (h *Host) WaitGone(ctx context.Context, id ProcID) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		p, err := h.Same(id)
		if err == nil && p == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pid %d still running: %w", id.PID, ctx.Err())
		case <-t.C:
		}
	}
}

// Logger is where Terminate says what it does.
type Logger interface {
	Infof(format string, a ...any)
	Warnf(format string, a ...any)
}

// Terminate stops a master the way `mfsmaster stop` does, SIGTERM and a
// wait for the process to store its metadata and exit, but on the process
// the caller identified, and with an escalation: a master frozen by
// SIGSTOP is resumed first (it would sit on SIGTERM until the deadline),
// and one still running margin before ctx's deadline is killed with
// SIGKILL, with its children of the same name (the data writer), so that
// the stop never times out: Pacemaker fences a node whose stop failed.
// Outcomes: killed false and nil after a clean exit; killed true and nil
// after SIGKILL; an error when the process survives SIGKILL until ctx
// ends or a signal cannot be sent.
func (h *Host) Terminate(ctx context.Context, p *Process, margin time.Duration, log Logger) (killed bool, err error) {
	kids, _ := h.Children(p.ProcID, p.Comm)
	if p.Stopped() {
		log.Warnf("mfsmaster (pid %d) is stopped (SIGSTOP): resuming it so that it can store its metadata", p.PID)
		if err := h.Signal(p.ProcID, syscall.SIGCONT); err != nil {
			return false, err
		}
	}
	log.Infof("sending SIGTERM to mfsmaster (pid %d)", p.PID)
	if err := h.Signal(p.ProcID, syscall.SIGTERM); err != nil {
		return false, err
	}
	clean, cancel := ctxBefore(ctx, margin)
	err = h.WaitGone(clean, p.ProcID)
	cancel()
	if err == nil {
		return false, nil
	}
	log.Warnf("mfsmaster (pid %d) did not store its metadata and exit before the stop timeout: sending SIGKILL; the next start recovers with -a", p.PID)
	later, _ := h.Children(p.ProcID, p.Comm)
	if err := h.Signal(p.ProcID, syscall.SIGKILL); err != nil {
		return true, err
	}
	for _, c := range append(kids, later...) {
		_ = h.Signal(c, syscall.SIGKILL)
	}
	if err := h.WaitGone(ctx, p.ProcID); err != nil {
		return true, fmt.Errorf("mfsmaster (pid %d) survived SIGKILL: %w", p.PID, err)
	}
	return true, nil
}

// ctxBefore is ctx with its deadline moved earlier by d.
func ctxBefore(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, dl.Add(-d))
	}
	return context.WithCancel(ctx)
}
