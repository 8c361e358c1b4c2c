/*
 * backend.h: the contract between libpail and a backend plugin.
 *
 * A plugin is a shared object named pail_<type>.so, found on $PAIL_PLUGIN_PATH
 * then in $(pkglibdir)/backends. It exports one function and one constant
 * (PAIL_BACKEND_DEFINE_ENTRY writes both):
 *
 *   PAIL_BACKEND_EXPORT pail_status pail_backend_entry(
 *       uint32_t core_abi_version, const pail_core_services *core,
 *       const pail_backend_ops **ops, pail_error **err);
 *   PAIL_BACKEND_EXPORT const uint32_t pail_backend_abi_version;
 *
 * The core calls the entry once, when a storage of that type is first
 * opened, with its ABI version and the table of services it lends: errors,
 * logging, clock, settings access, key rules and crypto helpers (ABI 1.0);
 * HTTP with one retry policy, AWS SigV4 signing and time parsing (1.1);
 * base64, RSA-SHA256 keys and CRC-32C (1.2); resumable and verified reads
 * (1.4, 1.6); delegation to another backend (1.5); file bodies and ranges
 * (1.7, 1.9); redaction of credentials documents (1.10); a request builder
 * (1.11, 1.15); uploads by parts (1.12); HTTP status categories and hex and
 * percent decoding (1.15). The plugin keeps `core` (it lives as long as the
 * process) and returns a pointer to its static ops table.
 *
 * Versioning (after SQLite's sqlite3_vfs and libgit2's odb backends): both
 * tables start with abi_version and struct_size and only ever grow at the
 * end.
 * - The ops table's abi_version is the one record of the ABI a plugin was
 *   built for: the core acts on it (it refuses another major, and reads the
 *   table as that minor's). struct_size is derived from it: it must be at
 *   least the size of that minor's table (of this core's, for a newer
 *   minor), and the core reads no further than it. The exported constant
 *   pail_backend_abi_version is only a diagnostic: the core reads it before
 *   calling the entry so that a plugin of another major, whose entry cannot
 *   trust this core's services to say why, is named with both versions.
 *   PAIL_BACKEND_OPS_INIT and PAIL_BACKEND_DEFINE_ENTRY fill all three from
 *   this header, so they agree.
 * - A plugin names the oldest core minor it needs (the services it calls,
 *   the behaviour it relies on) in PAIL_BACKEND_DEFINE_ENTRY; an older core
 *   is refused with both versions named, a newer 1.x core is fine. A service
 *   added after that minor is used only after PAIL_CORE_HAS(core, field).
 *
 * Data structs (the "ABI 1.x" notes below): a struct a plugin allocates
 * (arrays, its stack, a struct embedded by value) cannot grow without
 * breaking every plugin built before, so those are frozen for ABI 1.x and
 * tests/test_abi.c asserts their size and every member's offset. A struct
 * the core allocates and only lends (the options, list requests, parts) may
 * grow at the end; options say so by a leading struct_size.
 *
 * Threading: `open` and `close` are called once per configured storage, never
 * concurrently for one instance. Every other operation on one instance may be
 * called from many threads at once, so a backend must be thread-safe per
 * instance. A stream (read or write) is used by one thread at a time.
 *
 * Errors: every operation returns PAIL_OK or a pail_status category, and on
 * failure sets *err with core->error_set (err may be NULL). Messages must
 * never contain credentials.
 *
 * Memory: strings and arrays a backend hands to the core (object info, list
 * pages, URLs) are allocated with malloc() and freed by the core with free().
 * The core zeroes `out`/`info` structs before a call and frees whatever they
 * hold after it, on failure as on success: a backend need not clean up a
 * half-filled struct before returning an error.
 * Arguments passed to a backend belong to the core and are valid only during
 * the call, except the pail_config, which lives until `close` returns.
 */
#ifndef PAIL_BACKEND_H
#define PAIL_BACKEND_H

#include <pail/pail.h>
#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PAIL_BACKEND_ABI_MAJOR 1
#define PAIL_BACKEND_ABI_MINOR 19
/* PAIL_ABI_VERSION_MAKE, PAIL_ABI_MAJOR_OF and PAIL_ABI_MINOR_OF are in
 * pail.h, which users share: pail_backend_info reports an ABI version. */
#define PAIL_BACKEND_ABI_VERSION                                               \
  PAIL_ABI_VERSION_MAKE(PAIL_BACKEND_ABI_MAJOR, PAIL_BACKEND_ABI_MINOR)

#if defined(__GNUC__)
#define PAIL_BACKEND_EXPORT __attribute__((visibility("default")))
#else
#define PAIL_BACKEND_EXPORT
#endif
#define PAIL_BACKEND_ENTRY_SYMBOL "pail_backend_entry"
/* Optional (PAIL_BACKEND_DEFINE_ENTRY defines it): a `const uint32_t` holding
 * the PAIL_BACKEND_ABI_VERSION the plugin was built with. The core reads only
 * its major, before calling the entry, so that a plugin of another ABI major
 * is refused with both versions named even when its entry cannot say why;
 * the ops table's abi_version is what the core acts on. */
#define PAIL_BACKEND_ABI_SYMBOL "pail_backend_abi_version"

/* Capability bits (pail_backend_ops.capabilities). They describe what the
 * backend does natively; the core works around what is missing (a NULL copy is
 * done by streaming, a NULL sign is answered with a workspace grant). */
#define PAIL_CAP_RANGED_READ (1u << 0)       /* honours read offset/length */
#define PAIL_CAP_MULTIPART (1u << 1)         /* parallel multipart uploads */
#define PAIL_CAP_SERVER_COPY (1u << 2)       /* copy without moving bytes */
#define PAIL_CAP_PRESIGN (1u << 3)           /* sign produces URLs */
#define PAIL_CAP_CONDITIONAL_WRITE (1u << 4) /* honours if_none_match */
#define PAIL_CAP_METADATA (1u << 5)          /* stores user metadata */
#define PAIL_CAP_CREATE_CONTAINER (1u << 6)  /* create_container works */
#define PAIL_CAP_CONDITIONAL_READ (1u << 7)  /* honours read if_match */

/* The settings object of one storage, read through the core services. */
typedef struct pail_config pail_config;

/* Field types a backend declares. The core validates a storage's settings
 * against its backend's field table before calling `open`: an unknown field,
 * a field of the wrong type or a missing required field is an error naming
 * the field and the storage. */
typedef enum pail_field_type {
  PAIL_FIELD_STRING = 1,
  PAIL_FIELD_BOOL = 2,
  PAIL_FIELD_INTEGER = 3,
  PAIL_FIELD_OBJECT_OR_STRING = 4, /* a JSON object, or a string holding one */
  PAIL_FIELD_ANY = 5
} pail_field_type;

/* One setting a backend accepts. Frozen for ABI 1.x: backends hand the core
 * arrays of it.
 *
 * The core owns the settings every storage has, whatever its backend, and
 * takes them out of the fields before the backend's table is checked:
 * "maxAttempts" and "retryTimeLimit" (the retry policy), "streamBufferSize"
 * (the memory of uploads from a stream), "tlsVerify" and "caBundle" (how
 * servers are verified). A backend reads their effect through the services
 * (HTTP, part writer), never as fields, and a field table that declares one
 * of them is refused when the plugin loads. "type" is implied. */
typedef struct pail_backend_field {
  const char *name; /* NULL ends the table */
  pail_field_type type;
  int required;
  int secret;              /* never logged or printed */
  const char *description; /* one line, for `pail backends` and docs */
} pail_backend_field;

