/*
 * fs_keys.c: from a key to a path under the root, safely. Every segment of
 * a key is checked, then resolved one at a time from a descriptor of the
 * root without following a symbolic link, so that no key (and no link
 * planted under the root) reaches a file outside it.
 */
#include "fs.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool fs_name_is_reserved(const char *name) {
  return strncmp(name, FS_RESERVED_PREFIX, FS_RESERVED_PREFIX_LENGTH) == 0;
}

void fs_path_clear(fs_path *p) {
  if (p->dirfd >= 0)
    close(p->dirfd);
  free(p->segments);
  p->segments = NULL;
  p->dirfd = -1;
}

/* Checks every segment of key and splits it. The core has applied the key
 * rules already; this repeats what keeps keys inside the root, since the
 * ops may also be called directly. */
static pail_status path_split(const char *key, fs_path *p, pail_error **err) {
  memset(p, 0, sizeof *p);
  p->dirfd = -1;
  p->created_from = SIZE_MAX;
  size_t length = strlen(key);
  if (length == 0)
    return fs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                              "fs: empty key");
  if ((p->segments = malloc(length + 1)) == NULL)
    return fs_no_memory(err);
  memcpy(p->segments, key, length + 1);
  size_t start = 0;
  for (size_t i = 0; i <= length; i++) {
    if (key[i] != '/' && key[i] != '\0')
      continue;
    const char *segment = key + start;
    size_t n = i - start;
    const char *problem = NULL;
    if (n == 0)
      problem = i == length ? "it ends with '/' (a folder; the fs backend "
                              "stores objects only)"
                            : "it has an empty segment";
    else if ((n == 1 && segment[0] == '.') ||
             (n == 2 && segment[0] == '.' && segment[1] == '.'))
      problem = "it has a \".\" or \"..\" segment";
    else if (n > NAME_MAX)
      problem = "a segment is longer than 255 bytes";
    if (problem == NULL && fs_name_is_reserved(segment)) {
      free(p->segments);
      p->segments = NULL;
      return fs_core->error_set(
          err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
          "fs: key \"%s\" uses the reserved name \"%.*s\": names starting "
          "with \"" FS_RESERVED_PREFIX "\" belong to the fs backend's "
          "temporary files",
          key, (int)n, segment);
    }
    if (problem != NULL) {
      free(p->segments);
      p->segments = NULL;
      return fs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                "fs: invalid key \"%s\": %s", key, problem);
    }
    if (i < length) {
      p->segments[i] = '\0';
      p->depth++;
    }
    p->leaf = p->segments + start;
    start = i + 1;
  }
  return PAIL_OK;
}

/* Explains why the directory segment ending at key[end] could not be
 * entered although it exists (errnum ENOTDIR or ELOOP). */
