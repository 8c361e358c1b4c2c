/*
 * http_transfer.c: one request and its response as it arrives: the request
 * checked and turned into curl options, and curl's callbacks filling the
 * response (headers, a body in memory, a streamed body, an error body) and
 * reading an upload from a file.
 */
#include "http_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static void response_add_header(transfer *t, const char *name, size_t nlen,
                                const char *value, size_t vlen) {
  pail_http_response *r = &t->response;
  if (r->header_count == t->header_capacity) {
    size_t capacity = t->header_capacity ? 2 * t->header_capacity : 16;
    pail_http_header *grown = realloc(r->headers, capacity * sizeof *grown);
    if (grown == NULL) {
      t->out_of_memory = true;
      return;
    }
    r->headers = grown;
    t->header_capacity = capacity;
  }
  char *n = strndup(name, nlen), *v = strndup(value, vlen);
  if (n == NULL || v == NULL) {
    free(n);
    free(v);
    t->out_of_memory = true;
    return;
  }
  for (char *c = n; *c; c++)
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c + 32);
  r->headers[r->header_count].name = n;
  r->headers[r->header_count].value = v;
  r->header_count++;
}

void response_clear_headers(pail_http_response *r) {
  for (size_t i = 0; i < r->header_count; i++) {
    free(r->headers[i].name);
    free(r->headers[i].value);
  }
  r->header_count = 0;
}

/* curl hands over one complete header line per call, status lines and the
 * blank line ending each block included. */
static size_t on_header(char *line, size_t size, size_t count, void *user) {
  transfer *t = user;
  size_t length = size * count, n = length;
  while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n'))
    n--;
  if (t->head_done)
    return length; /* trailers */
  if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
    /* A new block (after 1xx ones): only the last one counts. */
    response_clear_headers(&t->response);
    t->content_length = -1;
    const char *space = memchr(line, ' ', n);
    t->block_status = space ? atoi(space + 1) : 0;
    return length;
  }
  if (n == 0) {
    if (t->block_status >= 200 || t->block_status == 0) {
      t->head_done = true;
      t->response.status = t->block_status;
      if (t->sink == SINK_STREAM &&
          (t->block_status < 200 || t->block_status > 299))
        t->sink = SINK_ERROR_BODY;
    }
    return length;
  }
  if ((line[0] == ' ' || line[0] == '\t') && t->response.header_count > 0) {
    /* An obsolete folded continuation of the previous value. */
    pail_http_header *h = &t->response.headers[t->response.header_count - 1];
    char *joined = NULL;
    size_t skip = strspn(line, " \t");
    if (asprintf(&joined, "%s %.*s", h->value, (int)(n - skip), line + skip) <
        0) {
      t->out_of_memory = true;
      return 0;
    }
    free(h->value);
    h->value = joined;
    return length;
  }
  const char *colon = memchr(line, ':', n);
  if (colon == NULL || colon == line)
    return length;
  const char *value = colon + 1, *end = line + n;
  while (value < end && (*value == ' ' || *value == '\t'))
    value++;
  while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
    end--;
  size_t name_length = (size_t)(colon - line);
  response_add_header(t, line, name_length, value, (size_t)(end - value));
  if (name_length == 14 && strncasecmp(line, "content-length", 14) == 0)
    t->content_length = strtoll(value, NULL, 10);
  return t->out_of_memory ? 0 : length;
}

/* Appends to response.body, keeping it NUL-terminated. */
static bool body_append(transfer *t, const char *data, size_t length) {
  pail_http_response *r = &t->response;
  if (r->body_length + length + 1 > t->body_capacity) {
    size_t capacity = t->body_capacity ? t->body_capacity : 16384;
    while (capacity < r->body_length + length + 1)
      capacity *= 2;
    char *grown = realloc(r->body, capacity);
    if (grown == NULL) {
      t->out_of_memory = true;
      return false;
    }
    r->body = grown;
    t->body_capacity = capacity;
  }
  memcpy(r->body + r->body_length, data, length);
  r->body_length += length;
  r->body[r->body_length] = '\0';
  return true;
}

/* SINK_STREAM: fills the reader's buffer, keeps what does not fit in the
 * overflow buffer, and pauses the transfer once that holds data (curl then
 * keeps the chunk and hands it over again after curl_easy_pause). Memory is
 * bounded by the overflow buffer and curl's one paused chunk, whatever the
 * size of the body. */