/* The structs of pail.h a backend receives or fills:
 * - pail_object_info, pail_metadata_entry, pail_list_page and pail_leftover
 *   are frozen for ABI 1.x: backends allocate arrays of them (list entries,
 *   metadata, leftovers) or fill them in place.
 * - pail_read_options, pail_write_options and pail_sign_options start with
 *   struct_size and may grow at the end: the core hands a backend its own
 *   full-size copy, whatever the caller passed, and a backend built before a
 *   member existed never reads it.
 */

/* Where a listing starts and how much it takes. The core allocates it and
 * the backend only reads it, so it may grow at the end in a later minor. */
typedef struct pail_backend_list_request {
  const char *prefix;     /* possibly empty */
  const char *delimiter;  /* "/" or NULL for a recursive listing */
  const char *page_token; /* NULL for the first page */
  size_t max_keys;        /* >= 1; the core substitutes the default for 0 */
} pail_backend_list_request;

/* ABI 1.18: one part of a multipart upload as upload_complete takes it.
 * Frozen for ABI 1.x: the core hands backends arrays of it. */
typedef struct pail_upload_part {
  uint32_t number;  /* 1 to 10,000 */
  const char *etag; /* what upload_part set for it */
} pail_upload_part;

/* What a backend implements. Declare it with PAIL_BACKEND_OPS_INIT, which
 * fills abi_version, struct_size and name from this header:
 *
 *   static const pail_backend_ops my_ops = {
 *       PAIL_BACKEND_OPS_INIT("mine"),
 *       .version = "1.0", .open = my_open, .close = my_close, ...};
 */
typedef struct pail_backend_ops {
  /* PAIL_BACKEND_ABI_VERSION the plugin was built for: the one record of
   * its ABI the core acts on (see the top of this file). */
  uint32_t abi_version;
  /* sizeof(pail_backend_ops) the plugin was built with, derived from
   * abi_version: at least that minor's table. */
  uint32_t struct_size;
  const char *name;                 /* the type it implements, "fs" */
  const char *version;              /* the plugin's own version */
  uint64_t capabilities;            /* PAIL_CAP_* */
  const pail_backend_field *fields; /* settings it accepts; "type" is implied */

  /* Creates an instance for one storage. Required. cfg stays valid until
   * close. *instance is opaque to the core. */
  pail_status (*open)(const pail_config *cfg, void **instance,
                      pail_error **err);
  /* Frees an instance. Required. */
  void (*close)(void *instance);

  /* Lists one page in byte order of keys. With a delimiter, keys containing it
   * after the prefix are folded into one is_folder entry (key ending in the
   * delimiter). out is zeroed by the core; set next_page_token (malloc'ed)
   * when more remains. May be NULL (unsupported). */
  pail_status (*list)(void *instance, const pail_backend_list_request *request,
                      pail_list_page *out, pail_error **err);

  /* Fills out for key. A missing key is PAIL_ERR_NOT_FOUND. May be NULL. */
  pail_status (*stat)(void *instance, const char *key, pail_object_info *out,
                      pail_error **err);

  /* Opens a read of key from options->offset for options->length bytes
   * (PAIL_READ_TO_END: to the end). The core has already checked the range
   * against the size when it knows it. info receives the object's info (at
   * least size); *stream is opaque. Reads then come through read_stream
   * until it reports 0 bytes, and read_close ends it. An object that
   * changes during the read fails read_open or read_stream with
   * PAIL_ERR_CONFLICT and HTTP status 412: the core's whole reads then
   * start again. May be NULL. */
  pail_status (*read_open)(void *instance, const char *key,
                           const pail_read_options *options, void **stream,
                           pail_object_info *info, pail_error **err);
  pail_status (*read_stream)(void *stream, void *buffer, size_t capacity,
                             size_t *got, pail_error **err);
  void (*read_close)(void *stream);

  /* Opens a write of key. Nothing may be visible under key before
   * write_commit succeeds. write_commit and write_abort free the stream;
   * write_commit fills info (may be NULL) and, on failure, must leave no
   * partial object behind. Since ABI 1.13, options and all it points to
   * stay valid and unchanged until write_commit or write_abort returns (the
   * core keeps a copy), so the stream may point at them. May be NULL. */
  pail_status (*write_open)(void *instance, const char *key,
                            const pail_write_options *options, void **stream,
                            pail_error **err);
  pail_status (*write_stream)(void *stream, const void *buffer, size_t length,
                              pail_error **err);
  pail_status (*write_commit)(void *stream, pail_object_info *info,
                              pail_error **err);
  void (*write_abort)(void *stream);

  /* Deletes key. May be NULL. */
  pail_status (*delete_object)(void *instance, const char *key,
                               pail_error **err);

  /* Server-side copy within the instance. May be NULL: the core streams. */
  pail_status (*copy)(void *instance, const char *src_key, const char *dst_key,
                      const pail_write_options *options, pail_error **err);

  /* Produces a presigned URL. options is complete (method set, expires > 0,
   * at set to the signing time). May be NULL: the core answers with a
   * workspace-signed grant. */
  pail_status (*sign)(void *instance, const char *key,
                      const pail_sign_options *options, char **url,
                      pail_error **err);

  /* Creates the bucket/container/root. Existing and owned is success.
   * May be NULL. */
  pail_status (*create_container)(void *instance, pail_error **err);

  /* ABI 1.0 ends here. New members are appended below this line only. */

  /* ABI 1.1. Deletes many keys in as few requests as the provider allows
   * (S3's DeleteObjects takes 1,000 a request). results[i] receives each
   * key's status and errors[i] its error (NULL on success; both arrays are
   * zeroed by the core, and the core frees the errors). Returns PAIL_OK
   * when every key got a result, or a status for the whole batch (then
   * results are ignored). A missing key counts as deleted where the
   * provider cannot tell. May be NULL: the core calls delete_object for
   * each key. */
  pail_status (*delete_objects)(void *instance, const char *const *keys,
                                size_t count, pail_status *results,
                                pail_error **errors, pail_error **err);

  /* ABI 1.7. Appends to a write the next `length` bytes of the object,
   * found in the regular file fd at `offset`: pail_upload() calls it
   * instead of write_stream for a local file, so that the backend can send
   * parts straight from the file (PAIL_HTTP_BODY_FILE) instead of copying
   * them into part buffers. fd stays open and the range unchanged until
   * write_commit or write_abort returns; a file that shrinks meanwhile
   * fails the write. Calls may be mixed with write_stream. May be NULL:
   * the core reads the file and calls write_stream. */
  pail_status (*write_stream_file)(void *stream, int fd, uint64_t offset,
                                   uint64_t length, pail_error **err);

  /* ABI 1.8. How a program other than pail reaches this storage, as the
   * backend resolved it when the storage opened (credentials from the
   * settings, the environment or profile files alike): one JSON object,
   * "protocol" ("s3", "azure_blob" or "gcs") and that protocol's members
   * (docs/plugins.md, "Connection facts"). The core turns it into the
   * settings of data tools (pail_settings_export). *json is malloc'ed and
   * holds credentials. PAIL_ERR_UNSUPPORTED when the storage's credentials
   * cannot be handed out (a token that only this process can refresh). May
   * be NULL: no other program can reach the storage (fs, mem). */
  pail_status (*connection_describe)(void *instance, char **json,
                                     pail_error **err);

  /* ABI 1.14. What interrupted writes left behind in the storage (issue
   * 15, pail_cleanup): never a committed object. *leftovers is a malloc'ed
   * array of *count, each with kind, id (malloc'ed), and key, size,
   * started and in_use where known (started INT64_MIN when not); outcome
   * and error are the core's. *note (malloc'ed, may stay NULL) tells the
   * user what the provider removes by itself or what cannot be listed. The
   * core frees all of it, on failure too. May be NULL: the core reports
   * that the backend cannot list leftovers. */
  pail_status (*leftovers_list)(void *instance, pail_leftover **leftovers,
                                size_t *count, char **note, pail_error **err);
  /* ABI 1.14. Removes one leftover that leftovers_list returned (the core
   * passes it back unchanged). A leftover already gone is success. Unless
   * force is non-zero, one whose write turns out to be still running is
   * refused with PAIL_ERR_CONFLICT. Must never remove a committed object.
   * May be NULL only when leftovers_list is. */
  pail_status (*leftover_remove)(void *instance, const pail_leftover *leftover,
                                 int force, pail_error **err);

  /* ABI 1.17. The bytes an open read stream (read_open) has left, as a
   * range of a regular local file, so that a server sends them with
   * sendfile(2) instead of copying them through read_stream: *fd a new
   * descriptor of the file (the caller closes it; it reads the object as
   * read_open found it, whatever replaces the key afterwards), *offset and
   * *length the range. The stream then counts the range as read: its next
   * read_stream gives 0 bytes. PAIL_ERR_UNSUPPORTED, *fd -1, when the
   * stream is not such a range. May be NULL: no stream of the backend is. */
  pail_status (*read_file)(void *stream, int *fd, uint64_t *offset,
                           uint64_t *length, pail_error **err);

  /* ABI 1.18. Multipart uploads whose parts arrive one at a time, from any
   * process, in the provider's own mechanism (S3's multipart uploads, Azure's
   * blocks, GCS's composition of part objects): the S3 gateway's
   * (docs/gateway.md), which keeps the upload's state in the storage, so one
   * call may come from one process and the next from another. All four or none;
   * NULL: the gateway stages the parts as objects in the storage and joins them
   * itself.
   *
   * upload_create begins an upload of key with the content type,
   * disposition and metadata of options (checked by the core as for a
   * write; if_none_match is not asked for) and sets *upload_id (malloc'ed,
   * printable ASCII, at most 1,024 bytes). Nothing is visible under key. */
  pail_status (*upload_create)(void *instance, const char *key,
                               const pail_write_options *options,
                               char **upload_id, pail_error **err);
  /* Stores part `number` (1 to 10,000) of the upload: `length` bytes of
   * the regular file fd from offset, which stay unchanged during the call
   * (send them as a PAIL_HTTP_BODY_FILE body, so a retry reads them
   * again). A part sent again replaces the earlier one. *etag (malloc'ed)
   * is what upload_complete needs to name this part: the provider's ETag,
   * a block ID, a generation. */
  pail_status (*upload_part)(void *instance, const char *key,
                             const char *upload_id, uint32_t number, int fd,
                             uint64_t offset, uint64_t length, char **etag,
                             pail_error **err);
  /* Makes the object of key from the parts listed, in ascending order of
   * their numbers, each with the etag upload_part set, and sets info's
   * etag as stat will then show it (info may be NULL). options are those
   * upload_create was given (for a provider that takes the object's
   * headers at the end, as Azure's Put Block List). A listed part the
   * provider no longer has is PAIL_ERR_CONFLICT. A failure leaves the
   * previous object, or none. */
  pail_status (*upload_complete)(void *instance, const char *key,
                                 const char *upload_id,
                                 const pail_write_options *options,
                                 const pail_upload_part *parts, size_t count,
                                 pail_object_info *info, pail_error **err);
  /* Abandons the upload: none of its parts will be part of an object. An
   * upload already gone (completed or aborted) is success. */
  pail_status (*upload_abort)(void *instance, const char *key,
                              const char *upload_id, pail_error **err);
  /* Optional, even with the four above: stores part `number` of the upload
   * as `length` bytes (at least 1) from `offset` of the object src_key of
   * the same storage, copied by the provider (S3's UploadPartCopy), so
   * that nothing passes through the process; *etag as upload_part's. The
   * core has checked the range against the source's size. NULL: the
   * gateway reads the range and sends it with upload_part. */
  pail_status (*upload_part_copy)(void *instance, const char *key,
                                  const char *upload_id, uint32_t number,
                                  const char *src_key, uint64_t offset,
                                  uint64_t length, char **etag,
                                  pail_error **err);
} pail_backend_ops;

