/*
 * multipart.c: the gateway's multipart uploads (CreateMultipartUpload,
 * UploadPart, UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload,
 * ListParts, ListMultipartUploads) for every backend, native multipart or
 * not. Nothing of an upload lives in the process: its manifest and parts
 * are objects in the target's storage, under RESERVED_UPLOADS_PREFIX
 * "<id>/" ("upload", "part-00001", ...), so that the parts of one upload may
 * reach any gateway that shares the workspace and Complete any other.
 *
 * Two mechanisms behind the same requests, chosen at Create and written in
 * the manifest:
 * - native, when the storage's backend has the upload operations (ABI
 *   1.18: S3's multipart uploads, Azure's blocks): the manifest holds the
 *   provider's upload id, each part goes to the provider (from a spool
 *   file, once its payload checked out) and "part-NNNNN" is only its
 *   record (size, ETag, the provider's ETag), and Complete hands the
 *   provider the list: no byte is copied again;
 * - staged, otherwise: "part-NNNNN" holds the part's bytes, and Complete
 *   streams the parts once into the target through one pail_writer.
 *
 * The caller's view judges the TARGET key (its scope and the user's rules);
 * the staged objects are read and written through the gateway's own root
 * workspace, since a key scoped to "a/" may not reach the reserved prefix.
 */
#include "exchange.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UPLOAD_ID_BYTES 16
#define UPLOAD_ID_LENGTH (2 * UPLOAD_ID_BYTES)
#define PART_SIZE_MIN (5u * 1024 * 1024)  /* S3's, for all but the last */
#define PART_SIZE_MAX ((uint64_t)5 << 30) /* S3's */
#define LIST_MAX 1000
#define COPY_BUFFER_SIZE (1u << 20)

/* An upload as its manifest describes it. */
typedef struct upload {
  char *key;
  char *native; /* the backend's upload id; NULL: staged */
  char *content_type;
  char *content_disposition;
  pail_metadata_entry *metadata;
  size_t metadata_count;
  int64_t created;
} upload;

static void upload_clear(upload *u) {
  free(u->key);
  free(u->native);
  free(u->content_type);
  free(u->content_disposition);
  for (size_t i = 0; i < u->metadata_count; i++) {
    free(u->metadata[i].name);
    free(u->metadata[i].value);
  }
  free(u->metadata);
  memset(u, 0, sizeof *u);
}

/* --------------------------------------------------------- staged names */

/* Whether id is one this gateway could have made: no path tricks reach
 * the storage through it. */
static bool upload_id_valid(const char *id) {
  if (id == NULL || strlen(id) != UPLOAD_ID_LENGTH)
    return false;
  for (const char *c = id; *c; c++)
    if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
      return false;
  return true;
}

/* The staged object name ("upload", "part-00001", "" for the folder) of
 * upload id, in the request's storage. Caller frees; NULL out of memory. */
static pail_pointer *staged_pointer(const pail_gateway_exchange *x,
                                    const char *id, const char *name) {
  pail_pointer *p = calloc(1, sizeof *p);
  if (p == NULL)
    return NULL;
  p->storage = x->storage ? strdup(x->storage) : NULL;
  p->key = str_printf(RESERVED_UPLOADS_PREFIX "%s/%s", id, name);
  if (p->key == NULL || (x->storage != NULL && p->storage == NULL)) {
    pail_pointer_free(p);
    return NULL;
  }
  return p;
}

static pail_pointer *part_pointer(const pail_gateway_exchange *x,
                                  const char *id, unsigned number) {
  char name[16];
  snprintf(name, sizeof name, "part-%05u", number);
  return staged_pointer(x, id, name);
}

static void answer_no_such_upload(pail_gateway_exchange *x) {
  gateway_answer_code(x, 404, "NoSuchUpload",
                      "The specified upload does not exist. The upload ID may "
                      "be invalid, or the upload may have been aborted or "
                      "completed.");
}

/* Whether the caller may do access to the request's key; answers if not. */
static bool target_allowed(pail_gateway_exchange *x, const pail_pointer *p,
                           pail_access access) {
  pail_error *err = NULL;
  if (pail_access_check(x->view, p, access, &err) == PAIL_OK)
    return true;
  gateway_answer_error(x, err);
  return false;
}

/* ----------------------------------------------------------- manifests */

static char *manifest_text(const pail_gateway_exchange *x, const char *native) {
  json_t *root = json_object();
  json_t *metadata = json_object();
  json_object_set_new(root, "key", json_string(x->key));
  if (native != NULL)
    json_object_set_new(root, "native", json_string(native));
  const char *type = gateway_header_get(x, "content-type");
  const char *disposition = gateway_header_get(x, "content-disposition");
  if (type != NULL)
    json_object_set_new(root, "content_type", json_string(type));
  if (disposition != NULL)
    json_object_set_new(root, "content_disposition", json_string(disposition));
  for (size_t i = 0; i < x->metadata_count; i++)
    json_object_set_new(metadata, x->metadata[i].name,
                        json_string(x->metadata[i].value));
  json_object_set_new(root, "metadata", metadata);
  json_object_set_new(root, "created", json_integer(pail_time_now()));
  char *text = json_dumps(root, JSON_COMPACT);
  json_decref(root);
  return text;
}

static bool manifest_parse(const char *text, size_t length, upload *u) {
  json_t *root = json_loadb(text, length, 0, NULL);
  const char *key = json_string_value(json_object_get(root, "key"));
  const char *native = json_string_value(json_object_get(root, "native"));
  const char *type = json_string_value(json_object_get(root, "content_type"));
  const char *disposition =
      json_string_value(json_object_get(root, "content_disposition"));
  json_t *metadata = json_object_get(root, "metadata");
  bool ok = key != NULL && (u->key = strdup(key)) != NULL;
  ok = ok && (native == NULL || (u->native = strdup(native)) != NULL);
  ok = ok && (type == NULL || (u->content_type = strdup(type)) != NULL);
  ok = ok && (disposition == NULL ||
              (u->content_disposition = strdup(disposition)) != NULL);
  u->created = json_integer_value(json_object_get(root, "created"));
  size_t n = json_object_size(metadata);
  if (ok && n > 0 && (u->metadata = calloc(n, sizeof *u->metadata)) == NULL)
    ok = false;
  const char *name;
  json_t *value;
  json_object_foreach(metadata, name, value) {
    if (!ok || !json_is_string(value))
      continue;
    pail_metadata_entry *e = &u->metadata[u->metadata_count];
    e->name = strdup(name);
    e->value = strdup(json_string_value(value));
    u->metadata_count++;
    ok = e->name != NULL && e->value != NULL;
  }
  json_decref(root);
  if (!ok)
    upload_clear(u);
  return ok;
}

/* Reads the manifest of upload id into u: PAIL_ERR_NOT_FOUND when there
 * is none (or none this gateway could have written). */
