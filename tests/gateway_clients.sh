# gateway_clients.sh: the S3 clients other than boto3 against the gateway
# of `pail serve --s3-listen`, one round each, the same round whatever the
# storage behind the bucket and over HTTP or HTTPS (sourced before lib.sh,
# by tests/gateway_s3.sh and tests/gateway_backends.sh: the JavaScript
# clients live under the user's cache, scripts/install-deps.sh, and lib.sh
# moves HOME, so they are looked for first).
#
# Gives: gateway_clients LABEL ENDPOINT BUCKET KEY_ID SECRET [CA]
#            the rounds of the aws CLI, rclone, s3cmd and the AWS SDK for
#            JavaScript against BUCKET through the gateway at ENDPOINT, with
#            a key minted by `pail credentials`; CA is the certificate an
#            https:// ENDPOINT's is checked against, each client told of it
#            its own way (--ca-bundle, --ca-cert, ca_certs_file,
#            NODE_EXTRA_CA_CERTS). Checks are named "CLIENT (LABEL): ...".
#        GATEWAY_CLIENTS_STORED  a directory that holds the bucket's objects
#            as files (an fs storage): what each client uploaded is compared
#            with those files too
#        GATEWAY_CLIENTS_POLARS  the file holding `pail settings polars
#            --gateway`: nodejs-polars then runs in the JavaScript round
#        GATEWAY_CLIENTS_ETAG_NOT_MD5=yes  the storage's ETags are not the
#            MD5 of the bytes (Azure's): s3cmd, which compares a PutObject's
#            ETag with the MD5 it sent, is expected to refuse its one
#            PutObject (a known limit, docs/gateway.md), the object being
#            stored all the same; so that the day it is lifted, this says so
#        PAIL_CLIENT_TESTS=no   (make check-sanitized) the rounds are left
#            out, with a note: under the sanitizers the server code they
#            drive runs in boto3's suite (CLIENT_TESTS in Makefile.am)
#
# Each round writes under a prefix of its own (aws/, rclone/, s3cmd/, js/)
# a folder of two files, dir/small.bin (300,001 bytes, one PutObject) and
# parts.bin (12 MiB and 7 bytes, in 5 MiB parts: the client's own record of
# the requests it sent shows three parts), with metadata; copies parts.bin
# to dir/copy.bin within the bucket; lists the prefix with the delimiter
# "/" (the folder and the file); gets everything back, whole and a range,
# and compares the bytes with cmp; reads the metadata back; deletes one
# object, then the others in one go (a batch delete where the client has
# one); and lists the prefix empty. The aws CLI and the SDK also send
# conditional GETs (304, 412). A client that is not installed fails its
# round: CI installs them all.

if [ -z "${GATEWAY_JS_MODULES:-}" ]; then
  GATEWAY_JS_MODULES=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/pail/gateway-js/node_modules
fi

# gateway_clients_files: the files every round uploads, made once.
gateway_clients_files() {
  GWC_SRC=$SCRATCH/gateway-clients/src
  [ -f "$GWC_SRC/parts.bin" ] && return 0
  mkdir -p "$GWC_SRC/dir"
  head -c 300001 /dev/urandom >"$GWC_SRC/dir/small.bin"
  head -c 12582919 /dev/urandom >"$GWC_SRC/parts.bin"
}

# gwc_start NAME TITLE COMMAND: begins a round of client TITLE (its files
# under $gwc_dir, its checks named "$gwc_who: ..."); false, with the round
# failed, when COMMAND is not installed.
gwc_start() {
  gwc_dir=$SCRATCH/gateway-clients/$(echo "$GWC_LABEL" | tr -c 'a-z0-9\n' _)/$1
  gwc_who="$2 ($GWC_LABEL)"
  gwc_began=$(date +%s)
  rm -rf "$gwc_dir"
  mkdir -p "$gwc_dir"
  if ! command -v "$3" >/dev/null 2>&1; then
    fail "$gwc_who: $3 is not installed (scripts/install-deps.sh installs it)"
    return 1
  fi
}