static pail_status path_blocked(int dirfd, const char *segment, const char *key,
                                size_t end, fs_walk_mode mode, int errnum,
                                pail_error **err) {
  struct stat st;
  if (fstatat(dirfd, segment, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return fs_errno_error(err, errnum, "resolve", key);
  if (S_ISLNK(st.st_mode))
    return fs_core->error_set(
        err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
        "fs: refusing \"%s\": \"%.*s\" is a symbolic link, and the fs "
        "backend never follows links under its root",
        key, (int)end, key);
  if (mode == FS_WALK_CREATE)
    return fs_core->error_set(err, PAIL_ERR_CONFLICT, 0, NULL, NULL,
                              "fs: cannot store \"%s\": \"%.*s\" is an "
                              "object, so it cannot also be a folder",
                              key, (int)end, key);
  return fs_core->error_set(err, PAIL_ERR_NOT_FOUND, 0, NULL, NULL,
                            "fs: no object \"%s\" (\"%.*s\" is an object, "
                            "not a folder)",
                            key, (int)end, key);
}

void fs_path_prune(fs_instance *fs, const char *segments, size_t count,
                   size_t from) {
  int root;
  if (from >= count || fs_root(fs, &root, NULL) != PAIL_OK)
    return;
  /* fds[i] is the directory holding names[i]. */
  int *fds = malloc(count * sizeof *fds);
  const char **names = malloc(count * sizeof *names);
  size_t opened = 0;
  if (fds == NULL || names == NULL)
    goto done;
  fds[0] = root;
  names[0] = segments;
  for (opened = 1; opened < count; opened++) {
    int next = openat(fds[opened - 1], names[opened - 1],
                      O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0)
      break;
    fds[opened] = next;
    names[opened] = names[opened - 1] + strlen(names[opened - 1]) + 1;
  }
  for (size_t i = opened; i-- > from;) {
    if (unlinkat(fds[i], names[i], AT_REMOVEDIR) != 0)
      break;
  }
done:
  for (size_t i = 1; i < opened; i++)
    close(fds[i]);
  free(fds);
  free(names);
}

/* Resolves key to its leaf's directory, one segment at a time from the root
 * and never through a symbolic link. FS_WALK_CREATE creates missing
 * directories and records the first it created; when it fails, it removes
 * again those it created. */
pail_status fs_path_open(fs_instance *fs, const char *key, fs_walk_mode mode,
                         fs_path *p, pail_error **err) {
  pail_status status = path_split(key, p, err);
  int root;
  if (status == PAIL_OK)
    status = fs_root(fs, &root, err);
  if (status != PAIL_OK) {
    fs_path_clear(p);
    return status;
  }
  int current = -1;
  const char *segment = NULL;
  size_t i = 0, attempt = 0;
  for (;;) {
    if (current < 0) { /* start, or start again, from the root */
      current = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (current < 0) {
        fs_path_clear(p);
        return fs_root_error(fs, errno, err);
      }
      segment = p->segments;
      i = 0;
    }
    if (i == p->depth)
      break;
    int next = openat(current, segment, FS_DIR_OPEN_FLAGS);
    if (next < 0 && errno == ENOENT && mode == FS_WALK_CREATE) {
      if (mkdirat(current, segment, 0777) == 0) {
        if (p->created_from == SIZE_MAX || i < p->created_from)
          p->created_from = i;
        next = openat(current, segment, FS_DIR_OPEN_FLAGS);
      } else if (errno == EEXIST) { /* created concurrently */
        next = openat(current, segment, FS_DIR_OPEN_FLAGS);
      }
    }
    if (next < 0 && errno == ENOENT && mode == FS_WALK_CREATE &&
        ++attempt < FS_WALK_ATTEMPTS) {
      /* A concurrent delete removed a directory on the way as it became
       * empty: walk again from the root. */
      close(current);
      current = -1;
      continue;
    }
    if (next < 0) {
      int errnum = errno;
      size_t end = (size_t)(segment - p->segments) + strlen(segment);
      if (errnum == ENOTDIR || errnum == ELOOP)
        status = path_blocked(current, segment, key, end, mode, errnum, err);
      else if (errnum == ENOENT)
        status = fs_core->error_set(err, PAIL_ERR_NOT_FOUND, 0, NULL, NULL,
                                    "fs: no object \"%s\"", key);
      else
        status = fs_errno_error(err, errnum, "resolve", key);
      close(current);
      if (p->created_from != SIZE_MAX)
        fs_path_prune(fs, p->segments, i + 1, p->created_from);
      fs_path_clear(p);
      return status;
    }
    close(current);
    current = next;
    segment += strlen(segment) + 1;
    i++;
  }
  p->dirfd = current;
  return PAIL_OK;
}

/* Opens key's file for reading. A folder, a link or anything but a regular
 * file is not an object. */
pail_status fs_object_open(fs_instance *fs, const char *key, int *fd,
                           struct stat *st, pail_error **err) {
  *fd = -1;
  fs_path p;
  pail_status status = fs_path_open(fs, key, FS_WALK_READ, &p, err);
  if (status != PAIL_OK)
    return status;
  /* O_NONBLOCK: opening a FIFO planted under the root must not hang. */
  int file = openat(p.dirfd, p.leaf,
                    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (file < 0) {
    int errnum = errno;
    if (errnum == ENOENT)
      status = fs_core->error_set(err, PAIL_ERR_NOT_FOUND, 0, NULL, NULL,
                                  "fs: no object \"%s\"", key);
    else if (errnum == ELOOP)
      status = fs_core->error_set(err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                                  "fs: refusing \"%s\": it is a symbolic "
                                  "link, and the fs backend never follows "
                                  "links under its root",
                                  key);
    else
      status = fs_errno_error(err, errnum, "open", key);
  } else if (fstat(file, st) != 0) {
    status = fs_errno_error(err, errno, "stat", key);
  } else if (S_ISDIR(st->st_mode)) {
    status = fs_core->error_set(err, PAIL_ERR_NOT_FOUND, 0, NULL, NULL,
                                "fs: no object \"%s\": it is a folder", key);
  } else if (!S_ISREG(st->st_mode)) {
    status = fs_core->error_set(err, PAIL_ERR_NOT_FOUND, 0, NULL, NULL,
                                "fs: no object \"%s\": it is not a regular "
                                "file",
                                key);
  }
  fs_path_clear(&p);
  if (status != PAIL_OK) {
    if (file >= 0)
      close(file);
    return status;
  }
  *fd = file;
  return PAIL_OK;
}
