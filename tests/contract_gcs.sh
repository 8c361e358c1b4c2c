#!/bin/sh
# contract_gcs.sh: the backend contract (tests/contract_lib.sh) on the gcs
# backend against tests/gcs_fixture.py, a strict local GCS; the fixture's
# own view (size, MD5, attributes, a count by prefix) is the witness.
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/gcs_lib.sh"

# Listings give at most 50 entries a page, so CONTRACT_MANY (120) keys
# cross two page boundaries without 1,001 puts through a Python server.
gcs_start --page-size 50
gcs_pail_timeout
GCS_SETTINGS=$GCS_DIR/settings.json
gcs_small_chunks_settings "$GCS_SETTINGS" "$GCS_PORT"
export PAIL_CONFIG="$GCS_SETTINGS"
run_pail mb
expect_status 0 "mb creates the bucket"

CONTRACT_BACKEND=gcs
CONTRACT_MANY=120
CONTRACT_CAPS="persistent disposition metadata stored_type no_clobber cp_no_clobber"
. "$top_srcdir/tests/contract_lib.sh"

witness_has() { [ "$(gcs_object "$1" size)" != missing ]; }
witness_lacks() { [ "$(gcs_object "$1" size)" = missing ]; }
witness_count() {
  gcs_fixture GET "/_fixture/count?bucket=$GCS_BUCKET&prefix=$(python3 -c \
    'import sys, urllib.parse as u; print(u.quote(sys.argv[1], safe=""))' "$1")" |
    python_json 'print(d["count"])'
}
witness_same() {
  [ "$(gcs_object "$1" size)" = "$(wc -c <"$2" | tr -d ' ')" ] &&
    [ "$(gcs_object "$1" md5)" = "$(md5sum <"$2" | cut -d' ' -f1)" ]
}
witness_attrs() {
  gcs_name=$(python3 -c 'import sys, urllib.parse as u; print(u.quote(sys.argv[1], safe=""))' "$1")
  gcs_fixture GET "/_fixture/object?bucket=$GCS_BUCKET&name=$gcs_name" |
    python_json '
print(json.dumps({"content_type": d.get("contentType"),
                  "content_disposition": d.get("contentDisposition"),
                  "metadata": d.get("metadata") or {}}))'
}

contract_all
finish
