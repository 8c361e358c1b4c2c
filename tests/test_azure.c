/*
 * test_azure.c: the Azure Blob backend without a server. SharedKey
 * canonicalization against the examples of Microsoft's "Authorize with
 * Shared Key" page and against signatures the Azure SDK for JavaScript
 * (@azure/storage-blob 12.32) computed for the same requests; service SAS
 * signatures against the SDK's generateBlobSASQueryParameters; and the
 * settings: account and container names Azure forbids, keys that are not
 * base64, SAS tokens without sig, connection strings and the environment,
 * the error naming every source tried, and no secret in any message.
 * Requests against a real server are tested by tests/azure_cli.sh against
 * Azurite.
 */
#include "azure.h"
#include "internal.h"
#include "testutil.h"

#include <unistd.h>

/* The SDK vectors' account key (Azurite's published one). */
#define KEY                                                                    \
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr"  \
  "/KBHBeksoGMGw=="
#define DATE "x-ms-date: Fri, 27 Nov 2026 10:00:00 GMT"

static unsigned char key[96]; /* base64_decode may write 66 bytes */
static size_t key_length;
static char *home;

static void setup(void) {
  static const char *const variables[] = {"AZURE_STORAGE_CONNECTION_STRING",
                                          "AZURE_STORAGE_ACCOUNT",
                                          "AZURE_STORAGE_ACCOUNT_NAME",
                                          "AZURE_STORAGE_KEY",
                                          "AZURE_STORAGE_ACCESS_KEY",
                                          "AZURE_STORAGE_SAS_TOKEN",
                                          "PAIL_PLUGIN_PATH"};
  for (size_t i = 0; i < sizeof variables / sizeof *variables; i++)
    unsetenv(variables[i]);
  home = test_tempdir();
  setenv("HOME", home, 1);
  azure_core = pail_core_services_get();
  ck_assert_int_eq(
      azure_core->base64_decode(KEY, strlen(KEY), key, &key_length), PAIL_OK);
}

static void teardown(void) {
  test_tempdir_remove(home);
  home = NULL;
}

/* ------------------------------------------------------------ SharedKey */

/* The signature of a request as azure_request_sign computes it. */
static char *signature_of(const char *method, const char *url,
                          const char *const *headers, size_t count,
                          size_t length) {
  char *text =
      azure_shared_key_string(method, "myaccount", url, headers, count, length);
  ck_assert_ptr_nonnull(text);
  static char out[45];
  azure_hmac_base64(key, key_length, text, out);
  free(text);
  return out;
}

START_TEST(canonical_resource_matches_microsoft_examples) {
  /* "Constructing the canonicalized resource string", 2009-09-19 and
   * later: parameters sorted by name, a repeated one's values sorted and
   * joined by commas. */
  const char *headers[] = {DATE, "x-ms-version: 2024-11-04"};
  char *text = azure_shared_key_string(
      "GET", "myaccount",
      "https://myaccount.blob.core.windows.net/mycontainer?restype=container"
      "&comp=metadata",
      headers, 2, 0);
  ck_assert_str_eq(text, "GET\n\n\n\n\n\n\n\n\n\n\n\n"
                         "x-ms-date:Fri, 27 Nov 2026 10:00:00 GMT\n"
                         "x-ms-version:2024-11-04\n"
                         "/myaccount/mycontainer\ncomp:metadata\n"
                         "restype:container");
  free(text);
  text = azure_shared_key_string(
      "GET", "myaccount",
      "https://myaccount.blob.core.windows.net/mycontainer?restype=container"
      "&comp=list&include=snapshots&include=metadata&include="
      "uncommittedblobs",
      headers, 2, 0);
  ck_assert_contains(text, "\n/myaccount/mycontainer\ncomp:list\ninclude:"
                           "metadata,snapshots,uncommittedblobs\nrestype:"
                           "container");
  free(text);
}
END_TEST

START_TEST(string_to_sign_has_the_standard_lines_in_order) {
  const char *headers[] = {"Content-Type: application/xml",
                           "If-None-Match: *",
                           "If-Match: \"etag\"",
                           "Content-MD5: md5==",
                           "Content-Encoding: gzip",
                           "Content-Language: en",
                           "Range: bytes=0-1",
                           "X-MS-Version:   2024-11-04  ",
                           DATE};
  char *text = azure_shared_key_string(
      "PUT", "acct", "http://127.0.0.1:10000/acct/c/k?comp=block", headers,
      sizeof headers / sizeof *headers, 12);
  ck_assert_str_eq(text, "PUT\ngzip\nen\n12\nmd5==\napplication/xml\n\n\n"
                         "\"etag\"\n*\n\nbytes=0-1\n"
                         "x-ms-date:Fri, 27 Nov 2026 10:00:00 GMT\n"
                         "x-ms-version:2024-11-04\n"
                         "/acct/acct/c/k\ncomp:block");
  free(text);
}
END_TEST

