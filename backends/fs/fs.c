/*
 * fs.c: the fs backend, objects as regular files under a root directory.
 * It is the embedded default storage, so it must be safe with nothing but a
 * path configured: writes are atomic (temporary file, fsync, rename), keys
 * never escape the root, and etags are content hashes like S3's.
 *
 * Extended attributes (user.pail.*) hold what a file cannot: the MD5 etag
 * (cached with the size and mtime it belongs to, so that a file changed
 * behind our back is hashed again), the content type and disposition, and
 * user metadata. Where the file system has no user xattrs, etags are hashed
 * on demand and writes that carry metadata are refused.
 */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define FS_VERSION "1.0.0"

#define XATTR_ETAG "user.pail.etag"
#define XATTR_CONTENT_TYPE "user.pail.content_type"
#define XATTR_CONTENT_DISPOSITION "user.pail.content_disposition"
#define XATTR_METADATA "user.pail.metadata"
#define ETAG_CACHE_VERSION "v1"

/* Quoted hex MD5, as S3 reports it: '"' + 32 digits + '"'. */
#define ETAG_SIZE 35

#define TEMP_NAME_SIZE 64
#define TEMP_ATTEMPTS 16

/* A concurrent delete may remove a directory a write has just walked into
 * (it was empty); the write then walks again, this many times at most. */
#define WALK_ATTEMPTS 8

#define HASH_BUFFER_SIZE (1u << 20)
#define WRITE_BUFFER_SIZE (256u << 10)
#define COPY_CHUNK_SIZE (64u << 20)

/* Directories are opened readable (not O_PATH) so that they can be fsync'ed
 * after a rename and listed. */
#define DIR_OPEN_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

const pail_core_services *fs_core;

/* ------------------------------------------------------------- errors */

pail_status fs_errno_error(pail_error **err, int errnum, const char *action,
                           const char *key) {
  pail_status category;
  switch (errnum) {
  case ENOENT:
  case ENOTDIR:
    category = PAIL_ERR_NOT_FOUND;
    break;
  case EACCES:
  case EPERM:
  case EROFS:
  case ELOOP:
    category = PAIL_ERR_ACCESS_DENIED;
    break;
  case EEXIST:
  case ENOTEMPTY:
  case EISDIR:
  case EBUSY:
    category = PAIL_ERR_CONFLICT;
    break;
  case ENAMETOOLONG:
  case EINVAL:
    category = PAIL_ERR_INVALID_ARGUMENT;
    break;
  case ENOMEM:
    category = PAIL_ERR_INTERNAL;
    break;
  default: /* ENOSPC, EDQUOT, EIO, EFBIG, EMFILE, ... */
    category = PAIL_ERR_IO;
    break;
  }
  char buffer[128];
  const char *reason = strerror_r(errnum, buffer, sizeof buffer);
  return fs_core->error_set(err, category, 0, NULL, NULL,
                            "fs: cannot %s \"%s\": %s", action, key, reason);
}

static pail_status no_memory(pail_error **err) {
  return fs_core->error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                            "fs: out of memory");
}

bool fs_name_is_reserved(const char *name) {
  return strncmp(name, FS_RESERVED_PREFIX, FS_RESERVED_PREFIX_LENGTH) == 0;
}

/* --------------------------------------------------------------- root */

/* mkdir -p with mode for every directory it creates. A storage root is
 * private data, hence 0700 (as the XDG base directory spec asks). */
static int make_directories(const char *path, mode_t mode) {
  char *copy = strdup(path);
  if (copy == NULL)
    return ENOMEM;
  int result = 0;
  for (char *p = copy + 1; result == 0; p++) {
    if (*p != '/' && *p != '\0')
      continue;
    char saved = *p;
    *p = '\0';
    if (mkdir(copy, mode) != 0 && errno != EEXIST)
      result = errno;
    *p = saved;
    if (saved == '\0')
      break;
  }
  free(copy);
  return result;
}

