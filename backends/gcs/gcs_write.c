/*
 * gcs_write.c: streamed uploads. Up to one chunk (chunkSize, 8 MiB by
 * default) is buffered. An object that fits goes up in one simple media
 * upload (uploadType=media), unless it carries a disposition or metadata,
 * which that upload cannot set. Anything else becomes a resumable upload
 * session: chunks of chunkSize (a multiple of 256 KiB, as GCS requires of
 * every chunk but the last) are sent in order, each acknowledged by a 308
 * whose Range says what the server has. A chunk that breaks (connection
 * lost, 5xx, 429) is followed by a status query of the session and the
 * rest is sent again from the offset the server reports; the chunk is kept
 * until then, so memory stays within one chunk whatever the object's size.
 *
 * The CRC-32C of all the data goes with the last request (X-Goog-Hash), so
 * GCS refuses an object that did not arrive intact, and the object GCS
 * reports is checked against it as well. Nothing is visible under the key
 * before the last chunk; an aborted session is cancelled (DELETE).
 */
#include "gcs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The buffer grows from this size, so small objects cost little. */
#define INITIAL_BUFFER ((size_t)64 << 10)

typedef struct gcs_write {
  bool relayed; /* false: see gcs_stream_is_relayed */
  gcs_instance *gcs;
  char *key;
  char *metadata;           /* the object resource (JSON) for a session */
  const char *content_type; /* the core's copy (ABI 1.13); NULL: GCS's */
  bool simple;              /* a simple media upload can carry the options */
  bool create_only;
  char *buffer; /* data not yet acknowledged */
  size_t length, capacity;
  /* From write_stream_file: the chunk's bytes are the file's, from
   * file_offset (buffer unused); -1 for bytes in buffer. */
  int file;
  uint64_t file_offset;
  pail_http_body_file file_body; /* the body of a request from the file */
  uint64_t sent;    /* bytes the server has acknowledged (buffer[0]'s) */
  uint64_t written; /* bytes the caller gave */
  uint32_t crc;
  char *session; /* the resumable session URI, once begun */
} gcs_write;

static void write_free(gcs_write *w) {
  free(w->key);
  free(w->metadata);
  free(w->buffer);
  free(w->session);
  free(w);
}

pail_status gcs_write_metadata(const char *key,
                               const pail_write_options *options, json_t **out,
                               pail_error **err) {
  json_t *object = json_object();
  bool ok = object != NULL;
  if (ok && key != NULL)
    ok = json_object_set_new(object, "name", json_string(key)) == 0;
  if (ok && options->content_type != NULL)
    ok = json_object_set_new(object, "contentType",
                             json_string(options->content_type)) == 0;
  if (ok && options->content_disposition != NULL)
    ok = json_object_set_new(object, "contentDisposition",
                             json_string(options->content_disposition)) == 0;
  if (ok && options->metadata_count > 0) {
    json_t *metadata = json_object();
    ok = metadata != NULL &&
         json_object_set_new(object, "metadata", metadata) == 0;
    for (size_t i = 0; ok && i < options->metadata_count; i++) {
      const pail_metadata_entry *m = &options->metadata[i];
      if (*m->name == '\0') {
        json_decref(object);
        return gcs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL,
                                   NULL, "gcs: a metadata name is empty");
      }
      json_t *value = json_string(m->value);
      ok = value != NULL && json_object_set_new(metadata, m->name, value) == 0;
    }
  }
  if (!ok) {
    json_decref(object);
    /* json_string refuses what is not UTF-8. */
    return gcs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                               "gcs: the content type, disposition or "
                               "metadata is not valid UTF-8");
  }
  *out = object;
  return PAIL_OK;
}

/* ------------------------------------------------------------ helpers */

/* Checks a finished upload's object resource against what was sent; a
 * mismatch deletes the generation just written, since it is not what the
 * caller gave. */
