#!/bin/sh
# cli_roundtrip.sh: the `pail` binary end to end on a temporary fs root:
# put/ls/stat/get/cat/cp/rm, files of 0 bytes, 1 byte and 10 MiB, keys with
# every kind of legal character, the pointer forms, secondary storages, access
# rules, grants and the --json documents.
. "${top_srcdir:?}/tests/lib.sh"

python_json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

DATA=$SCRATCH/data
mkdir -p "$DATA"
: >"$DATA/empty"
printf 'x' >"$DATA/one"
head -c 10485760 /dev/urandom >"$DATA/ten-mib"

# ------------------------------------------------------------ sizes
for f in empty one ten-mib; do
  run_pail put "$DATA/$f" "sizes/$f.bin"
  expect_status 0 "put $f"
  check "put $f prints the pointer" grep -qx "{\"s3\": \"sizes/$f.bin\"}" "$OUT"
  run_pail --json stat "sizes/$f.bin"
  expect_status 0 "stat $f"
  size=$(python_json 'print(d["size"])' <"$OUT")
  check "stat $f size" [ "$size" = "$(wc -c <"$DATA/$f" | tr -d ' ')" ]
  run_pail get "sizes/$f.bin" "$SCRATCH/got-$f"
  expect_status 0 "get $f"
  check "get $f bytes" cmp -s "$DATA/$f" "$SCRATCH/got-$f"
  "$PAIL" cat "s3:///sizes/$f.bin" >"$SCRATCH/cat-$f"
  check "cat $f bytes" cmp -s "$DATA/$f" "$SCRATCH/cat-$f"
  run_pail cp "sizes/$f.bin" "copies/$f.bin"
  expect_status 0 "cp $f"
  "$PAIL" cat "{\"s3\": \"copies/$f.bin\"}" >"$SCRATCH/cp-$f"
  check "cp $f bytes" cmp -s "$DATA/$f" "$SCRATCH/cp-$f"
done

# A local file goes in by copy_file_range, past the MD5 a write computes:
# its etag is still the file's MD5, computed when first asked for.
for f in one ten-mib; do
  run_pail --json stat "sizes/$f.bin"
  check "stat $f: the etag is the file's MD5" python_json \
    "assert d['etag'] == '\"$(md5sum <"$DATA/$f" | cut -c1-32)\"', d" <"$OUT"
done
# From another file system (tmpfs) the kernel may refuse to copy between
# the two files (EXDEV): the bytes are read and written instead.
if other=$(mktemp -d /dev/shm/pail-test.XXXXXX 2>/dev/null); then
  cp "$DATA/ten-mib" "$other/f"
  run_pail put "$other/f" other-fs/f.bin
  expect_status 0 "put of a file on another file system"
  rm -rf "$other"
  run_pail get other-fs/f.bin "$SCRATCH/other-fs"
  check "a file from another file system round-trips" \
    cmp -s "$DATA/ten-mib" "$SCRATCH/other-fs"
  run_pail --json stat other-fs/f.bin
  check "a file from another file system has its MD5 as etag" python_json \
    "assert d['etag'] == '\"$(md5sum <"$DATA/ten-mib" | cut -c1-32)\"', d" \
    <"$OUT"
  rm -f "$SCRATCH/other-fs"
fi

# Standard input, ranged reads, a directory as destination.
head -c 3000000 /dev/urandom >"$DATA/piped"
"$PAIL" put - sizes/piped.bin <"$DATA/piped" >/dev/null
"$PAIL" cat sizes/piped.bin >"$SCRATCH/piped"
check "put from stdin round-trips" cmp -s "$DATA/piped" "$SCRATCH/piped"
"$PAIL" cat --offset 1000 --length 5000 sizes/piped.bin >"$SCRATCH/range"
tail -c +1001 "$DATA/piped" | head -c 5000 >"$SCRATCH/range.want"
check "ranged cat" cmp -s "$SCRATCH/range" "$SCRATCH/range.want"
mkdir -p "$SCRATCH/into"
run_pail get sizes/one.bin "$SCRATCH/into"
check "get into a directory uses the key's base name" \
  cmp -s "$DATA/one" "$SCRATCH/into/one.bin"
run_pail put "$DATA/one" folder/
check "put to a folder appends the base name" grep -q '"folder/one"' "$OUT"

