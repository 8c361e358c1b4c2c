/*
 * test_settings_export.c: pail_settings_export() for each tool and
 * backend: what DuckDB, Polars and boto3 are given, SQL quoting, the AWS_*
 * fallback, and the refusals (fs, missing credentials, unknown tool). That
 * boto3 really reads with them is tests/settings_s3.sh.
 */
#include "internal.h"
#include "testutil.h"

#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

static const char *settings =
    "{\"storage\": {\"type\": \"s3\", \"bucket\": \"data\", \"region\": "
    "\"eu-west-1\", \"endPoint\": \"127.0.0.1:9000\", \"useSSL\": false, "
    "\"accessKey\": \"AKID\", \"secretKey\": \"it's secret\", "
    "\"caBundle\": \"/etc/ca.pem\"},"
    " \"secondary_storage\": {"
    "  \"az\": {\"type\": \"azure_blob\", \"accountName\": "
    "\"devstoreaccount1\","
    "   \"containerName\": \"archive\", \"accessKey\": \"a2V5\","
    "   \"endpoint\": \"127.0.0.1:10000\", \"useSSL\": false},"
    "  \"azcs\": {\"type\": \"azure_blob\", \"containerName\": \"ccc\","
    "   \"connectionString\": \"AccountName=acct;AccountKey=S0VZ;"
    "EndpointSuffix=core.windows.net\"},"
    "  \"aws\": {\"type\": \"s3\", \"bucket\": \"on-aws\", \"region\": "
    "\"us-east-2\"},"
    "  \"gcs\": {\"type\": \"gcs\", \"bucket\": \"bkt\", \"accessKey\": "
    "\"GOOGHMAC\", \"secretKey\": \"hmacsecret\"},"
    "  \"scratch\": {\"type\": \"fs\", \"root_path\": \"/nonexistent\"}}}";

static pail_workspace *ws;

static void setup(void) {
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  unsetenv("AWS_SESSION_TOKEN");
  unsetenv("AWS_REGION");
  unsetenv("AWS_DEFAULT_REGION");
  unsetenv("AWS_PROFILE");
  setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  ck_assert_int_eq(pail_workspace_open_json(settings, NULL, &ws, NULL),
                   PAIL_OK);
}

static void teardown(void) {
  pail_workspace_close(ws);
}

static char *export_ok(const char *storage, const char *tool) {
  char *text = NULL;
  pail_error *err = NULL;
  pail_status status = pail_settings_export(ws, storage, tool, &text, &err);
  ck_assert_msg(status == PAIL_OK, "%s for %s: %s", tool,
                storage ? storage : "primary",
                err ? pail_error_message(err) : "?");
  return text;
}

static json_t *export_json(const char *storage, const char *tool) {
  char *text = export_ok(storage, tool);
  json_t *o = json_loads(text, 0, NULL);
  ck_assert_msg(o != NULL, "not JSON: %s", text);
  free(text);
  return o;
}

static const char *str(json_t *o, const char *field) {
  const char *s = json_string_value(json_object_get(o, field));
  ck_assert_msg(s != NULL, "no %s", field);
  return s;
}

START_TEST(duckdb_s3_secret) {
  char *sql = export_ok(NULL, "duckdb");
  ck_assert_contains(sql, "INSTALL httpfs;\nLOAD httpfs;\n");
  ck_assert_contains(sql, "CREATE OR REPLACE SECRET pail (\n  TYPE s3,\n");
  ck_assert_contains(sql, "KEY_ID 'AKID'");
  ck_assert_contains(sql, "SECRET 'it''s secret'");
  ck_assert_contains(sql, "REGION 'eu-west-1'");
  ck_assert_contains(sql, "ENDPOINT '127.0.0.1:9000'");
  ck_assert_contains(sql, "URL_STYLE 'path'");
  ck_assert_contains(sql, "USE_SSL false");
  ck_assert_contains(sql, "SCOPE 's3://data'");
  free(sql);
}
END_TEST

