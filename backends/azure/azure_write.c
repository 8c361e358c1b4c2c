/*
 * azure_write.c: streamed writes. Up to one block's worth of data is
 * buffered; a blob that fits goes up in one Put Blob. Anything larger goes
 * up as blocks (Put Block) that travel in parallel (az->concurrency at once,
 * on the core's HTTP group), then one Put Block List commits them, so memory
 * stays within block size × (concurrency + 1) whatever the blob's size.
 *
 * Uncommitted blocks are never visible: until Put Block List succeeds the
 * key shows what it held before (or nothing), and a failed or aborted
 * upload leaves no blob. Blocks of a local file (write_stream_file) are not
 * copied at all: a block is kept as a range of the file and sent from it
 * (PAIL_HTTP_BODY_FILE), so such an upload holds no block buffers.
 *
 * The service discards uncommitted blocks itself
 * (after a week, or at the blob's next commit); the Blob API offers no call
 * to discard them sooner. Block IDs carry a random upload tag, so two
 * uploads of one key never take each other's blocks.
 */
#include "azure.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The first buffer grows from this size, so small blobs cost little. */
#define INITIAL_BUFFER ((size_t)64 << 10)

typedef struct block_slot {
  char *data;
  size_t length, capacity;
  /* From write_stream_file: the slot's bytes are the file's, from
   * file_offset (data unused); -1 for bytes in data. */
  int file;
  uint64_t file_offset;
  pail_http_body_file file_body; /* the body of a request from the file */
  int number;                    /* block number while in flight, else 0 */
  azure_request request; /* lives until the block's completion is collected */
} block_slot;

typedef struct azure_write {
  azure_instance *az;
  char *key;
  pail_write_options options; /* strings below are owned copies */
  char *content_type, *content_disposition;
  pail_metadata_entry *metadata;
  char tag[17]; /* random hex, in every block ID of this upload */
  size_t block_size;
  block_slot *slots; /* concurrency + 1 */
  size_t slot_count;
  block_slot *filling;
  uint64_t written;
  pail_http_group *group; /* once blocks have begun */
  int next_number;        /* blocks sent */
  int done_count;         /* blocks stored */
} azure_write;

/* ------------------------------------------------------------ helpers */

static void write_free(azure_write *w) {
  if (w->group != NULL)
    azure_core->http_group_free(w->group);
  for (size_t i = 0; i < w->slot_count; i++) {
    free(w->slots[i].data);
    azure_request_free(&w->slots[i].request);
  }
  free(w->slots);
  free(w->content_type);
  free(w->content_disposition);
  for (size_t i = 0; i < w->options.metadata_count; i++) {
    free(w->metadata[i].name);
    free(w->metadata[i].value);
  }
  free(w->metadata);
  free(w->key);
  free(w);
}

/* Reads exactly `length` bytes of fd from `offset`. */
static pail_status read_range(int fd, uint64_t offset, char *out, size_t length,
                              pail_error **err) {
  return azure_core->file_read(fd, offset, out, length, err);
}

/* Keeps copies of the options' strings: they belong to the caller and live
 * only during write_open. */
static pail_status keep_options(azure_write *w,
                                const pail_write_options *options,
                                pail_error **err) {
  w->options = *options;
  w->options.metadata = NULL;
  w->options.metadata_count = 0;
  if (options->content_type != NULL &&
      (w->options.content_type = w->content_type =
           strdup(options->content_type)) == NULL)
    return azure_no_memory(err);
  if (options->content_disposition != NULL &&
      (w->options.content_disposition = w->content_disposition =
           strdup(options->content_disposition)) == NULL)
    return azure_no_memory(err);
  if (options->metadata_count > 0) {
    w->metadata = calloc(options->metadata_count, sizeof *w->metadata);
    if (w->metadata == NULL)
      return azure_no_memory(err);
    w->options.metadata = w->metadata;
    for (size_t i = 0; i < options->metadata_count; i++) {
      w->options.metadata_count++;
      w->metadata[i].name = strdup(options->metadata[i].name);
      w->metadata[i].value = strdup(options->metadata[i].value);
      if (w->metadata[i].name == NULL || w->metadata[i].value == NULL)
        return azure_no_memory(err);
    }
  }
  /* Checked now, so that a bad value fails before any byte is sent. */
  azure_request probe;
  pail_status status = azure_request_init(&probe, "PUT", strdup(""), err);
  if (status == PAIL_OK)
    status = azure_request_blob_headers(&probe, &w->options, err);
  azure_request_free(&probe);
  return status;
}

