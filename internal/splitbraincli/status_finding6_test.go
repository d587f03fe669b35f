package splitbraincli

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Finding 6: status on DRBD 9 reports every peer of every volume, and a
// resource is healthy only when all of them are. The events2 inputs are
// synthetic (drbdproc/testdata/README.md).

// readFile returns the file at path: this package's testdata/ (an earlier
// lab run, testdata/README.md) or drbdproc's constructed DRBD 9 inputs. The
// lab's captures come from package captures.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func TestFinding6StatusStandAlonePeerIsNotHidden(t *testing.T) {
	e := &statusEnv{events2: "constructed-drbd9-three-nodes-one-standalone.node1.events2.txt"}
	code, out, _ := e.run(t, "status", "--json")
	assert.Equal(t, StatusSplitBrain, code, "node3 is StandAlone: a split brain is suspected")
	var rep struct {
		Devices []struct {
			CState     string `json:"cs"`
			PeerDisk   string `json:"peer_disk"`
			OOSKiB     uint64 `json:"oos_kib"`
			SplitBrain string `json:"split_brain"`
			Peers      []struct {
				NodeID int    `json:"node_id"`
				Name   string `json:"name"`
				CState string `json:"cs"`
				Repl   string `json:"replication"`
				Role   string `json:"role"`
				Disk   string `json:"disk"`
				OOSKiB uint64 `json:"oos_kib"`
			} `json:"peers"`
		} `json:"devices"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	require.Len(t, rep.Devices, 1)
	d := rep.Devices[0]
	assert.Equal(t, "StandAlone", d.CState, "the device's summary names the peer that needs attention")
	assert.Equal(t, "DUnknown", d.PeerDisk)
	assert.Equal(t, uint64(36), d.OOSKiB)
	assert.Equal(t, SplitSuspected, d.SplitBrain)
	require.Len(t, d.Peers, 2)
	assert.Equal(t, []any{1, "node2", "Connected", "Established", "Secondary", "UpToDate", uint64(0)},
		[]any{d.Peers[0].NodeID, d.Peers[0].Name, d.Peers[0].CState, d.Peers[0].Repl, d.Peers[0].Role, d.Peers[0].Disk, d.Peers[0].OOSKiB})
	assert.Equal(t, []any{2, "node3", "StandAlone", "Off", "Unknown", "DUnknown", uint64(36)},
		[]any{d.Peers[1].NodeID, d.Peers[1].Name, d.Peers[1].CState, d.Peers[1].Repl, d.Peers[1].Role, d.Peers[1].Disk, d.Peers[1].OOSKiB})

	code, out, _ = e.run(t, "status")
	assert.Equal(t, StatusSplitBrain, code)
	assert.Contains(t, out, "peer node3 (2): StandAlone Unknown/DUnknown oos:36 KiB")
	assert.Contains(t, out, "peer node2 (1): Connected Secondary/UpToDate")
}

func TestFinding6StatusEveryVolume(t *testing.T) {
	e := &statusEnv{events2: "constructed-drbd9-connected-oos-two-volumes.node1.events2.txt"}
	code, out, _ := e.run(t, "status")
	assert.Equal(t, StatusDegraded, code, "volume 1 has 4 KiB out of sync")
	assert.Contains(t, out, "  1 r0           Connected     Primary/Secondary UpToDate/UpToDate oos:4 KiB  degraded")

	e = &statusEnv{events2: "constructed-drbd9-resynced-two-volumes.node2.events2.txt"}
	code, out, _ = e.run(t, "status", "r0")
	assert.Equal(t, StatusHealthy, code, out)
	assert.Contains(t, out, "  0 r0 ")
	assert.Contains(t, out, "  1 r0 ")
}
