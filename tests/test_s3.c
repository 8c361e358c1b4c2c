/*
 * test_s3.c: the S3 backend's settings, without a server: bucket names S3
 * forbids, endPoint forms, the region and credential chains (settings,
 * environment, profiles in the shared files), and that every refusal says
 * what is wrong without printing a secret. Requests against a real server
 * are tested by tests/s3_cli.sh against moto.
 */
#include "internal.h"
#include "testutil.h"

static char *home;

static void setup(void) {
  static const char *const aws_variables[] = {
      "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN", "AWS_PROFILE",
      "AWS_REGION",        "AWS_DEFAULT_REGION",
      "AWS_ENDPOINT_URL",  "AWS_ENDPOINT_URL_S3",
      "AWS_CONFIG_FILE",   "AWS_SHARED_CREDENTIALS_FILE",
      "PAIL_PLUGIN_PATH"};
  for (size_t i = 0; i < sizeof aws_variables / sizeof *aws_variables; i++)
    unsetenv(aws_variables[i]);
  home = test_tempdir();
  setenv("HOME", home, 1);
}

static void teardown(void) {
  test_tempdir_remove(home);
  home = NULL;
}

/* Opens the primary storage of settings `json`; returns its status and,
 * through message (when not NULL), a copy of the error message. */