/* A tag unlikely to be any other upload's: a hash of the time, the
 * process, the stream's address and a counter. */
static void make_tag(azure_write *w) {
  static unsigned counter;
  int32_t nsec = 0;
  struct {
    int64_t seconds;
    int32_t nsec;
    pid_t pid;
    void *address;
    unsigned count;
  } seed = {azure_core->now(&nsec), 0, getpid(), (void *)w,
            __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED)};
  seed.nsec = nsec;
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

/* Collects one finished block, or returns its error. */
static pail_status collect_one(azure_write *w, pail_error **err) {
  void *tag = NULL;
  pail_http_response response = {0};
  pail_status status =
      azure_core->http_group_wait(w->group, &tag, &response, err);
  block_slot *slot = tag;
  if (status == PAIL_OK && (response.status < 200 || response.status > 299)) {
    char *what = NULL;
    if (asprintf(&what, "%s (block %d)", w->key, slot->number) < 0)
      what = NULL;
    status = azure_response_error(w->az, &response, what ? what : w->key, err);
    free(what);
  }
  if (status == PAIL_OK)
    w->done_count++;
  azure_core->http_response_clear(&response);
  if (slot != NULL) {
    azure_request_free(&slot->request);
    slot->number = 0;
    slot->length = 0;
    slot->file = -1;
  }
  return status;
}

/* Makes the slot's bytes the request's body: from memory, or read from the
 * file as it is sent. A zero-length body is still sent as one
 * (Content-Length: 0). */
static void slot_body(block_slot *slot, azure_request *r) {
  if (slot->file >= 0 && slot->length > 0) {
    slot->file_body.fd = slot->file;
    slot->file_body.offset = slot->file_offset;
    azure_request_body(r, &slot->file_body, slot->length);
    r->http.flags |= PAIL_HTTP_BODY_FILE;
  } else {
    azure_request_body(r, slot->data ? slot->data : "", slot->length);
  }
}

/* Sends a slot as the next block. */
static pail_status send_block(azure_write *w, block_slot *slot,
                              pail_error **err) {
  if (w->next_number >= AZURE_MAX_BLOCKS)
    return azure_core->error_set(
        err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
        "azure_blob: %s: more than %d blocks of %zu bytes; give the size in "
        "advance or raise blockSize",
        w->key, AZURE_MAX_BLOCKS, w->block_size);
  if (w->group == NULL && (w->group = azure_core->http_group_new(
                               w->az->cfg, w->az->concurrency)) == NULL)
    return azure_no_memory(err);
  slot->number = ++w->next_number;
  char id[48];
  block_id(w, slot->number, id);
  char *encoded = azure_core->uri_encode(id, 0);
  char *query = NULL;
  if (encoded == NULL || asprintf(&query, "comp=block&blockid=%s", encoded) < 0)
    query = NULL;
  free(encoded);
  pail_status status =
      query ? azure_request_init(&slot->request, "PUT",
                                 azure_url(w->az, w->key, query), err)
            : azure_no_memory(err);
  free(query);
  if (status == PAIL_OK) {
    slot_body(slot, &slot->request);
    status = azure_request_sign(w->az, &slot->request, err);
  }
  if (status == PAIL_OK)
    status = azure_core->http_group_start(w->group, &slot->request.http,
                                          AZURE_MAX_BODY, slot, err);
  return status;
}

/* A slot with nothing in flight, waiting for a block to finish if all are
 * busy. */
static pail_status free_slot(azure_write *w, block_slot **out,
                             pail_error **err) {
  for (;;) {
    for (size_t i = 0; i < w->slot_count; i++)
      if (w->slots[i].number == 0 && &w->slots[i] != w->filling) {
        *out = &w->slots[i];
        return PAIL_OK;
      }
    pail_status status = collect_one(w, err);
    if (status != PAIL_OK)
      return status;
  }
}

