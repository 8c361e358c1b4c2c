/*
 * pail_bench.c: the in-process figures of bench/run, through libpail's
 * public API (and the services table it lends to plugins).
 *
 *   pail_bench presign SETTINGS SECONDS
 *       presigned GET URLs per second on one thread: pail_sign() on the
 *       settings' primary storage (access check, pointer, backend, SigV4),
 *       and the core's sigv4_presign service alone.
 *   pail_bench smallops SETTINGS COUNT SIZE [THREADS]
 *       COUNT objects of SIZE bytes written (pail_write) then read back
 *       (pail_read) from this one process and workspace, so connections
 *       are reused as a long-running worker reuses them: one after the
 *       other, or by THREADS threads sharing the workspace, each taking
 *       every THREADS-th object (all writes end before the reads begin).
 *
 * Prints one JSON object on stdout. Exits 1 on any failure, naming it.
 */
#include <pail/backend.h>
#include <pail/pail.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what, pail_error *err) {
  fprintf(stderr, "pail_bench: %s: %s\n", what,
          err ? pail_error_message(err) : "failed");
  pail_error_free(err);
  return 1;
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  char *text = NULL;
  size_t length = 0, capacity = 0;
  for (;;) {
    if (length + 4096 + 1 > capacity) {
      capacity = capacity ? capacity * 2 : 8192;
      char *grown = realloc(text, capacity);
      if (grown == NULL)
        break;
      text = grown;
    }
    size_t n = fread(text + length, 1, capacity - length - 1, f);
    length += n;
    if (n == 0)
      break;
  }
  fclose(f);
  if (text != NULL)
    text[length] = '\0';
  return text;
}

static int open_workspace(const char *settings, pail_workspace **ws) {
  char *json = read_file(settings);
  if (json == NULL) {
    fprintf(stderr, "pail_bench: cannot read %s\n", settings);
    return 1;
  }
  pail_error *err = NULL;
  pail_status status = pail_workspace_open_json(json, NULL, ws, &err);
  free(json);
  return status == PAIL_OK ? 0 : fail(settings, err);
}

static int presign(const char *settings, double seconds) {
  pail_workspace *ws = NULL;
  if (open_workspace(settings, &ws) != 0)
    return 1;
  pail_pointer *ptr = NULL;
  pail_error *err = NULL;
  if (pail_pointer_parse("bench/presign/object.csv", NULL, &ptr, &err) !=
      PAIL_OK)
    return fail("pointer", err);
  pail_sign_options options = PAIL_SIGN_OPTIONS_INIT;
  options.at = 1767225600; /* fixed: one signing key, as in a busy second */
  /* The first call loads the plugin and opens the storage. */
  pail_signature sig = {0};
  if (pail_sign(ws, ptr, &options, &sig, &err) != PAIL_OK)
    return fail("pail_sign", err);
  pail_signature_clear(&sig);
  unsigned long api_count = 0;
  double start = now_seconds(), cpu_start = cpu_seconds(), elapsed = 0;
  do {
    for (int i = 0; i < 1000; i++) {
      if (pail_sign(ws, ptr, &options, &sig, &err) != PAIL_OK)
        return fail("pail_sign", err);
      pail_signature_clear(&sig);
    }
    api_count += 1000;
    elapsed = now_seconds() - start;
  } while (elapsed < seconds);
  double api_cpu = cpu_seconds() - cpu_start;

  const pail_core_services *core = pail_core_services_get();
  pail_sigv4_key key = {"AKIAIOSFODNN7EXAMPLE",
                        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                        NULL,
                        "us-east-1",
                        "s3",
                        0};
  const char *url = "https://examplebucket.s3.amazonaws.com/bench/presign/"
                    "object.csv";
  unsigned long core_count = 0;
  start = now_seconds();
  cpu_start = cpu_seconds();
  do {
    for (int i = 0; i < 1000; i++) {
      char *out = NULL;
      if (core->sigv4_presign(&key, "GET", url, NULL, 0, options.at, 3600, &out,
                              &err) != PAIL_OK)
        return fail("sigv4_presign", err);
      free(out);
    }
    core_count += 1000;
    elapsed = now_seconds() - start;
  } while (elapsed < seconds);
  double core_cpu = cpu_seconds() - cpu_start;
  printf("{\"pail_sign_per_second\": %.0f, \"pail_sign_count\": %lu, "
         "\"sigv4_presign_per_second\": %.0f, \"sigv4_presign_count\": %lu}\n",
         (double)api_count / api_cpu, api_count, (double)core_count / core_cpu,
         core_count);
  pail_pointer_free(ptr);
  pail_workspace_close(ws);
  return 0;
}

