/*
 * fuzz_gcs.h: what the GCS targets share: the backend's state as a target
 * needs it (no storage is opened: the parsers read only the bucket name).
 */
#ifndef PAIL_TESTS_FUZZ_GCS_H
#define PAIL_TESTS_FUZZ_GCS_H

#include "gcs.h"

#include "fuzz.h"

/* An instance of bucket "fuzz-bucket" for the parsers, with gcs_core set to
 * the core's services. */
static inline gcs_instance fuzz_gcs_instance(void) {
  gcs_core = pail_core_services_get();
  gcs_instance gcs;
  memset(&gcs, 0, sizeof gcs);
  gcs.bucket = (char *)"fuzz-bucket";
  return gcs;
}

/* A response as the core hands it to a backend: the body a NUL-ended copy,
 * a request id header. Free the body with free(). */
static inline pail_http_response
fuzz_gcs_response(int status, const uint8_t *data, size_t size) {
  static pail_http_header header = {(char *)"x-guploader-uploadid",
                                    (char *)"FUZZUPLOAD0001"};
  pail_http_response response = {.status = status,
                                 .headers = &header,
                                 .header_count = 1,
                                 .body = fuzz_copy(data, size),
                                 .body_length = size};
  return response;
}

#endif /* PAIL_TESTS_FUZZ_GCS_H */
