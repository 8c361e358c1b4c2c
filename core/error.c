/*
 * error.c: the error object every failing call returns. Errors are values
 * (after GError / libgit2): a category for programs, a message for people,
 * and the provider's own code, HTTP status and request id for support.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pail_error {
  pail_status category;
  int http_status;
  char *message;
  char *provider_code;
  char *request_id;
};

static const char *const status_names[] = {
    [PAIL_OK] = "ok",
    [PAIL_ERR_NOT_FOUND] = "not found",
    [PAIL_ERR_ACCESS_DENIED] = "access denied",
    [PAIL_ERR_INVALID_ARGUMENT] = "invalid argument",
    [PAIL_ERR_CONFLICT] = "conflict",
    [PAIL_ERR_THROTTLED] = "throttled",
    [PAIL_ERR_UNAVAILABLE] = "unavailable",
    [PAIL_ERR_IO] = "i/o error",
    [PAIL_ERR_UNSUPPORTED] = "unsupported",
    [PAIL_ERR_INTERNAL] = "internal error",
    [PAIL_ERR_CANCELLED] = "cancelled",
};

const char *pail_status_name(pail_status status) {
  if ((unsigned)status < sizeof status_names / sizeof status_names[0] &&
      status_names[status] != NULL)
    return status_names[status];
  return "unknown error";
}

/* Returned when allocating the error itself fails: callers still get a
 * category and a message, and pail_error_free knows not to free it. */
static pail_error out_of_memory_error = {PAIL_ERR_INTERNAL, 0,
                                         (char *)"out of memory", NULL, NULL};

/* Text is made safe for a terminal once, here, whatever composed it: a
 * server's <Message>, a settings value or a file name may carry control
 * characters or escape sequences, and messages are printed as they are.
 * Control bytes and bytes that are not UTF-8 become \xNN. Returns text, or
 * a replacement (text freed), or NULL when out of memory. */
static char *text_make_printable(char *text) {
  if (text == NULL)
    return NULL;
  bool plain = true;
  for (const unsigned char *p = (const unsigned char *)text; *p && plain; p++)
    plain = *p >= 0x20 && *p < 0x7f;
  if (plain)
    return text;
  size_t length = strlen(text);
  char *safe = text_escape(text, length, length, 0);
  free(text);
  return safe;
}

pail_status error_setv(pail_error **err, pail_status category, int http_status,
                       const char *provider_code, const char *request_id,
                       const char *format, va_list args) {
  if (err == NULL || *err != NULL)
    return category;
  pail_error *e = calloc(1, sizeof *e);
  if (e == NULL) {
    *err = &out_of_memory_error;
    return category;
  }
  e->category = category;
  e->http_status = http_status;
  if (vasprintf(&e->message, format, args) < 0)
    e->message = NULL;
  /* An answer received after retries says so (core/net/http_exchange.c). */
  int attempts = http_attempts_take(http_status);
  if (attempts > 1 && e->message != NULL) {
    char *tried = str_printf("%s (after %d attempts)", e->message, attempts);
    free(e->message);
    e->message = tried;
  }
  e->message = text_make_printable(e->message);
  e->provider_code = text_make_printable(str_dup(provider_code));
  e->request_id = text_make_printable(str_dup(request_id));
  if (e->message == NULL ||
      (provider_code != NULL && e->provider_code == NULL) ||
      (request_id != NULL && e->request_id == NULL)) {
    pail_error_free(e);
    e = &out_of_memory_error;
  }
  *err = e;
  return category;
}

pail_status pail_error_set(pail_error **err, pail_status category,
                           int http_status, const char *provider_code,
                           const char *request_id, const char *format, ...) {
  va_list args;
  va_start(args, format);
  error_setv(err, category, http_status, provider_code, request_id, format,
             args);
  va_end(args);
  return category;
}

pail_status error_no_memory(pail_error **err) {
  return pail_error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL, "out of memory");
}

pail_status error_null_argument(pail_error **err, const char *function,
                                const char *what) {
  return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                        "%s: no %s given (NULL)", function, what);
}

void error_prefix(pail_error **err, const char *format, ...) {
  if (err == NULL || *err == NULL || *err == &out_of_memory_error)
    return;
  char *prefix = NULL;
  va_list args;
  va_start(args, format);
  int n = vasprintf(&prefix, format, args);
  va_end(args);
  if (n < 0)
    return;
  char *joined = str_printf("%s: %s", prefix, (*err)->message);
  free(prefix);
  if (joined == NULL)
    return;
  free((*err)->message);
  (*err)->message = joined;
}

pail_status error_redact(pail_error **err, const pail_config *cfg,
                         pail_status status) {
  if (status != PAIL_OK && err != NULL && *err != NULL &&
      *err != &out_of_memory_error)
    config_redact(cfg, (*err)->message);
  return status;
}

void error_redact_document(pail_error *err, const char *json, size_t length) {
  if (err != NULL && err != &out_of_memory_error)
    document_redact(json, length, err->message);
}

pail_error *error_copy(const pail_error *error) {
  pail_error *copy = NULL;
  pail_error_set(&copy, pail_error_category(error),
                 pail_error_http_status(error), pail_error_provider_code(error),
                 pail_error_request_id(error), "%s", pail_error_message(error));
  return copy;
}

pail_status pail_error_category(const pail_error *error) {
  return error ? error->category : PAIL_OK;
}

const char *pail_error_message(const pail_error *error) {
  return error ? error->message : "no error";
}

const char *pail_error_provider_code(const pail_error *error) {
  return error ? error->provider_code : NULL;
}

int pail_error_http_status(const pail_error *error) {
  return error ? error->http_status : 0;
}

const char *pail_error_request_id(const pail_error *error) {
  return error ? error->request_id : NULL;
}

void pail_error_free(pail_error *error) {
  if (error == NULL || error == &out_of_memory_error)
    return;
  free(error->message);
  free(error->provider_code);
  free(error->request_id);
  free(error);
}

/* The providers agree on what most statuses mean; where the three backends'
 * own tables disagreed, the choice is: 413 (payload too large) is invalid
 * argument, as any 4xx the request caused, since sending the same body
 * again fails the same way (S3 says so too, by its EntityTooLarge code);
 * 501 (not implemented) is unsupported, not unavailable, since no retry
 * makes the server implement it; 410 (an upload session that is gone) is
 * not found; 408 (the server tired of waiting for the request) is
 * unavailable, a transient failure like a dropped connection. */
pail_status error_status_category(int http_status) {
  switch (http_status) {
  case 401:
  case 403:
    return PAIL_ERR_ACCESS_DENIED;
  case 404:
  case 410:
    return PAIL_ERR_NOT_FOUND;
  case 408:
    return PAIL_ERR_UNAVAILABLE;
  case 409:
  case 412:
    return PAIL_ERR_CONFLICT;
  case 429:
  case 503:
    return PAIL_ERR_THROTTLED;
  case 501:
    return PAIL_ERR_UNSUPPORTED;
  default:
    if (http_status >= 200 && http_status < 300)
      return PAIL_OK;
    if (http_status >= 400 && http_status < 500)
      return PAIL_ERR_INVALID_ARGUMENT;
    if (http_status >= 500 && http_status < 600)
      return PAIL_ERR_UNAVAILABLE;
    return PAIL_ERR_IO; /* 1xx, a 3xx not followed: not an answer */
  }
}
