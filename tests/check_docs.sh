#!/bin/sh
# check_docs.sh: scripts/check-docs (make check-docs) passes a true doc and
# fails, naming FILE:LINE, on each kind of false statement it is there to
# catch: a path that does not exist, an option or a command pail lacks, a
# stale "planned", a PAIL_* variable nothing reads, and a man page that
# lacks a command pail --help lists.
. "${top_srcdir:?}/tests/lib.sh"

CHECK="python3 $top_srcdir/scripts/check-docs --pail $PAIL --srcdir $top_srcdir"

# check_doc NAME DOC WANT: the checker fails on DOC and prints WANT.
check_doc() {
  if $CHECK "$2" >"$SCRATCH/out" 2>"$SCRATCH/err"; then
    fail "$1: check-docs passed; wanted a failure"
  elif grep -qF -- "$3" "$SCRATCH/out"; then
    pass "$1: $3"
  else
    fail "$1: wanted '$3'; got: $(cat "$SCRATCH/out" "$SCRATCH/err")"
  fi
}

# A true doc: real paths, a real command with real options, a global
# option before the command.
cat >"$SCRATCH/good.md" <<'EOF'
# A page

See `core/pointer.c` and `tests/lib.sh`, and settings.md.

```sh
pail --json ls -r results/ | head
pail -c ws.json cleanup --older-than 2h --dry-run
pail config check
```
EOF
if $CHECK "$SCRATCH/good.md" >"$SCRATCH/out" 2>&1; then
  pass "a true doc passes"
else
  fail "a true doc failed: $(cat "$SCRATCH/out")"
fi

printf '# A page\n\nThe code is in\n`core/no_such_file.c`.\n' >"$SCRATCH/path.md"
check_doc "a missing path" "$SCRATCH/path.md" \
  "$SCRATCH/path.md:4: names core/no_such_file.c, which does not exist"

printf '# A page\n\nAs NO_SUCH_PAGE.md says.\n' >"$SCRATCH/page.md"
check_doc "a missing page" "$SCRATCH/page.md" \
  "$SCRATCH/page.md:3: names NO_SUCH_PAGE.md, which does not exist"

printf '# A page\n\n```sh\npail put --no-such-option a b\n```\n' \
  >"$SCRATCH/option.md"
check_doc "an option pail lacks" "$SCRATCH/option.md" \
  "$SCRATCH/option.md:4: pail put has no option --no-such-option"

printf '# A page\n\nRun `pail --json frobnicate x`.\n' >"$SCRATCH/command.md"
check_doc "a command pail lacks" "$SCRATCH/command.md" \
  "$SCRATCH/command.md:3: pail has no command frobnicate"

printf '# A page\n\nRun `pail config chek`.\n' >"$SCRATCH/word.md"
check_doc "a subcommand pail lacks" "$SCRATCH/word.md" \
  "$SCRATCH/word.md:3: pail config has no chek (only check)"

printf '# A page\n\nThe s3 backend is planned.\n' >"$SCRATCH/stale.md"
check_doc "a stale word" "$SCRATCH/stale.md" \
  "$SCRATCH/stale.md:3: \"planned\""

# Spelt in two pieces: this file is a source the checker reads too.
var=PAIL_NO_SUCH
var=${var}_VARIABLE
printf '# A page\n\nSet `%s`.\n' "$var" >"$SCRATCH/env.md"
check_doc "a variable nothing reads" "$SCRATCH/env.md" \
  "$SCRATCH/env.md:3: names $var, which no source file mentions"

# The man page without its `mb` entry (the .TP line and the header after
# it): the checker names the command and the COMMANDS section's line.
awk 'skip && /^\.(TP|SH)/ { skip = 0 }
     /^\.TP$/ && !skip { tp = $0; next }
     tp != "" && /^\.BR "mb "/ { skip = 1; tp = ""; next }
     tp != "" { print tp; tp = "" }
     !skip { print }' "$top_srcdir/docs/pail.1" >"$SCRATCH/pail.1"
line=$(grep -n '^\.SH COMMANDS' "$SCRATCH/pail.1" | cut -d: -f1)
check_doc "a man page without mb" "$SCRATCH/pail.1" \
  "$SCRATCH/pail.1:$line: does not document command mb, which pail --help lists"

# The man page with preview's --rows in put's paragraph: a command's
# paragraph names only its own options and global ones.
mkdir "$SCRATCH/misplaced"
sed 's/^(fail if the object exists),$/&\
.B \\-\\-rows/' "$top_srcdir/docs/pail.1" >"$SCRATCH/misplaced/pail.1"
line=$(grep -n '^\.B \\-\\-rows$' "$SCRATCH/misplaced/pail.1" | head -n 1 | cut -d: -f1)
check_doc "an option in another command's paragraph" \
  "$SCRATCH/misplaced/pail.1" "$SCRATCH/misplaced/pail.1:$line: pail put has no option --rows"

finish
