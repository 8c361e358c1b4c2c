/*
 * transfer.c: operations built from readers and writers: whole-buffer read
 * and write, download to and upload from local files, and copy. All stream
 * through one bounded buffer; none holds an object in memory (but pail_read,
 * whose point is to).
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TRANSFER_BUFFER_SIZE (1u << 20)

/* Calls the caller's progress callback, when there is one; a nonzero
 * return cancels the transfer (PAIL_ERR_CANCELLED, naming key). A write is
 * aborted on that failure, and its message says so. */
static pail_status report_progress_of(pail_progress_fn progress,
                                      void *user_data, uint64_t done,
                                      uint64_t total, const char *key,
                                      bool writing, pail_error **err) {
  if (progress == NULL || progress(user_data, done, total) == 0)
    return PAIL_OK;
  return pail_error_set(err, PAIL_ERR_CANCELLED, 0, NULL, NULL,
                        "the transfer of \"%s\" was cancelled after %llu "
                        "bytes%s",
                        key, (unsigned long long)done,
                        writing ? "; nothing was stored" : "");
}

static pail_status report_progress(pail_progress_fn progress, void *user_data,
                                   uint64_t done, uint64_t total,
                                   const char *key, pail_error **err) {
  return report_progress_of(progress, user_data, done, total, key, false, err);
}

/* The same, for a write. */
static pail_status report_write_progress(pail_progress_fn progress,
                                         void *user_data, uint64_t done,
                                         uint64_t total, const char *key,
                                         pail_error **err) {
  return report_progress_of(progress, user_data, done, total, key, true, err);
}

/* The last call, once the transfer is complete: too late to cancel. */
static void report_done(pail_progress_fn progress, void *user_data,
                        uint64_t done) {
  if (progress != NULL)
    (void)progress(user_data, done, done);
}

/* read(2) that retries when a signal interrupts it, unless the progress
 * callback then cancels (a flag set by the caller's signal handler), so a
 * transfer blocked on a pipe stops at once. Returns the count, or -1 with
 * errno set, or -2 when cancelled (*status set). */
static ssize_t read_or_cancel(int fd, void *buffer, size_t capacity,
                              pail_progress_fn progress, void *user_data,
                              uint64_t done, uint64_t total, const char *key,
                              pail_status *status, pail_error **err) {
  for (;;) {
    ssize_t n = read(fd, buffer, capacity);
    if (n >= 0 || errno != EINTR)
      return n;
    *status = report_write_progress(progress, user_data, done, total, key, err);
    if (*status != PAIL_OK)
      return -2;
  }
}

/* The bytes a read with opts will yield from an object of object_size. */
static uint64_t read_extent(const pail_read_options *opts,
                            uint64_t object_size) {
  uint64_t rest = object_size > opts->offset ? object_size - opts->offset : 0;
  return opts->length < rest ? opts->length : rest;
}

/* Whole reads whose object another writer replaced while they ran are
 * started again from the start, at most this many times. */
#define READ_RESTARTS 2

/* Whether a failed read may be started again from the start: the object
 * changed while it was being read (a resumed request pinned to the version
 * being read met a new one: HTTP 412), the caller pinned no version of its
 * own (if_match), none of the bytes has reached the caller yet, and
 * restarts are left. Then e's error is dropped (logged) and true returned:
 * the read yields one version whole, never two mixed (rclone's retries
 * likewise fetch a changed object again from the start). */
static bool read_again(pail_workspace *ws, const pail_read_options *opts,
                       pail_status status, pail_error **e, int *restarts) {
  if (status != PAIL_ERR_CONFLICT || opts->if_match != NULL || *e == NULL ||
      pail_error_http_status(*e) != 412 || *restarts <= 0)
    return false;
  (*restarts)--;
  workspace_log(ws, PAIL_LOG_INFO, "%s: reading it again from the start",
                pail_error_message(*e));
  pail_error_free(*e);
  *e = NULL;
  return true;
}

/* Hands e to the caller (err may be NULL) and returns status. */
static pail_status error_hand_over(pail_error **err, pail_error *e,
                                   pail_status status) {
  if (err != NULL)
    *err = e;
  else
    pail_error_free(e);
  return status;
}

