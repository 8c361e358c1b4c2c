/*
 * mem.c: the mem backend, an in-memory object store for tests and for
 * programs that embed pail. Objects live in a sorted array under one mutex
 * per store; their bytes are immutable, reference-counted blobs, so a read
 * keeps seeing the object it opened while a writer replaces it, and a copy
 * shares the bytes instead of duplicating them.
 *
 * Storages opened with the same `name` share one store (for as long as one
 * of them is open), so that two workspaces of one process can exchange
 * objects; without a name every storage has its own.
 */
#include <config.h>

#include <pail/backend.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEM_VERSION "1.0.0"
#define DEFAULT_MAX_KEYS 1000
/* Quoted hex SHA-256: '"' + 64 digits + '"'. */
#define ETAG_SIZE 67

static const pail_core_services *core;

typedef struct mem_blob {
  atomic_size_t refs;
  size_t size;
  size_t capacity; /* while a writer fills it */
  unsigned char data[];
} mem_blob;

/* Everything an object is but its key and bytes. */
typedef struct mem_attrs {
  char *content_type;
  char *content_disposition;
  pail_metadata_entry *metadata;
  size_t metadata_count;
} mem_attrs;

typedef struct mem_object {
  char *key;
  mem_blob *blob;
  char etag[ETAG_SIZE];
  int64_t mtime;
  int32_t mtime_nsec;
  mem_attrs attrs;
} mem_object;

typedef struct mem_store {
  char *name;    /* NULL: private to one storage */
  size_t opened; /* storages using it; guarded by stores_lock */
  pthread_mutex_t lock;
  mem_object *objects; /* sorted by key, bytewise */
  size_t count;
  size_t capacity;
  struct mem_store *next;
} mem_store;

/* Named stores, shared between storages. */
static pthread_mutex_t stores_lock = PTHREAD_MUTEX_INITIALIZER;
static mem_store *stores;

static pail_status no_memory(pail_error **err) {
  return core->error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                         "mem: out of memory");
}

static pail_status not_found(pail_error **err, const char *key) {
  return core->error_set(err, PAIL_ERR_NOT_FOUND, 404, "NoSuchKey", NULL,
                         "mem: no object \"%s\"", key);
}

static void blob_release(mem_blob *blob) {
  if (blob != NULL && atomic_fetch_sub(&blob->refs, 1) == 1)
    free(blob);
}

static void attrs_clear(mem_attrs *a) {
  free(a->content_type);
  free(a->content_disposition);
  for (size_t i = 0; i < a->metadata_count; i++) {
    free(a->metadata[i].name);
    free(a->metadata[i].value);
  }
  free(a->metadata);
  memset(a, 0, sizeof *a);
}

/* Deep copy of the parts; false when out of memory (dst is then empty). */
static bool attrs_copy(mem_attrs *dst, const char *content_type,
                       const char *content_disposition,
                       const pail_metadata_entry *metadata, size_t count) {
  memset(dst, 0, sizeof *dst);
  bool ok = (!content_type || (dst->content_type = strdup(content_type))) &&
            (!content_disposition ||
             (dst->content_disposition = strdup(content_disposition)));
  if (ok && count > 0) {
    ok = (dst->metadata = calloc(count, sizeof *dst->metadata)) != NULL;
    for (size_t i = 0; ok && i < count; i++) {
      dst->metadata[i].name = strdup(metadata[i].name);
      dst->metadata[i].value = strdup(metadata[i].value);
      dst->metadata_count = i + 1;
      ok = dst->metadata[i].name && dst->metadata[i].value;
    }
  }
  if (!ok)
    attrs_clear(dst);
  return ok;
}

static void object_clear(mem_object *o) {
  free(o->key);
  blob_release(o->blob);
  attrs_clear(&o->attrs);
}

/* Index of the first object whose key is >= key (lock held). */
static size_t store_lower_bound(const mem_store *s, const char *key) {
  size_t low = 0, high = s->count;
  while (low < high) {
    size_t middle = low + (high - low) / 2;
    if (strcmp(s->objects[middle].key, key) < 0)
      low = middle + 1;
    else
      high = middle;
  }
  return low;
}

static mem_object *store_find(mem_store *s, const char *key) {
  size_t i = store_lower_bound(s, key);
  return i < s->count && strcmp(s->objects[i].key, key) == 0 ? &s->objects[i]
                                                             : NULL;
}

/* Puts o (taken over) under its key, replacing what was there, unless
 * create_only and something was. Lock held. */
