/*
 * test_pointer.c: the pointer forms and key rules of docs/architecture.md
 * ("From a pointer to a plugin call"; core/pointer.c): every legal and
 * illegal form, the messages, printing and round trips.
 */
#include "internal.h"
#include "testutil.h"

/* Keys that are legal and must survive every form unchanged. */
static const char *const legal_keys[] = {
    "a",
    "a/b.parquet",
    "with space/and  two",
    "plus+sign",
    "percent%20not-decoded",
    "hash#fragment",
    "question?mark=1&x=2",
    "tilde~home",
    "equals=sign",
    "unicode/日本語/ファイル.txt",
    "emoji 😀 and é",
    "quote\"and\\backslash",
    "colon:semi;comma,",
    "{braces}",
    "s3:not-a-scheme",
    "[brackets]",
    "...",
    ".hidden/..dotdot/a.",
    "*glob?chars",
    "'single' $dollar @at !bang",
    "trailing space ",
};
#define LEGAL_KEY_COUNT (sizeof legal_keys / sizeof legal_keys[0])

static pail_pointer *parse_ok(const char *text, const char *default_storage) {
  pail_pointer *p = NULL;
  pail_error *err = NULL;
  pail_status status = pail_pointer_parse(text, default_storage, &p, &err);
  ck_assert_msg(status == PAIL_OK, "parsing %s: %s", text,
                pail_error_message(err));
  ck_assert_ptr_nonnull(p);
  return p;
}

static pail_pointer *prefix_ok(const char *text, const char *default_storage) {
  pail_pointer *p = NULL;
  pail_error *err = NULL;
  pail_status status =
      pail_pointer_parse_prefix(text, default_storage, &p, &err);
  ck_assert_msg(status == PAIL_OK, "parsing prefix %s: %s", text,
                pail_error_message(err));
  ck_assert_ptr_nonnull(p);
  return p;
}

/* Asserts the parts of a pointer (storage NULL: primary) and frees it. */
static void expect_parts(pail_pointer *p, const char *storage,
                         const char *key) {
  if (storage == NULL)
    ck_assert_ptr_null(p->storage);
  else
    ck_assert_str_eq(p->storage, storage);
  ck_assert_str_eq(p->key, key);
  pail_pointer_free(p);
}

static void expect_parse(const char *text, const char *default_storage,
                         const char *storage, const char *key) {
  expect_parts(parse_ok(text, default_storage), storage, key);
}

static void expect_prefix(const char *text, const char *storage,
                          const char *key) {
  expect_parts(prefix_ok(text, NULL), storage, key);
}

/* Asserts that parsing fails as invalid argument, leaves *out NULL, and
 * that the message contains needle. */
