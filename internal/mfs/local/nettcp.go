package local

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// tcpSocket is what the agent reads of one line of /proc/net/tcp or
// /proc/net/tcp6.
type tcpSocket struct {
	LocalPort uint16
	State     uint8  // st: 0x0A is TCP_LISTEN
	Inode     uint64 // 0 for a socket no descriptor holds (TIME_WAIT)
}

// parseNetTCP reads /proc/net/tcp or /proc/net/tcp6: a header line, then
// one line a socket ("0: 0100007F:99FD 00000000:0000 0A ... 0 0 1720541
// ..."): the local address's port and the state are hexadecimal, the
// inode (the tenth column) decimal. The address is not read, so one
// parser serves both files. Outcomes: the sockets in the kernel's order;
// an error wrapping ErrFileParse for a line not in that form; an error of
// r.
func parseNetTCP(r io.Reader) ([]tcpSocket, error) {
	var out []tcpSocket
	sc := bufio.NewScanner(r)
	for header := true; sc.Scan(); header = false {
		f := strings.Fields(sc.Text())
		if header || len(f) == 0 {
			continue
		}
		if len(f) < 10 {
			return nil, fmt.Errorf("%w: /proc/net/tcp %q: %d columns", ErrFileParse, sc.Text(), len(f))
		}
		i := strings.LastIndexByte(f[1], ':')
		if i < 0 {
			return nil, fmt.Errorf("%w: /proc/net/tcp %q: no port", ErrFileParse, sc.Text())
		}
		port, err := strconv.ParseUint(f[1][i+1:], 16, 16)
		if err != nil {
			return nil, fmt.Errorf("%w: /proc/net/tcp %q: port: %w", ErrFileParse, sc.Text(), err)
		}
		st, err := strconv.ParseUint(f[3], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("%w: /proc/net/tcp %q: state: %w", ErrFileParse, sc.Text(), err)
		}
		ino, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: /proc/net/tcp %q: inode: %w", ErrFileParse, sc.Text(), err)
		}
		out = append(out, tcpSocket{LocalPort: uint16(port), State: uint8(st), Inode: ino})
	}
	return out, sc.Err()
}
