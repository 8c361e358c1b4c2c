/*
 * redact.c: the one place that decides what is a secret in text pail shows
 * (messages, log lines, errors) and replaces it by "***". Three sources of
 * secrets: the values of a storage's secret fields (and the credential
 * members of a secret given as JSON), the "user:password" of a URL, and the
 * secret parameters of a request URL's query (signatures, credentials,
 * tokens, keys). One word list decides, for a JSON member as for a query
 * parameter, whether a name holds a credential.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ names */

/* A name holding one of these (in any case) holds a credential: AWS
 * X-Amz-Signature and X-Amz-Credential, GCS X-Goog-Signature, session
 * tokens, client_secret, refresh_token, password. */
static const char *const secret_words[] = {"signature", "credential", "token",
                                           "secret", "password"};

static char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* Whether word (lowercase) is in the length bytes of name at at, in any
 * case. */
static bool word_at(const char *name, size_t length, size_t at,
                    const char *word) {
  size_t n = strlen(word);
  if (at + n > length)
    return false;
  for (size_t i = 0; i < n; i++)
    if (lower(name[at + i]) != word[i])
      return false;
  return true;
}

/* Whether the length bytes of name contain word (lowercase), in any case. */
static bool name_contains(const char *name, size_t length, const char *word) {
  for (size_t at = 0; at < length; at++)
    if (word_at(name, length, at, word))
      return true;
  return false;
}

/* "key" names a credential at the end of a name (accountKey, private_key,
 * x-api-key) or before an underscore (private_key_id); elsewhere it is
 * part of an ordinary word that logs should keep readable (S3's max-keys
 * and key-marker, keyFile). */
static bool name_has_key_part(const char *name, size_t length) {
  for (size_t at = 0; at + 3 <= length; at++)
    if (word_at(name, length, at, "key") &&
        (at + 3 == length || name[at + 3] == '_'))
      return true;
  return false;
}

bool redact_name_is_secret(const char *name, size_t length) {
  /* Azure SAS and workspace grants sign with "sig", matched whole: as a
   * part of a name it is too common. */
  if (length == 3 && word_at(name, length, 0, "sig"))
    return true;
  if (name_has_key_part(name, length))
    return true;
  for (size_t i = 0; i < sizeof secret_words / sizeof secret_words[0]; i++)
    if (name_contains(name, length, secret_words[i]))
      return true;
  return false;
}

/* A member of a secret JSON object that names an address (token_uri,
 * auth_provider_x509_cert_url) is not a credential, whatever word it
 * holds: so that the account's endpoint URLs, e-mail and project stay
 * readable in messages. */
static bool member_is_credential(const char *name) {
  size_t n = strlen(name);
  if (n > 4 &&
      (strcmp(name + n - 4, "_uri") == 0 || strcmp(name + n - 4, "_url") == 0))
    return false;
  return redact_name_is_secret(name, n);
}

/* ----------------------------------------------------------- values */

/* Replaces in text every occurrence of secret (3 bytes or more) by "***",
 * until none is left: a "***" put in can complete another occurrence with
 * the bytes before it (fuzz_url found "&?&?*" and the needle "&?*"), so the
 * search starts over from the beginning. It ends: each replacement shortens
 * the text or, for a 3-byte secret other than "***" itself, adds a '*'. */
bool redact_occurrences(char *text, const char *secret, size_t length) {
  if (text == NULL || secret == NULL || length < 3 ||
      (length == 3 && memcmp(secret, "***", 3) == 0))
    return false;
  bool replaced = false;
  char *hit;
  while ((hit = memmem(text, strlen(text), secret, length)) != NULL) {
    memcpy(hit, "***", 3);
    memmove(hit + 3, hit + length, strlen(hit + length) + 1);
    replaced = true;
  }
  return replaced;
}

static void redact_string(char *text, const char *secret) {
  if (secret != NULL)
    redact_occurrences(text, secret, strlen(secret));
}

/* Redacts the credential members of a secret JSON object or array. */
static void redact_json(char *text, const json_t *value, bool credential) {
  if (json_is_string(value)) {
    if (credential)
      redact_string(text, json_string_value(value));
  } else if (json_is_object(value)) {
    const char *name;
    json_t *member;
    json_object_foreach((json_t *)value, name, member)
        redact_json(text, member, credential || member_is_credential(name));
  } else if (json_is_array(value)) {
    size_t i;
    json_t *item;
    json_array_foreach(value, i, item) redact_json(text, item, credential);
  }
}

