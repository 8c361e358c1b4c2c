/*
 * gateway.h: the request authentication of pail's S3 gateway, between the
 * files of core/gateway/ and the server that uses them. Not installed.
 *
 * A request is checked in three steps, as S3 checks it: gateway_auth_parse
 * reads who claims to sign it (no secret needed), the server looks up the
 * secret of that access key id, gateway_auth_verify checks the signature and
 * the clock; then gateway_payload_* decode and check the body as it
 * arrives. Every refusal is a pail error whose provider code and HTTP
 * status are S3's (pail_error_provider_code, pail_error_http_status), so
 * the server answers S3's error document from it; its message never holds
 * a secret or the signature the gateway expected.
 */
#ifndef PAIL_CORE_GATEWAY_H
#define PAIL_CORE_GATEWAY_H

#include "internal.h"

/* A request as the server received it. Nothing is copied or kept past a
 * call. */
typedef struct gateway_request {
  const char *method; /* "GET" */
  const char *host;   /* the Host header as received ("127.0.0.1:9000") */
  const char *path;   /* raw path as received, still percent-encoded */
  const char *query;  /* raw query string without '?', "" when none */
  /* The value of a request header by lowercase name, NULL when absent
   * (repeated headers joined by ','). */
  const char *(*header)(void *context, const char *name);
  /* The name of the index-th header received (from 0), its value in
   * *value; NULL past the last. May be NULL: then no header is seen this
   * way (the older query signature signs the x-amz-* headers sent). */
  const char *(*header_at)(void *context, size_t index, const char **value);
  void *context;
  int64_t now; /* seconds since the epoch */
} gateway_request;

typedef enum gateway_auth_kind {
  GATEWAY_AUTH_HEADER,    /* Authorization: AWS4-HMAC-SHA256 ... */
  GATEWAY_AUTH_PRESIGNED, /* X-Amz-Algorithm=AWS4-HMAC-SHA256&... */
  /* AWSAccessKeyId=...&Expires=...&Signature=...: S3's older query
   * signature (HMAC-SHA1), which boto3 still makes by default in
   * us-east-1. amz_date and region are then empty, at is Expires. */
  GATEWAY_AUTH_PRESIGNED_V2
} gateway_auth_kind;

/* What x-amz-content-sha256 says of the body. */
typedef enum gateway_payload_kind {
  GATEWAY_PAYLOAD_SIGNED,   /* the hex SHA-256 of the body */
  GATEWAY_PAYLOAD_UNSIGNED, /* UNSIGNED-PAYLOAD (always when presigned) */
  /* aws-chunked bodies: */
  GATEWAY_PAYLOAD_STREAMING,         /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD */
  GATEWAY_PAYLOAD_STREAMING_TRAILER, /* ...-HMAC-SHA256-PAYLOAD-TRAILER */
  GATEWAY_PAYLOAD_UNSIGNED_TRAILER   /* STREAMING-UNSIGNED-PAYLOAD-TRAILER */
} gateway_payload_kind;

/* The checksums S3 takes with a body (x-amz-checksum-<name>). */
typedef enum gateway_checksum {
  GATEWAY_CHECKSUM_NONE,
  GATEWAY_CHECKSUM_CRC32,
  GATEWAY_CHECKSUM_CRC32C,
  GATEWAY_CHECKSUM_CRC64NVME,
  GATEWAY_CHECKSUM_SHA1,
  GATEWAY_CHECKSUM_SHA256
} gateway_checksum;

/* A request's claims, as gateway_auth_parse read them. Strings are owned
 * by the structure (gateway_auth_clear frees them). */
