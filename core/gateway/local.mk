## core/gateway/local.mk: the S3 gateway of `pail serve` (docs/gateway.md),
## part of libpail's convenience library: request authentication (SigV4
## headers and presigned URLs, aws-chunked bodies and their checksums, with
## core/net/sigv4.c's canonicaliser), the access keys, and the exchanges
## that answer S3's operations. Included right after core/net/local.mk.

core_libpail_core_la_SOURCES += \
	core/gateway/gateway.h \
	core/gateway/auth.c \
	core/gateway/payload.c \
	core/gateway/keys.h \
	core/gateway/keys.c \
	core/gateway/exchange.h \
	core/gateway/exchange.c \
	core/gateway/bucket.c \
	core/gateway/object.c \
	core/gateway/xml_in.c \
	core/gateway/multipart.c \
	core/gateway/spool.c
