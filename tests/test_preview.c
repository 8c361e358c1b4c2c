/*
 * test_preview.c: pail_preview() over an in-process backend that records
 * every read it is asked for: the real Parquet files of tests/data
 * (schema and row counts as other readers report them), proof that only
 * ranged reads happen and how many, hostile and truncated footers, and the
 * text formats, images and binary content.
 */
#include "preview/preview.h"
#include "testutil.h"

#include <check.h>
#include <jansson.h>
#include <pail/backend.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PAIL_TEST_DATA
#define PAIL_TEST_DATA "tests/data"
#endif

/* ------------------------------------------------ the recording backend */

#define MAX_OBJECTS 8
#define MAX_READS 16

typedef struct object {
  char key[256];
  unsigned char *data;
  size_t size;
  const char *content_type;
} object;

typedef struct read_call {
  uint64_t offset, length;
} read_call;

static object objects[MAX_OBJECTS];
static size_t object_count;
static read_call reads[MAX_READS];
static size_t read_count;
static const pail_core_services *core;

static void objects_reset(void) {
  for (size_t i = 0; i < object_count; i++)
    free(objects[i].data);
  object_count = 0;
  read_count = 0;
}

static void object_put(const char *key, const void *data, size_t size) {
  ck_assert_uint_lt(object_count, MAX_OBJECTS);
  object *o = &objects[object_count++];
  snprintf(o->key, sizeof o->key, "%s", key);
  o->data = malloc(size ? size : 1);
  ck_assert_ptr_nonnull(o->data);
  if (size > 0)
    memcpy(o->data, data, size);
  o->size = size;
  o->content_type = pail_content_type_guess(key);
}

static pail_status rec_open(const pail_config *cfg, void **instance,
                            pail_error **err) {
  (void)cfg;
  (void)err;
  *instance = objects;
  return PAIL_OK;
}

static void rec_close(void *instance) {
  (void)instance;
}

typedef struct rec_stream {
  const object *o;
  size_t at, end;
} rec_stream;

static pail_status rec_read_open(void *instance, const char *key,
                                 const pail_read_options *options,
                                 void **stream, pail_object_info *info,
                                 pail_error **err) {
  (void)instance;
  ck_assert_uint_lt(read_count, MAX_READS);
  reads[read_count].offset = options->offset;
  reads[read_count].length = options->length;
  read_count++;
  for (size_t i = 0; i < object_count; i++) {
    const object *o = &objects[i];
    if (strcmp(o->key, key) != 0)
      continue;
    rec_stream *s = calloc(1, sizeof *s);
    s->o = o;
    s->at = options->offset < o->size ? (size_t)options->offset : o->size;
    uint64_t rest = o->size - s->at;
    s->end = s->at + (size_t)(options->length < rest ? options->length : rest);
    info->size = o->size;
    info->content_type = o->content_type ? strdup(o->content_type) : NULL;
    *stream = s;
    return PAIL_OK;
  }
  return core->error_set(err, PAIL_ERR_NOT_FOUND, 404, NULL, NULL,
                         "no object \"%s\"", key);
}

static pail_status rec_read_stream(void *stream, void *buffer, size_t capacity,
                                   size_t *got, pail_error **err) {
  (void)err;
  rec_stream *s = stream;
  size_t n = s->end - s->at < capacity ? s->end - s->at : capacity;
  memcpy(buffer, s->o->data + s->at, n);
  s->at += n;
  *got = n;
  return PAIL_OK;
}

static void rec_read_close(void *stream) {
  free(stream);
}

static const pail_backend_ops recorder_ops = {
    .abi_version = PAIL_BACKEND_ABI_VERSION,
    .struct_size = sizeof(pail_backend_ops),
    .name = "recorder",
    .version = "1",
    .capabilities = PAIL_CAP_RANGED_READ,
    .open = rec_open,
    .close = rec_close,
    .read_open = rec_read_open,
    .read_stream = rec_read_stream,
    .read_close = rec_read_close,
};

/* The same objects through a backend that cannot read ranges. */
static const pail_backend_ops streamer_ops = {
    .abi_version = PAIL_BACKEND_ABI_VERSION,
    .struct_size = sizeof(pail_backend_ops),
    .name = "streamer",
    .version = "1",
    .capabilities = 0,
    .open = rec_open,
    .close = rec_close,
    .read_open = rec_read_open,
    .read_stream = rec_read_stream,
    .read_close = rec_read_close,
};

static pail_workspace *ws;

static void setup(void) {
  core = pail_core_services_get();
  static bool registered; /* once per process (CK_FORK=no under valgrind) */
  if (!registered) {
    ck_assert_int_eq(pail_backend_register(&recorder_ops, NULL), PAIL_OK);
    ck_assert_int_eq(pail_backend_register(&streamer_ops, NULL), PAIL_OK);
  }
  registered = true;
  ck_assert_int_eq(
      pail_workspace_open_json(
          "{\"storage\": {\"type\": \"recorder\"},"
          " \"secondary_storage\": {\"plain\": {\"type\": \"streamer\"}},"
          " \"advanced_permissions\": ["
          "   {\"pattern\": \"secret/**\", \"allow\": \"list\"},"
          "   {\"pattern\": \"**\", \"allow\": \"read,list\"}]}",
          NULL, &ws, NULL),
      PAIL_OK);
}

static void teardown(void) {
  pail_workspace_close(ws);
  ws = NULL;
  objects_reset();
}

/* ------------------------------------------------------------- helpers */

