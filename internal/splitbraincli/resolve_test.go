package splitbraincli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocf-mfs/ocf-mfs/internal/logging"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"

	"github.com/ocf-mfs/ocf-mfs/internal/crm"
	"github.com/ocf-mfs/ocf-mfs/internal/drbdadm"
	"github.com/ocf-mfs/ocf-mfs/internal/drbdproc"
	"github.com/ocf-mfs/ocf-mfs/internal/runner"
	"github.com/ocf-mfs/ocf-mfs/internal/splitbrain"
	"github.com/ocf-mfs/ocf-mfs/test/lab/captures"
)

// The lab's node2 through the recovery (test/lab/captures, *.node2.proc-drbd.txt):
// split-brain, victim-reconnecting, resynced.
var (
	sbNode2 = drbdproc.Device{Minor: 0, CState: "StandAlone", Role: "Primary", PeerRole: "Unknown", Disk: "UpToDate", PeerDisk: "DUnknown",
		Protocol: "", Flags: "r-----", Counters: drbdproc.Counters{OOS: 36}}
	reconnectingNode2 = drbdproc.Device{Minor: 0, CState: "WFConnection", Role: "Secondary", PeerRole: "Unknown", Disk: "UpToDate", PeerDisk: "DUnknown",
		Protocol: "C", Counters: drbdproc.Counters{OOS: 36}}
	resyncedNode2 = drbdproc.Device{Minor: 0, CState: "Connected", Role: "Secondary", PeerRole: "Primary", Disk: "UpToDate", PeerDisk: "UpToDate", Protocol: "C"}
)

type env struct {
	fake   *runner.Fake
	states []drbdproc.Device
	// sets, when given, replaces states: every volume at each read.
	sets [][]drbdproc.Device
	// source, when given, replaces both: a real drbdproc.Source.
	source *drbdproc.Source
	statfs func(string) (uint64, error)
	root   string
	lock   string
	out    bytes.Buffer
	log    bytes.Buffer
	// hang lists commands that never end until their context does, as a
	// drbdadm stuck on the kernel or a cibadmin on a CIB that does not answer.
	hang       map[string]bool
	cmdTimeout time.Duration
	euid       int // the user resolve runs as; 0, root, unless set
}

// hangRunner serves e.fake, but blocks the commands in hang until their
// context ends.
type hangRunner struct{ e *env }

func (h hangRunner) Run(ctx context.Context, name string, args ...string) (runner.Result, error) {
	if h.e.hang[strings.Join(append([]string{name}, args...), " ")] {
		<-ctx.Done()
		return runner.Result{ExitCode: -1}, fmt.Errorf("%s: %w", name, ctx.Err())
	}
	return h.e.fake.Run(ctx, name, args...)
}

func newEnv(t *testing.T, states ...drbdproc.Device) *env {
	e := &env{fake: &runner.Fake{}, states: states, root: t.TempDir(), lock: t.TempDir()}
	require.NoError(t, os.MkdirAll(filepath.Join(e.root, "proc"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(e.root, "proc/mounts"), []byte("proc /proc proc rw 0 0\n"), 0o644))
	e.fake.On("drbdadm sh-minor r0", runner.OK(captures.Read(t, "connected.node1.drbdadm-sh-minor.txt")))
	return e
}

func (e *env) noCluster() *env {
	e.fake.On("cibadmin -Q -o resources", runner.Exit(102, "Could not connect to the CIB: Transport endpoint is not connected\n"))
	return e
}

func (e *env) run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	i := 0
	r := hangRunner{e}
	deps := ResolveDeps{Resolver: splitbrain.Resolver{
		Runner: r, Drbd: &drbdadm.Client{Runner: r}, CRM: &crm.Client{Runner: r}, CommandTimeout: e.cmdTimeout,
		ReadState: func(context.Context) (*drbdproc.Status, error) {
			sets := e.sets
			if sets == nil {
				for _, d := range e.states {
					sets = append(sets, []drbdproc.Device{d})
				}
			}
			if len(sets) == 0 {
				return nil, errors.New("no state")
			}
			devs := sets[i]
			if i < len(sets)-1 {
				i++
			}
			return &drbdproc.Status{Version: "8.4.11", Devices: devs}, nil
		},
		Hostname: func() (string, error) { return "node2", nil },
		Root:     e.root, LockDir: e.lock,
		Log:      logging.NewTestLogger("drbd-splitbrain", &e.log),
		Now:      func() time.Time { return time.Date(2026, 11, 24, 21, 45, 0, 0, time.UTC) },
		Interval: time.Millisecond,
		Statfs:   e.statfs,
	}, Geteuid: func() int { return e.euid }}
	if e.source != nil {
		deps.ReadState = e.source.Read
	}
	app := &cli.App{Name: "drbd-splitbrain", Writer: &e.out, ErrWriter: &e.out, Commands: []*cli.Command{ResolveCommand(deps)},
		ExitErrHandler: func(*cli.Context, error) {}}
	err := app.Run(append([]string{"drbd-splitbrain", "resolve"}, args...))
	code := 0
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		code = ec.ExitCode()
		e.out.WriteString(err.Error() + "\n")
	} else if err != nil {
		code = -1
		e.out.WriteString(err.Error() + "\n")
	}
	return code, e.out.String()
}

