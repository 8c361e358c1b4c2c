/*
 * test_http.c: the core's HTTP services (core/net/http_*.c) against a local
 * server with switchable behaviours (tests/http_server.py, on 127.0.0.1 only):
 * what goes on the wire (Content-Length of an empty PUT, no header the caller
 * did not sign), HEAD, streamed bodies with bounded memory, every transport
 * failure and its category, groups, connection reuse, the body limit, and
 * that no URL signature reaches a log line or an error message; and the
 * resumable reader built on streams (core/net/resume.c).
 */
#include "internal.h"
#include "testutil.h"

#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

/* The server, started by main() in the parent process. */
static pid_t server_pid;
static int server_port;
static int server_stdin = -1;

/* A storage whose secret field must never show in a log line. */
static const pail_backend_field test_fields[] = {
    {"secretKey", PAIL_FIELD_STRING, 0, 1, "a secret"}, {NULL, 0, 0, 0, NULL}};
static storage_settings test_storage;
static pail_config cfg;

/* The log lines of the running test. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_text[1 << 16];
static size_t log_length;

static void capture_log(void *user, pail_log_level level, const char *line) {
  (void)user;
  (void)level;
  pthread_mutex_lock(&log_lock);
  int n = snprintf(log_text + log_length, sizeof log_text - log_length, "%s\n",
                   line);
  if (n > 0 && log_length + (size_t)n < sizeof log_text)
    log_length += (size_t)n;
  pthread_mutex_unlock(&log_lock);
}

static const char *log_lines(void) {
  return log_text;
}

static pail_error *err;

static void setup(void) {
  err = NULL;
  log_length = 0;
  log_text[0] = '\0';
  /* One attempt per request: most tests look at what a single attempt
   * does; the "retries" cases set their own policy. */
  cfg.max_attempts = 1;
  cfg.retry_time_limit_ms = 0;
}

static void teardown(void) {
  pail_error_free(err);
  err = NULL;
}

#define EXPECT(want, call) expect_status(__LINE__, #call, (call), (want))

static void expect_status(int line, const char *text, pail_status got,
                          pail_status want) {
  ck_assert_msg(
      got == want, "line %d: %s returned \"%s\" (%s), expected \"%s\"", line,
      text, pail_status_name(got), err ? pail_error_message(err) : "no error",
      pail_status_name(want));
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "http://127.0.0.1:PORT" + path; caller frees. */
static char *url_of(const char *path) {
  char *url = NULL;
  ck_assert_int_ge(asprintf(&url, "http://127.0.0.1:%d%s", server_port, path),
                   0);
  return url;
}

/* One exchange with the server; returns its status. */
static pail_status exchange(const char *method, const char *path,
                            const char *const *headers, size_t header_count,
                            const void *body, size_t body_length,
                            size_t max_body, pail_http_response *out) {
  char *url = url_of(path);
  pail_http_request request = {method, url,         headers, header_count,
                               body,   body_length, 0};
  pail_status status = http_exchange(&cfg, &request, max_body, out, &err);
  free(url);
  return status;
}

/* The JSON document /echo answered with. */
static json_t *echo_document(const pail_http_response *response) {
  ck_assert_int_eq(response->status, 200);
  ck_assert_ptr_nonnull(response->body);
  json_error_t error;
  json_t *document =
      json_loadb(response->body, response->body_length, 0, &error);
  ck_assert_msg(document != NULL, "bad echo: %s", error.text);
  return document;
}

/* A header the server received (name compared case-insensitively). */
static const char *received_header(json_t *document, const char *name) {
  size_t i;
  json_t *pair;
  json_array_foreach(json_object_get(document, "headers"), i, pair) {
    if (strcasecmp(json_string_value(json_array_get(pair, 0)), name) == 0)
      return json_string_value(json_array_get(pair, 1));
  }
  return NULL;
}

static json_int_t echo_integer(json_t *document, const char *field) {
  return json_integer_value(json_object_get(document, field));
}

/* The pattern of the server's /bytes routes: byte i is i % 251. */
#define PATTERN_PERIOD 251
static unsigned char *pattern_make(size_t length) {
  unsigned char *p = malloc(length + PATTERN_PERIOD);
  ck_assert_ptr_nonnull(p);
  for (size_t i = 0; i < length + PATTERN_PERIOD; i++)
    p[i] = (unsigned char)(i % PATTERN_PERIOD);
  return p;
}

/* A port on which nothing listens. */
static int closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ck_assert_int_ge(fd, 0);
  struct sockaddr_in address = {0};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&address, sizeof address), 0);
  ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&address, &length), 0);
  close(fd);
  return ntohs(address.sin_port);
}

/* ------------------------------------------------ what goes on the wire */

START_TEST(empty_put_sends_content_length_zero) {
  pail_http_response r;
  EXPECT(PAIL_OK,
         exchange("PUT", "/echo/empty", NULL, 0, NULL, 0, 1 << 20, &r));
  json_t *d = echo_document(&r);
  ck_assert_str_eq(json_string_value(json_object_get(d, "method")), "PUT");
  ck_assert_ptr_nonnull(received_header(d, "Content-Length"));
  ck_assert_str_eq(received_header(d, "Content-Length"), "0");
  ck_assert_ptr_null(received_header(d, "Content-Type"));
  ck_assert_ptr_null(received_header(d, "Expect"));
  ck_assert_ptr_null(received_header(d, "Transfer-Encoding"));
  json_decref(d);
  http_response_clear(&r);
}
END_TEST

START_TEST(post_body_and_headers_arrive_exactly) {
  static const char body[] = "<Complete>\0binary\xff\x01</Complete>";
  const char *headers[] = {"X-Amz-Date: 20260101T000000Z",
                           "x-amz-content-sha256: UNSIGNED-PAYLOAD",
                           "X-Empty:", "Authorization: AWS4-HMAC-SHA256 x"};
  pail_http_response r;
  EXPECT(PAIL_OK, exchange("POST", "/echo/complete?uploadId=1", headers, 4,
                           body, sizeof body, 1 << 20, &r));
  json_t *d = echo_document(&r);
  ck_assert_str_eq(json_string_value(json_object_get(d, "method")), "POST");
  ck_assert_str_eq(json_string_value(json_object_get(d, "query")),
                   "uploadId=1");
  /* Exactly the caller's headers plus Host, Content-Length and curl's
   * unsigned Accept and User-Agent: no Content-Type, no Expect. */
  json_t *received = json_object_get(d, "headers");
  const char *expected[] = {
      "Host",       "User-Agent",           "Accept",  "Content-Length",
      "X-Amz-Date", "x-amz-content-sha256", "X-Empty", "Authorization"};
  ck_assert_uint_eq(json_array_size(received),
                    sizeof expected / sizeof expected[0]);
  for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
    ck_assert_msg(received_header(d, expected[i]) != NULL, "no %s",
                  expected[i]);
  ck_assert_str_eq(received_header(d, "X-Amz-Date"), "20260101T000000Z");
  ck_assert_str_eq(received_header(d, "X-Empty"), "");
  ck_assert_str_eq(received_header(d, "Accept"), "*/*");
  char length[32];
  snprintf(length, sizeof length, "%zu", sizeof body);
  ck_assert_str_eq(received_header(d, "Content-Length"), length);
  ck_assert_int_eq(echo_integer(d, "body_length"), sizeof body);
  unsigned char digest[32];
  char hex[65];
  crypto_sha256(body, sizeof body, digest);
  crypto_hex_encode(digest, 32, hex);
  ck_assert_str_eq(json_string_value(json_object_get(d, "body_sha256")), hex);
  json_decref(d);
  http_response_clear(&r);
}
END_TEST

/* The request builder of ABI 1.11: a request built with it goes out with
 * exactly its lines, and its http view follows every change. */
START_TEST(a_built_request_sends_exactly_its_lines) {
  const pail_core_services *core = pail_core_services_get();
  pail_request r;
  EXPECT(PAIL_OK,
         core->request_init(&r, "PUT", url_of("/echo/built?x=1"), &err));
  ck_assert_str_eq(r.http.url, r.url);
  ck_assert_uint_eq(r.http.header_count, 0);
  for (int i = 0; i < 40; i++) /* the array grows under the view */
    EXPECT(PAIL_OK, core->request_header(&r, &err, "X-Line-%d: %d%%", i, i));
  ck_assert_uint_eq(r.http.header_count, 40);
  ck_assert_ptr_eq(r.http.headers, (const char *const *)r.headers);
  ck_assert_str_eq(r.http.headers[39], "X-Line-39: 39%");
  pail_request_body(&r, "abc", 3);
  pail_http_response response;
  EXPECT(PAIL_OK, http_exchange(&cfg, &r.http, 1 << 20, &response, &err));
  json_t *d = echo_document(&response);
  ck_assert_str_eq(json_string_value(json_object_get(d, "method")), "PUT");
  ck_assert_str_eq(json_string_value(json_object_get(d, "query")), "x=1");
  ck_assert_str_eq(received_header(d, "X-Line-0"), "0%");
  ck_assert_str_eq(received_header(d, "X-Line-39"), "39%");
  ck_assert_int_eq(echo_integer(d, "body_length"), 3);
  json_decref(d);
  http_response_clear(&response);
  core->request_free(&r);
  ck_assert_ptr_null(r.url);
  ck_assert_uint_eq(r.header_count, 0);
  core->request_free(&r); /* a zeroed request frees nothing */
  /* A URL that could not be made is out of memory, the request zeroed. */
  ck_assert_int_eq(core->request_init(&r, "GET", NULL, &err),
                   PAIL_ERR_INTERNAL);
  ck_assert_str_eq(pail_error_message(err), "out of memory");
  ck_assert_ptr_null(r.http.url);
  pail_error_free(err);
  err = NULL;
}
END_TEST

START_TEST(large_put_arrives_whole_without_expect) {
  size_t length = 6 * 1024 * 1024 + 7;
  unsigned char *body = pattern_make(length);
  const char *headers[] = {"Content-Type: application/octet-stream"};
  pail_http_response r;
  EXPECT(PAIL_OK,
         exchange("PUT", "/echo/big", headers, 1, body, length, 1 << 24, &r));
  json_t *d = echo_document(&r);
  ck_assert_int_eq(echo_integer(d, "body_length"), (json_int_t)length);
  ck_assert_ptr_null(received_header(d, "Expect"));
  ck_assert_str_eq(received_header(d, "Content-Type"),
                   "application/octet-stream");
  unsigned char digest[32];
  char hex[65];
  crypto_sha256(body, length, digest);
  crypto_hex_encode(digest, 32, hex);
  ck_assert_str_eq(json_string_value(json_object_get(d, "body_sha256")), hex);
  json_decref(d);
  http_response_clear(&r);
  free(body);
}
END_TEST

