package splitbrain

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// quorate is Pacemaker 2.1.5's CIB root from internal/crm/testdata with
// the have-quorum attribute a running cluster's DC adds (synthetic: the
// capture came from a CIB without it).
func cibRoot(t *testing.T, quorum string) runner.Answer {
	root := crmFixture(t, "cibadmin-Q-cib-nochildren-2.1.5.xml")
	if quorum != "" {
		root = strings.Replace(root, "<cib ", `<cib have-quorum="`+quorum+`" `, 1)
	}
	return runner.OK(root)
}

const peerStateQuery = "cibadmin -Q --xpath //node_state[@uname='node2'] --no-children"

// node_state lines in the shape Pacemaker writes them (synthetic values).
const (
	peerOnline    = `<node_state id="2" uname="node2" in_ccm="true" crmd="online" crm-debug-origin="do_update_resource" join="member" expected="member"/>`
	peerCleanDown = `<node_state id="2" uname="node2" in_ccm="false" crmd="offline" crm-debug-origin="do_state_transition" join="down" expected="down"/>`
	peerUnclean   = `<node_state id="2" uname="node2" in_ccm="false" crmd="offline" crm-debug-origin="post_cache_update" join="member" expected="member"/>`
)

// Finding 12: crm-fence-peer.9.sh places no constraint from a partition
// without quorum (the CIB root's have-quorum is not 1) and keeps its answer
// at 1, "helper broken": a partition without quorum must not decide who
// may be promoted.
func TestFinding12NoConstraintWithoutQuorum(t *testing.T) {
	resources := runner.OK(crmFixture(t, "cibadmin-Q-resources.xml"))
	for _, q := range []string{"0", "false", ""} {
		f := (&runner.Fake{}).On("cibadmin -Q -o resources", resources).On(dialectQuery, cibRoot(t, q)).
			On(createNode1, runner.OK("")).On(peerStateQuery, runner.OK(peerUnclean))
		h, log := handlers(t, f, lostPeer, nil)
		assert.Equal(t, 1, h.FencePeer(context.Background()), "have-quorum=%q\n%s", q, log)
		assert.NotContains(t, f.Calls(), createNode1, "have-quorum=%q", q)
		assert.Contains(t, log.String(), "quorum")
	}
}

// Finding 12: once the constraint is placed, the answer tells the kernel
// what the CIB knows of the peer, as crm-fence-peer.9.sh does: 7 when its
// node_state says cleanly down (expected down, out of the membership, its
// controller offline), 4 when it is online, 5 otherwise (unclean, or not
// in the CIB): the constraint is in place either way.
func TestFinding12PeerStateAnswers(t *testing.T) {
	resources := runner.OK(crmFixture(t, "cibadmin-Q-resources.xml"))
	for _, tt := range []struct {
		name  string
		state runner.Answer
		code  int
	}{
		{"peer online", runner.OK(peerOnline), 4},
		{"peer cleanly down (fenced)", runner.OK(peerCleanDown), 7},
		{"peer unclean", runner.OK(peerUnclean), 5},
		{"peer not in the CIB", runner.Exit(105, "Call cib_query failed (-6): No such device or address\n"), 5},
		{"peer state unreadable", runner.Exit(102, "Could not connect to the CIB\n"), 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := (&runner.Fake{}).On("cibadmin -Q -o resources", resources).On(dialectQuery, cibRoot(t, "1")).
				On(createNode1, runner.OK("")).On(peerStateQuery, tt.state)
			h, log := handlers(t, f, lostPeer, nil)
			assert.Equal(t, tt.code, h.FencePeer(context.Background()), log.String())
			assert.Equal(t, []string{"cibadmin -Q -o resources", dialectQuery, createNode1, peerStateQuery}, f.Calls())
		})
	}
}

// Finding 12: cibadmin exits 103 (CRM_EX_OLD, Pacemaker 2 and later) or
// 205 (pcmk_err_old_data, Pacemaker 1.1) when another update raced ours;
// crm-fence-peer.9.sh retries those. Any other refusal is final.
func TestFinding12RetryOnCIBRace(t *testing.T) {
	resources := runner.OK(crmFixture(t, "cibadmin-Q-resources.xml"))
	for _, code := range []int{103, 205} {
		f := (&runner.Fake{}).On("cibadmin -Q -o resources", resources).On(dialectQuery, cibRoot(t, "1")).
			On(createNode1, runner.Exit(code, "Update was older than existing configuration\n"), runner.Exit(code, ""), runner.OK("")).
			On(peerStateQuery, runner.OK(peerOnline))
		h, log := handlers(t, f, lostPeer, nil)
		h.RetryInterval = time.Millisecond
		assert.Equal(t, 4, h.FencePeer(context.Background()), "exit %d\n%s", code, log)
		n := 0
		for _, c := range f.Calls() {
			if c == createNode1 {
				n++
			}
		}
		assert.Equal(t, 3, n, "exit %d: retried until placed", code)
	}

	f := (&runner.Fake{}).On("cibadmin -Q -o resources", resources).On(dialectQuery, cibRoot(t, "1")).
		On(createNode1, runner.Exit(103, ""))
	h, _ := handlers(t, f, lostPeer, nil)
	h.RetryInterval, h.Timeout = time.Millisecond, 30*time.Millisecond
	assert.Equal(t, 1, h.FencePeer(context.Background()), "a race that never ends is a failure")

	f = (&runner.Fake{}).On("cibadmin -Q -o resources", resources).On(dialectQuery, cibRoot(t, "1")).
		On(createNode1, runner.Exit(78, "Update does not conform to the configured schema\n"), runner.OK(""))
	h, _ = handlers(t, f, lostPeer, nil)
	h.RetryInterval = time.Millisecond
	assert.Equal(t, 1, h.FencePeer(context.Background()), "a schema refusal is not retried")
}

// Finding 12: --role names the promoted role in the constraint whatever
// the CIB's feature set says (crm-fence-peer's --role).
func TestFinding12RoleOverride(t *testing.T) {
	resources := runner.OK(crmFixture(t, "cibadmin-Q-resources.xml"))
	createMaster := strings.Replace(createNode1, `role="Promoted"`, `role="Master"`, 1)
	f := (&runner.Fake{}).On("cibadmin -Q -o resources", resources).On(dialectQuery, cibRoot(t, "1")).
		On(createMaster, runner.OK("")).On(peerStateQuery, runner.OK(peerOnline))
	h, log := handlers(t, f, lostPeer, nil)
	h.Role = "Master"
	assert.Equal(t, 4, h.FencePeer(context.Background()), log.String())
	assert.Contains(t, f.Calls(), createMaster)
}
