/*
 * pail.h: the public API of libpail.
 *
 * A workspace is a set of storages (one primary, any number of named
 * secondaries) read from a settings file. A pointer names one object in one
 * storage. Every operation takes a workspace and a pointer, checks the
 * workspace's access rules, and is carried out by the storage's backend plugin.
 *
 * Conventions, for every function below:
 * - Functions that can fail return a pail_status (PAIL_OK is 0) and take a
 *   last argument `pail_error **err`. On failure, when err is not NULL, *err is
 *   set to a new error object that the caller frees with pail_error_free().
 *   *err must be NULL on entry. err may be NULL when the caller only needs the
 *   status.
 * - Strings returned through `char **` are allocated with malloc() and freed
 *   by the caller with free(). Structs returned by value hold owned strings
 *   released with their *_clear() function.
 * - Options structs start with `struct_size`; initialise them with the
 *   matching PAIL_*_OPTIONS_INIT macro so that code compiled against this
 *   header keeps working when fields are appended. A NULL options pointer
 *   means all defaults.
 *
 * Thread safety: a pail_workspace may be used from many threads at once
 * (storages are opened lazily under a lock; backends must be thread-safe per
 * instance). A pail_reader or pail_writer belongs to one thread at a time.
 */
#ifndef PAIL_PAIL_H
#define PAIL_PAIL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PAIL_VERSION_STRING "0.1.0"

#if defined(__GNUC__)
#define PAIL_EXPORT __attribute__((visibility("default")))
#define PAIL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define PAIL_EXPORT
#define PAIL_PRINTF(fmt, args)
#endif

/* ---------------------------------------------------------------- errors */

/* The category of a failure. Values are stable and never reused. */
typedef enum pail_status {
  PAIL_OK = 0,
  PAIL_ERR_NOT_FOUND = 1,        /* object, storage, bucket or plugin missing */
  PAIL_ERR_ACCESS_DENIED = 2,    /* credentials refused or access rules deny */
  PAIL_ERR_INVALID_ARGUMENT = 3, /* bad pointer, key, settings or option */
  PAIL_ERR_CONFLICT = 4,         /* precondition failed, already exists */
  PAIL_ERR_THROTTLED = 5,        /* provider asked us to slow down */
  PAIL_ERR_UNAVAILABLE = 6,      /* provider or network unavailable */
  PAIL_ERR_IO = 7,          /* local or transfer I/O failure, corrupt data */
  PAIL_ERR_UNSUPPORTED = 8, /* the backend does not offer the operation */
  PAIL_ERR_INTERNAL = 9,    /* out of memory, broken invariant */
  PAIL_ERR_CANCELLED = 10   /* the caller cancelled (progress callback) */
} pail_status;

typedef struct pail_error pail_error;

/* A short lowercase name for a category ("not found", "access denied", ...). */
PAIL_EXPORT const char *pail_status_name(pail_status status);

/* Accessors. Returned strings belong to the error and live until it is freed.
 * provider_code and request_id are NULL when the provider gave none;
 * http_status is 0 when no HTTP exchange was involved. Messages never contain
 * credentials. */
PAIL_EXPORT pail_status pail_error_category(const pail_error *error);
PAIL_EXPORT const char *pail_error_message(const pail_error *error);
PAIL_EXPORT const char *pail_error_provider_code(const pail_error *error);
PAIL_EXPORT int pail_error_http_status(const pail_error *error);
PAIL_EXPORT const char *pail_error_request_id(const pail_error *error);
PAIL_EXPORT void pail_error_free(pail_error *error);

/* Creates an error (for embedders and in-process backends). Sets *err only
 * when err is not NULL and *err is NULL; returns category so that callers can
 * write `return pail_error_set(err, ...)`. */
PAIL_EXPORT pail_status pail_error_set(pail_error **err, pail_status category,
                                       int http_status,
                                       const char *provider_code,
                                       const char *request_id,
                                       const char *format, ...)
    PAIL_PRINTF(6, 7);

/* --------------------------------------------------------------- logging */

typedef enum pail_log_level {
  PAIL_LOG_ERROR = 0,
  PAIL_LOG_WARNING = 1,
  PAIL_LOG_INFO = 2,
  PAIL_LOG_DEBUG = 3
} pail_log_level;

/* Receives the library's log lines (already redacted). May be called from any
 * thread that uses the workspace. The library never prints. */
typedef void (*pail_log_fn)(void *user_data, pail_log_level level,
                            const char *message);

/* Reports a transfer's progress: done bytes of total (0 when the total is
 * unknown, as when reading standard input). Called from the thread running
 * the transfer, after each block, and again with unchanged counts when a
 * wait on a local file or pipe is interrupted by a signal.
 *
 * Return 0 to go on. Anything else cancels the transfer: it stops there,
 * aborts what it was writing (no object is created or replaced, no
 * multipart upload is left open, a download leaves no file) and fails with
 * PAIL_ERR_CANCELLED. A program stops a transfer on SIGINT by setting a
 * flag in its signal handler (installed without SA_RESTART) and returning
 * it here. A last call with done == the bytes moved, once the transfer is
 * complete, cannot cancel it. */
