/*
 * fs_list.c: listing for the fs backend, in the order S3 lists: bytewise
 * order of the full key. Walking the tree depth-first in that order needs
 * each directory's name compared as "name/" (all its keys start so): "a-c"
 * sorts before the keys under "a/" because '-' < '/', and "a0" after them.
 *
 * A page token is the hex of the last key (or folder) a page returned; the
 * next page starts strictly after it and skips, unread, every directory
 * whose keys all sort before it. Entries named ".pail-*", symbolic links
 * and anything but regular files and directories are never listed, and a
 * folder is listed only when it holds an object somewhere below it.
 */
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TOKEN_LENGTH 8192 /* twice the longest key, with room */
#define DEFAULT_MAX_KEYS 1000

typedef struct list_context {
  bool recursive;
  const char *after; /* decoded page token, or NULL */
  size_t max_keys;
  pail_list_page *page;
  size_t capacity;
  bool done;
  char *key; /* the current directory's key prefix ("a/b/"), grown as needed */
  size_t key_length;
  size_t key_capacity;
} list_context;

typedef struct dir_entry {
  char *sort_name; /* the name, with '/' appended for a directory */
  bool is_dir;
} dir_entry;

static int entry_compare(const void *a, const void *b) {
  return strcmp(((const dir_entry *)a)->sort_name,
                ((const dir_entry *)b)->sort_name);
}

static void entries_free(dir_entry *entries, size_t count) {
  for (size_t i = 0; i < count; i++)
    free(entries[i].sort_name);
  free(entries);
}

/* What a directory entry is, without following links: 'f' regular file,
 * 'd' directory, 0 anything else (links, devices, vanished). */
static char entry_kind(int dirfd, const struct dirent *e) {
  switch (e->d_type) {
  case DT_REG:
    return 'f';
  case DT_DIR:
    return 'd';
  case DT_UNKNOWN:
    break;
  default:
    return 0;
  }
  struct stat st;
  if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return 0;
  return S_ISREG(st.st_mode) ? 'f' : S_ISDIR(st.st_mode) ? 'd' : 0;
}

static bool name_is_hidden(const char *name) {
  return strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
         fs_name_is_reserved(name);
}

/* Reads the visible entries of dir (consumed) whose names start with
 * name_prefix, sorted in key order. */
static pail_status dir_read_sorted(DIR *dir, const char *name_prefix,
                                   const char *key, dir_entry **out,
                                   size_t *out_count, pail_error **err) {
  size_t prefix_length = strlen(name_prefix);
  dir_entry *entries = NULL;
  size_t count = 0, capacity = 0;
  pail_status status = PAIL_OK;
  struct dirent *e;
  /* errno is the only way readdir tells an error from the end. */
  while (status == PAIL_OK && (errno = 0, e = readdir(dir)) != NULL) {
    if (name_is_hidden(e->d_name) ||
        strncmp(e->d_name, name_prefix, prefix_length) != 0)
      continue;
    char kind = entry_kind(dirfd(dir), e);
    if (kind == 0)
      continue;
    if (count == capacity) {
      size_t grown = capacity ? 2 * capacity : 64;
      dir_entry *bigger = realloc(entries, grown * sizeof *bigger);
      if (bigger == NULL) {
        status = fs_no_memory(err);
        break;
      }
      entries = bigger;
      capacity = grown;
    }
    size_t n = strlen(e->d_name);
    char *sort_name = malloc(n + 2);
    if (sort_name == NULL) {
      status = fs_no_memory(err);
      break;
    }
    memcpy(sort_name, e->d_name, n);
    sort_name[n] = kind == 'd' ? '/' : '\0';
    sort_name[n + 1] = '\0';
    entries[count].sort_name = sort_name;
    entries[count].is_dir = kind == 'd';
    count++;
  }
  if (status == PAIL_OK && errno != 0)
    status = fs_errno_error(err, errno, "list", *key ? key : "/");
  closedir(dir);
  if (status != PAIL_OK) {
    entries_free(entries, count);
    return status;
  }
  if (count > 1)
    qsort(entries, count, sizeof *entries, entry_compare);
  *out = entries;
  *out_count = count;
  return PAIL_OK;
}

