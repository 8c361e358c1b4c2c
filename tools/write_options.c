/*
 * write_options.c: the options that `pail put` and `pail cp` share
 * (--content-type, --content-disposition, --no-clobber, --metadata), parsed
 * into pail_write_options, with their two operands.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  OPT_CONTENT_TYPE = OPT_COMMAND_BASE,
  OPT_CONTENT_DISPOSITION,
  OPT_NO_CLOBBER,
  OPT_METADATA
};

static const struct option write_long_options[] = {
    {"content-type", required_argument, NULL, OPT_CONTENT_TYPE},
    {"content-disposition", required_argument, NULL, OPT_CONTENT_DISPOSITION},
    {"no-clobber", no_argument, NULL, OPT_NO_CLOBBER},
    {"metadata", required_argument, NULL, OPT_METADATA},
    {NULL, 0, NULL, 0},
};

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
    return cli_string_list_add(&w->metadata, arg);
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

void write_state_free(write_state *w) {
  free(w->metadata.items);
  free(w->entries);
}

int write_command_parse(cli *c, const command *cmd, int argc, char **argv,
                        write_state *w, int *first) {
  int rc = cli_parse_options(c, cmd, argc, argv, "", write_long_options,
                             write_option, w, first);
  if (rc == EXIT_OK)
    rc = cli_want_operands(c, argc - *first, 2, 2);
  if (rc == EXIT_OK)
    rc = write_state_finish(w);
  if (rc != EXIT_OK) {
    write_state_free(w);
    return rc;
  }
  return EXIT_OK;
}
