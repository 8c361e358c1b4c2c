/*
 * fs_cleanup.c: the leftovers of interrupted writes, for pail cleanup. A
 * write goes to a temporary file (FS_TEMP_PREFIX) beside its object and is
 * renamed into place at commit; a process killed before that leaves the
 * file, which no listing shows. A live write holds a shared flock on its
 * file (the kernel drops it when the process dies, however it dies), so a
 * file that can be locked exclusively has no writer left. Committed objects
 * never carry the reserved prefix, so they are never candidates.
 */
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define FILE_FLAGS (O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)

typedef struct found {
  pail_leftover *items;
  size_t count, capacity;
} found;

static bool is_temp_name(const char *name) {
  return strncmp(name, FS_TEMP_PREFIX, sizeof FS_TEMP_PREFIX - 1) == 0;
}

/* Whether a live writer holds the open file fd (its shared lock). */
static bool held_by_writer(int fd) {
  if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
    flock(fd, LOCK_UN);
    return false;
  }
  return errno == EWOULDBLOCK;
}

/* The key a temporary file's write was for, or NULL. */
static char *temp_key(int fd) {
  char key[1025];
  ssize_t n = fgetxattr(fd, FS_XATTR_TEMP_KEY, key, sizeof key - 1);
  if (n <= 0)
    return NULL;
  key[n] = '\0';
  return strlen(key) == (size_t)n ? strdup(key) : NULL;
}

/* Records the temporary file name (in dirfd, at path under the root). */
static pail_status record(found *f, int dirfd, const char *name,
                          const char *path, pail_error **err) {
  int fd = openat(dirfd, name, FILE_FLAGS);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0)
      close(fd);
    return PAIL_OK; /* gone meanwhile (committed or aborted), or no file */
  }
  if (f->count == f->capacity) {
    size_t capacity = f->capacity ? 2 * f->capacity : 16;
    pail_leftover *grown = realloc(f->items, capacity * sizeof *grown);
    if (grown == NULL) {
      close(fd);
      return fs_no_memory(err);
    }
    f->items = grown;
    f->capacity = capacity;
  }
  pail_leftover *l = &f->items[f->count];
  memset(l, 0, sizeof *l);
  l->kind = PAIL_LEFTOVER_TEMPORARY_FILE;
  l->id = strdup(path);
  l->key = temp_key(fd);
  l->size = (uint64_t)st.st_size;
  l->size_known = 1;
  l->started = st.st_mtim.tv_sec;
  l->in_use = held_by_writer(fd);
  close(fd);
  f->count++; /* counted before the check: the core frees what it holds */
  return l->id ? PAIL_OK : fs_no_memory(err);
}

/* Walks the directory dirfd (at prefix under the root: "" or "a/b/"),
 * never through a symbolic link, recording temporary files. Takes dirfd. */
static pail_status walk(found *f, int dirfd, const char *prefix,
                        pail_error **err) {
  DIR *dir = fdopendir(dirfd);
  if (dir == NULL) {
    close(dirfd);
    return fs_errno_error(err, errno, "list", *prefix ? prefix : "/");
  }
  pail_status status = PAIL_OK;
  struct dirent *e;
  while (status == PAIL_OK && (e = readdir(dir)) != NULL) {
    const char *name = e->d_name;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
      continue;
    char *path = NULL;
    if (asprintf(&path, "%s%s", prefix, name) < 0)
      return closedir(dir), fs_no_memory(err);
    if (is_temp_name(name)) {
      status = record(f, dirfd, name, path, err);
    } else if (!fs_name_is_reserved(name) &&
               (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN)) {
      int sub = openat(dirfd, name, FS_DIR_OPEN_FLAGS);
      char *folder = NULL;
      if (sub >= 0 && asprintf(&folder, "%s/", path) < 0) {
        close(sub);
        status = fs_no_memory(err);
      } else if (sub >= 0) {
        status = walk(f, sub, folder, err);
      }
      free(folder);
    }
    free(path);
  }
  closedir(dir);
  return status;
}

