#!/bin/sh
# gcs_cli.sh: the `pail` binary end to end against tests/gcs_fixture.py, a
# strict local GCS (issue 5): every command; objects of 0 B, 1 B, one chunk
# +-1 and 64 MiB byte-exact, the big ones in several resumable chunks; a
# chunk broken half-way resumed from what the session kept; a download cut
# half-way resumed; a corrupted download refused by its CRC-32C; a listing
# in the fixture's pages; --no-clobber by generation and for resumable
# uploads; copies that take several rewrite calls; tokens refreshed
# before they expire and after one is refused; a wrong key -> access denied
# without printing a secret; signed URLs (RSA and
# HMAC, path and virtual-hosted style) accepted by the fixture's verifier
# and refused once tampered with or expired; Google's conformance cases
# through `pail sign`. What every backend keeps (ranges at the end,
# listings, odd keys, metadata, --no-clobber, copies, deletes, missing keys)
# is the contract suite's: tests/contract_gcs.sh.
#
# What pail wrote is checked through the fixture's own view (size, MD5,
# content type), not by reading it back with pail alone.
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/gcs_lib.sh"

# Tokens live 4 s (refreshed after 2), copies move 1 MiB a call, listings
# give at most 50 entries a page.
gcs_start --token-lifetime 4 --rewrite-chunk 1048576 --page-size 50 \
  --bound-host "cdn.localhost=$GCS_BUCKET"

# No command may hang the suite: each pail run gets 5 minutes at most.
gcs_pail_timeout

GCS_KEY_FILE=$GCS_DIR/service-account.json
gcs_key_json "$GCS_KEY_PEM" "$GCS_KEY_FILE"
# Another key for the same account: the token endpoint must refuse it.
gcs_new_key "$GCS_DIR/wrong.pem"
gcs_key_json "$GCS_DIR/wrong.pem" "$GCS_DIR/wrong.json"
# Text of the private keys that must never be printed.
KEY_LINE=$(sed -n 2p "$GCS_KEY_PEM")
WRONG_LINE=$(sed -n 2p "$GCS_DIR/wrong.pem")

GCS_SETTINGS=$GCS_DIR/settings.json
python3 -c '
import json, sys
key_file, wrong, port, bucket, hmac_id, hmac_secret, out = sys.argv[1:8]
key = json.load(open(key_file))
local = {"type": "gcs", "bucket": bucket, "endpoint": "127.0.0.1:" + port,
         "useSSL": False}
settings = {
    "storage": dict(local, serviceAccountKey=key, chunkSize=262144),
    "secondary_storage": {
        "big": dict(local, serviceAccountKey=key_file),
        "wrongkey": dict(local, serviceAccountKey=wrong),
        "keystring": dict(local, serviceAccountKey=json.dumps(key)),
        "hmac": dict(local, serviceAccountKey=key_file, accessKey=hmac_id,
                     secretKey=hmac_secret),
        "vhost": dict(local, serviceAccountKey=key_file, pathStyle=False,
                      endpoint="localhost:" + port),
        "nobucket": dict(local, bucket="no-such-bucket",
                         serviceAccountKey=key_file),
        "disk": {"type": "fs", "root_path": out + ".disk"},
        "cdn": dict(local, serviceAccountKey=key_file,
                    bucketBoundHostname="http://cdn.localhost:" + port),
    }}
json.dump(settings, open(out, "w"), indent=2)
' "$GCS_KEY_FILE" "$GCS_DIR/wrong.json" "$GCS_PORT" "$GCS_BUCKET" \
  "$GCS_HMAC_ID" "$GCS_HMAC_SECRET" "$GCS_SETTINGS"
export PAIL_CONFIG="$GCS_SETTINGS"

# no_secret NAME: the last run_pail printed no private key or HMAC secret.
no_secret() {
  if grep -qF -e "$KEY_LINE" -e "$WRONG_LINE" -e "$GCS_HMAC_SECRET" \
    -e "PRIVATE KEY" "$OUT" "$ERR"; then
    fail "$1: a secret appears in the output"
  else
    pass "$1: no secret in the output"
  fi
}

