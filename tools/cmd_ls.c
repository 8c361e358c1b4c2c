/*
 * cmd_ls.c: `pail ls [PREFIX] [-r]`: one level of folders and objects
 * under a prefix (or every object with -r), printed page by page as
 * pail_list() returns them.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "commands.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

enum { OPT_PAGE_SIZE = OPT_COMMAND_BASE };

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
  if (!cli_parse_count(arg, &value) || value == 0 || value > 100000)
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

/* Writes one value of the streamed JSON document to stdout, compact and
 * ASCII as cli_emit_json writes whole documents, and releases it. */
static void print_json_part(json_t *value) {
  json_dumpf(value, stdout, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
  json_decref(value);
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
    rc = cli_want_operands(c, argc - first, 0, 1);
  if (rc != EXIT_OK)
    return rc;
  pail_pointer *prefix = cli_pointer(c, first < argc ? argv[first] : "", true);
  if (prefix == NULL)
    return EXIT_USAGE;
  pail_workspace *ws = cli_workspace(c);
  if (ws == NULL) {
    pail_pointer_free(prefix);
    return EXIT_FAILED;
  }
  /* Page by page, printing as pages arrive: a listing of millions of keys
   * never sits in memory. The JSON document is streamed the same way:
   * {"storage":..., "prefix":..., "entries":[...]} and, after a failure,
   * "error":{...}; jansson encodes every value, the framing is written
   * around them as the pages come. */
  if (c->json) {
    fputs("{\"storage\":", stdout);
    print_json_part(prefix->storage ? json_string(prefix->storage)
                                    : json_null());
    fputs(",\"prefix\":", stdout);
    print_json_part(json_string(prefix->key));
    fputs(",\"entries\":[", stdout);
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
        if (printed++ > 0)
          fputc(',', stdout);
        print_json_part(cli_info_json(&page.entries[i]));
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
      fputs("],\"error\":", stdout);
      print_json_part(cli_error_json(err));
      fputs("}\n", stdout);
    }
    pail_error_free(err);
    rc = EXIT_FAILED;
  } else if (c->json) {
    printf("]}\n");
  }
  pail_pointer_free(prefix);
  return rc;
}

const command cli_cmd_ls = {
    "ls", "ls [PREFIX] [-r]", "list folders and objects under a prefix",
    "\nLists one level under PREFIX (folders as DIR), or every object with "
    "-r.\n"
    "The prefix is matched byte for byte: 'a/' lists folder a, 'a' also\n"
    "matches 'ab'. Columns: last modified (UTC), size, key.\n\n"
    "Options:\n"
    "  -r, --recursive     every object under PREFIX, no folders\n"
    "      --page-size N   keys fetched per request (default: the "
    "backend's)\n",
    run_ls};
