/*
 * settings.c: the workspace settings document (docs/settings.md).
 *
 * Only the workspace level is checked here: storage fields are checked against
 * their backend's field table when the storage is first opened, so that
 * loading settings never loads a plugin.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Settings files are small; a bigger file is a mistake, not a workspace. */
#define SETTINGS_MAX_BYTES (4u << 20)

static const struct {
  const char *tag;
  const char *type;
} type_aliases[] = {
    {"S3Storage", "s3"},
    {"AzureBlobStorage", "azure_blob"},
    {"GoogleCloudStorage", "gcs"},
    {"FilesystemStorage", "fs"},
};

const char *settings_type_alias(const char *type) {
  for (size_t i = 0; i < sizeof type_aliases / sizeof type_aliases[0]; i++)
    if (strcmp(type, type_aliases[i].tag) == 0)
      return type_aliases[i].type;
  return type;
}

/* A type becomes part of a file name (pail_<type>.so): keep it to a safe
 * alphabet so it can never name a path. */
static bool type_is_valid(const char *type) {
  size_t n = strlen(type);
  if (n == 0 || n > 63)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = type[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  }
  return true;
}

static const char *storage_label(const char *name, char *buffer, size_t size) {
  if (name == NULL)
    snprintf(buffer, size, "primary storage");
  else
    snprintf(buffer, size, "storage \"%s\"", name);
  return buffer;
}

/* The fields every storage has, whatever its backend, parsed here and taken
 * out of the fields the backend sees (backend.h lists them for plugin
 * authors; a backend's field table may not declare them). Each parser
 * stores a value that is neither absent nor null, returning
 * PAIL_ERR_INVALID_ARGUMENT when it is out of bounds (the message says what
 * it must be) or PAIL_ERR_INTERNAL when out of memory. */
typedef struct core_field {
  const char *name;
  pail_status (*parse)(const json_t *value, storage_settings *out);
  const char *must_be;
} core_field;

/* The retry policy. */
static pail_status parse_max_attempts(const json_t *value,
                                      storage_settings *out) {
  if (!json_is_integer(value) || json_integer_value(value) < 1 ||
      json_integer_value(value) > 20)
    return PAIL_ERR_INVALID_ARGUMENT;
  out->max_attempts = (int)json_integer_value(value);
  return PAIL_OK;
}

static pail_status parse_retry_time_limit(const json_t *value,
                                          storage_settings *out) {
  if (!json_is_number(value) || json_number_value(value) <= 0 ||
      json_number_value(value) > 3600)
    return PAIL_ERR_INVALID_ARGUMENT;
  out->retry_time_limit_ms = (int64_t)(json_number_value(value) * 1000);
  return PAIL_OK;
}

/* How much memory the parts of an upload from a stream may hold. */
static pail_status parse_stream_buffer_size(const json_t *value,
                                            storage_settings *out) {
  if (!json_is_integer(value) || json_integer_value(value) < (1 << 20) ||
      (uint64_t)json_integer_value(value) > ((uint64_t)16 << 30) ||
      (uint64_t)json_integer_value(value) > SIZE_MAX)
    return PAIL_ERR_INVALID_ARGUMENT;
  out->stream_buffer_size = (size_t)json_integer_value(value);
  return PAIL_OK;
}

/* And how the storage's servers are verified. */
static pail_status parse_tls_verify(const json_t *value,
                                    storage_settings *out) {
  if (!json_is_boolean(value))
    return PAIL_ERR_INVALID_ARGUMENT;
  out->tls_verify_off = json_is_false(value);
  return PAIL_OK;
}

static pail_status parse_ca_bundle(const json_t *value, storage_settings *out) {
  if (!json_is_string(value) || json_string_length(value) == 0)
    return PAIL_ERR_INVALID_ARGUMENT;
  out->ca_bundle = str_dup(json_string_value(value));
  return out->ca_bundle ? PAIL_OK : PAIL_ERR_INTERNAL;
}

static const core_field core_fields[] = {
    {"maxAttempts", parse_max_attempts, "an integer from 1 (no retries) to 20"},
    {"retryTimeLimit", parse_retry_time_limit,
     "a number of seconds above 0, at most 3600"},
    {"streamBufferSize", parse_stream_buffer_size,
     "a number of bytes from 1048576 (1 MiB) to 17179869184 (16 GiB)"},
    {"tlsVerify", parse_tls_verify, "true or false"},
    {"caBundle", parse_ca_bundle, "the path of a PEM file of CA certificates"},
};

bool settings_is_core_field(const char *name) {
  for (size_t i = 0; i < sizeof core_fields / sizeof core_fields[0]; i++)
    if (strcmp(name, core_fields[i].name) == 0)
      return true;
  return false;
}

