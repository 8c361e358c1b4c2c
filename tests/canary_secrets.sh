#!/bin/sh
# canary_secrets.sh: no secret ever reaches stdout, stderr or the -v log.
# Every backend is configured with distinctive fake secrets ("canaries"):
# S3 access keys and session token; an Azure account key, a SAS token's
# signature and a connection string's key; a GCS service account's private
# key, an authorized_user's client secret and refresh token, HMAC keys; and
# the real keys of the test servers (moto's IAM key, Azurite's account key,
# the fixture's service account key and the bearer tokens it issues,
# "ya29.fixture-..."). Then every command is driven down its error paths
# and its happy paths, with and without --verbose and --json: wrong keys,
# an unreachable endpoint, keys that do not exist, settings that are wrong
# in ways that tempt a message to quote them, and `sign`. The test fails if
# any canary appears in any output. Needs moto, Azurite and the GCS fixture
# (the test skips when one of them cannot run here).
if [ -z "${AZURE_TOOLS:-}" ]; then
  AZURE_TOOLS=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/pail/azurite/node_modules
fi
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/gcs_lib.sh"
. "$top_srcdir/tests/s3_lib.sh"
. "$top_srcdir/tests/azure_lib.sh"
trap 's3_stop; azure_stop; gcs_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
gcs_start
GCS_KEY_FILE=$GCS_DIR/service-account.json
gcs_key_json "$GCS_KEY_PEM" "$GCS_KEY_FILE"
gcs_new_key "$GCS_DIR/canary.pem"
gcs_key_json "$GCS_DIR/canary.pem" "$GCS_DIR/canary.json"
CLOSED_PORT=$(free_port)

# ---------------------------------------------------------------- canaries
S3_CANARY_ID=AKIACANARY0S3ACCESSID
S3_CANARY_SECRET=CanaryS3Secret/0123456789+abcdefghijKLMNOP
S3_CANARY_TOKEN=CanaryS3SessionToken//FwoGZXIvYXdzEJr+CANARY==
# 64 bytes, base64: what an Azure account key looks like.
AZ_CANARY_KEY=$(printf 'CANARY-azure-account-key-0123456789-never-to-be-printed-anywhere' |
  base64 -w0)
AZ_CANARY_KEY2=$(printf 'CANARY-connection-string-key-0123456789-never-printed-anywhere!' |
  base64 -w0)
AZ_CANARY_SIG=CanarySasSig0123456789abcdefGHIJKLmnopqrstu%2BvwXYZ%3D
GCS_CANARY_HMAC=CanaryGcsHmacSecret0123456789abcdefGHIJ
GCS_CANARY_CLIENT_SECRET=CanaryClientSecretNeverPrinted
GCS_CANARY_REFRESH=1//CanaryRefreshTokenNeverPrinted0123
CANARIES=$SCRATCH/canaries
{
  echo "$S3_CANARY_ID"
  echo "$S3_CANARY_SECRET"
  echo "$S3_CANARY_TOKEN"
  echo "$AZ_CANARY_KEY"
  echo "$AZ_CANARY_KEY2"
  echo "CanarySasSig0123456789"
  echo "$GCS_CANARY_HMAC"
  echo "$GCS_CANARY_CLIENT_SECRET"
  echo "$GCS_CANARY_REFRESH"
  # The test servers' real secrets: a working key must not leak either.
  echo "$S3_SECRET_KEY"
  echo "$AZURE_KEY"
  echo "$GCS_HMAC_SECRET"
  echo "$GCS_USER_SECRET"
  echo "$GCS_USER_REFRESH"
  echo "ya29.fixture-"   # every bearer token the fixture issues
  echo "eyJhbGciOiJSUzI1NiIs" # a signed JWT assertion for a token
  sed -n '2p;5p' "$GCS_KEY_PEM"
  sed -n '2p;5p' "$GCS_DIR/canary.pem"
} >"$CANARIES"
# A presigned URL names its access key ID (X-Amz-Credential), as SigV4
# requires: `sign`'s output is checked against the other canaries.
grep -v -x -F "$S3_CANARY_ID" "$CANARIES" >"$CANARIES.sign"
printf '%d canaries\n' "$(wc -l <"$CANARIES")"

