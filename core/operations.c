/*
 * operations.c: the public operations. Each resolves its pointer (storage,
 * key rules, access rules) in workspace_resolve before the backend is called,
 * fills in what the backend may leave out, and checks what it returns.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIST_DEFAULT_MAX_KEYS 1000

static pail_status unsupported(const storage_handle *h, const char *operation,
                               pail_error **err) {
  return pail_error_set(err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
                        "the %s backend does not support %s", h->backend->type,
                        operation);
}

static void info_init(pail_object_info *info) {
  memset(info, 0, sizeof *info);
  info->last_modified = INT64_MIN;
}

pail_status pail_stat(pail_workspace *ws, const pail_pointer *ptr,
                      pail_object_info *out, pail_error **err) {
  ARGUMENT_REQUIRED(err, out, "place for the object info");
  info_init(out);
  ARGUMENT_REQUIRED(err, ws, "workspace");
  ARGUMENT_REQUIRED(err, ptr, "pointer");
  storage_handle h;
  pail_status status =
      workspace_resolve(ws, ptr, PAIL_ACCESS_READ, false, &h, err);
  if (status != PAIL_OK)
    return status;
  if (h.backend->ops.stat == NULL)
    return unsupported(&h, "stat", err);
  status = error_redact(err, h.config,
                        h.backend->ops.stat(h.instance, ptr->key, out, err));
  if (status == PAIL_OK && out->key == NULL &&
      (out->key = strdup(ptr->key)) == NULL)
    status = error_no_memory(err);
  if (status != PAIL_OK)
    pail_object_info_clear(out);
  return status;
}

pail_status pail_list(pail_workspace *ws, const pail_pointer *prefix,
                      const pail_list_options *options, pail_list_page *out,
                      pail_error **err) {
  ARGUMENT_REQUIRED(err, out, "place for the page");
  memset(out, 0, sizeof *out);
  ARGUMENT_REQUIRED(err, ws, "workspace");
  ARGUMENT_REQUIRED(err, prefix, "prefix pointer");
  pail_list_options opts = PAIL_LIST_OPTIONS_INIT;
  OPTIONS_ADOPT(opts, options);
  storage_handle h;
  pail_status status =
      workspace_resolve(ws, prefix, PAIL_ACCESS_LIST, true, &h, err);
  if (status != PAIL_OK)
    return status;
  if (h.backend->ops.list == NULL)
    return unsupported(&h, "listing", err);
  pail_backend_list_request request = {
      .prefix = prefix->key,
      .delimiter = opts.recursive ? NULL : "/",
      .page_token =
          opts.page_token && *opts.page_token ? opts.page_token : NULL,
      .max_keys = opts.max_keys ? opts.max_keys : LIST_DEFAULT_MAX_KEYS,
  };
  status = error_redact(err, h.config,
                        h.backend->ops.list(h.instance, &request, out, err));
  if (status != PAIL_OK) {
    pail_list_page_clear(out);
    return status;
  }
  /* A token that does not move the listing forward would loop a caller
   * forever; treat it as the end and say so. An empty page is judged before
   * the access rules filter it: a page of keys the user may not list still
   * moves the listing forward. */
  bool empty = out->count == 0;
  size_t dropped = workspace_list_filter(ws, prefix->key, out);
  if (dropped > 0)
    workspace_log(ws, PAIL_LOG_DEBUG,
                  "listing \"%s\": %zu entries hidden (outside the prefix, "
                  "not nameable by a pointer, or denied by the access rules)",
                  prefix->key, dropped);
  if (out->next_page_token != NULL &&
      (empty || (request.page_token &&
                 strcmp(out->next_page_token, request.page_token) == 0))) {
    workspace_log(ws, PAIL_LOG_WARNING,
                  "the %s backend returned a page token that does not advance "
                  "the listing; stopping",
                  h.backend->type);
    free(out->next_page_token);
    out->next_page_token = NULL;
  }
  return PAIL_OK;
}

