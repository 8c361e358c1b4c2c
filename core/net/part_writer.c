/*
 * part_writer.c: uploads by parts (core_services.part_writer_*), one
 * mechanism for every backend whose service stores an object as parts sent
 * in parallel (S3's multipart upload, Azure's blocks). The backend keeps
 * only its protocol (pail_part_protocol); here are the slots of parts, the
 * one being filled, parts in flight on an HTTP group, file ranges sent from
 * the file, buffers for bytes that come from memory and their budget, the
 * limit on the number of parts, and the order of things on commit and on
 * failure: parts in flight are cancelled before the backend aborts the
 * upload, so no part lands after the abort.
 *
 * Memory: a part from a stream must be kept whole until it is stored (it is
 * signed, and sent again on a retry), so every part in flight from memory
 * holds a buffer of part size. Buffers are bounded by the storage's
 * streamBufferSize: with fewer buffers than slots, a part waits for a
 * buffer to come back instead of taking a new one. Parts from a file hold
 * no buffer, so a file keeps all of the backend's concurrency.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first buffer grows from this size, so a small object costs little. */
#define FIRST_BUFFER ((size_t)64 << 10)
/* A stream's buffers by default: three S3 parts or four Azure blocks of
 * the default sizes, which keeps `pail put -` under 32 MiB of peak RSS
 * (docs/performance.md, "Standard input"). */
#define DEFAULT_STREAM_BUFFER ((size_t)16 << 20)
#define MIB ((uint64_t)1 << 20)

typedef struct part_slot {
  pail_part part;  /* number > 0 while in flight (part_start called) */
  char *data;      /* a buffer for bytes from memory, or NULL */
  size_t capacity; /* of data */
  size_t length;   /* bytes in the slot */
  /* The slot's bytes are those of file from file_offset (data unused);
   * -1 for bytes in data. */
  int file;
  uint64_t file_offset;
  pail_http_body_file file_body;
} part_slot;

struct pail_part_writer {
  const pail_config *cfg;
  pail_part_protocol protocol; /* label and key: the copies below */
  char *label, *key;
  size_t part_size;
  part_slot *slots; /* concurrency + 1 */
  size_t slot_count;
  part_slot *filling;
  size_t buffers, max_buffers;    /* buffers allocated, and allowed */
  size_t buffered, buffered_peak; /* bytes of buffers, now and at most */
  uint64_t written;
  bool begun;
  bool copies; /* part_writer_copy was used */
  pail_http_group *group;
  int sent;   /* parts started */
  int stored; /* parts whose part_finish succeeded */
};

/* ---------------------------------------------------------- accounting */

static size_t stream_budget(const pail_config *cfg) {
  if (cfg != NULL && cfg->storage != NULL &&
      cfg->storage->stream_buffer_size > 0)
    return cfg->storage->stream_buffer_size;
  return DEFAULT_STREAM_BUFFER;
}

size_t part_writer_buffered(const pail_part_writer *w, size_t *peak) {
  if (peak != NULL)
    *peak = w ? w->buffered_peak : 0;
  return w ? w->buffered : 0;
}

/* Gives slot's buffer a capacity of at least `need` bytes (up to the part
 * size). */
static pail_status buffer_grow(pail_part_writer *w, part_slot *slot,
                               size_t need, pail_error **err) {
  if (need <= slot->capacity)
    return PAIL_OK;
  /* Once the upload has gone by parts, a new buffer will be filled whole:
   * taking it at once spares the copies of growing it. */
  size_t capacity = slot->capacity ? slot->capacity
                    : w->sent > 0  ? w->part_size
                                   : FIRST_BUFFER;
  while (capacity < need)
    capacity *= 2;
  if (capacity > w->part_size)
    capacity = w->part_size;
  char *grown = realloc(slot->data, capacity);
  if (grown == NULL)
    return error_no_memory(err);
  if (slot->data == NULL)
    w->buffers++;
  w->buffered += capacity - slot->capacity;
  if (w->buffered > w->buffered_peak)
    w->buffered_peak = w->buffered;
  slot->data = grown;
  slot->capacity = capacity;
  return PAIL_OK;
}

/* ------------------------------------------------------------- parts */

/* Empties a slot whose part is done, stored or not. */
static void part_release(part_slot *slot) {
  request_free(&slot->part.request);
  memset(&slot->part, 0, sizeof slot->part);
  slot->length = 0;
  slot->file = -1;
}

