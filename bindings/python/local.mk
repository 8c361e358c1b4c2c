## bindings/python/local.mk: the Python package `pail` (docs/python.md),
## pure Python over libpail through ctypes, installed into the Python site
## directory found by configure (AM_PATH_PYTHON), and its pytest suite, run
## by tests/python_binding.sh. Included from the top Makefile.am after the
## test lists it appends to.

PYTHON_SOURCES = bindings/python/pail/__init__.py \
	bindings/python/pail/_errors.py bindings/python/pail/_lib.py \
	bindings/python/pail/_workspace.py
PYTHON_TESTS = bindings/python/tests/conftest.py \
	bindings/python/tests/test_roundtrip.py \
	bindings/python/tests/test_stream.py \
	bindings/python/tests/test_errors.py \
	bindings/python/tests/test_threads.py \
	bindings/python/tests/test_windmill.py \
	bindings/python/tests/test_gateway.py \
	bindings/python/tests/test_logging.py \
	bindings/python/tests/test_gil.py

if HAVE_PYTHON
pkgpython_PYTHON = $(PYTHON_SOURCES)
# Where the package finds libpail once installed: the path `make install`
# puts it at, recorded at build time (PAIL_LIBRARY overrides it).
nodist_pkgpython_PYTHON = bindings/python/pail/_build.py
all-local: bindings/python/pail/_build.py
# `make install prefix=...` (or libdir=...) may name another libdir than
# the one _build.py was made with: the installed copy is written again with
# the libdir of the install itself, where libpail.so went, and its stale
# byte code removed.
install-data-hook: install-python-build-path
install-python-build-path:
	$(AM_V_GEN){ echo '# Written by make install: the libpail this package was installed with.'; \
	  echo 'LIBRARY = "$(libdir)/libpail.so"'; } >"$(DESTDIR)$(pkgpythondir)/_build.py" && \
	rm -f "$(DESTDIR)$(pkgpythondir)"/__pycache__/_build.*.pyc \
	  "$(DESTDIR)$(pkgpythondir)"/_build.pyc "$(DESTDIR)$(pkgpythondir)"/_build.pyo
else
EXTRA_DIST += $(PYTHON_SOURCES)
endif
EXTRA_DIST += $(PYTHON_TESTS)

bindings/python/pail/_build.py: Makefile
	$(AM_V_GEN)$(MKDIR_P) bindings/python/pail && \
	{ echo '# Written by make: the libpail this package was built for.'; \
	  echo 'LIBRARY = "$(libdir)/libpail.so"'; } >$@-t && mv $@-t $@
MOSTLYCLEANFILES += bindings/python/pail/_build.py \
	bindings/python/pail/_build.py-t

# The package against the build tree's libpail, on fs, moto and Azurite.
SCRIPT_TESTS += tests/python_binding.sh
# `make install prefix=DIR`: the installed package finds DIR's libpail.
SCRIPT_TESTS += tests/python_install.sh
AM_TESTS_ENVIRONMENT += PYTHON='$(PYTHON)'; SAN_CFLAGS='$(SAN_CFLAGS)'; \
	export PYTHON SAN_CFLAGS;
