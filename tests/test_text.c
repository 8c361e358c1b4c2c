/*
 * test_text.c: the UTF-8 decoder and the escaper of core/text.c, which
 * error messages, key checks and previews share: what passes raw, what
 * becomes \xNN, and where a cut falls.
 */
#include "internal.h"
#include "testutil.h"

/* utf8_sequence on the n bytes of s: its return, with cp and incomplete. */
static size_t decode(const char *s, size_t n, uint32_t *cp, bool *incomplete) {
  return utf8_sequence((const uint8_t *)s, n, cp, incomplete);
}

/* text_escape of the whole of s (NUL-terminated) with max and flags. */
static void expect_escaped(const char *s, size_t max, unsigned flags,
                           const char *expected) {
  char *out = text_escape(s, strlen(s), max, flags);
  ck_assert_ptr_nonnull(out);
  ck_assert_str_eq(out, expected);
  free(out);
}

START_TEST(sequences_decode_to_their_code_points) {
  uint32_t cp = 0;
  bool incomplete = true;
  ck_assert_uint_eq(decode("A", 1, &cp, &incomplete), 1);
  ck_assert_uint_eq(cp, 0x41);
  ck_assert(!incomplete);
  ck_assert_uint_eq(decode("\xc3\xa9", 2, &cp, NULL), 2);
  ck_assert_uint_eq(cp, 0xE9);
  ck_assert_uint_eq(decode("\xe6\x97\xa5", 3, &cp, NULL), 3);
  ck_assert_uint_eq(cp, 0x65E5);
  ck_assert_uint_eq(decode("\xf4\x8f\xbf\xbf", 4, &cp, NULL), 4);
  ck_assert_uint_eq(cp, 0x10FFFF);
  /* The last code points before the surrogates and after them. */
  ck_assert_uint_eq(decode("\xed\x9f\xbf", 3, &cp, NULL), 3);
  ck_assert_uint_eq(cp, 0xD7FF);
  ck_assert_uint_eq(decode("\xee\x80\x80", 3, &cp, NULL), 3);
  ck_assert_uint_eq(cp, 0xE000);
}
END_TEST

START_TEST(overlong_surrogate_and_too_large_sequences_are_invalid) {
  uint32_t cp;
  bool incomplete;
  const char *invalid[] = {
      "\xc0\x80",         /* overlong NUL */
      "\xc1\xbf",         /* overlong DEL */
      "\xe0\x9f\xbf",     /* overlong U+07FF */
      "\xf0\x8f\xbf\xbf", /* overlong U+FFFF */
      "\xed\xa0\x80",     /* surrogate U+D800 */
      "\xf4\x90\x80\x80", /* U+110000 */
      "\xf5\x80\x80\x80", /* no such lead byte */
      "\x80",             /* continuation byte alone */
      "\xc3\x28",         /* lead byte without its continuation */
  };
  for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
    ck_assert_uint_eq(decode(invalid[i], strlen(invalid[i]), &cp, &incomplete),
                      0);
    ck_assert_msg(!incomplete, "case %zu is not a cut sequence", i);
  }
}
END_TEST

START_TEST(a_sequence_cut_by_the_end_is_incomplete) {
  uint32_t cp;
  bool incomplete = false;
  ck_assert_uint_eq(decode("\xe6\x97", 2, &cp, &incomplete), 0);
  ck_assert(incomplete);
  ck_assert_uint_eq(decode("\xf0", 1, &cp, &incomplete), 0);
  ck_assert(incomplete);
  /* A byte that is no continuation before the end: invalid, not cut. */
  ck_assert_uint_eq(decode("\xe6x", 2, &cp, &incomplete), 0);
  ck_assert(!incomplete);
}
END_TEST

START_TEST(utf8_valid_takes_whole_texts_only) {
  ck_assert(utf8_valid((const uint8_t *)"", 0));
  ck_assert(utf8_valid((const uint8_t *)"caf\xc3\xa9 \xe6\x97\xa5", 9));
  ck_assert(!utf8_valid((const uint8_t *)"caf\xc3", 4));
  ck_assert(!utf8_valid((const uint8_t *)"\xed\xa0\x80", 3));
}
END_TEST

START_TEST(control_characters_and_broken_utf8_become_hex) {
  /* ESC, CR, LF, tab, DEL, the C1 control CSI (U+009B) byte by byte, a
   * lone continuation byte; é and 日 stay as they are. */
  expect_escaped("a\x1b[1m\r\n\t\x7f\xc2\x9b\x80 caf\xc3\xa9 \xe6\x97\xa5", 100,
                 0,
                 "a\\x1b[1m\\x0d\\x0a\\x09\\x7f\\xc2\\x9b\\x80 caf\xc3\xa9 "
                 "\xe6\x97\xa5");
}
END_TEST

START_TEST(flags_keep_tab_and_newline_and_escape_quotes) {
  expect_escaped("a\tb\nc", 100, TEXT_KEEP_TAB, "a\tb\\x0ac");
  expect_escaped("a\tb\nc", 100, TEXT_KEEP_TAB | TEXT_KEEP_NEWLINE, "a\tb\nc");
  expect_escaped("say \"hi\\\"", 100, 0, "say \"hi\\\"");
  expect_escaped("say \"hi\\\"", 100, TEXT_QUOTED, "say \\\"hi\\\\\\\"");
}
END_TEST

START_TEST(a_cut_text_ends_in_an_ellipsis_never_inside_a_character) {
  expect_escaped("abcdef", 3, 0, "abc...");
  expect_escaped("abc", 3, 0, "abc");
  /* "é" is two bytes: a cut after 3 bytes keeps "aé" whole... */
  expect_escaped("a\xc3\xa9\xc3\xa9", 3, 0, "a\xc3\xa9...");
  /* ...and one after 2 does not split it. */
  expect_escaped("a\xc3\xa9", 2, 0, "a...");
  expect_escaped("", 0, 0, "");
}
END_TEST

int main(void) {
  Suite *s = suite_create("text");
  TCase *tc = tcase_create("text");
  tcase_add_test(tc, sequences_decode_to_their_code_points);
  tcase_add_test(tc, overlong_surrogate_and_too_large_sequences_are_invalid);
  tcase_add_test(tc, a_sequence_cut_by_the_end_is_incomplete);
  tcase_add_test(tc, utf8_valid_takes_whole_texts_only);
  tcase_add_test(tc, control_characters_and_broken_utf8_become_hex);
  tcase_add_test(tc, flags_keep_tab_and_newline_and_escape_quotes);
  tcase_add_test(tc, a_cut_text_ends_in_an_ellipsis_never_inside_a_character);
  suite_add_tcase(s, tc);
  return test_run_suite(s);
}
