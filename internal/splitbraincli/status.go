package splitbraincli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
	"github.com/ocf-mfs/ocf-mfs/internal/splitbrain/marker"
)

// Exit statuses of status, for monitoring scripts.
const (
	StatusHealthy    = 0 // every device Connected, UpToDate/UpToDate
	StatusError      = 1 // the state could not be read
	StatusDegraded   = 2 // some device degraded, syncing or not connected
	StatusSplitBrain = 3 // some device in a split brain, suspected or confirmed
)

// Split-brain verdicts of one device.
const (
	SplitNone      = "none"
	SplitSuspected = "suspected" // StandAlone: a split brain, or someone disconnected it
	SplitConfirmed = "confirmed" // StandAlone, and DRBD reported a split brain
)

// StatusDeps is what status needs from the system; tests replace it all.
type StatusDeps struct {
	// Read returns the live state (drbdproc.Source): /proc/drbd on 8.4,
	// drbdsetup on 9.
	Read func(ctx context.Context) (*drbdproc.Status, error)
	// Names maps minors to resources through drbdadm; nil or failing means
	// unnamed, since naming must never stop a report.
	Names func(ctx context.Context) (map[int]string, error)
	// Markers holds what the split-brain handler recorded.
	Markers *marker.Store
	// Kernel returns the minors the kernel log reports in an unresolved split
	// brain; nil when the log cannot be read.
	Kernel   func() map[int]bool
	Stdin    io.Reader
	Terminal func() bool // colours for problems when stdout is a terminal
}

// DeviceReport is one device in `status --json`. The field names are a
// documented interface (README): add, never rename.
type DeviceReport struct {
	Minor      int         `json:"minor"`
	Resource   string      `json:"resource"`
	CState     string      `json:"cs"`
	Role       string      `json:"role"`
	PeerRole   string      `json:"peer_role"`
	Disk       string      `json:"disk"`
	PeerDisk   string      `json:"peer_disk"`
	Protocol   string      `json:"protocol"`
	OOSKiB     uint64      `json:"oos_kib"`
	Sync       *SyncReport `json:"sync"`
	SplitBrain string      `json:"split_brain"`
	// Peers lists every peer of the device: one on DRBD 8, every
	// connection on DRBD 9. cs, peer_role and peer_disk above describe the
	// first that needs attention, else the first.
	Peers []PeerReport `json:"peers"`

	healthy bool // drbdproc's Healthy, for the text report
}

// PeerReport is one peer of one device in `status --json`.
type PeerReport struct {
	NodeID      int    `json:"node_id"`     // DRBD 9 peer-node-id; -1 on DRBD 8
	Name        string `json:"name"`        // DRBD 9 connection name; "" on DRBD 8
	CState      string `json:"cs"`          // connection state
	Replication string `json:"replication"` // DRBD 9 replication state; "" on DRBD 8
	Role        string `json:"role"`
	Disk        string `json:"disk"`
	OOSKiB      uint64 `json:"oos_kib"` // out of sync with this peer
}

// SyncReport is the progress of a resync or online verify.
type SyncReport struct {
	Percent   float64 `json:"percent"`
	DoneKiB   uint64  `json:"done_kib"`
	TotalKiB  uint64  `json:"total_kib"`
	FinishS   int64   `json:"finish_s"`
	SpeedKiBs uint64  `json:"speed_kib_s"`
}

// Report is the whole of `status --json`.
type Report struct {
	Version  string         `json:"version"`
	API      int            `json:"api"`
	ProtoMin int            `json:"proto_min"`
	ProtoMax int            `json:"proto_max"`
	Devices  []DeviceReport `json:"devices"`
}

const statusHelp = `One line per DRBD device: minor, resource, connection state, roles, disk
states, out-of-sync amount and resync progress. --proc-drbd reads a saved copy
of /proc/drbd (or - for stdin) instead of the live state; resource names then
stay unknown, since this node's drbd.conf may not be the one that wrote it.

split_brain is "suspected" for a StandAlone device (DRBD drops there on a
split brain, and also when someone disconnects it), and "confirmed" when the
kernel log or the split-brain handler recorded a split brain since the
resource last connected. A Primary waiting for a peer that is Unknown is
degraded, not split: one node cannot tell that from a peer that is down.

Exit status: 0 all healthy, 1 error, 2 some device degraded, syncing or not
connected, 3 some split brain suspected or confirmed.`

