package drbdproc

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/runner"
	"github.com/ocf-mfs/ocf-mfs/test/lab/captures"
)

func TestParseGIShowAndGet(t *testing.T) {
	gi, err := ParseGI(captures.Read(t, "connected.node1.drbdadm-show-gi.txt"))
	require.NoError(t, err)
	assert.Equal(t, &GI{Current: "194E1EFA3EFDD2D3", Bitmap: "0000000000000000", History1: "81F741E321FC1D57",
		History2: "0000000000000004", Flags: []int{1, 1, 1, 1, 0, 0, 0}}, gi)
	assert.False(t, gi.Empty())

	gi, err = ParseGI(captures.Read(t, "split-brain.node2.drbdadm-get-gi.txt"))
	require.NoError(t, err)
	assert.Len(t, gi.Flags, 7)
	assert.NotEqual(t, "0000000000000000", gi.Bitmap, "a split-brain node keeps a bitmap UUID")
}

func TestParseGIErrors(t *testing.T) {
	for _, in := range []string{"", "flags: Primary", "1:2:3:4", "194E1EFA3EFDD2D3:0000000000000000:81F741E321FC1D57:0000000000000004:1:7"} {
		_, err := ParseGI(in)
		assert.ErrorIs(t, err, ErrFileParse, "%q", in)
	}
	gi, err := ParseGI("0000000000000004:0000000000000000:0000000000000000:0000000000000000:0:0:0:0:0:0:0\n")
	require.NoError(t, err)
	assert.True(t, gi.Empty())
}

func events(t *testing.T, name string) []Device {
	t.Helper()
	devs, err := ParseEvents2(strings.NewReader(captures.Read(t, name+".drbdsetup-events2-now.txt")))
	require.NoError(t, err)
	require.Len(t, devs, 1)
	return devs
}

func TestParseEvents2(t *testing.T) {
	tests := []struct{ file, cs, role, peerRole, disk, peerDisk string }{
		{"connected.node1", "Connected", "Primary", "Secondary", "UpToDate", "UpToDate"},
		{"inconsistent.node1", "Connected", "Secondary", "Secondary", "Inconsistent", "Inconsistent"},
		{"partitioned.node2", "Connecting", "Secondary", "Unknown", "UpToDate", "DUnknown"},
		{"split-brain.node1", "StandAlone", "Primary", "Unknown", "UpToDate", "DUnknown"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			d := events(t, tt.file)[0]
			require.Len(t, d.Peers, 1, "two-node lab: one peer")
			p := d.Peers[0]
			assert.Equal(t, []string{tt.cs, tt.peerRole, tt.peerDisk}, []string{p.CState, p.Role, p.Disk}, "the one peer is the summary")
			d.Peers = nil
			assert.Equal(t, Device{Minor: 0, Resource: "r0", CState: tt.cs, Role: tt.role, PeerRole: tt.peerRole,
				Disk: tt.disk, PeerDisk: tt.peerDisk}, d)
		})
	}
	// A resync shows as the replication state, as /proc/drbd names it.
	cs := events(t, "syncing.node1")[0].CState
	assert.Contains(t, []string{"SyncSource", "SyncTarget"}, cs)
}

func TestParseEvents2Shapes(t *testing.T) {
	in := `exists resource name:b role:Secondary suspended:no
exists device name:b volume:0 minor:7 disk:UpToDate
exists resource name:a role:Primary suspended:no
exists connection name:a peer-node-id:1 connection:Connected role:Secondary
exists device name:a volume:1 minor:3 disk:UpToDate
exists peer-device name:a peer-node-id:1 volume:1 replication:SyncSource peer-disk:Inconsistent
exists -
`
	devs, err := ParseEvents2(strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, devs, 2)
	assert.Equal(t, Device{Minor: 3, Resource: "a", Volume: 1, CState: "SyncSource", Role: "Primary", PeerRole: "Secondary",
		Disk: "UpToDate", PeerDisk: "Inconsistent",
		Peers: []Peer{{NodeID: 1, CState: "SyncSource", Replication: "SyncSource", Role: "Secondary", Disk: "Inconsistent"}}}, devs[0])
	assert.Equal(t, Device{Minor: 7, Resource: "b", CState: "StandAlone", Role: "Secondary", PeerRole: "Unknown",
		Disk: "UpToDate", PeerDisk: "DUnknown"}, devs[1], "no connection object means StandAlone")

	for _, bad := range []string{"exists\n", "exists device name:a minor\n", "exists device name:a minor:x\n"} {
		_, err := ParseEvents2(strings.NewReader(bad))
		assert.ErrorIs(t, err, ErrFileParse, "%q", bad)
	}
}

