/*
 * fs.c: the fs backend's errors, its storage root and its instances, and
 * the ops table that names the operations of the other fs_*.c files.
 */
#include "fs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FS_VERSION "1.0.0"

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

pail_status fs_no_memory(pail_error **err) {
  return fs_core->error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                            "fs: out of memory");
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

pail_status fs_root_error(fs_instance *fs, int errnum, pail_error **err) {
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
  return errnum == 0 ? PAIL_OK : fs_root_error(fs, errnum, err);
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
    return fs_no_memory(err);
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
            ? fs_root_error(fs, errnum, err)
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
    PAIL_BACKEND_OPS_INIT("fs"),
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
    .read_file = fs_read_file,
};

/* Needs core ABI 1.15: content_type_guess (1.1), object_info_clear (1.4)
 * and hex_decode (1.15) for page tokens. */
PAIL_BACKEND_DEFINE_ENTRY(fs_ops, fs_core, 15)