struct pail_reader {
  const backend *backend;
  const pail_config *config;
  void *stream;
  pail_object_info info;
  uint64_t expected; /* bytes this read should yield, UINT64_MAX unknown */
  uint64_t delivered;
  bool failed;
};

/* Reads of this many bytes or more (or to the end of an object) are
 * opened as large (pail_read_options.large). */
#define READ_BULK_FROM ((uint64_t)1 << 20)

pail_status reader_open(pail_workspace *ws, const pail_pointer *ptr,
                        const pail_read_options *options, bool bulk,
                        pail_reader **out, pail_error **err) {
  *out = NULL;
  pail_read_options opts = PAIL_READ_OPTIONS_INIT;
  OPTIONS_ADOPT(opts, options);
  storage_handle h;
  pail_status status =
      workspace_resolve(ws, ptr, PAIL_ACCESS_READ, false, &h, err);
  if (status != PAIL_OK)
    return status;
  if (h.backend->ops.read_open == NULL || h.backend->ops.read_stream == NULL ||
      h.backend->ops.read_close == NULL)
    return unsupported(&h, "reading", err);
  if ((opts.offset != 0 || opts.length != PAIL_READ_TO_END) &&
      !(h.backend->ops.capabilities & PAIL_CAP_RANGED_READ))
    return unsupported(&h, "ranged reads", err);
  if (opts.if_match != NULL &&
      !(h.backend->ops.capabilities & PAIL_CAP_CONDITIONAL_READ))
    return unsupported(&h, "conditional reads (if-match)", err);
  pail_reader *r = calloc(1, sizeof *r);
  if (r == NULL)
    return error_no_memory(err);
  info_init(&r->info);
  r->backend = h.backend;
  r->config = h.config;
  if (bulk && opts.length >= READ_BULK_FROM)
    opts.large = 1;
  status = h.backend->ops.read_open(h.instance, ptr->key, &opts, &r->stream,
                                    &r->info, err);
  status = error_redact(err, h.config, status);
  if (status != PAIL_OK) {
    pail_object_info_clear(&r->info);
    free(r);
    return status;
  }
  if (r->info.key == NULL && (r->info.key = strdup(ptr->key)) == NULL) {
    pail_reader_close(r);
    return error_no_memory(err);
  }
  if (opts.offset > r->info.size) {
    uint64_t size = r->info.size;
    pail_reader_close(r);
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 416, NULL, NULL,
                          "range starts at byte %llu but \"%s\" has %llu "
                          "bytes",
                          (unsigned long long)opts.offset, ptr->key,
                          (unsigned long long)size);
  }
  uint64_t available = r->info.size - opts.offset;
  r->expected = opts.length < available ? opts.length : available;
  *out = r;
  return PAIL_OK;
}

/* Streams are read in bulk: a caller streams what is too large to take in
 * one piece. */
pail_status pail_reader_open(pail_workspace *ws, const pail_pointer *ptr,
                             const pail_read_options *options,
                             pail_reader **out, pail_error **err) {
  ARGUMENT_REQUIRED(err, out, "place for the reader");
  *out = NULL;
  ARGUMENT_REQUIRED(err, ws, "workspace");
  ARGUMENT_REQUIRED(err, ptr, "pointer");
  return reader_open(ws, ptr, options, true, out, err);
}

