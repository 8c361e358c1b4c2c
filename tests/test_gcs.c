/*
 * test_gcs.c: the GCS backend without a server.
 *
 * 1. Google's V4 signed-URL conformance cases (tests/vectors/gcs-v4, copied
 *    unmodified; see tests/vectors/SOURCES.md), signed with the dummy
 *    service account key published with them:
 *    - all 22 through the backend's signer (gcs_v4_sign), comparing the
 *      URL, the string to sign and the canonical request exactly;
 *    - through the library (pail_sign on a workspace whose gcs storage
 *      holds the key) every case pail's settings and sign options can
 *      express. tests/gcs_cli.sh does the same through the CLI.
 *    The URL's scheme and host are inputs to pail (the endpoint and useSSL
 *    settings), so they are taken from the expected URL; Google's client
 *    options that choose them (hostname, clientEndpoint, emulatorHostname,
 *    universeDomain) have no counterpart. Not expressible through
 *    pail_sign, and why (the signer itself passes them all):
 *    - "POST for resumable uploads": pail signs GET, PUT, HEAD, DELETE.
 *    - "Forward Slashes should not be stripped": the object name starts
 *      with '/', which no pail key does (DESIGN.md section 1).
 *    - "List Objects": no object; pail signs pointers to objects.
 *    - "Query Parameter Encoding": the parameter's name holds '=', and a
 *      pail --query is name=value split at the first '='.
 *    The bucket-bound hostname cases use the bucketBoundHostname setting.
 *    The vector "Universe domain with virtual hosted style" gives a
 *    canonical request with the path "/test-bucket/test-object", but its
 *    string to sign (and so its signature) hashes the one with
 *    "/test-object", the URL's path, as every other virtual-hosted request
 *    is signed: that one field of the vector is compared with its path
 *    corrected.
 * 2. Settings: bucket names GCS forbids, endpoints, chunk sizes, keys that
 *    are not JSON, lack private_key or hold a key OpenSSL cannot read, the
 *    Application Default Credentials chain, and that no message carries a
 *    secret.
 * 3. The JWT assertion of the OAuth2 flow, verified with OpenSSL against
 *    the key's public half; the token endpoint's answers; the token cache
 *    under threads, its refresh before expiry and after a 401 (with the
 *    core's HTTP exchange and clock replaced); error bodies; listings;
 *    CRC-32C encoding.
 */
#include "internal.h"
#include "testutil.h"

#include "gcs.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <sys/stat.h>

static const char *source_dir(void) {
  const char *dir = getenv("top_srcdir");
  return dir && *dir ? dir : ".";
}

static char *vector_path(const char *name) {
  char *path = NULL;
  ck_assert_int_ge(
      asprintf(&path, "%s/tests/vectors/gcs-v4/%s", source_dir(), name), 0);
  return path;
}

static json_t *load_json(const char *name) {
  char *path = vector_path(name);
  json_error_t error;
  json_t *root = json_load_file(path, 0, &error);
  ck_assert_msg(root != NULL, "%s: %s", path, error.text);
  free(path);
  return root;
}

static json_t *service_account;
static json_t *vectors;
static char *home;

static void setup(void) {
  gcs_core = pail_core_services_get();
  static const char *const variables[] = {"GOOGLE_APPLICATION_CREDENTIALS",
                                          "CLOUDSDK_CONFIG", "PAIL_PLUGIN_PATH",
                                          "PAIL_TEST_NOW"};
  for (size_t i = 0; i < sizeof variables / sizeof *variables; i++)
    unsetenv(variables[i]);
  home = test_tempdir();
  setenv("HOME", home, 1);
  service_account = load_json("test_service_account.json");
  json_t *root = load_json("v4_signatures.json");
  vectors = json_incref(json_object_get(root, "signingV4Tests"));
  json_decref(root);
  ck_assert_int_eq(json_array_size(vectors), 22);
}

static void teardown(void) {
  json_decref(service_account);
  json_decref(vectors);
  test_tempdir_remove(home);
  home = NULL;
}

static const char *member(const json_t *object, const char *name) {
  return json_string_value(json_object_get(object, name));
}

static int64_t parse_time(const char *text) {
  int64_t seconds = 0;
  ck_assert_int_eq(gcs_core->time_parse(text, &seconds, NULL), PAIL_OK);
  return seconds;
}

/* Splits the expected URL "scheme://host/..." into scheme and host. */
static void url_scheme_host(const char *url, char **scheme, char **host) {
  const char *sep = strstr(url, "://");
  ck_assert_ptr_nonnull(sep);
  *scheme = strndup(url, (size_t)(sep - url));
  const char *start = sep + 3;
  *host = strndup(start, strcspn(start, "/?"));
}

/* The pieces of one vector, as the signer and as pail_sign take them. */
typedef struct vector_case {
  const char *description;
  const char *method;
  const char *bucket;
  const char *object; /* NULL: the bucket */
  char *scheme, *host, *path;
  const char *style; /* NULL, VIRTUAL_HOSTED_STYLE, BUCKET_BOUND_HOSTNAME */
  char **headers;
  size_t header_count;
  const char **query_names, **query_values;
  size_t query_count;
  int64_t at, expires;
  const char *expected_url, *expected_sts;
  char *expected_canonical;
} vector_case;

static void case_load(const json_t *v, vector_case *c) {
  memset(c, 0, sizeof *c);
  c->description = member(v, "description");
  c->method = member(v, "method");
  c->bucket = member(v, "bucket");
  c->object = member(v, "object");
  c->style = member(v, "urlStyle");
  c->expected_url = member(v, "expectedUrl");
  c->expected_sts = member(v, "expectedStringToSign");
  c->at = parse_time(member(v, "timestamp"));
  c->expires = json_integer_value(json_object_get(v, "expiration"));
  url_scheme_host(c->expected_url, &c->scheme, &c->host);
  char *object = c->object ? gcs_core->uri_encode(c->object, 1) : NULL;
  bool bucket_in_path = c->style == NULL;
  ck_assert_int_ge(asprintf(&c->path, "%s%s%s%s", bucket_in_path ? "/" : "",
                            bucket_in_path ? c->bucket : "", object ? "/" : "",
                            object ? object : ""),
                   0);
  free(object);
  json_t *headers = json_object_get(v, "headers");
  c->headers = calloc(json_object_size(headers) + 1, sizeof *c->headers);
  const char *name;
  json_t *value;
  json_object_foreach(headers, name, value) {
    ck_assert_int_ge(asprintf(&c->headers[c->header_count++], "%s: %s", name,
                              json_string_value(value)),
                     0);
  }
  json_t *query = json_object_get(v, "queryParameters");
  c->query_names = calloc(json_object_size(query) + 1, sizeof(char *));
  c->query_values = calloc(json_object_size(query) + 1, sizeof(char *));
  json_object_foreach(query, name, value) {
    c->query_names[c->query_count] = name;
    c->query_values[c->query_count++] = json_string_value(value);
  }
  /* The one inconsistent field (see the top of this file). */
  const char *canonical = member(v, "expectedCanonicalRequest");
  if (c->style != NULL && strcmp(c->style, "VIRTUAL_HOSTED_STYLE") == 0) {
    char *wrong = NULL, *right = NULL;
    ck_assert_int_ge(asprintf(&wrong, "\n/%s/%s\n", c->bucket, c->object), 0);
    ck_assert_int_ge(asprintf(&right, "\n/%s\n", c->object), 0);
    const char *at = strstr(canonical, wrong);
    ck_assert_ptr_nonnull(at);
    ck_assert_int_ge(asprintf(&c->expected_canonical, "%.*s%s%s",
                              (int)(at - canonical), canonical, right,
                              at + strlen(wrong)),
                     0);
    free(wrong);
    free(right);
  } else {
    c->expected_canonical = strdup(canonical);
  }
}

