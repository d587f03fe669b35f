package drbd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
	"github.com/ocf-mfs/ocf-mfs/test/lab/captures"
)

// linbit84 is what ocf:linbit:drbd scores for a two-node DRBD 8.4 resource
// of one volume, read off scripts/drbd.ocf (drbd_update_master_score, in
// drbd-utils 9.x) and drbd.shellfuncs.sh (_drbd_set_status_variables_from_
// sh_status): only the local role, the local disk and the peer's disk
// count; the connection state does not. keep means "left as it is";
// 0 means "removed".
func linbit84(role, disk, pdsk string) (score int, keep bool) {
	switch {
	case disk == "UpToDate" && role == "Primary":
		return 10000, false // as_good_as_it_gets
	case disk == "UpToDate" && pdsk == "DUnknown":
		return 1000, false // local_ok: the peer may have better data
	case disk == "UpToDate":
		return 10000, false // every peer disk known
	case pdsk == "UpToDate":
		return 10, false // only_remote: reads go to the peer
	case disk == "Attaching" || disk == "Negotiating":
		return 0, true // transitional: not touched
	case disk == "Consistent":
		return 0, false // only_consistent, 0 by default: removed
	}
	return 0, false // Outdated, Inconsistent, Diskless, Failed: removed
}

// TestLinbitScoreTable runs every role, disk, peer-disk and connection state
// of a two-node 8.4 resource through Judge with the defaults, beside
// linbit's value. The devices are synthetic: every combination, most of
// which the lab cannot produce.
func TestLinbitScoreTable(t *testing.T) {
	roles := []string{"Primary", "Secondary"}
	disks := []string{"UpToDate", "Consistent", "Outdated", "Inconsistent", "Diskless", "Failed", "Attaching", "Negotiating"}
	pdsks := []string{"UpToDate", "Consistent", "Outdated", "Inconsistent", "Diskless", "DUnknown"}
	cstates := []string{"Connected", "WFConnection", "StandAlone", "SyncSource", "SyncTarget", "WFBitMapT"}
	var table strings.Builder
	fmt.Fprintf(&table, "%-9s %-12s %-12s %-12s %6s %6s\n", "role", "disk", "peer disk", "cstate", "linbit", "ours")
	for _, r := range roles {
		for _, d := range disks {
			for _, pd := range pdsks {
				for _, cs := range cstates {
					dev := drbdproc.Device{Role: r, Disk: d, PeerDisk: pd, CState: cs, PeerRole: "Secondary"}
					want, keep := linbit84(r, d, pd)
					v := DefaultScores.Judge([]drbdproc.Device{dev}, false)
					fmt.Fprintf(&table, "%-9s %-12s %-12s %-12s %6s %6s\n", r, d, pd, cs, show(want, keep), show(v.Score, v.Keep))
					assert.Equal(t, keep, v.Keep, "%s %s/%s %s", r, d, pd, cs)
					if !keep {
						assert.Equal(t, want, max(v.Score, 0), "%s %s/%s %s", r, d, pd, cs)
						assert.Equal(t, want == 0, v.Remove())
					}
				}
			}
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Log("\n" + table.String())
	}
}

func show(score int, keep bool) string {
	switch {
	case keep:
		return "keep"
	case score <= 0:
		return "-"
	}
	return fmt.Sprint(score)
}

// The lab's real /proc/drbd captures of DRBD 8.4, with linbit's value.
func TestLinbitScoresOnLabCaptures(t *testing.T) {
	for _, c := range []struct {
		capture string
		linbit  int // 0: removed
	}{
		{"connected.node1.proc-drbd.txt", 10000},                // Primary UpToDate/UpToDate
		{"connected.node2.proc-drbd.txt", 10000},                // Secondary UpToDate/UpToDate
		{"partitioned.node1.proc-drbd.txt", 10000},              // Primary, peer gone
		{"partitioned.node2.proc-drbd.txt", 1000},               // Secondary UpToDate/DUnknown
		{"partitioned.node2.proc-drbd-outdated.txt", 0},         // Outdated/DUnknown
		{"inconsistent.node1.proc-drbd.txt", 0},                 // Inconsistent
		{"syncing.node2.proc-drbd.txt", 10},                     // SyncTarget Inconsistent/UpToDate
		{"syncing.node1.proc-drbd.txt", 10000},                  // SyncSource Primary
		{"split-brain.node2.proc-drbd.txt", 10000},              // StandAlone Primary
		{"victim-reconnecting.node2.proc-drbd.txt", 1000},       // WFConnection UpToDate/DUnknown
		{"resynced.node2.proc-drbd.txt", 10000},                 // back in sync
		{"partitioned-dual-primary.node2.proc-drbd.txt", 10000}, // Primary UpToDate/DUnknown
	} {
		t.Run(c.capture, func(t *testing.T) {
			st, err := drbdproc.Parse(strings.NewReader(captures.Read(t, c.capture)))
			require.NoError(t, err)
			d, ok := st.Device(0)
			require.True(t, ok)
			want, _ := linbit84(d.Role, d.Disk, d.PeerDisk)
			assert.Equal(t, c.linbit, want, "the table's reading of %+v", d)
			assert.Equal(t, c.linbit, max(DefaultScores.Judge([]drbdproc.Device{d}, false).Score, 0), "%+v", d)
		})
	}
}

// events2 writes DRBD 9's state (the lines here are synthetic, in the
// format of drbd-utils 9's `drbdsetup events2 --now`; the lab runs 8.4).
func events2(t *testing.T, lines ...string) []drbdproc.Device {
	t.Helper()
	devs, err := drbdproc.ParseEvents2(strings.NewReader(strings.Join(lines, "\n") + "\nexists -\n"))
	require.NoError(t, err)
	return devs
}

const (
	conn1 = "exists connection name:r0 peer-node-id:1 conn-name:b connection:Connected role:"
	conn2 = "exists connection name:r0 peer-node-id:2 conn-name:c connection:"
)

func pdev(peer, vol int, disk string, client bool) string {
	return fmt.Sprintf("exists peer-device name:r0 peer-node-id:%d conn-name:x volume:%d replication:Established peer-disk:%s peer-client:%s",
		peer, vol, disk, map[bool]string{true: "yes", false: "no"}[client])
}

func TestLinbitScoresDRBD9(t *testing.T) {
	dev := func(vol int, disk, extra string) string {
		return fmt.Sprintf("exists device name:r0 volume:%d minor:%d disk:%s %s", vol, vol, disk, extra)
	}
	for _, c := range []struct {
		name   string
		lines  []string
		linbit int // 0: removed
	}{
		{"two peers UpToDate, Secondary", []string{"exists resource name:r0 role:Secondary",
			conn1 + "Secondary", conn2 + "Connected role:Secondary", dev(0, "UpToDate", "client:no quorum:yes"),
			pdev(1, 0, "UpToDate", false), pdev(2, 0, "UpToDate", false)}, 10000},
		{"one peer unreachable", []string{"exists resource name:r0 role:Secondary",
			conn1 + "Secondary", conn2 + "Connecting role:Unknown", dev(0, "UpToDate", "client:no quorum:yes"),
			pdev(1, 0, "UpToDate", false), pdev(2, 0, "DUnknown", false)}, 1000},
		{"no quorum, a Primary peer", []string{"exists resource name:r0 role:Secondary",
			conn1 + "Primary", conn2 + "Connecting role:Unknown", dev(0, "UpToDate", "client:no quorum:no"),
			pdev(1, 0, "UpToDate", false), pdev(2, 0, "DUnknown", false)}, 0},
		{"no quorum on the second volume only", []string{"exists resource name:r0 role:Primary",
			conn1 + "Secondary", dev(0, "UpToDate", "client:no quorum:yes"), dev(1, "UpToDate", "client:no quorum:no"),
			pdev(1, 0, "UpToDate", false), pdev(1, 1, "UpToDate", false)}, 0},
		{"diskless client, every peer UpToDate", []string{"exists resource name:r0 role:Secondary",
			conn1 + "Secondary", conn2 + "Connected role:Secondary", dev(0, "Diskless", "client:yes quorum:yes"),
			pdev(1, 0, "UpToDate", false), pdev(2, 0, "UpToDate", false)}, 9999},
		{"diskless client, one peer UpToDate", []string{"exists resource name:r0 role:Secondary",
			conn1 + "Secondary", conn2 + "Connecting role:Unknown", dev(0, "Diskless", "client:yes quorum:yes"),
			pdev(1, 0, "UpToDate", false), pdev(2, 0, "DUnknown", false)}, 999},
		{"diskless client, no good peer", []string{"exists resource name:r0 role:Secondary",
			conn1 + "Secondary", dev(0, "Diskless", "client:yes quorum:yes"), pdev(1, 0, "Outdated", false)}, 0},
		{"second volume Inconsistent, peer all UpToDate", []string{"exists resource name:r0 role:Secondary",
			conn1 + "Secondary", dev(0, "UpToDate", "client:no"), dev(1, "Inconsistent", "client:no"),
			pdev(1, 0, "UpToDate", false), pdev(1, 1, "UpToDate", false)}, 10},
		{"second volume's peer disk unknown", []string{"exists resource name:r0 role:Secondary",
			conn1 + "Secondary", dev(0, "UpToDate", "client:no"), dev(1, "UpToDate", "client:no"),
			pdev(1, 0, "UpToDate", false), pdev(1, 1, "DUnknown", false)}, 1000},
		{"a diskless-client peer is ignored", []string{"exists resource name:r0 role:Secondary",
			conn1 + "Secondary", conn2 + "Connected role:Secondary", dev(0, "UpToDate", "client:no"),
			pdev(1, 0, "UpToDate", false), pdev(2, 0, "Diskless", true)}, 10000},
		{"Outdated, the peer's Outdated too", []string{"exists resource name:r0 role:Secondary",
			conn1 + "Secondary", dev(0, "Outdated", "client:no"), pdev(1, 0, "Outdated", false)}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := DefaultScores.Judge(events2(t, c.lines...), false)
			assert.False(t, v.Keep)
			assert.Equal(t, c.linbit, max(v.Score, 0))
		})
	}
}

