/*
 * test_cleanup.c: pail_cleanup (core/cleanup.c) with the fs backend's
 * temporary files (backends/fs/fs_cleanup.c), a backend without the
 * operations (mem), the S3 gateway's staged uploads on both, and its native
 * uploads on an in-process backend that takes them (ABI 1.18).
 */
#include "internal.h"

#include "testutil.h"

#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

static char *root;
static pail_workspace *ws;

/* A workspace with one fs storage at root, and the rules given (or none). */
static pail_workspace *open_fs(const char *rules, const char *user) {
  char *json = NULL;
  ck_assert_int_ge(asprintf(&json,
                            "{\"storage\": {\"type\": \"fs\", \"root_path\": "
                            "\"%s\"}%s%s}",
                            root, rules ? ", \"advanced_permissions\": " : "",
                            rules ? rules : ""),
                   0);
  pail_options options = PAIL_OPTIONS_INIT;
  options.username = user;
  pail_workspace *w = NULL;
  pail_error *err = NULL;
  ck_assert_msg(pail_workspace_open_json(json, &options, &w, &err) == PAIL_OK,
                "%s", pail_error_message(err));
  free(json);
  return w;
}

static void setup(void) {
  root = test_tempdir();
  unsetenv("PAIL_TEST_NOW");
  ws = open_fs(NULL, NULL);
}

static void teardown(void) {
  pail_workspace_close(ws);
  unsetenv("PAIL_TEST_NOW");
  test_tempdir_remove(root);
}

static pail_pointer *pointer(const char *key) {
  pail_pointer *p = NULL;
  ck_assert_int_eq(pail_pointer_parse(key, NULL, &p, NULL), PAIL_OK);
  return p;
}

static void put(const char *key, const char *text) {
  pail_pointer *p = pointer(key);
  ck_assert_int_eq(pail_write(ws, p, text, strlen(text), NULL, NULL), PAIL_OK);
  pail_pointer_free(p);
}

static bool exists(const char *relative) {
  char *path = NULL;
  ck_assert_int_ge(asprintf(&path, "%s/%s", root, relative), 0);
  struct stat st;
  bool found = lstat(path, &st) == 0;
  free(path);
  return found;
}

/* The library's clock, days from now: leftovers then look that old. */
static void clock_ahead(int days) {
  char text[32];
  snprintf(text, sizeof text, "%lld",
           (long long)time(NULL) + (long long)days * 86400);
  setenv("PAIL_TEST_NOW", text, 1);
}

/* A writer of key that has written some bytes and stays open. */
static pail_writer *writer_begun(const char *key) {
  pail_pointer *p = pointer(key);
  pail_writer *w = NULL;
  ck_assert_int_eq(pail_writer_open(ws, p, NULL, &w, NULL), PAIL_OK);
  ck_assert_int_eq(pail_writer_write(w, "partial", 7, NULL), PAIL_OK);
  pail_pointer_free(p);
  return w;
}

/* A process that begins writing key and dies of SIGKILL mid-write, as
 * `kill -9` during `pail put` does. */
static void writer_killed(const char *key) {
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    pail_writer *w = writer_begun(key);
    char block[4096] = {0};
    for (int i = 0; i < 64; i++)
      pail_writer_write(w, block, sizeof block, NULL);
    /* The writer buffers: only bytes that reached the file count. */
    raise(SIGKILL);
    _exit(0);
  }
  int status = 0;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static pail_status cleanup(int64_t older_than, int dry_run,
                           pail_cleanup_report *report, pail_error **err) {
  pail_cleanup_options options = PAIL_CLEANUP_OPTIONS_INIT;
  options.older_than = older_than;
  options.dry_run = dry_run;
  return pail_cleanup(ws, NULL, &options, report, err);
}