static void case_free(vector_case *c) {
  free(c->scheme);
  free(c->host);
  free(c->path);
  for (size_t i = 0; i < c->header_count; i++)
    free(c->headers[i]);
  free(c->headers);
  free(c->query_names);
  free(c->query_values);
  free(c->expected_canonical);
}

static pail_private_key *dummy_key(void) {
  const char *pem = member(service_account, "private_key");
  pail_private_key *key = gcs_core->private_key_load(pem, strlen(pem), NULL);
  ck_assert_ptr_nonnull(key);
  return key;
}

START_TEST(conformance_cases_sign_exactly_through_the_signer) {
  pail_private_key *key = dummy_key();
  gcs_v4_signer signer = {
      .client_email = member(service_account, "client_email"), .key = key};
  size_t i;
  json_t *v;
  json_array_foreach(vectors, i, v) {
    vector_case c;
    case_load(v, &c);
    gcs_v4_request request = {
        .method = c.method,
        .scheme = c.scheme,
        .host = c.host,
        .path = c.path,
        .headers = (const char *const *)c.headers,
        .header_count = c.header_count,
        .query_names = c.query_names,
        .query_values = c.query_values,
        .query_count = c.query_count,
        .at = c.at,
        .expires = c.expires,
    };
    char *url = NULL, *canonical = NULL, *sts = NULL;
    pail_error *err = NULL;
    ck_assert_msg(
        gcs_v4_sign(&signer, &request, &url, &canonical, &sts, &err) == PAIL_OK,
        "%s: %s", c.description, err ? gcs_core->error_message(err) : "");
    ck_assert_msg(strcmp(canonical, c.expected_canonical) == 0,
                  "%s: canonical request\n%s\nwanted\n%s", c.description,
                  canonical, c.expected_canonical);
    ck_assert_msg(strcmp(sts, c.expected_sts) == 0,
                  "%s: string to sign\n%s\nwanted\n%s", c.description, sts,
                  c.expected_sts);
    ck_assert_msg(strcmp(url, c.expected_url) == 0, "%s: URL\n%s\nwanted\n%s",
                  c.description, url, c.expected_url);
    free(url);
    free(canonical);
    free(sts);
    case_free(&c);
  }
  gcs_core->private_key_free(key);
}
END_TEST

/* Why pail_sign cannot express a case, or NULL when it can. */
static const char *inexpressible(const vector_case *c) {
  if (strcmp(c->method, "GET") && strcmp(c->method, "PUT") &&
      strcmp(c->method, "HEAD") && strcmp(c->method, "DELETE"))
    return "method";
  if (c->object == NULL)
    return "no object";
  if (pail_key_check(c->object, strlen(c->object), NULL) != PAIL_OK)
    return "not a pail key";
  for (size_t i = 0; i < c->query_count; i++)
    if (strchr(c->query_names[i], '='))
      return "'=' in a query name";
  return NULL;
}

START_TEST(conformance_cases_sign_exactly_through_the_library) {
  char *key_path = vector_path("test_service_account.json");
  size_t i, signed_count = 0;
  json_t *v;
  json_array_foreach(vectors, i, v) {
    vector_case c;
    case_load(v, &c);
    if (inexpressible(&c) != NULL) {
      case_free(&c);
      continue;
    }
    bool bound = c.style && strcmp(c.style, "BUCKET_BOUND_HOSTNAME") == 0;
    bool virtual_hosted = c.style != NULL && !bound;
    /* The endpoint is the URL's host, less the bucket for virtual-hosted
     * style. */
    const char *endpoint = c.host;
    if (virtual_hosted) {
      ck_assert_int_eq(strncmp(c.host, c.bucket, strlen(c.bucket)), 0);
      endpoint = c.host + strlen(c.bucket) + 1;
    }
    json_t *settings = json_pack(
        "{s:{s:s, s:s, s:s, s:s, s:b, s:b}}", "storage", "type", "gcs",
        "bucket", c.bucket, "serviceAccountKey", key_path, "endpoint", endpoint,
        "useSSL", strcmp(c.scheme, "https") == 0, "pathStyle", !virtual_hosted);
    if (bound) {
      /* The scheme goes with the custom domain: http:// names it. */
      char *hostname = NULL;
      ck_assert_int_ge(asprintf(&hostname, "%s%s",
                                strcmp(c.scheme, "http") == 0 ? "http://" : "",
                                c.host),
                       0);
      json_object_set_new(json_object_get(settings, "storage"),
                          "bucketBoundHostname", json_string(hostname));
      json_object_set_new(json_object_get(settings, "storage"), "useSSL",
                          json_true());
      free(hostname);
    }
    char *text = json_dumps(settings, 0);
    json_decref(settings);
    pail_workspace *ws = NULL;
    pail_error *err = NULL;
    ck_assert_int_eq(pail_workspace_open_json(text, NULL, &ws, &err), PAIL_OK);
    free(text);
    char **query = calloc(c.query_count + 1, sizeof *query);
    for (size_t q = 0; q < c.query_count; q++)
      ck_assert_int_ge(
          asprintf(&query[q], "%s=%s", c.query_names[q], c.query_values[q]), 0);
    pail_sign_options options = PAIL_SIGN_OPTIONS_INIT;
    options.method = c.method;
    options.expires = c.expires;
    options.at = c.at;
    options.headers = (const char *const *)c.headers;
    options.header_count = c.header_count;
    options.query = (const char *const *)query;
    options.query_count = c.query_count;
    pail_pointer *p = NULL;
    ck_assert_int_eq(pail_pointer_new(NULL, c.object, &p, NULL), PAIL_OK);
    pail_signature signature = {0};
    ck_assert_msg(pail_sign(ws, p, &options, &signature, &err) == PAIL_OK,
                  "%s: %s", c.description, err ? pail_error_message(err) : "");
    ck_assert_msg(signature.url && strcmp(signature.url, c.expected_url) == 0,
                  "%s: URL\n%s\nwanted\n%s", c.description, signature.url,
                  c.expected_url);
    signed_count++;
    pail_signature_clear(&signature);
    pail_pointer_free(p);
    for (size_t q = 0; q < c.query_count; q++)
      free(query[q]);
    free(query);
    pail_workspace_close(ws);
    case_free(&c);
  }
  /* 22 less POST, the leading '/', List Objects and '=' in a query name. */
  ck_assert_uint_eq(signed_count, 18);
  free(key_path);
}
END_TEST

START_TEST(hmac_keys_sign_with_goog4_hmac_sha256) {
  /* Google's HMAC signing is SigV4's derivation with "GOOG4" and the scope
   * auto/storage/goog4_request: recompute it independently here. */
  gcs_v4_signer signer = {.hmac_access_id = "GOOGTS7C7FUP3AIRVJTE2BCD",
                          .hmac_secret =
                              "bGoa+V7g/yqDXvKRqq+JTFn4uQZbPiQJo4pf9RzJ"};
  gcs_v4_request request = {.method = "GET",
                            .scheme = "https",
                            .host = "storage.googleapis.com",
                            .path = "/example-bucket/cat.jpeg",
                            .at = parse_time("2019-02-01T09:00:00Z"),
                            .expires = 900};
  char *url = NULL, *canonical = NULL, *sts = NULL;
  ck_assert_int_eq(gcs_v4_sign(&signer, &request, &url, &canonical, &sts, NULL),
                   PAIL_OK);
  ck_assert_contains(url, "X-Goog-Algorithm=GOOG4-HMAC-SHA256");
  ck_assert_contains(url, "X-Goog-Credential=GOOGTS7C7FUP3AIRVJTE2BCD%2F"
                          "20190201%2Fauto%2Fstorage%2Fgoog4_request");
  ck_assert_contains(sts, "GOOG4-HMAC-SHA256\n20190201T090000Z\n20190201/"
                          "auto/storage/goog4_request\n");
  unsigned char k[32];
  const char *secret = "GOOG4bGoa+V7g/yqDXvKRqq+JTFn4uQZbPiQJo4pf9RzJ";
  crypto_hmac_sha256(secret, strlen(secret), "20190201", 8, k);
  crypto_hmac_sha256(k, 32, "auto", 4, k);
  crypto_hmac_sha256(k, 32, "storage", 7, k);
  crypto_hmac_sha256(k, 32, "goog4_request", 13, k);
  crypto_hmac_sha256(k, 32, sts, strlen(sts), k);
  char hex[65];
  crypto_hex_encode(k, 32, hex);
  const char *signature = strstr(url, "&X-Goog-Signature=");
  ck_assert_ptr_nonnull(signature);
  ck_assert_str_eq(signature + strlen("&X-Goog-Signature="), hex);
  ck_assert_ptr_null(strstr(url, "bGoa+V7g"));
  free(url);
  free(canonical);
  free(sts);
}
END_TEST

