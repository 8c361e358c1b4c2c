/*
 * cleanup.c: pail_cleanup, the removal of what interrupted writes left
 * behind (issue 15). Each backend lists and removes its own leftovers in its
 * own protocol (leftovers_list, leftover_remove, ABI 1.14); what is the same
 * for all of them is here, once: the access rules, the age limit that
 * protects writes still running elsewhere, the dry run and the report.
 */
#include "internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* A staged upload's manifest is small JSON; anything larger is not one. */
#define MANIFEST_MAX (64u * 1024)

static void leftover_clear(pail_leftover *leftover) {
  free(leftover->key);
  free(leftover->id);
  pail_error_free(leftover->error);
  memset(leftover, 0, sizeof *leftover);
}

void pail_cleanup_report_clear(pail_cleanup_report *report) {
  if (report == NULL)
    return;
  for (size_t i = 0; i < report->count; i++)
    leftover_clear(&report->leftovers[i]);
  free(report->leftovers);
  free(report->note);
  memset(report, 0, sizeof *report);
}

/* The key the access rules judge a leftover by: the object its write was
 * for, else its id (a temporary file's path, under the same folders). */
static const char *rule_key(const pail_leftover *leftover) {
  return leftover->key != NULL ? leftover->key : leftover->id;
}

static bool may(pail_workspace *ws, const char *storage,
                const pail_leftover *leftover, pail_access access,
                pail_error **err) {
  pail_pointer pointer = {.storage = (char *)storage,
                          .key = (char *)rule_key(leftover)};
  return pail_access_check(ws, &pointer, access, err) == PAIL_OK;
}

/* Drops the leftovers that have no id (a backend's mistake) or that the
 * rules do not let the user list; returns how many the rules hid. */
static size_t report_filter(pail_workspace *ws, const char *storage,
                            pail_cleanup_report *report) {
  size_t kept = 0, hidden = 0;
  for (size_t i = 0; i < report->count; i++) {
    pail_leftover *leftover = &report->leftovers[i];
    bool listed = leftover->id != NULL &&
                  may(ws, storage, leftover, PAIL_ACCESS_LIST, NULL);
    if (!listed) {
      hidden += leftover->id != NULL;
      leftover_clear(leftover);
      continue;
    }
    if (kept != i) {
      report->leftovers[kept] = *leftover;
      memset(leftover, 0, sizeof *leftover);
    }
    kept++;
  }
  report->count = kept;
  return hidden;
}

/* ----------------------------------------------------- staged uploads */

/* The S3 gateway stages multipart uploads as objects under
 * RESERVED_UPLOADS_PREFIX "<id>/" (an "upload" manifest and its parts),
 * the same on every backend: so they are listed and removed here, through
 * the backend's plain object calls, rather than by each backend. */

/* The manifest of a staged upload (id: its folder): the target key, when
 * it was created and the provider's upload id when the upload is native
 * (ABI 1.18 upload operations; native may be NULL when not wanted). Leaves
 * them unset when it cannot be read. */
static void manifest_read(const storage_handle *h, const char *id, char **key,
                          int64_t *created, char **native) {
  const pail_backend_ops *ops = &h->backend->ops;
  char *name = str_printf("%supload", id);
  pail_read_options options = PAIL_READ_OPTIONS_INIT;
  pail_object_info info = {0};
  void *stream = NULL;
  pail_error *err = NULL;
  if (name == NULL || ops->read_open == NULL ||
      ops->read_open(h->instance, name, &options, &stream, &info, &err) !=
          PAIL_OK) {
    pail_error_free(err);
    pail_object_info_clear(&info);
    free(name);
    return;
  }
  free(name);
  pail_object_info_clear(&info);
  char *text = malloc(MANIFEST_MAX);
  size_t length = 0, got = 0;
  bool ok = text != NULL;
  while (ok && length < MANIFEST_MAX) {
    ok = ops->read_stream(stream, text + length, MANIFEST_MAX - length, &got,
                          &err) == PAIL_OK;
    if (!ok || got == 0)
      break;
    length += got;
  }
  ops->read_close(stream);
  pail_error_free(err);
  json_t *root = ok ? json_loadb(text, length, 0, NULL) : NULL;
  free(text);
  const char *target = json_string_value(json_object_get(root, "key"));
  const char *upload = json_string_value(json_object_get(root, "native"));
  json_t *when = json_object_get(root, "created");
  if (target != NULL)
    *key = strdup(target);
  if (upload != NULL && native != NULL)
    *native = strdup(upload);
  if (json_is_integer(when))
    *created = (int64_t)json_integer_value(when);
  json_decref(root);
}

