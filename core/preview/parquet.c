/*
 * parquet.c: the footer of a Parquet file, decoded for `pail preview`.
 *
 * A Parquet file ends with the FileMetaData structure in Thrift's compact
 * protocol, its length (4 bytes, little-endian) and "PAR1". No Debian
 * package offers a Parquet reader for C, so the preview has its own compact
 * protocol reader (thrift.c), and this file reads the few structures of
 * parquet.thrift a preview shows (schema, row count, row groups, column
 * chunks with codec, encodings and statistics) into parquet.h's structs;
 * parquet_json.c renders them. The input is untrusted: counts are capped,
 * and anything malformed is PAIL_ERR_IO naming what was wrong and where.
 * Fuzzed by tests/fuzz/fuzz_parquet.c.
 */
#include "parquet.h"
#include "preview.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Caps that keep a hostile footer from costing much memory. */
#define MAX_SCHEMA_ELEMENTS 100000
#define MAX_COLUMN_CHUNKS (1u << 18) /* over all row groups */
#define MAX_PATH_PARTS 64

/* Field ids of the LogicalType members' structures (DecimalType, TimeType,
 * TimestampType, IntType) that a preview shows. */
enum {
  DECIMAL_SCALE = 1,
  DECIMAL_PRECISION = 2,
  TIME_IS_ADJUSTED_TO_UTC = 1, /* TimeType and TimestampType */
  TIME_UNIT = 2,
  INT_BIT_WIDTH = 1,
  INT_IS_SIGNED = 2
};

/* TimeUnit: a union of empty structures, the member is the unit. */
static bool time_unit_field(thrift_reader *r, void *unit, int16_t id,
                            uint8_t type) {
  if (type == T_STRUCT && id >= PARQUET_UNIT_MILLIS && id <= PARQUET_UNIT_NANOS)
    *(int *)unit = id;
  return thrift_skip_field(r, type);
}

/* The parameters a preview names of the LogicalType member t->kind:
 * DECIMAL, TIME, TIMESTAMP, INTEGER. */
static bool logical_param_field(thrift_reader *r, void *target, int16_t id,
                                uint8_t type) {
  logical_type *t = target;
  bool timed =
      t->kind == PARQUET_LOGICAL_TIME || t->kind == PARQUET_LOGICAL_TIMESTAMP;
  bool integer = t->kind == PARQUET_LOGICAL_INTEGER;
  if (t->kind == PARQUET_LOGICAL_DECIMAL &&
      (id == DECIMAL_SCALE || id == DECIMAL_PRECISION) && type == T_I32)
    return thrift_read_i32_field(
        r, type, id == DECIMAL_SCALE ? &t->scale : &t->precision, NULL);
  if (timed && id == TIME_UNIT && type == T_STRUCT)
    return thrift_read_struct(r, &t->unit, time_unit_field);
  if (integer && id == INT_BIT_WIDTH && type == T_BYTE)
    return thrift_read_i32_field(r, type, &t->bit_width, NULL);
  if (type == T_TRUE || type == T_FALSE) { /* a flag's value is its type */
    if (timed && id == TIME_IS_ADJUSTED_TO_UTC)
      t->adjusted_to_utc = type == T_TRUE;
    if (integer && id == INT_IS_SIGNED)
      t->is_signed = type == T_TRUE;
    return true;
  }
  return thrift_skip_field(r, type);
}

/* LogicalType: a union whose member (a structure) is the kind. */
static bool logical_type_field(thrift_reader *r, void *target, int16_t id,
                               uint8_t type) {
  logical_type *t = target;
  if (type != T_STRUCT)
    return thrift_skip_field(r, type);
  t->kind = id;
  return thrift_read_struct(r, t, logical_param_field);
}

static bool schema_field(thrift_reader *r, void *target, int16_t id,
                         uint8_t type) {
  schema_element *e = target;
  switch (id) {
  case 1:
    return thrift_read_i32_field(r, type, &e->type, &e->has_type);
  case 2:
    return thrift_read_i32_field(r, type, &e->type_length, &e->has_type_length);
  case 3:
    return thrift_read_i32_field(r, type, &e->repetition, &e->has_repetition);
  case 4:
    return type == T_BINARY
               ? thrift_read_binary_field(r, type, &e->name, &e->has_name)
               : thrift_fail(r, "field of the wrong type");
  case 5:
    return thrift_read_i32_field(r, type, &e->num_children,
                                 &e->has_num_children);
  case 6:
    return thrift_read_i32_field(r, type, &e->converted_type,
                                 &e->has_converted_type);
  case 7:
    return thrift_read_i32_field(r, type, &e->scale, &e->has_scale);
  case 8:
    return thrift_read_i32_field(r, type, &e->precision, &e->has_precision);
  case 9:
    return thrift_read_i32_field(r, type, &e->field_id, &e->has_field_id);
  case 10:
    return type == T_STRUCT
               ? thrift_read_struct(r, &e->logical, logical_type_field)
               : thrift_fail(r, "field of the wrong type");
  default:
    return thrift_skip_field(r, type);
  }
}

