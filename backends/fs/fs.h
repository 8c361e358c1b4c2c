/*
 * fs.h: what the files of the fs backend share. Not installed.
 *
 * The fs backend stores each object as a regular file under root_path. It
 * is the embedded default storage, so it must be safe with nothing but a
 * path configured: writes are atomic (temporary file, fsync, rename), keys
 * never escape the root, and etags are content hashes like S3's. Keys
 * are resolved one segment at a time from a descriptor of the root, never
 * following a symbolic link, so that no key (and no link planted under the
 * root) can reach a file outside it. Names starting with ".pail-" are the
 * backend's own (temporary files): keys using them are refused and listings
 * hide them.
 */
#ifndef PAIL_BACKEND_FS_H
#define PAIL_BACKEND_FS_H

/* Must precede every system header: it turns on _GNU_SOURCE. */
#include <config.h>

#include <pail/backend.h>

#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#define FS_RESERVED_PREFIX ".pail-"
#define FS_RESERVED_PREFIX_LENGTH 6
/* A write's temporary file, beside where its object goes: the prefix, then
 * 16 random hex digits. */
#define FS_TEMP_PREFIX FS_RESERVED_PREFIX "tmp."
/* On a temporary file: the key its write is for (pail cleanup shows it). */
#define FS_XATTR_TEMP_KEY "user.pail.temp_key"
#define FS_TEMP_NAME_SIZE 64

/* What a file cannot hold, kept in user extended attributes (fs_xattr.c,
 * fs_etag.c). */
#define FS_XATTR_ETAG "user.pail.etag"
#define FS_XATTR_CONTENT_TYPE "user.pail.content_type"
#define FS_XATTR_CONTENT_DISPOSITION "user.pail.content_disposition"
#define FS_XATTR_METADATA "user.pail.metadata"

/* Quoted hex MD5, as S3 reports it: '"' + 32 digits + '"'. */
#define FS_ETAG_SIZE 35

/* A concurrent delete may remove a directory a write has just walked into
 * (it was empty); the write then walks again, this many times at most. */
#define FS_WALK_ATTEMPTS 8

/* A file read through this process (hashed, or copied where the kernel
 * cannot copy) goes through a buffer of this size. */
#define FS_READ_BUFFER_SIZE (1u << 20)
/* The most copy_file_range is asked for at once. */
#define FS_COPY_CHUNK_SIZE (64u << 20)

/* Directories are opened readable (not O_PATH) so that they can be fsync'ed
 * after a rename and listed. */
#define FS_DIR_OPEN_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* The services table the core lent at entry; lives for the process. */
extern const pail_core_services *fs_core;

/* One configured storage. Everything but root_fd is fixed at open;
 * root_fd is opened once (at open, or by create_container when the root
 * did not exist yet) under lock and never changes afterwards. */
typedef struct fs_instance {
  const pail_config *cfg;
  char *root_path;
  pthread_mutex_t lock;
  int root_fd; /* O_PATH descriptor of the root, -1 until it exists */
} fs_instance;

/* ------------------------------------------ errors and the root (fs.c) */

/* Sets *err from errnum for an action on key ("cannot <action> "key": ...")
 * and returns the category: ENOENT not found, EACCES/EPERM/EROFS access
 * denied, EEXIST conflict, ENOSPC/EIO io, and so on. */
pail_status fs_errno_error(pail_error **err, int errnum, const char *action,
                           const char *key);

/* Sets *err to "out of memory" and returns PAIL_ERR_INTERNAL. */
pail_status fs_no_memory(pail_error **err);

/* Returns the root's descriptor (owned by the instance: do not close), or
 * PAIL_ERR_NOT_FOUND telling the user to run `pail mb` when the root does
 * not exist. */
pail_status fs_root(fs_instance *fs, int *fd, pail_error **err);

/* Sets *err for errnum from opening the storage root: a missing root says
 * to run `pail mb`, a file in its place is an invalid argument. */
pail_status fs_root_error(fs_instance *fs, int errnum, pail_error **err);

/* ------------------------------------------- keys to paths (fs_keys.c) */

