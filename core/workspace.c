/*
 * workspace.c: a workspace is its settings plus, per storage, a backend
 * instance opened on first use. Everything a pointer needs before a plugin
 * is called (storage lookup, key validation, access rules, scopes, grants)
 * is here. A narrowed workspace (pail_workspace_narrow) is a view of
 * another: it shares its root's settings, storages and key, and adds a
 * scope that every access must pass as well as the rules.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct storage_slot {
  const backend *backend;
  void *instance;
  pail_config config;
  bool opened;
} storage_slot;

/* What a narrowed workspace may reach: an access must pass the scopes of
 * the view and of every workspace it was narrowed from. */
typedef struct workspace_scope {
  unsigned access; /* pail_access bits allowed */
  char **storages; /* names ("_default_": the primary); none: all */
  size_t storage_count;
  char **prefixes; /* key prefixes; none: every key */
  size_t prefix_count;
} workspace_scope;

struct pail_workspace {
  /* In a view, a shallow copy of the root's: never freed through it. */
  workspace_settings settings;
  /* The workspace opened from settings: itself, or the one a view was
   * narrowed from at the end of the chain. Owns the slots, the lock and
   * the key, which a view reaches through it. */
  pail_workspace *root;
  const pail_workspace *parent; /* NULL in a root */
  workspace_scope scope;        /* every access, in a root */
  char *username;
  pail_log_fn log;
  void *log_user_data;
  pail_log_level log_level;
  /* Guards the slots' lazy opening and the signing key cache. */
  pthread_mutex_t lock;
  storage_slot *slots;
  unsigned char *signing_key;
  size_t signing_key_length;
};

void workspace_log(pail_workspace *ws, pail_log_level level, const char *format,
                   ...) {
  if (ws->log == NULL || level > ws->log_level)
    return;
  char *message = NULL;
  va_list args;
  va_start(args, format);
  int n = vasprintf(&message, format, args);
  va_end(args);
  if (n >= 0) {
    ws->log(ws->log_user_data, level, message);
    free(message);
  }
}

/* Takes ownership of settings (freed on failure too). */
static pail_status workspace_new(workspace_settings *settings,
                                 const pail_options *options,
                                 pail_workspace **out, pail_error **err) {
  *out = NULL;
  pail_options opts = PAIL_OPTIONS_INIT;
  OPTIONS_ADOPT(opts, options);
  pail_workspace *ws = calloc(1, sizeof *ws);
  if (ws == NULL) {
    settings_free(settings);
    return error_no_memory(err);
  }
  ws->settings = *settings;
  memset(settings, 0, sizeof *settings);
  ws->root = ws;
  ws->scope.access = PAIL_ACCESS_READ | PAIL_ACCESS_WRITE | PAIL_ACCESS_DELETE |
                     PAIL_ACCESS_LIST;
  const char *username = opts.username ? opts.username : getenv("PAIL_USER");
  ws->username = username && *username ? strdup(username) : NULL;
  ws->log = opts.log;
  ws->log_user_data = opts.log_user_data;
  ws->log_level = opts.log_level;
  ws->slots = calloc(ws->settings.storage_count, sizeof *ws->slots);
  if (ws->slots == NULL || (username && *username && ws->username == NULL)) {
    pail_workspace_close(ws);
    return error_no_memory(err);
  }
  for (size_t i = 0; i < ws->settings.storage_count; i++) {
    storage_slot *slot = &ws->slots[i];
    slot->config.storage = &ws->settings.storages[i];
    slot->config.log = ws->log;
    slot->config.log_user_data = ws->log_user_data;
    slot->config.log_level = ws->log_level;
    slot->config.max_attempts = opts.max_attempts > 0
                                    ? opts.max_attempts
                                    : ws->settings.storages[i].max_attempts;
    slot->config.retry_time_limit_ms =
        ws->settings.storages[i].retry_time_limit_ms;
  }
  pthread_mutex_init(&ws->lock, NULL);
  workspace_log(ws, PAIL_LOG_DEBUG,
                "workspace settings from %s, %zu storage(s)",
                ws->settings.source, ws->settings.storage_count);
  *out = ws;
  return PAIL_OK;
}

