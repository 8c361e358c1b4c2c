/*
 * gcs_auth.c: where a GCS storage's OAuth2 identity comes from, and its
 * access tokens.
 *
 * Sources, in the order Google's client libraries use them for Application
 * Default Credentials: the serviceAccountKey setting (the key object, a
 * string holding it, or a file path), GOOGLE_APPLICATION_CREDENTIALS, then
 * gcloud's application_default_credentials.json ($CLOUDSDK_CONFIG, else
 * ~/.config/gcloud). A service account gets tokens with the JWT bearer flow
 * (RFC 7523: an RS256-signed assertion exchanged at the key's token_uri); an
 * authorized_user file (gcloud auth application-default login) with its
 * refresh token. The GCE metadata server is not consulted: workers run
 * anywhere, and a silent fallback to a machine's identity would hide a
 * missing setting.
 *
 * Tokens are kept in the core's credentials cache (ABI 1.19), refreshed
 * before they expire, so that threads sharing a storage share one token
 * and one refresh.
 */
#include "gcs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void gcs_account_clear(gcs_account *account) {
  free(account->client_email);
  free(account->private_key_id);
  free(account->token_uri);
  free(account->project_id);
  gcs_core->private_key_free(account->key);
  free(account->client_id);
  gcs_wipe(account->client_secret);
  gcs_wipe(account->refresh_token);
  free(account->source);
  free(account->path);
  memset(account, 0, sizeof *account);
}

static const char *env(const char *name) {
  const char *value = getenv(name);
  return value && *value ? value : NULL;
}

/* A token URI must be https, or http to a loopback host (tests, local
 * emulators): an assertion or refresh token sent in clear elsewhere could
 * be replayed. */
static bool token_uri_acceptable(const char *uri) {
  if (strncmp(uri, "https://", 8) == 0)
    return uri[8] != '\0' && uri[8] != '/';
  static const char *const loopback[] = {"http://127.0.0.1", "http://localhost",
                                         "http://[::1]"};
  for (size_t i = 0; i < sizeof loopback / sizeof *loopback; i++) {
    size_t n = strlen(loopback[i]);
    if (strncmp(uri, loopback[i], n) == 0 &&
        (uri[n] == ':' || uri[n] == '/' || uri[n] == '\0'))
      return true;
  }
  return false;
}

/* True when a credentials file's "type" may be quoted in a message: a name
 * such as service_account (letters, digits, '_', '-'; at most 40), not
 * whatever a broken file holds there. (The file's credentials are
 * redacted from every refusal anyway: gcs_account_parse.) */
static bool type_quotable(const char *type) {
  size_t n = strlen(type);
  return n > 0 && n <= 40 &&
         strspn(type, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "0123456789_-") == n;
}

static char *member(const json_t *object, const char *name) {
  const char *value = json_string_value(json_object_get(object, name));
  return value && *value ? strdup(value) : NULL;
}

/* The account a parsed credentials file describes (root: a JSON object). */
static pail_status account_from_json(const json_t *root, const char *source,
                                     gcs_account *account, pail_error **err) {
  pail_status status = PAIL_OK;
  const char *type = json_string_value(json_object_get(root, "type"));
  account->source = strdup(source);
  if (type != NULL && strcmp(type, "authorized_user") == 0) {
    account->client_id = member(root, "client_id");
    account->client_secret = member(root, "client_secret");
    account->refresh_token = member(root, "refresh_token");
    account->token_uri = member(root, "token_uri");
    account->project_id = member(root, "quota_project_id");
    if (account->client_id == NULL || account->client_secret == NULL ||
        account->refresh_token == NULL)
      status = gcs_core->error_set(
          err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
          "gcs: the authorized_user credentials from %s lack client_id, "
          "client_secret or refresh_token",
          source);
  } else if (type == NULL || strcmp(type, "service_account") == 0) {
    account->service_account = true;
    account->client_email = member(root, "client_email");
    account->private_key_id = member(root, "private_key_id");
    account->token_uri = member(root, "token_uri");
    account->project_id = member(root, "project_id");
    const char *pem = json_string_value(json_object_get(root, "private_key"));
    if (pem == NULL || *pem == '\0')
      status =
          gcs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                              "gcs: the service account key from %s has "
                              "no private_key",
                              source);
    else if (account->client_email == NULL)
      status =
          gcs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                              "gcs: the service account key from %s has "
                              "no client_email",
                              source);
    if (status == PAIL_OK) {
      pail_error *why = NULL;
      account->key = gcs_core->private_key_load(pem, strlen(pem), &why);
      if (account->key == NULL) {
        status = gcs_core->error_set(
            err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
            "gcs: the private_key of the service account key from %s cannot "
            "be read: %s",
            source, why ? gcs_core->error_message(why) : "not a PEM key");
        gcs_core->error_free(why);
      }
    }
  } else if (type_quotable(type)) {
    status = gcs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                 "gcs: the credentials from %s are of type "
                                 "\"%s\"; pail takes service_account and "
                                 "authorized_user",
                                 source, type);
  } else {
    status = gcs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                 "gcs: the credentials from %s are of an "
                                 "unknown type; pail takes service_account "
                                 "and authorized_user",
                                 source);
  }
  if (status == PAIL_OK && account->token_uri == NULL &&
      (account->token_uri = strdup(GCS_DEFAULT_TOKEN_URI)) == NULL)
    status = gcs_no_memory(err);
  if (status == PAIL_OK && !token_uri_acceptable(account->token_uri))
    status = gcs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                 "gcs: the token_uri of the credentials from "
                                 "%s must be an https:// URL (http:// only to "
                                 "a loopback host)",
                                 source);
  if (status == PAIL_OK && account->source == NULL)
    status = gcs_no_memory(err);
  return status;
}

