/*
 * gcs_sign.c: V4 signed URLs as Google specifies them
 * (cloud.google.com/storage/docs/access-control/signing-urls-manually) and
 * its conformance tests check them (tests/vectors/gcs-v4):
 *
 *   canonical request = METHOD \n PATH \n QUERY \n HEADERS \n \n SIGNED \n
 *                       PAYLOAD
 *   string to sign    = ALGORITHM \n DATE \n SCOPE \n hex(SHA-256(request))
 *
 * with the query's X-Goog-* parameters and the caller's sorted and encoded
 * as RFC 3986 wants, header names lowercased and values trimmed with inner
 * runs of spaces and tabs collapsed, and host signed without its port (as
 * Google's clients do for an endpoint like localhost:8080). The payload is
 * UNSIGNED-PAYLOAD unless an X-Goog-Content-SHA256 header gives a hash.
 * The SigV4 services of the core do not fit: their scope and key derivation
 * are AWS's, and they cannot sign with RSA.
 */
#include "gcs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "strbuf.h"

/* One signed header: lowercase name, canonical value. */
typedef struct header_line {
  char *name;
  char *value;
} header_line;

/* One query parameter, encoded. */
typedef struct query_pair {
  char *name;
  char *value;
} query_pair;

static int compare_headers(const void *a, const void *b) {
  return strcmp(((const header_line *)a)->name, ((const header_line *)b)->name);
}

static int compare_pairs(const void *a, const void *b) {
  const query_pair *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c ? c : strcmp(x->value, y->value);
}

/* Trims the value and collapses inner runs of spaces and tabs. */
static char *canonical_value(const char *value) {
  char *out = malloc(strlen(value) + 1);
  if (out == NULL)
    return NULL;
  size_t n = 0;
  bool space = false;
  for (const char *p = value; *p; p++) {
    if (*p == ' ' || *p == '\t') {
      space = n > 0;
      continue;
    }
    if (space)
      out[n++] = ' ';
    space = false;
    out[n++] = *p;
  }
  out[n] = '\0';
  return out;
}

/* The host as signed: without a port (an IPv6 literal keeps its
 * brackets). */
static char *host_without_port(const char *host) {
  const char *bracket = strrchr(host, ']');
  const char *colon = strrchr(host, ':');
  if (colon != NULL && (bracket == NULL || colon > bracket))
    return strndup(host, (size_t)(colon - host));
  return strdup(host);
}

static void format_date(int64_t at, char datetime[17], char date[9]) {
  time_t t = (time_t)at;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(datetime, 17, "%Y%m%dT%H%M%SZ", &tm);
  memcpy(date, datetime, 8);
  date[8] = '\0';
}

static pail_status sign_error(pail_error **err, const char *why) {
  return gcs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                             "gcs: cannot sign: %s", why);
}

/* Adds a caller's header line "Name: value" to headers (*count of them,
 * with room for one more): the name lowercased, the value canonical, a
 * repeated name's values joined by commas. Refuses what cannot be signed. */
static pail_status header_add(header_line *headers, size_t *count,
                              const char *line, pail_error **err) {
  const char *colon = strchr(line, ':');
  if (colon == NULL || colon == line)
    return sign_error(err, "a header must be \"Name: value\"");
  char *name = strndup(line, (size_t)(colon - line));
  char *value = canonical_value(colon + 1);
  pail_status status = PAIL_OK;
  if (name == NULL || value == NULL)
    status = gcs_no_memory(err);
  for (char *p = name; status == PAIL_OK && *p; p++) {
    if (*p >= 'A' && *p <= 'Z')
      *p = (char)(*p - 'A' + 'a');
    else if ((unsigned char)*p <= ' ' || *p == ';')
      status = sign_error(err, "a header name has a space, a control "
                               "character or ';'");
  }
  for (const char *p = value; status == PAIL_OK && *p; p++)
    if ((unsigned char)*p < ' ')
      status = sign_error(err, "a header value has a control character");
  if (status == PAIL_OK && strcmp(name, "host") == 0)
    status = sign_error(err, "Host is signed from the endpoint; do not "
                             "give it");
  if (status != PAIL_OK) {
    free(name);
    free(value);
    return status;
  }
  /* A repeated header is one line with its values joined by commas. */
  header_line *same = NULL;
  for (size_t j = 0; j < *count; j++)
    if (strcmp(headers[j].name, name) == 0)
      same = &headers[j];
  if (same == NULL) {
    headers[*count].name = name;
    headers[*count].value = value;
    (*count)++;
    return PAIL_OK;
  }
  char *joined = NULL;
  if (asprintf(&joined, "%s,%s", same->value, value) < 0)
    joined = NULL;
  free(name);
  free(value);
  if (joined == NULL)
    return gcs_no_memory(err);
  free(same->value);
  same->value = joined;
  return PAIL_OK;
}

