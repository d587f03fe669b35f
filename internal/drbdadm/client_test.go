package drbdadm

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

func TestClientVerbsIssueExactArgv(t *testing.T) {
	f := &runner.Fake{}
	for _, argv := range []string{
		"drbdadm -c /etc/drbd.conf up r0", "drbdadm -c /etc/drbd.conf down r0",
		"drbdadm -c /etc/drbd.conf adjust r0", "drbdadm -c /etc/drbd.conf primary r0",
		"drbdadm -c /etc/drbd.conf primary --force r0", "drbdadm -c /etc/drbd.conf secondary r0",
		"drbdadm -c /etc/drbd.conf connect r0", "drbdadm -c /etc/drbd.conf connect --discard-my-data r0",
	} {
		f.On(argv, runner.OK(""))
	}
	c := &Client{Runner: f, Config: "/etc/drbd.conf"}
	ctx := context.Background()
	require.NoError(t, c.Up(ctx, "r0"))
	require.NoError(t, c.Down(ctx, "r0"))
	require.NoError(t, c.Adjust(ctx, "r0"))
	require.NoError(t, c.Primary(ctx, "r0", false))
	require.NoError(t, c.Primary(ctx, "r0", true))
	require.NoError(t, c.Secondary(ctx, "r0"))
	require.NoError(t, c.Connect(ctx, "r0", false))
	require.NoError(t, c.Connect(ctx, "r0", true))
	assert.Len(t, f.Calls(), 8)
}

func TestDisconnectOnStandAloneIsSuccess(t *testing.T) {
	f := (&runner.Fake{}).On("drbdadm disconnect r0",
		runner.Exit(10, "r0: unknown connection\nCommand 'drbdsetup-84 disconnect ipv4:169.254.77.2:7789 ipv4:169.254.77.1:7789' terminated with exit code 10\n"))
	assert.NoError(t, (&Client{Runner: f}).Disconnect(context.Background(), "r0"))
}

func TestSecondaryWhileOpenFails(t *testing.T) {
	f := (&runner.Fake{}).On("drbdadm secondary r0",
		runner.Exit(11, "0: State change failed: (-12) Device is held open by someone\nCommand 'drbdsetup-84 secondary 0' terminated with exit code 11\n"))
	err := (&Client{Runner: f}).Secondary(context.Background(), "r0")
	var ce *runner.CommandError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, 11, ce.Result.ExitCode)
	assert.Contains(t, ce.Result.Stderr, "held open")
}

func TestMinorNames(t *testing.T) {
	f := (&runner.Fake{}).On("drbdadm -c /etc/x.conf sh-resources", runner.OK("r0 data\ngone\n")).
		On("drbdadm -c /etc/x.conf sh-minor r0", runner.OK("0\n")).
		On("drbdadm -c /etc/x.conf sh-minor data", runner.OK("3\n4\n")).
		On("drbdadm -c /etc/x.conf sh-minor gone", runner.Exit(10, "no resource"))
	m, err := (&Client{Runner: f, Config: "/etc/x.conf"}).MinorNames(context.Background())
	require.NoError(t, err)
	assert.Equal(t, map[int]string{0: "r0", 3: "data", 4: "data"}, m)

	f = (&runner.Fake{}).On("drbdadm sh-resources", runner.Exit(1, "no config"))
	_, err = (&Client{Runner: f}).MinorNames(context.Background())
	assert.Error(t, err)
}