typedef int (*pail_progress_fn)(void *user_data, uint64_t done, uint64_t total);

/* ------------------------------------------------------------------ time */

/* Parses a time as the CLI's --at takes it: RFC 3339
 * ("2026-11-25T10:00:00Z", offsets and fractions allowed), the compact
 * "20261125T100000Z", or seconds since the epoch. */
PAIL_EXPORT pail_status pail_time_parse(const char *text, int64_t *seconds,
                                        pail_error **err);
/* The library's clock in seconds since the epoch: $PAIL_TEST_NOW when set
 * (for reproducible tests), else the system clock. */
PAIL_EXPORT int64_t pail_time_now(void);

/* -------------------------------------------------------------- pointers */

/* A parsed pointer. storage is NULL for the primary storage; key is a
 * validated key (or, from pail_pointer_parse_prefix, a possibly empty
 * prefix); presigned is the workspace-signed grant or NULL. All owned,
 * freed by pail_pointer_free. */
typedef struct pail_pointer {
  char *storage;
  char *key;
  char *presigned;
  /* The JSON form's other fields ("filename", ...), which pail keeps but
   * otherwise ignores, so that it can print them back: the text of a
   * compact JSON object holding them in their order, such as
   * {"filename":"x.csv","n":1}, or NULL when there were none (always NULL
   * from the URI and bare-key forms). Code that builds a pail_pointer
   * itself must leave it NULL, as a designated initialiser
   * ({.key = key}) or zeroing does. */
  char *extra;
} pail_pointer;

/* Parses any pointer form: JSON object ({"s3": ..., "storage": ...,
 * "presigned": ..., and any other fields, kept in extra}), s3:///key,
 * s3://storage/key, or a bare key.
 * default_storage (may be NULL) applies to bare keys only; "_default_" names
 * the primary storage. URI forms are not percent-decoded: keys are literal. */
PAIL_EXPORT pail_status pail_pointer_parse(const char *text,
                                           const char *default_storage,
                                           pail_pointer **out,
                                           pail_error **err);

/* As pail_pointer_parse, for a listing prefix: the key may be empty (the
 * whole storage) and may end with '/'. "s3://name" alone names a storage. */
PAIL_EXPORT pail_status pail_pointer_parse_prefix(const char *text,
                                                  const char *default_storage,
                                                  pail_pointer **out,
                                                  pail_error **err);

/* Builds a pointer from parts, validating key and storage name. */
PAIL_EXPORT pail_status pail_pointer_new(const char *storage, const char *key,
                                         pail_pointer **out, pail_error **err);
PAIL_EXPORT pail_pointer *pail_pointer_dup(const pail_pointer *pointer);
PAIL_EXPORT void pail_pointer_free(pail_pointer *pointer);

/* Prints {"s3": key[, "storage": name][, "presigned": grant][, the extra
 * fields]} (storage omitted for the primary) or s3:///key /
 * s3://storage/key; the URI form cannot carry a grant or extra fields and
 * drops them. Extra fields named s3, storage or presigned (only a
 * hand-built extra can have them) are left out. Caller frees. Returns NULL
 * when out of memory, or for a hand-built pointer whose strings are not
 * valid UTF-8 or whose extra is not the text of a JSON object. */
PAIL_EXPORT char *pail_pointer_to_json(const pail_pointer *pointer);
PAIL_EXPORT char *pail_pointer_to_uri(const pail_pointer *pointer);

/* Validates a key against the rules of DESIGN.md: 1..1024 bytes of valid
 * UTF-8, no NUL or control characters, no empty, "." or ".." segment, no
 * leading '/'. len is the byte length (the key need not be NUL-terminated,
 * so that embedded NULs are caught). */
PAIL_EXPORT pail_status pail_key_check(const char *key, size_t len,
                                       pail_error **err);

/* Validates a storage name: 1..63 bytes of [A-Za-z0-9_.-]. */
PAIL_EXPORT pail_status pail_storage_name_check(const char *name,
                                                pail_error **err);

/* ------------------------------------------------------------ workspaces */

typedef struct pail_workspace pail_workspace;

typedef struct pail_options {
  size_t struct_size;
  /* Fills {username} in access rules; NULL means $PAIL_USER, or none. */
  const char *username;
  /* Log sink; NULL discards. Lines above log_level are not produced. */
  pail_log_fn log;
  void *log_user_data;
  pail_log_level log_level;
  /* Attempts per HTTP request for every storage, overriding the storages'
   * maxAttempts (1: no retries); 0 keeps the settings (default 5). */
  int max_attempts;
} pail_options;
#define PAIL_OPTIONS_INIT                                                      \
  { sizeof(pail_options), NULL, NULL, NULL, PAIL_LOG_WARNING, 0 }

