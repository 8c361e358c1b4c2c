/*
 * serve_api.c: the JSON API of `pail serve`, each endpoint one or two calls
 * of the public libpail API. Objects are named by two query parameters,
 * storage (absent, empty or "_default_": the primary) and key; the key goes
 * through pail_key_check with its length, so "..", "%2e%2e", a leading
 * '/', a NUL ("%00") or a control character never reaches a backend, and
 * every operation passes the workspace's access rules inside the library.
 *
 *   GET    /api/storages                     the primary and secondaries
 *   GET    /api/list?storage&prefix&page_token&max_keys
 *   GET    /api/stat?storage&key
 *   GET    /api/resolve?pointer=TEXT         any pointer form -> storage, key
 *   GET    /api/preview?storage&key&max_rows&max_bytes   (docs/preview.md)
 *   GET    /api/download?storage&key[&inline=1]   Range: bytes=... honoured
 *   PUT    /api/object?storage&key[&no_clobber=1] body streamed to a writer
 *   DELETE /api/object?storage&key
 *   GET    /api/sign?storage&key[&expires=S]
 */
#define _GNU_SOURCE
#include "serve.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DOWNLOAD_BLOCK (256u * 1024u)
#define LIST_PAGE_DEFAULT 100
#define LIST_PAGE_MAX 1000

/* ------------------------------------------------------------ parameters */

/* Parses a decimal count parameter; absent leaves *out alone. */
static int count_arg(struct MHD_Connection *connection, const char *name,
                     uint64_t max, uint64_t *out) {
  const char *text = serve_arg(connection, name, NULL);
  if (text == NULL)
    return 0;
  if (*text < '0' || *text > '9')
    return -1;
  errno = 0;
  char *end = NULL;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0' || v > max)
    return -1;
  *out = v;
  return 0;
}

/* The storage parameter: NULL for the primary. */
static pail_status storage_arg(struct MHD_Connection *connection,
                               const char **out, pail_error **err) {
  size_t len = 0;
  const char *name = serve_arg(connection, "storage", &len);
  *out = NULL;
  if (name == NULL || len == 0 || strcmp(name, "_default_") == 0)
    return PAIL_OK;
  if (strlen(name) != len)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "invalid storage name: it holds a NUL byte");
  pail_status status = pail_storage_name_check(name, err);
  if (status == PAIL_OK)
    *out = name;
  return status;
}

/* The object named by the storage and key parameters. */
static pail_status object_arg(struct MHD_Connection *connection,
                              pail_pointer **out, pail_error **err) {
  const char *storage = NULL;
  pail_status status = storage_arg(connection, &storage, err);
  if (status != PAIL_OK)
    return status;
  size_t len = 0;
  const char *key = serve_arg(connection, "key", &len);
  if (key == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "no key given (the key query parameter)");
  status = pail_key_check(key, len, err);
  if (status != PAIL_OK)
    return status;
  return pail_pointer_new(storage, key, out, err);
}

/* A listing prefix: empty (the whole storage) or a key, possibly ending
 * with '/'. */
static pail_status prefix_arg(struct MHD_Connection *connection,
                              pail_pointer *out, pail_error **err) {
  pail_status status =
      storage_arg(connection, (const char **)&out->storage, err);
  if (status != PAIL_OK)
    return status;
  size_t len = 0;
  const char *prefix = serve_arg(connection, "prefix", &len);
  if (prefix == NULL || len == 0) {
    out->key = (char *)"";
    return PAIL_OK;
  }
  size_t checked = prefix[len - 1] == '/' ? len - 1 : len;
  if (checked == 0)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "invalid prefix \"/\": a prefix does not start "
                          "with '/' (the storage's root is the empty prefix)");
  status = pail_key_check(prefix, checked, err);
  if (status == PAIL_OK)
    out->key = (char *)prefix;
  return status;
}

/* ------------------------------------------------------------- responses */

static json_t *pointer_doc(const pail_pointer *p) {
  json_t *doc = cli_pointer_json(p);
  return doc ? doc : json_null();
}

