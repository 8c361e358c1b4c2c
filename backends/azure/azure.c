/*
 * azure.c: the Azure Blob backend's entry, settings, requests and errors,
 * and the small operations (stat, delete, create container, service SAS).
 * Credentials, listing, reading, writing, copying and deleting many blobs
 * have files of their own.
 */
#include "azure.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

const pail_core_services *azure_core;

pail_status azure_no_memory(pail_error **err) {
  return azure_core->error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                               "azure_blob: out of memory");
}

/* --------------------------------------------------------------- URLs */

char *azure_url(const azure_instance *az, const char *key, const char *query) {
  char *encoded = key ? azure_core->uri_encode(key, 1) : NULL;
  if (key != NULL && encoded == NULL)
    return NULL;
  char *url = NULL;
  if (asprintf(&url, "%s%s/%s%s%s%s%s", az->origin, az->path_prefix,
               az->container, key ? "/" : "", encoded ? encoded : "",
               query ? "?" : "", query ? query : "") < 0)
    url = NULL;
  free(encoded);
  return url;
}

/* ----------------------------------------------------------- requests */

pail_status azure_request_sign(const azure_instance *az, pail_request *r,
                               pail_error **err) {
  char date[64];
  azure_http_date(azure_core->now(NULL), date);
  pail_status status =
      azure_core->request_header(r, err, "x-ms-date: %s", date);
  if (status == PAIL_OK)
    status = azure_core->request_header(r, err, "x-ms-version: %s",
                                        AZURE_SERVICE_VERSION);
  if (status != PAIL_OK)
    return status;
  if (az->key_length > 0) {
    char *text = azure_shared_key_string(r->http.method, az->account, r->url,
                                         (const char *const *)r->headers,
                                         r->header_count, r->http.body_length);
    if (text == NULL)
      return azure_no_memory(err);
    char signature[45];
    azure_hmac_base64(az->key, az->key_length, text, signature);
    free(text);
    status = azure_core->request_header(
        r, err, "Authorization: SharedKey %s:%s", az->account, signature);
    if (status != PAIL_OK)
      return status;
  } else if (az->sas != NULL) {
    char *url = NULL;
    if (asprintf(&url, "%s%c%s", r->url, strchr(r->url, '?') ? '&' : '?',
                 az->sas) < 0)
      return azure_no_memory(err);
    return azure_core->request_set_url(r, url, err);
  } else if (az->entra != NULL) {
    pail_backend_credentials token;
    status = azure_entra_token(az, &token, err);
    if (status == PAIL_OK)
      status = azure_core->request_header(r, err, "Authorization: Bearer %s",
                                          token.token);
    azure_core->credentials_clear(&token);
    return status;
  }
  return PAIL_OK;
}

/* ------------------------------------------------------------- errors */

/* The Blob service's error codes by category; anything else goes by the
 * HTTP status, through the core's one table. */
