/*
 * concurrency.c: THREADS threads share one workspace handle and run OPS
 * mixed operations in all (puts of 0 B to BIG bytes, whole and ranged reads,
 * streamed reads, stats, listings, copies, deletes) on the primary storage
 * of SETTINGS, with the library logging at debug level to a shared sink.
 * Built to run under ThreadSanitizer (./configure CC=clang
 * --enable-sanitizers=thread) or helgrind; tests/concurrency.sh drives it
 * against mem, fs and moto.
 *
 *   concurrency SETTINGS OPS THREADS SEED BIG
 *
 * Each thread owns 8 keys and keeps a model of them: every read of its own
 * keys must give exactly the bytes it last wrote (or not found after a
 * delete). 4 keys are shared by every thread: their objects describe
 * themselves (a header with the seed and size that generate the rest), so a
 * read of one must be some whole object some thread wrote, never a mix.
 * Any other failure is a violation. Exits 0 when there were none, printing
 * the counts.
 */
#include <pail/pail.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OWN_KEYS 8
#define SHARED_KEYS 4
#define HEADER 24 /* "cc" + 16 hex of the seed + 6 hex of the size */

enum {
  PUT,
  GET,
  RANGE,
  STREAM,
  STAT,
  LIST,
  COPY,
  DELETE,
  SHARED_PUT,
  SHARED_GET,
  OP_KINDS
};
static const char *const op_names[OP_KINDS] = {
    "put",  "get",  "range",  "stream",     "stat",
    "list", "copy", "delete", "shared put", "shared get"};
static const int op_weights[OP_KINDS] = {6, 5, 3, 2, 3, 1, 1, 1, 2, 2};

static pail_workspace *workspace;
static int ops_per_thread;
static size_t big_size;
static unsigned long seed0;
static atomic_long op_counts[OP_KINDS];
static atomic_long violations, not_found, log_lines;

typedef struct model {
  int present;
  uint64_t seed;
  size_t size;
} model;

typedef struct thread_state {
  int index;
  uint64_t rng;
  model keys[OWN_KEYS];
} thread_state;

