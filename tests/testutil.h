/*
 * testutil.h: small helpers shared by the Check unit tests.
 */
#ifndef PAIL_TESTUTIL_H
#define PAIL_TESTUTIL_H

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Asserts that s contains needle, showing both when it does not. */
#define ck_assert_contains(s, needle)                                       \
  ck_assert_msg((s) != NULL && strstr((s), (needle)) != NULL,                \
                "expected \"%s\" to contain \"%s\"", (s) ? (s) : "(null)", \
                (needle))

/* A fresh directory under $TMPDIR (or /tmp); caller frees and removes. */
static inline char *test_tempdir(void) {
  const char *base = getenv("TMPDIR");
  char *path = NULL;
  ck_assert_int_ge(asprintf(&path, "%s/pail-test-XXXXXX", base ? base : "/tmp"),
                   0);
  ck_assert_ptr_nonnull(mkdtemp(path));
  return path;
}

static inline int test_remove_entry(const char *path, const struct stat *st,
                                    int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

/* rm -rf path, then free it. */
static inline void test_tempdir_remove(char *path) {
  nftw(path, test_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(path);
}

static inline void test_write_file(const char *path, const char *content) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(content, 1, strlen(content), f), strlen(content));
  ck_assert_int_eq(fclose(f), 0);
}

/* Runs a suite and returns the process exit status for automake. */
static inline int test_run_suite(Suite *suite) {
  SRunner *runner = srunner_create(suite);
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif /* PAIL_TESTUTIL_H */