static pail_status manifest_read(pail_gateway_exchange *x, const char *id,
                                 upload *u, pail_error **err) {
  memset(u, 0, sizeof *u);
  if (!upload_id_valid(id))
    return PAIL_ERR_NOT_FOUND;
  pail_pointer *p = staged_pointer(x, id, "upload");
  void *data = NULL;
  size_t length = 0;
  pail_status status =
      p ? pail_read(x->gateway->workspace, p, NULL, &data, &length, err)
        : error_no_memory(err);
  pail_pointer_free(p);
  if (status != PAIL_OK)
    return status;
  bool ok = manifest_parse(data, length, u);
  free(data);
  return ok ? PAIL_OK : PAIL_ERR_NOT_FOUND;
}

/* As manifest_read, for an upload of the request's key; false (answered:
 * NoSuchUpload unless the storage failed) when there is none. */
static bool manifest_load(pail_gateway_exchange *x, const char *id, upload *u) {
  pail_error *err = NULL;
  pail_status status = manifest_read(x, id, u, &err);
  if (status != PAIL_OK && status != PAIL_ERR_NOT_FOUND) {
    gateway_answer_error(x, err);
    return false;
  }
  pail_error_free(err);
  if (status != PAIL_OK || strcmp(u->key, x->key) != 0) {
    upload_clear(u);
    answer_no_such_upload(x);
    return false;
  }
  return true;
}

/* Deletes every staged object of upload id: the parts, then the manifest,
 * so that a removal cut short still leaves an upload that names its key
 * (for ListMultipartUploads and pail cleanup). */
static pail_status staged_delete(pail_gateway_exchange *x, const char *id,
                                 pail_error **err) {
  pail_workspace *ws = x->gateway->workspace;
  pail_pointer *folder = staged_pointer(x, id, "");
  pail_pointer *manifest = staged_pointer(x, id, "upload");
  if (folder == NULL || manifest == NULL) {
    pail_pointer_free(folder);
    pail_pointer_free(manifest);
    return error_no_memory(err);
  }
  pail_list_options options = PAIL_LIST_OPTIONS_INIT;
  options.recursive = 1;
  pail_status status = PAIL_OK;
  do { /* each pass deletes a page, so the listing restarts each time */
    pail_list_page page = {0};
    status = pail_list(ws, folder, &options, &page, err);
    size_t count = 0;
    for (size_t i = 0; status == PAIL_OK && i < page.count; i++) {
      if (strcmp(page.entries[i].key, manifest->key) == 0)
        continue;
      pail_pointer part = {.storage = folder->storage,
                           .key = page.entries[i].key};
      status = pail_delete(ws, &part, err);
      if (status == PAIL_ERR_NOT_FOUND) {
        pail_error_free(*err);
        *err = NULL;
        status = PAIL_OK;
      }
      count++;
    }
    pail_list_page_clear(&page);
    if (count == 0)
      break;
  } while (status == PAIL_OK);
  if (status == PAIL_OK)
    status = pail_delete(ws, manifest, err);
  if (status == PAIL_ERR_NOT_FOUND) {
    pail_error_free(*err);
    *err = NULL;
    status = PAIL_OK;
  }
  pail_pointer_free(folder);
  pail_pointer_free(manifest);
  return status;
}

/* ------------------------------------------------------ native uploads */

/* The request's storage, as the gateway's own workspace opened it. */
static pail_status upload_storage(pail_gateway_exchange *x, storage_handle *h,
                                  pail_error **err) {
  return workspace_storage(x->gateway->workspace, x->storage, h, err);
}

/* Whether h's backend takes multipart uploads natively (ABI 1.18). */
static bool native_ops(const storage_handle *h) {
  const pail_backend_ops *ops = &h->backend->ops;
  return ops->upload_create != NULL && ops->upload_part != NULL &&
         ops->upload_complete != NULL && ops->upload_abort != NULL;
}

/* The storage of a native upload, or an error when its backend no longer
 * takes them (its plugin was replaced by an older one). */
static pail_status native_storage(pail_gateway_exchange *x, storage_handle *h,
                                  pail_error **err) {
  pail_status status = upload_storage(x, h, err);
  if (status == PAIL_OK && !native_ops(h))
    status = pail_error_set(err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
                            "the %s backend no longer takes multipart "
                            "uploads, and this upload was begun as one",
                            h->backend->type);
  return status;
}

/* A native part's record, the object "part-NNNNN": its size, its ETag
 * (the MD5 of its bytes, as S3's parts have) and the backend's name for it,
 * so that ListParts and Complete need not ask the provider. */
typedef struct part_record {
  uint64_t size;
  char *etag;
  char *native_etag;
} part_record;

static void part_record_clear(part_record *r) {
  free(r->etag);
  free(r->native_etag);
  memset(r, 0, sizeof *r);
}

static char *part_record_text(uint64_t size, const char *etag,
                              const char *native_etag) {
  json_t *root = json_object();
  json_object_set_new(root, "size", json_integer((json_int_t)size));
  json_object_set_new(root, "etag", json_string(etag));
  json_object_set_new(root, "native_etag", json_string(native_etag));
  char *text = json_dumps(root, JSON_COMPACT);
  json_decref(root);
  return text;
}

/* Reads the record at key: PAIL_ERR_NOT_FOUND when there is none, or none
 * this gateway wrote. */
static pail_status part_record_read(pail_gateway_exchange *x, const char *key,
                                    part_record *r, pail_error **err) {
  memset(r, 0, sizeof *r);
  pail_pointer p = {.storage = (char *)x->storage, .key = (char *)key};
  void *data = NULL;
  size_t length = 0;
  pail_status status =
      pail_read(x->gateway->workspace, &p, NULL, &data, &length, err);
  if (status != PAIL_OK)
    return status;
  json_t *root = json_loadb(data, length, 0, NULL);
  free(data);
  json_t *size = json_object_get(root, "size");
  const char *etag = json_string_value(json_object_get(root, "etag"));
  const char *native = json_string_value(json_object_get(root, "native_etag"));
  bool ok = json_is_integer(size) && json_integer_value(size) >= 0 &&
            etag != NULL && native != NULL;
  if (ok) {
    r->size = (uint64_t)json_integer_value(size);
    r->etag = strdup(etag);
    r->native_etag = strdup(native);
  }
  json_decref(root);
  if (!ok)
    return PAIL_ERR_NOT_FOUND;
  if (r->etag == NULL || r->native_etag == NULL) {
    part_record_clear(r);
    return error_no_memory(err);
  }
  return PAIL_OK;
}

/* Writes the record of part `number` of upload id, which the backend of h
 * stored as native_etag (NULL: it did not say, an error). */
static pail_status part_record_write(pail_gateway_exchange *x, const char *id,
                                     const storage_handle *h, unsigned number,
                                     uint64_t size, const char *etag,
                                     const char *native_etag,
                                     pail_error **err) {
  if (native_etag == NULL)
    return pail_error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                          "the %s backend stored part %u without naming it",
                          h->backend->type, number);
  char *text = part_record_text(size, etag, native_etag);
  pail_pointer *p = part_pointer(x, id, number);
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  options.content_type = "application/json";
  pail_status status = text == NULL || p == NULL
                           ? error_no_memory(err)
                           : pail_write(x->gateway->workspace, p, text,
                                        strlen(text), &options, err);
  pail_pointer_free(p);
  free(text);
  return status;
}

