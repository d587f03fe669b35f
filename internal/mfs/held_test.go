package mfs

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/mfs/mfstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProbeConnReadsTheMastersMetaVersion(t *testing.T) {
	ans, err := os.ReadFile("testdata/matocl-info-3.0.117-metaversion21.bin")
	require.NoError(t, err)
	info, err := probeConn(&rw{in: bytes.NewReader(ans)})
	require.NoError(t, err)
	assert.True(t, info.HasMetaVersion)
	assert.Equal(t, uint64(21), info.MetaVersion, "20 changes made, the next is 21")
}

func TestMetaVersionOfUnknownLayoutIsNotGuessed(t *testing.T) {
	_, ok := metaVersionOf(2, make([]byte, 149))
	assert.False(t, ok, "2.0's layout was never checked")
	_, ok = metaVersionOf(3, make([]byte, 100))
	assert.False(t, ok)
	// Synthetic 4.x body: the version at byte 125, as matoclserv_info of
	// 4.57.5 puts it.
	body := make([]byte, 205)
	binary.BigEndian.PutUint64(body[125:], 4242)
	v, ok := metaVersionOf(4, body)
	assert.True(t, ok)
	assert.Equal(t, uint64(4242), v)
}

func TestParseLastChangeOfRealMetaloggerChangelog(t *testing.T) {
	b, err := os.ReadFile("testdata/changelog_ml.0.mfs-3.0.117")
	require.NoError(t, err)
	v, ok := ParseLastChange(b)
	assert.True(t, ok)
	assert.Equal(t, uint64(20), v)
	// A change still being written (no newline yet) does not count.
	v, ok = ParseLastChange(append(b, []byte("21: 1795786504|ACQU")...))
	assert.True(t, ok)
	assert.Equal(t, uint64(20), v)
}

func TestParseLastChangeWithoutACompleteChange(t *testing.T) {
	for name, s := range map[string]string{
		"empty": "", "partial": "12: CREATE(", "no version": "garbage\n", "only newline": "\n",
	} {
		_, ok := ParseLastChange([]byte(s))
		assert.False(t, ok, name)
	}
}

func TestMetadataVersionOfRealFiles(t *testing.T) {
	v, id, err := MetadataVersion("testdata/metadata.mfs-3.0.117-v21")
	require.NoError(t, err)
	assert.Equal(t, uint64(21), v)
	assert.Equal(t, uint64(0x6b09870132cbfbd2), id)
	v, _, err = MetadataVersion("testdata/metadata_ml.tmp-3.0.117-new")
	require.NoError(t, err)
	assert.Equal(t, uint64(1), v, "MFSM NEW")
}

func TestMetadataVersionRefusesATruncatedFile(t *testing.T) {
	b, err := os.ReadFile("testdata/metadata.mfs-3.0.117-v21")
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "metadata_ml.mfs.back")
	require.NoError(t, os.WriteFile(p, b[:len(b)-100], 0o600))
	_, _, err = MetadataVersion(p)
	assert.ErrorIs(t, err, ErrMetadataFile)
	require.NoError(t, os.WriteFile(p, []byte("MFSM 2.x"), 0o600))
	_, _, err = MetadataVersion(p)
	assert.ErrorIs(t, err, ErrMetadataFile)
}

func TestReadHeldMetaloggerOfANewFileSystem(t *testing.T) {
	dir := t.TempDir()
	mfstest.CopyFixture(t, "testdata/metadata_ml.tmp-3.0.117-new", dir, "metadata_ml.tmp")
	mfstest.CopyFixture(t, "testdata/changelog_ml.0.mfs-3.0.117", dir, "changelog_ml.0.mfs")
	h, err := ReadHeld(dir, MetaloggerFiles)
	require.NoError(t, err)
	assert.Equal(t, Held{Next: 21, From: "changelog_ml.0.mfs"}, h)
}