static pail_status category_of(const char *code, int status) {
  static const struct {
    const char *code;
    pail_status category;
  } codes[] = {
      {"BlobNotFound", PAIL_ERR_NOT_FOUND},
      {"ContainerNotFound", PAIL_ERR_NOT_FOUND},
      {"ResourceNotFound", PAIL_ERR_NOT_FOUND},
      {"CannotVerifyCopySource", PAIL_ERR_NOT_FOUND},
      {"AuthenticationFailed", PAIL_ERR_ACCESS_DENIED},
      {"AuthorizationFailure", PAIL_ERR_ACCESS_DENIED},
      {"AuthorizationPermissionMismatch", PAIL_ERR_ACCESS_DENIED},
      {"AuthorizationProtocolMismatch", PAIL_ERR_ACCESS_DENIED},
      {"AuthorizationResourceTypeMismatch", PAIL_ERR_ACCESS_DENIED},
      {"AuthorizationServiceMismatch", PAIL_ERR_ACCESS_DENIED},
      {"AuthorizationSourceIPMismatch", PAIL_ERR_ACCESS_DENIED},
      {"InsufficientAccountPermissions", PAIL_ERR_ACCESS_DENIED},
      {"InvalidAuthenticationInfo", PAIL_ERR_ACCESS_DENIED},
      {"NoAuthenticationInformation", PAIL_ERR_ACCESS_DENIED},
      {"AccountIsDisabled", PAIL_ERR_ACCESS_DENIED},
      {"ServerBusy", PAIL_ERR_THROTTLED},
      {"OperationTimedOut", PAIL_ERR_THROTTLED},
      {"ConditionNotMet", PAIL_ERR_CONFLICT},
      {"SourceConditionNotMet", PAIL_ERR_CONFLICT},
      {"TargetConditionNotMet", PAIL_ERR_CONFLICT},
      {"BlobAlreadyExists", PAIL_ERR_CONFLICT},
      {"ContainerAlreadyExists", PAIL_ERR_CONFLICT},
      {"ContainerBeingDeleted", PAIL_ERR_CONFLICT},
      {"LeaseIdMissing", PAIL_ERR_CONFLICT},
      {"LeaseIdMismatchWithBlobOperation", PAIL_ERR_CONFLICT},
      {"PendingCopyOperation", PAIL_ERR_CONFLICT},
      {"SnapshotsPresent", PAIL_ERR_CONFLICT},
      {"InvalidBlockList", PAIL_ERR_CONFLICT},
      {"InvalidBlockId", PAIL_ERR_INVALID_ARGUMENT},
      {"InvalidRange", PAIL_ERR_INVALID_ARGUMENT},
      {"InvalidHeaderValue", PAIL_ERR_INVALID_ARGUMENT},
      {"InvalidQueryParameterValue", PAIL_ERR_INVALID_ARGUMENT},
      {"InvalidResourceName", PAIL_ERR_INVALID_ARGUMENT},
      {"InvalidUri", PAIL_ERR_INVALID_ARGUMENT},
      {"InvalidInput", PAIL_ERR_INVALID_ARGUMENT},
      {"InvalidMetadata", PAIL_ERR_INVALID_ARGUMENT},
      {"InvalidXmlDocument", PAIL_ERR_INVALID_ARGUMENT},
      {"MissingRequiredHeader", PAIL_ERR_INVALID_ARGUMENT},
      {"OutOfRangeInput", PAIL_ERR_INVALID_ARGUMENT},
      {"RequestBodyTooLarge", PAIL_ERR_INVALID_ARGUMENT},
      {"InvalidBlobType", PAIL_ERR_INVALID_ARGUMENT},
      {"UnsupportedHeader", PAIL_ERR_UNSUPPORTED},
      {"UnsupportedQueryParameter", PAIL_ERR_UNSUPPORTED},
      {"FeatureVersionMismatch", PAIL_ERR_UNSUPPORTED},
      {"Md5Mismatch", PAIL_ERR_IO},
      {"InternalError", PAIL_ERR_UNAVAILABLE},
  };
  if (code != NULL)
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
      if (strcmp(codes[i].code, code) == 0)
        return codes[i].category;
  /* This is an error however the status reads: a 2xx that reaches here is
   * no success. */
  pail_status category = azure_core->status_category(status);
  return category == PAIL_OK ? PAIL_ERR_IO : category;
}

/* A message for a response with no error document (HEAD). */
static const char *status_phrase(int status) {
  switch (status) {
  case 400:
    return "bad request";
  case 401:
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
    return "server busy";
  default:
    return status >= 500 ? "server error" : "unexpected response";
  }
}

/* Reads <Error><Code>, <Message> from a body; either may stay NULL. */
static void error_document(const pail_http_response *response, char **code,
                           char **message) {
  xmlDocPtr doc = response->body
                      ? backend_xml_parse(response->body, response->body_length)
                      : NULL;
  xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
  if (root != NULL && strcmp((const char *)root->name, "Error") == 0) {
    *code = backend_xml_child_text(root, "Code");
    *message = backend_xml_child_text(root, "Message");
  }
  if (doc != NULL)
    xmlFreeDoc(doc);
}

char *azure_error_code(const pail_http_response *response) {
  const char *header = azure_core->http_header(response, "x-ms-error-code");
  if (header != NULL && *header != '\0')
    return strdup(header);
  char *code = NULL, *message = NULL;
  error_document(response, &code, &message);
  free(message);
  return code;
}

/* Replaces every occurrence of secret (3 bytes or more) in text by "***",
 * in place. */
static void redact(char *text, const char *secret, size_t length) {
  if (text == NULL || secret == NULL || length < 3)
    return;
  for (char *hit = text; (hit = memmem(hit, strlen(hit), secret, length));
       hit += 3) {
    memcpy(hit, "***", 3);
    memmove(hit + 3, hit + length, strlen(hit + length) + 1);
  }
}

