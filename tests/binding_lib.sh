# binding_lib.sh: what the language bindings' drivers (python_binding.sh,
# node_binding.sh) share, sourced once their own skips are decided: lib.sh,
# moto (tests/s3_lib.sh) and Azurite (tests/azure_lib.sh) started, the
# bucket and the container made with the CLI, and moto's signature
# checking off where moto refuses the signature of a listing with a prefix
# (its '/' is sent as %2F; tests/s3_lib.sh, moto_refuses). The bindings
# sign nothing themselves: the signing of such requests is s3_cli.sh's and
# test_s3's. $BINDING_SUITE names the suite in the note.
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/s3_lib.sh"
. "$top_srcdir/tests/azure_lib.sh"
# Both servers stop on exit (each library's trap replaced the other's).
trap 's3_stop; azure_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT

run_pail --config "$S3_SETTINGS" mb
expect_status 0 "the bucket on moto"
run_pail --config "$AZURE_SETTINGS" mb
expect_status 0 "the container on Azurite"
s3_probe_listings
if [ "$MOTO_REFUSES_LISTINGS" = yes ]; then
  echo "NOTE: ${BINDING_SUITE:?} runs with moto's signature checking off"
  s3_signature_checks off
fi