static pail_status check_result(gcs_write *w,
                                const pail_http_response *response,
                                pail_object_info *info, pail_error **err) {
  json_t *root = gcs_json_body(response);
  pail_object_info local = {0};
  pail_object_info *target = info ? info : &local;
  uint32_t crc = 0;
  bool has_crc = false;
  pail_status status =
      root ? gcs_info_from_json(root, target, &crc, &has_crc, err)
           : gcs_core->error_set(err, PAIL_ERR_IO, response->status, NULL,
                                 gcs_request_id(response),
                                 "gcs: %s: the upload's answer is not an "
                                 "object resource",
                                 w->key);
  json_decref(root);
  if (status == PAIL_OK &&
      (target->size != w->written || (has_crc && crc != w->crc))) {
    status = gcs_core->error_set(
        err, PAIL_ERR_IO, response->status, "crc32cMismatch",
        gcs_request_id(response),
        "gcs: %s: the stored object (%llu bytes) does not match the %llu "
        "bytes sent; it was deleted",
        w->key, (unsigned long long)target->size,
        (unsigned long long)w->written);
    gcs_delete_generation(w->gcs, w->key, target->etag);
  }
  gcs_core->object_info_clear(&local);
  return status;
}

static pail_status hash_header(gcs_write *w, pail_request *r,
                               pail_error **err) {
  char crc[9];
  gcs_crc32c_encode(w->crc, crc);
  return gcs_core->request_header(r, err, "X-Goog-Hash: crc32c=%s", crc);
}

/* Makes the chunk's bytes from `from` on the request's body: from memory,
 * or read from the file as they are sent. A zero-length body is still sent
 * as one (Content-Length: 0). */
static void chunk_body(gcs_write *w, pail_request *r, size_t from) {
  if (w->file >= 0 && w->length > from) {
    w->file_body.fd = w->file;
    w->file_body.offset = w->file_offset + from;
    pail_request_body(r, &w->file_body, w->length - from);
    r->http.flags |= PAIL_HTTP_BODY_FILE;
  } else {
    pail_request_body(r, w->length > from ? w->buffer + from : "",
                      w->length - from);
  }
}

/* The chunk was stored: it starts empty, in memory. */
static void chunk_clear(gcs_write *w) {
  w->length = 0;
  w->file = -1;
}

/* --------------------------------------------------------------- simple */

static pail_status simple_upload(gcs_write *w, pail_object_info *info,
                                 pail_error **err) {
  char *query = strdup("uploadType=media");
  if (query == NULL || !backend_query_add(gcs_core, &query, "name", w->key) ||
      (w->create_only &&
       !backend_query_add(gcs_core, &query, "ifGenerationMatch", "0")))
    return gcs_no_memory(err);
  pail_request r;
  pail_http_response response = {0};
  pail_status status = gcs_core->request_init(
      &r, "POST", gcs_object_url(w->gcs, NULL, true, query), err);
  free(query);
  if (status == PAIL_OK) {
    chunk_body(w, &r, 0);
    /* Sending the same bytes again is harmless, unless the first attempt
     * created the object and a create-only replay would then report a
     * conflict that is not one. */
    if (!w->create_only)
      r.http.flags |= PAIL_HTTP_IDEMPOTENT;
    status = gcs_core->request_header(
        &r, err, "Content-Type: %s",
        w->content_type ? w->content_type : "application/octet-stream");
  }
  if (status == PAIL_OK)
    status = hash_header(w, &r, err);
  if (status == PAIL_OK)
    status = gcs_exchange(w->gcs, &r, w->key, NULL, &response, err);
  if (status == PAIL_OK)
    status = check_result(w, &response, info, err);
  gcs_core->http_response_clear(&response);
  gcs_core->request_free(&r);
  return status;
}

/* ------------------------------------------------------------ resumable */