// StatusCommand is `drbd-splitbrain [--proc-drbd PATH] status [RESOURCE...] [--json]`.
func StatusCommand(d StatusDeps) *cli.Command {
	return &cli.Command{
		Name:         "status",
		Usage:        "show DRBD devices and whether they are in a split brain",
		ArgsUsage:    "[RESOURCE...]",
		Description:  statusHelp,
		Flags:        []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print the documented JSON report"}, procDrbdFlag()},
		OnUsageError: usageError,
		Action:       func(c *cli.Context) error { return runStatus(c, d) },
	}
}

func runStatus(c *cli.Context, d StatusDeps) error {
	st, live, err := readStatus(c, d)
	if err != nil {
		return cli.Exit("error: "+err.Error(), StatusError)
	}
	if live && d.Names != nil {
		if names, err := d.Names(c.Context); err == nil {
			st.Name(names)
		}
	}
	devs, err := selectDevices(st.Devices, c.Args().Slice())
	if err != nil {
		return cli.Exit("error: "+err.Error(), StatusError)
	}
	var kernel map[int]bool
	if live && d.Kernel != nil {
		kernel = d.Kernel()
	}
	rep := Report{Version: st.Version, API: st.API, ProtoMin: st.ProtoMin, ProtoMax: st.ProtoMax, Devices: []DeviceReport{}}
	code := StatusHealthy
	for _, dev := range devs {
		r := deviceReport(dev)
		if !dev.Configured() {
			if len(c.Args().Slice()) > 0 {
				code = max(code, StatusDegraded)
			}
			rep.Devices = append(rep.Devices, r)
			continue
		}
		r.SplitBrain = splitVerdict(dev, live, kernel, d.Markers)
		switch {
		case r.SplitBrain != SplitNone:
			code = StatusSplitBrain
		case !dev.Healthy():
			code = max(code, StatusDegraded)
		}
		rep.Devices = append(rep.Devices, r)
	}
	w := c.App.Writer
	if c.Bool("json") {
		enc := json.NewEncoder(w)
		if err := enc.Encode(rep); err != nil {
			return cli.Exit("error: "+err.Error(), StatusError)
		}
	} else {
		printStatus(w, rep, d.Terminal != nil && d.Terminal())
	}
	if code != StatusHealthy {
		return cli.Exit("", code)
	}
	return nil
}

// readStatus reads --proc-drbd when given (a saved copy or stdin), else the
// live state; live reports whether names and evidence from this node apply.
func readStatus(c *cli.Context, d StatusDeps) (*drbdproc.Status, bool, error) {
	// The flag after `status` wins over the one before it.
	path := drbdproc.DefaultPath
	for _, cc := range c.Lineage() {
		if cc.IsSet("proc-drbd") {
			path = cc.String("proc-drbd")
			break
		}
	}
	switch {
	case path == "" || path == drbdproc.DefaultPath:
		st, err := d.Read(c.Context)
		if errors.Is(err, os.ErrNotExist) {
			return nil, true, fmt.Errorf("%s is missing: the DRBD module is not loaded", drbdproc.DefaultPath)
		}
		return st, true, err
	case path == "-":
		return parseSaved("stdin", d.Stdin)
	default:
		f, err := os.Open(path)
		if err != nil {
			return nil, false, err
		}
		defer f.Close()
		return parseSaved(path, f)
	}
}

// parseSaved reads a saved /proc/drbd, which holds the whole state only up
// to DRBD 8.4.
func parseSaved(name string, r io.Reader) (*drbdproc.Status, bool, error) {
	st, err := drbdproc.Parse(r)
	if err == nil {
		err = st.DevicesKnown()
	}
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", name, err)
	}
	return st, false, nil
}