static unsigned char *load_file(const char *name, size_t *size) {
  char *path = NULL;
  const char *dir = getenv("PAIL_TEST_DATA");
  ck_assert_int_ge(
      asprintf(&path, "%s/parquet/%s", dir ? dir : PAIL_TEST_DATA, name), 0);
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  free(path);
  unsigned char *data = malloc(1 << 20);
  *size = fread(data, 1, 1 << 20, f);
  fclose(f);
  return data;
}

/* Previews key with options (NULL: defaults) and returns the parsed
 * document, failing the test on an error. */
static json_t *preview_ok(const char *pointer, const pail_preview_options *o) {
  char *text = NULL;
  pail_error *err = NULL;
  pail_status status = pail_preview(ws, pointer, o, &text, &err);
  ck_assert_msg(status == PAIL_OK, "preview of %s: %s", pointer,
                err ? pail_error_message(err) : "?");
  json_error_t error;
  json_t *doc = json_loads(text, 0, &error);
  ck_assert_msg(doc != NULL, "not JSON: %s", text);
  free(text);
  return doc;
}

/* Previews and expects a failure of category; returns its message (caller
 * frees). */
static char *preview_fails(const char *pointer, pail_status category) {
  char *text = NULL;
  pail_error *err = NULL;
  pail_status status = pail_preview(ws, pointer, NULL, &text, &err);
  ck_assert_int_eq(status, category);
  ck_assert_ptr_null(text);
  ck_assert_ptr_nonnull(err);
  char *message = strdup(pail_error_message(err));
  pail_error_free(err);
  return message;
}

static const char *str(json_t *doc, const char *field) {
  const char *s = json_string_value(json_object_get(doc, field));
  ck_assert_msg(s != NULL, "no string %s", field);
  return s;
}

static json_int_t num(json_t *doc, const char *field) {
  json_t *v = json_object_get(doc, field);
  ck_assert_msg(json_is_integer(v), "no integer %s", field);
  return json_integer_value(v);
}

static bool flag(json_t *doc, const char *field) {
  json_t *v = json_object_get(doc, field);
  ck_assert_msg(json_is_boolean(v), "no boolean %s", field);
  return json_is_true(v);
}

/* The length of an array field. */
static size_t count_of(json_t *doc, const char *field) {
  json_t *v = json_object_get(doc, field);
  ck_assert_msg(json_is_array(v), "no array %s", field);
  return json_array_size(v);
}

static void assert_only_ranged_reads(void) {
  for (size_t i = 0; i < read_count; i++)
    ck_assert_msg(reads[i].length != PAIL_READ_TO_END,
                  "read %zu asked for the whole object", i);
}

/* --------------------------------------------------- real Parquet files */

/* Previews a file of tests/data, checking what every Parquet preview
 * says (format, size, ranged reads only) and its row and column counts. */
static json_t *preview_data_file(const char *name, json_int_t rows,
                                 json_int_t columns) {
  size_t size;
  unsigned char *data = load_file(name, &size);
  char key[128];
  snprintf(key, sizeof key, "data/%s", name);
  object_put(key, data, size);
  free(data);
  json_t *doc = preview_ok(key, NULL);
  ck_assert_str_eq(str(doc, "format"), "parquet");
  ck_assert_int_eq(num(doc, "size"), (json_int_t)size);
  assert_only_ranged_reads();
  ck_assert_int_eq(num(doc, "num_rows"), rows);
  ck_assert_int_eq(num(doc, "num_columns"), columns);
  return doc;
}

/* The summary of leaf column i. */
static json_t *column(json_t *doc, size_t i) {
  json_t *c = json_array_get(json_object_get(doc, "columns"), i);
  ck_assert_msg(c != NULL, "no column %zu", i);
  return c;
}

static const char *column_path(json_t *doc, size_t i) {
  return str(column(doc, i), "path");
}

/* tests/data/SOURCES.md: 8 rows and these 11 columns. */
START_TEST(parquet_alltypes_plain) {
  static const char *names[] = {
      "id",           "bool_col",     "tinyint_col",
      "smallint_col", "int_col",      "bigint_col",
      "float_col",    "double_col",   "date_string_col",
      "string_col",   "timestamp_col"};
  json_t *doc = preview_data_file("alltypes_plain.parquet", 8, 11);
  ck_assert_int_eq(num(doc, "num_row_groups"), 1);
  json_t *schema = json_object_get(doc, "schema");
  ck_assert_uint_eq(json_array_size(schema), 11);
  for (size_t i = 0; i < 11; i++) {
    ck_assert_str_eq(column_path(doc, i), names[i]);
    ck_assert_str_eq(str(json_array_get(schema, i), "name"), names[i]);
  }
  ck_assert_str_eq(str(json_array_get(schema, 0), "type"), "INT32");
  ck_assert_str_eq(str(json_array_get(schema, 10), "type"), "INT96");
  json_t *group = json_array_get(json_object_get(doc, "row_groups"), 0);
  ck_assert_int_eq(num(group, "num_rows"), 8);
  ck_assert_uint_eq(count_of(group, "columns"), 11);
  json_t *id = json_array_get(json_object_get(group, "columns"), 0);
  ck_assert_str_eq(str(id, "codec"), "UNCOMPRESSED");
  ck_assert_int_eq(num(id, "num_values"), 8);
  ck_assert_contains(str(doc, "created_by"), "impala");
  json_decref(doc);
}
END_TEST

/* Other readers' test suites: 2 rows (ids 6 and 7), 11 columns, Snappy. */
START_TEST(parquet_alltypes_plain_snappy) {
  json_t *doc = preview_data_file("alltypes_plain.snappy.parquet", 2, 11);
  ck_assert_str_eq(json_string_value(json_array_get(
                       json_object_get(column(doc, 0), "codecs"), 0)),
                   "SNAPPY");
  json_decref(doc);
}
END_TEST

