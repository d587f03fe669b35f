package local

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"
)

// Linux sock_diag (linux/sock_diag.h, linux/inet_diag.h).
const (
	sockDiagByFamily = 20          // SOCK_DIAG_BY_FAMILY
	tcpListen        = 10          // TCP_LISTEN
	inetDiagReqLen   = 8 + 48      // struct inet_diag_req_v2
	inetDiagMsgLen   = 4 + 48 + 20 // struct inet_diag_msg
)

// listeners returns the inodes of the TCP sockets (IPv4 and IPv6) that
// listen on port, in this process's network namespace. It asks the kernel
// for listening sockets only: reading /proc/net/tcp instead makes the kernel
// walk every bucket of its established-connection table, milliseconds on a
// machine with much memory, at every monitor. Outcomes: the inodes (none
// when nothing listens); an error when the kernel has no sock_diag for TCP
// (module inet_diag/tcp_diag absent) or refuses the socket.
func listeners(port int) (map[uint64]bool, error) {
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, syscall.NETLINK_INET_DIAG)
	if err != nil {
		return nil, fmt.Errorf("sock_diag socket: %w", err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("sock_diag bind: %w", err)
	}
	found := map[uint64]bool{}
	for seq, family := range []uint8{syscall.AF_INET, syscall.AF_INET6} {
		if err := dumpListeners(fd, uint32(seq+1), family, uint16(port), found); err != nil {
			return nil, err
		}
	}
	return found, nil
}

func dumpListeners(fd int, seq uint32, family uint8, port uint16, found map[uint64]bool) error {
	req := make([]byte, syscall.NLMSG_HDRLEN+inetDiagReqLen)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], sockDiagByFamily)
	ne.PutUint16(req[6:], syscall.NLM_F_REQUEST|syscall.NLM_F_DUMP)
	ne.PutUint32(req[8:], seq)
	r := req[syscall.NLMSG_HDRLEN:]
	r[0], r[1] = family, syscall.IPPROTO_TCP
	// Only LISTEN: the kernel then skips the established table altogether.
	ne.PutUint32(r[4:], 1<<tcpListen)
	// The source port, in network order, narrows the dump in the kernel.
	binary.BigEndian.PutUint16(r[8:], port)
	if err := syscall.Sendto(fd, req, 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return fmt.Errorf("sock_diag request: %w", err)
	}
	buf := make([]byte, 32<<10)
	for {
		n, _, err := syscall.Recvfrom(fd, buf, 0)
		if err != nil {
			return fmt.Errorf("sock_diag answer: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return fmt.Errorf("sock_diag answer: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Seq != seq {
				continue
			}
			switch m.Header.Type {
			case syscall.NLMSG_DONE:
				return nil
			case syscall.NLMSG_ERROR:
				if len(m.Data) >= 4 {
					if errno := -int32(ne.Uint32(m.Data)); errno != 0 {
						return fmt.Errorf("sock_diag: %w", syscall.Errno(errno))
					}
				}
				return errors.New("sock_diag: error without a code")
			case sockDiagByFamily:
				d := m.Data
				if len(d) < inetDiagMsgLen {
					continue
				}
				// The kernel filters already; the check keeps a kernel
				// that ignores the port from answering for others.
				if d[1] == tcpListen && binary.BigEndian.Uint16(d[4:]) == port {
					found[uint64(ne.Uint32(d[68:]))] = true
				}
			}
		}
	}
}