static json_t *entry_doc(const pail_object_info *info) {
  json_t *doc = cli_info_json(info);
  if (doc != NULL && !info->is_folder && info->last_modified != INT64_MIN)
    json_object_set_new(doc, "last_modified_epoch",
                        json_integer((json_int_t)info->last_modified));
  return doc;
}

/* GET /api/storages */
static enum MHD_Result api_storages(serve_server *server,
                                    struct MHD_Connection *connection) {
  json_t *list = json_array();
  size_t n = pail_workspace_storage_count(server->workspace);
  for (size_t i = 0; i < n; i++) {
    const char *name = pail_workspace_storage_name(server->workspace, i);
    json_array_append_new(
        list, json_pack("{s:o, s:s, s:b}", "name",
                        name ? json_string(name) : json_null(), "type",
                        pail_workspace_storage_type(server->workspace, i),
                        "primary", i == 0));
  }
  json_t *doc =
      json_pack("{s:o, s:o, s:I, s:s}", "storages", list, "default",
                server->default_storage ? json_string(server->default_storage)
                                        : json_null(),
                "max_upload", (json_int_t)server->max_upload, "version",
                PAIL_VERSION_STRING);
  return serve_json(connection, MHD_HTTP_OK, doc);
}

/* GET /api/list */
static enum MHD_Result api_list(serve_server *server,
                                struct MHD_Connection *connection) {
  pail_error *err = NULL;
  pail_pointer prefix = {0};
  if (prefix_arg(connection, &prefix, &err) != PAIL_OK)
    return serve_pail_error(connection, err);
  uint64_t max_keys = LIST_PAGE_DEFAULT;
  if (count_arg(connection, "max_keys", LIST_PAGE_MAX, &max_keys) != 0 ||
      max_keys == 0)
    return serve_error(connection, MHD_HTTP_BAD_REQUEST, "invalid argument",
                       "max_keys must be a number from 1 to %d", LIST_PAGE_MAX);
  pail_list_options options = PAIL_LIST_OPTIONS_INIT;
  options.max_keys = (size_t)max_keys;
  options.page_token = serve_arg(connection, "page_token", NULL);
  const char *recursive = serve_arg(connection, "recursive", NULL);
  options.recursive = recursive != NULL && strcmp(recursive, "1") == 0;
  pail_list_page page = {0};
  if (pail_list(server->workspace, &prefix, &options, &page, &err) != PAIL_OK)
    return serve_pail_error(connection, err);
  json_t *entries = json_array();
  for (size_t i = 0; i < page.count; i++)
    json_array_append_new(entries, entry_doc(&page.entries[i]));
  json_t *doc = json_pack(
      "{s:o, s:s, s:o, s:o}", "storage",
      prefix.storage ? json_string(prefix.storage) : json_null(), "prefix",
      prefix.key, "entries", entries, "next_page_token",
      page.next_page_token ? json_string(page.next_page_token) : json_null());
  pail_list_page_clear(&page);
  return serve_json(connection, MHD_HTTP_OK, doc);
}

/* GET /api/stat */
static enum MHD_Result api_stat(serve_server *server,
                                struct MHD_Connection *connection) {
  pail_error *err = NULL;
  pail_pointer *p = NULL;
  pail_object_info info = {0};
  if (object_arg(connection, &p, &err) != PAIL_OK ||
      pail_stat(server->workspace, p, &info, &err) != PAIL_OK) {
    pail_pointer_free(p);
    return serve_pail_error(connection, err);
  }
  char *uri = pail_pointer_to_uri(p);
  json_t *doc =
      json_pack("{s:o, s:o, s:o}", "info", entry_doc(&info), "pointer",
                pointer_doc(p), "uri", uri ? json_string(uri) : json_null());
  free(uri);
  pail_object_info_clear(&info);
  pail_pointer_free(p);
  return serve_json(connection, MHD_HTTP_OK, doc);
}

