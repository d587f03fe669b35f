package master

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/mfs"
	"github.com/ocf-mfs/ocf-mfs/internal/mfs/mfstest"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
)

func TestMain(m *testing.M) {
	mfstest.Main()
	os.Exit(m.Run())
}

// alive reports a live, non-zombie process.
func alive(pid int) bool { return !gone(pid) }

// Finding 2: a stop whose parameters are unusable (probe_timeout=5s is not
// an integer) must still stop the master of the configured DATA_PATH, and
// nothing else: every other master's process, and the data writer of every
// master from 3.0 on, looks like "a master with the default config".
func TestFinding2StopWithUnusableParameterStopsOnlyOurMaster(t *testing.T) {
	l, a, pid := started(t)
	other := mfstest.Start(t, mfstest.Holder{Lock: filepath.Join(t.TempDir(), mfs.LockName), WritePID: true})

	o := run(t, a, l.env, "stop", "OCF_RESKEY_probe_timeout", "5s", "OCF_RESKEY_CRM_meta_timeout", "20000")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	assert.True(t, gone(pid), "our master (pid %d) must be stopped", pid)
	assert.FileExists(t, filepath.Join(l.data(), "metadata.mfs"), "and stopped cleanly")
	time.Sleep(200 * time.Millisecond)
	assert.True(t, alive(other.PID), "another master (pid %d) must not be signalled", other.PID)
}

// Finding 2, second half: with the configuration unreadable, stop acts on
// the DATA_PATH remembered from this resource's last start, and never on
// "a master with the default config".
func TestFinding2StopWithUnreadableConfigUsesTheRememberedDataPath(t *testing.T) {
	l, a, pid := started(t)
	other := mfstest.Start(t, mfstest.Holder{Lock: filepath.Join(t.TempDir(), mfs.LockName), WritePID: true})
	require.NoError(t, os.Rename(l.cfg, l.cfg+".moved"))

	o := run(t, a, l.env, "monitor")
	assert.Equal(t, ocf.ErrGeneric, o.code, "running but unmanageable is a failure: %s", o.stderr)
	o = run(t, a, l.env, "stop", "OCF_RESKEY_CRM_meta_timeout", "20000")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	require.Eventually(t, func() bool { return gone(pid) }, 5*time.Second, 50*time.Millisecond)
	assert.True(t, alive(other.PID), "another master (pid %d) must not be signalled", other.PID)

	// Another resource name has no remembered DATA_PATH: nothing is stopped,
	// and the log says so.
	logFile := filepath.Join(l.dir, "ha.log")
	o = run(t, a, l.env, "stop", "OCF_RESOURCE_INSTANCE", "never-started", "HA_LOGFACILITY", "", "HA_LOGFILE", logFile)
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	log, _ := os.ReadFile(logFile)
	assert.Contains(t, string(log), "stopping nothing")
	assert.True(t, alive(other.PID))
}

// Finding 3: mfsmaster holds its fcntl lock whatever happens to the text in
// the file. With the lock file emptied, or unlinked while the master runs,
// the monitor must still see the master, and stop must let it store its
// metadata instead of killing it at the deadline.
func TestFinding3EmptiedOrLostLockFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(path string) error
	}{
		{"emptied", func(p string) error { return os.Truncate(p, 0) }},
		{"lost", os.Remove},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, a, pid := started(t)
			require.NoError(t, tc.do(filepath.Join(l.data(), mfs.LockName)))
			o := run(t, a, l.env, "monitor")
			assert.Equal(t, ocf.Success, o.code, o.stderr)
			assert.Equal(t, ocf.Success, run(t, a, l.env, "monitor", "OCF_CHECK_LEVEL", "20").code)

			logFile := filepath.Join(l.dir, "ha.log")
			start := time.Now()
			o = run(t, a, l.env, "stop", "OCF_RESKEY_CRM_meta_timeout", "20000", "HA_LOGFACILITY", "", "HA_LOGFILE", logFile)
			assert.Equal(t, ocf.Success, o.code, o.stderr)
			assert.Less(t, time.Since(start), 10*time.Second, "a clean stop does not wait for the deadline")
			log, _ := os.ReadFile(logFile)
			assert.NotContains(t, string(log), "SIGKILL")
			assert.True(t, gone(pid))
			assert.FileExists(t, filepath.Join(l.data(), "metadata.mfs"), "a clean stop stores the metadata")
		})
	}
}

