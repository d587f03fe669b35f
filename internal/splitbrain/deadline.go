package splitbrain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// DefaultCommandTimeout bounds one drbdadm, cibadmin or crm_resource
// command of resolve. drbdadm's own network and state-change waits end
// well within it; a command still running then is stuck (a hung kernel
// request, a CIB that does not answer), and the operator is better served
// by an error naming it than by a resolve that never returns.
const DefaultCommandTimeout = 2 * time.Minute

// deadlineRunner gives every command it runs its own deadline, so that no
// caller can forget one.
type deadlineRunner struct {
	runner.Runner
	timeout time.Duration
}

func (d deadlineRunner) Run(ctx context.Context, name string, args ...string) (runner.Result, error) {
	cctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	res, err := d.Runner.Run(cctx, name, args...)
	if err != nil && ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
		// Name the whole command: "drbdadm: context deadline exceeded"
		// does not tell the operator which step is stuck.
		err = fmt.Errorf("%s: no answer within %s: %w", strings.Join(append([]string{name}, args...), " "), d.timeout, err)
	}
	return res, err
}

// withDeadlines returns a copy of r whose drbdadm and Pacemaker clients
// bound each command by CommandTimeout. The peer's ssh keeps r.Runner: it
// waits for the peer's own verify and is bounded in runPeer.
func (r *Resolver) withDeadlines() *Resolver {
	t := r.CommandTimeout
	if t <= 0 {
		t = DefaultCommandTimeout
	}
	b := *r
	if r.Drbd != nil {
		d := *r.Drbd
		d.Runner = deadlineRunner{d.Runner, t}
		b.Drbd = &d
	}
	if r.CRM != nil {
		c := *r.CRM
		c.Runner = deadlineRunner{c.Runner, t}
		b.CRM = &c
	}
	return &b
}
