package splitbraincli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"

	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
	"github.com/ocf-mfs/ocf-mfs/internal/splitbrain/marker"
	"github.com/ocf-mfs/ocf-mfs/test/lab/captures"
)

type statusEnv struct {
	live    string // /proc/drbd served as the live state
	events2 string // DRBD 9: an events2 fixture of drbdproc served as the live state
	names   map[int]string
	kernel  map[int]bool
	markers *marker.Store
	tty     bool
	stdin   string
}

func (e *statusEnv) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	if e.markers == nil {
		e.markers = &marker.Store{Dir: t.TempDir()}
	}
	d := StatusDeps{
		Read: func(context.Context) (*drbdproc.Status, error) {
			if e.events2 != "" {
				devs, err := drbdproc.ParseEvents2(strings.NewReader(readFile(t, filepath.Join("..", "drbdproc", "testdata", e.events2))))
				return &drbdproc.Status{Version: "9.2.4", API: 2, ProtoMin: 86, ProtoMax: 121, Devices: devs}, err
			}
			if e.live == "" {
				return nil, os.ErrNotExist
			}
			return drbdproc.Parse(strings.NewReader(e.live))
		},
		Names: func(context.Context) (map[int]string, error) {
			if e.names == nil {
				return nil, errors.New("drbdadm: no config")
			}
			return e.names, nil
		},
		Markers:  e.markers,
		Kernel:   func() map[int]bool { return e.kernel },
		Stdin:    strings.NewReader(e.stdin),
		Terminal: func() bool { return e.tty },
	}
	var out, errOut bytes.Buffer
	app := NewApp(Deps{Status: d}, "test", &out, &errOut)
	app.ExitErrHandler = func(*cli.Context, error) {}
	err := app.Run(append([]string{"drbd-splitbrain"}, args...))
	code := 0
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		code = ec.ExitCode()
		errOut.WriteString(err.Error())
	} else if err != nil {
		code = -1
	}
	return code, out.String(), errOut.String()
}

func TestStatusJSONSchema(t *testing.T) {
	e := &statusEnv{live: readFile(t, "testdata/lab84-01-connected.node1.txt"), names: map[int]string{0: "r0"}}
	code, out, _ := e.run(t, "status", "--json")
	assert.Equal(t, StatusHealthy, code)
	assert.JSONEq(t, `{"version":"8.4.11","api":1,"proto_min":86,"proto_max":101,"devices":[{"minor":0,"resource":"r0",
		"cs":"Connected","role":"Primary","peer_role":"Secondary","disk":"UpToDate","peer_disk":"UpToDate",
		"protocol":"C","oos_kib":0,"sync":null,"split_brain":"none",
		"peers":[{"node_id":-1,"name":"","cs":"Connected","replication":"","role":"Secondary","disk":"UpToDate","oos_kib":0}]}]}`, out)
}

func TestStatusJSONSync(t *testing.T) {
	e := &statusEnv{live: captures.Read(t, "verifying.node1.proc-drbd.txt")}
	code, out, _ := e.run(t, "status", "--json")
	assert.Equal(t, StatusDegraded, code, "a verify is not Connected")
	var rep map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	dev := rep["devices"].([]any)[0].(map[string]any)
	assert.Equal(t, "", dev["resource"], "unknown names are empty strings")
	assert.Equal(t, map[string]any{"percent": 3.2, "done_kib": float64(262100 - 256400), "total_kib": float64(262100),
		"finish_s": float64(213), "speed_kib_s": float64(1140)}, dev["sync"])
}

func TestStatusExitCodesAndVerdicts(t *testing.T) {
	tests := []struct {
		name    string
		e       statusEnv
		code    int
		verdict string
	}{
		{"healthy", statusEnv{live: readFile(t, "testdata/lab84-01-connected.node1.txt")}, StatusHealthy, "none"},
		{"primary waiting for a lost peer is degraded, not split", statusEnv{live: readFile(t, "testdata/lab84-02-partitioned-dual-primary.node1.txt")}, StatusDegraded, "none"},
		{"resync is degraded", statusEnv{live: captures.Read(t, "victim-reconnecting.node2.proc-drbd.txt")}, StatusDegraded, "none"},
		{"StandAlone alone is suspected", statusEnv{live: captures.Read(t, "split-brain.node1.proc-drbd.txt")}, StatusSplitBrain, "suspected"},
		{"kernel log confirms", statusEnv{live: captures.Read(t, "split-brain.node1.proc-drbd.txt"), kernel: map[int]bool{0: true}}, StatusSplitBrain, "confirmed"},
		{"kernel log of another minor does not", statusEnv{live: captures.Read(t, "split-brain.node1.proc-drbd.txt"), kernel: map[int]bool{1: true}}, StatusSplitBrain, "suspected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, _ := tt.e.run(t, "status", "--json")
			assert.Equal(t, tt.code, code)
			var rep Report
			require.NoError(t, json.Unmarshal([]byte(out), &rep))
			require.Len(t, rep.Devices, 1)
			assert.Equal(t, tt.verdict, rep.Devices[0].SplitBrain)
		})
	}
}