// Synthetic input in the shape of events2: a three-node DRBD 9 mesh with two
// volumes. The lab runs two nodes, so no capture has several peers.
func TestParseEvents2EveryPeerEveryVolume(t *testing.T) {
	in := `exists resource name:m role:Primary suspended:no
exists connection name:m peer-node-id:1 conn-name:b connection:Connected role:Secondary
exists connection name:m peer-node-id:2 conn-name:c connection:Connecting role:Unknown
exists device name:m volume:0 minor:10 disk:UpToDate
exists device name:m volume:1 minor:11 disk:UpToDate
exists peer-device name:m peer-node-id:1 conn-name:b volume:0 replication:Established peer-disk:UpToDate
exists peer-device name:m peer-node-id:1 conn-name:b volume:1 replication:SyncSource peer-disk:Inconsistent
exists peer-device name:m peer-node-id:2 conn-name:c volume:0 replication:Off peer-disk:DUnknown
exists peer-device name:m peer-node-id:2 conn-name:c volume:1 replication:Off peer-disk:DUnknown
exists -
`
	devs, err := ParseEvents2(strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, devs, 2)
	assert.Equal(t, []Peer{
		{NodeID: 1, Name: "b", CState: "Connected", Replication: "Established", Role: "Secondary", Disk: "UpToDate"},
		{NodeID: 2, Name: "c", CState: "Connecting", Replication: "Off", Role: "Unknown", Disk: "DUnknown"},
	}, devs[0].Peers)
	assert.Equal(t, []Peer{
		{NodeID: 1, Name: "b", CState: "SyncSource", Replication: "SyncSource", Role: "Secondary", Disk: "Inconsistent"},
		{NodeID: 2, Name: "c", CState: "Connecting", Replication: "Off", Role: "Unknown", Disk: "DUnknown"},
	}, devs[1].Peers)
	assert.Equal(t, "SyncSource", devs[1].CState, "the summary is the first peer")

	st := &Status{Devices: devs}
	res := st.Resources()
	require.Len(t, res, 1)
	assert.Equal(t, "m", res[0].Name)
	assert.Equal(t, []int{10, 11}, []int{res[0].Volumes[0].Minor, res[0].Volumes[1].Minor})
	v, ok := st.Volume("m", 1)
	assert.True(t, ok)
	assert.Equal(t, 11, v.Minor)
	_, ok = st.Volume("m", 2)
	assert.False(t, ok)
}

func TestSourceReadsProcOnDRBD8WithoutForking(t *testing.T) {
	f := &runner.Fake{}
	st, err := (&Source{Path: "testdata/lab84-03-split-brain.node1.txt", Runner: f}).Read(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "StandAlone", st.Devices[0].CState)
	assert.Empty(t, f.Calls())
}

func TestSourceAsksDrbdsetupOnDRBD9(t *testing.T) {
	proc := filepath.Join(t.TempDir(), "drbd")
	require.NoError(t, os.WriteFile(proc, []byte("version: 9.2.4 (api:2/proto:86-121)\n"), 0o644))
	ev := captures.Read(t, "connected.node2.drbdsetup-events2-now.txt")
	f := (&runner.Fake{}).On("drbdsetup events2 --now", runner.OK(ev))
	st, err := (&Source{Path: proc, Runner: f}).Read(context.Background())
	require.NoError(t, err)
	require.Len(t, st.Devices, 1)
	assert.Equal(t, "r0", st.Devices[0].Resource)
	assert.Equal(t, []string{"drbdsetup events2 --now"}, f.Calls())

	f = (&runner.Fake{}).On("drbdsetup events2 --now", runner.Exit(20, "boom"))
	_, err = (&Source{Path: proc, Runner: f}).Read(context.Background())
	assert.Error(t, err)
}

// Handlers read one minor from /proc/drbd and never fork drbdsetup.
func TestSourceNoForkDevice(t *testing.T) {
	src := &Source{Path: "testdata/lab84-03-split-brain.node1.txt", NoFork: true}
	d, err := DeviceOf(context.Background(), src, 0)
	require.NoError(t, err)
	assert.Equal(t, []string{"StandAlone", "Primary", "Unknown"}, []string{d.CState, d.Role, d.PeerRole})
	d, err = DeviceOf(context.Background(), src, 3)
	require.NoError(t, err)
	assert.Equal(t, "Unconfigured", d.CState)

	_, err = DeviceOf(context.Background(), &Source{Path: filepath.Join(t.TempDir(), "none"), NoFork: true}, 0)
	assert.ErrorIs(t, err, os.ErrNotExist)
	bad := filepath.Join(t.TempDir(), "drbd")
	require.NoError(t, os.WriteFile(bad, []byte("not drbd\n"), 0o644))
	_, err = DeviceOf(context.Background(), &Source{Path: bad, NoFork: true}, 0)
	assert.ErrorIs(t, err, ErrFileParse)
	assert.ErrorContains(t, err, bad)

	proc9 := filepath.Join(t.TempDir(), "drbd9")
	require.NoError(t, os.WriteFile(proc9, []byte("version: 9.2.4 (api:2/proto:86-121)\n"), 0o644))
	f := &runner.Fake{}
	d, err = DeviceOf(context.Background(), &Source{Path: proc9, Runner: f, NoFork: true}, 0)
	require.NoError(t, err)
	assert.Equal(t, "Unconfigured", d.CState)
	assert.Empty(t, f.Calls())
}

func TestSourceMissingModule(t *testing.T) {
	_, err := (&Source{Path: filepath.Join(t.TempDir(), "drbd")}).Read(context.Background())
	assert.ErrorIs(t, err, os.ErrNotExist)
}
