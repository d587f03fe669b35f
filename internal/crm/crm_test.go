package crm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/runner"
	"github.com/ocf-mfs/ocf-mfs/test/lab/captures"
)

// fixture returns testdata/name: Pacemaker output taken outside the lab
// (testdata/README.md). The lab's captures come from package captures.
func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

// The exact argv the lab captured crm-fence-peer's constraint with
// (test/lab/captures/README.md), so both tools write the same element.
const labFence = `<rsc_location rsc="ms_drbd" id="drbd-fence-by-handler-r0-ms_drbd"><rule role="Promoted" score="-INFINITY" id="drbd-fence-by-handler-r0-rule-ms_drbd"><expression attribute="#uname" operation="ne" value="node1" id="drbd-fence-by-handler-r0-expr-1-ms_drbd"/></rule></rsc_location>`

func TestFenceConstraintMatchesCrmFencePeer(t *testing.T) {
	assert.Equal(t, labFence, FenceConstraintRole("r0", "ms_drbd", "node1", DialectPromoted.PromotedRole()))
	assert.Equal(t, "drbd-fence-by-handler-r0-ms_drbd", FenceID("r0", "ms_drbd"))
	assert.Contains(t, FenceConstraintRole("r0", "ms", `a"b`, DialectPromoted.PromotedRole()), `value="a&#34;b"`)
}

func TestFindPromotable(t *testing.T) {
	doc := fixture(t, "cibadmin-Q-resources.xml")
	f := (&runner.Fake{}).On("cibadmin -Q -o resources", runner.OK(doc))
	c := &Client{Runner: f}
	p, err := c.FindPromotable(context.Background(), "r0")
	require.NoError(t, err)
	assert.Equal(t, &Promotable{ID: "ms_drbd", Primitive: "p_drbd_r0", Agent: "ocf:linbit:drbd"}, p)

	p, err = ParseResources([]byte(doc), "mfs_store")
	require.NoError(t, err)
	assert.Equal(t, &Promotable{ID: "ms_mfsdrbd", Primitive: "mfsdrbd", Agent: "ocf:mfs:drbd"}, p)

	p, err = ParseResources([]byte(doc), "r9")
	require.NoError(t, err)
	assert.Nil(t, p)

	_, err = ParseResources([]byte("<resources><clone"), "r0")
	assert.Error(t, err)
}

func TestNoCluster(t *testing.T) {
	f := (&runner.Fake{}).
		On("crm_resource --locate -r ms_drbd", runner.Answer{Result: runner.Result{ExitCode: 102,
			Stderr: fixture(t, "crm_resource-locate-nocluster.stderr.txt")}}).
		On("cibadmin -Q -o resources", runner.Answer{Result: runner.Result{ExitCode: -1}, Err: runner.ErrNotFound})
	c := &Client{Runner: f}
	_, err := c.PromotedNodes(context.Background(), "ms_drbd")
	assert.ErrorIs(t, err, ErrNoCluster)
	assert.ErrorContains(t, err, "exit status 102: Error performing operation: Not connected")
	_, err = c.FindPromotable(context.Background(), "r0")
	assert.ErrorIs(t, err, ErrNoCluster)
}

func TestPromotedNode(t *testing.T) {
	f := (&runner.Fake{}).
		On("crm_resource --locate -r ms_drbd", runner.OK(captures.Read(t, "pacemaker.node1.crm_resource-locate-clone.txt")),
			runner.OK(fixture(t, "crm_resource-locate-notrunning.txt")))
	c := &Client{Runner: f}
	n, err := c.PromotedNodes(context.Background(), "ms_drbd")
	require.NoError(t, err)
	assert.Equal(t, []string{"node2"}, n)
	n, err = c.PromotedNodes(context.Background(), "ms_drbd")
	require.NoError(t, err)
	assert.Empty(t, n)
	assert.Equal(t, []string{"node1"}, ParseLocate("resource ms_drbd is running on: node1 Master\n"))
	// Finding 3: the order of the lines does not matter.
	a := "resource ms_drbd is running on: node2 Promoted\nresource ms_drbd is running on: node1 Promoted\n"
	b := "resource ms_drbd is running on: node1 Promoted\nresource ms_drbd is running on: node2 Promoted\n"
	assert.Equal(t, []string{"node1", "node2"}, ParseLocate(a))
	assert.Equal(t, ParseLocate(a), ParseLocate(b))
}

