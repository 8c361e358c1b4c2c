#!/bin/sh
# gcs_hmac.sh: a gcs storage with HMAC keys and no service account (issue
# 5). The JSON API takes only OAuth2, so such a storage goes through GCS's
# XML API, which is the S3 protocol: the gcs backend hands it to the s3
# backend (provider "gcs") through the core's delegation. Every command runs
# against tests/gcs_fixture.py, whose XML API verifies each request's SigV4
# signature with the HMAC secret and refuses what Google's XML API does not
# do (DeleteObjects, UploadPartCopy, If-None-Match on writes, preconditions
# on multipart completions). What pail wrote is checked through the
# fixture's own view and through the JSON API with a service account.
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/gcs_lib.sh"

# Listings give at most 50 entries a page.
gcs_start --page-size 50

gcs_pail_timeout

GCS_KEY_FILE=$GCS_DIR/service-account.json
gcs_key_json "$GCS_KEY_PEM" "$GCS_KEY_FILE"
KEY_LINE=$(sed -n 2p "$GCS_KEY_PEM")
WRONG_SECRET=WrongHmacSecretNeverPrinted0123456789abc

GCS_SETTINGS=$GCS_DIR/settings.json
python3 -c '
import json, sys
key_file, port, bucket, hmac_id, hmac_secret, wrong, out = sys.argv[1:8]
local = {"type": "gcs", "bucket": bucket, "endpoint": "127.0.0.1:" + port,
         "useSSL": False}
hmac = dict(local, accessKey=hmac_id, secretKey=hmac_secret)
settings = {
    "storage": hmac,
    "secondary_storage": {
        "json": dict(local, serviceAccountKey=key_file),
        "vhost": dict(hmac, pathStyle=False, endpoint="localhost:" + port),
        "wrong": dict(hmac, secretKey=wrong),
        "other": dict(hmac, bucket="pail-other"),
        "nobucket": dict(hmac, bucket="no-such-bucket"),
        # The s3 backend pointed at GCS by hand, as users of other S3
        # tools do: provider "gcs" says what the XML API leaves out.
        "s3gcs": {"type": "s3", "provider": "gcs", "bucket": bucket,
                  "endPoint": "127.0.0.1:" + port, "useSSL": False,
                  "accessKey": hmac_id, "secretKey": hmac_secret,
                  "copyCutoff": 5242880},
        "s3plain": {"type": "s3", "bucket": bucket,
                    "endPoint": "127.0.0.1:" + port, "useSSL": False,
                    "region": "auto", "accessKey": hmac_id,
                    "secretKey": hmac_secret, "copyCutoff": 5242880},
    }}
json.dump(settings, open(out, "w"), indent=2)
' "$GCS_KEY_FILE" "$GCS_PORT" "$GCS_BUCKET" "$GCS_HMAC_ID" \
  "$GCS_HMAC_SECRET" "$WRONG_SECRET" "$GCS_SETTINGS"
export PAIL_CONFIG="$GCS_SETTINGS"

# no_secret NAME: the last run_pail printed neither HMAC secret.
no_secret() {
  if grep -qF -e "$GCS_HMAC_SECRET" -e "$WRONG_SECRET" -e "$KEY_LINE" \
    "$OUT" "$ERR"; then
    fail "$1: a secret appears in the output"
  else
    pass "$1: no secret in the output"
  fi
}

# --------------------------------------------------------------- setup
run_pail --verbose mb
expect_status 0 "mb creates the bucket through the XML API"
check "the log says the XML API is used" grep -q "XML API" "$ERR"
no_secret "mb --verbose"
run_pail mb
expect_status 0 "mb again: the bucket exists and is ours"
run_pail --storage other mb
expect_status 0 "mb of a second bucket (no LocationConstraint auto)"
# config check reaches every storage: all but the wrong secret and the
# missing bucket are ok.
run_pail config check
expect_status 1 "config check with HMAC keys only"
check "config check: the storages with HMAC keys are ok" test \
  "$(grep -c '^[^ ]* ([a-z0-9_]*): ok$' "$OUT")" -eq 6
check "config check: the wrong secret is access denied" \
  grep -q '^wrong (gcs): access denied: ' "$OUT"
check "config check: the missing bucket is named" \
  grep -q '^nobucket (gcs): not found: .*bucket "no-such-bucket" does not exist' "$OUT"
no_secret "config check"

run_pail --storage nobucket stat x
expect_status 1 "stat in a bucket that does not exist"
expect_stderr "not found" "a missing bucket is not found"

