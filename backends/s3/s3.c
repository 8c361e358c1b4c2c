/*
 * s3.c: the S3 backend's entry, settings, requests and errors, and the small
 * operations (stat, create bucket, presign, connection description).
 * Listing, reading, writing, copying, deleting and multipart uploads have
 * files of their own.
 */
#include "s3.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

const pail_core_services *s3_core;

/* SHA-256 of the empty string: the payload hash of bodiless requests. */
static const char empty_payload_hash[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

pail_status s3_no_memory(pail_error **err) {
  return s3_core->error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                            "s3: out of memory");
}

/* --------------------------------------------------------------- URLs */

char *s3_url(const s3_instance *s3, const char *key, const char *query) {
  char *encoded = key ? s3_core->uri_encode(key, 1) : NULL;
  if (key != NULL && encoded == NULL)
    return NULL;
  char *url = NULL;
  /* Path style names the bucket in the path ("/bucket" for the bucket
   * itself, as botocore sends it); virtual-hosted style in the host, with
   * "/" as the bucket's path. */
  const char *slash = key || !s3->path_style ? "/" : "";
  if (asprintf(&url, "%s%s%s%s%s", s3->base_url, slash, encoded ? encoded : "",
               query ? "?" : "", query ? query : "") < 0)
    url = NULL;
  free(encoded);
  return url;
}

/* ----------------------------------------------------------- requests */

pail_status s3_key_get(const s3_instance *s3, pail_sigv4_key *key,
                       pail_backend_credentials *hold, pail_error **err) {
  memset(hold, 0, sizeof *hold);
  if (s3->credentials.source == NULL)
    return s3_core->error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                              "s3: anonymous access has no key");
  pail_status status = s3_source_get(s3->credentials.source, hold, err);
  *key = (pail_sigv4_key){.access_key_id = hold->access_key_id,
                          .secret_access_key = hold->secret_access_key,
                          .session_token = hold->token,
                          .region = s3->region,
                          .service = "s3",
                          .normalize_path = 0};
  return status;
}

pail_status s3_request_sign(const s3_instance *s3, pail_request *r,
                            pail_error **err) {
  if (!s3->credentials.anonymous) {
    /* Over TLS the payload is protected by the channel; hashing it costs a
     * pass over every byte, so it is skipped unless asked for. Without TLS
     * the signature is all that protects it. */
    const char *hash = empty_payload_hash;
    char hex[65];
    if (r->http.body_length > 0 || r->http.body != NULL) {
      if (s3->sign_payload && (r->http.flags & PAIL_HTTP_BODY_FILE)) {
        unsigned char digest[32];
        const pail_http_body_file *file = r->http.body;
        pail_status status = s3_core->sha256_file(
            file->fd, file->offset, r->http.body_length, digest, err);
        if (status != PAIL_OK)
          return status;
        s3_core->hex_encode(digest, sizeof digest, hex);
        hash = hex;
      } else if (s3->sign_payload) {
        unsigned char digest[32];
        s3_core->sha256(r->http.body, r->http.body_length, digest);
        s3_core->hex_encode(digest, sizeof digest, hex);
        hash = hex;
      } else {
        hash = "UNSIGNED-PAYLOAD";
      }
    }
    char **added = NULL;
    size_t added_count = 0;
    pail_sigv4_key key;
    pail_backend_credentials hold;
    pail_status status = s3_key_get(s3, &key, &hold, err);
    if (status == PAIL_OK)
      status = s3_core->sigv4_sign(
          &key, r->http.method, r->url, (const char *const *)r->headers,
          r->header_count, hash, s3_core->now(NULL), &added, &added_count, err);
    s3_core->credentials_clear(&hold);
    for (size_t i = 0; i < added_count && status == PAIL_OK; i++)
      status = s3_core->request_header(r, err, "%s", added[i]);
    s3_core->strings_free(added, added_count);
    return status;
  }
  return PAIL_OK;
}

/* ------------------------------------------------------------- errors */

/* S3's error codes by category; anything else goes by the HTTP status,
 * through the core's one table. */
