/*
 * cleanup.c: pail_cleanup, the removal of what interrupted writes left
 * behind (issue 15). Each backend lists and removes its own leftovers in its
 * own protocol (leftovers_list, leftover_remove, ABI 1.14); what is the same
 * for all of them is here, once: the access rules, the age limit that
 * protects writes still running elsewhere, the dry run and the report.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

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
  pail_status status = error_redact(
      &leftover->error, h->config,
      h->backend->ops.leftover_remove(h->instance, leftover, o->older_than == 0,
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
    out->note = str_printf("the %s backend cannot list what interrupted "
                           "writes leave behind",
                           h.backend->type);
    return out->note ? PAIL_OK : error_no_memory(err);
  }
  status = error_redact(err, h.config,
                        ops->leftovers_list(h.instance, &out->leftovers,
                                            &out->count, &out->note, err));
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
