/*
 * resume.c: the resumable streamed GET the cloud backends share
 * (core_services.resumable_open). A body broken mid-way is re-requested from
 * the next byte pinned to the version being read, so a resumed read never
 * mixes two versions of an object. A whole-object read is checked against
 * the digest the provider stores (resumable_verify): the one place every
 * backend's downloads are verified, catching what TLS cannot (a bad disk, a
 * proxy, a bug on the way). Memory is bounded by the caller's buffer and
 * the HTTP stream's.
 */
#include "internal.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A digest being computed over the bytes a read delivers. */
typedef struct digest {
  const char *name; /* as messages show it: "MD5", "CRC-32C" */
  size_t size;      /* bytes of the digest */
  const EVP_MD *md; /* the cryptographic ones */
  EVP_MD_CTX *ctx;
  int crc;        /* 32: CRC-32, 33: CRC-32C, 64: CRC-64/NVME */
  uint64_t value; /* the CRC so far */
  unsigned char expected[EVP_MAX_MD_SIZE];
} digest;

struct pail_resumable_reader {
  const pail_config *cfg;
  pail_resumable_source source; /* label, key and version are ours */
  char *version;                /* the version being read, pinned on resumes */
  uint64_t next;                /* absolute offset of the next byte to give */
  uint64_t end;                 /* absolute end (exclusive) */
  uint64_t skip;                /* bytes to drop: a server that ignored Range */
  uint64_t size;                /* of the object */
  pail_http_stream *stream;
  int resumes_left;
  digest *verify; /* NULL: not checked */
  bool bulk;      /* http_stream_open_bulk: the caller reads a lot */
  /* Frees source.context as the reader is freed (resumable_stream_open);
   * NULL: the backend owns the context. */
  void (*context_free)(void *context);
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
      status = (reader->bulk ? http_stream_open_bulk : http_stream_open)(
          reader->cfg, request, &reader->stream, &head, err);
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

static void digest_free(digest *d) {
  if (d != NULL)
    EVP_MD_CTX_free(d->ctx);
  free(d);
}

/* For tests: the HTTP stream being read. */
pail_http_stream *resumable_stream(const pail_resumable_reader *reader) {
  return reader->stream;
}

void resumable_close(pail_resumable_reader *reader) {
  if (reader == NULL)
    return;
  stream_drop(reader);
  digest_free(reader->verify);
  if (reader->context_free != NULL)
    reader->context_free(reader->source.context);
  free((char *)reader->source.label);
  free((char *)reader->source.key);
  free(reader->version);
  free(reader);
}

/* After a 416 for a range from offset: whether the object has exactly
 * offset bytes, told by asking for its last byte (the size comes with the
 * answer, and the version is pinned as for any read). Leaves no stream. */
static bool range_at_end(pail_resumable_reader *reader, uint64_t offset,
                         pail_object_info *info) {
  pail_object_info probe = {.last_modified = INT64_MIN};
  pail_status status =
      request_from(reader, offset - 1, offset, true, true, false, &probe, NULL);
  stream_drop(reader);
  reader->skip = 0;
  bool at_end = status == PAIL_OK && probe.size == offset;
  if (at_end) {
    pail_object_info_clear(info);
    *info = probe;
  } else {
    pail_object_info_clear(&probe);
  }
  return at_end;
}

/* resumable_open and resumable_stream_open: bulk picks the larger receive
 * buffers; context_free, when not NULL, is called on source->context as the
 * reader is freed, and before a failure returns. */
static pail_status open_reader(const pail_config *cfg,
                               const pail_resumable_source *source,
                               uint64_t offset, uint64_t length, bool bulk,
                               void (*context_free)(void *context),
                               pail_object_info *info,
                               pail_resumable_reader **out, pail_error **err) {
  *out = NULL;
  pail_resumable_reader *reader = calloc(1, sizeof *reader);
  if (reader == NULL) {
    if (context_free != NULL)
      context_free(source->context);
    return pail_error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                          "out of memory");
  }
  reader->context_free = context_free;
  reader->cfg = cfg;
  reader->source = *source;
  reader->source.label = str_dup(source->label);
  reader->source.key = str_dup(source->key);
  reader->source.version = NULL;
  reader->version = str_dup(source->version);
  reader->resumes_left = source->resumes;
  reader->bulk = bulk;
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
  } else if (status == PAIL_ERR_INVALID_ARGUMENT && offset > 0 &&
             pail_error_http_status(failure) == 416 &&
             range_at_end(reader, offset, info)) {
    /* A range that starts at the very end is empty, not past the end
     * (pail_reader_open's contract), though servers answer it 416. */
    pail_error_free(failure);
    failure = NULL;
    status = PAIL_OK;
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
  reader->size = size;
  if (!bounded || end > size)
    end = size;
  reader->next = offset < size ? offset : size;
  reader->end = length == 0 ? reader->next : end;
  *out = reader;
  return PAIL_OK;
}

pail_status resumable_open(const pail_config *cfg,
                           const pail_resumable_source *source, uint64_t offset,
                           uint64_t length, pail_object_info *info,
                           pail_resumable_reader **out, pail_error **err) {
  return open_reader(cfg, source, offset, length, false, NULL, info, out, err);
}

