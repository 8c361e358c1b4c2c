/*
 * spool.c: the body of a multipart upload's part on its way to a backend
 * that takes parts natively (ABI 1.18 upload_part), held in an unlinked
 * temporary file. The part reaches the backend only after every check of
 * its payload has passed (a corrupt part is never stored), memory stays
 * bounded whatever the part's size, and the backend sends it from the file,
 * so a retry reads it again. Nothing of it outlives the request: the file
 * has no name, and closing it frees it.
 */
#include "exchange.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct gateway_spool {
  int fd;
  uint64_t length, limit;
  crypto_digest *md5;
  const char *directory; /* for messages */
};

/* $TMPDIR when it is an absolute path, else /tmp. */
static const char *spool_directory(void) {
  const char *dir = getenv("TMPDIR");
  return dir != NULL && dir[0] == '/' ? dir : "/tmp";
}

/* A new file in dir that has no name: O_TMPFILE, or where the file system
 * has none, mkstemp then unlink. -1 with errno set on failure. */
static int unnamed_file(const char *dir) {
  int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
    return fd;
  char *path = str_printf("%s/.pail-part-XXXXXX", dir);
  if (path == NULL) {
    errno = ENOMEM;
    return -1;
  }
  fd = mkostemp(path, O_CLOEXEC);
  if (fd >= 0)
    unlink(path);
  free(path);
  return fd;
}

pail_status gateway_spool_open(uint64_t limit, gateway_spool **out,
                               pail_error **err) {
  *out = NULL;
  gateway_spool *s = calloc(1, sizeof *s);
  if (s == NULL || (s->md5 = crypto_digest_new(CRYPTO_DIGEST_MD5)) == NULL) {
    free(s);
    return error_no_memory(err);
  }
  s->limit = limit;
  s->directory = spool_directory();
  s->fd = unnamed_file(s->directory);
  if (s->fd < 0) {
    pail_status status = pail_error_set(
        err, PAIL_ERR_IO, 0, NULL, NULL,
        "cannot make a temporary file in %s for a part on its way to the "
        "storage: %s",
        s->directory, strerror(errno));
    crypto_digest_free(s->md5);
    free(s);
    return status;
  }
  *out = s;
  return PAIL_OK;
}

pail_status gateway_spool_write(gateway_spool *s, const void *data,
                                size_t length, pail_error **err) {
  if (length > s->limit - s->length)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 400, "EntityTooLarge",
                          NULL, "a part may hold at most %llu bytes",
                          (unsigned long long)s->limit);
  crypto_digest_update(s->md5, data, length);
  const char *p = data;
  while (length > 0) {
    ssize_t n = write(s->fd, p, length);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return pail_error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                            "cannot hold a part in a temporary file in %s "
                            "(after %llu bytes): %s",
                            s->directory, (unsigned long long)s->length,
                            n < 0 ? strerror(errno) : "nothing written");
    p += n;
    length -= (size_t)n;
    s->length += (uint64_t)n;
  }
  return PAIL_OK;
}

int gateway_spool_fd(const gateway_spool *s) {
  return s->fd;
}

uint64_t gateway_spool_length(const gateway_spool *s) {
  return s->length;
}

void gateway_spool_md5_hex(gateway_spool *s, char out[33]) {
  unsigned char digest[32];
  crypto_digest_final(s->md5, digest);
  crypto_hex_encode(digest, 16, out);
}

void gateway_spool_free(gateway_spool *s) {
  if (s == NULL)
    return;
  close(s->fd);
  crypto_digest_free(s->md5);
  free(s);
}
