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
	return e, nil
}

// Exit codes of the fence-peer handler, as the DRBD kernel module reads them
// (drbd_nl.c conn_try_outdate_peer). Any other code is "helper broken": the
// kernel changes no state and, with fencing resource-and-stonith, leaves
// I/O frozen.
const (
	FencePeerInconsistent = 3 // peer disk Inconsistent or worse: it cannot be promoted
	FencePeerOutdated     = 4 // constraint in place: the peer cannot be promoted
	FencePeerUnreachable  = 5 // nothing placed; the kernel outdates the peer only if our disk is UpToDate
	FencePeerPrimary      = 6 // the peer fenced us: the kernel outdates our disk
	FencePeerStonithed    = 7 // never returned: we do not shoot nodes
)

// DeviceFunc reads the state of one minor from /proc/drbd. Handlers must
// not call drbdsetup: they may run inside a kernel callback of a drbdsetup
// command, and netlink would deadlock.
type DeviceFunc func(ctx context.Context, minor int) (drbdproc.Device, error)

// Handlers are the drbd.conf handlers.
type Handlers struct {
	Env     HandlerEnv
	Node    string // this node's name, uname -n
	CRM     *crm.Client
	Device  DeviceFunc
	Runner  runner.Runner
	Log     *logging.Logger
	Marker  func(marker.Marker) error // records a confirmed split brain (marker.Store.Record)
	Notify  string                    // shell command run on split brain, "" for none
	Now     func() time.Time
	Timeout time.Duration // bound on each external command
}

func (h *Handlers) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	t := h.Timeout
	if t == 0 {
		t = 20 * time.Second
	}
	return context.WithTimeout(parent, t)
}

func (h *Handlers) minor() (int, bool) {
	if len(h.Env.Minors) == 0 {
		return 0, false
	}
	return h.Env.Minors[0], true
}

// Guard runs a fence-peer step and maps every failure, panics included, to
// FencePeerUnreachable, so that the kernel always gets a code it knows. The
// trade-off is deliberate: with resource-and-stonith an unknown code would
// freeze I/O until an operator steps in; 5 tells the kernel "nothing
// placed", and it outdates the peer only when our own disk is UpToDate.
func (h *Handlers) Guard(step func() int) (code int) {
	defer func() {
		if r := recover(); r != nil {
			h.Log.Errorf("fence-peer %s: internal error: %v; exiting %d (no constraint placed)", h.Env.Resource, r, FencePeerUnreachable)
			code = FencePeerUnreachable
		}
		if code < FencePeerInconsistent || code > FencePeerStonithed {
			h.Log.Errorf("fence-peer %s: code %d is not a fence-peer code; exiting %d", h.Env.Resource, code, FencePeerUnreachable)
			code = FencePeerUnreachable
		}
	}()
	return step()
}

