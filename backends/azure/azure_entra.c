/*
 * azure_entra.c: Microsoft Entra ID bearer tokens for the Blob service
 * (scope https://storage.azure.com/.default), behind the core's credentials
 * cache (ABI 1.19), in DefaultAzureCredential's order: a client secret
 * (the settings' tenantId, clientId and clientSecret, else AZURE_TENANT_ID,
 * AZURE_CLIENT_ID and AZURE_CLIENT_SECRET), workload identity
 * (AZURE_FEDERATED_TOKEN_FILE, read again at each refresh, as the client
 * assertion), then managed identity: App Service and Container Apps
 * (IDENTITY_ENDPOINT with IDENTITY_HEADER), else the instance metadata
 * service. AZURE_AUTHORITY_HOST names another login host.
 */
#include "azure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define ENTRA_SCOPE "https://storage.azure.com/.default"
#define ENTRA_RESOURCE "https://storage.azure.com/"
#define ENTRA_MAX_BODY ((size_t)1 << 20)

typedef enum entra_kind {
  ENTRA_CLIENT_SECRET,
  ENTRA_WORKLOAD,
  ENTRA_APP_SERVICE,
  ENTRA_IMDS
} entra_kind;

struct azure_entra {
  entra_kind kind;
  const pail_config *cfg;
  char *describe;
  char *tenant_id, *client_id, *client_secret, *token_file;
  char *authority; /* "https://login.microsoftonline.com" */
  char *endpoint;  /* managed identity: the token endpoint */
  char *identity_header;
  /* ENTRA_IMDS: what to say, access denied, when no metadata answers at
   * all: the chain's last source found nothing either. */
  char *unfound;
  pail_credentials_cache *cache;
};

static const char *env(const char *name) {
  const char *value = getenv(name);
  return value && *value ? value : NULL;
}

static char *dup_or_null(const char *s) {
  return s ? strdup(s) : NULL;
}

static void wipe(char *s) {
  if (s != NULL) {
    memset(s, 0, strlen(s));
    free(s);
  }
}

void azure_entra_free(azure_entra *e) {
  if (e == NULL)
    return;
  azure_core->credentials_cache_free(e->cache);
  free(e->describe);
  free(e->tenant_id);
  free(e->client_id);
  wipe(e->client_secret);
  free(e->token_file);
  free(e->authority);
  free(e->endpoint);
  wipe(e->identity_header);
  free(e->unfound);
  free(e);
}

const char *azure_entra_describe(const azure_entra *e) {
  return e->describe;
}

/* ------------------------------------------------------------ answers */

static pail_status entra_error(const azure_entra *e,
                               const pail_http_response *response,
                               pail_error **err) {
  json_t *root = response->body ? json_loadb(response->body,
                                             response->body_length, 0, NULL)
                                : NULL;
  const char *code = json_string_value(json_object_get(root, "error"));
  const char *description =
      json_string_value(json_object_get(root, "error_description"));
  /* Managed identity answers {"error": {"code", "message"}} too. */
  json_t *nested = json_object_get(root, "error");
  if (json_is_object(nested)) {
    code = json_string_value(json_object_get(nested, "code"));
    description = json_string_value(json_object_get(nested, "message"));
  }
  static const char *const refusals[] = {"invalid_client", "invalid_grant",
                                         "unauthorized_client", "invalid_scope",
                                         "invalid_request"};
  pail_status category = azure_core->status_category(response->status);
  for (size_t i = 0; code != NULL && i < sizeof refusals / sizeof *refusals;
       i++)
    if (strcmp(code, refusals[i]) == 0)
      category = PAIL_ERR_ACCESS_DENIED;
  const char *request_id = azure_core->http_header(response, "x-ms-request-id");
  pail_status status = azure_core->error_set(
      err, category, response->status, code, request_id,
      "azure_blob: %s: the token request was refused (HTTP %d): %.300s",
      e->describe, response->status,
      description ? description
      : code      ? code
                  : "no reason given");
  json_decref(root);
  return status;
}

/* {"access_token", "expires_in" | "expires_on"} (numbers, or strings of
 * digits from managed identity). */
