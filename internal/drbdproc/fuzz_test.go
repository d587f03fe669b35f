package drbdproc

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocf-mfs/ocf-mfs/test/lab/captures"
)

// The parsers read what the kernel and drbd-utils print, during monitors
// and fencing: no input may make them panic, and whatever they accept must
// hold together.

// seedFiles seeds f with the files of testdata/ and the lab's captures
// whose names match pattern.
func seedFiles(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join("testdata", pattern))
	for _, name := range files {
		f.Add(testdata(f, filepath.Base(name)))
	}
	names, _ := captures.Names(pattern)
	for _, name := range names {
		b, err := captures.Bytes(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// rejected reports whether the parser refused the input, failing the test
// when the refusal does not wrap ErrFileParse.
func rejected(t *testing.T, err error) bool {
	if err != nil && !errors.Is(err, ErrFileParse) {
		t.Fatalf("error does not wrap ErrFileParse: %v", err)
	}
	return err != nil
}

func FuzzParseProc(f *testing.F) {
	seedFiles(f, "*.txt")
	f.Fuzz(func(t *testing.T, in []byte) {
		st, err := Parse(bytes.NewReader(in))
		if rejected(t, err) {
			return
		}
		if _, err := json.Marshal(st); err != nil {
			t.Fatalf("accepted state does not encode: %v", err)
		}
		if st.Major() >= 9 && st.DevicesKnown() == nil {
			t.Fatalf("DRBD %s state taken as complete", st.Version)
		}
		prev := -1
		for _, d := range st.Devices {
			if d.CState == "" {
				t.Fatalf("device without cs accepted: %+v", d)
			}
			if d.Minor <= prev {
				t.Fatalf("minor %d after %d accepted", d.Minor, prev)
			}
			prev = d.Minor
			if d.Configured() && (d.Role == "" || d.PeerRole == "" || d.Disk == "" || d.PeerDisk == "") {
				t.Fatalf("configured device with a missing state: %+v", d)
			}
			if d.Healthy() && d.Counters.OOS != 0 {
				t.Fatalf("healthy with oos %d", d.Counters.OOS)
			}
			if s := d.Sync; s != nil {
				if math.IsNaN(s.Percent) || s.Percent < 0 || s.Percent > 100 {
					t.Fatalf("percent %v accepted", s.Percent)
				}
				if s.Finish < 0 {
					t.Fatalf("negative finish %v", s.Finish)
				}
				if s.DoneKiB() > s.TotalKiB {
					t.Fatalf("done %d above total %d", s.DoneKiB(), s.TotalKiB)
				}
			}
		}
	})
}

func FuzzParseEvents2(f *testing.F) {
	seedFiles(f, "*events2*")
	f.Fuzz(func(t *testing.T, in []byte) {
		devs, err := ParseEvents2(bytes.NewReader(in))
		if rejected(t, err) {
			return
		}
		for i, d := range devs {
			if i > 0 && devs[i-1].Minor > d.Minor {
				t.Fatalf("devices not sorted by minor: %d before %d", devs[i-1].Minor, d.Minor)
			}
			if d.CState == "" {
				t.Fatalf("device without a connection state: %+v", d)
			}
			if len(d.Peers) > 0 && (d.CState != d.Peers[0].CState || d.PeerDisk != d.Peers[0].Disk) {
				t.Fatalf("device fields disagree with its first peer: %+v", d)
			}
			for _, p := range d.Peers {
				if p.Disk == "" {
					t.Fatalf("peer without a disk state: %+v", p)
				}
			}
		}
	})
}

func FuzzParseGI(f *testing.F) {
	seedFiles(f, "*-gi*")
	f.Fuzz(func(t *testing.T, in []byte) {
		gi, err := ParseGI(string(in))
		if rejected(t, err) {
			return
		}
		for _, u := range []string{gi.Current, gi.Bitmap, gi.History1, gi.History2} {
			if len(u) != 16 || strings.Trim(strings.ToUpper(u), "0123456789ABCDEF") != "" {
				t.Fatalf("UUID %q accepted", u)
			}
		}
		for _, fl := range gi.Flags {
			if fl != 0 && fl != 1 {
				t.Fatalf("flag %d accepted", fl)
			}
		}
	})
}
