package local

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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

// Host reads processes and sockets from a proc file system: the agent's
// own readers of the few files it needs (procstat.go, nettcp.go), not
// prometheus/procfs, whose package init compiles dozens of regexps at
// every start of the agent, that is at every monitor.
type Host struct {
	root string
	// readlink is os.Readlink; tests count the links a question reads.
	readlink func(string) (string, error)
}

// NewHost opens the proc file system mounted at root ("/proc", or a tree
// of the same layout). Outcomes: the host; an error when root is not a
// directory (wrapping os.ErrNotExist when it does not exist).
func NewHost(root string) (*Host, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", root)
	}
	return &Host{root: root, readlink: os.Readlink}, nil
}

// stat reads root/PID/stat. Outcomes: its fields; an error wrapping
// os.ErrNotExist when no process has that pid; an error wrapping
// ErrFileParse; any other error of the read.
func (h *Host) stat(pid string) (procStat, error) {
	f, err := os.Open(filepath.Join(h.root, pid, "stat"))
	if err != nil {
		return procStat{}, err
	}
	defer f.Close()
	return parseProcStat(f)
}

// Process returns the process, or nil when no process has that pid (or it
// is a zombie, which is as good as gone).
func (h *Host) Process(pid int) (*Process, error) {
	st, err := h.stat(strconv.Itoa(pid))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	if st.State == "Z" || st.State == "X" {
		return nil, nil
	}
	return &Process{ProcID: ProcID{PID: pid, Start: st.Start}, PPID: st.PPID, Comm: st.Comm, State: st.State}, nil
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
	names, err := readDirNames(h.root)
	if err != nil {
		return nil, err
	}
	var out []ProcID
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue // not a process: "net", "locks", ...
		}
		// A process that exits meanwhile, or a file that does not parse,
		// is no live child.
		st, err := h.stat(n)
		if err != nil || st.PPID != parent.PID || st.Comm != comm || st.State == "Z" {
			continue
		}
		// A child starts after its parent: a process with an older start
		// time is the child of an earlier owner of the pid.
		if st.Start >= parent.Start {
			out = append(out, ProcID{PID: pid, Start: st.Start})
		}
	}
	return out, nil
}

// Listening reports whether pid owns a listening TCP socket on port (IPv4
// or IPv6). The kernel's listeners on the port come first (sock_diag, or
// /proc/net/tcp{,6} where that is missing or root is not /proc); then
// pid's descriptors are read in order until one is such a socket. A busy
// master holds a descriptor per connection, thousands, but opened its
// listeners at start among its first, and the monitor asks at every run.
// It costs no fork and no connection. Outcomes: the answer
// (false, without reading pid's descriptors, when nothing listens on
// port); an error when pid's descriptors cannot be read (wrapping
// os.ErrNotExist when it does not exist); an error of reading or parsing
// /proc/net/tcp (its absence means no IPv4 listener; IPv6's file is
// optional altogether).
func (h *Host) Listening(pid, port int) (bool, error) {
	want, err := h.listenersOn(port)
	if err != nil || len(want) == 0 {
		return false, err
	}
	found := false
	err = h.eachFD(pid, listenerFDs, func(l fdLink) bool {
		if s, ok := strings.CutPrefix(l.Target, "socket:["); ok {
			ino, err := strconv.ParseUint(strings.TrimSuffix(s, "]"), 10, 64)
			found = err == nil && want[ino]
		}
		return !found
	})
	return found, err
}

// listenersOn returns the inodes of the TCP sockets listening on port.
func (h *Host) listenersOn(port int) (map[uint64]bool, error) {
	if h.root == "/proc" {
		// This machine's own sockets: ask the kernel for listeners only.
		// A kernel without sock_diag for TCP still has /proc/net/tcp.
		if ls, err := listeners(port); err == nil {
			return ls, nil
		}
	}
	v4, err := h.netTCP("tcp")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	// A kernel without IPv6 has no tcp6.
	v6, _ := h.netTCP("tcp6")
	want := map[uint64]bool{}
	for _, s := range append(v4, v6...) {
		if s.State == tcpListen && int(s.LocalPort) == port {
			want[s.Inode] = true
		}
	}
	return want, nil
}

// fdLink is one open descriptor of a process: its root/PID/fd/N path and
// what the kernel says it points at.
type fdLink struct{ Path, Target string }

// listenerFDs is how many of the master's first descriptors Listening
// reads by number before it lists the rest: mfsmaster opens its listeners
// and lock file at start, among its first dozen, and a connection's
// descriptor after.
const listenerFDs = 64

// eachFD calls fn with pid's open descriptors in numeric order until fn
// returns false; one closed meanwhile is left out. The first byNumber
// descriptors are read by number, which spares listing a table of
// thousands when what is looked for is there, but costs a failed
// readlink for each that is not open: 0 lists at once. Outcomes: nil; an
// error when root/PID/fd cannot be listed (wrapping os.ErrNotExist when
// the process is gone).
func (h *Host) eachFD(pid, byNumber int, fn func(fdLink) bool) error {
	dir := filepath.Join(h.root, strconv.Itoa(pid), "fd")
	link := func(fd int) bool {
		path := filepath.Join(dir, strconv.Itoa(fd))
		t, err := h.readlink(path)
		return err != nil || fn(fdLink{Path: path, Target: t})
	}
	for fd := 0; fd < byNumber; fd++ {
		if !link(fd) {
			return nil
		}
	}
	names, err := readDirNames(dir)
	if err != nil {
		return err
	}
	fds := make([]int, 0, len(names))
	for _, n := range names {
		if fd, err := strconv.Atoi(n); err == nil && fd >= byNumber {
			fds = append(fds, fd)
		}
	}
	slices.Sort(fds)
	for _, fd := range fds {
		if !link(fd) {
			return nil
		}
	}
	return nil
}

// netTCP reads root/net/tcp or root/net/tcp6 (see parseNetTCP).
func (h *Host) netTCP(name string) ([]tcpSocket, error) {
	f, err := os.Open(filepath.Join(h.root, "net", name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseNetTCP(f)
}

// readDirNames lists dir unsorted: /proc holds a directory a process, and
// the agent looks at every one anyway.
func readDirNames(dir string) ([]string, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}
