/*
 * azure.h: what the files of the Azure Blob backend share. The backend
 * speaks the Blob service REST protocol (Azure Storage, Azurite) through
 * the core's HTTP services, with SharedKey or SAS authorization; everything
 * here is specific to Azure.
 */
#ifndef PAIL_BACKEND_AZURE_H
#define PAIL_BACKEND_AZURE_H

#include <config.h> /* _GNU_SOURCE, before any system header */

#include <pail/backend.h>

#include "../common.h"
#include "../xml.h"
#include <stdbool.h>

#define AZURE_VERSION "0.1.0"

/* The service version every request names (x-ms-version) and every SAS
 * signs (sv). Pinned, so that the protocol does not change under us. */
#define AZURE_SERVICE_VERSION "2024-11-04"

/* Block blob limits of that version. */
#define AZURE_MIN_BLOCK_SIZE ((size_t)1 << 20)
#define AZURE_MAX_BLOCK_SIZE ((uint64_t)4000 << 20)
#define AZURE_MAX_BLOCKS 50000

/* Response bodies the backend reads into memory (listings, errors). */
#define AZURE_MAX_BODY ((size_t)16 << 20)

extern const pail_core_services *azure_core;

/* A Microsoft Entra ID token source (azure_entra.c). */
typedef struct azure_entra azure_entra;

/* One configured storage. Immutable after open, hence thread-safe. */
typedef struct azure_instance {
  const pail_config *cfg;
  char *account;
  char *container;
  bool use_ssl;
  char *origin;          /* "https://host[:port]" */
  char *path_prefix;     /* "" or "/account" (emulator style) */
  unsigned char key[64]; /* the decoded account key */
  size_t key_length;     /* 0: no key */
  char *sas;             /* a SAS token (query, no '?'), or NULL */
  azure_entra *entra;    /* bearer tokens from Entra ID, or NULL */
  char *source;          /* where the credential came from, for messages */
  size_t block_size;     /* block size and single Put Blob threshold */
  size_t concurrency;    /* blocks in flight per upload, deletes at once */
  int read_retries;      /* resumptions of a broken GET */
} azure_instance;

/* ---------------------------------------------------- azure_entra.c */

/* Entra ID as the storage's credential: from the settings' tenantId,
 * clientId and clientSecret or federatedTokenFile (settings_only), else
 * from the environment (client secret, workload identity) or a managed
 * identity, which is always there to try. Sets az->entra.
 * PAIL_ERR_NOT_FOUND (no error) when settings_only and the settings have
 * none of those fields. */
pail_status azure_entra_resolve(azure_instance *az, bool settings_only,
                                pail_error **err);
/* The current bearer token (out->token), refreshed when due; clear it
 * with credentials_clear. */
pail_status azure_entra_token(const azure_instance *az,
                              pail_backend_credentials *out, pail_error **err);
const char *azure_entra_describe(const azure_entra *e);
void azure_entra_free(azure_entra *e);

/* ---------------------------------------------------------- azure.c */

pail_status azure_no_memory(pail_error **err);

/* The URL of key in the container (NULL: the container itself) with an
 * optional query (already encoded, without '?'). Caller frees; NULL when
 * out of memory. */
char *azure_url(const azure_instance *az, const char *key, const char *query);

/* Authorizes the request (x-ms-date, x-ms-version, then Authorization:
 * SharedKey, or the SAS token appended to the URL). Call last. */
pail_status azure_request_sign(const azure_instance *az, pail_request *r,
                               pail_error **err);

/* Runs an exchange and turns a non-2xx status into an error about `what`
 * (a key, or a phrase). */
pail_status azure_exchange(const azure_instance *az, pail_request *r,
                           const char *what, pail_http_response *out,
                           pail_error **err);

/* Sets *err from an Azure error response (XML body, else the
 * x-ms-error-code header, else the status) and returns the category. */
pail_status azure_response_error(const azure_instance *az,
                                 const pail_http_response *response,
                                 const char *what, pail_error **err);

/* The error code of a response (x-ms-error-code, else the body's <Code>),
 * malloc'ed, or NULL. */
char *azure_error_code(const pail_http_response *response);

/* Fills object info from response headers (HEAD and GET). */
pail_status azure_info_from_headers(const pail_http_response *response,
                                    const char *key, pail_object_info *info,
                                    pail_error **err);

/* Get Blob Properties. */
pail_status azure_stat_object(const azure_instance *az, const char *key,
                              pail_object_info *out, pail_error **err);

/* Adds the headers that set a blob's content type, disposition and
 * metadata (x-ms-blob-content-type, ..., x-ms-meta-*). */
pail_status azure_request_blob_headers(pail_request *r,
                                       const pail_write_options *options,
                                       pail_error **err);

/* ---------------------------------------------------- azure_auth.c */

/* The SharedKey string to sign for a request (2009-09-19 and later
 * versions, so an empty Content-Length line for 0 bytes), given its
 * headers ("Name: value") and body length. url is absolute and encoded.
 * Caller frees; NULL when out of memory or the URL has no path. */
