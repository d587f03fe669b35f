package local

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseNetTCPRealCaptures(t *testing.T) {
	for _, c := range []struct {
		fixture string
		want    []tcpSocket
	}{
		{"proc-net-tcp.txt", []tcpSocket{
			{LocalPort: 39421, State: tcpListen, Inode: 1720541},
			{LocalPort: 39420, State: tcpListen, Inode: 1720539},
			{LocalPort: 39419, State: tcpListen, Inode: 1720537},
			{LocalPort: 2024, State: tcpListen, Inode: 1074},
			{LocalPort: 58562, State: 6, Inode: 0}, // TIME_WAIT: no socket inode any more
			{LocalPort: 58576, State: 6, Inode: 0},
			{LocalPort: 50840, State: 6, Inode: 0},
		}},
		{"proc-net-tcp6.txt", []tcpSocket{
			{LocalPort: 39519, State: tcpListen, Inode: 1720064},
			{LocalPort: 39520, State: tcpListen, Inode: 1720652},
			{LocalPort: 39519, State: 1, Inode: 1720651}, // ESTABLISHED
			{LocalPort: 54912, State: 1, Inode: 1720650},
		}},
	} {
		assert.Equal(t, c.want, parseFixture(t, c.fixture, parseNetTCP), c.fixture)
	}
}

func TestParseNetTCPRefusesMalformedLines(t *testing.T) {
	const header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	// Synthetic: each breaks one column the parser reads.
	for _, line := range []string{
		"   0: 0100007F:99FD 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0\n", // no inode
		"   0: 0100007F 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1720541 1\n",
		"   0: 0100007F:XYZ 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1720541 1\n",
		"   0: 0100007F:1FFFF 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1720541 1\n",
		"   0: 0100007F:99FD 00000000:0000 LISTEN 00000000:00000000 00:00000000 00000000     0        0 1720541 1\n",
		"   0: 0100007F:99FD 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 socket 1\n",
	} {
		_, err := parseNetTCP(strings.NewReader(header + line))
		assert.ErrorIs(t, err, ErrFileParse, "%q", line)
	}
	got, err := parseNetTCP(strings.NewReader(header))
	require.NoError(t, err)
	assert.Empty(t, got, "no sockets")
}
