/*
 * gcs.c: the GCS backend's entry, settings, requests and errors, and the
 * small operations (stat, delete, create bucket, sign). Credentials and
 * tokens, listing, reading, writing, copying and URL signing have files of
 * their own.
 */
#include "gcs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const pail_core_services *gcs_core;

pail_status gcs_no_memory(pail_error **err) {
  return gcs_core->error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                             "gcs: out of memory");
}

void gcs_wipe(char *secret) {
  if (secret == NULL)
    return;
  volatile char *p = secret;
  while (*p)
    *p++ = 0;
  free(secret);
}

/* --------------------------------------------------------------- URLs */

char *gcs_object_url(const gcs_instance *gcs, const char *key, bool upload,
                     const char *query) {
  /* Object names go in one path segment: '/' is encoded too. */
  char *bucket = gcs_core->uri_encode(gcs->bucket, 0);
  char *name = key ? gcs_core->uri_encode(key, 0) : NULL;
  char *url = NULL;
  if (bucket != NULL && (key == NULL || name != NULL) &&
      asprintf(&url, "%s%s/storage/v1/b/%s/o%s%s%s%s", gcs->api_base,
               upload ? "/upload" : "", bucket, name ? "/" : "",
               name ? name : "", query ? "?" : "", query ? query : "") < 0)
    url = NULL;
  free(bucket);
  free(name);
  return url;
}

/* ----------------------------------------------------------- requests */

/* Removes the Authorization header a previous authorize added (it is
 * always the last). */
static void request_unauthorize(pail_request *r) {
  if (r->header_count > 0 &&
      strncmp(r->headers[r->header_count - 1], "Authorization: ", 15) == 0) {
    free(r->headers[--r->header_count]);
    r->http.header_count = r->header_count;
  }
}

/* Adds "Authorization: Bearer <token>" (a fresh token when the cached one
 * is near its end) in place of any earlier one; *token receives it, for
 * invalidation (wipe it after). */
static pail_status authorize(gcs_instance *gcs, pail_request *r, char **token,
                             pail_error **err) {
  request_unauthorize(r);
  pail_status status = gcs_token_get(gcs, token, err);
  if (status == PAIL_OK)
    status =
        gcs_core->request_header(r, err, "Authorization: Bearer %s", *token);
  return status;
}

static bool accepted(const int *accept, int status) {
  for (; accept != NULL && *accept != 0; accept++)
    if (*accept == status)
      return true;
  return false;
}

pail_status gcs_exchange(gcs_instance *gcs, pail_request *r, const char *what,
                         const int *accept, pail_http_response *out,
                         pail_error **err) {
  for (int attempt = 0;; attempt++) {
    char *token = NULL;
    pail_status status = authorize(gcs, r, &token, err);
    if (status == PAIL_OK)
      status =
          gcs_core->http_exchange(gcs->cfg, &r->http, GCS_MAX_BODY, out, err);
    /* A token can stop working before the expiry it came with (revoked,
     * a clock ahead of ours): one more try with a new one. */
    bool refused = status == PAIL_OK && out->status == 401 && attempt == 0;
    if (refused)
      gcs_token_invalidate(gcs, token);
    gcs_wipe(token);
    if (status != PAIL_OK)
      return status;
    if (refused) {
      gcs_core->log(gcs->cfg, PAIL_LOG_INFO,
                    "gcs: the access token was refused; getting a new one");
      gcs_core->http_response_clear(out);
      continue;
    }
    if ((out->status < 200 || out->status > 299) &&
        !accepted(accept, out->status)) {
      status = gcs_response_error(gcs, out, what, err);
      gcs_core->http_response_clear(out);
    }
    return status;
  }
}

/* ------------------------------------------------------------- errors */

/* What a category says when the server gave no message (plugins do not
 * link libpail, so not pail_status_name). */
static const char *category_name(pail_status category) {
  switch (category) {
  case PAIL_ERR_NOT_FOUND:
    return "not found";
  case PAIL_ERR_ACCESS_DENIED:
    return "access denied";
  case PAIL_ERR_CONFLICT:
    return "precondition failed or conflict";
  case PAIL_ERR_THROTTLED:
    return "throttled";
  case PAIL_ERR_UNAVAILABLE:
    return "service unavailable";
  case PAIL_ERR_UNSUPPORTED:
    return "not supported by the server";
  default:
    return "request refused";
  }
}

pail_status gcs_status_category(int status) {
  /* The core's one table; a 2xx that reaches an error path (a body that
   * cannot be read) is no success. */
  pail_status category = gcs_core->status_category(status);
  return category == PAIL_OK ? PAIL_ERR_IO : category;
}

