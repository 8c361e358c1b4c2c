/*
 * test_plugin.c: the plugin loader (core/plugin.c): search path, ABI and
 * struct_size checks, missing entry symbol, files that are not shared
 * objects, lazy loading, and in-process registration.
 */
#include "internal.h"
#include "testutil.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
/* This core's ABI as messages print it: "ABI 1.1". */
#define THIS_ABI                                                               \
  "ABI " STRINGIFY(PAIL_BACKEND_ABI_MAJOR) "." STRINGIFY(PAIL_BACKEND_ABI_MINOR)

#include <sys/stat.h>

static const char *plugin_dir(void) {
  const char *dir = getenv("TEST_PLUGIN_DIR");
  ck_assert_msg(dir != NULL, "TEST_PLUGIN_DIR is not set (run via make check)");
  return dir;
}

static pail_error *load_error(const char *type) {
  const backend *b = NULL;
  pail_error *err = NULL;
  ck_assert_int_ne(backend_get(type, &b, &err), PAIL_OK);
  ck_assert_ptr_null(b);
  ck_assert_ptr_nonnull(err);
  return err;
}

/* Every member of the services table is filled: a plugin calling one the
 * core forgot would crash, not fail. */
START_TEST(every_core_service_is_provided) {
  const pail_core_services *core = pail_core_services_get();
  ck_assert_uint_eq(core->struct_size, sizeof *core);
  ck_assert_uint_eq(core->abi_version, PAIL_BACKEND_ABI_VERSION);
  const unsigned char *base = (const unsigned char *)core;
  size_t first = offsetof(pail_core_services, error_set);
  for (size_t at = first; at + sizeof(void (*)(void)) <= sizeof *core;
       at += sizeof(void (*)(void))) {
    void (*service)(void);
    memcpy(&service, base + at, sizeof service);
    ck_assert_msg(service != NULL, "service at offset %zu is NULL", at);
  }
}
END_TEST

START_TEST(wrong_abi_major_is_refused_naming_file_and_both_versions) {
  setenv("PAIL_PLUGIN_PATH", plugin_dir(), 1);
  pail_error *err = load_error("wrongabi");
  ck_assert_int_eq(pail_error_category(err), PAIL_ERR_INVALID_ARGUMENT);
  const char *msg = pail_error_message(err);
  ck_assert_contains(msg, "pail_wrongabi.so");
  ck_assert_contains(msg, "ABI 2.3");
  ck_assert_contains(msg, THIS_ABI);
  pail_error_free(err);
}
END_TEST

/* A plugin built against a future header whose entry refuses this core
 * without a message (as PAIL_BACKEND_DEFINE_ENTRY must, since it cannot
 * trust another major's error_set): the core reads the version the plugin
 * exports and names both. */
START_TEST(future_plugin_refusing_silently_is_named_with_both_versions) {
  setenv("PAIL_PLUGIN_PATH", plugin_dir(), 1);
  pail_error *err = load_error("futureabi");
  const char *msg = pail_error_message(err);
  ck_assert_contains(msg, "pail_futureabi.so");
  ck_assert_contains(msg, "ABI 2.0");
  ck_assert_contains(msg, THIS_ABI);
  pail_error_free(err);
}
END_TEST

START_TEST(missing_entry_symbol_is_refused_naming_file) {
  setenv("PAIL_PLUGIN_PATH", plugin_dir(), 1);
  pail_error *err = load_error("noentry");
  const char *msg = pail_error_message(err);
  ck_assert_contains(msg, "pail_noentry.so");
  ck_assert_contains(msg, "pail_backend_entry");
  ck_assert_contains(msg, THIS_ABI);
  pail_error_free(err);
}
END_TEST

START_TEST(ops_table_smaller_than_abi_1_0_is_refused) {
  setenv("PAIL_PLUGIN_PATH", plugin_dir(), 1);
  pail_error *err = load_error("smallops");
  const char *msg = pail_error_message(err);
  ck_assert_contains(msg, "pail_smallops.so");
  ck_assert_contains(msg, "16 bytes");
  pail_error_free(err);
}
END_TEST

