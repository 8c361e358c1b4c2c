/*
 * http.c: the HTTP services the core lends to backends (ABI 1.1) over
 * libcurl: one exchange with the body in memory, a streamed response body
 * pulled by the caller, and groups of concurrent exchanges on one thread.
 *
 * Connections. curl's shared connection cache (CURL_LOCK_DATA_CONNECT) is
 * documented as unsafe between concurrent threads (curl's KNOWN_BUGS "A
 * shared connection cache is not thread-safe", issues 4915 and 9404; the
 * libcurl we build against, 7.74 and up, has it). So the process-wide share
 * holds only the DNS and TLS session caches, and connections are kept in
 * curl multi handles instead: every transfer runs in a multi taken from a
 * process-wide pool and given back, with its idle connections, when the
 * transfer ends. A multi is used by one thread at a time, so a connection is
 * never touched by two threads, and the next exchange to the same origin,
 * from any thread, finds the connection the last one left open. Easy handles
 * are pooled as well.
 *
 * Failure categories. Anything that fails before the response head is in
 * (refused, reset, DNS, TLS, timeout) is PAIL_ERR_UNAVAILABLE. Once the head
 * is in, a body cut short (connection lost, fewer bytes than Content-Length,
 * stalled) is PAIL_ERR_IO, and so is a body over the caller's limit. Messages
 * name the method and the URL without its query (presigned URLs carry their
 * signature there) and never a header value.
 */
#include "internal.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* A GET reads the socket in blocks of this size; other requests, whose
 * answers are small, take curl's default (16 KiB). A stream opened for a
 * large body (http_stream_open_bulk) reads in blocks of HTTP_RECEIVE_BULK:
 * 1 GiB from nginx into a file took 0.47-0.57 CPU s with it and 0.54-1.02
 * with 128 KiB. Not for every GET: libcurl (7.88) allocates the block for
 * each transfer and frees it after, and any block over glibc's 128 KiB
 * mmap threshold made malloc grow and trim the heap around every GET (three
 * brk calls each): 2,000 GETs of 4 KiB took 20 % more CPU. */
#define HTTP_RECEIVE_BUFFER (128 * 1024)
#define HTTP_RECEIVE_BULK (512 * 1024)
/* Large bodies go out in blocks of this size (curl's default is 64 KiB;
 * larger blocks halve the system calls for multipart parts): 512 KiB from
 * a file, 256 KiB from memory. curl copies a body in memory through this
 * buffer too, one per transfer, so for the parts of a stream in flight it
 * is memory on top of the parts. Against curl's 64 KiB, an upload from a
 * pipe to Azurite (3 blocks in flight) peaked 2.3-2.5 MiB higher with
 * 512 KiB and 0.8-1.1 MiB higher with 256 KiB; 64 KiB took 7 times the
 * send calls and 4 times the polls of 512 KiB (+0.05 CPU s per 256 MiB). */
#define HTTP_UPLOAD_BUFFER (512 * 1024)
#define HTTP_UPLOAD_BUFFER_MEMORY (256 * 1024)
#define HTTP_UPLOAD_BUFFER_FROM (4 * 1024 * 1024)
/* The most memory a Content-Length makes an exchange reserve at once. */
#define HTTP_PREALLOCATE_MAX (64 * 1024 * 1024)
/* The most of an error body kept by http_stream_open. */
#define HTTP_ERROR_BODY_MAX (64 * 1024)
/* Idle handles kept for reuse; beyond that they are freed. */
#define HTTP_POOL_SIZE 32
/* Idle connections a multi keeps (more for a wider group). */
#define HTTP_MULTI_CONNECTIONS 8
#define HTTP_ORIGIN_SIZE 160

/* Transport settings, in one place so that they can become per-storage
 * settings with the retry policy (issue 6). For now the environment may
 * override the defaults, read once per process:
 *   PAIL_HTTP_CONNECT_TIMEOUT  seconds to establish a connection (10)
 *   PAIL_HTTP_LOW_SPEED_TIME   seconds a transfer may stay under
 *                              low_speed_limit bytes/s before it is
 *                              abandoned as stalled (30)
 * Values may have decimals; an unparsable or non-positive one is ignored. */
typedef struct http_options {
  long connect_timeout_ms;
  long low_speed_limit; /* bytes per second */
  long low_speed_time;  /* seconds, at least 1 */
} http_options;

typedef struct idle_multi {
  CURLM *multi;
  char origin[HTTP_ORIGIN_SIZE]; /* of the last transfer it ran */
} idle_multi;

static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static struct {
  bool ready;
  CURLSH *share;
  pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
  http_options options;
  pthread_mutex_t pool_lock;
  CURL *idle_easy[HTTP_POOL_SIZE];
  size_t idle_easy_count;
  idle_multi idle_multi[HTTP_POOL_SIZE];
  size_t idle_multi_count;
  /* In a child after fork(): the parent's pool, never used nor freed. */
  CURL *parent_easy[HTTP_POOL_SIZE];
  idle_multi parent_multi[HTTP_POOL_SIZE];
} http;

/* ------------------------------------------------------------ setup */

static void share_lock(CURL *easy, curl_lock_data data, curl_lock_access access,
                       void *user) {
  (void)easy;
  (void)access;
  (void)user;
  if ((unsigned)data < CURL_LOCK_DATA_LAST)
    pthread_mutex_lock(&http.share_locks[data]);
}

static void share_unlock(CURL *easy, curl_lock_data data, void *user) {
  (void)easy;
  (void)user;
  if ((unsigned)data < CURL_LOCK_DATA_LAST)
    pthread_mutex_unlock(&http.share_locks[data]);
}

/* Seconds from the environment as a positive double, or 0. */
static double env_seconds(const char *name) {
  const char *text = getenv(name);
  if (text == NULL || *text == '\0')
    return 0;
  char *end = NULL;
  double value = strtod(text, &end);
  return (end != NULL && *end == '\0' && value > 0 && value < 1e7) ? value : 0;
}

