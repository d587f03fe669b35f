package splitbrain

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKernelSplitBrainsFromLabDmesg(t *testing.T) {
	split, err := os.ReadFile("testdata/split-brain.node1.dmesg.txt")
	require.NoError(t, err)
	assert.Equal(t, map[int]bool{0: true}, KernelSplitBrains(strings.NewReader(string(split))))

	recovered, err := os.ReadFile("testdata/recovered.node1.dmesg.txt")
	require.NoError(t, err)
	assert.Empty(t, KernelSplitBrains(strings.NewReader(string(recovered))), "manually solved, then Connected")

	kmsg := "6,812,37175533,-;block drbd3: Split-Brain detected, 1 primaries, automatically solved. Sync from peer node\n" +
		"3,813,37175534,-;block drbd4: Split-Brain detected, dropping connection!\n"
	assert.Equal(t, map[int]bool{4: true}, KernelSplitBrains(strings.NewReader(kmsg)))
}