func selectDevices(devs []drbdproc.Device, want []string) ([]drbdproc.Device, error) {
	if len(want) == 0 {
		return devs, nil
	}
	var out []drbdproc.Device
	for _, res := range want {
		found := false
		for _, d := range devs {
			if d.Resource == res {
				out = append(out, d)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("resource %q not found (is it up, and is it in drbd.conf?)", res)
		}
	}
	return out, nil
}

func deviceReport(d drbdproc.Device) DeviceReport {
	r := DeviceReport{Minor: d.Minor, Resource: d.Resource, CState: d.CState, Role: d.Role, PeerRole: d.PeerRole,
		Disk: d.Disk, PeerDisk: d.PeerDisk, Protocol: d.Protocol, OOSKiB: d.Counters.OOS, SplitBrain: SplitNone,
		Peers: []PeerReport{}, healthy: d.Healthy()}
	// On DRBD 9 the first peer may be fine while another is StandAlone:
	// the one-line summary shows the one that needs attention.
	if p, ok := d.Attention(); ok {
		r.CState, r.PeerRole, r.PeerDisk = p.CState, p.Role, p.Disk
	}
	for _, p := range d.PeerList() {
		r.Peers = append(r.Peers, PeerReport{NodeID: p.NodeID, Name: p.Name, CState: p.CState, Replication: p.Replication,
			Role: p.Role, Disk: p.Disk, OOSKiB: p.OOS})
	}
	if s := d.Sync; s != nil {
		r.Sync = &SyncReport{Percent: s.Percent, DoneKiB: s.DoneKiB(), TotalKiB: s.TotalKiB,
			FinishS: int64(s.Finish.Seconds()), SpeedKiBs: s.SpeedKiBs}
	}
	return r
}

// splitVerdict decides none, suspected or confirmed. It only reads: status
// is a monitoring command and must not change what it observes. Markers are
// cleared by resolve and by the after-resync-target handler, once a resync
// ended the split brain.
func splitVerdict(d drbdproc.Device, live bool, kernel map[int]bool, m *marker.Store) string {
	standAlone := false
	for _, p := range d.PeerList() {
		standAlone = standAlone || p.CState == "StandAlone"
	}
	if !standAlone {
		return SplitNone
	}
	if kernel[d.Minor] {
		return SplitConfirmed
	}
	if live && m != nil && d.Resource != "" {
		if mk, err := m.Load(d.Resource); err == nil && mk != nil {
			return SplitConfirmed
		}
	}
	return SplitSuspected
}

func printStatus(w io.Writer, rep Report, colour bool) {
	if len(rep.Devices) == 0 {
		fmt.Fprintf(w, "DRBD %s: no devices\n", rep.Version)
		return
	}
	for _, r := range rep.Devices {
		name := r.Resource
		if name == "" {
			name = "-"
		}
		if r.CState == "Unconfigured" {
			fmt.Fprintf(w, "%3d %-12s Unconfigured\n", r.Minor, name)
			continue
		}
		line := fmt.Sprintf("%3d %-12s %-13s %s/%s %s/%s", r.Minor, name, r.CState, r.Role, r.PeerRole, r.Disk, r.PeerDisk)
		if r.OOSKiB > 0 {
			line += fmt.Sprintf(" oos:%s", kib(r.OOSKiB))
		}
		if s := r.Sync; s != nil {
			line += fmt.Sprintf(" %.1f%% (%s of %s, %d KiB/s, %s left)", s.Percent, kib(s.DoneKiB), kib(s.TotalKiB), s.SpeedKiBs, clock(s.FinishS))
		}
		problem := ""
		switch {
		case r.SplitBrain == SplitConfirmed:
			problem = "SPLIT BRAIN (confirmed): resolve with drbd-splitbrain resolve " + name
		case r.SplitBrain == SplitSuspected:
			problem = "split brain suspected (StandAlone)"
		case !r.healthy:
			problem = "degraded"
		}
		if problem != "" {
			line += "  " + problem
			if colour {
				code := "33" // yellow
				if r.SplitBrain != SplitNone {
					code = "1;31" // bold red
				}
				line = "\x1b[" + code + "m" + line + "\x1b[0m"
			}
		}
		fmt.Fprintln(w, line)
		// DRBD 9: one line per peer, so that a StandAlone peer shows
		// beside a Connected one.
		if len(r.Peers) > 1 || len(r.Peers) == 1 && r.Peers[0].NodeID >= 0 {
			for _, p := range r.Peers {
				pl := fmt.Sprintf("      peer %s (%d): %s %s/%s", p.Name, p.NodeID, p.CState, p.Role, p.Disk)
				if p.OOSKiB > 0 {
					pl += " oos:" + kib(p.OOSKiB)
				}
				fmt.Fprintln(w, pl)
			}
		}
	}
}

func kib(n uint64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d KiB", n)
}

func clock(s int64) string { return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60) }