const char *gcs_request_id(const pail_http_response *response) {
  const char *id = gcs_core->http_header(response, "x-guploader-uploadid");
  return id ? id : gcs_core->http_header(response, "x-request-id");
}

json_t *gcs_json_body(const pail_http_response *response) {
  if (response->body == NULL || response->body_length == 0)
    return NULL;
  json_t *root = json_loadb(response->body, response->body_length,
                            JSON_REJECT_DUPLICATES, NULL);
  if (root != NULL && !json_is_object(root)) {
    json_decref(root);
    root = NULL;
  }
  return root;
}

/* Copies at most n bytes of s with control characters replaced, so that a
 * server's message cannot break the line it is shown on. */
static char *printable(const char *s, size_t n) {
  size_t length = strnlen(s, n);
  char *out = malloc(length + 1);
  if (out == NULL)
    return NULL;
  for (size_t i = 0; i < length; i++)
    out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
  out[length] = '\0';
  return out;
}

pail_status gcs_response_error(const gcs_instance *gcs,
                               const pail_http_response *response,
                               const char *what, pail_error **err) {
  return gcs_response_error_as(gcs, response, what,
                               gcs_status_category(response->status), err);
}

pail_status gcs_response_error_as(const gcs_instance *gcs,
                                  const pail_http_response *response,
                                  const char *what, pail_status category,
                                  pail_error **err) {
  (void)gcs;
  json_t *root = gcs_json_body(response);
  json_t *error = root ? json_object_get(root, "error") : NULL;
  const char *message = NULL, *reason = NULL;
  if (json_is_object(error)) {
    message = json_string_value(json_object_get(error, "message"));
    json_t *errors = json_object_get(error, "errors");
    json_t *first = json_is_array(errors) ? json_array_get(errors, 0) : NULL;
    if (json_is_object(first)) {
      reason = json_string_value(json_object_get(first, "reason"));
      if (message == NULL)
        message = json_string_value(json_object_get(first, "message"));
    }
  } else if (json_is_string(error)) {
    /* The OAuth2 token endpoint's shape: {"error": "invalid_grant",
     * "error_description": "..."}. */
    reason = json_string_value(error);
    message = json_string_value(json_object_get(root, "error_description"));
  }
  char *shown = message ? printable(message, 300) : NULL;
  char *code = reason ? printable(reason, 64) : NULL;
  /* The status, code and request id travel in the error's own fields
   * (the CLI prints them after the message). */
  pail_status status = gcs_core->error_set(
      err, category, response->status, code, gcs_request_id(response),
      "gcs: %s: %s", what, shown && *shown ? shown : category_name(category));
  free(shown);
  free(code);
  json_decref(root);
  return status;
}

pail_status gcs_bucket_missing(const gcs_instance *gcs,
                               const pail_http_response *response,
                               pail_error **err) {
  json_t *root = gcs_json_body(response);
  json_t *errors =
      root ? json_object_get(json_object_get(root, "error"), "errors") : NULL;
  const char *reason =
      json_string_value(json_object_get(json_array_get(errors, 0), "reason"));
  char *code = reason ? printable(reason, 64) : NULL;
  pail_status status = gcs_core->error_set(
      err, PAIL_ERR_NOT_FOUND, response->status, code, gcs_request_id(response),
      "gcs: bucket \"%s\" does not exist", gcs->bucket);
  free(code);
  json_decref(root);
  return status;
}

/* ---------------------------------------------------------- object info */

