package splitbrain

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/logging"

	"github.com/ocf-mfs/ocf-mfs/internal/crm"
	"github.com/ocf-mfs/ocf-mfs/internal/drbdadm"
	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
	"github.com/ocf-mfs/ocf-mfs/internal/splitbrain/marker"
)

// HandlerEnv is what drbdadm exports to a handler (drbd-utils adm_khelper
// and the kernel's helper environment, DRBD 8.3 and later).
type HandlerEnv struct {
	Resource    string // DRBD_RESOURCE
	Minors      []int  // DRBD_MINOR: one minor, or several separated by spaces
	Peer        string // DRBD_PEER (deprecated by drbd-utils, still set)
	Peers       string // DRBD_PEERS: the peer's host names
	PeerAddress string // DRBD_PEER_ADDRESS
	PeerAF      string // DRBD_PEER_AF: ipv4, ipv6...
	Conf        string // DRBD_CONF: the drbd.conf drbdadm read
}

// ErrNoResource is returned when DRBD_RESOURCE is missing: the handler was
// not started by drbdadm.
var ErrNoResource = errors.New("DRBD_RESOURCE is not set (handlers are run by drbdadm)")

// ReadHandlerEnv reads the handler environment through get.
func ReadHandlerEnv(get func(string) (string, bool)) (HandlerEnv, error) {
	v := func(k string) string { s, _ := get(k); return strings.TrimSpace(s) }
	e := HandlerEnv{Resource: v("DRBD_RESOURCE"), Peer: v("DRBD_PEER"), Peers: v("DRBD_PEERS"),
		PeerAddress: v("DRBD_PEER_ADDRESS"), PeerAF: v("DRBD_PEER_AF"), Conf: v("DRBD_CONF")}
	if e.Peer == "" {
		e.Peer = e.Peers
	}
	for _, m := range strings.Fields(v("DRBD_MINOR")) {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 {
			return e, fmt.Errorf("DRBD_MINOR %q: not a minor", v("DRBD_MINOR"))
		}
		e.Minors = append(e.Minors, n)
	}
	if e.Resource == "" {
		return e, ErrNoResource
	}
	if err := drbdadm.CheckResourceName(e.Resource); err != nil {
		return e, fmt.Errorf("DRBD_RESOURCE: %w", err)
	}
	return e, nil
}

// Exit codes of the fence-peer handler, as the DRBD kernel module reads them
// (drbd_nl.c conn_try_outdate_peer). Any other code is "helper broken": the
// kernel changes no state and, with fencing resource-and-stonith, leaves
// I/O frozen. That is the answer that protects data when the handler cannot
// do its job, so it is the one we give (FencePeerFailed), as drbd-utils'
// crm-fence-peer.9.sh does.
const (
	FencePeerFailed       = 1 // could not do the job: the kernel changes nothing
	FencePeerInconsistent = 3 // peer disk Inconsistent or worse: it cannot be promoted
	FencePeerOutdated     = 4 // constraint in place: the peer cannot be promoted
	// FencePeerUnreachable makes the kernel outdate the peer whenever one of
	// our volumes is UpToDate; we answer it only with a constraint placed,
	// or when none of our volumes is UpToDate (then the kernel does nothing).
	FencePeerUnreachable = 5
	FencePeerPrimary     = 6 // the peer fenced us: the kernel outdates our disk
	FencePeerStonithed   = 7 // constraint placed and the peer is cleanly down (fenced)
)

// fenceCodes are the answers the kernel defines, plus FencePeerFailed.
var fenceCodes = map[int]bool{FencePeerFailed: true, FencePeerInconsistent: true, FencePeerOutdated: true,
	FencePeerUnreachable: true, FencePeerPrimary: true, FencePeerStonithed: true}

// diskStates are the disk states DRBD 8.4 and 9 print. A word outside
// this set means we do not understand the state, and a fencing decision
// must not rest on it.
var diskStates = map[string]bool{"Diskless": true, "Attaching": true, "Detaching": true, "Failed": true,
	"Negotiating": true, "Inconsistent": true, "Outdated": true, "DUnknown": true, "Consistent": true, "UpToDate": true}

// DeviceFunc reads the state of one minor from /proc/drbd. Handlers must
// not call drbdsetup: they may run inside a kernel callback of a drbdsetup
// command, and netlink would deadlock.
type DeviceFunc func(ctx context.Context, minor int) (drbdproc.Device, error)