static pail_status parse_storage(const char *source, const char *name,
                                 json_t *object, storage_settings *out,
                                 pail_error **err) {
  char label[96];
  storage_label(name, label, sizeof label);
  if (!json_is_object(object))
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "settings %s: %s must be a JSON object", source,
                          label);
  json_t *type = json_object_get(object, "type");
  if (type == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "settings %s: %s has no \"type\" (fs, s3, "
                          "azure_blob, gcs, or a plugin's type)",
                          source, label);
  if (!json_is_string(type))
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "settings %s: %s: \"type\" must be a string", source,
                          label);
  const char *resolved = settings_type_alias(json_string_value(type));
  if (!type_is_valid(resolved))
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "settings %s: %s: invalid type \"%.64s\" (a type is "
                          "lowercase letters, digits and '_')",
                          source, label, json_string_value(type));
  out->name = str_dup(name);
  out->type = str_dup(resolved);
  out->fields = json_deep_copy(object);
  if ((name && !out->name) || !out->type || !out->fields)
    return error_no_memory(err);
  json_object_del(out->fields, "type");
  for (size_t i = 0; i < sizeof core_fields / sizeof core_fields[0]; i++) {
    const core_field *f = &core_fields[i];
    json_t *value = json_object_get(out->fields, f->name);
    /* null means "not set" here as for every field (docs/settings.md). */
    if (value != NULL && !json_is_null(value)) {
      pail_status status = f->parse(value, out);
      if (status == PAIL_ERR_INVALID_ARGUMENT)
        return pail_error_set(err, status, 0, NULL, NULL,
                              "settings %s: %s: \"%s\" must be %s", source,
                              label, f->name, f->must_be);
      if (status != PAIL_OK)
        return error_no_memory(err);
    }
    json_object_del(out->fields, f->name);
  }
  return PAIL_OK;
}

void settings_free(workspace_settings *settings) {
  if (settings == NULL)
    return;
  free(settings->source);
  for (size_t i = 0; i < settings->storage_count; i++) {
    free(settings->storages[i].name);
    free(settings->storages[i].type);
    free(settings->storages[i].ca_bundle);
    json_decref(settings->storages[i].fields);
  }
  free(settings->storages);
  access_rules_free(&settings->rules);
  if (settings->workspace_key) {
    memset(settings->workspace_key, 0, strlen(settings->workspace_key));
    free(settings->workspace_key);
  }
  for (size_t i = 0; i < settings->gateway_key_count; i++) {
    gateway_signing_key *key = &settings->gateway_keys[i];
    free(key->id);
    if (key->secret != NULL)
      memset(key->secret, 0, strlen(key->secret));
    free(key->secret);
  }
  free(settings->gateway_keys);
  memset(settings, 0, sizeof *settings);
}

/* The shortest gateway signing key: 256 bits as hex or base64 and more. */
#define GATEWAY_KEY_MIN_LENGTH 32
#define GATEWAY_KEY_ID_MAX 32

/* "gateway_keys": [{"id": "2026-12", "secret": "..."}, ...], or null. */
static pail_status parse_gateway_keys(json_t *keys, const char *source,
                                      workspace_settings *out,
                                      pail_error **err) {
  if (keys == NULL || json_is_null(keys))
    return PAIL_OK;
  if (!json_is_array(keys) || json_array_size(keys) == 0)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "settings %s: \"gateway_keys\" must be a non-empty "
                          "array of {\"id\", \"secret\"} (the first signs "
                          "new access keys)",
                          source);
  out->gateway_keys = calloc(json_array_size(keys), sizeof *out->gateway_keys);
  if (out->gateway_keys == NULL)
    return error_no_memory(err);
  size_t index;
  json_t *entry;
  json_array_foreach(keys, index, entry) {
    const char *id = json_string_value(json_object_get(entry, "id"));
    const char *secret = json_string_value(json_object_get(entry, "secret"));
    size_t id_length = id ? strlen(id) : 0;
    if (!json_is_object(entry) || json_object_size(entry) != 2 || id == NULL ||
        secret == NULL)
      return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "settings %s: gateway_keys[%zu] must be an "
                            "object of two strings, \"id\" and \"secret\"",
                            source, index);
    if (id_length == 0 || id_length > GATEWAY_KEY_ID_MAX ||
        strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                   "0123456789._-") != id_length)
      return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "settings %s: gateway_keys[%zu]: \"id\" must be "
                            "1 to %d letters, digits, '.', '_' or '-'",
                            source, index, GATEWAY_KEY_ID_MAX);
    for (size_t i = 0; i < index; i++)
      if (strcmp(out->gateway_keys[i].id, id) == 0)
        return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                              "settings %s: gateway_keys[%zu]: the id \"%s\" "
                              "is given twice",
                              source, index, id);
    if (strlen(secret) < GATEWAY_KEY_MIN_LENGTH)
      return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "settings %s: gateway_keys[%zu]: \"secret\" must "
                            "be at least %d characters",
                            source, index, GATEWAY_KEY_MIN_LENGTH);
    gateway_signing_key *key = &out->gateway_keys[index];
    key->id = str_dup(id);
    key->secret = str_dup(secret);
    out->gateway_key_count = index + 1;
    if (key->id == NULL || key->secret == NULL)
      return error_no_memory(err);
  }
  return PAIL_OK;
}

