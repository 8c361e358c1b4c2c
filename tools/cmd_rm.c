/*
 * cmd_rm.c: `pail rm [-r] [-f] PTR...`: deletes objects in batches
 * (pail_delete_many), or with -r every object under each folder.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct remove_state {
  bool recursive, force;
  json_t *deleted, *failed; /* for --json */
  size_t failures;
} remove_state;

static int remove_option(cli *c, void *state, int option, const char *arg) {
  (void)c;
  (void)arg;
  remove_state *r = state;
  if (option == 'r')
    r->recursive = true;
  else
    r->force = true;
  return EXIT_OK;
}

/* rm without -f reports a missing object, as rm(1) does, on every backend.
 * Some providers cannot tell (S3's DeleteObject and DeleteObjects succeed
 * for a missing key), so each named object is looked up first. Only "not
 * found" counts: a stat refused by the access rules (delete-only grants)
 * leaves the decision to the delete itself. Returns how many of the n
 * pointers remain to delete, moved to the front of `pending`, with
 * `results`/`errors` set for the missing ones. */
static size_t remove_check_missing(pail_workspace *ws,
                                   const pail_pointer *const *pointers,
                                   size_t n, const pail_pointer **pending,
                                   size_t *pending_index, pail_status *results,
                                   pail_error **errors) {
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    pail_object_info info = {0};
    pail_error *err = NULL;
    if (pail_stat(ws, pointers[i], &info, &err) == PAIL_ERR_NOT_FOUND) {
      results[i] = PAIL_ERR_NOT_FOUND;
      errors[i] = err;
    } else {
      pail_error_free(err);
      pending[kept] = pointers[i];
      pending_index[kept++] = i;
    }
    pail_object_info_clear(&info);
  }
  return kept;
}

/* Deletes objects in batches (one request per 1,000 keys on S3), recording
 * each outcome. With check_missing, missing objects are reported as such
 * (see remove_check_missing). */
static void remove_batch(cli *c, remove_state *r, pail_workspace *ws,
                         const pail_pointer *const *pointers, size_t n,
                         bool check_missing) {
  pail_status *results = calloc(n, sizeof *results);
  pail_error **errors = calloc(n, sizeof *errors);
  const pail_pointer **pending = calloc(n, sizeof *pending);
  size_t *pending_index = calloc(n, sizeof *pending_index);
  pail_status *pending_results = calloc(n, sizeof *pending_results);
  pail_error **pending_errors = calloc(n, sizeof *pending_errors);
  if (n == 0 || results == NULL || errors == NULL || pending == NULL ||
      pending_index == NULL || pending_results == NULL ||
      pending_errors == NULL) {
    if (n > 0) {
      fputs("pail: out of memory\n", stderr);
      r->failures++;
    }
    free(results);
    free(errors);
    free(pending);
    free(pending_index);
    free(pending_results);
    free(pending_errors);
    return;
  }
  size_t kept = n;
  if (check_missing) {
    kept = remove_check_missing(ws, pointers, n, pending, pending_index,
                                results, errors);
  } else {
    for (size_t i = 0; i < n; i++) {
      pending[i] = pointers[i];
      pending_index[i] = i;
    }
  }
  if (kept > 0)
    pail_delete_many(ws, pending, kept, pending_results, pending_errors, NULL);
  for (size_t k = 0; k < kept; k++) {
    results[pending_index[k]] = pending_results[k];
    errors[pending_index[k]] = pending_errors[k];
  }
  free(pending);
  free(pending_index);
  free(pending_results);
  free(pending_errors);
  for (size_t i = 0; i < n; i++) {
    const pail_pointer *p = pointers[i];
    if (results[i] == PAIL_ERR_NOT_FOUND && r->force) {
      /* rm -f: a missing object is not an error */
    } else if (results[i] != PAIL_OK) {
      r->failures++;
      if (errors[i] != NULL)
        cli_report_error(c, p->key, errors[i]);
      if (c->json)
        json_array_append_new(
            r->failed,
            json_pack("{s:o, s:o*}", "pointer", cli_pointer_json(p), "error",
                      errors[i] ? cli_error_json(errors[i]) : NULL));
    } else if (c->json) {
      json_array_append_new(r->deleted, cli_pointer_json(p));
    } else if (c->verbose) {
      fprintf(stderr, "pail: rm: deleted %s\n", p->key);
    }
    pail_error_free(errors[i]);
  }
  free(results);
  free(errors);
}

