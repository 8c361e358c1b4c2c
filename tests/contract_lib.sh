# contract_lib.sh: the contract every storage backend keeps, as users reach
# it through the `pail` binary (sourced after lib.sh by a driver).
#
# One suite, run against each backend by a thin driver: tests/contract_fs.sh,
# contract_mem.sh, contract_s3.sh (moto), contract_azure.sh (Azurite) and
# contract_gcs.sh (tests/gcs_fixture.py). Each check function below is one
# part of the contract: ranges at and past the end (and empty objects),
# listings (prefix, one level or recursive, across pages, in byte order),
# conditional writes (--no-clobber), metadata (content type, disposition,
# user metadata), copies, deletes (missing objects too), and odd keys (every
# legal character; the key rules the core enforces refuse the rest before
# any backend sees them).
#
# What pail wrote is checked with the backend's own view where it has one
# (the aws CLI, the Azure SDK, the GCS fixture, the file system), so that a
# mistake made the same way on the way in and out cannot pass. The driver
# gives that view as these functions:
#   witness_has KEY          true when the backend holds KEY
#   witness_lacks KEY        true when it does not
#   witness_count PREFIX     prints how many keys it holds under PREFIX
#   witness_same KEY FILE    true when it holds KEY with FILE's bytes
#   witness_attrs KEY        prints KEY's attributes as JSON: content_type,
#                            content_disposition, metadata (an object)
# and may override these hooks (defaults below):
#   contract_key_begin KEY FILE  before the checks of one odd key
#   contract_key_end             after them
#   contract_listing COMMAND...  runs a command that lists (moto cannot
#                                check the signature of some listings)
#   contract_step NAME           called at the named points of a check
#                                (before-rm-three, after-rm-three,
#                                before-rm-many, after-rm-many,
#                                after-listing-pages) so that a driver can
#                                check how its backend did it (requests,
#                                batches) on the same data
#
# Backends differ in a few documented ways. The driver says which parts of
# the contract its backend keeps in CONTRACT_CAPS, a list of words:
#   persistent    objects outlive the pail process that wrote them
#   disposition   the content disposition is stored
#   metadata      user metadata is stored
#   stored_type   a content type guessed from the extension is stored
#                 (fs guesses it again at each stat instead)
#   no_clobber    put --no-clobber is refused over an existing object
#   cp_no_clobber cp --no-clobber is refused over an existing object
# A check whose capability is missing is not skipped silently: it prints
# "not kept by BACKEND" with the reason the driver gives in
# CONTRACT_WHY_<capability>, and where the backend's behaviour is defined
# instead (fs refuses a disposition it cannot store), that is asserted.
#
# Other driver settings: CONTRACT_BACKEND (its name in messages),
# CONTRACT_MANY (keys put for the listing across pages, default 1001: more
# than the 1,000 a page S3 and Azure give), CONTRACT_MISSING_CODE (the
# provider code a failed delete of a missing key names, when the backend
# has one), CONTRACT_META_TEAM (the second metadata name, team_name by
# default: an underscore, which Azure's identifier rule allows).

: "${CONTRACT_BACKEND:?the driver names its backend}"
: "${CONTRACT_CAPS=}"
: "${CONTRACT_MANY:=1001}"
: "${CONTRACT_META_TEAM:=team_name}"

python_json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

# Default hooks: nothing to prepare, listings run as they are.
contract_key_begin() { :; }
contract_key_end() { :; }
contract_listing() { "$@"; }
contract_step() { :; }

# has_cap WORD: the backend keeps that part of the contract.
has_cap() {
  case " $CONTRACT_CAPS " in
  *" $1 "*) return 0 ;;
  *) return 1 ;;
  esac
}

# not_kept CAP WHAT: says, for the log, that WHAT is not checked on this
# backend and why (CONTRACT_WHY_CAP, which the driver must give).
not_kept() {
  eval "not_kept_why=\${CONTRACT_WHY_$1:-}"
  if [ -z "$not_kept_why" ]; then
    fail "$CONTRACT_BACKEND lacks '$1' but the driver gives no reason"
    return
  fi
  printf 'not kept by %s: %s (%s)\n' "$CONTRACT_BACKEND" "$2" "$not_kept_why"
}

CONTRACT_DATA=$SCRATCH/contract
mkdir -p "$CONTRACT_DATA"
: >"$CONTRACT_DATA/0"
printf 'x' >"$CONTRACT_DATA/1"
head -c 100000 /dev/urandom >"$CONTRACT_DATA/100k"
printf 'content one' >"$CONTRACT_DATA/one"
printf 'content two, longer' >"$CONTRACT_DATA/two"