/* The first members of a pail_backend_ops, as designated initialisers (after
 * libgit2's GIT_ODB_BACKEND_INIT): this header's ABI version and table size,
 * and the type the plugin implements. */
#define PAIL_BACKEND_OPS_INIT(type_name)                                       \
  .abi_version = PAIL_BACKEND_ABI_VERSION,                                     \
  .struct_size = sizeof(pail_backend_ops), .name = (type_name)

/* An HTTP request for the core's HTTP services. Strings belong to the
 * caller. Frozen for ABI 1.x (at its 1.3 layout): backends allocate it and
 * pail_request embeds it by value. */
typedef struct pail_http_request {
  const char *method;         /* "GET", "PUT", "HEAD", ... */
  const char *url;            /* absolute; path and query already encoded */
  const char *const *headers; /* "Name: value" lines */
  size_t header_count;
  const void *body; /* the request body, or NULL for none */
  size_t body_length;
  /* ABI 1.3: PAIL_HTTP_* bits. The core reads this member only from
   * plugins built for ABI 1.3 or later (by the ops table's abi_version),
   * so an older plugin's shorter struct is never read past its end. */
  uint32_t flags;
} pail_http_request;

/* ABI 1.7: with PAIL_HTTP_BODY_FILE in a request's flags, its body points to
 * one of these instead of the bytes: the body is body_length bytes of the
 * file fd from offset, read with pread as they are sent (again on a
 * retry), so that a part of a local file goes up without a copy in memory.
 * It must stay valid as the body would, and the file must not shrink
 * meanwhile (that fails the request, PAIL_ERR_IO). Frozen for ABI 1.x:
 * backends allocate it. */
typedef struct pail_http_body_file {
  int fd;
  uint64_t offset;
} pail_http_body_file;

/* ABI 1.11: a request that owns its URL and header lines, built with the
 * core's request_init / request_header / request_free services, so that
 * a backend only adds what its protocol needs. `http` is what the HTTP
 * services take; the services keep its url, headers and header_count in
 * step with the members below: change the URL with request_set_url (ABI
 * 1.15), not by hand. Frozen for ABI 1.x: backends allocate it and
 * pail_part embeds it by value; request_init clears exactly its 1.x size. */
typedef struct pail_request {
  pail_http_request http;
  char **headers; /* "Name: value", each malloc'd */
  size_t header_count;
  char *url; /* malloc'd */
} pail_request;

/* Sets a request's body (bytes, or a pail_http_body_file with
 * PAIL_HTTP_BODY_FILE in http.flags); the body stays the caller's. */
static inline void pail_request_body(pail_request *r, const void *body,
                                     size_t length) {
  r->http.body = body;
  r->http.body_length = length;
}

/* The core retries transient failures of GET, HEAD, PUT and DELETE (see
 * docs/settings.md); POST only with PAIL_HTTP_IDEMPOTENT, for a POST that
 * can be replayed harmlessly (S3's DeleteObjects, an OAuth token request).
 * PAIL_HTTP_NO_RETRY turns retries off for one request. */