START_TEST(signing_refuses_bad_expiry_host_header_and_no_key) {
  pail_private_key *key = dummy_key();
  gcs_v4_signer signer = {.client_email = "a@b", .key = key};
  const char *host_header[] = {"Host: elsewhere"};
  const char *broken_header[] = {"X-Goog-Meta-A: one\r\nInjected: two"};
  gcs_v4_request request = {.method = "GET",
                            .scheme = "https",
                            .host = "storage.googleapis.com",
                            .path = "/b/o",
                            .at = 1,
                            .expires = 604801};
  char *url = NULL;
  ck_assert_int_eq(gcs_v4_sign(&signer, &request, &url, NULL, NULL, NULL),
                   PAIL_ERR_INVALID_ARGUMENT);
  request.expires = 604800;
  request.headers = host_header;
  request.header_count = 1;
  ck_assert_int_eq(gcs_v4_sign(&signer, &request, &url, NULL, NULL, NULL),
                   PAIL_ERR_INVALID_ARGUMENT);
  request.headers = broken_header;
  ck_assert_int_eq(gcs_v4_sign(&signer, &request, &url, NULL, NULL, NULL),
                   PAIL_ERR_INVALID_ARGUMENT);
  request.header_count = 0;
  gcs_v4_signer nobody = {0};
  ck_assert_int_eq(gcs_v4_sign(&nobody, &request, &url, NULL, NULL, NULL),
                   PAIL_ERR_UNSUPPORTED);
  ck_assert_ptr_null(url);
  gcs_core->private_key_free(key);
}
END_TEST

/* ============================================================ settings */

/* Opens the primary storage of settings `json`; returns its status and,
 * through message (when not NULL), a copy of the error message. */
static pail_status open_gcs(const char *json, char **message) {
  pail_workspace *ws = NULL;
  pail_error *err = NULL;
  pail_status status = pail_workspace_open_json(json, NULL, &ws, &err);
  if (status == PAIL_OK)
    status = pail_workspace_check_storage(ws, NULL, &err);
  if (message != NULL)
    *message = err ? strdup(pail_error_message(err)) : NULL;
  pail_error_free(err);
  pail_workspace_close(ws);
  return status;
}

/* A fragment of the dummy key's PEM body, which must never be printed. */
#define KEY_FRAGMENT "MIIEvAIBADANBgkqhkiG9w0BAQEFAASC"

static void expect_refused(const char *json, pail_status want,
                           const char *needle) {
  char *message = NULL;
  ck_assert_int_eq(open_gcs(json, &message), want);
  ck_assert_contains(message, needle);
  ck_assert_msg(strstr(message, KEY_FRAGMENT) == NULL &&
                    strstr(message, "SecretNeverShown") == NULL,
                "secret in \"%s\"", message);
  free(message);
}

/* Settings for bucket with the dummy key as an object, and `extra` fields
 * (", ..." or ""). Caller frees. */
static char *settings_with_key(const char *bucket, const char *extra) {
  char *key = json_dumps(service_account, JSON_COMPACT);
  char *json = NULL;
  ck_assert_int_ge(asprintf(&json,
                            "{\"storage\": {\"type\": \"gcs\", \"bucket\": "
                            "\"%s\", \"serviceAccountKey\": %s%s}}",
                            bucket, key, extra),
                   0);
  free(key);
  return json;
}

START_TEST(bucket_names_gcs_forbids_are_refused) {
  static const char *const bad[] = {
      "ab",
      "Upper",
      "192.168.1.1",
      "-abc",
      "abc-",
      "goog-data",
      "my-google-bucket",
      "with space",
      "a..b",
      "dots.a.",
      "_under",
      "a234567890123456789012345678901234567890123456789012345678901234"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char *json = settings_with_key(bad[i], "");
    expect_refused(json, PAIL_ERR_INVALID_ARGUMENT, "invalid bucket name");
    free(json);
  }
  static const char *const good[] = {"my_data-bucket.01", "abc", "a.b.c-d_e"};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    char *json = settings_with_key(good[i], "");
    ck_assert_int_eq(open_gcs(json, NULL), PAIL_OK);
    free(json);
  }
}
END_TEST

