package master

import "github.com/ocf-mfs/ocf-mfs/internal/ocf"

const longDesc = `Manages a MooseFS metadata master (mfsmaster).

Unlike an LSB script, the monitor really checks the master: the holder of
the lock on DATA_PATH/.mfsmaster.lock (found as mfsmaster finds it, on
every MooseFS from 1.6 to 4.x) must be a live mfsmaster, not stopped
(SIGSTOP), and listening on its client port. It reads /proc and forks nothing. With
OCF_CHECK_LEVEL=20 it also makes a protocol round trip on the client port
(the request mfscli sends), so that a hung master is caught too.

Start recovers by itself from a crash or an unclean failover: when
metadata.mfs is missing but metadata.mfs.back or changelogs are there, it
runs "mfsmaster -a" ("mfsmetarestore -a" before MooseFS 1.7; unless
auto_recovery=false), and it returns only once
the master answers clients. Stop lets mfsmaster store its metadata and only
kills it when the stop timeout would otherwise run out.

A probe on a node where DATA_PATH is absent (the DRBD file system is
mounted elsewhere) reports "not running".

In a promotable clone (promotable=true) it needs no DRBD: unpromoted
instances run mfsmetalogger against the master at master_host (its VIP),
the promoted one runs mfsmaster, rebuilt on promote from the metalogger's
files with "mfsmaster -a". Demote stores the metadata and starts the
metalogger. Promotion scores follow how close each metalogger is to the
master's metadata version (max_lag). A node that returns after a takeover
starts unpromoted and moves its own old metadata files to a dated
set-aside folder.`

// Metadata implements ocf.Agent.
func (a *Agent) Metadata() *ocf.Metadata {
	return &ocf.Metadata{
		Name:      "master",
		Version:   "1.0",
		ShortDesc: "MooseFS metadata master (mfsmaster)",
		LongDesc:  longDesc,
		Parameters: []ocf.Parameter{
			{Name: "config", Unique: true, Type: ocf.TypeString, Default: defaultConfig,
				ShortDesc: "mfsmaster.cfg",
				LongDesc: "Path of the mfsmaster configuration file. The agent reads DATA_PATH, WORKING_USER, " +
					"WORKING_GROUP and the MATOML/MATOCS/MATOCL listen hosts and ports from it, with MooseFS's " +
					"defaults (DATA_PATH /var/lib/mfs, ports 9419, 9420 and 9421)."},
			{Name: "binary", Type: ocf.TypeString, Default: defaultBinary,
				ShortDesc: "mfsmaster binary",
				LongDesc:  "The mfsmaster program: a name looked up in PATH, or an absolute path."},
			{Name: "auto_recovery", Type: ocf.TypeBoolean, Default: "true",
				ShortDesc: "recover metadata after a crash with mfsmaster -a",
				LongDesc: "When metadata.mfs is missing but metadata.mfs.back or changelog files exist (the " +
					"state after any crash or unclean failover), start runs \"mfsmaster -a\" to rebuild the " +
					"metadata from them. Set to false to make start fail instead, so that an operator decides."},
			{Name: "probe_timeout", Type: ocf.TypeInteger, Default: "5",
				ShortDesc: "seconds for the protocol check",
				LongDesc: "How long, in seconds, the OCF_CHECK_LEVEL=20 monitor waits for the master to answer " +
					"its info request on the client port. A master that does not answer in time is reported " +
					"failed. It is also capped by the monitor's own timeout."},
			{Name: "kill_margin", Type: ocf.TypeInteger, Default: "5",
				ShortDesc: "seconds kept for SIGKILL before the stop timeout",
				LongDesc: "Stop sends SIGTERM and waits for the master to store its metadata and exit. When it " +
					"still runs this many seconds before the stop timeout, it and its data writer are killed " +
					"with SIGKILL (the next start then recovers the metadata). When not set: 5 seconds or a " +
					"fifth of the stop timeout, whichever is less."},
			{Name: "master_host", Type: ocf.TypeString,
				ShortDesc: "address of the master, for metaloggers (promotable clone)",
				LongDesc: "In a promotable clone: the address unpromoted instances' metaloggers connect to, the " +
					"VIP that follows the promoted instance. Required there, unused by the plain primitive. The " +
					"port is MATOML_LISTEN_PORT of the config, and the agent asks the master at this address, on " +
					"MATOCL_LISTEN_PORT, for its metadata version to compute promotion scores."},
			{Name: "metalogger_binary", Type: ocf.TypeString, Default: defaultMetaloggerBinary,
				ShortDesc: "mfsmetalogger binary (promotable clone)",
				LongDesc:  "The mfsmetalogger program that unpromoted instances run: a name looked up in PATH, or an absolute path."},
			{Name: "metalogger_path", Type: ocf.TypeString,
				ShortDesc: "metalogger's DATA_PATH (promotable clone)",
				LongDesc: "Where the metalogger of an unpromoted instance keeps its files (metadata_ml.mfs.back, " +
					"changelog_ml.*.mfs). Default: the directory metalogger inside DATA_PATH. Never DATA_PATH itself: " +
					"mfsmaster -a reads every metadata and changelog file there. The agent writes the metalogger's " +
					"configuration itself, in $HA_RSCTMP."},
			{Name: "max_lag", Type: ocf.TypeInteger, Default: "1000",
				ShortDesc: "changes a metalogger may lag and stay promotable first",
				LongDesc: "In a promotable clone: a metalogger more than this many metadata changes behind the " +
					"master (disconnected, or slow) gets promotion score 10 instead of 101 to 1000, so that Pacemaker " +
					"promotes a fresher copy when one exists."},
		},
		Actions: []ocf.Action{
			{Name: "start", Timeout: "300s"},
			{Name: "stop", Timeout: "600s"},
			{Name: "monitor", Timeout: "30s", Interval: "10s", Depth: "0"},
			{Name: "monitor", Timeout: "30s", Interval: "60s", Depth: "20"},
			{Name: "monitor", Timeout: "30s", Interval: "9s", Role: "Master"},
			{Name: "monitor", Timeout: "30s", Interval: "11s", Role: "Slave"},
			{Name: "promote", Timeout: "300s"},
			{Name: "demote", Timeout: "600s"},
			{Name: "reload", Timeout: "30s"},
			{Name: "validate-all", Timeout: "30s"},
			{Name: "meta-data", Timeout: "5s"},
		},
	}
}
