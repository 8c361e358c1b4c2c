#!/bin/sh
# settings_s3.sh: `pail settings boto3` for real (issue 8): boto3 (on the
# machine image), configured from nothing but pail's output, reads back
# byte for byte an object that pail wrote to moto_server, lists it, and is
# refused with a wrong secret put in the same place. The DuckDB and Polars
# forms are checked for the same storage's values (no DuckDB or Polars on
# the machine to run them).
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/s3_lib.sh"

export PAIL_CONFIG="$S3_SETTINGS"
if ! python3 -c 'import boto3' 2>/dev/null; then
  echo "SKIP: boto3 is not installed"
  exit 77
fi

run_pail mb
expect_status 0 "create the bucket"
head -c 300000 /dev/urandom >"$SCRATCH/blob"
run_pail put "$SCRATCH/blob" 'runs/2026/out put.bin'
expect_status 0 "pail writes an object"

run_pail settings boto3
expect_status 0 "pail settings boto3"
cp "$OUT" "$SCRATCH/boto3.json"
check "boto3 settings name the endpoint and keys" python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert d['endpoint_url'] == 'http://127.0.0.1:$S3_PORT', d
assert d['use_ssl'] is False and d['region_name'] == '$S3_REGION', d
assert d['aws_access_key_id'] == '$S3_ACCESS_KEY', d
" "$SCRATCH/boto3.json"

# boto3 with pail's settings alone: no AWS_* variable, no config file.
read_with_boto3() {
  env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
    AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent \
    python3 - "$1" "$S3_BUCKET" "$SCRATCH/blob" <<'PY'
import json, sys
import boto3
args = json.load(open(sys.argv[1]))
s3 = boto3.client("s3", **args)
body = s3.get_object(Bucket=sys.argv[2], Key="runs/2026/out put.bin")["Body"].read()
assert body == open(sys.argv[3], "rb").read(), "bytes differ"
keys = [o["Key"] for o in s3.list_objects_v2(Bucket=sys.argv[2])["Contents"]]
assert keys == ["runs/2026/out put.bin"], keys
print("boto3 read %d bytes" % len(body))
PY
}
check "boto3 reads pail's object byte for byte with pail's settings" \
  read_with_boto3 "$SCRATCH/boto3.json"

# The same settings with a wrong secret are refused by moto: the secret in
# pail's output is what made the read work.
python3 -c "
import json, sys
d = json.load(open(sys.argv[1])); d['aws_secret_access_key'] = 'wrong' + d['aws_secret_access_key']
json.dump(d, open(sys.argv[2], 'w'))" "$SCRATCH/boto3.json" "$SCRATCH/wrong.json"
if read_with_boto3 "$SCRATCH/wrong.json" >/dev/null 2>"$SCRATCH/wrong.err"; then
  fail "boto3 with a wrong secret was not refused"
else
  check "boto3 with a wrong secret: SignatureDoesNotMatch" \
    grep -q SignatureDoesNotMatch "$SCRATCH/wrong.err"
fi

run_pail settings duckdb
expect_status 0 "pail settings duckdb"
check "DuckDB secret for the bucket" grep -q "SCOPE 's3://$S3_BUCKET'" "$OUT"
check "DuckDB endpoint" grep -q "ENDPOINT '127.0.0.1:$S3_PORT'" "$OUT"
check "DuckDB without TLS, path style" sh -c \
  "grep -q 'USE_SSL false' '$OUT' && grep -q \"URL_STYLE 'path'\" '$OUT'"
run_pail settings polars
expect_status 0 "pail settings polars"
check "Polars storage_options" python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert d['aws_endpoint_url'] == 'http://127.0.0.1:$S3_PORT' and d['aws_allow_http'] == 'true', d
assert d['aws_secret_access_key'] == '$S3_SECRET_KEY', d
" "$OUT"

run_pail settings spark
expect_status 2 "unknown tool"
run_pail settings
expect_status 2 "no tool"

finish
