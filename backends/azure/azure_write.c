/*
 * azure_write.c: streamed writes, as Azure's protocol for the core's part
 * writer (core_services.part_writer_*, which owns the buffers, the blocks
 * in flight and their order): a blob that fits in one block goes up in one
 * Put Blob; anything larger goes up as blocks (Put Block), then one Put
 * Block List commits them.
 *
 * Uncommitted blocks are never visible: until Put Block List succeeds the
 * key shows what it held before (or nothing), and a failed or aborted
 * upload leaves no blob. The service discards uncommitted blocks itself
 * (after a week, or at the blob's next commit); the Blob API offers no call
 * to discard them sooner, so the protocol has no abort. Block IDs carry a
 * random upload tag, so two uploads of one key never take each other's
 * blocks.
 */
#include "azure.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct azure_write {
  azure_instance *az;
  char *key;
  const pail_write_options *options; /* the core's, valid until the end */
  char tag[17]; /* random hex, in every block ID of this upload */
  pail_part_writer *writer;
} azure_write;

/* ------------------------------------------------------------ helpers */

static void write_free(azure_write *w) {
  free(w->key);
  free(w);
}

/* Checks the options as the blob's headers now, so that a bad metadata
 * name fails before any byte is sent. */
static pail_status check_options(const pail_write_options *options,
                                 pail_error **err) {
  pail_request probe;
  pail_status status = azure_core->request_init(&probe, "PUT", strdup(""), err);
  if (status == PAIL_OK)
    status = azure_request_blob_headers(&probe, options, err);
  azure_core->request_free(&probe);
  return status;
}

/* A tag unlikely to be any other upload's (backend_unique_tag). */
static void make_tag(azure_write *w) {
  backend_unique_tag(azure_core, w, w->tag, sizeof w->tag - 1);
}

/* The base64 ID of block `number` (all of one upload's IDs have one
 * length, as the service requires: numbers stay below 100,000). */
static void block_id(const azure_write *w, int number, char out[48]) {
  char raw[32];
  snprintf(raw, sizeof raw, "pail-%.16s-%05u", w->tag,
           (unsigned)number % 100000u);
  azure_core->base64_encode((const unsigned char *)raw, strlen(raw), out);
}

/* ------------------------------------------------------------- blocks */

/* Builds and signs the Put Block of one block. */
static pail_status block_start(void *context, pail_part *part,
                               pail_error **err) {
  azure_write *w = context;
  pail_request *r = &part->request;
  char id[48];
  block_id(w, part->number, id);
  char *encoded = azure_core->uri_encode(id, 0);
  char *query = NULL;
  if (encoded == NULL || asprintf(&query, "comp=block&blockid=%s", encoded) < 0)
    query = NULL;
  free(encoded);
  pail_status status =
      query ? azure_core->request_init(r, "PUT",
                                       azure_url(w->az, w->key, query), err)
            : azure_no_memory(err);
  free(query);
  if (status == PAIL_OK) {
    pail_request_part_body(r, part);
    status = azure_request_sign(w->az, r, err);
  }
  return status;
}

/* A stored block needs nothing kept: its ID follows from its number. */
static pail_status block_finish(void *context, const pail_part *part,
                                const pail_http_response *response,
                                const char *what, pail_error **err) {
  azure_write *w = context;
  (void)part;
  if (response->status < 200 || response->status > 299)
    return azure_response_error(w->az, response, what, err);
  return PAIL_OK;
}

/* Sends a PUT that writes the whole blob (Put Block List, Put Blob) once
 * its body and own headers are in r; status is how building r went. Adds
 * the blob's headers and the create-only condition, signs, and sets info's
 * etag (info may be NULL). Frees r in every case. */
static pail_status blob_put_send(azure_write *w, pail_request *r,
                                 pail_status status, pail_object_info *info,
                                 pail_error **err) {
  pail_http_response response = {0};
  if (status == PAIL_OK)
    status = azure_request_blob_headers(r, w->options, err);
  if (status == PAIL_OK && w->options->if_none_match) {
    status = azure_core->request_header(r, err, "If-None-Match: *");
    /* Replayed after a lost answer, a create-only write would find its
     * own blob and report a conflict. */
    r->http.flags |= PAIL_HTTP_NO_RETRY;
  }
  if (status == PAIL_OK)
    status = azure_request_sign(w->az, r, err);
  if (status == PAIL_OK)
    status = azure_exchange(w->az, r, w->key, &response, err);
  if (status == PAIL_OK && info != NULL) {
    const char *etag = azure_core->http_header(&response, "etag");
    info->etag = etag ? strdup(etag) : NULL;
  }
  azure_core->http_response_clear(&response);
  azure_core->request_free(r);
  return status;
}

/* Put Block List: commits the blocks of ids (each its base64 ID, of
 * fewer than 48 characters), in order, with the blob's headers. */
