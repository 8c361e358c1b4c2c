/*
 * cmd_stat.c: `pail stat PTR`: an object's size, last modified time, etag,
 * content type and metadata (pail_stat).
 */
#define _GNU_SOURCE
#include "cli.h"
#include "commands.h"

#include <inttypes.h>
#include <stdio.h>

static int run_stat(cli *c, const command *cmd, int argc, char **argv) {
  int first,
      rc = cli_parse_options(c, cmd, argc, argv, "", NULL, NULL, NULL, &first);
  if (rc == EXIT_OK)
    rc = cli_want_operands(c, argc - first, 1, 1);
  if (rc != EXIT_OK)
    return rc;
  pail_pointer *p = cli_pointer(c, argv[first], false);
  if (p == NULL)
    return EXIT_USAGE;
  pail_workspace *ws = cli_workspace(c);
  pail_object_info info;
  pail_error *err = NULL;
  if (ws == NULL) {
    rc = EXIT_FAILED;
  } else if (pail_stat(ws, p, &info, &err) != PAIL_OK) {
    rc = cli_fail(c, p->key, err);
  } else {
    if (c->json) {
      json_t *doc = cli_info_json(&info);
      json_object_set_new(doc, "pointer", cli_pointer_json(p));
      rc = cli_emit_json(doc);
    } else {
      char when[32];
      printf("key:                 %s\n", p->key);
      printf("storage:             %s\n",
             p->storage ? p->storage : "(primary)");
      printf("size:                %" PRIu64 "\n", info.size);
      printf("last modified:       %s\n",
             cli_format_time(info.last_modified, when, sizeof when));
      printf("etag:                %s\n", info.etag ? info.etag : "-");
      printf("content type:        %s\n",
             info.content_type ? info.content_type : "-");
      if (info.content_disposition != NULL)
        printf("content disposition: %s\n", info.content_disposition);
      for (size_t i = 0; i < info.metadata_count; i++)
        printf("metadata:            %s=%s\n", info.metadata[i].name,
               info.metadata[i].value);
    }
    pail_object_info_clear(&info);
  }
  pail_pointer_free(p);
  return rc;
}

const command cli_cmd_stat = {
    "stat", "stat PTR", "size, last modified, etag, content type, metadata", "",
    run_stat};