static pail_status category_of(const char *code, int status) {
  static const struct {
    const char *code;
    pail_status category;
  } codes[] = {
      {"NoSuchKey", PAIL_ERR_NOT_FOUND},
      {"NoSuchBucket", PAIL_ERR_NOT_FOUND},
      {"NoSuchUpload", PAIL_ERR_NOT_FOUND},
      {"NotFound", PAIL_ERR_NOT_FOUND},
      {"AccessDenied", PAIL_ERR_ACCESS_DENIED},
      {"SignatureDoesNotMatch", PAIL_ERR_ACCESS_DENIED},
      {"InvalidAccessKeyId", PAIL_ERR_ACCESS_DENIED},
      {"ExpiredToken", PAIL_ERR_ACCESS_DENIED},
      {"InvalidToken", PAIL_ERR_ACCESS_DENIED},
      {"TokenRefreshRequired", PAIL_ERR_ACCESS_DENIED},
      {"AllAccessDisabled", PAIL_ERR_ACCESS_DENIED},
      {"AccountProblem", PAIL_ERR_ACCESS_DENIED},
      {"RequestTimeTooSkewed", PAIL_ERR_ACCESS_DENIED},
      {"SlowDown", PAIL_ERR_THROTTLED},
      {"Throttling", PAIL_ERR_THROTTLED},
      {"ThrottlingException", PAIL_ERR_THROTTLED},
      {"RequestLimitExceeded", PAIL_ERR_THROTTLED},
      {"TooManyRequests", PAIL_ERR_THROTTLED},
      {"ServiceUnavailable", PAIL_ERR_THROTTLED},
      {"PreconditionFailed", PAIL_ERR_CONFLICT},
      {"ConditionalRequestConflict", PAIL_ERR_CONFLICT},
      {"BucketAlreadyExists", PAIL_ERR_CONFLICT},
      {"BucketNotEmpty", PAIL_ERR_CONFLICT},
      {"OperationAborted", PAIL_ERR_CONFLICT},
      {"InvalidBucketName", PAIL_ERR_INVALID_ARGUMENT},
      {"InvalidArgument", PAIL_ERR_INVALID_ARGUMENT},
      {"InvalidRange", PAIL_ERR_INVALID_ARGUMENT},
      {"InvalidRequest", PAIL_ERR_INVALID_ARGUMENT},
      {"EntityTooLarge", PAIL_ERR_INVALID_ARGUMENT},
      {"EntityTooSmall", PAIL_ERR_INVALID_ARGUMENT},
      {"KeyTooLongError", PAIL_ERR_INVALID_ARGUMENT},
      {"MetadataTooLarge", PAIL_ERR_INVALID_ARGUMENT},
      {"InvalidPart", PAIL_ERR_CONFLICT},
      {"InvalidPartOrder", PAIL_ERR_INVALID_ARGUMENT},
      {"AuthorizationHeaderMalformed", PAIL_ERR_INVALID_ARGUMENT},
      {"PermanentRedirect", PAIL_ERR_INVALID_ARGUMENT},
      {"NotImplemented", PAIL_ERR_UNSUPPORTED},
      {"InternalError", PAIL_ERR_UNAVAILABLE},
  };
  for (size_t i = 0; code != NULL && i < sizeof codes / sizeof codes[0]; i++)
    if (strcmp(code, codes[i].code) == 0)
      return codes[i].category;
  /* This is an error however the status reads: an <Error> document can come
   * with a 200 (CompleteMultipartUpload), which is no success. */
  pail_status category = s3_core->status_category(status);
  return category == PAIL_OK ? PAIL_ERR_IO : category;
}

/* A message for a response with no error document (HEAD, odd proxies). */
static const char *status_phrase(int status) {
  switch (status) {
  case 301:
  case 307:
    return "the bucket is in another region or at another endpoint";
  case 400:
    return "bad request";
  case 403:
    return "access denied";
  case 404:
    return "not found";
  case 409:
    return "conflict";
  case 412:
    return "precondition failed";
  case 416:
    return "range not satisfiable";
  case 429:
  case 503:
    return "slow down";
  default:
    return status >= 500 ? "server error" : "unexpected response";
  }
}

