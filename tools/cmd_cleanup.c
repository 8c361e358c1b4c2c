/*
 * cmd_cleanup.c: `pail cleanup [STORAGE] [--older-than DURATION] [--dry-run]`,
 * over pail_cleanup(): what interrupted writes left behind, in one storage
 * or in every storage of the workspace, removed or (dry run) only shown.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "commands.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_OLDER_THAN = OPT_COMMAND_BASE, OPT_DRY_RUN };

typedef struct cleanup_state {
  pail_cleanup_options options;
  size_t removed, kept, failed, storages_failed;
  json_t *storages; /* for --json */
} cleanup_state;

/* Seconds from "90", "90s", "15m", "24h" or "7d"; false for anything else
 * (a sign, a fraction, another unit, an overflow). */
static bool parse_duration(const char *text, int64_t *out) {
  if (text == NULL || *text < '0' || *text > '9')
    return false;
  errno = 0;
  char *end = NULL;
  unsigned long long value = strtoull(text, &end, 10);
  if (errno != 0)
    return false;
  unsigned long long unit = 1;
  if (*end != '\0') {
    const char *units = "smhd";
    static const unsigned long long seconds[] = {1, 60, 3600, 86400};
    const char *at = strchr(units, *end);
    if (at == NULL || end[1] != '\0')
      return false;
    unit = seconds[at - units];
  }
  if (value > (unsigned long long)INT64_MAX / unit)
    return false;
  *out = (int64_t)(value * unit);
  return true;
}

static int cleanup_option(cli *c, void *state, int option, const char *arg) {
  cleanup_state *s = state;
  if (option == OPT_DRY_RUN) {
    s->options.dry_run = 1;
    return EXIT_OK;
  }
  if (!parse_duration(arg, &s->options.older_than))
    return cli_usage_error(c,
                           "--older-than wants a duration: seconds, or a "
                           "number with s, m, h or d (24h), not \"%s\"",
                           arg);
  return EXIT_OK;
}

static const char *kind_name(pail_leftover_kind kind) {
  switch (kind) {
  case PAIL_LEFTOVER_TEMPORARY_FILE:
    return "temporary-file";
  case PAIL_LEFTOVER_MULTIPART_UPLOAD:
    return "multipart-upload";
  case PAIL_LEFTOVER_UNCOMMITTED_BLOB:
    return "uncommitted-blob";
  case PAIL_LEFTOVER_RESUMABLE_SESSION:
    return "resumable-session";
  case PAIL_LEFTOVER_GATEWAY_UPLOAD:
    return "gateway-upload";
  }
  return "unknown";
}

static const char *outcome_name(pail_leftover_outcome outcome) {
  switch (outcome) {
  case PAIL_LEFTOVER_REMOVED:
    return "removed";
  case PAIL_LEFTOVER_TO_REMOVE:
    return "would-remove";
  case PAIL_LEFTOVER_RECENT:
    return "kept-recent";
  case PAIL_LEFTOVER_FAILED:
    return "failed";
  }
  return "unknown";
}

static json_t *leftover_json(const pail_leftover *l) {
  char when[32];
  json_t *o = json_pack(
      "{s:s, s:s, s:s?, s:s, s:s?, s:b}", "outcome", outcome_name(l->outcome),
      "kind", kind_name(l->kind), "key", l->key, "id", l->id, "started",
      l->started == INT64_MIN ? NULL
                              : cli_format_time(l->started, when, sizeof when),
      "in_use", l->in_use);
  if (o != NULL && l->size_known)
    json_object_set_new(o, "size", json_integer((json_int_t)l->size));
  if (o != NULL && l->error != NULL)
    json_object_set_new(o, "error", cli_error_json(l->error));
  return o;
}

/* One line per leftover: outcome, storage, kind, started, size, key (id). */
static void leftover_print(const char *storage, const pail_leftover *l) {
  char when[32], size[32] = "-";
  if (l->size_known)
    snprintf(size, sizeof size, "%" PRIu64, l->size);
  printf(
      "%-13s %-10s %-17s %-20s %12s  %s%s%s%s\n", outcome_name(l->outcome),
      storage ? storage : "(primary)", kind_name(l->kind),
      l->started == INT64_MIN ? "-"
                              : cli_format_time(l->started, when, sizeof when),
      size, l->key ? l->key : "", l->key ? " (" : "", l->id, l->key ? ")" : "");
}

/* Cleans one storage, printing (or collecting for --json) what it found. */
static void cleanup_storage(cli *c, cleanup_state *s, pail_workspace *ws,
                            const char *storage, const char *type) {
  pail_cleanup_report report;
  pail_error *err = NULL;
  pail_status status = pail_cleanup(ws, storage, &s->options, &report, &err);
  json_t *leftovers = json_array();
  for (size_t i = 0; i < report.count; i++) {
    const pail_leftover *l = &report.leftovers[i];
    if (l->outcome == PAIL_LEFTOVER_REMOVED ||
        l->outcome == PAIL_LEFTOVER_TO_REMOVE)
      s->removed++;
    else if (l->outcome == PAIL_LEFTOVER_RECENT)
      s->kept++;
    else
      s->failed++;
    if (c->json) {
      json_array_append_new(leftovers, leftover_json(l));
      continue;
    }
    leftover_print(storage, l);
    if (l->error != NULL)
      cli_report_error(c, l->key ? l->key : l->id, l->error);
  }
  /* A listing that failed says so; a leftover that failed was reported
   * above, with its key. */
  bool listing_failed = status != PAIL_OK && report.count == 0;
  if (listing_failed) {
    s->storages_failed++;
    cli_report_error(c, storage ? storage : "primary storage", err);
  }
  if (!c->json && report.note != NULL)
    printf("note: %s (%s): %s\n", storage ? storage : "primary storage", type,
           report.note);
  if (c->json)
    json_array_append_new(
        s->storages,
        json_pack("{s:s?, s:s, s:o, s:s?, s:I, s:o?}", "name", storage, "type",
                  type, "leftovers", leftovers, "note", report.note, "hidden",
                  (json_int_t)report.hidden, "error",
                  listing_failed ? cli_error_json(err) : NULL));
  else
    json_decref(leftovers);
  pail_error_free(err);
  pail_cleanup_report_clear(&report);
}

