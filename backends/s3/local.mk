## backends/s3/local.mk: the s3 backend, its tests and fuzz targets.
## Included at the end of the top Makefile.am, so it may append (+=) to
## backends_LTLIBRARIES, UNIT_TESTS, SCRIPT_TESTS, FUZZ_TARGETS, EXTRA_DIST.

# The plugin's code, compiled once into a convenience library (hidden
# visibility, as a plugin): the plugin is that library and nothing else,
# exporting only its entry; the fuzz targets link it with the core, whose
# services they call through s3_core. A fuzzing build instruments
# everything (AM_CFLAGS), so the same objects serve both.
S3_SOURCES = backends/s3/s3.h backends/s3/s3.c backends/xml.h backends/xml.c \
	backends/common.h backends/common.c backends/s3/s3_credentials.c \
	backends/s3/s3_sources.c backends/s3/s3_list.c backends/s3/s3_read.c backends/s3/s3_write.c \
	backends/s3/s3_copy.c backends/s3/s3_delete.c backends/s3/s3_uploads.c
noinst_LTLIBRARIES += backends/s3/libs3.la
backends_s3_libs3_la_SOURCES = $(S3_SOURCES)
backends_s3_libs3_la_CFLAGS = $(PLUGIN_CFLAGS) $(XML_CFLAGS) $(JANSSON_CFLAGS)
backends_s3_libs3_la_LIBADD = $(XML_LIBS) $(JANSSON_LIBS)

backends_LTLIBRARIES += backends/s3/pail_s3.la
backends_s3_pail_s3_la_SOURCES =
backends_s3_pail_s3_la_LDFLAGS = $(PLUGIN_LDFLAGS)
backends_s3_pail_s3_la_LIBADD = backends/s3/libs3.la $(XML_LIBS) \
	$(JANSSON_LIBS)

# The settings and credential chains, without a server (through the core).
UNIT_TESTS += tests/test_s3
tests_test_s3_SOURCES = tests/test_s3.c
tests_test_s3_CFLAGS = $(UNIT_CFLAGS)
tests_test_s3_LDADD = $(UNIT_LDADD)

# The CLI against moto_server (tests/s3_lib.sh starts it).
SCRIPT_TESTS += tests/s3_cli.sh tests/s3_faults.sh tests/s3_soak.sh \
	tests/settings_s3.sh tests/cleanup_s3.sh tests/s3_identity.sh
# Temporary credentials (issue 19): STS roles on moto, and a web identity
# provider in front of it.
EXTRA_DIST += tests/identity_fixture.py
dist_check_SCRIPTS += tests/s3_lib.sh

# libFuzzer targets for what the backend parses from servers
# (docs/fuzzing.md): listings, error bodies, DeleteObjects answers.
FUZZ_TARGETS += tests/fuzz/fuzz_s3_list tests/fuzz/fuzz_s3_error \
	tests/fuzz/fuzz_s3_delete
FUZZ_S3_CFLAGS = $(AM_CFLAGS) $(CORE_CPPFLAGS) -I$(top_srcdir)/backends/s3 $(XML_CFLAGS)
FUZZ_S3_LDADD = backends/s3/libs3.la core/libpail_core.la $(XML_LIBS)
tests_fuzz_fuzz_s3_list_SOURCES = tests/fuzz/fuzz_s3_list.c \
	tests/fuzz/fuzz_s3.h tests/fuzz/fuzz.h
tests_fuzz_fuzz_s3_list_CFLAGS = $(FUZZ_S3_CFLAGS)
tests_fuzz_fuzz_s3_list_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_s3_list_LDADD = $(FUZZ_S3_LDADD)
tests_fuzz_fuzz_s3_error_SOURCES = tests/fuzz/fuzz_s3_error.c \
	tests/fuzz/fuzz_s3.h tests/fuzz/fuzz.h
tests_fuzz_fuzz_s3_error_CFLAGS = $(FUZZ_S3_CFLAGS)
tests_fuzz_fuzz_s3_error_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_s3_error_LDADD = $(FUZZ_S3_LDADD)
tests_fuzz_fuzz_s3_delete_SOURCES = tests/fuzz/fuzz_s3_delete.c \
	tests/fuzz/fuzz_s3.h tests/fuzz/fuzz.h
tests_fuzz_fuzz_s3_delete_CFLAGS = $(FUZZ_S3_CFLAGS)
tests_fuzz_fuzz_s3_delete_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_s3_delete_LDADD = $(FUZZ_S3_LDADD)
