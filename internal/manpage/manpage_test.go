package manpage

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/agent/master"
	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
)

// The page is made from the XML the agent prints, parsed back.
func masterPage(t *testing.T) []byte {
	var buf bytes.Buffer
	require.NoError(t, master.New().Metadata().WriteXML(&buf))
	m, err := ocf.ParseXML(buf.Bytes())
	require.NoError(t, err)
	return OCF(m, "mfs", "1.2.3", "2026-01-02")
}

func TestOCFPageSaysWhatMetaDataSays(t *testing.T) {
	page := string(masterPage(t))
	assert.True(t, strings.HasPrefix(page, `.TH OCF_MFS_MASTER 7 "2026-01-02" "ocf-mfs 1.2.3" "OCF resource agents"`+"\n"), page)
	for _, want := range []string{
		"ocf_mfs_master \\- MooseFS metadata master (mfsmaster)\n",
		"\\fBconfig\\fR (string, unique, default \\(dq/etc/mfs/mfsmaster.cfg\\(dq)\n",
		"\\fBauto_recovery\\fR (boolean, default \\(dqtrue\\(dq)\n",
		"runs \"mfsmaster -a\" (\"mfsmetarestore -a\" before MooseFS 1.7; unless\nauto_recovery=false)",
		"\\fBmonitor\\fR\ntimeout=30s interval=60s depth=20\n",
		"\\fBmeta-data\\fR\ntimeout=5s\n",
	} {
		assert.Contains(t, page, want)
	}
}

func TestTextEscapesRoff(t *testing.T) {
	assert.Equal(t, `\&.not a request \e`, text(`.not a request \`))
	assert.Equal(t, `\&'quoted`, text(`'quoted`))
	m := &ocf.Metadata{Name: "x", ShortDesc: "x", LongDesc: "first\n  .second\n\nnext paragraph",
		Parameters: []ocf.Parameter{{Name: "p", Required: true, Type: ocf.TypeString, ShortDesc: "p", LongDesc: "p"}}}
	page := string(OCF(m, "mfs", "v", ""))
	assert.Contains(t, page, "first\n\\&.second\n.PP\nnext paragraph\n")
	assert.Contains(t, page, "\\fBocf:mfs:x\\fR \\fBp\\fR=\\fIstring\\fR\n")
}

// groff must format the page without a single warning.
func TestGroffAcceptsPage(t *testing.T) {
	if _, err := exec.LookPath("groff"); err != nil {
		t.Skip("groff is not installed")
	}
	cmd := exec.Command("groff", "-man", "-Tutf8", "-ww", "-z")
	cmd.Stdin = bytes.NewReader(masterPage(t))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Empty(t, string(out))
}
