/*
 * example.c: a third-party pail backend, built out of tree against the
 * installed headers (see Makefile and README.md). Type "example".
 *
 * Each object is one regular file in a flat directory (settings field
 * "directory"). The file name is the key percent-encoded: every byte outside
 * [A-Za-z0-9._-] becomes %XX (uppercase hex), so the key "a/b c.txt" is the
 * file "a%2Fb%20c.txt". Since '/' is encoded, no key can name a file outside
 * the directory. The mapping is one to one: a listing decodes file names back
 * to keys and skips every name that is not the canonical encoding of a legal
 * key (files dropped in by hand, temporary files).
 *
 * The plugin uses <pail/backend.h> and the services table the core hands to
 * pail_backend_entry, and links nothing from libpail.
 *
 * What it shows: ownership (malloc'ed strings handed to the core), errors with
 * a category through core->error_set, a streamed write that becomes visible
 * only at commit (temporary file + rename), a ranged streamed read, and a
 * paged, delimited listing. Limits, as an example: a file name is at most
 * NAME_MAX (255) bytes, so long keys are refused with a clear error; no
 * content type or user metadata is stored; each listing page reads the whole
 * directory.
 */
/* POSIX 2008 with XSI: pread, mkstemp, strerror_r. */
#define _XOPEN_SOURCE 700

#include <pail/backend.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXAMPLE_VERSION "1.0.0"
#define DEFAULT_MAX_KEYS 1000
/* Temporary files start with '#', which the encoding never produces, so no
 * key can name one and listings skip them. */
#define TEMP_TEMPLATE "#tmp.XXXXXX"

/* The core's services, set once by pail_backend_entry (at the end of this
 * file); they live as long as the process. */
static const pail_core_services *core;

/* One configured storage. Nothing in it changes after open, so operations may
 * run on it from many threads at once without a lock. */
typedef struct example_instance {
  char *directory;
} example_instance;

/* ------------------------------------------------------------ errors */

static pail_status no_memory(pail_error **err) {
  return core->error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                         "example: out of memory");
}

static pail_status not_found(pail_error **err, const char *key) {
  return core->error_set(err, PAIL_ERR_NOT_FOUND, 0, NULL, NULL,
                         "example: no object \"%s\"", key);
}

/* Sets *err for a failed system call on `what` and returns its category, so
 * that callers can write `return errno_error(...)`. */
static pail_status errno_error(pail_error **err, int errnum, const char *action,
                               const char *what) {
  pail_status category;
  switch (errnum) {
  case ENOENT:
  case ENOTDIR:
    category = PAIL_ERR_NOT_FOUND;
    break;
  case EACCES:
  case EPERM:
  case EROFS:
  case ELOOP: /* a symbolic link where an object should be: refused */
    category = PAIL_ERR_ACCESS_DENIED;
    break;
  case EEXIST:
  case ENOTEMPTY:
  case EISDIR:
    category = PAIL_ERR_CONFLICT;
    break;
  case ENAMETOOLONG:
    category = PAIL_ERR_INVALID_ARGUMENT;
    break;
  case ENOMEM:
    category = PAIL_ERR_INTERNAL;
    break;
  default: /* ENOSPC, EDQUOT, EIO, EMFILE, ... */
    category = PAIL_ERR_IO;
    break;
  }
  /* strerror is not required to be thread-safe; the XSI strerror_r is. */
  char reason[128];
  if (strerror_r(errnum, reason, sizeof reason) != 0)
    snprintf(reason, sizeof reason, "error %d", errnum);
  return core->error_set(err, category, 0, NULL, NULL,
                         "example: cannot %s \"%s\": %s", action, what, reason);
}

/* A missing directory gets its own message: the usual cause is a storage
 * that was never created. */
static pail_status directory_error(const example_instance *ex, int errnum,
                                   pail_error **err) {
  if (errnum == ENOENT)
    return core->error_set(err, PAIL_ERR_NOT_FOUND, 0, NULL, NULL,
                           "example: the directory %s does not exist (create "
                           "it with `pail mb`)",
                           ex->directory);
  return errno_error(err, errnum, "open the directory", ex->directory);
}

