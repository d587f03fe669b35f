package master

import (
	"bytes"
	"fmt"
	"net"
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

	"github.com/ocf-mfs/ocf-mfs/internal/agent/agenttest"
	"github.com/ocf-mfs/ocf-mfs/internal/mfs"
	"github.com/ocf-mfs/ocf-mfs/internal/mfs/mfstest"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf/ocftest"
)

// lab is a real mfsmaster setup on loopback: a temporary DATA_PATH seeded
// from the packaged empty metadata and free ports, so tests can run next to
// a master on the default ports.
type lab struct {
	dir, cfg string
	port     int // client port
	env      map[string]string
}

func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

func newLab(t *testing.T) *lab {
	t.Helper()
	if _, err := exec.LookPath("mfsmaster"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("mfsmaster is missing (package moosefs-master); make deps installs it")
		}
		t.Skip("mfsmaster not installed")
	}
	empty, err := os.ReadFile("/var/lib/mfs/metadata.mfs.empty")
	require.NoError(t, err, "moosefs-master ships /var/lib/mfs/metadata.mfs.empty")
	l := &lab{dir: t.TempDir()}
	data := filepath.Join(l.dir, "data")
	require.NoError(t, os.Mkdir(data, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(data, "metadata.mfs"), empty, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(l.dir, "exports.cfg"), []byte("* / rw,alldirs,maproot=0\n"), 0o644))
	p := freePorts(t, 3)
	l.port = p[2]
	u := "root"
	if os.Getuid() != 0 {
		u = strconv.Itoa(os.Getuid())
	}
	l.cfg = filepath.Join(l.dir, "mfsmaster.cfg")
	cfg := fmt.Sprintf(`# test master
WORKING_USER = %s
DATA_PATH = %s
EXPORTS_FILENAME = %s/exports.cfg
MATOML_LISTEN_HOST = 127.0.0.1
MATOML_LISTEN_PORT = %d
MATOCS_LISTEN_HOST = 127.0.0.1
MATOCS_LISTEN_PORT = %d
MATOCL_LISTEN_HOST = 127.0.0.1
MATOCL_LISTEN_PORT = %d
`, u, data, l.dir, p[0], p[1], p[2])
	require.NoError(t, os.WriteFile(l.cfg, []byte(cfg), 0o644))
	l.env = map[string]string{"OCF_RESKEY_config": l.cfg, "OCF_RESOURCE_INSTANCE": "mfs",
		"HA_LOGFACILITY": "none", "OCF_RESKEY_CRM_meta_timeout": "60000",
		"HA_RSCTMP": filepath.Join(l.dir, "rsctmp")}
	t.Cleanup(func() {
		if pid, err := mfs.ReadLockPID(filepath.Join(data, mfs.LockName)); err == nil {
			_ = syscall.Kill(pid, syscall.SIGCONT)
			_ = syscall.Kill(pid, syscall.SIGKILL)
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	})
	return l
}

func (l *lab) data() string { return filepath.Join(l.dir, "data") }

func (l *lab) pid(t *testing.T) int {
	t.Helper()
	pid, err := mfs.ReadLockPID(filepath.Join(l.data(), mfs.LockName))
	require.NoError(t, err)
	return pid
}

// gone reports a pid that no longer runs. A daemon's zombie counts as gone:
// in a container whose init does not reap, it lingers as state Z.
func gone(pid int) bool {
	st := procState(pid)
	return st == 0 || st == 'Z' || st == 'X'
}

// procState is the state letter of pid, 0 when there is no such process.
func procState(pid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || len(s) <= i+2 {
		return 0
	}
	return s[i+2]
}

type out struct {
	code   ocf.ExitCode
	stderr string
	stdout string
}

// run drives the agent exactly as Pacemaker's executor does: argv[1] and
// the environment, through the dispatcher.
func run(t *testing.T, a *Agent, env map[string]string, action string, extra ...string) out {
	t.Helper()
	r := agenttest.Run(a, env, action, extra...)
	return out{code: r.Code, stdout: r.Stdout, stderr: r.Stderr}
}

// started is a lab with its master started by the agent.
func started(t *testing.T) (*lab, *Agent, int) {
	t.Helper()
	l := newLab(t)
	a := New()
	o := run(t, a, l.env, "start")
	require.Equal(t, ocf.Success, o.code, o.stderr)
	pid := l.pid(t)
	// Tests empty or remove the lock file: the pid is kept for cleanup.
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	return l, a, pid
}

