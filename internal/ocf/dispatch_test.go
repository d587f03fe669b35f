package ocf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// toyAgent records what the dispatcher asked of it and answers with the
// error set for each action.
type toyAgent struct {
	answers map[string]error
	got     []string
	req     *Request
	ctx     context.Context
}

func (a *toyAgent) Metadata() *Metadata { return toyMetadata() }
func (a *toyAgent) do(ctx context.Context, r *Request) error {
	a.got = append(a.got, r.Action)
	a.req, a.ctx = r, ctx
	return a.answers[r.Action]
}
func (a *toyAgent) Validate(ctx context.Context, r *Request) error { return a.do(ctx, r) }
func (a *toyAgent) Start(ctx context.Context, r *Request) error    { return a.do(ctx, r) }
func (a *toyAgent) Stop(ctx context.Context, r *Request) error     { return a.do(ctx, r) }
func (a *toyAgent) Monitor(ctx context.Context, r *Request) error  { return a.do(ctx, r) }

type toyPromotable struct{ toyAgent }

func (a *toyPromotable) Promote(ctx context.Context, r *Request) error { return a.do(ctx, r) }
func (a *toyPromotable) Demote(ctx context.Context, r *Request) error  { return a.do(ctx, r) }
func (a *toyPromotable) Notify(ctx context.Context, r *Request) error  { return a.do(ctx, r) }
func (a *toyPromotable) Reload(ctx context.Context, r *Request) error  { return a.do(ctx, r) }

func toyMetadata() *Metadata {
	return &Metadata{
		Name: "toy", Version: "1.0", LongDesc: "A toy agent & friends <for tests>.", ShortDesc: "toy",
		Parameters: []Parameter{
			{Name: "config", Required: true, LongDesc: "Path.", ShortDesc: "path", Type: TypeString, Default: "/etc/x"},
			{Name: "flag", LongDesc: "A flag.", ShortDesc: "flag", Type: TypeBoolean, Default: "true"},
		},
		Actions: []Action{
			{Name: "start", Timeout: "20s"}, {Name: "stop", Timeout: "20s"},
			{Name: "monitor", Timeout: "20s", Interval: "10s", Depth: "0"},
			{Name: "meta-data", Timeout: "5s"}, {Name: "validate-all", Timeout: "5s"},
		},
	}
}

type result struct {
	code           int
	stdout, stderr string
}

func runMain(a Agent, env map[string]string, args ...string) result {
	var out, errb bytes.Buffer
	p := Process{Args: append([]string{"/usr/lib/ocf/resource.d/mfs/toy"}, args...), Lookup: MapLookup(env),
		Stdout: &out, Stderr: &errb, Now: time.Now}
	code := Main(a, p)
	return result{code, out.String(), errb.String()}
}

func TestMainNoArgumentPrintsUsage(t *testing.T) {
	r := runMain(&toyAgent{}, nil)
	assert.Equal(t, int(ErrArgs), r.code)
	assert.Contains(t, r.stderr, "usage: toy {")
}

func TestMainUnknownActionIsUnimplemented(t *testing.T) {
	for _, action := range []string{"frobnicate", "promote", "notify", "reload", "migrate_to"} {
		a := &toyAgent{}
		r := runMain(a, nil, action)
		assert.Equal(t, int(ErrUnimplemented), r.code, action)
		assert.Contains(t, r.stderr, "ocf-exit-reason:action \""+action+"\" is not implemented", action)
		assert.Empty(t, a.got, "nothing must run for %s", action)
	}
}

func TestMainOptionalInterfaces(t *testing.T) {
	for _, action := range []string{"promote", "demote", "notify", "reload"} {
		a := &toyPromotable{}
		r := runMain(a, nil, action)
		assert.Equal(t, 0, r.code, action)
		assert.Equal(t, []string{action}, a.got)
	}
	assert.Equal(t, []string{"demote", "meta-data", "monitor", "notify", "promote", "reload", "start", "stop", "usage", "validate-all", "version"}, Actions(&toyPromotable{}))
}