static pail_status store_put(mem_store *s, mem_object *o, bool create_only,
                             pail_error **err) {
  size_t i = store_lower_bound(s, o->key);
  if (i < s->count && strcmp(s->objects[i].key, o->key) == 0) {
    if (create_only)
      return core->error_set(err, PAIL_ERR_CONFLICT, 412, "PreconditionFailed",
                             NULL, "mem: \"%s\" already exists", o->key);
    object_clear(&s->objects[i]);
    s->objects[i] = *o;
    return PAIL_OK;
  }
  if (s->count == s->capacity) {
    size_t grown = s->capacity ? 2 * s->capacity : 16;
    mem_object *bigger = realloc(s->objects, grown * sizeof *bigger);
    if (bigger == NULL)
      return no_memory(err);
    s->objects = bigger;
    s->capacity = grown;
  }
  memmove(&s->objects[i + 1], &s->objects[i],
          (s->count - i) * sizeof *s->objects);
  s->objects[i] = *o;
  s->count++;
  return PAIL_OK;
}

/* Fills info from o (lock held). */
static pail_status info_fill(const mem_object *o, pail_object_info *info,
                             pail_error **err) {
  mem_attrs copy;
  if (!attrs_copy(&copy, o->attrs.content_type, o->attrs.content_disposition,
                  o->attrs.metadata, o->attrs.metadata_count) ||
      (info->etag = strdup(o->etag)) == NULL) {
    attrs_clear(&copy);
    return no_memory(err);
  }
  info->size = o->blob->size;
  info->last_modified = o->mtime;
  info->last_modified_nsec = o->mtime_nsec;
  info->content_type = copy.content_type;
  info->content_disposition = copy.content_disposition;
  info->metadata = copy.metadata;
  info->metadata_count = copy.metadata_count;
  return PAIL_OK;
}

static pail_status mem_stat(void *instance, const char *key,
                            pail_object_info *out, pail_error **err) {
  mem_store *s = instance;
  pthread_mutex_lock(&s->lock);
  const mem_object *o = store_find(s, key);
  pail_status status = o ? info_fill(o, out, err) : not_found(err, key);
  pthread_mutex_unlock(&s->lock);
  return status;
}

/* ---------------------------------------------------------------- list */

/* Adds key (length bytes) to the page, or when it is full sets the token
 * to the hex of the last key returned. Returns false when the page is done
 * (full, or out of memory with *status set). */
static bool page_add(pail_list_page *page, size_t max_keys, size_t *capacity,
                     const char *key, size_t length, const mem_object *o,
                     pail_status *status, pail_error **err) {
  if (page->count == max_keys) {
    const char *last = page->entries[page->count - 1].key;
    size_t n = strlen(last);
    if ((page->next_page_token = malloc(2 * n + 1)) == NULL)
      *status = no_memory(err);
    else
      core->hex_encode((const unsigned char *)last, n, page->next_page_token);
    return false;
  }
  if (page->count == *capacity) {
    size_t grown = *capacity ? 2 * *capacity : 32;
    pail_object_info *bigger = realloc(page->entries, grown * sizeof *bigger);
    if (bigger == NULL) {
      *status = no_memory(err);
      return false;
    }
    page->entries = bigger;
    *capacity = grown;
  }
  pail_object_info *info = &page->entries[page->count];
  memset(info, 0, sizeof *info);
  if ((info->key = strndup(key, length)) == NULL) {
    *status = no_memory(err);
    return false;
  }
  page->count++;
  if (o == NULL) {
    info->is_folder = 1;
    info->last_modified = INT64_MIN;
  } else {
    info->size = o->blob->size;
    info->last_modified = o->mtime;
    info->last_modified_nsec = o->mtime_nsec;
    if ((info->etag = strdup(o->etag)) == NULL) {
      *status = no_memory(err);
      return false;
    }
  }
  return true;
}

