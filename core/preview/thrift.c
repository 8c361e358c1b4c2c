/*
 * thrift.c: Thrift's compact protocol, read from untrusted bytes (the
 * contract is in thrift.h). Every structure goes through one loop
 * (thrift_read_struct), which hands each field to that structure's field
 * reader; lists go through thrift_read_list. Lengths are checked against
 * the bytes left, nesting is bounded by THRIFT_MAX_DEPTH.
 */
#include "thrift.h"

#include <stdlib.h>

bool thrift_fail(thrift_reader *r, const char *problem) {
  if (r->problem == NULL) {
    r->problem = problem;
    r->problem_at = (size_t)(r->p - r->start);
  }
  return false;
}

static bool read_varint(thrift_reader *r, uint64_t *out) {
  uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (r->p >= r->end)
      return thrift_fail(r, "truncated integer");
    uint8_t b = *r->p++;
    if (shift == 63 && b > 1)
      return thrift_fail(r, "integer longer than 64 bits");
    value |= (uint64_t)(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = value;
      return true;
    }
  }
  return thrift_fail(r, "integer longer than 64 bits");
}

static bool read_i64(thrift_reader *r, int64_t *out) {
  uint64_t v;
  if (!read_varint(r, &v))
    return false;
  *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1); /* zigzag */
  return true;
}

bool thrift_read_binary(thrift_reader *r, slice *out) {
  uint64_t length;
  if (!read_varint(r, &length))
    return false;
  if (length > (uint64_t)(r->end - r->p))
    return thrift_fail(r, "string longer than the footer");
  out->data = r->p;
  out->length = (size_t)length;
  r->p += length;
  return true;
}

/* A list (or set) header: element type and count. Every element takes at
 * least one byte, so a count beyond the bytes left is a lie. */
bool thrift_read_list_header(thrift_reader *r, uint8_t *type, uint64_t *count) {
  if (r->p >= r->end)
    return thrift_fail(r, "truncated list header");
  uint8_t b = *r->p++;
  *type = b & 0x0f;
  *count = b >> 4;
  if (*count == 15 && !read_varint(r, count))
    return false;
  if (*count > (uint64_t)(r->end - r->p))
    return thrift_fail(r, "list longer than the footer");
  return true;
}

/* The next field of a struct: 1 with *id and *type set, 0 at its end. A
 * boolean field's value is its type (T_TRUE or T_FALSE). */
static int next_field(thrift_reader *r, int16_t *last_id, int16_t *id,
                      uint8_t *type) {
  if (r->p >= r->end)
    return thrift_fail(r, "truncated structure"), -1;
  uint8_t b = *r->p++;
  if (b == T_STOP)
    return 0;
  *type = b & 0x0f;
  uint8_t delta = b >> 4;
  if (delta != 0) {
    *id = (int16_t)(*last_id + delta);
  } else {
    int64_t v;
    if (!read_i64(r, &v))
      return -1;
    if (v < INT16_MIN || v > INT16_MAX)
      return thrift_fail(r, "field id out of range"), -1;
    *id = (int16_t)v;
  }
  if (*type == T_STOP || *type > T_STRUCT)
    return thrift_fail(r, "unknown field type"), -1;
  *last_id = *id;
  return 1;
}

static bool enter(thrift_reader *r) {
  if (++r->depth > THRIFT_MAX_DEPTH)
    return thrift_fail(r, "structures nested too deeply");
  return true;
}

/* The one loop every structure goes through: field by field to the stop
 * byte, each handed to field, nesting bounded. */
bool thrift_read_struct(thrift_reader *r, void *target,
                        thrift_field_reader *field) {
  if (!enter(r))
    return false;
  int16_t last = 0, id;
  uint8_t type;
  int more;
  while ((more = next_field(r, &last, &id, &type)) == 1)
    if (!field(r, target, id, type))
      return false;
  r->depth--;
  return more == 0;
}

/* Skips a field's value; a boolean field has none (its type is its value). */
bool thrift_skip_field(thrift_reader *r, uint8_t type) {
  return type == T_TRUE || type == T_FALSE || thrift_skip(r, type);
}

static bool skip_any_field(thrift_reader *r, void *target, int16_t id,
                           uint8_t type) {
  (void)target;
  (void)id;
  return thrift_skip_field(r, type);
}

