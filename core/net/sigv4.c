/*
 * sigv4.c: AWS Signature Version 4 for S3 and every SigV4 service: signed
 * request headers, presigned URLs, and the URI encoding both rely on. Only
 * the canonical texts are built here; SHA-256 and HMAC are OpenSSL's,
 * through crypto.c.
 *
 * Presigning is on a hot path (issue 7 asks for 300,000 URLs a second on one
 * thread), so a call builds its texts in stack buffers and allocates only
 * what it returns, and a signing key is derived once per secret, day, region
 * and service.
 */
#include "internal.h"
#include "strbuf.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_MAX_EXPIRES 604800 /* seven days: AWS refuses longer */
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SIGV4_EMPTY_PAYLOAD                                                    \
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* 9999-12-31T23:59:59Z: the last time an X-Amz-Date can spell. */
#define SIGV4_LAST_TIME INT64_C(253402300799)

/* ---------------------------------------------------------------- text */

/* The texts of a signature are strbufs that start in this much storage of
 * their own on the stack, so that one signature usually costs no
 * allocation. */
#define SIGV4_TEXT_INLINE 1024

/* ------------------------------------------------------------ encoding */

static bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

static const char upper_hex[] = "0123456789ABCDEF";

/* Writes the SigV4 encoding of n bytes to out (room for 3 * n); returns the
 * end. */
static char *encode_bytes(char *out, const char *s, size_t n, bool keep_slash) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (is_unreserved(c) || (c == '/' && keep_slash)) {
      *out++ = (char)c;
    } else {
      *out++ = '%';
      *out++ = upper_hex[c >> 4];
      *out++ = upper_hex[c & 0x0f];
    }
  }
  return out;
}

static void strbuf_add_encoded(strbuf *t, const char *s, size_t n,
                               bool keep_slash) {
  if (n > SIZE_MAX / 4 || !strbuf_reserve(t, 3 * n))
    return;
  char *end = encode_bytes(t->data + t->length, s, n, keep_slash);
  t->length = (size_t)(end - t->data);
  t->data[t->length] = '\0';
}

/* Appends a query name or value as SigV4 canonicalises it: decoded, then
 * encoded with the SigV4 rules, so that whatever encoding the caller chose
 * signs as the server will see it. '+' decodes to a space, as S3 and form
 * decoding read it (and as botocore does); a '%' not followed by two hex
 * digits is a literal '%'. A path (is_path) keeps its '/' and its '+': there
 * '+' is a plus, and only an encoded slash is part of a name. */
static void strbuf_add_reencoded(strbuf *t, const char *s, size_t n,
                                 bool is_path) {
  if (n > SIZE_MAX / 4 || !strbuf_reserve(t, 3 * n))
    return;
  char *out = t->data + t->length;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '/' && is_path) {
      *out++ = '/';
      continue;
    }
    if (c == '%' && i + 2 < n) {
      int high = str_hex_digit(s[i + 1]);
      int low = str_hex_digit(s[i + 2]);
      if (high >= 0 && low >= 0) {
        c = (char)(high << 4 | low);
        i += 2;
      }
    } else if (c == '+' && !is_path) {
      c = ' ';
    }
    out = encode_bytes(out, &c, 1, false);
  }
  t->length = (size_t)(out - t->data);
  t->data[t->length] = '\0';
}

char *sigv4_uri_encode(const char *s, int keep_slash) {
  if (s == NULL)
    return NULL;
  size_t n = strlen(s);
  if (n > SIZE_MAX / 4)
    return NULL;
  char *out = malloc(3 * n + 1);
  if (out == NULL)
    return NULL;
  *encode_bytes(out, s, n, keep_slash != 0) = '\0';
  return out;
}

void strings_free(char **strings, size_t count) {
  if (strings == NULL)
    return;
  for (size_t i = 0; i < count; i++)
    free(strings[i]);
  free(strings);
}

/* ----------------------------------------------------------------- URL */

typedef struct url_parts {
  const char *host; /* without user info, or a default port */
  size_t host_length;
  const char *path; /* as sent; empty when the URL has none */
  size_t path_length;
  const char *query; /* without '?'; empty when none */
  size_t query_length;
  size_t base_length; /* scheme://authority/path: what a presigned URL keeps */
} url_parts;

static bool scheme_is(const char *url, size_t scheme_length,
                      const char *scheme) {
  return scheme_length == strlen(scheme) &&
         strncasecmp(url, scheme, scheme_length) == 0;
}

static bool is_scheme_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

/* Splits an absolute URL. False when it has no scheme://host. A fragment is
 * dropped: it is never sent. */
