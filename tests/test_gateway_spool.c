/*
 * test_gateway_spool.c: the spool of a native upload's part
 * (core/gateway/spool.c): what was written reads back from its file, its
 * MD5 is S3's part ETag, it leaves no file behind in $TMPDIR, and a part
 * past the limit is S3's EntityTooLarge.
 */
#include "gateway/exchange.h"
#include "testutil.h"

#include <dirent.h>
#include <unistd.h>

static char *dir;

static void setup(void) {
  dir = test_tempdir();
  setenv("TMPDIR", dir, 1);
}

static void teardown(void) {
  unsetenv("TMPDIR");
  test_tempdir_remove(dir);
}

/* How many names the directory holds, "." and ".." aside. */
static int names_in(const char *path) {
  DIR *d = opendir(path);
  ck_assert_ptr_nonnull(d);
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return n;
}

START_TEST(bytes_read_back_with_their_md5_and_no_name_in_tmpdir) {
  gateway_spool *s = NULL;
  pail_error *err = NULL;
  ck_assert_int_eq(gateway_spool_open(1024, &s, &err), PAIL_OK);
  ck_assert_int_eq(gateway_spool_write(s, "hello ", 6, &err), PAIL_OK);
  ck_assert_int_eq(gateway_spool_write(s, "world", 5, &err), PAIL_OK);
  ck_assert_uint_eq(gateway_spool_length(s), 11);
  ck_assert_int_eq(names_in(dir), 0);
  char back[16] = {0};
  ck_assert_int_eq(pread(gateway_spool_fd(s), back, sizeof back, 0), 11);
  ck_assert_str_eq(back, "hello world");
  char md5[33];
  gateway_spool_md5_hex(s, md5);
  ck_assert_str_eq(md5, "5eb63bbbe01eeed093cb22bb8f5acdc3");
  gateway_spool_free(s);
  ck_assert_ptr_null(err);
}
END_TEST

START_TEST(a_part_past_the_limit_is_entity_too_large) {
  gateway_spool *s = NULL;
  pail_error *err = NULL;
  ck_assert_int_eq(gateway_spool_open(8, &s, &err), PAIL_OK);
  ck_assert_int_eq(gateway_spool_write(s, "12345678", 8, &err), PAIL_OK);
  ck_assert_int_eq(gateway_spool_write(s, "9", 1, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_str_eq(pail_error_provider_code(err), "EntityTooLarge");
  ck_assert_uint_eq(gateway_spool_length(s), 8);
  pail_error_free(err);
  gateway_spool_free(s);
}
END_TEST

START_TEST(a_tmpdir_that_cannot_hold_files_is_named) {
  char *missing = NULL;
  ck_assert_int_ge(asprintf(&missing, "%s/missing", dir), 0);
  setenv("TMPDIR", missing, 1);
  gateway_spool *s = NULL;
  pail_error *err = NULL;
  ck_assert_int_eq(gateway_spool_open(8, &s, &err), PAIL_ERR_IO);
  ck_assert_ptr_null(s);
  ck_assert_contains(pail_error_message(err), missing);
  pail_error_free(err);
  free(missing);
}
END_TEST

int main(void) {
  Suite *suite = suite_create("gateway_spool");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, bytes_read_back_with_their_md5_and_no_name_in_tmpdir);
  tcase_add_test(tc, a_part_past_the_limit_is_entity_too_large);
  tcase_add_test(tc, a_tmpdir_that_cannot_hold_files_is_named);
  suite_add_tcase(suite, tc);
  return test_run_suite(suite);
}
