/*
 * s3_write.c: streamed writes, as S3's protocol for the core's part writer
 * (core_services.part_writer_*, which owns the buffers, the parts in flight
 * and their order): an object that fits in one part goes up in one PUT;
 * anything larger becomes a multipart upload (CreateMultipartUpload,
 * UploadPart with an ETag per part, CompleteMultipartUpload). Any failure
 * aborts the upload (AbortMultipartUpload): no orphaned multipart upload is
 * left behind, and nothing is visible under the key until
 * CompleteMultipartUpload succeeds. Large server-side copies go through the
 * same writer with UploadPartCopy parts.
 */
#include "s3.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct done_part {
  int number;
  char *etag;
} done_part;

typedef struct s3_write {
  s3_instance *s3;
  char *key;
  char **headers; /* Content-Type, Content-Disposition, x-amz-meta-* */
  size_t header_count;
  bool create_only;
  const char *copy_source; /* UploadPartCopy's x-amz-copy-source, or NULL */
  char *upload_id;         /* once multipart has begun */
  pail_part_writer *writer;
  done_part *done;
  size_t done_count;
} s3_write;

/* ------------------------------------------------------------ helpers */

static pail_status add_header(s3_write *w, pail_error **err, const char *name,
                              const char *value) {
  char **grown = realloc(w->headers, (w->header_count + 1) * sizeof *grown);
  if (grown == NULL)
    return s3_no_memory(err);
  w->headers = grown;
  if (asprintf(&w->headers[w->header_count], "%s: %s", name, value) < 0)
    return s3_no_memory(err);
  w->header_count++;
  return PAIL_OK;
}

/* Copies the write options into header lines (the options belong to the
 * caller and live only during write_open; the core has refused control
 * characters in them). */