START_TEST(zero_content_length_signs_an_empty_line) {
  const char *headers[] = {DATE, "x-ms-version: 2024-11-04"};
  char *text = azure_shared_key_string(
      "PUT", "a", "https://a.blob.core.windows.net/c?restype=container",
      headers, 2, 0);
  ck_assert(strncmp(text, "PUT\n\n\n\n", 7) == 0);
  free(text);
}
END_TEST

START_TEST(shared_key_signatures_match_the_azure_sdk) {
  static const struct {
    const char *name, *method, *url;
    const char *headers[8];
    size_t length;
    const char *want;
  } vectors[] = {
      {"list",
       "GET",
       "https://myaccount.blob.core.windows.net/mycontainer?restype=container"
       "&comp=list&maxresults=2&prefix=a%20b%2F&delimiter=%2F&marker=2%21A"
       "%3D",
       {"x-ms-version: 2024-11-04", DATE},
       0,
       "WQACQlc/xiFYQesYejytaMnlbzyewIIMTNYIFw6iXmo="},
      {"put_blob",
       "PUT",
       "https://myaccount.blob.core.windows.net/mycontainer/dir/"
       "hello%20world.txt",
       {"x-ms-version: 2024-11-04", "x-ms-blob-type: BlockBlob",
        "x-ms-blob-content-type: text/plain; charset=utf-8",
        "x-ms-meta-zeta: last", "x-ms-meta-a1: digit",
        "x-ms-meta-a_b: underscore", "If-None-Match: *", DATE},
       11,
       "hCEwp+33YT89bsnqkhh4V2+Ak2Qdi2/UWAbehyRKb9Y="},
      {"put_empty",
       "PUT",
       "http://127.0.0.1:10000/devstoreaccount1/c/empty",
       {"x-ms-version: 2024-11-04", "x-ms-blob-type: BlockBlob", DATE},
       0,
       "vGBOBNxd4fLPw9O6pNQApFhpA91ytrODFmPt+xLlNs8="},
      {"head_azurite",
       "HEAD",
       "http://127.0.0.1:10000/devstoreaccount1/c/"
       "key%20with%20space%2B%25%C3%BC.txt",
       {"x-ms-version: 2024-11-04", "If-Match: \"0x8D9A1B2C3D4E5F6\"", DATE},
       0,
       "kmSjoLL8tE6cxYRWkx+dsaPZf5bkmyjgCgUf4bvds3I="},
      {"put_block",
       "PUT",
       "https://myaccount.blob.core.windows.net/mycontainer/big.bin?comp="
       "block&blockid=cGFpbC0wMDAwMQ%3D%3D",
       {"x-ms-version: 2024-11-04", DATE},
       1024,
       "p3aCest+1/TCDwAUamEd1sOx8wzkY0DyWyxK5Gx6KxM="},
      {"blocklist",
       "PUT",
       "https://myaccount.blob.core.windows.net/mycontainer/big.bin?comp="
       "blocklist",
       {"x-ms-version: 2024-11-04", "Content-Type: application/xml",
        "x-ms-blob-content-disposition: attachment; filename=\"a b.bin\"",
        DATE},
       12,
       "RM9XINsk366p8lmynmf3KvcNaMbg/xgWyB9ExfZAunk="},
      {"container",
       "PUT",
       "https://myaccount.blob.core.windows.net/mycontainer?restype="
       "container",
       {"x-ms-version: 2024-11-04", DATE},
       0,
       "aLGmi+R3RcU+svwfg5WLtduiCR+ZmsRmtPLLzNCKMWE="},
      {"get_range",
       "GET",
       "https://myaccount.blob.core.windows.net/mycontainer/a.bin",
       {"x-ms-version: 2024-11-04", "x-ms-range: bytes=5-9", DATE},
       0,
       "fcAMH+4OxP18RYPDQNjH0luFTr2KGabujSEz1ELnDAw="},
  };
  for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++) {
    size_t count = 0;
    while (count < 8 && vectors[i].headers[count] != NULL)
      count++;
    const char *got =
        signature_of(vectors[i].method, vectors[i].url, vectors[i].headers,
                     count, vectors[i].length);
    ck_assert_msg(strcmp(got, vectors[i].want) == 0,
                  "%s: signature %s, the SDK's %s", vectors[i].name, got,
                  vectors[i].want);
  }
}
END_TEST

