#!/bin/sh
# cli_bad_input.sh: every kind of bad input issue 2 lists must give a clear
# message, exit 1 or 2, and change nothing: not the storage, not the local
# files.
. "${top_srcdir:?}/tests/lib.sh"

printf 'payload' >"$SCRATCH/file"
"$PAIL" put "$SCRATCH/file" existing/object >/dev/null ||
  fail "setting up: cannot put an object"
BEFORE=$SCRATCH/before
store_snapshot >"$BEFORE"

# unchanged NAME: the store is as it was before the bad command.
unchanged() {
  store_snapshot >"$SCRATCH/after"
  if cmp -s "$BEFORE" "$SCRATCH/after"; then
    pass "$1 changes nothing in the storage"
  else
    fail "$1 changed the storage: $(diff "$BEFORE" "$SCRATCH/after")"
  fi
}

# no_local NAME PATH: no file, temporary or final, was left at PATH.
no_local() {
  if [ -e "$2" ] || ls -A "$(dirname "$2")" | grep -q "pail-"; then
    fail "$1 left a local file"
  else
    pass "$1 leaves no local file"
  fi
}

# bad_pointer TEXT WHAT PATTERN: TEXT is refused by put, get, stat, rm and cp
# with exit 2 and a message matching PATTERN.
bad_pointer() {
  text=$1 what=$2 pattern=$3
  run_pail put "$SCRATCH/file" "$text"
  expect_status 2 "put to $what"
  expect_stderr "$pattern" "put to $what says why"
  unchanged "put to $what"
  run_pail get "$text" "$SCRATCH/out/got"
  expect_status 2 "get of $what"
  no_local "get of $what" "$SCRATCH/out/got"
  for cmd in stat rm cat; do
    run_pail $cmd "$text"
    expect_status 2 "$cmd of $what"
    expect_stderr "$pattern" "$cmd of $what says why"
  done
  run_pail cp existing/object "$text"
  expect_status 2 "cp to $what"
  unchanged "cp to $what"
}
mkdir -p "$SCRATCH/out"

# ------------------------------------------------------------ pointers, keys
bad_pointer '{"s3": ' "malformed pointer JSON" "malformed pointer JSON"
bad_pointer '{"s3": 42}' "a pointer whose key is a number" '"s3".*string'
bad_pointer '{"key": "a"}' "a pointer JSON without s3" '"s3"'
bad_pointer '../x' "key ../x" '"\.\." path segment'
bad_pointer 'a/../x' "key a/../x" '"\.\." path segment'
bad_pointer 'a/./x' "key a/./x" '"\." path segment'
bad_pointer 'a//b' "key a//b" "empty path segment"
bad_pointer '/' "key /" "empty"
bad_pointer '' "the empty key" "empty"
for cmd in stat cat rm; do
  run_pail $cmd s3:///
  expect_status 2 "$cmd of s3:/// (no key)"
  expect_stderr "no key" "$cmd of s3:/// says there is no key"
done
bad_pointer '{"s3": "a\u0000b"}' "a key with NUL" "NUL"
bad_pointer "$(printf 'a\001b')" "a key with a control character" "control"
bad_pointer "$(printf 'bad\377utf8')" "a key of invalid UTF-8" "UTF-8"
long=$(head -c 1025 /dev/zero | tr '\0' k)
bad_pointer "$long" "a 1025-byte key" "1025 bytes"
# 1024 bytes in five segments (a file system allows 255 bytes a name).
segment=$(head -c 204 /dev/zero | tr '\0' k)
longest="$segment/$segment/$segment/$segment/$segment"
run_pail put "$SCRATCH/file" "$longest"
expect_status 0 "a 1024-byte key is legal"
"$PAIL" rm "$longest"

# A storage that does not exist is an operation failure (exit 1).
run_pail put "$SCRATCH/file" s3://nowhere/x
expect_status 1 "put to a storage that does not exist"
expect_stderr 'no storage named "nowhere"' "the message names the storage"
unchanged "put to a missing storage"
run_pail get '{"s3": "existing/object", "storage": "nowhere"}' "$SCRATCH/out/got"
expect_status 1 "get from a storage that does not exist"
no_local "get from a missing storage" "$SCRATCH/out/got"