# ---------------------------------------------------------------- settings
SETTINGS=$SCRATCH/canary.json
python3 - "$SETTINGS" <<EOF
import json, sys
s3 = {"type": "s3", "bucket": "$S3_BUCKET", "region": "$S3_REGION",
      "endPoint": "127.0.0.1:$S3_PORT", "useSSL": False, "pathStyle": True}
az = {"type": "azure_blob", "accountName": "$AZURE_ACCOUNT",
      "containerName": "$AZURE_CONTAINER", "endpoint": "127.0.0.1:$AZURE_PORT",
      "useSSL": False}
gcs = {"type": "gcs", "bucket": "$GCS_BUCKET", "endpoint": "127.0.0.1:$GCS_PORT",
       "useSSL": False}
closed = "127.0.0.1:$CLOSED_PORT"
sas = ("sv=2024-11-04&ss=b&srt=sco&sp=rwdlac&se=2030-01-01T00:00:00Z"
       "&st=2024-01-01T00:00:00Z&spr=https,http&sig=$AZ_CANARY_SIG")
user = {"type": "authorized_user", "client_id": "$GCS_USER_CLIENT",
        "client_secret": "$GCS_USER_SECRET", "refresh_token": "$GCS_USER_REFRESH",
        "token_uri": "http://127.0.0.1:$GCS_PORT/token"}
wrong_user = dict(user, client_secret="$GCS_CANARY_CLIENT_SECRET",
                  refresh_token="$GCS_CANARY_REFRESH")
storages = {
    "s3_good": dict(s3, accessKey="$S3_ACCESS_KEY", secretKey="$S3_SECRET_KEY"),
    "s3_wrong": dict(s3, accessKey="$S3_CANARY_ID", secretKey="$S3_CANARY_SECRET"),
    "s3_token": dict(s3, accessKey="$S3_CANARY_ID", secretKey="$S3_CANARY_SECRET",
                     token="$S3_CANARY_TOKEN"),
    "s3_closed": dict(s3, endPoint=closed, accessKey="$S3_CANARY_ID",
                      secretKey="$S3_CANARY_SECRET", token="$S3_CANARY_TOKEN"),
    "az_good": dict(az, accessKey="$AZURE_KEY"),
    "az_wrong": dict(az, accessKey="$AZ_CANARY_KEY"),
    "az_sas": dict(az, sasToken=sas),
    "az_conn": {"type": "azure_blob", "containerName": "$AZURE_CONTAINER",
                "connectionString":
                    "DefaultEndpointsProtocol=http;AccountName=$AZURE_ACCOUNT;"
                    "AccountKey=$AZ_CANARY_KEY2;"
                    "BlobEndpoint=http://127.0.0.1:$AZURE_PORT/$AZURE_ACCOUNT;"},
    "az_closed": dict(az, endpoint=closed, accessKey="$AZ_CANARY_KEY"),
    "az_sas_closed": dict(az, endpoint=closed, sasToken=sas),
    "gcs_good": dict(gcs, serviceAccountKey="$GCS_KEY_FILE"),
    "gcs_inline": dict(gcs, serviceAccountKey=json.load(open("$GCS_KEY_FILE"))),
    "gcs_wrong": dict(gcs, serviceAccountKey="$GCS_DIR/canary.json"),
    "gcs_user": dict(gcs, serviceAccountKey=user),
    "gcs_wrong_user": dict(gcs, serviceAccountKey=wrong_user),
    "gcs_hmac": dict(gcs, serviceAccountKey="$GCS_KEY_FILE",
                     accessKey="$GCS_HMAC_ID", secretKey="$GCS_HMAC_SECRET"),
    "gcs_wrong_hmac": dict(gcs, serviceAccountKey="$GCS_KEY_FILE",
                           accessKey="GOOG1ECANARYHMACID",
                           secretKey="$GCS_CANARY_HMAC"),
    "gcs_closed": dict(gcs, endpoint=closed,
                       serviceAccountKey=json.load(open("$GCS_DIR/canary.json"))),
}
json.dump({"storage": storages["s3_good"], "secondary_storage": storages},
          open(sys.argv[1], "w"), indent=1)
