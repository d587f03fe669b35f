package contract

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestExitCodeValuesMatchOCF11(t *testing.T) {
	want := map[ExitCode]int{
		Success: 0, ErrGeneric: 1, ErrArgs: 2, ErrUnimplemented: 3, ErrPerm: 4, ErrInstalled: 5,
		ErrConfigured: 6, NotRunning: 7, RunningPromoted: 8, FailedPromoted: 9, Degraded: 190, DegradedPromoted: 191,
	}
	for c, v := range want {
		assert.Equal(t, v, int(c), c.String())
	}
	assert.Equal(t, "OCF_NOT_RUNNING", NotRunning.String())
	assert.Equal(t, "OCF exit code 42", ExitCode(42).String())
}

func TestCodeOf(t *testing.T) {
	base := errors.New("disk gone")
	cases := []struct {
		name string
		err  error
		want ExitCode
	}{
		{"nil", nil, Success},
		{"plain error is generic", base, ErrGeneric},
		{"ocf error", Errorf(ErrConfigured, "bad"), ErrConfigured},
		{"wrapped ocf error", fmt.Errorf("start: %w", Errorf(ErrInstalled, "no mfsmaster")), ErrInstalled},
		{"outermost code wins", Errorf(ErrArgs, "outer: %w", Errorf(ErrConfigured, "inner")), ErrArgs},
		{"not running", &Error{Code: NotRunning}, NotRunning},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { assert.Equal(t, c.want, CodeOf(c.err)) })
	}
}

func TestErrorfWrapsCause(t *testing.T) {
	cause := errors.New("permission denied")
	err := Errorf(ErrPerm, "open lock: %w", cause)
	assert.ErrorIs(t, err, cause)
	assert.Equal(t, "open lock: permission denied", err.Error())
	assert.Equal(t, "OCF_ERR_GENERIC", (&Error{Code: ErrGeneric}).Error())
}
