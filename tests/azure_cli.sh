#!/bin/sh
# azure_cli.sh: the `pail` binary end to end against Azurite with SharedKey
# and SAS checking on (DESIGN.md section 6, issue 4): every command; blobs
# of 0 B, 1 B, 4 MiB-1, 4 MiB+1 and 64 MiB byte-exact, the big ones in
# several blocks; Azure's ETags, metadata name rules and error documents; a
# --no-clobber in blocks; a wrong key; a missing container; uploads killed
# half-way leave no blob; SAS URLs from `pail sign` work with curl, and a
# tampered or expired one is refused; a stopped server is "unavailable"
# without a hang. What every backend keeps (ranges at the end, listings,
# odd keys, metadata, --no-clobber, copies, deletes, missing keys) is the
# contract suite's: tests/contract_azure.sh.
#
# Whatever pail wrote is checked with an independent client (the Azure SDK
# for JavaScript, tests/azure_sdk.js).

# Azurite lives under the user's cache (scripts/install-deps.sh); lib.sh
# moves HOME, so it is looked for first.
if [ -z "${AZURE_TOOLS:-}" ]; then
  AZURE_TOOLS=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/pail/azurite/node_modules
fi
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/azure_lib.sh"

export PAIL_CONFIG="$AZURE_SETTINGS"
# No command may hang the suite: each pail run gets 5 minutes at most.
PAIL_BINARY=$PAIL
mkdir -p "$SCRATCH/bin"
cat >"$SCRATCH/bin/pail" <<EOF
#!/bin/sh
exec timeout -k 10 300 "$PAIL_BINARY" "\$@"
EOF
chmod +x "$SCRATCH/bin/pail"
PAIL=$SCRATCH/bin/pail

python_json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

WRONG_KEY=V3JvbmdLZXlOZXZlclByaW50ZWQwMTIzNDU2Nzg5YWJjZGVmZ2hpamtsbW5vcA==
# no_secret NAME: the last run_pail printed neither the real nor the wrong
# key, on stdout or stderr.
no_secret() {
  if grep -qF -e "$AZURE_KEY" -e "$WRONG_KEY" "$OUT" "$ERR"; then
    fail "$1: an account key appears in the output"
  else
    pass "$1: no account key in the output"
  fi
}

sdk_exists() { [ "$(azure_sdk exists "$1")" = true ]; }
sdk_lacks() { [ "$(azure_sdk exists "$1")" = false ]; }
sdk_count() { azure_sdk count "$1"; }

# log_mark: where the next wait_for_log starts looking (the next line).
log_mark() { LOG_MARK=$(($(wc -l <"$AZURE_LOG") + 1)); }
LOG_MARK=1
# wait_for_log PATTERN: waits up to 30 s for Azurite's access log to match,
# from the last log_mark on.
wait_for_log() { wait_for_match "$AZURE_LOG" "$1" "$LOG_MARK"; }

DATA=$SCRATCH/data
mkdir -p "$DATA"
: >"$DATA/0"
printf 'x' >"$DATA/1"
printf 'content 1' >"$DATA/key1"
head -c $((4 * 1048576 - 1)) /dev/urandom >"$DATA/4MiB-1"
head -c $((4 * 1048576 + 1)) /dev/urandom >"$DATA/4MiB-plus-1"
head -c $((64 * 1048576)) /dev/urandom >"$DATA/64MiB"

# ------------------------------------------------------------ setup commands
run_pail backends
expect_status 0 "backends"
check "backends lists azure_blob" grep -qw "azure_blob" "$OUT"
run_pail --json backends
check "--json backends names azure_blob" \
  python_json 'assert any(b["type"] == "azure_blob" for b in d["backends"])' <"$OUT"
# config check reaches the storage: before mb, the container is missing.
run_pail config check
expect_status 1 "config check before mb"
check "config check before mb says the container does not exist" grep -q \
  '^primary (azure_blob): not found: azure_blob: container "pail-test" does not exist \[HTTP 404, code ContainerNotFound' "$OUT"
