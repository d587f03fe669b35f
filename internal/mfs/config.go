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
	"path/filepath"
	"strconv"
	"strings"
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
