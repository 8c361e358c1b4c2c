/*
 * test_gateway_exchange.c: the helpers of the S3 gateway's exchanges
 * (core/gateway/exchange.c): the one ETag comparison that If-Match,
 * If-None-Match, the x-amz-copy-source-if-* headers and
 * CompleteMultipartUpload's parts share.
 */
#include "gateway/exchange.h"
#include "testutil.h"

START_TEST(etags_are_equal_quoted_or_not_weak_or_not_in_any_case) {
  ck_assert(gateway_etag_equal("\"abc123\"", "abc123"));
  ck_assert(gateway_etag_equal("abc123", "\"abc123\""));
  ck_assert(gateway_etag_equal("W/\"abc123\"", "\"abc123\""));
  ck_assert(gateway_etag_equal("\"ABC123-2\"", "abc123-2"));
  ck_assert(!gateway_etag_equal("\"abc123\"", "\"abc124\""));
  ck_assert(!gateway_etag_equal("\"abc123\"", "abc12"));
  ck_assert(!gateway_etag_equal("\"\"", ""));
  ck_assert(!gateway_etag_equal(NULL, "abc"));
  ck_assert(!gateway_etag_equal("abc", NULL));
  /* One value, never a list: a part named "*" is no part. */
  ck_assert(!gateway_etag_equal("*", "\"abc123\""));
}
END_TEST

START_TEST(etag_lists_hold_any_of_their_members_or_everything_for_a_star) {
  ck_assert(gateway_etag_listed("\"abc\"", "\"abc\""));
  ck_assert(gateway_etag_listed("abc", "\"abc\""));
  ck_assert(gateway_etag_listed("\"x\", \"abc\"", "abc"));
  ck_assert(gateway_etag_listed("\"x\",W/\"abc\"", "\"abc\""));
  ck_assert(gateway_etag_listed(" \"x\" ,\t\"abc\"\t", "\"abc\""));
  ck_assert(!gateway_etag_listed("\"x\", \"y\"", "\"abc\""));
  ck_assert(!gateway_etag_listed("\"ab\"", "\"abc\""));
  ck_assert(!gateway_etag_listed("", "\"abc\""));
  ck_assert(!gateway_etag_listed(",,", "\"abc\""));
  ck_assert(gateway_etag_listed("*", "\"abc\""));
  ck_assert(gateway_etag_listed("\"x\", *", "\"abc\""));
  /* An object without an ETag matches only "*". */
  ck_assert(gateway_etag_listed("*", NULL));
  ck_assert(!gateway_etag_listed("\"abc\"", NULL));
  /* "*" is a member of its own, not a pattern. */
  ck_assert(!gateway_etag_listed("\"*abc\"", "\"abc\""));
}
END_TEST

int main(void) {
  Suite *s = suite_create("gateway_exchange");
  TCase *tc = tcase_create("etags");
  tcase_add_test(tc, etags_are_equal_quoted_or_not_weak_or_not_in_any_case);
  tcase_add_test(tc,
                 etag_lists_hold_any_of_their_members_or_everything_for_a_star);
  suite_add_tcase(s, tc);
  return test_run_suite(s);
}
