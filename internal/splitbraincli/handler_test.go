package splitbraincli

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/ocf-mfs/ocf-mfs/internal/logging"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"

	"github.com/ocf-mfs/ocf-mfs/internal/crm"
	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
	"github.com/ocf-mfs/ocf-mfs/internal/splitbrain/marker"
)

const createFence = `cibadmin -C -o constraints -X <rsc_location rsc="ms_drbd" id="drbd-fence-by-handler-r0-ms_drbd"><rule role="Promoted" score="-INFINITY" id="drbd-fence-by-handler-r0-rule-ms_drbd"><expression attribute="#uname" operation="ne" value="node1" id="drbd-fence-by-handler-r0-expr-1-ms_drbd"/></rule></rsc_location>`

const msResources = `<resources><clone id="ms_drbd"><primitive id="p_drbd_r0" class="ocf" provider="linbit" type="drbd"><instance_attributes id="i"><nvpair id="n" name="drbd_resource" value="r0"/></instance_attributes></primitive></clone></resources>`

func runHandler(t *testing.T, f *runner.Fake, env map[string]string, dev drbdproc.Device, record func(marker.Marker) error, args ...string) (int, string) {
	t.Helper()
	return runHandlerAs(t, 0, f, env, dev, record, args...)
}

// runHandlerAs runs a handler as the user euid.
func runHandlerAs(t *testing.T, euid int, f *runner.Fake, env map[string]string, dev drbdproc.Device, record func(marker.Marker) error, args ...string) (int, string) {
	t.Helper()
	var out, log bytes.Buffer
	deps := HandlerDeps{Runner: f, CRM: &crm.Client{Runner: f}, Getenv: ocf.MapLookup(env),
		ReadDevice: func(context.Context, int) (drbdproc.Device, error) { return dev, nil },
		Hostname:   func() (string, error) { return "node1", nil }, LockDir: t.TempDir(),
		Log: logging.NewTestLogger("drbd-splitbrain", &log), Marker: record, Geteuid: func() int { return euid }}
	app := &cli.App{Name: "drbd-splitbrain", Writer: &out, ErrWriter: &out, Commands: []*cli.Command{HandlerCommand(deps)},
		ExitErrHandler: func(*cli.Context, error) {}}
	err := app.Run(append([]string{"drbd-splitbrain", "handler"}, args...))
	var ec cli.ExitCoder
	code := 0
	if errors.As(err, &ec) {
		code = ec.ExitCode()
	} else if err != nil {
		code = -1
	}
	return code, log.String()
}

var drbdEnv = map[string]string{"DRBD_RESOURCE": "r0", "DRBD_MINOR": "0", "DRBD_PEER": "node2", "DRBD_PEER_ADDRESS": "169.254.77.2", "DRBD_PEER_AF": "ipv4"}

func TestHandlerFencePeerExitCodes(t *testing.T) {
	lost := drbdproc.Device{CState: "WFConnection", Role: "Primary", Disk: "UpToDate", PeerDisk: "DUnknown"}
	// Pacemaker 2.1.5's CIB root as captured in internal/crm/testdata, with
	// the have-quorum a running DC adds, and an online peer (synthetic).
	cib := `<cib have-quorum="1" crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"/>`
	peer := "cibadmin -Q --xpath //node_state[@uname='node2'] --no-children"
	f := (&runner.Fake{}).On("cibadmin -Q -o resources", runner.OK(msResources)).
		On("cibadmin -Q --xpath /cib --no-children", runner.OK(cib)).On(createFence, runner.OK("")).
		On(peer, runner.OK(`<node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member"/>`))
	// --settle 0s: the peer's first online read is trusted, so the calls
	// are exactly these (the default settle time reads it again and again).
	code, log := runHandler(t, f, drbdEnv, lost, nil, "fence-peer", "--settle", "0s")
	assert.Equal(t, 4, code, log)
	assert.Equal(t, []string{"cibadmin -Q -o resources", "cibadmin -Q --xpath /cib --no-children", createFence, peer}, f.Calls())

	// Not run by drbdadm: "helper broken", which changes no state.
	code, log = runHandler(t, &runner.Fake{}, map[string]string{}, lost, nil, "fence-peer")
	assert.Equal(t, 1, code)
	assert.Contains(t, log, "DRBD_RESOURCE is not set")

	code, _ = runHandler(t, (&runner.Fake{}).On("cibadmin -Q -o resources", runner.Exit(102, "")), drbdEnv, lost, nil, "fence-peer")
	assert.Equal(t, 1, code, "no cluster and an UpToDate disk: never 5")
}

func TestHandlerUnfenceAndSplitBrain(t *testing.T) {
	id := "drbd-fence-by-handler-r0-ms_drbd"
	f := (&runner.Fake{}).On("cibadmin -Q -o resources", runner.OK(msResources)).
		On("cibadmin -Q --xpath //rsc_location[@id='"+id+"']", runner.OK(`<rsc_location rsc="ms_drbd" id="`+id+`"><rule role="Promoted" score="-INFINITY" id="x"><expression attribute="#uname" operation="ne" value="node2" id="y"/></rule></rsc_location>`)).
		On(`cibadmin -D -o constraints -X <rsc_location id="`+id+`"/>`, runner.OK(""))
	up := drbdproc.Device{CState: "Connected", Disk: "UpToDate", PeerDisk: "UpToDate"}
	code, log := runHandler(t, f, drbdEnv, up, nil, "unfence-peer")
	assert.Equal(t, 0, code, log)
	assert.Len(t, f.Calls(), 3)

	code, _ = runHandler(t, &runner.Fake{}, drbdEnv, drbdproc.Device{CState: "SyncTarget", Disk: "Inconsistent", PeerDisk: "UpToDate"}, nil, "unfence-peer")
	assert.Equal(t, 1, code)

	var marked string
	code, log = runHandler(t, &runner.Fake{}, drbdEnv, up, func(m marker.Marker) error {
		marked = m.Resource + "/" + m.Peer
		return nil
	}, "split-brain")
	require.Equal(t, 0, code, log)
	assert.Equal(t, "r0/node2", marked)
	assert.Contains(t, log, "detected a split brain")
}

// Finding 13: `handler` without a name exited 0, so a drbd.conf line
// missing its handler name looked like success.
func TestHandlerWithoutNameFails(t *testing.T) {
	code, _ := runHandler(t, &runner.Fake{}, drbdEnv, drbdproc.Device{}, nil)
	assert.Equal(t, 1, code)
	code, _ = runHandler(t, &runner.Fake{}, drbdEnv, drbdproc.Device{}, nil, "fence-per")
	assert.Equal(t, 1, code)
}

// Finding 12: --role accepts only the two names a scheduler reads; any
// other word would make a constraint that fences nothing, so nothing is
// placed and the kernel gets 1.
func TestFinding12RoleFlag(t *testing.T) {
	lost := drbdproc.Device{CState: "WFConnection", Role: "Primary", Disk: "UpToDate", PeerDisk: "DUnknown"}
	f := &runner.Fake{}
	code, log := runHandler(t, f, drbdEnv, lost, nil, "fence-peer", "--role", "Primary")
	assert.Equal(t, 1, code, log)
	assert.Empty(t, f.Calls())
	assert.Contains(t, log, "not Master or Promoted")
}
