/*
 * cmd_settings.c: `pail settings duckdb|polars|boto3`: what
 * pail_settings_export() gives for the storage of --storage (else the
 * primary), printed as it is: SQL for DuckDB, JSON for Polars and boto3.
 */
#include "cli.h"
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run_settings(cli *c, const command *cmd, int argc, char **argv) {
  int first,
      rc = cli_parse_options(c, cmd, argc, argv, "", NULL, NULL, NULL, &first);
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
  if (pail_settings_export(ws, c->storage, tool, &text, &err) != PAIL_OK)
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
    "settings", "settings duckdb|polars|boto3",
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
    run_settings};
