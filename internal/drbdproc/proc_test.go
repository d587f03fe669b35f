package drbdproc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/test/lab/captures"
)

// testdata returns testdata/name: the inputs of this package only (the
// earlier lab run, the DRBD guide's, the constructed ones; testdata/README.md).
// The lab's captures that other packages replay too come from package captures.
func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func parse(t *testing.T, in []byte) *Status {
	t.Helper()
	st, err := Parse(bytes.NewReader(in))
	require.NoError(t, err)
	return st
}

func parseFile(t *testing.T, name string) *Status {
	t.Helper()
	return parse(t, testdata(t, name))
}

func parseCapture(t *testing.T, name string) *Status {
	t.Helper()
	return parse(t, []byte(captures.Read(t, name)))
}

func TestParseEveryFixture(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	require.NoError(t, err)
	n := 0
	for _, f := range files {
		if strings.Contains(f, "events2") {
			continue
		}
		n++
		t.Run(f, func(t *testing.T) { parseFile(t, filepath.Base(f)) })
	}
	names, err := captures.Names("*.proc-drbd.txt")
	require.NoError(t, err)
	for _, name := range names {
		n++
		t.Run(name, func(t *testing.T) { parseCapture(t, name) })
	}
	assert.GreaterOrEqual(t, n, 20, "the real captures are missing")
}

func TestParseConnectedPrimary(t *testing.T) {
	st := parseFile(t, "lab84-01-connected.node1.txt")
	assert.Equal(t, "8.4.11", st.Version)
	assert.Equal(t, 1, st.API)
	assert.Equal(t, 86, st.ProtoMin)
	assert.Equal(t, 101, st.ProtoMax)
	assert.Equal(t, "F73C670A7EC572DB9CF3E5B", st.SrcVersion)
	assert.Equal(t, "", st.GitHash)
	assert.Equal(t, 8, st.Major())
	require.Len(t, st.Devices, 1)
	assert.Equal(t, Device{
		Minor: 0, CState: "Connected", Role: "Primary", PeerRole: "Secondary",
		Disk: "UpToDate", PeerDisk: "UpToDate", Protocol: "C", Flags: "r-----",
		Counters: Counters{NS: 65835, DW: 70024, DR: 66187, AL: 10, EP: 1, WO: "f"},
	}, st.Devices[0])
}

func TestParseStates(t *testing.T) {
	tests := []struct {
		file                                      string
		cs, role, peerRole, disk, peerDisk, proto string
		oos                                       uint64
	}{
		{"lab84-01-connected.node2.txt", "Connected", "Secondary", "Primary", "UpToDate", "UpToDate", "C", 0},
		{"lab84-02-partitioned-dual-primary.node1.txt", "WFConnection", "Primary", "Unknown", "UpToDate", "DUnknown", "C", 40},
		{"lab84-03-split-brain.node1.txt", "StandAlone", "Primary", "Unknown", "UpToDate", "DUnknown", "", 40},
		{"lab84-04-victim-reconnecting.node2.txt", "WFConnection", "Secondary", "Unknown", "UpToDate", "DUnknown", "C", 4132},
		{"guide-drbd841-inconsistent.txt", "Connected", "Secondary", "Secondary", "Inconsistent", "Inconsistent", "C", 524236},
		{"guide-drbd8312-secondary.txt", "Connected", "Secondary", "Primary", "UpToDate", "UpToDate", "C", 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			d := parseFile(t, tt.file).Devices[0]
			assert.Equal(t, tt.cs, d.CState)
			assert.Equal(t, tt.role, d.Role)
			assert.Equal(t, tt.peerRole, d.PeerRole)
			assert.Equal(t, tt.disk, d.Disk)
			assert.Equal(t, tt.peerDisk, d.PeerDisk)
			assert.Equal(t, tt.proto, d.Protocol)
			assert.Equal(t, tt.oos, d.Counters.OOS)
			assert.Equal(t, "r-----", d.Flags)
			assert.Nil(t, d.Sync)
		})
	}
}