typedef enum fs_walk_mode { FS_WALK_READ, FS_WALK_CREATE } fs_walk_mode;

/* A key resolved down to the directory that holds its last segment. */
typedef struct fs_path {
  char *segments;      /* copy of the key, every '/' replaced by NUL */
  const char *leaf;    /* last segment, inside segments */
  size_t depth;        /* directory segments above the leaf */
  int dirfd;           /* readable descriptor of the leaf's directory */
  size_t created_from; /* first directory this walk created, or SIZE_MAX */
} fs_path;

/* True when name (one path segment) is reserved for the backend. */
bool fs_name_is_reserved(const char *name);

/* Resolves key to its leaf's directory into *p, one segment at a time from
 * the root and never through a symbolic link. FS_WALK_CREATE creates
 * missing directories and records the first it created; when it fails, it
 * removes again those it created. On success free *p with fs_path_clear. */
pail_status fs_path_open(fs_instance *fs, const char *key, fs_walk_mode mode,
                         fs_path *p, pail_error **err);

/* Closes p's directory and frees its segments; p may be cleared again. */
void fs_path_clear(fs_path *p);

/* Removes the now-empty directories among the first `count` directory
 * segments of segments (NUL-separated), deepest first, down to the one at
 * index `from`, stopping at the first that is not empty. Best effort: a
 * failure only leaves an empty directory behind, which listings hide. */
void fs_path_prune(fs_instance *fs, const char *segments, size_t count,
                   size_t from);

/* Opens key's file for reading into *fd (the caller closes it) and stats
 * it into *st. A folder, a link or anything but a regular file is not an
 * object. */
pail_status fs_object_open(fs_instance *fs, const char *key, int *fd,
                           struct stat *st, pail_error **err);

/* ------------------------------------------------ xattrs (fs_xattr.c) */

/* What a write stores besides the bytes, as xattr values. Every member is
 * malloc'ed and owned by the struct; fs_attrs_clear frees them. */
typedef struct fs_attrs {
  char *content_type;
  char *content_disposition;
  char *metadata; /* name\0value\0... */
  size_t metadata_length;
} fs_attrs;

/* Frees what a holds and zeroes it. */
void fs_attrs_clear(fs_attrs *a);

/* Fills *a (the caller clears it) from a write's options (NULL: none). */
pail_status fs_attrs_from_options(const pail_write_options *options,
                                  fs_attrs *a, pail_error **err);

/* Fills *a (the caller clears it) with the attributes stored on an open
 * file, for a copy that keeps them. */
pail_status fs_attrs_from_file(int fd, const char *key, fs_attrs *a,
                               pail_error **err);

/* Stores a on a new file. Without xattr support a content type is dropped
 * (stat guesses one from the name) but disposition and metadata are
 * refused: the caller asked for them to be kept. */
pail_status fs_attrs_apply(const fs_attrs *a, int fd, const char *key,
                           const pail_config *cfg, pail_error **err);

/* Adds the name/value pairs of a stored metadata blob (length bytes of
 * name\0value\0...) to info; PAIL_ERR_INTERNAL when out of memory, with
 * what was added left in info for its owner to clear. */
pail_status fs_metadata_parse(const char *blob, size_t length,
                              pail_object_info *info);

/* -------------------------------------------------- etags (fs_etag.c) */

/* Writes digest (an MD5) as a quoted etag. */
void fs_etag_from_digest(const unsigned char digest[16],
                         char etag[FS_ETAG_SIZE]);

/* A new MD5 context in *md5 (free with EVP_MD_CTX_free), or an error when
 * OpenSSL refuses MD5 (FIPS mode). */
pail_status fs_md5_begin(EVP_MD_CTX **md5, pail_error **err);

/* The etag cached on an open file, when the cache entry matches st (the
 * file's size and mtime); false when there is none or it is stale. */
bool fs_etag_cache_get(int fd, const struct stat *st, char etag[FS_ETAG_SIZE]);

