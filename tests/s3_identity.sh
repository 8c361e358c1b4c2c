#!/bin/sh
# s3_identity.sh: S3 credentials that expire (issue 19), against moto with
# signature checks on: moto's STS issues real temporary keys, which its S3
# accepts only with their session token and only as far as the role's
# policy allows. Two roles: "writer" may do anything, "reader" may only
# read; a write refused proves the role's keys were used, not the user's.
# Covered: the settings' roleArn, a profile's role_arn + source_profile
# (chained twice, and a loop), a web identity from AWS_WEB_IDENTITY_TOKEN_FILE
# through tests/identity_fixture.py (which checks the token and gets moto's keys),
# EC2 instance metadata (IMDSv2 only; a refused token, a hanging endpoint
# and none at all) and container credentials through the same fixture,
# a transfer that outlives 10-second credentials, credential_process, and
# each failure named with its source and without the token.
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/s3_lib.sh"

if ! python3 -c 'import boto3' 2>/dev/null; then
  echo "SKIP: boto3 is needed for the STS fixture"
  exit 77
fi

ACCOUNT=123456789012
WRITER=arn:aws:iam::$ACCOUNT:role/writer
READER=arn:aws:iam::$ACCOUNT:role/reader

# iam PARAMETERS: one IAM query action signed with the user's key.
iam() {
  curl -sS --fail --max-time 30 --aws-sigv4 "aws:amz:$S3_REGION:iam" \
    --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H 'Content-Type: application/x-www-form-urlencoded' \
    --data "$1&Version=2010-05-08" "$S3_URL/" >/dev/null
}
urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
TRUST=$(urlencode '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}')
ALL=$(urlencode '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')
READ=$(urlencode '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}')
check "IAM role writer" iam "Action=CreateRole&RoleName=writer&AssumeRolePolicyDocument=$TRUST"
check "... its policy" iam "Action=PutRolePolicy&RoleName=writer&PolicyName=all&PolicyDocument=$ALL"
check "IAM role reader" iam "Action=CreateRole&RoleName=reader&AssumeRolePolicyDocument=$TRUST"
check "... its policy" iam "Action=PutRolePolicy&RoleName=reader&PolicyName=read&PolicyDocument=$READ"

# settings FILE [EXTRA]: the bucket on moto without keys, EXTRA (JSON
# members) added.
settings() {
  cat >"$1" <<EOF
{ "storage": { "type": "s3", "bucket": "$S3_BUCKET", "region": "$S3_REGION",
               "endPoint": "127.0.0.1:$S3_PORT", "useSSL": false,
               "pathStyle": true${2:+, $2} } }
EOF
}
export AWS_ENDPOINT_URL_STS=$S3_URL
# with FILE COMMAND...: COMMAND with PAIL_CONFIG=FILE.
with() {
  with_saved=$PAIL_CONFIG
  export PAIL_CONFIG="$1"
  shift
  "$@"
  export PAIL_CONFIG="$with_saved"
}

export PAIL_CONFIG="$S3_SETTINGS"
run_pail mb
expect_status 0 "create the bucket with the user's keys"
head -c 100000 /dev/urandom >"$SCRATCH/blob"

# --------------------------------------------------- the settings' roleArn
settings "$SCRATCH/writer.json" "\"accessKey\": \"$S3_ACCESS_KEY\", \"secretKey\": \"$S3_SECRET_KEY\", \"roleArn\": \"$WRITER\", \"roleSessionName\": \"ci-writer\""
settings "$SCRATCH/reader.json" "\"accessKey\": \"$S3_ACCESS_KEY\", \"secretKey\": \"$S3_SECRET_KEY\", \"roleArn\": \"$READER\""
export PAIL_CONFIG="$SCRATCH/writer.json"
run_pail -vv put "$SCRATCH/blob" role/blob
expect_status 0 "roleArn writer: put"
expect_stderr "credentials from roleArn $WRITER in the settings, assumed with the settings" \
  "pail -vv names the source"
export PAIL_CONFIG="$SCRATCH/reader.json"
run_pail cat role/blob
expect_status 0 "roleArn reader: read"
check "... the same bytes" cmp -s "$OUT" "$SCRATCH/blob"
run_pail put "$SCRATCH/blob" role/refused
check "roleArn reader: a write is refused (the role's keys sign)" test "$STATUS" -ne 0
expect_stderr 'AccessDenied|denied' "... as access denied"

