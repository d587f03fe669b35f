package local

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConfigTutorial(t *testing.T) {
	f, err := os.Open("testdata/tutorial.cfg")
	require.NoError(t, err)
	defer f.Close()
	c, err := ParseConfig(f)
	require.NoError(t, err)
	// mfsmaster keeps an inline comment after spaces in the value, so the
	// agent does too: both see the same (unusable) DATA_PATH.
	assert.Equal(t, "/data/mfs     # on /dev/drbd0", c.DataPath)
	assert.Equal(t, "mfs", c.WorkingUser)
	assert.Equal(t, "mfs", c.WorkingGroup)
	assert.Equal(t, Endpoint{Host: "192.0.2.10", Port: 9521}, c.Matocl)
	assert.Equal(t, Endpoint{Host: "*", Port: 9520}, c.Matocs, "tabs around '='")
	assert.Equal(t, Endpoint{Host: "*", Port: DefaultMatoml}, c.Matoml)
	assert.Equal(t, "50", c.Raw["BACK_LOGS"], "unknown keys are kept")
	assert.Equal(t, "", c.Raw["EMPTY_KEY"])
	assert.Equal(t, "192.0.2.10", c.Matocl.ConnectHost())
	assert.Equal(t, "127.0.0.1", c.Matocs.ConnectHost(), "listening everywhere is probed on loopback")
}

func TestParseConfigDefaults(t *testing.T) {
	c, err := ParseConfig(strings.NewReader("# nothing set\n\n"))
	require.NoError(t, err)
	assert.Equal(t, DefaultDataPath, c.DataPath)
	assert.Equal(t, "mfs", c.WorkingUser)
	assert.Equal(t, []int{9419, 9420, 9421}, []int{c.Matoml.Port, c.Matocs.Port, c.Matocl.Port})
}

func TestParseConfigErrors(t *testing.T) {
	for in, want := range map[string]string{
		"# ok\nMATOCL_LISTEN_PORT = x\n": "MATOCL_LISTEN_PORT",
		"MATOML_LISTEN_PORT = 70000\n":   "MATOML_LISTEN_PORT",
		"MATOCS_LISTEN_PORT = -1\n":      "MATOCS_LISTEN_PORT",
	} {
		_, err := ParseConfig(strings.NewReader(in))
		require.Error(t, err, in)
		assert.ErrorIs(t, err, ErrConfig)
		assert.Contains(t, err.Error(), want)
	}
}

func TestReadLockPID(t *testing.T) {
	pid, err := ReadLockPID("testdata/mfsmaster.lock")
	require.NoError(t, err)
	assert.Equal(t, 32141, pid)

	dir := t.TempDir()
	_, err = ReadLockPID(filepath.Join(dir, "none"))
	assert.ErrorIs(t, err, ErrNoLock)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "empty"), nil, 0o644))
	_, err = ReadLockPID(filepath.Join(dir, "empty"))
	assert.ErrorIs(t, err, ErrNoLock)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "junk"), []byte("x1\n"), 0o644))
	_, err = ReadLockPID(filepath.Join(dir, "junk"))
	assert.ErrorContains(t, err, "is not a pid")
}

func TestHostProcessAndListening(t *testing.T) {
	h, err := NewHost("/proc")
	require.NoError(t, err)
	me, err := h.Process(os.Getpid())
	require.NoError(t, err)
	require.NotNil(t, me)
	assert.False(t, me.Stopped())

	gone, err := h.Process(1 << 22) // above pid_max's default
	require.NoError(t, err)
	assert.Nil(t, gone)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ok, err := h.Listening(os.Getpid(), port)
	require.NoError(t, err)
	assert.True(t, ok)
	ln.Close()
	ok, err = h.Listening(os.Getpid(), port)
	require.NoError(t, err)
	assert.False(t, ok)
}

// Finding 4: the agent reads the configuration as mfsmaster's cfg.c does,
// on a synthetic file of the odd forms (testdata/odd-forms.cfg).
func TestFinding4ConfigReaderAgreesWithMfsmaster(t *testing.T) {
	f, err := os.Open("testdata/odd-forms.cfg")
	require.NoError(t, err)
	defer f.Close()
	c, err := ParseConfig(f)
	require.NoError(t, err, "a line without '=' is ignored, not an error")
	assert.Equal(t, "/data/mfs   # kept: part of the value", c.DataPath, "an inline # after spaces is part of the value")
	_, set := c.Raw["WORKING_GROUP"]
	assert.True(t, set)
	assert.Equal(t, "", c.WorkingGroup, "KEY = is the empty string, not the default")
	_, set = c.Raw["EXPORTS_FILENAME"]
	assert.False(t, set, "text after a tab ends the value and voids the line")
	assert.Equal(t, Endpoint{Host: "192.0.2.7", Port: 9621}, c.Matocl, "MATOCU_LISTEN_* still set the client port")
	assert.Equal(t, "20", c.Raw["BACK_LOGS"], "the last definition wins")
	assert.Equal(t, []string{"DATA_PATH"}, c.InlineComments())

	c, err = ParseConfig(strings.NewReader("MATOCU_LISTEN_PORT = 9621\nMATOCL_LISTEN_HOST = 10.0.0.1\n"))
	require.NoError(t, err)
	assert.Equal(t, Endpoint{Host: "10.0.0.1", Port: DefaultMatocl}, c.Matocl, "any MATOCL_LISTEN_* key wins over MATOCU")
}
