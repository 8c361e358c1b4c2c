/*
 * azure_credentials.c: where an Azure storage's account, endpoint and
 * credential come from, in the order the Azure CLI uses: the settings
 * (accessKey, sasToken, connectionString), then AZURE_STORAGE_CONNECTION_
 * STRING, then AZURE_STORAGE_ACCOUNT[_NAME] with AZURE_STORAGE_KEY /
 * AZURE_STORAGE_ACCESS_KEY or AZURE_STORAGE_SAS_TOKEN. Anonymous access is
 * never a fallback. Then Microsoft Entra ID (azure_entra.c): the settings'
 * tenantId/clientId/clientSecret come right after the settings' own
 * credentials; the environment's client secret or workload identity, and
 * last a managed identity, after the AZURE_STORAGE_* variables.
 */
#include "azure.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Azurite's account and its published key (also UseDevelopmentStorage). */
#define DEVELOPMENT_ACCOUNT "devstoreaccount1"
#define DEVELOPMENT_KEY                                                        \
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr"  \
  "/KBHBeksoGMGw=="
#define DEVELOPMENT_BLOB_ENDPOINT "http://127.0.0.1:10000/devstoreaccount1"

static const char *env(const char *name) {
  const char *value = getenv(name);
  return value && *value ? value : NULL;
}

static const char *nonempty(const char *value) {
  return value && *value ? value : NULL;
}

/* ------------------------------------------------------------- names */

pail_status azure_check_account_name(const char *name, pail_error **err) {
  size_t n = strlen(name);
  if (n >= 3 && n <= 24 &&
      strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789") == n)
    return PAIL_OK;
  return azure_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                               "azure_blob: invalid account name \"%.80s\": "
                               "it must be 3 to 24 lowercase letters and "
                               "digits",
                               name);
}

pail_status azure_check_container_name(const char *name, pail_error **err) {
  size_t n = strlen(name);
  const char *why = NULL;
  /* The special containers of an account. */
  if (strcmp(name, "$root") == 0 || strcmp(name, "$web") == 0 ||
      strcmp(name, "$logs") == 0)
    return PAIL_OK;
  if (n < 3 || n > 63)
    why = "it must be 3 to 63 characters long";
  else if (strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
    why = "only lowercase letters, digits and '-' are allowed";
  else if (name[0] == '-' || name[n - 1] == '-')
    why = "it must begin and end with a letter or digit";
  else if (strstr(name, "--") != NULL)
    why = "'-' must not follow '-'";
  if (why == NULL)
    return PAIL_OK;
  return azure_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                               "azure_blob: invalid container name "
                               "\"%.80s\": %s",
                               name, why);
}

/* Checks an endpoint setting: host[:port], no scheme, no path. */
static pail_status check_endpoint(const char *endpoint, pail_error **err) {
  const char *why = azure_core->endpoint_problem(endpoint);
  if (why == NULL)
    return PAIL_OK;
  return azure_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                               "azure_blob: invalid endpoint \"%.100s\": %s",
                               endpoint, why);
}

/* True when host[:port] names an IP address or localhost: there, as in the
 * Azure SDKs, the account goes in the path ("IP style", Azurite's). */
static bool ip_style(const char *endpoint) {
  if (endpoint[0] == '[')
    return true;
  size_t n = strcspn(endpoint, ":");
  if (n == 9 && strncasecmp(endpoint, "localhost", 9) == 0)
    return true;
  return n > 0 && strspn(endpoint, "0123456789.") == n;
}

/* ------------------------------------------------- connection strings */

/* The parts of a connection string pail uses; owned copies. */
typedef struct connection_string {
  char *account, *key, *sas, *blob_endpoint, *protocol, *suffix;
  bool development;
} connection_string;

static void connection_string_clear(connection_string *cs) {
  char *secrets[] = {cs->key, cs->sas};
  for (size_t i = 0; i < 2; i++)
    if (secrets[i] != NULL) {
      volatile char *p = secrets[i];
      while (*p)
        *p++ = 0;
      free(secrets[i]);
    }
  free(cs->account);
  free(cs->blob_endpoint);
  free(cs->protocol);
  free(cs->suffix);
  memset(cs, 0, sizeof *cs);
}

/* Parses "Name=value;Name=value;..." (names case-insensitive, values may
 * hold '='). `what` names the source for messages, which never quote the
 * text: it holds the key. */
