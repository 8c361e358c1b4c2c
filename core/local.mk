## core/local.mk: libpail. Included by the top Makefile.am where the core's
## section stands; core/net/local.mk (the network machinery) and
## core/preview/local.mk (the preview) add their sources to the
## same convenience library.

# All of the core is built once as a convenience library: libpail.so exports
# only the PAIL_EXPORT symbols, and unit tests link the archive so they can
# reach internal functions. Only the core, its unit tests and the fuzz
# targets see core/ (CORE_CPPFLAGS): plugins and the CLI get the public
# headers alone, so nothing can include internal.h by accident. common/ is
# code compiled into the core and into plugins alike.
CORE_CPPFLAGS = -I$(top_srcdir)/core -I$(top_srcdir)/common
noinst_LTLIBRARIES = core/libpail_core.la
core_libpail_core_la_SOURCES = \
	core/internal.h \
	core/error.c \
	core/strings.c \
	core/text.c \
	core/clock.c \
	core/credentials.c \
	core/delegate.c \
	core/pointer.c \
	core/permissions.c \
	core/grant.c \
	core/settings.c \
	core/settings_export.c \
	core/plugin.c \
	core/services.c \
	core/redact.c \
	core/object_info.c \
	core/content_type.c \
	core/workspace.c \
	core/operations.c \
	core/cleanup.c \
	core/transfer.c \
	common/strbuf.h \
	common/strbuf.c
# libxml2 for the S3 gateway alone (core/gateway/: the XML bodies clients
# send); the s3 and azure plugins link it themselves.
core_libpail_core_la_CFLAGS = $(AM_CFLAGS) $(CORE_CPPFLAGS) \
	-fvisibility=hidden $(CURL_CFLAGS) $(CRYPTO_CFLAGS) $(JANSSON_CFLAGS) \
	$(ZLIB_CFLAGS) $(XML_CFLAGS)
core_libpail_core_la_LIBADD = $(CURL_LIBS) $(CRYPTO_LIBS) $(JANSSON_LIBS) \
	$(ZLIB_LIBS) $(XML_LIBS)

lib_LTLIBRARIES = libpail.la
libpail_la_SOURCES =
libpail_la_LIBADD = core/libpail_core.la
libpail_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 -no-undefined