START_TEST(header_order_ignores_hyphens_and_puts_underscore_first) {
  /* The service's order: x-ms-meta-a_b, x-ms-meta-a1, x-ms-meta-zeta
   * (byte order would put a1 before a_b). */
  const char *headers[] = {"x-ms-meta-zeta: 3", "x-ms-meta-a1: 2",
                           "x-ms-meta-a_b: 1"};
  char *text = azure_shared_key_string(
      "GET", "a", "https://a.blob.core.windows.net/c/k", headers, 3, 0);
  ck_assert_contains(text, "x-ms-meta-a_b:1\nx-ms-meta-a1:2\n"
                           "x-ms-meta-zeta:3\n/a/c/k");
  free(text);
}
END_TEST

/* ------------------------------------------------------------------ SAS */

START_TEST(service_sas_signatures_match_the_azure_sdk) {
  azure_sas_fields get = {.permissions = "r",
                          .start = "2026-11-27T10:00:00Z",
                          .expiry = "2026-11-27T11:00:00Z",
                          .account = "myaccount",
                          .container = "mycontainer",
                          .blob = "dir/hello world.txt",
                          .protocol = "https,http",
                          .version = "2024-11-04"};
  char out[45];
  char *text = azure_sas_string(&get);
  azure_hmac_base64(key, key_length, text, out);
  ck_assert_str_eq(out, "Uuyc7smo2Y+TkNIhnZ0ZQ0y6FGv3VB+vSg/tRca4+Fk=");
  free(text);

  azure_sas_fields put = get;
  put.permissions = "cw";
  put.blob = "a+b%c?d#e \xc3\xbc.bin"; /* signed as is, not encoded */
  text = azure_sas_string(&put);
  azure_hmac_base64(key, key_length, text, out);
  ck_assert_str_eq(out, "VFlqC9VPZrIKwQYyBXueQiOmIGMR5IBI4cQQ8N8IuUU=");
  free(text);

  azure_sas_fields overrides = get;
  overrides.blob = "report.csv";
  overrides.content_disposition = "attachment; filename=r.csv";
  overrides.content_type = "text/csv";
  text = azure_sas_string(&overrides);
  azure_hmac_base64(key, key_length, text, out);
  ck_assert_str_eq(out, "M+TO98GYxV3jUbuao5q8edDge81/A0kI0R4BHxw/0m0=");
  free(text);
}
END_TEST

START_TEST(dates_are_formatted_as_the_service_wants) {
  char out[64];
  azure_http_date(1795773600, out); /* 2026-11-27T10:00:00Z */
  ck_assert_str_eq(out, "Fri, 27 Nov 2026 10:00:00 GMT");
  azure_iso_date(1795773600, out);
  ck_assert_str_eq(out, "2026-11-27T10:00:00Z");
}
END_TEST

/* ----------------------------------------------------------- Blob Batch */