/* A temporary file holding data, open for reading. */
static int temp_file_of(const unsigned char *data, size_t length) {
  char path[] = "/tmp/test_http.XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  unlink(path);
  ck_assert_int_eq(write(fd, data, length), (ssize_t)length);
  return fd;
}

START_TEST(a_body_from_a_file_arrives_exactly) {
  /* A range from the middle of the file, by PUT and by POST, with the
   * descriptor's own offset left where it was. */
  size_t length = 5 * 1024 * 1024 + 11, skip = 1000003;
  unsigned char *data = pattern_make(length + skip + 17);
  int fd = temp_file_of(data, length + skip + 17);
  off_t before = lseek(fd, 0, SEEK_CUR);
  pail_http_body_file file = {fd, skip};
  unsigned char digest[32], from_file[32];
  char hex[65];
  crypto_sha256(data + skip, length, digest);
  crypto_hex_encode(digest, 32, hex);
  EXPECT(PAIL_OK, crypto_sha256_file(fd, skip, length, from_file, &err));
  ck_assert_mem_eq(from_file, digest, 32);
  const char *methods[] = {"PUT", "POST"};
  for (int i = 0; i < 2; i++) {
    char *url = url_of("/sink/file");
    pail_http_request request = {
        methods[i], url, NULL, 0, &file, length, PAIL_HTTP_BODY_FILE};
    pail_http_response r;
    EXPECT(PAIL_OK, http_exchange(&cfg, &request, 1 << 20, &r, &err));
    json_t *d = echo_document(&r);
    ck_assert_str_eq(json_string_value(json_object_get(d, "method")),
                     methods[i]);
    ck_assert_int_eq(echo_integer(d, "body_length"), (json_int_t)length);
    ck_assert_str_eq(json_string_value(json_object_get(d, "body_sha256")), hex);
    json_decref(d);
    http_response_clear(&r);
    free(url);
  }
  ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), before);
  close(fd);
  free(data);
}
END_TEST

START_TEST(a_file_shorter_than_its_body_fails_and_is_not_retried) {
  cfg.max_attempts = 5;
  unsigned char *data = pattern_make(4096);
  int fd = temp_file_of(data, 4096);
  pail_http_body_file file = {fd, 0};
  char *url = url_of("/sink/short");
  pail_http_request request = {
      "PUT", url, NULL, 0, &file, 8192, PAIL_HTTP_BODY_FILE};
  pail_http_response r;
  EXPECT(PAIL_ERR_IO, http_exchange(&cfg, &request, 1 << 20, &r, &err));
  ck_assert_contains(pail_error_message(err), "local file ended");
  ck_assert_ptr_null(strstr(log_lines(), "retrying"));
  pail_error_free(err);
  err = NULL;
  unsigned char digest[32];
  EXPECT(PAIL_ERR_IO, crypto_sha256_file(fd, 0, 8192, digest, &err));
  ck_assert_contains(pail_error_message(err), "ended");
  pail_error_free(err);
  err = NULL;
  http_response_clear(&r);
  free(url);
  close(fd);
  free(data);
}
END_TEST

START_TEST(delete_and_get_send_no_body) {
  pail_http_response r;
  EXPECT(PAIL_OK, exchange("DELETE", "/echo/k", NULL, 0, NULL, 0, 1 << 20, &r));
  json_t *d = echo_document(&r);
  ck_assert_str_eq(json_string_value(json_object_get(d, "method")), "DELETE");
  ck_assert_ptr_null(received_header(d, "Content-Length"));
  ck_assert_ptr_null(received_header(d, "Content-Type"));
  json_decref(d);
  http_response_clear(&r);
  EXPECT(PAIL_OK, exchange("GET", "/echo/k", NULL, 0, NULL, 0, 1 << 20, &r));
  d = echo_document(&r);
  ck_assert_str_eq(json_string_value(json_object_get(d, "method")), "GET");
  ck_assert_ptr_null(received_header(d, "Content-Length"));
  json_decref(d);
  http_response_clear(&r);
}
END_TEST

START_TEST(head_gives_headers_without_body) {
  pail_http_response r;
  EXPECT(PAIL_OK, exchange("HEAD", "/bytes/1000", NULL, 0, NULL, 0, 0, &r));
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(http_header(&r, "Content-Length"), "1000");
  ck_assert_str_eq(http_header(&r, "content-type"), "application/octet-stream");
  ck_assert_ptr_null(r.body);
  ck_assert_uint_eq(r.body_length, 0);
  http_response_clear(&r);
}
END_TEST

START_TEST(response_header_names_are_lowercase) {
  pail_http_response r;
  EXPECT(PAIL_OK, exchange("GET",
                           "/status/201?header=X-Mixed-Case:%20Some%20Value"
                           "&body=made",
                           NULL, 0, NULL, 0, 1 << 20, &r));
  ck_assert_int_eq(r.status, 201);
  bool found = false;
  for (size_t i = 0; i < r.header_count; i++) {
    for (const char *c = r.headers[i].name; *c; c++)
      ck_assert_msg(!(*c >= 'A' && *c <= 'Z'), "%s", r.headers[i].name);
    found |= strcmp(r.headers[i].name, "x-mixed-case") == 0;
  }
  ck_assert(found);
  ck_assert_str_eq(http_header(&r, "X-MIXED-CASE"), "Some Value");
  ck_assert_ptr_null(http_header(&r, "x-absent"));
  ck_assert_str_eq(r.body, "made");
  ck_assert_uint_eq(r.body_length, 4);
  http_response_clear(&r);
}
END_TEST

START_TEST(content_encoding_is_left_alone) {
  pail_http_response r;
  EXPECT(PAIL_OK, exchange("GET",
                           "/status/200?header=Content-Encoding:%20gzip"
                           "&body=not%20gzip%20at%20all",
                           NULL, 0, NULL, 0, 1 << 20, &r));
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(http_header(&r, "content-encoding"), "gzip");
  ck_assert_str_eq(r.body, "not gzip at all");
  http_response_clear(&r);
}
END_TEST

START_TEST(an_error_status_is_a_response) {
  pail_http_response r;
  EXPECT(PAIL_OK, exchange("GET", "/status/404?body=no%20such%20key", NULL, 0,
                           NULL, 0, 1 << 20, &r));
  ck_assert_int_eq(r.status, 404);
  ck_assert_str_eq(r.body, "no such key");
  http_response_clear(&r);
}
END_TEST

START_TEST(bad_requests_are_refused_before_sending) {
  pail_http_response r;
  const char *crlf[] = {"X-Injected: a\r\nX-Other: b"};
  EXPECT(PAIL_ERR_INVALID_ARGUMENT,
         exchange("GET", "/echo", crlf, 1, NULL, 0, 1 << 20, &r));
  pail_error_free(err);
  err = NULL;
  const char *no_colon[] = {"NoColonHere"};
  EXPECT(PAIL_ERR_INVALID_ARGUMENT,
         exchange("GET", "/echo", no_colon, 1, NULL, 0, 1 << 20, &r));
  pail_error_free(err);
  err = NULL;
  EXPECT(PAIL_ERR_INVALID_ARGUMENT,
         exchange("G ET", "/echo", NULL, 0, NULL, 0, 1 << 20, &r));
  pail_error_free(err);
  err = NULL;
  /* Only http and https: never a file, whatever a URL says. */
  pail_http_request request = {"GET", "file:///etc/passwd", NULL, 0, NULL, 0,
                               0};
  EXPECT(PAIL_ERR_INVALID_ARGUMENT,
         http_exchange(&cfg, &request, 1 << 20, &r, &err));
  ck_assert_ptr_null(r.body);
  http_response_clear(&r);
}
END_TEST

/* -------------------------------------------------------------- limits */

START_TEST(max_body_exceeded_is_io_error) {
  pail_http_response r;
  EXPECT(PAIL_ERR_IO,
         exchange("GET", "/bytes/10000", NULL, 0, NULL, 0, 9999, &r));
  ck_assert_contains(pail_error_message(err), "10000");
  ck_assert_ptr_null(r.body);
  http_response_clear(&r);
  pail_error_free(err);
  err = NULL;
  EXPECT(PAIL_OK, exchange("GET", "/bytes/10000", NULL, 0, NULL, 0, 10000, &r));
  ck_assert_uint_eq(r.body_length, 10000);
  unsigned char *pattern = pattern_make(10000);
  ck_assert_int_eq(memcmp(r.body, pattern, 10000), 0);
  free(pattern);
  http_response_clear(&r);
  /* Unannounced length (chunked): the limit holds all the same. */
  EXPECT(PAIL_ERR_IO,
         exchange("GET", "/chunked/300000", NULL, 0, NULL, 0, 100000, &r));
  http_response_clear(&r);
}
END_TEST

/* ------------------------------------------------------------- streams */

static pail_http_stream *stream_open_as(const char *path, bool bulk,
                                        pail_http_response *head,
                                        pail_http_request *request) {
  request->method = "GET";
  request->url = url_of(path);
  request->headers = NULL;
  request->header_count = 0;
  request->body = NULL;
  request->body_length = 0;
  request->flags = 0;
  pail_http_stream *stream = NULL;
  EXPECT(PAIL_OK, (bulk ? http_stream_open_bulk : http_stream_open)(
                      &cfg, request, &stream, head, &err));
  return stream;
}

static pail_http_stream *stream_open(const char *path, pail_http_response *head,
                                     pail_http_request *request) {
  return stream_open_as(path, false, head, request);
}

static void stream_request_free(pail_http_request *request) {
  free((char *)request->url);
}

