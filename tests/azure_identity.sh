#!/bin/sh
# azure_identity.sh: Microsoft Entra ID bearer tokens (issue 19) against
# Azurite with `--oauth basic`, which takes bearer tokens only over HTTPS
# and refuses one whose audience, issuer or lifetime is wrong (an expired
# token is refused: the refresh is proven, not assumed). Tokens come from
# tests/entra_fixture.py, which checks the client's credentials as Entra ID
# would: a client secret from the settings, workload identity from
# AZURE_FEDERATED_TOKEN_FILE, App Service's managed identity
# (IDENTITY_ENDPOINT, IDENTITY_HEADER) and the instance metadata's; each
# failure named with its source, never with the secret; an upload that
# outlives 12-second tokens.
if [ -z "${AZURE_TOOLS:-}" ]; then
  AZURE_TOOLS=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/pail/azurite/node_modules
fi
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/azure_lib.sh"
trap 'fixture_stop "$SCRATCH/entra"; azure_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT

TLS=$SCRATCH/tls
if ! make_tls "$TLS"; then
  fail "openssl cannot make the test certificates: $(cat "$TLS/openssl.log")"
  finish
fi
azure_stop
AZURE_PORT=
if ! azure_start_azurite --oauth basic --cert "$TLS/server.pem" --key "$TLS/server.key"; then
  fail "Azurite with --oauth basic does not start"
  finish
fi

TENANT=72f988bf-86f1-41af-91ab-2d7cd011db47
CLIENT=0b1a2c3d-0000-4000-8000-00000000c1d1
SECRET='fixture-client-secret~1'
ENTRA=$SCRATCH/entra
mkdir -p "$ENTRA"
printf 'federated-token-one\n' >"$ENTRA/assertion"
# entra_start LIFETIME: the token endpoints, at ENTRA_URL.
entra_start() {
  rm -f "$ENTRA/tokens" "$ENTRA/mode"
  fixture_start "$ENTRA" python3 "$top_srcdir/tests/entra_fixture.py" \
    --tenant "$TENANT" --client "$CLIENT" --secret "$SECRET" \
    --assertion-file "$ENTRA/assertion" --identity-header header-1 \
    --state "$ENTRA" --lifetime "$1" || finish
  ENTRA_URL=http://127.0.0.1:$FIXTURE_PORT
}
tokens() { cat "$ENTRA/tokens" 2>/dev/null || echo 0; }

# settings FILE [EXTRA]: the container over HTTPS, without credentials,
# EXTRA (JSON members) added.
settings() {
  cat >"$1" <<EOF
{ "storage": { "type": "azure_blob", "accountName": "$AZURE_ACCOUNT",
               "containerName": "$AZURE_CONTAINER",
               "endpoint": "127.0.0.1:$AZURE_PORT", "useSSL": true,
               "caBundle": "$TLS/ca.pem"${2:+, $2} } }
EOF
}
settings "$SCRATCH/key.json" "\"accessKey\": \"$AZURE_KEY\""
run_pail --config "$SCRATCH/key.json" mb
expect_status 0 "create the container with the account key"
head -c 100000 /dev/urandom >"$SCRATCH/blob"

entra_start 3600
# ------------------------------------------------------------ client secret
settings "$SCRATCH/secret.json" "\"tenantId\": \"$TENANT\", \"clientId\": \"$CLIENT\", \"clientSecret\": \"$SECRET\", \"authorityHost\": \"$ENTRA_URL\""
run_pail --config "$SCRATCH/secret.json" -vv put "$SCRATCH/blob" entra/blob
expect_status 0 "client secret: put with a bearer token"
expect_stderr 'credential: Entra ID client secret \(the settings clientSecret\)|Entra ID client secret' \
  "pail -vv names the source"
check "... one token" test "$(tokens)" -eq 1
run_pail --config "$SCRATCH/secret.json" cat entra/blob
expect_status 0 "client secret: read"
check "... the same bytes" cmp -s "$OUT" "$SCRATCH/blob"
run_pail --config "$SCRATCH/secret.json" cp entra/blob entra/copy
expect_status 0 "client secret: a server-side copy"
run_pail --config "$SCRATCH/secret.json" ls entra/
check "... listed" grep -q 'entra/copy' "$OUT"
run_pail --config "$SCRATCH/secret.json" sign entra/blob
check "pail sign without an account key is refused" test "$STATUS" -ne 0
expect_stderr 'user delegation SAS for Entra ID credentials is not supported yet' "... and says why"

settings "$SCRATCH/wrong.json" "\"tenantId\": \"$TENANT\", \"clientId\": \"$CLIENT\", \"clientSecret\": \"not-the-secret\", \"authorityHost\": \"$ENTRA_URL\""
run_pail --config "$SCRATCH/wrong.json" ls
check "a wrong client secret is refused" test "$STATUS" -ne 0
expect_stderr 'Entra ID client secret .*: the token request was refused \(HTTP 401\): AADSTS7000215' \
  "... naming the source and Entra's message"