pail_status pail_reader_read(pail_reader *r, void *buffer, size_t capacity,
                             size_t *got, pail_error **err) {
  ARGUMENT_REQUIRED(err, got, "place for the byte count");
  *got = 0;
  ARGUMENT_REQUIRED(err, r, "reader");
  if (capacity > 0)
    ARGUMENT_REQUIRED(err, buffer, "buffer");
  if (r->failed)
    return pail_error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                          "read of \"%s\" already failed", r->info.key);
  uint64_t left = r->expected - r->delivered;
  if (left == 0 || capacity == 0)
    return PAIL_OK;
  if (capacity > left)
    capacity = (size_t)left;
  pail_status status = error_redact(
      err, r->config,
      r->backend->ops.read_stream(r->stream, buffer, capacity, got, err));
  if (status == PAIL_OK && *got > capacity) {
    status = pail_error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                            "the %s backend overfilled a read buffer",
                            r->backend->type);
  } else if (status == PAIL_OK && *got == 0) {
    /* The data ended before the size the backend announced: a truncated
     * transfer must never pass for a complete one. */
    status = pail_error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                            "read of \"%s\" ended after %llu of %llu bytes",
                            r->info.key, (unsigned long long)r->delivered,
                            (unsigned long long)r->expected);
  }
  if (status != PAIL_OK) {
    r->failed = true;
    *got = 0;
    return status;
  }
  r->delivered += *got;
  return PAIL_OK;
}

const pail_object_info *pail_reader_info(const pail_reader *r) {
  return r ? &r->info : NULL;
}

pail_status pail_reader_file(pail_reader *r, int *fd, uint64_t *offset,
                             uint64_t *length, pail_error **err) {
  ARGUMENT_REQUIRED(err, fd, "place for the file descriptor");
  *fd = -1;
  ARGUMENT_REQUIRED(err, r, "reader");
  ARGUMENT_REQUIRED(err, offset, "place for the offset");
  ARGUMENT_REQUIRED(err, length, "place for the length");
  if (r->failed)
    return pail_error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                          "read of \"%s\" already failed", r->info.key);
  if (r->backend->ops.read_file == NULL)
    return pail_error_set(err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
                          "the %s backend does not hand reads as files",
                          r->backend->type);
  pail_status status = error_redact(
      err, r->config,
      r->backend->ops.read_file(r->stream, fd, offset, length, err));
  if (status == PAIL_OK && *length != r->expected - r->delivered) {
    /* The backend's range must be exactly what the reader has left. */
    close(*fd);
    *fd = -1;
    r->failed = true;
    return pail_error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                          "the %s backend handed %llu bytes of a file for a "
                          "read with %llu left",
                          r->backend->type, (unsigned long long)*length,
                          (unsigned long long)(r->expected - r->delivered));
  }
  if (status != PAIL_OK) {
    *fd = -1;
    return status;
  }
  r->delivered = r->expected;
  return PAIL_OK;
}

void pail_reader_close(pail_reader *r) {
  if (r == NULL)
    return;
  if (r->stream)
    r->backend->ops.read_close(r->stream);
  pail_object_info_clear(&r->info);
  free(r);
}

/* The content type, disposition and metadata travel as HTTP header values
 * to every cloud store: a line break would end the header and start one of
 * the caller's making, and other control characters are not allowed there.
 * Refused for every storage, so that what one stores can be copied to any
 * other. A tab is allowed (HTTP's whitespace). */
static pail_status header_text_check(const char *what, const char *name,
                                     const char *value, pail_error **err) {
  for (const char *p = value; *p; p++)
    if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
      return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "%s%s%.64s%s contains control character U+%04X at "
                            "byte offset %zu",
                            what, name ? " \"" : "", name ? name : "",
                            name ? "\"" : "", (unsigned)(unsigned char)*p,
                            (size_t)(p - value));
  return PAIL_OK;
}