# make_file PATH BYTES: BYTES of random data.
make_file() {
  head -c "$2" /dev/urandom >"$1"
}

# ------------------------------------------------------------- basics
run_pail backends
expect_status 0 "backends"
check "backends lists gcs" grep -q '^gcs' "$OUT"

run_pail mb
expect_status 0 "mb creates the bucket"
run_pail mb
expect_status 0 "mb again: the bucket exists and is ours"

# config check reaches every storage: the one without a bucket, the one
# with a wrong key and the fs one whose root is not made yet fail, each
# reported once.
run_pail config check
expect_status 1 "config check with a missing bucket, a wrong key and no fs root"
check "config check: the primary is ok" grep -q '^primary (gcs): ok$' "$OUT"
check "config check: the missing bucket" grep -q \
  '^nobucket (gcs): not found: gcs: bucket "no-such-bucket" does not exist' "$OUT"
check "config check: the wrong key" grep -q '^wrongkey (gcs): access denied: ' "$OUT"
check "config check: the missing fs root" grep -q '^disk (fs): not found: ' "$OUT"
check "config check: stderr gives the count only" \
  test "$(cat "$ERR")" = "pail: config: 3 of $(grep -c '^[^ ]* ([a-z0-9_]*): ' "$OUT") storages failed the check"
no_secret "config check"

run_pail --storage nobucket stat x
expect_status 1 "stat in a bucket that does not exist"
expect_stderr 'not found: gcs: bucket "no-such-bucket" does not exist' \
  "stat in a missing bucket names the bucket, not the key"
run_pail --storage nobucket ls
expect_status 1 "ls of a bucket that does not exist"
expect_stderr 'not found: gcs: bucket "no-such-bucket" does not exist' \
  "ls of a missing bucket names the bucket"

# ------------------------------------------- round trips, byte-exact
DATA=$SCRATCH/data
mkdir -p "$DATA"
: >"$DATA/zero"
printf 'x' >"$DATA/one"
make_file "$DATA/chunk-1" $((262144 - 1))
make_file "$DATA/chunk+1" $((262144 + 1))
make_file "$DATA/three" $((3 * 1048576 + 17))
simple_before=$(gcs_stat simple_uploads)
chunks_before=$(gcs_stat chunks)
for f in zero one chunk-1 chunk+1 three; do
  run_pail put "$DATA/$f" "rt/$f"
  expect_status 0 "put $f"
  same_as_fixture "rt/$f" "$DATA/$f" "put $f"
  run_pail get "rt/$f" "$SCRATCH/back"
  expect_status 0 "get $f"
  check "get $f is byte-exact" cmp -s "$DATA/$f" "$SCRATCH/back"
  run_pail cat "rt/$f"
  check "cat $f is byte-exact" cmp -s "$DATA/$f" "$OUT"
done
# 0 B, 1 B and 256 KiB - 1 fit one request; 256 KiB + 1 and 3 MiB take
# resumable sessions of 256 KiB chunks (2 and 13).
check "small objects went up as simple uploads" \
  [ "$(delta simple_uploads "$simple_before")" -eq 3 ]
check "larger objects went up in 256 KiB chunks" \
  [ "$(delta chunks "$chunks_before")" -eq 15 ]

run_pail stat rt/three
expect_status 0 "stat"
check "stat shows the size" grep -q "$((3 * 1048576 + 17))" "$OUT"
run_pail --json stat rt/one
check "stat --json shows the generation as etag" \
  grep -q "\"etag\": *\"$(gcs_object rt/one generation)\"" "$OUT"

run_pail get --offset 262140 --length 10 rt/chunk+1 "$SCRATCH/range"
expect_status 0 "ranged get"
check "ranged get has the bytes of the range" \
  sh -c "tail -c +262141 '$DATA/chunk+1' | head -c 10 | cmp -s - '$SCRATCH/range'"

