package runner

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// Fake is a Runner for tests. It answers each command from a table keyed by
// the full argv joined with single spaces, records every call in order, and
// fails loudly on a command nobody expected, so a test cannot pass while the
// code under test runs something unplanned.
//
// A key may be answered by a sequence of results: each call takes the next
// one, and the last is repeated. That models state changing underneath us,
// such as drbdadm cstate going from StandAlone to Connected.
type Fake struct {
	mu      sync.Mutex
	answers map[string][]Answer
	calls   []string
	// Hook, when set, runs on every call before the table is consulted; a
	// test uses it to change simulated state (e.g. rewrite a /proc/drbd
	// fixture) as a side effect of a command.
	Hook func(argv string)
}

// Answer is one canned reply.
type Answer struct {
	Result Result
	Err    error
}

// On registers replies for argv (program and arguments joined by spaces).
func (f *Fake) On(argv string, replies ...Answer) *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.answers == nil {
		f.answers = map[string][]Answer{}
	}
	f.answers[argv] = append(f.answers[argv], replies...)
	return f
}

// Replace drops the replies still queued for argv and registers new ones:
// the simulated state changed, and what was true before no longer is.
func (f *Fake) Replace(argv string, replies ...Answer) *Fake {
	f.mu.Lock()
	delete(f.answers, argv)
	f.mu.Unlock()
	return f.On(argv, replies...)
}

// OK is an Answer with exit code 0 and the given stdout.
func OK(stdout string) Answer { return Answer{Result: Result{Stdout: stdout}} }

// Exit is an Answer with the given exit code and stderr.
func Exit(code int, stderr string) Answer {
	return Answer{Result: Result{ExitCode: code, Stderr: stderr}}
}

// Run implements Runner.
func (f *Fake) Run(ctx context.Context, name string, args ...string) (Result, error) {
	argv := strings.Join(append([]string{name}, args...), " ")
	if f.Hook != nil {
		f.Hook(argv)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, argv)
	if err := ctx.Err(); err != nil {
		return Result{ExitCode: -1}, fmt.Errorf("%s: not started: %w", name, err)
	}
	q, ok := f.answers[argv]
	if !ok || len(q) == 0 {
		return Result{ExitCode: -1}, fmt.Errorf("runner.Fake: unexpected command %q", argv)
	}
	a := q[0]
	if len(q) > 1 {
		f.answers[argv] = q[1:]
	}
	return a.Result, a.Err
}

// Calls returns every argv run so far, in order.
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}
