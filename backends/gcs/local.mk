## backends/gcs/local.mk: the gcs backend, its tests and fuzz targets.
## Included at the end of the top Makefile.am, so it may append (+=) to
## backends_LTLIBRARIES, UNIT_TESTS, SCRIPT_TESTS, FUZZ_TARGETS, EXTRA_DIST.

GCS_SOURCES = backends/gcs/gcs.h backends/gcs/gcs.c backends/gcs/gcs_auth.c \
	backends/gcs/gcs_sign.c backends/gcs/gcs_list.c backends/gcs/gcs_read.c \
	backends/gcs/gcs_write.c backends/gcs/gcs_copy.c backends/gcs/gcs_relay.c \
	backends/gcs/gcs_uploads.c \
	backends/common.h backends/common.c common/strbuf.h common/strbuf.c

# The plugin's code, compiled once into a convenience library (hidden
# visibility, as a plugin): the plugin is that library and nothing else,
# exporting only its entry; the unit test and the fuzz targets link it with
# the core, whose services it calls through gcs_core, to reach its
# internals. A fuzzing build instruments everything (AM_CFLAGS), so the
# same objects serve all three.
noinst_LTLIBRARIES += backends/gcs/libgcs.la
backends_gcs_libgcs_la_SOURCES = $(GCS_SOURCES)
backends_gcs_libgcs_la_CFLAGS = $(PLUGIN_CFLAGS) -I$(top_srcdir)/common \
	$(JANSSON_CFLAGS)
backends_gcs_libgcs_la_LIBADD = $(JANSSON_LIBS)

backends_LTLIBRARIES += backends/gcs/pail_gcs.la
backends_gcs_pail_gcs_la_SOURCES =
backends_gcs_pail_gcs_la_LDFLAGS = $(PLUGIN_LDFLAGS)
backends_gcs_pail_gcs_la_LIBADD = backends/gcs/libgcs.la $(JANSSON_LIBS)

# V4 signing with inputs no pail option can express, JWTs, parsers.
UNIT_TESTS += tests/test_gcs
tests_test_gcs_SOURCES = tests/test_gcs.c
tests_test_gcs_CFLAGS = $(UNIT_CFLAGS) $(CRYPTO_CFLAGS) -I$(top_srcdir)/backends/gcs
tests_test_gcs_LDADD = backends/gcs/libgcs.la $(UNIT_LDADD) $(JANSSON_LIBS) $(CRYPTO_LIBS)

# The CLI against tests/gcs_fixture.py, a strict local JSON API server.
SCRIPT_TESTS += tests/gcs_cli.sh tests/gcs_hmac.sh tests/cleanup_gcs.sh
# The S3 gateway in front of it: multipart uploads composed (gcs_uploads.c).
SCRIPT_TESTS += tests/gateway_gcs.sh
dist_check_SCRIPTS += tests/gcs_lib.sh
EXTRA_DIST += tests/gcs_fixture.py

# libFuzzer targets for what the backend parses from servers and files
# (docs/fuzzing.md): listings, error bodies, token answers and credentials.
FUZZ_TARGETS += tests/fuzz/fuzz_gcs_list tests/fuzz/fuzz_gcs_error \
	tests/fuzz/fuzz_gcs_token
FUZZ_GCS_CFLAGS = $(AM_CFLAGS) $(CORE_CPPFLAGS) -I$(top_srcdir)/backends/gcs $(JANSSON_CFLAGS)
FUZZ_GCS_LDADD = backends/gcs/libgcs.la core/libpail_core.la $(JANSSON_LIBS)
tests_fuzz_fuzz_gcs_list_SOURCES = tests/fuzz/fuzz_gcs_list.c \
	tests/fuzz/fuzz_gcs.h tests/fuzz/fuzz.h
tests_fuzz_fuzz_gcs_list_CFLAGS = $(FUZZ_GCS_CFLAGS)
tests_fuzz_fuzz_gcs_list_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_gcs_list_LDADD = $(FUZZ_GCS_LDADD)
tests_fuzz_fuzz_gcs_error_SOURCES = tests/fuzz/fuzz_gcs_error.c \
	tests/fuzz/fuzz_gcs.h tests/fuzz/fuzz.h
tests_fuzz_fuzz_gcs_error_CFLAGS = $(FUZZ_GCS_CFLAGS)
tests_fuzz_fuzz_gcs_error_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_gcs_error_LDADD = $(FUZZ_GCS_LDADD)
tests_fuzz_fuzz_gcs_token_SOURCES = tests/fuzz/fuzz_gcs_token.c \
	tests/fuzz/fuzz_gcs.h tests/fuzz/fuzz.h
tests_fuzz_fuzz_gcs_token_CFLAGS = $(FUZZ_GCS_CFLAGS)
tests_fuzz_fuzz_gcs_token_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_gcs_token_LDADD = $(FUZZ_GCS_LDADD)