static pail_status mem_list(void *instance,
                            const pail_backend_list_request *request,
                            pail_list_page *out, pail_error **err) {
  mem_store *s = instance;
  const char *prefix = request->prefix ? request->prefix : "";
  size_t prefix_length = strlen(prefix);
  size_t max_keys = request->max_keys ? request->max_keys : DEFAULT_MAX_KEYS;
  if (request->delimiter != NULL && strcmp(request->delimiter, "/") != 0)
    return core->error_set(err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
                           "mem: listing with delimiter \"%s\": only \"/\" "
                           "is supported",
                           request->delimiter);
  char *after = NULL;
  if (request->page_token != NULL) {
    /* The token is the hex of the last key of the page before. */
    size_t n = strlen(request->page_token);
    bool valid = n % 2 == 0 && (after = malloc(n / 2 + 1)) != NULL &&
                 core->hex_decode(request->page_token, n,
                                  (unsigned char *)after) == PAIL_OK;
    if (!valid) {
      free(after);
      return core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                             "mem: the page token is not one the mem backend "
                             "issued");
    }
    after[n / 2] = '\0';
  }
  pail_status status = PAIL_OK;
  size_t capacity = 0;
  pthread_mutex_lock(&s->lock);
  /* Nothing before the token can be listed: no key below it folds into a
   * folder after it. */
  size_t i = store_lower_bound(s, prefix);
  if (after != NULL) {
    size_t j = store_lower_bound(s, after);
    i = j > i ? j : i;
  }
  while (i < s->count) {
    const mem_object *o = &s->objects[i];
    if (strncmp(o->key, prefix, prefix_length) != 0)
      break;
    const char *slash =
        request->delimiter ? strchr(o->key + prefix_length, '/') : NULL;
    if (slash == NULL) {
      i++;
      if (after && strcmp(o->key, after) <= 0)
        continue;
      if (!page_add(out, max_keys, &capacity, o->key, strlen(o->key), o,
                    &status, err))
        break;
      continue;
    }
    /* Every key under the folder folds into it: list it once, then skip
     * to the first key past "folder/" (keys under it sort before
     * "folder0", '0' being '/' + 1). */
    size_t length = (size_t)(slash - o->key) + 1;
    char *next = strndup(o->key, length);
    if (next == NULL) {
      status = no_memory(err);
      break;
    }
    bool listed = after == NULL || strcmp(next, after) > 0;
    if (listed && !page_add(out, max_keys, &capacity, o->key, length, NULL,
                            &status, err)) {
      free(next);
      break;
    }
    next[length - 1] = '0';
    i = store_lower_bound(s, next);
    free(next);
  }
  pthread_mutex_unlock(&s->lock);
  free(after);
  if (status != PAIL_OK) {
    for (size_t k = 0; k < out->count; k++) {
      free(out->entries[k].key);
      free(out->entries[k].etag);
    }
    free(out->entries);
    free(out->next_page_token);
    memset(out, 0, sizeof *out);
  }
  return status;
}

/* ---------------------------------------------------------------- read */

typedef struct mem_reader {
  mem_blob *blob;
  size_t position;
  size_t end;
} mem_reader;

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

static pail_status mem_read_open(void *instance, const char *key,
                                 const pail_read_options *options,
                                 void **stream, pail_object_info *info,
                                 pail_error **err) {
  mem_store *s = instance;
  *stream = NULL;
  uint64_t offset = options ? options->offset : 0;
  uint64_t length = options ? options->length : PAIL_READ_TO_END;
  const char *if_match = options ? options->if_match : NULL;
  mem_reader *r = calloc(1, sizeof *r);
  if (r == NULL)
    return no_memory(err);
  pthread_mutex_lock(&s->lock);
  const mem_object *o = store_find(s, key);
  pail_status status = o ? info_fill(o, info, err) : not_found(err, key);
  if (status == PAIL_OK && if_match && !etag_matches(o->etag, if_match))
    status = core->error_set(err, PAIL_ERR_CONFLICT, 412, "PreconditionFailed",
                             NULL, "mem: \"%s\" has etag %s, not %s", key,
                             o->etag, if_match);
  if (status == PAIL_OK && offset > o->blob->size)
    status = core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 416, NULL, NULL,
                             "mem: range starts at byte %llu but \"%s\" has "
                             "%zu bytes",
                             (unsigned long long)offset, key, o->blob->size);
  if (status == PAIL_OK) {
    r->blob = o->blob;
    atomic_fetch_add(&r->blob->refs, 1);
  }
  pthread_mutex_unlock(&s->lock);
  if (status != PAIL_OK) {
    free(r);
    return status;
  }
  r->position = (size_t)offset;
  size_t available = r->blob->size - r->position;
  r->end = r->position + (length < available ? (size_t)length : available);
  *stream = r;
  return PAIL_OK;
}

static pail_status mem_read_stream(void *stream, void *buffer, size_t capacity,
                                   size_t *got, pail_error **err) {
  mem_reader *r = stream;
  size_t left = r->end - r->position;
  *got = capacity < left ? capacity : left;
  memcpy(buffer, r->blob->data + r->position, *got);
  r->position += *got;
  return PAIL_OK;
}

static void mem_read_close(void *stream) {
  mem_reader *r = stream;
  if (r == NULL)
    return;
  blob_release(r->blob);
  free(r);
}

/* --------------------------------------------------------------- write */

