/*
 * services.c: what the core lends to plugins (pail_core_services), and the
 * generic checking of a storage's settings against its backend's field table.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *config_storage_name(const pail_config *cfg) {
  return cfg ? cfg->storage->name : NULL;
}

json_t *config_field(const pail_config *cfg, const char *field) {
  if (cfg == NULL || field == NULL)
    return NULL;
  json_t *value = json_object_get(cfg->storage->fields, field);
  return json_is_null(value) ? NULL : value;
}

static const char *config_string(const pail_config *cfg, const char *field) {
  json_t *value = config_field(cfg, field);
  return json_is_string(value) ? json_string_value(value) : NULL;
}

static int config_bool(const pail_config *cfg, const char *field, int dflt) {
  json_t *value = config_field(cfg, field);
  if (json_is_boolean(value))
    return json_is_true(value);
  if (json_is_string(value)) {
    const char *s = json_string_value(value);
    if (strcmp(s, "true") == 0)
      return 1;
    if (strcmp(s, "false") == 0)
      return 0;
  }
  return dflt;
}

static int64_t config_integer(const pail_config *cfg, const char *field,
                              int64_t dflt) {
  json_t *value = config_field(cfg, field);
  return json_is_integer(value) ? (int64_t)json_integer_value(value) : dflt;
}

static char *config_json(const pail_config *cfg, const char *field) {
  json_t *value = config_field(cfg, field);
  return value ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

void config_log(const pail_config *cfg, pail_log_level level,
                const char *format, ...) {
  if (cfg == NULL || cfg->log == NULL || level > cfg->log_level)
    return;
  char *message = NULL;
  va_list args;
  va_start(args, format);
  int n = vasprintf(&message, format, args);
  va_end(args);
  if (n < 0)
    return;
  config_redact(cfg, message);
  const char *name = cfg->storage->name;
  char *line = name ? str_printf("storage \"%s\": %s", name, message)
                    : str_printf("primary storage: %s", message);
  cfg->log(cfg->log_user_data, level, line ? line : message);
  free(line);
  free(message);
}

static int64_t core_now(int32_t *nsec) {
  return clock_now(nsec);
}

const pail_core_services core_services = {
    .abi_version = PAIL_BACKEND_ABI_VERSION,
    .struct_size = sizeof(pail_core_services),
    .error_set = pail_error_set,
    .log = config_log,
    .now = core_now,
    .config_storage_name = config_storage_name,
    .config_string = config_string,
    .config_bool = config_bool,
    .config_integer = config_integer,
    .config_json = config_json,
    .key_check = pail_key_check,
    .sha256 = crypto_sha256,
    .hmac_sha256 = crypto_hmac_sha256,
    .hex_encode = crypto_hex_encode,
    .http_exchange = http_exchange,
    .http_response_clear = http_response_clear,
    .http_header = http_header,
    .http_stream_open = http_stream_open,
    .http_stream_read = http_stream_read,
    .http_stream_close = http_stream_close,
    .http_group_new = http_group_new,
    .http_group_start = http_group_start,
    .http_group_wait = http_group_wait,
    .http_group_pending = http_group_pending,
    .http_group_free = http_group_free,
    .sigv4_sign = sigv4_sign,
    .sigv4_presign = sigv4_presign,
    .uri_encode = sigv4_uri_encode,
    .strings_free = strings_free,
    .time_parse = clock_parse_provider_time,
    .error_free = pail_error_free,
    .error_category = pail_error_category,
    .error_provider_code = pail_error_provider_code,
    .error_message = pail_error_message,
    .md5 = crypto_md5,
    .base64_encode = crypto_base64_encode,
    .content_type_guess = pail_content_type_guess,
    .base64_decode = crypto_base64_decode,
    .base64url_encode = crypto_base64url_encode,
    .private_key_load = crypto_private_key_load,
    .private_key_free = crypto_private_key_free,
    .rsa_sha256_sign = crypto_rsa_sha256_sign,
    .crc32c = crc32c_update,
    .object_info_clear = pail_object_info_clear,
    .resumable_open = resumable_open,
    .resumable_read = resumable_read,
    .resumable_close = resumable_close,
    .endpoint_problem = settings_endpoint_problem,
    .delegate_open = delegate_open,
    .delegate_close = delegate_close,
    .resumable_verify = resumable_verify,
    .sha256_file = crypto_sha256_file,
    .file_read = crypto_file_read,
    .error_redact_document = error_redact_document,
    .request_init = request_init,
    .request_header = request_header,
    .request_free = request_free,
    .part_writer_open = part_writer_open,
    .part_writer_write = part_writer_write,
    .part_writer_write_file = part_writer_write_file,
    .part_writer_copy = part_writer_copy,
    .part_writer_commit = part_writer_commit,
    .part_writer_abort = part_writer_abort,
    .request_set_url = request_set_url,
    .status_category = error_status_category,
    .hex_decode = str_hex_decode,
    .uri_decode = str_uri_decode,
    .resumable_stream_open = resumable_stream_open,
    .credentials_cache_new = credentials_cache_new,
    .credentials_get = credentials_get,
    .credentials_invalidate = credentials_invalidate,
    .credentials_clear = credentials_clear,
    .credentials_cache_free = credentials_cache_free,
};

const pail_core_services *pail_core_services_get(void) {
  return &core_services;
}

static const char *field_type_name(pail_field_type type) {
  switch (type) {
  case PAIL_FIELD_STRING:
    return "a string";
  case PAIL_FIELD_BOOL:
    return "true or false";
  case PAIL_FIELD_INTEGER:
    return "an integer";
  case PAIL_FIELD_OBJECT_OR_STRING:
    return "an object or a string";
  default:
    return "any value";
  }
}

static bool field_type_matches(pail_field_type type, const json_t *value) {
  if (json_is_null(value))
    return true; /* null means "not set", as Windmill resources write it */
  switch (type) {
  case PAIL_FIELD_STRING:
    return json_is_string(value);
  case PAIL_FIELD_BOOL:
    return json_is_boolean(value) ||
           (json_is_string(value) &&
            (strcmp(json_string_value(value), "true") == 0 ||
             strcmp(json_string_value(value), "false") == 0));
  case PAIL_FIELD_INTEGER:
    return json_is_integer(value);
  case PAIL_FIELD_OBJECT_OR_STRING:
    return json_is_object(value) || json_is_string(value);
  default:
    return true;
  }
}

