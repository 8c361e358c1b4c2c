/*
 * fuzz_key.c: pail_key_check (and the prefix variant the listing uses) on
 * raw bytes, NULs included, against a reference written from the rules of
 * DESIGN.md section 1 as plainly as possible: 1 to 1024 bytes of valid
 * UTF-8, no NUL or control character, no leading '/', no empty, "." or ".."
 * segment. A prefix may also be empty or end with one '/'.
 */
#include "internal.h"

#include "fuzz.h"

static int reference_key_valid(const unsigned char *s, size_t len) {
  if (len < 1 || len > 1024)
    return 0;
  for (size_t i = 0; i < len;) {
    uint32_t codepoint;
    size_t n = fuzz_utf8(s + i, len - i, &codepoint);
    if (n == 0 || codepoint == 0 || fuzz_is_control(codepoint))
      return 0;
    i += n;
  }
  /* Cutting at every '/' also catches a leading or trailing one: each
   * leaves an empty segment. */
  size_t start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i < len && s[i] != '/')
      continue;
    size_t segment = i - start;
    if (segment == 0 || (segment == 1 && s[start] == '.') ||
        (segment == 2 && s[start] == '.' && s[start + 1] == '.'))
      return 0;
    start = i + 1;
  }
  return 1;
}

static int reference_prefix_valid(const unsigned char *s, size_t len) {
  if (len == 0)
    return 1;
  if (len > 1024)
    return 0;
  return reference_key_valid(s, s[len - 1] == '/' ? len - 1 : len);
}

/* One checker against its reference; a refusal must explain itself in a
 * clean message, since the message quotes the offending bytes. */
static void check(pail_status status, pail_error *err, int expected,
                  const uint8_t *data, size_t size, const char *what) {
  if ((status == PAIL_OK) != expected) {
    fprintf(stderr, "%s check says %s, the reference %s, for %zu bytes:", what,
            status == PAIL_OK ? "valid" : "invalid",
            expected ? "valid" : "invalid", size);
    for (size_t i = 0; i < size; i++)
      fprintf(stderr, " %02x", data[i]);
    fprintf(stderr, "\n");
  }
  FUZZ_ASSERT((status == PAIL_OK) == expected);
  if (status == PAIL_OK) {
    FUZZ_ASSERT(err == NULL);
    return;
  }
  FUZZ_ASSERT(status == PAIL_ERR_INVALID_ARGUMENT && err != NULL);
  FUZZ_ASSERT(pail_error_category(err) == status);
  FUZZ_ASSERT(fuzz_message_clean(pail_error_message(err)));
  pail_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* A copy of exactly size bytes, so that ASan sees any read past them. */
  char *key = malloc(size ? size : 1);
  FUZZ_ASSERT(key != NULL);
  if (size > 0)
    memcpy(key, data, size);
  pail_error *err = NULL;
  pail_status status = pail_key_check(key, size, &err);
  check(status, err, reference_key_valid(data, size), data, size, "key");
  err = NULL;
  status = pointer_prefix_check(key, size, &err);
  check(status, err, reference_prefix_valid(data, size), data, size, "prefix");
  free(key);
  return 0;
}
