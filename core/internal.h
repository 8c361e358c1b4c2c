/*
 * internal.h: interfaces between the files of libpail. Not installed.
 */
#ifndef PAIL_CORE_INTERNAL_H
#define PAIL_CORE_INTERNAL_H

/* Must precede every system header: it turns on _GNU_SOURCE. */
#include <config.h>

#include <pail/backend.h>
#include <pail/pail.h>

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>

#define PAIL_HIDDEN __attribute__((visibility("hidden")))

/* ------------------------------------------------------------ error.c */

PAIL_HIDDEN pail_status error_setv(pail_error **err, pail_status category,
                                   int http_status, const char *provider_code,
                                   const char *request_id, const char *format,
                                   va_list args) PAIL_PRINTF(6, 0);
/* Prefixes the message of *err with "prefix: " (printf-style). No-op when
 * err or *err is NULL. */
PAIL_HIDDEN void error_prefix(pail_error **err, const char *format, ...)
    PAIL_PRINTF(2, 3);
PAIL_HIDDEN pail_status error_no_memory(pail_error **err);
/* The category of an HTTP status, the table every backend shares (the ABI
 * 1.15 status_category service; backend.h lists it). */
PAIL_HIDDEN pail_status error_status_category(int http_status);
/* A new error with error's category, HTTP status, provider code, request
 * id and message (one failure reported against several items); NULL when
 * out of memory. */
PAIL_HIDDEN pail_error *error_copy(const pail_error *error);
/* Sets "<function>: no <what> given (NULL)" as PAIL_ERR_INVALID_ARGUMENT:
 * a public function's answer to a NULL it cannot work without. */
PAIL_HIDDEN pail_status error_null_argument(pail_error **err,
                                            const char *function,
                                            const char *what);
/* Returns error_null_argument from the calling public function when
 * argument is NULL; what names it as the public header does. */
#define ARGUMENT_REQUIRED(err, argument, what)                                 \
  do {                                                                         \
    if ((argument) == NULL)                                                    \
      return error_null_argument((err), __func__, (what));                     \
  } while (0)

/* -------------------------------------------------------- net/sigv4.c */

/* The SigV4 services of pail_core_services (see backend.h for their
 * contracts): sigv4_sign, sigv4_presign, uri_encode and strings_free. */
PAIL_HIDDEN pail_status sigv4_sign(
    const pail_sigv4_key *key, const char *method, const char *url,
    const char *const *headers, size_t header_count, const char *payload_hash,
    int64_t at, char ***added, size_t *added_count, pail_error **err);
PAIL_HIDDEN pail_status sigv4_presign(const pail_sigv4_key *key,
                                      const char *method, const char *url,
                                      const char *const *headers,
                                      size_t header_count, int64_t at,
                                      int64_t expires, char **out,
                                      pail_error **err);
PAIL_HIDDEN char *sigv4_uri_encode(const char *text, int keep_slash);
PAIL_HIDDEN void strings_free(char **strings, size_t count);

/* The texts a signature was computed over, for tests and debugging. Both
 * malloc'ed; released with sigv4_trace_clear (also left empty on failure). */
typedef struct sigv4_trace {
  char *canonical_request;
  char *string_to_sign;
} sigv4_trace;
/* sigv4_sign and sigv4_presign that also fill trace when it is not NULL. */
PAIL_HIDDEN pail_status sigv4_sign_traced(const pail_sigv4_key *key,
                                          const char *method, const char *url,
                                          const char *const *headers,
                                          size_t header_count,
                                          const char *payload_hash, int64_t at,
                                          char ***added, size_t *added_count,
                                          sigv4_trace *trace, pail_error **err);
PAIL_HIDDEN pail_status sigv4_presign_traced(
    const pail_sigv4_key *key, const char *method, const char *url,
    const char *const *headers, size_t header_count, int64_t at,
    int64_t expires, char **out, sigv4_trace *trace, pail_error **err);
PAIL_HIDDEN void sigv4_trace_clear(sigv4_trace *trace);

/* A request as a server received it, for checking its signature. Nothing
 * is copied or kept. */
typedef struct sigv4_received {
  const char *method;
  const char *host;  /* the Host header as received, port included */
  const char *path;  /* as received, still percent-encoded */
  const char *query; /* as received, without '?' and without the
                        X-Amz-Signature of a presigned URL; "" or NULL */
  /* The signed headers other than host, "name:value" as received. */
  const char *const *headers;
  size_t header_count;
  const char *payload_line; /* the canonical request's last line, as is */
  int64_t at;               /* the request's X-Amz-Date */
  /* Sign the path as sent rather than S3's encoding of the decoded path,
   * for clients that encode some characters their own way. */
  bool path_as_sent;
} sigv4_received;
/* The signature (64 hex and a NUL into signature) the sender of request
 * computed if it holds the secret of key, whose region and service are the
 * request's scope (key->session_token is not used: a token is one of the
 * signed headers or query parameters). trace as for sigv4_sign_traced. */