START_TEST(batch_answers_give_each_key_its_result) {
  /* The shape of the answer in Microsoft's "Blob Batch" page: one
   * application/http part per sub-request, by Content-ID. */
  static const char body[] =
      "--batchresponse_66925647-d0cb-4109-b6d3-28efe3e1e5ed\r\n"
      "Content-Type: application/http\r\nContent-ID: 0\r\n\r\n"
      "HTTP/1.1 202 Accepted\r\nx-ms-delete-type-permanent: true\r\n"
      "x-ms-request-id: 778fdc83-801e-0000-62ff-0334671e284f\r\n"
      "x-ms-version: 2018-11-09\r\n\r\n"
      "--batchresponse_66925647-d0cb-4109-b6d3-28efe3e1e5ed\r\n"
      "Content-Type: application/http\r\nContent-ID: 2\r\n\r\n"
      "HTTP/1.1 404 The specified blob does not exist.\r\n"
      "x-ms-error-code: BlobNotFound\r\n"
      "x-ms-request-id: 778fdc83-801e-0000-62ff-0334671e2852\r\n"
      "x-ms-version: 2018-11-09\r\nContent-Length: 216\r\n"
      "Content-Type: application/xml\r\n\r\n"
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Error><Code>BlobNotFound"
      "</Code><Message>The specified blob does not exist.\nRequestId:778fdc"
      "83-801e-0000-62ff-0334671e2852\nTime:2018-06-14T16:46:54.6040685Z"
      "</Message></Error>\r\n"
      "--batchresponse_66925647-d0cb-4109-b6d3-28efe3e1e5ed\r\n"
      "Content-Type: application/http\r\nContent-ID: 1\r\n\r\n"
      "HTTP/1.1 202 Accepted\r\n\r\n"
      "--batchresponse_66925647-d0cb-4109-b6d3-28efe3e1e5ed--\r\n";
  pail_http_header headers[] = {
      {(char *)"content-type",
       (char *)"multipart/mixed; "
               "boundary=batchresponse_66925647-d0cb-4109-b6d3-28efe3e1e5ed"}};
  pail_http_response response = {.status = 202,
                                 .headers = headers,
                                 .header_count = 1,
                                 .body = (char *)body,
                                 .body_length = sizeof body - 1};
  azure_instance az = {.container = (char *)"c", .account = (char *)"a"};
  const char *const keys[] = {"k0", "k1", "k2", "k3"};
  pail_status results[4] = {0};
  pail_error *errors[4] = {0};
  pail_error *err = NULL;
  ck_assert_int_eq(
      azure_batch_read_result(&az, &response, keys, 4, results, errors, &err),
      PAIL_OK);
  ck_assert_int_eq(results[0], PAIL_OK);
  ck_assert_int_eq(results[1], PAIL_OK);
  ck_assert_int_eq(results[2], PAIL_ERR_NOT_FOUND);
  ck_assert_str_eq(pail_error_provider_code(errors[2]), "BlobNotFound");
  ck_assert_str_eq(pail_error_request_id(errors[2]),
                   "778fdc83-801e-0000-62ff-0334671e2852");
  ck_assert_str_eq(pail_error_message(errors[2]),
                   "azure_blob: k2: The specified blob does not exist.");
  /* A key the answer leaves out is a failure, not a success. */
  ck_assert_int_eq(results[3], PAIL_ERR_IO);
  ck_assert_contains(pail_error_message(errors[3]), "k3");
  for (size_t i = 0; i < 4; i++)
    pail_error_free(errors[i]);
}
END_TEST

START_TEST(error_messages_never_quote_the_sas_token) {
  static const char body[] =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>"
      "CannotVerifyCopySource</Code><Message>Could not verify the copy "
      "source http://h/a/c/k?sv=2024-11-04&amp;sp=r&amp;sig=SecretSig%3D, "
      "and sig SecretSig%3D again\nRequestId:1\nTime:x</Message></Error>";
  pail_http_response response = {
      .status = 404, .body = (char *)body, .body_length = sizeof body - 1};
  azure_instance az = {.container = (char *)"c",
                       .account = (char *)"a",
                       .sas = (char *)"sv=2024-11-04&sp=r&sig=SecretSig%3D"};
  pail_error *err = NULL;
  ck_assert_int_eq(azure_response_error(&az, &response, "k", &err),
                   PAIL_ERR_NOT_FOUND);
  ck_assert_str_eq(pail_error_message(err),
                   "azure_blob: k: Could not verify the copy source "
                   "http://h/a/c/k?***, and sig *** again");
  ck_assert_str_eq(pail_error_provider_code(err), "CannotVerifyCopySource");
  pail_error_free(err);
}
END_TEST

/* libxml2 reports some encoding errors through its generic handler
 * (stderr) even when asked not to: a server's body must never print into
 * the host program's terminal. */
START_TEST(a_body_with_an_encoding_error_prints_nothing) {
  static const char body[] =
      "<?xml version=\"1.0\" encoding=\"ISO-2022-JP\"?><Error><Code>"
      "\x1b$B</Code></Error>";
  pail_http_response response = {
      .status = 500, .body = (char *)body, .body_length = sizeof body - 1};
  azure_instance az = {.container = (char *)"c", .account = (char *)"a"};
  FILE *captured = tmpfile();
  ck_assert_ptr_nonnull(captured);
  fflush(stderr);
  int saved = dup(2);
  ck_assert_int_ge(saved, 0);
  ck_assert_int_eq(dup2(fileno(captured), 2), 2);
  pail_error *err = NULL;
  pail_status status = azure_response_error(&az, &response, "k", &err);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  ck_assert_int_ne(status, PAIL_OK);
  pail_error_free(err);
  ck_assert_int_eq(fseek(captured, 0, SEEK_END), 0);
  ck_assert_int_eq(ftell(captured), 0);
  fclose(captured);
}
END_TEST