static bool read_schema_element(thrift_reader *r, void *element) {
  schema_element *e = element;
  return thrift_read_struct(r, e, schema_field) &&
         (e->has_name || thrift_fail(r, "schema element without a name"));
}

static bool statistics_field(thrift_reader *r, void *target, int16_t id,
                             uint8_t type) {
  statistics *s = target;
  if (id == 3)
    return thrift_read_int_field(r, type, &s->null_count, &s->has_null_count);
  if (id == 4)
    return thrift_read_int_field(r, type, &s->distinct_count,
                                 &s->has_distinct_count);
  if (type != T_BINARY || (id != 1 && id != 2 && id != 5 && id != 6))
    return thrift_skip_field(r, type);
  /* max (1), min (2), max_value (5), min_value (6): the new ones win. */
  bound *b = id == 1 || id == 5 ? &s->max : &s->min;
  bool is_new = id >= 5;
  slice value;
  if (!thrift_read_binary(r, &value))
    return false;
  if (is_new || !b->is_new)
    *b = (bound){.value = value, .present = true, .is_new = is_new};
  return true;
}

/* The encodings of a column chunk, as bits. */
static bool read_encodings(thrift_reader *r, uint64_t *bits) {
  uint8_t element;
  uint64_t count;
  if (!thrift_read_list_header(r, &element, &count))
    return false;
  for (uint64_t i = 0; i < count; i++) {
    int32_t e = 0;
    if (element != T_I32 ? !thrift_skip(r, element)
                         : !thrift_read_i32_field(r, element, &e, NULL))
      return false;
    if (element == T_I32 && e >= 0 && e < 64)
      *bits |= (uint64_t)1 << e;
  }
  return true;
}

static bool read_path_part(thrift_reader *r, void *element) {
  return thrift_read_binary(r, element);
}

static const thrift_list_spec path_list = {
    .element = T_BINARY,
    .size = sizeof(slice),
    .max = MAX_PATH_PARTS,
    .read = read_path_part,
    .wrong_type = "column path is not a list of strings",
    .too_many = "column path too deep"};

/* A column chunk's path; a later one replaces it. */
static bool read_path(thrift_reader *r, column_chunk *c) {
  free(c->path);
  c->path_parts = 0;
  return (c->path = thrift_read_list(r, &path_list, &c->path_parts)) != NULL;
}

static bool column_meta_field(thrift_reader *r, void *target, int16_t id,
                              uint8_t type) {
  column_chunk *c = target;
  switch (id) {
  case 1:
    return thrift_read_i32_field(r, type, &c->type, NULL);
  case 2:
    return type == T_LIST ? read_encodings(r, &c->encodings)
                          : thrift_skip_field(r, type);
  case 3:
    return type == T_LIST ? read_path(r, c) : thrift_skip_field(r, type);
  case 4:
    return thrift_read_i32_field(r, type, &c->codec, NULL);
  case 5:
    return thrift_read_int_field(r, type, &c->num_values, NULL);
  case 6:
    return thrift_read_int_field(r, type, &c->uncompressed, NULL);
  case 7:
    return thrift_read_int_field(r, type, &c->compressed, NULL);
  case 12:
    return type == T_STRUCT ? thrift_read_struct(r, &c->stats, statistics_field)
                            : thrift_skip_field(r, type);
  default:
    return thrift_skip_field(r, type);
  }
}

static bool column_chunk_field(thrift_reader *r, void *target, int16_t id,
                               uint8_t type) {
  column_chunk *c = target;
  if (id == 3 && type == T_STRUCT)
    return c->has_meta = thrift_read_struct(r, c, column_meta_field);
  if (id == 8 || id == 9) { /* crypto metadata, encrypted column metadata */
    c->encrypted = true;
    return thrift_skip(r, type);
  }
  return thrift_skip_field(r, type);
}

static bool read_column_chunk(thrift_reader *r, void *element) {
  column_chunk *c = element;
  if (++r->chunks > MAX_COLUMN_CHUNKS)
    return thrift_fail(r, "more column chunks than a preview reads");
  c->type = -1;
  c->codec = -1;
  return thrift_read_struct(r, c, column_chunk_field);
}

static void release_column_chunk(void *element) {
  free(((column_chunk *)element)->path);
}

static const thrift_list_spec column_list = {
    .element = T_STRUCT,
    .size = sizeof(column_chunk),
    .max = MAX_COLUMN_CHUNKS,
    .read = read_column_chunk,
    .release = release_column_chunk,
    .wrong_type = "row group columns are not structures",
    .too_many = "more column chunks than a preview reads"};