/* Opens a workspace. config_path NULL follows the lookup order: $PAIL_CONFIG,
 * then $XDG_CONFIG_HOME/pail/workspace.json (~/.config/...), then the
 * embedded default (one fs storage at $PAIL_HOME or $XDG_DATA_HOME/pail).
 * Plugins are not loaded here: a storage is opened the first time it is used.
 */
PAIL_EXPORT pail_status pail_workspace_open(const char *config_path,
                                            const pail_options *options,
                                            pail_workspace **out,
                                            pail_error **err);
/* Opens a workspace from settings given as a JSON document. */
PAIL_EXPORT pail_status pail_workspace_open_json(const char *json,
                                                 const pail_options *options,
                                                 pail_workspace **out,
                                                 pail_error **err);
/* Opens the embedded default workspace, ignoring any settings file. */
PAIL_EXPORT pail_status pail_workspace_open_default(const pail_options *options,
                                                    pail_workspace **out,
                                                    pail_error **err);
/* Closes every opened storage and frees the workspace. NULL is accepted. */
PAIL_EXPORT void pail_workspace_close(pail_workspace *workspace);

/* Where the settings came from: a file path, "<json>" or "<embedded default>".
 */
PAIL_EXPORT const char *pail_workspace_source(const pail_workspace *workspace);

/* Storages by index: 0 is the primary (name NULL), 1.. the secondaries in
 * settings order. type is the backend type after alias resolution. */
PAIL_EXPORT size_t
pail_workspace_storage_count(const pail_workspace *workspace);
PAIL_EXPORT const char *
pail_workspace_storage_name(const pail_workspace *workspace, size_t index);
PAIL_EXPORT const char *
pail_workspace_storage_type(const pail_workspace *workspace, size_t index);

/* Opens the named storage now (NULL: primary): loads its plugin, validates
 * its fields, resolves credentials. Used by `pail config check`. */
PAIL_EXPORT pail_status pail_workspace_check_storage(pail_workspace *workspace,
                                                     const char *storage,
                                                     pail_error **err);

/* As pail_workspace_check_storage, then reaches the storage with the
 * cheapest read its provider offers, a listing of at most one key from
 * its root (S3's ListObjectsV2 max-keys=1, Azure's List Blobs
 * maxresults=1, GCS's objects.list maxResults=1, a read of the fs root):
 * a dead endpoint, a missing bucket, container or root, and refused
 * credentials fail here with the provider's error. Access rules are not
 * applied (this checks the storage, not a user's access); credentials
 * that may read but not list fail with PAIL_ERR_ACCESS_DENIED. A backend
 * that cannot list is only opened. Used by `pail config check`. */
PAIL_EXPORT pail_status pail_workspace_probe_storage(pail_workspace *workspace,
                                                     const char *storage,
                                                     pail_error **err);

/* ---------------------------------------------------------- access rules */

typedef enum pail_access {
  PAIL_ACCESS_READ = 1 << 0,
  PAIL_ACCESS_WRITE = 1 << 1,
  PAIL_ACCESS_DELETE = 1 << 2,
  PAIL_ACCESS_LIST = 1 << 3
} pail_access;

/* Applies the workspace's advanced_permissions to (pointer key, access).
 * Returns PAIL_OK or PAIL_ERR_ACCESS_DENIED. A pointer carrying a valid grant
 * is allowed PAIL_ACCESS_READ whatever the rules say. */
PAIL_EXPORT pail_status pail_access_check(pail_workspace *workspace,
                                          const pail_pointer *pointer,
                                          pail_access access, pail_error **err);

/* ---------------------------------------------------------------- scopes */

/* What a narrowed workspace may reach, on top of the access rules: every
 * access must be of a kind in `access`, to a storage in `storages` and to a
 * key that starts with one of `prefixes` (a listing: a prefix that does).
 * An empty list allows every storage or every key. */
typedef struct pail_scope {
  size_t struct_size;
  /* Whose access rules apply ({username} in them). NULL: the workspace's
   * user. Only a workspace opened from settings may name another. */
  const char *username;
  unsigned access;             /* pail_access bits */
  const char *const *storages; /* names; "_default_" is the primary */
  size_t storage_count;
  const char *const *prefixes;
  size_t prefix_count;
} pail_scope;
#define PAIL_SCOPE_INIT                                                        \
  {                                                                            \
    sizeof(pail_scope), NULL,                                                  \
        PAIL_ACCESS_READ | PAIL_ACCESS_WRITE | PAIL_ACCESS_DELETE |            \
            PAIL_ACCESS_LIST,                                                  \
        NULL, 0, NULL, 0                                                       \
  }

/* A view of workspace that may do only what scope allows, as well as what
 * workspace itself may: a scope narrows, never widens (the access kinds are
 * those of both, and every access passes the scopes of the whole chain). It
 * shares the workspace's storages (nothing is opened again: views are cheap
 * enough to make per request) and is used as any workspace, by any thread.
 * Close it with pail_workspace_close before the workspace it narrows. An
 * unknown storage is PAIL_ERR_NOT_FOUND; a view naming another user than
 * its own is PAIL_ERR_ACCESS_DENIED. Denials outside the scope are
 * PAIL_ERR_ACCESS_DENIED ("... is outside the scope of these
 * credentials"). */