static void options_from_environment(http_options *options) {
  options->connect_timeout_ms = 10000;
  options->low_speed_limit = 1;
  options->low_speed_time = 30;
  double connect = env_seconds("PAIL_HTTP_CONNECT_TIMEOUT");
  if (connect > 0)
    options->connect_timeout_ms =
        connect * 1000 < 1 ? 1 : (long)(connect * 1000);
  double low_speed = env_seconds("PAIL_HTTP_LOW_SPEED_TIME");
  if (low_speed > 0)
    options->low_speed_time = low_speed < 1 ? 1 : (long)(low_speed + 0.5);
}

/* In a child after fork(): the pooled connections are the parent's (two
 * processes writing to one TLS connection would break it, and closing one
 * sends the parent's peer a TLS close_notify), and a lock may have been held
 * by a thread that does not exist here. Set the pool aside without closing
 * anything (kept reachable, for leak checkers), and start the locks afresh. */
static void http_after_fork_in_child(void) {
  memcpy(http.parent_easy, http.idle_easy, sizeof http.idle_easy);
  memcpy(http.parent_multi, http.idle_multi, sizeof http.idle_multi);
  http.idle_easy_count = 0;
  http.idle_multi_count = 0;
  pthread_mutex_init(&http.pool_lock, NULL);
  for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
    pthread_mutex_init(&http.share_locks[i], NULL);
}

static void http_init_once(void) {
  options_from_environment(&http.options);
  pthread_atfork(NULL, NULL, http_after_fork_in_child);
  pthread_mutex_init(&http.pool_lock, NULL);
  for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
    pthread_mutex_init(&http.share_locks[i], NULL);
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return;
  http.share = curl_share_init();
  if (http.share == NULL)
    return;
  if (curl_share_setopt(http.share, CURLSHOPT_LOCKFUNC, share_lock) ||
      curl_share_setopt(http.share, CURLSHOPT_UNLOCKFUNC, share_unlock) ||
      curl_share_setopt(http.share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) ||
      curl_share_setopt(http.share, CURLSHOPT_SHARE,
                        CURL_LOCK_DATA_SSL_SESSION)) {
    curl_share_cleanup(http.share);
    http.share = NULL;
    return;
  }
  http.ready = true;
}

static pail_status http_ready(pail_error **err) {
  pthread_once(&http_once, http_init_once);
  if (!http.ready)
    return pail_error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                          "libcurl could not be initialised");
  return PAIL_OK;
}

/* ------------------------------------------------------------- pool */

static CURL *pool_take_easy(void) {
  CURL *easy = NULL;
  pthread_mutex_lock(&http.pool_lock);
  if (http.idle_easy_count > 0)
    easy = http.idle_easy[--http.idle_easy_count];
  pthread_mutex_unlock(&http.pool_lock);
  return easy ? easy : curl_easy_init();
}

static void pool_give_easy(CURL *easy) {
  if (easy == NULL)
    return;
  pthread_mutex_lock(&http.pool_lock);
  if (http.idle_easy_count < HTTP_POOL_SIZE) {
    http.idle_easy[http.idle_easy_count++] = easy;
    easy = NULL;
  }
  pthread_mutex_unlock(&http.pool_lock);
  curl_easy_cleanup(easy);
}

/* A multi whose connections most likely include one to origin: the most
 * recently returned one that last went there, else the most recent one. */
static CURLM *pool_take_multi(const char *origin, size_t connections) {
  CURLM *multi = NULL;
  pthread_mutex_lock(&http.pool_lock);
  size_t n = http.idle_multi_count;
  if (n > 0) {
    size_t pick = n - 1;
    for (size_t i = n; i-- > 0;)
      if (strcmp(http.idle_multi[i].origin, origin) == 0) {
        pick = i;
        break;
      }
    multi = http.idle_multi[pick].multi;
    memmove(&http.idle_multi[pick], &http.idle_multi[pick + 1],
            (n - pick - 1) * sizeof http.idle_multi[0]);
    http.idle_multi_count--;
  }
  pthread_mutex_unlock(&http.pool_lock);
  if (multi == NULL)
    multi = curl_multi_init();
  if (multi != NULL)
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS,
                      (long)(connections > HTTP_MULTI_CONNECTIONS
                                 ? connections
                                 : HTTP_MULTI_CONNECTIONS));
  return multi;
}

/* Keeps multi (with no transfer in it) for reuse; when the pool is full the
 * oldest goes, closing its connections. */
static void pool_give_multi(CURLM *multi, const char *origin) {
  if (multi == NULL)
    return;
  CURLM *evicted = NULL;
  pthread_mutex_lock(&http.pool_lock);
  if (http.idle_multi_count == HTTP_POOL_SIZE) {
    evicted = http.idle_multi[0].multi;
    memmove(&http.idle_multi[0], &http.idle_multi[1],
            (HTTP_POOL_SIZE - 1) * sizeof http.idle_multi[0]);
    http.idle_multi_count--;
  }
  idle_multi *slot = &http.idle_multi[http.idle_multi_count++];
  slot->multi = multi;
  snprintf(slot->origin, sizeof slot->origin, "%s", origin);
  pthread_mutex_unlock(&http.pool_lock);
  if (evicted != NULL)
    curl_multi_cleanup(evicted);
}

/* ------------------------------------------------------------- URLs */

/* True for a query parameter whose value is a credential: signatures (AWS
 * X-Amz-Signature, GCS X-Goog-Signature, Azure SAS and workspace grants
 * "sig"), credentials, tokens, keys. */
static bool parameter_is_secret(const char *name, size_t length) {
  static const char *const words[] = {"signature", "credential", "token",
                                      "secret", "password"};
  char lower[64];
  if (length >= sizeof lower)
    length = sizeof lower - 1;
  for (size_t i = 0; i < length; i++)
    lower[i] =
        (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
  lower[length] = '\0';
  if (strcmp(lower, "sig") == 0 ||
      (length >= 3 && strcmp(lower + length - 3, "key") == 0))
    return true;
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strstr(lower, words[i]) != NULL)
      return true;
  return false;
}

typedef struct url_view {
  const char *scheme; /* "http://" included */
  size_t scheme_length;
  const char *host; /* host[:port], without user info */
  size_t host_length;
  const char *path;
  size_t path_length;
  const char *query; /* after '?', or NULL */
  size_t query_length;
} url_view;

