/*
 * gcs_uploads.c: the S3 gateway's multipart uploads (the ABI 1.18 upload
 * operations) in GCS's own mechanism, composition. GCS has no multipart
 * upload of its JSON API: an upload here is a random tag and nothing more
 * (upload_create sends nothing). Each part is an object of its own, hidden
 * in the reserved folder the core leaves out of listings:
 *
 *   .pail_uploads/gcs-<tag>-p00001     part 1 (p00001 to p10000)
 *   .pail_uploads/gcs-<tag>-c1-00000   an intermediate composite (below)
 *
 * flat, not under a folder "<tag>/": a folder there is the gateway's own
 * staged upload (its manifest and part records), which the gateway and
 * pail cleanup look for by folder. Each object carries the upload's target
 * key in its metadata (pail-upload-key), so that pail cleanup can name it.
 * A part's name for Complete (its "etag") is the generation the upload
 * made: Complete composes exactly the bytes the part's record describes,
 * and a part sent again meanwhile (a new generation) fails it instead of
 * composing other bytes.
 *
 * Complete is objects.compose, which takes at most 32 sources a call: up to
 * 32 parts go straight into the target; more are composed 32 at a time
 * into intermediates, and those again, until 32 or fewer remain (10,000
 * parts: 313, then 10, then the target; a composite can be a source).
 * The target's content type, disposition and metadata are the compose's
 * destination resource; a create-only upload adds ifGenerationMatch=0.
 * Then every object of the upload is deleted, as Abort deletes them.
 * Through the XML API (HMAC keys alone) uploads are the s3 backend's
 * multipart uploads, which GCS's XML API serves (gcs_relay.c).
 */
#include "gcs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UPLOAD_TAG_LENGTH 16
#define UPLOAD_PREFIX ".pail_uploads/gcs-"
#define UPLOAD_PREFIX_LENGTH (sizeof UPLOAD_PREFIX - 1)
#define UPLOAD_KEY_METADATA "pail-upload-key"
/* Sources a compose call takes, as GCS documents it. */
#define COMPOSE_MAX 32
/* Listing passes of a discard, against a server that never empties. */
#define DISCARD_PASSES 1000

/* ------------------------------------------------------------- names */

bool gcs_upload_tag_valid(const char *id) {
  return strlen(id) == UPLOAD_TAG_LENGTH &&
         strspn(id, "0123456789abcdef") == UPLOAD_TAG_LENGTH;
}

static pail_status tag_refused(const char *key, const char *upload_id,
                               pail_error **err) {
  return gcs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                             "gcs: %s: \"%.64s\" is not an upload of this "
                             "backend",
                             key, upload_id);
}

/* The names of upload id's objects start with this (malloc'ed). */
static char *upload_prefix(const char *id) {
  char *name = NULL;
  return asprintf(&name, UPLOAD_PREFIX "%s-", id) < 0 ? NULL : name;
}

static char *part_name(const char *id, uint32_t number) {
  char *name = NULL;
  return asprintf(&name, UPLOAD_PREFIX "%s-p%05u", id, (unsigned)number) < 0
             ? NULL
             : name;
}

static char *intermediate_name(const char *id, unsigned level, size_t index) {
  char *name = NULL;
  return asprintf(&name, UPLOAD_PREFIX "%s-c%u-%05zu", id, level, index) < 0
             ? NULL
             : name;
}

/* Whether text is a generation (decimal digits). */
static bool generation_valid(const char *text) {
  size_t n = text ? strlen(text) : 0;
  return n > 0 && n <= 20 && strspn(text, "0123456789") == n;
}

/* ------------------------------------------------------------ discard */

/* Frees what a listing page holds (plugins do not link libpail). */
static void page_clear(pail_list_page *page) {
  for (size_t i = 0; i < page->count; i++)
    gcs_core->object_info_clear(&page->entries[i]);
  free(page->entries);
  free(page->next_page_token);
  memset(page, 0, sizeof *page);
}

/* Deletes every object of upload id, page after page of its listing (each
 * pass lists again from the start: what it deleted is gone). */