pail_status fs_leftovers_list(void *instance, pail_leftover **leftovers,
                              size_t *count, char **note, pail_error **err) {
  (void)note;
  fs_instance *fs = instance;
  int root;
  pail_status status = fs_root(fs, &root, err);
  if (status != PAIL_OK)
    return status;
  int fd = openat(root, ".", FS_DIR_OPEN_FLAGS);
  if (fd < 0)
    return fs_errno_error(err, errno, "list", fs->root_path);
  found f = {0};
  status = walk(&f, fd, "", err);
  *leftovers = f.items;
  *count = f.count;
  return status;
}

/* Opens the directory holding the temporary file at path (relative to the
 * root) segment by segment, never through a link, and sets *leaf to its
 * name in path. Refuses anything but a temporary file's path. */
static pail_status open_parent(fs_instance *fs, char *segments, size_t *depth,
                               const char **leaf, int *out, pail_error **err) {
  char *slash = strrchr(segments, '/');
  *leaf = slash ? slash + 1 : segments;
  if (!is_temp_name(*leaf) || strlen(*leaf) > NAME_MAX)
    return fs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                              "fs: \"%s\" is not a temporary file of the fs "
                              "backend",
                              segments);
  int root;
  pail_status status = fs_root(fs, &root, err);
  if (status != PAIL_OK)
    return status;
  int fd = openat(root, ".", FS_DIR_OPEN_FLAGS);
  *depth = 0;
  for (char *segment = segments; fd >= 0 && slash != NULL && segment < *leaf;) {
    char *end = strchr(segment, '/');
    *end = '\0';
    (*depth)++;
    int next = -1;
    if (*segment != '\0' && strcmp(segment, ".") != 0 &&
        strcmp(segment, "..") != 0)
      next = openat(fd, segment, FS_DIR_OPEN_FLAGS);
    else
      errno = EINVAL;
    int errnum = errno;
    close(fd);
    fd = next;
    errno = errnum;
    segment = end + 1;
  }
  if (fd < 0)
    return errno == ENOENT
               ? PAIL_ERR_NOT_FOUND
               : fs_errno_error(err, errno, "open the folder of", *leaf);
  *out = fd;
  return PAIL_OK;
}

pail_status fs_leftover_remove(void *instance, const pail_leftover *leftover,
                               int force, pail_error **err) {
  fs_instance *fs = instance;
  char *segments = strdup(leftover->id);
  if (segments == NULL)
    return fs_no_memory(err);
  const char *leaf;
  size_t depth = 0;
  int dirfd = -1;
  pail_status status = open_parent(fs, segments, &depth, &leaf, &dirfd, err);
  if (status == PAIL_ERR_NOT_FOUND) { /* its folder is gone: so is it */
    free(segments);
    return PAIL_OK;
  }
  int fd = status == PAIL_OK ? openat(dirfd, leaf, FILE_FLAGS) : -1;
  struct stat st;
  if (status != PAIL_OK) {
    /* err is set */
  } else if (fd < 0 && errno == ENOENT) {
    /* committed, aborted or removed meanwhile */
  } else if (fd < 0) {
    status = fs_errno_error(err, errno, "open", leftover->id);
  } else if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    status =
        fs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                           "fs: \"%s\" is not a temporary file", leftover->id);
  } else if (!force && held_by_writer(fd)) {
    status =
        fs_core->error_set(err, PAIL_ERR_CONFLICT, 0, NULL, NULL,
                           "fs: \"%s\" is still being written", leftover->id);
  } else if (unlinkat(dirfd, leaf, 0) != 0 && errno != ENOENT) {
    status = fs_errno_error(err, errno, "remove", leftover->id);
  } else if (depth > 0) {
    /* The folders its write created, if nothing else is in them. */
    fs_path_prune(fs, segments, depth, 0);
  }
  if (fd >= 0)
    close(fd);
  if (dirfd >= 0)
    close(dirfd);
  free(segments);
  return status;
}
