package mfs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/mfs/local"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// MetaloggerLockName is the lock file mfsmetalogger keeps in its DATA_PATH:
// every MooseFS daemon locks "." APPNAME ".lock" in its working directory
// (mfscommon/main.c), found the same way as the master's.
const MetaloggerLockName = ".mfsmetalogger.lock"

// SetAsidePrefix starts the name of the folders SetAside creates.
const SetAsidePrefix = "set-aside-"

// MetaloggerConfig is what the agent writes to the mfsmetalogger.cfg it
// generates (mfsmetalogger.cfg(5); the keys are read by
// mfsmetalogger/masterconn.c, masterconn_init, and mfscommon/main.c).
type MetaloggerConfig struct {
	DataPath     string
	MasterHost   string
	MasterPort   int
	WorkingUser  string
	WorkingGroup string
	// ReconnectDelay is MASTER_RECONNECTION_DELAY in seconds: after a
	// takeover the metaloggers must follow the new master quickly.
	ReconnectDelay int
}

// Render returns the configuration file's text.
func (c MetaloggerConfig) Render() []byte {
	var b bytes.Buffer
	b.WriteString("# Written by ocf:mfs:master for the unpromoted instance of a promotable clone;\n# rewritten on every start.\n")
	fmt.Fprintf(&b, "DATA_PATH = %s\n", c.DataPath)
	fmt.Fprintf(&b, "MASTER_HOST = %s\n", c.MasterHost)
	fmt.Fprintf(&b, "MASTER_PORT = %d\n", c.MasterPort)
	if c.WorkingUser != "" {
		fmt.Fprintf(&b, "WORKING_USER = %s\n", c.WorkingUser)
	}
	if c.WorkingGroup != "" {
		fmt.Fprintf(&b, "WORKING_GROUP = %s\n", c.WorkingGroup)
	}
	if c.ReconnectDelay > 0 {
		fmt.Fprintf(&b, "MASTER_RECONNECTION_DELAY = %d\n", c.ReconnectDelay)
	}
	return b.Bytes()
}

// Metalogger drives one mfsmetalogger: the binary, the configuration file
// the agent generated and its DATA_PATH.
type Metalogger struct {
	Runner   runner.Runner
	Host     *Host
	Binary   string // "mfsmetalogger", or a path
	Config   string // path of the generated mfsmetalogger.cfg
	DataPath string
	// Name is the process name the lock holder must have;
	// "mfsmetalogger" when empty.
	Name string
}

// LockPath is the lock file of the metalogger's DATA_PATH.
func (m *Metalogger) LockPath() string { return filepath.Join(m.DataPath, MetaloggerLockName) }

// Holder finds the process holding the metalogger's lock, without forking.
// Outcomes: the running metalogger; nil when nobody holds the lock; an
// error when another program holds it, or /proc cannot be read.
func (m *Metalogger) Holder() (*Process, error) {
	p, err := m.Host.LockHolder(m.LockPath())
	if err != nil || p == nil {
		return nil, err
	}
	name := m.Name
	if name == "" {
		name = "mfsmetalogger"
	}
	if p.Comm != name {
		return nil, fmt.Errorf("%s is locked by pid %d (%s), not an mfsmetalogger", m.LockPath(), p.PID, p.Comm)
	}
	return p, nil
}

// WriteConfig writes c to the metalogger's configuration file, replacing it
// atomically, readable by root only (it is ours, not the operator's).
func (m *Metalogger) WriteConfig(c MetaloggerConfig) error {
	if err := os.MkdirAll(filepath.Dir(m.Config), 0o755); err != nil {
		return err
	}
	tmp := m.Config + ".new"
	if err := os.WriteFile(tmp, c.Render(), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, m.Config)
}

// Start runs `mfsmetalogger -c CONFIG start`, which daemonizes once it
// holds its lock; it connects to the master in the background and keeps
// retrying, so a master not yet reachable is no failure.
func (m *Metalogger) Start(ctx context.Context) error {
	res, err := m.Runner.Run(ctx, m.Binary, "-c", m.Config, "start")
	if err != nil {
		return fmt.Errorf("%s -c %s start: %w", m.Binary, m.Config, err)
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("%s -c %s start: exit %d: %s", m.Binary, m.Config, res.ExitCode, lastLines(res.Stdout+res.Stderr))
	}
	return nil
}

// SetAside moves every file of dir that IsMetadataFile names into a new
// folder dir/set-aside-YYYYMMDD-HHMMSS, so that a history the cluster no
// longer follows is kept for an operator but never read by `mfsmaster -a`
// again (it reads only the files directly in DATA_PATH). The files named
// in keep stay. Outcomes: the folder, "" when there was nothing to move;
// an error when a file could not be moved (the ones already moved stay in
// the folder).
func SetAside(dir string, now time.Time, keep ...string) (string, error) {
	all, err := metadataFiles(dir)
	if err != nil {
		return "", err
	}
	var names []string
	for _, n := range all {
		if !slices.Contains(keep, n) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return "", nil
	}
	base := filepath.Join(dir, SetAsidePrefix+now.UTC().Format("20060102-150405"))
	folder := base
	for i := 1; ; i++ {
		err := os.Mkdir(folder, 0o700)
		if err == nil {
			break
		}
		if !os.IsExist(err) || i > 100 {
			return "", err
		}
		folder = fmt.Sprintf("%s.%d", base, i)
	}
	for _, n := range names {
		if err := os.Rename(filepath.Join(dir, n), filepath.Join(folder, n)); err != nil {
			return folder, err
		}
	}
	return folder, syncDir(dir)
}

func metadataFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() && IsMetadataFile(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// CopyMetadata copies every file of src that IsMetadataFile names into dst
// owned by uid:gid (unless negative), each written to a temporary name,
// synced and renamed, so that a crash never leaves a half-copied file
// `mfsmaster -a` would read. rename, when not nil, gives each source name
// its destination name, "" to leave the file out. Outcomes: the names
// copied; an error for the first file that could not be.
func CopyMetadata(src, dst string, uid, gid int, rename func(string) string) ([]string, error) {
	names, err := metadataFiles(src)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, n := range names {
		to := n
		if rename != nil {
			if to = rename(n); to == "" {
				continue
			}
		}
		if err := copyFile(filepath.Join(src, n), filepath.Join(dst, to), uid, gid); err != nil {
			return done, err
		}
		done = append(done, to)
	}
	return done, syncDir(dst)
}

func copyFile(from, to string, uid, gid int) error {
	in, err := local.OpenRegular(from)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := to + ".ocf-mfs-tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && uid >= 0 {
		err = os.Chown(tmp, uid, gid)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("copy %s to %s: %w", from, to, err)
	}
	return os.Rename(tmp, to)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// HasMetadataFiles reports whether dir holds any file IsMetadataFile names.
func HasMetadataFiles(dir string) (bool, error) {
	names, err := metadataFiles(dir)
	if os.IsNotExist(err) {
		return false, nil
	}
	return len(names) > 0, err
}

// MetaloggerName maps a file of the master's DATA_PATH to the name the
// metalogger gives the same content, so that the metadata a demoted
// master stored seeds its metalogger: metadata.mfs, written by a clean
// stop with every change, becomes metadata_ml.mfs.back; every other file
// is left out ("").
func MetaloggerName(name string) string {
	if name == "metadata.mfs" {
		return MetaloggerFiles.Metadata
	}
	return ""
}