/* Drops from report the backend's own leftover of the provider's upload
 * native of key: a native gateway upload is reported once, as the gateway
 * upload, whose removal abandons the provider's upload too. */
static void report_drop_native(pail_cleanup_report *report, const char *key,
                               const char *native) {
  for (size_t i = 0; i < report->count; i++) {
    pail_leftover *l = &report->leftovers[i];
    if (l->kind == PAIL_LEFTOVER_GATEWAY_UPLOAD || l->id == NULL ||
        l->key == NULL || strcmp(l->id, native) != 0 ||
        strcmp(l->key, key) != 0)
      continue;
    leftover_clear(l);
    memmove(l, l + 1, (report->count - i - 1) * sizeof *l);
    report->count--;
    return;
  }
}

/* Adds to report the leftover of one staged upload's entries. */
static pail_status staged_add(const storage_handle *h,
                              const pail_object_info *entries, size_t count,
                              size_t id_length, pail_cleanup_report *report,
                              pail_error **err) {
  char *native = NULL, *key = NULL;
  char *id = strndup(entries[0].key, id_length);
  if (id == NULL)
    return error_no_memory(err);
  int64_t started = INT64_MIN;
  for (size_t i = 0; i < count; i++) {
    int64_t t = entries[i].last_modified;
    if (t != INT64_MIN && (started == INT64_MIN || t < started))
      started = t; /* when the manifest cannot say */
  }
  manifest_read(h, id, &key, &started, &native);
  if (native != NULL && key != NULL)
    report_drop_native(report, key, native);
  pail_leftover *grown =
      realloc(report->leftovers, (report->count + 1) * sizeof *grown);
  if (grown == NULL) {
    free(id);
    free(key);
    free(native);
    return error_no_memory(err);
  }
  report->leftovers = grown;
  pail_leftover *l = &grown[report->count++];
  memset(l, 0, sizeof *l);
  l->kind = PAIL_LEFTOVER_GATEWAY_UPLOAD;
  l->id = id;
  l->key = key;
  l->started = started;
  /* A native upload's parts are the provider's: its objects here are
   * only their records. */
  l->size_known = native == NULL;
  for (size_t i = 0; l->size_known && i < count; i++)
    l->size += entries[i].size;
  free(native);
  return PAIL_OK;
}

/* The length of RESERVED_UPLOADS_PREFIX "<id>/" at the start of key, or 0. */
static size_t staged_id_length(const char *key) {
  if (!key_is_reserved(key))
    return 0;
  const char *slash = strchr(key + RESERVED_UPLOADS_PREFIX_LENGTH, '/');
  return slash ? (size_t)(slash - key) + 1 : 0;
}

/* Every object under prefix, through the backend's listing (the core's
 * would hide them), in pages handed to each. */
