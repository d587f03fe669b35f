package drbdproc

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// ParseEvents2 reads `drbdsetup events2 --now` (DRBD 9, and drbd-utils 9
// against an 8.4 kernel), because DRBD 9's /proc/drbd carries only the
// version. It returns one Device per volume, sorted by minor, each with
// every peer in Peers, in the order the connections are listed. A peer's
// connection state uses DRBD 8 words where they mean the same: a Connected
// connection whose replication is Established reads "Connected", one that
// is resyncing reads as its replication state (SyncSource...), and any
// other connection state is kept as DRBD 9 names it (StandAlone,
// Connecting...). A resource with no connection at all is StandAlone.
//
// CState, PeerRole and PeerDisk of a Device describe its first peer, as
// /proc/drbd would for ocf-mfs's two-node resources; Counters.OOS is the
// most that is out of sync with any peer (out-of-sync:, printed with
// --statistics), so that a device out of sync with any peer is not
// Healthy.
//
// Outcomes: devices, or an error wrapping ErrFileParse that names the line
// when a line is not "<verb> <object> key:value...", a connection has no
// connection state, a device no disk state or no minor in range, or an
// out-of-sync amount is not a number.
func ParseEvents2(r io.Reader) ([]Device, error) {
	type conn struct {
		id                     int
		name, cstate, peerRole string
	}
	type peerDev struct {
		repl, peerDisk string
		client         bool
		oos            uint64
	}
	roles := map[string]string{}
	conns := map[string][]conn{}  // by resource, in listed order
	peers := map[string]peerDev{} // by resource/volume/peer-node-id
	var devs []Device

	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		f := strings.Fields(sc.Text())
		if len(f) == 0 || (len(f) == 2 && f[1] == "-") {
			continue // "exists -" ends the initial dump
		}
		if len(f) < 2 {
			return nil, fmt.Errorf("%w: events2 line %d %q", ErrFileParse, n, clip(sc.Text()))
		}
		kv := map[string]string{}
		for _, p := range f[2:] {
			k, v, ok := strings.Cut(p, ":")
			if !ok {
				return nil, fmt.Errorf("%w: events2 line %d %q: %q is not key:value", ErrFileParse, n, clip(sc.Text()), p)
			}
			kv[k] = v
		}
		res, vol, peer := kv["name"], kv["volume"], kv["peer-node-id"]
		if f[0] == "destroy" {
			continue
		}
		switch f[1] {
		case "resource":
			roles[res] = kv["role"]
		case "connection":
			if kv["connection"] == "" {
				return nil, fmt.Errorf("%w: events2 line %d %q: connection without its state", ErrFileParse, n, clip(sc.Text()))
			}
			id, err := strconv.Atoi(peer)
			if err != nil {
				id = -1
			}
			seen := false
			for _, c := range conns[res] {
				seen = seen || c.id == id
			}
			if !seen {
				conns[res] = append(conns[res], conn{id: id, name: kv["conn-name"], cstate: kv["connection"], peerRole: kv["role"]})
			}
		case "device":
			minor, err := strconv.Atoi(kv["minor"])
			if err != nil || minor < 0 || minor > maxMinor {
				return nil, fmt.Errorf("%w: events2 line %d: minor %q", ErrFileParse, n, kv["minor"])
			}
			if kv["disk"] == "" {
				return nil, fmt.Errorf("%w: events2 line %d %q: device without its disk state", ErrFileParse, n, clip(sc.Text()))
			}
			v, _ := strconv.Atoi(vol)
			devs = append(devs, Device{Minor: minor, Resource: res, Volume: v, Disk: kv["disk"],
				Client: kv["client"] == "yes", NoQuorum: kv["quorum"] == "no"})
		case "peer-device":
			key := res + "/" + vol + "/" + peer
			if _, seen := peers[key]; !seen {
				pd := peerDev{repl: kv["replication"], peerDisk: kv["peer-disk"], client: kv["peer-client"] == "yes"}
				if v, ok := kv["out-of-sync"]; ok {
					oos, err := strconv.ParseUint(v, 10, 64)
					if err != nil {
						return nil, fmt.Errorf("%w: events2 line %d: out-of-sync %q", ErrFileParse, n, v)
					}
					pd.oos = oos
				}
				peers[key] = pd
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFileParse, err)
	}
	for i := range devs {
		d := &devs[i]
		d.Role = roles[d.Resource]
		for _, c := range conns[d.Resource] {
			id := ""
			if c.id >= 0 {
				id = strconv.Itoa(c.id)
			}
			pd := peers[d.Resource+"/"+strconv.Itoa(d.Volume)+"/"+id]
			p := Peer{NodeID: c.id, Name: c.name, CState: c.cstate, Replication: pd.repl, Role: c.peerRole, Disk: pd.peerDisk, Client: pd.client, OOS: pd.oos}
			d.Counters.OOS = max(d.Counters.OOS, pd.oos)
			if c.cstate == "Connected" && pd.repl != "" && pd.repl != "Established" {
				p.CState = pd.repl
			}
			if p.Disk == "" {
				p.Disk = "DUnknown"
			}
			d.Peers = append(d.Peers, p)
		}
		if len(d.Peers) == 0 {
			d.CState, d.PeerRole, d.PeerDisk = "StandAlone", "Unknown", "DUnknown"
			continue
		}
		d.CState, d.PeerRole, d.PeerDisk = d.Peers[0].CState, d.Peers[0].Role, d.Peers[0].Disk
	}
	sort.SliceStable(devs, func(a, b int) bool { return devs[a].Minor < devs[b].Minor })
	return devs, nil
}
