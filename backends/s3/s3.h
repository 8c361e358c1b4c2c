/*
 * s3.h: what the files of the S3 backend share. The backend speaks the S3
 * REST protocol (AWS, MinIO, R2, Ceph, moto, ...) through the core's HTTP
 * and SigV4 services; everything here is specific to S3.
 */
#ifndef PAIL_BACKEND_S3_H
#define PAIL_BACKEND_S3_H

#include <config.h> /* _GNU_SOURCE, before any system header */

#include <pail/backend.h>

#include "../common.h"
#include "../xml.h"
#include <pthread.h>
#include <stdbool.h>

#define S3_VERSION "0.1.0"

/* S3's multipart limits. */
#define S3_MIN_PART_SIZE ((size_t)5 << 20)
#define S3_MAX_PART_SIZE ((uint64_t)5 << 30)
#define S3_MAX_PARTS 10000
/* CopyObject copies at most 5 GiB; larger objects are copied by parts. */
#define S3_MAX_COPY_SIZE ((uint64_t)5 << 30)

/* Response bodies the backend reads into memory (listings, errors). */
#define S3_MAX_BODY ((size_t)16 << 20)

extern const pail_core_services *s3_core;

/* Where a storage's credentials come from (s3_sources.c), each source
 * behind the core's credentials cache. */
typedef enum s3_source_kind {
  S3_SOURCE_FIXED,        /* keys from the settings, environment or profile */
  S3_SOURCE_WEB_IDENTITY, /* STS AssumeRoleWithWebIdentity, a token file */
  S3_SOURCE_ASSUME_ROLE,  /* STS AssumeRole, signed with a base source */
  S3_SOURCE_PROCESS,      /* a profile's credential_process */
  S3_SOURCE_CONTAINER,    /* ECS / EKS Pod Identity container credentials */
  S3_SOURCE_IMDS          /* EC2 instance metadata, IMDSv2 only */
} s3_source_kind;
typedef struct s3_source s3_source;

/* What s3_source_new builds a source from; strings are copied. */
typedef struct s3_source_options {
  s3_source_kind kind;
  const char *describe; /* for messages: "profile \"ci\"", ... */
  /* FIXED */
  const char *access_key_id, *secret_access_key, *session_token;
  /* WEB_IDENTITY and ASSUME_ROLE */
  const char *role_arn, *session_name, *external_id;
  const char *region;     /* of the STS endpoint */
  int64_t duration;       /* DurationSeconds; 0: STS's default */
  const char *token_file; /* WEB_IDENTITY */
  s3_source *base;        /* ASSUME_ROLE: taken over on success */
  const char *command;    /* PROCESS */
  /* CONTAINER: the credentials URL, and the Authorization header's value
   * or a file holding it (read at each fetch); IMDS: the endpoint
   * ("http://169.254.169.254"). */
  const char *url, *authorization, *authorization_file;
  /* IMDS: what to say, access denied, when no metadata answers at all
   * ("no credentials for bucket ...; tried: ..."): the chain's last
   * source found nothing either. */
  const char *unfound;
} s3_source_options;

pail_status s3_source_new(const pail_config *cfg,
                          const s3_source_options *options, s3_source **out,
                          pail_error **err);
void s3_source_free(s3_source *s);
const char *s3_source_describe(const s3_source *s);
s3_source_kind s3_source_kind_of(const s3_source *s);
/* The source's current credentials (fetched or refreshed when due), for
 * the caller to clear with credentials_clear. */
pail_status s3_source_get(s3_source *s, pail_backend_credentials *out,
                          pail_error **err);
/* After S3 refused c (ExpiredToken): the next get fetches. */
void s3_source_invalidate(s3_source *s, const pail_backend_credentials *c);

/* Credentials as resolved when the storage opened: a source (whose
 * credentials may change as they are refreshed), or anonymous access. */
typedef struct s3_credentials {
  s3_source *source; /* NULL when anonymous */
  bool anonymous;
} s3_credentials;

