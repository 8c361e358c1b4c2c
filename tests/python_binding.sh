#!/bin/sh
# python_binding.sh: the Python package (bindings/python, docs/python.md)
# against the build tree's libpail: its pytest suite
# (bindings/python/tests) on the fs default, moto_server and Azurite. This
# driver starts the servers (tests/s3_lib.sh, tests/azure_lib.sh), creates
# the bucket and the container with the CLI, and hands pytest their
# settings files through PAIL_TEST_S3_SETTINGS and PAIL_TEST_AZURE_SETTINGS.
#
# pytest is Debian's python3-pytest (scripts/install-deps.sh), and boto3
# Debian's python3-boto3: the interpreter is the first of $PYTHON (the one
# configure found), python3 and /usr/bin/python3 that has pytest.

# Azurite lives under the user's cache (scripts/install-deps.sh); lib.sh
# moves HOME, so it is looked for first.
if [ -z "${AZURE_TOOLS:-}" ]; then
  AZURE_TOOLS=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/pail/azurite/node_modules
fi

PYTEST_PYTHON=
for candidate in "${PYTHON:-}" python3 /usr/bin/python3; do
  case $candidate in "" | :) continue ;; esac
  if "$candidate" -c 'import pytest' >/dev/null 2>&1; then
    PYTEST_PYTHON=$candidate
    break
  fi
done
if [ -z "$PYTEST_PYTHON" ]; then
  echo "SKIP: pytest is not installed (apt-get install python3-pytest)"
  exit 77
fi

BINDING_SUITE="pytest"
. "${top_srcdir:?}/tests/binding_lib.sh"

# The package from the source tree, libpail from the build tree (which
# finds the build tree's plugins by itself); nothing written into the
# source tree (distcheck's is read-only).
export PYTHONPATH="$top_srcdir/bindings/python"
export PAIL_LIBRARY="$top_builddir/.libs/libpail.so"
export PYTHONDONTWRITEBYTECODE=1
export PAIL_TEST_S3_SETTINGS="$S3_SETTINGS" PAIL_TEST_AZURE_SETTINGS="$AZURE_SETTINGS"
export PAIL_TEST_S3_BUCKET="$S3_BUCKET"
export PAIL_TEST_REQUIRE_SERVERS=1
sanitizer_preload Python
started=$(now_ms)
if (cd "$SCRATCH" && ${SANITIZER_PRELOAD:+env LD_PRELOAD="$SANITIZER_PRELOAD"} "$PYTEST_PYTHON" -m pytest -q -p no:cacheprovider \
  -o console_output_style=classic "$top_srcdir/bindings/python/tests"); then
  pass "pytest bindings/python/tests ($(($(now_ms) - started)) ms)"
else
  fail "pytest bindings/python/tests"
fi
finish
