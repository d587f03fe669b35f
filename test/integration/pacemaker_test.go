//go:build integration

// Package integration runs ocf:mfs:master under a real single-node
// Pacemaker (test/harness/local.sh, in a sandbox of its own) with a real mfsmaster, chunkserver and
// mfsmount, and checks what the tutorial's LSB script got wrong: Pacemaker
// itself notices a dead or frozen master and restarts it, and the clients'
// files survive.
//
// OCF_MFS_SHELL chooses how the resources are configured: crm (crmsh, the
// default) or pcs (`pcs -f` on a copy of the CIB, pushed with cibadmin,
// so pcsd is not needed). When OCF_MFS_BIN is set, the agents there are
// tested as they are (the version matrix points it at the ones its .deb
// installed) instead of a fresh make build.
package integration

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	testrepo "github.com/ocf-mfs/ocf-mfs/test/repo"
)

var repo = testrepo.Root()

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
	for _, p := range []string{"corosync", "pacemakerd", shell(), "mfsmaster", "mfschunkserver", "mfsmount", "mfscli"} {
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

// shell is the cluster shell the resources are configured with.
func shell() string {
	if os.Getenv("OCF_MFS_SHELL") == "pcs" {
		return "pcs"
	}
	return "crm"
}

// createPrimitive configures an ocf:mfs:master primitive with crm or pcs;
// each op is a name and its attributes, as in `op monitor interval=5s`.
func createPrimitive(t *testing.T, id string, params []string, ops ...[]string) (string, error) {
	t.Helper()
	if shell() == "crm" {
		args := append([]string{"crm", "configure", "primitive", id, "ocf:mfs:master", "params"}, params...)
		for _, op := range ops {
			args = append(append(args, "op"), op...)
		}
		return inNS(args...)
	}
	args := append([]string{"resource", "create", id, "ocf:mfs:master"}, params...)
	for i, op := range ops {
		if i == 0 {
			args = append(args, "op")
		}
		args = append(args, op...)
	}
	return pcsOffline(t, args...)
}

// pcsOffline runs `pcs -f` on a copy of the live CIB and pushes the result
// back with cibadmin: pcs edits the file alone, so pcsd is not involved.
func pcsOffline(t *testing.T, args ...string) (string, error) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "cib.xml")
	cib, err := inNS("cibadmin", "--query")
	if err != nil {
		return cib, err
	}
	if err := os.WriteFile(f, []byte(cib), 0o600); err != nil {
		return "", err
	}
	out, err := inNS(append([]string{"pcs", "-f", f}, args...)...)
	if err != nil {
		return out, err
	}
	push, err := inNS("cibadmin", "--replace", "--xml-file", f)
	return out + push, err
}

// stopResource sets target-role Stopped, as `crm resource stop` and
// `pcs resource disable` do.
func stopResource(id string) (string, error) {
	if shell() == "crm" {
		return inNS("crm", "resource", "stop", id)
	}
	return inNS("crm_resource", "--resource", id, "--meta", "--set-parameter", "target-role", "--parameter-value", "Stopped")
}

func TestPacemakerManagesMfsmaster(t *testing.T) {
	need(t)
	if os.Getenv("OCF_MFS_BIN") == "" {
		out, err := exec.Command("make", "-C", repo, "build").CombinedOutput()
		require.NoError(t, err, "make build: %s", out)
	}
	t.Logf("configured with %s", shell())

	t.Cleanup(func() { _ = exec.Command(filepath.Join(repo, "test/harness/local.sh"), "down").Run() })
	harness(t, "cluster-start")
	e := sandboxEnv(t, harness(t, "mfs-setup"))

	out2, err := createPrimitive(t, "p_mfs", []string{"config=" + e.cfg},
		[]string{"start", "timeout=300s"}, []string{"stop", "timeout=600s"},
		[]string{"monitor", "interval=5s", "timeout=30s"},
		[]string{"monitor", "interval=20s", "timeout=30s", "OCF_CHECK_LEVEL=20"})
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
		assert.Regexp(t, failedAction("p_mfs", "monitor", "5", "not running", ""), mon)
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
		assert.Regexp(t, failedAction("p_mfs", "monitor", `\d+`, "error", fmt.Sprintf(`mfsmaster \(pid %d\) is stopped`, old)), mon)
		checkTree(t, filepath.Join(e.mnt, "before-kill"), sums)
		cleanup(t)
	})

	t.Run("crm resource stop leaves metadata.mfs and no process", func(t *testing.T) {
		pid := e.lockPID()
		out, err := stopResource("p_mfs")
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
		out, err := createPrimitive(t, "p_bad", []string{"config=" + bad}, []string{"monitor", "interval=5s", "timeout=30s"})
		require.NoError(t, err, out)
		waitFor(t, "the failed start to show", 120*time.Second, func() bool {
			return strings.Contains(crmMon(t), "DATA_PATH "+e.data+"-missing does not exist")
		})
		mon := crmMon(t)
		assert.Regexp(t, failedAction("p_bad", "start", "", "error", `DATA_PATH \S+-missing does not exist`), mon)
		assert.NotRegexp(t, `p_bad stop on|p_bad_stop_0 on`, mon, "no stop failure follows")
		if shell() == "crm" {
			_, _ = inNS("crm", "configure", "delete", "--force", "p_bad")
		} else {
			_, _ = pcsOffline(t, "resource", "delete", "--force", "p_bad")
		}
	})
}

// failedAction matches crm_mon's line for a failed operation: RES, OP,
// its interval in seconds (a regexp; empty for start and stop), the result
// RC and the start of the agent's exit reason (a regexp; empty for any).
// Pacemaker 2.1 and later print
//
//	p_mfs 5s-interval monitor on node returned 'not running' (reason) at ...
//
// and Pacemaker 2.0 and 1.1 the operation key, the code and the reason:
//
//	p_mfs_monitor_5000 on node 'not running' (7): call=8, ..., exitreason='reason', ...
//
// Pacemaker 3.0 words the results of 2.1's format its own way: RC
// "not running" and "error" also match its 'Not running' and 'Error occurred'.
func failedAction(res, op, secs, rc, reason string) string {
	if r, ok := map[string]string{"not running": `(?:not running|Not running)`, "error": `(?:error|Error occurred)`}[rc]; ok {
		rc = r
	}
	v21, ms := res+" ", "0"
	if secs != "" {
		v21 += secs + "s-interval "
		ms = secs + "000"
	}
	v21 += op + ` on \S+ returned '` + rc + `'`
	v20 := res + "_" + op + "_" + ms + ` on \S+ '` + rc + `' \(\d+\): `
	if reason != "" {
		v21 += ` \(` + reason
		v20 += `.*exitreason='` + reason
	}
	return "(" + v21 + "|" + v20 + ")"
}

// cleanup clears p_mfs's failures and waits for the probe that follows, so
// that the next step's failure is found by a monitor, not by that probe.
func cleanup(t *testing.T) {
	t.Helper()
	args := []string{"crm", "resource", "cleanup", "p_mfs"}
	if shell() == "pcs" {
		args = []string{"crm_resource", "--cleanup", "--resource", "p_mfs"}
	}
	out, err := inNS(args...)
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
