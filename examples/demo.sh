#!/bin/sh
# demo.sh: pail's main job on the embedded default (a local fs storage, no
# settings file): a step writes a dataset and returns a pointer; the next
# step resolves the pointer and reads the data back.
#
# Runs the pail built in this tree (or $PAIL). The demo's storage and keys
# live in a temporary directory, so your own ~/.local/share/pail and
# ~/.config/pail are left alone; pass --keep to keep it and see the files.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
PAIL=${PAIL:-$here/tools/pail}
if [ ! -x "$PAIL" ]; then
  echo "demo: $PAIL is not built; run ./autogen.sh && ./configure && make" >&2
  exit 1
fi
demo=$(mktemp -d "${TMPDIR:-/tmp}/pail-demo.XXXXXX")
[ "${1:-}" = "--keep" ] || trap 'rm -rf "$demo"' EXIT
# No settings file: pail falls back to its embedded default, one fs storage
# rooted at $PAIL_HOME.
export PAIL_HOME="$demo/store" XDG_CONFIG_HOME="$demo/config"
unset PAIL_CONFIG

if [ -t 1 ]; then bold='\033[1m' plain='\033[0m'; else bold='' plain=''; fi
step() { printf "\n${bold}\$ %s${plain}\n" "$*"; }

printf 'city,population\nLyon,522250\nNantes,320732\nOslo,709037\n' \
  >"$demo/cities.csv"

step pail config check
"$PAIL" config check

step pail put cities.csv results/2026/cities.csv
pointer=$("$PAIL" put "$demo/cities.csv" results/2026/cities.csv)
echo "$pointer"

step pail ls results/ -r
"$PAIL" ls -r results/

step pail stat "'$pointer'"
"$PAIL" stat "$pointer"

step pail get "'$pointer'" cities-back.csv
"$PAIL" get "$pointer" "$demo/cities-back.csv"
cmp "$demo/cities.csv" "$demo/cities-back.csv"
echo "identical to the original"

step pail cat s3:///results/2026/cities.csv
"$PAIL" cat s3:///results/2026/cities.csv

step pail sign results/2026/cities.csv --expires 600
"$PAIL" sign results/2026/cities.csv --expires 600

printf '\nThe pointer a workflow step returns for this dataset:\n%s\n' "$pointer"
[ "${1:-}" != "--keep" ] || printf '(storage kept in %s)\n' "$PAIL_HOME"