static size_t stream_write(transfer *t, const char *data, size_t length) {
  size_t room = t->out_capacity - t->out_length;
  size_t spare = t->overflow_capacity - t->overflow_end;
  if (length > room + spare) {
    if (t->overflow_end > t->overflow_start || room > 0) {
      t->paused = true;
      return CURL_WRITEFUNC_PAUSE;
    }
    /* A chunk larger than the overflow buffer (curl passes at most
     * CURL_MAX_WRITE_SIZE, so this does not happen): make room. */
    unsigned char *grown = realloc(t->overflow, t->overflow_end + length);
    if (grown == NULL) {
      t->out_of_memory = true;
      return 0;
    }
    t->overflow = grown;
    t->overflow_capacity = t->overflow_end + length;
  }
  size_t direct = length < room ? length : room;
  if (direct > 0) {
    memcpy(t->out + t->out_length, data, direct);
    t->out_length += direct;
  }
  if (length > direct && t->overflow == NULL &&
      (t->overflow = malloc(t->overflow_capacity)) == NULL) {
    t->out_of_memory = true;
    return 0;
  }
  if (length > direct) {
    memcpy(t->overflow + t->overflow_end, data + direct, length - direct);
    t->overflow_end += length - direct;
    if (t->overflow_end - t->overflow_start > t->overflow_peak)
      t->overflow_peak = t->overflow_end - t->overflow_start;
  }
  t->received += length;
  return length;
}

static size_t on_body(char *data, size_t size, size_t count, void *user) {
  transfer *t = user;
  size_t length = size * count;
  switch (t->sink) {
  case SINK_STREAM:
    return stream_write(t, data, length);
  case SINK_ERROR_BODY:
    if (t->response.body_length + length > HTTP_ERROR_BODY_MAX) {
      body_append(t, data, HTTP_ERROR_BODY_MAX - t->response.body_length);
      t->error_body_cut = true;
      return 0; /* enough to report the error: stop reading */
    }
    return body_append(t, data, length) ? length : 0;
  case SINK_MEMORY:
  default:
    if (length > t->max_body - t->response.body_length) {
      t->over_limit = true;
      return 0;
    }
    if (t->body_capacity == 0 && t->content_length > 0 &&
        (uint64_t)t->content_length <= (uint64_t)t->max_body &&
        t->content_length <= HTTP_PREALLOCATE_MAX) {
      /* Announced and within the limit: one allocation (up to a size no
       * server can make us reserve before sending it). */
      t->body_capacity = (size_t)t->content_length + 1;
      t->response.body = malloc(t->body_capacity);
      if (t->response.body == NULL) {
        t->body_capacity = 0;
        t->out_of_memory = true;
        return 0;
      }
    }
    return body_append(t, data, length) ? length : 0;
  }
}

static bool method_is_token(const char *method) {
  if (method == NULL || *method == '\0')
    return false;
  for (const char *c = method; *c; c++)
    if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || *c == '-'))
      return false;
  return true;
}

static bool header_named(const char *line, const char *name) {
  size_t n = strlen(name);
  return strncasecmp(line, name, n) == 0 && line[n] == ':';
}

/* The request's flags, from a plugin that has them (ABI 1.3); a request
 * of the core itself (no cfg) has them too. */
uint32_t request_flags(const transfer *t) {
  uint32_t abi = t->cfg ? t->cfg->backend_abi : PAIL_BACKEND_ABI_VERSION;
  if (PAIL_ABI_MAJOR_OF(abi) != PAIL_BACKEND_ABI_MAJOR ||
      PAIL_ABI_MINOR_OF(abi) < 3)
    return 0;
  /* The body's file fields are there from ABI 1.7 on. */
  if (PAIL_ABI_MINOR_OF(abi) < 7)
    return t->request->flags & ~(PAIL_HTTP_BODY_FILE | PAIL_HTTP_METADATA);
  if (PAIL_ABI_MINOR_OF(abi) < 19)
    return t->request->flags & ~PAIL_HTTP_METADATA;
  return t->request->flags;
}

/* Checks the request and builds the header list curl sends: the caller's
 * lines (an empty value written "Name;", curl's way to send it), then
 * "Expect:" so that no 100-continue round trip is made, and for a body
 * without a Content-Type "Content-Type:" so that curl does not add its form
 * type: a signed request must carry only what its caller signed (curl's
 * own Accept and User-Agent headers are unsigned, which SigV4 allows). */
