package crm

import (
	"bytes"
	"context"
	"testing"

	"github.com/ocf-mfs/ocf-mfs/internal/logging"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

const (
	getScore = "crm_attribute --promotion=p_drbd_r0:0 -l reboot -G -q"
	noSuch   = "crm_attribute: Error performing operation: No such device or address\n"
)

func newScorer(f *runner.Fake) (*Scorer, *bytes.Buffer) {
	var log bytes.Buffer
	return &Scorer{Runner: f, Resource: "p_drbd_r0:0", Log: logging.NewTestLogger("t", &log)}, &log
}

func TestScorerWritesOnlyOnChange(t *testing.T) {
	f := (&runner.Fake{}).On(getScore, runner.OK("10000\n"))
	s, _ := newScorer(f)
	wrote, err := s.Set(context.Background(), 10000)
	require.NoError(t, err)
	assert.False(t, wrote)
	assert.Equal(t, []string{getScore}, f.Calls(), "an unchanged score must not touch the CIB")
}

func TestScorerWritesNewAndChangedScores(t *testing.T) {
	f := (&runner.Fake{}).
		On(getScore, runner.Exit(105, noSuch), runner.OK("100\n")).
		On("crm_attribute --promotion=p_drbd_r0:0 -l reboot -v 100", runner.OK("")).
		On("crm_attribute --promotion=p_drbd_r0:0 -l reboot -v 10000", runner.OK(""))
	s, log := newScorer(f)
	wrote, err := s.Set(context.Background(), 100)
	require.NoError(t, err)
	assert.True(t, wrote)
	wrote, err = s.Set(context.Background(), 10000)
	require.NoError(t, err)
	assert.True(t, wrote)
	assert.Equal(t, []string{getScore, "crm_attribute --promotion=p_drbd_r0:0 -l reboot -v 100",
		getScore, "crm_attribute --promotion=p_drbd_r0:0 -l reboot -v 10000"}, f.Calls())
	assert.Contains(t, log.String(), "promotion score 100 -> 10000")
}

func TestScorerDelete(t *testing.T) {
	f := (&runner.Fake{}).On(getScore, runner.Exit(105, noSuch))
	s, _ := newScorer(f)
	require.NoError(t, s.Delete(context.Background()))
	assert.Equal(t, []string{getScore}, f.Calls(), "deleting an absent score is a no-op")

	f = (&runner.Fake{}).On(getScore, runner.OK("5\n")).On("crm_attribute --promotion=p_drbd_r0:0 -l reboot -D", runner.OK(""))
	s, _ = newScorer(f)
	require.NoError(t, s.Delete(context.Background()))
	assert.Len(t, f.Calls(), 2)
}

func TestScorerErrors(t *testing.T) {
	f := (&runner.Fake{}).On(getScore, runner.Exit(102, "Could not connect to the CIB: Transport endpoint is not connected\n"))
	s, _ := newScorer(f)
	_, err := s.Set(context.Background(), 1)
	assert.ErrorContains(t, err, "exit status 102: Could not connect to the CIB")

	f = (&runner.Fake{}).On(getScore, runner.OK("banana\n"))
	s, _ = newScorer(f)
	_, _, err = s.Get(context.Background())
	assert.ErrorContains(t, err, `promotion score "banana"`)

	f = (&runner.Fake{}).On(getScore, runner.OK("INFINITY\n"))
	s, _ = newScorer(f)
	n, ok, err := s.Get(context.Background())
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, 1000000, n)
}

func TestScorerFallsBackWhenCrmAttributeIsMissing(t *testing.T) {
	f := (&runner.Fake{}).
		On(getScore, runner.Answer{Result: runner.Result{ExitCode: -1}, Err: runner.ErrNotFound})
	s, _ := newScorer(f)
	_, err := s.Set(context.Background(), 5)
	assert.ErrorIs(t, err, runner.ErrNotFound, "without crm_attribute there is no Pacemaker to score for")
}