pail_status pail_workspace_open(const char *config_path,
                                const pail_options *options,
                                pail_workspace **out, pail_error **err) {
  ARGUMENT_REQUIRED(err, out, "place for the workspace");
  workspace_settings settings;
  pail_status status = config_path
                           ? settings_load_file(config_path, &settings, err)
                           : settings_load_default_chain(&settings, err);
  if (status != PAIL_OK) {
    *out = NULL;
    return status;
  }
  return workspace_new(&settings, options, out, err);
}

pail_status pail_workspace_open_json(const char *json,
                                     const pail_options *options,
                                     pail_workspace **out, pail_error **err) {
  ARGUMENT_REQUIRED(err, out, "place for the workspace");
  workspace_settings settings;
  pail_status status =
      json == NULL
          ? pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                           "settings JSON is NULL")
          : settings_parse(json, strlen(json), "<json>", &settings, err);
  if (status != PAIL_OK) {
    *out = NULL;
    return status;
  }
  return workspace_new(&settings, options, out, err);
}

pail_status pail_workspace_open_default(const pail_options *options,
                                        pail_workspace **out,
                                        pail_error **err) {
  ARGUMENT_REQUIRED(err, out, "place for the workspace");
  workspace_settings settings;
  pail_status status = settings_embedded_default(&settings, err);
  if (status != PAIL_OK) {
    *out = NULL;
    return status;
  }
  return workspace_new(&settings, options, out, err);
}

static void scope_clear(workspace_scope *scope) {
  for (size_t i = 0; i < scope->storage_count; i++)
    free(scope->storages[i]);
  for (size_t i = 0; i < scope->prefix_count; i++)
    free(scope->prefixes[i]);
  free(scope->storages);
  free(scope->prefixes);
  memset(scope, 0, sizeof *scope);
}

void pail_workspace_close(pail_workspace *ws) {
  if (ws == NULL)
    return;
  scope_clear(&ws->scope);
  if (ws->root != ws) { /* a view owns its scope and username only */
    free(ws->username);
    free(ws);
    return;
  }
  for (size_t i = 0; ws->slots && i < ws->settings.storage_count; i++)
    if (ws->slots[i].opened)
      ws->slots[i].backend->ops.close(ws->slots[i].instance);
  free(ws->slots);
  if (ws->signing_key) {
    memset(ws->signing_key, 0, ws->signing_key_length);
    free(ws->signing_key);
  }
  free(ws->username);
  settings_free(&ws->settings);
  pthread_mutex_destroy(&ws->lock);
  free(ws);
}

const char *pail_workspace_source(const pail_workspace *ws) {
  return ws ? ws->settings.source : NULL;
}

size_t pail_workspace_storage_count(const pail_workspace *ws) {
  return ws ? ws->settings.storage_count : 0;
}

const char *pail_workspace_storage_name(const pail_workspace *ws,
                                        size_t index) {
  return ws && index < ws->settings.storage_count
             ? ws->settings.storages[index].name
             : NULL;
}

const char *pail_workspace_storage_type(const pail_workspace *ws,
                                        size_t index) {
  return ws && index < ws->settings.storage_count
             ? ws->settings.storages[index].type
             : NULL;
}

static pail_status find_storage(pail_workspace *ws, const char *name,
                                size_t *index, pail_error **err) {
  if (name == NULL || strcmp(name, "_default_") == 0) {
    *index = 0;
    return PAIL_OK;
  }
  for (size_t i = 1; i < ws->settings.storage_count; i++) {
    if (strcmp(ws->settings.storages[i].name, name) == 0) {
      *index = i;
      return PAIL_OK;
    }
  }
  size_t length = 0;
  for (size_t i = 1; i < ws->settings.storage_count; i++)
    length += strlen(ws->settings.storages[i].name) + 2;
  char *known = calloc(1, length + 1);
  for (size_t i = 1; known && i < ws->settings.storage_count; i++) {
    if (i > 1)
      strcat(known, ", ");
    strcat(known, ws->settings.storages[i].name);
  }
  pail_error_set(err, PAIL_ERR_NOT_FOUND, 0, NULL, NULL,
                 "no storage named \"%.64s\" in the workspace (%s); %s%s", name,
                 ws->settings.source,
                 known && *known ? "secondary storages: "
                                 : "it has no secondary storage",
                 known && *known ? known : "");
  free(known);
  return PAIL_ERR_NOT_FOUND;
}