// Finding 6: the pid in a stale lock file can belong to another process by
// now, even one named mfsmaster (another master's data writer). It is not
// our master: the monitor says not running, and stop leaves it alone.
func TestFinding6ReusedPidIsNotOurMaster(t *testing.T) {
	l := newLab(t)
	a := New()
	stranger := mfstest.Start(t, mfstest.Holder{IgnoreTerm: true})
	require.NoError(t, os.WriteFile(filepath.Join(l.data(), mfs.LockName), []byte(strconv.Itoa(stranger.PID)+"\n"), 0o644))

	assert.Equal(t, ocf.NotRunning, run(t, a, l.env, "monitor").code)
	o := run(t, a, l.env, "stop", "OCF_RESKEY_CRM_meta_timeout", "5000")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	time.Sleep(200 * time.Millisecond)
	assert.True(t, alive(stranger.PID), "a stranger (pid %d) was killed", stranger.PID)
}

// Finding 6, second half: when SIGKILL is the last resort, it must reach
// the data writer child too. The daemon is not its process group's leader,
// so the old kill of -PID reached nothing.
func TestFinding6SigkillReachesTheDataWriter(t *testing.T) {
	l := newLab(t)
	a := New()
	m := mfstest.Start(t, mfstest.Holder{Lock: filepath.Join(l.data(), mfs.LockName), WritePID: true, IgnoreTerm: true, Child: true})
	require.NotZero(t, m.Child)
	time.Sleep(200 * time.Millisecond)
	require.True(t, alive(m.Child), "the stand-in data writer runs before the stop")
	o := run(t, a, l.env, "stop", "OCF_RESKEY_binary", "/bin/true", "OCF_RESKEY_CRM_meta_timeout", "4000")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	<-m.Done()
	require.Eventually(t, func() bool { return gone(m.Child) }, 3*time.Second, 50*time.Millisecond,
		"the data writer (pid %d) survived its master's SIGKILL", m.Child)
}

// Finding 5: everything under DATA_PATH belongs to the mfs user. A FIFO in
// place of the lock file must not block the agent, and a symlink to
// /dev/zero must not make it read without end.
func TestFinding5HostileLockFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(path string) error
	}{
		{"fifo", func(p string) error { return syscall.Mkfifo(p, 0o644) }},
		{"symlink to /dev/zero", func(p string) error { return os.Symlink("/dev/zero", p) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t)
			a := New()
			require.NoError(t, tc.make(filepath.Join(l.data(), mfs.LockName)))
			for _, action := range []string{"monitor", "stop", "start"} {
				done := make(chan out, 1)
				go func() { done <- run(t, a, l.env, action, "OCF_RESKEY_CRM_meta_timeout", "5000") }()
				select {
				case o := <-done:
					assert.Contains(t, []ocf.ExitCode{ocf.Success, ocf.ErrGeneric, ocf.NotRunning}, o.code, "%s: %s", action, o.stderr)
					if action != "stop" {
						assert.Contains(t, o.stderr, "not a regular file", action)
					}
				case <-time.After(8 * time.Second):
					t.Fatalf("%s is blocked on the lock file", action)
				}
			}
		})
	}
}

