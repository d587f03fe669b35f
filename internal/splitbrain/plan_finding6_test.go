package splitbrain

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
)

// Finding 6 with finding 7: a survivor has "no changes since the split"
// only when no volume has any; one changed volume holds writes the peer
// lacks.
func TestFinding6NoChangesOnEveryVolume(t *testing.T) {
	unchanged := &drbdproc.GI{Current: "194E1EFA3EFDD2D3", Bitmap: "0000000000000000", History1: "81F741E321FC1D57", History2: "0000000000000004"}
	changed := &drbdproc.GI{Current: "447587AF7406EB39", Bitmap: "194E1EFA3EFDD2D2", History1: "81F741E321FC1D56", History2: "0000000000000004"}
	v0 := dev("StandAlone", "Secondary", "UpToDate", 0)
	v1 := v0
	v1.Minor, v1.Volume = 1, 1
	f := Facts{Resource: "r0", Node: "node1", Device: v0, GI: unchanged,
		Volumes: []drbdproc.Device{v0, v1}, GIs: []*drbdproc.GI{unchanged, changed}}
	p, r := Decide(f, Options{Choice: KeepLocal})
	require.Nil(t, r, "volume 1 changed since the split")
	assert.Equal(t, Survivor, p.Role)

	f.GIs = []*drbdproc.GI{unchanged, unchanged}
	_, r = Decide(f, Options{Choice: KeepLocal})
	require.NotNil(t, r)
	assert.Contains(t, r.Reason, "no changes since the split")

	// Identifiers of only some volumes say nothing.
	f.GIs = []*drbdproc.GI{unchanged}
	_, r = Decide(f, Options{Choice: KeepLocal})
	assert.Nil(t, r)
}
