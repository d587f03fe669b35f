package mfs

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseVersion(t *testing.T) {
	for out, want := range map[string]Version{
		"version: 3.0.117-1 ; build: 1341\n": {3, 0, 117}, // Debian 12's mfsmaster -v
		"version: 1.6.27\n":                  {1, 6, 27},  // 1.6.27 mfscommon/main.c line 1025
	} {
		v, err := ParseVersion(out)
		require.NoError(t, err)
		assert.Equal(t, want, v)
	}
	// Synthetic: what the pattern "version: N.N.N" must take and leave.
	v, err := ParseVersion("mfsmaster: version: 2.0\nversion: 4.57.5-1 ; build: 1\n")
	require.NoError(t, err)
	assert.Equal(t, Version{4, 57, 5}, v, "the first complete version")
	for _, out := range []string{"usage: mfsmaster ...", "version: 3.0.", "version: 3..117", "version: x.0.117", "version:3.0.117",
		"version: 99999999999999999999.0.1"} {
		_, err := ParseVersion(out)
		assert.ErrorIs(t, err, ErrProtocol, out)
	}
	assert.True(t, Version{1, 7, 0}.AtLeast(1, 7, 0))
	assert.False(t, Version{1, 6, 27}.AtLeast(1, 7, 0))
	assert.True(t, Version{4, 57, 5}.AtLeast(3, 0, 0))
}