PAIL_HIDDEN pail_status sigv4_signature_of(const pail_sigv4_key *key,
                                           const sigv4_received *request,
                                           char signature[65],
                                           sigv4_trace *trace,
                                           pail_error **err);
/* The signature of one chunk of an aws-chunked body (hash: the SHA-256 of
 * its data), or of its trailer (trailer true, hash: of the trailer lines),
 * chained to previous (the seed signature, then each chunk's). amz_date is
 * the request's X-Amz-Date (16 characters); key gives the scope. */
PAIL_HIDDEN pail_status sigv4_chunk_signature(
    const pail_sigv4_key *key, const char amz_date[17], const char previous[65],
    bool trailer, const unsigned char hash[32], char signature[65],
    pail_error **err);

/* ------------------------------------------------------------ clock.c */

/* The one clock: $PAIL_TEST_NOW (seconds since epoch, or RFC 3339) fixes it. */
PAIL_HIDDEN int64_t clock_now(int32_t *nsec);
/* seconds as "2026-12-07T10:00:00Z" (UTC), for messages; the number of
 * seconds itself when it is no such time. */
PAIL_HIDDEN void clock_format_rfc3339(int64_t seconds, char out[32]);
/* Parses RFC 3339 ("2026-11-25T10:00:00Z", offsets allowed) or the compact
 * "20261125T100000Z" form, or plain seconds since the epoch. */
PAIL_HIDDEN pail_status clock_parse_time(const char *text, int64_t *out,
                                         pail_error **err);

/* RFC 3339 with fraction, or an HTTP date (RFC 7231), as providers send. */
PAIL_HIDDEN pail_status clock_parse_provider_time(const char *text,
                                                  int64_t *seconds,
                                                  int32_t *nsec);

/* ------------------------------------------------------- net/crypto.c */

PAIL_HIDDEN void crypto_sha256(const void *data, size_t length,
                               unsigned char out[32]);
/* SHA-256 of length bytes of the file fd from offset (core_services'
 * sha256_file). */
/* core_services.file_read: exactly length bytes of fd from offset. */
PAIL_HIDDEN pail_status crypto_file_read(int fd, uint64_t offset, void *out,
                                         size_t length, pail_error **err);
PAIL_HIDDEN pail_status crypto_sha256_file(int fd, uint64_t offset,
                                           uint64_t length,
                                           unsigned char out[32],
                                           pail_error **err);
/* HMAC-SHA1, for the one protocol that still needs it: S3's older query
 * signature (the gateway accepts boto3's default presigned URLs). */
PAIL_HIDDEN void crypto_hmac_sha1(const void *key, size_t key_length,
                                  const void *data, size_t length,
                                  unsigned char out[20]);
PAIL_HIDDEN void crypto_hmac_sha256(const void *key, size_t key_length,
                                    const void *data, size_t length,
                                    unsigned char out[32]);
/* MD5, for protocols that require it (S3's Content-MD5); never for
 * security. */
PAIL_HIDDEN void crypto_md5(const void *data, size_t length,
                            unsigned char out[16]);
/* A digest computed piece by piece (a body as it arrives). */
typedef enum crypto_digest_kind {
  CRYPTO_DIGEST_SHA256,
  CRYPTO_DIGEST_SHA1,
  CRYPTO_DIGEST_MD5 /* protocols only (Content-MD5), never for security */
} crypto_digest_kind;
typedef struct crypto_digest crypto_digest;
/* NULL when out of memory; freed with crypto_digest_free. */
PAIL_HIDDEN crypto_digest *crypto_digest_new(crypto_digest_kind kind);
PAIL_HIDDEN void crypto_digest_update(crypto_digest *digest, const void *data,
                                      size_t length);
/* Writes the digest of everything fed so far (32, 20 or 16 bytes: the
 * length is returned, 0 on failure) and starts the digest again. */
PAIL_HIDDEN size_t crypto_digest_final(crypto_digest *digest,
                                       unsigned char out[32]);
PAIL_HIDDEN void crypto_digest_free(crypto_digest *digest);
/* Standard base64 with padding into out (4 * ceil(length / 3) + 1 bytes,
 * NUL-ended); returns the length written. */
PAIL_HIDDEN size_t crypto_base64_encode(const unsigned char *data,
                                        size_t length, char *out);
PAIL_HIDDEN void crypto_hex_encode(const unsigned char *data, size_t length,
                                   char *out);
/* The ABI 1.2 services of the same names (contracts in backend.h). */
PAIL_HIDDEN pail_status crypto_base64_decode(const char *text, size_t length,
                                             unsigned char *out,
                                             size_t *out_length);
