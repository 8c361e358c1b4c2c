## core/preview.mk: pail_preview() (issue 8): the core's sniffer and Parquet
## footer decoder, the `pail preview` command, their tests and fuzz target.
## Included at the end of the top Makefile.am, so it may append (+=).

core_libpail_core_la_SOURCES += core/preview.h core/preview.c core/sniff.c \
	core/parquet.c
tools_pail_SOURCES += tools/preview.c