/* 12 rows of one binary column "foo"; its statistics are bytes, not text. */
START_TEST(parquet_binary) {
  json_t *doc = preview_data_file("binary.parquet", 12, 1);
  ck_assert_str_eq(column_path(doc, 0), "foo");
  json_t *foo = column(doc, 0);
  ck_assert_str_eq(str(foo, "type"), "BYTE_ARRAY");
  ck_assert_str_eq(str(foo, "min"), "0x00");
  ck_assert_str_eq(str(foo, "max"), "0x0b");
  ck_assert_int_eq(num(foo, "null_count"), 0);
  json_decref(doc);
}
END_TEST

/* parquet-cpp's dump of this file: 3 rows, one row group, two columns,
 * a.list.element.list.element.list.element (BYTE_ARRAY, UTF8) and b
 * (INT32), written by parquet-mr 1.8.2. */
START_TEST(parquet_nested_lists) {
  json_t *doc = preview_data_file("nested_lists.snappy.parquet", 3, 2);
  ck_assert_int_eq(num(doc, "num_row_groups"), 1);
  ck_assert_str_eq(column_path(doc, 0),
                   "a.list.element.list.element.list.element");
  ck_assert_str_eq(column_path(doc, 1), "b");
  ck_assert_str_eq(str(column(doc, 0), "type"), "BYTE_ARRAY");
  ck_assert_str_eq(str(column(doc, 0), "logical_type"), "UTF8");
  ck_assert_str_eq(str(column(doc, 1), "type"), "INT32");
  ck_assert_str_eq(str(doc, "created_by"),
                   "parquet-mr version 1.8.2 (build "
                   "c6522788629e590a53eb79874b95f6c3ff11f16c)");
  /* The tree: a (LIST) > list > element (LIST) > ... seven elements. */
  json_t *schema = json_object_get(doc, "schema");
  ck_assert_uint_eq(json_array_size(schema), 8);
  ck_assert_str_eq(str(json_array_get(schema, 0), "converted_type"), "LIST");
  ck_assert_int_eq(num(json_array_get(schema, 6), "depth"), 7);
  json_decref(doc);
}
END_TEST

/* Other readers: 3 rows; two list columns. */
START_TEST(parquet_list_columns) {
  json_t *doc = preview_data_file("list_columns.parquet", 3, 2);
  json_decref(doc);
}
END_TEST

/* 8 rows whose b_struct.b_c_int is null in every row. */
START_TEST(parquet_nulls) {
  json_t *doc = preview_data_file("nulls.snappy.parquet", 8, 1);
  ck_assert_str_eq(column_path(doc, 0), "b_struct.b_c_int");
  ck_assert_int_eq(num(column(doc, 0), "null_count"), 8);
  json_decref(doc);
}
END_TEST

/* The malformed one's damage is in a dictionary page, which a preview
 * never reads: its footer says 25 rows of 4 columns, nation_key first. */
START_TEST(parquet_malformed_dictionary) {
  json_t *doc = preview_data_file("nation.dict-malformed.parquet", 25, 4);
  ck_assert_str_eq(column_path(doc, 0), "nation_key");
  json_decref(doc);
}
END_TEST

/* ------------------------------------------------- only ranged reads */

/* A large Parquet file: the real footer of alltypes_plain after 8 MiB. */
static unsigned char *large_parquet(size_t *size, size_t padding) {
  size_t real_size;
  unsigned char *real = load_file("alltypes_plain.parquet", &real_size);
  uint32_t footer =
      (uint32_t)real[real_size - 8] | (uint32_t)real[real_size - 7] << 8 |
      (uint32_t)real[real_size - 6] << 16 | (uint32_t)real[real_size - 5] << 24;
  *size = 4 + padding + footer + 8;
  unsigned char *data = calloc(1, *size);
  memcpy(data, "PAR1", 4);
  memcpy(data + 4 + padding, real + real_size - 8 - footer, footer + 8);
  free(real);
  return data;
}

START_TEST(parquet_reads_head_and_tail_only) {
  size_t size;
  unsigned char *data = large_parquet(&size, 8u << 20);
  object_put("big.parquet", data, size);
  free(data);
  json_t *doc = preview_ok("big.parquet", NULL);
  ck_assert_str_eq(str(doc, "format"), "parquet");
  ck_assert_int_eq(num(doc, "num_rows"), 8);
  /* The magic, then the last 64 KiB: two requests, 64 KiB + 4 bytes. */
  ck_assert_uint_eq(read_count, 2);
  ck_assert_uint_eq(reads[0].offset, 0);
  ck_assert_uint_eq(reads[0].length, 4);
  ck_assert_uint_eq(reads[1].offset, size - PARQUET_TAIL_GUESS);
  ck_assert_uint_eq(reads[1].length, PARQUET_TAIL_GUESS);
  ck_assert_int_eq(num(doc, "bytes_read"), 4 + PARQUET_TAIL_GUESS);
  json_decref(doc);
}
END_TEST

/* A name that does not say Parquet: the head is read (max_bytes), then the
 * tail; still never the whole object. */