# contract_put FILE KEY NAME: a put that must succeed, checked by the
# witness.
contract_put() {
  run_pail put "$1" "$2"
  expect_status 0 "$3"
  check "$3: the backend holds the bytes" witness_same "$2" "$1"
}

# ------------------------------------------------------------ ranges
# contract_ranges: a range inside, to the end, at the end (empty) and past
# the end (invalid argument) of objects of 0, 1 and 100,000 bytes.
contract_ranges() {
  for f in 0 1 100k; do
    contract_put "$CONTRACT_DATA/$f" "ranges/$f" "put $f for the range checks"
  done
  run_pail cat --offset 50000 --length 2000 ranges/100k
  tail -c +50001 "$CONTRACT_DATA/100k" | head -c 2000 >"$SCRATCH/range.want"
  check "ranged cat" cmp -s "$SCRATCH/range.want" "$OUT"
  run_pail cat --offset 99000 ranges/100k
  tail -c +99001 "$CONTRACT_DATA/100k" >"$SCRATCH/range.want"
  check "ranged cat to the end" cmp -s "$SCRATCH/range.want" "$OUT"
  run_pail get --offset 99990 --length 100 ranges/100k "$SCRATCH/range"
  expect_status 0 "ranged get whose length runs past the end"
  tail -c +99991 "$CONTRACT_DATA/100k" >"$SCRATCH/range.want"
  check "a length past the end is cut at the end" \
    cmp -s "$SCRATCH/range.want" "$SCRATCH/range"
  # A range that starts at the end is empty, as on every backend; one that
  # starts past the end is refused.
  for f in 0 1 100k; do
    size=$(wc -c <"$CONTRACT_DATA/$f" | tr -d ' ')
    run_pail cat --offset "$size" "ranges/$f"
    expect_status 0 "cat --offset $size (the size) of $f"
    check "cat --offset $size of $f prints nothing" test ! -s "$OUT"
    run_pail cat --offset "$((size + 1))" "ranges/$f"
    expect_status 1 "cat --offset $((size + 1)) (past the end) of $f"
    expect_stderr "invalid argument" "a range past the end of $f is an invalid argument"
  done
  run_pail cat --offset 1 --length 1 ranges/0
  expect_status 1 "a range past the end of an empty object is refused"
  run_pail cat ranges/0
  expect_status 0 "cat of an empty object"
  check "cat of an empty object prints nothing" test ! -s "$OUT"
}

# ------------------------------------------------------------ listings
# contract_listing_pages: CONTRACT_MANY keys, put 8 at a time, listed one
# level and recursively with the server's page size and with small ones:
# each key once, in order.
contract_listing_pages() {
  start=$(now_ms)
  seq -f 'many/k%04g' 0 $((CONTRACT_MANY - 1)) |
    xargs -P 8 -I KEY "$PAIL" put "$CONTRACT_DATA/1" KEY >/dev/null \
      2>"$SCRATCH/many.err"
  check "$CONTRACT_MANY puts in parallel (errors: $(head -c 300 "$SCRATCH/many.err"))" \
    test ! -s "$SCRATCH/many.err"
  printf '%d puts took %d ms\n' "$CONTRACT_MANY" $(($(now_ms) - start))
  check "the backend counts $CONTRACT_MANY keys" \
    test "$(witness_count many/)" = "$CONTRACT_MANY"
  seq -f 'many/k%04g' 0 $((CONTRACT_MANY - 1)) >"$SCRATCH/many.want"
  for args in "ls -r many/" "ls many/" "ls -r --page-size 333 many/" \
    "ls --page-size 1000 many/" "ls --page-size 7 many/"; do
    start=$(now_ms)
    contract_listing run_pail --json $args
    expect_status 0 "$args across pages ($(($(now_ms) - start)) ms)"
    python_json 'print("\n".join(e["key"] for e in d["entries"]))' <"$OUT" \
      >"$SCRATCH/many.got"
    check "--json $args lists each of the $CONTRACT_MANY keys once, in order" \
      cmp -s "$SCRATCH/many.want" "$SCRATCH/many.got"
  done
  contract_listing run_pail ls -r many/
  check "ls -r (text) prints $CONTRACT_MANY lines" \
    test "$(wc -l <"$OUT")" -eq "$CONTRACT_MANY"
  contract_step after-listing-pages
}