func TestResolveVictimWithBackup(t *testing.T) {
	e := newEnv(t, sbNode2, sbNode2, reconnectingNode2, resyncedNode2).noCluster()
	disk := filepath.Join(e.root, "dev/vdb")
	require.NoError(t, os.MkdirAll(filepath.Dir(disk), 0o755))
	require.NoError(t, os.WriteFile(disk, append(make([]byte, 3<<20), []byte("victim's write")...), 0o600))
	e.fake.On("drbdadm sh-ll-dev r0", runner.OK("/dev/vdb\n")).
		On("drbdadm disconnect r0", runner.Exit(10, captures.Read(t, "split-brain.node2.drbdadm-disconnect-standalone.stderr.txt"))).
		On("drbdadm secondary r0", runner.OK("")).
		On("drbdadm connect --discard-my-data r0", runner.OK(""))
	backup := filepath.Join(t.TempDir(), "sb")

	code, out := e.run(t, "--discard-local", "--yes", "--backup-dir", backup, "r0")
	require.Equal(t, 0, code, out)
	assert.Equal(t, []string{"drbdadm sh-minor r0", "cibadmin -Q -o resources", "drbdadm sh-ll-dev r0",
		"drbdadm disconnect r0", "drbdadm secondary r0", "drbdadm connect --discard-my-data r0"}, e.fake.Calls())
	for _, want := range []string{"== plan ==", "cs:StandAlone ro:Primary/Unknown", "role: victim (--discard-local)",
		"drbdadm disconnect r0   (exit [10] expected on StandAlone)", "WARNING: this node's writes since the split (36 KiB",
		"then on the peer: drbd-splitbrain resolve --keep-local --yes r0", "== commit ==", "== verify ==",
		"recovered: cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate", "next: crm resource refresh"} {
		assert.Contains(t, out, want)
	}
	img := filepath.Join(backup, "r0-node2-20261124T214500Z.img")
	got, err := os.ReadFile(img)
	require.NoError(t, err)
	assert.True(t, bytes.HasSuffix(got, []byte("victim's write")))
	assert.FileExists(t, img+".sha256")
	assert.FileExists(t, img+".json")
	// The backup happened before anything was discarded.
	commit := out[strings.Index(out, "== commit =="):]
	assert.Less(t, strings.Index(commit, "backup: "), strings.Index(commit, "drbdadm disconnect r0"))
	assert.Contains(t, e.log.String(), "step 3/3")
}