/* Caches etag on an open file for st's size and mtime. Best effort. */
void fs_etag_cache_put(int fd, const struct stat *st,
                       const char etag[FS_ETAG_SIZE]);

/* The etag of an open file: from the cache when it still matches the file,
 * else hashed (and cached). */
pail_status fs_etag_of_file(int fd, const struct stat *st, const char *key,
                            char etag[FS_ETAG_SIZE], pail_error **err);

/* True when etag matches an If-Match value (quoted or bare, or "*"). */
bool fs_etag_matches(const char *etag, const char *wanted);

/* ------------------------------------------------ writes (fs_write.c) */

/* A write in progress: a temporary file beside where its object goes,
 * renamed into place at commit. */
typedef struct fs_writer {
  fs_instance *fs;
  char *key;
  fs_path path;
  char temp_name[FS_TEMP_NAME_SIZE];
  int fd;
  bool create_only;
  EVP_MD_CTX *md5;
  bool hashed;                   /* every byte went through md5 */
  char known_etag[FS_ETAG_SIZE]; /* set by a copy when !hashed, else empty */
  uint64_t size;
  unsigned char *buffer; /* WRITE_BUFFER_SIZE, allocated on first use */
  size_t buffered;
  bool no_copy_range; /* copy_file_range refused once: read and write */
  fs_attrs attrs;
} fs_writer;

/* Opens a write of key with attrs (taken over by the writer, cleared in
 * every case). create_only fails PAIL_ERR_CONFLICT when key exists. On
 * success *out is the caller's until fs_writer_commit or _discard. */
pail_status fs_writer_open(fs_instance *fs, const char *key, fs_attrs *attrs,
                           bool create_only, fs_writer **out, pail_error **err);

/* Appends length bytes to the write, hashing them. */
pail_status fs_writer_append(fs_writer *w, const void *data, size_t length,
                             pail_error **err);

/* Publishes the object and fills info (NULL: not wanted). Frees the writer
 * in every case; on failure nothing is stored. */
pail_status fs_writer_commit(fs_writer *w, pail_object_info *info,
                             pail_error **err);

/* Unlinks the temporary file, removes the directories this write created,
 * frees the writer (NULL is fine). */
void fs_writer_discard(fs_writer *w);

/* The leftovers of interrupted writes (fs_cleanup.c): temporary files. */
pail_status fs_leftovers_list(void *instance, pail_leftover **leftovers,
                              size_t *count, char **note, pail_error **err);
pail_status fs_leftover_remove(void *instance, const pail_leftover *leftover,
                               int force, pail_error **err);

/* ------------------------------------- the operations of the ops table */

/* fs_list.c */
pail_status fs_list(void *instance, const pail_backend_list_request *request,
                    pail_list_page *out, pail_error **err);

/* fs_read.c */
pail_status fs_stat(void *instance, const char *key, pail_object_info *out,
                    pail_error **err);
pail_status fs_read_open(void *instance, const char *key,
                         const pail_read_options *options, void **stream,
                         pail_object_info *info, pail_error **err);
pail_status fs_read_stream(void *stream, void *buffer, size_t capacity,
                           size_t *got, pail_error **err);
void fs_read_close(void *stream);
pail_status fs_read_file(void *stream, int *fd, uint64_t *offset,
                         uint64_t *length, pail_error **err);

/* fs_write.c */
pail_status fs_write_open(void *instance, const char *key,
                          const pail_write_options *options, void **stream,
                          pail_error **err);
pail_status fs_write_stream(void *stream, const void *buffer, size_t length,
                            pail_error **err);
pail_status fs_write_stream_file(void *stream, int fd, uint64_t offset,
                                 uint64_t length, pail_error **err);
pail_status fs_write_commit(void *stream, pail_object_info *info,
                            pail_error **err);
void fs_write_abort(void *stream);

/* fs_delete.c */
pail_status fs_delete(void *instance, const char *key, pail_error **err);

/* fs_copy.c */
pail_status fs_copy(void *instance, const char *src_key, const char *dst_key,
                    const pail_write_options *options, pail_error **err);

#endif /* PAIL_BACKEND_FS_H */
