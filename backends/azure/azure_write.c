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

/* A tag unlikely to be any other upload's: a hash of the time, the
 * process, the stream's address and a counter. The seed is zeroed first:
 * its padding is hashed too, and an initializer leaves it undefined. */
static void make_tag(azure_write *w) {
  static unsigned counter;
  struct {
    int64_t seconds;
    int32_t nsec;
    pid_t pid;
    void *address;
    unsigned count;
  } seed;
  memset(&seed, 0, sizeof seed);
  seed.seconds = azure_core->now(&seed.nsec);
  seed.pid = getpid();
  seed.address = (void *)w;
  seed.count = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
  unsigned char digest[32];
  azure_core->sha256(&seed, sizeof seed, digest);
  azure_core->hex_encode(digest, 8, w->tag);
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

/* Put Block List: commits blocks 1..n in order, with the blob's headers. */
static pail_status commit_blocks(void *context, int blocks,
                                 pail_object_info *info, pail_error **err) {
  azure_write *w = context;
  size_t size = 128 + (size_t)blocks * 64;
  char *body = malloc(size);
  if (body == NULL)
    return azure_no_memory(err);
  size_t used = (size_t)snprintf(
      body, size, "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
  for (int n = 1; n <= blocks; n++) {
    char id[48];
    block_id(w, n, id);
    used +=
        (size_t)snprintf(body + used, size - used, "<Latest>%s</Latest>", id);
  }
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