/* ---------------------------------------------------- keys and files */

static bool is_plain(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

static int upper_hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* The file name of key (malloc'ed), or NULL when out of memory. */
static char *encode_key(const char *key) {
  static const char hex[] = "0123456789ABCDEF";
  size_t length = 0;
  for (const unsigned char *p = (const unsigned char *)key; *p; p++)
    length += is_plain(*p) ? 1 : 3;
  char *name = malloc(length + 1);
  if (name == NULL)
    return NULL;
  char *out = name;
  for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
    if (is_plain(*p)) {
      *out++ = (char)*p;
    } else {
      *out++ = '%';
      *out++ = hex[*p >> 4];
      *out++ = hex[*p & 0xF];
    }
  }
  *out = '\0';
  return name;
}

/* Sets *key (malloc'ed) to the key the file name encodes, or to NULL when the
 * name is not the canonical encoding of a legal key: plain bytes as
 * themselves, every other byte as %XX in uppercase, so that each key has
 * exactly one file name. Fails only when out of memory. */
static pail_status decode_name(const char *name, char **key, pail_error **err) {
  *key = NULL;
  size_t length = strlen(name);
  char *decoded = malloc(length + 1);
  if (decoded == NULL)
    return no_memory(err);
  size_t n = 0;
  for (size_t i = 0; i < length; i++) {
    unsigned char c = (unsigned char)name[i];
    if (is_plain(c)) {
      decoded[n++] = (char)c;
      continue;
    }
    int high = c == '%' && i + 2 < length ? upper_hex_value(name[i + 1]) : -1;
    int low = high >= 0 ? upper_hex_value(name[i + 2]) : -1;
    unsigned char byte = low >= 0 ? (unsigned char)(high << 4 | low) : 0;
    if (byte == 0 || is_plain(byte)) { /* not canonical, or not an encoding */
      free(decoded);
      return PAIL_OK;
    }
    decoded[n++] = (char)byte;
    i += 2;
  }
  decoded[n] = '\0';
  /* "." and "..", for one, decode to keys the core would never pass. */
  if (core->key_check(decoded, n, NULL) != PAIL_OK) {
    free(decoded);
    return PAIL_OK;
  }
  *key = decoded;
  return PAIL_OK;
}

/* Sets *path (malloc'ed) to the file of key. The core has checked the key
 * already; checking again costs little and keeps the plugin safe when its
 * ops are called some other way. A key whose file name would exceed NAME_MAX
 * is refused here, naming the limit, rather than with ENAMETOOLONG later. */
static pail_status object_path(const example_instance *ex, const char *key,
                               char **path, pail_error **err) {
  *path = NULL;
  pail_status status = core->key_check(key, strlen(key), err);
  if (status != PAIL_OK)
    return status;
  char *name = encode_key(key);
  if (name == NULL)
    return no_memory(err);
  size_t length = strlen(name);
  if (length > NAME_MAX) {
    free(name);
    return core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                           "example: key \"%.64s\"... is too long for this "
                           "backend: its file name would be %zu bytes (at "
                           "most %d)",
                           key, length, NAME_MAX);
  }
  size_t size = strlen(ex->directory) + 1 + length + 1;
  *path = malloc(size);
  if (*path != NULL)
    snprintf(*path, size, "%s/%s", ex->directory, name);
  free(name);
  return *path != NULL ? PAIL_OK : no_memory(err);
}

/* Fills info from st, key included. The strings are malloc'ed: the core
 * frees them (on failure too, so a half-filled info needs no cleanup). */
static pail_status info_from_stat(const char *key, const struct stat *st,
                                  pail_object_info *info, pail_error **err) {
  info->size = (uint64_t)st->st_size;
  info->last_modified = (int64_t)st->st_mtim.tv_sec;
  info->last_modified_nsec = (int32_t)st->st_mtim.tv_nsec;
  /* Every write makes a new file (new inode), so inode, size and time tell
   * versions apart; it is not a content hash, so two identical uploads get
   * different etags. */
  char etag[96];
  snprintf(etag, sizeof etag, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 ".%09ld\"",
           (uint64_t)st->st_ino, (uint64_t)st->st_size,
           (uint64_t)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec);
  info->key = strdup(key);
  info->etag = strdup(etag);
  if (info->key == NULL || info->etag == NULL)
    return no_memory(err);
  return PAIL_OK;
}

