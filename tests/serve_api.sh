#!/bin/sh
# serve_api.sh: the JSON API of `pail serve` with curl, against fs storages
# and against moto_server: the token on every call (missing, wrong, in a
# header, a Bearer, the cookie; the cookie alone cannot change anything
# without the UI's header), path traversal in keys, prefixes, storage names
# and URL paths (../, %2e%2e, absolute, backslashes, NUL), oversized
# uploads (declared and chunked), byte ranges, pagination, access rules
# (advanced_permissions), errors as JSON without secrets, and memory: a
# 128 MiB upload and download go through a server whose peak resident
# memory stays far below that (streamed, not buffered).
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/serve_lib.sh"
trap 'serve_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT

BODY=$SCRATCH/body
HEADERS=$SCRATCH/headers
TOKEN=

# call METHOD PATH [CURL-ARGS...]: the API with the token in X-Pail-Token;
# status in CODE, body in $BODY, response headers in $HEADERS.
call() {
  call_method=$1 call_path=$2
  shift 2
  CODE=$(curl -s --path-as-is -o "$BODY" -D "$HEADERS" -w '%{http_code}' \
    -X "$call_method" -H "X-Pail-Token: $TOKEN" "$@" \
    "${SERVE_URL%/}$call_path")
  # Every small answer is kept, to look for secrets at the end.
  [ "$(wc -c <"$BODY")" -gt 1048576 ] || cat "$HEADERS" "$BODY" >>"$SCRATCH/answers"
}

# bare METHOD PATH [CURL-ARGS...]: the same without any token.
bare() {
  bare_method=$1 bare_path=$2
  shift 2
  CODE=$(curl -s --path-as-is -o "$BODY" -D "$HEADERS" -w '%{http_code}' \
    -X "$bare_method" "$@" "${SERVE_URL%/}$bare_path")
}

# expect_code WANT NAME: the last call's HTTP status.
expect_code() {
  if [ "$CODE" = "$1" ]; then
    pass "$2 (HTTP $1)"
  else
    fail "$2: HTTP $CODE, wanted $1: $(head -c 400 "$BODY")"
  fi
}

# json PYTHON-EXPR: evaluates EXPR on the last body, parsed as d.
json() {
  python3 -c "import json,sys
d = json.load(open(sys.argv[1]))
print($1)" "$BODY" 2>/dev/null
}

# expect_json PYTHON-EXPR WANT NAME
expect_json() {
  got=$(json "$1")
  if [ "$got" = "$2" ]; then
    pass "$3"
  else
    fail "$3: $1 is '$got', wanted '$2'; body: $(head -c 400 "$BODY")"
  fi
}

# expect_error CODE CATEGORY PATTERN NAME: an error document.
expect_error() {
  expect_code "$1" "$4"
  expect_json "d['error']['category']" "$2" "$4: category $2"
  if json "d['error']['message']" | grep -Eq -- "$3"; then
    pass "$4: the message says why"
  else
    fail "$4: message '$(json "d['error']['message']")' does not match '$3'"
  fi
}

# outside_snapshot: every file of the scratch directory outside the
# storages' roots, to prove that nothing was written outside them.
outside_snapshot() {
  (cd "$SCRATCH" && find . -path ./fsroot -prune -o -path ./other -prune \
    -o -path ./home -prune -o -name 'body' -prune -o -name 'headers' -prune \
    -o -name 'serve.log' -prune -o -name answers -prune -o -print | sort)
}

# ======================================================== the command line
run_pail serve --help
expect_status 0 "serve --help"
check "the help names --listen" grep -q -- '--listen HOST:PORT' "$OUT"
for listen in 127.0.0.1 127.0.0.1:65536 127.0.0.1:-1 127.0.0.1:http ':8080' \
  'example.com:8080' '[::1' '[::1]8080'; do
  run_pail serve --listen "$listen"
  expect_status 2 "--listen $listen is refused"
done
run_pail serve --listen 127.0.0.1:0 --max-upload 10Q
expect_status 2 "--max-upload 10Q is refused"
expect_stderr "max-upload wants a size" "it says what a size is"
run_pail serve --listen 127.0.0.1:0 --token short
expect_status 2 "a token of 5 characters is refused"
run_pail serve --listen 127.0.0.1:0 --token 'has spaces in it'
expect_status 2 "a token with spaces is refused"
run_pail --storage nosuch serve --listen 127.0.0.1:0
expect_status 1 "an unknown --storage"
expect_stderr 'no storage named "nosuch"' "it names the storage"
run_pail serve --listen 127.0.0.1:0 extra
expect_status 2 "an operand"