static bool url_split(const char *url, url_parts *out) {
  size_t scheme_length = 0;
  while (is_scheme_char(url[scheme_length]))
    scheme_length++;
  if (scheme_length == 0 || strncmp(url + scheme_length, "://", 3) != 0)
    return false;
  const char *separator = url + scheme_length;
  const char *authority = separator + 3;
  size_t authority_length = strcspn(authority, "/?#");
  const char *end_of_authority = authority + authority_length;
  const char *at = memrchr(authority, '@', authority_length);
  out->host = at ? at + 1 : authority;
  out->host_length = (size_t)(end_of_authority - out->host);
  if (out->host_length == 0)
    return false;

  /* Host is sent without the scheme's default port (as curl and botocore
   * send it); ':' inside an IPv6 literal is not a port. */
  const char *bracket = memrchr(out->host, ']', out->host_length);
  const char *port_search = bracket ? bracket : out->host;
  const char *colon =
      memrchr(port_search, ':', (size_t)(end_of_authority - port_search));
  if (colon != NULL) {
    size_t port_length = (size_t)(end_of_authority - colon - 1);
    const char *port = colon + 1;
    if (port_length == 0 ||
        (scheme_is(url, scheme_length, "http") && port_length == 2 &&
         memcmp(port, "80", 2) == 0) ||
        (scheme_is(url, scheme_length, "https") && port_length == 3 &&
         memcmp(port, "443", 3) == 0))
      out->host_length = (size_t)(colon - out->host);
  }

  out->path = end_of_authority;
  out->path_length = strcspn(out->path, "?#");
  const char *rest = out->path + out->path_length;
  out->base_length = (size_t)(rest - url);
  if (*rest == '?') {
    out->query = rest + 1;
    out->query_length = strcspn(out->query, "#");
  } else {
    out->query = rest;
    out->query_length = 0;
  }
  return true;
}

/* How a path becomes the canonical URI. */
typedef enum uri_form {
  URI_AS_SENT,    /* S3's client side: the path exactly as sent */
  URI_NORMALIZED, /* other services: normalised, each segment encoded again */
  URI_REENCODED   /* S3's server side: its own encoding of the decoded path */
} uri_form;

/* Appends the canonical URI. S3 signs the path exactly as sent, and its
 * server checks it against its own encoding of the decoded path, which is
 * the same for clients that encode as SigV4 does. Other services remove "."
 * and ".." segments and empty segments the way botocore and the AWS test
 * suite do, then encode each segment again. */
static void add_canonical_uri(strbuf *t, const char *path, size_t n,
                              uri_form form) {
  if (n == 0) {
    strbuf_add_char(t, '/');
    return;
  }
  if (form == URI_AS_SENT) {
    strbuf_add(t, path, n);
    return;
  }
  if (form == URI_REENCODED) {
    strbuf_add_reencoded(t, path, n, true);
    return;
  }
  size_t start = t->length;
  const char *end = path + n;
  for (const char *segment = path; segment < end;) {
    const char *slash = memchr(segment, '/', (size_t)(end - segment));
    const char *segment_end = slash ? slash : end;
    size_t length = (size_t)(segment_end - segment);
    if (length == 2 && segment[0] == '.' && segment[1] == '.') {
      size_t keep = t->length;
      while (keep > start && t->data[keep - 1] != '/')
        keep--;
      strbuf_truncate(t, keep > start ? keep - 1 : start);
    } else if (length > 0 && !(length == 1 && segment[0] == '.')) {
      strbuf_add_char(t, '/');
      strbuf_add_encoded(t, segment, length, false);
    }
    segment = slash ? slash + 1 : end;
  }
  if (t->length == start || path[n - 1] == '/')
    strbuf_add_char(t, '/');
}

/* --------------------------------------------------------------- query */

typedef struct query_param {
  size_t name_offset, name_length; /* in the query text, encoded */
  size_t value_offset, value_length;
  const char *name, *value; /* set once the query text is complete */
} query_param;

static int compare_bytes(const char *a, size_t a_length, const char *b,
                         size_t b_length) {
  int order = memcmp(a, b, a_length < b_length ? a_length : b_length);
  if (order != 0)
    return order;
  return a_length < b_length ? -1 : a_length > b_length;
}

/* By encoded name, then encoded value, bytewise, as SigV4 requires. */
static int compare_params(const void *a, const void *b) {
  const query_param *x = a, *y = b;
  int order = compare_bytes(x->name, x->name_length, y->name, y->name_length);
  return order != 0 ? order
                    : compare_bytes(x->value, x->value_length, y->value,
                                    y->value_length);
}

/* Appends "name=value" to the query text (with '&' after the first) and
 * records it. name and value are already encoded when encoded is true,
 * otherwise they are re-encoded. */
static void query_add(strbuf *query, query_param *params, size_t *count,
                      const char *name, size_t name_length, const char *value,
                      size_t value_length, bool encoded) {
  query_param *p = &params[(*count)++];
  if (query->length > 0)
    strbuf_add_char(query, '&');
  p->name_offset = query->length;
  if (encoded)
    strbuf_add(query, name, name_length);
  else
    strbuf_add_reencoded(query, name, name_length, false);
  p->name_length = query->length - p->name_offset;
  strbuf_add_char(query, '=');
  p->value_offset = query->length;
  if (encoded)
    strbuf_add(query, value, value_length);
  else
    strbuf_add_reencoded(query, value, value_length, false);
  p->value_length = query->length - p->value_offset;
}

/* Adds the parameters of a URL's query ("a" without '=' is "a="; empty
 * pieces are skipped). A name given twice is kept twice, as sent (botocore's
 * presigner would keep only the first value; S3 never needs repeats). */