/* ------------------------------------------------------ open / close */

static pail_status example_open(const pail_config *cfg, void **instance,
                                pail_error **err) {
  /* The core has checked the settings against example_fields: "directory"
   * is present, a non-empty string, and no unknown field is set. */
  const char *directory = core->config_string(cfg, "directory");
  if (directory == NULL || directory[0] != '/')
    return core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                           "example: \"directory\" must be an absolute path, "
                           "not \"%s\"",
                           directory ? directory : "");
  example_instance *ex = calloc(1, sizeof *ex);
  if (ex == NULL || (ex->directory = strdup(directory)) == NULL) {
    free(ex);
    return no_memory(err);
  }
  core->log(cfg, PAIL_LOG_DEBUG, "example: objects are files in %s",
            ex->directory);
  *instance = ex;
  return PAIL_OK;
}

static void example_close(void *instance) {
  example_instance *ex = instance;
  free(ex->directory);
  free(ex);
}

/* --------------------------------------------------------------- stat */

static pail_status example_stat(void *instance, const char *key,
                                pail_object_info *out, pail_error **err) {
  char *path;
  pail_status status = object_path(instance, key, &path, err);
  if (status != PAIL_OK)
    return status;
  struct stat st;
  int rc = lstat(path, &st); /* lstat: a link is not an object */
  int errnum = errno;
  free(path);
  if (rc != 0)
    return errnum == ENOENT ? not_found(err, key)
                            : errno_error(err, errnum, "stat", key);
  if (!S_ISREG(st.st_mode))
    return not_found(err, key);
  return info_from_stat(key, &st, out, err);
}

/* --------------------------------------------------------------- read */

typedef struct example_reader {
  int fd;
  uint64_t position;  /* next byte to read */
  uint64_t remaining; /* bytes of the requested range still to deliver */
  char *key;          /* for messages */
} example_reader;

static pail_status example_read_open(void *instance, const char *key,
                                     const pail_read_options *options,
                                     void **stream, pail_object_info *info,
                                     pail_error **err) {
  char *path;
  pail_status status = object_path(instance, key, &path, err);
  if (status != PAIL_OK)
    return status;
  /* O_NOFOLLOW: an object is a file in the directory, never a link to
   * somewhere else. O_NONBLOCK: a FIFO planted under an object's name must
   * not hang the open (it has no effect on regular files). */
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  int errnum = errno;
  free(path);
  if (fd < 0)
    return errnum == ENOENT ? not_found(err, key)
                            : errno_error(err, errnum, "open", key);
  struct stat st;
  example_reader *r = NULL;
  if (fstat(fd, &st) != 0)
    status = errno_error(err, errno, "stat", key);
  else if (!S_ISREG(st.st_mode))
    status = not_found(err, key);
  else
    status = info_from_stat(key, &st, info, err);
  if (status == PAIL_OK &&
      ((r = calloc(1, sizeof *r)) == NULL || (r->key = strdup(key)) == NULL))
    status = no_memory(err);
  if (status != PAIL_OK) {
    if (r != NULL)
      free(r->key);
    free(r);
    close(fd);
    return status;
  }
  /* The read goes on from the open descriptor: a concurrent replace (rename)
   * or delete of the key does not change what it sees. An offset past the
   * end is refused by the core, which compares it with info->size. */
  uint64_t size = (uint64_t)st.st_size;
  r->fd = fd;
  r->position = options->offset;
  r->remaining = options->offset >= size ? 0 : size - options->offset;
  if (options->length < r->remaining) /* PAIL_READ_TO_END is UINT64_MAX */
    r->remaining = options->length;
  *stream = r;
  return PAIL_OK;
}

