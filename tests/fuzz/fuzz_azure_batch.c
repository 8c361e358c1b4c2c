/*
 * fuzz_azure_batch.c: the Azure backend's reader of Blob Batch answers on
 * any body, as if the service had answered 202 with a multipart/mixed body
 * of boundary "batchresponse_1", for a batch of 3 keys. Either the whole
 * answer is an error, or each key gets a result, and a key's error exists
 * exactly when its result is a failure.
 */
#include "fuzz_azure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  azure_instance az = fuzz_azure_instance(NULL);
  char *body = fuzz_copy(data, size);
  pail_http_header headers[] = {
      {(char *)"content-type",
       (char *)"multipart/mixed; boundary=batchresponse_1"},
      {(char *)"x-ms-request-id", (char *)"fuzz-request-0001"}};
  pail_http_response response = {.status = 202,
                                 .headers = headers,
                                 .header_count = 2,
                                 .body = body,
                                 .body_length = size};
  const char *const keys[] = {"a/0", "a/1", "a/2"};
  pail_status results[3] = {PAIL_OK, PAIL_OK, PAIL_OK};
  pail_error *errors[3] = {NULL, NULL, NULL};
  pail_error *err = NULL;
  pail_status status =
      azure_batch_read_result(&az, &response, keys, 3, results, errors, &err);
  if (status != PAIL_OK) {
    FUZZ_ASSERT(err != NULL && pail_error_category(err) == status);
  } else {
    FUZZ_ASSERT(err == NULL);
    for (size_t i = 0; i < 3; i++) {
      FUZZ_ASSERT((results[i] == PAIL_OK) == (errors[i] == NULL));
      if (errors[i] != NULL) {
        FUZZ_ASSERT(pail_error_category(errors[i]) == results[i]);
        FUZZ_ASSERT(strstr(pail_error_message(errors[i]), keys[i]) != NULL);
      }
    }
  }
  for (size_t i = 0; i < 3; i++)
    pail_error_free(errors[i]);
  pail_error_free(err);
  free(body);
  return 0;
}
