/*
 * keys.c: the S3 gateway's access keys. A key carries its own scope: the
 * access key id is "PK1" followed by the base64url of a small JSON document
 *
 *   {"k": signing key id, "u": user, "e": expiry, "a": "rwdl",
 *    "s": [storages], "p": [prefixes]}
 *
 * and the secret is the base64url of HMAC-SHA256(signing key, id). A
 * gateway recomputes the secret from the id alone, so any number of
 * gateways that share the settings check keys with no database (as
 * Windmill's proxy does with a job token); changing one byte of the id
 * changes its secret, so nobody without the signing key can widen a scope.
 * The two strings are all a client needs: no session token, which many
 * tools cannot carry.
 */
#include "keys.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define KEY_ID_PREFIX "PK1"
#define KEY_ID_PREFIX_LENGTH 3
/* An id is at most this long: a scope of a few dozen prefixes. Servers put
 * the id in a header line, and a header has limits. */
#define KEY_ID_MAX 4096
#define DEFAULT_EXPIRES 3600

static const char access_letters[] = "rwdl";
static const unsigned access_bits[] = {PAIL_ACCESS_READ, PAIL_ACCESS_WRITE,
                                       PAIL_ACCESS_DELETE, PAIL_ACCESS_LIST};

void pail_credentials_clear(pail_credentials *c) {
  if (c == NULL)
    return;
  free(c->access_key_id);
  if (c->secret_access_key != NULL) {
    OPENSSL_cleanse(c->secret_access_key, strlen(c->secret_access_key));
    free(c->secret_access_key);
  }
  memset(c, 0, sizeof *c);
}

void gateway_key_claims_clear(gateway_key_claims *claims) {
  if (claims == NULL)
    return;
  free(claims->signing_key_id);
  free(claims->username);
  for (size_t i = 0; i < claims->scope.storage_count; i++)
    free(claims->storages[i]);
  for (size_t i = 0; i < claims->scope.prefix_count; i++)
    free(claims->prefixes[i]);
  free(claims->storages);
  free(claims->prefixes);
  memset(claims, 0, sizeof *claims);
}

/* The secret of id under the signing key's 32 bytes. */
static void secret_of(const unsigned char key[32], const char *id,
                      char secret[GATEWAY_SECRET_SIZE]) {
  unsigned char mac[32];
  crypto_hmac_sha256(key, 32, id, strlen(id), mac);
  /* The encoder writes the padded form first: 44 characters and a NUL. */
  char text[4 * ((sizeof mac + 2) / 3) + 1];
  crypto_base64url_encode(mac, sizeof mac, text);
  memcpy(secret, text, GATEWAY_SECRET_SIZE - 1);
  secret[GATEWAY_SECRET_SIZE - 1] = '\0';
  OPENSSL_cleanse(mac, sizeof mac);
  OPENSSL_cleanse(text, sizeof text);
}

static json_t *string_array(const char *const *items, size_t count) {
  json_t *array = json_array();
  for (size_t i = 0; array != NULL && i < count; i++)
    if (json_array_append_new(array, json_string(items[i])) != 0) {
      json_decref(array);
      return NULL;
    }
  return array;
}

/* The claims document of a key, compact and in a fixed member order. */
static char *claims_text(const char *signing_key_id, const char *username,
                         int64_t expires_at, const pail_scope *scope) {
  char access[5];
  size_t n = 0;
  for (size_t i = 0; i < 4; i++)
    if (scope->access & access_bits[i])
      access[n++] = access_letters[i];
  access[n] = '\0';
  json_t *doc =
      json_pack("{s:s, s:s*, s:I, s:s, s:o, s:o}", "k", signing_key_id, "u",
                username, "e", (json_int_t)expires_at, "a", access, "s",
                string_array(scope->storages, scope->storage_count), "p",
                string_array(scope->prefixes, scope->prefix_count));
  char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  json_decref(doc);
  return text;
}

