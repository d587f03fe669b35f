package front

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/agent/agenttest"
	"github.com/ocf-mfs/ocf-mfs/internal/agent/master"
	"github.com/ocf-mfs/ocf-mfs/internal/mfs/local"
	"github.com/ocf-mfs/ocf-mfs/internal/mfs/mfstest"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf/contract"
)

func TestMain(m *testing.M) {
	mfstest.Main()
	os.Exit(m.Run())
}

// node is one master's configuration on this machine, and the front that
// would serve it, with exec recorded instead of done.
type node struct {
	dir, data string
	port      int
	env       map[string]string
	execs     []string // "path argv..." of each hand-over
	stderr    bytes.Buffer
	self      string
}

var errNoExec = errors.New("exec recorded, not done")

func newNode(t *testing.T) *node {
	t.Helper()
	n := &node{dir: t.TempDir()}
	n.data = filepath.Join(n.dir, "data")
	require.NoError(t, os.Mkdir(n.data, 0o755))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	n.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := filepath.Join(n.dir, "mfsmaster.cfg")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf("DATA_PATH = %s\nMATOCL_LISTEN_HOST = 127.0.0.1\nMATOCL_LISTEN_PORT = %d\n",
		n.data, n.port)), 0o644))
	n.env = map[string]string{"OCF_RESKEY_config": cfg, "OCF_RESOURCE_INSTANCE": "mfs", "HA_LOGFACILITY": "none",
		"OCF_RESKEY_CRM_meta_interval": "10000", "OCF_RESKEY_CRM_meta_timeout": "20000", "HA_RSCTMP": filepath.Join(n.dir, "rsctmp")}
	// The front's own executable: a directory holding the full agent.
	bin := filepath.Join(n.dir, "bin")
	require.NoError(t, os.Mkdir(bin, 0o755))
	n.self = filepath.Join(bin, "master")
	require.NoError(t, os.WriteFile(filepath.Join(bin, ActionsName), []byte("#!/bin/sh\n"), 0o755))
	return n
}

// master starts a stand-in mfsmaster holding this node's lock, listening
// on its client port unless told otherwise.
func (n *node) master(t *testing.T, h mfstest.Holder) *mfstest.Proc {
	t.Helper()
	h.Lock = filepath.Join(n.data, local.LockName)
	h.WritePID = true
	if h.Listen == "" {
		h.Listen = fmt.Sprintf("127.0.0.1:%d", n.port)
	}
	return mfstest.Start(t, h)
}

func (n *node) front(extra ...string) Front {
	return Front{Lookup: contract.MapLookup(agenttest.Overlay(n.env, extra...)), Environ: []string{"KEPT=1"}, Stderr: &n.stderr, ProcRoot: "/proc",
		Self: func() (string, error) { return n.self, nil },
		Exec: func(path string, argv, env []string) error {
			n.execs = append(n.execs, fmt.Sprint(path, argv, env))
			return errNoExec
		}}
}

func TestFrontAnswersAServingMastersMonitorItself(t *testing.T) {
	n := newNode(t)
	n.master(t, mfstest.Holder{})
	for _, action := range []string{"monitor", "status"} {
		assert.Equal(t, 0, n.front().Run([]string{"master", action}), action)
	}
	assert.Equal(t, 0, n.front("OCF_RESKEY_CRM_meta_interval", "").Run([]string{"master", "monitor"}), "a probe")
	assert.Equal(t, 0, n.front("OCF_CHECK_LEVEL", "10").Run([]string{"master", "monitor"}), "depth 10 adds nothing")
	assert.Empty(t, n.execs, "nothing handed over")
	assert.Empty(t, n.stderr.String())
}

func TestFrontHandsOverWhatItDoesNotAnswer(t *testing.T) {
	n := newNode(t)
	n.master(t, mfstest.Holder{})
	for name, c := range map[string]struct {
		args  []string
		extra []string
	}{
		"start":           {[]string{"master", "start"}, nil},
		"stop":            {[]string{"master", "stop"}, nil},
		"meta-data":       {[]string{"master", "meta-data"}, nil},
		"no action":       {[]string{"master"}, nil},
		"extra argument":  {[]string{"master", "monitor", "x"}, nil},
		"depth 20":        {[]string{"master", "monitor"}, []string{"OCF_CHECK_LEVEL", "20"}},
		"promotable":      {[]string{"master", "monitor"}, []string{"OCF_RESKEY_CRM_meta_promotable", "true"}},
		"debugging":       {[]string{"master", "monitor"}, []string{"HA_DEBUG", "1"}},
		"tracing":         {[]string{"master", "monitor"}, []string{"OCF_TRACE_RA", "1"}},
		"bad parameter":   {[]string{"master", "monitor"}, []string{"OCF_RESKEY_probe_timeout", "0"}},
		"no config":       {[]string{"master", "monitor"}, []string{"OCF_RESKEY_config", filepath.Join(n.dir, "none.cfg")}},
		"another process": {[]string{"master", "monitor"}, []string{"OCF_RESKEY_config", writeCfg(t, n.dir, n.port+1)}},
	} {
		n.execs, n.stderr = nil, bytes.Buffer{}
		code := n.front(c.extra...).Run(c.args)
		require.Len(t, n.execs, 1, name)
		w := fmt.Sprint(filepath.Join(filepath.Dir(n.self), ActionsName), c.args, []string{"KEPT=1"})
		assert.Equal(t, w, n.execs[0], name)
		assert.Equal(t, int(contract.ErrInstalled), code, "%s: an exec that returns failed", name)
		assert.Contains(t, n.stderr.String(), "ocf-exit-reason:ocf:mfs:master cannot run its actions", name)
	}
}

