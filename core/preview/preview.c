/*
 * preview.c: pail_preview(), what an object is and the start of it, as one
 * JSON document (docs/preview.md). Reads ranges only: the head for text
 * formats and images, the tail for Parquet, through the ordinary reader so
 * that access rules, grants and every backend apply as for any read.
 */
#include "preview.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_ROWS 20
#define MAX_ROWS 10000
#define DEFAULT_BYTES (64u << 10)
#define MAX_BYTES (16u << 20)

/* One preview: the object, the options, and what was read so far. */
typedef struct preview {
  pail_workspace *ws;
  const pail_pointer *ptr;
  pail_preview_options opts;
  pail_object_info info; /* from the first read */
  bool have_info;
  uint64_t bytes_read;
} preview;

/* Reads length bytes at offset into buffer (which has room), fewer only
 * where the object ends; *got says how many. The first read keeps the
 * object's info. A backend without ranged reads is read from the start and
 * closed early, which only serves a head. */
static pail_status read_range(preview *pv, uint64_t offset, size_t length,
                              uint8_t *buffer, size_t *got, pail_error **err) {
  pail_read_options ro = PAIL_READ_OPTIONS_INIT;
  ro.offset = offset;
  ro.length = length;
  pail_reader *r = NULL;
  pail_error *first = NULL;
  pail_status status = pail_reader_open(pv->ws, pv->ptr, &ro, &r, &first);
  if (status == PAIL_ERR_UNSUPPORTED && offset == 0) {
    pail_error_free(first);
    first = NULL;
    ro.length = PAIL_READ_TO_END;
    status = pail_reader_open(pv->ws, pv->ptr, &ro, &r, &first);
  }
  if (status != PAIL_OK) {
    if (err != NULL && *err == NULL)
      *err = first;
    else
      pail_error_free(first);
    return status;
  }
  if (!pv->have_info) {
    status = pail_object_info_copy(&pv->info, pail_reader_info(r));
    if (status != PAIL_OK) {
      pail_reader_close(r);
      return error_no_memory(err);
    }
    pv->have_info = true;
  }
  *got = 0;
  while (*got < length) {
    size_t n = 0;
    status = pail_reader_read(r, buffer + *got, length - *got, &n, err);
    if (status != PAIL_OK || n == 0)
      break;
    *got += n;
  }
  pail_reader_close(r);
  pv->bytes_read += *got;
  return status;
}

static bool named_parquet(const char *key) {
  size_t n = strlen(key);
  return n >= 8 && strcasecmp(key + n - 8, ".parquet") == 0;
}

/* The footer of a Parquet file: its tail (the whole file when it is small
 * and already read), then the footer if the tail did not hold it all. */
static pail_status preview_parquet(preview *pv, const uint8_t *head,
                                   size_t head_length, json_t *doc,
                                   pail_error **err) {
  uint64_t size = pv->info.size;
  uint8_t *tail = NULL;
  size_t tail_length;
  pail_status status;
  if ((uint64_t)head_length >= size) {
    tail_length = head_length;
  } else {
    tail_length = size < PARQUET_TAIL_GUESS ? (size_t)size : PARQUET_TAIL_GUESS;
    if ((tail = malloc(tail_length)) == NULL)
      return error_no_memory(err);
    size_t got;
    status = read_range(pv, size - tail_length, tail_length, tail, &got, err);
    if (status == PAIL_OK && got != tail_length)
      status = pail_error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                              "\"%s\" changed while it was read", pv->ptr->key);
    if (status != PAIL_OK) {
      free(tail);
      return status;
    }
    head = tail;
  }
  uint32_t footer_length = 0;
  if (tail_length < 8)
    status = parquet_footer_length(NULL, size, &footer_length, err);
  else
    status = parquet_footer_length(head + tail_length - 8, size, &footer_length,
                                   err);
  const uint8_t *footer = NULL;
  uint8_t *footer_copy = NULL;
  if (status == PAIL_OK && (size_t)footer_length + 8 <= tail_length) {
    footer = head + tail_length - 8 - footer_length;
  } else if (status == PAIL_OK) {
    if ((footer_copy = malloc(footer_length)) == NULL) {
      status = error_no_memory(err);
    } else {
      size_t got;
      status = read_range(pv, size - 8 - footer_length, footer_length,
                          footer_copy, &got, err);
      if (status == PAIL_OK && got != footer_length)
        status =
            pail_error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                           "\"%s\" changed while it was read", pv->ptr->key);
      footer = footer_copy;
    }
  }
  if (status == PAIL_OK) {
    json_object_set_new(doc, "format", json_string("parquet"));
    json_object_set_new(doc, "footer_length", json_integer(footer_length));
    status = parquet_footer_describe(footer, footer_length, doc, err);
  }
  if (status != PAIL_OK)
    error_prefix(err, "cannot preview \"%s\"", pv->ptr->key);
  free(footer_copy);
  free(tail);
  return status;
}