func TestMetadataIsValid(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, New().Metadata().WriteXML(&b))
	assert.Empty(t, ocftest.ValidateMetadata(t, b.Bytes()))
	for _, p := range []string{"config", "binary", "auto_recovery", "probe_timeout", "kill_margin"} {
		assert.Contains(t, b.String(), `<parameter name="`+p+`"`)
	}
	assert.Contains(t, b.String(), `depth="20"`)
}

func TestLifecycleWithRealMaster(t *testing.T) {
	l := newLab(t)
	a := New()

	assert.Equal(t, ocf.NotRunning, run(t, a, l.env, "monitor").code)
	assert.Equal(t, ocf.Success, run(t, a, l.env, "validate-all").code)
	o := run(t, a, l.env, "start")
	require.Equal(t, ocf.Success, o.code, o.stderr)
	pid := l.pid(t)
	// How long mfsmaster itself took, apart from the agent: a failover's
	// timeline shows what is MooseFS's time and what is ours.
	assert.Regexp(t, fmt.Sprintf(`mfsmaster \S+ started \(pid %d, recovery false\); mfsmaster start took \d+\.\d\d s`, pid), o.stderr)
	assert.Equal(t, ocf.Success, run(t, a, l.env, "monitor").code)
	assert.Equal(t, ocf.Success, run(t, a, l.env, "monitor", "OCF_CHECK_LEVEL", "20").code)

	// Idempotent: a second start changes nothing, and never a second master.
	assert.Equal(t, ocf.Success, run(t, a, l.env, "start").code)
	assert.Equal(t, pid, l.pid(t))

	o = run(t, a, l.env, "reload")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Equal(t, pid, l.pid(t), "reload is a HUP, not a restart")

	o = run(t, a, l.env, "stop")
	require.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Regexp(t, fmt.Sprintf(`mfsmaster \(pid %d\) exited \d+\.\d\d s after SIGTERM`, pid), o.stderr)
	assert.FileExists(t, filepath.Join(l.data(), "metadata.mfs"), "a clean stop stores the metadata")
	assert.True(t, gone(pid), "pid %d survived the stop", pid)
	assert.Equal(t, ocf.NotRunning, run(t, a, l.env, "monitor").code)
	assert.Equal(t, ocf.Success, run(t, a, l.env, "stop").code, "stop is idempotent")
	assert.Equal(t, ocf.NotRunning, run(t, a, l.env, "reload").code)
}