func TestResolveRefusals(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		setup func(e *env)
		want  string
	}{
		{name: "ambiguous without a cluster", args: []string{"--yes", "r0"}, setup: func(e *env) { e.noCluster() }, want: "no Pacemaker cluster"},
		{name: "both choices", args: []string{"--discard-local", "--keep-local", "r0"}, setup: func(*env) {}, want: "contradict"},
		{name: "no terminal and no --yes", args: []string{"--discard-local", "r0"}, setup: func(e *env) { e.noCluster() }, want: "run with --yes"},
		{name: "connected", args: []string{"--discard-local", "--yes", "r0"}, setup: func(e *env) {
			e.states = []drbdproc.Device{resyncedNode2}
			e.noCluster()
		}, want: "no split brain to resolve"},
		{name: "mounted victim", args: []string{"--discard-local", "--yes", "r0"}, setup: func(e *env) {
			require.NoError(t, os.WriteFile(filepath.Join(e.root, "proc/mounts"), []byte("/dev/drbd0 /data ext4 rw 0 0\n"), 0o644))
			e.noCluster()
		}, want: "mounted on /data"},
		{name: "pacemaker promotes here", args: []string{"--discard-local", "--yes", "r0"}, setup: func(e *env) {
			e.fake.On("cibadmin -Q -o resources", runner.OK(`<resources><clone id="ms_drbd"><primitive id="p_drbd_r0" class="ocf" provider="linbit" type="drbd"><instance_attributes id="i"><nvpair id="n" name="drbd_resource" value="r0"/></instance_attributes></primitive></clone></resources>`)).
				On("crm_resource --locate -r ms_drbd", runner.OK("resource ms_drbd is running on: node1\nresource ms_drbd is running on: node2 Promoted\n"))
		}, want: "promoted instance of ms_drbd on this node (node2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sbNode2)
			tt.setup(e)
			code, out := e.run(t, tt.args...)
			assert.Equal(t, ExitRefused, code, out)
			assert.Contains(t, out, tt.want)
			assert.Contains(t, out, "refused (nothing changed)")
			for _, c := range e.fake.Calls() {
				for _, verb := range []string{"disconnect", "secondary", "connect"} {
					assert.NotContains(t, c, "drbdadm "+verb, "a refusal must not change anything")
				}
			}
		})
	}
}

func TestResolveDryRun(t *testing.T) {
	e := newEnv(t, sbNode2).noCluster()
	code, out := e.run(t, "--discard-local", "--dry-run", "r0")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "drbdadm connect --discard-my-data r0")
	assert.Contains(t, out, "dry run: nothing changed")
	assert.Equal(t, []string{"drbdadm sh-minor r0", "cibadmin -Q -o resources"}, e.fake.Calls())
}

func TestResolveSurvivorWaitsOnlyAndTimesOut(t *testing.T) {
	// node1 after the victim reconnected: still StandAlone Primary. As a
	// survivor in WFConnection nothing runs: only the wait.
	wfc := drbdproc.Device{CState: "WFConnection", Role: "Primary", PeerRole: "Unknown", Disk: "UpToDate", PeerDisk: "DUnknown", Counters: drbdproc.Counters{OOS: 36}}
	e := newEnv(t, wfc).noCluster()
	code, out := e.run(t, "--keep-local", "--yes", "--timeout", "30ms", "r0")
	assert.Equal(t, ExitNotVerified, code, out)
	assert.Contains(t, out, "nothing to run")
	assert.Contains(t, out, "on the peer, run: drbd-splitbrain resolve --discard-local --yes r0")
	assert.Contains(t, out, "not verified within 30ms")
	assert.Equal(t, []string{"drbdadm sh-minor r0", "cibadmin -Q -o resources"}, e.fake.Calls())
}

func TestResolveRunsPeerOverSSH(t *testing.T) {
	sbNode1 := sbNode2
	e := newEnv(t, sbNode1, resyncedNode2).noCluster()
	ssh := "ssh -o BatchMode=yes -- node1 'drbd-splitbrain' 'resolve' '--discard-local' '--yes' '--timeout' '1m0s' 'r0'"
	e.fake.On("drbdadm connect r0", runner.OK("")).On(ssh, runner.OK("recovered: cs:Connected\n"))
	code, out := e.run(t, "--keep-local", "--yes", "--peer", "node1", "--timeout", "1m", "r0")
	require.Equal(t, 0, code, out)
	assert.Equal(t, []string{"drbdadm sh-minor r0", "cibadmin -Q -o resources", "drbdadm connect r0", ssh}, e.fake.Calls())
	assert.Contains(t, out, "node1: recovered: cs:Connected")
}

func TestResolveCommitFailureIsError(t *testing.T) {
	e := newEnv(t, sbNode2).noCluster()
	e.fake.On("drbdadm disconnect r0", runner.Exit(10, "unknown connection\n")).
		On("drbdadm secondary r0", runner.Exit(11, "0: State change failed: (-12) Device is held open by someone\n"))
	code, out := e.run(t, "--discard-local", "--yes", "r0")
	assert.Equal(t, ExitError, code, out)
	assert.Contains(t, out, "held open by someone")
	assert.NotContains(t, strings.Join(e.fake.Calls(), "\n"), "discard-my-data")
	assert.Equal(t, 1, strings.Count(e.log.String(), "ERROR"), "a failed commit is logged once:\n%s", e.log.String())
}

