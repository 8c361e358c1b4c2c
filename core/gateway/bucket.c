/*
 * bucket.c: the gateway's requests on the service and on buckets:
 * ListBuckets, HeadBucket, GetBucketLocation, CreateBucket (on a storage
 * that exists, as S3 answers a bucket you own), ListObjectsV2 and V1, and
 * DeleteObjects. Each bucket is a storage of the workspace ("_default_" the
 * primary); listings page through pail_list of the caller's view, so the
 * key's scope and the user's rules filter them.
 */
#include "exchange.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* S3's most keys per listing page. */
#define LIST_MAX_KEYS 1000

/* ---------------------------------------------------------------- service */

void gateway_service_request(pail_gateway_exchange *x) {
  if (!gateway_method_is(x, "GET")) {
    gateway_answer_code(x, 405, "MethodNotAllowed",
                        "The specified method is not allowed against this "
                        "resource.");
    return;
  }
  pail_workspace *ws = x->gateway->workspace;
  char now[32];
  gateway_xml_time(pail_time_now(), now);
  strbuf b;
  strbuf_init(&b, NULL, 0);
  gateway_xml_start(&b, "ListAllMyBucketsResult");
  strbuf_add_string(&b, "<Owner><ID>pail</ID><DisplayName>pail</DisplayName>"
                        "</Owner><Buckets>");
  size_t count = pail_workspace_storage_count(ws);
  for (size_t i = 0; i < count; i++) {
    const char *name =
        i == 0 ? "_default_" : pail_workspace_storage_name(ws, i);
    if (!workspace_scope_has_storage(x->view, name))
      continue;
    strbuf_add_string(&b, "<Bucket>");
    gateway_xml_element(&b, "Name", name);
    gateway_xml_element(&b, "CreationDate", now);
    strbuf_add_string(&b, "</Bucket>");
  }
  strbuf_add_string(&b, "</Buckets></ListAllMyBucketsResult>");
  gateway_answer(x, 200, strbuf_finish(&b));
}

/* ---------------------------------------------------------------- listing */

/* Appends text, percent-encoded when the client asked encoding-type=url. */
static void add_listed(strbuf *b, const char *name, const char *text,
                       bool url) {
  if (!url) {
    gateway_xml_element(b, name, text);
    return;
  }
  char *encoded = sigv4_uri_encode(text, 1);
  if (encoded == NULL) {
    b->failed = true;
    return;
  }
  gateway_xml_element(b, name, encoded);
  free(encoded);
}

/* The parameters of a listing, checked. */
typedef struct listing {
  bool v2, url;
  const char *prefix, *delimiter, *token, *start_after;
  size_t max_keys;
} listing;

static bool listing_parse(pail_gateway_exchange *x, listing *l) {
  l->v2 = gateway_param_get(x, "list-type") != NULL;
  const char *type = gateway_param_get(x, "list-type");
  if (type != NULL && strcmp(type, "2") != 0) {
    gateway_answer_code(x, 400, "InvalidArgument",
                        "Invalid List Type specified.");
    return false;
  }
  const char *encoding = gateway_param_get(x, "encoding-type");
  if (encoding != NULL && strcmp(encoding, "url") != 0) {
    gateway_answer_code(x, 400, "InvalidArgument",
                        "Invalid Encoding Method specified in Request");
    return false;
  }
  l->url = encoding != NULL;
  l->prefix = gateway_param_get(x, "prefix");
  if (l->prefix == NULL)
    l->prefix = "";
  if (key_is_reserved(l->prefix)) {
    gateway_answer_code(x, 403, "AccessDenied", GATEWAY_RESERVED_MESSAGE);
    return false;
  }
  l->delimiter = gateway_param_get(x, "delimiter");
  if (l->delimiter != NULL && *l->delimiter == '\0')
    l->delimiter = NULL;
  l->token = gateway_param_get(x, l->v2 ? "continuation-token" : "marker");
  l->start_after = l->v2 ? gateway_param_get(x, "start-after") : l->token;
  if (!l->v2)
    l->token = NULL; /* a V1 marker is a key, not a page token */
  if (l->token != NULL && *l->token == '\0')
    l->token = NULL;
  if (l->start_after != NULL && *l->start_after == '\0')
    l->start_after = NULL;
  l->max_keys = LIST_MAX_KEYS;
  const char *max = gateway_param_get(x, "max-keys");
  if (max != NULL) {
    char *end;
    unsigned long long n = strtoull(max, &end, 10);
    if (*max == '\0' || *end != '\0' || *max == '-') {
      gateway_answer_code(x, 400, "InvalidArgument",
                          "Provided max-keys not an integer or within "
                          "integer range");
      return false;
    }
    l->max_keys = n < LIST_MAX_KEYS ? (size_t)n : LIST_MAX_KEYS;
  }
  return true;
}