/* Collects one finished part: the backend judges its answer. */
static pail_status collect_one(pail_part_writer *w, pail_error **err) {
  void *tag = NULL;
  pail_http_response response = {0};
  pail_status status = http_group_wait(w->group, &tag, &response, err);
  part_slot *slot = tag;
  if (slot != NULL && status == PAIL_OK) {
    char *what = NULL;
    if (asprintf(&what, "%s (%s %d)", w->key, w->protocol.part_word,
                 slot->part.number) < 0)
      what = NULL;
    status = w->protocol.part_finish(w->protocol.context, &slot->part,
                                     &response, what ? what : w->key, err);
    free(what);
    if (status == PAIL_OK)
      w->stored++;
  }
  http_response_clear(&response);
  if (slot != NULL)
    part_release(slot);
  return status;
}

/* The slot's bytes as the body of a part. */
static void slot_body(part_slot *slot, pail_part *part) {
  if (slot->file >= 0 && slot->length > 0) {
    slot->file_body.fd = slot->file;
    slot->file_body.offset = slot->file_offset;
    part->body = &slot->file_body;
    part->body_flags = PAIL_HTTP_BODY_FILE;
  } else {
    part->body = slot->data ? slot->data : "";
    part->body_flags = 0;
  }
  part->body_length = slot->length;
}

/* Begins the upload if it has not been, and its group. */
static pail_status ensure_begun(pail_part_writer *w, pail_error **err) {
  if (w->begun)
    return PAIL_OK;
  pail_status status =
      w->protocol.begin
          ? w->protocol.begin(w->protocol.context, w->part_size, err)
          : PAIL_OK;
  if (status != PAIL_OK)
    return status;
  w->begun = true;
  w->group = http_group_new(w->cfg, w->protocol.concurrency);
  return w->group ? PAIL_OK : error_no_memory(err);
}

/* Starts slot's part on the group as the next part. */
static pail_status send_part(pail_part_writer *w, part_slot *slot,
                             pail_error **err) {
  if (w->sent >= w->protocol.max_parts)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "%s: %s: more than %d %ss of %zu bytes; give the "
                          "size in advance or raise %s",
                          w->label, w->key, w->protocol.max_parts,
                          w->protocol.part_word, w->part_size,
                          w->protocol.part_size_setting);
  pail_status status = ensure_begun(w, err);
  if (status != PAIL_OK)
    return status;
  if (!w->copies)
    slot_body(slot, &slot->part);
  slot->part.number = ++w->sent;
  status = w->protocol.part_start(w->protocol.context, &slot->part, err);
  if (status == PAIL_OK)
    status = http_group_start(w->group, &slot->part.request.http,
                              w->protocol.max_body, slot, err);
  if (status != PAIL_OK)
    part_release(slot);
  return status;
}

/* A slot with nothing in flight other than the filling one, preferring one
 * that holds a buffer, waiting for a part to finish when all are busy. With
 * `buffered`, a slot without a buffer will do only while the budget allows
 * a new one. */
static pail_status free_slot(pail_part_writer *w, bool buffered,
                             part_slot **out, pail_error **err) {
  for (;;) {
    part_slot *bare = NULL;
    for (size_t i = 0; i < w->slot_count; i++) {
      part_slot *slot = &w->slots[i];
      if (slot->part.number != 0 || slot == w->filling)
        continue;
      if (slot->data != NULL) {
        *out = slot;
        return PAIL_OK;
      }
      if (bare == NULL)
        bare = slot;
    }
    if (bare != NULL && (!buffered || w->buffers < w->max_buffers)) {
      *out = bare;
      return PAIL_OK;
    }
    pail_status status = collect_one(w, err);
    if (status != PAIL_OK)
      return status;
  }
}

/* The filling slot is a full part: sends it and takes another to fill. */
static pail_status rotate(pail_part_writer *w, pail_error **err) {
  pail_status status = send_part(w, w->filling, err);
  part_slot *next = NULL;
  w->filling = NULL;
  if (status == PAIL_OK)
    status = free_slot(w, false, &next, err);
  w->filling = next;
  return status;
}

/* The slot to fill, with room for a byte: a full one is sent first. */
static pail_status filling_slot(pail_part_writer *w, part_slot **out,
                                pail_error **err) {
  pail_status status =
      w->filling->length == w->part_size ? rotate(w, err) : PAIL_OK;
  *out = w->filling;
  return status;
}

