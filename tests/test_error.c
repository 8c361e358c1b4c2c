/*
 * test_error.c: error objects (core/error.c): categories' names and the
 * terminal-safety of every text an error carries, and the redaction of a
 * credentials document from its message.
 */
#include "internal.h"
#include "testutil.h"

START_TEST(message_from_a_server_cannot_drive_the_terminal) {
  pail_error *err = NULL;
  const char *server_message = "Access \x1b]0;owned\x07"
                               "denied\r\nRetry";
  ck_assert_int_eq(pail_error_set(&err, PAIL_ERR_ACCESS_DENIED, 403,
                                  "Bad\x1b[2J", "req\n1", "s3: %s",
                                  server_message),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_str_eq(pail_error_message(err),
                   "s3: Access \\x1b]0;owned\\x07denied\\x0d\\x0aRetry");
  ck_assert_str_eq(pail_error_provider_code(err), "Bad\\x1b[2J");
  ck_assert_str_eq(pail_error_request_id(err), "req\\x0a1");
  pail_error_free(err);
}
END_TEST

START_TEST(message_keeps_unicode_and_escapes_broken_utf8_and_c1) {
  pail_error *err = NULL;
  /* é and 日 stay; a lone continuation byte, a cut sequence and the C1
   * control CSI (U+009B, which some terminals obey) are escaped. */
  pail_error_set(&err, PAIL_ERR_NOT_FOUND, 404, NULL, NULL,
                 "caf\xc3\xa9 \xe6\x97\xa5 \x80 \xc2\x9b[1m \xe6\x97");
  ck_assert_str_eq(pail_error_message(err),
                   "caf\xc3\xa9 \xe6\x97\xa5 \\x80 \\xc2\\x9b[1m \\xe6\\x97");
  ck_assert_ptr_null(pail_error_provider_code(err));
  pail_error_free(err);
}
END_TEST

START_TEST(plain_messages_are_unchanged) {
  pail_error *err = NULL;
  pail_error_set(&err, PAIL_ERR_IO, 0, "Code", "ID", "plain \"text\" 100%%");
  ck_assert_str_eq(pail_error_message(err), "plain \"text\" 100%");
  ck_assert_str_eq(pail_error_provider_code(err), "Code");
  pail_error_free(err);
}
END_TEST

START_TEST(a_documents_credentials_are_redacted_until_none_is_left) {
  /* Redacting a_secret splices "***" and the text after it into b_secret,
   * which the pass had already looked for: passes repeat. Names that are no
   * credential (client_email, token_uri) stay readable; nested members and
   * every copy of a value go. */
  const char *document =
      "{\"b_secret\": \"***bcdefghij\", \"a_secret\": \"abcdefghij1\", "
      "\"client_email\": \"me@example.com\", \"token_uri\": "
      "\"https://oauth2.example/token\", \"nested\": [{\"private_key\": "
      "\"PEMPEMPEM\"}]}";
  pail_error *err = NULL;
  pail_error_set(&err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                 "<abcdefghij1bcdefghij> me@example.com "
                 "https://oauth2.example/token PEMPEMPEM, PEMPEMPEM");
  core_services.error_redact_document(err, document, strlen(document));
  ck_assert_str_eq(pail_error_message(err),
                   "<***> me@example.com https://oauth2.example/token ***, "
                   "***");
  /* Not JSON, or no error: nothing happens. */
  core_services.error_redact_document(err, "{not json", 9);
  core_services.error_redact_document(NULL, document, strlen(document));
  ck_assert_str_eq(pail_error_message(err),
                   "<***> me@example.com https://oauth2.example/token ***, "
                   "***");
  pail_error_free(err);
}
END_TEST

START_TEST(every_category_has_a_name) {
  for (int s = PAIL_OK; s <= PAIL_ERR_CANCELLED; s++)
    ck_assert_str_ne(pail_status_name((pail_status)s), "unknown error");
  ck_assert_str_eq(pail_status_name((pail_status)99), "unknown error");
}
END_TEST

int main(void) {
  Suite *s = suite_create("error");
  TCase *tc = tcase_create("error");
  tcase_add_test(tc, message_from_a_server_cannot_drive_the_terminal);
  tcase_add_test(tc, message_keeps_unicode_and_escapes_broken_utf8_and_c1);
  tcase_add_test(tc, plain_messages_are_unchanged);
  tcase_add_test(tc, a_documents_credentials_are_redacted_until_none_is_left);
  tcase_add_test(tc, every_category_has_a_name);
  suite_add_tcase(s, tc);
  return test_run_suite(s);
}
