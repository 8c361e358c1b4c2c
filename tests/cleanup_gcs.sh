#!/bin/sh
# cleanup_gcs.sh: `pail cleanup` on GCS, against tests/gcs_fixture.py (issue
# 15). Through the JSON API (a service account) there is nothing pail can
# list: resumable sessions have no listing call, so cleanup says plainly
# that GCS ends them itself after a week. Through the XML API (HMAC keys
# alone) a `pail put` killed with kill -9 leaves a multipart upload, which
# cleanup --older-than 0 aborts, leaving committed objects alone.
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/gcs_lib.sh"

gcs_start
gcs_pail_timeout
GCS_KEY_FILE=$GCS_DIR/service-account.json
gcs_key_json "$GCS_KEY_PEM" "$GCS_KEY_FILE"
GCS_SETTINGS=$GCS_DIR/settings.json
python3 -c '
import json, sys
key_file, port, bucket, hmac_id, hmac_secret, out = sys.argv[1:7]
local = {"type": "gcs", "bucket": bucket, "endpoint": "127.0.0.1:" + port,
         "useSSL": False}
json.dump({"storage": dict(local, accessKey=hmac_id, secretKey=hmac_secret),
           "secondary_storage": {
               "json": dict(local, serviceAccountKey=key_file)}},
          open(out, "w"))
' "$GCS_KEY_FILE" "$GCS_PORT" "$GCS_BUCKET" "$GCS_HMAC_ID" \
  "$GCS_HMAC_SECRET" "$GCS_SETTINGS"
export PAIL_CONFIG="$GCS_SETTINGS"

run_pail mb
expect_status 0 "mb"
printf 'committed\n' >"$SCRATCH/small"
run_pail put "$SCRATCH/small" keep/object.txt
expect_status 0 "put a committed object"

# ------------------------------------------------------------ JSON API
run_pail cleanup json --older-than 0
expect_status 0 "cleanup of a JSON API storage"
check "it notes that GCS ends resumable sessions itself" \
  grep -q '^note: json (gcs): GCS ends an unfinished resumable upload session by itself, a week' "$OUT"
run_pail --json cleanup json
check "--json carries the note" python3 -c 'import json, sys
d = json.load(sys.stdin)["storages"][0]
assert d["name"] == "json" and "a week" in d["note"] and d["leftovers"] == [], d' <"$OUT"

# ------------------------------------------------------------- XML API
stalled_put "$PAIL_BINARY" $((12 << 20)) crash/big.bin
tries=0
until [ "$(gcs_stat multipart_uploads_open)" -ge 1 ] || [ "$tries" -ge 300 ]; do
  tries=$((tries + 1))
  sleep 0.1
done
sleep 1 # parts on their way
kill -9 "$PUT_PID"
wait "$PUT_PID" 2>/dev/null
kill "$FEED_PID" 2>/dev/null
wait "$FEED_PID" 2>/dev/null
check "kill -9 during put leaves a multipart upload" \
  test "$(gcs_stat multipart_uploads_open)" -eq 1
run_pail cleanup _default_
expect_status 0 "cleanup with the default 24h"
check "a recent upload is kept" test "$(gcs_stat multipart_uploads_open)" -eq 1
check "it is listed as kept-recent" \
  grep -q '^kept-recent .*multipart-upload.*crash/big.bin' "$OUT"
run_pail cleanup _default_ --older-than 0
expect_status 0 "cleanup --older-than 0"
check "it is listed as removed" grep -q '^removed .*multipart-upload.*crash/big.bin' "$OUT"
check "the upload is aborted" test "$(gcs_stat multipart_uploads_open)" -eq 0
check "no object was made of it" test "$(gcs_object crash/big.bin size)" = missing
check "the committed object stays" test "$(gcs_object keep/object.txt size)" = 10

finish
