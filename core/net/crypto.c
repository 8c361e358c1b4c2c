/*
 * crypto.c: hashing, HMAC, hex and randomness, all from OpenSSL. One place
 * for the core and, through the services table, for every plugin.
 */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

/* Read in blocks of this size: large enough for few system calls, small
 * enough to stay in the CPU's cache while it is hashed. */
#define FILE_HASH_BLOCK (256 * 1024)

pail_status crypto_file_read(int fd, uint64_t offset, void *out, size_t length,
                             pail_error **err) {
  for (size_t done = 0; done < length;) {
    ssize_t n =
        pread(fd, (char *)out + done, length - done, (off_t)(offset + done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return pail_error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                            "cannot read the local file: %s", strerror(errno));
    if (n == 0)
      return pail_error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                            "the local file ended %llu bytes early (it "
                            "changed during the upload)",
                            (unsigned long long)(length - done));
    done += (size_t)n;
  }
  return PAIL_OK;
}

pail_status crypto_sha256_file(int fd, uint64_t offset, uint64_t length,
                               unsigned char out[32], pail_error **err) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  unsigned char *buffer = malloc(FILE_HASH_BLOCK);
  pail_status status = PAIL_OK;
  if (ctx == NULL || buffer == NULL ||
      EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
    status = error_no_memory(err);
  while (status == PAIL_OK && length > 0) {
    size_t want = length < FILE_HASH_BLOCK ? (size_t)length : FILE_HASH_BLOCK;
    status = crypto_file_read(fd, offset, buffer, want, err);
    if (status == PAIL_OK && EVP_DigestUpdate(ctx, buffer, want) != 1)
      status = error_no_memory(err);
    offset += want;
    length -= want;
  }
  unsigned int size = 32;
  if (status == PAIL_OK && EVP_DigestFinal_ex(ctx, out, &size) != 1)
    status = error_no_memory(err);
  EVP_MD_CTX_free(ctx);
  free(buffer);
  return status;
}

/* OpenSSL 3 looks an algorithm up by name ("fetches" it) on every use of
 * EVP_sha256() and HMAC(), and HMAC() builds a new context each time: for a
 * presigned URL (three short hashes) that was half the cost. The algorithms
 * are fetched once, and each thread keeps one digest context and one HMAC
 * context (bound to SHA-256) that every call re-initialises. */
typedef struct hash_contexts {
  EVP_MD_CTX *md;
  EVP_MAC_CTX *mac;
} hash_contexts;

static pthread_once_t hash_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md; /* NULL: fall back to EVP_sha256() */
static EVP_MAC *hmac_mac; /* NULL: fall back to HMAC() */
static pthread_key_t hash_key;
static bool hash_key_made;

static void hash_contexts_free(void *p) {
  hash_contexts *c = p;
  EVP_MD_CTX_free(c->md);
  EVP_MAC_CTX_free(c->mac);
  free(c);
}

static void hash_init(void) {
  sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
  hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  hash_key_made = pthread_key_create(&hash_key, hash_contexts_free) == 0;
}

/* Should libpail be unloaded (dlclose) while threads that hashed live on,
 * their exit must not call hash_contexts_free, which goes with it: the key
 * is deleted, and their contexts are left to the process. */
__attribute__((destructor)) static void hash_unload(void) {
  if (hash_key_made) {
    pthread_key_delete(hash_key);
    hash_key_made = false;
  }
}

/* This thread's contexts, made on first use; NULL when out of memory (the
 * caller then takes OpenSSL's one-shot functions). */
static hash_contexts *thread_contexts(void) {
  pthread_once(&hash_once, hash_init);
  if (!hash_key_made || sha256_md == NULL || hmac_mac == NULL)
    return NULL;
  hash_contexts *c = pthread_getspecific(hash_key);
  if (c != NULL)
    return c;
  c = calloc(1, sizeof *c);
  if (c == NULL)
    return NULL;
  c->md = EVP_MD_CTX_new();
  c->mac = EVP_MAC_CTX_new(hmac_mac);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
      OSSL_PARAM_construct_end()};
  if (c->md == NULL || c->mac == NULL ||
      EVP_MAC_CTX_set_params(c->mac, params) != 1 ||
      pthread_setspecific(hash_key, c) != 0) {
    hash_contexts_free(c);
    return NULL;
  }
  return c;
}

void crypto_sha256(const void *data, size_t length, unsigned char out[32]) {
  unsigned int n = 32;
  hash_contexts *c = thread_contexts();
  if (c != NULL && EVP_DigestInit_ex2(c->md, sha256_md, NULL) == 1 &&
      EVP_DigestUpdate(c->md, data, length) == 1 &&
      EVP_DigestFinal_ex(c->md, out, &n) == 1)
    return;
  EVP_Digest(data, length, out, &n, EVP_sha256(), NULL);
}

void crypto_hmac_sha256(const void *key, size_t key_length, const void *data,
                        size_t length, unsigned char out[32]) {
  hash_contexts *c = thread_contexts();
  size_t n = 32;
  /* A zero-length key must still be given (NULL would keep the last). */
  static const unsigned char no_key[1];
  if (c != NULL &&
      EVP_MAC_init(c->mac, key_length ? key : no_key, key_length, NULL) == 1 &&
      EVP_MAC_update(c->mac, data, length) == 1 &&
      EVP_MAC_final(c->mac, out, &n, 32) == 1)
    return;
  unsigned int m = 32;
  HMAC(EVP_sha256(), key, (int)key_length, data, length, out, &m);
}