PAIL_EXPORT pail_status pail_workspace_narrow(pail_workspace *workspace,
                                              const pail_scope *scope,
                                              pail_workspace **out,
                                              pail_error **err);

/* ----------------------------------------------------------- object info */

typedef struct pail_metadata_entry {
  char *name;
  char *value;
} pail_metadata_entry;

/* What a backend knows about an object (or, with is_folder, a common prefix
 * in a delimited listing). Unknown strings are NULL; unknown last_modified
 * is INT64_MIN. All strings owned. */
typedef struct pail_object_info {
  char *key;
  uint64_t size;
  int64_t last_modified;      /* seconds since the epoch, UTC */
  int32_t last_modified_nsec; /* 0..999999999 */
  int is_folder;
  char *etag;
  char *content_type;
  char *content_disposition;
  pail_metadata_entry *metadata;
  size_t metadata_count;
} pail_object_info;

/* Resets info to empty after freeing what it owns. */
PAIL_EXPORT void pail_object_info_clear(pail_object_info *info);
/* Deep copy; returns PAIL_ERR_INTERNAL when out of memory. */
PAIL_EXPORT pail_status pail_object_info_copy(pail_object_info *dst,
                                              const pail_object_info *src);

/* ------------------------------------------------------------ operations */

/* stat: size, last modified, etag, content type, user metadata. */
PAIL_EXPORT pail_status pail_stat(pail_workspace *workspace,
                                  const pail_pointer *pointer,
                                  pail_object_info *out, pail_error **err);

typedef struct pail_list_options {
  size_t struct_size;
  int recursive;          /* 0: one level, folders reported with is_folder */
  size_t max_keys;        /* per page; 0 means the backend's default (1000) */
  const char *page_token; /* from a previous page's next_page_token */
} pail_list_options;
#define PAIL_LIST_OPTIONS_INIT                                                 \
  { sizeof(pail_list_options), 0, 0, NULL }

/* One page of a listing, in byte order of keys. next_page_token is NULL on
 * the last page. */
typedef struct pail_list_page {
  pail_object_info *entries;
  size_t count;
  char *next_page_token;
} pail_list_page;

/* Lists keys that start with pointer->key (a prefix, from
 * pail_pointer_parse_prefix). The prefix is matched bytewise, as S3 does:
 * "dir/" lists the folder dir, "di" everything starting with "di". */
PAIL_EXPORT pail_status pail_list(pail_workspace *workspace,
                                  const pail_pointer *prefix,
                                  const pail_list_options *options,
                                  pail_list_page *out, pail_error **err);
PAIL_EXPORT void pail_list_page_clear(pail_list_page *page);

typedef struct pail_read_options {
  size_t struct_size;
  uint64_t offset; /* first byte to read */
  uint64_t length; /* bytes to read; PAIL_READ_TO_END for all */
  const char
      *if_match; /* fail with PAIL_ERR_CONFLICT unless the etag matches */
  /* Progress of pail_download and pail_read (readers report none: their
   * caller sees every block). NULL: none. */
  pail_progress_fn progress;
  void *progress_user_data;
  /* Non-zero when the caller will read much of the range, in large blocks
   * (a stream, a download): the HTTP backends then receive in larger
   * buffers. pail_reader_open, pail_download and a ranged pail_read set it
   * themselves for reads of 1 MiB or more. Since 1.16. */
  int large;
} pail_read_options;
#define PAIL_READ_TO_END UINT64_MAX
#define PAIL_READ_OPTIONS_INIT                                                 \
  { sizeof(pail_read_options), 0, PAIL_READ_TO_END, NULL, NULL, NULL, 0 }

typedef struct pail_reader pail_reader;

/* Opens a streamed read of the whole object or a range. A range that starts
 * past the end yields PAIL_ERR_INVALID_ARGUMENT; one that runs past the end is
 * cut at the end. */
PAIL_EXPORT pail_status pail_reader_open(pail_workspace *workspace,
                                         const pail_pointer *pointer,
                                         const pail_read_options *options,
                                         pail_reader **out, pail_error **err);
/* Reads up to capacity bytes; *got is 0 only at the end of the data. A read
 * that loses its connection resumes where it stopped, pinned to the version
 * being read; if that version is gone it fails with PAIL_ERR_CONFLICT (the
 * object changed while it was being read): the bytes already given are
 * never followed by another version's. */
PAIL_EXPORT pail_status pail_reader_read(pail_reader *reader, void *buffer,
                                         size_t capacity, size_t *got,
                                         pail_error **err);
/* The object's info as known when the read opened (size is the whole
 * object's size). Valid until pail_reader_close. */
PAIL_EXPORT const pail_object_info *pail_reader_info(const pail_reader *reader);
/* When the bytes the reader has left are a range of a local regular file
 * (an fs storage), that file: *fd a new descriptor the caller closes,
 * *offset and *length the range, to send with sendfile(2) or copy with
 * copy_file_range(2) instead of pail_reader_read. The reader then counts
 * the range as read. The file holds the object as the read found it, even
 * if a write replaces it meanwhile. PAIL_ERR_UNSUPPORTED, *fd -1, when the
 * storage cannot hand its bytes as a file (read them with
 * pail_reader_read); the reader stays usable. */