/* Replaces every "user:password@" in text by "***@": the userinfo of a URL
 * or endpoint a setting gave (which no secret field names) is quoted by
 * messages that say what is wrong with it. */
static void redact_userinfo(char *text) {
  static const char boundary[] = " \t\n\"'/(<[,;=";
  for (char *at = strchr(text, '@'); at != NULL; at = strchr(at + 1, '@')) {
    char *start = at;
    while (start > text && strchr(boundary, start[-1]) == NULL)
      start--;
    size_t n = (size_t)(at - start);
    if (memchr(start, ':', n) == NULL)
      continue; /* no password: an e-mail address, a user name */
    if (n <= 3) {
      memset(start, '*', n);
      continue;
    }
    memcpy(start, "***", 3);
    memmove(start + 3, at, strlen(at) + 1);
    at = start + 3;
  }
}

/* The values of the storage's secret fields. */
static void config_redact_fields(const pail_config *cfg, char *text) {
  if (cfg == NULL || cfg->fields == NULL)
    return;
  for (const pail_backend_field *f = cfg->fields; f->name != NULL; f++) {
    if (!f->secret)
      continue;
    const json_t *value = config_field(cfg, f->name);
    if (json_is_string(value)) {
      redact_string(text, json_string_value(value));
      /* A service account key is often given as a string of JSON. */
      json_t *inner = json_loads(json_string_value(value), 0, NULL);
      redact_json(text, inner, false);
      json_decref(inner);
    } else {
      redact_json(text, value, false);
    }
  }
}

/* Runs pass over text until it changes nothing. Redacting one secret can
 * splice the text around it into another ("a" + "***" + "b" where a secret
 * is "***b"), so one pass is not always enough; each pass that changes
 * anything shortens the text or turns a character into '*', so passes
 * end. Without memory for the comparison, one pass is all. */
static void redact_fully(char *text, void (*pass)(char *, const void *),
                         const void *what) {
  char *before = NULL;
  do {
    free(before);
    before = strdup(text);
    pass(text, what);
  } while (before != NULL && strcmp(before, text) != 0);
  free(before);
}

static void document_pass(char *text, const void *root) {
  redact_json(text, root, false);
}

void document_redact(const char *json, size_t length, char *text) {
  if (text == NULL || json == NULL)
    return;
  json_t *root = json_loadb(json, length, 0, NULL);
  if (root != NULL)
    redact_fully(text, document_pass, root);
  json_decref(root);
}

static void config_pass(char *text, const void *cfg) {
  config_redact_fields(cfg, text);
  redact_userinfo(text); /* after: a secret in a password is *** by now */
}

void config_redact(const pail_config *cfg, char *text) {
  if (text != NULL)
    redact_fully(text, config_pass, cfg);
}

/* ----------------------------------------------------------- queries */

size_t redact_query_copy(char *out, const char *query, size_t length) {
  size_t n = 0;
  const char *p = query, *end = query + length;
  while (p < end) {
    const char *amp = memchr(p, '&', (size_t)(end - p));
    const char *stop = amp ? amp : end;
    const char *eq = memchr(p, '=', (size_t)(stop - p));
    if (eq != NULL && redact_name_is_secret(p, (size_t)(eq - p))) {
      memcpy(out + n, p, (size_t)(eq - p) + 1);
      n += (size_t)(eq - p) + 1;
      memcpy(out + n, "***", 3);
      n += 3;
    } else {
      memcpy(out + n, p, (size_t)(stop - p));
      n += (size_t)(stop - p);
    }
    if (amp != NULL)
      out[n++] = '&';
    p = stop + 1;
  }
  out[n] = '\0';
  return n;
}

void redact_query(char *text, const char *query, size_t length) {
  if (text == NULL || query == NULL)
    return;
  /* Passes until one changes nothing: the *** of one value can complete
   * another one redacted before (fuzz_url found it). */
  bool changed;
  do {
    changed = redact_occurrences(text, query, length);
    const char *p = query, *end = query + length;
    while (p < end) {
      const char *amp = memchr(p, '&', (size_t)(end - p));
      const char *stop = amp ? amp : end;
      const char *eq = memchr(p, '=', (size_t)(stop - p));
      if (eq != NULL && redact_name_is_secret(p, (size_t)(eq - p)))
        changed |= redact_occurrences(text, eq + 1, (size_t)(stop - eq - 1));
      p = stop + 1;
    }
  } while (changed);
}
