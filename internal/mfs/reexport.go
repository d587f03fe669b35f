package mfs

import "github.com/ocf-mfs/ocf-mfs/internal/mfs/local"

// What the node's files and /proc say is package local's; the agents keep
// naming it through mfs, their one domain client.

// MooseFS's compiled-in defaults (mfsmaster.cfg(5)).
const (
	DefaultConfig   = local.DefaultConfig
	DefaultDataPath = local.DefaultDataPath
	LockName        = local.LockName
)

type (
	// Config is a parsed mfsmaster.cfg; see local.Config.
	Config = local.Config
	// Endpoint is a listen host and port; see local.Endpoint.
	Endpoint = local.Endpoint
	// Host reads one /proc; see local.Host.
	Host = local.Host
	// Process is one process as /proc shows it; see local.Process.
	Process = local.Process
	// ProcID pins one process across pid reuse; see local.ProcID.
	ProcID = local.ProcID
	// Logger is where a stop reports its escalation; see local.Logger.
	Logger = local.Logger
)

// Errors of reading the configuration and the lock.
var (
	ErrConfig     = local.ErrConfig
	ErrNoLock     = local.ErrNoLock
	ErrNotRegular = local.ErrNotRegular
)

// ReadConfigFile reads and parses an mfsmaster.cfg; see local.ReadConfigFile.
func ReadConfigFile(path string) (*Config, error) { return local.ReadConfigFile(path) }

// NewHost reads processes under root ("/proc"); see local.NewHost.
func NewHost(root string) (*Host, error) { return local.NewHost(root) }

// ReadSmallFile reads a regular file of at most max bytes; see local.ReadSmallFile.
func ReadSmallFile(path string, max int64) ([]byte, error) { return local.ReadSmallFile(path, max) }

// ReadLockPID reads the pid mfsmaster writes into its lock file; see local.ReadLockPID.
func ReadLockPID(path string) (int, error) { return local.ReadLockPID(path) }

// LockOwner asks the kernel who holds the lock on path; see local.LockOwner.
func LockOwner(path string) (int, error) { return local.LockOwner(path) }