func TestResolveLocked(t *testing.T) {
	e := newEnv(t, sbNode2).noCluster()
	other := newEnvLockHolder(t, e.lock)
	defer other()
	code, out := e.run(t, "--discard-local", "--yes", "r0")
	assert.Equal(t, ExitRefused, code, out)
	assert.Contains(t, out, "another drbd-splitbrain resolve is running")
	assert.Empty(t, e.fake.Calls())
}

func TestInterspersed(t *testing.T) {
	flags := resolveCommand(ResolveDeps{}).Flags
	assert.Equal(t, []string{"--discard-local", "--yes", "--backup-dir", "/var/tmp/sb", "--", "r0"},
		Interspersed([]string{"r0", "--discard-local", "--yes", "--backup-dir", "/var/tmp/sb"}, flags))
	assert.Equal(t, []string{"--timeout=1m", "-y", "--", "r0", "-x"},
		Interspersed([]string{"--timeout=1m", "r0", "-y", "--", "-x"}, flags))
	assert.Equal(t, []string{"--peer"}, Interspersed([]string{"--peer"}, flags))
}

// The form the lab proof uses: options after the resource.
func TestResolveOptionsAfterResource(t *testing.T) {
	e := newEnv(t, sbNode2).noCluster()
	code, out := e.run(t, "r0", "--discard-local", "--dry-run")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "role: victim (--discard-local)")
	assert.Contains(t, out, "dry run: nothing changed")

	code, out = newEnv(t, sbNode2).run(t, "r0", "r1", "--dry-run")
	assert.Equal(t, ExitError, code, out)
	assert.Contains(t, out, "usage: drbd-splitbrain resolve")
}

func TestResolveHelp(t *testing.T) {
	e := newEnv(t)
	code, out := e.run(t, "--help")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "--discard-local")
	assert.Contains(t, out, "3 committed but not verified")
	assert.Empty(t, e.fake.Calls())
}

// Finding 2: --peer '-oProxyCommand=...' ran a command locally (no "--"
// before the host) and the resource name reached the peer's shell
// unquoted. Both are refused before anything runs, and what does run is
// quoted for the remote shell.
func TestResolveRefusesCommandInjection(t *testing.T) {
	for _, tc := range []struct{ name, peer, res string }{
		{"ssh option as peer", "-oProxyCommand=touch /tmp/x", "r0"},
		{"peer with a space", "node1 touch", "r0"},
		{"peer with a shell character", "node1;id", "r0"},
		{"resource with shell", "node1", "r0;touch${IFS}/tmp/x"},
		{"resource as option", "node1", "--help"},
		{"resource with a slash", "node1", "../r0"},
		{"resource with a quote", "node1", "r0'x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, sbNode2).noCluster()
			code, out := e.run(t, "--keep-local", "--yes", "--peer", tc.peer, "--", tc.res)
			assert.Equal(t, ExitRefused, code, out)
			for _, c := range e.fake.Calls() {
				assert.False(t, strings.HasPrefix(c, "ssh"), "ran %s", c)
				assert.NotContains(t, c, "drbdadm connect", "ran %s", c)
			}
		})
	}
	// A valid peer goes after "--", and the remote words are quoted.
	e := newEnv(t, sbNode2, resyncedNode2).noCluster()
	ssh := "ssh -o BatchMode=yes -- root@node1.example 'drbd-splitbrain' 'resolve' '--discard-local' '--yes' '--timeout' '1m0s' 'r0'"
	e.fake.On("drbdadm connect r0", runner.OK("")).On(ssh, runner.OK("recovered\n"))
	code, out := e.run(t, "--keep-local", "--yes", "--peer", "root@node1.example", "--timeout", "1m", "r0")
	require.Equal(t, 0, code, out)
	assert.Contains(t, e.fake.Calls(), ssh)
}

