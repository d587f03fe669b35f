package splitbrain

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMarkersRecordLoadClear(t *testing.T) {
	m := Markers{Dir: filepath.Join(t.TempDir(), "sb")}
	got, err := m.Load("r0")
	require.NoError(t, err)
	assert.Nil(t, got, "no marker yet")

	at := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	require.NoError(t, m.Record("r0", HandlerEnv{Resource: "r0", Minors: []int{0}, Peer: "node2", PeerAddress: "169.254.77.2"}, at))
	got, err = m.Load("r0")
	require.NoError(t, err)
	assert.Equal(t, &Marker{Resource: "r0", Minors: []int{0}, Peer: "node2", PeerAddress: "169.254.77.2", DetectedAt: at}, got)

	require.NoError(t, m.Clear("r0"))
	require.NoError(t, m.Clear("r0"), "clearing twice is fine")
	got, err = m.Load("r0")
	require.NoError(t, err)
	assert.Nil(t, got)
}

func TestMarkersStayInsideDir(t *testing.T) {
	dir := t.TempDir()
	m := Markers{Dir: filepath.Join(dir, "sb")}
	require.NoError(t, m.Record("../../etc/evil", HandlerEnv{}, time.Now()))
	entries, err := os.ReadDir(m.Dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	_, err = os.Stat(filepath.Join(dir, "etc"))
	assert.True(t, os.IsNotExist(err))
}

func TestMarkersCorruptFile(t *testing.T) {
	m := Markers{Dir: t.TempDir()}
	require.NoError(t, os.WriteFile(filepath.Join(m.Dir, "r0.json"), []byte("{"), 0o644))
	_, err := m.Load("r0")
	assert.ErrorContains(t, err, "r0.json")
}

func TestKernelSplitBrainsFromLabDmesg(t *testing.T) {
	split, err := os.ReadFile("testdata/split-brain.node1.dmesg.txt")
	require.NoError(t, err)
	assert.Equal(t, map[int]bool{0: true}, KernelSplitBrains(strings.NewReader(string(split))))

	recovered, err := os.ReadFile("testdata/recovered.node1.dmesg.txt")
	require.NoError(t, err)
	assert.Empty(t, KernelSplitBrains(strings.NewReader(string(recovered))), "manually solved, then Connected")

	kmsg := "6,812,37175533,-;block drbd3: Split-Brain detected, 1 primaries, automatically solved. Sync from peer node\n" +
		"3,813,37175534,-;block drbd4: Split-Brain detected, dropping connection!\n"
	assert.Equal(t, map[int]bool{4: true}, KernelSplitBrains(strings.NewReader(kmsg)))
}