PAIL_EXPORT pail_status pail_reader_file(pail_reader *reader, int *fd,
                                         uint64_t *offset, uint64_t *length,
                                         pail_error **err);
PAIL_EXPORT void pail_reader_close(pail_reader *reader);

/* Reads an object (or range) into a new malloc'ed buffer, for small objects.
 * *data is NUL-terminated for convenience (not counted in *length).
 * pail_read, pail_download and a streamed pail_copy hand over nothing
 * before the end, so when another writer replaces the object while they
 * read it (PAIL_ERR_CONFLICT above) they start again from the start, twice
 * at most, and yield the new version whole; progress then counts from 0
 * again. Not so when options->if_match pins a version, nor for a download
 * into a device or pipe once bytes went there. */
PAIL_EXPORT pail_status pail_read(pail_workspace *workspace,
                                  const pail_pointer *pointer,
                                  const pail_read_options *options, void **data,
                                  size_t *length, pail_error **err);

/* Streams an object (or the range in options, which may be NULL) to a local
 * file. The file appears, complete, only on success (written to a temporary
 * file beside it, then renamed over any existing file); on failure nothing
 * is left behind and an existing file is untouched. */
PAIL_EXPORT pail_status pail_download(pail_workspace *workspace,
                                      const pail_pointer *pointer,
                                      const char *local_path,
                                      const pail_read_options *options,
                                      pail_error **err);

typedef struct pail_write_options {
  size_t struct_size;
  const char *content_type;        /* NULL: backend default */
  const char *content_disposition; /* NULL: none */
  int if_none_match;  /* create only: PAIL_ERR_CONFLICT if it exists */
  uint64_t size_hint; /* expected size, 0 unknown; lets backends
                         choose single vs multipart upload */
  const pail_metadata_entry *metadata; /* user metadata, may be NULL */
  size_t metadata_count;
  /* Progress of pail_upload, pail_write and pail_copy. NULL: none. */
  pail_progress_fn progress;
  void *progress_user_data;
  /* Called, when not NULL, with progress_user_data once every byte has
   * been handed over and the write begins to commit (pail_writer_close):
   * the parts still in flight are awaited, then the request that makes the
   * object visible is sent (S3's CompleteMultipartUpload, Azure's Put Block
   * List, the last GCS chunk, fs's rename). From then on nothing cancels
   * the write and the progress callback is not asked again: the outcome is
   * the commit's, as the call returns it, so a program that caught a
   * signal meanwhile reports a success as a success. */
  void (*committing)(void *user_data);
} pail_write_options;
#define PAIL_WRITE_OPTIONS_INIT                                                \
  { sizeof(pail_write_options), NULL, NULL, 0, 0, NULL, 0, NULL, NULL, NULL }

typedef struct pail_writer pail_writer;

/* Opens a streamed write. Nothing is visible under the key until
 * pail_writer_close() succeeds; an aborted or failed write leaves the
 * previous object (or no object) in place. */
PAIL_EXPORT pail_status pail_writer_open(pail_workspace *workspace,
                                         const pail_pointer *pointer,
                                         const pail_write_options *options,
                                         pail_writer **out, pail_error **err);
/* Writes all of buffer. After a failure, the writer only accepts close or
 * abort, and close aborts. */
PAIL_EXPORT pail_status pail_writer_write(pail_writer *writer,
                                          const void *buffer, size_t length,
                                          pail_error **err);
/* Commits and frees the writer. info (may be NULL) receives what the backend
 * reports of the new object. On failure the write is aborted. */
PAIL_EXPORT pail_status pail_writer_close(pail_writer *writer,
                                          pail_object_info *info,
                                          pail_error **err);
/* Discards the write and frees the writer. NULL is accepted. */
PAIL_EXPORT void pail_writer_abort(pail_writer *writer);

/* A content type for a file or key name from its extension (".csv" gives
 * "text/csv", ".parquet" "application/vnd.apache.parquet", ...), or NULL
 * when the extension is not one pail knows. The string is static. */
PAIL_EXPORT const char *pail_content_type_guess(const char *name);

/* Writes a whole buffer. */
PAIL_EXPORT pail_status pail_write(pail_workspace *workspace,
                                   const pail_pointer *pointer,
                                   const void *data, size_t length,
                                   const pail_write_options *options,
                                   pail_error **err);

/* Streams a local file (or standard input for "-") to an object. A local file
 * that cannot be read fails before anything is created in the storage. */
PAIL_EXPORT pail_status pail_upload(pail_workspace *workspace,
                                    const pail_pointer *pointer,
                                    const char *local_path,
                                    const pail_write_options *options,
                                    pail_error **err);

/* Deletes an object. A missing object is PAIL_ERR_NOT_FOUND where the
 * provider can tell (S3 cannot: its delete is idempotent). */
