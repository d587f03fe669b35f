package local

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ErrNoLock means DATA_PATH holds no usable lock file: mfsmaster never ran
// there, or the file is empty (MooseFS before 2.0.30 never writes its pid).
var ErrNoLock = errors.New("no mfsmaster lock file")

// ErrNotRegular is wrapped by every error about a file under DATA_PATH that
// is not a regular file (a FIFO, a device, a symlink): the mfs user owns
// DATA_PATH, and the agent, running as root, must neither block on nor
// follow what it finds there.
var ErrNotRegular = errors.New("not a regular file")

// maxSmallFile bounds what the agent reads of a lock or state file.
const maxSmallFile = 4096

// OpenRegular opens path for reading without following a final symlink and
// without blocking (a FIFO opens at once), and only when it is a regular
// file. Outcomes: the open file; an error wrapping os.ErrNotExist; an error
// wrapping ErrNotRegular; any other error of open or fstat.
func OpenRegular(path string) (*os.File, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("%s is a symlink: %w", path, ErrNotRegular)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is a %s: %w", path, fileType(st.Mode()), ErrNotRegular)
	}
	return f, nil
}

func fileType(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "FIFO"
	case m&os.ModeDevice != 0:
		return "device"
	case m&os.ModeSocket != 0:
		return "socket"
	case m.IsDir():
		return "directory"
	}
	return "special file"
}

// ReadSmallFile reads at most max bytes of a regular file, never following
// a final symlink nor blocking on a FIFO (see OpenRegular for the errors).
// A longer file is an error: the files the agent reads are a line long.
func ReadSmallFile(path string, max int64) ([]byte, error) {
	f, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is longer than %d bytes", path, max)
	}
	return b, nil
}

// ReadLockPID returns the pid mfsmaster wrote into its lock file
// ("30916\n"), from MooseFS 2.0.30 on. It is only a hint: a clean stop
// leaves the file behind with the old pid, 1.6 leaves it empty, and
// anyone with the mfs user's rights can rewrite it. LockOwner is the truth.
// Outcomes: the pid; ErrNoLock for a missing or empty file; an error
// wrapping ErrNotRegular; an error for text that is not a pid.
func ReadLockPID(path string) (int, error) {
	b, err := ReadSmallFile(path, maxSmallFile)
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

// LockOwner asks the kernel which process holds the fcntl lock on path,
// the way mfsmaster itself finds a running instance (mfscommon/main.c,
// mylock: F_GETLK after a refused F_SETLK) on every version from 1.6 to
// 4.x. Outcomes: the owner's pid; 0 when nobody holds it; ErrNoLock when
// the file does not exist; an error wrapping ErrNotRegular; any other
// error of open or fcntl.
func LockOwner(path string) (int, error) {
	f, err := OpenRegular(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, ErrNoLock
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	// F_GETLK needs no write access: a read-only descriptor can ask about a
	// write lock.
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return 0, fmt.Errorf("F_GETLK %s: %w", path, err)
	}
	if lk.Type == syscall.F_UNLCK {
		return 0, nil
	}
	return int(lk.Pid), nil
}

// posixLock is one POSIX lock of /proc/locks.
type posixLock struct {
	PID   int
	Dev   string // "fe:00", as in /proc/locks
	Inode uint64
}

// parseLocks reads /proc/locks and returns its POSIX write locks (those
// mfsmaster takes); waiting locks ("->") and flock/lease entries are left
// out.
func parseLocks(r io.Reader) ([]posixLock, error) {
	var out []posixLock
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// 1: POSIX  ADVISORY  WRITE 25815 fe:00:9978257 0 EOF
		if len(f) < 6 || f[1] != "POSIX" || f[3] != "WRITE" {
			continue
		}
		pid, err := strconv.Atoi(f[4])
		if err != nil {
			return nil, fmt.Errorf("/proc/locks: %q: %w", sc.Text(), err)
		}
		i := strings.LastIndexByte(f[5], ':')
		if i < 0 {
			return nil, fmt.Errorf("/proc/locks: %q: no inode", sc.Text())
		}
		ino, err := strconv.ParseUint(f[5][i+1:], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("/proc/locks: %q: %w", sc.Text(), err)
		}
		out = append(out, posixLock{PID: pid, Dev: f[5][:i], Inode: ino})
	}
	return out, sc.Err()
}

// LockHolder returns the process holding mfsmaster's lock at lockPath, or
// nil when there is none. The kernel's answer (LockOwner) comes first;
// when the file is missing, not a regular file or unlocked, the master
// can still hold the lock on the file it opened before someone removed or
// replaced it, so /proc/locks is searched for a process holding a write
// lock on a file of that name that it has open. Outcomes: the holder; nil
// and nil; nil and an error wrapping ErrNotRegular when the path is not a
// regular file and nobody holds such a lock; nil and any other error.
func (h *Host) LockHolder(lockPath string) (*Process, error) {
	pid, err := LockOwner(lockPath)
	if err == nil && pid > 0 {
		return h.Process(pid)
	}
	if err != nil && !errors.Is(err, ErrNoLock) && !errors.Is(err, ErrNotRegular) {
		return nil, err
	}
	p, ferr := h.holderByName(lockPath)
	if ferr != nil || p != nil {
		return p, ferr
	}
	if errors.Is(err, ErrNotRegular) {
		return nil, err
	}
	return nil, nil
}

// holderByName finds, through /proc/locks and the holders' descriptors, a
// process holding a POSIX write lock on a file it opened as path (the
// kernel marks it " (deleted)" once unlinked).
func (h *Host) holderByName(path string) (*Process, error) {
	if dir, err := filepath.EvalSymlinks(filepath.Dir(path)); err == nil {
		path = filepath.Join(dir, filepath.Base(path))
	}
	f, err := os.Open(filepath.Join(h.root, "locks"))
	if err != nil {
		return nil, err
	}
	locks, err := parseLocks(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	for _, l := range locks {
		held := false
		// An error: the process exited, or is another pid namespace's.
		_ = h.eachFD(l.PID, 0, func(fd fdLink) bool {
			if fd.Target == path || fd.Target == path+" (deleted)" {
				var st syscall.Stat_t
				held = syscall.Stat(fd.Path, &st) == nil && st.Ino == l.Inode
			}
			return !held
		})
		if held {
			return h.Process(l.PID)
		}
	}
	return nil, nil
}