#define PAIL_HTTP_IDEMPOTENT (1u << 0)
#define PAIL_HTTP_NO_RETRY (1u << 1)
/* ABI 1.7: body is a pail_http_body_file. */
#define PAIL_HTTP_BODY_FILE (1u << 2)
/* ABI 1.19: a request to a metadata endpoint (EC2 and Azure instance
 * metadata, ECS container credentials, the GCE metadata server): 1 s to
 * connect and answer in all, never retried, never through a proxy, so a
 * machine without one fails fast. */
#define PAIL_HTTP_METADATA (1u << 3)

/* Frozen for ABI 1.x, as pail_http_response: backends allocate responses
 * (the core fills them) and index the core's arrays of headers. */
typedef struct pail_http_header {
  char *name; /* lowercase */
  char *value;
} pail_http_header;

/* An HTTP response; everything owned, released with http_response_clear. */
typedef struct pail_http_response {
  int status;
  pail_http_header *headers;
  size_t header_count;
  char *body; /* NUL-terminated (not counted), or NULL */
  size_t body_length;
} pail_http_response;

typedef struct pail_http_stream pail_http_stream;
typedef struct pail_http_group pail_http_group;
/* A parsed private key (OpenSSL underneath), from private_key_load. */
typedef struct pail_private_key pail_private_key;

/* Credentials and scope for SigV4. Strings belong to the caller. Frozen for
 * ABI 1.x: backends allocate it. */
typedef struct pail_sigv4_key {
  const char *access_key_id;
  const char *secret_access_key;
  const char *session_token; /* or NULL */
  const char *region;        /* "us-east-1" */
  const char *service;       /* "s3" */
  /* S3 signs the path as sent; other AWS services normalise it and encode
   * it a second time. Non-zero for the latter. */
  int normalize_path;
} pail_sigv4_key;

/* ABI 1.19: credentials a backend obtained from a provider (an STS role, a
 * metadata server, a token endpoint), which expire. Strings are malloc'ed;
 * credentials_clear wipes and frees them. */
typedef struct pail_backend_credentials {
  char *access_key_id;     /* AWS keys; NULL for a bearer token */
  char *secret_access_key; /* AWS keys */
  char *token;             /* a session token, or a bearer token */
  int64_t expires;         /* seconds since the epoch; 0: never */
  /* Where they came from, for messages and `pail config check` ("web
   * identity (AWS_WEB_IDENTITY_TOKEN_FILE)"); never a secret. */
  char *source;
} pail_backend_credentials;

/* Obtains fresh credentials for a credentials cache: fills out (zeroed by
 * the caller) or sets *err. Called on whichever thread needs them, never
 * twice at once for one cache, and never with the cache's lock held. */
typedef pail_status (*pail_credentials_fetch)(void *context,
                                              pail_backend_credentials *out,
                                              pail_error **err);

/* One storage's current credentials and their refreshing
 * (credentials_cache_new). */
typedef struct pail_credentials_cache pail_credentials_cache;

/* ABI 1.4: a streamed GET of one object that resumes where its body broke
 * (core_services.resumable_open). The backend speaks its protocol through two
 * callbacks; the core does the streaming, drops the bytes a server that
 * ignored Range sends before the range, re-requests the rest pinned to the
 * version being read, and logs and reports as every backend does. */
typedef struct pail_resumable_reader pail_resumable_reader;

/* Frozen for ABI 1.x: backends allocate it and the core copies it whole. */
typedef struct pail_resumable_source {
  /* Messages read "<label>: <key>: ..." ("s3", the backend's name). */
  const char *label;
  const char *key;
  /* The version being read when the backend knows it before the first
   * request (GCS's generation), else NULL: then it is the value of
   * version_header ("etag") in the first response. A read without a
   * version is never resumed. */
  const char *version;
  const char *version_header;
  /* How many times a broken body may be re-requested in the whole read. */
  int resumes;
  void *context; /* passed to the callbacks */

  /* Builds (and signs) the GET of the object. range is the value of the
   * Range header to send ("bytes=10-99", "bytes=10-"), or NULL for the whole
   * object; version is the version to pin the request to (If-Match,
   * ifGenerationMatch), or NULL before one is known. *request must stay
   * valid until the next call of build or until resumable_close returns. */
  pail_status (*build)(void *context, const char *range, const char *version,
                       const pail_http_request **request, pail_error **err);
  /* Judges a response's head. A status other than 2xx must fail with the
   * backend's error; resuming is non-zero for a re-request pinned to the
   * version (a 412 then means the object changed during the read). info is
   * not NULL for the first response only: fill it from the headers if the
   * backend has not already. Setting *again (with any status) has the
   * request built and sent once more (a refreshed token after a 401); on
   * that second attempt *again is ignored and the status stands. */
  pail_status (*check)(void *context, const pail_http_response *head,
                       int resuming, pail_object_info *info, int *again,
                       pail_error **err);
} pail_resumable_source;

/* ABI 1.5: another backend opened on behalf of a storage
 * (core_services.delegate_open). A backend whose service also speaks a
 * protocol another backend implements (GCS's XML API, which is S3's with
 * HMAC keys) forwards operations to an instance of that backend instead of
 * speaking the protocol a second time. Call ops' members with instance.
 * The core allocates it: it may grow at the end in a later minor. */
typedef struct pail_delegate {
  const pail_backend_ops *ops;
  void *instance;
} pail_delegate;

/* ABI 1.12: an upload by parts (core_services.part_writer_open). The backend
 * speaks its protocol through the callbacks of a pail_part_protocol (begin
 * the upload, send one part, judge a part's answer, complete, abort, or put
 * the whole object at once when it fits in one part); the core owns the
 * rest: the part buffers and their memory budget (the storage's
 * "streamBufferSize"), file ranges sent without a copy, parts in flight on
 * an HTTP group, the limit on their number, draining on commit and the
 * order of things on failure. S3's multipart upload and Azure's blocks are
 * written with it. */
typedef struct pail_part_writer pail_part_writer;

/* One part, owned by the core, as the callbacks see it. The core allocates
 * it and the backend only gets pointers, so it may grow at the end in a
 * later minor; its `request` member is a frozen pail_request. */
typedef struct pail_part {
  int number; /* 1, 2, ... in the order of the object's bytes; 0: single */
  /* The part's bytes, as the body of a pail_http_request: body_flags is 0
   * for bytes in memory, PAIL_HTTP_BODY_FILE for a range of a file (body
   * then points to a pail_http_body_file). Valid until the part's answer
   * is judged (or until single returns). NULL for a part the server
   * copies. pail_request_part_body makes them a request's body. */
  const void *body;
  size_t body_length;
  uint32_t body_flags;
  /* A part the server copies (part_writer_copy): the source's range. */
  uint64_t copy_offset, copy_length;
  /* The request that sends the part, built by part_start (request_init
   * and the rest); the core sends it and frees it with request_free. */
  pail_request request;
} pail_part;

/* Makes a part's bytes the body of r (after request_init, before signing:
 * the signature may cover the body). */
static inline void pail_request_part_body(pail_request *r,
                                          const pail_part *part) {
  pail_request_body(r, part->body, part->body_length);
  r->http.flags |= part->body_flags;
}