// Finding 11: status deleted the marker when it saw the resource
// connected: a read-only command wrote. The marker now stays (resolve and
// the after-resync-target handler clear it); connected reads as healthy.
func TestStatusIsReadOnly(t *testing.T) {
	m := &marker.Store{Dir: t.TempDir()}
	require.NoError(t, m.Record(marker.Marker{Resource: "r0", DetectedAt: time.Now()}))
	sb := &statusEnv{live: captures.Read(t, "split-brain.node1.proc-drbd.txt"), names: map[int]string{0: "r0"}, markers: m}
	code, out, _ := sb.run(t, "status")
	assert.Equal(t, StatusSplitBrain, code)
	assert.Contains(t, out, "SPLIT BRAIN (confirmed)")
	assert.Contains(t, out, "drbd-splitbrain resolve r0")

	ok := &statusEnv{live: captures.Read(t, "resynced.node1.proc-drbd.txt"), names: map[int]string{0: "r0"}, markers: m}
	code, _, _ = ok.run(t, "status")
	assert.Equal(t, StatusHealthy, code)
	got, err := m.Load("r0")
	require.NoError(t, err)
	assert.NotNil(t, got, "status must not remove the marker")
}

func TestStatusSavedCopyIgnoresThisNode(t *testing.T) {
	m := &marker.Store{Dir: t.TempDir()}
	require.NoError(t, m.Record(marker.Marker{Resource: "r0", DetectedAt: time.Now()}))
	e := &statusEnv{names: map[int]string{0: "r0"}, kernel: map[int]bool{0: true}, markers: m}
	code, out, _ := e.run(t, "--proc-drbd", captures.File(t, "split-brain.node1.proc-drbd.txt"), "status", "--json")
	assert.Equal(t, StatusSplitBrain, code)
	var rep Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.Equal(t, "", rep.Devices[0].Resource, "a saved copy is not named from this node's drbd.conf")
	assert.Equal(t, "suspected", rep.Devices[0].SplitBrain, "nor judged by this node's kernel log")

	e.stdin = readFile(t, "testdata/lab84-01-connected.node1.txt")
	code, out, _ = e.run(t, "--proc-drbd", "-", "status")
	assert.Equal(t, StatusHealthy, code)
	assert.Contains(t, out, "Connected")
}

func TestStatusHumanOutput(t *testing.T) {
	e := &statusEnv{live: captures.Read(t, "victim-reconnecting.node2.proc-drbd.txt"), names: map[int]string{0: "r0"}}
	_, out, _ := e.run(t, "status")
	assert.Regexp(t, `^\s*0 r0\s+WFConnection\s+Secondary/Unknown UpToDate/DUnknown oos:36 KiB  degraded\n$`, out)
	assert.NotContains(t, out, "\x1b[", "no colours without a terminal")

	e.tty = true
	_, out, _ = e.run(t, "status")
	assert.Contains(t, out, "\x1b[33m", "problems are highlighted on a terminal")

	v := &statusEnv{live: captures.Read(t, "verifying.node1.proc-drbd.txt")}
	_, out, _ = v.run(t, "status")
	assert.Contains(t, out, "3.2% (5.6 MiB of 256.0 MiB, 1140 KiB/s, 0:03:33 left)")
}

func TestStatusSelectsResources(t *testing.T) {
	e := &statusEnv{live: readFile(t, "testdata/lab84-01-connected.node1.txt"), names: map[int]string{0: "r0"}}
	code, out, _ := e.run(t, "status", "r0")
	assert.Equal(t, StatusHealthy, code)
	assert.Contains(t, out, "r0")
	code, _, errOut := e.run(t, "status", "nope")
	assert.Equal(t, StatusError, code)
	assert.Contains(t, errOut, `resource "nope" not found`)
}

func TestStatusErrors(t *testing.T) {
	e := &statusEnv{}
	code, _, errOut := e.run(t, "status")
	assert.Equal(t, StatusError, code)
	assert.Contains(t, errOut, "DRBD module is not loaded")

	code, _, errOut = e.run(t, "--proc-drbd", "testdata/README.md", "status")
	assert.Equal(t, StatusError, code)
	assert.Contains(t, errOut, "line 1")

	code, _, _ = e.run(t, "--proc-drbd", "testdata/none", "status")
	assert.Equal(t, StatusError, code)
}