/* The "://" after the scheme: only before any '/', '?' or '#', so that one
 * in a query's value (found by fuzz_url) is not taken for it. */
static const char *scheme_separator(const char *url) {
  size_t first = strcspn(url, "/?#");
  return first > 0 && url[first] == '/' && url[first - 1] == ':' &&
                 url[first + 1] == '/'
             ? url + first - 1
             : NULL;
}

static url_view url_split(const char *url) {
  url_view v = {0};
  const char *separator = scheme_separator(url);
  const char *authority = separator ? separator + 3 : url;
  v.scheme = url;
  v.scheme_length = (size_t)(authority - url);
  size_t authority_length = strcspn(authority, "/?#");
  v.host = authority;
  for (size_t i = 0; i < authority_length; i++)
    if (authority[i] == '@')
      v.host = authority + i + 1;
  v.host_length = (size_t)(authority + authority_length - v.host);
  v.path = authority + authority_length;
  v.path_length = strcspn(v.path, "?#");
  if (v.path[v.path_length] == '?') {
    v.query = v.path + v.path_length + 1;
    v.query_length = strcspn(v.query, "#");
  }
  return v;
}

/* "scheme://host:port", lowercase, for choosing a pooled multi. */
static void url_origin(const char *url, char *out, size_t size) {
  url_view v = url_split(url);
  snprintf(out, size, "%.*s%.*s", (int)v.scheme_length, v.scheme,
           (int)v.host_length, v.host);
  for (char *c = out; *c; c++)
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c + 32);
}

/* The URL for people: no user info, no fragment, and either no query or
 * the query with the value of every secret parameter replaced by "***".
 * Caller frees; NULL when out of memory. */
char *http_url_describe(const char *url, bool with_query) {
  url_view v = url_split(url);
  /* "***" may be longer than the value it replaces: at most 3 bytes more
   * per parameter, and a parameter takes 2 bytes or more. */
  size_t size = v.scheme_length + v.host_length + v.path_length +
                (with_query ? 3 * v.query_length + 8 : 0) + 1;
  char *out = malloc(size);
  if (out == NULL)
    return NULL;
  size_t n = (size_t)snprintf(out, size, "%.*s%.*s%.*s", (int)v.scheme_length,
                              v.scheme, (int)v.host_length, v.host,
                              (int)v.path_length, v.path);
  if (!with_query || v.query == NULL)
    return out;
  out[n++] = '?';
  const char *p = v.query, *end = v.query + v.query_length;
  while (p < end) {
    const char *amp = memchr(p, '&', (size_t)(end - p));
    const char *stop = amp ? amp : end;
    const char *eq = memchr(p, '=', (size_t)(stop - p));
    if (eq != NULL && parameter_is_secret(p, (size_t)(eq - p))) {
      memcpy(out + n, p, (size_t)(eq - p) + 1);
      n += (size_t)(eq - p) + 1;
      memcpy(out + n, "***", 3);
      n += 3;
    } else {
      memcpy(out + n, p, (size_t)(stop - p));
      n += (size_t)(stop - p);
    }
    if (amp != NULL)
      out[n++] = '&';
    p = stop + 1;
  }
  out[n] = '\0';
  return out;
}

/* Replaces in text every occurrence of needle (3 bytes or more) by "***",
 * until none is left: a "***" put in can complete another occurrence with
 * the bytes before it (fuzz_url found "&?&?*" and the needle "&?*"), so the
 * search starts over from the beginning. It ends: each replacement shortens
 * the text or, for a 3-byte needle, adds a '*'; a needle of stars alone is
 * already hidden. */
static bool scrub(char *text, const char *needle, size_t length) {
  size_t stars = 0;
  while (stars < length && needle[stars] == '*')
    stars++;
  if (length < 3 || stars == length)
    return false;
  bool replaced = false;
  char *hit;
  while ((hit = memmem(text, strlen(text), needle, length)) != NULL) {
    memcpy(hit, "***", 3);
    memmove(hit + 3, hit + length, strlen(hit + length) + 1);
    replaced = true;
  }
  return replaced;
}

/* Removes from text (a message from curl) the URL's query and the value of
 * each of its secret parameters, should curl ever quote them. */
void http_scrub_url_secrets(char *text, const char *url) {
  url_view v = url_split(url);
  if (v.query == NULL)
    return;
  /* Passes until one changes nothing: the *** of one value can complete
   * another one scrubbed before (fuzz_url found it). */
  bool changed;
  do {
    changed = scrub(text, v.query, v.query_length);
    const char *p = v.query, *end = v.query + v.query_length;
    while (p < end) {
      const char *amp = memchr(p, '&', (size_t)(end - p));
      const char *stop = amp ? amp : end;
      const char *eq = memchr(p, '=', (size_t)(stop - p));
      if (eq != NULL && parameter_is_secret(p, (size_t)(eq - p)))
        changed |= scrub(text, eq + 1, (size_t)(stop - eq - 1));
      p = stop + 1;
    }
  } while (changed);
}

/* -------------------------------------------------------- transfers */

typedef enum body_sink {
  SINK_MEMORY,    /* response.body, up to max_body */
  SINK_STREAM,    /* the reader's buffer, then the overflow buffer */
  SINK_ERROR_BODY /* response.body, first HTTP_ERROR_BODY_MAX bytes */
} body_sink;