START_TEST(duckdb_azure_connection_string) {
  char *sql = export_ok("az", "duckdb");
  ck_assert_contains(sql, "INSTALL azure;\nLOAD azure;\n");
  ck_assert_contains(sql, "SECRET pail_az (\n  TYPE azure,\n");
  ck_assert_contains(sql, "CONNECTION_STRING 'DefaultEndpointsProtocol=http;"
                          "AccountName=devstoreaccount1;AccountKey=a2V5;"
                          "BlobEndpoint=http://127.0.0.1:10000/"
                          "devstoreaccount1'");
  free(sql);
}
END_TEST

START_TEST(duckdb_gcs_hmac) {
  char *sql = export_ok("gcs", "duckdb");
  ck_assert_contains(sql, "TYPE gcs");
  ck_assert_contains(sql, "KEY_ID 'GOOGHMAC'");
  ck_assert_contains(sql, "SCOPE 'gs://bkt'");
  free(sql);
}
END_TEST

START_TEST(polars_s3_and_azure) {
  json_t *o = export_json(NULL, "polars");
  ck_assert_str_eq(str(o, "aws_access_key_id"), "AKID");
  ck_assert_str_eq(str(o, "aws_secret_access_key"), "it's secret");
  ck_assert_str_eq(str(o, "aws_region"), "eu-west-1");
  ck_assert_str_eq(str(o, "aws_endpoint_url"), "http://127.0.0.1:9000");
  ck_assert_str_eq(str(o, "aws_allow_http"), "true");
  ck_assert_str_eq(str(o, "aws_virtual_hosted_style_request"), "false");
  json_decref(o);
  o = export_json("azcs", "polars");
  ck_assert_str_eq(str(o, "account_name"), "acct");
  ck_assert_str_eq(str(o, "account_key"), "S0VZ");
  ck_assert_ptr_null(json_object_get(o, "endpoint"));
  json_decref(o);
}
END_TEST

START_TEST(boto3_s3) {
  json_t *o = export_json(NULL, "boto3");
  ck_assert_str_eq(str(o, "endpoint_url"), "http://127.0.0.1:9000");
  ck_assert_str_eq(str(o, "region_name"), "eu-west-1");
  ck_assert(json_is_false(json_object_get(o, "use_ssl")));
  ck_assert_str_eq(str(o, "verify"), "/etc/ca.pem");
  ck_assert_str_eq(str(o, "aws_access_key_id"), "AKID");
  ck_assert_uint_eq(json_object_size(o), 6);
  json_decref(o);
}
END_TEST

/* No keys in the settings: the AWS_* variables, as the backend reads them;
 * none there either: a refusal that says what was looked at. */
