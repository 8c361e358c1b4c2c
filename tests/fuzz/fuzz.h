/*
 * fuzz.h: what the libFuzzer targets of tests/fuzz share. Each target is one
 * LLVMFuzzerTestOneInput over one parser; a broken invariant aborts, which
 * libFuzzer reports as a crash with the input that caused it.
 */
#ifndef PAIL_TESTS_FUZZ_H
#define PAIL_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with the failed condition: a crash libFuzzer saves the input of. */
#define FUZZ_ASSERT(condition)                                                 \
  do {                                                                         \
    if (!(condition)) {                                                        \
      fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__,     \
              #condition);                                                     \
      abort();                                                                 \
    }                                                                          \
  } while (0)

/* A copy of size bytes with a NUL after them, as the core hands response
 * bodies to backends. Caller frees. */
static inline char *fuzz_copy(const void *data, size_t size) {
  char *copy = malloc(size + 1);
  FUZZ_ASSERT(copy != NULL);
  if (size > 0)
    memcpy(copy, data, size);
  copy[size] = '\0';
  return copy;
}

/* The input as a NUL-terminated string, or NULL when it holds a NUL (the
 * parsers take C strings, so such an input says nothing new). Caller frees. */
static inline char *fuzz_string(const uint8_t *data, size_t size) {
  return memchr(data, '\0', size) == NULL ? fuzz_copy(data, size) : NULL;
}

/* True when two strings, either of which may be NULL, are equal. */
static inline int fuzz_same(const char *a, const char *b) {
  return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* Decodes the UTF-8 character at s[0..len) into *codepoint and returns its
 * length, or 0 when it is not valid UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). Written from the RFC's definition,
 * apart from the library's decoder, to check it. */
static inline size_t fuzz_utf8(const unsigned char *s, size_t len,
                               uint32_t *codepoint) {
  size_t n;
  uint32_t value, smallest;
  if (s[0] < 0x80) {
    *codepoint = s[0];
    return 1;
  } else if ((s[0] & 0xE0) == 0xC0) {
    n = 2, value = s[0] & 0x1F, smallest = 0x80;
  } else if ((s[0] & 0xF0) == 0xE0) {
    n = 3, value = s[0] & 0x0F, smallest = 0x800;
  } else if ((s[0] & 0xF8) == 0xF0) {
    n = 4, value = s[0] & 0x07, smallest = 0x10000;
  } else {
    return 0;
  }
  if (len < n)
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    value = value << 6 | (s[i] & 0x3F);
  }
  if (value < smallest || value > 0x10FFFF ||
      (value >= 0xD800 && value <= 0xDFFF))
    return 0;
  *codepoint = value;
  return n;
}

/* True for the code points a terminal acts on: C0, DEL and C1. */
static inline int fuzz_is_control(uint32_t codepoint) {
  return codepoint < 0x20 || (codepoint >= 0x7F && codepoint <= 0x9F);
}

/* True when a message is valid UTF-8 without control characters: what the
 * library promises of messages that quote user input. */
static inline int fuzz_message_clean(const char *text) {
  const unsigned char *s = (const unsigned char *)text;
  size_t len = strlen(text);
  for (size_t i = 0; i < len;) {
    uint32_t codepoint;
    size_t n = fuzz_utf8(s + i, len - i, &codepoint);
    if (n == 0 || fuzz_is_control(codepoint))
      return 0;
    i += n;
  }
  return 1;
}

#endif /* PAIL_TESTS_FUZZ_H */
