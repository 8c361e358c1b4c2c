#!/bin/sh
# gateway_gcs.sh: the S3 gateway in front of a gcs storage on
# tests/gcs_fixture.py (a strict local GCS). boto3 runs the gateway's
# whole suite (tests/gateway_boto3.py) against it, then
# tests/gateway_native.py shows from behind two gateways that multipart
# uploads are GCS's own: parts as hidden objects composed at Complete
# (32 at a time, in a tree beyond), none left after Complete or Abort.
# pail cleanup then removes an upload left open (once, as the gateway's)
# and the parts of one whose gateway records are gone (as the backend's).
# A storage of HMAC keys alone hands the uploads to the XML API's multipart
# uploads (the s3 backend).
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/gcs_lib.sh"
. "$top_srcdir/tests/serve_lib.sh"
trap 'serve_stop; gcs_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT

if ! python3 -c 'import boto3' 2>/dev/null; then
  echo "SKIP: boto3 is needed (pip install boto3)"
  exit 77
fi

gcs_start
gcs_pail_timeout
GCS_KEY_FILE=$GCS_DIR/service-account.json
gcs_key_json "$GCS_KEY_PEM" "$GCS_KEY_FILE"
cat >"$SCRATCH/workspace.json" <<JSON
{ "storage": { "type": "fs", "root_path": "$SCRATCH/fs" },
  "secondary_storage": {
    "gcs": { "type": "gcs", "bucket": "$GCS_BUCKET",
             "endpoint": "127.0.0.1:$GCS_PORT", "useSSL": false,
             "serviceAccountKey": "$GCS_KEY_FILE" },
    "hmac": { "type": "gcs", "bucket": "$GCS_BUCKET",
              "endpoint": "127.0.0.1:$GCS_PORT", "useSSL": false,
              "accessKey": "$GCS_HMAC_ID", "secretKey": "$GCS_HMAC_SECRET" } } }
JSON
mkdir -p "$SCRATCH/fs"
export PAIL_CONFIG="$SCRATCH/workspace.json"
run_pail mb s3://gcs
expect_status 0 "mb gcs"

serve_start --s3-listen 127.0.0.1:0 || exit 1
ENDPOINT=$(serve_s3_endpoint)

serve_mint_suite
sleep 2

# boto3's whole suite; under the sanitizers (make check-sanitized,
# PAIL_CLIENT_TESTS=no) it is left out, as the other clients' rounds are:
# the gateway code it drives runs there against moto and Azurite
# (gateway_backends.sh), and gcs's own upload code in the native checks
# below.
if [ "${PAIL_CLIENT_TESTS:-yes}" = no ]; then
  echo "NOTE: PAIL_CLIENT_TESTS=no: boto3's whole suite against gcs is left out"
else
  serve_boto3 "boto3 (gcs)" "boto3 against the gateway in front of gcs" gcs
fi

before=$(gcs_stat compose_calls)
serve_second_start
check "a second gateway starts" test -n "$SERVE2_S3_ENDPOINT"
serve_checks "native (gcs)" "multipart uploads through two gateways are GCS compositions" \
  env GATEWAY_ENDPOINT="$ENDPOINT" GATEWAY2_ENDPOINT="$SERVE2_S3_ENDPOINT" \
  GATEWAY_BUCKET=gcs GATEWAY_KEY_ID="$ALL_KEY_ID" GATEWAY_SECRET="$ALL_SECRET" \
  NATIVE=gcs GCS_URL="$GCS_URL" GCS_BUCKET="$GCS_BUCKET" \
  GCS_USER_CLIENT="$GCS_USER_CLIENT" GCS_USER_SECRET="$GCS_USER_SECRET" \
  GCS_USER_REFRESH="$GCS_USER_REFRESH" \
  python3 "$top_srcdir/tests/gateway_native.py"
cp "$SCRATCH/checks.log" "$SCRATCH/native-gcs.log"
serve_second_stop
# 33 parts: 2 intermediates of 32 and 1, then the target.
check "Complete composed (compose calls: $(delta compose_calls "$before"))" \
  test "$(delta compose_calls "$before")" -ge 3

