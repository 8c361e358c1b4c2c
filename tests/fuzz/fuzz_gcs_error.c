/*
 * fuzz_gcs_error.c: the GCS backend's reading of error responses (Google's
 * JSON shape {"error": {"code", "message", "errors": [{"reason"}]}}, the
 * OAuth2 shape {"error": "...", "error_description"}, or anything else) on
 * any body, under the statuses it maps. The category follows the status
 * alone, whatever the body says; the message names the key, stays on one
 * line and is bounded; the provider code, when there is one, has no
 * control character; the status and the request id are carried.
 */
#include "fuzz_gcs.h"

#include <pail/pail.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gcs_instance gcs = fuzz_gcs_instance();
  static const int statuses[] = {400, 401, 403, 404, 409, 412,
                                 416, 429, 500, 503, 308};
  for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
    pail_http_response response = fuzz_gcs_response(statuses[i], data, size);
    pail_error *err = NULL;
    pail_status status = gcs_response_error(&gcs, &response, "fuzz-key", &err);
    FUZZ_ASSERT(status == gcs_status_category(statuses[i]));
    FUZZ_ASSERT(err != NULL && pail_error_category(err) == status);
    FUZZ_ASSERT(pail_error_http_status(err) == statuses[i]);
    FUZZ_ASSERT(fuzz_same(pail_error_request_id(err), "FUZZUPLOAD0001"));
    const char *message = pail_error_message(err);
    FUZZ_ASSERT(strncmp(message, "gcs: fuzz-key: ", 15) == 0);
    FUZZ_ASSERT(strlen(message) < 1024);
    for (const char *p = message; *p; p++)
      FUZZ_ASSERT(*p != '\n' && *p != '\r');
    const char *code = pail_error_provider_code(err);
    for (const char *p = code; p != NULL && *p; p++)
      FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
    pail_error_free(err);
    free(response.body);
  }
  return 0;
}
