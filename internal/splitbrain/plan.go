// Package splitbrain decides and carries out the recovery of a DRBD split
// brain, in three phases: a pure planner (Decide) turns observed facts into
// either a Refusal or a Plan, Commit runs the plan's drbdadm commands, and
// Verify waits until the resource is Connected and UpToDate/UpToDate.
//
// Resolver strings the phases into the use case `drbd-splitbrain resolve`
// runs (lock, gather, decide, back up, commit, peer, verify, clear the
// marker). Keeping the decision pure means every rule below is a table
// test, and an operator sees exactly what will run before anything changes.
package splitbrain

import (
	"fmt"
	"strings"

	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
)

// Choice is what the operator asked for.
type Choice int

// The operator's choices: decide automatically, or name this node's role.
const (
	Auto Choice = iota
	DiscardLocal
	KeepLocal
)

// Role is this node's part in the recovery.
type Role string

// Roles in a recovery.
const (
	Victim   Role = "victim"   // its changes since the split are discarded
	Survivor Role = "survivor" // its data is kept and resynced to the victim
)

// Usage tells whether anything holds the DRBD device. Any entry means a
// `drbdadm secondary` would fail ("Device is held open by someone") and,
// worse, that a service is reading data about to be replaced.
type Usage struct {
	Mounts  []string // mount points of the device, from /proc/mounts
	Holders []string // kernel holders (device-mapper, md), from /sys/block/drbdN/holders
	PIDs    []int    // processes with the device open, from /proc/PID/fd
}

// InUse reports whether anything holds the device.
func (u Usage) InUse() bool { return len(u.Mounts)+len(u.Holders)+len(u.PIDs) > 0 }

func (u Usage) String() string {
	var parts []string
	if len(u.Mounts) > 0 {
		parts = append(parts, "mounted on "+strings.Join(u.Mounts, ", "))
	}
	if len(u.Holders) > 0 {
		parts = append(parts, "held by "+strings.Join(u.Holders, ", "))
	}
	if len(u.PIDs) > 0 {
		parts = append(parts, fmt.Sprintf("open by pid %v", u.PIDs))
	}
	if len(parts) == 0 {
		return "not in use"
	}
	return strings.Join(parts, "; ")
}

// Cluster is Pacemaker's view of the resource.
type Cluster struct {
	Present  bool   // a Pacemaker cluster answered
	Resource string // the promotable clone managing this DRBD resource, "" when none
	Promoted string // the one node running the promoted instance; "" when none or several
	// PromotedOn lists every node running a promoted instance, sorted; two
	// right after a partition heals, and then Pacemaker tells nothing.
	PromotedOn []string
}

// promotedOn reports whether Pacemaker runs a promoted instance on node.
func (c Cluster) promotedOn(node string) bool {
	for _, n := range c.PromotedOn {
		if n == node {
			return true
		}
	}
	return c.Promoted != "" && c.Promoted == node
}

// promotedElsewhere returns a node other than node that runs a promoted
// instance, "" when none.
func (c Cluster) promotedElsewhere(node string) string {
	for _, n := range c.PromotedOn {
		if n != node {
			return n
		}
	}
	if c.Promoted != node {
		return c.Promoted
	}
	return ""
}

// ambiguous reports whether Pacemaker promotes the clone on several nodes.
func (c Cluster) ambiguous() bool { return len(c.PromotedOn) > 1 }

// Facts is everything the planner looks at.
type Facts struct {
	Resource string
	Node     string // this node's name, as Pacemaker knows it (uname -n)
	// Device is the first volume; GI its generation identifiers, nil when
	// get-gi failed.
	Device drbdproc.Device
	GI     *drbdproc.GI
	// Volumes lists every volume of the resource in drbdadm's order, the
	// first being Device; nil means Device alone. GIs holds their
	// generation identifiers in the same order, nil when unknown.
	// `drbdadm connect --discard-my-data` discards all of them.
	Volumes []drbdproc.Device
	GIs     []*drbdproc.GI
	Usage   Usage // of every volume's device
	Cluster Cluster
}

// volumes returns every volume of the resource.
func (f Facts) volumes() []drbdproc.Device {
	if len(f.Volumes) > 0 {
		return f.Volumes
	}
	return []drbdproc.Device{f.Device}
}

// gis returns the generation identifiers of every volume, nil when those of
// any volume are unknown.
func (f Facts) gis() []*drbdproc.GI {
	if len(f.GIs) > 0 {
		if len(f.GIs) != len(f.volumes()) {
			return nil
		}
		for _, g := range f.GIs {
			if g == nil {
				return nil
			}
		}
		return f.GIs
	}
	if f.GI != nil && len(f.volumes()) == 1 {
		return []*drbdproc.GI{f.GI}
	}
	return nil
}