/* Skips one value of type; booleans inside lists and maps take a byte. */
bool thrift_skip(thrift_reader *r, uint8_t type) {
  uint64_t v, count;
  slice s;
  switch (type) {
  case T_TRUE:
  case T_FALSE:
  case T_BYTE:
    if (r->p >= r->end)
      return thrift_fail(r, "truncated value");
    r->p++;
    return true;
  case T_I16:
  case T_I32:
  case T_I64:
    return read_varint(r, &v);
  case T_DOUBLE:
    if (r->end - r->p < 8)
      return thrift_fail(r, "truncated value");
    r->p += 8;
    return true;
  case T_BINARY:
    return thrift_read_binary(r, &s);
  case T_LIST:
  case T_SET: {
    uint8_t element;
    if (!thrift_read_list_header(r, &element, &count) || !enter(r))
      return false;
    for (uint64_t i = 0; i < count; i++)
      if (!thrift_skip(r, element))
        return false;
    r->depth--;
    return true;
  }
  case T_MAP: {
    if (!read_varint(r, &count))
      return false;
    if (count == 0)
      return true;
    if (r->p >= r->end)
      return thrift_fail(r, "truncated map header");
    uint8_t types = *r->p++;
    if (count > (uint64_t)(r->end - r->p) / 2)
      return thrift_fail(r, "map longer than the footer");
    if (!enter(r))
      return false;
    for (uint64_t i = 0; i < count; i++)
      if (!thrift_skip(r, types >> 4) || !thrift_skip(r, types & 0x0f))
        return false;
    r->depth--;
    return true;
  }
  case T_STRUCT:
    return thrift_read_struct(r, NULL, skip_any_field);
  default:
    return thrift_fail(r, "unknown value type");
  }
}

/* An integer field of any integer width into *out; *has (when not NULL)
 * set once it is read. */
bool thrift_read_int_field(thrift_reader *r, uint8_t type, int64_t *out,
                           bool *has) {
  if (type == T_BYTE) {
    if (r->p >= r->end)
      return thrift_fail(r, "truncated value");
    *out = (int8_t)*r->p++;
  } else if (type != T_I16 && type != T_I32 && type != T_I64) {
    return thrift_fail(r, "field of the wrong type");
  } else if (!read_i64(r, out)) {
    return false;
  }
  if (has != NULL)
    *has = true;
  return true;
}

bool thrift_read_i32_field(thrift_reader *r, uint8_t type, int32_t *out,
                           bool *has) {
  int64_t v;
  if (!thrift_read_int_field(r, type, &v, NULL))
    return false;
  if (v < INT32_MIN || v > INT32_MAX)
    return thrift_fail(r, "32-bit integer out of range");
  *out = (int32_t)v;
  if (has != NULL)
    *has = true;
  return true;
}

/* A string field into *out (*has as above); a field of another type is
 * skipped. */
bool thrift_read_binary_field(thrift_reader *r, uint8_t type, slice *out,
                              bool *has) {
  if (type != T_BINARY)
    return thrift_skip_field(r, type);
  if (!thrift_read_binary(r, out))
    return false;
  if (has != NULL)
    *has = true;
  return true;
}

/* Allocates a list of count elements of size bytes. count was checked
 * against the bytes left, and each element is at least one byte. */
static void *list_alloc(thrift_reader *r, uint64_t count, size_t size) {
  void *p = calloc(count ? (size_t)count : 1, size);
  if (p == NULL)
    thrift_fail(r, "out of memory");
  return p;
}

void thrift_free_list(const thrift_list_spec *l, void *items, size_t count) {
  for (size_t i = 0; items != NULL && l->release != NULL && i < count; i++)
    l->release((char *)items + i * l->size);
  free(items);
}

/* Reads a list into a new array of *count elements, which the caller
 * frees with free_list; NULL when the list does not decode. */
void *thrift_read_list(thrift_reader *r, const thrift_list_spec *l,
                       size_t *count) {
  uint8_t element;
  uint64_t n;
  if (!thrift_read_list_header(r, &element, &n))
    return NULL;
  if (element != l->element)
    return thrift_fail(r, l->wrong_type), NULL;
  if (n > l->max)
    return thrift_fail(r, l->too_many), NULL;
  char *items = list_alloc(r, n, l->size);
  for (uint64_t i = 0; items != NULL && i < n; i++)
    if (!l->read(r, items + i * l->size)) {
      thrift_free_list(l, items, (size_t)n); /* elements not read are zeroes */
      return NULL;
    }
  *count = (size_t)n;
  return items;
}
