## bench/local.mk: `make bench` and `make bench-smoke` run bench/run against
## this build tree (see docs/performance.md), `make soak` the long soaks.
## Never part of `make check`: timing targets and long runs live here only.

EXTRA_DIST += bench/run bench/bench.py bench/pail_bench.c bench/results

bench: all
	$(srcdir)/bench/run --build $(abs_top_builddir) $(BENCH_ARGS)

bench-smoke: all
	$(srcdir)/bench/run --smoke --build $(abs_top_builddir)

# The long soaks: tests/*_soak.sh with SOAK_OPS operations each (make check
# runs a few hundred; docs/reliability.md).
SOAK_OPS = 5000
soak: all
	$(MAKE) $(AM_MAKEFLAGS) check PAIL_SOAK_OPS=$(SOAK_OPS) \
	  TESTS='tests/s3_soak.sh tests/azure_soak.sh tests/gcs_soak.sh'

.PHONY: bench bench-smoke soak