# ================================================= fs, with access rules
FS_ROOT=$SCRATCH/fsroot
OTHER_ROOT=$SCRATCH/other
mkdir -p "$FS_ROOT/u/alice" "$FS_ROOT/u/bob" "$FS_ROOT/public" "$OTHER_ROOT/u/alice"
echo "alice's" >"$FS_ROOT/u/alice/a.txt"
echo "bob's" >"$FS_ROOT/u/bob/b.txt"
echo "for all" >"$FS_ROOT/public/p.txt"
echo "other storage" >"$OTHER_ROOT/u/alice/o.txt"
cat >"$SCRATCH/rules.json" <<EOF
{ "storage": { "type": "fs", "root_path": "$FS_ROOT" },
  "secondary_storage": { "other": { "type": "fs", "root_path": "$OTHER_ROOT" } },
  "advanced_permissions": [
    { "pattern": "u/{username}/**", "allow": "read,write,delete,list" },
    { "pattern": "public/**", "allow": "read,list" } ],
  "workspace_key": "serve-test-workspace-key-0123456789" }
EOF

TOKEN=given-token-for-the-test
if ! serve_start --config "$SCRATCH/rules.json" --user alice \
  --token "$TOKEN" --max-upload 1K; then
  fail "pail serve starts on the fs workspace"
  finish
fi
pass "pail serve starts with --token and --max-upload"
check "a given token is not printed" sh -c "! grep -q '$TOKEN' '$SERVE_LOG'"

# ---------------------------------------------------------------- token
bare GET /api/storages
expect_error 401 "access denied" "no access token" "no token"
bare GET /api/storages -H "X-Pail-Token: given-token-for-the-tesT"
expect_error 401 "access denied" "X-Pail-Token header does not hold" "a wrong token"
bare GET /api/storages -H "X-Pail-Token: given-token-for-the-test-and-more"
expect_code 401 "a longer token that starts with the right one"
bare GET /api/storages -H "X-Pail-Token: given"
expect_code 401 "a prefix of the token"
bare GET /api/storages -H "X-Pail-Token: "
expect_code 401 "an empty token"
bare GET /api/storages -H "Authorization: Bearer $TOKEN"
expect_code 200 "the token as a Bearer"
bare GET /api/storages -H "Authorization: Basic $TOKEN"
expect_code 401 "the token as another scheme"
bare GET /api/storages -H "X-Pail-Token: wrong-token-xyz" -b "pail_token=$TOKEN"
expect_code 401 "a wrong header is not saved by a right cookie"
bare GET /api/storages -b "pail_token=$TOKEN"
expect_code 200 "the token as the cookie"
bare GET /api/storages -b "pail_token=wrong-token-xyz"
expect_error 401 "access denied" "cookie does not hold" "a wrong cookie"
bare DELETE "/api/object?key=u/alice/a.txt" -b "pail_token=$TOKEN"
expect_error 403 "access denied" "X-Pail-Request" "a DELETE with the cookie alone"
check "the object is still there" test -f "$FS_ROOT/u/alice/a.txt"
bare PUT "/api/object?key=u/alice/new.txt" -b "pail_token=$TOKEN" --data-binary x
expect_code 403 "a PUT with the cookie alone"
check "nothing was written" test ! -e "$FS_ROOT/u/alice/new.txt"
bare GET "/api/download?key=u/alice/a.txt"
expect_code 401 "a download needs the token too"
bare GET "/?token=$TOKEN&pointer=s3:///u/alice/a.txt"
expect_code 303 "opening the printed URL"
if grep -qi "^set-cookie: pail_token=$TOKEN; Path=/; HttpOnly; SameSite=Strict" "$HEADERS"; then
  pass "it sets an HttpOnly, SameSite=Strict cookie"
else
  fail "the cookie: $(grep -i set-cookie "$HEADERS")"
fi
if grep -qi '^location: /?pointer=s3%3A%2F%2F%2Fu%2Falice%2Fa.txt' "$HEADERS" &&
  ! grep -i '^location:' "$HEADERS" | grep -q token; then
  pass "it sends the browser on without the token, keeping the pointer"