static void query_add_url(strbuf *query, query_param *params, size_t *count,
                          const char *s, size_t n) {
  const char *end = s + n;
  for (const char *piece = s; piece < end;) {
    const char *amp = memchr(piece, '&', (size_t)(end - piece));
    const char *piece_end = amp ? amp : end;
    if (piece_end > piece) {
      const char *equals = memchr(piece, '=', (size_t)(piece_end - piece));
      const char *name_end = equals ? equals : piece_end;
      const char *value = equals ? equals + 1 : piece_end;
      query_add(query, params, count, piece, (size_t)(name_end - piece), value,
                (size_t)(piece_end - value), false);
    }
    piece = amp ? amp + 1 : end;
  }
}

static size_t query_piece_count(const char *s, size_t n) {
  size_t count = n > 0 ? 1 : 0;
  for (size_t i = 0; i < n; i++)
    count += s[i] == '&';
  return count;
}

/* Appends the canonical query string: the parameters sorted. */
static void add_canonical_query(strbuf *t, const strbuf *query,
                                query_param *params, size_t count) {
  if (query->failed)
    return;
  for (size_t i = 0; i < count; i++) {
    params[i].name = query->data + params[i].name_offset;
    params[i].value = query->data + params[i].value_offset;
  }
  qsort(params, count, sizeof *params, compare_params);
  for (size_t i = 0; i < count; i++) {
    if (i > 0)
      strbuf_add_char(t, '&');
    strbuf_add(t, params[i].name, params[i].name_length);
    strbuf_add_char(t, '=');
    strbuf_add(t, params[i].value, params[i].value_length);
  }
}

/* ------------------------------------------------------------- headers */

typedef struct header_entry {
  size_t name_offset, name_length;   /* lowercase, in the header text */
  size_t value_offset, value_length; /* trimmed, whitespace runs collapsed */
  size_t order; /* values of one name keep the order they were given in */
  const char *name, *value; /* set once the header text is complete */
} header_entry;

static bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
         c == '\f';
}

static void header_add(strbuf *t, header_entry *headers, size_t *count,
                       const char *name, size_t name_length, const char *value,
                       size_t value_length) {
  header_entry *h = &headers[*count];
  h->order = (*count)++;
  h->name_offset = t->length;
  if (strbuf_reserve(t, name_length)) {
    for (size_t i = 0; i < name_length; i++) {
      char c = name[i];
      t->data[t->length++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    t->data[t->length] = '\0';
  }
  h->name_length = t->length - h->name_offset;
  /* Trimall: no whitespace around the value, one space for each run
   * inside it. */
  h->value_offset = t->length;
  bool pending_space = false;
  if (strbuf_reserve(t, value_length)) {
    for (size_t i = 0; i < value_length; i++) {
      if (is_space(value[i])) {
        pending_space = t->length > h->value_offset;
        continue;
      }
      if (pending_space)
        t->data[t->length++] = ' ';
      pending_space = false;
      t->data[t->length++] = value[i];
    }
    t->data[t->length] = '\0';
  }
  h->value_length = t->length - h->value_offset;
}

static int compare_headers(const void *a, const void *b) {
  const header_entry *x = a, *y = b;
  int order = compare_bytes(x->name, x->name_length, y->name, y->name_length);
  if (order != 0)
    return order;
  return x->order < y->order ? -1 : x->order > y->order;
}

/* Adds the caller's "Name: value" lines, except Host (the URL's is signed)
 * and Authorization (never signed). */
static pail_status header_add_lines(strbuf *t, header_entry *headers,
                                    size_t *count, const char *const *lines,
                                    size_t line_count, pail_error **err) {
  for (size_t i = 0; i < line_count; i++) {
    const char *line = lines[i];
    const char *colon = line ? strchr(line, ':') : NULL;
    const char *name = line;
    const char *name_end = colon;
    while (name && name < name_end && is_space(*name))
      name++;
    while (name && name_end > name && is_space(name_end[-1]))
      name_end--;
    if (colon == NULL || name_end == name)
      return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "SigV4: header %zu is not a \"Name: value\" line",
                            i + 1);
    size_t name_length = (size_t)(name_end - name);
    if ((name_length == 4 && strncasecmp(name, "host", 4) == 0) ||
        (name_length == 13 && strncasecmp(name, "authorization", 13) == 0))
      continue;
    header_add(t, headers, count, name, name_length, colon + 1,
               strlen(colon + 1));
  }
  return PAIL_OK;
}

/* Sorts the headers and writes the canonical headers block (each line ended
 * by '\n') to creq and the signed headers list to signed_headers. */
static void add_canonical_headers(strbuf *creq, strbuf *signed_headers,
                                  const strbuf *t, header_entry *headers,
                                  size_t count) {
  if (t->failed)
    return;
  for (size_t i = 0; i < count; i++) {
    headers[i].name = t->data + headers[i].name_offset;
    headers[i].value = t->data + headers[i].value_offset;
  }
  qsort(headers, count, sizeof *headers, compare_headers);
  for (size_t i = 0; i < count; i++) {
    const header_entry *h = &headers[i];
    bool same_name =
        i > 0 && compare_bytes(h->name, h->name_length, headers[i - 1].name,
                               headers[i - 1].name_length) == 0;
    if (same_name) {
      strbuf_add_char(creq, ',');
    } else {
      if (i > 0) {
        strbuf_add_char(creq, '\n');
        strbuf_add_char(signed_headers, ';');
      }
      strbuf_add(creq, h->name, h->name_length);
      strbuf_add_char(creq, ':');
      strbuf_add(signed_headers, h->name, h->name_length);
    }
    strbuf_add(creq, h->value, h->value_length);
  }
  strbuf_add_char(creq, '\n');
}

/* --------------------------------------------------------- signing key */

/* Signing keys change only with the day, so they are derived once per
 * (secret, date, region, service). The secret itself is never kept: a slot
 * holds its SHA-256. */
#define KEY_CACHE_SLOTS 16
#define KEY_CACHE_NAME_MAX 64

typedef struct signing_key_slot {
  bool used;
  unsigned char secret_digest[32];
  char date[9];
  char region[KEY_CACHE_NAME_MAX];
  char service[KEY_CACHE_NAME_MAX];
  unsigned char key[32];
} signing_key_slot;

static pthread_mutex_t key_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static signing_key_slot key_cache[KEY_CACHE_SLOTS];
static size_t key_cache_next; /* the slot to replace next */

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
 * "aws4_request"). */