// Handlers are the drbd.conf handlers.
type Handlers struct {
	Env    HandlerEnv
	Node   string // this node's name, uname -n
	CRM    *crm.Client
	Device DeviceFunc
	Runner runner.Runner
	Log    *logging.Logger
	Marker func(marker.Marker) error // records a confirmed split brain (marker.Store.Record)
	// ClearMarker forgets the resource's split-brain marker once a resync
	// made both disks UpToDate (marker.Store.Clear); nil: none.
	ClearMarker func(res string) error
	Notify      string // shell command run on split brain, "" for none
	Now         func() time.Time
	Timeout     time.Duration // bound on each external command
	// Role names the promoted role in the fencing constraint ("Master",
	// "Promoted"); "" takes the name the running Pacemaker reads.
	Role string
	// RetryInterval is the pause between attempts to place the constraint
	// after the CIB reported a concurrent update; 1 s when zero.
	RetryInterval time.Duration
	// Settle is how long the peer must stay online in the CIB, once the
	// constraint is placed, before 4 is answered. DRBD can notice a lost
	// link before corosync does: until corosync's token and consensus
	// timeouts have run out, "online" may be a partitioned peer that will
	// never see our constraint. Zero answers on the first read.
	Settle time.Duration
	// FenceWait bounds the wait for Pacemaker to record a lost peer as
	// fenced (7) before answering 5. Zero does not wait.
	FenceWait time.Duration
	// Poll is the pause between reads of the peer's state; 500 ms when zero.
	Poll time.Duration
}

// ctx bounds one external command: each gets the whole Timeout, so a slow
// first cibadmin cannot starve the one that places the constraint.
func (h *Handlers) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	t := h.Timeout
	if t == 0 {
		t = 20 * time.Second
	}
	return context.WithTimeout(parent, t)
}

// devices reads every minor of the resource (DRBD_MINOR may list several
// volumes). It fails when there is none, when one cannot be read, is not
// configured, or shows a disk state we do not know: a fencing decision
// must see every volume.
func (h *Handlers) devices(parent context.Context) ([]drbdproc.Device, error) {
	if len(h.Env.Minors) == 0 {
		return nil, errors.New("DRBD_MINOR not set: cannot check the disk states")
	}
	var devs []drbdproc.Device
	for _, m := range h.Env.Minors {
		ctx, cancel := h.ctx(parent)
		d, err := h.Device(ctx, m)
		cancel()
		switch {
		case err != nil:
			return nil, fmt.Errorf("read state of minor %d: %w", m, err)
		case !d.Configured():
			return nil, fmt.Errorf("minor %d is not configured (cs:%q)", m, d.CState)
		case !diskStates[d.Disk] || !diskStates[d.PeerDisk]:
			return nil, fmt.Errorf("minor %d: disk states %q/%q not understood", m, d.Disk, d.PeerDisk)
		}
		devs = append(devs, d)
	}
	return devs, nil
}

// Guard runs a fence-peer step and maps every failure, panics included, to
// FencePeerFailed, so that the kernel never gets an answer from the wrong
// class: 1 changes no state, while 5 would outdate the peer with nothing
// placed.
func (h *Handlers) Guard(step func() int) (code int) {
	defer func() {
		if r := recover(); r != nil {
			h.Log.Errorf("fence-peer %s: internal error: %v; exiting %d (no constraint placed)", h.Env.Resource, r, FencePeerFailed)
			code = FencePeerFailed
		}
		if !fenceCodes[code] {
			h.Log.Errorf("fence-peer %s: code %d is not a fence-peer code; exiting %d", h.Env.Resource, code, FencePeerFailed)
			code = FencePeerFailed
		}
	}()
	return step()
}

