/*
 * commands.c: the commands of `pail`, each a thin layer over one or two
 * calls of the public API: parse options and pointers, call, print.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <pail/backend.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STREAM_BUFFER_SIZE (1u << 20)

/* Parses a non-negative decimal integer option value. */
static bool parse_count(const char *text, uint64_t *out) {
  if (text == NULL || *text < '0' || *text > '9')
    return false;
  errno = 0;
  char *end = NULL;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  *out = v;
  return true;
}

/* A growing list of option values (--header, --query, --metadata). */
typedef struct string_list {
  const char **items;
  size_t count;
} string_list;

static int string_list_add(string_list *list, const char *item) {
  const char **grown =
      realloc(list->items, (list->count + 1) * sizeof *list->items);
  if (grown == NULL) {
    fputs("pail: out of memory\n", stderr);
    return EXIT_FAILED;
  }
  list->items = grown;
  list->items[list->count++] = item;
  return EXIT_OK;
}

/* Checks the operand count; prints a usage error when it is off. */
static int want_operands(cli *c, int have, int least, int most) {
  if (have < least)
    return cli_usage_error(c, "missing operand");
  if (most >= 0 && have > most)
    return cli_usage_error(c, "too many operands");
  return EXIT_OK;
}

/* ------------------------------------------------ write options (put, cp) */

enum {
  OPT_CONTENT_TYPE = OPT_COMMAND_BASE,
  OPT_CONTENT_DISPOSITION,
  OPT_NO_CLOBBER,
  OPT_METADATA,
  OPT_OFFSET,
  OPT_LENGTH,
  OPT_PAGE_SIZE,
  OPT_METHOD,
  OPT_EXPIRES,
  OPT_AT,
  OPT_HEADER,
  OPT_QUERY
};

typedef struct write_state {
  pail_write_options options;
  string_list metadata; /* "name=value" as given */
  pail_metadata_entry *entries;
} write_state;

#define WRITE_LONG_OPTIONS                                                     \
  {"content-type", required_argument, NULL, OPT_CONTENT_TYPE},                 \
      {"content-disposition", required_argument, NULL,                         \
       OPT_CONTENT_DISPOSITION},                                               \
      {"no-clobber", no_argument, NULL, OPT_NO_CLOBBER}, {                     \
    "metadata", required_argument, NULL, OPT_METADATA                          \
  }

#define WRITE_HELP                                                             \
  "      --content-type TYPE         content type (default: from the key's\n"  \
  "                                  extension, else the backend's)\n"         \
  "      --content-disposition TEXT  content disposition\n"                    \
  "      --no-clobber                fail (exit 1) if the object exists\n"     \
  "      --metadata NAME=VALUE       user metadata; repeatable\n"

/* Option values that travel as HTTP header text may not hold control
 * characters (the library refuses them too, for every storage): refused
 * here as the usage errors they are. A tab is allowed. */
static int header_text_option(cli *c, const char *option, const char *arg) {
  for (const char *p = arg; *p; p++)
    if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
      return cli_usage_error(c,
                             "--%s may not contain control characters "
                             "(U+%04X at byte offset %zu)",
                             option, (unsigned)(unsigned char)*p,
                             (size_t)(p - arg));
  return EXIT_OK;
}

static int write_option(cli *c, void *state, int option, const char *arg) {
  write_state *w = state;
  switch (option) {
  case OPT_CONTENT_TYPE:
    w->options.content_type = arg;
    return header_text_option(c, "content-type", arg);
  case OPT_CONTENT_DISPOSITION:
    w->options.content_disposition = arg;
    return header_text_option(c, "content-disposition", arg);
  case OPT_NO_CLOBBER:
    w->options.if_none_match = 1;
    return EXIT_OK;
  case OPT_METADATA:
    if (strchr(arg, '=') == NULL || arg[0] == '=')
      return cli_usage_error(c, "--metadata wants NAME=VALUE, not \"%s\"", arg);
    if (header_text_option(c, "metadata", arg) != EXIT_OK)
      return EXIT_USAGE;
    return string_list_add(&w->metadata, arg);
  default:
    return EXIT_USAGE;
  }
}

/* Splits the --metadata values into entries (pointing into argv). */
static int write_state_finish(write_state *w) {
  if (w->metadata.count == 0)
    return EXIT_OK;
  w->entries = calloc(w->metadata.count, sizeof *w->entries);
  if (w->entries == NULL) {
    fputs("pail: out of memory\n", stderr);
    return EXIT_FAILED;
  }
  for (size_t i = 0; i < w->metadata.count; i++) {
    char *item = (char *)w->metadata.items[i];
    char *eq = strchr(item, '=');
    *eq = '\0';
    w->entries[i].name = item;
    w->entries[i].value = eq + 1;
  }
  w->options.metadata = w->entries;
  w->options.metadata_count = w->metadata.count;
  return EXIT_OK;
}