# 64 MiB through the default 8 MiB chunks.
make_file "$DATA/big" $((64 * 1048576))
chunks_before=$(gcs_stat chunks)
started=$(date +%s)
run_pail --storage big put "$DATA/big" rt/big
expect_status 0 "put 64 MiB"
put_seconds=$(($(date +%s) - started))
check "64 MiB went up in 8 chunks" [ "$(delta chunks "$chunks_before")" -eq 8 ]
same_as_fixture rt/big "$DATA/big" "put 64 MiB"
started=$(date +%s)
run_pail --storage big get rt/big "$SCRATCH/big"
expect_status 0 "get 64 MiB"
get_seconds=$(($(date +%s) - started))
check "get 64 MiB is byte-exact" cmp -s "$DATA/big" "$SCRATCH/big"
rm -f "$SCRATCH/big"
echo "NOTE: 64 MiB put in ${put_seconds}s, get in ${get_seconds}s (loopback, Python fixture)"

printf 'from stdin' | "$PAIL" put - rt/stdin >/dev/null 2>&1
check "put from standard input" [ "$(gcs_object rt/stdin size)" = 10 ]

# Keys with every kind of legal character: tests/contract_gcs.sh. These
# three are signed below.
for key in 'odd/sp ace+plus%25=eq?q#h~t' 'odd/ünï cödé' 'odd/a&b'; do
  "$PAIL" put "$DATA/one" "$key" >/dev/null
done

# -------------------------------------------- options and conditions
# Content type, disposition and metadata, and --no-clobber on every
# backend: tests/contract_gcs.sh. What the fixture's generations and
# resumable sessions show stays here.
run_pail put --content-type text/csv --content-disposition \
  'attachment; filename="r.csv"' --metadata owner=ana "$DATA/one" opt/r.csv
expect_status 0 "put with content type, disposition and metadata"
generation=$(gcs_object opt/r.csv generation)
run_pail put --no-clobber "$DATA/three" opt/r.csv
expect_status 1 "put --no-clobber over an object"
expect_stderr "conflict|precondition|exists" "--no-clobber says why"
check "--no-clobber left the object alone" \
  [ "$(gcs_object opt/r.csv generation)" = "$generation" ]
run_pail put --no-clobber "$DATA/chunk+1" opt/new
expect_status 0 "put --no-clobber of a new key (resumable)"
run_pail put --no-clobber "$DATA/chunk+1" opt/new
expect_status 1 "put --no-clobber again (resumable)"
check "no session is left open after refusals" \
  [ "$(gcs_stat sessions_open)" = 0 ]

# ------------------------------------------------------------- listing
# Folders and listings in pages of any size: tests/contract_gcs.sh. Here
# the fixture's own pages (50 entries) and its count of list calls.
gcs_fixture POST "/_fixture/seed?bucket=$GCS_BUCKET&prefix=many/&count=120" >/dev/null
gcs_fixture POST "/_fixture/seed?bucket=$GCS_BUCKET&prefix=many/sub/&count=3" >/dev/null
lists_before=$(gcs_stat list_calls)
run_pail ls many/
expect_status 0 "ls past one page"
check "ls many/ shows 120 objects and 1 folder" [ "$(grep -c 'many/' "$OUT")" -eq 121 ]
check "the listing took several pages" [ "$(delta list_calls "$lists_before")" -ge 3 ]
run_pail ls -r --page-size 7 many/
check "ls -r --page-size 7 shows all 123" [ "$(grep -c 'many/' "$OUT")" -eq 123 ]

# ------------------------------------------------------------- copies
rewrites_before=$(gcs_stat rewrite_calls)
run_pail cp rt/three cp/three
expect_status 0 "cp"
same_as_fixture cp/three "$DATA/three" "cp"
check "the copy looped on rewriteToken (4 calls for 3 MiB)" \
  [ "$(delta rewrite_calls "$rewrites_before")" -eq 4 ]
generation=$(gcs_object cp/three generation)
run_pail cp --no-clobber rt/one cp/three
expect_status 1 "cp --no-clobber onto an object"
expect_stderr "conflict|precondition" "cp --no-clobber says why"
check "cp --no-clobber left the object alone" \
  [ "$(gcs_object cp/three generation)" = "$generation" ]
