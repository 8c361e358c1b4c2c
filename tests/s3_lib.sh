# s3_lib.sh: a private moto_server for the S3 tests (sourced after lib.sh).
#
# Starts moto_server on 127.0.0.1 with signature checking on, so that a
# wrongly signed request fails as it would on AWS: the first 3 requests are unauthenticated and create an IAM
# user, its allow-all policy and an access key; every later request must be
# signed with that key. Then writes a pail settings file for one bucket.
#
# Sets:  S3_PORT S3_URL (http://127.0.0.1:PORT) S3_BUCKET S3_REGION
#        S3_ACCESS_KEY S3_SECRET_KEY S3_SETTINGS (the settings file)
# Gives: s3_aws ARGS...           the AWS CLI with the IAM key, against moto
#        s3_aws_as KEY SECRET ARGS... the same with another key pair
#        s3_signature_checks on|off  moto checks signatures or not (the
#                                    state is in S3_SIGNATURE_CHECKS)
#        s3_settings FILE [SECRET] writes settings, optionally a wrong secret
#        s3_stop                  stops moto (also run on exit)
#        moto_refuses, s3_probe_listings, unchecked, aws_count: moto's
#                                 refusal of percent-encoded paths (below)
#
# Skips the test (exit 77) only when moto_server or the aws CLI is missing.
# Nothing is read from the machine's AWS setup, and nothing but loopback is
# ever contacted. The helpers' own variables all start with s3_ (sh has no
# local variables).

if ! command -v moto_server >/dev/null 2>&1; then
  echo "SKIP: moto_server is not installed (pip install 'moto[server]')"
  exit 77
fi
if ! command -v aws >/dev/null 2>&1; then
  echo "SKIP: the aws CLI is not installed (pip install awscli)"
  exit 77
fi

# No AWS or moto setting of the machine may leak in: not credentials, not a
# profile, region or endpoint. The CLI and pail get empty config files of
# their own, and no proxy stands between them and loopback.
for name in $(env | sed -n 's/^\(AWS_[A-Za-z0-9_]*\)=.*/\1/p;s/^\(MOTO_[A-Za-z0-9_]*\)=.*/\1/p'); do
  unset "$name"
done
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY='127.0.0.1,localhost' no_proxy='127.0.0.1,localhost'
mkdir -p "$SCRATCH/aws"
: >"$SCRATCH/aws/config"
: >"$SCRATCH/aws/credentials"
export AWS_CONFIG_FILE="$SCRATCH/aws/config"
export AWS_SHARED_CREDENTIALS_FILE="$SCRATCH/aws/credentials"
export AWS_EC2_METADATA_DISABLED=true

S3_BUCKET=pail-test
S3_REGION=us-east-1
S3_PGID=
S3_SIGNATURE_CHECKS=on
S3_MOTO_LOG=$SCRATCH/moto.log

# s3_stop: stops moto_server and everything in its process group, and
# waits until it is gone. Safe to call twice.
s3_stop() {
  [ -n "$S3_PGID" ] || return 0
  group_stop "$S3_PGID"
  S3_PGID=
}

# lib.sh's own cleanup, after moto is down. A signal ends the test through
# exit so that the cleanup runs then too; if the shell dies without running
# it (SIGKILL), moto gets SIGTERM from the kernel (spawn_server, lib.sh).
trap 's3_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# s3_start_moto: starts moto on a free port; returns 0 once it accepts TCP
# connections. No HTTP probe: it would use up one of the 3 unauthenticated
# actions. moto runs in a session (and process group) of its own so that
# s3_stop can take all of it, and dies with this shell in any case.
s3_start_moto() {
  s3_attempt=0
  while [ "$s3_attempt" -lt 5 ]; do
    s3_attempt=$((s3_attempt + 1))
    S3_PORT=$(free_port) || return 1
    : >"$S3_MOTO_LOG"
    spawn_server "$S3_MOTO_LOG" env INITIAL_NO_AUTH_ACTION_COUNT=3 \
      moto_server -H 127.0.0.1 -p "$S3_PORT"
    S3_PGID=$SPAWNED_PID
    # Up when a connect succeeds; 2 when moto died (a port taken between
    # free_port and the bind, or a broken install), 3 on a timeout.
    wait_listening "$S3_PGID" "$S3_PORT" 30
    case $? in
    0) return 0 ;;
    2)
      s3_stop
      grep -qi 'address already in use' "$S3_MOTO_LOG" && continue
      echo "moto_server exited at startup:" >&2
      sed 's/^/  | /' "$S3_MOTO_LOG" >&2
      return 1
      ;;
    *)
      s3_stop
      echo "moto_server did not accept connections within 30 s:" >&2
      sed 's/^/  | /' "$S3_MOTO_LOG" >&2
      return 1
      ;;
    esac
  done
  echo "moto_server: no free port after $s3_attempt attempts" >&2
  return 1
}

