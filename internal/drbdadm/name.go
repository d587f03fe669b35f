package drbdadm

import (
	"errors"
	"fmt"
)

// ErrBadName is wrapped by CheckResourceName's errors.
var ErrBadName = errors.New("not a DRBD resource name")

// maxNameLen is the longest unquoted word drbdadm's configuration scanner
// reads (its STRING token, drbd-utils user/v9/drbdadm_scanner.fl).
const maxNameLen = 128

// CheckResourceName accepts the names drbd.conf can declare without
// quoting: 1 to 128 of A-Z a-z 0-9 . _ - (the scanner's STRING token, minus
// "/", which DRBD 9 refuses in a resource name and which would let a name
// escape a directory), not starting with "-" (drbdadm would read an
// option) and not "." or "..". The name reaches argv, a remote shell
// through ssh, a CIB XPath and file names, so everything else is refused
// rather than escaped.
func CheckResourceName(name string) error {
	if name == "" || len(name) > maxNameLen {
		return fmt.Errorf("%q: %w (1 to %d characters)", name, ErrBadName, maxNameLen)
	}
	if name[0] == '-' || name == "." || name == ".." {
		return fmt.Errorf("%q: %w", name, ErrBadName)
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return fmt.Errorf("%q: %w (only letters, digits, '.', '_' and '-')", name, ErrBadName)
		}
	}
	return nil
}
