/*
 * strings.c: small string helpers shared by the core.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *str_printf(const char *format, ...) {
  char *out = NULL;
  va_list args;
  va_start(args, format);
  int n = vasprintf(&out, format, args);
  va_end(args);
  return n < 0 ? NULL : out;
}

char *str_dup(const char *s) {
  return s == NULL ? NULL : strdup(s);
}

int str_hex_digit(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

pail_status str_hex_decode(const char *text, size_t length,
                           unsigned char *out) {
  if (text == NULL || length % 2 != 0)
    return PAIL_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < length; i += 2) {
    int high = str_hex_digit(text[i]), low = str_hex_digit(text[i + 1]);
    if (high < 0 || low < 0)
      return PAIL_ERR_INVALID_ARGUMENT;
    out[i / 2] = (unsigned char)(high << 4 | low);
  }
  return PAIL_OK;
}

pail_status str_uri_decode(const char *text, size_t length, char **out,
                           size_t *out_length) {
  *out = NULL;
  if (text == NULL)
    return PAIL_ERR_INVALID_ARGUMENT;
  /* Decoding never lengthens: the input's size (and its NUL) is enough. */
  char *decoded = malloc(length + 1);
  if (decoded == NULL)
    return PAIL_ERR_INTERNAL;
  size_t n = 0;
  for (size_t i = 0; i < length; i++) {
    if (text[i] != '%') {
      decoded[n++] = text[i];
      continue;
    }
    unsigned char byte;
    if (length - i < 3 || str_hex_decode(text + i + 1, 2, &byte) != PAIL_OK) {
      free(decoded);
      return PAIL_ERR_INVALID_ARGUMENT;
    }
    decoded[n++] = (char)byte;
    i += 2;
  }
  decoded[n] = '\0';
  *out = decoded;
  if (out_length != NULL)
    *out_length = n;
  return PAIL_OK;
}