pail_status pail_credentials_mint(pail_workspace *ws,
                                  const pail_credentials_options *options,
                                  pail_credentials *out, pail_error **err) {
  ARGUMENT_REQUIRED(err, out, "place for the credentials");
  memset(out, 0, sizeof *out);
  ARGUMENT_REQUIRED(err, ws, "workspace");
  pail_credentials_options opts = PAIL_CREDENTIALS_OPTIONS_INIT;
  OPTIONS_ADOPT(opts, options);
  if (!workspace_is_root(ws))
    return pail_error_set(err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                          "only a workspace opened from settings mints "
                          "gateway keys, not a narrowed one");
  int64_t expires = opts.expires == 0 ? DEFAULT_EXPIRES : opts.expires;
  if (expires < 1 || expires > PAIL_SIGN_MAX_EXPIRES)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "keys expire after 1 to %d seconds (7 days), not "
                          "%lld",
                          PAIL_SIGN_MAX_EXPIRES, (long long)expires);
  pail_scope scope = PAIL_SCOPE_INIT;
  OPTIONS_ADOPT(scope, opts.scope);
  /* The checks of a view (storages exist, prefixes are prefixes). */
  pail_workspace *view = NULL;
  pail_status status = pail_workspace_narrow(ws, &scope, &view, err);
  pail_workspace_close(view);
  if (status != PAIL_OK)
    return status;
  unsigned char key[32];
  const char *signing_key_id = NULL;
  status = workspace_gateway_key(ws, NULL, key, &signing_key_id, err);
  if (status != PAIL_OK)
    return status;
  const char *username =
      scope.username != NULL ? scope.username : workspace_username(ws);
  int64_t at = opts.at != 0 ? opts.at : pail_time_now();
  char *claims =
      claims_text(signing_key_id, username && *username ? username : NULL,
                  at + expires, &scope);
  size_t length = claims ? strlen(claims) : 0;
  char *id =
      claims ? malloc(KEY_ID_PREFIX_LENGTH + 4 * (length + 2) / 3 + 1) : NULL;
  char *secret = malloc(GATEWAY_SECRET_SIZE);
  if (id != NULL) {
    memcpy(id, KEY_ID_PREFIX, KEY_ID_PREFIX_LENGTH);
    crypto_base64url_encode((const unsigned char *)claims, length,
                            id + KEY_ID_PREFIX_LENGTH);
  }
  free(claims);
  if (id == NULL || secret == NULL) {
    free(id);
    free(secret);
    OPENSSL_cleanse(key, sizeof key);
    return error_no_memory(err);
  }
  if (strlen(id) > KEY_ID_MAX) {
    free(id);
    free(secret);
    OPENSSL_cleanse(key, sizeof key);
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "the scope is too large for an access key id "
                          "(more than %d characters): name fewer prefixes",
                          KEY_ID_MAX);
  }
  secret_of(key, id, secret);
  OPENSSL_cleanse(key, sizeof key);
  out->access_key_id = id;
  out->secret_access_key = secret;
  out->expires_at = at + expires;
  return PAIL_OK;
}

/* Decodes base64url without padding into a new NUL-ended string. */
static char *base64url_decode(const char *text, size_t length) {
  if (length % 4 == 1)
    return NULL;
  size_t padded = (length + 3) / 4 * 4;
  char *standard = malloc(padded + 1);
  unsigned char *out = malloc(padded / 4 * 3 + 1);
  size_t got = 0;
  bool ok = standard != NULL && out != NULL;
  for (size_t i = 0; ok && i < padded; i++) {
    char c = i < length ? text[i] : '=';
    standard[i] = c == '-' ? '+' : c == '_' ? '/' : c;
    ok = c != '+' && c != '/' && (i < length || c == '=');
  }
  ok = ok && crypto_base64_decode(standard, padded, out, &got) == PAIL_OK &&
       memchr(out, '\0', got) == NULL;
  free(standard);
  if (!ok) {
    free(out);
    return NULL;
  }
  out[got] = '\0';
  return (char *)out;
}

