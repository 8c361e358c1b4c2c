#!/bin/sh
# azure_faults.sh: the Azure backend through tests/fault_proxy.py, in front
# of Azurite with SharedKey checking on. Scripted faults, each aimed at one
# request, prove the recovery paths:
#   - a Get Blob whose body is cut, or stalls, is resumed with x-ms-range and
#     If-Match (the ETag), and the download is byte-exact;
#   - a block that fails every attempt (503, reset) fails the upload,
#     classified, and leaves no blob; an existing blob keeps its content;
#   - with retries on (the default), one 503 or reset of a block, of a GET's
#     start, of a HEAD or of a listing is absorbed;
#   - a download whose bytes are corrupted on the way (one byte flipped) is
#     refused by the blob's Content-MD5 and `get` leaves no file; a clean
#     one is verified.
if [ -z "${AZURE_TOOLS:-}" ]; then
  AZURE_TOOLS=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/pail/azurite/node_modules
fi
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/azure_lib.sh"

. "$top_srcdir/tests/proxy_lib.sh"
PROXY_UPSTREAM_PORT=$AZURE_PORT PROXY_SETTINGS=$AZURE_SETTINGS
trap 'proxy_stop; azure_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT

BLOB="^/$AZURE_ACCOUNT/$AZURE_CONTAINER"
DATA=$SCRATCH/data
mkdir -p "$DATA"
head -c $((24 * 1048576)) /dev/urandom >"$DATA/24MiB"
printf 'old' >"$DATA/old"
export PAIL_CONFIG="$AZURE_SETTINGS"
run_pail mb
expect_status 0 "mb"
run_pail put "$DATA/24MiB" faults/big.bin
expect_status 0 "put the blob to read back"
ETAG=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["etag"])' <<EOF
$(azure_sdk props faults/big.bin)
EOF
)

# ------------------------------------------------------------ cut GET body
proxy_start --rule "GET $BLOB/faults/big\\.bin\$ truncate 3000000 1"
run_pail --config "$SCRATCH/proxy.json" get faults/big.bin "$SCRATCH/got"
expect_status 0 "get through a body cut at 3,000,000 bytes"
check "the cut download is byte-exact" cmp -s "$DATA/24MiB" "$SCRATCH/got"
check "the proxy cut the first GET" grep -q "truncate at 3000000" "$PROXY_LOG"
check "the rest was asked for with x-ms-range and If-Match $ETAG" \
  grep -Eq "^GET .*faults/big.bin -> 206 x-ms-range=bytes=[0-9]+-[0-9]* if-match=$ETAG" "$PROXY_LOG"

# ------------------------------------------------------------ stalled GET
proxy_start --rule "GET $BLOB/faults/big\\.bin\$ stall 5000000 1"
started=$(now_ms)
PAIL_HTTP_LOW_SPEED_TIME=2 run_pail --config "$SCRATCH/proxy.json" \
  get faults/big.bin "$SCRATCH/got2"
took=$(($(now_ms) - started))
expect_status 0 "get through a body that stalls at 5,000,000 bytes"
check "the stalled download is byte-exact" cmp -s "$DATA/24MiB" "$SCRATCH/got2"
check "the stall was noticed, not waited out ($took ms; the proxy stalls 120 s)" \
  test "$took" -lt 60000
check "the stalled rest was asked for with x-ms-range and If-Match" \
  grep -Eq "^GET .*faults/big.bin -> 206 x-ms-range=bytes=[0-9]+-[0-9]* if-match=$ETAG" "$PROXY_LOG"

