/*
 * fuzz_pointer.c: pail_pointer_parse and pail_pointer_parse_prefix on any
 * text, without and with a default storage. A pointer that parses obeys the
 * key and storage name rules and prints, as JSON and as a URI, into text
 * that parses back to the same pointer (the URI without its grant and extra
 * fields); a refusal is an invalid-argument error whose message is clean
 * UTF-8 without control characters, since it quotes the input.
 */
#include "internal.h"

#include "fuzz.h"

typedef pail_status (*parse_fn)(const char *text, const char *default_storage,
                                pail_pointer **out, pail_error **err);

/* Parses what a pointer printed and compares it with the pointer; the URI
 * form (as_json 0) drops the grant and the extra fields. */
static void check_reparse(parse_fn parse, const char *printed,
                          const pail_pointer *expected, int as_json) {
  pail_pointer *again = NULL;
  pail_error *err = NULL;
  pail_status status = parse(printed, NULL, &again, &err);
  if (status != PAIL_OK)
    fprintf(stderr, "printed pointer %s does not parse: %s\n", printed,
            pail_error_message(err));
  FUZZ_ASSERT(status == PAIL_OK);
  FUZZ_ASSERT(fuzz_same(again->storage, expected->storage));
  FUZZ_ASSERT(fuzz_same(again->key, expected->key));
  FUZZ_ASSERT(
      fuzz_same(again->presigned, as_json ? expected->presigned : NULL));
  FUZZ_ASSERT(fuzz_same(again->extra, as_json ? expected->extra : NULL));
  pail_pointer_free(again);
}

static void parse_and_print(const char *text, const char *default_storage,
                            int prefix) {
  parse_fn parse = prefix ? pail_pointer_parse_prefix : pail_pointer_parse;
  pail_pointer *p = NULL;
  pail_error *err = NULL;
  pail_status status = parse(text, default_storage, &p, &err);
  if (status != PAIL_OK) {
    FUZZ_ASSERT(p == NULL && err != NULL);
    FUZZ_ASSERT(status == PAIL_ERR_INVALID_ARGUMENT);
    FUZZ_ASSERT(pail_error_category(err) == status);
    FUZZ_ASSERT(fuzz_message_clean(pail_error_message(err)));
    pail_error_free(err);
    return;
  }
  FUZZ_ASSERT(err == NULL && p != NULL && p->key != NULL);
  size_t key_length = strlen(p->key);
  FUZZ_ASSERT((prefix ? pointer_prefix_check(p->key, key_length, NULL)
                      : pail_key_check(p->key, key_length, NULL)) == PAIL_OK);
  /* The primary storage is NULL, never its alias. */
  FUZZ_ASSERT(p->storage == NULL ||
              (pail_storage_name_check(p->storage, NULL) == PAIL_OK &&
               strcmp(p->storage, "_default_") != 0));

  char *json = pail_pointer_to_json(p);
  FUZZ_ASSERT(json != NULL);
  check_reparse(parse, json, p, 1);
  char *uri = pail_pointer_to_uri(p);
  FUZZ_ASSERT(uri != NULL);
  check_reparse(parse, uri, p, 0);
  free(json);
  free(uri);
  pail_pointer_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_string(data, size);
  if (text == NULL)
    return 0;
  static const char *const default_storages[] = {NULL, "archive"};
  for (size_t i = 0; i < 2; i++) {
    parse_and_print(text, default_storages[i], 0);
    parse_and_print(text, default_storages[i], 1);
  }
  free(text);
  return 0;
}