/* One configured storage. Immutable after open, hence thread-safe. */
typedef struct s3_instance {
  const pail_config *cfg;
  char *bucket;
  char *region;
  char *endpoint; /* host[:port] */
  bool use_ssl;
  bool path_style;
  bool aws;          /* the endpoint is AWS's own (region required) */
  bool sign_payload; /* hash bodies instead of UNSIGNED-PAYLOAD */
  char *base_url;    /* "https://host[:port]/bucket" or "https://bucket.host" */
  s3_credentials credentials;
  size_t part_size;     /* multipart part size and single-PUT threshold */
  uint64_t copy_cutoff; /* larger server-side copies go by parts */
  size_t concurrency;   /* parts in flight per upload */
  int read_retries;     /* resumptions of a broken GET */
  /* What the service leaves out of S3 (the "provider" setting): Google
   * Cloud Storage's XML API has no DeleteObjects and no UploadPartCopy,
   * takes "x-goog-if-generation-match: 0" for create-only uploads, and no
   * precondition on CompleteMultipartUpload. */
  bool batch_delete;
  bool part_copy;
  bool conditional_multipart;
  const char *create_only_header;
  const char *meta_prefix; /* "x-amz-meta-", "x-goog-meta-" */
  bool name_location;      /* mb names the region as LocationConstraint */
  /* GETs ask for the object's checksum (x-amz-checksum-mode: ENABLED); GCS
   * gives its own (x-goog-hash) unasked. */
  bool checksum_mode;
  const char *provider; /* for messages: "S3", "Google Cloud Storage" */
  /* Without settings: the service's own endpoint and signing region
   * (NULL: AWS's endpoint for the region; the AWS region chain). */
  const char *default_endpoint;
  const char *default_region;
} s3_instance;

/* ------------------------------------------------------------ s3.c */

/* Builds the URL of key (NULL: the bucket) with an optional query (already
 * encoded, without '?'). Caller frees; NULL when out of memory. */
char *s3_url(const s3_instance *s3, const char *key, const char *query);

/* Signs the request (adds X-Amz-Date, Authorization, ...). Call last. */
pail_status s3_request_sign(const s3_instance *s3, pail_request *r,
                            pail_error **err);

/* Runs an exchange and turns a non-2xx status (or a 200 carrying an <Error>
 * document, as CopyObject and CompleteMultipartUpload may) into an error
 * about `what` (a key, or a phrase). */
pail_status s3_exchange(const s3_instance *s3, pail_request *r,
                        const char *what, pail_http_response *out,
                        pail_error **err);

/* Sets *err from an S3 error response (XML body, or status alone for HEAD)
 * and returns the category. */
pail_status s3_response_error(const s3_instance *s3,
                              const pail_http_response *response,
                              const char *what, pail_error **err);

/* The <Code> of an S3 error body, malloc'ed, or NULL. */
char *s3_error_code(const pail_http_response *response);

/* Fills object info from response headers (HEAD and GET). */
pail_status s3_info_from_headers(const pail_http_response *response,
                                 const char *key, pail_object_info *info,
                                 pail_error **err);

pail_status s3_no_memory(pail_error **err);

/* The SigV4 key of the storage's current credentials, whose strings point
 * into *hold (clear it with credentials_clear once signed). Anonymous
 * storages have none: PAIL_ERR_INTERNAL. */
pail_status s3_key_get(const s3_instance *s3, pail_sigv4_key *key,
                       pail_backend_credentials *hold, pail_error **err);

/* -------------------------------------------------- s3_credentials.c */

/* Resolves credentials, region and endpoint from settings, then the
 * environment and the shared config files, in the AWS CLI's order. */
pail_status s3_resolve(s3_instance *s3, pail_error **err);
void s3_credentials_clear(s3_credentials *c);

/* ----------------------------------------------------- the operations */

pail_status s3_list(void *instance, const pail_backend_list_request *request,
                    pail_list_page *out, pail_error **err);
pail_status s3_read_open(void *instance, const char *key,
                         const pail_read_options *options, void **stream,
                         pail_object_info *info, pail_error **err);
pail_status s3_read_stream(void *stream, void *buffer, size_t capacity,
                           size_t *got, pail_error **err);
void s3_read_close(void *stream);
pail_status s3_write_open(void *instance, const char *key,
                          const pail_write_options *options, void **stream,
                          pail_error **err);
pail_status s3_write_stream(void *stream, const void *buffer, size_t length,
                            pail_error **err);
pail_status s3_write_commit(void *stream, pail_object_info *info,
                            pail_error **err);
void s3_write_abort(void *stream);
pail_status s3_write_stream_file(void *stream, int fd, uint64_t offset,
                                 uint64_t length, pail_error **err);
pail_status s3_delete(void *instance, const char *key, pail_error **err);
pail_status s3_delete_objects(void *instance, const char *const *keys,
                              size_t count, pail_status *results,
                              pail_error **errors, pail_error **err);
pail_status s3_copy(void *instance, const char *src_key, const char *dst_key,
                    const pail_write_options *options, pail_error **err);