/* GET /api/resolve?pointer=TEXT: what `/?pointer=` in the UI opens. */
static enum MHD_Result api_resolve(serve_server *server,
                                   struct MHD_Connection *connection) {
  size_t len = 0;
  const char *text = serve_arg(connection, "pointer", &len);
  if (text == NULL)
    return serve_error(connection, MHD_HTTP_BAD_REQUEST, "invalid argument",
                       "no pointer given (the pointer query parameter)");
  if (strlen(text) != len)
    return serve_error(connection, MHD_HTTP_BAD_REQUEST, "invalid argument",
                       "invalid pointer: it holds a NUL byte");
  pail_error *err = NULL;
  pail_pointer *p = NULL;
  if (pail_pointer_parse(text, server->default_storage, &p, &err) != PAIL_OK)
    return serve_pail_error(connection, err);
  json_t *doc = json_pack("{s:o, s:s, s:o}", "storage",
                          p->storage ? json_string(p->storage) : json_null(),
                          "key", p->key, "pointer", pointer_doc(p));
  pail_pointer_free(p);
  return serve_json(connection, MHD_HTTP_OK, doc);
}

/* GET /api/sign: a presigned URL, or a grant for backends that cannot
 * presign. The library checks that the caller may read the object. */
static enum MHD_Result api_sign(serve_server *server,
                                struct MHD_Connection *connection) {
  pail_error *err = NULL;
  pail_pointer *p = NULL;
  if (object_arg(connection, &p, &err) != PAIL_OK)
    return serve_pail_error(connection, err);
  pail_sign_options options = PAIL_SIGN_OPTIONS_INIT;
  uint64_t expires = 3600;
  if (count_arg(connection, "expires", 604800, &expires) != 0 || expires == 0) {
    pail_pointer_free(p);
    return serve_error(connection, MHD_HTTP_BAD_REQUEST, "invalid argument",
                       "expires must be 1 to 604800 seconds");
  }
  options.expires = (int64_t)expires;
  pail_signature signature = {0};
  if (pail_sign(server->workspace, p, &options, &signature, &err) != PAIL_OK) {
    pail_pointer_free(p);
    return serve_pail_error(connection, err);
  }
  json_t *doc = json_pack(
      "{s:o, s:o, s:I}", "url",
      signature.url ? json_string(signature.url) : json_null(), "grant",
      signature.grant ? pointer_doc(signature.grant) : json_null(),
      "expires_at", (json_int_t)signature.expires_at);
  pail_signature_clear(&signature);
  pail_pointer_free(p);
  return serve_json(connection, MHD_HTTP_OK, doc);
}

/* GET /api/preview: pail_preview()'s document (docs/preview.md), which
 * reads only the head of the object, or the footer of a Parquet file. */
static enum MHD_Result api_preview(serve_server *server,
                                   struct MHD_Connection *connection) {
  pail_error *err = NULL;
  pail_pointer *p = NULL;
  if (object_arg(connection, &p, &err) != PAIL_OK)
    return serve_pail_error(connection, err);
  pail_preview_options options = PAIL_PREVIEW_OPTIONS_INIT;
  uint64_t rows = 0, bytes = 0;
  if (count_arg(connection, "max_rows", 10000, &rows) != 0 ||
      count_arg(connection, "max_bytes", 16u << 20, &bytes) != 0) {
    pail_pointer_free(p);
    return serve_error(connection, MHD_HTTP_BAD_REQUEST, "invalid argument",
                       "max_rows must be 0 to 10000 and max_bytes 0 to "
                       "16777216 (0: the default)");
  }
  options.max_rows = (size_t)rows;
  options.max_bytes = (size_t)bytes;
  /* pail_preview takes a pointer's text: the JSON form keeps the key
   * exactly as validated here. */
  char *text = pail_pointer_to_json(p);
  pail_pointer_free(p);
  if (text == NULL)
    return serve_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
                       "internal error", "out of memory");
  char *document = NULL;
  pail_status status =
      pail_preview(server->workspace, text, &options, &document, &err);
  free(text);
  if (status != PAIL_OK)
    return serve_pail_error(connection, err);
  json_error_t error;
  json_t *doc = json_loads(document, 0, &error);
  free(document);
  if (doc == NULL)
    return serve_error(
        connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error",
        "the preview is not valid JSON: %s at line %d", error.text, error.line);
  return serve_json(connection, MHD_HTTP_OK, doc);
}

