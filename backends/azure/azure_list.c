/*
 * azure_list.c: List Blobs, one page per call (maxresults, marker), with
 * folders (BlobPrefix, under a delimiter) merged into the keys in byte
 * order as the core expects.
 */
#include "azure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The <Name> of a Blob or BlobPrefix, malloc'ed. The service percent-
 * encodes names that XML cannot carry and says so with Encoded="true". */
static char *element_name(xmlNodePtr node) {
  xmlNodePtr name = backend_xml_child(node, "Name");
  if (name == NULL)
    return NULL;
  xmlChar *text = xmlNodeGetContent(name);
  char *copy = text ? strdup((const char *)text) : strdup("");
  xmlFree(text);
  xmlChar *encoded = xmlGetProp(name, (const xmlChar *)"Encoded");
  bool is_encoded = encoded && strcmp((const char *)encoded, "true") == 0;
  xmlFree(encoded);
  if (copy != NULL && is_encoded) {
    char *decoded = NULL;
    size_t length = 0;
    pail_status status =
        azure_core->uri_decode(copy, strlen(copy), &decoded, &length);
    free(copy);
    /* A decoded NUL would cut the key, and a broken escape leaves no key to
     * trust: such a name is not shown. */
    if (status != PAIL_OK || strlen(decoded) != length) {
      free(decoded);
      return NULL;
    }
    copy = decoded;
  }
  return copy;
}

/* Reads one <Blob> element into info. */
static void parse_blob(xmlNodePtr node, pail_object_info *info) {
  info->key = element_name(node);
  xmlNodePtr properties = backend_xml_child(node, "Properties");
  char *size = backend_xml_child_text(properties, "Content-Length");
  info->size = size ? strtoull(size, NULL, 10) : 0;
  free(size);
  char *modified = backend_xml_child_text(properties, "Last-Modified");
  if (modified == NULL ||
      azure_core->time_parse(modified, &info->last_modified,
                             &info->last_modified_nsec) != PAIL_OK) {
    info->last_modified = INT64_MIN;
    info->last_modified_nsec = 0;
  }
  free(modified);
  info->etag = backend_xml_child_text(properties, "Etag");
  info->content_type = backend_xml_child_text(properties, "Content-Type");
}

pail_status azure_list_parse_page(const azure_instance *az,
                                  const pail_backend_list_request *request,
                                  const pail_http_response *response,
                                  pail_list_page *out, pail_error **err) {
  xmlDocPtr doc = backend_xml_parse(response->body, response->body_length);
  xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
  if (root == NULL ||
      strcmp((const char *)root->name, "EnumerationResults") != 0) {
    if (doc)
      xmlFreeDoc(doc);
    return azure_core->error_set(
        err, PAIL_ERR_IO, response->status, NULL,
        azure_core->http_header(response, "x-ms-request-id"),
        "azure_blob: the listing of container \"%s\" is not an "
        "EnumerationResults document",
        az->container);
  }
  xmlNodePtr blobs = backend_xml_child(root, "Blobs");
  size_t capacity = 0;
  for (xmlNodePtr c = blobs ? blobs->children : NULL; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE &&
        (!strcmp((const char *)c->name, "Blob") ||
         !strcmp((const char *)c->name, "BlobPrefix")))
      capacity++;
  pail_status status = PAIL_OK;
  out->entries = capacity ? calloc(capacity, sizeof *out->entries) : NULL;
  if (capacity && out->entries == NULL)
    status = azure_no_memory(err);
  size_t prefix_length = strlen(request->prefix);
  for (xmlNodePtr c = blobs ? blobs->children : NULL;
       status == PAIL_OK && c != NULL; c = c->next) {
    bool folder = c->type == XML_ELEMENT_NODE &&
                  !strcmp((const char *)c->name, "BlobPrefix");
    bool object =
        c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, "Blob");
    if (!folder && !object)
      continue;
    pail_object_info *e = &out->entries[out->count];
    e->last_modified = INT64_MIN;
    if (folder) {
      e->key = element_name(c);
      e->is_folder = 1;
    } else {
      parse_blob(c, e);
    }
    /* A name outside the prefix, or one no pointer can name ("a//b", a
     * folder marker "a/" written by another tool), is not shown. */
    if (e->key == NULL || strncmp(e->key, request->prefix, prefix_length) ||
        (!folder &&
         azure_core->key_check(e->key, strlen(e->key), NULL) != PAIL_OK)) {
      azure_core->object_info_clear(e);
      continue;
    }
    out->count++;
  }
  char *marker = backend_xml_child_text(root, "NextMarker");
  xmlFreeDoc(doc);
  if (status == PAIL_OK && marker != NULL && *marker != '\0') {
    out->next_page_token = marker;
    marker = NULL;
  }
  free(marker);
  if (status == PAIL_OK)
    backend_list_sort(out);
  return status;
}

pail_status azure_list(void *instance, const pail_backend_list_request *request,
                       pail_list_page *out, pail_error **err) {
  azure_instance *az = instance;
  char *query = strdup("restype=container&comp=list");
  char max[32];
  /* The service returns at most 5,000 per page. */
  snprintf(max, sizeof max, "%zu",
           request->max_keys > 5000 ? (size_t)5000 : request->max_keys);
  bool ok =
      query != NULL &&
      backend_query_add(azure_core, &query, "maxresults", max) &&
      (*request->prefix == '\0' ||
       backend_query_add(azure_core, &query, "prefix", request->prefix)) &&
      (request->delimiter == NULL ||
       backend_query_add(azure_core, &query, "delimiter",
                         request->delimiter)) &&
      (request->page_token == NULL ||
       backend_query_add(azure_core, &query, "marker", request->page_token));
  if (!ok) {
    free(query);
    return azure_no_memory(err);
  }
  pail_request r;
  pail_http_response response = {0};
  pail_status status =
      azure_core->request_init(&r, "GET", azure_url(az, NULL, query), err);
  free(query);
  if (status == PAIL_OK)
    status = azure_request_sign(az, &r, err);
  if (status == PAIL_OK)
    status = azure_exchange(az, &r, "cannot list", &response, err);
  if (status == PAIL_OK)
    status = azure_list_parse_page(az, request, &response, out, err);
  azure_core->http_response_clear(&response);
  azure_core->request_free(&r);
  return status;
}