// A master on DRBD loses acknowledged changes in a crash unless each one is
// fsynced; start says so, and is quiet once the config asks for it.
func TestStartWarnsUnlessChangelogIsSynced(t *testing.T) {
	l := newLab(t)
	a := New()
	o := run(t, a, l.env, "start")
	require.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Contains(t, o.stderr, "CHANGELOG_SAVE_MODE is 0 (the default)")
	require.Equal(t, ocf.Success, run(t, a, l.env, "stop").code)

	f, err := os.OpenFile(l.cfg, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("CHANGELOG_SAVE_MODE = 2\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	o = run(t, a, l.env, "start")
	require.Equal(t, ocf.Success, o.code, o.stderr)
	assert.NotContains(t, o.stderr, "CHANGELOG_SAVE_MODE")
	require.Equal(t, ocf.Success, run(t, a, l.env, "stop").code)
}

func TestKillNineThenStartRecovers(t *testing.T) {
	l, a, pid := started(t)
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	require.Eventually(t, func() bool { return run(t, a, l.env, "monitor").code == ocf.NotRunning }, 5*time.Second, 50*time.Millisecond)
	assert.NoFileExists(t, filepath.Join(l.data(), "metadata.mfs"), "the crash state: only metadata.mfs.back")

	off := run(t, a, l.env, "start", "OCF_RESKEY_auto_recovery", "false")
	assert.Equal(t, ocf.ErrGeneric, off.code)
	assert.Contains(t, off.stderr, "ocf-exit-reason:metadata.mfs missing after a crash; auto_recovery=false")

	o := run(t, a, l.env, "start")
	require.Equal(t, ocf.Success, o.code, o.stderr)
	assert.NotEqual(t, pid, l.pid(t))
	assert.Equal(t, ocf.Success, run(t, a, l.env, "monitor", "OCF_CHECK_LEVEL", "20").code)
	require.Equal(t, ocf.Success, run(t, a, l.env, "stop").code)
}

func TestStoppedMasterIsAFailureAndNotRestartedOver(t *testing.T) {
	l, a, pid := started(t)
	require.NoError(t, syscall.Kill(pid, syscall.SIGSTOP))
	// kill(2) returns before the target has stopped.
	require.Eventually(t, func() bool { return procState(pid) == 'T' }, 5*time.Second, 20*time.Millisecond)
	o := run(t, a, l.env, "monitor")
	assert.Equal(t, ocf.ErrGeneric, o.code)
	assert.Contains(t, o.stderr, fmt.Sprintf("ocf-exit-reason:mfsmaster (pid %d) is stopped", pid))

	o = run(t, a, l.env, "start")
	assert.Equal(t, ocf.ErrGeneric, o.code, "a second master must never start on the same DATA_PATH")
	assert.Contains(t, o.stderr, "not starting a second one")
	assert.Equal(t, pid, l.pid(t))

	// Stop of a stopped master: resumed, it stores its metadata and exits
	// cleanly instead of being killed at the deadline.
	o = run(t, a, l.env, "stop", "OCF_RESKEY_CRM_meta_timeout", "60000", "HA_LOGFACILITY", "", "HA_LOGFILE", filepath.Join(l.dir, "ha.log"))
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	log, _ := os.ReadFile(filepath.Join(l.dir, "ha.log"))
	assert.Contains(t, string(log), fmt.Sprintf("mfsmaster (pid %d) is stopped (SIGSTOP): resuming it", pid))
	assert.NotContains(t, string(log), "sending SIGKILL")
	assert.FileExists(t, filepath.Join(l.dir, "data", "metadata.mfs"), "a clean stop stores the metadata")
	assert.Equal(t, ocf.NotRunning, run(t, a, l.env, "monitor").code)
}

func TestHungMasterCaughtAtDepth20(t *testing.T) {
	l := newLab(t)
	a := New()
	// A stand-in that holds the lock, listens and never answers takes the
	// place of a hung master: the real one cannot be made to hang while it
	// stays running and listening.
	mfstest.Start(t, mfstest.Holder{Lock: filepath.Join(l.data(), mfs.LockName), WritePID: true,
		Listen: fmt.Sprintf("127.0.0.1:%d", l.port)})
	assert.Equal(t, ocf.Success, run(t, a, l.env, "monitor").code)
	o := run(t, a, l.env, "monitor", "OCF_CHECK_LEVEL", "20", "OCF_RESKEY_probe_timeout", "1")
	assert.Equal(t, ocf.ErrGeneric, o.code)
	assert.Contains(t, o.stderr, "did not answer on port")
}

func TestDataPathAbsentIsNotRunningOnProbes(t *testing.T) {
	l := newLab(t)
	a := New()
	require.NoError(t, os.RemoveAll(l.data()))
	o := run(t, a, l.env, "monitor", "OCF_RESKEY_CRM_meta_interval", "0")
	assert.Equal(t, ocf.NotRunning, o.code)
	assert.NotContains(t, o.stderr, "ocf-exit-reason", "a probe's 7 is an answer, not a failure")
	assert.Equal(t, ocf.NotRunning, run(t, a, l.env, "monitor").code)

	o = run(t, a, l.env, "start")
	assert.Equal(t, ocf.ErrGeneric, o.code)
	assert.Contains(t, o.stderr, "ocf-exit-reason:DATA_PATH "+l.data()+" does not exist")
	assert.Equal(t, ocf.Success, run(t, a, l.env, "stop").code, "no stop failure after a failed start")
}

func TestEmptyDataPathAndReadOnlyChecks(t *testing.T) {
	l := newLab(t)
	a := New()
	require.NoError(t, os.Remove(filepath.Join(l.data(), "metadata.mfs")))
	o := run(t, a, l.env, "start")
	assert.Equal(t, ocf.ErrGeneric, o.code)
	assert.Contains(t, o.stderr, "no metadata in DATA_PATH")
}

func TestConfigurationErrors(t *testing.T) {
	l := newLab(t)
	a := New()
	missing := filepath.Join(l.dir, "none.cfg")
	for _, tc := range []struct {
		name   string
		action string
		extra  []string
		code   ocf.ExitCode
		reason string
	}{
		{"missing config on start", "start", []string{"OCF_RESKEY_config", missing}, ocf.ErrInstalled, "cannot be read"},
		{"missing config on validate", "validate-all", []string{"OCF_RESKEY_config", missing}, ocf.ErrInstalled, "cannot be read"},
		{"missing config on probe", "monitor", []string{"OCF_RESKEY_config", missing, "OCF_RESKEY_CRM_meta_interval", "0"}, ocf.NotRunning, ""},
		{"missing binary", "start", []string{"OCF_RESKEY_binary", "/nonexistent/mfsmaster"}, ocf.ErrInstalled, "binary /nonexistent/mfsmaster"},
		{"bad boolean", "validate-all", []string{"OCF_RESKEY_auto_recovery", "maybe"}, ocf.ErrConfigured, "auto_recovery"},
		{"bad timeout", "start", []string{"OCF_RESKEY_probe_timeout", "-3"}, ocf.ErrConfigured, "probe_timeout"},
		{"stop with missing config", "stop", []string{"OCF_RESKEY_config", missing}, ocf.Success, ""},
		{"stop with bad parameters", "stop", []string{"OCF_RESKEY_probe_timeout", "x"}, ocf.Success, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, a, l.env, tc.action, tc.extra...)
			assert.Equal(t, tc.code, o.code, o.stderr)
			if tc.reason != "" {
				assert.Contains(t, o.stderr, "ocf-exit-reason:")
				assert.Contains(t, o.stderr, tc.reason)
			}
		})
	}

	bad := filepath.Join(l.dir, "bad.cfg")
	require.NoError(t, os.WriteFile(bad, []byte("MATOCL_LISTEN_PORT = x\n"), 0o644))
	o := run(t, a, l.env, "start", "OCF_RESKEY_config", bad)
	assert.Equal(t, ocf.ErrConfigured, o.code)
	assert.Contains(t, o.stderr, "MATOCL_LISTEN_PORT")
}

