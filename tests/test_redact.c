/*
 * test_redact.c: secret redaction (core/redact.c): the one word list that
 * makes a name a credential, for query parameters and JSON members alike;
 * the replacement of a secret's every occurrence; a URL query's secret
 * values; the members of a credentials document; a URL's password.
 */
#include "internal.h"
#include "testutil.h"

static bool secret(const char *name) {
  return redact_name_is_secret(name, strlen(name));
}

START_TEST(names_from_both_former_lists_are_secret) {
  /* The URL list (signature, credential, token, secret, password, "sig",
   * a "key" ending) and the settings list (key, secret, token, password,
   * credential), in any case; "key" as a name's last part or before "_". */
  const char *names[] = {"X-Amz-Signature",
                         "X-Goog-Signature",
                         "X-Amz-Credential",
                         "X-Amz-Security-Token",
                         "sig",
                         "SIG",
                         "client_secret",
                         "Password",
                         "private_key",
                         "private_key_id",
                         "refresh_token",
                         "AccountKey",
                         "credential",
                         "key",
                         "x-api-key",
                         "API_KEY_VALUE"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    ck_assert_msg(secret(names[i]), "%s should be secret", names[i]);
}
END_TEST

START_TEST(ordinary_names_are_not_secret) {
  /* "sig" counts only as the whole name: as a part it is too common; "key"
   * only at the end or before "_": S3's listing parameters stay readable
   * in debug logs. */
  const char *names[] = {"prefix",  "delimiter", "list-type", "versionId",
                         "comp",    "design",    "sigma",     "client_email",
                         "",        "si",        "max-keys",  "key-marker",
                         "keyFile", "monkeys"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    ck_assert_msg(!secret(names[i]), "%s should not be secret", names[i]);
}
END_TEST

START_TEST(only_the_given_length_of_a_name_counts) {
  ck_assert(!redact_name_is_secret("prefixtoken", 6));
  ck_assert(redact_name_is_secret("sigx", 3));
  ck_assert(!redact_name_is_secret("sigx", 4));
}
END_TEST

START_TEST(every_occurrence_is_replaced_until_none_is_left) {
  char text[] = "a hunter2 b hunter2";
  ck_assert(redact_occurrences(text, "hunter2", 7));
  ck_assert_str_eq(text, "a *** b ***");
  /* The "***" put in completes another occurrence with the bytes before
   * it (fuzz_url found it): the search starts over. */
  char spliced[] = "&?&?*";
  ck_assert(redact_occurrences(spliced, "&?*", 3));
  ck_assert_ptr_null(strstr(spliced, "&?*"));
  ck_assert_str_eq(spliced, "*****");
}
END_TEST

START_TEST(secrets_too_short_or_the_mask_itself_are_left_alone) {
  char text[] = "ab *** ab";
  ck_assert(!redact_occurrences(text, "ab", 2));
  ck_assert(!redact_occurrences(text, "***", 3));
  ck_assert(!redact_occurrences(text, NULL, 0));
  ck_assert_str_eq(text, "ab *** ab");
  /* Longer than the mask: replaced (the text gets shorter, so it ends). */
  char stars[] = "x****y";
  ck_assert(redact_occurrences(stars, "****", 4));
  ck_assert_str_eq(stars, "x***y");
}
END_TEST

START_TEST(a_querys_secret_values_are_masked_in_a_copy) {
  const char *query = "a=1&X-Amz-Signature=abc&sig=def&b&token=";
  char out[3 * 64 + 1];
  size_t n = redact_query_copy(out, query, strlen(query));
  ck_assert_str_eq(out, "a=1&X-Amz-Signature=***&sig=***&b&token=***");
  ck_assert_uint_eq(n, strlen(out));
}
END_TEST

START_TEST(a_query_and_its_secret_values_are_removed_from_a_text) {
  const char *query = "a=1&token=t0k3n";
  char text[] = "GET /p?a=1&token=t0k3n failed; t0k3n again, a=1 stays";
  redact_query(text, query, strlen(query));
  ck_assert_str_eq(text, "GET /p?*** failed; *** again, a=1 stays");
}
END_TEST

START_TEST(a_documents_members_use_the_same_list) {
  /* A member named as a query parameter would be ("sig", a signature) is
   * a credential; one naming an address (token_uri) is not. */
  const char *document =
      "{\"sig\": \"abcdef\", \"X-Amz-Signature\": \"0123456789\", "
      "\"token_uri\": \"https://oauth2.example/token\", "
      "\"client_email\": \"me@example.com\"}";
  char text[] = "abcdef 0123456789 https://oauth2.example/token me@example.com";
  document_redact(document, strlen(document), text);
  ck_assert_str_eq(text, "*** *** https://oauth2.example/token me@example.com");
}
END_TEST

START_TEST(a_urls_password_is_masked_but_an_email_stays) {
  char text[] = "endpoint \"http://user:pa55w0rd@host/\" of me@example.com";
  config_redact(NULL, text);
  ck_assert_str_eq(text, "endpoint \"http://***@host/\" of me@example.com");
}
END_TEST

int main(void) {
  Suite *s = suite_create("redact");
  TCase *tc = tcase_create("redact");
  tcase_add_test(tc, names_from_both_former_lists_are_secret);
  tcase_add_test(tc, ordinary_names_are_not_secret);
  tcase_add_test(tc, only_the_given_length_of_a_name_counts);
  tcase_add_test(tc, every_occurrence_is_replaced_until_none_is_left);
  tcase_add_test(tc, secrets_too_short_or_the_mask_itself_are_left_alone);
  tcase_add_test(tc, a_querys_secret_values_are_masked_in_a_copy);
  tcase_add_test(tc, a_query_and_its_secret_values_are_removed_from_a_text);
  tcase_add_test(tc, a_documents_members_use_the_same_list);
  tcase_add_test(tc, a_urls_password_is_masked_but_an_email_stays);
  suite_add_tcase(s, tc);
  return test_run_suite(s);
}
