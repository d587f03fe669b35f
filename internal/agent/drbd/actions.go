package drbd

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// maxBackoff caps the pause between two attempts of a refused drbdadm
// call, so that a promote or demote waiting for a state change still
// notices it promptly.
const maxBackoff = 5 * time.Second

// retry runs try until it succeeds, until settled reports that the goal was
// reached anyway or that it cannot be, or until the deadline leaves no room
// for another attempt. Pauses double from Poll up to maxBackoff: a refused
// promote is not hammered into the kernel.
func (a *Agent) retry(ctx context.Context, r *ocf.Request, what string, try func() error,
	settled func() (done bool, err error)) error {
	wait := a.Poll
	for attempt := 1; ; attempt++ {
		err := try()
		if err == nil {
			return nil
		}
		r.Log.Warnf("%s, attempt %d: %v", what, attempt, err)
		done, serr := settled()
		if done {
			return nil
		}
		if serr != nil {
			return serr
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return ocf.Errorf(ocf.ErrGeneric, "%s: gave up after %d attempts: %w", what, attempt, err)
		}
		select {
		case <-ctx.Done():
			return ocf.Errorf(ocf.ErrGeneric, "%s: gave up after %d attempts: %w", what, attempt, err)
		case <-time.After(wait):
		}
		if wait *= 2; wait > maxBackoff {
			wait = maxBackoff
		}
	}
}

// loadModule loads DRBD when its /proc entry is missing.
func (in *instance) loadModule(ctx context.Context) error {
	path := in.src.Path
	if path == "" {
		path = drbdproc.DefaultPath
	}
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if _, err := runner.Check(ctx, roomy{in.a.Runner}, "modprobe", "-s", "drbd"); err != nil {
		return ocf.Errorf(ocf.ErrInstalled, "cannot load the DRBD kernel module: %w", err)
	}
	return nil
}

// Start implements ocf.Agent: bring the resource up as Secondary, give it a
// bounded time to find its peer (which decides the promotion score), and
// set the score.
func (a *Agent) Start(ctx context.Context, r *ocf.Request) error {
	in, err := a.instance(r)
	if err != nil {
		return err
	}
	if err := validateClone(r.Env.Clone(), in.p.ignoreNotify); err != nil {
		return err
	}
	if on, _ := r.Env.BoolParam("connect_only_after_promote", false); on {
		r.Log.Warnf("connect_only_after_promote is not supported: %s connects at start", in.p.res)
	}
	// Fresh from drbdconf: the note may predate a change of minor.
	in.note.Minors = nil
	if _, err := in.minors(ctx); err != nil {
		return err
	}
	if err := in.loadModule(ctx); err != nil {
		return err
	}
	if err := in.checkModule(ctx); err != nil {
		return err
	}
	dev, up, err := in.device(ctx)
	if err != nil {
		return err
	}
	switch {
	case !up:
		if err := in.client.Up(ctx, in.p.res); err != nil {
			return ocf.Errorf(ocf.ErrGeneric, "drbdadm up %s: %w", in.p.res, err)
		}
	case dev.CState == "StandAlone" && in.splitBrainRecorded():
		// Reconnecting would only make DRBD find the split brain again.
		r.Log.Warnf("%s stays StandAlone: a split brain is recorded; resolve it with drbd-splitbrain", in.p.res)
	default:
		if err := in.client.Adjust(ctx, in.p.res); err != nil {
			return ocf.Errorf(ocf.ErrGeneric, "drbdadm adjust %s: %w", in.p.res, err)
		}
	}
	if dev, up, err = in.device(ctx); err != nil {
		return err
	}
	if !up {
		return ocf.Errorf(ocf.ErrGeneric, "%s is not up after drbdadm up", in.p.res)
	}
	if dev.Role == "Primary" {
		// Start means Secondary; Pacemaker promotes where it chooses.
		r.Log.Warnf("%s was already Primary at start; demoting it", in.p.res)
		if err := in.client.Secondary(ctx, in.p.res); err != nil {
			return ocf.Errorf(ocf.ErrGeneric, "%s is Primary and cannot be demoted: %w", in.p.res, err)
		}
	}
	dev, err = in.waitConnected(ctx)
	if err != nil {
		return err
	}
	if dev.Disk == "Diskless" || dev.Disk == "Failed" {
		return ocf.Errorf(ocf.ErrGeneric, "the backing disk of %s is not attached (disk state %s)", in.p.res, dev.Disk)
	}
	in.splitBrainNotice(dev)
	r.Notice = "" // a start's notice would read as a failure reason
	if err := in.updateScore(ctx, dev, true); err != nil {
		r.Log.Warnf("promotion score: %v", err)
	}
	r.Log.Infof("%s started: %s %s/%s %s/%s", in.p.res, dev.CState, dev.Role, dev.PeerRole, dev.Disk, dev.PeerDisk)
	return nil
}

