/*
 * settings_export.c: pail_settings_export(), a storage's settings as data
 * tools take them: DuckDB statements (httpfs and azure extensions), Polars
 * storage_options, boto3 client arguments (docs/settings.md, "Data
 * tools"). Each backend says how its storage is reached, as it resolved it
 * when the storage opened (connection_describe: "connection facts", with
 * credentials from settings, environment or profiles alike); this file
 * only knows the tools. The text holds credentials: it is for the caller
 * to hand to the tool, never for a log.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A storage's connection facts (docs/plugins.md) and what the core knows
 * of the storage itself. */
typedef struct resolved {
  const char *name; /* storage name, NULL for the primary */
  const char *type;
  const json_t *facts;
  const storage_settings *storage;
} resolved;

static const char *fact(const resolved *r, const char *name) {
  const char *s = json_string_value(json_object_get(r->facts, name));
  return s != NULL && *s != '\0' ? s : NULL;
}

static bool fact_bool(const resolved *r, const char *name, bool fallback) {
  json_t *v = json_object_get(r->facts, name);
  return json_is_boolean(v) ? json_is_true(v) : fallback;
}

static pail_status unsupported(pail_error **err, const resolved *r,
                               const char *tool, const char *why) {
  return pail_error_set(err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
                        "%s settings for storage %s%s%s (type %s): %s", tool,
                        r->name ? "\"" : "", r->name ? r->name : "primary",
                        r->name ? "\"" : "", r->type, why);
}

/* A SQL string literal: quotes doubled. */
static void sql_string(FILE *out, const char *s) {
  fputc('\'', out);
  for (; *s; s++) {
    if (*s == '\'')
      fputc('\'', out);
    fputc(*s, out);
  }
  fputc('\'', out);
}

/* The DuckDB secret's name: pail, or pail_<storage> in [a-z0-9_]. */
static void secret_name(FILE *out, const char *storage) {
  fputs("pail", out);
  if (storage == NULL)
    return;
  fputc('_', out);
  for (const char *s = storage; *s; s++)
    fputc((*s >= 'A' && *s <= 'Z') ? *s - 'A' + 'a'
          : ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')) ? *s
                                                                   : '_',
          out);
}

/* ------------------------------------------------------------------ S3 */

/* What S3 tools are given: an s3 storage's facts, or a gcs storage's HMAC
 * keys (GCS's XML API is S3's protocol). */
typedef struct s3_view {
  const char *bucket, *region, *endpoint, *key_id, *secret, *token;
  bool use_ssl, path_style, anonymous, gcs;
} s3_view;

static pail_status s3_view_of(const resolved *r, const char *tool, s3_view *v,
                              pail_error **err) {
  const char *protocol = fact(r, "protocol");
  memset(v, 0, sizeof *v);
  v->bucket = fact(r, "bucket");
  v->endpoint = fact(r, "endpoint");
  v->use_ssl = fact_bool(r, "use_ssl", true);
  if (protocol != NULL && strcmp(protocol, "s3") == 0) {
    const char *provider = fact(r, "provider");
    v->gcs = provider != NULL && strcmp(provider, "gcs") == 0;
    v->region = fact(r, "region");
    v->path_style = fact_bool(r, "path_style", v->endpoint != NULL);
    v->anonymous = fact_bool(r, "anonymous", false);
    v->key_id = fact(r, "access_key_id");
    v->secret = fact(r, "secret_access_key");
    v->token = fact(r, "session_token");
  } else if (protocol != NULL && strcmp(protocol, "gcs") == 0) {
    v->gcs = true;
    v->region = "auto";
    v->path_style = true;
    v->key_id = fact(r, "hmac_access_id");
    v->secret = fact(r, "hmac_secret");
    if (v->key_id == NULL || v->secret == NULL)
      return unsupported(err, r, tool,
                         "it reads GCS only with an HMAC key (accessKey and "
                         "secretKey), and the storage has none");
  } else {
    return unsupported(err, r, tool, "it cannot reach this backend");
  }
  if (v->region == NULL)
    v->region = "us-east-1";
  if (!v->anonymous && (v->key_id == NULL || v->secret == NULL))
    return unsupported(err, r, tool, "the storage has no key pair to give");
  return PAIL_OK;
}

/* The endpoint as a URL (GCS's own when none is set), or NULL for AWS. */
static char *endpoint_url(const s3_view *v, bool *failed) {
  const char *host = v->endpoint ? v->endpoint
                     : v->gcs    ? "storage.googleapis.com"
                                 : NULL;
  char *url =
      host ? str_printf("%s://%s", v->use_ssl ? "https" : "http", host) : NULL;
  *failed = host != NULL && url == NULL;
  return url;
}