PAIL_EXPORT pail_status pail_delete(pail_workspace *workspace,
                                    const pail_pointer *pointer,
                                    pail_error **err);

/* Deletes many objects, batched per storage where the backend can (S3's
 * DeleteObjects). results[i] (an array of count) receives the status of
 * pointers[i] and, when errors is not NULL, errors[i] its error or NULL
 * (caller frees each). Access rules are checked for every pointer; a denied
 * one is not sent. Returns PAIL_OK when every object was deleted, else the
 * status of the first failure (with *err naming it). */
PAIL_EXPORT pail_status pail_delete_many(pail_workspace *workspace,
                                         const pail_pointer *const *pointers,
                                         size_t count, pail_status *results,
                                         pail_error **errors, pail_error **err);

/* Copies src to dst: server-side when both are in one storage whose backend
 * copies, streamed through this process otherwise. */
PAIL_EXPORT pail_status pail_copy(pail_workspace *workspace,
                                  const pail_pointer *src,
                                  const pail_pointer *dst,
                                  const pail_write_options *options,
                                  pail_error **err);

/* Creates the storage's bucket/container/root (NULL: primary). Existing and
 * owned is success. */
PAIL_EXPORT pail_status pail_create_container(pail_workspace *workspace,
                                              const char *storage,
                                              pail_error **err);

typedef struct pail_sign_options {
  size_t struct_size;
  const char *method;         /* GET (default), PUT, HEAD or DELETE */
  int64_t expires;            /* seconds; 0 means 3600 */
  int64_t at;                 /* signing time, seconds since epoch; 0: now */
  const char *const *headers; /* "Name: value" strings to sign */
  size_t header_count;
  const char *const *query; /* "name=value" strings to add and sign */
  size_t query_count;
} pail_sign_options;
#define PAIL_SIGN_OPTIONS_INIT                                                 \
  { sizeof(pail_sign_options), NULL, 0, 0, NULL, 0, NULL, 0 }
/* The longest expiry pail_sign accepts, in seconds: seven days, S3's and
 * GCS's limit. */
#define PAIL_SIGN_MAX_EXPIRES (7 * 24 * 3600)

/* The answer of pail_sign: a presigned URL from the backend, or, for backends
 * that cannot presign, a pointer carrying a workspace-signed grant. Exactly
 * one of url and grant is set. */
typedef struct pail_signature {
  char *url;
  pail_pointer *grant;
  int64_t expires_at; /* seconds since epoch */
} pail_signature;
PAIL_EXPORT void pail_signature_clear(pail_signature *signature);

PAIL_EXPORT pail_status pail_sign(pail_workspace *workspace,
                                  const pail_pointer *pointer,
                                  const pail_sign_options *options,
                                  pail_signature *out, pail_error **err);

/* ------------------------------------------------ gateway access keys */

/* Access keys for the S3 gateway of `pail serve` (docs/gateway.md): an
 * access key id and a secret, as any S3 client takes them, that reach the
 * workspace only within a scope and until they expire. The id carries the
 * scope and the expiry; the secret is an HMAC of the id under the gateway
 * signing key (settings "gateway_keys", else one derived from the workspace
 * key), so every gateway that shares the settings checks them with no
 * database, and a changed id has another secret. */
typedef struct pail_credentials_options {
  size_t struct_size;
  /* The scope the keys allow (NULL: everything the user's rules allow);
   * scope->username names the user whose access rules apply. */
  const pail_scope *scope;
  int64_t expires; /* seconds; 0 means 3600; at most PAIL_SIGN_MAX_EXPIRES */
  int64_t at;      /* minting time, seconds since epoch; 0: now */
} pail_credentials_options;
#define PAIL_CREDENTIALS_OPTIONS_INIT                                          \
  { sizeof(pail_credentials_options), NULL, 0, 0 }

typedef struct pail_credentials {
  char *access_key_id;
  char *secret_access_key;
  int64_t expires_at; /* seconds since epoch; the last second they work */
} pail_credentials;
PAIL_EXPORT void pail_credentials_clear(pail_credentials *credentials);

/* Mints keys for options->scope. Only a workspace opened from settings
 * mints (a narrowed one is PAIL_ERR_ACCESS_DENIED: its holder could
 * otherwise widen its own scope); the scope is checked as by
 * pail_workspace_narrow (unknown storages, bad prefixes). */
PAIL_EXPORT pail_status pail_credentials_mint(
    pail_workspace *workspace, const pail_credentials_options *options,
    pail_credentials *out, pail_error **err);

/* ---------------------------------------------- workspace-signed grants */

/* Computes "exp=<expires_at>&sig=<hex HMAC-SHA256>" over
 * "file_key=<key>&exp=<expires_at>[&storage=<name>]" with the workspace key
 * (settings "workspace_key", else $PAIL_WORKSPACE_KEY, else a key file
 * created once under $XDG_CONFIG_HOME/pail). Caller frees *presigned. */