else
  fail "the redirect: $(grep -i location "$HEADERS")"
fi
bare GET "/?token=wrong-token-xyz"
expect_error 403 "access denied" "wrong access token" "a wrong token in the URL"
check "no cookie for a wrong token" sh -c "! grep -qi set-cookie '$HEADERS'"

# ------------------------------------------------------------ the page
bare GET /
expect_code 200 "the page needs no token"
check "the page is the explorer" grep -q '<title>pail explorer</title>' "$BODY"
check "the page runs only its own script" \
  grep -qi "^content-security-policy: default-src 'none'; script-src 'self'" "$HEADERS"
bare GET /explorer.js
expect_code 200 "the script"
bare GET /explorer.css
expect_code 200 "the style sheet"
for path in /../../../../etc/passwd /%2e%2e/%2e%2e/etc/passwd /..%2f..%2fetc%2fpasswd \
  '/..\..\etc\passwd' /index.html/../../etc/passwd /api/../../etc/passwd; do
  call GET "$path"
  if [ "$CODE" = 404 ] && ! grep -q 'root:' "$BODY"; then
    pass "the URL path $path reaches no file (HTTP 404)"
  else
    fail "the URL path $path: HTTP $CODE: $(head -c 200 "$BODY")"
  fi
done
bare POST /
expect_code 405 "POST / is not allowed"

# ------------------------------------------------------------ storages
call GET /api/storages
expect_code 200 "storages"
expect_json "[(s['name'], s['type'], s['primary']) for s in d['storages']]" \
  "[(None, 'fs', True), ('other', 'fs', False)]" "the primary and the secondary"
expect_json "d['max_upload']" 1024 "the upload limit is announced"

# ------------------------------------------------------- access rules
call GET "/api/list?prefix=u/alice/"
expect_code 200 "alice lists her folder"
expect_json "[e['key'] for e in d['entries']]" "['u/alice/a.txt']" "her object is listed"
call GET "/api/list?prefix="
expect_error 403 "access denied" "u/\\{username\\}|rule|not allowed|denied" "alice cannot list the root"
call GET "/api/list?prefix=u/bob/"
expect_code 403 "alice cannot list bob's folder"
call GET "/api/stat?key=u/bob/b.txt"
expect_code 403 "alice cannot stat bob's object"
call GET "/api/download?key=u/bob/b.txt"
expect_code 403 "alice cannot download bob's object"
call PUT "/api/object?key=u/bob/evil.txt" --data-binary evil
expect_code 403 "alice cannot upload into bob's folder"
check "nothing was written for bob" test ! -e "$FS_ROOT/u/bob/evil.txt"
call DELETE "/api/object?key=u/bob/b.txt"
expect_code 403 "alice cannot delete bob's object"
check "bob's object is still there" test -f "$FS_ROOT/u/bob/b.txt"
call GET "/api/sign?key=u/bob/b.txt"
expect_code 403 "alice cannot sign bob's object"
call GET "/api/download?key=public/p.txt"
expect_code 200 "alice reads a public object"
call DELETE "/api/object?key=public/p.txt"
expect_code 403 "alice cannot delete a public object"
call PUT "/api/object?key=public/new.txt" --data-binary x
expect_code 403 "alice cannot write a public object"
call GET "/api/stat?storage=other&key=u/alice/o.txt"
expect_code 200 "alice reads hers in the secondary storage"
expect_json "d['pointer']" "{'s3': 'u/alice/o.txt', 'storage': 'other'}" \
  "a secondary's pointer names its storage"
expect_json "d['uri']" "s3://other/u/alice/o.txt" "and its URI"
call GET "/api/stat?storage=nosuch&key=u/alice/o.txt"
expect_error 404 "not found" 'no storage named "nosuch"' "an unknown storage"

