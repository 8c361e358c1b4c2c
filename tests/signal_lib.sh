# signal_lib.sh: SIGINT and SIGTERM at each phase of `pail put`, through
# tests/fault_proxy.py (sourced after lib.sh, the server's library and
# proxy_lib.sh, with PROXY_UPSTREAM_PORT and PROXY_SETTINGS set, the
# settings' parts SIG_PART bytes). What a script is told must be what is
# stored:
#   - before the commit request: "cancelled", no pointer, death by the
#     signal (130, 143), the old object whole, no upload left open;
#   - once the commit request is sent (held by the proxy before the server
#     sees it, or answered with its answer held back): the pointer, exit 0,
#     a word that the signal came too late, the new object whole.
# The caller defines, for a KEY of the storage:
#   sig_part_begun KEY     a grep -E pattern of the proxy log's line that
#                          shows the upload by parts began (a part is not
#                          seen before pail waits on it)
#   sig_commit_rule KEY    the proxy rule's "METHOD PATH-REGEX" of the
#                          commit request of a write by parts, and after the
#                          fault's milliseconds any COUNT and SKIP
#                          (sig_commit_extra, "1 2" to skip two chunks)
#   sig_single_rule KEY    the same for the one request of a small object
#   sig_nothing_open NAME  checks that the provider holds no upload in
#                          progress
# and calls signal_phases.

SIG_DATA=$SCRATCH/signal-data
mkdir -p "$SIG_DATA"
printf 'old content\n' >"$SIG_DATA/old" # 12 bytes, as in the issue
SIG_FEEDER=

# sig_input BYTES: a FIFO at $SIG_DATA/fifo that gives BYTES of random data
# and then stays open without more, as a slow producer would. Once pail
# has read all but what the pipe holds, $SIG_DATA/fed appears.
sig_input() {
  rm -f "$SIG_DATA/fifo" "$SIG_DATA/fed"
  mkfifo "$SIG_DATA/fifo"
  python3 -c 'import os, sys, time
sys.stdout.buffer.write(os.urandom(int(sys.argv[1])))
sys.stdout.flush()
open(sys.argv[2], "w").write("fed\n")
time.sleep(120)' "$1" "$SIG_DATA/fed" >"$SIG_DATA/fifo" &
  SIG_FEEDER=$!
}

# sig_wait_fed: waits up to 30 s for pail to have read the input: it is
# then in the transfer, waiting for more.
sig_wait_fed() {
  wait_for_match "$SIG_DATA/fed" "^fed$" && sleep 0.3
}

sig_input_stop() {
  [ -n "$SIG_FEEDER" ] && kill "$SIG_FEEDER" 2>/dev/null && wait "$SIG_FEEDER" 2>/dev/null
  SIG_FEEDER=
}

# sig_launch INPUT ARGS...: pail put ARGS in the background through the
# proxy, standard input from INPUT, with SIGINT and SIGTERM at their
# default disposition (a background job of sh starts with SIGINT ignored),
# as a terminal's Ctrl-C or a supervisor's SIGTERM would find pail.
sig_launch() {
  sig_from=$1
  shift
  python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGTERM, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$PAIL_BINARY" --config "$SCRATCH/proxy.json" \
    put "$@" <"$sig_from" >"$SCRATCH/sig.out" 2>"$SCRATCH/sig.err" &
  SIG_PID=$!
}

# sig_wait_log PATTERN: waits up to 30 s for the proxy's log to match.
sig_wait_log() { wait_for_match "$PROXY_LOG" "$1"; }

# sig_give_up MESSAGE: the phase could not be reached: a failure, and the
# put is killed.
sig_give_up() {
  fail "$1: $(cat "$SCRATCH/sig.err")"
  kill -KILL "$SIG_PID" 2>/dev/null
  wait "$SIG_PID" 2>/dev/null
}

# sig_reset KEY: KEY holds the 12-byte old object.
sig_reset() {
  "$PAIL_BINARY" --config "$PROXY_SETTINGS" put "$SIG_DATA/old" "$1" >/dev/null ||
    fail "cannot store the old object at $1"
}

# sig_holds KEY FILE: KEY holds FILE's bytes, read past the proxy.
sig_holds() {
  "$PAIL_BINARY" --config "$PROXY_SETTINGS" cat "$1" >"$SCRATCH/sig.stored" 2>/dev/null &&
    cmp -s "$SCRATCH/sig.stored" "$2"
}