static pail_status read_whole(pail_workspace *ws, const pail_pointer *ptr,
                              const pail_read_options *opts, void **data,
                              size_t *length, pail_error **err) {
  pail_reader *r = NULL;
  pail_status status =
      reader_open(ws, ptr, opts, opts->length != PAIL_READ_TO_END, &r, err);
  if (status != PAIL_OK)
    return status;
  uint64_t size = read_extent(opts, pail_reader_info(r)->size);
  if (size >= SIZE_MAX) {
    pail_reader_close(r);
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "\"%s\" is too large to read into memory", ptr->key);
  }
  char *buffer = malloc((size_t)size + 1);
  if (buffer == NULL) {
    pail_reader_close(r);
    return error_no_memory(err);
  }
  size_t filled = 0, got = 0;
  do {
    status =
        pail_reader_read(r, buffer + filled, (size_t)size - filled, &got, err);
    filled += got;
    if (status == PAIL_OK && got > 0)
      status = report_progress(opts->progress, opts->progress_user_data, filled,
                               size, ptr->key, err);
  } while (status == PAIL_OK && got > 0);
  pail_reader_close(r);
  if (status != PAIL_OK) {
    free(buffer);
    return status;
  }
  buffer[filled] = '\0';
  *data = buffer;
  *length = filled;
  return PAIL_OK;
}

pail_status pail_read(pail_workspace *ws, const pail_pointer *ptr,
                      const pail_read_options *options, void **data,
                      size_t *length, pail_error **err) {
  ARGUMENT_REQUIRED(err, data, "place for the data");
  ARGUMENT_REQUIRED(err, length, "place for the length");
  *data = NULL;
  *length = 0;
  ARGUMENT_REQUIRED(err, ws, "workspace");
  ARGUMENT_REQUIRED(err, ptr, "pointer");
  pail_read_options opts = PAIL_READ_OPTIONS_INIT;
  OPTIONS_ADOPT(opts, options);
  pail_error *e = NULL;
  int restarts = READ_RESTARTS;
  pail_status status;
  do
    status = read_whole(ws, ptr, &opts, data, length, &e);
  while (read_again(ws, &opts, status, &e, &restarts));
  return error_hand_over(err, e, status);
}

pail_status pail_write(pail_workspace *ws, const pail_pointer *ptr,
                       const void *data, size_t length,
                       const pail_write_options *options, pail_error **err) {
  ARGUMENT_REQUIRED(err, ws, "workspace");
  ARGUMENT_REQUIRED(err, ptr, "pointer");
  if (length > 0)
    ARGUMENT_REQUIRED(err, data, "data");
  pail_write_options opts = PAIL_WRITE_OPTIONS_INIT;
  OPTIONS_ADOPT(opts, options);
  if (opts.size_hint == 0)
    opts.size_hint = length;
  pail_writer *w = NULL;
  pail_status status = pail_writer_open(ws, ptr, &opts, &w, err);
  if (status != PAIL_OK)
    return status;
  status = pail_writer_write(w, data, length, err);
  if (status != PAIL_OK) {
    pail_writer_abort(w);
    return status;
  }
  status = pail_writer_close(w, NULL, err);
  if (status == PAIL_OK)
    report_done(opts.progress, opts.progress_user_data, length);
  return status;
}

/* Streams reader r into writer w; aborts w on failure. Reports progress of
 * total bytes through opts. *reading says whether it was the read that
 * failed. */
static pail_status pump(pail_reader *r, pail_writer *w,
                        const pail_write_options *opts, uint64_t total,
                        const char *key, bool *reading, pail_error **err) {
  char *buffer = malloc(TRANSFER_BUFFER_SIZE);
  if (buffer == NULL) {
    pail_writer_abort(w);
    return error_no_memory(err);
  }
  pail_status status;
  size_t got = 0;
  uint64_t done = 0;
  do {
    status = pail_reader_read(r, buffer, TRANSFER_BUFFER_SIZE, &got, err);
    *reading = status != PAIL_OK;
    if (status == PAIL_OK && got > 0)
      status = pail_writer_write(w, buffer, got, err);
    done += got;
    if (status == PAIL_OK && got > 0)
      status = report_write_progress(opts->progress, opts->progress_user_data,
                                     done, total, key, err);
  } while (status == PAIL_OK && got > 0);
  free(buffer);
  if (status != PAIL_OK) {
    pail_writer_abort(w);
    return status;
  }
  return pail_writer_close(w, NULL, err);
}