static pail_status upload_discard(gcs_instance *gcs, const char *key,
                                  const char *id, pail_error **err) {
  char *prefix = upload_prefix(id);
  if (prefix == NULL)
    return gcs_no_memory(err);
  pail_status status = PAIL_OK;
  for (int pass = 0; status == PAIL_OK; pass++) {
    if (pass == DISCARD_PASSES) {
      status = gcs_core->error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                                   "gcs: %s: the objects of upload %s are "
                                   "still listed after %d passes",
                                   key, id, DISCARD_PASSES);
      break;
    }
    pail_backend_list_request request = {.prefix = prefix, .max_keys = 1000};
    pail_list_page page = {0};
    status = gcs_list(gcs, &request, &page, err);
    for (size_t i = 0; status == PAIL_OK && i < page.count; i++) {
      status = gcs_delete_object(gcs, page.entries[i].key, NULL, err);
      if (status == PAIL_ERR_NOT_FOUND) { /* deleted meanwhile */
        gcs_core->error_free(*err);
        *err = NULL;
        status = PAIL_OK;
      }
    }
    size_t listed = page.count;
    page_clear(&page);
    if (listed == 0)
      break;
  }
  free(prefix);
  return status;
}

/* -------------------------------------------------------------- compose */

/* One source of a compose: an object's name and generation. */
typedef struct compose_source {
  char *name;
  char *generation;
} compose_source;

static void sources_free(compose_source *sources, size_t count) {
  for (size_t i = 0; sources != NULL && i < count; i++) {
    free(sources[i].name);
    free(sources[i].generation);
  }
  free(sources);
}

static char *compose_url(const gcs_instance *gcs, const char *destination,
                         bool create_only) {
  char *bucket = gcs_core->uri_encode(gcs->bucket, 0);
  char *name = gcs_core->uri_encode(destination, 0);
  char *url = NULL;
  if (bucket != NULL && name != NULL &&
      asprintf(&url, "%s/storage/v1/b/%s/o/%s/compose%s", gcs->api_base, bucket,
               name, create_only ? "?ifGenerationMatch=0" : "") < 0)
    url = NULL;
  free(bucket);
  free(name);
  return url;
}

/* objects.compose of count (1 to COMPOSE_MAX) sources, each pinned to its
 * generation, into destination with the resource given (taken); *made
 * receives the new object's name and generation (may be NULL) and info
 * its info (may be NULL). A source that is gone (404) is
 * PAIL_ERR_CONFLICT: a part the provider no longer has. */
static pail_status compose(gcs_instance *gcs, const char *key,
                           const char *destination, json_t *resource,
                           const compose_source *sources, size_t count,
                           bool create_only, compose_source *made,
                           pail_object_info *info, pail_error **err) {
  json_t *list = json_array();
  json_t *body_json =
      json_pack("{s:s, s:o, s:o}", "kind", "storage#composeRequest",
                "sourceObjects", list, "destination", resource);
  bool ok = list != NULL && body_json != NULL;
  for (size_t i = 0; ok && i < count; i++)
    ok = json_array_append_new(list, json_pack("{s:s, s:s}", "name",
                                               sources[i].name, "generation",
                                               sources[i].generation)) == 0;
  char *body = ok ? json_dumps(body_json, JSON_COMPACT) : NULL;
  json_decref(body_json);
  if (body == NULL)
    return gcs_no_memory(err);
  static const int gone[] = {404, 0};
  pail_request r;
  pail_http_response response = {0};
  pail_status status = gcs_core->request_init(
      &r, "POST", compose_url(gcs, destination, create_only), err);
  if (status == PAIL_OK) {
    pail_request_body(&r, body, strlen(body));
    /* Composing the same generations again makes the same bytes; but a
     * create-only compose replayed after a lost answer would find its
     * own object and report a conflict that is not one. */
    if (!create_only)
      r.http.flags |= PAIL_HTTP_IDEMPOTENT;
    status = gcs_core->request_header(&r, err,
                                      "Content-Type: application/json; "
                                      "charset=UTF-8");
  }
  if (status == PAIL_OK)
    status = gcs_exchange(gcs, &r, key, gone, &response, err);
  if (status == PAIL_OK && response.status == 404)
    status = gcs_response_error_as(gcs, &response, key, PAIL_ERR_CONFLICT, err);
  pail_object_info local = {0};
  pail_object_info *target = info ? info : &local;
  if (status == PAIL_OK) {
    json_t *root = gcs_json_body(&response);
    status = root ? gcs_info_from_json(root, target, NULL, NULL, err)
                  : gcs_core->error_set(err, PAIL_ERR_IO, response.status, NULL,
                                        gcs_request_id(&response),
                                        "gcs: %s: the compose's answer is not "
                                        "an object resource",
                                        key);
    json_decref(root);
  }
  if (status == PAIL_OK && strcmp(target->key, destination) != 0)
    status = gcs_core->error_set(err, PAIL_ERR_IO, response.status, NULL,
                                 gcs_request_id(&response),
                                 "gcs: %s: the compose made another object "
                                 "than the one asked for",
                                 key);
  if (status == PAIL_OK && made != NULL &&
      ((made->name = strdup(destination)) == NULL ||
       (made->generation = strdup(target->etag)) == NULL))
    status = gcs_no_memory(err);
  gcs_core->object_info_clear(&local);
  gcs_core->http_response_clear(&response);
  gcs_core->request_free(&r);
  free(body);
  return status;
}

