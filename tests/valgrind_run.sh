#!/bin/sh
# valgrind_run.sh: the LOG_COMPILER of `make check-valgrind`. A unit test
# runs under $PAIL_VALGRIND in one process (CK_FORK=no); a shell test runs
# as it is, and tests/lib.sh puts each pail it starts under valgrind.
case $1 in
*.sh) exec "$@" ;;
esac
CK_FORK=no
export CK_FORK
exec ${PAIL_VALGRIND:?} "$@"