/* Frozen for ABI 1.x: backends allocate it and the core copies it whole. */
typedef struct pail_part_protocol {
  /* Messages read "<label>: <key>: ..." ("s3", "azure_blob"). Copied. */
  const char *label;
  const char *key;
  /* Words of the messages: "part" or "block"; the setting that sets the
   * part size ("partSize"); what the object cannot exceed ("S3 stores in
   * one object"). Static strings. */
  const char *part_word;
  const char *part_size_setting;
  const char *capacity;
  size_t part_size;       /* also the most a single request takes */
  uint64_t max_part_size; /* when a size hint asks for larger parts */
  int max_parts;          /* 10,000 for S3, 50,000 for Azure */
  size_t concurrency;     /* parts in flight at most */
  uint64_t size_hint;     /* the object's size when known, else 0 */
  size_t max_body;        /* the largest answer to a part read */
  void *context;          /* passed to every callback */

  /* Begins the upload before its first part (S3's CreateMultipartUpload);
   * part_size is the size of its parts, the most a single request would
   * have taken. May be NULL. abort is called only after begin succeeded. */
  pail_status (*begin)(void *context, size_t part_size, pail_error **err);
  /* Builds and signs part->request, which sends `part` (its body as
   * part->body, body_length and body_flags say, or the range of a copied
   * part). The core frees the request, whatever this returns. */
  pail_status (*part_start)(void *context, pail_part *part, pail_error **err);
  /* Judges the answer to a part (any HTTP status: a failure is the
   * backend's error, about `what`, "<key> (part N)") and records what
   * complete needs (an ETag). Not called for a part whose request failed
   * in transport or was cancelled. */
  pail_status (*part_finish)(void *context, const pail_part *part,
                             const pail_http_response *response,
                             const char *what, pail_error **err);
  /* Commits parts 1 to `parts`, all stored (Put Block List,
   * CompleteMultipartUpload); fills info->etag when info is not NULL. */
  pail_status (*complete)(void *context, int parts, pail_object_info *info,
                          pail_error **err);
  /* Discards a begun upload after a failure (AbortMultipartUpload), best
   * effort, once no part is in flight. May be NULL. */
  void (*abort)(void *context);
  /* Writes the whole object in one request (part->number is 0; a
   * zero-length body too) when it fit in one part; fills info->etag. */
  pail_status (*single)(void *context, const pail_part *part,
                        pail_object_info *info, pail_error **err);
} pail_part_protocol;

