package drbd

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// Pacemaker 1.1 and 2.0 pass OCF 1.0 and have no crm_attribute
// --promotion: the score is the node attribute master-<instance>, and 1.1
// answers "not set" with exit 6 (see internal/crm's pacemaker11 for the
// sources).
func TestPacemakerBefore21Promotes(t *testing.T) {
	s := newSim(t, "connected.node1.proc-drbd.txt")
	get := "crm_attribute -n master-" + inst + " -l reboot -G -q"
	set := "crm_attribute -n master-" + inst + " -l reboot -v 10000"
	s.fake.On(s.drbdadm("sh-minor r0"), runner.OK("0\n")).
		On(get, runner.Exit(6, "Error performing operation: No such device or address\n")).
		On(set, runner.OK(""))
	o := s.run("monitor", "OCF_RA_VERSION_MAJOR", "1", "OCF_RA_VERSION_MINOR", "0")
	assert.Equal(t, ocf.RunningPromoted, o.code, o.stderr)
	assert.Equal(t, []string{s.drbdadm("sh-minor r0"), get, set}, s.fake.Calls())
	assert.NotContains(t, o.stderr, "promotion score:", "no warning: the score was written")
}
