package splitbraincli

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/splitbrain"
)

func newEnvLockHolder(t *testing.T, dir string) func() {
	l, err := splitbrain.TryLock(splitbrain.LockPath(dir, "r0"))
	require.NoError(t, err)
	return l.Release
}
