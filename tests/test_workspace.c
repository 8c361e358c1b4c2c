/*
 * test_workspace.c: what the core guarantees around a backend, tested with an
 * in-process probe backend that counts calls and can misbehave on purpose:
 * key and access checks before any plugin call, storage lookup, truncated
 * reads, page tokens that do not advance, grants from backends that cannot
 * presign, streamed copy across storages, writer abort, lazy open under
 * concurrency.
 */
#include "internal.h"
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/syscall.h>

/* ------------------------------------------------------- probe backend */

static atomic_int open_calls, backend_calls;
static const pail_core_services *core;

/* One object per instance is enough: "data" holds its bytes. The probe
 * announces `announced` bytes but delivers only `delivered` on read. */
typedef struct probe {
  pthread_mutex_t lock;
  char data[256];
  size_t size;
  int generation; /* its etag is "g<generation>" */
  size_t announced_extra;
  bool stuck_token;
  char key[256];
} probe;

/* The write options as the last write_commit saw them, through the pointer
 * write_open was given: "type|name=value". */
static char committed_options[256];

static pail_status probe_open(const pail_config *cfg, void **instance,
                              pail_error **err) {
  (void)err;
  atomic_fetch_add(&open_calls, 1);
  usleep(20000); /* widen the window for the concurrency test */
  probe *p = calloc(1, sizeof *p);
  pthread_mutex_init(&p->lock, NULL);
  p->announced_extra = (size_t)core->config_integer(cfg, "short_by", 0);
  p->stuck_token = core->config_bool(cfg, "stuck_token", 0);
  *instance = p;
  return PAIL_OK;
}

static void probe_close(void *instance) {
  probe *p = instance;
  pthread_mutex_destroy(&p->lock);
  free(p);
}

static pail_status probe_stat(void *instance, const char *key,
                              pail_object_info *out, pail_error **err) {
  probe *p = instance;
  atomic_fetch_add(&backend_calls, 1);
  if (strcmp(key, p->key) != 0)
    return core->error_set(err, PAIL_ERR_NOT_FOUND, 404, "NoSuchKey", NULL,
                           "no object \"%s\"", key);
  out->size = p->size;
  return PAIL_OK;
}

typedef struct probe_read {
  probe *p;
  size_t pos, end;
} probe_read;

/* Reads that find the object replaced by another writer after their first
 * bytes (as a resumed S3, Azure or GCS read pinned to the version being
 * read does: HTTP 412), and the read_open calls. */
static atomic_int replace_on_read, read_opens;

static pail_status probe_read_open(void *instance, const char *key,
                                   const pail_read_options *options,
                                   void **stream, pail_object_info *info,
                                   pail_error **err) {
  probe *p = instance;
  atomic_fetch_add(&backend_calls, 1);
  atomic_fetch_add(&read_opens, 1);
  if (strcmp(key, p->key) != 0)
    return core->error_set(err, PAIL_ERR_NOT_FOUND, 404, NULL, NULL,
                           "no object \"%s\"", key);
  char etag[32];
  snprintf(etag, sizeof etag, "g%d", p->generation);
  if (options->if_match != NULL && strcmp(options->if_match, etag) != 0)
    return core->error_set(err, PAIL_ERR_CONFLICT, 412, "PreconditionFailed",
                           NULL, "probe: %s is not %s", etag,
                           options->if_match);
  probe_read *r = calloc(1, sizeof *r);
  r->p = p;
  r->pos = (size_t)options->offset;
  r->end = p->size;
  info->size = p->size + p->announced_extra;
  *stream = r;
  return PAIL_OK;
}

static pail_status probe_read_stream(void *stream, void *buffer,
                                     size_t capacity, size_t *got,
                                     pail_error **err) {
  probe_read *r = stream;
  if (r->pos > 0 && atomic_load(&replace_on_read) > 0) {
    atomic_fetch_sub(&replace_on_read, 1);
    pthread_mutex_lock(&r->p->lock);
    r->p->data[r->p->size++] = '!';
    r->p->generation++;
    pthread_mutex_unlock(&r->p->lock);
    return core->error_set(err, PAIL_ERR_CONFLICT, 412, "PreconditionFailed",
                           NULL,
                           "probe: the object changed while it was "
                           "being read");
  }
  size_t n = r->end > r->pos ? r->end - r->pos : 0;
  if (n > capacity)
    n = capacity;
  if (n > 3)
    n = 3; /* small chunks: exercise the callers' loops */
  memcpy(buffer, r->p->data + r->pos, n);
  r->pos += n;
  *got = n;
  return PAIL_OK;
}

static void probe_read_close(void *stream) {
  free(stream);
}

typedef struct probe_write {
  probe *p;
  const pail_write_options *options; /* kept, as ABI 1.13 allows */
  char key[256];
  char data[256];
  size_t size;
} probe_write;

static pail_status probe_write_open(void *instance, const char *key,
                                    const pail_write_options *options,
                                    void **stream, pail_error **err) {
  (void)err;
  atomic_fetch_add(&backend_calls, 1);
  probe_write *w = calloc(1, sizeof *w);
  w->p = instance;
  w->options = options;
  snprintf(w->key, sizeof w->key, "%s", key);
  *stream = w;
  return PAIL_OK;
}

static pail_status probe_write_stream(void *stream, const void *buffer,
                                      size_t length, pail_error **err) {
  probe_write *w = stream;
  if (w->size + length > sizeof w->data)
    return core->error_set(err, PAIL_ERR_IO, 0, NULL, NULL, "probe is full");
  memcpy(w->data + w->size, buffer, length);
  w->size += length;
  return PAIL_OK;
}

static pail_status probe_write_commit(void *stream, pail_object_info *info,
                                      pail_error **err) {
  (void)err;
  probe_write *w = stream;
  pthread_mutex_lock(&w->p->lock);
  memcpy(w->p->data, w->data, w->size);
  w->p->size = w->size;
  w->p->generation++;
  snprintf(w->p->key, sizeof w->p->key, "%s", w->key);
  const pail_write_options *o = w->options;
  snprintf(committed_options, sizeof committed_options, "%s|%s=%s",
           o->content_type ? o->content_type : "",
           o->metadata_count ? o->metadata[0].name : "",
           o->metadata_count ? o->metadata[0].value : "");
  pthread_mutex_unlock(&w->p->lock);
  if (info)
    info->size = w->size;
  free(w);
  return PAIL_OK;
}

static atomic_int abort_calls;

static void probe_write_abort(void *stream) {
  atomic_fetch_add(&abort_calls, 1);
  free(stream);
}

static pail_status probe_list(void *instance,
                              const pail_backend_list_request *request,
                              pail_list_page *out, pail_error **err) {
  (void)err;
  probe *p = instance;
  atomic_fetch_add(&backend_calls, 1);
  out->entries = calloc(1, sizeof *out->entries);
  out->entries[0].key = strdup(p->key);
  out->count = 1;
  /* A misbehaving server: same token forever. */
  if (p->stuck_token)
    out->next_page_token =
        strdup(request->page_token ? request->page_token : "again");
  return PAIL_OK;
}

static pail_status probe_delete(void *instance, const char *key,
                                pail_error **err) {
  (void)instance;
  (void)key;
  (void)err;
  atomic_fetch_add(&backend_calls, 1);
  return PAIL_OK;
}

/* Server-side copy, honouring none of the write options: the probe has
 * neither PAIL_CAP_CONDITIONAL_WRITE nor PAIL_CAP_METADATA. */
static pail_status probe_copy(void *instance, const char *src_key,
                              const char *dst_key,
                              const pail_write_options *options,
                              pail_error **err) {
  (void)options;
  probe *p = instance;
  atomic_fetch_add(&backend_calls, 1);
  pthread_mutex_lock(&p->lock);
  bool found = strcmp(src_key, p->key) == 0;
  if (found)
    snprintf(p->key, sizeof p->key, "%s", dst_key);
  pthread_mutex_unlock(&p->lock);
  return found ? PAIL_OK
               : core->error_set(err, PAIL_ERR_NOT_FOUND, 404, NULL, NULL,
                                 "no object \"%s\"", src_key);
}

static const pail_backend_field probe_fields[] = {
    {"short_by", PAIL_FIELD_INTEGER, 0, 0, "announce this many bytes more"},
    {"stuck_token", PAIL_FIELD_BOOL, 0, 0, "repeat the page token forever"},
    {NULL, 0, 0, 0, NULL},
};

static const pail_backend_ops probe_ops = {
    .abi_version = PAIL_BACKEND_ABI_VERSION,
    .struct_size = sizeof(pail_backend_ops),
    .name = "probe",
    .version = "1",
    .capabilities = PAIL_CAP_RANGED_READ | PAIL_CAP_CONDITIONAL_READ,
    .fields = probe_fields,
    .open = probe_open,
    .close = probe_close,
    .list = probe_list,
    .stat = probe_stat,
    .read_open = probe_read_open,
    .read_stream = probe_read_stream,
    .read_close = probe_read_close,
    .write_open = probe_write_open,
    .write_stream = probe_write_stream,
    .write_commit = probe_write_commit,
    .write_abort = probe_write_abort,
    .delete_object = probe_delete,
    .copy = probe_copy,
};

static pail_workspace *ws;

/* The core's fallocate calls land here (the core is linked into this
 * program): recorded, and refused with fallocate_refusal when set. */
static int fallocate_refusal, fallocate_calls, fallocate_mode;
static off_t fallocate_length;

int fallocate(int fd, int mode, off_t offset, off_t length) {
  fallocate_calls++;
  fallocate_mode = mode;
  fallocate_length = offset + length;
  if (fallocate_refusal != 0) {
    errno = fallocate_refusal;
    return -1;
  }
  return (int)syscall(SYS_fallocate, fd, mode, offset, length);
}

