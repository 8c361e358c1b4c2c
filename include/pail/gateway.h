/*
 * pail/gateway.h: the S3 gateway (docs/gateway.md). A gateway answers S3
 * REST requests (path-style: /BUCKET/KEY, one bucket per storage of the
 * workspace, "_default_" for the primary) over a workspace, for clients
 * holding keys minted with pail_credentials_mint: the storages' own
 * credentials never leave the process. It speaks S3, not HTTP: a server
 * (`pail serve --s3-listen`, or any program's own) hands it each request's
 * method, path, query and headers, feeds it the body, and sends back the
 * status, headers and body it produces.
 *
 * One exchange per request:
 *
 *   pail_gateway_exchange *x = pail_gateway_begin(gw, &request);
 *   while (body arrives) pail_gateway_body(x, data, length);
 *   pail_gateway_finish(x);
 *   status, headers: pail_gateway_status, pail_gateway_header
 *   body: pail_gateway_body_file, or pail_gateway_read until *got is 0
 *   pail_gateway_end(x);
 *
 * A gateway is thread-safe: exchanges run on any threads at once; one
 * exchange is used by one thread at a time.
 */
#ifndef PAIL_GATEWAY_H
#define PAIL_GATEWAY_H

#include <pail/pail.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pail_gateway pail_gateway;

typedef struct pail_gateway_options {
  size_t struct_size;
  /* The region GetBucketLocation reports; NULL: "us-east-1". Requests are
   * accepted whatever region their signature names, as clients configured
   * for another region still sign correctly for it. */
  const char *region;
} pail_gateway_options;
#define PAIL_GATEWAY_OPTIONS_INIT                                              \
  { sizeof(pail_gateway_options), NULL }

/* A gateway over workspace, which must stay open until pail_gateway_close
 * and must be one opened from settings (it checks keys with the settings'
 * gateway signing keys and narrows the workspace for each). */
PAIL_EXPORT pail_status pail_gateway_open(pail_workspace *workspace,
                                          const pail_gateway_options *options,
                                          pail_gateway **out, pail_error **err);
PAIL_EXPORT void pail_gateway_close(pail_gateway *gateway);

typedef struct pail_gateway_request {
  size_t struct_size;
  const char *method; /* "GET" */
  const char *path;   /* as received, still percent-encoded: "/b/a%20b" */
  const char *query;  /* as received, without '?'; "" when none */
  /* The value of the request header `name` (any case), NULL when absent. */
  const char *(*header)(void *context, const char *name);
  /* The name of the index-th header (from 0) with its value in *value, or
   * NULL past the last: for the x-amz-meta-* headers. */
  const char *(*header_at)(void *context, size_t index, const char **value);
  void *context;
} pail_gateway_request;
#define PAIL_GATEWAY_REQUEST_INIT                                              \
  { sizeof(pail_gateway_request), NULL, NULL, "", NULL, NULL, NULL }

typedef struct pail_gateway_exchange pail_gateway_exchange;

/* Authenticates and routes a request. NULL only when out of memory (answer
 * 500). The request's strings need not outlive the call. */
PAIL_EXPORT pail_gateway_exchange *
pail_gateway_begin(pail_gateway *gateway, const pail_gateway_request *request);
/* Whether the exchange takes the request's body (an authorised PUT or
 * POST). When not, a server may drop the body or close the connection. */
PAIL_EXPORT int pail_gateway_wants_body(const pail_gateway_exchange *exchange);
/* The next piece of the request body, as it arrives. A failure on the way
 * (a bad chunk signature, a storage error) is kept and answered by finish;
 * what follows is dropped. */
PAIL_EXPORT void pail_gateway_body(pail_gateway_exchange *exchange,
                                   const void *data, size_t length);
/* The body is complete (or there was none): the operation completes (an
 * upload is committed, or aborted when anything failed, so nothing partial
 * is stored) and the response is ready. */
PAIL_EXPORT void pail_gateway_finish(pail_gateway_exchange *exchange);

/* The response: status, headers (index 0 up to count), body length
 * (UINT64_MAX when it is streamed without a known length) and body. */
PAIL_EXPORT int pail_gateway_status(const pail_gateway_exchange *exchange);
PAIL_EXPORT size_t
pail_gateway_header_count(const pail_gateway_exchange *exchange);
PAIL_EXPORT void pail_gateway_header(const pail_gateway_exchange *exchange,
                                     size_t index, const char **name,
                                     const char **value);
PAIL_EXPORT uint64_t
pail_gateway_body_length(const pail_gateway_exchange *exchange);
/* Up to capacity bytes of the response body; *got is 0 only at its end. A
 * failure in the middle of a body (the storage broke) can no longer change
 * the status: the server must then cut the connection, so that the client
 * sees a short body. */
PAIL_EXPORT pail_status pail_gateway_read(pail_gateway_exchange *exchange,
                                          void *buffer, size_t capacity,
                                          size_t *got, pail_error **err);
/* When the whole response body is a range of a local file (a GET from an
 * fs storage), that file instead: *fd a new descriptor the caller closes
 * (or hands to a sender that does), *offset and the body length, so that
 * the server sends it with sendfile(2). The body then counts as sent:
 * pail_gateway_read gives nothing more. 0, *fd -1, when it is not, or
 * when the body was read from already: read it with pail_gateway_read. */
PAIL_EXPORT int pail_gateway_body_file(pail_gateway_exchange *exchange, int *fd,
                                       uint64_t *offset);
/* Frees the exchange (aborting whatever it left open). */
PAIL_EXPORT void pail_gateway_end(pail_gateway_exchange *exchange);

#ifdef __cplusplus
}
#endif

#endif /* PAIL_GATEWAY_H */
