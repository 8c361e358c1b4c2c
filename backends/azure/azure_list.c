/*
 * azure_list.c: List Blobs, one page per call (maxresults, marker), with
 * folders (BlobPrefix, under a delimiter) merged into the keys in byte
 * order as the core expects.
 */
#include "azure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends "&name=encoded(value)" to *query. */
static bool query_add(char **query, const char *name, const char *value) {
  char *encoded = azure_core->uri_encode(value, 0);
  char *grown = NULL;
  if (encoded != NULL &&
      asprintf(&grown, "%s&%s=%s", *query, name, encoded) < 0)
    grown = NULL;
  free(encoded);
  free(*query);
  *query = grown;
  return grown != NULL;
}

static int compare_keys(const void *a, const void *b) {
  return strcmp(((const pail_object_info *)a)->key,
                ((const pail_object_info *)b)->key);
}

static int hex_value(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

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
    char *q = copy;
    for (const char *p = copy; *p; p++) {
      int hi, lo;
      if (p[0] == '%' && (hi = hex_value(p[1])) >= 0 &&
          (lo = hex_value(p[2])) >= 0) {
        *q++ = (char)(hi << 4 | lo);
        p += 2;
      } else {
        *q++ = *p;
      }
    }
    *q = '\0';
    /* A decoded NUL would cut the key: such a name is not shown. */
    if (strlen(copy) != (size_t)(q - copy)) {
      free(copy);
      return NULL;
    }
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
  if (status == PAIL_OK && out->count > 1)
    qsort(out->entries, out->count, sizeof *out->entries, compare_keys);
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
  bool ok = query != NULL && query_add(&query, "maxresults", max) &&
            (*request->prefix == '\0' ||
             query_add(&query, "prefix", request->prefix)) &&
            (request->delimiter == NULL ||
             query_add(&query, "delimiter", request->delimiter)) &&
            (request->page_token == NULL ||
             query_add(&query, "marker", request->page_token));
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