func TestMainMetadataWithNoEnvironment(t *testing.T) {
	var out, errb bytes.Buffer
	code := Main(&toyAgent{}, Process{Args: []string{"toy", "meta-data"}, Stdout: &out, Stderr: &errb})
	require.Equal(t, 0, code, errb.String())
	assert.True(t, strings.HasPrefix(out.String(), "<?xml version=\"1.0\"?>\n<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n"))
	assert.Contains(t, out.String(), `<parameter name="config" unique="0" required="1">`)
	assert.Contains(t, out.String(), "A toy agent &amp; friends &lt;for tests&gt;.")
}

func TestMainVersion(t *testing.T) {
	for _, a := range []string{"version", "--version"} {
		r := runMain(&toyAgent{}, nil, a)
		assert.Equal(t, 0, r.code)
		assert.Equal(t, "toy dev\n", r.stdout)
	}
}

func TestMainExitCodesAndReasons(t *testing.T) {
	cases := []struct {
		name       string
		action     string
		env        map[string]string
		err        error
		code       ExitCode
		wantReason string // "" means no exit-reason line at all
	}{
		{"success", "start", nil, nil, Success, ""},
		{"generic", "start", nil, errors.New("mfsmaster exited 1"), ErrGeneric, "ocf-exit-reason:mfsmaster exited 1"},
		{"configured", "validate-all", nil, Errorf(ErrConfigured, "config: no such file"), ErrConfigured, "ocf-exit-reason:config: no such file"},
		{"installed", "start", nil, Errorf(ErrInstalled, "mfsmaster not found"), ErrInstalled, "ocf-exit-reason:mfsmaster not found"},
		{"perm", "start", nil, Errorf(ErrPerm, "not root"), ErrPerm, "ocf-exit-reason:not root"},
		{"args", "start", nil, Errorf(ErrArgs, "DATA_PATH missing"), ErrArgs, "ocf-exit-reason:DATA_PATH missing"},
		{"probe not running is an answer", "monitor", map[string]string{"OCF_RESKEY_CRM_meta_interval": "0"}, Errorf(NotRunning, "stopped"), NotRunning, ""},
		{"recurring monitor not running is a failure", "monitor", map[string]string{"OCF_RESKEY_CRM_meta_interval": "10000"}, Errorf(NotRunning, "pid 42 is gone"), NotRunning, "ocf-exit-reason:pid 42 is gone"},
		{"promoted is an answer", "monitor", map[string]string{"OCF_RESKEY_CRM_meta_interval": "10000"}, &Error{Code: RunningPromoted}, RunningPromoted, ""},
		{"failed promoted", "monitor", map[string]string{"OCF_RESKEY_CRM_meta_interval": "10000"}, Errorf(FailedPromoted, "disk failed"), FailedPromoted, "ocf-exit-reason:disk failed"},
		{"degraded", "monitor", map[string]string{"OCF_RESKEY_CRM_meta_interval": "10000"}, Errorf(Degraded, "peer unknown"), Degraded, "ocf-exit-reason:peer unknown"},
		{"custom prefix", "start", map[string]string{"OCF_EXIT_REASON_PREFIX": "REASON>"}, errors.New("x"), ErrGeneric, "REASON>x"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := &toyAgent{answers: map[string]error{c.action: c.err}}
			r := runMain(a, c.env, c.action)
			assert.Equal(t, int(c.code), r.code)
			lines := reasonLines(r.stderr)
			if c.wantReason == "" {
				assert.Empty(t, lines)
			} else {
				assert.Equal(t, []string{c.wantReason}, lines)
			}
		})
	}
}

func reasonLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "ocf-exit-reason:") || strings.HasPrefix(l, "REASON>") {
			out = append(out, l)
		}
	}
	return out
}

func TestMainPassesProbeAndDeadline(t *testing.T) {
	a := &toyAgent{}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var out, errb bytes.Buffer
	Main(a, Process{Args: []string{"toy", "monitor"}, Stdout: &out, Stderr: &errb, Now: func() time.Time { return now },
		Lookup: MapLookup(map[string]string{"OCF_RESKEY_CRM_meta_interval": "0", "OCF_RESKEY_CRM_meta_timeout": "20000", "OCF_RESOURCE_INSTANCE": "mfs"})})
	require.NotNil(t, a.req)
	assert.True(t, a.req.Probe)
	assert.Equal(t, "toy(mfs)", a.req.Log.Tag)
	dl, ok := a.ctx.Deadline()
	require.True(t, ok)
	assert.Equal(t, now.Add(18*time.Second), dl)
}