// FencePeer keeps the promoted role off the peer by placing a location
// constraint for this node only. Outcomes:
//   - 1: it could not do its job (state unreadable or not understood, some
//     but not all volumes UpToDate, no cluster, no quorum, no promotable
//     clone, the constraint rejected, unreadable, or still racing other
//     updates after Timeout): the kernel changes nothing.
//   - 3: every peer disk is Inconsistent or worse (nothing placed).
//   - 4: our constraint is in place, placed now with the peer online in
//     the CIB, or already there.
//   - 5: placed now, with the peer unclean or unknown to the CIB; or none
//     of our volumes is UpToDate: nothing placed, and the kernel outdates
//     nothing either (we must not pin promotion to stale data).
//   - 7: placed now, with the peer cleanly down (fenced) in the CIB.
//   - 6: a constraint with our id keeps the role on the peer instead: the
//     peer fenced us first and is the active Primary.
func (h *Handlers) FencePeer(parent context.Context) int {
	return h.Guard(func() int {
		res := h.Env.Resource
		h.Log.Infof("fence-peer %s: peer %s (%s %s), minors %v", res, h.Env.Peer, h.Env.PeerAF, h.Env.PeerAddress, h.Env.Minors)
		devs, err := h.devices(parent)
		if err != nil {
			h.Log.Errorf("fence-peer %s: %v; no constraint placed, exiting %d", res, err, FencePeerFailed)
			return FencePeerFailed
		}
		upToDate, peerBad := 0, 0
		for _, d := range devs {
			if d.Disk == "UpToDate" {
				upToDate++
			}
			if d.PeerDisk == "Inconsistent" || d.PeerDisk == "Failed" || d.PeerDisk == "Diskless" {
				peerBad++
			}
		}
		switch {
		case peerBad == len(devs):
			h.Log.Infof("fence-peer %s: peer disk is %s: it cannot be promoted; nothing to place", res, devs[0].PeerDisk)
			return FencePeerInconsistent
		case upToDate == 0:
			h.Log.Warnf("fence-peer %s: my disk is %s, not UpToDate: not placing a constraint", res, devs[0].Disk)
			return FencePeerUnreachable
		case upToDate < len(devs):
			// The kernel outdates every volume of the peer on 5 when any of
			// ours is UpToDate; pinning promotion here would keep stale ones.
			h.Log.Errorf("fence-peer %s: only %d of %d volumes are UpToDate here; not placing a constraint, exiting %d", res, upToDate, len(devs), FencePeerFailed)
			return FencePeerFailed
		}
		return h.placeConstraint(parent)
	})
}

// placeConstraint places our constraint and answers 4, 6 (the peer's is
// there) or 1.
func (h *Handlers) placeConstraint(parent context.Context) int {
	res := h.Env.Resource
	fail := func(format string, a ...any) int {
		h.Log.Errorf("fence-peer %s: %s; exiting %d", res, fmt.Sprintf(format, a...), FencePeerFailed)
		return FencePeerFailed
	}
	ctx, cancel := h.ctx(parent)
	p, err := h.CRM.FindPromotable(ctx, res)
	cancel()
	if err != nil {
		return fail("%v; no constraint placed", err)
	}
	if p == nil {
		return fail("no promotable clone of ocf:linbit:drbd or ocf:mfs:drbd has drbd_resource=%s; no constraint placed", res)
	}
	id := crm.FenceID(res, p.ID)
	// One read of the CIB's root gives both the quorum and the dialect. A
	// partition without quorum must not decide where the promoted role
	// may run: crm-fence-peer.9.sh places nothing then and answers 1.
	ctx, cancel = h.ctx(parent)
	root, rerr := h.CRM.CIBRoot(ctx)
	cancel()
	if rerr != nil {
		return fail("cannot read the CIB's quorum: %v; no constraint placed", rerr)
	}
	if !root.Quorum {
		return fail("this partition has no quorum (the CIB's have-quorum is not 1); no constraint placed")
	}
	// Schedulers before 2.1 drop a rule whose role is Promoted, and the
	// constraint would then fence nothing: the role is named as the
	// cluster's feature set says, unless the operator named it.
	role := h.Role
	if role == "" {
		role = root.Dialect.PromotedRole()
	}
	err = h.create(parent, crm.FenceConstraintRole(res, p.ID, h.Node, role))
	if err == nil {
		h.Log.Infof("fence-peer %s: placed constraint %s: %s promoted only on %s", res, id, p.ID, h.Node)
		return h.peerAnswer(parent, p.Primitive)
	}
	if !errors.Is(err, crm.ErrExists) {
		return fail("place constraint %s: %v", id, err)
	}
	ctx, cancel = h.ctx(parent)
	c, qerr := h.CRM.Query(ctx, id)
	cancel()
	switch {
	case qerr != nil:
		return fail("constraint %s exists but cannot be read: %v", id, qerr)
	case c == nil:
		return fail("constraint %s vanished while placing it", id)
	case c.FencesAllBut(h.Node):
		h.Log.Infof("fence-peer %s: constraint %s already in place for %s", res, id, h.Node)
		return FencePeerOutdated
	case c.Node != "" && c.Node != h.Node:
		h.Log.Warnf("fence-peer %s: constraint %s keeps %s promoted on %s: the peer fenced us; outdating myself", res, id, p.ID, c.Node)
		return FencePeerPrimary
	}
	return fail("constraint %s exists with an unexpected shape; leaving it alone", id)
}

