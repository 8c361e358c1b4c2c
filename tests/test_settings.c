/*
 * test_settings.c: the settings loader (core/settings.c) and the checking of
 * storage fields against a backend's table (core/services.c): good files,
 * each kind of bad file, aliases, and the lookup order.
 */
#include "internal.h"
#include "testutil.h"

static pail_error *parse_fails(const char *json) {
  workspace_settings settings;
  pail_error *err = NULL;
  ck_assert_int_eq(
      settings_parse(json, strlen(json), "test.json", &settings, &err),
      PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(err);
  ck_assert_contains(pail_error_message(err), "test.json");
  return err;
}

static void expect_parse_error(const char *json, const char *needle) {
  pail_error *err = parse_fails(json);
  ck_assert_contains(pail_error_message(err), needle);
  pail_error_free(err);
}

START_TEST(primary_and_secondaries_parse_in_order) {
  const char *json =
      "{\"storage\": {\"type\": \"fs\", \"root_path\": \"/data\"},"
      " \"secondary_storage\": {"
      "   \"zeta\": {\"type\": \"S3Storage\", \"bucket\": \"b\"},"
      "   \"alpha\": {\"type\": \"AzureBlobStorage\"},"
      "   \"g\": {\"type\": \"GoogleCloudStorage\"},"
      "   \"loc\": {\"type\": \"FilesystemStorage\"},"
      "   \"third\": {\"type\": \"my_plugin2\"}}}";
  workspace_settings s;
  ck_assert_int_eq(settings_parse(json, strlen(json), "x", &s, NULL), PAIL_OK);
  ck_assert_uint_eq(s.storage_count, 6);
  ck_assert_ptr_null(s.storages[0].name);
  ck_assert_str_eq(s.storages[0].type, "fs");
  ck_assert_str_eq(
      json_string_value(json_object_get(s.storages[0].fields, "root_path")),
      "/data");
  /* "type" is consumed by the core, not passed to the backend's fields. */
  ck_assert_ptr_null(json_object_get(s.storages[0].fields, "type"));
  ck_assert_str_eq(s.storages[1].name, "zeta");
  ck_assert_str_eq(s.storages[1].type, "s3");
  ck_assert_str_eq(s.storages[2].name, "alpha");
  ck_assert_str_eq(s.storages[2].type, "azure_blob");
  ck_assert_str_eq(s.storages[3].type, "gcs");
  ck_assert_str_eq(s.storages[4].type, "fs");
  ck_assert_str_eq(s.storages[5].type, "my_plugin2");
  ck_assert(!s.rules.present);
  ck_assert_ptr_null(s.workspace_key);
  settings_free(&s);
}
END_TEST

START_TEST(retry_fields_are_the_cores_not_the_backends) {
  const char *json = "{\"storage\": {\"type\": \"fs\", \"maxAttempts\": 3,"
                     " \"retryTimeLimit\": 2.5},"
                     " \"secondary_storage\": {\"b\": {\"type\": \"fs\"}}}";
  workspace_settings s;
  ck_assert_int_eq(settings_parse(json, strlen(json), "x", &s, NULL), PAIL_OK);
  ck_assert_int_eq(s.storages[0].max_attempts, 3);
  ck_assert_int_eq(s.storages[0].retry_time_limit_ms, 2500);
  ck_assert_ptr_null(json_object_get(s.storages[0].fields, "maxAttempts"));
  ck_assert_ptr_null(json_object_get(s.storages[0].fields, "retryTimeLimit"));
  ck_assert_int_eq(s.storages[1].max_attempts, 0);
  ck_assert_int_eq(s.storages[1].retry_time_limit_ms, 0);
  settings_free(&s);
  expect_parse_error("{\"storage\": {\"type\": \"fs\", \"maxAttempts\": 0}}",
                     "\"maxAttempts\" must be an integer from 1");
  expect_parse_error(
      "{\"storage\": {\"type\": \"fs\", \"maxAttempts\": \"3\"}}",
      "\"maxAttempts\" must be an integer from 1");
  expect_parse_error("{\"storage\": {\"type\": \"fs\", \"maxAttempts\": 21}}",
                     "to 20");
  expect_parse_error(
      "{\"storage\": {\"type\": \"fs\", \"retryTimeLimit\": -1}}",
      "\"retryTimeLimit\" must be a number of seconds");
  expect_parse_error(
      "{\"storage\": {\"type\": \"fs\", \"retryTimeLimit\": 4000}}",
      "at most 3600");
}
END_TEST

/* null means "not set" for every core field, as for every other field
 * (docs/settings.md): none is an error, none reaches the backend. */
START_TEST(null_core_fields_are_not_set) {
  const char *json = "{\"storage\": {\"type\": \"fs\", \"maxAttempts\": null,"
                     " \"retryTimeLimit\": null, \"streamBufferSize\": null,"
                     " \"tlsVerify\": null, \"caBundle\": null}}";
  workspace_settings s;
  pail_error *err = NULL;
  ck_assert_int_eq(settings_parse(json, strlen(json), "x", &s, &err), PAIL_OK);
  ck_assert_ptr_null(err);
  ck_assert_int_eq(s.storages[0].max_attempts, 0);
  ck_assert_int_eq(s.storages[0].retry_time_limit_ms, 0);
  ck_assert_uint_eq(s.storages[0].stream_buffer_size, 0);
  ck_assert(!s.storages[0].tls_verify_off);
  ck_assert_ptr_null(s.storages[0].ca_bundle);
  ck_assert_uint_eq(json_object_size(s.storages[0].fields), 0);
  settings_free(&s);
}
END_TEST

START_TEST(the_stream_buffer_is_the_cores_not_the_backends) {
  const char *json =
      "{\"storage\": {\"type\": \"s3\", \"streamBufferSize\": 33554432},"
      " \"secondary_storage\": {\"b\": {\"type\": \"fs\"}}}";
  workspace_settings s;
  ck_assert_int_eq(settings_parse(json, strlen(json), "x", &s, NULL), PAIL_OK);
  ck_assert_uint_eq(s.storages[0].stream_buffer_size, (size_t)32 << 20);
  ck_assert_ptr_null(json_object_get(s.storages[0].fields, "streamBufferSize"));
  ck_assert_uint_eq(s.storages[1].stream_buffer_size, 0);
  settings_free(&s);
  expect_parse_error(
      "{\"storage\": {\"type\": \"fs\", \"streamBufferSize\": 1000}}",
      "\"streamBufferSize\" must be a number of bytes from 1048576 (1 MiB)");
  expect_parse_error(
      "{\"storage\": {\"type\": \"fs\", \"streamBufferSize\": \"16M\"}}",
      "\"streamBufferSize\" must be a number of bytes");
  expect_parse_error("{\"storage\": {\"type\": \"fs\", "
                     "\"streamBufferSize\": 17179869185}}",
                     "to 17179869184 (16 GiB)");
}
END_TEST

START_TEST(tls_fields_are_the_cores_not_the_backends) {
  const char *json = "{\"storage\": {\"type\": \"fs\", \"tlsVerify\": false,"
                     " \"caBundle\": \"/etc/ca.pem\"},"
                     " \"secondary_storage\": {\"b\": {\"type\": \"fs\", "
                     "\"tlsVerify\": true}}}";
  workspace_settings s;
  ck_assert_int_eq(settings_parse(json, strlen(json), "x", &s, NULL), PAIL_OK);
  ck_assert(s.storages[0].tls_verify_off);
  ck_assert_str_eq(s.storages[0].ca_bundle, "/etc/ca.pem");
  ck_assert_ptr_null(json_object_get(s.storages[0].fields, "tlsVerify"));
  ck_assert_ptr_null(json_object_get(s.storages[0].fields, "caBundle"));
  ck_assert(!s.storages[1].tls_verify_off);
  ck_assert_ptr_null(s.storages[1].ca_bundle);
  settings_free(&s);
  expect_parse_error("{\"storage\": {\"type\": \"fs\", \"tlsVerify\": \"no\"}}",
                     "\"tlsVerify\" must be true or false");
  expect_parse_error("{\"storage\": {\"type\": \"fs\", \"caBundle\": \"\"}}",
                     "\"caBundle\" must be the path");
  expect_parse_error("{\"storage\": {\"type\": \"fs\", \"caBundle\": 3}}",
                     "\"caBundle\" must be the path");
}
END_TEST

START_TEST(permissions_and_workspace_key_are_read) {
  const char *json =
      "{\"storage\": {\"type\": \"fs\"},"
      " \"advanced_permissions\": [{\"pattern\": \"u/{username}/**\","
      "   \"allow\": \"read,write\"}],"
      " \"workspace_key\": \"0123456789abcdef0123\"}";
  workspace_settings s;
  ck_assert_int_eq(settings_parse(json, strlen(json), "x", &s, NULL), PAIL_OK);
  ck_assert(s.rules.present);
  ck_assert_uint_eq(s.rules.count, 1);
  ck_assert_str_eq(s.workspace_key, "0123456789abcdef0123");
  settings_free(&s);
}
END_TEST

START_TEST(not_json_names_line_and_column) {
  expect_parse_error("{\"storage\": {\"type\": \"fs\",,}}", "not valid JSON");
  expect_parse_error("{\"storage\": {\"type\": \"fs\",,}}", "line 1, column");
  expect_parse_error("", "not valid JSON");
}
END_TEST

START_TEST(json_error_never_quotes_the_text_it_stopped_at) {
  /* A secret pasted without quotes: jansson's message quotes the token. */
  pail_error *err =
      parse_fails("{\"storage\": {\"type\": \"s3\",\n  \"secretKey\": "
                  "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY}}");
  const char *message = pail_error_message(err);
  ck_assert_contains(message, "not valid JSON: line 2");
  ck_assert_msg(strstr(message, "wJalrXUt") == NULL, "%s", message);
  pail_error_free(err);
}
END_TEST

START_TEST(document_that_is_not_an_object_is_refused) {
  expect_parse_error("[1, 2]", "must be a JSON object");
}
END_TEST

START_TEST(unknown_top_level_field_is_named) {
  expect_parse_error("{\"storage\": {\"type\": \"fs\"}, \"secondary\": {}}",
                     "unknown field \"secondary\"");
}
END_TEST

START_TEST(duplicate_fields_are_refused) {
  expect_parse_error(
      "{\"storage\": {\"type\": \"fs\"}, \"storage\": {\"type\": \"s3\"}}",
      "duplicate");
}
END_TEST

START_TEST(missing_primary_storage_is_refused) {
  expect_parse_error("{\"secondary_storage\": {}}", "\"storage\"");
}
END_TEST

START_TEST(storage_without_type_names_the_storage) {
  expect_parse_error("{\"storage\": {\"type\": \"fs\"}, \"secondary_storage\":"
                     " {\"arc\": {\"bucket\": \"b\"}}}",
                     "storage \"arc\" has no \"type\"");
  expect_parse_error("{\"storage\": {\"root_path\": \"/x\"}}",
                     "primary storage has no \"type\"");
}
END_TEST

START_TEST(type_that_could_name_a_path_is_refused) {
  expect_parse_error("{\"storage\": {\"type\": \"../evil\"}}", "invalid type");
  expect_parse_error("{\"storage\": {\"type\": \"Fs\"}}", "invalid type");
  expect_parse_error("{\"storage\": {\"type\": \"\"}}", "invalid type");
  expect_parse_error("{\"storage\": {\"type\": 3}}", "must be a string");
}
END_TEST

START_TEST(storage_that_is_not_an_object_is_refused) {
  expect_parse_error("{\"storage\": \"fs\"}", "must be a JSON object");
  expect_parse_error("{\"storage\": {\"type\": \"fs\"},"
                     " \"secondary_storage\": [1]}",
                     "must be an object");
}
END_TEST

START_TEST(secondary_names_are_checked) {
  expect_parse_error("{\"storage\": {\"type\": \"fs\"}, \"secondary_storage\":"
                     " {\"_default_\": {\"type\": \"fs\"}}}",
                     "reserved");
  expect_parse_error("{\"storage\": {\"type\": \"fs\"}, \"secondary_storage\":"
                     " {\"a/b\": {\"type\": \"fs\"}}}",
                     "secondary_storage");
}
END_TEST

START_TEST(short_workspace_key_is_refused) {
  expect_parse_error("{\"storage\": {\"type\": \"fs\"},"
                     " \"workspace_key\": \"short\"}",
                     "workspace_key");
}
END_TEST

START_TEST(bad_permissions_are_reported_under_advanced_permissions) {
  expect_parse_error(
      "{\"storage\": {\"type\": \"fs\"}, \"advanced_permissions\":"
      " [{\"pattern\": \"**\", \"allow\": \"read,fly\"}]}",
      "advanced_permissions");
}
END_TEST

static const pail_backend_field test_fields[] = {
    {"bucket", PAIL_FIELD_STRING, 1, 0, "the bucket name"},
    {"useSSL", PAIL_FIELD_BOOL, 0, 0, NULL},
    {"port", PAIL_FIELD_INTEGER, 0, 0, NULL},
    {"key", PAIL_FIELD_OBJECT_OR_STRING, 0, 1, NULL},
    {NULL, 0, 0, 0, NULL},
};

static pail_status validate(const char *storage_json, const char *name,
                            pail_error **err) {
  json_t *fields = json_loads(storage_json, 0, NULL);
  ck_assert_ptr_nonnull(fields);
  storage_settings storage = {(char *)name, (char *)"t", fields, 0, 0,
                              NULL,         false,       0};
  pail_status status = config_validate(&storage, test_fields, err);
  json_decref(fields);
  return status;
}

START_TEST(fields_of_the_right_types_validate) {
  ck_assert_int_eq(validate("{\"bucket\": \"b\", \"useSSL\": \"false\","
                            " \"port\": 9000, \"key\": {\"a\": 1}}",
                            NULL, NULL),
                   PAIL_OK);
  ck_assert_int_eq(validate("{\"bucket\": \"b\", \"useSSL\": true, \"key\": "
                            "\"{}\", \"port\": null}",
                            NULL, NULL),
                   PAIL_OK);
}
END_TEST

START_TEST(unknown_storage_field_names_field_storage_and_known_ones) {
  pail_error *err = NULL;
  ck_assert_int_eq(
      validate("{\"bucket\": \"b\", \"bukcet\": \"c\"}", "arc", &err),
      PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), "storage \"arc\"");
  ck_assert_contains(pail_error_message(err), "unknown field \"bukcet\"");
  ck_assert_contains(pail_error_message(err), "bucket, useSSL, port, key");
  pail_error_free(err);
}
END_TEST

