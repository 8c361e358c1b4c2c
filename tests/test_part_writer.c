/*
 * test_part_writer.c: the core's uploads by parts (core/net/part_writer.c)
 * driven by a fake backend protocol whose parts go to a local server
 * (tests/http_server.py, which answers each part with the SHA-256 of the
 * body it received): one request for what fits, parts in order and intact
 * whether from memory, from a file or both, the stream's buffers within
 * streamBufferSize, and a failure at every step: nothing completed, the
 * upload aborted once, its parts in flight cancelled.
 */
#include "internal.h"
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static pid_t server_pid;
static int server_port;
static int server_stdin = -1;

static storage_settings test_storage;
static pail_config cfg;
static pail_error *err;

#define MAX_TEST_PARTS 64

/* The fake backend: what it was asked to do, and how to fail. */
typedef struct fake {
  const char *part_path; /* "/sink", "/sleep/2000" */
  int failing_part;      /* answered 500 (0: none) */
  bool begin_fails, complete_fails;
  int begins, completes, aborts, singles;
  int completed_parts;
  int started, finished; /* part_start called, answers judged */
  size_t single_length;
  uint32_t single_flags;
  /* Per part number: its length, flags and the server's SHA-256. */
  size_t length[MAX_TEST_PARTS + 1];
  uint32_t flags[MAX_TEST_PARTS + 1];
  char sha256[MAX_TEST_PARTS + 1][65];
} fake;

static pail_status fake_begin(void *context, size_t part_size, pail_error **e) {
  fake *f = context;
  (void)part_size;
  f->begins++;
  if (f->begin_fails)
    return pail_error_set(e, PAIL_ERR_ACCESS_DENIED, 403, NULL, NULL,
                          "fake: begin refused");
  return PAIL_OK;
}

static pail_status fake_part_start(void *context, pail_part *part,
                                   pail_error **e) {
  fake *f = context;
  f->started++;
  ck_assert_int_le(part->number, MAX_TEST_PARTS);
  f->length[part->number] = part->body_length;
  f->flags[part->number] = part->body_flags;
  const char *path =
      part->number == f->failing_part ? "/status/500" : f->part_path;
  char *url = NULL;
  ck_assert_int_ge(asprintf(&url, "http://127.0.0.1:%d%s/%d", server_port, path,
                            part->number),
                   0);
  pail_status status = request_init(&part->request, "PUT", url, e);
  if (status == PAIL_OK && part->body != NULL)
    pail_request_part_body(&part->request, part);
  return status;
}

static pail_status fake_part_finish(void *context, const pail_part *part,
                                    const pail_http_response *response,
                                    const char *what, pail_error **e) {
  fake *f = context;
  f->finished++;
  if (response->status != 200)
    return pail_error_set(e, PAIL_ERR_UNAVAILABLE, response->status, NULL, NULL,
                          "fake: %s failed", what);
  json_t *document = json_loadb(response->body, response->body_length, 0, NULL);
  const char *sha = json_string_value(json_object_get(document, "body_sha256"));
  ck_assert_ptr_nonnull(sha);
  snprintf(f->sha256[part->number], sizeof f->sha256[0], "%s", sha);
  json_decref(document);
  return PAIL_OK;
}

static pail_status fake_complete(void *context, int parts,
                                 pail_object_info *info, pail_error **e) {
  fake *f = context;
  ck_assert_int_eq(f->started, f->finished);
  f->completes++;
  f->completed_parts = parts;
  if (f->complete_fails)
    return pail_error_set(e, PAIL_ERR_CONFLICT, 409, NULL, NULL,
                          "fake: complete refused");
  if (info != NULL)
    info->etag = strdup("\"multipart\"");
  return PAIL_OK;
}

static void fake_abort(void *context) {
  fake *f = context;
  f->aborts++;
}

static pail_status fake_single(void *context, const pail_part *part,
                               pail_object_info *info, pail_error **e) {
  fake *f = context;
  (void)e;
  f->singles++;
  f->single_length = part->body_length;
  f->single_flags = part->body_flags;
  ck_assert_int_eq(part->number, 0);
  ck_assert_ptr_nonnull(part->body);
  if (info != NULL)
    info->etag = strdup("\"single\"");
  return PAIL_OK;
}

