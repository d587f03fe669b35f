package splitbrain

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/logging"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/crm"
	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
	"github.com/ocf-mfs/ocf-mfs/internal/splitbrain/marker"
	"github.com/ocf-mfs/ocf-mfs/test/lab/captures"
)

// crmFixture returns a file of internal/crm/testdata: Pacemaker output taken
// outside the lab, which the crm client's own tests replay too. The lab's
// captures come from package captures.
func crmFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "crm", "testdata", name))
	require.NoError(t, err)
	return string(b)
}

const (
	fenceID     = "drbd-fence-by-handler-r0-ms_drbd"
	createNode1 = `cibadmin -C -o constraints -X <rsc_location rsc="ms_drbd" id="drbd-fence-by-handler-r0-ms_drbd"><rule role="Promoted" score="-INFINITY" id="drbd-fence-by-handler-r0-rule-ms_drbd"><expression attribute="#uname" operation="ne" value="node1" id="drbd-fence-by-handler-r0-expr-1-ms_drbd"/></rule></rsc_location>`
	queryFence  = "cibadmin -Q --xpath //rsc_location[@id='" + fenceID + "']"
	// Asked before placing a constraint, to name its role as the cluster does.
	dialectQuery = "cibadmin -Q --xpath /cib --no-children"
	deleteFence  = `cibadmin -D -o constraints -X <rsc_location id="` + fenceID + `"/>`
)

var labEnv = map[string]string{"DRBD_RESOURCE": "r0", "DRBD_MINOR": "0", "DRBD_PEER": "node2",
	"DRBD_PEERS": "node2", "DRBD_PEER_ADDRESS": "169.254.77.2", "DRBD_PEER_AF": "ipv4", "DRBD_CONF": "/etc/drbd.conf"}

func handlers(t *testing.T, f *runner.Fake, d drbdproc.Device, derr error) (*Handlers, *bytes.Buffer) {
	t.Helper()
	env, err := ReadHandlerEnv(ocf.MapLookup(labEnv))
	require.NoError(t, err)
	var log bytes.Buffer
	return &Handlers{Env: env, Node: "node1", CRM: &crm.Client{Runner: f}, Runner: f,
		Device: func(_ context.Context, minor int) (drbdproc.Device, error) {
			assert.Equal(t, 0, minor)
			return d, derr
		},
		Log: logging.NewTestLogger("t", &log)}, &log
}

func TestReadHandlerEnv(t *testing.T) {
	env, err := ReadHandlerEnv(ocf.MapLookup(labEnv))
	require.NoError(t, err)
	assert.Equal(t, HandlerEnv{Resource: "r0", Minors: []int{0}, Peer: "node2", Peers: "node2",
		PeerAddress: "169.254.77.2", PeerAF: "ipv4", Conf: "/etc/drbd.conf"}, env)

	env, err = ReadHandlerEnv(ocf.MapLookup(map[string]string{"DRBD_RESOURCE": "r1", "DRBD_MINOR": "1 2", "DRBD_PEERS": "b"}))
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2}, env.Minors)
	assert.Equal(t, "b", env.Peer)

	_, err = ReadHandlerEnv(ocf.MapLookup(map[string]string{}))
	assert.ErrorIs(t, err, ErrNoResource)
	_, err = ReadHandlerEnv(ocf.MapLookup(map[string]string{"DRBD_RESOURCE": "r0", "DRBD_MINOR": "x"}))
	assert.ErrorContains(t, err, "not a minor")
}

// Our node1 after losing node2: Primary, WFConnection, UpToDate/DUnknown
// (test/lab/captures, partitioned.node1.proc-drbd.txt).
var lostPeer = drbdproc.Device{CState: "WFConnection", Role: "Primary", PeerRole: "Unknown", Disk: "UpToDate", PeerDisk: "DUnknown"}

