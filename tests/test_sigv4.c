/*
 * test_sigv4.c: AWS Signature Version 4 (core/net/sigv4.c).
 *
 * 1. The AWS SigV4 test suite (tests/vectors/aws-sigv4, copied unmodified
 *    from awslabs/aws-c-auth; see tests/vectors/SOURCES.md): every case that
 *    header signing can express, signing the raw request of request.txt and
 *    comparing the canonical request, the string to sign and the
 *    Authorization header exactly.
 * 2. Presigned S3 URLs compared byte for byte with botocore's
 *    (tests/botocore_presign.py prints them, with their inputs). Without
 *    python3 or botocore that part cannot run: the other tests still do, and
 *    the program then exits 77 (skipped) once they pass.
 * 3. The contract details of backend.h: encoding, Host, errors, the signing
 *    key cache under threads.
 *
 * `test_sigv4 bench [COUNT]` measures presigned URLs per second on one
 * thread instead (issue 7); build without sanitizers for a meaningful number.
 */
#include "internal.h"
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <sys/wait.h>
#include <time.h>

static const char *source_dir(void) {
  const char *dir = getenv("top_srcdir");
  return dir && *dir ? dir : ".";
}

static char *read_text(const char *dir, const char *name) {
  char *path = NULL;
  ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
  char *data = NULL;
  size_t length = 0, capacity = 0;
  for (;;) {
    if (capacity - length < 4096) {
      capacity = capacity ? capacity * 2 : 8192;
      data = realloc(data, capacity);
      ck_assert_ptr_nonnull(data);
    }
    size_t got = fread(data + length, 1, capacity - length - 1, f);
    length += got;
    if (got == 0)
      break;
  }
  data[length] = '\0';
  fclose(f);
  free(path);
  return data;
}

/* ========================================================= test suite */

/*
 * The cases of the suite, all run with header signing. The suite keeps the
 * request-target of request.txt unencoded ("/example space/", "/ሴ"): for the
 * normalize cases it is passed as the path as sent, which the signer
 * normalises and encodes once (the "second" encoding of an encoded path);
 * for the others (aws-c-auth's "unnormalized" cases: no normalisation, one
 * encoding) the path is encoded once as an HTTP client sends it and signed
 * as sent, S3's way, which computes the same thing.
 *
 * Not applicable:
 * - post-sts-header-after: sends X-Amz-Security-Token without signing it
 *   (omit_session_token). sigv4_sign always signs the token it adds.
 * - the query-*.txt files of every case (query-string signing of the
 *   generic service): sigv4_presign is S3's presigner, which signs
 *   UNSIGNED-PAYLOAD where the suite signs the empty body's hash, and puts
 *   X-Amz-Expires before X-Amz-SignedHeaders as botocore does. Presigned
 *   URLs are checked against botocore below instead.
 */
static const char *const suite_cases[] = {
    "get-header-key-duplicate",
    "get-header-value-multiline",
    "get-header-value-order",
    "get-header-value-trim",
    "get-relative-normalized",
    "get-relative-relative-normalized",
    "get-relative-relative-unnormalized",
    "get-relative-unnormalized",
    "get-slash-dot-slash-normalized",
    "get-slash-dot-slash-unnormalized",
    "get-slash-normalized",
    "get-slash-pointless-dot-normalized",
    "get-slash-pointless-dot-unnormalized",
    "get-slash-unnormalized",
    "get-slashes-normalized",
    "get-slashes-unnormalized",
    "get-space-normalized",
    "get-space-unnormalized",
    "get-unreserved",
    "get-utf8",
    "get-vanilla",
    "get-vanilla-empty-query-key",
    "get-vanilla-query",
    "get-vanilla-query-order-encoded",
    "get-vanilla-query-order-key-case",
    "get-vanilla-query-unreserved",
    "get-vanilla-utf8-query",
    "get-vanilla-with-session-token",
    "post-header-key-case",
    "post-header-key-sort",
    "post-header-value-case",
    "post-sts-header-before",
    "post-vanilla",
    "post-vanilla-empty-query-value",
    "post-vanilla-query",
    "post-x-www-form-urlencoded",
    "post-x-www-form-urlencoded-parameters",
};
#define SUITE_CASE_COUNT (sizeof suite_cases / sizeof suite_cases[0])
static const char *const suite_excluded[] = {"post-sts-header-after"};
#define SUITE_EXCLUDED_COUNT (sizeof suite_excluded / sizeof suite_excluded[0])

static char *suite_dir(const char *name) {
  char *dir = NULL;
  ck_assert_int_ge(
      asprintf(&dir, "%s/tests/vectors/aws-sigv4/%s", source_dir(), name), 0);
  return dir;
}

