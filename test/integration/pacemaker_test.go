//go:build integration

// Package integration runs ocf:mfs:master under a real single-node
// Pacemaker (test/harness/local.sh, in a sandbox of its own) with a real mfsmaster, chunkserver and
// mfsmount, and checks what the tutorial's LSB script got wrong: Pacemaker
// itself notices a dead or frozen master and restarts it, and the clients'
// files survive.
package integration

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var repo = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}()

func harness(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(repo, "test/harness/local.sh"), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Run(), "local.sh %s: %s%s", strings.Join(args, " "), out.String(), errb.String())
	return strings.TrimSpace(out.String())
}

// inNS runs a command inside the harness's sandbox, where Pacemaker and
// MooseFS live; it returns the output whatever the exit code.
func inNS(args ...string) (string, error) {
	out, err := exec.Command(filepath.Join(repo, "test/harness/local.sh"), append([]string{"run"}, args...)...).CombinedOutput()
	return string(out), err
}

func need(t *testing.T) {
	t.Helper()
	skip := t.Skipf
	if os.Getenv("CI") != "" {
		skip = t.Fatalf
	}
	if os.Getuid() != 0 {
		skip("Pacemaker integration tests need root")
		return
	}
	for _, p := range []string{"corosync", "pacemakerd", "crm", "mfsmaster", "mfschunkserver", "mfsmount", "mfscli"} {
		if _, err := exec.LookPath(p); err != nil {
			skip("%s is missing; make deps installs it", p)
			return
		}
	}
}

type env struct {
	cfg, data, mnt string
	node           string
}

// lockPID is the pid in the master's lock file, 0 when there is none.
func (e *env) lockPID() int {
	b, err := os.ReadFile(filepath.Join(e.data, ".mfsmaster.lock"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func isMaster(pid int) bool {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return false
	}
	st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	f := strings.Fields(string(st))
	return strings.TrimSpace(string(comm)) == "mfsmaster" && len(f) > 2 && f[2] != "Z" && f[2] != "T"
}

// crmMon is the cluster status with fail counts and failed actions.
func crmMon(t *testing.T) string {
	out, _ := inNS("crm_mon", "-1rf")
	return out
}

// waitFor polls cond: under load Pacemaker takes its time, so deadlines are
// generous; how long it really took is logged for the record.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("timed out after %s waiting for %s\n%s", limit, what, crmMon(t))
		}
		time.Sleep(100 * time.Millisecond)
	}
	d := time.Since(start)
	t.Logf("TIMING %s: %.1fs", what, d.Seconds())
	return d
}

func (e *env) masterAnswers() bool {
	out, err := inNS("mfscli", "-H", "169.254.78.1", "-P", "19421", "-SIN")
	return err == nil && strings.Contains(out, "master version")
}

// tree writes directories and files of several sizes through the client
// mount and returns their checksums.
func tree(t *testing.T, root string) map[string][32]byte {
	t.Helper()
	sums := map[string][32]byte{}
	for i := 1; i <= 4; i++ {
		dir := filepath.Join(root, fmt.Sprintf("d%d", i), "sub")
		require.NoError(t, os.MkdirAll(dir, 0o755))
		b := bytes.Repeat([]byte(fmt.Sprintf("file %d of the ocf-mfs integration test\n", i)), i*20000)
		p := filepath.Join(dir, fmt.Sprintf("f%d", i))
		f, err := os.Create(p)
		require.NoError(t, err)
		_, err = f.Write(b)
		require.NoError(t, err)
		require.NoError(t, f.Sync())
		require.NoError(t, f.Close())
		sums[p] = sha256.Sum256(b)
	}
	require.NoError(t, os.Mkdir(filepath.Join(root, "empty"), 0o755))
	return sums
}

func checkTree(t *testing.T, root string, sums map[string][32]byte) {
	t.Helper()
	// The client reconnects to the restarted master on its own; give it time.
	waitFor(t, "the client to see the files again", 60*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(root, "empty"))
		return err == nil
	})
	for p, want := range sums {
		b, err := os.ReadFile(p)
		if assert.NoError(t, err, p) {
			assert.Equal(t, want, sha256.Sum256(b), "content of %s", p)
		}
	}
}

