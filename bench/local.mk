## bench/local.mk: `make bench` and `make bench-smoke` run bench/run against
## this build tree (see docs/performance.md). Never part of `make check`:
## timing targets live in bench/ only.

EXTRA_DIST += bench/run bench/bench.py bench/pail_bench.c bench/results

bench: all
	$(srcdir)/bench/run --build $(abs_top_builddir) $(BENCH_ARGS)

bench-smoke: all
	$(srcdir)/bench/run --smoke --build $(abs_top_builddir)

.PHONY: bench bench-smoke
