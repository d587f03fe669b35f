package mfs

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/prometheus/procfs"
)

// ErrNoLock means DATA_PATH holds no usable lock file: mfsmaster never ran
// there, or the file is empty.
var ErrNoLock = errors.New("no mfsmaster lock file")

// ReadLockPID returns the pid mfsmaster wrote into its lock file
// ("30916\n"). A clean stop leaves the file behind with the old pid, so the
// pid must still be checked against the running processes.
func ReadLockPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, ErrNoLock
	}
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return 0, ErrNoLock
	}
	pid, err := strconv.Atoi(s)
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s: %q is not a pid", path, s)
	}
	return pid, nil
}

// Process is what the monitor needs to know about a pid.
type Process struct {
	PID   int
	Comm  string // "mfsmaster"
	State string // one letter: R, S, D, T (stopped), t (traced), Z...
	Cmd   []string
}

// Stopped reports a process frozen by SIGSTOP or a debugger: alive, but it
// serves nobody.
func (p *Process) Stopped() bool { return p.State == "T" || p.State == "t" }

// Host reads processes and sockets from /proc through prometheus/procfs.
type Host struct{ fs procfs.FS }

// NewHost opens the proc file system mounted at root ("/proc").
func NewHost(root string) (*Host, error) {
	fs, err := procfs.NewFS(root)
	if err != nil {
		return nil, err
	}
	return &Host{fs: fs}, nil
}

// Process returns the process, or nil when no process has that pid (or it
// is a zombie, which is as good as gone).
func (h *Host) Process(pid int) (*Process, error) {
	p, err := h.fs.Proc(pid)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	st, err := p.Stat()
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	if st.State == "Z" || st.State == "X" {
		return nil, nil
	}
	cmd, _ := p.CmdLine()
	return &Process{PID: pid, Comm: st.Comm, State: st.State, Cmd: cmd}, nil
}

// Listening reports whether pid owns a listening TCP socket on port (IPv4
// or IPv6): the socket inodes of its descriptors are matched against
// /proc/net/tcp{,6}, which costs no fork and no connection.
func (h *Host) Listening(pid, port int) (bool, error) {
	p, err := h.fs.Proc(pid)
	if err != nil {
		return false, err
	}
	targets, err := p.FileDescriptorTargets()
	if err != nil {
		return false, err
	}
	inodes := map[uint64]bool{}
	for _, t := range targets {
		if s, ok := strings.CutPrefix(t, "socket:["); ok {
			if n, err := strconv.ParseUint(strings.TrimSuffix(s, "]"), 10, 64); err == nil {
				inodes[n] = true
			}
		}
	}
	const listen = 0x0A // TCP_LISTEN in /proc/net/tcp's st column
	//lint:ignore SA1019 the suggested netlink replacement is another dependency; /proc/net/tcp is exact here
	v4, err := h.fs.NetTCP()
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	//lint:ignore SA1019 as above
	v6, _ := h.fs.NetTCP6()
	for _, l := range append(v4, v6...) {
		if l.St == listen && l.LocalPort == uint64(port) && inodes[l.Inode] {
			return true, nil
		}
	}
	return false, nil
}

// FindMasters returns the pids of mfsmaster processes started with config
// ("-c CONFIG" on their command line, or no -c at all when config is
// mfsmaster's default). Stop uses it when the configuration cannot be read
// and the lock file cannot be found.
func (h *Host) FindMasters(config string) ([]int, error) {
	procs, err := h.fs.AllProcs()
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, p := range procs {
		comm, err := p.Comm()
		if err != nil || comm != "mfsmaster" {
			continue
		}
		cmd, err := p.CmdLine()
		if err != nil || len(cmd) == 0 {
			continue
		}
		if usesConfig(cmd, config) {
			pids = append(pids, p.PID)
		}
	}
	return pids, nil
}

func usesConfig(cmd []string, config string) bool {
	for i, a := range cmd {
		switch {
		case a == "-c" && i+1 < len(cmd):
			return cmd[i+1] == config
		case strings.HasPrefix(a, "-c") && len(a) > 2:
			return a[2:] == config
		}
	}
	return config == DefaultConfig
}