char *azure_shared_key_string(const char *method, const char *account,
                              const char *url, const char *const *headers,
                              size_t header_count, size_t content_length);

/* The base64 HMAC-SHA256 of text under the account key into out (45
 * bytes). */
void azure_hmac_base64(const unsigned char *key, size_t key_length,
                       const char *text, char out[45]);

/* What a service SAS for one blob signs. Strings belong to the caller;
 * empty or NULL fields sign as empty lines. */
typedef struct azure_sas_fields {
  const char *permissions; /* sp: "r", "cw", "d" */
  const char *start;       /* st: "2026-11-27T10:00:00Z" */
  const char *expiry;      /* se */
  const char *account;
  const char *container;
  const char *blob;     /* the blob's name, not encoded */
  const char *protocol; /* spr: "https" or "https,http" */
  const char *version;  /* sv */
  const char *cache_control, *content_disposition, *content_encoding,
      *content_language, *content_type; /* rscc, rscd, rsce, rscl, rsct */
} azure_sas_fields;

/* The service SAS string to sign (versions 2020-12-06 and later). Caller
 * frees; NULL when out of memory. */
char *azure_sas_string(const azure_sas_fields *fields);

/* Format seconds since the epoch as an HTTP date ("Fri, 27 Nov 2026
 * 10:00:00 GMT") and as the ISO 8601 form a SAS signs
 * ("2026-11-27T10:00:00Z"). */
void azure_http_date(int64_t seconds, char out[64]);
void azure_iso_date(int64_t seconds, char out[64]);

/* ---------------------------------------------- azure_credentials.c */

/* Resolves account, endpoint and credential from the settings, a
 * connection string, then the environment. */
pail_status azure_resolve(azure_instance *az, pail_error **err);

/* Checks an account name and a container name against Azure's rules. */
pail_status azure_check_account_name(const char *name, pail_error **err);
pail_status azure_check_container_name(const char *name, pail_error **err);

/* ----------------------------------------------------- the operations */

pail_status azure_list(void *instance, const pail_backend_list_request *request,
                       pail_list_page *out, pail_error **err);
pail_status azure_read_open(void *instance, const char *key,
                            const pail_read_options *options, void **stream,
                            pail_object_info *info, pail_error **err);
pail_status azure_read_stream(void *stream, void *buffer, size_t capacity,
                              size_t *got, pail_error **err);
void azure_read_close(void *stream);
pail_status azure_write_open(void *instance, const char *key,
                             const pail_write_options *options, void **stream,
                             pail_error **err);
pail_status azure_write_stream(void *stream, const void *buffer, size_t length,
                               pail_error **err);
pail_status azure_write_commit(void *stream, pail_object_info *info,
                               pail_error **err);
void azure_write_abort(void *stream);
pail_status azure_write_stream_file(void *stream, int fd, uint64_t offset,
                                    uint64_t length, pail_error **err);
/* The ABI 1.18 upload operations (azure_write.c), for the S3 gateway's
 * multipart uploads: parts as blocks, Complete as Put Block List. */
pail_status azure_upload_create(void *instance, const char *key,
                                const pail_write_options *options,
                                char **upload_id, pail_error **err);
pail_status azure_upload_part(void *instance, const char *key,
                              const char *upload_id, uint32_t number, int fd,
                              uint64_t offset, uint64_t length, char **etag,
                              pail_error **err);
pail_status azure_upload_complete(void *instance, const char *key,
                                  const char *upload_id,
                                  const pail_write_options *options,
                                  const pail_upload_part *parts, size_t count,
                                  pail_object_info *info, pail_error **err);
pail_status azure_upload_abort(void *instance, const char *key,
                               const char *upload_id, pail_error **err);
pail_status azure_delete_objects(void *instance, const char *const *keys,
                                 size_t count, pail_status *results,
                                 pail_error **errors, pail_error **err);
pail_status azure_copy(void *instance, const char *src_key, const char *dst_key,
                       const pail_write_options *options, pail_error **err);

/* The reader of azure_delete.c's Blob Batch answers, outside its file for
 * the fuzz target: records each sub-response of a multipart/mixed body in
 * results and errors (arrays of n, by Content-ID, as for delete_objects);
 * a key the answer says nothing of gets PAIL_ERR_IO. */
pail_status azure_batch_read_result(const azure_instance *az,
                                    const pail_http_response *response,
                                    const char *const *keys, size_t n,
                                    pail_status *results, pail_error **errors,
                                    pail_error **err);

/* The parser of azure_list.c, outside its file for the fuzz target: turns
 * an EnumerationResults body into a page of entries under
 * request->prefix. */
pail_status azure_list_parse_page(const azure_instance *az,
                                  const pail_backend_list_request *request,
                                  const pail_http_response *response,
                                  pail_list_page *out, pail_error **err);

#endif /* PAIL_BACKEND_AZURE_H */