/* The parsers of s3_list.c and s3_delete.c, outside their files for the
 * fuzz targets (tests/fuzz). s3_list_parse_page turns a ListBucketResult
 * body into a page of entries (the core then drops unnameable keys);
 * s3_delete_read_result records the per-key <Error>s of a DeleteResult in
 * results and errors (arrays of n, as for delete_objects). */
pail_status s3_list_parse_page(const s3_instance *s3,
                               const pail_http_response *response,
                               pail_list_page *out, pail_error **err);
pail_status s3_delete_read_result(const s3_instance *s3,
                                  const pail_http_response *response,
                                  const char *const *keys, size_t n,
                                  pail_status *results, pail_error **errors,
                                  pail_error **err);

/* HEAD: the object's info. */
pail_status s3_stat_object(s3_instance *s3, const char *key,
                           pail_object_info *out, pail_error **err);

/* The x-amz-copy-source value of key in the storage's bucket; NULL when
 * out of memory. */
char *s3_copy_source(const s3_instance *s3, const char *key);

/* CopyObject from source (the x-amz-copy-source value) to dst_key; with
 * replace, options' headers replace the source's. */
pail_status s3_copy_object(s3_instance *s3, const char *source,
                           const char *dst_key,
                           const pail_write_options *options, bool replace,
                           pail_object_info *info, pail_error **err);

/* Copies an object of `size` bytes (source is the x-amz-copy-source value)
 * with UploadPartCopy, for objects over CopyObject's 5 GiB. */
pail_status s3_copy_by_parts(s3_instance *s3, const char *source, uint64_t size,
                             const char *dst_key,
                             const pail_write_options *options,
                             pail_error **err);

/* The ABI 1.18 upload operations, for the S3 gateway's multipart uploads:
 * CreateMultipartUpload, UploadPart from a file range and
 * UploadPartCopy and CompleteMultipartUpload (s3_write.c), and
 * AbortMultipartUpload where an
 * upload already gone is success (s3_uploads.c). */
pail_status s3_upload_create(void *instance, const char *key,
                             const pail_write_options *options,
                             char **upload_id, pail_error **err);
pail_status s3_upload_part(void *instance, const char *key,
                           const char *upload_id, uint32_t number, int fd,
                           uint64_t offset, uint64_t length, char **etag,
                           pail_error **err);
pail_status s3_upload_part_copy(void *instance, const char *key,
                                const char *upload_id, uint32_t number,
                                const char *src_key, uint64_t offset,
                                uint64_t length, char **etag, pail_error **err);
pail_status s3_upload_complete(void *instance, const char *key,
                               const char *upload_id,
                               const pail_write_options *options,
                               const pail_upload_part *parts, size_t count,
                               pail_object_info *info, pail_error **err);
pail_status s3_upload_abandon(void *instance, const char *key,
                              const char *upload_id, pail_error **err);

/* -------------------------------------------------------- s3_uploads.c */

/* A multipart upload in progress. */
typedef struct s3_upload {
  char *key;
  char *id;
  int64_t initiated; /* INT64_MIN when unknown */
} s3_upload;

/* One page of ListMultipartUploads. */
typedef struct s3_uploads_page {
  s3_upload *uploads;
  size_t count;
  char *next_key, *next_id; /* the next page's markers; NULL on the last */
  int64_t server_now;       /* the answer's Date, INT64_MIN when unknown */
} s3_uploads_page;

/* Lists one page of the uploads in progress whose keys start with prefix
 * (NULL: all), from the markers of the previous page (NULL for the first).
 * page is emptied first; release it with s3_uploads_page_clear. */
pail_status s3_uploads_list(const s3_instance *s3, const char *prefix,
                            const char *key_marker, const char *id_marker,
                            s3_uploads_page *page, pail_error **err);
void s3_uploads_page_clear(s3_uploads_page *page);
void s3_uploads_free(s3_upload *uploads, size_t count);

/* AbortMultipartUpload of key's upload upload_id. An upload already gone
 * is PAIL_ERR_NOT_FOUND (NoSuchUpload). */
/* DELETE of key with an encoded query (NULL: none): an object's delete,
 * or with uploadId=, a multipart upload's abort. */
pail_status s3_send_delete(const s3_instance *s3, const char *key,
                           const char *query, pail_error **err);
pail_status s3_upload_abort(const s3_instance *s3, const char *key,
                            const char *upload_id, pail_error **err);

/* pail cleanup's operations (ABI 1.14): multipart uploads in progress. */
pail_status s3_leftovers_list(void *instance, pail_leftover **leftovers,
                              size_t *count, char **note, pail_error **err);
pail_status s3_leftover_remove(void *instance, const pail_leftover *leftover,
                               int force, pail_error **err);

#endif /* PAIL_BACKEND_S3_H */
