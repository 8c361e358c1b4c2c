## backends/gcs/local.mk: the gcs backend, its tests and fuzz targets.
## Included at the end of the top Makefile.am, so it may append (+=) to
## backends_LTLIBRARIES, UNIT_TESTS, SCRIPT_TESTS, FUZZ_TARGETS, EXTRA_DIST.

GCS_SOURCES = backends/gcs/gcs.h backends/gcs/gcs.c backends/gcs/gcs_auth.c \
	backends/gcs/gcs_sign.c backends/gcs/gcs_list.c backends/gcs/gcs_read.c \
	backends/gcs/gcs_write.c backends/gcs/gcs_copy.c
backends_LTLIBRARIES += backends/gcs/pail_gcs.la
backends_gcs_pail_gcs_la_SOURCES = $(GCS_SOURCES)
backends_gcs_pail_gcs_la_CFLAGS = $(PLUGIN_CFLAGS) $(JANSSON_CFLAGS)
backends_gcs_pail_gcs_la_LDFLAGS = $(PLUGIN_LDFLAGS)
backends_gcs_pail_gcs_la_LIBADD = $(JANSSON_LIBS)

# The unit tests reach the plugin's internals (V4 signing with inputs no
# pail option can express, JWTs, parsers): they link its sources, built
# once into a convenience library, with the core, whose services the
# plugin calls through gcs_core.
check_LTLIBRARIES += tests/libgcs_test.la
tests_libgcs_test_la_SOURCES = $(GCS_SOURCES)
tests_libgcs_test_la_CFLAGS = $(PLUGIN_CFLAGS) $(JANSSON_CFLAGS)
tests_libgcs_test_la_LIBADD = $(JANSSON_LIBS)

UNIT_TESTS += tests/test_gcs
tests_test_gcs_SOURCES = tests/test_gcs.c
tests_test_gcs_CFLAGS = $(UNIT_CFLAGS) $(CRYPTO_CFLAGS) -I$(top_srcdir)/backends/gcs
tests_test_gcs_LDADD = tests/libgcs_test.la $(UNIT_LDADD) $(JANSSON_LIBS) $(CRYPTO_LIBS)

# The CLI against tests/gcs_fixture.py, a strict local JSON API server.
SCRIPT_TESTS += tests/gcs_cli.sh
dist_check_SCRIPTS += tests/gcs_lib.sh
EXTRA_DIST += tests/gcs_fixture.py