// Finding 3: with the clone promoted on both nodes, as right after a
// partition heals, the role depended on which `crm_resource --locate` line
// came first. Both orders now give the same answer: ask the operator.
// The two-line output is synthetic, built from the lab's one-line capture
// (test/lab/captures, pacemaker.node1.crm_resource-locate-clone.txt) with a line per node.
func TestResolveRoleIgnoresLocateLineOrder(t *testing.T) {
	both := []string{
		"resource ms_drbd is running on: node1 Promoted\nresource ms_drbd is running on: node2 Promoted\n",
		"resource ms_drbd is running on: node2 Promoted\nresource ms_drbd is running on: node1 Promoted\n",
	}
	for _, locate := range both {
		for _, dev := range []drbdproc.Device{sbNode2, reconnectingNode2} {
			e := newEnv(t, dev)
			e.fake.On("cibadmin -Q -o resources", runner.OK(msResources)).
				On("crm_resource --locate -r ms_drbd", runner.OK(locate))
			code, out := e.run(t, "--yes", "r0")
			assert.Equal(t, ExitRefused, code, out)
			assert.Contains(t, out, "promoted on more than one node")
			for _, c := range e.fake.Calls() {
				assert.NotContains(t, c, "drbdadm connect")
				assert.NotContains(t, c, "drbdadm disconnect")
			}
		}
	}
}

// Finding 8: a drbdadm, cibadmin or crm_resource that never returns must
// not hang resolve: each command has its own deadline.
func TestFinding8EveryCommandHasADeadline(t *testing.T) {
	tests := []struct {
		name string
		hang string
		args []string
		want string
	}{
		{"drbdadm sh-minor", "drbdadm sh-minor r0", []string{"--discard-local", "--yes", "r0"}, "sh-minor"},
		{"cibadmin", "cibadmin -Q -o resources", []string{"--yes", "r0"}, "cannot choose a role"},
		{"crm_resource", "crm_resource --locate -r ms_drbd", []string{"--yes", "r0"}, "cannot choose a role"},
		{"drbdadm connect", "drbdadm connect --discard-my-data r0", []string{"--discard-local", "--yes", "r0"}, "connect --discard-my-data"},
		{"ssh", "ssh -o BatchMode=yes -- node1 'drbd-splitbrain' 'resolve' '--keep-local' '--yes' '--timeout' '100ms' 'r0'",
			[]string{"--discard-local", "--yes", "--peer", "node1", "r0"}, "peer side failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sbNode2, sbNode2, reconnectingNode2)
			e.hang = map[string]bool{tt.hang: true}
			e.cmdTimeout = 50 * time.Millisecond
			e.fake.On("cibadmin -Q -o resources", runner.OK(msResources)).
				On("crm_resource --locate -r ms_drbd", runner.OK("resource ms_drbd is running on: node1 Promoted\n")).
				On("drbdadm disconnect r0", runner.Exit(10, "")).
				On("drbdadm secondary r0", runner.OK("")).
				On("drbdadm connect --discard-my-data r0", runner.OK(""))
			type result struct {
				code int
				out  string
			}
			done := make(chan result, 1)
			go func() {
				code, out := e.run(t, append([]string{"--timeout", "100ms"}, tt.args...)...)
				done <- result{code, out}
			}()
			select {
			case r := <-done:
				assert.NotEqual(t, 0, r.code, r.out)
				assert.Contains(t, r.out, tt.want)
			case <-time.After(10 * time.Second):
				t.Fatalf("resolve still waits on a hanging %q", tt.hang)
			}
		})
	}
}

// Finding 13: resolve and the handlers need root (drbdadm, /proc/PID/fd,
// the lock directory, the CIB); as another user they must stop before
// running anything, with a message saying so. status may run as anyone.
func TestFinding13NonRootFailsEarly(t *testing.T) {
	e := newEnv(t, sbNode2).noCluster()
	e.euid = 1000
	code, out := e.run(t, "--discard-local", "--yes", "r0")
	assert.Equal(t, ExitError, code, out)
	assert.Contains(t, out, "must run as root")
	assert.Empty(t, e.fake.Calls(), "nothing ran")

	for _, name := range []string{"fence-peer", "unfence-peer", "split-brain"} {
		f := &runner.Fake{}
		code, log := runHandlerAs(t, 1000, f, drbdEnv, drbdproc.Device{}, nil, name)
		assert.Equal(t, 1, code, name)
		assert.Contains(t, log, "must run as root", name)
		assert.Empty(t, f.Calls(), name)
	}

	s := &statusEnv{live: readFile(t, "testdata/lab84-01-connected.node1.txt")}
	code, _, _ = s.run(t, "status")
	assert.Equal(t, StatusHealthy, code)
}
