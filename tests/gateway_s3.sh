#!/bin/sh
# gateway_s3.sh: the S3 gateway of `pail serve --s3-listen` over the fs
# default storage, driven by real clients: boto3 (tests/gateway_boto3.py:
# round trips with bytes compared, odd keys, ranges, conditionals,
# listings with folders and paging past 1,000 keys, copies, deletes,
# presigned URLs, multipart uploads, and every refusal with S3's code and
# nothing stored), the aws CLI (64 MiB in parts, and a listing of 1,003
# keys), the rounds of the aws CLI, rclone, s3cmd and the AWS SDK for
# JavaScript (tests/gateway_clients.sh; with nodejs-polars) over HTTP and
# again over HTTPS, pail as a worker, two gateways sharing one upload,
# `pail cleanup` of an upload left behind, and curl for what no SDK sends
# (no signature at all, a request signed 20 minutes ago). Keys come from
# `pail credentials`; the storage's own settings hold no credential at
# all, and the keys never reach it. tests/gateway_backends.sh runs boto3
# and the same rounds against moto and Azurite storages.
. "${top_srcdir:?}/tests/gateway_clients.sh"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/serve_lib.sh"
trap 'serve_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT

if ! python3 -c 'import boto3' 2>/dev/null || ! command -v aws >/dev/null; then
  echo "SKIP: boto3 and the aws CLI are needed (pip install boto3 awscli)"
  exit 77
fi

# The fs default, with many objects made straight on disk for paging.
MANY=1003
mkdir -p "$PAIL_HOME/many"
i=0
while [ $i -lt $MANY ]; do
  : >"$PAIL_HOME/many/k$(printf %05d $i)"
  i=$((i + 1))
done

serve_start --s3-listen 127.0.0.1:0 || exit 1
ENDPOINT=$(serve_s3_endpoint)
check "the gateway's endpoint is printed" test -n "$ENDPOINT"

serve_mint_suite

# A key's id and secret are all a client holds: no session token.
run_pail credentials --env --allow read
expect_status 0 "pail credentials --env"
check "--env prints AWS_ lines" grep -q '^AWS_ACCESS_KEY_ID=PK1' "$OUT"
check "--env prints the secret" grep -q '^AWS_SECRET_ACCESS_KEY=' "$OUT"
run_pail credentials --allow fly
expect_status 2 "pail credentials --allow fly"
run_pail credentials --storage nowhere
expect_status 1 "pail credentials --storage nowhere"
expect_stderr 'no storage named "nowhere"' "an unknown storage is named"
run_pail credentials --expires 999999
expect_status 2 "pail credentials --expires past 7 days"

sleep 2 # the key minted with --expires 1 is now expired
serve_boto3 boto3 "boto3 against the gateway" _default_ \
  GATEWAY_MANY_PREFIX=many/ GATEWAY_MANY_COUNT="$MANY"

staged() {
  find "$PAIL_HOME/.pail_uploads" -type f 2>/dev/null | wc -l
}
check "Complete and Abort leave nothing staged" test "$(staged)" -eq 0

# The aws CLI: uploads of 64 MiB (in parts of its default 8 MiB),
# downloads, listings (past 1,000 keys: two pages).
export AWS_ACCESS_KEY_ID=$ALL_KEY_ID AWS_SECRET_ACCESS_KEY=$ALL_SECRET
export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=$SCRATCH/aws-config
unset AWS_SESSION_TOKEN AWS_PROFILE
printf '[default]\ns3 =\n  addressing_style = path\n' >"$AWS_CONFIG_FILE"
head -c 67108864 /dev/urandom >"$SCRATCH/big"
check "aws s3 cp up (64 MiB)" aws --endpoint-url "$ENDPOINT" s3 cp --quiet \
  "$SCRATCH/big" s3://_default_/cli/big
check "aws s3 cp down" aws --endpoint-url "$ENDPOINT" s3 cp --quiet \
  s3://_default_/cli/big "$SCRATCH/big.back"
check "the bytes came back" cmp -s "$SCRATCH/big" "$SCRATCH/big.back"
check "it is the file pail stores" cmp -s "$SCRATCH/big" "$PAIL_HOME/cli/big"
aws --endpoint-url "$ENDPOINT" s3 ls s3://_default_/cli/ >"$SCRATCH/ls" 2>&1
check "aws s3 ls" grep -q ' 67108864 big$' "$SCRATCH/ls"
check "aws s3 rm" aws --endpoint-url "$ENDPOINT" s3 rm --quiet \
  s3://_default_/cli/big