func TestPacemakerManagesMfsmaster(t *testing.T) {
	need(t)
	out, err := exec.Command("make", "-C", repo, "build").CombinedOutput()
	require.NoError(t, err, "make build: %s", out)

	t.Cleanup(func() { _ = exec.Command(filepath.Join(repo, "test/harness/local.sh"), "down").Run() })
	harness(t, "cluster-start")
	e := sandboxEnv(t, harness(t, "mfs-setup"))

	out2, err := inNS("crm", "configure", "primitive", "p_mfs", "ocf:mfs:master",
		"params", "config="+e.cfg,
		"op", "start", "timeout=300s", "op", "stop", "timeout=600s",
		"op", "monitor", "interval=5s", "timeout=30s",
		"op", "monitor", "interval=20s", "timeout=30s", "OCF_CHECK_LEVEL=20")
	require.NoError(t, err, out2)
	waitFor(t, "p_mfs to start", 120*time.Second, func() bool { return isMaster(e.lockPID()) && e.masterAnswers() })

	harness(t, "chunk-start")
	harness(t, "mount")
	sums := tree(t, filepath.Join(e.mnt, "before-kill"))

	t.Run("kill -9 is noticed by the monitor and the master restarted in place", func(t *testing.T) {
		old := e.lockPID()
		require.NoError(t, syscall.Kill(old, syscall.SIGKILL))
		waitFor(t, "restart after kill -9", 120*time.Second, func() bool {
			p := e.lockPID()
			return p != old && isMaster(p) && e.masterAnswers()
		})
		mon := crmMon(t)
		assert.Regexp(t, `p_mfs.*Started`, mon)
		// Pacemaker's own record: the monitor found it not running.
		assert.Regexp(t, `p_mfs 5s-interval monitor on \S+ returned 'not running'`, mon)
		fc, _ := inNS("crm_failcount", "--query", "-r", "p_mfs", "-q")
		assert.Equal(t, "1", strings.TrimSpace(fc), "one failure, one restart")
		// A killed master leaves no metadata.mfs: the restart recovered.
		assert.FileExists(t, filepath.Join(e.data, "metadata.mfs.back"))
		checkTree(t, filepath.Join(e.mnt, "before-kill"), sums)
		cleanup(t)
	})

	t.Run("SIGSTOP is noticed and recovered", func(t *testing.T) {
		old := e.lockPID()
		require.NoError(t, syscall.Kill(old, syscall.SIGSTOP))
		waitFor(t, "recovery after SIGSTOP", 180*time.Second, func() bool {
			p := e.lockPID()
			return p != old && isMaster(p) && e.masterAnswers()
		})
		mon := crmMon(t)
		assert.Regexp(t, fmt.Sprintf(`p_mfs \d+s-interval monitor on \S+ returned 'error' \(mfsmaster \(pid %d\) is stopped`, old), mon)
		checkTree(t, filepath.Join(e.mnt, "before-kill"), sums)
		cleanup(t)
	})

	t.Run("crm resource stop leaves metadata.mfs and no process", func(t *testing.T) {
		pid := e.lockPID()
		out, err := inNS("crm", "resource", "stop", "p_mfs")
		require.NoError(t, err, out)
		waitFor(t, "p_mfs to stop", 300*time.Second, func() bool {
			mon := crmMon(t)
			return strings.Contains(mon, "p_mfs") && regexpMatch(`p_mfs.*Stopped`, mon) && !isMaster(pid)
		})
		assert.FileExists(t, filepath.Join(e.data, "metadata.mfs"), "a clean stop stores the metadata")
		pg, _ := exec.Command("pgrep", "-f", "mfsmaster -c "+e.cfg).Output()
		assert.Empty(t, strings.TrimSpace(string(pg)), "no mfsmaster left behind")
	})

	t.Run("a bad DATA_PATH fails start with a reason in crm_mon and no stop failure", func(t *testing.T) {
		bad := filepath.Join(filepath.Dir(e.cfg), "bad.cfg")
		cfg, err := os.ReadFile(e.cfg)
		require.NoError(t, err)
		cfg = []byte(strings.Replace(string(cfg), "DATA_PATH = "+e.data, "DATA_PATH = "+e.data+"-missing", 1))
		require.NoError(t, os.WriteFile(bad, cfg, 0o644))
		out, err := inNS("crm", "configure", "primitive", "p_bad", "ocf:mfs:master",
			"params", "config="+bad, "op", "monitor", "interval=5s", "timeout=30s")
		require.NoError(t, err, out)
		waitFor(t, "the failed start to show", 120*time.Second, func() bool {
			return strings.Contains(crmMon(t), "DATA_PATH "+e.data+"-missing does not exist")
		})
		mon := crmMon(t)
		assert.Regexp(t, `p_bad start on \S+ returned 'error' \(DATA_PATH \S+-missing does not exist\)`, mon)
		assert.NotRegexp(t, `p_bad stop on`, mon, "no stop failure follows")
		_, _ = inNS("crm", "configure", "delete", "--force", "p_bad")
	})
}

// cleanup clears p_mfs's failures and waits for the probe that follows, so
// that the next step's failure is found by a monitor, not by that probe.
func cleanup(t *testing.T) {
	t.Helper()
	out, err := inNS("crm", "resource", "cleanup", "p_mfs")
	require.NoError(t, err, out)
	waitFor(t, "the cleanup to settle", 60*time.Second, func() bool {
		mon := crmMon(t)
		return !strings.Contains(mon, "Failed Resource Actions") && regexpMatch(`p_mfs.*Started`, mon)
	})
}

func regexpMatch(re, s string) bool {
	cmd := exec.Command("grep", "-Eq", re)
	cmd.Stdin = strings.NewReader(s)
	return cmd.Run() == nil
}
