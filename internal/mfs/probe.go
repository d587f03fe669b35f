package mfs

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// MooseFS client protocol packet types (MFSCommunication.h).
const (
	cltomaInfo = 510
	matoclInfo = 511
)

// ErrProtocol means the master answered, but not with what MooseFS's
// protocol prescribes.
var ErrProtocol = errors.New("unexpected answer from mfsmaster")

// Info is the start of the master's answer to CLTOMA_INFO.
type Info struct {
	Version string // "3.0.117"
	// MetaVersion is the master's metadata version (the number of its
	// next change) when HasMetaVersion; see metaVersionOf.
	MetaVersion    uint64
	HasMetaVersion bool
}

// Probe asks the master for its info on the client port, the same round
// trip mfscli makes, so a master that accepts connections but no longer
// serves (hung, swapping, stopped) is caught. Every step is bounded by ctx.
func Probe(ctx context.Context, ep Endpoint) (*Info, error) {
	addr := net.JoinHostPort(ep.ConnectHost(), strconv.Itoa(ep.Port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	} else {
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	}
	return probeConn(conn)
}

func probeConn(conn io.ReadWriter) (*Info, error) {
	var req [8]byte
	binary.BigEndian.PutUint32(req[0:], cltomaInfo)
	if _, err := conn.Write(req[:]); err != nil {
		return nil, fmt.Errorf("send CLTOMA_INFO: %w", err)
	}
	var hdr [8]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return nil, fmt.Errorf("read answer header: %w", err)
	}
	typ, n := binary.BigEndian.Uint32(hdr[0:]), binary.BigEndian.Uint32(hdr[4:])
	if typ != matoclInfo {
		return nil, fmt.Errorf("%w: packet type %d, want %d", ErrProtocol, typ, matoclInfo)
	}
	if n < 4 || n > 1<<16 {
		return nil, fmt.Errorf("%w: info of %d bytes", ErrProtocol, n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(conn, body); err != nil {
		return nil, fmt.Errorf("read answer body: %w", err)
	}
	// The version is 16 bits major, 8 bits mid, 8 bits minor with the low
	// bit flagging a Pro build.
	major := binary.BigEndian.Uint16(body[0:])
	mid, minor := body[2], body[3]>>1
	info := &Info{Version: fmt.Sprintf("%d.%d.%d", major, mid, minor)}
	info.MetaVersion, info.HasMetaVersion = metaVersionOf(major, body)
	return info, nil
}