static pail_status open_slot(pail_workspace *ws, size_t index,
                             storage_handle *out, pail_error **err) {
  ws = ws->root; /* the slots and their lock are the root's */
  storage_slot *slot = &ws->slots[index];
  const storage_settings *settings = &ws->settings.storages[index];
  pail_status status = PAIL_OK;
  pthread_mutex_lock(&ws->lock);
  if (!slot->opened) {
    const backend *b = NULL;
    status = backend_get(settings->type, &b, err);
    /* The loader knows only the type; the user needs to know which
     * storage of the settings asked for it. */
    if (status != PAIL_OK && settings->name)
      error_prefix(err, "storage \"%s\"", settings->name);
    else if (status != PAIL_OK)
      error_prefix(err, "primary storage");
    if (status == PAIL_OK) {
      slot->config.fields = b->ops.fields;
      slot->config.backend_abi = b->ops.abi_version;
      status = config_validate(settings, b->ops.fields, err);
    }
    if (status == PAIL_OK) {
      void *instance = NULL;
      status = error_redact(err, &slot->config,
                            b->ops.open(&slot->config, &instance, err));
      if (status == PAIL_OK) {
        slot->backend = b;
        slot->instance = instance;
        slot->opened = true;
        workspace_log(ws, PAIL_LOG_DEBUG, "opened %s%s%s (type %s, %s)",
                      settings->name ? "storage \"" : "primary storage",
                      settings->name ? settings->name : "",
                      settings->name ? "\"" : "", settings->type,
                      b->path ? b->path : "in-process");
        if (settings->tls_verify_off)
          workspace_log(ws, PAIL_LOG_WARNING,
                        "%s%s%s: TLS certificate verification is off "
                        "(\"tlsVerify\": false): anyone on the network path "
                        "can read and change this storage's data; prefer "
                        "\"caBundle\" for a private CA",
                        settings->name ? "storage \"" : "primary storage",
                        settings->name ? settings->name : "",
                        settings->name ? "\"" : "");
      } else if (settings->name) {
        error_prefix(err, "storage \"%s\" (type %s)", settings->name,
                     settings->type);
      } else {
        error_prefix(err, "primary storage (type %s)", settings->type);
      }
    }
  }
  if (status == PAIL_OK) {
    out->backend = slot->backend;
    out->instance = slot->instance;
    out->settings = settings;
    out->config = &slot->config;
  }
  pthread_mutex_unlock(&ws->lock);
  return status;
}

pail_status workspace_storage(pail_workspace *ws, const char *name,
                              storage_handle *out, pail_error **err) {
  size_t index;
  pail_status status = find_storage(ws, name, &index, err);
  return status == PAIL_OK ? open_slot(ws, index, out, err) : status;
}

pail_status pail_workspace_check_storage(pail_workspace *ws,
                                         const char *storage,
                                         pail_error **err) {
  ARGUMENT_REQUIRED(err, ws, "workspace");
  storage_handle handle;
  return workspace_storage(ws, storage, &handle, err);
}

pail_status pail_workspace_probe_storage(pail_workspace *ws,
                                         const char *storage,
                                         pail_error **err) {
  ARGUMENT_REQUIRED(err, ws, "workspace");
  storage_handle h;
  pail_status status = workspace_storage(ws, storage, &h, err);
  if (status != PAIL_OK || h.backend->ops.list == NULL)
    return status;
  /* A listing of one key: every provider's cheapest request that needs
   * the endpoint, the bucket and the credentials all to be right. */
  pail_backend_list_request request = {.prefix = "", .max_keys = 1};
  pail_list_page page = {0};
  status = error_redact(err, h.config,
                        h.backend->ops.list(h.instance, &request, &page, err));
  pail_list_page_clear(&page);
  return status;
}

