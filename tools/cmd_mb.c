/*
 * cmd_mb.c: `pail mb [STORAGE]`: creates a storage's bucket, container or
 * root directory (pail_create_container).
 */
#include "cli.h"
#include "commands.h"

#include <string.h>

static int run_mb(cli *c, const command *cmd, int argc, char **argv) {
  int first,
      rc = cli_parse_options(c, cmd, argc, argv, "", NULL, NULL, NULL, &first);
  if (rc == EXIT_OK)
    rc = cli_want_operands(c, argc - first, 0, 1);
  if (rc != EXIT_OK)
    return rc;
  /* The storage: an operand (NAME or s3://NAME), else --storage, else the
   * primary. */
  const char *storage = c->storage;
  if (first < argc) {
    storage = argv[first];
    if (strncmp(storage, "s3://", 5) == 0)
      storage += 5;
    size_t n = strlen(storage);
    if (n > 0 && storage[n - 1] == '/')
      n--;
    if (memchr(storage, '/', n) != NULL)
      return cli_usage_error(c, "mb takes a storage name, not an object");
    argv[first][(size_t)(storage - argv[first]) + n] = '\0';
  }
  if (storage != NULL &&
      (*storage == '\0' || strcmp(storage, "_default_") == 0))
    storage = NULL;
  pail_workspace *ws = cli_workspace(c);
  if (ws == NULL)
    return EXIT_FAILED;
  pail_error *err = NULL;
  if (pail_create_container(ws, storage, &err) != PAIL_OK)
    return cli_fail(c, storage, err);
  if (c->json)
    return cli_emit_json(
        json_pack("{s:s?, s:b}", "storage", storage, "ready", 1));
  return EXIT_OK;
}

const command cli_cmd_mb = {
    "mb", "mb [STORAGE]", "create the storage's bucket or container",
    "\nCreates the bucket, container or root directory of STORAGE (a name or\n"
    "s3://name; default: --storage, else the primary). Succeeds quietly when\n"
    "it already exists and is yours.\n",
    run_mb};
