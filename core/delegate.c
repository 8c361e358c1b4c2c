/*
 * delegate.c: a backend opened on behalf of another backend's storage
 * (core_services.delegate_open, ABI 1.5). GCS with HMAC keys only reaches
 * its bucket through the XML API, which is the S3 protocol: the gcs plugin
 * hands those storages to the s3 plugin rather than speak S3 a second time.
 *
 * The delegate gets a storage of its own, built here: the parent's name
 * (messages and logs name the storage the user configured), the fields the
 * parent translated, and the parent's core settings (retries, caBundle,
 * tlsVerify), since those are the user's choices for that storage.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct delegate {
  pail_delegate public; /* first: the plugin holds a pointer to it */
  storage_settings storage;
  pail_config config;
} delegate;

static void delegate_free(delegate *d) {
  free(d->storage.name);
  free(d->storage.type);
  free(d->storage.ca_bundle);
  json_decref(d->storage.fields);
  free(d);
}

pail_status delegate_open(const pail_config *cfg, const char *type,
                          const char *fields_json, pail_delegate **out,
                          pail_error **err) {
  if (out != NULL)
    *out = NULL;
  if (cfg == NULL || type == NULL || fields_json == NULL || out == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "delegate_open: a NULL argument");
  const storage_settings *parent = cfg->storage;
  delegate *d = calloc(1, sizeof *d);
  if (d == NULL)
    return error_no_memory(err);
  json_error_t parse_error;
  d->storage.fields =
      json_loads(fields_json, JSON_REJECT_DUPLICATES, &parse_error);
  d->storage.type = strdup(type);
  d->storage.name = parent->name ? strdup(parent->name) : NULL;
  d->storage.ca_bundle = parent->ca_bundle ? strdup(parent->ca_bundle) : NULL;
  if (d->storage.type == NULL || (parent->name && d->storage.name == NULL) ||
      (parent->ca_bundle && d->storage.ca_bundle == NULL)) {
    delegate_free(d);
    return error_no_memory(err);
  }
  if (!json_is_object(d->storage.fields)) {
    /* The plugin built the document: a bug there, not the user's input. */
    delegate_free(d);
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "delegate_open: the fields for backend \"%s\" are "
                          "not a JSON object",
                          type);
  }
  d->storage.max_attempts = parent->max_attempts;
  d->storage.retry_time_limit_ms = parent->retry_time_limit_ms;
  d->storage.tls_verify_off = parent->tls_verify_off;
  d->storage.stream_buffer_size = parent->stream_buffer_size;

  const backend *b = NULL;
  pail_status status = backend_get(type, &b, err);
  if (status == PAIL_OK) {
    d->config = *cfg;
    d->config.storage = &d->storage;
    d->config.fields = b->ops.fields;
    d->config.backend_abi = b->ops.abi_version;
    status = config_validate(&d->storage, b->ops.fields, err);
  }
  if (status == PAIL_OK)
    status = error_redact(err, &d->config,
                          b->ops.open(&d->config, &d->public.instance, err));
  if (status != PAIL_OK) {
    delegate_free(d);
    return status;
  }
  d->public.ops = &b->ops;
  *out = &d->public;
  return PAIL_OK;
}

void delegate_close(pail_delegate *delegate_handle) {
  if (delegate_handle == NULL)
    return;
  delegate *d = (delegate *)delegate_handle;
  if (d->public.ops != NULL)
    d->public.ops->close(d->public.instance);
  delegate_free(d);
}
