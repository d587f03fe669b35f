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

// LockDir is where resolve and the handlers keep their lock files.
const LockDir = "/run/lock"

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
func TryLock(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		raw, _ := os.ReadFile(path)
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
