## core/net/local.mk: the network machinery the core lends to plugins
## through the services table (HTTP, retries, resumable reads, uploads by
## parts, the request builder, SigV4, hashes and CRCs), part of libpail's
## convenience library. Included right after core/local.mk.

core_libpail_core_la_SOURCES += \
	core/net/crypto.c \
	core/net/crc.c \
	core/net/http_private.h \
	core/net/http_pool.c \
	core/net/http_url.c \
	core/net/http_transfer.c \
	core/net/http_exchange.c \
	core/net/http_stream.c \
	core/net/http_group.c \
	core/net/retry.c \
	core/net/resume.c \
	core/net/part_writer.c \
	core/net/request.c \
	core/net/sigv4.c