START_TEST(endpoint_and_chunk_size_are_checked) {
  static const struct {
    const char *extra, *needle;
  } cases[] = {
      {", \"endpoint\": \"https://storage.googleapis.com\"",
       "without a scheme"},
      {", \"endpoint\": \"host/path\"", "without a path"},
      {", \"endpoint\": \"host:0\"", "port"},
      {", \"endpoint\": \"host:99999\"", "port"},
      {", \"bucketBoundHostname\": \"https://cdn.example/b\"",
       "invalid bucketBoundHostname"},
      {", \"chunkSize\": 1000", "multiple of 256 KiB"},
      {", \"chunkSize\": 262145", "multiple of 256 KiB"},
      {", \"accessKey\": \"GOOG1\"", "both accessKey and secretKey"},
      {", \"secretKey\": \"SecretNeverShown\"", "both accessKey and secretKey"},
      {", \"servceAccountKey\": {}", "unknown field \"servceAccountKey\""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *json = settings_with_key("data", cases[i].extra);
    expect_refused(json, PAIL_ERR_INVALID_ARGUMENT, cases[i].needle);
    free(json);
  }
  char *json = settings_with_key("data", ", \"endpoint\": \"127.0.0.1:4443\", "
                                         "\"useSSL\": false, \"chunkSize\": "
                                         "524288");
  ck_assert_int_eq(open_gcs(json, NULL), PAIL_OK);
  free(json);
}
END_TEST

START_TEST(keys_that_are_not_json_or_lack_a_usable_private_key_are_refused) {
  expect_refused("{\"storage\": {\"type\": \"gcs\", \"bucket\": \"data\", "
                 "\"serviceAccountKey\": \"{not json\"}}",
                 PAIL_ERR_INVALID_ARGUMENT, "not JSON");
  expect_refused("{\"storage\": {\"type\": \"gcs\", \"bucket\": \"data\", "
                 "\"serviceAccountKey\": {\"type\": \"service_account\", "
                 "\"client_email\": \"a@b.iam.gserviceaccount.com\"}}}",
                 PAIL_ERR_INVALID_ARGUMENT, "no private_key");
  expect_refused("{\"storage\": {\"type\": \"gcs\", \"bucket\": \"data\", "
                 "\"serviceAccountKey\": {\"type\": \"service_account\", "
                 "\"client_email\": \"a@b\", \"private_key\": \"-----BEGIN "
                 "PRIVATE KEY-----\\n" KEY_FRAGMENT
                 "SecretNeverShown\\n-----END PRIVATE KEY-----\\n\"}}}",
                 PAIL_ERR_INVALID_ARGUMENT, "cannot be read");
  expect_refused("{\"storage\": {\"type\": \"gcs\", \"bucket\": \"data\", "
                 "\"serviceAccountKey\": {\"type\": \"external_account\"}}}",
                 PAIL_ERR_INVALID_ARGUMENT, "external_account");
  /* A type that is no type name (here the private key itself: a file from
   * disk is not redacted by the core) is not quoted (fuzz_gcs_token). */
  const char *odd = "{\"type\": \"----B PRMB-I-I-]\", \"private_key\": "
                    "\"----B PRMB-I-I-]\", \"token_uri\": \"en\"}";
  gcs_account odd_account;
  pail_error *odd_err = NULL;
  ck_assert_int_eq(
      gcs_account_parse(odd, strlen(odd), "test", &odd_account, &odd_err),
      PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(odd_err), "of an unknown type");
  ck_assert_ptr_null(strstr(pail_error_message(odd_err), "PRMB"));
  pail_error_free(odd_err);
  /* Whatever part of a refusal a credential of the file matches (a type
   * name, words of the message, the start of the PEM header OpenSSL's
   * reason names), it is redacted, for every credential member
   * (fuzz_gcs_token). */
  static const struct {
    const char *file, *secret;
  } leaks[] = {
      {"{\"type\": \"abcdefghijklmnopq\", \"private_key\": "
       "\"abcdefghijklmnopq\"}",
       "abcdefghijklmnopq"},
      {"{\"private_key\": \"gcs: the service account\"}",
       "gcs: the service account"},
      {"{\"type\": \"service_account\", \"client_email\": "
       "\"a@b.iam.gserviceaccount.com\", \"private_key\": "
       "\"-----BEGIN PRIVATE KEY--\"}",
       "-----BEGIN PRIVATE KEY--"},
      {"{\"type\": \"authorized_user\", \"client_id\": \"x\", "
       "\"refresh_token\": \"authorized_user credentials\"}",
       "authorized_user credentials"},
  };
  for (size_t i = 0; i < sizeof leaks / sizeof *leaks; i++) {
    gcs_account leaky;
    pail_error *leak_err = NULL;
    ck_assert_int_eq(gcs_account_parse(leaks[i].file, strlen(leaks[i].file),
                                       "test", &leaky, &leak_err),
                     PAIL_ERR_INVALID_ARGUMENT);
    const char *message = pail_error_message(leak_err);
    ck_assert_msg(strstr(message, leaks[i].secret) == NULL &&
                      strstr(message, "***") != NULL,
                  "case %zu: %s", i, message);
    pail_error_free(leak_err);
  }
  /* A token_uri in clear text to a remote host would leak the assertion. */
  json_t *key = json_deep_copy(service_account);
  json_object_set_new(key, "token_uri",
                      json_string("http://example.com/token"));
  char *text = json_dumps(key, JSON_COMPACT);
  char *json = NULL;
  ck_assert_int_ge(asprintf(&json,
                            "{\"storage\": {\"type\": \"gcs\", \"bucket\": "
                            "\"data\", \"serviceAccountKey\": %s}}",
                            text),
                   0);
  expect_refused(json, PAIL_ERR_INVALID_ARGUMENT, "https://");
  free(json);
  free(text);
  json_decref(key);
  /* A path that does not exist (the core redacts the path, the value of a
   * secret field), and the key as a string of JSON. */
  expect_refused("{\"storage\": {\"type\": \"gcs\", \"bucket\": \"data\", "
                 "\"serviceAccountKey\": \"/nonexistent/key.json\"}}",
                 PAIL_ERR_NOT_FOUND, "cannot read serviceAccountKey");
  char *compact = json_dumps(service_account, JSON_COMPACT);
  json_t *settings = json_pack("{s:{s:s, s:s, s:s}}", "storage", "type", "gcs",
                               "bucket", "data", "serviceAccountKey", compact);
  char *as_string = json_dumps(settings, 0);
  ck_assert_int_eq(open_gcs(as_string, NULL), PAIL_OK);
  free(as_string);
  free(compact);
  json_decref(settings);
}
END_TEST

START_TEST(no_credentials_names_every_source_tried) {
  expect_refused("{\"storage\": {\"type\": \"gcs\", \"bucket\": \"data\"}}",
                 PAIL_ERR_ACCESS_DENIED, "GOOGLE_APPLICATION_CREDENTIALS");
  char *message = NULL;
  open_gcs("{\"storage\": {\"type\": \"gcs\", \"bucket\": \"data\"}}",
           &message);
  ck_assert_contains(message, "serviceAccountKey");
  ck_assert_contains(message, "application_default_credentials.json");
  free(message);
  /* HMAC keys alone open the storage (they sign URLs). */
  ck_assert_int_eq(open_gcs("{\"storage\": {\"type\": \"gcs\", \"bucket\": "
                            "\"data\", \"accessKey\": \"GOOG1EXAMPLE\", "
                            "\"secretKey\": \"SecretNeverShown\"}}",
                            NULL),
                   PAIL_OK);
}
END_TEST

START_TEST(application_default_credentials_are_found) {
  char *path = vector_path("test_service_account.json");
  setenv("GOOGLE_APPLICATION_CREDENTIALS", path, 1);
  ck_assert_int_eq(
      open_gcs("{\"storage\": {\"type\": \"gcs\", \"bucket\": \"data\"}}",
               NULL),
      PAIL_OK);
  setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/adc.json", 1);
  expect_refused("{\"storage\": {\"type\": \"gcs\", \"bucket\": \"data\"}}",
                 PAIL_ERR_NOT_FOUND, "GOOGLE_APPLICATION_CREDENTIALS");
  unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
  /* gcloud's file, an authorized_user. */
  char *dir = NULL, *file = NULL;
  ck_assert_int_ge(asprintf(&dir, "%s/.config", home), 0);
  mkdir(dir, 0700);
  free(dir);
  ck_assert_int_ge(asprintf(&dir, "%s/.config/gcloud", home), 0);
  mkdir(dir, 0700);
  ck_assert_int_ge(
      asprintf(&file, "%s/application_default_credentials.json", dir), 0);
  test_write_file(file, "{\"type\": \"authorized_user\", \"client_id\": "
                        "\"id.apps.googleusercontent.com\", "
                        "\"client_secret\": \"SecretNeverShown\", "
                        "\"refresh_token\": \"1//SecretNeverShown\"}");
  ck_assert_int_eq(
      open_gcs("{\"storage\": {\"type\": \"gcs\", \"bucket\": \"data\"}}",
               NULL),
      PAIL_OK);
  test_write_file(file, "{\"type\": \"authorized_user\"}");
  expect_refused("{\"storage\": {\"type\": \"gcs\", \"bucket\": \"data\"}}",
                 PAIL_ERR_INVALID_ARGUMENT, "refresh_token");
  free(file);
  free(dir);
  free(path);
}
END_TEST

/* ================================================================ JWT */

/* base64url (no padding) decoded into a NUL-ended string. */
static char *base64url_decode(const char *text, size_t n) {
  char *padded = calloc(n + 4, 1);
  for (size_t i = 0; i < n; i++)
    padded[i] = text[i] == '-' ? '+' : text[i] == '_' ? '/' : text[i];
  size_t m = n;
  while (m % 4)
    padded[m++] = '=';
  unsigned char *out = calloc(m, 1);
  size_t length = 0;
  ck_assert_int_eq(crypto_base64_decode(padded, m, out, &length), PAIL_OK);
  free(padded);
  out[length] = '\0';
  return (char *)out;
}

START_TEST(jwt_assertion_has_the_claims_and_verifies_with_the_public_key) {
  gcs_account account;
  char *text = json_dumps(service_account, JSON_COMPACT);
  ck_assert_int_eq(
      gcs_account_parse(text, strlen(text), "test", &account, NULL), PAIL_OK);
  free(text);
  char *jwt = NULL;
  ck_assert_int_eq(gcs_jwt_build(&account, 1700000000, &jwt, NULL), PAIL_OK);
  char *dot1 = strchr(jwt, '.');
  ck_assert_ptr_nonnull(dot1);
  char *dot2 = strchr(dot1 + 1, '.');
  ck_assert_ptr_nonnull(dot2);
  ck_assert_ptr_null(strchr(dot2 + 1, '.'));
  ck_assert_ptr_null(strpbrk(jwt, "+/="));
  char *header = base64url_decode(jwt, (size_t)(dot1 - jwt));
  char *claims = base64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1));
  json_t *h = json_loads(header, 0, NULL), *c = json_loads(claims, 0, NULL);
  ck_assert_ptr_nonnull(h);
  ck_assert_ptr_nonnull(c);
  ck_assert_str_eq(member(h, "alg"), "RS256");
  ck_assert_str_eq(member(h, "typ"), "JWT");
  ck_assert_str_eq(member(h, "kid"), member(service_account, "private_key_id"));
  ck_assert_str_eq(member(c, "iss"), member(service_account, "client_email"));
  ck_assert_str_eq(member(c, "aud"), member(service_account, "token_uri"));
  ck_assert_str_eq(member(c, "scope"), GCS_SCOPE);
  ck_assert_int_eq(json_integer_value(json_object_get(c, "iat")), 1700000000);
  ck_assert_int_eq(json_integer_value(json_object_get(c, "exp")), 1700003600);
  /* The signature, with OpenSSL and the key's public half only. */
  const char *pem = member(service_account, "private_key");
  BIO *bio = BIO_new_mem_buf(pem, -1);
  EVP_PKEY *private_key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
  BIO_free(bio);
  ck_assert_ptr_nonnull(private_key);
  bio = BIO_new(BIO_s_mem());
  ck_assert_int_eq(PEM_write_bio_PUBKEY(bio, private_key), 1);
  EVP_PKEY_free(private_key);
  EVP_PKEY *public_key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
  BIO_free(bio);
  ck_assert_ptr_nonnull(public_key);
  size_t sig_b64 = strlen(dot2 + 1);
  char *padded = calloc(sig_b64 + 4, 1);
  for (size_t i = 0; i < sig_b64; i++)
    padded[i] = dot2[1 + i] == '-'   ? '+'
                : dot2[1 + i] == '_' ? '/'
                                     : dot2[1 + i];
  size_t m = sig_b64;
  while (m % 4)
    padded[m++] = '=';
  unsigned char signature[512];
  size_t signature_length = 0;
  ck_assert_int_eq(
      crypto_base64_decode(padded, m, signature, &signature_length), PAIL_OK);
  free(padded);
  for (int tamper = 0; tamper < 2; tamper++) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    ck_assert_int_eq(
        EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, public_key), 1);
    if (tamper)
      jwt[5] ^= 1;
    int verified =
        EVP_DigestVerify(ctx, signature, signature_length,
                         (const unsigned char *)jwt, (size_t)(dot2 - jwt));
    ck_assert_int_eq(verified, tamper ? 0 : 1);
    EVP_MD_CTX_free(ctx);
  }
  EVP_PKEY_free(public_key);
  json_decref(h);
  json_decref(c);
  free(header);
  free(claims);
  free(jwt);
  gcs_account_clear(&account);
}
END_TEST