/* A raw request of the suite, parsed. */
typedef struct raw_request {
  char *method;
  char *target;      /* as in the request line */
  char *headers[32]; /* "Name: value", folded lines joined by a space */
  size_t header_count;
  const char *host; /* into headers */
  const char *body; /* into text */
  char *text;
} raw_request;

static void raw_request_parse(char *text, raw_request *r) {
  memset(r, 0, sizeof *r);
  r->text = text;
  char *line_end = strchr(text, '\n');
  ck_assert_ptr_nonnull(line_end);
  *line_end = '\0';
  char *first_space = strchr(text, ' ');
  char *version = strstr(text, " HTTP/");
  ck_assert(first_space != NULL && version != NULL && version > first_space);
  r->method = strndup(text, (size_t)(first_space - text));
  r->target = strndup(first_space + 1, (size_t)(version - first_space - 1));
  char *line = line_end + 1;
  while (*line != '\0') {
    char *end = strchr(line, '\n');
    size_t length = end ? (size_t)(end - line) : strlen(line);
    if (length > 0 && line[length - 1] == '\r')
      length--;
    if (length == 0) {
      r->body = end ? end + 1 : line + strlen(line);
      break;
    }
    if (line[0] == ' ' || line[0] == '\t') {
      /* obs-fold (RFC 7230 3.2.4): the value goes on after one space. */
      ck_assert_uint_gt(r->header_count, 0);
      char *previous = r->headers[r->header_count - 1];
      char *joined = NULL;
      ck_assert_int_ge(
          asprintf(&joined, "%s %.*s", previous, (int)length, line), 0);
      free(previous);
      r->headers[r->header_count - 1] = joined;
    } else {
      ck_assert_uint_lt(r->header_count, 32);
      r->headers[r->header_count++] = strndup(line, length);
    }
    line = end ? end + 1 : line + length;
  }
  if (r->body == NULL)
    r->body = "";
  for (size_t i = 0; i < r->header_count; i++)
    if (strncasecmp(r->headers[i], "host:", 5) == 0)
      r->host = r->headers[i] + 5;
  ck_assert_ptr_nonnull(r->host);
}

static void raw_request_free(raw_request *r) {
  free(r->method);
  free(r->target);
  for (size_t i = 0; i < r->header_count; i++)
    free(r->headers[i]);
  free(r->text);
}

/* The value of header name in a signed request of the suite, or NULL. */
static char *signed_header_value(const char *signed_request, const char *name) {
  size_t n = strlen(name);
  for (const char *line = signed_request; line && *line;) {
    const char *end = strchr(line, '\n');
    size_t length = end ? (size_t)(end - line) : strlen(line);
    if (length > n && line[n] == ':' && strncasecmp(line, name, n) == 0)
      return strndup(line + n + 1, length - n - 1);
    line = end ? end + 1 : NULL;
  }
  return NULL;
}