bool gcs_crc32c_decode(const char *text, uint32_t *out) {
  unsigned char bytes[8];
  size_t n = 0;
  if (text == NULL || strlen(text) != 8 ||
      gcs_core->base64_decode(text, 8, bytes, &n) != PAIL_OK || n != 4)
    return false;
  *out = (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 |
         (uint32_t)bytes[2] << 8 | bytes[3];
  return true;
}

void gcs_crc32c_encode(uint32_t crc, char out[9]) {
  unsigned char bytes[4] = {(unsigned char)(crc >> 24),
                            (unsigned char)(crc >> 16),
                            (unsigned char)(crc >> 8), (unsigned char)crc};
  gcs_core->base64_encode(bytes, 4, out);
}

static char *dup_member(const json_t *object, const char *name) {
  const char *value = json_string_value(json_object_get(object, name));
  return value ? strdup(value) : NULL;
}

/* GCS sends 64-bit numbers (size, generation) as decimal strings. */
static bool decimal_member(const json_t *object, const char *name,
                           uint64_t *out) {
  const char *text = json_string_value(json_object_get(object, name));
  if (text == NULL || *text < '0' || *text > '9')
    return false;
  char *end = NULL;
  errno = 0;
  unsigned long long value = strtoull(text, &end, 10);
  if (*end != '\0' || errno != 0)
    return false;
  *out = value;
  return true;
}

pail_status gcs_info_from_json(const json_t *object, pail_object_info *info,
                               uint32_t *crc32c, bool *has_crc32c,
                               pail_error **err) {
  if (has_crc32c != NULL)
    *has_crc32c = false;
  uint64_t size = 0, generation = 0;
  const char *name = json_string_value(json_object_get(object, "name"));
  if (name == NULL || !decimal_member(object, "size", &size) ||
      !decimal_member(object, "generation", &generation))
    return gcs_core->error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                               "gcs: the server's object resource lacks a "
                               "name, size or generation");
  info->key = strdup(name);
  info->size = size;
  if (asprintf(&info->etag, "%llu", (unsigned long long)generation) < 0)
    info->etag = NULL;
  const char *updated = json_string_value(json_object_get(object, "updated"));
  if (updated == NULL ||
      gcs_core->time_parse(updated, &info->last_modified,
                           &info->last_modified_nsec) != PAIL_OK)
    info->last_modified = INT64_MIN;
  info->content_type = dup_member(object, "contentType");
  info->content_disposition = dup_member(object, "contentDisposition");
  if (crc32c != NULL && has_crc32c != NULL)
    *has_crc32c = gcs_crc32c_decode(
        json_string_value(json_object_get(object, "crc32c")), crc32c);
  json_t *metadata = json_object_get(object, "metadata");
  if (json_is_object(metadata) && json_object_size(metadata) > 0) {
    info->metadata = calloc(json_object_size(metadata), sizeof *info->metadata);
    if (info->metadata == NULL)
      return gcs_no_memory(err);
    const char *k;
    json_t *v;
    json_object_foreach(metadata, k, v) {
      if (!json_is_string(v))
        continue;
      pail_metadata_entry *e = &info->metadata[info->metadata_count++];
      e->name = strdup(k);
      e->value = strdup(json_string_value(v));
      if (e->name == NULL || e->value == NULL)
        return gcs_no_memory(err);
    }
  }
  if (info->key == NULL || info->etag == NULL)
    return gcs_no_memory(err);
  return PAIL_OK;
}

/* ------------------------------------------------------ small operations */

static pail_status bucket_exists(gcs_instance *gcs, bool *exists,
                                 pail_error **err);

pail_status gcs_stat_object(gcs_instance *gcs, const char *key,
                            pail_object_info *out, char **generation,
                            uint32_t *crc32c, bool *has_crc32c,
                            pail_error **err) {
  static const int not_found[] = {404, 0};
  pail_request r;
  pail_http_response response = {0};
  pail_status status = gcs_core->request_init(
      &r, "GET", gcs_object_url(gcs, key, false, NULL), err);
  if (status == PAIL_OK)
    status = gcs_exchange(gcs, &r, key, not_found, &response, err);
  /* The same 404 for a missing object and a missing bucket: buckets.get
   * tells which is missing. */
  bool bucket_found = true;
  if (status == PAIL_OK && response.status == 404) {
    if (bucket_exists(gcs, &bucket_found, NULL) == PAIL_OK && !bucket_found)
      status = gcs_bucket_missing(gcs, &response, err);
    else
      status = gcs_response_error(gcs, &response, key, err);
  }
  if (status == PAIL_OK) {
    json_t *root = gcs_json_body(&response);
    if (root == NULL)
      status = gcs_core->error_set(err, PAIL_ERR_IO, response.status, NULL,
                                   gcs_request_id(&response),
                                   "gcs: %s: the object's metadata is not "
                                   "JSON",
                                   key);
    else
      status = gcs_info_from_json(root, out, crc32c, has_crc32c, err);
    if (status == PAIL_OK && generation != NULL &&
        (*generation = strdup(out->etag)) == NULL)
      status = gcs_no_memory(err);
    json_decref(root);
  }
  gcs_core->http_response_clear(&response);
  gcs_core->request_free(&r);
  return status;
}

static pail_status gcs_stat(void *instance, const char *key,
                            pail_object_info *out, pail_error **err) {
  gcs_instance *gcs = instance;
  if (gcs->relay != NULL)
    return gcs->relay->ops->stat(gcs->relay->instance, key, out, err);
  return gcs_stat_object(instance, key, out, NULL, NULL, NULL, err);
}

