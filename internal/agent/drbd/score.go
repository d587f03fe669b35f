package drbd

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
)

// Scores are the four promotion scores of adjust_master_score, in
// ocf:linbit:drbd's order and with its defaults, so that a cluster switching
// agents keeps the placement it had.
type Scores struct {
	Consistent  int // Consistent data, not known to be UpToDate
	PeerUnknown int // UpToDate, but the peer's disk is unknown (not connected)
	PeerKnown   int // UpToDate and Secondary, the peer's disk known
	Primary     int // UpToDate and Primary
}

// DefaultScores is adjust_master_score's default, "5 10 1000 10000".
var DefaultScores = Scores{5, 10, 1000, 10000}

// ParseScores reads adjust_master_score: four non-negative integers.
func ParseScores(v string) (Scores, error) {
	f := strings.Fields(v)
	if len(f) != 4 {
		return Scores{}, fmt.Errorf("adjust_master_score needs four numbers, got %q", v)
	}
	var n [4]int
	for i, s := range f {
		x, err := strconv.Atoi(s)
		if err != nil || x < 0 {
			return Scores{}, fmt.Errorf("adjust_master_score: %q is not a non-negative integer", s)
		}
		n[i] = x
	}
	return Scores{n[0], n[1], n[2], n[3]}, nil
}

// Score is the promotion score a device deserves; ok is false when it
// deserves none at all (Outdated, Inconsistent, Diskless, Failed...), in
// which case the score is removed so that Pacemaker never promotes it.
//
// Knowing the peer's disk matters: an UpToDate node that cannot see its peer
// may be the one that was left behind, so it scores far below one whose peer
// is connected or known to be Outdated.
func (s Scores) Score(d drbdproc.Device) (score int, ok bool) {
	switch {
	case d.Disk == "UpToDate" && d.Role == "Primary":
		return s.Primary, true
	case d.Disk == "UpToDate" && peerDiskKnown(d):
		return s.PeerKnown, true
	case d.Disk == "UpToDate":
		return s.PeerUnknown, true
	case d.Disk == "Consistent":
		return s.Consistent, true
	}
	return 0, false
}

func peerDiskKnown(d drbdproc.Device) bool {
	return d.PeerDisk != "" && d.PeerDisk != "DUnknown"
}
