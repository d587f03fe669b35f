package marker

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMarkersRecordLoadClear(t *testing.T) {
	m := Store{Dir: filepath.Join(t.TempDir(), "sb")}
	got, err := m.Load("r0")
	require.NoError(t, err)
	assert.Nil(t, got, "no marker yet")

	at := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	require.NoError(t, m.Record(Marker{Resource: "r0", Minors: []int{0}, Peer: "node2", PeerAddress: "169.254.77.2", DetectedAt: at}))
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
	m := Store{Dir: filepath.Join(dir, "sb")}
	require.NoError(t, m.Record(Marker{Resource: "../../etc/evil", DetectedAt: time.Now()}))
	entries, err := os.ReadDir(m.Dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	_, err = os.Stat(filepath.Join(dir, "etc"))
	assert.True(t, os.IsNotExist(err))
}

func TestMarkersCorruptFile(t *testing.T) {
	m := Store{Dir: t.TempDir()}
	require.NoError(t, os.WriteFile(filepath.Join(m.Dir, "r0.json"), []byte("{"), 0o644))
	_, err := m.Load("r0")
	assert.ErrorContains(t, err, "r0.json")
}