PAIL_HIDDEN size_t crypto_base64url_encode(const unsigned char *data,
                                           size_t length, char *out);
PAIL_HIDDEN pail_private_key *
crypto_private_key_load(const char *pem, size_t length, pail_error **err);
PAIL_HIDDEN void crypto_private_key_free(pail_private_key *key);
PAIL_HIDDEN pail_status crypto_rsa_sha256_sign(const pail_private_key *key,
                                               const void *data, size_t length,
                                               unsigned char **signature,
                                               size_t *signature_length,
                                               pail_error **err);

/* ---------------------------------------------------------- net/crc.c */

/* CRC-32C (Castagnoli), continuing from crc (0 to start). */
PAIL_HIDDEN uint32_t crc32c_update(uint32_t crc, const void *data,
                                   size_t length);
/* The table-driven path alone, so tests can check it against the hardware
 * one. */
PAIL_HIDDEN uint32_t crc32c_portable(uint32_t crc, const void *data,
                                     size_t length);
/* CRC-32 (ISO-HDLC, zlib's and S3's x-amz-checksum-crc32) and CRC-64/NVME
 * (S3's x-amz-checksum-crc64nvme), continuing from crc (0 to start). */
PAIL_HIDDEN uint32_t crc32_update(uint32_t crc, const void *data,
                                  size_t length);
PAIL_HIDDEN uint64_t crc64nvme_update(uint64_t crc, const void *data,
                                      size_t length);

/* Fills buffer with cryptographically secure random bytes. */
PAIL_HIDDEN pail_status crypto_random(void *buffer, size_t length,
                                      pail_error **err);

/* ---------------------------------------------------------- pointer.c */

/* The folder where the S3 gateway stages multipart uploads, in the storage
 * of their target (docs/gateway.md): listings hide it unless they ask for
 * it by prefix, and pail_cleanup removes what is left there. */
#define RESERVED_UPLOADS_PREFIX ".pail_uploads/"
#define RESERVED_UPLOADS_PREFIX_LENGTH 14
/* Whether key (or a listing prefix) lies under RESERVED_UPLOADS_PREFIX. */
PAIL_HIDDEN bool key_is_reserved(const char *key);

/* Drops from a page the entries no pointer can name: keys outside prefix,
 * keys that break the key rules (providers list what other tools wrote:
 * "a//b", "../x", control characters) and folders that are not a legal key
 * plus one '/'. Keeps the order; returns how many went. */
PAIL_HIDDEN size_t list_page_drop_unnameable(const char *prefix,
                                             pail_list_page *page);
/* Validates a listing prefix: empty is fine, a trailing '/' is fine,
 * otherwise the key rules apply. */
PAIL_HIDDEN pail_status pointer_prefix_check(const char *prefix, size_t len,
                                             pail_error **err);

/* --------------------------------------------------------------- text.c */

/* The length of the UTF-8 sequence at s (len >= 1 bytes) with *codepoint
 * set, or 0 when it is not valid: truncated, overlong, a surrogate or above
 * U+10FFFF (RFC 3629). *incomplete (when not NULL) tells a lead byte and
 * continuation bytes cut by the end of the bytes from other invalid ones,
 * for callers that may hold only the start of a text. */
PAIL_HIDDEN size_t utf8_sequence(const uint8_t *s, size_t len,
                                 uint32_t *codepoint, bool *incomplete);
/* Whether len bytes are valid UTF-8 (NUL and control characters are). */
PAIL_HIDDEN bool utf8_valid(const uint8_t *s, size_t len);

enum {
  TEXT_QUOTED = 1,      /* '"' and '\\' escaped with a backslash */
  TEXT_KEEP_TAB = 2,    /* tab kept, not \x09 */
  TEXT_KEEP_NEWLINE = 4 /* newline kept, not \x0a */
};
/* Untrusted bytes (len of them) made safe to print: at most max bytes of
 * them, valid UTF-8 kept, control characters (C0, DEL, C1) and bytes that
 * are not UTF-8 as \xNN, so that no terminal escape comes out raw; flags
 * as above; "..." appended when cut, never inside a character. Caller
 * frees; NULL when out of memory. */
PAIL_HIDDEN char *text_escape(const void *text, size_t len, size_t max,
                              unsigned flags);

/* ------------------------------------------------------ permissions.c */

typedef struct access_rule {
  char *pattern;  /* may contain {username}, *, **, ? */
  unsigned allow; /* pail_access bits */
} access_rule;

typedef struct access_rules {
  bool present; /* advanced_permissions given: unmatched keys denied */
  access_rule *rules;
  size_t count;
} access_rules;

/* Parses the advanced_permissions array: [{"pattern": "...", "allow":
 * "read,write" or ["read", "write"]}]. Unknown fields or access words are
 * errors naming them. */
PAIL_HIDDEN pail_status access_rules_parse(const json_t *array,
                                           access_rules *out, pail_error **err);
