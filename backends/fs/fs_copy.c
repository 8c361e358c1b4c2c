/*
 * fs_copy.c: server-side copies, done by the kernel (copy_file_range: a
 * reflink where the file system shares extents) into an atomic write.
 */
#include "fs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Streams src from *offset up to size into the writer when the kernel
 * cannot copy between them, advancing *offset by what was copied. Stops
 * early if the source ends early: the caller checks *offset. */
static pail_status copy_by_reading(int src, off_t *offset, uint64_t size,
                                   fs_writer *w, const char *src_key,
                                   pail_error **err) {
  unsigned char *buffer = malloc(FS_READ_BUFFER_SIZE);
  if (buffer == NULL)
    return fs_no_memory(err);
  pail_status status = PAIL_OK;
  while (status == PAIL_OK && (uint64_t)*offset < size) {
    uint64_t left = size - (uint64_t)*offset;
    ssize_t n =
        pread(src, buffer,
              left < FS_READ_BUFFER_SIZE ? (size_t)left : FS_READ_BUFFER_SIZE,
              *offset);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      status = fs_errno_error(err, errno, "read", src_key);
    else if (n == 0)
      break;
    else
      status = fs_writer_append(w, buffer, (size_t)n, err);
    *offset += n > 0 ? n : 0;
  }
  free(buffer);
  return status;
}

/* Moves *given into *kept when it is set, freeing what *kept held. */
static void attrs_take(char **kept, char **given) {
  if (*given == NULL)
    return;
  free(*kept);
  *kept = *given;
  *given = NULL;
}

pail_status fs_copy(void *instance, const char *src_key, const char *dst_key,
                    const pail_write_options *options, pail_error **err) {
  fs_instance *fs = instance;
  int src;
  struct stat st;
  pail_status status = fs_object_open(fs, src_key, &src, &st, err);
  if (status != PAIL_OK)
    return status;
  /* As the cloud backends copy: each attribute the options give replaces
   * the source's (metadata as a whole), the others are carried over. */
  fs_attrs attrs, given;
  status = fs_attrs_from_file(src, src_key, &attrs, err);
  if (status == PAIL_OK &&
      (status = fs_attrs_from_options(options, &given, err)) != PAIL_OK)
    fs_attrs_clear(&attrs);
  if (status == PAIL_OK) {
    attrs_take(&attrs.content_type, &given.content_type);
    attrs_take(&attrs.content_disposition, &given.content_disposition);
    if (given.metadata) {
      attrs_take(&attrs.metadata, &given.metadata);
      attrs.metadata_length = given.metadata_length;
    }
    fs_attrs_clear(&given);
  }
  fs_writer *w = NULL;
  if (status == PAIL_OK)
    status = fs_writer_open(fs, dst_key, &attrs,
                            options && options->if_none_match, &w, err);
  if (status != PAIL_OK) {
    close(src);
    return status;
  }
  char etag[FS_ETAG_SIZE];
  if (fs_etag_cache_get(src, &st, etag))
    memcpy(w->known_etag, etag, FS_ETAG_SIZE);
  uint64_t size = (uint64_t)st.st_size;
  off_t offset = 0;
  while (status == PAIL_OK && (uint64_t)offset < size) {
    size_t chunk = size - (uint64_t)offset < FS_COPY_CHUNK_SIZE
                       ? (size_t)(size - (uint64_t)offset)
                       : FS_COPY_CHUNK_SIZE;
    ssize_t n = copy_file_range(src, &offset, w->fd, NULL, chunk, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && offset == 0 &&
        (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
         errno == EOPNOTSUPP)) {
      status = copy_by_reading(src, &offset, size, w, src_key, err);
      break;
    }
    if (n < 0)
      status = fs_errno_error(err, errno, "copy", src_key);
    else if (n == 0)
      break; /* the source shrank: checked below */
    else
      w->hashed = false; /* bytes bypassed md5 */
  }
  /* Whichever way the bytes went, a source that ended before the size it
   * had when opened (truncated meanwhile) must not commit a short copy. */
  if (status == PAIL_OK && (uint64_t)offset != size)
    status = fs_core->error_set(
        err, PAIL_ERR_IO, 0, NULL, NULL,
        "fs: \"%s\" changed while it was copied: it ended after %llu of "
        "its %llu bytes; nothing was stored",
        src_key, (unsigned long long)offset, (unsigned long long)size);
  close(src);
  if (status != PAIL_OK) {
    fs_writer_discard(w);
    return status;
  }
  return fs_writer_commit(w, NULL, err);
}
