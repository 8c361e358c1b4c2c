/*
 * http_url.c: URLs as the HTTP services see them: split into scheme, host,
 * path and query, the origin a pooled connection is chosen by, and what log
 * lines and error messages show of a URL (never a secret query value).
 */
#include "http_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  redact_query_copy(out + n, v.query, v.query_length);
  return out;
}

/* Removes from text (a message from curl) the URL's query and the value of
 * each of its secret parameters, should curl ever quote them. */
void http_scrub_url_secrets(char *text, const char *url) {
  url_view v = url_split(url);
  if (v.query != NULL)
    redact_query(text, v.query, v.query_length);
}