# ------------------------------------------- profiles: role_arn, chains
cat >"$AWS_SHARED_CREDENTIALS_FILE" <<EOF
[base]
aws_access_key_id = $S3_ACCESS_KEY
aws_secret_access_key = $S3_SECRET_KEY
EOF
cat >"$AWS_CONFIG_FILE" <<EOF
[profile writer]
role_arn = $WRITER
source_profile = base
[profile reader-via-writer]
role_arn = $READER
source_profile = writer
[profile loop1]
role_arn = $WRITER
source_profile = loop2
[profile loop2]
role_arn = $WRITER
source_profile = loop1
[profile dangling]
role_arn = $WRITER
[profile proc]
credential_process = sh "$SCRATCH/process.sh" ok
[profile proc-fails]
credential_process = sh "$SCRATCH/process.sh" fail
[profile sso]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Admin
EOF
settings "$SCRATCH/profile.json" '"profile": "writer"'
export PAIL_CONFIG="$SCRATCH/profile.json"
run_pail put "$SCRATCH/blob" profile/blob
expect_status 0 "profile role_arn + source_profile: put"
settings "$SCRATCH/chain.json" '"profile": "reader-via-writer"'
export PAIL_CONFIG="$SCRATCH/chain.json"
run_pail cat profile/blob
expect_status 0 "a role assumed with a role's keys: read"
check "... the same bytes" cmp -s "$OUT" "$SCRATCH/blob"
run_pail put "$SCRATCH/blob" profile/refused
check "... and its write refused" test "$STATUS" -ne 0
settings "$SCRATCH/loop.json" '"profile": "loop1"'
with "$SCRATCH/loop.json" run_pail ls
check "a source_profile loop is refused" test "$STATUS" -ne 0
expect_stderr 'source_profile chain is longer than 8 profiles' "... and named"
settings "$SCRATCH/dangling.json" '"profile": "dangling"'
with "$SCRATCH/dangling.json" run_pail ls
check "role_arn without a source is refused" test "$STATUS" -ne 0
expect_stderr 'profile "dangling" has role_arn but no source_profile' "... and named"
settings "$SCRATCH/sso.json" '"profile": "sso"'
with "$SCRATCH/sso.json" run_pail ls
check "an SSO profile is refused, not passed over" test "$STATUS" -ne 0
expect_stderr 'profile "sso" signs in with SSO, which pail does not read yet; give it `credential_process = aws configure export-credentials' \
  "... with the workaround"

# ------------------------------------------------------ credential_process
# It prints temporary keys from moto's STS, with their expiry (the role's
# ARN encoded: moto checks the signature of the form it decoded).
cat >"$SCRATCH/process.sh" <<EOF
[ "\$1" = ok ] || { echo "no credentials for you" >&2; exit 3; }
curl -sS --fail --aws-sigv4 "aws:amz:$S3_REGION:sts" \
  --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
  -H 'Content-Type: application/x-www-form-urlencoded' \
  --data "Action=AssumeRole&Version=2011-06-15&RoleArn=$(urlencode "$WRITER")&RoleSessionName=proc" \
  "$S3_URL/" >"$SCRATCH/process.xml" || exit 4
field() { sed -n "s|.*<\$1>\\([^<]*\\)</\$1>.*|\\1|p" "$SCRATCH/process.xml"; }
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "SessionToken": "%s", "Expiration": "%s"}\n' \
  "\$(field AccessKeyId)" "\$(field SecretAccessKey)" "\$(field SessionToken)" \
  "\$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)"
EOF
settings "$SCRATCH/proc.json" '"profile": "proc"'
with "$SCRATCH/proc.json" run_pail put "$SCRATCH/blob" process/blob
expect_status 0 "credential_process: put with its temporary keys"
check "... which were temporary (ASIA)" grep -q '<AccessKeyId>ASIA' "$SCRATCH/process.xml"
settings "$SCRATCH/proc-fails.json" '"profile": "proc-fails"'
with "$SCRATCH/proc-fails.json" run_pail ls
check "a failing credential_process is refused" test "$STATUS" -ne 0
expect_stderr 'profile "proc-fails" \(credential_process\): credential_process "sh" exited with status 3' \
  "... naming the profile and the status"

