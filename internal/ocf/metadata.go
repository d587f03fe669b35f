package ocf

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
)

// Metadata describes an agent. It is rendered to the XML that both
// validators accept: ocf-tester's `xmllint --valid` against ra-api-1.dtd and
// the OCF 1.1 RELAX NG schema that pcs uses. Where the two disagree the
// intersection is produced: content types are limited to string, integer and
// boolean (the DTD lacks "select", the RNG lacks "time"), every description
// carries lang="en", every action a timeout.
type Metadata struct {
	Name       string // agent name as in ocf:PROVIDER:NAME
	Version    string // the agent's own version
	LongDesc   string
	ShortDesc  string
	Parameters []Parameter
	Actions    []Action
}

// Parameter types accepted by both validators.
const (
	TypeString  = "string"
	TypeInteger = "integer"
	TypeBoolean = "boolean"
)

// Parameter is one OCF_RESKEY_ parameter.
type Parameter struct {
	Name      string
	Required  bool
	Unique    bool
	LongDesc  string
	ShortDesc string
	Type      string // TypeString, TypeInteger or TypeBoolean
	Default   string // "" means no default attribute
}

// Action is one advertised action with its recommended settings. Timeout and
// Interval are Pacemaker durations such as "20s".
type Action struct {
	Name     string
	Timeout  string
	Interval string
	Depth    string
	Role     string
}

type xmlDesc struct {
	Lang string `xml:"lang,attr"`
	Text string `xml:",chardata"`
}

type xmlContent struct {
	Type    string `xml:"type,attr"`
	Default string `xml:"default,attr,omitempty"`
}

type xmlParameter struct {
	Name      string     `xml:"name,attr"`
	Unique    string     `xml:"unique,attr"`
	Required  string     `xml:"required,attr"`
	LongDesc  xmlDesc    `xml:"longdesc"`
	ShortDesc xmlDesc    `xml:"shortdesc"`
	Content   xmlContent `xml:"content"`
}

type xmlAction struct {
	Name     string `xml:"name,attr"`
	Timeout  string `xml:"timeout,attr"`
	Interval string `xml:"interval,attr,omitempty"`
	Depth    string `xml:"depth,attr,omitempty"`
	Role     string `xml:"role,attr,omitempty"`
}

type xmlAgent struct {
	XMLName    xml.Name       `xml:"resource-agent"`
	Name       string         `xml:"name,attr"`
	Version    string         `xml:"version,attr"`
	APIVersion string         `xml:"version"`
	LongDesc   xmlDesc        `xml:"longdesc"`
	ShortDesc  xmlDesc        `xml:"shortdesc"`
	Parameters []xmlParameter `xml:"parameters>parameter"`
	Actions    []xmlAction    `xml:"actions>action"`
}

// The DOCTYPE is required: ocf-tester validates with `xmllint --valid`,
// which fails on a document that names no DTD. The declaration names no
// encoding (UTF-8 is XML's default): crmsh parses meta-data from a Python
// string with lxml, which rejects one that declares its encoding, and then
// reports the agent as nonexistent.
const xmlHeader = `<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
`

// Check reports the first way m would fail validation, so that a mistake in
// an agent's table is caught by its unit test rather than by a cluster.
func (m *Metadata) Check() error {
	if m.Name == "" || m.LongDesc == "" || m.ShortDesc == "" {
		return fmt.Errorf("meta-data: name, longdesc and shortdesc are required")
	}
	if len(m.Parameters) == 0 {
		return fmt.Errorf("meta-data %s: the OCF 1.1 schema requires at least one parameter", m.Name)
	}
	seen := map[string]bool{}
	for _, p := range m.Parameters {
		switch p.Type {
		case TypeString, TypeInteger, TypeBoolean:
		default:
			return fmt.Errorf("meta-data %s: parameter %s has type %q; use string, integer or boolean", m.Name, p.Name, p.Type)
		}
		if p.Name == "" || p.LongDesc == "" || p.ShortDesc == "" {
			return fmt.Errorf("meta-data %s: parameter %q needs a name, longdesc and shortdesc", m.Name, p.Name)
		}
		if seen[p.Name] {
			return fmt.Errorf("meta-data %s: parameter %s listed twice", m.Name, p.Name)
		}
		seen[p.Name] = true
	}
	intervals := map[string]string{}
	for _, a := range m.Actions {
		if a.Name == "" || a.Timeout == "" {
			return fmt.Errorf("meta-data %s: every action needs a name and a timeout", m.Name)
		}
		// Pacemaker identifies a recurring operation by name and interval,
		// so two monitors (one per role) must differ in interval.
		if a.Name == "monitor" && a.Interval != "" {
			if role, dup := intervals[a.Interval]; dup {
				return fmt.Errorf("meta-data %s: monitors for roles %q and %q share interval %s", m.Name, role, a.Role, a.Interval)
			}
			intervals[a.Interval] = a.Role
		}
	}
	return nil
}

// WriteXML renders the meta-data document.
func (m *Metadata) WriteXML(w io.Writer) error {
	if err := m.Check(); err != nil {
		return err
	}
	doc := xmlAgent{
		Name:       m.Name,
		Version:    m.Version,
		APIVersion: "1.1",
		LongDesc:   xmlDesc{Lang: "en", Text: m.LongDesc},
		ShortDesc:  xmlDesc{Lang: "en", Text: m.ShortDesc},
	}
	for _, p := range m.Parameters {
		doc.Parameters = append(doc.Parameters, xmlParameter{
			Name:      p.Name,
			Unique:    boolDigit(p.Unique),
			Required:  boolDigit(p.Required),
			LongDesc:  xmlDesc{Lang: "en", Text: p.LongDesc},
			ShortDesc: xmlDesc{Lang: "en", Text: p.ShortDesc},
			Content:   xmlContent{Type: p.Type, Default: p.Default},
		})
	}
	for _, a := range m.Actions {
		doc.Actions = append(doc.Actions, xmlAction(a))
	}
	var buf bytes.Buffer
	buf.WriteString(xmlHeader)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("meta-data %s: %w", m.Name, err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// ParseXML reads a meta-data document back, as an agent prints it, so that
// tools (the man page generator) work from what the agent really reports
// rather than from a second copy of its table.
func ParseXML(data []byte) (*Metadata, error) {
	var doc xmlAgent
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("meta-data: %w", err)
	}
	m := &Metadata{
		Name:      doc.Name,
		Version:   doc.Version,
		LongDesc:  doc.LongDesc.Text,
		ShortDesc: doc.ShortDesc.Text,
	}
	for _, p := range doc.Parameters {
		m.Parameters = append(m.Parameters, Parameter{
			Name:      p.Name,
			Required:  p.Required == "1" || p.Required == "true",
			Unique:    p.Unique == "1" || p.Unique == "true",
			LongDesc:  p.LongDesc.Text,
			ShortDesc: p.ShortDesc.Text,
			Type:      p.Content.Type,
			Default:   p.Content.Default,
		})
	}
	for _, a := range doc.Actions {
		m.Actions = append(m.Actions, Action(a))
	}
	return m, m.Check()
}