func TestMainDeadlineExceededIsReported(t *testing.T) {
	a := &toyAgent{answers: map[string]error{"stop": context.DeadlineExceeded}}
	r := runMain(a, nil, "stop")
	assert.Equal(t, int(ErrGeneric), r.code)
	assert.Contains(t, r.stderr, "ocf-exit-reason:stop ran out of time")
}

func TestDeadline(t *testing.T) {
	now := time.Unix(1000, 0)
	cases := []struct{ timeout, want time.Duration }{
		{0, DefaultTimeout},
		{20 * time.Second, 18 * time.Second},
		{5 * time.Second, 4 * time.Second},        // margin floor of 1s
		{1 * time.Second, 500 * time.Millisecond}, // never more than half
		{300 * time.Second, 290 * time.Second},    // margin capped at 10s
	}
	for _, c := range cases {
		assert.Equal(t, now.Add(c.want), Deadline(now, c.timeout), c.timeout.String())
	}
}

func TestFormatExitReason(t *testing.T) {
	assert.Equal(t, "two lines joined", FormatExitReason("two lines\n  joined\n"))
	long := strings.Repeat("x", 200)
	assert.Len(t, FormatExitReason(long), MaxExitReason)
	// 127 ASCII bytes then a 3-byte rune: the rune must not be cut in half.
	s := strings.Repeat("a", 127) + "€€"
	got := FormatExitReason(s)
	assert.Equal(t, strings.Repeat("a", 127), got)
	assert.LessOrEqual(t, len(got), MaxExitReason)
}

// noticeAgent succeeds but leaves a notice, as a monitor of a StandAlone
// DRBD device does.
type noticeAgent struct{ toyAgent }

func (a *noticeAgent) Monitor(ctx context.Context, r *Request) error {
	r.Notice = "r0 is StandAlone: split brain"
	return &Error{Code: RunningPromoted}
}

func TestMainNoticeOnSuccessIsAnExitReason(t *testing.T) {
	r := runMain(&noticeAgent{}, map[string]string{"OCF_RESKEY_CRM_meta_interval": "10000"}, "monitor")
	assert.Equal(t, int(RunningPromoted), r.code)
	assert.Equal(t, []string{"ocf-exit-reason:r0 is StandAlone: split brain"}, reasonLines(r.stderr))

	// A failure's own reason wins over a notice set before it.
	a := &toyAgent{answers: map[string]error{"start": errors.New("attach failed")}}
	r = runMain(a, nil, "start")
	assert.Equal(t, []string{"ocf-exit-reason:attach failed"}, reasonLines(r.stderr))
}

// waitAgent's stop outlives its deadline and reports it through wrap, as
// an agent's error chain may or may not keep context.DeadlineExceeded.
type waitAgent struct {
	toyAgent
	wrap func(error) error
}

func (a *waitAgent) Stop(ctx context.Context, _ *Request) error {
	<-ctx.Done()
	return a.wrap(ctx.Err())
}

func TestMainRanOutOfTimeMatchesWrappedDeadlines(t *testing.T) {
	env := map[string]string{"OCF_RESKEY_CRM_meta_timeout": "1500"}
	for name, wrap := range map[string]func(error) error{
		"wrapped with %w": func(err error) error {
			return fmt.Errorf("stop: %w", Errorf(ErrGeneric, "mfsmaster still running: %w", err))
		},
		"chain lost (%v)": func(err error) error { return Errorf(ErrGeneric, "mfsmaster still running: %v", err) },
	} {
		t.Run(name, func(t *testing.T) {
			r := runMain(&waitAgent{wrap: wrap}, env, "stop")
			assert.Equal(t, int(ErrGeneric), r.code)
			assert.Contains(t, r.stderr, "ocf-exit-reason:stop ran out of time")
			assert.Contains(t, r.stderr, "mfsmaster still running")
		})
	}
}
