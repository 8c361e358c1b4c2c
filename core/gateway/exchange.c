/*
 * exchange.c: the S3 gateway's exchanges (include/pail/gateway.h). Each
 * request is decoded (bucket, key, query), authenticated (SigV4 with a key
 * minted by pail_credentials_mint: auth.c checks the signature, keys.c
 * recomputes the secret and gives the workspace narrowed to the key's
 * scope) and routed to bucket.c or object.c, which answer it or arm the
 * body. Every answer is S3's: its status, its error codes in its error XML,
 * a request id.
 */
#include "exchange.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

pail_status pail_gateway_open(pail_workspace *ws,
                              const pail_gateway_options *options,
                              pail_gateway **out, pail_error **err) {
  ARGUMENT_REQUIRED(err, out, "place for the gateway");
  *out = NULL;
  ARGUMENT_REQUIRED(err, ws, "workspace");
  pail_gateway_options opts = PAIL_GATEWAY_OPTIONS_INIT;
  OPTIONS_ADOPT(opts, options);
  if (!workspace_is_root(ws))
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "a gateway serves a workspace opened from settings, "
                          "not a narrowed one");
  pail_gateway *gw = calloc(1, sizeof *gw);
  if (gw == NULL ||
      (gw->region = strdup(opts.region ? opts.region : "us-east-1")) == NULL) {
    free(gw);
    return error_no_memory(err);
  }
  gw->workspace = ws;
  *out = gw;
  return PAIL_OK;
}

void pail_gateway_close(pail_gateway *gw) {
  if (gw == NULL)
    return;
  free(gw->region);
  free(gw);
}

/* ------------------------------------------------------------ XML text */

void gateway_xml_text(strbuf *b, const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    switch (c) {
    case '&':
      strbuf_add_string(b, "&amp;");
      break;
    case '<':
      strbuf_add_string(b, "&lt;");
      break;
    case '>':
      strbuf_add_string(b, "&gt;");
      break;
    case '"':
      strbuf_add_string(b, "&quot;");
      break;
    case '\'':
      strbuf_add_string(b, "&apos;");
      break;
    default:
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
        char ref[8];
        snprintf(ref, sizeof ref, "&#x%X;", c);
        strbuf_add_string(b, ref);
      } else {
        strbuf_add_char(b, (char)c);
      }
    }
  }
}

void gateway_xml_element(strbuf *b, const char *name, const char *text) {
  strbuf_add_char(b, '<');
  strbuf_add_string(b, name);
  strbuf_add_char(b, '>');
  gateway_xml_text(b, text);
  strbuf_add_string(b, "</");
  strbuf_add_string(b, name);
  strbuf_add_char(b, '>');
}