/* Fills headers (room for request->header_count + 1, *count of them set;
 * the caller frees them) with host, without its port, then the caller's,
 * sorted by name; their names joined by ';' go to signed_names and the
 * payload hash (X-Goog-Content-SHA256, else UNSIGNED-PAYLOAD) to *payload,
 * which points into headers. */
static pail_status headers_collect(const gcs_v4_request *request,
                                   header_line *headers, size_t *count,
                                   strbuf *signed_names, const char **payload,
                                   pail_error **err) {
  headers[0].name = strdup("host");
  headers[0].value = host_without_port(request->host);
  *count = 1;
  if (headers[0].name == NULL || headers[0].value == NULL)
    return gcs_no_memory(err);
  for (size_t i = 0; i < request->header_count; i++) {
    pail_status status = header_add(headers, count, request->headers[i], err);
    if (status != PAIL_OK)
      return status;
  }
  qsort(headers, *count, sizeof *headers, compare_headers);
  *payload = "UNSIGNED-PAYLOAD";
  for (size_t i = 0; i < *count; i++) {
    if (i > 0)
      strbuf_add_string(signed_names, ";");
    strbuf_add_string(signed_names, headers[i].name);
    if (strcmp(headers[i].name, "x-goog-content-sha256") == 0)
      *payload = headers[i].value;
  }
  return signed_names->failed ? gcs_no_memory(err) : PAIL_OK;
}

/* Fills pairs (room for request->query_count + 5, *count of them set; the
 * caller frees them) with the X-Goog-* parameters and the caller's, each
 * encoded, sorted by name then value. */
static pail_status query_collect(const gcs_v4_request *request,
                                 const char *algorithm, const char *who,
                                 const char *datetime, const char *date,
                                 const char *signed_names, query_pair *pairs,
                                 size_t *count, pail_error **err) {
  char *credential = NULL, *expires = NULL;
  if (asprintf(&credential, "%s/%s/auto/storage/goog4_request", who, date) < 0)
    credential = NULL;
  if (asprintf(&expires, "%lld", (long long)request->expires) < 0)
    expires = NULL;
  const char *names[5] = {"X-Goog-Algorithm", "X-Goog-Credential",
                          "X-Goog-Date", "X-Goog-Expires",
                          "X-Goog-SignedHeaders"};
  const char *values[5] = {algorithm, credential, datetime, expires,
                           signed_names};
  for (size_t i = 0; i < 5; i++) {
    pairs[*count].name = gcs_core->uri_encode(names[i], 0);
    pairs[*count].value = values[i] ? gcs_core->uri_encode(values[i], 0) : NULL;
    (*count)++;
  }
  free(credential);
  free(expires);
  for (size_t i = 0; i < request->query_count; i++) {
    pairs[*count].name = gcs_core->uri_encode(request->query_names[i], 0);
    pairs[*count].value = gcs_core->uri_encode(request->query_values[i], 0);
    (*count)++;
  }
  for (size_t i = 0; i < *count; i++)
    if (pairs[i].name == NULL || pairs[i].value == NULL)
      return gcs_no_memory(err);
  qsort(pairs, *count, sizeof *pairs, compare_pairs);
  return PAIL_OK;
}