PAIL_HIDDEN void access_rules_free(access_rules *rules);

/* Glob match of key against pattern after substituting {username}:
 * '*' any run of bytes without '/', '**' any run including '/', '?' one
 * byte other than '/'. A pattern with {username} never matches when
 * username is NULL or empty. */
PAIL_HIDDEN bool access_glob_match(const char *pattern, const char *username,
                                   const char *key);

/* First matching rule decides; with rules present and none matching, the
 * access is denied. Without rules everything is allowed. */
PAIL_HIDDEN pail_status access_rules_check(const access_rules *rules,
                                           const char *username,
                                           const char *key, unsigned access,
                                           pail_error **err);

/* ------------------------------------------------------------ grant.c */

/* presigned = "exp=<exp>&sig=<hex>" over
 * "file_key=<key>&exp=<exp>[&storage=<storage>]" (storage NULL: primary). */
PAIL_HIDDEN pail_status grant_compute(const unsigned char *secret,
                                      size_t secret_length, const char *key,
                                      const char *storage, int64_t expires_at,
                                      char **presigned, pail_error **err);
/* Constant-time check of presigned, and expiry against now. */
PAIL_HIDDEN pail_status grant_check(const unsigned char *secret,
                                    size_t secret_length, const char *key,
                                    const char *storage, const char *presigned,
                                    int64_t now, pail_error **err);

/* --------------------------------------------------------- settings.c */

typedef struct storage_settings {
  char *name;     /* NULL for the primary */
  char *type;     /* backend type after alias resolution */
  json_t *fields; /* the storage object without "type" (owned ref) */
  /* The retry fields every storage has (docs/settings.md), 0 when absent:
   * "maxAttempts" and "retryTimeLimit" (seconds). */
  int max_attempts;
  int64_t retry_time_limit_ms;
  /* TLS fields of every storage: "caBundle" (a PEM file of the CAs to
   * trust instead of the system's) and "tlsVerify": false. */
  char *ca_bundle;
  bool tls_verify_off;
  /* "streamBufferSize": the most bytes of part buffers an upload from a
   * stream holds (part_writer.c), 0 for the default. */
  size_t stream_buffer_size;
} storage_settings;

typedef struct workspace_settings {
  char *source;               /* path, "<json>" or "<embedded default>" */
  storage_settings *storages; /* [0] primary, then secondaries */
  size_t storage_count;
  access_rules rules;
  char *workspace_key; /* settings "workspace_key", or NULL */
  /* settings "gateway_keys": the S3 gateway's signing keys, the first the
   * one that mints (core/gateway/keys.c). None: one derived from the
   * workspace key. */
  struct gateway_signing_key *gateway_keys;
  size_t gateway_key_count;
} workspace_settings;

/* One signing key of the gateway: the id an access key names it by, and
 * the secret bytes. */
typedef struct gateway_signing_key {
  char *id;
  char *secret;
} gateway_signing_key;

/* Parses a settings document. source names it in messages. */
PAIL_HIDDEN pail_status settings_parse(const char *json, size_t length,
                                       const char *source,
                                       workspace_settings *out,
                                       pail_error **err);
PAIL_HIDDEN pail_status settings_load_file(const char *path,
                                           workspace_settings *out,
                                           pail_error **err);
/* The embedded default: one fs storage at $PAIL_HOME or
 * $XDG_DATA_HOME/pail (~/.local/share/pail). */
PAIL_HIDDEN pail_status settings_embedded_default(workspace_settings *out,
                                                  pail_error **err);
/* The lookup order of docs/settings.md (after --config). */
PAIL_HIDDEN pail_status settings_load_default_chain(workspace_settings *out,
                                                    pail_error **err);
PAIL_HIDDEN void settings_free(workspace_settings *settings);
/* Maps Windmill tags (S3Storage, ...) to plugin types; others unchanged. */
PAIL_HIDDEN const char *settings_type_alias(const char *type);
/* True when name is one of the fields the core parses for every storage
 * (maxAttempts, caBundle, ...), which no backend may declare. */
PAIL_HIDDEN bool settings_is_core_field(const char *name);
/* core_services.endpoint_problem: why endpoint is not host[:port], or NULL. */
PAIL_HIDDEN const char *settings_endpoint_problem(const char *endpoint);

/* ----------------------------------------------------------- plugin.c */

typedef struct backend {
  char *type;
  char *path;           /* NULL when in-process */
  void *handle;         /* dlopen handle, NULL when in-process */
  pail_backend_ops ops; /* copy, zero-filled past the plugin's size */
} backend;

/* Finds and loads the backend for type (once per process; thread-safe). */
PAIL_HIDDEN pail_status backend_get(const char *type, const backend **out,
                                    pail_error **err);