static pail_status entra_token(const azure_entra *e,
                               const pail_http_response *response,
                               pail_backend_credentials *out,
                               pail_error **err) {
  json_t *root = response->body ? json_loadb(response->body,
                                             response->body_length, 0, NULL)
                                : NULL;
  const char *token = json_string_value(json_object_get(root, "access_token"));
  int64_t expires_on = 0, expires_in = 0;
  json_t *on = json_object_get(root, "expires_on");
  json_t *in = json_object_get(root, "expires_in");
  if (json_is_integer(on))
    expires_on = json_integer_value(on);
  else if (json_is_string(on))
    expires_on = strtoll(json_string_value(on), NULL, 10);
  if (json_is_integer(in))
    expires_in = json_integer_value(in);
  else if (json_is_string(in))
    expires_in = strtoll(json_string_value(in), NULL, 10);
  int64_t expires = expires_on > 0   ? expires_on
                    : expires_in > 0 ? azure_core->now(NULL) + expires_in
                                     : 0;
  pail_status status = PAIL_OK;
  if (token == NULL || *token == '\0' || strpbrk(token, "\r\n") || expires <= 0)
    status = azure_core->error_set(
        err, PAIL_ERR_IO, response->status, NULL, NULL,
        "azure_blob: %s: the token answer lacks access_token or its expiry "
        "(expires_in, expires_on)",
        e->describe);
  else if ((out->token = strdup(token)) == NULL ||
           (out->source = strdup(e->describe)) == NULL)
    status = azure_no_memory(err);
  out->expires = expires;
  if (status != PAIL_OK)
    azure_core->credentials_clear(out);
  json_decref(root);
  return status;
}

/* One token request: POST form (body not NULL) or GET, with an optional
 * header line. Takes url over. */
static pail_status token_call(const azure_entra *e, const char *method,
                              char *url, const char *body, const char *header,
                              uint32_t flags, pail_backend_credentials *out,
                              pail_error **err) {
  pail_http_response response = {0};
  pail_status status =
      url ? backend_form_exchange(azure_core, e->cfg, method, url, header, body,
                                  flags, ENTRA_MAX_BODY, &response, err)
          : azure_no_memory(err);
  if (status == PAIL_OK && response.status != 200)
    status = entra_error(e, &response, err);
  else if (status == PAIL_OK)
    status = entra_token(e, &response, out, err);
  else if (e->unfound != NULL) /* the chain found nothing anywhere */
    status = backend_error_wrap(azure_core, err, PAIL_ERR_ACCESS_DENIED,
                                "azure_blob: %s, and no managed identity "
                                "answered at %s",
                                e->unfound, e->endpoint);
  else
    status = backend_error_wrap(azure_core, err, PAIL_OK, "azure_blob: %s",
                                e->describe);
  azure_core->http_response_clear(&response);
  free(url);
  return status;
}

/* ------------------------------------------------------------ fetches */

static pail_status client_fetch(azure_entra *e, pail_backend_credentials *out,
                                pail_error **err) {
  char *assertion = NULL;
  pail_status status = PAIL_OK;
  if (e->kind == ENTRA_WORKLOAD)
    status =
        backend_token_file(azure_core, "azure_blob", "the federated token file",
                           e->token_file, &assertion, err);
  char *body = strdup("grant_type=client_credentials");
  if (status == PAIL_OK &&
      (body == NULL ||
       !backend_query_add(azure_core, &body, "client_id", e->client_id) ||
       !backend_query_add(azure_core, &body, "scope", ENTRA_SCOPE) ||
       (assertion == NULL &&
        !backend_query_add(azure_core, &body, "client_secret",
                           e->client_secret)) ||
       (assertion != NULL &&
        (!backend_query_add(
             azure_core, &body, "client_assertion_type",
             "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") ||
         !backend_query_add(azure_core, &body, "client_assertion",
                            assertion)))))
    status = azure_no_memory(err);
  char *url = NULL;
  if (status == PAIL_OK &&
      asprintf(&url, "%s/%s/oauth2/v2.0/token", e->authority, e->tenant_id) < 0)
    url = NULL;
  if (status == PAIL_OK)
    status = token_call(e, "POST", url, body, NULL, 0, out, err);
  else
    free(url);
  wipe(body);
  wipe(assertion);
  return status;
}

