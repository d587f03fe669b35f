// Package core is the part of ocf:mfs:master that its monitor front shares
// with the full agent: the agent's parameters and the depth-0 health check
// of a master. It links only contract and mfs/local, so that the front,
// which Pacemaker starts every monitor interval on every node, pays for
// nothing else; the full agent calls the same code, so that both answer
// alike.
package core

import (
	"errors"
	"os"
	"strconv"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/mfs/local"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf/contract"
)

// DefaultBinary is the mfsmaster the agent runs when the binary parameter
// is unset.
const DefaultBinary = "mfsmaster"

// Params are the agent's parameters, checked.
type Params struct {
	Config        string
	Binary        string
	AutoRecovery  bool
	ProbeTimeout  time.Duration
	KillMargin    time.Duration
	KillMarginSet bool
}

// ReadParams reads and checks the agent's parameters; a bad value is
// OCF_ERR_CONFIGURED, whichever action meets it.
func ReadParams(env *contract.Env) (Params, error) {
	p := Params{Config: env.ParamOr("config", local.DefaultConfig), Binary: env.ParamOr("binary", DefaultBinary)}
	var err error
	if p.AutoRecovery, err = env.BoolParam("auto_recovery", true); err != nil {
		return p, contract.Errorf(contract.ErrConfigured, "auto_recovery: %w", err)
	}
	secs, err := env.IntParam("probe_timeout", 5)
	if err != nil || secs <= 0 {
		return p, contract.Errorf(contract.ErrConfigured, "probe_timeout must be a positive number of seconds, not %q", env.ParamOr("probe_timeout", ""))
	}
	p.ProbeTimeout = time.Duration(secs) * time.Second
	if v, ok := env.Param("kill_margin"); ok && v != "" {
		secs, err := strconv.Atoi(v)
		if err != nil || secs < 0 {
			return p, contract.Errorf(contract.ErrConfigured, "kill_margin must be a number of seconds, not %q", v)
		}
		p.KillMargin = time.Duration(secs) * time.Second
		p.KillMarginSet = true
	}
	return p, nil
}

// Margin is the time kept before the stop deadline for SIGKILL and its
// wait: kill_margin when set, else 5 seconds or a fifth of the stop
// timeout, whichever is less.
func (p Params) Margin(timeout time.Duration) time.Duration {
	if p.KillMarginSet {
		return p.KillMargin
	}
	m := 5 * time.Second
	if timeout > 0 && timeout/5 < m {
		m = timeout / 5
	}
	return m
}

// Serving is the depth-0 monitor of the master cfg describes: its state
// when it holds its lock, runs, and listens on its client port; otherwise
// the OCF error a monitor answers with. name is the process name the
// master must have ("mfsmaster" when empty).
func Serving(host *local.Host, cfg *local.Config, name string) (local.State, error) {
	if _, err := os.Stat(cfg.DataPath); errors.Is(err, os.ErrNotExist) {
		// The DRBD file system is mounted on another node: nothing can run
		// here, which is "not running", never a configuration error.
		return local.State{}, contract.Errorf(contract.NotRunning, "DATA_PATH %s is absent here", cfg.DataPath)
	}
	st, err := host.MasterState(cfg, name)
	if err != nil {
		return st, contract.Errorf(contract.ErrGeneric, "read mfsmaster state: %w", err)
	}
	if !st.Running() {
		return st, contract.Errorf(contract.NotRunning, "not running")
	}
	if st.Process.Stopped() {
		return st, contract.Errorf(contract.ErrGeneric, "mfsmaster (pid %d) is stopped (state %s) and serves no one", st.PID, st.Process.State)
	}
	if !st.Listening {
		return st, contract.Errorf(contract.ErrGeneric, "mfsmaster (pid %d) is not listening on its client port %d", st.PID, cfg.Matocl.Port)
	}
	return st, nil
}
