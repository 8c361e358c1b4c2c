/*
 * resume.c: the resumable streamed GET the cloud backends share
 * (core_services.resumable_open). A body broken mid-way is re-requested from
 * the next byte pinned to the version being read, so a resumed read never
 * mixes two versions of an object. Memory is bounded by the caller's buffer
 * and the HTTP stream's.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pail_resumable_reader {
  const pail_config *cfg;
  pail_resumable_source source; /* label, key and version are ours */
  char *version;                /* the version being read, pinned on resumes */
  uint64_t next;                /* absolute offset of the next byte to give */
  uint64_t end;                 /* absolute end (exclusive) */
  uint64_t skip;                /* bytes to drop: a server that ignored Range */
  pail_http_stream *stream;
  int resumes_left;
};

static void stream_drop(pail_resumable_reader *reader) {
  http_stream_close(reader->stream);
  reader->stream = NULL;
}

/* Sends the GET for [offset, end) (to the object's end when !bounded, the
 * whole object when !ranged) and checks its head. */
static pail_status request_from(pail_resumable_reader *reader, uint64_t offset,
                                uint64_t end, bool bounded, bool ranged,
                                bool resuming, pail_object_info *info,
                                pail_error **err) {
  char range[64];
  if (bounded)
    snprintf(range, sizeof range, "bytes=%llu-%llu", (unsigned long long)offset,
             (unsigned long long)(end - 1));
  else
    snprintf(range, sizeof range, "bytes=%llu-", (unsigned long long)offset);
  const pail_resumable_source *source = &reader->source;
  for (int attempt = 0;; attempt++) {
    const pail_http_request *request = NULL;
    pail_http_response head = {0};
    int again = 0;
    pail_status status = source->build(source->context, ranged ? range : NULL,
                                       reader->version, &request, err);
    if (status == PAIL_OK)
      status =
          http_stream_open(reader->cfg, request, &reader->stream, &head, err);
    if (status == PAIL_OK) {
      pail_error *failure = NULL;
      status = source->check(source->context, &head, resuming, info, &again,
                             &failure);
      if (again && attempt == 0) {
        pail_error_free(failure);
        http_response_clear(&head);
        stream_drop(reader);
        continue;
      }
      if (failure != NULL && err != NULL && *err == NULL)
        *err = failure;
      else
        pail_error_free(failure);
    }
    if (status == PAIL_OK && reader->stream == NULL)
      status = pail_error_set(err, PAIL_ERR_INTERNAL, head.status, NULL, NULL,
                              "%s: %s: the backend accepted HTTP status %d",
                              source->label, source->key, head.status);
    if (status == PAIL_OK && reader->version == NULL &&
        source->version_header != NULL) {
      const char *version = http_header(&head, source->version_header);
      if (version != NULL && (reader->version = str_dup(version)) == NULL)
        status = pail_error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                                "%s: out of memory", source->label);
    }
    /* A server that ignores Range answers 200 with the whole object. */
    if (status == PAIL_OK && ranged && head.status == 200)
      reader->skip = offset;
    http_response_clear(&head);
    if (status != PAIL_OK)
      stream_drop(reader);
    return status;
  }
}

void resumable_close(pail_resumable_reader *reader) {
  if (reader == NULL)
    return;
  stream_drop(reader);
  free((char *)reader->source.label);
  free((char *)reader->source.key);
  free(reader->version);
  free(reader);
}

