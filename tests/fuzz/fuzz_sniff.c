/*
 * fuzz_sniff.c: the preview of an object's head (preview_describe_head):
 * format detection, the CSV parser and its delimiter and header sniffing,
 * JSON re-indenting, NDJSON, text lines, image headers. The first input
 * byte picks the key's extension, whether the head is the whole object or
 * cut, and the row limit; the rest is the head. It never fails on content,
 * names one of the documented formats, keeps to the row limit, and every
 * string it produces is clean.
 */
#include "preview/preview.h"

#include "fuzz_preview.h"

static const char *const names[] = {"x.csv", "x.tsv", "x.json", "x.ndjson",
                                    "x.txt", "x",     "x.png",  "x.bin"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t control = data[0];
  const char *name = names[control & 7];
  bool cut = (control & 8) != 0;
  size_t max_rows = 1 + (control >> 4);
  size_t length = size - 1;
  uint8_t *head = malloc(length ? length : 1); /* exact, for ASan */
  FUZZ_ASSERT(head != NULL);
  if (length > 0)
    memcpy(head, data + 1, length);
  json_t *doc = json_object();
  pail_error *err = NULL;
  pail_status status =
      preview_describe_head(head, length, cut ? length + 1000 : length, name,
                            max_rows, 4096, doc, &err);
  FUZZ_ASSERT(status == PAIL_OK && err == NULL);
  const char *format = json_string_value(json_object_get(doc, "format"));
  FUZZ_ASSERT(format != NULL);
  static const char *const formats[] = {"csv",  "tsv",   "json",   "ndjson",
                                        "text", "image", "binary", "unknown"};
  bool known = false;
  for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
    known |= strcmp(format, formats[i]) == 0;
  FUZZ_ASSERT(known);
  FUZZ_ASSERT(json_array_size(json_object_get(doc, "rows")) <= max_rows);
  FUZZ_ASSERT(json_array_size(json_object_get(doc, "records")) <= max_rows);
  FUZZ_ASSERT(json_array_size(json_object_get(doc, "lines")) <= max_rows);
  fuzz_doc_clean(doc, NULL);
  char *text = json_dumps(doc, JSON_COMPACT);
  FUZZ_ASSERT(text != NULL);
  free(text);
  json_decref(doc);
  free(head);
  return 0;
}