// oos is what every volume has out of sync, KiB: what this node changed
// since the split, or what the peer did.
func (f Facts) oos() uint64 {
	var n uint64
	for _, v := range f.volumes() {
		n += v.Counters.OOS
	}
	return n
}

// Options are the operator's flags that change a decision.
type Options struct {
	Choice Choice
	Force  bool
}

// Command is one drbdadm invocation of a plan.
type Command struct {
	Verb string // disconnect, secondary, connect, connect-discard
	Argv []string
	// OKCodes are non-zero exit codes that are expected; disconnect on a
	// StandAlone device exits 10.
	OKCodes []int
}

func (c Command) String() string { return strings.Join(c.Argv, " ") }

// Plan is a decided recovery for this node.
type Plan struct {
	Facts    Facts
	Role     Role
	Reason   string    // why this role
	Commands []Command // empty for a survivor already in WFConnection: only the wait
	Warnings []string  // what will be lost or what may go wrong
	// PeerArgs is the drbd-splitbrain invocation the peer must run.
	PeerArgs []string
}

// Refusal is a decision not to act. Nothing has been changed.
type Refusal struct {
	Facts  Facts
	Reason string
}

func (r *Refusal) Error() string { return "refused: " + r.Reason }

// Connection states in which a split brain can be resolved: the resource
// is up, not connected, and not in the middle of trying to connect
// (Connecting is DRBD 9's WFConnection).
var resolvable = map[string]bool{"StandAlone": true, "WFConnection": true, "Connecting": true}

// Decide chooses this node's role and the commands of the recovery, or
// refuses. Every volume of the resource counts: `drbdadm connect
// --discard-my-data` discards them all. Outcomes:
//   - *Refusal when a volume is not up, connected, syncing or in a
//     transient state, or the volumes disagree; when the resource has more
//     than one peer (DRBD 9: drbdadm would act on every connection); when
//     the role is ambiguous; when the victim's devices are in use or it
//     runs the promoted instance (unless Force); when a survivor's disk is
//     not UpToDate on every volume, its generation identifiers show no
//     change since the split on any volume, or Pacemaker promotes the peer
//     (unless Force).
//   - *Plan otherwise, with warnings saying what will be lost.
func Decide(f Facts, o Options) (*Plan, *Refusal) {
	refuse := func(format string, a ...any) (*Plan, *Refusal) {
		return nil, &Refusal{Facts: f, Reason: fmt.Sprintf(format, a...)}
	}
	d := f.Device
	vols := f.volumes()
	if r := checkStates(f); r != nil {
		return nil, r
	}

	role, why, r := chooseRole(f, o)
	if r != nil {
		return nil, r
	}
	p := &Plan{Facts: f, Role: role, Reason: why}
	res := f.Resource
	if role == Victim {
		for _, v := range vols {
			if v.Disk == "Diskless" {
				return refuse("%s is Diskless on this node: nothing to discard; attach the disk first", volumeName(f, v))
			}
		}
		promotedHere := f.Cluster.promotedOn(f.Node)
		if f.Usage.InUse() && !o.Force {
			return refuse("the device of %s is %s: stop the service and unmount before discarding (or --force)", res, f.Usage)
		}
		if promotedHere && !o.Force {
			return refuse("Pacemaker runs the promoted instance of %s on this node (%s): this looks like the survivor; use --keep-local, or --force to discard anyway", f.Cluster.Resource, f.Node)
		}
		p.Warnings = append(p.Warnings, lossWarning(f))
		if f.Usage.InUse() {
			p.Warnings = append(p.Warnings, fmt.Sprintf("the device is %s: drbdadm secondary fails until it is released, and its users lose what they wrote", f.Usage))
		}
		if promotedHere {
			p.Warnings = append(p.Warnings, fmt.Sprintf("Pacemaker promoted %s here: it will see the demotion as a failure; the data it served since the split is discarded", f.Cluster.Resource))
		}
		p.Commands = append(p.Commands, Command{Verb: "disconnect", Argv: []string{"drbdadm", "disconnect", res}, OKCodes: []int{10}})
		if d.Role == "Primary" {
			p.Commands = append(p.Commands, Command{Verb: "secondary", Argv: []string{"drbdadm", "secondary", res}})
		}
		p.Commands = append(p.Commands, Command{Verb: "connect-discard", Argv: []string{"drbdadm", "connect", "--discard-my-data", res}})
		p.PeerArgs = []string{"drbd-splitbrain", "resolve", "--keep-local", "--yes", res}
		return p, nil
	}

	var stale []string
	for _, v := range vols {
		switch {
		case v.Disk == "UpToDate":
		case len(vols) == 1:
			stale = append(stale, v.Disk)
		default:
			stale = append(stale, fmt.Sprintf("%s on volume %d", v.Disk, v.Volume))
		}
	}
	if len(stale) > 0 && !o.Force {
		return refuse("this node's disk is %s, not UpToDate: keeping it would resync stale data to the peer (--force to keep it anyway)", strings.Join(stale, ", "))
	}
	unchanged := noChangesSinceSplit(f)
	if unchanged && !o.Force {
		return refuse("this node has no changes since the split (bitmap UUID %s, oos:0): keeping it throws away whatever the peer wrote since; keep the peer's data instead (--discard-local here), or --force to keep this node's", f.gis()[0].Bitmap)
	}
	if unchanged {
		p.Warnings = append(p.Warnings, "this node has no changes since the split: the peer's writes since then are discarded")
	}
	if other := f.Cluster.promotedElsewhere(f.Node); other != "" && !o.Force {
		return refuse("Pacemaker runs the promoted instance of %s on %s, not here: that node looks like the survivor (--force to keep this node's data anyway)", f.Cluster.Resource, other)
	}
	if len(stale) > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("this node's disk is %s: the peer will be overwritten with it", strings.Join(stale, ", ")))
	}
	if other := f.Cluster.promotedElsewhere(f.Node); other != "" {
		p.Warnings = append(p.Warnings, fmt.Sprintf("Pacemaker promotes %s on %s: its writes since the split will be discarded when it becomes the victim", f.Cluster.Resource, other))
	}
	if d.CState == "StandAlone" {
		p.Commands = append(p.Commands, Command{Verb: "connect", Argv: []string{"drbdadm", "connect", res}})
	}
	p.Warnings = append(p.Warnings, "the peer's changes since the split will be discarded when it connects as the victim")
	p.PeerArgs = []string{"drbd-splitbrain", "resolve", "--discard-local", "--yes", res}
	return p, nil
}

