# proxy_lib.sh: tests/fault_proxy.py in front of a test server (sourced
# after lib.sh and the server's own library). Set PROXY_UPSTREAM_PORT (the
# server's port) and PROXY_SETTINGS (pail settings for the server) first;
# call proxy_stop from the script's EXIT trap.

PROXY_PID=
PROXY_LOG=$SCRATCH/proxy.log

proxy_stop() {
  [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null && wait "$PROXY_PID" 2>/dev/null
  PROXY_PID=
}

# proxy_start ARGS...: a fresh proxy with fault_proxy.py's ARGS (--rule
# 'METHOD PATH FAULT [BYTES] [COUNT]', or --seed N --rate R) and an empty
# log; sets PROXY_PORT and writes $SCRATCH/proxy.json, the settings with
# the proxy in place of the server.
proxy_start() {
  proxy_stop
  rm -f "$SCRATCH/proxy.port"
  : >"$PROXY_LOG"
  python3 "$top_srcdir/tests/fault_proxy.py" \
    --upstream "127.0.0.1:${PROXY_UPSTREAM_PORT:?}" \
    --port-file "$SCRATCH/proxy.port" --log "$PROXY_LOG" "$@" &
  PROXY_PID=$!
  tries=0
  until [ -s "$SCRATCH/proxy.port" ]; do
    tries=$((tries + 1))
    [ "$tries" -lt 100 ] || {
      fail "fault proxy does not start"
      finish
    }
    sleep 0.1
  done
  PROXY_PORT=$(cat "$SCRATCH/proxy.port")
  sed "s/127.0.0.1:$PROXY_UPSTREAM_PORT/127.0.0.1:$PROXY_PORT/" \
    "${PROXY_SETTINGS:?}" >"$SCRATCH/proxy.json"
}

# soak_run SETTINGS OPS SEED WHAT: tests/soak.py's mixed operations through
# the proxy in its random mode, against the storage of SETTINGS (made first
# with mb): OPS operations under SEED at a 4 % fault rate, unless
# PAIL_SOAK_OPS, PAIL_SOAK_SEED or PAIL_SOAK_RATE say otherwise. WHAT names
# what must stay whole ("object", "blob"). PROXY_LOG holds the requests.
soak_run() {
  soak_settings=$1
  OPS=${PAIL_SOAK_OPS:-$2}
  SEED=${PAIL_SOAK_SEED:-$3}
  RATE=${PAIL_SOAK_RATE:-0.04}
  proxy_start --seed "$SEED" --rate "$RATE"
  "$PAIL" --config "$soak_settings" mb >/dev/null || {
    fail "mb"
    finish
  }
  mkdir -p "$SCRATCH/soak"
  # A stalled transfer is given up after 2 s instead of 30.
  PAIL_HTTP_LOW_SPEED_TIME=2
  export PAIL_HTTP_LOW_SPEED_TIME
  soak_started=$(now_ms)
  check "$OPS operations through faults (seed $SEED, rate $RATE) keep every $4 whole" \
    python3 "$top_srcdir/tests/soak.py" --pail "$PAIL" \
    --faulty "$SCRATCH/proxy.json" --direct "$soak_settings" --seed "$SEED" \
    --ops "$OPS" --scratch "$SCRATCH/soak"
  printf 'soak took %d s; the proxy broke %d of %d requests\n' \
    $((($(now_ms) - soak_started) / 1000)) \
    "$(grep -Ec ' (reset|truncate|stall|status)' "$PROXY_LOG")" \
    "$(wc -l <"$PROXY_LOG")"
}
