package master

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/mfs"
	"github.com/ocf-mfs/ocf-mfs/internal/mfs/mfstest"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// fakeNode is one node of a promotable clone on loopback: its mfsmaster.cfg
// (DATA_PATH, ports of a master that answers at 127.0.0.1), and an agent
// whose commands all go to a runner.Fake.
type fakeNode struct {
	dir, data, ml string
	env           map[string]string
	a             *Agent
	f             *runner.Fake
	clientPort    int
}

func newFakeNode(t *testing.T) *fakeNode {
	t.Helper()
	n := &fakeNode{dir: t.TempDir()}
	n.data = filepath.Join(n.dir, "data")
	n.ml = filepath.Join(n.data, "metalogger")
	require.NoError(t, os.MkdirAll(n.ml, 0o755))
	p := freePorts(t, 3)
	n.clientPort = p[2]
	cfg := filepath.Join(n.dir, "mfsmaster.cfg")
	require.NoError(t, os.WriteFile(cfg, []byte("WORKING_USER = #"+itoa(os.Getuid())+"\nWORKING_GROUP = #"+itoa(os.Getgid())+
		"\nDATA_PATH = "+n.data+"\nMATOML_LISTEN_PORT = "+itoa(p[0])+"\nMATOCS_LISTEN_PORT = "+itoa(p[1])+
		"\nMATOCL_LISTEN_PORT = "+itoa(p[2])+"\n"), 0o644))
	n.env = map[string]string{"OCF_RESKEY_config": cfg, "OCF_RESOURCE_INSTANCE": "mfs:0", "HA_LOGFACILITY": "none",
		"OCF_RESKEY_CRM_meta_timeout": "20000", "HA_RSCTMP": filepath.Join(n.dir, "rsctmp"),
		"OCF_RESKEY_CRM_meta_promotable": "true", "OCF_RESKEY_master_host": "127.0.0.1",
		"OCF_RA_VERSION_MAJOR": "1", "OCF_RA_VERSION_MINOR": "1"}
	n.f = &runner.Fake{}
	n.a = &Agent{Runner: n.f, ProcRoot: "/proc", LookPath: func(s string) (string, error) { return s, nil }, Poll: 10 * time.Millisecond,
		MasterName: "mfstest-master", MetaloggerName: "mfstest-ml"}
	return n
}

// metaloggerRuns starts a stand-in mfsmetalogger holding the node's
// metalogger lock, as a running one does.
func (n *fakeNode) metaloggerRuns(t *testing.T) {
	t.Helper()
	mfstest.Start(t, mfstest.Holder{Name: "mfstest-ml", Lock: filepath.Join(n.ml, mfs.MetaloggerLockName)})
}

// masterAnswers stands in for the master of another node at
// 127.0.0.1:port: every 8-byte request gets answer (a real MATOCL_INFO).
func masterAnswers(t *testing.T, port int, answer []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:"+itoa(port))
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go mfstest.Serve(ln, answer)
}

func itoa(i int) string { return strconv.Itoa(i) }

func fixture(t *testing.T, name, dir, as string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "mfs", "testdata", name))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, as), b, 0o600))
}

func TestPromoteAndDemoteAreUnimplementedForThePlainPrimitive(t *testing.T) {
	n := newFakeNode(t)
	delete(n.env, "OCF_RESKEY_CRM_meta_promotable")
	for _, action := range []string{"promote", "demote"} {
		o := run(t, n.a, n.env, action)
		assert.Equal(t, ocf.ErrUnimplemented, o.code, "ocf-tester takes 3 as 'not a promotable agent'")
	}
	assert.Empty(t, n.f.Calls())
}

func TestPromotableNeedsMasterHost(t *testing.T) {
	n := newFakeNode(t)
	o := run(t, n.a, n.env, "validate-all", "OCF_RESKEY_master_host", "")
	assert.Equal(t, ocf.ErrConfigured, o.code)
	assert.Contains(t, o.stderr, "master_host")
	o = run(t, n.a, n.env, "validate-all", "OCF_RESKEY_metalogger_path", "")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	o = run(t, n.a, n.env, "validate-all", "OCF_RESKEY_metalogger_path", n.data)
	assert.Equal(t, ocf.ErrConfigured, o.code, "sharing DATA_PATH would mix the histories")
}

// Pacemaker 1.1's ms resources pass master_max, not promotable.
func TestPromotableModeFromMasterMax(t *testing.T) {
	n := newFakeNode(t)
	delete(n.env, "OCF_RESKEY_CRM_meta_promotable")
	o := run(t, n.a, n.env, "validate-all", "OCF_RESKEY_CRM_meta_master_max", "1", "OCF_RESKEY_master_host", "")
	assert.Equal(t, ocf.ErrConfigured, o.code, "promotable mode asks for master_host")
}