check "removed" test ! -e "$PAIL_HOME/cli/big"
aws --endpoint-url "$ENDPOINT" s3 ls s3://_default_/many/ >"$SCRATCH/ls" 2>&1
check "aws s3 ls of $MANY keys, in pages of 1,000" \
  sh -c "test \$(grep -c ' 0 k0[0-9]*\$' '$SCRATCH/ls') -eq $MANY && grep -q ' 0 k01002\$' '$SCRATCH/ls'"

# The aws CLI, rclone, s3cmd, the JavaScript SDK and nodejs-polars (with
# the storage_options of `pail settings polars --gateway`).
run_pail settings polars --gateway "$ENDPOINT"
expect_status 0 "pail settings polars --gateway"
cp "$OUT" "$SCRATCH/polars.json"
GATEWAY_CLIENTS_STORED=$PAIL_HOME GATEWAY_CLIENTS_POLARS=$SCRATCH/polars.json
gateway_clients fs "$ENDPOINT" _default_ "$ALL_KEY_ID" "$ALL_SECRET"
GATEWAY_CLIENTS_POLARS=

# pail settings --gateway: a data tool pointed at the gateway with keys
# minted for the storage alone, none of the storage's own.
run_pail settings boto3 --gateway "$ENDPOINT" --expires 600
expect_status 0 "pail settings boto3 --gateway"
python3 - "$OUT" >"$SCRATCH/tool" 2>&1 <<'EOF'
import json, sys, boto3
args = json.load(open(sys.argv[1]))
s3 = boto3.client("s3", **args)
print(s3.get_object(Bucket="_default_", Key="range.bin")["Body"].read() ==
      bytes(range(256)) * 40, args["aws_access_key_id"][:3])
EOF
check "boto3 reads through the settings it was given" grep -q '^True PK1$' "$SCRATCH/tool"
run_pail settings duckdb --gateway "$ENDPOINT"
expect_status 0 "pail settings duckdb --gateway"
check "DuckDB's secret points at the gateway, path-style" \
  grep -q "ENDPOINT '${ENDPOINT#http://}'" "$OUT"
check "... for the bucket _default_" grep -q "SCOPE 's3://_default_'" "$OUT"
run_pail settings polars --gateway ftp://x
expect_status 1 "pail settings --gateway with another scheme"
run_pail settings polars --expires 60
expect_status 2 "pail settings --expires without --gateway"

# A worker without credentials: pail itself, through an s3 storage whose
# endpoint is the gateway and whose keys are minted (in 5 MiB parts).
worker() {
  cat >"$SCRATCH/worker.json" <<EOF
{"storage": {"type": "s3", "bucket": "_default_",
  "endPoint": "${ENDPOINT#http://}", "useSSL": false,
  "accessKey": "$1", "secretKey": "$2", "partSize": 5242880}}
EOF
}
worker "$ALL_KEY_ID" "$ALL_SECRET"
head -c 12000000 /dev/urandom >"$SCRATCH/w.bin"
run_pail --config "$SCRATCH/worker.json" put "$SCRATCH/w.bin" s3:///worker/w.bin
expect_status 0 "a worker puts through the gateway"
check "... into the fs storage" cmp -s "$SCRATCH/w.bin" "$PAIL_HOME/worker/w.bin"
run_pail --config "$SCRATCH/worker.json" get s3:///worker/w.bin "$SCRATCH/w.back"
expect_status 0 "a worker gets through the gateway"
check "... the same bytes" cmp -s "$SCRATCH/w.bin" "$SCRATCH/w.back"
run_pail --config "$SCRATCH/worker.json" ls s3:///worker/
expect_status 0 "a worker lists through the gateway"
check "... and sees its file" grep -q 'w.bin' "$OUT"
worker "$RO_KEY_ID" "$RO_SECRET"
run_pail --config "$SCRATCH/worker.json" put "$SCRATCH/w.bin" s3:///worker/ro.bin
expect_status 1 "a read-only worker cannot put"
expect_stderr 'access denied' "... and is told access is denied"
check "... nothing stored" test ! -e "$PAIL_HOME/worker/ro.bin"

