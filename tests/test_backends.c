/*
 * test_backends.c: the contract every storage backend keeps, run against the
 * fs and mem plugins through the public API, as users reach them: round
 * trips of every size, ranged and conditional reads, stat, listings in S3
 * byte order with folders and page tokens, atomic and create-only writes,
 * delete, copy, and keys with awkward characters. The fs-only part checks
 * what the file system adds: no temporary or partial file ever shows, keys
 * and links never leave the root, reserved names, the MD5 etag cache.
 *
 * Each contract test is a loop test: iteration 0 runs it on fs, 1 on mem.
 */
/* Must precede every system header: it turns on _GNU_SOURCE. */
#include <config.h>

#include "testutil.h"

#include <pail/backend.h>
#include <pail/pail.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>

/* For the fs copy test that shrinks the source at a chosen moment. */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static const char *const backend_types[] = {"fs", "mem"};
#define BACKEND_FS 0
#define BACKEND_MEM 1

/* Every test's files live under this directory, made and removed by main()
 * (in the parent process, so that it goes even when a forked test fails). */
static char *scratch;

/* The workspace of the running test. */
static struct {
  int backend;
  const char *type;
  char *root; /* fs: the storage root */
  pail_workspace *ws;
} t;

static pail_error *err;

/* Asserts that a call returned `want`, showing the error message when not,
 * and frees the error. */
#define EXPECT(want, call) expect_status(__LINE__, #call, (call), (want))

static void expect_status(int line, const char *text, pail_status got,
                          pail_status want) {
  ck_assert_msg(got == want,
                "line %d, %s backend: %s returned \"%s\" (%s), "
                "expected \"%s\"",
                line, t.type, text, pail_status_name(got),
                err ? pail_error_message(err) : "no error",
                pail_status_name(want));
  pail_error_free(err);
  err = NULL;
}

