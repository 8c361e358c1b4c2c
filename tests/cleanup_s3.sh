#!/bin/sh
# cleanup_s3.sh: `pail cleanup` against moto_server with signature checks on
# (issue 15): a `pail put` killed with kill -9 mid-way through a multipart
# upload leaves the upload in the bucket (billed until aborted); cleanup
# keeps it while recent, lists it with --dry-run, aborts it with
# --older-than 0, and leaves committed objects alone. The aws CLI checks
# what is left, independently of pail.
. "${top_srcdir:?}/tests/lib.sh"
# moto lists every multipart upload as initiated in 2010; S3 gives the real
# time, which the age limit of cleanup goes by.
PYTHONPATH=$top_srcdir/tests/moto_fix${PYTHONPATH:+:$PYTHONPATH}
export PYTHONPATH
. "$top_srcdir/tests/s3_lib.sh"

export PAIL_CONFIG="$S3_SETTINGS"
python_json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

run_pail mb
expect_status 0 "mb"
printf 'committed\n' >"$SCRATCH/small"
run_pail put "$SCRATCH/small" keep/object.txt
expect_status 0 "put a committed object"

# A put from a pipe that stalls after 12 MiB (two 5 MiB parts sent), killed
# with SIGKILL: nothing can abort its upload.
stalled_put "$PAIL" $((12 << 20)) crash/big.bin
if wait_for_log "POST /$S3_BUCKET/crash/big\\.bin\\?uploads"; then
  wait_for_log "PUT /$S3_BUCKET/crash/big\\.bin\\?partNumber=1" || true
  kill -9 "$PUT_PID"
  wait "$PUT_PID" 2>/dev/null
  check "kill -9 during put leaves a multipart upload" \
    test "$(multipart_uploads)" -eq 1

  run_pail cleanup
  expect_status 0 "cleanup with the default 24h"
  check "a recent upload is kept" test "$(multipart_uploads)" -eq 1
  check "it is listed as kept-recent" \
    grep -q '^kept-recent .*multipart-upload.*crash/big.bin' "$OUT"

  run_pail cleanup --older-than 0 --dry-run
  expect_status 0 "cleanup --dry-run"
  check "--dry-run says it would abort it" grep -q '^would-remove .*crash/big.bin' "$OUT"
  check "--dry-run aborts nothing" test "$(multipart_uploads)" -eq 1

  upload_id=$(s3_aws s3api list-multipart-uploads --bucket "$S3_BUCKET" \
    --query 'Uploads[0].UploadId' --output text)
  run_pail --json cleanup --older-than 0
  expect_status 0 "cleanup --older-than 0"
  check "--json names the aborted upload" python_json '
l = d["storages"][0]["leftovers"][0]
assert d["removed"] == 1 and d["failed"] == 0, d
assert l["kind"] == "multipart-upload" and l["key"] == "crash/big.bin", d
assert l["id"] == "'"$upload_id"'" and l["outcome"] == "removed", d' <"$OUT"
  expect_no_uploads "cleanup --older-than 0"
  check "no object was made of it" aws_lacks_key crash/big.bin
  check "the committed object stays" aws_has_key keep/object.txt
  run_pail cleanup --older-than 0
  expect_status 0 "a second cleanup finds nothing"
  check "and lists nothing" test ! -s "$OUT"
else
  fail "no multipart upload began within 30 s: $(cat "$SCRATCH/put.err")"
  kill "$PUT_PID" 2>/dev/null
fi
kill "$FEED_PID" 2>/dev/null
wait "$FEED_PID" 2>/dev/null

# An upload begun by another client: aborted too; with
# the access rules denying delete, it stays and cleanup exits 1.
s3_aws s3api create-multipart-upload --bucket "$S3_BUCKET" --key other/x.bin \
  >/dev/null
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
d["advanced_permissions"] = [{"pattern": "**", "allow": "read,list"}]
json.dump(d, open(sys.argv[2], "w"))' "$S3_SETTINGS" "$SCRATCH/rules.json"
run_pail --config "$SCRATCH/rules.json" cleanup --older-than 0
expect_status 1 "cleanup without delete access fails"
expect_stderr 'access denied' "it says access denied"
check "the upload stays" test "$(multipart_uploads)" -eq 1
run_pail cleanup --older-than 0
expect_status 0 "cleanup with delete access"
expect_no_uploads "another client's upload"

finish
