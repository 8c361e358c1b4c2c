## core/preview/local.mk: pail_preview(), the core's format sniffer and
## Parquet footer decoder (docs/preview.md), with its unit test, the shell
## tests of `pail preview`, the real files they read and its fuzz targets.
## Included at the end of the top Makefile.am, so it may append (+=).

core_libpail_core_la_SOURCES += core/preview/preview.h \
	core/preview/preview.c core/preview/sniff.c core/preview/thrift.h \
	core/preview/thrift.c core/preview/parquet.h core/preview/parquet.c \
	core/preview/parquet_json.c

UNIT_TESTS += tests/test_preview
tests_test_preview_SOURCES = tests/test_preview.c
tests_test_preview_CFLAGS = $(UNIT_CFLAGS) \
	-DPAIL_TEST_DATA='"$(abs_top_srcdir)/tests/data"'
tests_test_preview_LDADD = $(UNIT_LDADD) $(JANSSON_LIBS)

SCRIPT_TESTS += tests/preview_cli.sh tests/preview_s3.sh
EXTRA_DIST += tests/expected tests/data

FUZZ_TARGETS += tests/fuzz/fuzz_parquet tests/fuzz/fuzz_sniff
tests_fuzz_fuzz_parquet_SOURCES = tests/fuzz/fuzz_parquet.c \
	tests/fuzz/fuzz_preview.h tests/fuzz/fuzz.h
tests_fuzz_fuzz_parquet_CFLAGS = $(FUZZ_CORE_CFLAGS)
tests_fuzz_fuzz_parquet_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_parquet_LDADD = $(FUZZ_CORE_LDADD)
tests_fuzz_fuzz_sniff_SOURCES = tests/fuzz/fuzz_sniff.c \
	tests/fuzz/fuzz_preview.h tests/fuzz/fuzz.h
tests_fuzz_fuzz_sniff_CFLAGS = $(FUZZ_CORE_CFLAGS)
tests_fuzz_fuzz_sniff_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_sniff_LDADD = $(FUZZ_CORE_LDADD)
