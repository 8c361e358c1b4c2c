/*
 * s3_read.c: streamed GET over the core's resumable reader, which resumes a
 * GET broken mid-way with a range request pinned to the object's ETag
 * (If-Match), so a resumed read never mixes two versions of an object, and
 * checks a whole-object read against the digest S3 stores (the core's
 * resumable_verify). This file only speaks S3: the request and the meaning
 * of its answers.
 */
#include "s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct s3_read {
  s3_instance *s3;
  char *key;
  char *if_match; /* the caller's condition, if any */
  /* The digest of the whole object from the first response, if any. */
  const char *algorithm;
  char *expected;
  pail_request request;
} s3_read;

/* The GET for range, pinned to version (the caller's If-Match until the
 * first response names the ETag). */
static pail_status build_request(void *context, const char *range,
                                 const char *version,
                                 const pail_http_request **request,
                                 pail_error **err) {
  s3_read *rd = context;
  s3_core->request_free(&rd->request);
  pail_status status = s3_core->request_init(
      &rd->request, "GET", s3_url(rd->s3, rd->key, NULL), err);
  if (status == PAIL_OK && range != NULL)
    status = s3_core->request_header(&rd->request, err, "Range: %s", range);
  const char *pin = version ? version : rd->if_match;
  if (status == PAIL_OK && pin != NULL)
    status = s3_core->request_header(&rd->request, err, "If-Match: %s", pin);
  /* The object's additional checksum in the answer, when it has one. */
  if (status == PAIL_OK && range == NULL && rd->s3->checksum_mode)
    status = s3_core->request_header(&rd->request, err,
                                     "x-amz-checksum-mode: ENABLED");
  if (status == PAIL_OK)
    status = s3_request_sign(rd->s3, &rd->request, err);
  *request = &rd->request.http;
  return status;
}

/* The value of name=VALUE in a GCS x-goog-hash header ("crc32c=..,md5=.."),
 * or NULL. Caller frees. */
static char *goog_hash(const char *header, const char *name) {
  size_t n = strlen(name);
  for (const char *p = header; p != NULL && *p != '\0';) {
    p += strspn(p, " ,");
    if (strncmp(p, name, n) == 0 && p[n] == '=')
      return strndup(p + n + 1, strcspn(p + n + 1, " ,"));
    p = strchr(p, ',');
  }
  return NULL;
}

/* The digest a whole-object GET's head gives for the object: an additional
 * checksum (x-amz-checksum-*) of the whole object, else GCS's CRC-32C
 * (x-goog-hash, which every GCS object has), else the ETag when it is the
 * MD5 of the bytes: a single-part upload's (32 hex digits; a multipart
 * one's ends in "-N") not encrypted with SSE-KMS or SSE-C (whose ETags are
 * not MD5s). A composite checksum (of parts' checksums, "...-N") cannot be
 * checked against the bytes; nor can a multipart object's (an ETag ending
 * in "-N") unless S3 says it is of the full object (x-amz-checksum-type),
 * as a server that leaves out the "-N" and the type would otherwise have
 * every such download refused. */
static void choose_digest(s3_read *rd, const pail_http_response *head) {
  static const char *const algorithms[] = {"crc64nvme", "crc32c", "crc32",
                                           "sha256", "sha1"};
  free(rd->expected);
  rd->expected = NULL;
  rd->algorithm = NULL;
  const char *type = s3_core->http_header(head, "x-amz-checksum-type");
  const char *etag = s3_core->http_header(head, "etag");
  bool multipart = etag != NULL && strchr(etag, '-') != NULL;
  bool composite =
      type != NULL ? strcasecmp(type, "FULL_OBJECT") != 0 : multipart;
  for (size_t i = 0; !composite && i < sizeof algorithms / sizeof *algorithms;
       i++) {
    char name[40];
    snprintf(name, sizeof name, "x-amz-checksum-%s", algorithms[i]);
    const char *value = s3_core->http_header(head, name);
    if (value != NULL && strchr(value, '-') == NULL) {
      rd->algorithm = algorithms[i];
      rd->expected = strdup(value);
      return;
    }
  }
  const char *goog = s3_core->http_header(head, "x-goog-hash");
  if (goog != NULL && (rd->expected = goog_hash(goog, "crc32c")) != NULL) {
    rd->algorithm = "crc32c";
    return;
  }
  const char *sse = s3_core->http_header(head, "x-amz-server-side-encryption");
  if (etag == NULL || strlen(etag) != 34 || etag[0] != '"' || etag[33] != '"' ||
      strspn(etag + 1, "0123456789abcdefABCDEF") != 32 ||
      (sse != NULL && strncmp(sse, "aws:kms", 7) == 0) ||
      s3_core->http_header(
          head, "x-amz-server-side-encryption-customer-algorithm") != NULL)
    return;
  rd->algorithm = "md5";
  rd->expected = strndup(etag + 1, 32);
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
  if (info == NULL)
    return PAIL_OK;
  choose_digest(rd, head);
  return s3_info_from_headers(head, rd->key, info, err);
}

/* Frees what the reader holds of the read (its source's context). */
static void read_free(void *context) {
  s3_read *rd = context;
  s3_core->request_free(&rd->request);
  free(rd->key);
  free(rd->if_match);
  free(rd->expected);
  free(rd);
}

void s3_read_close(void *stream) {
  s3_core->resumable_close(stream);
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
    read_free(rd);
    return s3_no_memory(err);
  }
  pail_resumable_source source = {.label = "s3",
                                  .key = key,
                                  .version_header = "etag",
                                  .resumes = s3->read_retries,
                                  .context = rd,
                                  .build = build_request,
                                  .check = check_head};
  pail_resumable_reader *reader;
  pail_status status = s3_core->resumable_stream_open(
      s3->cfg, &source, options, read_free, info, &reader, err);
  if (status != PAIL_OK)
    return status;
  if (rd->expected != NULL)
    s3_core->resumable_verify(reader, rd->algorithm, rd->expected);
  *stream = reader;
  return PAIL_OK;
}

pail_status s3_read_stream(void *stream, void *buffer, size_t capacity,
                           size_t *got, pail_error **err) {
  return s3_core->resumable_read(stream, buffer, capacity, got, err);
}
