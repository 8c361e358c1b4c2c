/*
 * parquet.h: the structures of parquet.thrift that a preview shows, as
 * parquet.c decodes them from a footer and parquet_json.c renders them.
 * Every slice in them points into the footer's bytes.
 */
#ifndef PAIL_CORE_PREVIEW_PARQUET_H
#define PAIL_CORE_PREVIEW_PARQUET_H

#include "thrift.h"

#include <jansson.h>

/* The enums of parquet.thrift that the preview acts on, with its names.
 * Type: a column's physical type. */
enum {
  PARQUET_BOOLEAN = 0,
  PARQUET_INT32 = 1,
  PARQUET_INT64 = 2,
  PARQUET_INT96 = 3,
  PARQUET_FLOAT = 4,
  PARQUET_DOUBLE = 5,
  PARQUET_BYTE_ARRAY = 6,
  PARQUET_FIXED_LEN_BYTE_ARRAY = 7
};

/* ConvertedType: the logical type of files written before LogicalType. */
enum {
  PARQUET_CONVERTED_UTF8 = 0,
  PARQUET_CONVERTED_MAP = 1,
  PARQUET_CONVERTED_MAP_KEY_VALUE = 2,
  PARQUET_CONVERTED_LIST = 3,
  PARQUET_CONVERTED_ENUM = 4,
  PARQUET_CONVERTED_DECIMAL = 5,
  PARQUET_CONVERTED_DATE = 6,
  PARQUET_CONVERTED_TIME_MILLIS = 7,
  PARQUET_CONVERTED_TIME_MICROS = 8,
  PARQUET_CONVERTED_TIMESTAMP_MILLIS = 9,
  PARQUET_CONVERTED_TIMESTAMP_MICROS = 10,
  PARQUET_CONVERTED_UINT_8 = 11,
  PARQUET_CONVERTED_UINT_16 = 12,
  PARQUET_CONVERTED_UINT_32 = 13,
  PARQUET_CONVERTED_UINT_64 = 14,
  PARQUET_CONVERTED_INT_8 = 15,
  PARQUET_CONVERTED_INT_16 = 16,
  PARQUET_CONVERTED_INT_32 = 17,
  PARQUET_CONVERTED_INT_64 = 18,
  PARQUET_CONVERTED_JSON = 19,
  PARQUET_CONVERTED_BSON = 20,
  PARQUET_CONVERTED_INTERVAL = 21
};

/* LogicalType: a union, and these are the field ids of its members (9 was
 * INTERVAL, never released). */
enum {
  PARQUET_LOGICAL_STRING = 1,
  PARQUET_LOGICAL_MAP = 2,
  PARQUET_LOGICAL_LIST = 3,
  PARQUET_LOGICAL_ENUM = 4,
  PARQUET_LOGICAL_DECIMAL = 5,
  PARQUET_LOGICAL_DATE = 6,
  PARQUET_LOGICAL_TIME = 7,
  PARQUET_LOGICAL_TIMESTAMP = 8,
  PARQUET_LOGICAL_INTEGER = 10,
  PARQUET_LOGICAL_UNKNOWN = 11,
  PARQUET_LOGICAL_JSON = 12,
  PARQUET_LOGICAL_BSON = 13,
  PARQUET_LOGICAL_UUID = 14,
  PARQUET_LOGICAL_FLOAT16 = 15,
  PARQUET_LOGICAL_VARIANT = 16,
  PARQUET_LOGICAL_GEOMETRY = 17,
  PARQUET_LOGICAL_GEOGRAPHY = 18
};

/* TimeUnit: a union of empty structures; the field ids of its members. */
enum {
  PARQUET_UNIT_MILLIS = 1,
  PARQUET_UNIT_MICROS = 2,
  PARQUET_UNIT_NANOS = 3
};

typedef struct logical_type {
  int kind;                     /* a PARQUET_LOGICAL_*, 0 when absent */
  int32_t scale, precision;     /* DECIMAL */
  int unit;                     /* TIME, TIMESTAMP: a PARQUET_UNIT_*, or 0 */
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

/* Little-endian n bytes (n <= 8): the footer length and PLAIN values. */
static inline uint64_t parquet_load_le(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* Decodes the FileMetaData into *m (zeroed by the caller; r->depth at -1,
 * as it is not nested in anything). False with r's problem set when it
 * does not decode or lacks a schema, a row count or row groups; *m then
 * holds what was read, for parquet_file_meta_free. */
PAIL_HIDDEN bool parquet_read_file_meta(thrift_reader *r, file_meta *m);

/* Frees what parquet_read_file_meta allocated in *m. */
PAIL_HIDDEN void parquet_file_meta_free(file_meta *m);

/* Adds the fields of docs/preview.md's parquet section for m to doc. False
 * with r's problem set when the schema tree does not hold together (doc
 * then holds some fields) or memory runs out. */
PAIL_HIDDEN bool parquet_describe(thrift_reader *r, const file_meta *m,
                                  json_t *doc);

#endif /* PAIL_CORE_PREVIEW_PARQUET_H */
