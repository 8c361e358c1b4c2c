/*
 * fs.h: what the files of the fs backend share. Not installed.
 *
 * The fs backend stores each object as a regular file under root_path. Keys
 * are resolved one segment at a time from a descriptor of the root, never
 * following a symbolic link, so that no key (and no link planted under the
 * root) can reach a file outside it. Names starting with ".pail-" are the
 * backend's own (temporary files): keys using them are refused and listings
 * hide them.
 */
#ifndef PAIL_BACKEND_FS_H
#define PAIL_BACKEND_FS_H

/* Must precede every system header: it turns on _GNU_SOURCE. */
#include <config.h>

#include <pail/backend.h>

#include <pthread.h>
#include <stdbool.h>

#define FS_RESERVED_PREFIX ".pail-"
#define FS_RESERVED_PREFIX_LENGTH 6

/* The services table the core lent at entry; lives for the process. */
extern const pail_core_services *fs_core;

/* One configured storage. Everything but root_fd is fixed at open;
 * root_fd is opened once (at open, or by create_container when the root
 * did not exist yet) under lock and never changes afterwards. */
typedef struct fs_instance {
  const pail_config *cfg;
  char *root_path;
  pthread_mutex_t lock;
  int root_fd; /* O_PATH descriptor of the root, -1 until it exists */
} fs_instance;

/* Returns the root's descriptor (owned by the instance: do not close), or
 * PAIL_ERR_NOT_FOUND telling the user to run `pail mb` when the root does
 * not exist. */
pail_status fs_root(fs_instance *fs, int *fd, pail_error **err);

/* True when name (one path segment) is reserved for the backend. */
bool fs_name_is_reserved(const char *name);

/* Sets *err from errnum for an action on key ("cannot <action> "key": ...")
 * and returns the category: ENOENT not found, EACCES/EPERM/EROFS access
 * denied, EEXIST conflict, ENOSPC/EIO io, and so on. */
pail_status fs_errno_error(pail_error **err, int errnum, const char *action,
                           const char *key);

/* The list operation of the ops table (fs_list.c). */
pail_status fs_list(void *instance, const pail_backend_list_request *request,
                    pail_list_page *out, pail_error **err);

#endif /* PAIL_BACKEND_FS_H */
