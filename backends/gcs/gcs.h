/*
 * gcs.h: what the files of the Google Cloud Storage backend share. The
 * backend speaks GCS's JSON API (storage/v1) with OAuth2 bearer tokens from a
 * service account key or Application Default Credentials, and signs V4 URLs
 * (GOOG4-RSA-SHA256 with the service account, GOOG4-HMAC-SHA256 with HMAC
 * keys). With HMAC keys alone it hands the storage to the s3 backend, which
 * speaks the XML API (gcs_relay.c). HTTP and crypto come from the core's
 * services; JSON is jansson.
 */
#ifndef PAIL_BACKEND_GCS_H
#define PAIL_BACKEND_GCS_H

#include <config.h> /* _GNU_SOURCE, before any system header */

#include <pail/backend.h>

#include "../common.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>

#define GCS_VERSION "0.1.0"

/* Resumable uploads take chunks in multiples of 256 KiB (all but the last). */
#define GCS_CHUNK_QUANTUM ((size_t)256 << 10)
#define GCS_DEFAULT_CHUNK_SIZE ((size_t)8 << 20)
#define GCS_MAX_CHUNK_SIZE ((size_t)1 << 30)

/* Response bodies the backend reads into memory (listings, errors, object
 * resources, tokens). */
#define GCS_MAX_BODY ((size_t)16 << 20)

/* The OAuth2 scope requested for the service account: bucket creation (mb)
 * needs full control, everything else read_write. */
#define GCS_SCOPE "https://www.googleapis.com/auth/devstorage.full_control"
#define GCS_DEFAULT_TOKEN_URI "https://oauth2.googleapis.com/token"

extern const pail_core_services *gcs_core;

/* The OAuth2 identity, as resolved when the storage opened; immutable after
 * (the token cache beside it in gcs_instance is what changes). */
typedef struct gcs_account {
  bool service_account; /* else an authorized_user (refresh token) */
  char *client_email;
  char *private_key_id;
  char *token_uri;
  char *project_id;
  pail_private_key *key;
  char *client_id; /* authorized_user */
  char *client_secret;
  char *refresh_token;
  char *source; /* where it came from, for messages: "settings", a path */
  char *path;   /* the key's file, NULL when the settings hold the key */
} gcs_account;

/* One configured storage. Immutable after open (the token cache is the
 * core's, thread-safe). */
typedef struct gcs_instance {
  const pail_config *cfg;
  char *bucket;
  char *endpoint; /* host[:port] */
  bool use_ssl;
  bool path_style;  /* signed URLs: bucket in the path, not the host */
  char *bound_host; /* signed URLs: a custom domain serving the bucket */
  bool bound_ssl;   /* its scheme */
  char *api_base;   /* "https://host[:port]" */
  bool has_account;
  gcs_account account;
  char *missing_account; /* why there is no account: the sources tried */
  char *hmac_access_id;  /* HMAC keys, for GOOG4-HMAC-SHA256 URLs */
  char *hmac_secret;
  /* HMAC keys without an account: the s3 backend speaking the XML API
   * (gcs_relay.c) serves every operation but sign; else NULL. */
  pail_delegate *relay;
  char *project;     /* for mb: setting "project", else the key's */
  size_t chunk_size; /* resumable chunk size and simple-upload limit */
  int retries;       /* resumptions of a broken download or chunk */
  /* The account's access tokens (the core's credentials cache), when
   * there is an account. */
  pail_credentials_cache *tokens;
} gcs_instance;

/* ------------------------------------------------------------ gcs.c */

pail_status gcs_no_memory(pail_error **err);

/* Zeroes a secret's bytes, then frees it (NULL is fine). */
void gcs_wipe(char *secret);

/* The JSON API URL of an object (key NULL: the bucket's objects
 * collection) with an optional encoded query (without '?'). "upload"
 * selects the /upload/ prefix of media uploads. Caller frees; NULL when out
 * of memory. */
char *gcs_object_url(const gcs_instance *gcs, const char *key, bool upload,
                     const char *query);

/* Runs an exchange authorized with a bearer token; a 401 drops the cached
 * token and the request is sent once more with a new one. A non-2xx status
 * becomes an error about `what` (a key or a phrase), unless it is in
 * `accept` (0-terminated, may be NULL), then it is returned as is. */
pail_status gcs_exchange(gcs_instance *gcs, pail_request *r, const char *what,
                         const int *accept, pail_http_response *out,
                         pail_error **err);

/* Sets *err from a GCS error response (JSON body {"error": {"code",
 * "message", "errors": [{"reason"}]}}, or the status alone) and returns the
 * category. */
pail_status gcs_response_error(const gcs_instance *gcs,
                               const pail_http_response *response,
                               const char *what, pail_error **err);
/* The same, in the category given rather than the status's (a 404 that
 * means something else than a missing object). */
pail_status gcs_response_error_as(const gcs_instance *gcs,
                                  const pail_http_response *response,
                                  const char *what, pail_status category,
                                  pail_error **err);