# ---------------------------------------------------------- traversal
before=$(outside_snapshot)
for key in '../x' 'u/alice/../../x' 'u/alice/%2e%2e/%2e%2e/x' '%2E%2E%2Fx' \
  'u/alice/..' '/etc/passwd' '%2Fetc%2Fpasswd' '//etc/passwd' 'u/alice//x' \
  'u/alice/./x' 'u/alice/x%00.txt' '%00' 'u/alice/%0a' ''; do
  for op in "GET /api/stat" "GET /api/download" "PUT /api/object" \
    "DELETE /api/object" "GET /api/sign"; do
    call ${op% *} "${op#* }?key=$key" --data-binary x
    if [ "$CODE" = 400 ] && [ "$(json "d['error']['category']")" = "invalid argument" ]; then
      pass "$op key=$key is refused (HTTP 400, invalid argument)"
    else
      fail "$op key=$key: HTTP $CODE: $(head -c 300 "$BODY")"
    fi
  done
done
call GET "/api/stat?key=u/alice/x%00.txt"
expect_json "d['error']['message']" 'invalid key "u/alice/x\x00.txt": contains a NUL byte at offset 9' \
  "a NUL is reported, not cut off"
for prefix in '../' 'u/alice/../' '%2e%2e/' '/' '/etc/' '..%2F' 'u//'; do
  call GET "/api/list?prefix=$prefix"
  expect_code 400 "the listing prefix $prefix is refused"
done
for storage in '../other' '%2e%2e%2fother' 'other%00' '/tmp' 'a%5cb' '.%2f'; do
  call GET "/api/stat?storage=$storage&key=u/alice/o.txt"
  expect_code 400 "the storage name $storage is refused"
done
# ".." is a well-formed storage name (letters, digits, '_', '.', '-'): a
# name, looked up among the settings' storages, never a path.
call GET "/api/stat?storage=..&key=u/alice/o.txt"
expect_error 404 "not found" 'no storage named "\.\."' "the storage name .. names no storage"
# A backslash is an ordinary character of a key (keys are opaque): the
# object lands inside the root under that literal name.
call PUT '/api/object?key=u/alice/..%5c..%5cescaped.txt' --data-binary inside
expect_code 201 "a key with backslashes is stored"
check "under its literal name, inside the root" \
  test -f "$FS_ROOT/u/alice/..\\..\\escaped.txt"
after=$(outside_snapshot)
if [ "$before" = "$after" ]; then
  pass "no traversal attempt wrote anything outside the storages"
else
  fail "files appeared outside the storages: $(printf '%s\n' "$after" | grep -vxF "$before")"
fi
check "no escaped.txt anywhere outside the root" \
  sh -c "! find '$SCRATCH' -name escaped.txt -not -path '$FS_ROOT/*' | grep -q ."
call GET "/api/list?prefix=u/alice/&page_token=..%2F..%2F..%2Fetc"
if [ "$CODE" = 400 ] || [ "$CODE" = 200 ]; then
  pass "a forged page token is refused or ignored (HTTP $CODE)"
else
  fail "a forged page token: HTTP $CODE: $(head -c 300 "$BODY")"
fi
check "a forged page token lists nothing outside" sh -c "! grep -q passwd '$BODY'"

# ---------------------------------------------------- oversized uploads
head -c 1024 /dev/urandom >"$SCRATCH/1k"
head -c 1025 /dev/urandom >"$SCRATCH/1k1"
call PUT "/api/object?key=u/alice/limit.bin" --data-binary "@$SCRATCH/1k"
expect_code 201 "an upload of exactly the limit"
expect_json "d['info']['size']" 1024 "its size"
call PUT "/api/object?key=u/alice/over.bin" --data-binary "@$SCRATCH/1k1"
expect_error 413 "invalid argument" "1025 bytes, more than the 1024 this server accepts \\(pail serve --max-upload\\)" \
  "an upload one byte over the limit"
check "nothing is stored for it" test ! -e "$FS_ROOT/u/alice/over.bin"
CODE=$(head -c 5000 /dev/urandom | curl -s -o "$BODY" -w '%{http_code}' -X PUT \
  -H "X-Pail-Token: $TOKEN" -H 'Transfer-Encoding: chunked' -T - \
  "${SERVE_URL}api/object?key=u/alice/chunked.bin")
expect_error 413 "invalid argument" "more than the 1024 bytes this server accepts" \
  "a chunked upload that grows past the limit"
check "nothing is stored for it" test ! -e "$FS_ROOT/u/alice/chunked.bin"
leftovers=$(find "$FS_ROOT" -name '.pail-*')
if [ -z "$leftovers" ]; then
  pass "no temporary file is left behind"
else
  fail "temporary files left behind: $leftovers"
fi
serve_stop

