// Package mfs is the domain client for a MooseFS master and metalogger: the
// verbs the agent needs (start, restore, stop, version, a protocol probe on
// the client port) and the metadata files they leave. What the node's files
// and /proc say about a daemon is package local's, which mfs re-exports.
package mfs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/ocf-mfs/ocf-mfs/internal/mfs/local"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// State is what the lock and /proc say about the instance.
type State = local.State

// State finds the holder of DATA_PATH/.mfsmaster.lock the way mfsmaster
// does, without forking; see local.Host.MasterState.
func (m *Master) State() (State, error) { return m.Host.MasterState(m.Cfg, m.Name) }

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
	// Metarestore is MooseFS 1.6's recovery program, "mfsmetarestore"
	// when empty.
	Metarestore string
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

// Start runs `mfsmaster -c CONFIG start`, which returns once the daemon
// has loaded its metadata or failed to. recover first rebuilds
// metadata.mfs from metadata.mfs.back and the changelogs: with
// `mfsmaster -a` from MooseFS 1.7 on, and with `mfsmetarestore -a -d
// DATA_PATH` before (1.6 has no -a and rejects it with its usage).
func (m *Master) Start(ctx context.Context, v Version, recover bool) error {
	args := m.argv("start")
	if recover && v.AtLeast(1, 7, 0) {
		args = m.argv("-a", "start")
	} else if recover {
		restore := m.Metarestore
		if restore == "" {
			restore = "mfsmetarestore"
		}
		if err := m.run(ctx, restore, "-a", "-d", m.Cfg.DataPath); err != nil {
			return err
		}
	}
	return m.run(ctx, m.Binary, args...)
}

func (m *Master) run(ctx context.Context, bin string, args ...string) error {
	res, err := m.Runner.Run(ctx, bin, args...)
	if err != nil {
		return fmt.Errorf("%s %s: %w", bin, strings.Join(args, " "), err)
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("%s %s: exit %d: %s", bin, strings.Join(args, " "), res.ExitCode, lastLines(res.Stdout+res.Stderr))
	}
	return nil
}

// Version runs `mfsmaster -v`.
func (m *Master) Version(ctx context.Context) (Version, error) {
	res, err := m.Runner.Run(ctx, m.Binary, "-v")
	if err != nil {
		return Version{}, fmt.Errorf("%s -v: %w", m.Binary, err)
	}
	v, err := ParseVersion(res.Stdout + res.Stderr)
	if err != nil {
		return Version{}, fmt.Errorf("%s -v: %w", m.Binary, err)
	}
	return v, nil
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