/* The key is not what is missing: says which bucket is. */
static pail_status bucket_missing_error(const s3_instance *s3, int status,
                                        const char *request_id,
                                        pail_error **err) {
  return s3_core->error_set(err, PAIL_ERR_NOT_FOUND, status, "NoSuchBucket",
                            request_id, "s3: bucket \"%s\" does not exist",
                            s3 && s3->bucket ? s3->bucket : "");
}

pail_status s3_response_error(const s3_instance *s3,
                              const pail_http_response *response,
                              const char *what, pail_error **err) {
  char *code = NULL, *message = NULL, *request_id = NULL;
  xmlDocPtr doc = response->body
                      ? backend_xml_parse(response->body, response->body_length)
                      : NULL;
  xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
  if (root != NULL && strcmp((const char *)root->name, "Error") == 0) {
    code = backend_xml_child_text(root, "Code");
    message = backend_xml_child_text(root, "Message");
    request_id = backend_xml_child_text(root, "RequestId");
  }
  if (doc != NULL)
    xmlFreeDoc(doc);
  const char *header_id = s3_core->http_header(response, "x-amz-request-id");
  /* Google Cloud Storage names its requests in another header. */
  if (header_id == NULL)
    header_id = s3_core->http_header(response, "x-guploader-uploadid");
  int status = response->status;
  /* A HEAD has no body: its 404 is a missing object. */
  if (code == NULL && status == 404)
    code = strdup("NotFound");
  pail_status category = category_of(code, status);
  pail_status result;
  if (code != NULL && strcmp(code, "NoSuchBucket") == 0)
    result = bucket_missing_error(s3, status,
                                  request_id ? request_id : header_id, err);
  else
    result = s3_core->error_set(
        err, category, status, code, request_id ? request_id : header_id,
        "s3: %s: %s", what,
        message && *message ? message : status_phrase(status));
  free(code);
  free(message);
  free(request_id);
  return result;
}

char *s3_error_code(const pail_http_response *response) {
  xmlDocPtr doc = response->body
                      ? backend_xml_parse(response->body, response->body_length)
                      : NULL;
  xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
  char *code = root && strcmp((const char *)root->name, "Error") == 0
                   ? backend_xml_child_text(root, "Code")
                   : NULL;
  if (doc != NULL)
    xmlFreeDoc(doc);
  return code;
}

/* XML's white space; not strchr(" \t\r\n", c), which matches NUL. */
static bool is_xml_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* True when a 200 response's body is an <Error> document: CopyObject and
 * CompleteMultipartUpload report failures that way after sending 200. */
static bool body_is_error(const pail_http_response *response) {
  if (response->body == NULL || response->body_length == 0)
    return false;
  const char *p = response->body;
  size_t n = response->body_length < 512 ? response->body_length : 512;
  const char *end = p + n;
  while (p < end && is_xml_space(*p))
    p++;
  if (p + 5 < end && strncmp(p, "<?xml", 5) == 0) {
    const char *close = memchr(p, '>', (size_t)(end - p));
    if (close == NULL)
      return false;
    p = close + 1;
    while (p < end && is_xml_space(*p))
      p++;
  }
  return (size_t)(end - p) >= 7 && strncmp(p, "<Error>", 7) == 0;
}

pail_status s3_exchange(const s3_instance *s3, pail_request *r,
                        const char *what, pail_http_response *out,
                        pail_error **err) {
  pail_status status =
      s3_core->http_exchange(s3->cfg, &r->http, S3_MAX_BODY, out, err);
  if (status != PAIL_OK)
    return status;
  if (out->status < 200 || out->status > 299 || body_is_error(out)) {
    status = s3_response_error(s3, out, what, err);
    s3_core->http_response_clear(out);
  }
  return status;
}

/* ---------------------------------------------------------- object info */

static char *dup_header(const pail_http_response *response, const char *name) {
  const char *value = s3_core->http_header(response, name);
  return value ? strdup(value) : NULL;
}

/* The length of a user metadata header's prefix, or 0 for other headers.
 * Google Cloud Storage answers x-goog-meta-* whatever prefix set them. */
static size_t meta_prefix_length(const char *name) {
  if (strncmp(name, "x-amz-meta-", 11) == 0)
    return 11;
  if (strncmp(name, "x-goog-meta-", 12) == 0)
    return 12;
  return 0;
}

