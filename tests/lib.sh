# lib.sh: helpers shared by the shell tests (sourced, not run).
#
# Each test gets a private scratch directory ($SCRATCH) and a private
# environment: HOME, XDG_* and PAIL_* point inside it, so no test reads or
# writes the user's own settings, data or keys. Everything is removed on exit.

set -u

: "${PAIL:?PAIL must name the pail binary (make check sets it)}"
: "${top_builddir:?}" "${top_srcdir:?}"

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/pail-test.XXXXXX")
trap 'chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
export HOME="$SCRATCH/home"
export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share"
export PAIL_HOME="$SCRATCH/store"
unset PAIL_CONFIG PAIL_PLUGIN_PATH PAIL_USER PAIL_WORKSPACE_KEY XDG_CONFIG_DIRS
# No test may reach a cloud metadata address (169.254.169.254): the AWS
# credential chain's last source stays off unless a test points it at a
# fixture on loopback.
export AWS_EC2_METADATA_DISABLED=true
unset AWS_EC2_METADATA_SERVICE_ENDPOINT AWS_CONTAINER_CREDENTIALS_FULL_URI \
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
# Azure's chain ends with a managed identity too, which has no switch: its
# instance metadata host points at a closed loopback port, and no App
# Service identity or Entra ID variable of the machine leaks in.
export AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:1
unset IDENTITY_ENDPOINT IDENTITY_HEADER AZURE_TENANT_ID AZURE_CLIENT_ID \
  AZURE_CLIENT_SECRET AZURE_FEDERATED_TOKEN_FILE AZURE_AUTHORITY_HOST
mkdir -p "$HOME"

# Under `make check-valgrind` every pail run goes through valgrind
# (PAIL_VALGRIND: the command and its options); an error or a leak makes it
# exit 99, which fails the check that ran it.
if [ -n "${PAIL_VALGRIND:-}" ]; then
  mkdir -p "$SCRATCH/valgrind"
  cat >"$SCRATCH/valgrind/pail" <<EOF
#!/bin/sh
exec ${PAIL_LIBTOOL:?} --mode=execute $PAIL_VALGRIND "$PAIL" "\$@"
EOF
  chmod +x "$SCRATCH/valgrind/pail"
  PAIL=$SCRATCH/valgrind/pail
fi

FAILURES=0
CHECKS=0

# ------------------------------------------------ servers the tests start
# The shell tests start their servers (moto_server, Azurite) with these:
# on a free loopback port, in a session of their own so that the whole
# process group can be stopped, and dying with the test shell in any case.