# ------------------------------------------- round trips, byte-exact
DATA=$SCRATCH/data
mkdir -p "$DATA"
: >"$DATA/zero"
printf 'x' >"$DATA/one"
head -c 100000 /dev/urandom >"$DATA/small"
# 12 MiB + 5: three parts of 5 MiB (the s3 default), the last short.
head -c $((12 * 1048576 + 5)) /dev/urandom >"$DATA/big"
started=$(gcs_stat xml_multipart_started)
for f in zero one small big; do
  run_pail put "$DATA/$f" "rt/$f"
  expect_status 0 "put $f"
  same_as_fixture "rt/$f" "$DATA/$f" "put $f"
  run_pail get "rt/$f" "$SCRATCH/back"
  expect_status 0 "get $f"
  check "get $f is byte-exact" cmp -s "$DATA/$f" "$SCRATCH/back"
  run_pail --storage json cat "rt/$f"
  check "$f reads back byte-exact through the JSON API" \
    cmp -s "$DATA/$f" "$OUT"
done
check "the big object went up as one multipart upload" \
  [ "$(delta xml_multipart_started "$started")" = 1 ]
check "no multipart upload is left open" \
  [ "$(gcs_stat multipart_uploads_open)" = 0 ]

run_pail get --offset 1000 --length 5000 rt/big "$SCRATCH/range"
expect_status 0 "ranged get"
check "the range is byte-exact" \
  cmp -s "$SCRATCH/range" "$(tail -c +1001 "$DATA/big" | head -c 5000 >"$SCRATCH/want" && echo "$SCRATCH/want")"

run_pail --storage vhost cat rt/small
check "virtual-hosted requests reach the bucket" cmp -s "$DATA/small" "$OUT"

# A whole download is checked against the CRC-32C in x-goog-hash.
gcs_fixture POST /_fixture/fault?name=corrupt-download >/dev/null
run_pail get rt/small "$SCRATCH/corrupt"
expect_status 1 "a download corrupted on the way fails"
expect_stderr "corrupt: its CRC-32C is" "the CRC-32C mismatch is named"
check "no file is left by the corrupt download" [ ! -e "$SCRATCH/corrupt" ]
run_pail -v get rt/small "$SCRATCH/clean"
expect_stderr "bytes verified by their CRC-32C" "a clean download is verified"

# An object written through the JSON API reads back through the XML API.
printf 'from json' >"$DATA/json"
run_pail --storage json put "$DATA/json" rt/json
expect_status 0 "put through the JSON API"
run_pail cat rt/json
check "an object of the JSON API reads through the XML API" \
  cmp -s "$DATA/json" "$OUT"

# ------------------------------------------------ stat and metadata
run_pail --json put --content-type text/x-pail \
  --content-disposition 'attachment; filename="m.txt"' \
  --metadata owner=alice --metadata step=7 "$DATA/small" rt/meta
expect_status 0 "put with content type, disposition and metadata"
check "the fixture stored the content type" \
  [ "$(gcs_object rt/meta contentType)" = text/x-pail ]
check "the fixture stored the metadata" \
  grep -q '"owner": "alice"' "$(gcs_object rt/meta metadata >"$SCRATCH/m" && echo "$SCRATCH/m")"
run_pail --json stat rt/meta
expect_status 0 "stat"
check "stat gives the size" grep -q '"size": 100000' "$OUT"
check "stat gives the content type" grep -q 'text/x-pail' "$OUT"
check "stat gives the disposition" grep -q 'm.txt' "$OUT"
check "stat gives the metadata (answered as x-goog-meta-*)" \
  grep -q '"owner": "alice"' "$OUT"
run_pail stat rt/none
expect_status 1 "stat of a missing object"
expect_stderr "not found" "a missing object is not found"

# ---------------------------------------------------------- listings
curl -sS -X POST "$GCS_URL/_fixture/seed?bucket=$GCS_BUCKET&prefix=many/f&count=120" >/dev/null
run_pail ls -r many/
expect_status 0 "ls -r past several pages"
check "ls -r lists all 120" [ "$(grep -c 'many/f' "$OUT")" = 120 ]
run_pail ls rt/
expect_status 0 "ls of a folder"
check "ls shows the objects" grep -q 'rt/big' "$OUT"
run_pail ls
expect_status 0 "ls of the top"
check "ls shows folders" grep -q 'many/' "$OUT"