static pail_status open_s3(const char *json, char **message) {
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

#define LOCAL_KEYS                                                             \
  "\"endPoint\": \"127.0.0.1:9\", \"useSSL\": false, \"accessKey\": "          \
  "\"AKIDEXAMPLE\", \"secretKey\": "                                           \
  "\"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\""

static void expect_refused(const char *json, pail_status want,
                           const char *needle) {
  char *message = NULL;
  ck_assert_int_eq(open_s3(json, &message), want);
  ck_assert_contains(message, needle);
  /* Whatever went wrong, the secret is never in the message. */
  ck_assert_msg(strstr(message, "wJalrXUtnFEMI") == NULL, "secret in \"%s\"",
                message);
  free(message);
}

START_TEST(bucket_names_s3_forbids_are_refused) {
  static const char *const bad[] = {
      "ab",
      "Upper",
      "a..b",
      "192.168.1.1",
      "-abc",
      "abc-",
      "xn--abc",
      "under_score",
      "with space",
      "a.-b",
      "bucket-s3alias",
      "a234567890123456789012345678901234567890123456789012345678901234"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char *json = NULL;
    /* In the host name (virtual-hosted style): S3's rules. */
    ck_assert_int_ge(asprintf(&json,
                              "{\"storage\": {\"type\": \"s3\", \"bucket\": "
                              "\"%s\", \"pathStyle\": false, " LOCAL_KEYS "}}",
                              bad[i]),
                     0);
    expect_refused(json, PAIL_ERR_INVALID_ARGUMENT, "invalid bucket name");
    free(json);
  }
  /* In the path of a service of one's own: the older, wider rules. */
  static const char *const by_path[] = {"_default_", "Upper", "under_score",
                                        "ab"};
  for (size_t i = 0; i < sizeof by_path / sizeof *by_path; i++) {
    char *json = NULL;
    ck_assert_int_ge(asprintf(&json,
                              "{\"storage\": {\"type\": \"s3\", \"bucket\": "
                              "\"%s\", " LOCAL_KEYS "}}",
                              by_path[i]),
                     0);
    ck_assert_int_eq(open_s3(json, NULL), PAIL_OK);
    free(json);
  }
  static const char *const never[] = {"with space", "a/b", "..", "a?b"};
  for (size_t i = 0; i < sizeof never / sizeof *never; i++) {
    char *json = NULL;
    ck_assert_int_ge(asprintf(&json,
                              "{\"storage\": {\"type\": \"s3\", \"bucket\": "
                              "\"%s\", " LOCAL_KEYS "}}",
                              never[i]),
                     0);
    expect_refused(json, PAIL_ERR_INVALID_ARGUMENT, "invalid bucket name");
    free(json);
  }
  ck_assert_int_eq(open_s3("{\"storage\": {\"type\": \"s3\", \"bucket\": "
                           "\"my.data-bucket-01\", " LOCAL_KEYS "}}",
                           NULL),
                   PAIL_OK);
}
END_TEST

START_TEST(endpoint_with_scheme_path_or_bad_port_is_refused) {
  expect_refused("{\"storage\": {\"type\": \"s3\", \"bucket\": \"data\", "
                 "\"endPoint\": \"http://127.0.0.1:9000\", \"accessKey\": "
                 "\"a\", \"secretKey\": \"wJalrXUtnFEMI\"}}",
                 PAIL_ERR_INVALID_ARGUMENT, "without a scheme");
  expect_refused("{\"storage\": {\"type\": \"s3\", \"bucket\": \"data\", "
                 "\"endPoint\": \"127.0.0.1:9000/s3\", \"accessKey\": "
                 "\"a\", \"secretKey\": \"wJalrXUtnFEMI\"}}",
                 PAIL_ERR_INVALID_ARGUMENT, "without a path");
  expect_refused("{\"storage\": {\"type\": \"s3\", \"bucket\": \"data\", "
                 "\"endPoint\": \"127.0.0.1:99999\", \"accessKey\": "
                 "\"a\", \"secretKey\": \"wJalrXUtnFEMI\"}}",
                 PAIL_ERR_INVALID_ARGUMENT, "port");
}
END_TEST

START_TEST(aws_without_a_region_is_refused_naming_where_to_set_it) {
  expect_refused("{\"storage\": {\"type\": \"s3\", \"bucket\": \"data\", "
                 "\"accessKey\": \"a\", \"secretKey\": \"wJalrXUtnFEMI\"}}",
                 PAIL_ERR_INVALID_ARGUMENT, "AWS_REGION");
  setenv("AWS_DEFAULT_REGION", "eu-west-3", 1);
  ck_assert_int_eq(open_s3("{\"storage\": {\"type\": \"s3\", \"bucket\": "
                           "\"data\", \"accessKey\": \"a\", \"secretKey\": "
                           "\"b\"}}",
                           NULL),
                   PAIL_OK);
}
END_TEST

START_TEST(no_credentials_names_every_source_tried) {
  expect_refused("{\"storage\": {\"type\": \"s3\", \"bucket\": \"data\", "
                 "\"endPoint\": \"127.0.0.1:9\"}}",
                 PAIL_ERR_ACCESS_DENIED, "AWS_ACCESS_KEY_ID");
  char *message = NULL;
  open_s3("{\"storage\": {\"type\": \"s3\", \"bucket\": \"data\", "
          "\"endPoint\": \"127.0.0.1:9\"}}",
          &message);
  ck_assert_contains(message, "accessKey/secretKey");
  ck_assert_contains(message, "profile \"default\"");
  ck_assert_contains(message, ".aws/credentials");
  ck_assert_contains(message, "anonymous");
  free(message);
}
END_TEST

START_TEST(half_a_key_pair_is_refused) {
  expect_refused("{\"storage\": {\"type\": \"s3\", \"bucket\": \"data\", "
                 "\"endPoint\": \"127.0.0.1:9\", \"accessKey\": \"a\"}}",
                 PAIL_ERR_INVALID_ARGUMENT, "accessKey without secretKey");
  expect_refused("{\"storage\": {\"type\": \"s3\", \"bucket\": \"data\", "
                 "\"endPoint\": \"127.0.0.1:9\", \"anonymous\": true, "
                 "\"secretKey\": \"wJalrXUtnFEMI\"}}",
                 PAIL_ERR_INVALID_ARGUMENT, "choose one");
}
END_TEST

START_TEST(environment_and_profiles_supply_keys_and_region) {
  const char *json = "{\"storage\": {\"type\": \"s3\", \"bucket\": \"data\"}}";
  /* Environment keys and region. */
  setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
  setenv("AWS_REGION", "eu-west-1", 1);
  ck_assert_int_eq(open_s3(json, NULL), PAIL_OK);
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  unsetenv("AWS_REGION");
  /* A named profile in files named by the environment; the region from
   * the config file's [profile name] section. */
  char *credentials = NULL, *config = NULL;
  ck_assert_int_ge(asprintf(&credentials, "%s/creds", home), 0);
  ck_assert_int_ge(asprintf(&config, "%s/conf", home), 0);
  test_write_file(credentials, "[default]\naws_access_key_id = X\n"
                               "# a comment\n[work]\n"
                               "aws_access_key_id = AKIDWORK\n"
                               "aws_secret_access_key = s3cr3t\n");
  test_write_file(config, "[profile work]\nregion = ap-south-1\n");
  setenv("AWS_SHARED_CREDENTIALS_FILE", credentials, 1);
  setenv("AWS_CONFIG_FILE", config, 1);
  setenv("AWS_PROFILE", "work", 1);
  ck_assert_int_eq(open_s3(json, NULL), PAIL_OK);
  /* The default profile has no secret: refused, naming the profile. */
  setenv("AWS_PROFILE", "default", 1);
  setenv("AWS_REGION", "eu-west-1", 1);
  expect_refused(json, PAIL_ERR_ACCESS_DENIED, "profile \"default\"");
  /* An endpoint from the environment, with its scheme. */
  unsetenv("AWS_PROFILE");
  setenv("AWS_ENDPOINT_URL_S3", "ftp://127.0.0.1:9", 1);
  expect_refused("{\"storage\": {\"type\": \"s3\", \"bucket\": \"data\", "
                 "\"accessKey\": \"a\", \"secretKey\": \"b\"}}",
                 PAIL_ERR_INVALID_ARGUMENT, "AWS_ENDPOINT_URL_S3");
  setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9/", 1);
  ck_assert_int_eq(open_s3("{\"storage\": {\"type\": \"s3\", \"bucket\": "
                           "\"data\", \"accessKey\": \"a\", \"secretKey\": "
                           "\"b\"}}",
                           NULL),
                   PAIL_OK);
  free(credentials);
  free(config);
}
END_TEST

START_TEST(misspelt_field_is_named) {
  expect_refused("{\"storage\": {\"type\": \"s3\", \"bucket\": \"data\", "
                 "\"endpoint\": \"127.0.0.1:9\", \"accessKey\": \"a\", "
                 "\"secretKey\": \"wJalrXUtnFEMI\"}}",
                 PAIL_ERR_INVALID_ARGUMENT, "unknown field \"endpoint\"");
  expect_refused(
      "{\"storage\": {\"type\": \"s3\", \"bucket\": \"data\", " LOCAL_KEYS
      ", \"partSize\": 1024}}",
      PAIL_ERR_INVALID_ARGUMENT, "partSize");
  expect_refused(
      "{\"storage\": {\"type\": \"s3\", \"bucket\": \"data\", " LOCAL_KEYS
      ", \"copyCutoff\": 5242879}}",
      PAIL_ERR_INVALID_ARGUMENT, "copyCutoff must be between");
  expect_refused(
      "{\"storage\": {\"type\": \"s3\", \"bucket\": \"data\", " LOCAL_KEYS
      ", \"copyCutoff\": 5368709121}}",
      PAIL_ERR_INVALID_ARGUMENT, "copyCutoff must be between");
}
END_TEST

int main(void) {
  Suite *suite = suite_create("s3");
  TCase *tc = tcase_create("settings");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, bucket_names_s3_forbids_are_refused);
  tcase_add_test(tc, endpoint_with_scheme_path_or_bad_port_is_refused);
  tcase_add_test(tc, aws_without_a_region_is_refused_naming_where_to_set_it);
  tcase_add_test(tc, no_credentials_names_every_source_tried);
  tcase_add_test(tc, half_a_key_pair_is_refused);
  tcase_add_test(tc, environment_and_profiles_supply_keys_and_region);
  tcase_add_test(tc, misspelt_field_is_named);
  suite_add_tcase(suite, tc);
  return test_run_suite(suite);
}