static pail_status connection_string_parse(const char *text, const char *what,
                                           connection_string *cs,
                                           pail_error **err) {
  memset(cs, 0, sizeof *cs);
  const char *p = text;
  while (*p) {
    const char *item = p;
    size_t length = strcspn(item, ";");
    const char *eq = memchr(item, '=', length);
    p += length;
    if (*p == ';')
      p++;
    if (length == 0 || strspn(item, " \t\r\n") >= length)
      continue;
    if (eq == NULL)
      return azure_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL,
                                   NULL,
                                   "azure_blob: %s is not a connection "
                                   "string (Name=value;...)",
                                   what);
    const char *name = item;
    size_t name_length = (size_t)(eq - item);
    while (name_length > 0 && isspace((unsigned char)*name)) {
      name++;
      name_length--;
    }
    while (name_length > 0 && isspace((unsigned char)name[name_length - 1]))
      name_length--;
    char *value = strndup(eq + 1, (size_t)(item + length - (eq + 1)));
    if (value == NULL)
      return azure_no_memory(err);
    char **slot = NULL;
#define NAME_IS(literal)                                                       \
  (name_length == sizeof literal - 1 &&                                        \
   strncasecmp(name, literal, name_length) == 0)
    if (NAME_IS("AccountName"))
      slot = &cs->account;
    else if (NAME_IS("AccountKey"))
      slot = &cs->key;
    else if (NAME_IS("SharedAccessSignature"))
      slot = &cs->sas;
    else if (NAME_IS("BlobEndpoint"))
      slot = &cs->blob_endpoint;
    else if (NAME_IS("DefaultEndpointsProtocol"))
      slot = &cs->protocol;
    else if (NAME_IS("EndpointSuffix"))
      slot = &cs->suffix;
    else if (NAME_IS("UseDevelopmentStorage"))
      cs->development = strcasecmp(value, "true") == 0;
#undef NAME_IS
    if (slot != NULL) {
      free(*slot);
      *slot = value;
    } else {
      free(value);
    }
  }
  if (cs->development) {
    bool ok = true;
    if (cs->account == NULL)
      ok &= (cs->account = strdup(DEVELOPMENT_ACCOUNT)) != NULL;
    if (cs->key == NULL && cs->sas == NULL)
      ok &= (cs->key = strdup(DEVELOPMENT_KEY)) != NULL;
    if (cs->blob_endpoint == NULL)
      ok &= (cs->blob_endpoint = strdup(DEVELOPMENT_BLOB_ENDPOINT)) != NULL;
    if (!ok)
      return azure_no_memory(err);
  }
  return PAIL_OK;
}

/* ------------------------------------------------------------ endpoint */

/* Takes a BlobEndpoint URL: scheme://host[:port][/path]. */
static pail_status endpoint_from_url(azure_instance *az, const char *url,
                                     const char *what, pail_error **err) {
  const char *rest = NULL;
  if (strncasecmp(url, "https://", 8) == 0) {
    az->use_ssl = true;
    rest = url + 8;
  } else if (strncasecmp(url, "http://", 7) == 0) {
    az->use_ssl = false;
    rest = url + 7;
  } else {
    return azure_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                 "azure_blob: the BlobEndpoint of %s must be "
                                 "an http:// or https:// URL",
                                 what);
  }
  size_t host_length = strcspn(rest, "/?#");
  char *host = strndup(rest, host_length);
  if (host == NULL)
    return azure_no_memory(err);
  pail_status status = check_endpoint(host, NULL);
  const char *path = rest + host_length;
  size_t path_length = strcspn(path, "?#");
  if (status == PAIL_OK && path[path_length] != '\0')
    status = PAIL_ERR_INVALID_ARGUMENT;
  if (status != PAIL_OK) {
    free(host);
    return azure_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                 "azure_blob: the BlobEndpoint of %s is not "
                                 "scheme://host[:port][/path]",
                                 what);
  }
  while (path_length > 0 && path[path_length - 1] == '/')
    path_length--;
  az->path_prefix = strndup(path, path_length);
  if (asprintf(&az->origin, "%s://%s", az->use_ssl ? "https" : "http", host) <
      0)
    az->origin = NULL;
  free(host);
  if (az->path_prefix == NULL || az->origin == NULL)
    return azure_no_memory(err);
  return PAIL_OK;
}

