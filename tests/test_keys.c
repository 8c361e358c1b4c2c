/*
 * test_keys.c: narrowed workspaces (pail_workspace_narrow) and the
 * gateway's access keys (core/gateway/keys.c): a scope only narrows, keys
 * carry their scope and expiry, their secret is recomputed from the id
 * alone, a changed id or a removed signing key is refused, rotation keeps
 * old keys working until their signing key is removed.
 */
#include "gateway/keys.h"
#include "internal.h"
#include "testutil.h"

#include <sys/stat.h>

static char *root;
static pail_error *err;

static void setup(void) {
  root = test_tempdir();
  char path[300];
  snprintf(path, sizeof path, "%s/a", root);
  mkdir(path, 0700);
  snprintf(path, sizeof path, "%s/b", root);
  mkdir(path, 0700);
  err = NULL;
}

static void teardown(void) {
  test_tempdir_remove(root);
  pail_error_free(err);
  err = NULL;
}

/* A workspace of two fs storages over root, with gateway_keys (a JSON
 * array, or NULL for the workspace key) and rules (or NULL). */
static pail_workspace *open_workspace(const char *keys, const char *rules,
                                      const char *user) {
  char *json = str_printf(
      "{\"storage\": {\"type\": \"fs\", \"root_path\": \"%s\"},"
      " \"secondary_storage\": {\"two\": {\"type\": \"fs\", \"root_path\": "
      "\"%s\"}},"
      " \"workspace_key\": \"0123456789abcdef0123\"%s%s%s%s}",
      root, root, keys ? ", \"gateway_keys\": " : "", keys ? keys : "",
      rules ? ", \"advanced_permissions\": " : "", rules ? rules : "");
  pail_options options = PAIL_OPTIONS_INIT;
  options.username = user;
  pail_workspace *ws = NULL;
  ck_assert_int_eq(pail_workspace_open_json(json, &options, &ws, &err),
                   PAIL_OK);
  free(json);
  return ws;
}

static pail_status write_to(pail_workspace *ws, const char *storage,
                            const char *key) {
  pail_pointer p = {.storage = (char *)storage, .key = (char *)key};
  pail_error_free(err);
  err = NULL;
  return pail_write(ws, &p, "x", 1, NULL, &err);
}

static pail_status read_from(pail_workspace *ws, const char *storage,
                             const char *key) {
  pail_pointer p = {.storage = (char *)storage, .key = (char *)key};
  void *data = NULL;
  size_t length = 0;
  pail_error_free(err);
  err = NULL;
  pail_status status = pail_read(ws, &p, NULL, &data, &length, &err);
  free(data);
  return status;
}