static const char *access_name(unsigned access) {
  switch (access) {
  case PAIL_ACCESS_READ:
    return "read";
  case PAIL_ACCESS_WRITE:
    return "write";
  case PAIL_ACCESS_DELETE:
    return "delete";
  case PAIL_ACCESS_LIST:
    return "list";
  default:
    return "this access";
  }
}

/* Why key (of the storage named storage, NULL for the primary) is out of
 * scope for access: "" when it is in scope. */
static const char *scope_refusal(const workspace_scope *scope,
                                 const char *storage, const char *key,
                                 unsigned access) {
  if ((access & ~scope->access) != 0)
    return "is not a kind of access these credentials allow";
  bool found = scope->storage_count == 0;
  const char *name = storage != NULL ? storage : "_default_";
  for (size_t i = 0; !found && i < scope->storage_count; i++)
    found = strcmp(scope->storages[i], name) == 0;
  if (!found)
    return "is in a storage outside the scope of these credentials";
  found = scope->prefix_count == 0;
  for (size_t i = 0; !found && i < scope->prefix_count; i++)
    found = strncmp(key, scope->prefixes[i], strlen(scope->prefixes[i])) == 0;
  return found ? "" : "is outside the scope of these credentials";
}

/* The scopes of ws and of every workspace it was narrowed from. */
static pail_status check_scope(const pail_workspace *ws,
                               const pail_pointer *ptr, unsigned access,
                               pail_error **err) {
  for (const pail_workspace *w = ws; w != NULL; w = w->parent) {
    const char *why = scope_refusal(&w->scope, ptr->storage, ptr->key, access);
    if (*why != '\0') {
      char *key = text_escape(ptr->key, strlen(ptr->key), 256, TEXT_QUOTED);
      pail_error_set(err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                     "%s to \"%s\" %s", access_name(access), key ? key : "?",
                     why);
      free(key);
      return PAIL_ERR_ACCESS_DENIED;
    }
  }
  return PAIL_OK;
}

static pail_status check_access(pail_workspace *ws, const pail_pointer *ptr,
                                unsigned access, pail_error **err) {
  pail_status status = check_scope(ws, ptr, access, err);
  if (status != PAIL_OK)
    return status;
  if (ptr->presigned != NULL && access == PAIL_ACCESS_READ) {
    /* A grant stands in for the rules, for reading that one key only. */
    return pail_grant_verify(ws, ptr, 0, err);
  }
  return access_rules_check(&ws->settings.rules, ws->username, ptr->key, access,
                            err);
}

pail_status pail_access_check(pail_workspace *ws, const pail_pointer *ptr,
                              pail_access access, pail_error **err) {
  ARGUMENT_REQUIRED(err, ws, "workspace");
  ARGUMENT_REQUIRED(err, ptr, "pointer");
  ARGUMENT_REQUIRED(err, ptr->key, "key in the pointer");
  return check_access(ws, ptr, (unsigned)access, err);
}

size_t workspace_list_filter(pail_workspace *ws, const char *prefix,
                             pail_list_page *page) {
  size_t dropped = list_page_drop_unnameable(prefix, page);
  /* The gateway's staged uploads are no one's objects: shown only to a
   * listing that asks for them by name (the gateway's own, an operator's
   * `pail ls .pail_uploads/`). */
  bool hide_staged = !key_is_reserved(prefix);
  if (!ws->settings.rules.present && !hide_staged)
    return dropped;
  size_t kept = 0;
  for (size_t i = 0; i < page->count; i++) {
    pail_object_info *entry = &page->entries[i];
    if (entry->key != NULL && !(hide_staged && key_is_reserved(entry->key)) &&
        (!ws->settings.rules.present ||
         access_rules_check(&ws->settings.rules, ws->username, entry->key,
                            PAIL_ACCESS_LIST, NULL) == PAIL_OK)) {
      if (kept != i)
        page->entries[kept] = *entry;
      kept++;
    } else {
      pail_object_info_clear(entry);
      dropped++;
    }
  }
  page->count = kept;
  return dropped;
}