static pail_status example_read_stream(void *stream, void *buffer,
                                       size_t capacity, size_t *got,
                                       pail_error **err) {
  example_reader *r = stream;
  *got = 0;
  if (capacity > r->remaining)
    capacity = (size_t)r->remaining;
  if (capacity == 0)
    return PAIL_OK; /* the end of the range */
  ssize_t n;
  do
    n = pread(r->fd, buffer, capacity, (off_t)r->position);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return errno_error(err, errno, "read", r->key);
  /* n == 0 before the range ends means the file shrank under us (someone
   * truncated it in place); the core reports that as a truncated read. */
  r->position += (uint64_t)n;
  r->remaining -= (uint64_t)n;
  *got = (size_t)n;
  return PAIL_OK;
}

static void example_read_close(void *stream) {
  example_reader *r = stream;
  close(r->fd);
  free(r->key);
  free(r);
}

/* -------------------------------------------------------------- write */

typedef struct example_writer {
  int fd;
  char *temp_path;  /* the file being written, in the same directory */
  char *final_path; /* where it goes on commit */
  char *directory;  /* fsync'ed after the rename */
  char *key;
} example_writer;

static void writer_free(example_writer *w) {
  if (w->fd >= 0)
    close(w->fd);
  free(w->temp_path);
  free(w->final_path);
  free(w->directory);
  free(w->key);
  free(w);
}

static pail_status example_write_open(void *instance, const char *key,
                                      const pail_write_options *options,
                                      void **stream, pail_error **err) {
  /* This backend stores no content type, disposition or metadata. The core
   * refuses metadata and if_none_match before calling, because
   * example_ops.capabilities has neither PAIL_CAP_METADATA nor
   * PAIL_CAP_CONDITIONAL_WRITE; a content type is dropped. */
  (void)options;
  example_instance *ex = instance;
  example_writer *w = calloc(1, sizeof *w);
  if (w == NULL)
    return no_memory(err);
  w->fd = -1;
  pail_status status = object_path(ex, key, &w->final_path, err);
  size_t size = strlen(ex->directory) + sizeof "/" TEMP_TEMPLATE;
  if (status == PAIL_OK && ((w->temp_path = malloc(size)) == NULL ||
                            (w->directory = strdup(ex->directory)) == NULL ||
                            (w->key = strdup(key)) == NULL))
    status = no_memory(err);
  if (status == PAIL_OK) {
    /* In the same directory, so that the rename at commit is atomic. mkstemp
     * creates the file with mode 0600: objects stay private to the user
     * running pail. */
    snprintf(w->temp_path, size, "%s/" TEMP_TEMPLATE, ex->directory);
    w->fd = mkstemp(w->temp_path);
    if (w->fd < 0)
      status = errno == ENOENT
                   ? directory_error(ex, errno, err)
                   : errno_error(err, errno, "create a file for", key);
  }
  if (status != PAIL_OK) {
    writer_free(w); /* nothing was created: w->fd is -1 */
    return status;
  }
  *stream = w;
  return PAIL_OK;
}

static pail_status example_write_stream(void *stream, const void *buffer,
                                        size_t length, pail_error **err) {
  example_writer *w = stream;
  const char *data = buffer;
  while (length > 0) {
    ssize_t n = write(w->fd, data, length);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return errno_error(err, errno, "write", w->key);
    data += n;
    length -= (size_t)n;
  }
  return PAIL_OK;
}

/* Removes the temporary file and frees the stream: the key is untouched. */
static void example_write_abort(void *stream) {
  example_writer *w = stream;
  unlink(w->temp_path);
  writer_free(w);
}

/* Everything that can fail happens before the rename, which is the one step
 * that makes the object visible: a failed commit leaves the previous object
 * (or none) in place, and a successful one never reports a failure. */
static pail_status example_write_commit(void *stream, pail_object_info *info,
                                        pail_error **err) {
  example_writer *w = stream;
  struct stat st;
  pail_status status = PAIL_OK;
  /* The data reaches the disk before the name does, so that a crash leaves
   * the old object or the new one, never a torn one. */
  if (fsync(w->fd) != 0 || fstat(w->fd, &st) != 0)
    status = errno_error(err, errno, "flush", w->key);
  /* The file's inode, size and mtime do not change with the rename. */
  if (status == PAIL_OK && info != NULL)
    status = info_from_stat(w->key, &st, info, err);
  int fd = w->fd;
  w->fd = -1; /* closed below, even when close fails */
  if (close(fd) != 0 && status == PAIL_OK)
    status = errno_error(err, errno, "write", w->key);
  if (status == PAIL_OK && rename(w->temp_path, w->final_path) != 0)
    status = errno_error(err, errno, "store", w->key);
  if (status != PAIL_OK) {
    example_write_abort(w);
    return status;
  }
  int dir = open(w->directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)fsync(dir); /* makes the rename durable; best effort */
    close(dir);
  }
  writer_free(w);
  return PAIL_OK;
}