// FencePeer keeps the promoted role off the peer by placing a location
// constraint for this node only. Outcomes:
//   - 3: the peer's disk is Inconsistent or worse (nothing placed).
//   - 4: our constraint is in place (placed now or already there).
//   - 5: our disk is not UpToDate (we must not pin promotion to stale data),
//     no cluster answered, no promotable clone manages the resource, or an
//     error: nothing placed.
//   - 6: a constraint with our id keeps the role on the peer instead: the
//     peer fenced us first and is the active Primary.
func (h *Handlers) FencePeer(parent context.Context) int {
	return h.Guard(func() int {
		res := h.Env.Resource
		ctx, cancel := h.ctx(parent)
		defer cancel()
		h.Log.Infof("fence-peer %s: peer %s (%s %s), minors %v", res, h.Env.Peer, h.Env.PeerAF, h.Env.PeerAddress, h.Env.Minors)
		if m, ok := h.minor(); ok {
			d, err := h.Device(ctx, m)
			switch {
			case err != nil:
				h.Log.Errorf("fence-peer %s: read state of minor %d: %v", res, m, err)
				return FencePeerUnreachable
			case d.PeerDisk == "Inconsistent" || d.PeerDisk == "Failed" || d.PeerDisk == "Diskless":
				h.Log.Infof("fence-peer %s: peer disk is %s: it cannot be promoted; nothing to place", res, d.PeerDisk)
				return FencePeerInconsistent
			case d.Disk != "UpToDate":
				h.Log.Warnf("fence-peer %s: my disk is %s, not UpToDate: not placing a constraint", res, d.Disk)
				return FencePeerUnreachable
			}
		} else {
			h.Log.Warnf("fence-peer %s: DRBD_MINOR not set; cannot check my disk state, not placing a constraint", res)
			return FencePeerUnreachable
		}
		p, err := h.CRM.FindPromotable(ctx, res)
		if err != nil {
			h.Log.Errorf("fence-peer %s: %v; no constraint placed", res, err)
			return FencePeerUnreachable
		}
		if p == nil {
			h.Log.Errorf("fence-peer %s: no promotable clone of ocf:linbit:drbd or ocf:mfs:drbd has drbd_resource=%s; no constraint placed", res, res)
			return FencePeerUnreachable
		}
		id := crm.FenceID(res, p.ID)
		err = h.CRM.Create(ctx, crm.FenceConstraint(res, p.ID, h.Node))
		if err == nil {
			h.Log.Infof("fence-peer %s: placed constraint %s: %s promoted only on %s", res, id, p.ID, h.Node)
			return FencePeerOutdated
		}
		if !errors.Is(err, crm.ErrExists) {
			h.Log.Errorf("fence-peer %s: place constraint %s: %v", res, id, err)
			return FencePeerUnreachable
		}
		c, qerr := h.CRM.Query(ctx, id)
		switch {
		case qerr != nil:
			h.Log.Errorf("fence-peer %s: constraint %s exists but cannot be read: %v", res, id, qerr)
			return FencePeerUnreachable
		case c == nil:
			h.Log.Errorf("fence-peer %s: constraint %s vanished while placing it", res, id)
			return FencePeerUnreachable
		case c.FencesAllBut(h.Node):
			h.Log.Infof("fence-peer %s: constraint %s already in place for %s", res, id, h.Node)
			return FencePeerOutdated
		case c.Node != "" && c.Node != h.Node:
			h.Log.Warnf("fence-peer %s: constraint %s keeps %s promoted on %s: the peer fenced us; outdating myself", res, id, p.ID, c.Node)
			return FencePeerPrimary
		}
		h.Log.Errorf("fence-peer %s: constraint %s exists with an unexpected shape; leaving it alone", res, id)
		return FencePeerUnreachable
	})
}

// UnfencePeer (after-resync-target) removes the fencing constraint once
// this node's and the peer's disks are both UpToDate, and only when the
// constraint with our id has the shape this package and crm-fence-peer.sh
// place. It returns 0 when removed or when there was nothing to remove, and
// an error when the constraint stays (disks not UpToDate, foreign shape,
// Pacemaker errors). The kernel ignores this handler's exit code.
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
	ctx, cancel := h.ctx(parent)
	defer cancel()
	m, ok := h.minor()
	if !ok {
		return fmt.Errorf("DRBD_MINOR not set: cannot check the disk states; constraint left in place")
	}
	d, err := h.Device(ctx, m)
	if err != nil {
		return fmt.Errorf("read state of minor %d: %w; constraint left in place", m, err)
	}
	if d.Disk != "UpToDate" || d.PeerDisk != "UpToDate" {
		return fmt.Errorf("disks are %s/%s, not both UpToDate: constraint left in place", d.Disk, d.PeerDisk)
	}
	p, err := h.CRM.FindPromotable(ctx, res)
	if err != nil {
		return err
	}
	if p == nil {
		h.Log.Infof("unfence-peer %s: no promotable clone for the resource; nothing to remove", res)
		return nil
	}
	id := crm.FenceID(res, p.ID)
	c, err := h.CRM.Query(ctx, id)
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
	if err := h.CRM.Delete(ctx, id); err != nil {
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