/* As EXPECT, and the error message must contain needle. */
#define EXPECT_MESSAGE(want, needle, call)                                     \
  do {                                                                         \
    pail_status got_ = (call);                                                 \
    ck_assert_ptr_nonnull(err);                                                \
    ck_assert_contains(pail_error_message(err), needle);                       \
    expect_status(__LINE__, #call, got_, (want));                              \
  } while (0)

static char *json_settings(const char *type, const char *root,
                           int create_root) {
  json_t *storage = json_pack("{s:s}", "type", type);
  if (root != NULL) {
    json_object_set_new(storage, "root_path", json_string(root));
    json_object_set_new(storage, "create_root", json_boolean(create_root));
  }
  json_t *doc = json_pack("{s:o}", "storage", storage);
  char *text = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  ck_assert_ptr_nonnull(text);
  return text;
}

static pail_workspace *workspace_open(const char *type, const char *root,
                                      int create_root) {
  char *settings = json_settings(type, root, create_root);
  pail_workspace *ws = NULL;
  EXPECT(PAIL_OK, pail_workspace_open_json(settings, NULL, &ws, &err));
  free(settings);
  return ws;
}

static char *scratch_dir(const char *name) {
  char *path = NULL;
  ck_assert_int_ge(asprintf(&path, "%s/%s-XXXXXX", scratch, name), 0);
  ck_assert_ptr_nonnull(mkdtemp(path));
  return path;
}

static void env_open(int backend) {
  memset(&t, 0, sizeof t);
  t.backend = backend;
  t.type = backend_types[backend];
  if (backend == BACKEND_FS) {
    char *dir = scratch_dir("fs");
    ck_assert_int_ge(asprintf(&t.root, "%s/root", dir), 0);
    free(dir);
  }
  t.ws = workspace_open(t.type, t.root, 1);
  /* Opens the storage now: fs creates its root. */
  EXPECT(PAIL_OK, pail_create_container(t.ws, NULL, &err));
}

static void env_close(void) {
  pail_workspace_close(t.ws);
  free(t.root);
  memset(&t, 0, sizeof t);
}

/* A pointer to key in the primary storage (the core validates it). */
#define PTR(k) (&(pail_pointer){.key = (char *)(k)})

static void put(const char *key, const void *data, size_t length) {
  EXPECT(PAIL_OK, pail_write(t.ws, PTR(key), data, length, NULL, &err));
}

static void put_string(const char *key, const char *text) {
  put(key, text, strlen(text));
}

/* The object's bytes as a string (NUL-terminated by pail_read). */
static char *get_string(const char *key) {
  void *data = NULL;
  size_t length = 0;
  EXPECT(PAIL_OK, pail_read(t.ws, PTR(key), NULL, &data, &length, &err));
  ck_assert_uint_eq(strlen(data), length);
  return data;
}

static void assert_content(const char *key, const char *want) {
  char *got = get_string(key);
  ck_assert_str_eq(got, want);
  free(got);
}

static pail_status read_range(const char *key, uint64_t offset, uint64_t length,
                              char **out) {
  pail_read_options options = PAIL_READ_OPTIONS_INIT;
  options.offset = offset;
  options.length = length;
  void *data = NULL;
  size_t got = 0;
  pail_status status = pail_read(t.ws, PTR(key), &options, &data, &got, &err);
  *out = data;
  return status;
}

/* One page, as "key|folder/|key" (folders keep their trailing '/'). */
static char *page_text(const pail_list_page *page) {
  size_t length = 1;
  for (size_t i = 0; i < page->count; i++)
    length += strlen(page->entries[i].key) + 1;
  char *text = calloc(1, length);
  ck_assert_ptr_nonnull(text);
  for (size_t i = 0; i < page->count; i++) {
    const pail_object_info *e = &page->entries[i];
    /* A folder is exactly an entry whose key ends with the delimiter. */
    size_t n = strlen(e->key);
    ck_assert_int_eq(e->is_folder, n > 0 && e->key[n - 1] == '/');
    if (i > 0)
      strcat(text, "|");
    strcat(text, e->key);
  }
  return text;
}

/* Lists prefix page by page with max_keys, asserting every page's size and
 * that the tokens advance, and returns all pages joined as by page_text. */
static char *list_all(const char *prefix, int recursive, size_t max_keys) {
  char *all = strdup("");
  char *token = NULL;
  for (int pages = 0;; pages++) {
    ck_assert_int_lt(pages, 1000);
    pail_list_options options = PAIL_LIST_OPTIONS_INIT;
    options.recursive = recursive;
    options.max_keys = max_keys;
    options.page_token = token;
    pail_list_page page;
    EXPECT(PAIL_OK, pail_list(t.ws, PTR(prefix), &options, &page, &err));
    if (max_keys > 0)
      ck_assert_uint_le(page.count, max_keys);
    if (page.next_page_token != NULL)
      ck_assert_uint_eq(page.count, max_keys);
    char *text = page_text(&page);
    char *joined = NULL;
    ck_assert_int_ge(
        asprintf(&joined, "%s%s%s", all, *all && *text ? "|" : "", text), 0);
    free(all);
    free(text);
    all = joined;
    free(token);
    token = page.next_page_token ? strdup(page.next_page_token) : NULL;
    pail_list_page_clear(&page);
    if (token == NULL)
      break;
  }
  return all;
}

static void assert_listing(const char *prefix, int recursive,
                           const char *want) {
  char *got = list_all(prefix, recursive, 0);
  ck_assert_str_eq(got, want);
  free(got);
}

/* Deterministic bytes that do not repeat with any small period. */
static void fill_pattern(unsigned char *data, size_t length, uint32_t seed) {
  uint32_t x = seed ? seed : 1;
  for (size_t i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    data[i] = (unsigned char)x;
  }
}

/* ------------------------------------------------------ round trips */

START_TEST(empty_object_round_trips) {
  env_open(_i);
  put("empty", "", 0);
  char *got = get_string("empty");
  ck_assert_str_eq(got, "");
  free(got);
  pail_object_info info;
  EXPECT(PAIL_OK, pail_stat(t.ws, PTR("empty"), &info, &err));
  ck_assert_uint_eq(info.size, 0);
  pail_object_info_clear(&info);
  env_close();
}
END_TEST

START_TEST(one_byte_object_round_trips) {
  env_open(_i);
  put("one", "\xff", 1);
  void *data = NULL;
  size_t length = 0;
  EXPECT(PAIL_OK, pail_read(t.ws, PTR("one"), NULL, &data, &length, &err));
  ck_assert_uint_eq(length, 1);
  ck_assert_int_eq(((unsigned char *)data)[0], 0xff);
  free(data);
  env_close();
}
END_TEST

START_TEST(ten_mebibytes_stream_in_odd_chunks) {
  env_open(_i);
  const size_t size = 10u << 20;
  unsigned char *data = malloc(size);
  ck_assert_ptr_nonnull(data);
  fill_pattern(data, size, 42);
  static const size_t write_chunks[] = {1, 7, 4093, 65537, 1000003};
  pail_writer *w = NULL;
  EXPECT(PAIL_OK, pail_writer_open(t.ws, PTR("big/ten.bin"), NULL, &w, &err));
  for (size_t done = 0, i = 0; done < size; i++) {
    size_t n = write_chunks[i % 5];
    if (n > size - done)
      n = size - done;
    EXPECT(PAIL_OK, pail_writer_write(w, data + done, n, &err));
    done += n;
  }
  pail_object_info info;
  EXPECT(PAIL_OK, pail_writer_close(w, &info, &err));
  ck_assert_uint_eq(info.size, size);
  pail_object_info_clear(&info);

  static const size_t read_chunks[] = {3, 8191, (1u << 20) + 1};
  unsigned char *back = malloc(size + 1);
  ck_assert_ptr_nonnull(back);
  pail_reader *r = NULL;
  EXPECT(PAIL_OK, pail_reader_open(t.ws, PTR("big/ten.bin"), NULL, &r, &err));
  ck_assert_uint_eq(pail_reader_info(r)->size, size);
  size_t total = 0;
  for (size_t i = 0;; i++) {
    size_t got = 0;
    size_t want = read_chunks[i % 3];
    if (want > size + 1 - total)
      want = size + 1 - total;
    EXPECT(PAIL_OK, pail_reader_read(r, back + total, want, &got, &err));
    if (got == 0)
      break;
    total += got;
  }
  pail_reader_close(r);
  ck_assert_uint_eq(total, size);
  ck_assert_int_eq(memcmp(back, data, size), 0);
  free(back);
  free(data);
  env_close();
}
END_TEST

START_TEST(ranged_reads_return_exactly_the_range) {
  env_open(_i);
  put_string("digits", "0123456789");
  char *got = NULL;
  EXPECT(PAIL_OK, read_range("digits", 0, 3, &got));
  ck_assert_str_eq(got, "012");
  free(got);
  EXPECT(PAIL_OK, read_range("digits", 4, 3, &got));
  ck_assert_str_eq(got, "456");
  free(got);
  EXPECT(PAIL_OK, read_range("digits", 7, PAIL_READ_TO_END, &got));
  ck_assert_str_eq(got, "789");
  free(got);
  EXPECT(PAIL_OK, read_range("digits", 8, 100, &got));
  ck_assert_str_eq(got, "89");
  free(got);
  EXPECT(PAIL_OK, read_range("digits", 10, PAIL_READ_TO_END, &got));
  ck_assert_str_eq(got, "");
  free(got);
  EXPECT(PAIL_ERR_INVALID_ARGUMENT, read_range("digits", 11, 1, &got));
  ck_assert_ptr_null(got);
  env_close();
}
END_TEST

/* ------------------------------------------------------------- stat */

START_TEST(stat_reports_size_time_etag_and_attributes) {
  env_open(_i);
  time_t before = time(NULL);
  pail_metadata_entry metadata[] = {{"owner", "alice"}, {"run", "42"}};
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  options.content_type = "application/x-test";
  options.content_disposition = "attachment; filename=\"r.bin\"";
  options.metadata = metadata;
  options.metadata_count = 2;
  EXPECT(PAIL_OK,
         pail_write(t.ws, PTR("s/report.bin"), "hello", 5, &options, &err));
  time_t after = time(NULL);
  pail_object_info info;
  EXPECT(PAIL_OK, pail_stat(t.ws, PTR("s/report.bin"), &info, &err));
  ck_assert_str_eq(info.key, "s/report.bin");
  ck_assert_uint_eq(info.size, 5);
  ck_assert_int_ge(info.last_modified, (int64_t)before - 1);
  ck_assert_int_le(info.last_modified, (int64_t)after + 1);
  ck_assert_int_ge(info.last_modified_nsec, 0);
  ck_assert_int_lt(info.last_modified_nsec, 1000000000);
  ck_assert_int_eq(info.is_folder, 0);
  ck_assert_ptr_nonnull(info.etag);
  ck_assert_int_eq(info.etag[0], '"');
  ck_assert_str_eq(info.content_type, "application/x-test");
  ck_assert_str_eq(info.content_disposition, "attachment; filename=\"r.bin\"");
  ck_assert_uint_eq(info.metadata_count, 2);
  ck_assert_str_eq(info.metadata[0].name, "owner");
  ck_assert_str_eq(info.metadata[0].value, "alice");
  ck_assert_str_eq(info.metadata[1].name, "run");
  ck_assert_str_eq(info.metadata[1].value, "42");
  pail_object_info_clear(&info);
  env_close();
}
END_TEST

START_TEST(etag_follows_content) {
  env_open(_i);
  put_string("a", "same");
  put_string("b", "same");
  put_string("c", "other");
  pail_object_info a, b, c;
  EXPECT(PAIL_OK, pail_stat(t.ws, PTR("a"), &a, &err));
  EXPECT(PAIL_OK, pail_stat(t.ws, PTR("b"), &b, &err));
  EXPECT(PAIL_OK, pail_stat(t.ws, PTR("c"), &c, &err));
  ck_assert_str_eq(a.etag, b.etag);
  ck_assert_str_ne(a.etag, c.etag);
  pail_object_info_clear(&a);
  pail_object_info_clear(&b);
  pail_object_info_clear(&c);
  env_close();
}
END_TEST

START_TEST(stat_of_missing_key_is_not_found) {
  env_open(_i);
  put_string("here", "x");
  EXPECT_MESSAGE(PAIL_ERR_NOT_FOUND, "nowhere",
                 pail_stat(t.ws, PTR("nowhere"), &(pail_object_info){0}, &err));
  env_close();
}
END_TEST

/* ---------------------------------------------------------- listing */

static void put_tree(void) {
  put_string("a.txt", "1");
  put_string("dir/b.txt", "22");
  put_string("dir/sub/c.txt", "333");
  put_string("e", "4444");
}

START_TEST(list_one_level_folds_folders) {
  env_open(_i);
  put_tree();
  assert_listing("", 0, "a.txt|dir/|e");
  assert_listing("dir/", 0, "dir/b.txt|dir/sub/");
  assert_listing("dir/sub/", 0, "dir/sub/c.txt");
  assert_listing("nothing/", 0, "");
  env_close();
}
END_TEST

START_TEST(list_recursive_returns_every_key_in_order) {
  env_open(_i);
  put_tree();
  assert_listing("", 1, "a.txt|dir/b.txt|dir/sub/c.txt|e");
  assert_listing("dir/", 1, "dir/b.txt|dir/sub/c.txt");
  env_close();
}
END_TEST

START_TEST(list_prefix_matches_bytes_not_folders) {
  env_open(_i);
  put_tree();
  put_string("directory.txt", "5");
  assert_listing("di", 0, "dir/|directory.txt");
  assert_listing("di", 1, "dir/b.txt|dir/sub/c.txt|directory.txt");
  assert_listing("dir/s", 0, "dir/sub/");
  assert_listing("dir/b", 1, "dir/b.txt");
  env_close();
}
END_TEST

START_TEST(list_entries_carry_size_and_time) {
  env_open(_i);
  put_tree();
  pail_list_options options = PAIL_LIST_OPTIONS_INIT;
  pail_list_page page;
  EXPECT(PAIL_OK, pail_list(t.ws, PTR("dir/"), &options, &page, &err));
  ck_assert_uint_eq(page.count, 2);
  ck_assert_str_eq(page.entries[0].key, "dir/b.txt");
  ck_assert_uint_eq(page.entries[0].size, 2);
  ck_assert_int_gt(page.entries[0].last_modified, 0);
  ck_assert_int_eq(page.entries[0].is_folder, 0);
  ck_assert_str_eq(page.entries[1].key, "dir/sub/");
  ck_assert_int_eq(page.entries[1].is_folder, 1);
  ck_assert_ptr_null(page.next_page_token);
  pail_list_page_clear(&page);
  env_close();
}
END_TEST

/* '-' (0x2d) sorts before '/' (0x2f), and '0' (0x30) after it: S3 lists
 * "a-c", then the keys under "a/", then "a0". */
START_TEST(list_order_is_bytewise_around_the_delimiter) {
  env_open(_i);
  put_string("a0", "x");
  put_string("a/b", "x");
  put_string("a-c", "x");
  put_string("a.d", "x");
  put_string("a/a/z", "x");
  assert_listing("", 1, "a-c|a.d|a/a/z|a/b|a0");
  assert_listing("", 0, "a-c|a.d|a/|a0");
  assert_listing("a", 0, "a-c|a.d|a/|a0");
  env_close();
}
END_TEST

static void put_pagination_tree(void) {
  static const char *const keys[] = {
      "a-c",     "a/b", "a/c/d", "a/c/e", "a0",   "b",
      "c/d/e/f", "c/x", "z y",   "zz/1",  "zz/2", "zz/3",
  };
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    put_string(keys[i], keys[i]);
}

START_TEST(pagination_returns_every_key_once) {
  env_open(_i);
  put_pagination_tree();
  const char *recursive =
      "a-c|a/b|a/c/d|a/c/e|a0|b|c/d/e/f|c/x|z y|zz/1|zz/2|zz/3";
  const char *one_level = "a-c|a/|a0|b|c/|z y|zz/";
  for (size_t max_keys = 1; max_keys <= 3; max_keys++) {
    char *got = list_all("", 1, max_keys);
    ck_assert_str_eq(got, recursive);
    free(got);
    got = list_all("", 0, max_keys);
    ck_assert_str_eq(got, one_level);
    free(got);
    got = list_all("a/", 1, max_keys);
    ck_assert_str_eq(got, "a/b|a/c/d|a/c/e");
    free(got);
    got = list_all("a/", 0, max_keys);
    ck_assert_str_eq(got, "a/b|a/c/");
    free(got);
  }
  env_close();
}
END_TEST

START_TEST(page_token_must_be_one_the_backend_issued) {
  env_open(_i);
  put_tree();
  pail_list_options options = PAIL_LIST_OPTIONS_INIT;
  options.page_token = "not a token!";
  pail_list_page page;
  EXPECT(PAIL_ERR_INVALID_ARGUMENT,
         pail_list(t.ws, PTR(""), &options, &page, &err));
  env_close();
}
END_TEST

/* ----------------------------------------------------------- writes */

START_TEST(aborted_write_leaves_nothing) {
  env_open(_i);
  pail_writer *w = NULL;
  EXPECT(PAIL_OK, pail_writer_open(t.ws, PTR("x/y/z.bin"), NULL, &w, &err));
  EXPECT(PAIL_OK, pail_writer_write(w, "partial", 7, &err));
  pail_writer_abort(w);
  EXPECT(PAIL_ERR_NOT_FOUND,
         pail_stat(t.ws, PTR("x/y/z.bin"), &(pail_object_info){0}, &err));
  assert_listing("", 1, "");
  assert_listing("", 0, "");
  env_close();
}
END_TEST

START_TEST(object_is_invisible_until_commit) {
  env_open(_i);
  pail_writer *w = NULL;
  EXPECT(PAIL_OK, pail_writer_open(t.ws, PTR("new/obj"), NULL, &w, &err));
  EXPECT(PAIL_OK, pail_writer_write(w, "data", 4, &err));
  EXPECT(PAIL_ERR_NOT_FOUND,
         pail_stat(t.ws, PTR("new/obj"), &(pail_object_info){0}, &err));
  assert_listing("", 1, "");
  assert_listing("", 0, "");
  EXPECT(PAIL_OK, pail_writer_close(w, NULL, &err));
  assert_content("new/obj", "data");
  assert_listing("", 0, "new/");
  env_close();
}
END_TEST

START_TEST(overwrite_keeps_old_content_until_commit) {
  env_open(_i);
  put_string("k", "old content");
  pail_writer *w = NULL;
  EXPECT(PAIL_OK, pail_writer_open(t.ws, PTR("k"), NULL, &w, &err));
  EXPECT(PAIL_OK, pail_writer_write(w, "new", 3, &err));
  assert_content("k", "old content");
  EXPECT(PAIL_OK, pail_writer_close(w, NULL, &err));
  assert_content("k", "new");
  env_close();
}
END_TEST

START_TEST(open_reader_keeps_reading_what_it_opened) {
  env_open(_i);
  put_string("k", "first version");
  pail_reader *r = NULL;
  EXPECT(PAIL_OK, pail_reader_open(t.ws, PTR("k"), NULL, &r, &err));
  put_string("k", "second");
  char buffer[64] = {0};
  size_t got = 0;
  EXPECT(PAIL_OK, pail_reader_read(r, buffer, sizeof buffer - 1, &got, &err));
  pail_reader_close(r);
  ck_assert_str_eq(buffer, "first version");
  env_close();
}
END_TEST

/* pail_reader_file: fs hands the rest of a read as a range of the file it
 * opened (the version it opened, even once replaced); mem has no file, and
 * its reader stays usable after the refusal. */
START_TEST(reader_file_hands_the_opened_range_or_refuses) {
  env_open(_i);
  put_string("k", "0123456789 first version");
  pail_read_options options = PAIL_READ_OPTIONS_INIT;
  options.offset = 2;
  options.length = 12;
  pail_reader *r = NULL;
  EXPECT(PAIL_OK, pail_reader_open(t.ws, PTR("k"), &options, &r, &err));
  char buffer[64] = {0};
  size_t got = 0;
  EXPECT(PAIL_OK, pail_reader_read(r, buffer, 3, &got, &err));
  ck_assert_uint_eq(got, 3);
  put_string("k", "second");
  int fd = 42;
  uint64_t offset = 0, length = 0;
  pail_status status = pail_reader_file(r, &fd, &offset, &length, &err);
  if (_i == 1) { /* mem */
    ck_assert_int_eq(status, PAIL_ERR_UNSUPPORTED);
    ck_assert_int_eq(fd, -1);
    pail_error_free(err);
    err = NULL;
    EXPECT(PAIL_OK, pail_reader_read(r, buffer + 3, 20, &got, &err));
    ck_assert_str_eq(buffer, "23456789 fir");
  } else {
    EXPECT(PAIL_OK, status);
    ck_assert_int_ge(fd, 0);
    ck_assert_uint_eq(offset, 5);
    ck_assert_uint_eq(length, 9);
    ck_assert_int_eq(pread(fd, buffer + 3, 9, (off_t)offset), 9);
    close(fd);
    ck_assert_str_eq(buffer, "23456789 fir");
    /* The range counts as read: the reader is at its end. */
    EXPECT(PAIL_OK, pail_reader_read(r, buffer, sizeof buffer, &got, &err));
    ck_assert_uint_eq(got, 0);
  }
  pail_reader_close(r);
  env_close();
}
END_TEST

START_TEST(create_only_write_conflicts_with_existing_object) {
  env_open(_i);
  put_string("k", "original");
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  options.if_none_match = 1;
  EXPECT(PAIL_ERR_CONFLICT,
         pail_write(t.ws, PTR("k"), "other", 5, &options, &err));
  assert_content("k", "original");
  EXPECT(PAIL_OK, pail_write(t.ws, PTR("fresh"), "new", 3, &options, &err));
  assert_content("fresh", "new");
  env_close();
}
END_TEST

START_TEST(create_only_conflict_is_checked_at_commit) {
  env_open(_i);
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  options.if_none_match = 1;
  pail_writer *first = NULL, *second = NULL;
  EXPECT(PAIL_OK, pail_writer_open(t.ws, PTR("race"), &options, &first, &err));
  EXPECT(PAIL_OK, pail_writer_open(t.ws, PTR("race"), &options, &second, &err));
  EXPECT(PAIL_OK, pail_writer_write(first, "first", 5, &err));
  EXPECT(PAIL_OK, pail_writer_write(second, "second", 6, &err));
  EXPECT(PAIL_OK, pail_writer_close(first, NULL, &err));
  EXPECT(PAIL_ERR_CONFLICT, pail_writer_close(second, NULL, &err));
  assert_content("race", "first");
  assert_listing("", 1, "race");
  env_close();
}
END_TEST

typedef struct racer {
  int index;
  pail_status status;
} racer;

static void *create_only_racer(void *arg) {
  racer *r = arg;
  char content[32];
  snprintf(content, sizeof content, "writer %d", r->index);
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  options.if_none_match = 1;
  r->status = pail_write(t.ws, PTR("contended/key"), content, strlen(content),
                         &options, NULL);
  return NULL;
}

START_TEST(concurrent_create_only_writes_have_one_winner) {
  env_open(_i);
  enum { RACERS = 8 };
  pthread_t threads[RACERS];
  racer racers[RACERS];
  for (int i = 0; i < RACERS; i++) {
    racers[i].index = i;
    ck_assert_int_eq(
        pthread_create(&threads[i], NULL, create_only_racer, &racers[i]), 0);
  }
  int winner = -1, winners = 0;
  for (int i = 0; i < RACERS; i++) {
    pthread_join(threads[i], NULL);
    if (racers[i].status == PAIL_OK) {
      winner = i;
      winners++;
    } else {
      ck_assert_int_eq(racers[i].status, PAIL_ERR_CONFLICT);
    }
  }
  ck_assert_int_eq(winners, 1);
  char want[32];
  snprintf(want, sizeof want, "writer %d", winner);
  assert_content("contended/key", want);
  env_close();
}
END_TEST

static void *write_delete_loop(void *arg) {
  racer *r = arg;
  char key[32];
  snprintf(key, sizeof key, "shared/dir/k%d", r->index);
  r->status = PAIL_OK;
  for (int i = 0; i < 200 && r->status == PAIL_OK; i++) {
    r->status = pail_write(t.ws, PTR(key), "v", 1, NULL, NULL);
    if (r->status == PAIL_OK)
      r->status = pail_delete(t.ws, PTR(key), NULL);
  }
  return NULL;
}

/* fs removes a folder when its last object goes: a write into that folder
 * at the same moment must still succeed. */
START_TEST(writes_survive_concurrent_deletes_in_the_same_folder) {
  env_open(_i);
  enum { WORKERS = 4 };
  pthread_t threads[WORKERS];
  racer workers[WORKERS];
  for (int i = 0; i < WORKERS; i++) {
    workers[i].index = i;
    ck_assert_int_eq(
        pthread_create(&threads[i], NULL, write_delete_loop, &workers[i]), 0);
  }
  for (int i = 0; i < WORKERS; i++) {
    pthread_join(threads[i], NULL);
    ck_assert_msg(workers[i].status == PAIL_OK, "worker %d: %s", i,
                  pail_status_name(workers[i].status));
  }
  assert_listing("", 1, "");
  env_close();
}
END_TEST

/* -------------------------------------------------- conditional read */

START_TEST(read_if_match_conflicts_on_another_etag) {
  env_open(_i);
  put_string("k", "content");
  pail_object_info info;
  EXPECT(PAIL_OK, pail_stat(t.ws, PTR("k"), &info, &err));
  pail_read_options options = PAIL_READ_OPTIONS_INIT;
  options.if_match = "\"0123456789abcdef0123456789abcdef\"";
  void *data = NULL;
  size_t length = 0;
  EXPECT(PAIL_ERR_CONFLICT,
         pail_read(t.ws, PTR("k"), &options, &data, &length, &err));
  options.if_match = info.etag;
  EXPECT(PAIL_OK, pail_read(t.ws, PTR("k"), &options, &data, &length, &err));
  ck_assert_str_eq(data, "content");
  free(data);
  pail_object_info_clear(&info);
  env_close();
}
END_TEST

/* ---------------------------------------------------- delete, copy */

START_TEST(delete_removes_and_then_reports_not_found) {
  env_open(_i);
  put_string("d/e/f", "x");
  put_string("d/keep", "y");
  EXPECT(PAIL_OK, pail_delete(t.ws, PTR("d/e/f"), &err));
  EXPECT(PAIL_ERR_NOT_FOUND,
         pail_stat(t.ws, PTR("d/e/f"), &(pail_object_info){0}, &err));
  EXPECT(PAIL_ERR_NOT_FOUND, pail_delete(t.ws, PTR("d/e/f"), &err));
  assert_listing("", 1, "d/keep");
  assert_listing("d/", 0, "d/keep");
  env_close();
}
END_TEST

START_TEST(delete_many_reports_each_key) {
  env_open(_i);
  put_string("m/a", "1");
  put_string("m/b", "2");
  put_string("other/c", "3");
  const pail_pointer *pointers[] = {PTR("m/a"), PTR("m/missing"), PTR("m/b"),
                                    PTR("m//bad")};
  pail_status results[4];
  pail_error *errors[4];
  EXPECT(PAIL_ERR_NOT_FOUND,
         pail_delete_many(t.ws, pointers, 4, results, errors, &err));
  ck_assert_int_eq(results[0], PAIL_OK);
  ck_assert_int_eq(results[1], PAIL_ERR_NOT_FOUND);
  ck_assert_int_eq(results[2], PAIL_OK);
  ck_assert_int_eq(results[3], PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(errors[0]);
  ck_assert_contains(pail_error_message(errors[1]), "m/missing");
  for (size_t i = 0; i < 4; i++)
    pail_error_free(errors[i]);
  assert_listing("", 1, "other/c");
  /* Nothing to delete is not an error. */
  EXPECT(PAIL_OK, pail_delete_many(t.ws, NULL, 0, NULL, NULL, &err));
  env_close();
}
END_TEST

START_TEST(copy_duplicates_bytes_and_attributes) {
  env_open(_i);
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  options.content_type = "text/x-source";
  EXPECT(PAIL_OK,
         pail_write(t.ws, PTR("src/file"), "payload", 7, &options, &err));
  EXPECT(PAIL_OK,
         pail_copy(t.ws, PTR("src/file"), PTR("dst/deep/copy"), NULL, &err));
  assert_content("dst/deep/copy", "payload");
  assert_content("src/file", "payload");
  pail_object_info src, dst;
  EXPECT(PAIL_OK, pail_stat(t.ws, PTR("src/file"), &src, &err));
  EXPECT(PAIL_OK, pail_stat(t.ws, PTR("dst/deep/copy"), &dst, &err));
  ck_assert_str_eq(dst.content_type, "text/x-source");
  ck_assert_str_eq(dst.etag, src.etag);
  ck_assert_uint_eq(dst.size, 7);
  pail_object_info_clear(&src);
  pail_object_info_clear(&dst);
  env_close();
}
END_TEST

/* Across storages the core streams the copy: what a server-side copy keeps
 * (content type, disposition, user metadata) must survive it too. */
START_TEST(streamed_copy_to_another_storage_keeps_attributes_and_metadata) {
  env_open(_i);
  char *primary = json_settings(t.type, t.root, 1);
  json_t *doc = json_loads(primary, 0, NULL);
  free(primary);
  ck_assert_ptr_nonnull(doc);
  json_object_set_new(doc, "secondary_storage",
                      json_pack("{s:{s:s}}", "other", "type", "mem"));
  char *settings = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  pail_workspace *two = NULL;
  EXPECT(PAIL_OK, pail_workspace_open_json(settings, NULL, &two, &err));
  free(settings);
  pail_metadata_entry meta[] = {{(char *)"owner", (char *)"alice"},
                                {(char *)"run", (char *)"42"}};
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  options.content_type = "text/x-source";
  options.content_disposition = "attachment; filename=\"a.txt\"";
  options.metadata = meta;
  options.metadata_count = 2;
  pail_pointer dst = {.storage = (char *)"other", .key = (char *)"dst/copy"};
  EXPECT(PAIL_OK, pail_write(two, PTR("src"), "payload", 7, &options, &err));
  EXPECT(PAIL_OK, pail_copy(two, PTR("src"), &dst, NULL, &err));
  pail_object_info info;
  EXPECT(PAIL_OK, pail_stat(two, &dst, &info, &err));
  ck_assert_uint_eq(info.size, 7);
  ck_assert_str_eq(info.content_type, "text/x-source");
  ck_assert_str_eq(info.content_disposition, "attachment; filename=\"a.txt\"");
  ck_assert_uint_eq(info.metadata_count, 2);
  for (size_t i = 0; i < 2; i++) {
    bool found = false;
    for (size_t j = 0; j < info.metadata_count; j++)
      found |= strcmp(info.metadata[j].name, meta[i].name) == 0 &&
               strcmp(info.metadata[j].value, meta[i].value) == 0;
    ck_assert_msg(found, "metadata %s lost in the copy", meta[i].name);
  }
  pail_object_info_clear(&info);
  /* Metadata the caller gives replaces the source's. */
  pail_metadata_entry mine = {(char *)"owner", (char *)"bob"};
  pail_write_options replace = PAIL_WRITE_OPTIONS_INIT;
  replace.metadata = &mine;
  replace.metadata_count = 1;
  EXPECT(PAIL_OK, pail_copy(two, PTR("src"), &dst, &replace, &err));
  EXPECT(PAIL_OK, pail_stat(two, &dst, &info, &err));
  ck_assert_uint_eq(info.metadata_count, 1);
  ck_assert_str_eq(info.metadata[0].value, "bob");
  pail_object_info_clear(&info);
  pail_workspace_close(two);
  env_close();
}
END_TEST

/* A server-side copy with a new content type keeps the disposition and
 * metadata it was not given, as s3, azure_blob and gcs copy. */
START_TEST(copy_replaces_only_the_attributes_it_is_given) {
  env_open(_i);
  pail_metadata_entry meta = {(char *)"owner", (char *)"alice"};
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  options.content_type = "text/x-source";
  options.content_disposition = "attachment";
  options.metadata = &meta;
  options.metadata_count = 1;
  EXPECT(PAIL_OK, pail_write(t.ws, PTR("src"), "payload", 7, &options, &err));
  pail_write_options retype = PAIL_WRITE_OPTIONS_INIT;
  retype.content_type = "application/json";
  EXPECT(PAIL_OK, pail_copy(t.ws, PTR("src"), PTR("dst"), &retype, &err));
  pail_object_info info;
  EXPECT(PAIL_OK, pail_stat(t.ws, PTR("dst"), &info, &err));
  ck_assert_str_eq(info.content_type, "application/json");
  ck_assert_pstr_eq(info.content_disposition, "attachment");
  ck_assert_uint_eq(info.metadata_count, 1);
  ck_assert_str_eq(info.metadata[0].value, "alice");
  pail_object_info_clear(&info);
  env_close();
}
END_TEST

START_TEST(copy_of_missing_source_is_not_found) {
  env_open(_i);
  EXPECT(PAIL_ERR_NOT_FOUND,
         pail_copy(t.ws, PTR("missing"), PTR("dst"), NULL, &err));
  assert_listing("", 1, "");
  env_close();
}
END_TEST

START_TEST(create_only_copy_conflicts_with_existing_object) {
  env_open(_i);
  put_string("src", "new");
  put_string("dst", "old");
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  options.if_none_match = 1;
  EXPECT(PAIL_ERR_CONFLICT,
         pail_copy(t.ws, PTR("src"), PTR("dst"), &options, &err));
  assert_content("dst", "old");
  env_close();
}
END_TEST

/* ------------------------------------------------------------ keys */

START_TEST(keys_with_special_characters_round_trip) {
  env_open(_i);
  static const char *const keys[] = {
      "with space/and+plus",
      "percent%20sign",
      "hash#question?",
      "tilde~equals=amp&",
      "caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e.txt",
      "emoji \xf0\x9f\x98\x80",
  };
  size_t count = sizeof keys / sizeof keys[0];
  for (size_t i = 0; i < count; i++)
    put_string(keys[i], keys[i]);
  for (size_t i = 0; i < count; i++)
    assert_content(keys[i], keys[i]);
  /* In byte order, as S3 lists them. */
  assert_listing("", 1,
                 "caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e.txt|"
                 "emoji \xf0\x9f\x98\x80|hash#question?|percent%20sign|"
                 "tilde~equals=amp&|with space/and+plus");
  env_close();
}
END_TEST

/* ------------------------------------------------------- fs only */

static char *root_file(const char *relative) {
  char *path = NULL;
  ck_assert_int_ge(asprintf(&path, "%s/%s", t.root, relative), 0);
  return path;
}

/* Every name under dir, recursively, hidden ones included. */
static void collect_names(const char *dir, const char *relative, char ***names,
                          size_t *count) {
  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    char *name = NULL, *path = NULL;
    ck_assert_int_ge(
        asprintf(&name, "%s%s%s", relative, *relative ? "/" : "", e->d_name),
        0);
    ck_assert_int_ge(asprintf(&path, "%s/%s", dir, e->d_name), 0);
    *names = realloc(*names, (*count + 1) * sizeof **names);
    ck_assert_ptr_nonnull(*names);
    (*names)[(*count)++] = name;
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
      collect_names(path, name, names, count);
    free(path);
  }
  closedir(d);
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What is on disk under the root, sorted, as "a|a/b|...". */
static char *root_contents(void) {
  char **names = NULL;
  size_t count = 0;
  collect_names(t.root, "", &names, &count);
  if (count > 1)
    qsort(names, count, sizeof *names, compare_names);
  char *joined = strdup("");
  for (size_t i = 0; i < count; i++) {
    char *next = NULL;
    ck_assert_int_ge(asprintf(&next, "%s%s%s", joined, i ? "|" : "", names[i]),
                     0);
    free(joined);
    free(names[i]);
    joined = next;
  }
  free(names);
  return joined;
}

START_TEST(fs_objects_are_plain_files_under_the_root) {
  env_open(BACKEND_FS);
  put_string("dir/file.txt", "plain");
  char *path = root_file("dir/file.txt");
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  char buffer[16] = {0};
  ck_assert_uint_eq(fread(buffer, 1, sizeof buffer - 1, f), 5);
  fclose(f);
  ck_assert_str_eq(buffer, "plain");
  free(path);
  char *names = root_contents();
  ck_assert_str_eq(names, "dir|dir/file.txt");
  free(names);
  env_close();
}
END_TEST

START_TEST(fs_aborted_write_leaves_no_file_or_folder) {
  env_open(BACKEND_FS);
  pail_writer *w = NULL;
  EXPECT(PAIL_OK, pail_writer_open(t.ws, PTR("x/y/z.bin"), NULL, &w, &err));
  EXPECT(PAIL_OK, pail_writer_write(w, "partial", 7, &err));
  char *during = root_contents();
  ck_assert_contains(during, "x/y/.pail-tmp.");
  free(during);
  pail_writer_abort(w);
  char *names = root_contents();
  ck_assert_str_eq(names, "");
  free(names);
  env_close();
}
END_TEST

START_TEST(fs_failed_commit_leaves_no_temporary_file) {
  env_open(BACKEND_FS);
  put_string("taken", "x");
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  options.if_none_match = 1;
  pail_writer *first = NULL, *second = NULL;
  EXPECT(PAIL_OK,
         pail_writer_open(t.ws, PTR("a/b/race"), &options, &first, &err));
  EXPECT(PAIL_OK,
         pail_writer_open(t.ws, PTR("a/b/race"), &options, &second, &err));
  EXPECT(PAIL_OK, pail_writer_close(first, NULL, &err));
  EXPECT(PAIL_ERR_CONFLICT, pail_writer_close(second, NULL, &err));
  char *names = root_contents();
  ck_assert_str_eq(names, "a|a/b|a/b/race|taken");
  free(names);
  env_close();
}
END_TEST

/* A source file that shrinks while fs copies it, at a moment the test
 * chooses: a seccomp filter stops the backend's first copy_file_range call
 * and hands it to a thread of the test, which truncates the source, then
 * lets the call run, or fails it with ENOSYS so that fs falls back to
 * reading. All of it runs in a child process, which the filter never
 * leaves. */
enum {
  SHRINK_STORED = 10,      /* the copy was committed */
  SHRINK_REFUSED = 11,     /* PAIL_ERR_IO: the source changed */
  SHRINK_OTHER_ERROR = 12, /* anything else went wrong */
  SHRINK_UNSUPPORTED = 13, /* no seccomp user notification here */
  SHRINK_NOT_TRAPPED = 14  /* fs never called copy_file_range */
};

typedef struct shrinker {
  int listener;
  const char *path;
  off_t new_size;
  bool fail_call;
  atomic_int calls;
} shrinker;

static void *shrinker_run(void *arg) {
  shrinker *s = arg;
  for (;;) {
    struct seccomp_notif request;
    memset(&request, 0, sizeof request);
    if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_RECV, &request) != 0) {
      if (errno == EINTR || errno == ENOENT)
        continue;
      return NULL;
    }
    if (atomic_fetch_add(&s->calls, 1) == 0 &&
        truncate(s->path, s->new_size) != 0)
      _exit(2); /* no report: the parent sees the child die */
    struct seccomp_notif_resp response;
    memset(&response, 0, sizeof response);
    response.id = request.id;
    if (s->fail_call)
      response.error = -ENOSYS;
    else
      response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SEND, &response);
  }
}