/* A service may quote a URL it was given (a copy source) in its message:
 * the SAS token, and its signature alone, never reach an error. The core
 * redacts the settings' secrets, but a token from a connection string or
 * the environment is not one of them. */
static void redact_sas(const azure_instance *az, char *text) {
  if (az == NULL || az->sas == NULL)
    return;
  redact(text, az->sas, strlen(az->sas));
  const char *sig =
      strncmp(az->sas, "sig=", 4) == 0 ? az->sas : strstr(az->sas, "&sig=");
  if (sig != NULL) {
    sig += *sig == '&' ? 5 : 4;
    redact(text, sig, strcspn(sig, "&"));
  }
}

pail_status azure_response_error(const azure_instance *az,
                                 const pail_http_response *response,
                                 const char *what, pail_error **err) {
  char *code = NULL, *message = NULL;
  error_document(response, &code, &message);
  const char *header_code =
      azure_core->http_header(response, "x-ms-error-code");
  if (code == NULL && header_code != NULL && *header_code != '\0')
    code = strdup(header_code);
  /* The service appends "\nRequestId:...\nTime:..." to its messages; the
   * request id is reported on its own. Other control characters (the body
   * is the server's) become spaces. */
  if (message != NULL) {
    message[strcspn(message, "\r\n")] = '\0';
    for (char *c = message; *c; c++)
      if ((unsigned char)*c < 0x20 || *c == 0x7f)
        *c = ' ';
  }
  redact_sas(az, message);
  int status = response->status;
  pail_status category = category_of(code, status);
  const char *request_id = azure_core->http_header(response, "x-ms-request-id");
  pail_status result;
  /* The blob is not what is missing: say which container is. A HEAD has
   * no body, but the code comes in x-ms-error-code all the same. */
  if (code != NULL && strcmp(code, "ContainerNotFound") == 0)
    result = azure_core->error_set(err, category, status, code, request_id,
                                   "azure_blob: container \"%s\" does not "
                                   "exist",
                                   az && az->container ? az->container : "");
  else
    result = azure_core->error_set(
        err, category, status, code, request_id, "azure_blob: %s: %s", what,
        message && *message ? message : status_phrase(status));
  free(code);
  free(message);
  return result;
}

pail_status azure_exchange(const azure_instance *az, pail_request *r,
                           const char *what, pail_http_response *out,
                           pail_error **err) {
  pail_status status =
      azure_core->http_exchange(az->cfg, &r->http, AZURE_MAX_BODY, out, err);
  if (status != PAIL_OK)
    return status;
  if (out->status < 200 || out->status > 299) {
    status = azure_response_error(az, out, what, err);
    azure_core->http_response_clear(out);
  }
  return status;
}

/* ---------------------------------------------------------- object info */

static char *dup_header(const pail_http_response *response, const char *name) {
  const char *value = azure_core->http_header(response, name);
  return value ? strdup(value) : NULL;
}

pail_status azure_info_from_headers(const pail_http_response *response,
                                    const char *key, pail_object_info *info,
                                    pail_error **err) {
  info->key = strdup(key);
  const char *length = azure_core->http_header(response, "content-length");
  const char *range = azure_core->http_header(response, "content-range");
  const char *total = range ? strrchr(range, '/') : NULL;
  /* A ranged GET's Content-Length is the range's; the blob's size is after
   * the '/' of Content-Range. */
  const char *size = total && total[1] != '*' ? total + 1 : length;
  if (size != NULL)
    info->size = strtoull(size, NULL, 10);
  const char *modified = azure_core->http_header(response, "last-modified");
  if (modified == NULL ||
      azure_core->time_parse(modified, &info->last_modified,
                             &info->last_modified_nsec) != PAIL_OK)
    info->last_modified = INT64_MIN;
  info->etag = dup_header(response, "etag");
  info->content_type = dup_header(response, "content-type");
  info->content_disposition = dup_header(response, "content-disposition");
  size_t count = 0;
  for (size_t i = 0; i < response->header_count; i++)
    if (strncmp(response->headers[i].name, "x-ms-meta-", 10) == 0)
      count++;
  if (count > 0) {
    info->metadata = calloc(count, sizeof *info->metadata);
    if (info->metadata == NULL)
      return azure_no_memory(err);
    for (size_t i = 0; i < response->header_count; i++) {
      const pail_http_header *h = &response->headers[i];
      if (strncmp(h->name, "x-ms-meta-", 10) != 0)
        continue;
      pail_metadata_entry *e = &info->metadata[info->metadata_count++];
      e->name = strdup(h->name + 10);
      e->value = strdup(h->value);
      if (e->name == NULL || e->value == NULL)
        return azure_no_memory(err);
    }
  }
  if (info->key == NULL)
    return azure_no_memory(err);
  return PAIL_OK;
}

