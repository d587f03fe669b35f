package splitbrain

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// ErrBadHost is wrapped by CheckHost's errors.
var ErrBadHost = errors.New("not a host name")

// CheckHost accepts what --peer may name for ssh: [user@]host, where host
// is an RFC 1123 host name or an IP address and user a POSIX login name.
// Anything else (a leading "-" that ssh would read as an option, spaces,
// shell characters) is refused: the value reaches ssh's argv, and its
// remote side runs through a shell.
func CheckHost(s string) error {
	user, host, hasUser := strings.Cut(s, "@")
	if !hasUser {
		user, host = "", s
	} else if !validUser(user) {
		return fmt.Errorf("%q: %w (bad user name)", s, ErrBadHost)
	}
	if net.ParseIP(host) != nil || validHostname(host) {
		return nil
	}
	return fmt.Errorf("%q: %w", s, ErrBadHost)
}

func validUser(u string) bool {
	if u == "" || len(u) > 32 || u[0] == '-' {
		return false
	}
	for _, r := range u {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// shellQuote quotes one word for a POSIX shell: ssh joins its remote words
// with spaces and hands them to the peer's login shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