pail_status gcs_delete_object(gcs_instance *gcs, const char *key,
                              const char *generation, pail_error **err) {
  char *query = strdup("");
  if (query != NULL && generation != NULL &&
      !backend_query_add(gcs_core, &query, "generation", generation))
    query = NULL;
  if (query == NULL)
    return gcs_no_memory(err);
  pail_request r;
  pail_http_response response = {0};
  pail_status status = gcs_core->request_init(
      &r, "DELETE", gcs_object_url(gcs, key, false, *query ? query : NULL),
      err);
  free(query);
  if (status == PAIL_OK)
    status = gcs_exchange(gcs, &r, key, NULL, &response, err);
  gcs_core->http_response_clear(&response);
  gcs_core->request_free(&r);
  return status;
}

static pail_status gcs_delete(void *instance, const char *key,
                              pail_error **err) {
  gcs_instance *gcs = instance;
  if (gcs->relay != NULL)
    return gcs->relay->ops->delete_object(gcs->relay->instance, key, err);
  return gcs_delete_object(instance, key, NULL, err);
}

void gcs_delete_generation(gcs_instance *gcs, const char *key,
                           const char *generation) {
  pail_error *failure = NULL;
  if (gcs_delete_object(gcs, key, generation, &failure) != PAIL_OK)
    gcs_core->log(gcs->cfg, PAIL_LOG_WARNING,
                  "gcs: %s: could not delete generation %s after a failed "
                  "check: %s",
                  key, generation ? generation : "(live)",
                  gcs_core->error_message(failure));
  gcs_core->error_free(failure);
}

/* buckets.get: whether the bucket exists and these credentials reach it. */
static pail_status bucket_exists(gcs_instance *gcs, bool *exists,
                                 pail_error **err) {
  static const int not_found[] = {404, 0};
  char *bucket = gcs_core->uri_encode(gcs->bucket, 0);
  char *url = NULL;
  if (bucket != NULL &&
      asprintf(&url, "%s/storage/v1/b/%s", gcs->api_base, bucket) < 0)
    url = NULL;
  free(bucket);
  pail_request r;
  pail_http_response response = {0};
  pail_status status = gcs_core->request_init(&r, "GET", url, err);
  if (status == PAIL_OK)
    status = gcs_exchange(gcs, &r, "cannot look at the bucket", not_found,
                          &response, err);
  *exists = status == PAIL_OK && response.status == 200;
  gcs_core->http_response_clear(&response);
  gcs_core->request_free(&r);
  return status;
}

static pail_status gcs_create_container(void *instance, pail_error **err) {
  gcs_instance *gcs = instance;
  if (gcs->relay != NULL)
    return gcs->relay->ops->create_container(gcs->relay->instance, err);
  /* Already there and reachable with our credentials is what `mb` wants. */
  bool exists = false;
  pail_status status = bucket_exists(gcs, &exists, err);
  if (status != PAIL_OK || exists)
    return status;
  if (gcs->project == NULL)
    return gcs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                               "gcs: creating bucket \"%s\" needs a project: "
                               "set \"project\" in the settings (the service "
                               "account key's project_id is used when there "
                               "is one)",
                               gcs->bucket);
  char *query = strdup("");
  char *url = NULL;
  if (query != NULL &&
      backend_query_add(gcs_core, &query, "project", gcs->project) &&
      asprintf(&url, "%s/storage/v1/b?%s", gcs->api_base, query) < 0)
    url = NULL;
  free(query);
  json_t *resource = json_pack("{s:s}", "name", gcs->bucket);
  char *body = resource ? json_dumps(resource, JSON_COMPACT) : NULL;
  json_decref(resource);
  pail_request r;
  pail_http_response response = {0};
  status = gcs_core->request_init(&r, "POST", body ? url : NULL, err);
  if (body == NULL)
    free(url);
  if (status == PAIL_OK) {
    pail_request_body(&r, body, strlen(body));
    status = gcs_core->request_header(&r, err,
                                      "Content-Type: application/json; "
                                      "charset=UTF-8");
  }
  if (status == PAIL_OK)
    status =
        gcs_exchange(gcs, &r, "cannot create the bucket", NULL, &response, err);
  gcs_core->http_response_clear(&response);
  gcs_core->request_free(&r);
  free(body);
  return status;
}

/* ---------------------------------------------------------------- sign */

