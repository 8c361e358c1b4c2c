#!/bin/sh
# preview_s3.sh: `pail preview` against moto_server (issue 8): objects
# uploaded by another client (the aws CLI), previewed through S3's ranged
# GETs only. moto's request log is the proof: every GET of a previewed
# object is answered 206 (Partial Content), never 200 (the whole object),
# and a large Parquet file costs two GETs (the magic, then the tail).
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/s3_lib.sh"

export PAIL_CONFIG="$S3_SETTINGS"
DATA=${PAIL_TEST_DATA:-$top_srcdir/tests/data}/parquet
if [ ! -d "$DATA" ]; then
  echo "SKIP: no test data at $DATA"
  exit 77
fi
python_json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

run_pail mb
expect_status 0 "create the bucket"

# gets KEY STATUS: how many GETs of KEY moto answered with STATUS.
gets() {
  grep -c "\"GET /$S3_BUCKET/$1[? ].* $2 " "$S3_MOTO_LOG"
}

# A 4 MiB Parquet file: a real footer after zeros (its column chunks are
# never read by a preview, so their offsets do not matter).
footer_length=$(python3 -c "
import struct,sys
d=open(sys.argv[1],'rb').read()
print(struct.unpack('<I', d[-8:-4])[0])" "$DATA/alltypes_plain.parquet")
{
  printf 'PAR1'
  head -c $((4 * 1024 * 1024)) /dev/zero
  tail -c $((footer_length + 8)) "$DATA/alltypes_plain.parquet"
} >"$SCRATCH/big.parquet"
size=$(wc -c <"$SCRATCH/big.parquet")
check "aws CLI uploads the large Parquet file" \
  s3_aws s3 cp --quiet "$SCRATCH/big.parquet" "s3://$S3_BUCKET/runs/big.parquet"

run_pail preview --json runs/big.parquet
expect_status 0 "preview a 4 MiB Parquet file on S3"
got=$(python_json 'print(d["format"], d["num_rows"], d["num_columns"], d["size"], d["bytes_read"])' <"$OUT")
check "parquet, 8 rows, 11 columns, $size bytes, 4 + 65536 read: $got" \
  test "$got" = "parquet 8 11 $size 65540"
wait_for_log "GET /$S3_BUCKET/runs/big.parquet"
check "two ranged GETs of the Parquet file (206)" test "$(gets runs/big.parquet 206)" = 2
check "no whole-object GET of the Parquet file (200)" test "$(gets runs/big.parquet 200)" = 0

# Every real file, uploaded by the aws CLI.
for name in alltypes_plain.parquet nested_lists.snappy.parquet \
  nation.dict-malformed.parquet; do
  s3_aws s3 cp --quiet "$DATA/$name" "s3://$S3_BUCKET/data/$name"
done
run_pail preview --json data/nested_lists.snappy.parquet
got=$(python_json 'print(d["num_rows"], [c["path"] for c in d["columns"]])' <"$OUT")
check "nested_lists on S3: $got" test "$got" = \
  "3 ['a.list.element.list.element.list.element', 'b']"
run_pail preview data/nation.dict-malformed.parquet
check "malformed dictionary, footer fine: 25 rows" grep -q '^rows: 25,' "$OUT"

# A large CSV: only the head (64 KiB) is read.
python3 -c "
import sys
with open(sys.argv[1], 'w') as f:
    f.write('n,square\n')
    for i in range(200000):
        f.write('%d,%d\n' % (i, i * i))" "$SCRATCH/big.csv"
s3_aws s3 cp --quiet "$SCRATCH/big.csv" "s3://$S3_BUCKET/runs/big.csv"
run_pail preview --rows 3 runs/big.csv
expect_status 0 "preview a large CSV on S3"
check "CSV table from S3" grep -q '^2  4$' "$OUT"
run_pail preview --json runs/big.csv
got=$(python_json 'print(d["format"], d["bytes_read"], d["truncated"], d["content_type"])' <"$OUT")
check "head only: $got" test "$got" = "csv 65536 True text/csv"
wait_for_log "GET /$S3_BUCKET/runs/big.csv"
check "only ranged GETs of the CSV (206)" test "$(gets runs/big.csv 206)" = 2
check "no whole-object GET of the CSV (200)" test "$(gets runs/big.csv 200)" = 0

# Errors keep their S3 meaning.
run_pail preview runs/missing.csv
expect_status 1 "missing object on S3"
expect_stderr 'not found' "missing object on S3: not found"

finish