# s3_aws_as KEY SECRET ARGS...: the AWS CLI against moto with these
# credentials, no retries (a failure is an answer), JSON output.
s3_aws_as() {
  s3_key_id=$1 s3_secret=$2
  shift 2
  AWS_ACCESS_KEY_ID=$s3_key_id AWS_SECRET_ACCESS_KEY=$s3_secret \
    AWS_DEFAULT_REGION=$S3_REGION AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard \
    AWS_DEFAULT_OUTPUT=json \
    aws --endpoint-url "$S3_URL" "$@"
}

# s3_aws ARGS...: the AWS CLI with the IAM user's key.
s3_aws() { s3_aws_as "$S3_ACCESS_KEY" "$S3_SECRET_KEY" "$@"; }

# s3_iam_bootstrap PARAMETERS: one IAM query action, unauthenticated (moto
# routes it to IAM by the credential scope curl signs with; any signature
# passes for the first 3 actions). curl, not the aws CLI: each aws process
# costs a second or more of startup, and every S3 test starts a moto.
s3_iam_bootstrap() {
  curl -sS --fail --max-time 30 --aws-sigv4 "aws:amz:$S3_REGION:iam" \
    --user moto-bootstrap:moto-bootstrap \
    -H 'Content-Type: application/x-www-form-urlencoded' \
    --data "$1&Version=2010-05-08" "$S3_URL/"
}

# s3_create_key: the IAM user, its allow-all inline policy and an access key:
# exactly the 3 unauthenticated actions.
s3_create_key() {
  s3_iam_bootstrap 'Action=CreateUser&UserName=pail-test' >/dev/null ||
    return 1
  # {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*",
  # "Resource":"*"}]}, form-encoded.
  s3_iam_bootstrap 'Action=PutUserPolicy&UserName=pail-test&PolicyName=allow-all&PolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D' \
    >/dev/null || return 1
  s3_iam_bootstrap 'Action=CreateAccessKey&UserName=pail-test' \
    >"$SCRATCH/aws/key" || return 1
  S3_ACCESS_KEY=$(sed -n 's|.*<AccessKeyId>\([^<]*\)</AccessKeyId>.*|\1|p' "$SCRATCH/aws/key")
  S3_SECRET_KEY=$(sed -n 's|.*<SecretAccessKey>\([^<]*\)</SecretAccessKey>.*|\1|p' "$SCRATCH/aws/key")
  rm -f "$SCRATCH/aws/key"
  [ -n "$S3_ACCESS_KEY" ] && [ -n "$S3_SECRET_KEY" ]
}

# s3_signature_checks on|off: moto checks signatures again from the next
# request on, or stops checking them (moto's /moto-api/reset-auth).
s3_signature_checks() {
  case $1 in
  on) s3_limit=0 ;;
  *) s3_limit=inf ;;
  esac
  S3_SIGNATURE_CHECKS=$1
  curl -sSf --max-time 10 -o /dev/null -X POST \
    -H 'Content-Type: text/plain' --data "$s3_limit" \
    "$S3_URL/moto-api/reset-auth"
}

# s3_settings FILE [SECRET]: pail settings for the bucket on moto, with the
# IAM key, or with SECRET in place of its secret.
s3_settings() {
  cat >"$1" <<EOF
{ "storage": { "type": "s3", "bucket": "$S3_BUCKET", "region": "$S3_REGION",
               "endPoint": "127.0.0.1:$S3_PORT", "useSSL": false,
               "pathStyle": true, "accessKey": "$S3_ACCESS_KEY",
               "secretKey": "${2:-$S3_SECRET_KEY}" } }
EOF
}

# multipart_uploads: the number of multipart uploads in progress in the
# bucket, by the aws CLI.
multipart_uploads() {
  s3_aws s3api list-multipart-uploads --bucket "$S3_BUCKET" \
    --query 'length(Uploads || `[]`)' --output text
}

