// Package manpage renders an OCF agent's meta-data as a section 7 man page,
// named like Pacemaker's own (ocf_heartbeat_IPaddr2(7)): ocf_PROVIDER_NAME.
// The page is made from the XML the agent prints, so it says exactly what
// crm and pcs are told.
package manpage

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/ocf-mfs/ocf-mfs/internal/ocf"
)

// Page is the name of the man page of agent ocf:provider:name.
func Page(provider, name string) string { return "ocf_" + provider + "_" + name }

// OCF renders m, the agent ocf:provider:m.Name of package version version,
// as roff for man(7). date may be empty.
func OCF(m *ocf.Metadata, provider, version, date string) []byte {
	var b bytes.Buffer
	page := Page(provider, m.Name)
	agent := "ocf:" + provider + ":" + m.Name
	fmt.Fprintf(&b, ".TH %s 7 %s %s \"OCF resource agents\"\n", strings.ToUpper(page), quote(date), quote("ocf-mfs "+version))
	fmt.Fprintf(&b, ".SH NAME\n%s \\- %s\n", page, text(m.ShortDesc))
	fmt.Fprintf(&b, ".SH SYNOPSIS\n\\fB%s\\fR", agent)
	for _, p := range m.Parameters {
		if p.Required {
			fmt.Fprintf(&b, " \\fB%s\\fR=\\fI%s\\fR", text(p.Name), p.Type)
		} else {
			fmt.Fprintf(&b, " [\\fB%s\\fR=\\fI%s\\fR]", text(p.Name), p.Type)
		}
	}
	b.WriteString("\n.SH DESCRIPTION\n")
	paragraphs(&b, m.LongDesc)
	b.WriteString(".SH PARAMETERS\n")
	for _, p := range m.Parameters {
		var attrs []string
		attrs = append(attrs, p.Type)
		if p.Required {
			attrs = append(attrs, "required")
		}
		if p.Unique {
			attrs = append(attrs, "unique")
		}
		if p.Default != "" {
			attrs = append(attrs, "default \\(dq"+text(p.Default)+"\\(dq")
		}
		fmt.Fprintf(&b, ".TP\n\\fB%s\\fR (%s)\n%s.\n", text(p.Name), strings.Join(attrs, ", "), strings.TrimSuffix(text(p.ShortDesc), "."))
		if p.LongDesc != "" {
			b.WriteString(".IP\n")
			paragraphs(&b, p.LongDesc)
		}
	}
	b.WriteString(".SH ACTIONS\nThe actions the agent supports, with the timeouts and intervals it advises:\n")
	for _, a := range m.Actions {
		settings := []string{"timeout=" + a.Timeout}
		for _, kv := range [][2]string{{"interval", a.Interval}, {"depth", a.Depth}, {"role", a.Role}} {
			if kv[1] != "" {
				settings = append(settings, kv[0]+"="+kv[1])
			}
		}
		fmt.Fprintf(&b, ".TP\n\\fB%s\\fR\n%s\n", text(a.Name), text(strings.Join(settings, " ")))
	}
	fmt.Fprintf(&b, ".SH EXAMPLE\n.nf\ncrm configure primitive %s %s \\e\n    op monitor interval=10s timeout=30s\n.fi\n", m.Name+"1", agent)
	fmt.Fprintf(&b, ".SH SEE ALSO\n\\fBcrm\\fR(8), \\fBpcs\\fR(8), \\fBcrm_resource\\fR(8) \\-\\-show\\-metadata %s\n", agent)
	return b.Bytes()
}

// paragraphs writes s, whose paragraphs are separated by blank lines, as
// filled roff paragraphs.
func paragraphs(b *bytes.Buffer, s string) {
	for i, para := range strings.Split(strings.TrimSpace(s), "\n\n") {
		if i > 0 {
			b.WriteString(".PP\n")
		}
		for _, line := range strings.Split(para, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				b.WriteString(text(line) + "\n")
			}
		}
	}
}

// text escapes s for a roff text line: backslashes, and a leading . or '
// that would make the line a request.
func text(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

func quote(s string) string { return `"` + strings.ReplaceAll(text(s), `"`, `\(dq`) + `"` }
