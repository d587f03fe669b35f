package drbdproc

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// Finding 6: on DRBD 9 a resource is healthy only when every peer of every
// volume is Connected, UpToDate, with nothing out of sync. The events2
// inputs are synthetic (testdata/README.md): the lab runs DRBD 8.4.

func finding6Events2(t *testing.T, name string) []Device {
	t.Helper()
	devs, err := ParseEvents2(bytes.NewReader(testdata(t, name)))
	require.NoError(t, err)
	return devs
}

func TestFinding6StandAlonePeerIsNotHealthy(t *testing.T) {
	devs := finding6Events2(t, "constructed-drbd9-three-nodes-one-standalone.node1.events2.txt")
	require.Len(t, devs, 1)
	d := devs[0]
	require.Len(t, d.Peers, 2)
	assert.Equal(t, "Connected", d.Peers[0].CState)
	assert.Equal(t, "StandAlone", d.Peers[1].CState)
	assert.Equal(t, uint64(36), d.Peers[1].OOS)
	assert.False(t, d.Healthy(), "node3 is StandAlone: node2 being Connected does not make r0 healthy")
	assert.False(t, d.Connected(), "not every peer is connected")
	assert.Equal(t, uint64(36), d.Counters.OOS, "the most any peer is out of sync")
}

func TestFinding6OutOfSyncOnAnyVolume(t *testing.T) {
	devs := finding6Events2(t, "constructed-drbd9-connected-oos-two-volumes.node1.events2.txt")
	require.Len(t, devs, 2)
	assert.True(t, devs[0].Healthy())
	assert.Equal(t, uint64(4), devs[1].Peers[0].OOS)
	assert.False(t, devs[1].Healthy(), "an online verify found 4 KiB different on volume 1")

	devs = finding6Events2(t, "constructed-drbd9-resynced-two-volumes.node2.events2.txt")
	for _, d := range devs {
		assert.True(t, d.Healthy(), "minor %d", d.Minor)
	}
}

// Status and resolve ask for the statistics, without which events2 prints
// no out-of-sync amount; the resource agent's monitor does not need them.
func TestFinding6SourceStatistics(t *testing.T) {
	proc := filepath.Join(t.TempDir(), "drbd")
	require.NoError(t, os.WriteFile(proc, []byte("version: 9.2.4 (api:2/proto:86-121)\n"), 0o644))
	ev := testdata(t, "constructed-drbd9-connected-oos-two-volumes.node1.events2.txt")
	f := (&runner.Fake{}).On("drbdsetup events2 --now --statistics", runner.OK(string(ev)))
	st, err := (&Source{Path: proc, Runner: f, Statistics: true}).Read(context.Background())
	require.NoError(t, err)
	require.Len(t, st.Devices, 2)
	assert.False(t, st.Devices[1].Healthy())
	assert.Equal(t, []string{"drbdsetup events2 --now --statistics"}, f.Calls())
}

// get-gi prints a line per volume; resolve checks every one.
func TestFinding6ParseGIsEveryVolume(t *testing.T) {
	gis, err := ParseGIs("447587AF7406EB39:194E1EFA3EFDD2D2:81F741E321FC1D56:0000000000000004:1:1:1:0:0:0:0\n" +
		"194E1EFA3EFDD2D3:0000000000000000:81F741E321FC1D57:0000000000000004:1:1:0:0:0:0:0\n")
	require.NoError(t, err)
	require.Len(t, gis, 2)
	assert.Equal(t, "447587AF7406EB39", gis[0].Current)
	assert.Equal(t, "0000000000000000", gis[1].Bitmap)
	_, err = ParseGIs("nothing here\n")
	assert.ErrorIs(t, err, ErrFileParse)
	_, err = ParseGIs("447587AF7406EB39:194E1EFA3EFDD2D2:81F741E321FC1D56:0000000000000004:2\n")
	assert.ErrorIs(t, err, ErrFileParse)
}