static pail_status staged_list(const storage_handle *h, const char *prefix,
                               pail_list_page *all, pail_error **err) {
  memset(all, 0, sizeof *all);
  char *token = NULL;
  pail_status status = PAIL_OK;
  do {
    pail_backend_list_request request = {
        .prefix = prefix, .page_token = token, .max_keys = 1000};
    pail_list_page page = {0};
    status =
        error_redact(err, h->config,
                     h->backend->ops.list(h->instance, &request, &page, err));
    free(token);
    token = NULL;
    if (status != PAIL_OK)
      break;
    pail_object_info *grown =
        realloc(all->entries, (all->count + page.count + 1) * sizeof *grown);
    if (grown == NULL) {
      pail_list_page_clear(&page);
      status = error_no_memory(err);
      break;
    }
    all->entries = grown;
    for (size_t i = 0; i < page.count; i++)
      all->entries[all->count++] = page.entries[i];
    page.count = 0;
    token = page.next_page_token;
    page.next_page_token = NULL;
    pail_list_page_clear(&page);
  } while (token != NULL);
  if (status != PAIL_OK)
    pail_list_page_clear(all);
  return status;
}

/* Appends the staged uploads of the storage to report. */
static pail_status staged_uploads_list(const storage_handle *h,
                                       pail_cleanup_report *report,
                                       pail_error **err) {
  const pail_backend_ops *ops = &h->backend->ops;
  if (ops->list == NULL || ops->delete_object == NULL)
    return PAIL_OK;
  /* Listed without the prefix's '/': every cleanup lists this in every
   * storage, and a '/' in a query is what moto_server cannot sign (it
   * refuses percent-encoded queries when it checks signatures, which the
   * tests run it with). Keys of the same stem that are not staged uploads
   * come along and are skipped below. */
  char stem[RESERVED_UPLOADS_PREFIX_LENGTH];
  memcpy(stem, RESERVED_UPLOADS_PREFIX, RESERVED_UPLOADS_PREFIX_LENGTH - 1);
  stem[RESERVED_UPLOADS_PREFIX_LENGTH - 1] = '\0';
  pail_list_page all;
  pail_status status = staged_list(h, stem, &all, err);
  /* Byte order keeps each upload's objects together. */
  for (size_t i = 0; status == PAIL_OK && i < all.count;) {
    size_t id_length = staged_id_length(all.entries[i].key);
    size_t n = 1;
    while (i + n < all.count && id_length > 0 &&
           strncmp(all.entries[i + n].key, all.entries[i].key, id_length) == 0)
      n++;
    if (id_length > 0)
      status = staged_add(h, &all.entries[i], n, id_length, report, err);
    i += n;
  }
  pail_list_page_clear(&all);
  return status;
}

/* Removes a staged upload: the provider's upload when it is native, its
 * parts (or their records), then its manifest, so that an interrupted
 * removal still leaves a leftover that names its key (and the provider's
 * upload). */
static pail_status staged_upload_remove(const storage_handle *h, const char *id,
                                        pail_error **err) {
  const pail_backend_ops *ops = &h->backend->ops;
  char *key = NULL, *native = NULL;
  int64_t created = INT64_MIN;
  manifest_read(h, id, &key, &created, &native);
  pail_status status = PAIL_OK;
  if (key != NULL && native != NULL && ops->upload_abort != NULL)
    status = error_redact(err, h->config,
                          ops->upload_abort(h->instance, key, native, err));
  free(key);
  free(native);
  if (status != PAIL_OK)
    return status;
  pail_list_page all;
  status = staged_list(h, id, &all, err);
  for (size_t pass = 0; pass < 2 && status == PAIL_OK; pass++)
    for (size_t i = 0; i < all.count && status == PAIL_OK; i++) {
      const char *name = all.entries[i].key + strlen(id);
      if ((strcmp(name, "upload") == 0) != (pass == 1))
        continue;
      status = error_redact(
          err, h->config,
          h->backend->ops.delete_object(h->instance, all.entries[i].key, err));
      if (status == PAIL_ERR_NOT_FOUND) {
        pail_error_free(*err);
        *err = NULL;
        status = PAIL_OK;
      }
    }
  pail_list_page_clear(&all);
  return status;
}

