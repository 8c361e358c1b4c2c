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
/* A write's temporary file, beside where its object goes: the prefix, then
 * 16 random hex digits. */
#define FS_TEMP_PREFIX FS_RESERVED_PREFIX "tmp."
/* On a temporary file: the key its write is for (pail cleanup shows it). */
#define FS_XATTR_TEMP_KEY "user.pail.temp_key"

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

/* Removes the now-empty directories among the first `count` directory
 * segments of segments (NUL-separated), deepest first, down to the one at
 * index `from`, stopping at the first that is not empty. Best effort: a
 * failure only leaves an empty directory behind, which listings hide. */
void fs_path_prune(fs_instance *fs, const char *segments, size_t count,
                   size_t from);

/* The leftovers of interrupted writes (fs_cleanup.c): temporary files. */
pail_status fs_leftovers_list(void *instance, pail_leftover **leftovers,
                              size_t *count, char **note, pail_error **err);
pail_status fs_leftover_remove(void *instance, const pail_leftover *leftover,
                               int force, pail_error **err);

/* The list operation of the ops table (fs_list.c). */
pail_status fs_list(void *instance, const pail_backend_list_request *request,
                    pail_list_page *out, pail_error **err);

#endif /* PAIL_BACKEND_FS_H */
