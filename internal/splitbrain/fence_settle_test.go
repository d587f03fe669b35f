package splitbrain

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// Found by make soak in a partition with SBD fencing: DRBD noticed the lost
// link before corosync did, so the CIB still showed the peer online and
// fence-peer answered 4 at once. The constraint existed only in this
// node's half of the cluster, I/O resumed, and had the peer won the fencing
// race it would have promoted without the writes acknowledged since. The
// peer must stay online for the settle time before 4 is answered; a peer
// that drops out meanwhile is waited for until Pacemaker records it fenced
// (7).
func TestFencePeerWaitsOutAPartitionBeforeAnswering(t *testing.T) {
	resources := runner.OK(crmFixture(t, "cibadmin-Q-resources.xml"))
	setup := func(states ...runner.Answer) (*runner.Fake, *Handlers) {
		f := (&runner.Fake{}).On("cibadmin -Q -o resources", resources).On(dialectQuery, cibRoot(t, "1")).
			On(createNode1, runner.OK("")).On(peerStateQuery, states...)
		h, _ := handlers(t, f, lostPeer, nil)
		h.Settle, h.FenceWait, h.Poll = 50*time.Millisecond, time.Second, time.Millisecond
		return f, h
	}
	reads := func(f *runner.Fake) (n int) {
		for _, c := range f.Calls() {
			if c == peerStateQuery {
				n++
			}
		}
		return n
	}

	t.Run("partitioned: online, then lost, then fenced", func(t *testing.T) {
		f, h := setup(runner.OK(peerOnline), runner.OK(peerOnline), runner.OK(peerUnclean), runner.OK(peerUnclean), runner.OK(peerCleanDown))
		assert.Equal(t, 7, h.FencePeer(context.Background()))
		assert.Equal(t, 5, reads(f))
	})
	t.Run("replication link only: online throughout the settle time", func(t *testing.T) {
		f, h := setup(runner.OK(peerOnline))
		start := time.Now()
		assert.Equal(t, 4, h.FencePeer(context.Background()))
		assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
		assert.Greater(t, reads(f), 1)
	})
	t.Run("lost and never recorded fenced: not 4", func(t *testing.T) {
		_, h := setup(runner.OK(peerOnline), runner.OK(peerUnclean))
		h.FenceWait = 20 * time.Millisecond
		assert.Equal(t, 5, h.FencePeer(context.Background()))
	})
}

// Found by make soak: with fencing resource-and-stonith, every standby
// failover spent 18 s in the survivor's promote. The peer's DRBD went down
// because Pacemaker stopped it (the standby), DRBD asked fence-peer before
// promoting, and fence-peer waited out the whole settle time, though the
// disconnect was that stop, recorded in the CIB by a cluster that could
// still talk to the peer: not a lost link that corosync had yet to notice.
// A peer whose instance of the clone Pacemaker recorded stopped gets 4 at
// once; one whose instance runs (a lost replication link) is still waited
// for.
func TestFencePeerAnswersAtOnceWhenPacemakerStoppedThePeer(t *testing.T) {
	resources := runner.OK(crmFixture(t, "cibadmin-Q-resources.xml"))
	const lrmQuery = "cibadmin -Q --xpath //node_state[@uname='node2']//lrm_resource[@id='p_drbd_r0']"
	setup := func(lrm runner.Answer) (*runner.Fake, *Handlers) {
		f := (&runner.Fake{}).On("cibadmin -Q -o resources", resources).On(dialectQuery, cibRoot(t, "1")).
			On(createNode1, runner.OK("")).On(peerStateQuery, runner.OK(peerOnline)).On(lrmQuery, lrm)
		h, _ := handlers(t, f, lostPeer, nil)
		h.Settle, h.FenceWait, h.Poll = 300*time.Millisecond, time.Second, time.Millisecond
		return f, h
	}
	t.Run("standby: the peer's instance stopped by Pacemaker", func(t *testing.T) {
		f, h := setup(runner.OK(crmFixture(t, "lrm_resource-drbd-stopped-2.1.5.xml")))
		start := time.Now()
		assert.Equal(t, 4, h.FencePeer(context.Background()))
		assert.Less(t, time.Since(start), 300*time.Millisecond, "no settle wait")
		assert.Contains(t, f.Calls(), createNode1, "the constraint is placed all the same")
	})
	t.Run("replication link lost: the peer's instance runs", func(t *testing.T) {
		_, h := setup(runner.OK(crmFixture(t, "lrm_resource-drbd-started-2.1.5.xml")))
		start := time.Now()
		assert.Equal(t, 4, h.FencePeer(context.Background()))
		assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
	})
	t.Run("history unreadable: waited for", func(t *testing.T) {
		_, h := setup(runner.Exit(1, "Signon to CIB failed: Transport endpoint is not connected\n"))
		start := time.Now()
		assert.Equal(t, 4, h.FencePeer(context.Background()))
		assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
	})
}