func TestScoreFollowsTheLag(t *testing.T) {
	assert.Equal(t, scoreMax, score(100, 100, 1000))
	assert.Equal(t, scoreMax, score(105, 100, 1000), "ahead counts as no lag")
	assert.Equal(t, scoreFreshMin, score(0, 1000, 1000))
	assert.Greater(t, score(990, 1000, 1000), score(900, 1000, 1000), "the fresher copy scores higher")
	assert.Equal(t, scoreLagging, score(0, 1001, 1000))
	assert.Equal(t, scoreLagging, score(99, 100, 0), "max_lag=0: any lag is lagging")
}

// A metalogger in step with the master gets the top score; Pacemaker 2.1
// takes it through crm_attribute --promotion.
func TestMonitorScoresAMetaloggerFromTheMastersVersion(t *testing.T) {
	n := newFakeNode(t)
	info, err := os.ReadFile("../../mfs/testdata/matocl-info-3.0.117-metaversion21.bin")
	require.NoError(t, err)
	n.metaloggerRuns(t)
	masterAnswers(t, n.clientPort, info)
	fixture(t, "metadata_ml.tmp-3.0.117-new", n.ml, "metadata_ml.tmp")
	fixture(t, "changelog_ml.0.mfs-3.0.117", n.ml, "changelog_ml.0.mfs")
	n.f.On("crm_attribute --promotion=mfs:0 -l reboot -G -q", runner.Exit(105, "not found"))
	n.f.On("crm_attribute --promotion=mfs:0 -l reboot -v 1000", runner.OK(""))
	o := run(t, n.a, n.env, "monitor", "OCF_RESKEY_CRM_meta_interval", "11000")
	require.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Contains(t, n.f.Calls(), "crm_attribute --promotion=mfs:0 -l reboot -v 1000")
}

// The same metalogger 100 changes behind, with max_lag=10: score 10.
func TestMonitorGivesALaggingMetaloggerALowScore(t *testing.T) {
	n := newFakeNode(t)
	info, err := os.ReadFile("../../mfs/testdata/matocl-info-3.0.117-metaversion21.bin")
	require.NoError(t, err)
	n.metaloggerRuns(t)
	masterAnswers(t, n.clientPort, info)
	fixture(t, "metadata_ml.tmp-3.0.117-new", n.ml, "metadata_ml.tmp") // version 1, no changelog: 20 behind
	n.f.On("crm_attribute --promotion=mfs:0 -l reboot -G -q", runner.OK("1000\n"))
	n.f.On("crm_attribute --promotion=mfs:0 -l reboot -v 10", runner.OK(""))
	o := run(t, n.a, n.env, "monitor", "OCF_RESKEY_max_lag", "10")
	require.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Contains(t, n.f.Calls(), "crm_attribute --promotion=mfs:0 -l reboot -v 10")
}

// Without a master to compare with and without a score, a metalogger's copy
// is not vouched for: no score, so never promoted.
func TestMonitorWithoutMasterNeverScoresAnUnvouchedCopy(t *testing.T) {
	n := newFakeNode(t)
	n.metaloggerRuns(t)
	fixture(t, "metadata_ml.tmp-3.0.117-new", n.ml, "metadata_ml.tmp")
	n.f.On("crm_attribute --promotion=mfs:0 -l reboot -G -q", runner.Exit(105, "not found"))
	o := run(t, n.a, n.env, "monitor", "OCF_RESKEY_probe_timeout", "1")
	require.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Equal(t, []string{"crm_attribute --promotion=mfs:0 -l reboot -G -q"}, n.f.Calls())

	// The node that ran the last master, whose DATA_PATH is newer: score 1.
	fixture(t, "metadata.mfs-3.0.117-v21", n.data, "metadata.mfs")
	n.f.On("crm_attribute --promotion=mfs:0 -l reboot -v 1", runner.OK(""))
	o = run(t, n.a, n.env, "monitor", "OCF_RESKEY_probe_timeout", "1")
	require.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Contains(t, n.f.Calls(), "crm_attribute --promotion=mfs:0 -l reboot -v 1")
}

func TestMonitorPromotableReportsNeitherRunningAsNotRunning(t *testing.T) {
	n := newFakeNode(t)
	o := run(t, n.a, n.env, "monitor")
	assert.Equal(t, ocf.NotRunning, o.code, o.stderr)
	assert.Empty(t, n.f.Calls())
}