/* Has the backend copy `length` bytes from `offset` of src (in the
 * request's storage) as part `number` of upload id, and records it;
 * info receives the part's ETag (the provider's: S3's is the MD5 of the
 * bytes copied, as for a part sent). */
static pail_status native_part_copy(pail_gateway_exchange *x, const char *id,
                                    const upload *u, unsigned number,
                                    const pail_pointer *src, uint64_t offset,
                                    uint64_t length, pail_object_info *info,
                                    pail_error **err) {
  storage_handle h;
  char *native_etag = NULL;
  pail_status status = native_storage(x, &h, err);
  if (status == PAIL_OK)
    status = error_redact(err, h.config,
                          h.backend->ops.upload_part_copy(
                              h.instance, u->key, u->native, number, src->key,
                              offset, length, &native_etag, err));
  if (status == PAIL_OK)
    status = part_record_write(x, id, &h, number, length, native_etag,
                               native_etag, err);
  if (status == PAIL_OK) {
    info->etag = native_etag;
    info->last_modified = pail_time_now();
    native_etag = NULL;
  }
  free(native_etag);
  return status;
}

/* Sends the spooled part `number` of upload id (u: its manifest) to the
 * backend, then writes its record; etag receives the part's ETag. Only
 * called once the part's payload passed every check. */
static pail_status native_part_store(pail_gateway_exchange *x, const char *id,
                                     const upload *u, unsigned number,
                                     gateway_spool *spool, char etag[33],
                                     pail_error **err) {
  gateway_spool_md5_hex(spool, etag);
  uint64_t size = gateway_spool_length(spool);
  storage_handle h;
  char *native_etag = NULL;
  pail_status status = native_storage(x, &h, err);
  if (status == PAIL_OK)
    status =
        error_redact(err, h.config,
                     h.backend->ops.upload_part(h.instance, u->key, u->native,
                                                number, gateway_spool_fd(spool),
                                                0, size, &native_etag, err));
  if (status == PAIL_OK)
    status = part_record_write(x, id, &h, number, size, etag, native_etag, err);
  free(native_etag);
  return status;
}

/* Abandons u's native upload, when it has one. */
static pail_status native_abort(pail_gateway_exchange *x, const upload *u,
                                pail_error **err) {
  if (u->native == NULL)
    return PAIL_OK;
  storage_handle h;
  pail_status status = native_storage(x, &h, err);
  if (status == PAIL_OK)
    status = error_redact(
        err, h.config,
        h.backend->ops.upload_abort(h.instance, u->key, u->native, err));
  return status;
}

/* ------------------------------------------------------------- create */

static void create_upload(pail_gateway_exchange *x, const pail_pointer *p) {
  if (!target_allowed(x, p, PAIL_ACCESS_WRITE))
    return;
  if (!gateway_collect_metadata(x)) {
    gateway_answer_error(x, NULL);
    return;
  }
  unsigned char random[UPLOAD_ID_BYTES];
  char id[UPLOAD_ID_LENGTH + 1];
  pail_error *err = NULL;
  if (crypto_random(random, sizeof random, &err) != PAIL_OK) {
    gateway_answer_error(x, err);
    return;
  }
  crypto_hex_encode(random, sizeof random, id);
  /* The provider's own upload first, when it has one: the manifest then
   * names it, so any gateway sends the parts there. */
  upload u = {0};
  storage_handle h;
  pail_status status = upload_storage(x, &h, &err);
  if (status == PAIL_OK && native_ops(&h)) {
    pail_write_options object = PAIL_WRITE_OPTIONS_INIT;
    object.content_type = gateway_header_get(x, "content-type");
    object.content_disposition = gateway_header_get(x, "content-disposition");
    object.metadata = x->metadata;
    object.metadata_count = x->metadata_count;
    status = write_options_check(&h, &object, &err);
    if (status == PAIL_OK)
      status = error_redact(&err, h.config,
                            h.backend->ops.upload_create(
                                h.instance, x->key, &object, &u.native, &err));
  }
  if (status != PAIL_OK) {
    gateway_answer_error(x, err);
    return;
  }
  char *text = manifest_text(x, u.native);
  pail_pointer *manifest = staged_pointer(x, id, "upload");
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  options.content_type = "application/json";
  status = text == NULL || manifest == NULL
               ? error_no_memory(&err)
               : pail_write(x->gateway->workspace, manifest, text, strlen(text),
                            &options, &err);
  free(text);
  pail_pointer_free(manifest);
  if (status != PAIL_OK && u.native != NULL) {
    /* No manifest names it: nobody could ever complete it. */
    u.key = x->key;
    pail_error *failure = NULL;
    if (native_abort(x, &u, &failure) != PAIL_OK)
      workspace_log(x->gateway->workspace, PAIL_LOG_WARNING,
                    "gateway: %s: could not abandon the provider's upload "
                    "(%s); pail cleanup will",
                    x->key, pail_error_message(failure));
    pail_error_free(failure);
    u.key = NULL;
  }
  free(u.native);
  if (status != PAIL_OK) {
    gateway_answer_error(x, err);
    return;
  }
  strbuf b;
  strbuf_init(&b, NULL, 0);
  gateway_xml_start(&b, "InitiateMultipartUploadResult");
  gateway_xml_element(&b, "Bucket", x->bucket);
  gateway_xml_element(&b, "Key", x->key);
  gateway_xml_element(&b, "UploadId", id);
  strbuf_add_string(&b, "</InitiateMultipartUploadResult>");
  gateway_answer(x, 200, strbuf_finish(&b));
}

/* --------------------------------------------------------------- parts */

/* partNumber: 1 to 10,000, in decimal; 0 when it is not. */
unsigned gateway_part_number(const char *text) {
  if (text == NULL || *text < '0' || *text > '9' || strlen(text) > 5)
    return 0;
  char *end;
  unsigned long n = strtoul(text, &end, 10);
  return *end == '\0' && n >= 1 && n <= GATEWAY_PART_NUMBER_MAX ? (unsigned)n
                                                                : 0;
}

/* A finish: a native part's body arrived and passed every check. The
 * manifest is read again: an upload aborted meanwhile is NoSuchUpload. */
static void native_part_finish(pail_gateway_exchange *x) {
  const char *id = gateway_param_get(x, "uploadId");
  unsigned number = gateway_part_number(gateway_param_get(x, "partNumber"));
  upload u;
  if (!manifest_load(x, id, &u))
    return;
  char etag[33];
  pail_error *err = NULL;
  pail_status status =
      u.native != NULL
          ? native_part_store(x, id, &u, number, x->spool, etag, &err)
          : pail_error_set(&err, PAIL_ERR_CONFLICT, 0, NULL, NULL,
                           "upload %s is staged now: its manifest was "
                           "replaced while the part arrived",
                           id);
  upload_clear(&u);
  if (status != PAIL_OK) {
    gateway_answer_error(x, err);
    return;
  }
  char *quoted = gateway_etag_quoted(etag);
  if (quoted != NULL && gateway_add_header(x, "ETag", quoted))
    gateway_answer(x, 200, NULL);
  else
    gateway_answer_error(x, NULL);
  free(quoted);
}

