#!/bin/sh
# gateway_backends.sh: the S3 gateway in front of cloud storages. One
# workspace holds an fs primary, an s3 storage on moto_server and an
# azure_blob storage on Azurite; boto3 (tests/gateway_boto3.py) runs its
# whole suite against each through `pail serve --s3-listen`, with keys from
# `pail credentials`: the same S3 answers whatever the backend. So do the
# rounds of the aws CLI, rclone, s3cmd and the AWS SDK for JavaScript
# (tests/gateway_clients.sh, as tests/gateway_s3.sh runs them over fs; left
# out by `make check-sanitized`, PAIL_CLIENT_TESTS=no). Then
# tests/gateway_native.py shows, from behind two gateways, that multipart
# uploads are the providers' own, and `pail cleanup` removes one left open. moto's
# signature checks are off for this test: it refuses percent-encoded paths
# when checking (its own bug, tests/s3_lib.sh), and what is under test is
# the gateway's checking of its clients, not pail's signing (tested by
# s3_cli.sh and contract_s3.sh).

# Azurite lives under the user's cache (scripts/install-deps.sh); lib.sh
# moves HOME, so it is looked for first (and so are the JavaScript
# clients, by gateway_clients.sh).
if [ -z "${AZURE_TOOLS:-}" ]; then
  AZURE_TOOLS=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/pail/azurite/node_modules
fi
. "${top_srcdir:?}/tests/gateway_clients.sh"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/s3_lib.sh"
. "$top_srcdir/tests/azure_lib.sh"
. "$top_srcdir/tests/serve_lib.sh"
trap 'serve_stop; s3_stop; azure_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT

if ! python3 -c 'import boto3' 2>/dev/null; then
  echo "SKIP: boto3 is needed (pip install boto3)"
  exit 77
fi
s3_signature_checks off

cat >"$SCRATCH/workspace.json" <<JSON
{ "storage": { "type": "fs", "root_path": "$SCRATCH/fs" },
  "secondary_storage": {
    "moto": { "type": "s3", "bucket": "$S3_BUCKET", "region": "$S3_REGION",
              "endPoint": "127.0.0.1:$S3_PORT", "useSSL": false,
              "accessKey": "$S3_ACCESS_KEY", "secretKey": "$S3_SECRET_KEY" },
    "azure": { "type": "azure_blob", "accountName": "$AZURE_ACCOUNT",
               "containerName": "$AZURE_CONTAINER", "accessKey": "$AZURE_KEY",
               "endpoint": "127.0.0.1:$AZURE_PORT", "useSSL": false } } }
JSON
mkdir -p "$SCRATCH/fs"
export PAIL_CONFIG="$SCRATCH/workspace.json"
for storage in moto azure; do
  run_pail mb "s3://$storage"
  expect_status 0 "mb $storage"
done

serve_start --s3-listen 127.0.0.1:0 || exit 1
ENDPOINT=$(serve_s3_endpoint)

serve_mint_suite
sleep 2

for bucket in moto azure; do
  serve_boto3 "boto3 ($bucket)" "boto3 against the gateway in front of $bucket" \
    "$bucket"
  GATEWAY_CLIENTS_ETAG_NOT_MD5=$([ "$bucket" = azure ] && echo yes)
  gateway_clients "$bucket" "$ENDPOINT" "$bucket" "$ALL_KEY_ID" "$ALL_SECRET"
done

# Multipart uploads are the provider's own (the backends' upload
# operations, ABI 1.18): moto's multipart uploads, Azure's blocks,
# whichever of two gateways gets each request; what each side holds is
# checked from the other (tests/gateway_native.py).
serve_second_start
check "a second gateway starts" test -n "$SERVE2_S3_ENDPOINT"
serve_checks "native (moto)" "multipart uploads through two gateways are moto's own" \
  env GATEWAY_ENDPOINT="$ENDPOINT" GATEWAY2_ENDPOINT="$SERVE2_S3_ENDPOINT" \
  GATEWAY_BUCKET=moto GATEWAY_KEY_ID="$ALL_KEY_ID" GATEWAY_SECRET="$ALL_SECRET" \
  NATIVE=s3 MOTO_ENDPOINT="http://127.0.0.1:$S3_PORT" MOTO_BUCKET="$S3_BUCKET" \
  MOTO_KEY_ID="$S3_ACCESS_KEY" MOTO_SECRET="$S3_SECRET_KEY" \
  MOTO_REGION="$S3_REGION" python3 "$top_srcdir/tests/gateway_native.py"
cp "$SCRATCH/checks.log" "$SCRATCH/native-moto.log"
serve_checks "native (azure)" "multipart uploads through two gateways are Azure blocks" \
  env GATEWAY_ENDPOINT="$ENDPOINT" GATEWAY2_ENDPOINT="$SERVE2_S3_ENDPOINT" \
  GATEWAY_BUCKET=azure GATEWAY_KEY_ID="$ALL_KEY_ID" GATEWAY_SECRET="$ALL_SECRET" \
  NATIVE=azure NODE_PATH="$AZURE_TOOLS" AZURE_URL="$AZURE_URL" \
  AZURE_ACCOUNT="$AZURE_ACCOUNT" AZURE_KEY="$AZURE_KEY" \
  AZURE_CONTAINER="$AZURE_CONTAINER" python3 "$top_srcdir/tests/gateway_native.py"
cp "$SCRATCH/checks.log" "$SCRATCH/native-azure.log"
serve_second_stop

# The upload left open in each is one leftover for pail cleanup, the
# gateway's (not also moto's multipart upload under it), and removing it
# abandons the provider's upload too (Azure's blocks stay uncommitted,
# as Azure keeps them).
for storage in moto azure; do
  LEFT_ID=$(sed -n 's/^left \([0-9a-f]*\) .*/\1/p' "$SCRATCH/native-$storage.log")
  check "an upload is left open in $storage" test -n "$LEFT_ID"
  run_pail cleanup "$storage" --older-than 0 --dry-run
  expect_status 0 "pail cleanup $storage --dry-run"
  check "the upload left in $storage is listed as the gateway's" \
    grep -q "would-remove.*gateway-upload.*native/left.bin.*$LEFT_ID" "$OUT"
  check "... and not again as the provider's" \
    sh -c "! grep -q 'multipart-upload.*native/left.bin' '$OUT'"
  run_pail cleanup "$storage" --older-than 0
  expect_status 0 "pail cleanup $storage --older-than 0"
  check "the upload left in $storage is removed" \
    grep -q "removed.*gateway-upload.*native/left.bin.*$LEFT_ID" "$OUT"
done
left=$(s3_aws s3api list-multipart-uploads --bucket "$S3_BUCKET" \
  --prefix native/left.bin --query 'length(Uploads || `[]`)' --output text)
check "... with moto's upload ($left left)" test "$left" = 0

# The bytes are the storage's: read back past the gateway.
run_pail cat s3://azure/range.bin
check "what boto3 wrote through the gateway is in Azure" \
  sh -c "python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 40)' | cmp -s - '$OUT'"
check "... and in moto" s3_aws s3api head-object --bucket "$S3_BUCKET" --key range.bin

serve_stop
finish
