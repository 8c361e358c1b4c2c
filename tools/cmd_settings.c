/*
 * cmd_settings.c: `pail settings duckdb|polars|boto3`: what
 * pail_settings_export_with() gives for the storage of --storage (else the
 * primary), directly or through an S3 gateway (--gateway), printed as it
 * is: SQL for DuckDB, JSON for Polars and boto3.
 */
#include "cli.h"
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_GATEWAY = OPT_COMMAND_BASE, OPT_EXPIRES };

typedef struct settings_state {
  pail_settings_options options;
  pail_credentials_options credentials;
} settings_state;

static int settings_option(cli *c, void *state, int option, const char *arg) {
  settings_state *s = state;
  switch (option) {
  case OPT_GATEWAY:
    s->options.gateway = arg;
    return EXIT_OK;
  case OPT_EXPIRES:
    return cli_parse_expires(c, arg, &s->credentials.expires);
  default:
    return EXIT_USAGE;
  }
}

static int run_settings(cli *c, const command *cmd, int argc, char **argv) {
  static const struct option options[] = {
      {"gateway", required_argument, NULL, OPT_GATEWAY},
      {"expires", required_argument, NULL, OPT_EXPIRES},
      {NULL, 0, NULL, 0},
  };
  settings_state s = {.options = PAIL_SETTINGS_OPTIONS_INIT,
                      .credentials = PAIL_CREDENTIALS_OPTIONS_INIT};
  s.options.credentials = &s.credentials;
  int first, rc = cli_parse_options(c, cmd, argc, argv, "", options,
                                    settings_option, &s, &first);
  if (rc != EXIT_OK)
    return rc;
  if (argc - first != 1)
    return cli_usage_error(c, argc - first < 1
                                  ? "missing operand (duckdb, polars or boto3)"
                                  : "too many operands");
  const char *tool = argv[first];
  if (strcmp(tool, "duckdb") != 0 && strcmp(tool, "polars") != 0 &&
      strcmp(tool, "boto3") != 0)
    return cli_usage_error(c,
                           "unknown tool '%s' (there are: duckdb, polars, "
                           "boto3)",
                           tool);
  pail_workspace *ws = cli_workspace(c);
  if (ws == NULL)
    return EXIT_FAILED;
  char *text = NULL;
  pail_error *err = NULL;
  if (s.credentials.expires != 0 && s.options.gateway == NULL)
    return cli_usage_error(c, "--expires goes with --gateway");
  if (pail_settings_export_with(ws, c->storage, tool, &s.options, &text,
                                &err) != PAIL_OK)
    return cli_fail(c, c->storage ? c->storage : "primary storage", err);
  if (c->json && strcmp(tool, "duckdb") == 0) {
    rc = cli_emit_json(json_pack("{s:s}", "sql", text));
  } else {
    fputs(text, stdout);
    if (*text && text[strlen(text) - 1] != '\n')
      fputc('\n', stdout);
    rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILED;
  }
  free(text);
  return rc;
}

const command cli_cmd_settings = {
    "settings", "settings duckdb|polars|boto3 [--gateway URL [--expires S]]",
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
    "out (a gcloud user login) fail (exit 1).\n\n"
    "With --gateway URL (a `pail serve --s3-listen` address), the settings\n"
    "point the tool at that gateway instead, for any storage, with keys\n"
    "minted for this storage alone (within --user's access rules) that\n"
    "expire after --expires seconds (default 3600): the tool never sees the\n"
    "storage's credentials.\n",
    run_settings};
