/*
 * cmd_config.c: `pail config check`: loads the settings and reaches every
 * storage (pail_workspace_probe_storage), one line of outcome each.
 */
#include "cli.h"
#include "commands.h"

#include <stdio.h>
#include <string.h>

static int run_config(cli *c, const command *cmd, int argc, char **argv) {
  int first,
      rc = cli_parse_options(c, cmd, argc, argv, "", NULL, NULL, NULL, &first);
  if (rc == EXIT_OK)
    rc = cli_want_operands(c, argc - first, 1, 1);
  if (rc != EXIT_OK)
    return rc;
  if (strcmp(argv[first], "check") != 0)
    return cli_usage_error(c, "unknown subcommand '%s' (there is: check)",
                           argv[first]);
  pail_workspace *ws = cli_workspace(c);
  if (ws == NULL)
    return EXIT_FAILED;
  json_t *storages = json_array();
  size_t failures = 0, count = pail_workspace_storage_count(ws);
  if (!c->json)
    printf("settings: %s\n", pail_workspace_source(ws));
  /* Each storage's outcome once, in the report on stdout; stderr only
   * says that some failed. */
  for (size_t i = 0; i < count; i++) {
    const char *name = pail_workspace_storage_name(ws, i);
    const char *type = pail_workspace_storage_type(ws, i);
    pail_error *err = NULL;
    pail_status status = pail_workspace_probe_storage(ws, name, &err);
    if (status != PAIL_OK)
      failures++;
    if (c->json) {
      json_array_append_new(
          storages, json_pack("{s:s?, s:s, s:b, s:o?}", "name", name, "type",
                              type, "ok", status == PAIL_OK, "error",
                              err ? cli_error_json(err) : NULL));
    } else {
      printf("%s (%s): ", name ? name : "primary", type);
      if (status == PAIL_OK)
        fputs("ok", stdout);
      else
        cli_print_error(stdout, err);
      putchar('\n');
    }
    pail_error_free(err);
  }
  if (c->json)
    rc = cli_emit_json(json_pack("{s:s, s:o}", "source",
                                 pail_workspace_source(ws), "storages",
                                 storages));
  else
    json_decref(storages);
  if (failures > 0) {
    fprintf(stderr, "pail: config: %zu of %zu storages failed the check\n",
            failures, count);
    return EXIT_FAILED;
  }
  return rc;
}

const command cli_cmd_config = {
    "config", "config check", "load the settings and reach every storage",
    "\nLoads the settings, opens every storage (loading its plugin, checking\n"
    "its fields, resolving credentials), then reaches it with the cheapest\n"
    "read it offers (a listing of at most one key; for fs, its root), so\n"
    "that a dead endpoint, a missing bucket, container or root, or refused\n"
    "credentials show. Prints one line per storage, \"ok\" or its error\n"
    "(category, message, HTTP status, provider code); exit 1 when any\n"
    "storage fails. Access rules are not applied.\n",
    run_config};
