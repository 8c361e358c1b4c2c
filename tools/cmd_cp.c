/*
 * cmd_cp.c: `pail cp SRC DST`: copies an object with pail_copy()
 * (server-side within a storage whose backend copies) and prints the new
 * object's pointer.
 */
#include "cli.h"
#include "commands.h"

#include <stdbool.h>

static int run_cp(cli *c, const command *cmd, int argc, char **argv) {
  write_state w = {.options = PAIL_WRITE_OPTIONS_INIT};
  int first, rc = write_command_parse(c, cmd, argc, argv, &w, &first);
  if (rc != EXIT_OK)
    return rc;
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

const command cli_cmd_cp = {
    "cp", "cp SRC DST", "copy an object (server-side within a storage)",
    "\nCopies SRC to DST: server-side when both are in one storage whose\n"
    "backend copies, streamed through this process otherwise. A DST ending\n"
    "in '/' receives SRC's base name. Prints the new object's pointer.\n\n"
    "Options:\n" WRITE_HELP,
    run_cp};