START_TEST(suite_case_signs_as_expected) {
  const char *name = suite_cases[_i];
  char *dir = suite_dir(name);
  json_error_t json_error;
  char *context_path = NULL;
  ck_assert_int_ge(asprintf(&context_path, "%s/context.json", dir), 0);
  json_t *context = json_load_file(context_path, 0, &json_error);
  ck_assert_msg(context != NULL, "%s: %s", context_path, json_error.text);
  free(context_path);

  json_t *credentials = json_object_get(context, "credentials");
  pail_sigv4_key key = {
      .access_key_id =
          json_string_value(json_object_get(credentials, "access_key_id")),
      .secret_access_key =
          json_string_value(json_object_get(credentials, "secret_access_key")),
      .session_token = json_string_value(json_object_get(credentials, "token")),
      .region = json_string_value(json_object_get(context, "region")),
      .service = json_string_value(json_object_get(context, "service")),
      .normalize_path = json_is_true(json_object_get(context, "normalize")),
  };
  ck_assert_msg(!json_is_true(json_object_get(context, "omit_session_token")),
                "%s asks for an unsigned token", name);
  int64_t at = 0;
  ck_assert_int_eq(
      clock_parse_time(json_string_value(json_object_get(context, "timestamp")),
                       &at, NULL),
      PAIL_OK);

  raw_request request;
  raw_request_parse(read_text(dir, "request.txt"), &request);
  const char *host = request.host;
  while (*host == ' ')
    host++;
  char *path_as_sent = NULL;
  if (key.normalize_path) {
    path_as_sent = strdup(request.target);
  } else {
    size_t path_length = strcspn(request.target, "?");
    char *path = strndup(request.target, path_length);
    char *encoded = sigv4_uri_encode(path, 1);
    ck_assert_int_ge(
        asprintf(&path_as_sent, "%s%s", encoded, request.target + path_length),
        0);
    free(path);
    free(encoded);
  }
  char *url = NULL;
  ck_assert_int_ge(asprintf(&url, "https://%s%s", host, path_as_sent), 0);

  char payload_hash[65];
  bool sign_body = json_is_true(json_object_get(context, "sign_body"));
  if (sign_body) {
    unsigned char digest[32];
    crypto_sha256(request.body, strlen(request.body), digest);
    crypto_hex_encode(digest, 32, payload_hash);
  }

  char **added = NULL;
  size_t added_count = 0;
  sigv4_trace trace = {0};
  pail_error *err = NULL;
  ck_assert_msg(sigv4_sign_traced(&key, request.method, url,
                                  (const char *const *)request.headers,
                                  request.header_count,
                                  sign_body ? payload_hash : NULL, at, &added,
                                  &added_count, &trace, &err) == PAIL_OK,
                "%s: %s", name, pail_error_message(err));

  char *expected_creq = read_text(dir, "header-canonical-request.txt");
  char *expected_sts = read_text(dir, "header-string-to-sign.txt");
  char *signed_request = read_text(dir, "header-signed-request.txt");
  ck_assert_msg(strcmp(trace.canonical_request, expected_creq) == 0,
                "%s: canonical request\n%s\nexpected\n%s", name,
                trace.canonical_request, expected_creq);
  ck_assert_msg(strcmp(trace.string_to_sign, expected_sts) == 0,
                "%s: string to sign\n%s\nexpected\n%s", name,
                trace.string_to_sign, expected_sts);

  /* Every header sign added is in the signed request with the same value,
   * Authorization last. */
  ck_assert_uint_ge(added_count, 2);
  ck_assert(strncmp(added[added_count - 1], "Authorization: ", 15) == 0);
  for (size_t i = 0; i < added_count; i++) {
    const char *colon = strchr(added[i], ':');
    ck_assert_ptr_nonnull(colon);
    char *header_name = strndup(added[i], (size_t)(colon - added[i]));
    char *expected = signed_header_value(signed_request, header_name);
    ck_assert_msg(expected != NULL, "%s: %s is not in the signed request", name,
                  header_name);
    ck_assert_msg(strcmp(colon + 2, expected) == 0,
                  "%s: %s is\n%s\nexpected\n%s", name, header_name, colon + 2,
                  expected);
    free(expected);
    free(header_name);
  }
  /* And nothing the signed request adds is missing. */
  char *authorization = signed_header_value(signed_request, "Authorization");
  ck_assert_ptr_nonnull(authorization);
  free(authorization);
  size_t expected_added = 2 + (key.session_token != NULL) + sign_body;
  ck_assert_uint_eq(added_count, expected_added);

  strings_free(added, added_count);
  sigv4_trace_clear(&trace);
  free(expected_creq);
  free(expected_sts);
  free(signed_request);
  free(url);
  free(path_as_sent);
  raw_request_free(&request);
  json_decref(context);
  free(dir);
}
END_TEST

/* The list above accounts for every case of the suite. */
START_TEST(suite_cases_are_all_run_or_excluded_with_reason) {
  char *dir = suite_dir("");
  DIR *d = opendir(dir);
  ck_assert_msg(d != NULL, "cannot open %s", dir);
  size_t found = 0;
  struct dirent *entry;
  while ((entry = readdir(d)) != NULL) {
    if (entry->d_name[0] == '.')
      continue;
    bool listed = false;
    for (size_t i = 0; i < SUITE_CASE_COUNT; i++)
      listed = listed || strcmp(entry->d_name, suite_cases[i]) == 0;
    for (size_t i = 0; i < SUITE_EXCLUDED_COUNT; i++)
      listed = listed || strcmp(entry->d_name, suite_excluded[i]) == 0;
    ck_assert_msg(listed, "suite case %s is neither run nor excluded",
                  entry->d_name);
    found++;
  }
  closedir(d);
  ck_assert_uint_eq(found, SUITE_CASE_COUNT + SUITE_EXCLUDED_COUNT);
  free(dir);
}
END_TEST

/* The excluded case signs as the suite says once the token is left out of
 * the signature, which is what a caller of sigv4_sign would have to do:
 * sign without it and send it anyway. */