EOF
STORAGES="s3_good s3_wrong s3_token s3_closed az_good az_wrong az_sas az_conn
  az_closed az_sas_closed gcs_good gcs_inline gcs_wrong gcs_user gcs_wrong_user
  gcs_hmac gcs_wrong_hmac gcs_closed"

# Settings that are wrong in ways that tempt a message to quote the value:
# a secret of the wrong type, a misspelt secret field, a key that is not
# base64, a connection string or service account key that does not parse.
python3 - "$SCRATCH" <<EOF
import json, sys
out = sys.argv[1]
s3 = {"type": "s3", "bucket": "$S3_BUCKET", "endPoint": "127.0.0.1:$S3_PORT",
      "useSSL": False}
az = {"type": "azure_blob", "accountName": "$AZURE_ACCOUNT",
      "containerName": "$AZURE_CONTAINER", "endpoint": "127.0.0.1:$AZURE_PORT",
      "useSSL": False}
gcs = {"type": "gcs", "bucket": "$GCS_BUCKET", "endpoint": "127.0.0.1:$GCS_PORT",
       "useSSL": False}
pem = open("$GCS_DIR/canary.pem").read()
bad = {
    "s3_secret_list": dict(s3, accessKey="$S3_CANARY_ID", secretKey=["$S3_CANARY_SECRET"]),
    "s3_secret_typo": dict(s3, accessKey="$S3_CANARY_ID", secretkey="$S3_CANARY_SECRET"),
    "s3_token_number": dict(s3, accessKey="$S3_CANARY_ID",
                            secretKey="$S3_CANARY_SECRET", token={"t": "$S3_CANARY_TOKEN"}),
    "s3_endpoint": dict(s3, endPoint="http://$S3_CANARY_ID:$S3_CANARY_SECRET@127.0.0.1/",
                        accessKey="$S3_CANARY_ID", secretKey="$S3_CANARY_SECRET"),
    "az_key_not_base64": dict(az, accessKey="$AZ_CANARY_KEY!!"),
    "az_key_too_long": dict(az, accessKey="$AZ_CANARY_KEY$AZ_CANARY_KEY"),
    "az_conn_garbage": {"type": "azure_blob", "containerName": "$AZURE_CONTAINER",
                        "connectionString": "AccountKey=$AZ_CANARY_KEY2;Garbage"},
    "az_sas_and_key": dict(az, accessKey="$AZ_CANARY_KEY", sasToken="sig=$AZ_CANARY_SIG"),
    "az_sas_garbage": dict(az, sasToken="$AZ_CANARY_SIG%%%\\n"),
    "gcs_key_not_json": dict(gcs, serviceAccountKey="{" + pem),
    "gcs_key_bad_pem": dict(gcs, serviceAccountKey={
        "type": "service_account", "client_email": "x@y.z",
        "private_key": pem.replace("\n", " ", 3), "token_uri": "http://127.0.0.1:$GCS_PORT/token"}),
    "gcs_key_no_email": dict(gcs, serviceAccountKey={
        "type": "service_account", "private_key": pem}),
    "gcs_hmac_half": dict(gcs, secretKey="$GCS_CANARY_HMAC"),
    "gcs_user_no_refresh": dict(gcs, serviceAccountKey={
        "type": "authorized_user", "client_id": "x",
        "client_secret": "$GCS_CANARY_CLIENT_SECRET"}),
}
for name, storage in bad.items():
    json.dump({"storage": storage}, open(f"{out}/bad-{name}.json", "w"))
# Not even JSON, with a secret in the text near the error.
with open(f"{out}/bad-not_json.json", "w") as f:
    f.write('{"storage": {"type": "s3", "secretKey": "$S3_CANARY_SECRET",,}}')
EOF

