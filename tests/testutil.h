/*
 * testutil.h: small helpers shared by the Check unit tests.
 */
#ifndef PAIL_TESTUTIL_H
#define PAIL_TESTUTIL_H

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* Asserts that s contains needle, showing both when it does not. */
#define ck_assert_contains(s, needle)                                          \
  ck_assert_msg((s) != NULL && strstr((s), (needle)) != NULL,                  \
                "expected \"%s\" to contain \"%s\"", (s) ? (s) : "(null)",     \
                (needle))

/* A fresh directory under $TMPDIR (or /tmp); caller frees and removes. */
static inline char *test_tempdir(void) {
  const char *base = getenv("TMPDIR");
  char *path = NULL;
  ck_assert_int_ge(asprintf(&path, "%s/pail-test-XXXXXX", base ? base : "/tmp"),
                   0);
  ck_assert_ptr_nonnull(mkdtemp(path));
  return path;
}

static inline int test_remove_entry(const char *path, const struct stat *st,
                                    int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

/* rm -rf path, then free it. */
static inline void test_tempdir_remove(char *path) {
  nftw(path, test_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(path);
}

static inline void test_write_file(const char *path, const char *content) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(content, 1, strlen(content), f), strlen(content));
  ck_assert_int_eq(fclose(f), 0);
}

/* Runs a suite and returns the process exit status for automake. No unit
 * test may reach a cloud metadata address, run by make or by hand: the
 * AWS chain's instance metadata is off, and Azure's points at a closed
 * loopback port (a test that wants them sets them itself). */
static inline int test_run_suite(Suite *suite) {
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:1", 1);
  SRunner *runner = srunner_create(suite);
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Starts tests/http_server.py (found through $top_srcdir) with extra
 * (NULL-ended) arguments; its port goes to *port, the pipe that keeps it alive
 * to *keep. */
static inline pid_t test_server_spawn(const char *const *extra, int *port,
                                      int *keep) {
  const char *srcdir = getenv("top_srcdir");
  char *script = NULL;
  int out[2], in[2];
  if (asprintf(&script, "%s/tests/http_server.py", srcdir ? srcdir : ".") < 0 ||
      pipe(out) != 0 || pipe(in) != 0) {
    perror("test_server_spawn");
    exit(EXIT_FAILURE);
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(in[0], STDIN_FILENO);
    close(out[0]);
    close(out[1]);
    close(in[0]);
    close(in[1]);
    const char *argv[16] = {"python3", script, "--exit-on-eof"};
    for (size_t i = 0; extra && extra[i] && i < 12; i++)
      argv[3 + i] = extra[i];
    execvp("python3", (char *const *)argv);
    perror("python3");
    _exit(127);
  }
  close(out[1]);
  close(in[0]);
  *keep = in[1];
  char line[32] = "";
  FILE *from = fdopen(out[0], "r");
  if (from == NULL || fgets(line, sizeof line, from) == NULL ||
      (*port = atoi(line)) <= 0) {
    fprintf(stderr, "%s did not start\n", script);
    exit(EXIT_FAILURE);
  }
  fclose(from);
  free(script);
  return pid;
}

#endif /* PAIL_TESTUTIL_H */