# The upload left open is one leftover, the gateway's (not also the
# backend's own listing of its parts), and removing it deletes the parts.
LEFT_ID=$(sed -n 's/^left \([0-9a-f]*\) .*/\1/p' "$SCRATCH/native-gcs.log")
LEFT_TAG=$(sed -n 's/^left [0-9a-f]* \([0-9a-f]*\)$/\1/p' "$SCRATCH/native-gcs.log")
check "an upload is left open" test -n "$LEFT_ID" -a -n "$LEFT_TAG"
run_pail cleanup gcs --older-than 0 --dry-run
expect_status 0 "pail cleanup gcs --dry-run"
check "the upload left is listed as the gateway's" \
  grep -q "would-remove.*gateway-upload.*native/left.bin.*$LEFT_ID" "$OUT"
check "... and not again as the backend's parts" \
  sh -c "! grep -q 'multipart-upload.*native/left.bin' '$OUT'"
run_pail cleanup gcs --older-than 0
expect_status 0 "pail cleanup gcs --older-than 0"
check "the upload left is removed" \
  grep -q "removed.*gateway-upload.*native/left.bin.*$LEFT_ID" "$OUT"
witness=$(gcs_fixture GET "/_fixture/count?bucket=$GCS_BUCKET&prefix=.pail_uploads/")
check "... with its part's object ($witness)" test "$witness" = '{"count": 0}'

# An upload whose gateway records are gone (a gateway's folder removed by
# hand, a Complete cut off after the compose) leaves parts that only the
# backend's listing finds: cleanup names them by their upload's key.
run_pail put - s3://gcs/orphan/seed.txt <<EOF
seed
EOF
python3 - "$ENDPOINT" "$ALL_KEY_ID" "$ALL_SECRET" >"$SCRATCH/orphan" <<'EOF'
import sys
import boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2],
                  aws_secret_access_key=sys.argv[3], region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}))
u = s3.create_multipart_upload(Bucket="gcs", Key="orphan/big.bin")["UploadId"]
for n in (1, 2):
    s3.upload_part(Bucket="gcs", Key="orphan/big.bin", UploadId=u,
                   PartNumber=n, Body=b"orphan %d" % n)
print(u)
EOF
ORPHAN_ID=$(cat "$SCRATCH/orphan")
check "an upload to orphan is open" test -n "$ORPHAN_ID"
run_pail rm -r "s3://gcs/.pail_uploads/$ORPHAN_ID/"
expect_status 0 "its gateway records removed by hand"
run_pail cleanup gcs --older-than 0
expect_status 0 "pail cleanup of the orphaned parts"
check "they are the backend's multipart-upload of their key" \
  grep -q "removed.*multipart-upload.*orphan/big.bin" "$OUT"
witness=$(gcs_fixture GET "/_fixture/count?bucket=$GCS_BUCKET&prefix=.pail_uploads/")
check "... and gone ($witness)" test "$witness" = '{"count": 0}'
check "the committed object stays" test "$(gcs_object orphan/seed.txt size)" = 5

# With HMAC keys alone the storage speaks the XML API through the s3
# backend: the gateway's uploads are the XML API's multipart uploads.
before=$(gcs_stat xml_multipart_started)
python3 - "$ENDPOINT" "$ALL_KEY_ID" "$ALL_SECRET" >"$SCRATCH/hmac" <<'EOF'
import os
import sys
import boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2],
                  aws_secret_access_key=sys.argv[3], region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}))
key = "xml/joined.bin"
u = s3.create_multipart_upload(Bucket="hmac", Key=key,
                               Metadata={"via": "xml"})["UploadId"]
parts = {2: os.urandom(1000), 1: os.urandom(5 << 20)}
etags = {n: s3.upload_part(Bucket="hmac", Key=key, UploadId=u, PartNumber=n,
                           Body=body)["ETag"] for n, body in parts.items()}
s3.complete_multipart_upload(Bucket="hmac", Key=key, UploadId=u,
                             MultipartUpload={"Parts": [
                                 {"PartNumber": n, "ETag": etags[n]}
                                 for n in (1, 2)]})
got = s3.get_object(Bucket="hmac", Key=key)
print(got["Body"].read() == parts[1] + parts[2], got["Metadata"])
EOF
check "HMAC keys alone: a multipart upload through the gateway ($(cat "$SCRATCH/hmac"))" \
  test "$(cat "$SCRATCH/hmac")" = "True {'via': 'xml'}"
check "... is the XML API's multipart upload" \
  test "$(delta xml_multipart_started "$before")" = 1

serve_stop
finish