static pail_status duckdb_s3(const resolved *r, FILE *out, pail_error **err) {
  s3_view v;
  pail_status status = s3_view_of(r, "DuckDB", &v, err);
  if (status != PAIL_OK)
    return status;
  fputs("INSTALL httpfs;\nLOAD httpfs;\nCREATE OR REPLACE SECRET ", out);
  secret_name(out, r->name);
  fprintf(out, " (\n  TYPE %s", v.gcs ? "gcs" : "s3");
  if (!v.anonymous) {
    fputs(",\n  KEY_ID ", out);
    sql_string(out, v.key_id);
    fputs(",\n  SECRET ", out);
    sql_string(out, v.secret);
    if (v.token != NULL) {
      fputs(",\n  SESSION_TOKEN ", out);
      sql_string(out, v.token);
    }
  }
  fputs(",\n  REGION ", out);
  sql_string(out, v.region);
  if (v.endpoint != NULL &&
      !(v.gcs && strcmp(v.endpoint, "storage.googleapis.com") == 0)) {
    fputs(",\n  ENDPOINT ", out);
    sql_string(out, v.endpoint);
  }
  fprintf(out, ",\n  URL_STYLE '%s',\n  USE_SSL %s",
          v.path_style ? "path" : "vhost", v.use_ssl ? "true" : "false");
  fprintf(out, ",\n  SCOPE ");
  char *scope = str_printf("%s://%s", v.gcs ? "gs" : "s3", v.bucket);
  if (scope == NULL)
    return error_no_memory(err);
  sql_string(out, scope);
  free(scope);
  fputs("\n);\n", out);
  return PAIL_OK;
}

static pail_status polars_s3(const resolved *r, json_t *o, pail_error **err) {
  s3_view v;
  pail_status status = s3_view_of(r, "Polars", &v, err);
  if (status != PAIL_OK)
    return status;
  if (v.anonymous)
    json_object_set_new(o, "aws_skip_signature", json_string("true"));
  else {
    json_object_set_new(o, "aws_access_key_id", json_string(v.key_id));
    json_object_set_new(o, "aws_secret_access_key", json_string(v.secret));
    if (v.token != NULL)
      json_object_set_new(o, "aws_session_token", json_string(v.token));
  }
  json_object_set_new(o, "aws_region", json_string(v.region));
  bool failed = false;
  char *url = endpoint_url(&v, &failed);
  if (failed)
    return error_no_memory(err);
  if (url != NULL)
    json_object_set_new(o, "aws_endpoint_url", json_string(url));
  free(url);
  if (!v.use_ssl)
    json_object_set_new(o, "aws_allow_http", json_string("true"));
  json_object_set_new(o, "aws_virtual_hosted_style_request",
                      json_string(v.path_style ? "false" : "true"));
  return PAIL_OK;
}

static pail_status boto3_s3(const resolved *r, json_t *o, pail_error **err) {
  s3_view v;
  pail_status status = s3_view_of(r, "boto3", &v, err);
  if (status != PAIL_OK)
    return status;
  if (v.anonymous)
    return unsupported(err, r, "boto3",
                       "anonymous access needs botocore's UNSIGNED "
                       "configuration, which is not a client argument");
  bool failed = false;
  char *url = endpoint_url(&v, &failed);
  if (failed)
    return error_no_memory(err);
  if (url != NULL)
    json_object_set_new(o, "endpoint_url", json_string(url));
  free(url);
  json_object_set_new(o, "region_name", json_string(v.region));
  json_object_set_new(o, "use_ssl", json_boolean(v.use_ssl));
  if (r->storage->tls_verify_off)
    json_object_set_new(o, "verify", json_false());
  else if (r->storage->ca_bundle != NULL)
    json_object_set_new(o, "verify", json_string(r->storage->ca_bundle));
  json_object_set_new(o, "aws_access_key_id", json_string(v.key_id));
  json_object_set_new(o, "aws_secret_access_key", json_string(v.secret));
  if (v.token != NULL)
    json_object_set_new(o, "aws_session_token", json_string(v.token));
  return PAIL_OK;
}

/* --------------------------------------------------------------- Azure */

/* The connection string Azure's tools take, from the facts. */
static char *azure_connection_string(const resolved *r) {
  const char *endpoint = fact(r, "blob_endpoint");
  const char *key = fact(r, "account_key");
  if (key != NULL)
    return str_printf("DefaultEndpointsProtocol=%s;AccountName=%s;"
                      "AccountKey=%s;BlobEndpoint=%s",
                      strncmp(endpoint, "http:", 5) == 0 ? "http" : "https",
                      fact(r, "account"), key, endpoint);
  return str_printf("BlobEndpoint=%s;SharedAccessSignature=%s", endpoint,
                    fact(r, "sas_token"));
}

