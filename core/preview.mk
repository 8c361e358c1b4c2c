## core/preview.mk: the explorer's library side (issue 8): pail_preview()
## (the core's sniffer and Parquet footer decoder) and pail_settings_export()
## (settings for DuckDB, Polars, boto3), their commands, tests and fuzz
## targets.
## Included at the end of the top Makefile.am, so it may append (+=).

core_libpail_core_la_SOURCES += core/preview.h core/preview.c core/sniff.c \
	core/parquet.c core/settings_export.c

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

UNIT_TESTS += tests/test_settings_export
tests_test_settings_export_SOURCES = tests/test_settings_export.c
tests_test_settings_export_CFLAGS = $(UNIT_CFLAGS)
tests_test_settings_export_LDADD = $(UNIT_LDADD) $(JANSSON_LIBS)
SCRIPT_TESTS += tests/settings_s3.sh