#if defined(__x86_64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif
#if defined(TEST_AUDIT_ARCH) && defined(__NR_copy_file_range) &&               \
    defined(SECCOMP_USER_NOTIF_FLAG_CONTINUE)
#define TEST_CAN_TRAP 1
#endif

/* Whether this kernel (valgrind knows no seccomp) lets a filter hand
 * calls to a listener, asked without installing anything. */
static bool user_notification_available(void) {
#ifdef TEST_CAN_TRAP
  uint32_t action = SECCOMP_RET_USER_NOTIF;
  return syscall(__NR_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
#else
  return false;
#endif
}

/* Routes this thread's copy_file_range calls to the returned listener fd;
 * -1 when the kernel or architecture does not allow it. */
static int trap_copy_file_range(void) {
#ifdef TEST_CAN_TRAP
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TEST_AUDIT_ARCH, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_copy_file_range, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = {sizeof filter / sizeof filter[0], filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return -1;
  return (int)syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
                      SECCOMP_FILTER_FLAG_NEW_LISTENER, &program);
#else
  return -1;
#endif
}

/* The child's answer goes through a pipe: its exit status is not ours to
 * read under valgrind, which sets it on leaks. */
static void report_and_exit(int pipe_fd, char code) {
  if (write(pipe_fd, &code, 1) != 1)
    _exit(2);
  _exit(0);
}

/* Copies "src" to "dst" in a child process, the source cut to new_size at
 * the first copy_file_range call; returns the child's SHRINK_* code. */
static int copy_while_shrinking(const char *source_path, off_t new_size,
                                bool fail_call) {
  if (!user_notification_available())
    return SHRINK_UNSUPPORTED;
  int pipe_fds[2];
  ck_assert_int_eq(pipe(pipe_fds), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    /* No ck_assert here: the test's process reports, not this one. */
    close(pipe_fds[0]);
    shrinker s = {
        .path = source_path, .new_size = new_size, .fail_call = fail_call};
    s.listener = trap_copy_file_range();
    if (s.listener < 0)
      report_and_exit(pipe_fds[1], SHRINK_UNSUPPORTED);
    pthread_t thread;
    if (pthread_create(&thread, NULL, shrinker_run, &s) != 0)
      report_and_exit(pipe_fds[1], SHRINK_OTHER_ERROR);
    pail_error *copy_error = NULL;
    pail_status status =
        pail_copy(t.ws, PTR("src"), PTR("dst"), NULL, &copy_error);
    int code =
        status == PAIL_OK ? SHRINK_STORED
        : status == PAIL_ERR_IO && strstr(pail_error_message(copy_error),
                                          "changed while it was copied") != NULL
            ? SHRINK_REFUSED
            : SHRINK_OTHER_ERROR;
    if (atomic_load(&s.calls) == 0)
      code = SHRINK_NOT_TRAPPED;
    report_and_exit(pipe_fds[1], (char)code);
  }
  close(pipe_fds[1]);
  char code = 0;
  ssize_t got = read(pipe_fds[0], &code, 1);
  close(pipe_fds[0]);
  int wait_status = 0;
  ck_assert_int_eq(waitpid(pid, &wait_status, 0), pid);
  ck_assert_msg(got == 1, "the copying child died (status %d)", wait_status);
  return code;
}

START_TEST(fs_copy_of_a_source_that_shrinks_fails_and_stores_nothing) {
  env_open(BACKEND_FS);
  static const struct {
    off_t new_size;
    bool fail_call; /* fs falls back to reading */
  } cases[] = {{0, false}, {1000, false}, {0, true}, {1000, true}};
  enum { SIZE = 200000 };
  char *data = malloc(SIZE);
  ck_assert_ptr_nonnull(data);
  for (size_t i = 0; i < SIZE; i++)
    data[i] = (char)('a' + i % 26);
  char *source = root_file("src");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    put("src", data, SIZE);
    int code =
        copy_while_shrinking(source, cases[i].new_size, cases[i].fail_call);
    if (code == SHRINK_UNSUPPORTED) {
      fprintf(stderr, "%s: skipped, no seccomp user notification here\n",
              __func__);
      break;
    }
    ck_assert_msg(code == SHRINK_REFUSED,
                  "case %zu (cut to %lld bytes, %s): the child reported %d, "
                  "wanted %d (refused as changed)",
                  i, (long long)cases[i].new_size,
                  cases[i].fail_call ? "read fallback" : "copy_file_range",
                  code, SHRINK_REFUSED);
    /* No destination, and no temporary file left behind. */
    char *names = root_contents();
    ck_assert_str_eq(names, "src");
    free(names);
  }
  free(source);
  free(data);
  env_close();
}
END_TEST

