/*
 * test_grant.c: workspace-signed grants (core/grant.c, docs/architecture.md).
 * The expected signatures were computed independently with
 *   printf '%s' 'file_key=<key>&exp=<exp>[&storage=<name>]' |
 *     openssl dgst -sha256 -hmac 'test-workspace-key-0123'
 */
#include "internal.h"
#include "testutil.h"

static const char secret[] = "test-workspace-key-0123";
#define SECRET ((const unsigned char *)secret), (sizeof secret - 1)

/* 2026-11-25T10:10:00Z */
#define EXPIRES 1795601400
#define KEY "a/b c.parquet"
#define GRANT_PRIMARY                                                          \
  "exp=1795601400&sig="                                                        \
  "2f81d41a5afa57c10ed765d02ebe780df61860354014e6b3094c4d28914d0ca0"
#define GRANT_ARCHIVE                                                          \
  "exp=1795601400&sig="                                                        \
  "b6e26c089e1e2b450fe568e4bdb45c4df898ddc233184605a87538ec764d6675"

static char *compute(const char *key, const char *storage, int64_t expires) {
  char *presigned = NULL;
  pail_error *err = NULL;
  ck_assert_msg(
      grant_compute(SECRET, key, storage, expires, &presigned, &err) == PAIL_OK,
      "%s", pail_error_message(err));
  ck_assert_ptr_nonnull(presigned);
  return presigned;
}

/* Asserts that grant_check refuses as access denied with needle in the
 * message. */