/* ------------------------------------------------------------ Copy Blob */

/* A service for azure_copy: the source exists; the copy answers "pending";
 * the destination's copy status then goes through copy_states. */
static const char *const *copy_states;
static int copy_heads; /* HEADs of the destination */
static pail_core_services copy_services;

static void add_header(pail_http_response *out, const char *name,
                       const char *value) {
  out->headers =
      realloc(out->headers, (out->header_count + 1) * sizeof *out->headers);
  ck_assert_ptr_nonnull(out->headers);
  out->headers[out->header_count].name = strdup(name);
  out->headers[out->header_count].value = strdup(value);
  out->header_count++;
}

static pail_status copy_exchange(const pail_config *cfg,
                                 const pail_http_request *request,
                                 size_t max_body, pail_http_response *out,
                                 pail_error **err) {
  (void)cfg;
  (void)max_body;
  (void)err;
  memset(out, 0, sizeof *out);
  out->status = 200;
  add_header(out, "x-ms-request-id", "fake-request");
  const char *path = strstr(request->url, "/acct/c/");
  ck_assert_ptr_nonnull(path);
  if (strcmp(request->method, "HEAD") == 0 &&
      strcmp(path, "/acct/c/src") == 0) {
    add_header(out, "content-length", "10");
    add_header(out, "content-type", "text/plain");
  } else if (strcmp(request->method, "PUT") == 0) {
    ck_assert_str_eq(path, "/acct/c/dst");
    bool has_source = false;
    for (size_t i = 0; i < request->header_count; i++)
      has_source |= strcmp(request->headers[i],
                           "x-ms-copy-source: http://127.0.0.1:1/acct/c/"
                           "src") == 0;
    ck_assert_msg(has_source, "Copy Blob without x-ms-copy-source");
    out->status = 202;
    add_header(out, "x-ms-copy-id", "copy-1");
    add_header(out, "x-ms-copy-status", "pending");
  } else {
    ck_assert_str_eq(path, "/acct/c/dst");
    const char *state = copy_states[copy_heads++];
    ck_assert_ptr_nonnull(state);
    add_header(out, "x-ms-copy-id",
               strcmp(state, "other") == 0 ? "copy-2" : "copy-1");
    add_header(out, "x-ms-copy-status",
               strcmp(state, "other") == 0 ? "pending" : state);
    add_header(out, "x-ms-copy-progress", "5/10");
    if (strcmp(state, "failed") == 0)
      add_header(out, "x-ms-copy-status-description",
                 "500 InternalError Copy failed.");
  }
  return PAIL_OK;
}

static pail_status copy_with_states(const char *const *states,
                                    pail_error **err) {
  copy_services = *pail_core_services_get();
  copy_services.http_exchange = copy_exchange;
  azure_core = &copy_services;
  copy_states = states;
  copy_heads = 0;
  azure_instance az = {.account = (char *)"acct",
                       .container = (char *)"c",
                       .origin = (char *)"http://127.0.0.1:1",
                       .path_prefix = (char *)"/acct",
                       .key_length = 32};
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  pail_status status = azure_copy(&az, "src", "dst", &options, err);
  azure_core = pail_core_services_get();
  return status;
}

START_TEST(a_pending_copy_is_waited_for) {
  const char *const states[] = {"pending", "pending", "success", NULL};
  pail_error *err = NULL;
  ck_assert_int_eq(copy_with_states(states, &err), PAIL_OK);
  ck_assert_int_eq(copy_heads, 3);
}
END_TEST

START_TEST(a_pending_copy_that_fails_is_an_error) {
  const char *const states[] = {"pending", "failed", NULL};
  pail_error *err = NULL;
  ck_assert_int_eq(copy_with_states(states, &err), PAIL_ERR_IO);
  ck_assert_contains(pail_error_message(err), "failed: 500 InternalError");
  pail_error_free(err);
  const char *const other[] = {"other", NULL};
  err = NULL;
  ck_assert_int_eq(copy_with_states(other, &err), PAIL_ERR_CONFLICT);
  ck_assert_contains(pail_error_message(err), "another copy");
  pail_error_free(err);
}
END_TEST