// A returning node whose metalogger follows a running master: its own
// metadata files, from before the takeover, are set aside.
func TestReturningNodeSetsAsideItsOldHistory(t *testing.T) {
	n := newFakeNode(t)
	info, err := os.ReadFile("../../mfs/testdata/matocl-info-3.0.117-metaversion21.bin")
	require.NoError(t, err)
	n.metaloggerRuns(t)
	masterAnswers(t, n.clientPort, info)
	fixture(t, "metadata.mfs-3.0.117-v21", n.data, "metadata.mfs.back")
	require.NoError(t, os.WriteFile(filepath.Join(n.data, "changelog.0.mfs"), []byte("21: 1|OLD\n"), 0o600))
	o := run(t, n.a, n.env, "start")
	require.Equal(t, ocf.Success, o.code, o.stderr)
	assert.NoFileExists(t, filepath.Join(n.data, "metadata.mfs.back"))
	assert.NoFileExists(t, filepath.Join(n.data, "changelog.0.mfs"))
	moved, _ := filepath.Glob(filepath.Join(n.data, mfs.SetAsidePrefix+"*", "changelog.0.mfs"))
	assert.Len(t, moved, 1)
	assert.Empty(t, n.f.Calls(), "the metalogger already ran: nothing started")
}

// Promote rebuilds DATA_PATH from the metalogger when it is fresher, setting
// the master's own old files aside, then runs mfsmaster -a.
func TestPromoteRebuildsFromTheFresherMetalogger(t *testing.T) {
	n := newFakeNode(t)
	fixture(t, "metadata_ml.tmp-3.0.117-new", n.ml, "metadata_ml.tmp")
	fixture(t, "changelog_ml.0.mfs-3.0.117", n.ml, "changelog_ml.0.mfs")
	require.NoError(t, os.WriteFile(filepath.Join(n.data, "changelog.0.mfs"), []byte("1: 1|OLD\n"), 0o600))
	fixture(t, "metadata_ml.tmp-3.0.117-new", n.data, "metadata.mfs.back")
	cfg := n.env["OCF_RESKEY_config"]
	n.f.On("mfsmaster -v", runner.OK("version: 3.0.117-1\n"))
	n.f.On("mfsmaster -c "+cfg+" restore", runner.Exit(1, "stand-in: no master here"))
	o := run(t, n.a, n.env, "promote")
	assert.Equal(t, ocf.ErrGeneric, o.code)
	assert.Equal(t, []string{"mfsmaster -v", "mfsmaster -c " + cfg + " restore"}, n.f.Calls(),
		"3.0.117 rebuilds a metadata.mfs of its own with restore")
	b, err := os.ReadFile(filepath.Join(n.data, "changelog_ml.0.mfs"))
	require.NoError(t, err)
	v, _ := mfs.ParseLastChange(b)
	assert.Equal(t, uint64(20), v, "the metalogger's changes are where mfsmaster -a reads them")
	assert.NoFileExists(t, filepath.Join(n.data, "changelog.0.mfs"), "the older history is not mixed in")
	old, _ := filepath.Glob(filepath.Join(n.data, mfs.SetAsidePrefix+"*", "changelog.0.mfs"))
	assert.Len(t, old, 1)
}

// A master killed here holds newer metadata than this node's metalogger
// (which did not run while it was the master): promote restarts from it.
func TestPromoteKeepsTheNewerOwnMetadata(t *testing.T) {
	n := newFakeNode(t)
	fixture(t, "metadata_ml.tmp-3.0.117-new", n.ml, "metadata_ml.tmp")
	fixture(t, "metadata.mfs-3.0.117-v21", n.data, "metadata.mfs.back")
	cfg := n.env["OCF_RESKEY_config"]
	n.f.On("mfsmaster -v", runner.OK("version: 3.0.117-1\n"))
	n.f.On("mfsmaster -c "+cfg+" -a start", runner.Exit(1, "stand-in"))
	run(t, n.a, n.env, "promote")
	assert.FileExists(t, filepath.Join(n.data, "metadata.mfs.back"))
	assert.NoFileExists(t, filepath.Join(n.data, "metadata_ml.tmp"))
}

func TestPromoteWithoutAnyMetadataFails(t *testing.T) {
	n := newFakeNode(t)
	o := run(t, n.a, n.env, "promote")
	assert.Equal(t, ocf.ErrGeneric, o.code)
	assert.Contains(t, o.stderr, "no metadata to promote from")
	assert.Empty(t, n.f.Calls())
}
