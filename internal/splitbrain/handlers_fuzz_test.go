package splitbrain

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ocf-mfs/ocf-mfs/internal/crm"
	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
	"github.com/ocf-mfs/ocf-mfs/internal/logging"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// FuzzFencePeerEnv feeds fence-peer fuzzed DRBD_* environments and device
// states, with a cluster that either answers as the lab's did or not at
// all. The answer must always be one the kernel defines or 1, and 5 with
// an UpToDate volume only once the constraint was placed.
func FuzzFencePeerEnv(f *testing.F) {
	f.Add("r0", "0", "node2", "WFConnection", "UpToDate", "DUnknown", true)
	f.Add("r0", "0 1", "", "StandAlone", "Outdated", "DUnknown", false)
	f.Add("r0;id", "x", "-o", "", "", "", true)
	f.Add("", "", "", "Unconfigured", "UpToDate", "Inconsistent", true)
	f.Fuzz(func(t *testing.T, res, minors, peer, cs, disk, pdisk string, cluster bool) {
		env := map[string]string{"DRBD_RESOURCE": res, "DRBD_MINOR": minors, "DRBD_PEER": peer}
		e, err := ReadHandlerEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		fake := &runner.Fake{}
		if cluster {
			fake.On("cibadmin -Q -o resources", runner.OK(`<resources><clone id="ms_drbd"><primitive id="p" class="ocf" provider="linbit" type="drbd"><instance_attributes id="i"><nvpair id="n" name="drbd_resource" value="`+res+`"/></instance_attributes></primitive></clone></resources>`)).
				On("cibadmin -C -o constraints -X "+crm.FenceConstraintRole(res, "ms_drbd", "node1", crm.DialectUnknown.PromotedRole()), runner.OK(""))
		}
		var log bytes.Buffer
		h := &Handlers{Env: e, Node: "node1", CRM: &crm.Client{Runner: fake}, Runner: fake, Log: logging.NewTestLogger("t", &log),
			Device: func(context.Context, int) (drbdproc.Device, error) {
				return drbdproc.Device{CState: cs, Disk: disk, PeerDisk: pdisk}, nil
			}}
		if err != nil {
			h.Env = HandlerEnv{Resource: res}
		}
		code := h.FencePeer(context.Background())
		if !fenceCodes[code] {
			t.Fatalf("code %d is not a fence-peer answer", code)
		}
		if err != nil && code != FencePeerFailed {
			t.Fatalf("bad environment (%v) answered %d", err, code)
		}
		placed := false
		for _, c := range fake.Calls() {
			placed = placed || strings.HasPrefix(c, "cibadmin -C ")
		}
		if code == FencePeerUnreachable && disk == "UpToDate" && !placed {
			t.Fatalf("5 with an UpToDate disk and no constraint: calls %v", fake.Calls())
		}
		if code == FencePeerOutdated && disk != "UpToDate" {
			t.Fatalf("4 with disk %q", disk)
		}
	})
}
