#!/bin/sh
# contract_mem.sh: the backend contract (tests/contract_lib.sh) on the mem
# backend. Its objects live only as long as the process that holds the
# storage, so through the `pail` binary (one process a command) it keeps
# none of the checks that span commands; this proves that much, and
# test_backends.c runs the whole contract on mem inside one process.
. "${top_srcdir:?}/tests/lib.sh"

cat >"$SCRATCH/mem.json" <<JSON
{ "storage": { "type": "mem" } }
JSON
export PAIL_CONFIG="$SCRATCH/mem.json"

CONTRACT_BACKEND=mem
CONTRACT_CAPS=""
CONTRACT_WHY_persistent="objects die with the pail process; test_backends.c checks the contract on mem within one process"
. "$top_srcdir/tests/contract_lib.sh"

contract_all
finish
