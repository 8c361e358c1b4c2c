/*
 * fuzz_parquet.c: the Parquet footer decoder (parquet_footer_describe) on
 * raw bytes, and the tail check (parquet_footer_length) on the input taken
 * as a whole file, whose footer is then decoded as pail_preview() would.
 * A footer either decodes into a document with a row count and a schema
 * whose strings are clean, or fails with PAIL_ERR_IO and a clean message;
 * the tail check never accepts a footer that does not fit.
 */
#include "preview/preview.h"

#include "fuzz_preview.h"

static void describe(const uint8_t *footer, size_t length) {
  /* A copy of exactly length bytes, so that ASan sees any read past it. */
  uint8_t *copy = malloc(length ? length : 1);
  FUZZ_ASSERT(copy != NULL);
  if (length > 0)
    memcpy(copy, footer, length);
  json_t *doc = json_object();
  pail_error *err = NULL;
  pail_status status = parquet_footer_describe(copy, length, doc, &err);
  if (status == PAIL_OK) {
    FUZZ_ASSERT(err == NULL);
    FUZZ_ASSERT(json_is_integer(json_object_get(doc, "num_rows")));
    FUZZ_ASSERT(json_is_array(json_object_get(doc, "schema")));
    FUZZ_ASSERT(json_is_array(json_object_get(doc, "columns")));
    FUZZ_ASSERT(json_array_size(json_object_get(doc, "row_groups")) <= 10);
    fuzz_doc_clean(doc, NULL);
    char *text = json_dumps(doc, JSON_COMPACT);
    FUZZ_ASSERT(text != NULL);
    free(text);
  } else {
    FUZZ_ASSERT(status == PAIL_ERR_IO || status == PAIL_ERR_INTERNAL);
    FUZZ_ASSERT(err != NULL);
    FUZZ_ASSERT(fuzz_message_clean(pail_error_message(err)));
    pail_error_free(err);
  }
  json_decref(doc);
  free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  describe(data, size);
  if (size >= 8) {
    uint32_t length = 0;
    pail_error *err = NULL;
    pail_status status =
        parquet_footer_length(data + size - 8, size, &length, &err);
    if (status == PAIL_OK) {
      FUZZ_ASSERT(length > 0 && (uint64_t)length + 12 <= size);
      describe(data + size - 8 - length, length);
    } else {
      FUZZ_ASSERT(err != NULL && fuzz_message_clean(pail_error_message(err)));
      pail_error_free(err);
    }
  }
  return 0;
}