// waitConnected waits, at most connect_timeout and never past the action's
// deadline, while DRBD is still looking for its peer. A peer that is down is
// normal (the first node of a cluster to start), so running out of time is
// not a failure: the score then says "peer unknown".
func (in *instance) waitConnected(ctx context.Context) (drbdproc.Device, error) {
	limit := in.a.Now().Add(in.p.connectTimeout)
	if dl, ok := ctx.Deadline(); ok && dl.Add(-2*time.Second).Before(limit) {
		limit = dl.Add(-2 * time.Second)
	}
	for {
		dev, up, err := in.device(ctx)
		if err != nil {
			return dev, err
		}
		if !up {
			return dev, ocf.Errorf(ocf.ErrGeneric, "%s went down while waiting for its peer", in.p.res)
		}
		if !dev.Connecting() || !in.a.Now().Before(limit) {
			return dev, nil
		}
		select {
		case <-ctx.Done():
			return dev, nil
		case <-time.After(in.a.Poll):
		}
	}
}

func (in *instance) splitBrainRecorded() bool {
	mk, err := in.a.Markers.Load(in.p.res)
	return err == nil && mk != nil
}

// Stop implements ocf.Agent. Whatever the parameters or drbdconf look like,
// it takes the device down: a stop that fails gets the node fenced.
func (a *Agent) Stop(ctx context.Context, r *ocf.Request) error {
	in, err := a.instance(r)
	if in.p.res == "" {
		r.Log.Warnf("stop: no drbd_resource, so nothing of ours can be up: %v", err)
		return nil
	}
	dev, up, derr := in.device(ctx)
	if derr != nil {
		r.Log.Warnf("stop: cannot tell the state of %s (%v); taking it down anyway", in.p.res, derr)
	}
	if derr == nil && !up {
		in.dropScore(ctx)
		return nil
	}
	if derr == nil && dev.Role == "Primary" {
		if err := in.demote(ctx); err != nil {
			return err
		}
	}
	if err := in.client.Down(ctx, in.p.res); err != nil {
		// drbdadm needs a readable drbdconf; drbdsetup needs only the
		// name the kernel knows the resource by.
		r.Log.Warnf("drbdadm down %s: %v; trying drbdsetup", in.p.res, err)
		if _, err2 := runner.Check(ctx, roomy{a.Runner}, "drbdsetup", "down", in.p.res); err2 != nil {
			return ocf.Errorf(ocf.ErrGeneric, "cannot take %s down: drbdadm: %v; drbdsetup: %v", in.p.res, err, err2)
		}
	}
	if derr == nil {
		if _, up, err := in.device(ctx); err == nil && up {
			return ocf.Errorf(ocf.ErrGeneric, "%s is still up after drbdadm down", in.p.res)
		}
	}
	in.dropScore(ctx)
	r.Log.Infof("%s stopped", in.p.res)
	return nil
}

// dropScore removes the score and the note; a stopped instance must not
// attract a promotion, but failing to say so is no reason to fail a stop.
func (in *instance) dropScore(ctx context.Context) {
	if err := in.scorer.Delete(ctx); err != nil {
		in.r.Log.Warnf("promotion score: %v", err)
	}
	removeNote(in.a.stateDir(in.r.Env), in.p.res)
}

