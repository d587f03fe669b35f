// Package crm holds ocf-mfs's clients of Pacemaker's tools. Scorer keeps a
// promotable clone's promotion score (crm_attribute, crm_master). Client
// serves drbd-splitbrain: it finds the
// promotable clone that manages a DRBD resource, where its promoted instance
// runs, and places or removes the fencing location constraint that
// crm-fence-peer.sh (drbd-utils) would, with the same id, so the two tools
// can replace each other on a running cluster.
package crm

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// Pacemaker tools' exit codes (crm_exit_t) this client interprets.
const (
	exitNoSuchObject = 105 // CRM_EX_NOSUCH: cibadmin -Q --xpath matched nothing, crm_attribute -G of a missing attribute
	exitDisconnect   = 102 // CRM_EX_DISCONNECT: no cluster to talk to
	exitExists       = 108 // CRM_EX_EXISTS: cibadmin -C of an id that exists
	// An update that lost a race with another one: CRM_EX_OLD ("update
	// older than existing config", include/crm/common/results.h) from
	// Pacemaker 2.0, and pcmk_err_old_data, which Pacemaker 1.1's cibadmin
	// exits with. crm-fence-peer.9.sh retries on exactly these two.
	exitOld       = 103
	exitOldData11 = 205
)

// ErrCIBRace is returned by Create when the CIB changed underneath the
// update (exit 103 or 205): trying again may succeed.
var ErrCIBRace = errors.New("the CIB changed underneath the update")

// ErrNoCluster is returned when no Pacemaker cluster answers (the tools are
// missing, or they cannot connect to the CIB).
var ErrNoCluster = errors.New("no Pacemaker cluster")

// ErrExists is returned by Create when an element with the id exists.
var ErrExists = errors.New("constraint already exists")

// Client runs crm_resource and cibadmin.
type Client struct {
	Runner runner.Runner
}

func (c *Client) run(ctx context.Context, name string, args ...string) (runner.Result, error) {
	res, err := c.Runner.Run(ctx, name, args...)
	if err != nil {
		if errors.Is(err, runner.ErrNotFound) {
			return res, fmt.Errorf("%s: %w: %w", name, ErrNoCluster, err)
		}
		return res, err
	}
	if res.ExitCode == exitDisconnect {
		return res, fmt.Errorf("%w: %w", ErrNoCluster, runner.NewCommandError(res, name, args...))
	}
	return res, nil
}

// Promotable is a promotable clone managing a DRBD resource.
type Promotable struct {
	ID        string // the clone's (or legacy master's) id: ms_drbd
	Primitive string // the DRBD primitive inside: p_drbd_r0
	Agent     string // ocf:linbit:drbd or ocf:mfs:drbd
}

type xmlResources struct {
	Clones  []xmlClone `xml:"clone"`
	Masters []xmlClone `xml:"master"`
}

type xmlClone struct {
	ID        string         `xml:"id,attr"`
	Primitive []xmlPrimitive `xml:"primitive"`
	// A promotable clone may wrap a group holding the DRBD primitive.
	Group []struct {
		Primitive []xmlPrimitive `xml:"primitive"`
	} `xml:"group"`
}

type xmlPrimitive struct {
	ID       string      `xml:"id,attr"`
	Class    string      `xml:"class,attr"`
	Provider string      `xml:"provider,attr"`
	Type     string      `xml:"type,attr"`
	Attrs    []xmlNVPair `xml:"instance_attributes>nvpair"`
}

type xmlNVPair struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// drbdAgents are the resource agents whose drbd_resource parameter names a
// DRBD resource: LINBIT's and ours (a drop-in replacement).
var drbdAgents = map[string]bool{"ocf:linbit:drbd": true, "ocf:mfs:drbd": true}

// ParseResources finds, in a `cibadmin -Q -o resources` document, the
// promotable clone (<clone>, or <master> in older schemas) whose DRBD
// primitive has drbd_resource=res. It returns nil when there is none.
func ParseResources(doc []byte, res string) (*Promotable, error) {
	var r xmlResources
	if err := xml.Unmarshal(doc, &r); err != nil {
		return nil, fmt.Errorf("parse CIB resources: %w", err)
	}
	for _, cl := range append(r.Clones, r.Masters...) {
		prims := cl.Primitive
		for _, g := range cl.Group {
			prims = append(prims, g.Primitive...)
		}
		for _, p := range prims {
			agent := p.Class + ":" + p.Provider + ":" + p.Type
			if !drbdAgents[agent] {
				continue
			}
			for _, nv := range p.Attrs {
				if nv.Name == "drbd_resource" && nv.Value == res {
					return &Promotable{ID: cl.ID, Primitive: p.ID, Agent: agent}, nil
				}
			}
		}
	}
	return nil, nil
}