check "... without the secret" sh -c "! grep -q 'not-the-secret' '$ERR'"
settings "$SCRATCH/remote.json" "\"tenantId\": \"$TENANT\", \"clientId\": \"$CLIENT\", \"clientSecret\": \"$SECRET\", \"authorityHost\": \"http://login.example.com\""
run_pail --config "$SCRATCH/remote.json" ls
check "a plain-HTTP authority off loopback is refused" test "$STATUS" -ne 0
expect_stderr 'must be an https:// URL' "... before a secret is sent"
settings "$SCRATCH/half.json" "\"tenantId\": \"$TENANT\", \"clientId\": \"$CLIENT\""
run_pail --config "$SCRATCH/half.json" ls
check "tenantId and clientId without a secret are refused" test "$STATUS" -ne 0

# ------------------------------------------------------- workload identity
settings "$SCRATCH/bare.json"
export AZURE_TENANT_ID=$TENANT AZURE_CLIENT_ID=$CLIENT \
  AZURE_FEDERATED_TOKEN_FILE=$ENTRA/assertion AZURE_AUTHORITY_HOST=$ENTRA_URL
run_pail --config "$SCRATCH/bare.json" cat entra/blob
expect_status 0 "workload identity: read"
check "... the same bytes" cmp -s "$OUT" "$SCRATCH/blob"
cp "$ENTRA/assertion" "$SCRATCH/assertion"
export AZURE_FEDERATED_TOKEN_FILE=$SCRATCH/assertion
printf 'federated-token-two\n' >"$ENTRA/assertion" # the issuer rotated it
run_pail --config "$SCRATCH/bare.json" ls
check "a stale federated token is refused" test "$STATUS" -ne 0
expect_stderr 'workload identity .*AADSTS700211' "... naming the source"
check "... without the token" sh -c "! grep -q 'federated-token-one' '$ERR'"
unset AZURE_TENANT_ID AZURE_CLIENT_ID AZURE_FEDERATED_TOKEN_FILE AZURE_AUTHORITY_HOST

# -------------------------------------------------------- managed identity
export IDENTITY_ENDPOINT=$ENTRA_URL/msi/token IDENTITY_HEADER=header-1
run_pail --config "$SCRATCH/bare.json" cat entra/blob
expect_status 0 "App Service managed identity: read"
export IDENTITY_HEADER=header-2
run_pail --config "$SCRATCH/bare.json" ls
check "a wrong identity header is refused" test "$STATUS" -ne 0
expect_stderr 'managed identity \(IDENTITY_ENDPOINT, IDENTITY_HEADER\): the token request was refused \(HTTP 401\)' \
  "... naming the source"
unset IDENTITY_ENDPOINT IDENTITY_HEADER
export AZURE_POD_IDENTITY_AUTHORITY_HOST=$ENTRA_URL
run_pail --config "$SCRATCH/bare.json" -vv cat entra/blob
expect_status 0 "instance metadata managed identity: read"
expect_stderr "managed identity \\(the instance metadata at $ENTRA_URL" "... named as the source"
echo hang >"$ENTRA/mode"
started=$(now_ms)
run_pail --config "$SCRATCH/bare.json" ls
took=$(($(now_ms) - started))
check "an instance metadata endpoint that hangs fails" test "$STATUS" -ne 0
# The fixture hangs for 30 s; pail gives up after 1 s (a loose bound:
# machines here are loaded, and speed lives in bench/).
check "... after its 1 s timeout, not the endpoint's 30 s ($took ms in all)" test "$took" -lt 10000
rm -f "$ENTRA/mode"
export AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:1
run_pail --config "$SCRATCH/bare.json" ls
check "with nothing at all, the managed identity's failure is the error" test "$STATUS" -ne 0
expect_stderr 'access denied: azure_blob: no credentials for container .*, and no managed identity answered at http://127.0.0.1:1/' \
  "... as no credentials anywhere, listing every source"
fixture_stop "$ENTRA"

# Tokens of 12 s, and an upload of 16 s whose stream brings a block every
# half second: Azurite refuses an expired token, so the later blocks and
# the commit succeed only with refreshed ones. (A block is signed when it
# is queued and sent when the writer next runs: a stream that stalls
# longer than a token's last tenth of its life between the two would send
# an expired one; see docs/azure.md.)
entra_start 12
settings "$SCRATCH/blocks.json" "\"tenantId\": \"$TENANT\", \"clientId\": \"$CLIENT\", \"clientSecret\": \"$SECRET\", \"authorityHost\": \"$ENTRA_URL\", \"blockSize\": 1048576"
head -c 33554432 /dev/urandom >"$SCRATCH/big"
mkfifo "$SCRATCH/slow"
(i=0; while [ $i -lt 32 ]; do
  dd if="$SCRATCH/big" bs=1048576 skip=$i count=1 2>/dev/null; sleep 0.5; i=$((i + 1))
done) >"$SCRATCH/slow" &
run_pail --config "$SCRATCH/blocks.json" put - entra/slow <"$SCRATCH/slow"
expect_status 0 "an upload that outlives its token"
check "... refreshed it (tokens: $(tokens))" test "$(tokens)" -ge 2
run_pail --config "$SCRATCH/blocks.json" cat entra/slow
check "... and stored the bytes" cmp -s "$OUT" "$SCRATCH/big"
finish
