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
