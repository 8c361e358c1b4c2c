#!/bin/sh
# s3_faults.sh: the S3 backend through tests/fault_proxy.py, in front of
# moto_server with signature checking on. Scripted faults, each aimed at one
# request, prove the recovery paths one by one:
#   - a GET whose body is cut is resumed with Range + If-Match (the ETag),
#     and the download is byte-exact;
#   - a GET that stalls mid-body is noticed by the stalled-transfer limit and
#     resumed the same way;
#   - a multipart part answered 503 SlowDown fails the upload as "throttled"
#     and aborts it: no multipart upload, no object;
#   - a part whose connection is reset fails the same way, classified;
#   - with retries on (the default), one 503 or reset of a part, of a GET's
#     start, of a HEAD or of a listing is absorbed: the command succeeds and
#     says so in its -v log;
#   - a CreateMultipartUpload whose answer is lost (the server began the
#     upload) is not replayed: pail lists the key's uploads begun since and
#     aborts them, and leaves an older one alone;
#   - a download whose bytes are corrupted on the way (one byte flipped) is
#     refused by the object's checksum (SHA-256, CRC-32 stored by moto) or
#     its MD5 ETag, and `get` leaves no file; a clean one is verified.
. "${top_srcdir:?}/tests/lib.sh"
# moto lists every multipart upload as initiated in 2010; S3 gives the real
# time, which the lost-CreateMultipartUpload cleanup below relies on.
PYTHONPATH=$top_srcdir/tests/moto_fix${PYTHONPATH:+:$PYTHONPATH}
export PYTHONPATH
. "$top_srcdir/tests/s3_lib.sh"

. "$top_srcdir/tests/proxy_lib.sh"
PROXY_UPSTREAM_PORT=$S3_PORT PROXY_SETTINGS=$S3_SETTINGS
trap 'proxy_stop; s3_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT

DATA=$SCRATCH/data
mkdir -p "$DATA"
head -c $((24 * 1048576)) /dev/urandom >"$DATA/24MiB"
export PAIL_CONFIG="$S3_SETTINGS"
run_pail mb
expect_status 0 "mb"
run_pail put "$DATA/24MiB" faults/big.bin
expect_status 0 "put the object to read back"
ETAG=$(s3_aws s3api head-object --bucket "$S3_BUCKET" --key faults/big.bin \
  --query ETag --output text)

# ------------------------------------------------------------ cut GET body
proxy_start --rule "GET ^/$S3_BUCKET/faults/big\\.bin\$ truncate 3000000 1"
run_pail --config "$SCRATCH/proxy.json" get faults/big.bin "$SCRATCH/got"
expect_status 0 "get through a body cut at 3,000,000 bytes"
check "the cut download is byte-exact" cmp -s "$DATA/24MiB" "$SCRATCH/got"
check "the proxy cut the first GET" grep -q "truncate at 3000000" "$PROXY_LOG"
check "the rest was asked for with Range and If-Match $ETAG" \
  grep -Eq "range=bytes=3000000-[0-9]* if-match=$ETAG" "$PROXY_LOG"

# ------------------------------------------------------------ stalled GET
proxy_start --rule "GET ^/$S3_BUCKET/faults/big\\.bin\$ stall 5000000 1"
started=$(now_ms)
PAIL_HTTP_LOW_SPEED_TIME=2 run_pail --config "$SCRATCH/proxy.json" \
  get faults/big.bin "$SCRATCH/got2"
took=$(($(now_ms) - started))
expect_status 0 "get through a body that stalls at 5,000,000 bytes"
check "the stalled download is byte-exact" cmp -s "$DATA/24MiB" "$SCRATCH/got2"
check "the stall was noticed, not waited out ($took ms; the proxy stalls 120 s)" test "$took" -lt 60000
check "the stalled rest was asked for with Range and If-Match" \
  grep -Eq "range=bytes=5000000-[0-9]* if-match=$ETAG" "$PROXY_LOG"

