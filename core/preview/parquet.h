/*
 * parquet.h: the structures of parquet.thrift that a preview shows, as
 * parquet.c decodes them from a footer and parquet_json.c renders them.
 * Every slice in them points into the footer's bytes.
 */
#ifndef PAIL_CORE_PREVIEW_PARQUET_H
#define PAIL_CORE_PREVIEW_PARQUET_H

#include "thrift.h"

#include <jansson.h>

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
