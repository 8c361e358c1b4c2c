## tools/local.mk: `pail serve`, the explorer: its sources, the web UI
## embedded in the pail binary, and its tests. Included at the end of the
## top Makefile.am, so it may append (+=) to the lists defined there.

# `pail preview` and `pail settings`, the explorer's other commands.
tools_pail_SOURCES += tools/preview.c tools/settings.c

tools_pail_SOURCES += tools/serve.h tools/serve.c tools/serve_http.c \
	tools/serve_api.c
nodist_tools_pail_SOURCES = tools/serve_assets.c
tools_pail_CFLAGS += -I$(top_srcdir)/tools $(MHD_CFLAGS) $(CRYPTO_CFLAGS)
tools_pail_LDADD += $(MHD_LIBS) $(CRYPTO_LIBS)

# The web UI: plain HTML, CSS and JavaScript, no framework, nothing fetched
# from elsewhere; embedded as byte arrays (tools/embed.sh).
SERVE_WEB = tools/web/index.html tools/web/explorer.css tools/web/explorer.js
EXTRA_DIST += $(SERVE_WEB) tools/embed.sh
tools/serve_assets.c: $(SERVE_WEB) tools/embed.sh
	$(AM_V_GEN)$(MKDIR_P) tools && \
	$(SHELL) $(srcdir)/tools/embed.sh $(srcdir)/tools/web index.html \
	  explorer.css explorer.js >$@-t && mv $@-t $@
MOSTLYCLEANFILES = tools/serve_assets.c tools/serve_assets.c-t

# API tests with curl (fs and moto) and the browser test (headless
# Chromium driven by playwright-core; screenshots in
# tests/serve-screenshots/).
SCRIPT_TESTS += tests/serve_api.sh tests/serve_browser.sh
dist_check_SCRIPTS += tests/serve_lib.sh
EXTRA_DIST += tests/serve_browser.js
mostlyclean-local:
	-rm -rf tests/serve-screenshots
