/*
 * cmd_backends.c: `pail backends`: every plugin pail_backend_scan() finds,
 * with its version, ABI and capabilities; exit 1 when one fails to load.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>

static json_t *capabilities_json(uint64_t capabilities) {
  json_t *list = json_array();
  for (int bit = 0; bit < 64; bit++) {
    uint64_t mask = (uint64_t)1 << bit;
    const char *name =
        (capabilities & mask) ? pail_capability_name(mask) : NULL;
    if (name != NULL)
      json_array_append_new(list, json_string(name));
  }
  return list;
}

static int run_backends(cli *c, const command *cmd, int argc, char **argv) {
  int first,
      rc = cli_parse_options(c, cmd, argc, argv, "", NULL, NULL, NULL, &first);
  if (rc == EXIT_OK)
    rc = cli_want_operands(c, argc - first, 0, 0);
  if (rc != EXIT_OK)
    return rc;
  pail_backend_info *infos = NULL;
  size_t count = 0;
  pail_error *err = NULL;
  if (pail_backend_scan(&infos, &count, &err) != PAIL_OK)
    return cli_fail(c, NULL, err);
  json_t *list = json_array();
  size_t broken = 0;
  for (size_t i = 0; i < count; i++) {
    const pail_backend_info *b = &infos[i];
    json_t *caps = capabilities_json(b->capabilities);
    if (b->error != NULL) {
      broken++;
      fprintf(stderr, "pail: backends: %s: %s\n", b->path ? b->path : b->type,
              b->error);
    }
    if (c->json) {
      char abi[32];
      snprintf(abi, sizeof abi, "%u.%u", PAIL_ABI_MAJOR_OF(b->abi_version),
               PAIL_ABI_MINOR_OF(b->abi_version));
      json_array_append_new(
          list, json_pack("{s:s, s:s?, s:s?, s:s?, s:O, s:s?}", "type", b->type,
                          "path", b->path, "version", b->version, "abi",
                          b->error ? NULL : abi, "capabilities", caps, "error",
                          b->error));
    } else if (b->error == NULL) {
      char *names = NULL;
      size_t length = 0;
      FILE *out = open_memstream(&names, &length);
      for (size_t k = 0; out && k < json_array_size(caps); k++)
        fprintf(out, "%s%s", k ? "," : "",
                json_string_value(json_array_get(caps, k)));
      if (out)
        fclose(out);
      printf("%-12s %-10s abi %u.%-4u %-60s %s\n", b->type,
             b->version ? b->version : "-", PAIL_ABI_MAJOR_OF(b->abi_version),
             PAIL_ABI_MINOR_OF(b->abi_version), names && *names ? names : "-",
             b->path ? b->path : "(built in)");
      free(names);
    }
    json_decref(caps);
  }
  if (c->json)
    rc = cli_emit_json(json_pack("{s:o}", "backends", list));
  else
    json_decref(list);
  pail_backend_info_free(infos, count);
  /* A plugin that does not load is worth a failing status: it is what a user
   * runs this command to find. */
  return broken > 0 ? EXIT_FAILED : rc;
}

const command cli_cmd_backends = {
    "backends", "backends", "list plugins, versions and capabilities",
    "\nLists every backend plugin found on $PAIL_PLUGIN_PATH and in the\n"
    "install directory, with its version, ABI and capabilities. A plugin\n"
    "that fails to load is reported on stderr and makes the exit status 1.\n",
    run_backends};
