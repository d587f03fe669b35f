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
			{Name: "wfc_timeout", Type: ocf.TypeInteger,
				ShortDesc: "ocf:linbit:drbd's name for connect_timeout",
				LongDesc: "When set, replaces connect_timeout; empty or not a number means start does not wait " +
					"for the peer, as in ocf:linbit:drbd."},
			{Name: "ignore_missing_notifications", Type: ocf.TypeBoolean, Default: "false",
				ShortDesc: "accept notify=false",
				LongDesc: "Accept a clone without notify=true. The agent then never hears that its peer came back, " +
					"and a StandAlone resource is not reconnected when the peer starts."},
			{Name: "remove_master_score_if_peer_primary", Type: ocf.TypeString, Default: "false",
				ShortDesc: "no score while connected to a Primary",
				LongDesc: "true: a Secondary connected to a Primary peer whose disks are all UpToDate gets no " +
					"promotion score. ocf:linbit:drbd's \"unexpected\" (ask crm_resource on every monitor) is " +
					"read as false."},
			{Name: "fail_promote_early_if_peer_primary", Type: ocf.TypeBoolean, Default: "false",
				ShortDesc: "no grace for a Primary peer on promote",
				LongDesc: "true: promote fails at once while the peer reads as Primary, instead of giving DRBD up " +
					"to 30 s (half the promote timeout) to notice that the peer is gone."},
			{Name: "require_drbd_module_version_ge", Type: ocf.TypeString,
				ShortDesc: "lowest DRBD module version x.y.z",
				LongDesc:  "validate and start fail (not installed) when the loaded DRBD module is older. Empty: no check."},
			{Name: "require_drbd_module_version_lt", Type: ocf.TypeString,
				ShortDesc: "DRBD module version x.y.z to stay below",
				LongDesc:  "validate and start fail (not installed) when the loaded DRBD module is this version or newer. Empty: no check."},
			{Name: "stop_outdates_secondary", Type: ocf.TypeBoolean, Default: "false",
				ShortDesc: "accepted, not used",
				LongDesc: "Accepted for ocf:linbit:drbd configurations and ignored: outdating a stopped Secondary on " +
					"the strength of notification variables is off in linbit's agent too; DRBD's fencing " +
					"(the fence-peer handler) outdates the peer."},
			{Name: "unfence_if_all_uptodate", Type: ocf.TypeBoolean, Default: "false",
				ShortDesc: "accepted, not used",
				LongDesc: "Accepted and ignored: the after-resync-target handler (drbd-splitbrain handler " +
					"unfence-peer) removes the fencing constraint once both disks are UpToDate, without a " +
					"process in every monitor."},
			{Name: "unfence_extra_args", Type: ocf.TypeString,
				ShortDesc: "accepted, not used",
				LongDesc:  "Accepted and ignored, with unfence_if_all_uptodate."},
			{Name: "connect_only_after_promote", Type: ocf.TypeBoolean, Default: "false",
				ShortDesc: "accepted, not supported",
				LongDesc: "Accepted and not supported (start connects as usual and logs a warning): it serves " +
					"stacked setups without fencing, which ocf-mfs does not cover."},
		},
		Actions: []ocf.Action{
			{Name: "start", Timeout: "240s"},
			{Name: "promote", Timeout: "90s"},
			{Name: "demote", Timeout: "90s"},
			{Name: "notify", Timeout: "90s"},
			{Name: "reload", Timeout: "30s"},
			{Name: "stop", Timeout: "100s"},
			{Name: "monitor", Timeout: "20s", Interval: "29s", Depth: "0", Role: "Master"},
			{Name: "monitor", Timeout: "20s", Interval: "31s", Depth: "0", Role: "Slave"},
			{Name: "validate-all", Timeout: "30s"},
			{Name: "meta-data", Timeout: "5s"},
		},
	}
}