/* ------------------------------------------------------ blob headers */

pail_status azure_request_blob_headers(pail_request *r,
                                       const pail_write_options *options,
                                       pail_error **err) {
  pail_status status = PAIL_OK;
  if (options->content_type != NULL)
    status = azure_core->request_header(r, err, "x-ms-blob-content-type: %s",
                                        options->content_type);
  if (status == PAIL_OK && options->content_disposition != NULL)
    status =
        azure_core->request_header(r, err, "x-ms-blob-content-disposition: %s",
                                   options->content_disposition);
  for (size_t i = 0; status == PAIL_OK && i < options->metadata_count; i++) {
    const pail_metadata_entry *m = &options->metadata[i];
    /* Azure metadata names are C# identifiers. */
    if (*m->name == '\0' || (m->name[0] >= '0' && m->name[0] <= '9') ||
        strspn(m->name,
               "abcdefghijklmnopqrstuvwxyz"
               "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(m->name))
      return azure_core->error_set(
          err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
          "azure_blob: metadata name \"%.64s\" must be letters, digits and "
          "'_', not starting with a digit",
          m->name);
    status = azure_core->request_header(r, err, "x-ms-meta-%s: %s", m->name,
                                        m->value);
  }
  return status;
}

/* ------------------------------------------------------ small operations */

pail_status azure_stat_object(const azure_instance *az, const char *key,
                              pail_object_info *out, pail_error **err) {
  pail_request r;
  pail_http_response response = {0};
  pail_status status =
      azure_core->request_init(&r, "HEAD", azure_url(az, key, NULL), err);
  if (status == PAIL_OK)
    status = azure_request_sign(az, &r, err);
  if (status == PAIL_OK)
    status = azure_exchange(az, &r, key, &response, err);
  if (status == PAIL_OK) {
    status = azure_info_from_headers(&response, key, out, err);
    azure_core->http_response_clear(&response);
  }
  azure_core->request_free(&r);
  return status;
}

static pail_status azure_stat(void *instance, const char *key,
                              pail_object_info *out, pail_error **err) {
  return azure_stat_object(instance, key, out, err);
}

static pail_status azure_delete(void *instance, const char *key,
                                pail_error **err) {
  azure_instance *az = instance;
  pail_request r;
  pail_http_response response = {0};
  pail_status status =
      azure_core->request_init(&r, "DELETE", azure_url(az, key, NULL), err);
  /* A blob with snapshots cannot be deleted alone. */
  if (status == PAIL_OK)
    status =
        azure_core->request_header(&r, err, "x-ms-delete-snapshots: include");
  if (status == PAIL_OK)
    status = azure_request_sign(az, &r, err);
  if (status == PAIL_OK)
    status = azure_exchange(az, &r, key, &response, err);
  azure_core->http_response_clear(&response);
  azure_core->request_free(&r);
  return status;
}

static pail_status azure_create_container(void *instance, pail_error **err) {
  azure_instance *az = instance;
  pail_request r;
  pail_http_response response = {0};
  pail_status status = azure_core->request_init(
      &r, "PUT", azure_url(az, NULL, "restype=container"), err);
  if (status == PAIL_OK)
    status = azure_request_sign(az, &r, err);
  if (status == PAIL_OK)
    status = azure_core->http_exchange(az->cfg, &r.http, AZURE_MAX_BODY,
                                       &response, err);
  if (status == PAIL_OK && (response.status < 200 || response.status > 299)) {
    /* Already there is what `mb` wants. */
    char *code = azure_error_code(&response);
    if (code == NULL || strcmp(code, "ContainerAlreadyExists") != 0)
      status = azure_response_error(az, &response,
                                    "cannot create the container", err);
    free(code);
  }
  azure_core->http_response_clear(&response);
  azure_core->request_free(&r);
  return status;
}

/* ------------------------------------------------------------ sign */

/* The response header a SAS may override, by its query name. */
static const char **sas_override(azure_sas_fields *f, const char *name) {
  if (strcmp(name, "rscc") == 0)
    return &f->cache_control;
  if (strcmp(name, "rscd") == 0)
    return &f->content_disposition;
  if (strcmp(name, "rsce") == 0)
    return &f->content_encoding;
  if (strcmp(name, "rscl") == 0)
    return &f->content_language;
  if (strcmp(name, "rsct") == 0)
    return &f->content_type;
  return NULL;
}

static pail_status azure_sign(void *instance, const char *key,
                              const pail_sign_options *options, char **url,
                              pail_error **err) {
  azure_instance *az = instance;
  if (az->key_length == 0)
    return azure_core->error_set(
        err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
        "azure_blob: a service SAS is signed with the account key, and "
        "this storage has none (its credential: %s); a user delegation SAS "
        "for Entra ID credentials is not supported yet",
        az->source);
  /* A service SAS signs no request headers: refusing them is better than
   * a URL that does not hold what the caller asked for. */
  if (options->header_count > 0)
    return azure_core->error_set(
        err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
        "azure_blob: a service SAS cannot sign headers; send them with the "
        "request (a PUT needs \"x-ms-blob-type: BlockBlob\")");
  const char *permissions = NULL;
  if (strcmp(options->method, "GET") == 0 ||
      strcmp(options->method, "HEAD") == 0)
    permissions = "r";
  else if (strcmp(options->method, "PUT") == 0)
    permissions = "cw";
  else if (strcmp(options->method, "DELETE") == 0)
    permissions = "d";
  else
    return azure_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                 "azure_blob: cannot sign method %.16s",
                                 options->method);
  char start[64], expiry[64];
  azure_iso_date(options->at, start);
  azure_iso_date(options->at + options->expires, expiry);
  azure_sas_fields f = {.permissions = permissions,
                        .start = start,
                        .expiry = expiry,
                        .account = az->account,
                        .container = az->container,
                        .blob = key,
                        .protocol = az->use_ssl ? "https" : "https,http",
                        .version = AZURE_SERVICE_VERSION};
  char *extra = strdup("");
  pail_status status = extra ? PAIL_OK : azure_no_memory(err);
  for (size_t i = 0; status == PAIL_OK && i < options->query_count; i++) {
    const char *item = options->query[i];
    const char *eq = strchr(item, '=');
    char name[8] = "";
    if (eq != NULL && (size_t)(eq - item) < sizeof name)
      memcpy(name, item, (size_t)(eq - item));
    const char **slot = sas_override(&f, name);
    if (slot == NULL)
      status = azure_core->error_set(
          err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
          "azure_blob: a service SAS signs only the query parameters rscc, "
          "rscd, rsce, rscl and rsct, not \"%.40s\"",
          item);
    else if (*slot != NULL)
      status = azure_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL,
                                     NULL, "azure_blob: %s given twice", name);
    else {
      *slot = eq + 1;
      if (!backend_query_add(azure_core, &extra, name, eq + 1))
        status = azure_no_memory(err);
    }
  }
  char *text = status == PAIL_OK ? azure_sas_string(&f) : NULL;
  if (status == PAIL_OK && text == NULL)
    status = azure_no_memory(err);
  char *query = NULL;
  if (status == PAIL_OK) {
    char signature[45];
    azure_hmac_base64(az->key, az->key_length, text, signature);
    query = strdup("");
    bool ok = query != NULL &&
              backend_query_add(azure_core, &query, "sv", f.version) &&
              backend_query_add(azure_core, &query, "spr", f.protocol) &&
              backend_query_add(azure_core, &query, "st", f.start) &&
              backend_query_add(azure_core, &query, "se", f.expiry) &&
              backend_query_add(azure_core, &query, "sr", "b") &&
              backend_query_add(azure_core, &query, "sp", f.permissions);
    char *full = NULL;
    char *encoded = ok ? azure_core->uri_encode(signature, 0) : NULL;
    if (encoded != NULL && asprintf(&full, "%s%s%s&sig=%s", query,
                                    *extra ? "&" : "", extra, encoded) < 0)
      full = NULL;
    free(encoded);
    *url = full ? azure_url(az, key, full) : NULL;
    free(full);
    if (*url == NULL)
      status = azure_no_memory(err);
  }
  free(query);
  free(text);
  free(extra);
  return status;
}