# Copies keep or replace attributes, a missing source: tests/contract_gcs.sh.
gcs_fixture POST /_fixture/fault?name=fail-rewrite >/dev/null
run_pail cp rt/three cp/retried
expect_status 0 "cp when a rewrite call fails once (retried)"
same_as_fixture cp/retried "$DATA/three" "cp retried"
gcs_fixture POST /_fixture/fault?name=fail-rewrite >/dev/null
run_pail --max-attempts 1 cp rt/three cp/fails
expect_status 1 "cp when the server fails and retries are off"
expect_stderr "throttled.*503" "a 503 is reported as throttled"
# Across storages the core streams: GCS to a local disk and back.
run_pail --storage disk mb
run_pail cp rt/three s3://disk/three
expect_status 0 "cp from GCS to an fs storage"
check "the fs copy is byte-exact" cmp -s "$DATA/three" "$GCS_SETTINGS.disk/three"
run_pail cp s3://disk/three cp/from-disk
expect_status 0 "cp from an fs storage to GCS (resumable)"
same_as_fixture cp/from-disk "$DATA/three" "cp from an fs storage"
run_pail --storage big cp rt/big cp/big
expect_status 0 "cp 64 MiB"
same_as_fixture cp/big "$DATA/big" "cp 64 MiB"
run_pail --storage keystring cp rt/one cp/one-ks
expect_status 0 "a key given as a string of JSON works"

# ----------------------------------------------------- faults, resumes
queries_before=$(gcs_stat status_queries)
gcs_fixture POST /_fixture/fault?name=break-chunk >/dev/null
make_file "$DATA/ten" $((10 * 1048576))
run_pail --storage big put "$DATA/ten" fault/ten
expect_status 0 "put with a chunk broken half-way"
same_as_fixture fault/ten "$DATA/ten" "put resumed after a broken chunk"
check "the session was asked what it kept" \
  [ "$(delta status_queries "$queries_before")" -ge 1 ]
gcs_fixture POST /_fixture/fault?name=drop-chunk >/dev/null
run_pail --storage big put "$DATA/ten" fault/ten-dropped
expect_status 0 "put with a connection dropped during a chunk"
same_as_fixture fault/ten-dropped "$DATA/ten" \
  "put resumed after a dropped connection"

ranged_before=$(gcs_stat ranged_gets)
gcs_fixture POST /_fixture/fault?name=cut-download >/dev/null
run_pail get rt/three "$SCRATCH/cut"
expect_status 0 "get with a download cut half-way"
check "the resumed download is byte-exact" cmp -s "$DATA/three" "$SCRATCH/cut"
check "the rest came with a Range request" \
  [ "$(delta ranged_gets "$ranged_before")" -ge 1 ]

gcs_fixture POST /_fixture/fault?name=corrupt-download >/dev/null
run_pail get rt/three "$SCRATCH/corrupt"
expect_status 1 "a corrupted download fails"
expect_stderr "CRC-32C|corrupt" "the CRC-32C mismatch is named"
check "no file is left behind" [ ! -e "$SCRATCH/corrupt" ]

run_pail put "$DATA/chunk-1" fault/replaced
gcs_fixture POST /_fixture/fault?name=replace-on-get >/dev/null
run_pail get fault/replaced "$SCRATCH/replaced"
expect_status 0 "a download whose object is replaced meanwhile"
{ cat "$DATA/chunk-1"; printf '!'; } >"$SCRATCH/replaced.want"
check "it starts again and gets the new version whole, never two mixed" \
  cmp -s "$SCRATCH/replaced.want" "$SCRATCH/replaced"

unauthorized_before=$(gcs_stat unauthorized)
tokens_before=$(gcs_stat tokens_issued)
gcs_fixture POST /_fixture/fault?name=reject-token >/dev/null
run_pail stat rt/one
expect_status 0 "a refused token is replaced"
check "a second token was fetched after the 401" \
  [ "$(delta tokens_issued "$tokens_before")" -eq 2 ]

