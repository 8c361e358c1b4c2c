/*
 * serve_s3.c: the S3 gateway of `pail serve --s3-listen`: libmicrohttpd
 * carries each request to libpail's gateway (include/pail/gateway.h),
 * which speaks S3; this file only speaks HTTP. The path and the query are
 * handed over as received (no unescaping: the signature covers their raw
 * form), the body as it arrives, and the response body is pulled from the
 * gateway as the client takes it, so memory stays bounded whatever the
 * size of an object.
 */
#define _GNU_SOURCE
#include "serve.h"

#include <pail/gateway.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* How much of a response body is pulled from the gateway at a time. */
#define RESPONSE_BLOCK (256 * 1024)

/* One request's state across the access handler's calls. */
typedef struct s3_request {
  pail_gateway_exchange *exchange;
  struct MHD_Connection *connection;
  bool queued;
  /* The headers, gathered once for header_at. */
  const char **names, **values;
  size_t count, capacity;
} s3_request;

/* Keeps the path and the query as received: SigV4 signs their raw form,
 * and the gateway decodes them itself. */
static size_t unescape_none(void *cls, struct MHD_Connection *connection,
                            char *text) {
  (void)cls;
  (void)connection;
  return strlen(text);
}

static const char *header_by_name(void *context, const char *name) {
  s3_request *r = context;
  return MHD_lookup_connection_value(r->connection, MHD_HEADER_KIND, name);
}

static enum MHD_Result gather_header(void *cls, enum MHD_ValueKind kind,
                                     const char *name, const char *value) {
  s3_request *r = cls;
  (void)kind;
  if (r->count == r->capacity) {
    size_t capacity = r->capacity ? 2 * r->capacity : 32;
    const char **names = realloc(r->names, capacity * sizeof *names);
    if (names == NULL)
      return MHD_NO;
    r->names = names;
    const char **values = realloc(r->values, capacity * sizeof *values);
    if (values == NULL)
      return MHD_NO;
    r->values = values;
    r->capacity = capacity;
  }
  r->names[r->count] = name;
  r->values[r->count] = value ? value : "";
  r->count++;
  return MHD_YES;
}

static const char *header_at(void *context, size_t index, const char **value) {
  s3_request *r = context;
  if (index >= r->count)
    return NULL;
  *value = r->values[index];
  return r->names[index];
}

/* The raw query, rebuilt from MHD's arguments in their order ("a=1&b"). */
typedef struct query_text {
  char *text;
  size_t length;
  bool failed;
} query_text;

static enum MHD_Result gather_argument(void *cls, enum MHD_ValueKind kind,
                                       const char *name, const char *value) {
  query_text *q = cls;
  (void)kind;
  size_t more = strlen(name) + (value ? strlen(value) + 1 : 0) + 1;
  char *grown = realloc(q->text, q->length + more + 1);
  if (grown == NULL) {
    q->failed = true;
    return MHD_NO;
  }
  q->text = grown;
  q->length +=
      (size_t)sprintf(q->text + q->length, "%s%s%s%s", q->length ? "&" : "",
                      name, value ? "=" : "", value ? value : "");
  return MHD_YES;
}

static ssize_t read_body(void *cls, uint64_t position, char *buffer,
                         size_t capacity) {
  s3_request *r = cls;
  (void)position;
  size_t got = 0;
  pail_error *err = NULL;
  if (pail_gateway_read(r->exchange, buffer, capacity, &got, &err) != PAIL_OK) {
    /* Too late for another status: cut the connection, so that the
     * client sees a short body rather than a whole one. */
    fprintf(stderr, "pail: serve: s3: %s\n", pail_error_message(err));
    pail_error_free(err);
    return MHD_CONTENT_READER_END_WITH_ERROR;
  }
  return got > 0 ? (ssize_t)got : MHD_CONTENT_READER_END_OF_STREAM;
}

static enum MHD_Result queue_answer(s3_request *r) {
  pail_gateway_exchange *x = r->exchange;
  uint64_t length = pail_gateway_body_length(x);
  int status = pail_gateway_status(x);
  int fd = -1;
  uint64_t offset = 0;
  struct MHD_Response *response;
  if (status == 204 || status == 304 || length == 0)
    response = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
  else if (pail_gateway_body_file(x, &fd, &offset)) {
    /* A file: libmicrohttpd sends it with sendfile(2) (without TLS) and
     * closes fd with the response. */
    response = MHD_create_response_from_fd_at_offset64(length, fd, offset);
    if (response == NULL)
      close(fd);
  } else
    response = MHD_create_response_from_callback(
        length == UINT64_MAX ? MHD_SIZE_UNKNOWN : length, RESPONSE_BLOCK,
        read_body, r, NULL);
  if (response == NULL)
    return MHD_NO;
  for (size_t i = 0; i < pail_gateway_header_count(x); i++) {
    const char *name, *value;
    pail_gateway_header(x, i, &name, &value);
    /* libmicrohttpd writes the length from the response itself. */
    if (strcasecmp(name, "Content-Length") != 0)
      MHD_add_response_header(response, name, value);
  }
  r->queued = true;
  enum MHD_Result result =
      MHD_queue_response(r->connection, (unsigned)status, response);
  MHD_destroy_response(response);
  return result;
}