static pail_status parse_document(json_t *root, const char *source,
                                  workspace_settings *out, pail_error **err) {
  if (!json_is_object(root))
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "settings %s: the document must be a JSON object",
                          source);
  const char *field;
  json_t *value;
  json_object_foreach(root, field, value) {
    if (strcmp(field, "storage") != 0 &&
        strcmp(field, "secondary_storage") != 0 &&
        strcmp(field, "advanced_permissions") != 0 &&
        strcmp(field, "workspace_key") != 0 &&
        strcmp(field, "gateway_keys") != 0)
      return pail_error_set(
          err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
          "settings %s: unknown field \"%.64s\" at the top level (known: "
          "storage, secondary_storage, advanced_permissions, workspace_key, "
          "gateway_keys)",
          source, field);
  }
  json_t *primary = json_object_get(root, "storage");
  if (primary == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "settings %s: missing required field \"storage\" "
                          "(the primary storage)",
                          source);
  json_t *secondaries = json_object_get(root, "secondary_storage");
  if (secondaries != NULL && !json_is_object(secondaries) &&
      !json_is_null(secondaries))
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "settings %s: \"secondary_storage\" must be an "
                          "object mapping names to storages",
                          source);
  size_t count =
      1 + (json_is_object(secondaries) ? json_object_size(secondaries) : 0);
  out->storages = calloc(count, sizeof *out->storages);
  if (out->storages == NULL)
    return error_no_memory(err);
  pail_status status =
      parse_storage(source, NULL, primary, &out->storages[0], err);
  out->storage_count = 1;
  if (status != PAIL_OK)
    return status;
  if (json_is_object(secondaries)) {
    /* jansson keeps insertion order, so storages are listed as written. */
    json_object_foreach(secondaries, field, value) {
      pail_error *name_error = NULL;
      if (strcmp(field, "_default_") == 0)
        return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                              "settings %s: \"_default_\" is reserved for the "
                              "primary storage and cannot name a secondary",
                              source);
      if (pail_storage_name_check(field, &name_error) != PAIL_OK) {
        pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                       "settings %s: secondary_storage: %s", source,
                       pail_error_message(name_error));
        pail_error_free(name_error);
        return PAIL_ERR_INVALID_ARGUMENT;
      }
      status = parse_storage(source, field, value,
                             &out->storages[out->storage_count], err);
      out->storage_count++;
      if (status != PAIL_OK)
        return status;
    }
  }
  json_t *rules = json_object_get(root, "advanced_permissions");
  if (rules != NULL && !json_is_null(rules)) {
    status = access_rules_parse(rules, &out->rules, err);
    if (status != PAIL_OK) {
      error_prefix(err, "settings %s: advanced_permissions", source);
      return status;
    }
  }
  json_t *key = json_object_get(root, "workspace_key");
  if (key != NULL && !json_is_null(key)) {
    if (!json_is_string(key) || json_string_length(key) < 16)
      return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "settings %s: \"workspace_key\" must be a string "
                            "of at least 16 characters",
                            source);
    out->workspace_key = str_dup(json_string_value(key));
    if (out->workspace_key == NULL)
      return error_no_memory(err);
  }
  return parse_gateway_keys(json_object_get(root, "gateway_keys"), source, out,
                            err);
}

pail_status settings_parse(const char *json, size_t length, const char *source,
                           workspace_settings *out, pail_error **err) {
  memset(out, 0, sizeof *out);
  json_error_t jerr;
  json_t *root = json_loadb(json, length, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL) {
    /* jansson quotes the text where parsing stopped ("invalid token near
     * 'wJalrXUt'"): a credential pasted without quotes would land in the
     * message. Line and column locate the error well enough. */
    char *near = strstr(jerr.text, " near ");
    if (near != NULL)
      *near = '\0';
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "settings %s: not valid JSON: line %d, column %d: %s",
                          source, jerr.line, jerr.column, jerr.text);
  }
  out->source = str_dup(source);
  pail_status status = out->source ? parse_document(root, source, out, err)
                                   : error_no_memory(err);
  json_decref(root);
  if (status != PAIL_OK)
    settings_free(out);
  return status;
}

