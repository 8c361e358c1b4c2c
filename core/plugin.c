/*
 * plugin.c: finding, loading and checking backend plugins, and the registry
 * of backends (loaded or registered in-process) shared by all workspaces.
 *
 * A backend is loaded once per process, on first use, and never unloaded:
 * unloading code that other threads may still be running is not worth the
 * memory it would return.
 */
#include "internal.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The size of the ops table of ABI 1.minor: up to the last member that
 * minor added (minors that added none have their predecessor's size). The
 * smallest a 1.x plugin may hand over is OPS_SIZE(0). */
#define OPS_END(member)                                                        \
  (offsetof(pail_backend_ops, member) + sizeof(((pail_backend_ops *)0)->member))
static size_t ops_size(uint32_t minor) {
  if (minor >= 18)
    return OPS_END(upload_part_copy);
  if (minor >= 17)
    return OPS_END(read_file);
  if (minor >= 14)
    return OPS_END(leftover_remove);
  if (minor >= 8)
    return OPS_END(connection_describe);
  if (minor >= 7)
    return OPS_END(write_stream_file);
  if (minor >= 1)
    return OPS_END(delete_objects);
  return OPS_END(create_container);
}
#define OPS_SIZE_1_0 OPS_END(create_container)

typedef struct registry_entry {
  backend *backend;
  struct registry_entry *next;
} registry_entry;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static registry_entry *registry;

static backend *registry_find(const char *type) {
  for (registry_entry *e = registry; e != NULL; e = e->next)
    if (strcmp(e->backend->type, type) == 0)
      return e->backend;
  return NULL;
}

static pail_status registry_add(backend *b, pail_error **err) {
  registry_entry *e = malloc(sizeof *e);
  if (e == NULL)
    return error_no_memory(err);
  e->backend = b;
  e->next = registry;
  registry = e;
  return PAIL_OK;
}

void backend_free(backend *b) {
  if (b == NULL)
    return;
  if (b->handle)
    dlclose(b->handle);
  free(b->type);
  free(b->path);
  free(b);
}

/* The error for a plugin of another ABI major, naming both versions. */
static pail_status abi_mismatch(pail_error **err, const char *where,
                                uint32_t built_for) {
  return pail_error_set(
      err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
      "%s was built for backend ABI %u.%u, but this libpail has ABI %u.%u "
      "(the major versions must match): rebuild the plugin",
      where, PAIL_ABI_MAJOR_OF(built_for), PAIL_ABI_MINOR_OF(built_for),
      PAIL_BACKEND_ABI_MAJOR, PAIL_BACKEND_ABI_MINOR);
}

/* Checks an ops table against this core's ABI and copies it, zero-filling
 * members a smaller (older minor) table lacks. `where` names the plugin file
 * or "in-process backend" in messages. */
static pail_status ops_adopt(const pail_backend_ops *ops, const char *type,
                             const char *where, backend *b, pail_error **err) {
  if (ops == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "%s returned no ops table", where);
  if (PAIL_ABI_MAJOR_OF(ops->abi_version) != PAIL_BACKEND_ABI_MAJOR)
    return abi_mismatch(err, where, ops->abi_version);
  if (ops->struct_size < OPS_SIZE_1_0)
    return pail_error_set(
        err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
        "%s has an ops table of %u bytes, smaller than ABI %u.0 requires "
        "(%zu bytes; this libpail has ABI %u.%u)",
        where, ops->struct_size, PAIL_BACKEND_ABI_MAJOR, OPS_SIZE_1_0,
        PAIL_BACKEND_ABI_MAJOR, PAIL_BACKEND_ABI_MINOR);
  /* abi_version is the record the core acts on; struct_size must agree
   * with it, or the table would be read as a minor it is not. A minor
   * newer than this core's needs only this core's table. */
  uint32_t minor = PAIL_ABI_MINOR_OF(ops->abi_version);
  if (minor > PAIL_BACKEND_ABI_MINOR)
    minor = PAIL_BACKEND_ABI_MINOR;
  if (ops->struct_size < ops_size(minor))
    return pail_error_set(
        err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
        "%s says it was built for ABI %u.%u but has an ops table of %u "
        "bytes, smaller than that ABI's (%zu bytes): its abi_version and "
        "struct_size disagree (use PAIL_BACKEND_OPS_INIT)",
        where, PAIL_ABI_MAJOR_OF(ops->abi_version),
        PAIL_ABI_MINOR_OF(ops->abi_version), ops->struct_size, ops_size(minor));
  if (ops->name == NULL || (type != NULL && strcmp(ops->name, type) != 0))
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "%s implements type \"%.64s\", expected \"%s\"",
                          where, ops->name ? ops->name : "(none)",
                          type ? type : "");
  if (ops->open == NULL || ops->close == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "%s has no open or close function (both are "
                          "required)",
                          where);
  /* The core parses these for every storage and removes them before the
   * backend's table is checked: a backend declaring one would never see
   * it, and would believe it had. */
  for (const pail_backend_field *f = ops->fields; f && f->name; f++)
    if (settings_is_core_field(f->name))
      return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "%s declares the field \"%s\", which the core "
                            "parses for every storage: a backend may not "
                            "declare it (docs/plugins.md, Settings fields)",
                            where, f->name);
  memset(&b->ops, 0, sizeof b->ops);
  memcpy(&b->ops, ops,
         ops->struct_size < sizeof b->ops ? ops->struct_size : sizeof b->ops);
  return PAIL_OK;
}