// Finding 7: a WORKING_USER missing on this node is named as the reason.
func TestFinding7MissingWorkingUserIsTheReason(t *testing.T) {
	l := newLab(t)
	a := New()
	cfg, err := os.ReadFile(l.cfg)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(l.cfg, append(cfg, "WORKING_USER = nosuchuser-ocfmfs\n"...), 0o644))
	o := run(t, a, l.env, "start")
	assert.NotEqual(t, ocf.Success, o.code)
	assert.Contains(t, o.stderr, "ocf-exit-reason:WORKING_USER nosuchuser-ocfmfs does not exist on this node")
}

// Finding 8: the time kept for SIGKILL is the operator's choice.
func TestFinding8KillMarginIsAParameter(t *testing.T) {
	l := newLab(t)
	a := New()
	m := mfstest.Start(t, mfstest.Holder{Lock: filepath.Join(l.data(), mfs.LockName), WritePID: true, IgnoreTerm: true})
	start := time.Now()
	o := run(t, a, l.env, "stop", "OCF_RESKEY_kill_margin", "8", "OCF_RESKEY_CRM_meta_timeout", "10000")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	<-m.Done()
	took := time.Since(start)
	assert.Less(t, took, 4*time.Second, "SIGKILL 8s before a 10s deadline, not 2s before it")
	// The dispatcher keeps its own margin before Pacemaker's timeout, so
	// the deadline the agent works to is somewhat under 10s.
	assert.Greater(t, took, 500*time.Millisecond, "SIGTERM first")

	o = run(t, a, l.env, "validate-all", "OCF_RESKEY_kill_margin", "soon")
	assert.Equal(t, ocf.ErrConfigured, o.code)
	assert.Contains(t, o.stderr, "kill_margin")
}

// Finding 1, monitor: MooseFS 1.6.27 holds an fcntl lock on
// DATA_PATH/.mfsmaster.lock and never writes its pid into it
// (mfscommon/main.c of 1.6.27, wdlock: open(".mfsmaster.lock",
// O_WRONLY|O_CREAT,0666) then mylock, lines 666-671; no write follows). A
// stand-in that does exactly that is a running master.
func TestFinding1MooseFS16EmptyLockFileIsARunningMaster(t *testing.T) {
	l := newLab(t)
	a := New()
	m := mfstest.Start(t, mfstest.Holder{Lock: filepath.Join(l.data(), mfs.LockName), WritePID: false,
		Listen: fmt.Sprintf("127.0.0.1:%d", l.port)})
	st, err := os.Stat(filepath.Join(l.data(), mfs.LockName))
	require.NoError(t, err)
	require.Zero(t, st.Size(), "1.6 leaves the lock file empty")
	o := run(t, a, l.env, "monitor")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	o = run(t, a, l.env, "stop", "OCF_RESKEY_CRM_meta_timeout", "10000")
	assert.Equal(t, ocf.Success, o.code, o.stderr)
	select {
	case <-m.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("stop did not stop the 1.6 master")
	}
}

