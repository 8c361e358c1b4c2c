/*
 * text.c: untrusted bytes made safe to show. One UTF-8 decoder (RFC 3629)
 * and one escaper for everything pail prints that it did not write itself:
 * error messages (error.c), keys and pointers quoted in them (pointer.c,
 * permissions.c), previews of objects (preview/). Keeping one copy keeps
 * one answer to "which bytes may reach a terminal raw".
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t utf8_sequence(const uint8_t *s, size_t len, uint32_t *codepoint,
                     bool *incomplete) {
  if (incomplete != NULL)
    *incomplete = false;
  uint8_t c = s[0];
  size_t n;
  uint8_t low = 0x80, high = 0xBF; /* range of the second byte */
  if (c < 0x80) {
    *codepoint = c;
    return 1;
  } else if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0)
      low = 0xA0; /* overlong */
    else if (c == 0xED)
      high = 0x9F; /* surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0)
      low = 0x90; /* overlong */
    else if (c == 0xF4)
      high = 0x8F; /* above U+10FFFF */
  } else {
    return 0; /* continuation byte, C0/C1 overlong lead, or F5..FF */
  }
  for (size_t i = 1; i < n; i++) {
    if (i >= len) {
      if (incomplete != NULL)
        *incomplete = true;
      return 0;
    }
    if ((s[i] & 0xC0) != 0x80)
      return 0;
  }
  if (s[1] < low || s[1] > high)
    return 0;
  uint32_t value = c & (0xFF >> (n + 1));
  for (size_t i = 1; i < n; i++)
    value = (value << 6) | (s[i] & 0x3F);
  *codepoint = value;
  return n;
}

bool utf8_valid(const uint8_t *s, size_t len) {
  for (size_t i = 0; i < len;) {
    uint32_t cp;
    size_t n = utf8_sequence(s + i, len - i, &cp, NULL);
    if (n == 0)
      return false;
    i += n;
  }
  return true;
}

char *text_escape(const void *text, size_t len, size_t max, unsigned flags) {
  size_t take = len < max ? len : max;
  /* Worst case: every byte taken becomes \xNN, then "..." and the NUL. */
  char *out = malloc(take * 4 + 4);
  if (out == NULL)
    return NULL;
  const uint8_t *s = text;
  size_t o = 0, i = 0;
  while (i < take) {
    uint32_t cp;
    size_t n = utf8_sequence(s + i, len - i, &cp, NULL);
    if (n > 1 && cp >= 0xA0) { /* C1 controls are escaped byte by byte */
      if (i + n > take)
        break; /* never cut a character in half */
      memcpy(out + o, s + i, n);
      o += n;
      i += n;
      continue;
    }
    uint8_t c = s[i];
    if ((flags & TEXT_QUOTED) && (c == '"' || c == '\\')) {
      out[o++] = '\\';
      out[o++] = (char)c;
    } else if ((c >= 0x20 && c < 0x7F) ||
               (c == '\t' && (flags & TEXT_KEEP_TAB)) ||
               (c == '\n' && (flags & TEXT_KEEP_NEWLINE))) {
      out[o++] = (char)c;
    } else {
      o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
    }
    i++;
  }
  if (i < len) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = '\0';
  return out;
}