func TestReadHeldNeedsAMetadataFile(t *testing.T) {
	dir := t.TempDir()
	mfstest.CopyFixture(t, "testdata/changelog_ml.0.mfs-3.0.117", dir, "changelog_ml.0.mfs")
	h, err := ReadHeld(dir, MetaloggerFiles)
	require.NoError(t, err)
	assert.Zero(t, h.Next, "mfsmaster -a cannot start from changelogs alone")
	// A metadata_ml.tmp cut short is a download in progress, not metadata.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "metadata_ml.tmp"), []byte("MFSM 2.0\x00\x00"), 0o600))
	h, err = ReadHeld(dir, MetaloggerFiles)
	require.NoError(t, err)
	assert.Zero(t, h.Next)
}

func TestReadHeldMasterAfterCleanStop(t *testing.T) {
	dir := t.TempDir()
	mfstest.CopyFixture(t, "testdata/metadata.mfs-3.0.117-v21", dir, "metadata.mfs")
	h, err := ReadHeld(dir, MasterFiles)
	require.NoError(t, err)
	assert.Equal(t, uint64(21), h.Next)
	assert.Equal(t, "metadata.mfs", h.From)
	h, err = ReadHeld(dir, MetaloggerFiles)
	require.NoError(t, err)
	assert.Zero(t, h.Next, "the master's files are not the metalogger's")
}

func TestIsMetadataFile(t *testing.T) {
	for _, n := range []string{"metadata.mfs", "metadata.mfs.back", "metadata.mfs.back.1", "metadata_ml.mfs.back",
		"metadata_ml.tmp", "changelog.0.mfs", "changelog.12.mfs", "changelog_ml.3.mfs", "changelog_ml_back.1.mfs"} {
		assert.True(t, IsMetadataFile(n), n)
	}
	for _, n := range []string{"metadata.mfs.empty", "sessions.mfs", "stats.mfs", ".mfsmaster.lock", "changelog.x.mfs",
		"changelog.1.mfs.gz", "set-aside-20250101-000000"} {
		assert.False(t, IsMetadataFile(n), n)
	}
}

func TestSetAsideMovesOnlyMetadataIntoADatedFolder(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"metadata.mfs.back", "changelog.0.mfs", "changelog_ml.0.mfs", "metadata.mfs.empty", "stats.mfs", ".mfsmaster.lock"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte(n), 0o600))
	}
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	folder, err := SetAside(dir, now)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "set-aside-20250304-050607"), folder)
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	assert.ElementsMatch(t, []string{folder, filepath.Join(dir, "metadata.mfs.empty"), filepath.Join(dir, "stats.mfs"), filepath.Join(dir, ".mfsmaster.lock")}, left)
	moved, _ := filepath.Glob(filepath.Join(folder, "*"))
	assert.Len(t, moved, 3)
	// Twice in the same second: a second folder, nothing overwritten.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "changelog.0.mfs"), []byte("again"), 0o600))
	folder2, err := SetAside(dir, now)
	require.NoError(t, err)
	assert.Equal(t, folder+".1", folder2)
	// Nothing to move: no folder.
	folder3, err := SetAside(dir, now)
	require.NoError(t, err)
	assert.Empty(t, folder3)
}

func TestCopyMetadataRenamesAndSkips(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	mfstest.CopyFixture(t, "testdata/metadata.mfs-3.0.117-v21", src, "metadata.mfs")
	require.NoError(t, os.WriteFile(filepath.Join(src, "changelog.0.mfs"), []byte("1: x\n"), 0o600))
	done, err := CopyMetadata(src, dst, -1, -1, MetaloggerName)
	require.NoError(t, err)
	assert.Equal(t, []string{"metadata_ml.mfs.back"}, done)
	h, err := ReadHeld(dst, MetaloggerFiles)
	require.NoError(t, err)
	assert.Equal(t, uint64(21), h.Next, "a demoted master's stored metadata seeds its metalogger")
}