/* True when the directory `name` in dirfd holds a visible object somewhere
 * below it (empty directories are not folders, as in S3). */
static bool dir_has_object(int dirfd, const char *name) {
  int fd = openat(dirfd, name, FS_DIR_OPEN_FLAGS);
  if (fd < 0)
    return false;
  DIR *dir = fdopendir(fd);
  if (dir == NULL) {
    close(fd);
    return false;
  }
  bool found = false;
  struct dirent *e;
  while (!found && (e = readdir(dir)) != NULL) {
    if (name_is_hidden(e->d_name))
      continue;
    char kind = entry_kind(fd, e);
    found = kind == 'f' || (kind == 'd' && dir_has_object(fd, e->d_name));
  }
  closedir(dir);
  return found;
}

static pail_status key_append(list_context *ctx, const char *text,
                              pail_error **err) {
  size_t n = strlen(text);
  if (ctx->key_length + n + 1 > ctx->key_capacity) {
    size_t grown = 2 * (ctx->key_length + n + 1);
    char *bigger = realloc(ctx->key, grown);
    if (bigger == NULL)
      return fs_no_memory(err);
    ctx->key = bigger;
    ctx->key_capacity = grown;
  }
  memcpy(ctx->key + ctx->key_length, text, n + 1);
  ctx->key_length += n;
  return PAIL_OK;
}

/* Adds ctx->key to the page (a folder when st is NULL; etag, when not
 * empty, the file's), or, when the page is full, notes that more remains
 * and ends the walk. */
static pail_status emit(list_context *ctx, const struct stat *st,
                        const char *etag, pail_error **err) {
  pail_list_page *page = ctx->page;
  if (page->count == ctx->max_keys) {
    ctx->done = true;
    const char *last = page->entries[page->count - 1].key;
    size_t n = strlen(last);
    if ((page->next_page_token = malloc(2 * n + 1)) == NULL)
      return fs_no_memory(err);
    fs_core->hex_encode((const unsigned char *)last, n, page->next_page_token);
    return PAIL_OK;
  }
  if (page->count == ctx->capacity) {
    size_t grown = ctx->capacity ? 2 * ctx->capacity : 32;
    if (grown > ctx->max_keys)
      grown = ctx->max_keys;
    pail_object_info *bigger = realloc(page->entries, grown * sizeof *bigger);
    if (bigger == NULL)
      return fs_no_memory(err);
    page->entries = bigger;
    ctx->capacity = grown;
  }
  pail_object_info *info = &page->entries[page->count];
  memset(info, 0, sizeof *info);
  if ((info->key = strdup(ctx->key)) == NULL)
    return fs_no_memory(err);
  page->count++;
  if (st == NULL) {
    info->is_folder = 1;
    info->last_modified = INT64_MIN;
  } else {
    info->size = (uint64_t)st->st_size;
    info->last_modified = st->st_mtim.tv_sec;
    info->last_modified_nsec = (int32_t)st->st_mtim.tv_nsec;
    if (etag[0] && (info->etag = strdup(etag)) == NULL)
      return fs_no_memory(err);
  }
  return PAIL_OK;
}

/* The etag cached on file name of dirfd for st (fs_etag.c), else "": a
 * listing hashes nothing, but S3 clients want the ETag a write left. */
static void cached_etag(int dirfd, const char *name, const struct stat *st,
                        char etag[FS_ETAG_SIZE]) {
  etag[0] = '\0';
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return;
  if (!fs_etag_cache_get(fd, st, etag))
    etag[0] = '\0';
  close(fd);
}

/* True when a key that starts with ctx->key may still belong on the page:
 * it sorts after the token, or the token lies inside it. */
