#!/bin/sh
# azure_signals.sh: SIGINT and SIGTERM at every phase of `pail put` to
# Azurite (SharedKey checking on), through tests/fault_proxy.py: before the
# first block, between blocks, and while the commit request (Put Block
# List, or the one Put Blob of a small blob) is in flight or answered. What
# pail reports is what Azurite holds (tests/signal_lib.sh). Uncommitted
# blocks are not listed by the service (it drops them after 7 days), so
# "nothing open" is the blob's own state: its committed content.
if [ -z "${AZURE_TOOLS:-}" ]; then
  AZURE_TOOLS=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/pail/azurite/node_modules
fi
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/azure_lib.sh"
. "$top_srcdir/tests/proxy_lib.sh"
. "$top_srcdir/tests/signal_lib.sh"
PAIL_BINARY=$PAIL
# Blocks of 1 MiB, the least pail allows.
sed 's/"useSSL": false/"useSSL": false, "blockSize": 1048576/' \
  "$AZURE_SETTINGS" >"$SCRATCH/signals.json"
PROXY_UPSTREAM_PORT=$AZURE_PORT PROXY_SETTINGS=$SCRATCH/signals.json
trap 'sig_input_stop; proxy_stop; azure_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
"$PAIL" --config "$PROXY_SETTINGS" mb >/dev/null || fail "mb"

SIG_PART=1048576
BLOB=/$AZURE_ACCOUNT/$AZURE_CONTAINER
key_re() { printf '%s' "$1" | sed 's/[.]/\\./g'; }
# Blocks are sent once pail waits on them: nothing to see before.
sig_part_begun() { echo ""; }
sig_commit_rule() { echo "PUT ^$BLOB/$(key_re "$1")\\?.*comp=blocklist"; }
sig_single_rule() { echo "PUT ^$BLOB/$(key_re "$1")\$"; }
sig_nothing_open() { :; }

signal_phases
finish