static pail_status gcs_sign(void *instance, const char *key,
                            const pail_sign_options *options, char **url,
                            pail_error **err) {
  gcs_instance *gcs = instance;
  gcs_v4_signer signer = {0};
  /* HMAC keys when given (they are what the user set up for URLs), else
   * the service account. */
  if (gcs->hmac_access_id != NULL && gcs->hmac_secret != NULL) {
    signer.hmac_access_id = gcs->hmac_access_id;
    signer.hmac_secret = gcs->hmac_secret;
  } else if (gcs->has_account && gcs->account.service_account) {
    signer.client_email = gcs->account.client_email;
    signer.key = gcs->account.key;
  } else {
    return gcs_core->error_set(
        err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
        "gcs: signing URLs needs a service account key or HMAC keys "
        "(accessKey, secretKey); %s",
        gcs->has_account ? "user credentials (authorized_user) cannot sign"
                         : gcs->missing_account);
  }
  /* Path style names the bucket in the path; virtual-hosted style in the
   * host name; a bucket-bound hostname (a custom domain in front of the
   * bucket) names it nowhere. */
  bool bucket_in_path = gcs->bound_host == NULL && gcs->path_style;
  char *encoded = gcs_core->uri_encode(key, 1);
  char *path = NULL, *host = NULL;
  if (encoded != NULL &&
      (bucket_in_path ? asprintf(&path, "/%s/%s", gcs->bucket, encoded)
                      : asprintf(&path, "/%s", encoded)) < 0)
    path = NULL;
  if (gcs->bound_host != NULL)
    host = strdup(gcs->bound_host);
  else if (gcs->path_style)
    host = strdup(gcs->endpoint);
  else if (asprintf(&host, "%s.%s", gcs->bucket, gcs->endpoint) < 0)
    host = NULL;
  free(encoded);
  const char **names = calloc(options->query_count + 1, sizeof *names);
  const char **values = calloc(options->query_count + 1, sizeof *values);
  char **copies = calloc(options->query_count + 1, sizeof *copies);
  pail_status status =
      path && host && names && values && copies ? PAIL_OK : gcs_no_memory(err);
  for (size_t i = 0; status == PAIL_OK && i < options->query_count; i++) {
    const char *eq = strchr(options->query[i], '=');
    copies[i] =
        eq ? strndup(options->query[i], (size_t)(eq - options->query[i]))
           : strdup(options->query[i]);
    if (copies[i] == NULL)
      status = gcs_no_memory(err);
    names[i] = copies[i];
    values[i] = eq ? eq + 1 : "";
  }
  if (status == PAIL_OK) {
    gcs_v4_request request = {
        .method = options->method,
        .scheme = (gcs->bound_host ? gcs->bound_ssl : gcs->use_ssl) ? "https"
                                                                    : "http",
        .host = host,
        .path = path,
        .headers = options->headers,
        .header_count = options->header_count,
        .query_names = names,
        .query_values = values,
        .query_count = options->query_count,
        .at = options->at,
        .expires = options->expires,
    };
    status = gcs_v4_sign(&signer, &request, url, NULL, NULL, err);
  }
  for (size_t i = 0; copies && i < options->query_count; i++)
    free(copies[i]);
  free(copies);
  free(names);
  free(values);
  free(path);
  free(host);
  return status;
}

/* --------------------------------------------------- connection facts */

/* connection_describe: for data tools. HMAC-only storages are the s3
 * backend's to describe (provider gcs); otherwise the service account's
 * key, where it is: its file, or the key the settings hold. */
static pail_status gcs_connection_describe(void *instance, char **json,
                                           pail_error **err) {
  gcs_instance *gcs = instance;
  *json = NULL;
  if (gcs->relay != NULL)
    return gcs->relay->ops->connection_describe != NULL
               ? gcs->relay->ops->connection_describe(gcs->relay->instance,
                                                      json, err)
               : gcs_core->error_set(err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
                                     "gcs: the s3 backend cannot "
                                     "describe the XML API connection");
  if (!gcs->has_account || !gcs->account.service_account)
    return gcs_core->error_set(
        err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
        "gcs: bucket \"%s\": only a service account key can be handed to "
        "other programs; the credentials here are %s",
        gcs->bucket,
        gcs->has_account ? "a gcloud user login (refresh token)" : "none");
  json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "protocol", "gcs", "bucket",
                        gcs->bucket, "endpoint", gcs->endpoint, "use_ssl",
                        gcs->use_ssl);
  if (o != NULL && gcs->account.path != NULL) {
    json_object_set_new(o, "service_account_path",
                        json_string(gcs->account.path));
  } else if (o != NULL) {
    const char *given = gcs_core->config_string(gcs->cfg, "serviceAccountKey");
    char *text = given ? strdup(given)
                       : gcs_core->config_json(gcs->cfg, "serviceAccountKey");
    if (text != NULL)
      json_object_set_new(o, "service_account_key", json_string(text));
    gcs_wipe(text);
  }
  /* HMAC keys beside the account: what S3 tools (DuckDB, boto3) use. */
  if (o != NULL && gcs->hmac_access_id != NULL) {
    json_object_set_new(o, "hmac_access_id", json_string(gcs->hmac_access_id));
    json_object_set_new(o, "hmac_secret", json_string(gcs->hmac_secret));
  }
  *json = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  return *json ? PAIL_OK : gcs_no_memory(err);
}