static bool strings_from(json_t *array, char ***out, size_t *count) {
  *out = NULL;
  *count = 0;
  if (!json_is_array(array))
    return false;
  size_t n = json_array_size(array);
  if (n == 0)
    return true;
  if ((*out = calloc(n, sizeof **out)) == NULL)
    return false;
  for (size_t i = 0; i < n; i++) {
    const char *s = json_string_value(json_array_get(array, i));
    if (s == NULL || ((*out)[i] = strdup(s)) == NULL) {
      *count = n; /* so that clearing frees what was copied */
      return false;
    }
  }
  *count = n;
  return true;
}

/* Parses the claims document of an id into claims. */
static bool claims_parse(const char *text, gateway_key_claims *claims) {
  json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
  const char *k = NULL, *u = NULL, *a = NULL;
  json_int_t e = 0;
  json_t *storages = NULL, *prefixes = NULL;
  bool ok = doc != NULL && json_unpack(doc, "{s:s, s?s, s:I, s:s, s:o, s:o !}",
                                       "k", &k, "u", &u, "e", &e, "a", &a, "s",
                                       &storages, "p", &prefixes) == 0;
  claims->scope = (pail_scope)PAIL_SCOPE_INIT;
  claims->scope.access = 0;
  for (const char *c = ok ? a : ""; ok && *c; c++) {
    const char *at = strchr(access_letters, *c);
    ok = at != NULL;
    if (ok)
      claims->scope.access |= access_bits[at - access_letters];
  }
  if (ok) {
    claims->signing_key_id = strdup(k);
    claims->username = u ? strdup(u) : NULL;
    claims->expires_at = (int64_t)e;
    ok = claims->signing_key_id != NULL && (u == NULL || claims->username);
  }
  ok =
      ok &&
      strings_from(storages, &claims->storages, &claims->scope.storage_count) &&
      strings_from(prefixes, &claims->prefixes, &claims->scope.prefix_count);
  json_decref(doc);
  claims->scope.username = claims->username;
  claims->scope.storages = (const char *const *)claims->storages;
  claims->scope.prefixes = (const char *const *)claims->prefixes;
  return ok;
}

pail_status gateway_key_secret(pail_workspace *ws, const char *access_key_id,
                               char secret[GATEWAY_SECRET_SIZE],
                               gateway_key_claims *claims, pail_error **err) {
  memset(claims, 0, sizeof *claims);
  size_t length = strlen(access_key_id);
  char *text = NULL;
  if (length <= KEY_ID_MAX && length > KEY_ID_PREFIX_LENGTH &&
      memcmp(access_key_id, KEY_ID_PREFIX, KEY_ID_PREFIX_LENGTH) == 0)
    text = base64url_decode(access_key_id + KEY_ID_PREFIX_LENGTH,
                            length - KEY_ID_PREFIX_LENGTH);
  bool ok = text != NULL && claims_parse(text, claims);
  free(text);
  if (!ok) {
    gateway_key_claims_clear(claims);
    return pail_error_set(err, PAIL_ERR_ACCESS_DENIED, 403,
                          "InvalidAccessKeyId", NULL,
                          "the access key id is not one this gateway "
                          "issued");
  }
  unsigned char key[32];
  const char *id_out;
  pail_status status =
      workspace_gateway_key(ws, claims->signing_key_id, key, &id_out, err);
  if (status != PAIL_OK) {
    gateway_key_claims_clear(claims);
    return status;
  }
  secret_of(key, access_key_id, secret);
  OPENSSL_cleanse(key, sizeof key);
  return PAIL_OK;
}

pail_status gateway_key_open(pail_workspace *ws,
                             const gateway_key_claims *claims, int64_t now,
                             pail_workspace **view, pail_error **err) {
  *view = NULL;
  if (now > claims->expires_at) {
    char when[32];
    clock_format_rfc3339(claims->expires_at, when);
    return pail_error_set(err, PAIL_ERR_ACCESS_DENIED, 400, "ExpiredToken",
                          NULL, "the access key expired at %s", when);
  }
  return pail_workspace_narrow(ws, &claims->scope, view, err);
}
