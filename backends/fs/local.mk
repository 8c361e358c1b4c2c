## backends/fs/local.mk: the fs backend, objects as files under a directory.
## Included at the end of the top Makefile.am, so it may append (+=) to
## backends_LTLIBRARIES. Its contract is tested by tests/test_backends and
## the CLI tests, which the top Makefile.am lists.

backends_LTLIBRARIES += backends/fs/pail_fs.la
backends_fs_pail_fs_la_SOURCES = backends/fs/fs.h backends/fs/fs.c \
	backends/fs/fs_keys.c backends/fs/fs_xattr.c backends/fs/fs_etag.c \
	backends/fs/fs_read.c backends/fs/fs_write.c backends/fs/fs_delete.c \
	backends/fs/fs_copy.c backends/fs/fs_list.c backends/fs/fs_cleanup.c
# OpenSSL for the MD5 of etags.
backends_fs_pail_fs_la_CFLAGS = $(PLUGIN_CFLAGS) $(CRYPTO_CFLAGS)
backends_fs_pail_fs_la_LDFLAGS = $(PLUGIN_LDFLAGS)
backends_fs_pail_fs_la_LIBADD = $(CRYPTO_LIBS)