/* ------------------------------------------------------------- delete */

static pail_status example_delete(void *instance, const char *key,
                                  pail_error **err) {
  char *path;
  pail_status status = object_path(instance, key, &path, err);
  if (status != PAIL_OK)
    return status;
  /* unlink removes a link itself, never its target. */
  int rc = unlink(path);
  int errnum = errno;
  free(path);
  if (rc == 0)
    return PAIL_OK;
  return errnum == ENOENT ? not_found(err, key)
                          : errno_error(err, errnum, "delete", key);
}

/* ------------------------------------------------------------ listing */

/* An entry of the listing before paging: an object with its file's stat, or
 * a folder (a common prefix). */
typedef struct candidate {
  char *key;
  bool is_folder;
  struct stat st; /* objects only */
} candidate;

static int candidate_compare(const void *a, const void *b) {
  /* strcmp compares as unsigned char: byte order, as S3 lists. */
  return strcmp(((const candidate *)a)->key, ((const candidate *)b)->key);
}

static void candidates_free(candidate *list, size_t count) {
  for (size_t i = 0; i < count; i++)
    free(list[i].key);
  free(list);
}

/* Reads the directory into a sorted list of the objects whose keys start
 * with prefix, folding the keys that contain the delimiter after the prefix
 * into one folder entry each. */
static pail_status collect(const example_instance *ex, const char *prefix,
                           const char *delimiter, candidate **out,
                           size_t *out_count, pail_error **err) {
  *out = NULL;
  *out_count = 0;
  DIR *dir = opendir(ex->directory);
  if (dir == NULL)
    return directory_error(ex, errno, err);
  size_t prefix_length = strlen(prefix);
  candidate *list = NULL;
  size_t count = 0, capacity = 0;
  pail_status status = PAIL_OK;
  struct dirent *entry;
  /* errno is the only way readdir tells an error from the end. */
  while (status == PAIL_OK && (errno = 0, entry = readdir(dir)) != NULL) {
    char *key;
    struct stat st;
    status = decode_name(entry->d_name, &key, err);
    if (key == NULL || strncmp(key, prefix, prefix_length) != 0 ||
        fstatat(dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode)) {
      free(key); /* not an object, or removed since readdir saw it */
      continue;
    }
    bool is_folder = false;
    const char *fold =
        delimiter && *delimiter ? strstr(key + prefix_length, delimiter) : NULL;
    if (fold != NULL) {
      key[(size_t)(fold - key) + strlen(delimiter)] = '\0';
      is_folder = true;
    }
    if (count == capacity) {
      size_t grown = capacity ? capacity * 2 : 64;
      candidate *bigger = realloc(list, grown * sizeof *bigger);
      if (bigger == NULL) {
        free(key);
        status = no_memory(err);
        break;
      }
      list = bigger;
      capacity = grown;
    }
    list[count].key = key;
    list[count].is_folder = is_folder;
    list[count].st = st;
    count++;
  }
  if (status == PAIL_OK && errno != 0)
    status = directory_error(ex, errno, err);
  closedir(dir);
  if (status != PAIL_OK) {
    candidates_free(list, count);
    return status;
  }
  if (count > 1)
    qsort(list, count, sizeof *list, candidate_compare);
  /* Many keys fold into one folder: keep one entry per folder. */
  size_t kept = 0;
  for (size_t i = 0; i < count; i++) {
    if (kept > 0 && strcmp(list[kept - 1].key, list[i].key) == 0) {
      free(list[i].key);
      continue;
    }
    list[kept++] = list[i];
  }
  *out = list;
  *out_count = kept;
  return PAIL_OK;
}