pail_status settings_load_file(const char *path, workspace_settings *out,
                               pail_error **err) {
  memset(out, 0, sizeof *out);
  FILE *file = fopen(path, "rb");
  if (file == NULL)
    return pail_error_set(err,
                          errno == ENOENT   ? PAIL_ERR_NOT_FOUND
                          : errno == EACCES ? PAIL_ERR_ACCESS_DENIED
                                            : PAIL_ERR_IO,
                          0, NULL, NULL, "cannot read settings file %s: %s",
                          path, strerror(errno));
  char *buffer = malloc(SETTINGS_MAX_BYTES + 1);
  if (buffer == NULL) {
    fclose(file);
    return error_no_memory(err);
  }
  size_t n = fread(buffer, 1, SETTINGS_MAX_BYTES + 1, file);
  int read_error = ferror(file);
  fclose(file);
  pail_status status;
  if (read_error)
    status = pail_error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                            "cannot read settings file %s", path);
  else if (n > SETTINGS_MAX_BYTES)
    status = pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "settings file %s is larger than %u bytes", path,
                            SETTINGS_MAX_BYTES);
  else
    status = settings_parse(buffer, n, path, out, err);
  free(buffer);
  return status;
}

/* $XDG_<kind>_HOME, else $HOME/<fallback>; NULL when neither is set. */
static char *xdg_dir(const char *variable, const char *fallback) {
  const char *xdg = getenv(variable);
  if (xdg != NULL && xdg[0] == '/')
    return str_dup(xdg);
  const char *home = getenv("HOME");
  if (home == NULL || home[0] == '\0')
    return NULL;
  return str_printf("%s/%s", home, fallback);
}

pail_status settings_embedded_default(workspace_settings *out,
                                      pail_error **err) {
  memset(out, 0, sizeof *out);
  char *root = NULL;
  const char *pail_home = getenv("PAIL_HOME");
  if (pail_home != NULL && pail_home[0] != '\0') {
    root = str_dup(pail_home);
  } else {
    char *data = xdg_dir("XDG_DATA_HOME", ".local/share");
    if (data == NULL)
      return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "no settings and no place for the embedded "
                            "default storage: set PAIL_HOME, XDG_DATA_HOME or "
                            "HOME, or give --config");
    root = str_printf("%s/pail", data);
    free(data);
  }
  if (root == NULL)
    return error_no_memory(err);
  json_t *doc = json_pack("{s:{s:s, s:s, s:b}}", "storage", "type", "fs",
                          "root_path", root, "create_root", 1);
  free(root);
  if (doc == NULL)
    return error_no_memory(err);
  pail_status status;
  out->source = str_dup("<embedded default>");
  status = out->source ? parse_document(doc, out->source, out, err)
                       : error_no_memory(err);
  json_decref(doc);
  if (status != PAIL_OK)
    settings_free(out);
  return status;
}

pail_status settings_load_default_chain(workspace_settings *out,
                                        pail_error **err) {
  const char *from_env = getenv("PAIL_CONFIG");
  if (from_env != NULL && from_env[0] != '\0')
    return settings_load_file(from_env, out, err);
  char *config = xdg_dir("XDG_CONFIG_HOME", ".config");
  if (config != NULL) {
    char *path = str_printf("%s/pail/workspace.json", config);
    free(config);
    if (path == NULL)
      return error_no_memory(err);
    struct stat st;
    if (stat(path, &st) == 0) {
      pail_status status = settings_load_file(path, out, err);
      free(path);
      return status;
    }
    free(path);
  }
  return settings_embedded_default(out, err);
}

const char *settings_endpoint_problem(const char *endpoint) {
  if (strstr(endpoint, "://") != NULL)
    return "give host[:port] without a scheme; useSSL chooses http or https";
  if (strpbrk(endpoint, "/?#") != NULL)
    return "give host[:port] without a path";
  if (strpbrk(endpoint, " \t\r\n@") != NULL)
    return "host[:port] has no spaces or user part";
  if (*endpoint == '\0' || *endpoint == ':')
    return "the host is empty";
  const char *colon = strrchr(endpoint, ':');
  const char *bracket = strrchr(endpoint, ']');
  if (colon != NULL && (bracket == NULL || colon > bracket)) {
    char *end = NULL;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || errno != 0 || port < 1 ||
        port > 65535)
      return "the port must be a number from 1 to 65535";
  }
  return NULL;
}