static pail_status transfer_prepare(transfer *t, const pail_http_request *rq,
                                    pail_error **err) {
  if (rq == NULL || rq->url == NULL || !method_is_token(rq->method))
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "HTTP request without %s",
                          rq == NULL || rq->url == NULL ? "a URL"
                                                        : "a valid method");
  t->request = rq;
  t->body_from_file = (request_flags(t) & PAIL_HTTP_BODY_FILE) != 0;
  if (t->body_from_file &&
      (rq->body == NULL || ((const pail_http_body_file *)rq->body)->fd < 0))
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "HTTP %s request: a body from a file without "
                          "the file",
                          rq->method);
  if (rq->body == NULL && rq->body_length > 0 && !t->body_from_file)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "HTTP %s request: body_length without a body",
                          rq->method);
  t->content_length = -1;
  url_origin(rq->url, t->origin, sizeof t->origin);
  t->sends_body =
      strcmp(rq->method, "HEAD") != 0 &&
      (rq->body != NULL || t->body_from_file ||
       strcmp(rq->method, "PUT") == 0 || strcmp(rq->method, "POST") == 0 ||
       strcmp(rq->method, "PATCH") == 0);
  bool has_expect = false, has_content_type = false;
  for (size_t i = 0; i < rq->header_count; i++) {
    const char *line = rq->headers[i];
    const char *colon = line ? strchr(line, ':') : NULL;
    if (colon == NULL || colon == line || strpbrk(line, "\r\n") != NULL ||
        strcspn(line, " \t") < (size_t)(colon - line))
      return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "HTTP %s request: header %zu is not a "
                            "\"Name: value\" line",
                            rq->method, i + 1);
    has_expect |= header_named(line, "expect");
    has_content_type |= header_named(line, "content-type");
    if (header_named(line, "content-length") && t->sends_body &&
        strtoull(colon + 1, NULL, 10) != rq->body_length)
      return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "HTTP %s request: Content-Length differs from "
                            "the body's length %zu",
                            rq->method, rq->body_length);
    struct curl_slist *added;
    if (colon[1 + strspn(colon + 1, " \t")] == '\0') {
      char *empty = str_printf("%.*s;", (int)(colon - line), line);
      added = empty ? curl_slist_append(t->headers, empty) : NULL;
      free(empty);
    } else {
      added = curl_slist_append(t->headers, line);
    }
    if (added == NULL)
      return error_no_memory(err);
    t->headers = added;
  }
  const char *extra[2];
  size_t extra_count = 0;
  if (!has_expect)
    extra[extra_count++] = "Expect:";
  if (t->sends_body && !has_content_type)
    extra[extra_count++] = "Content-Type:";
  for (size_t i = 0; i < extra_count; i++) {
    struct curl_slist *added = curl_slist_append(t->headers, extra[i]);
    if (added == NULL)
      return error_no_memory(err);
    t->headers = added;
  }
  return PAIL_OK;
}

/* The CA certificates servers are verified with when not the system's: the
 * storage's caBundle setting (a field of every storage, read by the core;
 * also a backend's own field of that name), else $CURL_CA_BUNDLE, else
 * $SSL_CERT_FILE, the files the curl tool reads. NULL: libcurl's default
 * store. */
static const char *ca_bundle(const pail_config *cfg) {
  const char *path =
      cfg != NULL && cfg->storage != NULL ? cfg->storage->ca_bundle : NULL;
  if ((path == NULL || *path == '\0') && cfg != NULL)
    path = core_services.config_string(cfg, "caBundle");
  if (path == NULL || *path == '\0')
    path = getenv("CURL_CA_BUNDLE");
  if (path == NULL || *path == '\0')
    path = getenv("SSL_CERT_FILE");
  return path != NULL && *path != '\0' ? path : NULL;
}

/* PAIL_HTTP_BODY_FILE: the next bytes of the body, read from the file
 * where they are (pread: the descriptor's offset is not the caller's to
 * move, and parts of one file go up in parallel). */
static size_t on_file_read(char *buffer, size_t size, size_t count,
                           void *user) {
  transfer *t = user;
  const pail_http_request *rq = t->request;
  const pail_http_body_file *file = rq->body;
  uint64_t left = rq->body_length - t->file_sent;
  size_t want = size * count < left ? size * count : (size_t)left;
  if (want == 0)
    return 0;
  for (;;) {
    ssize_t n =
        pread(file->fd, buffer, want, (off_t)(file->offset + t->file_sent));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      t->file_error = n < 0 ? errno : -1;
      return CURL_READFUNC_ABORT;
    }
    t->file_sent += (uint64_t)n;
    return (size_t)n;
  }
}

/* curl rewinds the body when it must send it again (a reused connection
 * found closed, a redirect). */
static int on_file_seek(void *user, curl_off_t offset, int origin) {
  transfer *t = user;
  if (origin != SEEK_SET || offset < 0 ||
      (uint64_t)offset > t->request->body_length)
    return CURL_SEEKFUNC_CANTSEEK;
  t->file_sent = (uint64_t)offset;
  return CURL_SEEKFUNC_OK;
}

/* A metadata endpoint (PAIL_HTTP_METADATA) answers at once or not at all:
 * a machine without one must not wait for it. */
#define METADATA_TIMEOUT_MS 1000L

