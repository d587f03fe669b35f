package splitbrain

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
)

// Device states as the lab's captures show them (test/lab/captures, *.proc-drbd.txt):
// after a split brain both nodes were StandAlone Primary/Unknown
// UpToDate/DUnknown with oos:36.
func dev(cs, role, disk string, oos uint64) drbdproc.Device {
	return drbdproc.Device{Minor: 0, CState: cs, Role: role, PeerRole: "Unknown", Disk: disk, PeerDisk: "DUnknown",
		Counters: drbdproc.Counters{OOS: oos}}
}

func TestDecide(t *testing.T) {
	standalonePrimary := dev("StandAlone", "Primary", "UpToDate", 36)
	standaloneSecondary := dev("StandAlone", "Secondary", "UpToDate", 36)
	wfcSecondary := dev("WFConnection", "Secondary", "UpToDate", 36)
	noCluster := Cluster{}
	promotedHere := Cluster{Present: true, Resource: "ms_drbd", Promoted: "node1"}
	promotedPeer := Cluster{Present: true, Resource: "ms_drbd", Promoted: "node2"}
	promotedNowhere := Cluster{Present: true, Resource: "ms_drbd"}
	promotedBoth := Cluster{Present: true, Resource: "ms_drbd", PromotedOn: []string{"node1", "node2"}}
	mounted := Usage{Mounts: []string{"/data"}}
	held := Usage{PIDs: []int{4242}}

	discard := []string{"drbdadm disconnect r0", "drbdadm secondary r0", "drbdadm connect --discard-my-data r0"}
	discardSecondary := []string{"drbdadm disconnect r0", "drbdadm connect --discard-my-data r0"}

	tests := []struct {
		name     string
		dev      drbdproc.Device
		usage    Usage
		cluster  Cluster
		opts     Options
		role     Role
		commands []string
		refusal  string // substring of the refusal reason
		warning  string // substring of one warning
	}{
		{name: "connected healthy", dev: drbdproc.Device{CState: "Connected", Role: "Primary", PeerRole: "Secondary", Disk: "UpToDate", PeerDisk: "UpToDate"},
			opts: Options{Choice: DiscardLocal}, refusal: "no split brain"},
		{name: "connected inconsistent peer", dev: drbdproc.Device{CState: "Connected", Role: "Primary", Disk: "UpToDate", PeerDisk: "Inconsistent"},
			opts: Options{Choice: DiscardLocal, Force: true}, refusal: "Connected (UpToDate/Inconsistent)"},
		{name: "syncing source", dev: drbdproc.Device{CState: "SyncSource", Role: "Primary", Disk: "UpToDate", PeerDisk: "Inconsistent"},
			opts: Options{Choice: KeepLocal, Force: true}, refusal: "resynchronising (SyncSource)"},
		{name: "syncing target", dev: drbdproc.Device{CState: "SyncTarget", Role: "Secondary", Disk: "Inconsistent", PeerDisk: "UpToDate"},
			opts: Options{Choice: DiscardLocal}, refusal: "resynchronising (SyncTarget)"},
		{name: "verifying", dev: drbdproc.Device{CState: "VerifyS", Disk: "UpToDate", PeerDisk: "UpToDate"},
			opts: Options{Choice: DiscardLocal}, refusal: "resynchronising"},
		{name: "not up", dev: drbdproc.Device{CState: "Unconfigured"}, opts: Options{Choice: DiscardLocal}, refusal: "not up"},
		{name: "transient", dev: dev("NetworkFailure", "Primary", "UpToDate", 0), opts: Options{Choice: DiscardLocal}, refusal: "transient state NetworkFailure"},

		// Finding 3: promoted on both nodes, the victim case must still
		// see that Pacemaker promotes it here.
		{name: "promoted on both, auto", dev: standalonePrimary, cluster: promotedBoth, refusal: "more than one node"},
		{name: "promoted on both, explicit victim", dev: standalonePrimary, cluster: promotedBoth, opts: Options{Choice: DiscardLocal},
			refusal: "promoted instance of ms_drbd on this node"},
		{name: "promoted on both, explicit survivor", dev: standalonePrimary, cluster: promotedBoth, opts: Options{Choice: KeepLocal},
			refusal: "on node2, not here"},
		{name: "explicit victim, primary standalone", dev: standalonePrimary, cluster: noCluster, opts: Options{Choice: DiscardLocal},
			role: Victim, commands: discard, warning: "36 KiB"},
		{name: "explicit victim, secondary: no demotion", dev: standaloneSecondary, opts: Options{Choice: DiscardLocal},
			role: Victim, commands: discardSecondary},
		{name: "explicit victim in WFConnection", dev: dev("WFConnection", "Primary", "UpToDate", 36), opts: Options{Choice: DiscardLocal},
			role: Victim, commands: discard},
		{name: "victim mounted refused", dev: standalonePrimary, usage: mounted, opts: Options{Choice: DiscardLocal}, refusal: "mounted on /data"},
		{name: "victim open refused", dev: standalonePrimary, usage: held, opts: Options{Choice: DiscardLocal}, refusal: "open by pid [4242]"},
		{name: "victim mounted forced", dev: standalonePrimary, usage: mounted, opts: Options{Choice: DiscardLocal, Force: true},
			role: Victim, commands: discard, warning: "drbdadm secondary fails until it is released"},
		{name: "victim runs promoted instance refused", dev: standalonePrimary, cluster: promotedHere, opts: Options{Choice: DiscardLocal},
			refusal: "promoted instance of ms_drbd on this node"},
		{name: "victim runs promoted instance forced", dev: standalonePrimary, cluster: promotedHere, opts: Options{Choice: DiscardLocal, Force: true},
			role: Victim, commands: discard, warning: "Pacemaker promoted ms_drbd here"},
		{name: "victim diskless", dev: dev("StandAlone", "Secondary", "Diskless", 0), opts: Options{Choice: DiscardLocal}, refusal: "Diskless"},

		{name: "explicit survivor standalone connects", dev: standalonePrimary, opts: Options{Choice: KeepLocal},
			role: Survivor, commands: []string{"drbdadm connect r0"}},
		{name: "survivor in WFConnection only waits", dev: dev("WFConnection", "Primary", "UpToDate", 36), opts: Options{Choice: KeepLocal},
			role: Survivor, commands: nil},
		{name: "survivor outdated refused", dev: dev("StandAlone", "Secondary", "Outdated", 0), opts: Options{Choice: KeepLocal}, refusal: "disk is Outdated"},
		{name: "survivor outdated forced", dev: dev("StandAlone", "Secondary", "Outdated", 0), opts: Options{Choice: KeepLocal, Force: true},
			role: Survivor, commands: []string{"drbdadm connect r0"}, warning: "overwritten"},
		{name: "survivor against pacemaker refused", dev: standalonePrimary, cluster: promotedPeer, opts: Options{Choice: KeepLocal}, refusal: "on node2, not here"},
		{name: "survivor mounted is fine", dev: standalonePrimary, usage: mounted, cluster: promotedHere, opts: Options{Choice: KeepLocal},
			role: Survivor, commands: []string{"drbdadm connect r0"}},

		{name: "auto: promoted here and primary = survivor", dev: standalonePrimary, cluster: promotedHere, role: Survivor, commands: []string{"drbdadm connect r0"}},
		{name: "auto: promoted here but secondary = ambiguous", dev: standaloneSecondary, cluster: promotedHere, refusal: "ambiguous"},
		{name: "auto: secondary, peer promoted = victim", dev: standaloneSecondary, cluster: promotedPeer, role: Victim, commands: discardSecondary},
		{name: "auto: secondary in WFConnection, peer promoted = victim", dev: wfcSecondary, cluster: promotedPeer, role: Victim, commands: discardSecondary},
		{name: "auto: primary without changes, peer promoted = victim", dev: dev("StandAlone", "Primary", "UpToDate", 0), cluster: promotedPeer,
			role: Victim, commands: discard},
		{name: "auto: primary with changes, peer promoted = refused", dev: standalonePrimary, cluster: promotedPeer, refusal: "36 KiB changed"},
		{name: "auto: no cluster = refused", dev: standaloneSecondary, cluster: noCluster, refusal: "no Pacemaker cluster"},
		{name: "auto: promoted nowhere = refused", dev: standaloneSecondary, cluster: promotedNowhere, refusal: "promotes ms_drbd nowhere"},
		{name: "auto: no clone = refused", dev: standaloneSecondary, cluster: Cluster{Present: true}, refusal: "no promotable clone"},
		{name: "auto: secondary, peer promoted, but mounted = refused", dev: standaloneSecondary, usage: Usage{Holders: []string{"dm-3"}}, cluster: promotedPeer, refusal: "held by dm-3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Facts{Resource: "r0", Node: "node1", Device: tt.dev, Usage: tt.usage, Cluster: tt.cluster}
			plan, refusal := Decide(f, tt.opts)
			if tt.refusal != "" {
				require.Nil(t, plan)
				require.NotNil(t, refusal)
				assert.Contains(t, refusal.Reason, tt.refusal)
				assert.Equal(t, f, refusal.Facts)
				return
			}
			require.Nil(t, refusal, "refused: %v", refusal)
			require.NotNil(t, plan)
			assert.Equal(t, tt.role, plan.Role)
			var got []string
			for _, c := range plan.Commands {
				got = append(got, c.String())
			}
			assert.Equal(t, tt.commands, got)
			if tt.warning != "" {
				assert.Contains(t, strings.Join(plan.Warnings, "\n"), tt.warning)
			}
			other := "--keep-local"
			if tt.role == Survivor {
				other = "--discard-local"
			}
			assert.Equal(t, []string{"drbd-splitbrain", "resolve", other, "--yes", "r0"}, plan.PeerArgs)
		})
	}
}