# ============================================ fs, no rules, random token
mkdir -p "$SCRATCH/plain/many"
cat >"$SCRATCH/plain.json" <<EOF
{ "storage": { "type": "fs", "root_path": "$SCRATCH/plain" } }
EOF
i=0
while [ "$i" -lt 25 ]; do
  echo "file $i" >"$SCRATCH/plain/many/f$(printf '%02d' "$i").txt"
  i=$((i + 1))
done
mkdir -p "$SCRATCH/plain/many/sub1" "$SCRATCH/plain/many/sub2"
echo x >"$SCRATCH/plain/many/sub1/x"
echo y >"$SCRATCH/plain/many/sub2/y"
printf '0123456789' >"$SCRATCH/plain/ten.txt"
if ! serve_start --config "$SCRATCH/plain.json"; then
  fail "pail serve starts with a random token"
  finish
fi
TOKEN=$SERVE_TOKEN
check "the random token is 64 hex digits" sh -c "echo '$TOKEN' | grep -Eqx '[0-9a-f]{64}'"
run_pail serve --listen "127.0.0.1:$SERVE_PORT"
expect_status 1 "a second server on the same port"
expect_stderr "cannot listen on 127.0.0.1:$SERVE_PORT" "it says it cannot listen there"

# ---------------------------------------------------------- pagination
keys=
token=
pages=0
while :; do
  if [ -n "$token" ]; then
    call GET "/api/list?prefix=many/&max_keys=10&page_token=$token"
  else
    call GET "/api/list?prefix=many/&max_keys=10"
  fi
  [ "$CODE" = 200 ] || break
  pages=$((pages + 1))
  keys="$keys$(json "'\n'.join(e['key'] for e in d['entries'])")
"
  token=$(json "d['next_page_token'] or ''")
  [ -n "$token" ] || break
  [ "$pages" -lt 10 ] || break
done
check "27 entries in 10s make 3 pages" test "$pages" -eq 3
want=$( (i=0; while [ $i -lt 25 ]; do echo "many/f$(printf '%02d' $i).txt"; i=$((i + 1)); done; echo many/sub1/; echo many/sub2/) | LC_ALL=C sort)
got=$(printf '%s' "$keys" | sed '/^$/d')
if [ "$got" = "$want" ]; then
  pass "the pages hold every object and folder once, in byte order"
else
  fail "the pages: $(printf '%s' "$got" | tr '\n' ' ')"
fi
call GET "/api/list?prefix=many/&max_keys=1000"
expect_json "[e.get('folder', False) for e in d['entries']].count(True)" 2 "folders are marked"
expect_json "d['next_page_token']" None "one page when it fits"
call GET "/api/list?prefix=many/&max_keys=0"
expect_error 400 "invalid argument" "max_keys" "max_keys=0"
call GET "/api/list?prefix=many/&max_keys=1001"
expect_code 400 "max_keys over 1000"
call GET "/api/list?prefix=many/&max_keys=ten"
expect_code 400 "max_keys that is not a number"

# -------------------------------------------------------------- ranges
range() {
  CODE=$(curl -s -o "$BODY" -D "$HEADERS" -w '%{http_code}' -H "X-Pail-Token: $TOKEN" \
    -H "Range: $1" "${SERVE_URL}api/download?key=ten.txt")
}
expect_range() {
  range "$1"
  if [ "$CODE" = "$2" ] && [ "$(cat "$BODY")" = "$3" ] &&
    { [ -z "$4" ] || grep -qi "^content-range: $4" "$HEADERS"; }; then
    pass "Range: $1 gives $2 '$3' $4"
  else
    fail "Range: $1: HTTP $CODE '$(head -c 100 "$BODY")' $(grep -i content-range "$HEADERS")"
  fi
}
expect_range 'bytes=0-4' 206 01234 'bytes 0-4/10'
expect_range 'bytes=5-' 206 56789 'bytes 5-9/10'
expect_range 'bytes=-3' 206 789 'bytes 7-9/10'
expect_range 'bytes=8-100' 206 89 'bytes 8-9/10'
expect_range 'bytes=-50' 206 0123456789 'bytes 0-9/10'
expect_range 'bytes=9-9' 206 9 'bytes 9-9/10'
expect_range 'bytes=0-1,4-5' 200 0123456789 ''
expect_range 'items=0-4' 200 0123456789 ''
range 'bytes=10-'
expect_code 416 "a range that starts at the end"
check "it says the size" grep -qi '^content-range: bytes \*/10' "$HEADERS"
range 'bytes=5-2'
expect_code 416 "a range that ends before it starts"
range 'bytes=-0'
expect_code 416 "an empty suffix range"
call GET "/api/download?key=ten.txt"
expect_code 200 "the whole object"
check "it is an attachment named after the key" \
  grep -qi "^content-disposition: attachment; filename\\*=UTF-8''ten.txt" "$HEADERS"