/* DELETE /api/object */
static enum MHD_Result api_delete(serve_server *server,
                                  struct MHD_Connection *connection) {
  pail_error *err = NULL;
  pail_pointer *p = NULL;
  if (object_arg(connection, &p, &err) != PAIL_OK ||
      pail_delete(server->workspace, p, &err) != PAIL_OK) {
    pail_pointer_free(p);
    return serve_pail_error(connection, err);
  }
  json_t *doc = json_pack("{s:o}", "deleted", pointer_doc(p));
  pail_pointer_free(p);
  return serve_json(connection, MHD_HTTP_OK, doc);
}

/* -------------------------------------------------------------- download */

/* A single byte range of a Range header (RFC 9110 14.1.2). */
typedef struct byte_range {
  int present;
  int suffix;     /* bytes=-N: the last N bytes */
  uint64_t first; /* or N for a suffix */
  uint64_t last;  /* UINT64_MAX: to the end */
} byte_range;

/* Parses "bytes=A-B", "bytes=A-" or "bytes=-N". Anything else (several
 * ranges, other units) is ignored, as RFC 9110 allows: the whole object
 * is sent. Returns -1 for a syntactically valid but empty range (B < A or
 * -0), which is unsatisfiable. */
static int parse_range(const char *text, byte_range *out) {
  memset(out, 0, sizeof *out);
  if (text == NULL || strncmp(text, "bytes=", 6) != 0)
    return 0;
  const char *p = text + 6;
  if (strchr(p, ',') != NULL)
    return 0;
  char *end = NULL;
  if (*p == '-') {
    if (p[1] < '0' || p[1] > '9')
      return 0;
    errno = 0;
    unsigned long long n = strtoull(p + 1, &end, 10);
    if (errno != 0 || *end != '\0')
      return 0;
    if (n == 0)
      return -1;
    out->present = out->suffix = 1;
    out->first = n;
    return 0;
  }
  if (*p < '0' || *p > '9')
    return 0;
  errno = 0;
  unsigned long long a = strtoull(p, &end, 10);
  if (errno != 0 || *end != '-')
    return 0;
  p = end + 1;
  unsigned long long b = UINT64_MAX;
  if (*p != '\0') {
    if (*p < '0' || *p > '9')
      return 0;
    errno = 0;
    b = strtoull(p, &end, 10);
    if (errno != 0 || *end != '\0')
      return 0;
    if (b < a)
      return -1;
  }
  out->present = 1;
  out->first = a;
  out->last = b;
  return 0;
}

/* Content types the UI may show inline (the image preview): raster images
 * only, which a browser never runs as script. */
static int inline_type(const char *type) {
  static const char *const safe[] = {"image/png",  "image/jpeg", "image/gif",
                                     "image/webp", "image/bmp",  "image/avif"};
  if (type == NULL)
    return 0;
  for (size_t i = 0; i < sizeof safe / sizeof safe[0]; i++)
    if (strcasecmp(type, safe[i]) == 0)
      return 1;
  return 0;
}

static ssize_t download_read(void *cls, uint64_t pos, char *buffer,
                             size_t max) {
  (void)pos;
  pail_reader *reader = cls;
  size_t got = 0;
  pail_error *err = NULL;
  if (pail_reader_read(reader, buffer, max, &got, &err) != PAIL_OK) {
    fprintf(stderr, "pail: serve: download of \"%s\" failed: %s: %s\n",
            pail_reader_info(reader)->key ? pail_reader_info(reader)->key : "",
            pail_status_name(pail_error_category(err)),
            pail_error_message(err));
    pail_error_free(err);
    return MHD_CONTENT_READER_END_WITH_ERROR;
  }
  return got == 0 ? MHD_CONTENT_READER_END_OF_STREAM : (ssize_t)got;
}

static void download_close(void *cls) {
  pail_reader_close(cls);
}

/* The body of an answer to HEAD, which libmicrohttpd never reads: it
 * sends the headers of the GET, Content-Length included, and no body. */
static ssize_t no_body(void *cls, uint64_t pos, char *buffer, size_t max) {
  (void)cls;
  (void)pos;
  (void)buffer;
  (void)max;
  return MHD_CONTENT_READER_END_WITH_ERROR;
}

