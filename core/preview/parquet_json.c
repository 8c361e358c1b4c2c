/*
 * parquet_json.c: a decoded Parquet footer (parquet.h) as the JSON of
 * docs/preview.md's parquet section: the schema tree, a summary of each
 * leaf column over every row group, the first row groups with their column
 * chunks, and key-value metadata. Statistic values are PLAIN-encoded bytes,
 * shown for people (numbers, dates and times, decimals, strings, else hex).
 * Every string taken from the file goes out escaped (text_escape).
 */
#include "parquet.h"
#include "preview.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Caps that keep a hostile footer from costing much output. */
#define ROW_GROUPS_SHOWN 10 /* row groups listed with their columns */
#define KEY_VALUES_SHOWN 32
#define VALUE_BYTES_SHOWN 256 /* of a key-value metadata value */
#define STAT_BYTES_SHOWN 64   /* of a byte-array statistic */

/* --------------------------------------------------------------- names */

/* names[value] of a table of count names, NULL for a gap or a value
 * outside the table (files from newer writers). */
static const char *table_name(const char *const *names, size_t count,
                              int64_t value) {
  return value >= 0 && (uint64_t)value < count ? names[value] : NULL;
}
#define NAME_OF(names, value)                                                  \
  table_name(names, sizeof(names) / sizeof(names)[0], value)

static const char *type_name(int32_t type) {
  static const char *const names[] = {[PARQUET_BOOLEAN] = "BOOLEAN",
                                      [PARQUET_INT32] = "INT32",
                                      [PARQUET_INT64] = "INT64",
                                      [PARQUET_INT96] = "INT96",
                                      [PARQUET_FLOAT] = "FLOAT",
                                      [PARQUET_DOUBLE] = "DOUBLE",
                                      [PARQUET_BYTE_ARRAY] = "BYTE_ARRAY",
                                      [PARQUET_FIXED_LEN_BYTE_ARRAY] =
                                          "FIXED_LEN_BYTE_ARRAY"};
  return NAME_OF(names, type);
}

/* FieldRepetitionType, CompressionCodec and Encoding: names only, in the
 * order of parquet.thrift. */
static const char *repetition_name(int32_t r) {
  static const char *const names[] = {"REQUIRED", "OPTIONAL", "REPEATED"};
  return NAME_OF(names, r);
}

static const char *converted_name(int32_t c) {
  static const char *const names[] = {
      [PARQUET_CONVERTED_UTF8] = "UTF8",
      [PARQUET_CONVERTED_MAP] = "MAP",
      [PARQUET_CONVERTED_MAP_KEY_VALUE] = "MAP_KEY_VALUE",
      [PARQUET_CONVERTED_LIST] = "LIST",
      [PARQUET_CONVERTED_ENUM] = "ENUM",
      [PARQUET_CONVERTED_DECIMAL] = "DECIMAL",
      [PARQUET_CONVERTED_DATE] = "DATE",
      [PARQUET_CONVERTED_TIME_MILLIS] = "TIME_MILLIS",
      [PARQUET_CONVERTED_TIME_MICROS] = "TIME_MICROS",
      [PARQUET_CONVERTED_TIMESTAMP_MILLIS] = "TIMESTAMP_MILLIS",
      [PARQUET_CONVERTED_TIMESTAMP_MICROS] = "TIMESTAMP_MICROS",
      [PARQUET_CONVERTED_UINT_8] = "UINT_8",
      [PARQUET_CONVERTED_UINT_16] = "UINT_16",
      [PARQUET_CONVERTED_UINT_32] = "UINT_32",
      [PARQUET_CONVERTED_UINT_64] = "UINT_64",
      [PARQUET_CONVERTED_INT_8] = "INT_8",
      [PARQUET_CONVERTED_INT_16] = "INT_16",
      [PARQUET_CONVERTED_INT_32] = "INT_32",
      [PARQUET_CONVERTED_INT_64] = "INT_64",
      [PARQUET_CONVERTED_JSON] = "JSON",
      [PARQUET_CONVERTED_BSON] = "BSON",
      [PARQUET_CONVERTED_INTERVAL] = "INTERVAL"};
  return NAME_OF(names, c);
}

