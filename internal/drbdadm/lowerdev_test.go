package drbdadm

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// "/dev/vdb\n" is what drbdadm 9.22 printed for the lab's drbd.conf; a
// resource with two volumes prints a line per volume (drbdadm's sh-ll-dev
// and sh-minor iterate the volumes alike).
func TestLowerDevices(t *testing.T) {
	f := (&runner.Fake{}).On("drbdadm sh-ll-dev r0", runner.OK("/dev/vdb\n"), runner.OK("/dev/vdb\n/dev/vdc\n"), runner.OK(""))
	c := &Client{Runner: f}
	devs, err := c.LowerDevices(context.Background(), "r0")
	require.NoError(t, err)
	assert.Equal(t, []string{"/dev/vdb"}, devs)
	devs, err = c.LowerDevices(context.Background(), "r0")
	require.NoError(t, err)
	assert.Equal(t, []string{"/dev/vdb", "/dev/vdc"}, devs)
	_, err = c.LowerDevices(context.Background(), "r0")
	assert.ErrorContains(t, err, "no device printed")
}

func TestMinors(t *testing.T) {
	f := (&runner.Fake{}).On("drbdadm sh-minor r0", runner.OK("0\n"), runner.OK("0\n1\n"), runner.OK(""), runner.OK("0\nx\n"))
	c := &Client{Runner: f}
	for _, want := range [][]int{{0}, {0, 1}} {
		got, err := c.Minors(context.Background(), "r0")
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := c.Minors(context.Background(), "r0")
	assert.ErrorContains(t, err, "no minor printed")
	_, err = c.Minors(context.Background(), "r0")
	assert.ErrorContains(t, err, `"x" is not a minor`)
}