static pail_http_response response_of(int status, const char *body) {
  pail_http_response r = {0};
  r.status = status;
  r.body = body ? strdup(body) : NULL;
  r.body_length = body ? strlen(body) : 0;
  return r;
}

START_TEST(token_answers_are_parsed_and_garbage_refused) {
  pail_http_response ok =
      response_of(200, "{\"access_token\": \"ya29.abc\", \"expires_in\": 3599, "
                       "\"token_type\": \"Bearer\"}");
  char *token = NULL;
  int64_t expires_in = 0;
  ck_assert_int_eq(gcs_token_parse(&ok, &token, &expires_in, NULL), PAIL_OK);
  ck_assert_str_eq(token, "ya29.abc");
  ck_assert_int_eq(expires_in, 3599);
  free(token);
  free(ok.body);
  static const char *const garbage[] = {
      "",
      "null",
      "[]",
      "{}",
      "<html>",
      "{\"access_token\": 5}",
      "{\"access_token\": \"a\"}",
      "{\"access_token\": \"a\", \"expires_in\": -1}",
      "{\"access_token\": \"a b\", \"expires_in\": 60}",
      "{\"access_token\": \"a\\r\\nX: y\", \"expires_in\": 60}",
      "{\"access_token\": \"a\", \"expires_in\": 60, \"token_type\": \"MAC\"}",
      "{\"access_token\": \"a\", \"expires_in\": \"60\"}"};
  for (size_t i = 0; i < sizeof garbage / sizeof *garbage; i++) {
    pail_http_response bad = response_of(200, garbage[i]);
    pail_error *err = NULL;
    ck_assert_msg(gcs_token_parse(&bad, &token, &expires_in, &err) ==
                      PAIL_ERR_IO,
                  "accepted %s", garbage[i]);
    ck_assert_ptr_null(token);
    pail_error_free(err);
    free(bad.body);
  }
}
END_TEST

/* ======================================================== token cache */

/* The core's services with the HTTP exchange and the clock replaced: the
 * token endpoint answers tokens of fake_lifetime seconds (slowly, so that
 * threads pile up behind a refresh), the API answers fake_api_status. The
 * core's credentials cache reads the core's clock: set_now moves both
 * ($PAIL_TEST_NOW), between the threads' runs. */
static pail_core_services fake_services;
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static int fake_token_requests, fake_api_requests;
static int64_t fake_now, fake_lifetime;
static int fake_api_status;
static char fake_last_token[64];

static int64_t fake_clock(int32_t *nsec) {
  if (nsec != NULL)
    *nsec = 0;
  pthread_mutex_lock(&fake_lock);
  int64_t now = fake_now;
  pthread_mutex_unlock(&fake_lock);
  return now;
}

static void set_now(int64_t now) {
  char text[32];
  snprintf(text, sizeof text, "%lld", (long long)now);
  setenv("PAIL_TEST_NOW", text, 1);
  pthread_mutex_lock(&fake_lock);
  fake_now = now;
  pthread_mutex_unlock(&fake_lock);
}

static pail_status fake_exchange(const pail_config *cfg,
                                 const pail_http_request *request,
                                 size_t max_body, pail_http_response *out,
                                 pail_error **err) {
  (void)cfg;
  (void)max_body;
  (void)err;
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&fake_lock);
  if (strstr(request->url, "/token") != NULL) {
    int n = ++fake_token_requests;
    int64_t lifetime = fake_lifetime;
    pthread_mutex_unlock(&fake_lock);
    /* The assertion is a JWT of the account. */
    ck_assert_ptr_nonnull(strstr((const char *)request->body,
                                 "grant_type=urn%3Aietf%3Aparams%3Aoauth%3A"
                                 "grant-type%3Ajwt-bearer&assertion=ey"));
    usleep(20000);
    out->status = 200;
    ck_assert_int_ge(asprintf(&out->body,
                              "{\"access_token\": \"token-%d\", "
                              "\"expires_in\": %lld, \"token_type\": "
                              "\"Bearer\"}",
                              n, (long long)lifetime),
                     0);
    out->body_length = strlen(out->body);
    return PAIL_OK;
  }
  fake_api_requests++;
  for (size_t i = 0; i < request->header_count; i++)
    if (strncmp(request->headers[i], "Authorization: Bearer ", 22) == 0)
      snprintf(fake_last_token, sizeof fake_last_token, "%s",
               request->headers[i] + 22);
  out->status = fake_api_status;
  pthread_mutex_unlock(&fake_lock);
  if (out->status != 200) {
    out->body = strdup("{\"error\": {\"code\": 401, \"message\": \"Invalid "
                       "Credentials\", \"errors\": [{\"reason\": "
                       "\"authError\"}]}}");
    out->body_length = strlen(out->body);
  }
  return PAIL_OK;
}

