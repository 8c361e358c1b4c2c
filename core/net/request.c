/*
 * request.c: the request builder every backend uses (ABI 1.11): a
 * pail_request owns its URL and header lines and keeps its pail_http_request
 * view in step with them, so that a backend writes only what its protocol
 * adds (signing, its own headers).
 */
#include "internal.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A pail_request as ABI 1.x lays it out, up to its last member, frozen
 * (backend.h): a plugin allocates the struct, so request_init and
 * request_free clear exactly these bytes, never the core's idea of its
 * size. The assertion stops a member being appended by mistake;
 * tests/test_abi.c pins the layout. */
#define REQUEST_SIZE_1_X (offsetof(pail_request, url) + sizeof(char *))
_Static_assert(sizeof(pail_request) == REQUEST_SIZE_1_X,
               "pail_request is frozen for ABI 1.x");

static void request_sync(pail_request *r) {
  r->http.url = r->url;
  r->http.headers = (const char *const *)r->headers;
  r->http.header_count = r->header_count;
}

pail_status request_init(pail_request *r, const char *method, char *url,
                         pail_error **err) {
  memset(r, 0, REQUEST_SIZE_1_X);
  if (url == NULL)
    return error_no_memory(err);
  r->url = url;
  r->http.method = method;
  request_sync(r);
  return PAIL_OK;
}

pail_status request_header(pail_request *r, pail_error **err,
                           const char *format, ...) {
  char **grown = realloc(r->headers, (r->header_count + 1) * sizeof *grown);
  if (grown == NULL)
    return error_no_memory(err);
  r->headers = grown;
  request_sync(r);
  va_list args;
  va_start(args, format);
  int n = vasprintf(&r->headers[r->header_count], format, args);
  va_end(args);
  if (n < 0)
    return error_no_memory(err);
  r->header_count++;
  request_sync(r);
  return PAIL_OK;
}

pail_status request_set_url(pail_request *r, char *url, pail_error **err) {
  if (url == NULL)
    return error_no_memory(err);
  free(r->url);
  r->url = url;
  request_sync(r);
  return PAIL_OK;
}

void request_free(pail_request *r) {
  for (size_t i = 0; i < r->header_count; i++)
    free(r->headers[i]);
  free(r->headers);
  free(r->url);
  memset(r, 0, REQUEST_SIZE_1_X);
}
