#!/bin/sh
# example_plugin.sh: the example third-party plugin (examples/plugin) builds
# out of tree against an installed pail, found through pkg-config alone, and
# the real `pail` binary loads it from $PAIL_PLUGIN_PATH and round-trips
# objects through it.
#
# Steps: `make install DESTDIR=...` of this build; PKG_CONFIG_PATH and
# PKG_CONFIG_SYSROOT_DIR point pkg-config at the installed pail.pc; the
# example's own Makefile builds and installs pail_example.so from a copy of
# examples/plugin (the source tree may be read-only, as in `make distcheck`);
# then pail backends/mb/put/ls/stat/get/rm run against a storage of type
# "example".

. "$top_srcdir/tests/lib.sh"

# The sub-makes get a clean slate: the MAKEFLAGS of the `make check` that
# runs this test (TESTS=..., a jobserver this shell does not pass on) are
# not theirs.
sub_make() {
  (unset MAKEFLAGS MFLAGS MAKELEVEL; "$MAKE" "$@") >"$SCRATCH/make.log" 2>&1
}

# give_up MESSAGE: a failure the rest of the test cannot run without.
give_up() {
  fail "$*"
  sed 's/^/  | /' "$SCRATCH/make.log" >&2 2>/dev/null
  finish
}

# ------------------------------------------------------ install this pail
INST=$SCRATCH/inst
sub_make -C "$top_builddir" install DESTDIR="$INST" ||
  give_up "make install DESTDIR=$INST in $top_builddir"
pass "make install DESTDIR=..."

pc=$(find "$INST" -name pail.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$pc" ] || give_up "no pkgconfig/pail.pc under $INST"
header=$(find "$INST" -path '*/include/pail/backend.h' | head -n 1)
[ -n "$header" ] || give_up "no include/pail/backend.h under $INST"
pass "pail.pc and pail/backend.h are installed"

# pail.pc names the configured prefix; the sysroot puts its -I inside DESTDIR.
PKG_CONFIG_PATH=$(dirname "$pc")
PKG_CONFIG_SYSROOT_DIR=$INST
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
cflags=$(pkg-config --cflags pail) || give_up "pkg-config --cflags pail"
case " $cflags " in
*" -I$(dirname "$(dirname "$header")")"*) pass "pkg-config --cflags pail points into DESTDIR: $cflags" ;;
*) fail "pkg-config --cflags pail gives \"$cflags\", not -I$(dirname "$(dirname "$header")")" ;;
esac

# ------------------------------------------- build the example out of tree
EXAMPLE=$SCRATCH/example
cp -R "$top_srcdir/examples/plugin" "$EXAMPLE" && chmod -R u+w "$EXAMPLE" ||
  give_up "copy examples/plugin"
rm -f "$EXAMPLE/pail_example.so" # a stale build from the source tree
sub_make -C "$EXAMPLE" CC="$CC" || give_up "build the example with its Makefile"
[ -f "$EXAMPLE/pail_example.so" ] || give_up "the example's Makefile made no pail_example.so"
pass "examples/plugin builds with pkg-config alone"

PLUGINS=$SCRATCH/plugins
sub_make -C "$EXAMPLE" install PLUGINDIR="$PLUGINS" ||
  give_up "make install of the example"
[ -f "$PLUGINS/pail_example.so" ] || give_up "the example's make install put nothing in $PLUGINS"
pass "the example's make install"

# ------------------------------------------------------------- settings
OBJECTS=$SCRATCH/objects
cat >"$SCRATCH/workspace.json" <<EOF
{"storage": {"type": "example", "directory": "$OBJECTS"}}
EOF
export PAIL_CONFIG="$SCRATCH/workspace.json"

# Without the plugin directory on the path, type "example" is unknown: what
# follows really depends on $PAIL_PLUGIN_PATH.
run_pail stat some-key
expect_status 1 "without PAIL_PLUGIN_PATH the example type is not found"
expect_stderr 'pail_example\.so' "the error names the plugin file it looked for"

export PAIL_PLUGIN_PATH="$PLUGINS"

# --------------------------------------------------------------- backends
run_pail --json backends
expect_status 0 "pail backends"
if python3 - "$OUT" "$PLUGINS/pail_example.so" <<'EOF'; then
import json, sys
doc = json.load(open(sys.argv[1]))
found = [b for b in doc["backends"] if b["type"] == "example"]
assert len(found) == 1, doc
b = found[0]
assert b.get("error") is None, b
assert b["path"] == sys.argv[2], b
assert b["version"] == "1.0.0", b
assert b["abi"].split(".")[0] == "1", b
assert sorted(b["capabilities"]) == ["create-container", "ranged-read"], b
EOF
  pass "pail backends lists example 1.0.0 from \$PAIL_PLUGIN_PATH with its capabilities"
else
  fail "pail --json backends: $(cat "$OUT")"