func TestFencePeer(t *testing.T) {
	resources := runner.OK(crmFixture(t, "cibadmin-Q-resources.xml"))
	exists := runner.Answer{Result: runner.Result{ExitCode: 108, Stdout: captures.Read(t, "pacemaker.node1.cibadmin-create-fence-again.txt"),
		Stderr: captures.Read(t, "pacemaker.node1.cibadmin-create-fence-again.stderr.txt")}}
	peerFence := `<rsc_location rsc="ms_drbd" id="drbd-fence-by-handler-r0-ms_drbd">
  <rule role="Promoted" score="-INFINITY" id="drbd-fence-by-handler-r0-rule-ms_drbd">
    <expression attribute="#uname" operation="ne" value="node2" id="drbd-fence-by-handler-r0-expr-1-ms_drbd"/>
  </rule>
</rsc_location>
`
	dialect, cib21 := dialectQuery, cibRoot(t, "1")
	tests := []struct {
		name  string
		dev   drbdproc.Device
		derr  error
		setup func(f *runner.Fake)
		code  int
		calls []string
		log   string
	}{
		{name: "placed", dev: lostPeer, setup: func(f *runner.Fake) {
			f.On("cibadmin -Q -o resources", resources).On(dialect, cib21).On(createNode1, runner.OK("")).On(peerStateQuery, runner.OK(peerOnline))
		}, code: 4, calls: []string{"cibadmin -Q -o resources", dialect, createNode1, peerStateQuery}, log: "placed constraint " + fenceID},
		{name: "already ours", dev: lostPeer, setup: func(f *runner.Fake) {
			f.On("cibadmin -Q -o resources", resources).On(dialect, cib21).On(createNode1, exists).On(queryFence, runner.OK(captures.Read(t, "pacemaker.node1.cibadmin-query-fence.txt")))
		}, code: 4, calls: []string{"cibadmin -Q -o resources", dialect, createNode1, queryFence}, log: "already in place"},
		{name: "peer fenced us", dev: lostPeer, setup: func(f *runner.Fake) {
			f.On("cibadmin -Q -o resources", resources).On(dialect, cib21).On(createNode1, exists).On(queryFence, runner.OK(peerFence))
		}, code: 6, log: "the peer fenced us"},
		{name: "peer inconsistent", dev: drbdproc.Device{CState: "WFConnection", Disk: "UpToDate", PeerDisk: "Inconsistent"},
			setup: func(*runner.Fake) {}, code: 3, calls: nil},
		{name: "my disk outdated", dev: drbdproc.Device{CState: "WFConnection", Disk: "Outdated", PeerDisk: "DUnknown"},
			setup: func(*runner.Fake) {}, code: 5, log: "not placing"},
		{name: "proc unreadable", derr: errors.New("no /proc/drbd"), setup: func(*runner.Fake) {}, code: 1},
		{name: "no cluster", dev: lostPeer, setup: func(f *runner.Fake) {
			f.On("cibadmin -Q -o resources", runner.Exit(102, "Could not connect to the CIB: Transport endpoint is not connected\n"))
		}, code: 1, log: "no Pacemaker cluster"},
		{name: "no clone for the resource", dev: lostPeer, setup: func(f *runner.Fake) {
			f.On("cibadmin -Q -o resources", runner.OK("<resources/>"))
		}, code: 1, log: "no promotable clone"},
		{name: "cib refuses", dev: lostPeer, setup: func(f *runner.Fake) {
			f.On("cibadmin -Q -o resources", resources).On(dialect, cib21).On(createNode1, runner.Exit(78, "Call cib_create failed: Update does not conform to the configured schema\n"))
		}, code: 1, log: "does not conform"},
		{name: "cibadmin hangs", dev: lostPeer, setup: func(f *runner.Fake) {
			f.On("cibadmin -Q -o resources", runner.Answer{Result: runner.Result{ExitCode: -1}, Err: context.DeadlineExceeded})
		}, code: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &runner.Fake{}
			tt.setup(f)
			h, log := handlers(t, f, tt.dev, tt.derr)
			assert.Equal(t, tt.code, h.FencePeer(context.Background()))
			if tt.calls != nil {
				assert.Equal(t, tt.calls, f.Calls())
			}
			if tt.code == 3 {
				assert.Empty(t, f.Calls())
			}
			assert.Contains(t, log.String(), tt.log)
		})
	}
}

func TestUnfencePeer(t *testing.T) {
	resynced := drbdproc.Device{CState: "Connected", Role: "Secondary", PeerRole: "Primary", Disk: "UpToDate", PeerDisk: "UpToDate"}
	resources := runner.OK(crmFixture(t, "cibadmin-Q-resources.xml"))
	t.Run("removes ours when both UpToDate", func(t *testing.T) {
		f := (&runner.Fake{}).On("cibadmin -Q -o resources", resources).
			On(queryFence, runner.OK(captures.Read(t, "pacemaker.node1.cibadmin-query-fence.txt"))).On(deleteFence, runner.OK(""))
		h, log := handlers(t, f, resynced, nil)
		var cleared []string
		h.ClearMarker = func(res string) error { cleared = append(cleared, res); return nil }
		require.NoError(t, h.UnfencePeer(context.Background()))
		assert.Equal(t, []string{"cibadmin -Q -o resources", queryFence, deleteFence}, f.Calls())
		assert.Equal(t, []string{"r0"}, cleared, "the resync ended the split brain")
		assert.Contains(t, log.String(), "removed constraint")
	})
	t.Run("nothing to remove", func(t *testing.T) {
		f := (&runner.Fake{}).On("cibadmin -Q -o resources", resources).
			On(queryFence, runner.Exit(105, captures.Read(t, "pacemaker.node1.cibadmin-query-fence-missing.stderr.txt")))
		h, _ := handlers(t, f, resynced, nil)
		require.NoError(t, h.UnfencePeer(context.Background()))
		assert.NotContains(t, f.Calls(), deleteFence)
	})
	t.Run("still syncing: left in place", func(t *testing.T) {
		f := &runner.Fake{}
		h, _ := handlers(t, f, drbdproc.Device{CState: "SyncTarget", Disk: "Inconsistent", PeerDisk: "UpToDate"}, nil)
		err := h.UnfencePeer(context.Background())
		assert.ErrorContains(t, err, "Inconsistent/UpToDate, not both UpToDate")
		assert.Empty(t, f.Calls())
	})
	t.Run("foreign shape: left in place", func(t *testing.T) {
		f := (&runner.Fake{}).On("cibadmin -Q -o resources", resources).
			On(queryFence, runner.OK(`<rsc_location rsc="ms_drbd" id="`+fenceID+`" node="node2" score="-INFINITY"/>`))
		h, _ := handlers(t, f, resynced, nil)
		assert.ErrorContains(t, h.UnfencePeer(context.Background()), "left in place")
		assert.NotContains(t, f.Calls(), deleteFence)
	})
}