/* One page, in byte order of keys. The page token is the last key the
 * previous page returned: the next page starts strictly after it, so paging
 * stays correct while other keys are added or removed. */
static pail_status example_list(void *instance,
                                const pail_backend_list_request *request,
                                pail_list_page *out, pail_error **err) {
  example_instance *ex = instance;
  size_t max_keys = request->max_keys ? request->max_keys : DEFAULT_MAX_KEYS;
  candidate *list;
  size_t count;
  pail_status status = collect(ex, request->prefix ? request->prefix : "",
                               request->delimiter, &list, &count, err);
  if (status != PAIL_OK)
    return status;
  size_t first = 0;
  while (request->page_token != NULL && first < count &&
         strcmp(list[first].key, request->page_token) <= 0)
    first++;
  size_t page_size = count - first < max_keys ? count - first : max_keys;
  if (page_size > 0 &&
      (out->entries = calloc(page_size, sizeof *out->entries)) == NULL)
    status = no_memory(err);
  /* out is the core's: it frees entries[0, count) and next_page_token after
   * the call, on failure too, so count each entry as soon as it is added. */
  for (size_t i = 0; status == PAIL_OK && i < page_size; i++) {
    candidate *c = &list[first + i];
    pail_object_info *info = &out->entries[out->count++];
    if (c->is_folder) {
      info->is_folder = 1;
      info->last_modified = INT64_MIN; /* unknown */
      if ((info->key = strdup(c->key)) == NULL)
        status = no_memory(err);
    } else {
      status = info_from_stat(c->key, &c->st, info, err);
    }
  }
  if (status == PAIL_OK && first + page_size < count && page_size > 0 &&
      (out->next_page_token = strdup(list[first + page_size - 1].key)) == NULL)
    status = no_memory(err);
  candidates_free(list, count);
  return status;
}

/* --------------------------------------------------- create_container */

static pail_status example_create_container(void *instance, pail_error **err) {
  example_instance *ex = instance;
  /* 0700: a storage holds private data. */
  if (mkdir(ex->directory, 0700) == 0)
    return PAIL_OK;
  int errnum = errno;
  struct stat st;
  if (errnum == EEXIST && stat(ex->directory, &st) == 0 && S_ISDIR(st.st_mode))
    return PAIL_OK; /* already there: success, as `pail mb` promises */
  if (errnum == EEXIST)
    return core->error_set(err, PAIL_ERR_CONFLICT, 0, NULL, NULL,
                           "example: %s exists and is not a directory",
                           ex->directory);
  return errno_error(err, errnum, "create the directory", ex->directory);
}

/* ----------------------------------------------------------- ops table */

/* The settings a storage of type "example" accepts ("type" is implied). The
 * core checks a storage against this table before calling open. */
static const pail_backend_field example_fields[] = {
    {"directory", PAIL_FIELD_STRING, 1, 0,
     "absolute path of the directory that holds one file per object"},
    {.name = NULL}, /* ends the table */
};

static const pail_backend_ops example_ops = {
    PAIL_BACKEND_OPS_INIT(
        "example"), /* must match the file name pail_example.so */
    .version = EXAMPLE_VERSION,
    .capabilities = PAIL_CAP_RANGED_READ | PAIL_CAP_CREATE_CONTAINER,
    .fields = example_fields,
    .open = example_open,
    .close = example_close,
    .list = example_list,
    .stat = example_stat,
    .read_open = example_read_open,
    .read_stream = example_read_stream,
    .read_close = example_read_close,
    .write_open = example_write_open,
    .write_stream = example_write_stream,
    .write_commit = example_write_commit,
    .write_abort = example_write_abort,
    .delete_object = example_delete,
    .copy = NULL, /* the core copies by streaming */
    .sign = NULL, /* the core answers with a workspace-signed grant */
    .create_container = example_create_container,
};

/* Defines the exported pail_backend_entry: it refuses a core of another ABI
 * major (or an older core than this header), keeps the services table in
 * `core` and hands over example_ops. */
/* Needs core ABI 1.0: ABI 1.0 services only, so it loads on every 1.x core. */
PAIL_BACKEND_DEFINE_ENTRY(example_ops, core, 0)