/* One thread's share of smallops: objects first, first + step, ... */
typedef struct small_share {
  pail_workspace *ws;
  const char *data;
  long count, size, first, step;
  int reading;
  int failed;
} small_share;

static void *small_run(void *arg) {
  small_share *s = arg;
  pail_error *err = NULL;
  char key[64];
  for (long i = s->first; i < s->count; i += s->step) {
    snprintf(key, sizeof key, "bench/small/%06ld", i);
    pail_pointer *ptr = NULL;
    void *back = NULL;
    size_t length = 0;
    if (pail_pointer_parse(key, NULL, &ptr, &err) != PAIL_OK ||
        (s->reading ? pail_read(s->ws, ptr, NULL, &back, &length, &err)
                    : pail_write(s->ws, ptr, s->data, (size_t)s->size, NULL,
                                 &err)) != PAIL_OK) {
      s->failed = fail(key, err);
      pail_pointer_free(ptr);
      return NULL;
    }
    if (s->reading &&
        (length != (size_t)s->size || memcmp(back, s->data, length) != 0)) {
      fprintf(stderr, "pail_bench: %s came back different\n", key);
      s->failed = 1;
    }
    free(back);
    pail_pointer_free(ptr);
    if (s->failed)
      return NULL;
  }
  return NULL;
}

/* Runs one phase (writes or reads) on `threads` threads; 0 on success. */
static int small_phase(small_share *shares, long threads, int reading) {
  pthread_t ids[64];
  for (long t = 0; t < threads; t++) {
    shares[t].reading = reading;
    if (threads > 1 &&
        pthread_create(&ids[t], NULL, small_run, &shares[t]) != 0) {
      fprintf(stderr, "pail_bench: cannot start a thread\n");
      return 1;
    }
  }
  if (threads == 1)
    small_run(&shares[0]);
  else
    for (long t = 0; t < threads; t++)
      pthread_join(ids[t], NULL);
  for (long t = 0; t < threads; t++)
    if (shares[t].failed)
      return 1;
  return 0;
}

static int smallops(const char *settings, long count, long size, long threads) {
  if (threads < 1 || threads > 64) {
    fprintf(stderr, "pail_bench: THREADS must be 1 to 64\n");
    return 2;
  }
  pail_workspace *ws = NULL;
  if (open_workspace(settings, &ws) != 0)
    return 1;
  char *data = malloc((size_t)size);
  if (data == NULL)
    return 1;
  for (long i = 0; i < size; i++)
    data[i] = (char)('a' + i % 26);
  small_share shares[64];
  for (long t = 0; t < threads; t++)
    shares[t] = (small_share){ws, data, count, size, t, threads, 0, 0};
  double start = now_seconds(), cpu_start = cpu_seconds();
  if (small_phase(shares, threads, 0) != 0)
    return 1;
  double put_seconds = now_seconds() - start;
  double middle = now_seconds();
  if (small_phase(shares, threads, 1) != 0)
    return 1;
  double get_seconds = now_seconds() - middle;
  double cpu = cpu_seconds() - cpu_start;
  printf("{\"count\": %ld, \"size\": %ld, \"threads\": %ld, "
         "\"put_seconds\": %.4f, \"get_seconds\": %.4f, "
         "\"cpu_seconds\": %.4f, \"ops_per_second\": %.1f}\n",
         count, size, threads, put_seconds, get_seconds, cpu,
         (double)(2 * count) / (put_seconds + get_seconds));
  free(data);
  pail_workspace_close(ws);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "presign") == 0)
    return presign(argv[2], atof(argv[3]));
  if ((argc == 5 || argc == 6) && strcmp(argv[1], "smallops") == 0)
    return smallops(argv[2], atol(argv[3]), atol(argv[4]),
                    argc == 6 ? atol(argv[5]) : 1);
  fprintf(stderr, "usage: pail_bench presign SETTINGS SECONDS\n"
                  "       pail_bench smallops SETTINGS COUNT SIZE [THREADS]\n");
  return 2;
}