# sig_send SIGNAL NAME: sends SIGNAL to the put and waits for it; STATUS is
# its exit status.
sig_send() {
  kill -"$1" "$SIG_PID"
  STATUS=0
  wait "$SIG_PID" 2>/dev/null || STATUS=$?
}

# sig_expect_cancelled SIGNAL WANT NAME KEY: the put was cancelled: death by
# SIGNAL (exit WANT in a shell), no pointer, "cancelled", the old object.
sig_expect_cancelled() {
  check "$3: exit $STATUS, killed by SIG$1 ($2)" test "$STATUS" -eq "$2"
  check "$3: no pointer printed" test ! -s "$SCRATCH/sig.out"
  check "$3: says it was cancelled and nothing was stored" \
    grep -q "cancelled.*nothing was stored" "$SCRATCH/sig.err"
  check "$3: the old object is whole" sig_holds "$4" "$SIG_DATA/old"
  sig_nothing_open "$3"
}

# sig_expect_committed SIGNAL NAME KEY FILE: the put committed before the
# signal could cancel it: exit 0, the pointer, a word on stderr, the new
# object.
sig_expect_committed() {
  check "$2: exit 0 ($STATUS) though SIG$1 came" test "$STATUS" -eq 0
  check "$2: prints the pointer" grep -q "\"s3\": \"$3\"" "$SCRATCH/sig.out"
  check "$2: says the signal came too late to cancel" \
    grep -q "SIG$1 came too late to cancel: the put completed" "$SCRATCH/sig.err"
  check "$2: says while committing that the outcome follows" \
    grep -q "committing: the outcome follows" "$SCRATCH/sig.err"
  check "$2: the new object is stored whole" sig_holds "$3" "$4"
  sig_nothing_open "$2"
}

# signal_phases: every phase, with SIGINT and SIGTERM.
signal_phases() {
  head -c $((SIG_PART * 5 / 2)) /dev/urandom >"$SIG_DATA/parts"
  head -c 1000 /dev/urandom >"$SIG_DATA/small"
  for sig in INT TERM; do
    case $sig in INT) want=130 ;; TERM) want=143 ;; esac

    # Before the first part: half a part read, pail waits for more.
    key=sig/$sig/before.bin
    sig_reset "$key"
    proxy_start
    sig_input $((SIG_PART / 2))
    sig_launch "$SIG_DATA/fifo" - "$key"
    sig_wait_fed || fail "SIG$sig before the first part: pail did not read its input"
    sig_send "$sig"
    sig_input_stop
    sig_expect_cancelled "$sig" "$want" "SIG$sig before the first part" "$key"

    # Between parts: the first part is on its way, pail waits for more.
    key=sig/$sig/parts.bin
    sig_reset "$key"
    proxy_start
    sig_input $((SIG_PART * 3 / 2))
    sig_launch "$SIG_DATA/fifo" - "$key"
    begun=$(sig_part_begun "$key")
    if sig_wait_fed && { [ -z "$begun" ] || sig_wait_log "$begun"; }; then
      sig_send "$sig"
      sig_expect_cancelled "$sig" "$want" "SIG$sig after the first part" "$key"
    else
      sig_give_up "SIG$sig after the first part: the upload did not begin in 30 s"
    fi
    sig_input_stop

    # During the commit: the request is held before the server sees it,
    # then its answer is held after the server stored the object. Either
    # way the object is stored, and pail says so.
    for fault in delay hold; do
      for shape in parts single; do
        key=sig/$sig/commit-$fault-$shape.bin
        sig_reset "$key"
        if [ "$shape" = parts ]; then
          rule="$(sig_commit_rule "$key") $fault 2000 ${sig_commit_extra:-1}"
          file=$SIG_DATA/parts
        else
          rule="$(sig_single_rule "$key") $fault 2000 1"
          file=$SIG_DATA/small
        fi
        proxy_start --rule "$rule"
        sig_launch /dev/null "$file" "$key"
        what="SIG$sig during the commit ($fault, $shape)"
        if sig_wait_log " -> ([0-9]+ )?$fault "; then
          sig_send "$sig"
          sig_expect_committed "$sig" "$what" "$key" "$file"
        else
          sig_give_up "$what: the commit request never came"
        fi
      done
    done
  done
  proxy_stop
}
