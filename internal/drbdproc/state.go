package drbdproc

import (
	"context"
	"strings"
)

// This file is DRBD's state vocabulary: what ocf-mfs means by configured,
// connected, connecting, resyncing and healthy. The resource agent, the
// split-brain planner, the handlers and `drbd-splitbrain status` all ask
// these questions, and asking them here keeps their answers the same.

// Reader reads the state of every DRBD device on this node. *Source is the
// implementation for DRBD 8.x (/proc/drbd) and DRBD 9 (drbdsetup events2).
type Reader interface {
	Read(ctx context.Context) (*Status, error)
}

// Peer is one peer of one volume: the connection to that peer node and the
// peer's disk. /proc/drbd of DRBD 8 knows exactly one peer per minor; DRBD 9
// may have several (meshes), each listed.
type Peer struct {
	NodeID      int    // DRBD 9 peer-node-id; -1 when unknown (DRBD 8)
	Name        string // DRBD 9 conn-name, "" when not printed
	CState      string // connection state, in the words of Device.CState
	Replication string // DRBD 9 replication state (Established, SyncSource...); "" on DRBD 8
	Role        string // the peer's role
	Disk        string // the peer's disk state
	Client      bool   // DRBD 9 "peer-client:yes": the peer is intentionally diskless
	// OOS is what is out of sync with this peer, KiB: events2's
	// "out-of-sync:", which drbdsetup prints with --statistics and only
	// when not zero; on DRBD 8 Device.Counters.OOS.
	OOS uint64
}

// Resource is one DRBD resource: its volumes, each a Device with its minor.
type Resource struct {
	Name    string
	Volumes []Device // in minor order
}

// Configured reports whether the device is up in the kernel at all.
func (d Device) Configured() bool { return d.CState != "" && d.CState != "Unconfigured" }

// Connected reports whether the device talks to every peer: Connected, or
// resyncing, verifying, or exchanging bitmaps and UUIDs, or Ahead/Behind. A
// split brain, if there was one, is then over. A configured DRBD 9 device
// without any peer is not connected.
func (d Device) Connected() bool {
	peers := d.PeerList()
	for _, p := range peers {
		if !p.Connected() {
			return false
		}
	}
	return len(peers) > 0
}

// Connected reports whether this node talks to the peer (see
// Device.Connected).
func (p Peer) Connected() bool { return connectedState(p.CState) }

func connectedState(cs string) bool {
	return cs == "Connected" || resyncingState(cs) || strings.HasPrefix(cs, "WFSync") || cs == "Ahead" || cs == "Behind"
}

// Resyncing reports whether a resync or an online verify runs or is being
// set up: a recovery is already under way.
func (d Device) Resyncing() bool {
	for _, p := range d.PeerList() {
		if resyncingState(p.CState) {
			return true
		}
	}
	return false
}

func resyncingState(cs string) bool {
	return strings.HasPrefix(cs, "Sync") || strings.HasPrefix(cs, "PausedSync") ||
		strings.HasPrefix(cs, "Verify") || strings.HasPrefix(cs, "WFBitMap") ||
		cs == "WFSyncUUID" || cs == "StartingSyncS" || cs == "StartingSyncT"
}

// connecting are the connection states in which DRBD is still trying to
// reach its peer (DRBD 8 and DRBD 9 words).
var connecting = map[string]bool{
	"WFConnection": true, "Unconnected": true, "WFReportParams": true, "Connecting": true,
	"NetworkFailure": true, "BrokenPipe": true, "Timeout": true, "ProtocolError": true,
	"TearDown": true, "Disconnecting": true,
}

// Connecting reports whether DRBD is still trying to reach the peer (not
// StandAlone, not connected).
func (d Device) Connecting() bool { return connecting[d.CState] }

// Healthy reports whether the device is Connected to every peer, with its
// own disk and every peer's UpToDate (an intentionally diskless DRBD 9
// client counts as such) and no block known out of sync with any peer:
// nothing to wait for, nothing to recover. One peer in a good state says
// nothing of another: a DRBD 9 peer left StandAlone keeps diverging. An
// online verify that finds differences leaves the disks UpToDate and counts
// them in oos; they stay different until a disconnect and connect resyncs
// them.
func (d Device) Healthy() bool {
	peers := d.PeerList()
	if len(peers) == 0 || d.Counters.OOS != 0 || !upToDate(d.Disk, d.Client) {
		return false
	}
	for _, p := range peers {
		if !p.healthy() {
			return false
		}
	}
	return true
}

func (p Peer) healthy() bool {
	return p.CState == "Connected" && upToDate(p.Disk, p.Client) && p.OOS == 0
}

func upToDate(disk string, client bool) bool {
	return disk == "UpToDate" || client && disk == "Diskless"
}

// Attention returns the peer an operator should look at: the first that
// is not Connected, UpToDate and in sync, else the first; ok is false when
// the device has no peer.
func (d Device) Attention() (p Peer, ok bool) {
	peers := d.PeerList()
	if len(peers) == 0 {
		return Peer{}, false
	}
	for _, p := range peers {
		if !p.healthy() {
			return p, true
		}
	}
	return peers[0], true
}

// PeerList returns every peer of the device. For DRBD 8, whose /proc/drbd
// knows one peer, it is the one described by CState, PeerRole and PeerDisk;
// an unconfigured device has none.
func (d Device) PeerList() []Peer {
	if len(d.Peers) > 0 || !d.Configured() {
		return d.Peers
	}
	return []Peer{{NodeID: -1, CState: d.CState, Role: d.PeerRole, Disk: d.PeerDisk, OOS: d.Counters.OOS}}
}

// Resources groups the devices by resource, in the order of their first
// minor. Devices whose resource is unknown (DRBD 8 without names) are left
// out.
func (s *Status) Resources() []Resource {
	var out []Resource
	at := map[string]int{}
	for _, d := range s.Devices {
		if d.Resource == "" {
			continue
		}
		i, ok := at[d.Resource]
		if !ok {
			i = len(out)
			at[d.Resource] = i
			out = append(out, Resource{Name: d.Resource})
		}
		out[i].Volumes = append(out[i].Volumes, d)
	}
	return out
}

// Volume returns volume vol of resource res, when the state names it (DRBD
// 9, or DRBD 8 after Name).
func (s *Status) Volume(res string, vol int) (Device, bool) {
	for _, d := range s.Devices {
		if d.Resource == res && d.Volume == vol {
			return d, true
		}
	}
	return Device{}, false
}

// Name fills in the resource of every unnamed device from names (minor to
// resource, as drbdadm reports them); /proc/drbd of DRBD 8 knows only
// minors.
func (s *Status) Name(names map[int]string) {
	for i := range s.Devices {
		if s.Devices[i].Resource == "" {
			s.Devices[i].Resource = names[s.Devices[i].Minor]
		}
	}
}

// DeviceOf reads the state through r and returns the device of minor.
//
// Outcomes: the device; a device with CState "Unconfigured" when the minor is
// not listed (the resource is down); the read error.
func DeviceOf(ctx context.Context, r Reader, minor int) (Device, error) {
	st, err := r.Read(ctx)
	if err != nil {
		return Device{}, err
	}
	if d, ok := st.Device(minor); ok {
		return d, nil
	}
	return Device{Minor: minor, CState: "Unconfigured"}, nil
}