# Pointers in a scheme pail does not know are not taken for bare keys.
for text in gs://bkt/a S3:///a https://host/a; do
  scheme=${text%%://*}
  run_pail stat "$text"
  expect_status 2 "stat of $text"
  expect_stderr "\"$scheme://\" is not a scheme pail knows.*; a pointer is \\{\"s3\": \"key\"\\}, s3:///key, s3://storage/key or a bare key" \
    "stat of $text names the scheme and the forms pail accepts"
  [ "$scheme" = S3 ] &&
    expect_stderr "s3 is written in lowercase" "S3:// is told that s3 is lowercase"
done

# ------------------------------------------------------------ access rules
# A denial says its category once.
printf '%s\n' '{"storage": {"type": "fs", "root_path": "'"$PAIL_HOME"'"}, "advanced_permissions": [{"pattern": "public/**", "allow": "read"}]}' \
  >"$SCRATCH/rules.json"
run_pail --config "$SCRATCH/rules.json" cat existing/object
expect_status 1 "a read the access rules deny"
expect_stderr '^pail: cat: existing/object: access denied: read to "existing/object" is not allowed' \
  "a denial names the access and the key"
check "a denial says \"access denied\" once" \
  test "$(grep -o 'access denied' "$ERR" | wc -l)" -eq 1

# ------------------------------------------------------------ local files
run_pail get missing/key "$SCRATCH/out/got"
expect_status 1 "get of a missing key"
expect_stderr "not found" "get of a missing key says not found"
no_local "get of a missing key" "$SCRATCH/out/got"
printf 'keep me' >"$SCRATCH/out/kept"
run_pail get missing/key "$SCRATCH/out/kept"
check "a failed get leaves an existing file untouched" \
  grep -qx 'keep me' "$SCRATCH/out/kept"
rm "$SCRATCH/out/kept"

run_pail put "$SCRATCH/no-such-file" new/object
expect_status 1 "put of a file that does not exist"
expect_stderr "no-such-file" "the message names the file"
unchanged "put of a missing file"
mkdir -p "$SCRATCH/a-directory"
run_pail put "$SCRATCH/a-directory" new/object
expect_status 1 "put of a directory"
unchanged "put of a directory"
if [ "$(id -u)" != 0 ]; then
  printf 'secret' >"$SCRATCH/unreadable"
  chmod 000 "$SCRATCH/unreadable"
  run_pail put "$SCRATCH/unreadable" new/object
  expect_status 1 "put of an unreadable file"
  unchanged "put of an unreadable file"
fi

# A failed put or cp is labelled with what failed: the local file, the
# source, or the destination.
printf '%s\n' '{"storage": {"type": "fs", "root_path": "'"$PAIL_HOME"'"}, "secondary_storage": {"gone": {"type": "fs", "root_path": "'"$SCRATCH"'/gone"}}}' \
  >"$SCRATCH/gone.json"
run_pail --config "$SCRATCH/gone.json" put "$SCRATCH/file" s3://gone/small.txt
expect_status 1 "put to a storage whose root is missing"
expect_stderr '^pail: put: small\.txt: not found: fs: the storage root' \
  "a failed put is labelled with the destination, not the local file"
run_pail put "$SCRATCH/no-such-file" new/object
expect_stderr "^pail: put: $SCRATCH/no-such-file: not found" \
  "a put of a missing file is labelled with the file"
run_pail --config "$SCRATCH/gone.json" cp existing/object s3://gone/copy
expect_status 1 "cp to a storage whose root is missing"
expect_stderr '^pail: cp: copy: not found: fs: the storage root' \
  "a failed cp is labelled with the destination when it failed"
run_pail --config "$SCRATCH/gone.json" cp missing/source s3://gone/copy
expect_stderr '^pail: cp: missing/source: not found' \
  "a cp of a missing source is labelled with the source"
check "no root was created for the failed put and cp" test ! -e "$SCRATCH/gone"

# ------------------------------------------------------------ settings
# bad_settings NAME JSON PATTERN: the settings are refused with exit 1 and a
# message matching PATTERN, and nothing is created anywhere.
bad_settings() {
  printf '%s\n' "$2" >"$SCRATCH/settings.json"
  run_pail --config "$SCRATCH/settings.json" put "$SCRATCH/file" \
    "${4:-new/object}"
  expect_status 1 "settings: $1"
  expect_stderr "$3" "settings: $1: the message says why"
  unchanged "settings: $1"
  check "settings: $1: no storage root created" [ ! -e "$SCRATCH/elsewhere" ]
}
bad_settings "not JSON" 'storage = fs' "not valid JSON"
bad_settings "not an object" '["fs"]' "object"
bad_settings "unknown top-level field" \
  '{"storage": {"type": "fs", "root_path": "'"$SCRATCH"'/elsewhere"}, "storrage": {}}' \
  'unknown field "storrage"'
bad_settings "unknown storage field" \
  '{"storage": {"type": "fs", "root_path": "'"$SCRATCH"'/elsewhere", "create_roots": true}}' \
  'primary storage.*unknown field "create_roots"'
bad_settings "unknown field in a secondary storage" \
  '{"storage": {"type": "fs", "root_path": "'"$PAIL_HOME"'"}, "secondary_storage": {"arc": {"type": "fs", "root": "/x"}}}' \
  '"arc".*unknown field "root"' s3://arc/new/object
bad_settings "unknown type" \
  '{"storage": {"type": "frobnicate", "root_path": "'"$SCRATCH"'/elsewhere"}}' \
  'frobnicate'
bad_settings "missing type" '{"storage": {"root_path": "/x"}}' 'no "type"'
bad_settings "missing required field" '{"storage": {"type": "fs"}}' \
  'missing required field "root_path"'
bad_settings "field of the wrong type" \
  '{"storage": {"type": "fs", "root_path": 7}}' 'root_path'
bad_settings "no storage" '{}' 'storage'
run_pail --config "$SCRATCH/no-such-settings.json" ls
expect_status 1 "a settings file that does not exist"
expect_stderr "no-such-settings.json" "the message names the file"

# The secondary's error is reported by config check even if unused.
printf '%s\n' '{"storage": {"type": "fs", "root_path": "'"$PAIL_HOME"'"}, "secondary_storage": {"arc": {"type": "fs", "root": "/x"}}}' \
  >"$SCRATCH/settings.json"
run_pail --config "$SCRATCH/settings.json" config check
expect_status 1 "config check fails on a bad secondary"
check "config check names the field" grep -q '^arc (fs): invalid argument: .*unknown field "root"' "$OUT"

# config check reaches each storage: a missing fs root and a dead endpoint
# (a loopback port nobody listens on) fail, each error printed once, on
# stdout; stderr says how many failed.
dead_port=$(free_port)
printf '%s\n' '{"storage": {"type": "fs", "root_path": "'"$PAIL_HOME"'"}, "secondary_storage": {"gone": {"type": "fs", "root_path": "'"$SCRATCH"'/gone"}, "dead": {"type": "s3", "bucket": "pail-test", "region": "us-east-1", "endPoint": "127.0.0.1:'"$dead_port"'", "useSSL": false, "pathStyle": true, "accessKey": "AKIDEXAMPLE", "secretKey": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}}}' \
  >"$SCRATCH/check.json"
run_pail --config "$SCRATCH/check.json" --max-attempts 2 config check
expect_status 1 "config check with a missing fs root and a dead endpoint"
check "config check: the primary is ok" grep -qx 'primary (fs): ok' "$OUT"
check "config check: the missing root" grep -q \
  '^gone (fs): not found: fs: the storage root ".*/gone" does not exist' "$OUT"
check "config check: the dead endpoint" grep -q \
  "^dead (s3): unavailable: .*127.0.0.1:$dead_port" "$OUT"
check "config check: the dead endpoint's message says how many attempts" \
  grep -q "^dead (s3): unavailable: .*(after 2 attempts)$" "$OUT"
check "config check: stderr says how many failed, and nothing else" \
  test "$(cat "$ERR")" = "pail: config: 2 of 3 storages failed the check"
check "config check created no root" test ! -e "$SCRATCH/gone"
run_pail --config "$SCRATCH/check.json" --max-attempts 2 --json config check
expect_status 1 "config check --json with failures"
check "config check --json: each storage's outcome" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in d["storages"]}
assert s[None]["ok"] and s[None]["error"] is None, d
assert not s["gone"]["ok"] and s["gone"]["error"]["category"] == "not found", d
assert not s["dead"]["ok"] and s["dead"]["error"]["category"] == "unavailable", d
' "$OUT"

