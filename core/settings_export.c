/*
 * settings_export.c: pail_settings_export(), a storage's settings as data
 * tools take them: DuckDB statements (httpfs and azure extensions), Polars
 * storage_options, boto3 client arguments (docs/settings.md, "Data
 * tools"). The storage is opened first, so its fields have been checked by
 * its backend; the values come from its settings, with the AWS_* variables
 * as the fallback for S3 credentials. The text holds credentials: it is for
 * the caller to hand to the tool, never for a log.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What a storage's settings say, resolved as its backend would. */
typedef struct resolved {
  const char *name; /* storage name, NULL for the primary */
  const char *type;
  const json_t *fields;
  bool use_ssl;
  const char *endpoint; /* host[:port], NULL: the provider's own */
} resolved;

static const char *field_string(const json_t *fields, const char *name) {
  const char *s = json_string_value(json_object_get(fields, name));
  return s != NULL && *s != '\0' ? s : NULL;
}

static bool field_bool(const json_t *fields, const char *name, bool fallback) {
  json_t *v = json_object_get(fields, name);
  return json_is_boolean(v) ? json_is_true(v) : fallback;
}

static const char *env(const char *name) {
  const char *v = getenv(name);
  return v != NULL && *v != '\0' ? v : NULL;
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

typedef struct s3_settings {
  const char *bucket, *region, *key_id, *secret, *token;
  bool path_style, anonymous, gcs;
} s3_settings;

static pail_status s3_resolve(const resolved *r, const char *tool,
                              s3_settings *s, pail_error **err) {
  const json_t *f = r->fields;
  s->bucket = field_string(f, "bucket");
  s->gcs =
      r->type[0] == 'g' || (field_string(f, "provider") != NULL &&
                            strcmp(field_string(f, "provider"), "gcs") == 0);
  s->region = field_string(f, "region");
  if (s->region == NULL)
    s->region = s->gcs ? "auto" : env("AWS_REGION");
  if (s->region == NULL)
    s->region = env("AWS_DEFAULT_REGION");
  if (s->region == NULL)
    s->region = "us-east-1";
  s->path_style = field_bool(f, "pathStyle", r->endpoint != NULL);
  s->anonymous = field_bool(f, "anonymous", false);
  s->key_id = field_string(f, "accessKey");
  s->secret = field_string(f, "secretKey");
  s->token = field_string(f, "token");
  if (s->key_id == NULL && s->secret == NULL && !s->gcs && !s->anonymous) {
    s->key_id = env("AWS_ACCESS_KEY_ID");
    s->secret = env("AWS_SECRET_ACCESS_KEY");
    s->token = env("AWS_SESSION_TOKEN");
  }
  if (!s->anonymous && (s->key_id == NULL || s->secret == NULL))
    return unsupported(err, r, tool,
                       s->gcs ? "no HMAC key (accessKey and secretKey) in "
                                "the settings"
                              : "no credentials in the settings (accessKey "
                                "and secretKey) nor in AWS_ACCESS_KEY_ID "
                                "and AWS_SECRET_ACCESS_KEY; pail cannot "
                                "export credentials from profiles or "
                                "instance roles");
  return PAIL_OK;
}

static pail_status duckdb_s3(const resolved *r, FILE *out, pail_error **err) {
  s3_settings s;
  pail_status status = s3_resolve(r, "DuckDB", &s, err);
  if (status != PAIL_OK)
    return status;
  fputs("INSTALL httpfs;\nLOAD httpfs;\nCREATE OR REPLACE SECRET ", out);
  secret_name(out, r->name);
  fprintf(out, " (\n  TYPE %s", s.gcs && r->type[0] == 'g' ? "gcs" : "s3");
  if (!s.anonymous) {
    fputs(",\n  KEY_ID ", out);
    sql_string(out, s.key_id);
    fputs(",\n  SECRET ", out);
    sql_string(out, s.secret);
    if (s.token != NULL) {
      fputs(",\n  SESSION_TOKEN ", out);
      sql_string(out, s.token);
    }
  }
  fputs(",\n  REGION ", out);
  sql_string(out, s.region);
  if (r->endpoint != NULL) {
    fputs(",\n  ENDPOINT ", out);
    sql_string(out, r->endpoint);
  }
  fprintf(out, ",\n  URL_STYLE '%s',\n  USE_SSL %s",
          s.path_style ? "path" : "vhost", r->use_ssl ? "true" : "false");
  fprintf(out, ",\n  SCOPE ");
  char *scope =
      str_printf("%s://%s", s.gcs && r->type[0] == 'g' ? "gs" : "s3", s.bucket);
  if (scope == NULL)
    return error_no_memory(err);
  sql_string(out, scope);
  free(scope);
  fputs("\n);\n", out);
  return PAIL_OK;
}

/* The endpoint as a URL. */
static char *endpoint_url(const resolved *r, const char *fallback) {
  return str_printf("%s://%s", r->use_ssl ? "https" : "http",
                    r->endpoint ? r->endpoint : fallback);
}

static pail_status polars_s3(const resolved *r, json_t *o, pail_error **err) {
  s3_settings s;
  pail_status status = s3_resolve(r, "Polars", &s, err);
  if (status != PAIL_OK)
    return status;
  if (s.anonymous)
    json_object_set_new(o, "aws_skip_signature", json_string("true"));
  else {
    json_object_set_new(o, "aws_access_key_id", json_string(s.key_id));
    json_object_set_new(o, "aws_secret_access_key", json_string(s.secret));
    if (s.token != NULL)
      json_object_set_new(o, "aws_session_token", json_string(s.token));
  }
  json_object_set_new(o, "aws_region", json_string(s.region));
  if (r->endpoint != NULL || s.gcs) {
    char *url = endpoint_url(r, "storage.googleapis.com");
    if (url == NULL)
      return error_no_memory(err);
    json_object_set_new(o, "aws_endpoint_url", json_string(url));
    free(url);
  }
  if (!r->use_ssl)
    json_object_set_new(o, "aws_allow_http", json_string("true"));
  json_object_set_new(o, "aws_virtual_hosted_style_request",
                      json_string(s.path_style ? "false" : "true"));
  return PAIL_OK;
}

static pail_status boto3_s3(const resolved *r, json_t *o,
                            const storage_settings *st, pail_error **err) {
  s3_settings s;
  pail_status status = s3_resolve(r, "boto3", &s, err);
  if (status != PAIL_OK)
    return status;
  if (s.anonymous)
    return unsupported(err, r, "boto3",
                       "anonymous access needs botocore's UNSIGNED "
                       "configuration, which is not a client argument");
  if (r->endpoint != NULL || s.gcs) {
    char *url = endpoint_url(r, "storage.googleapis.com");
    if (url == NULL)
      return error_no_memory(err);
    json_object_set_new(o, "endpoint_url", json_string(url));
    free(url);
  }
  json_object_set_new(o, "region_name", json_string(s.region));
  json_object_set_new(o, "use_ssl", json_boolean(r->use_ssl));
  if (st->tls_verify_off)
    json_object_set_new(o, "verify", json_false());
  else if (st->ca_bundle != NULL)
    json_object_set_new(o, "verify", json_string(st->ca_bundle));
  json_object_set_new(o, "aws_access_key_id", json_string(s.key_id));
  json_object_set_new(o, "aws_secret_access_key", json_string(s.secret));
  if (s.token != NULL)
    json_object_set_new(o, "aws_session_token", json_string(s.token));
  return PAIL_OK;
}

/* --------------------------------------------------------------- Azure */

typedef struct azure_settings {
  char *account, *key, *sas, *blob_endpoint; /* owned */
  char *connection_string;                   /* owned */
} azure_settings;

static void azure_free(azure_settings *a) {
  free(a->account);
  free(a->key);
  free(a->sas);
  free(a->blob_endpoint);
  free(a->connection_string);
}

/* One "Name=value" of a connection string, or NULL. */
static char *connection_part(const char *cs, const char *name) {
  size_t n = strlen(name);
  for (const char *p = cs; p && *p;) {
    const char *end = strchr(p, ';');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len > n && strncasecmp(p, name, n) == 0 && p[n] == '=')
      return strndup(p + n + 1, len - n - 1);
    p = end ? end + 1 : NULL;
  }
  return NULL;
}