static const char *logical_name(int kind) {
  static const char *const names[] = {[PARQUET_LOGICAL_STRING] = "STRING",
                                      [PARQUET_LOGICAL_MAP] = "MAP",
                                      [PARQUET_LOGICAL_LIST] = "LIST",
                                      [PARQUET_LOGICAL_ENUM] = "ENUM",
                                      [PARQUET_LOGICAL_DECIMAL] = "DECIMAL",
                                      [PARQUET_LOGICAL_DATE] = "DATE",
                                      [PARQUET_LOGICAL_TIME] = "TIME",
                                      [PARQUET_LOGICAL_TIMESTAMP] = "TIMESTAMP",
                                      [PARQUET_LOGICAL_INTEGER] = "INTEGER",
                                      [PARQUET_LOGICAL_UNKNOWN] = "UNKNOWN",
                                      [PARQUET_LOGICAL_JSON] = "JSON",
                                      [PARQUET_LOGICAL_BSON] = "BSON",
                                      [PARQUET_LOGICAL_UUID] = "UUID",
                                      [PARQUET_LOGICAL_FLOAT16] = "FLOAT16",
                                      [PARQUET_LOGICAL_VARIANT] = "VARIANT",
                                      [PARQUET_LOGICAL_GEOMETRY] = "GEOMETRY",
                                      [PARQUET_LOGICAL_GEOGRAPHY] =
                                          "GEOGRAPHY"};
  return NAME_OF(names, kind);
}

static const char *unit_name(int unit) {
  static const char *const names[] = {[PARQUET_UNIT_MILLIS] = "MILLIS",
                                      [PARQUET_UNIT_MICROS] = "MICROS",
                                      [PARQUET_UNIT_NANOS] = "NANOS"};
  return NAME_OF(names, unit);
}

static const char *codec_name(int32_t codec) {
  static const char *const names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP",
                                      "LZO",          "BROTLI", "LZ4",
                                      "ZSTD",         "LZ4_RAW"};
  return NAME_OF(names, codec);
}

static const char *encoding_name(int e) {
  static const char *const names[] = {"PLAIN",
                                      "GROUP_VAR_INT",
                                      "PLAIN_DICTIONARY",
                                      "RLE",
                                      "BIT_PACKED",
                                      "DELTA_BINARY_PACKED",
                                      "DELTA_LENGTH_BYTE_ARRAY",
                                      "DELTA_BYTE_ARRAY",
                                      "RLE_DICTIONARY",
                                      "BYTE_STREAM_SPLIT"};
  return NAME_OF(names, e);
}

/* A name from a table, or the number when the table has none. */
static json_t *enum_json(const char *name, int64_t value) {
  return name ? json_string(name) : json_integer(value);
}

/* Untrusted bytes from the file as a JSON string: valid UTF-8, control
 * characters escaped, at most max bytes. */
static json_t *slice_json(slice s, size_t max) {
  return preview_text_json(s.data, s.length, max);
}

static char *slice_text(slice s, size_t max) {
  return text_escape(s.data, s.length, max, TEXT_KEEP_TAB);
}

/* ----------------------------------------------------- statistic values */

/* What a leaf column's values are: enough to print and order them. */
typedef struct column_kind {
  int32_t type, type_length;
  int converted, logical, unit, scale;
  bool is_unsigned, is_decimal, is_string;
} column_kind;

