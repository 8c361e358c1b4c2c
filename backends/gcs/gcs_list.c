/*
 * gcs_list.c: objects.list, one page per call, with folders (prefixes)
 * merged into the objects in byte order as the core expects.
 */
#include "gcs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pail_status not_a_listing(const gcs_instance *gcs,
                                 const pail_http_response *response,
                                 const char *why, pail_error **err) {
  return gcs_core->error_set(
      err, PAIL_ERR_IO, response->status, NULL, gcs_request_id(response),
      "gcs: the listing of bucket \"%s\" %s", gcs->bucket, why);
}

pail_status gcs_list_parse_page(const gcs_instance *gcs,
                                const pail_backend_list_request *request,
                                const pail_http_response *response,
                                pail_list_page *out, pail_error **err) {
  json_t *root = gcs_json_body(response);
  if (root == NULL)
    return not_a_listing(gcs, response, "is not a JSON object", err);
  json_t *items = json_object_get(root, "items");
  json_t *prefixes = json_object_get(root, "prefixes");
  json_t *token = json_object_get(root, "nextPageToken");
  pail_status status = PAIL_OK;
  if ((items != NULL && !json_is_array(items)) ||
      (prefixes != NULL && !json_is_array(prefixes)) ||
      (token != NULL && !json_is_string(token)))
    status = not_a_listing(gcs, response,
                           "has items, prefixes or nextPageToken of the wrong "
                           "type",
                           err);
  size_t capacity = json_array_size(items) + json_array_size(prefixes);
  if (status == PAIL_OK && capacity > 0 &&
      (out->entries = calloc(capacity, sizeof *out->entries)) == NULL)
    status = gcs_no_memory(err);
  size_t prefix_length = strlen(request->prefix);
  size_t i;
  json_t *item;
  if (status == PAIL_OK) {
    json_array_foreach(items, i, item) {
      pail_object_info *e = &out->entries[out->count];
      pail_error *bad = NULL;
      if (!json_is_object(item) ||
          gcs_info_from_json(item, e, NULL, NULL, &bad) != PAIL_OK) {
        gcs_core->error_free(bad);
        gcs_core->object_info_clear(e);
        status = not_a_listing(
            gcs, response, "holds an item that is not an object resource", err);
        break;
      }
      /* A name outside the prefix, or one no pointer can name (a folder
       * placeholder "a/" written by the console, "a//b"), is not shown. */
      if (strncmp(e->key, request->prefix, prefix_length) != 0 ||
          gcs_core->key_check(e->key, strlen(e->key), NULL) != PAIL_OK) {
        gcs_core->object_info_clear(e);
        continue;
      }
      out->count++;
    }
  }
  if (status == PAIL_OK) {
    json_array_foreach(prefixes, i, item) {
      const char *name = json_string_value(item);
      if (name == NULL) {
        status = not_a_listing(gcs, response,
                               "holds a prefix that is not a string", err);
        break;
      }
      if (strncmp(name, request->prefix, prefix_length) != 0 ||
          strlen(name) <= prefix_length)
        continue;
      pail_object_info *e = &out->entries[out->count];
      e->last_modified = INT64_MIN;
      e->is_folder = 1;
      if ((e->key = strdup(name)) == NULL) {
        status = gcs_no_memory(err);
        break;
      }
      out->count++;
    }
  }
  const char *next = json_string_value(token);
  if (status == PAIL_OK && next != NULL && *next != '\0' &&
      (out->next_page_token = strdup(next)) == NULL)
    status = gcs_no_memory(err);
  json_decref(root);
  if (status == PAIL_OK)
    backend_list_sort(out);
  return status;
}

pail_status gcs_list(void *instance, const pail_backend_list_request *request,
                     pail_list_page *out, pail_error **err) {
  gcs_instance *gcs = instance;
  if (gcs->relay != NULL)
    return gcs->relay->ops->list(gcs->relay->instance, request, out, err);
  char max[32];
  /* objects.list gives at most 1,000 a page. */
  snprintf(max, sizeof max, "%zu",
           request->max_keys < 1000 ? request->max_keys : (size_t)1000);
  char *query = strdup("");
  bool ok =
      query != NULL && backend_query_add(gcs_core, &query, "maxResults", max) &&
      (*request->prefix == '\0' ||
       backend_query_add(gcs_core, &query, "prefix", request->prefix)) &&
      (request->delimiter == NULL ||
       backend_query_add(gcs_core, &query, "delimiter", request->delimiter)) &&
      (request->page_token == NULL ||
       backend_query_add(gcs_core, &query, "pageToken", request->page_token));
  if (!ok) {
    free(query);
    return gcs_no_memory(err);
  }
  pail_request r;
  pail_http_response response = {0};
  pail_status status = gcs_core->request_init(
      &r, "GET", gcs_object_url(gcs, NULL, false, query), err);
  free(query);
  /* Only the bucket can be missing when a listing is not found. */
  static const int not_found[] = {404, 0};
  if (status == PAIL_OK)
    status = gcs_exchange(gcs, &r, "cannot list", not_found, &response, err);
  if (status == PAIL_OK && response.status == 404)
    status = gcs_bucket_missing(gcs, &response, err);
  if (status == PAIL_OK)
    status = gcs_list_parse_page(gcs, request, &response, out, err);
  gcs_core->http_response_clear(&response);
  gcs_core->request_free(&r);
  return status;
}