static pail_status session_begin(gcs_write *w, pail_error **err) {
  gcs_instance *gcs = w->gcs;
  char *query = strdup("uploadType=resumable");
  if (query == NULL ||
      (w->create_only &&
       !backend_query_add(gcs_core, &query, "ifGenerationMatch", "0")))
    return gcs_no_memory(err);
  pail_request r;
  pail_http_response response = {0};
  pail_status status = gcs_core->request_init(
      &r, "POST", gcs_object_url(gcs, NULL, true, query), err);
  free(query);
  if (status == PAIL_OK) {
    pail_request_body(&r, w->metadata, strlen(w->metadata));
    /* A replayed start opens a second session; the first is never used
     * and GCS drops it after a week. */
    r.http.flags = PAIL_HTTP_IDEMPOTENT;
    status = gcs_core->request_header(&r, err,
                                      "Content-Type: application/json; "
                                      "charset=UTF-8");
  }
  if (status == PAIL_OK && w->content_type != NULL)
    status = gcs_core->request_header(&r, err, "X-Upload-Content-Type: %s",
                                      w->content_type);
  if (status == PAIL_OK)
    status = gcs_exchange(gcs, &r, w->key, NULL, &response, err);
  const char *location =
      status == PAIL_OK ? gcs_core->http_header(&response, "location") : NULL;
  /* The session URI receives the data (and our token): it must be the
   * service's own. */
  size_t base = strlen(gcs->api_base);
  if (status == PAIL_OK &&
      (location == NULL || strncmp(location, gcs->api_base, base) != 0 ||
       location[base] != '/'))
    status = gcs_core->error_set(
        err, PAIL_ERR_IO, response.status, NULL, gcs_request_id(&response),
        "gcs: %s: the server opened an upload session %s", w->key,
        location ? "at another host" : "without a Location");
  if (status == PAIL_OK && (w->session = strdup(location)) == NULL)
    status = gcs_no_memory(err);
  gcs_core->http_response_clear(&response);
  gcs_core->request_free(&r);
  return status;
}

/* How much of the upload the server holds, from a 308's Range header
 * ("bytes=0-N"; absent: nothing). False when the header is malformed. */
static bool persisted_from(const pail_http_response *response,
                           uint64_t *persisted) {
  const char *range = gcs_core->http_header(response, "range");
  if (range == NULL) {
    *persisted = 0;
    return true;
  }
  unsigned long long last = 0;
  int consumed = 0;
  if (sscanf(range, "bytes=0-%llu%n", &last, &consumed) != 1 ||
      range[consumed] != '\0')
    return false;
  *persisted = (uint64_t)last + 1;
  return true;
}

static void pause_before(int attempt) {
  struct timespec delay = {0, 100000000L * (attempt < 10 ? attempt : 10)};
  nanosleep(&delay, NULL);
}

/* One PUT to the session: data from buffer offset `from`, or a status
 * query when query is true. final: the upload ends with this buffer. */
static pail_status session_put(gcs_write *w, size_t from, bool final,
                               bool query, pail_http_response *response,
                               pail_error **err) {
  static const int accept[] = {308, 0};
  pail_request r;
  char *url = strdup(w->session);
  pail_status status = gcs_core->request_init(&r, "PUT", url, err);
  uint64_t total = w->sent + w->length;
  uint64_t first = w->sent + from;
  if (status == PAIL_OK && query)
    status =
        final ? gcs_core->request_header(&r, err, "Content-Range: bytes */%llu",
                                         (unsigned long long)total)
              : gcs_core->request_header(&r, err, "Content-Range: bytes */*");
  else if (status == PAIL_OK && first == total)
    /* Nothing left to send: the final request only states the size. */
    status = gcs_core->request_header(&r, err, "Content-Range: bytes */%llu",
                                      (unsigned long long)total);
  else if (status == PAIL_OK && final)
    status = gcs_core->request_header(
        &r, err, "Content-Range: bytes %llu-%llu/%llu",
        (unsigned long long)first, (unsigned long long)(total - 1),
        (unsigned long long)total);
  else if (status == PAIL_OK)
    status = gcs_core->request_header(
        &r, err, "Content-Range: bytes %llu-%llu/*", (unsigned long long)first,
        (unsigned long long)(total - 1));
  if (status == PAIL_OK && final && !query)
    status = hash_header(w, &r, err);
  if (status == PAIL_OK && query)
    pail_request_body(&r, "", 0);
  else if (status == PAIL_OK)
    chunk_body(w, &r, from);
  /* A chunk is not replayed blind by the core's retries: after a failure
   * the session is asked what it kept (send_chunk), as Google's protocol
   * says. A status query can be repeated freely. */
  if (!query)
    r.http.flags |= PAIL_HTTP_NO_RETRY;
  if (status == PAIL_OK)
    status = gcs_exchange(w->gcs, &r, w->key, accept, response, err);
  gcs_core->request_free(&r);
  return status;
}

