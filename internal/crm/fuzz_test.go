package crm

import (
	"os"
	"testing"
)

// What cibadmin and crm_resource print is parsed during fencing, when I/O
// may be frozen: no input may make the parsers panic.
func FuzzParsers(f *testing.F) {
	for _, name := range []string{"cibadmin-Q-resources.xml", "cibadmin-query-fence.txt", "crm_resource-locate-clone.txt"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseResources([]byte(s), "r0")
		if c, err := ParseConstraint([]byte(s)); err == nil {
			_ = c.FencesAllBut("node1")
		}
		_ = ParseLocate(s)
	})
}