/* A PLAIN FLOAT (n = 4) or DOUBLE (n = 8). */
static double load_real(const uint8_t *p, size_t n) {
  if (n == 4) {
    uint32_t bits = (uint32_t)parquet_load_le(p, 4);
    float f;
    memcpy(&f, &bits, 4);
    return f;
  }
  uint64_t bits = parquet_load_le(p, 8);
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
  return utf8_valid(s.data, s.length);
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
  case PARQUET_BOOLEAN:
    if (s.length == 1)
      return json_boolean(p[0] != 0);
    break;
  case PARQUET_INT32:
    if (s.length == 4) {
      int64_t v = k->is_unsigned ? (int64_t)(uint32_t)parquet_load_le(p, 4)
                                 : (int64_t)(int32_t)parquet_load_le(p, 4);
      if (k->logical == PARQUET_LOGICAL_DATE ||
          k->converted == PARQUET_CONVERTED_DATE)
        return time_json(v * 86400, 0, true);
      if (k->is_decimal)
        return decimal_json(v, k->scale);
      return json_integer(v);
    }
    break;
  case PARQUET_INT64:
    if (s.length == 8) {
      uint64_t u = parquet_load_le(p, 8);
      int64_t v = (int64_t)u;
      if (k->is_unsigned && v < 0) {
        char text[24];
        snprintf(text, sizeof text, "%" PRIu64, u);
        return json_string(text);
      }
      int unit = k->logical == PARQUET_LOGICAL_TIMESTAMP ? k->unit
                 : k->converted == PARQUET_CONVERTED_TIMESTAMP_MILLIS
                     ? PARQUET_UNIT_MILLIS
                 : k->converted == PARQUET_CONVERTED_TIMESTAMP_MICROS
                     ? PARQUET_UNIT_MICROS
                     : 0;
      if (unit >= PARQUET_UNIT_MILLIS && unit <= PARQUET_UNIT_NANOS) {
        int64_t per = unit == PARQUET_UNIT_MILLIS   ? 1000
                      : unit == PARQUET_UNIT_MICROS ? 1000000
                                                    : 1000000000;
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
  case PARQUET_INT96: /* legacy timestamps: nanoseconds of the day, then Julian
                         day */
    if (s.length == 12) {
      int64_t nanos = (int64_t)parquet_load_le(p, 8);
      int64_t day = (int64_t)(int32_t)parquet_load_le(p + 8, 4);
      if (nanos >= 0 && nanos < 86400LL * 1000000000) {
        json_t *t = time_json((day - 2440588) * 86400 + nanos / 1000000000,
                              nanos % 1000000000, false);
        if (t != NULL)
          return t;
      }
    }
    break;
  case PARQUET_FLOAT:
  case PARQUET_DOUBLE:
    if (s.length == (k->type == PARQUET_FLOAT ? 4u : 8u)) {
      double d = load_real(p, s.length);
      return isfinite(d) ? json_real(d)
                         : json_string(isnan(d) ? "NaN"
                                       : d > 0  ? "Infinity"
                                                : "-Infinity");
    }
    break;
  case PARQUET_BYTE_ARRAY:
  case PARQUET_FIXED_LEN_BYTE_ARRAY:
    if (k->is_decimal && s.length >= 1 && s.length <= 8) {
      /* big-endian two's complement */
      uint64_t u = p[0] & 0x80 ? UINT64_MAX : 0;
      for (size_t i = 0; i < s.length; i++)
        u = (u << 8) | p[i];
      return decimal_json((int64_t)u, k->scale);
    }
    /* Strings as text; other bytes as text only when they read as such. */
    if (k->is_string || (k->type == PARQUET_BYTE_ARRAY && printable(s)))
      return slice_json(s, STAT_BYTES_SHOWN);
    return hex_json(s);
  }
  return hex_json(s);
}

/* Orders two statistic values of a column: <0, 0, >0; 2 when they cannot
 * be ordered (INT96, NaN, sizes that do not fit the type). */
static int value_compare(const column_kind *k, slice a, slice b) {
  switch (k->type) {
  case PARQUET_BOOLEAN:
  case PARQUET_INT32:
  case PARQUET_INT64: {
    size_t n = k->type == PARQUET_BOOLEAN ? 1
               : k->type == PARQUET_INT32 ? 4
                                          : 8;
    if (a.length != n || b.length != n)
      return 2;
    uint64_t ua = parquet_load_le(a.data, n), ub = parquet_load_le(b.data, n);
    if (k->is_unsigned || k->type == PARQUET_BOOLEAN)
      return ua < ub ? -1 : ua > ub;
    int64_t sa = n == 4 ? (int32_t)ua : (int64_t)ua;
    int64_t sb = n == 4 ? (int32_t)ub : (int64_t)ub;
    return sa < sb ? -1 : sa > sb;
  }
  case PARQUET_FLOAT:
  case PARQUET_DOUBLE: {
    size_t n = k->type == PARQUET_FLOAT ? 4 : 8;
    if (a.length != n || b.length != n)
      return 2;
    double da = load_real(a.data, n), db = load_real(b.data, n);
    if (isnan(da) || isnan(db))
      return 2;
    return da < db ? -1 : da > db;
  }
  case PARQUET_BYTE_ARRAY:
  case PARQUET_FIXED_LEN_BYTE_ARRAY: {
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
  k.is_unsigned =
      (k.converted >= PARQUET_CONVERTED_UINT_8 &&
       k.converted <= PARQUET_CONVERTED_UINT_64) ||
      (k.logical == PARQUET_LOGICAL_INTEGER && !e->logical.is_signed);
  k.is_decimal = k.converted == PARQUET_CONVERTED_DECIMAL ||
                 k.logical == PARQUET_LOGICAL_DECIMAL;
  k.is_string = k.converted == PARQUET_CONVERTED_UTF8 ||
                k.converted == PARQUET_CONVERTED_ENUM ||
                k.converted == PARQUET_CONVERTED_JSON ||
                k.logical == PARQUET_LOGICAL_STRING ||
                k.logical == PARQUET_LOGICAL_ENUM ||
                k.logical == PARQUET_LOGICAL_JSON;
  return k;
}

/* Walks the flattened schema tree (depth first, num_children per group)
 * from index *at, adding schema entries to array and leaves to leaves. */
static bool walk_schema(thrift_reader *r, const file_meta *m, size_t *at,
                        int depth, const char *parent, json_t *array,
                        leaf *leaves, size_t *leaf_count) {
  if (*at >= m->schema_count)
    return thrift_fail(r, "schema tree larger than the schema");
  const schema_element *e = &m->schema[*at];
  (*at)++;
  char *name = slice_text(e->name, 256);
  char *path = name == NULL ? NULL
               : parent     ? str_printf("%s.%s", parent, name)
                            : strdup(name);
  if (path == NULL) {
    free(name);
    return thrift_fail(r, "out of memory");
  }
  json_t *entry =
      json_pack("{s:s, s:s, s:i}", "name", name, "path", path, "depth", depth);
  free(name);
  if (entry == NULL) {
    free(path);
    return thrift_fail(r, "out of memory");
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
  if (e->has_scale || e->logical.kind == PARQUET_LOGICAL_DECIMAL)
    json_object_set_new(
        entry, "scale",
        json_integer(e->has_scale ? e->scale : e->logical.scale));
  if (e->has_precision || e->logical.kind == PARQUET_LOGICAL_DECIMAL)
    json_object_set_new(
        entry, "precision",
        json_integer(e->has_precision ? e->precision : e->logical.precision));
  if (e->logical.kind == PARQUET_LOGICAL_TIME ||
      e->logical.kind == PARQUET_LOGICAL_TIMESTAMP) {
    const char *unit = unit_name(e->logical.unit);
    if (unit != NULL)
      json_object_set_new(entry, "unit", json_string(unit));
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
    ok =
        thrift_fail(r, "schema element with more children than the schema has");
  } else if (children > 0 && depth >= THRIFT_MAX_DEPTH) {
    ok = thrift_fail(r, "schema nested too deeply");
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

bool parquet_describe(thrift_reader *r, const file_meta *m, json_t *doc) {
  json_object_set_new(doc, "num_rows", json_integer(m->num_rows));
  json_object_set_new(doc, "version", json_integer(m->version));
  if (m->has_created_by)
    json_object_set_new(doc, "created_by", slice_json(m->created_by, 256));
  json_t *schema = json_array();
  json_object_set_new(doc, "schema", schema);
  leaf *leaves = calloc(m->schema_count, sizeof *leaves);
  if (leaves == NULL)
    return thrift_fail(r, "out of memory");
  size_t at = 0, leaf_count = 0;
  bool ok = walk_schema(r, m, &at, 0, NULL, schema, leaves, &leaf_count);
  if (ok && at != m->schema_count)
    ok = thrift_fail(r, "schema elements left outside the tree");
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
