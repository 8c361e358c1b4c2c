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
