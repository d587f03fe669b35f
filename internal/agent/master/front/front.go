// Package front is ocf:mfs:master as Pacemaker runs it. Pacemaker starts
// the agent for every monitor, every interval, on every node; a Go program
// pays at each start for every package it links, and the full agent links
// the dispatcher, meta-data (encoding/xml), the system log (net) and the
// runner (os/exec). The front links only package core and what core links.
// It answers one question itself: a depth-0 monitor of a non-promotable
// master that holds its lock, runs and listens, which is what nearly every
// monitor finds. Everything else, including every monitor that finds
// anything wrong, it hands to the full agent by exec, in the same process,
// with the same arguments and environment; the full agent then answers,
// logs and writes the exit reason as it always has.
package front

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/ocf-mfs/ocf-mfs/internal/agent/master/core"
	"github.com/ocf-mfs/ocf-mfs/internal/mfs/local"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf/contract"
)

// ActionsName is the full agent's file name.
const ActionsName = "ocf-mfsmaster-actions"

// ActionsPath is where make install puts the full agent, relative to the
// directory it puts the front in (OCF_ROOT/resource.d/mfs), or absolute;
// make sets it at build time from OCF_ROOT and LIBEXECDIR. Relative, it
// holds wherever the package's tree is unpacked, and a front never reaches
// the full agent of another install.
var ActionsPath = "../../../../libexec/ocf-mfs/ocf-mfsmaster-actions"

// Front is the machine as the front sees it; OS gives the real one.
type Front struct {
	Lookup   contract.LookupFunc
	Environ  []string
	Stderr   io.Writer
	ProcRoot string
	// Self is the front's own executable (os.Executable).
	Self func() (string, error)
	// Exec replaces the process (syscall.Exec); it returns only on failure.
	Exec func(path string, argv, env []string) error
}

// OS is the front on this machine.
func OS() Front {
	return Front{Lookup: os.LookupEnv, Environ: os.Environ(), Stderr: os.Stderr, ProcRoot: "/proc",
		Self: os.Executable, Exec: syscall.Exec}
}

// Run answers args as the agent does and returns the exit status; when it
// hands over, it returns only if the full agent could not be run.
func (f Front) Run(args []string) int {
	env := contract.NewEnv(f.Lookup)
	if f.Serving(args, env) {
		return int(contract.Success)
	}
	path, err := f.actions()
	if err == nil {
		err = f.Exec(path, args, f.Environ)
	}
	// Without the full agent no action can be carried out, and no answer
	// but "not installed" is true. The exit reason keeps 128 bytes; the
	// whole message, with every path tried, goes to Pacemaker's log.
	msg := fmt.Sprintf("ocf:mfs:master cannot run its actions: %v", err)
	fmt.Fprintln(f.Stderr, msg)
	env.WriteExitReason(f.Stderr, msg)
	return int(contract.ErrInstalled)
}

// Serving reports whether args ask for a depth-0 monitor (or status) of a
// non-promotable instance whose master serves, the one answer the front
// gives itself. Any doubt is false: the full agent looks again and says
// why.
func (f Front) Serving(args []string, env *contract.Env) bool {
	if len(args) != 2 || (args[1] != "monitor" && args[1] != "status") {
		return false
	}
	// Depth 20 asks the master over the network; a promotable instance
	// scores its node; someone debugging wants the full agent's log.
	if env.CheckLevel() >= 20 || env.Clone().Promotable || set(env, "HA_DEBUG") || set(env, "OCF_TRACE_RA") {
		return false
	}
	p, err := core.ReadParams(env)
	if err != nil {
		return false
	}
	host, err := local.NewHost(f.ProcRoot)
	if err != nil {
		return false
	}
	cfg, err := local.ReadConfigFile(p.Config)
	if err != nil {
		return false
	}
	_, err = core.Serving(host, cfg, "")
	return err == nil
}

func set(env *contract.Env, key string) bool {
	v, _ := env.Get(key)
	return v != "" && v != "0"
}

// actions finds the full agent: beside the front's own executable first
// (a build tree, a test's OCF root), then where make install puts it.
func (f Front) actions() (string, error) {
	self, err := f.Self()
	if err != nil {
		return "", fmt.Errorf("cannot find its own executable: %w", err)
	}
	dir := filepath.Dir(self)
	tried := []string{filepath.Join(dir, ActionsName)}
	if filepath.IsAbs(ActionsPath) {
		tried = append(tried, ActionsPath)
	} else {
		tried = append(tried, filepath.Join(dir, ActionsPath))
	}
	for _, p := range tried {
		if executable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("no executable %s at %s or %s", ActionsName, tried[0], tried[1])
}

func executable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}