static bool row_group_field(thrift_reader *r, void *target, int16_t id,
                            uint8_t type) {
  row_group *g = target;
  if (id == 1 && type == T_LIST && g->columns == NULL)
    return (g->columns = thrift_read_list(r, &column_list, &g->column_count)) !=
           NULL;
  if (id == 2)
    return thrift_read_int_field(r, type, &g->total_byte_size, NULL);
  if (id == 3)
    return thrift_read_int_field(r, type, &g->num_rows, NULL);
  if (id == 6)
    return thrift_read_int_field(r, type, &g->total_compressed_size,
                                 &g->has_total_compressed_size);
  return thrift_skip_field(r, type);
}

static bool read_row_group(thrift_reader *r, void *element) {
  return thrift_read_struct(r, element, row_group_field);
}

static void release_row_group(void *element) {
  row_group *g = element;
  thrift_free_list(&column_list, g->columns, g->column_count);
}

static bool key_value_field(thrift_reader *r, void *target, int16_t id,
                            uint8_t type) {
  key_value *kv = target;
  if (id == 1)
    return thrift_read_binary_field(r, type, &kv->key, NULL);
  if (id == 2)
    return thrift_read_binary_field(r, type, &kv->value, &kv->has_value);
  return thrift_skip_field(r, type);
}

static bool read_key_value(thrift_reader *r, void *element) {
  return thrift_read_struct(r, element, key_value_field);
}

static const thrift_list_spec schema_list = {
    .element = T_STRUCT,
    .size = sizeof(schema_element),
    .max = MAX_SCHEMA_ELEMENTS,
    .read = read_schema_element,
    .wrong_type = "schema is not a list of structures",
    .too_many = "more schema elements than a preview reads"};

static const thrift_list_spec row_group_list = {
    .element = T_STRUCT,
    .size = sizeof(row_group),
    .max = MAX_COLUMN_CHUNKS,
    .read = read_row_group,
    .release = release_row_group,
    .wrong_type = "row groups are not a list of structures",
    .too_many = "more row groups than a preview reads"};

static const thrift_list_spec key_value_list = {
    .element = T_STRUCT,
    .size = sizeof(key_value),
    .max = UINT64_MAX,
    .read = read_key_value,
    .wrong_type = "key-value metadata is not a list of structures"};

/* Only the first schema, row group and key-value lists are read. */
static bool file_meta_field(thrift_reader *r, void *target, int16_t id,
                            uint8_t type) {
  file_meta *m = target;
  bool list = type == T_LIST;
  if (id == 1)
    return thrift_read_i32_field(r, type, &m->version, NULL);
  if (id == 2 && list && m->schema == NULL)
    return (m->schema = thrift_read_list(r, &schema_list, &m->schema_count)) !=
           NULL;
  if (id == 3)
    return thrift_read_int_field(r, type, &m->num_rows, &m->has_num_rows);
  if (id == 4 && list && m->row_groups == NULL)
    return (m->row_groups = thrift_read_list(r, &row_group_list,
                                             &m->row_group_count)) != NULL;
  if (id == 5 && list && m->key_values == NULL)
    return (m->key_values = thrift_read_list(r, &key_value_list,
                                             &m->key_value_count)) != NULL;
  if (id == 6)
    return thrift_read_binary_field(r, type, &m->created_by,
                                    &m->has_created_by);
  return thrift_skip_field(r, type);
}

bool parquet_read_file_meta(thrift_reader *r, file_meta *m) {
  if (!thrift_read_struct(r, m, file_meta_field))
    return false;
  if (m->schema_count == 0)
    return thrift_fail(r, "no schema");
  if (!m->has_num_rows)
    return thrift_fail(r, "no row count");
  if (m->row_groups == NULL)
    return thrift_fail(r, "no row groups");
  return true;
}

void parquet_file_meta_free(file_meta *m) {
  thrift_free_list(&row_group_list, m->row_groups, m->row_group_count);
  free(m->schema);
  free(m->key_values);
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
  uint32_t length = (uint32_t)parquet_load_le(tail, 4);
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
  thrift_reader r = {
      .start = footer, .p = footer, .end = footer + length, .depth = -1};
  file_meta m = {0};
  bool ok = parquet_read_file_meta(&r, &m) && parquet_describe(&r, &m, doc);
  parquet_file_meta_free(&m);
  if (ok)
    return PAIL_OK;
  if (r.problem != NULL && strcmp(r.problem, "out of memory") == 0)
    return error_no_memory(err);
  return pail_error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                        "broken Parquet footer: %s at byte %zu of %zu",
                        r.problem ? r.problem : "unreadable", r.problem_at,
                        length);
}
