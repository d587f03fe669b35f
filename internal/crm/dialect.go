package crm

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// Dialect is the promotable-clone vocabulary of the running Pacemaker.
// Pacemaker 2.1 renamed Master/Slave to Promoted/Unpromoted and gave
// crm_attribute --promotion; earlier versions keep promotion scores in
// node attributes named master-<instance> (what crm_master writes) and know
// only the old role names, and their scheduler drops a rule whose role it
// does not know ("Bad role specified"). Every version up to 3.0 still
// accepts the old names.
type Dialect int

const (
	// DialectUnknown: not found out yet. The Scorer then tries
	// --promotion and falls back when crm_attribute refuses it; role names
	// are the old ones, which every version accepts.
	DialectUnknown Dialect = iota
	// DialectLegacy is Pacemaker 1.1 and 2.0.
	DialectLegacy
	// DialectPromoted is Pacemaker 2.1 and later.
	DialectPromoted
)

func (d Dialect) String() string {
	switch d {
	case DialectLegacy:
		return "Pacemaker before 2.1"
	case DialectPromoted:
		return "Pacemaker 2.1 or later"
	}
	return "unknown Pacemaker"
}

// PromotedRole is the name of the promoted role in constraints and rules
// this Pacemaker accepts: Promoted from 2.1, Master otherwise (and when
// unknown, since every version accepts Master).
func (d Dialect) PromotedRole() string {
	if d == DialectPromoted {
		return "Promoted"
	}
	return "Master"
}

// DialectFromOCF reads the OCF version Pacemaker passes to resource agents
// in OCF_RA_VERSION_MAJOR and OCF_RA_VERSION_MINOR: 1.0 up to Pacemaker 2.0
// (lib/services/services_linux.c sets the literals "1" and "0" in 1.1.18 and
// 2.0.5), 1.1 from 2.1.0 (PCMK_OCF_MINOR_VERSION "1" in
// include/crm/common/agents.h).
//
// Outcomes: DialectPromoted for OCF 1.1 or later; DialectLegacy for 1.0;
// DialectUnknown when either is missing or not a number (an agent run by
// hand, or by a test tool).
func DialectFromOCF(major, minor string) Dialect {
	ma, err1 := strconv.Atoi(strings.TrimSpace(major))
	mi, err2 := strconv.Atoi(strings.TrimSpace(minor))
	if err1 != nil || err2 != nil || ma < 1 {
		return DialectUnknown
	}
	if ma > 1 || mi >= 1 {
		return DialectPromoted
	}
	return DialectLegacy
}

// promotedFeatureSet is the CRM feature set of Pacemaker 2.1.0, the first
// release whose scheduler knows the role names Promoted and Unpromoted
// (include/crm/crm.h: "3.10.0"; 2.0.5 has "3.6.1"). The schema is no guide:
// a rule's role is free text in every schema, so a CIB validating with
// pacemaker-3.5 takes role="Promoted" and 2.0's scheduler then drops the
// rule (testdata/crm_verify-fence-promoted-2.0.5.stderr.txt).
var promotedFeatureSet = [3]int{3, 10, 0}

// DialectFromCIB reads the crm_feature_set of a CIB's root element (what
// `cibadmin -Q --xpath /cib --no-children` prints). The DC writes it, and a
// mixed-version cluster elects the node with the oldest feature set as DC,
// so it tells what every scheduler that may act on a constraint knows.
//
// Outcomes: DialectPromoted from feature set 3.10.0; DialectLegacy below;
// DialectUnknown when the attribute is missing or malformed; an error when
// doc is not XML.
func DialectFromCIB(doc []byte) (Dialect, error) {
	var root struct {
		FeatureSet string `xml:"crm_feature_set,attr"`
	}
	if err := xml.Unmarshal(doc, &root); err != nil {
		return DialectUnknown, fmt.Errorf("parse CIB root: %w", err)
	}
	fs, ok := parseFeatureSet(root.FeatureSet)
	if !ok {
		return DialectUnknown, nil
	}
	for i := range fs {
		if fs[i] != promotedFeatureSet[i] {
			if fs[i] > promotedFeatureSet[i] {
				return DialectPromoted, nil
			}
			return DialectLegacy, nil
		}
	}
	return DialectPromoted, nil
}

func parseFeatureSet(v string) ([3]int, bool) {
	var out [3]int
	parts := strings.Split(strings.TrimSpace(v), ".")
	if len(parts) < 2 || len(parts) > 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, false
		}
		out[i] = n
	}
	return out, true
}
