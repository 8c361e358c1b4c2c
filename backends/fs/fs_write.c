/*
 * fs_write.c: atomic writes. The bytes go to a temporary file beside where
 * the object goes, hashed on the way for the etag; commit fsyncs it and
 * renames it into place (without replacing, for a create-only write), so a
 * reader sees the old object or the new one, never part of one.
 */
#include "fs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/xattr.h>
#include <unistd.h>

#define TEMP_ATTEMPTS 16
#define WRITE_BUFFER_SIZE (256u << 10)

/* Unlinks the temporary file, removes the directories this write created,
 * frees the writer. */
void fs_writer_discard(fs_writer *w) {
  if (w == NULL)
    return;
  if (w->fd >= 0) {
    close(w->fd);
    unlinkat(w->path.dirfd, w->temp_name, 0);
  }
  if (w->path.created_from != SIZE_MAX)
    fs_path_prune(w->fs, w->path.segments, w->path.depth, w->path.created_from);
  fs_path_clear(&w->path);
  EVP_MD_CTX_free(w->md5);
  fs_attrs_clear(&w->attrs);
  free(w->buffer);
  free(w->key);
  free(w);
}

/* Creates the temporary file beside where key's file goes. ENOENT (the
 * directory was just removed by a concurrent delete) is returned as is so
 * that the caller walks again. */