// FindPromotable returns the promotable clone managing DRBD resource res,
// nil when the cluster has none, or an error wrapping ErrNoCluster.
func (c *Client) FindPromotable(ctx context.Context, res string) (*Promotable, error) {
	out, err := c.run(ctx, "cibadmin", "-Q", "-o", "resources")
	if err != nil {
		return nil, fmt.Errorf("cibadmin -Q -o resources: %w", err)
	}
	if out.ExitCode != 0 {
		return nil, runner.NewCommandError(out, "cibadmin", "-Q", "-o", "resources")
	}
	return ParseResources([]byte(out.Stdout), res)
}

// ParseLocate returns every node running a promoted instance in
// `crm_resource --locate` output ("resource ms_drbd is running on: node2
// Promoted"; "Master" before Pacemaker 2.1), sorted and without
// duplicates, so that the order of the lines cannot matter; nil when none.
// Right after a partition heals a clone can be promoted on two nodes.
func ParseLocate(out string) []string {
	seen := map[string]bool{}
	var nodes []string
	for _, line := range strings.Split(out, "\n") {
		_, rest, ok := strings.Cut(line, " is running on: ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) >= 2 && (f[1] == "Promoted" || f[1] == "Master") && !seen[f[0]] {
			seen[f[0]] = true
			nodes = append(nodes, f[0])
		}
	}
	sort.Strings(nodes)
	return nodes
}

// PromotedNodes returns where Pacemaker runs promoted instances of the
// clone id (see ParseLocate), nil when nowhere.
func (c *Client) PromotedNodes(ctx context.Context, id string) ([]string, error) {
	out, err := c.run(ctx, "crm_resource", "--locate", "-r", id)
	if err != nil {
		return nil, fmt.Errorf("crm_resource --locate -r %s: %w", id, err)
	}
	if out.ExitCode != 0 {
		return nil, runner.NewCommandError(out, "crm_resource", "--locate", "-r", id)
	}
	return ParseLocate(out.Stdout + "\n" + out.Stderr), nil
}

// FenceID is the id crm-fence-peer.sh gives its constraint, kept identical
// so that either tool can remove the other's.
func FenceID(res, msID string) string { return "drbd-fence-by-handler-" + res + "-" + msID }

func fenceConstraint(res, msID, keep, role string) string {
	id := FenceID(res, msID)
	pfx := "drbd-fence-by-handler-" + res
	return fmt.Sprintf(`<rsc_location rsc="%s" id="%s"><rule role="%s" score="-INFINITY" id="%s-rule-%s"><expression attribute="#uname" operation="ne" value="%s" id="%s-expr-1-%s"/></rule></rsc_location>`,
		xmlEscape(msID), xmlEscape(id), xmlEscape(role), xmlEscape(pfx), xmlEscape(msID), xmlEscape(keep), xmlEscape(pfx), xmlEscape(msID))
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), `"`, "&#34;")
}

// Constraint is the part of a fencing constraint that tells whose it is.
type Constraint struct {
	ID    string
	Rsc   string
	Role  string // Promoted or Master
	Score string
	Op    string // ne
	Attr  string // #uname
	Node  string // the node allowed to be promoted: the one that placed it
}

type xmlLocation struct {
	ID   string `xml:"id,attr"`
	Rsc  string `xml:"rsc,attr"`
	Rule []struct {
		Role  string `xml:"role,attr"`
		Score string `xml:"score,attr"`
		Expr  []struct {
			Attribute string `xml:"attribute,attr"`
			Operation string `xml:"operation,attr"`
			Value     string `xml:"value,attr"`
		} `xml:"expression"`
	} `xml:"rule"`
}

// ParseConstraint reads one rsc_location as cibadmin prints it.
func ParseConstraint(doc []byte) (*Constraint, error) {
	var l xmlLocation
	if err := xml.Unmarshal(doc, &l); err != nil {
		return nil, fmt.Errorf("parse rsc_location: %w", err)
	}
	c := &Constraint{ID: l.ID, Rsc: l.Rsc}
	if len(l.Rule) == 1 && len(l.Rule[0].Expr) == 1 {
		r := l.Rule[0]
		c.Role, c.Score = r.Role, r.Score
		c.Attr, c.Op, c.Node = r.Expr[0].Attribute, r.Expr[0].Operation, r.Expr[0].Value
	}
	return c, nil
}

// FencesAllBut reports whether c is a fencing constraint that keeps the
// promoted role on node only, the shape crm-fence-peer.sh and this package
// place.
func (c *Constraint) FencesAllBut(node string) bool {
	return (c.Role == "Promoted" || c.Role == "Master") && c.Score == "-INFINITY" &&
		c.Attr == "#uname" && c.Op == "ne" && c.Node == node
}

