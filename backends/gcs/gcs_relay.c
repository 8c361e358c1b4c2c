/*
 * gcs_relay.c: a bucket reached with HMAC keys alone. The JSON API takes
 * only OAuth2 tokens; with HMAC keys GCS serves its XML API, which is the S3
 * protocol (SigV4 signing, S3's documents). Rather than speak S3 a second
 * time, such a storage is handed to the s3 backend through the core's
 * delegation (ABI 1.5), with provider "gcs" for what the XML API leaves
 * out, and these functions forward to it. Signed URLs stay this backend's
 * (GOOG4-HMAC-SHA256, gcs_sign).
 */
#include "gcs.h"

#include <errno.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A stream of the delegate. Its first member tells it apart from the JSON
 * API's streams (gcs_read, gcs_write), which start with a false one. */
typedef struct gcs_relayed_stream {
  bool relayed;
  const pail_backend_ops *ops;
  void *stream;
} gcs_relayed_stream;

bool gcs_stream_is_relayed(const void *stream) {
  return stream != NULL && *(const bool *)stream;
}

pail_status gcs_relay_open(gcs_instance *gcs, pail_error **err) {
  json_t *fields = json_pack(
      "{s:s, s:s, s:s, s:b, s:b, s:s, s:s, s:s}", "bucket", gcs->bucket,
      "provider", "gcs", "endPoint", gcs->endpoint, "useSSL", gcs->use_ssl,
      "pathStyle", gcs->path_style, "region", "auto", "accessKey",
      gcs->hmac_access_id, "secretKey", gcs->hmac_secret);
  char *text = fields ? json_dumps(fields, JSON_COMPACT) : NULL;
  json_decref(fields);
  if (text == NULL)
    return gcs_no_memory(err);
  pail_status status =
      gcs_core->delegate_open(gcs->cfg, "s3", text, &gcs->relay, err);
  /* The text holds the secret: wipe it before it goes back to malloc. */
  gcs_wipe(text);
  return status;
}

static pail_status relay_stream(const pail_backend_ops *ops, void *stream,
                                void **out, pail_error **err) {
  gcs_relayed_stream *r = calloc(1, sizeof *r);
  if (r == NULL)
    return gcs_no_memory(err);
  r->relayed = true;
  r->ops = ops;
  r->stream = stream;
  *out = r;
  return PAIL_OK;
}

pail_status gcs_relay_read_open(gcs_instance *gcs, const char *key,
                                const pail_read_options *options, void **stream,
                                pail_object_info *info, pail_error **err) {
  const pail_delegate *d = gcs->relay;
  void *inner = NULL;
  pail_status status =
      d->ops->read_open(d->instance, key, options, &inner, info, err);
  if (status == PAIL_OK) {
    status = relay_stream(d->ops, inner, stream, err);
    if (status != PAIL_OK)
      d->ops->read_close(inner);
  }
  return status;
}

pail_status gcs_relay_read_stream(void *stream, void *buffer, size_t capacity,
                                  size_t *got, pail_error **err) {
  gcs_relayed_stream *r = stream;
  return r->ops->read_stream(r->stream, buffer, capacity, got, err);
}

void gcs_relay_read_close(void *stream) {
  gcs_relayed_stream *r = stream;
  r->ops->read_close(r->stream);
  free(r);
}

pail_status gcs_relay_write_open(gcs_instance *gcs, const char *key,
                                 const pail_write_options *options,
                                 void **stream, pail_error **err) {
  const pail_delegate *d = gcs->relay;
  void *inner = NULL;
  pail_status status =
      d->ops->write_open(d->instance, key, options, &inner, err);
  if (status == PAIL_OK) {
    status = relay_stream(d->ops, inner, stream, err);
    if (status != PAIL_OK)
      d->ops->write_abort(inner);
  }
  return status;
}

pail_status gcs_relay_write_stream(void *stream, const void *buffer,
                                   size_t length, pail_error **err) {
  gcs_relayed_stream *r = stream;
  return r->ops->write_stream(r->stream, buffer, length, err);
}

/* Hands file ranges on to the relay's backend when it takes them, else
 * reads them. */
pail_status gcs_relay_write_stream_file(void *stream, int fd, uint64_t offset,
                                        uint64_t length, pail_error **err) {
  gcs_relayed_stream *r = stream;
  if (r->ops->write_stream_file != NULL)
    return r->ops->write_stream_file(r->stream, fd, offset, length, err);
  char block[64 * 1024];
  while (length > 0) {
    size_t want = length < sizeof block ? (size_t)length : sizeof block;
    pail_status status = gcs_core->file_read(fd, offset, block, want, err);
    if (status == PAIL_OK)
      status = r->ops->write_stream(r->stream, block, want, err);
    if (status != PAIL_OK)
      return status;
    offset += want;
    length -= want;
  }
  return PAIL_OK;
}

pail_status gcs_relay_write_commit(void *stream, pail_object_info *info,
                                   pail_error **err) {
  gcs_relayed_stream *r = stream;
  pail_status status = r->ops->write_commit(r->stream, info, err);
  free(r);
  return status;
}

void gcs_relay_write_abort(void *stream) {
  gcs_relayed_stream *r = stream;
  r->ops->write_abort(r->stream);
  free(r);
}