static void setup(void) {
  core = pail_core_services_get();
  /* Registered once per process: with CK_FORK=no (valgrind) every test
   * runs in this one process, and a second registration is a conflict. */
  static bool registered;
  if (!registered)
    ck_assert_int_eq(pail_backend_register(&probe_ops, NULL), PAIL_OK);
  registered = true;
  atomic_store(&open_calls, 0);
  atomic_store(&backend_calls, 0);
  fallocate_calls = 0;
  fallocate_refusal = 0;
  atomic_store(&replace_on_read, 0);
  atomic_store(&read_opens, 0);
  committed_options[0] = '\0';
  setenv("PAIL_TEST_NOW", "2026-11-25T10:00:00Z", 1);
  ck_assert_int_eq(
      pail_workspace_open_json(
          "{\"storage\": {\"type\": \"probe\"},"
          " \"secondary_storage\": {"
          "   \"short\": {\"type\": \"probe\", \"short_by\": 4},"
          "   \"stuck\": {\"type\": \"probe\", \"stuck_token\": true}},"
          " \"advanced_permissions\": ["
          "   {\"pattern\": \"u/{username}/**\", \"allow\": "
          "\"read,write,list\"},"
          "   {\"pattern\": \"pub/**\", \"allow\": \"read,list,write\"}],"
          " \"workspace_key\": \"test-workspace-key-0123\"}",
          NULL, &ws, NULL),
      PAIL_OK);
}

static void teardown(void) {
  pail_workspace_close(ws);
}

static pail_pointer *ptr(const char *text) {
  pail_pointer *p = NULL;
  pail_error *err = NULL;
  ck_assert_msg(pail_pointer_parse(text, NULL, &p, &err) == PAIL_OK, "%s: %s",
                text, pail_error_message(err));
  return p;
}

static void put(const char *text, const char *data) {
  pail_pointer *p = ptr(text);
  pail_error *err = NULL;
  ck_assert_msg(pail_write(ws, p, data, strlen(data), NULL, &err) == PAIL_OK,
                "%s", pail_error_message(err));
  pail_pointer_free(p);
}

START_TEST(hand_built_pointer_with_bad_key_never_reaches_the_backend) {
  pail_pointer bad = {.key = (char *)"pub/../etc/passwd"};
  pail_object_info info;
  pail_error *err = NULL;
  ck_assert_int_eq(pail_stat(ws, &bad, &info, &err), PAIL_ERR_INVALID_ARGUMENT);
  pail_error_free(err);
  ck_assert_int_eq(atomic_load(&open_calls), 0);
  ck_assert_int_eq(atomic_load(&backend_calls), 0);
}
END_TEST