# contract_listing_folders: one level shows folders and does not descend;
# a prefix is bytes, not a folder; -r descends.
contract_listing_folders() {
  for k in tree/a/1 tree/a/b/2 tree/top tree-other/3; do
    "$PAIL" put "$CONTRACT_DATA/1" "$k" >/dev/null
  done
  contract_listing run_pail ls tree/
  expect_status 0 "ls a folder"
  check "ls tree/ shows the subfolder as DIR" grep -Eq "DIR +tree/a/\$" "$OUT"
  check "ls tree/ shows the object" grep -Eq " tree/top\$" "$OUT"
  check "ls tree/ does not descend" sh -c "! grep -q 'tree/a/1' '$OUT'"
  check "ls tree/ leaves out the sibling with a common prefix" \
    sh -c "! grep -q 'tree-other' '$OUT'"
  for args in "ls tree/" "ls --page-size 1 tree/"; do
    contract_listing run_pail --json $args
    check "--json $args marks the folder" python_json \
      'assert [(e["key"], e.get("folder", False)) for e in d["entries"]] == [("tree/a/", True), ("tree/top", False)], d' <"$OUT"
  done
  contract_listing run_pail --json ls -r tree
  check "ls -r tree (no slash) is a prefix: the sibling too" python_json \
    'assert [e["key"] for e in d["entries"]] == ["tree-other/3", "tree/a/1", "tree/a/b/2", "tree/top"], d' <"$OUT"
  contract_listing run_pail ls
  check "ls at the root shows folders" grep -Eq "DIR +tree/\$" "$OUT"
  check "ls at the root shows many/" grep -Eq "DIR +many/\$" "$OUT"
  contract_listing run_pail ls -r tree/
  check "ls -r tree/ descends" grep -q "tree/a/b/2" "$OUT"
}

# contract_listing_order: keys around the delimiter come back in byte
# order (' ' '+' '-' '/' 'B' 'b' then UTF-8), in one page or many.
contract_listing_order() {
  printf '%s\n' "order/a b" "order/a+b" "order/a-b" "order/a/b" "order/aB" \
    "order/ab" "order/é" "order/z" | LC_ALL=C sort >"$SCRATCH/order.want"
  while IFS= read -r k; do
    contract_key_begin "$k" "$CONTRACT_DATA/1"
    run_pail put "$CONTRACT_DATA/1" "$k"
    expect_status 0 "put '$k'"
    contract_key_end
  done <"$SCRATCH/order.want"
  for args in "ls -r order/" "ls -r --page-size 2 order/"; do
    contract_listing run_pail --json $args
    python_json 'print("\n".join(e["key"] for e in d["entries"]))' <"$OUT" \
      >"$SCRATCH/order.got"
    check "--json $args is in byte order" \
      cmp -s "$SCRATCH/order.want" "$SCRATCH/order.got"
  done
  contract_listing run_pail --json ls order/
  check "one level: the folder order/a/ sits where its bytes put it" python_json '
keys = [e["key"] for e in d["entries"]]
assert keys == ["order/a b", "order/a+b", "order/a-b", "order/a/", "order/aB", "order/ab", "order/z", "order/\u00e9"], keys' <"$OUT"
}

# ------------------------------------------------------------ conditional
# contract_no_clobber: --no-clobber refuses an existing key and leaves it,
# and writes a new one once.
contract_no_clobber() {
  contract_put "$CONTRACT_DATA/one" cond/x.csv "put before --no-clobber"
  if ! has_cap no_clobber; then
    not_kept no_clobber "put --no-clobber over an existing object"
    return
  fi
  run_pail put --no-clobber "$CONTRACT_DATA/two" cond/x.csv
  expect_status 1 "put --no-clobber over an existing key"
  expect_stderr "conflict" "--no-clobber reports a conflict"
  check "--no-clobber left the object as it was" \
    witness_same cond/x.csv "$CONTRACT_DATA/one"
  run_pail put --no-clobber "$CONTRACT_DATA/two" cond/new.csv
  expect_status 0 "put --no-clobber of a new key"
  run_pail put --no-clobber "$CONTRACT_DATA/one" cond/new.csv
  expect_status 1 "put --no-clobber again on that key"
  check "the second --no-clobber left the first one's bytes" \
    witness_same cond/new.csv "$CONTRACT_DATA/two"
}

