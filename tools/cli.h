/*
 * cli.h: what the parts of the `pail` command share: the global options,
 * what a command is, option parsing, and output helpers (errors, JSON,
 * progress). The commands themselves are declared in commands.h. The CLI
 * uses the public API of libpail (pail/pail.h) and nothing else.
 */
#ifndef PAIL_TOOLS_CLI_H
#define PAIL_TOOLS_CLI_H

#include <pail/pail.h>

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses, as pail(1) documents them (EXIT STATUS). */
enum {
  EXIT_OK = 0,
  EXIT_FAILED = 1, /* the operation failed; the message is on stderr */
  EXIT_USAGE = 2,  /* bad command line, including a malformed pointer */
  /* Not an exit status: --help or --version was printed. A command returns
   * it as it returns a failure, and main exits 0. */
  EXIT_HELP = -1
};

/* The state of one run: global options and the workspace, opened on first
 * use so that `pail --help` or `pail backends` need no settings. */
typedef struct cli {
  const char *config;  /* --config FILE, or NULL for the lookup order */
  const char *storage; /* --storage NAME: the storage for bare keys */
  const char *user;    /* --user NAME: fills {username} in access rules */
  bool json;
  bool quiet;
  bool verbose;
  int max_attempts;    /* --max-attempts, 0 when not given */
  bool progress;       /* stderr is a terminal and not --quiet */
  const char *command; /* the command's name, for messages */
  pail_workspace *workspace;
} cli;

typedef struct command command;

/* Runs a command on its arguments (argv[0] is the command name); returns an
 * exit status, or EXIT_HELP. */
typedef int (*command_fn)(cli *c, const command *cmd, int argc, char **argv);

struct command {
  const char *name;
  const char *synopsis; /* "put LOCAL|- PTR" */
  const char *summary;  /* one line for `pail --help` */
  const char *help;     /* the rest of `pail COMMAND --help` */
  command_fn run;
};

/* The command of that name in the table (commands.h), or NULL. */
const command *cli_command_find(const char *name);

/* Prints `pail COMMAND --help` (or the global help for NULL) to stdout. */
void cli_print_help(const command *cmd);

/* -------------------------------------------------------- option parsing */

/* Called for each command-specific option; returns EXIT_OK to go on or an
 * exit status to stop. */
typedef int (*option_fn)(cli *c, void *state, int option, const char *arg);

/* Parses argv with the command's options (short and long) plus the global
 * ones, which may also follow the command. On success *first_operand is the
 * index of the first operand in the permuted argv and EXIT_OK is returned;
 * for --help (and --version), the help is printed and EXIT_HELP is
 * returned. */
int cli_parse_options(cli *c, const command *cmd, int argc, char **argv,
                      const char *short_options,
                      const struct option *long_options, option_fn on_option,
                      void *state, int *first_operand);

/* Checks the operand count (most < 0: no limit); prints a usage error and
 * returns EXIT_USAGE when it is off, else EXIT_OK. */
int cli_want_operands(cli *c, int have, int least, int most);

/* Parses a non-negative decimal integer option value; false when text is
 * not one (a sign, a space, trailing text, an overflow). */
bool cli_parse_count(const char *text, uint64_t *out);
/* --expires S: 1 to PAIL_SIGN_MAX_EXPIRES seconds into *out; EXIT_OK, or a
 * usage error (printed) naming the option and the limits. */
int cli_parse_expires(cli *c, const char *text, int64_t *out);

/* A growing list of option values (--header, --query, --metadata). The
 * items point into argv; the caller frees items with free(). */
typedef struct cli_string_list {
  const char **items;
  size_t count;
} cli_string_list;

/* Appends item; returns EXIT_OK, or EXIT_FAILED (said on stderr) when out
 * of memory. */
int cli_string_list_add(cli_string_list *list, const char *item);

/* Long option values above any character, for options with no short form. */
enum {
  OPT_GLOBAL_BASE = 0x1000, /* reserved for the global options */
  OPT_COMMAND_BASE = 0x2000
};

/* ----------------------------------------------------------- the workspace */

