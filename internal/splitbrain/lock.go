package splitbrain

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// LockDir is where resolve and the handlers keep their lock files: a
// directory of their own, 0700 and owned by root, not the world-writable
// /run/lock, where any user could hold our lock for ever or plant a
// symlink for root to truncate.
const LockDir = "/run/drbd-splitbrain"

// LockPath is the lock of a resolve run for res.
func LockPath(dir, res string) string {
	return filepath.Join(dir, "drbd-splitbrain."+strings.ReplaceAll(res, "/", "_")+".lock")
}

// ErrLocked is wrapped when another run holds the lock.
var ErrLocked = errors.New("locked by another run")

// Lock is a held flock; Release drops it.
type Lock struct{ f *os.File }

// TryLock takes an exclusive flock on path without waiting and writes our
// pid into it. When another process holds it, the error wraps ErrLocked and
// names the pid that file says holds it. A flock dies with its process, so a
// crashed run never leaves a stale lock.
//
// The directory is created 0700 when missing, and refused (ErrUnsafeLockDir)
// when it is a symlink, not ours, or writable by group or others. The file
// is opened without following a symlink and must be a regular file of ours.
func TryLock(path string) (*Lock, error) {
	if err := privateDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := ownedRegular(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		raw := make([]byte, 32)
		n, _ := f.ReadAt(raw, 0)
		raw = raw[:n]
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := strings.TrimSpace(string(raw))
			if _, perr := strconv.Atoi(holder); perr != nil {
				holder = "unknown"
			}
			return nil, fmt.Errorf("lock %s: %w (pid %s)", path, ErrLocked, holder)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &Lock{f: f}, nil
}

// WaitLock retries TryLock until it succeeds or ctx ends; the handlers use
// it so that concurrent kernel callbacks run one after the other, within a
// bound.
func WaitLock(ctx context.Context, path string) (*Lock, error) {
	for {
		l, err := TryLock(path)
		if err == nil || !errors.Is(err, ErrLocked) {
			return l, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w", err, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Release drops the lock. The file stays: removing it would race with a
// waiter that already opened it.
func (l *Lock) Release() {
	if l != nil && l.f != nil {
		_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
		l.f.Close()
	}
}

// ErrUnsafeLockDir is wrapped when the lock directory is not private.
var ErrUnsafeLockDir = errors.New("lock directory is not private to root")

// privateDir makes sure dir is a directory only we (root) can write:
// created 0700 when missing; refused when a symlink, owned by another
// user, or writable by group or others.
func privateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	switch {
	case st.Mode()&os.ModeSymlink != 0:
		return fmt.Errorf("%w: %s is a symlink", ErrUnsafeLockDir, dir)
	case !st.IsDir():
		return fmt.Errorf("%w: %s is not a directory", ErrUnsafeLockDir, dir)
	case !ok || int(sys.Uid) != os.Geteuid():
		return fmt.Errorf("%w: %s is not owned by uid %d", ErrUnsafeLockDir, dir, os.Geteuid())
	case st.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("%w: %s is writable by group or others (%v)", ErrUnsafeLockDir, dir, st.Mode().Perm())
	}
	return nil
}

// ownedRegular refuses a lock file that is not a regular file of ours
// with a single link (a hard link to another file would be truncated).
func ownedRegular(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !st.Mode().IsRegular() || !ok || int(sys.Uid) != os.Geteuid() || sys.Nlink != 1 {
		return fmt.Errorf("%w: %s is not a private regular file", ErrUnsafeLockDir, f.Name())
	}
	return nil
}
