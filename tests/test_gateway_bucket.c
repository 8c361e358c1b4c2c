/*
 * test_gateway_bucket.c: the common prefixes of the S3 gateway's listings
 * (core/gateway/bucket.c), which ListObjectsV2, ListObjects and
 * ListMultipartUploads fold on any delimiter. The listings themselves are
 * driven by real clients in tests/gateway_s3.sh.
 */
#include "gateway/exchange.h"
#include "testutil.h"

/* The common prefix key folds into, "" when it does not fold. */
static char folded[1100];
static const char *fold(const char *key, const char *prefix,
                        const char *delimiter) {
  size_t n = gateway_fold_length(key, prefix, delimiter);
  ck_assert_uint_lt(n, sizeof folded);
  memcpy(folded, key, n);
  folded[n] = '\0';
  return folded;
}

START_TEST(keys_fold_up_to_the_first_delimiter_after_the_prefix) {
  ck_assert_str_eq(fold("a-1", "", "-"), "a-");
  ck_assert_str_eq(fold("d-x-y", "", "-"), "d-");
  ck_assert_str_eq(fold("d-x-y", "d-", "-"), "d-x-");
  ck_assert_str_eq(fold("dl/d-x-y", "dl/", "-"), "dl/d-");
  ck_assert_str_eq(fold("c", "", "-"), "");
  ck_assert_str_eq(fold("d-", "d-", "-"), "");
  ck_assert_str_eq(fold("a/b/c", "", "/"), "a/");
}
END_TEST

START_TEST(delimiters_of_several_bytes_fold_whole) {
  ck_assert_str_eq(fold("d-x-y", "", "-x-"), "d-x-");
  ck_assert_str_eq(fold("a-b", "", "-x-"), "");
  ck_assert_str_eq(fold("2024--jan--1", "", "--"), "2024--");
  ck_assert_str_eq(fold("2024--jan--1", "2024--", "--"), "2024--jan--");
  /* "é" is two bytes of UTF-8: a key holding only its first byte's
   * neighbour does not fold. */
  ck_assert_str_eq(fold("r\xc3\xa9sum\xc3\xa9", "", "\xc3\xa9"), "r\xc3\xa9");
  ck_assert_str_eq(fold("r\xc3\xa8", "", "\xc3\xa9"), "");
  /* A delimiter that overlaps the prefix's end is looked for after it. */
  ck_assert_str_eq(fold("a--b", "a-", "--"), "");
  ck_assert_str_eq(fold("a---b", "a-", "--"), "a---");
}
END_TEST

START_TEST(no_delimiter_or_a_key_outside_the_prefix_does_not_fold) {
  ck_assert_uint_eq(gateway_fold_length("a-1", "", NULL), 0);
  ck_assert_uint_eq(gateway_fold_length("a-1", "", ""), 0);
  ck_assert_uint_eq(gateway_fold_length("b-1", "a", "-"), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("gateway_bucket");
  TCase *tc = tcase_create("common prefixes");
  tcase_add_test(tc, keys_fold_up_to_the_first_delimiter_after_the_prefix);
  tcase_add_test(tc, delimiters_of_several_bytes_fold_whole);
  tcase_add_test(tc, no_delimiter_or_a_key_outside_the_prefix_does_not_fold);
  suite_add_tcase(s, tc);
  return test_run_suite(s);
}
