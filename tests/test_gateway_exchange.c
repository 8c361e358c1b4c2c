/*
 * test_gateway_exchange.c: the helpers of the S3 gateway's exchanges
 * (core/gateway/exchange.c): the one ETag comparison that If-Match,
 * If-None-Match, the x-amz-copy-source-if-* headers and
 * CompleteMultipartUpload's parts share; and the object subresources
 * (core/gateway/object.c) that are never taken for the object itself.
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

/* The query of a request, as the exchange decodes it. */
#define PARAMS(...) ((const gateway_param[]){__VA_ARGS__})
#define COUNT(...) (sizeof PARAMS(__VA_ARGS__) / sizeof(gateway_param))
#define SUBRESOURCE(...)                                                       \
  gateway_object_subresource(PARAMS(__VA_ARGS__), COUNT(__VA_ARGS__))

START_TEST(object_subresources_are_found_whatever_else_the_query_holds) {
  /* s3cmd info sends GET ?acl: answered with the object's bytes, once. */
  ck_assert_str_eq(SUBRESOURCE({"acl", ""}), "acl");
  /* PutObjectTagging replaced the object with its XML; Delete deleted it. */
  ck_assert_str_eq(SUBRESOURCE({"tagging", ""}), "tagging");
  ck_assert_str_eq(SUBRESOURCE({"x-id", "PutObjectTagging"}, {"tagging", ""}),
                   "tagging");
  ck_assert_str_eq(SUBRESOURCE({"versionId", "3HL4kqtJlcpXroDTDmJ"}),
                   "versionId");
  ck_assert_str_eq(SUBRESOURCE({"legal-hold", ""}), "legal-hold");
  ck_assert_str_eq(SUBRESOURCE({"retention", ""}), "retention");
  ck_assert_str_eq(SUBRESOURCE({"attributes", ""}), "attributes");
  ck_assert_str_eq(SUBRESOURCE({"torrent", ""}), "torrent");
  ck_assert_str_eq(SUBRESOURCE({"restore", ""}), "restore");
  ck_assert_str_eq(SUBRESOURCE({"select", ""}, {"select-type", "2"}), "select");
}
END_TEST

START_TEST(what_the_object_operations_carry_is_no_subresource) {
  ck_assert_ptr_null(gateway_object_subresource(NULL, 0));
  /* The JS SDK's x-id, response-* overrides, a presigned URL's query. */
  ck_assert_ptr_null(SUBRESOURCE({"x-id", "GetObject"}));
  ck_assert_ptr_null(SUBRESOURCE({"response-content-type", "text/plain"},
                                 {"response-cache-control", "no-cache"}));
  ck_assert_ptr_null(SUBRESOURCE({"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
                                 {"X-Amz-Signature", "00"}));
  ck_assert_ptr_null(
      SUBRESOURCE({"AWSAccessKeyId", "PK1"}, {"Signature", "x"}));
  /* Names match whole and in their case: S3's are case-sensitive. */
  ck_assert_ptr_null(SUBRESOURCE({"acls", ""}));
  ck_assert_ptr_null(SUBRESOURCE({"ACL", ""}));
  ck_assert_ptr_null(SUBRESOURCE({"versionid", "1"}));
  ck_assert_ptr_null(SUBRESOURCE({"response-acl", ""}));
}
END_TEST

int main(void) {
  Suite *s = suite_create("gateway_exchange");
  TCase *tc = tcase_create("etags");
  tcase_add_test(tc, etags_are_equal_quoted_or_not_weak_or_not_in_any_case);
  tcase_add_test(tc,
                 etag_lists_hold_any_of_their_members_or_everything_for_a_star);
  suite_add_tcase(s, tc);
  tc = tcase_create("object subresources");
  tcase_add_test(tc,
                 object_subresources_are_found_whatever_else_the_query_holds);
  tcase_add_test(tc, what_the_object_operations_carry_is_no_subresource);
  suite_add_tcase(s, tc);
  return test_run_suite(s);
}