/* Deletes every object under a folder, page by page. */
static void remove_tree(cli *c, remove_state *r, pail_workspace *ws,
                        const pail_pointer *folder) {
  pail_list_options options = PAIL_LIST_OPTIONS_INIT;
  options.recursive = 1;
  char *token = NULL;
  do {
    pail_list_page page = {0};
    pail_error *err = NULL;
    options.page_token = token;
    pail_status status = pail_list(ws, folder, &options, &page, &err);
    free(token);
    token = NULL;
    if (status != PAIL_OK) {
      r->failures++;
      cli_report_error(c, folder->key, err);
      if (c->json)
        json_array_append_new(r->failed,
                              json_pack("{s:o, s:o}", "pointer",
                                        cli_pointer_json(folder), "error",
                                        cli_error_json(err)));
      pail_error_free(err);
      return;
    }
    pail_pointer **pointers = calloc(page.count + 1, sizeof *pointers);
    size_t n = 0;
    for (size_t i = 0; pointers != NULL && i < page.count; i++)
      if (!page.entries[i].is_folder &&
          pail_pointer_new(folder->storage, page.entries[i].key, &pointers[n],
                           NULL) == PAIL_OK)
        n++;
    if (pointers == NULL) {
      fputs("pail: out of memory\n", stderr);
      r->failures++;
    } else {
      remove_batch(c, r, ws, (const pail_pointer *const *)pointers, n, false);
    }
    for (size_t i = 0; i < n; i++)
      pail_pointer_free(pointers[i]);
    free(pointers);
    token = page.next_page_token;
    page.next_page_token = NULL;
    pail_list_page_clear(&page);
  } while (token != NULL);
}

static int run_rm(cli *c, const command *cmd, int argc, char **argv) {
  static const struct option options[] = {
      {"recursive", no_argument, NULL, 'r'},
      {"force", no_argument, NULL, 'f'},
      {NULL, 0, NULL, 0},
  };
  remove_state r = {0};
  int first, rc = cli_parse_options(c, cmd, argc, argv, "rf", options,
                                    remove_option, &r, &first);
  if (rc == EXIT_OK)
    rc = cli_want_operands(c, argc - first, 1, -1);
  if (rc != EXIT_OK)
    return rc;
  /* Parse every operand before deleting anything: a typo in the third
   * pointer must not leave the first two deleted. */
  size_t n = (size_t)(argc - first);
  pail_pointer **pointers = calloc(n, sizeof *pointers);
  if (pointers == NULL)
    return EXIT_FAILED;
  rc = EXIT_OK;
  for (size_t i = 0; i < n && rc == EXIT_OK; i++) {
    const char *text = argv[first + (int)i];
    pointers[i] = cli_pointer(c, text, r.recursive);
    if (pointers[i] == NULL) {
      rc = EXIT_USAGE;
    } else if (r.recursive) {
      /* A folder, never a bare prefix: "rm -r logs" must not take
       * "logs-old/" with it. The whole storage is never a target. */
      pail_pointer *p = pointers[i];
      size_t len = strlen(p->key);
      if (len == 0) {
        rc = cli_usage_error(c, "refusing to delete a whole storage; name a "
                                "folder");
      } else if (p->key[len - 1] != '/') {
        char *folder = NULL;
        if (asprintf(&folder, "%s/", p->key) < 0) {
          rc = EXIT_FAILED;
        } else {
          free(p->key);
          p->key = folder;
        }
      }
    }
  }
  pail_workspace *ws = rc == EXIT_OK ? cli_workspace(c) : NULL;
  if (rc == EXIT_OK && ws == NULL)
    rc = EXIT_FAILED;
  if (rc == EXIT_OK) {
    r.deleted = json_array();
    r.failed = json_array();
    if (r.recursive)
      for (size_t i = 0; i < n; i++)
        remove_tree(c, &r, ws, pointers[i]);
    else
      remove_batch(c, &r, ws, (const pail_pointer *const *)pointers, n,
                   !r.force);
    rc = r.failures ? EXIT_FAILED : EXIT_OK;
    if (c->json) {
      int out = cli_emit_json(
          json_pack("{s:O, s:O}", "deleted", r.deleted, "failed", r.failed));
      if (rc == EXIT_OK)
        rc = out;
    }
    json_decref(r.deleted);
    json_decref(r.failed);
  }
  for (size_t i = 0; i < n; i++)
    pail_pointer_free(pointers[i]);
  free(pointers);
  return rc;
}

const command cli_cmd_rm = {
    "rm", "rm [-r] [-f] PTR...", "delete objects (or folders with -r)",
    "\nDeletes each PTR. Every operand is checked before anything is "
    "deleted;\n"
    "a failure on one does not stop the others (exit 1 at the end).\n\n"
    "Options:\n"
    "  -r, --recursive   PTR is a folder: delete every object under it\n"
    "  -f, --force       a missing object is not an error\n",
    run_rm};
