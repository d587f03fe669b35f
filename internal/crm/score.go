package crm

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/logging"

	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// ScoreTimeout bounds each crm_attribute call. A hung attribute daemon must
// not turn a monitor into a timeout (which Pacemaker treats as a failed
// resource), so the score helper gives up on its own well before.
const ScoreTimeout = 10 * time.Second

// Scorer maintains this node's promotion score for a promotable clone: the
// transient node attribute Pacemaker reads to choose where to promote.
//
// Every write goes through the CIB and is replicated to every node, so
// Set reads the current value first and writes only when it differs.
type Scorer struct {
	Runner runner.Runner
	// Resource is the resource instance (OCF_RESOURCE_INSTANCE);
	// crm_attribute strips the clone suffix itself.
	Resource string
	Log      *logging.Logger
	// UseCrmMaster selects the pre-2.1 crm_master tool; it is chosen
	// automatically when crm_attribute lacks --promotion.
	UseCrmMaster bool
}

func (s *Scorer) argv(extra ...string) (string, []string) {
	if s.UseCrmMaster {
		return "crm_master", append([]string{"-l", "reboot"}, extra...)
	}
	return "crm_attribute", append([]string{"--promotion=" + s.Resource, "-l", "reboot"}, extra...)
}

func (s *Scorer) run(ctx context.Context, extra ...string) (runner.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, ScoreTimeout)
	defer cancel()
	name, args := s.argv(extra...)
	res, err := s.Runner.Run(ctx, name, args...)
	if err != nil && errors.Is(err, runner.ErrNotFound) && !s.UseCrmMaster {
		s.UseCrmMaster = true
		name, args = s.argv(extra...)
		res, err = s.Runner.Run(ctx, name, args...)
	}
	return res, err
}

// Get returns the current score; ok is false when none is set.
func (s *Scorer) Get(ctx context.Context) (score int, ok bool, err error) {
	res, err := s.run(ctx, "-G", "-q")
	if err != nil {
		return 0, false, fmt.Errorf("query promotion score: %w", err)
	}
	if res.ExitCode == exitNoSuchObject {
		return 0, false, nil
	}
	if res.ExitCode != 0 {
		name, args := s.argv("-G", "-q")
		return 0, false, runner.NewCommandError(res, name, args...)
	}
	v := strings.TrimSpace(res.Stdout)
	if v == "" {
		return 0, false, nil
	}
	n, err := parseScore(v)
	if err != nil {
		return 0, false, fmt.Errorf("promotion score %q: %w", v, err)
	}
	return n, true, nil
}

// Set makes score the current promotion score, writing only on change.
// It reports whether it wrote.
func (s *Scorer) Set(ctx context.Context, score int) (bool, error) {
	cur, ok, err := s.Get(ctx)
	if err != nil {
		return false, err
	}
	if ok && cur == score {
		return false, nil
	}
	name, args := s.argv("-v", strconv.Itoa(score))
	res, err := s.run(ctx, "-v", strconv.Itoa(score))
	if err == nil && res.ExitCode != 0 {
		err = runner.NewCommandError(res, name, args...)
	}
	if err != nil {
		return false, fmt.Errorf("set promotion score %d: %w", score, err)
	}
	if ok {
		s.Log.Infof("promotion score %d -> %d", cur, score)
	} else {
		s.Log.Infof("promotion score set to %d", score)
	}
	return true, nil
}

// Delete removes the score; deleting an absent score is not an error.
func (s *Scorer) Delete(ctx context.Context) error {
	_, ok, err := s.Get(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return nil
	}
	name, args := s.argv("-D")
	res, err := s.run(ctx, "-D")
	if err == nil && res.ExitCode != 0 && res.ExitCode != exitNoSuchObject {
		err = runner.NewCommandError(res, name, args...)
	}
	if err != nil {
		return fmt.Errorf("delete promotion score: %w", err)
	}
	s.Log.Infof("promotion score removed")
	return nil
}

// parseScore accepts Pacemaker's INFINITY spellings next to integers.
func parseScore(v string) (int, error) {
	switch strings.ToUpper(v) {
	case "INFINITY", "+INFINITY":
		return 1000000, nil
	case "-INFINITY":
		return -1000000, nil
	}
	return strconv.Atoi(v)
}