/* Writes the canonical request to canonical; the query's span in it goes
 * to [*query_start, *query_end), for the URL to repeat. */
static void canonical_write(strbuf *canonical, const gcs_v4_request *request,
                            const query_pair *pairs, size_t pair_count,
                            const header_line *headers, size_t header_count,
                            const char *signed_names, const char *payload,
                            size_t *query_start, size_t *query_end) {
  strbuf_add_string(canonical, request->method);
  strbuf_add_string(canonical, "\n");
  strbuf_add_string(canonical, request->path);
  strbuf_add_string(canonical, "\n");
  *query_start = canonical->length;
  for (size_t i = 0; i < pair_count; i++) {
    if (i > 0)
      strbuf_add_string(canonical, "&");
    strbuf_add_string(canonical, pairs[i].name);
    strbuf_add_string(canonical, "=");
    strbuf_add_string(canonical, pairs[i].value);
  }
  *query_end = canonical->length;
  strbuf_add_string(canonical, "\n");
  for (size_t i = 0; i < header_count; i++) {
    strbuf_add_string(canonical, headers[i].name);
    strbuf_add_string(canonical, ":");
    strbuf_add_string(canonical, headers[i].value);
    strbuf_add_string(canonical, "\n");
  }
  strbuf_add_string(canonical, "\n");
  strbuf_add_string(canonical, signed_names);
  strbuf_add_string(canonical, "\n");
  strbuf_add_string(canonical, payload);
}

/* The signature of to_sign in hex, malloc'ed in *hex: RSA with the service
 * account's key, else GOOG4-HMAC-SHA256 (SigV4's key derivation with
 * "GOOG4" + secret and the scope's "auto" and "storage"). */
static pail_status signature_hex_of(const gcs_v4_signer *signer,
                                    const char *date, const strbuf *to_sign,
                                    char **hex, pail_error **err) {
  *hex = NULL;
  if (signer->key != NULL) {
    unsigned char *signature = NULL;
    size_t signature_length = 0;
    pail_status status =
        gcs_core->rsa_sha256_sign(signer->key, to_sign->data, to_sign->length,
                                  &signature, &signature_length, err);
    if (status == PAIL_OK) {
      *hex = malloc(2 * signature_length + 1);
      if (*hex == NULL)
        status = gcs_no_memory(err);
      else
        gcs_core->hex_encode(signature, signature_length, *hex);
    }
    free(signature);
    return status;
  }
  unsigned char k[32];
  char *secret = NULL;
  if (asprintf(&secret, "GOOG4%s", signer->hmac_secret) < 0)
    return gcs_no_memory(err);
  gcs_core->hmac_sha256(secret, strlen(secret), date, strlen(date), k);
  gcs_core->hmac_sha256(k, sizeof k, "auto", 4, k);
  gcs_core->hmac_sha256(k, sizeof k, "storage", 7, k);
  gcs_core->hmac_sha256(k, sizeof k, "goog4_request", 13, k);
  gcs_core->hmac_sha256(k, sizeof k, to_sign->data, to_sign->length, k);
  memset(secret, 0, strlen(secret));
  free(secret);
  *hex = malloc(65);
  if (*hex == NULL)
    return gcs_no_memory(err);
  gcs_core->hex_encode(k, sizeof k, *hex);
  return PAIL_OK;
}