/* ---------------------------------------------------------- credential */

/* Checks a SAS token (with or without its '?') and keeps it. The token is
 * a secret: messages never quote it. */
static pail_status take_sas(azure_instance *az, const char *token,
                            const char *what, pail_error **err) {
  if (*token == '?')
    token++;
  const char *why = NULL;
  for (const char *c = token; *c && why == NULL; c++)
    if ((unsigned char)*c <= 0x20 || *c == '#' || (unsigned char)*c >= 0x7f)
      why = "it holds a character a URL query cannot";
  bool has_sig = strncmp(token, "sig=", 4) == 0 || strstr(token, "&sig=");
  if (why == NULL && !has_sig)
    why = "it has no sig parameter (the signature)";
  if (why != NULL)
    return azure_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                 "azure_blob: the SAS token of %s is not "
                                 "usable: %s",
                                 what, why);
  az->sas = strdup(token);
  return az->sas ? PAIL_OK : azure_no_memory(err);
}

/* Decodes an account key. Messages never quote it. */
static pail_status take_key(azure_instance *az, const char *key,
                            const char *what, pail_error **err) {
  size_t length = strlen(key);
  size_t decoded = 0;
  unsigned char buffer[3 * 64 / 4 + 96];
  if (length == 0 || length > 4 * ((sizeof az->key + 2) / 3) ||
      azure_core->base64_decode(key, length, buffer, &decoded) != PAIL_OK ||
      decoded == 0 || decoded > sizeof az->key)
    return azure_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                 "azure_blob: the account key of %s is not "
                                 "base64 of at most 64 bytes (an Azure "
                                 "account key is 88 characters of base64)",
                                 what);
  memcpy(az->key, buffer, decoded);
  az->key_length = decoded;
  volatile unsigned char *p = buffer;
  for (size_t i = 0; i < sizeof buffer; i++)
    p[i] = 0;
  return PAIL_OK;
}

/* The account: the settings, the connection string, then
 * AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_ACCOUNT_NAME. */
static pail_status resolve_account(azure_instance *az, const char *account,
                                   const connection_string *cs,
                                   pail_error **err) {
  if (account == NULL)
    account = nonempty(cs->account);
  if (account == NULL)
    account = env("AZURE_STORAGE_ACCOUNT");
  if (account == NULL)
    account = env("AZURE_STORAGE_ACCOUNT_NAME");
  if (account == NULL)
    return azure_core->error_set(
        err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
        "azure_blob: no account name for container \"%s\"; tried: "
        "accountName and connectionString in the settings, "
        "AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCOUNT, "
        "AZURE_STORAGE_ACCOUNT_NAME",
        az->container);
  if ((az->account = strdup(account)) == NULL)
    return azure_no_memory(err);
  return azure_check_account_name(az->account, err);
}

/* The origin and path prefix: the settings' endpoint (use_ssl -1: not
 * set), the connection string's BlobEndpoint (named by cs_what), else the
 * account's own host name under the connection string's suffix. */
static pail_status resolve_endpoint(azure_instance *az, const char *endpoint,
                                    int use_ssl, const connection_string *cs,
                                    const char *cs_what, pail_error **err) {
  if (endpoint != NULL) {
    az->use_ssl = use_ssl != 0;
    pail_status status = check_endpoint(endpoint, err);
    if (status == PAIL_OK &&
        (asprintf(&az->origin, "%s://%s", az->use_ssl ? "https" : "http",
                  endpoint) < 0 ||
         asprintf(&az->path_prefix, "%s%s", ip_style(endpoint) ? "/" : "",
                  ip_style(endpoint) ? az->account : "") < 0)) {
      az->origin = az->path_prefix = NULL;
      status = azure_no_memory(err);
    }
    return status;
  }
  if (nonempty(cs->blob_endpoint) != NULL)
    return endpoint_from_url(az, cs->blob_endpoint, cs_what, err);
  az->use_ssl = use_ssl >= 0   ? use_ssl != 0
                : cs->protocol ? strcasecmp(cs->protocol, "http") != 0
                               : true;
  const char *suffix = nonempty(cs->suffix) ? cs->suffix : "core.windows.net";
  if (strpbrk(suffix, "/:?#@ \t") != NULL)
    return azure_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                 "azure_blob: the EndpointSuffix of %s "
                                 "is not a host name",
                                 cs_what);
  if (asprintf(&az->origin, "%s://%s.blob.%s", az->use_ssl ? "https" : "http",
               az->account, suffix) < 0 ||
      (az->path_prefix = strdup("")) == NULL) {
    az->origin = NULL;
    return azure_no_memory(err);
  }
  return PAIL_OK;
}