# expect_no_uploads NAME: no multipart upload is left in the bucket; any
# found is listed, then aborted so that later checks start clean.
expect_no_uploads() {
  left=$(multipart_uploads)
  if [ "$left" = 0 ]; then
    pass "$1: no multipart upload left"
    return
  fi
  fail "$1: $left multipart upload(s) left: $(s3_aws s3api list-multipart-uploads \
    --bucket "$S3_BUCKET" --query 'Uploads[].[Key,UploadId]' --output text)"
  s3_aws s3api list-multipart-uploads --bucket "$S3_BUCKET" \
    --query 'Uploads[].[Key,UploadId]' --output text |
    while IFS='	' read -r key id; do
      s3_aws s3api abort-multipart-upload --bucket "$S3_BUCKET" --key "$key" \
        --upload-id "$id"
    done
}

# aws_has_key KEY: the bucket holds exactly KEY, as another client sees it.
aws_has_key() {
  s3_aws s3api head-object --bucket "$S3_BUCKET" --key "$1" >/dev/null 2>&1
}

# aws_lacks_key KEY: the bucket does not hold KEY.
aws_lacks_key() { ! aws_has_key "$1"; }

# wait_for_log PATTERN: waits up to 30 s for moto's request log to match.
wait_for_log() { wait_for_match "$S3_MOTO_LOG" "$1"; }

# moto_refuses WHAT AWS-ARGS...: true when moto refuses the aws CLI's own
# signature for the request AWS-ARGS make; signature checking is then off
# until s3_signature_checks on. moto 5.2 builds the canonical request from
# the decoded path and query, so it refuses any request with a
# percent-encoded character there ('+', '=', '%', '?', non-ASCII, a '/' in a
# prefix or delimiter): those checks cannot prove a signature right or
# wrong, and they run unchecked, with a printed NOTE. The signing of such
# keys is proven by s3_cli.sh's comparison with botocore and by test_s3.
moto_refuses() {
  what=$1
  shift
  s3_aws "$@" >/dev/null 2>"$SCRATCH/probe" && return 1
  if grep -q SignatureDoesNotMatch "$SCRATCH/probe"; then
    echo "NOTE: moto refuses the aws CLI's own signature for $what; checking it with signature checking off"
    s3_signature_checks off
    return 0
  fi
  fail "aws CLI probe for $what: $(cat "$SCRATCH/probe")"
  return 1
}

# s3_probe_listings: sets MOTO_REFUSES_LISTINGS to yes when moto refuses
# the signature of a listing with a prefix and delimiter (see
# moto_refuses), else no. Needs the bucket.
MOTO_REFUSES_LISTINGS=no
s3_probe_listings() {
  MOTO_REFUSES_LISTINGS=no
  if moto_refuses "listings with a prefix or delimiter ('/' is sent as %2F)" \
    s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix sizes/ --delimiter /; then
    MOTO_REFUSES_LISTINGS=yes
    s3_signature_checks on
  fi
}

# unchecked COMMAND...: runs COMMAND with signature checking off when moto
# cannot verify listings (MOTO_REFUSES_LISTINGS, s3_probe_listings).
unchecked() {
  if [ "$MOTO_REFUSES_LISTINGS" = yes ] && [ "$S3_SIGNATURE_CHECKS" = on ]; then
    s3_signature_checks off
    "$@"
    unchecked_status=$?
    s3_signature_checks on
    return $unchecked_status
  fi
  "$@"
}

# aws_count PREFIX: how many keys the aws CLI lists under PREFIX.
aws_count() {
  unchecked s3_aws s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix "$1" \
    --query 'length(Contents || `[]`)'
}

S3_STARTED_MS=$(now_ms)
if ! s3_start_moto; then
  fail "moto_server does not start"
  finish
fi
S3_URL=http://127.0.0.1:$S3_PORT
S3_READY_MS=$(now_ms)
if ! s3_create_key; then
  fail "cannot create an IAM access key on moto_server"
  sed 's/^/  | /' "$S3_MOTO_LOG" >&2
  finish
fi
S3_SETTINGS=$SCRATCH/s3.json
s3_settings "$S3_SETTINGS"
S3_DONE_MS=$(now_ms)
S3_STARTUP_MS=$((S3_DONE_MS - S3_STARTED_MS))
printf 'moto_server on 127.0.0.1:%s: listening after %d ms, IAM key after %d ms\n' \
  "$S3_PORT" $((S3_READY_MS - S3_STARTED_MS)) "$S3_STARTUP_MS"