pail_status gcs_v4_sign(const gcs_v4_signer *signer,
                        const gcs_v4_request *request, char **url,
                        char **canonical_request, char **string_to_sign,
                        pail_error **err) {
  *url = NULL;
  if (canonical_request)
    *canonical_request = NULL;
  if (string_to_sign)
    *string_to_sign = NULL;
  bool rsa = signer->key != NULL;
  if (!rsa && (signer->hmac_access_id == NULL || signer->hmac_secret == NULL))
    return gcs_core->error_set(err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
                               "gcs: cannot sign URLs without a service "
                               "account key or HMAC keys");
  if (request->expires < 1 || request->expires > 604800)
    return sign_error(err, "the expiry must be 1 to 604800 seconds");
  const char *algorithm = rsa ? "GOOG4-RSA-SHA256" : "GOOG4-HMAC-SHA256";
  const char *who = rsa ? signer->client_email : signer->hmac_access_id;
  char datetime[17], date[9];
  format_date(request->at, datetime, date);

  pail_status status = PAIL_OK;
  header_line *headers = calloc(request->header_count + 1, sizeof *headers);
  query_pair *pairs = calloc(request->query_count + 5, sizeof *pairs);
  size_t hcount = 0, qcount = 0, query_start = 0, query_end = 0;
  const char *payload = NULL;
  strbuf signed_names, canonical, to_sign, out;
  strbuf_init(&signed_names, NULL, 0);
  strbuf_init(&canonical, NULL, 0);
  strbuf_init(&to_sign, NULL, 0);
  strbuf_init(&out, NULL, 0);
  char *signature_hex = NULL;
  if (headers == NULL || pairs == NULL)
    status = gcs_no_memory(err);
  if (status == PAIL_OK)
    status = headers_collect(request, headers, &hcount, &signed_names, &payload,
                             err);
  if (status == PAIL_OK)
    status = query_collect(request, algorithm, who, datetime, date,
                           signed_names.data, pairs, &qcount, err);
  if (status == PAIL_OK) {
    canonical_write(&canonical, request, pairs, qcount, headers, hcount,
                    signed_names.data, payload, &query_start, &query_end);
    if (canonical.failed)
      status = gcs_no_memory(err);
  }
  if (status == PAIL_OK) {
    unsigned char digest[32];
    char hex[65];
    gcs_core->sha256(canonical.data, canonical.length, digest);
    gcs_core->hex_encode(digest, sizeof digest, hex);
    strbuf_add_string(&to_sign, algorithm);
    strbuf_add_string(&to_sign, "\n");
    strbuf_add_string(&to_sign, datetime);
    strbuf_add_string(&to_sign, "\n");
    strbuf_add_string(&to_sign, date);
    strbuf_add_string(&to_sign, "/auto/storage/goog4_request\n");
    strbuf_add_string(&to_sign, hex);
    if (to_sign.failed)
      status = gcs_no_memory(err);
  }
  if (status == PAIL_OK)
    status = signature_hex_of(signer, date, &to_sign, &signature_hex, err);
  if (status == PAIL_OK) {
    /* The URL: the same query, then the signature. */
    strbuf_add_string(&out, request->scheme);
    strbuf_add_string(&out, "://");
    strbuf_add_string(&out, request->host);
    strbuf_add_string(&out, request->path);
    strbuf_add_string(&out, "?");
    strbuf_add(&out, canonical.data + query_start, query_end - query_start);
    strbuf_add_string(&out, "&X-Goog-Signature=");
    strbuf_add_string(&out, signature_hex);
    if (out.failed)
      status = gcs_no_memory(err);
  }
  if (status == PAIL_OK) {
    *url = strbuf_finish(&out);
    if (canonical_request)
      *canonical_request = strbuf_finish(&canonical);
    if (string_to_sign)
      *string_to_sign = strbuf_finish(&to_sign);
    if (*url == NULL || (canonical_request && *canonical_request == NULL) ||
        (string_to_sign && *string_to_sign == NULL)) {
      free(*url);
      *url = NULL;
      if (canonical_request) {
        free(*canonical_request);
        *canonical_request = NULL;
      }
      if (string_to_sign) {
        free(*string_to_sign);
        *string_to_sign = NULL;
      }
      status = gcs_no_memory(err);
    }
  }
  for (size_t i = 0; headers && i < hcount; i++) {
    free(headers[i].name);
    free(headers[i].value);
  }
  for (size_t i = 0; pairs && i < qcount; i++) {
    free(pairs[i].name);
    free(pairs[i].value);
  }
  free(headers);
  free(pairs);
  strbuf_release(&signed_names);
  strbuf_release(&canonical);
  strbuf_release(&to_sign);
  strbuf_release(&out);
  free(signature_hex);
  return status;
}
