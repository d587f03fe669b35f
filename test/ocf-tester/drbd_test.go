//go:build integration

package ocftester

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	testrepo "github.com/ocf-mfs/ocf-mfs/test/repo"
)

// TestOcfTesterDrbdSimulated runs ocf-tester against ocf:mfs:drbd, laid out
// as make install lays it out, with a simulated DRBD (simdrbd/): this
// machine's kernel may have no DRBD. The real-DRBD run, on the agent as
// installed, is the e2e lab's scenario 07.
func TestOcfTesterDrbdSimulated(t *testing.T) {
	need(t, "ocf-tester", "xmllint")
	root := install(t)
	agent := filepath.Join(root, "usr/lib/ocf/resource.d/mfs/drbd")
	st, err := os.Stat(agent)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), st.Mode().Perm())

	// The installed agent reads only the kernel's /proc/drbd; the one run
	// here is built with the simdrbd tag, which reads the simulation's.
	build := exec.Command("go", "build", "-tags", "simdrbd", "-o", agent, "./cmd/ocf-mfsdrbd")
	build.Dir = testrepo.Root()
	built, err := build.CombinedOutput()
	require.NoError(t, err, "go build -tags simdrbd: %s", built)
	sim := filepath.Join(testrepo.Root(), "test", "ocf-tester", "simdrbd")
	state := t.TempDir()
	require.NoError(t, os.Chmod(state, 0o755))
	conf := filepath.Join(state, "drbd.conf")
	require.NoError(t, os.WriteFile(conf, []byte("# resource r0, simulated\n"), 0o644))
	env := []string{
		"SIMDRBD=" + state,
		"PATH=" + sim + ":" + os.Getenv("PATH"),
		"OCF_MFS_PROC_DRBD=" + filepath.Join(state, "proc_drbd"),
		"HA_RSCTMP=" + filepath.Join(state, "run"),
	}
	// The module is loaded, the resource down.
	render := exec.Command(filepath.Join(sim, "render"))
	render.Env = append(os.Environ(), env...)
	b, err := render.CombinedOutput()
	require.NoError(t, err, "%s", b)

	out := ocfTesterEnv(t, env, agent, "drbd_resource=r0", "drbdconf="+conf,
		"CRM_meta_clone_max=2", "CRM_meta_clone_node_max=1", "CRM_meta_promotable=true",
		"CRM_meta_promoted_max=1", "CRM_meta_promoted_node_max=1", "CRM_meta_notify=true")
	t.Log(out)

	calls, err := os.ReadFile(filepath.Join(state, "calls"))
	require.NoError(t, err)
	c := string(calls)
	// It really drove the resource through its life, and left it down.
	for _, verb := range []string{" up r0", " primary r0", " secondary r0", " down r0", "-v 10000", "-v 1000", " -D"} {
		assert.Contains(t, c, verb)
	}
	s, _ := os.ReadFile(filepath.Join(state, "state"))
	assert.Equal(t, "down", strings.TrimSpace(string(s)))
	assert.NoFileExists(t, filepath.Join(state, "score"), "stop removes the promotion score")
}
