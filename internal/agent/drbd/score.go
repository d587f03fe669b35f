package drbd

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
)

// Scores are the four promotion scores of adjust_master_score, in
// ocf:linbit:drbd's order, with its defaults and its meanings, so that a
// cluster switching agents keeps the placement it had.
type Scores struct {
	Consistent  int // every local disk Consistent, none known UpToDate (linbit: only_consistent)
	Remote      int // a local disk not UpToDate, but a peer has every disk UpToDate (only_remote)
	PeerUnknown int // UpToDate Secondary, some peer's disk unknown (local_ok)
	Best        int // UpToDate and Primary, or UpToDate with every peer disk known (as_good_as_it_gets)
}

// DefaultScores is linbit's adjust_master_score default since 2017,
// "0 10 1000 10000": Consistent data alone is not promoted.
var DefaultScores = Scores{0, 10, 1000, 10000}

// ParseScores reads adjust_master_score as linbit does: four non-negative
// integers, non-decreasing.
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
		if i > 0 && x < n[i-1] {
			return Scores{}, fmt.Errorf("adjust_master_score: %d after %d: the scores must not decrease", x, n[i-1])
		}
		n[i] = x
	}
	return Scores{n[0], n[1], n[2], n[3]}, nil
}

// Verdict is what the promotion score should become.
type Verdict struct {
	Score int
	// Keep leaves the score as it is: a disk that is attaching or
	// negotiating is in no state to judge.
	Keep bool
}

// Remove reports whether the score is to be deleted: linbit's
// set_master_score deletes for any score of 0 or less, so that Pacemaker
// never promotes such a node.
func (v Verdict) Remove() bool { return !v.Keep && v.Score <= 0 }

// Judge is ocf:linbit:drbd's drbd_update_master_score (scripts/drbd.ocf)
// over the state drbd.shellfuncs.sh gathers, for every volume of the
// resource and every peer:
//
//   - no quorum on any volume (DRBD 9): no score;
//   - peerPrimaryRemoves (remove_master_score_if_peer_primary) and a
//     Secondary connected to a Primary peer that has every disk UpToDate:
//     no score;
//   - an intentionally diskless client: Best-1 when Primary with a peer
//     that has every disk UpToDate, or when every peer has; PeerUnknown-1
//     when one has; otherwise no score;
//   - every local disk UpToDate: Best when Primary; PeerUnknown when some
//     peer's disk is unknown; Best when every peer disk is known;
//   - some peer with every disk UpToDate: Remote (this node reads through
//     it: Outdated, Inconsistent, Diskless after a detach);
//   - a disk Attaching or Negotiating: keep the score;
//   - every local disk Consistent: Consistent;
//   - otherwise no score.
//
// Peers that are diskless clients on every volume are ignored, as linbit
// does. Where linbit's two readers disagree on odd disk states (DUnknown,
// Detaching as a local disk), a disk that is neither UpToDate, Consistent nor
// transitional counts as unusable.
func (s Scores) Judge(vols []drbdproc.Device, peerPrimaryRemoves bool) Verdict {
	if len(vols) == 0 {
		return Verdict{}
	}
	var (
		primary, somePeerPrimary                    bool
		allUpToDate, allConsistent, transitional    = true, true, false
		clients                                     int
		quorate                                     = true
		somePeerAll, somePeerNotAll, anyPeerUnknown bool
	)
	type peerCount struct{ upToDate, known, client int }
	peers := map[int]*peerCount{}
	var order []int
	for _, d := range vols {
		primary = primary || d.Role == "Primary"
		quorate = quorate && !d.NoQuorum
		if d.Client && d.Disk == "Diskless" {
			clients++
		} else {
			switch d.Disk {
			case "UpToDate":
			case "Consistent":
				allUpToDate = false
			case "Attaching", "Negotiating":
				allUpToDate, transitional = false, true
			default:
				allUpToDate, allConsistent = false, false
			}
		}
		for _, p := range d.PeerList() {
			somePeerPrimary = somePeerPrimary || p.Role == "Primary"
			c, ok := peers[p.NodeID]
			if !ok {
				c = &peerCount{}
				peers[p.NodeID] = c
				order = append(order, p.NodeID)
			}
			if p.Client {
				c.client++
			}
			switch p.Disk {
			case "UpToDate":
				c.upToDate++
				c.known++
			case "DUnknown", "":
			default:
				c.known++
			}
		}
	}
	n := len(vols)
	for _, id := range order {
		c := peers[id]
		switch {
		case c.client == n:
			continue
		case c.upToDate == n:
			somePeerAll = true
		default:
			somePeerNotAll = true
		}
		if c.known != n {
			anyPeerUnknown = true
		}
	}
	peersAllUpToDate := somePeerAll && !somePeerNotAll

	switch {
	case !quorate:
		return Verdict{}
	case peerPrimaryRemoves && !primary && somePeerPrimary && somePeerAll:
		return Verdict{}
	case clients == n:
		switch {
		case primary && somePeerAll, peersAllUpToDate:
			return Verdict{Score: s.Best - 1}
		case somePeerAll:
			return Verdict{Score: s.PeerUnknown - 1}
		}
		return Verdict{}
	case allUpToDate:
		if !primary && anyPeerUnknown {
			return Verdict{Score: s.PeerUnknown}
		}
		return Verdict{Score: s.Best}
	case somePeerAll:
		return Verdict{Score: s.Remote}
	case transitional:
		return Verdict{Keep: true}
	case allConsistent:
		return Verdict{Score: s.Consistent}
	}
	return Verdict{}
}
