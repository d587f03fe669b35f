package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	testrepo "github.com/ocf-mfs/ocf-mfs/test/repo"
)

// TestMasterAgentLinksNeitherProcfsNorRegexp keeps the package init of
// prometheus/procfs (hundreds of allocations compiling its regexps) and of
// regexp out of ocf:mfs:master: Pacemaker starts the agent for a monitor
// every 10 s on every node, and every start pays every linked package's
// init before main runs.
func TestMasterAgentLinksNeitherProcfsNorRegexp(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go tool to list the agent's packages: %v", err)
	}
	cmd := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}}", "./cmd/ocf-mfsmaster")
	cmd.Dir = testrepo.Root()
	out, err := cmd.Output()
	require.NoError(t, err, "go list: %s", out)
	for _, p := range strings.Fields(string(out)) {
		assert.False(t, p == "regexp" || strings.HasPrefix(p, "regexp/") ||
			strings.HasPrefix(p, "github.com/prometheus/procfs"),
			"%s is linked into ocf-mfsmaster: its package init runs at every monitor, every 10 s on every node", p)
	}
}