// create places the constraint, trying again while the CIB reports that
// another update raced ours, for up to one Timeout in all.
func (h *Handlers) create(parent context.Context, xml string) error {
	interval := h.RetryInterval
	if interval <= 0 {
		interval = time.Second
	}
	t := h.Timeout
	if t == 0 {
		t = 20 * time.Second
	}
	deadline := time.Now().Add(t)
	for {
		ctx, cancel := h.ctx(parent)
		err := h.CRM.Create(ctx, xml)
		cancel()
		if !errors.Is(err, crm.ErrCIBRace) || time.Now().Add(interval).After(deadline) {
			return err
		}
		h.Log.Warnf("fence-peer %s: %v; trying again", h.Env.Resource, err)
		select {
		case <-parent.Done():
			return err
		case <-time.After(interval):
		}
	}
}

// peerAnswer is the answer once our constraint is placed, from what the
// CIB records of the peer: 7 once it is cleanly down (fenced); 4 when it
// stays online for the whole Settle time (a replication link lost, the
// cluster whole: the peer's Pacemaker sees our constraint); 5 when it is
// lost (unclean, unknown, or its state unreadable) and not recorded fenced
// within FenceWait. The constraint protects the data in every case; the
// waits keep the kernel from resuming I/O while a partitioned peer may
// still win the fencing race and promote without our latest writes. An
// online peer whose instance of primitive the CIB records as stopped by
// Pacemaker gets 4 at once: its DRBD went down because the cluster, which
// could still reach it, took it down (a standby, a ban from that node), so
// the disconnect is that stop, not a lost link corosync has yet to notice.
func (h *Handlers) peerAnswer(parent context.Context, primitive string) int {
	res, peer := h.Env.Resource, h.Env.Peer
	if peer == "" {
		h.Log.Warnf("fence-peer %s: DRBD_PEER not set: the peer's state is unknown; exiting %d", res, FencePeerUnreachable)
		return FencePeerUnreachable
	}
	poll := h.Poll
	if poll <= 0 {
		poll = 500 * time.Millisecond
	}
	start := time.Now()
	var lostAt time.Time
	asked := false // whether the CIB was asked if Pacemaker stopped the peer
	for {
		ctx, cancel := h.ctx(parent)
		ns, err := h.CRM.NodeState(ctx, peer)
		cancel()
		var why string
		switch {
		case err != nil:
			why = fmt.Sprintf("state of %s unreadable (%v)", peer, err)
		case ns == nil:
			why = fmt.Sprintf("the CIB has no state for %s", peer)
		case ns.CleanDown():
			h.Log.Infof("fence-peer %s: %s is cleanly down (fenced); exiting %d", res, peer, FencePeerStonithed)
			return FencePeerStonithed
		case ns.Online():
			if !asked && h.Settle > 0 {
				asked = true
				if h.stoppedByPacemaker(parent, peer, primitive) {
					h.Log.Infof("fence-peer %s: Pacemaker stopped %s on %s, which is online: the disconnect is that stop; exiting %d",
						res, primitive, peer, FencePeerOutdated)
					return FencePeerOutdated
				}
			}
			if !lostAt.IsZero() {
				// Back in the membership, unfenced: it sees our constraint
				// once it has stayed for the settle time again.
				lostAt, start = time.Time{}, time.Now()
			}
			if time.Since(start) >= h.Settle {
				h.Log.Infof("fence-peer %s: %s stayed online for %s; exiting %d", res, peer, h.Settle, FencePeerOutdated)
				return FencePeerOutdated
			}
		default:
			why = fmt.Sprintf("%s is unclean (in_ccm=%s crmd=%s expected=%s)", peer, ns.InCCM, ns.Crmd, ns.Expected)
		}
		if why != "" && lostAt.IsZero() {
			lostAt = time.Now()
			if h.FenceWait > 0 {
				h.Log.Warnf("fence-peer %s: %s; waiting up to %s for it to be fenced", res, why, h.FenceWait)
			}
		}
		if !lostAt.IsZero() && time.Since(lostAt) >= h.FenceWait {
			h.Log.Warnf("fence-peer %s: %s and not recorded fenced; exiting %d", res, why, FencePeerUnreachable)
			return FencePeerUnreachable
		}
		select {
		case <-parent.Done():
			h.Log.Errorf("fence-peer %s: %v while waiting for %s's state to settle; exiting %d", res, parent.Err(), peer, FencePeerFailed)
			return FencePeerFailed
		case <-time.After(poll):
		}
	}
}