/* ------------------------------------------------------------ settings */

/* Opens the primary storage of settings `json`; returns its status and,
 * through message (when not NULL), a copy of the error message. */
static pail_status open_azure(const char *json, char **message) {
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

static void expect_refused(const char *json, pail_status want,
                           const char *needle) {
  char *message = NULL;
  ck_assert_int_eq(open_azure(json, &message), want);
  ck_assert_contains(message, needle);
  /* Whatever went wrong, no secret is in the message. */
  ck_assert_msg(strstr(message, "Eby8vdM02x") == NULL &&
                    strstr(message, "SecretSig") == NULL &&
                    strstr(message, "bm90IGEga2V5") == NULL,
                "secret in \"%s\"", message);
  free(message);
}

#define LOCAL                                                                  \
  "\"type\": \"azure_blob\", \"endpoint\": \"127.0.0.1:9\", \"useSSL\": false"

START_TEST(account_and_container_names_azure_forbids_are_refused) {
  static const char *const bad_accounts[] = {"ab", "UpperCase", "with-dash",
                                             "a234567890123456789012345",
                                             "under_score"};
  for (size_t i = 0; i < sizeof bad_accounts / sizeof *bad_accounts; i++) {
    char *json = NULL;
    ck_assert_int_ge(asprintf(&json,
                              "{\"storage\": {" LOCAL ", \"accountName\": "
                              "\"%s\", \"containerName\": \"data\", "
                              "\"accessKey\": \"" KEY "\"}}",
                              bad_accounts[i]),
                     0);
    expect_refused(json, PAIL_ERR_INVALID_ARGUMENT, "invalid account name");
    free(json);
  }
  static const char *const bad_containers[] = {
      "ab",
      "Upper",
      "-abc",
      "abc-",
      "a--b",
      "under_score",
      "with.dot",
      "a234567890123456789012345678901234567890123456789012345678901234"};
  for (size_t i = 0; i < sizeof bad_containers / sizeof *bad_containers; i++) {
    char *json = NULL;
    ck_assert_int_ge(asprintf(&json,
                              "{\"storage\": {" LOCAL ", \"accountName\": "
                              "\"acct\", \"containerName\": \"%s\", "
                              "\"accessKey\": \"" KEY "\"}}",
                              bad_containers[i]),
                     0);
    expect_refused(json, PAIL_ERR_INVALID_ARGUMENT, "invalid container name");
    free(json);
  }
  ck_assert_int_eq(open_azure("{\"storage\": {" LOCAL ", \"accountName\": "
                              "\"acct01\", \"containerName\": \"my-data-01\","
                              " \"accessKey\": \"" KEY "\"}}",
                              NULL),
                   PAIL_OK);
  ck_assert_int_eq(open_azure("{\"storage\": {" LOCAL ", \"accountName\": "
                              "\"acct01\", \"containerName\": \"$root\","
                              " \"accessKey\": \"" KEY "\"}}",
                              NULL),
                   PAIL_OK);
}
END_TEST

START_TEST(an_account_key_that_is_not_base64_is_refused_unquoted) {
  /* The last: 88 characters without padding, 66 bytes, more than the 64
   * of an account key. */
  static const char *const bad[] = {
      "not base64!", "bm90IGEga2V5*", "abc", "bm90IGEga2V5\n",
      ("QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
       "QUFBQUFBQUFBQUFBQUFB")};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char *json = NULL;
    ck_assert_int_ge(asprintf(&json,
                              "{\"storage\": {" LOCAL ", \"accountName\": "
                              "\"acct\", \"containerName\": \"data\", "
                              "\"accessKey\": \"%s\"}}",
                              i == 3 ? "bm90IGEga2V5\\n" : bad[i]),
                     0);
    expect_refused(json, PAIL_ERR_INVALID_ARGUMENT, "is not base64");
    free(json);
  }
  setenv("AZURE_STORAGE_KEY", "bm90IGEga2V5!", 1);
  expect_refused("{\"storage\": {" LOCAL ", \"accountName\": \"acct\", "
                 "\"containerName\": \"data\"}}",
                 PAIL_ERR_INVALID_ARGUMENT, "AZURE_STORAGE_KEY");
}
END_TEST