# Two gateways on the same settings: one upload's parts reach both, and
# the second completes it. Nothing of an upload is in either process.
serve_second_start
ENDPOINT2=$SERVE2_S3_ENDPOINT
check "a second gateway starts" test -n "$ENDPOINT2"
python3 - "$ENDPOINT" "$ENDPOINT2" "$ALL_KEY_ID" "$ALL_SECRET" >"$SCRATCH/two" 2>&1 <<'EOF'
import os, sys, boto3
from botocore.config import Config
one, two = (boto3.client("s3", endpoint_url=e, aws_access_key_id=sys.argv[3],
                         aws_secret_access_key=sys.argv[4],
                         region_name="us-east-1",
                         config=Config(s3={"addressing_style": "path"}))
            for e in sys.argv[1:3])
upload = one.create_multipart_upload(Bucket="_default_", Key="two/x")["UploadId"]
parts = [os.urandom(5 << 20), os.urandom(5 << 20), os.urandom(1000)]
etags = {}
for number, gateway in ((3, one), (1, two), (2, one)):
    etags[number] = gateway.upload_part(
        Bucket="_default_", Key="two/x", UploadId=upload, PartNumber=number,
        Body=parts[number - 1])["ETag"]
listed = [p["PartNumber"] for p in two.list_parts(
    Bucket="_default_", Key="two/x", UploadId=upload)["Parts"]]
two.complete_multipart_upload(
    Bucket="_default_", Key="two/x", UploadId=upload, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": etags[n]} for n in (1, 2, 3)]})
print("parts", listed)
print("same", one.get_object(Bucket="_default_", Key="two/x")["Body"].read()
      == b"".join(parts))
EOF
check "parts sent to two gateways are listed by either" grep -q '^parts \[1, 2, 3\]$' "$SCRATCH/two"
check "... and completed by the second" grep -q '^same True$' "$SCRATCH/two"
sed 's/^/  two gateways: /' "$SCRATCH/two"
serve_second_stop

# An upload begun and left (Create and one part): hidden from pail ls,
# kept by pail cleanup while recent, removed with --older-than 0.
python3 - "$ENDPOINT" "$ALL_KEY_ID" "$ALL_SECRET" >"$SCRATCH/left" 2>&1 <<'EOF'
import sys, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2],
                  aws_secret_access_key=sys.argv[3], region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}))
upload = s3.create_multipart_upload(Bucket="_default_", Key="left/x")["UploadId"]
s3.upload_part(Bucket="_default_", Key="left/x", UploadId=upload, PartNumber=1,
               Body=b"a part never completed")
print("upload", upload)
EOF
UPLOAD_ID=$(sed -n 's/^upload //p' "$SCRATCH/left")
check "an upload is left" test -n "$UPLOAD_ID"
check "... staged in the storage" test "$(staged)" -eq 2
run_pail ls
expect_status 0 "pail ls"
check "pail ls hides the staged uploads" sh -c "! grep -q pail_uploads \"$OUT\""
run_pail cleanup
expect_status 0 "pail cleanup"
check "a recent upload is kept" grep -q "kept-recent.*gateway-upload.*left/x" "$OUT"
check "... in the storage" test "$(staged)" -eq 2
run_pail cleanup --older-than 0
expect_status 0 "pail cleanup --older-than 0"
check "the upload left is removed" grep -q "removed.*gateway-upload.*left/x.*$UPLOAD_ID" "$OUT"
check "... from the storage" test "$(staged)" -eq 0

# What no SDK sends: no signature, and a signature 20 minutes old.
code=$(curl -s -o "$SCRATCH/body" -w '%{http_code}' "$ENDPOINT/_default_/range.bin")
check "anonymous request refused (HTTP $code)" test "$code" = 403
check "... with S3's error document" grep -q '<Code>AccessDenied</Code>' "$SCRATCH/body"
check "... and a request id" grep -q '<RequestId>[0-9A-F]*</RequestId>' "$SCRATCH/body"
code=$(curl -s -o "$SCRATCH/body" -w '%{http_code}' "$ENDPOINT/_default_/range.bin?a=%zz")
check "a query that does not decode is refused (HTTP $code)" \
  sh -c "test '$code' = 400 && grep -q '<Code>InvalidArgument</Code>' '$SCRATCH/body'"
