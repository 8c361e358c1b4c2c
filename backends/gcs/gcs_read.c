/*
 * gcs_read.c: streamed downloads (alt=media). The object's metadata is read
 * first: it gives the size, the generation and the CRC-32C. Every media
 * request is pinned to that generation (ifGenerationMatch), so a read never
 * mixes two versions, and a download broken mid-way resumes with a Range
 * request from where it stopped (the core's resumable reader does the
 * streaming and the resuming; this file speaks GCS). A whole-object read is
 * checked against the CRC-32C GCS stores (the core's resumable_verify).
 * Memory is bounded by the caller's buffer and the HTTP stream's.
 */
#include "gcs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gcs_read {
  bool relayed; /* false: see gcs_stream_is_relayed */
  gcs_instance *gcs;
  char *key;
  char *generation; /* the version being read */
  pail_request request;
  char *token;                   /* the token the request carries */
  pail_resumable_reader *reader; /* NULL when there is nothing to read */
} gcs_read;

/* The media GET for range, pinned to the generation being read. */
static pail_status build_request(void *context, const char *range,
                                 const char *version,
                                 const pail_http_request **request,
                                 pail_error **err) {
  gcs_read *rd = context;
  gcs_instance *gcs = rd->gcs;
  gcs_core->request_free(&rd->request);
  *request = &rd->request.http;
  char *query = strdup("alt=media");
  if (query == NULL ||
      !backend_query_add(gcs_core, &query, "ifGenerationMatch", version)) {
    free(query);
    return gcs_no_memory(err);
  }
  pail_status status = gcs_core->request_init(
      &rd->request, "GET", gcs_object_url(gcs, rd->key, false, query), err);
  free(query);
  if (status == PAIL_OK && range != NULL)
    status = gcs_core->request_header(&rd->request, err, "Range: %s", range);
  gcs_wipe(rd->token);
  rd->token = NULL;
  if (status == PAIL_OK)
    status = gcs_token_get(gcs, &rd->token, err);
  if (status == PAIL_OK)
    status = gcs_core->request_header(&rd->request, err,
                                      "Authorization: Bearer %s", rd->token);
  return status;
}

static pail_status check_head(void *context, const pail_http_response *head,
                              int resuming, pail_object_info *info, int *again,
                              pail_error **err) {
  gcs_read *rd = context;
  (void)resuming;
  (void)info; /* filled by the metadata request before */
  if (head->status >= 200 && head->status <= 299)
    return PAIL_OK;
  if (head->status == 401) { /* an expired token: once more with a new one */
    gcs_token_invalidate(rd->gcs, rd->token);
    *again = 1;
  }
  if (head->status == 412)
    return gcs_core->error_set(
        err, PAIL_ERR_CONFLICT, 412, "conditionNotMet", gcs_request_id(head),
        "gcs: %s: the object changed while it was being read "
        "(generation %s is gone)",
        rd->key, rd->generation);
  return gcs_response_error(rd->gcs, head, rd->key, err);
}

void gcs_read_close(void *stream) {
  gcs_read *rd = stream;
  if (rd == NULL)
    return;
  if (gcs_stream_is_relayed(stream)) {
    gcs_relay_read_close(stream);
    return;
  }
  gcs_core->resumable_close(rd->reader);
  gcs_core->request_free(&rd->request);
  free(rd->key);
  free(rd->generation);
  gcs_wipe(rd->token);
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
  if (gcs->relay != NULL)
    return gcs_relay_read_open(gcs, key, options, stream, info, err);
  if (options->if_match != NULL && !is_generation(options->if_match))
    return gcs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                               "gcs: %s: the ETag to match must be a "
                               "generation number as pail stat shows it",
                               key);
  gcs_read *rd = calloc(1, sizeof *rd);
  if (rd == NULL)
    return gcs_no_memory(err);
  rd->gcs = gcs;
  rd->key = strdup(key);
  bool has_crc = false;
  uint32_t crc = 0;
  pail_status status = rd->key
                           ? gcs_stat_object(gcs, key, info, &rd->generation,
                                             &crc, &has_crc, err)
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
  uint64_t size = info->size;
  uint64_t next = options->offset < size ? options->offset : size;
  uint64_t end = size;
  if (options->length != PAIL_READ_TO_END && options->length < end - next)
    end = next + options->length;
  /* Nothing to read (an empty object or range): no media request, which
   * GCS would answer 416 for an empty object's byte 0. */
  if (next < end) {
    pail_resumable_source source = {.label = "gcs",
                                    .key = key,
                                    .version = rd->generation,
                                    .resumes = gcs->retries,
                                    .context = rd,
                                    .build = build_request,
                                    .check = check_head};
    /* The range as it is: the metadata told the size. */
    pail_read_options range = *options;
    range.offset = next;
    range.length = end == size ? PAIL_READ_TO_END : end - next;
    status = gcs_core->resumable_stream_open(gcs->cfg, &source, &range, NULL,
                                             info, &rd->reader, err);
    if (status == PAIL_OK && has_crc) {
      char text[9];
      gcs_crc32c_encode(crc, text);
      gcs_core->resumable_verify(rd->reader, "crc32c", text);
    }
  }
  if (status != PAIL_OK) {
    gcs_read_close(rd);
    return status;
  }
  *stream = rd;
  return PAIL_OK;
}

pail_status gcs_read_stream(void *stream, void *buffer, size_t capacity,
                            size_t *got, pail_error **err) {
  if (gcs_stream_is_relayed(stream))
    return gcs_relay_read_stream(stream, buffer, capacity, got, err);
  gcs_read *rd = stream;
  *got = 0;
  if (rd->reader == NULL)
    return PAIL_OK;
  return gcs_core->resumable_read(rd->reader, buffer, capacity, got, err);
}