static bool subtree_after_token(const list_context *ctx) {
  return ctx->after == NULL || strcmp(ctx->key, ctx->after) > 0 ||
         strncmp(ctx->after, ctx->key, ctx->key_length) == 0;
}

static pail_status list_directory(list_context *ctx, int dirfd,
                                  const char *name_prefix, pail_error **err);

/* One entry of a directory, with ctx->key extended to its key. */
static pail_status list_entry(list_context *ctx, int dirfd,
                              const dir_entry *entry, pail_error **err) {
  bool after = ctx->after == NULL || strcmp(ctx->key, ctx->after) > 0;
  if (!entry->is_dir) {
    struct stat st;
    if (!after ||
        fs_core->key_check(ctx->key, ctx->key_length, NULL) != PAIL_OK)
      return PAIL_OK; /* names no pointer could use are not listed */
    size_t name_length = strlen(entry->sort_name);
    const char *name = ctx->key + ctx->key_length - name_length;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode))
      return PAIL_OK; /* gone or replaced since the directory was read */
    char etag[FS_ETAG_SIZE];
    cached_etag(dirfd, name, &st, etag);
    return emit(ctx, &st, etag, err);
  }
  size_t name_length = strlen(entry->sort_name) - 1;
  char *name =
      strndup(ctx->key + ctx->key_length - name_length - 1, name_length);
  if (name == NULL)
    return fs_no_memory(err);
  pail_status status = PAIL_OK;
  if (!ctx->recursive) {
    if (after &&
        fs_core->key_check(ctx->key, ctx->key_length - 1, NULL) == PAIL_OK &&
        dir_has_object(dirfd, name))
      status = emit(ctx, NULL, "", err);
  } else if (subtree_after_token(ctx)) {
    int fd = openat(dirfd, name, FS_DIR_OPEN_FLAGS);
    if (fd >= 0) /* else gone, or replaced by a link: not listed */
      status = list_directory(ctx, fd, "", err);
  }
  free(name);
  return status;
}

/* Lists the entries of dirfd (consumed) whose names start with name_prefix,
 * in key order, below ctx->key. */
static pail_status list_directory(list_context *ctx, int dirfd,
                                  const char *name_prefix, pail_error **err) {
  DIR *dir = fdopendir(dirfd);
  if (dir == NULL) {
    pail_status status =
        fs_errno_error(err, errno, "list", *ctx->key ? ctx->key : "/");
    close(dirfd);
    return status;
  }
  /* Kept open (dir_read_sorted closes dir) to reach the entries. */
  int fd = dup(dirfd);
  dir_entry *entries = NULL;
  size_t count = 0;
  pail_status status =
      fd < 0 ? fs_errno_error(err, errno, "list", *ctx->key ? ctx->key : "/")
             : PAIL_OK;
  if (status == PAIL_OK)
    status = dir_read_sorted(dir, name_prefix, ctx->key, &entries, &count, err);
  else
    closedir(dir);
  size_t base = ctx->key_length;
  for (size_t i = 0; status == PAIL_OK && !ctx->done && i < count; i++) {
    status = key_append(ctx, entries[i].sort_name, err);
    if (status == PAIL_OK)
      status = list_entry(ctx, fd, &entries[i], err);
    ctx->key_length = base;
    ctx->key[base] = '\0';
  }
  entries_free(entries, count);
  if (fd >= 0)
    close(fd);
  return status;
}

/* The refusal of a page token this backend did not issue. */
static pail_status token_invalid(pail_error **err) {
  return fs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "fs: the page token is not one the fs backend "
                            "issued");
}

/* Decodes a token this backend issued (the hex of the last key of the page
 * before) into a malloc'ed key in *out. */