static bool signing_key_derive(const char *secret, const char *date,
                               const char *region, const char *service,
                               unsigned char out[32]) {
  size_t secret_length = strlen(secret);
  char local[256];
  char *k_secret =
      secret_length + 4 <= sizeof local ? local : malloc(secret_length + 4);
  if (k_secret == NULL)
    return false;
  memcpy(k_secret, "AWS4", 4);
  memcpy(k_secret + 4, secret, secret_length);
  unsigned char k_date[32], k_region[32], k_service[32];
  crypto_hmac_sha256(k_secret, secret_length + 4, date, 8, k_date);
  OPENSSL_cleanse(k_secret, secret_length + 4);
  if (k_secret != local)
    free(k_secret);
  crypto_hmac_sha256(k_date, 32, region, strlen(region), k_region);
  crypto_hmac_sha256(k_region, 32, service, strlen(service), k_service);
  crypto_hmac_sha256(k_service, 32, "aws4_request", 12, out);
  OPENSSL_cleanse(k_date, sizeof k_date);
  OPENSSL_cleanse(k_region, sizeof k_region);
  OPENSSL_cleanse(k_service, sizeof k_service);
  return true;
}

static bool slot_matches(const signing_key_slot *slot,
                         const unsigned char digest[32], const char *date,
                         const char *region, const char *service) {
  return slot->used && memcmp(slot->secret_digest, digest, 32) == 0 &&
         memcmp(slot->date, date, 8) == 0 &&
         strcmp(slot->region, region) == 0 &&
         strcmp(slot->service, service) == 0;
}

/* The signing key for key's scope on date ("YYYYMMDD"), from the cache when
 * it is there. False when out of memory. */
static bool signing_key_get(const pail_sigv4_key *key, const char *date,
                            unsigned char out[32]) {
  unsigned char digest[32];
  crypto_sha256(key->secret_access_key, strlen(key->secret_access_key), digest);
  bool cacheable = strlen(key->region) < KEY_CACHE_NAME_MAX &&
                   strlen(key->service) < KEY_CACHE_NAME_MAX;
  if (cacheable) {
    bool found = false;
    pthread_mutex_lock(&key_cache_lock);
    for (size_t i = 0; i < KEY_CACHE_SLOTS && !found; i++) {
      if (slot_matches(&key_cache[i], digest, date, key->region,
                       key->service)) {
        memcpy(out, key_cache[i].key, 32);
        found = true;
      }
    }
    pthread_mutex_unlock(&key_cache_lock);
    if (found)
      return true;
  }
  if (!signing_key_derive(key->secret_access_key, date, key->region,
                          key->service, out))
    return false;
  if (cacheable) {
    pthread_mutex_lock(&key_cache_lock);
    signing_key_slot *slot = &key_cache[key_cache_next];
    key_cache_next = (key_cache_next + 1) % KEY_CACHE_SLOTS;
    slot->used = true;
    memcpy(slot->secret_digest, digest, 32);
    memcpy(slot->date, date, 9);
    strcpy(slot->region, key->region);
    strcpy(slot->service, key->service);
    memcpy(slot->key, out, 32);
    pthread_mutex_unlock(&key_cache_lock);
  }
  return true;
}

/* ------------------------------------------------------------- signing */

/* What every signature needs, checked and formatted once. */
typedef struct sigv4_context {
  const pail_sigv4_key *key;
  url_parts url;
  char amz_date[17]; /* 20261125T100000Z */
  char date[9];      /* 20261125 */
  strbuf credential; /* access key id/date/region/service/aws4_request */
  char credential_storage[SIGV4_TEXT_INLINE];
  size_t scope_offset; /* where date/region/service/aws4_request starts */
} sigv4_context;

static bool is_blank(const char *s) {
  return s == NULL || *s == '\0';
}

/* "20261125T100000Z" into out (17 bytes), by hand: strftime's locale
 * handling was a visible share of a presign's time. */