static long max_rss_kib(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

START_TEST(streamed_get_of_300_mb_in_small_reads) {
  const size_t total = 300u * 1024 * 1024, chunk = 16 * 1024;
  char path[64];
  snprintf(path, sizeof path, "/bytes/%zu", total);
  unsigned char *pattern = pattern_make(chunk);
  unsigned char *buffer = malloc(chunk);
  long rss_before = max_rss_kib();
  double start = now_seconds();
  pail_http_request request;
  pail_http_response head;
  pail_http_stream *stream = stream_open(path, &head, &request);
  ck_assert_ptr_nonnull(stream);
  ck_assert_int_eq(head.status, 200);
  ck_assert_ptr_null(head.body);
  ck_assert_uint_eq(strtoull(http_header(&head, "content-length"), NULL, 10),
                    total);
  size_t offset = 0, got = 0, reads = 0;
  do {
    EXPECT(PAIL_OK, http_stream_read(stream, buffer, chunk, &got, &err));
    ck_assert_msg(got <= chunk, "read %zu > %zu", got, chunk);
    if (got > 0 && memcmp(buffer, pattern + offset % PATTERN_PERIOD, got) != 0)
      ck_abort_msg("pattern differs in [%zu, %zu)", offset, offset + got);
    offset += got;
    reads++;
  } while (got > 0);
  double seconds = now_seconds() - start;
  ck_assert_uint_eq(offset, total);
  /* Past the end it stays at the end. */
  EXPECT(PAIL_OK, http_stream_read(stream, buffer, chunk, &got, &err));
  ck_assert_uint_eq(got, 0);
  size_t peak = http_stream_buffer_peak(stream);
  http_stream_close(stream);
  http_response_clear(&head);
  stream_request_free(&request);
  fprintf(stderr,
          "streamed GET: %zu MiB in %zu reads of %zu KiB, %.2f s, "
          "%.0f MiB/s, overflow peak %zu KiB, max RSS +%ld KiB\n",
          total >> 20, reads, chunk >> 10, seconds,
          (double)(total >> 20) / seconds, peak >> 10,
          max_rss_kib() - rss_before);
  ck_assert_uint_le(peak, 128 * 1024);
#ifndef UNDER_ASAN
  /* The body went through, not into memory. (ASan's quarantine keeps freed
   * blocks, so its RSS says nothing here.) */
  ck_assert_int_lt(max_rss_kib() - rss_before, 32 * 1024);
#endif
  free(buffer);
  free(pattern);
}
END_TEST

/* Reads stream to its end in pieces of `piece` bytes, checking the
 * pattern; returns the bytes read. */
static size_t stream_read_pattern(pail_http_stream *stream, size_t piece) {
  unsigned char *pattern = pattern_make(piece);
  unsigned char *buffer = malloc(piece);
  size_t offset = 0, got = 0;
  do {
    EXPECT(PAIL_OK, http_stream_read(stream, buffer, piece, &got, &err));
    ck_assert_uint_le(got, piece);
    if (got > 0 && memcmp(buffer, pattern + offset % PATTERN_PERIOD, got) != 0)
      ck_abort_msg("pattern differs in [%zu, %zu)", offset, offset + got);
    offset += got;
  } while (got > 0);
  free(buffer);
  free(pattern);
  return offset;
}

/* A stream opened for a large body takes larger blocks from the socket:
 * what a small reader cannot take at once is held, up to one block. */
START_TEST(bulk_stream_reads_larger_blocks_and_holds_at_most_one) {
  const size_t total = 64u * 1024 * 1024;
  char path[64];
  snprintf(path, sizeof path, "/bytes/%zu", total);
  for (int bulk = 0; bulk <= 1; bulk++) {
    pail_http_request request;
    pail_http_response head;
    pail_http_stream *stream = stream_open_as(path, bulk, &head, &request);
    ck_assert_ptr_nonnull(stream);
    ck_assert_uint_eq(stream_read_pattern(stream, 16 * 1024), total);
    size_t peak = http_stream_buffer_peak(stream);
    http_stream_close(stream);
    http_response_clear(&head);
    stream_request_free(&request);
    if (bulk) {
      ck_assert_msg(peak > 128 * 1024, "bulk overflow peak %zu", peak);
      ck_assert_uint_le(peak, 512 * 1024);
    } else {
      ck_assert_uint_le(peak, 128 * 1024);
    }
  }
}
END_TEST

START_TEST(stream_reads_of_one_byte_and_chunked_bodies) {
  pail_http_request request;
  pail_http_response head;
  pail_http_stream *stream = stream_open("/chunked/70000", &head, &request);
  ck_assert_ptr_nonnull(stream);
  unsigned char *pattern = pattern_make(70000);
  unsigned char *body = malloc(70000 + 1);
  size_t offset = 0, got = 0;
  do {
    /* Alternate tiny and large reads. */
    size_t capacity = (offset / 7) % 2 ? 1 : 9000;
    if (offset + capacity > 70001)
      capacity = 70001 - offset;
    EXPECT(PAIL_OK,
           http_stream_read(stream, body + offset, capacity, &got, &err));
    offset += got;
  } while (got > 0 && offset <= 70000);
  ck_assert_uint_eq(offset, 70000);
  ck_assert_int_eq(memcmp(body, pattern, 70000), 0);
  http_stream_close(stream);
  http_response_clear(&head);
  stream_request_free(&request);
  free(body);
  free(pattern);
}
END_TEST

START_TEST(stream_of_an_error_status_gives_its_body) {
  pail_http_request request = {"GET", NULL, NULL, 0, NULL, 0, 0};
  request.url = url_of("/status/403?body=AccessDenied&type=application/xml");
  pail_http_stream *stream = (pail_http_stream *)&request; /* must be reset */
  pail_http_response head;
  EXPECT(PAIL_OK, http_stream_open(&cfg, &request, &stream, &head, &err));
  ck_assert_ptr_null(stream);
  ck_assert_int_eq(head.status, 403);
  ck_assert_str_eq(head.body, "AccessDenied");
  ck_assert_str_eq(http_header(&head, "content-type"), "application/xml");
  http_response_clear(&head);
  free((char *)request.url);
  /* A large error body: the first 64 KiB, and no waiting for the rest. */
  request.url = url_of("/bytes/50000000?status=500");
  double start = now_seconds();
  EXPECT(PAIL_OK, http_stream_open(&cfg, &request, &stream, &head, &err));
  ck_assert_ptr_null(stream);
  ck_assert_int_eq(head.status, 500);
  ck_assert_uint_eq(head.body_length, 64 * 1024);
  unsigned char *pattern = pattern_make(64 * 1024);
  ck_assert_int_eq(memcmp(head.body, pattern, 64 * 1024), 0);
  ck_assert(now_seconds() - start < 5);
  free(pattern);
  http_response_clear(&head);
  free((char *)request.url);
}
END_TEST

START_TEST(truncated_body_is_io_error) {
  pail_http_response r;
  EXPECT(PAIL_ERR_IO, exchange("GET", "/truncate/1000?send=500", NULL, 0, NULL,
                               0, 1 << 20, &r));
  ck_assert_contains(pail_error_message(err), "GET http://127.0.0.1:");
  ck_assert_contains(pail_error_message(err), "cut short");
  http_response_clear(&r);
  pail_error_free(err);
  err = NULL;

  pail_http_request request;
  pail_http_response head;
  pail_http_stream *stream =
      stream_open("/truncate/100000?send=60000", &head, &request);
  ck_assert_ptr_nonnull(stream);
  unsigned char buffer[8192];
  size_t got = 0, offset = 0;
  pail_status status;
  while ((status = http_stream_read(stream, buffer, sizeof buffer, &got,
                                    &err)) == PAIL_OK &&
         got > 0)
    offset += got;
  EXPECT(PAIL_ERR_IO, status);
  ck_assert_uint_eq(offset, 60000);
  pail_error_free(err);
  err = NULL;
  /* And it keeps saying so. */
  EXPECT(PAIL_ERR_IO,
         http_stream_read(stream, buffer, sizeof buffer, &got, &err));
  http_stream_close(stream);
  http_response_clear(&head);
  stream_request_free(&request);
}
END_TEST

START_TEST(stream_closed_early_frees_everything) {
  pail_http_request request;
  pail_http_response head;
  pail_http_stream *stream = stream_open("/bytes/100000000", &head, &request);
  ck_assert_ptr_nonnull(stream);
  unsigned char buffer[1000];
  size_t got = 0;
  EXPECT(PAIL_OK, http_stream_read(stream, buffer, sizeof buffer, &got, &err));
  ck_assert_uint_gt(got, 0);
  http_stream_close(stream);
  http_response_clear(&head);
  stream_request_free(&request);
  ck_assert_contains(log_lines(), "closed before the end");
  /* The next exchange still works (on a fresh connection). */
  pail_http_response r;
  EXPECT(PAIL_OK, exchange("GET", "/echo", NULL, 0, NULL, 0, 1 << 20, &r));
  ck_assert_int_eq(r.status, 200);
  http_response_clear(&r);
}
END_TEST

/* ---------------------------------------------------- transport failures */

START_TEST(connection_refused_is_unavailable_quickly) {
  char *url = NULL;
  ck_assert_int_ge(asprintf(&url, "http://127.0.0.1:%d/k", closed_port()), 0);
  pail_http_request request = {"PUT", url, NULL, 0, "x", 1, 0};
  pail_http_response r;
  double start = now_seconds();
  EXPECT(PAIL_ERR_UNAVAILABLE, http_exchange(&cfg, &request, 100, &r, &err));
  ck_assert(now_seconds() - start < 1.5);
  ck_assert_contains(pail_error_message(err), "PUT");
  ck_assert_contains(pail_error_message(err), "127.0.0.1");
  ck_assert_int_eq(pail_error_http_status(err), 0);
  http_response_clear(&r);
  pail_error_free(err);
  err = NULL;
  pail_http_stream *stream = NULL;
  request.method = "GET";
  EXPECT(PAIL_ERR_UNAVAILABLE,
         http_stream_open(&cfg, &request, &stream, &r, &err));
  ck_assert_ptr_null(stream);
  free(url);
}
END_TEST

START_TEST(stalled_server_fails_within_low_speed_window) {
  /* main() set PAIL_HTTP_LOW_SPEED_TIME=1. */
  pail_http_response r;
  double start = now_seconds();
  EXPECT(PAIL_ERR_UNAVAILABLE,
         exchange("GET", "/stall", NULL, 0, NULL, 0, 1 << 20, &r));
  double seconds = now_seconds() - start;
  ck_assert_msg(seconds >= 0.9 && seconds < 4, "took %.2f s", seconds);
  ck_assert_contains(pail_error_message(err), "127.0.0.1");
  pail_error_free(err);
  err = NULL;
  /* Stalled in the middle of a body: the body is cut short. */
  pail_http_request request;
  pail_http_response head;
  pail_http_stream *stream =
      stream_open("/stall-body/1000000?after=0", &head, &request);
  ck_assert_ptr_nonnull(stream);
  unsigned char buffer[4096];
  size_t got = 0, offset = 0;
  pail_status status;
  start = now_seconds();
  while ((status = http_stream_read(stream, buffer, sizeof buffer, &got,
                                    &err)) == PAIL_OK &&
         got > 0)
    offset += got;
  seconds = now_seconds() - start;
  EXPECT(PAIL_ERR_IO, status);
  ck_assert_uint_eq(offset, 0);
  /* curl averages the speed over its last 5 seconds, so bytes received just
   * before a stall delay its detection by up to that much. */
  ck_assert_msg(seconds < 6, "took %.2f s", seconds);
  http_stream_close(stream);
  http_response_clear(&head);
  stream_request_free(&request);
}
END_TEST

START_TEST(connection_reset_is_unavailable_then_io_in_a_body) {
  pail_http_response r;
  EXPECT(PAIL_ERR_UNAVAILABLE,
         exchange("GET", "/reset", NULL, 0, NULL, 0, 1 << 20, &r));
  pail_error_free(err);
  err = NULL;
  EXPECT(PAIL_ERR_IO, exchange("GET", "/reset-body/100000?after=5000", NULL, 0,
                               NULL, 0, 1 << 20, &r));
  http_response_clear(&r);
}
END_TEST

/* ----------------------------------------------------------- secrets */

START_TEST(signatures_never_reach_logs_or_errors) {
  const char *query = "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
                      "&X-Amz-Credential=AKIDEXAMPLE%2F20260101%2Fus-east-1"
                      "&X-Amz-Signature=secretsignature0123"
                      "&X-Amz-Security-Token=sessiontoken4567&uploadId=u1"
                      "&sig=grantsignature89";
  const char *secrets[] = {"secretsignature0123", "sessiontoken4567",
                           "grantsignature89", "topsecretvalue"};
  char path[512];
  /* Answered: the log line shows the URL with the values masked. */
  snprintf(path, sizeof path, "/status/403/topsecretvalue?x=1%s", query);
  pail_http_response r;
  EXPECT(PAIL_OK, exchange("GET", path, NULL, 0, NULL, 0, 1 << 20, &r));
  http_response_clear(&r);
  ck_assert_contains(log_lines(), "X-Amz-Signature=***");
  ck_assert_contains(log_lines(), "uploadId=u1");
  ck_assert_contains(log_lines(), ": 403,");
  /* Failures: refused, stalled, cut short, over the limit. */
  char *refused = NULL;
  ck_assert_int_ge(
      asprintf(&refused, "http://127.0.0.1:%d/k?x=1%s", closed_port(), query),
      0);
  pail_http_request request = {"GET", refused, NULL, 0, NULL, 0, 0};
  const char *failing[] = {"/stall?x=1", "/truncate/100?send=10",
                           "/bytes/5000?x=1"};
  for (size_t i = 0; i <= 3; i++) {
    if (i > 0) {
      snprintf(path, sizeof path, "%s%s", failing[i - 1], query);
      EXPECT(i == 1 ? PAIL_ERR_UNAVAILABLE : PAIL_ERR_IO,
             exchange("GET", path, NULL, 0, NULL, 0, 1000, &r));
    } else {
      EXPECT(PAIL_ERR_UNAVAILABLE,
             http_exchange(&cfg, &request, 1000, &r, &err));
    }
    const char *message = pail_error_message(err);
    ck_assert_msg(strchr(message, '?') == NULL, "query in \"%s\"", message);
    for (size_t s = 0; s < sizeof secrets / sizeof secrets[0]; s++)
      ck_assert_msg(strstr(message, secrets[s]) == NULL, "%s in \"%s\"",
                    secrets[s], message);
    pail_error_free(err);
    err = NULL;
    http_response_clear(&r);
  }
  free(refused);
  ck_assert_contains(log_lines(), "GET http://127.0.0.1:");
  for (size_t s = 0; s < sizeof secrets / sizeof secrets[0]; s++)
    ck_assert_msg(strstr(log_text, secrets[s]) == NULL, "%s in the log:\n%s",
                  secrets[s], log_text);
}
END_TEST

START_TEST(header_values_never_reach_errors) {
  const char *headers[] = {
      "Authorization: AWS4-HMAC-SHA256 Signature=hdrsecret99"};
  pail_http_response r;
  EXPECT(PAIL_ERR_UNAVAILABLE,
         exchange("GET", "/reset", headers, 1, NULL, 0, 1 << 20, &r));
  ck_assert(strstr(pail_error_message(err), "hdrsecret99") == NULL);
  ck_assert(strstr(log_text, "hdrsecret99") == NULL);
}
END_TEST

/* ---------------------------------------------------------- connections */

START_TEST(sequential_exchanges_reuse_one_connection) {
  json_int_t connection[3];
  for (int i = 0; i < 3; i++) {
    pail_http_response r;
    const char *method = i == 1 ? "PUT" : "GET";
    EXPECT(PAIL_OK,
           exchange(method, "/echo/reuse", NULL, 0, i == 1 ? "ab" : NULL,
                    i == 1 ? 2 : 0, 1 << 20, &r));
    json_t *d = echo_document(&r);
    connection[i] = echo_integer(d, "connection");
    json_decref(d);
    http_response_clear(&r);
  }
  ck_assert_int_eq(connection[0], connection[1]);
  ck_assert_int_eq(connection[1], connection[2]);
  ck_assert_contains(log_lines(), "reused connection");
}
END_TEST

static json_int_t thread_connection;
static void *echo_in_thread(void *unused) {
  (void)unused;
  pail_http_response r;
  pail_error *e = NULL;
  char *url = url_of("/echo/thread");
  pail_http_request request = {"GET", url, NULL, 0, NULL, 0, 0};
  if (http_exchange(&cfg, &request, 1 << 20, &r, &e) == PAIL_OK) {
    json_t *d = json_loadb(r.body, r.body_length, 0, NULL);
    thread_connection = echo_integer(d, "connection");
    json_decref(d);
  }
  http_response_clear(&r);
  pail_error_free(e);
  free(url);
  return NULL;
}

START_TEST(a_later_thread_reuses_the_connection) {
  pthread_t thread;
  ck_assert_int_eq(pthread_create(&thread, NULL, echo_in_thread, NULL), 0);
  pthread_join(thread, NULL);
  json_int_t first = thread_connection;
  ck_assert_int_eq(pthread_create(&thread, NULL, echo_in_thread, NULL), 0);
  pthread_join(thread, NULL);
  ck_assert_int_gt(first, 0);
  ck_assert_int_eq(thread_connection, first);
}
END_TEST

static json_int_t echo_connection(void) {
  pail_http_response r;
  pail_error *e = NULL;
  char *url = url_of("/echo/fork");
  pail_http_request request = {"GET", url, NULL, 0, NULL, 0, 0};
  json_int_t connection = -1;
  if (http_exchange(&cfg, &request, 1 << 20, &r, &e) == PAIL_OK) {
    json_t *d = json_loadb(r.body, r.body_length, 0, NULL);
    connection = echo_integer(d, "connection");
    json_decref(d);
  }
  http_response_clear(&r);
  pail_error_free(e);
  free(url);
  return connection;
}

START_TEST(a_forked_child_never_uses_the_parents_connections) {
  json_int_t parent = echo_connection();
  ck_assert_int_gt(parent, 0);
  int channel[2];
  ck_assert_int_eq(pipe(channel), 0);
  pid_t child = fork();
  ck_assert_int_ge(child, 0);
  if (child == 0) {
    json_int_t mine = echo_connection();
    ssize_t n = write(channel[1], &mine, sizeof mine);
    _exit(n == sizeof mine ? 0 : 1);
  }
  close(channel[1]);
  json_int_t in_child = 0;
  ck_assert_int_eq(read(channel[0], &in_child, sizeof in_child),
                   sizeof in_child);
  close(channel[0]);
  int status = 0;
  waitpid(child, &status, 0);
  ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ck_assert_int_gt(in_child, 0);
  ck_assert_int_ne(in_child, parent);
  /* The parent's connection is intact and still reused. */
  ck_assert_int_eq(echo_connection(), parent);
}
END_TEST

#define THREADS 8
#define PER_THREAD 40
static int thread_failures;
static pthread_mutex_t failure_lock = PTHREAD_MUTEX_INITIALIZER;

static void *many_exchanges(void *arg) {
  size_t id = (size_t)arg;
  for (int i = 0; i < PER_THREAD; i++) {
    char body[64];
    int n = snprintf(body, sizeof body, "thread %zu request %d", id, i);
    char *url = url_of(i % 3 == 0 ? "/bytes/70000" : "/echo/many");
    pail_http_request request = {
        i % 2 ? "PUT" : "GET", url, NULL, 0, i % 2 ? body : NULL,
        i % 2 ? (size_t)n : 0, 0};
    pail_http_response r;
    pail_error *e = NULL;
    pail_status status = http_exchange(&cfg, &request, 1 << 20, &r, &e);
    bool good = status == PAIL_OK && r.status == 200;
    if (good && i % 3 == 0)
      good = r.body_length == 70000 && r.body[250] == (char)250 &&
             r.body[69999] == (char)(69999 % 251);
    else if (good && i % 2)
      good = strstr(r.body, "\"body_length\": ") != NULL;
    if (!good) {
      pthread_mutex_lock(&failure_lock);
      thread_failures++;
      pthread_mutex_unlock(&failure_lock);
    }
    http_response_clear(&r);
    pail_error_free(e);
    free(url);
  }
  return NULL;
}

START_TEST(many_threads_exchange_at_once) {
  pthread_t threads[THREADS];
  for (size_t i = 0; i < THREADS; i++)
    ck_assert_int_eq(
        pthread_create(&threads[i], NULL, many_exchanges, (void *)i), 0);
  for (size_t i = 0; i < THREADS; i++)
    pthread_join(threads[i], NULL);
  ck_assert_int_eq(thread_failures, 0);
}
END_TEST

/* -------------------------------------------------------------- groups */

START_TEST(group_runs_twenty_requests_four_at_a_time) {
  enum { COUNT = 20 };
  pail_http_group *group = http_group_new(&cfg, 4);
  ck_assert_ptr_nonnull(group);
  char *urls[COUNT];
  pail_http_request requests[COUNT];
  int tags[COUNT], seen[COUNT] = {0};
  double start = now_seconds();
  for (int i = 0; i < COUNT; i++) {
    urls[i] = url_of("/sleep/200");
    requests[i] = (pail_http_request){"GET", urls[i], NULL, 0, NULL, 0, 0};
    tags[i] = i;
    EXPECT(PAIL_OK,
           http_group_start(group, &requests[i], 1 << 20, &tags[i], &err));
  }
  ck_assert_uint_eq(http_group_pending(group), COUNT);
  json_int_t connections[COUNT];
  size_t distinct = 0;
  for (int done = 0; done < COUNT; done++) {
    void *tag = NULL;
    pail_http_response r;
    EXPECT(PAIL_OK, http_group_wait(group, &tag, &r, &err));
    ck_assert_ptr_nonnull(tag);
    int index = *(int *)tag;
    ck_assert_int_eq(seen[index], 0);
    seen[index] = 1;
    json_t *d = echo_document(&r);
    json_int_t c = echo_integer(d, "connection");
    size_t k = 0;
    while (k < distinct && connections[k] != c)
      k++;
    if (k == distinct)
      connections[distinct++] = c;
    json_decref(d);
    http_response_clear(&r);
    ck_assert_uint_eq(http_group_pending(group), COUNT - done - 1);
  }
  double seconds = now_seconds() - start;
  /* Five rounds of 200 ms: far less than the 4 s of one at a time, and no
   * more than 4 connections, reused round after round. */
  ck_assert_msg(seconds >= 0.95 && seconds < 2.5, "took %.2f s", seconds);
  ck_assert_uint_le(distinct, 4);
  void *tag = &tag;
  pail_http_response r;
  EXPECT(PAIL_ERR_INVALID_ARGUMENT, http_group_wait(group, &tag, &r, &err));
  ck_assert_ptr_null(tag);
  http_group_free(group);
  for (int i = 0; i < COUNT; i++)
    free(urls[i]);
}
END_TEST

START_TEST(group_reports_each_failure_with_its_tag) {
  pail_http_group *group = http_group_new(&cfg, 2);
  char *good = url_of("/echo/g");
  char *bad = NULL;
  ck_assert_int_ge(asprintf(&bad, "http://127.0.0.1:%d/x", closed_port()), 0);
  char *big = url_of("/bytes/5000");
  pail_http_request requests[3] = {{"GET", bad, NULL, 0, NULL, 0, 0},
                                   {"PUT", good, NULL, 0, "body", 4, 0},
                                   {"GET", big, NULL, 0, NULL, 0, 0}};
  const char *names[3] = {"bad", "good", "big"};
  for (int i = 0; i < 3; i++)
    EXPECT(PAIL_OK,
           http_group_start(group, &requests[i], 1000, (void *)names[i], &err));
  int seen = 0;
  while (http_group_pending(group) > 0) {
    void *tag = NULL;
    pail_http_response r;
    pail_status status = http_group_wait(group, &tag, &r, &err);
    const char *name = tag;
    ck_assert_ptr_nonnull(name);
    if (strcmp(name, "bad") == 0) {
      EXPECT(PAIL_ERR_UNAVAILABLE, status);
      seen |= 1;
    } else if (strcmp(name, "big") == 0) {
      EXPECT(PAIL_ERR_IO, status);
      seen |= 2;
    } else {
      EXPECT(PAIL_OK, status);
      ck_assert_int_eq(r.status, 200);
      seen |= 4;
    }
    pail_error_free(err);
    err = NULL;
    http_response_clear(&r);
  }
  ck_assert_int_eq(seen, 7);
  http_group_free(group);
  free(good);
  free(bad);
  free(big);
}
END_TEST

START_TEST(group_free_cancels_what_is_in_flight) {
  pail_http_group *group = http_group_new(&cfg, 2);
  char *url = url_of("/stall");
  pail_http_request request = {"GET", url, NULL, 0, NULL, 0, 0};
  for (int i = 0; i < 5; i++)
    EXPECT(PAIL_OK, http_group_start(group, &request, 100, NULL, &err));
  double start = now_seconds();
  http_group_free(group);
  ck_assert(now_seconds() - start < 0.5);
  free(url);
}
END_TEST

/* ---------------------------------------------- the server, for issue 6 */

START_TEST(flaky_route_fails_then_answers) {
  pail_http_response r;
  EXPECT(PAIL_OK, exchange("GET", "/flaky/one?failures=2&fail=503", NULL, 0,
                           NULL, 0, 1 << 20, &r));
  ck_assert_int_eq(r.status, 503);
  ck_assert_str_eq(http_header(&r, "x-attempt"), "1");
  http_response_clear(&r);
  EXPECT(PAIL_OK, exchange("GET", "/flaky/one?failures=2&fail=503", NULL, 0,
                           NULL, 0, 1 << 20, &r));
  ck_assert_int_eq(r.status, 503);
  http_response_clear(&r);
  EXPECT(PAIL_OK, exchange("GET", "/flaky/one?failures=2&fail=503", NULL, 0,
                           NULL, 0, 1 << 20, &r));
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(http_header(&r, "x-attempt"), "3");
  http_response_clear(&r);
}
END_TEST

/* ---------------------------------------------------------- retries */

START_TEST(transient_status_is_retried_until_it_succeeds) {
  cfg.max_attempts = 0; /* the default policy: 5 attempts */
  pail_http_response r;
  EXPECT(PAIL_OK, exchange("GET", "/flaky/r1?failures=2&fail=503", NULL, 0,
                           NULL, 0, 1 << 20, &r));
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(http_header(&r, "x-attempt"), "3");
  http_response_clear(&r);
  ck_assert_msg(strstr(log_text, "retrying GET") != NULL, "log: %s", log_text);
  ck_assert_msg(strstr(log_text, "after HTTP 503, attempt 2 of 5") != NULL,
                "log: %s", log_text);
  /* 500, 502, 504, 408 and 429 are transient too; a reset connection and a
   * stalled one are. */
  static const char *const specs[] = {"500", "502",   "504",  "408",
                                      "429", "reset", "stall"};
  for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) {
    char path[64];
    snprintf(path, sizeof path, "/flaky/r2-%s?failures=1&fail=%s", specs[i],
             specs[i]);
    EXPECT(PAIL_OK, exchange("GET", path, NULL, 0, NULL, 0, 1 << 20, &r));
    ck_assert_msg(r.status == 200, "%s: status %d", specs[i], r.status);
    http_response_clear(&r);
  }
}
END_TEST