/* Loads one plugin file, checking entry symbol and ABI, without caching. */
PAIL_HIDDEN pail_status backend_load_file(const char *path, const char *type,
                                          backend **out, pail_error **err);
PAIL_HIDDEN void backend_free(backend *b);
/* The plugin directories in search order (NULL-terminated, caller frees with
 * backend_search_path_free). */
PAIL_HIDDEN char **backend_search_path(void);
PAIL_HIDDEN void backend_search_path_free(char **dirs);
/* True when core_file, the file holding this copy of the core, was made by
 * the build tree build_dir and not installed: libpail.so in build_dir/.libs
 * (libtool's uninstalled location), or a unit test linking the core
 * archive, in build_dir/tests or build_dir/tests/.libs. Symbolic links
 * are resolved; a file that does not exist is not in the build tree. */
PAIL_HIDDEN bool backend_core_in_build_tree(const char *core_file,
                                            const char *build_dir);

/* --------------------------------------------------------- services.c */

struct pail_config {
  const storage_settings *storage;
  const pail_backend_field *fields;
  pail_log_fn log;
  void *log_user_data;
  pail_log_level log_level;
  /* Retry policy of this storage (0: the default), settings overridden by
   * pail_options.max_attempts. */
  int max_attempts;
  int64_t retry_time_limit_ms;
  /* The ABI the storage's backend was built for (its ops' abi_version):
   * request members of a later minor are read only when it has them. */
  uint32_t backend_abi;
};

/* ----------------------------------------------------------- redact.c */

/* Whether a name (a query parameter, a member of a secret JSON object) of
 * length bytes holds a credential, by the one word list of redact.c. */
PAIL_HIDDEN bool redact_name_is_secret(const char *name, size_t length);
/* Replaces in text, in place, every occurrence of the length bytes of
 * secret by "***" until none is left; nothing for a secret under 3 bytes.
 * Returns whether it replaced any. */
PAIL_HIDDEN bool redact_occurrences(char *text, const char *secret,
                                    size_t length);
/* Replaces, in place, every credential of the storage found in text by
 * "***": the values of its backend's secret fields, for a secret given as a
 * JSON object (or a string holding one) its credential-like members, and
 * the "user:password" of any URL's userinfo. cfg may be NULL. */
PAIL_HIDDEN void config_redact(const pail_config *cfg, char *text);
/* Replaces in text every credential member of the JSON document (by name,
 * as in a secret field of the settings) by "***"; nothing when it is not
 * JSON. */
PAIL_HIDDEN void document_redact(const char *json, size_t length, char *text);
/* Writes to out the length bytes of a URL's query (after '?') with the
 * value of every secret parameter replaced by "***", and a '\0'; returns
 * the bytes written before it. out holds 3 * length + 1 bytes or more. */
PAIL_HIDDEN size_t redact_query_copy(char *out, const char *query,
                                     size_t length);
/* Removes from text (a message that may quote a URL) the whole query of
 * length bytes and the value of each of its secret parameters. */
PAIL_HIDDEN void redact_query(char *text, const char *query, size_t length);

/* -------------------------------------------------------- net/retry.c */

typedef struct retry_policy {
  int max_attempts;      /* including the first */
  int64_t time_limit_ms; /* since the first attempt, delays included */
  int64_t base_ms, cap_ms;
} retry_policy;

/* 5 attempts within 60 s, backoff from 200 ms up to 20 s. */
PAIL_HIDDEN retry_policy retry_policy_default(void);
/* The policy of a storage; cfg may be NULL. */
PAIL_HIDDEN retry_policy retry_policy_for(const pail_config *cfg);
/* Milliseconds of a monotonic clock. */
PAIL_HIDDEN int64_t retry_clock_ms(void);
/* Whether replaying the request cannot do harm (not POST or PATCH). */
PAIL_HIDDEN bool retry_method_is_idempotent(const char *method);
/* 408, 429, 500, 502, 503, 504. */
PAIL_HIDDEN bool retry_status_is_transient(int status);
/* A Retry-After value (seconds or an HTTP date) in ms, -1 when absent or
 * unreadable. */
PAIL_HIDDEN int64_t retry_after_ms(const char *value);
/* After attempts_made attempts (first one at first_attempt_ms), whether to
 * try again and after how long: a full-jitter backoff, or the server's
 * delay when longer; false once the attempts or the time are used up. */
PAIL_HIDDEN bool retry_next(const retry_policy *policy, int attempts_made,
                            int64_t first_attempt_ms, int64_t server_delay_ms,
                            int64_t *delay_ms);
PAIL_HIDDEN void retry_sleep_ms(int64_t ms);

PAIL_HIDDEN extern const pail_core_services core_services;

/* The value of a storage's settings field (NULL when absent or null); owned
 * by the settings. */