// xpath runs cibadmin -Q --xpath with extra arguments. Outcomes: what it
// printed and true; false when nothing matched; an error naming what
// was asked for otherwise.
func (c *Client) xpath(ctx context.Context, what, path string, extra ...string) ([]byte, bool, error) {
	argv := append([]string{"-Q", "--xpath", path}, extra...)
	out, err := c.run(ctx, "cibadmin", argv...)
	if err != nil {
		return nil, false, fmt.Errorf("cibadmin query %s: %w", what, err)
	}
	switch out.ExitCode {
	case 0:
		return []byte(out.Stdout), true, nil
	case exitNoSuchObject:
		return nil, false, nil
	}
	return nil, false, runner.NewCommandError(out, "cibadmin", argv...)
}

// Query returns the rsc_location with id, nil when there is none.
func (c *Client) Query(ctx context.Context, id string) (*Constraint, error) {
	doc, found, err := c.xpath(ctx, id, "//rsc_location[@id="+xpathLiteral(id)+"]")
	if !found {
		return nil, err
	}
	return ParseConstraint(doc)
}

// Create adds a constraint; ErrExists when its id is taken.
func (c *Client) Create(ctx context.Context, constraintXML string) error {
	argv := []string{"-C", "-o", "constraints", "-X", constraintXML}
	out, err := c.run(ctx, "cibadmin", argv...)
	if err != nil {
		return fmt.Errorf("cibadmin create: %w", err)
	}
	switch out.ExitCode {
	case 0:
		return nil
	case exitExists:
		return ErrExists
	case exitOld, exitOldData11:
		return fmt.Errorf("%w: %w", ErrCIBRace, runner.NewCommandError(out, "cibadmin", argv...))
	}
	return runner.NewCommandError(out, "cibadmin", argv...)
}

// FenceConstraintRole is the rsc_location that forbids the promoted role
// of msID on every node but keep (score -INFINITY, #uname ne keep), with
// the role named role: "Promoted" from Pacemaker 2.1, "Master" before it
// (Dialect.PromotedRole), whose scheduler drops a rule with role="Promoted"
// and the constraint would then fence nothing.
func FenceConstraintRole(res, msID, keep, role string) string {
	return fenceConstraint(res, msID, keep, role)
}

// CIBRoot is what the CIB's root element tells a fencing handler.
type CIBRoot struct {
	Dialect Dialect
	// Quorum is have-quorum="1" (or "true"): this partition has quorum.
	// The attribute is absent while no DC has written it; that is no quorum.
	Quorum bool
}

// ParseCIBRoot reads the root element as `cibadmin -Q --xpath /cib
// --no-children` prints it.
//
// Outcomes: the root's dialect (DialectFromCIB) and quorum; an error when
// doc is not XML.
func ParseCIBRoot(doc []byte) (CIBRoot, error) {
	d, err := DialectFromCIB(doc)
	if err != nil {
		return CIBRoot{}, err
	}
	var root struct {
		Quorum string `xml:"have-quorum,attr"`
	}
	if err := xml.Unmarshal(doc, &root); err != nil {
		return CIBRoot{}, fmt.Errorf("parse CIB root: %w", err)
	}
	q := strings.TrimSpace(root.Quorum)
	return CIBRoot{Dialect: d, Quorum: q == "1" || q == "true"}, nil
}

// CIBRoot reads the CIB's root element.
//
// Outcomes: the root; an error wrapping ErrNoCluster when no cluster
// answers; a *runner.CommandError for any other failure of cibadmin.
func (c *Client) CIBRoot(ctx context.Context) (CIBRoot, error) {
	argv := []string{"-Q", "--xpath", "/cib", "--no-children"}
	out, err := c.run(ctx, "cibadmin", argv...)
	if err != nil {
		return CIBRoot{}, fmt.Errorf("cibadmin -Q /cib: %w", err)
	}
	if out.ExitCode != 0 {
		return CIBRoot{}, runner.NewCommandError(out, "cibadmin", argv...)
	}
	return ParseCIBRoot([]byte(out.Stdout))
}

// NodeState is a node's entry in the CIB's status section, as the DC
// records it.
type NodeState struct {
	Uname    string `xml:"uname,attr"`
	InCCM    string `xml:"in_ccm,attr"`   // "true"/"false"; from Pacemaker 2.1.7 a timestamp when true
	Crmd     string `xml:"crmd,attr"`     // "online"/"offline"; from 2.1.7 a timestamp when online
	Join     string `xml:"join,attr"`     // member, down, pending, banned
	Expected string `xml:"expected,attr"` // member or down: what the DC expects
}