/* UploadPart of a native upload: the body goes to a spool, and to the
 * backend from there once it has passed every check. */
static void native_part(pail_gateway_exchange *x) {
  pail_error *err = NULL;
  if (gateway_body_size(x) > PART_SIZE_MAX) {
    gateway_answer_code(x, 400, "EntityTooLarge",
                        "Your proposed upload exceeds the maximum allowed "
                        "object size.");
    return;
  }
  pail_status status = gateway_spool_open(PART_SIZE_MAX, &x->spool, &err);
  if (status == PAIL_OK)
    status = gateway_payload_open(&x->auth, x->secret, &x->payload, &err);
  if (status != PAIL_OK) {
    gateway_answer_error(x, err);
    return;
  }
  x->body = BODY_SPOOL;
  x->finish = native_part_finish;
}

static void upload_part(pail_gateway_exchange *x, const char *id,
                        unsigned number) {
  pail_pointer *part = part_pointer(x, id, number);
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  options.size_hint = gateway_body_size(x);
  pail_error *err = NULL;
  pail_status status = part == NULL
                           ? error_no_memory(&err)
                           : pail_writer_open(x->gateway->workspace, part,
                                              &options, &x->writer, &err);
  pail_pointer_free(part);
  gateway_body_arm(x, status, err);
}

/* x-amz-copy-source-range: "bytes=A-B", both given, as S3 wants. */
static bool copy_range_parse(const char *text, pail_read_options *o) {
  if (strncmp(text, "bytes=", 6) != 0 || text[6] < '0' || text[6] > '9')
    return false;
  char *end;
  uint64_t first = strtoull(text + 6, &end, 10);
  if (*end != '-' || end[1] < '0' || end[1] > '9')
    return false;
  uint64_t last = strtoull(end + 1, &end, 10);
  if (*end != '\0' || last < first)
    return false;
  o->offset = first;
  o->length = last - first + 1;
  return true;
}

/* Where stream_into puts bytes: a writer or a spool. */
typedef pail_status (*byte_sink)(void *sink, const void *data, size_t length,
                                 pail_error **err);

static pail_status writer_sink(void *sink, const void *data, size_t length,
                               pail_error **err) {
  return pail_writer_write(sink, data, length, err);
}

static pail_status spool_sink(void *sink, const void *data, size_t length,
                              pail_error **err) {
  return gateway_spool_write(sink, data, length, err);
}

/* Copies what reader gives into sink; buffer is COPY_BUFFER_SIZE. */
static pail_status stream_into(pail_reader *reader, byte_sink put, void *sink,
                               char *buffer, uint64_t *copied,
                               pail_error **err) {
  for (;;) {
    size_t got = 0;
    pail_status status =
        pail_reader_read(reader, buffer, COPY_BUFFER_SIZE, &got, err);
    if (status != PAIL_OK || got == 0)
      return status;
    status = put(sink, buffer, got, err);
    if (status != PAIL_OK)
      return status;
    *copied += got;
  }
}

/* UploadPartCopy by the provider itself (upload_part_copy), when the
 * upload is native, the source in the same storage and the backend copies
 * parts; false, nothing answered, when not (or the source is empty, which
 * a copy of a range cannot express): then the gateway reads the range. */
static bool part_copy_by_provider(pail_gateway_exchange *x, const char *id,
                                  const upload *u, unsigned number,
                                  const pail_pointer *src,
                                  const pail_read_options *range) {
  storage_handle h;
  bool same = src->storage == NULL
                  ? x->storage == NULL
                  : x->storage != NULL && strcmp(src->storage, x->storage) == 0;
  if (u->native == NULL || !same || upload_storage(x, &h, NULL) != PAIL_OK ||
      h.backend->ops.upload_part_copy == NULL)
    return false;
  /* The source is looked at through the view: the caller must may read
   * it; and its size bounds the range. */
  pail_object_info source = {0};
  pail_error *err = NULL;
  if (pail_stat(x->view, src, &source, &err) != PAIL_OK) {
    gateway_answer_error(x, err);
    return true;
  }
  uint64_t size = source.size;
  pail_object_info_clear(&source);
  uint64_t offset = range->offset;
  uint64_t length = range->length == PAIL_READ_TO_END && offset <= size
                        ? size - offset
                        : range->length;
  if (size == 0)
    return false;
  if (offset >= size || length > size - offset) {
    gateway_answer_code(x, 416, "InvalidRange",
                        "The requested range is not satisfiable");
    return true;
  }
  if (length > PART_SIZE_MAX) {
    gateway_answer_code(x, 400, "EntityTooLarge",
                        "Your proposed upload exceeds the maximum allowed "
                        "object size.");
    return true;
  }
  pail_object_info info = {0};
  if (native_part_copy(x, id, u, number, src, offset, length, &info, &err) !=
      PAIL_OK)
    gateway_answer_error(x, err);
  else
    gateway_answer_copy(x, "CopyPartResult", &info);
  pail_object_info_clear(&info);
  return true;
}

