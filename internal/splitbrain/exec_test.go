package splitbrain

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/logging"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/drbdadm"
	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// stderr of `drbdadm disconnect r0` on the lab's StandAlone victim (exit 10).
const disconnectStandalone = `??: Failure: (162) Invalid configuration request
additional info from kernel:
unknown connection
Command 'drbdsetup-84 disconnect ipv4:169.254.77.2:7789 ipv4:169.254.77.1:7789' terminated with exit code 10
`

func victimPlan(t *testing.T) *Plan {
	p, r := Decide(Facts{Resource: "r0", Node: "node2", Device: dev("StandAlone", "Primary", "UpToDate", 36)}, Options{Choice: DiscardLocal})
	require.Nil(t, r)
	return p
}

func TestCommitVictimToleratesExit10(t *testing.T) {
	f := (&runner.Fake{}).
		On("drbdadm disconnect r0", runner.Exit(10, disconnectStandalone)).
		On("drbdadm secondary r0", runner.OK("")).
		On("drbdadm connect --discard-my-data r0", runner.OK(""))
	var log bytes.Buffer
	e := &Executor{Drbd: &drbdadm.Client{Runner: f}, Log: logging.NewTestLogger("t", &log), State: states(dev("StandAlone", "Primary", "UpToDate", 36))}
	require.NoError(t, e.Commit(context.Background(), victimPlan(t)))
	assert.Equal(t, []string{"drbdadm disconnect r0", "drbdadm secondary r0", "drbdadm connect --discard-my-data r0"}, f.Calls())
	assert.Contains(t, log.String(), "step 3/3: drbdadm connect --discard-my-data r0")
}

func TestCommitStopsAtFirstFailure(t *testing.T) {
	f := (&runner.Fake{}).
		On("drbdadm disconnect r0", runner.Exit(10, disconnectStandalone)).
		On("drbdadm secondary r0", runner.Exit(11, "0: State change failed: (-12) Device is held open by someone\nCommand 'drbdsetup-84 secondary 0' terminated with exit code 11\n"))
	var log bytes.Buffer
	e := &Executor{Drbd: &drbdadm.Client{Runner: f}, Log: logging.NewTestLogger("t", &log), State: states(dev("StandAlone", "Primary", "UpToDate", 36))}
	err := e.Commit(context.Background(), victimPlan(t))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "step 2/3 (drbdadm secondary r0)")
	assert.Contains(t, err.Error(), "exit code 11")
	assert.Equal(t, []string{"drbdadm disconnect r0", "drbdadm secondary r0"}, f.Calls())
	assert.Contains(t, log.String(), "ERROR")
}

func states(ds ...drbdproc.Device) StateFunc {
	i := 0
	return func(context.Context) ([]drbdproc.Device, error) {
		d := ds[i]
		if i < len(ds)-1 {
			i++
		}
		return []drbdproc.Device{d}, nil
	}
}

func TestVerifyWaitsForUpToDate(t *testing.T) {
	// The victim's states in the lab: WFConnection, then SyncTarget, then
	// Connected UpToDate/UpToDate (test/lab/captures: victim-reconnecting, resynced).
	syncing := drbdproc.Device{CState: "SyncTarget", Disk: "Inconsistent", PeerDisk: "UpToDate", Sync: &drbdproc.Sync{Percent: 42.5, RemainingKiB: 36}}
	var prog, log bytes.Buffer
	e := &Executor{Log: logging.NewTestLogger("t", &log), Progress: &prog, Interval: time.Millisecond,
		State: states(dev("WFConnection", "Secondary", "UpToDate", 36), syncing,
			drbdproc.Device{CState: "Connected", Role: "Secondary", PeerRole: "Primary", Disk: "UpToDate", PeerDisk: "UpToDate"})}
	d, err := e.Verify(context.Background(), "r0")
	require.NoError(t, err)
	assert.True(t, d.Healthy())
	assert.Contains(t, prog.String(), "waiting for the peer")
	assert.Contains(t, prog.String(), " 42.5% (36 KiB left)")
	assert.Contains(t, log.String(), "recovered")
}

func TestVerifyDeadline(t *testing.T) {
	var log bytes.Buffer
	calls := 0
	e := &Executor{Log: logging.NewTestLogger("t", &log), Interval: time.Millisecond,
		State: func(context.Context) ([]drbdproc.Device, error) {
			calls++
			if calls > 2 {
				return nil, errors.New("proc gone")
			}
			return []drbdproc.Device{dev("WFConnection", "Secondary", "UpToDate", 36)}, nil
		}}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	d, err := e.Verify(ctx, "r0")
	assert.ErrorIs(t, err, ErrNotVerified)
	assert.Contains(t, err.Error(), "proc gone")
	assert.Equal(t, "WFConnection", d.CState)
}

// Finding 8: exit 10 from disconnect is any kernel failure, not only
// "already StandAlone"; it is accepted only when the state afterwards is
// really StandAlone.
func TestCommitExit10NeedsStandAlone(t *testing.T) {
	f := (&runner.Fake{}).On("drbdadm disconnect r0", runner.Exit(10, disconnectStandalone))
	var log bytes.Buffer
	e := &Executor{Drbd: &drbdadm.Client{Runner: f}, Log: logging.NewTestLogger("t", &log),
		State: states(dev("WFConnection", "Primary", "UpToDate", 36))}
	err := e.Commit(context.Background(), victimPlan(t))
	require.Error(t, err)
	assert.ErrorContains(t, err, "not StandAlone")
	assert.Equal(t, []string{"drbdadm disconnect r0"}, f.Calls(), "nothing discarded")

	f = (&runner.Fake{}).On("drbdadm disconnect r0", runner.Exit(10, disconnectStandalone)).
		On("drbdadm secondary r0", runner.OK("")).On("drbdadm connect --discard-my-data r0", runner.OK(""))
	e = &Executor{Drbd: &drbdadm.Client{Runner: f}, Log: logging.NewTestLogger("t", &log),
		State: states(dev("StandAlone", "Primary", "UpToDate", 36))}
	require.NoError(t, e.Commit(context.Background(), victimPlan(t)))
}