static void expect_parse_error(const char *text, const char *default_storage,
                               const char *needle) {
  pail_pointer *p = (pail_pointer *)&p; /* must be reset to NULL */
  pail_error *err = NULL;
  ck_assert_int_eq(pail_pointer_parse(text, default_storage, &p, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(p);
  ck_assert_int_eq(pail_error_category(err), PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), needle);
  pail_error_free(err);
}

static void expect_prefix_error(const char *text, const char *needle) {
  pail_pointer *p = NULL;
  pail_error *err = NULL;
  ck_assert_int_eq(pail_pointer_parse_prefix(text, NULL, &p, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(p);
  ck_assert_contains(pail_error_message(err), needle);
  pail_error_free(err);
}

static void expect_key_ok(const char *key, size_t len) {
  pail_error *err = NULL;
  ck_assert_msg(pail_key_check(key, len, &err) == PAIL_OK, "%s",
                pail_error_message(err));
}

static void expect_key_error(const char *key, size_t len, const char *needle) {
  pail_error *err = NULL;
  ck_assert_int_eq(pail_key_check(key, len, &err), PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), needle);
  pail_error_free(err);
}

static char *repeat(const char *unit, size_t times, const char *tail) {
  size_t unit_len = strlen(unit), tail_len = strlen(tail);
  char *s = malloc(unit_len * times + tail_len + 1);
  ck_assert_ptr_nonnull(s);
  for (size_t i = 0; i < times; i++)
    memcpy(s + i * unit_len, unit, unit_len);
  memcpy(s + unit_len * times, tail, tail_len + 1);
  return s;
}

/* ------------------------------------------------------------ JSON form */

START_TEST(json_without_storage_names_the_primary) {
  expect_parse("{\"s3\": \"a/b.parquet\"}", NULL, NULL, "a/b.parquet");
}
END_TEST

START_TEST(json_with_storage_names_a_secondary) {
  expect_parse("{\"s3\": \"a/b.parquet\", \"storage\": \"archive\"}", NULL,
               "archive", "a/b.parquet");
}
END_TEST

START_TEST(json_storage_null_is_the_primary) {
  expect_parse("{\"s3\": \"k\", \"storage\": null}", NULL, NULL, "k");
}
END_TEST

START_TEST(json_storage_default_alias_is_the_primary) {
  expect_parse("{\"s3\": \"k\", \"storage\": \"_default_\"}", NULL, NULL, "k");
}
END_TEST

START_TEST(json_ignores_default_storage) {
  /* --storage applies to bare keys only. */
  expect_parse("{\"s3\": \"k\"}", "archive", NULL, "k");
}
END_TEST

START_TEST(json_presigned_is_kept) {
  pail_pointer *p = parse_ok("{\"s3\": \"k\", \"storage\": \"x\","
                             " \"presigned\": \"exp=1&sig=ab\"}",
                             NULL);
  ck_assert_str_eq(p->presigned, "exp=1&sig=ab");
  ck_assert_str_eq(p->storage, "x");
  pail_pointer_free(p);
}
END_TEST

START_TEST(json_without_presigned_has_none) {
  pail_pointer *p = parse_ok("{\"s3\": \"k\", \"presigned\": null}", NULL);
  ck_assert_ptr_null(p->presigned);
  pail_pointer_free(p);
}
END_TEST

START_TEST(json_extra_fields_are_accepted) {
  expect_parse("{\"filename\": \"report.csv\", \"s3\": \"k\", \"size\": 3,"
               " \"meta\": {\"a\": [1, 2]}}",
               NULL, NULL, "k");
}
END_TEST

START_TEST(json_with_leading_whitespace_is_json) {
  expect_parse("\n  {\"s3\": \"k\"}\n", NULL, NULL, "k");
}
END_TEST

START_TEST(json_key_drops_one_leading_slash) {
  expect_parse("{\"s3\": \"/a/b\"}", NULL, NULL, "a/b");
  expect_parse_error("{\"s3\": \"//a\"}", NULL, "starts with '/'");
}
END_TEST

START_TEST(json_without_s3_is_refused) {
  expect_parse_error("{\"storage\": \"x\"}", NULL, "no \"s3\" field");
}
END_TEST

START_TEST(json_s3_of_wrong_type_is_refused) {
  expect_parse_error("{\"s3\": 12}", NULL,
                     "\"s3\" must be a string, not a number");
  expect_parse_error("{\"s3\": null}", NULL,
                     "\"s3\" must be a string, not null");
  expect_parse_error("{\"s3\": [\"k\"]}", NULL, "not an array");
}
END_TEST

START_TEST(json_storage_of_wrong_type_is_refused) {
  expect_parse_error("{\"s3\": \"k\", \"storage\": 1}", NULL,
                     "\"storage\" must be a string or null, not a number");
  expect_parse_error("{\"s3\": \"k\", \"storage\": {}}", NULL, "not an object");
}
END_TEST

START_TEST(json_presigned_of_wrong_type_is_refused) {
  expect_parse_error("{\"s3\": \"k\", \"presigned\": true}", NULL,
                     "\"presigned\" must be a string or null, not a boolean");
}
END_TEST

START_TEST(json_duplicate_fields_are_refused) {
  expect_parse_error("{\"s3\": \"a\", \"s3\": \"b\"}", NULL,
                     "malformed pointer JSON");
  expect_parse_error("{\"s3\": \"a\", \"s3\": \"b\"}", NULL, "duplicate");
}
END_TEST

START_TEST(json_trailing_garbage_is_refused) {
  expect_parse_error("{\"s3\": \"a\"} x", NULL, "malformed pointer JSON");
  expect_parse_error("{\"s3\": \"a\"}{}", NULL, "end of file expected");
}
END_TEST

START_TEST(json_syntax_error_names_line_and_column) {
  expect_parse_error("{\"s3\": \"a\",\n \"storage\" \"x\"}", NULL,
                     "(line 2, column");
  expect_parse_error("{", NULL, "malformed pointer JSON \"{\"");
}
END_TEST

START_TEST(json_nul_escape_in_key_is_refused) {
  expect_parse_error("{\"s3\": \"a\\u0000b\"}", NULL, "malformed pointer JSON");
}
END_TEST

START_TEST(json_invalid_utf8_is_refused) {
  expect_parse_error("{\"s3\": \"a\xff\"}", NULL, "malformed pointer JSON");
}
END_TEST

START_TEST(json_bad_key_is_refused_with_the_key_rules) {
  expect_parse_error("{\"s3\": \"a//b\"}", NULL,
                     "invalid key \"a//b\": empty path segment");
  expect_parse_error("{\"s3\": \"\"}", NULL, "the key is empty");
  expect_parse_error("{\"s3\": \"a\\u0001\"}", NULL, "control character");
}
END_TEST

START_TEST(json_bad_storage_name_is_refused) {
  expect_parse_error("{\"s3\": \"k\", \"storage\": \"no/slash\"}", NULL,
                     "invalid storage name \"no/slash\"");
  expect_parse_error("{\"s3\": \"k\", \"storage\": \"\"}", NULL,
                     "invalid storage name \"\"");
}
END_TEST

START_TEST(text_starting_with_a_bracket_is_a_bare_key) {
  /* Only objects are pointers; an array-looking text is just a key. */
  expect_parse("[1]", NULL, NULL, "[1]");
}
END_TEST

/* ------------------------------------------------------------- URI form */

START_TEST(uri_with_empty_storage_names_the_primary) {
  expect_parse("s3:///a/b.parquet", NULL, NULL, "a/b.parquet");
}
END_TEST

START_TEST(uri_with_storage_names_a_secondary) {
  expect_parse("s3://archive/a/b.parquet", NULL, "archive", "a/b.parquet");
}
END_TEST

START_TEST(uri_default_alias_names_the_primary) {
  expect_parse("s3://_default_/a", NULL, NULL, "a");
}
END_TEST

START_TEST(uri_ignores_default_storage) {
  expect_parse("s3:///a", "archive", NULL, "a");
}
END_TEST

START_TEST(uri_is_not_percent_decoded) {
  expect_parse("s3:///a%20b%2Fc", NULL, NULL, "a%20b%2Fc");
  expect_parse("s3://x/a+b?c=d#e", NULL, "x", "a+b?c=d#e");
}
END_TEST

START_TEST(uri_without_key_is_refused) {
  expect_parse_error("s3://", NULL, "no key");
  expect_parse_error("s3:///", NULL, "no key");
  expect_parse_error("s3://archive", NULL, "no key");
  expect_parse_error("s3://archive/", NULL, "no key");
}
END_TEST

START_TEST(uri_with_extra_slash_is_refused) {
  expect_parse_error("s3:////a", NULL, "invalid key \"/a\": starts with '/'");
  expect_parse_error("s3://x//a", NULL, "starts with '/'");
}
END_TEST

START_TEST(uri_without_double_slash_is_refused) {
  expect_parse_error("s3:a", NULL, "invalid pointer \"s3:a\": expected");
  expect_parse_error("s3:/a", NULL, "expected s3:///key or s3://storage/key");
}
END_TEST

START_TEST(uri_bad_storage_name_is_refused) {
  expect_parse_error("s3://bad name/k", NULL,
                     "invalid storage name \"bad name\": character ' '");
  expect_parse_error("s3://a:b/k", NULL, "character ':'");
}
END_TEST

START_TEST(uri_bad_key_is_refused) {
  expect_parse_error("s3:///a/../b", NULL, "\"..\" path segment");
  expect_parse_error("s3://x/a/", NULL, "ends with '/'");
}
END_TEST

START_TEST(uri_of_another_scheme_names_the_scheme_and_the_forms) {
  expect_parse_error("gs://bkt/a", NULL,
                     "invalid pointer \"gs://bkt/a\": \"gs://\" is not a "
                     "scheme pail knows; a pointer is {\"s3\": \"key\"}, "
                     "s3:///key, s3://storage/key or a bare key");
  expect_parse_error("S3:///a", NULL,
                     "\"S3://\" is not a scheme pail knows (s3 is written in "
                     "lowercase)");
  expect_parse_error("https://host/a", "archive",
                     "\"https://\" is not a scheme");
  expect_prefix_error("az://container/", "\"az://\" is not a scheme");
  /* Not a scheme: still a key, refused or accepted by the key rules. */
  expect_parse_error("a b://c", NULL, "empty path segment");
  expect_parse("gs:/a", NULL, NULL, "gs:/a");
}
END_TEST

/* -------------------------------------------------------- bare key form */

START_TEST(bare_key_names_the_primary) {
  expect_parse("a/b.parquet", NULL, NULL, "a/b.parquet");
}
END_TEST

START_TEST(bare_key_uses_the_default_storage) {
  expect_parse("a/b", "archive", "archive", "a/b");
}
END_TEST

START_TEST(bare_key_default_alias_is_the_primary) {
  expect_parse("a/b", "_default_", NULL, "a/b");
}
END_TEST

START_TEST(bare_key_with_invalid_default_storage_is_refused) {
  expect_parse_error("a", "bad/name", "invalid storage name \"bad/name\"");
  expect_parse_error("a", "", "invalid storage name \"\"");
}
END_TEST

START_TEST(bare_key_drops_one_leading_slash) {
  expect_parse("/a/b", NULL, NULL, "a/b");
  expect_parse_error("//a", NULL, "invalid key \"/a\": starts with '/'");
}
END_TEST

START_TEST(bare_key_that_is_only_a_slash_is_refused) {
  expect_parse_error("/", NULL, "the key is empty");
}
END_TEST

START_TEST(empty_text_is_refused) {
  expect_parse_error("", NULL, "invalid key \"\": the key is empty");
}
END_TEST

START_TEST(null_text_is_refused) {
  expect_parse_error(NULL, NULL, "no pointer given");
}
END_TEST

/* ------------------------------------------------------------ key rules */

START_TEST(legal_keys_pass_the_check) {
  for (size_t i = 0; i < LEGAL_KEY_COUNT; i++)
    expect_key_ok(legal_keys[i], strlen(legal_keys[i]));
}
END_TEST

START_TEST(key_of_1024_bytes_passes) {
  char *key = repeat("a", 1024, "");
  expect_key_ok(key, 1024);
  free(key);
  /* 341 three-byte characters and one byte: 1024 bytes, 342 characters. */
  key = repeat("€", 341, "a");
  ck_assert_uint_eq(strlen(key), 1024);
  expect_key_ok(key, 1024);
  free(key);
}
END_TEST

START_TEST(key_of_1025_bytes_is_refused) {
  char *key = repeat("a", 1025, "");
  expect_key_error(key, 1025, "1025 bytes long, more than the 1024 allowed");
  free(key);
  key = repeat("€", 341, "ab");
  expect_key_error(key, strlen(key), "1025 bytes long");
  free(key);
}
END_TEST

START_TEST(key_with_nul_inside_is_refused) {
  expect_key_error("a\0b", 3, "contains a NUL byte at offset 1");
  expect_key_error("\0", 1, "NUL byte");
}
END_TEST

START_TEST(key_length_is_what_is_checked_not_the_terminator) {
  /* "ab/" cut to two bytes is the legal key "ab". */
  expect_key_ok("ab/", 2);
}
END_TEST

START_TEST(invalid_utf8_is_refused) {
  static const char *const bad[] = {
      "\x80",             /* lone continuation byte */
      "a\xc3",            /* truncated two-byte sequence */
      "\xe2\x82",         /* truncated three-byte sequence */
      "\xc0\xaf",         /* overlong '/' */
      "\xc1\xbf",         /* overlong */
      "\xe0\x80\xaf",     /* overlong three-byte '/' */
      "\xf0\x80\x80\xaf", /* overlong four-byte '/' */
      "\xed\xa0\x80",     /* UTF-16 surrogate U+D800 */
      "\xed\xbf\xbf",     /* UTF-16 surrogate U+DFFF */
      "\xf4\x90\x80\x80", /* U+110000 */
      "\xf5\x80\x80\x80", /* beyond any code point */
      "\xff",
      "\xc3\x28", /* lead byte followed by ASCII */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    expect_key_error(bad[i], strlen(bad[i]), "not valid UTF-8");
}
END_TEST

START_TEST(invalid_utf8_names_the_offset) {
  expect_key_error("ab\xff", 3, "not valid UTF-8 at byte offset 2");
}
END_TEST

START_TEST(utf8_boundary_code_points_pass) {
  static const char *const good[] = {
      "\xc2\xa0",         /* U+00A0, first after the C1 controls */
      "\xdf\xbf",         /* U+07FF */
      "\xe0\xa0\x80",     /* U+0800 */
      "\xed\x9f\xbf",     /* U+D7FF, just below the surrogates */
      "\xee\x80\x80",     /* U+E000, just above them */
      "\xef\xbf\xbd",     /* U+FFFD */
      "\xf0\x90\x80\x80", /* U+10000 */
      "\xf4\x8f\xbf\xbf", /* U+10FFFF */
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    expect_key_ok(good[i], strlen(good[i]));
}
END_TEST

START_TEST(control_characters_are_refused) {
  expect_key_error("a\x01", 2, "control character U+0001 at byte offset 1");
  expect_key_error("a\tb", 3, "U+0009");
  expect_key_error("a\nb", 3, "U+000A");
  expect_key_error("a\rb", 3, "U+000D");
  expect_key_error("\x1f", 1, "U+001F");
  expect_key_error("a\x7f", 2, "U+007F");
  expect_key_error("a\xc2\x85", 3, "U+0085"); /* C1 NEL */
  expect_key_error("\xc2\x9b", 2, "U+009B");  /* C1 CSI */
}
END_TEST

START_TEST(dot_segments_are_refused) {
  expect_key_error("../x", 4, "invalid key \"../x\": \"..\" path segment");
  expect_key_error("a/./b", 5, "invalid key \"a/./b\": \".\" path segment");
  expect_key_error("a/..", 4, "\"..\" path segment");
  expect_key_error(".", 1, "\".\" path segment");
  expect_key_error("..", 2, "\"..\" path segment");
  expect_key_error("x/.", 3, "\".\" path segment");
}
END_TEST

START_TEST(segments_with_dots_that_are_not_dot_segments_pass) {
  expect_key_ok("...", 3);
  expect_key_ok(".a/a./..b/b..", 13);
}
END_TEST

START_TEST(empty_segment_is_refused) {
  pail_error *err = NULL;
  ck_assert_int_eq(pail_key_check("a//b", 4, &err), PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_str_eq(pail_error_message(err),
                   "invalid key \"a//b\": empty path segment");
  pail_error_free(err);
}
END_TEST

START_TEST(trailing_slash_is_refused_for_a_key) {
  expect_key_error("a/", 2, "invalid key \"a/\": ends with '/'");
}
END_TEST

START_TEST(leading_slash_is_refused_by_the_check) {
  expect_key_error("/a", 2, "invalid key \"/a\": starts with '/'");
  expect_key_error("/", 1, "starts with '/'");
}
END_TEST

START_TEST(empty_key_is_refused) {
  expect_key_error("", 0, "invalid key \"\": the key is empty");
}
END_TEST

START_TEST(null_key_is_refused) {
  expect_key_error(NULL, 0, "no key given");
}
END_TEST

START_TEST(message_escapes_control_bytes_and_quotes) {
  pail_error *err = NULL;
  ck_assert_int_eq(pail_key_check("x\"\x1b[31m", 7, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_str_eq(pail_error_message(err),
                   "invalid key \"x\\\"\\x1b[31m\": contains control "
                   "character U+001B at byte offset 2");
  pail_error_free(err);
  err = NULL;
  ck_assert_int_eq(pail_key_check("\xe9t\xe9", 3, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), "\"\\xe9t\\xe9\"");
  pail_error_free(err);
}
END_TEST

START_TEST(message_keeps_unicode_readable) {
  expect_key_error("ü//é", strlen("ü//é"), "invalid key \"ü//é\"");
}
END_TEST

START_TEST(message_truncates_long_input) {
  char *key = repeat("é", 600, "");
  pail_error *err = NULL;
  ck_assert_int_eq(pail_key_check(key, strlen(key), &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  /* 64 bytes of input are 32 whole characters, then an ellipsis. */
  char *shown = repeat("é", 32, "...\": 1200 bytes long");
  ck_assert_contains(pail_error_message(err), shown);
  ck_assert_uint_lt(strlen(pail_error_message(err)), 200);
  free(shown);
  free(key);
  pail_error_free(err);
}
END_TEST

START_TEST(error_is_optional) {
  ck_assert_int_eq(pail_key_check("a//b", 4, NULL), PAIL_ERR_INVALID_ARGUMENT);
  pail_pointer *p = NULL;
  ck_assert_int_eq(pail_pointer_parse("{", NULL, &p, NULL),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(p);
}
END_TEST

/* -------------------------------------------------------- storage names */

START_TEST(storage_names_of_allowed_characters_pass) {
  ck_assert_int_eq(pail_storage_name_check("archive", NULL), PAIL_OK);
  ck_assert_int_eq(pail_storage_name_check("A.b-c_9", NULL), PAIL_OK);
  char *name = repeat("n", 63, "");
  ck_assert_int_eq(pail_storage_name_check(name, NULL), PAIL_OK);
  free(name);
}
END_TEST

START_TEST(storage_name_too_long_is_refused) {
  char *name = repeat("n", 64, "");
  pail_error *err = NULL;
  ck_assert_int_eq(pail_storage_name_check(name, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), "64 bytes long");
  pail_error_free(err);
  free(name);
}
END_TEST

START_TEST(storage_name_with_other_characters_is_refused) {
  static const char *const bad[] = {"a b", "a/b", "a:b", "ü", "a\tb", "x'y"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    pail_error *err = NULL;
    ck_assert_int_eq(pail_storage_name_check(bad[i], &err),
                     PAIL_ERR_INVALID_ARGUMENT);
    ck_assert_contains(pail_error_message(err), "is not allowed");
    pail_error_free(err);
  }
}
END_TEST

START_TEST(empty_storage_name_is_refused) {
  pail_error *err = NULL;
  ck_assert_int_eq(pail_storage_name_check("", &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_str_eq(pail_error_message(err),
                   "invalid storage name \"\": the name is empty");
  pail_error_free(err);
}
END_TEST

/* ------------------------------------------------------------- prefixes */

START_TEST(prefix_may_be_empty) {
  expect_prefix("", NULL, "");
  expect_prefix("/", NULL, "");
  expect_prefix("s3://", NULL, "");
  expect_prefix("s3:///", NULL, "");
  expect_prefix("{\"s3\": \"\"}", NULL, "");
}
END_TEST

START_TEST(prefix_uri_with_storage_alone_names_the_storage) {
  expect_prefix("s3://archive", "archive", "");
  expect_prefix("s3://archive/", "archive", "");
}
END_TEST

START_TEST(prefix_may_end_with_a_slash) {
  expect_prefix("dir/", NULL, "dir/");
  expect_prefix("s3://x/a/b/", "x", "a/b/");
  expect_prefix("di", NULL, "di");
}
END_TEST

START_TEST(prefix_bare_uses_the_default_storage) {
  expect_parts(prefix_ok("dir/", "archive"), "archive", "dir/");
}
END_TEST

START_TEST(prefix_follows_the_other_key_rules) {
  expect_prefix_error("a//", "invalid prefix \"a//\": empty path segment");
  expect_prefix_error("../", "\"..\" path segment");
  expect_prefix_error("//", "starts with '/'");
  expect_prefix_error("s3:///a\x01", "control character");
}
END_TEST

START_TEST(prefix_check_accepts_empty_and_trailing_slash) {
  ck_assert_int_eq(pointer_prefix_check("", 0, NULL), PAIL_OK);
  ck_assert_int_eq(pointer_prefix_check("a/", 2, NULL), PAIL_OK);
  ck_assert_int_eq(pointer_prefix_check("a/b", 3, NULL), PAIL_OK);
}
END_TEST

START_TEST(prefix_check_refuses_what_keys_refuse) {
  ck_assert_int_eq(pointer_prefix_check("/a", 2, NULL),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(pointer_prefix_check("/", 1, NULL),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(pointer_prefix_check("a/./", 4, NULL),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(pointer_prefix_check("a\0", 2, NULL),
                   PAIL_ERR_INVALID_ARGUMENT);
  char *long_prefix = repeat("a", 1024, "/");
  ck_assert_int_eq(pointer_prefix_check(long_prefix, 1025, NULL),
                   PAIL_ERR_INVALID_ARGUMENT);
  free(long_prefix);
}
END_TEST

START_TEST(key_parse_refuses_a_trailing_slash_that_prefix_parse_accepts) {
  expect_parse_error("dir/", NULL, "ends with '/'");
}
END_TEST

/* ------------------------------------------------------ building, copying */

START_TEST(pointer_new_builds_from_parts) {
  pail_pointer *p = NULL;
  ck_assert_int_eq(pail_pointer_new("archive", "a/b", &p, NULL), PAIL_OK);
  ck_assert_ptr_null(p->presigned);
  expect_parts(p, "archive", "a/b");
  ck_assert_int_eq(pail_pointer_new(NULL, "a", &p, NULL), PAIL_OK);
  expect_parts(p, NULL, "a");
  ck_assert_int_eq(pail_pointer_new("_default_", "a", &p, NULL), PAIL_OK);
  expect_parts(p, NULL, "a");
}
END_TEST

START_TEST(pointer_new_validates_its_parts) {
  pail_pointer *p = (pail_pointer *)&p;
  pail_error *err = NULL;
  ck_assert_int_eq(pail_pointer_new(NULL, "a/../b", &p, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(p);
  ck_assert_contains(pail_error_message(err), "\"..\" path segment");
  pail_error_free(err);
  err = NULL;
  /* Parts are final: no leading '/' is dropped here. */
  ck_assert_int_eq(pail_pointer_new(NULL, "/a", &p, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  pail_error_free(err);
  err = NULL;
  ck_assert_int_eq(pail_pointer_new("x y", "a", &p, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), "invalid storage name");
  pail_error_free(err);
  err = NULL;
  ck_assert_int_eq(pail_pointer_new("", "a", &p, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  pail_error_free(err);
  ck_assert_int_eq(pail_pointer_new(NULL, NULL, &p, NULL),
                   PAIL_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(pointer_dup_is_deep) {
  pail_pointer *p = parse_ok(
      "{\"s3\": \"k\", \"storage\": \"s\", \"presigned\": \"exp=1&sig=0\","
      " \"filename\": \"f.csv\"}",
      NULL);
  pail_pointer *copy = pail_pointer_dup(p);
  ck_assert_ptr_nonnull(copy);
  ck_assert_ptr_ne(copy->key, p->key);
  ck_assert_ptr_ne(copy->storage, p->storage);
  ck_assert_ptr_ne(copy->presigned, p->presigned);
  ck_assert_ptr_ne(copy->extra, p->extra);
  pail_pointer_free(p);
  ck_assert_str_eq(copy->key, "k");
  ck_assert_str_eq(copy->storage, "s");
  ck_assert_str_eq(copy->presigned, "exp=1&sig=0");
  ck_assert_str_eq(copy->extra, "{\"filename\":\"f.csv\"}");
  pail_pointer_free(copy);
  ck_assert_ptr_null(pail_pointer_dup(NULL));
  pail_pointer_free(NULL);
}
END_TEST

/* ------------------------------------------------------------- printing */

static void expect_json(const char *text, const char *expected) {
  pail_pointer *p = parse_ok(text, NULL);
  char *json = pail_pointer_to_json(p);
  ck_assert_str_eq(json, expected);
  free(json);
  pail_pointer_free(p);
}

static void expect_uri(const char *text, const char *expected) {
  pail_pointer *p = parse_ok(text, NULL);
  char *uri = pail_pointer_to_uri(p);
  ck_assert_str_eq(uri, expected);
  free(uri);
  pail_pointer_free(p);
}

START_TEST(json_print_omits_the_primary_storage) {
  expect_json("s3:///a/b", "{\"s3\": \"a/b\"}");
  expect_json("s3://_default_/a/b", "{\"s3\": \"a/b\"}");
}
END_TEST

START_TEST(json_print_names_a_secondary_storage) {
  expect_json("s3://archive/a/b",
              "{\"s3\": \"a/b\", \"storage\": \"archive\"}");
}
END_TEST

START_TEST(json_print_includes_the_grant) {
  expect_json("{\"presigned\": \"exp=1&sig=ab\", \"s3\": \"k\"}",
              "{\"s3\": \"k\", \"presigned\": \"exp=1&sig=ab\"}");
}
END_TEST

START_TEST(json_extra_fields_are_kept_in_order_as_compact_json) {
  pail_pointer *p =
      parse_ok("{\"s3\": \"a\", \"filename\": \"x.csv\", \"n\": 1}", NULL);
  ck_assert_str_eq(p->key, "a");
  ck_assert_str_eq(p->extra, "{\"filename\":\"x.csv\",\"n\":1}");
  pail_pointer_free(p);
  p = parse_ok("{\"meta\": {\"a\": [1, 2.5, null, true]}, \"s3\": \"k\","
               " \"storage\": \"s\", \"note\": \"caf\u00e9 \\\"q\\\"\"}",
               NULL);
  ck_assert_str_eq(p->extra, "{\"meta\":{\"a\":[1,2.5,null,true]},"
                             "\"note\":\"caf\u00e9 \\\"q\\\"\"}");
  pail_pointer_free(p);
}
END_TEST

START_TEST(pointers_without_extra_fields_have_none) {
  static const char *const texts[] = {
      "{\"s3\": \"k\"}",
      "{\"s3\": \"k\", \"storage\": null, \"presigned\": null}", "s3:///k",
      "s3://s/k", "k"};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    pail_pointer *p = parse_ok(texts[i], NULL);
    ck_assert_msg(p->extra == NULL, "%s: extra %s", texts[i], p->extra);
    pail_pointer_free(p);
  }
  pail_pointer *p = NULL;
  ck_assert_int_eq(pail_pointer_new("s", "k", &p, NULL), PAIL_OK);
  ck_assert_ptr_null(p->extra);
  pail_pointer_free(p);
}
END_TEST

START_TEST(json_extra_fields_round_trip) {
  const char *text = "{\"s3\":\"a\",\"filename\":\"x.csv\",\"n\":1}";
  pail_pointer *p = parse_ok(text, NULL);
  char *json = pail_pointer_to_json(p);
  ck_assert_str_eq(json, "{\"s3\": \"a\", \"filename\": \"x.csv\", \"n\": 1}");
  pail_pointer *again = parse_ok(json, NULL);
  ck_assert_str_eq(again->key, "a");
  ck_assert_ptr_null(again->storage);
  ck_assert_str_eq(again->extra, p->extra);
  free(json);
  pail_pointer_free(again);
  pail_pointer_free(p);
  /* After storage and presigned, whatever order the input had. */
  expect_json("{\"filename\": \"r.csv\", \"presigned\": \"exp=1&sig=ab\","
              " \"s3\": \"k\", \"storage\": \"arc\"}",
              "{\"s3\": \"k\", \"storage\": \"arc\", \"presigned\": "
              "\"exp=1&sig=ab\", \"filename\": \"r.csv\"}");
  /* The URI form cannot carry them. */
  expect_uri("{\"s3\": \"k\", \"filename\": \"r.csv\"}", "s3:///k");
}
END_TEST

START_TEST(json_print_of_a_hand_built_extra) {
  /* Fields pail reads itself are the pointer's own, never the extra's. */
  pail_pointer p = {.key = (char *)"k",
                    .extra = (char *)"{\"s3\":\"other\",\"storage\":\"x\","
                                     "\"filename\":\"f\"}"};
  char *json = pail_pointer_to_json(&p);
  ck_assert_str_eq(json, "{\"s3\": \"k\", \"filename\": \"f\"}");
  free(json);
  /* Text that is not a JSON object cannot be printed as fields. */
  static const char *const bad[] = {"[1]", "\"text\"", "{", "{\"a\":1}x",
                                    "{\"a\":1,\"a\":2}"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    p.extra = (char *)bad[i];
    ck_assert_msg(pail_pointer_to_json(&p) == NULL, "extra %s printed", bad[i]);
  }
}
END_TEST

START_TEST(json_print_keeps_unicode_raw_and_escapes_quotes) {
  expect_json("s3:///ü/日本/😀", "{\"s3\": \"ü/日本/😀\"}");
  expect_json("s3:///a\"b\\c/d", "{\"s3\": \"a\\\"b\\\\c/d\"}");
}
END_TEST

START_TEST(uri_print_uses_an_empty_storage_for_the_primary) {
  expect_uri("{\"s3\": \"a b/c\"}", "s3:///a b/c");
  expect_uri("{\"s3\": \"k\", \"storage\": \"arch\"}", "s3://arch/k");
}
END_TEST

START_TEST(uri_print_of_an_empty_prefix) {
  pail_pointer *p = prefix_ok("s3://", NULL);
  char *uri = pail_pointer_to_uri(p);
  ck_assert_str_eq(uri, "s3:///");
  free(uri);
  pail_pointer_free(p);
}
END_TEST

START_TEST(print_of_null_is_null) {
  ck_assert_ptr_null(pail_pointer_to_json(NULL));
  ck_assert_ptr_null(pail_pointer_to_uri(NULL));
}
END_TEST

/* Parses printed, checks the parts against original, and frees printed. */
static void expect_same(char *printed, const pail_pointer *original) {
  ck_assert_ptr_nonnull(printed);
  pail_pointer *again = parse_ok(printed, NULL);
  ck_assert_str_eq(again->key, original->key);
  if (original->storage)
    ck_assert_str_eq(again->storage, original->storage);
  else
    ck_assert_ptr_null(again->storage);
  pail_pointer_free(again);
  free(printed);
}

START_TEST(legal_keys_round_trip_through_json_and_uri) {
  static const char *const storages[] = {NULL, "archive"};
  for (size_t s = 0; s < 2; s++) {
    for (size_t i = 0; i < LEGAL_KEY_COUNT; i++) {
      pail_pointer *p = NULL;
      ck_assert_int_eq(pail_pointer_new(storages[s], legal_keys[i], &p, NULL),
                       PAIL_OK);
      expect_same(pail_pointer_to_json(p), p);
      expect_same(pail_pointer_to_uri(p), p);
      pail_pointer_free(p);
    }
  }
}
END_TEST

START_TEST(json_round_trip_keeps_the_grant) {
  pail_pointer *p = parse_ok(
      "{\"s3\": \"a/b\", \"storage\": \"x\", \"presigned\": \"exp=5&sig=f\"}",
      NULL);
  char *json = pail_pointer_to_json(p);
  pail_pointer *again = parse_ok(json, NULL);
  ck_assert_str_eq(again->presigned, "exp=5&sig=f");
  ck_assert_str_eq(again->storage, "x");
  pail_pointer_free(again);
  pail_pointer_free(p);
  free(json);
}
END_TEST

START_TEST(legal_bare_keys_parse_as_themselves) {
  for (size_t i = 0; i < LEGAL_KEY_COUNT; i++) {
    const char *key = legal_keys[i];
    if (key[0] == '{' || strncmp(key, "s3:", 3) == 0)
      continue; /* those need the JSON or URI form */
    expect_parse(key, NULL, NULL, key);
  }
}
END_TEST

/* ------------------------------------------------------------- listings */

START_TEST(listing_keeps_only_entries_a_pointer_can_name) {
  static const struct {
    const char *key;
    int folder;
    int kept;
  } entries[] = {
      {"data/a.csv", 0, 1},
      {"data/sub/", 1, 1},
      {"data/sub", 1, 0}, /* a folder without its '/' */
      {"data//", 1, 0},
      {"data/x//y", 0, 0},
      {"data/../etc", 0, 0},
      {"data/./x", 0, 0},
      {"data/a\x01b", 0, 0},
      {"data/\x1b[31mred", 1, 0},
      {"other/a", 0, 0}, /* outside the prefix */
      {"data/", 0, 0},   /* a folder marker object */
      {"data/\xc3\xa9t\xc3\xa9", 0, 1},
      {"data/z/", 1, 1},
  };
  size_t n = sizeof entries / sizeof *entries;
  pail_list_page page = {0};
  page.entries = calloc(n + 1, sizeof *page.entries);
  page.entries[n].key = NULL;
  for (size_t i = 0; i < n; i++) {
    page.entries[i].key = strdup(entries[i].key);
    page.entries[i].is_folder = entries[i].folder;
  }
  page.count = n;
  size_t expected_kept = 0;
  for (size_t i = 0; i < n; i++)
    expected_kept += (size_t)entries[i].kept;
  ck_assert_uint_eq(list_page_drop_unnameable("data/", &page),
                    n - expected_kept);
  ck_assert_uint_eq(page.count, expected_kept);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (entries[i].kept)
      ck_assert_str_eq(page.entries[k++].key, entries[i].key);
  pail_list_page_clear(&page);
}
END_TEST

int main(void) {
  Suite *s = suite_create("pointer");
  TCase *tc = tcase_create("json");
  tcase_add_test(tc, json_without_storage_names_the_primary);
  tcase_add_test(tc, json_with_storage_names_a_secondary);
  tcase_add_test(tc, json_storage_null_is_the_primary);
  tcase_add_test(tc, json_storage_default_alias_is_the_primary);
  tcase_add_test(tc, json_ignores_default_storage);
  tcase_add_test(tc, json_presigned_is_kept);
  tcase_add_test(tc, json_without_presigned_has_none);
  tcase_add_test(tc, json_extra_fields_are_accepted);
  tcase_add_test(tc, json_with_leading_whitespace_is_json);
  tcase_add_test(tc, json_key_drops_one_leading_slash);
  tcase_add_test(tc, json_without_s3_is_refused);
  tcase_add_test(tc, json_s3_of_wrong_type_is_refused);
  tcase_add_test(tc, json_storage_of_wrong_type_is_refused);
  tcase_add_test(tc, json_presigned_of_wrong_type_is_refused);
  tcase_add_test(tc, json_duplicate_fields_are_refused);
  tcase_add_test(tc, json_trailing_garbage_is_refused);
  tcase_add_test(tc, json_syntax_error_names_line_and_column);
  tcase_add_test(tc, json_nul_escape_in_key_is_refused);
  tcase_add_test(tc, json_invalid_utf8_is_refused);
  tcase_add_test(tc, json_bad_key_is_refused_with_the_key_rules);
  tcase_add_test(tc, json_bad_storage_name_is_refused);
  tcase_add_test(tc, text_starting_with_a_bracket_is_a_bare_key);
  suite_add_tcase(s, tc);

  tc = tcase_create("uri");
  tcase_add_test(tc, uri_with_empty_storage_names_the_primary);
  tcase_add_test(tc, uri_with_storage_names_a_secondary);
  tcase_add_test(tc, uri_default_alias_names_the_primary);
  tcase_add_test(tc, uri_ignores_default_storage);
  tcase_add_test(tc, uri_is_not_percent_decoded);
  tcase_add_test(tc, uri_without_key_is_refused);
  tcase_add_test(tc, uri_with_extra_slash_is_refused);
  tcase_add_test(tc, uri_without_double_slash_is_refused);
  tcase_add_test(tc, uri_bad_storage_name_is_refused);
  tcase_add_test(tc, uri_bad_key_is_refused);
  tcase_add_test(tc, uri_of_another_scheme_names_the_scheme_and_the_forms);
  suite_add_tcase(s, tc);

  tc = tcase_create("bare");
  tcase_add_test(tc, bare_key_names_the_primary);
  tcase_add_test(tc, bare_key_uses_the_default_storage);
  tcase_add_test(tc, bare_key_default_alias_is_the_primary);
  tcase_add_test(tc, bare_key_with_invalid_default_storage_is_refused);
  tcase_add_test(tc, bare_key_drops_one_leading_slash);
  tcase_add_test(tc, bare_key_that_is_only_a_slash_is_refused);
  tcase_add_test(tc, empty_text_is_refused);
  tcase_add_test(tc, null_text_is_refused);
  suite_add_tcase(s, tc);

  tc = tcase_create("keys");
  tcase_add_test(tc, legal_keys_pass_the_check);
  tcase_add_test(tc, key_of_1024_bytes_passes);
  tcase_add_test(tc, key_of_1025_bytes_is_refused);
  tcase_add_test(tc, key_with_nul_inside_is_refused);
  tcase_add_test(tc, key_length_is_what_is_checked_not_the_terminator);
  tcase_add_test(tc, invalid_utf8_is_refused);
  tcase_add_test(tc, invalid_utf8_names_the_offset);
  tcase_add_test(tc, utf8_boundary_code_points_pass);
  tcase_add_test(tc, control_characters_are_refused);
  tcase_add_test(tc, dot_segments_are_refused);
  tcase_add_test(tc, segments_with_dots_that_are_not_dot_segments_pass);
  tcase_add_test(tc, empty_segment_is_refused);
  tcase_add_test(tc, trailing_slash_is_refused_for_a_key);
  tcase_add_test(tc, leading_slash_is_refused_by_the_check);
  tcase_add_test(tc, empty_key_is_refused);
  tcase_add_test(tc, null_key_is_refused);
  tcase_add_test(tc, message_escapes_control_bytes_and_quotes);
  tcase_add_test(tc, message_keeps_unicode_readable);
  tcase_add_test(tc, message_truncates_long_input);
  tcase_add_test(tc, error_is_optional);
  suite_add_tcase(s, tc);

  tc = tcase_create("storage names");
  tcase_add_test(tc, storage_names_of_allowed_characters_pass);
  tcase_add_test(tc, storage_name_too_long_is_refused);
  tcase_add_test(tc, storage_name_with_other_characters_is_refused);
  tcase_add_test(tc, empty_storage_name_is_refused);
  suite_add_tcase(s, tc);

  tc = tcase_create("prefixes");
  tcase_add_test(tc, prefix_may_be_empty);
  tcase_add_test(tc, prefix_uri_with_storage_alone_names_the_storage);
  tcase_add_test(tc, prefix_may_end_with_a_slash);
  tcase_add_test(tc, prefix_bare_uses_the_default_storage);
  tcase_add_test(tc, prefix_follows_the_other_key_rules);
  tcase_add_test(tc, prefix_check_accepts_empty_and_trailing_slash);
  tcase_add_test(tc, prefix_check_refuses_what_keys_refuse);
  tcase_add_test(tc,
                 key_parse_refuses_a_trailing_slash_that_prefix_parse_accepts);
  suite_add_tcase(s, tc);

  tc = tcase_create("building and printing");
  tcase_add_test(tc, pointer_new_builds_from_parts);
  tcase_add_test(tc, pointer_new_validates_its_parts);
  tcase_add_test(tc, pointer_dup_is_deep);
  tcase_add_test(tc, json_print_omits_the_primary_storage);
  tcase_add_test(tc, json_print_names_a_secondary_storage);
  tcase_add_test(tc, json_print_includes_the_grant);
  tcase_add_test(tc, json_extra_fields_are_kept_in_order_as_compact_json);
  tcase_add_test(tc, pointers_without_extra_fields_have_none);
  tcase_add_test(tc, json_extra_fields_round_trip);
  tcase_add_test(tc, json_print_of_a_hand_built_extra);
  tcase_add_test(tc, json_print_keeps_unicode_raw_and_escapes_quotes);
  tcase_add_test(tc, uri_print_uses_an_empty_storage_for_the_primary);
  tcase_add_test(tc, uri_print_of_an_empty_prefix);
  tcase_add_test(tc, print_of_null_is_null);
  tcase_add_test(tc, legal_keys_round_trip_through_json_and_uri);
  tcase_add_test(tc, json_round_trip_keeps_the_grant);
  tcase_add_test(tc, legal_bare_keys_parse_as_themselves);
  suite_add_tcase(s, tc);
  tc = tcase_create("listings");
  tcase_add_test(tc, listing_keeps_only_entries_a_pointer_can_name);
  suite_add_tcase(s, tc);
  return test_run_suite(s);
}
