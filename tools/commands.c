/*
 * commands.c: the command table: every command of `pail`, in the order
 * `pail --help` lists them. Each is defined in its own tools/cmd_NAME.c.
 */
#include "commands.h"

#include <stddef.h>

const command *const cli_commands[] = {
    &cli_cmd_put,
    &cli_cmd_get,
    &cli_cmd_cat,
    &cli_cmd_ls,
    &cli_cmd_stat,
    &cli_cmd_rm,
    &cli_cmd_cp,
    &cli_cmd_sign,
    &cli_cmd_mb,
    &cli_cmd_backends,
    &cli_cmd_preview,
    &cli_cmd_settings,
    &cli_cmd_cleanup,
    &cli_cmd_config,
    &cli_cmd_serve,
    &cli_cmd_credentials,
    NULL,
};