PAIL_EXPORT pail_status pail_grant_create(pail_workspace *workspace,
                                          const pail_pointer *pointer,
                                          int64_t expires_at, char **presigned,
                                          pail_error **err);
/* Checks pointer->presigned in constant time against the key and storage
 * and that it has not expired at `now` (0: the current time). Returns
 * PAIL_OK, or PAIL_ERR_ACCESS_DENIED naming why. */
PAIL_EXPORT pail_status pail_grant_verify(pail_workspace *workspace,
                                          const pail_pointer *pointer,
                                          int64_t now, pail_error **err);

/* --------------------------------------------------------------- cleanup */

/* What an interrupted write (a process killed mid-upload, a lost machine)
 * can leave behind in a storage: never a committed object, but bytes that
 * take space, and on some providers cost money, until they are removed. */
typedef enum pail_leftover_kind {
  PAIL_LEFTOVER_TEMPORARY_FILE = 1,    /* fs: a write's temporary file */
  PAIL_LEFTOVER_MULTIPART_UPLOAD = 2,  /* S3, GCS's XML API: an upload never
                                          completed nor aborted; GCS: the
                                          part objects of an S3 gateway
                                          upload (id: its tag) */
  PAIL_LEFTOVER_UNCOMMITTED_BLOB = 3,  /* Azure: blocks never committed */
  PAIL_LEFTOVER_RESUMABLE_SESSION = 4, /* GCS: a resumable upload session */
  PAIL_LEFTOVER_GATEWAY_UPLOAD = 5     /* any backend: a multipart upload the
                                          S3 gateway staged under
                                          .pail_uploads/ (id: its folder) */
} pail_leftover_kind;

/* What pail_cleanup did with a leftover. */
typedef enum pail_leftover_outcome {
  PAIL_LEFTOVER_REMOVED = 1,
  PAIL_LEFTOVER_TO_REMOVE = 2, /* dry run: would have been removed */
  PAIL_LEFTOVER_RECENT = 3,    /* kept: younger than older_than, of unknown
                                  age, or its write is still running */
  PAIL_LEFTOVER_FAILED = 4     /* not removed: error says why (access rules
                                  included) */
} pail_leftover_outcome;

/* One leftover. A backend's leftovers_list fills kind to in_use; the core
 * fills outcome and error. All strings owned. Frozen for ABI 1.x: backends
 * hand the core arrays of it, so its size and layout never change (a later
 * need gets a struct and ops members of its own). */
typedef struct pail_leftover {
  pail_leftover_kind kind;
  char *key;     /* the object the write was for; NULL when unknown */
  char *id;      /* the provider's id: an upload id, the temporary file's
                    path under the root; never NULL */
  uint64_t size; /* bytes it holds, when size_known */
  int size_known;
  int64_t started; /* seconds since the epoch; INT64_MIN when unknown */
  int in_use;      /* the backend sees its write still running */
  pail_leftover_outcome outcome;
  pail_error *error; /* why it was not removed, or NULL */
} pail_leftover;

typedef struct pail_cleanup_options {
  size_t struct_size;
  /* Leftovers younger than this many seconds, or whose write the backend
   * sees still running, are kept: a write in progress elsewhere looks the
   * same as an interrupted one. 0 takes every leftover, running writes'
   * included: the caller's explicit choice. Default 86400 (24 h). */
  int64_t older_than;
  int dry_run; /* list and judge, remove nothing */
} pail_cleanup_options;
#define PAIL_CLEANUP_OPTIONS_INIT                                              \
  { sizeof(pail_cleanup_options), 86400, 0 }

/* What pail_cleanup found in one storage. All owned; released with
 * pail_cleanup_report_clear. */
typedef struct pail_cleanup_report {
  pail_leftover *leftovers;
  size_t count;
  /* What the provider removes by itself, or what pail cannot list there
   * (Azure drops uncommitted blocks after 7 days; GCS resumable sessions
   * cannot be listed): one or more sentences for the user, or NULL. */
  char *note;
  size_t hidden; /* leftovers left out: the access rules deny listing them */
} pail_cleanup_report;
PAIL_EXPORT void pail_cleanup_report_clear(pail_cleanup_report *report);

/* Lists what interrupted writes left behind in the storage (NULL: primary)
 * and removes it: temporary files (fs), multipart uploads (S3, and GCS
 * through its XML API), whatever else the backend can find, and on every
 * backend that lists the S3 gateway's staged uploads. Never touches
 * a committed object. Each leftover needs delete access to its key (its
 * id when the key is unknown) under the workspace's rules; one the rules
 * do not let the user list is left out of the report (counted in hidden).
 * Fills *out (emptied first) even when it fails. Returns PAIL_OK when
 * nothing failed, else the status of the first leftover that could not be
 * removed (with *err naming it) or of the listing. A backend that cannot
 * list leftovers yields an empty report with a note saying so. */
PAIL_EXPORT pail_status pail_cleanup(pail_workspace *workspace,
                                     const char *storage,
                                     const pail_cleanup_options *options,
                                     pail_cleanup_report *out,
                                     pail_error **err);