# ------------------------------------------------------------ failed blocks
# Every attempt of one block fails: the retries give up, the upload fails,
# and no blob appears (or the existing one is kept).
for fault in status reset; do
  for key in "faults/block-$fault.bin" "faults/kept-$fault.bin"; do
    case $key in
    */kept-*) "$PAIL" put "$DATA/old" "$key" >/dev/null ;;
    esac
    pattern=$(printf '%s' "$key" | sed 's/\./\\./g')
    proxy_start --rule "PUT $BLOB/$pattern\\?comp=block&blockid=[^&]*\$ $fault 0 100"
    run_pail --config "$SCRATCH/proxy.json" put "$DATA/24MiB" "$key"
    expect_status 1 "put of $key with its blocks failing ($fault)"
    case $fault in
    status) expect_stderr "(throttled|unavailable)" "a 5xx block is classified ($key)" ;;
    reset) expect_stderr "unavailable" "a reset block is classified as unavailable ($key)" ;;
    esac
    check "no Put Block List after the failed blocks ($key)" \
      sh -c "! grep -q 'comp=blocklist' '$PROXY_LOG'"
    case $key in
    */kept-*)
      azure_sdk download "$key" "$SCRATCH/kept"
      check "the existing blob kept its content ($fault)" cmp -s "$DATA/old" "$SCRATCH/kept"
      ;;
    *) check "no blob after the failed upload ($fault)" test "$(azure_sdk exists "$key")" = false ;;
    esac
  done
done

# ------------------------------------------------------------ retried
# One failure each: the default policy retries it and the command succeeds.
for case in "PUT block status put" "PUT block reset put" \
  "GET big status get" "GET big reset get" "HEAD big status stat" \
  "GET list status ls"; do
  set -- $case
  method=$1 what=$2 fault=$3 command=$4
  key=faults/retried-$fault.bin
  case $what in
  big) pattern="$BLOB/faults/big\\.bin\$" ;;
  block) pattern="$BLOB/faults/retried-$fault\\.bin\\?comp=block&" ;;
  list) pattern="$BLOB\\?restype=container&comp=list" ;;
  esac
  proxy_start --rule "$method $pattern $fault 0 1"
  case $command in
  put) run_pail -v --config "$SCRATCH/proxy.json" put "$DATA/24MiB" "$key" ;;
  get) run_pail -v --config "$SCRATCH/proxy.json" get faults/big.bin "$SCRATCH/got3" ;;
  stat) run_pail -v --config "$SCRATCH/proxy.json" stat faults/big.bin ;;
  ls) run_pail -v --config "$SCRATCH/proxy.json" ls faults/ ;;
  esac
  expect_status 0 "$command with one $fault of $what, retried"
  check "the proxy did inject the $fault into $what" grep -q " $fault" "$PROXY_LOG"
  case $command in
  put)
    azure_sdk download "$key" "$SCRATCH/retried"
    check "the retried put is byte-exact ($fault)" cmp -s "$DATA/24MiB" "$SCRATCH/retried"
    ;;
  get) check "the retried get is byte-exact ($fault)" cmp -s "$DATA/24MiB" "$SCRATCH/got3" ;;
  esac
done

# ------------------------------------------------------------ corrupted GET
# Put Blob has Azure store the blob's Content-MD5, which a whole-blob Get
# Blob returns: it catches a flipped byte.
head -c 300000 /dev/urandom >"$DATA/small"
run_pail put "$DATA/small" sums/md5.bin
expect_status 0 "put a blob that gets a Content-MD5"
proxy_start --rule "GET $BLOB/sums/md5\\.bin\$ corrupt 123456 100"
run_pail --config "$SCRATCH/proxy.json" get sums/md5.bin "$SCRATCH/sum"
expect_status 1 "get with a byte flipped on the way fails"
expect_stderr "i/o error.*corrupt: its MD5 is" "the MD5 mismatch is named"
check "the proxy flipped a byte" grep -q " corrupt" "$PROXY_LOG"
check "no file is left by the corrupt download" \
  sh -c '! ls "$1"/sum* 2>/dev/null | grep -q .' sh "$SCRATCH"
proxy_start
run_pail -v --config "$SCRATCH/proxy.json" get sums/md5.bin "$SCRATCH/sum"
expect_status 0 "get without faults"
check "the clean download is byte-exact" cmp -s "$DATA/small" "$SCRATCH/sum"
expect_stderr "300000 bytes verified by their MD5" "the clean download was checked by its MD5"
proxy_stop

finish
