#!/bin/sh
# gcs_signals.sh: SIGINT and SIGTERM at every phase of `pail put` to the GCS
# fixture, through tests/fault_proxy.py: before the first chunk, between
# chunks of a resumable session, and while the commit request (the
# session's last chunk, or the one media upload of a small object) is in
# flight or answered. What pail reports is what the fixture holds
# (tests/signal_lib.sh), and no resumable session is left open.
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/gcs_lib.sh"
. "$top_srcdir/tests/proxy_lib.sh"
. "$top_srcdir/tests/signal_lib.sh"
PAIL_BINARY=$PAIL
gcs_start
# Chunks of 256 KiB. The token endpoint (the key's token_uri) is reached
# without the proxy.
gcs_small_chunks_settings "$SCRATCH/signals.json" "$GCS_PORT"
PROXY_UPSTREAM_PORT=$GCS_PORT PROXY_SETTINGS=$SCRATCH/signals.json
trap 'sig_input_stop; proxy_stop; gcs_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
"$PAIL" --config "$PROXY_SETTINGS" mb >/dev/null || fail "mb"

SIG_PART=262144
SESSION="/upload/storage/v1/b/$GCS_BUCKET/o\\?uploadType=resumable&upload_id="
# Chunks are sent as they fill: the first one's 308 shows the session began.
sig_part_begun() { echo "PUT $SESSION[^ ]* -> 308"; }
# The session's third PUT is its last chunk (two full chunks go first).
sig_commit_rule() { echo "PUT ^$SESSION"; }
sig_commit_extra="1 2"
sig_single_rule() { echo "POST ^/upload/storage/v1/b/$GCS_BUCKET/o\\?.*uploadType=media"; }
sig_nothing_open() {
  check "$1: no resumable session left open" [ "$(gcs_stat sessions_open)" = 0 ]
}

signal_phases
finish
