// Package runner runs external programs for ocf-mfs.
//
// Every drbdadm, drbdsetup, crm_attribute, cibadmin or mfsmaster call made by
// the agents and by drbd-splitbrain goes through a Runner, so that tests can
// replay real captured output and assert the exact argv, and so that every
// call gets the same treatment: a context deadline, LC_ALL=C (the tools'
// output is parsed), and the whole process group killed on timeout, because
// drbdadm forks drbdsetup and a hung child would otherwise outlive us.
package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Result is what a finished command left behind. Stdout, Stderr and the exit
// code are kept apart because drbdadm and the Pacemaker tools encode meaning
// in their exit codes (drbdadm disconnect exits 10 on a StandAlone device,
// crm_attribute exits 105 when an attribute does not exist).
type Result struct {
	Stdout   string
	Stderr   string
	ExitCode int // -1 when the program did not exit normally
}

// Runner runs one external command.
//
// Run returns a nil error when the program ran and exited, whatever its exit
// code; callers decide what a code means. The error is non-nil when the
// program could not be started (ErrNotFound wrapped for a missing binary),
// or when ctx ended first (then it wraps ctx.Err()).
type Runner interface {
	Run(ctx context.Context, name string, args ...string) (Result, error)
}

// ErrNotFound is wrapped when the program does not exist or is not executable.
var ErrNotFound = errors.New("program not found")

// DefaultKillGrace is how long Exec gives a process group between SIGTERM
// and SIGKILL when KillGrace is zero. Callers with a hard deadline of their
// own (an OCF action's timeout) must stop waiting this much earlier.
const DefaultKillGrace = 2 * time.Second

// Exec is the Runner that runs real programs.
type Exec struct {
	// Env is appended to the current environment; LC_ALL=C is always set.
	Env []string
	// KillGrace is how long the process group gets after SIGTERM on timeout
	// before SIGKILL. Zero means 2 seconds.
	KillGrace time.Duration
}

// Run implements Runner.
func (e Exec) Run(ctx context.Context, name string, args ...string) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{ExitCode: -1}, fmt.Errorf("%s: not started: %w", name, err)
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return Result{ExitCode: -1}, fmt.Errorf("%s: %w", name, ErrNotFound)
	}
	cmd := exec.Command(path, args...)
	cmd.Env = append(append(os.Environ(), e.Env...), "LC_ALL=C", "LANG=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return Result{ExitCode: -1}, fmt.Errorf("%s: %w", name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var waitErr error
	select {
	case waitErr = <-done:
	case <-ctx.Done():
		grace := e.KillGrace
		if grace == 0 {
			grace = DefaultKillGrace
		}
		pgid := cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(grace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-done
		}
		res := Result{Stdout: stdout.String(), Stderr: stderr.String(), ExitCode: -1}
		return res, fmt.Errorf("%s: killed after deadline: %w", name, ctx.Err())
	}
	res := Result{Stdout: stdout.String(), Stderr: stderr.String(), ExitCode: 0}
	if waitErr != nil {
		var ee *exec.ExitError
		if !errors.As(waitErr, &ee) {
			res.ExitCode = -1
			return res, fmt.Errorf("%s: %w", name, waitErr)
		}
		res.ExitCode = ee.ExitCode()
	}
	return res, nil
}

// CommandError describes a command that exited with an unexpected code. Its
// message carries the trimmed stderr, which is what an operator needs in an
// exit reason.
type CommandError struct {
	Argv   []string
	Result Result
}

func (e *CommandError) Error() string {
	msg := lastLine(e.Result.Stderr)
	if msg == "" {
		msg = lastLine(e.Result.Stdout)
	}
	if msg == "" {
		return fmt.Sprintf("%s: exit status %d", strings.Join(e.Argv, " "), e.Result.ExitCode)
	}
	return fmt.Sprintf("%s: exit status %d: %s", strings.Join(e.Argv, " "), e.Result.ExitCode, msg)
}

// NewCommandError describes the command name args that left res.
func NewCommandError(res Result, name string, args ...string) *CommandError {
	return &CommandError{Argv: append([]string{name}, args...), Result: res}
}

// Check runs the command and turns a non-zero exit code into a *CommandError.
func Check(ctx context.Context, r Runner, name string, args ...string) (Result, error) {
	res, err := r.Run(ctx, name, args...)
	if err != nil {
		return res, err
	}
	if res.ExitCode != 0 {
		return res, NewCommandError(res, name, args...)
	}
	return res, nil
}

// lastLine returns the last non-empty line of s, trimmed: tools such as
// drbdadm print context first and the actual complaint last.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}