pail_status write_options_check(const storage_handle *h,
                                const pail_write_options *opts,
                                pail_error **err) {
  uint64_t capabilities = h->backend->ops.capabilities;
  if (opts->metadata_count > 0 && opts->metadata == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "write options give %zu metadata entries but no "
                          "metadata array (NULL)",
                          opts->metadata_count);
  pail_status status = PAIL_OK;
  if (opts->content_type != NULL)
    status =
        header_text_check("the content type", NULL, opts->content_type, err);
  if (status == PAIL_OK && opts->content_disposition != NULL)
    status = header_text_check("the content disposition", NULL,
                               opts->content_disposition, err);
  for (size_t i = 0; status == PAIL_OK && i < opts->metadata_count; i++) {
    const pail_metadata_entry *m = &opts->metadata[i];
    if (m->name == NULL || m->value == NULL)
      return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "metadata entry %zu has no %s (NULL)", i,
                            m->name == NULL ? "name" : "value");
    status = header_text_check("the metadata name", NULL, m->name, err);
    if (status == PAIL_OK)
      status =
          header_text_check("the value of metadata", m->name, m->value, err);
  }
  if (status != PAIL_OK)
    return status;
  if (opts->if_none_match && !(capabilities & PAIL_CAP_CONDITIONAL_WRITE))
    return unsupported(h, "create-only writes (if-none-match)", err);
  if (opts->metadata_count > 0 && !(capabilities & PAIL_CAP_METADATA))
    return unsupported(h, "user metadata", err);
  return PAIL_OK;
}

struct pail_writer {
  const backend *backend;
  const pail_config *config;
  void *stream;
  char *key;
  /* The caller's options, copied: the backend may keep pointing at them
   * until write_commit or write_abort returns (ABI 1.13). */
  pail_write_options options;
  bool failed;
};

static void writer_free(pail_writer *w) {
  pail_write_options *o = &w->options;
  free((char *)o->content_type);
  free((char *)o->content_disposition);
  pail_metadata_entry *m = (pail_metadata_entry *)o->metadata;
  for (size_t i = 0; i < o->metadata_count; i++) {
    free(m[i].name);
    free(m[i].value);
  }
  free(m);
  free(w->key);
  free(w);
}

/* Copies from's strings into w->options; false when out of memory. */
static bool writer_keep_options(pail_writer *w,
                                const pail_write_options *from) {
  pail_write_options *o = &w->options;
  *o = *from;
  o->content_type = NULL;
  o->content_disposition = NULL;
  o->metadata = NULL;
  o->metadata_count = 0;
  if (from->content_type != NULL &&
      (o->content_type = strdup(from->content_type)) == NULL)
    return false;
  if (from->content_disposition != NULL &&
      (o->content_disposition = strdup(from->content_disposition)) == NULL)
    return false;
  if (from->metadata_count == 0)
    return true;
  pail_metadata_entry *m = calloc(from->metadata_count, sizeof *m);
  if (m == NULL)
    return false;
  o->metadata = m;
  for (size_t i = 0; i < from->metadata_count; i++) {
    o->metadata_count++;
    m[i].name = strdup(from->metadata[i].name);
    m[i].value = strdup(from->metadata[i].value);
    if (m[i].name == NULL || m[i].value == NULL)
      return false;
  }
  return true;
}

pail_status pail_writer_open(pail_workspace *ws, const pail_pointer *ptr,
                             const pail_write_options *options,
                             pail_writer **out, pail_error **err) {
  ARGUMENT_REQUIRED(err, out, "place for the writer");
  *out = NULL;
  ARGUMENT_REQUIRED(err, ws, "workspace");
  ARGUMENT_REQUIRED(err, ptr, "pointer");
  pail_write_options opts = PAIL_WRITE_OPTIONS_INIT;
  OPTIONS_ADOPT(opts, options);
  storage_handle h;
  pail_status status =
      workspace_resolve(ws, ptr, PAIL_ACCESS_WRITE, false, &h, err);
  if (status != PAIL_OK)
    return status;
  const pail_backend_ops *ops = &h.backend->ops;
  if (!ops->write_open || !ops->write_stream || !ops->write_commit ||
      !ops->write_abort)
    return unsupported(&h, "writing", err);
  status = write_options_check(&h, &opts, err);
  if (status != PAIL_OK)
    return status;
  pail_writer *w = calloc(1, sizeof *w);
  if (w == NULL)
    return error_no_memory(err);
  if ((w->key = strdup(ptr->key)) == NULL || !writer_keep_options(w, &opts)) {
    writer_free(w);
    return error_no_memory(err);
  }
  w->backend = h.backend;
  w->config = h.config;
  status = error_redact(
      err, h.config,
      ops->write_open(h.instance, ptr->key, &w->options, &w->stream, err));
  if (status != PAIL_OK) {
    writer_free(w);
    return status;
  }
  *out = w;
  return PAIL_OK;
}

