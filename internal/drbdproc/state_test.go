package drbdproc

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The vocabulary as the agent, the planner and status used it before it
// moved here, state by state.
func TestStateVocabulary(t *testing.T) {
	tests := []struct {
		cs                                           string
		configured, connected, resyncing, connecting bool
	}{
		{"", false, false, false, false},
		{"Unconfigured", false, false, false, false},
		{"StandAlone", true, false, false, false},
		{"WFConnection", true, false, false, true},
		{"Connecting", true, false, false, true},
		{"Unconnected", true, false, false, true},
		{"NetworkFailure", true, false, false, true},
		{"Disconnecting", true, false, false, true},
		{"Connected", true, true, false, false},
		{"SyncSource", true, true, true, false},
		{"SyncTarget", true, true, true, false},
		{"PausedSyncS", true, true, true, false},
		{"VerifyS", true, true, true, false},
		{"WFBitMapT", true, true, true, false},
		{"WFSyncUUID", true, true, true, false},
		{"StartingSyncT", true, true, true, false},
		{"Ahead", true, true, false, false},
		{"Behind", true, true, false, false},
	}
	for _, tt := range tests {
		d := Device{CState: tt.cs}
		assert.Equal(t, tt.configured, d.Configured(), "%s configured", tt.cs)
		assert.Equal(t, tt.connected, d.Connected(), "%s connected", tt.cs)
		assert.Equal(t, tt.resyncing, d.Resyncing(), "%s resyncing", tt.cs)
		assert.Equal(t, tt.connecting, d.Connecting(), "%s connecting", tt.cs)
	}
	assert.True(t, Device{CState: "Connected", Disk: "UpToDate", PeerDisk: "UpToDate"}.Healthy())
	assert.False(t, Device{CState: "SyncSource", Disk: "UpToDate", PeerDisk: "UpToDate"}.Healthy())
	assert.False(t, Device{CState: "Connected", Disk: "UpToDate", PeerDisk: "Outdated"}.Healthy())
}

func TestPeerListOfDRBD8(t *testing.T) {
	st := parseFile(t, "lab84-01-connected.node1.txt")
	assert.Equal(t, []Peer{{NodeID: -1, CState: "Connected", Role: "Secondary", Disk: "UpToDate"}}, st.Devices[0].PeerList())
	assert.Empty(t, Device{Minor: 1, CState: "Unconfigured"}.PeerList())
}

type readerFunc func(context.Context) (*Status, error)

func (f readerFunc) Read(ctx context.Context) (*Status, error) { return f(ctx) }

func TestDeviceOf(t *testing.T) {
	st := parseFile(t, "lab84-03-split-brain.node1.txt")
	r := readerFunc(func(context.Context) (*Status, error) { return st, nil })
	d, err := DeviceOf(context.Background(), r, 0)
	require.NoError(t, err)
	assert.Equal(t, "StandAlone", d.CState)
	d, err = DeviceOf(context.Background(), r, 5)
	require.NoError(t, err)
	assert.Equal(t, Device{Minor: 5, CState: "Unconfigured"}, d, "a minor not listed is down")
	_, err = DeviceOf(context.Background(), readerFunc(func(context.Context) (*Status, error) { return nil, errors.New("gone") }), 0)
	assert.ErrorContains(t, err, "gone")
}

func TestNameFillsOnlyUnnamed(t *testing.T) {
	st := &Status{Devices: []Device{{Minor: 0}, {Minor: 1, Resource: "keep"}, {Minor: 2}}}
	st.Name(map[int]string{0: "r0", 1: "other"})
	assert.Equal(t, []string{"r0", "keep", ""}, []string{st.Devices[0].Resource, st.Devices[1].Resource, st.Devices[2].Resource})
}