/* Gives the filling slot a buffer for bytes from memory: one an idle slot
 * holds, else room for a new one within the budget, else the buffer of the
 * first part in flight to be stored. */
static pail_status filling_buffer(pail_part_writer *w, pail_error **err) {
  part_slot *slot = w->filling;
  if (slot->data != NULL)
    return PAIL_OK;
  part_slot *donor = NULL;
  pail_status status = free_slot(w, true, &donor, err);
  if (status == PAIL_OK && donor->data != NULL) {
    slot->data = donor->data;
    slot->capacity = donor->capacity;
    donor->data = NULL;
    donor->capacity = 0;
  }
  return status;
}

/* Copies the filling slot's file range into its buffer, for bytes from
 * memory to follow them. */
static pail_status slot_to_memory(pail_part_writer *w, pail_error **err) {
  part_slot *slot = w->filling;
  pail_status status = filling_buffer(w, err);
  if (status == PAIL_OK)
    status = buffer_grow(w, slot, slot->length, err);
  if (status == PAIL_OK)
    status = crypto_file_read(slot->file, slot->file_offset, slot->data,
                              slot->length, err);
  if (status == PAIL_OK)
    slot->file = -1;
  return status;
}

/* ---------------------------------------------------------- services */

/* The part size for an object of size_hint bytes: protocol->part_size, or
 * whole MiB large enough for max_parts parts. */
static pail_status part_size_for(const pail_part_protocol *p, size_t *out,
                                 pail_error **err) {
  *out = p->part_size;
  if (p->size_hint <= (uint64_t)p->part_size * (uint64_t)p->max_parts)
    return PAIL_OK;
  uint64_t need = (p->size_hint + (uint64_t)p->max_parts - 1) / p->max_parts;
  need = (need + MIB - 1) & ~(MIB - 1);
  if (need > p->max_part_size || need > SIZE_MAX)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "%s: %s: %llu bytes is more than %s", p->label,
                          p->key, (unsigned long long)p->size_hint,
                          p->capacity);
  *out = (size_t)need;
  return PAIL_OK;
}

pail_status part_writer_open(const pail_config *cfg,
                             const pail_part_protocol *protocol,
                             pail_part_writer **out, pail_error **err) {
  *out = NULL;
  if (protocol == NULL || protocol->part_start == NULL ||
      protocol->part_finish == NULL || protocol->complete == NULL ||
      protocol->single == NULL || protocol->part_size == 0 ||
      protocol->max_parts < 1 || protocol->label == NULL ||
      protocol->key == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "part_writer_open: incomplete protocol");
  size_t part_size = 0;
  pail_status status = part_size_for(protocol, &part_size, err);
  if (status != PAIL_OK)
    return status;
  pail_part_writer *w = calloc(1, sizeof *w);
  if (w == NULL)
    return error_no_memory(err);
  w->cfg = cfg;
  w->protocol = *protocol;
  if (w->protocol.concurrency == 0)
    w->protocol.concurrency = 1;
  w->part_size = part_size;
  /* A part must be whole in memory to be sent: one buffer at least. */
  w->max_buffers = stream_budget(cfg) / part_size;
  if (w->max_buffers < 1)
    w->max_buffers = 1;
  w->slot_count = w->protocol.concurrency + 1;
  w->slots = calloc(w->slot_count, sizeof *w->slots);
  w->label = str_dup(protocol->label);
  w->key = str_dup(protocol->key);
  if (w->slots == NULL || w->label == NULL || w->key == NULL) {
    free(w->slots);
    free(w->label);
    free(w->key);
    free(w);
    return error_no_memory(err);
  }
  w->protocol.label = w->label;
  w->protocol.key = w->key;
  for (size_t i = 0; i < w->slot_count; i++)
    w->slots[i].file = -1;
  w->filling = &w->slots[0];
  *out = w;
  return PAIL_OK;
}