PAIL_HIDDEN json_t *config_field(const pail_config *cfg, const char *field);
/* The ABI 1.10 service: document_redact on err's message. */
PAIL_HIDDEN void error_redact_document(pail_error *err, const char *json,
                                       size_t length);
/* The request builder of ABI 1.11 and 1.15 (core/request.c). */
PAIL_HIDDEN pail_status request_init(pail_request *r, const char *method,
                                     char *url, pail_error **err);
PAIL_HIDDEN pail_status request_set_url(pail_request *r, char *url,
                                        pail_error **err);
PAIL_HIDDEN pail_status request_header(pail_request *r, pail_error **err,
                                       const char *format, ...)
    PAIL_PRINTF(3, 4);
PAIL_HIDDEN void request_free(pail_request *r);
/* Redacts the message of *err with config_redact when status is a failure;
 * returns status, so that a backend call can be wrapped:
 * return error_redact(err, cfg, ops->delete_object(...)). */
PAIL_HIDDEN pail_status error_redact(pail_error **err, const pail_config *cfg,
                                     pail_status status);

/* Checks a storage's settings against a backend's field table. */
PAIL_HIDDEN pail_status config_validate(const storage_settings *storage,
                                        const pail_backend_field *fields,
                                        pail_error **err);

/* ------------------------------------------------------- net/http_*.c */

/* The HTTP services of pail_core_services (see include/pail/backend.h), over
 * libcurl. Thread-safe; a stream or a group is used by one thread at a time.
 * PAIL_HTTP_CONNECT_TIMEOUT and PAIL_HTTP_LOW_SPEED_TIME (seconds) override
 * the connect timeout and the stalled-transfer limit. */
PAIL_HIDDEN pail_status http_exchange(const pail_config *cfg,
                                      const pail_http_request *request,
                                      size_t max_body, pail_http_response *out,
                                      pail_error **err);
PAIL_HIDDEN void http_response_clear(pail_http_response *response);
/* The attempts the last exchange or stream opening of this thread made when
 * it ended with HTTP status `status` after retries (0 otherwise), once:
 * error_setv appends them to the error the answer becomes. */
PAIL_HIDDEN int http_attempts_take(int status);
PAIL_HIDDEN const char *http_header(const pail_http_response *response,
                                    const char *name);
PAIL_HIDDEN pail_status http_stream_open(const pail_config *cfg,
                                         const pail_http_request *request,
                                         pail_http_stream **stream,
                                         pail_http_response *head,
                                         pail_error **err);
/* http_stream_open for a body expected to be large: the socket is read in
 * larger blocks (less CPU per byte, more memory per stream). */
PAIL_HIDDEN pail_status http_stream_open_bulk(const pail_config *cfg,
                                              const pail_http_request *request,
                                              pail_http_stream **stream,
                                              pail_http_response *head,
                                              pail_error **err);
PAIL_HIDDEN pail_status http_stream_read(pail_http_stream *stream, void *buffer,
                                         size_t capacity, size_t *got,
                                         pail_error **err);
PAIL_HIDDEN void http_stream_close(pail_http_stream *stream);
/* Another backend opened for a storage's backend (delegate.c; contracts in
 * include/pail/backend.h, ABI 1.5). */
PAIL_HIDDEN pail_status delegate_open(const pail_config *cfg, const char *type,
                                      const char *fields_json,
                                      pail_delegate **out, pail_error **err);
PAIL_HIDDEN void delegate_close(pail_delegate *delegate);

/* The resumable reader of pail_core_services (resume.c; contracts in
 * include/pail/backend.h), over the streams above. */
PAIL_HIDDEN pail_status resumable_open(const pail_config *cfg,
                                       const pail_resumable_source *source,
                                       uint64_t offset, uint64_t length,
                                       pail_object_info *info,
                                       pail_resumable_reader **reader,
                                       pail_error **err);
PAIL_HIDDEN pail_status resumable_stream_open(
    const pail_config *cfg, const pail_resumable_source *source,
    const pail_read_options *options, void (*context_free)(void *context),
    pail_object_info *info, pail_resumable_reader **reader, pail_error **err);
PAIL_HIDDEN pail_status resumable_read(pail_resumable_reader *reader,
                                       void *buffer, size_t capacity,
                                       size_t *got, pail_error **err);
PAIL_HIDDEN void resumable_close(pail_resumable_reader *reader);
PAIL_HIDDEN int resumable_verify(pail_resumable_reader *reader,
                                 const char *algorithm, const char *expected);
/* For tests: the most body bytes the stream has held beyond the reader's
 * buffer, which stays bounded whatever the size of the body. */
