/*
 * exchange.h: what the files of the S3 gateway share. exchange.c owns the
 * gateway and the life of an exchange (authentication, routing, the
 * response and its body); bucket.c answers the requests on the service and
 * on buckets, object.c those on objects, multipart.c the multipart uploads
 * (staged as objects under RESERVED_UPLOADS_PREFIX).
 */
#ifndef PAIL_CORE_GATEWAY_EXCHANGE_H
#define PAIL_CORE_GATEWAY_EXCHANGE_H

#include "gateway.h"
#include "internal.h"
#include "keys.h"
#include "strbuf.h"

#include <pail/gateway.h>
#include <string.h>

struct pail_gateway {
  pail_workspace *workspace;
  char *region;
};

/* A request's query parameters, decoded. */
typedef struct gateway_param {
  char *name;
  char *value; /* "" for a parameter without '=' */
} gateway_param;

typedef struct gateway_header {
  char *name;
  char *value;
} gateway_header;

/* What the body of a request is for, once it is routed. */
typedef enum body_kind {
  BODY_NONE,   /* no body expected: what arrives is dropped */
  BODY_OBJECT, /* PutObject: decoded and written */
  BODY_XML,    /* DeleteObjects and the like: decoded and kept (bounded) */
  BODY_SPOOL   /* a part for a backend's native upload: decoded and spooled */
} body_kind;

/* spool.c: a part's body in an unlinked temporary file. */
typedef struct gateway_spool gateway_spool;

struct pail_gateway_exchange {
  pail_gateway *gateway;
  const pail_gateway_request *request; /* during begin only */
  /* The request, decoded. */
  char *method;
  char *bucket;        /* NULL for the service (/) */
  char *key;           /* NULL for a bucket */
  const char *storage; /* the bucket's storage: NULL for the primary */
  gateway_param *params;
  size_t param_count;
  char request_id[17];
  /* The caller, once authenticated: the workspace narrowed to its key. */
  gateway_auth auth;
  char secret[GATEWAY_SECRET_SIZE]; /* of the key: the payload checks need it */
  bool authenticated;
  pail_workspace *view;
  /* The body. */
  body_kind body;
  gateway_payload *payload;
  strbuf xml; /* BODY_XML, up to GATEWAY_XML_MAX bytes */
  pail_writer *writer;
  gateway_spool *spool; /* BODY_SPOOL */
  pail_pointer *target; /* the object written */
  pail_write_options write_options;
  pail_metadata_entry *metadata;
  size_t metadata_count;
  pail_error *failure; /* met while the body arrived */
  /* Finishing a request with a body: set by the operation at begin. */
  void (*finish)(pail_gateway_exchange *x);
  /* The response. */
  bool answered;
  int status;
  gateway_header *headers;
  size_t header_count;
  char *text; /* a body in memory (XML) */
  size_t text_length, text_sent;
  pail_reader *reader; /* a body streamed from the storage */
  uint64_t body_length, body_sent;
};

/* The largest XML body the gateway takes (DeleteObjects of 1,000 keys of
 * 1,024 bytes, with their markup). */
#define GATEWAY_XML_MAX (2u * 1024 * 1024)

/* ------------------------------------------------------- exchange.c */

/* Whether the request's method is method ("GET"). */
static inline bool gateway_method_is(const pail_gateway_exchange *x,
                                     const char *method) {
  return strcmp(x->method, method) == 0;
}
/* The value of query parameter name, or NULL. */
PAIL_HIDDEN const char *gateway_param_get(const pail_gateway_exchange *x,
                                          const char *name);
/* The value of request header name (during begin only), or NULL. */
PAIL_HIDDEN const char *gateway_header_get(const pail_gateway_exchange *x,
                                           const char *name);
/* Adds a response header (both copied); false when out of memory. */
PAIL_HIDDEN bool gateway_add_header(pail_gateway_exchange *x, const char *name,
                                    const char *value);
/* Answers status with the XML document text (taken over; NULL is out of
 * memory) or no body (NULL text with status 200/204/304). */
PAIL_HIDDEN void gateway_answer(pail_gateway_exchange *x, int status,
                                char *text);
/* Answers an S3 error document for err (freed): its provider code when it
 * is one of S3's, else the code its category maps to. resource names the
 * bucket or key in the document. */
