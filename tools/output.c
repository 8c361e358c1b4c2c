/*
 * output.c: how the CLI speaks: error messages on stderr, JSON documents on
 * stdout, times in RFC 3339, and a progress line on a terminal.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void cli_print_error(FILE *out, const pail_error *err) {
  const char *code = pail_error_provider_code(err);
  const char *request = pail_error_request_id(err);
  int http = pail_error_http_status(err);
  fprintf(out, "%s: %s", pail_status_name(pail_error_category(err)),
          pail_error_message(err));
  if (http != 0 || code != NULL || request != NULL) {
    const char *sep = "";
    fputs(" [", out);
    if (http != 0) {
      fprintf(out, "HTTP %d", http);
      sep = ", ";
    }
    if (code != NULL) {
      fprintf(out, "%scode %s", sep, code);
      sep = ", ";
    }
    if (request != NULL)
      fprintf(out, "%srequest id %s", sep, request);
    fputc(']', out);
  }
}

void cli_report_error(cli *c, const char *what, const pail_error *err) {
  fprintf(stderr, "pail: %s: ", c->command ? c->command : "error");
  if (what != NULL)
    fprintf(stderr, "%s: ", what);
  cli_print_error(stderr, err);
  fputc('\n', stderr);
}

int cli_usage_error(cli *c, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  char *message = NULL;
  if (vasprintf(&message, format, ap) < 0)
    message = NULL;
  va_end(ap);
  fprintf(stderr, "pail: %s%s%s\nTry 'pail %s%s--help'.\n",
          c->command ? c->command : "", c->command ? ": " : "",
          message ? message : "usage error", c->command ? c->command : "",
          c->command ? " " : "");
  /* With --json, stdout carries the command's one document, even when the
   * command line was not understood. */
  if (c->json)
    cli_emit_json(json_pack("{s:{s:s, s:s, s:n, s:n, s:n}}", "error",
                            "category",
                            pail_status_name(PAIL_ERR_INVALID_ARGUMENT),
                            "message", message ? message : "usage error",
                            "provider_code", "http_status", "request_id"));
  free(message);
  return EXIT_USAGE;
}

json_t *cli_error_json(const pail_error *err) {
  json_t *o = json_object();
  json_object_set_new(o, "category",
                      json_string(pail_status_name(pail_error_category(err))));
  json_object_set_new(o, "message", json_string(pail_error_message(err)));
  const char *code = pail_error_provider_code(err);
  const char *request = pail_error_request_id(err);
  json_object_set_new(o, "provider_code",
                      code ? json_string(code) : json_null());
  json_object_set_new(o, "http_status",
                      pail_error_http_status(err)
                          ? json_integer(pail_error_http_status(err))
                          : json_null());
  json_object_set_new(o, "request_id",
                      request ? json_string(request) : json_null());
  return o;
}

int cli_fail(cli *c, const char *what, pail_error *err) {
  if (err == NULL) {
    fprintf(stderr, "pail: %s: failed\n", c->command ? c->command : "error");
    return EXIT_FAILED;
  }
  cli_report_error(c, what, err);
  if (c->json)
    cli_emit_json(json_pack("{s:o}", "error", cli_error_json(err)));
  pail_error_free(err);
  return EXIT_FAILED;
}

int cli_emit_json(json_t *doc) {
  if (doc == NULL) {
    fputs("pail: out of memory\n", stderr);
    return EXIT_FAILED;
  }
  int rc = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII) == 0 &&
                   fputc('\n', stdout) != EOF
               ? EXIT_OK
               : EXIT_FAILED;
  json_decref(doc);
  return rc;
}

json_t *cli_pointer_json(const pail_pointer *pointer) {
  char *text = pail_pointer_to_json(pointer);
  if (text == NULL)
    return NULL;
  json_t *o = json_loads(text, 0, NULL);
  free(text);
  return o;
}

