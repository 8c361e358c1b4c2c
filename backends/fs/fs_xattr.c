/*
 * fs_xattr.c: what a file cannot hold, in user extended attributes
 * (user.pail.*): the content type and disposition and the user metadata
 * (the etag cache is fs_etag.c's). Where the file system has no user
 * xattrs, a content type is guessed from the key instead and writes that
 * carry a disposition or metadata are refused.
 */
#include "fs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

/* Reads an extended attribute into a new NUL-terminated buffer. *value is
 * NULL when the attribute is absent or xattrs are unsupported. */
static int xattr_get(int fd, const char *name, char **value, size_t *length) {
  *value = NULL;
  *length = 0;
  for (int attempt = 0; attempt < 4; attempt++) {
    ssize_t size = fgetxattr(fd, name, NULL, 0);
    if (size < 0)
      return errno == ENODATA || errno == ENOTSUP ? 0 : errno;
    char *buffer = malloc((size_t)size + 1);
    if (buffer == NULL)
      return ENOMEM;
    ssize_t got = fgetxattr(fd, name, buffer, (size_t)size);
    if (got >= 0) {
      buffer[got] = '\0';
      *value = buffer;
      *length = (size_t)got;
      return 0;
    }
    free(buffer);
    if (errno != ERANGE) /* ERANGE: it grew in between; ask again */
      return errno == ENODATA || errno == ENOTSUP ? 0 : errno;
  }
  return 0;
}

void fs_attrs_clear(fs_attrs *a) {
  free(a->content_type);
  free(a->content_disposition);
  free(a->metadata);
  memset(a, 0, sizeof *a);
}

pail_status fs_attrs_from_options(const pail_write_options *options,
                                  fs_attrs *a, pail_error **err) {
  memset(a, 0, sizeof *a);
  if (options == NULL)
    return PAIL_OK;
  if (options->content_type &&
      (a->content_type = strdup(options->content_type)) == NULL)
    goto oom;
  if (options->content_disposition &&
      (a->content_disposition = strdup(options->content_disposition)) == NULL)
    goto oom;
  size_t length = 0;
  for (size_t i = 0; i < options->metadata_count; i++)
    length += strlen(options->metadata[i].name) + 1 +
              strlen(options->metadata[i].value) + 1;
  if (length > 0) {
    if ((a->metadata = malloc(length)) == NULL)
      goto oom;
    char *out = a->metadata;
    for (size_t i = 0; i < options->metadata_count; i++) {
      out = stpcpy(out, options->metadata[i].name) + 1;
      out = stpcpy(out, options->metadata[i].value) + 1;
    }
    a->metadata_length = length;
  }
  return PAIL_OK;
oom:
  fs_attrs_clear(a);
  return fs_no_memory(err);
}

/* The attributes as stored on an open file (for a copy that keeps them). */
pail_status fs_attrs_from_file(int fd, const char *key, fs_attrs *a,
                               pail_error **err) {
  memset(a, 0, sizeof *a);
  size_t length;
  int errnum = xattr_get(fd, FS_XATTR_CONTENT_TYPE, &a->content_type, &length);
  if (errnum == 0)
    errnum = xattr_get(fd, FS_XATTR_CONTENT_DISPOSITION,
                       &a->content_disposition, &length);
  if (errnum == 0)
    errnum =
        xattr_get(fd, FS_XATTR_METADATA, &a->metadata, &a->metadata_length);
  if (errnum != 0) {
    fs_attrs_clear(a);
    return fs_errno_error(err, errnum, "read the attributes of", key);
  }
  return PAIL_OK;
}

/* Stores a on a new file. Without xattr support a content type is dropped
 * (stat guesses one from the name) but disposition and metadata are refused:
 * the caller asked for them to be kept. */
pail_status fs_attrs_apply(const fs_attrs *a, int fd, const char *key,
                           const pail_config *cfg, pail_error **err) {
  struct {
    const char *name;
    const char *value;
    size_t length;
    bool droppable;
  } items[] = {
      {FS_XATTR_CONTENT_TYPE, a->content_type,
       a->content_type ? strlen(a->content_type) : 0, true},
      {FS_XATTR_CONTENT_DISPOSITION, a->content_disposition,
       a->content_disposition ? strlen(a->content_disposition) : 0, false},
      {FS_XATTR_METADATA, a->metadata, a->metadata_length, false},
  };
  for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
    if (items[i].value == NULL)
      continue;
    if (fsetxattr(fd, items[i].name, items[i].value, items[i].length, 0) == 0)
      continue;
    int errnum = errno;
    if (errnum == ENOTSUP && items[i].droppable) {
      fs_core->log(cfg, PAIL_LOG_DEBUG,
                   "fs: no extended attributes here; the content type of "
                   "\"%s\" is not stored",
                   key);
      continue;
    }
    if (errnum == ENOTSUP)
      return fs_core->error_set(
          err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
          "fs: cannot store the %s of \"%s\": the file system under the "
          "storage root does not support user extended attributes",
          i == 1 ? "content disposition" : "metadata", key);
    if (errnum == E2BIG || errnum == ENOSPC || errnum == ERANGE)
      return fs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                "fs: the %s of \"%s\" is too large for the "
                                "file system's extended attributes",
                                i == 0   ? "content type"
                                : i == 1 ? "content disposition"
                                         : "metadata",
                                key);
    return fs_errno_error(err, errnum, "store the attributes of", key);
  }
  return PAIL_OK;
}

pail_status fs_metadata_parse(const char *blob, size_t length,
                              pail_object_info *info) {
  size_t strings = 0;
  for (size_t i = 0; i < length; i++)
    if (blob[i] == '\0')
      strings++;
  size_t count = strings / 2;
  if (count == 0)
    return PAIL_OK;
  info->metadata = calloc(count, sizeof *info->metadata);
  if (info->metadata == NULL)
    return PAIL_ERR_INTERNAL;
  const char *p = blob;
  for (size_t i = 0; i < count; i++) {
    info->metadata[i].name = strdup(p);
    p += strlen(p) + 1;
    info->metadata[i].value = strdup(p);
    p += strlen(p) + 1;
    info->metadata_count = i + 1;
    if (info->metadata[i].name == NULL || info->metadata[i].value == NULL)
      return PAIL_ERR_INTERNAL;
  }
  return PAIL_OK;
}