START_TEST(file_that_is_not_a_shared_object_is_refused) {
  char *dir = test_tempdir();
  char *path = NULL;
  ck_assert_int_ge(asprintf(&path, "%s/pail_junk.so", dir), 0);
  test_write_file(path, "this is not an ELF file\n");
  setenv("PAIL_PLUGIN_PATH", dir, 1);
  pail_error *err = load_error("junk");
  ck_assert_int_eq(pail_error_category(err), PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), "cannot load plugin");
  ck_assert_contains(pail_error_message(err), path);
  pail_error_free(err);
  free(path);
  test_tempdir_remove(dir);
}
END_TEST

START_TEST(plugin_whose_open_fails_reports_error_with_storage_and_provider) {
  setenv("PAIL_PLUGIN_PATH", plugin_dir(), 1);
  pail_workspace *ws = NULL;
  ck_assert_int_eq(
      pail_workspace_open_json("{\"storage\": {\"type\": \"openfails\"},"
                               " \"secondary_storage\": {\"arc\": {\"type\": "
                               "\"openfails\", \"token\": \"s3cr3t-value\"}}}",
                               NULL, &ws, NULL),
      PAIL_OK);
  pail_error *err = NULL;
  ck_assert_int_eq(pail_workspace_check_storage(ws, "arc", &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(pail_error_message(err),
                     "storage \"arc\" (type openfails)");
  ck_assert_contains(pail_error_message(err), "credentials were refused");
  ck_assert_ptr_null(strstr(pail_error_message(err), "s3cr3t-value"));
  ck_assert_str_eq(pail_error_provider_code(err), "InvalidToken");
  ck_assert_str_eq(pail_error_request_id(err), "req-123");
  ck_assert_int_eq(pail_error_http_status(err), 403);
  pail_error_free(err);
  pail_workspace_close(ws);
}
END_TEST

START_TEST(unknown_type_is_not_found_listing_searched_dirs) {
  setenv("PAIL_PLUGIN_PATH", plugin_dir(), 1);
  pail_error *err = load_error("nosuchtype");
  ck_assert_int_eq(pail_error_category(err), PAIL_ERR_NOT_FOUND);
  ck_assert_contains(pail_error_message(err), "pail_nosuchtype.so");
  ck_assert_contains(pail_error_message(err), plugin_dir());
  ck_assert_contains(pail_error_message(err), PAIL_PLUGINDIR);
  pail_error_free(err);
}
END_TEST

START_TEST(missing_backend_names_the_storage_that_uses_the_type) {
  setenv("PAIL_PLUGIN_PATH", plugin_dir(), 1);
  pail_workspace *ws = NULL;
  ck_assert_int_eq(
      pail_workspace_open_json("{\"storage\": {\"type\": \"nosuchtype\"},"
                               " \"secondary_storage\": {\"arc\": {\"type\": "
                               "\"nosuchtype\"}}}",
                               NULL, &ws, NULL),
      PAIL_OK);
  pail_error *err = NULL;
  ck_assert_int_eq(pail_workspace_check_storage(ws, "arc", &err),
                   PAIL_ERR_NOT_FOUND);
  ck_assert_contains(pail_error_message(err),
                     "storage \"arc\": no backend for type \"nosuchtype\"");
  pail_error_free(err);
  err = NULL;
  ck_assert_int_eq(pail_workspace_check_storage(ws, NULL, &err),
                   PAIL_ERR_NOT_FOUND);
  ck_assert_contains(pail_error_message(err),
                     "primary storage: no backend for type \"nosuchtype\"");
  pail_error_free(err);
  pail_workspace_close(ws);
}
END_TEST

START_TEST(relative_plugin_path_entries_are_ignored) {
  setenv("PAIL_PLUGIN_PATH", "relative/dir:./here::/abs/one", 1);
  char **dirs = backend_search_path();
  ck_assert_ptr_nonnull(dirs);
  ck_assert_str_eq(dirs[0], "/abs/one");
  for (char **d = dirs; *d; d++)
    ck_assert_msg((*d)[0] == '/', "relative entry %s kept", *d);
  backend_search_path_free(dirs);
}
END_TEST

START_TEST(build_tree_plugins_are_found_without_configuration) {
  unsetenv("PAIL_PLUGIN_PATH");
  const backend *b = NULL;
  pail_error *err = NULL;
  ck_assert_msg(backend_get("fs", &b, &err) == PAIL_OK, "%s",
                pail_error_message(err));
  ck_assert_str_eq(b->type, "fs");
  ck_assert_contains(b->path, PAIL_BUILD_DIR);
  ck_assert_contains(b->path, "pail_fs.so");
}
END_TEST

/* Creates an empty file at dir/relative, making its directories. */
static char *touch_under(const char *dir, const char *relative) {
  char *path = NULL, *cmd = NULL;
  ck_assert_int_ge(asprintf(&path, "%s/%s", dir, relative), 0);
  ck_assert_int_ge(
      asprintf(&cmd, "mkdir -p \"$(dirname '%s')\" && : > '%s'", path, path),
      0);
  ck_assert_int_eq(system(cmd), 0);
  free(cmd);
  return path;
}

START_TEST(build_tree_is_libtools_uninstalled_directories_exactly) {
  char *build = test_tempdir();
  char *outside = test_tempdir();
  char *uninstalled = touch_under(build, ".libs/libpail.so.0.0.0");
  char *link = NULL, *linked_build = NULL;
  ck_assert_int_ge(asprintf(&link, "%s/.libs/libpail.so.0", build), 0);
  ck_assert_int_eq(symlink("libpail.so.0.0.0", link), 0);
  ck_assert_int_ge(asprintf(&linked_build, "%s/build-link", outside), 0);
  ck_assert_int_eq(symlink(build, linked_build), 0);
  char *unit_test = touch_under(build, "tests/test_plugin");
  char *wrapped_test = touch_under(build, "tests/.libs/lt-test_plugin");
  /* Installed with --prefix=$builddir/inst: inside the build tree, but
   * installed, so not the build tree's own libpail. */
  char *installed = touch_under(build, "inst/lib/libpail.so.0");
  char *sibling = touch_under(build, ".libs-old/libpail.so.0");
  char *nested = touch_under(build, "backends/fs/.libs/libpail.so.0");
  char *foreign = touch_under(outside, ".libs/libpail.so.0");
  char *missing = NULL;
  ck_assert_int_ge(asprintf(&missing, "%s/.libs/missing.so", build), 0);

  ck_assert(backend_core_in_build_tree(uninstalled, build));
  ck_assert(backend_core_in_build_tree(link, build));
  ck_assert(backend_core_in_build_tree(uninstalled, linked_build));
  ck_assert(backend_core_in_build_tree(unit_test, build));
  ck_assert(backend_core_in_build_tree(wrapped_test, build));
  ck_assert(!backend_core_in_build_tree(installed, build));
  ck_assert(!backend_core_in_build_tree(sibling, build));
  ck_assert(!backend_core_in_build_tree(nested, build));
  ck_assert(!backend_core_in_build_tree(foreign, build));
  ck_assert(!backend_core_in_build_tree(missing, build));
  ck_assert(!backend_core_in_build_tree(uninstalled, outside));

  free(uninstalled);
  free(link);
  free(linked_build);
  free(unit_test);
  free(wrapped_test);
  free(installed);
  free(sibling);
  free(nested);
  free(foreign);
  free(missing);
  test_tempdir_remove(build);
  test_tempdir_remove(outside);
}
END_TEST

START_TEST(world_writable_plugin_directory_is_refused) {
  char *dir = test_tempdir();
  char *dst = NULL, *cmd = NULL;
  ck_assert_int_ge(asprintf(&dst, "%s/pail_openfails.so", dir), 0);
  ck_assert_int_ge(
      asprintf(&cmd, "cp '%s/pail_openfails.so' '%s'", plugin_dir(), dst), 0);
  ck_assert_int_eq(system(cmd), 0);
  ck_assert_int_eq(chmod(dir, 0777), 0);
  /* Loaded by path, not through the process-wide registry, which may hold
   * openfails already when tests share one process (CK_FORK=no). */
  backend *b = NULL;
  pail_error *err = NULL;
  ck_assert_int_ne(backend_load_file(dst, "openfails", &b, &err), PAIL_OK);
  ck_assert_ptr_null(b);
  ck_assert_int_eq(pail_error_category(err), PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(pail_error_message(err), "world-writable");
  pail_error_free(err);
  free(cmd);
  free(dst);
  test_tempdir_remove(dir);
}
END_TEST

START_TEST(plugin_of_another_user_in_a_sticky_shared_directory_is_refused) {
  /* /tmp-like: world-writable with the sticky bit, so anyone can plant a
   * file there. Making it another user's file needs root. */
  if (geteuid() != 0)
    return;
  char *dir = test_tempdir();
  char *dst = NULL, *cmd = NULL;
  ck_assert_int_ge(asprintf(&dst, "%s/pail_openfails.so", dir), 0);
  ck_assert_int_ge(
      asprintf(&cmd, "cp '%s/pail_openfails.so' '%s'", plugin_dir(), dst), 0);
  ck_assert_int_eq(system(cmd), 0);
  ck_assert_int_eq(chmod(dir, 01777), 0);
  ck_assert_int_eq(chown(dst, 65534, 65534), 0);
  backend *b = NULL;
  pail_error *err = NULL;
  ck_assert_int_ne(backend_load_file(dst, "openfails", &b, &err), PAIL_OK);
  ck_assert_ptr_null(b);
  ck_assert_int_eq(pail_error_category(err), PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(pail_error_message(err), "another user");
  pail_error_free(err);
  /* Our own file there loads. */
  ck_assert_int_eq(chown(dst, 0, 0), 0);
  ck_assert_int_eq(backend_load_file(dst, "openfails", &b, NULL), PAIL_OK);
  backend_free(b);
  free(cmd);
  free(dst);
  test_tempdir_remove(dir);
}
END_TEST

START_TEST(plugins_load_lazily_on_first_use_of_a_storage) {
  setenv("PAIL_PLUGIN_PATH", plugin_dir(), 1);
  pail_workspace *ws = NULL;
  /* Opening settings that name a broken plugin succeeds: nothing loads. */
  ck_assert_int_eq(
      pail_workspace_open_json("{\"storage\": {\"type\": \"wrongabi\"}}", NULL,
                               &ws, NULL),
      PAIL_OK);
  pail_pointer *ptr = NULL;
  ck_assert_int_eq(pail_pointer_parse("a/b", NULL, &ptr, NULL), PAIL_OK);
  pail_object_info info;
  pail_error *err = NULL;
  ck_assert_int_eq(pail_stat(ws, ptr, &info, &err), PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), "ABI 2.3");
  pail_error_free(err);
  pail_pointer_free(ptr);
  pail_workspace_close(ws);
}
END_TEST

static pail_status inproc_open(const pail_config *cfg, void **instance,
                               pail_error **err) {
  (void)cfg;
  (void)err;
  *instance = NULL;
  return PAIL_OK;
}

static void inproc_close(void *instance) {
  (void)instance;
}

static pail_backend_ops inproc_ops = {
    .abi_version = PAIL_BACKEND_ABI_VERSION,
    .struct_size = sizeof(pail_backend_ops),
    .name = "inproc",
    .version = "1.2.3",
    .capabilities = PAIL_CAP_PRESIGN,
    .open = inproc_open,
    .close = inproc_close,
};

START_TEST(in_process_backend_registers_once_and_is_scanned) {
  ck_assert_int_eq(pail_backend_register(&inproc_ops, NULL), PAIL_OK);
  pail_error *err = NULL;
  ck_assert_int_eq(pail_backend_register(&inproc_ops, &err), PAIL_ERR_CONFLICT);
  pail_error_free(err);
  pail_workspace *ws = NULL;
  ck_assert_int_eq(
      pail_workspace_open_json("{\"storage\": {\"type\": \"inproc\"}}", NULL,
                               &ws, NULL),
      PAIL_OK);
  ck_assert_int_eq(pail_workspace_check_storage(ws, NULL, NULL), PAIL_OK);
  pail_workspace_close(ws);
  pail_backend_info *infos = NULL;
  size_t count = 0;
  ck_assert_int_eq(pail_backend_scan(&infos, &count, NULL), PAIL_OK);
  bool found = false;
  for (size_t i = 0; i < count; i++) {
    if (strcmp(infos[i].type, "inproc") == 0) {
      found = true;
      ck_assert_ptr_null(infos[i].path);
      ck_assert_str_eq(infos[i].version, "1.2.3");
      ck_assert_uint_eq(infos[i].capabilities, PAIL_CAP_PRESIGN);
    }
  }
  ck_assert(found);
  pail_backend_info_free(infos, count);
}
END_TEST

START_TEST(in_process_backend_with_wrong_abi_is_refused) {
  pail_backend_ops ops = inproc_ops;
  ops.name = "inproc2";
  ops.abi_version = PAIL_ABI_VERSION_MAKE(0, 9);
  pail_error *err = NULL;
  ck_assert_int_eq(pail_backend_register(&ops, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), "ABI 0.9");
  pail_error_free(err);
}
END_TEST

START_TEST(scan_lists_broken_plugins_with_their_error) {
  setenv("PAIL_PLUGIN_PATH", plugin_dir(), 1);
  pail_backend_info *infos = NULL;
  size_t count = 0;
  ck_assert_int_eq(pail_backend_scan(&infos, &count, NULL), PAIL_OK);
  int seen = 0;
  for (size_t i = 0; i < count; i++) {
    if (strcmp(infos[i].type, "wrongabi") == 0) {
      ck_assert_ptr_nonnull(infos[i].error);
      seen++;
    }
    if (strcmp(infos[i].type, "openfails") == 0) {
      ck_assert_ptr_null(infos[i].error); /* loads fine; only open fails */
      seen++;
    }
    if (strcmp(infos[i].type, "fs") == 0)
      seen++;
  }
  ck_assert_int_eq(seen, 3);
  pail_backend_info_free(infos, count);
}
END_TEST

/* ------------------------------------------------------------ redaction */

/* A backend that puts its credentials in every log line and error, as a
 * careless plugin (or a server echoing a request) would. */
static const pail_core_services *leaky_core;

static const pail_backend_field leaky_fields[] = {
    {"token", PAIL_FIELD_STRING, 0, 1, "a secret string"},
    {"account_key", PAIL_FIELD_OBJECT_OR_STRING, 0, 1,
     "a service account key, as an object or a string of JSON"},
    {"region", PAIL_FIELD_STRING, 0, 0, "not a secret"},
    {NULL, 0, 0, 0, NULL},
};

/* The private key of account_key, read back the way a plugin would. */
static char *leaky_private_key(const pail_config *cfg) {
  char *text = leaky_core->config_json(cfg, "account_key");
  json_t *value = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
  free(text);
  if (json_is_string(value)) {
    json_t *inner = json_loads(json_string_value(value), 0, NULL);
    json_decref(value);
    value = inner;
  }
  const char *key = json_string_value(json_object_get(value, "private_key"));
  char *copy = strdup(key ? key : "");
  json_decref(value);
  return copy;
}

static pail_status leaky_open(const pail_config *cfg, void **instance,
                              pail_error **err) {
  const char *token = leaky_core->config_string(cfg, "token");
  char *private_key = leaky_private_key(cfg);
  leaky_core->log(cfg, PAIL_LOG_ERROR, "token=%s key=%s region=%s",
                  token ? token : "", private_key,
                  leaky_core->config_string(cfg, "region"));
  pail_status status = PAIL_OK;
  if (strcmp(leaky_core->config_string(cfg, "region"), "refuse") == 0)
    status = leaky_core->error_set(err, PAIL_ERR_ACCESS_DENIED, 403, NULL, NULL,
                                   "open refused token %s key %s",
                                   token ? token : "", private_key);
  free(private_key);
  *instance = (void *)cfg;
  return status;
}

static void leaky_close(void *instance) {
  (void)instance;
}

static pail_status leaky_stat(void *instance, const char *key,
                              pail_object_info *out, pail_error **err) {
  (void)out;
  const pail_config *cfg = instance;
  char *private_key = leaky_private_key(cfg);
  const char *token = leaky_core->config_string(cfg, "token");
  pail_status status =
      leaky_core->error_set(err, PAIL_ERR_ACCESS_DENIED, 403, NULL, NULL,
                            "stat of %s refused: token %s, key %s", key,
                            token ? token : "", private_key);
  free(private_key);
  return status;
}

static const pail_backend_ops leaky_ops = {
    .abi_version = PAIL_BACKEND_ABI_VERSION,
    .struct_size = sizeof(pail_backend_ops),
    .name = "leaky",
    .version = "1",
    .fields = leaky_fields,
    .open = leaky_open,
    .close = leaky_close,
    .stat = leaky_stat,
};

typedef struct log_capture {
  char text[4096];
} log_capture;

static void capture_log(void *user_data, pail_log_level level,
                        const char *message) {
  (void)level;
  log_capture *c = user_data;
  size_t used = strlen(c->text);
  snprintf(c->text + used, sizeof c->text - used, "%s\n", message);
}

static void leaky_register(void) {
  leaky_core = pail_core_services_get();
  static bool registered; /* once per process, CK_FORK=no too */
  if (!registered)
    ck_assert_int_eq(pail_backend_register(&leaky_ops, NULL), PAIL_OK);
  registered = true;
}

#define PRIVATE_KEY "-----BEGIN PRIVATE KEY-----MIIEvQIBADANBg-----END"

/* A workspace of the settings document json whose log lines go to c. */
static pail_workspace *logged_workspace(const char *json, log_capture *c) {
  pail_options options = PAIL_OPTIONS_INIT;
  options.log = capture_log;
  options.log_user_data = c;
  options.log_level = PAIL_LOG_DEBUG;
  pail_workspace *ws = NULL;
  pail_error *err = NULL;
  ck_assert_msg(pail_workspace_open_json(json, &options, &ws, &err) == PAIL_OK,
                "%s", pail_error_message(err));
  return ws;
}

/* Settings whose secrets the messages must never show. */
static pail_workspace *leaky_workspace(const char *storage, log_capture *c) {
  char *json = NULL;
  ck_assert_int_ge(asprintf(&json, "{\"storage\": %s}", storage), 0);
  pail_workspace *ws = logged_workspace(json, c);
  free(json);
  return ws;
}

static void assert_no_secret(const char *text, const char *secret) {
  ck_assert_msg(strstr(text, secret) == NULL, "\"%s\" shows \"%s\"", text,
                secret);
}

START_TEST(secrets_never_show_in_logs_or_backend_errors) {
  leaky_register();
  const char *object_key =
      "{\"type\": \"leaky\", \"token\": \"tok-3141592653\", \"region\": "
      "\"eu-west-1\", \"account_key\": {\"client_email\": "
      "\"bot@example.iam\", \"private_key\": \"" PRIVATE_KEY "\"}}";
  log_capture c = {""};
  pail_workspace *ws = leaky_workspace(object_key, &c);
  pail_pointer ptr = {.key = (char *)"some/key"};
  pail_object_info info;
  pail_error *err = NULL;
  ck_assert_int_eq(pail_stat(ws, &ptr, &info, &err), PAIL_ERR_ACCESS_DENIED);
  const char *message = pail_error_message(err);
  ck_assert_contains(message, "stat of some/key refused");
  assert_no_secret(message, "tok-3141592653");
  assert_no_secret(message, PRIVATE_KEY);
  pail_error_free(err);
  ck_assert_contains(c.text, "token=*** key=*** region=eu-west-1");
  pail_workspace_close(ws);

  /* The same key given as a string of JSON, as Windmill resources hold it;
   * members that are not credentials stay readable. */
  const char *string_key =
      "{\"type\": \"leaky\", \"region\": \"refuse\", \"account_key\": "
      "\"{\\\"client_email\\\": \\\"bot@example.iam\\\", "
      "\\\"private_key\\\": \\\"" PRIVATE_KEY "\\\"}\"}";
  memset(&c, 0, sizeof c);
  ws = leaky_workspace(string_key, &c);
  err = NULL;
  ck_assert_int_eq(pail_workspace_check_storage(ws, NULL, &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(pail_error_message(err), "open refused");
  assert_no_secret(pail_error_message(err), PRIVATE_KEY);
  pail_error_free(err);
  assert_no_secret(c.text, PRIVATE_KEY);
  ck_assert_contains(c.text, "key=***");
  pail_workspace_close(ws);
}
END_TEST

START_TEST(secret_that_reads_like_the_mask_does_not_hang_redaction) {
  leaky_register();
  log_capture c = {""};
  pail_workspace *ws = leaky_workspace(
      "{\"type\": \"leaky\", \"token\": \"***\", \"region\": \"r\"}", &c);
  ck_assert_int_eq(pail_workspace_check_storage(ws, NULL, NULL), PAIL_OK);
  ck_assert_contains(c.text, "token=*** key= region=r");
  pail_workspace_close(ws);
}
END_TEST

/* A URL's userinfo with a password, in a field that is not secret (an
 * endpoint), is masked wherever a message quotes it; e-mail addresses are
 * left alone. */
START_TEST(a_password_in_a_url_is_masked) {
  leaky_register();
  log_capture c = {""};
  pail_workspace *ws = leaky_workspace(
      "{\"type\": \"leaky\", \"token\": \"t0k\", "
      "\"region\": \"http://bot:hunter2%2Fx@proxy.example:8080/ a:b@c "
      "bot@example.iam\"}",
      &c);
  ck_assert_int_eq(pail_workspace_check_storage(ws, NULL, NULL), PAIL_OK);
  assert_no_secret(c.text, "hunter2");
  assert_no_secret(c.text, "bot:");
  ck_assert_contains(c.text, "region=http://***@proxy.example:8080/ ***@c "
                             "bot@example.iam");
  pail_workspace_close(ws);
}
END_TEST

/* "relay": a backend that hands its storage to another backend through
 * core_services.delegate_open (ABI 1.5), as gcs does with HMAC keys. */
static const pail_core_services *relay_core;

static const pail_backend_field relay_fields[] = {
    {"to", PAIL_FIELD_STRING, 1, 0, "the backend to delegate to"},
    {"with", PAIL_FIELD_STRING, 1, 0, "its fields, as a string of JSON"},
    {NULL, 0, 0, 0, NULL},
};

static pail_status relay_open(const pail_config *cfg, void **instance,
                              pail_error **err) {
  pail_delegate *d = NULL;
  pail_status status = relay_core->delegate_open(
      cfg, relay_core->config_string(cfg, "to"),
      relay_core->config_string(cfg, "with"), &d, err);
  *instance = d;
  return status;
}

static void relay_close(void *instance) {
  relay_core->delegate_close(instance);
}

static pail_status relay_stat(void *instance, const char *key,
                              pail_object_info *out, pail_error **err) {
  pail_delegate *d = instance;
  return d->ops->stat(d->instance, key, out, err);
}

static const pail_backend_ops relay_ops = {
    .abi_version = PAIL_BACKEND_ABI_VERSION,
    .struct_size = sizeof(pail_backend_ops),
    .name = "relay",
    .version = "1",
    .fields = relay_fields,
    .open = relay_open,
    .close = relay_close,
    .stat = relay_stat,
};

static void relay_register(void) {
  relay_core = pail_core_services_get();
  static bool registered;
  if (!registered)
    ck_assert_int_eq(pail_backend_register(&relay_ops, NULL), PAIL_OK);
  registered = true;
}

/* A workspace whose primary storage relays to `to` with fields `with`, and
 * whose secondary "direct" is a mem storage named "relayed". */
static pail_workspace *relay_workspace(const char *to, const char *with,
                                       log_capture *c) {
  relay_register();
  json_t *doc =
      json_pack("{s:{s:s, s:s, s:s}, s:{s:{s:s, s:s}}}", "storage", "type",
                "relay", "to", to, "with", with, "secondary_storage", "direct",
                "type", "mem", "name", "relayed");
  char *json = json_dumps(doc, 0);
  json_decref(doc);
  pail_workspace *ws = logged_workspace(json, c);
  free(json);
  return ws;
}

START_TEST(delegate_reaches_the_other_backends_objects) {
  log_capture c = {""};
  pail_workspace *ws = relay_workspace("mem", "{\"name\": \"relayed\"}", &c);
  pail_pointer direct = {.key = (char *)"a/b.txt", .storage = (char *)"direct"};
  pail_pointer relayed = {.key = (char *)"a/b.txt"};
  pail_error *err = NULL;
  ck_assert_int_eq(pail_write(ws, &direct, "hello", 5, NULL, &err), PAIL_OK);
  pail_object_info info;
  ck_assert_msg(pail_stat(ws, &relayed, &info, &err) == PAIL_OK, "%s",
                pail_error_message(err));
  ck_assert_uint_eq(info.size, 5);
  pail_object_info_clear(&info);
  pail_pointer missing = {.key = (char *)"a/none"};
  ck_assert_int_eq(pail_stat(ws, &missing, &info, &err), PAIL_ERR_NOT_FOUND);
  pail_error_free(err);
  pail_workspace_close(ws);
}
END_TEST

START_TEST(delegate_fields_are_checked_and_named_for_the_storage) {
  log_capture c = {""};
  pail_workspace *ws = relay_workspace("mem", "{\"bogus\": 1}", &c);
  pail_error *err = NULL;
  ck_assert_int_eq(pail_workspace_check_storage(ws, NULL, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), "unknown field \"bogus\"");
  ck_assert_contains(pail_error_message(err), "(type mem)");
  pail_error_free(err);
  pail_workspace_close(ws);

  ws = relay_workspace("mem", "[1, 2]", &c);
  err = NULL;
  ck_assert_int_eq(pail_workspace_check_storage(ws, NULL, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), "not a JSON object");
  pail_error_free(err);
  pail_workspace_close(ws);

  setenv("PAIL_PLUGIN_PATH", plugin_dir(), 1);
  ws = relay_workspace("nosuchbackend", "{}", &c);
  err = NULL;
  ck_assert_int_eq(pail_workspace_check_storage(ws, NULL, &err),
                   PAIL_ERR_NOT_FOUND);
  ck_assert_contains(pail_error_message(err), "nosuchbackend");
  pail_error_free(err);
  pail_workspace_close(ws);
}
END_TEST

/* The delegate's own secret fields are redacted from its logs and errors,
 * which carry the storage's name. */
START_TEST(delegate_secrets_are_redacted_and_logs_name_the_storage) {
  leaky_register();
  log_capture c = {""};
  pail_workspace *ws = relay_workspace(
      "leaky", "{\"token\": \"tok-2718281828\", \"region\": \"refuse\"}", &c);
  pail_error *err = NULL;
  ck_assert_int_eq(pail_workspace_check_storage(ws, NULL, &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(pail_error_message(err), "open refused token ***");
  assert_no_secret(pail_error_message(err), "tok-2718281828");
  pail_error_free(err);
  ck_assert_contains(c.text, "primary storage: token=*** key= region=refuse");
  assert_no_secret(c.text, "tok-2718281828");
  pail_workspace_close(ws);
}
END_TEST

int main(void) {
  Suite *s = suite_create("plugin");
  TCase *tc = tcase_create("loader");
  tcase_add_test(tc, wrong_abi_major_is_refused_naming_file_and_both_versions);
  tcase_add_test(tc, every_core_service_is_provided);
  tcase_add_test(tc, missing_entry_symbol_is_refused_naming_file);
  tcase_add_test(tc,
                 future_plugin_refusing_silently_is_named_with_both_versions);
  tcase_add_test(tc, ops_table_smaller_than_abi_1_0_is_refused);
  tcase_add_test(tc, file_that_is_not_a_shared_object_is_refused);
  tcase_add_test(
      tc, plugin_whose_open_fails_reports_error_with_storage_and_provider);
  tcase_add_test(tc, unknown_type_is_not_found_listing_searched_dirs);
  tcase_add_test(tc, missing_backend_names_the_storage_that_uses_the_type);
  tcase_add_test(tc, relative_plugin_path_entries_are_ignored);
  tcase_add_test(tc, build_tree_plugins_are_found_without_configuration);
  tcase_add_test(tc, build_tree_is_libtools_uninstalled_directories_exactly);
  tcase_add_test(tc, world_writable_plugin_directory_is_refused);
  tcase_add_test(
      tc, plugin_of_another_user_in_a_sticky_shared_directory_is_refused);
  tcase_add_test(tc, plugins_load_lazily_on_first_use_of_a_storage);
  tcase_add_test(tc, in_process_backend_registers_once_and_is_scanned);
  tcase_add_test(tc, in_process_backend_with_wrong_abi_is_refused);
  tcase_add_test(tc, scan_lists_broken_plugins_with_their_error);
  tcase_add_test(tc, secrets_never_show_in_logs_or_backend_errors);
  tcase_add_test(tc, secret_that_reads_like_the_mask_does_not_hang_redaction);
  tcase_add_test(tc, a_password_in_a_url_is_masked);
  tcase_add_test(tc, delegate_reaches_the_other_backends_objects);
  tcase_add_test(tc, delegate_fields_are_checked_and_named_for_the_storage);
  tcase_add_test(tc, delegate_secrets_are_redacted_and_logs_name_the_storage);
  suite_add_tcase(s, tc);
  return test_run_suite(s);
}