size_t gateway_fold_length(const char *key, const char *prefix,
                           const char *delimiter) {
  size_t skip = strlen(prefix);
  if (delimiter == NULL || *delimiter == '\0' ||
      strncmp(key, prefix, skip) != 0)
    return 0;
  const char *found = strstr(key + skip, delimiter);
  return found ? (size_t)(found - key) + strlen(delimiter) : 0;
}

/* Whether the listing is folded here rather than by the backends, which
 * fold on "/" only. */
static bool listing_folds_here(const listing *l) {
  return l->delimiter != NULL && strcmp(l->delimiter, "/") != 0;
}

/* Adds key (folded to its common prefix when it folds) to out, unless it
 * or its prefix is not after *last (start-after, or what out already
 * holds). */
static pail_status fold_add(const listing *l, pail_object_info *e,
                            pail_list_page *out, const char **last,
                            pail_error **err) {
  if (*last != NULL && strcmp(e->key, *last) <= 0)
    return PAIL_OK;
  size_t n = gateway_fold_length(e->key, l->prefix, l->delimiter);
  if (n > 0 && *last != NULL && strncmp(e->key, *last, n) <= 0)
    return PAIL_OK; /* a prefix listed already, or start-after inside it */
  pail_object_info *entry = &out->entries[out->count];
  if (n > 0) {
    memset(entry, 0, sizeof *entry);
    if ((entry->key = strndup(e->key, n)) == NULL)
      return error_no_memory(err);
    entry->is_folder = 1;
  } else {
    *entry = *e;
    memset(e, 0, sizeof *e);
  }
  *last = out->entries[out->count++].key;
  return PAIL_OK;
}

/* A listing folded on another delimiter than "/": recursive pages of
 * pail_list, each key folded to its common prefix, until one entry more
 * than max_keys (which says whether more remain) or the end. Keys and
 * common prefixes count alike, as S3 counts them. *next is the token of the
 * rest: the hex of the last entry given, after which the next page starts
 * (a common prefix given is not given again). */
static pail_status list_folded(pail_gateway_exchange *x, const listing *l,
                               pail_list_page *out, char **next,
                               pail_error **err) {
  *next = NULL;
  memset(out, 0, sizeof *out);
  char *after = NULL;
  if (l->token != NULL) {
    size_t n = strlen(l->token);
    after = calloc(n / 2 + 1, 1);
    if (after == NULL)
      return error_no_memory(err);
    if (n == 0 || n % 2 != 0 ||
        str_hex_decode(l->token, n, (unsigned char *)after) != PAIL_OK ||
        strlen(after) != n / 2) {
      free(after);
      return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 400,
                            "InvalidArgument", NULL,
                            "The continuation token provided is incorrect");
    }
  }
  const char *last = after ? after : l->start_after;
  out->entries = calloc(l->max_keys + 1, sizeof *out->entries);
  if (out->entries == NULL) {
    free(after);
    return error_no_memory(err);
  }
  pail_pointer prefix = {.storage = (char *)x->storage,
                         .key = (char *)l->prefix};
  char *token = NULL;
  pail_status status = PAIL_OK;
  do {
    pail_list_options options = PAIL_LIST_OPTIONS_INIT;
    options.recursive = 1;
    options.max_keys = LIST_MAX_KEYS;
    options.page_token = token;
    pail_list_page page = {0};
    status = pail_list(x->view, &prefix, &options, &page, err);
    free(token);
    token = page.next_page_token;
    page.next_page_token = NULL;
    for (size_t i = 0;
         status == PAIL_OK && i < page.count && out->count <= l->max_keys; i++)
      status = fold_add(l, &page.entries[i], out, &last, err);
    pail_list_page_clear(&page);
  } while (status == PAIL_OK && token != NULL && out->count <= l->max_keys);
  free(token);
  free(after);
  if (status == PAIL_OK && out->count > l->max_keys) {
    pail_object_info_clear(&out->entries[--out->count]);
    const char *key = out->entries[out->count - 1].key;
    size_t n = strlen(key);
    if ((*next = malloc(2 * n + 1)) == NULL)
      status = error_no_memory(err);
    else
      crypto_hex_encode((const unsigned char *)key, n, *next);
  }
  if (status != PAIL_OK)
    pail_list_page_clear(out);
  return status;
}