check "it is never run as a page" grep -qi "^content-security-policy: sandbox" "$HEADERS"
check "it says ranges are accepted" grep -qi '^accept-ranges: bytes' "$HEADERS"
printf '<script>alert(1)</script>' >"$SCRATCH/plain/page.html"
printf '\211PNG\r\n\032\n' >"$SCRATCH/plain/pic.png"
call GET "/api/download?key=page.html&inline=1"
check "HTML is never served inline" grep -qi '^content-type: application/octet-stream' "$HEADERS"
call GET "/api/download?key=pic.png&inline=1"
check "a PNG is served inline for the preview" grep -qi '^content-type: image/png' "$HEADERS"
call GET "/api/download?key=missing.txt"
expect_error 404 "not found" "missing.txt" "a missing object"
# One connection serves a page, a stat, a download and a listing in turn
# (keep-alive: an answer queued before the request is whole would close it).
connects=$(curl -s -H "X-Pail-Token: $TOKEN" -w '%{num_connects}' \
  -o /dev/null "${SERVE_URL}index.html" -o /dev/null "${SERVE_URL}api/stat?key=ten.txt" \
  -o /dev/null "${SERVE_URL}api/download?key=ten.txt" -o /dev/null "${SERVE_URL}api/list")
check "four requests travel on one connection ($connects)" test "$connects" = 1000
# HEAD: the GET's headers, no body.
head_download() {
  CODE=$(curl -s -I -o "$BODY" -w '%{http_code}' -H "X-Pail-Token: $TOKEN" \
    "$@")
}
head_download "${SERVE_URL}api/download?key=ten.txt"
if [ "$CODE" = 200 ] && grep -qi '^content-length: 10' "$BODY" &&
  grep -qi '^accept-ranges: bytes' "$BODY"; then
  pass "HEAD of a download gives its length"
else
  fail "HEAD of a download: HTTP $CODE $(cat "$BODY")"
fi
head_download -H 'Range: bytes=5-' "${SERVE_URL}api/download?key=ten.txt"
if [ "$CODE" = 206 ] && grep -qi '^content-length: 5' "$BODY" &&
  grep -qi '^content-range: bytes 5-9/10' "$BODY"; then
  pass "HEAD of a range gives the range's length"
else
  fail "HEAD of a range: HTTP $CODE $(cat "$BODY")"
fi
head_download "${SERVE_URL}api/download?key=missing.txt"
expect_code 404 "HEAD of a missing object"

# -------------------------------------------- keys that round-trip
for key in 'sp%20ace%20and%2Bplus.txt' 'q%3Fh%23p%25e%3D.txt' 'caf%C3%A9/%E2%9C%93.txt' 'tilde~x'; do
  call PUT "/api/object?key=$key" --data-binary "k=$key"
  expect_code 201 "upload to key $key"
  stored=$(json "d['pointer']['s3']")
  call GET "/api/download?key=$key"
  if [ "$CODE" = 200 ] && [ "$(cat "$BODY")" = "k=$key" ]; then
    pass "key $key ($stored) round-trips"
  else
    fail "key $key: HTTP $CODE $(head -c 100 "$BODY")"
  fi
done
check "a '+' in the query is a '+' in the key" test -f "$SCRATCH/plain/sp ace and+plus.txt"

# ---------------------------------------------------- other endpoints
call GET "/api/resolve?pointer=%7B%22s3%22%3A%22a%2Fb.csv%22%7D"
expect_json "(d['storage'], d['key'])" "(None, 'a/b.csv')" "resolve a JSON pointer"
call GET "/api/resolve?pointer=s3%3A%2F%2Fother%2Fa%2Fb.csv"
expect_json "(d['storage'], d['key'])" "('other', 'a/b.csv')" "resolve a URI"
call GET "/api/resolve?pointer=s3%3A%2F%2F%2Fa%2F..%2Fb"
expect_error 400 "invalid argument" "path segment" "resolve a pointer with .."
call GET "/api/sign?key=ten.txt&expires=60"
expect_json "d['url'] is None and d['grant']['s3'] == 'ten.txt' and d['grant']['presigned'].startswith('exp=')" True \
  "fs signs with a grant"