# ------------------------------------------------------------ web identity
mkdir -p "$SCRATCH/sts"
printf 'token-one\n' >"$SCRATCH/sts/token"
# sts_start LIFETIME: the fixture, its port in STS_PORT.
sts_start() {
  rm -f "$SCRATCH/sts/calls" "$SCRATCH/sts/mode"
  fixture_start "$SCRATCH/sts" python3 "$top_srcdir/tests/identity_fixture.py" \
    --moto "$S3_URL" --key "$S3_ACCESS_KEY" --secret "$S3_SECRET_KEY" \
    --token-file "$SCRATCH/sts/token" --state "$SCRATCH/sts" \
    --lifetime "$1" --imds-role "$WRITER" \
    --container-token-file "$SCRATCH/sts/ctoken" || finish
  STS_PORT=$FIXTURE_PORT
}
sts_stop() { fixture_stop "$SCRATCH/sts"; }
calls() { cat "$SCRATCH/sts/${1:-calls}" 2>/dev/null || echo 0; }
trap 'sts_stop; s3_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT

sts_start 3600
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"
settings "$SCRATCH/bare.json"
export PAIL_CONFIG="$SCRATCH/bare.json"
cp "$SCRATCH/sts/token" "$SCRATCH/token"
# web ROLE ARGS...: run_pail with a web identity for ROLE, from the fixture.
web() {
  web_role=$1
  shift
  export AWS_ENDPOINT_URL_STS=http://127.0.0.1:$STS_PORT \
    AWS_WEB_IDENTITY_TOKEN_FILE=$SCRATCH/token AWS_ROLE_ARN=$web_role \
    AWS_ROLE_SESSION_NAME=ci
  run_pail "$@"
  unset AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN AWS_ROLE_SESSION_NAME
  export AWS_ENDPOINT_URL_STS=$S3_URL
}
web "$WRITER" put "$SCRATCH/blob" web/blob
expect_status 0 "web identity: put"
check "... one STS call" test "$(calls)" -eq 1
web "$READER" put "$SCRATCH/blob" web/refused
check "web identity as reader: a write is refused" test "$STATUS" -ne 0
# The token rotates: pail reads the file again at each refresh.
printf 'token-two' >"$SCRATCH/sts/token"
web "$WRITER" cat web/blob
check "a token the provider no longer takes is refused" test "$STATUS" -ne 0
expect_stderr 'web identity \(AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN\): STS AssumeRoleWithWebIdentity refused \(HTTP 400\): The token is not valid' \
  "... naming the source and STS's message"
check "... without the token" sh -c "! grep -q 'token-one' '$ERR'"
printf 'token-two' >"$SCRATCH/token"
web "$WRITER" cat web/blob
expect_status 0 "the rotated token file is read again"
chmod 000 "$SCRATCH/token"
if [ "$(id -u)" -ne 0 ]; then
  web "$WRITER" ls
  expect_stderr 'cannot read the web identity token file' "an unreadable token file is named"
fi
chmod 600 "$SCRATCH/token"
rm -f "$SCRATCH/token"
web "$WRITER" ls
check "a missing token file is refused" test "$STATUS" -ne 0
expect_stderr "cannot read the web identity token file $SCRATCH/token" "... and named"
printf 'token-two' >"$SCRATCH/token"
echo garbage >"$SCRATCH/sts/mode"
web "$WRITER" ls
check "an STS answer that is not XML is refused" test "$STATUS" -ne 0
expect_stderr 'answered without credentials' "... and said so"
echo down >"$SCRATCH/sts/mode"
web "$WRITER" ls
check "STS down is refused" test "$STATUS" -ne 0
expect_stderr 'HTTP 503' "... with its status"
rm -f "$SCRATCH/sts/mode"