pail_status s3_info_from_headers(const pail_http_response *response,
                                 const char *key, pail_object_info *info,
                                 pail_error **err) {
  info->key = strdup(key);
  const char *length = s3_core->http_header(response, "content-length");
  const char *range = s3_core->http_header(response, "content-range");
  const char *total = range ? strrchr(range, '/') : NULL;
  /* A ranged GET's Content-Length is the range's; the object's size is
   * after the '/' of Content-Range. */
  const char *size = total && total[1] != '*' ? total + 1 : length;
  if (size != NULL)
    info->size = strtoull(size, NULL, 10);
  const char *modified = s3_core->http_header(response, "last-modified");
  if (modified == NULL ||
      s3_core->time_parse(modified, &info->last_modified,
                          &info->last_modified_nsec) != PAIL_OK)
    info->last_modified = INT64_MIN;
  info->etag = dup_header(response, "etag");
  info->content_type = dup_header(response, "content-type");
  info->content_disposition = dup_header(response, "content-disposition");
  size_t count = 0;
  for (size_t i = 0; i < response->header_count; i++)
    if (meta_prefix_length(response->headers[i].name) > 0)
      count++;
  if (count > 0) {
    info->metadata = calloc(count, sizeof *info->metadata);
    if (info->metadata == NULL)
      return s3_no_memory(err);
    for (size_t i = 0; i < response->header_count; i++) {
      const pail_http_header *h = &response->headers[i];
      size_t prefix = meta_prefix_length(h->name);
      if (prefix == 0)
        continue;
      pail_metadata_entry *e = &info->metadata[info->metadata_count++];
      e->name = strdup(h->name + prefix);
      e->value = strdup(h->value);
      if (e->name == NULL || e->value == NULL)
        return s3_no_memory(err);
    }
  }
  if (info->key == NULL)
    return s3_no_memory(err);
  return PAIL_OK;
}

/* ------------------------------------------------------ small operations */

/* A HEAD's 404 has no body to say whether the key or the bucket is
 * missing; HeadBucket (as cheap) tells them apart. */
static bool bucket_is_missing(s3_instance *s3, pail_error **err) {
  pail_request r;
  pail_http_response response = {0};
  bool missing = false;
  if (s3_core->request_init(&r, "HEAD", s3_url(s3, NULL, NULL), NULL) !=
      PAIL_OK)
    return false;
  if (s3_request_sign(s3, &r, NULL) == PAIL_OK &&
      s3_core->http_exchange(s3->cfg, &r.http, S3_MAX_BODY, &response, NULL) ==
          PAIL_OK &&
      response.status == 404) {
    missing = true;
    bucket_missing_error(
        s3, 404, s3_core->http_header(&response, "x-amz-request-id"), err);
  }
  s3_core->http_response_clear(&response);
  s3_core->request_free(&r);
  return missing;
}

pail_status s3_stat_object(s3_instance *s3, const char *key,
                           pail_object_info *out, pail_error **err) {
  pail_request r;
  pail_http_response response = {0};
  pail_status status =
      s3_core->request_init(&r, "HEAD", s3_url(s3, key, NULL), err);
  if (status == PAIL_OK)
    status = s3_request_sign(s3, &r, err);
  if (status == PAIL_OK)
    status =
        s3_core->http_exchange(s3->cfg, &r.http, S3_MAX_BODY, &response, err);
  if (status == PAIL_OK && (response.status < 200 || response.status > 299)) {
    if (response.status == 404 && response.body_length == 0 &&
        bucket_is_missing(s3, err))
      status = PAIL_ERR_NOT_FOUND;
    else
      status = s3_response_error(s3, &response, key, err);
    s3_core->http_response_clear(&response);
  }
  if (status == PAIL_OK) {
    status = s3_info_from_headers(&response, key, out, err);
    s3_core->http_response_clear(&response);
  }
  s3_core->request_free(&r);
  return status;
}

static pail_status s3_stat(void *instance, const char *key,
                           pail_object_info *out, pail_error **err) {
  return s3_stat_object(instance, key, out, err);
}

