/*
 * object_info.c: ownership helpers for the structs that operations fill.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

void pail_object_info_clear(pail_object_info *info) {
  if (info == NULL)
    return;
  free(info->key);
  free(info->etag);
  free(info->content_type);
  free(info->content_disposition);
  for (size_t i = 0; i < info->metadata_count; i++) {
    free(info->metadata[i].name);
    free(info->metadata[i].value);
  }
  free(info->metadata);
  memset(info, 0, sizeof *info);
  info->last_modified = INT64_MIN;
}

pail_status pail_object_info_copy(pail_object_info *dst,
                                  const pail_object_info *src) {
  if (dst == NULL || src == NULL)
    return PAIL_ERR_INVALID_ARGUMENT; /* no err argument to say more */
  memset(dst, 0, sizeof *dst);
  dst->size = src->size;
  dst->last_modified = src->last_modified;
  dst->last_modified_nsec = src->last_modified_nsec;
  dst->is_folder = src->is_folder;
  dst->key = str_dup(src->key);
  dst->etag = str_dup(src->etag);
  dst->content_type = str_dup(src->content_type);
  dst->content_disposition = str_dup(src->content_disposition);
  bool failed = (src->key && !dst->key) || (src->etag && !dst->etag) ||
                (src->content_type && !dst->content_type) ||
                (src->content_disposition && !dst->content_disposition);
  if (!failed && src->metadata_count > 0) {
    dst->metadata = calloc(src->metadata_count, sizeof *dst->metadata);
    failed = dst->metadata == NULL;
    for (size_t i = 0; !failed && i < src->metadata_count; i++) {
      dst->metadata[i].name = str_dup(src->metadata[i].name);
      dst->metadata[i].value = str_dup(src->metadata[i].value);
      dst->metadata_count = i + 1;
      failed = !dst->metadata[i].name || !dst->metadata[i].value;
    }
  }
  if (failed) {
    pail_object_info_clear(dst);
    return PAIL_ERR_INTERNAL;
  }
  return PAIL_OK;
}

void pail_list_page_clear(pail_list_page *page) {
  if (page == NULL)
    return;
  for (size_t i = 0; i < page->count; i++)
    pail_object_info_clear(&page->entries[i]);
  free(page->entries);
  free(page->next_page_token);
  memset(page, 0, sizeof *page);
}

void pail_signature_clear(pail_signature *signature) {
  if (signature == NULL)
    return;
  free(signature->url);
  pail_pointer_free(signature->grant);
  memset(signature, 0, sizeof *signature);
}
