package ocf

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ocf-mfs/ocf-mfs/internal/ocf/ocftest"
)

func TestMetadataPassesBothValidators(t *testing.T) {
	m := toyMetadata()
	m.Actions = append(m.Actions,
		Action{Name: "promote", Timeout: "90s"}, Action{Name: "demote", Timeout: "90s"},
		Action{Name: "monitor", Timeout: "20s", Interval: "29s", Role: "Promoted"},
		Action{Name: "notify", Timeout: "90s"})
	var buf bytes.Buffer
	require.NoError(t, m.WriteXML(&buf))
	assert.Empty(t, ocftest.ValidateMetadata(t, buf.Bytes()))
}

// The validators must actually reject bad documents, or the test above
// proves nothing.
// The validators must actually reject bad documents, or the test above
// proves nothing. Each mutation breaks one rule of one of the two schemas.
func TestValidatorsRejectInvalidDocuments(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, toyMetadata().WriteXML(&buf))
	good := buf.String()
	require.Empty(t, ocftest.ValidateMetadata(t, buf.Bytes()))
	bad := map[string]string{
		"no doctype":        strings.Replace(good, `<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">`, "", 1),
		"time content":      strings.Replace(good, `type="boolean"`, `type="time"`, 1),
		"select content":    strings.Replace(good, `type="boolean"`, `type="select"`, 1),
		"no lang":           strings.Replace(good, `<shortdesc lang="en">toy</shortdesc>`, `<shortdesc>toy</shortdesc>`, 1),
		"action no timeout": strings.Replace(good, `<action name="start" timeout="20s">`, `<action name="start">`, 1),
	}
	for name, doc := range bad {
		require.NotEqual(t, good, doc, name)
		assert.NotEmpty(t, ocftest.ValidateMetadata(t, []byte(doc)), "%s: accepted by both validators", name)
	}
}

func TestMetadataCheck(t *testing.T) {
	mod := func(f func(m *Metadata)) *Metadata { m := toyMetadata(); f(m); return m }
	cases := map[string]*Metadata{
		"no parameters": mod(func(m *Metadata) { m.Parameters = nil }),
		"time type":     mod(func(m *Metadata) { m.Parameters[0].Type = "time" }),
		"no shortdesc":  mod(func(m *Metadata) { m.Parameters[1].ShortDesc = "" }),
		"duplicate":     mod(func(m *Metadata) { m.Parameters[1].Name = "config" }),
		"no timeout":    mod(func(m *Metadata) { m.Actions[0].Timeout = "" }),
		"same interval": mod(func(m *Metadata) {
			m.Actions = append(m.Actions, Action{Name: "monitor", Timeout: "20s", Interval: "10s", Role: "Promoted"})
		}),
	}
	for name, m := range cases {
		assert.Error(t, m.Check(), name)
		assert.Error(t, m.WriteXML(&bytes.Buffer{}), name)
	}
	assert.NoError(t, toyMetadata().Check())
}

func TestParseXMLReadsBackWhatWriteXMLWrote(t *testing.T) {
	m := toyMetadata()
	m.Actions = append(m.Actions, Action{Name: "monitor", Timeout: "20s", Interval: "29s", Role: "Promoted"})
	var buf bytes.Buffer
	require.NoError(t, m.WriteXML(&buf))
	got, err := ParseXML(buf.Bytes())
	require.NoError(t, err)
	assert.Equal(t, m, got)

	_, err = ParseXML([]byte("<resource-agent"))
	assert.Error(t, err)
}