func TestUnknownCommandIsAnErrorNotASplitBrain(t *testing.T) {
	exited := -1
	old := cli.OsExiter
	cli.OsExiter = func(code int) { exited = code }
	defer func() { cli.OsExiter = old }()
	(&statusEnv{}).run(t, "stauts")
	assert.Equal(t, 1, exited)
}

// A saved DRBD 9 /proc/drbd holds the version only: status must say so and
// fail, not report "no devices" as healthy. Synthetic input: the first
// lines of DRBD 9.2's /proc/drbd.
func TestFinding10StatusDRBD9ProcFile(t *testing.T) {
	e := &statusEnv{stdin: "version: 9.2.4 (api:2/proto:86-121)\nGIT-hash: 6fbd1ab4b3bde0e6bbe8a1eaa7c71f7ab4d4bc11 build by root@x, 2023-05-10 00:00:00\nTransports (api:18): tcp (9.2.4)\n"}
	code, out, errOut := e.run(t, "--proc-drbd", "-", "status", "--json")
	assert.Equal(t, StatusError, code, out)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "DRBD 9")
	assert.Contains(t, errOut, "drbdsetup")
}

// A verify that found differences leaves Connected UpToDate/UpToDate with
// oos above 0: degraded, not healthy. Synthetic input: a lab capture with
// oos changed.
func TestFinding10StatusOutOfSyncDegraded(t *testing.T) {
	in := strings.Replace(readFile(t, "testdata/lab84-01-connected.node1.txt"), "oos:0", "oos:4", 1)
	require.Contains(t, in, "oos:4")
	e := &statusEnv{stdin: in}
	code, out, _ := e.run(t, "--proc-drbd", "-", "status")
	assert.Equal(t, StatusDegraded, code, out)
	assert.Contains(t, out, "degraded")
}

// Finding 13: --proc-drbd is read after the subcommand too, as operators
// type it (`status --proc-drbd saved.txt`).
func TestFinding13ProcDrbdAfterSubcommand(t *testing.T) {
	e := &statusEnv{stdin: readFile(t, "testdata/lab84-01-connected.node1.txt")}
	code, out, errOut := e.run(t, "status", "--proc-drbd", "-", "--json")
	require.Equal(t, StatusHealthy, code, errOut)
	assert.Contains(t, out, `"cs":"Connected"`)

	path := filepath.Join(t.TempDir(), "saved.txt")
	require.NoError(t, os.WriteFile(path, []byte(captures.Read(t, "split-brain.node1.proc-drbd.txt")), 0o644))
	e = &statusEnv{live: readFile(t, "testdata/lab84-01-connected.node1.txt")}
	code, out, _ = e.run(t, "status", "--proc-drbd", path)
	assert.Equal(t, StatusSplitBrain, code, out)
	// Before the subcommand it still works, and the later one wins.
	code, _, _ = e.run(t, "--proc-drbd", path, "status")
	assert.Equal(t, StatusSplitBrain, code)
}

// Finding 13: a mistyped flag printed the help and the error twice (once
// by urfave/cli, once by main). The error must appear once, with one
// pointer to the usage, and exit 1. mainRun mirrors cmd/drbd-splitbrain.
func TestFinding13FlagTypoPrintedOnce(t *testing.T) {
	for _, args := range [][]string{{"status", "--jsn"}, {"--proc-drbdd", "x", "status"}, {"resolve", "--discard-lokal", "r0"}} {
		var out, errOut bytes.Buffer
		app := NewApp(Deps{Status: StatusDeps{Read: func(context.Context) (*drbdproc.Status, error) { return nil, os.ErrNotExist }}},
			"test", &out, &errOut)
		code := mainRun(app, append([]string{"drbd-splitbrain"}, args...), &errOut)
		all := out.String() + errOut.String()
		assert.Equal(t, 1, code, "%v: %s", args, all)
		assert.Equal(t, 1, strings.Count(all, "flag provided but not defined"), "%v: %s", args, all)
		assert.Equal(t, 1, strings.Count(strings.ToLower(all), "usage"), "%v: %s", args, all)
	}
}

// mainRun is what cmd/drbd-splitbrain's main does with the app, with the
// exit captured instead of taken.
func mainRun(app *cli.App, args []string, stderr io.Writer) (code int) {
	app.ExitErrHandler = func(_ *cli.Context, err error) {
		var ec cli.ExitCoder
		if errors.As(err, &ec) {
			if msg := err.Error(); msg != "" {
				fmt.Fprintln(stderr, msg)
			}
			code = ec.ExitCode()
		}
	}
	if err := app.Run(args); err != nil {
		var ec cli.ExitCoder
		if errors.As(err, &ec) {
			return ec.ExitCode()
		}
		fmt.Fprintln(stderr, "drbd-splitbrain:", err)
		return 1
	}
	return code
}