/* Sends the buffer to the session, resuming after broken requests; on
 * return the server holds all of it (the buffer is emptied), and for the
 * final chunk info is filled from the object. */
static pail_status send_chunk(gcs_write *w, bool final, pail_object_info *info,
                              pail_error **err) {
  size_t from = 0;
  bool query = false;
  int failures = 0;
  for (;;) {
    pail_http_response response = {0};
    pail_error *failure = NULL;
    pail_status status =
        session_put(w, from, final, query, &response, &failure);
    /* Transport failures, 5xx and 429 (gcs_exchange made them errors):
     * the session may hold part of the chunk; ask it. */
    bool retry = status == PAIL_ERR_UNAVAILABLE ||
                 status == PAIL_ERR_THROTTLED || status == PAIL_ERR_IO;
    if (status != PAIL_OK && retry && failures < w->gcs->retries) {
      failures++;
      gcs_core->log(w->gcs->cfg, PAIL_LOG_INFO,
                    "gcs: %s: chunk at byte %llu broke (%s); asking the "
                    "session what it has",
                    w->key, (unsigned long long)(w->sent + from),
                    gcs_core->error_message(failure));
      gcs_core->error_free(failure);
      gcs_core->http_response_clear(&response);
      pause_before(failures);
      query = true;
      continue;
    }
    if (status != PAIL_OK) {
      if (err != NULL && *err == NULL)
        *err = failure;
      else
        gcs_core->error_free(failure);
      gcs_core->http_response_clear(&response);
      return status;
    }
    if (response.status == 200 || response.status == 201) {
      if (!final) {
        gcs_core->http_response_clear(&response);
        return gcs_core->error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                                   "gcs: %s: the session finished the upload "
                                   "before its last chunk",
                                   w->key);
      }
      status = check_result(w, &response, info, err);
      gcs_core->http_response_clear(&response);
      if (status == PAIL_OK) {
        w->sent += w->length;
        chunk_clear(w);
      }
      return status;
    }
    /* 308: the server holds [0, persisted). */
    uint64_t persisted = 0;
    bool valid = persisted_from(&response, &persisted);
    const char *id = gcs_request_id(&response);
    if (!valid || persisted < w->sent || persisted > w->sent + w->length) {
      status = gcs_core->error_set(
          err, PAIL_ERR_IO, 308, NULL, id,
          "gcs: %s: the upload session reports %s, outside the chunk at "
          "bytes %llu-%llu",
          w->key, valid ? "a persisted size" : "a malformed Range",
          (unsigned long long)w->sent,
          (unsigned long long)(w->sent + w->length));
      gcs_core->http_response_clear(&response);
      return status;
    }
    /* A server that takes data but never more of it would keep us here:
     * sending without progress counts as a failure. */
    if (!query && w->sent + from == persisted &&
        failures++ >= w->gcs->retries) {
      status = gcs_core->error_set(err, PAIL_ERR_IO, 308, NULL, id,
                                   "gcs: %s: the upload session does not "
                                   "take the data at byte %llu",
                                   w->key, (unsigned long long)persisted);
      gcs_core->http_response_clear(&response);
      return status;
    }
    gcs_core->http_response_clear(&response);
    from = (size_t)(persisted - w->sent);
    query = false;
    if (!final && from == w->length) {
      w->sent = persisted;
      chunk_clear(w);
      return PAIL_OK;
    }
    /* Part of the chunk is missing (or this was the status query): send
     * the rest. */
  }
}