gcs_fixture POST /_fixture/fault?name=stuck-chunks >/dev/null
run_pail put "$DATA/chunk+1" fault/stuck
gcs_fixture POST /_fixture/clear >/dev/null
expect_status 1 "a session that never takes the data"
expect_stderr "does not take the data" "a stuck session is named, not looped on"
check "nothing was stored by the stuck session" [ "$(gcs_object fault/stuck size)" = missing ]
check "the stuck session was cancelled" [ "$(gcs_stat sessions_open)" = 0 ]

gcs_fixture POST /_fixture/fault?name=fail-token >/dev/null
run_pail stat rt/one
expect_status 0 "a token endpoint failing once (retried)"
gcs_fixture POST /_fixture/fault?name=garbage-token >/dev/null
run_pail stat rt/one
expect_status 1 "a token endpoint answering garbage"
expect_stderr "not an OAuth2 bearer token" "garbage from the token endpoint is named"

# Each chunk takes a second more: the 6-chunk upload outlives several
# 4-second tokens, which pail refreshes before they expire (no 401).
gcs_fixture POST /_fixture/fault?name=slow-chunks >/dev/null
make_file "$DATA/slow" $((6 * 262144))
unauthorized_before=$(gcs_stat unauthorized)
tokens_before=$(gcs_stat tokens_issued)
run_pail put "$DATA/slow" fault/slow
gcs_fixture POST /_fixture/clear >/dev/null
expect_status 0 "put across several token lifetimes"
same_as_fixture fault/slow "$DATA/slow" "put across several token lifetimes"
check "tokens were refreshed during the upload" \
  [ "$(delta tokens_issued "$tokens_before")" -ge 3 ]
check "no request went out with an expired token" \
  [ "$(delta unauthorized "$unauthorized_before")" -eq 0 ]

# ------------------------------------------------------- refusals
run_pail --storage wrongkey stat rt/one
expect_status 1 "a wrong key"
expect_stderr "access denied" "a wrong key is access denied"
expect_stderr "Invalid JWT Signature" "the token endpoint's reason is shown"
no_secret "a wrong key"
run_pail --storage wrongkey put "$DATA/one" rt/wrong
expect_status 1 "put with a wrong key"
check "nothing was written with a wrong key" [ "$(gcs_object rt/wrong size)" = missing ]
no_secret "put with a wrong key"

# Missing keys and deletes: tests/contract_gcs.sh.

# ------------------------------------- Application Default Credentials
# No serviceAccountKey: GOOGLE_APPLICATION_CREDENTIALS, then gcloud's file
# (an authorized_user with a refresh token).
ADC_SETTINGS=$GCS_DIR/adc.json
printf '{"storage": {"type": "gcs", "bucket": "%s", "endpoint": "127.0.0.1:%s", "useSSL": false}}\n' \
  "$GCS_BUCKET" "$GCS_PORT" >"$ADC_SETTINGS"
GOOGLE_APPLICATION_CREDENTIALS=$GCS_KEY_FILE run_pail --config "$ADC_SETTINGS" cat rt/three
expect_status 0 "a key from GOOGLE_APPLICATION_CREDENTIALS"
check "it reads the object" cmp -s "$DATA/three" "$OUT"
run_pail --config "$ADC_SETTINGS" stat rt/three
expect_status 1 "no credentials anywhere"
expect_stderr "access denied" "no credentials is access denied"
expect_stderr "GOOGLE_APPLICATION_CREDENTIALS \(not set\)" "the sources tried are named"
mkdir -p "$HOME/.config/gcloud"
python3 -c '
import json, sys
json.dump({"type": "authorized_user", "client_id": sys.argv[1],
           "client_secret": sys.argv[2], "refresh_token": sys.argv[3],
           "token_uri": sys.argv[4]}, open(sys.argv[5], "w"))
' "$GCS_USER_CLIENT" "$GCS_USER_SECRET" "$GCS_USER_REFRESH" "$GCS_URL/token" \
  "$HOME/.config/gcloud/application_default_credentials.json"