// UnfencePeer (after-resync-target) removes the fencing constraint once
// this node's and the peer's disks are both UpToDate on every minor, and
// only when the constraint with our id has the shape this package and
// crm-fence-peer.sh place. It returns 0 when removed or when there was
// nothing to remove, and an error when the constraint stays (disks not
// UpToDate, foreign shape, Pacemaker errors). The kernel ignores this
// handler's exit code.
func (h *Handlers) UnfencePeer(parent context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
		if err != nil {
			h.Log.Errorf("unfence-peer %s: %v", h.Env.Resource, err)
		}
	}()
	res := h.Env.Resource
	devs, err := h.devices(parent)
	if err != nil {
		return fmt.Errorf("%w; constraint left in place", err)
	}
	for _, d := range devs {
		if d.Disk != "UpToDate" || d.PeerDisk != "UpToDate" {
			return fmt.Errorf("minor %d: disks are %s/%s, not both UpToDate: constraint left in place", d.Minor, d.Disk, d.PeerDisk)
		}
	}
	// The resync is done, so a split brain recorded before it is over, even
	// when an operator resolved it by hand.
	if h.ClearMarker != nil {
		if err := h.ClearMarker(res); err != nil {
			h.Log.Warnf("unfence-peer %s: clear the split-brain marker: %v", res, err)
		}
	}
	ctx, cancel := h.ctx(parent)
	p, err := h.CRM.FindPromotable(ctx, res)
	cancel()
	if err != nil {
		return err
	}
	if p == nil {
		h.Log.Infof("unfence-peer %s: no promotable clone for the resource; nothing to remove", res)
		return nil
	}
	id := crm.FenceID(res, p.ID)
	ctx, cancel = h.ctx(parent)
	c, err := h.CRM.Query(ctx, id)
	cancel()
	if err != nil {
		return err
	}
	if c == nil {
		h.Log.Infof("unfence-peer %s: no constraint %s; nothing to remove", res, id)
		return nil
	}
	if c.Rsc != p.ID || c.Node == "" || !c.FencesAllBut(c.Node) {
		return fmt.Errorf("constraint %s does not have the fencing shape we place; left in place", id)
	}
	ctx, cancel = h.ctx(parent)
	err = h.CRM.Delete(ctx, id)
	cancel()
	if err != nil {
		return err
	}
	h.Log.Infof("unfence-peer %s: both disks UpToDate; removed constraint %s", res, id)
	return nil
}

// SplitBrain records a detected split brain and notifies; it never changes
// DRBD state, because choosing what to discard is an operator's decision
// (drbd-splitbrain resolve). Errors are logged and returned; drbdadm ignores
// this handler's exit code.
func (h *Handlers) SplitBrain(parent context.Context) error {
	res := h.Env.Resource
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	h.Log.Errorf("split-brain %s: DRBD detected a split brain with %s (%s); resolve it with: drbd-splitbrain resolve %s", res, h.Env.Peer, h.Env.PeerAddress, res)
	var errs []error
	if h.Marker != nil {
		mk := marker.Marker{Resource: res, Minors: h.Env.Minors, Peer: h.Env.Peer, PeerAddress: h.Env.PeerAddress, DetectedAt: now()}
		if err := h.Marker(mk); err != nil {
			errs = append(errs, fmt.Errorf("record marker: %w", err))
		}
	}
	if h.Notify != "" {
		ctx, cancel := h.ctx(parent)
		defer cancel()
		out, err := runner.Check(ctx, h.Runner, "sh", "-c", h.Notify)
		if err != nil {
			errs = append(errs, fmt.Errorf("notify command: %w", err))
		} else {
			h.Log.Infof("split-brain %s: notified: %s", res, strings.TrimSpace(out.Stdout))
		}
	}
	err := errors.Join(errs...)
	if err != nil {
		h.Log.Errorf("split-brain %s: %v", res, err)
	}
	return err
}

// stoppedByPacemaker asks the CIB once whether Pacemaker stopped primitive
// on peer; an unreadable history is no proof, and then the settle wait
// applies.
func (h *Handlers) stoppedByPacemaker(parent context.Context, peer, primitive string) bool {
	if primitive == "" {
		return false
	}
	ctx, cancel := h.ctx(parent)
	defer cancel()
	stopped, err := h.CRM.StoppedOn(ctx, peer, primitive)
	if err != nil {
		h.Log.Warnf("fence-peer %s: %v; waiting the settle time", h.Env.Resource, err)
		return false
	}
	return stopped
}
