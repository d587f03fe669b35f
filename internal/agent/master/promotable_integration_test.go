//go:build integration

package master

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/mfs"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
)

// Ports of the promotable test's masters: fixed, so that both "nodes"
// reach the master at the same address, as through a VIP.
const mlPortBase = 29520

type mlNode struct {
	name string
	data string
	env  map[string]string
}

func newMLNode(t *testing.T, root, name string) *mlNode {
	t.Helper()
	n := &mlNode{name: name, data: filepath.Join(root, name, "data")}
	require.NoError(t, os.MkdirAll(n.data, 0o755))
	cfg := filepath.Join(root, name, "mfsmaster.cfg")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`WORKING_USER = root
DATA_PATH = %s
EXPORTS_FILENAME = %s/exports.cfg
MATOML_LISTEN_HOST = 127.0.0.1
MATOML_LISTEN_PORT = %d
MATOCS_LISTEN_HOST = 127.0.0.1
MATOCS_LISTEN_PORT = %d
MATOCL_LISTEN_HOST = 127.0.0.1
MATOCL_LISTEN_PORT = %d
`, n.data, root, mlPortBase, mlPortBase+1, mlPortBase+2)), 0o644))
	n.env = map[string]string{"OCF_RESKEY_config": cfg, "OCF_RESOURCE_INSTANCE": "mfs:" + name, "HA_LOGFACILITY": "none",
		"OCF_RESKEY_CRM_meta_timeout": "60000", "HA_RSCTMP": filepath.Join(root, name, "rsctmp"),
		"OCF_RESKEY_CRM_meta_promotable": "true", "OCF_RESKEY_master_host": "127.0.0.1", "OCF_RESKEY_probe_timeout": "1"}
	t.Cleanup(func() {
		for _, lock := range []string{filepath.Join(n.data, mfs.LockName), filepath.Join(n.data, "metalogger", mfs.MetaloggerLockName)} {
			if pid, err := mfs.LockOwner(lock); err == nil && pid > 0 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	return n
}

// client runs a shell script against the master on a mount private to a
// new mount namespace (unshare), so nothing of it outlives the script. No
// chunkserver runs: the script changes metadata only (mkdir, touch, mv).
func client(t *testing.T, root, script string) string {
	t.Helper()
	mnt := filepath.Join(root, "mnt")
	require.NoError(t, os.MkdirAll(mnt, 0o755))
	sh := fmt.Sprintf("mfsmount %s -H 127.0.0.1 -P %d -o mfsioretries=5 >/dev/null 2>&1 || exit 9\ncd %s\n%s\nrc=$?\ncd /\numount -l %s\nexit $rc",
		mnt, mlPortBase+2, mnt, script, mnt)
	out, err := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", sh).CombinedOutput()
	require.NoError(t, err, "client: %s", out)
	return string(out)
}

func metaVersion(t *testing.T) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	info, err := mfs.Probe(ctx, mfs.Endpoint{Host: "127.0.0.1", Port: mlPortBase + 2})
	require.NoError(t, err)
	require.True(t, info.HasMetaVersion)
	return info.MetaVersion
}

// TestPromotableTakeoverFromMetalogger runs two "nodes" of a promotable
// clone on loopback with the real mfsmaster and mfsmetalogger: a client
// writes through A's master, A's master is killed with SIGKILL, B is
// promoted from its metalogger's files alone, every file is there, and the
// changes lost are counted. Then A returns (its old files set aside), B is
// demoted and A promoted back.
func TestPromotableTakeoverFromMetalogger(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: mfsmount in a private mount namespace")
	}
	for _, p := range []string{"mfsmaster", "mfsmetalogger", "mfsmount", "unshare"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s missing", p)
		}
	}
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "exports.cfg"), []byte("* / rw,alldirs,maproot=0\n"), 0o644))
	empty, err := os.ReadFile("/var/lib/mfs/metadata.mfs.empty")
	require.NoError(t, err)
	a, b := newMLNode(t, root, "a"), newMLNode(t, root, "b")
	require.NoError(t, os.WriteFile(filepath.Join(a.data, "metadata.mfs"), empty, 0o644))
	agent := New()

	for _, n := range []*mlNode{a, b} {
		o := run(t, agent, n.env, "start")
		require.Equal(t, ocf.Success, o.code, o.stderr)
	}
	o := run(t, agent, a.env, "promote")
	require.Equal(t, ocf.Success, o.code, o.stderr)
	assert.Equal(t, ocf.RunningPromoted, run(t, agent, a.env, "monitor").code)
	assert.Equal(t, ocf.Success, run(t, agent, b.env, "monitor").code)

	client(t, root, "mkdir d && for i in $(seq 1 50); do touch d/f$i; done && mv d/f50 d/renamed")
	time.Sleep(2 * time.Second) // the metalogger flushes once a second
	before := metaVersion(t)
	pid, err := mfs.LockOwner(filepath.Join(a.data, mfs.LockName))
	require.NoError(t, err)
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	require.Eventually(t, func() bool { return gone(pid) }, 5*time.Second, 50*time.Millisecond)

	start := time.Now()
	o = run(t, agent, b.env, "promote")
	require.Equal(t, ocf.Success, o.code, o.stderr)
	took := time.Since(start)
	after := metaVersion(t)
	t.Logf("TIMING promote-from-metalogger seconds=%.2f lost_changes=%d (master at %d, rebuilt %d)",
		took.Seconds(), int64(before)-int64(after), before, after)
	assert.GreaterOrEqual(t, after, before, "the metalogger had flushed every change")
	out := client(t, root, "ls d | wc -l; test -e d/renamed && echo renamed; test -e d/f50 && echo f50; true")
	assert.Equal(t, "50\nrenamed\n", out, "every file, the rename applied")

	// A returns: neither daemon runs; its start follows B and sets its
	// own pre-takeover files aside.
	assert.Equal(t, ocf.NotRunning, run(t, agent, a.env, "monitor").code)
	o = run(t, agent, a.env, "start")
	require.Equal(t, ocf.Success, o.code, o.stderr)
	aside, _ := filepath.Glob(filepath.Join(a.data, mfs.SetAsidePrefix+"*"))
	assert.Len(t, aside, 1, "A's own files from before the takeover are set aside")
	left, _ := filepath.Glob(filepath.Join(a.data, "changelog*"))
	assert.Empty(t, left)

	client(t, root, "touch d/after-takeover")
	time.Sleep(2 * time.Second)
	// Switch back cleanly: B stores its metadata, A rebuilds from its
	// metalogger.
	o = run(t, agent, b.env, "demote")
	require.Equal(t, ocf.Success, o.code, o.stderr)
	beforeSwitch := metaVersion2(t, b)
	start = time.Now()
	o = run(t, agent, a.env, "promote")
	require.Equal(t, ocf.Success, o.code, o.stderr)
	t.Logf("TIMING switchover seconds=%.2f", time.Since(start).Seconds())
	after = metaVersion(t)
	assert.GreaterOrEqual(t, after, beforeSwitch, "a clean switchover loses nothing")
	out = client(t, root, "ls d | wc -l; test -e d/after-takeover && echo after")
	assert.Equal(t, "51\nafter\n", out)
	assert.Equal(t, ocf.Success, run(t, agent, b.env, "monitor").code, "B demoted runs its metalogger")

	for _, n := range []*mlNode{a, b} {
		run(t, agent, n.env, "demote")
		o := run(t, agent, n.env, "stop")
		assert.Equal(t, ocf.Success, o.code, o.stderr)
	}
}

// metaVersion2 is the version B's clean stop stored in metadata.mfs.
func metaVersion2(t *testing.T, n *mlNode) uint64 {
	t.Helper()
	v, _, err := mfs.MetadataVersion(filepath.Join(n.data, "metadata.mfs"))
	require.NoError(t, err)
	return v
}