pail_status resumable_open(const pail_config *cfg,
                           const pail_resumable_source *source, uint64_t offset,
                           uint64_t length, pail_object_info *info,
                           pail_resumable_reader **out, pail_error **err) {
  *out = NULL;
  pail_resumable_reader *reader = calloc(1, sizeof *reader);
  if (reader == NULL)
    return pail_error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                          "out of memory");
  reader->cfg = cfg;
  reader->source = *source;
  reader->source.label = str_dup(source->label);
  reader->source.key = str_dup(source->key);
  reader->source.version = NULL;
  reader->version = str_dup(source->version);
  reader->resumes_left = source->resumes;
  if (reader->source.label == NULL || reader->source.key == NULL ||
      (source->version != NULL && reader->version == NULL)) {
    resumable_close(reader);
    return pail_error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                          "out of memory");
  }
  bool bounded = length != PAIL_READ_TO_END;
  bool ranged = offset > 0 || bounded;
  uint64_t end = 0;
  if (bounded) {
    if (length == 0 || offset > UINT64_MAX - length) {
      /* Nothing to read: still check the object exists. */
      bounded = false;
      ranged = offset > 0;
    } else {
      end = offset + length;
    }
  }
  pail_error *failure = NULL;
  pail_status status =
      request_from(reader, offset, end, bounded, ranged, false, info, &failure);
  /* An empty object has no byte 0 to range over (416): ask again for the
   * whole (empty) object. */
  if (status == PAIL_ERR_INVALID_ARGUMENT && offset == 0 && ranged) {
    pail_error_free(failure);
    failure = NULL;
    status = request_from(reader, 0, 0, false, false, false, info, err);
  } else if (failure != NULL) {
    if (err != NULL && *err == NULL)
      *err = failure;
    else
      pail_error_free(failure);
  }
  if (status != PAIL_OK) {
    resumable_close(reader);
    return status;
  }
  uint64_t size = info->size;
  if (!bounded || end > size)
    end = size;
  reader->next = offset < size ? offset : size;
  reader->end = length == 0 ? reader->next : end;
  *out = reader;
  return PAIL_OK;
}

pail_status resumable_read(pail_resumable_reader *reader, void *buffer,
                           size_t capacity, size_t *got, pail_error **err) {
  const pail_resumable_source *source = &reader->source;
  *got = 0;
  while (reader->next < reader->end) {
    size_t want = capacity;
    if (reader->skip == 0 && (uint64_t)want > reader->end - reader->next)
      want = (size_t)(reader->end - reader->next);
    pail_error *failure = NULL;
    pail_status status =
        reader->stream
            ? http_stream_read(reader->stream, buffer, want, got, &failure)
            : PAIL_ERR_IO;
    if (status == PAIL_OK && *got > 0) {
      if (reader->skip > 0) { /* drop what precedes the range */
        size_t drop = *got < reader->skip ? *got : (size_t)reader->skip;
        reader->skip -= drop;
        memmove(buffer, (char *)buffer + drop, *got - drop);
        *got -= drop;
        if (*got == 0)
          continue;
      }
      if (*got > reader->end - reader->next) /* a whole object past the end */
        *got = (size_t)(reader->end - reader->next);
      reader->next += *got;
      return PAIL_OK;
    }
    /* The body ended early or the connection broke: resume where it
     * stopped, pinned to the version being read. */
    if (status != PAIL_OK && status != PAIL_ERR_IO &&
        status != PAIL_ERR_UNAVAILABLE) {
      if (err != NULL && *err == NULL)
        *err = failure;
      else
        pail_error_free(failure);
      return status;
    }
    if (reader->resumes_left-- <= 0 || reader->version == NULL) {
      if (failure != NULL && err != NULL && *err == NULL) {
        *err = failure;
        return status;
      }
      pail_error_free(failure);
      return pail_error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                            "%s: %s: the download broke off at byte %llu "
                            "of %llu",
                            source->label, source->key,
                            (unsigned long long)reader->next,
                            (unsigned long long)reader->end);
    }
    pail_error_free(failure);
    core_services.log(reader->cfg, PAIL_LOG_INFO,
                      "%s: %s: resuming the download at byte %llu",
                      source->label, source->key,
                      (unsigned long long)reader->next);
    stream_drop(reader);
    reader->skip = 0;
    status = request_from(reader, reader->next, reader->end, true, true, true,
                          NULL, err);
    if (status != PAIL_OK)
      return status;
  }
  return PAIL_OK;
}