static void upload_part_copy(pail_gateway_exchange *x, const char *id,
                             const upload *u, unsigned number,
                             const char *source) {
  pail_pointer *src = gateway_copy_source(x, source);
  if (src == NULL)
    return;
  pail_read_options read = PAIL_READ_OPTIONS_INIT;
  read.large = 1;
  const char *range = gateway_header_get(x, "x-amz-copy-source-range");
  if (range != NULL && !copy_range_parse(range, &read)) {
    pail_pointer_free(src);
    gateway_answer_code(x, 400, "InvalidArgument",
                        "The x-amz-copy-source-range value must be of the "
                        "form bytes=first-last where first and last are the "
                        "zero-based offsets of the first and last bytes to "
                        "copy");
    return;
  }
  pail_object_info judged;
  if (!gateway_copy_source_judge(x, src, &judged)) {
    pail_pointer_free(src);
    return;
  }
  read.if_match = judged.etag; /* the version judged, when it was */
  /* The provider's own copy, unless conditions were judged: its read
   * could not be pinned to the version they held for. */
  if (judged.etag == NULL &&
      part_copy_by_provider(x, id, u, number, src, &read)) {
    pail_object_info_clear(&judged);
    pail_pointer_free(src);
    return;
  }
  pail_reader *reader = NULL;
  pail_writer *writer = NULL;
  gateway_spool *spool = NULL;
  pail_pointer *part = part_pointer(x, id, number);
  char *buffer = malloc(COPY_BUFFER_SIZE);
  pail_error *err = NULL;
  pail_status status = part && buffer ? PAIL_OK : error_no_memory(&err);
  /* The source is read through the view: the caller must may read it. */
  if (status == PAIL_OK)
    status = pail_reader_open(x->view, src, &read, &reader, &err);
  /* A read cuts a range at the end; S3 refuses a copy's. */
  if (status == PAIL_OK && read.length != PAIL_READ_TO_END &&
      read.length > pail_reader_info(reader)->size - read.offset)
    status =
        pail_error_set(&err, PAIL_ERR_INVALID_ARGUMENT, 416, "InvalidRange",
                       NULL, "The requested range is not satisfiable");
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  /* A native upload's part is spooled, then stored as UploadPart's is;
   * a staged one is written as its part object. */
  if (status == PAIL_OK && u->native != NULL) {
    status = gateway_spool_open(PART_SIZE_MAX, &spool, &err);
  } else if (status == PAIL_OK) {
    options.size_hint = pail_reader_info(reader)->size;
    status =
        pail_writer_open(x->gateway->workspace, part, &options, &writer, &err);
  }
  uint64_t copied = 0;
  if (status == PAIL_OK)
    status =
        spool ? stream_into(reader, spool_sink, spool, buffer, &copied, &err)
              : stream_into(reader, writer_sink, writer, buffer, &copied, &err);
  pail_object_info info = {0};
  char etag[33];
  if (status == PAIL_OK && spool != NULL) {
    status = native_part_store(x, id, u, number, spool, etag, &err);
    info.etag = status == PAIL_OK ? strdup(etag) : NULL;
    info.last_modified = pail_time_now();
  } else if (status == PAIL_OK) {
    status = pail_writer_close(writer, &info, &err);
    writer = NULL;
  }
  gateway_spool_free(spool);
  pail_writer_abort(writer);
  pail_reader_close(reader);
  pail_object_info_clear(&judged);
  free(buffer);
  pail_pointer_free(part);
  pail_pointer_free(src);
  if (status != PAIL_OK) {
    gateway_answer_error(x, err);
    return;
  }
  gateway_answer_copy(x, "CopyPartResult", &info);
}

/* ------------------------------------------------------------ complete */

/* The size and ETag of part `number` of upload id (u: its manifest): its
 * record for a native upload (and the backend's name for it into
 * *native_etag), else its staged object's. PAIL_ERR_NOT_FOUND when there
 * is no such part. */
static pail_status part_find(pail_gateway_exchange *x, const char *id,
                             const upload *u, unsigned number,
                             pail_object_info *info, char **native_etag,
                             pail_error **err) {
  pail_pointer *p = part_pointer(x, id, number);
  if (p == NULL)
    return error_no_memory(err);
  pail_status status;
  if (u->native != NULL) {
    part_record record;
    status = part_record_read(x, p->key, &record, err);
    if (status == PAIL_OK) {
      info->size = record.size;
      info->etag = record.etag;
      *native_etag = record.native_etag;
    }
  } else {
    status = pail_stat(x->gateway->workspace, p, info, err);
  }
  pail_pointer_free(p);
  return status;
}

/* S3's checks of the parts Complete lists: ascending, present with the
 * ETag given, all but the last at least 5 MiB. Fills their sizes (and
 * native ETags) and *total; false when answered. */
static bool parts_check(pail_gateway_exchange *x, const char *id,
                        const upload *u, gateway_listed_part *parts,
                        size_t count, uint64_t *total) {
  *total = 0;
  for (size_t i = 1; i < count; i++)
    if (parts[i].number <= parts[i - 1].number) {
      gateway_answer_code(x, 400, "InvalidPartOrder",
                          "The list of parts was not in ascending order. The "
                          "parts list must be specified in order of the part "
                          "number.");
      return false;
    }
  for (size_t i = 0; i < count; i++) {
    pail_object_info info = {0};
    pail_error *err = NULL;
    pail_status status = part_find(x, id, u, parts[i].number, &info,
                                   &parts[i].native_etag, &err);
    if (status != PAIL_OK && status != PAIL_ERR_NOT_FOUND) {
      gateway_answer_error(x, err);
      return false;
    }
    pail_error_free(err);
    bool same =
        status == PAIL_OK && gateway_etag_equal(info.etag, parts[i].etag);
    parts[i].size = info.size;
    pail_object_info_clear(&info);
    if (!same) {
      gateway_answer_code(x, 400, "InvalidPart",
                          "One or more of the specified parts could not be "
                          "found. The part may not have been uploaded, or the "
                          "specified entity tag may not match the part's "
                          "entity tag.");
      return false;
    }
    if (i + 1 < count && parts[i].size < PART_SIZE_MIN) {
      gateway_answer_code(x, 400, "EntityTooSmall",
                          "Your proposed upload is smaller than the minimum "
                          "allowed object size.");
      return false;
    }
    *total += parts[i].size;
  }
  return true;
}

/* Streams the parts, in order, into one writer of the target: committed
 * only when every part was copied, else aborted (the old object stays). */
static pail_status parts_join(pail_gateway_exchange *x, const char *id,
                              const upload *u, const gateway_listed_part *parts,
                              size_t count, uint64_t total, pail_error **err) {
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  options.content_type = u->content_type;
  options.content_disposition = u->content_disposition;
  options.metadata = u->metadata;
  options.metadata_count = u->metadata_count;
  options.size_hint = total;
  pail_pointer *target = gateway_pointer(x, NULL);
  char *buffer = malloc(COPY_BUFFER_SIZE);
  pail_writer *writer = NULL;
  pail_status status = target && buffer ? PAIL_OK : error_no_memory(err);
  if (status == PAIL_OK)
    status = pail_writer_open(x->view, target, &options, &writer, err);
  pail_read_options read = PAIL_READ_OPTIONS_INIT;
  read.large = 1;
  for (size_t i = 0; status == PAIL_OK && i < count; i++) {
    pail_pointer *p = part_pointer(x, id, parts[i].number);
    pail_reader *reader = NULL;
    uint64_t copied = 0;
    status = p ? pail_reader_open(x->gateway->workspace, p, &read, &reader, err)
               : error_no_memory(err);
    if (status == PAIL_OK)
      status = stream_into(reader, writer_sink, writer, buffer, &copied, err);
    /* A part replaced since it was checked is not the part listed. */
    if (status == PAIL_OK && copied != parts[i].size)
      status = pail_error_set(err, PAIL_ERR_CONFLICT, 400, "InvalidPart", NULL,
                              "part %u changed during the completion",
                              parts[i].number);
    pail_reader_close(reader);
    pail_pointer_free(p);
  }
  if (status == PAIL_OK)
    status = pail_writer_close(writer, NULL, err);
  else
    pail_writer_abort(writer);
  free(buffer);
  pail_pointer_free(target);
  return status;
}

/* Has the backend make the object of a native upload from the parts
 * checked: nothing is copied through the gateway. */