void gateway_xml_start(strbuf *b, const char *root) {
  strbuf_add_string(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
  strbuf_add_string(b, root);
  strbuf_add_string(b, " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
}

void gateway_xml_time(int64_t seconds, char out[32]) {
  struct tm tm;
  time_t t = (time_t)seconds;
  if (gmtime_r(&t, &tm) == NULL ||
      strftime(out, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm) == 0)
    snprintf(out, 32, "1970-01-01T00:00:00.000Z");
}

void gateway_http_date(int64_t seconds, char out[32]) {
  struct tm tm;
  time_t t = (time_t)seconds;
  if (gmtime_r(&t, &tm) == NULL ||
      strftime(out, 32, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
    snprintf(out, 32, "Thu, 01 Jan 1970 00:00:00 GMT");
}

char *gateway_etag_quoted(const char *etag) {
  if (etag == NULL || *etag == '\0')
    return NULL;
  size_t n = strlen(etag);
  if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"')
    return strdup(etag);
  return str_printf("\"%s\"", etag);
}

/* One ETag of length n without its W/ and its quotes. */
static void etag_bare(const char **etag, size_t *n) {
  if (*n >= 2 && strncmp(*etag, "W/", 2) == 0)
    *etag += 2, *n -= 2;
  if (*n >= 2 && (*etag)[0] == '"' && (*etag)[*n - 1] == '"')
    *etag += 1, *n -= 2;
}

/* Case-blind: providers and clients write hex digests in either case. */
static bool etag_equal_n(const char *a, size_t na, const char *b, size_t nb) {
  etag_bare(&a, &na);
  etag_bare(&b, &nb);
  return na > 0 && na == nb && strncasecmp(a, b, na) == 0;
}

bool gateway_etag_equal(const char *a, const char *b) {
  return a != NULL && b != NULL && etag_equal_n(a, strlen(a), b, strlen(b));
}

bool gateway_etag_listed(const char *list, const char *etag) {
  for (const char *p = list; *p;) {
    p += strspn(p, " \t,");
    size_t n = strcspn(p, ",");
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
      n--;
    if (n == 1 && *p == '*')
      return true;
    if (n > 0 && etag != NULL && etag_equal_n(p, n, etag, strlen(etag)))
      return true;
    p += strcspn(p, ",");
  }
  return false;
}

/* ------------------------------------------------------------ requests */

const char *gateway_param_get(const pail_gateway_exchange *x,
                              const char *name) {
  for (size_t i = 0; i < x->param_count; i++)
    if (strcmp(x->params[i].name, name) == 0)
      return x->params[i].value;
  return NULL;
}

const char *gateway_header_get(const pail_gateway_exchange *x,
                               const char *name) {
  const pail_gateway_request *r = x->request;
  return r != NULL && r->header != NULL ? r->header(r->context, name) : NULL;
}

static void answer_out_of_memory(pail_gateway_exchange *x);

/* How a query's parameters were taken (parse_query). */
typedef struct query_params {
  pail_gateway_exchange *x;
  bool undecodable, out_of_memory;
} query_params;

static bool keep_param(void *context, const char *name, const char *piece,
                       size_t length, const char *value, size_t value_length) {
  query_params *q = context;
  gateway_param *param = &q->x->params[q->x->param_count];
  (void)piece;
  (void)length;
  if (name == NULL ||
      str_uri_decode(value, value_length, &param->value, NULL) != PAIL_OK) {
    q->undecodable = true;
    return false;
  }
  if ((param->name = strdup(name)) == NULL) {
    free(param->value);
    param->value = NULL;
    q->out_of_memory = true;
    return false;
  }
  q->x->param_count++;
  return true;
}

/* The request's query as parameters, each name and value decoded; answers
 * (and returns false) when it cannot be. */
static bool parse_query(pail_gateway_exchange *x, const char *query) {
  size_t pieces = 1;
  for (const char *p = query; *p; p++)
    pieces += *p == '&';
  query_params q = {.x = x};
  if ((x->params = calloc(pieces, sizeof *x->params)) == NULL)
    q.out_of_memory = true;
  else
    gateway_query_each(query, keep_param, &q);
  if (q.out_of_memory)
    answer_out_of_memory(x);
  else if (q.undecodable)
    gateway_answer_code(x, 400, "InvalidArgument",
                        "A query parameter is not percent-encoded as a URI "
                        "must be.");
  return !q.out_of_memory && !q.undecodable;
}

/* Splits /BUCKET/KEY (decoded); false for a path that is not one. */
static bool parse_path(pail_gateway_exchange *x, const char *path) {
  if (path[0] != '/')
    return false;
  path++;
  if (*path == '\0')
    return true; /* the service */
  size_t n = strcspn(path, "/");
  if (str_uri_decode(path, n, &x->bucket, NULL) != PAIL_OK)
    return false;
  if (path[n] == '/' && path[n + 1] != '\0')
    return str_uri_decode(path + n + 1, strlen(path + n + 1), &x->key, NULL) ==
           PAIL_OK;
  return true;
}

bool gateway_add_header(pail_gateway_exchange *x, const char *name,
                        const char *value) {
  gateway_header *grown =
      realloc(x->headers, (x->header_count + 1) * sizeof *x->headers);
  if (grown == NULL)
    return false;
  x->headers = grown;
  gateway_header *h = &x->headers[x->header_count];
  h->name = strdup(name);
  h->value = strdup(value);
  if (h->name == NULL || h->value == NULL) {
    free(h->name);
    free(h->value);
    return false;
  }
  x->header_count++;
  return true;
}

pail_pointer *gateway_pointer(const pail_gateway_exchange *x, const char *key) {
  pail_pointer *p = NULL;
  pail_error *err = NULL;
  pail_pointer_new(x->storage, key ? key : x->key, &p, &err);
  pail_error_free(err);
  return p;
}

/* ------------------------------------------------------------- answers */

static void headers_clear(pail_gateway_exchange *x) {
  for (size_t i = 0; i < x->header_count; i++) {
    free(x->headers[i].name);
    free(x->headers[i].value);
  }
  free(x->headers);
  x->headers = NULL;
  x->header_count = 0;
}

/* The answer when memory ran out: no body, nothing to allocate. */
static void answer_out_of_memory(pail_gateway_exchange *x) {
  headers_clear(x);
  free(x->text);
  x->text = NULL;
  x->text_length = 0;
  x->status = 500;
  x->answered = true;
}

void gateway_answer(pail_gateway_exchange *x, int status, char *text) {
  x->answered = true;
  x->status = status;
  free(x->text);
  x->text = text;
  x->text_length = text ? strlen(text) : 0;
  x->body_length = x->text_length;
  if (text == NULL && status != 200 && status != 204 && status != 304 &&
      status != 206)
    answer_out_of_memory(x);
  else if (text != NULL &&
           !gateway_add_header(x, "Content-Type", "application/xml"))
    answer_out_of_memory(x);
}

void gateway_answer_code(pail_gateway_exchange *x, int status, const char *code,
                         const char *message) {
  headers_clear(x);
  if (x->reader != NULL) {
    pail_reader_close(x->reader);
    x->reader = NULL;
  }
  strbuf b;
  char storage[512];
  strbuf_init(&b, storage, sizeof storage);
  strbuf_add_string(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>");
  gateway_xml_element(&b, "Code", code);
  gateway_xml_element(&b, "Message", message);
  if (x->bucket != NULL) {
    char *resource = x->key ? str_printf("/%s/%s", x->bucket, x->key)
                            : str_printf("/%s", x->bucket);
    if (resource != NULL)
      gateway_xml_element(&b, "Resource", resource);
    free(resource);
  }
  gateway_xml_element(&b, "RequestId", x->request_id);
  strbuf_add_string(&b, "</Error>");
  gateway_answer(x, status, strbuf_finish(&b));
}

void gateway_answer_error(pail_gateway_exchange *x, pail_error *err) {
  /* An S3 code already (the gateway's own refusals, an S3 storage's):
   * answered as it is; else the code the category maps to. */
  const char *code = pail_error_provider_code(err);
  int status = gateway_error_status(code);
  /* Once the caller is authenticated, a refusal of credentials can only be
   * the storage's refusal of the gateway's own: not the client's key. */
  static const char *const credentials[] = {
      "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
      "RequestTimeTooSkewed"};
  for (size_t i = 0; x->authenticated && status != 0 &&
                     i < sizeof credentials / sizeof *credentials;
       i++)
    if (strcmp(code, credentials[i]) == 0)
      status = 0;
  if (status == 0) {
    int http = pail_error_http_status(err);
    switch (pail_error_category(err)) {
    case PAIL_ERR_NOT_FOUND:
      code = x->key != NULL ? "NoSuchKey" : "NoSuchBucket";
      status = 404;
      break;
    case PAIL_ERR_ACCESS_DENIED:
      code = "AccessDenied";
      status = 403;
      break;
    case PAIL_ERR_CONFLICT:
      code = "PreconditionFailed";
      status = 412;
      break;
    case PAIL_ERR_INVALID_ARGUMENT:
      code = http == 416 ? "InvalidRange" : "InvalidArgument";
      status = http == 416 ? 416 : 400;
      break;
    case PAIL_ERR_THROTTLED:
      code = "SlowDown";
      status = 503;
      break;
    case PAIL_ERR_UNAVAILABLE:
      code = "ServiceUnavailable";
      status = 503;
      break;
    case PAIL_ERR_UNSUPPORTED:
      code = "NotImplemented";
      status = 501;
      break;
    default:
      code = "InternalError";
      status = 500;
    }
  }
  gateway_answer_code(x, status, code,
                      err ? pail_error_message(err) : "out of memory");
  pail_error_free(err);
}

/* ------------------------------------------------------ authentication */

/* The request as auth.c reads it. */
static const char *header_of(void *context, const char *name) {
  const pail_gateway_exchange *x = context;
  return gateway_header_get(x, name);
}

static const char *header_at_of(void *context, size_t index,
                                const char **value) {
  const pail_gateway_exchange *x = context;
  const pail_gateway_request *r = x->request;
  return r->header_at != NULL ? r->header_at(r->context, index, value) : NULL;
}

/* S3 refuses a signed request carrying an x-amz-* header its signature
 * does not cover: such a header (x-amz-copy-source, x-amz-meta-*) changes
 * what the request does, and anyone on the way could have added it. */
static pail_status unsigned_headers(const pail_gateway_exchange *x,
                                    pail_error **err) {
  const pail_gateway_request *r = x->request;
  if (x->auth.kind != GATEWAY_AUTH_HEADER || r->header_at == NULL)
    return PAIL_OK;
  const char *name, *value;
  for (size_t i = 0; (name = r->header_at(r->context, i, &value)) != NULL;
       i++) {
    if (strncasecmp(name, "x-amz-", 6) != 0)
      continue;
    bool signed_one = false;
    for (size_t j = 0; !signed_one && j < x->auth.signed_header_count; j++)
      signed_one = strcasecmp(name, x->auth.signed_headers[j]) == 0;
    if (!signed_one)
      return gateway_error(err, "AccessDenied",
                           "There were headers present in the request which "
                           "were not signed");
  }
  return PAIL_OK;
}

/* Checks the request's signature and opens the caller's view. */
static pail_status authenticate(pail_gateway_exchange *x, pail_error **err) {
  const pail_gateway_request *r = x->request;
  gateway_request request = {.method = r->method,
                             .host = gateway_header_get(x, "host"),
                             .path = r->path,
                             .query = r->query ? r->query : "",
                             .header = header_of,
                             .header_at = header_at_of,
                             .context = x,
                             .now = pail_time_now()};
  pail_status status = gateway_auth_parse(&request, &x->auth, err);
  if (status != PAIL_OK)
    return status;
  gateway_key_claims claims;
  status = gateway_key_secret(x->gateway->workspace, x->auth.access_key_id,
                              x->secret, &claims, err);
  if (status == PAIL_OK)
    status = gateway_auth_verify(&x->auth, &request, x->secret, err);
  if (status == PAIL_OK)
    status = unsigned_headers(x, err);
  if (status == PAIL_OK)
    status = gateway_key_open(x->gateway->workspace, &claims, request.now,
                              &x->view, err);
  gateway_key_claims_clear(&claims);
  x->authenticated = status == PAIL_OK;
  return status;
}

/* ------------------------------------------------------------ exchange */

/* Answers a request to the service, a bucket or an object. */
static void route(pail_gateway_exchange *x) {
  if (x->bucket == NULL) {
    gateway_service_request(x);
    return;
  }
  size_t count = pail_workspace_storage_count(x->gateway->workspace);
  bool found = strcmp(x->bucket, "_default_") == 0;
  for (size_t i = 1; !found && i < count; i++) {
    const char *name = pail_workspace_storage_name(x->gateway->workspace, i);
    if (strcmp(name, x->bucket) == 0) {
      x->storage = name;
      found = true;
    }
  }
  if (!found) {
    gateway_answer_code(x, 404, "NoSuchBucket",
                        "The specified bucket does not exist");
    return;
  }
  if (x->key == NULL)
    gateway_bucket_request(x);
  else
    gateway_object_request(x);
}

pail_gateway_exchange *pail_gateway_begin(pail_gateway *gw,
                                          const pail_gateway_request *request) {
  pail_gateway_exchange *x = calloc(1, sizeof *x);
  if (x == NULL)
    return NULL;
  x->gateway = gw;
  unsigned char id[8];
  pail_error *err = NULL;
  if (crypto_random(id, sizeof id, &err) != PAIL_OK) {
    pail_error_free(err);
    err = NULL;
    memset(id, 0, sizeof id);
  }
  crypto_hex_encode(id, sizeof id, x->request_id);
  for (char *c = x->request_id; *c; c++)
    if (*c >= 'a' && *c <= 'f')
      *c = (char)(*c - 'a' + 'A');
  strbuf_init(&x->xml, NULL, 0);
  pail_gateway_request r = PAIL_GATEWAY_REQUEST_INIT;
  OPTIONS_ADOPT(r, request);
  x->request = &r;
  x->method = strdup(r.method ? r.method : "");
  if (x->method == NULL) {
    answer_out_of_memory(x);
  } else if (!parse_query(x, r.query ? r.query : "")) {
    /* answered */
  } else if (r.path == NULL || !parse_path(x, r.path)) {
    gateway_answer_code(x, 400, "InvalidURI",
                        "Couldn't parse the specified URI.");
  } else if (authenticate(x, &err) != PAIL_OK) {
    gateway_answer_error(x, err);
  } else {
    route(x);
  }
  x->request = NULL;
  if (!gateway_add_header(x, "x-amz-request-id", x->request_id) ||
      !gateway_add_header(x, "Server", "pail"))
    answer_out_of_memory(x);
  return x;
}

int pail_gateway_wants_body(const pail_gateway_exchange *x) {
  return x != NULL && x->body != BODY_NONE && x->failure == NULL;
}

/* Where decoded body bytes go: the writer of an upload, or the XML kept. */
static pail_status body_sink(void *context, const void *data, size_t length,
                             pail_error **err) {
  pail_gateway_exchange *x = context;
  if (x->body == BODY_OBJECT)
    return pail_writer_write(x->writer, data, length, err);
  if (x->body == BODY_SPOOL)
    return gateway_spool_write(x->spool, data, length, err);
  if (x->xml.length + length > GATEWAY_XML_MAX)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 400, "MalformedXML",
                          NULL, "the XML body is larger than %u bytes",
                          GATEWAY_XML_MAX);
  strbuf_add(&x->xml, data, length);
  return x->xml.failed ? error_no_memory(err) : PAIL_OK;
}

void pail_gateway_body(pail_gateway_exchange *x, const void *data,
                       size_t length) {
  if (!pail_gateway_wants_body(x) || length == 0)
    return;
  pail_error *err = NULL;
  if (gateway_payload_feed(x->payload, data, length, body_sink, x, &err) !=
      PAIL_OK)
    x->failure = err;
}

void pail_gateway_finish(pail_gateway_exchange *x) {
  if (x == NULL || x->answered)
    return;
  pail_error *err = x->failure;
  x->failure = NULL;
  if (err == NULL && x->payload != NULL &&
      gateway_payload_finish(x->payload, &err) == PAIL_OK)
    err = NULL;
  if (err == NULL && x->finish != NULL) {
    x->finish(x); /* commits, and answers */
  } else {
    if (x->writer != NULL) {
      pail_writer_abort(x->writer);
      x->writer = NULL;
    }
    gateway_answer_error(x, err);
  }
  if (!x->answered)
    gateway_answer_code(x, 500, "InternalError", "no answer was made");
}

int pail_gateway_status(const pail_gateway_exchange *x) {
  return x ? x->status : 500;
}

size_t pail_gateway_header_count(const pail_gateway_exchange *x) {
  return x ? x->header_count : 0;
}

void pail_gateway_header(const pail_gateway_exchange *x, size_t index,
                         const char **name, const char **value) {
  *name = *value = NULL;
  if (x != NULL && index < x->header_count) {
    *name = x->headers[index].name;
    *value = x->headers[index].value;
  }
}

uint64_t pail_gateway_body_length(const pail_gateway_exchange *x) {
  return x ? x->body_length : 0;
}

pail_status pail_gateway_read(pail_gateway_exchange *x, void *buffer,
                              size_t capacity, size_t *got, pail_error **err) {
  *got = 0;
  if (x == NULL)
    return PAIL_OK;
  if (x->reader != NULL) {
    pail_status status =
        pail_reader_read(x->reader, buffer, capacity, got, err);
    if (status == PAIL_OK)
      x->body_sent += *got;
    return status;
  }
  size_t n = x->text_length - x->text_sent;
  if (n > capacity)
    n = capacity;
  memcpy(buffer, x->text + x->text_sent, n);
  x->text_sent += n;
  *got = n;
  return PAIL_OK;
}

int pail_gateway_body_file(pail_gateway_exchange *x, int *fd,
                           uint64_t *offset) {
  *fd = -1;
  if (x == NULL || x->reader == NULL || x->body_sent != 0 ||
      (x->status != 200 && x->status != 206) || x->body_length == 0)
    return 0;
  uint64_t length = 0;
  pail_error *err = NULL;
  if (pail_reader_file(x->reader, fd, offset, &length, &err) != PAIL_OK) {
    pail_error_free(err); /* not a file: the body is read instead */
    return 0;
  }
  if (length != x->body_length) { /* never a body of another length */
    close(*fd);
    *fd = -1;
    return 0;
  }
  x->body_sent = length;
  return 1;
}

void pail_gateway_end(pail_gateway_exchange *x) {
  if (x == NULL)
    return;
  if (x->writer != NULL)
    pail_writer_abort(x->writer);
  gateway_spool_free(x->spool);
  pail_reader_close(x->reader);
  gateway_payload_free(x->payload);
  pail_error_free(x->failure);
  pail_pointer_free(x->target);
  for (size_t i = 0; i < x->metadata_count; i++) {
    free(x->metadata[i].name);
    free(x->metadata[i].value);
  }
  free(x->metadata);
  strbuf_release(&x->xml);
  pail_workspace_close(x->view);
  gateway_auth_clear(&x->auth);
  OPENSSL_cleanse(x->secret, sizeof x->secret);
  for (size_t i = 0; i < x->param_count; i++) {
    free(x->params[i].name);
    free(x->params[i].value);
  }
  free(x->params);
  headers_clear(x);
  free(x->text);
  free(x->method);
  free(x->bucket);
  free(x->key);
  free(x);
}