/* One request and its response as it arrives. */
typedef struct transfer {
  const pail_config *cfg;
  const pail_http_request *request;
  CURL *easy;
  struct curl_slist *headers;
  bool sends_body;
  /* PAIL_HTTP_BODY_FILE: the body is read from the request's file; the
   * bytes of it sent so far, and why the file could not give the next
   * (an errno, or -1 for a file that ended early). */
  bool body_from_file;
  uint64_t file_sent;
  int file_error;
  char origin[HTTP_ORIGIN_SIZE];
  char errbuf[CURL_ERROR_SIZE];

  pail_http_response response;
  size_t header_capacity;
  int block_status;       /* of the header block being read (1xx, then final) */
  bool head_done;         /* the final header block is complete */
  int64_t content_length; /* -1 when not announced */

  body_sink sink;
  size_t max_body;
  size_t body_capacity;
  bool over_limit;
  bool error_body_cut;
  bool out_of_memory;

  /* SINK_STREAM: the reader's buffer during a read, then what did not fit,
   * in overflow[overflow_start, overflow_end), allocated when first needed
   * (at overflow_capacity, curl's receive block: the most it passes at
   * once). */
  size_t receive_buffer; /* of a GET: HTTP_RECEIVE_BUFFER or _BULK */
  unsigned char *out;
  size_t out_capacity, out_length;
  unsigned char *overflow;
  size_t overflow_capacity, overflow_start, overflow_end;
  size_t overflow_peak;
  bool paused;
  uint64_t received;

  bool running; /* added to a multi */
  bool done;
  bool logged;
  CURLcode result;

  /* Retries (core/retry.c): attempts started, when the first one was, and
   * in a group when the next one may start. */
  int attempts;
  int64_t first_attempt_ms;
  int64_t retry_at_ms;

  /* Groups. */
  void *tag;
  pail_status status;
  pail_error *error;
  struct transfer *next;
} transfer;

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

static void response_clear_headers(pail_http_response *r) {
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

static uint32_t request_flags(const transfer *t);

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

/* Sets every option of easy for t's request, from a clean handle. */
static pail_status transfer_attach(transfer *t, CURL *easy, pail_error **err) {
  const pail_http_request *rq = t->request;
  const http_options *o = &http.options;
  t->easy = easy;
  if (t->attempts++ == 0)
    t->first_attempt_ms = retry_clock_ms();
  curl_easy_reset(easy);
  CURLcode rc = curl_easy_setopt(easy, CURLOPT_URL, rq->url);
  curl_easy_setopt(easy, CURLOPT_SHARE, http.share);
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
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, o->low_speed_limit);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, o->low_speed_time);
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

static pail_status transfer_new(const pail_config *cfg,
                                const pail_http_request *request,
                                body_sink sink, size_t max_body, transfer **out,
                                pail_error **err) {
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

static void transfer_free(transfer *t) {
  if (t == NULL)
    return;
  curl_slist_free_all(t->headers);
  http_response_clear(&t->response);
  free(t->overflow);
  pail_error_free(t->error);
  free(t);
}

static bool log_enabled(const pail_config *cfg) {
  return cfg != NULL && cfg->log != NULL && cfg->log_level >= PAIL_LOG_DEBUG;
}

/* One debug line per request, when it ends or is abandoned. */
static void transfer_log(transfer *t, const char *outcome) {
  if (t->logged || !log_enabled(t->cfg))
    return;
  t->logged = true;
  char *url = http_url_describe(t->request->url, true);
  curl_off_t total_us = 0, sent = 0, received = 0;
  long connects = 0, request_size = 0;
  curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &total_us);
  curl_easy_getinfo(t->easy, CURLINFO_SIZE_UPLOAD_T, &sent);
  curl_easy_getinfo(t->easy, CURLINFO_SIZE_DOWNLOAD_T, &received);
  curl_easy_getinfo(t->easy, CURLINFO_NUM_CONNECTS, &connects);
  curl_easy_getinfo(t->easy, CURLINFO_REQUEST_SIZE, &request_size);
  char status[32] = "no response";
  if (t->head_done)
    snprintf(status, sizeof status, "%d", t->response.status);
  /* No new connection and nothing sent: the connect failed. */
  const char *connection = connects > 0       ? ", new connection"
                           : request_size > 0 ? ", reused connection"
                                              : "";
  core_services.log(t->cfg, PAIL_LOG_DEBUG,
                    "HTTP %s %s: %s, sent %" CURL_FORMAT_CURL_OFF_T
                    " B, received %" CURL_FORMAT_CURL_OFF_T " B, %.3f ms%s%s%s",
                    t->request->method, url ? url : "(URL)", status, sent,
                    received, (double)total_us / 1000.0, connection,
                    outcome ? ": " : "", outcome ? outcome : "");
  free(url);
}

/* The outcome of a finished transfer, as a status and error; logs it. */
static pail_status transfer_result(transfer *t, pail_error **err) {
  const pail_http_request *rq = t->request;
  pail_status status = PAIL_OK;
  char *detail = NULL;
  if (t->out_of_memory || t->result == CURLE_OUT_OF_MEMORY) {
    status = PAIL_ERR_INTERNAL;
    detail = str_dup("out of memory");
  } else if (t->file_error != 0) {
    status = PAIL_ERR_IO;
    detail = t->file_error > 0
                 ? str_printf("cannot read the body from the local file: %s",
                              strerror(t->file_error))
                 : str_dup("the local file ended before the body did (it "
                           "changed during the upload)");
  } else if (t->over_limit) {
    status = PAIL_ERR_IO;
    detail = str_printf("response body larger than the %zu bytes allowed",
                        t->max_body);
  } else if (t->result == CURLE_OK && !t->head_done) {
    status = PAIL_ERR_UNAVAILABLE;
    detail = str_dup("no HTTP response");
  } else if (t->result != CURLE_OK &&
             !(t->error_body_cut && t->result == CURLE_WRITE_ERROR)) {
    status = (t->result == CURLE_URL_MALFORMAT ||
              t->result == CURLE_UNSUPPORTED_PROTOCOL)
                 ? PAIL_ERR_INVALID_ARGUMENT
             : t->head_done ? PAIL_ERR_IO
                            : PAIL_ERR_UNAVAILABLE;
    const char *why = t->errbuf[0] ? t->errbuf : curl_easy_strerror(t->result);
    detail = t->head_done ? str_printf("response body cut short after %" PRIu64
                                       " bytes (%s)",
                                       t->sink == SINK_STREAM
                                           ? t->received
                                           : (uint64_t)t->response.body_length,
                                       why)
                          : str_dup(why);
  }
  if (status == PAIL_OK) {
    transfer_log(t, NULL);
    return PAIL_OK;
  }
  /* A final message says how hard pail tried. */
  if (detail != NULL && t->attempts > 1) {
    char *tried = str_printf("%s (after %d attempts)", detail, t->attempts);
    free(detail);
    detail = tried;
  }
  if (detail != NULL)
    http_scrub_url_secrets(detail, rq->url);
  transfer_log(t, detail ? detail : "out of memory");
  char *url = http_url_describe(rq->url, false);
  pail_error_set(err, status, 0, NULL, NULL, "%s %s: %s", rq->method,
                 url ? url : "(URL)", detail ? detail : "out of memory");
  free(url);
  free(detail);
  return error_redact(err, t->cfg, status);
}

