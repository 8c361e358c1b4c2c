## backends/azure/local.mk: the azure backend, its tests and fuzz targets.
## Included at the end of the top Makefile.am, so it may append (+=) to
## backends_LTLIBRARIES, UNIT_TESTS, SCRIPT_TESTS, FUZZ_TARGETS, EXTRA_DIST.

AZURE_SOURCES = backends/azure/azure.h backends/azure/azure.c \
	backends/azure/azure_auth.c backends/azure/azure_credentials.c \
	backends/azure/azure_entra.c \
	backends/xml.h backends/xml.c backends/common.h backends/common.c \
	backends/azure/azure_list.c backends/azure/azure_read.c \
	backends/azure/azure_write.c backends/azure/azure_copy.c \
	backends/azure/azure_delete.c common/strbuf.h common/strbuf.c

# The plugin's code, compiled once into a convenience library (hidden
# visibility, as a plugin): the plugin is that library and nothing else,
# exporting only its entry; the unit test and the fuzz targets link it with
# the core, whose services it calls through azure_core, to reach its
# internals. A fuzzing build instruments everything (AM_CFLAGS), so the
# same objects serve all three.
noinst_LTLIBRARIES += backends/azure/libazure.la
backends_azure_libazure_la_SOURCES = $(AZURE_SOURCES)
backends_azure_libazure_la_CFLAGS = $(PLUGIN_CFLAGS) -I$(top_srcdir)/common \
	$(XML_CFLAGS) $(JANSSON_CFLAGS)
backends_azure_libazure_la_LIBADD = $(XML_LIBS) $(JANSSON_LIBS)

backends_LTLIBRARIES += backends/azure/pail_azure_blob.la
backends_azure_pail_azure_blob_la_SOURCES =
backends_azure_pail_azure_blob_la_LDFLAGS = $(PLUGIN_LDFLAGS)
backends_azure_pail_azure_blob_la_LIBADD = backends/azure/libazure.la \
	$(XML_LIBS) $(JANSSON_LIBS)

UNIT_TESTS += tests/test_azure
tests_test_azure_SOURCES = tests/test_azure.c
tests_test_azure_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/backends/azure \
	$(XML_CFLAGS)
tests_test_azure_LDADD = backends/azure/libazure.la $(UNIT_LDADD) $(XML_LIBS)

SCRIPT_TESTS += tests/azure_cli.sh tests/azure_faults.sh tests/cleanup_azure.sh
# Entra ID bearer tokens (issue 19): Azurite with --oauth basic, and the
# token endpoints in front of it.
SCRIPT_TESTS += tests/azure_identity.sh
EXTRA_DIST += tests/entra_fixture.py
dist_check_SCRIPTS += tests/azure_lib.sh

FUZZ_TARGETS += tests/fuzz/fuzz_azure_list tests/fuzz/fuzz_azure_error \
	tests/fuzz/fuzz_azure_batch
FUZZ_AZURE_CFLAGS = $(AM_CFLAGS) $(CORE_CPPFLAGS) -I$(top_srcdir)/backends/azure $(XML_CFLAGS)
FUZZ_AZURE_LDADD = backends/azure/libazure.la core/libpail_core.la $(XML_LIBS)
tests_fuzz_fuzz_azure_list_SOURCES = tests/fuzz/fuzz_azure_list.c \
	tests/fuzz/fuzz_azure.h tests/fuzz/fuzz.h
tests_fuzz_fuzz_azure_list_CFLAGS = $(FUZZ_AZURE_CFLAGS)
tests_fuzz_fuzz_azure_list_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_azure_list_LDADD = $(FUZZ_AZURE_LDADD)
tests_fuzz_fuzz_azure_error_SOURCES = tests/fuzz/fuzz_azure_error.c \
	tests/fuzz/fuzz_azure.h tests/fuzz/fuzz.h
tests_fuzz_fuzz_azure_error_CFLAGS = $(FUZZ_AZURE_CFLAGS)
tests_fuzz_fuzz_azure_error_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_azure_error_LDADD = $(FUZZ_AZURE_LDADD)
tests_fuzz_fuzz_azure_batch_SOURCES = tests/fuzz/fuzz_azure_batch.c \
	tests/fuzz/fuzz_azure.h tests/fuzz/fuzz.h
tests_fuzz_fuzz_azure_batch_CFLAGS = $(FUZZ_AZURE_CFLAGS)
tests_fuzz_fuzz_azure_batch_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_azure_batch_LDADD = $(FUZZ_AZURE_LDADD)
EXTRA_DIST += tests/azure_sdk.js
