/*
 * thrift.h: a reader of Thrift's compact protocol for untrusted bytes,
 * enough for a Parquet footer (parquet.c). Every length is checked against
 * the bytes left and nesting is bounded; the first problem found is kept,
 * with its offset, in the reader, and every function returns false (or
 * NULL) once the bytes do not decode. Its one input is a Parquet footer,
 * and its problems say so ("list longer than the footer").
 */
#ifndef PAIL_CORE_PREVIEW_THRIFT_H
#define PAIL_CORE_PREVIEW_THRIFT_H

#include "internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Nested structs, lists and maps a reader enters. */
#define THRIFT_MAX_DEPTH 32

/* Compact protocol type ids (the low nibble of a field header). */
enum {
  T_STOP = 0,
  T_TRUE = 1,
  T_FALSE = 2,
  T_BYTE = 3,
  T_I16 = 4,
  T_I32 = 5,
  T_I64 = 6,
  T_DOUBLE = 7,
  T_BINARY = 8,
  T_LIST = 9,
  T_SET = 10,
  T_MAP = 11,
  T_STRUCT = 12
};

/* Where a decode is in its bytes. Start it with p = start, end after the
 * last byte and depth at -1 for a top-level structure, the rest zero. */
typedef struct thrift_reader {
  const uint8_t *start, *p, *end;
  int depth;
  const char *problem; /* the first thing found wrong, static text */
  size_t problem_at;   /* its byte offset in the bytes */
  size_t chunks;       /* for parquet.c: column chunks decoded so far */
} thrift_reader;

/* Bytes inside the reader's input: valid as long as the input is. */
typedef struct slice {
  const uint8_t *data;
  size_t length;
} slice;

/* Records problem (static text) at the current offset unless a problem
 * was recorded already; always false, so that callers can return it. */
PAIL_HIDDEN bool thrift_fail(thrift_reader *r, const char *problem);

/* A binary (string) value into *out, pointing into the input. */
PAIL_HIDDEN bool thrift_read_binary(thrift_reader *r, slice *out);

/* A list (or set) header: element type and count. Every element takes at
 * least one byte, so a count beyond the bytes left is refused. */
PAIL_HIDDEN bool thrift_read_list_header(thrift_reader *r, uint8_t *type,
                                         uint64_t *count);

/* What a structure's reader does with one of its fields: reads the value
 * into target, or skips it. False when the input is broken. */
typedef bool thrift_field_reader(thrift_reader *r, void *target, int16_t id,
                                 uint8_t type);

/* The one loop every structure goes through: field by field to the stop
 * byte, each handed to field with target, nesting bounded. */
PAIL_HIDDEN bool thrift_read_struct(thrift_reader *r, void *target,
                                    thrift_field_reader *field);

/* Skips one value of type; booleans inside lists and maps take a byte. */
PAIL_HIDDEN bool thrift_skip(thrift_reader *r, uint8_t type);

/* Skips a field's value; a boolean field has none (its type is its value). */
PAIL_HIDDEN bool thrift_skip_field(thrift_reader *r, uint8_t type);

/* An integer field of any integer width into *out; *has (when not NULL)
 * set once it is read. A field of another type is a problem. */
PAIL_HIDDEN bool thrift_read_int_field(thrift_reader *r, uint8_t type,
                                       int64_t *out, bool *has);

/* The same for a 32-bit field: a value out of range is a problem. */
PAIL_HIDDEN bool thrift_read_i32_field(thrift_reader *r, uint8_t type,
                                       int32_t *out, bool *has);

/* A string field into *out (*has as above); a field of another type is
 * skipped. */
PAIL_HIDDEN bool thrift_read_binary_field(thrift_reader *r, uint8_t type,
                                          slice *out, bool *has);

/* A list field read into an array: the type its elements must have, how
 * to read and release one, how many a caller accepts, and what to say
 * when the list is not what it should be. */
typedef struct thrift_list_spec {
  uint8_t element; /* T_STRUCT, T_BINARY */
  size_t size;     /* of an element in the array */
  uint64_t max;
  bool (*read)(thrift_reader *r, void *element);
  void (*release)(void *element); /* frees what an element owns, or NULL */
  const char *wrong_type, *too_many;
} thrift_list_spec;

/* Reads a list into a new array of *count elements, which the caller
 * frees with thrift_free_list; NULL when the list does not decode. */
PAIL_HIDDEN void *thrift_read_list(thrift_reader *r, const thrift_list_spec *l,
                                   size_t *count);

/* Frees count elements of items read by thrift_read_list (items may be
 * NULL), each through l->release, then the array. */
PAIL_HIDDEN void thrift_free_list(const thrift_list_spec *l, void *items,
                                  size_t count);

#endif /* PAIL_CORE_PREVIEW_THRIFT_H */
