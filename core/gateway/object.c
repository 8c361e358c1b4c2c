/*
 * object.c: the gateway's requests on objects: HeadObject, GetObject (one
 * Range; If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since
 * answered 304/412 as S3 does), PutObject (streamed into a pail_writer as
 * the body arrives, committed only once every check of the payload has
 * passed), CopyObject and DeleteObject, all through the caller's narrowed
 * workspace.
 */
#include "exchange.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define META_PREFIX "x-amz-meta-"
#define META_PREFIX_LENGTH 11

/* ------------------------------------------------------------ metadata */

/* The response headers of an object: its length, type, ETag, time and
 * metadata, with the response-* overrides of a (presigned) GET. */
static bool add_object_headers(pail_gateway_exchange *x,
                               const pail_object_info *info) {
  char text[64];
  bool ok = true;
  char *etag = gateway_etag_quoted(info->etag);
  if (etag != NULL)
    ok = gateway_add_header(x, "ETag", etag);
  free(etag);
  if (info->last_modified != INT64_MIN) {
    gateway_http_date(info->last_modified, text);
    ok = ok && gateway_add_header(x, "Last-Modified", text);
  }
  const char *type = gateway_param_get(x, "response-content-type");
  if (type == NULL)
    type = info->content_type ? info->content_type : "binary/octet-stream";
  ok = ok && gateway_add_header(x, "Content-Type", type);
  const char *disposition =
      gateway_param_get(x, "response-content-disposition");
  if (disposition == NULL)
    disposition = info->content_disposition;
  if (disposition != NULL)
    ok = ok && gateway_add_header(x, "Content-Disposition", disposition);
  static const char *const overrides[][2] = {
      {"response-cache-control", "Cache-Control"},
      {"response-content-encoding", "Content-Encoding"},
      {"response-content-language", "Content-Language"},
      {"response-expires", "Expires"}};
  for (size_t i = 0; i < sizeof overrides / sizeof *overrides; i++) {
    const char *value = gateway_param_get(x, overrides[i][0]);
    if (value != NULL)
      ok = ok && gateway_add_header(x, overrides[i][1], value);
  }
  for (size_t i = 0; i < info->metadata_count; i++) {
    char *name = str_printf(META_PREFIX "%s", info->metadata[i].name);
    ok = ok && name != NULL &&
         gateway_add_header(x, name, info->metadata[i].value);
    free(name);
  }
  return ok && gateway_add_header(x, "Accept-Ranges", "bytes");
}

bool gateway_collect_metadata(pail_gateway_exchange *x) {
  const pail_gateway_request *r = x->request;
  if (r->header_at == NULL)
    return true;
  const char *value;
  const char *name;
  for (size_t i = 0; (name = r->header_at(r->context, i, &value)) != NULL;
       i++) {
    if (strncasecmp(name, META_PREFIX, META_PREFIX_LENGTH) != 0)
      continue;
    pail_metadata_entry *grown =
        realloc(x->metadata, (x->metadata_count + 1) * sizeof *x->metadata);
    if (grown == NULL)
      return false;
    x->metadata = grown;
    pail_metadata_entry *e = &x->metadata[x->metadata_count];
    e->name = strdup(name + META_PREFIX_LENGTH);
    e->value = strdup(value ? value : "");
    if (e->name == NULL || e->value == NULL) {
      free(e->name);
      free(e->value);
      return false;
    }
    for (char *c = e->name; *c; c++) /* HTTP names are case-blind */
      if (*c >= 'A' && *c <= 'Z')
        *c = (char)(*c - 'A' + 'a');
    x->metadata_count++;
  }
  return true;
}

/* --------------------------------------------------------- conditions */

/* The request's header prefix + name (prefix: "" or COPY_SOURCE). */
static const char *prefixed_header(pail_gateway_exchange *x, const char *prefix,
                                   const char *name) {
  char full[64];
  snprintf(full, sizeof full, "%s%s", prefix, name);
  return gateway_header_get(x, full);
}

#define COPY_SOURCE "x-amz-copy-source-"

/* S3's answer to the conditional headers named prefix + "if-match" and so
 * on: 0 to go on, 304 or 412. If-Match decides over If-Unmodified-Since,
 * If-None-Match over If-Modified-Since, whatever the other says. */