static pail_status local_error(pail_error **err, int error_number,
                               const char *what, const char *path) {
  pail_status category = error_number == ENOENT   ? PAIL_ERR_NOT_FOUND
                         : error_number == EACCES ? PAIL_ERR_ACCESS_DENIED
                         : error_number == EPERM  ? PAIL_ERR_ACCESS_DENIED
                         : error_number == EISDIR ? PAIL_ERR_INVALID_ARGUMENT
                                                  : PAIL_ERR_IO;
  return pail_error_set(err, category, 0, NULL, NULL, "%s %s: %s", what, path,
                        strerror(error_number));
}

/* Where a download's blocks could not be reserved up front (a file system
 * without fallocate, a size not known), it is written in blocks of at most
 * this size. Larger writes go into large page-cache folios, and on the
 * project's 2-CPU VM copying into those was now and then several times
 * slower when ext4 allocated the blocks as they came (perf: the kernel's
 * copy_folio_from_iter_atomic): 1 GiB from nginx in 1 MiB writes took 0.65
 * to 2.06 CPU s from run to run, in 64 KiB writes 0.93 to 0.99 (curl, 16
 * KiB writes: 1.20 to 1.22). Into reserved blocks, whole 1 MiB writes took
 * 0.47 to 0.54 CPU s, and 64 KiB ones 0.72 to 0.76. */
#define LOCAL_WRITE_BLOCK ((size_t)64 << 10)

static pail_status write_all(int fd, const char *data, size_t length,
                             size_t block, const char *path, pail_error **err) {
  while (length > 0) {
    ssize_t n = write(fd, data, length < block ? length : block);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return local_error(err, errno, "cannot write", path);
    data += n;
    length -= (size_t)n;
  }
  return PAIL_OK;
}

/* Reserves the blocks of a download of total bytes into the new file fd,
 * as rclone does: the file system allocates them at once instead of block
 * by block as writes come, and a disk without room for the object says so
 * before a byte is written. The size stays 0 until the bytes are written
 * (FALLOC_FL_KEEP_SIZE). *reserved says whether it did; a file system that
 * cannot reserve is no error. */
static pail_status reserve(int fd, uint64_t total, const char *path,
                           bool *reserved, pail_error **err) {
  *reserved = false;
  if (total == 0 || total > (uint64_t)INT64_MAX)
    return PAIL_OK;
  if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)total) == 0) {
    *reserved = true;
    return PAIL_OK;
  }
  if (errno == ENOSPC || errno == EDQUOT || errno == EFBIG)
    return pail_error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                          "no room for %llu bytes at %s: %s",
                          (unsigned long long)total, path, strerror(errno));
  return PAIL_OK; /* EOPNOTSUPP, ENOSYS, EINTR...: written as it comes */
}

/* Copies the rest of r into fd in writes of at most block bytes,
 * reporting progress of total bytes; *written counts what reached fd. */
static pail_status download_stream(pail_reader *r, int fd, size_t block,
                                   const char *local_path,
                                   const pail_read_options *opts,
                                   uint64_t total, const char *key,
                                   uint64_t *written, pail_error **err) {
  char *buffer = malloc(TRANSFER_BUFFER_SIZE);
  if (buffer == NULL)
    return error_no_memory(err);
  pail_status status = PAIL_OK;
  size_t got = 0;
  while (status == PAIL_OK) {
    status = pail_reader_read(r, buffer, TRANSFER_BUFFER_SIZE, &got, err);
    if (status != PAIL_OK || got == 0)
      break;
    status = write_all(fd, buffer, got, block, local_path, err);
    *written += got;
    if (status == PAIL_OK)
      status = report_progress(opts->progress, opts->progress_user_data,
                               *written, total, key, err);
  }
  free(buffer);
  return status;
}

/* Creates a new file beside local_path, so that the final rename stays
 * within one file system and is atomic. Not mkstemp: its 0600 would need
 * the umask to restore the mode a plain create gives, and the umask can
 * only be read by setting it, process-wide, racing every other thread's
 * creates (files and folders made world-writable). *tmp is the name. */
