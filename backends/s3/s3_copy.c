/*
 * s3_copy.c: server-side copy within a bucket: CopyObject up to 5 GiB,
 * UploadPartCopy in parallel parts above. The source is looked at first,
 * both to choose between the two and so that a missing source is reported
 * as the source's absence rather than as the destination's.
 */
#include "s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *s3_copy_source(const s3_instance *s3, const char *key) {
  char *encoded = s3_core->uri_encode(key, 1);
  char *source = NULL;
  if (encoded == NULL || asprintf(&source, "/%s/%s", s3->bucket, encoded) < 0)
    source = NULL;
  free(encoded);
  return source;
}

pail_status s3_copy(void *instance, const char *src_key, const char *dst_key,
                    const pail_write_options *options, pail_error **err) {
  s3_instance *s3 = instance;
  pail_object_info source_info = {0};
  pail_status status = s3_stat_object(s3, src_key, &source_info, err);
  char *source = status == PAIL_OK ? s3_copy_source(s3, src_key) : NULL;
  if (status == PAIL_OK && source == NULL)
    status = s3_no_memory(err);
  /* Options the caller gives replace the source's; what it leaves out is
   * carried over from the source, as a copy should. */
  bool replace = options->content_type != NULL ||
                 options->content_disposition != NULL ||
                 options->metadata_count > 0;
  pail_write_options merged = *options;
  if (merged.content_type == NULL)
    merged.content_type = source_info.content_type;
  if (merged.content_disposition == NULL)
    merged.content_disposition = source_info.content_disposition;
  if (merged.metadata_count == 0) {
    merged.metadata = source_info.metadata;
    merged.metadata_count = source_info.metadata_count;
  }
  /* A service without UploadPartCopy copies any size in one request. */
  if (status == PAIL_OK && s3->part_copy && source_info.size > s3->copy_cutoff)
    status =
        s3_copy_by_parts(s3, source, source_info.size, dst_key, &merged, err);
  else if (status == PAIL_OK)
    status = s3_copy_object(s3, source, dst_key, &merged, replace, NULL, err);
  free(source);
  s3_core->object_info_clear(&source_info);
  return status;
}
