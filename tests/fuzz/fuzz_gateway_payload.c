/*
 * fuzz_gateway_payload.c: the S3 gateway's body decoder
 * (core/gateway/payload.c) on any body, fed whole and then in pieces of
 * random sizes. The input is a header of four bytes (the payload kind, the
 * trailer checksum, the seed of the split, the decoded length modulo 256)
 * and the body. The decoder must answer the same whatever the split: the
 * same status, the same S3 code, the same decoded bytes handed to the sink;
 * it never hands more bytes than the declared decoded length; a refusal is
 * an S3 error (400 or 403); an accepted aws-chunked body decoded exactly
 * the declared length.
 */
#include "gateway/gateway.h"
#include "internal.h"

#include "fuzz.h"

/* The chained signatures start from the seed of AWS's chunked example, so
 * that seeds made with its key can pass (tests/fuzz/corpus). */
#define FUZZ_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define FUZZ_SEED                                                              \
  "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"

typedef struct outcome {
  pail_status status;
  char code[64];
  uint32_t crc; /* of the decoded bytes */
  uint64_t length;
  int64_t limit;
} outcome;

static pail_status count(void *context, const void *data, size_t length,
                         pail_error **err) {
  outcome *o = context;
  o->crc = crc32_update(o->crc, data, length);
  o->length += length;
  FUZZ_ASSERT(o->limit < 0 || o->length <= (uint64_t)o->limit);
  return PAIL_OK;
}

static void run(const gateway_auth *a, const uint8_t *body, size_t size,
                unsigned seed, outcome *o) {
  memset(o, 0, sizeof *o);
  o->limit = a->decoded_length;
  gateway_payload *p = NULL;
  pail_error *err = NULL;
  o->status = gateway_payload_open(a, FUZZ_SECRET, &p, &err);
  uint32_t state = seed * 2654435761u + 1;
  for (size_t at = 0; o->status == PAIL_OK && at < size;) {
    size_t n = size - at;
    if (seed != 0) {
      state = state * 1103515245u + 12345u;
      size_t piece = 1 + (state >> 16) % 97;
      n = piece < n ? piece : n;
    }
    o->status = gateway_payload_feed(p, body + at, n, count, o, &err);
    at += n;
  }
  if (o->status == PAIL_OK)
    o->status = gateway_payload_finish(p, &err);
  if (o->status != PAIL_OK) {
    FUZZ_ASSERT(err != NULL);
    const char *code = pail_error_provider_code(err);
    int http = pail_error_http_status(err);
    FUZZ_ASSERT(code != NULL && (http == 400 || http == 403));
    snprintf(o->code, sizeof o->code, "%s", code);
  } else if (a->payload >= GATEWAY_PAYLOAD_STREAMING) {
    FUZZ_ASSERT(o->length == (uint64_t)a->decoded_length);
  }
  pail_error_free(err);
  gateway_payload_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4)
    return 0;
  static const char *const lines[] = {
      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
      "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", "UNSIGNED-PAYLOAD",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"};
  static const gateway_payload_kind kinds[] = {
      GATEWAY_PAYLOAD_STREAMING, GATEWAY_PAYLOAD_UNSIGNED_TRAILER,
      GATEWAY_PAYLOAD_STREAMING_TRAILER, GATEWAY_PAYLOAD_UNSIGNED,
      GATEWAY_PAYLOAD_SIGNED};
  size_t kind = data[0] % 5;
  gateway_auth a = {.kind = GATEWAY_AUTH_HEADER,
                    .access_key_id = (char *)"AKIAIOSFODNN7EXAMPLE",
                    .amz_date = "20130524T000000Z",
                    .region = (char *)"us-east-1",
                    .service = (char *)"s3",
                    .signature = FUZZ_SEED,
                    .payload = kinds[kind],
                    .payload_line = (char *)lines[kind],
                    .decoded_length = kind < 3 ? data[3] : -1,
                    .trailer_checksum = kind == 1 || kind == 2
                                            ? (gateway_checksum)(data[1] % 6)
                                            : GATEWAY_CHECKSUM_NONE};
  outcome whole, split;
  run(&a, data + 4, size - 4, 0, &whole);
  run(&a, data + 4, size - 4, data[2] | 1u, &split);
  FUZZ_ASSERT(whole.status == split.status);
  FUZZ_ASSERT(strcmp(whole.code, split.code) == 0);
  FUZZ_ASSERT(whole.length == split.length && whole.crc == split.crc);
  return 0;
}
