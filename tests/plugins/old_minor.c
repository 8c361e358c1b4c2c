/* A plugin as the ABI 1.0 header built it: an ops table of the 1.0 members
 * only (struct_size and abi_version say 1.0, and the object handed over is
 * no larger), its own entry that checks only the major, no exported ABI
 * constant (1.0 had none), and the 1.0 services alone. The core must load
 * it and use it, reading nothing past its table. It serves one object,
 * "hello", of 5 bytes. */
#include <pail/backend.h>

#include <stdlib.h>
#include <string.h>

static const pail_core_services *core;

/* The ABI 1.0 pail_backend_ops, member for member: the layout a plugin
 * built then has (tests/test_abi.c pins these offsets in the current
 * header). */
typedef struct ops_1_0 {
  uint32_t abi_version;
  uint32_t struct_size;
  const char *name;
  const char *version;
  uint64_t capabilities;
  const pail_backend_field *fields;
  pail_status (*open)(const pail_config *, void **, pail_error **);
  void (*close)(void *);
  pail_status (*list)(void *, const pail_backend_list_request *,
                      pail_list_page *, pail_error **);
  pail_status (*stat)(void *, const char *, pail_object_info *, pail_error **);
  pail_status (*read_open)(void *, const char *, const pail_read_options *,
                           void **, pail_object_info *, pail_error **);
  pail_status (*read_stream)(void *, void *, size_t, size_t *, pail_error **);
  void (*read_close)(void *);
  void *write_open, *write_stream, *write_commit, *write_abort;
  void *delete_object, *copy, *sign, *create_container;
} ops_1_0;

static const char content[] = "hello";

static pail_status old_open(const pail_config *cfg, void **instance,
                            pail_error **err) {
  (void)cfg;
  (void)err;
  *instance = NULL;
  return PAIL_OK;
}

static void old_close(void *instance) {
  (void)instance;
}

static pail_status old_stat(void *instance, const char *key,
                            pail_object_info *out, pail_error **err) {
  (void)instance;
  if (strcmp(key, "hello") != 0)
    return core->error_set(err, PAIL_ERR_NOT_FOUND, 404, NULL, NULL,
                           "oldminor: %s: no such object", key);
  out->size = sizeof content - 1;
  out->last_modified = INT64_MIN;
  return PAIL_OK;
}

typedef struct old_stream {
  size_t at, end;
} old_stream;

static pail_status old_read_open(void *instance, const char *key,
                                 const pail_read_options *options,
                                 void **stream, pail_object_info *info,
                                 pail_error **err) {
  pail_status status = old_stat(instance, key, info, err);
  if (status != PAIL_OK)
    return status;
  old_stream *s = calloc(1, sizeof *s);
  if (s == NULL)
    return core->error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                           "out of memory");
  s->at = options->offset < info->size ? (size_t)options->offset : info->size;
  s->end = options->length < info->size - s->at
               ? s->at + (size_t)options->length
               : info->size;
  *stream = s;
  return PAIL_OK;
}

static pail_status old_read_stream(void *stream, void *buffer, size_t capacity,
                                   size_t *got, pail_error **err) {
  (void)err;
  old_stream *s = stream;
  size_t n = s->end - s->at < capacity ? s->end - s->at : capacity;
  memcpy(buffer, content + s->at, n);
  s->at += n;
  *got = n;
  return PAIL_OK;
}

static void old_read_close(void *stream) {
  free(stream);
}

static const ops_1_0 ops = {
    .abi_version = PAIL_ABI_VERSION_MAKE(1, 0),
    .struct_size = sizeof(ops_1_0),
    .name = "oldminor",
    .version = "1.0",
    .capabilities = PAIL_CAP_RANGED_READ,
    .open = old_open,
    .close = old_close,
    .stat = old_stat,
    .read_open = old_read_open,
    .read_stream = old_read_stream,
    .read_close = old_read_close,
};

PAIL_BACKEND_EXPORT pail_status
pail_backend_entry(uint32_t core_abi_version, const pail_core_services *core_in,
                   const pail_backend_ops **ops_out, pail_error **err);
pail_status pail_backend_entry(uint32_t core_abi_version,
                               const pail_core_services *core_in,
                               const pail_backend_ops **ops_out,
                               pail_error **err) {
  (void)err;
  *ops_out = NULL;
  if (PAIL_ABI_MAJOR_OF(core_abi_version) != 1)
    return PAIL_ERR_UNSUPPORTED;
  core = core_in;
  /* The core reads struct_size bytes of it and no more. */
  *ops_out = (const pail_backend_ops *)(const void *)&ops;
  return PAIL_OK;
}
