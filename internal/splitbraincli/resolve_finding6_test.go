package splitbraincli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// Finding 6: resolve finds a DRBD 9 resource (its /proc/drbd lists no
// device: the state comes from drbdsetup events2), and with several volumes
// checks, backs up and verifies every one, since `drbdadm connect
// --discard-my-data` discards them all. The events2 inputs are synthetic
// (drbdproc/testdata/README.md): the lab runs DRBD 8.4.

func events2Fixture(t *testing.T, name string) string {
	t.Helper()
	return readFile(t, filepath.Join("..", "drbdproc", "testdata", "constructed-drbd9-"+name+".events2.txt"))
}

// drbd9Env serves a DRBD 9 /proc/drbd and answers drbdsetup events2 with
// the fixtures in turn, through a real drbdproc.Source.
func drbd9Env(t *testing.T, fixtures ...string) *env {
	e := newEnv(t).noCluster()
	proc := filepath.Join(t.TempDir(), "drbd")
	require.NoError(t, os.WriteFile(proc, []byte("version: 9.2.4 (api:2/proto:86-121)\n"), 0o644))
	var answers []runner.Answer
	for _, f := range fixtures {
		answers = append(answers, runner.OK(events2Fixture(t, f)))
	}
	e.fake.On("drbdsetup events2 --now --statistics", answers...)
	e.fake.Replace("drbdadm sh-minor r0", runner.OK("0\n1\n"))
	e.source = &drbdproc.Source{Path: proc, Runner: e.fake, Statistics: true}
	for _, d := range []string{"dev/vdb", "dev/vdc"} {
		p := filepath.Join(e.root, d)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, append(make([]byte, 1<<20), "victim's write on "+d...), 0o600))
	}
	e.fake.On("drbdadm sh-ll-dev r0", runner.OK("/dev/vdb\n/dev/vdc\n")).
		On("drbdadm disconnect r0", runner.OK("")).
		On("drbdadm secondary r0", runner.OK("")).
		On("drbdadm connect --discard-my-data r0", runner.OK(""))
	return e
}

func TestFinding6ResolveDRBD9EveryVolume(t *testing.T) {
	e := drbd9Env(t, "split-brain-two-volumes.node2", "split-brain-two-volumes.node2",
		"reconnecting-two-volumes.node2", "resynced-two-volumes.node2")
	backup := t.TempDir()
	code, out := e.run(t, "--discard-local", "--yes", "--backup-dir", backup, "r0")
	require.Equal(t, 0, code, out)
	for _, want := range []string{
		"resource r0 volume 0 on node2: minor 0 cs:StandAlone ro:Primary/Unknown ds:UpToDate/DUnknown oos:36KiB",
		"resource r0 volume 1 on node2: minor 1 cs:StandAlone ro:Primary/Unknown ds:UpToDate/DUnknown oos:8KiB",
		"(44 KiB marked out of sync on all 2 volumes) will be discarded",
		"drbdadm connect --discard-my-data r0",
		"recovered: cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate",
	} {
		assert.Contains(t, out, want)
	}
	for _, v := range []string{"v0", "v1"} {
		img := filepath.Join(backup, "r0-"+v+"-node2-20261124T214500Z.img")
		assert.FileExists(t, img)
		assert.FileExists(t, img+".sha256")
		assert.FileExists(t, img+".json")
	}
	got, err := os.ReadFile(filepath.Join(backup, "r0-v1-node2-20261124T214500Z.img"))
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(string(got), "victim's write on dev/vdc"))
	calls := strings.Join(e.fake.Calls(), "\n")
	assert.Less(t, strings.Index(calls, "drbdadm sh-ll-dev r0"), strings.Index(calls, "drbdadm disconnect r0"), "backed up before anything changes")
}