START_TEST(attempts_are_capped) {
  cfg.max_attempts = 2;
  pail_http_response r;
  EXPECT(PAIL_OK, exchange("GET", "/flaky/r3?failures=5&fail=503", NULL, 0,
                           NULL, 0, 1 << 20, &r));
  ck_assert_int_eq(r.status, 503);
  ck_assert_str_eq(http_header(&r, "x-attempt"), "2");
  http_response_clear(&r);
}
END_TEST

START_TEST(final_messages_say_how_many_attempts_were_made) {
  cfg.max_attempts = 3;
  /* A connection refused every time: the transport's own error. */
  char *url = NULL;
  ck_assert_int_ge(asprintf(&url, "http://127.0.0.1:%d/k", closed_port()), 0);
  pail_http_request request = {"GET", url, NULL, 0, NULL, 0, 0};
  pail_http_response r;
  EXPECT(PAIL_ERR_UNAVAILABLE, http_exchange(&cfg, &request, 100, &r, &err));
  ck_assert_contains(pail_error_message(err), "(after 3 attempts)");
  pail_error_free(err);
  err = NULL;
  free(url);
  /* An error status every time: the error a backend makes of the answer. */
  EXPECT(PAIL_OK, exchange("GET", "/flaky/r3b?failures=5&fail=503", NULL, 0,
                           NULL, 0, 1 << 20, &r));
  ck_assert_int_eq(r.status, 503);
  pail_error_set(&err, PAIL_ERR_THROTTLED, r.status, "SlowDown", NULL,
                 "t: slow down");
  ck_assert_str_eq(pail_error_message(err), "t: slow down (after 3 attempts)");
  pail_error_free(err);
  err = NULL;
  /* Said once, and only of that answer. */
  pail_error_set(&err, PAIL_ERR_THROTTLED, 503, NULL, NULL, "t: again");
  ck_assert_str_eq(pail_error_message(err), "t: again");
  pail_error_free(err);
  err = NULL;
  http_response_clear(&r);
  /* No retry, no count. */
  cfg.max_attempts = 1;
  EXPECT(PAIL_OK, exchange("GET", "/flaky/r3c?failures=5&fail=503", NULL, 0,
                           NULL, 0, 1 << 20, &r));
  pail_error_set(&err, PAIL_ERR_THROTTLED, r.status, NULL, NULL, "t: once");
  ck_assert_str_eq(pail_error_message(err), "t: once");
  pail_error_free(err);
  err = NULL;
  http_response_clear(&r);
}
END_TEST