check "config check prints the error once (stdout), stderr the count" \
  test "$(cat "$ERR")" = "pail: config: 1 of 1 storages failed the check"
run_pail ls
expect_status 1 "ls before mb"
expect_stderr "not found.*ContainerNotFound" "ls before mb: the container is not found"
run_pail mb
expect_status 0 "mb creates the container"
run_pail config check
expect_status 0 "config check"
check "config check says the storage is ok" grep -q "(azure_blob): ok" "$OUT"
no_secret "config check"
check "the container exists for the SDK" test "$(sdk_count '')" = 0
run_pail mb
expect_status 0 "mb of a container that already exists"
run_pail --json mb
expect_status 0 "mb --json"
check "mb --json is one JSON document" python_json 'pass' <"$OUT"

# ------------------------------------------------------------ sizes
for f in 0 1 4MiB-1 4MiB-plus-1 64MiB; do
  size=$(wc -c <"$DATA/$f" | tr -d ' ')
  run_pail put "$DATA/$f" "sizes/$f.bin"
  expect_status 0 "put $f"
  check "put $f prints the pointer" grep -qxF "{\"s3\": \"sizes/$f.bin\"}" "$OUT"
  azure_sdk props "sizes/$f.bin" >"$SCRATCH/props"
  check "the SDK sees $f as a block blob of $size bytes" python_json \
    "assert d['size'] == $size and d['blobType'] == 'BlockBlob', d" <"$SCRATCH/props"
  azure_sdk download "sizes/$f.bin" "$SCRATCH/sdk-$f"
  check "the SDK reads back the bytes pail wrote ($f)" \
    cmp -s "$DATA/$f" "$SCRATCH/sdk-$f"
  rm -f "$SCRATCH/sdk-$f"
  run_pail --json stat "sizes/$f.bin"
  expect_status 0 "stat $f"
  check "stat $f size" python_json "assert d['size'] == $size, d" <"$OUT"
  run_pail get "sizes/$f.bin" "$SCRATCH/got-$f"
  expect_status 0 "get $f"
  check "get $f bytes" cmp -s "$DATA/$f" "$SCRATCH/got-$f"
  "$PAIL" cat "s3:///sizes/$f.bin" >"$SCRATCH/cat-$f"
  check "cat $f bytes" cmp -s "$DATA/$f" "$SCRATCH/cat-$f"
  rm -f "$SCRATCH/got-$f" "$SCRATCH/cat-$f"
done

