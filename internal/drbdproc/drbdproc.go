// Package drbdproc reads DRBD's state: /proc/drbd as DRBD 8.0 to 8.4 write
// it, `drbdsetup status --json` for DRBD 9, and `drbdadm show-gi` generation
// identifiers. Every DRBD decision ocf-mfs makes (promotion scores,
// split-brain detection, choosing a recovery victim) rests on this model, so
// the parsers are pure functions over io.Reader, tested on real captures.
package drbdproc

import (
	"errors"
	"time"
)

// ErrFileParse is wrapped by every error about input that cannot be
// understood; the error text names the offending line.
var ErrFileParse = errors.New("error parsing DRBD state")

// Status is the state of every DRBD device on this node.
type Status struct {
	Version    string // "8.4.11"
	API        int    // 1
	ProtoMin   int    // 86
	ProtoMax   int    // 101
	GitHash    string // from the GIT-hash: line, when present
	SrcVersion string // from the srcversion: line, when present
	Devices    []Device
}

// Device is one minor. Field values use DRBD's own words ("Connected",
// "Primary", "UpToDate") so that they read the same as drbdadm's output.
type Device struct {
	Minor    int
	Resource string // "" when unknown: /proc/drbd knows only minors
	Volume   int    // DRBD 9 volume number; 0 for DRBD 8

	CState   string // cs: Connected, StandAlone, WFConnection, SyncSource, Unconfigured...
	Role     string // local role: Primary, Secondary, Unknown
	PeerRole string
	Disk     string // local disk state: UpToDate, Outdated, Inconsistent, Diskless, DUnknown...
	PeerDisk string
	Protocol string // replication protocol "A", "B" or "C"; "" when StandAlone
	Flags    string // the I/O state flags, e.g. "r-----"

	// Peers lists every peer of this volume (DRBD 9 events2). CState,
	// PeerRole and PeerDisk above describe the first one, as DRBD 8 has
	// only one; PeerList also answers for DRBD 8.
	Peers []Peer

	// Client is a DRBD 9 intentionally diskless volume ("client:yes"),
	// which reads and writes through its peers.
	Client bool
	// NoQuorum is DRBD 9's "quorum:no": the volume has lost quorum. DRBD 8
	// has no quorum, so its zero value means "has quorum".
	NoQuorum bool

	Counters Counters
	Sync     *Sync // non-nil while a resync or online verify runs
}

// Counters are the statistics line of a minor. Sizes are in KiB.
type Counters struct {
	NS, NR, DW, DR uint64 // network send/receive, disk write/read (KiB)
	AL, BM         uint64 // activity log and bitmap updates
	LO, PE, UA, AP uint64 // pending requests of several kinds
	EP             uint64 // epochs
	WO             string // write ordering method: b, f, d or n
	OOS            uint64 // out of sync (KiB)
	// Extra keeps counters this package does not know, by name, so that a
	// newer kernel's additions are not lost.
	Extra map[string]string
}

// Sync is the progress of a resync or an online verify.
type Sync struct {
	Verify       bool    // true for an online verify, false for a resync
	Percent      float64 // as printed, e.g. 12.3
	RemainingKiB uint64  // R in "(R/T)K": still out of sync
	TotalKiB     uint64  // T in "(R/T)K"
	Finish       time.Duration
	SpeedKiBs    uint64 // current speed, KiB/s
	AvgKiBs      uint64 // average speed, KiB/s, when printed
	WantKiBs     uint64 // the configured target rate, KiB/s, when printed
}

// DoneKiB is what the resync has already transferred: T - R.
func (s *Sync) DoneKiB() uint64 {
	if s.RemainingKiB > s.TotalKiB {
		return 0
	}
	return s.TotalKiB - s.RemainingKiB
}

// GI holds DRBD's generation identifiers for one device, as printed by
// `drbdadm show-gi` and `drbdadm get-gi`
// (915E68BA5531743B:2914EEF9414634CD:5C0A7DF97A6F97B7:0000000000000004:1:1:1:0:0:0:0).
// Comparing them between nodes tells which side has changes the other lacks.
type GI struct {
	Current  string
	Bitmap   string
	History1 string
	History2 string
	// Flags in get-gi order: consistent, was-UpToDate, primary-ind,
	// connected-ind, peer-out-dated, crashed-primary, al-clean... as
	// printed; kept as raw 0/1 digits so nothing is lost.
	Flags []int
}
