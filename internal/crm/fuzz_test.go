package crm

import (
	"strings"
	"testing"

	"github.com/ocf-mfs/ocf-mfs/test/lab/captures"
)

// What cibadmin and crm_resource print is parsed during fencing, when I/O
// may be frozen: no input may make the parsers panic.
func FuzzParsers(f *testing.F) {
	f.Add(`<node_state id="2" uname="node2" in_ccm="false" crmd="offline" join="down" expected="down"/>`)
	for _, name := range []string{"cibadmin-Q-cib-nochildren-2.1.5.xml", "cibadmin-Q-resources.xml"} {
		f.Add(fixture(f, name))
	}
	for _, name := range []string{"pacemaker.node1.cibadmin-query-fence.txt", "pacemaker.node1.crm_resource-locate-clone.txt"} {
		f.Add(captures.Read(f, name))
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseResources([]byte(s), "r0")
		if c, err := ParseConstraint([]byte(s)); err == nil {
			_ = c.FencesAllBut("node1")
		}
		_ = ParseLocate(s)
		if r, err := ParseCIBRoot([]byte(s)); err == nil && r.Quorum && !strings.Contains(s, "have-quorum") {
			t.Fatalf("quorum read from a root without have-quorum: %q", s)
		}
		if n, err := ParseNodeState([]byte(s)); err == nil && n.CleanDown() && n.Online() {
			t.Fatalf("node both cleanly down and online: %+v", n)
		}
	})
}