/* ------------------------------------------------------------ settings */

static const pail_backend_field azure_fields[] = {
    {"accountName", PAIL_FIELD_STRING, 0, 0,
     "the storage account (default: the connection string's, "
     "AZURE_STORAGE_ACCOUNT)"},
    {"containerName", PAIL_FIELD_STRING, 1, 0, "the container"},
    {"accessKey", PAIL_FIELD_STRING, 0, 1, "the account key (base64)"},
    {"sasToken", PAIL_FIELD_STRING, 0, 1,
     "a SAS token for the container or account, instead of a key"},
    {"connectionString", PAIL_FIELD_STRING, 0, 1,
     "an Azure Storage connection string (account, key or SAS, endpoint)"},
    {"tenantId", PAIL_FIELD_STRING, 0, 0,
     "Microsoft Entra ID tenant, with clientId and clientSecret or "
     "federatedTokenFile"},
    {"clientId", PAIL_FIELD_STRING, 0, 0, "Entra ID application (client) id"},
    {"clientSecret", PAIL_FIELD_STRING, 0, 1, "Entra ID client secret"},
    {"federatedTokenFile", PAIL_FIELD_STRING, 0, 0,
     "a file holding a federated token (workload identity), read again at "
     "each refresh"},
    {"authorityHost", PAIL_FIELD_STRING, 0, 0,
     "the Entra ID login host (default: AZURE_AUTHORITY_HOST, else "
     "https://login.microsoftonline.com)"},
    {"useSSL", PAIL_FIELD_BOOL, 0, 0, "HTTPS (default true)"},
    {"endpoint", PAIL_FIELD_STRING, 0, 0,
     "host[:port] of the Blob service (empty: <account>.blob.core."
     "windows.net; an IP address or localhost puts the account in the "
     "path, as for Azurite)"},
    {"blockSize", PAIL_FIELD_INTEGER, 0, 0,
     "block size in bytes, also the single Put Blob threshold (default 4 "
     "MiB, 1 MiB to 4000 MiB)"},
    {"concurrency", PAIL_FIELD_INTEGER, 0, 0,
     "blocks uploaded (or blobs deleted) at once (default 4)"},
    {NULL, 0, 0, 0, NULL},
};

