/*
 * pail.c: the `pail` command: global options, help, the dispatch to a
 * command, option parsing shared by the commands, and the workspace and
 * pointer helpers they use. The commands themselves are in cmd_NAME.c, one
 * per file, listed in commands.c.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "commands.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
  OPT_CONFIG = OPT_GLOBAL_BASE,
  OPT_STORAGE,
  OPT_JSON,
  OPT_QUIET,
  OPT_VERBOSE,
  OPT_USER,
  OPT_MAX_ATTEMPTS,
  OPT_HELP,
  OPT_VERSION
};

static const struct option global_options[] = {
    {"config", required_argument, NULL, OPT_CONFIG},
    {"storage", required_argument, NULL, OPT_STORAGE},
    {"json", no_argument, NULL, OPT_JSON},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"user", required_argument, NULL, OPT_USER},
    {"max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static const char global_help[] =
    "Global options (before or after the command):\n"
    "  -c, --config FILE    settings file (default: $PAIL_CONFIG, then\n"
    "                       $XDG_CONFIG_HOME/pail/workspace.json, then a "
    "local\n"
    "                       fs storage at $PAIL_HOME or ~/.local/share/pail)\n"
    "  -s, --storage NAME   storage for bare keys (default: the primary)\n"
    "      --user NAME      user name for {username} in access rules\n"
    "                       (default: $PAIL_USER)\n"
    "      --max-attempts N attempts per request on transient failures,\n"
    "                       1 (no retries) to 20 (default: each storage's\n"
    "                       maxAttempts, else 5)\n"
    "      --json           print one JSON document on stdout\n"
    "  -q, --quiet          print errors only; no progress\n"
    "  -v, --verbose        print what the library does (secrets redacted)\n"
    "  -h, --help           this help, or a command's with COMMAND --help\n"
    "      --version        print the version\n";

void cli_print_help(const command *cmd) {
  if (cmd != NULL) {
    printf("usage: pail [OPTIONS] %s\n\n%s\n%s\n%s", cmd->synopsis,
           cmd->summary, cmd->help, global_help);
    return;
  }
  printf(
      "usage: pail [OPTIONS] COMMAND [ARGS...]\n\n"
      "Reads and writes objects in a workspace's storages through pointers:\n"
      "  {\"s3\": \"a/b.csv\"}, {\"s3\": \"a/b.csv\", \"storage\": "
      "\"archive\"},\n"
      "  s3:///a/b.csv, s3://archive/a/b.csv, or a bare key a/b.csv.\n\n"
      "Commands:\n");
  for (const command *const *c = cli_commands; *c != NULL; c++)
    printf("  %-36s %s\n", (*c)->synopsis, (*c)->summary);
  printf(
      "\n%s\nExit status: 0 success, 1 the operation failed, 2 usage error.\n"
      "See pail(1) for more.\n",
      global_help);
}

const command *cli_command_find(const char *name) {
  for (const command *const *c = cli_commands; *c != NULL; c++)
    if (strcmp((*c)->name, name) == 0)
      return *c;
  return NULL;
}

/* Applies a global option; returns EXIT_OK, EXIT_HELP after --help or
 * --version, or EXIT_USAGE. */
static int global_option(cli *c, const command *cmd, int option,
                         const char *arg) {
  switch (option) {
  case 'c':
  case OPT_CONFIG:
    c->config = arg;
    break;
  case 's':
  case OPT_STORAGE:
    c->storage = arg;
    break;
  case OPT_JSON:
    c->json = true;
    break;
  case 'q':
  case OPT_QUIET:
    c->quiet = true;
    break;
  case 'v':
  case OPT_VERBOSE:
    c->verbose = true;
    break;
  case OPT_USER:
    c->user = arg;
    break;
  case OPT_MAX_ATTEMPTS: {
    char *end = NULL;
    long n = strtol(arg, &end, 10);
    if (end == arg || *end != '\0' || n < 1 || n > 20)
      return cli_usage_error(c,
                             "--max-attempts takes a number from 1 to 20, "
                             "not '%s'",
                             arg);
    c->max_attempts = (int)n;
    break;
  }
  case 'h':
  case OPT_HELP:
    cli_print_help(cmd);
    return EXIT_HELP;
  case OPT_VERSION:
    printf("pail %s\n", PAIL_VERSION_STRING);
    return EXIT_HELP;
  default:
    return EXIT_USAGE;
  }
  return EXIT_OK;
}