typedef struct mem_writer {
  mem_store *store;
  char *key;
  bool create_only;
  mem_blob *blob; /* grows until commit */
  mem_attrs attrs;
} mem_writer;

static void writer_free(mem_writer *w) {
  if (w == NULL)
    return;
  free(w->key);
  free(w->blob);
  attrs_clear(&w->attrs);
  free(w);
}

static pail_status mem_write_open(void *instance, const char *key,
                                  const pail_write_options *options,
                                  void **stream, pail_error **err) {
  mem_store *s = instance;
  *stream = NULL;
  mem_writer *w = calloc(1, sizeof *w);
  if (w == NULL || (w->key = strdup(key)) == NULL ||
      (w->blob = calloc(1, sizeof *w->blob)) == NULL ||
      (options && !attrs_copy(&w->attrs, options->content_type,
                              options->content_disposition, options->metadata,
                              options->metadata_count))) {
    writer_free(w);
    return no_memory(err);
  }
  w->store = s;
  w->create_only = options && options->if_none_match;
  if (w->create_only) {
    /* Checked again at commit; failing now saves sending the data. */
    pthread_mutex_lock(&s->lock);
    bool exists = store_find(s, key) != NULL;
    pthread_mutex_unlock(&s->lock);
    if (exists) {
      writer_free(w);
      return core->error_set(err, PAIL_ERR_CONFLICT, 412, "PreconditionFailed",
                             NULL, "mem: \"%s\" already exists", key);
    }
  }
  *stream = w;
  return PAIL_OK;
}

static pail_status mem_write_stream(void *stream, const void *buffer,
                                    size_t length, pail_error **err) {
  mem_writer *w = stream;
  mem_blob *b = w->blob;
  if (length > SIZE_MAX - sizeof *b - b->size)
    return no_memory(err);
  if (b->size + length > b->capacity) {
    size_t grown = b->capacity ? b->capacity : 4096;
    while (grown < b->size + length)
      grown = grown > SIZE_MAX / 2 ? b->size + length : 2 * grown;
    mem_blob *bigger = realloc(b, sizeof *b + grown);
    if (bigger == NULL)
      return no_memory(err);
    w->blob = b = bigger;
    b->capacity = grown;
  }
  memcpy(b->data + b->size, buffer, length);
  b->size += length;
  return PAIL_OK;
}

static void etag_compute(const mem_blob *b, char etag[ETAG_SIZE]) {
  unsigned char digest[32];
  core->sha256(b->data, b->size, digest);
  etag[0] = '"';
  core->hex_encode(digest, sizeof digest, etag + 1);
  etag[ETAG_SIZE - 2] = '"';
  etag[ETAG_SIZE - 1] = '\0';
}

static pail_status mem_write_commit(void *stream, pail_object_info *info,
                                    pail_error **err) {
  mem_writer *w = stream;
  mem_object o = {.key = w->key, .blob = w->blob, .attrs = w->attrs};
  atomic_init(&o.blob->refs, 1);
  etag_compute(o.blob, o.etag);
  o.mtime = core->now(&o.mtime_nsec);
  pthread_mutex_lock(&w->store->lock);
  pail_status status = store_put(w->store, &o, w->create_only, err);
  if (status == PAIL_OK) {
    w->key = NULL; /* the store owns them now */
    w->blob = NULL;
    memset(&w->attrs, 0, sizeof w->attrs);
    if (info != NULL && info_fill(&o, info, NULL) != PAIL_OK)
      memset(info, 0, sizeof *info); /* stored all the same */
  }
  pthread_mutex_unlock(&w->store->lock);
  writer_free(w);
  return status;
}

static void mem_write_abort(void *stream) {
  writer_free(stream);
}

/* ------------------------------------------------------ delete, copy */

static pail_status mem_delete(void *instance, const char *key,
                              pail_error **err) {
  mem_store *s = instance;
  pthread_mutex_lock(&s->lock);
  mem_object *o = store_find(s, key);
  if (o != NULL) {
    size_t i = (size_t)(o - s->objects);
    object_clear(o);
    memmove(o, o + 1, (s->count - i - 1) * sizeof *o);
    s->count--;
  }
  pthread_mutex_unlock(&s->lock);
  return o ? PAIL_OK : not_found(err, key);
}

/* The copy shares the source's bytes. As the cloud backends copy, each
 * attribute the options give replaces the source's (metadata as a whole);
 * the others are carried over. */