static uint64_t next_random(uint64_t *state) { /* splitmix64 */
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* The bytes of the object (seed, size): a header naming both, then bytes
 * from the seed. Objects smaller than the header are the header's prefix. */
static unsigned char *object_bytes(uint64_t seed, size_t size) {
  unsigned char *data = malloc(size > HEADER ? size : HEADER + 1);
  if (data == NULL)
    abort();
  char header[HEADER + 1];
  snprintf(header, sizeof header, "cc%016" PRIx64 "%06zx", seed,
           size & 0xffffff);
  memcpy(data, header, size < HEADER ? size : HEADER);
  uint64_t state = seed;
  for (size_t i = HEADER; i < size; i++)
    data[i] = (unsigned char)(next_random(&state) >> 56);
  return data;
}

static void violation(thread_state *t, const char *what, const char *key,
                      pail_error *err) {
  atomic_fetch_add(&violations, 1);
  fprintf(stderr, "VIOLATION (thread %d): %s %s: %s\n", t->index, what, key,
          err ? pail_error_message(err) : "");
}

/* A failure that is not "not found" is a violation; true when it was. */
static int failed(thread_state *t, pail_status status, const char *what,
                  const char *key, pail_error *err) {
  if (status == PAIL_ERR_NOT_FOUND) {
    atomic_fetch_add(&not_found, 1);
    return 0;
  }
  violation(t, what, key, err);
  return 1;
}

static size_t pick_size(thread_state *t) {
  static const size_t sizes[] = {0, 1, 100, 4096, 70000};
  uint64_t r = next_random(&t->rng) % 100;
  if (big_size > 0 && r == 0)
    return big_size;
  return sizes[r % (sizeof sizes / sizeof sizes[0])];
}

static void own_key(thread_state *t, int k, char *out, size_t n) {
  snprintf(out, n, "conc/t%d/k%d", t->index, k);
}

static void check_read(thread_state *t, const model *m, const char *what,
                       const char *key, pail_status status, void *data,
                       size_t length, uint64_t offset, uint64_t want,
                       pail_error *err) {
  if (!m->present) {
    if (status != PAIL_ERR_NOT_FOUND)
      violation(t, what, key, status == PAIL_OK ? NULL : err);
    else
      atomic_fetch_add(&not_found, 1);
    return;
  }
  if (status != PAIL_OK) {
    violation(t, what, key, err);
    return;
  }
  unsigned char *expected = object_bytes(m->seed, m->size);
  if (want > m->size - offset)
    want = m->size - offset;
  if (length != want || memcmp(data, expected + offset, want) != 0)
    violation(t, what, key, NULL);
  free(expected);
}

static void op_put(thread_state *t, const char *key, model *m) {
  size_t size = pick_size(t);
  uint64_t seed = next_random(&t->rng);
  unsigned char *data = object_bytes(seed, size);
  pail_pointer ptr = {.key = (char *)key};
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  options.size_hint = size;
  pail_error *err = NULL;
  pail_status status = pail_write(workspace, &ptr, data, size, &options, &err);
  if (status == PAIL_OK && m != NULL)
    *m = (model){1, seed, size};
  else if (status != PAIL_OK)
    violation(t, "put", key, err);
  pail_error_free(err);
  free(data);
}

static void op_get(thread_state *t, const char *key, const model *m,
                   int ranged) {
  pail_pointer ptr = {.key = (char *)key};
  pail_read_options options = PAIL_READ_OPTIONS_INIT;
  if (ranged && m->present && m->size > 1) {
    options.offset = next_random(&t->rng) % (m->size - 1);
    options.length = 1 + next_random(&t->rng) % (m->size - options.offset);
  }
  void *data = NULL;
  size_t length = 0;
  pail_error *err = NULL;
  pail_status status =
      pail_read(workspace, &ptr, &options, &data, &length, &err);
  check_read(t, m, ranged ? "range" : "get", key, status, data, length,
             options.offset, options.length, err);
  free(data);
  pail_error_free(err);
}

static void op_stream(thread_state *t, const char *key, const model *m) {
  pail_pointer ptr = {.key = (char *)key};
  pail_read_options options = PAIL_READ_OPTIONS_INIT;
  pail_reader *reader = NULL;
  pail_error *err = NULL;
  pail_status status =
      pail_reader_open(workspace, &ptr, &options, &reader, &err);
  unsigned char *data = NULL;
  size_t length = 0;
  if (status == PAIL_OK) {
    size_t size = pail_reader_info(reader)->size;
    data = malloc(size + 1);
    size_t got = 0;
    while ((status = pail_reader_read(reader, data + length, size + 1 - length,
                                      &got, &err)) == PAIL_OK &&
           got > 0 && length + got <= size)
      length += got;
    pail_reader_close(reader);
  }
  check_read(t, m, "stream", key, status, data, length, 0, PAIL_READ_TO_END,
             err);
  free(data);
  pail_error_free(err);
}

static void op_stat(thread_state *t, const char *key, const model *m) {
  pail_pointer ptr = {.key = (char *)key};
  pail_object_info info = {0};
  pail_error *err = NULL;
  pail_status status = pail_stat(workspace, &ptr, &info, &err);
  if (m->present && (status != PAIL_OK || info.size != m->size))
    violation(t, "stat", key, err);
  else if (!m->present && status != PAIL_ERR_NOT_FOUND)
    violation(t, "stat", key, err);
  pail_object_info_clear(&info);
  pail_error_free(err);
}

static void op_list(thread_state *t) {
  char prefix[64];
  snprintf(prefix, sizeof prefix, "conc/t%d/", t->index);
  pail_pointer ptr = {.key = prefix};
  pail_list_options options = PAIL_LIST_OPTIONS_INIT;
  options.recursive = 1;
  pail_list_page page = {0};
  pail_error *err = NULL;
  pail_status status = pail_list(workspace, &ptr, &options, &page, &err);
  if (status != PAIL_OK) {
    violation(t, "list", prefix, err);
  } else {
    size_t want = 0;
    for (int k = 0; k < OWN_KEYS; k++)
      want += t->keys[k].present ? 1 : 0;
    if (page.count != want || page.next_page_token != NULL)
      violation(t, "list (count)", prefix, NULL);
    for (size_t i = 0; i < page.count; i++) {
      int k = atoi(page.entries[i].key + strlen(prefix) + 1);
      if (k < 0 || k >= OWN_KEYS || !t->keys[k].present ||
          page.entries[i].size != t->keys[k].size)
        violation(t, "list (entry)", page.entries[i].key, NULL);
    }
  }
  pail_list_page_clear(&page);
  pail_error_free(err);
}

static void op_copy(thread_state *t, int from, int to) {
  char src_key[64], dst_key[64];
  own_key(t, from, src_key, sizeof src_key);
  own_key(t, to, dst_key, sizeof dst_key);
  pail_pointer src = {.key = src_key}, dst = {.key = dst_key};
  pail_error *err = NULL;
  pail_status status = pail_copy(workspace, &src, &dst, NULL, &err);
  if (status == PAIL_OK) {
    if (!t->keys[from].present)
      violation(t, "copy from a missing key", src_key, NULL);
    t->keys[to] = t->keys[from];
  } else if (t->keys[from].present || status != PAIL_ERR_NOT_FOUND) {
    failed(t, status, "copy", src_key, err);
  } else {
    atomic_fetch_add(&not_found, 1);
  }
  pail_error_free(err);
}

static void op_delete(thread_state *t, const char *key, model *m) {
  pail_pointer ptr = {.key = (char *)key};
  pail_error *err = NULL;
  pail_status status = pail_delete(workspace, &ptr, &err);
  /* S3 cannot tell a missing key: both answers are fine then. */
  if (status == PAIL_OK || (!m->present && status == PAIL_ERR_NOT_FOUND))
    m->present = 0;
  else
    failed(t, status, "delete", key, err);
  pail_error_free(err);
}

/* A shared key holds some whole object a thread wrote (or none yet). */
static void op_shared_get(thread_state *t, const char *key) {
  pail_pointer ptr = {.key = (char *)key};
  void *data = NULL;
  size_t length = 0;
  pail_error *err = NULL;
  pail_status status = pail_read(workspace, &ptr, NULL, &data, &length, &err);
  if (status == PAIL_OK) {
    char header[HEADER + 1] = {0};
    uint64_t seed = 0;
    size_t size = 0;
    memcpy(header, data, length < HEADER ? length : HEADER);
    if (length >= HEADER &&
        sscanf(header, "cc%16" SCNx64 "%6zx", &seed, &size) == 2 &&
        size == (length & 0xffffff)) {
      unsigned char *expected = object_bytes(seed, length);
      if (memcmp(expected, data, length) != 0)
        violation(t, "shared get (mixed bytes)", key, NULL);
      free(expected);
    } else if (length >= HEADER ||
               memcmp(data, "cc", length < 2 ? length : 2) != 0) {
      violation(t, "shared get (not an object written)", key, NULL);
    }
  } else {
    failed(t, status, "shared get", key, err);
  }
  free(data);
  pail_error_free(err);
}

static void *run(void *arg) {
  thread_state *t = arg;
  int total = 0;
  for (int i = 0; i < OP_KINDS; i++)
    total += op_weights[i];
  for (int n = 0; n < ops_per_thread; n++) {
    int r = (int)(next_random(&t->rng) % (uint64_t)total), op = 0;
    while (r >= op_weights[op])
      r -= op_weights[op++];
    atomic_fetch_add(&op_counts[op], 1);
    int k = (int)(next_random(&t->rng) % OWN_KEYS);
    char key[64];
    own_key(t, k, key, sizeof key);
    char shared[64];
    snprintf(shared, sizeof shared, "conc/shared/k%d",
             (int)(next_random(&t->rng) % SHARED_KEYS));
    switch (op) {
    case PUT:
      op_put(t, key, &t->keys[k]);
      break;
    case GET:
      op_get(t, key, &t->keys[k], 0);
      break;
    case RANGE:
      op_get(t, key, &t->keys[k], 1);
      break;
    case STREAM:
      op_stream(t, key, &t->keys[k]);
      break;
    case STAT:
      op_stat(t, key, &t->keys[k]);
      break;
    case LIST:
      op_list(t);
      break;
    case COPY:
      op_copy(t, k, (k + 1) % OWN_KEYS);
      break;
    case DELETE:
      op_delete(t, key, &t->keys[k]);
      break;
    case SHARED_PUT:
      op_put(t, shared, NULL);
      break;
    case SHARED_GET:
      op_shared_get(t, shared);
      break;
    }
  }
  return NULL;
}

/* Every line is counted; retries, resumed and restarted reads (info and
 * above) also go to stderr, to tell what led to a violation. */
static void log_sink(void *user_data, pail_log_level level,
                     const char *message) {
  (void)user_data;
  if (level <= PAIL_LOG_INFO)
    fprintf(stderr, "log: %s\n", message);
  atomic_fetch_add(&log_lines, 1);
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: concurrency SETTINGS OPS THREADS SEED BIG\n");
    return 2;
  }
  long ops = atol(argv[2]), threads = atol(argv[3]);
  seed0 = strtoul(argv[4], NULL, 10);
  big_size = (size_t)atol(argv[5]);
  if (ops < 1 || threads < 1 || threads > 64) {
    fprintf(stderr, "concurrency: OPS must be positive, THREADS 1 to 64\n");
    return 2;
  }
  ops_per_thread = (int)(ops / threads);
  pail_options options = PAIL_OPTIONS_INIT;
  options.log = log_sink;
  options.log_level = PAIL_LOG_DEBUG;
  pail_error *err = NULL;
  if (pail_workspace_open(argv[1], &options, &workspace, &err) != PAIL_OK) {
    fprintf(stderr, "concurrency: %s\n", pail_error_message(err));
    pail_error_free(err);
    return 1;
  }
  pthread_t ids[64];
  thread_state *states = calloc((size_t)threads, sizeof *states);
  for (int i = 0; i < threads; i++) {
    states[i].index = i;
    states[i].rng = seed0 * 1000003u + (uint64_t)i;
    if (pthread_create(&ids[i], NULL, run, &states[i]) != 0) {
      fprintf(stderr, "concurrency: cannot start thread %d\n", i);
      return 1;
    }
  }
  for (int i = 0; i < threads; i++)
    pthread_join(ids[i], NULL);
  free(states);
  pail_workspace_close(workspace);
  long done = 0;
  printf("concurrency: %ld threads, one workspace:", threads);
  for (int i = 0; i < OP_KINDS; i++) {
    printf(" %s %ld%s", op_names[i], atomic_load(&op_counts[i]),
           i + 1 < OP_KINDS ? "," : "");
    done += atomic_load(&op_counts[i]);
  }
  printf("; %ld operations, %ld not found as expected, %ld log lines, "
         "%ld violations\n",
         done, atomic_load(&not_found), atomic_load(&log_lines),
         atomic_load(&violations));
  return atomic_load(&violations) == 0 ? 0 : 1;
}