/* A plugin directory or file anyone may write to lets anyone run code in
 * every process that loads it. */
static pail_status check_not_world_writable(const char *path,
                                            pail_error **err) {
  struct stat st;
  if (stat(path, &st) != 0)
    return PAIL_OK; /* the load itself reports a missing file */
  if ((st.st_mode & S_IWOTH) &&
      !(S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX)))
    return pail_error_set(err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                          "refusing to load plugins from %s: it is "
                          "world-writable",
                          path);
  if ((st.st_mode & S_IWOTH) && !S_ISDIR(st.st_mode))
    return pail_error_set(err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                          "refusing to load plugin %s: it is world-writable",
                          path);
  return PAIL_OK;
}

/* A sticky world-writable directory (/tmp) passes the check above, but
 * anyone may create files in it: a plugin there must be ours or root's. */
static pail_status check_owner_in_shared_dir(const char *dir, const char *path,
                                             pail_error **err) {
  struct stat dir_st, st;
  if (stat(dir, &dir_st) != 0 || !(dir_st.st_mode & S_IWOTH) ||
      stat(path, &st) != 0)
    return PAIL_OK;
  if (st.st_uid != 0 && st.st_uid != geteuid())
    return pail_error_set(err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                          "refusing to load plugin %s: it sits in the "
                          "world-writable directory %s and belongs to "
                          "another user (uid %u)",
                          path, dir, (unsigned)st.st_uid);
  return PAIL_OK;
}

pail_status backend_load_file(const char *path, const char *type, backend **out,
                              pail_error **err) {
  *out = NULL;
  char *dir = str_dup(path);
  if (dir == NULL)
    return error_no_memory(err);
  char *slash = strrchr(dir, '/');
  if (slash != NULL)
    *(slash == dir ? slash + 1 : slash) = '\0';
  pail_status status = check_not_world_writable(dir, err);
  if (status == PAIL_OK)
    status = check_not_world_writable(path, err);
  if (status == PAIL_OK)
    status = check_owner_in_shared_dir(dir, path, err);
  free(dir);
  if (status != PAIL_OK)
    return status;

  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "cannot load plugin %s: %s", path, dlerror());
  pail_backend_entry_fn entry;
  *(void **)&entry = dlsym(handle, PAIL_BACKEND_ENTRY_SYMBOL);
  if (entry == NULL) {
    dlclose(handle);
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "plugin %s does not export %s (this libpail has "
                          "backend ABI %u.%u): not a pail plugin",
                          path, PAIL_BACKEND_ENTRY_SYMBOL,
                          PAIL_BACKEND_ABI_MAJOR, PAIL_BACKEND_ABI_MINOR);
  }
  const uint32_t *built_for = dlsym(handle, PAIL_BACKEND_ABI_SYMBOL);
  if (built_for != NULL &&
      PAIL_ABI_MAJOR_OF(*built_for) != PAIL_BACKEND_ABI_MAJOR) {
    uint32_t version = *built_for;
    dlclose(handle);
    char *where = str_printf("plugin %s", path);
    status = where ? abi_mismatch(err, where, version) : error_no_memory(err);
    free(where);
    return status;
  }
  backend *b = calloc(1, sizeof *b);
  char *where = str_printf("plugin %s", path);
  if (b == NULL || where == NULL) {
    free(b);
    free(where);
    dlclose(handle);
    return error_no_memory(err);
  }
  b->handle = handle;
  const pail_backend_ops *ops = NULL;
  pail_error *entry_error = NULL;
  status = entry(PAIL_BACKEND_ABI_VERSION, &core_services, &ops, &entry_error);
  if (status != PAIL_OK) {
    pail_error_set(err, status, 0, NULL, NULL,
                   "plugin %s refused to load (this libpail has backend ABI "
                   "%u.%u): %s",
                   path, PAIL_BACKEND_ABI_MAJOR, PAIL_BACKEND_ABI_MINOR,
                   entry_error ? pail_error_message(entry_error)
                               : "no reason given");
    pail_error_free(entry_error);
  } else {
    status = ops_adopt(ops, type, where, b, err);
  }
  free(where);
  if (status == PAIL_OK) {
    b->type = str_dup(b->ops.name);
    b->path = str_dup(path);
    if (b->type == NULL || b->path == NULL)
      status = error_no_memory(err);
  }
  if (status != PAIL_OK) {
    backend_free(b);
    return status;
  }
  *out = b;
  return PAIL_OK;
}