// canPromote fails early, with the reason, where DRBD would refuse anyway.
func (in *instance) canPromote(dev drbdproc.Device) error {
	if dev.PeerRole == "Primary" && in.r.Env.Clone().PromotedMax < 2 {
		return ocf.Errorf(ocf.ErrGeneric, "cannot promote %s: the peer is Primary and promoted-max is 1", in.p.res)
	}
	// Consistent may still become UpToDate through the fence-peer handler.
	hasData := dev.Disk == "UpToDate" || dev.Disk == "Consistent" ||
		(dev.PeerDisk == "UpToDate" && !dev.Connecting() && dev.CState != "StandAlone")
	if !hasData {
		return ocf.Errorf(ocf.ErrGeneric, "cannot promote %s: no access to UpToDate data (local disk %s, peer disk %s)",
			in.p.res, dev.Disk, dev.PeerDisk)
	}
	return nil
}

// waitPeerDemoted gives a peer that still reads as Primary up to PeerGrace
// to stop being one. When the link between the nodes breaks, corosync may
// notice before DRBD does (its ping timeout is longer than the totem
// token), so for a few seconds a survivor asked to promote still sees the
// vanished peer as Primary; failing at once would count a failure against
// the only node that can take over.
func (in *instance) waitPeerDemoted(ctx context.Context, dev drbdproc.Device) drbdproc.Device {
	limit := in.a.Now().Add(in.a.PeerGrace)
	if dl, ok := ctx.Deadline(); ok {
		if half := in.a.Now().Add(time.Until(dl) / 2); half.Before(limit) {
			limit = half
		}
	}
	for dev.PeerRole == "Primary" && in.a.Now().Before(limit) {
		select {
		case <-ctx.Done():
			return dev
		case <-time.After(in.a.Poll):
		}
		d, up, err := in.device(ctx)
		if err != nil || !up {
			return dev
		}
		dev = d
	}
	if dev.PeerRole != "Primary" {
		in.r.Log.Infof("peer of %s no longer Primary (%s/%s): promoting", in.p.res, dev.CState, dev.PeerRole)
	}
	return dev
}

// refusedForGood tells DRBD refusals that waiting will not change.
func refusedForGood(err error) bool {
	var ce *runner.CommandError
	if !errors.As(err, &ce) {
		return false
	}
	return strings.Contains(ce.Result.Stderr, "Need access to UpToDate data") ||
		strings.Contains(ce.Result.Stderr, "Multiple primaries not allowed")
}

// upInstance is the instance and device state for a role change, which
// needs the resource up; notUp is the code to fail with when it is not.
func (a *Agent) upInstance(ctx context.Context, r *ocf.Request, notUp ocf.ExitCode) (*instance, drbdproc.Device, error) {
	in, err := a.instance(r)
	if err != nil {
		return nil, drbdproc.Device{}, err
	}
	dev, up, err := in.device(ctx)
	if err != nil {
		return nil, dev, err
	}
	if !up {
		return nil, dev, ocf.Errorf(notUp, "cannot %s %s: it is not up", r.Action, in.p.res)
	}
	return in, dev, nil
}

// Promote implements ocf.Promoter.
func (a *Agent) Promote(ctx context.Context, r *ocf.Request) error {
	in, dev, err := a.upInstance(ctx, r, ocf.ErrGeneric)
	if err != nil {
		return err
	}
	if dev.Role != "Primary" {
		if dev.PeerRole == "Primary" && !in.p.failPromoteEarly {
			dev = in.waitPeerDemoted(ctx, dev)
		}
		if err := in.canPromote(dev); err != nil {
			in.lowerScore(ctx)
			return err
		}
		var last error
		err = a.retry(ctx, r, "drbdadm primary "+in.p.res, func() error {
			last = in.client.Primary(ctx, in.p.res, false)
			return last
		}, func() (bool, error) {
			d, up, err := in.device(ctx)
			if err != nil || !up {
				return false, ocf.Errorf(ocf.ErrGeneric, "cannot promote %s: it went down", in.p.res)
			}
			if d.Role == "Primary" {
				return true, nil
			}
			if err := in.canPromote(d); err != nil {
				return false, err
			}
			if refusedForGood(last) {
				return false, ocf.Errorf(ocf.ErrGeneric, "DRBD refused to promote %s: %v", in.p.res, last)
			}
			return false, nil
		})
		if dev, _, _ = in.device(ctx); err != nil {
			in.lowerScore(ctx)
			return err
		}
	}
	if err := in.updateScore(ctx, dev, false); err != nil {
		r.Log.Warnf("promotion score: %v", err)
	}
	r.Log.Infof("%s promoted", in.p.res)
	return nil
}

