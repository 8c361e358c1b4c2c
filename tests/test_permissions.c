/*
 * test_permissions.c: advanced_permissions (core/permissions.c): parsing of
 * rules, the glob matcher, {username}, first-match-decides, the denial
 * messages, and that the matcher stays fast on hostile patterns.
 */
#include "internal.h"
#include "testutil.h"

#include <time.h>

static access_rules parse_ok(const char *json) {
  json_t *array = json_loads(json, 0, NULL);
  ck_assert_ptr_nonnull(array);
  access_rules rules;
  pail_error *err = NULL;
  ck_assert_msg(access_rules_parse(array, &rules, &err) == PAIL_OK, "%s",
                pail_error_message(err));
  json_decref(array);
  return rules;
}

static void expect_parse_error(const char *json, const char *needle) {
  json_t *array = json_loads(json, JSON_DECODE_ANY, NULL);
  ck_assert_ptr_nonnull(array);
  access_rules rules;
  pail_error *err = NULL;
  ck_assert_int_eq(access_rules_parse(array, &rules, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), needle);
  /* Nothing is left allocated or half-filled after a failure. */
  ck_assert_uint_eq(rules.count, 0);
  ck_assert_ptr_null(rules.rules);
  pail_error_free(err);
  json_decref(array);
}

static unsigned allow_of(const char *allow_json) {
  char *json = NULL;
  ck_assert_int_ge(
      asprintf(&json, "[{\"pattern\": \"**\", \"allow\": %s}]", allow_json), 0);
  access_rules rules = parse_ok(json);
  free(json);
  ck_assert_uint_eq(rules.count, 1);
  unsigned allow = rules.rules[0].allow;
  access_rules_free(&rules);
  return allow;
}

/* ---------------------------------------------------------------- parse */

START_TEST(allow_string_lists_words) {
  ck_assert_uint_eq(allow_of("\"read,write,delete,list\""),
                    PAIL_ACCESS_READ | PAIL_ACCESS_WRITE | PAIL_ACCESS_DELETE |
                        PAIL_ACCESS_LIST);
  ck_assert_uint_eq(allow_of("\"list\""), PAIL_ACCESS_LIST);
}
END_TEST

START_TEST(allow_string_tolerates_spaces) {
  ck_assert_uint_eq(allow_of("\" read , list \""),
                    PAIL_ACCESS_READ | PAIL_ACCESS_LIST);
}
END_TEST

START_TEST(allow_array_lists_words) {
  ck_assert_uint_eq(allow_of("[\"write\", \"delete\"]"),
                    PAIL_ACCESS_WRITE | PAIL_ACCESS_DELETE);
}
END_TEST

START_TEST(empty_allow_allows_nothing) {
  ck_assert_uint_eq(allow_of("\"\""), 0);
  ck_assert_uint_eq(allow_of("\"  \""), 0);
  ck_assert_uint_eq(allow_of("[]"), 0);
}
END_TEST

START_TEST(rules_keep_their_order_and_patterns) {
  access_rules rules =
      parse_ok("[{\"pattern\": \"u/{username}/**\", \"allow\": \"read\"},"
               " {\"allow\": \"list\", \"pattern\": \"pub/*\"}]");
  ck_assert(rules.present);
  ck_assert_uint_eq(rules.count, 2);
  ck_assert_str_eq(rules.rules[0].pattern, "u/{username}/**");
  ck_assert_str_eq(rules.rules[1].pattern, "pub/*");
  ck_assert_uint_eq(rules.rules[1].allow, PAIL_ACCESS_LIST);
  access_rules_free(&rules);
  ck_assert_uint_eq(rules.count, 0);
  ck_assert_ptr_null(rules.rules);
}
END_TEST

START_TEST(empty_rule_list_is_present) {
  access_rules rules = parse_ok("[]");
  ck_assert(rules.present);
  ck_assert_uint_eq(rules.count, 0);
  access_rules_free(&rules);
}
END_TEST

