/*
 * cmd_get.c: `pail get PTR LOCAL|-`: streams an object to a file
 * (pail_download) or to standard output (a pail_reader). `pail cat` is
 * `get PTR -` and runs the same code (cli_read_object).
 */
#define _GNU_SOURCE
#include "cli.h"
#include "commands.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STREAM_BUFFER_SIZE (1u << 20)

enum { OPT_OFFSET = OPT_COMMAND_BASE, OPT_LENGTH };

typedef struct read_state {
  pail_read_options options;
} read_state;

static int read_option(cli *c, void *state, int option, const char *arg) {
  read_state *r = state;
  uint64_t value;
  if (!cli_parse_count(arg, &value))
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

int cli_read_object(cli *c, const command *cmd, int argc, char **argv,
                    bool to_stdout) {
  read_state r = {.options = PAIL_READ_OPTIONS_INIT};
  int first, rc = cli_parse_options(c, cmd, argc, argv, "", read_long_options,
                                    read_option, &r, &first);
  if (rc == EXIT_OK)
    rc = cli_want_operands(c, argc - first, to_stdout ? 1 : 2,
                           to_stdout ? 1 : 2);
  if (rc != EXIT_OK)
    return rc;
  pail_pointer *p = cli_pointer(c, argv[first], false);
  if (p == NULL)
    return EXIT_USAGE;
  pail_workspace *ws = cli_workspace(c);
  const char *local = to_stdout ? "-" : argv[first + 1];
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
  return cli_read_object(c, cmd, argc, argv, false);
}

const command cli_cmd_get = {
    "get", "get PTR LOCAL|-", "download an object to a file (or stdout)",
    "\nStreams the object to LOCAL (- for standard output; a directory\n"
    "receives the key's base name). LOCAL appears only when the download is\n"
    "complete; on failure nothing is left behind and an existing LOCAL is\n"
    "untouched.\n\n"
    "Options:\n"
    "      --offset N   start at byte N\n"
    "      --length N   read at most N bytes\n",
    run_get};
