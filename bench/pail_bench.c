/*
 * pail_bench.c: the in-process figures of bench/run, through libpail's
 * public API (and the services table it lends to plugins).
 *
 *   pail_bench presign SETTINGS SECONDS
 *       presigned GET URLs per second on one thread: pail_sign() on the
 *       settings' primary storage (access check, pointer, backend, SigV4),
 *       and the core's sigv4_presign service alone.
 *   pail_bench smallops SETTINGS COUNT SIZE
 *       COUNT objects of SIZE bytes written (pail_write) then read back
 *       (pail_read) one after the other from this one process and
 *       workspace, so connections are reused as a long-running worker
 *       reuses them.
 *
 * Prints one JSON object on stdout. Exits 1 on any failure, naming it.
 */
#include <pail/backend.h>
#include <pail/pail.h>

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
                        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL,
                        "us-east-1", "s3", 0};
  const char *url = "https://examplebucket.s3.amazonaws.com/bench/presign/"
                    "object.csv";
  unsigned long core_count = 0;
  start = now_seconds();
  cpu_start = cpu_seconds();
  do {
    for (int i = 0; i < 1000; i++) {
      char *out = NULL;
      if (core->sigv4_presign(&key, "GET", url, NULL, 0, options.at, 3600,
                              &out, &err) != PAIL_OK)
        return fail("sigv4_presign", err);
      free(out);
    }
    core_count += 1000;
    elapsed = now_seconds() - start;
  } while (elapsed < seconds);
  double core_cpu = cpu_seconds() - cpu_start;
  printf("{\"pail_sign_per_second\": %.0f, \"pail_sign_count\": %lu, "
         "\"sigv4_presign_per_second\": %.0f, \"sigv4_presign_count\": %lu}\n",
         (double)api_count / api_cpu, api_count,
         (double)core_count / core_cpu, core_count);
  pail_pointer_free(ptr);
  pail_workspace_close(ws);
  return 0;
}

static int smallops(const char *settings, long count, long size) {
  pail_workspace *ws = NULL;
  if (open_workspace(settings, &ws) != 0)
    return 1;
  char *data = malloc((size_t)size);
  if (data == NULL)
    return 1;
  for (long i = 0; i < size; i++)
    data[i] = (char)('a' + i % 26);
  pail_error *err = NULL;
  double start = now_seconds(), cpu_start = cpu_seconds();
  char key[64];
  for (long i = 0; i < count; i++) {
    snprintf(key, sizeof key, "bench/small/%06ld", i);
    pail_pointer *ptr = NULL;
    if (pail_pointer_parse(key, NULL, &ptr, &err) != PAIL_OK ||
        pail_write(ws, ptr, data, (size_t)size, NULL, &err) != PAIL_OK)
      return fail(key, err);
    pail_pointer_free(ptr);
  }
  double put_seconds = now_seconds() - start;
  double middle = now_seconds();
  for (long i = 0; i < count; i++) {
    snprintf(key, sizeof key, "bench/small/%06ld", i);
    pail_pointer *ptr = NULL;
    void *back = NULL;
    size_t length = 0;
    if (pail_pointer_parse(key, NULL, &ptr, &err) != PAIL_OK ||
        pail_read(ws, ptr, NULL, &back, &length, &err) != PAIL_OK)
      return fail(key, err);
    if (length != (size_t)size || memcmp(back, data, length) != 0) {
      fprintf(stderr, "pail_bench: %s came back different\n", key);
      return 1;
    }
    free(back);
    pail_pointer_free(ptr);
  }
  double get_seconds = now_seconds() - middle;
  double cpu = cpu_seconds() - cpu_start;
  printf("{\"count\": %ld, \"size\": %ld, \"put_seconds\": %.4f, "
         "\"get_seconds\": %.4f, \"cpu_seconds\": %.4f, "
         "\"ops_per_second\": %.1f}\n",
         count, size, put_seconds, get_seconds, cpu,
         (double)(2 * count) / (put_seconds + get_seconds));
  free(data);
  pail_workspace_close(ws);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "presign") == 0)
    return presign(argv[2], atof(argv[3]));
  if (argc == 5 && strcmp(argv[1], "smallops") == 0)
    return smallops(argv[2], atol(argv[3]), atol(argv[4]));
  fprintf(stderr, "usage: pail_bench presign SETTINGS SECONDS\n"
                  "       pail_bench smallops SETTINGS COUNT SIZE\n");
  return 2;
}