static pail_status block_list_put(azure_write *w, const char *const *ids,
                                  size_t count, pail_object_info *info,
                                  pail_error **err) {
  size_t size = 128 + count * 64;
  char *body = malloc(size);
  if (body == NULL)
    return azure_no_memory(err);
  size_t used = (size_t)snprintf(
      body, size, "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
  for (size_t i = 0; i < count; i++)
    used += (size_t)snprintf(body + used, size - used, "<Latest>%s</Latest>",
                             ids[i]);
  used += (size_t)snprintf(body + used, size - used, "</BlockList>");
  pail_request r;
  pail_status status = azure_core->request_init(
      &r, "PUT", azure_url(w->az, w->key, "comp=blocklist"), err);
  if (status == PAIL_OK) {
    pail_request_body(&r, body, used);
    status =
        azure_core->request_header(&r, err, "Content-Type: application/xml");
  }
  status = blob_put_send(w, &r, status, info, err);
  free(body);
  return status;
}

/* The part writer's completion: blocks 1..n of this upload. */
static pail_status commit_blocks(void *context, int blocks,
                                 pail_object_info *info, pail_error **err) {
  azure_write *w = context;
  char(*ids)[48] = calloc(blocks > 0 ? (size_t)blocks : 1, sizeof *ids);
  const char **list = calloc(blocks > 0 ? (size_t)blocks : 1, sizeof *list);
  pail_status status = ids && list ? PAIL_OK : azure_no_memory(err);
  for (int n = 1; status == PAIL_OK && n <= blocks; n++) {
    block_id(w, n, ids[n - 1]);
    list[n - 1] = ids[n - 1];
  }
  if (status == PAIL_OK)
    status = block_list_put(w, list, (size_t)blocks, info, err);
  free(list);
  free(ids);
  return status;
}

/* --------------------------------------------------------------- single */

static pail_status single_put(void *context, const pail_part *part,
                              pail_object_info *info, pail_error **err) {
  azure_write *w = context;
  pail_request r;
  pail_status status =
      azure_core->request_init(&r, "PUT", azure_url(w->az, w->key, NULL), err);
  if (status == PAIL_OK) {
    /* A zero-length body is still sent as one (Content-Length: 0). */
    pail_request_part_body(&r, part);
    status = azure_core->request_header(&r, err, "x-ms-blob-type: BlockBlob");
  }
  return blob_put_send(w, &r, status, info, err);
}

/* ---------------------------------------------------------- operations */

pail_status azure_write_open(void *instance, const char *key,
                             const pail_write_options *options, void **stream,
                             pail_error **err) {
  azure_instance *az = instance;
  azure_write *w = calloc(1, sizeof *w);
  if (w == NULL)
    return azure_no_memory(err);
  w->az = az;
  make_tag(w);
  w->key = strdup(key);
  w->options = options;
  pail_status status =
      w->key ? check_options(options, err) : azure_no_memory(err);
  const pail_part_protocol protocol = {
      .label = "azure_blob",
      .key = key,
      .part_word = "block",
      .part_size_setting = "blockSize",
      .capacity = "a block blob holds",
      .part_size = az->block_size,
      .max_part_size = AZURE_MAX_BLOCK_SIZE,
      .max_parts = AZURE_MAX_BLOCKS,
      .concurrency = az->concurrency,
      .size_hint = options->size_hint,
      .max_body = AZURE_MAX_BODY,
      .context = w,
      .part_start = block_start,
      .part_finish = block_finish,
      .complete = commit_blocks,
      .single = single_put,
  };
  if (status == PAIL_OK)
    status = azure_core->part_writer_open(az->cfg, &protocol, &w->writer, err);
  if (status != PAIL_OK) {
    write_free(w);
    return status;
  }
  *stream = w;
  return PAIL_OK;
}

pail_status azure_write_stream_file(void *stream, int fd, uint64_t offset,
                                    uint64_t length, pail_error **err) {
  azure_write *w = stream;
  return azure_core->part_writer_write_file(w->writer, fd, offset, length, err);
}

pail_status azure_write_stream(void *stream, const void *buffer, size_t length,
                               pail_error **err) {
  azure_write *w = stream;
  return azure_core->part_writer_write(w->writer, buffer, length, err);
}

pail_status azure_write_commit(void *stream, pail_object_info *info,
                               pail_error **err) {
  azure_write *w = stream;
  /* Blocks still in flight after a failure are cancelled by the writer. */
  pail_status status = azure_core->part_writer_commit(w->writer, info, err);
  write_free(w);
  return status;
}

void azure_write_abort(void *stream) {
  azure_write *w = stream;
  if (w == NULL)
    return;
  azure_core->part_writer_abort(w->writer);
  write_free(w);
}

/* ------------------------------------------- uploads made part by part
 * The ABI 1.18 operations: the S3 gateway's multipart uploads as blocks.
 * An upload is a random tag of UPLOAD_TAG_LENGTH hex digits and nothing
 * more: the service has no upload to begin, list or abort, only a blob's
 * uncommitted blocks. Each part is a block whose ID holds the upload's tag,
 * a random tag of the attempt and the part's number (so a part sent again
 * is another block, and the one Complete names is the one its record
 * describes), of the length the writer's IDs have: a blob's block IDs must
 * all be of one length. Put Block List commits the parts listed and
 * discards every other uncommitted block of the blob, another upload's to
 * the same key included (docs/gateway.md). */

#define UPLOAD_TAG_LENGTH 8

/* Whether id is an upload tag (UPLOAD_TAG_LENGTH lowercase hex digits). */
static bool upload_tag_valid(const char *id) {
  return strlen(id) == UPLOAD_TAG_LENGTH &&
         strspn(id, "0123456789abcdef") == UPLOAD_TAG_LENGTH;
}

static pail_status upload_tag_refused(const char *key, const char *upload_id,
                                      pail_error **err) {
  return azure_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                               "azure_blob: %s: \"%.64s\" is not an upload of "
                               "this backend",
                               key, upload_id);
}