/* The resource of an object of upload id: its target key in metadata. */
static pail_status hidden_resource(const char *key, json_t **out,
                                   pail_error **err) {
  pail_metadata_entry entry = {.name = UPLOAD_KEY_METADATA,
                               .value = (char *)key};
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  options.content_type = "application/octet-stream";
  options.metadata = &entry;
  options.metadata_count = 1;
  return gcs_write_metadata(NULL, &options, out, err);
}

/* Composes *sources (*count of them, more than COMPOSE_MAX) 32 at a time
 * into intermediates of `level`, which replace them. */
static pail_status compose_level(gcs_instance *gcs, const char *key,
                                 const char *id, unsigned level,
                                 compose_source **sources, size_t *count,
                                 pail_error **err) {
  size_t groups = (*count + COMPOSE_MAX - 1) / COMPOSE_MAX;
  compose_source *next = calloc(groups, sizeof *next);
  if (next == NULL)
    return gcs_no_memory(err);
  pail_status status = PAIL_OK;
  for (size_t g = 0; status == PAIL_OK && g < groups; g++) {
    size_t first = g * COMPOSE_MAX;
    size_t n = *count - first < COMPOSE_MAX ? *count - first : COMPOSE_MAX;
    char *name = intermediate_name(id, level, g);
    json_t *resource = NULL;
    status = name ? hidden_resource(key, &resource, err) : gcs_no_memory(err);
    if (status == PAIL_OK)
      status = compose(gcs, key, name, resource, *sources + first, n, false,
                       &next[g], NULL, err);
    free(name);
  }
  if (status != PAIL_OK) {
    sources_free(next, groups);
    return status;
  }
  sources_free(*sources, *count);
  *sources = next;
  *count = groups;
  return PAIL_OK;
}

/* ---------------------------------------------------------- operations */

/* The s3 backend's upload operations, for a storage of HMAC keys alone. */
static const pail_backend_ops *relay_uploads(const gcs_instance *gcs,
                                             pail_error **err) {
  const pail_backend_ops *ops = gcs->relay->ops;
  if (ops->upload_create != NULL && ops->upload_part != NULL &&
      ops->upload_complete != NULL && ops->upload_abort != NULL)
    return ops;
  gcs_core->error_set(err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
                      "gcs: the s3 backend does not take uploads by parts "
                      "for the XML API");
  return NULL;
}

pail_status gcs_upload_create(void *instance, const char *key,
                              const pail_write_options *options,
                              char **upload_id, pail_error **err) {
  gcs_instance *gcs = instance;
  if (gcs->relay != NULL) {
    const pail_backend_ops *ops = relay_uploads(gcs, err);
    return ops ? ops->upload_create(gcs->relay->instance, key, options,
                                    upload_id, err)
               : PAIL_ERR_UNSUPPORTED;
  }
  /* The options become the compose's destination: checked now, before
   * any part is sent. */
  json_t *resource = NULL;
  pail_status status = gcs_write_metadata(NULL, options, &resource, err);
  json_decref(resource);
  if (status != PAIL_OK)
    return status;
  char tag[UPLOAD_TAG_LENGTH + 1];
  backend_unique_tag(gcs_core, upload_id, tag, UPLOAD_TAG_LENGTH);
  *upload_id = strdup(tag);
  return *upload_id ? PAIL_OK : gcs_no_memory(err);
}