START_TEST(token_left_unsigned_matches_post_sts_header_after) {
  pail_sigv4_key key = {
      "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
      NULL,          "us-east-1",
      "service",     1};
  char **added = NULL;
  size_t count = 0;
  ck_assert_int_eq(sigv4_sign(&key, "POST", "https://example.amazonaws.com/",
                              NULL, 0, NULL, 1440938160, &added, &count, NULL),
                   PAIL_OK);
  ck_assert_uint_eq(count, 2);
  ck_assert_str_eq(
      added[1],
      "Authorization: AWS4-HMAC-SHA256 "
      "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
      "SignedHeaders=host;x-amz-date, "
      "Signature="
      "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
  strings_free(added, count);
}
END_TEST

/* ============================================================ botocore */

static json_t **botocore_cases;
static size_t botocore_case_count;
static char *botocore_missing; /* why the comparison cannot run */

/* Runs tests/botocore_presign.py once, before the tests fork. */
static void botocore_load(void) {
  char *command = NULL;
  if (asprintf(&command, "python3 '%s/tests/botocore_presign.py'",
               source_dir()) < 0)
    abort();
  FILE *pipe = popen(command, "r");
  free(command);
  if (pipe == NULL) {
    botocore_missing = strdup("cannot run python3");
    return;
  }
  char *line = NULL;
  size_t capacity = 0;
  while (getline(&line, &capacity, pipe) > 0) {
    json_error_t error;
    json_t *value = json_loads(line, 0, &error);
    if (value == NULL) {
      fprintf(stderr, "botocore_presign.py printed: %s", line);
      continue;
    }
    botocore_cases = realloc(botocore_cases, (botocore_case_count + 1) *
                                                 sizeof *botocore_cases);
    botocore_cases[botocore_case_count++] = value;
  }
  free(line);
  int status = pclose(pipe);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == 77) {
    botocore_missing = strdup("botocore is not installed for python3");
  } else if (code == 127) {
    botocore_missing = strdup("python3 is not installed");
  } else if (code != 0) {
    /* A broken script is a failure: botocore_printed_enough_cases says so. */
    fprintf(stderr, "botocore_presign.py exited with status %d\n", code);
    for (size_t i = 0; i < botocore_case_count; i++)
      json_decref(botocore_cases[i]);
    botocore_case_count = 0;
  }
}

static const char *json_text(const json_t *object, const char *name) {
  return json_string_value(json_object_get(object, name));
}

START_TEST(presigned_url_matches_botocore) {
  const json_t *c = botocore_cases[_i];
  const json_t *query = json_object_get(c, "query");
  char *encoded_key = sigv4_uri_encode(json_text(c, "key"), 1);
  char *url = NULL;
  ck_assert_int_ge(asprintf(&url, "%s%s", json_text(c, "base"), encoded_key),
                   0);
  for (size_t i = 0; i < json_array_size(query); i++) {
    const json_t *pair = json_array_get(query, i);
    char *name =
        sigv4_uri_encode(json_string_value(json_array_get(pair, 0)), 0);
    char *value =
        sigv4_uri_encode(json_string_value(json_array_get(pair, 1)), 0);
    char *longer = NULL;
    ck_assert_int_ge(
        asprintf(&longer, "%s%c%s=%s", url, i == 0 ? '?' : '&', name, value),
        0);
    free(url);
    url = longer;
    free(name);
    free(value);
  }
  const char *raw_query = json_text(c, "raw_query");
  if (raw_query != NULL) {
    char *longer = NULL;
    ck_assert_int_ge(asprintf(&longer, "%s?%s", url, raw_query), 0);
    free(url);
    url = longer;
  }
  const json_t *header_array = json_object_get(c, "headers");
  const char *headers[8];
  size_t header_count = json_array_size(header_array);
  ck_assert_uint_le(header_count, 8);
  for (size_t i = 0; i < header_count; i++)
    headers[i] = json_string_value(json_array_get(header_array, i));

  pail_sigv4_key key = {
      .access_key_id = json_text(c, "access_key_id"),
      .secret_access_key = json_text(c, "secret_access_key"),
      .session_token = json_text(c, "session_token"),
      .region = json_text(c, "region"),
      .service = "s3",
      .normalize_path = 0,
  };
  char *presigned = NULL;
  pail_error *err = NULL;
  ck_assert_msg(sigv4_presign(&key, json_text(c, "method"), url, headers,
                              header_count,
                              json_integer_value(json_object_get(c, "at")),
                              json_integer_value(json_object_get(c, "expires")),
                              &presigned, &err) == PAIL_OK,
                "%s", pail_error_message(err));
  ck_assert_msg(strcmp(presigned, json_text(c, "url")) == 0,
                "%s %s:\n  pail     %s\n  botocore %s", json_text(c, "method"),
                json_text(c, "key"), presigned, json_text(c, "url"));
  free(presigned);
  free(url);
  free(encoded_key);
}
END_TEST

/* Guards against a script that printed nothing. */
START_TEST(botocore_printed_enough_cases) {
  ck_assert_uint_ge(botocore_case_count, 40);
}
END_TEST

/* ========================================================= the contract */

static const pail_sigv4_key s3_key = {
    "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    NULL,          "us-east-1",
    "s3",          0};
