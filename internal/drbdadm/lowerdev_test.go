package drbdadm

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// "/dev/vdb\n" is what drbdadm 9.22 printed for the lab's drbd.conf.
func TestLowerDevice(t *testing.T) {
	f := (&runner.Fake{}).On("drbdadm sh-ll-dev r0", runner.OK("/dev/vdb\n"), runner.OK(""))
	c := &Client{Runner: f}
	dev, err := c.LowerDevice(context.Background(), "r0")
	require.NoError(t, err)
	assert.Equal(t, "/dev/vdb", dev)
	_, err = c.LowerDevice(context.Background(), "r0")
	assert.ErrorContains(t, err, "no device printed")
}