func TestDisconnectAcceptsExit10(t *testing.T) {
	plan, r := Decide(Facts{Resource: "r0", Node: "n", Device: dev("StandAlone", "Secondary", "UpToDate", 1)}, Options{Choice: DiscardLocal})
	require.Nil(t, r)
	assert.Equal(t, "disconnect", plan.Commands[0].Verb)
	assert.Equal(t, []int{10}, plan.Commands[0].OKCodes)
}

func TestDescribeNamesTheFacts(t *testing.T) {
	f := Facts{Resource: "r0", Node: "node2", Device: dev("StandAlone", "Primary", "UpToDate", 36),
		GI:      &drbdproc.GI{Current: "447587AF7406EB39", Bitmap: "194E1EFA3EFDD2D2", History1: "81F741E321FC1D56", History2: "0000000000000004"},
		Usage:   Usage{Mounts: []string{"/data"}},
		Cluster: Cluster{Present: true, Resource: "ms_drbd", Promoted: "node2"}}
	out := f.Describe()
	assert.Contains(t, out, "cs:StandAlone ro:Primary/Unknown ds:UpToDate/DUnknown oos:36KiB")
	assert.Contains(t, out, "current 447587AF7406EB39")
	assert.Contains(t, out, "mounted on /data")
	assert.Contains(t, out, "ms_drbd promoted on node2")
}