START_TEST(unknown_access_word_is_named_with_the_rule) {
  expect_parse_error("[{\"pattern\": \"a\", \"allow\": \"read\"},"
                     " {\"pattern\": \"b\", \"allow\": \"read,fly\"}]",
                     "rule 2: unknown access \"fly\"");
  expect_parse_error("[{\"pattern\": \"a\", \"allow\": [\"Read\"]}]",
                     "rule 1: unknown access \"Read\"");
  expect_parse_error("[{\"pattern\": \"a\", \"allow\": \"read,,list\"}]",
                     "unknown access \"\"");
}
END_TEST

START_TEST(unknown_field_is_named_with_the_rule) {
  expect_parse_error(
      "[{\"pattern\": \"a\", \"allow\": \"read\", \"alow\": \"write\"}]",
      "rule 1: unknown field \"alow\"");
}
END_TEST

START_TEST(missing_pattern_is_refused) {
  expect_parse_error("[{\"allow\": \"read\"}]", "rule 1 has no \"pattern\"");
}
END_TEST

START_TEST(missing_allow_is_refused) {
  expect_parse_error("[{\"pattern\": \"a\"}]", "rule 1 has no \"allow\"");
}
END_TEST

START_TEST(pattern_of_wrong_type_or_empty_is_refused) {
  expect_parse_error("[{\"pattern\": 3, \"allow\": \"read\"}]",
                     "rule 1: \"pattern\" must be a non-empty string");
  expect_parse_error("[{\"pattern\": \"\", \"allow\": \"read\"}]",
                     "must be a non-empty string");
}
END_TEST

START_TEST(allow_of_wrong_type_is_refused) {
  expect_parse_error("[{\"pattern\": \"a\", \"allow\": 7}]",
                     "rule 1: \"allow\" must be a string");
  expect_parse_error("[{\"pattern\": \"a\", \"allow\": [\"read\", 1]}]",
                     "rule 1: \"allow\" entry 2 is not a string");
}
END_TEST

START_TEST(rule_that_is_not_an_object_is_refused) {
  expect_parse_error("[\"u/**\"]", "rule 1 is not an object");
}
END_TEST

START_TEST(rules_that_are_not_an_array_are_refused) {
  expect_parse_error("{\"pattern\": \"a\", \"allow\": \"read\"}",
                     "must be an array");
}
END_TEST

/* ----------------------------------------------------------------- glob */

START_TEST(literal_pattern_matches_only_itself) {
  ck_assert(access_glob_match("a/b.txt", NULL, "a/b.txt"));
  ck_assert(!access_glob_match("a/b.txt", NULL, "a/b.txt2"));
  ck_assert(!access_glob_match("a/b.txt", NULL, "a/b.tx"));
}
END_TEST

START_TEST(star_stays_within_a_segment) {
  ck_assert(access_glob_match("pub/*", NULL, "pub/a"));
  ck_assert(access_glob_match("pub/*", NULL, "pub/"));
  ck_assert(!access_glob_match("pub/*", NULL, "pub/a/b"));
  ck_assert(access_glob_match("pub/*.csv", NULL, "pub/x.csv"));
  ck_assert(!access_glob_match("pub/*.csv", NULL, "pub/d/x.csv"));
  ck_assert(access_glob_match("*/x", NULL, "a/x"));
  ck_assert(!access_glob_match("*/x", NULL, "a/b/x"));
}
END_TEST

START_TEST(double_star_at_the_end_crosses_segments) {
  ck_assert(access_glob_match("u/**", NULL, "u/a/b/c"));
  ck_assert(access_glob_match("u/**", NULL, "u/"));
  ck_assert(!access_glob_match("u/**", NULL, "u"));
  ck_assert(!access_glob_match("u/**", NULL, "uv/a"));
}
END_TEST

START_TEST(double_star_at_the_start_crosses_segments) {
  ck_assert(access_glob_match("**.csv", NULL, "a/b/c.csv"));
  ck_assert(access_glob_match("**.csv", NULL, ".csv"));
  ck_assert(!access_glob_match("**.csv", NULL, "a/b/c.csv.bak"));
  ck_assert(access_glob_match("**", NULL, "anything/at/all"));
}
END_TEST