/* True when dir (a resolved path) is build/sub, build resolved too. */
static bool is_build_subdir(const char *dir, const char *build,
                            const char *sub) {
  char *want = str_printf("%s/%s", build, sub);
  char resolved[PATH_MAX];
  bool same = want != NULL && realpath(want, resolved) != NULL &&
              strcmp(dir, resolved) == 0;
  free(want);
  return same;
}

bool backend_core_in_build_tree(const char *core_file, const char *build_dir) {
  char self[PATH_MAX];
  if (core_file == NULL || build_dir == NULL ||
      realpath(core_file, self) == NULL)
    return false;
  /* Exact directories, not a prefix: an install under the build tree
   * (--prefix=$builddir/inst) is installed, and must not pick up the
   * build tree's plugins. */
  char *slash = strrchr(self, '/');
  *(slash == self ? slash + 1 : slash) = '\0';
  return is_build_subdir(self, build_dir, ".libs") ||
         is_build_subdir(self, build_dir, "tests") ||
         is_build_subdir(self, build_dir, "tests/.libs");
}

/* True when this copy of the core was made by the build tree and is not
 * installed (see backend_core_in_build_tree). Then the build tree's plugins
 * are used before installed ones, without the user setting anything. */
static bool running_uninstalled(void) {
#ifdef PAIL_BUILD_DIR
  Dl_info info;
  struct link_map *map = NULL;
  if (dladdr1((void *)&running_uninstalled, &info, (void **)&map,
              RTLD_DL_LINKMAP) == 0 ||
      map == NULL)
    return false;
  /* The main program's name is empty in its link map (dladdr would give
   * argv[0], relative to a directory we may have left). */
  const char *file = map->l_name[0] != '\0' ? map->l_name : "/proc/self/exe";
  return backend_core_in_build_tree(file, PAIL_BUILD_DIR);
#else
  return false;
#endif
}

static bool push_dir(char ***dirs, size_t *count, const char *dir) {
  char **grown = realloc(*dirs, (*count + 2) * sizeof **dirs);
  if (grown == NULL)
    return false;
  *dirs = grown;
  grown[*count] = str_dup(dir);
  if (grown[*count] == NULL)
    return false;
  grown[++*count] = NULL;
  return true;
}

/* Each build-tree plugin sits in backends/<name>/.libs. */
static bool push_build_dirs(char ***dirs, size_t *count) {
#ifdef PAIL_BUILD_DIR
  DIR *d = opendir(PAIL_BUILD_DIR "/backends");
  if (d == NULL)
    return true;
  struct dirent *entry;
  bool ok = true;
  char **names = NULL;
  size_t name_count = 0;
  while (ok && (entry = readdir(d)) != NULL) {
    if (entry->d_name[0] == '.')
      continue;
    char *libs =
        str_printf("%s/backends/%s/.libs", PAIL_BUILD_DIR, entry->d_name);
    struct stat st;
    if (libs != NULL && stat(libs, &st) == 0 && S_ISDIR(st.st_mode))
      ok = push_dir(&names, &name_count, libs);
    free(libs);
  }
  closedir(d);
  for (size_t i = 0; ok && i < name_count; i++)
    ok = push_dir(dirs, count, names[i]);
  backend_search_path_free(names);
  return ok;
#else
  (void)dirs;
  (void)count;
  return true;
#endif
}

