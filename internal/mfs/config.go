// Package mfs is the domain client for a MooseFS master: its configuration,
// its lock file and process, a protocol probe on the client port, and the
// verbs the agent needs (start, stop, reload). Reading state goes through
// /proc and sockets, never through forks, so a 10-second monitor stays
// cheap.
package mfs

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// MooseFS's compiled-in defaults (mfsmaster.cfg(5)).
const (
	DefaultConfig   = "/etc/mfs/mfsmaster.cfg"
	DefaultDataPath = "/var/lib/mfs"
	DefaultMatoml   = 9419 // metaloggers and shadow masters
	DefaultMatocs   = 9420 // chunkservers
	DefaultMatocl   = 9421 // clients (mfsmount, mfscli)
	LockName        = ".mfsmaster.lock"
)

// ErrConfig is wrapped by every error about a configuration that cannot be
// used.
var ErrConfig = errors.New("invalid mfsmaster configuration")

// Endpoint is a listen address of one of the master's modules.
type Endpoint struct {
	Host string // "*" means every address
	Port int
}

// ConnectHost is where a local probe connects: the listen address, or
// loopback when the master listens on every address.
func (e Endpoint) ConnectHost() string {
	if e.Host == "" || e.Host == "*" || e.Host == "0.0.0.0" {
		return "127.0.0.1"
	}
	return e.Host
}

// Config is what the agent needs from mfsmaster.cfg. Keys it does not use
// are kept in Raw, so nothing the operator wrote is lost to a caller.
type Config struct {
	DataPath     string
	WorkingUser  string
	WorkingGroup string
	Matoml       Endpoint
	Matocs       Endpoint
	Matocl       Endpoint
	Raw          map[string]string
}

// LockPath is the lock file mfsmaster keeps in DATA_PATH, holding its pid.
func (c *Config) LockPath() string { return filepath.Join(c.DataPath, LockName) }

// ParseConfig reads mfsmaster.cfg: "KEY = VALUE" lines, '#' comments, blank
// lines, any spacing. Missing keys get MooseFS's defaults; unknown keys are
// kept in Raw; a line without '=' or a port that is not a number is an error
// wrapping ErrConfig that names the line.
func ParseConfig(r io.Reader) (*Config, error) {
	c := &Config{Raw: map[string]string{}}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%w: line %d: %q is not KEY = VALUE", ErrConfig, n, line)
		}
		c.Raw[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	c.DataPath = c.get("DATA_PATH", DefaultDataPath)
	c.WorkingUser = c.get("WORKING_USER", "mfs")
	c.WorkingGroup = c.get("WORKING_GROUP", "")
	var err error
	for _, m := range []struct {
		prefix string
		def    int
		dst    *Endpoint
	}{{"MATOML", DefaultMatoml, &c.Matoml}, {"MATOCS", DefaultMatocs, &c.Matocs}, {"MATOCL", DefaultMatocl, &c.Matocl}} {
		m.dst.Host = c.get(m.prefix+"_LISTEN_HOST", "*")
		if m.dst.Port, err = c.port(m.prefix+"_LISTEN_PORT", m.def); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Config) get(key, def string) string {
	if v, ok := c.Raw[key]; ok && v != "" {
		return v
	}
	return def
}

func (c *Config) port(key string, def int) (int, error) {
	v, ok := c.Raw[key]
	if !ok || v == "" {
		return def, nil
	}
	p, err := strconv.Atoi(v)
	if err != nil || p <= 0 || p > 65535 {
		return 0, fmt.Errorf("%w: %s = %q is not a port", ErrConfig, key, v)
	}
	return p, nil
}

// maxConfig bounds the configuration the agent reads.
const maxConfig = 1 << 20

// ReadConfigFile parses the configuration at path. The path may be a
// symlink (configuration management links them), but the file must be a
// regular one: a FIFO would block the agent. Outcomes: the configuration;
// an error wrapping os.ErrNotExist or a permission error when it cannot
// be opened; an error wrapping ErrConfig when it is not a regular file,
// is larger than 1 MiB or is not a valid configuration.
func ReadConfigFile(path string) (*Config, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is a %s, not a regular file", ErrConfig, path, fileType(st.Mode()))
	}
	if st.Size() > maxConfig {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrConfig, path, maxConfig)
	}
	return ParseConfig(io.LimitReader(f, maxConfig))
}

// WorkingIDs resolves WORKING_USER and WORKING_GROUP as mfsmaster does when
// started as root (mfscommon/main.c, changeugid): "#N" is a numeric id, a
// name is looked up, and an empty WORKING_GROUP means the user's primary
// group. Outcomes: uid and gid; an error naming the user or group that
// does not exist on this node, which mfsmaster would refuse to start with.
func (c *Config) WorkingIDs() (uid, gid int, err error) {
	gid = -1
	if n, ok := strings.CutPrefix(c.WorkingGroup, "#"); ok {
		if gid, err = strconv.Atoi(n); err != nil {
			return -1, -1, fmt.Errorf("WORKING_GROUP %s is not a number", c.WorkingGroup)
		}
	} else if c.WorkingGroup != "" {
		g, err := user.LookupGroup(c.WorkingGroup)
		if err != nil {
			return -1, -1, fmt.Errorf("WORKING_GROUP %s does not exist on this node", c.WorkingGroup)
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	var u *user.User
	if n, ok := strings.CutPrefix(c.WorkingUser, "#"); ok {
		if uid, err = strconv.Atoi(n); err != nil {
			return -1, -1, fmt.Errorf("WORKING_USER %s is not a number", c.WorkingUser)
		}
		if gid >= 0 {
			return uid, gid, nil
		}
		if u, err = user.LookupId(n); err != nil {
			return -1, -1, fmt.Errorf("WORKING_USER %s: no user with that id on this node, so no group either", c.WorkingUser)
		}
	} else if u, err = user.Lookup(c.WorkingUser); err != nil {
		return -1, -1, fmt.Errorf("WORKING_USER %s does not exist on this node", c.WorkingUser)
	}
	uid, _ = strconv.Atoi(u.Uid)
	if gid < 0 {
		gid, _ = strconv.Atoi(u.Gid)
	}
	return uid, gid, nil
}
