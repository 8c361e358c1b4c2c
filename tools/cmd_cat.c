/*
 * cmd_cat.c: `pail cat PTR`: an object on standard output, the same as
 * `pail get PTR -` (cmd_get.c).
 */
#include "cli.h"
#include "commands.h"

static int run_cat(cli *c, const command *cmd, int argc, char **argv) {
  return cli_read_object(c, cmd, argc, argv, true);
}

const command cli_cmd_cat = {"cat", "cat PTR",
                             "print an object on stdout (= get PTR -)",
                             "\nOptions:\n"
                             "      --offset N   start at byte N\n"
                             "      --length N   read at most N bytes\n",
                             run_cat};
