#!/bin/sh
# gcs_soak.sh: mixed operations (puts of 0 B to 6 MiB, those over 256 KiB as
# resumable uploads in chunks of 256 KiB; gets checked by CRC-32C; ranged
# reads; copies; deletes; listings) through tests/fault_proxy.py in its
# seeded random mode, in front of tests/gcs_fixture.py, which checks every
# bearer token. tests/soak.py checks that each operation either succeeds
# with the exact bytes or fails with a classified error, and that afterwards
# every object is whole; this script adds that no resumable upload session
# is left open (the fixture counts them).
#   PAIL_SOAK_OPS (300), PAIL_SOAK_SEED (3), PAIL_SOAK_RATE (0.04) change
#   the run.
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/gcs_lib.sh"

. "$top_srcdir/tests/proxy_lib.sh"
gcs_start
# Chunks of 256 KiB: most puts are resumable uploads. The token endpoint
# (the key's token_uri) is reached without the proxy.
gcs_small_chunks_settings "$SCRATCH/soak.json" "$GCS_PORT"
PROXY_UPSTREAM_PORT=$GCS_PORT PROXY_SETTINGS=$SCRATCH/soak.json
trap 'proxy_stop; gcs_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT

soak_run "$SCRATCH/soak.json" 300 3 object
check "the soak's puts included resumable uploads" grep -q "uploadType=resumable" "$PROXY_LOG"
check "the soak's ranged reads used Range" grep -q "range=bytes=" "$PROXY_LOG"
check "no resumable upload session is left open" [ "$(gcs_stat sessions_open)" = 0 ]
finish
