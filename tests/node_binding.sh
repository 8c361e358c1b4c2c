#!/bin/sh
# node_binding.sh: the JavaScript package (bindings/node, docs/node.md)
# against the build tree's libpail: its suite for Node's test runner
# (bindings/node/test/*.test.mjs) on the fs default, moto_server and
# Azurite. This driver starts the servers (tests/s3_lib.sh,
# tests/azure_lib.sh), creates the bucket and the container with the CLI,
# and hands the tests their settings files through PAIL_TEST_S3_SETTINGS
# and PAIL_TEST_AZURE_SETTINGS; afterwards, no multipart upload may be
# left on moto (the failed writes aborted theirs).
#
# Then the same suite runs under Bun (`bun test`, which runs node:test
# suites), from the npm package @oven/bun-linux-x64 that
# scripts/install-deps.sh puts in ~/.cache/pail/bun; without it, a NOTE
# says that only node ran it.
#
# The addon is built only when configure found the node-api-headers
# package (scripts/install-deps.sh installs it): without it, or without
# node, this test skips and says why.

# Both live under the user's cache; lib.sh moves HOME, so they are looked
# for first.
if [ -z "${BUN:-}" ]; then
  BUN=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/pail/bun/node_modules/@oven/bun-linux-x64/bin/bun
fi
if [ -z "${AZURE_TOOLS:-}" ]; then
  AZURE_TOOLS=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/pail/azurite/node_modules
fi
ADDON="${top_builddir:?}/bindings/node/.libs/pail_node.so"
NODE=${NODE:-node}
if ! command -v "$NODE" >/dev/null 2>&1; then
  echo "SKIP: node is not installed (apt-get install nodejs)"
  exit 77
fi
if [ ! -f "$ADDON" ]; then
  echo "SKIP: the addon is not built ($ADDON): configure found no node_api.h (scripts/install-deps.sh installs node-api-headers)"
  exit 77
fi

BINDING_SUITE="the node suite"
. "${top_srcdir:?}/tests/binding_lib.sh"

# The package from the source tree, the addon and libpail from the build
# tree (which finds the build tree's plugins by itself).
export PAIL_NODE_ADDON="$ADDON"
export PAIL_TEST_S3_SETTINGS="$S3_SETTINGS" PAIL_TEST_AZURE_SETTINGS="$AZURE_SETTINGS"
export PAIL_TEST_REQUIRE_SERVERS=1

# node_suite NAME COMMAND...: runs the suite with COMMAND, one check.
node_suite() {
  suite_name=$1
  shift
  started=$(now_ms)
  if (cd "$SCRATCH" && "$@" "$top_srcdir"/bindings/node/test/*.test.mjs); then
    pass "$suite_name bindings/node/test ($(($(now_ms) - started)) ms)"
  else
    fail "$suite_name bindings/node/test"
  fi
}
sanitizer_preload node
node_suite "node --test" ${SANITIZER_PRELOAD:+env LD_PRELOAD="$SANITIZER_PRELOAD"} \
  "$NODE" --test
expect_no_uploads "after the node suite"
if [ -n "$SANITIZER_PRELOAD" ]; then
  # Bun's own allocator and the sanitizer's do not mix; node ran the suite
  # on the sanitized addon.
  echo "NOTE: sanitized libpail: the suite runs under node only"
elif [ -x "$BUN" ]; then
  # bun test gives each test 5 s by default: the 64 MiB round trips on
  # moto take longer.
  node_suite "bun test ($("$BUN" --version))" "$BUN" test --timeout 120000
  expect_no_uploads "after the bun suite"
else
  echo "NOTE: Bun is not installed ($BUN): the suite ran under node only (scripts/install-deps.sh installs it)"
fi
finish
