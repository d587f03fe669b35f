package crm

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

func TestDialectFromOCF(t *testing.T) {
	for _, c := range []struct {
		major, minor string
		want         Dialect
	}{
		{"1", "0", DialectLegacy},   // Pacemaker 1.1.18 and 2.0.5
		{"1", "1", DialectPromoted}, // Pacemaker 2.1 and 3.0
		{"1", "2", DialectPromoted},
		{"2", "0", DialectPromoted},
		{"", "", DialectUnknown},
		{"1", "", DialectUnknown},
		{"x", "1", DialectUnknown},
	} {
		assert.Equal(t, c.want, DialectFromOCF(c.major, c.minor), "%s.%s", c.major, c.minor)
	}
}

// The fixtures are `cibadmin -Q --xpath /cib --no-children` of Pacemaker
// 2.0.5 (Debian 11), 2.1.5 (Debian 12) and 3.0.0 (Debian 13), each on a CIB
// its own `cibadmin --empty` made (testdata/README.md).
func TestFenceConstraintRoleFollowsTheCIB(t *testing.T) {
	for _, c := range []struct {
		fixture string
		dialect Dialect
		role    string
	}{
		{"cibadmin-Q-cib-nochildren-2.0.5.xml", DialectLegacy, `role="Master"`},
		{"cibadmin-Q-cib-nochildren-2.1.5.xml", DialectPromoted, `role="Promoted"`},
		{"cibadmin-Q-cib-nochildren-3.0.xml", DialectPromoted, `role="Promoted"`},
	} {
		t.Run(c.fixture, func(t *testing.T) {
			f := (&runner.Fake{}).On("cibadmin -Q --xpath /cib --no-children", runner.OK(fixture(t, c.fixture)))
			root, err := (&Client{Runner: f}).CIBRoot(context.Background())
			require.NoError(t, err)
			d := root.Dialect
			assert.Equal(t, c.dialect, d)
			x := FenceConstraintRole("r0", "ms_drbd", "node1", d.PromotedRole())
			assert.Contains(t, x, c.role)
			con, err := ParseConstraint([]byte(x))
			require.NoError(t, err)
			assert.True(t, con.FencesAllBut("node1"), "the handler must recognise its own constraint: %s", x)
		})
	}
	// What 2.0's scheduler does with the other spelling (crm_verify of
	// Pacemaker 2.0.5 on a CIB holding the 2.1 constraint).
	assert.Contains(t, fixture(t, "crm_verify-fence-promoted-2.0.5.stderr.txt"), "Bad role specified")
}

func TestDialectFromCIBUnknownAndErrors(t *testing.T) {
	d, err := DialectFromCIB([]byte(`<cib validate-with="pacemaker-3.9"/>`)) // synthetic: no feature set
	require.NoError(t, err)
	assert.Equal(t, DialectUnknown, d)
	assert.Equal(t, "Master", d.PromotedRole(), "unknown must use the name every version accepts")
	d, _ = DialectFromCIB([]byte(`<cib crm_feature_set="3.10.0"/>`)) // synthetic: 2.1.0's feature set
	assert.Equal(t, DialectPromoted, d)
	d, _ = DialectFromCIB([]byte(`<cib crm_feature_set="3.9.9"/>`)) // synthetic
	assert.Equal(t, DialectLegacy, d)
	_, err = DialectFromCIB([]byte("not xml <"))
	assert.Error(t, err)

	f := (&runner.Fake{}).On("cibadmin -Q --xpath /cib --no-children",
		runner.Exit(102, "Could not connect to the CIB: Transport endpoint is not connected\n"))
	_, err = (&Client{Runner: f}).CIBRoot(context.Background())
	assert.ErrorIs(t, err, ErrNoCluster)
}