func TestSplitBrainRecordsAndNotifies(t *testing.T) {
	f := (&runner.Fake{}).On("sh -c mail -s split-brain root", runner.OK("sent\n"))
	h, log := handlers(t, f, lostPeer, nil)
	at := time.Date(2026, 11, 24, 21, 40, 0, 0, time.UTC)
	h.Now = func() time.Time { return at }
	h.Notify = "mail -s split-brain root"
	var got []string
	h.Marker = func(m marker.Marker) error {
		got = append(got, m.Resource, m.Peer, m.DetectedAt.Format(time.RFC3339))
		return nil
	}
	require.NoError(t, h.SplitBrain(context.Background()))
	assert.Equal(t, []string{"r0", "node2", "2026-11-24T21:40:00Z"}, got)
	assert.Equal(t, []string{"sh -c mail -s split-brain root"}, f.Calls(), "no drbdadm: it never discards")
	assert.Contains(t, log.String(), "drbd-splitbrain resolve r0")

	f2 := (&runner.Fake{}).On("sh -c false", runner.Exit(1, ""))
	h2, _ := handlers(t, f2, lostPeer, nil)
	h2.Notify = "false"
	h2.Marker = func(marker.Marker) error { return errors.New("read-only fs") }
	err := h2.SplitBrain(context.Background())
	assert.ErrorContains(t, err, "read-only fs")
	assert.ErrorContains(t, err, "notify command")
}

// Issue 17, finding 5: schedulers before Pacemaker 2.1 drop a rule whose
// role is "Promoted" ("Bad role specified"), so a constraint written that
// way fences nothing while the handler reports 4. The role follows the CIB:
// Master on 2.0 (and when the CIB's dialect cannot be read), Promoted on
// 2.1 and later.
func TestFencePeerNamesTheRoleAsTheClusterDoes(t *testing.T) {
	resources := runner.OK(crmFixture(t, "cibadmin-Q-resources.xml"))
	dialect := dialectQuery
	createMaster := strings.Replace(createNode1, `role="Promoted"`, `role="Master"`, 1)
	quorate := func(name string) runner.Answer {
		// The captures lack have-quorum, which a running DC adds (synthetic).
		return runner.OK(strings.Replace(crmFixture(t, name), "<cib ", `<cib have-quorum="1" `, 1))
	}
	for _, tt := range []struct {
		name   string
		answer runner.Answer
		create string
	}{
		{"Pacemaker 2.0.5", quorate("cibadmin-Q-cib-nochildren-2.0.5.xml"), createMaster},
		{"Pacemaker 2.1.5", quorate("cibadmin-Q-cib-nochildren-2.1.5.xml"), createNode1},
		{"Pacemaker 3.0", quorate("cibadmin-Q-cib-nochildren-3.0.xml"), createNode1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := (&runner.Fake{}).On("cibadmin -Q -o resources", resources).On(dialect, tt.answer).On(tt.create, runner.OK("")).
				On(peerStateQuery, runner.OK(peerOnline))
			h, _ := handlers(t, f, lostPeer, nil)
			assert.Equal(t, 4, h.FencePeer(context.Background()))
			assert.Equal(t, []string{"cibadmin -Q -o resources", dialect, tt.create, peerStateQuery}, f.Calls())
		})
	}
	// Unreadable, the root tells neither the dialect nor the quorum: no
	// constraint, since quorum cannot be confirmed.
	f := (&runner.Fake{}).On("cibadmin -Q -o resources", resources).On(dialect, runner.Exit(1, "cibadmin: error\n"))
	h, _ := handlers(t, f, lostPeer, nil)
	assert.Equal(t, 1, h.FencePeer(context.Background()))
	assert.Equal(t, []string{"cibadmin -Q -o resources", dialect}, f.Calls())
}