static pail_part_protocol protocol_of(fake *f, size_t part_size,
                                      size_t concurrency) {
  pail_part_protocol p = {
      .label = "fake",
      .key = "k/object.bin",
      .part_word = "part",
      .part_size_setting = "partSize",
      .capacity = "a fake object holds",
      .part_size = part_size,
      .max_part_size = (uint64_t)1 << 30,
      .max_parts = MAX_TEST_PARTS,
      .concurrency = concurrency,
      .max_body = 1 << 20, /* /echo and /sleep answer with the body */
      .context = f,
      .begin = fake_begin,
      .part_start = fake_part_start,
      .part_finish = fake_part_finish,
      .complete = fake_complete,
      .abort = fake_abort,
      .single = fake_single,
  };
  return p;
}

/* A writer for f's protocol with these parts; the test commits or aborts
 * it. */
static pail_part_writer *writer_for(fake *f, size_t part_size,
                                    size_t concurrency) {
  pail_part_protocol p = protocol_of(f, part_size, concurrency);
  pail_part_writer *w = NULL;
  ck_assert_int_eq(part_writer_open(&cfg, &p, &w, &err), PAIL_OK);
  return w;
}

/* Byte i of every test object. */
static unsigned char *pattern(size_t length) {
  unsigned char *data = malloc(length ? length : 1);
  ck_assert_ptr_nonnull(data);
  for (size_t i = 0; i < length; i++)
    data[i] = (unsigned char)(i * 7 + i / 251);
  return data;
}

static void expect_part(const fake *f, int number, const unsigned char *bytes,
                        size_t length) {
  unsigned char digest[32];
  char hex[65];
  crypto_sha256(bytes, length, digest);
  crypto_hex_encode(digest, 32, hex);
  ck_assert_uint_eq(f->length[number], length);
  ck_assert_str_eq(f->sha256[number], hex);
}

static void setup(void) {
  err = NULL;
  test_storage.stream_buffer_size = 0;
}

static void teardown(void) {
  pail_error_free(err);
  err = NULL;
}

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ success */

START_TEST(what_fits_in_one_part_goes_up_in_one_request) {
  fake f = {.part_path = "/sink"};
  pail_part_writer *w = writer_for(&f, 100000, 4);
  unsigned char *data = pattern(100000);
  ck_assert_int_eq(part_writer_write(w, data, 100000, &err), PAIL_OK);
  pail_object_info info = {0};
  ck_assert_int_eq(part_writer_commit(w, &info, &err), PAIL_OK);
  ck_assert_int_eq(f.singles, 1);
  ck_assert_uint_eq(f.single_length, 100000);
  ck_assert_int_eq(f.begins + f.started + f.completes + f.aborts, 0);
  ck_assert_str_eq(info.key, "k/object.bin");
  ck_assert_uint_eq(info.size, 100000);
  ck_assert_str_eq(info.etag, "\"single\"");
  pail_object_info_clear(&info);
  free(data);
}
END_TEST

START_TEST(an_empty_object_is_one_request_with_an_empty_body) {
  fake f = {.part_path = "/sink"};
  pail_part_writer *w = writer_for(&f, 100000, 4);
  ck_assert_int_eq(part_writer_commit(w, NULL, &err), PAIL_OK);
  ck_assert_int_eq(f.singles, 1);
  ck_assert_uint_eq(f.single_length, 0);
}
END_TEST

START_TEST(parts_from_memory_arrive_whole_and_in_order) {
  fake f = {.part_path = "/sink"};
  pail_part_writer *w = writer_for(&f, 100000, 3);
  size_t size = 1234567;
  unsigned char *data = pattern(size);
  /* Odd pieces, so that parts are filled from several writes. */
  for (size_t at = 0; at < size; at += 33333) {
    size_t n = size - at < 33333 ? size - at : 33333;
    ck_assert_int_eq(part_writer_write(w, data + at, n, &err), PAIL_OK);
  }
  pail_object_info info = {0};
  ck_assert_int_eq(part_writer_commit(w, &info, &err), PAIL_OK);
  ck_assert_int_eq(f.begins, 1);
  ck_assert_int_eq(f.completes, 1);
  ck_assert_int_eq(f.completed_parts, 13);
  ck_assert_int_eq(f.started, 13);
  ck_assert_int_eq(f.finished, 13);
  ck_assert_int_eq(f.aborts + f.singles, 0);
  for (int n = 1; n <= 13; n++) {
    size_t at = (size_t)(n - 1) * 100000;
    expect_part(&f, n, data + at, size - at < 100000 ? size - at : 100000);
    ck_assert_uint_eq(f.flags[n], 0);
  }
  ck_assert_uint_eq(info.size, size);
  ck_assert_str_eq(info.etag, "\"multipart\"");
  pail_object_info_clear(&info);
  free(data);
}
END_TEST