static pail_status temp_beside(const char *local_path, int *fd, char **tmp,
                               pail_error **err) {
  *fd = -1;
  *tmp = NULL;
  const char *slash = strrchr(local_path, '/');
  int dir_length = slash ? (int)(slash - local_path) + 1 : 0;
  const char *base = local_path + dir_length;
  for (int attempt = 0; attempt < 16; attempt++) {
    unsigned char random[8];
    char hex[2 * sizeof random + 1];
    if (crypto_random(random, sizeof random, err) != PAIL_OK)
      return PAIL_ERR_INTERNAL;
    crypto_hex_encode(random, sizeof random, hex);
    /* The base is cut so that the name stays under NAME_MAX. */
    *tmp = str_printf("%.*s.%.200s.pail-%s", dir_length, local_path, base, hex);
    if (*tmp == NULL)
      return error_no_memory(err);
    *fd =
        open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (*fd >= 0)
      return PAIL_OK;
    int errnum = errno;
    free(*tmp);
    *tmp = NULL;
    if (errnum != EEXIST)
      return local_error(err, errnum, "cannot create a file beside",
                         local_path);
  }
  return local_error(err, EEXIST, "cannot create a file beside", local_path);
}

/* Opens what a download writes to: a device, pipe or socket (/dev/null,
 * /dev/stdout, a FIFO) is written to, never replaced: renaming over it
 * would swap /dev/null for a file when running as root, and there is no
 * file there to keep whole. Anything else gets a new file beside it
 * (*tmp), moved into place once complete. */