/* Opens the root (lock held). ENOENT leaves root_fd at -1. */
static int root_try_open(fs_instance *fs) {
  if (fs->root_fd >= 0)
    return 0;
  int fd = open(fs->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return errno;
  fs->root_fd = fd;
  return 0;
}

static pail_status root_error(fs_instance *fs, int errnum, pail_error **err) {
  if (errnum == ENOENT)
    return fs_core->error_set(err, PAIL_ERR_NOT_FOUND, 0, NULL, NULL,
                              "fs: the storage root \"%s\" does not exist: "
                              "run `pail mb` to create it",
                              fs->root_path);
  if (errnum == ENOTDIR)
    return fs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                              "fs: the storage root \"%s\" is not a "
                              "directory",
                              fs->root_path);
  return fs_errno_error(err, errnum, "open the storage root", fs->root_path);
}

pail_status fs_root(fs_instance *fs, int *fd, pail_error **err) {
  pthread_mutex_lock(&fs->lock);
  int errnum = root_try_open(fs);
  *fd = fs->root_fd;
  pthread_mutex_unlock(&fs->lock);
  return errnum == 0 ? PAIL_OK : root_error(fs, errnum, err);
}

/* ---------------------------------------------------------------- keys */

typedef enum walk_mode { WALK_READ, WALK_CREATE } walk_mode;

/* A key resolved down to the directory that holds its last segment. */
typedef struct fs_path {
  char *segments;      /* copy of the key, every '/' replaced by NUL */
  const char *leaf;    /* last segment, inside segments */
  size_t depth;        /* directory segments above the leaf */
  int dirfd;           /* readable descriptor of the leaf's directory */
  size_t created_from; /* first directory this walk created, or SIZE_MAX */
} fs_path;