/* Writes data to a new file in dir; returns it open for reading. */
static int file_of(const char *dir, const unsigned char *data, size_t length) {
  char *path = NULL;
  ck_assert_int_ge(asprintf(&path, "%s/source.bin", dir), 0);
  FILE *out = fopen(path, "wb");
  ck_assert_ptr_nonnull(out);
  ck_assert_uint_eq(fwrite(data, 1, length, out), length);
  ck_assert_int_eq(fclose(out), 0);
  int fd = open(path, O_RDONLY);
  ck_assert_int_ge(fd, 0);
  free(path);
  return fd;
}

START_TEST(file_parts_are_sent_from_the_file_and_a_stream_may_follow) {
  char *dir = test_tempdir();
  size_t size = 270000;
  unsigned char *data = pattern(size);
  int fd = file_of(dir, data, 150000);
  /* Less than one part of budget: file parts take none of it. */
  test_storage.stream_buffer_size = 1;
  fake f = {.part_path = "/sink"};
  pail_part_writer *w = writer_for(&f, 100000, 2);
  ck_assert_int_eq(part_writer_write_file(w, fd, 0, 150000, &err), PAIL_OK);
  size_t peak = 0;
  ck_assert_uint_eq(part_writer_buffered(w, &peak), 0);
  /* Part 2 began as the file's last 50,000 bytes: memory follows them. */
  ck_assert_int_eq(part_writer_write(w, data + 150000, size - 150000, &err),
                   PAIL_OK);
  ck_assert_int_eq(part_writer_commit(w, NULL, &err), PAIL_OK);
  ck_assert_int_eq(f.completed_parts, 3);
  ck_assert_uint_eq(f.flags[1], PAIL_HTTP_BODY_FILE);
  ck_assert_uint_eq(f.flags[2], 0);
  ck_assert_uint_eq(f.flags[3], 0);
  for (int n = 1; n <= 3; n++) {
    size_t at = (size_t)(n - 1) * 100000;
    expect_part(&f, n, data + at, size - at < 100000 ? size - at : 100000);
  }
  close(fd);
  free(data);
  test_tempdir_remove(dir);
}
END_TEST

START_TEST(a_file_range_after_a_stream_goes_through_memory) {
  char *dir = test_tempdir();
  size_t size = 250000;
  unsigned char *data = pattern(size);
  int fd = file_of(dir, data, size);
  fake f = {.part_path = "/sink"};
  pail_part_writer *w = writer_for(&f, 100000, 2);
  ck_assert_int_eq(part_writer_write(w, data, 30000, &err), PAIL_OK);
  ck_assert_int_eq(part_writer_write_file(w, fd, 30000, size - 30000, &err),
                   PAIL_OK);
  ck_assert_int_eq(part_writer_commit(w, NULL, &err), PAIL_OK);
  ck_assert_int_eq(f.completed_parts, 3);
  ck_assert_uint_eq(f.flags[1], 0);
  /* The next part starts afresh and is sent from the file again. */
  ck_assert_uint_eq(f.flags[2], PAIL_HTTP_BODY_FILE);
  for (int n = 1; n <= 3; n++) {
    size_t at = (size_t)(n - 1) * 100000;
    expect_part(&f, n, data + at, size - at < 100000 ? size - at : 100000);
  }
  close(fd);
  free(data);
  test_tempdir_remove(dir);
}
END_TEST

START_TEST(a_stream_holds_no_more_buffers_than_its_budget) {
  /* 2.5 parts of budget: two buffers, though 8 parts could be in flight. */
  test_storage.stream_buffer_size = 250000;
  fake f = {.part_path = "/sleep/20"};
  pail_part_writer *w = writer_for(&f, 100000, 8);
  size_t size = 3000000;
  unsigned char *data = pattern(size);
  for (size_t at = 0; at < size; at += 65536) {
    size_t n = size - at < 65536 ? size - at : 65536;
    ck_assert_int_eq(part_writer_write(w, data + at, n, &err), PAIL_OK);
    size_t peak = 0;
    ck_assert_uint_le(part_writer_buffered(w, &peak), 200000);
    ck_assert_uint_le(peak, 200000);
  }
  size_t peak = 0;
  part_writer_buffered(w, &peak);
  ck_assert_uint_eq(peak, 200000);
  ck_assert_int_eq(part_writer_commit(w, NULL, &err), PAIL_OK);
  ck_assert_int_eq(f.completed_parts, 30);
  for (int n = 1; n <= 30; n++)
    expect_part(&f, n, data + (size_t)(n - 1) * 100000, 100000);
  free(data);
}
END_TEST

