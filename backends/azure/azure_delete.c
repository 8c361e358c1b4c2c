/*
 * azure_delete.c: deleting many blobs (`rm` of several keys, a folder with
 * -r) as parallel Delete Blob requests on the core's HTTP group. The Blob
 * service's own batch (Blob Batch, multipart/mixed with a signature per
 * sub-request) saves round trips but not work, and is not offered by every
 * service that speaks the Blob API; parallel requests work everywhere and
 * report each key's own error.
 */
#include "azure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deletes in flight per call: the storage's concurrency × 4, at most 32. */
static size_t in_flight(const azure_instance *az) {
  size_t n = az->concurrency * 4;
  return n > 32 ? 32 : n;
}

typedef struct delete_slot {
  azure_request request;
  size_t index; /* of the key */
  bool busy;
} delete_slot;

static pail_status start_one(const azure_instance *az, pail_http_group *group,
                             delete_slot *slot, const char *key,
                             pail_error **err) {
  pail_status status = azure_request_init(&slot->request, "DELETE",
                                          azure_url(az, key, NULL), err);
  if (status == PAIL_OK)
    status = azure_request_header(&slot->request, err,
                                  "x-ms-delete-snapshots: include");
  if (status == PAIL_OK)
    status = azure_request_sign(az, &slot->request, err);
  if (status == PAIL_OK)
    status = azure_core->http_group_start(group, &slot->request.http,
                                          AZURE_MAX_BODY, slot, err);
  if (status == PAIL_OK)
    slot->busy = true;
  else
    azure_request_free(&slot->request);
  return status;
}

pail_status azure_delete_objects(void *instance, const char *const *keys,
                                 size_t count, pail_status *results,
                                 pail_error **errors, pail_error **err) {
  azure_instance *az = instance;
  size_t width = in_flight(az);
  if (width > count)
    width = count;
  if (width == 0)
    return PAIL_OK;
  delete_slot *slots = calloc(width, sizeof *slots);
  pail_http_group *group =
      slots ? azure_core->http_group_new(az->cfg, width) : NULL;
  if (group == NULL) {
    free(slots);
    return azure_no_memory(err);
  }
  pail_status status = PAIL_OK;
  size_t next = 0;
  while (status == PAIL_OK) {
    /* Fill every idle slot, then collect one completion. */
    for (size_t i = 0; status == PAIL_OK && i < width && next < count; i++) {
      if (slots[i].busy)
        continue;
      slots[i].index = next;
      pail_error *failure = NULL;
      pail_status started =
          start_one(az, group, &slots[i], keys[next], &failure);
      if (started != PAIL_OK) {
        /* A request that cannot even be made (out of memory) is this
         * key's failure; the others go on. */
        results[next] = started;
        errors[next] = failure;
      }
      next++;
    }
    if (azure_core->http_group_pending(group) == 0)
      break;
    void *tag = NULL;
    pail_http_response response = {0};
    pail_error *failure = NULL;
    pail_status done =
        azure_core->http_group_wait(group, &tag, &response, &failure);
    delete_slot *slot = tag;
    if (slot == NULL) {
      /* The group itself failed: nothing more can be told per key. */
      status = done != PAIL_OK ? done : PAIL_ERR_INTERNAL;
      if (err != NULL && *err == NULL)
        *err = failure;
      else
        azure_core->error_free(failure);
      break;
    }
    size_t k = slot->index;
    if (done != PAIL_OK) {
      results[k] = done;
      errors[k] = failure;
    } else if (response.status < 200 || response.status > 299) {
      results[k] = azure_response_error(az, &response, keys[k], &errors[k]);
      if (results[k] == PAIL_OK)
        results[k] = PAIL_ERR_IO;
      azure_core->error_free(failure);
    } else {
      results[k] = PAIL_OK;
      azure_core->error_free(failure);
    }
    azure_core->http_response_clear(&response);
    azure_request_free(&slot->request);
    slot->busy = false;
  }
  azure_core->http_group_free(group);
  for (size_t i = 0; i < width; i++)
    if (slots[i].busy)
      azure_request_free(&slots[i].request);
  free(slots);
  return status;
}