/* The services the core lends to plugins. Valid for the life of the process. */
typedef struct pail_core_services {
  uint32_t abi_version;
  uint32_t struct_size;

  /* Same as pail_error_set(). */
  pail_status (*error_set)(pail_error **err, pail_status category,
                           int http_status, const char *provider_code,
                           const char *request_id, const char *format, ...)
      PAIL_PRINTF(6, 7);

  /* Logs through the workspace's log sink, redacting the storage's secret
   * fields. cfg may be NULL (then the line goes nowhere). */
  void (*log)(const pail_config *cfg, pail_log_level level, const char *format,
              ...) PAIL_PRINTF(3, 4);

  /* The current time in seconds since the epoch (and nanoseconds). The one
   * clock of the library: tests fix it through $PAIL_TEST_NOW. */
  int64_t (*now)(int32_t *nsec);

  /* Settings access. The storage's name (NULL for the primary) and type. */
  const char *(*config_storage_name)(const pail_config *cfg);
  /* A string field, or NULL when absent or null. Valid while cfg lives. */
  const char *(*config_string)(const pail_config *cfg, const char *field);
  /* A boolean field (JSON true/false, or "true"/"false"), or dflt. */
  int (*config_bool)(const pail_config *cfg, const char *field, int dflt);
  /* An integer field, or dflt. */
  int64_t (*config_integer)(const pail_config *cfg, const char *field,
                            int64_t dflt);
  /* A field serialised as compact JSON (objects kept as objects, strings
   * returned as their JSON string form). Caller frees. NULL when absent. */
  char *(*config_json)(const pail_config *cfg, const char *field);

  /* The rules of keys (1 to 1024 bytes of UTF-8, no control characters, no
   * empty, "." or ".." segment, no leading /), as pail_key_check. */
  pail_status (*key_check)(const char *key, size_t length, pail_error **err);

  /* Crypto helpers (OpenSSL underneath). */
  void (*sha256)(const void *data, size_t length, unsigned char out[32]);
  void (*hmac_sha256)(const void *key, size_t key_length, const void *data,
                      size_t length, unsigned char out[32]);
  /* Lowercase hex of length bytes into out (2*length+1 bytes, NUL-ended). */
  void (*hex_encode)(const unsigned char *data, size_t length, char *out);

  /* ABI 1.0 ends here. New members are appended below this line only. */

  /* ---------------------------------------------------- ABI 1.1: HTTP
   * libcurl underneath, with one connection cache, DNS cache and TLS session
   * cache shared by every storage of the process, TLS verification on
   * unless the storage's core field "tlsVerify" is false (with the CA
   * certificates of its core field "caBundle", else of $CURL_CA_BUNDLE or
   * $SSL_CERT_FILE, else the system's), the standard proxy variables
   * honoured, a connect timeout
   * and a stalled-transfer limit. All of these are thread-safe; a stream or a
   * group is used by one thread at a time.
   *
   * Transport failures (refused, reset, timed out, TLS) are returned as
   * PAIL_ERR_UNAVAILABLE with a message naming the host; any HTTP status is
   * a success at this level and is left to the backend to interpret. Log
   * lines for requests go through cfg's log at PAIL_LOG_DEBUG, with the
   * storage's secrets and URL signatures redacted. */

  /* One exchange with the body in memory both ways. A response body longer
   * than max_body bytes fails with PAIL_ERR_IO. out is zeroed by the
   * callee; release it with http_response_clear, on failure too. */
  pail_status (*http_exchange)(const pail_config *cfg,
                               const pail_http_request *request,
                               size_t max_body, pail_http_response *out,
                               pail_error **err);
  void (*http_response_clear)(pail_http_response *response);
  /* A response header's value (name compared case-insensitively), or NULL.
   * Valid until the response is cleared. */
  const char *(*http_header)(const pail_http_response *response,
                             const char *name);

  /* A streamed response body (GET of an object). Returns once the status
   * and headers are in (head->body is NULL) with *stream set for a 2xx
   * status; for any other status the error body (at most 64 KiB) is read
   * into head->body and *stream is NULL. request must stay valid until
   * http_stream_close. */
  pail_status (*http_stream_open)(const pail_config *cfg,
                                  const pail_http_request *request,
                                  pail_http_stream **stream,
                                  pail_http_response *head, pail_error **err);
  /* Reads up to capacity bytes of the body; *got is 0 only at its end. A
   * connection lost before Content-Length bytes arrived is PAIL_ERR_IO. */
  pail_status (*http_stream_read)(pail_http_stream *stream, void *buffer,
                                  size_t capacity, size_t *got,
                                  pail_error **err);
  void (*http_stream_close)(pail_http_stream *stream);

  /* Up to `concurrency` exchanges in flight at once on one thread (parallel
   * multipart parts, batch deletes). http_group_start queues a request: it
   * and its body must stay valid until its completion is returned by
   * http_group_wait. http_group_wait drives the transfers until one ends and
   * returns its tag and response (status PAIL_OK) or its transport error;
   * with nothing queued it returns PAIL_ERR_INVALID_ARGUMENT.
   * http_group_free cancels whatever is still in flight. */
  pail_http_group *(*http_group_new)(const pail_config *cfg,
                                     size_t concurrency);
  pail_status (*http_group_start)(pail_http_group *group,
                                  const pail_http_request *request,
                                  size_t max_body, void *tag, pail_error **err);
  pail_status (*http_group_wait)(pail_http_group *group, void **tag,
                                 pail_http_response *out, pail_error **err);
  size_t (*http_group_pending)(const pail_http_group *group);
  void (*http_group_free)(pail_http_group *group);

  /* ----------------------------------------------- ABI 1.1: AWS SigV4
   * Signing for S3 and any SigV4 service (GCS's HMAC interoperability too).
   * Signing keys are cached per (secret, date, region, service). */

  /* Signs a request: returns in *added the headers to send in addition to
   * `headers` ("X-Amz-Date: ...", "X-Amz-Content-Sha256: ..." when
   * payload_hash is not NULL, "X-Amz-Security-Token: ..." with a session
   * token, and "Authorization: ..."), freed with strings_free. url is the
   * request's absolute URL, path and query already percent-encoded; Host is
   * taken from it. payload_hash is the lowercase hex SHA-256 of the body,
   * "UNSIGNED-PAYLOAD", or NULL to sign without the header. at is the signing
   * time (seconds since the epoch). */
  pail_status (*sigv4_sign)(const pail_sigv4_key *key, const char *method,
                            const char *url, const char *const *headers,
                            size_t header_count, const char *payload_hash,
                            int64_t at, char ***added, size_t *added_count,
                            pail_error **err);
  /* A presigned URL (X-Amz-Algorithm ... X-Amz-Signature added to url's
   * query) valid for `expires` seconds (1 to 604800) from `at`. headers are
   * the extra headers the request must send, signed with Host. Caller
   * frees *out. */
  pail_status (*sigv4_presign)(const pail_sigv4_key *key, const char *method,
                               const char *url, const char *const *headers,
                               size_t header_count, int64_t at, int64_t expires,
                               char **out, pail_error **err);
  /* Percent-encodes text as SigV4 and S3 require: every byte but
   * A-Z a-z 0-9 - . _ ~ becomes %XX (uppercase), '/' too unless keep_slash.
   * Caller frees; NULL when out of memory. */
  char *(*uri_encode)(const char *text, int keep_slash);
  /* Frees an array of malloc'ed strings and the array. */
  void (*strings_free)(char **strings, size_t count);

  /* Parses the times providers send: RFC 3339 / ISO 8601 with optional
   * fraction ("2026-11-25T10:00:00.123Z") and HTTP dates ("Wed, 25 Nov 2026
   * 10:00:00 GMT"). nsec may be NULL. PAIL_ERR_INVALID_ARGUMENT when it is
   * neither. */
  pail_status (*time_parse)(const char *text, int64_t *seconds, int32_t *nsec);

  /* Errors a backend received from a service and handles itself (a retry, a
   * fallback): pail_error_free, pail_error_category,
   * pail_error_provider_code and pail_error_message, since plugins do not
   * link libpail. */
  void (*error_free)(pail_error *error);
  pail_status (*error_category)(const pail_error *error);
  const char *(*error_provider_code)(const pail_error *error);
  const char *(*error_message)(const pail_error *error);

  /* MD5 (protocols that require it, such as S3's Content-MD5; never for
   * security) and standard padded base64 into out (4 * ceil(length / 3) + 1
   * bytes, NUL-ended), returning the length written. */
  void (*md5)(const void *data, size_t length, unsigned char out[16]);
  size_t (*base64_encode)(const unsigned char *data, size_t length, char *out);

  /* pail_content_type_guess: a content type from a name's extension, or
   * NULL. The string is static. */
  const char *(*content_type_guess)(const char *name);

  /* ------------------------------------------------ ABI 1.2: more crypto */

  /* Standard base64 (padding required, whitespace refused) of text (length
   * bytes) into out, which holds at least 3 * (length / 4) bytes; the
   * decoded length goes to *out_length. PAIL_ERR_INVALID_ARGUMENT when text
   * is not base64. Used for Azure account keys. */
  pail_status (*base64_decode)(const char *text, size_t length,
                               unsigned char *out, size_t *out_length);
  /* base64url without padding (RFC 4648 section 5, as JWTs want) into out
   * (4 * ceil(length / 3) + 1 bytes, NUL-ended); returns the length. */
  size_t (*base64url_encode)(const unsigned char *data, size_t length,
                             char *out);
  /* A private key parsed from PEM text ("BEGIN PRIVATE KEY" PKCS#8 or
   * "BEGIN RSA PRIVATE KEY"), for rsa_sha256_sign. The error never quotes
   * the key. Free with private_key_free (NULL is fine). */
  pail_private_key *(*private_key_load)(const char *pem, size_t length,
                                        pail_error **err);
  void (*private_key_free)(pail_private_key *key);
  /* RSASSA-PKCS1-v1_5 with SHA-256 (JWT RS256, GOOG4-RSA-SHA256) of data.
   * The signature is malloc'd into *signature (*signature_length bytes);
   * the caller frees it. Thread-safe on a shared key. */
  pail_status (*rsa_sha256_sign)(const pail_private_key *key, const void *data,
                                 size_t length, unsigned char **signature,
                                 size_t *signature_length, pail_error **err);
  /* CRC-32C (Castagnoli) of data, continuing from crc (0 to start), as GCS
   * reports in crc32c. */
  uint32_t (*crc32c)(uint32_t crc, const void *data, size_t length);

  /* ------------------------------------------ ABI 1.4: shared machinery */

  /* pail_object_info_clear: frees what info holds (NULL is fine) and zeroes
   * it, for the infos a backend fills and drops itself (a listing entry it
   * skips, a copy's source). */
  void (*object_info_clear)(pail_object_info *info);

  /* Opens a resumable read of `length` bytes (PAIL_READ_TO_END: to the end)
   * from `offset`: sends the first request and returns once its head is
   * checked, with info->size set (by check, or before the call). A ranged
   * request from byte 0 refused PAIL_ERR_INVALID_ARGUMENT (an empty object
   * has no byte 0 for Range) is sent again for the whole object. source's
   * strings are copied; its context must outlive the reader. */
  pail_status (*resumable_open)(const pail_config *cfg,
                                const pail_resumable_source *source,
                                uint64_t offset, uint64_t length,
                                pail_object_info *info,
                                pail_resumable_reader **reader,
                                pail_error **err);
  /* Reads up to capacity bytes of the range; *got is 0 only at its end. A
   * body that breaks (PAIL_ERR_IO, PAIL_ERR_UNAVAILABLE) is re-requested
   * from the next byte, pinned to the version, up to source->resumes times,
   * each logged at PAIL_LOG_INFO; then it fails PAIL_ERR_IO. */
  pail_status (*resumable_read)(pail_resumable_reader *reader, void *buffer,
                                size_t capacity, size_t *got, pail_error **err);
  /* Closes the stream and frees the reader (NULL is fine). */
  void (*resumable_close)(pail_resumable_reader *reader);

  /* Why an endpoint setting is not host[:port] (a scheme, a path, spaces or
   * a user part, an empty host, a port outside 1 to 65535), as a static
   * phrase for the backend's message; NULL when it is well formed. */
  const char *(*endpoint_problem)(const char *endpoint);

  /* ------------------------------------------------ ABI 1.5: delegation */

  /* Opens backend `type` (found and loaded as for a storage of that type)
   * with the storage fields of the JSON object fields_json, checked against
   * that backend's field table as a storage's are. The delegate belongs to
   * cfg's storage: same name in messages and logs, same retry policy, same
   * caBundle and tlsVerify; its own secret fields are redacted from what it
   * logs. *out is the caller's until delegate_close, which must come before
   * cfg's storage is closed. */
  pail_status (*delegate_open)(const pail_config *cfg, const char *type,
                               const char *fields_json, pail_delegate **out,
                               pail_error **err);
  /* Closes the delegate's instance and frees it (NULL is fine). */
  void (*delegate_close)(pail_delegate *delegate);

  /* -------------------------------------- ABI 1.6: verified downloads */

  /* Has a resumable read check its bytes against the digest the provider
   * stores for the object, when the read covers the whole object (from
   * byte 0 to the end; a range is not checked: providers have no per-range
   * sums). Call it after resumable_open and before the first
   * resumable_read. algorithm is "md5", "sha1", "sha256", "crc32",
   * "crc32c" or "crc64nvme"; expected is the digest as the provider writes
   * it: base64 of its bytes (big-endian for the CRCs, as S3's
   * x-amz-checksum-* and GCS's crc32c) or hex (an S3 ETag, without its
   * quotes). The check is made as the last byte arrives: on a mismatch that
   * resumable_read fails PAIL_ERR_IO (provider code "checksumMismatch")
   * without giving the last bytes, so no download completes with corrupt
   * data. Returns 1 when the read will be checked, 0 when not (a range, an
   * unknown algorithm, a value that is not such a digest). */
  int (*resumable_verify)(pail_resumable_reader *reader, const char *algorithm,
                          const char *expected);

  /* ------------------------------------------ ABI 1.7: bodies from files */

  /* SHA-256 of `length` bytes of the file fd from `offset` (pread), for the
   * payload hash of a body sent from a file (PAIL_HTTP_BODY_FILE,
   * write_stream_file). PAIL_ERR_IO when the file cannot be read or ends
   * before. */
  pail_status (*sha256_file)(int fd, uint64_t offset, uint64_t length,
                             unsigned char out[32], pail_error **err);

  /* ----------------------------------------- ABI 1.9: file ranges read */

  /* Reads exactly `length` bytes of the file fd from `offset` into out
   * (pread, so fd's own offset is left alone), for a backend holding a
   * range of a local file (write_stream_file) that needs its bytes in
   * memory. PAIL_ERR_IO when the file cannot be read or ends before (it
   * changed during the upload). */
  pail_status (*file_read)(int fd, uint64_t offset, void *out, size_t length,
                           pail_error **err);

  /* ------------------------------------ ABI 1.10: credentials documents */

  /* Redacts from err's message the credentials a JSON document holds, as
   * the core redacts a secret field of the settings: every string member
   * named as a credential (private_key, private_key_id, client_secret,
   * refresh_token, ...key, ...secret, ...token, password, credential; not
   * ..._uri or ..._url), at any depth, becomes "***" wherever it appears.
   * For a credentials file a backend read itself (the settings name only
   * its path), called on every refusal that file caused, so that no member
   * of it can leak through any message, whatever its shape. Does nothing
   * when err is NULL or the document is not JSON. */
  void (*error_redact_document)(pail_error *err, const char *json,
                                size_t length);

  /* ------------------------------------------- ABI 1.11: request builder */

  /* Starts *r (any earlier content is not freed) as a request for method
   * (a literal) on url, which it takes over. A NULL url, as an allocation
   * that failed returns, is PAIL_ERR_INTERNAL "out of memory" with r
   * zeroed, so `request_init(&r, "GET", make_url(...), err)` needs no check
   * of its own. */
  pail_status (*request_init)(pail_request *r, const char *method, char *url,
                              pail_error **err);
  /* Appends the header line "Name: value" (printf format). */
  pail_status (*request_header)(pail_request *r, pail_error **err,
                                const char *format, ...) PAIL_PRINTF(3, 4);
  /* Frees what *r owns and zeroes it; a zeroed request is fine. */
  void (*request_free)(pail_request *r);

  /* ------------------------------------------ ABI 1.12: uploads by parts */

  /* Opens an upload by parts of protocol->key (the protocol is copied; its
   * context must outlive the writer). The part size grows from
   * protocol->part_size as a size hint needs to stay within max_parts (in
   * whole MiB); a hint beyond max_part_size × max_parts is refused. Bytes
   * then come from part_writer_write (buffered: at most the storage's
   * streamBufferSize of buffers, never less than one part) and
   * part_writer_write_file (file ranges, sent from the file without a copy,
   * concurrency parts in flight), in any mix. Nothing is sent until a part
   * is full. */
  pail_status (*part_writer_open)(const pail_config *cfg,
                                  const pail_part_protocol *protocol,
                                  pail_part_writer **writer, pail_error **err);
  pail_status (*part_writer_write)(pail_part_writer *writer, const void *buffer,
                                   size_t length, pail_error **err);
  /* As write_stream_file: fd and the range stay valid until commit or abort
   * returns. */
  pail_status (*part_writer_write_file)(pail_part_writer *writer, int fd,
                                        uint64_t offset, uint64_t length,
                                        pail_error **err);
  /* Adds a part of `length` bytes from `offset` of a source the server
   * copies (S3's UploadPartCopy): part_start finds the range in
   * copy_offset and copy_length, and no body. Not mixed with bytes. */
  pail_status (*part_writer_copy)(pail_part_writer *writer, uint64_t offset,
                                  uint64_t length, pail_error **err);
  /* Sends what is left and waits for every part, then completes (or, when
   * no part was sent, calls single). Any failure aborts. Sets info's key,
   * size and last_modified (INT64_MIN: unknown) on success. Frees the
   * writer in every case. */
  pail_status (*part_writer_commit)(pail_part_writer *writer,
                                    pail_object_info *info, pail_error **err);
  /* Cancels the parts in flight, aborts a begun upload and frees the writer
   * (NULL is fine). */
  void (*part_writer_abort)(pail_part_writer *writer);

  /* ---------------------------------- ABI 1.15: one home for each helper
   * Guard each with PAIL_CORE_HAS(core, member) in a plugin that loads on
   * cores before 1.15, or name 15 in PAIL_BACKEND_DEFINE_ENTRY. */

  /* Replaces the URL of a request built with request_init: frees the old
   * one, takes over url and updates r->http.url. A NULL url (a failed
   * allocation) is PAIL_ERR_INTERNAL "out of memory", with the old URL
   * kept. */
  pail_status (*request_set_url)(pail_request *r, char *url, pail_error **err);

  /* The category of an HTTP status a provider answered with, the one table
   * for every backend (which maps its provider's error codes first and falls
   * back on this): 2xx PAIL_OK; 401 and 403 access denied; 404 and 410 not
   * found; 408 unavailable; 409 and 412 conflict; 429 and 503 throttled; 501
   * unsupported; other 4xx (400, 411, 413, 416, ...) invalid argument; other
   * 5xx unavailable; anything else (1xx, an unfollowed 3xx) PAIL_ERR_IO. */
  pail_status (*status_category)(int http_status);

  /* Decodes `length` hex digits of text (either case) into out, which holds
   * length / 2 bytes. PAIL_ERR_INVALID_ARGUMENT, out unspecified, when
   * length is odd or a character is not a hex digit. */
  pail_status (*hex_decode)(const char *text, size_t length,
                            unsigned char *out);
  /* Decodes percent-encoding: every %XX (either case) becomes its byte; no
   * other character changes ('+' stays '+': this is not form decoding).
   * *out is malloc'ed and NUL-ended, its length (which may count NUL bytes
   * a %00 gave) in *out_length when not NULL. PAIL_ERR_INVALID_ARGUMENT, *out
   * NULL, for a '%' not followed by two hex digits; PAIL_ERR_INTERNAL when
   * out of memory. */
  pail_status (*uri_decode)(const char *text, size_t length, char **out,
                            size_t *out_length);

  /* ------------------------------ ABI 1.16: read streams the core owns */

  /* resumable_open for a backend's read_open as a whole. The range and the
   * size of the receive buffers come from options: the read options
   * read_open was given (offset, length and large), or a copy with another
   * range (keep its struct_size). The reader owns source->context: it calls
   * context_free(context), when not NULL, as resumable_close frees it, and
   * before a failed call returns, so read_open has nothing to clean up
   * after this call. The reader can be the backend's read stream itself:
   * read_stream is then resumable_read and read_close resumable_close. */
  pail_status (*resumable_stream_open)(
      const pail_config *cfg, const pail_resumable_source *source,
      const pail_read_options *options, void (*context_free)(void *context),
      pail_object_info *info, pail_resumable_reader **reader, pail_error **err);

  /* ------------------------- ABI 1.19: credentials that expire, refreshed */

  /* A cache over fetch(context), which it calls when first asked and again
   * before the credentials expire: from 5 minutes before (or half their
   * lifetime, when shorter), one thread refreshes while the others go on
   * with the old ones; a refresh that fails then is logged as a warning and
   * the old credentials kept (retried after 10 s), until the last minute
   * (or tenth of the lifetime) before they expire, from which they are never
   * handed out: callers wait for one refresh, whose failure each of them
   * gets. Credentials with expires 0 are fetched once. The context stays
   * the caller's. *out NULL and PAIL_ERR_INTERNAL when out of memory. */
  pail_status (*credentials_cache_new)(const pail_config *cfg,
                                       pail_credentials_fetch fetch,
                                       void *context,
                                       pail_credentials_cache **out,
                                       pail_error **err);
  /* A copy of the current credentials, refreshed first when due (see
   * above), for the caller to clear. Safe from any thread. */
  pail_status (*credentials_get)(pail_credentials_cache *cache,
                                 pail_backend_credentials *out,
                                 pail_error **err);
  /* Drops the cached credentials when they are still those of `token`
   * (a copy from credentials_get), so that the next get fetches: for a
   * provider that refused them before they said they expire. */
  void (*credentials_invalidate)(pail_credentials_cache *cache,
                                 const pail_backend_credentials *token);
  void (*credentials_clear)(pail_backend_credentials *c);
  void (*credentials_cache_free)(pail_credentials_cache *cache);
} pail_core_services;

