# lib.sh: helpers shared by the shell tests (sourced, not run).
#
# Each test gets a private scratch directory ($SCRATCH) and a private
# environment: HOME, XDG_* and PAIL_* point inside it, so no test reads or
# writes the user's own settings, data or keys. Everything is removed on exit.

set -u

: "${PAIL:?PAIL must name the pail binary (make check sets it)}"
: "${top_builddir:?}" "${top_srcdir:?}"

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/pail-test.XXXXXX")
trap 'chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
export HOME="$SCRATCH/home"
export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share"
export PAIL_HOME="$SCRATCH/store"
unset PAIL_CONFIG PAIL_PLUGIN_PATH PAIL_USER PAIL_WORKSPACE_KEY XDG_CONFIG_DIRS
mkdir -p "$HOME"

# Under `make check-valgrind` every pail run goes through valgrind
# (PAIL_VALGRIND: the command and its options); an error or a leak makes it
# exit 99, which fails the check that ran it.
if [ -n "${PAIL_VALGRIND:-}" ]; then
  mkdir -p "$SCRATCH/valgrind"
  cat >"$SCRATCH/valgrind/pail" <<EOF
#!/bin/sh
exec ${PAIL_LIBTOOL:?} --mode=execute $PAIL_VALGRIND "$PAIL" "\$@"
EOF
  chmod +x "$SCRATCH/valgrind/pail"
  PAIL=$SCRATCH/valgrind/pail
fi

FAILURES=0
CHECKS=0

# fail MESSAGE: records a failed check and goes on.
fail() {
  FAILURES=$((FAILURES + 1))
  printf 'FAIL: %s\n' "$*" >&2
}

# pass MESSAGE: records a passed check.
pass() {
  CHECKS=$((CHECKS + 1))
  printf 'ok: %s\n' "$*"
}

# check NAME COMMAND...: runs COMMAND, passes when it exits 0.
check() {
  name=$1
  shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}

# run_pail ARGS...: runs pail, leaving stdout in $OUT, stderr in $ERR and the
# exit status in $STATUS. Never fails the shell.
run_pail() {
  OUT=$SCRATCH/.stdout ERR=$SCRATCH/.stderr
  STATUS=0
  "$PAIL" "$@" >"$OUT" 2>"$ERR" || STATUS=$?
}

# expect_status WANT NAME: checks the last run_pail's exit status.
expect_status() {
  if [ "$STATUS" -eq "$1" ]; then
    pass "$2 (exit $1)"
  else
    fail "$2: exit $STATUS, wanted $1; stderr: $(cat "$ERR")"
  fi
}

# expect_stderr PATTERN NAME: the last run_pail's stderr matches PATTERN
# (grep -E).
expect_stderr() {
  if grep -Eq -- "$1" "$ERR"; then
    pass "$2"
  else
    fail "$2: stderr does not match '$1': $(cat "$ERR")"
  fi
}

# store_snapshot: prints a listing of every file under $PAIL_HOME with its
# checksum, to prove that a failed command changed nothing.
store_snapshot() {
  if [ -d "$PAIL_HOME" ]; then
    (cd "$PAIL_HOME" && find . -print0 | sort -z | xargs -0 -r sh -c \
      'for f; do if [ -f "$f" ]; then printf "%s %s\n" "$(cksum <"$f")" "$f"; else printf "dir %s\n" "$f"; fi; done' sh)
  fi
}

# finish: prints the tally and exits 0 or 1 for the test driver.
finish() {
  printf '%d passed, %d failed\n' "$CHECKS" "$FAILURES"
  [ "$FAILURES" -eq 0 ]
  exit $?
}