static pail_status native_complete(pail_gateway_exchange *x, const upload *u,
                                   const gateway_listed_part *parts,
                                   size_t count, pail_error **err) {
  storage_handle h;
  pail_status status = native_storage(x, &h, err);
  pail_upload_part *list = calloc(count ? count : 1, sizeof *list);
  if (status == PAIL_OK && list == NULL)
    status = error_no_memory(err);
  for (size_t i = 0; status == PAIL_OK && i < count; i++) {
    list[i].number = parts[i].number;
    list[i].etag = parts[i].native_etag;
  }
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  options.content_type = u->content_type;
  options.content_disposition = u->content_disposition;
  options.metadata = u->metadata;
  options.metadata_count = u->metadata_count;
  pail_object_info info = {0};
  info.last_modified = INT64_MIN;
  pail_error *failure = NULL;
  if (status == PAIL_OK)
    status = error_redact(
        &failure, h.config,
        h.backend->ops.upload_complete(h.instance, u->key, u->native, &options,
                                       list, count, &info, &failure));
  /* A part the provider no longer has (Azure discards a blob's
   * uncommitted blocks when another upload of it commits) is S3's
   * InvalidPart. */
  if (status == PAIL_ERR_CONFLICT)
    pail_error_set(err, status, 400, "InvalidPart", NULL,
                   "a part listed is no longer in the storage: %s",
                   pail_error_message(failure));
  else if (failure != NULL && err != NULL && *err == NULL)
    *err = failure, failure = NULL;
  pail_error_free(failure);
  pail_object_info_clear(&info);
  free(list);
  return status;
}

static void complete_answer(pail_gateway_exchange *x) {
  pail_pointer *target = gateway_pointer(x, NULL);
  pail_object_info info = {0};
  pail_error *err = NULL;
  /* The ETag as HEAD will show it. */
  pail_status status =
      target ? pail_stat(x->view, target, &info, &err) : error_no_memory(&err);
  pail_pointer_free(target);
  if (status != PAIL_OK) {
    gateway_answer_error(x, err);
    return;
  }
  strbuf b;
  strbuf_init(&b, NULL, 0);
  gateway_xml_start(&b, "CompleteMultipartUploadResult");
  char *location = str_printf("/%s/%s", x->bucket, x->key);
  if (location == NULL)
    b.failed = true;
  else
    gateway_xml_element(&b, "Location", location);
  free(location);
  gateway_xml_element(&b, "Bucket", x->bucket);
  gateway_xml_element(&b, "Key", x->key);
  char *etag = gateway_etag_quoted(info.etag);
  if (etag != NULL)
    gateway_xml_element(&b, "ETag", etag);
  free(etag);
  strbuf_add_string(&b, "</CompleteMultipartUploadResult>");
  pail_object_info_clear(&info);
  gateway_answer(x, 200, strbuf_finish(&b));
}

/* Complete's work once its XML has arrived. The answer comes at the end
 * (S3 sends its 200 early and whitespace meanwhile; clients wait here). */
static void complete_finish(pail_gateway_exchange *x) {
  const char *id = gateway_param_get(x, "uploadId");
  upload u;
  if (!manifest_load(x, id, &u))
    return;
  gateway_complete_request request;
  uint64_t total = 0;
  bool parsed =
      gateway_complete_request_parse(x->xml.data, x->xml.length, &request);
  gateway_listed_part *parts = request.parts;
  size_t count = request.count;
  if (!parsed) {
    gateway_answer_code(x, 400, "MalformedXML",
                        "The XML you provided was not well-formed or did not "
                        "validate against our published schema");
  } else if (parts_check(x, id, &u, parts, count, &total)) {
    pail_error *err = NULL;
    pail_status status = u.native != NULL
                             ? native_complete(x, &u, parts, count, &err)
                             : parts_join(x, id, &u, parts, count, total, &err);
    if (status == PAIL_OK && staged_delete(x, id, &err) != PAIL_OK) {
      /* The object is complete: what remains staged is cleanup's. */
      pail_error_free(err);
      err = NULL;
    }
    if (status == PAIL_OK)
      complete_answer(x);
    else
      gateway_answer_error(x, err);
  }
  gateway_complete_request_clear(&request);
  upload_clear(&u);
}

/* --------------------------------------------------------- list parts */

/* A listed part's ETag, from the listing or, for backends whose listings
 * carry none (fs), as HEAD would show it. */
static void part_etag_add(pail_gateway_exchange *x, const pail_object_info *e,
                          strbuf *b) {
  pail_object_info info = {0};
  const char *etag = e->etag;
  pail_pointer p = {.storage = (char *)x->storage, .key = e->key};
  if (etag == NULL &&
      pail_stat(x->gateway->workspace, &p, &info, NULL) == PAIL_OK)
    etag = info.etag;
  char *quoted = gateway_etag_quoted(etag);
  if (quoted != NULL)
    gateway_xml_element(b, "ETag", quoted);
  free(quoted);
  pail_object_info_clear(&info);
}

/* One <Part> of ListParts, from its staged object e, or for a native
 * upload its record at e->key; false (err set) when that cannot be read,
 * true with nothing added when it is not a record. */
static bool part_xml(pail_gateway_exchange *x, const upload *u, unsigned number,
                     const pail_object_info *e, strbuf *b, pail_error **err) {
  part_record record = {0};
  uint64_t size = e->size;
  if (u->native != NULL) {
    pail_status status = part_record_read(x, e->key, &record, err);
    if (status == PAIL_ERR_NOT_FOUND) { /* replaced or removed meanwhile */
      pail_error_free(*err);
      *err = NULL;
      return true;
    }
    if (status != PAIL_OK)
      return false;
    size = record.size;
  }
  char text[32];
  strbuf_add_string(b, "<Part>");
  snprintf(text, sizeof text, "%u", number);
  gateway_xml_element(b, "PartNumber", text);
  gateway_xml_time(e->last_modified == INT64_MIN ? 0 : e->last_modified, text);
  gateway_xml_element(b, "LastModified", text);
  if (u->native != NULL) {
    char *quoted = gateway_etag_quoted(record.etag);
    if (quoted != NULL)
      gateway_xml_element(b, "ETag", quoted);
    free(quoted);
  } else {
    part_etag_add(x, e, b);
  }
  snprintf(text, sizeof text, "%" PRIu64, size);
  gateway_xml_element(b, "Size", text);
  strbuf_add_string(b, "</Part>");
  part_record_clear(&record);
  return true;
}