fi

# ------------------------------------------------- the plugin's settings
printf '{"storage": {"type": "example", "directory": "%s", "dirctory": "x"}}\n' \
  "$OBJECTS" >"$SCRATCH/typo.json"
run_pail --config "$SCRATCH/typo.json" stat some-key
expect_status 1 "a field the example does not declare is refused"
expect_stderr '"dirctory"' "the error names the unknown field"
printf '{"storage": {"type": "example", "directory": "relative/dir"}}\n' \
  >"$SCRATCH/relative.json"
run_pail --config "$SCRATCH/relative.json" stat some-key
expect_status 1 "a relative directory is refused by the example's open"
expect_stderr 'absolute path' "the error says why"

# ------------------------------------------------------------- round trip
run_pail put /dev/null some-key
expect_status 1 "put before mb fails"
expect_stderr 'does not exist' "the error says the directory is missing"
run_pail mb
expect_status 0 "pail mb creates the example's directory"
check "the directory exists after mb" test -d "$OBJECTS"
run_pail mb
expect_status 0 "pail mb again succeeds (existing and ours)"

# Several transfer blocks (1 MiB each) and an odd tail.
head -c 3145739 /dev/urandom >"$SCRATCH/big.bin"
printf 'hello, example\n' >"$SCRATCH/small.txt"
KEY='dir/with space ünïcödé 日本.bin'
# Its file name: every byte outside [A-Za-z0-9._-] as %XX.
FILE='dir%2Fwith%20space%20%C3%BCn%C3%AFc%C3%B6d%C3%A9%20%E6%97%A5%E6%9C%AC.bin'

run_pail put "$SCRATCH/big.bin" "$KEY"
expect_status 0 "put a 3 MiB object under a key with spaces and unicode"
check "the object is the example's file $FILE" test -f "$OBJECTS/$FILE"
check "the stored bytes are the uploaded ones" cmp -s "$SCRATCH/big.bin" "$OBJECTS/$FILE"
run_pail put "$SCRATCH/small.txt" 's3:///top level.txt'
expect_status 0 "put through an s3:/// pointer"
leftovers=$(find "$OBJECTS" -name '#tmp.*' | wc -l)
[ "$leftovers" -eq 0 ] && pass "no temporary file is left behind" ||
  fail "$leftovers temporary files left in $OBJECTS"
check "nothing went to the default fs storage" test ! -e "$PAIL_HOME"

run_pail ls
expect_status 0 "ls"
check "ls shows the folder dir/" grep -Eq ' DIR +dir/$' "$OUT"
check "ls shows the top-level object" grep -Fq '  top level.txt' "$OUT"
run_pail --json ls dir/
expect_status 0 "ls dir/"
if python3 - "$OUT" "$KEY" <<'EOF'; then
import json, sys
doc = json.load(open(sys.argv[1]))
entries = [(e["key"], e.get("size")) for e in doc["entries"]]
assert entries == [(sys.argv[2], 3145739)], entries
EOF
  pass "ls dir/ lists exactly the key, unicode intact, with its size"
else
  fail "pail --json ls dir/: $(cat "$OUT")"
fi
run_pail ls -r
expect_status 0 "ls -r"
check "ls -r lists the key in full" grep -Fq "  $KEY" "$OUT"

run_pail stat "$KEY"
expect_status 0 "stat"
check "stat reports the size" grep -Eq '^size: +3145739$' "$OUT"
check "stat reports an etag" grep -Eq '^etag: +"[0-9a-f.-]+"$' "$OUT"

run_pail get "$KEY" "$SCRATCH/got.bin"
expect_status 0 "get to a file"
check "get returns the bytes put" cmp "$SCRATCH/big.bin" "$SCRATCH/got.bin"
run_pail get "{\"s3\": \"$KEY\"}" -
expect_status 0 "get a JSON pointer to stdout"
check "the bytes on stdout are the bytes put" cmp "$SCRATCH/big.bin" "$OUT"
run_pail cat 'top level.txt'
expect_status 0 "cat"
check "cat prints the small object" cmp "$SCRATCH/small.txt" "$OUT"

run_pail rm "$KEY"
expect_status 0 "rm"
check "rm removed the example's file" test ! -e "$OBJECTS/$FILE"
run_pail stat "$KEY"
expect_status 1 "stat after rm fails"
expect_stderr 'not found|no object' "stat after rm says the object is gone"
run_pail get "$KEY" "$SCRATCH/gone.bin"
expect_status 1 "get after rm fails"
check "a failed get leaves no local file" test ! -e "$SCRATCH/gone.bin"
run_pail ls -r
expect_status 0 "ls -r after rm"
check "ls -r no longer lists the key" test "$(cat "$OUT" | grep -Fc "$KEY")" -eq 0
check "ls -r still lists the other object" grep -Fq '  top level.txt' "$OUT"

finish
