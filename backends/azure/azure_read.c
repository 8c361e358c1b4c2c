/*
 * azure_read.c: streamed Get Blob. Memory is bounded by the caller's buffer and
 * the HTTP stream's; a GET broken mid-way is resumed with a range request
 * pinned to the object's ETag (If-Match), so a resumed read never mixes two
 * versions of an object.
 */
#include "azure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct azure_read {
  azure_instance *az;
  char *key;
  char *etag;     /* the version being read, pinned for resumes */
  char *if_match; /* the caller's condition, if any */
  uint64_t next;  /* absolute offset of the next byte to deliver */
  uint64_t end;   /* absolute end (exclusive) */
  uint64_t skip;  /* bytes to drop: a server that ignored Range */
  azure_request request;
  pail_http_stream *stream;
  int retries_left;
} azure_read;

static void stream_drop(azure_read *rd) {
  if (rd->stream != NULL)
    azure_core->http_stream_close(rd->stream);
  rd->stream = NULL;
  azure_request_free(&rd->request);
}

/* Sends the GET for [offset, rd->end) (to the end when end is unknown, as on
 * the first request without a length). info, when not NULL, receives the
 * object's info from the response headers. */
static pail_status request_from(azure_read *rd, uint64_t offset, bool bounded,
                                bool ranged, pail_object_info *info,
                                pail_error **err) {
  azure_instance *az = rd->az;
  pail_http_response head = {0};
  pail_status status = azure_request_init(&rd->request, "GET",
                                          azure_url(az, rd->key, NULL), err);
  if (status == PAIL_OK && ranged) {
    if (bounded)
      status = azure_request_header(
          &rd->request, err, "x-ms-range: bytes=%llu-%llu",
          (unsigned long long)offset, (unsigned long long)(rd->end - 1));
    else
      status =
          azure_request_header(&rd->request, err, "x-ms-range: bytes=%llu-",
                               (unsigned long long)offset);
  }
  const char *pin = rd->etag ? rd->etag : rd->if_match;
  if (status == PAIL_OK && pin != NULL)
    status = azure_request_header(&rd->request, err, "If-Match: %s", pin);
  if (status == PAIL_OK)
    status = azure_request_sign(az, &rd->request, err);
  if (status == PAIL_OK)
    status = azure_core->http_stream_open(az->cfg, &rd->request.http,
                                          &rd->stream, &head, err);
  if (status == PAIL_OK && rd->stream == NULL) {
    /* A resumed read that meets a new version of the object. */
    if (head.status == 412 && rd->etag != NULL)
      status = azure_core->error_set(
          err, PAIL_ERR_CONFLICT, 412, "ConditionNotMet",
          azure_core->http_header(&head, "x-ms-request-id"),
          "azure_blob: %s: the object changed while it was being read",
          rd->key);
    else
      status = azure_response_error(az, &head, rd->key, err);
  }
  if (status == PAIL_OK && info != NULL)
    status = azure_info_from_headers(&head, rd->key, info, err);
  if (status == PAIL_OK && rd->etag == NULL) {
    const char *etag = azure_core->http_header(&head, "etag");
    if (etag != NULL && (rd->etag = strdup(etag)) == NULL)
      status = azure_no_memory(err);
  }
  /* A server that ignores Range answers 200 with the whole object. */
  if (status == PAIL_OK && ranged && head.status == 200)
    rd->skip = offset;
  azure_core->http_response_clear(&head);
  if (status != PAIL_OK)
    stream_drop(rd);
  return status;
}

void azure_read_close(void *stream) {
  azure_read *rd = stream;
  if (rd == NULL)
    return;
  stream_drop(rd);
  free(rd->key);
  free(rd->etag);
  free(rd->if_match);
  free(rd);
}