pail_status pail_writer_write(pail_writer *w, const void *buffer, size_t length,
                              pail_error **err) {
  ARGUMENT_REQUIRED(err, w, "writer");
  if (length > 0)
    ARGUMENT_REQUIRED(err, buffer, "buffer");
  if (w->failed)
    return pail_error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                          "write of \"%s\" already failed", w->key);
  if (length == 0)
    return PAIL_OK;
  pail_status status = error_redact(
      err, w->config,
      w->backend->ops.write_stream(w->stream, buffer, length, err));
  if (status != PAIL_OK)
    w->failed = true;
  return status;
}

bool writer_takes_files(const pail_writer *w) {
  return w != NULL && w->backend->ops.write_stream_file != NULL;
}

pail_status writer_write_file(pail_writer *w, int fd, uint64_t offset,
                              uint64_t length, pail_error **err) {
  if (w->failed)
    return pail_error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                          "write of \"%s\" already failed", w->key);
  if (length == 0)
    return PAIL_OK;
  pail_status status = error_redact(
      err, w->config,
      w->backend->ops.write_stream_file(w->stream, fd, offset, length, err));
  if (status != PAIL_OK)
    w->failed = true;
  return status;
}

pail_status pail_writer_close(pail_writer *w, pail_object_info *info,
                              pail_error **err) {
  pail_status status;
  if (info)
    info_init(info);
  ARGUMENT_REQUIRED(err, w, "writer");
  if (w->failed) {
    w->backend->ops.write_abort(w->stream);
    status = pail_error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                            "write of \"%s\" failed earlier and was aborted; "
                            "nothing was stored",
                            w->key);
  } else {
    if (w->options.committing != NULL)
      w->options.committing(w->options.progress_user_data);
    status = error_redact(err, w->config,
                          w->backend->ops.write_commit(w->stream, info, err));
    if (status == PAIL_OK && info && info->key == NULL &&
        (info->key = strdup(w->key)) == NULL)
      status = error_no_memory(err); /* the object is stored all the same */
    if (status != PAIL_OK && info)
      pail_object_info_clear(info);
  }
  writer_free(w);
  return status;
}

void pail_writer_abort(pail_writer *w) {
  if (w == NULL)
    return;
  w->backend->ops.write_abort(w->stream);
  writer_free(w);
}

pail_status pail_delete(pail_workspace *ws, const pail_pointer *ptr,
                        pail_error **err) {
  ARGUMENT_REQUIRED(err, ws, "workspace");
  ARGUMENT_REQUIRED(err, ptr, "pointer");
  storage_handle h;
  pail_status status =
      workspace_resolve(ws, ptr, PAIL_ACCESS_DELETE, false, &h, err);
  if (status != PAIL_OK)
    return status;
  if (h.backend->ops.delete_object == NULL)
    return unsupported(&h, "deleting", err);
  return error_redact(err, h.config,
                      h.backend->ops.delete_object(h.instance, ptr->key, err));
}

pail_status pail_create_container(pail_workspace *ws, const char *storage,
                                  pail_error **err) {
  ARGUMENT_REQUIRED(err, ws, "workspace");
  storage_handle h;
  pail_status status = workspace_storage(ws, storage, &h, err);
  if (status != PAIL_OK)
    return status;
  if (h.backend->ops.create_container == NULL)
    return unsupported(&h, "creating its bucket or container", err);
  return error_redact(err, h.config,
                      h.backend->ops.create_container(h.instance, err));
}