static pail_status s3_create_container(void *instance, pail_error **err) {
  s3_instance *s3 = instance;
  /* us-east-1 is the default location and must not be named. */
  char *body = NULL;
  if (s3->name_location && strcmp(s3->region, "us-east-1") != 0 &&
      asprintf(&body,
               "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/"
               "doc/2006-03-01/\"><LocationConstraint>%s</LocationConstraint>"
               "</CreateBucketConfiguration>",
               s3->region) < 0)
    return s3_no_memory(err);
  pail_request r;
  pail_http_response response = {0};
  pail_status status =
      s3_core->request_init(&r, "PUT", s3_url(s3, NULL, NULL), err);
  if (status == PAIL_OK && body != NULL) {
    pail_request_body(&r, body, strlen(body));
    status = s3_core->request_header(&r, err, "Content-Type: application/xml");
  }
  if (status == PAIL_OK)
    status = s3_request_sign(s3, &r, err);
  if (status == PAIL_OK)
    status =
        s3_core->http_exchange(s3->cfg, &r.http, S3_MAX_BODY, &response, err);
  if (status == PAIL_OK && (response.status < 200 || response.status > 299)) {
    /* Already there and ours is what `mb` wants. */
    char *code = s3_error_code(&response);
    if (code == NULL || strcmp(code, "BucketAlreadyOwnedByYou") != 0)
      status =
          s3_response_error(s3, &response, "cannot create the bucket", err);
    free(code);
  }
  s3_core->http_response_clear(&response);
  s3_core->request_free(&r);
  free(body);
  return status;
}

/* Appends "name=value" pairs (as the user gave them) encoded to query. */
static char *sign_query(const pail_sign_options *options) {
  size_t size = 1;
  char *query = calloc(1, 1);
  for (size_t i = 0; query != NULL && i < options->query_count; i++) {
    const char *item = options->query[i];
    const char *eq = strchr(item, '=');
    char *name = strndup(item, eq ? (size_t)(eq - item) : strlen(item));
    char *ename = name ? s3_core->uri_encode(name, 0) : NULL;
    char *evalue = s3_core->uri_encode(eq ? eq + 1 : "", 0);
    free(name);
    char *grown = NULL;
    if (ename != NULL && evalue != NULL) {
      size += strlen(ename) + strlen(evalue) + 2;
      grown = realloc(query, size);
    }
    if (grown == NULL) {
      free(query);
      query = NULL;
    } else {
      query = grown;
      if (*query != '\0')
        strcat(query, "&");
      strcat(query, ename);
      strcat(query, "=");
      strcat(query, evalue);
    }
    free(ename);
    free(evalue);
  }
  return query;
}

static pail_status s3_sign(void *instance, const char *key,
                           const pail_sign_options *options, char **url,
                           pail_error **err) {
  s3_instance *s3 = instance;
  if (s3->credentials.anonymous)
    return s3_core->error_set(err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
                              "s3: anonymous access has no key to sign "
                              "with");
  char *query = sign_query(options);
  char *target = query ? s3_url(s3, key, *query ? query : NULL) : NULL;
  free(query);
  if (target == NULL)
    return s3_no_memory(err);
  pail_sigv4_key signing;
  pail_backend_credentials hold;
  pail_status status = s3_key_get(s3, &signing, &hold, err);
  if (status == PAIL_OK)
    status = s3_core->sigv4_presign(&signing, options->method, target,
                                    options->headers, options->header_count,
                                    options->at, options->expires, url, err);
  s3_core->credentials_clear(&hold);
  free(target);
  return status;
}

/* ------------------------------------------------ connection facts */

