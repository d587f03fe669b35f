package drbdproc

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Quorum and intentionally diskless clients, in the format of DRBD 9's
// `drbdsetup events2 --now` (synthetic lines: the lab runs DRBD 8.4, whose
// events2 prints neither).
func TestEvents2QuorumAndClients(t *testing.T) {
	in := `exists resource name:r0 role:Secondary suspended:no
exists connection name:r0 peer-node-id:1 conn-name:b connection:Connected role:Primary
exists connection name:r0 peer-node-id:2 conn-name:c connection:Connected role:Secondary
exists device name:r0 volume:0 minor:0 disk:Diskless client:yes quorum:no
exists peer-device name:r0 peer-node-id:1 conn-name:b volume:0 replication:Established peer-disk:UpToDate peer-client:no
exists peer-device name:r0 peer-node-id:2 conn-name:c volume:0 replication:Established peer-disk:Diskless peer-client:yes
exists -
`
	devs, err := ParseEvents2(strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, devs, 1)
	d := devs[0]
	assert.True(t, d.Client)
	assert.True(t, d.NoQuorum)
	require.Len(t, d.Peers, 2)
	assert.False(t, d.Peers[0].Client)
	assert.True(t, d.Peers[1].Client)

	devs, err = ParseEvents2(strings.NewReader(strings.NewReplacer("client:yes quorum:no", "client:no quorum:yes").Replace(in)))
	require.NoError(t, err)
	assert.False(t, devs[0].Client)
	assert.False(t, devs[0].NoQuorum)
}