START_TEST(a_budget_under_one_part_still_holds_one) {
  test_storage.stream_buffer_size = 1000;
  fake f = {.part_path = "/sink"};
  pail_part_writer *w = writer_for(&f, 100000, 4);
  unsigned char *data = pattern(450000);
  ck_assert_int_eq(part_writer_write(w, data, 450000, &err), PAIL_OK);
  size_t peak = 0;
  part_writer_buffered(w, &peak);
  ck_assert_uint_eq(peak, 100000);
  ck_assert_int_eq(part_writer_commit(w, NULL, &err), PAIL_OK);
  ck_assert_int_eq(f.completed_parts, 5);
  expect_part(&f, 5, data + 400000, 50000);
  free(data);
}
END_TEST

START_TEST(a_size_hint_sets_the_part_size_within_the_limit) {
  fake f = {.part_path = "/sink"};
  pail_part_protocol p = protocol_of(&f, 100000, 2);
  /* 64 parts of 1 MiB would not hold 100 MiB: parts of 2 MiB would. */
  p.size_hint = (uint64_t)100 << 20;
  pail_part_writer *w = NULL;
  ck_assert_int_eq(part_writer_open(&cfg, &p, &w, &err), PAIL_OK);
  part_writer_abort(w);
  p.size_hint = ((uint64_t)1 << 30) * MAX_TEST_PARTS + 1;
  ck_assert_int_eq(part_writer_open(&cfg, &p, &w, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err),
                     "fake: k/object.bin: 68719476737 bytes is more than a "
                     "fake object holds");
  ck_assert_ptr_null(w);
}
END_TEST

/* ----------------------------------------------------------- failures */