// Verify waits for every volume: volume 0 resynced while volume 1 still
// connects is not a recovery.
func TestFinding6ResolveVerifiesEveryVolume(t *testing.T) {
	e := newEnv(t).noCluster()
	e.fake.Replace("drbdadm sh-minor r0", runner.OK("0\n1\n")).
		On("drbdadm disconnect r0", runner.OK("")).On("drbdadm secondary r0", runner.OK("")).
		On("drbdadm connect --discard-my-data r0", runner.OK(""))
	sb1, rec1, ok1 := sbNode2, reconnectingNode2, resyncedNode2
	sb1.Minor, rec1.Minor, ok1.Minor = 1, 1, 1
	e.sets = [][]drbdproc.Device{{sbNode2, sb1}, {sbNode2, sb1}, {resyncedNode2, rec1}}
	code, out := e.run(t, "--discard-local", "--yes", "--timeout", "50ms", "r0")
	assert.Equal(t, ExitNotVerified, code, out)
	assert.Contains(t, out, "last seen cs:WFConnection")

	e = newEnv(t).noCluster()
	e.fake.Replace("drbdadm sh-minor r0", runner.OK("0\n1\n")).
		On("drbdadm disconnect r0", runner.OK("")).On("drbdadm secondary r0", runner.OK("")).
		On("drbdadm connect --discard-my-data r0", runner.OK(""))
	e.sets = [][]drbdproc.Device{{sbNode2, sb1}, {sbNode2, sb1}, {resyncedNode2, rec1}, {resyncedNode2, ok1}}
	code, out = e.run(t, "--discard-local", "--yes", "--timeout", "1m", "r0")
	assert.Equal(t, 0, code, out)
}

// Every volume of a survivor must be UpToDate; one Outdated volume would
// resync stale data to the peer.
func TestFinding6ResolveSurvivorChecksEveryVolume(t *testing.T) {
	e := newEnv(t).noCluster()
	e.fake.Replace("drbdadm sh-minor r0", runner.OK("0\n1\n"))
	outdated := sbNode2
	outdated.Minor, outdated.Disk = 1, "Outdated"
	e.sets = [][]drbdproc.Device{{sbNode2, outdated}}
	code, out := e.run(t, "--keep-local", "--yes", "r0")
	assert.Equal(t, ExitRefused, code, out)
	assert.Contains(t, out, "this node's disk is Outdated on volume 1, not UpToDate")
}

// A victim's volumes are all held: a mount of the second minor refuses.
func TestFinding6ResolveVictimChecksEveryDevice(t *testing.T) {
	e := newEnv(t).noCluster()
	e.fake.Replace("drbdadm sh-minor r0", runner.OK("0\n1\n"))
	sb1 := sbNode2
	sb1.Minor = 1
	e.sets = [][]drbdproc.Device{{sbNode2, sb1}}
	require.NoError(t, os.WriteFile(filepath.Join(e.root, "proc/mounts"), []byte("/dev/drbd1 /data ext4 rw 0 0\n"), 0o644))
	code, out := e.run(t, "--discard-local", "--yes", "r0")
	assert.Equal(t, ExitRefused, code, out)
	assert.Contains(t, out, "mounted on /data")
}

// Backups of all volumes need room together; none is written otherwise.
func TestFinding6ResolveBackupRoomForEveryVolume(t *testing.T) {
	e := drbd9Env(t, "split-brain-two-volumes.node2")
	e.statfs = func(string) (uint64, error) { return 4 << 20, nil } // room for one image, not two
	backup := t.TempDir()
	code, out := e.run(t, "--discard-local", "--yes", "--backup-dir", backup, "r0")
	assert.Equal(t, ExitError, code, out)
	assert.Contains(t, out, "images of the 2 devices")
	assert.Contains(t, out, "nothing changed")
	ents, err := os.ReadDir(backup)
	require.NoError(t, err)
	assert.Empty(t, ents)
	assert.NotContains(t, strings.Join(e.fake.Calls(), "\n"), "disconnect")
}

// DRBD 9 with more than one peer: disconnect and connect --discard-my-data
// without a peer act on every connection; resolve refuses and says how to
// do it by hand.
func TestFinding6ResolveRefusesSeveralPeers(t *testing.T) {
	e := drbd9Env(t, "three-nodes-one-standalone.node1")
	e.fake.Replace("drbdadm sh-minor r0", runner.OK("0\n"))
	code, out := e.run(t, "--keep-local", "--yes", "r0")
	assert.Equal(t, ExitRefused, code, out)
	assert.Contains(t, out, "resource r0 has 2 peers (node2 Connected, node3 StandAlone)")
	assert.Contains(t, out, "drbdadm disconnect r0:PEER")
}