/* Content-Disposition with the key's base name, RFC 6266 / 8187 encoded. */
static void disposition(char *out, size_t size, const char *kind,
                        const char *key) {
  static const char hex[] = "0123456789ABCDEF";
  const char *base = strrchr(key, '/');
  base = base ? base + 1 : key;
  size_t n = (size_t)snprintf(out, size, "%s; filename*=UTF-8''", kind);
  for (const unsigned char *c = (const unsigned char *)base;
       *c != '\0' && n + 4 < size; c++) {
    if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
        (*c >= '0' && *c <= '9') || strchr("!#$&+-.^_`|~", *c) != NULL) {
      out[n++] = (char)*c;
    } else {
      out[n++] = '%';
      out[n++] = hex[*c >> 4];
      out[n++] = hex[*c & 15];
    }
  }
  out[n] = '\0';
}

/* Answers 416 with the object's size in Content-Range when known (stat
 * when not given); frees p. */
static enum MHD_Result range_not_satisfiable(serve_server *server,
                                             struct MHD_Connection *connection,
                                             pail_pointer *p,
                                             uint64_t known_size) {
  if (known_size == UINT64_MAX) {
    pail_object_info info = {0};
    if (pail_stat(server->workspace, p, &info, NULL) == PAIL_OK)
      known_size = info.size;
    pail_object_info_clear(&info);
  }
  pail_pointer_free(p);
  char content_range[64] = "";
  if (known_size != UINT64_MAX)
    snprintf(content_range, sizeof content_range, "bytes */%" PRIu64,
             known_size);
  json_t *doc = json_pack(
      "{s:{s:s, s:s}}", "error", "category", "invalid argument", "message",
      "the range asked for is not satisfiable: it starts at or past the end "
      "of the object, or is empty");
  return serve_json_with(
      connection, MHD_HTTP_RANGE_NOT_SATISFIABLE, doc,
      content_range[0] != '\0' ? MHD_HTTP_HEADER_CONTENT_RANGE : NULL,
      content_range);
}

/* GET /api/download: the object streamed from a reader, or the one range
 * asked for (206), never held whole in memory. HEAD: the same headers from
 * the object's metadata, without opening a read of it. */
