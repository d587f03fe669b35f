package drbd

import (
	"context"
	"strconv"
	"strings"

	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
)

// Reload implements ocf.Reloader as ocf:linbit:drbd's reload does: drbdadm
// adjust applies a changed drbd.conf to a resource that is up, and the
// score is judged again (adjust_master_score may have changed). A resource
// that is not up is left alone.
func (a *Agent) Reload(ctx context.Context, r *ocf.Request) error {
	in, err := a.instance(r)
	if err != nil {
		return err
	}
	dev, up, err := in.device(ctx)
	if err != nil || !up {
		return err
	}
	if err := in.client.Adjust(ctx, in.p.res); err != nil {
		return ocf.Errorf(ocf.ErrGeneric, "drbdadm adjust %s: %w", in.p.res, err)
	}
	if d, up, err := in.device(ctx); err == nil && up {
		dev = d
	}
	if err := in.updateScore(ctx, dev, true); err != nil {
		r.Log.Warnf("promotion score: %v", err)
	}
	return nil
}

// checkModule applies require_drbd_module_version_ge and _lt to the loaded
// module's version (the version line of /proc/drbd). A module that is not
// loaded yet is not checked: start loads it and checks again.
//
// Outcomes: nil; ErrInstalled naming both versions when outside the bounds,
// as linbit's agent answers after a kernel update brought another DRBD.
func (in *instance) checkModule(ctx context.Context) error {
	if in.p.moduleGE == "" && in.p.moduleLT == "" {
		return nil
	}
	st, err := in.src.Read(ctx)
	if err != nil {
		return nil
	}
	have, ok := parseVersion(st.Version)
	if !ok {
		return nil
	}
	if want, ok := parseVersion(in.p.moduleGE); ok && have < want {
		return ocf.Errorf(ocf.ErrInstalled, "DRBD module %s is older than require_drbd_module_version_ge=%s", st.Version, in.p.moduleGE)
	}
	if want, ok := parseVersion(in.p.moduleLT); ok && have >= want {
		return ocf.Errorf(ocf.ErrInstalled, "DRBD module %s is not older than require_drbd_module_version_lt=%s", st.Version, in.p.moduleLT)
	}
	return nil
}

// parseVersion reads x.y.z (and ignores a suffix such as "-1" after z) into
// one comparable number, as linbit's version codes do.
func parseVersion(v string) (int, bool) {
	f := strings.Split(v, ".")
	if len(f) != 3 {
		return 0, false
	}
	f[2], _, _ = strings.Cut(f[2], "-")
	code := 0
	for _, p := range f {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 255 {
			return 0, false
		}
		code = code<<8 | n
	}
	return code, true
}