/* libcurl results worth another attempt: the network or the server
 * failed, not the request, the TLS verification or this process. */
static bool curl_result_is_transient(CURLcode result) {
  switch (result) {
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
    return true;
  default:
    return false;
  }
}

/* The request's flags, from a plugin that has them (ABI 1.3); a request
 * of the core itself (no cfg) has them too. */
static uint32_t request_flags(const transfer *t) {
  uint32_t abi = t->cfg ? t->cfg->backend_abi : PAIL_BACKEND_ABI_VERSION;
  if (PAIL_ABI_MAJOR_OF(abi) != PAIL_BACKEND_ABI_MAJOR ||
      PAIL_ABI_MINOR_OF(abi) < 3)
    return 0;
  /* The body's file fields are there from ABI 1.7 on. */
  if (PAIL_ABI_MINOR_OF(abi) < 7)
    return t->request->flags & ~PAIL_HTTP_BODY_FILE;
  return t->request->flags;
}

/* Whether t, ended, failed in a way the retry policy lets us try again,
 * and after how long. Only idempotent requests are replayed, and a stream
 * only before its body began (a broken body is the reader's to resume). */
static bool transfer_should_retry(const transfer *t, int64_t *delay_ms) {
  *delay_ms = 0;
  uint32_t flags = request_flags(t);
  if ((flags & PAIL_HTTP_NO_RETRY) ||
      (!retry_method_is_idempotent(t->request->method) &&
       !(flags & PAIL_HTTP_IDEMPOTENT)) ||
      t->out_of_memory || t->over_limit || t->file_error != 0)
    return false;
  bool complete = t->result == CURLE_OK ||
                  (t->error_body_cut && t->result == CURLE_WRITE_ERROR);
  bool transient;
  if (t->head_done &&
      (complete || t->sink == SINK_MEMORY || t->sink == SINK_ERROR_BODY))
    transient = retry_status_is_transient(t->response.status) ||
                (!complete && curl_result_is_transient(t->result));
  else if (!t->head_done)
    transient = complete || curl_result_is_transient(t->result);
  else
    transient = false;
  if (!transient)
    return false;
  int64_t server_delay =
      t->head_done ? retry_after_ms(http_header(&t->response, "retry-after"))
                   : -1;
  retry_policy policy = retry_policy_for(t->cfg);
  return retry_next(&policy, t->attempts, t->first_attempt_ms, server_delay,
                    delay_ms);
}

/* Says why t is tried again; the failed attempt has its own debug line. */
static void transfer_log_retry(transfer *t, int64_t delay_ms) {
  if (t->cfg == NULL || t->cfg->log == NULL ||
      t->cfg->log_level < PAIL_LOG_INFO)
    return;
  char *url = http_url_describe(t->request->url, false);
  char why[64];
  if (t->head_done)
    snprintf(why, sizeof why, "HTTP %d", t->response.status);
  else
    snprintf(why, sizeof why, "%s", curl_easy_strerror(t->result));
  retry_policy policy = retry_policy_for(t->cfg);
  core_services.log(t->cfg, PAIL_LOG_INFO,
                    "retrying %s %s after %s, attempt %d of %d, in %lld ms",
                    t->request->method, url ? url : "(URL)", why,
                    t->attempts + 1, policy.max_attempts, (long long)delay_ms);
  free(url);
}

/* Makes t ready to be attached again: the request stays, everything the
 * last attempt received goes. */
static void transfer_reset(transfer *t) {
  http_response_clear(&t->response);
  t->header_capacity = 0;
  t->block_status = 0;
  t->head_done = false;
  t->content_length = -1;
  t->body_capacity = 0;
  t->over_limit = t->error_body_cut = t->out_of_memory = false;
  t->overflow_start = t->overflow_end = 0;
  t->paused = false;
  t->received = 0;
  t->done = t->logged = false;
  t->result = CURLE_OK;
  t->errbuf[0] = '\0';
  t->status = PAIL_OK;
  pail_error_free(t->error);
  t->error = NULL;
}

/* Marks the transfers of multi that have ended. */
static void multi_collect(CURLM *multi) {
  CURLMsg *message;
  int left;
  while ((message = curl_multi_info_read(multi, &left)) != NULL) {
    if (message->msg != CURLMSG_DONE)
      continue;
    char *private_data = NULL;
    curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &private_data);
    transfer *t = (transfer *)(void *)private_data;
    if (t != NULL) {
      t->done = true;
      t->result = message->data.result;
    }
  }
}

typedef enum drive_goal { UNTIL_DONE, UNTIL_HEAD, UNTIL_DATA } drive_goal;

static bool goal_reached(const transfer *t, drive_goal goal) {
  return t->done || (goal == UNTIL_HEAD && t->head_done) ||
         (goal == UNTIL_DATA &&
          (t->out_length > 0 || t->overflow_end > t->overflow_start));
}

/* Runs the transfers of multi until t reaches goal. */
static void drive(CURLM *multi, transfer *t, drive_goal goal) {
  for (;;) {
    int running = 0;
    CURLMcode mc = curl_multi_perform(multi, &running);
    multi_collect(multi);
    if (!t->done && mc != CURLM_OK && mc != CURLM_CALL_MULTI_PERFORM) {
      t->done = true;
      t->result =
          mc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_FAILED_INIT;
    }
    if (goal_reached(t, goal))
      return;
    if (running == 0 && !t->paused) {
      /* Not running yet not reported done: curl says it is over. */
      t->done = true;
      t->result = CURLE_RECV_ERROR;
      return;
    }
    curl_multi_poll(multi, NULL, 0, 1000, NULL);
  }
}