func TestCreateQueryDelete(t *testing.T) {
	id := "drbd-fence-by-handler-r0-ms_drbd"
	xp := "cibadmin -Q --xpath //rsc_location[@id='" + id + "']"
	f := (&runner.Fake{}).
		On("cibadmin -C -o constraints -X "+labFence, runner.OK(""),
			runner.Answer{Result: runner.Result{ExitCode: 108, Stdout: captures.Read(t, "pacemaker.node1.cibadmin-create-fence-again.txt"),
				Stderr: captures.Read(t, "pacemaker.node1.cibadmin-create-fence-again.stderr.txt")}}).
		On(xp, runner.OK(captures.Read(t, "pacemaker.node1.cibadmin-query-fence.txt")),
			runner.Exit(105, captures.Read(t, "pacemaker.node1.cibadmin-query-fence-missing.stderr.txt"))).
		On(`cibadmin -D -o constraints -X <rsc_location id="`+id+`"/>`, runner.OK(""))
	c := &Client{Runner: f}
	ctx := context.Background()
	require.NoError(t, c.Create(ctx, labFence))
	assert.ErrorIs(t, c.Create(ctx, labFence), ErrExists)

	got, err := c.Query(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, &Constraint{ID: id, Rsc: "ms_drbd", Role: "Promoted", Score: "-INFINITY", Op: "ne", Attr: "#uname", Node: "node1"}, got)
	assert.True(t, got.FencesAllBut("node1"))
	assert.False(t, got.FencesAllBut("node2"))

	got, err = c.Query(ctx, id)
	require.NoError(t, err)
	assert.Nil(t, got)

	require.NoError(t, c.Delete(ctx, id))
}

func TestParseResourcesGroupInClone(t *testing.T) {
	doc := `<resources><clone id="ms_g"><group id="g"><primitive id="p" class="ocf" provider="mfs" type="drbd"><instance_attributes id="i"><nvpair id="n" name="drbd_resource" value="r0"/></instance_attributes></primitive></group></clone>
<clone id="plain"><primitive id="q" class="ocf" provider="heartbeat" type="Dummy"><instance_attributes id="j"><nvpair id="m" name="drbd_resource" value="r0"/></instance_attributes></primitive></clone></resources>`
	p, err := ParseResources([]byte(doc), "r0")
	require.NoError(t, err)
	assert.Equal(t, &Promotable{ID: "ms_g", Primitive: "p", Agent: "ocf:mfs:drbd"}, p)
}

// Finding 4: the XPath of Query was built from an unescaped id; one
// holding a quote changed the query.
func TestQueryXPathQuotesID(t *testing.T) {
	assert.Equal(t, `'a-b'`, xpathLiteral("a-b"))
	assert.Equal(t, `"it's"`, xpathLiteral("it's"))
	assert.Equal(t, `concat('a', "'", '"b')`, xpathLiteral(`a'"b`))
	f := (&runner.Fake{}).On(`cibadmin -Q --xpath //rsc_location[@id="x']|//*|x['"]`, runner.Exit(105, ""))
	c, err := (&Client{Runner: f}).Query(context.Background(), `x']|//*|x['`)
	require.NoError(t, err)
	assert.Nil(t, c)
}

func TestParseStoppedCleanly(t *testing.T) {
	stopped, err := ParseStoppedCleanly([]byte(fixture(t, "lrm_resource-drbd-stopped-2.1.5.xml")))
	require.NoError(t, err)
	assert.True(t, stopped, "the standby's stop is the last operation, though a promoted monitor is still on record")
	started, err := ParseStoppedCleanly([]byte(fixture(t, "lrm_resource-drbd-started-2.1.5.xml")))
	require.NoError(t, err)
	assert.False(t, started)

	// Synthetic, from the stopped capture: a stop that failed, and one
	// still pending, prove nothing.
	failed := strings.Replace(fixture(t, "lrm_resource-drbd-stopped-2.1.5.xml"), `rc-code="0" op-status="0" interval="0" last-rc-change="1795808019"`, `rc-code="1" op-status="0" interval="0" last-rc-change="1795808019"`, 1)
	require.NotEqual(t, fixture(t, "lrm_resource-drbd-stopped-2.1.5.xml"), failed)
	got, err := ParseStoppedCleanly([]byte(failed))
	require.NoError(t, err)
	assert.False(t, got)
	pending := strings.Replace(fixture(t, "lrm_resource-drbd-stopped-2.1.5.xml"), `call-id="80"`, `call-id="-1"`, 1)
	got, err = ParseStoppedCleanly([]byte(pending))
	require.NoError(t, err)
	assert.False(t, got)

	_, err = ParseStoppedCleanly([]byte("<lrm_resource"))
	assert.Error(t, err)
}