static enum MHD_Result api_download(serve_server *server,
                                    struct MHD_Connection *connection,
                                    bool head) {
  pail_error *err = NULL;
  pail_pointer *p = NULL;
  if (object_arg(connection, &p, &err) != PAIL_OK)
    return serve_pail_error(connection, err);
  byte_range range;
  const char *range_header = MHD_lookup_connection_value(
      connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
  int unsatisfiable = parse_range(range_header, &range) != 0;
  pail_read_options options = PAIL_READ_OPTIONS_INIT;
  uint64_t known_size = UINT64_MAX;
  if (unsatisfiable || range.suffix) {
    /* The size decides: stat first. */
    pail_object_info info = {0};
    if (pail_stat(server->workspace, p, &info, &err) != PAIL_OK) {
      pail_pointer_free(p);
      return serve_pail_error(connection, err);
    }
    known_size = info.size;
    pail_object_info_clear(&info);
    if (range.suffix) {
      range.first = range.first >= known_size ? 0 : known_size - range.first;
      range.last = UINT64_MAX;
      if (known_size == 0)
        unsatisfiable = 1;
    }
  }
  if (!unsatisfiable && range.present) {
    options.offset = range.first;
    options.length = range.last == UINT64_MAX ? PAIL_READ_TO_END
                                              : range.last - range.first + 1;
  }
  pail_reader *reader = NULL;
  pail_object_info head_info = {0};
  if (!unsatisfiable && head) {
    if (pail_stat(server->workspace, p, &head_info, &err) != PAIL_OK) {
      pail_pointer_free(p);
      return serve_pail_error(connection, err);
    }
  } else if (!unsatisfiable && pail_reader_open(server->workspace, p, &options,
                                                &reader, &err) != PAIL_OK) {
    if (pail_error_category(err) == PAIL_ERR_INVALID_ARGUMENT &&
        pail_error_http_status(err) == 416)
      unsatisfiable = 1; /* the range starts past the end */
    else {
      pail_pointer_free(p);
      return serve_pail_error(connection, err);
    }
  }
  if (unsatisfiable) {
    pail_error_free(err);
    return range_not_satisfiable(server, connection, p, known_size);
  }

  const pail_object_info *info = head ? &head_info : pail_reader_info(reader);
  uint64_t size = info->size;
  if (range.present && range.first >= size) {
    /* The library reads an empty range at the very end; HTTP calls any
     * range that starts there unsatisfiable. */
    pail_reader_close(reader);
    pail_object_info_clear(&head_info);
    return range_not_satisfiable(server, connection, p, size);
  }
  uint64_t first = range.present ? range.first : 0;
  uint64_t length = size - first;
  if (range.present && range.last != UINT64_MAX &&
      range.last - first + 1 < length)
    length = range.last - first + 1;
  /* From an fs storage, the file itself: libmicrohttpd sends it with
   * sendfile(2) and closes fd with the response; the reader then serves
   * only its info, and is closed here. */
  int fd = -1;
  uint64_t at = 0, file_length = 0;
  if (!head && length > 0 &&
      pail_reader_file(reader, &fd, &at, &file_length, NULL) == PAIL_OK &&
      file_length != length) {
    close(fd); /* never a body of another length */
    pail_reader_close(reader);
    pail_pointer_free(p);
    return MHD_NO;
  }
  struct MHD_Response *r =
      head ? MHD_create_response_from_callback(length, DOWNLOAD_BLOCK, no_body,
                                               NULL, NULL)
      : fd >= 0 ? MHD_create_response_from_fd_at_offset64(length, fd, at)
                : MHD_create_response_from_callback(length, DOWNLOAD_BLOCK,
                                                    download_read, reader,
                                                    download_close);
  if (r == NULL) {
    if (fd >= 0)
      close(fd);
    pail_reader_close(reader);
    pail_object_info_clear(&head_info);
    pail_pointer_free(p);
    return MHD_NO;
  }
  serve_common_headers(r);
  const char *type =
      info->content_type ? info->content_type : pail_content_type_guess(p->key);
  int show_inline =
      serve_arg(connection, "inline", NULL) != NULL && inline_type(type);
  char header[2048];
  disposition(header, sizeof header, show_inline ? "inline" : "attachment",
              p->key);
  MHD_add_response_header(r, "Content-Disposition", header);
  MHD_add_response_header(r, "Content-Type",
                          show_inline ? type : "application/octet-stream");
  /* Whatever an object holds, it never runs as a page of this origin. */
  MHD_add_response_header(r, "Content-Security-Policy",
                          "sandbox; default-src 'none'");
  MHD_add_response_header(r, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
  if (info->etag != NULL)
    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, info->etag);
  unsigned int status = MHD_HTTP_OK;
  if (range.present) {
    status = MHD_HTTP_PARTIAL_CONTENT;
    snprintf(header, sizeof header, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64,
             first, first + length - 1, size);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, header);
  }
  pail_pointer_free(p);
  pail_object_info_clear(&head_info);
  if (fd >= 0)
    pail_reader_close(reader); /* the response holds the file */
  enum MHD_Result result = MHD_queue_response(connection, status, r);
  MHD_destroy_response(r);
  return result;
}

/* ---------------------------------------------------------------- upload */

enum MHD_Result serve_upload_start(serve_server *server,
                                   struct MHD_Connection *connection,
                                   serve_request *request) {
  pail_error *err = NULL;
  if (object_arg(connection, &request->pointer, &err) != PAIL_OK)
    return serve_pail_error(connection, err);
  const char *length = MHD_lookup_connection_value(
      connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  if (length != NULL) {
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(length, &end, 10);
    if (errno == 0 && end != length && *end == '\0')
      request->declared = n;
  }
  if (request->declared != UINT64_MAX && request->declared > server->max_upload)
    return serve_error(connection, MHD_HTTP_CONTENT_TOO_LARGE,
                       "invalid argument",
                       "the upload is %" PRIu64 " bytes, more than the "
                       "%" PRIu64 " this server accepts (pail serve "
                       "--max-upload)",
                       request->declared, server->max_upload);
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  options.size_hint = request->declared != UINT64_MAX ? request->declared : 0;
  options.if_none_match = serve_arg(connection, "no_clobber", NULL) != NULL;
  const char *type = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_TYPE);
  /* curl --data-binary and form posts say form-urlencoded, which is never
   * what a stored file is. */
  if (type == NULL || *type == '\0' ||
      strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0 ||
      strchr(type, '\n') != NULL)
    type = pail_content_type_guess(request->pointer->key);
  options.content_type = type;
  if (pail_writer_open(server->workspace, request->pointer, &options,
                       &request->writer, &err) != PAIL_OK)
    return serve_pail_error(connection, err);
  return MHD_YES;
}

