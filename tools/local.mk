## tools/local.mk: the `pail` program: main and the helpers every command
## shares, one file per command (cmd_NAME.c), `pail serve` (the explorer)
## with its web UI embedded in the binary, and the explorer's tests.
## Included at the end of the top Makefile.am, so it may append (+=) to the
## lists defined there.

bin_PROGRAMS = tools/pail
tools_pail_SOURCES = tools/pail.c tools/cli.h tools/commands.h \
	tools/commands.c tools/output.c tools/signals.c tools/write_options.c \
	tools/cmd_put.c tools/cmd_get.c tools/cmd_cat.c tools/cmd_ls.c \
	tools/cmd_stat.c tools/cmd_rm.c tools/cmd_cp.c tools/cmd_sign.c \
	tools/cmd_mb.c tools/cmd_backends.c tools/cmd_preview.c \
	tools/cmd_settings.c tools/cmd_cleanup.c tools/cmd_config.c \
	tools/cmd_serve.c tools/serve.h tools/serve_http.c tools/serve_api.c \
	tools/serve_s3.c tools/cmd_credentials.c
nodist_tools_pail_SOURCES = tools/serve_assets.c
tools_pail_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) -I$(top_srcdir)/tools \
	$(MHD_CFLAGS) $(CRYPTO_CFLAGS)
tools_pail_LDADD = libpail.la $(JANSSON_LIBS) $(MHD_LIBS) $(CRYPTO_LIBS)

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
SCRIPT_TESTS += tests/serve_api.sh
CLIENT_TESTS += tests/serve_browser.sh
dist_check_SCRIPTS += tests/serve_lib.sh
EXTRA_DIST += tests/serve_browser.js
mostlyclean-local:
	-rm -rf tests/serve-screenshots