int cli_print_pointer(const pail_pointer *pointer) {
  char *text = pail_pointer_to_json(pointer);
  if (text == NULL) {
    fputs("pail: out of memory\n", stderr);
    return EXIT_FAILED;
  }
  int rc = puts(text) >= 0 ? EXIT_OK : EXIT_FAILED;
  free(text);
  return rc;
}

const char *cli_format_time(int64_t seconds, char *buffer, size_t size) {
  time_t t = (time_t)seconds;
  struct tm tm;
  if (seconds == INT64_MIN || gmtime_r(&t, &tm) == NULL ||
      strftime(buffer, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    snprintf(buffer, size, "-");
  return buffer;
}

static json_t *string_or_null(const char *s) {
  return s ? json_string(s) : json_null();
}

json_t *cli_info_json(const pail_object_info *info) {
  char when[32];
  json_t *o = json_object();
  json_object_set_new(o, "key", json_string(info->key ? info->key : ""));
  if (info->is_folder) {
    json_object_set_new(o, "folder", json_true());
    return o;
  }
  json_object_set_new(o, "size", json_integer((json_int_t)info->size));
  json_object_set_new(o, "last_modified",
                      info->last_modified == INT64_MIN
                          ? json_null()
                          : json_string(cli_format_time(info->last_modified,
                                                        when, sizeof when)));
  json_object_set_new(o, "etag", string_or_null(info->etag));
  json_object_set_new(o, "content_type", string_or_null(info->content_type));
  json_object_set_new(o, "content_disposition",
                      string_or_null(info->content_disposition));
  json_t *metadata = json_object();
  for (size_t i = 0; i < info->metadata_count; i++)
    json_object_set_new(metadata, info->metadata[i].name,
                        json_string(info->metadata[i].value));
  json_object_set_new(o, "metadata", metadata);
  return o;
}

/* ------------------------------------------------------------- progress */

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1536 -> "1.5 KiB". */
static const char *human_size(double bytes, char *buffer, size_t size) {
  static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < sizeof units / sizeof units[0]) {
    bytes /= 1024;
    unit++;
  }
  snprintf(buffer, size, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return buffer;
}

void cli_progress_start(cli_progress *p, cli *c, const char *label) {
  memset(p, 0, sizeof *p);
  p->c = c;
  p->label = label;
  p->started_ms = now_ms();
  cli_signals_catch();
}

int cli_progress_update(void *user_data, uint64_t done, uint64_t total) {
  cli_progress *p = user_data;
  p->done = done;
  p->total = total;
  if (cli_signal_caught())
    return 1;
  if (!p->c->progress)
    return 0;
  int64_t now = now_ms();
  /* Redraw at most ten times a second, and not at all for quick ones. */
  if (now - p->shown_ms < 100 || now - p->started_ms < 300)
    return 0;
  p->shown_ms = now;
  p->shown = true;
  char a[32], b[32], rate[32];
  double seconds = (double)(now - p->started_ms) / 1000.0;
  human_size((double)done / seconds, rate, sizeof rate);
  if (total > 0)
    fprintf(stderr, "\r%s  %s / %s  %3d%%  %s/s\033[K", p->label,
            human_size((double)done, a, sizeof a),
            human_size((double)total, b, sizeof b), (int)(done * 100 / total),
            rate);
  else
    fprintf(stderr, "\r%s  %s  %s/s\033[K", p->label,
            human_size((double)done, a, sizeof a), rate);
  fflush(stderr);
  return 0;
}

void cli_progress_committing(void *user_data) {
  cli_progress *p = user_data;
  p->committing = true;
  cli_signals_committing();
  if (!p->c->progress)
    return;
  char a[32];
  fprintf(stderr, "\r%s  %s  committing\033[K", p->label,
          human_size((double)p->done, a, sizeof a));
  fflush(stderr);
  p->shown = true;
}

void cli_progress_end(cli_progress *p) {
  cli_signals_release();
  if (p->shown)
    fputs("\r\033[K", stderr);
  p->shown = false;
}