static void write_state_free(write_state *w) {
  free(w->metadata.items);
  free(w->entries);
}

/* ------------------------------------------------------------------ put */

/* Parses the options and two operands of put and cp. Returns EXIT_OK with
 * w filled, or the exit status to return (w already released). */
static int parse_write_command(cli *c, const command *cmd, int argc,
                               char **argv, write_state *w, int *first) {
  static const struct option options[] = {WRITE_LONG_OPTIONS,
                                          {NULL, 0, NULL, 0}};
  int rc = cli_parse_options(c, cmd, argc, argv, "", options, write_option, w,
                             first);
  if (rc == EXIT_OK)
    rc = want_operands(c, argc - *first, 2, 2);
  if (rc == EXIT_OK)
    rc = write_state_finish(w);
  if (rc != EXIT_OK) {
    write_state_free(w);
    return rc;
  }
  return EXIT_OK;
}

/* Whether put's LOCAL can be read (standard input is taken as readable):
 * after a failure, says whether the file or the destination failed, as
 * the library's error does not. */
static bool local_file_readable(const char *local) {
  if (strcmp(local, "-") == 0)
    return true;
  int fd = open(local, O_RDONLY | O_CLOEXEC);
  struct stat st;
  bool readable = fd >= 0 && fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode);
  if (fd >= 0)
    close(fd);
  return readable;
}

static int run_put(cli *c, const command *cmd, int argc, char **argv) {
  write_state w = {.options = PAIL_WRITE_OPTIONS_INIT};
  int first, rc = parse_write_command(c, cmd, argc, argv, &w, &first);
  if (rc != EXIT_OK)
    return rc == -1 ? EXIT_OK : rc;
  const char *local = argv[first];
  pail_pointer *dst = cli_destination(c, argv[first + 1], local);
  pail_workspace *ws = dst ? cli_workspace(c) : NULL;
  if (ws == NULL) {
    pail_pointer_free(dst);
    write_state_free(&w);
    return dst ? EXIT_FAILED : EXIT_USAGE;
  }
  if (w.options.content_type == NULL)
    w.options.content_type = pail_content_type_guess(dst->key);
  cli_progress progress;
  cli_progress_start(&progress, c, dst->key);
  w.options.progress = cli_progress_update;
  w.options.progress_user_data = &progress;
  w.options.committing = cli_progress_committing;
  pail_error *err = NULL;
  pail_status status = pail_upload(ws, dst, local, &w.options, &err);
  cli_progress_end(&progress);
  write_state_free(&w);
  if (status != PAIL_OK) {
    /* Labelled with what failed: the file, or the object being written. */
    rc = cli_fail(c, local_file_readable(local) ? dst->key : local, err);
    pail_pointer_free(dst);
    return rc;
  }
  if (c->json) {
    char *uri = pail_pointer_to_uri(dst);
    rc = cli_emit_json(json_pack("{s:o, s:s?, s:I}", "pointer",
                                 cli_pointer_json(dst), "uri", uri, "size",
                                 (json_int_t)progress.done));
    free(uri);
  } else if (!c->quiet) {
    rc = cli_print_pointer(dst);
  }
  pail_pointer_free(dst);
  return rc;
}

/* ------------------------------------------------------------- get, cat */

typedef struct read_state {
  pail_read_options options;
} read_state;

static int read_option(cli *c, void *state, int option, const char *arg) {
  read_state *r = state;
  uint64_t value;
  if (!parse_count(arg, &value))
    return cli_usage_error(c, "--%s wants a number of bytes, not \"%s\"",
                           option == OPT_OFFSET ? "offset" : "length", arg);
  if (option == OPT_OFFSET)
    r->options.offset = value;
  else
    r->options.length = value;
  return EXIT_OK;
}

static const struct option read_long_options[] = {
    {"offset", required_argument, NULL, OPT_OFFSET},
    {"length", required_argument, NULL, OPT_LENGTH},
    {NULL, 0, NULL, 0},
};

/* Writes all of data to fd. */
static bool write_fully(int fd, const char *data, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return false;
    data += n;
    length -= (size_t)n;
  }
  return true;
}

/* Streams the object to standard output. */
static int stream_to_stdout(cli *c, pail_workspace *ws, const pail_pointer *p,
                            const pail_read_options *options) {
  pail_reader *reader = NULL;
  pail_error *err = NULL;
  if (pail_reader_open(ws, p, options, &reader, &err) != PAIL_OK)
    return cli_fail(c, p->key, err);
  char *buffer = malloc(STREAM_BUFFER_SIZE);
  if (buffer == NULL) {
    pail_reader_close(reader);
    fputs("pail: out of memory\n", stderr);
    return EXIT_FAILED;
  }
  int rc = EXIT_OK;
  size_t got = 0;
  fflush(stdout);
  do {
    if (pail_reader_read(reader, buffer, STREAM_BUFFER_SIZE, &got, &err) !=
        PAIL_OK) {
      /* stdout already holds part of the data: say so plainly. */
      rc = cli_fail(c, p->key, err);
      break;
    }
    if (got > 0 && !write_fully(STDOUT_FILENO, buffer, got)) {
      fprintf(stderr, "pail: %s: cannot write to standard output: %s\n",
              c->command, strerror(errno));
      rc = EXIT_FAILED;
      break;
    }
  } while (got > 0);
  free(buffer);
  pail_reader_close(reader);
  return rc;
}

