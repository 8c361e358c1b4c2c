#!/bin/sh
# contract_azure.sh: the backend contract (tests/contract_lib.sh) on the
# azure_blob backend against Azurite with SharedKey checking on
# (tests/azure_lib.sh). The Azure SDK for JavaScript is the witness; the
# steps also check that deletes go as Blob Batches of at most 256 and that
# --page-size reaches the service as maxresults.

# Azurite lives under the user's cache (scripts/install-deps.sh); lib.sh
# moves HOME, so it is looked for first.
if [ -z "${AZURE_TOOLS:-}" ]; then
  AZURE_TOOLS=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/pail/azurite/node_modules
fi
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/azure_lib.sh"

export PAIL_CONFIG="$AZURE_SETTINGS"
run_pail mb
expect_status 0 "mb creates the container"

CONTRACT_BACKEND=azure_blob
CONTRACT_CAPS="persistent disposition metadata stored_type no_clobber cp_no_clobber"
CONTRACT_MISSING_CODE=BlobNotFound
. "$top_srcdir/tests/contract_lib.sh"

witness_has() { [ "$(azure_sdk exists "$1")" = true ]; }
witness_lacks() { [ "$(azure_sdk exists "$1")" = false ]; }
witness_count() { azure_sdk count "$1"; }
witness_same() {
  azure_sdk download "$1" "$SCRATCH/witness" && cmp -s "$SCRATCH/witness" "$2"
}
witness_attrs() {
  azure_sdk props "$1" | python_json '
print(json.dumps({"content_type": d.get("contentType"),
                  "content_disposition": d.get("contentDisposition"),
                  "metadata": d.get("metadata", {})}))'
}

# batches: how many Blob Batch requests Azurite has logged.
batches() { grep -c 'POST /[^ ]*?restype=container&comp=batch ' "$AZURE_LOG"; }
contract_step() {
  case $1 in
  after-listing-pages)
    check "--page-size 7 asked the service for pages of 7" \
      grep -q 'comp=list&maxresults=7' "$AZURE_LOG"
    ;;
  before-rm-three | before-rm-many) batches_before=$(batches) ;;
  after-rm-three)
    check "rm of three keys was one Blob Batch" \
      test "$(batches)" -eq $((batches_before + 1))
    ;;
  after-rm-many)
    # At most 256 keys a batch: 4 for 1,001 keys, or 5 when the keys come
    # in two listing pages (1,000 + 1).
    sent=$(($(batches) - batches_before))
    check "rm -r of 1,001 blobs took 4 or 5 Blob Batches ($sent)" \
      test "$sent" -ge 4 -a "$sent" -le 5
    ;;
  esac
}

contract_all
finish