/* The listing's entries: pages of pail_list until max_keys entries past
 * start_after, or the end. *next is the token of the rest (NULL: none). */
static pail_status list_entries(pail_gateway_exchange *x, const listing *l,
                                pail_list_page *out, char **next,
                                pail_error **err) {
  *next = NULL;
  memset(out, 0, sizeof *out);
  pail_pointer prefix = {.storage = (char *)x->storage,
                         .key = (char *)l->prefix};
  char *token = l->token ? strdup(l->token) : NULL;
  if (l->token != NULL && token == NULL)
    return error_no_memory(err);
  pail_status status = PAIL_OK;
  while (out->count < l->max_keys) {
    pail_list_options options = PAIL_LIST_OPTIONS_INIT;
    options.recursive = l->delimiter == NULL;
    options.max_keys = l->max_keys - out->count;
    options.page_token = token;
    pail_list_page page = {0};
    status = pail_list(x->view, &prefix, &options, &page, err);
    free(token);
    token = NULL;
    if (status != PAIL_OK)
      break;
    pail_object_info *grown = realloc(
        out->entries, (out->count + page.count + 1) * sizeof *out->entries);
    if (grown == NULL) {
      pail_list_page_clear(&page);
      status = error_no_memory(err);
      break;
    }
    out->entries = grown;
    for (size_t i = 0; i < page.count; i++) {
      /* start-after (a V1 marker) skips keys, which no page token can. */
      if (l->start_after != NULL &&
          strcmp(page.entries[i].key, l->start_after) <= 0) {
        pail_object_info_clear(&page.entries[i]);
        continue;
      }
      out->entries[out->count++] = page.entries[i];
    }
    page.count = 0;
    token = page.next_page_token;
    page.next_page_token = NULL;
    pail_list_page_clear(&page);
    if (token == NULL)
      break;
  }
  if (status != PAIL_OK) {
    free(token);
    pail_list_page_clear(out);
    return status;
  }
  *next = token;
  return PAIL_OK;
}