static pail_status preview_pointer(preview *pv, json_t *doc, pail_error **err) {
  /* A name that says Parquet reads just the magic first: its tail is what
   * matters, and the head of a large file would be wasted. */
  bool short_head = named_parquet(pv->ptr->key);
  size_t want = short_head ? 4 : pv->opts.max_bytes;
  uint8_t *head = malloc(pv->opts.max_bytes);
  if (head == NULL)
    return error_no_memory(err);
  size_t got = 0;
  pail_status status = read_range(pv, 0, want, head, &got, err);
  if (status == PAIL_OK && short_head && !preview_is_parquet(head, got) &&
      (uint64_t)got < pv->info.size)
    status = read_range(pv, 0, pv->opts.max_bytes, head, &got, err);
  if (status != PAIL_OK) {
    free(head);
    return status;
  }
  if (pv->ptr->storage != NULL)
    json_object_set_new(doc, "storage", json_string(pv->ptr->storage));
  json_object_set_new(doc, "size", json_integer((json_int_t)pv->info.size));
  if (pv->info.content_type != NULL)
    json_object_set_new(doc, "content_type",
                        json_string(pv->info.content_type));
  if (pv->info.last_modified != INT64_MIN)
    json_object_set_new(doc, "last_modified",
                        json_integer(pv->info.last_modified));
  if (preview_is_parquet(head, got))
    status = preview_parquet(pv, head, got, doc, err);
  else
    status =
        preview_describe_head(head, got, pv->info.size, pv->ptr->key,
                              pv->opts.max_rows, pv->opts.max_bytes, doc, err);
  json_object_set_new(doc, "bytes_read",
                      json_integer((json_int_t)pv->bytes_read));
  free(head);
  return status;
}

pail_status pail_preview(pail_workspace *ws, const char *pointer,
                         const pail_preview_options *options, char **json,
                         pail_error **err) {
  ARGUMENT_REQUIRED(err, json, "place for the document");
  *json = NULL;
  ARGUMENT_REQUIRED(err, ws, "workspace");
  ARGUMENT_REQUIRED(err, pointer, "pointer");
  preview pv = {.ws = ws, .opts = PAIL_PREVIEW_OPTIONS_INIT};
  OPTIONS_ADOPT(pv.opts, options);
  if (pv.opts.max_rows == 0)
    pv.opts.max_rows = DEFAULT_ROWS;
  if (pv.opts.max_bytes == 0)
    pv.opts.max_bytes = DEFAULT_BYTES;
  if (pv.opts.max_rows > MAX_ROWS)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "a preview shows at most %d rows, not %zu", MAX_ROWS,
                          pv.opts.max_rows);
  if (pv.opts.max_bytes > MAX_BYTES)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "a preview reads at most %u bytes of the head, not "
                          "%zu",
                          (unsigned)MAX_BYTES, pv.opts.max_bytes);
  pail_pointer *ptr = NULL;
  pail_status status = pail_pointer_parse(pointer, NULL, &ptr, err);
  if (status != PAIL_OK)
    return status;
  pv.ptr = ptr;

  json_t *doc = json_pack("{s:n, s:s}", "format", "key", ptr->key);
  if (doc == NULL)
    status = error_no_memory(err);
  else
    status = preview_pointer(&pv, doc, err);
  if (status == PAIL_OK) {
    *json = json_dumps(doc, JSON_COMPACT);
    if (*json == NULL)
      status = error_no_memory(err);
  }
  json_decref(doc);
  pail_object_info_clear(&pv.info);
  pail_pointer_free(ptr);
  return status;
}
