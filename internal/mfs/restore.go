package mfs

import "context"

// HasRestore reports whether mfsmaster has the restore action, from
// MooseFS 3.0.107 on (mfscommon/main.c: absent in 3.0.105, present in
// 3.0.107 and 4.x).
func HasRestore(v Version) bool { return v.AtLeast(3, 0, 107) }

// Restore runs `mfsmaster -c CONFIG restore`: it rebuilds the metadata
// from every metadata and changelog file of DATA_PATH as -a does
// (metadata.c, meta_restore), stores it as metadata.mfs and exits, 0 on
// success. A master started from files that are not its own (a
// metalogger's) then has a metadata.mfs.back and changelogs of its own
// (matomlserv.c serves only metadata.mfs.back, changelog.0.mfs and
// changelog.1.mfs to metaloggers), so the other nodes' metaloggers get a
// base at once rather than after the next hourly store.
func (m *Master) Restore(ctx context.Context) error {
	return m.run(ctx, m.Binary, m.argv("restore")...)
}