# ------------------------------------------------------------------ checks
RUNS=0
LEAKS=0
# leak_check WHAT [sign]: the last run_pail's stdout and stderr hold no
# canary (with "sign": no canary but the access key ID in stdout).
leak_check() {
  RUNS=$((RUNS + 1))
  out_canaries=$CANARIES
  [ "${2:-}" = sign ] && [ "$STATUS" -eq 0 ] && out_canaries=$CANARIES.sign
  if grep -F -q -f "$out_canaries" "$OUT" || grep -F -q -f "$CANARIES" "$ERR"; then
    LEAKS=$((LEAKS + 1))
    fail "$1 prints a secret: $( (grep -F -h -o -f "$out_canaries" "$OUT"
      grep -F -h -o -f "$CANARIES" "$ERR") | sort -u | tr '\n' ' ')"
  fi
}

printf 'canary data\n' >"$SCRATCH/up.txt"
head -c 300000 /dev/urandom >"$SCRATCH/up.bin"
run_pail --config "$SETTINGS" mb
run_pail --config "$SETTINGS" --storage az_good mb
run_pail --config "$SETTINGS" --storage gcs_good mb
for storage in $STORAGES; do
  for flags in "-v" "-v --json"; do
    # shellcheck disable=SC2086
    set -- $flags --config "$SETTINGS" --storage "$storage" --max-attempts 2
    run_pail "$@" put "$SCRATCH/up.txt" canary/small.txt
    leak_check "$storage $flags put"
    run_pail "$@" put "$SCRATCH/up.bin" canary/big.bin
    leak_check "$storage $flags put (300 kB)"
    run_pail "$@" stat canary/small.txt
    leak_check "$storage $flags stat"
    run_pail "$@" get canary/big.bin "$SCRATCH/got"
    leak_check "$storage $flags get"
    run_pail "$@" cat --offset 3 --length 4 canary/small.txt
    leak_check "$storage $flags cat range"
    run_pail "$@" ls -r canary/
    leak_check "$storage $flags ls"
    run_pail "$@" cp canary/small.txt canary/copy.txt
    leak_check "$storage $flags cp"
    run_pail "$@" stat canary/no-such-key
    leak_check "$storage $flags stat of a missing key"
    run_pail "$@" get canary/no-such-key "$SCRATCH/none"
    leak_check "$storage $flags get of a missing key"
    run_pail "$@" rm canary/no-such-key
    leak_check "$storage $flags rm of a missing key"
    run_pail "$@" sign canary/small.txt
    leak_check "$storage $flags sign" sign
    run_pail "$@" sign --method PUT --expires 60 canary/small.txt
    leak_check "$storage $flags sign PUT" sign
    run_pail "$@" rm canary/copy.txt
    leak_check "$storage $flags rm"
  done
done
# The working storages did work (so their happy paths were covered too).
for storage in s3_good az_good gcs_good gcs_user gcs_hmac; do
  run_pail --config "$SETTINGS" --storage "$storage" get canary/big.bin "$SCRATCH/back"
  if cmp -s "$SCRATCH/up.bin" "$SCRATCH/back"; then
    pass "$storage works (its happy paths were driven)"
  else
    fail "$storage works (its happy paths were driven): get exited $STATUS"
    sed 's/^/  | /' "$ERR"
  fi
done
# ... and the wrong ones failed, each classified.
for storage in s3_wrong s3_token s3_closed az_wrong az_sas az_conn az_closed \
  gcs_wrong gcs_wrong_user gcs_closed; do
  run_pail --config "$SETTINGS" --storage "$storage" --max-attempts 2 stat canary/small.txt
  check "$storage fails (exit $STATUS)" test "$STATUS" -eq 1
  leak_check "$storage stat"
done

for file in "$SCRATCH"/bad-*.json; do
  name=$(basename "$file" .json)
  for flags in "" "-v" "--json"; do
    # shellcheck disable=SC2086
    run_pail $flags --config "$file" ls
    leak_check "$name $flags ls"
    # shellcheck disable=SC2086
    run_pail $flags --config "$file" sign a/key
    leak_check "$name $flags sign" sign
  done
  # The refusal is a clear failure, never a success.
  run_pail --config "$file" stat a/key
  check "$name is refused (exit $STATUS)" test "$STATUS" -ne 0
done

check "$RUNS runs with $(wc -l <"$CANARIES") canaries: no secret printed ($LEAKS leaks)" \
  test "$LEAKS" -eq 0
finish