# Up to 4 MiB (the default blockSize) one Put Blob; above, blocks.
for f in 0:0 1:0 4MiB-1:0 4MiB-plus-1:2 64MiB:16; do
  name=${f%%:*} want=${f#*:}
  check "sizes/$name.bin has $want committed block(s)" python_json \
    "assert d['committed'] == $want, d" <<EOF
$(azure_sdk blocks "sizes/$name.bin")
EOF
done

# From standard input the size is unknown: still streamed, still blocks.
check "put - of 64 MiB from a pipe" sh -c \
  "cat '$DATA/64MiB' | '$PAIL' put - sizes/pipe-64MiB.bin >/dev/null"
"$PAIL" cat sizes/pipe-64MiB.bin >"$SCRATCH/k"
check "64 MiB from a pipe round-trips" cmp -s "$DATA/64MiB" "$SCRATCH/k"
check "64 MiB from a pipe went up in 16 blocks" python_json \
  "assert d['committed'] == 16, d" <<EOF
$(azure_sdk blocks sizes/pipe-64MiB.bin)
EOF
rm -f "$SCRATCH/k"

# Ranged reads.
"$PAIL" cat --offset 4193000 --length 2000 sizes/64MiB.bin >"$SCRATCH/range"
tail -c +4193001 "$DATA/64MiB" | head -c 2000 >"$SCRATCH/range.want"
check "ranged cat" cmp -s "$SCRATCH/range" "$SCRATCH/range.want"
"$PAIL" cat --offset 67108000 sizes/64MiB.bin >"$SCRATCH/range"
tail -c +67108001 "$DATA/64MiB" >"$SCRATCH/range.want"
check "ranged cat to the end" cmp -s "$SCRATCH/range" "$SCRATCH/range.want"
# Ranges at and past the end: tests/contract_azure.sh.

# ------------------------------------------------------------ cp
run_pail cp sizes/64MiB.bin copies/64MiB.bin
expect_status 0 "cp 64 MiB"
azure_sdk download copies/64MiB.bin "$SCRATCH/cp"
check "cp 64 MiB bytes" cmp -s "$DATA/64MiB" "$SCRATCH/cp"
rm -f "$SCRATCH/cp"

# ------------------------------------------------------------ metadata
# Content type, disposition, metadata, the guessed type and copies keep
# them: tests/contract_azure.sh. What Azure itself reports stays here.
run_pail put --content-type 'text/x-pail; charset=utf-8' \
  --content-disposition 'attachment; filename="r 1.txt"' \
  --metadata owner=ann --metadata team_name=data "$DATA/key1" meta/report
expect_status 0 "put with content type, disposition and metadata"
run_pail --json stat meta/report
etag=$(python_json 'print(d["etag"])' <"$OUT")
azure_sdk props meta/report >"$SCRATCH/props"
check "stat's ETag is the service's" python_json \
  "assert d['etag'] == '$etag', (d, '$etag')" <"$SCRATCH/props"
run_pail put --metadata 'bad-name=x' "$DATA/key1" meta/bad
expect_status 1 "a metadata name Azure forbids"
expect_stderr "metadata name" "a metadata name Azure forbids is named"
check "the refused metadata wrote nothing" sdk_lacks meta/bad
run_pail put --content-type text/plain --metadata big=yes "$DATA/4MiB-plus-1" meta/big
expect_status 0 "put in blocks with content type and metadata"
check "Put Block List set the content type and metadata" python_json '
assert d["contentType"] == "text/plain" and d["metadata"] == {"big": "yes"}, d' <<EOF
$(azure_sdk props meta/big)
EOF

# ------------------------------------------------------------ --no-clobber
run_pail put --no-clobber "$DATA/64MiB" sizes/4MiB-plus-1.bin
expect_status 1 "put in blocks --no-clobber over an existing blob"
expect_stderr "conflict" "put in blocks --no-clobber reports a conflict"
check "put in blocks --no-clobber left the blob as it was" python_json \
  "assert d['size'] == $((4 * 1048576 + 1)), d" <<EOF
$(azure_sdk props sizes/4MiB-plus-1.bin)
EOF

# ------------------------------------------------------------ missing keys
# What every backend does with a missing blob, and deletes (in Blob
# Batches): tests/contract_azure.sh. Azure's own error documents stay here.
batches() { grep -c 'POST /[^ ]*?restype=container&comp=batch ' "$AZURE_LOG"; }
run_pail --json stat no/such/key
check "--json not found document with code and request id" python_json \
  'e = d["error"]; assert e["category"] == "not found" and e["provider_code"] == "BlobNotFound" and e["http_status"] == 404 and e["request_id"], d' <"$OUT"
run_pail --json cat no/such/key
check "--json cat: not found from the body's <Code>" python_json \
  'e = d["error"]; assert e["category"] == "not found" and e["provider_code"] == "BlobNotFound" and e["request_id"], d' <"$OUT"

# ------------------------------------------------------------ missing container
# The container, not the blob, is missing: the message says so.
sed "s/\"$AZURE_CONTAINER\"/\"pail-no-such-container\"/" "$AZURE_SETTINGS" >"$SCRATCH/nocontainer.json"
for args in "stat a.txt" "cat a.txt" "ls" "put $DATA/1 a.txt"; do
  run_pail --config "$SCRATCH/nocontainer.json" $args
  expect_status 1 "missing container: $args"
  expect_stderr 'not found: azure_blob: container "pail-no-such-container" does not exist \[HTTP 404, code ContainerNotFound' \
    "missing container: $args names the container"
done

# ------------------------------------------------------------ wrong key
azure_settings "$SCRATCH/wrong.json" "$WRONG_KEY"
run_pail --config "$SCRATCH/wrong.json" config check
expect_status 1 "config check with a wrong key"
check "config check with a wrong key says access denied" grep -q \
  '^primary (azure_blob): access denied: .*code AuthorizationFailure' "$OUT"
no_secret "config check with a wrong key"
for args in "ls" "stat sizes/1.bin" "cat sizes/1.bin" "put $DATA/1 wrong/x" \
  "put $DATA/4MiB-plus-1 wrong/y" "rm sizes/1.bin" "mb" "cp sizes/1.bin wrong/z"; do
  run_pail --verbose --config "$SCRATCH/wrong.json" $args
  expect_status 1 "wrong key: $args"
  expect_stderr "access denied" "wrong key: $args says access denied"
  expect_stderr "code (AuthenticationFailed|AuthorizationFailure)" \
    "wrong key: $args names the service's code"
  expect_stderr "request id [0-9a-f-]{8,}" "wrong key: $args gives the request id"
  no_secret "wrong key: $args --verbose"
done
check "the wrong key wrote nothing" sdk_lacks wrong/x
check "the wrong key wrote nothing in blocks" sdk_lacks wrong/y
check "the wrong key deleted nothing" sdk_exists sizes/1.bin
run_pail --json --config "$SCRATCH/wrong.json" cat sizes/1.bin
check "--json: wrong key is access denied with HTTP 403" \
  python_json 'assert d["error"]["category"] == "access denied" and d["error"]["http_status"] == 403, d' <"$OUT"
no_secret "wrong key --json"
run_pail --verbose put "$DATA/4MiB-plus-1" verbose/x
expect_status 0 "put --verbose"
no_secret "put --verbose"
run_pail --verbose get verbose/x "$SCRATCH/verbose"
no_secret "get --verbose"

# ------------------------------------------------------------ SAS credentials
# A storage whose credential is a SAS token (made by pail sign is not
# possible for a container, so the SDK's account key is not involved: the
# token below is a service SAS for one blob, enough to read it).
run_pail sign sizes/1.bin --expires 600
blob_sas=$(sed -n 's/^[^?]*?//p' "$OUT")
cat >"$SCRATCH/sas.json" <<EOF
{ "storage": { "type": "azure_blob", "accountName": "$AZURE_ACCOUNT",
               "containerName": "$AZURE_CONTAINER", "sasToken": "?$blob_sas",
               "endpoint": "127.0.0.1:$AZURE_PORT", "useSSL": false } }
EOF
run_pail --config "$SCRATCH/sas.json" cat sizes/1.bin
expect_status 0 "a storage with a sasToken reads the blob it allows"
check "the SAS read returned the blob's bytes" cmp -s "$DATA/1" "$OUT"
run_pail --config "$SCRATCH/sas.json" cat sizes/0.bin
expect_status 1 "a sasToken for one blob does not read another"
expect_stderr "access denied" "a sasToken for another blob is access denied"
run_pail --verbose --config "$SCRATCH/sas.json" put "$DATA/1" sas/x
expect_status 1 "a read-only sasToken cannot write"
check "the sasToken's signature is not printed" sh -c \
  "! grep -qF '$(printf '%s' "$blob_sas" | sed -n 's/.*sig=\([^&]*\).*/\1/p')' '$OUT' '$ERR'"
run_pail --config "$SCRATCH/sas.json" sign sizes/1.bin
expect_status 1 "sign without an account key"
expect_stderr "account key" "sign without an account key says why"
# Deletes with a SAS token go as parallel requests (a batch's sub-requests
# would each need the token): one blob the token allows, one it does not.
"$PAIL" put "$DATA/1" sas/deletable >/dev/null
run_pail sign --method DELETE sas/deletable
cat >"$SCRATCH/sas-delete.json" <<EOF
{ "storage": { "type": "azure_blob", "accountName": "$AZURE_ACCOUNT",
               "containerName": "$AZURE_CONTAINER",
               "sasToken": "$(sed -n 's/^[^?]*?//p' "$OUT")",
               "endpoint": "127.0.0.1:$AZURE_PORT", "useSSL": false } }
EOF
before=$(batches)
run_pail --config "$SCRATCH/sas-delete.json" rm sas/deletable sizes/1.bin
expect_status 1 "rm of two blobs with a SAS token that allows one"
expect_stderr "sizes/1.bin: access denied" "the blob the token does not allow is access denied"
check "the SAS token deleted the blob it allows" sdk_lacks sas/deletable
check "the SAS token left the other" sdk_exists sizes/1.bin
check "deletes with a SAS token sent no Blob Batch" test "$(batches)" -eq "$before"

# ------------------------------------------------------------ other credentials
# A connection string (in the settings, then in the environment), the
# AZURE_STORAGE_* variables, and nothing at all.
CS="DefaultEndpointsProtocol=http;AccountName=$AZURE_ACCOUNT;AccountKey=$AZURE_KEY;BlobEndpoint=http://localhost:$AZURE_PORT/$AZURE_ACCOUNT;"
cat >"$SCRATCH/cs.json" <<EOF
{ "storage": { "type": "azure_blob", "containerName": "$AZURE_CONTAINER",
               "connectionString": "$CS" } }
EOF
run_pail --config "$SCRATCH/cs.json" cat sizes/1.bin
expect_status 0 "a connection string in the settings (BlobEndpoint with a host name)"
check "the connection string read the blob" cmp -s "$DATA/1" "$OUT"
run_pail --verbose --config "$SCRATCH/cs.json" config check
expect_status 0 "config check of a connection string"
no_secret "config check --verbose of a connection string"
cat >"$SCRATCH/bare.json" <<EOF
{ "storage": { "type": "azure_blob", "containerName": "$AZURE_CONTAINER" } }
EOF
OUT=$SCRATCH/.stdout ERR=$SCRATCH/.stderr STATUS=0
AZURE_STORAGE_CONNECTION_STRING=$CS "$PAIL" --config "$SCRATCH/bare.json" \
  cat sizes/1.bin >"$OUT" 2>"$ERR" || STATUS=$?
expect_status 0 "AZURE_STORAGE_CONNECTION_STRING"
cat >"$SCRATCH/account-only.json" <<EOF
{ "storage": { "type": "azure_blob", "containerName": "$AZURE_CONTAINER",
               "endpoint": "127.0.0.1:$AZURE_PORT", "useSSL": false } }
EOF
OUT=$SCRATCH/.stdout ERR=$SCRATCH/.stderr STATUS=0
AZURE_STORAGE_ACCOUNT=$AZURE_ACCOUNT AZURE_STORAGE_KEY=$AZURE_KEY \
  "$PAIL" --config "$SCRATCH/account-only.json" cat sizes/1.bin \
  >"$OUT" 2>"$ERR" || STATUS=$?
expect_status 0 "AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY"
OUT=$SCRATCH/.stdout ERR=$SCRATCH/.stderr STATUS=0
AZURE_STORAGE_ACCOUNT=$AZURE_ACCOUNT "$PAIL" --config "$SCRATCH/account-only.json" \
  cat sizes/1.bin >"$OUT" 2>"$ERR" || STATUS=$?
expect_status 1 "no credential anywhere"
expect_stderr "access denied.*no credentials.*AZURE_STORAGE_CONNECTION_STRING.*AZURE_STORAGE_SAS_TOKEN" \
  "no credential: the error names the sources tried"

# ------------------------------------------------------------ sign
# Azurite checks SAS signatures: curl is an independent client here.
AT=$(date -u +%Y%m%dT%H%M%SZ)
i=0
for key in "sign/plain.bin" "sign/with space/a+b%c#d?e~f=g ü🙂.bin"; do
  i=$((i + 1))
  head -c 100000 /dev/urandom >"$DATA/sign$i"
  "$PAIL" put "$DATA/sign$i" "$key" >/dev/null
  run_pail sign "$key" --at "$AT" --expires 900
  expect_status 0 "sign GET '$key'"
  url=$(cat "$OUT")
  run_pail sign "$key" --at "$AT" --expires 900
  check "sign --at is reproducible for '$key'" test "$(cat "$OUT")" = "$url"
  check "the SAS URL of '$key' has sv, spr, st, se, sr=b, sp=r and sig" sh -c \
    "printf '%s' '$url' | grep -Eq '\\?sv=[0-9-]+&spr=https%2Chttp&st=[^&]+&se=[^&]+&sr=b&sp=r&sig=[^&]+\$'"
  check "SAS GET of '$key' with curl" sh -c \
    "curl -gsSf --max-time 60 -o '$SCRATCH/signed' '$url' && cmp -s '$DATA/sign$i' '$SCRATCH/signed'"
  check "SAS HEAD URL of '$key' answers 200" sh -c \
    "curl -gsSf --max-time 60 -I \"\$('$PAIL' sign --method HEAD '$key')\" >/dev/null"
  tampered=$(python3 -c 'import sys
url = sys.argv[1]
at = url.index("&sig=") + 5
print(url[:at] + ("B" if url[at] == "A" else "A") + url[at + 1:])' "$url")
  check "a tampered SAS signature for '$key' is refused (403)" test \
    "$(curl -gs --max-time 60 -o /dev/null -w '%{http_code}' "$tampered")" = 403
  other=$(printf '%s' "$url" | sed 's/sp=r&/sp=rw\&/')
  check "a SAS with widened permissions for '$key' is refused (403)" test \
    "$(curl -gs --max-time 60 -o /dev/null -w '%{http_code}' "$other")" = 403
  run_pail sign --method PUT "$key" --expires 900
  expect_status 0 "sign PUT '$key'"
  url=$(cat "$OUT")
  head -c 70000 /dev/urandom >"$DATA/signput$i"
  check "SAS PUT of '$key' with curl -T" \
    curl -gsSf --max-time 60 -T "$DATA/signput$i" -H 'x-ms-blob-type: BlockBlob' \
    -o /dev/null "$url"
  azure_sdk download "$key" "$SCRATCH/signed"
  check "the SAS PUT stored the bytes" cmp -s "$DATA/signput$i" "$SCRATCH/signed"
  check "SAS DELETE of '$key' with curl" sh -c \
    "curl -gsSf --max-time 60 -X DELETE -o /dev/null \"\$('$PAIL' sign --method DELETE '$key')\""
  check "the SAS DELETE took '$key'" sdk_lacks "$key"
done
run_pail sign sizes/1.bin --at 2020-01-01T00:00:00Z --expires 60
expired=$(cat "$OUT")
check "an expired SAS URL is refused (403)" test \
  "$(curl -gs --max-time 60 -o /dev/null -w '%{http_code}' "$expired")" = 403
run_pail sign --method PUT sizes/1.bin
check "a PUT SAS does not allow GET (403)" test \
  "$(curl -gs --max-time 60 -o /dev/null -w '%{http_code}' "$(cat "$OUT")")" = 403
run_pail --json sign sizes/1.bin
check "--json sign has the URL" python_json 'assert d["url"].startswith("'"$AZURE_URL"'/'"$AZURE_CONTAINER"'/sizes/1.bin?"), d' <"$OUT"
no_secret "sign"
run_pail sign --header 'x-ms-blob-type: BlockBlob' --method PUT sizes/1.bin
expect_status 1 "sign with a header (a service SAS signs none)"
run_pail sign --query rsct=text/csv sizes/1.bin
expect_status 0 "sign with a response content type (rsct)"
check "the rsct SAS answers with that content type" sh -c \
  "curl -gsSf --max-time 60 -o /dev/null -D - '$(cat "$OUT")' | grep -qi '^content-type: text/csv'"

# ------------------------------------------------------------ killed uploads
# pail killed in the middle of an upload in blocks (its input a pipe that
# keeps it waiting after the first blocks): no blob may appear, and an
# existing blob keeps its content.
mkfifo "$SCRATCH/fifo"
for signal in TERM INT; do
  for target in "killed/$signal.bin" "sizes/1.bin"; do
    python3 -c 'import sys, time
sys.stdout.buffer.write(open(sys.argv[1], "rb").read(48 << 20))
sys.stdout.flush()
time.sleep(120)' "$DATA/64MiB" >"$SCRATCH/fifo" &
    writer=$!
    # Only this upload's requests count: the log holds the earlier ones
    # (sizes/1.bin's blocks from the SIGTERM round would otherwise send the
    # next signal before pail even started).
    log_mark
    # A background job of sh starts with SIGINT ignored: give pail the
    # default disposition back, as an interactive Ctrl-C would find it.
    python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$PAIL_BINARY" put - "$target" \
      <"$SCRATCH/fifo" >/dev/null 2>"$SCRATCH/killed.err" &
    uploader=$!
    pattern=$(printf '%s' "$target" | sed 's/\./\\./g')
    if wait_for_log "PUT /$AZURE_ACCOUNT/$AZURE_CONTAINER/$pattern\\?comp=block&"; then
      sleep 1 # blocks on their way
      kill -"$signal" "$uploader"
      status=0
      wait "$uploader" || status=$?
      check "pail put to $target killed by SIG$signal exits non-zero ($status)" test "$status" -ne 0
      if [ "$target" = sizes/1.bin ]; then
        azure_sdk download sizes/1.bin "$SCRATCH/k"
        check "the upload over sizes/1.bin killed by SIG$signal left it as it was" \
          cmp -s "$DATA/1" "$SCRATCH/k"
      else
        check "the upload killed by SIG$signal created no blob" sdk_lacks "$target"
        run_pail stat "$target"
        expect_stderr "not found" "stat of the upload killed by SIG$signal says not found"
        run_pail ls -r killed/
        check "ls shows no blob for the upload killed by SIG$signal" \
          sh -c "! grep -q 'killed/$signal' '$OUT'"
      fi
    else
      fail "SIG$signal test: no block was sent within 30 s: $(cat "$SCRATCH/killed.err")"
      kill "$uploader" 2>/dev/null
      wait "$uploader"
    fi
    kill "$writer" 2>/dev/null
    wait "$writer" 2>/dev/null
  done
done

# ------------------------------------------------------------ server stopped
# Azurite dies during an upload, then stays down: every command must end
# with "unavailable" within seconds, never hang.
python3 -c 'import sys, time
sys.stdout.buffer.write(open(sys.argv[1], "rb").read(48 << 20))
sys.stdout.flush()
time.sleep(120)' "$DATA/64MiB" >"$SCRATCH/fifo" &
writer=$!
"$PAIL_BINARY" put - stopped/x.bin <"$SCRATCH/fifo" >/dev/null 2>"$SCRATCH/stopped.err" &
uploader=$!
wait_for_log "PUT /$AZURE_ACCOUNT/$AZURE_CONTAINER/stopped/x\\.bin\\?comp=block&" ||
  fail "no block was sent within 30 s"
sleep 1
azure_stop
kill "$writer" 2>/dev/null # the end of the input: pail must now finish
wait "$writer" 2>/dev/null
start=$(now_ms)
status=0
(sleep 60; kill -KILL "$uploader" 2>/dev/null) >/dev/null 2>&1 &
watchdog=$!
wait "$uploader" || status=$?
kill "$watchdog" 2>/dev/null
elapsed=$(($(now_ms) - start))
check "an upload whose server died exits 1 (exit $status after $elapsed ms)" \
  test "$status" -eq 1
check "an upload whose server died says unavailable: $(cat "$SCRATCH/stopped.err")" \
  grep -q "unavailable" "$SCRATCH/stopped.err"
for args in "ls" "stat sizes/1.bin" "cat sizes/1.bin" "put $DATA/1 x" "mb"; do
  start=$(now_ms)
  OUT=$SCRATCH/.stdout ERR=$SCRATCH/.stderr STATUS=0
  timeout -k 5 60 "$PAIL_BINARY" $args >"$OUT" 2>"$ERR" || STATUS=$?
  elapsed=$(($(now_ms) - start))
  expect_status 1 "server stopped: $args ($elapsed ms)"
  expect_stderr "unavailable" "server stopped: $args says unavailable"
  check "server stopped: $args answers within 15 s ($elapsed ms)" \
    test "$elapsed" -lt 15000
done

# ------------------------------------------------------------ HTTPS
# Azurite again, over TLS with a certificate of a private CA made here:
# refused by default, accepted when the CA is given by the caBundle setting,
# CURL_CA_BUNDLE or SSL_CERT_FILE.
TLS=$SCRATCH/tls
if ! make_tls "$TLS"; then
  fail "openssl cannot make the test certificates: $(cat "$TLS/openssl.log")"
  finish
fi
# https_settings FILE [EXTRA-FIELDS]: settings for the HTTPS Azurite.
https_settings() {
  cat >"$1" <<EOF
{ "storage": { "type": "azure_blob", "accountName": "$AZURE_ACCOUNT",
               "containerName": "$AZURE_CONTAINER", "accessKey": "$AZURE_KEY",
               "endpoint": "127.0.0.1:$AZURE_PORT", "useSSL": true ${2:-} } }
EOF
}
AZURE_PORT=
if azure_start_azurite --cert "$TLS/server.pem" --key "$TLS/server.key"; then
  https_settings "$SCRATCH/https.json"
  https_settings "$SCRATCH/https-ca.json" ", \"caBundle\": \"$TLS/ca.pem\""
  https_settings "$SCRATCH/https-missing-ca.json" ", \"caBundle\": \"$TLS/none.pem\""
  run_pail --config "$SCRATCH/https.json" cat sizes/1.bin
  expect_status 1 "HTTPS with a private CA is refused by default"
  expect_stderr "unavailable.*certificate" "the refusal names the certificate"
  run_pail --config "$SCRATCH/https-ca.json" cat sizes/1.bin
  expect_status 0 "HTTPS with the CA in caBundle"
  check "HTTPS read the blob's bytes" cmp -s "$DATA/1" "$OUT"
  run_pail --config "$SCRATCH/https-missing-ca.json" cat sizes/1.bin
  expect_status 1 "HTTPS with a caBundle that does not exist"
  OUT=$SCRATCH/.stdout ERR=$SCRATCH/.stderr STATUS=0
  CURL_CA_BUNDLE=$TLS/ca.pem "$PAIL" --config "$SCRATCH/https.json" \
    cat sizes/1.bin >"$OUT" 2>"$ERR" || STATUS=$?
  expect_status 0 "HTTPS with the CA in CURL_CA_BUNDLE"
  OUT=$SCRATCH/.stdout ERR=$SCRATCH/.stderr STATUS=0
  SSL_CERT_FILE=$TLS/ca.pem "$PAIL" --config "$SCRATCH/https.json" \
    cat sizes/1.bin >"$OUT" 2>"$ERR" || STATUS=$?
  expect_status 0 "HTTPS with the CA in SSL_CERT_FILE"
  run_pail --config "$SCRATCH/https-ca.json" put "$DATA/4MiB-plus-1" tls/blocks.bin
  expect_status 0 "HTTPS put in blocks"
  "$PAIL" --config "$SCRATCH/https-ca.json" cat tls/blocks.bin >"$SCRATCH/k"
  check "HTTPS put in blocks round-trips" cmp -s "$DATA/4MiB-plus-1" "$SCRATCH/k"
  run_pail --config "$SCRATCH/https-ca.json" sign tls/blocks.bin
  url=$(cat "$OUT")
  check "an HTTPS storage signs for https only" sh -c \
    "printf '%s' '$url' | grep -q '^https://127.0.0.1:$AZURE_PORT/.*&spr=https&'"
  check "the HTTPS SAS URL works with curl --cacert" sh -c \
    "curl -gsSf --max-time 60 --cacert '$TLS/ca.pem' -o '$SCRATCH/k' '$url' && cmp -s '$DATA/4MiB-plus-1' '$SCRATCH/k'"
  azure_stop
else
  fail "Azurite does not start over HTTPS"
fi

finish
