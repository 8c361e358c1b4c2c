/*
 * azure_auth.c: the strings Azure signs. SharedKey (the Authorization
 * header) signs the method, eleven standard headers, the x-ms- headers and
 * the resource; a service SAS signs its own fields. Both are written from
 * Microsoft's "Authorize with Shared Key" and "Create a service SAS" pages,
 * and pinned by tests/test_azure.c to values the Azure SDK computes.
 */
#include "azure.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "strbuf.h"

/* ----------------------------------------------------------- SharedKey */

/* The value of header `name` among lines "Name: value", trimmed, as a
 * pointer and length; NULL when absent. */
static const char *header_value(const char *const *headers, size_t count,
                                const char *name, size_t *length) {
  size_t n = strlen(name);
  for (size_t i = 0; i < count; i++) {
    const char *line = headers[i];
    if (strncasecmp(line, name, n) != 0 || line[n] != ':')
      continue;
    const char *v = line + n + 1;
    while (*v == ' ' || *v == '\t')
      v++;
    size_t len = strlen(v);
    while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
      len--;
    *length = len;
    return v;
  }
  return NULL;
}

/* Percent-decodes text[0..n) into a new string (NULL: out of memory). A
 * '%' without two hex digits after it cannot come from azure_url, which
 * encodes every '%'; such a text is signed as written. */
static char *percent_decode(const char *text, size_t n) {
  char *out = NULL;
  pail_status status = azure_core->uri_decode(text, n, &out, NULL);
  if (status == PAIL_ERR_INVALID_ARGUMENT)
    out = strndup(text, n);
  return out;
}

typedef struct query_item {
  char *name;  /* lowercase, decoded */
  char *value; /* decoded */
} query_item;

static int compare_items(const void *a, const void *b) {
  const query_item *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c ? c : strcmp(x->value, y->value);
}

typedef struct header_item {
  char *name; /* lowercase */
  const char *value;
  size_t value_length;
} header_item;

/* The order of a character in the service's sort of header names: '-'
 * is ignored, then '_' before digits before letters (the culture-invariant
 * collation the service sorts with, as the Azure SDKs' SharedKeyComparator
 * reproduces; on header names without '-' or '_' it is byte order). */
static int collation_weight(unsigned char c) {
  if (c == '_')
    return 1;
  if (c >= '0' && c <= '9')
    return 2 + (c - '0');
  if (c >= 'a' && c <= 'z')
    return 20 + (c - 'a');
  return 100 + c;
}

static int compare_headers(const void *a, const void *b) {
  const unsigned char *x =
      (const unsigned char *)((const header_item *)a)->name;
  const unsigned char *y =
      (const unsigned char *)((const header_item *)b)->name;
  const unsigned char *p = x, *q = y;
  for (;;) {
    while (*p == '-')
      p++;
    while (*q == '-')
      q++;
    if (*p == '\0' || *q == '\0' || *p != *q) {
      if (*p == '\0' && *q == '\0')
        break;
      if (*p == '\0')
        return -1;
      if (*q == '\0')
        return 1;
      return collation_weight(*p) - collation_weight(*q);
    }
    p++;
    q++;
  }
  /* Equal but for hyphens: byte order decides. */
  return strcmp((const char *)x, (const char *)y);
}

/* Appends the canonicalized x-ms- headers: lowercase names in order, each
 * "name:value\n" with the value trimmed. */
static void canonical_headers(strbuf *b, const char *const *headers,
                              size_t count) {
  header_item *items = count ? calloc(count, sizeof *items) : NULL;
  size_t n = 0;
  if (count && items == NULL) {
    b->failed = true;
    return;
  }
  for (size_t i = 0; i < count; i++) {
    const char *colon = strchr(headers[i], ':');
    if (colon == NULL || strncasecmp(headers[i], "x-ms-", 5) != 0)
      continue;
    char *name = strndup(headers[i], (size_t)(colon - headers[i]));
    if (name == NULL) {
      b->failed = true;
      break;
    }
    for (char *c = name; *c; c++)
      *c = (char)tolower((unsigned char)*c);
    items[n].name = name;
    items[n].value = header_value(&headers[i], 1, name, &items[n].value_length);
    n++;
  }
  qsort(items, n, sizeof *items, compare_headers);
  for (size_t i = 0; i < n; i++) {
    strbuf_add_string(b, items[i].name);
    strbuf_add(b, ":", 1);
    strbuf_add(b, items[i].value ? items[i].value : "",
               items[i].value ? items[i].value_length : 0);
    strbuf_add(b, "\n", 1);
    free(items[i].name);
  }
  free(items);
}

/* Appends the canonicalized resource: "/account" + the encoded path, then
 * each query parameter as "\nname:value" (names lowercase, values decoded,
 * sorted; a repeated name's values joined by commas). */