# ------------------------------------------------------------ keys
# Every character DESIGN.md calls legal, each through put, ls, stat, get,
# cp and rm, and through every pointer form.
i=0
for key in "with space/a b.txt" "plus+sign" "per%20cent" "hash#frag" \
  "question?x=1" "tilde~home" "equal=sign" "données/файл-数据.csv" \
  "emoji-🙂/x" "mixed +%#?~=/ü ü"; do
  i=$((i + 1))
  printf 'content %s' "$i" >"$DATA/key$i"
  run_pail put "$DATA/key$i" "keys/$key"
  expect_status 0 "put key '$key'"
  json_key=$(printf '%s' "keys/$key" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read(), ensure_ascii=False))')
  check "put prints pointer for '$key'" grep -qF "{\"s3\": $json_key}" "$OUT"
  "$PAIL" ls -r keys/ >"$SCRATCH/ls"
  check "ls shows '$key'" grep -qF "  keys/$key" "$SCRATCH/ls"
  "$PAIL" cat "s3:///keys/$key" >"$SCRATCH/k"
  check "cat s3:/// form of '$key'" cmp -s "$DATA/key$i" "$SCRATCH/k"
  "$PAIL" cat "{\"s3\": $json_key}" >"$SCRATCH/k"
  check "cat JSON form of '$key'" cmp -s "$DATA/key$i" "$SCRATCH/k"
  run_pail cp "keys/$key" "keys-copy/$key"
  expect_status 0 "cp '$key'"
  run_pail rm "keys/$key"
  expect_status 0 "rm '$key'"
  run_pail stat "keys/$key"
  expect_status 1 "stat after rm of '$key'"
  expect_stderr "not found" "stat after rm says not found"
done

# ------------------------------------------------------------ ls
run_pail ls sizes/
expect_status 0 "ls a folder"
check "ls lists objects of the folder" grep -q "sizes/ten-mib.bin" "$OUT"
run_pail ls
check "ls at the root shows folders" grep -Eq "DIR +sizes/" "$OUT"
check "ls one level does not descend" sh -c "! grep -q 'sizes/one.bin' '$OUT'"
run_pail --json ls -r --page-size 2 sizes/
expect_status 0 "ls --json across pages"
count=$(python_json 'print(len(d["entries"]))' <"$OUT")
check "paged listing has every object once" [ "$count" = 4 ]

# ------------------------------------------------------------ metadata
run_pail put --metadata owner=ann --content-disposition 'attachment' \
  "$DATA/one" meta/x.csv
run_pail --json stat meta/x.csv
check "content type guessed from the extension" \
  python_json 'assert d["content_type"] == "text/csv"' <"$OUT"
check "user metadata stored" \
  python_json 'assert d["metadata"] == {"owner": "ann"}' <"$OUT"
run_pail put --no-clobber "$DATA/one" meta/x.csv
expect_status 1 "put --no-clobber over an existing object"
expect_stderr "conflict" "--no-clobber reports a conflict"

# ------------------------------------------------------------ rm
run_pail rm -f missing/object
expect_status 0 "rm -f of a missing object"
run_pail rm missing/object
expect_status 1 "rm of a missing object"
"$PAIL" put "$DATA/one" tree/a/1 >/dev/null
"$PAIL" put "$DATA/one" tree/a/b/2 >/dev/null
"$PAIL" put "$DATA/one" tree-other/3 >/dev/null
run_pail rm -r tree
expect_status 0 "rm -r a folder"
run_pail ls -r tree
check "rm -r took the folder" sh -c "! grep -q 'tree/' '$OUT'"
check "rm -r left the sibling with a common prefix" grep -q "tree-other/3" "$OUT"

# ------------------------------------------------------------ secondary storage, rules, grants
mkdir -p "$SCRATCH/primary" "$SCRATCH/archive"
cat >"$SCRATCH/ws.json" <<EOF
{ "storage": { "type": "fs", "root_path": "$SCRATCH/primary" },
  "secondary_storage": {
    "archive": { "type": "FilesystemStorage", "root_path": "$SCRATCH/archive" } },
  "advanced_permissions": [
    { "pattern": "u/{username}/**", "allow": "read,write,delete,list" },
    { "pattern": "u/**", "allow": "list" },
    { "pattern": "secret/**", "allow": "list" },
    { "pattern": "**", "allow": "read,write,delete,list" } ],
  "workspace_key": "0123456789abcdef0123456789abcdef" }
EOF
# The same workspace without rules: what a trusted step that hands out
# grants would run with.
sed '/advanced_permissions/,/^  "workspace_key"/{/workspace_key/!d}' \
  "$SCRATCH/ws.json" >"$SCRATCH/trusted.json"
