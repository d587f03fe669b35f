//go:build integration

package ocftester

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	testrepo "github.com/ocf-mfs/ocf-mfs/test/repo"
)

// need skips, or fails under CI, when a program the test drives is missing.
func need(t *testing.T, progs ...string) {
	t.Helper()
	if os.Getuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("ocf-tester tests need root")
		}
		t.Skip("ocf-tester tests need root")
	}
	for _, p := range progs {
		if _, err := exec.LookPath(p); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing; make deps installs it", p)
			}
			t.Skipf("%s is missing", p)
		}
	}
}

// install runs `make install` into a temporary root and returns it, so the
// test exercises the installed layout operators get.
func install(t *testing.T) string {
	t.Helper()
	repo := testrepo.Root()
	root := t.TempDir()
	// ocf-tester runs meta-data as user nobody, who must reach the agent.
	for _, d := range []string{filepath.Dir(root), root} {
		require.NoError(t, os.Chmod(d, 0o755))
	}
	out, err := exec.Command("make", "-C", repo, "install", "DESTDIR="+root).CombinedOutput()
	require.NoError(t, err, "make install: %s", out)
	return root
}

// ocfTester runs /usr/sbin/ocf-tester and fails with its whole output.
func ocfTester(t *testing.T, agent string, params ...string) string {
	t.Helper()
	return ocfTesterEnv(t, nil, agent, params...)
}

// ocfTesterEnv is ocfTester with extra environment for the agent.
func ocfTesterEnv(t *testing.T, env []string, agent string, params ...string) string {
	t.Helper()
	args := []string{"-n", "ocftest"}
	for _, p := range params {
		args = append(args, "-o", p)
	}
	args = append(args, agent)
	cmd := exec.Command("/usr/sbin/ocf-tester", args...)
	cmd.Env = append(append(os.Environ(), "OCF_ROOT=/usr/lib/ocf"), env...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "ocf-tester %s:\n%s", strings.Join(args, " "), out)
	require.Contains(t, string(out), "passed all tests")
	return string(out)
}

func TestOcfTesterMaster(t *testing.T) {
	need(t, "ocf-tester", "mfsmaster", "xmllint")
	root := install(t)
	agent := filepath.Join(root, "usr/lib/ocf/resource.d/mfs/master")
	st, err := os.Stat(agent)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), st.Mode().Perm())

	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	require.NoError(t, os.Mkdir(data, 0o755))
	empty, err := os.ReadFile("/var/lib/mfs/metadata.mfs.empty")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(data, "metadata.mfs"), empty, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "exports.cfg"), []byte("* / rw,alldirs,maproot=0\n"), 0o644))
	// Ports apart from the defaults, so a master under test elsewhere on
	// this machine cannot answer for ours.
	cfg := filepath.Join(dir, "mfsmaster.cfg")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`WORKING_USER = root
DATA_PATH = %s
EXPORTS_FILENAME = %s/exports.cfg
MATOML_LISTEN_HOST = 127.0.0.1
MATOML_LISTEN_PORT = 29419
MATOCS_LISTEN_HOST = 127.0.0.1
MATOCS_LISTEN_PORT = 29420
MATOCL_LISTEN_HOST = 127.0.0.1
MATOCL_LISTEN_PORT = 29421
`, data, dir)), 0o644))
	t.Cleanup(func() {
		stop := exec.Command(agent, "stop")
		stop.Env = append(os.Environ(), "OCF_RESKEY_config="+cfg)
		_ = stop.Run()
	})

	out := ocfTester(t, agent, "config="+cfg)
	t.Log(out)
	assert.FileExists(t, filepath.Join(data, "metadata.mfs"), "ocf-tester ends with a stop, which stores the metadata")
}
