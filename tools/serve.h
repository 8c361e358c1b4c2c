/*
 * serve.h: what the parts of `pail serve` share. cmd_serve.c starts the HTTP
 * server (libmicrohttpd) and waits for a signal; serve_http.c receives each
 * request, checks the access token and routes it; serve_api.c answers the
 * JSON API over the public libpail API; serve_assets.c (generated at build
 * time from tools/web/) holds the web UI's files.
 */
#ifndef PAIL_TOOLS_SERVE_H
#define PAIL_TOOLS_SERVE_H

#include "cli.h"

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

/* The token is 32 random bytes printed as 64 hex digits (or --token). */
#define SERVE_TOKEN_MAX 256

/* The state every request handler reads. Set up before the daemon starts
 * and never written after, so the connection threads share it without a
 * lock; the workspace is thread-safe by libpail's contract. */
typedef struct serve_server {
  pail_workspace *workspace;
  const char *default_storage; /* --storage, NULL for the primary */
  char token[SERVE_TOKEN_MAX + 1];
  unsigned char token_digest[32]; /* SHA-256 of token, for the comparison */
  uint64_t max_upload;            /* bytes; larger uploads are refused */
} serve_server;

/* One embedded file of the web UI. */
typedef struct serve_asset {
  const char *path; /* "/index.html" */
  const char *content_type;
  const unsigned char *data;
  size_t size;
} serve_asset;

/* serve_assets.c: the table, ended by a NULL path. */
extern const serve_asset serve_assets[];

/* The state of one request across the access handler's calls (an upload
 * arrives in many). Allocated on the first call, freed by serve_completed. */
typedef struct serve_request {
  int authorized;
  int upload; /* PUT /api/object, streamed as its body arrives */
  /* PUT /api/object: the open writer, bytes received so far, and a failure
   * met while the body was still arriving (answered once it has). */
  pail_writer *writer;
  pail_pointer *pointer;
  uint64_t received;
  uint64_t declared; /* Content-Length, or UINT64_MAX when not given */
  pail_error *error;
  int too_large;
} serve_request;

/* serve_http.c: the access handler and completion callback given to MHD. */
enum MHD_Result serve_handle(void *cls, struct MHD_Connection *connection,
                             const char *url, const char *method,
                             const char *version, const char *upload_data,
                             size_t *upload_data_size, void **con_cls);
void serve_completed(void *cls, struct MHD_Connection *connection,
                     void **con_cls, enum MHD_RequestTerminationCode toe);

/* True when text (of len bytes) is the server's token; constant time. */
int serve_token_matches(const serve_server *server, const char *text,
                        size_t len);

/* ------------------------------------------------------ response helpers */

/* Queues doc (a JSON value, released here) with HTTP status. */
enum MHD_Result serve_json(struct MHD_Connection *connection,
                           unsigned int status, json_t *doc);
/* The same with one more header (name and value) on the response. */
enum MHD_Result serve_json_with(struct MHD_Connection *connection,
                                unsigned int status, json_t *doc,
                                const char *header, const char *value);
/* Queues {"error": {category, message, provider_code, http_status,
 * request_id}} with the HTTP status that fits the category; frees err. */
enum MHD_Result serve_pail_error(struct MHD_Connection *connection,
                                 pail_error *err);
/* Queues {"error": {"category": category, "message": ...}} for an error of
 * the server itself (bad request, missing token, too large). */
enum MHD_Result serve_error(struct MHD_Connection *connection,
                            unsigned int status, const char *category,
                            const char *format, ...)
    __attribute__((format(printf, 4, 5)));
/* Adds the headers every response carries (no caching of API answers,
 * nosniff, no referrer, no framing). */
void serve_common_headers(struct MHD_Response *response);

/* A query parameter, with its length (so that an embedded NUL, "%00", is
 * seen rather than silently cutting the value). NULL when absent. */
const char *serve_arg(struct MHD_Connection *connection, const char *name,
                      size_t *len);

/* ------------------------------------------------------------------ API */

/* serve_api.c: answers a request under /api/ (url is the part after it).
 * Bodies: PUT /api/object is streamed through serve_upload. */
enum MHD_Result serve_api(serve_server *server,
                          struct MHD_Connection *connection, const char *url,
                          const char *method, serve_request *request);
/* PUT /api/object, in three steps. serve_upload_start (headers only)
 * checks the key and the declared size and opens the writer, or queues the
 * error. serve_upload_data feeds each piece of the body to the writer; a
 * failure (or the size limit) aborts it and the rest of the body is
 * dropped. serve_upload_finish (the body is through) commits, or answers
 * the failure met on the way. */
enum MHD_Result serve_upload_start(serve_server *server,
                                   struct MHD_Connection *connection,
                                   serve_request *request);
void serve_upload_data(serve_server *server, serve_request *request,
                       const char *data, size_t size);
enum MHD_Result serve_upload_finish(serve_server *server,
                                    struct MHD_Connection *connection,
                                    serve_request *request);

/* ------------------------------------------------------------ S3 gateway */

struct pail_gateway;
/* serve_s3.c: starts libmicrohttpd on address for the gateway (which must
 * outlive the daemon), over TLS with the PEM files tls_cert and tls_key
 * when they are not NULL; NULL when it cannot (said through logger, or on
 * stderr for the files). */
struct MHD_Daemon *serve_s3_start(struct pail_gateway *gateway,
                                  const struct sockaddr *address, int ipv6,
                                  const char *tls_cert, const char *tls_key,
                                  MHD_LogCallback logger);

#endif /* PAIL_TOOLS_SERVE_H */