python3 - "$ENDPOINT" "$ALL_KEY_ID" "$ALL_SECRET" >"$SCRATCH/old" 2>&1 <<'EOF'
import datetime, sys, urllib.request, urllib.error
import botocore.auth
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
endpoint, key_id, secret = sys.argv[1:4]
request = AWSRequest(method="GET", url=endpoint + "/_default_/range.bin")
signer = S3SigV4Auth(Credentials(key_id, secret), "s3", "us-east-1")
old = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
botocore.auth.get_current_datetime = lambda: old  # 20 minutes ago
signer.add_auth(request)
try:
    urllib.request.urlopen(urllib.request.Request(
        request.url, headers=dict(request.headers.items())))
    print("accepted")
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode().replace("\n", " "))
EOF
check "a request 20 minutes old is refused" grep -q '^403 .*RequestTimeTooSkewed' "$SCRATCH/old"
python3 - "$ENDPOINT" "$ALL_KEY_ID" "$ALL_SECRET" >"$SCRATCH/unsigned" 2>&1 <<'EOF'
import sys, urllib.request, urllib.error
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
endpoint, key_id, secret = sys.argv[1:4]
request = AWSRequest(method="GET", url=endpoint + "/_default_/range.bin")
S3SigV4Auth(Credentials(key_id, secret), "s3", "us-east-1").add_auth(request)
headers = dict(request.headers.items())
headers["x-amz-copy-source"] = "_default_/elsewhere"  # added after signing
try:
    urllib.request.urlopen(urllib.request.Request(request.url, headers=headers))
    print("accepted")
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode().replace("\n", " "))
EOF
check "an x-amz-* header the signature does not cover is refused" \
  grep -q '^403 .*<Code>AccessDenied</Code><Message>There were headers present in the request which were not signed' "$SCRATCH/unsigned"

# Over HTTPS (--tls-cert, --tls-key): botocore then sends PutObject as an
# aws-chunked body with a CRC32 trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER).
serve_stop
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$SCRATCH/tls.key" \
  -out "$SCRATCH/tls.crt" >/dev/null 2>&1
run_pail serve --s3-listen 127.0.0.1:0 --tls-cert "$SCRATCH/tls.crt"
expect_status 2 "--tls-cert without --tls-key"
serve_start --s3-listen 127.0.0.1:0 --tls-cert "$SCRATCH/tls.crt" \
  --tls-key "$SCRATCH/tls.key" || exit 1
ENDPOINT=$(serve_s3_endpoint)
check "the endpoint is https" sh -c "echo '$ENDPOINT' | grep -q '^https://127.0.0.1:'"
python3 - "$ENDPOINT" "$ALL_KEY_ID" "$ALL_SECRET" "$SCRATCH/tls.crt" \
  >"$SCRATCH/tls.log" 2>&1 <<'EOF'
import os, sys, boto3, botocore
from botocore.config import Config
endpoint, key_id, secret, ca = sys.argv[1:5]
seen = []
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key_id,
                  aws_secret_access_key=secret, region_name="us-east-1",
                  verify=ca, config=Config(s3={"addressing_style": "path"}))
s3.meta.events.register("before-send.s3.PutObject", lambda request, **kw:
    seen.append(request.headers.get("x-amz-content-sha256")))
data = os.urandom(3 * 1024 * 1024 + 5)
s3.put_object(Bucket="_default_", Key="tls/obj", Body=data)
print("payload", seen[0].decode() if isinstance(seen[0], bytes) else seen[0])
print("same", s3.get_object(Bucket="_default_", Key="tls/obj")["Body"].read() == data)
EOF
check "boto3 over HTTPS sends a trailer-checked body" \
  grep -q '^payload STREAMING-UNSIGNED-PAYLOAD-TRAILER$' "$SCRATCH/tls.log"
check "... stored whole" grep -q '^same True$' "$SCRATCH/tls.log"
gateway_clients "fs https" "$ENDPOINT" _default_ "$ALL_KEY_ID" "$ALL_SECRET" \
  "$SCRATCH/tls.crt"
code=$(curl -s -o /dev/null -w '%{http_code}' "http${ENDPOINT#https}/" || true)
check "plain HTTP is not served on the TLS port ($code)" test "$code" != 200

serve_stop
finish