static void format_amz_date(const struct tm *tm, char out[17]) {
  const int fields[] = {tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday,
                        tm->tm_hour,        tm->tm_min,     tm->tm_sec};
  const int widths[] = {4, 2, 2, 2, 2, 2};
  char *p = out;
  for (int i = 0; i < 6; i++) {
    if (i == 3)
      *p++ = 'T';
    for (int digit = widths[i] - 1, value = fields[i]; digit >= 0; digit--) {
      p[digit] = (char)('0' + value % 10);
      value /= 10;
    }
    p += widths[i];
  }
  *p++ = 'Z';
  *p = '\0';
}

/* Checks the arguments and starts c. The request's host, path and query
 * come from url, or from parts when a server gives them apart (url NULL). */
static pail_status context_init(sigv4_context *c, const pail_sigv4_key *key,
                                const char *method, const char *url,
                                const url_parts *parts, size_t header_count,
                                const char *const *headers, int64_t at,
                                pail_error **err) {
  strbuf_init(&c->credential, c->credential_storage,
              sizeof c->credential_storage);
  c->key = key;
  if (key == NULL || is_blank(key->access_key_id) ||
      is_blank(key->secret_access_key) || is_blank(key->region) ||
      is_blank(key->service))
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "SigV4: the access key id, secret, region and "
                          "service are all required");
  if (is_blank(method))
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "SigV4: no HTTP method given");
  if (url == NULL && parts != NULL)
    c->url = *parts;
  else if (url == NULL || !url_split(url, &c->url))
    return pail_error_set(
        err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
        "SigV4: the URL must be absolute (scheme://host/...)");
  if (header_count > 0 && headers == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "SigV4: %zu headers announced but none given",
                          header_count);
  struct tm tm;
  time_t seconds = (time_t)at;
  if (at < 0 || at > SIGV4_LAST_TIME || gmtime_r(&seconds, &tm) == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "SigV4: signing time %" PRId64 " is out of range",
                          at);
  format_amz_date(&tm, c->amz_date);
  memcpy(c->date, c->amz_date, 8);
  c->date[8] = '\0';
  strbuf_add_string(&c->credential, key->access_key_id);
  strbuf_add_char(&c->credential, '/');
  c->scope_offset = c->credential.length;
  strbuf_add(&c->credential, c->date, 8);
  strbuf_add_char(&c->credential, '/');
  strbuf_add_string(&c->credential, key->region);
  strbuf_add_char(&c->credential, '/');
  strbuf_add_string(&c->credential, key->service);
  strbuf_add_string(&c->credential, "/aws4_request");
  if (c->credential.failed)
    return error_no_memory(err);
  return PAIL_OK;
}

static void context_release(sigv4_context *c) {
  strbuf_release(&c->credential);
}

/* Signs a complete canonical request: hex signature into signature (65
 * bytes). The string to sign is copied to *string_to_sign when it is not
 * NULL. */
static pail_status sign_canonical_request(const sigv4_context *c,
                                          const strbuf *creq,
                                          char signature[65],
                                          char **string_to_sign,
                                          pail_error **err) {
  unsigned char digest[32];
  char digest_hex[65];
  crypto_sha256(creq->data, creq->length, digest);
  crypto_hex_encode(digest, 32, digest_hex);

  char sts_storage[SIGV4_TEXT_INLINE];
  strbuf sts;
  strbuf_init(&sts, sts_storage, sizeof sts_storage);
  strbuf_add_string(&sts, SIGV4_ALGORITHM "\n");
  strbuf_add(&sts, c->amz_date, 16);
  strbuf_add_char(&sts, '\n');
  strbuf_add(&sts, c->credential.data + c->scope_offset,
             c->credential.length - c->scope_offset);
  strbuf_add_char(&sts, '\n');
  strbuf_add(&sts, digest_hex, 64);

  unsigned char signing_key[32];
  pail_status status = PAIL_OK;
  if (sts.failed || !signing_key_get(c->key, c->date, signing_key)) {
    status = error_no_memory(err);
  } else {
    crypto_hmac_sha256(signing_key, 32, sts.data, sts.length, digest);
    OPENSSL_cleanse(signing_key, sizeof signing_key);
    crypto_hex_encode(digest, 32, signature);
    if (string_to_sign != NULL && (*string_to_sign = strdup(sts.data)) == NULL)
      status = error_no_memory(err);
  }
  strbuf_release(&sts);
  return status;
}

/* Parameter and header slots that fit on the stack for ordinary requests. */
#define LOCAL_SLOTS 24

void sigv4_trace_clear(sigv4_trace *trace) {
  if (trace == NULL)
    return;
  free(trace->canonical_request);
  free(trace->string_to_sign);
  trace->canonical_request = NULL;
  trace->string_to_sign = NULL;
}

/* What signing a request and presigning a URL share: the context, the texts
 * of the canonical request and the slots of its headers and parameters (on
 * the stack for ordinary requests). Not to be copied. */
typedef struct signing {
  sigv4_context c;
  strbuf header_text, query, creq, signed_headers;
  char storage[4][SIGV4_TEXT_INLINE];
  header_entry local_headers[LOCAL_SLOTS], *entries;
  query_param local_params[LOCAL_SLOTS], *params;
  size_t entry_count, param_count;
  uri_form uri;
} signing;