pail_status part_writer_write(pail_part_writer *w, const void *buffer,
                              size_t length, pail_error **err) {
  const char *data = buffer;
  while (length > 0) {
    part_slot *slot = NULL;
    pail_status status = filling_slot(w, &slot, err);
    if (status != PAIL_OK)
      return status;
    if (slot->file >= 0 && slot->length > 0)
      status = slot_to_memory(w, err);
    if (status == PAIL_OK && slot->data == NULL)
      status = filling_buffer(w, err);
    slot->file = -1;
    size_t room = w->part_size - slot->length;
    size_t take = length < room ? length : room;
    if (status == PAIL_OK)
      status = buffer_grow(w, slot, slot->length + take, err);
    if (status != PAIL_OK)
      return status;
    memcpy(slot->data + slot->length, data, take);
    slot->length += take;
    w->written += take;
    data += take;
    length -= take;
  }
  return PAIL_OK;
}

pail_status part_writer_write_file(pail_part_writer *w, int fd, uint64_t offset,
                                   uint64_t length, pail_error **err) {
  while (length > 0) {
    part_slot *slot = NULL;
    pail_status status = filling_slot(w, &slot, err);
    if (status != PAIL_OK)
      return status;
    /* Only a range that continues the slot's own can extend it; anything
     * else goes through memory (never the case for pail_upload), up to the
     * end of the slot's part, so that the next part is the file's again. */
    if (slot->length > 0 &&
        (slot->file != fd || slot->file_offset + slot->length != offset)) {
      char block[64 * 1024];
      size_t take = length < sizeof block ? (size_t)length : sizeof block;
      if (take > w->part_size - slot->length)
        take = w->part_size - slot->length;
      status = crypto_file_read(fd, offset, block, take, err);
      if (status == PAIL_OK)
        status = part_writer_write(w, block, take, err);
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
    size_t room = w->part_size - slot->length;
    size_t take = length < room ? (size_t)length : room;
    slot->length += take;
    w->written += take;
    offset += take;
    length -= take;
  }
  return PAIL_OK;
}

pail_status part_writer_copy(pail_part_writer *w, uint64_t offset,
                             uint64_t length, pail_error **err) {
  if (w->written > 0)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "part_writer_copy: %s: bytes were written to this "
                          "upload already",
                          w->key);
  w->copies = true;
  part_slot *slot = NULL;
  pail_status status = free_slot(w, false, &slot, err);
  if (status != PAIL_OK)
    return status;
  memset(&slot->part, 0, sizeof slot->part);
  slot->part.copy_offset = offset;
  slot->part.copy_length = length;
  return send_part(w, slot, err);
}

static void writer_free(pail_part_writer *w) {
  /* Parts in flight are cancelled before their state is released. */
  if (w->group != NULL)
    http_group_free(w->group);
  w->group = NULL;
  for (size_t i = 0; i < w->slot_count; i++) {
    part_release(&w->slots[i]);
    free(w->slots[i].data);
  }
  free(w->slots);
  free(w->label);
  free(w->key);
  free(w);
}

/* After a failure: no part may land after the abort, so the group's
 * transfers end first. */
static void writer_abort(pail_part_writer *w) {
  if (w->group != NULL)
    http_group_free(w->group);
  w->group = NULL;
  for (size_t i = 0; i < w->slot_count; i++)
    part_release(&w->slots[i]);
  if (w->begun && w->protocol.abort != NULL)
    w->protocol.abort(w->protocol.context);
  w->begun = false;
}

pail_status part_writer_commit(pail_part_writer *w, pail_object_info *info,
                               pail_error **err) {
  pail_status status = PAIL_OK;
  if (!w->begun && w->sent == 0) {
    pail_part part = {0};
    slot_body(w->filling, &part);
    status = w->protocol.single(w->protocol.context, &part, info, err);
  } else {
    if (w->filling != NULL && w->filling->length > 0) {
      part_slot *last = w->filling;
      w->filling = NULL;
      status = send_part(w, last, err);
    }
    while (status == PAIL_OK && http_group_pending(w->group) > 0)
      status = collect_one(w, err);
    if (status == PAIL_OK && w->stored != w->sent)
      status = pail_error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                              "%s: %s: %d of %d %ss stored", w->label, w->key,
                              w->stored, w->sent, w->protocol.part_word);
    if (status == PAIL_OK)
      status = w->protocol.complete(w->protocol.context, w->sent, info, err);
    if (status != PAIL_OK)
      writer_abort(w);
  }
  if (status == PAIL_OK && info != NULL) {
    info->key = str_dup(w->key);
    info->size = w->written;
    info->last_modified = INT64_MIN;
  }
  writer_free(w);
  return status;
}

void part_writer_abort(pail_part_writer *w) {
  if (w == NULL)
    return;
  writer_abort(w);
  writer_free(w);
}
