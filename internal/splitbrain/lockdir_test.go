package splitbrain

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
)

// Finding 4: the lock lived in world-writable /run/lock and was opened
// without O_NOFOLLOW: another user could hold it for ever, or make root
// truncate a file of their choice through a symlink.
func TestLockDirIsPrivate(t *testing.T) {
	assert.False(t, strings.HasPrefix(LockDir, "/run/lock"), "a world-writable directory: %s", LockDir)

	t.Run("created 0700", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "drbd-splitbrain")
		l, err := TryLock(LockPath(dir, "r0"))
		require.NoError(t, err)
		l.Release()
		st, err := os.Lstat(dir)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), st.Mode().Perm())
	})
	t.Run("world-writable dir refused", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.Chmod(dir, 0o1777))
		_, err := TryLock(LockPath(dir, "r0"))
		assert.ErrorIs(t, err, ErrUnsafeLockDir)
	})
	t.Run("dir owned by another user refused", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root to chown")
		}
		dir := t.TempDir()
		require.NoError(t, os.Chown(dir, 65534, 65534))
		_, err := TryLock(LockPath(dir, "r0"))
		assert.ErrorIs(t, err, ErrUnsafeLockDir)
	})
	t.Run("symlinked dir refused", func(t *testing.T) {
		base := t.TempDir()
		real := filepath.Join(base, "real")
		require.NoError(t, os.Mkdir(real, 0o700))
		link := filepath.Join(base, "link")
		require.NoError(t, os.Symlink(real, link))
		_, err := TryLock(LockPath(link, "r0"))
		assert.ErrorIs(t, err, ErrUnsafeLockDir)
	})
	t.Run("symlinked lock file not followed", func(t *testing.T) {
		dir := t.TempDir()
		victim := filepath.Join(t.TempDir(), "precious")
		require.NoError(t, os.WriteFile(victim, []byte("keep me\n"), 0o644))
		require.NoError(t, os.Symlink(victim, LockPath(dir, "r0")))
		_, err := TryLock(LockPath(dir, "r0"))
		assert.Error(t, err)
		b, _ := os.ReadFile(victim)
		assert.Equal(t, "keep me\n", string(b))
	})
}

// Finding 4: the backup's file names are built from the resource and the
// host name; neither may lead outside the backup directory.
func TestBackupNameStaysInDir(t *testing.T) {
	src := filepath.Join(t.TempDir(), "disk")
	require.NoError(t, os.WriteFile(src, []byte("data"), 0o600))
	dir := t.TempDir()
	at := func() time.Time { return time.Date(2026, 11, 24, 21, 45, 0, 0, time.UTC) }
	img, err := Backuper{Now: at}.Backup(context.Background(), src, dir, Manifest{Resource: "r0", Node: "../../evil/node", Device: drbdproc.Device{}})
	require.NoError(t, err)
	assert.Equal(t, dir, filepath.Dir(img))
	assert.Equal(t, "r0-.._.._evil_node-20261124T214500Z.img", filepath.Base(img))
}