// writeCfg writes a configuration whose client port is port, beside DATA_PATH
// of no master.
func writeCfg(t *testing.T, dir string, port int) string {
	t.Helper()
	d := filepath.Join(dir, fmt.Sprintf("data%d", port))
	require.NoError(t, os.MkdirAll(d, 0o755))
	p := filepath.Join(dir, fmt.Sprintf("m%d.cfg", port))
	require.NoError(t, os.WriteFile(p, []byte(fmt.Sprintf("DATA_PATH = %s\nMATOCL_LISTEN_PORT = %d\n", d, port)), 0o644))
	return p
}

// TestFrontAndFullAgentAgree is the front's one promise: it says "running"
// exactly where the full agent's monitor does, and hands over everywhere
// else.
func TestFrontAndFullAgentAgree(t *testing.T) {
	n := newNode(t)
	full := master.New()
	check := func(name string, extra ...string) {
		t.Helper()
		fr := n.front(extra...)
		got := fr.Serving([]string{"master", "monitor"}, contract.NewEnv(fr.Lookup))
		code := agenttest.Run(full, n.env, "monitor", extra...).Code
		assert.Equal(t, code == ocf.Success, got, "%s: full agent answered %s", name, code)
	}
	check("nothing runs")
	m := n.master(t, mfstest.Holder{})
	check("serving")
	check("serving, probe", "OCF_RESKEY_CRM_meta_interval", "0")
	check("serving, bad parameter", "OCF_RESKEY_auto_recovery", "perhaps")
	check("serving, other config", "OCF_RESKEY_config", writeCfg(t, n.dir, n.port+1))
	require.NoError(t, syscall.Kill(m.PID, syscall.SIGSTOP))
	waitState(t, m.PID, 'T')
	check("stopped")
	require.NoError(t, syscall.Kill(m.PID, syscall.SIGKILL))
	<-m.Done()

	n.master(t, mfstest.Holder{Listen: "127.0.0.1:0"})
	check("not listening on the client port")
}

func waitState(t *testing.T, pid int, want byte) {
	t.Helper()
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return false
		}
		i := bytes.LastIndexByte(b, ')')
		return i > 0 && len(b) > i+2 && b[i+2] == want
	}, 5*time.Second, 10*time.Millisecond)
}

func TestFrontFindsItsFullAgent(t *testing.T) {
	n := newNode(t)
	beside := filepath.Join(filepath.Dir(n.self), ActionsName)
	fr := n.front()
	path, err := fr.actions()
	require.NoError(t, err)
	assert.Equal(t, beside, path, "beside the front first")

	// Installed: OCF_ROOT/resource.d/mfs/master and LIBEXECDIR/ocf-mfs/,
	// unpacked under any root.
	root := t.TempDir()
	n.self = filepath.Join(root, "usr/lib/ocf/resource.d/mfs/master")
	installed := filepath.Join(root, "usr/libexec/ocf-mfs", ActionsName)
	require.NoError(t, os.MkdirAll(filepath.Dir(n.self), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Dir(installed), 0o755))
	require.NoError(t, os.WriteFile(installed, []byte("#!/bin/sh\n"), 0o755))
	path, err = n.front().actions()
	require.NoError(t, err)
	assert.Equal(t, installed, path)

	// Not executable, or absent: no action can run.
	require.NoError(t, os.Chmod(installed, 0o644))
	n.stderr.Reset()
	code := n.front("OCF_EXIT_REASON_PREFIX", "reason:").Run([]string{"master", "start"})
	assert.Equal(t, int(contract.ErrInstalled), code)
	assert.Contains(t, n.stderr.String(), "reason:ocf:mfs:master cannot run its actions: no executable "+ActionsName)
	assert.Contains(t, n.stderr.String(), filepath.Dir(installed)+"/"+ActionsName+"\n",
		"the whole message, past the exit reason's 128 bytes, names the last path tried")
	assert.Empty(t, n.execs, "nothing run")
}