/* Sets every option of easy for t's request, from a clean handle. */
pail_status transfer_attach(transfer *t, CURL *easy, pail_error **err) {
  const pail_http_request *rq = t->request;
  t->easy = easy;
  if (t->attempts++ == 0)
    t->first_attempt_ms = retry_clock_ms();
  curl_easy_reset(easy);
  CURLcode rc = curl_easy_setopt(easy, CURLOPT_URL, rq->url);
  pool_setup_easy(easy);
  if (request_flags(t) & PAIL_HTTP_METADATA) {
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, METADATA_TIMEOUT_MS);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, METADATA_TIMEOUT_MS);
    curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");
  }
  curl_easy_setopt(easy, CURLOPT_PRIVATE, (void *)t);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->errbuf);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS,
                   (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  /* Verification is off only when the storage says "tlsVerify": false (the
   * workspace warns when it opens such a storage). libcurl matches TLS
   * sessions and connections on these settings, so a storage that
   * verifies never reuses one made without. */
  bool verify = t->cfg == NULL || t->cfg->storage == NULL ||
                !t->cfg->storage->tls_verify_off;
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
  const char *ca = ca_bundle(t->cfg);
  if (ca != NULL)
    curl_easy_setopt(easy, CURLOPT_CAINFO, ca);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  /* An object stored with Content-Encoding: gzip comes back as stored. */
  curl_easy_setopt(easy, CURLOPT_HTTP_CONTENT_DECODING, 0L);
  /* Only a GET brings a body worth large reads. libcurl (7.88) allocates
   * the receive buffer for each transfer and frees it after, and a 128 KiB
   * block given back each time made malloc grow and trim the heap (two brk
   * calls and fresh pages) on every PUT, HEAD and DELETE: 1,000 small PUTs
   * and GETs took 25 % more CPU. */
  if (strcmp(rq->method, "GET") == 0)
    curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, (long)t->receive_buffer);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "pail/" PACKAGE_VERSION);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, (void *)t);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, (void *)t);
  if (strcmp(rq->method, "HEAD") == 0) {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (t->sends_body && t->body_from_file) {
    /* Read as it is sent, from the start on every attempt; the seek
     * callback lets curl rewind it by itself as it does a body in memory. */
    t->file_sent = 0;
    t->file_error = 0;
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, on_file_read);
    curl_easy_setopt(easy, CURLOPT_READDATA, (void *)t);
    curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, on_file_seek);
    curl_easy_setopt(easy, CURLOPT_SEEKDATA, (void *)t);
    if (strcmp(rq->method, "POST") == 0) {
      curl_easy_setopt(easy, CURLOPT_POST, 1L);
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                       (curl_off_t)rq->body_length);
    } else {
      curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE,
                       (curl_off_t)rq->body_length);
      if (strcmp(rq->method, "PUT") != 0)
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, rq->method);
    }
    if (rq->body_length >= HTTP_UPLOAD_BUFFER_FROM)
      curl_easy_setopt(easy, CURLOPT_UPLOAD_BUFFERSIZE,
                       (long)HTTP_UPLOAD_BUFFER);
  } else if (t->sends_body) {
    /* From memory, so that curl can send it again by itself when a reused
     * connection turns out to be closed; the length set explicitly, so a
     * 0-byte PUT says Content-Length: 0. */
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)rq->body_length);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS,
                     rq->body ? (const char *)rq->body : "");
    if (rq->body_length >= HTTP_UPLOAD_BUFFER_FROM)
      curl_easy_setopt(easy, CURLOPT_UPLOAD_BUFFERSIZE,
                       (long)HTTP_UPLOAD_BUFFER_MEMORY);
    if (strcmp(rq->method, "POST") != 0)
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, rq->method);
  } else if (strcmp(rq->method, "GET") != 0) {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, rq->method);
  }
  if (rc == CURLE_OUT_OF_MEMORY)
    return error_no_memory(err);
  if (rc != CURLE_OK)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "HTTP %s request: unusable URL (%s)", rq->method,
                          curl_easy_strerror(rc));
  return PAIL_OK;
}

pail_status transfer_new(const pail_config *cfg,
                         const pail_http_request *request, body_sink sink,
                         size_t max_body, transfer **out, pail_error **err) {
  *out = NULL;
  transfer *t = calloc(1, sizeof *t);
  if (t == NULL)
    return error_no_memory(err);
  t->cfg = cfg;
  t->sink = sink;
  t->max_body = max_body;
  t->receive_buffer = HTTP_RECEIVE_BUFFER;
  t->overflow_capacity = HTTP_RECEIVE_BUFFER;
  pail_status status = transfer_prepare(t, request, err);
  if (status != PAIL_OK) {
    curl_slist_free_all(t->headers);
    free(t->overflow);
    free(t);
    return status;
  }
  *out = t;
  return PAIL_OK;
}

void transfer_free(transfer *t) {
  if (t == NULL)
    return;
  curl_slist_free_all(t->headers);
  http_response_clear(&t->response);
  free(t->overflow);
  pail_error_free(t->error);
  free(t);
}
