/*
 * fs_read.c: an object's info (stat) and reads, ranged and conditional.
 * A read hashes the file for its etag only when an If-Match needs it.
 */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum etag_need { ETAG_IF_CACHED, ETAG_ALWAYS } etag_need;

/* Fills info from an open file: size, mtime, etag (see need), and the
 * stored attributes, with a content type guessed from the key when none
 * was stored. */
static pail_status info_fill(int fd, const struct stat *st, const char *key,
                             etag_need need, pail_object_info *info,
                             pail_error **err) {
  info->size = (uint64_t)st->st_size;
  info->last_modified = st->st_mtim.tv_sec;
  info->last_modified_nsec = (int32_t)st->st_mtim.tv_nsec;
  char etag[FS_ETAG_SIZE];
  pail_status status = PAIL_OK;
  if (need == ETAG_ALWAYS)
    status = fs_etag_of_file(fd, st, key, etag, err);
  else if (!fs_etag_cache_get(fd, st, etag))
    etag[0] = '\0';
  if (status == PAIL_OK && etag[0] && (info->etag = strdup(etag)) == NULL)
    status = fs_no_memory(err);
  fs_attrs a;
  if (status == PAIL_OK)
    status = fs_attrs_from_file(fd, key, &a, err);
  if (status != PAIL_OK) {
    fs_core->object_info_clear(info);
    return status;
  }
  info->content_type = a.content_type;
  info->content_disposition = a.content_disposition;
  a.content_type = a.content_disposition = NULL;
  const char *guess = fs_core->content_type_guess(key);
  if ((info->content_type == NULL && guess != NULL &&
       (info->content_type = strdup(guess)) == NULL) ||
      fs_metadata_parse(a.metadata, a.metadata_length, info) != PAIL_OK)
    status = fs_no_memory(err);
  fs_attrs_clear(&a);
  if (status != PAIL_OK)
    fs_core->object_info_clear(info);
  return status;
}

pail_status fs_stat(void *instance, const char *key, pail_object_info *out,
                    pail_error **err) {
  int fd;
  struct stat st;
  pail_status status = fs_object_open(instance, key, &fd, &st, err);
  if (status != PAIL_OK)
    return status;
  status = info_fill(fd, &st, key, ETAG_ALWAYS, out, err);
  close(fd);
  return status;
}

typedef struct fs_reader {
  int fd;
  uint64_t position;
  uint64_t end;
  char *key; /* for messages */
} fs_reader;

pail_status fs_read_open(void *instance, const char *key,
                         const pail_read_options *options, void **stream,
                         pail_object_info *info, pail_error **err) {
  *stream = NULL;
  int fd;
  struct stat st;
  pail_status status = fs_object_open(instance, key, &fd, &st, err);
  if (status != PAIL_OK)
    return status;
  const char *if_match = options ? options->if_match : NULL;
  uint64_t offset = options ? options->offset : 0;
  uint64_t length = options ? options->length : PAIL_READ_TO_END;
  /* Hashing is a whole extra read: only when the caller needs the etag. */
  status = info_fill(fd, &st, key, if_match ? ETAG_ALWAYS : ETAG_IF_CACHED,
                     info, err);
  if (status == PAIL_OK && if_match && !fs_etag_matches(info->etag, if_match))
    status = fs_core->error_set(
        err, PAIL_ERR_CONFLICT, 412, "PreconditionFailed", NULL,
        "fs: \"%s\" has etag %s, not %s", key, info->etag, if_match);
  if (status == PAIL_OK && offset > info->size)
    status = fs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 416, NULL, NULL,
                                "fs: range starts at byte %" PRIu64
                                " but \"%s\" has %" PRIu64 " bytes",
                                offset, key, info->size);
  fs_reader *r = NULL;
  if (status == PAIL_OK &&
      ((r = calloc(1, sizeof *r)) == NULL || (r->key = strdup(key)) == NULL))
    status = fs_no_memory(err);
  if (status != PAIL_OK) {
    if (r)
      free(r);
    close(fd);
    fs_core->object_info_clear(info);
    return status;
  }
  r->fd = fd;
  r->position = offset;
  uint64_t available = info->size - offset;
  r->end = offset + (length < available ? length : available);
  (void)posix_fadvise(fd, (off_t)offset, (off_t)(r->end - offset),
                      POSIX_FADV_SEQUENTIAL);
  *stream = r;
  return PAIL_OK;
}

pail_status fs_read_stream(void *stream, void *buffer, size_t capacity,
                           size_t *got, pail_error **err) {
  fs_reader *r = stream;
  *got = 0;
  uint64_t left = r->end - r->position;
  size_t want = capacity < left ? capacity : (size_t)left;
  while (*got < want) {
    ssize_t n = pread(r->fd, (char *)buffer + *got, want - *got,
                      (off_t)(r->position + *got));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return fs_errno_error(err, errno, "read", r->key);
    if (n == 0)
      break; /* the file shrank: the core reports the short read */
    *got += (size_t)n;
  }
  r->position += *got;
  return PAIL_OK;
}

/* The rest of the read as a range of the file it holds open: the object
 * as read_open found it, even if a write replaces the key meanwhile (a
 * commit renames another file over it). */
pail_status fs_read_file(void *stream, int *fd, uint64_t *offset,
                         uint64_t *length, pail_error **err) {
  fs_reader *r = stream;
  *fd = -1;
  if ((*fd = fcntl(r->fd, F_DUPFD_CLOEXEC, 0)) < 0)
    return fs_errno_error(err, errno, "read", r->key);
  *offset = r->position;
  *length = r->end - r->position;
  r->position = r->end;
  return PAIL_OK;
}

void fs_read_close(void *stream) {
  fs_reader *r = stream;
  if (r == NULL)
    return;
  close(r->fd);
  free(r->key);
  free(r);
}