/* Checks the arguments and starts s: the context, the host and the caller's
 * headers, the URL's query parameters (url, or parts when url is NULL), with
 * slots for extra_headers and extra_params more. signing_end releases s
 * whatever this returns. */
static pail_status
signing_begin(signing *s, const pail_sigv4_key *key, const char *method,
              const char *url, const url_parts *parts,
              const char *const *headers, size_t header_count, int64_t at,
              size_t extra_headers, size_t extra_params, pail_error **err) {
  strbuf *texts[] = {&s->header_text, &s->query, &s->creq, &s->signed_headers};
  for (size_t i = 0; i < 4; i++)
    strbuf_init(texts[i], s->storage[i], sizeof s->storage[i]);
  s->entries = s->local_headers;
  s->params = s->local_params;
  s->entry_count = s->param_count = 0;
  pail_status status = context_init(&s->c, key, method, url, parts,
                                    header_count, headers, at, err);
  if (status != PAIL_OK)
    return status;
  s->uri = key->normalize_path ? URI_NORMALIZED : URI_AS_SENT;
  size_t header_slots = header_count + 1 + extra_headers;
  size_t param_slots =
      query_piece_count(s->c.url.query, s->c.url.query_length) + extra_params;
  if (header_slots > LOCAL_SLOTS)
    s->entries = calloc(header_slots, sizeof *s->entries);
  if (param_slots > LOCAL_SLOTS)
    s->params = calloc(param_slots, sizeof *s->params);
  if (s->entries == NULL || s->params == NULL)
    return error_no_memory(err);
  header_add(&s->header_text, s->entries, &s->entry_count, "host", 4,
             s->c.url.host, s->c.url.host_length);
  status = header_add_lines(&s->header_text, s->entries, &s->entry_count,
                            headers, header_count, err);
  if (status != PAIL_OK)
    return status;
  query_add_url(&s->query, s->params, &s->param_count, s->c.url.query,
                s->c.url.query_length);
  return PAIL_OK;
}

/* Appends to the canonical request its method, URI and query lines, once
 * the query has every parameter. */
static void signing_add_request_line(signing *s, const char *method) {
  strbuf_add_string(&s->creq, method);
  strbuf_add_char(&s->creq, '\n');
  add_canonical_uri(&s->creq, s->c.url.path, s->c.url.path_length, s->uri);
  strbuf_add_char(&s->creq, '\n');
  add_canonical_query(&s->creq, &s->query, s->params, s->param_count);
  strbuf_add_char(&s->creq, '\n');
}

/* Signs the complete canonical request of s: hex signature into signature
 * (65 bytes), both texts copied into trace when it is not NULL. */
static pail_status signing_sign(signing *s, char signature[65],
                                sigv4_trace *trace, pail_error **err) {
  if (s->header_text.failed || s->query.failed || s->creq.failed ||
      s->signed_headers.failed)
    return error_no_memory(err);
  pail_status status = sign_canonical_request(
      &s->c, &s->creq, signature, trace ? &trace->string_to_sign : NULL, err);
  if (status == PAIL_OK && trace != NULL &&
      (trace->canonical_request = strdup(s->creq.data)) == NULL)
    status = error_no_memory(err);
  return status;
}

/* Releases s; on failure (status) clears the trace too. Returns status. */
static pail_status signing_end(signing *s, pail_status status,
                               sigv4_trace *trace) {
  if (s->entries != s->local_headers)
    free(s->entries);
  if (s->params != s->local_params)
    free(s->params);
  strbuf_release(&s->header_text);
  strbuf_release(&s->query);
  strbuf_release(&s->creq);
  strbuf_release(&s->signed_headers);
  context_release(&s->c);
  if (status != PAIL_OK)
    sigv4_trace_clear(trace);
  return status;
}