/* pail cleanup (ABI 1.14). The JSON API's resumable upload sessions
 * cannot be listed: GCS offers no call for that, and a killed writer took
 * its session URI with it. They hold no object and GCS ends them a week
 * after they began. What it lists are the part objects of the S3 gateway's
 * uploads (gcs_uploads.c). Through the XML API (HMAC keys alone) writes are
 * S3 multipart uploads, which the s3 backend lists and aborts. */
#define GCS_SESSIONS_NOTE                                                      \
  "GCS ends an unfinished resumable upload session by itself, a week after "   \
  "it began; sessions cannot be listed, so pail cannot end them sooner"

static pail_status gcs_leftovers_list(void *instance, pail_leftover **leftovers,
                                      size_t *count, char **note,
                                      pail_error **err) {
  gcs_instance *gcs = instance;
  const pail_delegate *relay = gcs->relay;
  if (relay != NULL && relay->ops->leftovers_list != NULL)
    return relay->ops->leftovers_list(relay->instance, leftovers, count, note,
                                      err);
  *note = strdup(GCS_SESSIONS_NOTE);
  if (*note == NULL)
    return gcs_no_memory(err);
  /* The parts of the S3 gateway's uploads, composed at Complete. */
  return gcs_upload_leftovers(gcs, leftovers, count, err);
}

static pail_status gcs_leftover_remove(void *instance,
                                       const pail_leftover *leftover, int force,
                                       pail_error **err) {
  gcs_instance *gcs = instance;
  const pail_delegate *relay = gcs->relay;
  if (relay != NULL && relay->ops->leftover_remove != NULL)
    return relay->ops->leftover_remove(relay->instance, leftover, force, err);
  /* No part of an upload shows whether its upload is still running: the
   * core's age limit is all that keeps a running one. */
  return gcs_upload_leftover_remove(gcs, leftover, err);
}

/* ------------------------------------------------------------ settings */

static const pail_backend_field gcs_fields[] = {
    {"bucket", PAIL_FIELD_STRING, 1, 0, "the bucket's name"},
    {"serviceAccountKey", PAIL_FIELD_OBJECT_OR_STRING, 0, 1,
     "the service account's JSON key: the object, a string holding it, or "
     "the path of its file (default: GOOGLE_APPLICATION_CREDENTIALS, then "
     "gcloud's application default credentials)"},
    {"endpoint", PAIL_FIELD_STRING, 0, 0,
     "host[:port] of the service (default storage.googleapis.com)"},
    {"useSSL", PAIL_FIELD_BOOL, 0, 0, "HTTPS (default true)"},
    {"pathStyle", PAIL_FIELD_BOOL, 0, 0,
     "signed URLs name the bucket in the path (default true), else in the "
     "host name (https://bucket.storage.googleapis.com/key)"},
    {"bucketBoundHostname", PAIL_FIELD_STRING, 0, 0,
     "signed URLs go to this custom domain serving the bucket: host[:port], "
     "or http:// or https:// then host[:port] (default https)"},
    {"accessKey", PAIL_FIELD_STRING, 0, 0,
     "HMAC access id: signs URLs with GOOG4-HMAC-SHA256; without a service "
     "account, data goes through the XML API (the s3 backend)"},
    {"secretKey", PAIL_FIELD_STRING, 0, 1, "HMAC secret"},
    {"project", PAIL_FIELD_STRING, 0, 0,
     "project that `mb` creates the bucket in (default: the key's "
     "project_id)"},
    {"chunkSize", PAIL_FIELD_INTEGER, 0, 0,
     "resumable upload chunk size in bytes, a multiple of 256 KiB, also the "
     "largest single-request upload (default 8 MiB)"},
    {NULL, 0, 0, 0, NULL},
};

