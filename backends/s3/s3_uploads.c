/*
 * s3_uploads.c: multipart uploads in progress (ListMultipartUploads) and
 * their abort (AbortMultipartUpload). An upload that was neither completed
 * nor aborted (its writer was killed) stays in the bucket, invisible to
 * listings and billed for its parts, until someone aborts it: the writer
 * itself after a lost CreateMultipartUpload answer (s3_write.c), or pail
 * cleanup (the leftovers operations below).
 */
#include "s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void s3_uploads_free(s3_upload *uploads, size_t count) {
  for (size_t i = 0; i < count; i++) {
    free(uploads[i].key);
    free(uploads[i].id);
  }
  free(uploads);
}

/* Reads a ListMultipartUploadsResult: its <Upload>s and where the next
 * page starts. The body came from the server: nothing in it is trusted. */
static pail_status uploads_parse(const s3_instance *s3,
                                 const pail_http_response *response,
                                 s3_uploads_page *page, pail_error **err) {
  xmlDocPtr doc = backend_xml_parse(response->body, response->body_length);
  xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
  if (root == NULL ||
      strcmp((const char *)root->name, "ListMultipartUploadsResult") != 0) {
    if (doc != NULL)
      xmlFreeDoc(doc);
    return s3_core->error_set(
        err, PAIL_ERR_IO, response->status, NULL,
        s3_core->http_header(response, "x-amz-request-id"),
        "s3: the multipart uploads of bucket \"%s\" are not a "
        "ListMultipartUploadsResult document",
        s3->bucket);
  }
  size_t capacity = 0;
  for (xmlNodePtr u = root->children; u != NULL; u = u->next)
    capacity += u->type == XML_ELEMENT_NODE &&
                strcmp((const char *)u->name, "Upload") == 0;
  pail_status status = PAIL_OK;
  page->uploads = capacity ? calloc(capacity, sizeof *page->uploads) : NULL;
  if (capacity > 0 && page->uploads == NULL)
    status = s3_no_memory(err);
  for (xmlNodePtr u = root->children; status == PAIL_OK && u != NULL;
       u = u->next) {
    if (u->type != XML_ELEMENT_NODE ||
        strcmp((const char *)u->name, "Upload") != 0)
      continue;
    s3_upload *up = &page->uploads[page->count];
    up->key = backend_xml_child_text(u, "Key");
    up->id = backend_xml_child_text(u, "UploadId");
    char *initiated = backend_xml_child_text(u, "Initiated");
    if (initiated == NULL ||
        s3_core->time_parse(initiated, &up->initiated, NULL) != PAIL_OK)
      up->initiated = INT64_MIN;
    free(initiated);
    page->count++;
    if (up->key == NULL || up->id == NULL || *up->id == '\0') {
      free(up->key);
      free(up->id);
      memset(up, 0, sizeof *up);
      page->count--;
    }
  }
  char *truncated = backend_xml_child_text(root, "IsTruncated");
  if (status == PAIL_OK && truncated != NULL &&
      strcmp(truncated, "true") == 0) {
    page->next_key = backend_xml_child_text(root, "NextKeyMarker");
    page->next_id = backend_xml_child_text(root, "NextUploadIdMarker");
    if (page->next_key == NULL || *page->next_key == '\0')
      status = s3_core->error_set(
          err, PAIL_ERR_IO, response->status, NULL,
          s3_core->http_header(response, "x-amz-request-id"),
          "s3: the server says the multipart uploads of bucket \"%s\" go on "
          "but gives no NextKeyMarker",
          s3->bucket);
  }
  free(truncated);
  xmlFreeDoc(doc);
  return status;
}