static pail_status azure_resolve(const resolved *r, const char *tool,
                                 azure_settings *a, pail_error **err) {
  const json_t *f = r->fields;
  const char *cs = field_string(f, "connectionString");
  memset(a, 0, sizeof *a);
  if (cs != NULL) {
    char *development = connection_part(cs, "UseDevelopmentStorage");
    bool azurite = development != NULL && strcasecmp(development, "true") == 0;
    free(development);
    if (azurite) { /* Azurite's well-known account, as Azure's tools use */
      a->account = strdup("devstoreaccount1");
      a->key = strdup("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErC"
                      "z4I6tq/K1SZFPTOtr/KBHBeksoGMGw==");
      a->blob_endpoint = strdup("http://127.0.0.1:10000/devstoreaccount1");
    } else {
      a->account = connection_part(cs, "AccountName");
      a->key = connection_part(cs, "AccountKey");
      a->sas = connection_part(cs, "SharedAccessSignature");
      a->blob_endpoint = connection_part(cs, "BlobEndpoint");
    }
  } else {
    a->account = str_dup(field_string(f, "accountName"));
    a->key = str_dup(field_string(f, "accessKey"));
    const char *sas = field_string(f, "sasToken");
    a->sas = str_dup(sas && *sas == '?' ? sas + 1 : sas);
    if (r->endpoint != NULL && a->account != NULL)
      a->blob_endpoint = str_printf("%s://%s/%s", r->use_ssl ? "https" : "http",
                                    r->endpoint, a->account);
  }
  if (a->account == NULL && a->blob_endpoint == NULL) {
    azure_free(a);
    return unsupported(err, r, tool, "no account name in the settings");
  }
  if (a->key == NULL && a->sas == NULL) {
    azure_free(a);
    return unsupported(err, r, tool,
                       "no account key or SAS token in the settings; pail "
                       "cannot export credentials from the environment");
  }
  if (a->blob_endpoint == NULL)
    a->blob_endpoint =
        str_printf("https://%s.blob.core.windows.net", a->account);
  a->connection_string =
      a->key
          ? str_printf("DefaultEndpointsProtocol=%s;AccountName=%s;"
                       "AccountKey=%s;BlobEndpoint=%s",
                       strncmp(a->blob_endpoint, "http:", 5) == 0 ? "http"
                                                                  : "https",
                       a->account ? a->account : "", a->key, a->blob_endpoint)
          : str_printf("BlobEndpoint=%s;SharedAccessSignature=%s",
                       a->blob_endpoint, a->sas);
  if (a->blob_endpoint == NULL || a->connection_string == NULL) {
    azure_free(a);
    return error_no_memory(err);
  }
  return PAIL_OK;
}