/* Put Block List: commits blocks 1..n in order, with the blob's headers. */
static pail_status commit_blocks(azure_write *w, pail_object_info *info,
                                 pail_error **err) {
  size_t size = 128 + (size_t)w->next_number * 64;
  char *body = malloc(size);
  if (body == NULL)
    return azure_no_memory(err);
  size_t used = (size_t)snprintf(
      body, size, "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
  for (int n = 1; n <= w->next_number; n++) {
    char id[48];
    block_id(w, n, id);
    used +=
        (size_t)snprintf(body + used, size - used, "<Latest>%s</Latest>", id);
  }
  used += (size_t)snprintf(body + used, size - used, "</BlockList>");
  azure_request r;
  pail_http_response response = {0};
  pail_status status = azure_request_init(
      &r, "PUT", azure_url(w->az, w->key, "comp=blocklist"), err);
  if (status == PAIL_OK) {
    azure_request_body(&r, body, used);
    status = azure_request_header(&r, err, "Content-Type: application/xml");
  }
  if (status == PAIL_OK)
    status = azure_request_blob_headers(&r, &w->options, err);
  if (status == PAIL_OK && w->options.if_none_match) {
    status = azure_request_header(&r, err, "If-None-Match: *");
    /* Replayed after a lost answer, a create-only write would find its
     * own blob and report a conflict. */
    r.http.flags |= PAIL_HTTP_NO_RETRY;
  }
  if (status == PAIL_OK)
    status = azure_request_sign(w->az, &r, err);
  if (status == PAIL_OK)
    status = azure_exchange(w->az, &r, w->key, &response, err);
  if (status == PAIL_OK && info != NULL) {
    const char *etag = azure_core->http_header(&response, "etag");
    info->etag = etag ? strdup(etag) : NULL;
  }
  azure_core->http_response_clear(&response);
  azure_request_free(&r);
  free(body);
  return status;
}

/* --------------------------------------------------------------- single */

static pail_status single_put(azure_write *w, pail_object_info *info,
                              pail_error **err) {
  block_slot *slot = w->filling;
  azure_request r;
  pail_http_response response = {0};
  pail_status status =
      azure_request_init(&r, "PUT", azure_url(w->az, w->key, NULL), err);
  if (status == PAIL_OK) {
    slot_body(slot, &r);
    status = azure_request_header(&r, err, "x-ms-blob-type: BlockBlob");
  }
  if (status == PAIL_OK)
    status = azure_request_blob_headers(&r, &w->options, err);
  if (status == PAIL_OK && w->options.if_none_match) {
    status = azure_request_header(&r, err, "If-None-Match: *");
    /* Replayed after a lost answer, a create-only write would find its
     * own blob and report a conflict. */
    r.http.flags |= PAIL_HTTP_NO_RETRY;
  }
  if (status == PAIL_OK)
    status = azure_request_sign(w->az, &r, err);
  if (status == PAIL_OK)
    status = azure_exchange(w->az, &r, w->key, &response, err);
  if (status == PAIL_OK && info != NULL) {
    const char *etag = azure_core->http_header(&response, "etag");
    info->etag = etag ? strdup(etag) : NULL;
  }
  azure_core->http_response_clear(&response);
  azure_request_free(&r);
  return status;
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
  w->block_size = az->block_size;
  /* A known size picks a block size that fits 50,000 blocks. */
  if (options->size_hint > (uint64_t)w->block_size * AZURE_MAX_BLOCKS) {
    uint64_t need =
        (options->size_hint + AZURE_MAX_BLOCKS - 1) / AZURE_MAX_BLOCKS;
    need = (need + ((1u << 20) - 1)) & ~(uint64_t)((1u << 20) - 1);
    if (need > AZURE_MAX_BLOCK_SIZE) {
      free(w);
      return azure_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL,
                                   NULL,
                                   "azure_blob: %s: %llu bytes is more than "
                                   "a block blob holds",
                                   key, (unsigned long long)options->size_hint);
    }
    w->block_size = (size_t)need;
  }
  make_tag(w);
  w->slot_count = az->concurrency + 1;
  w->slots = calloc(w->slot_count, sizeof *w->slots);
  for (size_t i = 0; w->slots != NULL && i < w->slot_count; i++)
    w->slots[i].file = -1;
  w->key = strdup(key);
  pail_status status =
      w->slots && w->key ? keep_options(w, options, err) : azure_no_memory(err);
  if (status != PAIL_OK) {
    write_free(w);
    return status;
  }
  w->filling = &w->slots[0];
  *stream = w;
  return PAIL_OK;
}

/* The filling slot is a full block: sends it and takes another to fill. */
static pail_status rotate(azure_write *w, pail_error **err) {
  pail_status status = send_block(w, w->filling, err);
  block_slot *next = NULL;
  w->filling = NULL;
  if (status == PAIL_OK)
    status = free_slot(w, &next, err);
  w->filling = next;
  return status;
}