START_TEST(parquet_unnamed_reads_ranges) {
  size_t size;
  unsigned char *data = large_parquet(&size, 1u << 20);
  object_put("export.bin", data, size);
  free(data);
  pail_preview_options o = PAIL_PREVIEW_OPTIONS_INIT;
  o.max_bytes = 1024;
  json_t *doc = preview_ok("export.bin", &o);
  ck_assert_str_eq(str(doc, "format"), "parquet");
  ck_assert_uint_eq(read_count, 2);
  ck_assert_uint_eq(reads[0].length, 1024);
  assert_only_ranged_reads();
  ck_assert_int_le(num(doc, "bytes_read"), 1024 + PARQUET_TAIL_GUESS);
  json_decref(doc);
}
END_TEST

/* A compact protocol writer, just enough for hand-made footers. */
typedef struct buf {
  unsigned char data[1 << 18];
  size_t n;
} buf;

static void put_byte(buf *b, unsigned v) {
  ck_assert_uint_lt(b->n, sizeof b->data);
  b->data[b->n++] = (unsigned char)v;
}
static void put_varint(buf *b, uint64_t v) {
  while (v >= 0x80) {
    put_byte(b, (unsigned)(v & 0x7f) | 0x80);
    v >>= 7;
  }
  put_byte(b, (unsigned)v);
}
static void put_int(buf *b, int64_t v) { /* zigzag */
  put_varint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}
static void put_string(buf *b, const char *s, size_t n) {
  put_varint(b, n);
  for (size_t i = 0; i < n; i++)
    put_byte(b, (unsigned char)s[i]);
}
/* A field: its header (id delta << 4 | type), then its value. */
static void put_int_field(buf *b, unsigned header, int64_t v) {
  put_byte(b, header);
  put_int(b, v);
}
static void put_string_field(buf *b, unsigned header, const char *s) {
  put_byte(b, header);
  put_string(b, s, strlen(s));
}
/* A SchemaElement with a name and children (the root, or a group). */
static void put_group(buf *b, const char *name, int children) {
  put_string_field(b, 0x48, name);  /* 4 name */
  put_int_field(b, 0x15, children); /* 5 num_children */
  put_byte(b, 0x00);
}
/* FileMetaData's fields after the schema: num_rows, no row groups. */
static void put_rows_no_groups(buf *b, int64_t rows) {
  put_int_field(b, 0x16, rows); /* 3: i64 num_rows */
  put_byte(b, 0x19);            /* 4: list row_groups, empty */
  put_byte(b, 0x0c);
}

/* FileMetaData: version 1, schema root + one INT64 leaf "x", num_rows,
 * no row groups, and one key-value pair whose value has value_size bytes. */
static void footer_with_metadata(buf *b, size_t value_size) {
  put_int_field(b, 0x15, 1);      /* 1: i32 version */
  put_byte(b, 0x19);              /* 2: list schema */
  put_byte(b, 0x2c);              /* 2 structs */
  put_group(b, "schema", 1);      /* the root */
  put_int_field(b, 0x15, 2);      /* leaf: 1 type INT64 */
  put_int_field(b, 0x25, 0);      /* 3 repetition REQUIRED */
  put_string_field(b, 0x18, "x"); /* 4 name */
  put_byte(b, 0x00);
  put_rows_no_groups(b, 1234567);
  put_byte(b, 0x19); /* 5: list key_value_metadata */
  put_byte(b, 0x1c);
  put_string_field(b, 0x18, "k"); /* key */
  put_byte(b, 0x18);              /* value */
  put_varint(b, value_size);
  for (size_t i = 0; i < value_size; i++)
    put_byte(b, 'v');
  put_byte(b, 0x00);
  put_byte(b, 0x00);
}

static void put_file(const char *key, const buf *footer, size_t padding) {
  size_t size = 4 + padding + footer->n + 8;
  unsigned char *data = calloc(1, size);
  memcpy(data, "PAR1", 4);
  memcpy(data + 4 + padding, footer->data, footer->n);
  unsigned char *tail = data + 4 + padding + footer->n;
  for (int i = 0; i < 4; i++)
    tail[i] = (unsigned char)(footer->n >> (8 * i));
  memcpy(tail + 4, "PAR1", 4);
  object_put(key, data, size);
  free(data);
}

/* A footer larger than the tail guess costs one more read, of exactly the
 * footer. */
START_TEST(parquet_large_footer_one_more_read) {
  static buf footer;
  footer.n = 0;
  footer_with_metadata(&footer, 100000);
  put_file("meta.parquet", &footer, 1u << 20);
  json_t *doc = preview_ok("meta.parquet", NULL);
  ck_assert_int_eq(num(doc, "num_rows"), 1234567);
  ck_assert_int_eq(num(doc, "footer_length"), (json_int_t)footer.n);
  ck_assert_uint_eq(read_count, 3);
  ck_assert_uint_eq(reads[2].length, footer.n);
  assert_only_ranged_reads();
  json_t *kv = json_array_get(json_object_get(doc, "key_value_metadata"), 0);
  ck_assert_str_eq(str(kv, "key"), "k");
  ck_assert_uint_eq(strlen(str(kv, "value")), 256 + 3); /* cut, "..." */
  ck_assert_str_eq(column_path(doc, 0), "x");
  json_decref(doc);
}
END_TEST

/* -------------------------------------------------- hostile footers */

/* parquet_footer_describe on a copy of exactly n bytes, so that ASan sees
 * any read past them. */
static pail_status describe_copy(const unsigned char *bytes, size_t n,
                                 pail_error **err) {
  unsigned char *copy = malloc(n ? n : 1);
  ck_assert_ptr_nonnull(copy);
  if (n > 0)
    memcpy(copy, bytes, n);
  json_t *doc = json_object();
  pail_status status = parquet_footer_describe(copy, n, doc, err);
  json_decref(doc);
  free(copy);
  return status;
}