static void list_objects(pail_gateway_exchange *x) {
  listing l;
  if (!listing_parse(x, &l))
    return;
  pail_list_page page;
  char *next = NULL;
  pail_error *err = NULL;
  pail_status (*list)(pail_gateway_exchange *, const listing *,
                      pail_list_page *, char **, pail_error **) =
      listing_folds_here(&l) ? list_folded : list_entries;
  if (l.max_keys > 0 && list(x, &l, &page, &next, &err) != PAIL_OK) {
    gateway_answer_error(x, err);
    return;
  }
  if (l.max_keys == 0)
    memset(&page, 0, sizeof page);
  strbuf b;
  strbuf_init(&b, NULL, 0);
  gateway_xml_start(&b, "ListBucketResult");
  gateway_xml_element(&b, "Name", x->bucket);
  add_listed(&b, "Prefix", l.prefix, l.url);
  char number[32];
  if (l.v2) {
    snprintf(number, sizeof number, "%zu", page.count);
    gateway_xml_element(&b, "KeyCount", number);
    if (l.token != NULL)
      gateway_xml_element(&b, "ContinuationToken", l.token);
    if (l.start_after != NULL)
      add_listed(&b, "StartAfter", l.start_after, l.url);
  } else {
    add_listed(&b, "Marker", l.start_after ? l.start_after : "", l.url);
  }
  snprintf(number, sizeof number, "%zu", l.max_keys);
  gateway_xml_element(&b, "MaxKeys", number);
  if (l.delimiter != NULL)
    add_listed(&b, "Delimiter", l.delimiter, l.url);
  if (l.url)
    gateway_xml_element(&b, "EncodingType", "url");
  gateway_xml_element(&b, "IsTruncated", next ? "true" : "false");
  if (next != NULL && l.v2)
    gateway_xml_element(&b, "NextContinuationToken", next);
  if (next != NULL && !l.v2 && page.count > 0)
    add_listed(&b, "NextMarker", page.entries[page.count - 1].key, l.url);
  for (size_t i = 0; i < page.count; i++) {
    const pail_object_info *e = &page.entries[i];
    if (e->is_folder)
      continue;
    strbuf_add_string(&b, "<Contents>");
    add_listed(&b, "Key", e->key, l.url);
    char when[32];
    gateway_xml_time(e->last_modified == INT64_MIN ? 0 : e->last_modified,
                     when);
    gateway_xml_element(&b, "LastModified", when);
    char *etag = gateway_etag_quoted(e->etag);
    if (etag != NULL)
      gateway_xml_element(&b, "ETag", etag);
    free(etag);
    snprintf(number, sizeof number, "%" PRIu64, e->size);
    gateway_xml_element(&b, "Size", number);
    gateway_xml_element(&b, "StorageClass", "STANDARD");
    strbuf_add_string(&b, "</Contents>");
  }
  for (size_t i = 0; i < page.count; i++) {
    if (!page.entries[i].is_folder)
      continue;
    strbuf_add_string(&b, "<CommonPrefixes>");
    add_listed(&b, "Prefix", page.entries[i].key, l.url);
    strbuf_add_string(&b, "</CommonPrefixes>");
  }
  strbuf_add_string(&b, "</ListBucketResult>");
  pail_list_page_clear(&page);
  free(next);
  gateway_answer(x, 200, strbuf_finish(&b));
}

/* ---------------------------------------------------------- DeleteObjects */

static void delete_objects_finish(pail_gateway_exchange *x) {
  gateway_delete_request request;
  if (!gateway_delete_request_parse(x->xml.data, x->xml.length, &request)) {
    gateway_answer_code(x, 400, "MalformedXML",
                        "The XML you provided was not well-formed or did not "
                        "validate against our published schema");
    return;
  }
  size_t count = request.count;
  char **keys = request.keys;
  bool quiet = request.quiet;
  pail_pointer *pointers = calloc(count, sizeof *pointers);
  const pail_pointer **list = calloc(count, sizeof *list);
  pail_status *results = calloc(count, sizeof *results);
  pail_error **errors = calloc(count, sizeof *errors);
  strbuf b;
  strbuf_init(&b, NULL, 0);
  if (pointers && list && results && errors) {
    size_t allowed = 0;
    for (size_t i = 0; i < count; i++) {
      if (key_is_reserved(keys[i])) {
        results[i] = PAIL_ERR_ACCESS_DENIED;
        pail_error_set(&errors[i], PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                       GATEWAY_RESERVED_MESSAGE);
        continue;
      }
      pointers[i].storage = (char *)x->storage;
      pointers[i].key = (char *)keys[i];
      list[allowed++] = &pointers[i];
    }
    pail_error *err = NULL;
    pail_status *granted = calloc(allowed + 1, sizeof *granted);
    pail_error **granted_errors = calloc(allowed + 1, sizeof *granted_errors);
    if (granted != NULL && granted_errors != NULL) {
      pail_delete_many(x->view, list, allowed, granted, granted_errors, &err);
      for (size_t i = 0, j = 0; i < count; i++)
        if (!key_is_reserved(keys[i])) {
          results[i] = granted[j];
          errors[i] = granted_errors[j++];
        }
    } else {
      b.failed = true;
    }
    free(granted);
    free(granted_errors);
    pail_error_free(err);
    gateway_xml_start(&b, "DeleteResult");
    for (size_t i = 0; i < count; i++) {
      /* Deleting what is not there succeeds, as in S3. */
      bool deleted = results[i] == PAIL_OK || results[i] == PAIL_ERR_NOT_FOUND;
      if (deleted && quiet)
        continue;
      strbuf_add_string(&b, deleted ? "<Deleted>" : "<Error>");
      gateway_xml_element(&b, "Key", keys[i]);
      if (!deleted) {
        gateway_xml_element(&b, "Code",
                            results[i] == PAIL_ERR_ACCESS_DENIED
                                ? "AccessDenied"
                                : "InternalError");
        gateway_xml_element(&b, "Message",
                            errors[i] ? pail_error_message(errors[i]) : "");
      }
      strbuf_add_string(&b, deleted ? "</Deleted>" : "</Error>");
    }
    strbuf_add_string(&b, "</DeleteResult>");
    for (size_t i = 0; i < count; i++)
      pail_error_free(errors[i]);
  } else {
    b.failed = true;
  }
  free(pointers);
  free(list);
  free(results);
  free(errors);
  gateway_delete_request_clear(&request);
  gateway_answer(x, 200, strbuf_finish(&b));
}

