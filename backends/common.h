/*
 * common.h: small helpers more than one cloud backend needs (query strings,
 * the order of a list page, a part sent from a file), with one home here.
 * Compiled into each plugin that uses them, as xml.c is, never into libpail:
 * they call the core only through the services table they are given.
 */
#ifndef PAIL_BACKENDS_COMMON_H
#define PAIL_BACKENDS_COMMON_H

#include <pail/backend.h>

#include <stdbool.h>

/* Appends "name=encoded(value)" to the malloc'ed *query, after a '&' unless
 * *query is empty; value is encoded with core->uri_encode (every reserved
 * character, '/' included). On failure (out of memory) *query is freed and
 * NULL, and false is returned. */
bool backend_query_add(const pail_core_services *core, char **query,
                       const char *name, const char *value);

/* Sorts a page's entries in byte order of their keys, as the list contract
 * in backend.h asks: a provider hands objects and folders in two lists. */
void backend_list_sort(pail_list_page *page);

/* The name the part writer's messages give a part, "KEY (WORD N)" (WORD:
 * "part", "block"), malloc'ed; NULL when out of memory. */
char *backend_part_name(const char *key, const char *word, uint32_t number);

/* Sets up *part as part `number` of an upload made part by part (the ABI
 * 1.18 upload_part): its body `length` bytes of fd from offset, through
 * *file (the caller's, as long as the part). Returns its name, as
 * backend_part_name. */
char *backend_file_part(pail_part *part, pail_http_body_file *file,
                        const char *key, const char *word, uint32_t number,
                        int fd, uint64_t offset, uint64_t length);

/* Reads a small local file a credential source names (a key file, a web
 * identity token) into *text, malloc'ed and NUL-ended, its length in
 * *length. Messages start with "BACKEND: " and name the file, with label
 * before the path when not NULL ("the token file"): PAIL_ERR_NOT_FOUND when
 * it does not exist, PAIL_ERR_ACCESS_DENIED when it may not be read,
 * PAIL_ERR_INVALID_ARGUMENT when it is larger than 1 MiB. */
pail_status backend_file_slurp(const pail_core_services *core,
                               const char *backend, const char *label,
                               const char *path, char **text, size_t *length,
                               pail_error **err);

/* Reads a token a file holds (a web identity token, a federated token, an
 * authorization token), as backend_file_slurp, without its trailing
 * blanks and line breaks, into *token (malloc'ed; wipe it after use).
 * PAIL_ERR_INVALID_ARGUMENT, naming the file but never quoting it, when
 * it holds no token, a NUL byte or more than one line. */
pail_status backend_token_file(const pail_core_services *core,
                               const char *backend, const char *label,
                               const char *path, char **token,
                               pail_error **err);

/* One exchange with a credential endpoint (a token endpoint, instance
 * metadata, container credentials): method on url, with an optional
 * header line and an optional form body (sent as
 * application/x-www-form-urlencoded and, being a token request, replayed
 * harmlessly), flags added (PAIL_HTTP_METADATA). *response is zeroed
 * first; clear it on success and failure alike. A status other than 2xx
 * is a success here, left to the caller's protocol. */
pail_status backend_form_exchange(const pail_core_services *core,
                                  const pail_config *cfg, const char *method,
                                  const char *url, const char *header,
                                  const char *form, uint32_t flags,
                                  size_t max_body, pail_http_response *response,
                                  pail_error **err);

/* Replaces *err (when set) with an error whose message is the formatted
 * prefix, ": ", then the old message, of `category`, or of the old error's
 * when category is PAIL_OK; the old error is freed. Returns the category.
 * For a failure deep in a request that the caller can name better ("s3:
 * container credentials: the credentials request: <what curl said>"). */
pail_status backend_error_wrap(const pail_core_services *core, pail_error **err,
                               pail_status category, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes into out (hex_digits + 1 bytes, hex_digits at most 64) a tag
 * unlikely to be any other's: the hex of a SHA-256 of the time, the
 * process, address (the caller's object) and a counter. For names a
 * backend makes up (an upload's), not for secrets. */
void backend_unique_tag(const pail_core_services *core, const void *address,
                        char *out, size_t hex_digits);

#endif /* PAIL_BACKENDS_COMMON_H */