pail_status gcs_upload_part(void *instance, const char *key,
                            const char *upload_id, uint32_t number, int fd,
                            uint64_t offset, uint64_t length, char **etag,
                            pail_error **err) {
  gcs_instance *gcs = instance;
  if (gcs->relay != NULL) {
    const pail_backend_ops *ops = relay_uploads(gcs, err);
    return ops ? ops->upload_part(gcs->relay->instance, key, upload_id, number,
                                  fd, offset, length, etag, err)
               : PAIL_ERR_UNSUPPORTED;
  }
  if (!gcs_upload_tag_valid(upload_id))
    return tag_refused(key, upload_id, err);
  char *name = part_name(upload_id, number);
  if (name == NULL)
    return gcs_no_memory(err);
  /* A write of the part's object as any other (its CRC-32C checked,
   * chunks resumed), from the file's range. */
  pail_metadata_entry entry = {.name = UPLOAD_KEY_METADATA,
                               .value = (char *)key};
  pail_write_options options = PAIL_WRITE_OPTIONS_INIT;
  options.content_type = "application/octet-stream";
  options.metadata = &entry;
  options.metadata_count = 1;
  options.size_hint = length;
  void *stream = NULL;
  pail_object_info info = {0};
  pail_status status = gcs_write_open(gcs, name, &options, &stream, err);
  if (status == PAIL_OK && length > 0) {
    status = gcs_write_stream_file(stream, fd, offset, length, err);
    if (status != PAIL_OK)
      gcs_write_abort(stream);
  }
  if (status == PAIL_OK)
    status = gcs_write_commit(stream, &info, err);
  if (status == PAIL_OK && (*etag = strdup(info.etag)) == NULL)
    status = gcs_no_memory(err);
  gcs_core->object_info_clear(&info);
  free(name);
  return status;
}

pail_status gcs_upload_complete(void *instance, const char *key,
                                const char *upload_id,
                                const pail_write_options *options,
                                const pail_upload_part *parts, size_t count,
                                pail_object_info *info, pail_error **err) {
  gcs_instance *gcs = instance;
  if (gcs->relay != NULL) {
    const pail_backend_ops *ops = relay_uploads(gcs, err);
    return ops ? ops->upload_complete(gcs->relay->instance, key, upload_id,
                                      options, parts, count, info, err)
               : PAIL_ERR_UNSUPPORTED;
  }
  if (!gcs_upload_tag_valid(upload_id))
    return tag_refused(key, upload_id, err);
  if (count == 0)
    return gcs_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                               "gcs: %s: an upload is completed with one "
                               "part at least",
                               key);
  for (size_t i = 0; i < count; i++)
    if (!generation_valid(parts[i].etag) ||
        (i > 0 && parts[i].number <= parts[i - 1].number))
      return gcs_core->error_set(
          err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
          "gcs: %s: part %u is not named by a generation of upload %s, or "
          "out of order",
          key, (unsigned)parts[i].number, upload_id);
  /* The target's resource: the caller's type (GCS's default, as a write
   * without one gets), disposition and metadata. */
  pail_write_options target = *options;
  if (target.content_type == NULL)
    target.content_type = "application/octet-stream";
  json_t *resource = NULL;
  pail_status status = gcs_write_metadata(NULL, &target, &resource, err);
  if (status != PAIL_OK)
    return status;
  compose_source *sources = calloc(count, sizeof *sources);
  if (sources == NULL) {
    json_decref(resource);
    return gcs_no_memory(err);
  }
  for (size_t i = 0; status == PAIL_OK && i < count; i++)
    if ((sources[i].name = part_name(upload_id, parts[i].number)) == NULL ||
        (sources[i].generation = strdup(parts[i].etag)) == NULL)
      status = gcs_no_memory(err);
  size_t remaining = count;
  for (unsigned level = 1; status == PAIL_OK && remaining > COMPOSE_MAX;
       level++)
    status =
        compose_level(gcs, key, upload_id, level, &sources, &remaining, err);
  if (status == PAIL_OK) {
    status = compose(gcs, key, key, resource, sources, remaining,
                     options->if_none_match != 0, NULL, info, err);
    resource = NULL; /* taken */
  }
  json_decref(resource);
  sources_free(sources, remaining);
  if (status != PAIL_OK)
    return status; /* the parts stay, for another Complete or the abort */
  /* The object is made: its parts are no one's now. */
  pail_error *failure = NULL;
  if (upload_discard(gcs, key, upload_id, &failure) != PAIL_OK)
    gcs_core->log(gcs->cfg, PAIL_LOG_WARNING,
                  "gcs: %s: the parts of upload %s stay in the bucket "
                  "(%s); pail cleanup removes them",
                  key, upload_id, gcs_core->error_message(failure));
  gcs_core->error_free(failure);
  return PAIL_OK;
}