// Finding 1, recovery: MooseFS 1.6.27's mfsmaster has no -a (getopt
// "uvdfsc:t:h?", mfscommon/main.c line 1022; anything else prints the
// usage and exits 1, lines 969-979 and 1047-1049) and prints
// "version: 1.6.27" for -v (line 1025); the crash recovery is
// mfsmetarestore's -a [-d <data path>] (mfsmetarestore/main.c, usage at
// line 176). A fake mfsmaster and mfsmetarestore replay that, and log
// their argv.
func TestFinding1MooseFS16RecoversWithMfsmetarestore(t *testing.T) {
	l := newLab(t)
	a := New()
	require.NoError(t, os.Rename(filepath.Join(l.data(), "metadata.mfs"), filepath.Join(l.data(), "metadata.mfs.back")))
	bin := t.TempDir()
	calls := filepath.Join(bin, "calls")
	master := mfstest.FakeBinary(t, bin, "mfsmaster", `
echo "mfsmaster $*" >> `+calls+`
[ "$1" = -v ] && { echo "version: 1.6.27"; exit 0; }
for a in "$@"; do [ "$a" = -a ] && { echo "usage: $0 [-vdu] [-t locktimeout] [-c cfgfile] [start|stop|restart|reload|test]"; exit 1; }; done
exit 0`)
	mfstest.FakeBinary(t, bin, "mfsmetarestore", `echo "mfsmetarestore $*" >> `+calls)
	o := run(t, a, l.env, "start", "OCF_RESKEY_binary", master, "OCF_RESKEY_CRM_meta_timeout", "5000")
	// The fake starts no daemon, so start ends with "exited after it
	// started": what matters is how it was driven.
	assert.Contains(t, o.stderr, "mfsmaster exited after it started", o.stderr)
	b, err := os.ReadFile(calls)
	require.NoError(t, err)
	assert.Equal(t, "mfsmaster -v\nmfsmetarestore -a -d "+l.data()+"\nmfsmaster -c "+l.cfg+" start\n", string(b))
	assert.NotContains(t, o.stderr, "CHANGELOG_SAVE_MODE", "1.6 has no CHANGELOG_SAVE_MODE")
}

// Finding 4 against the daemon: a real mfsmaster started with the odd
// forms listens where the agent reads that it does, so the monitor finds
// it. A line without '=' is ignored by both, the deprecated MATOCU keys
// set the client port, and a later definition wins. Loopback address and
// ports are this test's own.
func TestFinding4RealMasterListensWhereTheAgentReads(t *testing.T) {
	l := newLab(t)
	a := New()
	const host = "127.0.0.16"
	cfg := fmt.Sprintf(`# odd forms, each read the same way by mfsmaster and the agent
WORKING_USER = root
DATA_PATH = %s
EXPORTS_FILENAME = %s/exports.cfg
this line has no equals sign
MATOML_LISTEN_HOST = %[3]s
MATOML_LISTEN_PORT = 29410
MATOCS_LISTEN_HOST = %[3]s
MATOCS_LISTEN_PORT = 29411
MATOCS_LISTEN_PORT = 29412
MATOCU_LISTEN_HOST = %[3]s
MATOCU_LISTEN_PORT = 29413
`, l.data(), l.dir, host)
	require.NoError(t, os.WriteFile(l.cfg, []byte(cfg), 0o644))
	c, err := mfs.ReadConfigFile(l.cfg)
	require.NoError(t, err)
	assert.Equal(t, mfs.Endpoint{Host: host, Port: 29413}, c.Matocl)
	assert.Equal(t, mfs.Endpoint{Host: host, Port: 29412}, c.Matocs)

	o := run(t, a, l.env, "start")
	require.Equal(t, ocf.Success, o.code, o.stderr)
	pid := l.pid(t)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	h, err := mfs.NewHost("/proc")
	require.NoError(t, err)
	for _, port := range []int{29413, 29412} {
		ok, err := h.Listening(pid, port)
		require.NoError(t, err)
		assert.True(t, ok, "mfsmaster listens on %d", port)
	}
	assert.Equal(t, ocf.Success, run(t, a, l.env, "monitor", "OCF_CHECK_LEVEL", "20").code)
	require.Equal(t, ocf.Success, run(t, a, l.env, "stop").code)
}

// Finding 4, for the operator: agent and daemon both read an inline
// comment as part of the value, and start says why that DATA_PATH fails.
func TestFinding4InlineCommentIsNamedAtStart(t *testing.T) {
	l := newLab(t)
	a := New()
	cfg, err := os.ReadFile(l.cfg)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(l.cfg, append(cfg, "DATA_PATH = "+l.data()+"   # on DRBD\n"...), 0o644))
	o := run(t, a, l.env, "start")
	assert.Equal(t, ocf.ErrGeneric, o.code)
	assert.Contains(t, o.stderr, "mfsmaster takes a '#' after a value as part of it")
	assert.Contains(t, o.stderr, "does not exist")
}