// checkStates refuses unless every volume is up, split from its one peer
// and in the same resolvable state: DRBD keeps one connection state per
// resource (per peer on DRBD 9), so volumes that differ are in transition.
func checkStates(f Facts) *Refusal {
	refuse := func(format string, a ...any) *Refusal {
		return &Refusal{Facts: f, Reason: fmt.Sprintf(format, a...)}
	}
	vols := f.volumes()
	healthy := 0
	for _, v := range vols {
		if v.Healthy() {
			healthy++
		}
	}
	if healthy == len(vols) {
		return refuse("resource %s is Connected and UpToDate/UpToDate: there is no split brain to resolve", f.Resource)
	}
	for _, v := range vols {
		name, cs := volumeName(f, v), v.CState
		switch {
		case !v.Configured():
			return refuse("%s is not up on this node", name)
		case len(v.PeerList()) > 1:
			// drbdadm disconnect and connect --discard-my-data without a
			// peer act on every connection: a victim would discard its
			// data towards peers that hold nothing newer.
			var peers []string
			for _, p := range v.PeerList() {
				peers = append(peers, fmt.Sprintf("%s %s", p.Name, p.CState))
			}
			return refuse("resource %s has %d peers (%s): resolve handles a resource with one peer; resolve each split connection by hand (drbdadm disconnect %s:PEER; drbdadm connect --discard-my-data %s:PEER on its victim)",
				f.Resource, len(peers), strings.Join(peers, ", "), f.Resource, f.Resource)
		case v.Healthy():
			return refuse("%s is Connected and UpToDate/UpToDate while another volume is not: wait for it to settle", name)
		case cs == "Connected":
			return refuse("%s is Connected (%s/%s): no split brain; wait for it to settle", name, v.Disk, v.PeerDisk)
		case v.Resyncing():
			return refuse("%s is resynchronising (%s): a recovery is already under way", name, cs)
		case !resolvable[cs]:
			return refuse("%s is in the transient state %s; retry when it is StandAlone or WFConnection", name, cs)
		case cs != vols[0].CState:
			return refuse("%s is %s but %s is %s: wait for the volumes to agree", name, cs, volumeName(f, vols[0]), vols[0].CState)
		}
	}
	return nil
}

// volumeName names a volume for an operator: the resource alone when it
// has one volume.
func volumeName(f Facts, v drbdproc.Device) string {
	if len(f.volumes()) == 1 {
		return "resource " + f.Resource
	}
	return fmt.Sprintf("volume %d (minor %d) of %s", v.Volume, v.Minor, f.Resource)
}