static void path_clear(fs_path *p) {
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
    return no_memory(err);
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
                                size_t end, walk_mode mode, int errnum,
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
  if (mode == WALK_CREATE)
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
 * and never through a symbolic link. WALK_CREATE creates missing
 * directories and records the first it created; when it fails, it removes
 * again those it created. */
static pail_status path_open(fs_instance *fs, const char *key, walk_mode mode,
                             fs_path *p, pail_error **err) {
  pail_status status = path_split(key, p, err);
  int root;
  if (status == PAIL_OK)
    status = fs_root(fs, &root, err);
  if (status != PAIL_OK) {
    path_clear(p);
    return status;
  }
  int current = -1;
  const char *segment = NULL;
  size_t i = 0, attempt = 0;
  for (;;) {
    if (current < 0) { /* start, or start again, from the root */
      current = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (current < 0) {
        path_clear(p);
        return root_error(fs, errno, err);
      }
      segment = p->segments;
      i = 0;
    }
    if (i == p->depth)
      break;
    int next = openat(current, segment, DIR_OPEN_FLAGS);
    if (next < 0 && errno == ENOENT && mode == WALK_CREATE) {
      if (mkdirat(current, segment, 0777) == 0) {
        if (p->created_from == SIZE_MAX || i < p->created_from)
          p->created_from = i;
        next = openat(current, segment, DIR_OPEN_FLAGS);
      } else if (errno == EEXIST) { /* created concurrently */
        next = openat(current, segment, DIR_OPEN_FLAGS);
      }
    }
    if (next < 0 && errno == ENOENT && mode == WALK_CREATE &&
        ++attempt < WALK_ATTEMPTS) {
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
      path_clear(p);
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
static pail_status object_open(fs_instance *fs, const char *key, int *fd,
                               struct stat *st, pail_error **err) {
  *fd = -1;
  fs_path p;
  pail_status status = path_open(fs, key, WALK_READ, &p, err);
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
  path_clear(&p);
  if (status != PAIL_OK) {
    if (file >= 0)
      close(file);
    return status;
  }
  *fd = file;
  return PAIL_OK;
}

/* ------------------------------------------------------------- xattrs */

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

/* What a write stores besides the bytes, as xattr values. */
typedef struct fs_attrs {
  char *content_type;
  char *content_disposition;
  char *metadata; /* name\0value\0... */
  size_t metadata_length;
} fs_attrs;

static void attrs_clear(fs_attrs *a) {
  free(a->content_type);
  free(a->content_disposition);
  free(a->metadata);
  memset(a, 0, sizeof *a);
}

static pail_status attrs_from_options(const pail_write_options *options,
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
  attrs_clear(a);
  return no_memory(err);
}

/* Moves *given into *kept when it is set, freeing what *kept held. */
static void attrs_take(char **kept, char **given) {
  if (*given == NULL)
    return;
  free(*kept);
  *kept = *given;
  *given = NULL;
}

/* The attributes as stored on an open file (for a copy that keeps them). */
static pail_status attrs_from_file(int fd, const char *key, fs_attrs *a,
                                   pail_error **err) {
  memset(a, 0, sizeof *a);
  size_t length;
  int errnum = xattr_get(fd, XATTR_CONTENT_TYPE, &a->content_type, &length);
  if (errnum == 0)
    errnum = xattr_get(fd, XATTR_CONTENT_DISPOSITION, &a->content_disposition,
                       &length);
  if (errnum == 0)
    errnum = xattr_get(fd, XATTR_METADATA, &a->metadata, &a->metadata_length);
  if (errnum != 0) {
    attrs_clear(a);
    return fs_errno_error(err, errnum, "read the attributes of", key);
  }
  return PAIL_OK;
}

/* Stores a on a new file. Without xattr support a content type is dropped
 * (stat guesses one from the name) but disposition and metadata are refused:
 * the caller asked for them to be kept. */
static pail_status attrs_apply(const fs_attrs *a, int fd, const char *key,
                               const pail_config *cfg, pail_error **err) {
  struct {
    const char *name;
    const char *value;
    size_t length;
    bool droppable;
  } items[] = {
      {XATTR_CONTENT_TYPE, a->content_type,
       a->content_type ? strlen(a->content_type) : 0, true},
      {XATTR_CONTENT_DISPOSITION, a->content_disposition,
       a->content_disposition ? strlen(a->content_disposition) : 0, false},
      {XATTR_METADATA, a->metadata, a->metadata_length, false},
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

/* ------------------------------------------------------------- etags */

static void etag_from_digest(const unsigned char digest[16],
                             char etag[ETAG_SIZE]) {
  etag[0] = '"';
  fs_core->hex_encode(digest, 16, etag + 1);
  etag[33] = '"';
  etag[34] = '\0';
}

/* A new MD5 context; OpenSSL in FIPS mode refuses MD5, which the etags
 * (compatible with S3's) cannot do without. */
static pail_status md5_begin(EVP_MD_CTX **md5, pail_error **err) {
  if ((*md5 = EVP_MD_CTX_new()) == NULL)
    return no_memory(err);
  if (EVP_DigestInit_ex(*md5, EVP_md5(), NULL))
    return PAIL_OK;
  EVP_MD_CTX_free(*md5);
  *md5 = NULL;
  return fs_core->error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                            "fs: OpenSSL refuses MD5 (FIPS mode?), which "
                            "the fs backend needs for etags");
}

/* The size and mtime an etag cache entry is valid for. */
static void etag_cache_prefix(const struct stat *st, char *out, size_t size) {
  snprintf(out, size, ETAG_CACHE_VERSION " %llu %lld.%09ld ",
           (unsigned long long)st->st_size, (long long)st->st_mtim.tv_sec,
           (long)st->st_mtim.tv_nsec);
}

static bool etag_cache_get(int fd, const struct stat *st,
                           char etag[ETAG_SIZE]) {
  char value[128], prefix[80];
  ssize_t n = fgetxattr(fd, XATTR_ETAG, value, sizeof value - 1);
  if (n < 0)
    return false;
  value[n] = '\0';
  etag_cache_prefix(st, prefix, sizeof prefix);
  size_t length = strlen(prefix);
  if (strncmp(value, prefix, length) != 0 ||
      strlen(value + length) != ETAG_SIZE - 1)
    return false;
  memcpy(etag, value + length, ETAG_SIZE);
  return true;
}

/* Best effort: without xattrs (or write permission) the next stat hashes
 * again. Setting an xattr changes ctime, not mtime, so the entry stays
 * valid. */
static void etag_cache_put(int fd, const struct stat *st,
                           const char etag[ETAG_SIZE]) {
  char value[128];
  etag_cache_prefix(st, value, sizeof value);
  strcat(value, etag);
  (void)fsetxattr(fd, XATTR_ETAG, value, strlen(value), 0);
}

/* Hashes a whole file through one bounded buffer. */
static pail_status etag_compute(int fd, const char *key, char etag[ETAG_SIZE],
                                pail_error **err) {
  EVP_MD_CTX *md5 = NULL;
  unsigned char *buffer = malloc(HASH_BUFFER_SIZE);
  pail_status status = buffer ? md5_begin(&md5, err) : no_memory(err);
  if (status != PAIL_OK)
    goto done;
  off_t offset = 0;
  for (;;) {
    ssize_t n = pread(fd, buffer, HASH_BUFFER_SIZE, offset);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      status = fs_errno_error(err, errno, "read", key);
      goto done;
    }
    if (n == 0)
      break;
    EVP_DigestUpdate(md5, buffer, (size_t)n);
    offset += n;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  EVP_DigestFinal_ex(md5, digest, &digest_length);
  etag_from_digest(digest, etag);
done:
  EVP_MD_CTX_free(md5);
  free(buffer);
  return status;
}

/* The etag of an open file: from the cache when it still matches the file,
 * else hashed (and cached). */
static pail_status etag_of_file(int fd, const struct stat *st, const char *key,
                                char etag[ETAG_SIZE], pail_error **err) {
  if (etag_cache_get(fd, st, etag))
    return PAIL_OK;
  pail_status status = etag_compute(fd, key, etag, err);
  if (status == PAIL_OK)
    etag_cache_put(fd, st, etag);
  return status;
}

/* S3 compares If-Match values quoted; people often pass them bare. "*"
 * matches any object. */
static bool etag_matches(const char *etag, const char *wanted) {
  if (strcmp(wanted, "*") == 0)
    return true;
  size_t a = strlen(etag), b = strlen(wanted);
  if (a >= 2 && etag[0] == '"' && etag[a - 1] == '"')
    etag++, a -= 2;
  if (b >= 2 && wanted[0] == '"' && wanted[b - 1] == '"')
    wanted++, b -= 2;
  return a == b && memcmp(etag, wanted, a) == 0;
}

/* ------------------------------------------------------- object info */

static pail_status metadata_parse(const char *blob, size_t length,
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

static void info_clear(pail_object_info *info) {
  free(info->key);
  free(info->etag);
  free(info->content_type);
  free(info->content_disposition);
  for (size_t i = 0; i < info->metadata_count; i++) {
    free(info->metadata[i].name);
    free(info->metadata[i].value);
  }
  free(info->metadata);
  memset(info, 0, sizeof *info);
  info->last_modified = INT64_MIN;
}

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
  char etag[ETAG_SIZE];
  pail_status status = PAIL_OK;
  if (need == ETAG_ALWAYS)
    status = etag_of_file(fd, st, key, etag, err);
  else if (!etag_cache_get(fd, st, etag))
    etag[0] = '\0';
  if (status == PAIL_OK && etag[0] && (info->etag = strdup(etag)) == NULL)
    status = no_memory(err);
  fs_attrs a;
  if (status == PAIL_OK)
    status = attrs_from_file(fd, key, &a, err);
  if (status != PAIL_OK) {
    info_clear(info);
    return status;
  }
  info->content_type = a.content_type;
  info->content_disposition = a.content_disposition;
  a.content_type = a.content_disposition = NULL;
  const char *guess = fs_core->content_type_guess(key);
  if ((info->content_type == NULL && guess != NULL &&
       (info->content_type = strdup(guess)) == NULL) ||
      metadata_parse(a.metadata, a.metadata_length, info) != PAIL_OK)
    status = no_memory(err);
  attrs_clear(&a);
  if (status != PAIL_OK)
    info_clear(info);
  return status;
}

static pail_status fs_stat(void *instance, const char *key,
                           pail_object_info *out, pail_error **err) {
  int fd;
  struct stat st;
  pail_status status = object_open(instance, key, &fd, &st, err);
  if (status != PAIL_OK)
    return status;
  status = info_fill(fd, &st, key, ETAG_ALWAYS, out, err);
  close(fd);
  return status;
}

/* --------------------------------------------------------------- read */

typedef struct fs_reader {
  int fd;
  uint64_t position;
  uint64_t end;
  char *key; /* for messages */
} fs_reader;

static pail_status fs_read_open(void *instance, const char *key,
                                const pail_read_options *options, void **stream,
                                pail_object_info *info, pail_error **err) {
  *stream = NULL;
  int fd;
  struct stat st;
  pail_status status = object_open(instance, key, &fd, &st, err);
  if (status != PAIL_OK)
    return status;
  const char *if_match = options ? options->if_match : NULL;
  uint64_t offset = options ? options->offset : 0;
  uint64_t length = options ? options->length : PAIL_READ_TO_END;
  /* Hashing is a whole extra read: only when the caller needs the etag. */
  status = info_fill(fd, &st, key, if_match ? ETAG_ALWAYS : ETAG_IF_CACHED,
                     info, err);
  if (status == PAIL_OK && if_match && !etag_matches(info->etag, if_match))
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
    status = no_memory(err);
  if (status != PAIL_OK) {
    if (r)
      free(r);
    close(fd);
    info_clear(info);
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

static pail_status fs_read_stream(void *stream, void *buffer, size_t capacity,
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

static void fs_read_close(void *stream) {
  fs_reader *r = stream;
  if (r == NULL)
    return;
  close(r->fd);
  free(r->key);
  free(r);
}

/* -------------------------------------------------------------- write */

typedef struct fs_writer {
  fs_instance *fs;
  char *key;
  fs_path path;
  char temp_name[TEMP_NAME_SIZE];
  int fd;
  bool create_only;
  EVP_MD_CTX *md5;
  bool hashed;                /* every byte went through md5 */
  char known_etag[ETAG_SIZE]; /* set by a copy when !hashed, else empty */
  uint64_t size;
  unsigned char *buffer; /* WRITE_BUFFER_SIZE, allocated on first use */
  size_t buffered;
  bool no_copy_range; /* copy_file_range refused once: read and write */
  fs_attrs attrs;
} fs_writer;

/* Unlinks the temporary file, removes the directories this write created,
 * frees the writer. */
static void writer_discard(fs_writer *w) {
  if (w == NULL)
    return;
  if (w->fd >= 0) {
    close(w->fd);
    unlinkat(w->path.dirfd, w->temp_name, 0);
  }
  if (w->path.created_from != SIZE_MAX)
    fs_path_prune(w->fs, w->path.segments, w->path.depth, w->path.created_from);
  path_clear(&w->path);
  EVP_MD_CTX_free(w->md5);
  attrs_clear(&w->attrs);
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
static pail_status writer_open(fs_instance *fs, const char *key,
                               fs_attrs *attrs, bool create_only,
                               fs_writer **out, pail_error **err) {
  *out = NULL;
  fs_writer *w = calloc(1, sizeof *w);
  pail_status status =
      w && (w->key = strdup(key)) ? md5_begin(&w->md5, err) : no_memory(err);
  if (status != PAIL_OK) {
    if (w != NULL)
      free(w->key);
    free(w);
    attrs_clear(attrs);
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
    status = path_open(fs, key, WALK_CREATE, &w->path, err);
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
    if (errnum != ENOENT || attempt + 1 == WALK_ATTEMPTS) {
      status = fs_errno_error(err, errnum, "create a temporary file for", key);
      break;
    }
    path_clear(&w->path);
    w->path.created_from = SIZE_MAX;
  }
  if (status == PAIL_OK)
    status = attrs_apply(&w->attrs, w->fd, key, fs->cfg, err);
  if (status != PAIL_OK) {
    writer_discard(w);
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
static pail_status writer_append(fs_writer *w, const void *data, size_t length,
                                 pail_error **err) {
  EVP_DigestUpdate(w->md5, data, length);
  w->size += length;
  if (w->buffered + length <= WRITE_BUFFER_SIZE) {
    if (w->buffer == NULL && (w->buffer = malloc(WRITE_BUFFER_SIZE)) == NULL)
      return no_memory(err);
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

static pail_status writer_commit(fs_writer *w, pail_object_info *info,
                                 pail_error **err) {
  pail_status status = writer_flush(w, err);
  struct stat st;
  char etag[ETAG_SIZE] = "";
  if (status == PAIL_OK && fstat(w->fd, &st) != 0)
    status = fs_errno_error(err, errno, "stat", w->key);
  if (status == PAIL_OK && w->hashed) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(w->md5, digest, &length);
    etag_from_digest(digest, etag);
  } else if (status == PAIL_OK && w->known_etag[0]) {
    memcpy(etag, w->known_etag, ETAG_SIZE);
  }
  if (status == PAIL_OK && etag[0])
    etag_cache_put(w->fd, &st, etag);
  /* The object is no temporary file: it keeps no trace of having been
   * one. */
  if (status == PAIL_OK)
    fremovexattr(w->fd, FS_XATTR_TEMP_KEY);
  if (status == PAIL_OK && fsync(w->fd) != 0)
    status = fs_errno_error(err, errno, "flush", w->key);
  if (status == PAIL_OK)
    status = writer_publish(w, err);
  if (status != PAIL_OK) {
    writer_discard(w);
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
        metadata_parse(w->attrs.metadata, w->attrs.metadata_length, info) !=
            PAIL_OK) {
      info_clear(info); /* the object is stored all the same */
    }
  }
  w->path.created_from = SIZE_MAX; /* keep the directories */
  writer_discard(w);
  return PAIL_OK;
}

static pail_status fs_write_open(void *instance, const char *key,
                                 const pail_write_options *options,
                                 void **stream, pail_error **err) {
  *stream = NULL;
  fs_attrs attrs;
  pail_status status = attrs_from_options(options, &attrs, err);
  if (status != PAIL_OK)
    return status;
  fs_writer *w;
  status = writer_open(instance, key, &attrs, options && options->if_none_match,
                       &w, err);
  if (status == PAIL_OK)
    *stream = w;
  return status;
}

static pail_status fs_write_stream(void *stream, const void *buffer,
                                   size_t length, pail_error **err) {
  return writer_append(stream, buffer, length, err);
}

/* A range of a local file (pail_upload): copied by the kernel
 * (copy_file_range: no copy through this process, a reflink where the file
 * system shares extents), as fs_copy does. The bytes bypass MD5, so the
 * etag is computed when first asked for, as after a copy. Where the kernel
 * cannot copy between the two files, they are read and written. */
static pail_status fs_write_stream_file(void *stream, int fd, uint64_t offset,
                                        uint64_t length, pail_error **err) {
  fs_writer *w = stream;
  pail_status status = writer_flush(w, err);
  off_t at = (off_t)offset;
  while (status == PAIL_OK && length > 0 && !w->no_copy_range) {
    size_t chunk = length < COPY_CHUNK_SIZE ? (size_t)length : COPY_CHUNK_SIZE;
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
    if (buffer == NULL && (buffer = malloc(HASH_BUFFER_SIZE)) == NULL)
      return no_memory(err);
    size_t want = length < HASH_BUFFER_SIZE ? (size_t)length : HASH_BUFFER_SIZE;
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
      status = writer_append(w, buffer, (size_t)n, err);
    if (n > 0) {
      at += n;
      length -= (uint64_t)n;
    }
  }
  free(buffer);
  return status;
}

static pail_status fs_write_commit(void *stream, pail_object_info *info,
                                   pail_error **err) {
  return writer_commit(stream, info, err);
}

static void fs_write_abort(void *stream) {
  writer_discard(stream);
}

/* ------------------------------------------------------ delete, copy */

static pail_status fs_delete(void *instance, const char *key,
                             pail_error **err) {
  fs_instance *fs = instance;
  fs_path p;
  pail_status status = path_open(fs, key, WALK_READ, &p, err);
  if (status != PAIL_OK)
    return status;
  struct stat st;
  if (fstatat(p.dirfd, p.leaf, &st, AT_SYMLINK_NOFOLLOW) != 0)
    status = errno == ENOENT
                 ? fs_core->error_set(err, PAIL_ERR_NOT_FOUND, 0, NULL, NULL,
                                      "fs: no object \"%s\"", key)
                 : fs_errno_error(err, errno, "delete", key);
  else if (S_ISDIR(st.st_mode))
    status = fs_core->error_set(err, PAIL_ERR_NOT_FOUND, 0, NULL, NULL,
                                "fs: no object \"%s\": it is a folder", key);
  else if (S_ISLNK(st.st_mode))
    status = fs_core->error_set(err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                                "fs: refusing \"%s\": it is a symbolic link, "
                                "not an object",
                                key);
  else if (unlinkat(p.dirfd, p.leaf, 0) != 0)
    status = errno == ENOENT
                 ? fs_core->error_set(err, PAIL_ERR_NOT_FOUND, 0, NULL, NULL,
                                      "fs: no object \"%s\"", key)
                 : fs_errno_error(err, errno, "delete", key);
  if (status == PAIL_OK)
    fs_path_prune(fs, p.segments, p.depth, 0);
  path_clear(&p);
  return status;
}

/* Streams src from *offset up to size into the writer when the kernel
 * cannot copy between them, advancing *offset by what was copied. Stops
 * early if the source ends early: the caller checks *offset. */
static pail_status copy_by_reading(int src, off_t *offset, uint64_t size,
                                   fs_writer *w, const char *src_key,
                                   pail_error **err) {
  unsigned char *buffer = malloc(HASH_BUFFER_SIZE);
  if (buffer == NULL)
    return no_memory(err);
  pail_status status = PAIL_OK;
  while (status == PAIL_OK && (uint64_t)*offset < size) {
    uint64_t left = size - (uint64_t)*offset;
    ssize_t n = pread(src, buffer,
                      left < HASH_BUFFER_SIZE ? (size_t)left : HASH_BUFFER_SIZE,
                      *offset);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      status = fs_errno_error(err, errno, "read", src_key);
    else if (n == 0)
      break;
    else
      status = writer_append(w, buffer, (size_t)n, err);
    *offset += n > 0 ? n : 0;
  }
  free(buffer);
  return status;
}

static pail_status fs_copy(void *instance, const char *src_key,
                           const char *dst_key,
                           const pail_write_options *options,
                           pail_error **err) {
  fs_instance *fs = instance;
  int src;
  struct stat st;
  pail_status status = object_open(fs, src_key, &src, &st, err);
  if (status != PAIL_OK)
    return status;
  /* As the cloud backends copy: each attribute the options give replaces
   * the source's (metadata as a whole), the others are carried over. */
  fs_attrs attrs, given;
  status = attrs_from_file(src, src_key, &attrs, err);
  if (status == PAIL_OK &&
      (status = attrs_from_options(options, &given, err)) != PAIL_OK)
    attrs_clear(&attrs);
  if (status == PAIL_OK) {
    attrs_take(&attrs.content_type, &given.content_type);
    attrs_take(&attrs.content_disposition, &given.content_disposition);
    if (given.metadata) {
      attrs_take(&attrs.metadata, &given.metadata);
      attrs.metadata_length = given.metadata_length;
    }
    attrs_clear(&given);
  }
  fs_writer *w = NULL;
  if (status == PAIL_OK)
    status = writer_open(fs, dst_key, &attrs, options && options->if_none_match,
                         &w, err);
  if (status != PAIL_OK) {
    close(src);
    return status;
  }
  char etag[ETAG_SIZE];
  if (etag_cache_get(src, &st, etag))
    memcpy(w->known_etag, etag, ETAG_SIZE);
  uint64_t size = (uint64_t)st.st_size;
  off_t offset = 0;
  while (status == PAIL_OK && (uint64_t)offset < size) {
    size_t chunk = size - (uint64_t)offset < COPY_CHUNK_SIZE
                       ? (size_t)(size - (uint64_t)offset)
                       : COPY_CHUNK_SIZE;
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
    writer_discard(w);
    return status;
  }
  return writer_commit(w, NULL, err);
}

static pail_status fs_create_container(void *instance, pail_error **err) {
  fs_instance *fs = instance;
  int errnum = make_directories(fs->root_path, 0700);
  if (errnum != 0)
    return fs_errno_error(err, errnum, "create the storage root",
                          fs->root_path);
  int fd;
  return fs_root(fs, &fd, err);
}

/* ---------------------------------------------------------- instance */

static pail_status fs_open(const pail_config *cfg, void **instance,
                           pail_error **err) {
  *instance = NULL;
  const char *root = fs_core->config_string(cfg, "root_path");
  if (root == NULL || *root == '\0')
    return fs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                              "fs: the storage has no root_path");
  fs_instance *fs = calloc(1, sizeof *fs);
  if (fs == NULL || (fs->root_path = strdup(root)) == NULL) {
    free(fs);
    return no_memory(err);
  }
  fs->cfg = cfg;
  fs->root_fd = -1;
  pthread_mutex_init(&fs->lock, NULL);
  int errnum = 0;
  if (fs_core->config_bool(cfg, "create_root", 0))
    errnum = make_directories(root, 0700);
  if (errnum == 0)
    errnum = root_try_open(fs);
  /* A missing root is reported by each operation instead, so that
   * create_container (`pail mb`) can still be reached. */
  if (errnum != 0 && errnum != ENOENT) {
    pail_status status =
        errnum == ENOTDIR
            ? root_error(fs, errnum, err)
            : fs_errno_error(err, errnum, "open the storage root", root);
    pthread_mutex_destroy(&fs->lock);
    free(fs->root_path);
    free(fs);
    return status;
  }
  if (errnum == ENOENT)
    fs_core->log(cfg, PAIL_LOG_INFO,
                 "fs: the storage root \"%s\" does not exist yet", root);
  *instance = fs;
  return PAIL_OK;
}

static void fs_close(void *instance) {
  fs_instance *fs = instance;
  if (fs == NULL)
    return;
  if (fs->root_fd >= 0)
    close(fs->root_fd);
  pthread_mutex_destroy(&fs->lock);
  free(fs->root_path);
  free(fs);
}

static const pail_backend_field fs_fields[] = {
    {"root_path", PAIL_FIELD_STRING, 1, 0,
     "the directory that holds the objects"},
    {"create_root", PAIL_FIELD_BOOL, 0, 0,
     "create root_path (and its parents) when the storage is opened"},
    {NULL, 0, 0, 0, NULL},
};

static const pail_backend_ops fs_ops = {
    .abi_version = PAIL_BACKEND_ABI_VERSION,
    .struct_size = sizeof(pail_backend_ops),
    .name = "fs",
    .version = FS_VERSION,
    .capabilities = PAIL_CAP_RANGED_READ | PAIL_CAP_SERVER_COPY |
                    PAIL_CAP_CONDITIONAL_WRITE | PAIL_CAP_METADATA |
                    PAIL_CAP_CREATE_CONTAINER | PAIL_CAP_CONDITIONAL_READ,
    .fields = fs_fields,
    .open = fs_open,
    .close = fs_close,
    .list = fs_list,
    .stat = fs_stat,
    .read_open = fs_read_open,
    .read_stream = fs_read_stream,
    .read_close = fs_read_close,
    .write_open = fs_write_open,
    .write_stream = fs_write_stream,
    .write_commit = fs_write_commit,
    .write_abort = fs_write_abort,
    .write_stream_file = fs_write_stream_file,
    .delete_object = fs_delete,
    .copy = fs_copy,
    .sign = NULL, /* the core answers with a workspace grant */
    .create_container = fs_create_container,
    .leftovers_list = fs_leftovers_list,
    .leftover_remove = fs_leftover_remove,
};

PAIL_BACKEND_DEFINE_ENTRY(fs_ops, fs_core)