pail_status sigv4_sign_traced(const pail_sigv4_key *key, const char *method,
                              const char *url, const char *const *headers,
                              size_t header_count, const char *payload_hash,
                              int64_t at, char ***added, size_t *added_count,
                              sigv4_trace *trace, pail_error **err) {
  if (added == NULL || added_count == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "SigV4: nowhere to return the added headers");
  *added = NULL;
  *added_count = 0;
  signing s;
  pail_status status = signing_begin(&s, key, method, url, NULL, headers,
                                     header_count, at, 3, 0, err);
  char **lines = NULL;
  size_t line_count = 0;
  if (status != PAIL_OK)
    goto done;
  if ((lines = calloc(4, sizeof *lines)) == NULL) {
    status = error_no_memory(err);
    goto done;
  }
  header_add(&s.header_text, s.entries, &s.entry_count, "x-amz-date", 10,
             s.c.amz_date, 16);
  if (payload_hash != NULL)
    header_add(&s.header_text, s.entries, &s.entry_count,
               "x-amz-content-sha256", 20, payload_hash, strlen(payload_hash));
  if (key->session_token != NULL)
    header_add(&s.header_text, s.entries, &s.entry_count,
               "x-amz-security-token", 20, key->session_token,
               strlen(key->session_token));

  signing_add_request_line(&s, method);
  add_canonical_headers(&s.creq, &s.signed_headers, &s.header_text, s.entries,
                        s.entry_count);
  strbuf_add_char(&s.creq, '\n');
  strbuf_add(&s.creq, s.signed_headers.data, s.signed_headers.length);
  strbuf_add_char(&s.creq, '\n');
  strbuf_add_string(&s.creq, payload_hash ? payload_hash : SIGV4_EMPTY_PAYLOAD);
  char signature[65];
  status = signing_sign(&s, signature, trace, err);
  if (status != PAIL_OK)
    goto done;

  lines[line_count++] = str_printf("X-Amz-Date: %s", s.c.amz_date);
  if (payload_hash != NULL)
    lines[line_count++] = str_printf("X-Amz-Content-Sha256: %s", payload_hash);
  if (key->session_token != NULL)
    lines[line_count++] =
        str_printf("X-Amz-Security-Token: %s", key->session_token);
  lines[line_count++] =
      str_printf("Authorization: " SIGV4_ALGORITHM
                 " Credential=%s, SignedHeaders=%s, Signature=%s",
                 s.c.credential.data, s.signed_headers.data, signature);
  for (size_t i = 0; i < line_count; i++)
    if (lines[i] == NULL) {
      status = error_no_memory(err);
      goto done;
    }
  *added = lines;
  *added_count = line_count;
  lines = NULL;

done:
  strings_free(lines, line_count);
  return signing_end(&s, status, trace);
}

pail_status sigv4_sign(const pail_sigv4_key *key, const char *method,
                       const char *url, const char *const *headers,
                       size_t header_count, const char *payload_hash,
                       int64_t at, char ***added, size_t *added_count,
                       pail_error **err) {
  return sigv4_sign_traced(key, method, url, headers, header_count,
                           payload_hash, at, added, added_count, NULL, err);
}

/* Adds to the query of s the authentication parameters of a presigned URL,
 * after the URL's own, in the order botocore writes them; canonical_headers
 * gets the canonical headers on the way, since the query holds the signed
 * headers list. False when out of memory. */
static bool presign_add_parameters(signing *s, strbuf *canonical_headers,
                                   int64_t expires) {
  add_canonical_headers(canonical_headers, &s->signed_headers, &s->header_text,
                        s->entries, s->entry_count);
  char expires_text[24];
  int expires_length =
      snprintf(expires_text, sizeof expires_text, "%" PRId64, expires);
  char encoded_storage[SIGV4_TEXT_INLINE];
  strbuf encoded;
  strbuf_init(&encoded, encoded_storage, sizeof encoded_storage);
  const pail_sigv4_key *key = s->c.key;
  strbuf_add_encoded(&encoded, s->c.credential.data, s->c.credential.length,
                     false);
  size_t signed_offset = encoded.length;
  strbuf_add_encoded(&encoded, s->signed_headers.data, s->signed_headers.length,
                     false);
  size_t token_offset = encoded.length;
  if (key->session_token != NULL)
    strbuf_add_encoded(&encoded, key->session_token, strlen(key->session_token),
                       false);
  bool ok = !encoded.failed;
  if (ok) {
    strbuf *q = &s->query;
    query_param *p = s->params;
    size_t *n = &s->param_count;
    query_add(q, p, n, "X-Amz-Algorithm", 15, SIGV4_ALGORITHM,
              strlen(SIGV4_ALGORITHM), true);
    query_add(q, p, n, "X-Amz-Credential", 16, encoded.data, signed_offset,
              true);
    query_add(q, p, n, "X-Amz-Date", 10, s->c.amz_date, 16, true);
    query_add(q, p, n, "X-Amz-Expires", 13, expires_text,
              (size_t)expires_length, true);
    query_add(q, p, n, "X-Amz-SignedHeaders", 19, encoded.data + signed_offset,
              token_offset - signed_offset, true);
    if (key->session_token != NULL)
      query_add(q, p, n, "X-Amz-Security-Token", 20,
                encoded.data + token_offset, encoded.length - token_offset,
                true);
  }
  strbuf_release(&encoded);
  return ok && !canonical_headers->failed;
}