static pail_status duckdb_azure(const resolved *r, FILE *out,
                                pail_error **err) {
  azure_settings a;
  pail_status status = azure_resolve(r, "DuckDB", &a, err);
  if (status != PAIL_OK)
    return status;
  fputs("INSTALL azure;\nLOAD azure;\nCREATE OR REPLACE SECRET ", out);
  secret_name(out, r->name);
  fputs(" (\n  TYPE azure,\n  CONNECTION_STRING ", out);
  sql_string(out, a.connection_string);
  fputs("\n);\n", out);
  azure_free(&a);
  return PAIL_OK;
}

static pail_status polars_azure(const resolved *r, json_t *o,
                                pail_error **err) {
  azure_settings a;
  pail_status status = azure_resolve(r, "Polars", &a, err);
  if (status != PAIL_OK)
    return status;
  if (a.account != NULL)
    json_object_set_new(o, "account_name", json_string(a.account));
  if (a.key != NULL)
    json_object_set_new(o, "account_key", json_string(a.key));
  else
    json_object_set_new(o, "sas_token", json_string(a.sas));
  if (r->endpoint != NULL ||
      strstr(a.blob_endpoint, ".blob.core.windows.net") == NULL)
    json_object_set_new(o, "endpoint", json_string(a.blob_endpoint));
  if (strncmp(a.blob_endpoint, "http:", 5) == 0)
    json_object_set_new(o, "allow_http", json_string("true"));
  azure_free(&a);
  return PAIL_OK;
}

