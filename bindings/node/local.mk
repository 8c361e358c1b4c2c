## bindings/node/local.mk: the JavaScript package `pail` (docs/node.md): a
## Node-API addon in C (pail_node.c) linked against libpail, and index.js
## over it, installed as a folder of node_modules under libdir; and its
## suite for Node's test runner, run by tests/node_binding.sh. Included from
## the top Makefile.am after the test lists it appends to.

NODE_SOURCES = bindings/node/index.js bindings/node/package.json
NODE_TESTS = bindings/node/test/helpers.mjs \
	bindings/node/test/roundtrip.test.mjs \
	bindings/node/test/errors.test.mjs \
	bindings/node/test/concurrency.test.mjs \
	bindings/node/test/windmill.test.mjs \
	bindings/node/test/files.test.mjs \
	bindings/node/test/finalize.test.mjs \
	bindings/node/test/gateway.test.mjs

if HAVE_NODE_API
# A libtool module: pail_node.so, whose napi_* symbols the runtime that
# loads it (node, bun) provides, hence no -no-undefined. index.js finds it
# beside itself once installed, in .libs/ in a build tree.
nodepaildir = $(libdir)/node_modules/pail
nodepail_LTLIBRARIES = bindings/node/pail_node.la
nodepail_DATA = $(NODE_SOURCES)
bindings_node_pail_node_la_SOURCES = bindings/node/pail_node.c
bindings_node_pail_node_la_CPPFLAGS = $(AM_CPPFLAGS) $(NODE_API_CPPFLAGS)
bindings_node_pail_node_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
bindings_node_pail_node_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version \
	-shared
bindings_node_pail_node_la_LIBADD = libpail.la
else
EXTRA_DIST += bindings/node/pail_node.c
endif
EXTRA_DIST += $(NODE_SOURCES) $(NODE_TESTS)

# The package against the build tree's libpail, on fs, moto and Azurite;
# in a sanitized build, node runs with the sanitizer's runtime preloaded
# (tests/lib.sh, sanitizer_preload), so the addon runs under ASan too.
SCRIPT_TESTS += tests/node_binding.sh
AM_TESTS_ENVIRONMENT += NODE='$(NODE)'; export NODE;