static gcs_instance *fake_instance(void) {
  fake_services = *pail_core_services_get();
  fake_services.http_exchange = fake_exchange;
  fake_services.now = fake_clock;
  gcs_core = &fake_services;
  fake_token_requests = fake_api_requests = 0;
  set_now(1700000000);
  fake_lifetime = 3600;
  fake_api_status = 200;
  gcs_instance *gcs = calloc(1, sizeof *gcs);
  ck_assert_int_eq(gcs_tokens_open(gcs, NULL), PAIL_OK);
  gcs->bucket = strdup("data");
  gcs->api_base = strdup("https://storage.googleapis.com");
  char *text = json_dumps(service_account, JSON_COMPACT);
  ck_assert_int_eq(
      gcs_account_parse(text, strlen(text), "test", &gcs->account, NULL),
      PAIL_OK);
  free(text);
  gcs->has_account = true;
  return gcs;
}

static void fake_instance_free(gcs_instance *gcs) {
  gcs_account_clear(&gcs->account);
  free(gcs->bucket);
  free(gcs->api_base);
  gcs_core->credentials_cache_free(gcs->tokens);
  free(gcs);
  gcs_core = pail_core_services_get();
  unsetenv("PAIL_TEST_NOW");
}

static void *get_token(void *arg) {
  char *token = NULL;
  ck_assert_int_eq(gcs_token_get(arg, &token, NULL), PAIL_OK);
  return token;
}

START_TEST(threads_share_one_token_and_one_refresh) {
  gcs_instance *gcs = fake_instance();
  pthread_t threads[8];
  for (int round = 0; round < 2; round++) {
    for (size_t i = 0; i < 8; i++)
      ck_assert_int_eq(pthread_create(&threads[i], NULL, get_token, gcs), 0);
    for (size_t i = 0; i < 8; i++) {
      void *token = NULL;
      pthread_join(threads[i], &token);
      /* In the second round the token is due: one thread refreshes it
       * while the others go on with the old one, still good. */
      if (round == 0 || strcmp(token, "token-1") != 0)
        ck_assert_str_eq(token, round == 0 ? "token-1" : "token-2");
      free(token);
    }
    ck_assert_int_eq(fake_token_requests, round + 1);
    if (round == 1) {
      char *fresh = get_token(gcs);
      ck_assert_str_eq(fresh, "token-2");
      free(fresh);
    }
    /* 3600 s tokens are replaced 5 minutes before they expire. */
    set_now(fake_now + 3600 - 300 - 1);
    free(get_token(gcs));
    ck_assert_int_eq(fake_token_requests, round + 1);
    set_now(fake_now + 1);
  }
  fake_instance_free(gcs);
}
END_TEST

START_TEST(short_tokens_are_refreshed_at_half_their_life) {
  gcs_instance *gcs = fake_instance();
  fake_lifetime = 4;
  free(get_token(gcs));
  set_now(fake_now + 1);
  free(get_token(gcs));
  ck_assert_int_eq(fake_token_requests, 1);
  set_now(fake_now + 1);
  free(get_token(gcs));
  ck_assert_int_eq(fake_token_requests, 2);
  fake_instance_free(gcs);
}
END_TEST