void serve_upload_data(serve_server *server, serve_request *request,
                       const char *data, size_t size) {
  if (request->writer == NULL)
    return; /* failed already: the rest of the body is dropped */
  request->received += size;
  if (request->received > server->max_upload) {
    request->too_large = 1;
    pail_writer_abort(request->writer);
    request->writer = NULL;
    return;
  }
  if (pail_writer_write(request->writer, data, size, &request->error) !=
      PAIL_OK) {
    pail_writer_abort(request->writer);
    request->writer = NULL;
  }
}

enum MHD_Result serve_upload_finish(serve_server *server,
                                    struct MHD_Connection *connection,
                                    serve_request *request) {
  if (request->too_large)
    return serve_error(connection, MHD_HTTP_CONTENT_TOO_LARGE,
                       "invalid argument",
                       "the upload is more than the %" PRIu64 " bytes this "
                       "server accepts (pail serve --max-upload); nothing "
                       "was stored",
                       server->max_upload);
  if (request->error != NULL) {
    pail_error *err = request->error;
    request->error = NULL;
    return serve_pail_error(connection, err);
  }
  if (request->writer == NULL)
    return serve_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
                       "internal error", "the upload has no writer");
  pail_object_info info = {0};
  pail_error *err = NULL;
  pail_writer *writer = request->writer;
  request->writer = NULL;
  if (pail_writer_close(writer, &info, &err) != PAIL_OK)
    return serve_pail_error(connection, err);
  if (info.key == NULL)
    info.key = strdup(request->pointer->key);
  if (info.size == 0)
    info.size = request->received;
  json_t *doc =
      json_pack("{s:o, s:o}", "pointer", pointer_doc(request->pointer), "info",
                entry_doc(&info));
  pail_object_info_clear(&info);
  return serve_json(connection, MHD_HTTP_CREATED, doc);
}

/* --------------------------------------------------------------- routing */

enum MHD_Result serve_api(serve_server *server,
                          struct MHD_Connection *connection, const char *url,
                          const char *method, serve_request *request) {
  (void)request;
  int get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
            strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
  if (strcmp(url, "storages") == 0 && get)
    return api_storages(server, connection);
  if (strcmp(url, "list") == 0 && get)
    return api_list(server, connection);
  if (strcmp(url, "stat") == 0 && get)
    return api_stat(server, connection);
  if (strcmp(url, "resolve") == 0 && get)
    return api_resolve(server, connection);
  if (strcmp(url, "download") == 0 && get)
    return api_download(server, connection,
                        strcmp(method, MHD_HTTP_METHOD_HEAD) == 0);
  if (strcmp(url, "sign") == 0 &&
      (get || strcmp(method, MHD_HTTP_METHOD_POST) == 0))
    return api_sign(server, connection);
  if (strcmp(url, "object") == 0 && strcmp(method, MHD_HTTP_METHOD_DELETE) == 0)
    return api_delete(server, connection);
  if (strcmp(url, "preview") == 0 && get)
    return api_preview(server, connection);
  static const char *const known[] = {"storages", "list", "stat",   "resolve",
                                      "download", "sign", "object", "preview"};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (strcmp(url, known[i]) == 0)
      return serve_error(connection, MHD_HTTP_METHOD_NOT_ALLOWED,
                         "invalid argument", "%s is not allowed on /api/%s",
                         method, url);
  return serve_error(connection, MHD_HTTP_NOT_FOUND, "not found",
                     "no API endpoint /api/%s", url);
}