char **backend_search_path(void) {
  char **dirs = calloc(1, sizeof *dirs);
  size_t count = 0;
  bool ok = dirs != NULL;
  const char *env = getenv("PAIL_PLUGIN_PATH");
  if (ok && env != NULL) {
    char *copy = str_dup(env);
    ok = copy != NULL;
    char *save = NULL;
    for (char *part = ok ? strtok_r(copy, ":", &save) : NULL;
         ok && part != NULL; part = strtok_r(NULL, ":", &save)) {
      /* Relative entries would depend on the current directory: never. */
      if (part[0] == '/')
        ok = push_dir(&dirs, &count, part);
    }
    free(copy);
  }
  if (ok && running_uninstalled())
    ok = push_build_dirs(&dirs, &count);
  if (ok)
    ok = push_dir(&dirs, &count, PAIL_PLUGINDIR);
  if (!ok) {
    backend_search_path_free(dirs);
    return NULL;
  }
  return dirs;
}

void backend_search_path_free(char **dirs) {
  if (dirs == NULL)
    return;
  for (char **d = dirs; *d != NULL; d++)
    free(*d);
  free(dirs);
}

static pail_status backend_find_and_load(const char *type, backend **out,
                                         pail_error **err) {
  char **dirs = backend_search_path();
  if (dirs == NULL)
    return error_no_memory(err);
  pail_status status = PAIL_ERR_NOT_FOUND;
  for (char **d = dirs; *d != NULL; d++) {
    char *path = str_printf("%s/pail_%s.so", *d, type);
    if (path == NULL) {
      status = error_no_memory(err);
      break;
    }
    struct stat st;
    if (stat(path, &st) == 0) {
      status = backend_load_file(path, type, out, err);
      free(path);
      break;
    }
    free(path);
  }
  if (status == PAIL_ERR_NOT_FOUND) {
    size_t length = 0;
    for (char **d = dirs; *d != NULL; d++)
      length += strlen(*d) + 2;
    char *list = calloc(1, length + 1);
    for (char **d = dirs; list != NULL && *d != NULL; d++) {
      if (d != dirs)
        strcat(list, ", ");
      strcat(list, *d);
    }
    pail_error_set(err, PAIL_ERR_NOT_FOUND, 0, NULL, NULL,
                   "no backend for type \"%s\": pail_%s.so is not in %s "
                   "(set PAIL_PLUGIN_PATH to add directories)",
                   type, type, list ? list : "the plugin directories");
    free(list);
  }
  backend_search_path_free(dirs);
  return status;
}

pail_status backend_get(const char *type, const backend **out,
                        pail_error **err) {
  pthread_mutex_lock(&registry_lock);
  backend *b = registry_find(type);
  pail_status status = PAIL_OK;
  if (b == NULL) {
    status = backend_find_and_load(type, &b, err);
    if (status == PAIL_OK && (status = registry_add(b, err)) != PAIL_OK) {
      backend_free(b);
      b = NULL;
    }
  }
  pthread_mutex_unlock(&registry_lock);
  *out = b;
  return status;
}

pail_status pail_backend_register(const pail_backend_ops *ops,
                                  pail_error **err) {
  ARGUMENT_REQUIRED(err, ops, "ops table");
  backend *b = calloc(1, sizeof *b);
  if (b == NULL)
    return error_no_memory(err);
  pail_status status = ops_adopt(ops, NULL, "in-process backend", b, err);
  if (status == PAIL_OK && (b->type = str_dup(ops->name)) == NULL)
    status = error_no_memory(err);
  if (status == PAIL_OK && ops != NULL) {
    pthread_mutex_lock(&registry_lock);
    if (registry_find(ops->name) != NULL)
      status = pail_error_set(err, PAIL_ERR_CONFLICT, 0, NULL, NULL,
                              "a backend of type \"%s\" is already "
                              "registered or loaded",
                              ops->name);
    else
      status = registry_add(b, err);
    pthread_mutex_unlock(&registry_lock);
  }
  if (status != PAIL_OK)
    backend_free(b);
  return status;
}

static pail_status info_from_backend(pail_backend_info *info,
                                     const backend *b) {
  info->type = str_dup(b->type);
  info->path = str_dup(b->path);
  info->version = str_dup(b->ops.version ? b->ops.version : "");
  info->abi_version = b->ops.abi_version;
  info->capabilities = b->ops.capabilities;
  return info->type && info->version && (!b->path || info->path)
             ? PAIL_OK
             : PAIL_ERR_INTERNAL;
}