START_TEST(a_sas_token_without_sig_is_refused) {
  expect_refused("{\"storage\": {" LOCAL ", \"accountName\": \"acct\", "
                 "\"containerName\": \"data\", \"sasToken\": "
                 "\"sv=2024-11-04&sp=r&se=2030-01-01\"}}",
                 PAIL_ERR_INVALID_ARGUMENT, "no sig parameter");
  expect_refused("{\"storage\": {" LOCAL ", \"accountName\": \"acct\", "
                 "\"containerName\": \"data\", \"sasToken\": "
                 "\"sv=2024 11&sig=SecretSig\"}}",
                 PAIL_ERR_INVALID_ARGUMENT, "character");
  expect_refused("{\"storage\": {" LOCAL ", \"accountName\": \"acct\", "
                 "\"containerName\": \"data\", \"sasToken\": "
                 "\"sv=1&sig=SecretSig\", \"accessKey\": \"" KEY "\"}}",
                 PAIL_ERR_INVALID_ARGUMENT, "choose one");
  ck_assert_int_eq(open_azure("{\"storage\": {" LOCAL ", \"accountName\": "
                              "\"acct\", \"containerName\": \"data\", "
                              "\"sasToken\": \"?sv=2024-11-04&sp=r&sig="
                              "SecretSig%3D\"}}",
                              NULL),
                   PAIL_OK);
}
END_TEST

/* Opens a storage, then reaches it (pail_workspace_probe_storage). */
static pail_status probe_azure(const char *json, char **message) {
  pail_workspace *ws = NULL;
  pail_error *err = NULL;
  pail_status status = pail_workspace_open_json(json, NULL, &ws, &err);
  if (status == PAIL_OK)
    status = pail_workspace_probe_storage(ws, NULL, &err);
  *message = err ? strdup(pail_error_message(err)) : NULL;
  pail_error_free(err);
  pail_workspace_close(ws);
  return status;
}

/* Nothing but a managed identity to try, and no instance metadata (a
 * closed loopback port): the storage opens, and reaching it is access
 * denied, naming every source tried. */
