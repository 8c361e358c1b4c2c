#!/bin/sh
# cleanup_azure.sh: `pail cleanup` on Azure, against Azurite (issue 15).
# Uncommitted blocks (a `pail put` killed with kill -9 mid-upload) cannot be
# removed without deleting the blob they may belong to, and Azure discards
# them by itself after 7 days: cleanup says so in a note, exits 0, and
# leaves committed blobs alone.
if [ -z "${AZURE_TOOLS:-}" ]; then
  AZURE_TOOLS=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/pail/azurite/node_modules
fi
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/azure_lib.sh"

export PAIL_CONFIG="$AZURE_SETTINGS"

run_pail mb
expect_status 0 "mb"
printf 'committed\n' >"$SCRATCH/small"
run_pail put "$SCRATCH/small" keep/object.txt
expect_status 0 "put a committed object"

stalled_put "$PAIL" $((12 << 20)) crash/big.bin
sleep 3 # blocks on their way
kill -9 "$PUT_PID"
wait "$PUT_PID" 2>/dev/null
kill "$FEED_PID" 2>/dev/null
wait "$FEED_PID" 2>/dev/null

run_pail cleanup --older-than 0
expect_status 0 "cleanup on Azure"
check "it notes that Azure discards uncommitted blocks after 7 days" \
  grep -q '^note: primary storage (azure_blob): Azure discards uncommitted blocks .* 7 days' "$OUT"
run_pail --json cleanup
check "--json carries the note and no leftover" python3 -c 'import json, sys
d = json.load(sys.stdin)["storages"][0]
assert d["type"] == "azure_blob" and "7 days" in d["note"], d
assert d["leftovers"] == [], d' <"$OUT"
run_pail cat keep/object.txt
check "the committed blob stays" grep -qx committed "$OUT"
run_pail stat crash/big.bin
expect_status 1 "the killed upload made no blob"

finish