static pail_status azure_check(const resolved *r, const char *tool,
                               pail_error **err) {
  if (fact(r, "account") == NULL || fact(r, "blob_endpoint") == NULL)
    return unsupported(err, r, tool, "the backend gave no account");
  if (fact(r, "account_key") == NULL && fact(r, "sas_token") == NULL)
    return unsupported(err, r, tool,
                       "the storage has neither an account key nor a SAS "
                       "token to give");
  return PAIL_OK;
}

static pail_status duckdb_azure(const resolved *r, FILE *out,
                                pail_error **err) {
  pail_status status = azure_check(r, "DuckDB", err);
  if (status != PAIL_OK)
    return status;
  char *cs = azure_connection_string(r);
  if (cs == NULL)
    return error_no_memory(err);
  fputs("INSTALL azure;\nLOAD azure;\nCREATE OR REPLACE SECRET ", out);
  secret_name(out, r->name);
  fputs(" (\n  TYPE azure,\n  CONNECTION_STRING ", out);
  sql_string(out, cs);
  fputs("\n);\n", out);
  free(cs);
  return PAIL_OK;
}

static pail_status polars_azure(const resolved *r, json_t *o,
                                pail_error **err) {
  pail_status status = azure_check(r, "Polars", err);
  if (status != PAIL_OK)
    return status;
  const char *endpoint = fact(r, "blob_endpoint");
  json_object_set_new(o, "account_name", json_string(fact(r, "account")));
  if (fact(r, "account_key") != NULL)
    json_object_set_new(o, "account_key", json_string(fact(r, "account_key")));
  else
    json_object_set_new(o, "sas_token", json_string(fact(r, "sas_token")));
  if (strstr(endpoint, ".blob.core.windows.net") == NULL)
    json_object_set_new(o, "endpoint", json_string(endpoint));
  if (strncmp(endpoint, "http:", 5) == 0)
    json_object_set_new(o, "allow_http", json_string("true"));
  return PAIL_OK;
}

/* ----------------------------------------------------------------- GCS */

static pail_status polars_gcs(const resolved *r, json_t *o, pail_error **err) {
  if (fact(r, "service_account_key") != NULL)
    json_object_set_new(o, "service_account_key",
                        json_string(fact(r, "service_account_key")));
  else if (fact(r, "service_account_path") != NULL)
    json_object_set_new(o, "service_account_path",
                        json_string(fact(r, "service_account_path")));
  else
    return polars_s3(r, o, err); /* HMAC keys, through the XML API */
  return PAIL_OK;
}

/* ------------------------------------------------------------- dispatch */

/* The connection facts of the storage's backend, parsed into *facts. */
static pail_status describe(const storage_handle *h, const resolved *r,
                            const char *tool, json_t **facts,
                            pail_error **err) {
  if (h->backend->ops.connection_describe == NULL)
    return unsupported(err, r, tool,
                       "other programs cannot reach this backend");
  char *text = NULL;
  pail_status status = error_redact(
      err, h->config,
      h->backend->ops.connection_describe(h->instance, &text, err));
  if (status != PAIL_OK)
    return status;
  *facts = json_loads(text, 0, NULL);
  size_t n = strlen(text);
  memset(text, 0, n); /* it holds credentials */
  free(text);
  if (!json_is_object(*facts) ||
      !json_is_string(json_object_get(*facts, "protocol"))) {
    json_decref(*facts);
    *facts = NULL;
    return pail_error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                          "backend %s described its connection without a "
                          "\"protocol\"",
                          r->type);
  }
  return PAIL_OK;
}

/* The facts of a gateway in front of the storage (opts->gateway, a URL),
 * with keys minted for it: S3's protocol, path-style, the bucket named
 * after the storage. */
