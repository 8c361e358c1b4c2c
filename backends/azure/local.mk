## backends/azure/local.mk: the azure backend, its tests and fuzz targets.
## Included at the end of the top Makefile.am, so it may append (+=) to
## backends_LTLIBRARIES, UNIT_TESTS, SCRIPT_TESTS, FUZZ_TARGETS, EXTRA_DIST.
