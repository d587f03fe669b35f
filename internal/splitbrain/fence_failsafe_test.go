package splitbrain

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ocf-mfs/ocf-mfs/internal/drbdadm"
	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// Finding 1: fence-peer answered 5 ("peer unreachable, assumed dead") when
// it could not place the constraint. With our disk UpToDate the kernel then
// marks the peer Outdated and resumes I/O with nothing in place. The kernel
// contract, as drbd-utils' crm-fence-peer.9.sh follows it: 5 only when the
// peer is gone and either a constraint is placed or our disk is not
// UpToDate (then the kernel changes nothing); 1 whenever the handler cannot
// do its job.
func TestFencePeerNeverAnswersUnreachableWithoutConstraint(t *testing.T) {
	resources := runner.OK(crmFixture(t, "cibadmin-Q-resources.xml"))
	cib21 := cibRoot(t, "1")
	noCIB := runner.Exit(102, "Could not connect to the CIB: Transport endpoint is not connected\n")
	tests := []struct {
		name  string
		dev   drbdproc.Device
		derr  error
		setup func(f *runner.Fake)
		code  int
	}{
		{name: "CIB unreachable, disk UpToDate", dev: lostPeer,
			setup: func(f *runner.Fake) { f.On("cibadmin -Q -o resources", noCIB) }, code: 1},
		{name: "cibadmin missing, disk UpToDate", dev: lostPeer,
			setup: func(f *runner.Fake) {
				f.On("cibadmin -Q -o resources", runner.Answer{Result: runner.Result{ExitCode: -1}, Err: runner.ErrNotFound})
			}, code: 1},
		{name: "cibadmin hangs, disk UpToDate", dev: lostPeer,
			setup: func(f *runner.Fake) {
				f.On("cibadmin -Q -o resources", runner.Answer{Result: runner.Result{ExitCode: -1}, Err: context.DeadlineExceeded})
			}, code: 1},
		{name: "no clone manages the resource, disk UpToDate", dev: lostPeer,
			setup: func(f *runner.Fake) { f.On("cibadmin -Q -o resources", runner.OK("<resources/>")) }, code: 1},
		{name: "constraint rejected, disk UpToDate", dev: lostPeer,
			setup: func(f *runner.Fake) {
				f.On("cibadmin -Q -o resources", resources).On(dialectQuery, cib21).On(createNode1, runner.Exit(78, "Call cib_create failed: Update does not conform to the configured schema\n"))
			}, code: 1},
		{name: "CIB lost between query and create, disk UpToDate", dev: lostPeer,
			setup: func(f *runner.Fake) {
				f.On("cibadmin -Q -o resources", resources).On(dialectQuery, cib21).On(createNode1, noCIB)
			}, code: 1},
		{name: "state unreadable", derr: errors.New("open /proc/drbd: no such file"), setup: func(*runner.Fake) {}, code: 1},
		{name: "empty disk state (DRBD 9 /proc/drbd)", dev: drbdproc.Device{}, setup: func(*runner.Fake) {}, code: 1},
		{name: "minor unconfigured", dev: drbdproc.Device{CState: "Unconfigured"}, setup: func(*runner.Fake) {}, code: 1},
		{name: "unknown disk state word", dev: drbdproc.Device{CState: "WFConnection", Disk: "Frobbed", PeerDisk: "DUnknown"},
			setup: func(*runner.Fake) {}, code: 1},
		// Safe 5s: our disk is not UpToDate, so the kernel outdates nothing.
		{name: "disk Outdated, no cluster", dev: drbdproc.Device{CState: "WFConnection", Disk: "Outdated", PeerDisk: "DUnknown"},
			setup: func(*runner.Fake) {}, code: 5},
		{name: "disk Inconsistent, no cluster", dev: drbdproc.Device{CState: "WFConnection", Disk: "Inconsistent", PeerDisk: "DUnknown"},
			setup: func(*runner.Fake) {}, code: 5},
		{name: "disk UpToDate, constraint placed", dev: lostPeer,
			setup: func(f *runner.Fake) {
				f.On("cibadmin -Q -o resources", resources).On(dialectQuery, cib21).On(createNode1, runner.OK("")).On(peerStateQuery, runner.OK(peerOnline))
			}, code: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &runner.Fake{}
			tt.setup(f)
			h, log := handlers(t, f, tt.dev, tt.derr)
			code := h.FencePeer(context.Background())
			assert.Equal(t, tt.code, code, log.String())
			if code == FencePeerUnreachable && tt.dev.Disk == "UpToDate" {
				assert.Contains(t, f.Calls(), createNode1, "5 with an UpToDate disk needs a placed constraint")
			}
		})
	}
}

// Finding 1: a panic or a code outside the kernel's set is "helper broken"
// (1), never 5.
func TestGuardFailsSafeWithOne(t *testing.T) {
	h, log := handlers(t, &runner.Fake{}, lostPeer, nil)
	assert.Equal(t, 1, h.Guard(func() int { panic("boom") }))
	assert.Contains(t, log.String(), "internal error: boom")
	assert.Equal(t, 1, h.Guard(func() int { return 0 }))
	assert.Equal(t, 1, h.Guard(func() int { return 2 }))
	assert.Equal(t, 1, h.Guard(func() int { return 8 }))
	for _, c := range []int{1, 3, 4, 5, 6, 7} {
		assert.Equal(t, c, h.Guard(func() int { return c }))
	}
	h.CRM = nil
	assert.Equal(t, 1, h.FencePeer(context.Background()))
}

// Finding 2: DRBD_RESOURCE reaches cibadmin's XPath, constraint ids and the
// lock file name; a name drbd.conf cannot declare unquoted is refused, and
// fence-peer then answers 1.
func TestReadHandlerEnvRejectsBadResourceName(t *testing.T) {
	for _, name := range []string{"r0']|//*|x['", "../../etc/x", "-r0", "r0 r1", `r0"`} {
		_, err := ReadHandlerEnv(func(k string) (string, bool) {
			if k == "DRBD_RESOURCE" {
				return name, true
			}
			return "0", k == "DRBD_MINOR"
		})
		assert.ErrorIs(t, err, drbdadm.ErrBadName, name)
	}
}