static unsigned access_for_method(const char *method) {
  if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
    return PAIL_ACCESS_READ;
  if (strcmp(method, "PUT") == 0)
    return PAIL_ACCESS_WRITE;
  if (strcmp(method, "DELETE") == 0)
    return PAIL_ACCESS_DELETE;
  return 0;
}

pail_status pail_sign(pail_workspace *ws, const pail_pointer *ptr,
                      const pail_sign_options *options, pail_signature *out,
                      pail_error **err) {
  ARGUMENT_REQUIRED(err, out, "place for the signature");
  memset(out, 0, sizeof *out);
  ARGUMENT_REQUIRED(err, ws, "workspace");
  ARGUMENT_REQUIRED(err, ptr, "pointer");
  pail_sign_options opts = PAIL_SIGN_OPTIONS_INIT;
  OPTIONS_ADOPT(opts, options);
  if (opts.header_count > 0)
    ARGUMENT_REQUIRED(err, opts.headers, "headers (header_count is not 0)");
  if (opts.query_count > 0)
    ARGUMENT_REQUIRED(err, opts.query, "query (query_count is not 0)");
  if (opts.method == NULL)
    opts.method = "GET";
  unsigned access = access_for_method(opts.method);
  if (access == 0)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "cannot sign method \"%.16s\": use GET, PUT, HEAD "
                          "or DELETE",
                          opts.method);
  if (opts.expires == 0)
    opts.expires = 3600;
  if (opts.expires < 1 || opts.expires > PAIL_SIGN_MAX_EXPIRES)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "expiry of %lld seconds is out of range: 1 to %d "
                          "(7 days)",
                          (long long)opts.expires, PAIL_SIGN_MAX_EXPIRES);
  if (opts.at == 0)
    opts.at = clock_now(NULL);
  /* Signing hands out the access, so the signer must have it; a grant in
   * the pointer does not let anyone sign further grants. Extra fields
   * travel on to the grant's pointer. */
  pail_pointer bare = {
      .storage = ptr->storage, .key = ptr->key, .extra = ptr->extra};
  storage_handle h;
  pail_status status = workspace_resolve(ws, &bare, access, false, &h, err);
  if (status != PAIL_OK)
    return status;
  out->expires_at = opts.at + opts.expires;
  if (h.backend->ops.sign != NULL) {
    status = error_redact(
        err, h.config,
        h.backend->ops.sign(h.instance, ptr->key, &opts, &out->url, err));
    if (status != PAIL_OK)
      pail_signature_clear(out);
    return status;
  }
  /* No presigned URLs from this backend: answer with a workspace grant, which
   * only ever allows reading. */
  if (access != PAIL_ACCESS_READ)
    return pail_error_set(err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
                          "the %s backend cannot presign URLs, and a workspace "
                          "grant only allows reading (GET or HEAD), not %s",
                          h.backend->type, opts.method);
  if (opts.header_count > 0 || opts.query_count > 0)
    return pail_error_set(err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
                          "the %s backend cannot presign URLs: signed headers "
                          "and query parameters need a backend that does",
                          h.backend->type);
  char *presigned = NULL;
  status = pail_grant_create(ws, &bare, out->expires_at, &presigned, err);
  if (status != PAIL_OK)
    return status;
  out->grant = pail_pointer_dup(&bare);
  if (out->grant == NULL) {
    free(presigned);
    return error_no_memory(err);
  }
  out->grant->presigned = presigned;
  return PAIL_OK;
}

/* Deletes the keys at indexes[0..n) of one storage, in one batch call when
 * the backend offers one. */
