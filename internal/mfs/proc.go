package mfs

import (
	"errors"
	"os"
	"strconv"
	"strings"

	"github.com/prometheus/procfs"
)

// ProcID names one process for its whole life: its pid and its start time
// (clock ticks after boot, field 22 of /proc/PID/stat). A pid reused by
// another process comes with another start time, so every wait and signal
// of the agent goes through a ProcID, never a bare pid.
type ProcID struct {
	PID   int
	Start uint64
}

// Process is what the monitor needs to know about a pid.
type Process struct {
	ProcID
	PPID  int
	Comm  string // "mfsmaster"
	State string // one letter: R, S, D, T (stopped), t (traced), Z...
}

// Stopped reports a process frozen by SIGSTOP or a debugger: alive, but it
// serves nobody.
func (p *Process) Stopped() bool { return p.State == "T" || p.State == "t" }

// Host reads processes and sockets from /proc through prometheus/procfs.
type Host struct {
	fs   procfs.FS
	root string
}

// NewHost opens the proc file system mounted at root ("/proc").
func NewHost(root string) (*Host, error) {
	fs, err := procfs.NewFS(root)
	if err != nil {
		return nil, err
	}
	return &Host{fs: fs, root: root}, nil
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
	return &Process{ProcID: ProcID{PID: pid, Start: st.Starttime}, PPID: st.PPID, Comm: st.Comm, State: st.State}, nil
}

// Same returns the process id names, or nil when it has exited or its pid
// now belongs to another process.
func (h *Host) Same(id ProcID) (*Process, error) {
	p, err := h.Process(id.PID)
	if err != nil || p == nil || p.Start != id.Start {
		return nil, err
	}
	return p, nil
}

// Children returns the live children of parent named comm: the data
// writer mfsmaster forks from 3.0 on. Its process group is not the
// master's pid, so only its own pid reaches it.
func (h *Host) Children(parent ProcID, comm string) ([]ProcID, error) {
	procs, err := h.fs.AllProcs()
	if err != nil {
		return nil, err
	}
	var out []ProcID
	for _, p := range procs {
		st, err := p.Stat()
		if err != nil || st.PPID != parent.PID || st.Comm != comm || st.State == "Z" {
			continue
		}
		// A child starts after its parent: a process with an older start
		// time is the child of an earlier owner of the pid.
		if st.Starttime >= parent.Start {
			out = append(out, ProcID{PID: p.PID, Start: st.Starttime})
		}
	}
	return out, nil
}

// Listening reports whether pid owns a listening TCP socket on port (IPv4
// or IPv6): the socket inodes of its descriptors are matched against the
// kernel's listening sockets (sock_diag, or /proc/net/tcp{,6} where that is
// missing or root is not /proc), which costs no fork and no connection.
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
	if h.root == "/proc" {
		// This machine's own sockets: ask the kernel for listeners only.
		// A kernel without sock_diag for TCP still has /proc/net/tcp.
		if ls, err := listeners(port); err == nil {
			for n := range ls {
				if inodes[n] {
					return true, nil
				}
			}
			return false, nil
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
