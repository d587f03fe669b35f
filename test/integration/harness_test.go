//go:build integration

package integration

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeHost runs a command on the make-believe production node of
// test/harness/fake-host.sh, which exits 97 when the command touched that
// node's cluster files or processes.
func fakeHost(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(repo, "test/harness/fake-host.sh"), args...)
	cmd.Dir = repo
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return string(out), code
}

// The checker itself must be able to fail: a command that writes the CIB, or
// that kills the node's pacemakerd, is caught.
func TestFakeHostCatchesATouchedCluster(t *testing.T) {
	need(t)
	out, code := fakeHost(t, "sh", "-c", "echo '<!-- -->' >>/var/lib/pacemaker/cib/cib.xml")
	assert.Equal(t, 97, code, out)
	assert.Contains(t, out, "cib.xml: FAILED")

	out, code = fakeHost(t, "sh", "-c", `kill "$FAKE_PACEMAKERD"`)
	assert.Equal(t, 97, code, out)
	assert.Contains(t, out, "pacemakerd (pid")

	out, code = fakeHost(t, "true")
	assert.Equal(t, 0, code, out)
}

// make demo on a node that runs its own cluster: it passes, and the node's
// corosync.conf, CIB and daemons are as they were. The harness before the
// sandbox refused to run there, and its cleanup wiped the CIB.
func TestDemoLeavesTheHostClusterAlone(t *testing.T) {
	need(t)
	out, code := fakeHost(t, "scripts/demo.sh")
	t.Log(out)
	require.Equal(t, 0, code, "demo under a production node's cluster")
	assert.Contains(t, out, "restarted in place as pid")
	assert.Contains(t, out, "all 4 files present with the same content")
	assert.Contains(t, out, "the node's cluster files and processes are as they were")
	clean(t)
}

// sandboxEnv reads the harness's paths: the client mount is the sandbox's,
// reached from here through the holder's root.
func sandboxEnv(t *testing.T, cfg string) *env {
	t.Helper()
	e := &env{cfg: cfg}
	for _, l := range strings.Split(harness(t, "env"), "\n") {
		k, v, _ := strings.Cut(l, "=")
		switch k {
		case "DATA":
			e.data = v
		case "CLIENT":
			e.mnt = v
		}
	}
	require.NotEmpty(t, e.data)
	require.NotEmpty(t, e.mnt)
	return e
}

// clean fails the test when the harness left a process, a mount or a file.
func clean(t *testing.T) {
	t.Helper()
	out, err := exec.Command(filepath.Join(repo, "test/harness/local.sh"), "check-clean").CombinedOutput()
	assert.NoError(t, err, "left behind: %s", out)
	mounts, _ := os.ReadFile("/proc/self/mounts")
	assert.NotContains(t, string(mounts), "ocf-mfs-local", "a mount of the harness is left")
}

// A demo interrupted at any step, by Ctrl-C or by a kill its cleanup cannot
// see, is cleaned up by make demo-stop: no process, mount, namespace or state.
func TestDemoStopAfterAnInterruptedDemo(t *testing.T) {
	need(t)
	for _, c := range []struct {
		step string
		sig  syscall.Signal
	}{
		{"Starting a single-node cluster", syscall.SIGKILL},
		{"Configuring mfsmaster under Pacemaker", syscall.SIGINT},
		{"A chunkserver and a client mount", syscall.SIGKILL},
		{"kill -9 of mfsmaster", syscall.SIGINT},
		{"The client's files after the restart", syscall.SIGKILL},
	} {
		t.Run(c.sig.String()+" at "+c.step, func(t *testing.T) {
			demo := exec.Command(filepath.Join(repo, "scripts/demo.sh"))
			demo.Dir = repo
			// Its own process group, as a terminal's foreground job has:
			// Ctrl-C reaches the script and every child it runs.
			demo.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			stdout, err := demo.StdoutPipe()
			require.NoError(t, err)
			demo.Stderr = demo.Stdout
			require.NoError(t, demo.Start())
			var log bytes.Buffer
			reached := make(chan bool, 1)
			go func() {
				sc := bufio.NewScanner(stdout)
				found := false
				for sc.Scan() {
					log.WriteString(sc.Text() + "\n")
					if !found && strings.Contains(sc.Text(), c.step) {
						found = true
						reached <- true
					}
				}
				if !found {
					reached <- false
				}
				_, _ = io.Copy(io.Discard, stdout)
			}()
			select {
			case ok := <-reached:
				require.True(t, ok, "the demo ended before %q:\n%s", c.step, log.String())
			case <-time.After(5 * time.Minute):
				t.Fatalf("the demo did not reach %q", c.step)
			}
			// Half a second into the step, in the middle of its work.
			time.Sleep(500 * time.Millisecond)
			require.NoError(t, syscall.Kill(-demo.Process.Pid, c.sig))
			_ = demo.Wait()

			stop := exec.Command("make", "-C", repo, "--no-print-directory", "demo-stop")
			out, err := stop.CombinedOutput()
			require.NoError(t, err, "make demo-stop: %s", out)
			clean(t)
		})
	}
}

// A client whose master is gone cannot answer umount's last request; the
// harness's teardown must still end, and leave nothing. Before, it waited in
// umount for minutes (the newcomer's 3.5-minute "Cleaning up").
func TestDownEndsWhenTheMasterIsGone(t *testing.T) {
	need(t)
	sh := filepath.Join(repo, "test/harness/local.sh")
	t.Cleanup(func() { _ = exec.Command(sh, "down").Run() })
	harness(t, "up")
	cfg := harness(t, "mfs-setup")
	out, err := inNS("mfsmaster", "-c", cfg, "start")
	require.NoError(t, err, out)
	harness(t, "chunk-start")
	harness(t, "mount")
	e := sandboxEnv(t, cfg)
	f, err := os.Create(filepath.Join(e.mnt, "written"))
	require.NoError(t, err)
	_, err = f.WriteString("before the master went away\n")
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
	require.NoError(t, syscall.Kill(e.lockPID(), syscall.SIGKILL))

	down := exec.Command(sh, "down")
	done := make(chan error, 1)
	require.NoError(t, down.Start())
	go func() { done <- down.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(3 * time.Minute):
		_ = down.Process.Kill()
		t.Fatal("local.sh down did not end with the client mounted and the master gone")
	}
	clean(t)
}
