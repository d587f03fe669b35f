// Package contract is the part of the OCF 1.1 resource agent contract that
// needs no more than the standard library's os, fmt and strconv: the exit
// codes and the environment Pacemaker passes. It is apart from package ocf,
// which adds the dispatcher, meta-data and logging, so that ocf:mfs:master's
// monitor front links none of encoding/xml, net or os/exec: Pacemaker starts
// that front every monitor interval on every node, and every linked package
// costs its start.
package contract

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// ExitCode is an OCF exit status. The values are fixed by the OCF 1.1
// specification and Pacemaker interprets them; 2, 3, 4 and 5 are "hard"
// errors that ban the resource from the node, 6 stops it cluster-wide.
type ExitCode int

// The OCF 1.1 exit codes, named as the specification names them.
const (
	Success          ExitCode = 0   // OCF_SUCCESS
	ErrGeneric       ExitCode = 1   // OCF_ERR_GENERIC: soft error, Pacemaker retries
	ErrArgs          ExitCode = 2   // OCF_ERR_ARGS: configuration invalid on this host
	ErrUnimplemented ExitCode = 3   // OCF_ERR_UNIMPLEMENTED: action not supported
	ErrPerm          ExitCode = 4   // OCF_ERR_PERM: insufficient privilege
	ErrInstalled     ExitCode = 5   // OCF_ERR_INSTALLED: software missing on this host
	ErrConfigured    ExitCode = 6   // OCF_ERR_CONFIGURED: parameters inherently wrong
	NotRunning       ExitCode = 7   // OCF_NOT_RUNNING: cleanly stopped
	RunningPromoted  ExitCode = 8   // OCF_RUNNING_PROMOTED (was OCF_RUNNING_MASTER)
	FailedPromoted   ExitCode = 9   // OCF_FAILED_PROMOTED (was OCF_FAILED_MASTER)
	Degraded         ExitCode = 190 // OCF_DEGRADED: running, but not fully healthy
	DegradedPromoted ExitCode = 191 // OCF_DEGRADED_PROMOTED
)

var codeNames = map[ExitCode]string{
	Success:          "OCF_SUCCESS",
	ErrGeneric:       "OCF_ERR_GENERIC",
	ErrArgs:          "OCF_ERR_ARGS",
	ErrUnimplemented: "OCF_ERR_UNIMPLEMENTED",
	ErrPerm:          "OCF_ERR_PERM",
	ErrInstalled:     "OCF_ERR_INSTALLED",
	ErrConfigured:    "OCF_ERR_CONFIGURED",
	NotRunning:       "OCF_NOT_RUNNING",
	RunningPromoted:  "OCF_RUNNING_PROMOTED",
	FailedPromoted:   "OCF_FAILED_PROMOTED",
	Degraded:         "OCF_DEGRADED",
	DegradedPromoted: "OCF_DEGRADED_PROMOTED",
}

func (c ExitCode) String() string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return fmt.Sprintf("OCF exit code %d", int(c))
}

// Error carries an OCF exit code with the reason behind it. Agents return it
// (usually through Errorf) and the dispatcher turns it into the process exit
// status and the ocf-exit-reason line.
type Error struct {
	Code ExitCode
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.Code.String()
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code; %w in format wraps as in
// fmt.Errorf, so errors.Is still sees the cause.
func Errorf(code ExitCode, format string, a ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, a...)}
}

// CodeOf maps an error to the exit code the agent must return: Success for
// nil, the code of the outermost *Error in the chain, and ErrGeneric for any
// other error, because an unclassified failure is one Pacemaker may retry.
func CodeOf(err error) ExitCode {
	if err == nil {
		return Success
	}
	var oe *Error
	if errors.As(err, &oe) {
		return oe.Code
	}
	return ErrGeneric
}

// MaxExitReason is how much of an exit reason Pacemaker keeps.
const MaxExitReason = 128

// FormatExitReason makes msg fit the exit-reason line: one line, at most
// MaxExitReason bytes, cut on a character boundary.
func FormatExitReason(msg string) string {
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) <= MaxExitReason {
		return msg
	}
	cut := MaxExitReason
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut]
}

// WriteExitReason writes msg to w as Pacemaker reads an exit reason: one
// line after OCF_EXIT_REASON_PREFIX, "ocf-exit-reason:" when unset.
func (e *Env) WriteExitReason(w io.Writer, msg string) {
	prefix, ok := e.Get("OCF_EXIT_REASON_PREFIX")
	if !ok || prefix == "" {
		prefix = "ocf-exit-reason:"
	}
	fmt.Fprintf(w, "%s%s\n", prefix, FormatExitReason(msg))
}
