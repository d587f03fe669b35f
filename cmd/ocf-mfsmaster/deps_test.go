package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	testrepo "github.com/ocf-mfs/ocf-mfs/test/repo"
)

// linked lists the packages a command links.
func linked(t *testing.T, cmdDir string) []string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go tool to list the agent's packages: %v", err)
	}
	cmd := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}}", cmdDir)
	cmd.Dir = testrepo.Root()
	out, err := cmd.Output()
	require.NoError(t, err, "go list: %s", out)
	return strings.Fields(string(out))
}

// TestMonitorFrontLinksOnlyWhatTheMonitorNeeds keeps out of ocf-mfsmaster,
// the program Pacemaker starts for every monitor every 10 s on every node,
// each package whose init and pages the depth-0 monitor does not need: the
// dispatcher's meta-data (encoding/xml), the system log and the protocol
// probe (net), the runner (os/exec), user lookup (os/user), and the
// regexps of prometheus/procfs.
func TestMonitorFrontLinksOnlyWhatTheMonitorNeeds(t *testing.T) {
	banned := []string{"net", "encoding/xml", "os/exec", "os/user", "log/syslog", "regexp",
		"github.com/coreos/go-systemd", "github.com/prometheus/procfs", "github.com/ocf-mfs/ocf-mfs/internal/ocf",
		"github.com/ocf-mfs/ocf-mfs/internal/mfs", "github.com/ocf-mfs/ocf-mfs/internal/logging"}
	for _, p := range linked(t, "./cmd/ocf-mfsmaster") {
		for _, b := range banned {
			assert.False(t, p == b || strings.HasPrefix(p, b+"/") && !light(p),
				"%s is linked into ocf-mfsmaster: its package init runs at every monitor, every 10 s on every node", p)
		}
	}
}

// light are the packages under a banned prefix built for the front.
func light(p string) bool {
	return p == "github.com/ocf-mfs/ocf-mfs/internal/ocf/contract" || p == "github.com/ocf-mfs/ocf-mfs/internal/mfs/local"
}

// TestActionsLinkNeitherProcfsNorRegexp keeps prometheus/procfs (hundreds
// of allocations compiling its regexps) out of the full agent too: it runs
// every action but the healthy monitor, and a failing monitor among them.
func TestActionsLinkNeitherProcfsNorRegexp(t *testing.T) {
	for _, p := range linked(t, "./cmd/ocf-mfsmaster-actions") {
		assert.False(t, p == "regexp" || strings.HasPrefix(p, "regexp/") ||
			strings.HasPrefix(p, "github.com/prometheus/procfs"),
			"%s is linked into ocf-mfsmaster-actions", p)
	}
}