run_pail --config "$ADC_SETTINGS" put "$DATA/chunk+1" adc/user
expect_status 0 "gcloud's application default credentials (authorized_user)"
same_as_fixture adc/user "$DATA/chunk+1" "put as an authorized_user"
run_pail --config "$ADC_SETTINGS" sign adc/user
expect_status 1 "an authorized_user cannot sign"
expect_stderr "authorized_user" "sign says why"
if grep -qF -e "$GCS_USER_SECRET" -e "$GCS_USER_REFRESH" "$OUT" "$ERR"; then
  fail "the user's secret or refresh token appears in the output"
else
  pass "no user secret in the output"
fi
rm -f "$HOME/.config/gcloud/application_default_credentials.json"

# ------------------------------------------------------- signed URLs
# curl_status URL [CURL ARGS...]: the HTTP status curl gets, body in
# $SCRATCH/body.
curl_status() {
  curl_url=$1
  shift
  curl -sS --max-time 30 -o "$SCRATCH/body" -w '%{http_code}' "$@" "$curl_url"
}

signed_before=$(gcs_stat signature_refusals)
run_pail sign rt/three
expect_status 0 "sign"
url=$(cat "$OUT")
check "the URL is GOOG4-RSA-SHA256" grep -q 'X-Goog-Algorithm=GOOG4-RSA-SHA256' "$OUT"
check "a signed GET is accepted" [ "$(curl_status "$url")" = 200 ]
check "it serves the object" cmp -s "$DATA/three" "$SCRATCH/body"
tampered=$(printf '%s' "$url" | sed 's/rt\/three/rt\/chunk-1/')
check "a URL for another key is refused" [ "$(curl_status "$tampered")" = 403 ]
last=$(printf '%s' "$url" | tail -c 1)
case $last in 0) other=1 ;; *) other=0 ;; esac
check "a tampered signature is refused" \
  [ "$(curl_status "$(printf '%s' "$url" | sed "s/.\$/$other/")")" = 403 ]
check "the fixture counted the refusals" \
  [ "$(delta signature_refusals "$signed_before")" -eq 2 ]

for key in 'odd/sp ace+plus%25=eq?q#h~t' 'odd/ünï cödé' 'odd/a&b'; do
  run_pail sign "$key"
  check "a signed GET of '$key' is accepted" [ "$(curl_status "$(cat "$OUT")")" = 200 ]
  check "it serves '$key'" cmp -s "$DATA/one" "$SCRATCH/body"
done

run_pail sign --at 2020-01-01T00:00:00Z --expires 60 rt/three
check "an expired URL is refused" [ "$(curl_status "$(cat "$OUT")")" = 400 ]

run_pail sign --method PUT --header 'Content-Type: text/plain' rt/signed-put
expect_status 0 "sign PUT with a header"
check "a signed PUT is accepted" \
  [ "$(curl_status "$(cat "$OUT")" -T "$DATA/chunk-1" -H 'Content-Type: text/plain')" = 200 ]
same_as_fixture rt/signed-put "$DATA/chunk-1" "signed PUT"
check "a signed header must be sent as signed" \
  [ "$(curl_status "$(cat "$OUT")" -T "$DATA/one" -H 'Content-Type: text/csv')" = 403 ]

run_pail sign --query response-content-type=text/plain rt/three
check "a signed extra query parameter is accepted" \
  [ "$(curl_status "$(cat "$OUT")")" = 200 ]
check "it cannot be changed" \
  [ "$(curl_status "$(sed 's/text%2Fplain/text%2Fhtml/' "$OUT")")" = 403 ]

run_pail --storage hmac sign rt/three
expect_status 0 "sign with HMAC keys"
check "the URL is GOOG4-HMAC-SHA256" grep -q 'GOOG4-HMAC-SHA256' "$OUT"
check "an HMAC-signed GET is accepted" [ "$(curl_status "$(cat "$OUT")")" = 200 ]
no_secret "sign with HMAC keys"