pail_status gcs_upload_abort(void *instance, const char *key,
                             const char *upload_id, pail_error **err) {
  gcs_instance *gcs = instance;
  if (gcs->relay != NULL) {
    const pail_backend_ops *ops = relay_uploads(gcs, err);
    return ops ? ops->upload_abort(gcs->relay->instance, key, upload_id, err)
               : PAIL_ERR_UNSUPPORTED;
  }
  if (!gcs_upload_tag_valid(upload_id))
    return tag_refused(key, upload_id, err);
  return upload_discard(gcs, key, upload_id, err);
}

/* ----------------------------------------------------------- leftovers */

/* Adds to *list the uploads whose objects are in page (byte order keeps
 * each upload's together, across pages too: *last is the one added last). */
static pail_status leftovers_add(const pail_list_page *page,
                                 pail_leftover **list, size_t *count,
                                 pail_error **err) {
  for (size_t i = 0; i < page->count; i++) {
    const pail_object_info *e = &page->entries[i];
    if (e->is_folder || strncmp(e->key, UPLOAD_PREFIX, UPLOAD_PREFIX_LENGTH))
      continue;
    const char *tag = e->key + UPLOAD_PREFIX_LENGTH;
    if (strlen(tag) <= UPLOAD_TAG_LENGTH || tag[UPLOAD_TAG_LENGTH] != '-' ||
        strspn(tag, "0123456789abcdef") != UPLOAD_TAG_LENGTH)
      continue; /* not an upload's object */
    pail_leftover *l = *count > 0 ? &(*list)[*count - 1] : NULL;
    if (l == NULL || strncmp(l->id, tag, UPLOAD_TAG_LENGTH) != 0) {
      pail_leftover *grown = realloc(*list, (*count + 1) * sizeof *grown);
      if (grown == NULL)
        return gcs_no_memory(err);
      *list = grown;
      l = &grown[(*count)++];
      memset(l, 0, sizeof *l);
      l->kind = PAIL_LEFTOVER_MULTIPART_UPLOAD;
      l->started = INT64_MIN;
      l->size_known = 1;
      if ((l->id = strndup(tag, UPLOAD_TAG_LENGTH)) == NULL)
        return gcs_no_memory(err);
    }
    l->size += e->size;
    if (e->last_modified != INT64_MIN &&
        (l->started == INT64_MIN || e->last_modified < l->started))
      l->started = e->last_modified;
    for (size_t m = 0; l->key == NULL && m < e->metadata_count; m++)
      if (strcmp(e->metadata[m].name, UPLOAD_KEY_METADATA) == 0 &&
          (l->key = strdup(e->metadata[m].value)) == NULL)
        return gcs_no_memory(err);
  }
  return PAIL_OK;
}

pail_status gcs_upload_leftovers(gcs_instance *gcs, pail_leftover **leftovers,
                                 size_t *count, pail_error **err) {
  char *token = NULL;
  pail_status status = PAIL_OK;
  do {
    pail_backend_list_request request = {
        .prefix = UPLOAD_PREFIX, .page_token = token, .max_keys = 1000};
    pail_list_page page = {0};
    status = gcs_list(gcs, &request, &page, err);
    free(token);
    token = NULL;
    if (status == PAIL_OK)
      status = leftovers_add(&page, leftovers, count, err);
    token = page.next_page_token;
    page.next_page_token = NULL;
    page_clear(&page);
  } while (status == PAIL_OK && token != NULL);
  free(token);
  return status;
}

pail_status gcs_upload_leftover_remove(gcs_instance *gcs,
                                       const pail_leftover *leftover,
                                       pail_error **err) {
  if (leftover->kind != PAIL_LEFTOVER_MULTIPART_UPLOAD ||
      !gcs_upload_tag_valid(leftover->id))
    return gcs_core->error_set(err, PAIL_ERR_UNSUPPORTED, 0, NULL, NULL,
                               "gcs: \"%s\" is no leftover of this backend",
                               leftover->id);
  return upload_discard(gcs, leftover->key ? leftover->key : leftover->id,
                        leftover->id, err);
}