# ------------------------------------------------------------ metadata
# contract_metadata: content type, disposition and user metadata go in
# with put, are stored, come back from stat; a type is guessed from the
# extension when none is given.
contract_metadata() {
  set -- --content-type 'text/x-pail; charset=utf-8' \
    --metadata owner=ann --metadata "$CONTRACT_META_TEAM=data"
  if has_cap disposition; then
    set -- "$@" --content-disposition 'attachment; filename="r 1.txt"'
  fi
  has_cap metadata || set -- --content-type 'text/x-pail; charset=utf-8'
  run_pail put "$@" "$CONTRACT_DATA/one" meta/report
  expect_status 0 "put with content type, disposition and metadata"
  run_pail --json stat meta/report
  expect_status 0 "--json stat"
  check "--json stat shows size, etag, content type, last modified" python_json '
assert d["size"] == 11, d
assert d["etag"], d
assert d["content_type"] == "text/x-pail; charset=utf-8", d
assert d["last_modified"], d' <"$OUT"
  cp "$OUT" "$SCRATCH/meta.stat"
  witness_attrs meta/report >"$SCRATCH/meta.attrs"
  check "the backend stores the content type" python_json \
    'assert d["content_type"] == "text/x-pail; charset=utf-8", d' <"$SCRATCH/meta.attrs"
  if has_cap disposition; then
    check "--json stat shows the disposition" python_json \
      'assert d["content_disposition"] == "attachment; filename=\"r 1.txt\"", d' <"$SCRATCH/meta.stat"
    check "the backend stores the disposition" python_json \
      'assert d["content_disposition"] == "attachment; filename=\"r 1.txt\"", d' <"$SCRATCH/meta.attrs"
  else
    not_kept disposition "the content disposition"
  fi
  if has_cap metadata; then
    check "--json stat shows the metadata" python_json \
      'assert d["metadata"] == {"owner": "ann", "'"$CONTRACT_META_TEAM"'": "data"}, d' <"$SCRATCH/meta.stat"
    check "the backend stores the metadata" python_json \
      'assert d["metadata"] == {"owner": "ann", "'"$CONTRACT_META_TEAM"'": "data"}, d' <"$SCRATCH/meta.attrs"
    run_pail stat meta/report
    check "stat (text) shows the metadata" grep -q "owner=ann" "$OUT"
  else
    not_kept metadata "user metadata"
  fi
  run_pail put "$CONTRACT_DATA/one" meta/x.csv
  run_pail --json stat meta/x.csv
  check "content type guessed from the extension" python_json \
    'assert d["content_type"] == "text/csv", d' <"$OUT"
  if has_cap stored_type; then
    check "the guessed content type is stored" python_json \
      'assert d["content_type"] == "text/csv", d' <<EOF
$(witness_attrs meta/x.csv)
EOF
  else
    not_kept stored_type "a stored guessed content type"
  fi
}

# ------------------------------------------------------------ copies
# contract_copies: bytes, empty objects, attributes kept or replaced, a
# missing source, --no-clobber. Needs contract_metadata's meta/report.
contract_copies() {
  contract_put "$CONTRACT_DATA/100k" copies/src "put a copy source"
  run_pail cp copies/src copies/dst
  expect_status 0 "cp"
  check "cp bytes" witness_same copies/dst "$CONTRACT_DATA/100k"
  "$PAIL" put "$CONTRACT_DATA/0" copies/0 >/dev/null
  run_pail cp "s3:///copies/0" '{"s3": "copies/0-copy"}'
  expect_status 0 "cp 0 bytes"
  check "cp 0 bytes made an empty object" \
    witness_same copies/0-copy "$CONTRACT_DATA/0"
  run_pail --json cp copies/src copies/json
  check "cp --json names source and destination" python_json \
    'assert d["source"]["s3"] == "copies/src" and d["destination"]["s3"] == "copies/json", d' <"$OUT"
  run_pail cp meta/report meta/report-copy
  expect_status 0 "cp with metadata"
  witness_attrs meta/report-copy >"$SCRATCH/meta.attrs"
  check "cp keeps the content type" python_json \
    'assert d["content_type"] == "text/x-pail; charset=utf-8", d' <"$SCRATCH/meta.attrs"
  if has_cap disposition; then
    check "cp keeps the disposition" python_json \
      'assert d["content_disposition"] == "attachment; filename=\"r 1.txt\"", d' <"$SCRATCH/meta.attrs"
  fi
  if has_cap metadata; then
    check "cp keeps the metadata" python_json \
      'assert d["metadata"] == {"owner": "ann", "'"$CONTRACT_META_TEAM"'": "data"}, d' <"$SCRATCH/meta.attrs"
  fi
  run_pail cp --content-type application/json meta/report meta/report-json
  expect_status 0 "cp with a new content type"
  witness_attrs meta/report-json >"$SCRATCH/meta.attrs"
  check "cp --content-type replaces the type" python_json \
    'assert d["content_type"] == "application/json", d' <"$SCRATCH/meta.attrs"
  if has_cap disposition; then
    check "cp with a new content type keeps the disposition" python_json \
      'assert d["content_disposition"] == "attachment; filename=\"r 1.txt\"", d' <"$SCRATCH/meta.attrs"
  fi
  run_pail cp no/such/key copies/nothing
  expect_status 1 "cp of a missing key"
  expect_stderr "not found" "cp of a missing key says not found"
  check "a failed cp creates nothing" witness_lacks copies/nothing
  if has_cap cp_no_clobber; then
    run_pail cp --no-clobber copies/0 copies/dst
    expect_status 1 "cp --no-clobber over an existing object"
    expect_stderr "conflict" "cp --no-clobber reports a conflict"
    check "cp --no-clobber left the object as it was" \
      witness_same copies/dst "$CONTRACT_DATA/100k"
  else
    not_kept cp_no_clobber "cp --no-clobber over an existing object"
  fi
}