func TestStopFindsMasterWithoutConfig(t *testing.T) {
	l, a, pid := started(t)
	moved := l.cfg + ".moved"
	require.NoError(t, os.Rename(l.cfg, moved))
	defer os.Rename(moved, l.cfg)
	// The config is gone, but the process was started with "-c <config>":
	// stop still finds it and stops it.
	o := run(t, a, l.env, "monitor")
	assert.Equal(t, ocf.ErrGeneric, o.code, "running but unmanageable is a failure, not 'stopped'")
	o = run(t, a, l.env, "stop")
	require.Equal(t, ocf.Success, o.code, o.stderr)
	require.Eventually(t, func() bool { return gone(pid) }, 5*time.Second, 50*time.Millisecond)
}

func TestUnknownActionAndUsage(t *testing.T) {
	a := New()
	assert.Equal(t, ocf.ErrUnimplemented, run(t, a, nil, "promote").code)
	o := run(t, a, nil, "meta-data")
	assert.Equal(t, ocf.Success, o.code)
	assert.True(t, strings.HasPrefix(o.stdout, "<?xml"))
}

// A master that does not exit on SIGTERM in time (stuck writing a huge
// metadata file, say) is killed once the stop deadline leaves no room for a
// clean exit, and the agent logs that it did. The real mfsmaster cannot be
// made that slow, so a stand-in that ignores SIGTERM takes its place.
func TestStopEscalatesToSigkillAtTheDeadline(t *testing.T) {
	l := newLab(t)
	a := New()
	m := mfstest.Start(t, mfstest.Holder{Lock: filepath.Join(l.data(), mfs.LockName), WritePID: true, IgnoreTerm: true})
	logFile := filepath.Join(l.dir, "ha.log")
	start := time.Now()
	o := run(t, a, l.env, "stop", "OCF_RESKEY_CRM_meta_timeout", "6000", "HA_LOGFACILITY", "", "HA_LOGFILE", logFile)
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	select {
	case <-m.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the stand-in master survived the stop")
	}
	log, _ := os.ReadFile(logFile)
	assert.Contains(t, string(log), fmt.Sprintf("mfsmaster (pid %d) did not store its metadata and exit before the stop timeout: sending SIGKILL", m.PID))
	// It waited for a clean exit first rather than killing at once.
	assert.Greater(t, time.Since(start), 2*time.Second)
}

// A master that dies right after 'mfsmaster start' returned (the lab saw
// the OOM killer do it) fails the start at once, with the reason, instead
// of waiting out the start timeout for an answer that cannot come.
func TestStartFailsWhenTheMasterDiesAfterStarting(t *testing.T) {
	l := newLab(t)
	a := New()
	fake := filepath.Join(l.dir, "mfsmaster-dies")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\n# answers -v as mfsmaster 3.0.117 does, reports a successful start, but no master stays\n"+
		"[ \"$1\" = -v ] && echo 'version: 3.0.117-1 ; build: 1341'\nexit 0\n"), 0o755))
	o := run(t, a, l.env, "start", "OCF_RESKEY_binary", fake)
	assert.Equal(t, ocf.ErrGeneric, o.code)
	assert.Contains(t, o.stderr, "ocf-exit-reason:mfsmaster exited after it started")
	assert.NotContains(t, o.stderr, "before the start timeout")
}