/* Copies count strings into *out (none: *out NULL). */
static bool strings_copy(const char *const *in, size_t count, char ***out) {
  *out = NULL;
  if (count == 0)
    return true;
  if ((*out = calloc(count, sizeof **out)) == NULL)
    return false;
  for (size_t i = 0; i < count; i++)
    if (((*out)[i] = strdup(in[i])) == NULL)
      return false;
  return true;
}

pail_status pail_workspace_narrow(pail_workspace *ws, const pail_scope *scope,
                                  pail_workspace **out, pail_error **err) {
  ARGUMENT_REQUIRED(err, out, "place for the workspace");
  *out = NULL;
  ARGUMENT_REQUIRED(err, ws, "workspace");
  pail_scope sc = PAIL_SCOPE_INIT;
  OPTIONS_ADOPT(sc, scope);
  if ((sc.storage_count > 0 && sc.storages == NULL) ||
      (sc.prefix_count > 0 && sc.prefixes == NULL))
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "scope: a count without its list");
  /* Whoever holds a workspace opened from settings holds every credential
   * in it, so only it may name whose rules apply; a view cannot change
   * user, which could widen what it reaches. */
  if (sc.username != NULL && ws->root != ws &&
      (ws->username == NULL || strcmp(ws->username, sc.username) != 0))
    return pail_error_set(err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                          "a narrowed workspace cannot change its user");
  for (size_t i = 0; i < sc.storage_count; i++) {
    size_t index;
    const char *name = sc.storages[i];
    pail_status status =
        name != NULL ? find_storage(ws, name, &index, err)
                     : pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL,
                                      NULL, "scope: a storage name is NULL");
    if (status != PAIL_OK)
      return status;
  }
  for (size_t i = 0; i < sc.prefix_count; i++) {
    const char *prefix = sc.prefixes[i];
    pail_status status =
        prefix != NULL ? pointer_prefix_check(prefix, strlen(prefix), err)
                       : pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL,
                                        NULL, "scope: a prefix is NULL");
    if (status != PAIL_OK)
      return status;
  }
  pail_workspace *view = calloc(1, sizeof *view);
  if (view == NULL)
    return error_no_memory(err);
  view->settings = ws->settings;
  view->root = ws->root;
  view->parent = ws;
  view->slots = ws->slots;
  view->log = ws->log;
  view->log_user_data = ws->log_user_data;
  view->log_level = ws->log_level;
  view->scope.access = sc.access & ws->scope.access;
  const char *username = sc.username != NULL ? sc.username : ws->username;
  bool ok = (username == NULL || *username == '\0' ||
             (view->username = strdup(username)) != NULL) &&
            strings_copy(sc.storages, sc.storage_count, &view->scope.storages);
  if (ok)
    view->scope.storage_count = sc.storage_count;
  ok = ok && strings_copy(sc.prefixes, sc.prefix_count, &view->scope.prefixes);
  if (ok)
    view->scope.prefix_count = sc.prefix_count;
  if (!ok) {
    /* Partly copied lists: free what was copied, by their full counts. */
    if (view->scope.storages != NULL && view->scope.storage_count == 0)
      view->scope.storage_count = sc.storage_count;
    if (view->scope.prefixes != NULL && view->scope.prefix_count == 0)
      view->scope.prefix_count = sc.prefix_count;
    pail_workspace_close(view);
    return error_no_memory(err);
  }
  *out = view;
  return PAIL_OK;
}

pail_status workspace_resolve(pail_workspace *ws, const pail_pointer *ptr,
                              unsigned access, bool allow_empty_key,
                              storage_handle *out, pail_error **err) {
  if (ptr == NULL || ptr->key == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "no pointer given");
  size_t index;
  pail_status status = find_storage(ws, ptr->storage, &index, err);
  if (status != PAIL_OK)
    return status;
  status = allow_empty_key
               ? pointer_prefix_check(ptr->key, strlen(ptr->key), err)
               : pail_key_check(ptr->key, strlen(ptr->key), err);
  if (status == PAIL_OK)
    status = check_access(ws, ptr, access, err);
  if (status == PAIL_OK)
    status = open_slot(ws, index, out, err);
  return status;
}