/* connection_describe: the bucket as resolved at open, for data tools. */
static pail_status s3_connection_describe(void *instance, char **json,
                                          pail_error **err) {
  const s3_instance *s3 = instance;
  const s3_credentials *c = &s3->credentials;
  pail_backend_credentials keys = {0};
  if (!c->anonymous) {
    pail_status status = s3_source_get(c->source, &keys, err);
    if (status != PAIL_OK)
      return status;
  }
  json_t *o = json_pack(
      "{s:s, s:s, s:b, s:b, s:s, s:s, s:b}", "protocol", "s3", "bucket",
      s3->bucket, "use_ssl", s3->use_ssl, "path_style", s3->path_style,
      "region", s3->region, "provider",
      s3->default_endpoint != NULL ? "gcs" : "aws", "anonymous", c->anonymous);
  /* AWS's own endpoint is left out: tools derive it from the region. */
  if (o != NULL && !s3->aws)
    json_object_set_new(o, "endpoint", json_string(s3->endpoint));
  if (o != NULL && !c->anonymous) {
    json_object_set_new(o, "access_key_id", json_string(keys.access_key_id));
    json_object_set_new(o, "secret_access_key",
                        json_string(keys.secret_access_key));
    if (keys.token != NULL)
      json_object_set_new(o, "session_token", json_string(keys.token));
    if (keys.expires != 0)
      json_object_set_new(o, "expires", json_integer(keys.expires));
  }
  s3_core->credentials_clear(&keys);
  *json = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  return *json ? PAIL_OK : s3_no_memory(err);
}

/* ------------------------------------------------------------ settings */

static const pail_backend_field s3_fields[] = {
    {"bucket", PAIL_FIELD_STRING, 1, 0, "the bucket's name"},
    {"region", PAIL_FIELD_STRING, 0, 0,
     "the bucket's region (default: AWS_REGION, AWS_DEFAULT_REGION, the "
     "profile's, else us-east-1 for other endpoints)"},
    {"endPoint", PAIL_FIELD_STRING, 0, 0,
     "host[:port] of an S3-compatible service (empty: AWS)"},
    {"useSSL", PAIL_FIELD_BOOL, 0, 0, "HTTPS (default true)"},
    {"pathStyle", PAIL_FIELD_BOOL, 0, 0,
     "bucket in the path, not the host name (default: true for endPoint, "
     "false for AWS)"},
    {"accessKey", PAIL_FIELD_STRING, 0, 0, "access key id"},
    {"secretKey", PAIL_FIELD_STRING, 0, 1, "secret access key"},
    {"token", PAIL_FIELD_STRING, 0, 1, "session token"},
    {"roleArn", PAIL_FIELD_STRING, 0, 0,
     "an IAM role to assume (STS AssumeRole) with the credentials found"},
    {"externalId", PAIL_FIELD_STRING, 0, 1,
     "the ExternalId the role's trust policy asks for"},
    {"roleSessionName", PAIL_FIELD_STRING, 0, 0,
     "the assumed role's session name (default: pail-<time>)"},
    {"profile", PAIL_FIELD_STRING, 0, 0,
     "profile of ~/.aws/credentials and ~/.aws/config (default: "
     "AWS_PROFILE, else default)"},
    {"anonymous", PAIL_FIELD_BOOL, 0, 0,
     "send unsigned requests (public buckets); never implied"},
    {"signPayload", PAIL_FIELD_BOOL, 0, 0,
     "hash request bodies into the signature even over HTTPS (default: "
     "only without TLS)"},
    {"partSize", PAIL_FIELD_INTEGER, 0, 0,
     "multipart part size in bytes, also the single-PUT threshold "
     "(default and minimum 5 MiB)"},
    {"concurrency", PAIL_FIELD_INTEGER, 0, 0,
     "parts uploaded at once per object (default 4)"},
    {"provider", PAIL_FIELD_STRING, 0, 0,
     "the service behind the endpoint when it is not S3 itself: \"gcs\" "
     "(Google Cloud Storage's XML API with HMAC keys); default \"aws\""},
    {"copyCutoff", PAIL_FIELD_INTEGER, 0, 0,
     "server-side copies of larger objects go by parts (UploadPartCopy) "
     "of this size, in parallel (default and maximum 5 GiB, at least "
     "5 MiB)"},
    {NULL, 0, 0, 0, NULL},
};

/* The names an S3-compatible service reached by path (pathStyle with an
 * endPoint) may give its buckets: S3's legacy rules, uppercase and '_'
 * included, which path-style URLs carry unchanged (pail's own gateway
 * names the primary storage's bucket "_default_"). */
static pail_status check_path_bucket_name(const char *name, pail_error **err) {
  size_t n = strlen(name);
  if (n >= 1 && n <= 255 &&
      strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                   "0123456789._-") == n &&
      strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
    return PAIL_OK;
  return s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "s3: invalid bucket name \"%.80s\": it must be 1 "
                            "to 255 letters, digits, '.', '_' or '-'",
                            name);
}