/* The error for a 404 that is the bucket's (not the object's): "gcs: bucket
 * "b" does not exist", category not found, GCS's reason kept as the code. */
pail_status gcs_bucket_missing(const gcs_instance *gcs,
                               const pail_http_response *response,
                               pail_error **err);
/* The category of an error response's HTTP status: the core's
 * status_category, with a 2xx (no success on an error path) PAIL_ERR_IO. */
pail_status gcs_status_category(int status);
/* The request id GCS puts in a response (X-GUploader-UploadID), or NULL. */
const char *gcs_request_id(const pail_http_response *response);

/* Parses a response body as a JSON object; NULL when it is not one. */
json_t *gcs_json_body(const pail_http_response *response);

/* Fills info from an object resource (objects.get, uploads, rewrite). The
 * ETag pail reports is the object's generation: it is what GCS takes as a
 * precondition (ifGenerationMatch) on reads. *crc32c receives the object's
 * CRC-32C and *has_crc32c whether it had one (both may be NULL). */
pail_status gcs_info_from_json(const json_t *object, pail_object_info *info,
                               uint32_t *crc32c, bool *has_crc32c,
                               pail_error **err);

/* objects.get: the object's metadata. *generation (may be NULL) receives
 * its generation, *crc32c its checksum when *has_crc32c. */
pail_status gcs_stat_object(gcs_instance *gcs, const char *key,
                            pail_object_info *out, char **generation,
                            uint32_t *crc32c, bool *has_crc32c,
                            pail_error **err);

/* Decodes GCS's crc32c field (base64 of the big-endian value). */
bool gcs_crc32c_decode(const char *text, uint32_t *out);
/* Encodes a CRC-32C as GCS does into out (at least 9 bytes). */
void gcs_crc32c_encode(uint32_t crc, char out[9]);

/* DELETE of key, of one generation when generation is not NULL. */
pail_status gcs_delete_object(gcs_instance *gcs, const char *key,
                              const char *generation, pail_error **err);

/* Deletes one generation of key (0: the live one), for cleaning up after a
 * failed verification. Best effort; logs a failure. */
void gcs_delete_generation(gcs_instance *gcs, const char *key,
                           const char *generation);

/* ------------------------------------------------------- gcs_auth.c */

/* Resolves the OAuth2 identity: the serviceAccountKey setting (object,
 * string of JSON, or file path), then GOOGLE_APPLICATION_CREDENTIALS, then
 * gcloud's application_default_credentials.json. Without any, has_account
 * stays false and missing_account says what was tried. */
pail_status gcs_resolve_account(gcs_instance *gcs, pail_error **err);

/* Parses a credentials JSON document (a service account key or an
 * authorized_user file) into account. `source` names it in messages;
 * secrets never appear in them. */
pail_status gcs_account_parse(const char *text, size_t length,
                              const char *source, gcs_account *account,
                              pail_error **err);
void gcs_account_clear(gcs_account *account);

/* Builds the signed JWT assertion of the service account for time `now`
 * (RS256; iss, scope, aud, iat, exp one hour later). Caller frees. */
pail_status gcs_jwt_build(const gcs_account *account, int64_t now, char **jwt,
                          pail_error **err);

/* Creates gcs->tokens, the cache of the account's access tokens. */
pail_status gcs_tokens_open(gcs_instance *gcs, pail_error **err);
/* A valid access token (malloc'ed copy; wipe it after use), refreshed
 * first when due. Thread-safe. */
pail_status gcs_token_get(gcs_instance *gcs, char **token, pail_error **err);
/* Drops the cached token if it is still `token` (a 401 said it no longer
 * works), so that the next gcs_token_get fetches. */
void gcs_token_invalidate(gcs_instance *gcs, const char *token);

/* Parses a token endpoint's answer ({"access_token", "expires_in",
 * "token_type"}): *token (malloc'ed) and *expires_in seconds. */
pail_status gcs_token_parse(const pail_http_response *response, char **token,
                            int64_t *expires_in, pail_error **err);

/* ------------------------------------------------------- gcs_sign.c */

/* What a V4 signed URL is made of. Strings belong to the caller. */
typedef struct gcs_v4_request {
  const char *method;
  const char *scheme; /* "https" or "http" */
  const char *host;   /* host[:port] as it goes in the URL */
  const char *path;   /* the URL path, already encoded ("/bucket/key") */
  const char *const *headers; /* "Name: value" lines to sign with host */
  size_t header_count;
  const char *const *query_names; /* raw names and values to add and sign */
  const char *const *query_values;
  size_t query_count;
  int64_t at;      /* signing time, seconds since the epoch */
  int64_t expires; /* 1 to 604800 seconds */
} gcs_v4_request;

/* Who signs: the service account (GOOG4-RSA-SHA256) when key is set, else
 * the HMAC key pair (GOOG4-HMAC-SHA256). */