/* The shortest workspace key accepted, from any source. */
#define KEY_MIN_LENGTH 16

/* The key file lives beside the settings: created once, readable only by
 * its owner, so that grants survive across processes of one user. */
static pail_status load_key_file(unsigned char **secret, size_t *length,
                                 pail_error **err) {
  const char *xdg = getenv("XDG_CONFIG_HOME");
  const char *home = getenv("HOME");
  char *dir = xdg && xdg[0] == '/' ? str_printf("%s/pail", xdg)
              : home && *home      ? str_printf("%s/.config/pail", home)
                                   : NULL;
  if (dir == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "no workspace key: set \"workspace_key\" in the "
                          "settings or PAIL_WORKSPACE_KEY (HOME is not set, "
                          "so no key file can be made)");
  char *path = str_printf("%s/workspace.key", dir);
  pail_status status = PAIL_OK;
  char buffer[129];
  ssize_t n = -1;
  int failure = 0; /* errno of the step that failed, for the message */
  for (int attempt = 0; path != NULL && attempt < 2 && n < 0; attempt++) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) {
      /* As ssh with a private key: whoever can read the key can forge
       * grants, so a key others may read is refused rather than used. */
      close(fd);
      status = pail_error_set(
          err, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
          "the workspace key file %s has mode %04o: other users may read "
          "it, so it is not used; make it private with `chmod 600 %s`",
          path, (unsigned)(st.st_mode & 07777), path);
      break;
    }
    if (fd >= 0) {
      n = read(fd, buffer, sizeof buffer - 1);
      if (n < 0)
        failure = errno;
      close(fd);
      break;
    }
    failure = errno;
    if (errno != ENOENT)
      break;
    /* Create it: a fresh random key, written whole before it is visible. */
    unsigned char raw[32];
    char hex[65];
    if (crypto_random(raw, sizeof raw, err) != PAIL_OK) {
      status = PAIL_ERR_INTERNAL;
      break;
    }
    crypto_hex_encode(raw, sizeof raw, hex);
    char *parent = str_dup(dir);
    for (char *p = parent ? parent + 1 : NULL; p && *p; p++) {
      if (*p == '/') {
        *p = '\0';
        mkdir(parent, 0700);
        *p = '/';
      }
    }
    if (parent)
      mkdir(parent, 0700);
    free(parent);
    /* A name of its own (mkostemp: random, O_EXCL, mode 0600): with the
     * pid alone, two workspaces of one process racing here, or a file a
     * crash left under a reused pid, made the creation fail. */
    char *tmp = str_printf("%s.tmp.XXXXXX", path);
    int wfd = tmp ? mkostemp(tmp, O_CLOEXEC) : -1;
    if (wfd < 0)
      failure = errno;
    if (wfd >= 0) {
      bool ok = write(wfd, hex, 64) == 64 && fsync(wfd) == 0;
      if (!ok)
        failure = errno;
      close(wfd);
      /* Only one key may win: link() and RENAME_NOREPLACE refuse an
       * existing name. The loser reads the winner's key on the next
       * attempt. */
      if (ok && link(tmp, path) != 0 && errno != EEXIST &&
          renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) != 0 &&
          errno != EEXIST)
        failure = errno;
      unlink(tmp);
    }
    free(tmp);
  }
  if (status == PAIL_OK && n < 0) {
    status = pail_error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                            "cannot read or create the workspace key file "
                            "%s (%s): set \"workspace_key\" in the settings "
                            "or PAIL_WORKSPACE_KEY",
                            path ? path : dir,
                            failure ? strerror(failure) : "out of memory");
  }
  /* The line end an editor adds is not part of the key, so the length rule
   * applies to what is left: a file of newlines must not give an empty
   * HMAC key. */
  while (n > 0 && (buffer[n - 1] == '\n' || buffer[n - 1] == '\r'))
    n--;
  if (status == PAIL_OK && n < KEY_MIN_LENGTH) {
    status = pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "the workspace key file %s holds %zd characters "
                            "(after its trailing newlines); a key needs at "
                            "least %d: write a longer key into it, or delete "
                            "it to have a new one made",
                            path, n, KEY_MIN_LENGTH);
  }
  if (status == PAIL_OK) {
    *secret = malloc((size_t)n);
    if (*secret == NULL)
      status = error_no_memory(err);
    else {
      memcpy(*secret, buffer, (size_t)n);
      *length = (size_t)n;
    }
  }
  memset(buffer, 0, sizeof buffer);
  free(path);
  free(dir);
  return status;
}