/* GCS's bucket naming rules (cloud.google.com/storage/docs/buckets#naming).
 */
static pail_status check_bucket_name(const char *name, pail_error **err) {
  size_t n = strlen(name);
  const char *why = NULL;
  bool dotted = strchr(name, '.') != NULL;
  if (n < 3 || n > (dotted ? 222u : 63u))
    why = "it must be 3 to 63 characters long (222 with dots)";
  for (size_t i = 0; why == NULL && i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '-' || c == '_'))
      why = "only lowercase letters, digits, '-', '_' and '.' are allowed";
  }
  if (why == NULL && (!((name[0] >= 'a' && name[0] <= 'z') ||
                        (name[0] >= '0' && name[0] <= '9')) ||
                      !((name[n - 1] >= 'a' && name[n - 1] <= 'z') ||
                        (name[n - 1] >= '0' && name[n - 1] <= '9'))))
    why = "it must begin and end with a letter or digit";
  for (const char *part = name; why == NULL && part != NULL;) {
    const char *dot = strchr(part, '.');
    size_t length = dot ? (size_t)(dot - part) : strlen(part);
    if (length == 0 || length > 63)
      why = "each dot-separated part must be 1 to 63 characters";
    part = dot ? dot + 1 : NULL;
  }
  if (why == NULL && strncmp(name, "goog", 4) == 0)
    why = "the prefix \"goog\" is reserved";
  if (why == NULL && (strstr(name, "google") || strstr(name, "g00gle")))
    why = "it must not contain \"google\"";
  if (why == NULL) {
    unsigned a, b, c, d;
    char tail;
    if (sscanf(name, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4)
      why = "it must not look like an IP address";
  }
  if (why == NULL)
    return PAIL_OK;
  return gcs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                             "gcs: invalid bucket name \"%.80s\": %s", name,
                             why);
}

/* Checks a host setting (field): host[:port], no scheme, no path. */
static pail_status check_endpoint(const char *field, const char *endpoint,
                                  pail_error **err) {
  const char *why = gcs_core->endpoint_problem(endpoint);
  if (why == NULL)
    return PAIL_OK;
  return gcs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                             "gcs: invalid %s \"%.100s\": %s", field, endpoint,
                             why);
}

static void gcs_close(void *instance) {
  gcs_instance *gcs = instance;
  if (gcs == NULL)
    return;
  gcs_core->delegate_close(gcs->relay);
  free(gcs->bucket);
  free(gcs->endpoint);
  free(gcs->bound_host);
  free(gcs->api_base);
  gcs_account_clear(&gcs->account);
  free(gcs->missing_account);
  free(gcs->hmac_access_id);
  gcs_wipe(gcs->hmac_secret);
  free(gcs->project);
  gcs_core->credentials_cache_free(gcs->tokens);
  free(gcs);
}