static void assert_footer_refused(const unsigned char *bytes, size_t n,
                                  const char *expected) {
  pail_error *err = NULL;
  ck_assert_int_eq(describe_copy(bytes, n, &err), PAIL_ERR_IO);
  ck_assert_contains(pail_error_message(err), expected);
  pail_error_free(err);
}

START_TEST(parquet_hostile_footers) {
  /* A list claiming 2^32 schema elements in 8 bytes. */
  assert_footer_refused((const unsigned char *)"\x29\xfc\xff\xff\xff\xff\x0f",
                        7, "list longer than the footer at byte 7 of 7");
  /* A string longer than what follows. */
  assert_footer_refused((const unsigned char *)"\x68\x7f"
                                               "abc",
                        5, "string longer than the footer");
  /* Structures nested 1000 deep (field 1, type struct, again and again). */
  unsigned char deep[1000];
  memset(deep, 0x1c, sizeof deep);
  deep[0] = 0x7c; /* field 7 (column orders), skipped */
  assert_footer_refused(deep, sizeof deep, "nested too deeply");
  /* An integer of more than 10 bytes. */
  assert_footer_refused(
      (const unsigned char *)"\x16\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
      12, "integer longer than 64 bits");
  /* An unknown field type (13). */
  assert_footer_refused((const unsigned char *)"\x1d", 1, "unknown field type");
  /* Empty, and a structure with no fields at all. */
  assert_footer_refused((const unsigned char *)"", 0, "truncated structure");
  assert_footer_refused((const unsigned char *)"\x00", 1, "no schema");
  /* A schema whose root claims more children than there are. */
  static buf b;
  b.n = 0;
  put_byte(&b, 0x29); /* 2: list schema, 1 struct */
  put_byte(&b, 0x1c);
  put_group(&b, "schema", 5);
  put_rows_no_groups(&b, 1);
  put_byte(&b, 0x00);
  assert_footer_refused(b.data, b.n, "more children than the schema has");
  /* Found by fuzz_parquet: a child claiming children past the list's end. */
  b.n = 0;
  put_byte(&b, 0x29);
  put_byte(&b, 0x3c); /* root (2 children), a (1 child), b: one short */
  for (int i = 2; i >= 0; i--)
    put_group(&b, "n", i);
  put_rows_no_groups(&b, 1);
  put_byte(&b, 0x00);
  assert_footer_refused(b.data, b.n, "schema tree larger than the schema");
}
END_TEST

/* Every prefix of every real footer is refused cleanly (the final stop
 * byte is missing), and no single flipped byte crashes the decoder. */
START_TEST(parquet_truncated_and_flipped_footers) {
  static const char *files[] = {"alltypes_plain.parquet", "binary.parquet",
                                "nested_lists.snappy.parquet",
                                "list_columns.parquet"};
  for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
    size_t size;
    unsigned char *data = load_file(files[f], &size);
    uint32_t length;
    ck_assert_int_eq(
        parquet_footer_length(data + size - 8, size, &length, NULL), PAIL_OK);
    unsigned char *footer = data + size - 8 - length;
    for (size_t cut = 0; cut < length; cut++)
      assert_footer_refused(footer, cut, "broken Parquet footer");
    for (size_t at = 0; at < length; at++) {
      footer[at] ^= 0xA5;
      pail_error *err = NULL;
      pail_status status = describe_copy(footer, length, &err);
      footer[at] ^= 0xA5;
      ck_assert(status == PAIL_OK || status == PAIL_ERR_IO);
      ck_assert((status == PAIL_OK) == (err == NULL));
      pail_error_free(err);
    }
    free(data);
  }
}
END_TEST

/* Whole files that are not Parquet after all, through pail_preview. */
START_TEST(parquet_broken_files) {
  size_t size;
  unsigned char *data = load_file("alltypes_plain.parquet", &size);
  object_put("cut.parquet", data, size - 1); /* no PAR1 at the end */
  unsigned char *copy = malloc(size);
  memcpy(copy, data, size);
  copy[size - 8] = 0xff; /* a footer length beyond the file */
  copy[size - 7] = 0xff;
  object_put("long.parquet", copy, size);
  memcpy(copy, data, size);
  memcpy(copy + size - 4, "PARE", 4);
  object_put("encrypted.parquet", copy, size);
  memcpy(copy, data, size);
  memset(copy + size - 8 - 300, 0xff, 100); /* garbage in the footer */
  object_put("garbage.parquet", copy, size);
  object_put("tiny.parquet", "PAR1", 4);
  free(copy);
  free(data);

  char *m = preview_fails("cut.parquet", PAIL_ERR_IO);
  ck_assert_str_eq(m, "cannot preview \"cut.parquet\": not a Parquet file: it "
                      "does not end with PAR1 (truncated or still being "
                      "written?)");
  free(m);
  m = preview_fails("long.parquet", PAIL_ERR_IO);
  ck_assert_contains(m, "footer length");
  ck_assert_contains(m, "does not fit in 1851 bytes");
  free(m);
  m = preview_fails("encrypted.parquet", PAIL_ERR_UNSUPPORTED);
  ck_assert_contains(m, "encrypted");
  free(m);
  m = preview_fails("garbage.parquet", PAIL_ERR_IO);
  ck_assert_contains(m, "broken Parquet footer");
  free(m);
  m = preview_fails("tiny.parquet", PAIL_ERR_IO);
  ck_assert_contains(m, "too short");
  free(m);
  assert_only_ranged_reads();
}
END_TEST

/* ---------------------------------------------------------- text formats */