static pail_status token_decode(const char *token, char **out,
                                pail_error **err) {
  size_t n = strlen(token);
  *out = NULL;
  /* The cap keeps a forged token from sizing an allocation. */
  if (n % 2 != 0 || n > MAX_TOKEN_LENGTH)
    return token_invalid(err);
  char *key = malloc(n / 2 + 1);
  if (key == NULL)
    return fs_no_memory(err);
  if (fs_core->hex_decode(token, n, (unsigned char *)key) != PAIL_OK) {
    free(key);
    return token_invalid(err);
  }
  key[n / 2] = '\0';
  *out = key;
  return PAIL_OK;
}

/* Opens the directory named by the part of prefix up to its last '/'.
 * *fd is -1 when it does not exist (or is not a plain directory): then
 * nothing matches the prefix. */
static pail_status prefix_open(fs_instance *fs, const char *prefix,
                               size_t dir_length, int *fd, pail_error **err) {
  *fd = -1;
  int root;
  pail_status status = fs_root(fs, &root, err);
  if (status != PAIL_OK)
    return status;
  int current = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (current < 0)
    return fs_errno_error(err, errno, "list", prefix);
  size_t start = 0;
  while (start < dir_length) {
    const char *slash = memchr(prefix + start, '/', dir_length - start);
    size_t n = (size_t)(slash - (prefix + start));
    char *segment = strndup(prefix + start, n);
    if (segment == NULL) {
      close(current);
      return fs_no_memory(err);
    }
    if (n == 0 || strcmp(segment, ".") == 0 || strcmp(segment, "..") == 0) {
      free(segment);
      close(current);
      return fs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                "fs: invalid listing prefix \"%s\"", prefix);
    }
    /* Reserved names hold no objects: nothing below them is listed. */
    bool reserved = fs_name_is_reserved(segment);
    int next = reserved ? -1 : openat(current, segment, FS_DIR_OPEN_FLAGS);
    int errnum = reserved ? ENOENT : errno;
    free(segment);
    close(current);
    if (next < 0 && (errnum == ENOENT || errnum == ENOTDIR || errnum == ELOOP))
      return PAIL_OK;
    if (next < 0)
      return fs_errno_error(err, errnum, "list", prefix);
    current = next;
    start += n + 1;
  }
  *fd = current;
  return PAIL_OK;
}

pail_status fs_list(void *instance, const pail_backend_list_request *request,
                    pail_list_page *out, pail_error **err) {
  fs_instance *fs = instance;
  const char *prefix = request->prefix ? request->prefix : "";
  if (request->delimiter != NULL && strcmp(request->delimiter, "/") != 0)
    return fs_core->error_set(err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
                              "fs: listing with delimiter \"%s\": only \"/\" "
                              "is supported",
                              request->delimiter);
  list_context ctx = {
      .recursive = request->delimiter == NULL,
      .max_keys = request->max_keys ? request->max_keys : DEFAULT_MAX_KEYS,
      .page = out,
  };
  char *after = NULL;
  pail_status status = PAIL_OK;
  if (request->page_token != NULL)
    status = token_decode(request->page_token, &after, err);
  ctx.after = after;
  const char *slash = strrchr(prefix, '/');
  size_t dir_length = slash ? (size_t)(slash - prefix) + 1 : 0;
  int fd = -1;
  if (status == PAIL_OK)
    status = prefix_open(fs, prefix, dir_length, &fd, err);
  if (status == PAIL_OK && fd >= 0) {
    char *dir_key = strndup(prefix, dir_length);
    if (dir_key == NULL) {
      close(fd);
      status = fs_no_memory(err);
    } else {
      status = key_append(&ctx, dir_key, err);
      free(dir_key);
      if (status == PAIL_OK)
        status = list_directory(&ctx, fd, prefix + dir_length, err);
      else
        close(fd);
    }
  }
  free(ctx.key);
  free(after);
  if (status != PAIL_OK) {
    for (size_t i = 0; i < out->count; i++)
      free(out->entries[i].key);
    free(out->entries);
    free(out->next_page_token);
    memset(out, 0, sizeof *out);
  }
  return status;
}