/* Takes a multi and an easy handle and starts t in them. */
static pail_status transfer_start_alone(transfer *t, CURLM **multi,
                                        pail_error **err) {
  *multi = pool_take_multi(t->origin, 0);
  CURL *easy = pool_take_easy();
  if (*multi == NULL || easy == NULL) {
    pool_give_easy(easy);
    if (*multi != NULL)
      curl_multi_cleanup(*multi);
    *multi = NULL;
    return error_no_memory(err);
  }
  pail_status status = transfer_attach(t, easy, err);
  if (status == PAIL_OK && curl_multi_add_handle(*multi, easy) != CURLM_OK)
    status = error_no_memory(err);
  if (status != PAIL_OK) {
    t->easy = NULL;
    pool_give_easy(easy);
    pool_give_multi(*multi, t->origin);
    *multi = NULL;
    return status;
  }
  t->running = true;
  return PAIL_OK;
}

/* Takes t out of multi (closing its connection if it did not finish) and
 * gives both handles back to the pool. */
static void transfer_end_alone(transfer *t, CURLM *multi) {
  if (t->running)
    curl_multi_remove_handle(multi, t->easy);
  t->running = false;
  pool_give_easy(t->easy);
  t->easy = NULL;
  pool_give_multi(multi, t->origin);
}

/* --------------------------------------------------------- services */

void http_response_clear(pail_http_response *response) {
  if (response == NULL)
    return;
  response_clear_headers(response);
  free(response->headers);
  free(response->body);
  memset(response, 0, sizeof *response);
}

const char *http_header(const pail_http_response *response, const char *name) {
  if (response == NULL || name == NULL)
    return NULL;
  for (size_t i = 0; i < response->header_count; i++)
    if (strcasecmp(response->headers[i].name, name) == 0)
      return response->headers[i].value;
  return NULL;
}

/* Moves t's response into out, leaving t without one. */
static void response_move(transfer *t, pail_http_response *out) {
  *out = t->response;
  if (out->body_length == 0) {
    free(out->body);
    out->body = NULL;
  }
  memset(&t->response, 0, sizeof t->response);
  t->header_capacity = 0;
  t->body_capacity = 0;
}

/* The error status the last exchange or stream opening of this thread
 * ended with after retries, and the attempts made, until
 * http_attempts_take takes them: the backend turns that answer into the
 * error, and the core's error_set adds the count to its message. */
static _Thread_local struct {
  int status;
  int attempts;
} last_retried;

static void note_final_status(const transfer *t) {
  int status = t->response.status;
  bool failed = t->head_done && (status < 200 || status > 299);
  last_retried.status = failed && t->attempts > 1 ? status : 0;
  last_retried.attempts = failed ? t->attempts : 0;
}

int http_attempts_take(int status) {
  int attempts =
      status != 0 && status == last_retried.status ? last_retried.attempts : 0;
  if (attempts > 0)
    last_retried.status = last_retried.attempts = 0;
  return attempts;
}

pail_status http_exchange(const pail_config *cfg,
                          const pail_http_request *request, size_t max_body,
                          pail_http_response *out, pail_error **err) {
  if (out != NULL)
    memset(out, 0, sizeof *out);
  if (out == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "http_exchange: no response given (NULL)");
  pail_status status = http_ready(err);
  if (status != PAIL_OK)
    return status;
  transfer *t;
  status = transfer_new(cfg, request, SINK_MEMORY, max_body, &t, err);
  if (status != PAIL_OK)
    return status;
  CURLM *multi = NULL;
  while ((status = transfer_start_alone(t, &multi, err)) == PAIL_OK) {
    drive(multi, t, UNTIL_DONE);
    int64_t delay;
    if (transfer_should_retry(t, &delay)) {
      transfer_result(t, NULL); /* the failed attempt's debug line */
      transfer_log_retry(t, delay);
      transfer_end_alone(t, multi);
      transfer_reset(t);
      retry_sleep_ms(delay);
      continue;
    }
    status = transfer_result(t, err);
    note_final_status(t);
    if (status == PAIL_OK)
      response_move(t, out);
    transfer_end_alone(t, multi);
    break;
  }
  transfer_free(t);
  return status;
}

/* ---------------------------------------------------------- streams */

struct pail_http_stream {
  transfer *transfer;
  CURLM *multi;
  pail_status failure; /* once failed, every read fails */
};

static pail_status stream_open(const pail_config *cfg,
                               const pail_http_request *request, bool bulk,
                               pail_http_stream **stream,
                               pail_http_response *head, pail_error **err) {
  if (head != NULL)
    memset(head, 0, sizeof *head);
  if (stream != NULL)
    *stream = NULL;
  if (stream == NULL || head == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "http_stream_open: no %s given (NULL)",
                          stream == NULL ? "stream" : "head");
  pail_status status = http_ready(err);
  if (status != PAIL_OK)
    return status;
  pail_http_stream *s = calloc(1, sizeof *s);
  if (s == NULL)
    return error_no_memory(err);
  transfer *t;
  status = transfer_new(cfg, request, SINK_STREAM, 0, &t, err);
  if (status != PAIL_OK) {
    free(s);
    return status;
  }
  if (bulk)
    t->receive_buffer = t->overflow_capacity = HTTP_RECEIVE_BULK;
  s->transfer = t;
  bool success = false;
  for (;;) {
    status = transfer_start_alone(t, &s->multi, err);
    if (status != PAIL_OK) {
      transfer_free(t);
      free(s);
      return status;
    }
    drive(s->multi, t, UNTIL_HEAD);
    success =
        t->head_done && t->response.status >= 200 && t->response.status <= 299;
    if (success)
      break;
    /* No head, or an error status: its body (the part kept) is the answer,
     * unless the failure is transient and the policy allows another try. */
    if (t->head_done && !t->done) {
      if (t->paused) {
        t->paused = false;
        curl_easy_pause(t->easy, CURLPAUSE_CONT);
      }
      drive(s->multi, t, UNTIL_DONE);
    }
    int64_t delay;
    if (!transfer_should_retry(t, &delay))
      break;
    transfer_result(t, NULL); /* the failed attempt's debug line */
    transfer_log_retry(t, delay);
    transfer_end_alone(t, s->multi);
    s->multi = NULL;
    transfer_reset(t);
    retry_sleep_ms(delay);
  }
  if (!success) {
    status = transfer_result(t, err);
    note_final_status(t);
    if (t->head_done) {
      /* The status is what the caller needs; a body cut short is not. */
      if (status != PAIL_OK && err != NULL && *err != NULL &&
          pail_error_category(*err) == PAIL_ERR_IO) {
        pail_error_free(*err);
        *err = NULL;
        status = PAIL_OK;
      }
      if (status == PAIL_OK)
        response_move(t, head);
    }
    transfer_end_alone(t, s->multi);
    transfer_free(t);
    free(s);
    return status;
  }
  head->status = t->response.status;
  head->headers = t->response.headers;
  head->header_count = t->response.header_count;
  t->response.headers = NULL;
  t->response.header_count = 0;
  t->header_capacity = 0;
  *stream = s;
  return PAIL_OK;
}

