package local

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/ocf-mfs/ocf-mfs/internal/mfs/mfstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// procTree builds a proc root in a temp dir from the captured stat and
// net/tcp{,6} fixtures: a master 23352 with its data writer 23353, a
// zombie master 22390 and a stopped 24203. The descriptors of 23352 are
// symlinks made here (the layout is synthetic, the inodes are the
// fixtures'): 1720541 is the listener on 127.0.0.1:39421 in
// proc-net-tcp.txt, 1720652 the one on [::]:39520 and 1720651 an
// established connection from [::1]:39519 in proc-net-tcp6.txt.
func procTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for pid, fixture := range map[string]string{
		"23352": "proc-stat-mfsmaster.txt",
		"23353": "proc-stat-mfsmaster-writer.txt",
		"22390": "proc-stat-mfsmaster-zombie.txt",
		"24203": "proc-stat-sleep-stopped.txt",
	} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, pid, "fd"), 0o755))
		mfstest.CopyFixture(t, filepath.Join("testdata", fixture), filepath.Join(root, pid), "stat")
	}
	require.NoError(t, os.MkdirAll(filepath.Join(root, "net"), 0o755))
	mfstest.CopyFixture(t, "testdata/proc-net-tcp.txt", filepath.Join(root, "net"), "tcp")
	mfstest.CopyFixture(t, "testdata/proc-net-tcp6.txt", filepath.Join(root, "net"), "tcp6")
	for fd, target := range map[string]string{"0": "/dev/null", "3": "socket:[1720541]", "4": "socket:[1720652]", "5": "socket:[1720651]"} {
		require.NoError(t, os.Symlink(target, filepath.Join(root, "23352", "fd", fd)))
	}
	return root
}

func TestHostOnAProcRootOfCapturedFiles(t *testing.T) {
	h, err := NewHost(procTree(t))
	require.NoError(t, err)

	m, err := h.Process(23352)
	require.NoError(t, err)
	require.NotNil(t, m)
	assert.Equal(t, Process{ProcID: ProcID{PID: 23352, Start: 2364136}, PPID: 1, Comm: "mfsmaster", State: "S"}, *m)
	assert.False(t, m.Stopped())

	p, err := h.Process(24203)
	require.NoError(t, err)
	require.NotNil(t, p)
	assert.True(t, p.Stopped(), "a process stopped by SIGSTOP")

	for _, pid := range []int{22390, 4242} {
		p, err := h.Process(pid)
		require.NoError(t, err, pid)
		assert.Nil(t, p, "%d is a zombie or does not exist", pid)
	}

	same, err := h.Same(m.ProcID)
	require.NoError(t, err)
	assert.Equal(t, m, same)
	reused, err := h.Same(ProcID{PID: 23352, Start: 2364135})
	require.NoError(t, err)
	assert.Nil(t, reused, "the pid now belongs to a process started at another time")

	kids, err := h.Children(m.ProcID, "mfsmaster")
	require.NoError(t, err)
	assert.Equal(t, []ProcID{{PID: 23353, Start: 2364138}}, kids)
	kids, err = h.Children(ProcID{PID: 1, Start: 0}, "mfsmaster")
	require.NoError(t, err)
	assert.Equal(t, []ProcID{{PID: 23352, Start: 2364136}}, kids, "the zombie 22390 is left out")
	kids, err = h.Children(ProcID{PID: 1, Start: 2364137}, "mfsmaster")
	require.NoError(t, err)
	assert.Empty(t, kids, "23352 started before this pid 1: the child of an earlier owner of the pid")

	for _, c := range []struct {
		port int
		want bool
	}{
		{39421, true},  // its IPv4 listener
		{39520, true},  // its IPv6 listener
		{39420, false}, // another process's listener
		{39519, false}, // its socket on that port is a connection, not the listener
		{2024, false},
	} {
		ok, err := h.Listening(23352, c.port)
		require.NoError(t, err, c.port)
		assert.Equal(t, c.want, ok, c.port)
	}
	_, err = h.Listening(4242, 39421)
	assert.ErrorIs(t, err, os.ErrNotExist, "a pid that does not exist")
}

func TestNewHostRefusesARootThatIsNoDirectory(t *testing.T) {
	_, err := NewHost(filepath.Join(t.TempDir(), "none"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	_, err = NewHost("testdata/proc-net-tcp.txt")
	assert.Error(t, err)
}

// A busy master holds a descriptor per client and chunkserver connection,
// thousands of them, while it opened its listeners at start, among its
// first descriptors. The monitor asks about the listener on every run:
// it must find it without reading every connection's link, and read none
// when nothing listens on the port at all.
func TestListeningReadsNoMoreLinksThanItNeeds(t *testing.T) {
	root := procTree(t)
	for fd := 100; fd < 2100; fd++ {
		require.NoError(t, os.Symlink(fmt.Sprintf("socket:[%d]", 5000000+fd), filepath.Join(root, "23352", "fd", strconv.Itoa(fd))))
	}
	h, read := countingHost(t, root)

	ok, err := h.Listening(23352, 39421)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, []string{"0", "1", "2", "3"}, *read, "descriptors are read by number, up to the listener")

	*read = nil
	ok, err = h.Listening(23352, 4321)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Empty(t, *read, "nothing listens on the port: no descriptor is worth reading")
}

// When the lock file no longer tells who holds it, the holder is looked
// for among the processes of /proc/locks: most have a few descriptors,
// and each is listed rather than probed by number.
func TestLockHolderByNameListsEachCandidatesDescriptors(t *testing.T) {
	root := procTree(t)
	lock := filepath.Join(t.TempDir(), LockName)
	require.NoError(t, os.WriteFile(lock, []byte("23352\n"), 0o640))
	var st syscall.Stat_t
	require.NoError(t, syscall.Stat(lock, &st))
	require.NoError(t, os.WriteFile(filepath.Join(root, "locks"),
		[]byte(fmt.Sprintf("1: POSIX  ADVISORY  WRITE 23352 fe:00:%d 0 EOF\n", st.Ino)), 0o644))
	require.NoError(t, os.Symlink(lock, filepath.Join(root, "23352", "fd", "7")))
	h, read := countingHost(t, root)

	p, err := h.LockHolder(lock)
	require.NoError(t, err)
	require.NotNil(t, p, "nobody holds the lock the kernel knows of, but 23352 holds one on the file it opened")
	assert.Equal(t, 23352, p.PID)
	assert.Equal(t, []string{"0", "3", "4", "5", "7"}, *read)
}

// countingHost opens the proc tree at root and records, in order, the
// descriptors whose links it reads.
func countingHost(t *testing.T, root string) (*Host, *[]string) {
	t.Helper()
	h, err := NewHost(root)
	require.NoError(t, err)
	read := &[]string{}
	h.readlink = func(path string) (string, error) {
		*read = append(*read, filepath.Base(path))
		return os.Readlink(path)
	}
	return h, read
}