# ----------------------------------------- EC2 instance metadata (IMDSv2)
# imds ENDPOINT ARGS...: run_pail with nothing but the instance metadata
# at ENDPOINT to find credentials in.
imds() {
  export AWS_EC2_METADATA_SERVICE_ENDPOINT=$1 AWS_EC2_METADATA_DISABLED=false
  shift
  run_pail "$@"
  unset AWS_EC2_METADATA_SERVICE_ENDPOINT
  export AWS_EC2_METADATA_DISABLED=true
}
IMDS=http://127.0.0.1:$STS_PORT
imds "$IMDS" -vv put "$SCRATCH/blob" imds/blob
expect_status 0 "instance metadata: put"
expect_stderr "credentials from the EC2 instance metadata at $IMDS" "... named as the source"
check "... one credentials request" test "$(calls imds-calls)" -eq 1
echo refuse >"$SCRATCH/sts/mode"
imds "$IMDS" ls
check "an instance that refuses IMDSv2 tokens is refused" test "$STATUS" -ne 0
expect_stderr 'the IMDSv2 session token \(IMDSv1 is never used\): HTTP 403' "... with no IMDSv1 fallback"
echo hang >"$SCRATCH/sts/mode"
started=$(now_ms)
imds "$IMDS" ls
took=$(($(now_ms) - started))
check "a metadata endpoint that hangs fails" test "$STATUS" -ne 0
# The fixture hangs for 30 s; pail gives up after 1 s (the bound is loose:
# machines here are loaded, and speed lives in bench/).
check "... after its 1 s timeout, not the endpoint's 30 s ($took ms in all)" test "$took" -lt 10000
expect_stderr 'no EC2 instance metadata answered at .*timed out' "... as none there"
rm -f "$SCRATCH/sts/mode"
imds "http://127.0.0.1:$(free_port)" ls
check "no metadata endpoint at all fails" test "$STATUS" -ne 0
expect_stderr "access denied: s3: no credentials for bucket .*, and no EC2 instance metadata answered at http://127.0.0.1:[0-9]*: .*(Couldn't connect|refused)" \
  "... as no credentials anywhere, listing every source"
run_pail ls
expect_stderr 'access denied: .*s3: no credentials for bucket .*the EC2 instance metadata \(off: AWS_EC2_METADATA_DISABLED\)' \
  "with AWS_EC2_METADATA_DISABLED the error lists every source"

# --------------------------------------------------- container credentials
printf 'container-secret' >"$SCRATCH/sts/ctoken"
printf 'container-secret\n' >"$SCRATCH/ctoken"
# container URI ARGS...: run_pail with container credentials at URI.
container() {
  export AWS_CONTAINER_CREDENTIALS_FULL_URI=$1
  shift
  run_pail "$@"
  unset AWS_CONTAINER_CREDENTIALS_FULL_URI
}
export AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$SCRATCH/ctoken
container "http://127.0.0.1:$STS_PORT/container" put "$SCRATCH/blob" container/blob
expect_status 0 "container credentials: put"
check "... one credentials request" test "$(calls container-calls)" -eq 1
unset AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
export AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong
container "http://127.0.0.1:$STS_PORT/container" ls
check "a wrong authorization token is refused" test "$STATUS" -ne 0
expect_stderr 'container credentials \(AWS_CONTAINER_CREDENTIALS_FULL_URI\): the credentials request: HTTP 401' \
  "... naming the source and the status"
check "... without the token" sh -c "! grep -q 'container-secret' '$ERR'"
unset AWS_CONTAINER_AUTHORIZATION_TOKEN
container "http://10.1.2.3/creds" ls
check "a container URI off loopback and the link-local addresses is refused" test "$STATUS" -ne 0
expect_stderr 'must be an https:// URL, or http:// to loopback' "... before any request"
sts_stop

# Credentials of 10 s, and an upload whose stream stalls for 12 s: the
# parts and the completion after the stall are signed with refreshed keys
# (moto does not expire its keys, so the proof is the second STS call).
sts_start 10
printf 'token-two' >"$SCRATCH/sts/token"
settings "$SCRATCH/parts.json" '"partSize": 5242880'
head -c 6000000 /dev/urandom >"$SCRATCH/big"
mkfifo "$SCRATCH/slow"
(head -c 5500000 "$SCRATCH/big"; sleep 12; tail -c +5500001 "$SCRATCH/big") >"$SCRATCH/slow" &
with "$SCRATCH/parts.json" web "$WRITER" put - web/slow <"$SCRATCH/slow"
expect_status 0 "an upload that outlives its credentials"
check "... refreshed them (STS calls: $(calls))" test "$(calls)" -ge 2
with "$SCRATCH/parts.json" web "$WRITER" cat web/slow
check "... and stored the bytes" cmp -s "$OUT" "$SCRATCH/big"
sts_stop
finish