static pail_status gcs_open(const pail_config *cfg, void **instance,
                            pail_error **err) {
  gcs_instance *gcs = calloc(1, sizeof *gcs);
  if (gcs == NULL)
    return gcs_no_memory(err);
  gcs->cfg = cfg;
  gcs->retries = 5;
  gcs->bucket = strdup(gcs_core->config_string(cfg, "bucket"));
  pail_status status =
      gcs->bucket ? check_bucket_name(gcs->bucket, err) : gcs_no_memory(err);
  const char *endpoint = gcs_core->config_string(cfg, "endpoint");
  if (endpoint == NULL || *endpoint == '\0')
    endpoint = "storage.googleapis.com";
  if (status == PAIL_OK)
    status = check_endpoint("endpoint", endpoint, err);
  gcs->use_ssl = gcs_core->config_bool(cfg, "useSSL", 1);
  gcs->path_style = gcs_core->config_bool(cfg, "pathStyle", 1);
  if (status == PAIL_OK &&
      ((gcs->endpoint = strdup(endpoint)) == NULL ||
       asprintf(&gcs->api_base, "%s://%s", gcs->use_ssl ? "https" : "http",
                endpoint) < 0))
    status = gcs_no_memory(err);
  const char *bound = gcs_core->config_string(cfg, "bucketBoundHostname");
  if (status == PAIL_OK && bound != NULL && *bound != '\0') {
    gcs->bound_ssl = strncmp(bound, "http://", 7) != 0;
    if (strncmp(bound, "http://", 7) == 0)
      bound += 7;
    else if (strncmp(bound, "https://", 8) == 0)
      bound += 8;
    status = check_endpoint("bucketBoundHostname", bound, err);
    if (status == PAIL_OK && (gcs->bound_host = strdup(bound)) == NULL)
      status = gcs_no_memory(err);
  }
  const char *access = gcs_core->config_string(cfg, "accessKey");
  const char *secret = gcs_core->config_string(cfg, "secretKey");
  bool has_access = access && *access, has_secret = secret && *secret;
  if (status == PAIL_OK && has_access != has_secret)
    status = gcs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                 "gcs: HMAC keys need both accessKey and "
                                 "secretKey");
  if (status == PAIL_OK && has_access &&
      ((gcs->hmac_access_id = strdup(access)) == NULL ||
       (gcs->hmac_secret = strdup(secret)) == NULL))
    status = gcs_no_memory(err);
  int64_t chunk = gcs_core->config_integer(cfg, "chunkSize",
                                           (int64_t)GCS_DEFAULT_CHUNK_SIZE);
  if (status == PAIL_OK && (chunk < (int64_t)GCS_CHUNK_QUANTUM ||
                            chunk > (int64_t)GCS_MAX_CHUNK_SIZE ||
                            chunk % (int64_t)GCS_CHUNK_QUANTUM != 0))
    status = gcs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                 "gcs: chunkSize must be a multiple of 256 "
                                 "KiB (262144) up to 1 GiB, not %lld",
                                 (long long)chunk);
  gcs->chunk_size = (size_t)chunk;
  if (status == PAIL_OK)
    status = gcs_resolve_account(gcs, err);
  if (status == PAIL_OK && gcs->has_account)
    status = gcs_tokens_open(gcs, err);
  /* HMAC keys alone reach nothing through the JSON API: the XML API
   * serves them, through the s3 backend (gcs_relay.c). */
  if (status == PAIL_OK && !gcs->has_account && has_access)
    status = gcs_relay_open(gcs, err);
  if (status == PAIL_OK && !gcs->has_account && !has_access)
    status = gcs_core->error_set(err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                                 "gcs: no credentials for bucket \"%s\": %s",
                                 gcs->bucket, gcs->missing_account);
  const char *project = gcs_core->config_string(cfg, "project");
  if (project == NULL || *project == '\0')
    project = gcs->account.project_id;
  if (status == PAIL_OK && project != NULL &&
      (gcs->project = strdup(project)) == NULL)
    status = gcs_no_memory(err);
  if (status != PAIL_OK) {
    gcs_close(gcs);
    return status;
  }
  gcs_core->log(cfg, PAIL_LOG_DEBUG,
                "gcs: bucket %s at %s (credentials from %s%s)", gcs->bucket,
                gcs->api_base,
                gcs->has_account ? gcs->account.source : "HMAC keys",
                !has_access        ? ""
                : gcs->has_account ? "; HMAC keys for signing"
                                   : "; the XML API, through the s3 backend");
  *instance = gcs;
  return PAIL_OK;
}

static const pail_backend_ops gcs_ops = {
    PAIL_BACKEND_OPS_INIT("gcs"),
    .version = GCS_VERSION,
    .capabilities = PAIL_CAP_RANGED_READ | PAIL_CAP_SERVER_COPY |
                    PAIL_CAP_PRESIGN | PAIL_CAP_CONDITIONAL_WRITE |
                    PAIL_CAP_METADATA | PAIL_CAP_CREATE_CONTAINER |
                    PAIL_CAP_CONDITIONAL_READ,
    .fields = gcs_fields,
    .open = gcs_open,
    .close = gcs_close,
    .list = gcs_list,
    .stat = gcs_stat,
    .read_open = gcs_read_open,
    .read_stream = gcs_read_stream,
    .read_close = gcs_read_close,
    .write_open = gcs_write_open,
    .write_stream = gcs_write_stream,
    .write_stream_file = gcs_write_stream_file,
    .write_commit = gcs_write_commit,
    .write_abort = gcs_write_abort,
    .delete_object = gcs_delete,
    .copy = gcs_copy,
    .sign = gcs_sign,
    .create_container = gcs_create_container,
    .connection_describe = gcs_connection_describe,
    .leftovers_list = gcs_leftovers_list,
    .leftover_remove = gcs_leftover_remove,
    .upload_create = gcs_upload_create,
    .upload_part = gcs_upload_part,
    .upload_complete = gcs_upload_complete,
    .upload_abort = gcs_upload_abort,
};

/* Needs core ABI 1.16: resumable_stream_open (1.16), status_category (1.15),
 * the request builder (1.11) and the write options kept until commit (1.13). */
PAIL_BACKEND_DEFINE_ENTRY(gcs_ops, gcs_core, 16)
