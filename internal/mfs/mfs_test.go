package mfs

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type rw struct {
	bytes.Buffer
	in *bytes.Reader
}

func (c *rw) Read(p []byte) (int, error) { return c.in.Read(p) }

func TestProbeConnRealAnswer(t *testing.T) {
	ans, err := os.ReadFile("testdata/matocl-info-3.0.117.bin")
	require.NoError(t, err)
	c := &rw{in: bytes.NewReader(ans)}
	info, err := probeConn(c)
	require.NoError(t, err)
	assert.Equal(t, "3.0.117", info.Version)
	assert.Equal(t, []byte{0, 0, 1, 0xfe, 0, 0, 0, 0}, c.Bytes(), "CLTOMA_INFO: type 510, no payload")
}

func TestProbeConnBadAnswers(t *testing.T) {
	for name, ans := range map[string][]byte{
		"wrong type": {0, 0, 1, 0xfe, 0, 0, 0, 4, 0, 3, 0, 0xea},
		"too short":  {0, 0, 1, 0xff, 0, 0, 0, 2, 0, 3},
		"truncated":  {0, 0, 1, 0xff, 0, 0, 0, 9, 0, 3},
		"no header":  {0, 0},
	} {
		_, err := probeConn(&rw{in: bytes.NewReader(ans)})
		assert.Error(t, err, name)
	}
}

func TestProbeTimesOutOnASilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			time.Sleep(2 * time.Second)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = Probe(ctx, Endpoint{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port})
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
}

func TestReadMetadata(t *testing.T) {
	dir := t.TempDir()
	m := &Master{Cfg: &Config{DataPath: dir}}
	md, err := m.ReadMetadata()
	require.NoError(t, err)
	assert.True(t, md.Empty())
	assert.False(t, md.NeedsRecovery())

	for _, n := range []string{"metadata.mfs.back", "changelog.0.mfs"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644))
	}
	md, _ = m.ReadMetadata()
	assert.True(t, md.NeedsRecovery(), "after a crash")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "metadata.mfs"), []byte("x"), 0o644))
	md, _ = m.ReadMetadata()
	assert.False(t, md.NeedsRecovery(), "after a clean stop")

	_, err = (&Master{Cfg: &Config{DataPath: filepath.Join(dir, "none")}}).ReadMetadata()
	assert.True(t, errors.Is(err, os.ErrNotExist))
}

func TestDataPathProblem(t *testing.T) {
	dir := t.TempDir()
	assert.Contains(t, DataPathProblem(filepath.Join(dir, "none"), -1, -1), "does not exist")
	file := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	assert.Contains(t, DataPathProblem(file, -1, -1), "not a directory")
	assert.Equal(t, "", DataPathProblem(dir, os.Getuid(), os.Getgid()))
	require.NoError(t, os.Chmod(dir, 0o755))
	if os.Getuid() == 0 {
		assert.Contains(t, DataPathProblem(dir, 4242, 4242), "not writable by uid 4242", "mfsmaster runs as WORKING_USER")
	}
}