static pail_status managed_fetch(azure_entra *e, pail_backend_credentials *out,
                                 pail_error **err) {
  char *query = NULL;
  bool app_service = e->kind == ENTRA_APP_SERVICE;
  if (asprintf(&query, "api-version=%s",
               app_service ? "2019-08-01" : "2018-02-01") < 0 ||
      !backend_query_add(azure_core, &query, "resource", ENTRA_RESOURCE) ||
      (e->client_id != NULL &&
       !backend_query_add(azure_core, &query, "client_id", e->client_id)))
    return azure_no_memory(err);
  char *url = NULL;
  if (asprintf(&url, "%s%c%s", e->endpoint,
               strchr(e->endpoint, '?') ? '&' : '?', query) < 0)
    url = NULL;
  free(query);
  char *header = NULL;
  if (asprintf(&header, "%s: %s",
               app_service ? "X-IDENTITY-HEADER" : "Metadata",
               app_service ? e->identity_header : "true") < 0)
    header = NULL;
  pail_status status = header ? token_call(e, "GET", url, NULL, header,
                                           PAIL_HTTP_METADATA, out, err)
                              : (free(url), azure_no_memory(err));
  wipe(header);
  return status;
}

static pail_status entra_fetch(void *context, pail_backend_credentials *out,
                               pail_error **err) {
  azure_entra *e = context;
  return e->kind == ENTRA_CLIENT_SECRET || e->kind == ENTRA_WORKLOAD
             ? client_fetch(e, out, err)
             : managed_fetch(e, out, err);
}

/* ------------------------------------------------------------- choice */

static pail_status entra_new(azure_instance *az, azure_entra *e,
                             pail_error **err) {
  e->cfg = az->cfg;
  bool ok = e->describe != NULL;
  if (ok && (e->kind == ENTRA_CLIENT_SECRET || e->kind == ENTRA_WORKLOAD)) {
    const char *host = azure_core->config_string(az->cfg, "authorityHost");
    if (host == NULL || *host == '\0')
      host = env("AZURE_AUTHORITY_HOST");
    if (host == NULL)
      host = "https://login.microsoftonline.com";
    size_t n = strlen(host);
    e->authority = strndup(host, n > 0 && host[n - 1] == '/' ? n - 1 : n);
    ok = e->authority != NULL;
    /* Secrets go there: HTTPS, or plain HTTP on loopback (a local
     * emulator) only. */
    bool loopback = ok && (strncmp(e->authority, "http://127.", 11) == 0 ||
                           strncmp(e->authority, "http://localhost", 16) == 0 ||
                           strncmp(e->authority, "http://[::1]", 12) == 0);
    if (ok && strncmp(e->authority, "https://", 8) != 0 && !loopback) {
      pail_status refused = azure_core->error_set(
          err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
          "azure_blob: the authority host \"%.200s\" must be an https:// "
          "URL (http:// only to loopback)",
          e->authority);
      azure_entra_free(e);
      return refused;
    }
  }
  pail_status status = ok ? azure_core->credentials_cache_new(
                                az->cfg, entra_fetch, e, &e->cache, err)
                          : azure_no_memory(err);
  if (status != PAIL_OK) {
    azure_entra_free(e);
    return status;
  }
  az->entra = e;
  return PAIL_OK;
}