/* Best effort: a failed cancel is logged, and the caller's error stands. */
static void session_cancel(gcs_write *w) {
  pail_request r;
  pail_http_response response = {0};
  pail_error *failure = NULL;
  static const int cancelled[] = {499, 404, 410, 0};
  char *url = strdup(w->session);
  pail_status status = gcs_core->request_init(&r, "DELETE", url, &failure);
  if (status == PAIL_OK)
    status = gcs_exchange(w->gcs, &r, w->key, cancelled, &response, &failure);
  if (status != PAIL_OK)
    gcs_core->log(w->gcs->cfg, PAIL_LOG_WARNING,
                  "gcs: %s: could not cancel the upload session; GCS drops "
                  "it after a week: %s",
                  w->key, gcs_core->error_message(failure));
  gcs_core->error_free(failure);
  gcs_core->http_response_clear(&response);
  gcs_core->request_free(&r);
}

/* ---------------------------------------------------------- operations */

pail_status gcs_write_open(void *instance, const char *key,
                           const pail_write_options *options, void **stream,
                           pail_error **err) {
  gcs_instance *gcs = instance;
  if (gcs->relay != NULL)
    return gcs_relay_write_open(gcs, key, options, stream, err);
  /* The core has refused control characters in the options' texts. */
  gcs_write *w = calloc(1, sizeof *w);
  if (w == NULL)
    return gcs_no_memory(err);
  w->gcs = gcs;
  w->file = -1;
  w->create_only = options->if_none_match != 0;
  w->simple =
      options->content_disposition == NULL && options->metadata_count == 0;
  w->key = strdup(key);
  w->content_type = options->content_type;
  json_t *metadata = NULL;
  pail_status status = w->key ? gcs_write_metadata(key, options, &metadata, err)
                              : gcs_no_memory(err);
  if (status == PAIL_OK &&
      (w->metadata = json_dumps(metadata, JSON_COMPACT)) == NULL)
    status = gcs_no_memory(err);
  json_decref(metadata);
  if (status != PAIL_OK) {
    write_free(w);
    return status;
  }
  *stream = w;
  return PAIL_OK;
}

/* Reads exactly `length` bytes of fd from `offset`. */
static pail_status read_range(int fd, uint64_t offset, char *out, size_t length,
                              pail_error **err) {
  return gcs_core->file_read(fd, offset, out, length, err);
}

/* Copies a file-backed chunk's bytes into memory, for bytes from memory to
 * follow them. */
static pail_status chunk_to_memory(gcs_write *w, pail_error **err) {
  if (w->capacity < w->length) {
    size_t capacity = w->length > INITIAL_BUFFER ? w->length : INITIAL_BUFFER;
    char *grown = realloc(w->buffer, capacity);
    if (grown == NULL)
      return gcs_no_memory(err);
    w->buffer = grown;
    w->capacity = capacity;
  }
  pail_status status =
      read_range(w->file, w->file_offset, w->buffer, w->length, err);
  if (status == PAIL_OK)
    w->file = -1;
  return status;
}

/* A full chunk with more to come: it is not the last. */
static pail_status chunk_send_full(gcs_write *w, pail_error **err) {
  pail_status status = PAIL_OK;
  if (w->session == NULL)
    status = session_begin(w, err);
  if (status == PAIL_OK)
    status = send_chunk(w, false, NULL, err);
  return status;
}

