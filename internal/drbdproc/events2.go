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
// version. It returns one Device per volume, sorted by minor, with the
// connection state in DRBD 8 words where they mean the same: a Connected
// connection whose replication is Established reads "Connected", one that
// is resyncing reads as its replication state (SyncSource...), and any
// other connection state is kept as DRBD 9 names it (StandAlone,
// Connecting...). A resource with no connection at all is StandAlone.
//
// With several peers (DRBD 9 meshes) the first connection wins; ocf-mfs
// runs two-node resources.
//
// Outcomes: devices, or an error wrapping ErrFileParse that names the line
// when a line is not "<verb> <object> key:value...".
func ParseEvents2(r io.Reader) ([]Device, error) {
	type conn struct{ cstate, peerRole string }
	type peerDev struct{ repl, peerDisk string }
	roles := map[string]string{}
	conns := map[string]conn{}
	peers := map[string]peerDev{} // by resource/volume
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
		res, vol := kv["name"], kv["volume"]
		if f[0] == "destroy" {
			continue
		}
		switch f[1] {
		case "resource":
			roles[res] = kv["role"]
		case "connection":
			if _, seen := conns[res]; !seen {
				conns[res] = conn{cstate: kv["connection"], peerRole: kv["role"]}
			}
		case "device":
			minor, err := strconv.Atoi(kv["minor"])
			if err != nil {
				return nil, fmt.Errorf("%w: events2 line %d: minor %q", ErrFileParse, n, kv["minor"])
			}
			v, _ := strconv.Atoi(vol)
			devs = append(devs, Device{Minor: minor, Resource: res, Volume: v, Disk: kv["disk"]})
		case "peer-device":
			key := res + "/" + vol
			if _, seen := peers[key]; !seen {
				peers[key] = peerDev{repl: kv["replication"], peerDisk: kv["peer-disk"]}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFileParse, err)
	}
	for i := range devs {
		d := &devs[i]
		d.Role = roles[d.Resource]
		c, ok := conns[d.Resource]
		if !ok {
			d.CState, d.PeerRole, d.PeerDisk = "StandAlone", "Unknown", "DUnknown"
			continue
		}
		d.CState, d.PeerRole = c.cstate, c.peerRole
		p := peers[d.Resource+"/"+strconv.Itoa(d.Volume)]
		d.PeerDisk = p.peerDisk
		if c.cstate == "Connected" && p.repl != "" && p.repl != "Established" {
			d.CState = p.repl
		}
		if d.PeerDisk == "" {
			d.PeerDisk = "DUnknown"
		}
	}
	sort.SliceStable(devs, func(a, b int) bool { return devs[a].Minor < devs[b].Minor })
	return devs, nil
}