START_TEST(fs_delete_removes_emptied_folders) {
  env_open(BACKEND_FS);
  put_string("d/e/f", "x");
  put_string("d/g", "y");
  EXPECT(PAIL_OK, pail_delete(t.ws, PTR("d/e/f"), &err));
  char *names = root_contents();
  ck_assert_str_eq(names, "d|d/g");
  free(names);
  EXPECT(PAIL_OK, pail_delete(t.ws, PTR("d/g"), &err));
  names = root_contents();
  ck_assert_str_eq(names, "");
  free(names);
  struct stat st;
  ck_assert_int_eq(stat(t.root, &st), 0); /* the root itself stays */
  env_close();
}
END_TEST

START_TEST(fs_reserved_names_are_refused_and_hidden) {
  env_open(BACKEND_FS);
  EXPECT_MESSAGE(PAIL_ERR_INVALID_ARGUMENT, ".pail-",
                 pail_write(t.ws, PTR(".pail-tmp.x"), "x", 1, NULL, &err));
  EXPECT_MESSAGE(PAIL_ERR_INVALID_ARGUMENT, "reserved",
                 pail_write(t.ws, PTR("a/.pail-own/b"), "x", 1, NULL, &err));
  EXPECT(PAIL_ERR_INVALID_ARGUMENT,
         pail_stat(t.ws, PTR(".pail-x"), &(pail_object_info){0}, &err));
  put_string("visible", "v");
  char *leftover = root_file(".pail-tmp.leftover");
  test_write_file(leftover, "junk");
  free(leftover);
  assert_listing("", 1, "visible");
  assert_listing("", 0, "visible");
  assert_listing(".pail-", 1, "");
  /* Names that merely look alike are ordinary keys. */
  put_string(".pailx", "ok");
  assert_content(".pailx", "ok");
  env_close();
}
END_TEST