#define AT 1795600800 /* 2026-11-25T10:00:00Z */

/* Presigns and returns the canonical request. */
static char *presign_canonical(const pail_sigv4_key *key, const char *url,
                               const char *const *headers, size_t count,
                               char **presigned) {
  sigv4_trace trace = {0};
  char *out = NULL;
  pail_error *err = NULL;
  ck_assert_msg(sigv4_presign_traced(key, "GET", url, headers, count, AT, 60,
                                     &out, &trace, &err) == PAIL_OK,
                "%s", pail_error_message(err));
  if (presigned)
    *presigned = out;
  else
    free(out);
  free(trace.string_to_sign);
  return trace.canonical_request;
}

START_TEST(uri_encode_keeps_only_unreserved_bytes) {
  char *s = sigv4_uri_encode("AZaz09-._~ /+%=?#&\xc3\xbc", 0);
  ck_assert_str_eq(s, "AZaz09-._~%20%2F%2B%25%3D%3F%23%26%C3%BC");
  free(s);
  s = sigv4_uri_encode("a b/c/", 1);
  ck_assert_str_eq(s, "a%20b/c/");
  free(s);
  s = sigv4_uri_encode("", 1);
  ck_assert_str_eq(s, "");
  free(s);
  ck_assert_ptr_null(sigv4_uri_encode(NULL, 0));
}
END_TEST

START_TEST(services_table_lends_sigv4) {
  const pail_core_services *core = pail_core_services_get();
  ck_assert(PAIL_CORE_HAS(core, strings_free));
  ck_assert_ptr_eq(core->sigv4_sign, sigv4_sign);
  ck_assert_ptr_eq(core->sigv4_presign, sigv4_presign);
  ck_assert_ptr_eq(core->uri_encode, sigv4_uri_encode);
  ck_assert_ptr_eq(core->strings_free, strings_free);
}
END_TEST