/* ----------------------------------------------------------------- GCS */

static pail_status polars_gcs(const resolved *r, json_t *o, pail_error **err) {
  json_t *key = json_object_get(r->fields, "serviceAccountKey");
  if (json_is_object(key)) {
    char *text = json_dumps(key, JSON_COMPACT);
    if (text == NULL)
      return error_no_memory(err);
    json_object_set_new(o, "service_account_key", json_string(text));
    free(text);
  } else if (json_is_string(key)) {
    const char *s = json_string_value(key);
    json_object_set_new(
        o, *s == '{' ? "service_account_key" : "service_account_path",
        json_string(s));
  } else {
    return unsupported(err, r, "Polars",
                       "no service account key in the settings (Polars "
                       "cannot use GCS HMAC keys)");
  }
  return PAIL_OK;
}

/* ------------------------------------------------------------- dispatch */

pail_status pail_settings_export(pail_workspace *ws, const char *storage,
                                 const char *tool, char **text,
                                 pail_error **err) {
  ARGUMENT_REQUIRED(err, text, "place for the text");
  *text = NULL;
  ARGUMENT_REQUIRED(err, ws, "workspace");
  ARGUMENT_REQUIRED(err, tool, "tool");
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
  const storage_settings *st = h.settings;
  resolved r = {.name = storage,
                .type = st->type,
                .fields = st->fields,
                .use_ssl = field_bool(st->fields, "useSSL", true),
                .endpoint = field_string(
                    st->fields, st->type[0] == 's' ? "endPoint" : "endpoint")};
  const char *name = duckdb ? "DuckDB" : polars ? "Polars" : "boto3";
  bool s3 = strcmp(st->type, "s3") == 0,
       azure = strcmp(st->type, "azure_blob") == 0;
  bool gcs = strcmp(st->type, "gcs") == 0;
  bool gcs_hmac = gcs && field_string(st->fields, "accessKey") != NULL;

  if (duckdb) {
    char *out_text = NULL;
    size_t out_length = 0;
    FILE *out = open_memstream(&out_text, &out_length);
    if (out == NULL)
      return error_no_memory(err);
    fprintf(out,
            "-- DuckDB: read storage %s%s%s (type %s) with the %s "
            "extension\n",
            storage ? "\"" : "", storage ? storage : "primary",
            storage ? "\"" : "", st->type, azure ? "azure" : "httpfs");
    if (s3 || gcs_hmac)
      status = duckdb_s3(&r, out, err);
    else if (azure)
      status = duckdb_azure(&r, out, err);
    else if (gcs)
      status = unsupported(err, &r, name,
                           "DuckDB reads GCS only with an HMAC key "
                           "(accessKey and secretKey), and the storage has "
                           "none");
    else
      status = unsupported(err, &r, name, "DuckDB cannot reach this backend");
    fclose(out);
    if (status == PAIL_OK)
      *text = out_text;
    else
      free(out_text);
    return status;
  }

  json_t *o = json_object();
  if (o == NULL)
    return error_no_memory(err);
  if (polars && (s3 || (gcs && gcs_hmac &&
                        !json_object_get(st->fields, "serviceAccountKey"))))
    status = polars_s3(&r, o, err);
  else if (polars && azure)
    status = polars_azure(&r, o, err);
  else if (polars && gcs)
    status = polars_gcs(&r, o, err);
  else if (boto3 && (s3 || gcs_hmac))
    status = boto3_s3(&r, o, st, err);
  else
    status = unsupported(err, &r, name,
                         boto3 ? "boto3 reaches S3 and GCS (with an HMAC "
                                 "key) only"
                               : "Polars cannot reach this backend");
  if (status == PAIL_OK) {
    *text = json_dumps(o, JSON_INDENT(2));
    if (*text == NULL)
      status = error_no_memory(err);
  }
  json_decref(o);
  return status;
}
