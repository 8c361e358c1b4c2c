/*
 * signals.c: SIGINT, SIGTERM and SIGHUP during a transfer. Killing pail in
 * the middle of a multipart upload would leave the upload open on the
 * provider (storage billed, invisible to listings), so while a transfer
 * runs these signals only set a flag; the progress callback returns it, the
 * library aborts the transfer, and pail then dies of the same signal so
 * that its parent sees what happened. A second signal kills at once.
 *
 * Once a write commits (the library's committing callback), nothing
 * cancels it: a signal that comes then is honoured after the outcome, as
 * the outcome is. Committed: the pointer is printed and pail exits 0, never
 * a pointer with a failure status; not committed: "cancelled" and death by
 * the signal.
 */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const int caught_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define SIGNAL_COUNT (sizeof caught_signals / sizeof caught_signals[0])

static volatile sig_atomic_t caught;
static struct sigaction saved[SIGNAL_COUNT];
static bool installed[SIGNAL_COUNT];

static volatile sig_atomic_t committing;

static void on_signal(int signo) {
  /* write(2) is async-signal-safe; stdio is not. */
  static const char note[] =
      "\npail: committing: the outcome follows (a second signal ends pail "
      "before it can say whether the object was stored)\n";
  if (committing && caught == 0)
    (void)!write(STDERR_FILENO, note, sizeof note - 1);
  caught = signo;
}

void cli_signals_committing(void) {
  committing = 1;
}

void cli_signals_catch(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  /* No SA_RESTART: a read blocked on a pipe returns EINTR so the library
   * asks the progress callback at once. SA_RESETHAND: the second signal
   * gets the default action. */
  action.sa_flags = SA_RESETHAND;
  for (size_t i = 0; i < SIGNAL_COUNT; i++) {
    struct sigaction old;
    installed[i] = false;
    if (sigaction(caught_signals[i], NULL, &old) != 0 ||
        old.sa_handler == SIG_IGN)
      continue; /* nohup, or a background job's SIGINT: stay ignored */
    installed[i] = sigaction(caught_signals[i], &action, &saved[i]) == 0;
  }
}

void cli_signals_release(void) {
  committing = 0;
  for (size_t i = 0; i < SIGNAL_COUNT; i++)
    if (installed[i])
      sigaction(caught_signals[i], &saved[i], NULL);
  memset(installed, 0, sizeof installed);
}

int cli_signal_caught(void) {
  return caught;
}

void cli_signal_reraise(void) {
  int signo = caught;
  if (signo == 0)
    return;
  signal(signo, SIG_DFL);
  raise(signo);
}

void cli_signal_settle(const char *name_of_command, int rc) {
  int signo = caught;
  if (signo == 0)
    return;
  if (rc != EXIT_OK) {
    cli_signal_reraise();
    return;
  }
  const char *cmd = name_of_command ? name_of_command : "command";
  const char *name = signo == SIGINT    ? "SIGINT"
                     : signo == SIGTERM ? "SIGTERM"
                     : signo == SIGHUP  ? "SIGHUP"
                                        : "a signal";
  fprintf(stderr,
          "pail: %s: %s came too late to cancel: the %s completed and "
          "stands\n",
          cmd, name, cmd);
  caught = 0;
}