/* True when the core provides the service `field` (appended in a later
 * minor). */
#define PAIL_CORE_HAS(core, field)                                             \
  ((core)->struct_size >= offsetof(pail_core_services, field) +                \
                              sizeof(((pail_core_services *)0)->field))

/* The size of the services table of core ABI 1.minor: up to the last
 * service that minor added (minors that added none have their
 * predecessor's size). A minor above this header's is this header's size. */
#define PAIL_CORE_SERVICES_END_(field)                                         \
  (offsetof(pail_core_services, field) +                                       \
   sizeof(((pail_core_services *)0)->field))
#define PAIL_CORE_SERVICES_SIZE(minor)                                         \
  ((minor) >= 19   ? PAIL_CORE_SERVICES_END_(credentials_cache_free)           \
   : (minor) >= 16 ? PAIL_CORE_SERVICES_END_(resumable_stream_open)            \
   : (minor) >= 15 ? PAIL_CORE_SERVICES_END_(uri_decode)                       \
   : (minor) >= 12 ? PAIL_CORE_SERVICES_END_(part_writer_abort)                \
   : (minor) >= 11 ? PAIL_CORE_SERVICES_END_(request_free)                     \
   : (minor) >= 10 ? PAIL_CORE_SERVICES_END_(error_redact_document)            \
   : (minor) >= 9  ? PAIL_CORE_SERVICES_END_(file_read)                        \
   : (minor) >= 7  ? PAIL_CORE_SERVICES_END_(sha256_file)                      \
   : (minor) >= 6  ? PAIL_CORE_SERVICES_END_(resumable_verify)                 \
   : (minor) >= 5  ? PAIL_CORE_SERVICES_END_(delegate_close)                   \
   : (minor) >= 4  ? PAIL_CORE_SERVICES_END_(endpoint_problem)                 \
   : (minor) >= 2  ? PAIL_CORE_SERVICES_END_(crc32c)                           \
   : (minor) >= 1  ? PAIL_CORE_SERVICES_END_(content_type_guess)               \
                   : PAIL_CORE_SERVICES_END_(hex_encode))

