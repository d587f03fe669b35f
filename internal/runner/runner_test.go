package runner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExecKeepsStreamsAndExitCodeApart(t *testing.T) {
	res, err := Exec{}.Run(context.Background(), "sh", "-c", "echo out; echo err >&2; exit 10")
	require.NoError(t, err)
	assert.Equal(t, "out\n", res.Stdout)
	assert.Equal(t, "err\n", res.Stderr)
	assert.Equal(t, 10, res.ExitCode)
}

func TestExecSetsCLocale(t *testing.T) {
	res, err := Exec{}.Run(context.Background(), "sh", "-c", "echo $LC_ALL")
	require.NoError(t, err)
	assert.Equal(t, "C\n", res.Stdout)
}

func TestExecMissingProgram(t *testing.T) {
	_, err := Exec{}.Run(context.Background(), "no-such-program-ocf-mfs")
	assert.ErrorIs(t, err, ErrNotFound)
}

// A timed-out command must take its children with it: drbdadm runs drbdsetup,
// and an orphan left holding the device would confuse the next action.
func TestExecKillsProcessGroupOnDeadline(t *testing.T) {
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "child.pid")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Exec{KillGrace: 200 * time.Millisecond}.Run(ctx, "sh", "-c",
		"trap '' TERM; sleep 30 & echo $! > "+pidfile+"; wait")
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
	assert.Less(t, time.Since(start), 10*time.Second)
	raw, rerr := os.ReadFile(pidfile)
	require.NoError(t, rerr)
	pid := strings.TrimSpace(string(raw))
	// The child is gone or a zombie waiting for init: either way not running.
	require.Eventually(t, func() bool {
		st, err := os.ReadFile("/proc/" + pid + "/stat")
		return err != nil || strings.Contains(string(st), ") Z ")
	}, 5*time.Second, 50*time.Millisecond)
}

func TestCheckWrapsNonZeroExit(t *testing.T) {
	f := (&Fake{}).On("drbdadm secondary r0", Exit(11, "0: State change failed: (-12) Device is held open by someone\nCommand 'drbdsetup-84 secondary 0' terminated with exit code 11\n"))
	_, err := Check(context.Background(), f, "drbdadm", "secondary", "r0")
	var ce *CommandError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, 11, ce.Result.ExitCode)
	assert.Equal(t, "drbdadm secondary r0: exit status 11: Command 'drbdsetup-84 secondary 0' terminated with exit code 11", err.Error())
}

func TestFakeSequencesAndRejectsUnexpected(t *testing.T) {
	f := (&Fake{}).On("drbdadm cstate r0", OK("StandAlone\n"), OK("Connected\n"))
	ctx := context.Background()
	r1, _ := f.Run(ctx, "drbdadm", "cstate", "r0")
	r2, _ := f.Run(ctx, "drbdadm", "cstate", "r0")
	r3, _ := f.Run(ctx, "drbdadm", "cstate", "r0")
	assert.Equal(t, []string{"StandAlone\n", "Connected\n", "Connected\n"}, []string{r1.Stdout, r2.Stdout, r3.Stdout})
	_, err := f.Run(ctx, "drbdadm", "down", "r0")
	assert.ErrorContains(t, err, "unexpected command")
	assert.Equal(t, []string{"drbdadm cstate r0", "drbdadm cstate r0", "drbdadm cstate r0", "drbdadm down r0"}, f.Calls())
}