START_TEST(double_star_in_the_middle_crosses_segments) {
  ck_assert(access_glob_match("a/**/z", NULL, "a/b/c/z"));
  ck_assert(access_glob_match("a/**/z", NULL, "a/b/z"));
  /* '**' is any run, so the two slashes around it stay literal. */
  ck_assert(!access_glob_match("a/**/z", NULL, "a/z"));
  ck_assert(!access_glob_match("a/**/z", NULL, "a/b/z/y"));
}
END_TEST

START_TEST(question_mark_is_one_byte_but_not_a_slash) {
  ck_assert(access_glob_match("f?le", NULL, "file"));
  ck_assert(!access_glob_match("f?le", NULL, "fle"));
  ck_assert(!access_glob_match("f?le", NULL, "f/le"));
  ck_assert(!access_glob_match("f?le", NULL, "fiile"));
}
END_TEST

START_TEST(username_is_substituted) {
  ck_assert(access_glob_match("u/{username}/**", "alice", "u/alice/x"));
  ck_assert(!access_glob_match("u/{username}/**", "alice", "u/bob/x"));
  ck_assert(!access_glob_match("u/{username}/**", "alice", "u/alicex/x"));
  ck_assert(access_glob_match("{username}-{username}", "al", "al-al"));
}
END_TEST

START_TEST(username_pattern_never_matches_without_a_username) {
  ck_assert(!access_glob_match("u/{username}/**", NULL, "u//x"));
  ck_assert(!access_glob_match("u/{username}/**", "", "u//x"));
  ck_assert(!access_glob_match("{username}**", NULL, "anything"));
  /* Patterns without the placeholder do not need one. */
  ck_assert(access_glob_match("pub/**", NULL, "pub/x"));
}
END_TEST

START_TEST(username_metacharacters_match_literally) {
  ck_assert(access_glob_match("u/{username}/**", "*", "u/*/x"));
  ck_assert(!access_glob_match("u/{username}/**", "*", "u/alice/x"));
  ck_assert(!access_glob_match("u/{username}/**", "**", "u/a/b/x"));
  ck_assert(access_glob_match("u/{username}/**", "a?c", "u/a?c/x"));
  ck_assert(!access_glob_match("u/{username}/**", "a?c", "u/abc/x"));
}
END_TEST

START_TEST(username_with_a_slash_never_matches) {
  /* "alice/x" must not reach into u/alice/. */
  ck_assert(!access_glob_match("u/{username}/**", "alice/x", "u/alice/x/f"));
}
END_TEST

START_TEST(braces_other_than_the_placeholder_are_literal) {
  ck_assert(access_glob_match("a/{user}/b", "alice", "a/{user}/b"));
  ck_assert(!access_glob_match("a/{user}/b", "alice", "a/alice/b"));
}
END_TEST