pail_status config_validate(const storage_settings *storage,
                            const pail_backend_field *fields,
                            pail_error **err) {
  char label[96];
  if (storage->name)
    snprintf(label, sizeof label, "storage \"%s\"", storage->name);
  else
    snprintf(label, sizeof label, "primary storage");
  const char *name;
  json_t *value;
  json_object_foreach(storage->fields, name, value) {
    const pail_backend_field *f = fields;
    while (f != NULL && f->name != NULL && strcmp(f->name, name) != 0)
      f++;
    if (f == NULL || f->name == NULL) {
      /* Name the known fields: a typo is the usual cause. */
      size_t length = 0;
      for (const pail_backend_field *k = fields; k && k->name; k++)
        length += strlen(k->name) + 2;
      char *known = calloc(1, length + 1);
      for (const pail_backend_field *k = fields; known && k && k->name; k++) {
        if (k != fields)
          strcat(known, ", ");
        strcat(known, k->name);
      }
      pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                     "%s (type %s): unknown field \"%.64s\" (known: %s)", label,
                     storage->type, name, known && *known ? known : "none");
      free(known);
      return PAIL_ERR_INVALID_ARGUMENT;
    }
    if (!field_type_matches(f->type, value))
      return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "%s (type %s): field \"%s\" must be %s", label,
                            storage->type, name, field_type_name(f->type));
  }
  for (const pail_backend_field *f = fields; f && f->name; f++) {
    json_t *v = json_object_get(storage->fields, f->name);
    if (f->required && (v == NULL || json_is_null(v) ||
                        (json_is_string(v) && json_string_length(v) == 0)))
      return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "%s (type %s): missing required field \"%s\"%s%s",
                            label, storage->type, f->name,
                            f->description ? ": " : "",
                            f->description ? f->description : "");
  }
  return PAIL_OK;
}
