/*
 * fs_delete.c: deletes, which also remove the folders a delete leaves
 * empty (an object store has no empty folders).
 */
#include "fs.h"

#include <errno.h>
#include <unistd.h>

pail_status fs_delete(void *instance, const char *key, pail_error **err) {
  fs_instance *fs = instance;
  fs_path p;
  pail_status status = fs_path_open(fs, key, FS_WALK_READ, &p, err);
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
  fs_path_clear(&p);
  return status;
}