export PAIL_CONFIG="$SCRATCH/ws.json"
run_pail put "$DATA/one" s3://archive/a/x
expect_status 0 "put to a secondary storage"
check "put prints the storage" grep -q '"storage": "archive"' "$OUT"
check "the object is in the archive root" cmp -s "$DATA/one" "$SCRATCH/archive/a/x"
run_pail --storage archive stat a/x
expect_status 0 "--storage applies to bare keys"
run_pail cp s3://archive/a/x s3:///from-archive
expect_status 0 "cp across storages"
check "cross-storage copy bytes" cmp -s "$DATA/one" "$SCRATCH/primary/from-archive"
run_pail config check
expect_status 0 "config check"
check "config check names the secondary" grep -q "archive (fs): ok" "$OUT"

run_pail --user alice put "$DATA/one" u/alice/f
expect_status 0 "rules allow a user's own folder"
run_pail --user alice put "$DATA/one" u/bob/f
expect_status 1 "rules deny another user's folder"
expect_stderr "access denied" "denial is reported as access denied"
check "a denied put creates nothing" [ ! -e "$SCRATCH/primary/u/bob/f" ]
PAIL_USER=bob run_pail get u/alice/f "$SCRATCH/denied"
expect_status 1 "rules deny reading another user's file (PAIL_USER)"
check "a denied get creates no file" [ ! -e "$SCRATCH/denied" ]

mkdir -p "$SCRATCH/primary/secret"
printf 'classified' >"$SCRATCH/primary/secret/plan"
run_pail cat secret/plan
expect_status 1 "rules deny reading secret/"
run_pail sign secret/plan
expect_status 1 "signing needs read access"
run_pail --config "$SCRATCH/trusted.json" sign secret/plan --expires 600
expect_status 0 "sign on fs answers with a grant"
grant=$(cat "$OUT")
check "the grant is a pointer with presigned" \
  sh -c "printf '%s' '$grant' | grep -q '\"presigned\": \"exp='"
run_pail cat "$grant"
expect_status 0 "a grant reads what the rules deny"
check "grant read bytes" grep -qx classified "$OUT"
tampered=$(printf '%s' "$grant" | sed 's/"secret\/plan"/"secret\/other"/')
run_pail cat "$tampered"
expect_status 1 "a grant does not carry over to another key"
run_pail --config "$SCRATCH/trusted.json" sign --at 2020-01-01T00:00:00Z \
  --expires 60 secret/plan
run_pail cat "$(cat "$OUT")"
expect_status 1 "an expired grant is refused"
expect_stderr "expired" "the refusal says it expired"
unset PAIL_CONFIG

# ------------------------------------------------------------ json documents
for cmd in "stat sizes/one.bin" "ls" "ls -r" "backends" "config check" \
  "sign sizes/one.bin" "rm -f nothing/here" "mb"; do
  run_pail --json $cmd
  check "--json $cmd is one JSON document" python_json 'pass' <"$OUT"
done
run_pail --json stat no/such
expect_status 1 "--json error exit status"
check "--json error document" \
  python_json 'assert d["error"]["category"] == "not found"' <"$OUT"

# ------------------------------------------------------------ help
for cmd in put get cat ls stat rm cp sign mb backends config; do
  run_pail "$cmd" --help
  expect_status 0 "$cmd --help"
  check "$cmd --help shows usage" grep -q "^usage: pail \[OPTIONS\] $cmd" "$OUT"
done
run_pail --version
check "--version" grep -q "^pail [0-9]" "$OUT"

# ------------------------------------------------------------ core fields
# maxAttempts, retryTimeLimit, caBundle and tlsVerify are the core's, valid
# on any storage; tlsVerify: false is said out loud when the storage opens.
cat >"$SCRATCH/core-fields.json" <<EOF
{ "storage": { "type": "fs", "root_path": "$SCRATCH/core-fields",
               "maxAttempts": 2, "retryTimeLimit": 5, "tlsVerify": false,
               "caBundle": "$SCRATCH/none.pem" } }
EOF
mkdir -p "$SCRATCH/core-fields"
run_pail --config "$SCRATCH/core-fields.json" ls
expect_status 0 "core fields on an fs storage"
expect_stderr "TLS certificate verification is off" "tlsVerify: false warns"
run_pail --max-attempts 0 ls
expect_status 2 "--max-attempts 0 is a usage error"
expect_stderr "from 1 to 20" "--max-attempts says its range"

finish
