/*
 * commands.h: the commands of `pail`, one per file: tools/cmd_NAME.c
 * defines cli_cmd_NAME, the command's name, help and entry point. The
 * table (commands.c) lists them; main (pail.c) dispatches to them. Also
 * what two commands share: the write options of put and cp, the reading
 * that cat shares with get.
 */
#ifndef PAIL_TOOLS_COMMANDS_H
#define PAIL_TOOLS_COMMANDS_H

#include "cli.h"

extern const command cli_cmd_put;
extern const command cli_cmd_get;
extern const command cli_cmd_cat;
extern const command cli_cmd_ls;
extern const command cli_cmd_stat;
extern const command cli_cmd_rm;
extern const command cli_cmd_cp;
extern const command cli_cmd_sign;
extern const command cli_cmd_mb;
extern const command cli_cmd_backends;
extern const command cli_cmd_preview;
extern const command cli_cmd_settings;
extern const command cli_cmd_cleanup;
extern const command cli_cmd_config;
extern const command cli_cmd_serve;
extern const command cli_cmd_credentials;

/* The commands in the order of `pail --help`, ended by NULL. */
extern const command *const cli_commands[];

/* ------------------------------------------- write options (put and cp) */

/* The write options as given; the metadata entries point into argv. */
typedef struct write_state {
  pail_write_options options;
  cli_string_list metadata; /* "name=value" as given */
  pail_metadata_entry *entries;
} write_state;

/* Parses the options and the two operands of put and cp into w, which the
 * caller initialised with PAIL_WRITE_OPTIONS_INIT. Returns EXIT_OK (the
 * caller then frees w with write_state_free), or the exit status to return
 * (EXIT_HELP included), w already released. */
int write_command_parse(cli *c, const command *cmd, int argc, char **argv,
                        write_state *w, int *first);
/* Frees what write_command_parse allocated; w itself is the caller's. */
void write_state_free(write_state *w);

/* The help lines of the write options, for put's and cp's help. */
#define WRITE_HELP                                                             \
  "      --content-type TYPE         content type (default: from the key's\n"  \
  "                                  extension, else the backend's)\n"         \
  "      --content-disposition TEXT  content disposition\n"                    \
  "      --no-clobber                fail (exit 1) if the object exists\n"     \
  "      --metadata NAME=VALUE       user metadata; repeatable\n"

/* ------------------------------------------------------- get and cat */

/* Runs `get PTR LOCAL|-` or, with to_stdout, `cat PTR` (the same with
 * LOCAL "-"): parses the options (--offset, --length) and operands, then
 * streams the object. Returns the command's exit status. */
int cli_read_object(cli *c, const command *cmd, int argc, char **argv,
                    bool to_stdout);

#endif /* PAIL_TOOLS_COMMANDS_H */
