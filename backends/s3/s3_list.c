/*
 * s3_list.c: ListObjectsV2, one page per call, with folders (CommonPrefixes)
 * merged into the keys in byte order as the core expects.
 */
#include "s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads one <Contents> element into info. */
static bool parse_contents(xmlNodePtr node, pail_object_info *info) {
  info->key = backend_xml_child_text(node, "Key");
  if (info->key == NULL)
    return false;
  char *size = backend_xml_child_text(node, "Size");
  info->size = size ? strtoull(size, NULL, 10) : 0;
  free(size);
  char *modified = backend_xml_child_text(node, "LastModified");
  if (modified == NULL ||
      s3_core->time_parse(modified, &info->last_modified,
                          &info->last_modified_nsec) != PAIL_OK)
    info->last_modified = INT64_MIN;
  free(modified);
  info->etag = backend_xml_child_text(node, "ETag");
  return true;
}

/* Turns a ListBucketResult into a page; the body came from the server, so
 * nothing in it is trusted: counts are bounded here, and the core drops keys
 * outside the prefix or that no pointer can name. */
pail_status s3_list_parse_page(const s3_instance *s3,
                               const pail_http_response *response,
                               pail_list_page *out, pail_error **err) {
  xmlDocPtr doc = backend_xml_parse(response->body, response->body_length);
  xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
  if (root == NULL || strcmp((const char *)root->name, "ListBucketResult")) {
    if (doc)
      xmlFreeDoc(doc);
    return s3_core->error_set(
        err, PAIL_ERR_IO, response->status, NULL,
        s3_core->http_header(response, "x-amz-request-id"),
        "s3: the listing of bucket \"%s\" is not a "
        "ListBucketResult document",
        s3->bucket);
  }
  size_t capacity = 0;
  for (xmlNodePtr c = root->children; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE &&
        (!strcmp((const char *)c->name, "Contents") ||
         !strcmp((const char *)c->name, "CommonPrefixes")))
      capacity++;
  pail_status status = PAIL_OK;
  out->entries = capacity ? calloc(capacity, sizeof *out->entries) : NULL;
  if (capacity && out->entries == NULL)
    status = s3_no_memory(err);
  for (xmlNodePtr c = root->children; status == PAIL_OK && c != NULL;
       c = c->next) {
    bool folder = c->type == XML_ELEMENT_NODE &&
                  !strcmp((const char *)c->name, "CommonPrefixes");
    bool object = c->type == XML_ELEMENT_NODE &&
                  !strcmp((const char *)c->name, "Contents");
    if (!folder && !object)
      continue;
    pail_object_info *e = &out->entries[out->count];
    e->last_modified = INT64_MIN;
    if (folder) {
      e->key = backend_xml_child_text(c, "Prefix");
      e->is_folder = 1;
    } else {
      parse_contents(c, e);
    }
    /* Keys outside the prefix or that no pointer can name are dropped by
     * the core (workspace_list_filter); here only a missing one. */
    if (e->key == NULL) {
      s3_core->object_info_clear(e);
      continue;
    }
    out->count++;
  }
  char *truncated = backend_xml_child_text(root, "IsTruncated");
  char *token = backend_xml_child_text(root, "NextContinuationToken");
  xmlFreeDoc(doc);
  if (status == PAIL_OK && truncated && !strcmp(truncated, "true")) {
    if (token == NULL || *token == '\0')
      status = s3_core->error_set(
          err, PAIL_ERR_IO, response->status, NULL,
          s3_core->http_header(response, "x-amz-request-id"),
          "s3: the server says the listing of bucket \"%s\" goes on but "
          "gives no continuation token",
          s3->bucket);
    else {
      out->next_page_token = token;
      token = NULL;
    }
  }
  free(truncated);
  free(token);
  if (status == PAIL_OK)
    backend_list_sort(out);
  return status;
}

pail_status s3_list(void *instance, const pail_backend_list_request *request,
                    pail_list_page *out, pail_error **err) {
  s3_instance *s3 = instance;
  char *query = strdup("list-type=2");
  char max[32];
  snprintf(max, sizeof max, "%zu", request->max_keys);
  bool ok =
      query != NULL && backend_query_add(s3_core, &query, "max-keys", max) &&
      backend_query_add(s3_core, &query, "prefix", request->prefix) &&
      (request->delimiter == NULL ||
       backend_query_add(s3_core, &query, "delimiter", request->delimiter)) &&
      (request->page_token == NULL ||
       backend_query_add(s3_core, &query, "continuation-token",
                         request->page_token));
  if (!ok) {
    free(query);
    return s3_no_memory(err);
  }
  pail_request r;
  pail_http_response response = {0};
  pail_status status =
      s3_core->request_init(&r, "GET", s3_url(s3, NULL, query), err);
  free(query);
  if (status == PAIL_OK)
    status = s3_request_sign(s3, &r, err);
  if (status == PAIL_OK)
    status = s3_exchange(s3, &r, "cannot list", &response, err);
  if (status == PAIL_OK)
    status = s3_list_parse_page(s3, &response, out, err);
  s3_core->http_response_clear(&response);
  s3_core->request_free(&r);
  return status;
}