// lowerScore removes the score after a refused promote, so that Pacemaker
// looks elsewhere rather than retrying here in a loop; the state may still
// deserve a high score (a Secondary whose peer stays Primary), which the
// next monitor writes back once the note no longer matches.
func (in *instance) lowerScore(ctx context.Context) {
	if err := in.writeScore(ctx, 0, true); err != nil {
		in.r.Log.Warnf("promotion score: %v", err)
	}
}

// Demote implements ocf.Promoter.
func (a *Agent) Demote(ctx context.Context, r *ocf.Request) error {
	in, dev, err := a.upInstance(ctx, r, ocf.NotRunning)
	if err != nil {
		return err
	}
	if dev.Role == "Primary" {
		if err := in.demote(ctx); err != nil {
			return err
		}
		dev, _, _ = in.device(ctx)
	}
	if err := in.updateScore(ctx, dev, false); err != nil {
		r.Log.Warnf("promotion score: %v", err)
	}
	return nil
}

// demote retries `drbdadm secondary` while the device is still held open,
// typically by a file system whose stop has not finished unmounting.
func (in *instance) demote(ctx context.Context) error {
	return in.a.retry(ctx, in.r, "drbdadm secondary "+in.p.res, func() error {
		return in.client.Secondary(ctx, in.p.res)
	}, func() (bool, error) {
		d, up, err := in.device(ctx)
		return err == nil && (!up || d.Role != "Primary"), nil
	})
}

// Notify implements ocf.Notifier. It always succeeds: a notification is
// information, and a failed notify would only make Pacemaker recover a
// healthy resource.
func (a *Agent) Notify(ctx context.Context, r *ocf.Request) error {
	n := r.Env.Notify()
	in, err := a.instance(r)
	if err != nil {
		r.Log.Debugf("notify %s-%s: %v", n.Type, n.Operation, err)
		return nil
	}
	dev, up, err := in.device(ctx)
	if err != nil || !up {
		return nil
	}
	self := r.Env.NodeName()
	other := func(p ocf.Peer) bool { return p.Uname != "" && p.Uname != self }
	peerStarted := slices.ContainsFunc(n.Start, other)
	if n.Type == "post" && n.Operation == "start" && peerStarted && dev.CState == "StandAlone" {
		if in.splitBrainRecorded() {
			r.Log.Warnf("peer started but %s stays StandAlone: a split brain is recorded", in.p.res)
		} else if err := in.client.Connect(ctx, in.p.res, false); err != nil {
			r.Log.Warnf("reconnect %s to the started peer: %v", in.p.res, err)
		} else {
			r.Log.Infof("reconnecting %s to the started peer", in.p.res)
		}
	}
	peerStopped := slices.ContainsFunc(n.Stop, other)
	if n.Type == "post" && n.Operation == "stop" && peerStopped && in.keepsScoreAfterPeerStop(dev) {
		r.Log.Debugf("peer of %s stopped: the score stays until a monitor finds this node still unpromoted", in.p.res)
		return nil
	}
	if n.Type == "post" {
		if err := in.updateScore(ctx, dev, false); err != nil {
			r.Log.Warnf("promotion score: %v", err)
		}
	}
	return nil
}

// keepsScoreAfterPeerStop tells whether the post-stop notify may leave the
// score as it is when it would only drop from "as good as it gets" to
// "peer unknown". Pacemaker is then in the middle of a failover to this
// node: any score written aborts its transition, and this drop would be
// undone by the promote that follows (a Primary scores the best again), at
// a crm_attribute run and a recalculation each. The drop tells Pacemaker
// nothing it can act on: the peer that stopped has no score left, and this
// node, up to date and connected until the peer went, is the one to
// promote. A monitor writes "peer unknown" if the node stays unpromoted.
func (in *instance) keepsScoreAfterPeerStop(dev drbdproc.Device) bool {
	sc := in.p.scores
	v := in.verdict(dev)
	return !v.Keep && v.Score == sc.PeerUnknown && sc.PeerUnknown > 0 && sc.PeerUnknown < sc.Best &&
		in.noted(sc.Best, in.a.AttrdID(in.note.Attrd), in.a.Uptime())
}
