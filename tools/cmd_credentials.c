/*
 * cmd_credentials.c: `pail credentials`: mints access keys for the S3
 * gateway of `pail serve --s3-listen` (pail_credentials_mint): an access
 * key id and a secret that reach only the storages, prefixes and kinds of
 * access asked for, within the user's access rules, until they expire.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  OPT_EXPIRES = OPT_COMMAND_BASE,
  OPT_STORAGE_SCOPE,
  OPT_PREFIX,
  OPT_ALLOW,
  OPT_ENV
};

typedef struct credentials_state {
  pail_credentials_options options;
  pail_scope scope;
  cli_string_list storages, prefixes;
  bool env;
} credentials_state;

/* "read,list,write,delete" (any of them, in any order) as pail_access
 * bits; 0 for a word that is not one. */
static unsigned parse_allow(const char *text) {
  static const struct {
    const char *word;
    unsigned bit;
  } words[] = {{"read", PAIL_ACCESS_READ},
               {"write", PAIL_ACCESS_WRITE},
               {"delete", PAIL_ACCESS_DELETE},
               {"list", PAIL_ACCESS_LIST}};
  unsigned access = 0;
  for (const char *p = text;;) {
    size_t n = strcspn(p, ",");
    size_t i = 0;
    while (i < 4 &&
           (strlen(words[i].word) != n || strncmp(words[i].word, p, n) != 0))
      i++;
    if (i == 4)
      return 0;
    access |= words[i].bit;
    if (p[n] == '\0')
      return access;
    p += n + 1;
  }
}

static int credentials_option(cli *c, void *state, int option,
                              const char *arg) {
  credentials_state *s = state;
  switch (option) {
  case OPT_EXPIRES:
    return cli_parse_expires(c, arg, &s->options.expires);
  case OPT_STORAGE_SCOPE:
    return cli_string_list_add(&s->storages, arg);
  case OPT_PREFIX:
    return cli_string_list_add(&s->prefixes, arg);
  case OPT_ALLOW:
    s->scope.access = parse_allow(arg);
    if (s->scope.access == 0)
      return cli_usage_error(c,
                             "--allow wants read, write, delete and list "
                             "separated by commas, not \"%s\"",
                             arg);
    return EXIT_OK;
  case OPT_ENV:
    s->env = true;
    return EXIT_OK;
  default:
    return EXIT_USAGE;
  }
}

/* Prints the keys as the environment of an AWS client would hold them. */
static int print_env(const pail_credentials *keys, const char *when) {
  return printf("AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n"
                "# expires %s\n",
                keys->access_key_id, keys->secret_access_key, when) < 0
             ? EXIT_FAILED
             : EXIT_OK;
}

static int run_credentials(cli *c, const command *cmd, int argc, char **argv) {
  static const struct option options[] = {
      {"expires", required_argument, NULL, OPT_EXPIRES},
      {"storage", required_argument, NULL, OPT_STORAGE_SCOPE},
      {"prefix", required_argument, NULL, OPT_PREFIX},
      {"allow", required_argument, NULL, OPT_ALLOW},
      {"env", no_argument, NULL, OPT_ENV},
      {NULL, 0, NULL, 0},
  };
  credentials_state s = {.options = PAIL_CREDENTIALS_OPTIONS_INIT,
                         .scope = PAIL_SCOPE_INIT};
  int first, rc = cli_parse_options(c, cmd, argc, argv, "", options,
                                    credentials_option, &s, &first);
  if (rc == EXIT_OK)
    rc = cli_want_operands(c, argc - first, 0, 0);
  pail_workspace *ws = rc == EXIT_OK ? cli_workspace(c) : NULL;
  if (rc == EXIT_OK && ws == NULL)
    rc = EXIT_FAILED;
  if (ws != NULL) {
    s.scope.storages = s.storages.items;
    s.scope.storage_count = s.storages.count;
    s.scope.prefixes = s.prefixes.items;
    s.scope.prefix_count = s.prefixes.count;
    s.options.scope = &s.scope;
    pail_credentials keys = {0};
    pail_error *err = NULL;
    if (pail_credentials_mint(ws, &s.options, &keys, &err) != PAIL_OK) {
      rc = cli_fail(c, "credentials", err);
    } else {
      char when[32];
      cli_format_time(keys.expires_at, when, sizeof when);
      if (s.env)
        rc = print_env(&keys, when);
      else
        rc = cli_emit_json(json_pack(
            "{s:s, s:s, s:s}", "access_key_id", keys.access_key_id,
            "secret_access_key", keys.secret_access_key, "expires_at", when));
      pail_credentials_clear(&keys);
    }
  }
  free(s.storages.items);
  free(s.prefixes.items);
  return rc;
}

const command cli_cmd_credentials = {
    "credentials",
    "credentials [--expires S] [--storage NAME]... [--prefix P]... "
    "[--allow LIST] [--env]",
    "mint access keys for the S3 gateway (pail serve --s3-listen)",
    "\nPrints an access key id and a secret for the S3 gateway of\n"
    "`pail serve --s3-listen`, as JSON (default) or as AWS_* lines (--env).\n"
    "The keys reach only what they name, within the access rules of the\n"
    "user (--user), until they expire; no credential of a storage is in\n"
    "them. Every gateway whose settings have the same gateway keys (or\n"
    "workspace key) accepts them.\n\n"
    "Options:\n"
    "      --expires S      seconds until they expire (1 to 604800;\n"
    "                       default 3600)\n"
    "      --storage NAME   a bucket they reach (repeatable; _default_ is\n"
    "                       the primary; default: every storage)\n"
    "      --prefix P       keys they reach start with P (repeatable;\n"
    "                       default: every key)\n"
    "      --allow LIST     read, write, delete, list, comma-separated\n"
    "                       (default: all four)\n"
    "      --env            print AWS_ACCESS_KEY_ID= and\n"
    "                       AWS_SECRET_ACCESS_KEY= lines\n",
    run_credentials};