static int conditions(pail_gateway_exchange *x, const char *prefix,
                      const pail_object_info *info) {
  const char *match = prefixed_header(x, prefix, "if-match");
  const char *none = prefixed_header(x, prefix, "if-none-match");
  const char *since = prefixed_header(x, prefix, "if-modified-since");
  const char *unmodified = prefixed_header(x, prefix, "if-unmodified-since");
  /* HTTP dates, as clients send them; a date that is not one is ignored,
   * as S3 ignores it. */
  int64_t t = 0;
  if (match != NULL) {
    if (!gateway_etag_listed(match, info->etag))
      return 412;
  } else if (unmodified != NULL &&
             clock_parse_provider_time(unmodified, &t, NULL) == PAIL_OK &&
             info->last_modified != INT64_MIN && info->last_modified > t) {
    return 412;
  }
  if (none != NULL) {
    if (gateway_etag_listed(none, info->etag))
      return 304;
  } else if (since != NULL &&
             clock_parse_provider_time(since, &t, NULL) == PAIL_OK &&
             info->last_modified != INT64_MIN && info->last_modified <= t) {
    return 304;
  }
  return 0;
}

/* Answers the request when its conditions say so, as S3 does: 304 with the
 * object's ETag and time and no body, or 412 PreconditionFailed. */
static bool answered_by_conditions(pail_gateway_exchange *x,
                                   const pail_object_info *info) {
  int answer = conditions(x, "", info);
  if (answer == 412)
    gateway_answer_code(x, 412, "PreconditionFailed",
                        "At least one of the pre-conditions you specified "
                        "did not hold");
  if (answer != 304)
    return answer != 0;
  char *etag = gateway_etag_quoted(info->etag);
  bool ok = etag == NULL || gateway_add_header(x, "ETag", etag);
  free(etag);
  char when[32];
  if (ok && info->last_modified != INT64_MIN) {
    gateway_http_date(info->last_modified, when);
    ok = gateway_add_header(x, "Last-Modified", when);
  }
  if (ok)
    gateway_answer(x, 304, NULL);
  else
    gateway_answer_error(x, NULL);
  return true;
}

/* ---------------------------------------------------------- HEAD, GET */

/* A Range header: "bytes=A-B", "bytes=A-" or "bytes=-N". false for one
 * that is not (S3 then ignores it and answers the whole object). */
static bool range_parse(const char *text, uint64_t *first, uint64_t *last,
                        bool *suffix) {
  if (strncmp(text, "bytes=", 6) != 0)
    return false;
  text += 6;
  const char *dash = strchr(text, '-');
  if (dash == NULL || strchr(text, ',') != NULL)
    return false;
  char *end;
  *suffix = dash == text;
  if (*suffix) {
    *first = 0;
    *last = strtoull(dash + 1, &end, 10);
    return dash[1] >= '0' && dash[1] <= '9' && *end == '\0';
  }
  if (text[0] < '0' || text[0] > '9')
    return false;
  *first = strtoull(text, &end, 10);
  if (end != dash)
    return false;
  if (dash[1] == '\0') {
    *last = UINT64_MAX;
    return true;
  }
  *last = strtoull(dash + 1, &end, 10);
  return dash[1] >= '0' && dash[1] <= '9' && *end == '\0' && *last >= *first;
}

static void head_object(pail_gateway_exchange *x, pail_pointer *p) {
  pail_object_info info;
  pail_error *err = NULL;
  if (pail_stat(x->view, p, &info, &err) != PAIL_OK) {
    gateway_answer_error(x, err);
    return;
  }
  char length[32];
  snprintf(length, sizeof length, "%" PRIu64, info.size);
  bool answered = answered_by_conditions(x, &info);
  if (!answered && add_object_headers(x, &info) &&
      gateway_add_header(x, "Content-Length", length)) {
    gateway_answer(x, 200, NULL);
    x->body_length = info.size; /* announced; HEAD sends none */
  } else if (!answered) {
    gateway_answer_error(x, NULL);
  }
  pail_object_info_clear(&info);
}