# ------------------------------------------------------------ plugins
mkdir -p "$SCRATCH/plugins"
printf 'this is not a shared object\n' >"$SCRATCH/plugins/pail_junk.so"
printf '%s\n' '{"storage": {"type": "junk"}}' >"$SCRATCH/junk.json"
PAIL_PLUGIN_PATH=$SCRATCH/plugins run_pail --config "$SCRATCH/junk.json" \
  put "$SCRATCH/file" new/object
expect_status 1 "a plugin that is not a shared object"
expect_stderr "pail_junk.so" "the message names the plugin file"
unchanged "a broken plugin"
PAIL_PLUGIN_PATH=$SCRATCH/plugins run_pail backends
expect_status 1 "backends reports a broken plugin"
expect_stderr "pail_junk.so" "backends names the broken file"
check "backends still lists the good ones" grep -q "^fs " "$OUT"
PAIL_PLUGIN_PATH=plugins run_pail --config "$SCRATCH/junk.json" ls
expect_status 1 "a relative PAIL_PLUGIN_PATH is not searched"

# ------------------------------------------------------------ usage
for args in "" "frobnicate" "put" "put onlyone" "get a" "stat a b" \
  "ls --no-such-option" "sign a --method POST" "sign a --expires soon" \
  "sign a --at yesterday" "rm -r s3:///" "config" "config fix" \
  "put --metadata novalue $SCRATCH/file x" "get --offset -1 a b" \
  "sign a --expires 0" "sign a --expires 604801" "sign a --expires 700000"; do
  run_pail $args
  expect_status 2 "usage error: pail $args"
