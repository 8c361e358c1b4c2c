#!/bin/sh
# contract_fs.sh: the backend contract (tests/contract_lib.sh) on the fs
# backend, a temporary storage root. The file system is the witness: an
# object is the file root/KEY, its attributes the user.pail.* xattrs.
. "${top_srcdir:?}/tests/lib.sh"

FS_ROOT=$SCRATCH/root
cat >"$SCRATCH/fs.json" <<JSON
{ "storage": { "type": "fs", "root_path": "$FS_ROOT" } }
JSON
export PAIL_CONFIG="$SCRATCH/fs.json"

CONTRACT_BACKEND=fs
# The scratch root must take user xattrs for disposition and metadata (fs
# refuses them where it cannot store them: test_backends covers that).
CONTRACT_CAPS="persistent disposition metadata no_clobber cp_no_clobber"
CONTRACT_WHY_stored_type="fs stores no guessed type: stat guesses it from the name each time"
. "$top_srcdir/tests/contract_lib.sh"

witness_has() { [ -f "$FS_ROOT/$1" ]; }
witness_lacks() { [ ! -e "$FS_ROOT/$1" ]; }
witness_count() {
  if [ -d "$FS_ROOT" ]; then
    (cd "$FS_ROOT" && find . -type f ! -name '.*' -print) |
      sed 's|^\./||' | grep -c "^$1" || true
  else
    echo 0
  fi
}
witness_same() { cmp -s "$FS_ROOT/$1" "$2"; }
witness_attrs() {
  python3 - "$FS_ROOT/$1" <<'PY'
import json, os, sys
def attr(name):
    try:
        return os.getxattr(sys.argv[1], "user.pail." + name)
    except OSError:
        return None
t, d, m = attr("content_type"), attr("content_disposition"), attr("metadata")
parts = m.split(b"\0")[:-1] if m else []
print(json.dumps({"content_type": t and t.decode(),
                  "content_disposition": d and d.decode(),
                  "metadata": {parts[i].decode(): parts[i + 1].decode()
                               for i in range(0, len(parts), 2)}}))
PY
}

run_pail mb
expect_status 0 "mb makes the storage root"
contract_all
finish
