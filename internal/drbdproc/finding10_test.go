package drbdproc

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Linux 3.8 to 3.15 print the amounts of a resync over 4 GiB with
// seq_printf(seq, "(%lu/%lu)M", ...) and no "\n\t", where the KiB branch
// has seq_printf(seq, "(%lu/%lu)K\n\t", ...); the next call is
// seq_printf(seq, "finish: %lu:%02lu:%02lu", ...), so the finish fields
// follow the M on the same line. The fixture reproduces that line.
func TestFinding10ResyncOver4GiBWithoutNewline(t *testing.T) {
	b := testdata(t, "constructed-gaps-unconfigured-large.txt")
	assert.Contains(t, string(b), ")Mfinish: ", "the fixture must carry the line as the kernel printed it")
	st, err := Parse(bytes.NewReader(b))
	require.NoError(t, err)
	s := st.Devices[0].Sync
	require.NotNil(t, s)
	assert.Equal(t, uint64(6212*1024), s.RemainingKiB)
	assert.Equal(t, 5*time.Minute+21*time.Second, s.Finish)
	assert.Equal(t, uint64(19768), s.SpeedKiBs)
	assert.Equal(t, uint64(18236), s.AvgKiBs)
}

func TestFinding10NoNaNOrInfinitePercent(t *testing.T) {
	for _, pct := range []string{"NaN", "nan", "+Inf", "-Inf", "1e400", "-1.0", "100.1", "0x1p3"} {
		in := "version: 8.4.11 (api:1/proto:86-101)\n 0: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----\n\t[>..] sync'ed:" + pct + "% (1/2)K\n"
		st, err := Parse(strings.NewReader(in))
		if err == nil {
			p := st.Devices[0].Sync.Percent
			_, jerr := json.Marshal(p)
			t.Fatalf("sync'ed:%s%% accepted as %v (json: %v)", pct, p, jerr)
		}
		assert.ErrorIs(t, err, ErrFileParse, pct)
		assert.Contains(t, err.Error(), "line 3", pct)
	}
}

// Amounts in MiB are multiplied by 1024; a value that overflows then is an
// error, not a wrapped-around number. A finish estimate beyond what a
// time.Duration holds saturates instead: the kernel does print such
// estimates for a stalled resync.
func TestFinding10HugeValues(t *testing.T) {
	head := "version: 8.4.11 (api:1/proto:86-101)\n 0: cs:SyncTarget ro:Secondary/Primary ds:Inconsistent/UpToDate C r-----\n"
	_, err := Parse(strings.NewReader(head + "\t[>..] sync'ed: 1.0% (18014398509481983/18014398509481984)M\n"))
	require.Error(t, err, "MiB amounts overflowing uint64 KiB must not wrap")
	assert.ErrorIs(t, err, ErrFileParse)
	assert.Contains(t, err.Error(), "line 3")

	st, err := Parse(strings.NewReader(head + "\t[>..] sync'ed: 1.0% (1/2)K\n\tfinish: 5124095576030431:00:00 speed: 1 (1) K/sec\n"))
	require.NoError(t, err)
	assert.Equal(t, time.Duration(math.MaxInt64), st.Devices[0].Sync.Finish, "an estimate beyond time.Duration saturates")
	assert.Positive(t, st.Devices[0].Sync.Finish)
}

// DRBD 0.7 and 8.0 print sprintf("version: " REL_VERSION " (api:%d/proto:%d)\n"...):
// one protocol version, no range.
func TestFinding10DRBD80Header(t *testing.T) {
	st, err := Parse(strings.NewReader("version: 8.0.16 (api:86/proto:86)\nGIT-hash: 0000 build by x\n 0: cs:Connected st:Primary/Secondary ds:UpToDate/UpToDate C r---\n"))
	require.NoError(t, err)
	assert.Equal(t, 86, st.API)
	assert.Equal(t, 86, st.ProtoMin)
	assert.Equal(t, 86, st.ProtoMax)
	require.Len(t, st.Devices, 1)
}

func TestFinding10DuplicateAndMalformedMinors(t *testing.T) {
	head := "version: 8.4.11 (api:1/proto:86-101)\n"
	ok := " 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n"
	tests := map[string]struct{ in, want string }{
		"duplicate":          {head + ok + "    ns:0\n" + ok, "line 4: minor 0 is listed twice (first on line 2)"},
		"negative minor":     {head + "-1: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n", "line 2"},
		"non-numeric minor":  {head + " x: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n", "line 2"},
		"overflowing minor":  {head + "99999999999999999999: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n", "line 2"},
		"roles without /":    {head + " 0: cs:Connected ro:Primary ds:UpToDate/UpToDate C r-----\n", "line 2"},
		"disks without /":    {head + " 0: cs:Connected ro:Primary/Secondary ds:UpToDate C r-----\n", "line 2"},
		"empty cs":           {head + " 0: cs: ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n", "line 2"},
		"minor out of order": {head + " 1: cs:Unconfigured\n 0: cs:Unconfigured\n", "line 3"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in))
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrFileParse)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// DRBD 9 keeps only the version in /proc/drbd; a caller that has the file
// and nothing else must learn that, not see zero devices.
func TestFinding10DRBD9ProcIsNotAnEmptyState(t *testing.T) {
	in := "version: 9.2.4 (api:2/proto:86-121)\nGIT-hash: 6fbd1ab4b3bde0e6bbe8a1eaa7c71f7ab4d4bc11 build by root@x, 2023-05-10 00:00:00\nTransports (api:18): tcp (9.2.4)\n"
	st, err := Parse(strings.NewReader(in))
	require.NoError(t, err, "Source needs the version to know it must ask drbdsetup")
	err = st.DevicesKnown()
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrDRBD9), "%v", err)
	assert.Contains(t, err.Error(), "DRBD 9")
	assert.Contains(t, err.Error(), "drbdsetup")

	st84 := parseCapture(t, "unconfigured.node1.proc-drbd.txt")
	assert.NoError(t, st84.DevicesKnown(), "8.4 with no resource up really has no device")
}

func TestFinding10OutOfSyncIsNotHealthy(t *testing.T) {
	d := parseFile(t, "lab84-01-connected.node1.txt").Devices[0]
	require.True(t, d.Healthy())
	d.Counters.OOS = 4
	assert.False(t, d.Healthy(), "Connected UpToDate/UpToDate with blocks out of sync after a verify is not healthy")
}