pail_status sigv4_presign_traced(const pail_sigv4_key *key, const char *method,
                                 const char *url, const char *const *headers,
                                 size_t header_count, int64_t at,
                                 int64_t expires, char **out,
                                 sigv4_trace *trace, pail_error **err) {
  if (out == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "SigV4: nowhere to return the URL");
  *out = NULL;
  if (expires < 1 || expires > SIGV4_MAX_EXPIRES)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "SigV4: a presigned URL expires after 1 to %d "
                          "seconds, not %" PRId64,
                          SIGV4_MAX_EXPIRES, expires);
  signing s;
  pail_status status = signing_begin(&s, key, method, url, NULL, headers,
                                     header_count, at, 0, 6, err);
  if (status != PAIL_OK)
    return signing_end(&s, status, trace);

  char canonical_storage[SIGV4_TEXT_INLINE];
  strbuf canonical_headers;
  strbuf_init(&canonical_headers, canonical_storage, sizeof canonical_storage);
  bool added = presign_add_parameters(&s, &canonical_headers, expires);
  signing_add_request_line(&s, method);
  strbuf_add(&s.creq, canonical_headers.data, canonical_headers.length);
  strbuf_add_char(&s.creq, '\n');
  strbuf_add(&s.creq, s.signed_headers.data, s.signed_headers.length);
  strbuf_add_string(&s.creq, "\n" SIGV4_UNSIGNED_PAYLOAD);
  strbuf_release(&canonical_headers);
  char signature[65];
  status =
      added ? signing_sign(&s, signature, trace, err) : error_no_memory(err);
  if (status != PAIL_OK)
    return signing_end(&s, status, trace);

  static const char signature_param[] = "&X-Amz-Signature=";
  size_t base_length = s.c.url.base_length;
  char *result = malloc(base_length + 1 + s.query.length +
                        sizeof signature_param - 1 + 64 + 1);
  if (result == NULL)
    return signing_end(&s, error_no_memory(err), trace);
  char *p = result;
  memcpy(p, url, base_length);
  p += base_length;
  *p++ = '?';
  memcpy(p, s.query.data, s.query.length);
  p += s.query.length;
  memcpy(p, signature_param, sizeof signature_param - 1);
  p += sizeof signature_param - 1;
  memcpy(p, signature, 65);
  *out = result;
  return signing_end(&s, PAIL_OK, trace);
}

pail_status sigv4_presign(const pail_sigv4_key *key, const char *method,
                          const char *url, const char *const *headers,
                          size_t header_count, int64_t at, int64_t expires,
                          char **out, pail_error **err) {
  return sigv4_presign_traced(key, method, url, headers, header_count, at,
                              expires, out, NULL, err);
}

/* ------------------------------------------------------ verification */

pail_status sigv4_signature_of(const pail_sigv4_key *key,
                               const sigv4_received *request,
                               char signature[65], sigv4_trace *trace,
                               pail_error **err) {
  if (request == NULL || request->host == NULL || request->path == NULL ||
      request->payload_line == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "SigV4: the request's host, path and payload line "
                          "are required");
  const char *query = request->query ? request->query : "";
  url_parts parts = {.host = request->host,
                     .host_length = strlen(request->host),
                     .path = request->path,
                     .path_length = strlen(request->path),
                     .query = query,
                     .query_length = strlen(query)};
  signing s;
  pail_status status =
      signing_begin(&s, key, request->method, NULL, &parts, request->headers,
                    request->header_count, request->at, 0, 0, err);
  if (status != PAIL_OK)
    return signing_end(&s, status, trace);
  s.uri = request->path_as_sent ? URI_AS_SENT : URI_REENCODED;
  signing_add_request_line(&s, request->method);
  add_canonical_headers(&s.creq, &s.signed_headers, &s.header_text, s.entries,
                        s.entry_count);
  strbuf_add_char(&s.creq, '\n');
  strbuf_add(&s.creq, s.signed_headers.data, s.signed_headers.length);
  strbuf_add_char(&s.creq, '\n');
  strbuf_add_string(&s.creq, request->payload_line);
  status = signing_sign(&s, signature, trace, err);
  return signing_end(&s, status, trace);
}

pail_status sigv4_chunk_signature(const pail_sigv4_key *key,
                                  const char amz_date[17],
                                  const char previous[65], bool trailer,
                                  const unsigned char hash[32],
                                  char signature[65], pail_error **err) {
  if (key == NULL || is_blank(key->secret_access_key) ||
      is_blank(key->region) || is_blank(key->service))
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "SigV4: the secret, region and service are all "
                          "required");
  char date[9];
  memcpy(date, amz_date, 8);
  date[8] = '\0';
  char hash_hex[65];
  crypto_hex_encode(hash, 32, hash_hex);
  char sts_storage[SIGV4_TEXT_INLINE];
  strbuf sts;
  strbuf_init(&sts, sts_storage, sizeof sts_storage);
  strbuf_add_string(&sts, trailer ? SIGV4_ALGORITHM "-TRAILER\n"
                                  : SIGV4_ALGORITHM "-PAYLOAD\n");
  strbuf_add(&sts, amz_date, 16);
  strbuf_add_char(&sts, '\n');
  strbuf_add(&sts, date, 8);
  strbuf_add_char(&sts, '/');
  strbuf_add_string(&sts, key->region);
  strbuf_add_char(&sts, '/');
  strbuf_add_string(&sts, key->service);
  strbuf_add_string(&sts, "/aws4_request\n");
  strbuf_add(&sts, previous, 64);
  /* A chunk's text signs the hash of its (always empty) headers too. */
  strbuf_add_string(&sts, trailer ? "\n" : "\n" SIGV4_EMPTY_PAYLOAD "\n");
  strbuf_add(&sts, hash_hex, 64);
  unsigned char signing_key[32], digest[32];
  pail_status status = PAIL_OK;
  if (sts.failed || !signing_key_get(key, date, signing_key)) {
    status = error_no_memory(err);
  } else {
    crypto_hmac_sha256(signing_key, 32, sts.data, sts.length, digest);
    OPENSSL_cleanse(signing_key, sizeof signing_key);
    crypto_hex_encode(digest, 32, signature);
  }
  strbuf_release(&sts);
  return status;
}
