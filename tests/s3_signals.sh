#!/bin/sh
# s3_signals.sh: SIGINT and SIGTERM at every phase of `pail put` to
# moto_server (signature checking on), through tests/fault_proxy.py:
# before the first part, between parts, and while the commit request
# (CompleteMultipartUpload, or the one PUT of a small object) is in flight
# or answered. What pail reports is what S3 holds (tests/signal_lib.sh),
# and no multipart upload is left open.
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/s3_lib.sh"
. "$top_srcdir/tests/proxy_lib.sh"
. "$top_srcdir/tests/signal_lib.sh"
PAIL_BINARY=$PAIL
PROXY_UPSTREAM_PORT=$S3_PORT PROXY_SETTINGS=$S3_SETTINGS
trap 'sig_input_stop; proxy_stop; s3_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
"$PAIL" --config "$S3_SETTINGS" mb >/dev/null || fail "mb"

SIG_PART=$((5 << 20)) # partSize's default
key_re() { printf '%s' "$1" | sed 's/[.]/\\./g'; }
sig_part_begun() { echo "POST /$S3_BUCKET/$(key_re "$1")\\?uploads"; }
sig_commit_rule() { echo "POST ^/$S3_BUCKET/$(key_re "$1")\\?uploadId="; }
sig_single_rule() { echo "PUT ^/$S3_BUCKET/$(key_re "$1")\$"; }
sig_nothing_open() { expect_no_uploads "$1"; }

signal_phases
finish
