/*
 * parquet.c: the footer of a Parquet file, decoded for `pail preview`.
 *
 * A Parquet file ends with the FileMetaData structure in Thrift's compact
 * protocol, its length (4 bytes, little-endian) and "PAR1". No Debian
 * package offers a Parquet reader for C, so this file holds a small compact
 * protocol reader and the few structures of parquet.thrift a preview shows
 * (schema, row count, row groups, column chunks with codec, encodings and
 * statistics). Every structure goes through one loop (read_struct), which
 * hands each field to that structure's field reader; lists go through
 * read_list. The input is untrusted: every length is checked against the
 * bytes left, nesting is bounded, counts are capped, and anything malformed
 * is PAIL_ERR_IO naming what was wrong and where. Fuzzed by
 * tests/fuzz/fuzz_parquet.c.
 */
#include "internal.h"
#include "preview.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Caps that keep a hostile footer from costing much memory or output. */
#define MAX_DEPTH 32 /* nested structs, lists, maps */
#define MAX_SCHEMA_ELEMENTS 100000
#define MAX_COLUMN_CHUNKS (1u << 18) /* over all row groups */
#define MAX_PATH_PARTS 64
#define ROW_GROUPS_SHOWN 10 /* row groups listed with their columns */
#define KEY_VALUES_SHOWN 32
#define VALUE_BYTES_SHOWN 256 /* of a key-value metadata value */
#define STAT_BYTES_SHOWN 64   /* of a byte-array statistic */

/* ------------------------------------------------ compact protocol reader */

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

typedef struct reader {
  const uint8_t *start, *p, *end;
  int depth;
  const char *problem; /* the first thing found wrong, static text */
  size_t problem_at;   /* its byte offset in the footer */
  size_t chunks;       /* column chunks decoded so far */
} reader;

typedef struct slice {
  const uint8_t *data;
  size_t length;
} slice;

static bool fail(reader *r, const char *problem) {
  if (r->problem == NULL) {
    r->problem = problem;
    r->problem_at = (size_t)(r->p - r->start);
  }
  return false;
}

static bool read_varint(reader *r, uint64_t *out) {
  uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (r->p >= r->end)
      return fail(r, "truncated integer");
    uint8_t b = *r->p++;
    if (shift == 63 && b > 1)
      return fail(r, "integer longer than 64 bits");
    value |= (uint64_t)(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = value;
      return true;
    }
  }
  return fail(r, "integer longer than 64 bits");
}

static bool read_i64(reader *r, int64_t *out) {
  uint64_t v;
  if (!read_varint(r, &v))
    return false;
  *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1); /* zigzag */
  return true;
}

static bool read_binary(reader *r, slice *out) {
  uint64_t length;
  if (!read_varint(r, &length))
    return false;
  if (length > (uint64_t)(r->end - r->p))
    return fail(r, "string longer than the footer");
  out->data = r->p;
  out->length = (size_t)length;
  r->p += length;
  return true;
}

/* A list (or set) header: element type and count. Every element takes at
 * least one byte, so a count beyond the bytes left is a lie. */
static bool read_list_header(reader *r, uint8_t *type, uint64_t *count) {
  if (r->p >= r->end)
    return fail(r, "truncated list header");
  uint8_t b = *r->p++;
  *type = b & 0x0f;
  *count = b >> 4;
  if (*count == 15 && !read_varint(r, count))
    return false;
  if (*count > (uint64_t)(r->end - r->p))
    return fail(r, "list longer than the footer");
  return true;
}

/* The next field of a struct: 1 with *id and *type set, 0 at its end. A
 * boolean field's value is its type (T_TRUE or T_FALSE). */
static int next_field(reader *r, int16_t *last_id, int16_t *id, uint8_t *type) {
  if (r->p >= r->end)
    return fail(r, "truncated structure"), -1;
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
      return fail(r, "field id out of range"), -1;
    *id = (int16_t)v;
  }
  if (*type == T_STOP || *type > T_STRUCT)
    return fail(r, "unknown field type"), -1;
  *last_id = *id;
  return 1;
}

static bool skip(reader *r, uint8_t type);

static bool enter(reader *r) {
  if (++r->depth > MAX_DEPTH)
    return fail(r, "structures nested too deeply");
  return true;
}

/* What a structure's reader does with one of its fields: reads the value
 * into target, or skips it. False when the footer is broken. */
typedef bool field_reader(reader *r, void *target, int16_t id, uint8_t type);

/* The one loop every structure goes through: field by field to the stop
 * byte, each handed to field, nesting bounded. */