static void azure_close(void *instance) {
  azure_instance *az = instance;
  if (az == NULL)
    return;
  free(az->account);
  free(az->container);
  free(az->origin);
  free(az->path_prefix);
  if (az->sas != NULL) {
    volatile char *p = az->sas;
    while (*p)
      *p++ = 0;
    free(az->sas);
  }
  azure_entra_free(az->entra);
  free(az->source);
  volatile unsigned char *k = az->key;
  for (size_t i = 0; i < sizeof az->key; i++)
    k[i] = 0;
  free(az);
}

static pail_status azure_open(const pail_config *cfg, void **instance,
                              pail_error **err) {
  azure_instance *az = calloc(1, sizeof *az);
  if (az == NULL)
    return azure_no_memory(err);
  az->cfg = cfg;
  az->container = strdup(azure_core->config_string(cfg, "containerName"));
  pail_status status = az->container
                           ? azure_check_container_name(az->container, err)
                           : azure_no_memory(err);
  if (status == PAIL_OK)
    status = azure_resolve(az, err);
  int64_t block_size = azure_core->config_integer(cfg, "blockSize", 4 << 20);
  int64_t concurrency = azure_core->config_integer(cfg, "concurrency", 4);
  if (status == PAIL_OK && (block_size < (int64_t)AZURE_MIN_BLOCK_SIZE ||
                            (uint64_t)block_size > AZURE_MAX_BLOCK_SIZE))
    status =
        azure_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                              "azure_blob: blockSize must be between 1 "
                              "MiB and 4000 MiB, not %lld",
                              (long long)block_size);
  if (status == PAIL_OK && (concurrency < 1 || concurrency > 64))
    status =
        azure_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                              "azure_blob: concurrency must be between "
                              "1 and 64, not %lld",
                              (long long)concurrency);
  if (status != PAIL_OK) {
    azure_close(az);
    return status;
  }
  az->block_size = (size_t)block_size;
  az->concurrency = (size_t)concurrency;
  az->read_retries = 5;
  azure_core->log(cfg, PAIL_LOG_DEBUG,
                  "azure_blob: container %s of account %s at %s%s "
                  "(credential from %s)",
                  az->container, az->account, az->origin, az->path_prefix,
                  az->source);
  *instance = az;
  return PAIL_OK;
}