static int run_cleanup(cli *c, const command *cmd, int argc, char **argv) {
  static const struct option options[] = {
      {"older-than", required_argument, NULL, OPT_OLDER_THAN},
      {"dry-run", no_argument, NULL, OPT_DRY_RUN},
      {NULL, 0, NULL, 0},
  };
  cleanup_state s = {.options = PAIL_CLEANUP_OPTIONS_INIT};
  int first, rc = cli_parse_options(c, cmd, argc, argv, "", options,
                                    cleanup_option, &s, &first);
  if (rc == EXIT_OK && argc - first > 1)
    rc = cli_usage_error(c, "too many operands");
  if (rc != EXIT_OK)
    return rc;
  /* The storage: an operand (NAME or s3://NAME), else --storage, else
   * every storage of the workspace. */
  const char *only = first < argc ? argv[first] : c->storage;
  bool named = only != NULL;
  if (named && strncmp(only, "s3://", 5) == 0)
    only += 5;
  if (named) {
    size_t n = strlen(only);
    if (n > 0 && only[n - 1] == '/')
      ((char *)only)[--n] = '\0';
    if (strchr(only, '/') != NULL)
      return cli_usage_error(c, "cleanup takes a storage name, not \"%s\"",
                             only);
    if (*only == '\0' || strcmp(only, "_default_") == 0)
      only = NULL;
    else if (pail_storage_name_check(only, NULL) != PAIL_OK)
      return cli_usage_error(c, "\"%s\" is not a storage name", only);
  }
  pail_workspace *ws = cli_workspace(c);
  if (ws == NULL)
    return EXIT_FAILED;
  s.storages = json_array();
  size_t count = pail_workspace_storage_count(ws);
  bool any = false;
  for (size_t i = 0; i < count; i++) {
    const char *name = pail_workspace_storage_name(ws, i);
    if (named && !((name == NULL && only == NULL) ||
                   (name != NULL && only != NULL && strcmp(name, only) == 0)))
      continue;
    any = true;
    cleanup_storage(c, &s, ws, name, pail_workspace_storage_type(ws, i));
  }
  if (!any) {
    /* Let the library name the missing storage, as other commands do. */
    pail_cleanup_report report;
    pail_error *err = NULL;
    pail_cleanup(ws, only, &s.options, &report, &err);
    pail_cleanup_report_clear(&report);
    json_decref(s.storages);
    return cli_fail(c, only, err);
  }
  if (c->json) {
    rc = cli_emit_json(json_pack(
        "{s:o, s:b, s:I, s:I, s:I, s:I}", "storages", s.storages, "dry_run",
        s.options.dry_run, "older_than", (json_int_t)s.options.older_than,
        s.options.dry_run ? "to_remove" : "removed", (json_int_t)s.removed,
        "kept", (json_int_t)s.kept, "failed", (json_int_t)s.failed));
  } else {
    json_decref(s.storages);
    if (!c->quiet)
      fprintf(stderr,
              "pail: cleanup: %zu %s, %zu kept (begun less than %" PRId64
              " s ago, or still being written), %zu failed\n",
              s.removed, s.options.dry_run ? "to remove" : "removed", s.kept,
              s.options.older_than, s.failed + s.storages_failed);
  }
  return s.failed + s.storages_failed > 0 ? EXIT_FAILED : rc;
}

const command cli_cmd_cleanup = {
    "cleanup", "cleanup [STORAGE] [--older-than D] [--dry-run]",
    "remove what interrupted uploads left behind",
    "\nLists and removes what writes that never finished (a killed `pail "
    "put`)\n"
    "left in STORAGE (a name or s3://name; default: --storage, else every\n"
    "storage): fs temporary files, S3 multipart uploads (billed until\n"
    "aborted). Never a committed object. Prints one line per leftover:\n"
    "outcome, storage, kind, started, size, key (provider id); and, as\n"
    "notes, what a provider removes by itself (Azure's uncommitted blocks,\n"
    "after 7 days) or what pail cannot list there (GCS resumable sessions).\n"
    "Needs delete access to each leftover's key. Exit 1 when anything\n"
    "could not be removed.\n\n"
    "Options:\n"
    "      --older-than D  only leftovers begun at least D ago (default "
    "24h):\n"
    "                      seconds, or a number with s, m, h or d. 0 takes\n"
    "                      everything, writes still running included\n"
    "      --dry-run       show what would be removed; remove nothing\n",
    run_cleanup};