# ------------------------------------------------------------ deletes
# contract_deletes: several keys at once, a missing key (with and without
# -f), a folder (not its sibling), and contract_listing_pages' keys (more
# than one batch or page).
contract_deletes() {
  for k in rm/a rm/b rm/c; do "$PAIL" put "$CONTRACT_DATA/1" "$k" >/dev/null; done
  contract_step before-rm-three
  run_pail rm rm/a rm/b rm/c
  expect_status 0 "rm of three keys"
  contract_step after-rm-three
  check "rm of three keys took them all" test "$(witness_count rm/)" = 0
  for k in rm/d rm/e; do "$PAIL" put "$CONTRACT_DATA/1" "$k" >/dev/null; done
  run_pail rm rm/d rm/missing rm/e
  expect_status 1 "rm of two keys and a missing one"
  expect_stderr "rm/missing: not found${CONTRACT_MISSING_CODE:+.*$CONTRACT_MISSING_CODE}" \
    "rm names the missing key${CONTRACT_MISSING_CODE:+ and its code}"
  check "rm took the two that exist" test "$(witness_count rm/)" = 0
  run_pail rm -f missing/object
  expect_status 0 "rm -f of a missing object"
  run_pail rm missing/object
  expect_status 1 "rm of a missing object"
  expect_stderr "not found" "rm of a missing object says not found"
  contract_listing run_pail rm -r tree/
  expect_status 0 "rm -r a folder"
  contract_listing run_pail ls -r tree
  check "rm -r took the folder" sh -c "! grep -q 'tree/' '$OUT'"
  check "rm -r left the sibling with a common prefix" grep -q "tree-other/3" "$OUT"
  start=$(now_ms)
  contract_step before-rm-many
  contract_listing run_pail rm -r many/
  expect_status 0 "rm -r of $CONTRACT_MANY keys ($(($(now_ms) - start)) ms)"
  contract_step after-rm-many
  check "rm -r took all $CONTRACT_MANY keys" test "$(witness_count many/)" = 0
}

# contract_missing: every command on a missing key says not found and
# leaves nothing behind.
contract_missing() {
  for cmd in stat cat get; do
    case $cmd in
    get) run_pail get no/such/key "$SCRATCH/nothing" ;;
    *) run_pail "$cmd" no/such/key ;;
    esac
    expect_status 1 "$cmd of a missing key"
    expect_stderr "not found" "$cmd of a missing key says not found"
  done
  check "a failed get leaves no local file" test ! -e "$SCRATCH/nothing"
  run_pail --json stat no/such/key
  check "--json stat of a missing key: category not found" python_json \
    'assert d["error"]["category"] == "not found", d' <"$OUT"
}

# ------------------------------------------------------------ odd keys
# Every kind of character the key rules allow: the backend must hold the
# very key pail was given (an encoding mistake made twice would round-trip).
CONTRACT_KEYS="with space/a b.txt
plus+sign
per%20cent
hash#frag
question?x=1
tilde~home
equal=sign
données/файл-数据.csv
emoji-🙂/x
mixed +%#?~=/ü ü
amp&semi;colon
quote\"'apos
sp ace+plus%25=eq?q#h~t
ünï cödé
a&b
trailing dot."