pail_status azure_entra_resolve(azure_instance *az, bool settings_only,
                                pail_error **err) {
  const pail_config *cfg = az->cfg;
  const char *tenant = azure_core->config_string(cfg, "tenantId");
  const char *client = azure_core->config_string(cfg, "clientId");
  const char *secret = azure_core->config_string(cfg, "clientSecret");
  const char *token_file = azure_core->config_string(cfg, "federatedTokenFile");
  const char *from = "the settings";
  bool settings = (tenant && *tenant) || (client && *client) ||
                  (secret && *secret) || (token_file && *token_file);
  if (settings_only && !settings)
    return PAIL_ERR_NOT_FOUND;
  if (!settings) {
    tenant = env("AZURE_TENANT_ID");
    client = env("AZURE_CLIENT_ID");
    secret = env("AZURE_CLIENT_SECRET");
    token_file = env("AZURE_FEDERATED_TOKEN_FILE");
    from = "AZURE_TENANT_ID, AZURE_CLIENT_ID and";
  }
  azure_entra *e = calloc(1, sizeof *e);
  if (e == NULL)
    return azure_no_memory(err);
  if ((secret && *secret) || (token_file && *token_file)) {
    if (!(tenant && *tenant) || !(client && *client)) {
      free(e);
      return azure_core->error_set(
          err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
          "azure_blob: %s give a %s without %s",
          settings ? "the settings" : "the environment",
          secret && *secret ? "client secret" : "federated token file",
          settings ? "tenantId and clientId"
                   : "AZURE_TENANT_ID and AZURE_CLIENT_ID");
    }
    e->kind = secret && *secret ? ENTRA_CLIENT_SECRET : ENTRA_WORKLOAD;
    e->tenant_id = strdup(tenant);
    e->client_id = strdup(client);
    e->client_secret =
        dup_or_null(e->kind == ENTRA_CLIENT_SECRET ? secret : NULL);
    e->token_file = dup_or_null(e->kind == ENTRA_WORKLOAD ? token_file : NULL);
    if (asprintf(&e->describe, "Entra ID %s (%s %s)",
                 e->kind == ENTRA_CLIENT_SECRET ? "client secret"
                                                : "workload identity",
                 from,
                 e->kind == ENTRA_CLIENT_SECRET
                     ? (settings ? "clientSecret" : "AZURE_CLIENT_SECRET")
                     : (settings ? "federatedTokenFile"
                                 : "AZURE_FEDERATED_TOKEN_FILE")) < 0)
      e->describe = NULL;
    if (!e->tenant_id || !e->client_id ||
        (e->kind == ENTRA_CLIENT_SECRET && !e->client_secret) ||
        (e->kind == ENTRA_WORKLOAD && !e->token_file)) {
      azure_entra_free(e);
      return azure_no_memory(err);
    }
    return entra_new(az, e, err);
  }
  if (settings) {
    free(e);
    return azure_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                 "azure_blob: the settings give tenantId or "
                                 "clientId without clientSecret or "
                                 "federatedTokenFile");
  }
  /* Managed identity: a user-assigned one is named by AZURE_CLIENT_ID. */
  e->client_id = dup_or_null(client);
  const char *endpoint = env("IDENTITY_ENDPOINT");
  const char *header = env("IDENTITY_HEADER");
  if (endpoint != NULL && header != NULL) {
    e->kind = ENTRA_APP_SERVICE;
    e->endpoint = strdup(endpoint);
    e->identity_header = strdup(header);
    e->describe = strdup("managed identity (IDENTITY_ENDPOINT, "
                         "IDENTITY_HEADER)");
  } else {
    /* azure-identity's override of the instance metadata host. */
    const char *host = env("AZURE_POD_IDENTITY_AUTHORITY_HOST");
    if (host == NULL)
      host = "http://169.254.169.254";
    size_t n = strlen(host);
    if (asprintf(&e->endpoint, "%.*s/metadata/identity/oauth2/token",
                 (int)(n > 0 && host[n - 1] == '/' ? n - 1 : n), host) < 0)
      e->endpoint = NULL;
    e->kind = ENTRA_IMDS;
    if (asprintf(&e->unfound,
                 "no credentials for container \"%s\" of account \"%s\"; "
                 "tried: accessKey, sasToken and connectionString in the "
                 "settings, tenantId/clientId with clientSecret or "
                 "federatedTokenFile, AZURE_STORAGE_CONNECTION_STRING, "
                 "AZURE_STORAGE_KEY, AZURE_STORAGE_ACCESS_KEY, "
                 "AZURE_STORAGE_SAS_TOKEN, AZURE_CLIENT_SECRET, "
                 "AZURE_FEDERATED_TOKEN_FILE, IDENTITY_ENDPOINT, the instance "
                 "metadata. Set one of them",
                 az->container, az->account) < 0)
      e->unfound = NULL;
    if (e->endpoint != NULL && e->unfound != NULL &&
        asprintf(&e->describe,
                 "managed identity (the instance metadata at %.*s; nothing "
                 "in the settings or AZURE_* variables)",
                 (int)(n > 0 && host[n - 1] == '/' ? n - 1 : n), host) < 0)
      e->describe = NULL;
  }
  if (e->endpoint == NULL ||
      (e->kind == ENTRA_APP_SERVICE && e->identity_header == NULL) ||
      (client != NULL && e->client_id == NULL)) {
    azure_entra_free(e);
    return azure_no_memory(err);
  }
  return entra_new(az, e, err);
}

pail_status azure_entra_token(const azure_instance *az,
                              pail_backend_credentials *out, pail_error **err) {
  return azure_core->credentials_get(az->entra->cache, out, err);
}
