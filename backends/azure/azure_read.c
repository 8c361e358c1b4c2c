/*
 * azure_read.c: streamed Get Blob over the core's resumable reader, which
 * resumes a GET broken mid-way with an x-ms-range request pinned to the
 * blob's ETag (If-Match), so a resumed read never mixes two versions of a
 * blob, and checks a whole-blob read against the MD5 Azure stores (the
 * core's resumable_verify). This file only speaks Azure: the request and the
 * meaning of its answers.
 */
#include "azure.h"

#include <stdlib.h>
#include <string.h>

typedef struct azure_read {
  azure_instance *az;
  char *key;
  char *if_match; /* the caller's condition, if any */
  char *md5;      /* the blob's Content-MD5 from the first response, if any */
  pail_request request;
} azure_read;

/* The GET for range, pinned to version (the caller's If-Match until the
 * first response names the ETag). */
static pail_status build_request(void *context, const char *range,
                                 const char *version,
                                 const pail_http_request **request,
                                 pail_error **err) {
  azure_read *rd = context;
  azure_core->request_free(&rd->request);
  pail_status status = azure_core->request_init(
      &rd->request, "GET", azure_url(rd->az, rd->key, NULL), err);
  if (status == PAIL_OK && range != NULL)
    status =
        azure_core->request_header(&rd->request, err, "x-ms-range: %s", range);
  const char *pin = version ? version : rd->if_match;
  if (status == PAIL_OK && pin != NULL)
    status = azure_core->request_header(&rd->request, err, "If-Match: %s", pin);
  if (status == PAIL_OK)
    status = azure_request_sign(rd->az, &rd->request, err);
  *request = &rd->request.http;
  return status;
}

static pail_status check_head(void *context, const pail_http_response *head,
                              int resuming, pail_object_info *info, int *again,
                              pail_error **err) {
  azure_read *rd = context;
  (void)again;
  /* A resumed read that meets a new version of the object. */
  if (head->status == 412 && resuming)
    return azure_core->error_set(
        err, PAIL_ERR_CONFLICT, 412, "ConditionNotMet",
        azure_core->http_header(head, "x-ms-request-id"),
        "azure_blob: %s: the object changed while it was being read", rd->key);
  if (head->status < 200 || head->status > 299)
    return azure_response_error(rd->az, head, rd->key, err);
  if (info == NULL)
    return PAIL_OK;
  /* The blob's MD5: Content-MD5 of a whole-blob answer (of a range it would
   * be the range's, and only on request), x-ms-blob-content-md5 of any. */
  const char *md5 = azure_core->http_header(head, "x-ms-blob-content-md5");
  if (md5 == NULL && head->status == 200)
    md5 = azure_core->http_header(head, "content-md5");
  free(rd->md5);
  rd->md5 = md5 ? strdup(md5) : NULL;
  return azure_info_from_headers(head, rd->key, info, err);
}

/* Frees what the reader holds of the read (its source's context). */
static void read_free(void *context) {
  azure_read *rd = context;
  azure_core->request_free(&rd->request);
  free(rd->key);
  free(rd->if_match);
  free(rd->md5);
  free(rd);
}

void azure_read_close(void *stream) {
  azure_core->resumable_close(stream);
}

pail_status azure_read_open(void *instance, const char *key,
                            const pail_read_options *options, void **stream,
                            pail_object_info *info, pail_error **err) {
  azure_instance *az = instance;
  azure_read *rd = calloc(1, sizeof *rd);
  if (rd == NULL)
    return azure_no_memory(err);
  rd->az = az;
  rd->key = strdup(key);
  rd->if_match = options->if_match ? strdup(options->if_match) : NULL;
  if (rd->key == NULL || (options->if_match && rd->if_match == NULL)) {
    read_free(rd);
    return azure_no_memory(err);
  }
  pail_resumable_source source = {.label = "azure_blob",
                                  .key = key,
                                  .version_header = "etag",
                                  .resumes = az->read_retries,
                                  .context = rd,
                                  .build = build_request,
                                  .check = check_head};
  pail_resumable_reader *reader;
  pail_status status = azure_core->resumable_stream_open(
      az->cfg, &source, options, read_free, info, &reader, err);
  if (status != PAIL_OK)
    return status;
  if (rd->md5 != NULL)
    azure_core->resumable_verify(reader, "md5", rd->md5);
  *stream = reader;
  return PAIL_OK;
}

pail_status azure_read_stream(void *stream, void *buffer, size_t capacity,
                              size_t *got, pail_error **err) {
  return azure_core->resumable_read(stream, buffer, capacity, got, err);
}
