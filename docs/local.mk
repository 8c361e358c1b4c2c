## docs/local.mk: `make check-docs`, which keeps the docs true to the tree
## and to the built `pail` (scripts/check-docs: paths, commands, options, the
## man page's commands, the source-tree map in architecture.md), and the test
## that proves the checker fails. Included at the end of the top Makefile.am,
## so it may append (+=) to the lists defined there.

# Python 3.11's standard library only; override with make PYTHON3=...
PYTHON3 = python3

# Seconds: it runs `pail --help` and each `pail CMD --help`, then reads the
# docs. The build tree counts for built paths (tools/pail).
check-docs: tools/pail$(EXEEXT)
	$(PYTHON3) $(srcdir)/scripts/check-docs \
	  --pail $(abs_top_builddir)/tools/pail$(EXEEXT) \
	  --srcdir $(srcdir) --builddir $(abs_top_builddir)
.PHONY: check-docs

# The checker against docs with a bogus path, option, command and a man
# page lacking a command: each must fail naming FILE:LINE.
SCRIPT_TESTS += tests/check_docs.sh
EXTRA_DIST += docs/check-docs.allow