START_TEST(killed_writer_leftover_is_removed_and_objects_stay) {
  put("keep/object.txt", "committed");
  writer_killed("deep/er/big.bin");
  clock_ahead(2);
  pail_cleanup_report report;
  pail_error *err = NULL;
  ck_assert_int_eq(pail_cleanup(ws, NULL, NULL, &report, &err), PAIL_OK);
  ck_assert_uint_eq(report.count, 1);
  const pail_leftover *l = &report.leftovers[0];
  ck_assert_int_eq(l->kind, PAIL_LEFTOVER_TEMPORARY_FILE);
  /* The key rides in an xattr, where the file system has them. */
  ck_assert(l->key == NULL || strcmp(l->key, "deep/er/big.bin") == 0);
  ck_assert_contains(l->id, "deep/er/.pail-tmp.");
  ck_assert(l->size_known && l->size >= 256 * 1024);
  ck_assert(!l->in_use);
  ck_assert_int_eq(l->outcome, PAIL_LEFTOVER_REMOVED);
  ck_assert_ptr_null(l->error);
  ck_assert_ptr_null(report.note);
  pail_cleanup_report_clear(&report);
  /* The folders the write created went with it; the object stays. */
  ck_assert(!exists("deep"));
  ck_assert(exists("keep/object.txt"));
  ck_assert_int_eq(cleanup(0, 0, &report, NULL), PAIL_OK);
  ck_assert_uint_eq(report.count, 0);
  pail_cleanup_report_clear(&report);
}
END_TEST

START_TEST(running_write_is_kept_unless_older_than_is_zero) {
  pail_writer *w = writer_begun("live.bin");
  pail_writer_write(w, "x", 1, NULL);
  clock_ahead(30);
  pail_cleanup_report report;
  ck_assert_int_eq(cleanup(3600, 0, &report, NULL), PAIL_OK);
  ck_assert_uint_eq(report.count, 1);
  ck_assert(report.leftovers[0].in_use);
  ck_assert_int_eq(report.leftovers[0].outcome, PAIL_LEFTOVER_RECENT);
  pail_cleanup_report_clear(&report);
  /* Kept: the write completes. */
  ck_assert_int_eq(pail_writer_close(w, NULL, NULL), PAIL_OK);
  ck_assert(exists("live.bin"));

  w = writer_begun("live2.bin");
  ck_assert_int_eq(cleanup(0, 0, &report, NULL), PAIL_OK);
  ck_assert_uint_eq(report.count, 1);
  ck_assert_int_eq(report.leftovers[0].outcome, PAIL_LEFTOVER_REMOVED);
  pail_cleanup_report_clear(&report);
  /* Taken at the user's word: that write can no longer commit. */
  ck_assert_int_ne(pail_writer_close(w, NULL, NULL), PAIL_OK);
  ck_assert(!exists("live2.bin"));
  ck_assert(exists("live.bin"));
}
END_TEST

START_TEST(recent_leftover_is_kept_by_default) {
  writer_killed("recent.bin");
  pail_cleanup_report report;
  ck_assert_int_eq(pail_cleanup(ws, NULL, NULL, &report, NULL), PAIL_OK);
  ck_assert_uint_eq(report.count, 1);
  ck_assert_int_eq(report.leftovers[0].outcome, PAIL_LEFTOVER_RECENT);
  char *id = strdup(report.leftovers[0].id);
  pail_cleanup_report_clear(&report);
  ck_assert(exists(id));
  free(id);
}
END_TEST

START_TEST(dry_run_removes_nothing) {
  writer_killed("a/dry.bin");
  clock_ahead(2);
  pail_cleanup_report report;
  ck_assert_int_eq(cleanup(86400, 1, &report, NULL), PAIL_OK);
  ck_assert_uint_eq(report.count, 1);
  ck_assert_int_eq(report.leftovers[0].outcome, PAIL_LEFTOVER_TO_REMOVE);
  char *id = strdup(report.leftovers[0].id);
  pail_cleanup_report_clear(&report);
  ck_assert(exists(id));
  free(id);
}
END_TEST