# ------------------------------------------------------------ failed parts
# Every attempt of part 2 fails: the retries give up and the upload is
# aborted.
for fault in status reset; do
  key=faults/part-$fault.bin
  proxy_start --rule "PUT ^/$S3_BUCKET/faults/part-$fault\\.bin\\?.*partNumber=2 $fault 0 100"
  run_pail --config "$SCRATCH/proxy.json" put "$DATA/24MiB" "$key"
  expect_status 1 "put with part 2 failing ($fault)"
  case $fault in
  status) expect_stderr "(throttled|unavailable)" "a 5xx part is classified" ;;
  reset) expect_stderr "unavailable" "a reset part is classified as unavailable" ;;
  esac
  check "the upload began as multipart ($fault)" \
    grep -q "POST /$S3_BUCKET/$key?uploads" "$PROXY_LOG"
  expect_no_uploads "part 2 failing ($fault)"
  check "no object after the failed upload ($fault)" aws_lacks_key "$key"
done

# ------------------------------------------------------------ retried
# One failure each: the default policy retries it and the command succeeds.
for case in "PUT partNumber=2 status put" "PUT partNumber=3 reset put" \
  "GET big status get" "GET big reset get" "HEAD big status stat" \
  "GET list-type=2 status ls"; do
  set -- $case
  method=$1 what=$2 fault=$3 command=$4
  key=faults/retried-$fault.bin
  case $what in
  big) pattern="^/$S3_BUCKET/faults/big\\.bin\$" ;;
  partNumber=*) pattern="^/$S3_BUCKET/faults/retried-$fault\\.bin\\?(.*&)?$what(&|$)" ;;
  *) pattern="^/$S3_BUCKET\\?.*$what" ;;
  esac
  proxy_start --rule "$method $pattern $fault 0 1"
  case $command in
  put) run_pail -v --config "$SCRATCH/proxy.json" put "$DATA/24MiB" "$key" ;;
  get) run_pail -v --config "$SCRATCH/proxy.json" get faults/big.bin "$SCRATCH/got3" ;;
  stat) run_pail -v --config "$SCRATCH/proxy.json" stat faults/big.bin ;;
  ls)
    # moto 5.2 miscomputes signatures of listings (their query has %2F;
    # s3_cli.sh shows the aws CLI fails the same way): checked without.
    s3_signature_checks off
    run_pail -v --config "$SCRATCH/proxy.json" ls faults/
    s3_signature_checks on
    ;;
  esac
  expect_status 0 "$command with one $fault on $method $what is retried"
  check "the proxy injected the $fault ($method $what)" grep -q " $fault" "$PROXY_LOG"
  expect_stderr "retrying $method" "$command says it retried ($method $what)"
  case $command in
  put)
    s3_aws s3api get-object --bucket "$S3_BUCKET" --key "$key" "$SCRATCH/back" >/dev/null
    check "the retried upload is byte-exact ($fault)" cmp -s "$DATA/24MiB" "$SCRATCH/back"
    expect_no_uploads "after the retried upload ($fault)" ;;
  get) check "the retried download is byte-exact ($fault)" cmp -s "$DATA/24MiB" "$SCRATCH/got3" ;;
  esac
done

# ------------------------------------------------ lost CreateMultipartUpload
# An upload of the same key begun before (another writer's) must survive.
OLDER=$(s3_aws s3api create-multipart-upload --bucket "$S3_BUCKET" \
  --key faults/orphan.bin --query UploadId --output text)
sleep 3
proxy_start --rule "POST ^/$S3_BUCKET/faults/orphan\\.bin\\?uploads drop 0 1"
# ListMultipartUploads' prefix has %2F, whose signature moto 5.2 miscomputes.
s3_signature_checks off
run_pail -v --config "$SCRATCH/proxy.json" put "$DATA/24MiB" faults/orphan.bin
s3_signature_checks on
check "the server began the upload and its answer was dropped" \
  grep -q "^POST /$S3_BUCKET/faults/orphan.bin?uploads.* -> 200 drop" "$PROXY_LOG"
expect_status 1 "the put whose CreateMultipartUpload answer is lost fails"
expect_stderr "unavailable" "the lost answer is classified"
check "the POST was not replayed" \
  test "$(grep -c "^POST /$S3_BUCKET/faults/orphan.bin?uploads" "$PROXY_LOG")" -eq 1