# now_ms: milliseconds since the epoch.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# sanitizer_preload WHAT: for a libpail built with --enable-sanitizers
# (SAN_CFLAGS), which an interpreter that loads it (WHAT: Python, node) was
# not built with, sets SANITIZER_PRELOAD to the sanitizer's runtime, for
# LD_PRELOAD, and PAIL_TEST_SANITIZER to its name ("asan", "tsan"), with
# leak checking off (the interpreter's own allocations live to exit);
# both empty otherwise. Fails the test when the runtime is not found.
sanitizer_preload() {
  SANITIZER_PRELOAD=
  case ${SAN_CFLAGS:-} in
  *-fsanitize=thread*) PAIL_TEST_SANITIZER=tsan ;;
  *-fsanitize=address*) PAIL_TEST_SANITIZER=asan ;;
  *) PAIL_TEST_SANITIZER= ;;
  esac
  export PAIL_TEST_SANITIZER
  [ -n "$PAIL_TEST_SANITIZER" ] || return 0
  for sanitizer_file in "libclang_rt.$PAIL_TEST_SANITIZER-$(uname -m).so" \
    "lib$PAIL_TEST_SANITIZER.so"; do
    sanitizer_path=$(${CC:-cc} -print-file-name="$sanitizer_file" 2>/dev/null)
    case $sanitizer_path in /*)
      [ -f "$sanitizer_path" ] && SANITIZER_PRELOAD=$sanitizer_path && break ;;
    esac
  done
  if [ -z "$SANITIZER_PRELOAD" ]; then
    fail "no $PAIL_TEST_SANITIZER runtime found for the sanitized libpail"
    finish
  fi
  echo "NOTE: sanitized libpail: $1 runs with $SANITIZER_PRELOAD preloaded"
  export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
}

# free_port: a loopback port nobody listens on right now. Another process
# may take it before the server binds it: callers try again.
free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# process_running PID: the process exists and is not a zombie.
process_running() {
  process_state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
  [ -n "$process_state" ] && [ "$process_state" != Z ]
}

# group_stop PGID: SIGTERM to the process group, up to 5 s to go, then
# SIGKILL; waits for it.
group_stop() {
  kill -TERM "-$1" 2>/dev/null
  group_tries=0
  while process_running "$1" && [ "$group_tries" -lt 50 ]; do
    sleep 0.1
    group_tries=$((group_tries + 1))
  done
  kill -KILL "-$1" 2>/dev/null
  wait "$1" 2>/dev/null
}

# spawn_server LOG COMMAND...: runs COMMAND in the background in a session
# of its own that gets SIGTERM when this shell dies (PR_SET_PDEATHSIG),
# output appended to LOG; its pid (and process group) in SPAWNED_PID.
spawn_server() {
  spawn_log=$1
  shift
  python3 -c '
import ctypes, os, signal, sys
os.setsid()
ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
if os.getppid() != int(sys.argv[1]):
    sys.exit(1)
os.execvp(sys.argv[2], sys.argv[2:])
' "$$" "$@" </dev/null >>"$spawn_log" 2>&1 &
  SPAWNED_PID=$!
}

# wait_listening PID PORT SECONDS: 0 once PORT accepts TCP connections
# (no HTTP probe), 2 when PID died first, 3 after SECONDS.
wait_listening() {
  python3 -c '
import socket, sys, time
pid, port, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    try:
        with open("/proc/%d/stat" % pid) as f:
            if f.read().split(")")[-1].split()[0] == "Z":
                sys.exit(2)
    except FileNotFoundError:
        sys.exit(2)
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.02)
sys.exit(3)
' "$@"
}

# wait_for_match FILE PATTERN [FROM]: waits up to 30 s for a line of FILE
# (a server's or proxy's log) to match PATTERN (grep -E), from line FROM
# on (default 1), so that a log that grows over the test is not matched by
# an earlier run's line.
wait_for_match() {
  wait_tries=0
  until tail -n +"${3:-1}" "$1" 2>/dev/null | grep -Eq -- "$2"; do
    wait_tries=$((wait_tries + 1))
    [ "$wait_tries" -lt 300 ] || return 1
    sleep 0.1
  done
}

# stalled_put PAIL BYTES KEY: `PAIL put - KEY` in the background from a
# pipe ($SCRATCH/fifo) that gives BYTES and then nothing for 120 s, as a
# stalled producer: the put's pid in PUT_PID, the feeder's in FEED_PID.
stalled_put() {
  [ -p "$SCRATCH/fifo" ] || mkfifo "$SCRATCH/fifo"
  python3 -c 'import sys, time
sys.stdout.buffer.write(b"x" * int(sys.argv[1]))
sys.stdout.flush()
time.sleep(120)' "$2" >"$SCRATCH/fifo" &
  FEED_PID=$!
  "$1" put - "$3" <"$SCRATCH/fifo" >/dev/null 2>"$SCRATCH/put.err" &
  PUT_PID=$!
}

# make_tls DIR: a private CA (DIR/ca.pem) and a certificate it signed for
# 127.0.0.1 (DIR/server.pem, DIR/server.key), for servers on loopback over
# HTTPS; openssl's output in DIR/openssl.log. Fails when openssl does.
make_tls() {
  mkdir -p "$1"
  {
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
      -subj "/CN=pail test CA" -keyout "$1/ca.key" -out "$1/ca.pem" &&
      openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$1/server.key" -out "$1/server.csr" &&
      printf 'subjectAltName=IP:127.0.0.1\n' >"$1/ext" &&
      openssl x509 -req -in "$1/server.csr" -CA "$1/ca.pem" \
        -CAkey "$1/ca.key" -CAcreateserial -days 2 -extfile "$1/ext" \
        -out "$1/server.pem"
  } >"$1/openssl.log" 2>&1
}

# fixture_start DIR COMMAND...: starts COMMAND, a fixture that prints its
# port on its first line and serves until its standard input closes, with
# its state in DIR (DIR/port, DIR/log, its pids). Sets FIXTURE_PORT; fails
# (after saying why) when it does not start within 10 s.
fixture_start() {
  fixture_dir=$1
  shift
  mkdir -p "$fixture_dir"
  rm -f "$fixture_dir/in" "$fixture_dir/port"
  mkfifo "$fixture_dir/in"
  "$@" <"$fixture_dir/in" >"$fixture_dir/port" 2>>"$fixture_dir/log" &
  echo $! >"$fixture_dir/pid"
  # The fifo's one writer: the fixture's standard input closes with it.
  sleep 100000 >"$fixture_dir/in" &
  echo $! >"$fixture_dir/holder"
  fixture_tries=0
  until [ -s "$fixture_dir/port" ]; do
    fixture_tries=$((fixture_tries + 1))
    if [ "$fixture_tries" -gt 100 ] || ! kill -0 "$(cat "$fixture_dir/pid")" 2>/dev/null; then
      echo "fixture $1 did not start:" >&2
      sed 's/^/  | /' "$fixture_dir/log" >&2
      fixture_stop "$fixture_dir"
      return 1
    fi
    sleep 0.1
  done
  FIXTURE_PORT=$(head -n 1 "$fixture_dir/port")
}

# fixture_stop DIR: closes the standard input of DIR's fixture (it exits
# then) and waits for it, 5 s at most before a SIGTERM. Safe to call twice.
fixture_stop() {
  [ -f "$1/pid" ] || return 0
  fixture_pid=$(cat "$1/pid")
  fixture_holder=$(cat "$1/holder" 2>/dev/null)
  if [ -n "$fixture_holder" ]; then
    kill "$fixture_holder" 2>/dev/null
    wait "$fixture_holder" 2>/dev/null
  fi
  fixture_tries=0
  while kill -0 "$fixture_pid" 2>/dev/null && [ "$fixture_tries" -lt 50 ]; do
    sleep 0.1
    fixture_tries=$((fixture_tries + 1))
  done
  kill "$fixture_pid" 2>/dev/null
  wait "$fixture_pid" 2>/dev/null
  rm -f "$1/holder" "$1/pid"
}

# fail MESSAGE: records a failed check and goes on.
fail() {
  FAILURES=$((FAILURES + 1))
  printf 'FAIL: %s\n' "$*" >&2
}

# pass MESSAGE: records a passed check.
pass() {
  CHECKS=$((CHECKS + 1))
  printf 'ok: %s\n' "$*"
}

# check NAME COMMAND...: runs COMMAND, passes when it exits 0.
check() {
  name=$1
  shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}

# run_pail ARGS...: runs pail, leaving stdout in $OUT, stderr in $ERR and the
# exit status in $STATUS. Never fails the shell.
run_pail() {
  OUT=$SCRATCH/.stdout ERR=$SCRATCH/.stderr
  STATUS=0
  "$PAIL" "$@" >"$OUT" 2>"$ERR" || STATUS=$?
}

# expect_status WANT NAME: checks the last run_pail's exit status.
expect_status() {
  if [ "$STATUS" -eq "$1" ]; then
    pass "$2 (exit $1)"
  else
    fail "$2: exit $STATUS, wanted $1; stderr: $(cat "$ERR")"
  fi
}

# expect_stderr PATTERN NAME: the last run_pail's stderr matches PATTERN
# (grep -E).
expect_stderr() {
  if grep -Eq -- "$1" "$ERR"; then
    pass "$2"
  else
    fail "$2: stderr does not match '$1': $(cat "$ERR")"
  fi
}

# store_snapshot: prints a listing of every file under $PAIL_HOME with its
# checksum, to prove that a failed command changed nothing.
store_snapshot() {
  if [ -d "$PAIL_HOME" ]; then
    (cd "$PAIL_HOME" && find . -print0 | sort -z | xargs -0 -r sh -c \
      'for f; do if [ -f "$f" ]; then printf "%s %s\n" "$(cksum <"$f")" "$f"; else printf "dir %s\n" "$f"; fi; done' sh)
  fi
}

# finish: prints the tally and exits 0 or 1 for the test driver.
finish() {
  printf '%d passed, %d failed\n' "$CHECKS" "$FAILURES"
  [ "$FAILURES" -eq 0 ]
  exit $?
}
