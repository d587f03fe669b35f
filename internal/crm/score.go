package crm

import (
	"context"
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
//
// From Pacemaker 2.1 the score is written with crm_attribute --promotion;
// before, it is the node attribute master-<instance>, which crm_master sets
// by running `crm_attribute -n master-$OCF_RESOURCE_INSTANCE` with its own
// options (tools/crm_master in 1.1.18, tools/crm_master.in in 2.0.5): the
// Scorer runs that crm_attribute itself, without the shell wrapper.
type Scorer struct {
	Runner runner.Runner
	// Resource is the resource instance (OCF_RESOURCE_INSTANCE);
	// crm_attribute strips the clone suffix itself.
	Resource string
	Log      *logging.Logger
	// Dialect selects --promotion (DialectPromoted) or master-<instance>
	// (DialectLegacy). DialectUnknown tries --promotion first and settles
	// on master-<instance> when crm_attribute refuses the option.
	Dialect Dialect
}

func (s *Scorer) argv(extra ...string) (string, []string) {
	if s.Dialect == DialectLegacy {
		return "crm_attribute", append([]string{"-n", "master-" + s.Resource, "-l", "reboot"}, extra...)
	}
	return "crm_attribute", append([]string{"--promotion=" + s.Resource, "-l", "reboot"}, extra...)
}

// refusedPromotion tells a crm_attribute without --promotion: getopt's
// "unrecognized option" with the help, exit 1 on 1.1 (crm_help('?', 1)) and
// exit 64, CRM_EX_USAGE, on 2.0.
func refusedPromotion(res runner.Result) bool {
	return (res.ExitCode == 1 || res.ExitCode == 64) && strings.Contains(res.Stderr, "unrecognized option")
}

func (s *Scorer) run(ctx context.Context, extra ...string) (runner.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, ScoreTimeout)
	defer cancel()
	name, args := s.argv(extra...)
	res, err := s.Runner.Run(ctx, name, args...)
	if s.Dialect == DialectUnknown && err == nil && refusedPromotion(res) {
		s.Dialect = DialectLegacy
		name, args = s.argv(extra...)
		res, err = s.Runner.Run(ctx, name, args...)
	} else if s.Dialect == DialectUnknown && err == nil {
		s.Dialect = DialectPromoted
	}
	return res, err
}

// notSet tells crm_attribute's answer to -G of a missing attribute:
// CRM_EX_NOSUCH (105) from 2.0, and on 1.1 -ENXIO made positive by crm_exit
// (6, "No such device or address"), which 2.0 and later would mean
// otherwise.
func (s *Scorer) notSet(res runner.Result) bool {
	if res.ExitCode == exitNoSuchObject {
		return true
	}
	return s.Dialect == DialectLegacy && res.ExitCode == 6 && strings.Contains(res.Stderr, "No such device or address")
}

// Get returns the current score; ok is false when none is set.
func (s *Scorer) Get(ctx context.Context) (score int, ok bool, err error) {
	res, err := s.run(ctx, "-G", "-q")
	if err != nil {
		return 0, false, fmt.Errorf("query promotion score: %w", err)
	}
	if s.notSet(res) {
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
	if err == nil && res.ExitCode != 0 && !s.notSet(res) {
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
