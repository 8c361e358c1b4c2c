/*
 * cmd_put.c: `pail put LOCAL|- PTR`: uploads a file or standard input
 * with pail_upload() and prints the new object's pointer.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "commands.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
  int first, rc = write_command_parse(c, cmd, argc, argv, &w, &first);
  if (rc != EXIT_OK)
    return rc;
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

const command cli_cmd_put = {
    "put", "put LOCAL|- PTR", "upload a file (or stdin); prints the pointer",
    "\nStreams LOCAL (- for standard input) to the object PTR. A PTR ending "
    "in\n"
    "'/' is a folder: LOCAL's base name is appended. Nothing is visible "
    "under\n"
    "the key until the upload is complete; a failed upload leaves the old\n"
    "object (or none). Prints the new object's pointer.\n\n"
    "Options:\n" WRITE_HELP,
    run_put};