void crypto_hmac_sha1(const void *key, size_t key_length, const void *data,
                      size_t length, unsigned char out[20]) {
  unsigned int m = 20;
  static const unsigned char no_key[1];
  HMAC(EVP_sha1(), key_length ? key : no_key, (int)key_length, data, length,
       out, &m);
}

void crypto_md5(const void *data, size_t length, unsigned char out[16]) {
  unsigned int n = 16;
  EVP_Digest(data, length, out, &n, EVP_md5(), NULL);
}

/* A digest is an EVP_MD_CTX under another name, so that callers need no
 * OpenSSL header. */
static const EVP_MD *digest_md(crypto_digest_kind kind) {
  switch (kind) {
  case CRYPTO_DIGEST_SHA1:
    return EVP_sha1();
  case CRYPTO_DIGEST_MD5:
    return EVP_md5();
  case CRYPTO_DIGEST_SHA256:
  default:
    return EVP_sha256();
  }
}

crypto_digest *crypto_digest_new(crypto_digest_kind kind) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (ctx != NULL && EVP_DigestInit_ex(ctx, digest_md(kind), NULL) != 1) {
    EVP_MD_CTX_free(ctx);
    ctx = NULL;
  }
  return (crypto_digest *)ctx;
}

void crypto_digest_update(crypto_digest *digest, const void *data,
                          size_t length) {
  if (length > 0)
    EVP_DigestUpdate((EVP_MD_CTX *)digest, data, length);
}

size_t crypto_digest_final(crypto_digest *digest, unsigned char out[32]) {
  EVP_MD_CTX *ctx = (EVP_MD_CTX *)digest;
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx, out, &size) != 1 ||
      EVP_DigestInit_ex(ctx, NULL, NULL) != 1)
    return 0;
  return size;
}

void crypto_digest_free(crypto_digest *digest) {
  EVP_MD_CTX_free((EVP_MD_CTX *)digest);
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

pail_status crypto_base64_decode(const char *text, size_t length,
                                 unsigned char *out, size_t *out_length) {
  /* EVP_DecodeBlock skips leading/trailing whitespace and reports padding
   * bytes as data, so the shape is checked here first. */
  *out_length = 0;
  if (length % 4 != 0 || length > INT_MAX)
    return PAIL_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < length; i++) {
    unsigned char c = (unsigned char)text[i];
    int is_pad = c == '=' && i >= length - 2 &&
                 (i == length - 1 || text[length - 1] == '=');
    if (!isalnum(c) && c != '+' && c != '/' && !is_pad)
      return PAIL_ERR_INVALID_ARGUMENT;
  }
  if (length == 0)
    return PAIL_OK;
  int n = EVP_DecodeBlock(out, (const unsigned char *)text, (int)length);
  if (n < 0)
    return PAIL_ERR_INVALID_ARGUMENT;
  size_t padding = (text[length - 1] == '=') + (text[length - 2] == '=');
  *out_length = (size_t)n - padding;
  return PAIL_OK;
}

size_t crypto_base64url_encode(const unsigned char *data, size_t length,
                               char *out) {
  size_t n = crypto_base64_encode(data, length, out);
  while (n > 0 && out[n - 1] == '=')
    out[--n] = '\0';
  for (size_t i = 0; i < n; i++) {
    if (out[i] == '+')
      out[i] = '-';
    else if (out[i] == '/')
      out[i] = '_';
  }
  return n;
}

/* pail_private_key is OpenSSL's EVP_PKEY under another name, so that the
 * plugin header does not need OpenSSL's. */
pail_private_key *crypto_private_key_load(const char *pem, size_t length,
                                          pail_error **err) {
  if (pem == NULL || length == 0 || length > INT_MAX) {
    pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                   "the private key is empty");
    return NULL;
  }
  BIO *bio = BIO_new_mem_buf(pem, (int)length);
  EVP_PKEY *key =
      bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
  BIO_free(bio);
  /* Nothing of OpenSSL's error queue goes into the message: it can quote
   * the PEM it failed on. */
  ERR_clear_error();
  if (key == NULL) {
    pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                   "the private key is not a PEM private key (expected "
                   "-----BEGIN PRIVATE KEY-----)");
    return NULL;
  }
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
    EVP_PKEY_free(key);
    pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                   "the private key is not an RSA key");
    return NULL;
  }
  return (pail_private_key *)key;
}

void crypto_private_key_free(pail_private_key *key) {
  EVP_PKEY_free((EVP_PKEY *)key);
}

pail_status crypto_rsa_sha256_sign(const pail_private_key *key,
                                   const void *data, size_t length,
                                   unsigned char **signature,
                                   size_t *signature_length, pail_error **err) {
  *signature = NULL;
  *signature_length = 0;
  EVP_PKEY *pkey = (EVP_PKEY *)key;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  size_t n = 0;
  unsigned char *out = NULL;
  int ok = ctx != NULL &&
           EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) == 1 &&
           EVP_DigestSign(ctx, NULL, &n, data, length) == 1 &&
           (out = malloc(n)) != NULL &&
           EVP_DigestSign(ctx, out, &n, data, length) == 1;
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  if (!ok) {
    free(out);
    return pail_error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                          "RSA-SHA256 signing failed");
  }
  *signature = out;
  *signature_length = n;
  return PAIL_OK;
}