START_TEST(fs_symlinks_under_the_root_are_never_followed) {
  env_open(BACKEND_FS);
  char *outside = scratch_dir("outside");
  char *secret = NULL;
  ck_assert_int_ge(asprintf(&secret, "%s/secret", outside), 0);
  test_write_file(secret, "top secret");
  char *link_dir = root_file("link");
  char *link_file = root_file("leak");
  ck_assert_int_eq(symlink(outside, link_dir), 0);
  ck_assert_int_eq(symlink(secret, link_file), 0);

  EXPECT_MESSAGE(
      PAIL_ERR_ACCESS_DENIED, "symbolic link",
      pail_stat(t.ws, PTR("link/secret"), &(pail_object_info){0}, &err));
  EXPECT(PAIL_ERR_ACCESS_DENIED,
         pail_stat(t.ws, PTR("leak"), &(pail_object_info){0}, &err));
  void *data = NULL;
  size_t length = 0;
  EXPECT(PAIL_ERR_ACCESS_DENIED,
         pail_read(t.ws, PTR("leak"), NULL, &data, &length, &err));
  EXPECT(PAIL_ERR_ACCESS_DENIED,
         pail_write(t.ws, PTR("link/planted"), "x", 1, NULL, &err));
  EXPECT(PAIL_ERR_ACCESS_DENIED, pail_delete(t.ws, PTR("link/secret"), &err));
  EXPECT(PAIL_ERR_ACCESS_DENIED,
         pail_copy(t.ws, PTR("leak"), PTR("stolen"), NULL, &err));
  assert_listing("", 1, "");
  assert_listing("", 0, "");
  assert_listing("link/", 1, "");

  /* Nothing outside was read, written or removed. */
  char *planted = NULL;
  ck_assert_int_ge(asprintf(&planted, "%s/planted", outside), 0);
  ck_assert_int_ne(access(planted, F_OK), 0);
  ck_assert_int_eq(access(secret, F_OK), 0);
  free(planted);
  free(link_dir);
  free(link_file);
  free(secret);
  free(outside);
  env_close();
}
END_TEST