/* S3's bucket naming rules (general purpose buckets). */
static pail_status check_bucket_name(const char *name, pail_error **err) {
  size_t n = strlen(name);
  const char *why = NULL;
  if (n < 3 || n > 63)
    why = "it must be 3 to 63 characters long";
  for (size_t i = 0; why == NULL && i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '-'))
      why = "only lowercase letters, digits, '.' and '-' are allowed";
  }
  if (why == NULL && (!((name[0] >= 'a' && name[0] <= 'z') ||
                        (name[0] >= '0' && name[0] <= '9')) ||
                      !((name[n - 1] >= 'a' && name[n - 1] <= 'z') ||
                        (name[n - 1] >= '0' && name[n - 1] <= '9'))))
    why = "it must begin and end with a letter or digit";
  if (why == NULL &&
      (strstr(name, "..") || strstr(name, ".-") || strstr(name, "-.")))
    why = "dots must not be next to dots or hyphens";
  if (why == NULL && strncmp(name, "xn--", 4) == 0)
    why = "the prefix xn-- is reserved";
  if (why == NULL && n > 8 && strcmp(name + n - 8, "-s3alias") == 0)
    why = "the suffix -s3alias is reserved";
  if (why == NULL) {
    unsigned a, b, c, d;
    char tail;
    if (sscanf(name, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4)
      why = "it must not look like an IP address";
  }
  if (why == NULL)
    return PAIL_OK;
  return s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "s3: invalid bucket name \"%.80s\": %s", name, why);
}

/* The S3 dialect of the "provider" setting (see s3_instance). */
static pail_status set_provider(s3_instance *s3, pail_error **err) {
  const char *provider = s3_core->config_string(s3->cfg, "provider");
  s3->batch_delete = true;
  s3->part_copy = true;
  s3->conditional_multipart = true;
  s3->create_only_header = "If-None-Match: *";
  s3->meta_prefix = "x-amz-meta-";
  s3->name_location = true;
  s3->checksum_mode = true;
  s3->provider = "S3";
  if (provider == NULL || *provider == '\0' ||
      strcasecmp(provider, "aws") == 0 || strcasecmp(provider, "other") == 0)
    return PAIL_OK;
  if (strcasecmp(provider, "gcs") == 0) {
    s3->batch_delete = false;
    s3->part_copy = false;
    s3->conditional_multipart = false;
    s3->create_only_header = "x-goog-if-generation-match: 0";
    s3->meta_prefix = "x-goog-meta-";
    /* "auto" is a signing region, not a location: the default (US). */
    s3->name_location = false;
    s3->checksum_mode = false;
    s3->provider = "Google Cloud Storage";
    s3->default_endpoint = "storage.googleapis.com";
    s3->default_region = "auto"; /* what Google documents for HMAC keys */
    return PAIL_OK;
  }
  return s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "s3: unknown provider \"%.40s\" (known: aws, "
                            "gcs, other)",
                            provider);
}

static void s3_close(void *instance) {
  s3_instance *s3 = instance;
  if (s3 == NULL)
    return;
  free(s3->bucket);
  free(s3->region);
  free(s3->endpoint);
  free(s3->base_url);
  s3_credentials_clear(&s3->credentials);
  free(s3);
}