START_TEST(a_refused_token_is_replaced_once_then_access_is_denied) {
  gcs_instance *gcs = fake_instance();
  /* A stale invalidation (another thread already refreshed) keeps the
   * current token. */
  char *token = NULL;
  ck_assert_int_eq(gcs_token_get(gcs, &token, NULL), PAIL_OK);
  free(token);
  gcs_token_invalidate(gcs, "token-0");
  free(get_token(gcs));
  ck_assert_int_eq(fake_token_requests, 1);

  pail_request r;
  pail_http_response response = {0};
  ck_assert_int_eq(
      gcs_core->request_init(&r, "GET",
                             strdup("https://storage.googleapis.com/"
                                    "storage/v1/b/data/o/k"),
                             NULL),
      PAIL_OK);
  fake_api_status = 200;
  ck_assert_int_eq(gcs_exchange(gcs, &r, "k", NULL, &response, NULL), PAIL_OK);
  gcs_core->http_response_clear(&response);
  ck_assert_str_eq(fake_last_token, "token-1");
  /* One Authorization header, however often the request is sent. */
  fake_api_status = 401;
  pail_error *err = NULL;
  ck_assert_int_eq(gcs_exchange(gcs, &r, "k", NULL, &response, &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_int_eq(fake_api_requests, 3);
  ck_assert_int_eq(fake_token_requests, 2);
  ck_assert_str_eq(fake_last_token, "token-2");
  size_t authorizations = 0;
  for (size_t i = 0; i < r.header_count; i++)
    authorizations += strncmp(r.headers[i], "Authorization:", 14) == 0;
  ck_assert_uint_eq(authorizations, 1);
  ck_assert_str_eq(pail_error_provider_code(err), "authError");
  pail_error_free(err);
  gcs_core->request_free(&r);
  fake_instance_free(gcs);
}
END_TEST

/* ====================================================== errors, parsers */

static gcs_instance test_instance = {.bucket = "data"};

START_TEST(google_error_bodies_map_to_categories) {
  static const struct {
    int status;
    pail_status category;
    const char *reason;
  } cases[] = {
      {404, PAIL_ERR_NOT_FOUND, "notFound"},
      {401, PAIL_ERR_ACCESS_DENIED, "required"},
      {403, PAIL_ERR_ACCESS_DENIED, "forbidden"},
      {412, PAIL_ERR_CONFLICT, "conditionNotMet"},
      {429, PAIL_ERR_THROTTLED, "rateLimitExceeded"},
      {503, PAIL_ERR_THROTTLED, "backendError"},
      {400, PAIL_ERR_INVALID_ARGUMENT, "invalid"},
      {500, PAIL_ERR_UNAVAILABLE, "backendError"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *body = NULL;
    ck_assert_int_ge(asprintf(&body,
                              "{\"error\": {\"code\": %d, \"message\": "
                              "\"No such object: data/k\\nX\", \"errors\": "
                              "[{\"message\": \"m\", \"domain\": \"global\", "
                              "\"reason\": \"%s\"}]}}",
                              cases[i].status, cases[i].reason),
                     0);
    pail_http_response r = response_of(cases[i].status, body);
    pail_http_header id = {"x-guploader-uploadid", "ADPycdt-42"};
    r.headers = &id;
    r.header_count = 1;
    pail_error *err = NULL;
    ck_assert_int_eq(gcs_response_error(&test_instance, &r, "k", &err),
                     cases[i].category);
    ck_assert_int_eq(pail_error_category(err), cases[i].category);
    ck_assert_str_eq(pail_error_provider_code(err), cases[i].reason);
    ck_assert_int_eq(pail_error_http_status(err), cases[i].status);
    ck_assert_str_eq(pail_error_request_id(err), "ADPycdt-42");
    ck_assert_contains(pail_error_message(err), "No such object: data/k X");
    ck_assert_ptr_null(strchr(pail_error_message(err), '\n'));
    pail_error_free(err);
    free(r.body);
    free(body);
  }
  /* No body (HEAD, a proxy): the status alone. */
  pail_http_response r = response_of(404, NULL);
  pail_error *err = NULL;
  ck_assert_int_eq(gcs_response_error(&test_instance, &r, "k", &err),
                   PAIL_ERR_NOT_FOUND);
  ck_assert_str_eq(pail_error_message(err), "gcs: k: not found");
  ck_assert_int_eq(pail_error_http_status(err), 404);
  pail_error_free(err);
}
END_TEST

START_TEST(listing_pages_are_parsed_filtered_and_sorted) {
  pail_http_response r = response_of(
      200, "{\"kind\": \"storage#objects\", \"nextPageToken\": \"CgNhL2I=\", "
           "\"prefixes\": [\"a/sub/\", \"elsewhere/\"], \"items\": ["
           "{\"name\": \"a/z\", \"size\": \"10\", \"generation\": \"17\", "
           "\"updated\": \"2026-11-25T10:00:00.123Z\", \"contentType\": "
           "\"text/plain\"},"
           "{\"name\": \"a/\", \"size\": \"0\", \"generation\": \"1\"},"
           "{\"name\": \"a//b\", \"size\": \"0\", \"generation\": \"1\"},"
           "{\"name\": \"a/b\", \"size\": \"18446744073709551615\", "
           "\"generation\": \"2\"}]}");
  pail_backend_list_request request = {
      .prefix = "a/", .delimiter = "/", .max_keys = 1000};
  pail_list_page page = {0};
  ck_assert_int_eq(
      gcs_list_parse_page(&test_instance, &request, &r, &page, NULL), PAIL_OK);
  ck_assert_uint_eq(page.count, 3);
  ck_assert_str_eq(page.entries[0].key, "a/b");
  ck_assert_uint_eq(page.entries[0].size, UINT64_MAX);
  ck_assert_str_eq(page.entries[1].key, "a/sub/");
  ck_assert_int_eq(page.entries[1].is_folder, 1);
  ck_assert_str_eq(page.entries[2].key, "a/z");
  ck_assert_str_eq(page.entries[2].etag, "17");
  ck_assert_int_eq(page.entries[2].last_modified_nsec, 123000000);
  ck_assert_str_eq(page.next_page_token, "CgNhL2I=");
  pail_list_page_clear(&page);
  free(r.body);
  static const char *const bad[] = {
      "[]",
      "{\"items\": {}}",
      "{\"items\": [1]}",
      "{\"prefixes\": [1]}",
      "{\"items\": [{\"name\": \"a/x\"}]}",
      "{\"nextPageToken\": 5}",
      ("{\"items\": [{\"name\": \"a/x\", \"size\": \"-1\", "
       "\"generation\": \"1\"}]}")};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    pail_http_response b = response_of(200, bad[i]);
    pail_list_page p = {0};
    pail_error *err = NULL;
    ck_assert_msg(gcs_list_parse_page(&test_instance, &request, &b, &p, &err) ==
                      PAIL_ERR_IO,
                  "accepted %s", bad[i]);
    pail_list_page_clear(&p);
    pail_error_free(err);
    free(b.body);
  }
}
END_TEST

START_TEST(crc32c_is_encoded_as_gcs_does) {
  /* CRC-32C("123456789") = 0xE3069283 (the check value of the
   * Castagnoli polynomial). */
  uint32_t crc = gcs_core->crc32c(0, "123456789", 9);
  ck_assert_uint_eq(crc, 0xE3069283u);
  char text[9];
  gcs_crc32c_encode(crc, text);
  ck_assert_str_eq(text, "4waSgw==");
  uint32_t back = 0;
  ck_assert(gcs_crc32c_decode("4waSgw==", &back));
  ck_assert_uint_eq(back, crc);
  ck_assert(!gcs_crc32c_decode("4waSgw", &back));
  ck_assert(!gcs_crc32c_decode("AAAAAAAAAAA=", &back));
  ck_assert(!gcs_crc32c_decode(NULL, &back));
}
END_TEST

/* ===================================================== gateway uploads */

/* A bucket of the fake exchange: name -> {"generation": "N", "parts":
 * [part numbers, in the order the object holds them]}. Compose checks
 * what GCS checks (1 to 32 sources, each there at its generation) and
 * concatenates; list gives every name under ".pail_uploads/"; delete
 * removes. */
static json_t *fake_bucket;
static int compose_calls, compose_most, next_generation;

static char *url_decoded(const char *from, const char *to) {
  char *out = calloc(1, (size_t)(to - from) + 1);
  size_t n = 0;
  for (const char *c = from; c < to; c++) {
    unsigned value;
    if (*c == '%' && to - c >= 3 && sscanf(c + 1, "%2x", &value) == 1) {
      out[n++] = (char)value;
      c += 2;
    } else {
      out[n++] = *c;
    }
  }
  return out;
}

static void answer_json(pail_http_response *out, int status, json_t *body) {
  out->status = status;
  out->body = json_dumps(body, JSON_COMPACT);
  out->body_length = strlen(out->body);
  json_decref(body);
}

static void answer_object(pail_http_response *out, const char *name) {
  json_t *o = json_object_get(fake_bucket, name);
  answer_json(out, 200,
              json_pack("{s:s, s:s, s:s}", "name", name, "generation",
                        json_string_value(json_object_get(o, "generation")),
                        "size", "1"));
}

static pail_status compose_exchange(const pail_config *cfg,
                                    const pail_http_request *request,
                                    size_t max_body, pail_http_response *out,
                                    pail_error **err) {
  if (strstr(request->url, "/token") != NULL)
    return fake_exchange(cfg, request, max_body, out, err);
  memset(out, 0, sizeof *out);
  const char *path = strstr(request->url, "/storage/v1/b/data/o");
  ck_assert_ptr_nonnull(path);
  path += strlen("/storage/v1/b/data/o");
  const char *compose = strstr(path, "/compose");
  if (strcmp(request->method, "POST") == 0 && compose != NULL) {
    compose_calls++;
    char *destination = url_decoded(path + 1, compose);
    json_t *body = json_loadb(request->body, request->body_length, 0, NULL);
    json_t *sources = json_object_get(body, "sourceObjects");
    size_t count = json_array_size(sources);
    if (count > (size_t)compose_most)
      compose_most = (int)count;
    ck_assert_uint_ge(count, 1);
    ck_assert_uint_le(count, 32);
    json_t *parts = json_array();
    size_t i;
    json_t *source;
    json_array_foreach(sources, i, source) {
      json_t *o = json_object_get(
          fake_bucket, json_string_value(json_object_get(source, "name")));
      if (o == NULL ||
          strcmp(json_string_value(json_object_get(o, "generation")),
                 json_string_value(json_object_get(source, "generation"))) !=
              0) {
        answer_json(out, 404,
                    json_pack("{s:{s:i, s:s, s:[{s:s}]}}", "error", "code", 404,
                              "message", "No such object", "errors", "reason",
                              "notFound"));
        json_decref(parts);
        json_decref(body);
        free(destination);
        return PAIL_OK;
      }
      json_array_extend(parts, json_object_get(o, "parts"));
    }
    char generation[32];
    snprintf(generation, sizeof generation, "%d", ++next_generation);
    json_object_set_new(fake_bucket, destination,
                        json_pack("{s:s, s:o, s:O}", "generation", generation,
                                  "parts", parts, "destination",
                                  json_object_get(body, "destination")));
    answer_object(out, destination);
    json_decref(body);
    free(destination);
    return PAIL_OK;
  }
  if (strcmp(request->method, "GET") == 0 && path[0] == '?') {
    json_t *items = json_array();
    const char *name;
    json_t *o;
    json_object_foreach(fake_bucket, name, o) {
      if (strncmp(name, ".pail_uploads/", 14) == 0)
        json_array_append_new(
            items,
            json_pack("{s:s, s:s, s:s}", "name", name, "generation",
                      json_string_value(json_object_get(o, "generation")),
                      "size", "1"));
    }
    answer_json(out, 200, json_pack("{s:o}", "items", items));
    return PAIL_OK;
  }
  if (strcmp(request->method, "DELETE") == 0 && path[0] == '/') {
    char *name = url_decoded(path + 1, path + strlen(path));
    ck_assert_int_eq(json_object_del(fake_bucket, name), 0);
    free(name);
    out->status = 204;
    return PAIL_OK;
  }
  ck_abort_msg("unexpected request %s %s", request->method, request->url);
  return PAIL_ERR_INTERNAL;
}

/* A fake instance whose bucket holds parts 1 to count of upload tag. */
static gcs_instance *compose_instance(const char *tag, size_t count,
                                      pail_upload_part *parts,
                                      char (*etags)[16]) {
  gcs_instance *gcs = fake_instance();
  fake_services.http_exchange = compose_exchange;
  fake_bucket = json_object();
  compose_calls = compose_most = 0;
  next_generation = 1000000;
  for (size_t n = 1; n <= count; n++) {
    char name[64];
    snprintf(name, sizeof name, ".pail_uploads/gcs-%s-p%05zu", tag, n);
    snprintf(etags[n - 1], sizeof etags[n - 1], "%zu", 500 + n);
    json_object_set_new(
        fake_bucket, name,
        json_pack("{s:s, s:[i]}", "generation", etags[n - 1], "parts", (int)n));
    parts[n - 1].number = (uint32_t)n;
    parts[n - 1].etag = etags[n - 1];
  }
  return gcs;
}

START_TEST(ten_thousand_parts_compose_in_a_tree_of_thirty_twos) {
  enum { COUNT = 10000 };
  static pail_upload_part parts[COUNT];
  static char etags[COUNT][16];
  const char *tag = "0123456789abcdef";
  gcs_instance *gcs = compose_instance(tag, COUNT, parts, etags);
  pail_metadata_entry meta = {.name = "kind", .value = "tree"};
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  options.content_disposition = "attachment";
  options.metadata = &meta;
  options.metadata_count = 1;
  pail_object_info info = {0};
  pail_error *err = NULL;
  ck_assert_int_eq(gcs_upload_complete(gcs, "big.bin", tag, &options, parts,
                                       COUNT, &info, &err),
                   PAIL_OK);
  /* 313 intermediates of 32 (the last of 16), then 10, then the target. */
  ck_assert_int_eq(compose_calls, 313 + 10 + 1);
  ck_assert_int_eq(compose_most, 32);
  json_t *made = json_object_get(fake_bucket, "big.bin");
  ck_assert_ptr_nonnull(made);
  json_t *order = json_object_get(made, "parts");
  ck_assert_uint_eq(json_array_size(order), COUNT);
  for (size_t i = 0; i < COUNT; i++)
    ck_assert_int_eq(json_integer_value(json_array_get(order, i)), (int)i + 1);
  ck_assert_str_eq(info.etag,
                   json_string_value(json_object_get(made, "generation")));
  /* The target's resource is the upload's, its type GCS's default. */
  json_t *destination = json_object_get(made, "destination");
  ck_assert_str_eq(
      json_string_value(json_object_get(destination, "contentDisposition")),
      "attachment");
  ck_assert_str_eq(
      json_string_value(json_object_get(destination, "contentType")),
      "application/octet-stream");
  ck_assert_str_eq(json_string_value(json_object_get(
                       json_object_get(destination, "metadata"), "kind")),
                   "tree");
  /* Parts and intermediates are all deleted: only the target stays. */
  ck_assert_uint_eq(json_object_size(fake_bucket), 1);
  gcs_core->object_info_clear(&info);
  json_decref(fake_bucket);
  fake_instance_free(gcs);
}
END_TEST

START_TEST(a_part_gone_or_replaced_is_a_conflict_and_keeps_the_parts) {
  enum { COUNT = 40 };
  pail_upload_part parts[COUNT];
  char etags[COUNT][16];
  const char *tag = "00000000000000ff";
  gcs_instance *gcs = compose_instance(tag, COUNT, parts, etags);
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  /* Part 35 was sent again: its record names a generation gone. */
  snprintf(etags[34], sizeof etags[34], "%d", 7);
  pail_error *err = NULL;
  ck_assert_int_eq(
      gcs_upload_complete(gcs, "k", tag, &options, parts, COUNT, NULL, &err),
      PAIL_ERR_CONFLICT);
  ck_assert_int_eq(pail_error_http_status(err), 404);
  ck_assert_str_eq(pail_error_provider_code(err), "notFound");
  pail_error_free(err);
  err = NULL;
  ck_assert_ptr_null(json_object_get(fake_bucket, "k"));
  ck_assert_uint_ge(json_object_size(fake_bucket), COUNT);
  /* Ids and part names the backend never made are refused unsent. */
  int calls = compose_calls;
  ck_assert_int_eq(
      gcs_upload_complete(gcs, "k", "../x", &options, parts, COUNT, NULL, &err),
      PAIL_ERR_INVALID_ARGUMENT);
  pail_error_free(err);
  err = NULL;
  snprintf(etags[34], sizeof etags[34], "%s", "W/\"x\"");
  ck_assert_int_eq(
      gcs_upload_complete(gcs, "k", tag, &options, parts, COUNT, NULL, &err),
      PAIL_ERR_INVALID_ARGUMENT);
  pail_error_free(err);
  ck_assert_int_eq(compose_calls, calls);
  /* Abort deletes them all. */
  ck_assert_int_eq(gcs_upload_abort(gcs, "k", tag, NULL), PAIL_OK);
  ck_assert_uint_eq(json_object_size(fake_bucket), 0);
  json_decref(fake_bucket);
  fake_instance_free(gcs);
}
END_TEST

int main(void) {
  Suite *suite = suite_create("gcs");
  TCase *tc = tcase_create("gcs");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, conformance_cases_sign_exactly_through_the_signer);
  tcase_add_test(tc, conformance_cases_sign_exactly_through_the_library);
  tcase_add_test(tc, hmac_keys_sign_with_goog4_hmac_sha256);
  tcase_add_test(tc, signing_refuses_bad_expiry_host_header_and_no_key);
  tcase_add_test(tc, bucket_names_gcs_forbids_are_refused);
  tcase_add_test(tc, endpoint_and_chunk_size_are_checked);
  tcase_add_test(
      tc, keys_that_are_not_json_or_lack_a_usable_private_key_are_refused);
  tcase_add_test(tc, no_credentials_names_every_source_tried);
  tcase_add_test(tc, application_default_credentials_are_found);
  tcase_add_test(tc,
                 jwt_assertion_has_the_claims_and_verifies_with_the_public_key);
  tcase_add_test(tc, token_answers_are_parsed_and_garbage_refused);
  tcase_add_test(tc, threads_share_one_token_and_one_refresh);
  tcase_add_test(tc, short_tokens_are_refreshed_at_half_their_life);
  tcase_add_test(tc, a_refused_token_is_replaced_once_then_access_is_denied);
  tcase_add_test(tc, google_error_bodies_map_to_categories);
  tcase_add_test(tc, listing_pages_are_parsed_filtered_and_sorted);
  tcase_add_test(tc, crc32c_is_encoded_as_gcs_does);
  tcase_add_test(tc, ten_thousand_parts_compose_in_a_tree_of_thirty_twos);
  tcase_add_test(tc, a_part_gone_or_replaced_is_a_conflict_and_keeps_the_parts);
  suite_add_tcase(suite, tc);
  return test_run_suite(suite);
}