/* connection_describe: the container as resolved at open, for data tools.
 * The account key is given back in the base64 form Azure issues. */
static pail_status azure_connection_describe(void *instance, char **json,
                                             pail_error **err) {
  const azure_instance *az = instance;
  char *endpoint = NULL;
  if (asprintf(&endpoint, "%s%s", az->origin, az->path_prefix) < 0)
    return azure_no_memory(err);
  json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "protocol", "azure_blob",
                        "account", az->account, "container", az->container,
                        "blob_endpoint", endpoint);
  free(endpoint);
  if (o != NULL && az->key_length > 0) {
    char key[((sizeof az->key + 2) / 3) * 4 + 1];
    azure_core->base64_encode(az->key, az->key_length, key);
    json_object_set_new(o, "account_key", json_string(key));
  } else if (o != NULL && az->sas != NULL) {
    json_object_set_new(o, "sas_token", json_string(az->sas));
  }
  *json = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  return *json ? PAIL_OK : azure_no_memory(err);
}

/* pail cleanup (ABI 1.14). Blocks put but never committed (a killed
 * upload's) are not objects and cost little; the service drops them by
 * itself, and a Delete Blob would also delete the committed blob they may
 * belong to. So nothing is removed: the note says what happens. */
static pail_status azure_leftovers_list(void *instance,
                                        pail_leftover **leftovers,
                                        size_t *count, char **note,
                                        pail_error **err) {
  (void)instance;
  *leftovers = NULL;
  *count = 0;
  *note = strdup("Azure discards uncommitted blocks (those of an upload "
                 "that never finished) by itself, 7 days after they were "
                 "uploaded; pail does not remove them, as deleting them "
                 "would delete the blob they belong to");
  return *note ? PAIL_OK
               : azure_core->error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                                       "azure_blob: out of memory");
}

static pail_status azure_leftover_remove(void *instance,
                                         const pail_leftover *leftover,
                                         int force, pail_error **err) {
  (void)instance;
  (void)force;
  return azure_core->error_set(err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
                               "azure_blob: \"%s\" is no leftover of this "
                               "backend",
                               leftover->id);
}

static const pail_backend_ops azure_ops = {
    PAIL_BACKEND_OPS_INIT("azure_blob"),
    .version = AZURE_VERSION,
    .capabilities = PAIL_CAP_RANGED_READ | PAIL_CAP_MULTIPART |
                    PAIL_CAP_SERVER_COPY | PAIL_CAP_PRESIGN |
                    PAIL_CAP_CONDITIONAL_WRITE | PAIL_CAP_METADATA |
                    PAIL_CAP_CREATE_CONTAINER | PAIL_CAP_CONDITIONAL_READ,
    .fields = azure_fields,
    .open = azure_open,
    .close = azure_close,
    .list = azure_list,
    .stat = azure_stat,
    .read_open = azure_read_open,
    .read_stream = azure_read_stream,
    .read_close = azure_read_close,
    .write_open = azure_write_open,
    .write_stream = azure_write_stream,
    .write_commit = azure_write_commit,
    .write_abort = azure_write_abort,
    .write_stream_file = azure_write_stream_file,
    .delete_object = azure_delete,
    .copy = azure_copy,
    .sign = azure_sign,
    .create_container = azure_create_container,
    .delete_objects = azure_delete_objects,
    .connection_describe = azure_connection_describe,
    .leftovers_list = azure_leftovers_list,
    .leftover_remove = azure_leftover_remove,
    .upload_create = azure_upload_create,
    .upload_part = azure_upload_part,
    .upload_complete = azure_upload_complete,
    .upload_abort = azure_upload_abort,
};

/* Needs core ABI 1.16: resumable_stream_open (1.16), request_set_url,
 * status_category, hex_decode and uri_decode (1.15), the part writer (1.12) and
 * the write options kept until commit (1.13). */
PAIL_BACKEND_DEFINE_ENTRY(azure_ops, azure_core, 16)