static pail_status s3_open(const pail_config *cfg, void **instance,
                           pail_error **err) {
  s3_instance *s3 = calloc(1, sizeof *s3);
  if (s3 == NULL)
    return s3_no_memory(err);
  s3->cfg = cfg;
  s3->bucket = strdup(s3_core->config_string(cfg, "bucket"));
  bool by_path = s3_core->config_string(cfg, "endPoint") != NULL &&
                 s3_core->config_bool(cfg, "pathStyle", 1);
  pail_status status = s3->bucket == NULL ? s3_no_memory(err)
                       : by_path ? check_path_bucket_name(s3->bucket, err)
                                 : check_bucket_name(s3->bucket, err);
  if (status == PAIL_OK)
    status = set_provider(s3, err);
  if (status == PAIL_OK)
    status = s3_resolve(s3, err);
  /* 5 MiB parts, 4 at a time (rclone's defaults): against moto, 256 MiB
   * went up as fast as with 8 MiB parts (2.6 to 3.6 s either way, server
   * bound) in 43 MB of RSS instead of 60 MB; see docs/s3.md. */
  int64_t part_size =
      s3_core->config_integer(cfg, "partSize", (int64_t)S3_MIN_PART_SIZE);
  int64_t concurrency = s3_core->config_integer(cfg, "concurrency", 4);
  if (status == PAIL_OK && (part_size < (int64_t)S3_MIN_PART_SIZE ||
                            (uint64_t)part_size > S3_MAX_PART_SIZE))
    status = s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                "s3: partSize must be between 5 MiB and 5 "
                                "GiB, not %lld",
                                (long long)part_size);
  int64_t copy_cutoff =
      s3_core->config_integer(cfg, "copyCutoff", (int64_t)S3_MAX_COPY_SIZE);
  if (status == PAIL_OK && (copy_cutoff < (int64_t)S3_MIN_PART_SIZE ||
                            (uint64_t)copy_cutoff > S3_MAX_COPY_SIZE))
    status = s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                "s3: copyCutoff must be between 5 MiB and 5 "
                                "GiB, not %lld",
                                (long long)copy_cutoff);
  if (status == PAIL_OK && (concurrency < 1 || concurrency > 64))
    status = s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                "s3: concurrency must be between 1 and 64, "
                                "not %lld",
                                (long long)concurrency);
  if (status != PAIL_OK) {
    s3_close(s3);
    return status;
  }
  s3->part_size = (size_t)part_size;
  s3->concurrency = (size_t)concurrency;
  s3->copy_cutoff = (uint64_t)copy_cutoff;
  s3->read_retries = 5;
  s3->sign_payload = s3_core->config_bool(cfg, "signPayload", !s3->use_ssl);
  s3_core->log(cfg, PAIL_LOG_DEBUG,
               "s3: bucket %s at %s (%s style, region %s, credentials from "
               "%s)",
               s3->bucket, s3->base_url,
               s3->path_style ? "path" : "virtual-hosted", s3->region,
               s3->credentials.source
                   ? s3_source_describe(s3->credentials.source)
                   : "nowhere: anonymous (settings)");
  *instance = s3;
  return PAIL_OK;
}

static const pail_backend_ops s3_ops = {
    PAIL_BACKEND_OPS_INIT("s3"),
    .version = S3_VERSION,
    .capabilities = PAIL_CAP_RANGED_READ | PAIL_CAP_MULTIPART |
                    PAIL_CAP_SERVER_COPY | PAIL_CAP_PRESIGN |
                    PAIL_CAP_CONDITIONAL_WRITE | PAIL_CAP_METADATA |
                    PAIL_CAP_CREATE_CONTAINER | PAIL_CAP_CONDITIONAL_READ,
    .fields = s3_fields,
    .open = s3_open,
    .close = s3_close,
    .list = s3_list,
    .stat = s3_stat,
    .read_open = s3_read_open,
    .read_stream = s3_read_stream,
    .read_close = s3_read_close,
    .write_open = s3_write_open,
    .write_stream = s3_write_stream,
    .write_commit = s3_write_commit,
    .write_abort = s3_write_abort,
    .delete_object = s3_delete,
    .copy = s3_copy,
    .sign = s3_sign,
    .create_container = s3_create_container,
    .delete_objects = s3_delete_objects,
    .write_stream_file = s3_write_stream_file,
    .connection_describe = s3_connection_describe,
    .leftovers_list = s3_leftovers_list,
    .leftover_remove = s3_leftover_remove,
    .upload_create = s3_upload_create,
    .upload_part = s3_upload_part,
    .upload_complete = s3_upload_complete,
    .upload_abort = s3_upload_abandon,
    .upload_part_copy = s3_upload_part_copy,
};

/* Needs core ABI 1.16: resumable_stream_open (1.16), status_category
 * (1.15) and the part writer (1.12). */
PAIL_BACKEND_DEFINE_ENTRY(s3_ops, s3_core, 16)
