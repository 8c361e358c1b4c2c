/*
 * s3_read.c: streamed GET over the core's resumable reader, which resumes a
 * GET broken mid-way with a range request pinned to the object's ETag
 * (If-Match), so a resumed read never mixes two versions of an object. This
 * file only speaks S3: the request and the meaning of its answers.
 */
#include "s3.h"

#include <stdlib.h>
#include <string.h>

typedef struct s3_read {
  s3_instance *s3;
  char *key;
  char *if_match; /* the caller's condition, if any */
  s3_request request;
  pail_resumable_reader *reader;
} s3_read;

/* The GET for range, pinned to version (the caller's If-Match until the
 * first response names the ETag). */
static pail_status build_request(void *context, const char *range,
                                 const char *version,
                                 const pail_http_request **request,
                                 pail_error **err) {
  s3_read *rd = context;
  s3_request_free(&rd->request);
  pail_status status =
      s3_request_init(&rd->request, "GET", s3_url(rd->s3, rd->key, NULL), err);
  if (status == PAIL_OK && range != NULL)
    status = s3_request_header(&rd->request, err, "Range: %s", range);
  const char *pin = version ? version : rd->if_match;
  if (status == PAIL_OK && pin != NULL)
    status = s3_request_header(&rd->request, err, "If-Match: %s", pin);
  if (status == PAIL_OK)
    status = s3_request_sign(rd->s3, &rd->request, err);
  *request = &rd->request.http;
  return status;
}

static pail_status check_head(void *context, const pail_http_response *head,
                              int resuming, pail_object_info *info, int *again,
                              pail_error **err) {
  s3_read *rd = context;
  (void)again;
  /* A resumed read that meets a new version of the object. */
  if (head->status == 412 && resuming)
    return s3_core->error_set(
        err, PAIL_ERR_CONFLICT, 412, "PreconditionFailed",
        s3_core->http_header(head, "x-amz-request-id"),
        "s3: %s: the object changed while it was being read", rd->key);
  if (head->status < 200 || head->status > 299)
    return s3_response_error(rd->s3, head, rd->key, err);
  if (info != NULL)
    return s3_info_from_headers(head, rd->key, info, err);
  return PAIL_OK;
}

void s3_read_close(void *stream) {
  s3_read *rd = stream;
  if (rd == NULL)
    return;
  s3_core->resumable_close(rd->reader);
  s3_request_free(&rd->request);
  free(rd->key);
  free(rd->if_match);
  free(rd);
}

pail_status s3_read_open(void *instance, const char *key,
                         const pail_read_options *options, void **stream,
                         pail_object_info *info, pail_error **err) {
  s3_instance *s3 = instance;
  s3_read *rd = calloc(1, sizeof *rd);
  if (rd == NULL)
    return s3_no_memory(err);
  rd->s3 = s3;
  rd->key = strdup(key);
  rd->if_match = options->if_match ? strdup(options->if_match) : NULL;
  if (rd->key == NULL || (options->if_match && rd->if_match == NULL)) {
    s3_read_close(rd);
    return s3_no_memory(err);
  }
  pail_resumable_source source = {.label = "s3",
                                  .key = key,
                                  .version_header = "etag",
                                  .resumes = s3->read_retries,
                                  .context = rd,
                                  .build = build_request,
                                  .check = check_head};
  pail_status status =
      s3_core->resumable_open(s3->cfg, &source, options->offset,
                              options->length, info, &rd->reader, err);
  if (status != PAIL_OK) {
    s3_read_close(rd);
    return status;
  }
  *stream = rd;
  return PAIL_OK;
}

pail_status s3_read_stream(void *stream, void *buffer, size_t capacity,
                           size_t *got, pail_error **err) {
  s3_read *rd = stream;
  return s3_core->resumable_read(rd->reader, buffer, capacity, got, err);
}
