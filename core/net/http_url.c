/*
 * http_url.c: URLs as the HTTP services see them: split into scheme, host,
 * path and query, the origin a pooled connection is chosen by, and what log
 * lines and error messages show of a URL (never a secret query value).
 */
#include "http_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* True for a query parameter whose value is a credential: signatures (AWS
 * X-Amz-Signature, GCS X-Goog-Signature, Azure SAS and workspace grants
 * "sig"), credentials, tokens, keys. */
static bool parameter_is_secret(const char *name, size_t length) {
  static const char *const words[] = {"signature", "credential", "token",
                                      "secret", "password"};
  char lower[64];
  if (length >= sizeof lower)
    length = sizeof lower - 1;
  for (size_t i = 0; i < length; i++)
    lower[i] =
        (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
  lower[length] = '\0';
  if (strcmp(lower, "sig") == 0 ||
      (length >= 3 && strcmp(lower + length - 3, "key") == 0))
    return true;
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strstr(lower, words[i]) != NULL)
      return true;
  return false;
}

typedef struct url_view {
  const char *scheme; /* "http://" included */
  size_t scheme_length;
  const char *host; /* host[:port], without user info */
  size_t host_length;
  const char *path;
  size_t path_length;
  const char *query; /* after '?', or NULL */
  size_t query_length;
} url_view;

/* The "://" after the scheme: only before any '/', '?' or '#', so that one
 * in a query's value (found by fuzz_url) is not taken for it. */
static const char *scheme_separator(const char *url) {
  size_t first = strcspn(url, "/?#");
  return first > 0 && url[first] == '/' && url[first - 1] == ':' &&
                 url[first + 1] == '/'
             ? url + first - 1
             : NULL;
}

static url_view url_split(const char *url) {
  url_view v = {0};
  const char *separator = scheme_separator(url);
  const char *authority = separator ? separator + 3 : url;
  v.scheme = url;
  v.scheme_length = (size_t)(authority - url);
  size_t authority_length = strcspn(authority, "/?#");
  v.host = authority;
  for (size_t i = 0; i < authority_length; i++)
    if (authority[i] == '@')
      v.host = authority + i + 1;
  v.host_length = (size_t)(authority + authority_length - v.host);
  v.path = authority + authority_length;
  v.path_length = strcspn(v.path, "?#");
  if (v.path[v.path_length] == '?') {
    v.query = v.path + v.path_length + 1;
    v.query_length = strcspn(v.query, "#");
  }
  return v;
}

/* "scheme://host:port", lowercase, for choosing a pooled multi. */
void url_origin(const char *url, char *out, size_t size) {
  url_view v = url_split(url);
  snprintf(out, size, "%.*s%.*s", (int)v.scheme_length, v.scheme,
           (int)v.host_length, v.host);
  for (char *c = out; *c; c++)
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c + 32);
}

/* The URL for people: no user info, no fragment, and either no query or
 * the query with the value of every secret parameter replaced by "***".
 * Caller frees; NULL when out of memory. */
char *http_url_describe(const char *url, bool with_query) {
  url_view v = url_split(url);
  /* "***" may be longer than the value it replaces: at most 3 bytes more
   * per parameter, and a parameter takes 2 bytes or more. */
  size_t size = v.scheme_length + v.host_length + v.path_length +
                (with_query ? 3 * v.query_length + 8 : 0) + 1;
  char *out = malloc(size);
  if (out == NULL)
    return NULL;
  size_t n = (size_t)snprintf(out, size, "%.*s%.*s%.*s", (int)v.scheme_length,
                              v.scheme, (int)v.host_length, v.host,
                              (int)v.path_length, v.path);
  if (!with_query || v.query == NULL)
    return out;
  out[n++] = '?';
  const char *p = v.query, *end = v.query + v.query_length;
  while (p < end) {
    const char *amp = memchr(p, '&', (size_t)(end - p));
    const char *stop = amp ? amp : end;
    const char *eq = memchr(p, '=', (size_t)(stop - p));
    if (eq != NULL && parameter_is_secret(p, (size_t)(eq - p))) {
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
  return out;
}

/* Replaces in text every occurrence of needle (3 bytes or more) by "***",
 * until none is left: a "***" put in can complete another occurrence with
 * the bytes before it (fuzz_url found "&?&?*" and the needle "&?*"), so the
 * search starts over from the beginning. It ends: each replacement shortens
 * the text or, for a 3-byte needle, adds a '*'; a needle of stars alone is
 * already hidden. */
static bool scrub(char *text, const char *needle, size_t length) {
  size_t stars = 0;
  while (stars < length && needle[stars] == '*')
    stars++;
  if (length < 3 || stars == length)
    return false;
  bool replaced = false;
  char *hit;
  while ((hit = memmem(text, strlen(text), needle, length)) != NULL) {
    memcpy(hit, "***", 3);
    memmove(hit + 3, hit + length, strlen(hit + length) + 1);
    replaced = true;
  }
  return replaced;
}

/* Removes from text (a message from curl) the URL's query and the value of
 * each of its secret parameters, should curl ever quote them. */
void http_scrub_url_secrets(char *text, const char *url) {
  url_view v = url_split(url);
  if (v.query == NULL)
    return;
  /* Passes until one changes nothing: the *** of one value can complete
   * another one scrubbed before (fuzz_url found it). */
  bool changed;
  do {
    changed = scrub(text, v.query, v.query_length);
    const char *p = v.query, *end = v.query + v.query_length;
    while (p < end) {
      const char *amp = memchr(p, '&', (size_t)(end - p));
      const char *stop = amp ? amp : end;
      const char *eq = memchr(p, '=', (size_t)(stop - p));
      if (eq != NULL && parameter_is_secret(p, (size_t)(eq - p)))
        changed |= scrub(text, eq + 1, (size_t)(stop - eq - 1));
      p = stop + 1;
    }
  } while (changed);
}
