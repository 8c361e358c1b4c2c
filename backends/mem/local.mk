## backends/mem/local.mk: the mem backend, objects in process memory.
## Included at the end of the top Makefile.am, so it may append (+=) to
## backends_LTLIBRARIES. Its contract is tested by tests/test_backends,
## which the top Makefile.am lists.

backends_LTLIBRARIES += backends/mem/pail_mem.la
backends_mem_pail_mem_la_SOURCES = backends/mem/mem.c
backends_mem_pail_mem_la_CFLAGS = $(PLUGIN_CFLAGS)
backends_mem_pail_mem_la_LDFLAGS = $(PLUGIN_LDFLAGS)
