package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScheduleSameSeedSameSequence(t *testing.T) {
	a := Schedule(42, 30, AllFaults)
	b := Schedule(42, 30, AllFaults)
	require.Len(t, a, 30)
	assert.Equal(t, a, b)
}

func TestScheduleDifferentSeedsDiffer(t *testing.T) {
	a := Schedule(1, 30, AllFaults)
	b := Schedule(2, 30, AllFaults)
	assert.NotEqual(t, a, b)
}

func TestScheduleCoversEveryKindBeforeRepeating(t *testing.T) {
	for seed := int64(0); seed < 50; seed++ {
		s := Schedule(seed, 2*len(AllFaults), AllFaults)
		for half := 0; half < 2; half++ {
			seen := map[Fault]int{}
			for _, st := range s[half*len(AllFaults) : (half+1)*len(AllFaults)] {
				seen[st.Fault]++
			}
			assert.Len(t, seen, len(AllFaults), "seed %d half %d: %v", seed, half, s)
		}
	}
}

func TestScheduleOnlyGivenKindsAndRoundNumbers(t *testing.T) {
	s := Schedule(7, 9, []Fault{FaultKill9, FaultStandby})
	require.Len(t, s, 9)
	for i, st := range s {
		assert.Equal(t, i+1, st.Round)
		assert.Contains(t, []Fault{FaultKill9, FaultStandby}, st.Fault)
		assert.Zero(t, st.Hold, "kill9 and standby have no hold")
	}
}

func TestScheduleHoldsWithinRange(t *testing.T) {
	for seed := int64(0); seed < 20; seed++ {
		for _, st := range Schedule(seed, 60, AllFaults) {
			r, ok := holdRange[st.Fault]
			if !ok {
				assert.Zero(t, st.Hold)
				continue
			}
			assert.GreaterOrEqual(t, st.Hold, r[0], "%+v", st)
			assert.LessOrEqual(t, st.Hold, r[1], "%+v", st)
		}
	}
}

// The SIGSTOP must outlast the lab's 10 s monitor interval and the hung
// crm_attribute the 30 s monitor timeout, or the fault tests nothing.
func TestScheduleHoldsOutlastTheMonitor(t *testing.T) {
	assert.Greater(t, holdRange[FaultSigstop][0].Seconds(), 10.0)
	assert.Greater(t, holdRange[FaultHungAttr][0].Seconds(), 30.0)
}

func TestScheduleEmpty(t *testing.T) {
	assert.Nil(t, Schedule(1, 0, AllFaults))
	assert.Nil(t, Schedule(1, 5, nil))
}

func TestParseFaults(t *testing.T) {
	all, err := ParseFaults("", true)
	require.NoError(t, err)
	assert.Equal(t, AllFaults, all)

	noFence, err := ParseFaults("all", false)
	require.NoError(t, err)
	assert.NotContains(t, noFence, FaultPartition)
	assert.Len(t, noFence, len(AllFaults)-1)

	some, err := ParseFaults("kill9, crash", false)
	require.NoError(t, err)
	assert.Equal(t, []Fault{FaultKill9, FaultCrash}, some)

	_, err = ParseFaults("partition", false)
	assert.ErrorContains(t, err, "needs fencing")
	_, err = ParseFaults("reboot", true)
	assert.ErrorContains(t, err, "unknown fault")
}