func TestParseGuideThreeMinors(t *testing.T) {
	st := parseFile(t, "guide-drbd840-three-minors.txt")
	assert.Equal(t, "09b6d528b3b3de50462cd7831c0a3791abc665c3", st.GitHash)
	require.Len(t, st.Devices, 3)
	for i, d := range st.Devices {
		assert.Equal(t, i, d.Minor)
	}
	assert.Equal(t, "Primary", st.Devices[1].Role)
	assert.Equal(t, "r---", st.Devices[2].Flags)
	assert.Equal(t, uint64(656), st.Devices[0].Counters.DR)
	assert.Equal(t, "b", st.Devices[0].Counters.WO)
	d, ok := st.Device(2)
	require.True(t, ok)
	assert.Equal(t, "Primary", d.PeerRole)
	_, ok = st.Device(3)
	assert.False(t, ok)
}

func TestParseResync(t *testing.T) {
	d := parseCapture(t, "syncing.node2.proc-drbd.txt").Devices[0]
	assert.Equal(t, "SyncTarget", d.CState)
	require.NotNil(t, d.Sync)
	assert.Equal(t, Sync{Percent: 4.7, RemainingKiB: 251492, TotalKiB: 262100,
		Finish: 3*time.Minute + 52*time.Second, SpeedKiBs: 1060, AvgKiBs: 1060, WantKiBs: 1024}, *d.Sync)
	assert.Equal(t, uint64(262100-251492), d.Sync.DoneKiB())

	src := parseCapture(t, "syncing.node1.proc-drbd.txt").Devices[0]
	require.NotNil(t, src.Sync)
	assert.Equal(t, uint64(1168), src.Sync.SpeedKiBs)
	assert.Zero(t, src.Sync.WantKiBs, "no want: printed")
}

func TestParseVerify(t *testing.T) {
	d := parseCapture(t, "verifying.node1.proc-drbd.txt").Devices[0]
	assert.Equal(t, "VerifyS", d.CState)
	require.NotNil(t, d.Sync)
	assert.True(t, d.Sync.Verify)
	assert.Equal(t, 3.2, d.Sync.Percent)
	assert.Equal(t, uint64(256400), d.Sync.RemainingKiB)
	assert.Equal(t, uint64(1024), d.Sync.WantKiBs)
}

func TestParseUnconfiguredModule(t *testing.T) {
	st := parseCapture(t, "unconfigured.node1.proc-drbd.txt")
	assert.Equal(t, "8.4.11", st.Version)
	assert.Empty(t, st.Devices)
}

func TestParseGapsUnconfiguredAndLargeDevices(t *testing.T) {
	st := parseFile(t, "constructed-gaps-unconfigured-large.txt")
	assert.Equal(t, 1, st.API)
	require.Len(t, st.Devices, 3)
	assert.Equal(t, []int{0, 1, 5}, []int{st.Devices[0].Minor, st.Devices[1].Minor, st.Devices[2].Minor})

	sync := st.Devices[0].Sync
	require.NotNil(t, sync)
	assert.Equal(t, uint64(6212*1024), sync.RemainingKiB, "amounts in M are MiB")
	assert.Equal(t, uint64(9720*1024), sync.TotalKiB)
	assert.Equal(t, uint64(19768), sync.SpeedKiBs)
	assert.Equal(t, uint64(18236), sync.AvgKiBs)
	assert.Equal(t, 5*time.Minute+21*time.Second, sync.Finish)
	assert.Equal(t, "r---n-", st.Devices[0].Flags)

	assert.Equal(t, Device{Minor: 1, CState: "Unconfigured"}, st.Devices[1])

	sa := st.Devices[2]
	assert.Equal(t, "StandAlone", sa.CState)
	assert.Equal(t, "", sa.Protocol)
	assert.Equal(t, map[string]string{"xx": "7"}, sa.Counters.Extra, "unknown counters are kept")
	assert.Equal(t, "d", sa.Counters.WO)
	assert.Nil(t, sa.Sync, "proc-detail lines are not a resync")
}

func TestParseOldStateKeyword(t *testing.T) {
	// DRBD 8.0 to 8.2 wrote st: for the roles.
	in := "version: 8.2.7 (api:88/proto:86-88)\n 0: cs:Connected st:Primary/Secondary ds:UpToDate/UpToDate C r---\n    ns:1 nr:0 dw:1 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0\n"
	st, err := Parse(strings.NewReader(in))
	require.NoError(t, err)
	assert.Equal(t, "Primary", st.Devices[0].Role)
	assert.Equal(t, uint64(1), st.Devices[0].Counters.NS)
}