static void get_object(pail_gateway_exchange *x, pail_pointer *p) {
  uint64_t first = 0, last = UINT64_MAX;
  bool suffix = false;
  const char *range = gateway_header_get(x, "range");
  bool ranged = range != NULL && range_parse(range, &first, &last, &suffix);
  pail_error *err = NULL;
  if (ranged && suffix) { /* the last N bytes: the size first */
    pail_object_info info;
    if (pail_stat(x->view, p, &info, &err) != PAIL_OK) {
      gateway_answer_error(x, err);
      return;
    }
    uint64_t n = last;
    first = n < info.size ? info.size - n : 0;
    last = UINT64_MAX;
    ranged = n > 0 && info.size > 0;
    pail_object_info_clear(&info);
  }
  pail_read_options options = PAIL_READ_OPTIONS_INIT;
  options.large = 1;
  if (ranged) {
    options.offset = first;
    options.length = last == UINT64_MAX ? PAIL_READ_TO_END : last - first + 1;
  }
  pail_status status = pail_reader_open(x->view, p, &options, &x->reader, &err);
  if (status == PAIL_ERR_INVALID_ARGUMENT &&
      pail_error_http_status(err) == 416) {
    pail_error_free(err);
    gateway_answer_code(x, 416, "InvalidRange",
                        "The requested range is not satisfiable");
    return;
  }
  if (status != PAIL_OK) {
    gateway_answer_error(x, err);
    return;
  }
  const pail_object_info *info = pail_reader_info(x->reader);
  /* A range that starts at the end of a non-empty object is not
   * satisfiable (pail reads it as empty). */
  if (ranged && info->size > 0 && first >= info->size) {
    gateway_answer_code(x, 416, "InvalidRange",
                        "The requested range is not satisfiable");
    return;
  }
  ranged = ranged && info->size > 0;
  if (answered_by_conditions(x, info))
    return;
  uint64_t end = ranged && last < info->size ? last + 1 : info->size;
  uint64_t start = ranged ? first : 0;
  x->body_length = end - start;
  char text[96];
  bool ok = add_object_headers(x, info);
  snprintf(text, sizeof text, "%" PRIu64, x->body_length);
  ok = ok && gateway_add_header(x, "Content-Length", text);
  if (ranged) {
    snprintf(text, sizeof text, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, start,
             end - 1, info->size);
    ok = ok && gateway_add_header(x, "Content-Range", text);
  }
  if (!ok) {
    gateway_answer_error(x, NULL);
    return;
  }
  uint64_t length = x->body_length;
  gateway_answer(x, ranged ? 206 : 200, NULL);
  x->body_length = length;
}

/* ------------------------------------------------------------ PUT */

void gateway_writer_finish(pail_gateway_exchange *x) {
  pail_object_info info;
  pail_error *err = NULL;
  pail_writer *writer = x->writer;
  x->writer = NULL;
  if (pail_writer_close(writer, &info, &err) != PAIL_OK) {
    gateway_answer_error(x, err);
    return;
  }
  char *etag = gateway_etag_quoted(info.etag);
  bool ok = etag == NULL || gateway_add_header(x, "ETag", etag);
  free(etag);
  pail_object_info_clear(&info);
  if (ok)
    gateway_answer(x, 200, NULL);
  else
    gateway_answer_error(x, NULL);
}

static void put_object(pail_gateway_exchange *x, pail_pointer *p) {
  if (gateway_header_get(x, "if-match") != NULL) {
    gateway_answer_code(x, 501, "NotImplemented",
                        "If-Match on PutObject is not implemented by the "
                        "gateway.");
    return;
  }
  const char *none = gateway_header_get(x, "if-none-match");
  if (none != NULL && strcmp(none, "*") != 0) {
    gateway_answer_code(x, 501, "NotImplemented",
                        "If-None-Match on PutObject takes only \"*\".");
    return;
  }
  if (!gateway_collect_metadata(x)) {
    gateway_answer_error(x, NULL);
    return;
  }
  pail_write_options *o = &x->write_options;
  *o = (pail_write_options)PAIL_WRITE_OPTIONS_INIT;
  o->content_type = gateway_header_get(x, "content-type");
  o->content_disposition = gateway_header_get(x, "content-disposition");
  o->if_none_match = none != NULL;
  o->metadata = x->metadata;
  o->metadata_count = x->metadata_count;
  o->size_hint = gateway_body_size(x);
  pail_error *err = NULL;
  /* Opened now, so that a refusal is answered before the body is sent;
   * the header strings live only during begin, and the writer keeps its
   * own copies (ABI 1.13: options outlive write_open in the core). */
  pail_status status = pail_writer_open(x->view, p, o, &x->writer, &err);
  o->content_type = o->content_disposition = NULL;
  gateway_body_arm(x, status, err);
}