static void list_parts(pail_gateway_exchange *x, const char *id,
                       const upload *u) {
  const char *max = gateway_param_get(x, "max-parts");
  const char *marker = gateway_param_get(x, "part-number-marker");
  size_t max_parts = LIST_MAX;
  if (max != NULL) {
    unsigned long long n = strtoull(max, NULL, 10);
    max_parts = n < LIST_MAX ? (size_t)n : LIST_MAX;
  }
  unsigned after = marker ? (unsigned)strtoul(marker, NULL, 10) : 0;
  pail_pointer *prefix = staged_pointer(x, id, "part-");
  pail_list_options options = PAIL_LIST_OPTIONS_INIT;
  options.recursive = 1;
  strbuf b;
  strbuf_init(&b, NULL, 0);
  gateway_xml_start(&b, "ListPartsResult");
  gateway_xml_element(&b, "Bucket", x->bucket);
  gateway_xml_element(&b, "Key", x->key);
  gateway_xml_element(&b, "UploadId", id);
  strbuf_add_string(&b, "<Initiator><ID>pail</ID><DisplayName>pail"
                        "</DisplayName></Initiator><Owner><ID>pail</ID>"
                        "<DisplayName>pail</DisplayName></Owner>"
                        "<StorageClass>STANDARD</StorageClass>");
  strbuf items;
  strbuf_init(&items, NULL, 0);
  size_t listed = 0;
  unsigned last = 0;
  bool truncated = false;
  char *token = NULL;
  pail_error *err = NULL;
  pail_status status = prefix ? PAIL_OK : error_no_memory(&err);
  while (status == PAIL_OK && !truncated) {
    pail_list_page page = {0};
    options.page_token = token;
    status = pail_list(x->gateway->workspace, prefix, &options, &page, &err);
    free(token);
    token = NULL;
    for (size_t i = 0; status == PAIL_OK && i < page.count; i++) {
      const pail_object_info *e = &page.entries[i];
      unsigned number =
          (unsigned)strtoul(e->key + strlen(prefix->key), NULL, 10);
      if (number <= after)
        continue;
      if (listed == max_parts) {
        truncated = true;
        break;
      }
      if (!part_xml(x, u, number, e, &items, &err)) {
        status = pail_error_category(err);
        break;
      }
      listed++;
      last = number;
    }
    token = page.next_page_token;
    page.next_page_token = NULL;
    pail_list_page_clear(&page);
    if (token == NULL)
      break;
  }
  free(token);
  pail_pointer_free(prefix);
  if (status != PAIL_OK) {
    strbuf_release(&items);
    strbuf_release(&b);
    gateway_answer_error(x, err);
    return;
  }
  char text[32];
  snprintf(text, sizeof text, "%u", after);
  gateway_xml_element(&b, "PartNumberMarker", text);
  snprintf(text, sizeof text, "%u", last);
  gateway_xml_element(&b, "NextPartNumberMarker", text);
  snprintf(text, sizeof text, "%zu", max_parts);
  gateway_xml_element(&b, "MaxParts", text);
  gateway_xml_element(&b, "IsTruncated", truncated ? "true" : "false");
  char *body = strbuf_finish(&items);
  if (body == NULL)
    b.failed = true;
  else
    strbuf_add_string(&b, body);
  free(body);
  strbuf_add_string(&b, "</ListPartsResult>");
  gateway_answer(x, 200, strbuf_finish(&b));
}

/* ------------------------------------------------------ list uploads */

typedef struct listed_upload {
  upload upload;
  char id[UPLOAD_ID_LENGTH + 1];
} listed_upload;

typedef struct upload_list {
  listed_upload *items;
  size_t count;
} upload_list;

static void upload_list_clear(upload_list *l) {
  for (size_t i = 0; i < l->count; i++)
    upload_clear(&l->items[i].upload);
  free(l->items);
  memset(l, 0, sizeof *l);
}

static int listed_upload_order(const void *a, const void *b) {
  const listed_upload *x = a, *y = b;
  int c = strcmp(x->upload.key, y->upload.key);
  return c != 0 ? c : strcmp(x->id, y->id);
}

/* Adds the upload of staged folder name (RESERVED_UPLOADS_PREFIX "<id>/")
 * when its key starts with prefix and the caller may list it. */
static pail_status upload_list_add(pail_gateway_exchange *x, const char *name,
                                   const char *prefix, upload_list *l,
                                   pail_error **err) {
  char id[UPLOAD_ID_LENGTH + 2];
  size_t n = strlen(name + RESERVED_UPLOADS_PREFIX_LENGTH);
  if (n != UPLOAD_ID_LENGTH + 1)
    return PAIL_OK; /* not a folder of ours */
  memcpy(id, name + RESERVED_UPLOADS_PREFIX_LENGTH, UPLOAD_ID_LENGTH);
  id[UPLOAD_ID_LENGTH] = '\0';
  upload u;
  pail_status status = manifest_read(x, id, &u, err);
  if (status == PAIL_ERR_NOT_FOUND) { /* completed or aborted meanwhile */
    pail_error_free(*err);
    *err = NULL;
    return PAIL_OK;
  }
  if (status != PAIL_OK)
    return status;
  pail_pointer target = {.storage = (char *)x->storage, .key = u.key};
  if (strncmp(u.key, prefix, strlen(prefix)) != 0 ||
      pail_access_check(x->view, &target, PAIL_ACCESS_LIST, NULL) != PAIL_OK) {
    upload_clear(&u);
    return PAIL_OK;
  }
  listed_upload *grown = realloc(l->items, (l->count + 1) * sizeof *grown);
  if (grown == NULL) {
    upload_clear(&u);
    return error_no_memory(err);
  }
  l->items = grown;
  grown[l->count].upload = u;
  memcpy(grown[l->count].id, id, sizeof grown[l->count].id);
  l->count++;
  return PAIL_OK;
}

/* Every upload of the bucket under prefix that the caller may list. */
static pail_status uploads_collect(pail_gateway_exchange *x, const char *prefix,
                                   upload_list *l, pail_error **err) {
  memset(l, 0, sizeof *l);
  pail_pointer folder = {.storage = (char *)x->storage,
                         .key = RESERVED_UPLOADS_PREFIX};
  pail_list_options options = PAIL_LIST_OPTIONS_INIT;
  char *token = NULL;
  pail_status status = PAIL_OK;
  do {
    pail_list_page page = {0};
    options.page_token = token;
    status = pail_list(x->gateway->workspace, &folder, &options, &page, err);
    free(token);
    token = NULL;
    for (size_t i = 0; status == PAIL_OK && i < page.count; i++)
      if (page.entries[i].is_folder)
        status = upload_list_add(x, page.entries[i].key, prefix, l, err);
    token = page.next_page_token;
    page.next_page_token = NULL;
    pail_list_page_clear(&page);
  } while (status == PAIL_OK && token != NULL);
  free(token);
  if (status != PAIL_OK)
    upload_list_clear(l);
  else if (l->count > 1)
    qsort(l->items, l->count, sizeof *l->items, listed_upload_order);
  return status;
}

/* Whether an upload comes after key-marker (and upload-id-marker). */
static bool after_markers(const listed_upload *u, const char *key_marker,
                          const char *id_marker) {
  if (key_marker == NULL || *key_marker == '\0')
    return true;
  int c = strcmp(u->upload.key, key_marker);
  return c > 0 || (c == 0 && id_marker != NULL && strcmp(u->id, id_marker) > 0);
}

static void uploads_xml(strbuf *b, const upload_list *l, size_t from,
                        size_t count) {
  for (size_t i = from; i < from + count; i++) {
    const listed_upload *u = &l->items[i];
    char when[32];
    gateway_xml_time(u->upload.created, when);
    strbuf_add_string(b, "<Upload>");
    gateway_xml_element(b, "Key", u->upload.key);
    gateway_xml_element(b, "UploadId", u->id);
    strbuf_add_string(b, "<Initiator><ID>pail</ID><DisplayName>pail"
                         "</DisplayName></Initiator><Owner><ID>pail</ID>"
                         "<DisplayName>pail</DisplayName></Owner>"
                         "<StorageClass>STANDARD</StorageClass>");
    gateway_xml_element(b, "Initiated", when);
    strbuf_add_string(b, "</Upload>");
  }
}

