package mfs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// Master drives one mfsmaster instance: its binary, its configuration file
// and what the configuration says.
type Master struct {
	Runner runner.Runner
	Host   *Host
	Binary string // "mfsmaster", or a path
	Config string // path of mfsmaster.cfg
	Cfg    *Config
	// Name is the process name (comm) the lock owner must have; a pid
	// reused by another program is not our master. "mfsmaster" when empty.
	Name string
}

// State is what the lock file and /proc say about the instance.
type State struct {
	PID       int      // from the lock file; 0 when none
	Process   *Process // nil when no such live process
	Listening bool     // the lock owner listens on the client port
	isMaster  bool     // Process has the master's name
}

// Running reports a live mfsmaster owning the lock.
func (s State) Running() bool { return s.Process != nil && s.isMaster }

// State reads the lock file and the process it names, without forking.
func (m *Master) State() (State, error) {
	pid, err := ReadLockPID(m.Cfg.LockPath())
	if errors.Is(err, ErrNoLock) {
		return State{}, nil
	}
	if err != nil {
		return State{}, err
	}
	st := State{PID: pid}
	if st.Process, err = m.Host.Process(pid); err != nil {
		return st, err
	}
	name := m.Name
	if name == "" {
		name = "mfsmaster"
	}
	// The data writer child has the same name, but only the lock owner's
	// pid is ever looked at.
	st.isMaster = st.Process != nil && st.Process.Comm == name
	if st.Running() && !st.Process.Stopped() {
		if st.Listening, err = m.Host.Listening(pid, m.Cfg.Matocl.Port); err != nil {
			return st, err
		}
	}
	return st, nil
}

// Metadata describes what DATA_PATH holds, to decide how to start.
type Metadata struct {
	Current   bool // metadata.mfs: written by a clean stop
	Back      bool // metadata.mfs.back: the running copy, left by a crash
	Changelog bool // changelog.*.mfs
}

// NeedsRecovery is the state after any crash or unclean failover: no
// metadata.mfs, but what `mfsmaster -a` rebuilds it from.
func (md Metadata) NeedsRecovery() bool { return !md.Current && (md.Back || md.Changelog) }

// Empty means DATA_PATH holds no metadata at all.
func (md Metadata) Empty() bool { return !md.Current && !md.Back && !md.Changelog }

// ReadMetadata looks at DATA_PATH.
func (m *Master) ReadMetadata() (Metadata, error) {
	var md Metadata
	entries, err := os.ReadDir(m.Cfg.DataPath)
	if err != nil {
		return md, err
	}
	for _, e := range entries {
		n := e.Name()
		switch {
		case n == "metadata.mfs":
			md.Current = true
		case n == "metadata.mfs.back" || strings.HasPrefix(n, "metadata.mfs.back."):
			md.Back = true
		case strings.HasPrefix(n, "changelog.") && strings.HasSuffix(n, ".mfs"):
			md.Changelog = true
		}
	}
	return md, nil
}

func (m *Master) argv(args ...string) []string {
	return append([]string{"-c", m.Config}, args...)
}

// Start runs `mfsmaster -c CONFIG [-a] start`, which returns once the
// daemon has loaded its metadata or failed to. recover adds -a: rebuild
// metadata.mfs from metadata.mfs.back and the changelogs.
func (m *Master) Start(ctx context.Context, recover bool) error {
	args := m.argv("start")
	if recover {
		args = m.argv("-a", "start")
	}
	res, err := m.Runner.Run(ctx, m.Binary, args...)
	if err != nil {
		return fmt.Errorf("%s %s: %w", m.Binary, strings.Join(args, " "), err)
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("%s %s: exit %d: %s", m.Binary, strings.Join(args, " "), res.ExitCode, lastLines(res.Stdout+res.Stderr))
	}
	return nil
}

// Stop runs `mfsmaster -c CONFIG stop`, which asks the master to store its
// metadata and waits for it to exit.
func (m *Master) Stop(ctx context.Context) error {
	_, err := runner.Check(ctx, m.Runner, m.Binary, m.argv("stop")...)
	return err
}

// Signal sends sig to pid; a process already gone is not an error.
func Signal(pid int, sig syscall.Signal) error {
	err := syscall.Kill(pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// WaitGone waits until pid is no longer a live process or ctx ends.
func (h *Host) WaitGone(ctx context.Context, pid int) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		p, err := h.Process(pid)
		if err == nil && p == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pid %d still running: %w", pid, ctx.Err())
		case <-t.C:
		}
	}
}

// lastLines keeps the end of a command's output for an error message: the
// reason mfsmaster gives is on its last lines.
func lastLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 3 {
		lines = lines[len(lines)-3:]
	}
	return strings.Join(lines, "; ")
}

// DataPathProblem says why DATA_PATH cannot hold a running master's files
// for the working user, or "" when it can. As root, access(2) says yes to
// anything but a read-only mount, so ownership and mode are checked for the
// user mfsmaster switches to.
func DataPathProblem(dir string, uid, gid int) string {
	st, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Sprintf("DATA_PATH %s does not exist", dir)
		}
		return fmt.Sprintf("DATA_PATH %s: %v", dir, err)
	}
	if !st.IsDir() {
		return fmt.Sprintf("DATA_PATH %s is not a directory", dir)
	}
	if err := syscall.Access(dir, 2 /* W_OK */); err != nil {
		return fmt.Sprintf("DATA_PATH %s is not writable: %v", dir, err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || uid <= 0 {
		return ""
	}
	mode := st.Mode().Perm()
	switch {
	case int(sys.Uid) == uid:
		if mode&0o200 == 0 {
			return fmt.Sprintf("DATA_PATH %s is not writable by its owner", dir)
		}
	case int(sys.Gid) == gid:
		if mode&0o020 == 0 {
			return fmt.Sprintf("DATA_PATH %s is not writable by group %d", dir, gid)
		}
	case mode&0o002 == 0:
		return fmt.Sprintf("DATA_PATH %s is not writable by uid %d (owner %d, group %d, mode %o)", dir, uid, sys.Uid, sys.Gid, mode)
	}
	return ""
}