run_pail --storage vhost sign rt/three
expect_status 0 "sign virtual-hosted"
check "the bucket is in the host name" grep -q "^http://$GCS_BUCKET.localhost:$GCS_PORT/rt/three?" "$OUT"
check "a virtual-hosted URL is accepted" \
  [ "$(curl_status "$(cat "$OUT")" --resolve "$GCS_BUCKET.localhost:$GCS_PORT:127.0.0.1")" = 200 ]

run_pail --storage cdn sign rt/three
expect_status 0 "sign with a bucket-bound hostname"
check "the URL is on the custom domain" grep -q "^http://cdn.localhost:$GCS_PORT/rt/three?" "$OUT"
check "a bucket-bound URL is accepted" \
  [ "$(curl_status "$(cat "$OUT")" --resolve "cdn.localhost:$GCS_PORT:127.0.0.1")" = 200 ]
check "it serves the object" cmp -s "$DATA/three" "$SCRATCH/body"

# Google's conformance cases that pail can express, through the CLI
# (test_gcs.c explains which cannot, and why; the library runs them too).
python3 - "$top_srcdir/tests/vectors/gcs-v4" "$SCRATCH/vectors" <<'EOF'
import json, os, sys, urllib.parse
src, out = sys.argv[1:3]
os.makedirs(out, exist_ok=True)
cases = json.load(open(os.path.join(src, "v4_signatures.json")))["signingV4Tests"]
n = 0
for i, c in enumerate(cases):
    obj = c.get("object")
    if (c["method"] not in ("GET", "PUT", "HEAD", "DELETE") or not obj
            or obj.startswith("/")
            or any("=" in k for k in c.get("queryParameters", {}))):
        continue
    url = urllib.parse.urlsplit(c["expectedUrl"])
    host = url.netloc
    vhost = c.get("urlStyle") == "VIRTUAL_HOSTED_STYLE"
    if vhost:
        host = host[len(c["bucket"]) + 1:]
    settings = {"storage": {"type": "gcs", "bucket": c["bucket"],
                "serviceAccountKey": os.path.join(src, "test_service_account.json"),
                "endpoint": host, "useSSL": url.scheme == "https",
                "pathStyle": not vhost}}
    if c.get("urlStyle") == "BUCKET_BOUND_HOSTNAME":
        settings["storage"]["bucketBoundHostname"] = url.scheme + "://" + host
        settings["storage"]["endpoint"] = "storage.googleapis.com"
        settings["storage"]["useSSL"] = True
    json.dump(settings, open(os.path.join(out, "%02d.json" % i), "w"))
    argv = ["sign", "--method", c["method"], "--expires", str(c["expiration"]),
            "--at", c["timestamp"]]
    for k, v in c.get("headers", {}).items():
        argv += ["--header", "%s: %s" % (k, v)]
    for k, v in c.get("queryParameters", {}).items():
        argv += ["--query", "%s=%s" % (k, v)]
    argv.append(obj)
    with open(os.path.join(out, "%02d.args" % i), "wb") as f:
        f.write(b"\0".join(a.encode() for a in argv))
    open(os.path.join(out, "%02d.url" % i), "w").write(c["expectedUrl"] + "\n")
    n += 1
print(n)
EOF
vector_count=0
for settings in "$SCRATCH"/vectors/*.json; do
  case_id=${settings%.json}
  xargs -0 "$PAIL" --config "$settings" <"$case_id.args" >"$SCRATCH/v.out" 2>"$SCRATCH/v.err"
  if cmp -s "$case_id.url" "$SCRATCH/v.out"; then
    vector_count=$((vector_count + 1))
  else
    fail "conformance case $(basename "$case_id"): $(cat "$SCRATCH/v.out" "$SCRATCH/v.err")"
  fi
done
check "18 conformance cases sign exactly through the CLI" [ "$vector_count" -eq 18 ]

# ---------------------------------------------------------- cleanup
check "no upload session is left open" [ "$(gcs_stat sessions_open)" = 0 ]
finish