pail_status gcs_account_parse(const char *text, size_t length,
                              const char *source, gcs_account *account,
                              pail_error **err) {
  memset(account, 0, sizeof *account);
  json_error_t parse_error;
  json_t *root = json_loadb(text, length, JSON_REJECT_DUPLICATES, &parse_error);
  pail_status status = PAIL_ERR_INVALID_ARGUMENT;
  /* jansson's message may quote the text, which holds the private key: only
   * the position is shown. */
  if (root == NULL)
    (void)gcs_core->error_set(err, status, 0, NULL, NULL,
                              "gcs: the credentials from %s are not JSON "
                              "(line %d, column %d)",
                              source, parse_error.line, parse_error.column);
  else if (!json_is_object(root))
    (void)gcs_core->error_set(err, status, 0, NULL, NULL,
                              "gcs: the credentials from %s are not a JSON "
                              "object",
                              source);
  else
    status = account_from_json(root, source, account, err);
  json_decref(root);
  if (status != PAIL_OK) {
    /* Whatever a refusal quotes (the source, the type, OpenSSL's reason),
     * none of the file's credentials reach it: fuzz_gcs_token found two
     * ways in before this was done here, once, for every message. */
    if (err != NULL)
      gcs_core->error_redact_document(*err, text, length);
    gcs_account_clear(account);
  }
  return status;
}

static pail_status parse_file(const char *path, const char *label,
                              gcs_account *account, pail_error **err) {
  char *text = NULL, *source = NULL;
  size_t length = 0;
  pail_status status =
      backend_file_slurp(gcs_core, "gcs", label, path, &text, &length, err);
  if (status != PAIL_OK)
    return status;
  if (asprintf(&source, "%s%s%s%s", label ? label : "", label ? " (" : "", path,
               label ? ")" : "") < 0)
    source = NULL;
  status = source ? gcs_account_parse(text, length, source, account, err)
                  : gcs_no_memory(err);
  if (status == PAIL_OK && (account->path = strdup(path)) == NULL)
    status = gcs_no_memory(err);
  memset(text, 0, length);
  free(text);
  free(source);
  return status;
}

pail_status gcs_resolve_account(gcs_instance *gcs, pail_error **err) {
  const char *given = gcs_core->config_string(gcs->cfg, "serviceAccountKey");
  char *object =
      given ? NULL : gcs_core->config_json(gcs->cfg, "serviceAccountKey");
  pail_status status = PAIL_OK;
  if (object != NULL) {
    status = gcs_account_parse(object, strlen(object), "the settings",
                               &gcs->account, err);
    memset(object, 0, strlen(object));
    free(object);
  } else if (given != NULL && *given != '\0') {
    const char *p = given;
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
      p++;
    /* A string holding the key, or the path of its file. */
    if (*p == '{')
      status = gcs_account_parse(given, strlen(given), "the settings",
                                 &gcs->account, err);
    else
      status = parse_file(given, "serviceAccountKey", &gcs->account, err);
  } else {
    /* The ADC chain; the error names every source tried. */
    const char *variable = env("GOOGLE_APPLICATION_CREDENTIALS");
    if (variable != NULL) {
      status = parse_file(variable, "GOOGLE_APPLICATION_CREDENTIALS",
                          &gcs->account, err);
      gcs->has_account = status == PAIL_OK;
      return status;
    }
    char *path = NULL;
    const char *config = env("CLOUDSDK_CONFIG");
    const char *home = env("HOME");
    if (config != NULL)
      path = strdup(config);
    else if (home != NULL && asprintf(&path, "%s/.config/gcloud", home) < 0)
      path = NULL;
    char *file = NULL;
    if (path != NULL &&
        asprintf(&file, "%s/application_default_credentials.json", path) < 0)
      file = NULL;
    free(path);
    pail_error *failure = NULL;
    status = file ? parse_file(file, NULL, &gcs->account, &failure)
                  : PAIL_ERR_NOT_FOUND;
    if (status == PAIL_ERR_NOT_FOUND) {
      gcs_core->error_free(failure);
      if (asprintf(&gcs->missing_account,
                   "tried the settings (serviceAccountKey), "
                   "GOOGLE_APPLICATION_CREDENTIALS (not set) and %s (not "
                   "found); the GCE metadata server is not consulted",
                   file ? file
                        : "gcloud's application_default_credentials.json") < 0)
        gcs->missing_account = NULL;
      free(file);
      return gcs->missing_account ? PAIL_OK : gcs_no_memory(err);
    }
    free(file);
    if (status != PAIL_OK) {
      if (err != NULL && *err == NULL)
        *err = failure;
      else
        gcs_core->error_free(failure);
      return status;
    }
  }
  if (status == PAIL_OK)
    gcs->has_account = true;
  return status;
}