START_TEST(no_credentials_names_every_source_tried) {
  char *message = NULL;
  setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:1", 1);
  ck_assert_int_eq(open_azure("{\"storage\": {" LOCAL ", \"accountName\": "
                              "\"acct\", \"containerName\": \"data\"}}",
                              NULL),
                   PAIL_OK);
  ck_assert_int_eq(probe_azure("{\"storage\": {" LOCAL ", \"accountName\": "
                               "\"acct\", \"containerName\": \"data\"}}",
                               &message),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(message, "no managed identity answered at "
                              "http://127.0.0.1:1/metadata/identity");
  static const char *const sources[] = {"accessKey",
                                        "sasToken",
                                        "connectionString",
                                        "AZURE_STORAGE_CONNECTION_STRING",
                                        "AZURE_STORAGE_KEY",
                                        "AZURE_STORAGE_ACCESS_KEY",
                                        "AZURE_STORAGE_SAS_TOKEN"};
  for (size_t i = 0; i < sizeof sources / sizeof *sources; i++)
    ck_assert_contains(message, sources[i]);
  free(message);
  ck_assert_int_eq(open_azure("{\"storage\": {" LOCAL ", \"containerName\": "
                              "\"data\", \"accessKey\": \"" KEY "\"}}",
                              &message),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(message, "AZURE_STORAGE_ACCOUNT");
  ck_assert_contains(message, "accountName");
  free(message);
}
END_TEST

START_TEST(connection_strings_and_the_environment_supply_credentials) {
  const char *json = "{\"storage\": {\"type\": \"azure_blob\", "
                     "\"containerName\": \"data\"}}";
  setenv("AZURE_STORAGE_CONNECTION_STRING",
         "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
         "AccountKey=" KEY ";BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;",
         1);
  ck_assert_int_eq(open_azure(json, NULL), PAIL_OK);
  setenv("AZURE_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true", 1);
  ck_assert_int_eq(open_azure(json, NULL), PAIL_OK);
  setenv("AZURE_STORAGE_CONNECTION_STRING", "AccountName=acct;AccountKey", 1);
  expect_refused(json, PAIL_ERR_INVALID_ARGUMENT, "not a connection string");
  setenv("AZURE_STORAGE_CONNECTION_STRING",
         "AccountName=acct;AccountKey=" KEY ";BlobEndpoint=ftp://x", 1);
  expect_refused(json, PAIL_ERR_INVALID_ARGUMENT, "BlobEndpoint");
  unsetenv("AZURE_STORAGE_CONNECTION_STRING");
  setenv("AZURE_STORAGE_ACCOUNT", "acct", 1);
  setenv("AZURE_STORAGE_ACCESS_KEY", KEY, 1);
  ck_assert_int_eq(open_azure(json, NULL), PAIL_OK);
  unsetenv("AZURE_STORAGE_ACCESS_KEY");
  setenv("AZURE_STORAGE_SAS_TOKEN", "sp=r&sig=SecretSig", 1);
  ck_assert_int_eq(open_azure(json, NULL), PAIL_OK);
  /* A connection string in the settings wins over the environment, and
   * its errors never quote it. */
  expect_refused("{\"storage\": {\"type\": \"azure_blob\", \"containerName\": "
                 "\"data\", \"connectionString\": \"AccountName=acct;"
                 "AccountKey=bm90IGEga2V5!\"}}",
                 PAIL_ERR_INVALID_ARGUMENT, "connectionString");
}
END_TEST

START_TEST(endpoint_forms_are_checked) {
  expect_refused("{\"storage\": {\"type\": \"azure_blob\", \"endpoint\": "
                 "\"http://127.0.0.1:10000\", \"accountName\": \"acct\", "
                 "\"containerName\": \"data\", \"accessKey\": \"" KEY "\"}}",
                 PAIL_ERR_INVALID_ARGUMENT, "without a scheme");
  expect_refused("{\"storage\": {\"type\": \"azure_blob\", \"endpoint\": "
                 "\"127.0.0.1:10000/acct\", \"accountName\": \"acct\", "
                 "\"containerName\": \"data\", \"accessKey\": \"" KEY "\"}}",
                 PAIL_ERR_INVALID_ARGUMENT, "without a path");
  expect_refused("{\"storage\": {\"type\": \"azure_blob\", \"endpoint\": "
                 "\"127.0.0.1:0\", \"accountName\": \"acct\", "
                 "\"containerName\": \"data\", \"accessKey\": \"" KEY "\"}}",
                 PAIL_ERR_INVALID_ARGUMENT, "port");
  expect_refused("{\"storage\": {" LOCAL ", \"accountName\": \"acct\", "
                 "\"containerName\": \"data\", \"accessKey\": \"" KEY "\", "
                 "\"blockSize\": 1000}}",
                 PAIL_ERR_INVALID_ARGUMENT, "blockSize");
  expect_refused("{\"storage\": {" LOCAL ", \"accountName\": \"acct\", "
                 "\"containerName\": \"data\", \"accessKey\": \"" KEY "\", "
                 "\"containerNmae\": \"x\"}}",
                 PAIL_ERR_INVALID_ARGUMENT, "containerNmae");
}
END_TEST

int main(void) {
  Suite *suite = suite_create("azure");
  TCase *tc = tcase_create("signing");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, canonical_resource_matches_microsoft_examples);
  tcase_add_test(tc, string_to_sign_has_the_standard_lines_in_order);
  tcase_add_test(tc, zero_content_length_signs_an_empty_line);
  tcase_add_test(tc, shared_key_signatures_match_the_azure_sdk);
  tcase_add_test(tc, header_order_ignores_hyphens_and_puts_underscore_first);
  tcase_add_test(tc, service_sas_signatures_match_the_azure_sdk);
  tcase_add_test(tc, dates_are_formatted_as_the_service_wants);
  tcase_add_test(tc, batch_answers_give_each_key_its_result);
  tcase_add_test(tc, error_messages_never_quote_the_sas_token);
  tcase_add_test(tc, a_body_with_an_encoding_error_prints_nothing);
  tcase_add_test(tc, a_pending_copy_is_waited_for);
  tcase_add_test(tc, a_pending_copy_that_fails_is_an_error);
  suite_add_tcase(suite, tc);
  tc = tcase_create("settings");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, account_and_container_names_azure_forbids_are_refused);
  tcase_add_test(tc, an_account_key_that_is_not_base64_is_refused_unquoted);
  tcase_add_test(tc, a_sas_token_without_sig_is_refused);
  tcase_add_test(tc, no_credentials_names_every_source_tried);
  tcase_add_test(tc, connection_strings_and_the_environment_supply_credentials);
  tcase_add_test(tc, endpoint_forms_are_checked);
  suite_add_tcase(suite, tc);
  return test_run_suite(suite);
}
