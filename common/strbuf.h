/*
 * strbuf.h: the one growable string of pail, compiled into libpail and into
 * the plugins that need one (a plugin lists common/strbuf.c among its
 * sources, as backends/xml.c, since plugins do not link libpail).
 *
 * A strbuf starts in storage the caller gives (a stack array: the texts of
 * one signature then cost no allocation) or empty, and moves to the heap
 * when it outgrows it. Once growing fails, appends are dropped and `failed`
 * stays set, so callers check once at the end. data is always
 * NUL-terminated. A strbuf must not be copied: data may point into the
 * caller's storage.
 */
#ifndef PAIL_STRBUF_H
#define PAIL_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct strbuf {
  char *data;
  size_t length;
  size_t capacity; /* of data, the NUL included; 0: no storage yet */
  bool failed;
  char *storage; /* the caller's, never freed */
} strbuf;

/* Starts b empty in the size bytes of storage (NULL, 0: none, the first
 * append allocates). */
void strbuf_init(strbuf *b, char *storage, size_t size);
/* Frees what b allocated; b may then be initialised again. */
void strbuf_release(strbuf *b);
/* Grows b to hold extra more bytes and a NUL; false (and b failed) when it
 * cannot. strbuf_reserve is the one to call. */
bool strbuf_grow(strbuf *b, size_t extra);
/* The text as a string the caller frees (b's own allocation when it has
 * one, else a copy), "" when empty; NULL when b failed or the copy could
 * not be made. b is released either way. */
char *strbuf_finish(strbuf *b);

/* Makes room for extra more bytes and a NUL; false once b has failed. */
static inline bool strbuf_reserve(strbuf *b, size_t extra) {
  if (!b->failed && extra < b->capacity - b->length)
    return true;
  return strbuf_grow(b, extra);
}

/* Appends the n bytes at s (the hot path of signing: inline). */
static inline void strbuf_add(strbuf *b, const char *s, size_t n) {
  if (!strbuf_reserve(b, n))
    return;
  memcpy(b->data + b->length, s, n);
  b->length += n;
  b->data[b->length] = '\0';
}

/* Appends the string s; NULL appends nothing. */
static inline void strbuf_add_string(strbuf *b, const char *s) {
  if (s != NULL)
    strbuf_add(b, s, strlen(s));
}

static inline void strbuf_add_char(strbuf *b, char c) {
  strbuf_add(b, &c, 1);
}

/* Shortens b to length bytes (nothing when it is longer than b). */
static inline void strbuf_truncate(strbuf *b, size_t length) {
  if (!b->failed && length <= b->length && b->capacity > 0) {
    b->length = length;
    b->data[length] = '\0';
  }
}

#endif
