package local

import (
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// socketInode is the inode of a socket of this process, as /proc/self/fd
// names it.
func socketInode(t *testing.T, c interface {
	File() (*os.File, error)
}) uint64 {
	t.Helper()
	f, err := c.File()
	require.NoError(t, err)
	defer f.Close()
	target, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(f.Fd())))
	require.NoError(t, err)
	n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]"), 10, 64)
	require.NoError(t, err)
	return n
}

// The depth-0 monitor read all of /proc/net/tcp and tcp6, which makes the
// kernel walk every bucket of the established-connection table (about 3 ms
// per read on a machine with much memory, 11 ms a monitor). Asking the
// kernel for listening sockets only (sock_diag) walks the listening table.
func TestListenersAsksTheKernelForListeningSocketsOnly(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	// A connection accepted on the port has the same local port but is no
	// listener: it must not count.
	c, err := net.Dial("tcp4", l.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	a, err := l.Accept()
	require.NoError(t, err)
	defer a.Close()

	got, err := listeners(port)
	require.NoError(t, err)
	require.True(t, got[socketInode(t, l.(*net.TCPListener))], "the listener's inode")
	require.False(t, got[socketInode(t, a.(*net.TCPConn))], "an accepted connection is not listening")
	require.Len(t, got, 1)

	l6, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Logf("no IPv6 loopback here: %v", err)
		return
	}
	defer l6.Close()
	got, err = listeners(l6.Addr().(*net.TCPAddr).Port)
	require.NoError(t, err)
	require.True(t, got[socketInode(t, l6.(*net.TCPListener))], "an IPv6 listener's inode")
}

func TestListenersOnAPortNobodyListensOn(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	got, err := listeners(port)
	require.NoError(t, err)
	require.Empty(t, got)
}
