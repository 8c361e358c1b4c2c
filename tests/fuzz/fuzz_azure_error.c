/*
 * fuzz_azure_error.c: the Azure backend's reading of error responses, on
 * any body: azure_exchange (with the core's HTTP exchange replaced by one
 * that answers the input) under 404, 403 and 503, which goes through
 * azure_response_error, and azure_error_code. A non-2xx answer is always an
 * error whose message starts with the backend's name and the object, holds
 * no control character from the body, and carries the x-ms-request-id;
 * a missing container is named instead of the blob.
 */
#include "fuzz_azure.h"

static int answer_status;
static const uint8_t *answer_body;
static size_t answer_length;

/* The core's http_exchange, replaced: no network, the response owned as
 * the real one's is, so that http_response_clear frees it. */
static pail_status answer_exchange(const pail_config *cfg,
                                   const pail_http_request *request,
                                   size_t max_body, pail_http_response *out,
                                   pail_error **err) {
  (void)cfg;
  (void)request;
  (void)max_body;
  (void)err;
  memset(out, 0, sizeof *out);
  out->status = answer_status;
  out->headers = calloc(1, sizeof *out->headers);
  FUZZ_ASSERT(out->headers != NULL);
  out->headers[0].name = fuzz_copy("x-ms-request-id", 15);
  out->headers[0].value = fuzz_copy("fuzz-request-0001", 17);
  out->header_count = 1;
  out->body = fuzz_copy(answer_body, answer_length);
  out->body_length = answer_length;
  return PAIL_OK;
}

static pail_core_services services;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (services.struct_size == 0) {
    services = *pail_core_services_get();
    services.http_exchange = answer_exchange;
  }
  azure_instance az = fuzz_azure_instance(&services);
  answer_body = data;
  answer_length = size;

  static const int statuses[] = {404, 403, 503};
  for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
    answer_status = statuses[i];
    pail_request request = {0};
    pail_http_response out;
    pail_error *err = NULL;
    pail_status status = azure_exchange(&az, &request, "fuzz-key", &out, &err);
    FUZZ_ASSERT(status != PAIL_OK);
    FUZZ_ASSERT(err != NULL && pail_error_category(err) == status);
    FUZZ_ASSERT(pail_error_http_status(err) == answer_status);
    /* A missing container is named instead of the blob. */
    if (fuzz_same(pail_error_provider_code(err), "ContainerNotFound"))
      FUZZ_ASSERT(fuzz_same(pail_error_message(err),
                            "azure_blob: container \"fuzz-container\" does "
                            "not exist"));
    else
      FUZZ_ASSERT(
          strncmp(pail_error_message(err), "azure_blob: fuzz-key: ", 22) == 0);
    for (const char *c = pail_error_message(err); *c; c++)
      FUZZ_ASSERT((unsigned char)*c >= 0x20 && *c != 0x7f);
    FUZZ_ASSERT(fuzz_same(pail_error_request_id(err), "fuzz-request-0001"));
    FUZZ_ASSERT(out.body == NULL && out.header_count == 0);
    services.http_response_clear(&out);
    pail_error_free(err);
  }

  pail_http_response response = {
      .status = 500, .body = fuzz_copy(data, size), .body_length = size};
  free(azure_error_code(&response));
  free(response.body);
  return 0;
}