typedef struct gcs_v4_signer {
  const char *client_email;
  const pail_private_key *key;
  const char *hmac_access_id;
  const char *hmac_secret;
} gcs_v4_signer;

/* Builds the signed URL; canonical_request and string_to_sign (may be
 * NULL) receive those texts for tests. Callers free what they get. */
pail_status gcs_v4_sign(const gcs_v4_signer *signer,
                        const gcs_v4_request *request, char **url,
                        char **canonical_request, char **string_to_sign,
                        pail_error **err);

/* ------------------------------------------------------ gcs_relay.c */

/* Opens gcs->relay: the s3 backend for the bucket's XML API. */
pail_status gcs_relay_open(gcs_instance *gcs, pail_error **err);
/* Whether a read or write stream is the relay's. The JSON API's stream
 * structs start with a bool member `relayed` that is false. */
bool gcs_stream_is_relayed(const void *stream);
pail_status gcs_relay_read_open(gcs_instance *gcs, const char *key,
                                const pail_read_options *options, void **stream,
                                pail_object_info *info, pail_error **err);
pail_status gcs_relay_read_stream(void *stream, void *buffer, size_t capacity,
                                  size_t *got, pail_error **err);
void gcs_relay_read_close(void *stream);
pail_status gcs_relay_write_open(gcs_instance *gcs, const char *key,
                                 const pail_write_options *options,
                                 void **stream, pail_error **err);
pail_status gcs_relay_write_stream(void *stream, const void *buffer,
                                   size_t length, pail_error **err);
pail_status gcs_relay_write_commit(void *stream, pail_object_info *info,
                                   pail_error **err);
void gcs_relay_write_abort(void *stream);

/* ----------------------------------------------------- the operations */

pail_status gcs_list(void *instance, const pail_backend_list_request *request,
                     pail_list_page *out, pail_error **err);
/* Turns an objects.list answer into a page under request->prefix; the body
 * came from the server, so nothing in it is trusted. */
pail_status gcs_list_parse_page(const gcs_instance *gcs,
                                const pail_backend_list_request *request,
                                const pail_http_response *response,
                                pail_list_page *out, pail_error **err);

pail_status gcs_read_open(void *instance, const char *key,
                          const pail_read_options *options, void **stream,
                          pail_object_info *info, pail_error **err);
pail_status gcs_read_stream(void *stream, void *buffer, size_t capacity,
                            size_t *got, pail_error **err);
void gcs_read_close(void *stream);

pail_status gcs_write_open(void *instance, const char *key,
                           const pail_write_options *options, void **stream,
                           pail_error **err);
pail_status gcs_write_stream(void *stream, const void *buffer, size_t length,
                             pail_error **err);
pail_status gcs_write_commit(void *stream, pail_object_info *info,
                             pail_error **err);
void gcs_write_abort(void *stream);
pail_status gcs_write_stream_file(void *stream, int fd, uint64_t offset,
                                  uint64_t length, pail_error **err);
pail_status gcs_relay_write_stream_file(void *stream, int fd, uint64_t offset,
                                        uint64_t length, pail_error **err);
/* The JSON object resource a write or a copy sends for options (name,
 * contentType, contentDisposition, metadata). */
pail_status gcs_write_metadata(const char *key,
                               const pail_write_options *options, json_t **out,
                               pail_error **err);

pail_status gcs_copy(void *instance, const char *src_key, const char *dst_key,
                     const pail_write_options *options, pail_error **err);

/* ---------------------------------------------------- gcs_uploads.c */

/* The S3 gateway's multipart uploads (ABI 1.18): parts as hidden objects,
 * composed at Complete. */
pail_status gcs_upload_create(void *instance, const char *key,
                              const pail_write_options *options,
                              char **upload_id, pail_error **err);
pail_status gcs_upload_part(void *instance, const char *key,
                            const char *upload_id, uint32_t number, int fd,
                            uint64_t offset, uint64_t length, char **etag,
                            pail_error **err);
pail_status gcs_upload_complete(void *instance, const char *key,
                                const char *upload_id,
                                const pail_write_options *options,
                                const pail_upload_part *parts, size_t count,
                                pail_object_info *info, pail_error **err);
pail_status gcs_upload_abort(void *instance, const char *key,
                             const char *upload_id, pail_error **err);
/* Whether id is an upload tag of upload_create (16 lowercase hex). */
bool gcs_upload_tag_valid(const char *id);
/* pail cleanup: appends to *leftovers (*count of them) each upload whose
 * parts are in the bucket (kind multipart-upload, id its tag, key its
 * target), and removes one. */
pail_status gcs_upload_leftovers(gcs_instance *gcs, pail_leftover **leftovers,
                                 size_t *count, pail_error **err);
pail_status gcs_upload_leftover_remove(gcs_instance *gcs,
                                       const pail_leftover *leftover,
                                       pail_error **err);

#endif /* PAIL_BACKEND_GCS_H */
