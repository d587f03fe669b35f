package drbd

import "github.com/ocf-mfs/ocf-mfs/internal/ocf"

const longDesc = `Manages one DRBD resource as a promotable clone, in place of
ocf:linbit:drbd: the same parameters where they mean the same, the same
promotion scores by default.

Monitor reads /proc/drbd directly on DRBD 8.4 (one "drbdsetup events2 --now"
on DRBD 9) and forks nothing else: the minor of the resource and the last
promotion score written are remembered in HA_RSCTMP, and crm_attribute runs
only when the score must change, when the attribute daemon restarted (its
process start time in /proc changed: Pacemaker forgot the score), or every
five minutes of uptime.

Promotion scores (adjust_master_score, four numbers A B C D), as
ocf:linbit:drbd gives them, judged over every volume and every peer:
  D  UpToDate and Primary, or UpToDate with every peer's disk known (10000)
  C  UpToDate Secondary, some peer's disk unknown (disconnected)     (1000)
  B  a local disk not UpToDate, a peer with every disk UpToDate      (10)
  A  every disk Consistent                                           (0)
  -  no quorum (DRBD 9), or no access to good data: no score
A score of 0 or less removes the attribute. A diskless client (DRBD 9)
gets D-1 or C-1 when its peers have good data.

A resource left StandAlone, for example after a split brain, keeps running
and is reported through the exit reason and the log; the agent never
discards data itself (see drbd-splitbrain).

The clone needs clone-node-max=1, promoted-node-max=1, promoted-max=1 (2
only with allow-two-primaries in drbd.conf) and notify=true.`

// Metadata implements ocf.Agent.
func (a *Agent) Metadata() *ocf.Metadata {
	return &ocf.Metadata{
		Name:      "drbd",
		Version:   "1.0",
		ShortDesc: "DRBD resource as a promotable clone",
		LongDesc:  longDesc,
		Parameters: []ocf.Parameter{
			{Name: "drbd_resource", Required: true, Unique: true, Type: ocf.TypeString,
				ShortDesc: "DRBD resource name",
				LongDesc:  "The name of the resource in drbdconf."},
			{Name: "drbdconf", Type: ocf.TypeString, Default: defaultConf,
				ShortDesc: "path to drbd.conf",
				LongDesc:  "The DRBD configuration file that defines drbd_resource, passed to drbdadm with -c."},
			{Name: "adjust_master_score", Type: ocf.TypeString, Default: defaultScores,
				ShortDesc: "promotion scores A B C D",
				LongDesc: "Four non-decreasing promotion scores, as ocf:linbit:drbd's: A for Consistent data only; " +
					"B when a peer has every disk UpToDate but a local one is not; C for UpToDate and Secondary " +
					"with some peer's disk unknown; D for UpToDate and Primary, or with every peer's disk known. " +
					"0 or less removes the score. A malformed value is logged and the default used."},
			{Name: "connect_timeout", Type: ocf.TypeInteger, Default: "10",
				ShortDesc: "seconds start waits for the peer",
				LongDesc: "After bringing the resource up, start waits this many seconds (never past its own " +
					"timeout) for the connection to the peer, so that the first score reflects it. A peer " +
					"that does not answer is not an error: the first node of a cluster starts alone."},
		},
		Actions: []ocf.Action{
			{Name: "start", Timeout: "240s"},
			{Name: "promote", Timeout: "90s"},
			{Name: "demote", Timeout: "90s"},
			{Name: "notify", Timeout: "90s"},
			{Name: "stop", Timeout: "100s"},
			{Name: "monitor", Timeout: "20s", Interval: "29s", Depth: "0", Role: "Master"},
			{Name: "monitor", Timeout: "20s", Interval: "31s", Depth: "0", Role: "Slave"},
			{Name: "validate-all", Timeout: "30s"},
			{Name: "meta-data", Timeout: "5s"},
		},
	}
}