/* Copies a file-backed slot's bytes into memory, for bytes from memory to
 * follow them. */
static pail_status slot_to_memory(block_slot *slot, pail_error **err) {
  if (slot->capacity < slot->length) {
    size_t capacity =
        slot->length > INITIAL_BUFFER ? slot->length : INITIAL_BUFFER;
    char *data = realloc(slot->data, capacity);
    if (data == NULL)
      return azure_no_memory(err);
    slot->data = data;
    slot->capacity = capacity;
  }
  pail_status status =
      read_range(slot->file, slot->file_offset, slot->data, slot->length, err);
  if (status == PAIL_OK)
    slot->file = -1;
  return status;
}

pail_status azure_write_stream_file(void *stream, int fd, uint64_t offset,
                                    uint64_t length, pail_error **err) {
  azure_write *w = stream;
  while (length > 0) {
    block_slot *slot = w->filling;
    if (slot->length == w->block_size) {
      pail_status status = rotate(w, err);
      if (status != PAIL_OK)
        return status;
      continue;
    }
    /* Only a range that continues the slot's own can extend it; anything
     * else goes through memory (never the case for pail_upload). */
    if (slot->length > 0 &&
        (slot->file != fd || slot->file_offset + slot->length != offset)) {
      char block[64 * 1024];
      size_t take = length < sizeof block ? (size_t)length : sizeof block;
      pail_status status = read_range(fd, offset, block, take, err);
      if (status == PAIL_OK)
        status = azure_write_stream(w, block, take, err);
      if (status != PAIL_OK)
        return status;
      offset += take;
      length -= take;
      continue;
    }
    if (slot->length == 0) {
      slot->file = fd;
      slot->file_offset = offset;
    }
    size_t room = w->block_size - slot->length;
    size_t take = length < room ? (size_t)length : room;
    slot->length += take;
    w->written += take;
    offset += take;
    length -= take;
  }
  return PAIL_OK;
}

pail_status azure_write_stream(void *stream, const void *buffer, size_t length,
                               pail_error **err) {
  azure_write *w = stream;
  const char *data = buffer;
  while (length > 0) {
    block_slot *slot = w->filling;
    if (slot->length == w->block_size) {
      /* The slot is a full block: send it and fill another. */
      pail_status status = rotate(w, err);
      if (status != PAIL_OK)
        return status;
      continue;
    }
    if (slot->file >= 0 && slot->length > 0) {
      pail_status status = slot_to_memory(slot, err);
      if (status != PAIL_OK)
        return status;
    }
    slot->file = -1;
    size_t room = w->block_size - slot->length;
    size_t take = length < room ? length : room;
    if (slot->length + take > slot->capacity) {
      size_t capacity = slot->capacity ? slot->capacity : INITIAL_BUFFER;
      while (capacity < slot->length + take)
        capacity *= 2;
      if (capacity > w->block_size)
        capacity = w->block_size;
      char *grown = realloc(slot->data, capacity);
      if (grown == NULL)
        return azure_no_memory(err);
      slot->data = grown;
      slot->capacity = capacity;
    }
    memcpy(slot->data + slot->length, data, take);
    slot->length += take;
    w->written += take;
    data += take;
    length -= take;
  }
  return PAIL_OK;
}

pail_status azure_write_commit(void *stream, pail_object_info *info,
                               pail_error **err) {
  azure_write *w = stream;
  pail_status status = PAIL_OK;
  if (w->next_number == 0) {
    status = single_put(w, info, err);
  } else {
    if (w->filling != NULL && w->filling->length > 0) {
      status = send_block(w, w->filling, err);
      w->filling = NULL;
    }
    while (status == PAIL_OK && azure_core->http_group_pending(w->group) > 0)
      status = collect_one(w, err);
    if (status == PAIL_OK && w->done_count != w->next_number)
      status = azure_core->error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                                     "azure_blob: %s: %d of %d blocks stored",
                                     w->key, w->done_count, w->next_number);
    if (status == PAIL_OK)
      status = commit_blocks(w, info, err);
  }
  if (status == PAIL_OK && info != NULL) {
    info->key = strdup(w->key);
    info->size = w->written;
    info->last_modified = INT64_MIN;
  }
  write_free(w); /* cancels blocks still in flight after a failure */
  return status;
}

void azure_write_abort(void *stream) {
  azure_write *w = stream;
  if (w != NULL)
    write_free(w);
}