/* ----------------------------------------------------------------- JWT */

static char *base64url_json(json_t *value) {
  char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;
  json_decref(value);
  if (text == NULL)
    return NULL;
  size_t n = strlen(text);
  char *out = malloc(4 * ((n + 2) / 3) + 1);
  if (out != NULL)
    gcs_core->base64url_encode((const unsigned char *)text, n, out);
  free(text);
  return out;
}

pail_status gcs_jwt_build(const gcs_account *account, int64_t now, char **jwt,
                          pail_error **err) {
  *jwt = NULL;
  json_t *header = json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
  if (header != NULL && account->private_key_id != NULL)
    json_object_set_new(header, "kid", json_string(account->private_key_id));
  json_t *claims =
      json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", account->client_email,
                "scope", GCS_SCOPE, "aud", account->token_uri, "iat",
                (json_int_t)now, "exp", (json_int_t)(now + 3600));
  char *h = base64url_json(header);
  char *c = base64url_json(claims);
  char *input = NULL;
  if (h != NULL && c != NULL && asprintf(&input, "%s.%s", h, c) < 0)
    input = NULL;
  free(h);
  free(c);
  if (input == NULL)
    return gcs_no_memory(err);
  unsigned char *signature = NULL;
  size_t signature_length = 0;
  pail_status status = gcs_core->rsa_sha256_sign(
      account->key, input, strlen(input), &signature, &signature_length, err);
  char *encoded =
      status == PAIL_OK ? malloc(4 * ((signature_length + 2) / 3) + 1) : NULL;
  if (status == PAIL_OK && encoded == NULL)
    status = gcs_no_memory(err);
  if (status == PAIL_OK) {
    gcs_core->base64url_encode(signature, signature_length, encoded);
    if (asprintf(jwt, "%s.%s", input, encoded) < 0) {
      *jwt = NULL;
      status = gcs_no_memory(err);
    }
  }
  free(encoded);
  free(signature);
  free(input);
  return status;
}

/* -------------------------------------------------------------- tokens */

pail_status gcs_token_parse(const pail_http_response *response, char **token,
                            int64_t *expires_in, pail_error **err) {
  *token = NULL;
  json_t *root = gcs_json_body(response);
  const char *value =
      root ? json_string_value(json_object_get(root, "access_token")) : NULL;
  const char *type =
      root ? json_string_value(json_object_get(root, "token_type")) : NULL;
  json_t *expiry = root ? json_object_get(root, "expires_in") : NULL;
  pail_status status = PAIL_OK;
  /* A token goes into a header line: nothing but visible ASCII. */
  bool printable = value != NULL && *value != '\0' && strlen(value) < 4096;
  for (const char *p = value; printable && *p; p++)
    printable = *p > ' ' && *p < 0x7f;
  if (!printable || (type != NULL && strcasecmp(type, "Bearer") != 0) ||
      !json_is_integer(expiry) || json_integer_value(expiry) <= 0)
    status = gcs_core->error_set(
        err, PAIL_ERR_IO, response->status, NULL, gcs_request_id(response),
        "gcs: the token endpoint's answer is not an OAuth2 bearer token "
        "(access_token, token_type Bearer, expires_in > 0)");
  if (status == PAIL_OK) {
    *expires_in = (int64_t)json_integer_value(expiry);
    if ((*token = strdup(value)) == NULL)
      status = gcs_no_memory(err);
  }
  json_decref(root);
  return status;
}