static int temp_create(fs_writer *w) {
  for (int attempt = 0; attempt < TEMP_ATTEMPTS; attempt++) {
    unsigned char random[8];
    char hex[2 * sizeof random + 1];
    if (getrandom(random, sizeof random, 0) != (ssize_t)sizeof random)
      return errno ? errno : EIO;
    fs_core->hex_encode(random, sizeof random, hex);
    snprintf(w->temp_name, sizeof w->temp_name, FS_TEMP_PREFIX "%s", hex);
    w->fd = openat(w->path.dirfd, w->temp_name,
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (w->fd >= 0) {
      /* The lock tells `pail cleanup` that this write is alive (it goes
       * with the process, even a killed one); the key says what it was
       * for. Both best effort: without them the file's age decides. */
      flock(w->fd, LOCK_SH | LOCK_NB);
      fsetxattr(w->fd, FS_XATTR_TEMP_KEY, w->key, strlen(w->key), 0);
      return 0;
    }
    if (errno != EEXIST)
      return errno;
  }
  return EEXIST;
}

/* Opens a write of key with attrs (taken over by the writer). */
pail_status fs_writer_open(fs_instance *fs, const char *key, fs_attrs *attrs,
                           bool create_only, fs_writer **out,
                           pail_error **err) {
  *out = NULL;
  fs_writer *w = calloc(1, sizeof *w);
  pail_status status = w && (w->key = strdup(key)) ? fs_md5_begin(&w->md5, err)
                                                   : fs_no_memory(err);
  if (status != PAIL_OK) {
    if (w != NULL)
      free(w->key);
    free(w);
    fs_attrs_clear(attrs);
    return status;
  }
  w->fs = fs;
  w->fd = -1;
  w->path.dirfd = -1;
  w->path.created_from = SIZE_MAX;
  w->create_only = create_only;
  w->hashed = true;
  w->attrs = *attrs;
  memset(attrs, 0, sizeof *attrs);
  for (int attempt = 0;; attempt++) {
    status = fs_path_open(fs, key, FS_WALK_CREATE, &w->path, err);
    if (status != PAIL_OK)
      break;
    struct stat st;
    if (create_only &&
        fstatat(w->path.dirfd, w->path.leaf, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      /* Checked again, race-free, at commit; failing here saves sending
       * the data for nothing. */
      status =
          fs_core->error_set(err, PAIL_ERR_CONFLICT, 412, "PreconditionFailed",
                             NULL, "fs: \"%s\" already exists", key);
      break;
    }
    int errnum = temp_create(w);
    if (errnum == 0)
      break;
    if (errnum != ENOENT || attempt + 1 == FS_WALK_ATTEMPTS) {
      status = fs_errno_error(err, errnum, "create a temporary file for", key);
      break;
    }
    fs_path_clear(&w->path);
    w->path.created_from = SIZE_MAX;
  }
  if (status == PAIL_OK)
    status = fs_attrs_apply(&w->attrs, w->fd, key, fs->cfg, err);
  if (status != PAIL_OK) {
    fs_writer_discard(w);
    return status;
  }
  *out = w;
  return PAIL_OK;
}

static int write_all(int fd, const void *data, size_t length) {
  const char *p = data;
  while (length > 0) {
    ssize_t n = write(fd, p, length);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return errno;
    p += n;
    length -= (size_t)n;
  }
  return 0;
}

static pail_status writer_flush(fs_writer *w, pail_error **err) {
  int errnum = w->buffered ? write_all(w->fd, w->buffer, w->buffered) : 0;
  w->buffered = 0;
  return errnum ? fs_errno_error(err, errnum, "write", w->key) : PAIL_OK;
}

/* Small writes are gathered so that a caller writing a byte at a time does
 * not make a system call per byte. */
pail_status fs_writer_append(fs_writer *w, const void *data, size_t length,
                             pail_error **err) {
  EVP_DigestUpdate(w->md5, data, length);
  w->size += length;
  if (w->buffered + length <= WRITE_BUFFER_SIZE) {
    if (w->buffer == NULL && (w->buffer = malloc(WRITE_BUFFER_SIZE)) == NULL)
      return fs_no_memory(err);
    memcpy(w->buffer + w->buffered, data, length);
    w->buffered += length;
    return PAIL_OK;
  }
  pail_status status = writer_flush(w, err);
  if (status != PAIL_OK)
    return status;
  int errnum = write_all(w->fd, data, length);
  return errnum ? fs_errno_error(err, errnum, "write", w->key) : PAIL_OK;
}

/* Moves the temporary file into place: replacing, or (create_only) only
 * when nothing is there, atomically. */
static pail_status writer_publish(fs_writer *w, pail_error **err) {
  int dirfd = w->path.dirfd;
  const char *leaf = w->path.leaf;
  int result;
  if (w->create_only) {
    result = renameat2(dirfd, w->temp_name, dirfd, leaf, RENAME_NOREPLACE);
    if (result != 0 && (errno == EINVAL || errno == ENOSYS)) {
      /* No RENAME_NOREPLACE on this file system: link() also refuses an
       * existing name, atomically. */
      result = linkat(dirfd, w->temp_name, dirfd, leaf, 0);
      if (result == 0)
        unlinkat(dirfd, w->temp_name, 0);
    }
  } else {
    result = renameat(dirfd, w->temp_name, dirfd, leaf);
  }
  if (result == 0)
    return PAIL_OK;
  int errnum = errno;
  struct stat st;
  bool is_folder = fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                   S_ISDIR(st.st_mode);
  if (is_folder)
    return fs_core->error_set(err, PAIL_ERR_CONFLICT, 0, NULL, NULL,
                              "fs: cannot store \"%s\": it is a folder (it "
                              "holds other objects)",
                              w->key);
  if (errnum == EEXIST)
    return fs_core->error_set(err, PAIL_ERR_CONFLICT, 412, "PreconditionFailed",
                              NULL, "fs: \"%s\" already exists", w->key);
  return fs_errno_error(err, errnum, "store", w->key);
}

pail_status fs_writer_commit(fs_writer *w, pail_object_info *info,
                             pail_error **err) {
  pail_status status = writer_flush(w, err);
  struct stat st;
  char etag[FS_ETAG_SIZE] = "";
  if (status == PAIL_OK && fstat(w->fd, &st) != 0)
    status = fs_errno_error(err, errno, "stat", w->key);
  if (status == PAIL_OK && w->hashed) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(w->md5, digest, &length);
    fs_etag_from_digest(digest, etag);
  } else if (status == PAIL_OK && w->known_etag[0]) {
    memcpy(etag, w->known_etag, FS_ETAG_SIZE);
  }
  if (status == PAIL_OK && etag[0])
    fs_etag_cache_put(w->fd, &st, etag);
  /* The object is no temporary file: it keeps no trace of having been
   * one. */
  if (status == PAIL_OK)
    fremovexattr(w->fd, FS_XATTR_TEMP_KEY);
  if (status == PAIL_OK && fsync(w->fd) != 0)
    status = fs_errno_error(err, errno, "flush", w->key);
  if (status == PAIL_OK)
    status = writer_publish(w, err);
  if (status != PAIL_OK) {
    fs_writer_discard(w);
    return status;
  }
  close(w->fd);
  w->fd = -1; /* published: nothing left to unlink */
  if (fsync(w->path.dirfd) != 0)
    fs_core->log(w->fs->cfg, PAIL_LOG_WARNING,
                 "fs: \"%s\" is stored, but flushing its directory failed "
                 "(errno %d): it may not survive a crash",
                 w->key, errno);
  if (info != NULL) {
    info->size = (uint64_t)st.st_size;
    info->last_modified = st.st_mtim.tv_sec;
    info->last_modified_nsec = (int32_t)st.st_mtim.tv_nsec;
    const char *type = w->attrs.content_type
                           ? w->attrs.content_type
                           : fs_core->content_type_guess(w->key);
    if ((etag[0] && (info->etag = strdup(etag)) == NULL) ||
        (type && (info->content_type = strdup(type)) == NULL) ||
        (w->attrs.content_disposition &&
         (info->content_disposition = strdup(w->attrs.content_disposition)) ==
             NULL) ||
        fs_metadata_parse(w->attrs.metadata, w->attrs.metadata_length, info) !=
            PAIL_OK) {
      fs_core->object_info_clear(info); /* the object is stored all the same */
    }
  }
  w->path.created_from = SIZE_MAX; /* keep the directories */
  fs_writer_discard(w);
  return PAIL_OK;
}

pail_status fs_write_open(void *instance, const char *key,
                          const pail_write_options *options, void **stream,
                          pail_error **err) {
  *stream = NULL;
  fs_attrs attrs;
  pail_status status = fs_attrs_from_options(options, &attrs, err);
  if (status != PAIL_OK)
    return status;
  fs_writer *w;
  status = fs_writer_open(instance, key, &attrs,
                          options && options->if_none_match, &w, err);
  if (status == PAIL_OK)
    *stream = w;
  return status;
}

pail_status fs_write_stream(void *stream, const void *buffer, size_t length,
                            pail_error **err) {
  return fs_writer_append(stream, buffer, length, err);
}

/* A range of a local file (pail_upload): copied by the kernel
 * (copy_file_range: no copy through this process, a reflink where the file
 * system shares extents), as fs_copy does. The bytes bypass MD5, so the
 * etag is computed when first asked for, as after a copy. Where the kernel
 * cannot copy between the two files, they are read and written. */
pail_status fs_write_stream_file(void *stream, int fd, uint64_t offset,
                                 uint64_t length, pail_error **err) {
  fs_writer *w = stream;
  pail_status status = writer_flush(w, err);
  off_t at = (off_t)offset;
  while (status == PAIL_OK && length > 0 && !w->no_copy_range) {
    size_t chunk =
        length < FS_COPY_CHUNK_SIZE ? (size_t)length : FS_COPY_CHUNK_SIZE;
    ssize_t n = copy_file_range(fd, &at, w->fd, NULL, chunk, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
                  errno == EOPNOTSUPP)) {
      w->no_copy_range = true; /* nothing was copied by this call */
      break;
    }
    if (n < 0)
      return fs_errno_error(err, errno, "write", w->key);
    if (n == 0)
      return fs_core->error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                                "fs: cannot store \"%s\": the local file ended "
                                "early (it changed during the upload)",
                                w->key);
    w->hashed = false;
    w->size += (uint64_t)n;
    length -= (uint64_t)n;
  }
  unsigned char *buffer = NULL;
  while (status == PAIL_OK && length > 0) {
    if (buffer == NULL && (buffer = malloc(FS_READ_BUFFER_SIZE)) == NULL)
      return fs_no_memory(err);
    size_t want =
        length < FS_READ_BUFFER_SIZE ? (size_t)length : FS_READ_BUFFER_SIZE;
    ssize_t n = pread(fd, buffer, want, at);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      status = fs_errno_error(err, errno, "read the local file for", w->key);
    else if (n == 0)
      status = fs_core->error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                                  "fs: cannot store \"%s\": the local file "
                                  "ended early (it changed during the "
                                  "upload)",
                                  w->key);
    else
      status = fs_writer_append(w, buffer, (size_t)n, err);
    if (n > 0) {
      at += n;
      length -= (uint64_t)n;
    }
  }
  free(buffer);
  return status;
}

pail_status fs_write_commit(void *stream, pail_object_info *info,
                            pail_error **err) {
  return fs_writer_commit(stream, info, err);
}

void fs_write_abort(void *stream) {
  fs_writer_discard(stream);
}
