/*
 * fuzz_gateway_auth.c: the S3 gateway's reading of a request's SigV4 claims
 * (core/gateway/auth.c) and their verification, on any Authorization header,
 * query, X-Amz-Date, x-amz-content-sha256 and path. The input is those five
 * fields, one a line (a missing line is an absent header). A refusal is an
 * S3 error (a code, 400, 403 or 501, the category of that status) whose
 * message is clean UTF-8 and never holds the secret; a parsed claim has an
 * access key id, a region, service "s3", 64 lowercase hex digits of
 * signature, host among its signed headers, and for a presigned URL an
 * expiry of 1 to 604800 seconds; the older query signature's claim has
 * a key id, an expiry instant and 28 characters of signature, no scope.
 */
#include "gateway/gateway.h"
#include "internal.h"

#include "fuzz.h"

#define FUZZ_SECRET "fuzz/Secret+Key=0123456789abcdef"

typedef struct fields {
  const char *value[5]; /* authorization, query, date, content-sha256, path */
} fields;

static const char *fields_header(void *context, const char *name) {
  const fields *f = context;
  if (strcmp(name, "authorization") == 0)
    return f->value[0];
  if (strcmp(name, "x-amz-date") == 0)
    return f->value[2];
  if (strcmp(name, "x-amz-content-sha256") == 0)
    return f->value[3];
  if (strcmp(name, "x-amz-decoded-content-length") == 0)
    return f->value[3] && strncmp(f->value[3], "STREAMING", 9) == 0 ? "10"
                                                                    : NULL;
  return NULL;
}

static void check_refusal(pail_error *err) {
  FUZZ_ASSERT(err != NULL);
  const char *message = pail_error_message(err);
  FUZZ_ASSERT(fuzz_message_clean(message));
  FUZZ_ASSERT(strstr(message, FUZZ_SECRET) == NULL);
  if (pail_error_category(err) == PAIL_ERR_INTERNAL) /* out of memory */
    return;
  int status = pail_error_http_status(err);
  FUZZ_ASSERT(pail_error_provider_code(err) != NULL);
  FUZZ_ASSERT(status == 400 || status == 403 || status == 501);
  FUZZ_ASSERT(pail_error_category(err) ==
              (status == 403   ? PAIL_ERR_ACCESS_DENIED
               : status == 501 ? PAIL_ERR_UNSUPPORTED
                               : PAIL_ERR_INVALID_ARGUMENT));
}

/* The older query signature (AWSAccessKeyId, Expires, Signature) has no
 * scope: its claim is a key id, an instant and 28 characters of base64. */
static void check_claim_v2(const gateway_auth *a) {
  FUZZ_ASSERT(a->region == NULL && a->service == NULL);
  FUZZ_ASSERT(a->signed_header_count == 0 && a->amz_date[0] == '\0');
  FUZZ_ASSERT(strlen(a->signature) == 28);
  FUZZ_ASSERT(a->at >= 0);
  FUZZ_ASSERT(a->payload_line != NULL &&
              strcmp(a->payload_line, "UNSIGNED-PAYLOAD") == 0);
}

static void check_claim(const gateway_auth *a) {
  FUZZ_ASSERT(a->access_key_id != NULL && a->access_key_id[0] != '\0');
  if (a->kind == GATEWAY_AUTH_PRESIGNED_V2) {
    check_claim_v2(a);
    return;
  }
  FUZZ_ASSERT(a->region != NULL && a->region[0] != '\0');
  FUZZ_ASSERT(a->service != NULL && strcmp(a->service, "s3") == 0);
  FUZZ_ASSERT(strlen(a->signature) == 64);
  for (size_t i = 0; i < 64; i++)
    FUZZ_ASSERT(strchr("0123456789abcdef", a->signature[i]) != NULL);
  bool host = false;
  for (size_t i = 0; i < a->signed_header_count; i++)
    host |= strcmp(a->signed_headers[i], "host") == 0;
  FUZZ_ASSERT(host);
  FUZZ_ASSERT(strlen(a->amz_date) == 16);
  FUZZ_ASSERT(a->kind == GATEWAY_AUTH_HEADER ||
              (a->expires >= 1 && a->expires <= 604800));
  FUZZ_ASSERT(a->payload_line != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_string(data, size);
  if (text == NULL)
    return 0;
  fields f = {{NULL, NULL, NULL, NULL, NULL}};
  char *line = text;
  for (size_t i = 0; i < 5 && line != NULL; i++) {
    char *newline = strchr(line, '\n');
    if (newline != NULL)
      *newline = '\0';
    f.value[i] = line;
    line = newline ? newline + 1 : NULL;
  }
  gateway_request r = {.method = "GET",
                       .host = "127.0.0.1:9000",
                       .path = f.value[4] ? f.value[4] : "/bucket/key",
                       .query = f.value[1] ? f.value[1] : "",
                       .header = fields_header,
                       .context = &f,
                       .now = 1795600800};
  if (f.value[0] != NULL && f.value[0][0] == '\0')
    f.value[0] = NULL; /* an empty first line: no Authorization header */
  gateway_auth a;
  pail_error *err = NULL;
  if (gateway_auth_parse(&r, &a, &err) != PAIL_OK) {
    check_refusal(err);
    pail_error_free(err);
    free(text);
    return 0;
  }
  check_claim(&a);
  r.now = a.at;
  if (gateway_auth_verify(&a, &r, FUZZ_SECRET, &err) != PAIL_OK) {
    check_refusal(err);
    pail_error_free(err);
  }
  gateway_auth_clear(&a);
  free(text);
  return 0;
}