/* Asks the token endpoint for a new access token. */
static pail_status token_fetch(gcs_instance *gcs, char **token,
                               int64_t *expires_in, pail_error **err) {
  const gcs_account *account = &gcs->account;
  char *body = NULL;
  pail_status status = PAIL_OK;
  if (account->service_account) {
    char *jwt = NULL;
    status = gcs_jwt_build(account, gcs_core->now(NULL), &jwt, err);
    if (status == PAIL_OK &&
        asprintf(&body,
                 "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3A"
                 "jwt-bearer&assertion=%s",
                 jwt) < 0)
      body = NULL;
    free(jwt);
  } else {
    body = strdup("grant_type=refresh_token");
    if (body != NULL &&
        (!backend_query_add(gcs_core, &body, "client_id", account->client_id) ||
         !backend_query_add(gcs_core, &body, "client_secret",
                            account->client_secret) ||
         !backend_query_add(gcs_core, &body, "refresh_token",
                            account->refresh_token)))
      body = NULL;
  }
  if (status != PAIL_OK)
    return status;
  if (body == NULL)
    return gcs_no_memory(err);
  pail_http_response response;
  status = backend_form_exchange(gcs_core, gcs->cfg, "POST", account->token_uri,
                                 NULL, body, 0, GCS_MAX_BODY, &response, err);
  if (status == PAIL_OK && (response.status < 200 || response.status > 299)) {
    char *what = NULL;
    if (asprintf(&what, "the token endpoint refused the credentials from %s",
                 account->source) < 0)
      what = NULL;
    status =
        gcs_response_error(gcs, &response, what ? what : "token endpoint", err);
    /* Any refusal of the credentials themselves is a denial of access. */
    if (status == PAIL_ERR_INVALID_ARGUMENT || status == PAIL_ERR_NOT_FOUND) {
      pail_error *replaced = NULL;
      if (err != NULL && *err != NULL) {
        replaced = *err;
        *err = NULL;
        status = gcs_core->error_set(
            err, PAIL_ERR_ACCESS_DENIED, response.status,
            gcs_core->error_provider_code(replaced), gcs_request_id(&response),
            "%s", gcs_core->error_message(replaced));
        gcs_core->error_free(replaced);
      } else {
        status = PAIL_ERR_ACCESS_DENIED;
      }
    }
    free(what);
  } else if (status == PAIL_OK) {
    status = gcs_token_parse(&response, token, expires_in, err);
  }
  gcs_core->http_response_clear(&response);
  memset(body, 0, strlen(body));
  free(body);
  return status;
}

/* The core's credentials cache fetches through this: one token request,
 * the token and its expiry (the cache refreshes it before then). */
static pail_status token_refresh(void *context, pail_backend_credentials *out,
                                 pail_error **err) {
  gcs_instance *gcs = context;
  int64_t expires_in = 0;
  pail_status status = token_fetch(gcs, &out->token, &expires_in, err);
  if (status != PAIL_OK)
    return status;
  out->expires = gcs_core->now(NULL) + expires_in;
  if ((out->source = strdup(gcs->account.source)) == NULL) {
    gcs_core->credentials_clear(out);
    return gcs_no_memory(err);
  }
  gcs_core->log(gcs->cfg, PAIL_LOG_DEBUG,
                "gcs: new access token from %s, valid for %lld s",
                gcs->account.token_uri, (long long)expires_in);
  return PAIL_OK;
}

pail_status gcs_tokens_open(gcs_instance *gcs, pail_error **err) {
  return gcs_core->credentials_cache_new(gcs->cfg, token_refresh, gcs,
                                         &gcs->tokens, err);
}

pail_status gcs_token_get(gcs_instance *gcs, char **token, pail_error **err) {
  *token = NULL;
  if (!gcs->has_account)
    return gcs_core->error_set(err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                               "gcs: bucket \"%s\": no OAuth2 credentials for "
                               "the JSON API: %s",
                               gcs->bucket, gcs->missing_account);
  pail_backend_credentials c;
  pail_status status = gcs_core->credentials_get(gcs->tokens, &c, err);
  if (status == PAIL_OK) {
    *token = c.token;
    c.token = NULL;
  }
  gcs_core->credentials_clear(&c);
  return status;
}

void gcs_token_invalidate(gcs_instance *gcs, const char *token) {
  if (gcs->tokens == NULL || token == NULL)
    return;
  pail_backend_credentials c = {.token = (char *)token};
  gcs_core->credentials_invalidate(gcs->tokens, &c);
}
