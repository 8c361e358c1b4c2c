/*
 * crypto.c: hashing, HMAC, hex and randomness, all from OpenSSL. One place
 * for the core and, through the services table, for every plugin.
 */
#include "internal.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

void crypto_sha256(const void *data, size_t length, unsigned char out[32]) {
  unsigned int n = 32;
  EVP_Digest(data, length, out, &n, EVP_sha256(), NULL);
}

void crypto_hmac_sha256(const void *key, size_t key_length, const void *data,
                        size_t length, unsigned char out[32]) {
  unsigned int n = 32;
  HMAC(EVP_sha256(), key, (int)key_length, data, length, out, &n);
}

void crypto_md5(const void *data, size_t length, unsigned char out[16]) {
  unsigned int n = 16;
  EVP_Digest(data, length, out, &n, EVP_md5(), NULL);
}

size_t crypto_base64_encode(const unsigned char *data, size_t length,
                            char *out) {
  return (size_t)EVP_EncodeBlock((unsigned char *)out, data, (int)length);
}

void crypto_hex_encode(const unsigned char *data, size_t length, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < length; i++) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0x0f];
  }
  out[2 * length] = '\0';
}

pail_status crypto_random(void *buffer, size_t length, pail_error **err) {
  if (RAND_bytes(buffer, (int)length) != 1)
    return pail_error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                          "the system random number generator failed");
  return PAIL_OK;
}
