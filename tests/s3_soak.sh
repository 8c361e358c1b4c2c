#!/bin/sh
# s3_soak.sh: 400 mixed operations (puts of 0 B to 6 MiB, the largest in
# multipart parts; gets; ranged reads; copies; deletes; listings) through
# tests/fault_proxy.py in its seeded random mode, in front of moto_server
# with signature checking on. tests/soak.py checks that each operation either
# succeeds with the exact bytes or fails with a classified error, and that
# afterwards every object is whole; this script adds that no multipart
# upload is left open.
#   PAIL_SOAK_OPS (400), PAIL_SOAK_SEED (1), PAIL_SOAK_RATE (0.04: the share
#   of requests the proxy breaks) change the run.
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/s3_lib.sh"

. "$top_srcdir/tests/proxy_lib.sh"
PROXY_UPSTREAM_PORT=$S3_PORT PROXY_SETTINGS=$S3_SETTINGS
trap 'proxy_stop; s3_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT

soak_run "$S3_SETTINGS" 400 1 object
expect_no_uploads "after the soak"
finish
