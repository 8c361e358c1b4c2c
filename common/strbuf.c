/*
 * strbuf.c: the growable string of strbuf.h, for libpail and plugins alike:
 * nothing here may use libpail (plugins do not link it).
 */
#include "strbuf.h"

#include <stdint.h>
#include <stdlib.h>

/* What data points to before any storage: "" that is never written. */
static char strbuf_empty[1];

void strbuf_init(strbuf *b, char *storage, size_t size) {
  b->storage = size > 0 ? storage : NULL;
  b->data = b->storage ? b->storage : strbuf_empty;
  b->capacity = b->storage ? size : 0;
  b->length = 0;
  b->failed = false;
  if (b->capacity > 0)
    b->data[0] = '\0';
}

static bool strbuf_on_heap(const strbuf *b) {
  return b->capacity > 0 && b->data != b->storage;
}

void strbuf_release(strbuf *b) {
  if (strbuf_on_heap(b))
    free(b->data);
  b->data = strbuf_empty;
  b->storage = NULL;
  b->length = b->capacity = 0;
}

bool strbuf_grow(strbuf *b, size_t extra) {
  if (b->failed || extra > SIZE_MAX / 4 - b->length) {
    b->failed = true;
    return false;
  }
  size_t needed = b->length + extra + 1;
  size_t capacity = b->capacity > 0 ? b->capacity * 2 : 256;
  while (capacity < needed)
    capacity *= 2;
  bool on_heap = strbuf_on_heap(b);
  char *data = on_heap ? realloc(b->data, capacity) : malloc(capacity);
  if (data == NULL) {
    b->failed = true;
    return false;
  }
  if (!on_heap)
    memcpy(data, b->data, b->length + 1);
  b->data = data;
  b->capacity = capacity;
  return true;
}

char *strbuf_finish(strbuf *b) {
  char *out = NULL;
  if (!b->failed)
    out = strbuf_on_heap(b) ? b->data : strdup(b->data);
  if (out != NULL && out == b->data)
    b->capacity = 0; /* now the caller's */
  strbuf_release(b);
  return out;
}
