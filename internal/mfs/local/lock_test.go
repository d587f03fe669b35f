package local

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseLocksRealCapture(t *testing.T) {
	f, err := os.Open("testdata/proc-locks.txt")
	require.NoError(t, err)
	defer f.Close()
	locks, err := parseLocks(f)
	require.NoError(t, err)
	require.NotEmpty(t, locks)
	for _, l := range locks {
		assert.Positive(t, l.PID)
		assert.NotZero(t, l.Inode)
	}
	_, err = parseLocks(stringsReader("1: POSIX  ADVISORY  WRITE x fe:00:1 0 EOF\n"))
	assert.Error(t, err)
}

// Finding 5 at the lowest level: nothing under DATA_PATH is followed,
// blocked on or read without bound.
func TestLockFileReadsAreBounded(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	zero := filepath.Join(dir, "zero")
	require.NoError(t, os.Symlink("/dev/zero", zero))
	for _, p := range []string{fifo, zero} {
		_, err := ReadLockPID(p)
		assert.ErrorIs(t, err, ErrNotRegular, p)
		_, err = LockOwner(p)
		assert.ErrorIs(t, err, ErrNotRegular, p)
	}
	big := filepath.Join(dir, "big")
	require.NoError(t, os.WriteFile(big, make([]byte, 10000), 0o644))
	_, err := ReadLockPID(big)
	assert.ErrorContains(t, err, "longer than")
}

// Finding 6 at the lowest level: a ProcID whose start time is not the
// process's is another process; it is neither waited for nor signalled.
func TestReusedPidIsNeitherWaitedForNorSignalled(t *testing.T) {
	h, err := NewHost("/proc")
	require.NoError(t, err)
	cmd := exec.Command("sleep", "30")
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	p, err := h.Process(cmd.Process.Pid)
	require.NoError(t, err)
	stale := ProcID{PID: p.PID, Start: p.Start - 1}

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	assert.NoError(t, h.WaitGone(ctx, stale), "the process of a stale ProcID is gone")
	require.NoError(t, h.Signal(stale, syscall.SIGTERM))
	select {
	case <-done:
		t.Fatal("a stale ProcID's signal reached the pid's new process")
	case <-time.After(300 * time.Millisecond):
	}
	require.NoError(t, h.Signal(p.ProcID, syscall.SIGTERM))
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("the right ProcID's signal did not arrive")
	}
	assert.NoError(t, h.Signal(p.ProcID, syscall.SIGTERM), "a gone process is not an error")
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
