#!/bin/sh
# cleanup_cli.sh: `pail cleanup` on the embedded fs default (issue 15): a
# `pail put` from a pipe killed with kill -9 leaves a temporary file that
# no listing shows; cleanup keeps it while it is recent, shows it with
# --dry-run, removes it with --older-than 0, keeps a write still running
# unless --older-than 0, and never touches a committed object. Bad option
# values are usage errors; --json is one document.
. "${top_srcdir:?}/tests/lib.sh"

python_json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

# leftovers: the temporary files under the store.
leftovers() { find "$PAIL_HOME" -name '.pail-tmp.*' | wc -l; }

# slow_put KEY: `pail put - KEY` fed 3 MiB then nothing, in
# the background (its pid in PUT_PID, the feeder's in FEED_PID); returns
# once its temporary file holds bytes.
slow_put() {
  stalled_put "$PAIL" $((3 << 20)) "$1"
  tries=0
  until [ -n "$(find "$PAIL_HOME" -name '.pail-tmp.*' -size +1k 2>/dev/null)" ]; do
    tries=$((tries + 1))
    [ "$tries" -lt 300 ] || return 1
    sleep 0.1
  done
}
mkfifo "$SCRATCH/fifo"

run_pail mb
expect_status 0 "mb"
printf 'committed\n' >"$SCRATCH/small"
run_pail put "$SCRATCH/small" keep/object.txt
expect_status 0 "put a committed object"

# ---------------------------------------------------- a crashed writer
check "no leftover before" test "$(leftovers)" -eq 0
if slow_put crash/big.bin; then
  kill -9 "$PUT_PID"
  wait "$PUT_PID" 2>/dev/null
  kill "$FEED_PID" 2>/dev/null
  wait "$FEED_PID" 2>/dev/null
  check "kill -9 during put leaves a temporary file" test "$(leftovers)" -eq 1
  run_pail ls -r
  check "ls does not show it" sh -c "! grep -q pail-tmp '$OUT'"

  run_pail cleanup
  expect_status 0 "cleanup with the default 24h"
  check "a recent leftover is kept by default" test "$(leftovers)" -eq 1
  check "it is listed as kept-recent" grep -q '^kept-recent .*temporary-file.*crash/' "$OUT"

  run_pail cleanup --older-than 0 --dry-run
  expect_status 0 "cleanup --dry-run"
  check "--dry-run says it would remove it" grep -q '^would-remove .*crash/' "$OUT"
  check "--dry-run removes nothing" test "$(leftovers)" -eq 1

  run_pail --json cleanup --older-than 0
  expect_status 0 "cleanup --older-than 0"
  check "--json: one document naming the leftover removed" python_json '
s = d["storages"][0]; l = s["leftovers"][0]
assert d["removed"] == 1 and d["failed"] == 0, d
assert s["type"] == "fs" and l["outcome"] == "removed", d
assert l["kind"] == "temporary-file" and l["id"].startswith("crash/.pail-tmp."), d
assert l["size"] > 1024 and l["started"].endswith("Z"), d' <"$OUT"
  check "the temporary file is gone" test "$(leftovers)" -eq 0
  check "so is the folder its write created" test ! -e "$PAIL_HOME/crash"
  run_pail cat keep/object.txt
  check "the committed object stays" grep -qx committed "$OUT"
else
  fail "the killed put wrote no temporary file: $(cat "$SCRATCH/put.err")"
fi

# -------------------------------------------------- a write still running
if slow_put live/big.bin; then
  sleep 1.2
  run_pail cleanup --older-than 1
  expect_status 0 "cleanup --older-than 1 while a put runs"
  check "a running write is kept, however old its bytes" test "$(leftovers)" -eq 1
  check "it is reported as kept" grep -q '^kept-recent .*live/' "$OUT"
  kill "$FEED_PID" 2>/dev/null # end of the input: the put commits
  wait "$FEED_PID" 2>/dev/null
  status=0
  wait "$PUT_PID" || status=$?
  check "the kept put completes (exit $status)" test "$status" -eq 0
  run_pail stat live/big.bin
  expect_status 0 "its object exists"
else
  fail "the running put wrote no temporary file: $(cat "$SCRATCH/put.err")"
fi

# ------------------------------------------------------------- options
for bad in x -1 1.5 10w '' 5mm; do
  run_pail cleanup --older-than "$bad"
  expect_status 2 "--older-than '$bad' is a usage error"
  expect_stderr 'older-than wants a duration' "--older-than '$bad' says why"
done
for good in 0 90 90s 15m 24h 7d; do
  run_pail cleanup --older-than "$good"
  expect_status 0 "--older-than $good"
done
run_pail cleanup nosuch
expect_status 1 "an unknown storage fails"
expect_stderr 'no storage named "nosuch"' "it is named"
run_pail cleanup a/b
expect_status 2 "an object instead of a storage is a usage error"
run_pail cleanup _default_ extra
expect_status 2 "two operands are a usage error"
run_pail cleanup s3:///
expect_status 0 "s3:/// names the primary storage"
run_pail cleanup --help
expect_status 0 "cleanup --help"
check "--help documents --older-than" grep -q -- '--older-than' "$OUT"

finish
