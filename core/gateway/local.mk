## core/gateway/local.mk: the S3 gateway of `pail serve` (docs/gateway.md):
## its access keys, request authentication and payloads, part of libpail's
## convenience library. Included right after core/net/local.mk.

core_libpail_core_la_SOURCES += \
	core/gateway/keys.h \
	core/gateway/keys.c \
	core/gateway/exchange.h \
	core/gateway/exchange.c \
	core/gateway/bucket.c \
	core/gateway/object.c