PAIL_HIDDEN size_t http_stream_buffer_peak(const pail_http_stream *stream);
/* For tests: the HTTP stream a resumable reader is reading. */
PAIL_HIDDEN pail_http_stream *
resumable_stream(const pail_resumable_reader *reader);
/* What log lines and errors show of a URL (http_url.c: url_describe and
 * scrub_url_secrets, for the fuzz target): the URL without user info or
 * fragment, its query kept only when with_query and then with the value of
 * every secret parameter (signatures, credentials, tokens, keys) replaced
 * by "***"; and text with the URL's query and secret values scrubbed. */
PAIL_HIDDEN char *http_url_describe(const char *url, bool with_query);
PAIL_HIDDEN void http_scrub_url_secrets(char *text, const char *url);
PAIL_HIDDEN pail_http_group *http_group_new(const pail_config *cfg,
                                            size_t concurrency);
PAIL_HIDDEN pail_status http_group_start(pail_http_group *group,
                                         const pail_http_request *request,
                                         size_t max_body, void *tag,
                                         pail_error **err);
PAIL_HIDDEN pail_status http_group_wait(pail_http_group *group, void **tag,
                                        pail_http_response *out,
                                        pail_error **err);
PAIL_HIDDEN size_t http_group_pending(const pail_http_group *group);
PAIL_HIDDEN void http_group_free(pail_http_group *group);

/* -------------------------------------------------- net/part_writer.c */

/* Uploads by parts (contracts in include/pail/backend.h, ABI 1.12). */
PAIL_HIDDEN pail_status part_writer_open(const pail_config *cfg,
                                         const pail_part_protocol *protocol,
                                         pail_part_writer **writer,
                                         pail_error **err);
PAIL_HIDDEN pail_status part_writer_write(pail_part_writer *writer,
                                          const void *buffer, size_t length,
                                          pail_error **err);
PAIL_HIDDEN pail_status part_writer_write_file(pail_part_writer *writer, int fd,
                                               uint64_t offset, uint64_t length,
                                               pail_error **err);
PAIL_HIDDEN pail_status part_writer_copy(pail_part_writer *writer,
                                         uint64_t offset, uint64_t length,
                                         pail_error **err);
PAIL_HIDDEN pail_status part_writer_commit(pail_part_writer *writer,
                                           pail_object_info *info,
                                           pail_error **err);
PAIL_HIDDEN void part_writer_abort(pail_part_writer *writer);
/* For tests: the bytes of part buffers the writer holds, and in *peak (may
 * be NULL) the most it has held, which streamBufferSize bounds. */
PAIL_HIDDEN size_t part_writer_buffered(const pail_part_writer *writer,
                                        size_t *peak);

/* -------------------------------------------------------- workspace.c */

/* A storage of the workspace, opened on first use. */
typedef struct storage_handle {
  const backend *backend;
  void *instance;
  const storage_settings *settings;
  const pail_config *config; /* the storage's, for redaction */
} storage_handle;

/* pail_reader_open with its arguments checked, saying whether the read
 * may be large (bulk): then, if it is of 1 MiB or more or to the end of
 * the object, its stream reads the socket in larger blocks.
 * pail_reader_open says yes; pail_read, which reads whole objects into
 * memory (small ones, mostly), says yes only for a bounded range. */
PAIL_HIDDEN pail_status reader_open(pail_workspace *ws, const pail_pointer *ptr,
                                    const pail_read_options *options, bool bulk,
                                    pail_reader **out, pail_error **err);
/* Resolves the pointer's storage, re-validates its key (callers may build a
 * pail_pointer by hand), applies access rules and grants, then opens the
 * storage. allow_empty_key is for listing prefixes. */
PAIL_HIDDEN pail_status workspace_resolve(pail_workspace *workspace,
                                          const pail_pointer *pointer,
                                          unsigned access, bool allow_empty_key,
                                          storage_handle *out,
                                          pail_error **err);
/* Drops from a listing page the entries a pointer cannot name (see
 * list_page_drop_unnameable) and those the access rules do not let the user
 * list (a prefix the rules allow may also match keys they do not: one-level
 * pattern, recursive listing). Returns how many went. */
PAIL_HIDDEN size_t workspace_list_filter(pail_workspace *workspace,
                                         const char *prefix,
                                         pail_list_page *page);
/* Opens a storage by name (NULL: primary) without any access check. */
PAIL_HIDDEN pail_status workspace_storage(pail_workspace *workspace,
                                          const char *name, storage_handle *out,
                                          pail_error **err);
/* Refuses write options the storage's backend would not honour (a
 * create-only write, user metadata) rather than let it silently ignore
 * them. For every write: streamed, or a backend's server-side copy. */
PAIL_HIDDEN pail_status write_options_check(const storage_handle *handle,
                                            const pail_write_options *options,
                                            pail_error **err);
/* pail_copy reading src only as long as its ETag is source_etag: streamed
 * (no backend's copy checks its source), the read pinned with if_match, so
 * a source replaced after the caller judged it is PAIL_ERR_CONFLICT (HTTP
 * status 412) and nothing is written; PAIL_ERR_UNSUPPORTED when the
 * source's backend cannot read conditionally. */