# -------------------------------------------------------------- copies
copies=$(gcs_stat xml_copies)
run_pail cp rt/big rt/big-copy
expect_status 0 "server-side copy of the multipart object"
same_as_fixture rt/big-copy "$DATA/big" "cp big"
run_pail cp rt/meta rt/meta-copy
expect_status 0 "copy keeps what the source had"
check "the copy keeps the content type" \
  [ "$(gcs_object rt/meta-copy contentType)" = text/x-pail ]
check "copies went as XML API copies (no UploadPartCopy)" \
  [ "$(delta xml_copies "$copies")" = 2 ]
run_pail cp rt/none rt/x
expect_status 1 "copy of a missing object"

# ------------------------------------------------------ create-only
run_pail put --no-clobber "$DATA/one" rt/new-once
expect_status 0 "--no-clobber creates a new object"
run_pail put --no-clobber "$DATA/small" rt/new-once
expect_status 1 "--no-clobber on an existing object fails"
expect_stderr "exists|precondition|conflict" "the failure says why"
same_as_fixture rt/new-once "$DATA/one" "the existing object is kept"
started=$(gcs_stat xml_multipart_started)
run_pail put --no-clobber "$DATA/big" rt/big-once
expect_status 1 "--no-clobber above partSize is refused"
expect_stderr "precondition on multipart" "the refusal says why"
check "the refused upload sent no multipart upload" \
  [ "$(delta xml_multipart_started "$started")" = 0 ]
check "the refused upload left no object" \
  [ "$(gcs_object rt/big-once size)" = missing ]

# ------------------------------------------------------------- deletes
deletes=$(gcs_stat xml_deletes)
run_pail rm rt/one
expect_status 0 "rm of one object"
check "the object is gone" [ "$(gcs_object rt/one size)" = missing ]
run_pail rm rt/one
expect_status 1 "rm of a missing object"
expect_stderr "not found" "a missing object is reported"
run_pail rm -r many/
expect_status 0 "rm -r of 120 objects, one DELETE each (no DeleteObjects)"
run_pail ls -r many/
check "the folder is empty" [ ! -s "$OUT" ]
check "120 XML API deletes were sent" \
  [ "$(delta xml_deletes "$deletes")" -ge 121 ]

# ------------------------------- the s3 backend with provider "gcs"
# Without the provider the s3 backend sends what GCS refuses: DeleteObjects
# for many keys and UploadPartCopy above copyCutoff (5 MiB here).
curl -sS -X POST "$GCS_URL/_fixture/seed?bucket=$GCS_BUCKET&prefix=s3/f&count=3" >/dev/null
run_pail --storage s3plain rm -r s3/
expect_status 1 "plain s3: a batch delete is refused by the XML API"
expect_stderr "NotImplemented" "it says the XML API does not do it"
run_pail --storage s3plain cp rt/big rt/big-parts
expect_status 1 "plain s3: a copy by parts is refused by the XML API"
run_pail --storage s3gcs rm -r s3/
expect_status 0 "provider gcs: rm -r deletes key by key"
run_pail --storage s3gcs ls -r s3/
check "the keys are gone" [ ! -s "$OUT" ]
run_pail --storage s3gcs cp rt/big rt/big-one
expect_status 0 "provider gcs: a copy above copyCutoff goes in one request"
same_as_fixture rt/big-one "$DATA/big" "cp with provider gcs"
run_pail --storage s3gcs stat rt/meta
check "provider gcs: stat reads x-goog-meta-*" grep -q 'owner' "$OUT"

# ------------------------------------------------------------- signing
run_pail sign rt/small
expect_status 0 "sign with HMAC keys"
check "the URL is GOOG4-HMAC-SHA256" grep -q 'GOOG4-HMAC-SHA256' "$OUT"
check "the signed URL serves the object" \
  cmp -s "$DATA/small" "$(curl -sS --max-time 30 -o "$SCRATCH/signed" "$(cat "$OUT")" && echo "$SCRATCH/signed")"
no_secret "sign"

# ------------------------------------------------------------ refusals
refusals=$(gcs_stat xml_signature_refusals)
run_pail --storage wrong --verbose cat rt/small
expect_status 1 "a wrong HMAC secret fails"
expect_stderr "access denied|SignatureDoesNotMatch" "it is access denied"
check "the fixture refused the signature" \
  [ "$(delta xml_signature_refusals "$refusals")" -ge 1 ]
no_secret "wrong secret, --verbose"
run_pail --storage wrong put "$DATA/small" rt/denied
expect_status 1 "a write with a wrong secret fails"
check "nothing was written" [ "$(gcs_object rt/denied size)" = missing ]
check "no multipart upload is left open at the end" \
  [ "$(gcs_stat multipart_uploads_open)" = 0 ]

finish
