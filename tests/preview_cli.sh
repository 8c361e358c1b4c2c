#!/bin/sh
# preview_cli.sh: `pail preview` end to end on an fs storage (issue 8): the
# real Parquet files of tests/data (row counts as other readers report
# them), CSV as a table, JSON, text with terminal escapes neutralised,
# binary content described and never printed, a broken Parquet file, and
# usage errors. The same against S3 (moto) is tests/preview_s3.sh.
. "${top_srcdir:?}/tests/lib.sh"

DATA=${PAIL_TEST_DATA:-$top_srcdir/tests/data}/parquet
if [ ! -d "$DATA" ]; then
  echo "SKIP: no test data at $DATA"
  exit 77
fi

python_json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

mkdir -p "$PAIL_HOME/d"

# --------------------------------------------------------------- Parquet
# file rows columns, as the README and other readers' suites give them.
# The whole --json document must stay as tests/expected/parquet/ records it
# (the output of the footer decoder before it was reshaped; the file times
# are set so that last_modified is the same).
while read -r file rows columns; do
  run_pail put "$DATA/$file" "d/$file"
  expect_status 0 "put $file"
  touch -d '2020-01-02 03:04:05 UTC' "$PAIL_HOME/d/$file"
  run_pail preview --json "d/$file"
  expect_status 0 "preview $file"
  got=$(python_json 'print(d["format"], d["num_rows"], d["num_columns"])' <"$OUT")
  check "$file: parquet, $rows rows, $columns columns" \
    test "$got" = "parquet $rows $columns"
  check "$file: the JSON document as recorded" \
    cmp "$top_srcdir/tests/expected/parquet/$file.json" "$OUT"
done <<EOF
alltypes_plain.parquet 8 11
alltypes_plain.snappy.parquet 2 11
binary.parquet 12 1
list_columns.parquet 3 2
nation.dict-malformed.parquet 25 4
nested_lists.snappy.parquet 3 2
nulls.snappy.parquet 8 1
EOF

run_pail preview d/alltypes_plain.parquet
expect_status 0 "preview for people"
check "summary line" grep -q '^rows: 8, row groups: 1, columns: 11$' "$OUT"
check "schema lists timestamp_col" grep -q '^  timestamp_col: OPTIONAL INT96$' "$OUT"
check "columns table" grep -Eq '^bigint_col +INT64 +UNCOMPRESSED' "$OUT"

# A copy cut short: not a Parquet file any more.
head -c 1800 "$DATA/alltypes_plain.parquet" >"$SCRATCH/cut.parquet"
run_pail put "$SCRATCH/cut.parquet" d/cut.parquet
run_pail preview d/cut.parquet
expect_status 1 "truncated Parquet file"
expect_stderr 'cannot preview "d/cut.parquet": not a Parquet file: it does not end with PAR1' \
  "truncated Parquet file: says why"
run_pail preview --json d/cut.parquet
expect_status 1 "truncated Parquet file, --json"
check "--json error document" sh -c \
  "python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"error\"][\"category\"] == \"i/o error\", d' <'$OUT'"

# ------------------------------------------------------------ text formats
printf 'city,population\nParis,2102650\nLyon,522250\n' >"$PAIL_HOME/d/cities.csv"
run_pail preview d/cities.csv
expect_status 0 "preview CSV"
check "CSV: header line" grep -q '^city   population$' "$OUT"
check "CSV: a row" grep -q '^Lyon   522250$' "$OUT"
check "CSV: delimiter and header" grep -q '^delimiter ,, header row$' "$OUT"

printf '{"name": "pail", "tags": ["a", "b"]}' >"$PAIL_HOME/d/doc.json"
run_pail preview d/doc.json
expect_status 0 "preview JSON"
check "JSON pretty" grep -q '^  "tags": \[$' "$OUT"

# DEL and the C1 controls (U+009B is a terminal's CSI) inside JSON strings:
# jansson writes them raw, pail escapes them.
printf '{"k": "\302\233[2J\177"}' >"$PAIL_HOME/d/c1.json"
printf '{"e": "\302\2332J"}\n{"e": "\177"}\n' >"$PAIL_HOME/d/c1.ndjson"
for f in c1.json c1.ndjson; do
  run_pail preview "d/$f"
  expect_status 0 "preview $f"
  check "$f: no raw DEL or C1 control reaches the terminal" sh -c \
    "! LC_ALL=C grep -q \"\$(printf '\177\|\302[\200-\237]')\" '$OUT'"
done
check "NDJSON records one per line, escaped" grep -qF '{"e":"\u007f"}' "$OUT"

printf 'id\tv\n1\tx\n2\ty\n3\tz\n' >"$PAIL_HOME/d/t"
run_pail preview --rows 2 --json d/t
got=$(python_json 'print(d["format"], len(d["rows"]), d["truncated"], d["columns"])' <"$OUT")
check "TSV sniffed, --rows 2: $got" test "$got" = "tsv 2 True ['id', 'v']"

printf 'title\n\033[2J\033]0;pwned\007 bad \377 byte\n' >"$PAIL_HOME/d/escape.txt"
run_pail preview d/escape.txt
expect_status 0 "preview text with escapes"
check "no raw ESC or BEL reaches the terminal" sh -c \
  "! LC_ALL=C grep -q \"\$(printf '[\\033\\007\\377]')\" '$OUT'"
check "escapes shown as \\xNN" grep -qF '\x1b[2J\x1b]0;pwned\x07 bad \xff byte' "$OUT"

# ------------------------------------------------------ binary and images
printf '\037\213\010\000\000\000\000\000\000\003' >"$PAIL_HOME/d/a.gz"
run_pail preview d/a.gz
expect_status 0 "preview gzip"
check "binary described" grep -q '^binary data (gzip); not shown$' "$OUT"
check "binary never printed" sh -c "! LC_ALL=C grep -q \"\$(printf '\\213')\" '$OUT'"

printf '\211PNG\r\n\032\n\000\000\000\015IHDR\000\000\001\000\000\000\000\200\010\006\000\000\000' \
  >"$PAIL_HOME/d/pic.png"
run_pail preview d/pic.png
check "PNG size" grep -q '^png image, 256 x 128 pixels$' "$OUT"

: >"$PAIL_HOME/d/empty"
run_pail preview d/empty
expect_status 0 "preview of an empty object"
check "empty object said so" grep -q '^nothing to preview: empty object$' "$OUT"

# ----------------------------------------------------------------- errors
run_pail preview
expect_status 2 "no operand"
run_pail preview d/a.gz d/empty
expect_status 2 "two operands"
run_pail preview --rows x d/a.gz
expect_status 2 "--rows not a number"
expect_stderr 'rows wants a positive number' "--rows: says what it wants"
run_pail preview 'd/../etc/passwd'
expect_status 2 "traversal key refused"
run_pail preview d/missing.csv
expect_status 1 "missing object"
expect_stderr 'not found' "missing object: not found"

finish