/* Downloads to a file; a directory as LOCAL receives the key's base name. */
static int download_to_file(cli *c, pail_workspace *ws, const pail_pointer *p,
                            const char *local, pail_read_options *options) {
  char *path = NULL;
  struct stat st;
  if (stat(local, &st) == 0 && S_ISDIR(st.st_mode)) {
    const char *base = strrchr(p->key, '/');
    base = base ? base + 1 : p->key;
    size_t n = strlen(local);
    if (asprintf(&path, "%s%s%s", local,
                 n > 0 && local[n - 1] == '/' ? "" : "/", base) < 0) {
      fputs("pail: out of memory\n", stderr);
      return EXIT_FAILED;
    }
  }
  cli_progress progress;
  cli_progress_start(&progress, c, p->key);
  options->progress = cli_progress_update;
  options->progress_user_data = &progress;
  pail_error *err = NULL;
  const char *target = path ? path : local;
  pail_status status = pail_download(ws, p, target, options, &err);
  cli_progress_end(&progress);
  int rc;
  if (status != PAIL_OK)
    rc = cli_fail(c, p->key, err);
  else if (c->json)
    rc = cli_emit_json(json_pack("{s:o, s:s, s:I}", "pointer",
                                 cli_pointer_json(p), "path", target, "size",
                                 (json_int_t)progress.done));
  else
    rc = EXIT_OK;
  free(path);
  return rc;
}

static int get_or_cat(cli *c, const command *cmd, int argc, char **argv,
                      bool cat) {
  read_state r = {.options = PAIL_READ_OPTIONS_INIT};
  int first, rc = cli_parse_options(c, cmd, argc, argv, "", read_long_options,
                                    read_option, &r, &first);
  if (rc == EXIT_OK)
    rc = want_operands(c, argc - first, cat ? 1 : 2, cat ? 1 : 2);
  if (rc != EXIT_OK)
    return rc == -1 ? EXIT_OK : rc;
  pail_pointer *p = cli_pointer(c, argv[first], false);
  if (p == NULL)
    return EXIT_USAGE;
  pail_workspace *ws = cli_workspace(c);
  const char *local = cat ? "-" : argv[first + 1];
  if (ws == NULL)
    rc = EXIT_FAILED;
  else if (strcmp(local, "-") == 0)
    rc = stream_to_stdout(c, ws, p, &r.options);
  else
    rc = download_to_file(c, ws, p, local, &r.options);
  pail_pointer_free(p);
  return rc;
}

static int run_get(cli *c, const command *cmd, int argc, char **argv) {
  return get_or_cat(c, cmd, argc, argv, false);
}

static int run_cat(cli *c, const command *cmd, int argc, char **argv) {
  return get_or_cat(c, cmd, argc, argv, true);
}

/* ------------------------------------------------------------------- ls */

typedef struct list_state {
  pail_list_options options;
} list_state;

static int list_option(cli *c, void *state, int option, const char *arg) {
  list_state *l = state;
  uint64_t value;
  if (option == 'r') {
    l->options.recursive = 1;
    return EXIT_OK;
  }
  if (!parse_count(arg, &value) || value == 0 || value > 100000)
    return cli_usage_error(c, "--page-size wants 1 to 100000, not \"%s\"", arg);
  l->options.max_keys = (size_t)value;
  return EXIT_OK;
}

static void print_entry(const pail_object_info *e) {
  char when[32];
  if (e->is_folder)
    printf("%20s %14s  %s\n", "", "DIR", e->key);
  else
    printf("%-20s %14" PRIu64 "  %s\n",
           cli_format_time(e->last_modified, when, sizeof when), e->size,
           e->key);
}