static json_t *preview_bytes(const char *key, const char *data, size_t n,
                             size_t max_rows, size_t max_bytes) {
  object_put(key, data, n);
  pail_preview_options o = PAIL_PREVIEW_OPTIONS_INIT;
  o.max_rows = max_rows;
  o.max_bytes = max_bytes;
  json_t *doc = preview_ok(key, &o);
  assert_only_ranged_reads();
  return doc;
}

static json_t *preview_text(const char *key, const char *text) {
  return preview_bytes(key, text, strlen(text), 0, 0);
}

/* The name of CSV column i. */
static const char *csv_column(json_t *doc, size_t i) {
  return json_string_value(json_array_get(json_object_get(doc, "columns"), i));
}

static const char *cell(json_t *doc, size_t row, size_t column) {
  return json_string_value(json_array_get(
      json_array_get(json_object_get(doc, "rows"), row), column));
}

START_TEST(csv_with_header) {
  json_t *doc =
      preview_text("people.csv", "name,age,city\r\nalice,31,paris\r\n"
                                 "bob,27,\"new \"\"york\"\", ny\"\r\n");
  ck_assert_str_eq(str(doc, "format"), "csv");
  ck_assert_str_eq(str(doc, "delimiter"), ",");
  ck_assert(flag(doc, "header"));
  ck_assert_str_eq(csv_column(doc, 2), "city");
  ck_assert_uint_eq(count_of(doc, "rows"), 2);
  ck_assert_str_eq(cell(doc, 0, 2), "paris");
  ck_assert_str_eq(cell(doc, 1, 2), "new \"york\", ny");
  ck_assert(!flag(doc, "truncated"));
  ck_assert_str_eq(str(doc, "content_type"), "text/csv");
  ck_assert_uint_eq(read_count, 1);
  json_decref(doc);
}
END_TEST

/* No extension: the content says TSV; all numbers: no header. */
START_TEST(tsv_sniffed_without_header) {
  json_t *doc = preview_text("dump", "1\t2\t3\n4\t5\t6\n7\t8\t9\n");
  ck_assert_str_eq(str(doc, "format"), "tsv");
  ck_assert_str_eq(str(doc, "delimiter"), "\t");
  ck_assert(!flag(doc, "header"));
  ck_assert_str_eq(csv_column(doc, 0), "column_1");
  ck_assert_uint_eq(count_of(doc, "rows"), 3);
  ck_assert_str_eq(cell(doc, 2, 2), "9");
  json_decref(doc);
}
END_TEST

START_TEST(csv_semicolon_and_rows_limit) {
  json_t *doc =
      preview_bytes("eu.csv", "a;b\n1,5;2\n3;4\n5;6\n7;8\n", 22, 2, 0);
  ck_assert_str_eq(str(doc, "format"), "csv");
  ck_assert_str_eq(str(doc, "delimiter"), ";");
  ck_assert(flag(doc, "header"));
  ck_assert_uint_eq(count_of(doc, "rows"), 2);
  ck_assert_str_eq(cell(doc, 0, 0), "1,5");
  ck_assert(flag(doc, "truncated"));
  json_decref(doc);
}
END_TEST

/* A head that ends inside a row: that row is not shown half. */
START_TEST(csv_head_cut_mid_row) {
  const char *text = "k,v\nalpha,1\nbeta,2\ngamma,3\n";
  json_t *doc = preview_bytes("cut.csv", text, strlen(text), 0, 16);
  ck_assert_uint_eq(reads[0].length, 16);
  ck_assert_int_eq(num(doc, "bytes_read"), 16);
  ck_assert_uint_eq(count_of(doc, "rows"), 1);
  ck_assert_str_eq(cell(doc, 0, 0), "alpha");
  ck_assert(flag(doc, "truncated"));
  json_decref(doc);
}
END_TEST

START_TEST(prose_is_text_not_csv) {
  json_t *doc = preview_text("notes", "Hello, world.\nThis is prose, with "
                                      "commas, here and there.\nEnd.\n");
  ck_assert_str_eq(str(doc, "format"), "text");
  ck_assert_uint_eq(count_of(doc, "lines"), 3);
  json_decref(doc);
}
END_TEST

START_TEST(json_complete) {
  json_t *doc =
      preview_text("cfg.json", "{\"a\": [1, 2], \"b\": {\"c\": null}}");
  ck_assert_str_eq(str(doc, "format"), "json");
  ck_assert_str_eq(str(doc, "text"), "{\n  \"a\": [\n    1,\n    2\n  ],\n"
                                     "  \"b\": {\n    \"c\": null\n  }\n}");
  json_t *value = json_object_get(doc, "value");
  ck_assert_int_eq(
      json_integer_value(json_array_get(json_object_get(value, "a"), 1)), 2);
  ck_assert(!flag(doc, "truncated"));
  json_decref(doc);
}
END_TEST

/* A document larger than the head: re-indented as far as read. */
START_TEST(json_truncated) {
  char text[4096] = "[";
  for (int i = 0; i < 200; i++)
    strcat(text, i ? ",{\"n\":1}" : "{\"n\":1}");
  strcat(text, "]");
  json_t *doc = preview_bytes("list", text, strlen(text), 0, 64);
  ck_assert_str_eq(str(doc, "format"), "json");
  ck_assert(flag(doc, "truncated"));
  ck_assert_ptr_null(json_object_get(doc, "value"));
  ck_assert(strncmp(str(doc, "text"), "[\n  {\n    \"n\": 1\n  },\n  {", 24) ==
            0);
  json_decref(doc);
}
END_TEST