pail_status resumable_stream_open(
    const pail_config *cfg, const pail_resumable_source *source,
    const pail_read_options *options, void (*context_free)(void *context),
    pail_object_info *info, pail_resumable_reader **out, pail_error **err) {
  pail_read_options opts = PAIL_READ_OPTIONS_INIT;
  OPTIONS_ADOPT(opts, options);
  return open_reader(cfg, source, opts.offset, opts.length, opts.large != 0,
                     context_free, info, out, err);
}

/* expected as hex (exactly 2 * size digits) or padded base64 of size bytes
 * into out; false when it is neither. */
static bool digest_decode(const char *expected, size_t size,
                          unsigned char *out) {
  size_t length = strlen(expected);
  if (length == 2 * size && str_hex_decode(expected, length, out) == PAIL_OK)
    return true;
  unsigned char decoded[3 * (EVP_MAX_MD_SIZE + 3) / 4 + 3];
  size_t got = 0;
  if (length != 4 * ((size + 2) / 3) ||
      crypto_base64_decode(expected, length, decoded, &got) != PAIL_OK ||
      got != size)
    return false;
  memcpy(out, decoded, size);
  return true;
}

int resumable_verify(pail_resumable_reader *reader, const char *algorithm,
                     const char *expected) {
  static const struct {
    const char *algorithm, *name;
    int crc;
    size_t size;
  } known[] = {
      {"md5", "MD5", 0, 16},        {"sha1", "SHA-1", 0, 20},
      {"sha256", "SHA-256", 0, 32}, {"crc32", "CRC-32", 32, 4},
      {"crc32c", "CRC-32C", 33, 4}, {"crc64nvme", "CRC-64/NVME", 64, 8}};
  if (reader == NULL || algorithm == NULL || expected == NULL ||
      reader->verify != NULL || reader->next != 0 ||
      reader->end != reader->size || reader->skip != 0)
    return 0; /* a range (or already checked) */
  size_t i = 0;
  while (i < sizeof known / sizeof known[0] &&
         strcmp(known[i].algorithm, algorithm) != 0)
    i++;
  digest *d = i < sizeof known / sizeof known[0] ? calloc(1, sizeof *d) : NULL;
  if (d == NULL)
    return 0;
  d->name = known[i].name;
  d->size = known[i].size;
  d->crc = known[i].crc;
  if (!digest_decode(expected, d->size, d->expected)) {
    core_services.log(reader->cfg, PAIL_LOG_DEBUG,
                      "%s: %s: the %s the storage gave is not one; the "
                      "download is not checked",
                      reader->source.label, reader->source.key, d->name);
    digest_free(d);
    return 0;
  }
  if (d->crc == 0) {
    d->md = strcmp(algorithm, "md5") == 0    ? EVP_md5()
            : strcmp(algorithm, "sha1") == 0 ? EVP_sha1()
                                             : EVP_sha256();
    d->ctx = EVP_MD_CTX_new();
    if (d->ctx == NULL || EVP_DigestInit_ex(d->ctx, d->md, NULL) != 1) {
      digest_free(d);
      return 0;
    }
  }
  reader->verify = d;
  return 1;
}

static void digest_update(digest *d, const void *data, size_t length) {
  if (d->crc == 32)
    d->value = crc32_update((uint32_t)d->value, data, length);
  else if (d->crc == 33)
    d->value = crc32c_update((uint32_t)d->value, data, length);
  else if (d->crc == 64)
    d->value = crc64nvme_update(d->value, data, length);
  else
    EVP_DigestUpdate(d->ctx, data, length);
}

/* At the end of the object: its bytes must have the digest the storage
 * stored. */
static pail_status digest_check(pail_resumable_reader *reader,
                                pail_error **err) {
  digest *d = reader->verify;
  unsigned char got[EVP_MAX_MD_SIZE];
  if (d->crc != 0) {
    for (size_t i = 0; i < d->size; i++) /* big-endian */
      got[i] = (unsigned char)(d->value >> (8 * (d->size - 1 - i)));
  } else {
    unsigned int n = 0;
    EVP_DigestFinal_ex(d->ctx, got, &n);
  }
  reader->verify = NULL; /* checked once */
  pail_status status = PAIL_OK;
  if (memcmp(got, d->expected, d->size) != 0) {
    char got_hex[2 * EVP_MAX_MD_SIZE + 1], want_hex[2 * EVP_MAX_MD_SIZE + 1];
    crypto_hex_encode(got, d->size, got_hex);
    crypto_hex_encode(d->expected, d->size, want_hex);
    status = pail_error_set(err, PAIL_ERR_IO, 0, "checksumMismatch", NULL,
                            "%s: %s: the downloaded data is corrupt: its %s "
                            "is %s, the storage has %s",
                            reader->source.label, reader->source.key, d->name,
                            got_hex, want_hex);
  } else {
    core_services.log(reader->cfg, PAIL_LOG_DEBUG,
                      "%s: %s: %llu bytes verified by their %s",
                      reader->source.label, reader->source.key,
                      (unsigned long long)reader->size, d->name);
  }
  digest_free(d);
  return status;
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
      if (reader->verify != NULL) {
        digest_update(reader->verify, buffer, *got);
        if (reader->next == reader->end &&
            (status = digest_check(reader, err)) != PAIL_OK)
          *got = 0; /* the last bytes are not given */
        return status;
      }
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
