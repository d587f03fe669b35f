package splitbrain

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A /proc/mounts as the lab's node1 shows it with the filesystem of r0
// mounted (the ext4 on /dev/drbd0 at /data), plus a mount point with a space.
const labMounts = `none / overlay rw,relatime 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
/dev/drbd0 /data ext4 rw,relatime 0 0
/dev/drbd1 /srv/other\040dir ext4 rw,relatime 0 0
`

func TestProbeUsage(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "proc/4242/fd"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "proc/99/fd"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "proc/self"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "proc/mounts"), []byte(labMounts), 0o644))
	require.NoError(t, os.Symlink("/dev/drbd0", filepath.Join(root, "proc/4242/fd/3")))
	require.NoError(t, os.Symlink("/var/log/syslog", filepath.Join(root, "proc/99/fd/1")))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "sys/block/drbd0/holders/dm-3"), 0o755))

	u, err := ProbeUsage(root, 0)
	require.NoError(t, err)
	assert.Equal(t, []string{"/data"}, u.Mounts)
	assert.Equal(t, []string{"dm-3"}, u.Holders)
	assert.Equal(t, []int{4242}, u.PIDs)
	assert.True(t, u.InUse())
	assert.Equal(t, "mounted on /data; held by dm-3; open by pid [4242]", u.String())

	u1, err := ProbeUsage(root, 1)
	require.NoError(t, err)
	assert.Equal(t, []string{"/srv/other dir"}, u1.Mounts)
	assert.Empty(t, u1.PIDs)

	u2, err := ProbeUsage(root, 2)
	require.NoError(t, err)
	assert.False(t, u2.InUse())
	assert.Equal(t, "not in use", u2.String())
}

func TestProbeUsageMissingProc(t *testing.T) {
	_, err := ProbeUsage(t.TempDir(), 0)
	assert.Error(t, err)
}

func TestParseMountsIgnoresGarbage(t *testing.T) {
	got := parseMounts(strings.NewReader("\nonefield\n/dev/drbd0 /a\\04 x\n"), func(d string) bool { return d == "/dev/drbd0" })
	assert.Equal(t, []string{`/a\04`}, got)
}
