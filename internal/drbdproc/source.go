package drbdproc

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// DefaultPath is where the kernel publishes DRBD's state.
const DefaultPath = "/proc/drbd"

// Source is the Reader of the live state. On DRBD 8 it reads /proc/drbd and
// forks nothing, which keeps a 10-second monitor cheap; on DRBD 9, whose
// /proc/drbd carries only the version, it makes one `drbdsetup events2
// --now` call through Runner.
type Source struct {
	Path      string        // DefaultPath when empty
	Runner    runner.Runner // needed only on DRBD 9
	Drbdsetup string        // "drbdsetup" when empty
	// NoFork reads /proc/drbd only, never drbdsetup: DRBD's handlers may
	// run inside a kernel callback of a drbdsetup command, where netlink
	// would deadlock. On DRBD 9 the state then lists no device.
	NoFork bool
	// Statistics asks drbdsetup for `--statistics` too: only then does
	// events2 print what is out of sync with each peer, which a health
	// verdict needs and a promotion score does not.
	Statistics bool
}

var _ Reader = (*Source)(nil)

// Read returns the state of every device.
//
// Outcomes: the Status; an error wrapping os.ErrNotExist when /proc/drbd is
// absent (the module is not loaded); a parse error wrapping ErrFileParse and
// naming the file; a command error from drbdsetup on DRBD 9; on DRBD 9 with
// NoFork, the version and no devices.
func (s *Source) Read(ctx context.Context) (*Status, error) {
	path := s.Path
	if path == "" {
		path = DefaultPath
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if st.Major() < 9 || s.NoFork {
		return st, nil
	}
	if s.Runner == nil {
		return nil, fmt.Errorf("DRBD %s keeps device state out of %s, and no runner is set for drbdsetup", st.Version, path)
	}
	bin := s.Drbdsetup
	if bin == "" {
		bin = "drbdsetup"
	}
	args := []string{"events2", "--now"}
	if s.Statistics {
		args = append(args, "--statistics")
	}
	res, err := runner.Check(ctx, s.Runner, bin, args...)
	if err != nil {
		return nil, err
	}
	st.Devices, err = ParseEvents2(strings.NewReader(res.Stdout))
	if err != nil {
		return nil, fmt.Errorf("drbdsetup %s: %w", strings.Join(args, " "), err)
	}
	return st, nil
}