/* ----------------------------------------------------------------- routing */

void gateway_bucket_request(pail_gateway_exchange *x) {
  if (!workspace_scope_has_storage(x->view, x->bucket)) {
    gateway_answer_code(x, 403, "AccessDenied",
                        "These credentials do not reach this bucket.");
    return;
  }
  if (gateway_method_is(x, "GET") && gateway_param_get(x, "location") != NULL) {
    strbuf b;
    strbuf_init(&b, NULL, 0);
    strbuf_add_string(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<LocationConstraint xmlns=\"http://s3.amazonaws."
                          "com/doc/2006-03-01/\">");
    /* us-east-1 is S3's empty location. */
    if (strcmp(x->gateway->region, "us-east-1") != 0)
      gateway_xml_text(&b, x->gateway->region);
    strbuf_add_string(&b, "</LocationConstraint>");
    gateway_answer(x, 200, strbuf_finish(&b));
  } else if (gateway_method_is(x, "GET") &&
             gateway_param_get(x, "uploads") != NULL) {
    gateway_list_uploads(x);
  } else if (gateway_method_is(x, "GET") && x->param_count > 0 &&
             gateway_param_get(x, "list-type") == NULL &&
             gateway_param_get(x, "prefix") == NULL &&
             gateway_param_get(x, "delimiter") == NULL &&
             gateway_param_get(x, "marker") == NULL &&
             gateway_param_get(x, "max-keys") == NULL &&
             gateway_param_get(x, "encoding-type") == NULL) {
    gateway_answer_code(x, 501, "NotImplemented",
                        "This bucket subresource is not implemented by the "
                        "gateway.");
  } else if (gateway_method_is(x, "GET")) {
    list_objects(x);
  } else if (gateway_method_is(x, "HEAD")) {
    gateway_add_header(x, "x-amz-bucket-region", x->gateway->region);
    gateway_answer(x, 200, NULL);
  } else if (gateway_method_is(x, "PUT") && x->param_count == 0) {
    /* The storage exists and the caller reaches it: S3's answer to
     * creating a bucket one owns, in us-east-1. */
    char *location = str_printf("/%s", x->bucket);
    if (location != NULL)
      gateway_add_header(x, "Location", location);
    free(location);
    gateway_answer(x, 200, NULL);
  } else if (gateway_method_is(x, "POST") &&
             gateway_param_get(x, "delete") != NULL) {
    pail_error *err = NULL;
    if (gateway_payload_open(&x->auth, x->secret, &x->payload, &err) !=
        PAIL_OK) {
      gateway_answer_error(x, err);
      return;
    }
    x->body = BODY_XML;
    x->finish = delete_objects_finish;
  } else {
    gateway_answer_code(x, 501, "NotImplemented",
                        "A header or query you provided implies "
                        "functionality that is not implemented.");
  }
}