# contract_odd_keys: each key put, listed, stat'ed, read, copied and
# deleted; then the keys the rules refuse are refused before any request.
contract_odd_keys() {
  i=0
  printf '%s\n' "$CONTRACT_KEYS" >"$SCRATCH/keys"
  while IFS= read -r key; do
    i=$((i + 1))
    printf 'content %s' "$i" >"$CONTRACT_DATA/key$i"
    contract_key_begin "$key" "$CONTRACT_DATA/key$i"
    run_pail put "$CONTRACT_DATA/key$i" "keys/$key"
    expect_status 0 "put key '$key'"
    check "the backend holds key '$key'" witness_has "keys/$key"
    check "the backend holds the bytes of '$key'" \
      witness_same "keys/$key" "$CONTRACT_DATA/key$i"
    contract_listing run_pail ls -r keys/
    check "ls -r shows '$key'" grep -qF "  keys/$key" "$OUT"
    run_pail --json stat "keys/$key"
    check "stat '$key'" python_json "assert d['size'] == $(wc -c <"$CONTRACT_DATA/key$i")" <"$OUT"
    "$PAIL" cat "s3:///keys/$key" >"$SCRATCH/k"
    check "cat '$key'" cmp -s "$CONTRACT_DATA/key$i" "$SCRATCH/k"
    run_pail cp "keys/$key" "keys-copy/$key"
    expect_status 0 "cp '$key'"
    check "the backend holds the copy of '$key'" witness_has "keys-copy/$key"
    run_pail rm "keys/$key"
    expect_status 0 "rm '$key'"
    check "the backend no longer holds '$key'" witness_lacks "keys/$key"
    run_pail stat "keys/$key"
    expect_status 1 "stat after rm of '$key'"
    expect_stderr "not found" "stat after rm of '$key' says not found"
    contract_key_end
  done <"$SCRATCH/keys"
  contract_listing run_pail ls -r keys-copy/
  check "ls -r shows all $i copies" test "$(wc -l <"$OUT")" -eq "$i"
  contract_listing run_pail rm -r keys-copy/
  expect_status 0 "rm -r of the keys with special characters"
  check "rm -r took every copy" test "$(witness_count keys-copy/)" = 0

  # A key names an object: no leading or trailing '/', no empty, "." or
  # ".." segment. The core refuses them as usage errors; nothing reaches
  # the backend. (put to a name ending in '/' is a folder: the file's base
  # name is appended, see below.)
  for key in "refused//x" "refused/./x" "refused/../x" "s3:////refused"; do
    run_pail put "$CONTRACT_DATA/1" "$key"
    expect_status 2 "put to the key '$key' is refused"
    expect_stderr "invalid" "the refusal of '$key' says why"
  done
  check "nothing was stored under refused" test "$(witness_count refused)" = 0
  run_pail stat "keys/folder/"
  expect_status 2 "stat of a key ending in '/' is refused"
  expect_stderr "ends with '/'" "the refusal says a key names an object"
  run_pail put "$CONTRACT_DATA/one" "keys/folder/"
  expect_status 0 "put to a folder (a name ending in '/')"
  check "put to a folder appends the file's base name" \
    witness_same keys/folder/one "$CONTRACT_DATA/one"
}

# contract_not_persistent: the capability list's "no persistent" is true:
# what one pail run put, the next run does not find.
contract_not_persistent() {
  run_pail put "$CONTRACT_DATA/1" gone/x
  expect_status 0 "put in one process"
  run_pail stat gone/x
  expect_status 1 "stat in the next process"
  expect_stderr "not found" "the next process does not find the object"
}

# contract_all: every part of the contract, in the order their data needs;
# on a backend whose objects die with the process, only the proof of that
# (every later check needs an object from an earlier run).
# CONTRACT_ONLY (a list of check function names) runs just those, for
# work on one check; `make check` never sets it.
contract_all() {
  if ! has_cap persistent; then
    not_kept persistent "every check across pail runs"
    contract_not_persistent
    return
  fi
  if [ -n "${CONTRACT_ONLY:-}" ]; then
    for contract_check in $CONTRACT_ONLY; do
      "$contract_check"
    done
    return
  fi
  contract_ranges
  contract_listing_pages
  contract_listing_folders
  contract_listing_order
  contract_no_clobber
  contract_metadata
  contract_copies
  contract_deletes
  contract_missing
  contract_odd_keys
}