// ParseNodeState reads one node_state element.
func ParseNodeState(doc []byte) (*NodeState, error) {
	var n NodeState
	if err := xml.Unmarshal(doc, &n); err != nil {
		return nil, fmt.Errorf("parse node_state: %w", err)
	}
	return &n, nil
}

// since reports whether v is a Pacemaker 2.1.7+ timestamp, which stands
// for "true"/"online" since that time.
func since(v string) bool {
	if v == "" || v == "0" {
		return false
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Online reports whether the node is in the membership and its controller
// runs: Pacemaker can still reach it.
func (n *NodeState) Online() bool {
	return (n.InCCM == "true" || since(n.InCCM)) && (n.Crmd == "online" || since(n.Crmd))
}

// CleanDown reports whether the DC records the node as down as expected:
// out of the membership, its controller offline, expected down. That is
// what a completed fencing (or a clean shutdown) leaves; an unclean node
// lacks expected="down". crm-fence-peer.9.sh answers 7 on the same test.
func (n *NodeState) CleanDown() bool {
	return n.Expected == "down" && n.InCCM == "false" && n.Crmd != "online" && !since(n.Crmd)
}

// NodeState returns the node_state of node, nil when the CIB has none.
func (c *Client) NodeState(ctx context.Context, node string) (*NodeState, error) {
	doc, found, err := c.xpath(ctx, "node_state "+node, "//node_state[@uname="+xpathLiteral(node)+"]", "--no-children")
	if !found {
		return nil, err
	}
	return ParseNodeState(doc)
}

// lrmResource is a resource's operation history on one node, as the
// status section keeps it.
type lrmResource struct {
	Ops []struct {
		Operation string `xml:"operation,attr"`
		CallID    string `xml:"call-id,attr"`
		RC        string `xml:"rc-code,attr"`
		OpStatus  string `xml:"op-status,attr"`
	} `xml:"lrm_rsc_op"`
}

// ParseStoppedCleanly reads one lrm_resource element and reports whether
// the operation Pacemaker ran last on it (the highest call id) is a stop
// that succeeded: the resource is down on that node because Pacemaker took
// it down. Anything else, including a pending operation (call id -1), is
// false.
func ParseStoppedCleanly(doc []byte) (bool, error) {
	var r lrmResource
	if err := xml.Unmarshal(doc, &r); err != nil {
		return false, fmt.Errorf("parse lrm_resource: %w", err)
	}
	last, lastID := -1, -1
	for i, op := range r.Ops {
		id, err := strconv.Atoi(op.CallID)
		if err != nil || id < 0 {
			return false, nil
		}
		if id > lastID {
			last, lastID = i, id
		}
	}
	if last < 0 {
		return false, nil
	}
	op := r.Ops[last]
	return op.Operation == "stop" && op.RC == "0" && op.OpStatus == "0", nil
}

// StoppedOn reports whether the CIB records that Pacemaker stopped
// primitive on node, and nothing since (ParseStoppedCleanly); false when
// the node has no history of it.
func (c *Client) StoppedOn(ctx context.Context, node, primitive string) (bool, error) {
	doc, found, err := c.xpath(ctx, "history of "+primitive+" on "+node,
		"//node_state[@uname="+xpathLiteral(node)+"]//lrm_resource[@id="+xpathLiteral(primitive)+"]")
	if !found {
		return false, err
	}
	return ParseStoppedCleanly(doc)
}

// Delete removes the rsc_location with id; a missing one is fine
// (cibadmin -D exits 0).
func (c *Client) Delete(ctx context.Context, id string) error {
	argv := []string{"-D", "-o", "constraints", "-X", `<rsc_location id="` + xmlEscape(id) + `"/>`}
	out, err := c.run(ctx, "cibadmin", argv...)
	if err != nil {
		return fmt.Errorf("cibadmin delete %s: %w", id, err)
	}
	if out.ExitCode != 0 {
		return runner.NewCommandError(out, "cibadmin", argv...)
	}
	return nil
}

// xpathLiteral quotes s as an XPath 1.0 string literal. XPath has no
// escape character: a string with both quote kinds becomes a concat().
func xpathLiteral(s string) string {
	switch {
	case !strings.Contains(s, "'"):
		return "'" + s + "'"
	case !strings.Contains(s, `"`):
		return `"` + s + `"`
	}
	parts := strings.Split(s, "'")
	var b strings.Builder
	b.WriteString("concat(")
	for i, p := range parts {
		if i > 0 {
			b.WriteString(`, "'", `)
		}
		b.WriteString("'" + p + "'")
	}
	b.WriteString(")")
	return b.String()
}