static int run_ls(cli *c, const command *cmd, int argc, char **argv) {
  static const struct option options[] = {
      {"recursive", no_argument, NULL, 'r'},
      {"page-size", required_argument, NULL, OPT_PAGE_SIZE},
      {NULL, 0, NULL, 0},
  };
  list_state l = {.options = PAIL_LIST_OPTIONS_INIT};
  int first, rc = cli_parse_options(c, cmd, argc, argv, "r", options,
                                    list_option, &l, &first);
  if (rc == EXIT_OK)
    rc = want_operands(c, argc - first, 0, 1);
  if (rc != EXIT_OK)
    return rc == -1 ? EXIT_OK : rc;
  pail_pointer *prefix = cli_pointer(c, first < argc ? argv[first] : "", true);
  if (prefix == NULL)
    return EXIT_USAGE;
  pail_workspace *ws = cli_workspace(c);
  if (ws == NULL) {
    pail_pointer_free(prefix);
    return EXIT_FAILED;
  }
  /* Page by page, printing as pages arrive: a listing of millions of keys
   * never sits in memory, and JSON output is streamed the same way. */
  if (c->json) {
    json_t *head = json_pack("{s:s?, s:s}", "storage", prefix->storage,
                             "prefix", prefix->key);
    char *text = json_dumps(head, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(head);
    printf("%.*s,\"entries\":[", (int)strlen(text) - 1, text);
    free(text);
  }
  char *token = NULL;
  size_t printed = 0;
  pail_error *err = NULL;
  do {
    pail_list_page page = {0};
    l.options.page_token = token;
    pail_status status = pail_list(ws, prefix, &l.options, &page, &err);
    free(token);
    token = NULL;
    if (status != PAIL_OK)
      break;
    for (size_t i = 0; i < page.count; i++) {
      if (c->json) {
        json_t *entry = cli_info_json(&page.entries[i]);
        char *text = json_dumps(entry, JSON_COMPACT | JSON_ENSURE_ASCII);
        printf("%s%s", printed++ ? "," : "", text);
        free(text);
        json_decref(entry);
      } else {
        print_entry(&page.entries[i]);
      }
    }
    token = page.next_page_token;
    page.next_page_token = NULL;
    pail_list_page_clear(&page);
  } while (token != NULL);
  if (err != NULL) {
    cli_report_error(c, prefix->key[0] ? prefix->key : NULL, err);
    if (c->json) {
      char *text =
          json_dumps(cli_error_json(err), JSON_COMPACT | JSON_ENSURE_ASCII);
      printf("],\"error\":%s}\n", text);
      free(text);
    }
    pail_error_free(err);
    rc = EXIT_FAILED;
  } else if (c->json) {
    printf("]}\n");
  }
  pail_pointer_free(prefix);
  return rc;
}

/* ----------------------------------------------------------------- stat */

static int run_stat(cli *c, const command *cmd, int argc, char **argv) {
  int first,
      rc = cli_parse_options(c, cmd, argc, argv, "", NULL, NULL, NULL, &first);
  if (rc == EXIT_OK)
    rc = want_operands(c, argc - first, 1, 1);
  if (rc != EXIT_OK)
    return rc == -1 ? EXIT_OK : rc;
  pail_pointer *p = cli_pointer(c, argv[first], false);
  if (p == NULL)
    return EXIT_USAGE;
  pail_workspace *ws = cli_workspace(c);
  pail_object_info info;
  pail_error *err = NULL;
  if (ws == NULL) {
    rc = EXIT_FAILED;
  } else if (pail_stat(ws, p, &info, &err) != PAIL_OK) {
    rc = cli_fail(c, p->key, err);
  } else {
    if (c->json) {
      json_t *doc = cli_info_json(&info);
      json_object_set_new(doc, "pointer", cli_pointer_json(p));
      rc = cli_emit_json(doc);
    } else {
      char when[32];
      printf("key:                 %s\n", p->key);
      printf("storage:             %s\n",
             p->storage ? p->storage : "(primary)");
      printf("size:                %" PRIu64 "\n", info.size);
      printf("last modified:       %s\n",
             cli_format_time(info.last_modified, when, sizeof when));
      printf("etag:                %s\n", info.etag ? info.etag : "-");
      printf("content type:        %s\n",
             info.content_type ? info.content_type : "-");
      if (info.content_disposition != NULL)
        printf("content disposition: %s\n", info.content_disposition);
      for (size_t i = 0; i < info.metadata_count; i++)
        printf("metadata:            %s=%s\n", info.metadata[i].name,
               info.metadata[i].value);
    }
    pail_object_info_clear(&info);
  }
  pail_pointer_free(p);
  return rc;
}

/* ------------------------------------------------------------------- rm */

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
    rc = want_operands(c, argc - first, 1, -1);
  if (rc != EXIT_OK)
    return rc == -1 ? EXIT_OK : rc;
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

/* ------------------------------------------------------------------- cp */

static int run_cp(cli *c, const command *cmd, int argc, char **argv) {
  write_state w = {.options = PAIL_WRITE_OPTIONS_INIT};
  int first, rc = parse_write_command(c, cmd, argc, argv, &w, &first);
  if (rc != EXIT_OK)
    return rc == -1 ? EXIT_OK : rc;
  pail_pointer *src = cli_pointer(c, argv[first], false);
  pail_pointer *dst =
      src ? cli_destination(c, argv[first + 1], src->key) : NULL;
  pail_workspace *ws = dst ? cli_workspace(c) : NULL;
  if (ws == NULL) {
    rc = dst ? EXIT_FAILED : EXIT_USAGE;
  } else {
    cli_progress progress;
    cli_progress_start(&progress, c, dst->key);
    w.options.progress = cli_progress_update;
    w.options.progress_user_data = &progress;
    w.options.committing = cli_progress_committing;
    pail_error *err = NULL;
    pail_status status = pail_copy(ws, src, dst, &w.options, &err);
    cli_progress_end(&progress);
    if (status != PAIL_OK) {
      /* Labelled with what failed: the error does not say which side, so
       * the source is looked at again (after a failure only). */
      pail_object_info info;
      bool source_readable = pail_stat(ws, src, &info, NULL) == PAIL_OK;
      pail_object_info_clear(&info);
      rc = cli_fail(c, source_readable ? dst->key : src->key, err);
    } else if (c->json) {
      rc =
          cli_emit_json(json_pack("{s:o, s:o}", "source", cli_pointer_json(src),
                                  "destination", cli_pointer_json(dst)));
    } else if (!c->quiet) {
      rc = cli_print_pointer(dst);
    }
  }
  pail_pointer_free(src);
  pail_pointer_free(dst);
  write_state_free(&w);
  return rc;
}

/* ----------------------------------------------------------------- sign */

typedef struct sign_state {
  pail_sign_options options;
  string_list headers, query;
} sign_state;

static int sign_option(cli *c, void *state, int option, const char *arg) {
  sign_state *s = state;
  uint64_t value;
  switch (option) {
  case OPT_METHOD:
    if (strcmp(arg, "GET") != 0 && strcmp(arg, "PUT") != 0 &&
        strcmp(arg, "HEAD") != 0 && strcmp(arg, "DELETE") != 0)
      return cli_usage_error(c,
                             "--method wants GET, PUT, HEAD or DELETE, "
                             "not \"%s\"",
                             arg);
    s->options.method = arg;
    return EXIT_OK;
  case OPT_EXPIRES:
    if (!parse_count(arg, &value) || value == 0 ||
        value > PAIL_SIGN_MAX_EXPIRES)
      return cli_usage_error(c,
                             "--expires wants 1 to %d seconds (7 days), "
                             "not \"%s\"",
                             PAIL_SIGN_MAX_EXPIRES, arg);
    s->options.expires = (int64_t)value;
    return EXIT_OK;
  case OPT_AT: {
    pail_error *err = NULL;
    if (pail_time_parse(arg, &s->options.at, &err) != PAIL_OK) {
      int rc = cli_usage_error(c, "--at: %s", pail_error_message(err));
      pail_error_free(err);
      return rc;
    }
    return EXIT_OK;
  }
  case OPT_HEADER:
    if (strchr(arg, ':') == NULL || arg[0] == ':')
      return cli_usage_error(c, "--header wants 'Name: value', not \"%s\"",
                             arg);
    return string_list_add(&s->headers, arg);
  case OPT_QUERY:
    if (strchr(arg, '=') == NULL || arg[0] == '=')
      return cli_usage_error(c, "--query wants name=value, not \"%s\"", arg);
    return string_list_add(&s->query, arg);
  default:
    return EXIT_USAGE;
  }
}

static int run_sign(cli *c, const command *cmd, int argc, char **argv) {
  static const struct option options[] = {
      {"method", required_argument, NULL, OPT_METHOD},
      {"expires", required_argument, NULL, OPT_EXPIRES},
      {"at", required_argument, NULL, OPT_AT},
      {"header", required_argument, NULL, OPT_HEADER},
      {"query", required_argument, NULL, OPT_QUERY},
      {NULL, 0, NULL, 0},
  };
  sign_state s = {.options = PAIL_SIGN_OPTIONS_INIT};
  int first, rc = cli_parse_options(c, cmd, argc, argv, "", options,
                                    sign_option, &s, &first);
  if (rc == EXIT_OK)
    rc = want_operands(c, argc - first, 1, 1);
  pail_pointer *p = rc == EXIT_OK ? cli_pointer(c, argv[first], false) : NULL;
  if (rc == EXIT_OK && p == NULL)
    rc = EXIT_USAGE;
  pail_workspace *ws = p ? cli_workspace(c) : NULL;
  if (p != NULL && ws == NULL)
    rc = EXIT_FAILED;
  if (ws != NULL) {
    s.options.headers = s.headers.items;
    s.options.header_count = s.headers.count;
    s.options.query = s.query.items;
    s.options.query_count = s.query.count;
    pail_signature signature = {0};
    pail_error *err = NULL;
    if (pail_sign(ws, p, &s.options, &signature, &err) != PAIL_OK) {
      rc = cli_fail(c, p->key, err);
    } else {
      char when[32];
      cli_format_time(signature.expires_at, when, sizeof when);
      if (c->json && signature.url != NULL)
        rc = cli_emit_json(
            json_pack("{s:s, s:s}", "url", signature.url, "expires_at", when));
      else if (c->json)
        rc = cli_emit_json(json_pack("{s:o, s:s}", "pointer",
                                     cli_pointer_json(signature.grant),
                                     "expires_at", when));
      else if (signature.url != NULL)
        rc = puts(signature.url) >= 0 ? EXIT_OK : EXIT_FAILED;
      else
        rc = cli_print_pointer(signature.grant);
      pail_signature_clear(&signature);
    }
  }
  pail_pointer_free(p);
  free(s.headers.items);
  free(s.query.items);
  return rc == -1 ? EXIT_OK : rc;
}

/* ------------------------------------------------------------------- mb */

static int run_mb(cli *c, const command *cmd, int argc, char **argv) {
  int first,
      rc = cli_parse_options(c, cmd, argc, argv, "", NULL, NULL, NULL, &first);
  if (rc == EXIT_OK)
    rc = want_operands(c, argc - first, 0, 1);
  if (rc != EXIT_OK)
    return rc == -1 ? EXIT_OK : rc;
  /* The storage: an operand (NAME or s3://NAME), else --storage, else the
   * primary. */
  const char *storage = c->storage;
  if (first < argc) {
    storage = argv[first];
    if (strncmp(storage, "s3://", 5) == 0)
      storage += 5;
    size_t n = strlen(storage);
    if (n > 0 && storage[n - 1] == '/')
      n--;
    if (memchr(storage, '/', n) != NULL)
      return cli_usage_error(c, "mb takes a storage name, not an object");
    argv[first][(size_t)(storage - argv[first]) + n] = '\0';
  }
  if (storage != NULL &&
      (*storage == '\0' || strcmp(storage, "_default_") == 0))
    storage = NULL;
  pail_workspace *ws = cli_workspace(c);
  if (ws == NULL)
    return EXIT_FAILED;
  pail_error *err = NULL;
  if (pail_create_container(ws, storage, &err) != PAIL_OK)
    return cli_fail(c, storage, err);
  if (c->json)
    return cli_emit_json(
        json_pack("{s:s?, s:b}", "storage", storage, "ready", 1));
  return EXIT_OK;
}

/* ------------------------------------------------------------- backends */

static json_t *capabilities_json(uint64_t capabilities) {
  json_t *list = json_array();
  for (int bit = 0; bit < 64; bit++) {
    uint64_t mask = (uint64_t)1 << bit;
    const char *name =
        (capabilities & mask) ? pail_capability_name(mask) : NULL;
    if (name != NULL)
      json_array_append_new(list, json_string(name));
  }
  return list;
}

static int run_backends(cli *c, const command *cmd, int argc, char **argv) {
  int first,
      rc = cli_parse_options(c, cmd, argc, argv, "", NULL, NULL, NULL, &first);
  if (rc == EXIT_OK)
    rc = want_operands(c, argc - first, 0, 0);
  if (rc != EXIT_OK)
    return rc == -1 ? EXIT_OK : rc;
  pail_backend_info *infos = NULL;
  size_t count = 0;
  pail_error *err = NULL;
  if (pail_backend_scan(&infos, &count, &err) != PAIL_OK)
    return cli_fail(c, NULL, err);
  json_t *list = json_array();
  size_t broken = 0;
  for (size_t i = 0; i < count; i++) {
    const pail_backend_info *b = &infos[i];
    json_t *caps = capabilities_json(b->capabilities);
    if (b->error != NULL) {
      broken++;
      fprintf(stderr, "pail: backends: %s: %s\n", b->path ? b->path : b->type,
              b->error);
    }
    if (c->json) {
      char abi[32];
      snprintf(abi, sizeof abi, "%u.%u", PAIL_ABI_MAJOR_OF(b->abi_version),
               PAIL_ABI_MINOR_OF(b->abi_version));
      json_array_append_new(
          list, json_pack("{s:s, s:s?, s:s?, s:s?, s:O, s:s?}", "type", b->type,
                          "path", b->path, "version", b->version, "abi",
                          b->error ? NULL : abi, "capabilities", caps, "error",
                          b->error));
    } else if (b->error == NULL) {
      char *names = NULL;
      size_t length = 0;
      FILE *out = open_memstream(&names, &length);
      for (size_t k = 0; out && k < json_array_size(caps); k++)
        fprintf(out, "%s%s", k ? "," : "",
                json_string_value(json_array_get(caps, k)));
      if (out)
        fclose(out);
      printf("%-12s %-10s abi %u.%-4u %-60s %s\n", b->type,
             b->version ? b->version : "-", PAIL_ABI_MAJOR_OF(b->abi_version),
             PAIL_ABI_MINOR_OF(b->abi_version), names && *names ? names : "-",
             b->path ? b->path : "(built in)");
      free(names);
    }
    json_decref(caps);
  }
  if (c->json)
    rc = cli_emit_json(json_pack("{s:o}", "backends", list));
  else
    json_decref(list);
  pail_backend_info_free(infos, count);
  /* A plugin that does not load is worth a failing status: it is what a user
   * runs this command to find. */
  return broken > 0 ? EXIT_FAILED : rc;
}

/* --------------------------------------------------------------- config */

static int run_config(cli *c, const command *cmd, int argc, char **argv) {
  int first,
      rc = cli_parse_options(c, cmd, argc, argv, "", NULL, NULL, NULL, &first);
  if (rc == EXIT_OK)
    rc = want_operands(c, argc - first, 1, 1);
  if (rc != EXIT_OK)
    return rc == -1 ? EXIT_OK : rc;
  if (strcmp(argv[first], "check") != 0)
    return cli_usage_error(c, "unknown subcommand '%s' (there is: check)",
                           argv[first]);
  pail_workspace *ws = cli_workspace(c);
  if (ws == NULL)
    return EXIT_FAILED;
  json_t *storages = json_array();
  size_t failures = 0, count = pail_workspace_storage_count(ws);
  if (!c->json)
    printf("settings: %s\n", pail_workspace_source(ws));
  /* Each storage's outcome once, in the report on stdout; stderr only
   * says that some failed. */
  for (size_t i = 0; i < count; i++) {
    const char *name = pail_workspace_storage_name(ws, i);
    const char *type = pail_workspace_storage_type(ws, i);
    pail_error *err = NULL;
    pail_status status = pail_workspace_probe_storage(ws, name, &err);
    if (status != PAIL_OK)
      failures++;
    if (c->json) {
      json_array_append_new(
          storages, json_pack("{s:s?, s:s, s:b, s:o?}", "name", name, "type",
                              type, "ok", status == PAIL_OK, "error",
                              err ? cli_error_json(err) : NULL));
    } else {
      printf("%s (%s): ", name ? name : "primary", type);
      if (status == PAIL_OK)
        fputs("ok", stdout);
      else
        cli_print_error(stdout, err);
      putchar('\n');
    }
    pail_error_free(err);
  }
  if (c->json)
    rc = cli_emit_json(json_pack("{s:s, s:o}", "source",
                                 pail_workspace_source(ws), "storages",
                                 storages));
  else
    json_decref(storages);
  if (failures > 0) {
    fprintf(stderr, "pail: config: %zu of %zu storages failed the check\n",
            failures, count);
    return EXIT_FAILED;
  }
  return rc;
}

/* ---------------------------------------------------------------- table */

const command cli_commands[] = {
    {"put", "put LOCAL|- PTR", "upload a file (or stdin); prints the pointer",
     "\nStreams LOCAL (- for standard input) to the object PTR. A PTR ending "
     "in\n"
     "'/' is a folder: LOCAL's base name is appended. Nothing is visible "
     "under\n"
     "the key until the upload is complete; a failed upload leaves the old\n"
     "object (or none). Prints the new object's pointer.\n\n"
     "Options:\n" WRITE_HELP,
     run_put},
    {"get", "get PTR LOCAL|-", "download an object to a file (or stdout)",
     "\nStreams the object to LOCAL (- for standard output; a directory\n"
     "receives the key's base name). LOCAL appears only when the download is\n"
     "complete; on failure nothing is left behind and an existing LOCAL is\n"
     "untouched.\n\n"
     "Options:\n"
     "      --offset N   start at byte N\n"
     "      --length N   read at most N bytes\n",
     run_get},
    {"cat", "cat PTR", "print an object on stdout (= get PTR -)",
     "\nOptions:\n"
     "      --offset N   start at byte N\n"
     "      --length N   read at most N bytes\n",
     run_cat},
    {"ls", "ls [PREFIX] [-r]", "list folders and objects under a prefix",
     "\nLists one level under PREFIX (folders as DIR), or every object with "
     "-r.\n"
     "The prefix is matched byte for byte: 'a/' lists folder a, 'a' also\n"
     "matches 'ab'. Columns: last modified (UTC), size, key.\n\n"
     "Options:\n"
     "  -r, --recursive     every object under PREFIX, no folders\n"
     "      --page-size N   keys fetched per request (default: the "
     "backend's)\n",
     run_ls},
    {"stat", "stat PTR", "size, last modified, etag, content type, metadata",
     "", run_stat},
    {"rm", "rm [-r] [-f] PTR...", "delete objects (or folders with -r)",
     "\nDeletes each PTR. Every operand is checked before anything is "
     "deleted;\n"
     "a failure on one does not stop the others (exit 1 at the end).\n\n"
     "Options:\n"
     "  -r, --recursive   PTR is a folder: delete every object under it\n"
     "  -f, --force       a missing object is not an error\n",
     run_rm},
    {"cp", "cp SRC DST", "copy an object (server-side within a storage)",
     "\nCopies SRC to DST: server-side when both are in one storage whose\n"
     "backend copies, streamed through this process otherwise. A DST ending\n"
     "in '/' receives SRC's base name. Prints the new object's pointer.\n\n"
     "Options:\n" WRITE_HELP,
     run_cp},
    {"sign", "sign PTR [--method M] [--expires S]",
     "print a presigned URL (or a workspace-signed grant)",
     "\nPrints a URL that grants METHOD on the object until it expires, for\n"
     "backends that presign; others (fs) answer with a pointer carrying a\n"
     "workspace-signed grant (\"presigned\" field) that allows reading.\n\n"
     "Options:\n"
     "      --method M          GET (default), PUT, HEAD or DELETE\n"
     "      --expires S         seconds until it expires (default 3600; at\n"
     "                          most 604800, seven days)\n"
     "      --at TIME           signing time: RFC 3339, 20060102T150405Z or\n"
     "                          epoch seconds; makes the URL reproducible\n"
     "      --header 'N: v'     a header the request must send; repeatable\n"
     "      --query name=value  a query parameter to add and sign; "
     "repeatable\n",
     run_sign},
    {"mb", "mb [STORAGE]", "create the storage's bucket or container",
     "\nCreates the bucket, container or root directory of STORAGE (a name or\n"
     "s3://name; default: --storage, else the primary). Succeeds quietly when\n"
     "it already exists and is yours.\n",
     run_mb},
    {"backends", "backends", "list plugins, versions and capabilities",
     "\nLists every backend plugin found on $PAIL_PLUGIN_PATH and in the\n"
     "install directory, with its version, ABI and capabilities. A plugin\n"
     "that fails to load is reported on stderr and makes the exit status 1.\n",
     run_backends},
    {"preview", "preview PTR [--rows N] [--bytes N]",
     "what an object is, and the start of it",
     "\nDetects the object's format from its first bytes and its name and\n"
     "shows the start of it: CSV and TSV as a table, JSON pretty-printed,\n"
     "NDJSON records, text lines, Parquet's schema, row count, row groups and\n"
     "column statistics (read from the footer), an image's type and size.\n"
     "Binary content is described, not printed. Only ranged reads: the head\n"
     "for text, the footer for Parquet. --json prints the document of\n"
     "docs/preview.md.\n\n"
     "Options:\n"
     "      --rows N    rows, records or lines shown (default 20)\n"
     "      --bytes N   bytes read from the head (default 65536)\n",
     cli_run_preview},
    {"settings", "settings duckdb|polars|boto3",
     "how DuckDB, Polars or boto3 read a storage directly",
     "\nPrints the settings that let a data tool read the storage (--storage,\n"
     "else the primary) directly: for duckdb, SQL statements (a CREATE SECRET\n"
     "for httpfs, or for azure with a connection string); for polars, the\n"
     "storage_options JSON object; for boto3, the JSON object of\n"
     "boto3.client(\"s3\", **args). The output holds the storage's\n"
     "credentials, as pail resolved them: from the settings, the environment\n"
     "(AWS_*, AZURE_STORAGE_*, GOOGLE_APPLICATION_CREDENTIALS) or profile\n"
     "files (~/.aws/credentials). fs and mem storages, a tool that cannot\n"
     "reach the storage's provider, and credentials that cannot be handed\n"
     "out (a gcloud user login) fail (exit 1).\n",
     cli_run_settings},
    {"cleanup", "cleanup [STORAGE] [--older-than D] [--dry-run]",
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
     cli_run_cleanup},
    {"config", "config check", "load the settings and reach every storage",
     "\nLoads the settings, opens every storage (loading its plugin, checking\n"
     "its fields, resolving credentials), then reaches it with the cheapest\n"
     "read it offers (a listing of at most one key; for fs, its root), so\n"
     "that a dead endpoint, a missing bucket, container or root, or refused\n"
     "credentials show. Prints one line per storage, \"ok\" or its error\n"
     "(category, message, HTTP status, provider code); exit 1 when any\n"
     "storage fails. Access rules are not applied.\n",
     run_config},
    {"serve", "serve [--listen HOST:PORT] [--token T]",
     "browse the storages in a web page (the explorer)",
     "\nServes the explorer, a web page and a JSON API over the workspace, on\n"
     "HOST:PORT (default 127.0.0.1:8080; port 0: any free port) until\n"
     "interrupted. Prints the URL with a random access token; every API call\n"
     "needs the token. --storage picks the storage shown first.\n\n"
     "Options:\n"
     "      --listen HOST:PORT  address to listen on (an IP address or\n"
     "                          localhost; default 127.0.0.1:8080)\n"
     "      --token T           the access token (default: $PAIL_SERVE_TOKEN,\n"
     "                          else 32 random bytes in hex)\n"
     "      --max-upload SIZE   largest upload accepted (suffix K, M, G, T;\n"
     "                          default 5G)\n",
     run_serve},
    {NULL, NULL, NULL, NULL, NULL},
};