static pail_status gateway_facts(pail_workspace *ws, const char *storage,
                                 const pail_settings_options *opts,
                                 json_t **facts, pail_error **err) {
  const char *url = opts->gateway;
  bool tls = strncmp(url, "https://", 8) == 0;
  if (!tls && strncmp(url, "http://", 7) != 0)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "the gateway must be an http:// or https:// URL, "
                          "not \"%.200s\"",
                          url);
  const char *host = url + (tls ? 8 : 7);
  size_t host_length = strcspn(host, "/");
  if (host_length == 0 || (host[host_length] == '/' && host[host_length + 1]))
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "the gateway URL must be scheme://host[:port], "
                          "with no path: \"%.200s\"",
                          url);
  /* The keys reach this storage only, unless the caller scoped them. */
  const char *bucket = storage ? storage : "_default_";
  pail_credentials_options credentials = PAIL_CREDENTIALS_OPTIONS_INIT;
  OPTIONS_ADOPT(credentials, opts->credentials);
  pail_scope scope = PAIL_SCOPE_INIT;
  const char *storages[] = {bucket};
  if (credentials.scope == NULL) {
    scope.storages = storages;
    scope.storage_count = 1;
    credentials.scope = &scope;
  }
  pail_credentials keys;
  pail_status status = pail_credentials_mint(ws, &credentials, &keys, err);
  if (status != PAIL_OK)
    return status;
  char *endpoint = strndup(host, host_length);
  *facts = json_pack("{s:s, s:s, s:s?, s:b, s:b, s:s, s:s, s:s}", "protocol",
                     "s3", "bucket", bucket, "endpoint", endpoint, "use_ssl",
                     tls, "path_style", 1, "region", "us-east-1",
                     "access_key_id", keys.access_key_id, "secret_access_key",
                     keys.secret_access_key);
  free(endpoint);
  pail_credentials_clear(&keys);
  return *facts != NULL ? PAIL_OK : error_no_memory(err);
}

pail_status pail_settings_export(pail_workspace *ws, const char *storage,
                                 const char *tool, char **text,
                                 pail_error **err) {
  return pail_settings_export_with(ws, storage, tool, NULL, text, err);
}

pail_status pail_settings_export_with(pail_workspace *ws, const char *storage,
                                      const char *tool,
                                      const pail_settings_options *options,
                                      char **text, pail_error **err) {
  ARGUMENT_REQUIRED(err, text, "place for the text");
  *text = NULL;
  ARGUMENT_REQUIRED(err, ws, "workspace");
  ARGUMENT_REQUIRED(err, tool, "tool");
  pail_settings_options opts = PAIL_SETTINGS_OPTIONS_INIT;
  OPTIONS_ADOPT(opts, options);
  bool duckdb = strcmp(tool, "duckdb") == 0;
  bool polars = strcmp(tool, "polars") == 0;
  bool boto3 = strcmp(tool, "boto3") == 0;
  if (!duckdb && !polars && !boto3)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "no settings for \"%s\": the tools are duckdb, "
                          "polars and boto3",
                          tool);
  if (storage != NULL && strcmp(storage, "_default_") == 0)
    storage = NULL;
  storage_handle h;
  pail_status status = workspace_storage(ws, storage, &h, err);
  if (status != PAIL_OK)
    return status;
  const char *name = duckdb ? "DuckDB" : polars ? "Polars" : "boto3";
  /* Through a gateway, the tool sees S3 whatever the storage, and none of
   * the storage's TLS settings (those are the gateway's business). */
  static const storage_settings plain = {0};
  resolved r = {.name = storage,
                .type = h.settings->type,
                .storage = opts.gateway ? &plain : h.settings};
  json_t *facts = NULL;
  status = opts.gateway ? gateway_facts(ws, storage, &opts, &facts, err)
                        : describe(&h, &r, name, &facts, err);
  if (status != PAIL_OK)
    return status;
  r.facts = facts;
  const char *protocol = fact(&r, "protocol");
  bool azure = strcmp(protocol, "azure_blob") == 0;
  bool gcs = strcmp(protocol, "gcs") == 0;

  if (duckdb) {
    char *out_text = NULL;
    size_t out_length = 0;
    FILE *out = open_memstream(&out_text, &out_length);
    if (out == NULL) {
      json_decref(facts);
      return error_no_memory(err);
    }
    fprintf(out,
            "-- DuckDB: read storage %s%s%s (type %s) with the %s "
            "extension\n",
            storage ? "\"" : "", storage ? storage : "primary",
            storage ? "\"" : "", r.type, azure ? "azure" : "httpfs");
    status = azure ? duckdb_azure(&r, out, err) : duckdb_s3(&r, out, err);
    fclose(out);
    if (status == PAIL_OK)
      *text = out_text;
    else
      free(out_text);
    json_decref(facts);
    return status;
  }

  json_t *o = json_object();
  if (o == NULL)
    status = error_no_memory(err);
  else if (polars)
    status = azure ? polars_azure(&r, o, err)
             : gcs ? polars_gcs(&r, o, err)
                   : polars_s3(&r, o, err);
  else
    status = azure ? unsupported(err, &r, name,
                                 "boto3 reaches S3 and GCS (with an HMAC "
                                 "key) only")
                   : boto3_s3(&r, o, err);
  if (status == PAIL_OK) {
    *text = json_dumps(o, JSON_INDENT(2));
    if (*text == NULL)
      status = error_no_memory(err);
  }
  json_decref(o);
  json_decref(facts);
  return status;
}