PAIL_HIDDEN void gateway_answer_error(pail_gateway_exchange *x,
                                      pail_error *err);
/* Answers an S3 error of the gateway's own. */
PAIL_HIDDEN void gateway_answer_code(pail_gateway_exchange *x, int status,
                                     const char *code, const char *message);
/* The pointer of the request's bucket and key (or key given). */
PAIL_HIDDEN pail_pointer *gateway_pointer(const pail_gateway_exchange *x,
                                          const char *key);

/* XML text: appends s with &, <, >, " and ' escaped (and control
 * characters as character references, which XML 1.0 forbids raw but S3
 * keys may hold: clients asked for encoding-type=url to avoid them). */
PAIL_HIDDEN void gateway_xml_text(strbuf *b, const char *s);
/* <name>text</name> */
PAIL_HIDDEN void gateway_xml_element(strbuf *b, const char *name,
                                     const char *text);
/* The XML declaration and the root element's start, in S3's namespace. */
PAIL_HIDDEN void gateway_xml_start(strbuf *b, const char *root);
/* Seconds as S3's XML times: 2026-12-07T10:00:00.000Z. */
PAIL_HIDDEN void gateway_xml_time(int64_t seconds, char out[32]);
/* Seconds as an HTTP date: Mon, 07 Dec 2026 10:00:00 GMT. */
PAIL_HIDDEN void gateway_http_date(int64_t seconds, char out[32]);
/* An ETag as S3 shows it, quoted ("..."). Caller frees; NULL for none. */
PAIL_HIDDEN char *gateway_etag_quoted(const char *etag);
/* Whether two ETags are the same, each quoted or not, weak (W/) or not. */
PAIL_HIDDEN bool gateway_etag_equal(const char *a, const char *b);
/* Whether an If-Match / If-None-Match list (ETags separated by commas, or
 * "*") holds etag (NULL: the object has none, which only "*" matches). */
PAIL_HIDDEN bool gateway_etag_listed(const char *list, const char *etag);

/* --------------------------------------------------------- xml_in.c */

/* A DeleteObjects body: its keys (1 to 1,000, each whole and not empty)
 * and whether the answer is quiet. */
typedef struct gateway_delete_request {
  char **keys;
  size_t count;
  bool quiet;
} gateway_delete_request;
/* false for a body that is not one (MalformedXML); out is then empty. */
PAIL_HIDDEN bool gateway_delete_request_parse(const char *xml, size_t length,
                                              gateway_delete_request *out);
PAIL_HIDDEN void gateway_delete_request_clear(gateway_delete_request *r);

/* S3's part numbers: 1 to 10,000. */
#define GATEWAY_PART_NUMBER_MAX 10000
/* A part as CompleteMultipartUpload names it. */
typedef struct gateway_listed_part {
  unsigned number;   /* 1 to GATEWAY_PART_NUMBER_MAX */
  char *etag;        /* as the client wrote it, quoted or not */
  uint64_t size;     /* filled once the part is found */
  char *native_etag; /* the backend's, for a native upload (ABI 1.18) */
} gateway_listed_part;
typedef struct gateway_complete_request {
  gateway_listed_part *parts; /* in the body's order */
  size_t count;
} gateway_complete_request;
/* false for a body that is not one (MalformedXML); out is then empty. */
PAIL_HIDDEN bool gateway_complete_request_parse(const char *xml, size_t length,
                                                gateway_complete_request *out);
PAIL_HIDDEN void gateway_complete_request_clear(gateway_complete_request *r);

/* ------------------------------------------------------- multipart.c */

/* A part number as text ("1" to "10000"), or 0 when it is not one. */
PAIL_HIDDEN unsigned gateway_part_number(const char *text);

/* --------------------------------------------------------- bucket.c */

/* Routes a request on / or on a bucket; answers or arms the body. */
PAIL_HIDDEN void gateway_service_request(pail_gateway_exchange *x);
PAIL_HIDDEN void gateway_bucket_request(pail_gateway_exchange *x);

/* S3's common prefixes: the length of prefix + what follows it in key up
 * to and including the first delimiter (a string of any length), or 0 when
 * key does not fold (no delimiter after the prefix, or not under it). */
