/*
 * grant.c: workspace-signed grants (DESIGN.md section 5), the "presigned"
 * field of a pointer: "exp=<unix>&sig=<hex HMAC-SHA256>" over
 * "file_key=<key>&exp=<unix>[&storage=<name>]" with the workspace key. They
 * stand in for presigned URLs on backends that cannot make them.
 */
#include "internal.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define SIG_HEX_LENGTH 64
/* Enough decimal digits for any non-negative int64_t. */
#define EXP_MAX_DIGITS 19

/* Hex HMAC of the grant message into hex (SIG_HEX_LENGTH + 1 bytes). */
static pail_status grant_signature(const unsigned char *secret,
                                   size_t secret_length, const char *key,
                                   const char *storage, int64_t expires_at,
                                   char *hex, pail_error **err) {
  char *message =
      storage ? str_printf("file_key=%s&exp=%lld&storage=%s", key,
                           (long long)expires_at, storage)
              : str_printf("file_key=%s&exp=%lld", key, (long long)expires_at);
  if (message == NULL)
    return error_no_memory(err);
  unsigned char mac[32];
  crypto_hmac_sha256(secret, secret_length, message, strlen(message), mac);
  crypto_hex_encode(mac, sizeof mac, hex);
  OPENSSL_cleanse(mac, sizeof mac);
  free(message);
  return PAIL_OK;
}

/* The primary storage signs as no storage, however the pointer names it. */
static const char *grant_storage(const char *storage) {
  return storage && strcmp(storage, "_default_") != 0 ? storage : NULL;
}

pail_status grant_compute(const unsigned char *secret, size_t secret_length,
                          const char *key, const char *storage,
                          int64_t expires_at, char **presigned,
                          pail_error **err) {
  *presigned = NULL;
  if (key == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "cannot sign a grant without a key");
  if (expires_at < 0)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "cannot sign a grant that expires before 1970 "
                          "(%lld)",
                          (long long)expires_at);
  char hex[SIG_HEX_LENGTH + 1];
  pail_status status = grant_signature(
      secret, secret_length, key, grant_storage(storage), expires_at, hex, err);
  if (status != PAIL_OK)
    return status;
  *presigned = str_printf("exp=%lld&sig=%s", (long long)expires_at, hex);
  return *presigned ? PAIL_OK : error_no_memory(err);
}

static pail_status malformed(pail_error **err, const char *reason) {
  return pail_error_set(err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                        "malformed grant: %s (expected "
                        "\"exp=<seconds>&sig=<64 lowercase hex digits>\")",
                        reason);
}

/* Splits "exp=<digits>&sig=<64 lowercase hex>" exactly: no other fields,
 * no leading zeros (so each expiry has one spelling), nothing after. */
static pail_status grant_parse(const char *presigned, int64_t *expires_at,
                               const char **sig, pail_error **err) {
  if (strncmp(presigned, "exp=", 4) != 0)
    return malformed(err, "it does not start with \"exp=\"");
  const char *digits = presigned + 4;
  size_t n = strspn(digits, "0123456789");
  if (n == 0)
    return malformed(err, "exp is not a number of seconds");
  if (n > EXP_MAX_DIGITS || (n > 1 && digits[0] == '0'))
    return malformed(err, "exp is out of range");
  int64_t value = 0;
  for (size_t i = 0; i < n; i++) {
    if (value > (INT64_MAX - (digits[i] - '0')) / 10)
      return malformed(err, "exp is out of range");
    value = value * 10 + (digits[i] - '0');
  }
  const char *rest = digits + n;
  if (strncmp(rest, "&sig=", 5) != 0)
    return malformed(err, *rest == '\0' ? "there is no sig"
                                        : "exp is not followed by \"&sig=\"");
  rest += 5;
  size_t hex = strspn(rest, "0123456789abcdef");
  if (hex != SIG_HEX_LENGTH)
    return malformed(err, "sig is not 64 lowercase hex digits");
  if (rest[hex] != '\0')
    return malformed(err, "unexpected text after sig");
  *expires_at = value;
  *sig = rest;
  return PAIL_OK;
}

pail_status grant_check(const unsigned char *secret, size_t secret_length,
                        const char *key, const char *storage,
                        const char *presigned, int64_t now, pail_error **err) {
  if (presigned == NULL)
    return pail_error_set(err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                          "the pointer carries no grant");
  if (key == NULL)
    return pail_error_set(err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                          "a grant needs a key");
  int64_t expires_at = 0;
  const char *given = NULL;
  pail_status status = grant_parse(presigned, &expires_at, &given, err);
  if (status != PAIL_OK)
    return status;
  char expected[SIG_HEX_LENGTH + 1];
  status = grant_signature(secret, secret_length, key, grant_storage(storage),
                           expires_at, expected, err);
  if (status != PAIL_OK)
    return status;
  bool valid = CRYPTO_memcmp(expected, given, SIG_HEX_LENGTH) == 0;
  OPENSSL_cleanse(expected, sizeof expected);
  if (!valid)
    return pail_error_set(err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                          "grant refused: its signature does not match this "
                          "key and storage under the workspace key");
  /* The grant is good through its expiry second, as with presigned URLs. */
  if (now > expires_at) {
    char when[32];
    clock_format_rfc3339(expires_at, when);
    return pail_error_set(err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                          "grant expired at %s", when);
  }
  return PAIL_OK;
}

pail_status pail_grant_create(pail_workspace *workspace,
                              const pail_pointer *pointer, int64_t expires_at,
                              char **presigned, pail_error **err) {
  if (presigned == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "no place for the grant");
  *presigned = NULL;
  if (workspace == NULL || pointer == NULL || pointer->key == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "a grant needs a workspace and a pointer");
  /* Only keys that could be read may be granted. */
  pail_status status = pail_key_check(pointer->key, strlen(pointer->key), err);
  if (status != PAIL_OK)
    return status;
  unsigned char *secret;
  size_t length;
  status = workspace_signing_key(workspace, &secret, &length, err);
  if (status != PAIL_OK)
    return status;
  return grant_compute(secret, length, pointer->key, pointer->storage,
                       expires_at, presigned, err);
}

pail_status pail_grant_verify(pail_workspace *workspace,
                              const pail_pointer *pointer, int64_t now,
                              pail_error **err) {
  if (workspace == NULL || pointer == NULL)
    return pail_error_set(err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                          "a grant needs a workspace and a pointer");
  if (pointer->presigned == NULL)
    return pail_error_set(err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                          "the pointer carries no grant");
  unsigned char *secret;
  size_t length;
  /* Without a workspace key no grant can be checked: deny, saying why. */
  pail_error *key_error = NULL;
  if (workspace_signing_key(workspace, &secret, &length, &key_error) !=
      PAIL_OK) {
    pail_error_set(err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                   "cannot check the grant: %s", pail_error_message(key_error));
    pail_error_free(key_error);
    return PAIL_ERR_ACCESS_DENIED;
  }
  return grant_check(secret, length, pointer->key, pointer->storage,
                     pointer->presigned, now ? now : clock_now(NULL), err);
}
