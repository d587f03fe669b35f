// Package local is what this node's files and /proc say about a MooseFS
// daemon: its configuration, the holder of its lock, its process, whether it
// listens, and the signals that stop it. It reads through /proc, netlink
// and fcntl, never through forks, and links nothing beyond os, fmt and
// syscall: ocf:mfs:master's monitor front is built on it, and Pacemaker
// starts that front every monitor interval on every node. Package mfs, the
// domain client, builds the daemons' verbs on it.
package local

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
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

// ParseConfig reads mfsmaster.cfg exactly as mfsmaster does
// (mfscommon/cfg.c, cfg_reload, the same in 3.0.117 and 4.x):
//   - a line whose first byte is '#' is a comment; '#' elsewhere is not;
//   - a name is a run of printable ASCII without '=' after spaces or tabs,
//     and must be followed, after spaces or tabs, by '='; any other line
//     is ignored (mfsmaster logs "bad definition" and goes on);
//   - the value starts after the spaces and tabs following '=' and runs
//     while bytes are printable (a tab or a byte of 128 or more ends it,
//     char being signed on amd64); trailing spaces are dropped, so an
//     inline "# comment" after spaces is part of the value;
//   - after the value only spaces, tabs and a '#' may follow, or the whole
//     line is ignored;
//   - "KEY =" sets KEY to "", not to its default; a later line for the
//     same key wins.
//
// The client port honours the deprecated MATOCU_LISTEN_HOST/PORT when no
// MATOCL_LISTEN_* is set (mfsmaster/matoclserv.c of 3.0.117, line 5950).
// Missing keys get MooseFS's defaults; every key is kept in Raw. A port
// that is not a number is an error wrapping ErrConfig.
func ParseConfig(r io.Reader) (*Config, error) {
	c := &Config{Raw: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxConfig)
	for sc.Scan() {
		if k, v, ok := cfgLine(sc.Bytes()); ok {
			c.Raw[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	c.DataPath = c.get("DATA_PATH", DefaultDataPath)
	c.WorkingUser = c.get("WORKING_USER", "mfs")
	c.WorkingGroup = c.get("WORKING_GROUP", "")
	cl := "MATOCL"
	_, h := c.Raw["MATOCL_LISTEN_HOST"]
	_, p := c.Raw["MATOCL_LISTEN_PORT"]
	_, uh := c.Raw["MATOCU_LISTEN_HOST"]
	_, up := c.Raw["MATOCU_LISTEN_PORT"]
	if !h && !p && (uh || up) {
		cl = "MATOCU"
	}
	var err error
	for _, m := range []struct {
		prefix string
		def    int
		dst    *Endpoint
	}{{"MATOML", DefaultMatoml, &c.Matoml}, {"MATOCS", DefaultMatocs, &c.Matocs}, {cl, DefaultMatocl, &c.Matocl}} {
		m.dst.Host = c.get(m.prefix+"_LISTEN_HOST", "*")
		if m.dst.Port, err = c.port(m.prefix+"_LISTEN_PORT", m.def); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// cfgLine is one line of cfg_reload; ok is false for a line mfsmaster
// ignores.
func cfgLine(b []byte) (key, value string, ok bool) {
	if len(b) > 0 && b[0] == '#' {
		return "", "", false
	}
	at := func(i int) byte {
		if i < len(b) {
			return b[i]
		}
		return 0
	}
	blank := func(i int) int {
		for at(i) == ' ' || at(i) == '\t' {
			i++
		}
		return i
	}
	i := blank(0)
	nps := i
	for c := at(i); c > 32 && c < 127 && c != '='; c = at(i) {
		i++
	}
	npe := i
	i = blank(i)
	if at(i) != '=' || npe == nps {
		return "", "", false
	}
	i = blank(i + 1)
	vps := i
	for c := at(i); c >= 32 && c < 128; c = at(i) {
		i++
	}
	for i > vps && b[i-1] == ' ' {
		i--
	}
	vpe := i
	i = blank(i)
	if c := at(i); c != 0 && c != '\r' && c != '\n' && c != '#' {
		return "", "", false
	}
	return string(b[nps:npe]), string(b[vps:vpe]), true
}

// InlineComments returns, sorted, the keys whose value holds " #": an
// inline comment to the operator, part of the value to mfsmaster.
func (c *Config) InlineComments() []string {
	var keys []string
	for k, v := range c.Raw {
		if strings.Contains(v, " #") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func (c *Config) get(key, def string) string {
	if v, ok := c.Raw[key]; ok {
		return v
	}
	return def
}

func (c *Config) port(key string, def int) (int, error) {
	v, ok := c.Raw[key]
	if !ok {
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