START_TEST(s3_credentials_from_environment) {
  char *text = NULL;
  pail_error *err = NULL;
  /* The backend refuses to open without credentials, naming its chain. */
  ck_assert_int_eq(pail_settings_export(ws, "aws", "boto3", &text, &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(pail_error_message(err), "AWS_ACCESS_KEY_ID");
  pail_error_free(err);
  pail_workspace_close(ws);
  setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
  setenv("AWS_SESSION_TOKEN", "ENVTOKEN", 1);
  setenv("AWS_REGION", "ap-south-1", 1);
  ck_assert_int_eq(pail_workspace_open_json(settings, NULL, &ws, NULL),
                   PAIL_OK);
  json_t *o = export_json("aws", "boto3");
  ck_assert_str_eq(str(o, "aws_access_key_id"), "ENVKEY");
  ck_assert_str_eq(str(o, "aws_session_token"), "ENVTOKEN");
  ck_assert_str_eq(str(o, "region_name"), "us-east-2");
  ck_assert_ptr_null(json_object_get(o, "endpoint_url"));
  ck_assert(json_is_true(json_object_get(o, "use_ssl")));
  json_decref(o);
}
END_TEST

/* Credentials the backend found in a profile file are what the tools get:
 * the backend says how it reached the storage, whatever the source. */
START_TEST(s3_credentials_from_a_profile) {
  char path[] = "/tmp/pail-export-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  const char *profile = "[default]\naws_access_key_id = PROFKEY\n"
                        "aws_secret_access_key = PROFSECRET\n";
  ck_assert_int_eq(write(fd, profile, strlen(profile)),
                   (ssize_t)strlen(profile));
  close(fd);
  setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
  pail_workspace_close(ws);
  ck_assert_int_eq(pail_workspace_open_json(settings, NULL, &ws, NULL),
                   PAIL_OK);
  json_t *o = export_json("aws", "polars");
  ck_assert_str_eq(str(o, "aws_access_key_id"), "PROFKEY");
  ck_assert_str_eq(str(o, "aws_secret_access_key"), "PROFSECRET");
  ck_assert_str_eq(str(o, "aws_region"), "us-east-2");
  json_decref(o);
  unlink(path);
}
END_TEST

/* A gcs storage with a service account key: Polars gets where the key is
 * (the file the backend read); with HMAC keys only, the S3 side of GCS
 * (through the s3 backend); DuckDB needs HMAC keys. */
START_TEST(gcs_service_account_and_hmac) {
  const char *top = getenv("top_srcdir");
  char *key = NULL;
  ck_assert_int_ge(asprintf(&key,
                            "%s/tests/vectors/gcs-v4/"
                            "test_service_account.json",
                            top ? top : "."),
                   0);
  json_t *doc = json_pack("{s:{s:s, s:s, s:s}}", "storage", "type", "gcs",
                          "bucket", "bkt", "serviceAccountKey", key);
  char *text = json_dumps(doc, 0);
  json_decref(doc);
  pail_workspace_close(ws);
  ck_assert_int_eq(pail_workspace_open_json(text, NULL, &ws, NULL), PAIL_OK);
  free(text);
  json_t *o = export_json(NULL, "polars");
  ck_assert_str_eq(str(o, "service_account_path"), key);
  json_decref(o);
  text = NULL;
  pail_error *err = NULL;
  ck_assert_int_eq(pail_settings_export(ws, NULL, "duckdb", &text, &err),
                   PAIL_ERR_UNSUPPORTED);
  ck_assert_contains(pail_error_message(err), "only with an HMAC key");
  pail_error_free(err);
  free(key);
  pail_workspace_close(ws);
  ck_assert_int_eq(pail_workspace_open_json(settings, NULL, &ws, NULL),
                   PAIL_OK);
  o = export_json("gcs", "polars");
  ck_assert_str_eq(str(o, "aws_access_key_id"), "GOOGHMAC");
  ck_assert_str_eq(str(o, "aws_endpoint_url"),
                   "https://storage.googleapis.com");
  ck_assert_str_eq(str(o, "aws_region"), "auto");
  json_decref(o);
}
END_TEST

START_TEST(refusals) {
  static const struct {
    const char *storage, *tool, *expected;
    pail_status status;
  } cases[] = {
      {"scratch", "duckdb", "other programs cannot reach this backend",
       PAIL_ERR_UNSUPPORTED},
      {"scratch", "polars", "type fs", PAIL_ERR_UNSUPPORTED},
      {"az", "boto3", "boto3 reaches S3 and GCS", PAIL_ERR_UNSUPPORTED},
      {NULL, "spark", "the tools are duckdb, polars and boto3",
       PAIL_ERR_INVALID_ARGUMENT},
      {"nope", "duckdb", "no storage named \"nope\"", PAIL_ERR_NOT_FOUND},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *text = NULL;
    pail_error *err = NULL;
    ck_assert_int_eq(
        pail_settings_export(ws, cases[i].storage, cases[i].tool, &text, &err),
        cases[i].status);
    ck_assert_ptr_null(text);
    ck_assert_contains(pail_error_message(err), cases[i].expected);
    pail_error_free(err);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("settings_export");
  TCase *t = tcase_create("export");
  tcase_add_checked_fixture(t, setup, teardown);
  tcase_add_test(t, duckdb_s3_secret);
  tcase_add_test(t, duckdb_azure_connection_string);
  tcase_add_test(t, duckdb_gcs_hmac);
  tcase_add_test(t, polars_s3_and_azure);
  tcase_add_test(t, boto3_s3);
  tcase_add_test(t, s3_credentials_from_environment);
  tcase_add_test(t, s3_credentials_from_a_profile);
  tcase_add_test(t, gcs_service_account_and_hmac);
  tcase_add_test(t, refusals);
  suite_add_tcase(s, t);
  return test_run_suite(s);
}