void gateway_list_uploads(pail_gateway_exchange *x) {
  const char *prefix = gateway_param_get(x, "prefix");
  const char *key_marker = gateway_param_get(x, "key-marker");
  const char *id_marker = gateway_param_get(x, "upload-id-marker");
  const char *max = gateway_param_get(x, "max-uploads");
  const char *delimiter = gateway_param_get(x, "delimiter");
  if (gateway_param_get(x, "encoding-type") != NULL) {
    gateway_answer_code(x, 501, "NotImplemented",
                        "The gateway lists uploads without encoding-type.");
    return;
  }
  size_t max_uploads = LIST_MAX;
  if (max != NULL) {
    unsigned long long n = strtoull(max, NULL, 10);
    max_uploads = n < LIST_MAX ? (size_t)n : LIST_MAX;
  }
  upload_list l;
  pail_error *err = NULL;
  if (uploads_collect(x, prefix ? prefix : "", &l, &err) != PAIL_OK) {
    gateway_answer_error(x, err);
    return;
  }
  size_t from = 0;
  while (from < l.count &&
         !after_markers(&l.items[from], key_marker, id_marker))
    from++;
  /* With a delimiter, the uploads of one common prefix are one entry, and
   * entries of both kinds count against max-uploads, as S3 counts them. A
   * common prefix is given once, and not at all when key-marker is in it
   * (a NextKeyMarker that was that prefix). */
  strbuf listed;
  strbuf_init(&listed, NULL, 0);
  const char *last = key_marker && *key_marker ? key_marker : NULL;
  const char *next_id = NULL;
  char *common = NULL; /* the last common prefix listed */
  size_t count = 0;
  bool truncated = false;
  for (size_t i = from; i < l.count; i++) {
    const char *key = l.items[i].upload.key;
    size_t n = gateway_fold_length(key, prefix ? prefix : "", delimiter);
    if (n > 0 && last != NULL && strncmp(key, last, n) <= 0)
      continue;
    if (count == max_uploads) {
      truncated = true;
      break;
    }
    count++;
    if (n == 0) {
      uploads_xml(&listed, &l, i, 1);
      last = key;
      next_id = l.items[i].id;
      continue;
    }
    free(common);
    if ((common = strndup(key, n)) == NULL) {
      listed.failed = true;
      break;
    }
    strbuf_add_string(&listed, "<CommonPrefixes>");
    gateway_xml_element(&listed, "Prefix", common);
    strbuf_add_string(&listed, "</CommonPrefixes>");
    last = common;
    next_id = NULL;
  }
  strbuf b;
  strbuf_init(&b, NULL, 0);
  gateway_xml_start(&b, "ListMultipartUploadsResult");
  gateway_xml_element(&b, "Bucket", x->bucket);
  gateway_xml_element(&b, "KeyMarker", key_marker ? key_marker : "");
  gateway_xml_element(&b, "UploadIdMarker", id_marker ? id_marker : "");
  if (truncated && count > 0) {
    gateway_xml_element(&b, "NextKeyMarker", last);
    if (next_id != NULL)
      gateway_xml_element(&b, "NextUploadIdMarker", next_id);
  }
  if (prefix != NULL)
    gateway_xml_element(&b, "Prefix", prefix);
  if (delimiter != NULL && *delimiter != '\0')
    gateway_xml_element(&b, "Delimiter", delimiter);
  char text[32];
  snprintf(text, sizeof text, "%zu", max_uploads);
  gateway_xml_element(&b, "MaxUploads", text);
  gateway_xml_element(&b, "IsTruncated", truncated ? "true" : "false");
  strbuf_add(&b, listed.data, listed.length);
  b.failed = b.failed || listed.failed;
  strbuf_release(&listed);
  free(common);
  strbuf_add_string(&b, "</ListMultipartUploadsResult>");
  upload_list_clear(&l);
  gateway_answer(x, 200, strbuf_finish(&b));
}

/* ------------------------------------------------------------ routing */

void gateway_multipart_request(pail_gateway_exchange *x,
                               const pail_pointer *p) {
  const char *id = gateway_param_get(x, "uploadId");
  const char *number_text = gateway_param_get(x, "partNumber");
  if (gateway_method_is(x, "POST") && id == NULL &&
      gateway_param_get(x, "uploads") != NULL) {
    create_upload(x, p);
    return;
  }
  if (id == NULL) { /* GET/HEAD ?partNumber=N: a part of a stored object */
    gateway_answer_code(x, 501, "NotImplemented",
                        "Reading an object by part number is not implemented "
                        "by the gateway.");
    return;
  }
  unsigned number = gateway_part_number(number_text);
  bool put = gateway_method_is(x, "PUT");
  if (put && number == 0) {
    gateway_answer_code(x, 400, "InvalidArgument",
                        "Part number must be an integer between 1 and 10000, "
                        "inclusive");
    return;
  }
  /* Every step is judged against the target key, as if it were written. */
  pail_access access =
      gateway_method_is(x, "GET") ? PAIL_ACCESS_LIST
      : gateway_method_is(x, "DELETE") &&
              pail_access_check(x->view, p, PAIL_ACCESS_DELETE, NULL) == PAIL_OK
          ? PAIL_ACCESS_DELETE
          : PAIL_ACCESS_WRITE;
  if (!target_allowed(x, p, access))
    return;
  upload u;
  if (!manifest_load(x, id, &u))
    return;
  const char *source = gateway_header_get(x, "x-amz-copy-source");
  pail_error *err = NULL;
  if (put && source != NULL) {
    upload_part_copy(x, id, &u, number, source);
  } else if (put && u.native != NULL) {
    native_part(x);
  } else if (put) {
    upload_part(x, id, number);
  } else if (gateway_method_is(x, "POST")) {
    if (gateway_payload_open(&x->auth, x->secret, &x->payload, &err) !=
        PAIL_OK) {
      gateway_answer_error(x, err);
    } else {
      x->body = BODY_XML;
      x->finish = complete_finish;
    }
  } else if (gateway_method_is(x, "DELETE")) {
    /* The provider's upload first: while it stands, the manifest that
     * names it stays for a retry or for pail cleanup. */
    if (native_abort(x, &u, &err) == PAIL_OK &&
        staged_delete(x, id, &err) == PAIL_OK)
      gateway_answer(x, 204, NULL);
    else
      gateway_answer_error(x, err);
  } else if (gateway_method_is(x, "GET")) {
    list_parts(x, id, &u);
  } else {
    gateway_answer_code(x, 405, "MethodNotAllowed",
                        "The specified method is not allowed against this "
                        "resource.");
  }
  upload_clear(&u);
}