pail_status azure_upload_create(void *instance, const char *key,
                                const pail_write_options *options,
                                char **upload_id, pail_error **err) {
  (void)key;
  azure_write w = {.az = instance};
  pail_status status = check_options(options, err);
  if (status != PAIL_OK)
    return status;
  make_tag(&w);
  *upload_id = strndup(w.tag, UPLOAD_TAG_LENGTH);
  return *upload_id ? PAIL_OK : azure_no_memory(err);
}

pail_status azure_upload_part(void *instance, const char *key,
                              const char *upload_id, uint32_t number, int fd,
                              uint64_t offset, uint64_t length, char **etag,
                              pail_error **err) {
  if (!upload_tag_valid(upload_id))
    return upload_tag_refused(key, upload_id, err);
  azure_write w = {.az = instance, .key = (char *)key};
  make_tag(&w); /* the attempt's, after the upload's */
  memmove(w.tag + UPLOAD_TAG_LENGTH, w.tag, UPLOAD_TAG_LENGTH);
  memcpy(w.tag, upload_id, UPLOAD_TAG_LENGTH);
  pail_http_body_file file;
  pail_part part;
  pail_http_response response = {0};
  char *what =
      backend_file_part(&part, &file, key, "block", number, fd, offset, length);
  pail_status status =
      what ? block_start(&w, &part, err) : azure_no_memory(err);
  if (status == PAIL_OK)
    status = azure_exchange(w.az, &part.request, what, &response, err);
  if (status == PAIL_OK) {
    char id[48];
    block_id(&w, part.number, id);
    *etag = strdup(id);
    if (*etag == NULL)
      status = azure_no_memory(err);
  }
  azure_core->http_response_clear(&response);
  azure_core->request_free(&part.request);
  free(what);
  return status;
}

/* Whether etag is the base64 ID of a block of upload upload_id. */
static bool upload_block_valid(const char *upload_id, const char *etag) {
  unsigned char raw[48];
  size_t n = 0;
  size_t length = strlen(etag);
  return length < 48 &&
         azure_core->base64_decode(etag, length, raw, &n) == PAIL_OK &&
         n >= 5 + UPLOAD_TAG_LENGTH && memcmp(raw, "pail-", 5) == 0 &&
         memcmp(raw + 5, upload_id, UPLOAD_TAG_LENGTH) == 0;
}

pail_status azure_upload_complete(void *instance, const char *key,
                                  const char *upload_id,
                                  const pail_write_options *options,
                                  const pail_upload_part *parts, size_t count,
                                  pail_object_info *info, pail_error **err) {
  if (!upload_tag_valid(upload_id))
    return upload_tag_refused(key, upload_id, err);
  for (size_t i = 0; i < count; i++)
    if (!upload_block_valid(upload_id, parts[i].etag))
      return azure_core->error_set(
          err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
          "azure_blob: %s: part %u is not named by a block of upload %s", key,
          (unsigned)parts[i].number, upload_id);
  const char **ids = calloc(count ? count : 1, sizeof *ids);
  if (ids == NULL)
    return azure_no_memory(err);
  for (size_t i = 0; i < count; i++)
    ids[i] = parts[i].etag;
  azure_write w = {.az = instance, .key = (char *)key, .options = options};
  pail_status status = check_options(options, err);
  if (status == PAIL_OK)
    status = block_list_put(&w, ids, count, info, err);
  free(ids);
  return status;
}

pail_status azure_upload_abort(void *instance, const char *key,
                               const char *upload_id, pail_error **err) {
  (void)instance;
  /* Nothing to send: the Blob API cannot discard uncommitted blocks. The
   * service discards them at the blob's next commit or after a week, and
   * nothing will commit these (their upload is gone from the gateway). */
  return upload_tag_valid(upload_id) ? PAIL_OK
                                     : upload_tag_refused(key, upload_id, err);
}