pail_status gcs_write_stream_file(void *stream, int fd, uint64_t offset,
                                  uint64_t length, pail_error **err) {
  if (gcs_stream_is_relayed(stream))
    return gcs_relay_write_stream_file(stream, fd, offset, length, err);
  gcs_write *w = stream;
  size_t chunk = w->gcs->chunk_size;
  char block[64 * 1024];
  while (length > 0) {
    if (w->length == chunk) {
      pail_status status = chunk_send_full(w, err);
      if (status != PAIL_OK)
        return status;
      continue;
    }
    size_t take =
        chunk - w->length < length ? chunk - w->length : (size_t)length;
    if (take > sizeof block)
      take = sizeof block;
    pail_status status = read_range(fd, offset, block, take, err);
    if (status != PAIL_OK)
      return status;
    /* Only a range that continues the chunk's own can extend it; anything
     * else goes through memory (never the case for pail_upload). */
    if (w->length > 0 &&
        (w->file != fd || w->file_offset + w->length != offset)) {
      status = gcs_write_stream(w, block, take, err);
      if (status != PAIL_OK)
        return status;
    } else {
      if (w->length == 0) {
        w->file = fd;
        w->file_offset = offset;
      }
      /* Read once here for the object's CRC32C, and again as it is sent. */
      w->crc = gcs_core->crc32c(w->crc, block, take);
      w->length += take;
      w->written += take;
    }
    offset += take;
    length -= take;
  }
  return PAIL_OK;
}

pail_status gcs_write_stream(void *stream, const void *buffer, size_t length,
                             pail_error **err) {
  if (gcs_stream_is_relayed(stream))
    return gcs_relay_write_stream(stream, buffer, length, err);
  gcs_write *w = stream;
  const char *data = buffer;
  size_t chunk = w->gcs->chunk_size;
  while (length > 0) {
    if (w->length == chunk) {
      pail_status status = chunk_send_full(w, err);
      if (status != PAIL_OK)
        return status;
      continue;
    }
    if (w->file >= 0 && w->length > 0) {
      pail_status status = chunk_to_memory(w, err);
      if (status != PAIL_OK)
        return status;
    }
    w->file = -1;
    size_t take = chunk - w->length < length ? chunk - w->length : length;
    if (w->length + take > w->capacity) {
      size_t capacity = w->capacity ? w->capacity : INITIAL_BUFFER;
      while (capacity < w->length + take)
        capacity *= 2;
      if (capacity > chunk)
        capacity = chunk;
      char *grown = realloc(w->buffer, capacity);
      if (grown == NULL)
        return gcs_no_memory(err);
      w->buffer = grown;
      w->capacity = capacity;
    }
    memcpy(w->buffer + w->length, data, take);
    w->crc = gcs_core->crc32c(w->crc, data, take);
    w->length += take;
    w->written += take;
    data += take;
    length -= take;
  }
  return PAIL_OK;
}

pail_status gcs_write_commit(void *stream, pail_object_info *info,
                             pail_error **err) {
  if (gcs_stream_is_relayed(stream))
    return gcs_relay_write_commit(stream, info, err);
  gcs_write *w = stream;
  pail_status status = PAIL_OK;
  if (w->session == NULL && w->simple) {
    status = simple_upload(w, info, err);
  } else {
    if (w->session == NULL)
      status = session_begin(w, err);
    if (status == PAIL_OK)
      status = send_chunk(w, true, info, err);
    if (status != PAIL_OK && w->session != NULL)
      session_cancel(w);
  }
  write_free(w);
  return status;
}

void gcs_write_abort(void *stream) {
  gcs_write *w = stream;
  if (w == NULL)
    return;
  if (gcs_stream_is_relayed(stream)) {
    gcs_relay_write_abort(stream);
    return;
  }
  if (w->session != NULL)
    session_cancel(w);
  write_free(w);
}