pail_status s3_uploads_list(const s3_instance *s3, const char *prefix,
                            const char *key_marker, const char *id_marker,
                            s3_uploads_page *page, pail_error **err) {
  memset(page, 0, sizeof *page);
  page->server_now = INT64_MIN;
  /* In the order SigV4 sorts them (as the request is logged, too). */
  char *query = strdup("");
  bool ok = query != NULL &&
            (key_marker == NULL ||
             backend_query_add(s3_core, &query, "key-marker", key_marker)) &&
            (prefix == NULL ||
             backend_query_add(s3_core, &query, "prefix", prefix)) &&
            (id_marker == NULL ||
             backend_query_add(s3_core, &query, "upload-id-marker", id_marker));
  char *full = NULL;
  /* query is "" or "name=value&...": uploads= sorts last. */
  if (ok && asprintf(&full, "%s%suploads=", query, *query ? "&" : "") < 0)
    full = NULL;
  free(query);
  if (full == NULL)
    return s3_no_memory(err);
  query = full;
  pail_request r;
  pail_http_response response = {0};
  pail_status status =
      s3_core->request_init(&r, "GET", s3_url(s3, NULL, query), err);
  free(query);
  if (status == PAIL_OK)
    status = s3_request_sign(s3, &r, err);
  if (status == PAIL_OK)
    status =
        s3_exchange(s3, &r, "cannot list multipart uploads", &response, err);
  const char *date = s3_core->http_header(&response, "date");
  if (status == PAIL_OK && date != NULL &&
      s3_core->time_parse(date, &page->server_now, NULL) != PAIL_OK)
    page->server_now = INT64_MIN;
  if (status == PAIL_OK)
    status = uploads_parse(s3, &response, page, err);
  s3_core->http_response_clear(&response);
  s3_core->request_free(&r);
  return status;
}

void s3_uploads_page_clear(s3_uploads_page *page) {
  s3_uploads_free(page->uploads, page->count);
  free(page->next_key);
  free(page->next_id);
  memset(page, 0, sizeof *page);
}

pail_status s3_upload_abort(const s3_instance *s3, const char *key,
                            const char *upload_id, pail_error **err) {
  char *encoded = s3_core->uri_encode(upload_id, 0);
  char *query = NULL;
  if (encoded == NULL || asprintf(&query, "uploadId=%s", encoded) < 0)
    query = NULL;
  free(encoded);
  if (query == NULL)
    return s3_no_memory(err);
  pail_status status = s3_send_delete(s3, key, query, err);
  free(query);
  return status;
}

pail_status s3_upload_abandon(void *instance, const char *key,
                              const char *upload_id, pail_error **err) {
  pail_error *failure = NULL;
  pail_status status = s3_upload_abort(instance, key, upload_id, &failure);
  /* NoSuchUpload: completed or aborted already. */
  if (status == PAIL_ERR_NOT_FOUND)
    status = PAIL_OK;
  else if (status != PAIL_OK && err != NULL && *err == NULL)
    *err = failure, failure = NULL;
  s3_core->error_free(failure);
  return status;
}

/* ------------------------------------------------------ pail cleanup */

pail_status s3_leftovers_list(void *instance, pail_leftover **leftovers,
                              size_t *count, char **note, pail_error **err) {
  (void)note;
  const s3_instance *s3 = instance;
  size_t capacity = 0;
  char *key_marker = NULL, *id_marker = NULL;
  pail_status status = PAIL_OK;
  do {
    s3_uploads_page page;
    status = s3_uploads_list(s3, NULL, key_marker, id_marker, &page, err);
    free(key_marker);
    free(id_marker);
    key_marker = page.next_key;
    id_marker = page.next_id;
    page.next_key = page.next_id = NULL;
    if (status == PAIL_OK && *count + page.count > capacity) {
      capacity = 2 * (*count + page.count);
      pail_leftover *grown = realloc(*leftovers, capacity * sizeof *grown);
      if (grown == NULL)
        status = s3_no_memory(err);
      else
        *leftovers = grown;
    }
    for (size_t i = 0; status == PAIL_OK && i < page.count; i++) {
      pail_leftover *l = &(*leftovers)[(*count)++];
      memset(l, 0, sizeof *l);
      l->kind = PAIL_LEFTOVER_MULTIPART_UPLOAD;
      l->key = page.uploads[i].key;
      l->id = page.uploads[i].id;
      l->started = page.uploads[i].initiated;
      page.uploads[i].key = page.uploads[i].id = NULL;
    }
    s3_uploads_page_clear(&page);
  } while (status == PAIL_OK && key_marker != NULL);
  free(key_marker);
  free(id_marker);
  return status;
}

pail_status s3_leftover_remove(void *instance, const pail_leftover *leftover,
                               int force, pail_error **err) {
  (void)force; /* S3 cannot tell a running upload from an abandoned one */
  if (leftover->kind != PAIL_LEFTOVER_MULTIPART_UPLOAD || leftover->key == NULL)
    return s3_core->error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                              "s3: \"%s\" is not a multipart upload",
                              leftover->id);
  /* Gone (completed or aborted meanwhile) is what cleanup wants, and
   * AbortMultipartUpload never touches a completed object. */
  return s3_upload_abandon(instance, leftover->key, leftover->id, err);
}
