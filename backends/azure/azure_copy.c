/*
 * azure_copy.c: server-side copy within the account with Copy Blob. The
 * service may answer "pending" and go on copying in the background: the
 * copy then returns only once the destination says success (or failed).
 * The source is looked at first, so that a missing source is reported as
 * the source's absence rather than as the destination's. Content type and
 * disposition the caller gives are set afterwards (Copy Blob carries the
 * source's), with Set Blob Properties.
 */
#include "azure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Without progress for this long, a pending copy is given up. */
#define STALL_LIMIT_SECONDS 600

static void pause_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0)
    ;
}

/* Polls the destination until its copy status is no longer pending. */
static pail_status wait_for_copy(const azure_instance *az, const char *key,
                                 const char *copy_id, pail_error **err) {
  long delay = 100;
  char *last_progress = NULL;
  int64_t last_change = azure_core->now(NULL);
  pail_status status = PAIL_OK;
  for (;;) {
    pause_ms(delay);
    if (delay < 2000)
      delay *= 2;
    pail_request r;
    pail_http_response response = {0};
    status =
        azure_core->request_init(&r, "HEAD", azure_url(az, key, NULL), err);
    if (status == PAIL_OK)
      status = azure_request_sign(az, &r, err);
    if (status == PAIL_OK)
      status = azure_exchange(az, &r, key, &response, err);
    azure_core->request_free(&r);
    if (status != PAIL_OK)
      break;
    const char *state = azure_core->http_header(&response, "x-ms-copy-status");
    const char *id = azure_core->http_header(&response, "x-ms-copy-id");
    const char *progress =
        azure_core->http_header(&response, "x-ms-copy-progress");
    const char *reason =
        azure_core->http_header(&response, "x-ms-copy-status-description");
    if (copy_id != NULL && id != NULL && strcmp(id, copy_id) != 0) {
      status = azure_core->error_set(
          err, PAIL_ERR_CONFLICT, response.status, NULL,
          azure_core->http_header(&response, "x-ms-request-id"),
          "azure_blob: %s: another copy to this blob started while ours was "
          "pending",
          key);
    } else if (state == NULL || strcmp(state, "success") == 0) {
      /* done */
    } else if (strcmp(state, "pending") != 0) {
      status = azure_core->error_set(
          err, PAIL_ERR_IO, response.status, NULL,
          azure_core->http_header(&response, "x-ms-request-id"),
          "azure_blob: %s: the copy ended with status %.20s%s%.200s", key,
          state, reason ? ": " : "", reason ? reason : "");
    } else {
      if (progress != NULL &&
          (last_progress == NULL || strcmp(progress, last_progress) != 0)) {
        free(last_progress);
        last_progress = strdup(progress);
        last_change = azure_core->now(NULL);
        azure_core->log(az->cfg, PAIL_LOG_INFO,
                        "azure_blob: %s: copy pending (%s bytes)", key,
                        progress);
      }
      if (azure_core->now(NULL) - last_change > STALL_LIMIT_SECONDS)
        status = azure_core->error_set(
            err, PAIL_ERR_UNAVAILABLE, response.status, NULL,
            azure_core->http_header(&response, "x-ms-request-id"),
            "azure_blob: %s: the copy made no progress for %d seconds", key,
            STALL_LIMIT_SECONDS);
      else {
        azure_core->http_response_clear(&response);
        continue;
      }
    }
    azure_core->http_response_clear(&response);
    break;
  }
  free(last_progress);
  return status;
}

/* Set Blob Properties with the content type and disposition (the service
 * clears those it is not given, so both are sent). */
static pail_status set_properties(const azure_instance *az, const char *key,
                                  const pail_write_options *options,
                                  pail_error **err) {
  pail_write_options headers = {.struct_size = sizeof headers,
                                .content_type = options->content_type,
                                .content_disposition =
                                    options->content_disposition};
  pail_request r;
  pail_http_response response = {0};
  pail_status status = azure_core->request_init(
      &r, "PUT", azure_url(az, key, "comp=properties"), err);
  if (status == PAIL_OK)
    status = azure_request_blob_headers(&r, &headers, err);
  if (status == PAIL_OK)
    status = azure_request_sign(az, &r, err);
  if (status == PAIL_OK)
    status = azure_exchange(az, &r, key, &response, err);
  azure_core->http_response_clear(&response);
  azure_core->request_free(&r);
  return status;
}

pail_status azure_copy(void *instance, const char *src_key, const char *dst_key,
                       const pail_write_options *options, pail_error **err) {
  azure_instance *az = instance;
  pail_object_info source_info = {0};
  pail_status status = azure_stat_object(az, src_key, &source_info, err);
  char *source = NULL;
  if (status == PAIL_OK) {
    char *url = azure_url(az, src_key, NULL);
    /* With a SAS credential the source must carry it too. */
    if (url != NULL && az->sas != NULL) {
      if (asprintf(&source, "%s?%s", url, az->sas) < 0)
        source = NULL;
      free(url);
    } else {
      source = url;
    }
    if (source == NULL)
      status = azure_no_memory(err);
  }
  /* Metadata the caller gives replace the source's (Copy Blob carries the
   * source's when none is given). */
  pail_write_options metadata_only = {.struct_size = sizeof metadata_only,
                                      .metadata = options->metadata,
                                      .metadata_count =
                                          options->metadata_count};
  pail_request r;
  pail_http_response response = {0};
  bool started = false;
  if (status == PAIL_OK) {
    status =
        azure_core->request_init(&r, "PUT", azure_url(az, dst_key, NULL), err);
    started = true;
  }
  if (status == PAIL_OK)
    status =
        azure_core->request_header(&r, err, "x-ms-copy-source: %s", source);
  if (status == PAIL_OK)
    status = azure_request_blob_headers(&r, &metadata_only, err);
  if (status == PAIL_OK && options->if_none_match) {
    status = azure_core->request_header(&r, err, "If-None-Match: *");
    r.http.flags |= PAIL_HTTP_NO_RETRY; /* as for create-only writes */
  }
  if (status == PAIL_OK)
    status = azure_request_sign(az, &r, err);
  if (status == PAIL_OK)
    status = azure_exchange(az, &r, dst_key, &response, err);
  if (status == PAIL_OK) {
    const char *state = azure_core->http_header(&response, "x-ms-copy-status");
    if (state != NULL && strcmp(state, "pending") == 0)
      status = wait_for_copy(
          az, dst_key, azure_core->http_header(&response, "x-ms-copy-id"), err);
    else if (state != NULL && strcmp(state, "success") != 0)
      status = azure_core->error_set(
          err, PAIL_ERR_IO, response.status, NULL,
          azure_core->http_header(&response, "x-ms-request-id"),
          "azure_blob: %s: the copy ended with status %.20s", dst_key, state);
  }
  if (status == PAIL_OK &&
      (options->content_type != NULL || options->content_disposition != NULL)) {
    pail_write_options merged = *options;
    if (merged.content_type == NULL)
      merged.content_type = source_info.content_type;
    if (merged.content_disposition == NULL)
      merged.content_disposition = source_info.content_disposition;
    status = set_properties(az, dst_key, &merged, err);
  }
  azure_core->http_response_clear(&response);
  if (started)
    azure_core->request_free(&r);
  free(source);
  azure_core->object_info_clear(&source_info);
  return status;
}