check "the key's uploads were listed" \
  grep -q "^GET /$S3_BUCKET?prefix=faults%2Forphan.bin&uploads" "$PROXY_LOG"
expect_stderr "aborting multipart upload .* whose answer was lost" \
  "the orphaned upload's abort is logged"
left=$(s3_aws s3api list-multipart-uploads --bucket "$S3_BUCKET" \
  --query 'Uploads[].UploadId' --output text)
check "only the older upload is left ($left)" test "$left" = "$OLDER"
s3_aws s3api abort-multipart-upload --bucket "$S3_BUCKET" \
  --key faults/orphan.bin --upload-id "$OLDER"
expect_no_uploads "after the lost CreateMultipartUpload"

# ------------------------------------------------------------ corrupted GET
# The object's additional checksum (asked for with x-amz-checksum-mode) or,
# without one, its single-part ETag (the MD5) catches a flipped byte.
head -c 300000 /dev/urandom >"$DATA/small"
s3_aws s3api put-object --bucket "$S3_BUCKET" --key sums/sha256.bin \
  --body "$DATA/small" --checksum-algorithm SHA256 >/dev/null
s3_aws s3api put-object --bucket "$S3_BUCKET" --key sums/crc32.bin \
  --body "$DATA/small" --checksum-algorithm CRC32 >/dev/null
run_pail put "$DATA/small" sums/md5.bin
expect_status 0 "put an object whose ETag is its MD5"
for case in "sha256 SHA-256" "crc32 CRC-32" "md5 MD5"; do
  set -- $case
  key=sums/$1.bin
  proxy_start --rule "GET ^/$S3_BUCKET/sums/$1\\.bin\$ corrupt 123456 100"
  rm -f "$SCRATCH/sum-$1"
  run_pail --config "$SCRATCH/proxy.json" get "$key" "$SCRATCH/sum-$1"
  expect_status 1 "get of $key with a byte flipped on the way fails"
  expect_stderr "i/o error.*corrupt: its $2 is" "the $2 mismatch is named"
  check "the proxy flipped a byte of $key" grep -q " corrupt" "$PROXY_LOG"
  check "no file is left by the corrupt download ($1)" \
    sh -c '! ls "$1"/sum-"$2"* 2>/dev/null | grep -q .' sh "$SCRATCH" "$1"
  proxy_start
  run_pail -v --config "$SCRATCH/proxy.json" get "$key" "$SCRATCH/sum-$1"
  expect_status 0 "get of $key without faults"
  check "the clean download of $key is byte-exact" cmp -s "$DATA/small" "$SCRATCH/sum-$1"
  expect_stderr "300000 bytes verified by their $2" "the clean download was checked by its $2"
done
# A range has no checksum: the same flip goes unnoticed by design, and the
# bytes differ (this shows the rule does corrupt what passes through it).
proxy_start --rule "GET ^/$S3_BUCKET/sums/md5\\.bin\$ corrupt 10 1"
run_pail --config "$SCRATCH/proxy.json" cat --offset 100 --length 100 sums/md5.bin
expect_status 0 "a ranged read is not checked"

# --max-attempts 1 turns retries off: the same single fault now fails.
proxy_start --rule "HEAD ^/$S3_BUCKET/faults/big\\.bin\$ status 0 1"
run_pail --max-attempts 1 --config "$SCRATCH/proxy.json" stat faults/big.bin
expect_status 1 "stat with --max-attempts 1 fails on one 503"

# A copy that must not replace an object sends If-None-Match: * (moto
# ignores it on CopyObject, so the contract suite cannot see the refusal:
# what pail asks for is checked here, on the wire).
proxy_start --rule "GET ^/nothing\$ status 0 1"
run_pail --config "$SCRATCH/proxy.json" cp --no-clobber faults/big.bin faults/copy.bin
expect_status 0 "cp --no-clobber to a new key"
check "the copy asked S3 not to replace an object (If-None-Match: *)" \
  grep -Eq "PUT /$S3_BUCKET/faults/copy\.bin -> 200 .*if-none-match=\*" "$PROXY_LOG"

proxy_stop
finish