START_TEST(permanent_failures_and_posts_are_not_retried) {
  cfg.max_attempts = 5;
  pail_http_response r;
  EXPECT(PAIL_OK, exchange("GET", "/flaky/r4?failures=1&fail=404", NULL, 0,
                           NULL, 0, 1 << 20, &r));
  ck_assert_int_eq(r.status, 404);
  http_response_clear(&r);
  /* A POST may create something each time: never replayed blind. */
  EXPECT(PAIL_OK, exchange("POST", "/flaky/r5?failures=1&fail=503", NULL, 0,
                           "x", 1, 1 << 20, &r));
  ck_assert_int_eq(r.status, 503);
  ck_assert_str_eq(http_header(&r, "x-attempt"), "1");
  http_response_clear(&r);
  /* Unless the backend says that this POST may be replayed. */
  char *url = url_of("/flaky/r5b?failures=1&fail=503");
  pail_http_request request = {
      "POST", url, NULL, 0, "x", 1, PAIL_HTTP_IDEMPOTENT};
  EXPECT(PAIL_OK, http_exchange(&cfg, &request, 1 << 20, &r, &err));
  ck_assert_int_eq(r.status, 200);
  http_response_clear(&r);
  free(url);
  /* A backend built before ABI 1.3 has no flags: they are never read. */
  cfg.backend_abi = PAIL_ABI_VERSION_MAKE(1, 2);
  url = url_of("/flaky/r5c?failures=1&fail=503");
  request.url = url;
  EXPECT(PAIL_OK, http_exchange(&cfg, &request, 1 << 20, &r, &err));
  ck_assert_int_eq(r.status, 503);
  http_response_clear(&r);
  free(url);
  cfg.backend_abi = PAIL_BACKEND_ABI_VERSION;
  /* PAIL_HTTP_NO_RETRY turns retries off for one request. */
  url = url_of("/flaky/r5d?failures=1&fail=503");
  pail_http_request once = {"GET", url, NULL, 0, NULL, 0, PAIL_HTTP_NO_RETRY};
  EXPECT(PAIL_OK, http_exchange(&cfg, &once, 1 << 20, &r, &err));
  ck_assert_int_eq(r.status, 503);
  http_response_clear(&r);
  free(url);
  /* PUT and DELETE are idempotent: replayed. */
  EXPECT(PAIL_OK, exchange("PUT", "/flaky/r6?failures=1&fail=503", NULL, 0, "x",
                           1, 1 << 20, &r));
  ck_assert_int_eq(r.status, 200);
  http_response_clear(&r);
}
END_TEST