START_TEST(host_omits_only_the_default_port) {
  static const struct {
    const char *url, *host;
  } cases[] = {
      {"http://example.com:80/k", "host:example.com\n"},
      {"https://example.com:443/k", "host:example.com\n"},
      {"http://example.com:443/k", "host:example.com:443\n"},
      {"https://example.com:80/k", "host:example.com:80\n"},
      {"HTTPS://example.com:443/k", "host:example.com\n"},
      {"http://127.0.0.1:9000/bucket/k", "host:127.0.0.1:9000\n"},
      {"http://[::1]:9000/k", "host:[::1]:9000\n"},
      {"http://[::1]:80/k", "host:[::1]\n"},
      {"http://[::1]/k", "host:[::1]\n"},
      {"https://user:pw@example.com/k", "host:example.com\n"},
      {"https://example.com?a=b", "host:example.com\n"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *creq = presign_canonical(&s3_key, cases[i].url, NULL, 0, NULL);
    ck_assert_contains(creq, cases[i].host);
    free(creq);
  }
}
END_TEST

START_TEST(s3_path_is_signed_as_sent) {
  char *creq = presign_canonical(
      &s3_key, "https://h.example/b/./a//c/../%7e%20x", NULL, 0, NULL);
  ck_assert(strncmp(creq, "GET\n/b/./a//c/../%7e%20x\n", 25) == 0);
  free(creq);
  /* An empty path is "/". */
  creq = presign_canonical(&s3_key, "https://h.example", NULL, 0, NULL);
  ck_assert(strncmp(creq, "GET\n/\n", 6) == 0);
  free(creq);
}
END_TEST

START_TEST(normalized_path_drops_dot_segments_and_encodes_again) {
  pail_sigv4_key key = s3_key;
  key.service = "service";
  key.normalize_path = 1;
  static const struct {
    const char *path, *canonical;
  } cases[] = {
      {"/a%20b/c", "/a%2520b/c"},
      {"/a/./b/../c/", "/a/c/"},
      {"//a//b//", "/a/b/"},
      {"/a/b/..", "/a"},
      {"/..", "/"},
      {"/../../a", "/a"},
      {"/a/b/../", "/a/"},
      {"/~x/%7E", "/~x/%257E"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *url = NULL, *expected = NULL;
    ck_assert_int_ge(asprintf(&url, "https://h.example%s", cases[i].path), 0);
    ck_assert_int_ge(asprintf(&expected, "GET\n%s\n", cases[i].canonical), 0);
    char *creq = presign_canonical(&key, url, NULL, 0, NULL);
    ck_assert_msg(strncmp(creq, expected, strlen(expected)) == 0, "%s gave\n%s",
                  cases[i].path, creq);
    free(creq);
    free(url);
    free(expected);
  }
}
END_TEST

START_TEST(query_is_decoded_reencoded_and_sorted) {
  char *presigned = NULL;
  char *creq = presign_canonical(
      &s3_key, "https://h.example/k?b=2&a=z&a=y&flag&c=%7e%2f+x&&d=%zz#frag",
      NULL, 0, &presigned);
  /* Bytewise: upper case before lower case. */
  ck_assert_contains(creq, "&X-Amz-SignedHeaders=host&a=y&a=z&b=2&c=~%2F%20x&"
                           "d=%25zz&flag=\n");
  /* The URL keeps the caller's order, re-encoded as signed, and drops the
   * fragment. */
  ck_assert(strncmp(presigned,
                    "https://h.example/k?b=2&a=z&a=y&flag=&c=~%2F%20x&d=%25zz&"
                    "X-Amz-Algorithm=AWS4-HMAC-SHA256&",
                    strlen("https://h.example/k?b=2&a=z&a=y&flag=&c=~%2F%20x&"
                           "d=%25zz&X-Amz-Algorithm=AWS4-HMAC-SHA256&")) == 0);
  ck_assert_ptr_null(strchr(presigned, '#'));
  free(creq);
  free(presigned);
}
END_TEST

START_TEST(headers_are_lowercased_trimmed_joined_and_sorted) {
  const char *headers[] = {"X-B:  two   words ", "x-a: 1", "X-A:\t2",
                           "Host: ignored.example", "Authorization: x"};
  char *creq =
      presign_canonical(&s3_key, "https://h.example/k", headers, 5, NULL);
  ck_assert_contains(creq, "\nhost:h.example\nx-a:1,2\nx-b:two words\n\n"
                           "host;x-a;x-b\nUNSIGNED-PAYLOAD");
  ck_assert_contains(creq, "&X-Amz-SignedHeaders=host%3Bx-a%3Bx-b\n");
  free(creq);
}
END_TEST

START_TEST(sign_adds_documented_headers_in_order) {
  pail_sigv4_key key = s3_key;
  key.session_token = "tok/en+=";
  const char *headers[] = {"Content-Type: text/plain"};
  char **added = NULL;
  size_t count = 0;
  sigv4_trace trace = {0};
  ck_assert_int_eq(sigv4_sign_traced(&key, "PUT",
                                     "http://127.0.0.1:9000/b/a%20b?uploads",
                                     headers, 1, "UNSIGNED-PAYLOAD", AT, &added,
                                     &count, &trace, NULL),
                   PAIL_OK);
  ck_assert_uint_eq(count, 4);
  ck_assert_str_eq(added[0], "X-Amz-Date: 20261125T100000Z");
  ck_assert_str_eq(added[1], "X-Amz-Content-Sha256: UNSIGNED-PAYLOAD");
  ck_assert_str_eq(added[2], "X-Amz-Security-Token: tok/en+=");
  ck_assert(strncmp(added[3],
                    "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"
                    "20261125/us-east-1/s3/aws4_request, SignedHeaders="
                    "content-type;host;x-amz-content-sha256;x-amz-date;"
                    "x-amz-security-token, Signature=",
                    strlen("Authorization: AWS4-HMAC-SHA256 Credential="
                           "AKIDEXAMPLE/20261125/us-east-1/s3/aws4_request, "
                           "SignedHeaders=content-type;host;x-amz-content-"
                           "sha256;x-amz-date;x-amz-security-token, "
                           "Signature=")) == 0);
  ck_assert_str_eq(
      trace.canonical_request,
      "PUT\n/b/a%20b\nuploads=\ncontent-type:text/plain\n"
      "host:127.0.0.1:9000\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n"
      "x-amz-date:20261125T100000Z\nx-amz-security-token:tok/en+=\n\n"
      "content-type;host;x-amz-content-sha256;x-amz-date;"
      "x-amz-security-token\nUNSIGNED-PAYLOAD");
  strings_free(added, count);
  sigv4_trace_clear(&trace);
}
END_TEST

START_TEST(presign_refuses_expiry_outside_one_second_to_seven_days) {
  static const int64_t bad[] = {0, -1, 604801, INT64_MAX, INT64_MIN};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *out = (char *)"untouched";
    pail_error *err = NULL;
    ck_assert_int_eq(sigv4_presign(&s3_key, "GET", "https://h.example/k", NULL,
                                   0, AT, bad[i], &out, &err),
                     PAIL_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(out);
    ck_assert_contains(pail_error_message(err), "1 to 604800 seconds");
    pail_error_free(err);
  }
  static const int64_t good[] = {1, 604800};
  for (size_t i = 0; i < 2; i++) {
    char *out = NULL;
    ck_assert_int_eq(sigv4_presign(&s3_key, "GET", "https://h.example/k", NULL,
                                   0, AT, good[i], &out, NULL),
                     PAIL_OK);
    free(out);
  }
}
END_TEST

START_TEST(bad_arguments_are_refused_without_credentials_in_messages) {
  pail_sigv4_key key = s3_key;
  char *out = NULL;
  pail_error *err = NULL;
  static const char *const not_absolute[] = {"h.example/k", "://h.example/k",
                                             "a b://h.example/k", "https:///k"};
  for (size_t i = 0; i < 4; i++) {
    ck_assert_int_eq(sigv4_presign(&key, "GET", not_absolute[i], NULL, 0, AT,
                                   60, &out, &err),
                     PAIL_ERR_INVALID_ARGUMENT);
    ck_assert_contains(pail_error_message(err), "absolute");
    pail_error_free(err);
    err = NULL;
  }
  const char *bad_header[] = {"no colon here"};
  ck_assert_int_eq(sigv4_presign(&key, "GET", "https://h.example/k", bad_header,
                                 1, AT, 60, &out, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), "header 1");
  pail_error_free(err);
  err = NULL;
  ck_assert_int_eq(sigv4_presign(&key, "GET", "https://h.example/k", NULL, 0,
                                 -1, 60, &out, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  pail_error_free(err);
  err = NULL;
  key.secret_access_key = "";
  char **added = NULL;
  size_t count = 0;
  ck_assert_int_eq(sigv4_sign(&key, "GET", "https://h.example/k", NULL, 0, NULL,
                              AT, &added, &count, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(added);
  ck_assert_uint_eq(count, 0);
  ck_assert(strstr(pail_error_message(err), s3_key.secret_access_key) == NULL);
  pail_error_free(err);
}
END_TEST

/* Many headers and parameters leave the stack buffers for the heap. */
START_TEST(large_requests_sign_like_small_ones) {
  enum { COUNT = 60 };
  char *headers[COUNT];
  const char *header_pointers[COUNT];
  char *url = strdup("https://h.example/k?");
  for (int i = 0; i < COUNT; i++) {
    ck_assert_int_ge(asprintf(&headers[i], "x-h%02d: %0400d", i, i), 0);
    header_pointers[i] = headers[i];
    char *longer = NULL;
    ck_assert_int_ge(asprintf(&longer, "%sp%02d=%0100d&", url, COUNT - i, i),
                     0);
    free(url);
    url = longer;
  }
  char *presigned = NULL;
  char *creq =
      presign_canonical(&s3_key, url, header_pointers, COUNT, &presigned);
  /* Too long to print when an assertion fails: checked without. */
  ck_assert(strstr(creq, "&p01=") != NULL);
  ck_assert(strstr(creq, "\nx-h59:00000") != NULL);
  ck_assert_uint_gt(strlen(creq), COUNT * 500);
  ck_assert(strstr(presigned, "&X-Amz-Signature=") != NULL);
  free(creq);
  free(presigned);
  free(url);
  for (int i = 0; i < COUNT; i++)
    free(headers[i]);
}
END_TEST

/* get-vanilla's expected signature under the suite's secret. */
#define VANILLA_SIGNATURE                                                      \
  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"

static void sign_vanilla(const char *secret, const char *region,
                         char signature[65]) {
  pail_sigv4_key key = {"AKIDEXAMPLE", secret, NULL, region, "service", 1};
  char **added = NULL;
  size_t count = 0;
  ck_assert_int_eq(sigv4_sign(&key, "GET", "https://example.amazonaws.com/",
                              NULL, 0, NULL, 1440938160, &added, &count, NULL),
                   PAIL_OK);
  const char *found = strstr(added[count - 1], "Signature=");
  ck_assert_ptr_nonnull(found);
  memcpy(signature, found + 10, 65);
  strings_free(added, count);
}

START_TEST(signing_key_cache_never_mixes_secrets_or_scopes) {
  char signature[65], other[65];
  const char *secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  sign_vanilla(secret, "us-east-1", signature);
  ck_assert_str_eq(signature, VANILLA_SIGNATURE);
  sign_vanilla("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ", "us-east-1", other);
  ck_assert_str_ne(other, VANILLA_SIGNATURE);
  /* Enough scopes to evict every slot, then the first again. */
  for (int i = 0; i < 40; i++) {
    char region[32];
    snprintf(region, sizeof region, "region-%d", i);
    sign_vanilla(secret, region, other);
    ck_assert_str_ne(other, VANILLA_SIGNATURE);
  }
  sign_vanilla(secret, "us-east-1", signature);
  ck_assert_str_eq(signature, VANILLA_SIGNATURE);
  /* A region too long to cache is still signed right. */
  char long_region[200];
  memset(long_region, 'r', sizeof long_region - 1);
  long_region[sizeof long_region - 1] = '\0';
  sign_vanilla(secret, long_region, other);
  ck_assert_str_ne(other, VANILLA_SIGNATURE);
}
END_TEST

static void *sign_in_thread(void *arg) {
  const char *secret = arg;
  for (int i = 0; i < 200; i++) {
    char signature[65];
    char region[32];
    snprintf(region, sizeof region, "region-%d", i % 20);
    sign_vanilla(secret, i % 2 ? "us-east-1" : region, signature);
    if (i % 2 &&
        strcmp(secret, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY") == 0 &&
        strcmp(signature, VANILLA_SIGNATURE) != 0)
      return (void *)1;
  }
  return NULL;
}

START_TEST(signing_is_thread_safe) {
  static const char *const secrets[] = {
      "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "other-secret-1",
      "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "other-secret-2"};
  pthread_t threads[4];
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq(
        pthread_create(&threads[i], NULL, sign_in_thread, (void *)secrets[i]),
        0);
  for (int i = 0; i < 4; i++) {
    void *result = NULL;
    ck_assert_int_eq(pthread_join(threads[i], &result), 0);
    ck_assert_ptr_null(result);
  }
}
END_TEST

/* ============================================================ benchmark */

static double seconds_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Presigned URLs per second on one thread, keys and methods varying as a
 * worker handing out URLs would. */
static int benchmark(long count) {
  static const char *const methods[] = {"GET", "PUT", "HEAD", "DELETE"};
  char url[128];
  double start = seconds_now();
  size_t total_length = 0;
  for (long i = 0; i < count; i++) {
    snprintf(url, sizeof url,
             "https://bucket.s3.eu-west-1.amazonaws.com/data/%ld/part%%20%ld"
             ".parquet",
             i % 1000, i);
    char *out = NULL;
    if (sigv4_presign(&s3_key, methods[i & 3], url, NULL, 0, AT, 3600, &out,
                      NULL) != PAIL_OK)
      return EXIT_FAILURE;
    total_length += strlen(out);
    free(out);
  }
  double elapsed = seconds_now() - start;
  printf("%ld presigned URLs in %.3f s: %.0f per second (%.2f us each, "
         "%zu bytes average)\n",
         count, elapsed, (double)count / elapsed, elapsed / (double)count * 1e6,
         total_length / (size_t)count);
  return EXIT_SUCCESS;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "bench") == 0)
    return benchmark(argc >= 3 ? atol(argv[2]) : 1000000);

  botocore_load();
  Suite *s = suite_create("sigv4");
  TCase *tc = tcase_create("aws suite");
  tcase_add_loop_test(tc, suite_case_signs_as_expected, 0,
                      (int)SUITE_CASE_COUNT);
  tcase_add_test(tc, suite_cases_are_all_run_or_excluded_with_reason);
  tcase_add_test(tc, token_left_unsigned_matches_post_sts_header_after);
  suite_add_tcase(s, tc);

  if (botocore_missing == NULL) {
    tc = tcase_create("botocore");
    tcase_add_test(tc, botocore_printed_enough_cases);
    tcase_add_loop_test(tc, presigned_url_matches_botocore, 0,
                        (int)botocore_case_count);
    suite_add_tcase(s, tc);
  }

  tc = tcase_create("contract");
  tcase_add_test(tc, uri_encode_keeps_only_unreserved_bytes);
  tcase_add_test(tc, services_table_lends_sigv4);
  tcase_add_test(tc, host_omits_only_the_default_port);
  tcase_add_test(tc, s3_path_is_signed_as_sent);
  tcase_add_test(tc, normalized_path_drops_dot_segments_and_encodes_again);
  tcase_add_test(tc, query_is_decoded_reencoded_and_sorted);
  tcase_add_test(tc, headers_are_lowercased_trimmed_joined_and_sorted);
  tcase_add_test(tc, sign_adds_documented_headers_in_order);
  tcase_add_test(tc, presign_refuses_expiry_outside_one_second_to_seven_days);
  tcase_add_test(tc, bad_arguments_are_refused_without_credentials_in_messages);
  tcase_add_test(tc, large_requests_sign_like_small_ones);
  tcase_add_test(tc, signing_key_cache_never_mixes_secrets_or_scopes);
  tcase_add_test(tc, signing_is_thread_safe);
  suite_add_tcase(s, tc);

  int status = test_run_suite(s);
  for (size_t i = 0; i < botocore_case_count; i++)
    json_decref(botocore_cases[i]);
  free(botocore_cases);
  if (status == EXIT_SUCCESS && botocore_missing != NULL) {
    printf("SKIP: presigned URLs not compared with botocore: %s\n",
           botocore_missing);
    free(botocore_missing);
    return 77;
  }
  free(botocore_missing);
  return status;
}
