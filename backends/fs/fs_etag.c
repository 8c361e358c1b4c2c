/*
 * fs_etag.c: etags, content hashes like S3's (hex MD5, quoted). Hashing is
 * a whole read of the file, so the etag is cached in an xattr with the size
 * and mtime it belongs to: a file changed behind our back is hashed again.
 */
#include "fs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#define ETAG_CACHE_VERSION "v1"

void fs_etag_from_digest(const unsigned char digest[16],
                         char etag[FS_ETAG_SIZE]) {
  etag[0] = '"';
  fs_core->hex_encode(digest, 16, etag + 1);
  etag[33] = '"';
  etag[34] = '\0';
}

/* A new MD5 context; OpenSSL in FIPS mode refuses MD5, which the etags
 * (compatible with S3's) cannot do without. */
pail_status fs_md5_begin(EVP_MD_CTX **md5, pail_error **err) {
  if ((*md5 = EVP_MD_CTX_new()) == NULL)
    return fs_no_memory(err);
  if (EVP_DigestInit_ex(*md5, EVP_md5(), NULL))
    return PAIL_OK;
  EVP_MD_CTX_free(*md5);
  *md5 = NULL;
  return fs_core->error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                            "fs: OpenSSL refuses MD5 (FIPS mode?), which "
                            "the fs backend needs for etags");
}

/* The size and mtime an etag cache entry is valid for. */
static void etag_cache_prefix(const struct stat *st, char *out, size_t size) {
  snprintf(out, size, ETAG_CACHE_VERSION " %llu %lld.%09ld ",
           (unsigned long long)st->st_size, (long long)st->st_mtim.tv_sec,
           (long)st->st_mtim.tv_nsec);
}

bool fs_etag_cache_get(int fd, const struct stat *st, char etag[FS_ETAG_SIZE]) {
  char value[128], prefix[80];
  ssize_t n = fgetxattr(fd, FS_XATTR_ETAG, value, sizeof value - 1);
  if (n < 0)
    return false;
  value[n] = '\0';
  etag_cache_prefix(st, prefix, sizeof prefix);
  size_t length = strlen(prefix);
  if (strncmp(value, prefix, length) != 0 ||
      strlen(value + length) != FS_ETAG_SIZE - 1)
    return false;
  memcpy(etag, value + length, FS_ETAG_SIZE);
  return true;
}

/* Best effort: without xattrs (or write permission) the next stat hashes
 * again. Setting an xattr changes ctime, not mtime, so the entry stays
 * valid. */
void fs_etag_cache_put(int fd, const struct stat *st,
                       const char etag[FS_ETAG_SIZE]) {
  char value[128];
  etag_cache_prefix(st, value, sizeof value);
  strcat(value, etag);
  (void)fsetxattr(fd, FS_XATTR_ETAG, value, strlen(value), 0);
}

/* Hashes a whole file through one bounded buffer. */
static pail_status etag_compute(int fd, const char *key,
                                char etag[FS_ETAG_SIZE], pail_error **err) {
  EVP_MD_CTX *md5 = NULL;
  unsigned char *buffer = malloc(FS_READ_BUFFER_SIZE);
  pail_status status = buffer ? fs_md5_begin(&md5, err) : fs_no_memory(err);
  if (status != PAIL_OK)
    goto done;
  off_t offset = 0;
  for (;;) {
    ssize_t n = pread(fd, buffer, FS_READ_BUFFER_SIZE, offset);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      status = fs_errno_error(err, errno, "read", key);
      goto done;
    }
    if (n == 0)
      break;
    EVP_DigestUpdate(md5, buffer, (size_t)n);
    offset += n;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  EVP_DigestFinal_ex(md5, digest, &digest_length);
  fs_etag_from_digest(digest, etag);
done:
  EVP_MD_CTX_free(md5);
  free(buffer);
  return status;
}

/* The etag of an open file: from the cache when it still matches the file,
 * else hashed (and cached). */
pail_status fs_etag_of_file(int fd, const struct stat *st, const char *key,
                            char etag[FS_ETAG_SIZE], pail_error **err) {
  if (fs_etag_cache_get(fd, st, etag))
    return PAIL_OK;
  pail_status status = etag_compute(fd, key, etag, err);
  if (status == PAIL_OK)
    fs_etag_cache_put(fd, st, etag);
  return status;
}

/* S3 compares If-Match values quoted; people often pass them bare. "*"
 * matches any object. */
bool fs_etag_matches(const char *etag, const char *wanted) {
  if (strcmp(wanted, "*") == 0)
    return true;
  size_t a = strlen(etag), b = strlen(wanted);
  if (a >= 2 && etag[0] == '"' && etag[a - 1] == '"')
    etag++, a -= 2;
  if (b >= 2 && wanted[0] == '"' && wanted[b - 1] == '"')
    wanted++, b -= 2;
  return a == b && memcmp(etag, wanted, a) == 0;
}