START_TEST(a_refused_begin_fails_the_write_and_aborts_nothing) {
  fake f = {.part_path = "/sink", .begin_fails = true};
  pail_part_writer *w = writer_for(&f, 100000, 2);
  unsigned char *data = pattern(250000);
  ck_assert_int_eq(part_writer_write(w, data, 250000, &err),
                   PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(pail_error_message(err), "fake: begin refused");
  part_writer_abort(w);
  ck_assert_int_eq(f.begins, 1);
  ck_assert_int_eq(f.started + f.completes + f.aborts + f.singles, 0);
  free(data);
}
END_TEST

START_TEST(a_failed_part_fails_the_commit_and_aborts_once) {
  fake f = {.part_path = "/sink", .failing_part = 2};
  pail_part_writer *w = writer_for(&f, 100000, 4);
  unsigned char *data = pattern(350000);
  ck_assert_int_eq(part_writer_write(w, data, 350000, &err), PAIL_OK);
  ck_assert_int_eq(part_writer_commit(w, NULL, &err), PAIL_ERR_UNAVAILABLE);
  ck_assert_contains(pail_error_message(err),
                     "fake: k/object.bin (part 2) failed");
  ck_assert_int_eq(f.completes, 0);
  ck_assert_int_eq(f.aborts, 1);
  free(data);
}
END_TEST

START_TEST(a_failed_part_fails_the_write_that_waits_for_it) {
  /* One buffer: the write waits for part 1, which failed. */
  test_storage.stream_buffer_size = 100000;
  fake f = {.part_path = "/sink", .failing_part = 1};
  pail_part_writer *w = writer_for(&f, 100000, 4);
  unsigned char *data = pattern(350000);
  ck_assert_int_eq(part_writer_write(w, data, 350000, &err),
                   PAIL_ERR_UNAVAILABLE);
  part_writer_abort(w);
  ck_assert_int_eq(f.completes, 0);
  ck_assert_int_eq(f.aborts, 1);
  free(data);
}
END_TEST

START_TEST(a_failed_complete_aborts) {
  fake f = {.part_path = "/sink", .complete_fails = true};
  pail_part_writer *w = writer_for(&f, 100000, 4);
  unsigned char *data = pattern(250000);
  ck_assert_int_eq(part_writer_write(w, data, 250000, &err), PAIL_OK);
  pail_object_info info = {0};
  ck_assert_int_eq(part_writer_commit(w, &info, &err), PAIL_ERR_CONFLICT);
  ck_assert_contains(pail_error_message(err), "fake: complete refused");
  ck_assert_int_eq(f.completes, 1);
  ck_assert_int_eq(f.aborts, 1);
  ck_assert_ptr_null(info.key);
  pail_object_info_clear(&info);
  free(data);
}
END_TEST

START_TEST(an_abort_cancels_the_parts_in_flight_before_aborting) {
  fake f = {.part_path = "/sleep/3000"};
  pail_part_writer *w = writer_for(&f, 100000, 4);
  unsigned char *data = pattern(350000);
  ck_assert_int_eq(part_writer_write(w, data, 350000, &err), PAIL_OK);
  ck_assert_int_eq(f.started, 3);
  double began = now_seconds();
  part_writer_abort(w);
  ck_assert_double_lt(now_seconds() - began, 2.0);
  /* Cancelled, not judged: none of them completed or was recorded. */
  ck_assert_int_eq(f.finished, 0);
  ck_assert_int_eq(f.aborts, 1);
  ck_assert_int_eq(f.completes + f.singles, 0);
  free(data);
}
END_TEST

START_TEST(more_parts_than_the_limit_fail_naming_the_setting) {
  fake f = {.part_path = "/sink"};
  pail_part_protocol p = protocol_of(&f, 1000, 4);
  p.max_parts = 3;
  pail_part_writer *w = NULL;
  ck_assert_int_eq(part_writer_open(&cfg, &p, &w, &err), PAIL_OK);
  unsigned char *data = pattern(4001);
  ck_assert_int_eq(part_writer_write(w, data, 4001, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err),
                     "fake: k/object.bin: more than 3 parts of 1000 bytes; "
                     "give the size in advance or raise partSize");
  part_writer_abort(w);
  ck_assert_int_eq(f.started, 3);
  ck_assert_int_eq(f.aborts, 1);
  free(data);
}
END_TEST

START_TEST(copied_parts_carry_their_range_and_no_body) {
  fake f = {.part_path = "/sink"};
  pail_part_writer *w = writer_for(&f, 100000, 2);
  for (int i = 0; i < 5; i++)
    ck_assert_int_eq(part_writer_copy(w, (uint64_t)i << 30, 1 << 30, &err),
                     PAIL_OK);
  ck_assert_int_eq(part_writer_commit(w, NULL, &err), PAIL_OK);
  ck_assert_int_eq(f.completed_parts, 5);
  ck_assert_int_eq(f.singles, 0);
  for (int n = 1; n <= 5; n++)
    ck_assert_uint_eq(f.length[n], 0);
}
END_TEST

static Suite *part_writer_suite(void) {
  Suite *s = suite_create("part_writer");
  TCase *success = tcase_create("success");
  tcase_add_checked_fixture(success, setup, teardown);
  tcase_set_timeout(success, 60);
  tcase_add_test(success, what_fits_in_one_part_goes_up_in_one_request);
  tcase_add_test(success, an_empty_object_is_one_request_with_an_empty_body);
  tcase_add_test(success, parts_from_memory_arrive_whole_and_in_order);
  tcase_add_test(success,
                 file_parts_are_sent_from_the_file_and_a_stream_may_follow);
  tcase_add_test(success, a_file_range_after_a_stream_goes_through_memory);
  tcase_add_test(success, a_stream_holds_no_more_buffers_than_its_budget);
  tcase_add_test(success, a_budget_under_one_part_still_holds_one);
  tcase_add_test(success, a_size_hint_sets_the_part_size_within_the_limit);
  tcase_add_test(success, copied_parts_carry_their_range_and_no_body);
  suite_add_tcase(s, success);

  TCase *failures = tcase_create("failures");
  tcase_add_checked_fixture(failures, setup, teardown);
  tcase_set_timeout(failures, 60);
  tcase_add_test(failures, a_refused_begin_fails_the_write_and_aborts_nothing);
  tcase_add_test(failures, a_failed_part_fails_the_commit_and_aborts_once);
  tcase_add_test(failures, a_failed_part_fails_the_write_that_waits_for_it);
  tcase_add_test(failures, a_failed_complete_aborts);
  tcase_add_test(failures,
                 an_abort_cancels_the_parts_in_flight_before_aborting);
  tcase_add_test(failures, more_parts_than_the_limit_fail_naming_the_setting);
  suite_add_tcase(s, failures);
  return s;
}

int main(void) {
  setenv("no_proxy", "*", 1);
  setenv("NO_PROXY", "*", 1);
  test_storage.name = strdup("parts");
  test_storage.type = strdup("test");
  test_storage.fields = json_object();
  /* One attempt: a part answered 500 fails at once. */
  test_storage.max_attempts = 1;
  cfg.storage = &test_storage;
  cfg.max_attempts = 1;
  cfg.backend_abi = PAIL_BACKEND_ABI_VERSION;
  server_pid = test_server_spawn(NULL, &server_port, &server_stdin);
  int status = test_run_suite(part_writer_suite());
  close(server_stdin);
  kill(server_pid, SIGTERM);
  waitpid(server_pid, NULL, 0);
  json_decref(test_storage.fields);
  free(test_storage.name);
  free(test_storage.type);
  return status;
}