static void delete_batch(const storage_handle *h,
                         const pail_pointer *const *pointers,
                         const size_t *indexes, size_t n, pail_status *results,
                         pail_error **errors) {
  const char **keys = calloc(n, sizeof *keys);
  pail_status *batch_results = calloc(n, sizeof *batch_results);
  pail_error **batch_errors = calloc(n, sizeof *batch_errors);
  pail_error *failure = NULL;
  pail_status status = PAIL_OK;
  if (keys == NULL || batch_results == NULL || batch_errors == NULL) {
    status = error_no_memory(&failure);
  } else if (h->backend->ops.delete_objects != NULL) {
    for (size_t i = 0; i < n; i++)
      keys[i] = pointers[indexes[i]]->key;
    status = error_redact(
        &failure, h->config,
        h->backend->ops.delete_objects(h->instance, keys, n, batch_results,
                                       batch_errors, &failure));
  } else {
    for (size_t i = 0; i < n; i++)
      batch_results[i] = error_redact(
          &batch_errors[i], h->config,
          h->backend->ops.delete_object(h->instance, pointers[indexes[i]]->key,
                                        &batch_errors[i]));
  }
  for (size_t i = 0; i < n; i++) {
    size_t at = indexes[i];
    if (status != PAIL_OK) {
      results[at] = status;
      errors[at] = failure ? error_copy(failure) : NULL;
      pail_error_free(batch_errors ? batch_errors[i] : NULL);
    } else {
      results[at] = batch_results[i];
      if (batch_errors[i] != NULL)
        error_redact(&batch_errors[i], h->config, batch_results[i]);
      errors[at] = batch_errors[i];
    }
  }
  pail_error_free(failure);
  free(keys);
  free(batch_results);
  free(batch_errors);
}

pail_status pail_delete_many(pail_workspace *ws,
                             const pail_pointer *const *pointers, size_t count,
                             pail_status *results, pail_error **errors,
                             pail_error **err) {
  ARGUMENT_REQUIRED(err, ws, "workspace");
  if (count == 0)
    return PAIL_OK;
  ARGUMENT_REQUIRED(err, pointers, "pointers");
  ARGUMENT_REQUIRED(err, results, "results");
  storage_handle *handles = calloc(count, sizeof *handles);
  size_t *indexes = calloc(count, sizeof *indexes);
  bool *pending = calloc(count, sizeof *pending);
  pail_error **all_errors = calloc(count, sizeof *all_errors);
  if (handles == NULL || indexes == NULL || pending == NULL ||
      all_errors == NULL) {
    free(handles);
    free(indexes);
    free(pending);
    free(all_errors);
    return error_no_memory(err);
  }
  /* Every pointer is resolved and checked first: denied ones are never
   * sent. */
  for (size_t i = 0; i < count; i++) {
    if (pointers[i] == NULL) {
      results[i] = error_null_argument(&all_errors[i], __func__, "pointer");
      continue;
    }
    results[i] = workspace_resolve(ws, pointers[i], PAIL_ACCESS_DELETE, false,
                                   &handles[i], &all_errors[i]);
    if (results[i] == PAIL_OK &&
        handles[i].backend->ops.delete_object == NULL &&
        handles[i].backend->ops.delete_objects == NULL)
      results[i] = unsupported(&handles[i], "deleting", &all_errors[i]);
    pending[i] = results[i] == PAIL_OK;
  }
  /* One batch per storage, in order of first appearance. */
  for (size_t i = 0; i < count; i++) {
    if (!pending[i])
      continue;
    size_t n = 0;
    for (size_t j = i; j < count; j++)
      if (pending[j] && handles[j].instance == handles[i].instance &&
          handles[j].backend == handles[i].backend) {
        indexes[n++] = j;
        pending[j] = false;
      }
    delete_batch(&handles[i], pointers, indexes, n, results, all_errors);
  }
  pail_status status = PAIL_OK;
  for (size_t i = 0; i < count; i++) {
    if (results[i] != PAIL_OK && status == PAIL_OK) {
      status = results[i];
      if (err != NULL && *err == NULL)
        *err = all_errors[i] ? error_copy(all_errors[i]) : NULL;
    }
    if (errors != NULL)
      errors[i] = all_errors[i];
    else
      pail_error_free(all_errors[i]);
  }
  free(handles);
  free(indexes);
  free(pending);
  free(all_errors);
  return status;
}