// Finding 7: DRBD starts a new data generation on a node that loses its
// peer while Primary: the old current UUID becomes the bitmap UUID. A node
// whose bitmap UUID is still zero and that counts nothing out of sync has
// written nothing since the split; keeping it as the survivor would throw
// away whatever the peer wrote. That needs --force. The GI values are
// those of the lab's captures (connected.node1.drbdadm-show-gi for the
// unchanged node, split-brain.node2.drbdadm-get-gi for the changed one).
func TestFinding7GenerationIdentifiersCheckTheSurvivor(t *testing.T) {
	unchanged := &drbdproc.GI{Current: "194E1EFA3EFDD2D3", Bitmap: "0000000000000000", History1: "81F741E321FC1D57",
		History2: "0000000000000004", Flags: []int{1, 1, 0, 0, 0, 0, 0}}
	changed := &drbdproc.GI{Current: "447587AF7406EB39", Bitmap: "194E1EFA3EFDD2D2", History1: "81F741E321FC1D56",
		History2: "0000000000000004", Flags: []int{1, 1, 1, 0, 0, 0, 0}}
	sbSecondary := dev("StandAlone", "Secondary", "UpToDate", 0)
	f := Facts{Resource: "r0", Node: "node1", Device: sbSecondary, GI: unchanged}

	_, r := Decide(f, Options{Choice: KeepLocal})
	require.NotNil(t, r, "an unchanged node kept as survivor")
	assert.Contains(t, r.Reason, "no changes since the split")
	assert.Contains(t, r.Reason, "--force")

	p, r := Decide(f, Options{Choice: KeepLocal, Force: true})
	require.Nil(t, r)
	assert.Equal(t, Survivor, p.Role)
	assert.Contains(t, strings.Join(p.Warnings, "\n"), "no changes since the split")

	f.GI = changed
	p, r = Decide(f, Options{Choice: KeepLocal})
	require.Nil(t, r, "a node with a new data generation may survive")
	assert.Equal(t, Survivor, p.Role)

	// Unknown GI (get-gi failed) does not block: oos and Pacemaker decide.
	f.GI = nil
	_, r = Decide(f, Options{Choice: KeepLocal})
	assert.Nil(t, r)
}
