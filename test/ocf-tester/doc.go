// Package ocftester runs resource-agents' ocf-tester, the compliance check
// operators run in their own CI, against the agents as `make install` lays
// them out. The tests carry the integration build tag: they need root, the
// real programs and a few seconds each.
package ocftester