START_TEST(fs_object_and_folder_cannot_share_a_name) {
  env_open(BACKEND_FS);
  put_string("f", "file");
  put_string("dir/x", "x");
  EXPECT_MESSAGE(PAIL_ERR_CONFLICT, "\"f\" is an object",
                 pail_write(t.ws, PTR("f/x"), "x", 1, NULL, &err));
  EXPECT(PAIL_ERR_NOT_FOUND,
         pail_stat(t.ws, PTR("f/x"), &(pail_object_info){0}, &err));
  EXPECT_MESSAGE(PAIL_ERR_NOT_FOUND, "folder",
                 pail_stat(t.ws, PTR("dir"), &(pail_object_info){0}, &err));
  EXPECT_MESSAGE(PAIL_ERR_CONFLICT, "folder",
                 pail_write(t.ws, PTR("dir"), "x", 1, NULL, &err));
  EXPECT(PAIL_ERR_NOT_FOUND, pail_delete(t.ws, PTR("dir"), &err));
  char *names = root_contents();
  ck_assert_str_eq(names, "dir|dir/x|f");
  free(names);
  env_close();
}
END_TEST

static void md5_etag(const void *data, size_t length, char out[35]) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  ck_assert_int_eq(EVP_Digest(data, length, digest, &n, EVP_md5(), NULL), 1);
  out[0] = '"';
  for (unsigned i = 0; i < 16; i++)
    snprintf(out + 1 + 2 * i, 3, "%02x", digest[i]);
  out[33] = '"';
  out[34] = '\0';
}

START_TEST(fs_etag_is_quoted_md5_and_follows_outside_changes) {
  env_open(BACKEND_FS);
  put_string("doc.txt", "hello");
  char want[35];
  md5_etag("hello", 5, want);
  pail_object_info info;
  EXPECT(PAIL_OK, pail_stat(t.ws, PTR("doc.txt"), &info, &err));
  ck_assert_str_eq(info.etag, "\"5d41402abc4b2a76b9719d911017c592\"");
  ck_assert_str_eq(info.etag, want);
  pail_object_info_clear(&info);

  /* Rewritten behind pail's back: the cached etag no longer applies. */
  char *path = root_file("doc.txt");
  struct timespec pause = {0, 20 * 1000 * 1000};
  nanosleep(&pause, NULL);
  test_write_file(path, "changed!");
  free(path);
  md5_etag("changed!", 8, want);
  EXPECT(PAIL_OK, pail_stat(t.ws, PTR("doc.txt"), &info, &err));
  ck_assert_str_eq(info.etag, want);
  ck_assert_uint_eq(info.size, 8);
  pail_object_info_clear(&info);
  env_close();
}
END_TEST

/* A listing hashes nothing, but carries the etag a write cached (the S3
 * gateway's ListObjects, which s3cmd reads md5s from), and none once the
 * file changed behind pail's back. */
START_TEST(fs_listing_carries_the_cached_etag_only) {
  env_open(BACKEND_FS);
  put_string("l/doc.txt", "hello");
  pail_list_options options = PAIL_LIST_OPTIONS_INIT;
  pail_list_page page = {0};
  EXPECT(PAIL_OK, pail_list(t.ws, PTR("l/"), &options, &page, &err));
  ck_assert_uint_eq(page.count, 1);
  ck_assert_ptr_nonnull(page.entries[0].etag);
  ck_assert_str_eq(page.entries[0].etag,
                   "\"5d41402abc4b2a76b9719d911017c592\"");
  pail_list_page_clear(&page);

  char *path = root_file("l/doc.txt");
  struct timespec pause = {0, 20 * 1000 * 1000};
  nanosleep(&pause, NULL);
  test_write_file(path, "changed!");
  free(path);
  EXPECT(PAIL_OK, pail_list(t.ws, PTR("l/"), &options, &page, &err));
  ck_assert_uint_eq(page.count, 1);
  ck_assert_ptr_null(page.entries[0].etag);
  pail_list_page_clear(&page);
  env_close();
}
END_TEST