/* jansson leaves DEL and the C1 controls raw (U+009B is a terminal's
 * CSI); the text escapes them, the value keeps them (fuzz_sniff found it). */
START_TEST(json_text_escapes_del_and_c1_controls) {
  json_t *doc =
      preview_text("c1.json", "[\"\xc2\x80\", \"a\x7f\xc2\x9b[31m\xc2\xa0\"]");
  ck_assert_str_eq(str(doc, "format"), "json");
  ck_assert_str_eq(str(doc, "text"),
                   "[\n  \"\\u0080\",\n  \"a\\u007f\\u009b[31m\xc2\xa0\"\n]");
  json_t *value = json_object_get(doc, "value");
  ck_assert_str_eq(json_string_value(json_array_get(value, 0)), "\xc2\x80");
  json_decref(doc);
  /* The fuzzer's input: a lone string. */
  doc = preview_text("x.json", "\"\xc2\x80\"");
  ck_assert_str_eq(str(doc, "text"), "\"\\u0080\"");
  json_decref(doc);
}
END_TEST

START_TEST(json_invalid_named) {
  json_t *doc = preview_text("bad.json", "{\"a\": 1,}");
  ck_assert_str_eq(str(doc, "format"), "json");
  ck_assert_contains(str(doc, "error"), "line 1");
  json_decref(doc);
}
END_TEST

START_TEST(ndjson_by_content_and_name) {
  json_t *doc = preview_text("events", "{\"e\": 1}\n{\"e\": 2}\n{\"e\": 3}\n");
  ck_assert_str_eq(str(doc, "format"), "ndjson");
  ck_assert_uint_eq(count_of(doc, "records"), 3);
  ck_assert_str_eq(
      json_string_value(json_array_get(json_object_get(doc, "lines"), 2)),
      "{\"e\":3}");
  json_decref(doc);
  /* The lines are safe to print: DEL and C1 escaped, other text kept. */
  doc = preview_text("c1.ndjson", "{\"e\": \"\x7f\xc2\x9b\xc3\xa9\"}\n[1]\n");
  ck_assert_str_eq(str(doc, "format"), "ndjson");
  ck_assert_str_eq(
      json_string_value(json_array_get(json_object_get(doc, "lines"), 0)),
      "{\"e\":\"\\u007f\\u009b\xc3\xa9\"}");
  json_decref(doc);
  doc = preview_bytes("log.jsonl", "{\"e\": 1}\nnot json\n{\"e\": 3}\n[4]\n",
                      31, 2, 0);
  ck_assert_str_eq(str(doc, "format"), "ndjson");
  ck_assert_uint_eq(count_of(doc, "records"), 2);
  ck_assert_int_eq(json_integer_value(json_array_get(
                       json_object_get(doc, "invalid_lines"), 0)),
                   2);
  ck_assert(flag(doc, "truncated"));
  json_decref(doc);
}
END_TEST

/* Terminal escapes, invalid UTF-8 and C1 controls never come out raw. */
START_TEST(text_is_escaped) {
  const char text[] = "plain \xc3\xa9t\xc3\xa9\tok\nbell\a esc\x1b[31m "
                      "bad\xff c1\xc2\x9b end\n";
  json_t *doc = preview_bytes("readme.txt", text, sizeof text - 1, 0, 0);
  ck_assert_str_eq(str(doc, "format"), "text");
  json_t *lines = json_object_get(doc, "lines");
  ck_assert_str_eq(json_string_value(json_array_get(lines, 0)),
                   "plain \xc3\xa9t\xc3\xa9\tok");
  ck_assert_str_eq(json_string_value(json_array_get(lines, 1)),
                   "bell\\x07 esc\\x1b[31m bad\\xff c1\\xc2\\x9b end");
  json_decref(doc);
}
END_TEST

START_TEST(text_lines_limit) {
  json_t *doc = preview_bytes("many.txt", "1\n2\n3\n4\n5\n", 10, 3, 0);
  ck_assert_uint_eq(count_of(doc, "lines"), 3);
  ck_assert(flag(doc, "truncated"));
  json_decref(doc);
}
END_TEST

/* ------------------------------------------------- images and binary */

static void assert_image(const char *key, const char *bytes, size_t n,
                         const char *type, int width, int height) {
  json_t *doc = preview_bytes(key, bytes, n, 0, 0);
  ck_assert_str_eq(str(doc, "format"), "image");
  ck_assert_str_eq(str(doc, "image_type"), type);
  ck_assert_int_eq(num(doc, "width"), width);
  ck_assert_int_eq(num(doc, "height"), height);
  json_decref(doc);
}

/* The byte count of a literal is its size: a hand-counted length would read
 * past it (ASan found one). */
#define ASSERT_IMAGE(key, literal, type, width, height)                        \
  assert_image(key, literal, sizeof(literal) - 1, type, width, height)

START_TEST(images) {
  ASSERT_IMAGE("a.png",
               "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x02\x80\0\0\x01\xe0"
               "\x08\x06\0\0\0",
               "png", 640, 480);
  ASSERT_IMAGE("a.gif", "GIF89a\x10\x00\x20\x00\xf0\x00\x00", "gif", 16, 32);
  /* SOI, an APP0 segment of 16 bytes, then SOF0 (height 200, width 300). */
  ASSERT_IMAGE("a.jpg",
               "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01"
               "\x00\x00\xff\xc0\x00\x11\x08\x00\xc8\x01\x2c\x03",
               "jpeg", 300, 200);
  ASSERT_IMAGE("x.webp",
               "RIFF\x24\0\0\0WEBPVP8X\x0a\0\0\0\x10\0\0\0"
               "\x1f\x03\x00\xdf\x01\x00",
               "webp", 800, 480);
  ASSERT_IMAGE("l.webp", "RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0\x2f\x07\xc0\x07\x00",
               "webp", 8, 32);
}
END_TEST