PAIL_HIDDEN pail_status copy_pinned(pail_workspace *workspace,
                                    const pail_pointer *src,
                                    const pail_pointer *dst,
                                    const pail_write_options *options,
                                    const char *source_etag, pail_error **err);
/* Whether w's backend takes file ranges (write_stream_file, ABI 1.7). */
PAIL_HIDDEN bool writer_takes_files(const pail_writer *w);
/* pail_writer_write for `length` bytes of the regular file fd at offset,
 * through the backend's write_stream_file: fd must stay open and the
 * range unchanged until the writer is closed or aborted. */
PAIL_HIDDEN pail_status writer_write_file(pail_writer *w, int fd,
                                          uint64_t offset, uint64_t length,
                                          pail_error **err);
/* Logs through the sink of a storage's settings, naming the storage (the
 * core services' log). */
PAIL_HIDDEN void config_log(const pail_config *cfg, pail_log_level level,
                            const char *format, ...) PAIL_PRINTF(3, 4);
/* credentials.c: the core services' credentials_* (include/pail/backend.h,
 * ABI 1.19). */
PAIL_HIDDEN pail_status credentials_cache_new(const pail_config *cfg,
                                              pail_credentials_fetch fetch,
                                              void *context,
                                              pail_credentials_cache **out,
                                              pail_error **err);
PAIL_HIDDEN pail_status credentials_get(pail_credentials_cache *cache,
                                        pail_backend_credentials *out,
                                        pail_error **err);
PAIL_HIDDEN void credentials_invalidate(pail_credentials_cache *cache,
                                        const pail_backend_credentials *token);
PAIL_HIDDEN void credentials_clear(pail_backend_credentials *c);
PAIL_HIDDEN void credentials_cache_free(pail_credentials_cache *cache);
/* Logs through the workspace's sink. */
PAIL_HIDDEN void workspace_log(pail_workspace *workspace, pail_log_level level,
                               const char *format, ...) PAIL_PRINTF(3, 4);

/* The workspace key for grants (see pail_grant_create). *secret belongs to
 * the workspace and lives as long as it: do not free it. */
/* Whether the scopes of ws (and of what it was narrowed from) let it reach
 * the storage named name ("_default_": the primary). */
PAIL_HIDDEN bool workspace_scope_has_storage(const pail_workspace *ws,
                                             const char *name);
/* Whether ws was opened from settings (not narrowed from another). */
PAIL_HIDDEN bool workspace_is_root(const pail_workspace *ws);
PAIL_HIDDEN const char *workspace_username(const pail_workspace *ws);
/* The 32 bytes of the gateway signing key named id (NULL: the one that
 * mints, whose id goes to *id_out): from the settings' "gateway_keys", else
 * derived from the workspace key (id "ws"). An id the settings lack is
 * PAIL_ERR_ACCESS_DENIED, provider code "InvalidAccessKeyId". */
PAIL_HIDDEN pail_status workspace_gateway_key(pail_workspace *ws,
                                              const char *id,
                                              unsigned char out[32],
                                              const char **id_out,
                                              pail_error **err);
PAIL_HIDDEN pail_status workspace_signing_key(pail_workspace *workspace,
                                              unsigned char **secret,
                                              size_t *length, pail_error **err);

/* ------------------------------------------------------------ options */

/* Copies the option struct the caller gave (of any older size) over the
 * defaults already in dst, so that code below always sees a complete current
 * struct. src may be NULL (defaults). */
#define OPTIONS_ADOPT(dst, src)                                                \
  do {                                                                         \
    if ((src) != NULL)                                                         \
      memcpy(&(dst), (src),                                                    \
             (src)->struct_size < sizeof(dst) ? (src)->struct_size             \
                                              : sizeof(dst));                  \
    (dst).struct_size = sizeof(dst);                                           \
  } while (0)

/* ----------------------------------------------------------- strings */

/* printf into a new malloc'ed string; NULL when out of memory. */
PAIL_HIDDEN char *str_printf(const char *format, ...) PAIL_PRINTF(1, 2);
PAIL_HIDDEN char *str_dup(const char *s); /* NULL-safe strdup */
/* The value of one hex digit of either case, or -1. */
PAIL_HIDDEN int str_hex_digit(int c);
/* The ABI 1.15 hex_decode and uri_decode services (backend.h has their
 * contracts): hex digits of either case into bytes, and %XX escapes into
 * a new malloc'ed string. */
PAIL_HIDDEN pail_status str_hex_decode(const char *text, size_t length,
                                       unsigned char *out);
PAIL_HIDDEN pail_status str_uri_decode(const char *text, size_t length,
                                       char **out, size_t *out_length);

#endif /* PAIL_CORE_INTERNAL_H */