static pail_status download_target(const char *local_path, int *fd, char **tmp,
                                   pail_error **err) {
  struct stat st;
  if (stat(local_path, &st) == 0 && !S_ISREG(st.st_mode) &&
      !S_ISDIR(st.st_mode)) {
    *tmp = NULL;
    *fd = open(local_path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    return *fd >= 0 ? PAIL_OK
                    : local_error(err, errno, "cannot write", local_path);
  }
  return temp_beside(local_path, fd, tmp, err);
}

pail_status pail_download(pail_workspace *ws, const pail_pointer *ptr,
                          const char *local_path,
                          const pail_read_options *options, pail_error **err) {
  ARGUMENT_REQUIRED(err, ws, "workspace");
  ARGUMENT_REQUIRED(err, ptr, "pointer");
  ARGUMENT_REQUIRED(err, local_path, "local path");
  pail_read_options opts = PAIL_READ_OPTIONS_INIT;
  OPTIONS_ADOPT(opts, options);
  pail_error *e = NULL;
  pail_status status;
  char *tmp = NULL;
  int fd = -1, restarts = READ_RESTARTS;
  for (;;) {
    uint64_t written = 0;
    /* The object is opened first: a missing key must not create a local
     * file. */
    pail_reader *r = NULL;
    status = pail_reader_open(ws, ptr, &opts, &r, &e);
    if (status == PAIL_OK && fd < 0)
      status = download_target(local_path, &fd, &tmp, &e);
    if (status == PAIL_OK) {
      uint64_t total = read_extent(&opts, pail_reader_info(r)->size);
      bool reserved = false;
      if (tmp != NULL)
        status = reserve(fd, total, local_path, &reserved, &e);
      if (status == PAIL_OK)
        status = download_stream(
            r, fd, reserved ? TRANSFER_BUFFER_SIZE : LOCAL_WRITE_BLOCK,
            local_path, &opts, total, ptr->key, &written, &e);
    }
    pail_reader_close(r);
    /* What went to a device cannot be taken back; a file starts anew. */
    if ((tmp == NULL && written > 0) ||
        !read_again(ws, &opts, status, &e, &restarts))
      break;
    if (tmp != NULL && (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)) {
      status = local_error(&e, errno, "cannot write", local_path);
      break;
    }
  }
  if (tmp == NULL) {
    if (fd >= 0 && close(fd) != 0 && status == PAIL_OK)
      status = local_error(&e, errno, "cannot write", local_path);
    return error_hand_over(err, e, status);
  }
  if (status == PAIL_OK && fsync(fd) != 0)
    status = local_error(&e, errno, "cannot flush", local_path);
  if (close(fd) != 0 && status == PAIL_OK)
    status = local_error(&e, errno, "cannot write", local_path);
  if (status == PAIL_OK && rename(tmp, local_path) != 0)
    status = local_error(&e, errno, "cannot move the download into place at",
                         local_path);
  if (status != PAIL_OK)
    unlink(tmp);
  free(tmp);
  return error_hand_over(err, e, status);
}

pail_status pail_upload(pail_workspace *ws, const pail_pointer *ptr,
                        const char *local_path,
                        const pail_write_options *options, pail_error **err) {
  ARGUMENT_REQUIRED(err, ws, "workspace");
  ARGUMENT_REQUIRED(err, ptr, "pointer");
  ARGUMENT_REQUIRED(err, local_path, "local path");
  bool from_stdin = strcmp(local_path, "-") == 0;
  /* Open and check the local side first: an unreadable file must not
   * create anything in the storage. */
  int fd = from_stdin ? STDIN_FILENO : open(local_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return local_error(err, errno, "cannot read", local_path);
  /* st is only looked at once fstat has filled it: a closed standard
   * input (EBADF) would otherwise test an uninitialised mode. */
  struct stat st;
  int stat_error = fstat(fd, &st) != 0   ? errno
                   : S_ISDIR(st.st_mode) ? EISDIR
                                         : 0;
  if (stat_error != 0) {
    if (!from_stdin)
      close(fd);
    return local_error(err, stat_error, "cannot read", local_path);
  }
  pail_write_options opts = PAIL_WRITE_OPTIONS_INIT;
  OPTIONS_ADOPT(opts, options);
  if (opts.size_hint == 0 && S_ISREG(st.st_mode))
    opts.size_hint = (uint64_t)st.st_size;
  char *buffer = malloc(TRANSFER_BUFFER_SIZE);
  pail_writer *w = NULL;
  pail_status status = buffer ? PAIL_OK : error_no_memory(err);
  /* Read the first block before opening the writer, so that a file that
   * opens but cannot be read (a directory on some systems, EIO) fails
   * before the storage is touched. */
  ssize_t n = 0;
  uint64_t done = 0, total = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
  if (status == PAIL_OK) {
    n = read_or_cancel(fd, buffer, TRANSFER_BUFFER_SIZE, opts.progress,
                       opts.progress_user_data, done, total, ptr->key, &status,
                       err);
    if (n == -1)
      status = local_error(err, errno, "cannot read", local_path);
  }
  if (status == PAIL_OK)
    status = pail_writer_open(ws, ptr, &opts, &w, err);
  /* A regular file whose backend takes file ranges is handed over by
   * ranges: the backend sends its parts straight from the file rather
   * than copying them into part buffers. The size is the one at the
   * start; the first block was only read to check the file. */
  if (status == PAIL_OK && S_ISREG(st.st_mode) && writer_takes_files(w)) {
    free(buffer);
    buffer = NULL;
    while (status == PAIL_OK && done < total) {
      uint64_t step = total - done < TRANSFER_BUFFER_SIZE
                          ? total - done
                          : TRANSFER_BUFFER_SIZE;
      status = writer_write_file(w, fd, done, step, err);
      if (status != PAIL_OK)
        break;
      done += step;
      status = report_write_progress(opts.progress, opts.progress_user_data,
                                     done, total, ptr->key, err);
    }
    n = 0;
  }
  while (status == PAIL_OK && n > 0) {
    status = pail_writer_write(w, buffer, (size_t)n, err);
    if (status != PAIL_OK)
      break;
    done += (uint64_t)n;
    status = report_write_progress(opts.progress, opts.progress_user_data, done,
                                   total, ptr->key, err);
    if (status != PAIL_OK)
      break;
    n = read_or_cancel(fd, buffer, TRANSFER_BUFFER_SIZE, opts.progress,
                       opts.progress_user_data, done, total, ptr->key, &status,
                       err);
    if (n == -1)
      status = local_error(err, errno, "cannot read", local_path);
  }
  free(buffer);
  /* The writer may read the file until it is closed or aborted. */
  if (w != NULL && status != PAIL_OK)
    pail_writer_abort(w);
  else if (w != NULL)
    status = pail_writer_close(w, NULL, err);
  if (!from_stdin)
    close(fd);
  return status;
}

static bool same_storage(const pail_pointer *a, const pail_pointer *b) {
  const char *x =
      a->storage && strcmp(a->storage, "_default_") != 0 ? a->storage : NULL;
  const char *y =
      b->storage && strcmp(b->storage, "_default_") != 0 ? b->storage : NULL;
  return x == y || (x && y && strcmp(x, y) == 0);
}

/* Copies src to dst through the client: the object is read (with
 * read_options) and written again, with its content type, disposition and
 * metadata unless the caller's options name their own. *reading says
 * whether it was reading that failed. */
static pail_status copy_streamed(pail_workspace *ws, const pail_pointer *src,
                                 const pail_pointer *dst,
                                 const storage_handle *to,
                                 const pail_write_options *options,
                                 const pail_read_options *read_options,
                                 bool *reading, pail_error **err) {
  pail_reader *r = NULL;
  *reading = true;
  pail_status status = pail_reader_open(ws, src, read_options, &r, err);
  if (status != PAIL_OK)
    return status;
  const pail_object_info *info = pail_reader_info(r);
  pail_write_options opts = *options;
  if (opts.size_hint == 0)
    opts.size_hint = info->size;
  if (opts.content_type == NULL)
    opts.content_type = info->content_type;
  if (opts.content_disposition == NULL)
    opts.content_disposition = info->content_disposition;
  /* User metadata travels too, as in a server-side copy, unless the caller
   * gave its own. A destination that cannot store it would refuse the
   * whole write: the bytes matter more, so it is dropped, with a word. */
  if (opts.metadata_count == 0 && info->metadata_count > 0) {
    if (to->backend->ops.capabilities & PAIL_CAP_METADATA) {
      opts.metadata = info->metadata;
      opts.metadata_count = info->metadata_count;
    } else {
      workspace_log(ws, PAIL_LOG_WARNING,
                    "copy of \"%s\": the %s backend of the destination "
                    "stores no user metadata; %zu entries not copied",
                    src->key, to->backend->type, info->metadata_count);
    }
  }
  pail_writer *w = NULL;
  *reading = false;
  status = pail_writer_open(ws, dst, &opts, &w, err);
  if (status == PAIL_OK)
    status = pump(r, w, &opts, info->size, dst->key, reading, err);
  pail_reader_close(r);
  return status;
}

/* pail_copy, and copy_pinned when source_etag is not NULL. */
static pail_status copy_as(pail_workspace *ws, const pail_pointer *src,
                           const pail_pointer *dst,
                           const pail_write_options *options,
                           const char *source_etag, pail_error **err) {
  storage_handle from, to;
  pail_status status =
      workspace_resolve(ws, src, PAIL_ACCESS_READ, false, &from, err);
  if (status == PAIL_OK)
    status = workspace_resolve(ws, dst, PAIL_ACCESS_WRITE, false, &to, err);
  if (status != PAIL_OK)
    return status;
  pail_write_options opts = PAIL_WRITE_OPTIONS_INIT;
  OPTIONS_ADOPT(opts, options);
  if (source_etag == NULL && same_storage(src, dst) &&
      from.backend->ops.copy != NULL) {
    if (strcmp(src->key, dst->key) == 0)
      return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "source and destination are the same object");
    /* The streamed path checks these in pail_writer_open; a backend's copy
     * must not be handed options it would ignore (a create-only copy that
     * silently overwrites). */
    status = write_options_check(&to, &opts, err);
    if (status != PAIL_OK)
      return status;
    workspace_log(ws, PAIL_LOG_DEBUG, "server-side copy of \"%s\" to \"%s\"",
                  src->key, dst->key);
    return error_redact(
        err, from.config,
        from.backend->ops.copy(from.instance, src->key, dst->key, &opts, err));
  }
  if (same_storage(src, dst) && strcmp(src->key, dst->key) == 0)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "source and destination are the same object");
  pail_error *e = NULL;
  int restarts = READ_RESTARTS;
  pail_read_options read_opts = PAIL_READ_OPTIONS_INIT;
  read_opts.if_match = source_etag;
  bool reading = false;
  do
    status = copy_streamed(ws, src, dst, &to, &opts, &read_opts, &reading, &e);
  while (reading && read_again(ws, &read_opts, status, &e, &restarts));
  return error_hand_over(err, e, status);
}

pail_status pail_copy(pail_workspace *ws, const pail_pointer *src,
                      const pail_pointer *dst,
                      const pail_write_options *options, pail_error **err) {
  /* Here, so that a message names the function the caller called. */
  ARGUMENT_REQUIRED(err, ws, "workspace");
  ARGUMENT_REQUIRED(err, src, "source pointer");
  ARGUMENT_REQUIRED(err, dst, "destination pointer");
  return copy_as(ws, src, dst, options, NULL, err);
}

pail_status copy_pinned(pail_workspace *ws, const pail_pointer *src,
                        const pail_pointer *dst,
                        const pail_write_options *options,
                        const char *source_etag, pail_error **err) {
  ARGUMENT_REQUIRED(err, ws, "workspace");
  ARGUMENT_REQUIRED(err, src, "source pointer");
  ARGUMENT_REQUIRED(err, dst, "destination pointer");
  ARGUMENT_REQUIRED(err, source_etag, "source ETag");
  return copy_as(ws, src, dst, options, source_etag, err);
}