static double seconds_since(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) +
         (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

START_TEST(pathological_patterns_are_fast) {
  char key[1001];
  memset(key, 'a', 1000);
  key[1000] = '\0';
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  ck_assert(!access_glob_match("*a*a*a*a*a*a*a*b", NULL, key));
  ck_assert(!access_glob_match("**a**a**a**a**a**a**a**b", NULL, key));
  ck_assert(access_glob_match("*a*a*a*a*a*a*a*a", NULL, key));
  char pattern[401];
  for (size_t i = 0; i < 400; i += 2)
    memcpy(pattern + i, "*a", 2);
  pattern[400] = '\0';
  ck_assert(access_glob_match(pattern, NULL, key));
  pattern[399] = 'b';
  ck_assert(!access_glob_match(pattern, NULL, key));
  /* Backtracking would take longer than the universe; this is ~ms. */
  ck_assert_msg(seconds_since(&start) < 1.0, "took %.3f s",
                seconds_since(&start));
}
END_TEST

/* ---------------------------------------------------------------- check */

static const char *const demo_rules =
    "[{\"pattern\": \"u/{username}/**\", \"allow\": "
    "\"read,write,delete,list\"},"
    " {\"pattern\": \"u/**\", \"allow\": \"read\"},"
    " {\"pattern\": \"pub/**\", \"allow\": \"read,list\"},"
    " {\"pattern\": \"pub/**\", \"allow\": \"read,write\"},"
    " {\"pattern\": \"frozen/**\", \"allow\": \"\"}]";

static pail_status check(const char *username, const char *key, unsigned access,
                         pail_error **err) {
  access_rules rules = parse_ok(demo_rules);
  pail_status status = access_rules_check(&rules, username, key, access, err);
  access_rules_free(&rules);
  return status;
}

START_TEST(without_rules_everything_is_allowed) {
  access_rules none;
  memset(&none, 0, sizeof none);
  ck_assert_int_eq(
      access_rules_check(&none, NULL, "any/key", PAIL_ACCESS_DELETE, NULL),
      PAIL_OK);
  ck_assert_int_eq(access_rules_check(NULL, NULL, "k", PAIL_ACCESS_WRITE, NULL),
                   PAIL_OK);
}
END_TEST

START_TEST(empty_rule_list_denies_everything) {
  access_rules rules = parse_ok("[]");
  pail_error *err = NULL;
  ck_assert_int_eq(access_rules_check(&rules, "a", "k", PAIL_ACCESS_READ, &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(pail_error_message(err), "no rule");
  pail_error_free(err);
  access_rules_free(&rules);
}
END_TEST

START_TEST(matching_rule_allows) {
  ck_assert_int_eq(check("alice", "u/alice/f", PAIL_ACCESS_WRITE, NULL),
                   PAIL_OK);
  ck_assert_int_eq(check("alice", "u/bob/f", PAIL_ACCESS_READ, NULL), PAIL_OK);
}
END_TEST

START_TEST(first_matching_rule_decides) {
  /* Rule 4 would allow writing pub/x, but rule 3 matches first. */
  pail_error *err = NULL;
  ck_assert_int_eq(check("alice", "pub/x", PAIL_ACCESS_WRITE, &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(pail_error_message(err), "rule 3 \"pub/**\"");
  pail_error_free(err);
}
END_TEST

START_TEST(denial_names_key_access_user_and_rule) {
  pail_error *err = NULL;
  ck_assert_int_eq(check("alice", "u/bob/x", PAIL_ACCESS_WRITE, &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_int_eq(pail_error_category(err), PAIL_ERR_ACCESS_DENIED);
  ck_assert_str_eq(pail_error_message(err),
                   "write to \"u/bob/x\" is not allowed for "
                   "user \"alice\" (rule 2 \"u/**\" allows read)");
  pail_error_free(err);
}
END_TEST

START_TEST(denial_escapes_control_characters_in_the_username) {
  pail_error *err = NULL;
  /* A username from $PAIL_USER may hold anything: a terminal escape, a
   * quote, bytes that are not UTF-8. */
  ck_assert_int_eq(
      check("eve\x1b]0;pwned\x07\"\n\xff", "u/bob/x", PAIL_ACCESS_WRITE, &err),
      PAIL_ERR_ACCESS_DENIED);
  const char *message = pail_error_message(err);
  for (const char *c = message; *c; c++)
    ck_assert_msg((unsigned char)*c >= 0x20 && *c != 0x7f,
                  "raw control byte 0x%02x in \"%s\"", (unsigned char)*c,
                  message);
  ck_assert_contains(message,
                     "for user \"eve\\x1b]0;pwned\\x07\\\"\\x0a\\xff\"");
  pail_error_free(err);
  /* A long one is cut, marked with "...". */
  char user[300];
  memset(user, 'a', sizeof user - 1);
  user[sizeof user - 1] = '\0';
  err = NULL;
  ck_assert_int_eq(check(user, "u/bob/x", PAIL_ACCESS_WRITE, &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(pail_error_message(err), "aaa...\"");
  pail_error_free(err);
}
END_TEST

START_TEST(denial_without_a_match_says_so) {
  pail_error *err = NULL;
  ck_assert_int_eq(check("alice", "private/x", PAIL_ACCESS_READ, &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_str_eq(pail_error_message(err),
                   "read to \"private/x\" is not allowed for "
                   "user \"alice\" (no rule in advanced_permissions matches)");
  pail_error_free(err);
}
END_TEST

START_TEST(denial_by_a_rule_allowing_nothing_says_nothing) {
  pail_error *err = NULL;
  ck_assert_int_eq(check("alice", "frozen/x", PAIL_ACCESS_LIST, &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(pail_error_message(err),
                     "(rule 5 \"frozen/**\" allows nothing)");
  pail_error_free(err);
}
END_TEST

START_TEST(username_rules_do_not_apply_without_a_username) {
  /* Rule 1 is skipped, rule 2 only allows reading. */
  pail_error *err = NULL;
  ck_assert_int_eq(check(NULL, "u/alice/x", PAIL_ACCESS_WRITE, &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(pail_error_message(err), "without a username");
  ck_assert_contains(pail_error_message(err), "rule 2");
  pail_error_free(err);
  ck_assert_int_eq(check(NULL, "u/alice/x", PAIL_ACCESS_READ, NULL), PAIL_OK);
}
END_TEST

START_TEST(several_access_bits_need_all_of_them) {
  ck_assert_int_eq(
      check("a", "pub/x", PAIL_ACCESS_READ | PAIL_ACCESS_LIST, NULL), PAIL_OK);
  pail_error *err = NULL;
  ck_assert_int_eq(
      check("a", "pub/x", PAIL_ACCESS_READ | PAIL_ACCESS_DELETE, &err),
      PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(pail_error_message(err), "read, delete to \"pub/x\"");
  pail_error_free(err);
}
END_TEST

int main(void) {
  Suite *s = suite_create("permissions");
  TCase *tc = tcase_create("parse");
  tcase_add_test(tc, allow_string_lists_words);
  tcase_add_test(tc, allow_string_tolerates_spaces);
  tcase_add_test(tc, allow_array_lists_words);
  tcase_add_test(tc, empty_allow_allows_nothing);
  tcase_add_test(tc, rules_keep_their_order_and_patterns);
  tcase_add_test(tc, empty_rule_list_is_present);
  tcase_add_test(tc, unknown_access_word_is_named_with_the_rule);
  tcase_add_test(tc, unknown_field_is_named_with_the_rule);
  tcase_add_test(tc, missing_pattern_is_refused);
  tcase_add_test(tc, missing_allow_is_refused);
  tcase_add_test(tc, pattern_of_wrong_type_or_empty_is_refused);
  tcase_add_test(tc, allow_of_wrong_type_is_refused);
  tcase_add_test(tc, rule_that_is_not_an_object_is_refused);
  tcase_add_test(tc, rules_that_are_not_an_array_are_refused);
  suite_add_tcase(s, tc);

  tc = tcase_create("glob");
  tcase_add_test(tc, literal_pattern_matches_only_itself);
  tcase_add_test(tc, star_stays_within_a_segment);
  tcase_add_test(tc, double_star_at_the_end_crosses_segments);
  tcase_add_test(tc, double_star_at_the_start_crosses_segments);
  tcase_add_test(tc, double_star_in_the_middle_crosses_segments);
  tcase_add_test(tc, question_mark_is_one_byte_but_not_a_slash);
  tcase_add_test(tc, username_is_substituted);
  tcase_add_test(tc, username_pattern_never_matches_without_a_username);
  tcase_add_test(tc, username_metacharacters_match_literally);
  tcase_add_test(tc, username_with_a_slash_never_matches);
  tcase_add_test(tc, braces_other_than_the_placeholder_are_literal);
  tcase_add_test(tc, pathological_patterns_are_fast);
  suite_add_tcase(s, tc);

  tc = tcase_create("check");
  tcase_add_test(tc, without_rules_everything_is_allowed);
  tcase_add_test(tc, empty_rule_list_denies_everything);
  tcase_add_test(tc, matching_rule_allows);
  tcase_add_test(tc, first_matching_rule_decides);
  tcase_add_test(tc, denial_names_key_access_user_and_rule);
  tcase_add_test(tc, denial_escapes_control_characters_in_the_username);
  tcase_add_test(tc, denial_without_a_match_says_so);
  tcase_add_test(tc, denial_by_a_rule_allowing_nothing_says_nothing);
  tcase_add_test(tc, username_rules_do_not_apply_without_a_username);
  tcase_add_test(tc, several_access_bits_need_all_of_them);
  suite_add_tcase(s, tc);
  return test_run_suite(s);
}
