/*
 * common.c: small helpers more than one cloud backend needs (see common.h).
 */
#include <config.h> /* _GNU_SOURCE, before any system header */

#include "common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Credential files are small; anything larger is not one. */
#define MAX_SLURP ((size_t)1 << 20)

bool backend_query_add(const pail_core_services *core, char **query,
                       const char *name, const char *value) {
  char *encoded = core->uri_encode(value, 0);
  char *grown = NULL;
  if (encoded != NULL && asprintf(&grown, "%s%s%s=%s", *query,
                                  **query ? "&" : "", name, encoded) < 0)
    grown = NULL;
  free(encoded);
  free(*query);
  *query = grown;
  return grown != NULL;
}

static int compare_keys(const void *a, const void *b) {
  return strcmp(((const pail_object_info *)a)->key,
                ((const pail_object_info *)b)->key);
}

void backend_list_sort(pail_list_page *page) {
  if (page->count > 1)
    qsort(page->entries, page->count, sizeof *page->entries, compare_keys);
}

char *backend_part_name(const char *key, const char *word, uint32_t number) {
  char *name = NULL;
  if (asprintf(&name, "%s (%s %u)", key, word, (unsigned)number) < 0)
    name = NULL;
  return name;
}

char *backend_file_part(pail_part *part, pail_http_body_file *file,
                        const char *key, const char *word, uint32_t number,
                        int fd, uint64_t offset, uint64_t length) {
  *file = (pail_http_body_file){.fd = fd, .offset = offset};
  memset(part, 0, sizeof *part);
  part->number = (int)number;
  part->body = file;
  part->body_length = (size_t)length;
  part->body_flags = PAIL_HTTP_BODY_FILE;
  return backend_part_name(key, word, number);
}

pail_status backend_file_slurp(const pail_core_services *core,
                               const char *backend, const char *label,
                               const char *path, char **text, size_t *length,
                               pail_error **err) {
  *text = NULL;
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    int e = errno;
    return core->error_set(err,
                           e == ENOENT   ? PAIL_ERR_NOT_FOUND
                           : e == EACCES ? PAIL_ERR_ACCESS_DENIED
                                         : PAIL_ERR_IO,
                           0, NULL, NULL, "%s: cannot read %s%s%s: %s", backend,
                           label ? label : "", label ? " " : "", path,
                           strerror(e));
  }
  char *buffer = malloc(MAX_SLURP + 1);
  size_t n = buffer ? fread(buffer, 1, MAX_SLURP + 1, f) : 0;
  bool failed = buffer ? ferror(f) != 0 : false;
  fclose(f);
  if (buffer == NULL)
    return core->error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                           "out of memory");
  if (failed || n > MAX_SLURP) {
    free(buffer);
    return core->error_set(
        err, failed ? PAIL_ERR_IO : PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
        "%s: %s%s%s is %s", backend, label ? label : "", label ? " " : "", path,
        failed ? "unreadable" : "larger than 1 MiB");
  }
  buffer[n] = '\0';
  *text = buffer;
  *length = n;
  return PAIL_OK;
}

pail_status backend_token_file(const pail_core_services *core,
                               const char *backend, const char *label,
                               const char *path, char **token,
                               pail_error **err) {
  size_t length = 0;
  pail_status status =
      backend_file_slurp(core, backend, label, path, token, &length, err);
  if (status != PAIL_OK)
    return status;
  char *t = *token;
  while (length > 0 && strchr(" \t\r\n", t[length - 1]) != NULL)
    t[--length] = '\0';
  const char *why = length == 0                  ? "holds no token"
                    : strlen(t) != length        ? "holds a NUL byte"
                    : strpbrk(t, "\r\n") != NULL ? "holds more than one line"
                                                 : NULL;
  if (why == NULL)
    return PAIL_OK;
  memset(t, 0, length);
  free(t);
  *token = NULL;
  return core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                         "%s: %s %s %s", backend, label, path, why);
}

pail_status backend_form_exchange(const pail_core_services *core,
                                  const pail_config *cfg, const char *method,
                                  const char *url, const char *header,
                                  const char *form, uint32_t flags,
                                  size_t max_body, pail_http_response *response,
                                  pail_error **err) {
  memset(response, 0, sizeof *response);
  const char *headers[2];
  size_t count = 0;
  if (form != NULL)
    headers[count++] = "Content-Type: application/x-www-form-urlencoded";
  if (header != NULL)
    headers[count++] = header;
  pail_http_request request = {
      .method = method,
      .url = url,
      .headers = headers,
      .header_count = count,
      .body = form,
      .body_length = form ? strlen(form) : 0,
      .flags = flags | (form != NULL ? PAIL_HTTP_IDEMPOTENT : 0),
  };
  return core->http_exchange(cfg, &request, max_body, response, err);
}

pail_status backend_error_wrap(const pail_core_services *core, pail_error **err,
                               pail_status category, const char *format, ...) {
  pail_error *cause = err != NULL ? *err : NULL;
  if (cause == NULL)
    return category != PAIL_OK ? category : PAIL_ERR_INTERNAL;
  if (category == PAIL_OK)
    category = core->error_category(cause);
  char *prefix = NULL;
  va_list args;
  va_start(args, format);
  if (vasprintf(&prefix, format, args) < 0)
    prefix = NULL;
  va_end(args);
  *err = NULL;
  pail_status status =
      core->error_set(err, category, 0, NULL, NULL, "%s: %s",
                      prefix ? prefix : "", core->error_message(cause));
  free(prefix);
  core->error_free(cause);
  return status;
}

void backend_unique_tag(const pail_core_services *core, const void *address,
                        char *out, size_t hex_digits) {
  static unsigned counter;
  /* Zeroed first: the padding is hashed too, and an initializer leaves it
   * undefined. */
  struct {
    int64_t seconds;
    int32_t nsec;
    pid_t pid;
    const void *address;
    unsigned count;
  } seed;
  memset(&seed, 0, sizeof seed);
  seed.seconds = core->now(&seed.nsec);
  seed.pid = getpid();
  seed.address = address;
  seed.count = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
  unsigned char digest[32];
  char hex[65];
  core->sha256(&seed, sizeof seed, digest);
  core->hex_encode(digest, sizeof digest, hex);
  if (hex_digits > 64)
    hex_digits = 64;
  memcpy(out, hex, hex_digits);
  out[hex_digits] = '\0';
}