/* Opens the workspace once, printing the error on failure (NULL). */
pail_workspace *cli_workspace(cli *c);

/* Parses a pointer (or, with prefix, a listing prefix) given on the command
 * line, honouring --storage for bare keys. Prints the error and returns NULL
 * when the text is not a pointer. */
pail_pointer *cli_pointer(cli *c, const char *text, bool prefix);

/* A pointer for the destination of put/cp: a text ending in '/' (or naming
 * just a storage) is a folder, and the source's base name is appended, as
 * `aws s3 cp` and `cp` do. */
pail_pointer *cli_destination(cli *c, const char *text, const char *source);

/* -------------------------------------------------------------- output */

/* Prints "pail: COMMAND: what: category: message [HTTP n, code, request id]"
 * to stderr. what may be NULL. */
void cli_report_error(cli *c, const char *what, const pail_error *err);
/* Prints "category: message [HTTP n, code, request id]" (no newline). */
void cli_print_error(FILE *out, const pail_error *err);
/* Prints a usage error for the command and returns EXIT_USAGE. */
int cli_usage_error(cli *c, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* The error as a JSON object {category, message, provider_code, http_status,
 * request_id}. New reference. */
json_t *cli_error_json(const pail_error *err);
/* Handles a failed operation: reports it (with --json, as the command's one
 * document {"error": ...} on stdout too), frees err, returns EXIT_FAILED. */
int cli_fail(cli *c, const char *what, pail_error *err);

/* Prints doc as the command's one JSON document on stdout and releases it.
 * Returns EXIT_OK, or EXIT_FAILED when stdout cannot be written. */
int cli_emit_json(json_t *doc);
/* Prints a pointer as its JSON form on one line. */
int cli_print_pointer(const pail_pointer *pointer);
/* A pointer as a JSON object (new reference), NULL when out of memory. */
json_t *cli_pointer_json(const pail_pointer *pointer);
/* An object's info as JSON: key, size, last_modified, etag, ... */
json_t *cli_info_json(const pail_object_info *info);

/* Formats seconds since the epoch as RFC 3339 UTC into buffer (>= 32). */
const char *cli_format_time(int64_t seconds, char *buffer, size_t size);

/* ------------------------------------------------------------- progress */

typedef struct cli_progress {
  cli *c;
  const char *label;
  uint64_t done, total;
  int64_t started_ms, shown_ms;
  bool shown;
  bool committing; /* the write is committing: nothing cancels it now */
} cli_progress;

/* Starts tracking a transfer; the callback always counts bytes (for the
 * --json size) and draws a line on stderr only when c->progress. */
void cli_progress_start(cli_progress *p, cli *c, const char *label);
/* The library's progress callback: draws, and returns nonzero (cancel) once
 * a signal was caught (signals.c). */
int cli_progress_update(void *user_data, uint64_t done, uint64_t total);
/* The library's committing callback (pail_write_options.committing): from
 * here a signal no longer cancels the write; the line says "committing". */
void cli_progress_committing(void *user_data);
/* Clears the progress line and releases the signals. */
void cli_progress_end(cli_progress *p);

/* signals.c: while a transfer runs (from cli_progress_start to
 * cli_progress_end), SIGINT, SIGTERM and SIGHUP set a flag instead of
 * killing pail, so the library can abort the transfer cleanly; main then
 * re-raises the signal with cli_signal_reraise. Signals that were ignored
 * when pail started stay ignored. */
void cli_signals_catch(void);
void cli_signals_release(void);
/* The signal caught, or 0. */
int cli_signal_caught(void);
/* Dies of the caught signal, if any (default action); returns otherwise. */
void cli_signal_reraise(void);
/* The write is committing (cli_progress_committing): a signal caught from
 * now on says on stderr that the outcome will follow. */
void cli_signals_committing(void);
/* At the end of a command that returned rc: a signal that was caught is
 * honoured by dying of it when the command failed (it was cancelled, and
 * said so); when the command succeeded anyway (the signal came while the
 * write was committing), pail says so and exits 0, as what it did stands. */
void cli_signal_settle(const char *name_of_command, int rc);

#endif /* PAIL_TOOLS_CLI_H */