/* The credential, the first of: the settings' accessKey or sasToken, the
 * connection string's key or SAS, AZURE_STORAGE_KEY,
 * AZURE_STORAGE_ACCESS_KEY, AZURE_STORAGE_SAS_TOKEN; az->source names it.
 * None is access denied, naming each place tried. */
static pail_status resolve_credential(azure_instance *az, const char *key,
                                      const char *sas,
                                      const connection_string *cs,
                                      const char *cs_what, pail_error **err) {
  const char *source = NULL;
  pail_status status;
  if (key != NULL) {
    source = "accessKey in the settings";
    status = take_key(az, key, source, err);
  } else if (sas != NULL) {
    source = "sasToken in the settings";
    status = take_sas(az, sas, source, err);
  } else if (nonempty(cs->key) != NULL) {
    source = cs_what;
    status = take_key(az, cs->key, source, err);
  } else if (nonempty(cs->sas) != NULL) {
    source = cs_what;
    status = take_sas(az, cs->sas, source, err);
  } else if ((status = azure_entra_resolve(az, true, err)) !=
             PAIL_ERR_NOT_FOUND) {
    source = status == PAIL_OK ? azure_entra_describe(az->entra) : NULL;
  } else if (env("AZURE_STORAGE_KEY") != NULL) {
    source = "AZURE_STORAGE_KEY";
    status = take_key(az, env(source), source, err);
  } else if (env("AZURE_STORAGE_ACCESS_KEY") != NULL) {
    source = "AZURE_STORAGE_ACCESS_KEY";
    status = take_key(az, env(source), source, err);
  } else if (env("AZURE_STORAGE_SAS_TOKEN") != NULL) {
    source = "AZURE_STORAGE_SAS_TOKEN";
    status = take_sas(az, env(source), source, err);
  } else {
    /* Then Entra ID from the environment, and a managed identity last:
     * always there to try, as DefaultAzureCredential does. */
    status = azure_entra_resolve(az, false, err);
    source = status == PAIL_OK ? azure_entra_describe(az->entra) : NULL;
  }
  if (status == PAIL_OK && (az->source = strdup(source)) == NULL)
    status = azure_no_memory(err);
  return status;
}

pail_status azure_resolve(azure_instance *az, pail_error **err) {
  const pail_config *cfg = az->cfg;
  const char *account = nonempty(azure_core->config_string(cfg, "accountName"));
  const char *key = nonempty(azure_core->config_string(cfg, "accessKey"));
  const char *sas = nonempty(azure_core->config_string(cfg, "sasToken"));
  const char *settings_cs =
      nonempty(azure_core->config_string(cfg, "connectionString"));
  const char *endpoint = nonempty(azure_core->config_string(cfg, "endpoint"));
  int use_ssl = azure_core->config_bool(cfg, "useSSL", -1);

  if (key != NULL && sas != NULL)
    return azure_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                 "azure_blob: the settings give both "
                                 "accessKey and sasToken: choose one");

  /* The connection string: the settings', else the environment's unless
   * the settings hold a credential of their own. */
  connection_string cs = {0};
  const char *cs_what = NULL;
  pail_status status = PAIL_OK;
  if (settings_cs != NULL) {
    cs_what = "connectionString in the settings";
    status = connection_string_parse(settings_cs, cs_what, &cs, err);
  } else if (key == NULL && sas == NULL &&
             env("AZURE_STORAGE_CONNECTION_STRING") != NULL) {
    cs_what = "AZURE_STORAGE_CONNECTION_STRING";
    status = connection_string_parse(env("AZURE_STORAGE_CONNECTION_STRING"),
                                     cs_what, &cs, err);
  }
  if (status == PAIL_OK)
    status = resolve_account(az, account, &cs, err);
  if (status == PAIL_OK)
    status = resolve_endpoint(az, endpoint, use_ssl, &cs, cs_what, err);
  if (status == PAIL_OK)
    status = resolve_credential(az, key, sas, &cs, cs_what, err);
  connection_string_clear(&cs);
  return status;
}