pail_status http_stream_open(const pail_config *cfg,
                             const pail_http_request *request,
                             pail_http_stream **stream,
                             pail_http_response *head, pail_error **err) {
  return stream_open(cfg, request, false, stream, head, err);
}

pail_status http_stream_open_bulk(const pail_config *cfg,
                                  const pail_http_request *request,
                                  pail_http_stream **stream,
                                  pail_http_response *head, pail_error **err) {
  return stream_open(cfg, request, true, stream, head, err);
}

pail_status http_stream_read(pail_http_stream *s, void *buffer, size_t capacity,
                             size_t *got, pail_error **err) {
  if (got != NULL)
    *got = 0;
  if (s == NULL || buffer == NULL || got == NULL || capacity == 0)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "http_stream_read: no %s given",
                          s == NULL        ? "stream"
                          : buffer == NULL ? "buffer"
                          : got == NULL    ? "count"
                                           : "room");
  transfer *t = s->transfer;
  if (s->failure != PAIL_OK) {
    char *url = http_url_describe(t->request->url, false);
    pail_error_set(err, s->failure, 0, NULL, NULL,
                   "%s %s: read after the transfer failed", t->request->method,
                   url ? url : "(URL)");
    free(url);
    return s->failure;
  }
  t->out = buffer;
  t->out_capacity = capacity;
  t->out_length = 0;
  size_t held = t->overflow_end - t->overflow_start;
  if (held > 0) {
    size_t take = held < capacity ? held : capacity;
    memcpy(t->out, t->overflow + t->overflow_start, take);
    t->out_length = take;
    t->overflow_start += take;
    if (t->overflow_start == t->overflow_end)
      t->overflow_start = t->overflow_end = 0;
  }
  if (t->out_length == 0 && !t->done) {
    if (t->paused) {
      /* curl hands the chunk it kept over again, now, through on_body. */
      t->paused = false;
      if (curl_easy_pause(t->easy, CURLPAUSE_CONT) != CURLE_OK) {
        t->done = true;
        t->result = CURLE_RECV_ERROR;
      }
    }
    if (t->out_length == 0 && !t->done)
      drive(s->multi, t, UNTIL_DATA);
  }
  *got = t->out_length;
  t->out = NULL;
  t->out_capacity = t->out_length = 0;
  if (*got > 0 || !t->done)
    return PAIL_OK;
  pail_status status = transfer_result(t, err);
  if (status != PAIL_OK)
    s->failure = status;
  return status;
}

void http_stream_close(pail_http_stream *s) {
  if (s == NULL)
    return;
  transfer *t = s->transfer;
  if (t->done)
    transfer_result(t, NULL); /* logs it, if the reader did not see the end */
  else
    transfer_log(t, "closed before the end of the body");
  transfer_end_alone(t, s->multi);
  transfer_free(t);
  free(s);
}

/* For tests: the most the stream has held in its overflow buffer. */
size_t http_stream_buffer_peak(const pail_http_stream *s) {
  return s ? s->transfer->overflow_peak : 0;
}

/* ----------------------------------------------------------- groups */

struct pail_http_group {
  const pail_config *cfg;
  size_t concurrency;
  CURLM *multi;
  char origin[HTTP_ORIGIN_SIZE];
  transfer *queued, *queued_last; /* not started yet */
  transfer *active;               /* in the multi */
  size_t active_count;
  transfer *finished, *finished_last; /* ended, not returned yet */
  transfer *waiting, *waiting_last;   /* to be tried again at retry_at_ms */
  size_t pending;
  CURL **spare_easy; /* handles of ended transfers, for the next ones */
  size_t spare_count;
};

static void list_push(transfer **first, transfer **last, transfer *t) {
  t->next = NULL;
  if (*last)
    (*last)->next = t;
  else
    *first = t;
  *last = t;
}

static void group_finish(pail_http_group *g, transfer *t) {
  list_push(&g->finished, &g->finished_last, t);
}

/* Moves the waiting transfers whose retry time has come to the front of
 * the queue (they started first). Returns ms until the next one is due, or
 * -1 when none waits. */
static int64_t group_wake(pail_http_group *g) {
  int64_t now = retry_clock_ms(), next = -1;
  transfer *due = NULL, *due_last = NULL;
  for (transfer **link = &g->waiting; *link != NULL;) {
    transfer *t = *link;
    if (t->retry_at_ms <= now) {
      *link = t->next;
      list_push(&due, &due_last, t);
      continue;
    }
    if (next < 0 || t->retry_at_ms - now < next)
      next = t->retry_at_ms - now;
    link = &t->next;
  }
  g->waiting_last = NULL;
  for (transfer *t = g->waiting; t != NULL; t = t->next)
    g->waiting_last = t;
  if (due != NULL) {
    due_last->next = g->queued;
    if (g->queued == NULL)
      g->queued_last = due_last;
    g->queued = due;
  }
  return next;
}

/* Starts queued transfers while slots are free. A transfer that cannot
 * start ends at once with its error. */