func chooseRole(f Facts, o Options) (Role, string, *Refusal) {
	switch o.Choice {
	case DiscardLocal:
		return Victim, "--discard-local", nil
	case KeepLocal:
		return Survivor, "--keep-local", nil
	}
	d := f.Device
	c := f.Cluster
	if c.ambiguous() {
		return "", "", &Refusal{Facts: f, Reason: fmt.Sprintf("Pacemaker has %s promoted on more than one node (%s), as right after a partition heals: it does not tell which holds the good data; choose --keep-local or --discard-local",
			c.Resource, strings.Join(c.PromotedOn, ", "))}
	}
	if c.Promoted != "" && c.Promoted == f.Node {
		if d.Role == "Primary" {
			return Survivor, fmt.Sprintf("Pacemaker promotes %s on this node (%s) and it is Primary", c.Resource, f.Node), nil
		}
		return "", "", &Refusal{Facts: f, Reason: fmt.Sprintf("Pacemaker promotes %s on this node but DRBD is %s here: ambiguous; choose --keep-local or --discard-local", c.Resource, d.Role)}
	}
	noChanges := f.oos() == 0
	if c.Promoted != "" && (d.Role == "Secondary" || noChanges) {
		what := "Secondary"
		if d.Role != "Secondary" {
			what = "without changes since the split (oos:0)"
		}
		return Victim, fmt.Sprintf("this node is %s while Pacemaker promotes %s on %s", what, c.Resource, c.Promoted), nil
	}
	var why string
	switch {
	case !c.Present:
		why = "no Pacemaker cluster answered, so nothing tells which node holds the good data"
	case c.Resource == "":
		why = "Pacemaker manages no promotable clone for this resource"
	case c.Promoted == "":
		why = fmt.Sprintf("Pacemaker promotes %s nowhere", c.Resource)
	default:
		why = fmt.Sprintf("this node is %s with %d KiB changed since the split while Pacemaker promotes %s on %s", d.Role, f.oos(), c.Resource, c.Promoted)
	}
	return "", "", &Refusal{Facts: f, Reason: "cannot choose a role: " + why + "; choose --discard-local (this node's changes are lost) or --keep-local"}
}

// noChangesSinceSplit reads the generation identifiers: a node that loses
// its peer while Primary starts a new data generation, and its old current
// UUID becomes the bitmap UUID; a bitmap UUID of zero and nothing out of
// sync mean this node wrote nothing since the split. Unknown identifiers
// (get-gi failed) say nothing.
//
// Every volume must show no change: one changed volume is enough for this
// node to hold writes the peer lacks.
func noChangesSinceSplit(f Facts) bool {
	gis := f.gis()
	if gis == nil || f.oos() != 0 {
		return false
	}
	for _, g := range gis {
		if g.Empty() || strings.Trim(g.Bitmap, "0") != "" {
			return false
		}
	}
	return true
}

func lossWarning(f Facts) string {
	vols := ""
	if n := len(f.volumes()); n > 1 {
		vols = fmt.Sprintf(" on all %d volumes", n)
	}
	return fmt.Sprintf("this node's writes since the split (%d KiB marked out of sync%s) will be discarded and replaced by the peer's data", f.oos(), vols)
}

// Describe renders the facts for an operator.
func (f Facts) Describe() string {
	var b strings.Builder
	gis := f.gis()
	for i, d := range f.volumes() {
		vol := ""
		if len(f.volumes()) > 1 {
			vol = fmt.Sprintf(" volume %d", d.Volume)
		}
		fmt.Fprintf(&b, "resource %s%s on %s: minor %d cs:%s ro:%s/%s ds:%s/%s oos:%dKiB\n",
			f.Resource, vol, f.Node, d.Minor, d.CState, d.Role, d.PeerRole, d.Disk, d.PeerDisk, d.Counters.OOS)
		if gis != nil {
			g := gis[i]
			fmt.Fprintf(&b, "generation identifiers: current %s bitmap %s history %s:%s\n", g.Current, g.Bitmap, g.History1, g.History2)
		}
	}
	fmt.Fprintf(&b, "device: %s\n", f.Usage)
	switch {
	case !f.Cluster.Present:
		b.WriteString("pacemaker: no cluster\n")
	case f.Cluster.Resource == "":
		b.WriteString("pacemaker: no promotable clone for this resource\n")
	case f.Cluster.ambiguous():
		fmt.Fprintf(&b, "pacemaker: %s promoted on %s\n", f.Cluster.Resource, strings.Join(f.Cluster.PromotedOn, " and "))
	case f.Cluster.Promoted == "":
		fmt.Fprintf(&b, "pacemaker: %s promoted nowhere\n", f.Cluster.Resource)
	default:
		fmt.Fprintf(&b, "pacemaker: %s promoted on %s\n", f.Cluster.Resource, f.Cluster.Promoted)
	}
	return b.String()
}
