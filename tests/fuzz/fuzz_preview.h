/*
 * fuzz_preview.h: what fuzz_parquet and fuzz_sniff check of a preview
 * document: every string in it is valid UTF-8 without control characters
 * (tab, and newline in a JSON document's "text", aside), so that pail
 * preview can print it on a terminal as it is.
 */
#ifndef PAIL_TESTS_FUZZ_PREVIEW_H
#define PAIL_TESTS_FUZZ_PREVIEW_H

#include "fuzz.h"

#include <jansson.h>

static inline int fuzz_text_clean(const char *text, int newlines) {
  const unsigned char *s = (const unsigned char *)text;
  size_t len = strlen(text);
  for (size_t i = 0; i < len;) {
    uint32_t codepoint;
    size_t n = fuzz_utf8(s + i, len - i, &codepoint);
    if (n == 0)
      return 0;
    if (fuzz_is_control(codepoint) && codepoint != '\t' &&
        !(newlines && codepoint == '\n'))
      return 0;
    i += n;
  }
  return 1;
}

/* Walks a document; keys and strings must be clean. The "value" and
 * "records" of JSON and NDJSON are the parsed content, which JSON itself
 * escapes, so they are left out. */
static inline void fuzz_doc_clean(json_t *v, const char *key) {
  if (json_is_string(v)) {
    FUZZ_ASSERT(fuzz_text_clean(json_string_value(v),
                                key != NULL && strcmp(key, "text") == 0));
  } else if (json_is_array(v)) {
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) fuzz_doc_clean(e, key);
  } else if (json_is_object(v)) {
    const char *k;
    json_t *e;
    json_object_foreach(v, k, e) {
      FUZZ_ASSERT(fuzz_text_clean(k, 0));
      if (strcmp(k, "value") != 0 && strcmp(k, "records") != 0)
        fuzz_doc_clean(e, k);
    }
  }
}

#endif /* PAIL_TESTS_FUZZ_PREVIEW_H */
