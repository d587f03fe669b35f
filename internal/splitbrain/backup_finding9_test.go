package splitbrain

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// Finding 9: a backup checks for room before it writes, leaves no partial
// image when it fails, and syncs its sidecars and the directory.

var finding9At = func() time.Time { return time.Date(2026, 11, 24, 21, 45, 0, 0, time.UTC) }

// finding9Disk writes a small fake backing device of n bytes, none zero, so
// that the image is not sparse and really takes n bytes.
func finding9Disk(t *testing.T, n int) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "vdb")
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i%251 + 1)
	}
	require.NoError(t, os.WriteFile(src, data, 0o600))
	return src
}

func finding9Empty(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	assert.Empty(t, names, "a failed backup must leave nothing behind")
}

func TestFinding9BackupRefusesWithoutRoom(t *testing.T) {
	src := finding9Disk(t, 3<<20)
	dir := t.TempDir()
	var asked string
	b := Backuper{Now: finding9At, Statfs: func(d string) (uint64, error) {
		asked = d
		return 3 << 20, nil // the image fits, its sidecars do not
	}}
	_, err := b.Backup(context.Background(), src, dir, Manifest{Resource: "r0", Node: "node2"})
	require.ErrorIs(t, err, ErrNoSpace)
	assert.Contains(t, err.Error(), "3 MiB device")
	assert.Equal(t, dir, asked)
	finding9Empty(t, dir)

	b.Statfs = func(string) (uint64, error) { return 0, syscall.EIO }
	_, err = b.Backup(context.Background(), src, dir, Manifest{Resource: "r0", Node: "node2"})
	require.ErrorIs(t, err, syscall.EIO, "unknown free space is no permission to write")
	finding9Empty(t, dir)

	b.Statfs = func(string) (uint64, error) { return 4 << 20, nil }
	img, err := b.Backup(context.Background(), src, dir, Manifest{Resource: "r0", Node: "node2"})
	require.NoError(t, err)
	assert.FileExists(t, img)
}

// The block device's size comes from blockdev --getsize64 (stat says 0 for
// a block device); a device that yields fewer bytes than that, as a disk
// failing mid-read, leaves no image. A FIFO stands in for the device.
func TestFinding9BackupShortReadLeavesNothing(t *testing.T) {
	src := filepath.Join(t.TempDir(), "vdb")
	require.NoError(t, syscall.Mkfifo(src, 0o600))
	go func() {
		f, err := os.OpenFile(src, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.Write(make([]byte, 2<<20-5))
		f.Write([]byte("tail!"))
		f.Close()
	}()
	fake := (&runner.Fake{}).On("blockdev --getsize64 "+src, runner.OK("4194304\n"))
	dir := t.TempDir()
	b := Backuper{Runner: fake, Now: finding9At, Statfs: func(string) (uint64, error) { return 1 << 40, nil }}
	_, err := b.Backup(context.Background(), src, dir, Manifest{Resource: "r0", Node: "node2"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "read 2097152 bytes of a 4194304-byte device")
	assert.Equal(t, []string{"blockdev --getsize64 " + src}, fake.Calls())
	finding9Empty(t, dir)
}

// A real full disk mid-copy: a 1 MiB tmpfs whose free space Statfs
// overstates, so the write itself fails with ENOSPC. Needs root to mount.
func TestFinding9BackupFullDiskLeavesNothing(t *testing.T) {
	src := finding9Disk(t, 4<<20)
	mnt := filepath.Join(t.TempDir(), "mnt")
	require.NoError(t, os.Mkdir(mnt, 0o700))
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount a tmpfs (not root?): %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(mnt, 0) })
	b := Backuper{Now: finding9At, Statfs: func(string) (uint64, error) { return 1 << 40, nil }}
	_, err := b.Backup(context.Background(), src, mnt, Manifest{Resource: "r0", Node: "node2"})
	require.Error(t, err)
	assert.True(t, errors.Is(err, syscall.ENOSPC), "%v", err)
	finding9Empty(t, mnt)

	// The real statfs sees the 1 MiB and refuses before writing.
	b.Statfs = nil
	_, err = b.Backup(context.Background(), src, mnt, Manifest{Resource: "r0", Node: "node2"})
	require.ErrorIs(t, err, ErrNoSpace)
	finding9Empty(t, mnt)
}

func TestFinding9BackupSyncsEverything(t *testing.T) {
	src := finding9Disk(t, 1<<20+3)
	dir := t.TempDir()
	var synced []string
	b := Backuper{Now: finding9At, fsync: func(f *os.File) error {
		st, err := f.Stat()
		require.NoError(t, err)
		name := filepath.Base(f.Name())
		if st.IsDir() {
			name = "dir"
		}
		synced = append(synced, name)
		return f.Sync()
	}}
	img, err := b.Backup(context.Background(), src, dir, Manifest{Resource: "r0", Node: "node2"})
	require.NoError(t, err)
	require.Len(t, synced, 4, "%v", synced)
	assert.Regexp(t, `^\.r0-node2-20261124T214500Z\.img\.\d+\.partial$`, synced[0])
	assert.Regexp(t, `^\.r0-node2-20261124T214500Z\.img\.sha256\.\d+\.partial$`, synced[1])
	assert.Regexp(t, `^\.r0-node2-20261124T214500Z\.img\.json\.\d+\.partial$`, synced[2])
	assert.Equal(t, "dir", synced[3], "the directory is synced after the renames")
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	base := filepath.Base(img)
	assert.ElementsMatch(t, []string{base, base + ".sha256", base + ".json"}, names)

	// A failed sync of the directory leaves nothing either.
	dir2 := t.TempDir()
	b.fsync = func(f *os.File) error {
		if st, _ := f.Stat(); st != nil && st.IsDir() {
			return syscall.EIO
		}
		return nil
	}
	_, err = b.Backup(context.Background(), src, dir2, Manifest{Resource: "r0", Node: "node2"})
	require.ErrorIs(t, err, syscall.EIO)
	finding9Empty(t, dir2)
}