# gwc_do LOG COMMAND...: runs COMMAND, its output in LOG, its errors (and
# the clients' logs) in LOG.err, its exit status in gwc_status.
gwc_do() {
  gwc_log=$1
  shift
  "$@" >"$gwc_log" 2>"$gwc_log.err"
  gwc_status=$?
}

# gwc_shown: the end of the last gwc_do's errors, then of its output.
gwc_shown() {
  for gwc_file in "$gwc_log.err" "$gwc_log"; do
    tr '\r' '\n' <"$gwc_file" | tail -n 12 | cut -c1-300 | sed 's/^/  | /' >&2
  done
}

# gwc_check NAME COMMAND...: passes NAME when the last gwc_do exited 0 and
# COMMAND exits 0; else fails it and shows the end of that gwc_do's logs.
gwc_check() {
  gwc_name=$1
  shift
  if [ "$gwc_status" -eq 0 ] && "$@"; then
    pass "$gwc_name"
  else
    fail "$gwc_name (exit $gwc_status)"
    gwc_shown
  fi
}

# gwc_refused NAME PATTERN: passes NAME when the last gwc_do failed and
# its errors match PATTERN (grep -E).
gwc_refused() {
  if [ "$gwc_status" -ne 0 ] && grep -Eq -- "$2" "$gwc_log.err"; then
    pass "$1"
  else
    fail "$1 (exit $gwc_status)"
    gwc_shown
  fi
}

