package master

import (
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/ocf-mfs/ocf-mfs/internal/agent/master/core"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 15: the agent's errors keep their cause (%w), so that callers and
// the dispatcher can tell a missing file or a passed deadline from any
// other failure; with %v the chain ended at the agent's message.
func TestConfigErrorKeepsItsCause(t *testing.T) {
	in := &instance{p: core.Params{Config: filepath.Join(t.TempDir(), "missing.cfg")}}
	New().readConfig(in)
	require.Error(t, in.cfgErr)
	assert.ErrorIs(t, in.cfgErr, fs.ErrNotExist)
}