/* The option getopt stopped on, for the message. */
static int unknown_option(cli *c, char **argv) {
  if (optopt != 0 && optopt < 0x100)
    return cli_usage_error(c, "unknown option '-%c'", optopt);
  return cli_usage_error(c, "unknown option '%s'", argv[optind - 1]);
}

static int missing_argument(cli *c, char **argv) {
  if (optopt != 0 && optopt < 0x100)
    return cli_usage_error(c, "option '-%c' needs a value", optopt);
  return cli_usage_error(c, "option '%s' needs a value", argv[optind - 1]);
}

int cli_parse_options(cli *c, const command *cmd, int argc, char **argv,
                      const char *short_options,
                      const struct option *long_options, option_fn on_option,
                      void *state, int *first_operand) {
  /* The command's options, then the global ones, in one table. */
  size_t own = 0, globals = sizeof global_options / sizeof global_options[0];
  while (long_options != NULL && long_options[own].name != NULL)
    own++;
  struct option *all = calloc(own + globals, sizeof *all);
  char *shorts = NULL;
  if (all == NULL ||
      asprintf(&shorts, ":%sc:s:qvh", short_options ? short_options : "") < 0) {
    free(all);
    fputs("pail: out of memory\n", stderr);
    return EXIT_FAILED;
  }
  if (own > 0)
    memcpy(all, long_options, own * sizeof *all);
  memcpy(all + own, global_options, globals * sizeof *all);
  int rc = EXIT_OK, option;
  optind = 0; /* 0, not 1: glibc then also resets its permutation state */
  opterr = 0;
  while (rc == EXIT_OK &&
         (option = getopt_long(argc, argv, shorts, all, NULL)) != -1) {
    if (option == '?')
      rc = unknown_option(c, argv);
    else if (option == ':')
      rc = missing_argument(c, argv);
    else if ((option < 0x100 && strchr("csqvh", option) != NULL) ||
             (option >= OPT_GLOBAL_BASE && option < OPT_COMMAND_BASE))
      rc = global_option(c, cmd, option, optarg);
    else
      rc = on_option ? on_option(c, state, option, optarg) : EXIT_USAGE;
  }
  free(all);
  free(shorts);
  *first_operand = optind;
  c->progress = !c->quiet && isatty(STDERR_FILENO);
  return rc;
}

int cli_want_operands(cli *c, int have, int least, int most) {
  if (have < least)
    return cli_usage_error(c, "missing operand");
  if (most >= 0 && have > most)
    return cli_usage_error(c, "too many operands");
  return EXIT_OK;
}

int cli_parse_expires(cli *c, const char *text, int64_t *out) {
  uint64_t value;
  if (!cli_parse_count(text, &value) || value == 0 ||
      value > PAIL_SIGN_MAX_EXPIRES)
    return cli_usage_error(c,
                           "--expires wants 1 to %d seconds (7 days), not "
                           "\"%s\"",
                           PAIL_SIGN_MAX_EXPIRES, text);
  *out = (int64_t)value;
  return EXIT_OK;
}

bool cli_parse_count(const char *text, uint64_t *out) {
  if (text == NULL || *text < '0' || *text > '9')
    return false;
  errno = 0;
  char *end = NULL;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  *out = v;
  return true;
}

int cli_string_list_add(cli_string_list *list, const char *item) {
  const char **grown =
      realloc(list->items, (list->count + 1) * sizeof *list->items);
  if (grown == NULL) {
    fputs("pail: out of memory\n", stderr);
    return EXIT_FAILED;
  }
  list->items = grown;
  list->items[list->count++] = item;
  return EXIT_OK;
}

/* ------------------------------------------------------------ workspace */

static void log_to_stderr(void *user_data, pail_log_level level,
                          const char *message) {
  (void)user_data;
  static const char *names[] = {"error", "warning", "info", "debug"};
  fprintf(stderr, "pail: %s: %s\n", names[level <= PAIL_LOG_DEBUG ? level : 0],
          message);
}

pail_workspace *cli_workspace(cli *c) {
  if (c->workspace != NULL)
    return c->workspace;
  pail_options options = PAIL_OPTIONS_INIT;
  options.username = c->user;
  options.max_attempts = c->max_attempts;
  options.log = log_to_stderr;
  options.log_level = c->verbose ? PAIL_LOG_DEBUG
                      : c->quiet ? PAIL_LOG_ERROR
                                 : PAIL_LOG_WARNING;
  pail_error *err = NULL;
  if (pail_workspace_open(c->config, &options, &c->workspace, &err) !=
      PAIL_OK) {
    cli_fail(c, "cannot load the settings", err);
    return NULL;
  }
  if (c->verbose)
    fprintf(stderr, "pail: settings from %s\n",
            pail_workspace_source(c->workspace));
  return c->workspace;
}

