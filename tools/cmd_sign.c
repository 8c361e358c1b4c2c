/*
 * cmd_sign.c: `pail sign PTR`: a presigned URL (or, for backends that do
 * not presign, a pointer carrying a workspace-signed grant) from
 * pail_sign().
 */
#define _GNU_SOURCE
#include "cli.h"
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  OPT_METHOD = OPT_COMMAND_BASE,
  OPT_EXPIRES,
  OPT_AT,
  OPT_HEADER,
  OPT_QUERY
};

typedef struct sign_state {
  pail_sign_options options;
  cli_string_list headers, query;
} sign_state;

static int sign_option(cli *c, void *state, int option, const char *arg) {
  sign_state *s = state;
  switch (option) {
  case OPT_METHOD:
    if (strcmp(arg, "GET") != 0 && strcmp(arg, "PUT") != 0 &&
        strcmp(arg, "HEAD") != 0 && strcmp(arg, "DELETE") != 0)
      return cli_usage_error(c,
                             "--method wants GET, PUT, HEAD or DELETE, "
                             "not \"%s\"",
                             arg);
    s->options.method = arg;
    return EXIT_OK;
  case OPT_EXPIRES:
    return cli_parse_expires(c, arg, &s->options.expires);
  case OPT_AT: {
    pail_error *err = NULL;
    if (pail_time_parse(arg, &s->options.at, &err) != PAIL_OK) {
      int rc = cli_usage_error(c, "--at: %s", pail_error_message(err));
      pail_error_free(err);
      return rc;
    }
    return EXIT_OK;
  }
  case OPT_HEADER:
    if (strchr(arg, ':') == NULL || arg[0] == ':')
      return cli_usage_error(c, "--header wants 'Name: value', not \"%s\"",
                             arg);
    return cli_string_list_add(&s->headers, arg);
  case OPT_QUERY:
    if (strchr(arg, '=') == NULL || arg[0] == '=')
      return cli_usage_error(c, "--query wants name=value, not \"%s\"", arg);
    return cli_string_list_add(&s->query, arg);
  default:
    return EXIT_USAGE;
  }
}

static int run_sign(cli *c, const command *cmd, int argc, char **argv) {
  static const struct option options[] = {
      {"method", required_argument, NULL, OPT_METHOD},
      {"expires", required_argument, NULL, OPT_EXPIRES},
      {"at", required_argument, NULL, OPT_AT},
      {"header", required_argument, NULL, OPT_HEADER},
      {"query", required_argument, NULL, OPT_QUERY},
      {NULL, 0, NULL, 0},
  };
  sign_state s = {.options = PAIL_SIGN_OPTIONS_INIT};
  int first, rc = cli_parse_options(c, cmd, argc, argv, "", options,
                                    sign_option, &s, &first);
  if (rc == EXIT_OK)
    rc = cli_want_operands(c, argc - first, 1, 1);
  pail_pointer *p = rc == EXIT_OK ? cli_pointer(c, argv[first], false) : NULL;
  if (rc == EXIT_OK && p == NULL)
    rc = EXIT_USAGE;
  pail_workspace *ws = p ? cli_workspace(c) : NULL;
  if (p != NULL && ws == NULL)
    rc = EXIT_FAILED;
  if (ws != NULL) {
    s.options.headers = s.headers.items;
    s.options.header_count = s.headers.count;
    s.options.query = s.query.items;
    s.options.query_count = s.query.count;
    pail_signature signature = {0};
    pail_error *err = NULL;
    if (pail_sign(ws, p, &s.options, &signature, &err) != PAIL_OK) {
      rc = cli_fail(c, p->key, err);
    } else {
      char when[32];
      cli_format_time(signature.expires_at, when, sizeof when);
      if (c->json && signature.url != NULL)
        rc = cli_emit_json(
            json_pack("{s:s, s:s}", "url", signature.url, "expires_at", when));
      else if (c->json)
        rc = cli_emit_json(json_pack("{s:o, s:s}", "pointer",
                                     cli_pointer_json(signature.grant),
                                     "expires_at", when));
      else if (signature.url != NULL)
        rc = puts(signature.url) >= 0 ? EXIT_OK : EXIT_FAILED;
      else
        rc = cli_print_pointer(signature.grant);
      pail_signature_clear(&signature);
    }
  }
  pail_pointer_free(p);
  free(s.headers.items);
  free(s.query.items);
  return rc;
}

const command cli_cmd_sign = {
    "sign", "sign PTR [--method M] [--expires S]",
    "print a presigned URL (or a workspace-signed grant)",
    "\nPrints a URL that grants METHOD on the object until it expires, for\n"
    "backends that presign; others (fs) answer with a pointer carrying a\n"
    "workspace-signed grant (\"presigned\" field) that allows reading.\n\n"
    "Options:\n"
    "      --method M          GET (default), PUT, HEAD or DELETE\n"
    "      --expires S         seconds until it expires (default 3600; at\n"
    "                          most 604800, seven days)\n"
    "      --at TIME           signing time: RFC 3339, 20060102T150405Z or\n"
    "                          epoch seconds; makes the URL reproducible\n"
    "      --header 'N: v'     a header the request must send; repeatable\n"
    "      --query name=value  a query parameter to add and sign; "
    "repeatable\n",
    run_sign};
