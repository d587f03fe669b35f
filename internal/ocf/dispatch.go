package ocf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/logging"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf/contract"

	"github.com/ocf-mfs/ocf-mfs/internal/version"
)

// Request is one action invocation.
type Request struct {
	Action string
	Env    *Env
	Log    *logging.Logger
	// Probe is true for a monitor with interval 0, Pacemaker's way of asking
	// "is it running here?" before it has placed anything.
	Probe bool
	// Notice, when an action succeeds, is still written as an exit reason:
	// Pacemaker records it with the result, which is how a monitor that
	// finds a device running but cut off (StandAlone after a split brain)
	// shows the operator why in crm_mon.
	Notice string
}

// Agent is what every ocf-mfs resource agent implements. Each action returns
// nil for success or an error; the dispatcher maps it to an exit code with
// CodeOf, so an agent expresses "not running" as Errorf(NotRunning, ...).
type Agent interface {
	Metadata() *Metadata
	Validate(ctx context.Context, r *Request) error
	Start(ctx context.Context, r *Request) error
	Stop(ctx context.Context, r *Request) error
	Monitor(ctx context.Context, r *Request) error
}

// Promoter is implemented by promotable agents.
type Promoter interface {
	Promote(ctx context.Context, r *Request) error
	Demote(ctx context.Context, r *Request) error
}

// Notifier is implemented by agents that act on clone notifications.
type Notifier interface {
	Notify(ctx context.Context, r *Request) error
}

// Reloader is implemented by agents that can apply changed parameters
// without a restart.
type Reloader interface {
	Reload(ctx context.Context, r *Request) error
}

// Process is what Main needs from the operating system, injectable so that
// the dispatcher is tested without spawning processes.
type Process struct {
	Args   []string
	Lookup LookupFunc
	Stdout io.Writer
	Stderr io.Writer
	Now    func() time.Time
}

// OS returns the real process: os.Args, the environment, stdout, stderr.
func OS() Process {
	return Process{Args: os.Args, Lookup: os.LookupEnv, Stdout: os.Stdout, Stderr: os.Stderr, Now: time.Now}
}

// DefaultTimeout bounds an action when Pacemaker gave no timeout (ocf-tester
// or a manual run): long enough for a large metadata save, short enough that
// a hung command does not hang an operator's shell for ever.
const DefaultTimeout = 120 * time.Second

// Deadline returns the point by which the action must have returned. It
// leaves a margin before Pacemaker's own timeout so that the agent, not the
// executor's SIGKILL, reports what went wrong: a tenth of the timeout,
// at least one second (but never more than half) and at most ten.
func Deadline(now time.Time, timeout time.Duration) time.Time {
	if timeout <= 0 {
		return now.Add(DefaultTimeout)
	}
	margin := timeout / 10
	if margin < time.Second {
		margin = time.Second
	}
	if margin > timeout/2 {
		margin = timeout / 2
	}
	if margin > 10*time.Second {
		margin = 10 * time.Second
	}
	return now.Add(timeout - margin)
}

// MaxExitReason is how much of an exit reason Pacemaker keeps.
const MaxExitReason = contract.MaxExitReason

// FormatExitReason makes msg fit the exit-reason line; see
// contract.FormatExitReason.
func FormatExitReason(msg string) string { return contract.FormatExitReason(msg) }

// Main runs the action named in p.Args[1] and returns the exit status.
func Main(a Agent, p Process) int {
	if p.Lookup == nil {
		p.Lookup = func(string) (string, bool) { return "", false }
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	name := "agent"
	if len(p.Args) > 0 {
		name = baseName(p.Args[0])
	}
	if len(p.Args) < 2 {
		usage(a, name, p.Stderr)
		return int(ErrArgs)
	}
	action := p.Args[1]
	env := NewEnv(p.Lookup)

	// meta-data runs as user nobody with no environment at all, before
	// anything that could fail on a missing variable or an unwritable log.
	switch action {
	case "meta-data":
		if err := a.Metadata().WriteXML(p.Stdout); err != nil {
			fmt.Fprintf(p.Stderr, "%s\n", err)
			return int(ErrGeneric)
		}
		return int(Success)
	case "usage", "help", "-h", "--help":
		usage(a, name, p.Stdout)
		return int(Success)
	case "version", "--version":
		fmt.Fprintf(p.Stdout, "%s %s\n", name, version.Version)
		return int(Success)
	}

	fn := handler(a, action)
	if fn == nil {
		usage(a, name, p.Stderr)
		writeExitReason(p, env, fmt.Sprintf("action %q is not implemented by %s", action, name))
		return int(ErrUnimplemented)
	}

	req := &Request{Action: action, Env: env, Log: logging.New(name, env.Instance(), env.Get, p.Stderr), Probe: env.IsProbe(action)}
	ctx, cancel := context.WithDeadline(context.Background(), Deadline(p.Now(), env.Timeout()))
	defer cancel()

	err := fn(ctx, req)
	code := CodeOf(err)
	// The action's own deadline passing is what counts, not whether every
	// layer kept context.DeadlineExceeded in its error chain.
	if code == ErrGeneric && (errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded)) {
		err = fmt.Errorf("%s ran out of time: %w", action, err)
	}
	switch {
	case err != nil && wantsExitReason(action, req.Probe, code):
		req.Log.Errorf("%s failed (%s): %v", action, code, err)
		writeExitReason(p, env, err.Error())
	case req.Notice != "" && (code == Success || code == RunningPromoted):
		writeExitReason(p, env, req.Notice)
	case err != nil:
		req.Log.Debugf("%s: %s: %v", action, code, err)
	}
	return int(code)
}

// wantsExitReason is false where a non-zero code is an answer rather than a
// failure: a probe finding nothing, a monitor finding the promoted role.
func wantsExitReason(action string, probe bool, code ExitCode) bool {
	switch code {
	case Success, RunningPromoted:
		return false
	case NotRunning:
		return !probe && action != "stop"
	}
	return true
}

func writeExitReason(p Process, env *Env, msg string) { env.WriteExitReason(p.Stderr, msg) }

type actionFunc func(context.Context, *Request) error

func handler(a Agent, action string) actionFunc {
	switch action {
	case "start":
		return a.Start
	case "stop":
		return a.Stop
	case "monitor", "status":
		return a.Monitor
	case "validate-all":
		return a.Validate
	}
	if p, ok := a.(Promoter); ok {
		switch action {
		case "promote":
			return p.Promote
		case "demote":
			return p.Demote
		}
	}
	if n, ok := a.(Notifier); ok && action == "notify" {
		return n.Notify
	}
	if r, ok := a.(Reloader); ok && action == "reload" {
		return r.Reload
	}
	return nil
}

// Actions lists the actions a implements, for usage text.
func Actions(a Agent) []string {
	out := []string{"start", "stop", "monitor", "validate-all", "meta-data", "usage", "version"}
	if _, ok := a.(Promoter); ok {
		out = append(out, "promote", "demote")
	}
	if _, ok := a.(Notifier); ok {
		out = append(out, "notify")
	}
	if _, ok := a.(Reloader); ok {
		out = append(out, "reload")
	}
	sort.Strings(out)
	return out
}

func usage(a Agent, name string, w io.Writer) {
	fmt.Fprintf(w, "usage: %s {%s}\n", name, strings.Join(Actions(a), "|"))
	fmt.Fprintf(w, "%s is an OCF resource agent; parameters come from OCF_RESKEY_* variables (see meta-data).\n", name)
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}
