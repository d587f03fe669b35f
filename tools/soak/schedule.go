package main

import (
	"fmt"
	"math/rand"
	"strings"
	"time"
)

// Fault is one kind of failure a soak round injects.
type Fault string

// The faults, in the order the report lists them.
const (
	FaultKill9     Fault = "kill9"     // kill -9 of mfsmaster
	FaultSigstop   Fault = "sigstop"   // SIGSTOP of mfsmaster past its monitor interval, then SIGCONT
	FaultCrash     Fault = "crash"     // qemu of the active node quits; the node boots and rejoins
	FaultStandby   Fault = "standby"   // crm node standby of the active node, then online
	FaultReplLink  Fault = "repllink"  // DRBD's traffic dropped for seconds; corosync untouched
	FaultHungAttr  Fault = "hungattr"  // crm_attribute hangs past the monitor timeout on both nodes
	FaultPartition Fault = "partition" // both nodes lose the link; needs fencing
)

// AllFaults lists every fault kind in report order.
var AllFaults = []Fault{FaultKill9, FaultSigstop, FaultCrash, FaultStandby, FaultReplLink, FaultHungAttr, FaultPartition}

// Step is one round's fault and how long its outage lasts where the fault
// has a length of its own (SIGSTOP, link down, hang, partition before the
// driver restores the link); zero for the others.
type Step struct {
	Round int
	Fault Fault
	Hold  time.Duration
}

// holdRange is the outage length each fault draws from, [min, max]. The
// SIGSTOP must outlast the 10 s monitor interval of the lab's p_mfs, the
// hang its 30 s timeout; the replication link stays down long enough for
// DRBD to notice (its ack timeout is 6 s) while corosync, whose packets
// still pass, never sees a fault; a partition lasts until fencing acted.
var holdRange = map[Fault][2]time.Duration{
	FaultSigstop:   {12 * time.Second, 20 * time.Second},
	FaultReplLink:  {8 * time.Second, 12 * time.Second},
	FaultHungAttr:  {35 * time.Second, 45 * time.Second},
	FaultPartition: {90 * time.Second, 90 * time.Second},
}

// Schedule is the soak's fault sequence: rounds steps drawn from kinds with
// a generator seeded by seed, so that one seed always gives the same
// sequence. It cycles through a shuffled permutation of kinds before
// repeating any, so that a short run still covers each kind once when
// rounds >= len(kinds). Outcomes: nil for rounds <= 0 or no kinds.
func Schedule(seed int64, rounds int, kinds []Fault) []Step {
	if rounds <= 0 || len(kinds) == 0 {
		return nil
	}
	rng := rand.New(rand.NewSource(seed))
	steps := make([]Step, 0, rounds)
	var bag []Fault
	for r := 1; r <= rounds; r++ {
		if len(bag) == 0 {
			bag = append([]Fault(nil), kinds...)
			rng.Shuffle(len(bag), func(i, j int) { bag[i], bag[j] = bag[j], bag[i] })
		}
		f := bag[0]
		bag = bag[1:]
		s := Step{Round: r, Fault: f}
		if h, ok := holdRange[f]; ok {
			s.Hold = h[0]
			if span := h[1] - h[0]; span > 0 {
				s.Hold += time.Duration(rng.Int63n(int64(span/time.Second)+1)) * time.Second
			}
		}
		steps = append(steps, s)
	}
	return steps
}

// ParseFaults reads a comma-separated list of fault names; "" or "all"
// means every kind, minus the partition when fencing is off. Outcomes: the
// kinds, or an error naming an unknown kind or a partition without fencing
// (a partition without fencing is a split brain by design, not a soak).
func ParseFaults(list string, fencing bool) ([]Fault, error) {
	if list == "" || list == "all" {
		var out []Fault
		for _, f := range AllFaults {
			if f != FaultPartition || fencing {
				out = append(out, f)
			}
		}
		return out, nil
	}
	known := map[Fault]bool{}
	for _, f := range AllFaults {
		known[f] = true
	}
	var out []Fault
	for _, name := range strings.Split(list, ",") {
		f := Fault(strings.TrimSpace(name))
		switch {
		case !known[f]:
			return nil, fmt.Errorf("unknown fault %q (known: %v)", f, AllFaults)
		case f == FaultPartition && !fencing:
			return nil, fmt.Errorf("fault %q needs fencing (SBD): without it a partition makes a split brain", f)
		}
		out = append(out, f)
	}
	return out, nil
}