func TestParseDRBD9VersionOnly(t *testing.T) {
	in := "version: 9.2.4 (api:2/proto:86-121)\nGIT-hash: 6fbd1ab4b3bde0e6bbe8a1eaa7c71f7ab4d4bc11 build by root@x, 2023-05-10 00:00:00\nTransports (api:18): tcp (9.2.4)\n"
	st, err := Parse(strings.NewReader(in))
	require.NoError(t, err)
	assert.Equal(t, 9, st.Major())
	assert.Equal(t, 2, st.API)
	assert.Empty(t, st.Devices)
}

func TestParseErrors(t *testing.T) {
	tests := map[string]struct{ in, line string }{
		"empty":           {"", "empty input"},
		"blank":           {"\n\n", "empty input"},
		"no version":      {" 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n", "line 1"},
		"bad api":         {"version: 8.4.11 (api:x/proto:86-101)\n", "line 1"},
		"bad proto":       {"version: 8.4.11 (api:1/proto:86-x)\n", "line 1"},
		"no cs":           {"version: 8.4.11 (api:1/proto:86-101)\n 0: ro:Primary/Secondary ds:UpToDate/UpToDate\n", "line 2"},
		"no roles":        {"version: 8.4.11 (api:1/proto:86-101)\n 0: cs:Connected\n", "line 2"},
		"bad counter":     {"version: 8.4.11 (api:1/proto:86-101)\n 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n ns:x\n", "line 3"},
		"bad percent":     {"version: 8.4.11 (api:1/proto:86-101)\n 0: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----\n\t[>..] sync'ed: x% (1/2)K\n", "line 3"},
		"bad amounts":     {"version: 8.4.11 (api:1/proto:86-101)\n 0: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----\n\t[>..] sync'ed: 1.0% (1-2)K\n", "line 3"},
		"bad finish time": {"version: 8.4.11 (api:1/proto:86-101)\n 0: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----\n\tfinish: 3:34 speed: 1 (1) K/sec\n", "line 3"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in))
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrFileParse), "%v does not wrap ErrFileParse", err)
			assert.Contains(t, err.Error(), tt.line)
		})
	}
}

func TestParseSkipsUnknownLinesAndFields(t *testing.T) {
	in := "version: 8.4.11 (api:1/proto:86-101)\nsomething new: 1\n 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r----- zz:1\n\tnew detail line\n\t[>....] resynced-ish: 1%\n"
	st, err := Parse(strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, st.Devices, 1)
	assert.Nil(t, st.Devices[0].Sync)
}

func TestDevices(t *testing.T) {
	devs, err := Devices(strings.NewReader("version: 8.4.11 (api:1/proto:86-101)\n 3: cs:Unconfigured\n"))
	require.NoError(t, err)
	assert.Equal(t, []Device{{Minor: 3, CState: "Unconfigured"}}, devs)
	_, err = Devices(strings.NewReader("garbage"))
	assert.ErrorIs(t, err, ErrFileParse)
}

// manyMinors builds an n-minor /proc/drbd from the lab's real lines, with the
// minors renumbered, because no lab runs 64 resources.
func manyMinors(b *testing.B, n int) []byte {
	b.Helper()
	head := "version: 8.4.11 (api:1/proto:86-101)\nsrcversion: F73C670A7EC572DB9CF3E5B \n"
	var buf bytes.Buffer
	buf.WriteString(head)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&buf, "%2d: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n", i)
		buf.WriteString("    ns:65835 nr:0 dw:70024 dr:66187 al:10 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0\n")
	}
	return buf.Bytes()
}

func benchmarkParse(b *testing.B, in []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for i := 0; i < b.N; i++ {
		if _, err := Parse(bytes.NewReader(in)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse1Minor(b *testing.B) {
	benchmarkParse(b, testdata(b, "lab84-01-connected.node1.txt"))
}

func BenchmarkParse64Minors(b *testing.B) { benchmarkParse(b, manyMinors(b, 64)) }