// remove_master_score_if_peer_primary=true: a Secondary connected to a
// healthy Primary gets no score (linbit's
// removed_master_score_because_peer_is_primary).
func TestRemoveMasterScoreIfPeerPrimary(t *testing.T) {
	d := drbdproc.Device{Role: "Secondary", Disk: "UpToDate", PeerDisk: "UpToDate", PeerRole: "Primary", CState: "Connected"}
	assert.Equal(t, 10000, DefaultScores.Judge([]drbdproc.Device{d}, false).Score)
	assert.True(t, DefaultScores.Judge([]drbdproc.Device{d}, true).Remove())
	d.PeerDisk = "Outdated" // an unhealthy Primary: the usual table
	assert.Equal(t, 10000, DefaultScores.Judge([]drbdproc.Device{d}, true).Score)
}

func TestParseScoresLikeLinbit(t *testing.T) {
	s, err := ParseScores(" 1 2  3 4 ")
	require.NoError(t, err)
	assert.Equal(t, Scores{1, 2, 3, 4}, s)
	for _, bad := range []string{"", "1 2 3", "1 2 3 4 5", "1 2 x 4", "1 -2 3 4", "0 10 5 10000"} {
		_, err := ParseScores(bad)
		assert.Error(t, err, bad)
	}
	def, err := ParseScores(defaultScores)
	require.NoError(t, err)
	assert.Equal(t, DefaultScores, def)
}