# gwc_lines FILE PATTERN...: FILE has one line per PATTERN (grep -E), in
# that order, and no other.
gwc_lines() {
  gwc_file=$1
  shift
  [ "$(wc -l <"$gwc_file")" -eq $# ] || return 1
  gwc_line=0
  for gwc_pattern in "$@"; do
    gwc_line=$((gwc_line + 1))
    sed -n "${gwc_line}p" "$gwc_file" | grep -Eq -- "$gwc_pattern" || return 1
  done
}

# gwc_count N FILE PATTERN: FILE has N lines matching PATTERN (grep -E).
gwc_count() {
  [ "$(tr '\r' '\n' <"$2" | grep -Ec -- "$3")" -eq "$1" ]
}

# gwc_same DIR PREFIX: DIR (a client's download of PREFIX) holds the
# files uploaded and the copy, byte for byte; so does the storage, when
# GATEWAY_CLIENTS_STORED says where its files are.
gwc_same() {
  for gwc_file in dir/small.bin parts.bin dir/copy.bin; do
    gwc_want=$GWC_SRC/$gwc_file
    [ "$gwc_file" = dir/copy.bin ] && gwc_want=$GWC_SRC/parts.bin
    cmp "$gwc_want" "$1/$gwc_file" || return 1
    if [ -n "${GATEWAY_CLIENTS_STORED:-}" ]; then
      cmp "$gwc_want" "$GATEWAY_CLIENTS_STORED/$2$gwc_file" || return 1
    fi
  done
}

# gwc_range FILE FIRST COUNT: FILE holds COUNT bytes of parts.bin from
# offset FIRST.
gwc_range() {
  tail -c +$(($2 + 1)) "$GWC_SRC/parts.bin" | head -c "$3" | cmp - "$1"
}

# The range every round reads: 20 bytes across the first two 5 MiB parts.
GWC_RANGE_FIRST=5242870
GWC_RANGE_LAST=5242889

# ------------------------------------------------------------ the aws CLI

# gwc_aws ARGS...: the aws CLI with the round's key, path-style, in 5 MiB
# parts from 5 MB on (uploads, copies, downloads), no retries.
gwc_aws() {
  AWS_ACCESS_KEY_ID=$GWC_KEY_ID AWS_SECRET_ACCESS_KEY=$GWC_SECRET \
    AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=$gwc_dir/config \
    AWS_SHARED_CREDENTIALS_FILE=$gwc_dir/credentials AWS_MAX_ATTEMPTS=1 \
    aws --endpoint-url "$GWC_ENDPOINT" ${GWC_CA:+--ca-bundle "$GWC_CA"} "$@"
}

gateway_client_aws() {
  gwc_start aws "aws CLI" aws || return 0
  printf '[default]\ns3 =\n  addressing_style = path\n  multipart_threshold = 5MB\n  multipart_chunksize = 5MB\n' \
    >"$gwc_dir/config"
  : >"$gwc_dir/credentials"
  gwc_url=s3://$GWC_BUCKET/aws
  gwc_do "$gwc_dir/put.log" gwc_aws --debug s3 cp --recursive --no-progress \
    --metadata origin=aws "$GWC_SRC/" "$gwc_url/"
  gwc_check "$gwc_who: s3 cp of a folder: one PutObject, one upload in 3 parts" \
    gwc_count 3 "$gwc_log.err" 'OperationModel\(name=UploadPart\)'
  gwc_check "... dir/small.bin in one" \
    gwc_count 1 "$gwc_log.err" 'OperationModel\(name=PutObject\)'
  gwc_do "$gwc_dir/copy.log" gwc_aws --debug s3 cp --no-progress \
    "$gwc_url/parts.bin" "$gwc_url/dir/copy.bin"
  gwc_check "$gwc_who: s3 cp within the bucket, in 3 parts copied (UploadPartCopy)" \
    gwc_count 3 "$gwc_log.err" 'OperationModel\(name=UploadPartCopy\)'
  gwc_do "$gwc_dir/ls.log" gwc_aws s3 ls "$gwc_url/"
  gwc_check "$gwc_who: s3 ls, the folder and the file" gwc_lines "$gwc_log" \
    '^ +PRE dir/$' '^[-0-9]+ [:0-9]+ +12582919 parts\.bin$'
  gwc_do "$gwc_dir/get.log" gwc_aws s3 cp --recursive --no-progress \
    "$gwc_url/" "$gwc_dir/down/"
  gwc_check "$gwc_who: s3 cp down (in ranges of 5 MiB): the same bytes" \
    gwc_same "$gwc_dir/down" aws/
  gwc_do "$gwc_dir/range.log" gwc_aws s3api get-object --bucket "$GWC_BUCKET" \
    --key aws/parts.bin --range "bytes=$GWC_RANGE_FIRST-$GWC_RANGE_LAST" \
    "$gwc_dir/range"
  gwc_check "$gwc_who: get-object of a range across two parts" \
    gwc_range "$gwc_dir/range" "$GWC_RANGE_FIRST" 20
  gwc_check "... with the upload's metadata" grep -q '"origin": "aws"' "$gwc_log"
  gwc_etag=$(sed -n 's/^ *"ETag": "\\"\([^\\]*\)\\"",$/\1/p' "$gwc_log")
  gwc_do "$gwc_dir/if.log" gwc_aws s3api get-object --bucket "$GWC_BUCKET" \
    --key aws/parts.bin --if-none-match "\"$gwc_etag\"" "$gwc_dir/if"
  gwc_refused "$gwc_who: get-object if-none-match its ETag is 304" \
    "An error occurred \(304\).*Not Modified"
  gwc_do "$gwc_dir/rm.log" gwc_aws s3 rm --only-show-errors "$gwc_url/dir/copy.bin"
  gwc_check "$gwc_who: s3 rm" test ! -s "$gwc_log.err"
  gwc_do "$gwc_dir/delete.log" gwc_aws s3api delete-objects --output text \
    --bucket "$GWC_BUCKET" \
    --delete '{"Objects": [{"Key": "aws/parts.bin"}, {"Key": "aws/dir/small.bin"}]}'
  gwc_check "$gwc_who: delete-objects of two keys" \
    gwc_count 2 "$gwc_log" '^DELETED	aws/(parts|dir/small)\.bin$'
  gwc_do "$gwc_dir/left.log" gwc_aws s3api list-objects-v2 --bucket \
    "$GWC_BUCKET" --prefix aws/ --query 'length(Contents || `[]`)' --output text
  gwc_check "$gwc_who: nothing left under aws/" grep -qx 0 "$gwc_log"
}

# ----------------------------------------------------------------- rclone

# gwc_rclone ARGS...: rclone with a remote "gw" configured by hand as a
# user would, in 5 MiB parts from 5 MiB on (uploads and server-side
# copies). Not with AWS_CA_BUNDLE: rclone's SDK refuses it for its own
# transport; --ca-cert is rclone's way.
gwc_rclone() {
  (
    unset AWS_CA_BUNDLE
    export RCLONE_CONFIG_GW_TYPE=s3 RCLONE_CONFIG_GW_PROVIDER=Other \
      RCLONE_CONFIG_GW_ACCESS_KEY_ID="$GWC_KEY_ID" \
      RCLONE_CONFIG_GW_SECRET_ACCESS_KEY="$GWC_SECRET" \
      RCLONE_CONFIG_GW_ENDPOINT="$GWC_ENDPOINT" RCLONE_CONFIG_GW_REGION=us-east-1 \
      RCLONE_CONFIG_GW_FORCE_PATH_STYLE=true RCLONE_CONFIG="$gwc_dir/rclone.conf"
    exec rclone --s3-upload-cutoff 5M --s3-chunk-size 5M --s3-copy-cutoff 5M \
      --retries 1 --low-level-retries 1 ${GWC_CA:+--ca-cert "$GWC_CA"} "$@"
  )
}

gateway_client_rclone() {
  gwc_start rclone rclone rclone || return 0
  : >"$gwc_dir/rclone.conf"
  gwc_url=gw:$GWC_BUCKET/rclone
  gwc_do "$gwc_dir/put.log" gwc_rclone -vv copy -M --metadata-set origin=rclone \
    "$GWC_SRC/" "$gwc_url/"
  gwc_check "$gwc_who: copy of a folder: parts.bin in 3 parts" \
    gwc_count 3 "$gwc_log.err" 'parts\.bin: multipart upload starting chunk'
  gwc_check "... dir/small.bin in one" \
    gwc_count 0 "$gwc_log.err" 'small\.bin: multipart upload'
  gwc_do "$gwc_dir/copy.log" gwc_rclone -vv copyto "$gwc_url/parts.bin" \
    "$gwc_url/dir/copy.bin"
  gwc_check "$gwc_who: copyto within the bucket, a multipart copy of 3 parts" \
    gwc_count 1 "$gwc_log.err" 'parts\.bin: Starting +multipart copy with 3 parts'
  gwc_do "$gwc_dir/ls.log" gwc_rclone lsf "$gwc_url/"
  gwc_check "$gwc_who: lsf, the folder and the file" \
    gwc_lines "$gwc_log" '^dir/$' '^parts\.bin$'
  gwc_do "$gwc_dir/get.log" gwc_rclone copy "$gwc_url/" "$gwc_dir/down/"
  gwc_check "$gwc_who: copy down: the same bytes" gwc_same "$gwc_dir/down" rclone/
  gwc_do "$gwc_dir/range.log" gwc_rclone cat --offset "$GWC_RANGE_FIRST" \
    --count 20 "$gwc_url/parts.bin"
  gwc_check "$gwc_who: cat of a range across two parts" \
    gwc_range "$gwc_log" "$GWC_RANGE_FIRST" 20
  gwc_do "$gwc_dir/meta.log" gwc_rclone lsjson -M -R --files-only "$gwc_url/"
  gwc_check "$gwc_who: lsjson -M, the metadata of the uploads" \
    gwc_count 2 "$gwc_log" '"Path":"(dir/small|parts)\.bin".*"origin":"rclone"'
  gwc_do "$gwc_dir/rm.log" gwc_rclone deletefile "$gwc_url/dir/copy.bin"
  gwc_check "$gwc_who: deletefile" test ! -s "$gwc_log.err"
  gwc_do "$gwc_dir/delete.log" gwc_rclone -v delete "$gwc_url/"
  gwc_check "$gwc_who: delete of the rest" \
    gwc_count 2 "$gwc_log.err" '(parts|dir/small)\.bin: Deleted$'
  gwc_do "$gwc_dir/left.log" gwc_rclone lsf -R "$gwc_url/"
  gwc_check "$gwc_who: nothing left under rclone/" test ! -s "$gwc_log"
}

# ------------------------------------------------------------------ s3cmd

# gwc_s3cmd ARGS...: s3cmd with a configuration written by hand as a user
# would (path-style: host_bucket without %(bucket)s). Without its own
# x-amz-meta-s3cmd-attrs (--no-preserve, and --no-check-md5, else it still
# sends the md5 there): Azure refuses that name (metadata names there are
# C# identifiers, docs/azure.md), and the round is the same on every
# storage. Downloads are still checked against the ETag by s3cmd, and
# with cmp by the round.
gwc_s3cmd() { s3cmd -c "$gwc_dir/s3cfg" --no-preserve --no-check-md5 "$@"; }

gateway_client_s3cmd() {
  gwc_start s3cmd s3cmd s3cmd || return 0
  gwc_host=${GWC_ENDPOINT#*://}
  cat >"$gwc_dir/s3cfg" <<EOF
[default]
access_key = $GWC_KEY_ID
secret_key = $GWC_SECRET
host_base = $gwc_host
host_bucket = $gwc_host
signature_v2 = False
use_https = $([ -n "$GWC_CA" ] && echo True || echo False)
ca_certs_file = $GWC_CA
check_ssl_certificate = True
EOF
  gwc_url=s3://$GWC_BUCKET/s3cmd
  gwc_do "$gwc_dir/put.log" gwc_s3cmd --progress put --recursive \
    --multipart-chunk-size-mb=5 --add-header=x-amz-meta-origin:s3cmd \
    "$GWC_SRC/" "$gwc_url/"
  if [ "${GATEWAY_CLIENTS_ETAG_NOT_MD5:-}" = yes ]; then
    gwc_refused "$gwc_who: its PutObject answered with an ETag not the MD5, as s3cmd finds (known)" \
      "MD5 Sums don't match!"
    gwc_status=0 # and the rest went up all the same
  fi
  gwc_check "$gwc_who: put of a folder: parts.bin in 3 parts" \
    gwc_count 1 "$gwc_log" "parts\.bin'  \[part 3 of 3, 2MB\]"
  gwc_check "... dir/small.bin in one" \
    gwc_count 0 "$gwc_log" "small\.bin'  \[part "
  gwc_do "$gwc_dir/copy.log" gwc_s3cmd cp "$gwc_url/parts.bin" "$gwc_url/dir/copy.bin"
  gwc_check "$gwc_who: cp within the bucket" \
    gwc_count 1 "$gwc_log" "^remote copy: '$gwc_url/parts.bin' -> '$gwc_url/dir/copy.bin'"
  gwc_do "$gwc_dir/ls.log" gwc_s3cmd ls "$gwc_url/"
  gwc_check "$gwc_who: ls, the folder and the file" gwc_lines "$gwc_log" \
    "^ +DIR +$gwc_url/dir/\$" "^[-0-9]+ [:0-9]+ +12582919 +$gwc_url/parts\.bin\$"
  mkdir "$gwc_dir/down"
  gwc_do "$gwc_dir/get.log" gwc_s3cmd get --recursive "$gwc_url/" "$gwc_dir/down/"
  gwc_check "$gwc_who: get: the same bytes" gwc_same "$gwc_dir/down" s3cmd/
  # A download resumed (--continue) asks for the rest: a range to the end.
  head -c "$GWC_RANGE_FIRST" "$GWC_SRC/parts.bin" >"$gwc_dir/resumed"
  gwc_do "$gwc_dir/range.log" gwc_s3cmd get --continue "$gwc_url/parts.bin" \
    "$gwc_dir/resumed"
  gwc_check "$gwc_who: get --continue, the rest from a range" \
    cmp "$GWC_SRC/parts.bin" "$gwc_dir/resumed"
  gwc_do "$gwc_dir/info.log" gwc_s3cmd info "$gwc_url/dir/small.bin" \
    "$gwc_url/parts.bin"
  gwc_check "$gwc_who: info, the metadata of the uploads" \
    gwc_count 2 "$gwc_log" '^ +x-amz-meta-origin: s3cmd$'
  gwc_do "$gwc_dir/rm.log" gwc_s3cmd del "$gwc_url/dir/copy.bin"
  gwc_check "$gwc_who: del" gwc_count 1 "$gwc_log" "^delete: '$gwc_url/dir/copy.bin'\$"
  gwc_do "$gwc_dir/delete.log" gwc_s3cmd del --recursive "$gwc_url/"
  gwc_check "$gwc_who: del --recursive (DeleteObjects) of the rest" \
    gwc_count 2 "$gwc_log" "^delete: '$gwc_url/(parts|dir/small)\.bin'\$"
  gwc_do "$gwc_dir/left.log" gwc_s3cmd ls --recursive "$gwc_url/"
  gwc_check "$gwc_who: nothing left under s3cmd/" test ! -s "$gwc_log"
}

# ------------------------------------- the AWS SDK for JavaScript (node)

# gwc_node ARGS...: node with the round's endpoint, bucket and key for
# tests/gateway_js.mjs, and the round's CA as the only one added.
gwc_node() {
  (
    unset NODE_EXTRA_CA_CERTS
    [ -z "$GWC_CA" ] || export NODE_EXTRA_CA_CERTS="$GWC_CA"
    export GATEWAY_ENDPOINT="$GWC_ENDPOINT" GATEWAY_BUCKET="$GWC_BUCKET" \
      GATEWAY_KEY_ID="$GWC_KEY_ID" GATEWAY_SECRET="$GWC_SECRET" \
      GATEWAY_JS_MODULES="$GATEWAY_JS_MODULES" \
      GATEWAY_POLARS="${GATEWAY_CLIENTS_POLARS:-}"
    exec node "$@"
  )
}

gateway_client_js() {
  gwc_start js "the AWS SDK for JavaScript" node || return 0
  if [ ! -d "$GATEWAY_JS_MODULES/@aws-sdk/lib-storage" ]; then
    fail "$gwc_who: not installed in $GATEWAY_JS_MODULES (scripts/install-deps.sh installs it)"
    return 0
  fi
  gwc_do "$gwc_dir/js.log" gwc_node --test "$top_srcdir/tests/gateway_js.mjs"
  grep -E '^(not )?ok |^# (pass|fail|skipped) ' "$gwc_log" | sed "s/^/  js ($GWC_LABEL): /"
  # node's TAP: what failed is in the block under "not ok".
  awk '/^not ok /{n=30} n&&n--' "$gwc_log" >"$gwc_log.err"
  gwc_check "$gwc_who: put, Upload in 3 parts, get, ranges, conditions, copy, listing, deletes" \
    test "$(sed -n 's/^# pass //p' "$gwc_log")" -ge 6 -a \
    "$(sed -n 's/^# fail //p' "$gwc_log")" = 0
  if [ -n "${GATEWAY_CLIENTS_POLARS:-}" ]; then
    gwc_check "... and nodejs-polars" grep -q '^# skipped 0$' "$gwc_log"
  fi
}

# -------------------------------------------------------------- all four

gateway_clients() {
  if [ "${PAIL_CLIENT_TESTS:-yes}" = no ]; then
    echo "NOTE: PAIL_CLIENT_TESTS=no: the aws CLI, rclone, s3cmd and the JavaScript SDK are left out ($1)"
    return 0
  fi
  GWC_LABEL=$1 GWC_ENDPOINT=$2 GWC_BUCKET=$3 GWC_KEY_ID=$4 GWC_SECRET=$5
  GWC_CA=${6:-}
  gateway_clients_files
  for gwc_client in aws rclone s3cmd js; do
    "gateway_client_$gwc_client"
    echo "  ($gwc_who: $(($(date +%s) - gwc_began)) s)"
  done
}