pail_status azure_read_open(void *instance, const char *key,
                            const pail_read_options *options, void **stream,
                            pail_object_info *info, pail_error **err) {
  azure_instance *az = instance;
  azure_read *rd = calloc(1, sizeof *rd);
  if (rd == NULL)
    return azure_no_memory(err);
  rd->az = az;
  rd->retries_left = az->read_retries;
  rd->key = strdup(key);
  rd->if_match = options->if_match ? strdup(options->if_match) : NULL;
  if (rd->key == NULL || (options->if_match && rd->if_match == NULL)) {
    azure_read_close(rd);
    return azure_no_memory(err);
  }
  bool bounded = options->length != PAIL_READ_TO_END;
  bool ranged = options->offset > 0 || bounded;
  if (bounded) {
    if (options->length == 0 ||
        options->offset > UINT64_MAX - options->length) {
      /* Nothing to read: still check the object exists. */
      bounded = false;
      ranged = options->offset > 0;
    } else {
      rd->end = options->offset + options->length;
    }
  }
  pail_error *failure = NULL;
  pail_status status =
      request_from(rd, options->offset, bounded, ranged, info, &failure);
  /* An empty blob has no byte 0 to range over: Azure answers 416. Ask again
   * for the whole (empty) object. */
  if (status == PAIL_ERR_INVALID_ARGUMENT && options->offset == 0 && ranged) {
    azure_core->error_free(failure);
    failure = NULL;
    status = request_from(rd, 0, false, false, info, err);
  } else if (failure != NULL) {
    if (err != NULL && *err == NULL)
      *err = failure;
    else
      azure_core->error_free(failure);
  }
  if (status != PAIL_OK) {
    azure_read_close(rd);
    return status;
  }
  uint64_t size = info->size;
  if (!bounded || rd->end > size)
    rd->end = size;
  rd->next = options->offset < size ? options->offset : size;
  if (options->length == 0)
    rd->end = rd->next;
  *stream = rd;
  return PAIL_OK;
}

pail_status azure_read_stream(void *stream, void *buffer, size_t capacity,
                              size_t *got, pail_error **err) {
  azure_read *rd = stream;
  *got = 0;
  while (rd->next < rd->end) {
    size_t want = capacity;
    if (rd->skip == 0 && (uint64_t)want > rd->end - rd->next)
      want = (size_t)(rd->end - rd->next);
    pail_error *failure = NULL;
    pail_status status = rd->stream
                             ? azure_core->http_stream_read(rd->stream, buffer,
                                                            want, got, &failure)
                             : PAIL_ERR_IO;
    if (status == PAIL_OK && *got > 0) {
      if (rd->skip > 0) { /* drop what precedes the range */
        size_t drop = *got < rd->skip ? *got : (size_t)rd->skip;
        rd->skip -= drop;
        memmove(buffer, (char *)buffer + drop, *got - drop);
        *got -= drop;
        if (*got == 0)
          continue;
      }
      rd->next += *got;
      return PAIL_OK;
    }
    /* The body ended early or the connection broke: resume where it
     * stopped, pinned to the version being read. */
    if (status != PAIL_OK && status != PAIL_ERR_IO &&
        status != PAIL_ERR_UNAVAILABLE) {
      if (err != NULL && *err == NULL)
        *err = failure;
      else
        azure_core->error_free(failure);
      return status;
    }
    if (rd->retries_left-- <= 0 || rd->etag == NULL) {
      if (failure != NULL && err != NULL && *err == NULL) {
        *err = failure;
        return status;
      }
      azure_core->error_free(failure);
      return azure_core->error_set(
          err, PAIL_ERR_IO, 0, NULL, NULL,
          "azure_blob: %s: the download broke off at byte %llu "
          "of %llu",
          rd->key, (unsigned long long)rd->next, (unsigned long long)rd->end);
    }
    azure_core->error_free(failure);
    azure_core->log(rd->az->cfg, PAIL_LOG_INFO,
                    "azure_blob: %s: resuming the download at byte %llu",
                    rd->key, (unsigned long long)rd->next);
    stream_drop(rd);
    rd->skip = 0;
    status = request_from(rd, rd->next, true, true, NULL, err);
    if (status != PAIL_OK)
      return status;
  }
  return PAIL_OK;
}
