/*
 * fuzz_s3_delete.c: the S3 backend's DeleteResult reader on any body, as
 * the answer to a batch delete of four keys. Every key ends with a status
 * and an error that agree (none on success), and a body that is not a
 * DeleteResult fails the whole batch without touching them.
 */
#include "fuzz_s3.h"

#define KEY_COUNT 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  s3_instance s3 = fuzz_s3_instance(NULL);
  /* The keys the seed corpus names, one with characters XML escapes. */
  static const char *const keys[KEY_COUNT] = {"a.txt", "photos/2024/cat.jpg",
                                              "dir/b", "x&y<z>.txt"};
  char *body = fuzz_copy(data, size);
  pail_http_response response = {
      .status = 200, .body = body, .body_length = size};
  pail_status results[KEY_COUNT] = {PAIL_OK};
  pail_error *errors[KEY_COUNT] = {NULL};
  pail_error *err = NULL;
  pail_status status = s3_delete_read_result(&s3, &response, keys, KEY_COUNT,
                                             results, errors, &err);
  if (status != PAIL_OK)
    FUZZ_ASSERT(err != NULL && pail_error_category(err) == status);
  else
    FUZZ_ASSERT(err == NULL);
  for (size_t i = 0; i < KEY_COUNT; i++) {
    if (status != PAIL_OK || results[i] == PAIL_OK) {
      FUZZ_ASSERT(results[i] == PAIL_OK && errors[i] == NULL);
      continue;
    }
    FUZZ_ASSERT(errors[i] != NULL);
    FUZZ_ASSERT(pail_error_category(errors[i]) == results[i]);
    pail_error_free(errors[i]);
  }
  pail_error_free(err);
  free(body);
  return 0;
}