static pail_status mem_copy(void *instance, const char *src_key,
                            const char *dst_key,
                            const pail_write_options *options,
                            pail_error **err) {
  mem_store *s = instance;
  static const pail_write_options none = PAIL_WRITE_OPTIONS_INIT;
  const pail_write_options *given = options ? options : &none;
  mem_object copy = {0};
  if ((copy.key = strdup(dst_key)) == NULL)
    return no_memory(err);
  pthread_mutex_lock(&s->lock);
  const mem_object *src = store_find(s, src_key);
  pail_status status = PAIL_OK;
  if (src == NULL) {
    status = not_found(err, src_key);
  } else {
    const mem_attrs *a = &src->attrs;
    bool new_metadata = given->metadata_count > 0;
    bool copied =
        attrs_copy(&copy.attrs,
                   given->content_type ? given->content_type : a->content_type,
                   given->content_disposition ? given->content_disposition
                                              : a->content_disposition,
                   new_metadata ? given->metadata : a->metadata,
                   new_metadata ? given->metadata_count : a->metadata_count);
    if (!copied)
      status = no_memory(err);
  }
  if (status == PAIL_OK) {
    copy.blob = src->blob;
    atomic_fetch_add(&copy.blob->refs, 1);
    memcpy(copy.etag, src->etag, sizeof copy.etag);
    copy.mtime = core->now(&copy.mtime_nsec);
    status = store_put(s, &copy, options && options->if_none_match, err);
  }
  pthread_mutex_unlock(&s->lock);
  if (status != PAIL_OK)
    object_clear(&copy);
  return status;
}

static pail_status mem_create_container(void *instance, pail_error **err) {
  (void)instance;
  (void)err;
  return PAIL_OK; /* a store exists as soon as it is opened */
}

/* ------------------------------------------------------------ instance */

static void store_free(mem_store *s) {
  for (size_t i = 0; i < s->count; i++)
    object_clear(&s->objects[i]);
  free(s->objects);
  pthread_mutex_destroy(&s->lock);
  free(s->name);
  free(s);
}

static pail_status mem_open(const pail_config *cfg, void **instance,
                            pail_error **err) {
  *instance = NULL;
  const char *name = core->config_string(cfg, "name");
  pthread_mutex_lock(&stores_lock);
  mem_store *s = stores;
  while (name != NULL && s != NULL && strcmp(s->name, name) != 0)
    s = s->next;
  if (name == NULL || s == NULL) {
    s = calloc(1, sizeof *s);
    if (s == NULL || (name != NULL && (s->name = strdup(name)) == NULL)) {
      pthread_mutex_unlock(&stores_lock);
      free(s);
      return no_memory(err);
    }
    pthread_mutex_init(&s->lock, NULL);
    if (name != NULL) {
      s->next = stores;
      stores = s;
    }
  }
  s->opened++;
  pthread_mutex_unlock(&stores_lock);
  *instance = s;
  return PAIL_OK;
}

static void mem_close(void *instance) {
  mem_store *s = instance;
  if (s == NULL)
    return;
  pthread_mutex_lock(&stores_lock);
  bool last = --s->opened == 0;
  if (last && s->name != NULL) {
    mem_store **link = &stores;
    while (*link != s)
      link = &(*link)->next;
    *link = s->next;
  }
  pthread_mutex_unlock(&stores_lock);
  if (last)
    store_free(s);
}

static const pail_backend_field mem_fields[] = {
    {"name", PAIL_FIELD_STRING, 0, 0,
     "storages with the same name share their objects"},
    {NULL, 0, 0, 0, NULL},
};

static const pail_backend_ops mem_ops = {
    PAIL_BACKEND_OPS_INIT("mem"),
    .version = MEM_VERSION,
    .capabilities = PAIL_CAP_RANGED_READ | PAIL_CAP_SERVER_COPY |
                    PAIL_CAP_CONDITIONAL_WRITE | PAIL_CAP_METADATA |
                    PAIL_CAP_CREATE_CONTAINER | PAIL_CAP_CONDITIONAL_READ,
    .fields = mem_fields,
    .open = mem_open,
    .close = mem_close,
    .list = mem_list,
    .stat = mem_stat,
    .read_open = mem_read_open,
    .read_stream = mem_read_stream,
    .read_close = mem_read_close,
    .write_open = mem_write_open,
    .write_stream = mem_write_stream,
    .write_commit = mem_write_commit,
    .write_abort = mem_write_abort,
    .delete_object = mem_delete,
    .copy = mem_copy,
    .sign = NULL, /* the core answers with a workspace grant */
    .create_container = mem_create_container,
};

/* Needs core ABI 1.15: hex_decode (1.15) for page tokens. */
PAIL_BACKEND_DEFINE_ENTRY(mem_ops, core, 15)