START_TEST(fs_content_type_is_guessed_from_the_extension) {
  env_open(BACKEND_FS);
  static const struct {
    const char *key, *type;
  } cases[] = {
      {"t/a.json", "application/json"},
      {"t/b.CSV", "text/csv"},
      {"t/c.parquet", "application/vnd.apache.parquet"},
      {"t/d.txt", "text/plain"},
      {"t/e.html", "text/html"},
      {"t/f.png", "image/png"},
      {"t/g.jpg", "image/jpeg"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    put_string(cases[i].key, "x");
    pail_object_info info;
    EXPECT(PAIL_OK, pail_stat(t.ws, PTR(cases[i].key), &info, &err));
    ck_assert_str_eq(info.content_type, cases[i].type);
    pail_object_info_clear(&info);
  }
  put_string("t/unknown.zzz", "x");
  put_string("t/noextension", "x");
  pail_object_info info;
  EXPECT(PAIL_OK, pail_stat(t.ws, PTR("t/unknown.zzz"), &info, &err));
  ck_assert_ptr_null(info.content_type);
  pail_object_info_clear(&info);
  EXPECT(PAIL_OK, pail_stat(t.ws, PTR("t/noextension"), &info, &err));
  ck_assert_ptr_null(info.content_type);
  pail_object_info_clear(&info);
  env_close();
}
END_TEST

START_TEST(fs_missing_root_asks_for_pail_mb) {
  char *dir = scratch_dir("noroot");
  char *root = NULL;
  ck_assert_int_ge(asprintf(&root, "%s/not/yet", dir), 0);
  memset(&t, 0, sizeof t);
  t.type = "fs";
  t.ws = workspace_open("fs", root, 0);
  /* Opening does not look at the root; reaching the storage does. */
  EXPECT(PAIL_OK, pail_workspace_check_storage(t.ws, NULL, &err));
  EXPECT_MESSAGE(PAIL_ERR_NOT_FOUND, "pail mb",
                 pail_workspace_probe_storage(t.ws, NULL, &err));
  EXPECT_MESSAGE(PAIL_ERR_NOT_FOUND, "pail mb",
                 pail_write(t.ws, PTR("k"), "x", 1, NULL, &err));
  EXPECT_MESSAGE(PAIL_ERR_NOT_FOUND, "pail mb",
                 pail_list(t.ws, PTR(""), NULL, &(pail_list_page){0}, &err));
  EXPECT(PAIL_OK, pail_create_container(t.ws, NULL, &err));
  EXPECT(PAIL_OK, pail_create_container(t.ws, NULL, &err)); /* idempotent */
  EXPECT(PAIL_OK, pail_workspace_probe_storage(t.ws, NULL, &err));
  put_string("k", "now");
  assert_content("k", "now");
  pail_workspace_close(t.ws);
  free(root);
  free(dir);
}
END_TEST

START_TEST(fs_root_that_is_a_file_is_refused) {
  char *dir = scratch_dir("fileroot");
  char *root = NULL;
  ck_assert_int_ge(asprintf(&root, "%s/file", dir), 0);
  test_write_file(root, "not a directory");
  memset(&t, 0, sizeof t);
  t.type = "fs";
  t.ws = workspace_open("fs", root, 0);
  EXPECT_MESSAGE(PAIL_ERR_INVALID_ARGUMENT, "not a directory",
                 pail_stat(t.ws, PTR("k"), &(pail_object_info){0}, &err));
  pail_workspace_close(t.ws);
  free(root);
  free(dir);
}
END_TEST

/* The access rules decide on the listing prefix before the backend is
 * called; a prefix they allow also matches keys they do not, and those are
 * never listed. */
START_TEST(listing_shows_only_keys_the_rules_let_the_user_list) {
  env_open(BACKEND_FS);
  put_string("pub/a", "a");
  put_string("pub/b", "b");
  put_string("pub/private/secret", "s");
  put_string("pub/private/z", "s");
  put_string("pub/z", "z");
  json_t *doc = json_pack("{s:{s:s, s:s}, s:[{s:s, s:s}]}", "storage", "type",
                          "fs", "root_path", t.root, "advanced_permissions",
                          "pattern", "pub/*", "allow", "read,list");
  char *settings = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  pail_workspace *owner = t.ws;
  EXPECT(PAIL_OK, pail_workspace_open_json(settings, NULL, &t.ws, &err));
  free(settings);
  assert_listing("pub/", 1, "pub/a|pub/b|pub/z");
  assert_listing("pub/", 0, "pub/a|pub/b|pub/z");
  assert_listing("pub/p", 1, "");
  /* A page the rules emptied does not end the listing early. */
  pail_list_options options = PAIL_LIST_OPTIONS_INIT;
  options.recursive = 1;
  options.max_keys = 1;
  char seen[64] = "", *token = NULL;
  for (int pages = 0; pages < 10; pages++) {
    options.page_token = token;
    pail_list_page page;
    EXPECT(PAIL_OK, pail_list(t.ws, PTR("pub/"), &options, &page, &err));
    for (size_t i = 0; i < page.count; i++)
      strcat(strcat(seen, page.entries[i].key), "|");
    free(token);
    token = page.next_page_token ? strdup(page.next_page_token) : NULL;
    pail_list_page_clear(&page);
    if (token == NULL)
      break;
  }
  ck_assert_ptr_null(token);
  ck_assert_str_eq(seen, "pub/a|pub/b|pub/z|");
  pail_workspace_close(t.ws);
  t.ws = owner;
  env_close();
}
END_TEST

/* ------------------------------------------------------- mem only */

START_TEST(mem_storages_with_one_name_share_objects) {
  const char *settings =
      "{\"storage\": {\"type\": \"mem\", \"name\": \"shared-test\"}}";
  pail_workspace *a = NULL, *b = NULL;
  t.type = "mem";
  EXPECT(PAIL_OK, pail_workspace_open_json(settings, NULL, &a, &err));
  EXPECT(PAIL_OK, pail_workspace_open_json(settings, NULL, &b, &err));
  EXPECT(PAIL_OK, pail_write(a, PTR("k"), "shared", 6, NULL, &err));
  void *data = NULL;
  size_t length = 0;
  EXPECT(PAIL_OK, pail_read(b, PTR("k"), NULL, &data, &length, &err));
  ck_assert_str_eq(data, "shared");
  free(data);
  pail_workspace_close(a);
  pail_workspace_close(b);
}
END_TEST

/* --------------------------------------------- one workspace, many threads */

/* pail.h promises that a workspace may be used from many threads at once,
 * storages opening lazily under its lock. Several threads open both storages
 * of one fresh workspace at the same moment, then stat, read, write and list
 * side by side, and race whole writes to one key: every read of that key
 * must see one complete version. Run under TSan to check the locking. */
enum { SHARED_THREADS = 6, SHARED_ROUNDS = 25, SHARED_SIZE = 4096 };

typedef struct shared_worker {
  pail_workspace *ws;
  int index;
  char failure[256]; /* empty when all went well */
} shared_worker;

static atomic_int shared_log_lines;

static void shared_log(void *user_data, pail_log_level level,
                       const char *message) {
  (void)user_data;
  (void)level;
  (void)message;
  atomic_fetch_add(&shared_log_lines, 1);
}

/* A version of the contended object: SHARED_SIZE copies of one letter. */
static void shared_version(char *buffer, int writer) {
  memset(buffer, 'a' + writer, SHARED_SIZE);
}

static bool shared_fail(shared_worker *w, const char *what, pail_error *e) {
  snprintf(w->failure, sizeof w->failure, "thread %d: %s: %s", w->index, what,
           e ? pail_error_message(e) : "wrong content");
  pail_error_free(e);
  return false;
}

static bool shared_round(shared_worker *w, int round) {
  const char *storages[] = {NULL, "m"};
  char key[64], version[SHARED_SIZE];
  pail_error *e = NULL;
  for (size_t s = 0; s < 2; s++) {
    pail_pointer own = {.storage = (char *)storages[s], .key = key};
    snprintf(key, sizeof key, "t%d/k%d", w->index, round);
    if (pail_write(w->ws, &own, key, strlen(key), NULL, &e) != PAIL_OK)
      return shared_fail(w, "write", e);
    pail_object_info info;
    if (pail_stat(w->ws, &own, &info, &e) != PAIL_OK)
      return shared_fail(w, "stat", e);
    bool size_ok = info.size == strlen(key);
    pail_object_info_clear(&info);
    if (!size_ok)
      return shared_fail(w, "stat size", NULL);
    void *data = NULL;
    size_t length = 0;
    if (pail_read(w->ws, &own, NULL, &data, &length, &e) != PAIL_OK)
      return shared_fail(w, "read", e);
    bool same = length == strlen(key) && memcmp(data, key, length) == 0;
    free(data);
    if (!same)
      return shared_fail(w, "read back", NULL);

    /* Everyone writes the same key; any reader sees one whole version. */
    pail_pointer contended = {.storage = (char *)storages[s],
                              .key = (char *)"contended"};
    shared_version(version, w->index);
    if (pail_write(w->ws, &contended, version, SHARED_SIZE, NULL, &e) !=
        PAIL_OK)
      return shared_fail(w, "write contended", e);
    if (pail_read(w->ws, &contended, NULL, &data, &length, &e) != PAIL_OK)
      return shared_fail(w, "read contended", e);
    const char *bytes = data;
    same = length == SHARED_SIZE && bytes[0] >= 'a' &&
           bytes[0] < 'a' + SHARED_THREADS;
    for (size_t i = 1; same && i < length; i++)
      same = bytes[i] == bytes[0];
    free(data);
    if (!same)
      return shared_fail(w, "contended object is not one whole version", NULL);

    /* Paged listing while others write: no error, no temporary file. */
    pail_pointer prefix = {.storage = (char *)storages[s], .key = (char *)""};
    pail_list_options options = PAIL_LIST_OPTIONS_INIT;
    options.recursive = 1;
    options.max_keys = 7;
    char *token = NULL;
    for (int pages = 0; pages < 1000; pages++) {
      options.page_token = token;
      pail_list_page page;
      if (pail_list(w->ws, &prefix, &options, &page, &e) != PAIL_OK) {
        free(token);
        return shared_fail(w, "list", e);
      }
      bool clean = true;
      for (size_t i = 0; i < page.count; i++)
        clean = clean && strstr(page.entries[i].key, ".pail-") == NULL;
      free(token);
      token = page.next_page_token ? strdup(page.next_page_token) : NULL;
      pail_list_page_clear(&page);
      if (!clean) {
        free(token);
        return shared_fail(w, "listing shows a temporary file", NULL);
      }
      if (token == NULL)
        break;
    }
    if (token != NULL) {
      free(token);
      return shared_fail(w, "listing never ended", NULL);
    }
  }
  return true;
}

static void *shared_worker_run(void *arg) {
  shared_worker *w = arg;
  for (int round = 0; round < SHARED_ROUNDS && shared_round(w, round); round++)
    ;
  return NULL;
}

START_TEST(one_workspace_is_shared_by_many_threads) {
  char *dir = scratch_dir("shared");
  json_t *doc =
      json_pack("{s:{s:s, s:s, s:b}, s:{s:{s:s, s:s}}}", "storage", "type",
                "fs", "root_path", dir, "create_root", 1, "secondary_storage",
                "m", "type", "mem", "name", "threads-test");
  char *settings = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  pail_options options = PAIL_OPTIONS_INIT;
  options.log = shared_log;
  options.log_level = PAIL_LOG_DEBUG;
  pail_workspace *ws = NULL;
  t.type = "fs+mem";
  /* Nothing is opened before the threads start: they race the lazy open. */
  EXPECT(PAIL_OK, pail_workspace_open_json(settings, &options, &ws, &err));
  free(settings);
  pthread_t threads[SHARED_THREADS];
  shared_worker workers[SHARED_THREADS];
  for (int i = 0; i < SHARED_THREADS; i++) {
    workers[i] = (shared_worker){ws, i, ""};
    ck_assert_int_eq(
        pthread_create(&threads[i], NULL, shared_worker_run, &workers[i]), 0);
  }
  for (int i = 0; i < SHARED_THREADS; i++)
    pthread_join(threads[i], NULL);
  for (int i = 0; i < SHARED_THREADS; i++)
    ck_assert_msg(workers[i].failure[0] == '\0', "%s", workers[i].failure);
  ck_assert_int_gt(atomic_load(&shared_log_lines), 0);
  /* Nothing but objects under the root: no temporary file was left. */
  char *cmd = NULL;
  ck_assert_int_ge(
      asprintf(&cmd, "test -z \"$(find '%s' -name '.pail-*')\"", dir), 0);
  ck_assert_int_eq(system(cmd), 0);
  free(cmd);
  pail_workspace_close(ws);
  free(dir);
}
END_TEST

/* ------------------------------------------------------------ suite */

static Suite *backends_suite(void) {
  Suite *s = suite_create("backends");
  /* Iteration 0 runs on fs, 1 on mem. */
#define add_contract(tc, test) tcase_add_loop_test(tc, test, 0, 2)
  TCase *contract = tcase_create("contract");
  tcase_set_timeout(contract, 60);
  add_contract(contract, empty_object_round_trips);
  add_contract(contract, one_byte_object_round_trips);
  add_contract(contract, ten_mebibytes_stream_in_odd_chunks);
  add_contract(contract, ranged_reads_return_exactly_the_range);
  add_contract(contract, stat_reports_size_time_etag_and_attributes);
  add_contract(contract, etag_follows_content);
  add_contract(contract, stat_of_missing_key_is_not_found);
  add_contract(contract, list_one_level_folds_folders);
  add_contract(contract, list_recursive_returns_every_key_in_order);
  add_contract(contract, list_prefix_matches_bytes_not_folders);
  add_contract(contract, list_entries_carry_size_and_time);
  add_contract(contract, list_order_is_bytewise_around_the_delimiter);
  add_contract(contract, pagination_returns_every_key_once);
  add_contract(contract, page_token_must_be_one_the_backend_issued);
  add_contract(contract, aborted_write_leaves_nothing);
  add_contract(contract, object_is_invisible_until_commit);
  add_contract(contract, overwrite_keeps_old_content_until_commit);
  add_contract(contract, open_reader_keeps_reading_what_it_opened);
  add_contract(contract, reader_file_hands_the_opened_range_or_refuses);
  add_contract(contract, create_only_write_conflicts_with_existing_object);
  add_contract(contract, create_only_conflict_is_checked_at_commit);
  add_contract(contract, concurrent_create_only_writes_have_one_winner);
  add_contract(contract, writes_survive_concurrent_deletes_in_the_same_folder);
  add_contract(contract, read_if_match_conflicts_on_another_etag);
  add_contract(contract, delete_removes_and_then_reports_not_found);
  add_contract(contract, delete_many_reports_each_key);
  add_contract(contract, copy_duplicates_bytes_and_attributes);
  add_contract(contract,
               streamed_copy_to_another_storage_keeps_attributes_and_metadata);
  add_contract(contract, copy_replaces_only_the_attributes_it_is_given);
  add_contract(contract, copy_of_missing_source_is_not_found);
  add_contract(contract, create_only_copy_conflicts_with_existing_object);
  add_contract(contract, keys_with_special_characters_round_trip);
  suite_add_tcase(s, contract);

  TCase *fs = tcase_create("fs");
  tcase_add_test(fs, fs_objects_are_plain_files_under_the_root);
  tcase_add_test(fs, fs_aborted_write_leaves_no_file_or_folder);
  tcase_add_test(fs, fs_failed_commit_leaves_no_temporary_file);
  tcase_add_test(fs, fs_copy_of_a_source_that_shrinks_fails_and_stores_nothing);
  tcase_add_test(fs, fs_delete_removes_emptied_folders);
  tcase_add_test(fs, fs_reserved_names_are_refused_and_hidden);
  tcase_add_test(fs, fs_symlinks_under_the_root_are_never_followed);
  tcase_add_test(fs, fs_object_and_folder_cannot_share_a_name);
  tcase_add_test(fs, fs_etag_is_quoted_md5_and_follows_outside_changes);
  tcase_add_test(fs, fs_listing_carries_the_cached_etag_only);
  tcase_add_test(fs, fs_content_type_is_guessed_from_the_extension);
  tcase_add_test(fs, fs_missing_root_asks_for_pail_mb);
  tcase_add_test(fs, fs_root_that_is_a_file_is_refused);
  tcase_add_test(fs, listing_shows_only_keys_the_rules_let_the_user_list);
  suite_add_tcase(s, fs);

  TCase *mem = tcase_create("mem");
  tcase_add_test(mem, mem_storages_with_one_name_share_objects);
  suite_add_tcase(s, mem);

  TCase *shared = tcase_create("shared");
  tcase_set_timeout(shared, 120);
  tcase_add_test(shared, one_workspace_is_shared_by_many_threads);
  suite_add_tcase(s, shared);
  return s;
}

int main(void) {
  /* Not test_tempdir(): its assertions only work inside a test. */
  const char *base = getenv("TMPDIR");
  if (asprintf(&scratch, "%s/pail-backends-XXXXXX", base ? base : "/tmp") < 0 ||
      mkdtemp(scratch) == NULL) {
    perror("test_backends: cannot create a temporary directory");
    return EXIT_FAILURE;
  }
  int status = test_run_suite(backends_suite());
  test_tempdir_remove(scratch);
  return status;
}
