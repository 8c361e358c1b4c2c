/*
 * gcs_read.c: streamed downloads (alt=media). The object's metadata is read
 * first: it gives the size, the generation and the CRC-32C. Every media
 * request is pinned to that generation (ifGenerationMatch), so a read never
 * mixes two versions, and a download broken mid-way resumes with a Range
 * request from where it stopped. A whole-object read is checked against
 * the CRC-32C GCS stores, which catches corruption TLS cannot (a bad disk or
 * proxy on the way); a range cannot be checked, GCS has no per-range sums.
 * Memory is bounded by the caller's buffer and the HTTP stream's.
 */
#include "gcs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gcs_read {
  gcs_instance *gcs;
  char *key;
  char *generation; /* the version being read */
  uint64_t next;    /* absolute offset of the next byte to deliver */
  uint64_t end;     /* absolute end (exclusive) */
  uint64_t size;    /* the object's size */
  uint64_t skip;    /* bytes to drop: a server that ignored Range */
  bool verify;      /* whole object with a known CRC-32C */
  uint32_t expected_crc, crc;
  gcs_request request;
  pail_http_stream *stream;
  int retries_left;
} gcs_read;

static void stream_drop(gcs_read *rd) {
  if (rd->stream != NULL)
    gcs_core->http_stream_close(rd->stream);
  rd->stream = NULL;
  gcs_request_free(&rd->request);
}

/* Opens the media GET for [offset, rd->end). */
static pail_status request_from(gcs_read *rd, uint64_t offset,
                                pail_error **err) {
  gcs_instance *gcs = rd->gcs;
  for (int attempt = 0;; attempt++) {
    char *query = strdup("alt=media");
    if (query == NULL ||
        !gcs_query_add(&query, "ifGenerationMatch", rd->generation))
      return gcs_no_memory(err);
    pail_status status = gcs_request_init(
        &rd->request, "GET", gcs_object_url(gcs, rd->key, false, query), err);
    free(query);
    if (status == PAIL_OK && (offset > 0 || rd->end < rd->size))
      status = gcs_request_header(&rd->request, err, "Range: bytes=%llu-%llu",
                                  (unsigned long long)offset,
                                  (unsigned long long)(rd->end - 1));
    unsigned generation = 0;
    char *token = NULL;
    if (status == PAIL_OK)
      status = gcs_token_get(gcs, &token, &generation, err);
    if (status == PAIL_OK)
      status = gcs_request_header(&rd->request, err, "Authorization: Bearer %s",
                                  token);
    free(token);
    pail_http_response head = {0};
    if (status == PAIL_OK)
      status = gcs_core->http_stream_open(gcs->cfg, &rd->request.http,
                                          &rd->stream, &head, err);
    if (status == PAIL_OK && rd->stream == NULL) {
      if (head.status == 401 && attempt == 0) {
        gcs_token_invalidate(gcs, generation);
        gcs_core->http_response_clear(&head);
        gcs_request_free(&rd->request);
        continue;
      }
      if (head.status == 412)
        status = gcs_core->error_set(
            err, PAIL_ERR_CONFLICT, 412, "conditionNotMet",
            gcs_request_id(&head),
            "gcs: %s: the object changed while it was being read "
            "(generation %s is gone)",
            rd->key, rd->generation);
      else
        status = gcs_response_error(gcs, &head, rd->key, err);
    }
    /* A server that ignores Range answers 200 with the whole object. */
    if (status == PAIL_OK && head.status == 200)
      rd->skip = offset;
    gcs_core->http_response_clear(&head);
    if (status != PAIL_OK)
      stream_drop(rd);
    return status;
  }
}

void gcs_read_close(void *stream) {
  gcs_read *rd = stream;
  if (rd == NULL)
    return;
  stream_drop(rd);
  free(rd->key);
  free(rd->generation);
  free(rd);
}

/* True when text is a generation number. */
static bool is_generation(const char *text) {
  if (*text == '\0' || strlen(text) > 20)
    return false;
  for (; *text; text++)
    if (*text < '0' || *text > '9')
      return false;
  return true;
}

