// Package ocf implements the Open Cluster Framework resource agent contract
// (OCF 1.1) once, for every ocf-mfs agent: the action dispatcher, exit
// reasons, meta-data and action deadlines, over the exit codes and the
// environment of package contract. Logging lives in internal/logging and the
// promotion score, a Pacemaker tool, in internal/crm.
package ocf

import "github.com/ocf-mfs/ocf-mfs/internal/ocf/contract"

// The exit codes and the environment live in package contract, light enough
// for a monitor front; agents keep naming them through ocf.

type (
	// ExitCode is an OCF exit status; see contract.ExitCode.
	ExitCode = contract.ExitCode
	// Error carries an OCF exit code with its reason; see contract.Error.
	Error = contract.Error
	// Env is the environment of one action; see contract.Env.
	Env = contract.Env
	// LookupFunc reads one environment variable; see contract.LookupFunc.
	LookupFunc = contract.LookupFunc
	// CloneMeta is a clone's meta attributes; see contract.CloneMeta.
	CloneMeta = contract.CloneMeta
	// Peer is one node of a clone notification; see contract.Peer.
	Peer = contract.Peer
	// Notify is a clone notification; see contract.Notify.
	Notify = contract.Notify
)

// The OCF 1.1 exit codes.
const (
	Success          = contract.Success
	ErrGeneric       = contract.ErrGeneric
	ErrArgs          = contract.ErrArgs
	ErrUnimplemented = contract.ErrUnimplemented
	ErrPerm          = contract.ErrPerm
	ErrInstalled     = contract.ErrInstalled
	ErrConfigured    = contract.ErrConfigured
	NotRunning       = contract.NotRunning
	RunningPromoted  = contract.RunningPromoted
	FailedPromoted   = contract.FailedPromoted
	Degraded         = contract.Degraded
	DegradedPromoted = contract.DegradedPromoted
)

// Errorf returns an *Error with the given code; %w wraps as in fmt.Errorf.
func Errorf(code ExitCode, format string, a ...any) error {
	return contract.Errorf(code, format, a...)
}

// CodeOf maps an error to the exit code the agent must return.
func CodeOf(err error) ExitCode { return contract.CodeOf(err) }

// NewEnv reads the environment through lookup.
func NewEnv(lookup LookupFunc) *Env { return contract.NewEnv(lookup) }

// MapLookup serves variables from a map.
func MapLookup(m map[string]string) LookupFunc { return contract.MapLookup(m) }

// Unames lists the node names of ps.
func Unames(ps []Peer) []string { return contract.Unames(ps) }