/* --------------------------------------------------------------- preview */

typedef struct pail_preview_options {
  size_t struct_size; /* sizeof, for growth */
  size_t max_rows;    /* CSV/TSV/NDJSON rows, text lines; 0 = 20 */
  size_t max_bytes;   /* bytes read from the head for text formats;
                         0 = 64 KiB */
} pail_preview_options;
#define PAIL_PREVIEW_OPTIONS_INIT                                              \
  { sizeof(pail_preview_options), 0, 0 }

/* Describes the object at pointer (any pointer form; bare keys name the
 * primary storage) as one JSON document, schema in docs/preview.md: its
 * format, detected from content and name (csv, tsv, json, ndjson, text,
 * parquet, image, binary, unknown), and a preview of it. Reads only ranged
 * parts: the head (max_bytes) for text formats and images, the footer for
 * Parquet; never the whole of a large object. Needs read access. Content
 * that cannot be decoded (a broken Parquet footer) is PAIL_ERR_IO with a
 * message saying why. *json is malloc'ed; the caller frees it with free(). */
PAIL_EXPORT pail_status pail_preview(pail_workspace *workspace,
                                     const char *pointer,
                                     const pail_preview_options *options,
                                     char **json, pail_error **err);

/* ------------------------------------------------- data-tool settings */

/* The settings that let a data tool read the storage (NULL: primary)
 * directly (docs/settings.md, "Data tools"):
 * tool "duckdb" (SQL statements: a CREATE SECRET for httpfs or azure),
 * "polars" (a storage_options JSON object) or "boto3" (a JSON object of
 * boto3.client("s3", ...) arguments), from what the storage's backend
 * resolved when it opened (its connection facts: credentials from the
 * settings, the environment or profile files alike). Opens the storage
 * first, so bad fields fail as in pail_workspace_check_storage().
 * PAIL_ERR_UNSUPPORTED when the tool cannot reach the storage's backend
 * (fs, mem) or its credentials cannot be handed out. The text holds the
 * storage's credentials: treat it as a secret. *text is malloc'ed; the
 * caller frees it with free(). */
PAIL_EXPORT pail_status pail_settings_export(pail_workspace *workspace,
                                             const char *storage,
                                             const char *tool, char **text,
                                             pail_error **err);

typedef struct pail_settings_options {
  size_t struct_size;
  /* The URL of an S3 gateway (`pail serve --s3-listen`, docs/gateway.md),
   * "http://127.0.0.1:9000": the settings then point the tool at the
   * gateway, the storage as the bucket named after it, with keys minted
   * for them (pail_credentials_mint), and hold none of the storage's own
   * credentials; this works for every backend. NULL: the storage
   * itself. */
  const char *gateway;
  /* The minted keys' scope and expiry; NULL, or a NULL scope: that one
   * storage, every kind of access the user's rules allow, for an hour. */
  const pail_credentials_options *credentials;
} pail_settings_options;
#define PAIL_SETTINGS_OPTIONS_INIT                                             \
  { sizeof(pail_settings_options), NULL, NULL }

/* pail_settings_export with options (NULL: none). */
PAIL_EXPORT pail_status pail_settings_export_with(
    pail_workspace *workspace, const char *storage, const char *tool,
    const pail_settings_options *options, char **text, pail_error **err);

/* -------------------------------------------------------------- backends */

/* An ABI version (pail_backend_info.abi_version, and the plugin ABI of
 * pail/backend.h) holds its major in the high 16 bits, its minor in the
 * low 16. */
#define PAIL_ABI_VERSION_MAKE(major, minor)                                    \
  ((uint32_t)(((uint32_t)(major) << 16) | (uint32_t)(minor)))
#define PAIL_ABI_MAJOR_OF(version) ((uint32_t)(version) >> 16)
#define PAIL_ABI_MINOR_OF(version) ((uint32_t)(version)&0xffffu)

typedef struct pail_backend_info {
  char *type;    /* "fs", "s3", ... */
  char *path;    /* shared object path, or NULL when registered in-process */
  char *version; /* the plugin's own version string */
  uint32_t abi_version;  /* PAIL_ABI_MAJOR_OF / PAIL_ABI_MINOR_OF */
  uint64_t capabilities; /* PAIL_CAP_* bits from pail/backend.h */
  char *error;           /* why it failed to load, or NULL */
} pail_backend_info;

/* Finds every plugin on the search path (and every in-process backend) and
 * loads each to report it; plugins that fail to load are listed with error
 * set. Free with pail_backend_info_free. */
PAIL_EXPORT pail_status pail_backend_scan(pail_backend_info **out,
                                          size_t *count, pail_error **err);
PAIL_EXPORT void pail_backend_info_free(pail_backend_info *infos, size_t count);

/* Names a PAIL_CAP_* bit ("ranged-read", ...), NULL for unknown bits. */
PAIL_EXPORT const char *pail_capability_name(uint64_t bit);

#ifdef __cplusplus
}
#endif

#endif /* PAIL_PAIL_H */