pail_pointer *cli_pointer(cli *c, const char *text, bool prefix) {
  pail_pointer *p = NULL;
  pail_error *err = NULL;
  pail_status status =
      prefix ? pail_pointer_parse_prefix(text, c->storage, &p, &err)
             : pail_pointer_parse(text, c->storage, &p, &err);
  if (status != PAIL_OK) {
    cli_fail(c, NULL, err);
    return NULL;
  }
  return p;
}

/* True when text names a folder: a key prefix ending in '/' ("dir/"), or a
 * storage's root in URI form (s3:///, s3://name, s3://name/). A bare "/" is
 * not a folder but an illegal key, refused as such. */
static bool names_folder(const char *text) {
  size_t n = strlen(text);
  if (strncmp(text, "s3://", 5) == 0)
    return text[n - 1] == '/' || strchr(text + 5, '/') == NULL;
  return n > 1 && text[n - 1] == '/';
}

pail_pointer *cli_destination(cli *c, const char *text, const char *source) {
  if (!names_folder(text))
    return cli_pointer(c, text, false);
  const char *base = strrchr(source, '/');
  base = base ? base + 1 : source;
  if (*base == '\0' || strcmp(source, "-") == 0) {
    cli_usage_error(c, "\"%s\" names a folder; give the object's full key",
                    text);
    return NULL;
  }
  pail_pointer *folder = cli_pointer(c, text, true);
  if (folder == NULL)
    return NULL;
  char *key = NULL;
  pail_pointer *p = NULL;
  pail_error *err = NULL;
  if (asprintf(&key, "%s%s", folder->key, base) < 0) {
    pail_pointer_free(folder);
    fputs("pail: out of memory\n", stderr);
    return NULL;
  }
  if (pail_pointer_new(folder->storage, key, &p, &err) != PAIL_OK)
    cli_fail(c, NULL, err);
  free(key);
  pail_pointer_free(folder);
  return p;
}

/* ------------------------------------------------------------------ main */

/* Whether --json is among the arguments, wherever it is: a usage error can
 * be found before getopt reaches it, and is then reported as JSON too. */
static bool json_requested(int argc, char **argv) {
  for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
    if (strcmp(argv[i], "--json") == 0)
      return true;
  return false;
}

int main(int argc, char **argv) {
  cli c = {0};
  c.json = json_requested(argc, argv);
  /* Global options before the command; '+' stops at the command name. */
  int option, rc = EXIT_OK;
  opterr = 0;
  while (rc == EXIT_OK && (option = getopt_long(argc, argv, "+:c:s:qvh",
                                                global_options, NULL)) != -1) {
    if (option == '?')
      rc = unknown_option(&c, argv);
    else if (option == ':')
      rc = missing_argument(&c, argv);
    else
      rc = global_option(&c, NULL, option, optarg);
  }
  if (rc == EXIT_HELP)
    return EXIT_OK;
  if (rc != EXIT_OK)
    return rc;
  if (optind >= argc) {
    if (c.json)
      return cli_usage_error(&c, "no command given");
    cli_print_help(NULL);
    return EXIT_USAGE;
  }
  const char *name = argv[optind];
  if (strcmp(name, "help") == 0) {
    const command *cmd =
        optind + 1 < argc ? cli_command_find(argv[optind + 1]) : NULL;
    if (optind + 1 < argc && cmd == NULL)
      return cli_usage_error(&c, "unknown command '%s'", argv[optind + 1]);
    cli_print_help(cmd);
    return EXIT_OK;
  }
  const command *cmd = cli_command_find(name);
  if (cmd == NULL)
    return cli_usage_error(&c, "unknown command '%s'", name);
  c.command = cmd->name;
  rc = cmd->run(&c, cmd, argc - optind, argv + optind);
  /* A command stops at --help as at an error; for the caller it succeeded. */
  if (rc == EXIT_HELP)
    rc = EXIT_OK;
  pail_workspace_close(c.workspace);
  if (fflush(stdout) != 0 && rc == EXIT_OK) {
    perror("pail: cannot write the output");
    rc = EXIT_FAILED;
  }
  /* A transfer stopped by a signal has been aborted and reported: now die
   * of that signal, as the parent expects of an interrupted program. One
   * that committed all the same exits 0: what it did stands. */
  cli_signal_settle(c.command, rc);
  return rc;
}