START_TEST(access_rules_need_delete_and_hide_what_cannot_be_listed) {
  writer_killed("u/alice/a.bin");
  writer_killed("u/bob/b.bin");
  writer_killed("shared/c.bin");
  clock_ahead(2);
  pail_workspace_close(ws);
  ws = open_fs("[{\"pattern\": \"u/{username}/**\", \"allow\": "
               "\"read,write,delete,list\"},"
               "{\"pattern\": \"shared/**\", \"allow\": \"read,list\"}]",
               "alice");
  pail_cleanup_report report;
  pail_error *err = NULL;
  ck_assert_int_eq(pail_cleanup(ws, NULL, NULL, &report, &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(pail_error_message(err), "shared/");
  pail_error_free(err);
  ck_assert_uint_eq(report.hidden, 1); /* bob's */
  ck_assert_uint_eq(report.count, 2);
  for (size_t i = 0; i < report.count; i++) {
    const pail_leftover *l = &report.leftovers[i];
    if (strncmp(l->id, "u/alice/", 8) == 0) {
      ck_assert_int_eq(l->outcome, PAIL_LEFTOVER_REMOVED);
    } else {
      ck_assert_contains(l->id, "shared/");
      ck_assert_int_eq(l->outcome, PAIL_LEFTOVER_FAILED);
      ck_assert_int_eq(pail_error_category(l->error), PAIL_ERR_ACCESS_DENIED);
      ck_assert(exists(l->id));
    }
  }
  pail_cleanup_report_clear(&report);
  ck_assert(exists("u/bob"));
  ck_assert(!exists("u/alice"));
}
END_TEST

START_TEST(backend_without_cleanup_answers_with_a_note) {
  pail_workspace *mem = NULL;
  ck_assert_int_eq(pail_workspace_open_json(
                       "{\"storage\": {\"type\": \"mem\"}}", NULL, &mem, NULL),
                   PAIL_OK);
  pail_cleanup_report report;
  ck_assert_int_eq(pail_cleanup(mem, NULL, NULL, &report, NULL), PAIL_OK);
  ck_assert_uint_eq(report.count, 0);
  ck_assert_contains(report.note, "mem backend cannot list");
  pail_cleanup_report_clear(&report);
  pail_workspace_close(mem);
}
END_TEST

/* A staged upload of the gateway for key, begun now, with one part. */
static void staged_upload(pail_workspace *w, const char *id, const char *key) {
  char *name = NULL, *manifest = NULL;
  ck_assert_int_ge(asprintf(&manifest, "{\"key\":\"%s\",\"created\":%lld}", key,
                            (long long)pail_time_now()),
                   0);
  const char *files[][2] = {{"upload", manifest}, {"part-00001", "a part"}};
  for (size_t i = 0; i < 2; i++) {
    ck_assert_int_ge(asprintf(&name, ".pail_uploads/%s/%s", id, files[i][0]),
                     0);
    pail_pointer p = {.key = name};
    ck_assert_int_eq(
        pail_write(w, &p, files[i][1], strlen(files[i][1]), NULL, NULL),
        PAIL_OK);
    free(name);
  }
  free(manifest);
}

START_TEST(staged_upload_is_a_leftover_on_every_backend) {
  pail_workspace *mem = NULL;
  ck_assert_int_eq(pail_workspace_open_json(
                       "{\"storage\": {\"type\": \"mem\"}}", NULL, &mem, NULL),
                   PAIL_OK);
  pail_workspace *both[] = {ws, mem};
  for (size_t b = 0; b < 2; b++) {
    unsetenv("PAIL_TEST_NOW");
    staged_upload(both[b], "00ff", "t/x");
    pail_pointer keep = {.key = "t/keep"};
    ck_assert_int_eq(pail_write(both[b], &keep, "k", 1, NULL, NULL), PAIL_OK);
    pail_cleanup_report report;
    ck_assert_int_eq(pail_cleanup(both[b], NULL, NULL, &report, NULL), PAIL_OK);
    ck_assert_uint_eq(report.count, 1);
    const pail_leftover *l = &report.leftovers[0];
    ck_assert_int_eq(l->kind, PAIL_LEFTOVER_GATEWAY_UPLOAD);
    ck_assert_str_eq(l->key, "t/x");
    ck_assert_str_eq(l->id, ".pail_uploads/00ff/");
    ck_assert_int_eq(l->outcome, PAIL_LEFTOVER_RECENT);
    ck_assert(l->size_known && l->size > 6);
    pail_cleanup_report_clear(&report);
    clock_ahead(2);
    ck_assert_int_eq(pail_cleanup(both[b], NULL, NULL, &report, NULL), PAIL_OK);
    ck_assert_uint_eq(report.count, 1);
    ck_assert_int_eq(report.leftovers[0].outcome, PAIL_LEFTOVER_REMOVED);
    pail_cleanup_report_clear(&report);
    pail_pointer staged = {.key = ".pail_uploads/"};
    pail_list_options opts = PAIL_LIST_OPTIONS_INIT;
    opts.recursive = 1;
    pail_list_page page;
    ck_assert_int_eq(pail_list(both[b], &staged, &opts, &page, NULL), PAIL_OK);
    ck_assert_uint_eq(page.count, 0);
    pail_list_page_clear(&page);
    pail_object_info info;
    ck_assert_int_eq(pail_stat(both[b], &keep, &info, NULL), PAIL_OK);
    pail_object_info_clear(&info);
  }
  pail_workspace_close(mem);
}
END_TEST

/* "nativemem": the mem backend with a provider's multipart upload of its
 * own (leftovers_list lists NATIVE_ID for t/x) and the upload operations,
 * which record what they are asked. */
#define NATIVE_ID "provider-upload-1"
static pail_backend_ops native_mem;
static int native_aborts, native_leftover_removals;

static pail_status native_leftovers_list(void *instance,
                                         pail_leftover **leftovers,
                                         size_t *count, char **note,
                                         pail_error **err) {
  (void)instance, (void)note, (void)err;
  *leftovers = calloc(1, sizeof **leftovers);
  ck_assert_ptr_nonnull(*leftovers);
  (*leftovers)[0].kind = PAIL_LEFTOVER_MULTIPART_UPLOAD;
  (*leftovers)[0].key = strdup("t/x");
  (*leftovers)[0].id = strdup(NATIVE_ID);
  (*leftovers)[0].started = INT64_MIN;
  *count = 1;
  return PAIL_OK;
}

static pail_status native_leftover_remove(void *instance,
                                          const pail_leftover *leftover,
                                          int force, pail_error **err) {
  (void)instance, (void)leftover, (void)force, (void)err;
  native_leftover_removals++;
  return PAIL_OK;
}

static pail_status native_upload_abort(void *instance, const char *key,
                                       const char *upload_id,
                                       pail_error **err) {
  (void)instance, (void)err;
  ck_assert_str_eq(key, "t/x");
  ck_assert_str_eq(upload_id, NATIVE_ID);
  native_aborts++;
  return PAIL_OK;
}

static pail_status native_upload_create(void *instance, const char *key,
                                        const pail_write_options *options,
                                        char **upload_id, pail_error **err) {
  (void)instance, (void)key, (void)options, (void)upload_id;
  return pail_error_set(err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL, "unused");
}

static pail_status native_upload_part(void *instance, const char *key,
                                      const char *upload_id, uint32_t number,
                                      int fd, uint64_t offset, uint64_t length,
                                      char **etag, pail_error **err) {
  (void)instance, (void)key, (void)upload_id, (void)number, (void)fd;
  (void)offset, (void)length, (void)etag;
  return pail_error_set(err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL, "unused");
}

static pail_status native_upload_complete(void *instance, const char *key,
                                          const char *upload_id,
                                          const pail_write_options *options,
                                          const pail_upload_part *parts,
                                          size_t count, pail_object_info *info,
                                          pail_error **err) {
  (void)instance, (void)key, (void)upload_id, (void)options, (void)parts;
  (void)count;
  (void)info;
  return pail_error_set(err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL, "unused");
}

/* A gateway upload whose parts are the provider's is one leftover, the
 * gateway's (its size unknown: the storage holds only records), and
 * removing it abandons the provider's upload with the staged objects. */
START_TEST(native_gateway_upload_is_one_leftover_that_aborts_the_provider) {
  const backend *mem = NULL;
  ck_assert_int_eq(backend_get("mem", &mem, NULL), PAIL_OK);
  native_mem = mem->ops;
  native_mem.name = "nativemem";
  native_mem.leftovers_list = native_leftovers_list;
  native_mem.leftover_remove = native_leftover_remove;
  native_mem.upload_create = native_upload_create;
  native_mem.upload_part = native_upload_part;
  native_mem.upload_complete = native_upload_complete;
  native_mem.upload_abort = native_upload_abort;
  ck_assert_int_eq(pail_backend_register(&native_mem, NULL), PAIL_OK);
  pail_workspace *w = NULL;
  ck_assert_int_eq(
      pail_workspace_open_json("{\"storage\": {\"type\": \"nativemem\"}}", NULL,
                               &w, NULL),
      PAIL_OK);
  const char *manifest =
      "{\"key\":\"t/x\",\"native\":\"" NATIVE_ID "\",\"created\":1}";
  const char *record = "{\"size\":6,\"etag\":\"e\",\"native_etag\":\"n\"}";
  pail_pointer upload = {.key = ".pail_uploads/00ff/upload"};
  pail_pointer part = {.key = ".pail_uploads/00ff/part-00001"};
  ck_assert_int_eq(
      pail_write(w, &upload, manifest, strlen(manifest), NULL, NULL), PAIL_OK);
  ck_assert_int_eq(pail_write(w, &part, record, strlen(record), NULL, NULL),
                   PAIL_OK);

  pail_cleanup_options options = PAIL_CLEANUP_OPTIONS_INIT;
  options.older_than = 0;
  options.dry_run = 1;
  pail_cleanup_report report;
  ck_assert_int_eq(pail_cleanup(w, NULL, &options, &report, NULL), PAIL_OK);
  ck_assert_uint_eq(report.count, 1);
  ck_assert_int_eq(report.leftovers[0].kind, PAIL_LEFTOVER_GATEWAY_UPLOAD);
  ck_assert_str_eq(report.leftovers[0].key, "t/x");
  ck_assert_int_eq(report.leftovers[0].size_known, 0);
  ck_assert_int_eq(report.leftovers[0].started, 1);
  pail_cleanup_report_clear(&report);
  ck_assert_int_eq(native_aborts, 0);

  options.dry_run = 0;
  ck_assert_int_eq(pail_cleanup(w, NULL, &options, &report, NULL), PAIL_OK);
  ck_assert_uint_eq(report.count, 1);
  ck_assert_int_eq(report.leftovers[0].outcome, PAIL_LEFTOVER_REMOVED);
  pail_cleanup_report_clear(&report);
  ck_assert_int_eq(native_aborts, 1);
  ck_assert_int_eq(native_leftover_removals, 0);
  pail_object_info info;
  ck_assert_int_eq(pail_stat(w, &upload, &info, NULL), PAIL_ERR_NOT_FOUND);
  ck_assert_int_eq(pail_stat(w, &part, &info, NULL), PAIL_ERR_NOT_FOUND);
  pail_workspace_close(w);
}
END_TEST

START_TEST(bad_arguments_are_refused) {
  pail_cleanup_report report;
  pail_error *err = NULL;
  ck_assert_int_eq(cleanup(-1, 0, &report, &err), PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), "negative");
  pail_error_free(err);
  err = NULL;
  ck_assert_int_eq(pail_cleanup(ws, "nosuch", NULL, &report, &err),
                   PAIL_ERR_NOT_FOUND);
  pail_error_free(err);
  ck_assert_int_eq(pail_cleanup(ws, NULL, NULL, NULL, NULL),
                   PAIL_ERR_INVALID_ARGUMENT);
  pail_cleanup_report_clear(NULL);
}
END_TEST

int main(void) {
  Suite *s = suite_create("cleanup");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, killed_writer_leftover_is_removed_and_objects_stay);
  tcase_add_test(tc, running_write_is_kept_unless_older_than_is_zero);
  tcase_add_test(tc, recent_leftover_is_kept_by_default);
  tcase_add_test(tc, dry_run_removes_nothing);
  tcase_add_test(tc, access_rules_need_delete_and_hide_what_cannot_be_listed);
  tcase_add_test(tc, backend_without_cleanup_answers_with_a_note);
  tcase_add_test(tc, staged_upload_is_a_leftover_on_every_backend);
  tcase_add_test(
      tc, native_gateway_upload_is_one_leftover_that_aborts_the_provider);
  tcase_add_test(tc, bad_arguments_are_refused);
  suite_add_tcase(s, tc);
  return test_run_suite(s);
}