/* Decides and, unless dry, carries out what happens to one leftover. */
static void leftover_judge(pail_workspace *ws, const storage_handle *h,
                           const char *storage, const pail_cleanup_options *o,
                           int64_t now, pail_leftover *leftover) {
  bool recent = o->older_than > 0 &&
                (leftover->in_use || leftover->started == INT64_MIN ||
                 now - leftover->started < o->older_than);
  if (recent) {
    leftover->outcome = PAIL_LEFTOVER_RECENT;
    return;
  }
  if (!may(ws, storage, leftover, PAIL_ACCESS_DELETE, &leftover->error)) {
    leftover->outcome = PAIL_LEFTOVER_FAILED;
    return;
  }
  if (o->dry_run) {
    leftover->outcome = PAIL_LEFTOVER_TO_REMOVE;
    return;
  }
  pail_status status =
      leftover->kind == PAIL_LEFTOVER_GATEWAY_UPLOAD
          ? staged_upload_remove(h, leftover->id, &leftover->error)
          : error_redact(&leftover->error, h->config,
                         h->backend->ops.leftover_remove(h->instance, leftover,
                                                         o->older_than == 0,
                                                         &leftover->error));
  if (status == PAIL_OK) {
    leftover->outcome = PAIL_LEFTOVER_REMOVED;
  } else if (status == PAIL_ERR_CONFLICT && o->older_than > 0) {
    /* Its write came back to life between the listing and now. */
    leftover->outcome = PAIL_LEFTOVER_RECENT;
    pail_error_free(leftover->error);
    leftover->error = NULL;
  } else {
    leftover->outcome = PAIL_LEFTOVER_FAILED;
    if (leftover->error == NULL)
      pail_error_set(&leftover->error, status, 0, NULL, NULL,
                     "the %s backend could not remove %s", h->backend->type,
                     leftover->id);
  }
}

pail_status pail_cleanup(pail_workspace *ws, const char *storage,
                         const pail_cleanup_options *options,
                         pail_cleanup_report *out, pail_error **err) {
  ARGUMENT_REQUIRED(err, out, "place for the report");
  memset(out, 0, sizeof *out);
  ARGUMENT_REQUIRED(err, ws, "workspace");
  pail_cleanup_options opts = PAIL_CLEANUP_OPTIONS_INIT;
  OPTIONS_ADOPT(opts, options);
  if (opts.older_than < 0)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "older_than is %lld seconds; it cannot be negative",
                          (long long)opts.older_than);
  storage_handle h;
  pail_status status = workspace_storage(ws, storage, &h, err);
  if (status != PAIL_OK)
    return status;
  const pail_backend_ops *ops = &h.backend->ops;
  if (ops->leftovers_list == NULL || ops->leftover_remove == NULL) {
    /* The gateway's staged uploads are listed all the same (below). */
    out->note = str_printf("the %s backend cannot list what its own "
                           "interrupted writes leave behind (the S3 "
                           "gateway's staged uploads are listed)",
                           h.backend->type);
    if (out->note == NULL)
      return error_no_memory(err);
  } else {
    status = error_redact(err, h.config,
                          ops->leftovers_list(h.instance, &out->leftovers,
                                              &out->count, &out->note, err));
  }
  if (status == PAIL_OK)
    status = staged_uploads_list(&h, out, err);
  if (status != PAIL_OK) {
    /* Keep the note: it may say why nothing could be listed. */
    char *note = out->note;
    out->note = NULL;
    pail_cleanup_report_clear(out);
    out->note = note;
    return status;
  }
  out->hidden = report_filter(ws, storage, out);
  if (out->hidden > 0)
    workspace_log(ws, PAIL_LOG_DEBUG,
                  "cleanup: %zu leftovers hidden by the access rules",
                  out->hidden);
  int64_t now = clock_now(NULL);
  for (size_t i = 0; i < out->count; i++) {
    pail_leftover *leftover = &out->leftovers[i];
    leftover->outcome = 0;
    leftover->error = NULL;
    leftover_judge(ws, &h, storage, &opts, now, leftover);
    if (leftover->outcome == PAIL_LEFTOVER_FAILED && status == PAIL_OK) {
      status = pail_error_category(leftover->error);
      if (err != NULL && *err == NULL)
        *err = error_copy(leftover->error);
    }
  }
  return status;
}
