# azure_lib.sh: a private Azurite for the Azure tests (sourced after
# lib.sh, by a test that set AZURE_TOOLS first, see below).
#
# Starts azurite-blob on 127.0.0.1 on a free port, with a private data
# directory, telemetry off and signature checking (SharedKey and SAS) on, as
# DESIGN.md section 6 says; account devstoreaccount1 with its published key.
# Then writes a pail settings file for one container.
#
# Needs:  AZURE_TOOLS  the node_modules directory holding azurite and
#                      @azure/storage-blob (scripts/install-deps.sh puts them
#                      in ${XDG_CACHE_HOME:-~/.cache}/pail/azurite), found by
#                      azure_find_tools before lib.sh moves HOME
# Sets:  AZURE_PORT AZURE_URL (http://127.0.0.1:PORT/devstoreaccount1)
#        AZURE_ACCOUNT AZURE_KEY AZURE_CONTAINER AZURE_SETTINGS AZURE_LOG
# Gives: azure_sdk ARGS...        tests/azure_sdk.js, the Azure SDK as an
#                                 independent client of the same Azurite
#        azure_settings FILE [KEY] writes settings, optionally another key
#        azure_start_azurite [ARGS...] (re)starts Azurite on AZURE_PORT's
#                                 data, with extra arguments (--cert, ...)
#        azure_stop               stops Azurite (also run on exit)
#
# Skips the test (exit 77) only when Azurite, the SDK or node is missing.
# Nothing but loopback is ever contacted. The helpers' variables all start
# with azure_ (sh has no local variables).

if [ -z "${AZURE_TOOLS:-}" ] || [ ! -x "$AZURE_TOOLS/.bin/azurite-blob" ]; then
  echo "SKIP: Azurite is not installed (scripts/install-deps.sh installs it with npm into ~/.cache/pail/azurite; or set AZURE_TOOLS to a node_modules directory holding azurite and @azure/storage-blob)"
  exit 77
fi
if [ ! -d "$AZURE_TOOLS/@azure/storage-blob" ]; then
  echo "SKIP: @azure/storage-blob is not installed beside Azurite in $AZURE_TOOLS (scripts/install-deps.sh installs both)"
  exit 77
fi
if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not installed"
  exit 77
fi

# No Azure setting of the machine may leak in, and no proxy stands between
# pail and loopback.
for name in $(env | sed -n 's/^\(AZURE_STORAGE_[A-Za-z0-9_]*\)=.*/\1/p'); do
  unset "$name"
done
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
unset CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR
export NO_PROXY='127.0.0.1,localhost' no_proxy='127.0.0.1,localhost'

AZURE_ACCOUNT=devstoreaccount1
AZURE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
AZURE_CONTAINER=pail-test
AZURE_PGID=
AZURE_LOG=$SCRATCH/azurite.log
AZURE_DATA=$SCRATCH/azurite-data
AZURE_SCHEME=http
mkdir -p "$AZURE_DATA"

# azure_stop: stops Azurite and everything in its process group, and waits
# until it is gone. Safe to call twice.
azure_stop() {
  [ -n "$AZURE_PGID" ] || return 0
  group_stop "$AZURE_PGID"
  AZURE_PGID=
}

trap 'azure_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# azure_start_azurite [ARGS...]: starts Azurite on AZURE_PORT (a free port
# is chosen when it is empty) with ARGS added; returns 0 once it accepts TCP
# connections. Azurite runs in a session of its own so that azure_stop can
# take all of it, and dies with this shell in any case (PR_SET_PDEATHSIG).
azure_start_azurite() {
  azure_attempt=0
  azure_fixed_port=${AZURE_PORT:-}
  while [ "$azure_attempt" -lt 5 ]; do
    azure_attempt=$((azure_attempt + 1))
    AZURE_PORT=${azure_fixed_port:-$(free_port)} || return 1
    spawn_server "$AZURE_LOG" "$AZURE_TOOLS/.bin/azurite-blob" \
      --blobHost 127.0.0.1 --blobPort "$AZURE_PORT" --location "$AZURE_DATA" \
      --disableTelemetry --skipApiVersionCheck "$@"
    AZURE_PGID=$SPAWNED_PID
    wait_listening "$AZURE_PGID" "$AZURE_PORT" 60
    case $? in
    0) return 0 ;;
    2)
      azure_stop
      if [ -z "$azure_fixed_port" ] && grep -q 'EADDRINUSE' "$AZURE_LOG"; then
        continue
      fi
      echo "azurite-blob exited at startup:" >&2
      sed 's/^/  | /' "$AZURE_LOG" >&2
      return 1
      ;;
    *)
      azure_stop
      echo "azurite-blob did not accept connections within 60 s:" >&2
      sed 's/^/  | /' "$AZURE_LOG" >&2
      return 1
      ;;
    esac
  done
  echo "azurite-blob: no free port after $azure_attempt attempts" >&2
  return 1
}

# azure_sdk ARGS...: the Azure SDK against this Azurite (tests/azure_sdk.js).
azure_sdk() {
  NODE_PATH=$AZURE_TOOLS AZURE_URL=$AZURE_URL AZURE_ACCOUNT=$AZURE_ACCOUNT \
    AZURE_KEY=$AZURE_KEY AZURE_CONTAINER=$AZURE_CONTAINER \
    node "$top_srcdir/tests/azure_sdk.js" "$@"
}

# azure_settings FILE [KEY]: pail settings for the container on Azurite,
# with the account key, or with KEY in its place.
azure_settings() {
  cat >"$1" <<EOF
{ "storage": { "type": "azure_blob", "accountName": "$AZURE_ACCOUNT",
               "containerName": "$AZURE_CONTAINER",
               "accessKey": "${2:-$AZURE_KEY}",
               "endpoint": "127.0.0.1:$AZURE_PORT", "useSSL": false } }
EOF
}

AZURE_STARTED_MS=$(now_ms)
AZURE_PORT=
if ! azure_start_azurite; then
  fail "Azurite does not start"
  finish
fi
AZURE_URL=http://127.0.0.1:$AZURE_PORT/$AZURE_ACCOUNT
AZURE_SETTINGS=$SCRATCH/azure.json
azure_settings "$AZURE_SETTINGS"
printf 'Azurite %s on 127.0.0.1:%s: listening after %d ms\n' \
  "$(cat "$AZURE_TOOLS/azurite/package.json" | sed -n 's/^  "version": "\(.*\)",$/\1/p')" \
  "$AZURE_PORT" $(($(now_ms) - AZURE_STARTED_MS))