static void group_launch(pail_http_group *g) {
  group_wake(g);
  while (g->queued != NULL && g->active_count < g->concurrency) {
    transfer *t = g->queued;
    g->queued = t->next;
    if (g->queued == NULL)
      g->queued_last = NULL;
    CURL *easy =
        g->spare_count > 0 ? g->spare_easy[--g->spare_count] : pool_take_easy();
    if (easy == NULL) {
      t->status = error_no_memory(&t->error);
      group_finish(g, t);
      continue;
    }
    t->status = transfer_attach(t, easy, &t->error);
    if (t->status == PAIL_OK &&
        curl_multi_add_handle(g->multi, easy) != CURLM_OK)
      t->status = error_no_memory(&t->error);
    if (t->status != PAIL_OK) {
      t->easy = NULL;
      g->spare_easy[g->spare_count++] = easy;
      group_finish(g, t);
      continue;
    }
    t->running = true;
    t->next = g->active;
    g->active = t;
    g->active_count++;
  }
}

/* Moves the transfers that ended from active to finished. */
static void group_collect(pail_http_group *g) {
  multi_collect(g->multi);
  for (transfer **link = &g->active; *link != NULL;) {
    transfer *t = *link;
    if (!t->done) {
      link = &t->next;
      continue;
    }
    *link = t->next;
    g->active_count--;
    int64_t delay;
    bool again = transfer_should_retry(t, &delay);
    if (again) {
      transfer_result(t, NULL); /* the failed attempt's debug line */
      transfer_log_retry(t, delay);
    } else {
      t->status = transfer_result(t, &t->error);
    }
    curl_multi_remove_handle(g->multi, t->easy);
    t->running = false;
    g->spare_easy[g->spare_count++] = t->easy;
    t->easy = NULL;
    snprintf(g->origin, sizeof g->origin, "%s", t->origin);
    if (again) {
      transfer_reset(t);
      t->retry_at_ms = retry_clock_ms() + delay;
      list_push(&g->waiting, &g->waiting_last, t);
    } else {
      group_finish(g, t);
    }
  }
}

pail_http_group *http_group_new(const pail_config *cfg, size_t concurrency) {
  if (http_ready(NULL) != PAIL_OK)
    return NULL;
  if (concurrency == 0)
    concurrency = 1;
  pail_http_group *g = calloc(1, sizeof *g);
  if (g == NULL)
    return NULL;
  g->cfg = cfg;
  g->concurrency = concurrency;
  g->spare_easy = calloc(concurrency, sizeof *g->spare_easy);
  g->multi = g->spare_easy ? pool_take_multi("", concurrency) : NULL;
  if (g->multi == NULL) {
    free(g->spare_easy);
    free(g);
    return NULL;
  }
  return g;
}

pail_status http_group_start(pail_http_group *g,
                             const pail_http_request *request, size_t max_body,
                             void *tag, pail_error **err) {
  if (g == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "http_group_start: no group given (NULL)");
  transfer *t;
  pail_status status =
      transfer_new(g->cfg, request, SINK_MEMORY, max_body, &t, err);
  if (status != PAIL_OK)
    return status;
  t->tag = tag;
  list_push(&g->queued, &g->queued_last, t);
  g->pending++;
  group_launch(g);
  return PAIL_OK;
}

pail_status http_group_wait(pail_http_group *g, void **tag,
                            pail_http_response *out, pail_error **err) {
  if (out != NULL)
    memset(out, 0, sizeof *out);
  if (tag != NULL)
    *tag = NULL;
  if (g == NULL || g->pending == 0)
    return pail_error_set(
        err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL, "http_group_wait: %s",
        g == NULL ? "no group given (NULL)" : "no request is pending");
  while (g->finished == NULL) {
    int running = 0;
    CURLMcode mc = curl_multi_perform(g->multi, &running);
    group_collect(g);
    group_launch(g);
    if (g->finished != NULL)
      break;
    if (mc != CURLM_OK && mc != CURLM_CALL_MULTI_PERFORM) {
      /* The multi is unusable: end every active transfer with that. */
      for (transfer *t = g->active; t != NULL; t = t->next) {
        t->done = true;
        t->result =
            mc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_FAILED_INIT;
      }
      group_collect(g);
      break;
    }
    int64_t next_retry = group_wake(g);
    group_launch(g);
    int timeout = next_retry >= 0 && next_retry < 1000 ? (int)next_retry : 1000;
    curl_multi_poll(g->multi, NULL, 0, timeout, NULL);
  }
  transfer *t = g->finished;
  if (t == NULL) /* the multi failed with nothing in it: cannot happen */
    return pail_error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                          "http_group_wait: libcurl failed");
  g->finished = t->next;
  if (g->finished == NULL)
    g->finished_last = NULL;
  g->pending--;
  if (tag != NULL)
    *tag = t->tag;
  pail_status status = t->status;
  if (status == PAIL_OK) {
    if (out != NULL)
      response_move(t, out);
  } else if (err != NULL && *err == NULL) {
    *err = t->error;
    t->error = NULL;
  }
  transfer_free(t);
  return status;
}

size_t http_group_pending(const pail_http_group *g) {
  return g ? g->pending : 0;
}

void http_group_free(pail_http_group *g) {
  if (g == NULL)
    return;
  for (transfer *t = g->active, *next; t != NULL; t = next) {
    next = t->next;
    transfer_log(t, "cancelled");
    curl_multi_remove_handle(g->multi, t->easy);
    pool_give_easy(t->easy);
    transfer_free(t);
  }
  for (transfer *t = g->queued, *next; t != NULL; t = next) {
    next = t->next;
    transfer_free(t);
  }
  for (transfer *t = g->finished, *next; t != NULL; t = next) {
    next = t->next;
    transfer_free(t);
  }
  for (transfer *t = g->waiting, *next; t != NULL; t = next) {
    next = t->next;
    transfer_free(t);
  }
  for (size_t i = 0; i < g->spare_count; i++)
    pool_give_easy(g->spare_easy[i]);
  pool_give_multi(g->multi, g->origin);
  free(g->spare_easy);
  free(g);
}
