// Package agenttest runs ocf-mfs agents in tests exactly as Pacemaker's
// executor does: an action in argv[1], parameters in the environment,
// through the dispatcher.
package agenttest

import (
	"bytes"
	"strings"

	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
)

// Result is what one agent invocation returned.
type Result struct {
	Code   ocf.ExitCode
	Stdout string
	Stderr string
}

// Reasons returns the exit-reason lines the action printed.
func (r Result) Reasons() []string {
	var out []string
	for _, l := range strings.Split(r.Stderr, "\n") {
		if s, ok := strings.CutPrefix(l, "ocf-exit-reason:"); ok {
			out = append(out, s)
		}
	}
	return out
}

// Run runs action through ocf.Main as Pacemaker would, with env as the
// whole environment; extra are KEY, VALUE pairs laid over it, an empty
// value removing the key.
func Run(a ocf.Agent, env map[string]string, action string, extra ...string) Result {
	e := Overlay(env, extra...)
	var so, se bytes.Buffer
	code := ocf.Main(a, ocf.Process{Args: []string{a.Metadata().Name, action}, Lookup: ocf.MapLookup(e), Stdout: &so, Stderr: &se})
	return Result{Code: ocf.ExitCode(code), Stdout: so.String(), Stderr: se.String()}
}

// Overlay returns a copy of env with extra, KEY, VALUE pairs, laid over it;
// an empty value removes the key.
func Overlay(env map[string]string, extra ...string) map[string]string {
	e := make(map[string]string, len(env))
	for k, v := range env {
		e[k] = v
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			delete(e, extra[i])
		} else {
			e[extra[i]] = extra[i+1]
		}
	}
	return e
}