/* Starts the exchange of a new request. */
static s3_request *request_begin(pail_gateway *gateway,
                                 struct MHD_Connection *connection,
                                 const char *url, const char *method) {
  s3_request *r = calloc(1, sizeof *r);
  if (r == NULL)
    return NULL;
  r->connection = connection;
  query_text query = {0};
  MHD_get_connection_values(connection, MHD_HEADER_KIND, gather_header, r);
  MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, gather_argument,
                            &query);
  pail_gateway_request request = PAIL_GATEWAY_REQUEST_INIT;
  request.method = method;
  request.path = url;
  request.query = query.text ? query.text : "";
  request.header = header_by_name;
  request.header_at = header_at;
  request.context = r;
  r->exchange = query.failed ? NULL : pail_gateway_begin(gateway, &request);
  free(query.text);
  if (r->exchange == NULL) {
    free(r->names);
    free(r->values);
    free(r);
    return NULL;
  }
  return r;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *connection,
                              const char *url, const char *method,
                              const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls) {
  pail_gateway *gateway = cls;
  (void)version;
  s3_request *r = *con_cls;
  if (r == NULL) {
    r = request_begin(gateway, connection, url, method);
    if (r == NULL)
      return MHD_NO;
    *con_cls = r;
    /* Nothing to take: answer now (a refusal is sent before the body,
     * which an Expect: 100-continue client then never sends). */
    if (!pail_gateway_wants_body(r->exchange)) {
      pail_gateway_finish(r->exchange);
      return queue_answer(r);
    }
    return MHD_YES;
  }
  if (r->queued) { /* a body after an early answer: dropped */
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    pail_gateway_body(r->exchange, upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  pail_gateway_finish(r->exchange);
  return queue_answer(r);
}

static void completed(void *cls, struct MHD_Connection *connection,
                      void **con_cls, enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)connection;
  (void)toe;
  s3_request *r = *con_cls;
  if (r == NULL)
    return;
  /* A request cut before its end aborts its upload: nothing is stored. */
  pail_gateway_end(r->exchange);
  free(r->names);
  free(r->values);
  free(r);
  *con_cls = NULL;
}

/* A PEM file read whole (at most 1 MiB); NULL, said on stderr, when it
 * cannot be. */
static char *read_pem(const char *path) {
  FILE *f = fopen(path, "rb");
  char *text = f ? malloc(1024 * 1024 + 1) : NULL;
  size_t n = text ? fread(text, 1, 1024 * 1024 + 1, f) : 0;
  bool ok = text != NULL && !ferror(f) && n > 0 && n <= 1024 * 1024;
  if (f != NULL)
    fclose(f);
  if (!ok) {
    fprintf(stderr, "pail: serve: cannot read %s (%s)\n", path,
            f == NULL ? "no such file, or not readable"
            : n == 0  ? "empty"
                      : "not a PEM file of at most 1 MiB");
    free(text);
    return NULL;
  }
  text[n] = '\0';
  return text;
}

struct MHD_Daemon *serve_s3_start(pail_gateway *gateway,
                                  const struct sockaddr *address, int ipv6,
                                  const char *tls_cert, const char *tls_key,
                                  MHD_LogCallback logger) {
  unsigned int flags = MHD_USE_THREAD_PER_CONNECTION |
                       MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
  if (ipv6)
    flags |= MHD_USE_IPv6;
  /* libmicrohttpd copies neither: they live as long as the process. */
  static char *cert, *key;
  if (tls_cert != NULL) {
    free(cert);
    free(key);
    cert = read_pem(tls_cert);
    key = cert ? read_pem(tls_key) : NULL;
    if (key == NULL)
      return NULL;
    flags |= MHD_USE_TLS;
  }
  return MHD_start_daemon(
      flags, 0, NULL, NULL, handle, gateway, MHD_OPTION_EXTERNAL_LOGGER, logger,
      NULL, MHD_OPTION_SOCK_ADDR, address, MHD_OPTION_UNESCAPE_CALLBACK,
      unescape_none, NULL, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned int)256,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)600,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024),
      /* Without TLS the options end here. */
      tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
      MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
}
