#!/bin/sh
# azure_soak.sh: mixed operations (puts of 0 B to 6 MiB, those over 1 MiB in
# blocks of 1 MiB; gets; ranged reads with x-ms-range; copies; deletes;
# listings) through tests/fault_proxy.py in its seeded random mode, in front
# of Azurite with SharedKey checking on. tests/soak.py checks that each
# operation either succeeds with the exact bytes or fails with a classified
# error, and that afterwards every blob is whole; this script adds that no
# blob has an uncommitted block list left (Get Block List, uncommitted).
#   PAIL_SOAK_OPS (300), PAIL_SOAK_SEED (2), PAIL_SOAK_RATE (0.04) change
#   the run.
if [ -z "${AZURE_TOOLS:-}" ]; then
  AZURE_TOOLS=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/pail/azurite/node_modules
fi
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/azure_lib.sh"

. "$top_srcdir/tests/proxy_lib.sh"
# Blocks of 1 MiB, the least Azure allows: the larger puts go up in blocks.
python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
s["storage"]["blockSize"] = 1048576
json.dump(s, open(sys.argv[2], "w"))' "$AZURE_SETTINGS" "$SCRATCH/soak.json"
PROXY_UPSTREAM_PORT=$AZURE_PORT PROXY_SETTINGS=$SCRATCH/soak.json
trap 'proxy_stop; azure_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT

soak_run "$SCRATCH/soak.json" 300 2 blob
check "the soak's puts went up in blocks" grep -q "comp=blocklist" "$PROXY_LOG"
check "the soak's ranged reads used x-ms-range" grep -q "x-ms-range=bytes=" "$PROXY_LOG"

# Every key the soak used (soak/k0 .. soak/k15), blob or not: no block left
# uncommitted. A key without a blob nor blocks is BlobNotFound.
left=
for n in $(seq 0 15); do
  blocks=$(azure_sdk blocks "soak/k$n" 2>&1) || {
    case $blocks in
    *BlobNotFound*) continue ;;
    esac
    left="$left soak/k$n($blocks)"
    continue
  }
  case $blocks in
  *'"uncommitted":0}') ;;
  *) left="$left soak/k$n($blocks)" ;;
  esac
done
check "no uncommitted block list is left:${left:- none}" test -z "$left"
finish