START_TEST(a_scope_narrows_kinds_prefixes_and_storages) {
  pail_workspace *ws = open_workspace(NULL, NULL, NULL);
  ck_assert_int_eq(write_to(ws, NULL, "a/x"), PAIL_OK);
  ck_assert_int_eq(write_to(ws, NULL, "b/x"), PAIL_OK);
  const char *prefixes[] = {"a/"};
  const char *storages[] = {"_default_"};
  pail_scope scope = PAIL_SCOPE_INIT;
  scope.access = PAIL_ACCESS_READ | PAIL_ACCESS_LIST;
  scope.prefixes = prefixes;
  scope.prefix_count = 1;
  scope.storages = storages;
  scope.storage_count = 1;
  pail_workspace *view = NULL;
  ck_assert_int_eq(pail_workspace_narrow(ws, &scope, &view, &err), PAIL_OK);
  ck_assert_int_eq(read_from(view, NULL, "a/x"), PAIL_OK);
  ck_assert_int_eq(read_from(view, NULL, "b/x"), PAIL_ERR_ACCESS_DENIED);
  ck_assert_str_eq(pail_error_message(err),
                   "read to \"b/x\" is outside the scope of these credentials");
  ck_assert_int_eq(write_to(view, NULL, "a/y"), PAIL_ERR_ACCESS_DENIED);
  ck_assert_str_eq(pail_error_message(err),
                   "write to \"a/y\" is not a kind of access these "
                   "credentials allow");
  ck_assert_int_eq(read_from(view, "two", "a/x"), PAIL_ERR_ACCESS_DENIED);
  ck_assert_str_eq(pail_error_message(err),
                   "read to \"a/x\" is in a storage outside the scope of "
                   "these credentials");
  ck_assert(workspace_scope_has_storage(view, "_default_"));
  ck_assert(!workspace_scope_has_storage(view, "two"));
  /* A listing is within the scope when its prefix is. */
  pail_pointer prefix = {.key = "a/"};
  pail_list_page page = {0};
  ck_assert_int_eq(pail_list(view, &prefix, NULL, &page, &err), PAIL_OK);
  ck_assert_uint_eq(page.count, 1);
  pail_list_page_clear(&page);
  prefix.key = "";
  ck_assert_int_eq(pail_list(view, &prefix, NULL, &page, &err),
                   PAIL_ERR_ACCESS_DENIED);
  pail_error_free(err);
  err = NULL;

  /* A view of a view: both scopes hold, and kinds only shrink. */
  pail_scope wider = PAIL_SCOPE_INIT; /* every kind, every key */
  pail_workspace *inner = NULL;
  ck_assert_int_eq(pail_workspace_narrow(view, &wider, &inner, &err), PAIL_OK);
  ck_assert_int_eq(write_to(inner, NULL, "a/z"), PAIL_ERR_ACCESS_DENIED);
  ck_assert_int_eq(read_from(inner, NULL, "b/x"), PAIL_ERR_ACCESS_DENIED);
  ck_assert_int_eq(read_from(inner, NULL, "a/x"), PAIL_OK);
  /* ... and cannot change its user. */
  wider.username = "mallory";
  pail_workspace *other = NULL;
  ck_assert_int_eq(pail_workspace_narrow(view, &wider, &other, &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_ptr_null(other);
  pail_workspace_close(inner);
  pail_workspace_close(view);
  pail_workspace_close(ws);
}
END_TEST

START_TEST(a_scope_checks_what_it_names) {
  pail_workspace *ws = open_workspace(NULL, NULL, NULL);
  const char *storages[] = {"nowhere"};
  pail_scope scope = PAIL_SCOPE_INIT;
  scope.storages = storages;
  scope.storage_count = 1;
  pail_workspace *view = NULL;
  ck_assert_int_eq(pail_workspace_narrow(ws, &scope, &view, &err),
                   PAIL_ERR_NOT_FOUND);
  pail_error_free(err);
  err = NULL;
  const char *prefixes[] = {"../up"};
  scope = (pail_scope)PAIL_SCOPE_INIT;
  scope.prefixes = prefixes;
  scope.prefix_count = 1;
  ck_assert_int_eq(pail_workspace_narrow(ws, &scope, &view, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  pail_workspace_close(ws);
}
END_TEST

/* The user a key names brings that user's rules along with the scope. */
START_TEST(a_scope_user_brings_the_rules) {
  pail_workspace *ws = open_workspace(
      NULL,
      "[{\"pattern\": \"u/{username}/**\", \"allow\": \"read,write,list\"}]",
      NULL);
  pail_scope scope = PAIL_SCOPE_INIT;
  scope.username = "alice";
  pail_workspace *view = NULL;
  ck_assert_int_eq(pail_workspace_narrow(ws, &scope, &view, &err), PAIL_OK);
  ck_assert_int_eq(write_to(view, NULL, "u/alice/x"), PAIL_OK);
  ck_assert_int_eq(write_to(view, NULL, "u/bob/x"), PAIL_ERR_ACCESS_DENIED);
  pail_workspace_close(view);
  pail_workspace_close(ws);
}
END_TEST

static void mint(pail_workspace *ws, const pail_scope *scope, int64_t at,
                 int64_t expires, pail_credentials *out) {
  pail_credentials_options options = PAIL_CREDENTIALS_OPTIONS_INIT;
  options.scope = scope;
  options.at = at;
  options.expires = expires;
  ck_assert_int_eq(pail_credentials_mint(ws, &options, out, &err), PAIL_OK);
}

START_TEST(a_key_carries_its_scope_and_secret) {
  pail_workspace *ws = open_workspace(NULL, NULL, NULL);
  const char *prefixes[] = {"a/"};
  pail_scope scope = PAIL_SCOPE_INIT;
  scope.access = PAIL_ACCESS_READ;
  scope.prefixes = prefixes;
  scope.prefix_count = 1;
  scope.username = "alice";
  pail_credentials keys;
  int64_t now = pail_time_now();
  mint(ws, &scope, now, 600, &keys);
  ck_assert_int_eq(strncmp(keys.access_key_id, "PK1", 3), 0);
  ck_assert_uint_eq(strlen(keys.secret_access_key), 43);
  ck_assert_int_eq(keys.expires_at, now + 600);

  char secret[GATEWAY_SECRET_SIZE];
  gateway_key_claims claims;
  ck_assert_int_eq(
      gateway_key_secret(ws, keys.access_key_id, secret, &claims, &err),
      PAIL_OK);
  ck_assert_str_eq(secret, keys.secret_access_key);
  ck_assert_str_eq(claims.username, "alice");
  ck_assert_uint_eq(claims.scope.access, PAIL_ACCESS_READ);
  ck_assert_uint_eq(claims.scope.prefix_count, 1);
  ck_assert_str_eq(claims.scope.prefixes[0], "a/");
  pail_workspace *view = NULL;
  ck_assert_int_eq(gateway_key_open(ws, &claims, now, &view, &err), PAIL_OK);
  ck_assert_str_eq(workspace_username(view), "alice");
  ck_assert_int_eq(write_to(view, NULL, "a/x"), PAIL_ERR_ACCESS_DENIED);
  pail_workspace_close(view);
  /* Good through the expiry second, refused after it. */
  ck_assert_int_eq(gateway_key_open(ws, &claims, now + 600, &view, &err),
                   PAIL_OK);
  pail_workspace_close(view);
  pail_error_free(err);
  err = NULL;
  ck_assert_int_eq(gateway_key_open(ws, &claims, now + 601, &view, &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_str_eq(pail_error_provider_code(err), "ExpiredToken");
  ck_assert_ptr_null(view);
  gateway_key_claims_clear(&claims);

  /* Any change to the id changes its secret, or the id is no longer ours. */
  for (size_t i = 3; i < strlen(keys.access_key_id); i += 7) {
    char *changed = strdup(keys.access_key_id);
    changed[i] = changed[i] == 'A' ? 'B' : 'A';
    pail_error_free(err);
    err = NULL;
    if (gateway_key_secret(ws, changed, secret, &claims, &err) == PAIL_OK) {
      ck_assert_str_ne(secret, keys.secret_access_key);
      gateway_key_claims_clear(&claims);
    } else {
      ck_assert_str_eq(pail_error_provider_code(err), "InvalidAccessKeyId");
    }
    free(changed);
  }
  ck_assert_int_eq(
      gateway_key_secret(ws, "AKIAIOSFODNN7EXAMPLE", secret, &claims, &err),
      PAIL_ERR_ACCESS_DENIED);
  pail_credentials_clear(&keys);
  pail_workspace_close(ws);
}
END_TEST

START_TEST(only_a_root_mints_within_limits) {
  pail_workspace *ws = open_workspace(NULL, NULL, NULL);
  pail_scope scope = PAIL_SCOPE_INIT;
  pail_workspace *view = NULL;
  ck_assert_int_eq(pail_workspace_narrow(ws, &scope, &view, &err), PAIL_OK);
  pail_credentials keys;
  pail_credentials_options options = PAIL_CREDENTIALS_OPTIONS_INIT;
  ck_assert_int_eq(pail_credentials_mint(view, &options, &keys, &err),
                   PAIL_ERR_ACCESS_DENIED);
  pail_workspace_close(view);
  options.expires = PAIL_SIGN_MAX_EXPIRES + 1;
  ck_assert_int_eq(pail_credentials_mint(ws, &options, &keys, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  options.expires = -1;
  ck_assert_int_eq(pail_credentials_mint(ws, &options, &keys, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  pail_workspace_close(ws);
}
END_TEST

/* Keys minted under one signing key keep working while it is listed, and
 * are refused once it is removed; new keys use the first. */
START_TEST(signing_keys_rotate) {
  const char *old_only = "[{\"id\": \"old\", \"secret\": "
                         "\"0000000000000000000000000000000000\"}]";
  const char *both = "[{\"id\": \"new\", \"secret\": "
                     "\"1111111111111111111111111111111111\"},"
                     " {\"id\": \"old\", \"secret\": "
                     "\"0000000000000000000000000000000000\"}]";
  const char *new_only = "[{\"id\": \"new\", \"secret\": "
                         "\"1111111111111111111111111111111111\"}]";
  pail_workspace *ws = open_workspace(old_only, NULL, NULL);
  pail_credentials old_keys;
  mint(ws, NULL, 0, 0, &old_keys);
  pail_workspace_close(ws);

  ws = open_workspace(both, NULL, NULL);
  char secret[GATEWAY_SECRET_SIZE];
  gateway_key_claims claims;
  ck_assert_int_eq(
      gateway_key_secret(ws, old_keys.access_key_id, secret, &claims, &err),
      PAIL_OK);
  ck_assert_str_eq(secret, old_keys.secret_access_key);
  ck_assert_str_eq(claims.signing_key_id, "old");
  gateway_key_claims_clear(&claims);
  pail_credentials new_keys;
  mint(ws, NULL, 0, 0, &new_keys);
  ck_assert_int_eq(
      gateway_key_secret(ws, new_keys.access_key_id, secret, &claims, &err),
      PAIL_OK);
  ck_assert_str_eq(claims.signing_key_id, "new");
  gateway_key_claims_clear(&claims);
  pail_workspace_close(ws);

  ws = open_workspace(new_only, NULL, NULL);
  ck_assert_int_eq(
      gateway_key_secret(ws, old_keys.access_key_id, secret, &claims, &err),
      PAIL_ERR_ACCESS_DENIED);
  ck_assert_str_eq(pail_error_provider_code(err), "InvalidAccessKeyId");
  pail_workspace_close(ws);
  pail_credentials_clear(&old_keys);
  pail_credentials_clear(&new_keys);
}
END_TEST

START_TEST(gateway_keys_settings_are_checked) {
  static const struct {
    const char *keys, *message;
  } cases[] = {
      {"[]", "must be a non-empty array"},
      {"{}", "must be a non-empty array"},
      {"[{\"id\": \"a\"}]", "must be an object of two strings"},
      {"[{\"id\": \"a b\", \"secret\": "
       "\"0123456789012345678901234567890123\"}]",
       "\"id\" must be 1 to 32 letters"},
      {"[{\"id\": \"a\", \"secret\": \"short\"}]", "at least 32 characters"},
      {"[{\"id\": \"a\", \"secret\": \"0123456789012345678901234567890123\"},"
       " {\"id\": \"a\", \"secret\": \"0123456789012345678901234567890123\"}]",
       "is given twice"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *json = str_printf("{\"storage\": {\"type\": \"fs\", \"root_path\": "
                            "\"%s\"}, \"gateway_keys\": %s}",
                            root, cases[i].keys);
    pail_workspace *ws = NULL;
    pail_error_free(err);
    err = NULL;
    ck_assert_int_eq(pail_workspace_open_json(json, NULL, &ws, &err),
                     PAIL_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(pail_error_message(err), cases[i].message) != NULL,
                  "case %zu: %s", i, pail_error_message(err));
    ck_assert_ptr_null(strstr(pail_error_message(err), "0123456789"));
    free(json);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("keys");
  TCase *tc = tcase_create("keys");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, a_scope_narrows_kinds_prefixes_and_storages);
  tcase_add_test(tc, a_scope_checks_what_it_names);
  tcase_add_test(tc, a_scope_user_brings_the_rules);
  tcase_add_test(tc, a_key_carries_its_scope_and_secret);
  tcase_add_test(tc, only_a_root_mints_within_limits);
  tcase_add_test(tc, signing_keys_rotate);
  tcase_add_test(tc, gateway_keys_settings_are_checked);
  suite_add_tcase(s, tc);
  return test_run_suite(s);
}