void gateway_body_arm(pail_gateway_exchange *x, pail_status status,
                      pail_error *err) {
  if (status == PAIL_OK)
    status = gateway_payload_open(&x->auth, x->secret, &x->payload, &err);
  if (status != PAIL_OK) {
    gateway_answer_error(x, err);
    return;
  }
  x->body = BODY_OBJECT;
  x->finish = gateway_writer_finish;
}

uint64_t gateway_body_size(const pail_gateway_exchange *x) {
  const char *size = gateway_header_get(x, "x-amz-decoded-content-length");
  if (size == NULL)
    size = gateway_header_get(x, "content-length");
  return size != NULL ? strtoull(size, NULL, 10) : 0;
}

/* ------------------------------------------------------------ copy */

pail_pointer *gateway_copy_source(pail_gateway_exchange *x, const char *text) {
  if (*text == '/')
    text++;
  size_t n = strcspn(text, "?");
  if (text[n] == '?')
    return NULL; /* versions: not ours */
  char *decoded = NULL;
  if (str_uri_decode(text, n, &decoded, NULL) != PAIL_OK)
    return NULL;
  char *slash = strchr(decoded, '/');
  pail_pointer *p = NULL;
  if (slash != NULL && slash[1] != '\0' && !key_is_reserved(slash + 1)) {
    *slash = '\0';
    size_t count = pail_workspace_storage_count(x->gateway->workspace);
    const char *storage = NULL;
    bool found = strcmp(decoded, "_default_") == 0;
    for (size_t i = 1; !found && i < count; i++) {
      const char *name = pail_workspace_storage_name(x->gateway->workspace, i);
      if (strcmp(name, decoded) == 0) {
        storage = name;
        found = true;
      }
    }
    pail_error *err = NULL;
    if (found)
      pail_pointer_new(storage, slash + 1, &p, &err);
    pail_error_free(err);
  }
  free(decoded);
  if (p == NULL)
    gateway_answer_code(x, 400, "InvalidArgument",
                        "Copy Source must mention the source bucket and key: "
                        "sourcebucket/sourcekey");
  return p;
}

