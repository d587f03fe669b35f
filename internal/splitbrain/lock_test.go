package splitbrain

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLockExcludesAndNamesHolder(t *testing.T) {
	path := LockPath(t.TempDir(), "r0")
	assert.Equal(t, "drbd-splitbrain.r0.lock", filepath.Base(path))
	l, err := TryLock(path)
	require.NoError(t, err)
	raw, _ := os.ReadFile(path)
	assert.Equal(t, fmt.Sprintf("%d\n", os.Getpid()), string(raw))

	// flock is per open file description: a second open in this process
	// conflicts exactly as another process would.
	_, err = TryLock(path)
	assert.ErrorIs(t, err, ErrLocked)
	assert.ErrorContains(t, err, fmt.Sprintf("(pid %d)", os.Getpid()))

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = WaitLock(ctx, path)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	l.Release()
	l2, err := WaitLock(context.Background(), path)
	require.NoError(t, err)
	l2.Release()
}

func TestLockUnwritableDir(t *testing.T) {
	// The lock directory is created, but not its parents.
	_, err := TryLock(filepath.Join(t.TempDir(), "missing", "deeper", "x.lock"))
	assert.Error(t, err)
	assert.NotErrorIs(t, err, ErrLocked)
}