static pail_status prepare_headers(s3_write *w,
                                   const pail_write_options *options,
                                   pail_error **err) {
  pail_status status = PAIL_OK;
  if (options->content_type != NULL)
    status = add_header(w, err, "Content-Type", options->content_type);
  if (status == PAIL_OK && options->content_disposition != NULL)
    status =
        add_header(w, err, "Content-Disposition", options->content_disposition);
  for (size_t i = 0; status == PAIL_OK && i < options->metadata_count; i++) {
    const pail_metadata_entry *m = &options->metadata[i];
    if (*m->name == '\0' || strspn(m->name, "abcdefghijklmnopqrstuvwxyz"
                                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789-_") != strlen(m->name))
      return s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                "s3: metadata name \"%.64s\" must be letters, "
                                "digits, '-' and '_'",
                                m->name);
    char *name = NULL;
    if (asprintf(&name, "%s%s", w->s3->meta_prefix, m->name) < 0)
      status = s3_no_memory(err);
    if (status == PAIL_OK)
      status = add_header(w, err, name, m->value);
    free(name);
  }
  return status;
}

/* Adds the object's headers to a request (single PUT, multipart start). */
static pail_status apply_headers(const s3_write *w, pail_request *r,
                                 pail_error **err) {
  pail_status status = PAIL_OK;
  for (size_t i = 0; status == PAIL_OK && i < w->header_count; i++)
    status = s3_core->request_header(r, err, "%s", w->headers[i]);
  return status;
}

static void write_free(s3_write *w) {
  for (size_t i = 0; i < w->header_count; i++)
    free(w->headers[i]);
  free(w->headers);
  for (size_t i = 0; i < w->done_count; i++)
    free(w->done[i].etag);
  free(w->done);
  free(w->upload_id);
  free(w->key);
  free(w);
}

/* ---------------------------------------------------------- multipart */

static char *upload_query(const s3_write *w, int part_number) {
  char *encoded = s3_core->uri_encode(w->upload_id, 0);
  char *query = NULL;
  int n = encoded == NULL   ? -1
          : part_number > 0 ? asprintf(&query, "partNumber=%d&uploadId=%s",
                                       part_number, encoded)
                            : asprintf(&query, "uploadId=%s", encoded);
  free(encoded);
  return n < 0 ? NULL : query;
}

/* AbortMultipartUpload of w->upload_id. Best effort: a failed abort is
 * logged, and the caller's error stands. */
static void multipart_abort(s3_write *w) {
  pail_error *failure = NULL;
  pail_status status = s3_upload_abort(w->s3, w->key, w->upload_id, &failure);
  /* Already gone is what an abort wants. */
  if (status != PAIL_OK && status != PAIL_ERR_NOT_FOUND)
    s3_core->log(w->s3->cfg, PAIL_LOG_WARNING,
                 "s3: %s: could not abort multipart upload %s; it may be "
                 "left in the bucket until `pail cleanup` or a lifecycle "
                 "rule removes it",
                 w->key, w->upload_id);
  s3_core->error_free(failure);
}

/* The part writer's abort: it comes once no part is in flight. */
static void protocol_abort(void *context) {
  s3_write *w = context;
  if (w->upload_id != NULL)
    multipart_abort(w);
}

/* True when a failed CreateMultipartUpload may still have started an
 * upload: its answer was lost, broken or a server error (not a refusal). */
static bool may_have_begun(pail_status status) {
  return status == PAIL_ERR_UNAVAILABLE || status == PAIL_ERR_IO ||
         status == PAIL_ERR_THROTTLED || status == PAIL_ERR_INTERNAL;
}

/* CreateMultipartUpload is a POST, never replayed: when its answer is lost
 * the server may have begun an upload whose ID nobody knows, and which
 * would stay in the bucket (and be billed) until a lifecycle rule removes
 * it. Lists the key's uploads (ListMultipartUploads, prefix=key) begun
 * since the attempt did, by the server's clock (its Date less the time
 * elapsed here, less 2 s for Date's resolution), and aborts them. Another
 * writer's upload of the same key begun in those few seconds would be
 * aborted too; that writer then fails cleanly, as with a lost race. Best
 * effort: a failure is logged and the caller's error stands. */
static void multipart_orphans_abort(s3_write *w, int64_t began) {
  s3_instance *s3 = w->s3;
  s3_uploads_page page;
  pail_error *failure = NULL;
  pail_status status = s3_uploads_list(s3, w->key, NULL, NULL, &page, &failure);
  int64_t now = s3_core->now(NULL);
  int64_t server_now = page.server_now != INT64_MIN ? page.server_now : now;
  int64_t since = server_now - (now - began) - 2;
  for (size_t i = 0; status == PAIL_OK && i < page.count; i++) {
    s3_upload *u = &page.uploads[i];
    if (strcmp(u->key, w->key) != 0 || u->initiated == INT64_MIN ||
        u->initiated < since)
      continue;
    s3_core->log(s3->cfg, PAIL_LOG_INFO,
                 "s3: %s: aborting multipart upload %s, begun by a "
                 "request whose answer was lost",
                 w->key, u->id);
    free(w->upload_id);
    w->upload_id = u->id;
    u->id = NULL;
    multipart_abort(w);
    free(w->upload_id);
    w->upload_id = NULL;
  }
  if (status != PAIL_OK)
    s3_core->log(s3->cfg, PAIL_LOG_WARNING,
                 "s3: %s: could not list the multipart uploads a lost "
                 "CreateMultipartUpload may have begun (%s); one may be left "
                 "in the bucket until `pail cleanup` or a lifecycle rule "
                 "removes it",
                 w->key, s3_core->error_message(failure));
  s3_core->error_free(failure);
  s3_uploads_page_clear(&page);
}

static pail_status multipart_begin(void *context, size_t part_size,
                                   pail_error **err) {
  s3_write *w = context;
  s3_instance *s3 = w->s3;
  /* Without a precondition on the completion, a create-only multipart
   * upload could replace an object written meanwhile: refuse it before
   * anything is sent rather than break the promise. */
  if (w->create_only && !s3->conditional_multipart)
    return s3_core->error_set(
        err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
        "s3: %s: %s takes no precondition on multipart uploads, so a "
        "create-only upload must fit in one request of at most partSize "
        "(%zu bytes); raise partSize or drop the create-only condition",
        w->key, s3->provider, part_size);
  pail_request r;
  pail_http_response response = {0};
  int64_t began = s3_core->now(NULL);
  bool sent = false;
  pail_status status =
      s3_core->request_init(&r, "POST", s3_url(s3, w->key, "uploads="), err);
  if (status == PAIL_OK)
    status = apply_headers(w, &r, err);
  if (status == PAIL_OK)
    status = s3_request_sign(s3, &r, err);
  if (status == PAIL_OK) {
    sent = true;
    status = s3_exchange(s3, &r, w->key, &response, err);
  }
  if (status == PAIL_OK) {
    w->upload_id = backend_xml_body_text(&response, "UploadId");
    if (w->upload_id == NULL || *w->upload_id == '\0') {
      free(w->upload_id);
      w->upload_id = NULL;
      status = s3_core->error_set(
          err, PAIL_ERR_IO, response.status, NULL,
          s3_core->http_header(&response, "x-amz-request-id"),
          "s3: %s: the server started a multipart upload without an "
          "UploadId",
          w->key);
    }
  }
  if (status != PAIL_OK && sent && may_have_begun(status))
    multipart_orphans_abort(w, began);
  s3_core->http_response_clear(&response);
  s3_core->request_free(&r);
  return status;
}

/* Builds and signs UploadPart (or UploadPartCopy) of one part. */
static pail_status part_start(void *context, pail_part *part,
                              pail_error **err) {
  s3_write *w = context;
  pail_request *r = &part->request;
  char *query = upload_query(w, part->number);
  pail_status status =
      query ? s3_core->request_init(r, "PUT", s3_url(w->s3, w->key, query), err)
            : s3_no_memory(err);
  free(query);
  if (status == PAIL_OK && part->body != NULL) {
    pail_request_part_body(r, part);
  } else if (status == PAIL_OK) {
    status = s3_core->request_header(r, err, "x-amz-copy-source: %s",
                                     w->copy_source);
    if (status == PAIL_OK)
      status = s3_core->request_header(
          r, err, "x-amz-copy-source-range: bytes=%llu-%llu",
          (unsigned long long)part->copy_offset,
          (unsigned long long)(part->copy_offset + part->copy_length - 1));
  }
  if (status == PAIL_OK)
    status = s3_request_sign(w->s3, r, err);
  return status;
}

/* The ETag of a stored part (*etag malloc'ed), or the answer's error. */
static pail_status part_etag(const s3_write *w, int number,
                             const pail_http_response *response,
                             const char *what, char **etag, pail_error **err) {
  if (response->status < 200 || response->status > 299)
    return s3_response_error(w->s3, response, what, err);
  const char *header = s3_core->http_header(response, "etag");
  /* UploadPartCopy gives the ETag in a CopyPartResult body instead. */
  *etag =
      header != NULL ? strdup(header) : backend_xml_body_text(response, "ETag");
  if (*etag == NULL && header != NULL)
    return s3_no_memory(err);
  if (*etag == NULL)
    return s3_core->error_set(err, PAIL_ERR_IO, response->status, NULL, NULL,
                              "s3: %s: part %d was stored without an ETag",
                              w->key, number);
  return PAIL_OK;
}

/* Records the ETag of part number, taking it over. */
static pail_status part_record(s3_write *w, int number, char *etag,
                               pail_error **err) {
  done_part *grown = realloc(w->done, (w->done_count + 1) * sizeof *grown);
  if (grown == NULL) {
    free(etag);
    return s3_no_memory(err);
  }
  w->done = grown;
  w->done[w->done_count].number = number;
  w->done[w->done_count].etag = etag;
  w->done_count++;
  return PAIL_OK;
}

/* Records a stored part's ETag, or returns its error. */
static pail_status part_finish(void *context, const pail_part *part,
                               const pail_http_response *response,
                               const char *what, pail_error **err) {
  s3_write *w = context;
  char *etag = NULL;
  pail_status status = part_etag(w, part->number, response, what, &etag, err);
  return status == PAIL_OK ? part_record(w, part->number, etag, err) : status;
}

static int compare_parts(const void *a, const void *b) {
  return ((const done_part *)a)->number - ((const done_part *)b)->number;
}

static pail_status multipart_complete(void *context, int parts,
                                      pail_object_info *info,
                                      pail_error **err) {
  s3_write *w = context;
  (void)parts; /* every part's ETag is in w->done */
  qsort(w->done, w->done_count, sizeof *w->done, compare_parts);
  size_t size = 256;
  for (size_t i = 0; i < w->done_count; i++)
    size += 96 + strlen(w->done[i].etag) * 6;
  char *body = malloc(size);
  if (body == NULL)
    return s3_no_memory(err);
  size_t used = (size_t)snprintf(body, size, "<CompleteMultipartUpload>");
  for (size_t i = 0; i < w->done_count; i++) {
    char *etag = backend_xml_escape(w->done[i].etag);
    if (etag == NULL) {
      free(body);
      return s3_no_memory(err);
    }
    used += (size_t)snprintf(body + used, size - used,
                             "<Part><PartNumber>%d</PartNumber><ETag>%s"
                             "</ETag></Part>",
                             w->done[i].number, etag);
    free(etag);
  }
  used +=
      (size_t)snprintf(body + used, size - used, "</CompleteMultipartUpload>");
  char *query = upload_query(w, 0);
  pail_request r;
  pail_http_response response = {0};
  pail_status status =
      query
          ? s3_core->request_init(&r, "POST", s3_url(w->s3, w->key, query), err)
          : s3_no_memory(err);
  free(query);
  if (status == PAIL_OK) {
    pail_request_body(&r, body, used);
    status = s3_core->request_header(&r, err, "Content-Type: application/xml");
  }
  if (status == PAIL_OK && w->create_only)
    status = s3_core->request_header(&r, err, "%s", w->s3->create_only_header);
  if (status == PAIL_OK)
    status = s3_request_sign(w->s3, &r, err);
  if (status == PAIL_OK)
    status = s3_exchange(w->s3, &r, w->key, &response, err);
  if (status == PAIL_OK && info != NULL)
    info->etag = backend_xml_body_text(&response, "ETag");
  s3_core->http_response_clear(&response);
  s3_core->request_free(&r);
  free(body);
  return status;
}

/* --------------------------------------------------------------- single */

static pail_status single_put(void *context, const pail_part *part,
                              pail_object_info *info, pail_error **err) {
  s3_write *w = context;
  pail_request r;
  pail_http_response response = {0};
  pail_status status =
      s3_core->request_init(&r, "PUT", s3_url(w->s3, w->key, NULL), err);
  if (status == PAIL_OK) {
    /* A zero-length body must still be sent as one (Content-Length: 0). */
    pail_request_part_body(&r, part);
    status = apply_headers(w, &r, err);
  }
  if (status == PAIL_OK && w->create_only)
    status = s3_core->request_header(&r, err, "%s", w->s3->create_only_header);
  if (status == PAIL_OK)
    status = s3_request_sign(w->s3, &r, err);
  if (status == PAIL_OK)
    status = s3_exchange(w->s3, &r, w->key, &response, err);
  if (status == PAIL_OK && info != NULL) {
    const char *etag = s3_core->http_header(&response, "etag");
    info->etag = etag ? strdup(etag) : NULL;
  }
  s3_core->http_response_clear(&response);
  s3_core->request_free(&r);
  return status;
}

/* ---------------------------------------------------------- operations */

/* The stream's state without its writer: the object's headers checked and
 * kept (the options belong to the caller). */
static pail_status write_new(s3_instance *s3, const char *key,
                             const pail_write_options *options, s3_write **out,
                             pail_error **err) {
  s3_write *w = calloc(1, sizeof *w);
  if (w == NULL)
    return s3_no_memory(err);
  w->s3 = s3;
  w->create_only = options->if_none_match != 0;
  w->key = strdup(key);
  pail_status status =
      w->key ? prepare_headers(w, options, err) : s3_no_memory(err);
  if (status != PAIL_OK) {
    write_free(w);
    return status;
  }
  *out = w;
  return PAIL_OK;
}

/* Opens w's part writer; size_hint is the object's size when known. */
static pail_status writer_open(s3_write *w, uint64_t size_hint,
                               pail_error **err) {
  const pail_part_protocol protocol = {
      .label = "s3",
      .key = w->key,
      .part_word = "part",
      .part_size_setting = "partSize",
      .capacity = "S3 stores in one object",
      .part_size = w->s3->part_size,
      .max_part_size = S3_MAX_PART_SIZE,
      .max_parts = S3_MAX_PARTS,
      .concurrency = w->s3->concurrency,
      .size_hint = size_hint,
      .max_body = S3_MAX_BODY,
      .context = w,
      .begin = multipart_begin,
      .part_start = part_start,
      .part_finish = part_finish,
      .complete = multipart_complete,
      .abort = protocol_abort,
      .single = single_put,
  };
  return s3_core->part_writer_open(w->s3->cfg, &protocol, &w->writer, err);
}

pail_status s3_write_open(void *instance, const char *key,
                          const pail_write_options *options, void **stream,
                          pail_error **err) {
  s3_write *w = NULL;
  pail_status status = write_new(instance, key, options, &w, err);
  if (status == PAIL_OK)
    status = writer_open(w, options->size_hint, err);
  if (status != PAIL_OK) {
    if (w != NULL)
      write_free(w);
    return status;
  }
  *stream = w;
  return PAIL_OK;
}

pail_status s3_write_stream_file(void *stream, int fd, uint64_t offset,
                                 uint64_t length, pail_error **err) {
  s3_write *w = stream;
  return s3_core->part_writer_write_file(w->writer, fd, offset, length, err);
}

pail_status s3_write_stream(void *stream, const void *buffer, size_t length,
                            pail_error **err) {
  s3_write *w = stream;
  return s3_core->part_writer_write(w->writer, buffer, length, err);
}

pail_status s3_write_commit(void *stream, pail_object_info *info,
                            pail_error **err) {
  s3_write *w = stream;
  pail_status status = s3_core->part_writer_commit(w->writer, info, err);
  write_free(w);
  return status;
}

void s3_write_abort(void *stream) {
  s3_write *w = stream;
  if (w == NULL)
    return;
  s3_core->part_writer_abort(w->writer);
  write_free(w);
}

/* ------------------------------------------------------ multipart copy */

/* The part size for copying `size` bytes by parts: the copy cutoff up to
 * 512 MiB (big enough that a 5 TiB object stays near the part limit, small
 * enough that parts run in parallel), doubled while that would take over
 * 10,000 parts. */
static uint64_t copy_part_size(uint64_t size, uint64_t cutoff) {
  uint64_t part = cutoff < ((uint64_t)512 << 20) ? cutoff : (uint64_t)512 << 20;
  while ((size + part - 1) / part > S3_MAX_PARTS)
    part *= 2;
  return part;
}

pail_status s3_copy_by_parts(s3_instance *s3, const char *source, uint64_t size,
                             const char *dst_key,
                             const pail_write_options *options,
                             pail_error **err) {
  s3_write *w = NULL;
  pail_status status = write_new(s3, dst_key, options, &w, err);
  if (status != PAIL_OK)
    return status;
  w->copy_source = source;
  status = writer_open(w, 0, err);
  uint64_t part = copy_part_size(size, s3->copy_cutoff);
  for (uint64_t offset = 0; status == PAIL_OK && offset < size; offset += part)
    status = s3_core->part_writer_copy(
        w->writer, offset, offset + part < size ? part : size - offset, err);
  if (status == PAIL_OK)
    status = s3_core->part_writer_commit(w->writer, NULL, err);
  else
    s3_core->part_writer_abort(w->writer);
  write_free(w);
  return status;
}

pail_status s3_copy_object(s3_instance *s3, const char *source,
                           const char *dst_key,
                           const pail_write_options *options, bool replace,
                           pail_object_info *info, pail_error **err) {
  s3_write *w = NULL;
  pail_status status = write_new(s3, dst_key, options, &w, err);
  if (status != PAIL_OK)
    return status;
  pail_request r;
  pail_http_response response = {0};
  status = s3_core->request_init(&r, "PUT", s3_url(s3, dst_key, NULL), err);
  if (status == PAIL_OK)
    status = s3_core->request_header(&r, err, "x-amz-copy-source: %s", source);
  /* REPLACE takes the headers of this request instead of the source's. */
  if (status == PAIL_OK && replace)
    status =
        s3_core->request_header(&r, err, "x-amz-metadata-directive: REPLACE");
  if (status == PAIL_OK && replace)
    status = apply_headers(w, &r, err);
  if (status == PAIL_OK && w->create_only)
    status = s3_core->request_header(&r, err, "%s", w->s3->create_only_header);
  if (status == PAIL_OK)
    status = s3_request_sign(s3, &r, err);
  if (status == PAIL_OK)
    status = s3_exchange(s3, &r, dst_key, &response, err);
  if (status == PAIL_OK && info != NULL)
    info->etag = backend_xml_body_text(&response, "ETag");
  s3_core->http_response_clear(&response);
  s3_core->request_free(&r);
  write_free(w);
  return status;
}

/* ------------------------------------------- uploads made part by part
 * The ABI 1.18 operations: the S3 gateway's multipart uploads, whose
 * Create, parts and Complete may each reach another process. Each call
 * rebuilds the writer's state it needs (the object's headers, the upload
 * ID, the parts' ETags) and reuses the writer's requests. */

pail_status s3_upload_create(void *instance, const char *key,
                             const pail_write_options *options,
                             char **upload_id, pail_error **err) {
  s3_write *w = NULL;
  pail_status status = write_new(instance, key, options, &w, err);
  if (status == PAIL_OK)
    status = multipart_begin(w, w->s3->part_size, err);
  if (status == PAIL_OK) {
    *upload_id = w->upload_id;
    w->upload_id = NULL;
  }
  if (w != NULL)
    write_free(w);
  return status;
}

/* The state of an upload begun elsewhere, for one call; NULL when out of
 * memory. */
static s3_write *write_resume(s3_instance *s3, const char *key,
                              const char *upload_id) {
  s3_write *w = calloc(1, sizeof *w);
  if (w == NULL)
    return NULL;
  w->s3 = s3;
  w->key = strdup(key);
  w->upload_id = strdup(upload_id);
  if (w->key == NULL || w->upload_id == NULL) {
    write_free(w);
    return NULL;
  }
  return w;
}

pail_status s3_upload_part(void *instance, const char *key,
                           const char *upload_id, uint32_t number, int fd,
                           uint64_t offset, uint64_t length, char **etag,
                           pail_error **err) {
  s3_write *w = write_resume(instance, key, upload_id);
  if (w == NULL)
    return s3_no_memory(err);
  pail_http_body_file file;
  pail_part part;
  pail_http_response response = {0};
  char *what =
      backend_file_part(&part, &file, key, "part", number, fd, offset, length);
  /* part_start reads only the part's number and body. */
  pail_status status = what ? part_start(w, &part, err) : s3_no_memory(err);
  if (status == PAIL_OK)
    status = s3_core->http_exchange(w->s3->cfg, &part.request.http, S3_MAX_BODY,
                                    &response, err);
  if (status == PAIL_OK)
    status = part_etag(w, (int)number, &response, what, etag, err);
  s3_core->http_response_clear(&response);
  s3_core->request_free(&part.request);
  write_free(w);
  free(what);
  return status;
}

/* UploadPartCopy (a service without it, GCS's XML API, refuses). */
pail_status s3_upload_part_copy(void *instance, const char *key,
                                const char *upload_id, uint32_t number,
                                const char *src_key, uint64_t offset,
                                uint64_t length, char **etag,
                                pail_error **err) {
  s3_instance *s3 = instance;
  if (!s3->part_copy)
    return s3_core->error_set(err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
                              "s3: %s has no UploadPartCopy", s3->provider);
  s3_write *w = write_resume(s3, key, upload_id);
  char *source = s3_copy_source(s3, src_key);
  char *what = backend_part_name(key, "part", number);
  pail_part part = {
      .number = (int)number, .copy_offset = offset, .copy_length = length};
  pail_http_response response = {0};
  pail_status status = w && source && what ? PAIL_OK : s3_no_memory(err);
  if (status == PAIL_OK) {
    w->copy_source = source;
    /* part_start reads only the part's number and source range. */
    status = part_start(w, &part, err);
  }
  /* s3_exchange: a copy may fail in a 200 answer's <Error>. */
  if (status == PAIL_OK)
    status = s3_exchange(s3, &part.request, what, &response, err);
  if (status == PAIL_OK)
    status = part_etag(w, (int)number, &response, what, etag, err);
  s3_core->http_response_clear(&response);
  s3_core->request_free(&part.request);
  if (w != NULL)
    write_free(w);
  free(source);
  free(what);
  return status;
}

pail_status s3_upload_complete(void *instance, const char *key,
                               const char *upload_id,
                               const pail_write_options *options,
                               const pail_upload_part *parts, size_t count,
                               pail_object_info *info, pail_error **err) {
  (void)options; /* CreateMultipartUpload took them */
  s3_write *w = write_resume(instance, key, upload_id);
  pail_status status = w ? PAIL_OK : s3_no_memory(err);
  for (size_t i = 0; status == PAIL_OK && i < count; i++) {
    char *etag = strdup(parts[i].etag);
    status = etag ? part_record(w, (int)parts[i].number, etag, err)
                  : s3_no_memory(err);
  }
  if (status == PAIL_OK)
    status = multipart_complete(w, (int)count, info, err);
  if (w != NULL)
    write_free(w);
  return status;
}
