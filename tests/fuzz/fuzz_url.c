/*
 * fuzz_url.c: what log lines and errors show of a request URL
 * (core/net/http_url.c, core/redact.c) and the Retry-After parser of the retry
 * policy (core/net/retry.c), on any text. The described URL keeps the query's
 * parameters in order, each secret one (signatures, credentials, tokens, keys)
 * with the value "***" and every other one as it was; it never shows user info
 * or a fragment. A text scrubbed of the URL's secrets holds neither its query
 * nor any secret value of 3 bytes or more (unless made of '*' only: the mask).
 * Retry-After is -1 or a delay of at most a day.
 */
#include "internal.h"

#include "fuzz.h"

/* Whether a parameter is secret: the one word list of core/redact.c, whose
 * own cases are in tests/test_redact.c. */
static int name_is_secret(const char *name, size_t length) {
  return redact_name_is_secret(name, length);
}

/* The query of url as http_url.c sees it: after the first '?' of what follows
 * the authority, up to '#'. */
static const char *query_of(const char *url, size_t *length) {
  size_t first = strcspn(url, "/?#");
  const char *separator = first > 0 && url[first] == '/' &&
                                  url[first - 1] == ':' && url[first + 1] == '/'
                              ? url + first - 1
                              : NULL;
  const char *authority = separator ? separator + 3 : url;
  const char *path = authority + strcspn(authority, "/?#");
  const char *mark = path + strcspn(path, "?#");
  if (*mark != '?')
    return NULL;
  *length = strcspn(mark + 1, "#");
  return mark + 1;
}

/* Whether the length bytes at s are all '*': the mask itself, which
 * scrubbing leaves as it is. */
static int all_stars(const char *s, size_t length) {
  for (size_t i = 0; i < length; i++)
    if (s[i] != '*')
      return 0;
  return 1;
}

/* Compares the input query with the described one, parameter by parameter. */
static void check_query(const char *in, size_t in_length, const char *out) {
  const char *p = in, *end = in + in_length, *q = out;
  while (p <= end) {
    const char *amp = memchr(p, '&', (size_t)(end - p));
    const char *stop = amp ? amp : end;
    const char *eq = memchr(p, '=', (size_t)(stop - p));
    size_t out_length = strcspn(q, "&");
    if (eq != NULL && name_is_secret(p, (size_t)(eq - p))) {
      size_t name = (size_t)(eq - p) + 1;
      FUZZ_ASSERT(out_length == name + 3);
      FUZZ_ASSERT(memcmp(q, p, name) == 0 && memcmp(q + name, "***", 3) == 0);
    } else {
      FUZZ_ASSERT(out_length == (size_t)(stop - p));
      FUZZ_ASSERT(memcmp(q, p, out_length) == 0);
    }
    q += out_length;
    if (amp == NULL)
      break;
    FUZZ_ASSERT(*q == '&');
    q++;
    p = amp + 1;
  }
  FUZZ_ASSERT(*q == '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *url = fuzz_string(data, size);
  if (url == NULL)
    return 0;
  char *shown = http_url_describe(url, true);
  FUZZ_ASSERT(shown != NULL);
  FUZZ_ASSERT(strchr(shown, '#') == NULL || strchr(url, '#') != NULL);
  size_t in_length = 0, out_length = 0;
  const char *in_query = query_of(url, &in_length);
  const char *out_query = query_of(shown, &out_length);
  FUZZ_ASSERT((in_query == NULL) == (out_query == NULL));
  if (in_query != NULL)
    check_query(in_query, in_length, out_query);
  free(shown);

  char *bare = http_url_describe(url, false);
  FUZZ_ASSERT(bare != NULL && strchr(bare, '?') == NULL);
  free(bare);

  /* A message quoting the URL twice, as curl might. */
  size_t text_size = 2 * size + 8;
  char *text = malloc(text_size);
  FUZZ_ASSERT(text != NULL);
  snprintf(text, text_size, "%s (%s)", url, url);
  http_scrub_url_secrets(text, url);
  if (in_query != NULL && in_length >= 3 && !all_stars(in_query, in_length)) {
    FUZZ_ASSERT(memmem(text, strlen(text), in_query, in_length) == NULL);
    const char *p = in_query, *end = in_query + in_length;
    while (p < end) {
      const char *amp = memchr(p, '&', (size_t)(end - p));
      const char *stop = amp ? amp : end;
      const char *eq = memchr(p, '=', (size_t)(stop - p));
      if (eq != NULL && name_is_secret(p, (size_t)(eq - p)) &&
          stop - eq - 1 >= 3 && !all_stars(eq + 1, (size_t)(stop - eq - 1)))
        FUZZ_ASSERT(memmem(text, strlen(text), eq + 1,
                           (size_t)(stop - eq - 1)) == NULL);
      p = stop + 1;
    }
  }
  free(text);

  int64_t delay = retry_after_ms(url);
  FUZZ_ASSERT(
      delay == -1 || (delay >= 0 && delay <= INT64_C(86400000)) ||
      !(url[strspn(url, " \t")] >= '0' && url[strspn(url, " \t")] <= '9'));
  free(url);
  return 0;
}