START_TEST(binary_and_empty) {
  json_t *doc = preview_bytes("a.gz", "\x1f\x8b\x08\0\0\0\0\0", 8, 0, 0);
  ck_assert_str_eq(str(doc, "format"), "binary");
  ck_assert_str_eq(str(doc, "binary_type"), "gzip");
  json_decref(doc);
  doc = preview_bytes("blob", "\x01\x02\x00\x03\xfe\xff", 6, 0, 0);
  ck_assert_str_eq(str(doc, "format"), "binary");
  ck_assert_ptr_null(json_object_get(doc, "binary_type"));
  json_decref(doc);
  doc = preview_bytes("empty.csv", "", 0, 0, 0);
  ck_assert_str_eq(str(doc, "format"), "unknown");
  ck_assert_str_eq(str(doc, "reason"), "empty object");
  json_decref(doc);
}
END_TEST

/* ------------------------------------------- access, errors, backends */

START_TEST(access_rules_apply) {
  object_put("secret/a.csv", "a,b\n1,2\n", 8);
  char *m = preview_fails("secret/a.csv", PAIL_ERR_ACCESS_DENIED);
  free(m);
  ck_assert_uint_eq(read_count, 0); /* refused before the backend */
  m = preview_fails("missing.csv", PAIL_ERR_NOT_FOUND);
  free(m);
  m = preview_fails("a/../b", PAIL_ERR_INVALID_ARGUMENT);
  free(m);
}
END_TEST

/* Without ranged reads the head comes from a plain read closed early;
 * Parquet, which needs the tail, says it cannot. */
START_TEST(backend_without_ranges) {
  char text[200000];
  memset(text, 'x', sizeof text);
  for (size_t i = 99; i < sizeof text; i += 100)
    text[i] = '\n';
  object_put("big.txt", text, sizeof text);
  json_t *doc = preview_ok("s3://plain/big.txt", NULL);
  ck_assert_str_eq(str(doc, "format"), "text");
  ck_assert_str_eq(str(doc, "storage"), "plain");
  ck_assert_int_eq(num(doc, "bytes_read"), 64 * 1024);
  json_decref(doc);
  size_t size;
  unsigned char *data = large_parquet(&size, 1u << 20);
  object_put("big.parquet", data, size);
  free(data);
  char *m = preview_fails("s3://plain/big.parquet", PAIL_ERR_UNSUPPORTED);
  ck_assert_contains(m, "ranged reads");
  free(m);
}
END_TEST

START_TEST(bad_arguments) {
  pail_preview_options o = PAIL_PREVIEW_OPTIONS_INIT;
  o.max_rows = 1000000;
  char *text = NULL;
  pail_error *err = NULL;
  ck_assert_int_eq(pail_preview(ws, "a.csv", &o, &text, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), "at most 10000 rows");
  pail_error_free(err);
  err = NULL;
  ck_assert_int_eq(pail_preview(ws, NULL, NULL, &text, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  pail_error_free(err);
  ck_assert_int_eq(pail_preview(ws, "a.csv", NULL, NULL, NULL),
                   PAIL_ERR_INVALID_ARGUMENT);
}
END_TEST

int main(void) {
  Suite *s = suite_create("preview");
  TCase *parquet = tcase_create("parquet");
  tcase_add_checked_fixture(parquet, setup, teardown);
  tcase_set_timeout(parquet, 60);
  tcase_add_test(parquet, parquet_alltypes_plain);
  tcase_add_test(parquet, parquet_alltypes_plain_snappy);
  tcase_add_test(parquet, parquet_binary);
  tcase_add_test(parquet, parquet_nested_lists);
  tcase_add_test(parquet, parquet_list_columns);
  tcase_add_test(parquet, parquet_nulls);
  tcase_add_test(parquet, parquet_malformed_dictionary);
  tcase_add_test(parquet, parquet_reads_head_and_tail_only);
  tcase_add_test(parquet, parquet_unnamed_reads_ranges);
  tcase_add_test(parquet, parquet_large_footer_one_more_read);
  tcase_add_test(parquet, parquet_hostile_footers);
  tcase_add_test(parquet, parquet_truncated_and_flipped_footers);
  tcase_add_test(parquet, parquet_broken_files);
  suite_add_tcase(s, parquet);
  TCase *text = tcase_create("text");
  tcase_add_checked_fixture(text, setup, teardown);
  tcase_add_test(text, csv_with_header);
  tcase_add_test(text, tsv_sniffed_without_header);
  tcase_add_test(text, csv_semicolon_and_rows_limit);
  tcase_add_test(text, csv_head_cut_mid_row);
  tcase_add_test(text, prose_is_text_not_csv);
  tcase_add_test(text, json_complete);
  tcase_add_test(text, json_truncated);
  tcase_add_test(text, json_text_escapes_del_and_c1_controls);
  tcase_add_test(text, json_invalid_named);
  tcase_add_test(text, ndjson_by_content_and_name);
  tcase_add_test(text, text_is_escaped);
  tcase_add_test(text, text_lines_limit);
  tcase_add_test(text, images);
  tcase_add_test(text, binary_and_empty);
  tcase_add_test(text, access_rules_apply);
  tcase_add_test(text, backend_without_ranges);
  tcase_add_test(text, bad_arguments);
  suite_add_tcase(s, text);
  return test_run_suite(s);
}