/* Whether the request carries any x-amz-copy-source-if-* header. */
static bool copy_is_conditional(pail_gateway_exchange *x) {
  static const char *const names[] = {
      "if-match", "if-none-match", "if-modified-since", "if-unmodified-since"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (prefixed_header(x, COPY_SOURCE, names[i]) != NULL)
      return true;
  return false;
}

bool gateway_copy_source_judge(pail_gateway_exchange *x,
                               const pail_pointer *src,
                               pail_object_info *info) {
  memset(info, 0, sizeof *info);
  if (!copy_is_conditional(x))
    return true;
  pail_error *err = NULL;
  if (pail_stat(x->view, src, info, &err) != PAIL_OK) {
    gateway_answer_error(x, err);
    return false;
  }
  if (conditions(x, COPY_SOURCE, info) == 0)
    return true;
  pail_object_info_clear(info);
  gateway_answer_code(x, 412, "PreconditionFailed",
                      "At least one of the pre-conditions you specified did "
                      "not hold");
  return false;
}

static void copy_object(pail_gateway_exchange *x, pail_pointer *dst,
                        const char *source) {
  pail_pointer *src = gateway_copy_source(x, source);
  if (src == NULL)
    return;
  pail_object_info source_info;
  if (!gateway_copy_source_judge(x, src, &source_info)) {
    pail_pointer_free(src);
    return;
  }
  /* The ETag the conditions held for, when they were judged: the copy
   * reads that version or fails, never one that came meanwhile. */
  const char *pin = source_info.etag;
  const char *directive = gateway_header_get(x, "x-amz-metadata-directive");
  bool replace = directive != NULL && strcasecmp(directive, "REPLACE") == 0;
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  pail_error *err = NULL;
  pail_status status = PAIL_OK;
  if (replace) {
    if (!gateway_collect_metadata(x)) {
      pail_object_info_clear(&source_info);
      pail_pointer_free(src);
      gateway_answer_error(x, NULL);
      return;
    }
    options.content_type = gateway_header_get(x, "content-type");
    options.content_disposition = gateway_header_get(x, "content-disposition");
    options.metadata = x->metadata;
    options.metadata_count = x->metadata_count;
  } else {
    /* COPY: the source's type, disposition and metadata, whatever the
     * backends would do on their own. */
    if (source_info.key == NULL)
      status = pail_stat(x->view, src, &source_info, &err);
    options.content_type = source_info.content_type;
    options.content_disposition = source_info.content_disposition;
    options.metadata = source_info.metadata;
    options.metadata_count = source_info.metadata_count;
  }
  if (status == PAIL_OK && pin != NULL)
    status = copy_pinned(x->view, src, dst, &options, pin, &err);
  else if (status == PAIL_OK)
    status = pail_copy(x->view, src, dst, &options, &err);
  pail_object_info_clear(&source_info);
  pail_pointer_free(src);
  pail_object_info info = {0};
  if (status == PAIL_OK)
    status = pail_stat(x->view, dst, &info, &err);
  if (status != PAIL_OK) {
    gateway_answer_error(x, err);
    return;
  }
  gateway_answer_copy(x, "CopyObjectResult", &info);
}

void gateway_answer_copy(pail_gateway_exchange *x, const char *root,
                         pail_object_info *info) {
  strbuf b;
  strbuf_init(&b, NULL, 0);
  gateway_xml_start(&b, root);
  char when[32];
  gateway_xml_time(info->last_modified == INT64_MIN ? pail_time_now()
                                                    : info->last_modified,
                   when);
  gateway_xml_element(&b, "LastModified", when);
  char *etag = gateway_etag_quoted(info->etag);
  if (etag != NULL)
    gateway_xml_element(&b, "ETag", etag);
  free(etag);
  strbuf_add_string(&b, "</");
  strbuf_add_string(&b, root);
  strbuf_add_char(&b, '>');
  pail_object_info_clear(info);
  gateway_answer(x, 200, strbuf_finish(&b));
}

/* ------------------------------------------------------------ routing */

/* S3's subresources of an object, of which the gateway implements none: a
 * request naming one is not the object's own GET, PUT or DELETE (taken
 * for it, PutObjectTagging would replace the object with its XML body and
 * DeleteObjectTagging would delete it). */
static const char *const object_subresources[] = {
    "acl",    "attributes", "legal-hold", "restore",  "retention",
    "select", "tagging",    "torrent",    "versionId"};

const char *gateway_object_subresource(const gateway_param *params,
                                       size_t count) {
  for (size_t i = 0; i < count; i++)
    for (size_t j = 0;
         j < sizeof object_subresources / sizeof *object_subresources; j++)
      if (strcmp(params[i].name, object_subresources[j]) == 0)
        return object_subresources[j];
  return NULL;
}

void gateway_object_request(pail_gateway_exchange *x) {
  if (key_is_reserved(x->key)) {
    gateway_answer_code(x, 403, "AccessDenied", GATEWAY_RESERVED_MESSAGE);
    return;
  }
  if (gateway_object_subresource(x->params, x->param_count) != NULL) {
    gateway_answer_code(x, 501, "NotImplemented",
                        "This object subresource is not implemented by the "
                        "gateway.");
    return;
  }
  pail_pointer *p = gateway_pointer(x, NULL);
  if (p == NULL) {
    gateway_answer_code(x, 400, "KeyTooLongError",
                        "Your key is too long or not a key pail accepts.");
    return;
  }
  static const char *const multipart[] = {"uploads", "uploadId", "partNumber"};
  bool parts = false;
  for (size_t i = 0; i < sizeof multipart / sizeof *multipart; i++)
    parts = parts || gateway_param_get(x, multipart[i]) != NULL;
  const char *source = gateway_header_get(x, "x-amz-copy-source");
  if (parts)
    gateway_multipart_request(x, p);
  else if (gateway_method_is(x, "HEAD"))
    head_object(x, p);
  else if (gateway_method_is(x, "GET"))
    get_object(x, p);
  else if (gateway_method_is(x, "PUT") && source != NULL)
    copy_object(x, p, source);
  else if (gateway_method_is(x, "PUT"))
    put_object(x, p);
  else if (gateway_method_is(x, "DELETE")) {
    pail_error *err = NULL;
    pail_status status = pail_delete(x->view, p, &err);
    if (status == PAIL_OK || status == PAIL_ERR_NOT_FOUND) {
      pail_error_free(err);
      gateway_answer(x, 204, NULL);
    } else {
      gateway_answer_error(x, err);
    }
  } else
    gateway_answer_code(x, 405, "MethodNotAllowed",
                        "The specified method is not allowed against this "
                        "resource.");
  if (x->target == NULL && x->writer != NULL)
    x->target = p;
  else
    pail_pointer_free(p);
}
