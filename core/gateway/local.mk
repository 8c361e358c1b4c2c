## core/gateway/local.mk: the request authentication of the S3 gateway of
## `pail serve` (SigV4 headers and presigned URLs, aws-chunked bodies and
## their checksums), part of libpail's convenience library. Included right
## after core/net/local.mk, whose SigV4 canonicaliser it uses.

core_libpail_core_la_SOURCES += \
	core/gateway/gateway.h \
	core/gateway/auth.c \
	core/gateway/payload.c
