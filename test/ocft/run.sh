#!/bin/sh
# Runs the ocft cases of ocf:mfs:master with resource-agents' ocft against
# an agent built from this tree. AGENT_ROOT is where the agent is put
# (default: a private directory, so that an agent installed under
# /usr/lib/ocf is left alone). Needs root, ocft (resource-agents) and
# mfsmaster (moosefs-master). Exits non-zero when a case fails.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
root=${AGENT_ROOT:-/run/ocft-mfs-agent}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$root"
# The front finds its full agent beside itself.
(cd "$repo" && CGO_ENABLED=0 go build -trimpath -o "$root/master" ./cmd/ocf-mfsmaster &&
	CGO_ENABLED=0 go build -trimpath -o "$root/ocf-mfsmaster-actions" ./cmd/ocf-mfsmaster-actions)
sed "s|^\tAgentRoot .*|\tAgentRoot $root|" "$here/master" >"$work/master"
ocft make -d "$work" master
out=$(ocft test master 2>&1) || true
echo "$out"
# ocft exits 0 whatever happens; a failed case says FAILED (unexpected
# exit code) or ERROR (a Bash step failed).
if echo "$out" | grep -qE 'FAILED|ERROR'; then
	exit 1
fi