typedef struct gateway_auth {
  gateway_auth_kind kind;
  char *access_key_id;
  char amz_date[17];     /* the request time, "20130524T000000Z" */
  int64_t at;            /* the same in seconds since the epoch */
  char *region;          /* of the credential scope: whatever the client used */
  char *service;         /* always "s3" */
  char **signed_headers; /* lowercase, as listed (host among them) */
  size_t signed_header_count;
  char signature[65]; /* 64 lowercase hex digits, as received */
  int64_t expires;    /* presigned: X-Amz-Expires, seconds; 0 otherwise */
  gateway_payload_kind payload;
  /* x-amz-content-sha256 as received (the canonical request's last line):
   * the hex hash for GATEWAY_PAYLOAD_SIGNED. */
  char *payload_line;
  int64_t decoded_length; /* x-amz-decoded-content-length; -1: absent */
  /* The checksum the trailer will carry (x-amz-trailer), or NONE. */
  gateway_checksum trailer_checksum;
  /* A checksum sent as a header (x-amz-checksum-<name>: base64), or NONE
   * and NULL. */
  gateway_checksum header_checksum;
  char *header_checksum_value;
  char *content_md5; /* Content-MD5 as received (base64), or NULL */
} gateway_auth;

/* Reads the credential scope and signature from the Authorization header
 * or the X-Amz-* query (presigned), without any secret: the caller then
 * finds the secret of out->access_key_id. out is cleared first; on failure
 * it holds nothing to free. */
PAIL_HIDDEN pail_status gateway_auth_parse(const gateway_request *r,
                                           gateway_auth *out, pail_error **err);
/* Checks a (from gateway_auth_parse of r) with secret: the clock (15
 * minutes of skew for a signed header; for presigned URLs X-Amz-Expires
 * seconds from X-Amz-Date), then the signature, compared in constant
 * time. */
PAIL_HIDDEN pail_status gateway_auth_verify(const gateway_auth *a,
                                            const gateway_request *r,
                                            const char *secret,
                                            pail_error **err);
/* Frees what a holds and clears it; a may be cleared again. */
PAIL_HIDDEN void gateway_auth_clear(gateway_auth *a);

/* Calls visit on each "name=value" piece of a raw query (piece and its
 * length as received, the value still encoded), with the name decoded, or
 * NULL when it does not decode; stops when visit returns false. */
PAIL_HIDDEN void gateway_query_each(
    const char *query,
    bool (*visit)(void *context, const char *name, const char *piece,
                  size_t length, const char *value, size_t value_length),
    void *context);

/* Sets err to S3's error code (AccessDenied, SignatureDoesNotMatch...), with
 * its HTTP status and the matching category; returns the category. */
/* The HTTP status of S3's error code, 0 for a code that is not one the
 * gateway knows. */
PAIL_HIDDEN int gateway_error_status(const char *code);
PAIL_HIDDEN pail_status gateway_error(pail_error **err, const char *code,
                                      const char *format, ...)
    PAIL_PRINTF(3, 4);

/* ------------------------------------------------------------ payload */

/* The decoder of one request body: it strips aws-chunked framing, checks
 * chunk signatures as they arrive, and hashes what the request declared
 * (x-amz-content-sha256, a checksum header or trailer, Content-MD5), in
 * bounded memory whatever the body's size. */
typedef struct gateway_payload gateway_payload;

/* Where decoded bytes go; a failure stops the decoder and is returned by
 * gateway_payload_feed as is. */
typedef pail_status (*gateway_payload_sink)(void *context, const void *data,
                                            size_t length, pail_error **err);

/* Starts the decoder of the body of a request a was verified for with
 * secret. Nothing of a is kept: a may be cleared once this returns. The
 * caller frees *out with gateway_payload_free. */
PAIL_HIDDEN pail_status gateway_payload_open(const gateway_auth *a,
                                             const char *secret,
                                             gateway_payload **out,
                                             pail_error **err);
/* Decodes the next length bytes of the body (any split), handing the
 * decoded bytes to sink before returning. A chunk's bytes reach the sink
 * before its signature can be checked (that takes its last byte), and the
 * declared hashes are checked by finish, so the caller commits nothing
 * until finish succeeds. After a failure every call fails again. */
PAIL_HIDDEN pail_status gateway_payload_feed(gateway_payload *p,
                                             const void *data, size_t length,
                                             gateway_payload_sink sink,
                                             void *context, pail_error **err);
/* At the end of the body: checks that it was whole and that every hash and
 * checksum the request declared matches. */
PAIL_HIDDEN pail_status gateway_payload_finish(gateway_payload *p,
                                               pail_error **err);
PAIL_HIDDEN void gateway_payload_free(gateway_payload *p);

#endif /* PAIL_CORE_GATEWAY_H */