pail_status gcs_read_open(void *instance, const char *key,
                          const pail_read_options *options, void **stream,
                          pail_object_info *info, pail_error **err) {
  gcs_instance *gcs = instance;
  if (options->if_match != NULL && !is_generation(options->if_match))
    return gcs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                               "gcs: %s: the ETag to match must be a "
                               "generation number as pail stat shows it",
                               key);
  gcs_read *rd = calloc(1, sizeof *rd);
  if (rd == NULL)
    return gcs_no_memory(err);
  rd->gcs = gcs;
  rd->retries_left = gcs->retries;
  rd->key = strdup(key);
  bool has_crc = false;
  pail_status status = rd->key
                           ? gcs_stat_object(gcs, key, info, &rd->generation,
                                             &rd->expected_crc, &has_crc, err)
                           : gcs_no_memory(err);
  if (status == PAIL_OK && options->if_match != NULL &&
      strcmp(options->if_match, rd->generation) != 0)
    status = gcs_core->error_set(err, PAIL_ERR_CONFLICT, 412, "conditionNotMet",
                                 NULL,
                                 "gcs: %s: the object is at generation %s, "
                                 "not %s",
                                 key, rd->generation, options->if_match);
  if (status != PAIL_OK) {
    gcs_read_close(rd);
    return status;
  }
  rd->size = info->size;
  rd->next = options->offset < rd->size ? options->offset : rd->size;
  rd->end = rd->size;
  if (options->length != PAIL_READ_TO_END &&
      options->length < rd->end - rd->next)
    rd->end = rd->next + options->length;
  rd->verify = has_crc && rd->next == 0 && rd->end == rd->size;
  /* Nothing to read (an empty object or range): no media request, which
   * GCS would answer 416 for an empty object's byte 0. */
  if (rd->next < rd->end)
    status = request_from(rd, rd->next, err);
  if (status != PAIL_OK) {
    gcs_read_close(rd);
    return status;
  }
  *stream = rd;
  return PAIL_OK;
}

/* At the end of a whole-object read: the bytes must have GCS's CRC-32C. */
static pail_status check_crc(gcs_read *rd, pail_error **err) {
  if (!rd->verify || rd->crc == rd->expected_crc)
    return PAIL_OK;
  char got[9], want[9];
  gcs_crc32c_encode(rd->crc, got);
  gcs_crc32c_encode(rd->expected_crc, want);
  rd->verify = false; /* said once */
  return gcs_core->error_set(err, PAIL_ERR_IO, 0, "crc32cMismatch", NULL,
                             "gcs: %s: the downloaded data is corrupt: its "
                             "CRC-32C is %s, GCS stored %s",
                             rd->key, got, want);
}

pail_status gcs_read_stream(void *stream, void *buffer, size_t capacity,
                            size_t *got, pail_error **err) {
  gcs_read *rd = stream;
  *got = 0;
  while (rd->next < rd->end) {
    size_t want = capacity;
    if (rd->skip == 0 && (uint64_t)want > rd->end - rd->next)
      want = (size_t)(rd->end - rd->next);
    pail_error *failure = NULL;
    pail_status status = rd->stream
                             ? gcs_core->http_stream_read(rd->stream, buffer,
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
      if (*got > rd->end - rd->next)
        *got = (size_t)(rd->end - rd->next);
      if (rd->verify)
        rd->crc = gcs_core->crc32c(rd->crc, buffer, *got);
      rd->next += *got;
      if (rd->next == rd->end) {
        status = check_crc(rd, err);
        if (status != PAIL_OK) {
          *got = 0;
          return status;
        }
      }
      return PAIL_OK;
    }
    /* The body ended early or the connection broke: resume where it
     * stopped, pinned to the generation being read. */
    if (status != PAIL_OK && status != PAIL_ERR_IO &&
        status != PAIL_ERR_UNAVAILABLE) {
      if (err != NULL && *err == NULL)
        *err = failure;
      else
        gcs_core->error_free(failure);
      return status;
    }
    if (rd->retries_left-- <= 0) {
      if (failure != NULL && err != NULL && *err == NULL) {
        *err = failure;
        return status;
      }
      gcs_core->error_free(failure);
      return gcs_core->error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                                 "gcs: %s: the download broke off at byte "
                                 "%llu of %llu",
                                 rd->key, (unsigned long long)rd->next,
                                 (unsigned long long)rd->end);
    }
    gcs_core->error_free(failure);
    gcs_core->log(rd->gcs->cfg, PAIL_LOG_INFO,
                  "gcs: %s: resuming the download at byte %llu", rd->key,
                  (unsigned long long)rd->next);
    stream_drop(rd);
    rd->skip = 0;
    status = request_from(rd, rd->next, err);
    if (status != PAIL_OK)
      return status;
  }
  return PAIL_OK;
}
