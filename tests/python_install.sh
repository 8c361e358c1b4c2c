#!/bin/sh
# python_install.sh: the Python package installed with `make install
# prefix=DIR`, a prefix other than configure's, finds the libpail of that
# install: its _build.py is written again at install time
# (bindings/python/local.mk, install-data-hook) rather than keeping the
# libdir `make` recorded. The package is imported from DIR with
# PAIL_LIBRARY unset, and stores and reads back a file through the
# installed libpail.
#
# Only what the package needs is installed (libpail, the backends, the
# package, then the hook): the whole `make install prefix=DIR` also relinks
# the Node addon, which libtool refuses outside configure's libdir.
. "${top_srcdir:?}/tests/lib.sh"

PYTHON=${PYTHON:-python3}
case $PYTHON in "" | :) PYTHON=python3 ;; esac
if [ ! -f "$top_builddir/bindings/python/pail/_build.py" ]; then
  echo "SKIP: the Python package is not configured (no Python found)"
  exit 77
fi

DEST=$SCRATCH/prefix
(cd "$top_builddir" &&
  "${MAKE:-make}" install-libLTLIBRARIES install-backendsLTLIBRARIES \
    install-pkgpythonPYTHON install-nodist_pkgpythonPYTHON prefix="$DEST" &&
  "${MAKE:-make}" install-data-hook prefix="$DEST") >"$SCRATCH/install.log" 2>&1
if [ $? -eq 0 ]; then
  pass "make install prefix=$DEST (libpail, backends, the package)"
else
  sed 's/^/  | /' "$SCRATCH/install.log" >&2
  fail "make install prefix=$DEST"
  finish
fi
BUILD_PY=$(find "$DEST" -path '*/pail/_build.py' | head -n 1)
check "the package is installed under the prefix" test -n "$BUILD_PY"
check "its _build.py names the prefix's libpail" \
  grep -qF "LIBRARY = \"$DEST/lib/libpail.so\"" "$BUILD_PY"
check "no byte code of the build-time _build.py is left" \
  test -z "$(find "$DEST" -name '_build*.pyc')"

sanitizer_preload Python
unset PAIL_LIBRARY
PYTHONPATH=$(dirname "$(dirname "$BUILD_PY")") PYTHONDONTWRITEBYTECODE=1 \
  PAIL_PLUGIN_PATH="$DEST/lib/pail/backends" \
  ${SANITIZER_PRELOAD:+env LD_PRELOAD="$SANITIZER_PRELOAD"} "$PYTHON" -c '
import os, sys
import pail
from pail import _lib
print(_lib.lib._name)
with pail.Workspace() as ws:
    ptr = ws.write("installed.txt", b"from the installed package")
    print(ws.read(ptr).decode())
' >"$SCRATCH/import.out" 2>&1
STATUS=$?
sed 's/^/  | /' "$SCRATCH/import.out"
check "the installed package imports with PAIL_LIBRARY unset" test "$STATUS" -eq 0
check "... and loads the prefix's libpail" \
  grep -qxF "$DEST/lib/libpail.so" "$SCRATCH/import.out"
check "... which stores and reads" grep -qx 'from the installed package' "$SCRATCH/import.out"
finish