typedef pail_status (*pail_backend_entry_fn)(uint32_t core_abi_version,
                                             const pail_core_services *core,
                                             const pail_backend_ops **ops,
                                             pail_error **err);

/* Defines pail_backend_entry (and pail_backend_abi_version) for a plugin
 * whose ops table is `ops_table`, storing the core's services in
 * `core_variable` (a `static const pail_core_services *`). min_minor is the
 * oldest core ABI minor the plugin needs: the services it calls without
 * PAIL_CORE_HAS and the behaviour it relies on (0 for the ABI 1.0 services
 * alone). A core of another major, or older than 1.min_minor (by its
 * version or by the size of its services table), is refused, naming both
 * versions; any later 1.x core is accepted. */
#define PAIL_BACKEND_DEFINE_ENTRY(ops_table, core_variable, min_minor)         \
  typedef char pail_backend_min_minor_is_not_above_this_header                 \
      [(min_minor) <= PAIL_BACKEND_ABI_MINOR ? 1 : -1];                        \
  PAIL_BACKEND_EXPORT const uint32_t pail_backend_abi_version =                \
      PAIL_BACKEND_ABI_VERSION;                                                \
  PAIL_BACKEND_EXPORT pail_status pail_backend_entry(                          \
      uint32_t core_abi_version, const pail_core_services *pail_core_in,       \
      const pail_backend_ops **pail_ops_out, pail_error **pail_err);           \
  pail_status pail_backend_entry(                                              \
      uint32_t core_abi_version, const pail_core_services *pail_core_in,       \
      const pail_backend_ops **pail_ops_out, pail_error **pail_err) {          \
    *pail_ops_out = NULL;                                                      \
    if (PAIL_ABI_MAJOR_OF(core_abi_version) != PAIL_BACKEND_ABI_MAJOR)         \
      return PAIL_ERR_UNSUPPORTED; /* its error_set cannot be trusted */       \
    if (core_abi_version <                                                     \
            PAIL_ABI_VERSION_MAKE(PAIL_BACKEND_ABI_MAJOR, min_minor) ||        \
        pail_core_in->struct_size < PAIL_CORE_SERVICES_SIZE(min_minor))        \
      return pail_core_in->error_set(                                          \
          pail_err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,                       \
          "backend \"%s\" needs core ABI %u.%u or later; this core is %u.%u",  \
          (ops_table).name, PAIL_BACKEND_ABI_MAJOR, (unsigned)(min_minor),     \
          PAIL_ABI_MAJOR_OF(core_abi_version),                                 \
          PAIL_ABI_MINOR_OF(core_abi_version));                                \
    (core_variable) = pail_core_in;                                            \
    *pail_ops_out = &(ops_table);                                              \
    return PAIL_OK;                                                            \
  }

/* The services table, for backends compiled into the program (in-process). */
PAIL_EXPORT const pail_core_services *pail_core_services_get(void);

/* Registers a backend in-process under ops->name, for embedding and tests.
 * ops must stay valid until the process ends. An in-process backend takes
 * precedence over a plugin of the same type. A name registered twice is
 * PAIL_ERR_CONFLICT. */
PAIL_EXPORT pail_status pail_backend_register(const pail_backend_ops *ops,
                                              pail_error **err);

#ifdef __cplusplus
}
#endif

#endif /* PAIL_BACKEND_H */