done
# Header texts with a control character are invalid option values too.
# A carriage return, not a line feed: under make check-valgrind, libtool's
# execute mode splits an argument at a line feed.
for option in --content-type --content-disposition --metadata; do
  value="$(printf 'a=b\rc')"
  run_pail put "$option" "$value" "$SCRATCH/file" new/object
  expect_status 2 "usage error: put $option with a carriage return"
  expect_stderr "$option may not contain control characters \\(U\\+000D" \
    "put $option with a carriage return says why"
  run_pail cp "$option" "$value" existing/object new/object
  expect_status 2 "usage error: cp $option with a carriage return"
  expect_stderr "$option may not contain control characters \\(U\\+000D" \
    "cp $option with a carriage return says why"
done
unchanged "usage errors"
run_pail sign existing/object --expires 604800
expect_status 0 "sign --expires 604800 (7 days, the most)"
run_pail sign existing/object --expires 700000
expect_stderr "--expires wants 1 to 604800 seconds" \
  "sign --expires 700000 says the range"

# With --json, a usage error is the command's one document too, wherever
# --json stands.
for args in "--json stat a b" "stat a b --json" "--json sign a --expires 700000" \
  "--json frobnicate" "--json" "--json ls --no-such-option" "cat --offset x a --json" \
  "--json stat gs://bkt/a"; do
  run_pail $args
  expect_status 2 "usage error: pail $args"
  check "usage error: pail $args prints {\"error\": ...} on stdout" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
e = d["error"]
assert e["category"] == "invalid argument" and e["message"], d
assert set(e) == {"category", "message", "provider_code", "http_status", "request_id"}, d
' "$OUT"
done

finish
