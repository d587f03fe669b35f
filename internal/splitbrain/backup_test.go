package splitbrain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
)

func TestBackupIsSparseAndChecksummed(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "vdb")
	// 8 MiB "disk": data in block 0, a hole, data in block 5, zeros to the end.
	data := make([]byte, 8<<20)
	copy(data, "survivor? no: the victim's writes")
	copy(data[5<<20+17:], "more victim data")
	require.NoError(t, os.WriteFile(src, data, 0o600))

	at := time.Date(2026, 11, 24, 21, 0, 0, 0, time.UTC)
	m := Manifest{Resource: "r0", Node: "node2", Device: drbdproc.Device{CState: "StandAlone", Counters: drbdproc.Counters{OOS: 36}},
		GI: &drbdproc.GI{Current: "447587AF7406EB39"}}
	b := Backuper{Now: func() time.Time { return at }}
	img, err := b.Backup(context.Background(), src, filepath.Join(dir, "sb"), m)
	require.NoError(t, err)
	assert.Equal(t, "r0-node2-20261124T210000Z.img", filepath.Base(img))

	got, err := os.ReadFile(img)
	require.NoError(t, err)
	assert.Equal(t, data, got)

	var st syscall.Stat_t
	require.NoError(t, syscall.Stat(img, &st))
	assert.Less(t, st.Blocks*512, int64(len(data))/2, "zero blocks must be holes")

	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	line, err := os.ReadFile(img + ".sha256")
	require.NoError(t, err)
	assert.Equal(t, want+"  r0-node2-20261124T210000Z.img\n", string(line))

	var man Manifest
	raw, err := os.ReadFile(img + ".json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &man))
	assert.Equal(t, want, man.SHA256)
	assert.Equal(t, int64(len(data)), man.Size)
	assert.Equal(t, src, man.Source)
	assert.Equal(t, "447587AF7406EB39", man.GI.Current)
	assert.Equal(t, uint64(36), man.Device.Counters.OOS)

	// A second backup in the same second must not overwrite the first.
	_, err = b.Backup(context.Background(), src, filepath.Join(dir, "sb"), m)
	assert.Error(t, err)
}

func TestBackupMissingSource(t *testing.T) {
	_, err := Backuper{}.Backup(context.Background(), filepath.Join(t.TempDir(), "nope"), t.TempDir(), Manifest{Resource: "r0"})
	assert.Error(t, err)
}