static bool read_struct(reader *r, void *target, field_reader *field) {
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
static bool skip_field(reader *r, uint8_t type) {
  return type == T_TRUE || type == T_FALSE || skip(r, type);
}

static bool skip_any_field(reader *r, void *target, int16_t id, uint8_t type) {
  (void)target;
  (void)id;
  return skip_field(r, type);
}

/* Skips one value of type; booleans inside lists and maps take a byte. */
static bool skip(reader *r, uint8_t type) {
  uint64_t v, count;
  slice s;
  switch (type) {
  case T_TRUE:
  case T_FALSE:
  case T_BYTE:
    if (r->p >= r->end)
      return fail(r, "truncated value");
    r->p++;
    return true;
  case T_I16:
  case T_I32:
  case T_I64:
    return read_varint(r, &v);
  case T_DOUBLE:
    if (r->end - r->p < 8)
      return fail(r, "truncated value");
    r->p += 8;
    return true;
  case T_BINARY:
    return read_binary(r, &s);
  case T_LIST:
  case T_SET: {
    uint8_t element;
    if (!read_list_header(r, &element, &count) || !enter(r))
      return false;
    for (uint64_t i = 0; i < count; i++)
      if (!skip(r, element))
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
      return fail(r, "truncated map header");
    uint8_t types = *r->p++;
    if (count > (uint64_t)(r->end - r->p) / 2)
      return fail(r, "map longer than the footer");
    if (!enter(r))
      return false;
    for (uint64_t i = 0; i < count; i++)
      if (!skip(r, types >> 4) || !skip(r, types & 0x0f))
        return false;
    r->depth--;
    return true;
  }
  case T_STRUCT:
    return read_struct(r, NULL, skip_any_field);
  default:
    return fail(r, "unknown value type");
  }
}

/* An integer field of any integer width into *out; *has (when not NULL)
 * set once it is read. */
static bool read_int_field(reader *r, uint8_t type, int64_t *out, bool *has) {
  if (type == T_BYTE) {
    if (r->p >= r->end)
      return fail(r, "truncated value");
    *out = (int8_t)*r->p++;
  } else if (type != T_I16 && type != T_I32 && type != T_I64) {
    return fail(r, "field of the wrong type");
  } else if (!read_i64(r, out)) {
    return false;
  }
  if (has != NULL)
    *has = true;
  return true;
}

static bool read_i32_field(reader *r, uint8_t type, int32_t *out, bool *has) {
  int64_t v;
  if (!read_int_field(r, type, &v, NULL))
    return false;
  if (v < INT32_MIN || v > INT32_MAX)
    return fail(r, "32-bit integer out of range");
  *out = (int32_t)v;
  if (has != NULL)
    *has = true;
  return true;
}

/* A string field into *out (*has as above); a field of another type is
 * skipped. */
static bool read_binary_field(reader *r, uint8_t type, slice *out, bool *has) {
  if (type != T_BINARY)
    return skip_field(r, type);
  if (!read_binary(r, out))
    return false;
  if (has != NULL)
    *has = true;
  return true;
}

/* Allocates a list of count elements of size bytes. count was checked
 * against the bytes left, and each element is at least one byte. */
static void *list_alloc(reader *r, uint64_t count, size_t size) {
  void *p = calloc(count ? (size_t)count : 1, size);
  if (p == NULL)
    fail(r, "out of memory");
  return p;
}

/* A list field read into an array: the type its elements must have, how
 * to read and release one, how many a preview reads, and what to say when
 * the list is not what it should be. */
typedef struct list_spec {
  uint8_t element; /* T_STRUCT, T_BINARY */
  size_t size;     /* of an element in the array */
  uint64_t max;
  bool (*read)(reader *r, void *element);
  void (*release)(void *element); /* frees what an element owns, or NULL */
  const char *wrong_type, *too_many;
} list_spec;

static void free_list(const list_spec *l, void *items, size_t count) {
  for (size_t i = 0; items != NULL && l->release != NULL && i < count; i++)
    l->release((char *)items + i * l->size);
  free(items);
}

/* Reads a list into a new array of *count elements, which the caller
 * frees with free_list; NULL when the list does not decode. */
static void *read_list(reader *r, const list_spec *l, size_t *count) {
  uint8_t element;
  uint64_t n;
  if (!read_list_header(r, &element, &n))
    return NULL;
  if (element != l->element)
    return fail(r, l->wrong_type), NULL;
  if (n > l->max)
    return fail(r, l->too_many), NULL;
  char *items = list_alloc(r, n, l->size);
  for (uint64_t i = 0; items != NULL && i < n; i++)
    if (!l->read(r, items + i * l->size)) {
      free_list(l, items, (size_t)n); /* elements not read are zeroes */
      return NULL;
    }
  *count = (size_t)n;
  return items;
}

/* ------------------------------------------------------ parquet.thrift */

typedef struct logical_type {
  int kind;                     /* LogicalType union member id, 0 when absent */
  int32_t scale, precision;     /* DECIMAL */
  int unit;                     /* TIME, TIMESTAMP: 1 ms, 2 us, 3 ns */
  int adjusted_to_utc;          /* TIME, TIMESTAMP */
  int32_t bit_width, is_signed; /* INTEGER */
} logical_type;

typedef struct schema_element {
  slice name;
  int32_t type, type_length, repetition, num_children, converted_type;
  int32_t scale, precision, field_id;
  bool has_name, has_type, has_type_length, has_repetition, has_num_children;
  bool has_converted_type, has_scale, has_precision, has_field_id;
  logical_type logical;
} schema_element;

/* A statistic bound: min_value/max_value, else the deprecated min/max. */
typedef struct bound {
  slice value;
  bool present, is_new;
} bound;

typedef struct statistics {
  bound min, max;
  bool has_null_count, has_distinct_count;
  int64_t null_count, distinct_count;
} statistics;

typedef struct column_chunk {
  slice *path; /* path_parts strings */
  size_t path_parts;
  bool has_meta;
  int32_t type, codec;
  uint64_t encodings; /* bit e for Encoding e < 64 */
  int64_t num_values, uncompressed, compressed;
  statistics stats;
  bool encrypted;
} column_chunk;

typedef struct row_group {
  column_chunk *columns;
  size_t column_count;
  int64_t total_byte_size, num_rows, total_compressed_size;
  bool has_total_compressed_size;
} row_group;

typedef struct key_value {
  slice key, value;
  bool has_value;
} key_value;

typedef struct file_meta {
  int32_t version;
  schema_element *schema;
  size_t schema_count;
  int64_t num_rows;
  bool has_num_rows;
  row_group *row_groups;
  size_t row_group_count;
  key_value *key_values;
  size_t key_value_count;
  slice created_by;
  bool has_created_by;
} file_meta;

/* TimeUnit: a union of empty structures, MILLIS (1), MICROS, NANOS. */
static bool time_unit_field(reader *r, void *unit, int16_t id, uint8_t type) {
  if (type == T_STRUCT && id >= 1 && id <= 3)
    *(int *)unit = id;
  return skip_field(r, type);
}

/* The parameters a preview names of the LogicalType member t->kind:
 * DECIMAL (5), TIME (7), TIMESTAMP (8), INTEGER (10). */
static bool logical_param_field(reader *r, void *target, int16_t id,
                                uint8_t type) {
  logical_type *t = target;
  bool timed = t->kind == 7 || t->kind == 8;
  if (t->kind == 5 && (id == 1 || id == 2) && type == T_I32)
    return read_i32_field(r, type, id == 1 ? &t->scale : &t->precision, NULL);
  if (timed && id == 2 && type == T_STRUCT)
    return read_struct(r, &t->unit, time_unit_field);
  if (t->kind == 10 && id == 1 && type == T_BYTE)
    return read_i32_field(r, type, &t->bit_width, NULL);
  if (type == T_TRUE || type == T_FALSE) { /* a flag's value is its type */
    if (timed && id == 1)
      t->adjusted_to_utc = type == T_TRUE;
    if (t->kind == 10 && id == 2)
      t->is_signed = type == T_TRUE;
    return true;
  }
  return skip_field(r, type);
}

/* LogicalType: a union whose member (a structure) is the kind. */
static bool logical_type_field(reader *r, void *target, int16_t id,
                               uint8_t type) {
  logical_type *t = target;
  if (type != T_STRUCT)
    return skip_field(r, type);
  t->kind = id;
  return read_struct(r, t, logical_param_field);
}

static bool schema_field(reader *r, void *target, int16_t id, uint8_t type) {
  schema_element *e = target;
  switch (id) {
  case 1:
    return read_i32_field(r, type, &e->type, &e->has_type);
  case 2:
    return read_i32_field(r, type, &e->type_length, &e->has_type_length);
  case 3:
    return read_i32_field(r, type, &e->repetition, &e->has_repetition);
  case 4:
    return type == T_BINARY ? read_binary_field(r, type, &e->name, &e->has_name)
                            : fail(r, "field of the wrong type");
  case 5:
    return read_i32_field(r, type, &e->num_children, &e->has_num_children);
  case 6:
    return read_i32_field(r, type, &e->converted_type, &e->has_converted_type);
  case 7:
    return read_i32_field(r, type, &e->scale, &e->has_scale);
  case 8:
    return read_i32_field(r, type, &e->precision, &e->has_precision);
  case 9:
    return read_i32_field(r, type, &e->field_id, &e->has_field_id);
  case 10:
    return type == T_STRUCT ? read_struct(r, &e->logical, logical_type_field)
                            : fail(r, "field of the wrong type");
  default:
    return skip_field(r, type);
  }
}

static bool read_schema_element(reader *r, void *element) {
  schema_element *e = element;
  return read_struct(r, e, schema_field) &&
         (e->has_name || fail(r, "schema element without a name"));
}

static bool statistics_field(reader *r, void *target, int16_t id,
                             uint8_t type) {
  statistics *s = target;
  if (id == 3)
    return read_int_field(r, type, &s->null_count, &s->has_null_count);
  if (id == 4)
    return read_int_field(r, type, &s->distinct_count, &s->has_distinct_count);
  if (type != T_BINARY || (id != 1 && id != 2 && id != 5 && id != 6))
    return skip_field(r, type);
  /* max (1), min (2), max_value (5), min_value (6): the new ones win. */
  bound *b = id == 1 || id == 5 ? &s->max : &s->min;
  bool is_new = id >= 5;
  slice value;
  if (!read_binary(r, &value))
    return false;
  if (is_new || !b->is_new)
    *b = (bound){.value = value, .present = true, .is_new = is_new};
  return true;
}

/* The encodings of a column chunk, as bits. */
static bool read_encodings(reader *r, uint64_t *bits) {
  uint8_t element;
  uint64_t count;
  if (!read_list_header(r, &element, &count))
    return false;
  for (uint64_t i = 0; i < count; i++) {
    int32_t e = 0;
    if (element != T_I32 ? !skip(r, element)
                         : !read_i32_field(r, element, &e, NULL))
      return false;
    if (element == T_I32 && e >= 0 && e < 64)
      *bits |= (uint64_t)1 << e;
  }
  return true;
}

static bool read_path_part(reader *r, void *element) {
  return read_binary(r, element);
}

static const list_spec path_list = {.element = T_BINARY,
                                    .size = sizeof(slice),
                                    .max = MAX_PATH_PARTS,
                                    .read = read_path_part,
                                    .wrong_type =
                                        "column path is not a list of strings",
                                    .too_many = "column path too deep"};

/* A column chunk's path; a later one replaces it. */
static bool read_path(reader *r, column_chunk *c) {
  free(c->path);
  c->path_parts = 0;
  return (c->path = read_list(r, &path_list, &c->path_parts)) != NULL;
}

static bool column_meta_field(reader *r, void *target, int16_t id,
                              uint8_t type) {
  column_chunk *c = target;
  switch (id) {
  case 1:
    return read_i32_field(r, type, &c->type, NULL);
  case 2:
    return type == T_LIST ? read_encodings(r, &c->encodings)
                          : skip_field(r, type);
  case 3:
    return type == T_LIST ? read_path(r, c) : skip_field(r, type);
  case 4:
    return read_i32_field(r, type, &c->codec, NULL);
  case 5:
    return read_int_field(r, type, &c->num_values, NULL);
  case 6:
    return read_int_field(r, type, &c->uncompressed, NULL);
  case 7:
    return read_int_field(r, type, &c->compressed, NULL);
  case 12:
    return type == T_STRUCT ? read_struct(r, &c->stats, statistics_field)
                            : skip_field(r, type);
  default:
    return skip_field(r, type);
  }
}

static bool column_chunk_field(reader *r, void *target, int16_t id,
                               uint8_t type) {
  column_chunk *c = target;
  if (id == 3 && type == T_STRUCT)
    return c->has_meta = read_struct(r, c, column_meta_field);
  if (id == 8 || id == 9) { /* crypto metadata, encrypted column metadata */
    c->encrypted = true;
    return skip(r, type);
  }
  return skip_field(r, type);
}

static bool read_column_chunk(reader *r, void *element) {
  column_chunk *c = element;
  if (++r->chunks > MAX_COLUMN_CHUNKS)
    return fail(r, "more column chunks than a preview reads");
  c->type = -1;
  c->codec = -1;
  return read_struct(r, c, column_chunk_field);
}

static void release_column_chunk(void *element) {
  free(((column_chunk *)element)->path);
}

static const list_spec column_list = {
    .element = T_STRUCT,
    .size = sizeof(column_chunk),
    .max = MAX_COLUMN_CHUNKS,
    .read = read_column_chunk,
    .release = release_column_chunk,
    .wrong_type = "row group columns are not structures",
    .too_many = "more column chunks than a preview reads"};

static bool row_group_field(reader *r, void *target, int16_t id, uint8_t type) {
  row_group *g = target;
  if (id == 1 && type == T_LIST && g->columns == NULL)
    return (g->columns = read_list(r, &column_list, &g->column_count)) != NULL;
  if (id == 2)
    return read_int_field(r, type, &g->total_byte_size, NULL);
  if (id == 3)
    return read_int_field(r, type, &g->num_rows, NULL);
  if (id == 6)
    return read_int_field(r, type, &g->total_compressed_size,
                          &g->has_total_compressed_size);
  return skip_field(r, type);
}

static bool read_row_group(reader *r, void *element) {
  return read_struct(r, element, row_group_field);
}

static void release_row_group(void *element) {
  row_group *g = element;
  free_list(&column_list, g->columns, g->column_count);
}

static bool key_value_field(reader *r, void *target, int16_t id, uint8_t type) {
  key_value *kv = target;
  if (id == 1)
    return read_binary_field(r, type, &kv->key, NULL);
  if (id == 2)
    return read_binary_field(r, type, &kv->value, &kv->has_value);
  return skip_field(r, type);
}

static bool read_key_value(reader *r, void *element) {
  return read_struct(r, element, key_value_field);
}

static const list_spec schema_list = {
    .element = T_STRUCT,
    .size = sizeof(schema_element),
    .max = MAX_SCHEMA_ELEMENTS,
    .read = read_schema_element,
    .wrong_type = "schema is not a list of structures",
    .too_many = "more schema elements than a preview reads"};

static const list_spec row_group_list = {
    .element = T_STRUCT,
    .size = sizeof(row_group),
    .max = MAX_COLUMN_CHUNKS,
    .read = read_row_group,
    .release = release_row_group,
    .wrong_type = "row groups are not a list of structures",
    .too_many = "more row groups than a preview reads"};

static const list_spec key_value_list = {
    .element = T_STRUCT,
    .size = sizeof(key_value),
    .max = UINT64_MAX,
    .read = read_key_value,
    .wrong_type = "key-value metadata is not a list of structures"};

/* Only the first schema, row group and key-value lists are read. */
static bool file_meta_field(reader *r, void *target, int16_t id, uint8_t type) {
  file_meta *m = target;
  bool list = type == T_LIST;
  if (id == 1)
    return read_i32_field(r, type, &m->version, NULL);
  if (id == 2 && list && m->schema == NULL)
    return (m->schema = read_list(r, &schema_list, &m->schema_count)) != NULL;
  if (id == 3)
    return read_int_field(r, type, &m->num_rows, &m->has_num_rows);
  if (id == 4 && list && m->row_groups == NULL)
    return (m->row_groups =
                read_list(r, &row_group_list, &m->row_group_count)) != NULL;
  if (id == 5 && list && m->key_values == NULL)
    return (m->key_values =
                read_list(r, &key_value_list, &m->key_value_count)) != NULL;
  if (id == 6)
    return read_binary_field(r, type, &m->created_by, &m->has_created_by);
  return skip_field(r, type);
}

/* The FileMetaData; r->depth starts at -1, as it is not nested in anything. */
static bool read_file_meta(reader *r, file_meta *m) {
  if (!read_struct(r, m, file_meta_field))
    return false;
  if (m->schema_count == 0)
    return fail(r, "no schema");
  if (!m->has_num_rows)
    return fail(r, "no row count");
  if (m->row_groups == NULL)
    return fail(r, "no row groups");
  return true;
}

static void file_meta_free(file_meta *m) {
  free_list(&row_group_list, m->row_groups, m->row_group_count);
  free(m->schema);
  free(m->key_values);
}

/* --------------------------------------------------------------- names */

static const char *type_name(int32_t type) {
  static const char *names[] = {
      "BOOLEAN", "INT32",  "INT64",      "INT96",
      "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
  return type >= 0 && type < 8 ? names[type] : NULL;
}

static const char *repetition_name(int32_t r) {
  static const char *names[] = {"REQUIRED", "OPTIONAL", "REPEATED"};
  return r >= 0 && r < 3 ? names[r] : NULL;
}

static const char *converted_name(int32_t c) {
  static const char *names[] = {"UTF8",
                                "MAP",
                                "MAP_KEY_VALUE",
                                "LIST",
                                "ENUM",
                                "DECIMAL",
                                "DATE",
                                "TIME_MILLIS",
                                "TIME_MICROS",
                                "TIMESTAMP_MILLIS",
                                "TIMESTAMP_MICROS",
                                "UINT_8",
                                "UINT_16",
                                "UINT_32",
                                "UINT_64",
                                "INT_8",
                                "INT_16",
                                "INT_32",
                                "INT_64",
                                "JSON",
                                "BSON",
                                "INTERVAL"};
  return c >= 0 && c < 22 ? names[c] : NULL;
}

static const char *logical_name(int kind) {
  static const char *names[] = {
      NULL,   "STRING",    "MAP",     "LIST",     "ENUM",     "DECIMAL", "DATE",
      "TIME", "TIMESTAMP", NULL,      "INTEGER",  "UNKNOWN",  "JSON",    "BSON",
      "UUID", "FLOAT16",   "VARIANT", "GEOMETRY", "GEOGRAPHY"};
  return kind > 0 && kind < 19 ? names[kind] : NULL;
}

static const char *codec_name(int32_t codec) {
  static const char *names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
  return codec >= 0 && codec < 8 ? names[codec] : NULL;
}

static const char *encoding_name(int e) {
  static const char *names[] = {"PLAIN",
                                "GROUP_VAR_INT",
                                "PLAIN_DICTIONARY",
                                "RLE",
                                "BIT_PACKED",
                                "DELTA_BINARY_PACKED",
                                "DELTA_LENGTH_BYTE_ARRAY",
                                "DELTA_BYTE_ARRAY",
                                "RLE_DICTIONARY",
                                "BYTE_STREAM_SPLIT"};
  return e >= 0 && e < 10 ? names[e] : NULL;
}

/* A name from a table, or the number when the table has none. */
static json_t *enum_json(const char *name, int64_t value) {
  return name ? json_string(name) : json_integer(value);
}

/* Untrusted bytes from the file as a JSON string: valid UTF-8, control
 * characters escaped, at most max bytes. */
static json_t *slice_json(slice s, size_t max) {
  char *text = preview_clean_text(s.data, s.length, max, false);
  json_t *j = text ? json_string(text) : NULL;
  free(text);
  return j;
}

static char *slice_text(slice s, size_t max) {
  return preview_clean_text(s.data, s.length, max, false);
}

/* ----------------------------------------------------- statistic values */

/* What a leaf column's values are: enough to print and order them. */
typedef struct column_kind {
  int32_t type, type_length;
  int converted, logical, unit, scale;
  bool is_unsigned, is_decimal, is_string;
} column_kind;

static uint64_t load_le(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* A PLAIN FLOAT (n = 4) or DOUBLE (n = 8). */
static double load_real(const uint8_t *p, size_t n) {
  if (n == 4) {
    uint32_t bits = (uint32_t)load_le(p, 4);
    float f;
    memcpy(&f, &bits, 4);
    return f;
  }
  uint64_t bits = load_le(p, 8);
  double d;
  memcpy(&d, &bits, 8);
  return d;
}

static json_t *hex_json(slice s) {
  size_t n = s.length < 32 ? s.length : 32;
  char text[2 + 64 + 4];
  strcpy(text, "0x");
  crypto_hex_encode(s.data, n, text + 2);
  if (n < s.length)
    strcat(text, "...");
  return json_string(text);
}

/* seconds + nanoseconds since the epoch as RFC 3339 UTC. */
static json_t *time_json(int64_t seconds, int64_t nanos, bool date_only) {
  struct tm tm;
  time_t t = (time_t)seconds;
  if (seconds < -62135596800LL || seconds > 253402300799LL ||
      gmtime_r(&t, &tm) == NULL)
    return NULL;
  char text[48];
  if (date_only)
    strftime(text, sizeof text, "%Y-%m-%d", &tm);
  else if (nanos == 0)
    strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  else {
    size_t n = strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(text + n, sizeof text - n, ".%09" PRId64 "Z", nanos);
  }
  return json_string(text);
}

/* Whether bytes are UTF-8 text without control characters. */
static bool printable(slice s) {
  for (size_t i = 0; i < s.length; i++)
    if (s.data[i] < 0x20 || s.data[i] == 0x7F)
      return false;
  return preview_utf8_valid(s.data, s.length);
}

/* An unscaled decimal integer (two's complement) as text with scale. */
static json_t *decimal_json(int64_t unscaled, int scale) {
  if (scale <= 0 || scale > 18)
    return json_integer(unscaled);
  char digits[32];
  uint64_t magnitude =
      unscaled < 0 ? (uint64_t)0 - (uint64_t)unscaled : (uint64_t)unscaled;
  snprintf(digits, sizeof digits, "%0*" PRIu64, scale + 1, magnitude);
  size_t n = strlen(digits);
  char text[40];
  snprintf(text, sizeof text, "%s%.*s.%s", unscaled < 0 ? "-" : "",
           (int)(n - (size_t)scale), digits, digits + n - scale);
  return json_string(text);
}

/* A statistic value (PLAIN-encoded) as JSON for people: numbers, dates and
 * times, strings; hex when the bytes do not fit the type. */
static json_t *value_json(const column_kind *k, slice s) {
  const uint8_t *p = s.data;
  switch (k->type) {
  case 0:
    if (s.length == 1)
      return json_boolean(p[0] != 0);
    break;
  case 1:
    if (s.length == 4) {
      int64_t v = k->is_unsigned ? (int64_t)(uint32_t)load_le(p, 4)
                                 : (int64_t)(int32_t)load_le(p, 4);
      if (k->logical == 6 || k->converted == 6)
        return time_json(v * 86400, 0, true);
      if (k->is_decimal)
        return decimal_json(v, k->scale);
      return json_integer(v);
    }
    break;
  case 2:
    if (s.length == 8) {
      uint64_t u = load_le(p, 8);
      int64_t v = (int64_t)u;
      if (k->is_unsigned && v < 0) {
        char text[24];
        snprintf(text, sizeof text, "%" PRIu64, u);
        return json_string(text);
      }
      int unit = k->logical == 8      ? k->unit
                 : k->converted == 9  ? 1
                 : k->converted == 10 ? 2
                                      : 0;
      if (unit >= 1 && unit <= 3) {
        int64_t per = unit == 1 ? 1000 : unit == 2 ? 1000000 : 1000000000;
        int64_t sec = v / per, frac = v % per;
        if (frac < 0)
          sec--, frac += per;
        json_t *t = time_json(sec, frac * (1000000000 / per), false);
        if (t != NULL)
          return t;
      }
      if (k->is_decimal)
        return decimal_json(v, k->scale);
      return json_integer(v);
    }
    break;
  case 3: /* legacy timestamps: nanoseconds of the day, then Julian day */
    if (s.length == 12) {
      int64_t nanos = (int64_t)load_le(p, 8);
      int64_t day = (int64_t)(int32_t)load_le(p + 8, 4);
      if (nanos >= 0 && nanos < 86400LL * 1000000000) {
        json_t *t = time_json((day - 2440588) * 86400 + nanos / 1000000000,
                              nanos % 1000000000, false);
        if (t != NULL)
          return t;
      }
    }
    break;
  case 4:
  case 5:
    if (s.length == (k->type == 4 ? 4u : 8u)) {
      double d = load_real(p, s.length);
      return isfinite(d) ? json_real(d)
                         : json_string(isnan(d) ? "NaN"
                                       : d > 0  ? "Infinity"
                                                : "-Infinity");
    }
    break;
  case 6:
  case 7:
    if (k->is_decimal && s.length >= 1 && s.length <= 8) {
      /* big-endian two's complement */
      uint64_t u = p[0] & 0x80 ? UINT64_MAX : 0;
      for (size_t i = 0; i < s.length; i++)
        u = (u << 8) | p[i];
      return decimal_json((int64_t)u, k->scale);
    }
    /* Strings as text; other bytes as text only when they read as such. */
    if (k->is_string || (k->type == 6 && printable(s)))
      return slice_json(s, STAT_BYTES_SHOWN);
    return hex_json(s);
  }
  return hex_json(s);
}

/* Orders two statistic values of a column: <0, 0, >0; 2 when they cannot
 * be ordered (INT96, NaN, sizes that do not fit the type). */
static int value_compare(const column_kind *k, slice a, slice b) {
  switch (k->type) {
  case 0:
  case 1:
  case 2: {
    size_t n = k->type == 0 ? 1 : k->type == 1 ? 4 : 8;
    if (a.length != n || b.length != n)
      return 2;
    uint64_t ua = load_le(a.data, n), ub = load_le(b.data, n);
    if (k->is_unsigned || k->type == 0)
      return ua < ub ? -1 : ua > ub;
    int64_t sa = n == 4 ? (int32_t)ua : (int64_t)ua;
    int64_t sb = n == 4 ? (int32_t)ub : (int64_t)ub;
    return sa < sb ? -1 : sa > sb;
  }
  case 4:
  case 5: {
    size_t n = k->type == 4 ? 4 : 8;
    if (a.length != n || b.length != n)
      return 2;
    double da = load_real(a.data, n), db = load_real(b.data, n);
    if (isnan(da) || isnan(db))
      return 2;
    return da < db ? -1 : da > db;
  }
  case 6:
  case 7: {
    if (k->is_decimal)
      return 2; /* signed big-endian of any width: not worth it here */
    size_t n = a.length < b.length ? a.length : b.length;
    int c = n ? memcmp(a.data, b.data, n) : 0;
    if (c != 0)
      return c < 0 ? -1 : 1;
    return a.length < b.length ? -1 : a.length > b.length;
  }
  default:
    return 2;
  }
}

/* ------------------------------------------------------------- to JSON */

/* The leaf columns in schema order, with their dotted paths. */
typedef struct leaf {
  char *path;
  const schema_element *element;
  column_kind kind;
} leaf;

static column_kind kind_of(const schema_element *e) {
  column_kind k = {.type = e->has_type ? e->type : -1,
                   .type_length = e->type_length,
                   .converted = e->has_converted_type ? e->converted_type : -1,
                   .logical = e->logical.kind,
                   .unit = e->logical.unit,
                   .scale = e->has_scale ? e->scale : e->logical.scale};
  k.is_unsigned = (k.converted >= 11 && k.converted <= 14) ||
                  (k.logical == 10 && !e->logical.is_signed);
  k.is_decimal = k.converted == 5 || k.logical == 5;
  k.is_string = k.converted == 0 || k.converted == 4 || k.converted == 19 ||
                k.logical == 1 || k.logical == 4 || k.logical == 12;
  return k;
}

/* Walks the flattened schema tree (depth first, num_children per group)
 * from index *at, adding schema entries to array and leaves to leaves. */
static bool walk_schema(reader *r, const file_meta *m, size_t *at, int depth,
                        const char *parent, json_t *array, leaf *leaves,
                        size_t *leaf_count) {
  if (*at >= m->schema_count)
    return fail(r, "schema tree larger than the schema");
  const schema_element *e = &m->schema[*at];
  (*at)++;
  char *name = slice_text(e->name, 256);
  char *path = name == NULL ? NULL
               : parent     ? str_printf("%s.%s", parent, name)
                            : strdup(name);
  if (path == NULL) {
    free(name);
    return fail(r, "out of memory");
  }
  json_t *entry =
      json_pack("{s:s, s:s, s:i}", "name", name, "path", path, "depth", depth);
  free(name);
  if (entry == NULL) {
    free(path);
    return fail(r, "out of memory");
  }
  if (e->has_type)
    json_object_set_new(entry, "type", enum_json(type_name(e->type), e->type));
  if (e->has_type_length)
    json_object_set_new(entry, "type_length", json_integer(e->type_length));
  if (e->has_repetition)
    json_object_set_new(
        entry, "repetition",
        enum_json(repetition_name(e->repetition), e->repetition));
  if (e->has_converted_type)
    json_object_set_new(
        entry, "converted_type",
        enum_json(converted_name(e->converted_type), e->converted_type));
  if (e->logical.kind != 0)
    json_object_set_new(
        entry, "logical_type",
        enum_json(logical_name(e->logical.kind), e->logical.kind));
  if (e->has_scale || e->logical.kind == 5)
    json_object_set_new(
        entry, "scale",
        json_integer(e->has_scale ? e->scale : e->logical.scale));
  if (e->has_precision || e->logical.kind == 5)
    json_object_set_new(
        entry, "precision",
        json_integer(e->has_precision ? e->precision : e->logical.precision));
  if (e->logical.kind == 7 || e->logical.kind == 8) {
    static const char *units[] = {NULL, "MILLIS", "MICROS", "NANOS"};
    if (e->logical.unit >= 1 && e->logical.unit <= 3)
      json_object_set_new(entry, "unit", json_string(units[e->logical.unit]));
    json_object_set_new(entry, "adjusted_to_utc",
                        json_boolean(e->logical.adjusted_to_utc));
  }
  if (e->has_field_id)
    json_object_set_new(entry, "field_id", json_integer(e->field_id));
  int32_t children = e->has_num_children ? e->num_children : 0;
  if (e->has_num_children)
    json_object_set_new(entry, "num_children", json_integer(children));
  if (depth > 0)
    json_array_append_new(array, entry);
  else
    json_decref(entry); /* the root: its name is the schema's */
  bool ok = true;
  if (children < 0 || (size_t)children > m->schema_count - *at) {
    ok = fail(r, "schema element with more children than the schema has");
  } else if (children > 0 && depth >= MAX_DEPTH) {
    ok = fail(r, "schema nested too deeply");
  } else if (children == 0 && depth > 0) {
    leaves[*leaf_count].path = path;
    leaves[*leaf_count].element = e;
    leaves[*leaf_count].kind = kind_of(e);
    (*leaf_count)++;
    return true;
  }
  for (int32_t i = 0; ok && i < children; i++)
    ok = walk_schema(r, m, at, depth + 1, depth > 0 ? path : NULL, array,
                     leaves, leaf_count);
  free(path);
  return ok;
}

/* A column chunk's path, dotted. */
static char *chunk_path(const column_chunk *c) {
  size_t length = 1;
  for (size_t i = 0; i < c->path_parts; i++)
    length += c->path[i].length * 4 + 4;
  char *out = malloc(length);
  if (out == NULL)
    return NULL;
  size_t o = 0;
  for (size_t i = 0; i < c->path_parts; i++) {
    char *part = slice_text(c->path[i], c->path[i].length);
    if (part == NULL) {
      free(out);
      return NULL;
    }
    o += (size_t)sprintf(out + o, "%s%s", i ? "." : "", part);
    free(part);
  }
  out[o] = '\0';
  return out;
}

static json_t *encodings_json(uint64_t bits) {
  json_t *a = json_array();
  for (int e = 0; e < 64; e++)
    if (bits & ((uint64_t)1 << e))
      json_array_append_new(a, enum_json(encoding_name(e), e));
  return a;
}

static json_t *chunk_json(const column_chunk *c, const column_kind *k) {
  char *path = chunk_path(c);
  json_t *j = json_pack("{s:s?}", "path", path);
  free(path);
  if (j == NULL)
    return NULL;
  if (!c->has_meta) { /* encrypted, or a writer that left it out */
    json_object_set_new(j, c->encrypted ? "encrypted" : "no_metadata",
                        json_true());
    return j;
  }
  json_object_set_new(j, "type", enum_json(type_name(c->type), c->type));
  json_object_set_new(j, "codec", enum_json(codec_name(c->codec), c->codec));
  json_object_set_new(j, "encodings", encodings_json(c->encodings));
  json_object_set_new(j, "num_values", json_integer(c->num_values));
  json_object_set_new(j, "compressed_size", json_integer(c->compressed));
  json_object_set_new(j, "uncompressed_size", json_integer(c->uncompressed));
  const statistics *s = &c->stats;
  if (s->min.present || s->max.present || s->has_null_count ||
      s->has_distinct_count) {
    json_t *st = json_object();
    if (s->has_null_count)
      json_object_set_new(st, "null_count", json_integer(s->null_count));
    if (s->has_distinct_count)
      json_object_set_new(st, "distinct_count",
                          json_integer(s->distinct_count));
    if (s->min.present && k != NULL)
      json_object_set_new(st, "min", value_json(k, s->min.value));
    if (s->max.present && k != NULL)
      json_object_set_new(st, "max", value_json(k, s->max.value));
    json_object_set_new(j, "statistics", st);
  }
  return j;
}

/* One leaf column summed up over every row group: sizes, nulls, codecs,
 * encodings, and the smallest min and largest max when every row group
 * has them and they can be ordered. */
static json_t *column_summary(const file_meta *m, const leaf *l, size_t index) {
  json_t *j = json_pack("{s:s}", "path", l->path);
  if (j == NULL)
    return NULL;
  const schema_element *e = l->element;
  if (e->has_type)
    json_object_set_new(j, "type", enum_json(type_name(e->type), e->type));
  if (e->logical.kind != 0)
    json_object_set_new(
        j, "logical_type",
        enum_json(logical_name(e->logical.kind), e->logical.kind));
  else if (e->has_converted_type)
    json_object_set_new(
        j, "logical_type",
        enum_json(converted_name(e->converted_type), e->converted_type));
  uint64_t codecs = 0, encodings = 0;
  int64_t compressed = 0, uncompressed = 0, nulls = 0;
  bool nulls_known = m->row_group_count > 0, range_known = nulls_known;
  slice min = {0}, max = {0};
  for (size_t g = 0; g < m->row_group_count; g++) {
    const row_group *rg = &m->row_groups[g];
    if (index >= rg->column_count || !rg->columns[index].has_meta) {
      nulls_known = range_known = false;
      continue;
    }
    const column_chunk *c = &rg->columns[index];
    if (c->codec >= 0 && c->codec < 64)
      codecs |= (uint64_t)1 << c->codec;
    encodings |= c->encodings;
    compressed += c->compressed;
    uncompressed += c->uncompressed;
    if (c->stats.has_null_count)
      nulls += c->stats.null_count;
    else
      nulls_known = false;
    if (!c->stats.min.present || !c->stats.max.present) {
      range_known = false;
      continue;
    }
    if (g == 0 || min.data == NULL) {
      min = c->stats.min.value;
      max = c->stats.max.value;
      continue;
    }
    int a = value_compare(&l->kind, c->stats.min.value, min);
    int b = value_compare(&l->kind, c->stats.max.value, max);
    if (a == 2 || b == 2)
      range_known = false;
    if (a < 0)
      min = c->stats.min.value;
    if (b > 0 && b != 2)
      max = c->stats.max.value;
  }
  json_t *codec_list = json_array();
  for (int i = 0; i < 64; i++)
    if (codecs & ((uint64_t)1 << i))
      json_array_append_new(codec_list, enum_json(codec_name(i), i));
  json_object_set_new(j, "codecs", codec_list);
  json_object_set_new(j, "encodings", encodings_json(encodings));
  json_object_set_new(j, "compressed_size", json_integer(compressed));
  json_object_set_new(j, "uncompressed_size", json_integer(uncompressed));
  if (nulls_known)
    json_object_set_new(j, "null_count", json_integer(nulls));
  if (range_known && min.data != NULL) {
    json_object_set_new(j, "min", value_json(&l->kind, min));
    json_object_set_new(j, "max", value_json(&l->kind, max));
  }
  return j;
}

static bool describe(reader *r, const file_meta *m, json_t *doc) {
  json_object_set_new(doc, "num_rows", json_integer(m->num_rows));
  json_object_set_new(doc, "version", json_integer(m->version));
  if (m->has_created_by)
    json_object_set_new(doc, "created_by", slice_json(m->created_by, 256));
  json_t *schema = json_array();
  json_object_set_new(doc, "schema", schema);
  leaf *leaves = calloc(m->schema_count, sizeof *leaves);
  if (leaves == NULL)
    return fail(r, "out of memory");
  size_t at = 0, leaf_count = 0;
  bool ok = walk_schema(r, m, &at, 0, NULL, schema, leaves, &leaf_count);
  if (ok && at != m->schema_count)
    ok = fail(r, "schema elements left outside the tree");
  json_object_set_new(doc, "num_columns", json_integer((json_int_t)leaf_count));

  json_t *columns = json_array();
  json_object_set_new(doc, "columns", columns);
  for (size_t i = 0; ok && i < leaf_count; i++)
    json_array_append_new(columns, column_summary(m, &leaves[i], i));

  json_object_set_new(doc, "num_row_groups",
                      json_integer((json_int_t)m->row_group_count));
  json_t *groups = json_array();
  json_object_set_new(doc, "row_groups", groups);
  for (size_t g = 0; ok && g < m->row_group_count && g < ROW_GROUPS_SHOWN;
       g++) {
    const row_group *rg = &m->row_groups[g];
    json_t *cols = json_array();
    for (size_t c = 0; c < rg->column_count; c++)
      json_array_append_new(
          cols,
          chunk_json(&rg->columns[c], c < leaf_count ? &leaves[c].kind : NULL));
    json_t *jg = json_pack("{s:I, s:I, s:o}", "num_rows",
                           (json_int_t)rg->num_rows, "total_byte_size",
                           (json_int_t)rg->total_byte_size, "columns", cols);
    if (jg != NULL && rg->has_total_compressed_size)
      json_object_set_new(jg, "total_compressed_size",
                          json_integer(rg->total_compressed_size));
    json_array_append_new(groups, jg);
  }
  json_object_set_new(doc, "row_groups_truncated",
                      json_boolean(m->row_group_count > ROW_GROUPS_SHOWN));

  if (m->key_value_count > 0) {
    json_t *kvs = json_array();
    for (size_t i = 0; i < m->key_value_count && i < KEY_VALUES_SHOWN; i++) {
      const key_value *kv = &m->key_values[i];
      json_t *jkv = json_pack("{s:o}", "key", slice_json(kv->key, 256));
      if (jkv != NULL && kv->has_value)
        json_object_set_new(jkv, "value",
                            slice_json(kv->value, VALUE_BYTES_SHOWN));
      json_array_append_new(kvs, jkv);
    }
    json_object_set_new(doc, "key_value_metadata", kvs);
  }
  for (size_t i = 0; i < leaf_count; i++)
    free(leaves[i].path);
  free(leaves);
  return ok;
}

/* ------------------------------------------------------------- public */

pail_status parquet_footer_length(const uint8_t *tail, uint64_t file_size,
                                  uint32_t *footer_length, pail_error **err) {
  if (file_size < 12)
    return pail_error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                          "not a Parquet file: %llu bytes is too short",
                          (unsigned long long)file_size);
  if (memcmp(tail + 4, "PARE", 4) == 0)
    return pail_error_set(err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
                          "the Parquet footer is encrypted; pail cannot "
                          "preview encrypted files");
  if (memcmp(tail + 4, "PAR1", 4) != 0)
    return pail_error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                          "not a Parquet file: it does not end with PAR1 "
                          "(truncated or still being written?)");
  uint32_t length = (uint32_t)load_le(tail, 4);
  if (length == 0 || (uint64_t)length > file_size - 12)
    return pail_error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                          "broken Parquet file: its footer length %" PRIu32
                          " does not fit in %llu bytes",
                          length, (unsigned long long)file_size);
  if (length > PARQUET_FOOTER_MAX)
    return pail_error_set(err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
                          "the Parquet footer is %" PRIu32
                          " bytes; a preview reads at most %u",
                          length, (unsigned)PARQUET_FOOTER_MAX);
  *footer_length = length;
  return PAIL_OK;
}

pail_status parquet_footer_describe(const uint8_t *footer, size_t length,
                                    json_t *doc, pail_error **err) {
  reader r = {
      .start = footer, .p = footer, .end = footer + length, .depth = -1};
  file_meta m = {0};
  bool ok = read_file_meta(&r, &m) && describe(&r, &m, doc);
  file_meta_free(&m);
  if (ok)
    return PAIL_OK;
  if (r.problem != NULL && strcmp(r.problem, "out of memory") == 0)
    return error_no_memory(err);
  return pail_error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                        "broken Parquet footer: %s at byte %zu of %zu",
                        r.problem ? r.problem : "unreadable", r.problem_at,
                        length);
}