call GET "/api/sign?key=ten.txt&expires=604801"
expect_code 400 "expires over 7 days"
call GET /api/nothing
expect_error 404 "not found" "no API endpoint" "an unknown endpoint"
call POST "/api/list"
expect_code 405 "a wrong method"
call DELETE "/api/object?key=ten.txt"
expect_code 200 "delete"
check "the file is gone" test ! -e "$SCRATCH/plain/ten.txt"
call DELETE "/api/object?key=ten.txt"
expect_error 404 "not found" "ten.txt" "delete it again"

# --------------------------------------------------------- concurrency
# 16 uploads and then 16 downloads at once, one connection (and thread)
# each, all through the one workspace handle.
# (wait names the clients: a bare wait would wait for the server too.)
clients=
i=0
while [ "$i" -lt 16 ]; do
  head -c $((100000 + i * 977)) /dev/urandom >"$SCRATCH/par$i"
  curl -s -m 60 -o "$SCRATCH/par$i.put" -w '%{http_code}' -X PUT -H "X-Pail-Token: $TOKEN" \
    -T "$SCRATCH/par$i" "${SERVE_URL}api/object?key=par/$i.bin" >"$SCRATCH/par$i.code" &
  clients="$clients $!"
  i=$((i + 1))
done
wait $clients
clients=
i=0
while [ "$i" -lt 16 ]; do
  curl -s -m 60 -o "$SCRATCH/par$i.get" -H "X-Pail-Token: $TOKEN" \
    "${SERVE_URL}api/download?key=par/$i.bin" &
  clients="$clients $!"
  i=$((i + 1))
done
wait $clients
same=0
i=0
while [ "$i" -lt 16 ]; do
  [ "$(cat "$SCRATCH/par$i.code")" = 201 ] && cmp -s "$SCRATCH/par$i" "$SCRATCH/plain/par/$i.bin" &&
    cmp -s "$SCRATCH/par$i" "$SCRATCH/par$i.get" && same=$((same + 1))
  i=$((i + 1))
done
check "16 parallel uploads and downloads are all whole ($same of 16)" test "$same" -eq 16

# -------------------------------------------------------------- memory
# 128 MiB through a server whose peak resident set stays under 64 MiB: the
# upload is streamed to the writer and the download from a reader.
head -c 134217728 /dev/zero | tr '\0' 'z' >"$SCRATCH/big"
serve_pid=$(pgrep -g "$SERVE_PGID" -x pail | head -n 1)
[ -n "$serve_pid" ] || serve_pid=$SERVE_PGID
call PUT "/api/object?key=big.bin" -T "$SCRATCH/big"
expect_code 201 "a 128 MiB upload"
check "it is stored whole" cmp -s "$SCRATCH/big" "$SCRATCH/plain/big.bin"
call GET "/api/download?key=big.bin"
expect_code 200 "a 128 MiB download"
check "it comes back whole" cmp -s "$SCRATCH/big" "$BODY"
peak=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$serve_pid/status")
echo "pail serve's peak resident memory after 128 MiB up and down: ${peak:-?} kB"
if [ -n "$peak" ] && [ "$peak" -lt 65536 ]; then
  pass "the server's peak memory stays under 64 MiB ($peak kB)"
else
  fail "the server's peak memory: ${peak:-unknown} kB"
fi
rm -f "$SCRATCH/big" "$SCRATCH/plain/big.bin" "$BODY"
serve_stop

# ============================================================= S3 (moto)
if ! command -v moto_server >/dev/null 2>&1 || ! command -v aws >/dev/null 2>&1; then
  echo "NOTE: moto_server or the aws CLI is missing: the S3 part is skipped"
  finish
fi
. "$top_srcdir/tests/s3_lib.sh"
trap 'serve_stop; s3_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
run_pail --config "$S3_SETTINGS" mb
expect_status 0 "the bucket is created"
if ! serve_start --config "$S3_SETTINGS"; then
  fail "pail serve starts on the S3 workspace"
  finish