// pacemaker11 answers as Pacemaker 1.1.18's crm_attribute does, from its
// sources (no 1.1 binary runs here, so these answers are written from the
// code, not captured):
//   - an unknown long option such as --promotion: getopt_long returns '?'
//     with index 0, and crm_get_option_long calls crm_help('?', 1), which
//     prints the help on stderr and exits 1 (lib/common/utils.c,
//     crm_get_option_long and crm_help);
//   - -G of a missing attribute: read_attr_delegate returns -ENXIO, main
//     prints "Error performing operation: No such device or address" and
//     crm_exit exits ABS(rc) = 6 (tools/crm_attribute.c, end of main;
//     lib/common/utils.c, crm_exit);
//   - crm_master is `crm_attribute -n master-$OCF_RESOURCE_INSTANCE
//     $options` (tools/crm_master, last line).
func pacemaker11(f *runner.Fake, res string, stored *string) {
	help := "crm_attribute: unrecognized option '--promotion=" + res + "'\ncrm_attribute - Manage node's attributes and cluster options.\n"
	for _, v := range []string{"-G -q", "-D", "-v 10000", "-v 1000"} {
		f.On("crm_attribute --promotion="+res+" -l reboot "+v, runner.Exit(1, help))
	}
	f.Hook = func(argv string) {
		if v, ok := strings.CutPrefix(argv, "crm_attribute -n master-"+res+" -l reboot -v "); ok {
			*stored = v
		}
		if argv == "crm_attribute -n master-"+res+" -l reboot -D" {
			*stored = ""
		}
	}
}

func TestScorerOnPacemaker11WritesMasterAttribute(t *testing.T) {
	const res = "p_drbd_r0:0"
	get := "crm_attribute -n master-" + res + " -l reboot -G -q"
	f := &runner.Fake{}
	var stored string
	pacemaker11(f, res, &stored)
	f.On(get, runner.Exit(6, "Error performing operation: No such device or address\n"), runner.OK("10000\n"), runner.OK("10000\n")).
		On("crm_attribute -n master-"+res+" -l reboot -v 10000", runner.OK("")).
		On("crm_attribute -n master-"+res+" -l reboot -D", runner.OK(""))
	s, _ := newScorer(f)
	s.Resource = res
	wrote, err := s.Set(context.Background(), 10000)
	require.NoError(t, err, "1.1's 'not set' (exit 6) is no error")
	assert.True(t, wrote)
	assert.Equal(t, "10000", stored)
	assert.Equal(t, DialectLegacy, s.Dialect, "the fallback is remembered")
	wrote, err = s.Set(context.Background(), 10000)
	require.NoError(t, err)
	assert.False(t, wrote)
	require.NoError(t, s.Delete(context.Background()))
	assert.Equal(t, "", stored)
	assert.Equal(t, []string{"crm_attribute --promotion=" + res + " -l reboot -G -q", get,
		"crm_attribute -n master-" + res + " -l reboot -v 10000", get, get,
		"crm_attribute -n master-" + res + " -l reboot -D"}, f.Calls())
}

// Pacemaker 2.0.5's crm_attribute refuses --promotion with exit 64 and its
// help on stderr (testdata/crm_attribute-promotion-2.0.5.stderr.txt, captured
// on Debian 11), and a missing attribute is 105.
func TestScorerOnPacemaker20FallsBackFromPromotion(t *testing.T) {
	const res = "p_drbd_r0:0"
	f := (&runner.Fake{}).
		On("crm_attribute --promotion="+res+" -l reboot -G -q", runner.Exit(64, fixture(t, "crm_attribute-promotion-2.0.5.stderr.txt"))).
		On("crm_attribute -n master-"+res+" -l reboot -G -q", runner.Exit(105, "Error performing operation: No such device or address\n")).
		On("crm_attribute -n master-"+res+" -l reboot -v 1000", runner.OK(""))
	s, _ := newScorer(f)
	_, err := s.Set(context.Background(), 1000)
	require.NoError(t, err)
	assert.Equal(t, DialectLegacy, s.Dialect)
}

// With the dialect known from OCF_RA_VERSION_*, the first call is already
// the right one.
func TestScorerKnownDialectAsksOnce(t *testing.T) {
	const res = "p_drbd_r0:0"
	f := (&runner.Fake{}).On("crm_attribute -n master-"+res+" -l reboot -G -q", runner.OK("5\n"))
	s, _ := newScorer(f)
	s.Dialect = DialectLegacy
	n, ok, err := s.Get(context.Background())
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, 5, n)
	assert.Len(t, f.Calls(), 1)

	// A 2.1 crm_attribute's own exit 6 is not "not set".
	f = (&runner.Fake{}).On(getScore, runner.Exit(6, "some other failure\n"))
	s, _ = newScorer(f)
	s.Dialect = DialectPromoted
	_, _, err = s.Get(context.Background())
	assert.Error(t, err)
}