static bool scan_has_type(const pail_backend_info *infos, size_t count,
                          const char *type) {
  for (size_t i = 0; i < count; i++)
    if (strcmp(infos[i].type, type) == 0)
      return true;
  return false;
}

static pail_status scan_push(pail_backend_info **infos, size_t *count,
                             size_t *capacity) {
  if (*count < *capacity)
    return PAIL_OK;
  size_t grown = *capacity ? *capacity * 2 : 8;
  pail_backend_info *bigger = realloc(*infos, grown * sizeof *bigger);
  if (bigger == NULL)
    return PAIL_ERR_INTERNAL;
  *infos = bigger;
  *capacity = grown;
  return PAIL_OK;
}

pail_status pail_backend_scan(pail_backend_info **out, size_t *out_count,
                              pail_error **err) {
  ARGUMENT_REQUIRED(err, out, "place for the backend list");
  ARGUMENT_REQUIRED(err, out_count, "place for the count");
  pail_backend_info *infos = NULL;
  size_t count = 0, capacity = 0;
  pail_status status = PAIL_OK;
  char **dirs = backend_search_path();
  if (dirs == NULL)
    return error_no_memory(err);
  /* Plugins on the search path, first one of each type wins as in
   * backend_get. */
  for (char **d = dirs; status == PAIL_OK && *d != NULL; d++) {
    struct dirent **names = NULL;
    int n = scandir(*d, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
      const char *name = names[i]->d_name;
      size_t len = strlen(name);
      if (status == PAIL_OK && len > 8 && strncmp(name, "pail_", 5) == 0 &&
          strcmp(name + len - 3, ".so") == 0) {
        char *type = strndup(name + 5, len - 8);
        if (type == NULL || scan_push(&infos, &count, &capacity) != PAIL_OK) {
          free(type);
          status = error_no_memory(err);
        } else if (!scan_has_type(infos, count, type)) {
          pail_backend_info *info = &infos[count++];
          memset(info, 0, sizeof *info);
          const backend *b = NULL;
          pail_error *load_error = NULL;
          if (backend_get(type, &b, &load_error) == PAIL_OK) {
            if (info_from_backend(info, b) != PAIL_OK)
              status = error_no_memory(err);
          } else {
            info->type = str_dup(type);
            info->path = str_printf("%s/%s", *d, name);
            info->version = str_dup("");
            info->error = str_dup(pail_error_message(load_error));
          }
          pail_error_free(load_error);
        }
        free(type);
      }
      free(names[i]);
    }
    free(names);
  }
  backend_search_path_free(dirs);
  /* In-process backends registered by the embedding program. */
  pthread_mutex_lock(&registry_lock);
  for (registry_entry *e = registry; status == PAIL_OK && e != NULL;
       e = e->next) {
    if (e->backend->path != NULL ||
        scan_has_type(infos, count, e->backend->type))
      continue;
    if (scan_push(&infos, &count, &capacity) != PAIL_OK) {
      status = error_no_memory(err);
      break;
    }
    memset(&infos[count], 0, sizeof infos[count]);
    if (info_from_backend(&infos[count++], e->backend) != PAIL_OK)
      status = error_no_memory(err);
  }
  pthread_mutex_unlock(&registry_lock);
  if (status != PAIL_OK) {
    pail_backend_info_free(infos, count);
    return status;
  }
  *out = infos;
  *out_count = count;
  return PAIL_OK;
}

void pail_backend_info_free(pail_backend_info *infos, size_t count) {
  for (size_t i = 0; infos != NULL && i < count; i++) {
    free(infos[i].type);
    free(infos[i].path);
    free(infos[i].version);
    free(infos[i].error);
  }
  free(infos);
}

const char *pail_capability_name(uint64_t bit) {
  switch (bit) {
  case PAIL_CAP_RANGED_READ:
    return "ranged-read";
  case PAIL_CAP_MULTIPART:
    return "multipart";
  case PAIL_CAP_SERVER_COPY:
    return "server-copy";
  case PAIL_CAP_PRESIGN:
    return "presign";
  case PAIL_CAP_CONDITIONAL_WRITE:
    return "conditional-write";
  case PAIL_CAP_METADATA:
    return "metadata";
  case PAIL_CAP_CREATE_CONTAINER:
    return "create-container";
  case PAIL_CAP_CONDITIONAL_READ:
    return "conditional-read";
  default:
    return NULL;
  }
}