START_TEST(missing_required_field_is_named) {
  pail_error *err = NULL;
  ck_assert_int_eq(validate("{\"useSSL\": true}", NULL, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), "primary storage");
  ck_assert_contains(pail_error_message(err),
                     "missing required field \"bucket\"");
  pail_error_free(err);
  err = NULL;
  ck_assert_int_eq(validate("{\"bucket\": \"\"}", NULL, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  pail_error_free(err);
}
END_TEST

START_TEST(field_of_the_wrong_type_is_named) {
  pail_error *err = NULL;
  ck_assert_int_eq(validate("{\"bucket\": 5}", NULL, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), "\"bucket\" must be a string");
  pail_error_free(err);
  err = NULL;
  ck_assert_int_eq(
      validate("{\"bucket\": \"b\", \"useSSL\": \"yes\"}", NULL, &err),
      PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), "true or false");
  pail_error_free(err);
}
END_TEST

START_TEST(fs_storage_fields_are_checked_when_first_opened) {
  pail_workspace *ws = NULL;
  ck_assert_int_eq(
      pail_workspace_open_json(
          "{\"storage\": {\"type\": \"fs\", \"root_pth\": \"/x\"}}", NULL, &ws,
          NULL),
      PAIL_OK);
  pail_error *err = NULL;
  ck_assert_int_eq(pail_workspace_check_storage(ws, NULL, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), "unknown field \"root_pth\"");
  ck_assert_contains(pail_error_message(err), "root_path");
  pail_error_free(err);
  pail_workspace_close(ws);
}
END_TEST

START_TEST(missing_settings_file_is_not_found) {
  workspace_settings s;
  pail_error *err = NULL;
  ck_assert_int_eq(settings_load_file("/nonexistent/pail.json", &s, &err),
                   PAIL_ERR_NOT_FOUND);
  ck_assert_contains(pail_error_message(err), "/nonexistent/pail.json");
  pail_error_free(err);
}
END_TEST

/* Points HOME and the XDG variables into dir so the real ones are never read.
 */
static void isolate_environment(const char *dir) {
  setenv("HOME", dir, 1);
  unsetenv("PAIL_CONFIG");
  unsetenv("PAIL_HOME");
  unsetenv("XDG_CONFIG_HOME");
  unsetenv("XDG_DATA_HOME");
}

static char *path_in(const char *dir, const char *name) {
  char *path = NULL;
  ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
  return path;
}

static const char *primary_root(const workspace_settings *s) {
  return json_string_value(json_object_get(s->storages[0].fields, "root_path"));
}

START_TEST(lookup_order_env_then_xdg_then_embedded_default) {
  char *dir = test_tempdir();
  isolate_environment(dir);
  workspace_settings s;

  /* Nothing configured: the embedded default under ~/.local/share/pail. */
  ck_assert_int_eq(settings_load_default_chain(&s, NULL), PAIL_OK);
  ck_assert_str_eq(s.source, "<embedded default>");
  char *expected = path_in(dir, ".local/share/pail");
  ck_assert_str_eq(primary_root(&s), expected);
  ck_assert(json_is_true(json_object_get(s.storages[0].fields, "create_root")));
  free(expected);
  settings_free(&s);

  /* XDG_DATA_HOME, then PAIL_HOME, move the default root. */
  setenv("XDG_DATA_HOME", "/srv/data", 1);
  ck_assert_int_eq(settings_load_default_chain(&s, NULL), PAIL_OK);
  ck_assert_str_eq(primary_root(&s), "/srv/data/pail");
  settings_free(&s);
  setenv("PAIL_HOME", "/srv/pail-home", 1);
  ck_assert_int_eq(settings_load_default_chain(&s, NULL), PAIL_OK);
  ck_assert_str_eq(primary_root(&s), "/srv/pail-home");
  settings_free(&s);

  /* ~/.config/pail/workspace.json beats the default. */
  char *config_dir = path_in(dir, ".config");
  ck_assert_int_eq(mkdir(config_dir, 0700), 0);
  char *pail_dir = path_in(config_dir, "pail");
  ck_assert_int_eq(mkdir(pail_dir, 0700), 0);
  char *home_file = path_in(pail_dir, "workspace.json");
  test_write_file(
      home_file,
      "{\"storage\": {\"type\": \"fs\", \"root_path\": \"/home-cfg\"}}");
  ck_assert_int_eq(settings_load_default_chain(&s, NULL), PAIL_OK);
  ck_assert_str_eq(s.source, home_file);
  settings_free(&s);

  /* XDG_CONFIG_HOME moves where that file is looked for. */
  setenv("XDG_CONFIG_HOME", "/nonexistent-xdg", 1);
  ck_assert_int_eq(settings_load_default_chain(&s, NULL), PAIL_OK);
  ck_assert_str_eq(s.source, "<embedded default>");
  settings_free(&s);
  setenv("XDG_CONFIG_HOME", config_dir, 1);
  ck_assert_int_eq(settings_load_default_chain(&s, NULL), PAIL_OK);
  ck_assert_str_eq(s.source, home_file);
  settings_free(&s);

  /* PAIL_CONFIG beats everything, and a missing one is an error, not a
   * silent fallback. */
  char *env_file = path_in(dir, "env.json");
  test_write_file(env_file,
                  "{\"storage\": {\"type\": \"fs\", \"root_path\": \"/env\"}}");
  setenv("PAIL_CONFIG", env_file, 1);
  ck_assert_int_eq(settings_load_default_chain(&s, NULL), PAIL_OK);
  ck_assert_str_eq(primary_root(&s), "/env");
  settings_free(&s);
  setenv("PAIL_CONFIG", "/nonexistent/env.json", 1);
  pail_error *err = NULL;
  ck_assert_int_eq(settings_load_default_chain(&s, &err), PAIL_ERR_NOT_FOUND);
  pail_error_free(err);

  free(env_file);
  free(home_file);
  free(pail_dir);
  free(config_dir);
  test_tempdir_remove(dir);
}
END_TEST

START_TEST(type_aliases_map_windmill_tags) {
  ck_assert_str_eq(settings_type_alias("S3Storage"), "s3");
  ck_assert_str_eq(settings_type_alias("AzureBlobStorage"), "azure_blob");
  ck_assert_str_eq(settings_type_alias("GoogleCloudStorage"), "gcs");
  ck_assert_str_eq(settings_type_alias("FilesystemStorage"), "fs");
  ck_assert_str_eq(settings_type_alias("custom"), "custom");
}
END_TEST

START_TEST(endpoints_are_host_and_port_only) {
  ck_assert_ptr_null(settings_endpoint_problem("s3.example.com"));
  ck_assert_ptr_null(settings_endpoint_problem("127.0.0.1:9000"));
  ck_assert_ptr_null(settings_endpoint_problem("[::1]:443"));
  ck_assert_ptr_null(settings_endpoint_problem("[::1]"));
  ck_assert_str_eq(settings_endpoint_problem("https://h"),
                   "give host[:port] without a scheme; useSSL chooses http or "
                   "https");
  ck_assert_str_eq(settings_endpoint_problem("h/bucket"),
                   "give host[:port] without a path");
  ck_assert_str_eq(settings_endpoint_problem("h#x"),
                   "give host[:port] without a path");
  ck_assert_str_eq(settings_endpoint_problem("user@h"),
                   "host[:port] has no spaces or user part");
  ck_assert_str_eq(settings_endpoint_problem(""), "the host is empty");
  ck_assert_str_eq(settings_endpoint_problem(":80"), "the host is empty");
  const char *bad_ports[] = {"h:", "h:0", "h:65536", "h:8o", "[::1]:x"};
  for (size_t i = 0; i < sizeof bad_ports / sizeof *bad_ports; i++)
    ck_assert_str_eq(settings_endpoint_problem(bad_ports[i]),
                     "the port must be a number from 1 to 65535");
}
END_TEST

int main(void) {
  Suite *s = suite_create("settings");
  TCase *tc = tcase_create("settings");
  tcase_add_test(tc, primary_and_secondaries_parse_in_order);
  tcase_add_test(tc, permissions_and_workspace_key_are_read);
  tcase_add_test(tc, retry_fields_are_the_cores_not_the_backends);
  tcase_add_test(tc, null_core_fields_are_not_set);
  tcase_add_test(tc, the_stream_buffer_is_the_cores_not_the_backends);
  tcase_add_test(tc, tls_fields_are_the_cores_not_the_backends);
  tcase_add_test(tc, not_json_names_line_and_column);
  tcase_add_test(tc, json_error_never_quotes_the_text_it_stopped_at);
  tcase_add_test(tc, document_that_is_not_an_object_is_refused);
  tcase_add_test(tc, unknown_top_level_field_is_named);
  tcase_add_test(tc, duplicate_fields_are_refused);
  tcase_add_test(tc, missing_primary_storage_is_refused);
  tcase_add_test(tc, storage_without_type_names_the_storage);
  tcase_add_test(tc, type_that_could_name_a_path_is_refused);
  tcase_add_test(tc, storage_that_is_not_an_object_is_refused);
  tcase_add_test(tc, secondary_names_are_checked);
  tcase_add_test(tc, short_workspace_key_is_refused);
  tcase_add_test(tc, bad_permissions_are_reported_under_advanced_permissions);
  tcase_add_test(tc, fields_of_the_right_types_validate);
  tcase_add_test(tc, unknown_storage_field_names_field_storage_and_known_ones);
  tcase_add_test(tc, missing_required_field_is_named);
  tcase_add_test(tc, field_of_the_wrong_type_is_named);
  tcase_add_test(tc, fs_storage_fields_are_checked_when_first_opened);
  tcase_add_test(tc, missing_settings_file_is_not_found);
  tcase_add_test(tc, lookup_order_env_then_xdg_then_embedded_default);
  tcase_add_test(tc, type_aliases_map_windmill_tags);
  tcase_add_test(tc, endpoints_are_host_and_port_only);
  suite_add_tcase(s, tc);
  return test_run_suite(s);
}