static void expect_refused(const char *key, const char *storage,
                           const char *presigned, int64_t now,
                           const char *needle) {
  pail_error *err = NULL;
  ck_assert_int_eq(grant_check(SECRET, key, storage, presigned, now, &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_int_eq(pail_error_category(err), PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(pail_error_message(err), needle);
  pail_error_free(err);
}

static void expect_malformed(const char *presigned, const char *needle) {
  expect_refused(KEY, NULL, presigned, EXPIRES - 1, "malformed grant");
  expect_refused(KEY, NULL, presigned, EXPIRES - 1, needle);
}

/* ------------------------------------------------------------- compute */

START_TEST(grant_for_the_primary_matches_an_independent_hmac) {
  char *presigned = compute(KEY, NULL, EXPIRES);
  ck_assert_str_eq(presigned, GRANT_PRIMARY);
  free(presigned);
}
END_TEST

START_TEST(grant_for_a_secondary_signs_the_storage) {
  char *presigned = compute(KEY, "archive", EXPIRES);
  ck_assert_str_eq(presigned, GRANT_ARCHIVE);
  free(presigned);
}
END_TEST

START_TEST(default_alias_signs_as_the_primary) {
  char *presigned = compute(KEY, "_default_", EXPIRES);
  ck_assert_str_eq(presigned, GRANT_PRIMARY);
  free(presigned);
}
END_TEST

START_TEST(unicode_and_reserved_characters_are_signed_raw) {
  char *presigned = compute("ü/x+y%20=z", NULL, 0);
  ck_assert_str_eq(
      presigned,
      "exp=0&sig="
      "47d9b41e36d720cb90760fb484991bb608bcd0a4d991ec11b409ec1bc17522ac");
  free(presigned);
}
END_TEST

START_TEST(negative_expiry_is_refused) {
  char *presigned = (char *)"sentinel";
  pail_error *err = NULL;
  ck_assert_int_eq(grant_compute(SECRET, KEY, NULL, -1, &presigned, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(presigned);
  pail_error_free(err);
}
END_TEST

/* --------------------------------------------------------------- check */

START_TEST(valid_grant_is_accepted_until_its_expiry_second) {
  ck_assert_int_eq(grant_check(SECRET, KEY, NULL, GRANT_PRIMARY, 0, NULL),
                   PAIL_OK);
  ck_assert_int_eq(grant_check(SECRET, KEY, NULL, GRANT_PRIMARY, EXPIRES, NULL),
                   PAIL_OK);
  ck_assert_int_eq(
      grant_check(SECRET, KEY, "archive", GRANT_ARCHIVE, EXPIRES - 100, NULL),
      PAIL_OK);
}
END_TEST

START_TEST(expired_grant_is_refused_with_its_expiry_time) {
  pail_error *err = NULL;
  ck_assert_int_eq(
      grant_check(SECRET, KEY, NULL, GRANT_PRIMARY, EXPIRES + 1, &err),
      PAIL_ERR_ACCESS_DENIED);
  ck_assert_str_eq(pail_error_message(err),
                   "grant expired at 2026-11-25T10:10:00Z");
  pail_error_free(err);
}
END_TEST

START_TEST(tampered_signature_is_refused) {
  char tampered[] = GRANT_PRIMARY;
  char *last = tampered + strlen(tampered) - 1;
  *last = *last == '0' ? '1' : '0';
  expect_refused(KEY, NULL, tampered, EXPIRES, "signature does not match");
}
END_TEST

START_TEST(changed_expiry_is_refused) {
  char tampered[] = GRANT_PRIMARY;
  tampered[4] = '2'; /* exp=2795601400: later, and not what was signed */
  expect_refused(KEY, NULL, tampered, EXPIRES, "signature does not match");
}
END_TEST

START_TEST(grant_for_another_key_is_refused) {
  expect_refused("a/b c.parquet2", NULL, GRANT_PRIMARY, EXPIRES,
                 "signature does not match");
  expect_refused("a/b", NULL, GRANT_PRIMARY, EXPIRES,
                 "signature does not match");
}
END_TEST

START_TEST(grant_for_another_storage_is_refused) {
  expect_refused(KEY, "archive", GRANT_PRIMARY, EXPIRES,
                 "signature does not match");
  expect_refused(KEY, NULL, GRANT_ARCHIVE, EXPIRES, "signature does not match");
  expect_refused(KEY, "archive2", GRANT_ARCHIVE, EXPIRES,
                 "signature does not match");
}
END_TEST

START_TEST(grant_under_another_workspace_key_is_refused) {
  static const char other[] = "test-workspace-key-0124";
  pail_error *err = NULL;
  ck_assert_int_eq(grant_check((const unsigned char *)other, sizeof other - 1,
                               KEY, NULL, GRANT_PRIMARY, EXPIRES, &err),
                   PAIL_ERR_ACCESS_DENIED);
  pail_error_free(err);
}
END_TEST

START_TEST(forged_grant_is_refused_before_expiry_is_considered) {
  /* A bad signature says so even when the claimed time has passed. */
  char tampered[] = GRANT_PRIMARY;
  tampered[strlen(tampered) - 1] = 'f';
  expect_refused(KEY, NULL, tampered, EXPIRES + 1000,
                 "signature does not match");
}
END_TEST

#define SIG64 "2f81d41a5afa57c10ed765d02ebe780df61860354014e6b3094c4d28914d0ca0"

START_TEST(missing_grant_is_refused) {
  expect_refused(KEY, NULL, NULL, 0, "no grant");
}
END_TEST

START_TEST(grant_without_exp_is_malformed) {
  expect_malformed("", "does not start with \"exp=\"");
  expect_malformed("sig=" SIG64 "&exp=1795601400", "does not start");
  expect_malformed("exp=&sig=" SIG64, "exp is not a number");
}
END_TEST

START_TEST(exp_that_is_not_digits_is_malformed) {
  expect_malformed("exp=-1&sig=" SIG64, "exp is not a number");
  expect_malformed("exp=+1795601400&sig=" SIG64, "exp is not a number");
  expect_malformed("exp=17956014a0&sig=" SIG64,
                   "exp is not followed by \"&sig=\"");
  expect_malformed("exp= 1&sig=" SIG64, "exp is not a number");
}
END_TEST

START_TEST(exp_with_leading_zero_or_too_large_is_malformed) {
  expect_malformed("exp=01795601400&sig=" SIG64, "exp is out of range");
  expect_malformed("exp=9223372036854775808&sig=" SIG64, "out of range");
  expect_malformed("exp=99999999999999999999&sig=" SIG64, "out of range");
}
END_TEST

START_TEST(sig_that_is_not_64_lowercase_hex_is_malformed) {
  expect_malformed("exp=1795601400", "there is no sig");
  expect_malformed("exp=1795601400&sig=", "sig is not 64 lowercase hex");
  expect_malformed(
      "exp=1795601400&sig="
      "2F81D41A5AFA57C10ED765D02EBE780DF61860354014E6B3094C4D28914D0CA0",
      "sig is not 64 lowercase hex");
  expect_malformed("exp=1795601400&sig=" SIG64 "0",
                   "sig is not 64 lowercase hex");
  expect_malformed("exp=1795601400&sig=2f81", "sig is not 64 lowercase hex");
  expect_malformed("exp=1795601400&sig=g" SIG64, "sig is not 64");
}
END_TEST

START_TEST(extra_fields_are_malformed) {
  expect_malformed("exp=1795601400&sig=" SIG64 "&storage=archive",
                   "unexpected text after sig");
  expect_malformed("exp=1795601400&x=1&sig=" SIG64,
                   "exp is not followed by \"&sig=\"");
  expect_malformed("exp=1795601400&sig=" SIG64 "\n", "unexpected text");
}
END_TEST

/* ------------------------------------------------- through a workspace */

static pail_workspace *ws;
static char *root;

static void workspace_setup(void) {
  unsetenv("PAIL_WORKSPACE_KEY");
  unsetenv("PAIL_TEST_NOW");
  root = test_tempdir();
  char *json = NULL;
  ck_assert_int_ge(asprintf(&json,
                            "{\"storage\": {\"type\": \"fs\", \"root_path\": "
                            "\"%s\"}, \"workspace_key\": \"%s\"}",
                            root, secret),
                   0);
  pail_error *err = NULL;
  ck_assert_msg(pail_workspace_open_json(json, NULL, &ws, &err) == PAIL_OK,
                "%s", pail_error_message(err));
  free(json);
}

static void workspace_teardown(void) {
  pail_workspace_close(ws);
  ws = NULL;
  test_tempdir_remove(root);
  unsetenv("PAIL_TEST_NOW");
}

static pail_pointer *pointer(const char *storage, const char *key,
                             const char *presigned) {
  pail_pointer *p = NULL;
  ck_assert_int_eq(pail_pointer_new(storage, key, &p, NULL), PAIL_OK);
  if (presigned != NULL) {
    p->presigned = strdup(presigned);
    ck_assert_ptr_nonnull(p->presigned);
  }
  return p;
}

START_TEST(workspace_grant_uses_the_settings_key) {
  pail_pointer *p = pointer(NULL, KEY, NULL);
  char *presigned = NULL;
  ck_assert_int_eq(pail_grant_create(ws, p, EXPIRES, &presigned, NULL),
                   PAIL_OK);
  ck_assert_str_eq(presigned, GRANT_PRIMARY);
  free(presigned);
  pail_pointer_free(p);
  p = pointer("archive", KEY, NULL);
  ck_assert_int_eq(pail_grant_create(ws, p, EXPIRES, &presigned, NULL),
                   PAIL_OK);
  ck_assert_str_eq(presigned, GRANT_ARCHIVE);
  free(presigned);
  pail_pointer_free(p);
}
END_TEST

START_TEST(workspace_grant_for_an_invalid_key_is_refused) {
  pail_pointer bad = {.key = (char *)"a/../b"};
  char *presigned = NULL;
  pail_error *err = NULL;
  ck_assert_int_eq(pail_grant_create(ws, &bad, EXPIRES, &presigned, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(presigned);
  ck_assert_contains(pail_error_message(err), "\"..\" path segment");
  pail_error_free(err);
}
END_TEST

START_TEST(workspace_verify_accepts_its_grant_at_a_given_time) {
  pail_pointer *p = pointer("archive", KEY, GRANT_ARCHIVE);
  ck_assert_int_eq(pail_grant_verify(ws, p, EXPIRES - 1, NULL), PAIL_OK);
  pail_error *err = NULL;
  ck_assert_int_eq(pail_grant_verify(ws, p, EXPIRES + 1, &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_str_eq(pail_error_message(err),
                   "grant expired at 2026-11-25T10:10:00Z");
  pail_error_free(err);
  pail_pointer_free(p);
}
END_TEST

START_TEST(workspace_verify_without_a_time_uses_the_clock) {
  pail_pointer *p = pointer(NULL, KEY, GRANT_PRIMARY);
  setenv("PAIL_TEST_NOW", "2026-11-25T10:09:59Z", 1);
  ck_assert_int_eq(pail_grant_verify(ws, p, 0, NULL), PAIL_OK);
  setenv("PAIL_TEST_NOW", "2026-11-25T10:10:01Z", 1);
  pail_error *err = NULL;
  ck_assert_int_eq(pail_grant_verify(ws, p, 0, &err), PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(pail_error_message(err), "grant expired at");
  pail_error_free(err);
  pail_pointer_free(p);
}
END_TEST

START_TEST(workspace_verify_refuses_a_grant_moved_to_another_storage) {
  pail_pointer *p = pointer("other", KEY, GRANT_ARCHIVE);
  pail_error *err = NULL;
  ck_assert_int_eq(pail_grant_verify(ws, p, EXPIRES, &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(pail_error_message(err), "signature does not match");
  pail_error_free(err);
  pail_pointer_free(p);
}
END_TEST

START_TEST(workspace_verify_without_a_grant_is_refused) {
  pail_pointer *p = pointer(NULL, KEY, NULL);
  pail_error *err = NULL;
  ck_assert_int_eq(pail_grant_verify(ws, p, EXPIRES, &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(pail_error_message(err), "carries no grant");
  pail_error_free(err);
  pail_pointer_free(p);
}
END_TEST

START_TEST(workspace_grant_round_trips_through_json) {
  pail_pointer *p = pointer("archive", "ü dir/f+1.csv", NULL);
  ck_assert_int_eq(pail_grant_create(ws, p, EXPIRES, &p->presigned, NULL),
                   PAIL_OK);
  char *json = pail_pointer_to_json(p);
  pail_pointer *again = NULL;
  ck_assert_int_eq(pail_pointer_parse(json, NULL, &again, NULL), PAIL_OK);
  ck_assert_int_eq(pail_grant_verify(ws, again, EXPIRES, NULL), PAIL_OK);
  free(json);
  pail_pointer_free(again);
  pail_pointer_free(p);
}
END_TEST

int main(void) {
  Suite *s = suite_create("grant");
  TCase *tc = tcase_create("compute");
  tcase_add_test(tc, grant_for_the_primary_matches_an_independent_hmac);
  tcase_add_test(tc, grant_for_a_secondary_signs_the_storage);
  tcase_add_test(tc, default_alias_signs_as_the_primary);
  tcase_add_test(tc, unicode_and_reserved_characters_are_signed_raw);
  tcase_add_test(tc, negative_expiry_is_refused);
  suite_add_tcase(s, tc);

  tc = tcase_create("check");
  tcase_add_test(tc, valid_grant_is_accepted_until_its_expiry_second);
  tcase_add_test(tc, expired_grant_is_refused_with_its_expiry_time);
  tcase_add_test(tc, tampered_signature_is_refused);
  tcase_add_test(tc, changed_expiry_is_refused);
  tcase_add_test(tc, grant_for_another_key_is_refused);
  tcase_add_test(tc, grant_for_another_storage_is_refused);
  tcase_add_test(tc, grant_under_another_workspace_key_is_refused);
  tcase_add_test(tc, forged_grant_is_refused_before_expiry_is_considered);
  tcase_add_test(tc, missing_grant_is_refused);
  tcase_add_test(tc, grant_without_exp_is_malformed);
  tcase_add_test(tc, exp_that_is_not_digits_is_malformed);
  tcase_add_test(tc, exp_with_leading_zero_or_too_large_is_malformed);
  tcase_add_test(tc, sig_that_is_not_64_lowercase_hex_is_malformed);
  tcase_add_test(tc, extra_fields_are_malformed);
  suite_add_tcase(s, tc);

  tc = tcase_create("workspace");
  tcase_add_checked_fixture(tc, workspace_setup, workspace_teardown);
  tcase_add_test(tc, workspace_grant_uses_the_settings_key);
  tcase_add_test(tc, workspace_grant_for_an_invalid_key_is_refused);
  tcase_add_test(tc, workspace_verify_accepts_its_grant_at_a_given_time);
  tcase_add_test(tc, workspace_verify_without_a_time_uses_the_clock);
  tcase_add_test(tc, workspace_verify_refuses_a_grant_moved_to_another_storage);
  tcase_add_test(tc, workspace_verify_without_a_grant_is_refused);
  tcase_add_test(tc, workspace_grant_round_trips_through_json);
  suite_add_tcase(s, tc);
  return test_run_suite(s);
}