START_TEST(denied_access_never_reaches_the_backend) {
  pail_pointer *p = ptr("private/x");
  pail_error *err = NULL;
  ck_assert_int_eq(pail_write(ws, p, "x", 1, NULL, &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(pail_error_message(err), "private/x");
  pail_error_free(err);
  err = NULL;
  ck_assert_int_eq(pail_delete(ws, p, &err), PAIL_ERR_ACCESS_DENIED);
  pail_error_free(err);
  pail_pointer_free(p);
  ck_assert_int_eq(atomic_load(&backend_calls), 0);
  /* pub/ allows write but not delete. */
  put("pub/a", "hello");
  p = ptr("pub/a");
  err = NULL;
  ck_assert_int_eq(pail_delete(ws, p, &err), PAIL_ERR_ACCESS_DENIED);
  pail_error_free(err);
  pail_pointer_free(p);
}
END_TEST

/* What travels as an HTTP header value cannot carry a line break or another
 * control character, whatever the storage: refused before the backend. */
START_TEST(control_characters_in_header_texts_never_reach_the_backend) {
  pail_pointer *p = ptr("pub/a"), *q = ptr("pub/b");
  pail_metadata_entry entry = {"owner", "a\nX-Injected: 1"};
  struct {
    const char *type, *disposition;
    pail_metadata_entry *metadata;
    const char *message;
  } cases[] = {
      {"text/plain\r\nX-Injected: 1", NULL, NULL,
       "the content type contains control character U+000D at byte offset "
       "10"},
      {NULL, "attachment\x7f", NULL,
       "the content disposition contains control character U+007F at byte "
       "offset 10"},
      {NULL, NULL, &entry,
       "the value of metadata \"owner\" contains control character U+000A "
       "at byte offset 1"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    pail_write_options opts = PAIL_WRITE_OPTIONS_INIT;
    opts.content_type = cases[i].type;
    opts.content_disposition = cases[i].disposition;
    opts.metadata = cases[i].metadata;
    opts.metadata_count = cases[i].metadata ? 1 : 0;
    pail_error *err = NULL;
    ck_assert_int_eq(pail_write(ws, p, "x", 1, &opts, &err),
                     PAIL_ERR_INVALID_ARGUMENT);
    ck_assert_contains(pail_error_message(err), cases[i].message);
    pail_error_free(err);
    err = NULL;
    ck_assert_int_eq(pail_copy(ws, p, q, &opts, &err),
                     PAIL_ERR_INVALID_ARGUMENT);
    ck_assert_contains(pail_error_message(err), cases[i].message);
    pail_error_free(err);
  }
  ck_assert_int_eq(atomic_load(&backend_calls), 0);
  /* A tab is HTTP's whitespace. */
  pail_write_options opts = PAIL_WRITE_OPTIONS_INIT;
  opts.content_type = "text/plain;\tcharset=utf-8";
  ck_assert_int_eq(pail_write(ws, p, "x", 1, &opts, NULL), PAIL_OK);
  pail_pointer_free(p);
  pail_pointer_free(q);
}
END_TEST

/* A backend may point at the write options until the write ends: the
 * core keeps its own copy, whatever the caller does with theirs. */
START_TEST(write_options_outlive_the_callers_strings) {
  char *type = strdup("text/csv");
  pail_write_options opts = PAIL_WRITE_OPTIONS_INIT;
  opts.content_type = type;
  pail_pointer *p = ptr("pub/kept");
  pail_writer *w = NULL;
  ck_assert_int_eq(pail_writer_open(ws, p, &opts, &w, NULL), PAIL_OK);
  memset(type, 'x', strlen(type));
  free(type);
  ck_assert_int_eq(pail_writer_write(w, "a,b\n", 4, NULL), PAIL_OK);
  ck_assert_int_eq(pail_writer_close(w, NULL, NULL), PAIL_OK);
  ck_assert_str_eq(committed_options, "text/csv|=");
  pail_pointer_free(p);
}
END_TEST

START_TEST(delete_many_never_sends_a_denied_key) {
  pail_pointer *a = ptr("pub/a"), *b = ptr("private/b");
  const pail_pointer *pointers[] = {a, b};
  pail_status results[2];
  pail_error *err = NULL;
  ck_assert_int_eq(pail_delete_many(ws, pointers, 2, results, NULL, &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(pail_error_message(err), "pub/a");
  ck_assert_int_eq(results[0], PAIL_ERR_ACCESS_DENIED);
  ck_assert_int_eq(results[1], PAIL_ERR_ACCESS_DENIED);
  ck_assert_int_eq(atomic_load(&backend_calls), 0);
  pail_error_free(err);
  pail_pointer_free(a);
  pail_pointer_free(b);
}
END_TEST

START_TEST(missing_storage_is_not_found_and_names_known_ones) {
  pail_pointer *p = ptr("s3://nope/pub/a");
  pail_object_info info;
  pail_error *err = NULL;
  ck_assert_int_eq(pail_stat(ws, p, &info, &err), PAIL_ERR_NOT_FOUND);
  ck_assert_contains(pail_error_message(err), "no storage named \"nope\"");
  ck_assert_contains(pail_error_message(err), "short, stuck");
  pail_error_free(err);
  pail_pointer_free(p);
  ck_assert_int_eq(atomic_load(&open_calls), 0);
}
END_TEST

START_TEST(round_trip_through_writer_and_reader_in_small_chunks) {
  put("pub/data.txt", "0123456789abcdef");
  pail_pointer *p = ptr("pub/data.txt");
  void *data = NULL;
  size_t length = 0;
  ck_assert_int_eq(pail_read(ws, p, NULL, &data, &length, NULL), PAIL_OK);
  ck_assert_uint_eq(length, 16);
  ck_assert_str_eq(data, "0123456789abcdef");
  free(data);
  pail_read_options range = PAIL_READ_OPTIONS_INIT;
  range.offset = 10;
  range.length = 4;
  ck_assert_int_eq(pail_read(ws, p, &range, &data, &length, NULL), PAIL_OK);
  ck_assert_uint_eq(length, 4);
  ck_assert_str_eq(data, "abcd");
  free(data);
  range.offset = 17;
  pail_error *err = NULL;
  ck_assert_int_eq(pail_read(ws, p, &range, &data, &length, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  pail_error_free(err);
  pail_pointer_free(p);
}
END_TEST

START_TEST(read_shorter_than_announced_size_is_an_io_error) {
  put("s3://short/pub/t", "truncated");
  pail_pointer *p = ptr("s3://short/pub/t");
  void *data = NULL;
  size_t length = 0;
  pail_error *err = NULL;
  ck_assert_int_eq(pail_read(ws, p, NULL, &data, &length, &err), PAIL_ERR_IO);
  ck_assert_contains(pail_error_message(err), "ended after 9 of 13 bytes");
  ck_assert_ptr_null(data);
  pail_error_free(err);
  pail_pointer_free(p);
}
END_TEST

static int directory_entries(const char *path) {
  DIR *d = opendir(path);
  ck_assert_ptr_nonnull(d);
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      n++;
  closedir(d);
  return n;
}

static char *read_whole_file(const char *path) {
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  char *text = calloc(1, 4096);
  ck_assert_uint_lt(fread(text, 1, 4095, f), 4095);
  fclose(f);
  return text;
}

/* A new temporary folder (*dir) and the path of "out.bin" in it. */
static char *temp_target(char **dir) {
  *dir = test_tempdir();
  char *target = NULL;
  ck_assert_int_ge(asprintf(&target, "%s/out.bin", *dir), 0);
  return target;
}

START_TEST(truncated_download_leaves_no_local_file) {
  put("s3://short/pub/t", "truncated");
  char *dir = NULL;
  char *target = temp_target(&dir);
  pail_pointer *p = ptr("s3://short/pub/t");
  pail_error *err = NULL;
  ck_assert_int_eq(pail_download(ws, p, target, NULL, &err), PAIL_ERR_IO);
  pail_error_free(err);
  ck_assert_int_eq(access(target, F_OK), -1);
  /* Nor any temporary file beside it. */
  ck_assert_int_eq(directory_entries(dir), 0);
  free(target);
  pail_pointer_free(p);
  test_tempdir_remove(dir);
}
END_TEST

/* A whole read whose object another writer replaces while it runs starts
 * again and yields the new version whole; never two versions mixed. */
START_TEST(read_starts_again_when_the_object_is_replaced) {
  put("pub/r", "first version");
  pail_pointer *p = ptr("pub/r");
  atomic_store(&replace_on_read, 1);
  void *data = NULL;
  size_t length = 0;
  pail_error *err = NULL;
  ck_assert_msg(pail_read(ws, p, NULL, &data, &length, &err) == PAIL_OK, "%s",
                pail_error_message(err));
  ck_assert_str_eq(data, "first version!");
  ck_assert_int_eq(length, 14);
  ck_assert_int_eq(atomic_load(&read_opens), 2);
  free(data);
  /* A range too, with err NULL. */
  atomic_store(&replace_on_read, 1);
  pail_read_options range = PAIL_READ_OPTIONS_INIT;
  range.offset = 6;
  ck_assert_int_eq(pail_read(ws, p, &range, &data, &length, NULL), PAIL_OK);
  ck_assert_str_eq(data, "version!!");
  free(data);
  pail_pointer_free(p);
}
END_TEST

START_TEST(read_gives_up_on_an_object_replaced_again_and_again) {
  put("pub/r", "version");
  pail_pointer *p = ptr("pub/r");
  atomic_store(&replace_on_read, 10);
  void *data = NULL;
  size_t length = 0;
  pail_error *err = NULL;
  ck_assert_int_eq(pail_read(ws, p, NULL, &data, &length, &err),
                   PAIL_ERR_CONFLICT);
  ck_assert_contains(pail_error_message(err),
                     "changed while it was being read");
  ck_assert_ptr_null(data);
  /* The first read and two more. */
  ck_assert_int_eq(atomic_load(&read_opens), 3);
  pail_error_free(err);
  err = NULL;
  /* A caller who pinned the version is told at once. */
  atomic_store(&replace_on_read, 10);
  atomic_store(&read_opens, 0);
  pail_read_options pinned = PAIL_READ_OPTIONS_INIT;
  pinned.if_match = "g4"; /* the put, then 3 replacements */
  ck_assert_int_eq(pail_read(ws, p, &pinned, &data, &length, &err),
                   PAIL_ERR_CONFLICT);
  ck_assert_int_eq(atomic_load(&read_opens), 1);
  pail_error_free(err);
  err = NULL;
  /* A read opened by the caller is never started again behind its back:
   * the bytes it was given are its own. */
  atomic_store(&replace_on_read, 1);
  atomic_store(&read_opens, 0);
  pail_reader *r = NULL;
  ck_assert_int_eq(pail_reader_open(ws, p, NULL, &r, NULL), PAIL_OK);
  char buffer[64];
  size_t got = 0, total = 0;
  pail_status status;
  while ((status = pail_reader_read(r, buffer, sizeof buffer, &got, &err)) ==
             PAIL_OK &&
         got > 0)
    total += got;
  ck_assert_int_eq(status, PAIL_ERR_CONFLICT);
  ck_assert_int_gt(total, 0);
  ck_assert_int_eq(atomic_load(&read_opens), 1);
  pail_reader_close(r);
  pail_error_free(err);
  pail_pointer_free(p);
}
END_TEST

/* path holds text, and it is all dir holds. */
static void expect_only_file(const char *path, const char *dir,
                             const char *text) {
  char *got = read_whole_file(path);
  ck_assert_str_eq(got, text);
  free(got);
  ck_assert_int_eq(directory_entries(dir), 1);
}

START_TEST(download_starts_again_when_the_object_is_replaced) {
  put("pub/d", "0123456789abcdef");
  char *dir = NULL;
  char *target = temp_target(&dir);
  pail_pointer *p = ptr("pub/d");
  atomic_store(&replace_on_read, 2);
  pail_error *err = NULL;
  ck_assert_msg(pail_download(ws, p, target, NULL, &err) == PAIL_OK, "%s",
                pail_error_message(err));
  ck_assert_int_eq(atomic_load(&read_opens), 3);
  /* The third version, whole: what the first two attempts wrote is gone. */
  expect_only_file(target, dir, "0123456789abcdef!!");
  /* Replaced too often: the old file stays, no temporary file is left. */
  atomic_store(&replace_on_read, 10);
  ck_assert_int_eq(pail_download(ws, p, target, NULL, &err), PAIL_ERR_CONFLICT);
  pail_error_free(err);
  err = NULL;
  expect_only_file(target, dir, "0123456789abcdef!!");
  /* What went into a device cannot be taken back: no second attempt. */
  atomic_store(&replace_on_read, 1);
  atomic_store(&read_opens, 0);
  ck_assert_int_eq(pail_download(ws, p, "/dev/null", NULL, &err),
                   PAIL_ERR_CONFLICT);
  ck_assert_int_eq(atomic_load(&read_opens), 1);
  pail_error_free(err);
  free(target);
  pail_pointer_free(p);
  test_tempdir_remove(dir);
}
END_TEST

START_TEST(streamed_copy_starts_again_when_the_source_is_replaced) {
  put("pub/src", "copied bytes");
  pail_pointer *src = ptr("pub/src");
  pail_pointer *dst = ptr("s3://stuck/pub/dst");
  atomic_store(&replace_on_read, 1);
  int aborts = atomic_load(&abort_calls);
  pail_error *err = NULL;
  ck_assert_msg(pail_copy(ws, src, dst, NULL, &err) == PAIL_OK, "%s",
                pail_error_message(err));
  /* The first write was abandoned, never committed. */
  ck_assert_int_eq(atomic_load(&abort_calls), aborts + 1);
  void *data = NULL;
  size_t length = 0;
  ck_assert_int_eq(pail_read(ws, dst, NULL, &data, &length, NULL), PAIL_OK);
  ck_assert_str_eq(data, "copied bytes!");
  free(data);
  pail_pointer_free(src);
  pail_pointer_free(dst);
}
END_TEST

START_TEST(download_writes_into_a_fifo_instead_of_replacing_it) {
  /* As /dev/null or /dev/stdout: replacing one (as root) would break the
   * system; the bytes go into it. */
  put("pub/data.txt", "0123456789abcdef");
  char *dir = test_tempdir();
  char *fifo = NULL;
  ck_assert_int_ge(asprintf(&fifo, "%s/pipe", dir), 0);
  ck_assert_int_eq(mkfifo(fifo, 0600), 0);
  int reader = open(fifo, O_RDONLY | O_NONBLOCK);
  ck_assert_int_ge(reader, 0);
  pail_pointer *p = ptr("pub/data.txt");
  pail_error *err = NULL;
  ck_assert_msg(pail_download(ws, p, fifo, NULL, &err) == PAIL_OK, "%s",
                pail_error_message(err));
  struct stat st;
  ck_assert_int_eq(lstat(fifo, &st), 0);
  ck_assert(S_ISFIFO(st.st_mode));
  char got[32] = {0};
  ck_assert_int_eq(read(reader, got, sizeof got - 1), 16);
  ck_assert_str_eq(got, "0123456789abcdef");
  close(reader);
  /* Nothing else was made beside it (the FIFO is there, lstat said). */
  ck_assert_int_eq(directory_entries(dir), 1);
  pail_pointer_free(p);
  free(fifo);
  test_tempdir_remove(dir);
}
END_TEST

/* Every umask() call of this program, the core's included (it is linked
 * in), comes here: the race it opens is too narrow to catch by watching. */
static atomic_int umask_calls;

mode_t umask(mode_t mask) {
  atomic_fetch_add(&umask_calls, 1);
  return (mode_t)syscall(SYS_umask, mask);
}

START_TEST(download_never_touches_the_process_umask) {
  /* The umask is process-wide: setting it to 0 even for an instant makes
   * every file another thread creates meanwhile world-writable. */
  put("pub/data.txt", "0123456789abcdef");
  mode_t saved = umask(022);
  char *dir = NULL;
  char *target = temp_target(&dir);
  pail_pointer *p = ptr("pub/data.txt");
  atomic_store(&umask_calls, 0);
  ck_assert_int_eq(pail_download(ws, p, target, NULL, NULL), PAIL_OK);
  ck_assert_int_eq(atomic_load(&umask_calls), 0);
  /* The download still gets the mode a plain create gives. */
  struct stat st;
  ck_assert_int_eq(stat(target, &st), 0);
  ck_assert_uint_eq(st.st_mode & 0777, 0644);
  umask(saved);
  pail_pointer_free(p);
  free(target);
  test_tempdir_remove(dir);
}
END_TEST

/* Records the last progress report. */
typedef struct progress_seen {
  int calls;
  uint64_t done, total;
  int cancel_at; /* cancel on this call (1 = the first); 0: never */
} progress_seen;

static int record_progress(void *user_data, uint64_t done, uint64_t total) {
  progress_seen *seen = user_data;
  ck_assert_uint_ge(done, seen->done); /* never goes backwards */
  seen->calls++;
  seen->done = done;
  seen->total = total;
  return seen->cancel_at > 0 && seen->calls >= seen->cancel_at;
}

static void expect_missing(const char *text) {
  pail_pointer *p = ptr(text);
  pail_object_info info = {0};
  ck_assert_int_eq(pail_stat(ws, p, &info, NULL), PAIL_ERR_NOT_FOUND);
  pail_pointer_free(p);
}

START_TEST(cancelled_download_leaves_no_file) {
  put("pub/big.txt", "0123456789abcdef0123456789abcdef");
  char *dir = NULL;
  char *target = temp_target(&dir);
  pail_pointer *p = ptr("pub/big.txt");
  progress_seen seen = {.cancel_at = 2};
  pail_read_options opts = PAIL_READ_OPTIONS_INIT;
  opts.progress = record_progress;
  opts.progress_user_data = &seen;
  pail_error *err = NULL;
  ck_assert_int_eq(pail_download(ws, p, target, &opts, &err),
                   PAIL_ERR_CANCELLED);
  ck_assert_int_eq(pail_error_category(err), PAIL_ERR_CANCELLED);
  ck_assert_contains(pail_error_message(err), "cancelled");
  ck_assert_str_eq(pail_status_name(PAIL_ERR_CANCELLED), "cancelled");
  pail_error_free(err);
  ck_assert_int_eq(seen.calls, 2);
  ck_assert_int_eq(directory_entries(dir), 0); /* no temp file either */
  pail_pointer_free(p);
  free(target);
  test_tempdir_remove(dir);
}
END_TEST

START_TEST(cancelled_upload_and_copy_abort_the_writer) {
  char *dir = test_tempdir();
  char *source = NULL;
  ck_assert_int_ge(asprintf(&source, "%s/in.txt", dir), 0);
  test_write_file(source, "uploaded bytes");
  pail_pointer *p = ptr("pub/cancelled.txt");
  progress_seen seen = {.cancel_at = 1};
  pail_write_options opts = PAIL_WRITE_OPTIONS_INIT;
  opts.progress = record_progress;
  opts.progress_user_data = &seen;
  int aborts = atomic_load(&abort_calls);
  ck_assert_int_eq(pail_upload(ws, p, source, &opts, NULL), PAIL_ERR_CANCELLED);
  ck_assert_int_eq(atomic_load(&abort_calls), aborts + 1);
  expect_missing("pub/cancelled.txt");
  /* A streamed copy (another storage) stops the same way. */
  put("pub/src.txt", "0123456789abcdef");
  pail_pointer *src = ptr("pub/src.txt");
  pail_pointer *dst = ptr("s3://stuck/pub/copy");
  progress_seen copied = {.cancel_at = 2};
  opts.progress_user_data = &copied;
  ck_assert_int_eq(pail_copy(ws, src, dst, &opts, NULL), PAIL_ERR_CANCELLED);
  ck_assert_int_eq(atomic_load(&abort_calls), aborts + 2);
  expect_missing("s3://stuck/pub/copy");
  /* The last report of a whole-buffer write comes after the commit and
   * cannot cancel it. */
  progress_seen late = {.cancel_at = 1};
  opts.progress_user_data = &late;
  ck_assert_int_eq(pail_write(ws, p, "abc", 3, &opts, NULL), PAIL_OK);
  ck_assert_int_eq(late.calls, 1);
  pail_pointer_free(src);
  pail_pointer_free(dst);
  pail_pointer_free(p);
  free(source);
  test_tempdir_remove(dir);
}
END_TEST

/* Counts the committing calls, and the progress calls made before. */
typedef struct commit_seen {
  progress_seen progress;
  int calls;
  int progress_calls_then;
} commit_seen;

static int commit_progress(void *user_data, uint64_t done, uint64_t total) {
  commit_seen *seen = user_data;
  ck_assert_int_eq(seen->calls, 0); /* never asked again once committing */
  return record_progress(&seen->progress, done, total);
}

static void record_committing(void *user_data) {
  commit_seen *seen = user_data;
  seen->calls++;
  seen->progress_calls_then = seen->progress.calls;
}

START_TEST(committing_is_told_once_before_the_commit_never_on_cancel) {
  char *dir = test_tempdir();
  char *source = NULL;
  ck_assert_int_ge(asprintf(&source, "%s/in.txt", dir), 0);
  test_write_file(source, "uploaded bytes");
  pail_pointer *p = ptr("pub/committed.txt");
  commit_seen seen = {{0}, 0, 0};
  pail_write_options opts = PAIL_WRITE_OPTIONS_INIT;
  opts.progress = commit_progress;
  opts.committing = record_committing;
  opts.progress_user_data = &seen;
  ck_assert_int_eq(pail_upload(ws, p, source, &opts, NULL), PAIL_OK);
  ck_assert_int_eq(seen.calls, 1);
  ck_assert_int_ge(seen.progress_calls_then, 1);
  ck_assert_int_eq(seen.progress.calls, seen.progress_calls_then);
  pail_object_info info = {0};
  ck_assert_int_eq(pail_stat(ws, p, &info, NULL), PAIL_OK);
  ck_assert_uint_eq(info.size, strlen("uploaded bytes"));
  pail_object_info_clear(&info);
  /* Cancelled before the commit: never told, and the error says that
   * nothing was stored. */
  pail_pointer *q = ptr("pub/never.txt");
  commit_seen cancelled = {{.cancel_at = 1}, 0, 0};
  opts.progress_user_data = &cancelled;
  pail_error *err = NULL;
  ck_assert_int_eq(pail_upload(ws, q, source, &opts, &err), PAIL_ERR_CANCELLED);
  ck_assert_contains(pail_error_message(err), "nothing was stored");
  pail_error_free(err);
  ck_assert_int_eq(cancelled.calls, 0);
  expect_missing("pub/never.txt");
  /* A writer driven by hand: told at close, not at abort. */
  commit_seen by_hand = {{0}, 0, 0};
  opts.progress_user_data = &by_hand;
  pail_writer *w = NULL;
  ck_assert_int_eq(pail_writer_open(ws, q, &opts, &w, NULL), PAIL_OK);
  ck_assert_int_eq(pail_writer_write(w, "abc", 3, NULL), PAIL_OK);
  pail_writer_abort(w);
  ck_assert_int_eq(by_hand.calls, 0);
  ck_assert_int_eq(pail_writer_open(ws, q, &opts, &w, NULL), PAIL_OK);
  ck_assert_int_eq(pail_writer_write(w, "abc", 3, NULL), PAIL_OK);
  ck_assert_int_eq(pail_writer_close(w, NULL, NULL), PAIL_OK);
  ck_assert_int_eq(by_hand.calls, 1);
  pail_pointer_free(q);
  pail_pointer_free(p);
  free(source);
  test_tempdir_remove(dir);
}
END_TEST

static volatile sig_atomic_t alarm_seen;
static void on_alarm(int signo) {
  alarm_seen = signo;
}
static int cancel_on_alarm(void *user_data, uint64_t done, uint64_t total) {
  (void)user_data;
  (void)done;
  (void)total;
  return alarm_seen != 0;
}

START_TEST(signal_during_a_blocked_read_cancels_the_upload) {
  /* The writer end stays open with nothing more to come: the upload blocks
   * in read(2) until the alarm's handler (no SA_RESTART) interrupts it. */
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  ck_assert_int_eq(write(fds[1], "first block", 11), 11);
  char *path = NULL;
  ck_assert_int_ge(asprintf(&path, "/dev/fd/%d", fds[0]), 0);
  struct sigaction action = {.sa_handler = on_alarm}, old;
  sigemptyset(&action.sa_mask);
  ck_assert_int_eq(sigaction(SIGALRM, &action, &old), 0);
  alarm_seen = 0;
  alarm(1);
  pail_pointer *p = ptr("pub/from-pipe.txt");
  pail_write_options opts = PAIL_WRITE_OPTIONS_INIT;
  opts.progress = cancel_on_alarm;
  int aborts = atomic_load(&abort_calls);
  pail_error *err = NULL;
  ck_assert_int_eq(pail_upload(ws, p, path, &opts, &err), PAIL_ERR_CANCELLED);
  ck_assert_int_eq(alarm_seen, SIGALRM);
  ck_assert_contains(pail_error_message(err), "after 11 bytes");
  pail_error_free(err);
  ck_assert_int_eq(atomic_load(&abort_calls), aborts + 1);
  expect_missing("pub/from-pipe.txt");
  sigaction(SIGALRM, &old, NULL);
  close(fds[0]);
  close(fds[1]);
  pail_pointer_free(p);
  free(path);
}
END_TEST

START_TEST(download_reserves_the_blocks_of_what_it_fetches) {
  put("pub/data.txt", "0123456789abcdef");
  char *dir = NULL;
  char *target = temp_target(&dir);
  pail_pointer *p = ptr("pub/data.txt");
  ck_assert_int_eq(pail_download(ws, p, target, NULL, NULL), PAIL_OK);
  ck_assert_int_eq(fallocate_calls, 1);
  ck_assert_int_eq(fallocate_mode, FALLOC_FL_KEEP_SIZE);
  ck_assert_int_eq(fallocate_length, 16);
  char *text = read_whole_file(target);
  ck_assert_str_eq(text, "0123456789abcdef");
  free(text);
  /* A range reserves the range. */
  pail_read_options opts = PAIL_READ_OPTIONS_INIT;
  opts.offset = 3;
  opts.length = 5;
  ck_assert_int_eq(pail_download(ws, p, target, &opts, NULL), PAIL_OK);
  ck_assert_int_eq(fallocate_length, 5);
  text = read_whole_file(target);
  ck_assert_str_eq(text, "34567");
  free(text);
  /* A file system that cannot reserve gets the bytes all the same. */
  fallocate_refusal = EOPNOTSUPP;
  ck_assert_int_eq(pail_download(ws, p, target, NULL, NULL), PAIL_OK);
  text = read_whole_file(target);
  ck_assert_str_eq(text, "0123456789abcdef");
  free(text);
  fallocate_refusal = 0;
  pail_pointer_free(p);
  free(target);
  test_tempdir_remove(dir);
}
END_TEST

START_TEST(download_without_room_fails_before_writing_and_leaves_nothing) {
  put("pub/data.txt", "0123456789abcdef");
  char *dir = NULL;
  char *target = temp_target(&dir);
  test_write_file(target, "the old file");
  pail_pointer *p = ptr("pub/data.txt");
  progress_seen seen = {0, 0, 0, 0};
  pail_read_options opts = PAIL_READ_OPTIONS_INIT;
  opts.progress = record_progress;
  opts.progress_user_data = &seen;
  pail_error *err = NULL;
  fallocate_refusal = ENOSPC;
  ck_assert_int_eq(pail_download(ws, p, target, &opts, &err), PAIL_ERR_IO);
  fallocate_refusal = 0;
  ck_assert_contains(pail_error_message(err), "no room for 16 bytes at ");
  ck_assert_contains(pail_error_message(err), target);
  pail_error_free(err);
  ck_assert_int_eq(seen.calls, 0); /* nothing was written */
  /* The old file is untouched and no temporary file is left. */
  char *text = read_whole_file(target);
  ck_assert_str_eq(text, "the old file");
  free(text);
  ck_assert_int_eq(directory_entries(dir), 1);
  pail_pointer_free(p);
  free(target);
  test_tempdir_remove(dir);
}
END_TEST

START_TEST(ranged_download_reports_progress_up_to_the_range) {
  put("pub/data.txt", "0123456789abcdef");
  char *dir = NULL;
  char *target = temp_target(&dir);
  pail_pointer *p = ptr("pub/data.txt");
  progress_seen seen = {0, 0, 0, 0};
  pail_read_options opts = PAIL_READ_OPTIONS_INIT;
  opts.offset = 3;
  opts.length = 5;
  opts.progress = record_progress;
  opts.progress_user_data = &seen;
  ck_assert_int_eq(pail_download(ws, p, target, &opts, NULL), PAIL_OK);
  ck_assert_int_ge(seen.calls, 1);
  ck_assert_uint_eq(seen.done, 5);
  ck_assert_uint_eq(seen.total, 5);
  FILE *f = fopen(target, "rb");
  char got[16] = {0};
  ck_assert_uint_eq(fread(got, 1, sizeof got, f), 5);
  fclose(f);
  ck_assert_str_eq(got, "34567");
  /* A streamed copy reports through the write options. */
  progress_seen copied = {0, 0, 0, 0};
  pail_write_options wopts = PAIL_WRITE_OPTIONS_INIT;
  wopts.progress = record_progress;
  wopts.progress_user_data = &copied;
  pail_pointer *dst = ptr("s3://stuck/pub/copy");
  ck_assert_int_eq(pail_copy(ws, p, dst, &wopts, NULL), PAIL_OK);
  ck_assert_uint_eq(copied.done, 16);
  ck_assert_uint_eq(copied.total, 16);
  pail_pointer_free(dst);
  free(target);
  pail_pointer_free(p);
  test_tempdir_remove(dir);
}
END_TEST

/* Whether a listing of prefix (recursive or not) names a key under
 * .pail_uploads/. */
static size_t staged_listed(pail_workspace *w, const char *prefix,
                            int recursive) {
  pail_pointer *p = NULL;
  ck_assert_int_eq(pail_pointer_parse_prefix(prefix, NULL, &p, NULL), PAIL_OK);
  pail_list_options opts = PAIL_LIST_OPTIONS_INIT;
  opts.recursive = recursive;
  pail_list_page page;
  ck_assert_int_eq(pail_list(w, p, &opts, &page, NULL), PAIL_OK);
  size_t n = 0;
  for (size_t i = 0; i < page.count; i++)
    n += strncmp(page.entries[i].key, ".pail_uploads/", 14) == 0;
  pail_list_page_clear(&page);
  pail_pointer_free(p);
  return n;
}

START_TEST(listings_hide_staged_uploads_unless_their_prefix_asks) {
  pail_workspace *mem = NULL;
  ck_assert_int_eq(pail_workspace_open_json(
                       "{\"storage\": {\"type\": \"mem\"}}", NULL, &mem, NULL),
                   PAIL_OK);
  const char *keys[] = {".pail_uploads/0123/upload",
                        ".pail_uploads/0123/part-00001", "visible"};
  for (size_t i = 0; i < 3; i++) {
    pail_pointer p = {.key = (char *)keys[i]};
    ck_assert_int_eq(pail_write(mem, &p, "x", 1, NULL, NULL), PAIL_OK);
  }
  ck_assert_uint_eq(staged_listed(mem, "s3:///", 1), 0);
  ck_assert_uint_eq(staged_listed(mem, "s3:///", 0), 0);
  ck_assert_uint_eq(staged_listed(mem, "s3:///.pail", 1), 0);
  ck_assert_uint_eq(staged_listed(mem, "s3:///.pail_uploads/", 1), 2);
  ck_assert_uint_eq(staged_listed(mem, "s3:///.pail_uploads/", 0), 1);
  pail_workspace_close(mem);
}
END_TEST

START_TEST(page_token_that_does_not_advance_ends_the_listing) {
  put("s3://stuck/pub/a", "a");
  pail_pointer *prefix = NULL;
  ck_assert_int_eq(
      pail_pointer_parse_prefix("s3://stuck/pub/", NULL, &prefix, NULL),
      PAIL_OK);
  pail_list_options opts = PAIL_LIST_OPTIONS_INIT;
  pail_list_page page;
  ck_assert_int_eq(pail_list(ws, prefix, &opts, &page, NULL), PAIL_OK);
  ck_assert_str_eq(page.next_page_token, "again");
  opts.page_token = "again";
  pail_list_page second;
  ck_assert_int_eq(pail_list(ws, prefix, &opts, &second, NULL), PAIL_OK);
  ck_assert_ptr_null(second.next_page_token);
  pail_list_page_clear(&page);
  pail_list_page_clear(&second);
  pail_pointer_free(prefix);
}
END_TEST

START_TEST(sign_without_presign_answers_with_a_verifiable_grant) {
  put("pub/g", "granted");
  pail_pointer *p = ptr("pub/g");
  pail_sign_options opts = PAIL_SIGN_OPTIONS_INIT;
  opts.expires = 600;
  pail_signature sig;
  ck_assert_int_eq(pail_sign(ws, p, &opts, &sig, NULL), PAIL_OK);
  ck_assert_ptr_null(sig.url);
  ck_assert_ptr_nonnull(sig.grant);
  ck_assert_str_eq(sig.grant->key, "pub/g");
  ck_assert_int_eq(sig.expires_at, 1795600800 + 600);
  ck_assert_contains(sig.grant->presigned, "exp=1795601400&sig=");
  ck_assert_int_eq(pail_grant_verify(ws, sig.grant, 0, NULL), PAIL_OK);
  /* After expiry, refused. */
  pail_error *err = NULL;
  ck_assert_int_eq(pail_grant_verify(ws, sig.grant, 1795601401, &err),
                   PAIL_ERR_ACCESS_DENIED);
  pail_error_free(err);
  pail_signature_clear(&sig);
  /* PUT cannot be granted. */
  opts.method = "PUT";
  err = NULL;
  ck_assert_int_eq(pail_sign(ws, p, &opts, &sig, &err), PAIL_ERR_UNSUPPORTED);
  pail_error_free(err);
  opts.method = "PATCH";
  err = NULL;
  ck_assert_int_eq(pail_sign(ws, p, &opts, &sig, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  pail_error_free(err);
  opts.method = "GET";
  opts.expires = 8 * 24 * 3600;
  err = NULL;
  ck_assert_int_eq(pail_sign(ws, p, &opts, &sig, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  pail_error_free(err);
  pail_pointer_free(p);
}
END_TEST

START_TEST(grant_keeps_the_extra_fields_of_the_signed_pointer) {
  put("pub/g", "granted");
  pail_pointer *p = ptr("{\"s3\": \"pub/g\", \"filename\": \"g.txt\"}");
  pail_signature sig;
  ck_assert_int_eq(pail_sign(ws, p, NULL, &sig, NULL), PAIL_OK);
  ck_assert_str_eq(sig.grant->extra, "{\"filename\":\"g.txt\"}");
  char *json = pail_pointer_to_json(sig.grant);
  ck_assert_contains(json, "\"presigned\": \"exp=1795604400&sig=");
  ck_assert_contains(json, "\", \"filename\": \"g.txt\"}");
  free(json);
  ck_assert_int_eq(pail_grant_verify(ws, sig.grant, 0, NULL), PAIL_OK);
  pail_signature_clear(&sig);
  pail_pointer_free(p);
}
END_TEST

START_TEST(grant_allows_reading_a_key_the_rules_deny) {
  /* Write it as alice, then read it with a grant as nobody. */
  pail_workspace *as_alice = NULL;
  pail_options options = PAIL_OPTIONS_INIT;
  options.username = "alice";
  ck_assert_int_eq(
      pail_workspace_open_json(
          "{\"storage\": {\"type\": \"probe\"}, \"advanced_permissions\": "
          "[{\"pattern\": \"u/{username}/**\", \"allow\": \"read,write\"}],"
          " \"workspace_key\": \"test-workspace-key-0123\"}",
          &options, &as_alice, NULL),
      PAIL_OK);
  pail_pointer *p = ptr("u/alice/report.csv");
  ck_assert_int_eq(pail_write(as_alice, p, "a,b\n", 4, NULL, NULL), PAIL_OK);
  pail_signature sig;
  ck_assert_int_eq(pail_sign(as_alice, p, NULL, &sig, NULL), PAIL_OK);

  pail_workspace *anonymous = NULL;
  options.username = "bob";
  ck_assert_int_eq(
      pail_workspace_open_json(
          "{\"storage\": {\"type\": \"probe\"}, \"advanced_permissions\": "
          "[{\"pattern\": \"u/{username}/**\", \"allow\": \"read,write\"}],"
          " \"workspace_key\": \"test-workspace-key-0123\"}",
          &options, &anonymous, NULL),
      PAIL_OK);
  pail_object_info info;
  pail_error *err = NULL;
  /* bob's own instance is separate, so copy the object there first as the
   * probe is per instance: stat through the grant only checks access. */
  ck_assert_int_eq(pail_stat(anonymous, p, &info, &err),
                   PAIL_ERR_ACCESS_DENIED);
  pail_error_free(err);
  err = NULL;
  int rc = pail_stat(anonymous, sig.grant, &info, &err);
  /* Access passes; the probe instance of this workspace has no object. */
  ck_assert_int_eq(rc, PAIL_ERR_NOT_FOUND);
  pail_error_free(err);
  /* A tampered grant is refused before the backend. */
  sig.grant->presigned[strlen(sig.grant->presigned) - 1] ^= 1;
  err = NULL;
  ck_assert_int_eq(pail_stat(anonymous, sig.grant, &info, &err),
                   PAIL_ERR_ACCESS_DENIED);
  pail_error_free(err);
  /* A grant never allows writing. */
  err = NULL;
  ck_assert_int_eq(pail_write(anonymous, sig.grant, "x", 1, NULL, &err),
                   PAIL_ERR_ACCESS_DENIED);
  pail_error_free(err);
  pail_signature_clear(&sig);
  pail_pointer_free(p);
  pail_workspace_close(anonymous);
  pail_workspace_close(as_alice);
}
END_TEST

START_TEST(copy_across_storages_streams_the_bytes) {
  put("pub/src", "copied bytes");
  pail_pointer *src = ptr("pub/src");
  pail_pointer *dst = ptr("s3://stuck/pub/dst");
  ck_assert_int_eq(pail_copy(ws, src, dst, NULL, NULL), PAIL_OK);
  void *data = NULL;
  size_t length = 0;
  ck_assert_int_eq(pail_read(ws, dst, NULL, &data, &length, NULL), PAIL_OK);
  ck_assert_str_eq(data, "copied bytes");
  free(data);
  pail_error *err = NULL;
  ck_assert_int_eq(pail_copy(ws, src, src, NULL, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  pail_error_free(err);
  pail_pointer_free(src);
  pail_pointer_free(dst);
}
END_TEST

START_TEST(server_side_copy_refuses_options_the_backend_ignores) {
  put("pub/src", "source");
  pail_pointer *src = ptr("pub/src");
  pail_pointer *dst = ptr("pub/dst");
  int calls = atomic_load(&backend_calls);
  pail_write_options opts = PAIL_WRITE_OPTIONS_INIT;
  opts.if_none_match = 1;
  pail_error *err = NULL;
  /* A create-only copy must not become a silent overwrite. */
  ck_assert_int_eq(pail_copy(ws, src, dst, &opts, &err), PAIL_ERR_UNSUPPORTED);
  ck_assert_contains(pail_error_message(err), "if-none-match");
  pail_error_free(err);
  opts.if_none_match = 0;
  pail_metadata_entry meta = {(char *)"owner", (char *)"alice"};
  opts.metadata = &meta;
  opts.metadata_count = 1;
  err = NULL;
  ck_assert_int_eq(pail_copy(ws, src, dst, &opts, &err), PAIL_ERR_UNSUPPORTED);
  ck_assert_contains(pail_error_message(err), "metadata");
  pail_error_free(err);
  ck_assert_int_eq(atomic_load(&backend_calls), calls);
  /* Without such options the backend copies. */
  ck_assert_int_eq(pail_copy(ws, src, dst, NULL, NULL), PAIL_OK);
  ck_assert_int_eq(atomic_load(&backend_calls), calls + 1);
  pail_pointer_free(src);
  pail_pointer_free(dst);
}
END_TEST

START_TEST(failed_write_makes_close_abort_and_keeps_the_old_object) {
  put("pub/keep", "old");
  pail_pointer *p = ptr("pub/keep");
  pail_writer *w = NULL;
  ck_assert_int_eq(pail_writer_open(ws, p, NULL, &w, NULL), PAIL_OK);
  char big[300];
  memset(big, 'x', sizeof big);
  pail_error *err = NULL;
  ck_assert_int_eq(pail_writer_write(w, big, sizeof big, &err), PAIL_ERR_IO);
  pail_error_free(err);
  err = NULL;
  ck_assert_int_eq(pail_writer_write(w, "y", 1, &err), PAIL_ERR_IO);
  pail_error_free(err);
  err = NULL;
  ck_assert_int_eq(pail_writer_close(w, NULL, &err), PAIL_ERR_IO);
  ck_assert_contains(pail_error_message(err), "nothing was stored");
  pail_error_free(err);
  void *data = NULL;
  size_t length = 0;
  ck_assert_int_eq(pail_read(ws, p, NULL, &data, &length, NULL), PAIL_OK);
  ck_assert_str_eq(data, "old");
  free(data);
  pail_pointer_free(p);
}
END_TEST

START_TEST(upload_of_unreadable_file_creates_nothing) {
  pail_pointer *p = ptr("pub/never");
  pail_error *err = NULL;
  ck_assert_int_eq(pail_upload(ws, p, "/nonexistent/file", NULL, &err),
                   PAIL_ERR_NOT_FOUND);
  ck_assert_contains(pail_error_message(err), "/nonexistent/file");
  pail_error_free(err);
  ck_assert_int_eq(atomic_load(&backend_calls), 0);
  pail_pointer_free(p);
}
END_TEST

START_TEST(upload_from_a_closed_standard_input_fails_cleanly) {
  /* fstat fails (EBADF): the upload must say so without looking at the
   * struct it did not fill (valgrind reports the uninitialised read). */
  int saved = dup(STDIN_FILENO);
  ck_assert_int_ge(saved, 0);
  ck_assert_int_eq(close(STDIN_FILENO), 0);
  pail_pointer *p = ptr("pub/never");
  pail_error *err = NULL;
  pail_status status = pail_upload(ws, p, "-", NULL, &err);
  ck_assert_int_eq(dup2(saved, STDIN_FILENO), STDIN_FILENO);
  close(saved);
  ck_assert_int_eq(status, PAIL_ERR_IO);
  ck_assert_contains(pail_error_message(err), "cannot read -");
  ck_assert_contains(pail_error_message(err), strerror(EBADF));
  pail_error_free(err);
  ck_assert_int_eq(atomic_load(&backend_calls), 0);
  pail_pointer_free(p);
}
END_TEST

static void *stat_thread(void *arg) {
  (void)arg;
  pail_pointer *p = ptr("pub/none");
  pail_object_info info;
  pail_error *err = NULL;
  pail_stat(ws, p, &info, &err);
  pail_error_free(err);
  pail_pointer_free(p);
  return NULL;
}

START_TEST(storage_opens_once_when_many_threads_race) {
  pthread_t threads[8];
  for (int i = 0; i < 8; i++)
    ck_assert_int_eq(pthread_create(&threads[i], NULL, stat_thread, NULL), 0);
  for (int i = 0; i < 8; i++)
    pthread_join(threads[i], NULL);
  ck_assert_int_eq(atomic_load(&open_calls), 1);
  ck_assert_int_eq(atomic_load(&backend_calls), 8);
}
END_TEST

START_TEST(fixed_clock_and_time_forms_parse) {
  int64_t t = 0;
  ck_assert_int_eq(clock_now(NULL), 1795600800);
  ck_assert_int_eq(clock_parse_time("20261125T100000Z", &t, NULL), PAIL_OK);
  ck_assert_int_eq(t, 1795600800);
  ck_assert_int_eq(clock_parse_time("2026-11-25T11:00:00+01:00", &t, NULL),
                   PAIL_OK);
  ck_assert_int_eq(t, 1795600800);
  ck_assert_int_eq(clock_parse_time("2026-11-25T10:00:00.250Z", &t, NULL),
                   PAIL_OK);
  ck_assert_int_eq(t, 1795600800);
  ck_assert_int_eq(clock_parse_time("1795600800", &t, NULL), PAIL_OK);
  ck_assert_int_eq(t, 1795600800);
  pail_error *err = NULL;
  ck_assert_int_eq(clock_parse_time("2026-02-30T00:00:00Z", &t, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  pail_error_free(err);
  err = NULL;
  ck_assert_int_eq(clock_parse_time("yesterday", &t, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  pail_error_free(err);
  /* The forms providers send: S3's LastModified and HTTP dates. */
  int32_t nsec = -1;
  const pail_core_services *svc = pail_core_services_get();
  ck_assert_int_eq(svc->time_parse("2026-11-25T10:00:00.250Z", &t, &nsec),
                   PAIL_OK);
  ck_assert_int_eq(t, 1795600800);
  ck_assert_int_eq(nsec, 250000000);
  ck_assert_int_eq(svc->time_parse("Wed, 25 Nov 2026 10:00:00 GMT", &t, &nsec),
                   PAIL_OK);
  ck_assert_int_eq(t, 1795600800);
  ck_assert_int_eq(nsec, 0);
  ck_assert_int_eq(svc->time_parse("not a date", &t, NULL),
                   PAIL_ERR_INVALID_ARGUMENT);
}
END_TEST

/* Asserts that call answers PAIL_ERR_INVALID_ARGUMENT with a message
 * naming function, instead of crashing. */
#define EXPECT_NULL_REFUSED(function, call)                                    \
  do {                                                                         \
    pail_error *err_ = NULL;                                                   \
    ck_assert_int_eq((call), PAIL_ERR_INVALID_ARGUMENT);                       \
    ck_assert_contains(pail_error_message(err_), function);                    \
    pail_error_free(err_);                                                     \
  } while (0)
#define E (&err_)

START_TEST(null_arguments_are_invalid_not_crashes) {
  pail_pointer *p = ptr("pub/a");
  pail_pointer *prefix = NULL;
  ck_assert_int_eq(pail_pointer_parse_prefix("pub/", NULL, &prefix, NULL),
                   PAIL_OK);
  pail_object_info info;
  pail_list_page page;
  pail_signature sig;
  pail_reader *reader = NULL;
  pail_writer *writer = NULL;
  void *data = NULL;
  size_t length = 0;
  int64_t seconds = 0;
  pail_backend_info *infos = NULL;
  size_t count = 0;
  char buffer[4];
  pail_workspace *none = NULL;

  EXPECT_NULL_REFUSED("pail_workspace_open",
                      pail_workspace_open("/nonexistent", NULL, NULL, E));
  EXPECT_NULL_REFUSED("pail_workspace_open_json",
                      pail_workspace_open_json("{}", NULL, NULL, E));
  EXPECT_NULL_REFUSED("pail_workspace_open_default",
                      pail_workspace_open_default(NULL, NULL, E));
  EXPECT_NULL_REFUSED("pail_workspace_check_storage",
                      pail_workspace_check_storage(NULL, NULL, E));
  EXPECT_NULL_REFUSED("pail_workspace_probe_storage",
                      pail_workspace_probe_storage(NULL, NULL, E));
  EXPECT_NULL_REFUSED("pail_access_check",
                      pail_access_check(NULL, p, PAIL_ACCESS_READ, E));
  EXPECT_NULL_REFUSED("pail_access_check",
                      pail_access_check(ws, NULL, PAIL_ACCESS_READ, E));
  EXPECT_NULL_REFUSED("pail_stat", pail_stat(NULL, p, &info, E));
  EXPECT_NULL_REFUSED("pail_stat", pail_stat(ws, NULL, &info, E));
  EXPECT_NULL_REFUSED("pail_stat", pail_stat(ws, p, NULL, E));
  EXPECT_NULL_REFUSED("pail_list", pail_list(NULL, prefix, NULL, &page, E));
  EXPECT_NULL_REFUSED("pail_list", pail_list(ws, NULL, NULL, &page, E));
  EXPECT_NULL_REFUSED("pail_list", pail_list(ws, prefix, NULL, NULL, E));
  EXPECT_NULL_REFUSED("pail_reader_open",
                      pail_reader_open(NULL, p, NULL, &reader, E));
  EXPECT_NULL_REFUSED("pail_reader_open",
                      pail_reader_open(ws, NULL, NULL, &reader, E));
  EXPECT_NULL_REFUSED("pail_reader_open",
                      pail_reader_open(ws, p, NULL, NULL, E));
  EXPECT_NULL_REFUSED(
      "pail_reader_read",
      pail_reader_read(NULL, buffer, sizeof buffer, &length, E));
  ck_assert_ptr_null(pail_reader_info(NULL));
  EXPECT_NULL_REFUSED("pail_read", pail_read(NULL, p, NULL, &data, &length, E));
  EXPECT_NULL_REFUSED("pail_read",
                      pail_read(ws, NULL, NULL, &data, &length, E));
  EXPECT_NULL_REFUSED("pail_read", pail_read(ws, p, NULL, NULL, &length, E));
  EXPECT_NULL_REFUSED("pail_read", pail_read(ws, p, NULL, &data, NULL, E));
  EXPECT_NULL_REFUSED("pail_download",
                      pail_download(NULL, p, "/dev/null", NULL, E));
  EXPECT_NULL_REFUSED("pail_download", pail_download(ws, p, NULL, NULL, E));
  EXPECT_NULL_REFUSED("pail_writer_open",
                      pail_writer_open(NULL, p, NULL, &writer, E));
  EXPECT_NULL_REFUSED("pail_writer_open",
                      pail_writer_open(ws, NULL, NULL, &writer, E));
  EXPECT_NULL_REFUSED("pail_writer_open",
                      pail_writer_open(ws, p, NULL, NULL, E));
  EXPECT_NULL_REFUSED("pail_writer_write", pail_writer_write(NULL, "x", 1, E));
  EXPECT_NULL_REFUSED("pail_writer_close", pail_writer_close(NULL, &info, E));
  EXPECT_NULL_REFUSED("pail_write", pail_write(NULL, p, "x", 1, NULL, E));
  EXPECT_NULL_REFUSED("pail_write", pail_write(ws, NULL, "x", 1, NULL, E));
  EXPECT_NULL_REFUSED("pail_write", pail_write(ws, p, NULL, 1, NULL, E));
  EXPECT_NULL_REFUSED("pail_upload",
                      pail_upload(NULL, p, "/dev/null", NULL, E));
  EXPECT_NULL_REFUSED("pail_upload", pail_upload(ws, p, NULL, NULL, E));
  EXPECT_NULL_REFUSED("pail_delete", pail_delete(NULL, p, E));
  EXPECT_NULL_REFUSED("pail_delete", pail_delete(ws, NULL, E));
  EXPECT_NULL_REFUSED("pail_copy", pail_copy(NULL, p, p, NULL, E));
  EXPECT_NULL_REFUSED("pail_copy", pail_copy(ws, NULL, p, NULL, E));
  EXPECT_NULL_REFUSED("pail_copy", pail_copy(ws, p, NULL, NULL, E));
  EXPECT_NULL_REFUSED("pail_create_container",
                      pail_create_container(NULL, NULL, E));
  EXPECT_NULL_REFUSED("pail_sign", pail_sign(NULL, p, NULL, &sig, E));
  EXPECT_NULL_REFUSED("pail_sign", pail_sign(ws, NULL, NULL, &sig, E));
  EXPECT_NULL_REFUSED("pail_sign", pail_sign(ws, p, NULL, NULL, E));
  pail_sign_options headers = PAIL_SIGN_OPTIONS_INIT;
  headers.header_count = 1;
  EXPECT_NULL_REFUSED("pail_sign", pail_sign(ws, p, &headers, &sig, E));
  pail_write_options metadata = PAIL_WRITE_OPTIONS_INIT;
  metadata.metadata_count = 1;
  EXPECT_NULL_REFUSED("metadata", pail_write(ws, p, "x", 1, &metadata, E));
  EXPECT_NULL_REFUSED("pail_time_parse", pail_time_parse(NULL, &seconds, E));
  EXPECT_NULL_REFUSED("pail_time_parse", pail_time_parse("0", NULL, E));
  EXPECT_NULL_REFUSED("pail_backend_scan", pail_backend_scan(NULL, &count, E));
  EXPECT_NULL_REFUSED("pail_backend_scan", pail_backend_scan(&infos, NULL, E));
  EXPECT_NULL_REFUSED("pail_backend_register", pail_backend_register(NULL, E));
  ck_assert_int_eq(pail_object_info_copy(NULL, &info),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(pail_workspace_source(none));
  ck_assert_uint_eq(pail_workspace_storage_count(none), 0);
  ck_assert_ptr_null(pail_workspace_storage_name(none, 0));
  ck_assert_ptr_null(pail_workspace_storage_type(none, 0));
  /* The grant functions refuse as their contracts say. */
  char *presigned = NULL;
  pail_error *err = NULL;
  ck_assert_int_eq(pail_grant_create(NULL, p, 1, &presigned, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  pail_error_free(err);
  err = NULL;
  ck_assert_int_ne(pail_grant_verify(ws, NULL, 0, &err), PAIL_OK);
  pail_error_free(err);
  ck_assert_int_eq(atomic_load(&backend_calls), 0);
  pail_pointer_free(p);
  pail_pointer_free(prefix);
}
END_TEST
#undef E

/* ------------------------------------------------------- key file */

/* A workspace without "workspace_key", whose key file lives under a fresh
 * $XDG_CONFIG_HOME. */
static char *config_home;
static pail_workspace *keyless;

static void key_file_setup(void) {
  unsetenv("PAIL_WORKSPACE_KEY");
  config_home = test_tempdir();
  setenv("XDG_CONFIG_HOME", config_home, 1);
  ck_assert_int_eq(pail_workspace_open_json("{\"storage\": {\"type\": "
                                            "\"probe\"}}",
                                            NULL, &keyless, NULL),
                   PAIL_OK);
}

static void key_file_teardown(void) {
  pail_workspace_close(keyless);
  keyless = NULL;
  test_tempdir_remove(config_home);
  config_home = NULL;
  unsetenv("XDG_CONFIG_HOME");
}

/* Writes the key file with content and mode; returns its path (free it). */
static char *key_file_write(const char *content, mode_t mode) {
  char *dir = NULL, *path = NULL;
  ck_assert_int_ge(asprintf(&dir, "%s/pail", config_home), 0);
  ck_assert_int_eq(mkdir(dir, 0700), 0);
  ck_assert_int_ge(asprintf(&path, "%s/workspace.key", dir), 0);
  test_write_file(path, content);
  ck_assert_int_eq(chmod(path, mode), 0);
  free(dir);
  return path;
}

/* Signs a grant with the keyless workspace's key. */
static pail_status key_file_sign(pail_error **err) {
  pail_pointer *p = ptr("pub/a");
  char *presigned = NULL;
  pail_status status =
      pail_grant_create(keyless, p, 1795600800, &presigned, err);
  free(presigned);
  pail_pointer_free(p);
  return status;
}

START_TEST(key_file_of_only_newlines_is_refused) {
  char *path = key_file_write("\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n", 0600);
  pail_error *err = NULL;
  ck_assert_int_eq(key_file_sign(&err), PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), path);
  ck_assert_contains(pail_error_message(err), "at least 16");
  pail_error_free(err);
  free(path);
}
END_TEST

START_TEST(key_file_of_15_characters_and_a_newline_is_refused) {
  char *path = key_file_write("0123456789abcde\n", 0600);
  pail_error *err = NULL;
  ck_assert_int_eq(key_file_sign(&err), PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), path);
  /* The key itself is never shown. */
  ck_assert_ptr_null(strstr(pail_error_message(err), "0123456789abcde"));
  pail_error_free(err);
  free(path);
}
END_TEST

START_TEST(key_file_of_16_characters_and_a_newline_signs) {
  char *path = key_file_write("0123456789abcdef\r\n", 0600);
  pail_error *err = NULL;
  ck_assert_msg(key_file_sign(&err) == PAIL_OK, "%s", pail_error_message(err));
  /* Signed with the key without its line end: the same grant as a
   * workspace whose settings hold the 16 characters. */
  pail_pointer *p = ptr("pub/a");
  char *from_file = NULL, *from_settings = NULL;
  ck_assert_int_eq(pail_grant_create(keyless, p, 1795600800, &from_file, NULL),
                   PAIL_OK);
  pail_workspace *keyed = NULL;
  ck_assert_int_eq(
      pail_workspace_open_json("{\"storage\": {\"type\": \"probe\"},"
                               " \"workspace_key\": \"0123456789abcdef\"}",
                               NULL, &keyed, NULL),
      PAIL_OK);
  ck_assert_int_eq(
      pail_grant_create(keyed, p, 1795600800, &from_settings, NULL), PAIL_OK);
  ck_assert_str_eq(from_file, from_settings);
  free(from_file);
  free(from_settings);
  pail_workspace_close(keyed);
  pail_pointer_free(p);
  free(path);
}
END_TEST

START_TEST(key_file_readable_by_others_is_refused) {
  static const mode_t modes[] = {0644, 0640, 0604, 0660};
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
    char *path = key_file_write("0123456789abcdef0123456789abcdef", modes[i]);
    char mode[8];
    snprintf(mode, sizeof mode, "%04o", (unsigned)modes[i]);
    pail_error *err = NULL;
    ck_assert_int_eq(key_file_sign(&err), PAIL_ERR_ACCESS_DENIED);
    ck_assert_contains(pail_error_message(err), path);
    ck_assert_contains(pail_error_message(err), mode);
    ck_assert_contains(pail_error_message(err), "chmod 600");
    ck_assert_ptr_null(strstr(pail_error_message(err), "0123456789abcdef"));
    pail_error_free(err);
    /* Once private it is used. */
    ck_assert_int_eq(chmod(path, 0600), 0);
    ck_assert_int_eq(key_file_sign(NULL), PAIL_OK);
    /* The next round starts afresh: a new workspace, no key file. */
    pail_workspace_close(keyless);
    ck_assert_int_eq(pail_workspace_open_json("{\"storage\": {\"type\": "
                                              "\"probe\"}}",
                                              NULL, &keyless, NULL),
                     PAIL_OK);
    ck_assert_int_eq(unlink(path), 0);
    *strrchr(path, '/') = '\0';
    ck_assert_int_eq(rmdir(path), 0);
    free(path);
  }
}
END_TEST

START_TEST(key_file_creation_ignores_a_stale_temporary_file) {
  /* A crash between creating and renaming leaves a temporary file; in a
   * container the next run often has the same pid. */
  char *dir = NULL, *stale = NULL;
  ck_assert_int_ge(asprintf(&dir, "%s/pail", config_home), 0);
  ck_assert_int_eq(mkdir(dir, 0700), 0);
  ck_assert_int_ge(
      asprintf(&stale, "%s/workspace.key.tmp.%ld", dir, (long)getpid()), 0);
  test_write_file(stale, "");
  pail_error *err = NULL;
  ck_assert_msg(key_file_sign(&err) == PAIL_OK, "%s", pail_error_message(err));
  free(stale);
  free(dir);
}
END_TEST

enum { KEY_RACERS = 8, KEY_RACE_ROUNDS = 20 };

typedef struct key_racer {
  pthread_barrier_t *start;
  pail_workspace *ws;
  pail_status status;
  char message[256];
  char *presigned;
} key_racer;

static void *key_racer_run(void *arg) {
  key_racer *r = arg;
  pail_pointer *p = ptr("pub/a");
  pail_error *err = NULL;
  pthread_barrier_wait(r->start);
  r->status = pail_grant_create(r->ws, p, 1795600800, &r->presigned, &err);
  snprintf(r->message, sizeof r->message, "%s", pail_error_message(err));
  pail_error_free(err);
  pail_pointer_free(p);
  return NULL;
}

START_TEST(workspaces_racing_to_create_the_key_file_share_one_key) {
  for (int round = 0; round < KEY_RACE_ROUNDS; round++) {
    char *home = test_tempdir();
    setenv("XDG_CONFIG_HOME", home, 1);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, KEY_RACERS);
    key_racer racers[KEY_RACERS];
    pthread_t threads[KEY_RACERS];
    for (int i = 0; i < KEY_RACERS; i++) {
      memset(&racers[i], 0, sizeof racers[i]);
      racers[i].start = &start;
      ck_assert_int_eq(pail_workspace_open_json("{\"storage\": {\"type\": "
                                                "\"probe\"}}",
                                                NULL, &racers[i].ws, NULL),
                       PAIL_OK);
      ck_assert_int_eq(
          pthread_create(&threads[i], NULL, key_racer_run, &racers[i]), 0);
    }
    for (int i = 0; i < KEY_RACERS; i++)
      pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < KEY_RACERS; i++) {
      ck_assert_msg(racers[i].status == PAIL_OK, "round %d, workspace %d: %s",
                    round, i, racers[i].message);
      /* One key won, and every workspace signs with it. */
      ck_assert_str_eq(racers[i].presigned, racers[0].presigned);
    }
    for (int i = 0; i < KEY_RACERS; i++) {
      free(racers[i].presigned);
      pail_workspace_close(racers[i].ws);
    }
    /* Nothing but the key is left behind. */
    char *listing = NULL;
    ck_assert_int_ge(asprintf(&listing, "ls -A '%s/pail'", home), 0);
    FILE *ls = popen(listing, "r");
    char line[256];
    int files = 0;
    while (fgets(line, sizeof line, ls) != NULL) {
      ck_assert_str_eq(line, "workspace.key\n");
      files++;
    }
    pclose(ls);
    ck_assert_int_eq(files, 1);
    free(listing);
    test_tempdir_remove(home);
  }
  setenv("XDG_CONFIG_HOME", config_home, 1);
}
END_TEST

int main(void) {
  Suite *s = suite_create("workspace");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, hand_built_pointer_with_bad_key_never_reaches_the_backend);
  tcase_add_test(tc, denied_access_never_reaches_the_backend);
  tcase_add_test(tc, delete_many_never_sends_a_denied_key);
  tcase_add_test(tc, write_options_outlive_the_callers_strings);
  tcase_add_test(tc, committing_is_told_once_before_the_commit_never_on_cancel);
  tcase_add_test(tc,
                 control_characters_in_header_texts_never_reach_the_backend);
  tcase_add_test(tc, missing_storage_is_not_found_and_names_known_ones);
  tcase_add_test(tc, round_trip_through_writer_and_reader_in_small_chunks);
  tcase_add_test(tc, read_shorter_than_announced_size_is_an_io_error);
  tcase_add_test(tc, truncated_download_leaves_no_local_file);
  tcase_add_test(tc, read_starts_again_when_the_object_is_replaced);
  tcase_add_test(tc, read_gives_up_on_an_object_replaced_again_and_again);
  tcase_add_test(tc, download_starts_again_when_the_object_is_replaced);
  tcase_add_test(tc, streamed_copy_starts_again_when_the_source_is_replaced);
  tcase_add_test(tc, ranged_download_reports_progress_up_to_the_range);
  tcase_add_test(tc, download_reserves_the_blocks_of_what_it_fetches);
  tcase_add_test(tc,
                 download_without_room_fails_before_writing_and_leaves_nothing);
  tcase_add_test(tc, cancelled_download_leaves_no_file);
  tcase_add_test(tc, cancelled_upload_and_copy_abort_the_writer);
  tcase_add_test(tc, signal_during_a_blocked_read_cancels_the_upload);
  tcase_add_test(tc, download_writes_into_a_fifo_instead_of_replacing_it);
  tcase_add_test(tc, download_never_touches_the_process_umask);
  tcase_add_test(tc, page_token_that_does_not_advance_ends_the_listing);
  tcase_add_test(tc, listings_hide_staged_uploads_unless_their_prefix_asks);
  tcase_add_test(tc, sign_without_presign_answers_with_a_verifiable_grant);
  tcase_add_test(tc, grant_keeps_the_extra_fields_of_the_signed_pointer);
  tcase_add_test(tc, grant_allows_reading_a_key_the_rules_deny);
  tcase_add_test(tc, copy_across_storages_streams_the_bytes);
  tcase_add_test(tc, server_side_copy_refuses_options_the_backend_ignores);
  tcase_add_test(tc, failed_write_makes_close_abort_and_keeps_the_old_object);
  tcase_add_test(tc, upload_of_unreadable_file_creates_nothing);
  tcase_add_test(tc, upload_from_a_closed_standard_input_fails_cleanly);
  tcase_add_test(tc, storage_opens_once_when_many_threads_race);
  tcase_add_test(tc, fixed_clock_and_time_forms_parse);
  tcase_add_test(tc, null_arguments_are_invalid_not_crashes);
  suite_add_tcase(s, tc);
  tc = tcase_create("key file");
  tcase_add_checked_fixture(tc, key_file_setup, key_file_teardown);
  tcase_add_test(tc, key_file_of_only_newlines_is_refused);
  tcase_add_test(tc, key_file_of_15_characters_and_a_newline_is_refused);
  tcase_add_test(tc, key_file_of_16_characters_and_a_newline_signs);
  tcase_add_test(tc, key_file_readable_by_others_is_refused);
  tcase_add_test(tc, key_file_creation_ignores_a_stale_temporary_file);
  tcase_add_test(tc, workspaces_racing_to_create_the_key_file_share_one_key);
  suite_add_tcase(s, tc);
  return test_run_suite(s);
}
