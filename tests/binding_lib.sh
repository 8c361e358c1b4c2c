# binding_lib.sh: what the language bindings' drivers (python_binding.sh,
# node_binding.sh) share, sourced once their own skips are decided: lib.sh,
# moto (tests/s3_lib.sh) and Azurite (tests/azure_lib.sh) started, the
# bucket and the container made with the CLI, and moto's signature
# checking off where moto refuses the signature of a listing with a prefix
# (its '/' is sent as %2F; tests/s3_lib.sh, moto_refuses). The bindings
# sign nothing themselves: the signing of such requests is s3_cli.sh's and
# test_s3's. $BINDING_SUITE names the suite in the note.
#
# Besides, `pail serve --s3-listen` over the fs default ($PAIL_HOME, the
# tests' fs workspace) with two minted keys, one read-only, for a worker
# without storage credentials: PAIL_TEST_GATEWAY (its endpoint),
# PAIL_TEST_GATEWAY_KEY_ID and _SECRET, PAIL_TEST_GATEWAY_RO_KEY_ID and
# _SECRET.
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/s3_lib.sh"
. "$top_srcdir/tests/azure_lib.sh"
. "$top_srcdir/tests/serve_lib.sh"
# The servers stop on exit (each library's trap replaced the other's).
trap 's3_stop; azure_stop; serve_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT

run_pail --config "$S3_SETTINGS" mb
expect_status 0 "the bucket on moto"
run_pail --config "$AZURE_SETTINGS" mb
expect_status 0 "the container on Azurite"
s3_probe_listings
if [ "$MOTO_REFUSES_LISTINGS" = yes ]; then
  echo "NOTE: ${BINDING_SUITE:?} runs with moto's signature checking off"
  s3_signature_checks off
fi

if serve_start --s3-listen 127.0.0.1:0; then
  PAIL_TEST_GATEWAY=$(serve_s3_endpoint)
else
  fail "pail serve --s3-listen, for ${BINDING_SUITE:?}"
  PAIL_TEST_GATEWAY=http://127.0.0.1:1
fi
serve_mint GATEWAY_ALL --expires 3600
serve_mint GATEWAY_RO --allow read,list --expires 3600
export PAIL_TEST_GATEWAY PAIL_TEST_GATEWAY_KEY_ID="$GATEWAY_ALL_KEY_ID" \
  PAIL_TEST_GATEWAY_SECRET="$GATEWAY_ALL_SECRET" \
  PAIL_TEST_GATEWAY_RO_KEY_ID="$GATEWAY_RO_KEY_ID" \
  PAIL_TEST_GATEWAY_RO_SECRET="$GATEWAY_RO_SECRET"
