# serve_lib.sh: starts `pail serve` for a test (sourced after lib.sh).
#
# Gives: serve_start ARGS...  starts pail serve --listen 127.0.0.1:0 --json
#                             with ARGS (global options such as --config
#                             may be among them) and waits for its URL;
#                             sets SERVE_URL (http://127.0.0.1:PORT/),
#                             SERVE_PORT, SERVE_PGID, and SERVE_TOKEN when
#                             the server made the token itself
#        serve_stop           stops it, and the second gateway (also on
#                             exit, with whatever the test's own trap runs:
#                             call it there)
#        serve_s3_endpoint [LOG] prints the S3 gateway's endpoint
#                             (serve_start --s3-listen ...; from LOG, else
#                             the server's), empty when there is none
#        serve_second_start ARGS... a second `pail serve --s3-listen` with
#                             ARGS, on the same settings (gateways that
#                             share uploads); sets SERVE2_S3_ENDPOINT
#                             (empty when it did not start) and SERVE2_PGID
#        serve_second_stop    stops it
#        serve_checks LABEL WHAT COMMAND...
#                             runs a client's checks (COMMAND, such as
#                             `env VAR=... python3 SCRIPT`), shows what it
#                             printed with LABEL before each line, and
#                             passes or fails WHAT by its exit status; the
#                             output stays in $SCRATCH/checks.log
#        serve_mint VAR ARGS... mints gateway keys with pail credentials
#                             ARGS (checked to exit 0 and to hold only the
#                             id, the secret and the expiry); sets
#                             VAR_KEY_ID and VAR_SECRET
#        serve_mint_suite     the four keys boto3's suite takes: ALL, RO
#                             (read,list), SCOPED (a/), EXPIRED (1 s)
#        serve_boto3 LABEL WHAT BUCKET [VAR=VALUE...]
#                             boto3's whole suite (tests/gateway_boto3.py)
#                             against BUCKET at $ENDPOINT with those keys
#                             (serve_checks), VARs added to its environment
# The server runs in a process group of its own (spawn_server), its output
# in $SCRATCH/serve.log. Port 0: the system picks a free port and the
# server prints it, so there is no race for the port.

SERVE_PGID=
SERVE2_PGID=
SERVE_LOG=$SCRATCH/serve.log

serve_stop() {
  serve_second_stop
  [ -n "$SERVE_PGID" ] || return 0
  group_stop "$SERVE_PGID"
  SERVE_PGID=
  serve_sanitizer_check "$SERVE_LOG"
}

# Under --enable-sanitizers a server reports memory errors and leaks in its
# log (at exit, for leaks): they fail the test.
serve_sanitizer_check() {
  if grep -q 'Sanitizer' "$1"; then
    fail "pail serve's sanitizer report:"
    sed 's/^/  | /' "$1" >&2
  fi
}

serve_start() {
  : >"$SERVE_LOG"
  spawn_server "$SERVE_LOG" "$PAIL" serve --listen 127.0.0.1:0 --json "$@"
  SERVE_PGID=$SPAWNED_PID
  serve_tries=0
  SERVE_URL=
  while [ "$serve_tries" -lt 300 ]; do
    SERVE_URL=$(sed -n 's/^{"url":"\([^"]*\)".*/\1/p' "$SERVE_LOG" | head -n 1)
    [ -n "$SERVE_URL" ] && break
    process_running "$SERVE_PGID" || break
    sleep 0.1
    serve_tries=$((serve_tries + 1))
  done
  if [ -z "$SERVE_URL" ]; then
    echo "pail serve did not start:" >&2
    sed 's/^/  | /' "$SERVE_LOG" >&2
    serve_stop
    return 1
  fi
  SERVE_PORT=$(echo "$SERVE_URL" | sed 's|.*:\([0-9]*\)/$|\1|')
  SERVE_TOKEN=$(sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p' "$SERVE_LOG" | head -n 1)
  wait_listening "$SERVE_PGID" "$SERVE_PORT" 10
}

serve_s3_endpoint() {
  sed -n 's/.*"s3_endpoint":"\([^"]*\)".*/\1/p' "${1:-$SERVE_LOG}" | head -n 1
}

serve_second_start() {
  spawn_server "$SCRATCH/serve2.log" "$PAIL" serve --listen 127.0.0.1:0 \
    --json --s3-listen 127.0.0.1:0 "$@"
  SERVE2_PGID=$SPAWNED_PID
  serve_tries=0
  SERVE2_S3_ENDPOINT=
  while [ -z "$SERVE2_S3_ENDPOINT" ] && [ "$serve_tries" -lt 300 ] &&
    process_running "$SERVE2_PGID"; do
    sleep 0.1
    SERVE2_S3_ENDPOINT=$(serve_s3_endpoint "$SCRATCH/serve2.log")
    serve_tries=$((serve_tries + 1))
  done
  [ -n "$SERVE2_S3_ENDPOINT" ] || return 1
  wait_listening "$SERVE2_PGID" "${SERVE2_S3_ENDPOINT##*:}" 10
}

serve_second_stop() {
  [ -n "$SERVE2_PGID" ] || return 0
  group_stop "$SERVE2_PGID"
  SERVE2_PGID=
  serve_sanitizer_check "$SCRATCH/serve2.log"
}

serve_checks() {
  serve_checks_label=$1
  serve_checks_what=$2
  shift 2
  "$@" >"$SCRATCH/checks.log" 2>&1
  serve_checks_status=$?
  sed "s/^/  $serve_checks_label: /" "$SCRATCH/checks.log"
  if [ "$serve_checks_status" -eq 0 ]; then
    pass "$serve_checks_what"
  else
    fail "$serve_checks_what (exit $serve_checks_status)"
  fi
}

serve_mint_suite() {
  serve_mint ALL
  serve_mint RO --allow read,list
  serve_mint SCOPED --prefix a/
  serve_mint EXPIRED --expires 1
}

serve_boto3() {
  serve_boto3_label=$1 serve_boto3_what=$2 serve_boto3_bucket=$3
  shift 3
  serve_checks "$serve_boto3_label" "$serve_boto3_what" \
    env GATEWAY_ENDPOINT="$ENDPOINT" GATEWAY_BUCKET="$serve_boto3_bucket" \
    GATEWAY_KEY_ID="$ALL_KEY_ID" GATEWAY_SECRET="$ALL_SECRET" \
    GATEWAY_RO_KEY_ID="$RO_KEY_ID" GATEWAY_RO_SECRET="$RO_SECRET" \
    GATEWAY_SCOPED_KEY_ID="$SCOPED_KEY_ID" GATEWAY_SCOPED_SECRET="$SCOPED_SECRET" \
    GATEWAY_EXPIRED_KEY_ID="$EXPIRED_KEY_ID" GATEWAY_EXPIRED_SECRET="$EXPIRED_SECRET" \
    "$@" python3 "$top_srcdir/tests/gateway_boto3.py"
}

serve_mint() {
  serve_mint_var=$1
  shift
  run_pail credentials "$@"
  expect_status 0 "pail credentials $*"
  # The keys are all a client holds: nothing of a storage, no session token.
  check "pail credentials $* prints the id, the secret and the expiry only" \
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(sorted(d) != ["access_key_id", "expires_at", "secret_access_key"]
         or not d["access_key_id"].startswith("PK1"))' "$OUT"
  eval "${serve_mint_var}_KEY_ID=\$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"access_key_id\"])' \"\$OUT\")"
  eval "${serve_mint_var}_SECRET=\$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"secret_access_key\"])' \"\$OUT\")"
}