START_TEST(retry_after_is_honoured) {
  cfg.max_attempts = 2;
  pail_http_response r;
  double start = now_seconds();
  EXPECT(PAIL_OK, exchange("GET", "/flaky/r7?failures=1&fail=503&retry_after=1",
                           NULL, 0, NULL, 0, 1 << 20, &r));
  ck_assert_int_eq(r.status, 200);
  ck_assert(now_seconds() - start >= 0.95);
  http_response_clear(&r);
  /* A delay beyond the time limit is not waited for. */
  cfg.retry_time_limit_ms = 2000;
  start = now_seconds();
  EXPECT(PAIL_OK,
         exchange("GET", "/flaky/r8?failures=1&fail=503&retry_after=30", NULL,
                  0, NULL, 0, 1 << 20, &r));
  ck_assert_int_eq(r.status, 503);
  ck_assert(now_seconds() - start < 1.5);
  http_response_clear(&r);
}
END_TEST

START_TEST(stream_open_is_retried_before_the_body) {
  cfg.max_attempts = 3;
  char *url = url_of("/flaky/r9?failures=2&fail=503");
  pail_http_request request = {"GET", url, NULL, 0, NULL, 0, 0};
  pail_http_stream *stream = NULL;
  pail_http_response head;
  EXPECT(PAIL_OK, http_stream_open(&cfg, &request, &stream, &head, &err));
  ck_assert_ptr_nonnull(stream);
  ck_assert_int_eq(head.status, 200);
  ck_assert_str_eq(http_header(&head, "x-attempt"), "3");
  http_response_clear(&head);
  http_stream_close(stream);
  free(url);
}
END_TEST

START_TEST(group_retries_each_request_on_its_own) {
  cfg.max_attempts = 4;
  pail_http_group *group = http_group_new(&cfg, 3);
  char *urls[6];
  pail_http_request requests[6];
  for (int i = 0; i < 6; i++) {
    ck_assert_int_ge(asprintf(&urls[i],
                              "http://127.0.0.1:%d/flaky/g%d?"
                              "failures=%d&fail=%s",
                              server_port, i, i % 3, i % 2 ? "reset" : "503"),
                     0);
    requests[i] = (pail_http_request){"PUT", urls[i], NULL, 0, "part", 4, 0};
    EXPECT(PAIL_OK, http_group_start(group, &requests[i], 1 << 20,
                                     (void *)(intptr_t)i, &err));
  }
  int seen = 0;
  while (http_group_pending(group) > 0) {
    void *tag = NULL;
    pail_http_response r;
    EXPECT(PAIL_OK, http_group_wait(group, &tag, &r, &err));
    int i = (int)(intptr_t)tag;
    ck_assert_int_eq(r.status, 200);
    char want[8];
    snprintf(want, sizeof want, "%d", i % 3 + 1);
    ck_assert_str_eq(http_header(&r, "x-attempt"), want);
    seen |= 1 << i;
    http_response_clear(&r);
  }
  ck_assert_int_eq(seen, 63);
  http_group_free(group);
  for (int i = 0; i < 6; i++)
    free(urls[i]);
}
END_TEST