fi
TOKEN=$SERVE_TOKEN
head -c 6000000 /dev/urandom >"$SCRATCH/six"
call PUT "/api/object?key=data/six.bin" -T "$SCRATCH/six"
expect_code 201 "a 6 MB upload to S3"
if s3_aws s3 cp "s3://$S3_BUCKET/data/six.bin" "$SCRATCH/six.back" >/dev/null 2>&1 &&
  cmp -s "$SCRATCH/six" "$SCRATCH/six.back"; then
  pass "the aws CLI reads the upload back the same"
else
  fail "the aws CLI does not read the upload back the same"
fi
call GET "/api/download?key=data/six.bin" -H 'Range: bytes=5999990-'
expect_code 206 "a range of an S3 object"
check "the range has the last 10 bytes" sh -c "tail -c 10 '$SCRATCH/six' | cmp -s - '$BODY'"
call PUT "/api/object?key=data/six.bin&no_clobber=1" --data-binary x
expect_error 409 "conflict" "" "no_clobber on an existing object"
call GET "/api/stat?key=data/six.bin"
expect_json "d['info']['size']" 6000000 "stat on S3"
call GET "/api/download?key=data/missing"
expect_error 404 "not found" "data/missing" "a missing S3 object"
gets_before=$(grep -c 'GET /pail-test/data/six.bin' "$S3_MOTO_LOG")
head_download "${SERVE_URL}api/download?key=data/six.bin"
gets_after=$(grep -c 'GET /pail-test/data/six.bin' "$S3_MOTO_LOG")
if [ "$CODE" = 200 ] && grep -qi '^content-length: 6000000' "$BODY" &&
  [ "$gets_before" = "$gets_after" ]; then
  pass "HEAD of an S3 download reads no byte of it (no GET reached moto)"
else
  fail "HEAD of an S3 download: HTTP $CODE, GETs $gets_before -> $gets_after"
fi
for key in '../x' '%2e%2e%2fx' '/x' 'a%00b' 'a//b'; do
  call GET "/api/stat?key=$key"
  expect_code 400 "S3: key $key is refused before moto sees it"
done
check "moto never saw a refused key" sh -c "! grep -Eq '/pail-test/(\\.\\.|%2[eE]|a%00|a//|/x)' '$S3_MOTO_LOG'"
# moto 5.2 cannot check the signature of a delimited listing (s3_cli.sh).
echo "NOTE: moto cannot check the signature of a delimited listing; signature checking off for the listings"
s3_signature_checks off
call GET "/api/sign?key=data/six.bin"
url=$(json "d['url']")
case $url in
http://127.0.0.1:$S3_PORT/$S3_BUCKET/data/six.bin\?*X-Amz-Signature=*) pass "sign gives a presigned S3 URL" ;;
*) fail "sign: $(head -c 300 "$BODY")" ;;
esac
if curl -sf -o "$SCRATCH/six.signed" "$url" && cmp -s "$SCRATCH/six" "$SCRATCH/six.signed"; then
  pass "the presigned URL serves the object"
else
  fail "the presigned URL $url"
fi
i=0
while [ "$i" -lt 5 ]; do
  call PUT "/api/object?key=data/p$i.txt" --data-binary "p$i"
  i=$((i + 1))
done
call GET "/api/list?prefix=data/&max_keys=2"
expect_json "[e['key'] for e in d['entries']]" "['data/p0.txt', 'data/p1.txt']" "S3 page 1"
token=$(json "d['next_page_token']")
call GET "/api/list?prefix=data/&max_keys=2&page_token=$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe=""))' "$token")"
expect_json "[e['key'] for e in d['entries']]" "['data/p2.txt', 'data/p3.txt']" "S3 page 2"
call GET "/api/list?prefix="
expect_json "[e['key'] for e in d['entries']]" "['data/']" "S3 folders"
s3_signature_checks on
call DELETE "/api/object?key=data/six.bin"
expect_code 200 "delete on S3"
check "the aws CLI no longer finds it" aws_lacks_key data/six.bin
if grep -qF "$S3_SECRET_KEY" "$SCRATCH/serve.log" "$SCRATCH/answers"; then
  fail "the secret key appears in the server's output"
else
  pass "the secret key appears nowhere in the server's output"
fi
serve_stop
finish