pail_status workspace_signing_key(pail_workspace *ws, unsigned char **secret,
                                  size_t *length, pail_error **err) {
  ws = ws->root; /* the key is loaded once, for every view */
  pail_status status = PAIL_OK;
  pthread_mutex_lock(&ws->lock);
  if (ws->signing_key == NULL) {
    const char *text = ws->settings.workspace_key;
    if (text == NULL) {
      const char *env = getenv("PAIL_WORKSPACE_KEY");
      if (env != NULL && *env != '\0') {
        if (strlen(env) < KEY_MIN_LENGTH)
          status = pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                                  "PAIL_WORKSPACE_KEY must be at least %d "
                                  "characters long",
                                  KEY_MIN_LENGTH);
        text = env;
      }
    }
    if (status == PAIL_OK && text != NULL) {
      ws->signing_key_length = strlen(text);
      ws->signing_key = malloc(ws->signing_key_length);
      if (ws->signing_key == NULL)
        status = error_no_memory(err);
      else
        memcpy(ws->signing_key, text, ws->signing_key_length);
    } else if (status == PAIL_OK) {
      status = load_key_file(&ws->signing_key, &ws->signing_key_length, err);
    }
  }
  if (status == PAIL_OK) {
    *secret = ws->signing_key;
    *length = ws->signing_key_length;
  }
  pthread_mutex_unlock(&ws->lock);
  return status;
}

bool workspace_scope_has_storage(const pail_workspace *ws, const char *name) {
  for (const pail_workspace *w = ws; w != NULL; w = w->parent) {
    bool found = w->scope.storage_count == 0;
    for (size_t i = 0; !found && i < w->scope.storage_count; i++)
      found = strcmp(w->scope.storages[i], name) == 0;
    if (!found)
      return false;
  }
  return true;
}

bool workspace_is_root(const pail_workspace *ws) {
  return ws->root == ws;
}

const char *workspace_username(const pail_workspace *ws) {
  return ws->username;
}

/* What a gateway signing key's bytes are made from, so that the same
 * secret used elsewhere (the workspace key signs grants) gives unrelated
 * keys. */
static const char gateway_key_label[] = "pail gateway signing key v1";
#define GATEWAY_DERIVED_ID "ws"

pail_status workspace_gateway_key(pail_workspace *ws, const char *id,
                                  unsigned char out[32], const char **id_out,
                                  pail_error **err) {
  ws = ws->root;
  const workspace_settings *settings = &ws->settings;
  if (settings->gateway_key_count > 0) {
    for (size_t i = 0; i < settings->gateway_key_count; i++) {
      const gateway_signing_key *key = &settings->gateway_keys[i];
      if (id == NULL || strcmp(id, key->id) == 0) {
        crypto_hmac_sha256(key->secret, strlen(key->secret), gateway_key_label,
                           strlen(gateway_key_label), out);
        *id_out = key->id;
        return PAIL_OK;
      }
    }
  } else if (id == NULL || strcmp(id, GATEWAY_DERIVED_ID) == 0) {
    unsigned char *secret;
    size_t length;
    pail_status status = workspace_signing_key(ws, &secret, &length, err);
    if (status != PAIL_OK)
      return status;
    crypto_hmac_sha256(secret, length, gateway_key_label,
                       strlen(gateway_key_label), out);
    *id_out = GATEWAY_DERIVED_ID;
    return PAIL_OK;
  }
  return pail_error_set(err, PAIL_ERR_ACCESS_DENIED, 403, "InvalidAccessKeyId",
                        NULL,
                        "the access key was signed with gateway key \"%.32s\", "
                        "which these settings do not have",
                        id);
}