static void canonical_resource(strbuf *b, const char *account,
                               const char *url) {
  const char *authority = strstr(url, "://");
  authority = authority ? authority + 3 : url;
  const char *path = authority + strcspn(authority, "/?#");
  size_t path_length = strcspn(path, "?#");
  strbuf_add(b, "/", 1);
  strbuf_add_string(b, account);
  if (path_length == 0)
    strbuf_add(b, "/", 1);
  else
    strbuf_add(b, path, path_length);
  if (path[path_length] != '?')
    return;
  const char *query = path + path_length + 1;
  size_t query_length = strcspn(query, "#");
  size_t count = 1;
  for (size_t i = 0; i < query_length; i++)
    count += query[i] == '&';
  query_item *items = calloc(count, sizeof *items);
  if (items == NULL) {
    b->failed = true;
    return;
  }
  size_t n = 0;
  for (const char *p = query; p < query + query_length;) {
    size_t item_length = strcspn(p, "&#");
    if (item_length > (size_t)(query + query_length - p))
      item_length = (size_t)(query + query_length - p);
    if (item_length > 0) {
      const char *eq = memchr(p, '=', item_length);
      size_t name_length = eq ? (size_t)(eq - p) : item_length;
      items[n].name = percent_decode(p, name_length);
      items[n].value =
          eq ? percent_decode(eq + 1, item_length - name_length - 1)
             : strdup("");
      if (items[n].name == NULL || items[n].value == NULL) {
        b->failed = true;
        free(items[n].name);
        free(items[n].value);
        break;
      }
      for (char *c = items[n].name; *c; c++)
        *c = (char)tolower((unsigned char)*c);
      n++;
    }
    p += item_length + 1;
  }
  qsort(items, n, sizeof *items, compare_items);
  for (size_t i = 0; i < n; i++) {
    if (i == 0 || strcmp(items[i].name, items[i - 1].name) != 0) {
      strbuf_add(b, "\n", 1);
      strbuf_add_string(b, items[i].name);
      strbuf_add(b, ":", 1);
    } else {
      strbuf_add(b, ",", 1);
    }
    strbuf_add_string(b, items[i].value);
  }
  for (size_t i = 0; i < n; i++) {
    free(items[i].name);
    free(items[i].value);
  }
  free(items);
}

char *azure_shared_key_string(const char *method, const char *account,
                              const char *url, const char *const *headers,
                              size_t header_count, size_t content_length) {
  static const char *const standard[] = {"Content-Encoding",
                                         "Content-Language",
                                         NULL /* Content-Length */,
                                         "Content-MD5",
                                         "Content-Type",
                                         "Date",
                                         "If-Modified-Since",
                                         "If-Match",
                                         "If-None-Match",
                                         "If-Unmodified-Since",
                                         "Range"};
  strbuf b;
  strbuf_init(&b, NULL, 0);
  strbuf_add_string(&b, method);
  strbuf_add(&b, "\n", 1);
  for (size_t i = 0; i < sizeof standard / sizeof *standard; i++) {
    if (standard[i] == NULL) {
      /* Since version 2015-02-21 a zero length signs as an empty line. */
      if (content_length > 0) {
        char number[32];
        snprintf(number, sizeof number, "%zu", content_length);
        strbuf_add_string(&b, number);
      }
    } else {
      size_t length = 0;
      const char *value =
          header_value(headers, header_count, standard[i], &length);
      if (value != NULL)
        strbuf_add(&b, value, length);
    }
    strbuf_add(&b, "\n", 1);
  }
  canonical_headers(&b, headers, header_count);
  canonical_resource(&b, account, url);
  return strbuf_finish(&b);
}

void azure_hmac_base64(const unsigned char *key, size_t key_length,
                       const char *text, char out[45]) {
  unsigned char digest[32];
  azure_core->hmac_sha256(key, key_length, text, strlen(text), digest);
  azure_core->base64_encode(digest, sizeof digest, out);
}

/* ----------------------------------------------------------------- SAS */

char *azure_sas_string(const azure_sas_fields *f) {
  strbuf b;
  strbuf_init(&b, NULL, 0);
  const char *lines[] = {f->permissions, f->start, f->expiry};
  for (size_t i = 0; i < 3; i++) {
    strbuf_add_string(&b, lines[i]);
    strbuf_add(&b, "\n", 1);
  }
  /* The canonical name: "/blob/account/container/blob", not encoded. */
  strbuf_add_string(&b, "/blob/");
  strbuf_add_string(&b, f->account);
  strbuf_add(&b, "/", 1);
  strbuf_add_string(&b, f->container);
  if (f->blob != NULL && *f->blob != '\0') {
    strbuf_add(&b, "/", 1);
    strbuf_add_string(&b, f->blob);
  }
  const char *rest[] = {
      "" /* si */,         "" /* sip */,        f->protocol,
      f->version,          "b" /* sr */,        "" /* snapshot time */,
      "" /* ses */,        f->cache_control,    f->content_disposition,
      f->content_encoding, f->content_language, f->content_type};
  for (size_t i = 0; i < sizeof rest / sizeof *rest; i++) {
    strbuf_add(&b, "\n", 1);
    strbuf_add_string(&b, rest[i]);
  }
  return strbuf_finish(&b);
}

/* --------------------------------------------------------------- dates */

void azure_http_date(int64_t seconds, char out[64]) {
  static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed",
                                  "Thu", "Fri", "Sat"};
  static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t t = (time_t)seconds;
  struct tm tm;
  gmtime_r(&t, &tm);
  /* Not strftime: %a and %b follow the locale. */
  snprintf(out, 64, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
           tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
           tm.tm_min, tm.tm_sec);
}

void azure_iso_date(int64_t seconds, char out[64]) {
  time_t t = (time_t)seconds;
  struct tm tm;
  gmtime_r(&t, &tm);
  snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}