START_TEST(backoff_grows_with_full_jitter_within_the_cap) {
  retry_policy p = retry_policy_default();
  ck_assert_int_eq(p.max_attempts, 5);
  int64_t now = retry_clock_ms(), delay;
  for (int attempts = 1; attempts < 5; attempts++) {
    int64_t ceiling = p.base_ms << (attempts - 1);
    for (int k = 0; k < 200; k++) {
      ck_assert(retry_next(&p, attempts, now, -1, &delay));
      ck_assert_int_ge(delay, 0);
      ck_assert_int_le(delay, ceiling);
    }
  }
  ck_assert(!retry_next(&p, 5, now, -1, &delay));
  ck_assert(retry_next(&p, 1, now, 3000, &delay));
  ck_assert_int_eq(delay, 3000);
  ck_assert(!retry_next(&p, 1, now - 59000, 3000, &delay));
  ck_assert_int_eq(retry_after_ms("7"), 7000);
  ck_assert_int_eq(retry_after_ms(" 0 "), 0);
  ck_assert_int_eq(retry_after_ms("soon"), -1);
  ck_assert_int_eq(retry_after_ms("-1"), -1);
  ck_assert_int_eq(retry_after_ms(NULL), -1);
  ck_assert_int_eq(retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT"), 0);
  ck_assert(retry_status_is_transient(503) && !retry_status_is_transient(501));
  ck_assert(!retry_method_is_idempotent("POST") &&
            retry_method_is_idempotent("DELETE"));
}
END_TEST

/* ------------------------------------------ resumable reads (resume.c) */

/* A scripted source: the request number n goes to paths[n], and every
 * range and version the core asked for is recorded. */
typedef struct scripted_source {
  const char *paths[4];
  uint64_t size; /* what check puts in info->size */
  int requests;
  char ranges[4][64];
  char versions[4][64];
  char *url;
  pail_http_request request;
} scripted_source;

static pail_status scripted_build(void *context, const char *range,
                                  const char *version,
                                  const pail_http_request **request,
                                  pail_error **error) {
  scripted_source *s = context;
  ck_assert_int_lt(s->requests, 4);
  snprintf(s->ranges[s->requests], sizeof s->ranges[0], "%s",
           range ? range : "none");
  snprintf(s->versions[s->requests], sizeof s->versions[0], "%s",
           version ? version : "none");
  free(s->url);
  s->url = url_of(s->paths[s->requests++]);
  s->request = (pail_http_request){"GET", s->url, NULL, 0, NULL, 0, 0};
  *request = &s->request;
  (void)error;
  return PAIL_OK;
}

static pail_status scripted_check(void *context, const pail_http_response *head,
                                  int resuming, pail_object_info *info,
                                  int *again, pail_error **error) {
  scripted_source *s = context;
  (void)resuming;
  if (head->status == 401)
    *again = 1;
  if (head->status == 416)
    return pail_error_set(error, PAIL_ERR_INVALID_ARGUMENT, 416, NULL, NULL,
                          "t: no such range");
  if (head->status / 100 != 2)
    return pail_error_set(error, PAIL_ERR_ACCESS_DENIED, head->status, NULL,
                          NULL, "t: refused");
  if (info != NULL)
    info->size = s->size;
  return PAIL_OK;
}

static pail_resumable_source scripted(scripted_source *s, int resumes) {
  return (pail_resumable_source){.label = "t",
                                 .key = "k",
                                 .version_header = "x-request",
                                 .resumes = resumes,
                                 .context = s,
                                 .build = scripted_build,
                                 .check = scripted_check};
}

/* Opens a read of length bytes from offset through source (it must open),
 * reads it all in pieces of `piece` bytes into *data (malloc'ed, *got bytes)
 * and closes it. Returns the status the reads ended with. */
static pail_status read_through(const pail_resumable_source *source,
                                uint64_t offset, uint64_t length, size_t piece,
                                unsigned char **data, size_t *got) {
  pail_object_info info = {0};
  pail_resumable_reader *reader = NULL;
  EXPECT(PAIL_OK,
         resumable_open(&cfg, source, offset, length, &info, &reader, &err));
  *data = malloc(piece);
  *got = 0;
  ck_assert_ptr_nonnull(*data);
  pail_status status;
  size_t n = 0;
  while ((status = resumable_read(reader, *data + *got, piece, &n, &err)) ==
             PAIL_OK &&
         n > 0) {
    *got += n;
    *data = realloc(*data, *got + piece);
    ck_assert_ptr_nonnull(*data);
  }
  resumable_close(reader);
  return status;
}

/* A read whose options say it is large streams in bulk; resumable_open (no
 * options) never does. */
START_TEST(a_read_opened_as_large_streams_in_larger_blocks) {
  const size_t total = 32u * 1024 * 1024;
  for (int large = 1; large >= -1; large--) {
    scripted_source s = {.paths = {"/bytes/33554432"}, .size = total};
    pail_resumable_source source = scripted(&s, 0);
    pail_object_info info = {0};
    pail_resumable_reader *reader = NULL;
    pail_read_options options = PAIL_READ_OPTIONS_INIT;
    options.large = large > 0;
    if (large >= 0)
      EXPECT(PAIL_OK, resumable_stream_open(&cfg, &source, &options, NULL,
                                            &info, &reader, &err));
    else
      EXPECT(PAIL_OK, resumable_open(&cfg, &source, 0, PAIL_READ_TO_END, &info,
                                     &reader, &err));
    ck_assert_uint_eq(stream_read_pattern(resumable_stream(reader), 16 * 1024),
                      total);
    size_t peak = http_stream_buffer_peak(resumable_stream(reader));
    resumable_close(reader);
    free(s.url);
    if (large > 0)
      ck_assert_msg(peak > 128 * 1024, "bulk overflow peak %zu", peak);
    else
      ck_assert_uint_le(peak, 128 * 1024);
  }
}
END_TEST

static int contexts_freed;
static void context_count_free(void *context) {
  ck_assert_ptr_nonnull(context);
  contexts_freed++;
}

/* resumable_stream_open owns the source's context: freed once as the
 * reader closes, once when the open fails, never by resumable_open. The
 * range comes from the options. */
START_TEST(a_stream_reader_frees_its_context_once) {
  contexts_freed = 0;
  scripted_source s = {.paths = {"/bytes/10?offset=2&status=206"}, .size = 10};
  pail_resumable_source source = scripted(&s, 0);
  pail_object_info info = {0};
  pail_resumable_reader *reader = NULL;
  pail_read_options options = PAIL_READ_OPTIONS_INIT;
  options.offset = 2;
  options.length = 5;
  EXPECT(PAIL_OK,
         resumable_stream_open(&cfg, &source, &options, context_count_free,
                               &info, &reader, &err));
  ck_assert_str_eq(s.ranges[0], "bytes=2-6");
  ck_assert_int_eq(contexts_freed, 0);
  resumable_close(reader);
  ck_assert_int_eq(contexts_freed, 1);
  free(s.url);

  scripted_source refused = {.paths = {"/status/403"}};
  source = scripted(&refused, 0);
  EXPECT(PAIL_ERR_ACCESS_DENIED,
         resumable_stream_open(&cfg, &source, &options, context_count_free,
                               &info, &reader, &err));
  ck_assert_ptr_null(reader);
  ck_assert_int_eq(contexts_freed, 2);
  free(refused.url);
}
END_TEST

START_TEST(a_broken_body_is_resumed_from_the_next_byte_pinned) {
  scripted_source s = {
      .paths = {"/truncate/1000?send=300", "/bytes/700?offset=300&status=206"},
      .size = 1000};
  pail_resumable_source source = scripted(&s, 3);
  unsigned char *data = NULL, *want = pattern_make(1000);
  size_t length = 0;
  EXPECT(PAIL_OK,
         read_through(&source, 0, PAIL_READ_TO_END, 4096, &data, &length));
  ck_assert_uint_eq(length, 1000);
  ck_assert_int_eq(memcmp(data, want, 1000), 0);
  ck_assert_int_eq(s.requests, 2);
  ck_assert_str_eq(s.ranges[0], "none");
  ck_assert_str_eq(s.versions[0], "none");
  /* Pinned to the version the first response named (its X-Request). */
  ck_assert_str_eq(s.ranges[1], "bytes=300-999");
  ck_assert_str_ne(s.versions[1], "none");
  ck_assert_ptr_nonnull(
      strstr(log_lines(), "t: k: resuming the download at byte 300"));
  free(data);
  free(want);
  free(s.url);
}
END_TEST

START_TEST(resumes_are_capped_and_the_read_then_fails_io) {
  scripted_source s = {.paths = {"/truncate/1000?send=300",
                                 "/truncate/700?send=100",
                                 "/truncate/600?send=100"},
                       .size = 1000};
  pail_resumable_source source = scripted(&s, 1);
  source.version = "v7";
  unsigned char *data = NULL;
  size_t length = 0;
  EXPECT(PAIL_ERR_IO,
         read_through(&source, 0, PAIL_READ_TO_END, 4096, &data, &length));
  ck_assert_int_eq(s.requests, 2);
  ck_assert_str_eq(s.versions[0], "v7"); /* known before: pinned at once */
  ck_assert_str_eq(s.versions[1], "v7");
  free(data);
  free(s.url);
}
END_TEST

START_TEST(a_read_without_a_version_is_not_resumed) {
  scripted_source s = {.paths = {"/truncate/1000?send=300"}, .size = 1000};
  pail_resumable_source source = scripted(&s, 3);
  source.version_header = NULL;
  unsigned char *data = NULL;
  size_t length = 0;
  EXPECT(PAIL_ERR_IO,
         read_through(&source, 0, PAIL_READ_TO_END, 4096, &data, &length));
  ck_assert_int_eq(s.requests, 1);
  ck_assert_ptr_null(strstr(log_lines(), "resuming"));
  free(data);
  free(s.url);
}
END_TEST

START_TEST(bytes_before_an_ignored_range_are_dropped) {
  scripted_source s = {.paths = {"/bytes/1000"}, .size = 1000};
  pail_resumable_source source = scripted(&s, 3);
  unsigned char *data = NULL, *want = pattern_make(400);
  size_t length = 0;
  EXPECT(PAIL_OK, read_through(&source, 300, 50, 64, &data, &length));
  ck_assert_str_eq(s.ranges[0], "bytes=300-349");
  ck_assert_uint_eq(length, 50);
  ck_assert_int_eq(memcmp(data, want + 300, 50), 0);
  free(data);
  free(want);
  free(s.url);
}
END_TEST

START_TEST(a_refused_range_from_byte_zero_is_asked_again_whole) {
  scripted_source s = {.paths = {"/status/416", "/bytes/0"}, .size = 0};
  pail_resumable_source source = scripted(&s, 3);
  unsigned char *data = NULL;
  size_t length = 0;
  EXPECT(PAIL_OK, read_through(&source, 0, 10, 64, &data, &length));
  ck_assert_str_eq(s.ranges[0], "bytes=0-9");
  ck_assert_str_eq(s.ranges[1], "none");
  ck_assert_uint_eq(length, 0);
  free(data);
  free(s.url);
}
END_TEST

START_TEST(check_asks_once_for_the_request_again) {
  scripted_source s = {.paths = {"/status/401", "/bytes/10"}, .size = 10};
  pail_resumable_source source = scripted(&s, 3);
  pail_object_info info = {0};
  pail_resumable_reader *reader = NULL;
  EXPECT(PAIL_OK, resumable_open(&cfg, &source, 0, PAIL_READ_TO_END, &info,
                                 &reader, &err));
  ck_assert_int_eq(s.requests, 2);
  resumable_close(reader);
  /* A second refusal stands. */
  scripted_source twice = {.paths = {"/status/401", "/status/401"}};
  source = scripted(&twice, 3);
  EXPECT(
      PAIL_ERR_ACCESS_DENIED,
      resumable_open(&cfg, &source, 0, PAIL_READ_TO_END, &info, &reader, &err));
  ck_assert_int_eq(twice.requests, 2);
  ck_assert_str_eq(pail_error_message(err), "t: refused");
  free(s.url);
  free(twice.url);
}
END_TEST

/* As read_through, with the read checked against algorithm's expected
 * digest; *verified says whether resumable_verify took it. */
static pail_status read_verified(const pail_resumable_source *source,
                                 uint64_t offset, uint64_t length,
                                 const char *algorithm, const char *expected,
                                 int *verified, size_t *got) {
  pail_object_info info = {0};
  pail_resumable_reader *reader = NULL;
  EXPECT(PAIL_OK,
         resumable_open(&cfg, source, offset, length, &info, &reader, &err));
  *verified = resumable_verify(reader, algorithm, expected);
  unsigned char buffer[300];
  pail_status status;
  size_t n = 0;
  *got = 0;
  while ((status = resumable_read(reader, buffer, sizeof buffer, &n, &err)) ==
             PAIL_OK &&
         n > 0)
    *got += n;
  resumable_close(reader);
  return status;
}

START_TEST(a_whole_read_is_verified_by_the_digest_the_storage_has) {
  unsigned char *want = pattern_make(1000), md5[16], sha[32];
  char md5_hex[33], sha_base64[45], crc_base64[9];
  crypto_md5(want, 1000, md5);
  crypto_hex_encode(md5, 16, md5_hex);
  crypto_sha256(want, 1000, sha);
  crypto_base64_encode(sha, 32, sha_base64);
  uint32_t crc = crc32c_update(0, want, 1000);
  unsigned char crc_bytes[4] = {crc >> 24, crc >> 16, crc >> 8, crc};
  crypto_base64_encode(crc_bytes, 4, crc_base64);
  int verified = 0;
  size_t got = 0;
  scripted_source s = {.paths = {"/bytes/1000"}, .size = 1000};
  pail_resumable_source source = scripted(&s, 3);
  EXPECT(PAIL_OK, read_verified(&source, 0, PAIL_READ_TO_END, "md5", md5_hex,
                                &verified, &got));
  ck_assert_int_eq(verified, 1);
  ck_assert_uint_eq(got, 1000);
  ck_assert_ptr_nonnull(
      strstr(log_lines(), "t: k: 1000 bytes verified by their MD5"));
  /* Across a resumed body, with a base64 digest. */
  scripted_source r = {
      .paths = {"/truncate/1000?send=300", "/bytes/700?offset=300&status=206"},
      .size = 1000};
  source = scripted(&r, 3);
  EXPECT(PAIL_OK, read_verified(&source, 0, PAIL_READ_TO_END, "sha256",
                                sha_base64, &verified, &got));
  ck_assert_int_eq(verified, 1);
  ck_assert_uint_eq(got, 1000);
  ck_assert_int_eq(r.requests, 2);
  scripted_source c = {.paths = {"/bytes/1000"}, .size = 1000};
  source = scripted(&c, 3);
  EXPECT(PAIL_OK, read_verified(&source, 0, PAIL_READ_TO_END, "crc32c",
                                crc_base64, &verified, &got));
  ck_assert_int_eq(verified, 1);
  free(want);
  free(s.url);
  free(r.url);
  free(c.url);
}
END_TEST

START_TEST(a_digest_mismatch_fails_io_without_the_last_bytes) {
  scripted_source s = {.paths = {"/bytes/1000"}, .size = 1000};
  pail_resumable_source source = scripted(&s, 3);
  int verified = 0;
  size_t got = 0;
  EXPECT(PAIL_ERR_IO,
         read_verified(&source, 0, PAIL_READ_TO_END, "md5",
                       "0123456789abcdef0123456789ABCDEF", &verified, &got));
  ck_assert_int_eq(verified, 1);
  ck_assert_uint_lt(got, 1000); /* the caller never has every byte */
  ck_assert_str_eq(pail_error_provider_code(err), "checksumMismatch");
  ck_assert_contains(pail_error_message(err),
                     "t: k: the downloaded data is corrupt: its MD5 is ");
  ck_assert_contains(pail_error_message(err),
                     "the storage has 0123456789abcdef0123456789abcdef");
  free(s.url);
}
END_TEST

START_TEST(ranges_and_bad_digests_are_not_verified) {
  int verified = 1;
  size_t got = 0;
  scripted_source s = {.paths = {"/bytes/990?offset=10&status=206"},
                       .size = 1000};
  pail_resumable_source source = scripted(&s, 3);
  /* A range: no sum to check it against (a wrong one is not noticed). */
  EXPECT(PAIL_OK,
         read_verified(&source, 10, PAIL_READ_TO_END, "md5",
                       "0123456789abcdef0123456789abcdef", &verified, &got));
  ck_assert_int_eq(verified, 0);
  ck_assert_uint_eq(got, 990);
  const char *bad[][2] = {
      {"md7", "0123456789abcdef0123456789abcdef"},
      {"md5", "0123456789abcdef"},
      {"md5", "0123456789abcdef0123456789abcdeg"},
      {"crc32", "AAAA"},
      {"crc32c", "AAAAAAAAAA=="},
      {"sha256", "not base64 at all, not hex either!!!!!!=="}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    scripted_source b = {.paths = {"/bytes/100"}, .size = 100};
    source = scripted(&b, 3);
    verified = 1;
    EXPECT(PAIL_OK, read_verified(&source, 0, PAIL_READ_TO_END, bad[i][0],
                                  bad[i][1], &verified, &got));
    ck_assert_int_eq(verified, 0);
    ck_assert_uint_eq(got, 100);
    free(b.url);
  }
  free(s.url);
}
END_TEST

/* -------------------------------------------------------------- server */

static void server_start(void) {
  server_pid = test_server_spawn(NULL, &server_port, &server_stdin);
}

static void server_stop(void) {
  close(server_stdin);
  kill(server_pid, SIGTERM);
  waitpid(server_pid, NULL, 0);
}

/* ------------------------------------------------------------------ TLS */

START_TEST(tls_is_verified_unless_the_storage_says_otherwise) {
  char *dir = test_tempdir();
  char *command = NULL, *cert = NULL, *key = NULL;
  ck_assert_int_ge(asprintf(&cert, "%s/cert.pem", dir), 0);
  ck_assert_int_ge(asprintf(&key, "%s/key.pem", dir), 0);
  ck_assert_int_ge(
      asprintf(&command,
               "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "
               "/CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout "
               "%s -out %s >/dev/null 2>&1",
               key, cert),
      0);
  ck_assert_int_eq(system(command), 0);
  const char *extra[] = {"--tls", cert, key, NULL};
  int port = 0, keep = -1;
  pid_t pid = test_server_spawn(extra, &port, &keep);
  char *url = NULL;
  ck_assert_int_ge(asprintf(&url, "https://127.0.0.1:%d/echo/tls", port), 0);
  pail_http_request request = {"GET", url, NULL, 0, NULL, 0, 0};
  pail_http_response r;
  cfg.max_attempts = 5;
  /* A certificate nobody vouches for: refused, never retried for it. (A
   * handshake slower than the 2 s connect timeout, under valgrind on a
   * loaded machine, is a transient failure and may be retried first.) */
  EXPECT(PAIL_ERR_UNAVAILABLE,
         http_exchange(&cfg, &request, 1 << 20, &r, &err));
  for (const char *at = log_text; (at = strstr(at, "retrying")) != NULL; at++) {
    const char *end = strchr(at, '\n');
    size_t n = end ? (size_t)(end - at) : strlen(at);
    ck_assert_msg(memmem(at, n, "certificate", 11) == NULL, "%s", log_text);
  }
  ck_assert_msg(strstr(pail_error_message(err), "certificate") != NULL, "%s",
                pail_error_message(err));
  pail_error_free(err);
  err = NULL;
  /* The storage's CA bundle vouches for it. */
  test_storage.ca_bundle = cert;
  EXPECT(PAIL_OK, http_exchange(&cfg, &request, 1 << 20, &r, &err));
  ck_assert_int_eq(r.status, 200);
  http_response_clear(&r);
  test_storage.ca_bundle = NULL;
  /* tlsVerify: false takes anything. */
  test_storage.tls_verify_off = true;
  EXPECT(PAIL_OK, http_exchange(&cfg, &request, 1 << 20, &r, &err));
  ck_assert_int_eq(r.status, 200);
  http_response_clear(&r);
  test_storage.tls_verify_off = false;
  close(keep);
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  free(url);
  free(command);
  free(cert);
  free(key);
  test_tempdir_remove(dir);
}
END_TEST

static Suite *http_suite(void) {
  Suite *s = suite_create("http");
  TCase *wire = tcase_create("wire");
  tcase_add_checked_fixture(wire, setup, teardown);
  tcase_add_test(wire, empty_put_sends_content_length_zero);
  tcase_add_test(wire, post_body_and_headers_arrive_exactly);
  tcase_add_test(wire, a_built_request_sends_exactly_its_lines);
  tcase_add_test(wire, large_put_arrives_whole_without_expect);
  tcase_add_test(wire, a_body_from_a_file_arrives_exactly);
  tcase_add_test(wire, a_file_shorter_than_its_body_fails_and_is_not_retried);
  tcase_add_test(wire, delete_and_get_send_no_body);
  tcase_add_test(wire, head_gives_headers_without_body);
  tcase_add_test(wire, response_header_names_are_lowercase);
  tcase_add_test(wire, content_encoding_is_left_alone);
  tcase_add_test(wire, an_error_status_is_a_response);
  tcase_add_test(wire, bad_requests_are_refused_before_sending);
  tcase_add_test(wire, max_body_exceeded_is_io_error);
  suite_add_tcase(s, wire);

  TCase *streams = tcase_create("streams");
  tcase_add_checked_fixture(streams, setup, teardown);
  tcase_set_timeout(streams, 60);
  tcase_add_test(streams, streamed_get_of_300_mb_in_small_reads);
  tcase_add_test(streams,
                 bulk_stream_reads_larger_blocks_and_holds_at_most_one);
  tcase_add_test(streams, stream_reads_of_one_byte_and_chunked_bodies);
  tcase_add_test(streams, stream_of_an_error_status_gives_its_body);
  tcase_add_test(streams, truncated_body_is_io_error);
  tcase_add_test(streams, stream_closed_early_frees_everything);
  suite_add_tcase(s, streams);

  TCase *failures = tcase_create("failures");
  tcase_add_checked_fixture(failures, setup, teardown);
  tcase_set_timeout(failures, 30);
  tcase_add_test(failures, connection_refused_is_unavailable_quickly);
  tcase_add_test(failures, stalled_server_fails_within_low_speed_window);
  tcase_add_test(failures, connection_reset_is_unavailable_then_io_in_a_body);
  tcase_add_test(failures, signatures_never_reach_logs_or_errors);
  tcase_add_test(failures, header_values_never_reach_errors);
  suite_add_tcase(s, failures);

  TCase *connections = tcase_create("connections");
  tcase_add_checked_fixture(connections, setup, teardown);
  tcase_set_timeout(connections, 60);
  tcase_add_test(connections, sequential_exchanges_reuse_one_connection);
  tcase_add_test(connections, a_later_thread_reuses_the_connection);
  tcase_add_test(connections,
                 a_forked_child_never_uses_the_parents_connections);
  tcase_add_test(connections, many_threads_exchange_at_once);
  tcase_add_test(connections, group_runs_twenty_requests_four_at_a_time);
  tcase_add_test(connections, group_reports_each_failure_with_its_tag);
  tcase_add_test(connections, group_free_cancels_what_is_in_flight);
  tcase_add_test(connections, flaky_route_fails_then_answers);
  suite_add_tcase(s, connections);

  TCase *tls = tcase_create("tls");
  tcase_add_checked_fixture(tls, setup, teardown);
  tcase_set_timeout(tls, 60);
  tcase_add_test(tls, tls_is_verified_unless_the_storage_says_otherwise);
  suite_add_tcase(s, tls);

  TCase *retries = tcase_create("retries");
  tcase_add_checked_fixture(retries, setup, teardown);
  tcase_set_timeout(retries, 60);
  tcase_add_test(retries, transient_status_is_retried_until_it_succeeds);
  tcase_add_test(retries, attempts_are_capped);
  tcase_add_test(retries, final_messages_say_how_many_attempts_were_made);
  tcase_add_test(retries, permanent_failures_and_posts_are_not_retried);
  tcase_add_test(retries, retry_after_is_honoured);
  tcase_add_test(retries, stream_open_is_retried_before_the_body);
  tcase_add_test(retries, group_retries_each_request_on_its_own);
  tcase_add_test(retries, backoff_grows_with_full_jitter_within_the_cap);

  TCase *resume = tcase_create("resume");
  tcase_add_checked_fixture(resume, setup, teardown);
  tcase_set_timeout(resume, 30);
  tcase_add_test(resume, a_read_opened_as_large_streams_in_larger_blocks);
  tcase_add_test(resume, a_stream_reader_frees_its_context_once);
  tcase_add_test(resume, a_broken_body_is_resumed_from_the_next_byte_pinned);
  tcase_add_test(resume, resumes_are_capped_and_the_read_then_fails_io);
  tcase_add_test(resume, a_read_without_a_version_is_not_resumed);
  tcase_add_test(resume, bytes_before_an_ignored_range_are_dropped);
  tcase_add_test(resume, a_refused_range_from_byte_zero_is_asked_again_whole);
  tcase_add_test(resume, check_asks_once_for_the_request_again);
  tcase_add_test(resume,
                 a_whole_read_is_verified_by_the_digest_the_storage_has);
  tcase_add_test(resume, a_digest_mismatch_fails_io_without_the_last_bytes);
  tcase_add_test(resume, ranges_and_bad_digests_are_not_verified);
  suite_add_tcase(s, resume);
  suite_add_tcase(s, retries);
  return s;
}

int main(void) {
  /* Read once, at the first request: a stall fails after 1 s. Nothing here
   * may go through a proxy. */
  setenv("PAIL_HTTP_LOW_SPEED_TIME", "1", 1);
  setenv("PAIL_HTTP_CONNECT_TIMEOUT", "2", 1);
  setenv("no_proxy", "*", 1);
  setenv("NO_PROXY", "*", 1);
  test_storage.name = strdup("web");
  test_storage.type = strdup("test");
  test_storage.fields = json_pack("{s:s}", "secretKey", "topsecretvalue");
  cfg.storage = &test_storage;
  cfg.fields = test_fields;
  cfg.log = capture_log;
  cfg.log_level = PAIL_LOG_DEBUG;
  cfg.backend_abi = PAIL_BACKEND_ABI_VERSION;
  server_start();
  int status = test_run_suite(http_suite());
  server_stop();
  json_decref(test_storage.fields);
  free(test_storage.name);
  free(test_storage.type);
  return status;
}