PAIL_HIDDEN size_t gateway_fold_length(const char *key, const char *prefix,
                                       const char *delimiter);

/* What a client that names a key under RESERVED_UPLOADS_PREFIX is told. */
#define GATEWAY_RESERVED_MESSAGE                                               \
  "Keys under " RESERVED_UPLOADS_PREFIX " are reserved for the gateway's "     \
  "staged multipart uploads."

/* --------------------------------------------------------- object.c */

PAIL_HIDDEN void gateway_object_request(pail_gateway_exchange *x);
/* The first of params that names one of S3's object subresources (acl,
 * tagging, versionId, ...), none of which the gateway implements, or NULL:
 * such a request is answered NotImplemented, never taken for GetObject,
 * PutObject or DeleteObject. */
PAIL_HIDDEN const char *gateway_object_subresource(const gateway_param *params,
                                                   size_t count);
/* The x-amz-meta-* headers of the request (during begin) as x->metadata;
 * false when out of memory. */
PAIL_HIDDEN bool gateway_collect_metadata(pail_gateway_exchange *x);
/* Answers a copy's result document, <root> with the LastModified and ETag
 * of info (cleared). */
PAIL_HIDDEN void gateway_answer_copy(pail_gateway_exchange *x, const char *root,
                                     pail_object_info *info);
/* After x->writer was opened with status (err its error): arms the body
 * to be decoded into it (finished by gateway_writer_finish), or answers. */
PAIL_HIDDEN void gateway_body_arm(pail_gateway_exchange *x, pail_status status,
                                  pail_error *err);
/* The decoded size the request announces (during begin), 0 unknown. */
PAIL_HIDDEN uint64_t gateway_body_size(const pail_gateway_exchange *x);
/* A finish: commits x->writer and answers 200 with the object's ETag. */
PAIL_HIDDEN void gateway_writer_finish(pail_gateway_exchange *x);
/* The object an x-amz-copy-source names ("[/]BUCKET/KEY", percent-encoded),
 * or NULL, answered, for one that names none (or a version). Caller
 * frees. */
PAIL_HIDDEN pail_pointer *gateway_copy_source(pail_gateway_exchange *x,
                                              const char *text);
/* The x-amz-copy-source-if-* conditions of a copy from src, judged as S3
 * does: false, answered (412 PreconditionFailed, or the source's error),
 * when the copy must not happen. When there are conditions, *info is the
 * source's as judged (its ETag the one to pin the copy's read to; caller
 * clears), else empty. */
PAIL_HIDDEN bool gateway_copy_source_judge(pail_gateway_exchange *x,
                                           const pail_pointer *src,
                                           pail_object_info *info);

/* ---------------------------------------------------------- spool.c */

/* Opens an empty spool in $TMPDIR (else /tmp): a file without a name,
 * gone when the spool is freed, that takes at most limit bytes. */
PAIL_HIDDEN pail_status gateway_spool_open(uint64_t limit, gateway_spool **out,
                                           pail_error **err);
/* Appends bytes: S3's EntityTooLarge past the limit, PAIL_ERR_IO when the
 * disk refuses them. */
PAIL_HIDDEN pail_status gateway_spool_write(gateway_spool *s, const void *data,
                                            size_t length, pail_error **err);
PAIL_HIDDEN int gateway_spool_fd(const gateway_spool *s);
PAIL_HIDDEN uint64_t gateway_spool_length(const gateway_spool *s);
/* The MD5 of what was written, in hex (S3's ETag of a part); once. */
PAIL_HIDDEN void gateway_spool_md5_hex(gateway_spool *s, char out[33]);
PAIL_HIDDEN void gateway_spool_free(gateway_spool *s);

/* ------------------------------------------------------ multipart.c */

/* Answers a request on key p (kept by the caller) that carries uploads,
 * uploadId or partNumber; or arms its body. */
PAIL_HIDDEN void gateway_multipart_request(pail_gateway_exchange *x,
                                           const pail_pointer *p);
/* ListMultipartUploads: GET /BUCKET?uploads. */
PAIL_HIDDEN void gateway_list_uploads(pail_gateway_exchange *x);

#endif /* PAIL_CORE_GATEWAY_EXCHANGE_H */
