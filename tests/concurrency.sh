#!/bin/sh
# concurrency.sh: tests/concurrency (8 threads, one workspace handle, mixed
# operations, exact bytes checked against each thread's model, objects shared
# between threads never mixed) against mem and fs with 10,000 operations
# each, and against moto (signature checks on but for listings, which moto
# 5.2 signs wrongly) with 10,000 too (PAIL_CONCURRENCY_S3_OPS). Under a
# ThreadSanitizer build (./configure CC=clang --enable-sanitizers=thread)
# any data race makes the program fail (TSAN_OPTIONS halt_on_error=1).
#   PAIL_CONCURRENCY_OPS (10000), PAIL_CONCURRENCY_SEED (1) change the run.
. "${top_srcdir:?}/tests/lib.sh"

PROGRAM=${top_builddir:?}/tests/concurrency
OPS=${PAIL_CONCURRENCY_OPS:-10000}
S3_OPS=${PAIL_CONCURRENCY_S3_OPS:-10000}
SEED=${PAIL_CONCURRENCY_SEED:-1}
TSAN_OPTIONS="halt_on_error=1 exitcode=66 ${TSAN_OPTIONS:-}"
export TSAN_OPTIONS

# run_concurrency NAME SETTINGS OPS BIG
run_concurrency() {
  started=$(now_ms)
  if "$PROGRAM" "$2" "$3" 8 "$SEED" "$4" >"$SCRATCH/$1.out" 2>"$SCRATCH/$1.err"; then
    pass "$1: $(cat "$SCRATCH/$1.out") in $(($(now_ms) - started)) ms"
  else
    fail "$1 (exit $?): $(tail -c 3000 "$SCRATCH/$1.err") $(cat "$SCRATCH/$1.out")"
  fi
}

printf '{"storage": {"type": "mem"}}\n' >"$SCRATCH/mem.json"
run_concurrency mem "$SCRATCH/mem.json" "$OPS" 3145728

mkdir -p "$SCRATCH/fs"
printf '{"storage": {"type": "fs", "root_path": "%s"}}\n' "$SCRATCH/fs" \
  >"$SCRATCH/fs.json"
run_concurrency fs "$SCRATCH/fs.json" "$OPS" 3145728
check "fs: no temporary file is left" \
  test -z "$(find "$SCRATCH/fs" -name '*.pail-*' -print)"

# moto last: without it (s3_lib.sh would skip the whole test) mem and fs
# still count.
if ! command -v moto_server >/dev/null 2>&1 || ! command -v aws >/dev/null 2>&1; then
  echo "NOTE: moto_server or the aws CLI is missing: no S3 run"
  finish
fi
. "$top_srcdir/tests/s3_lib.sh"
"$PAIL" --config "$S3_SETTINGS" mb >/dev/null || fail "mb"
s3_signature_checks off
# 6 MiB puts go up as multipart uploads.
run_concurrency s3 "$S3_SETTINGS" "$S3_OPS" 6291459
s3_signature_checks on
expect_no_uploads "after the threads"
finish
