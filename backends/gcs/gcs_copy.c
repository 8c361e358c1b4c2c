/*
 * gcs_copy.c: server-side copy within a bucket with objects.rewrite, called
 * again with the rewriteToken it returns until it says done: GCS copies
 * large objects (or across locations and storage classes) a piece per call.
 * Options the caller gives replace the source's; what it leaves out is
 * carried over from the source, as a copy should.
 */
#include "gcs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A bound on rewrite calls, against a server that never says done. */
#define MAX_REWRITE_CALLS 100000

/* The URL of one rewrite call. */
static char *rewrite_url(const gcs_instance *gcs, const char *src_key,
                         const char *dst_key, const char *token,
                         bool create_only) {
  char *bucket = gcs_core->uri_encode(gcs->bucket, 0);
  char *src = gcs_core->uri_encode(src_key, 0);
  char *dst = gcs_core->uri_encode(dst_key, 0);
  char *query = strdup("");
  char *url = NULL;
  bool ok = bucket && src && dst && query &&
            (token == NULL ||
             backend_query_add(gcs_core, &query, "rewriteToken", token)) &&
            (!create_only ||
             backend_query_add(gcs_core, &query, "ifGenerationMatch", "0"));
  if (ok && asprintf(&url, "%s/storage/v1/b/%s/o/%s/rewriteTo/b/%s/o/%s%s%s",
                     gcs->api_base, bucket, src, bucket, dst, *query ? "?" : "",
                     query) < 0)
    url = NULL;
  free(bucket);
  free(src);
  free(dst);
  free(query);
  return url;
}

pail_status gcs_copy(void *instance, const char *src_key, const char *dst_key,
                     const pail_write_options *options, pail_error **err) {
  gcs_instance *gcs = instance;
  if (gcs->relay != NULL)
    return gcs->relay->ops->copy(gcs->relay->instance, src_key, dst_key,
                                 options, err);
  bool replace = options->content_type != NULL ||
                 options->content_disposition != NULL ||
                 options->metadata_count > 0;
  pail_object_info source = {0};
  pail_status status = PAIL_OK;
  char *body = NULL;
  if (replace) {
    /* The resource sent replaces all of the source's: fill in what the
     * caller left out from the source. */
    status = gcs_stat_object(gcs, src_key, &source, NULL, NULL, NULL, err);
    pail_write_options merged = *options;
    if (merged.content_type == NULL)
      merged.content_type = source.content_type;
    if (merged.content_disposition == NULL)
      merged.content_disposition = source.content_disposition;
    if (merged.metadata_count == 0) {
      merged.metadata = source.metadata;
      merged.metadata_count = source.metadata_count;
    }
    json_t *resource = NULL;
    if (status == PAIL_OK)
      status = gcs_write_metadata(NULL, &merged, &resource, err);
    if (status == PAIL_OK &&
        (body = json_dumps(resource, JSON_COMPACT)) == NULL)
      status = gcs_no_memory(err);
    json_decref(resource);
  } else if ((body = strdup("{}")) == NULL) {
    status = gcs_no_memory(err);
  }
  char *token = NULL;
  for (int calls = 0; status == PAIL_OK; calls++) {
    if (calls == MAX_REWRITE_CALLS) {
      status = gcs_core->error_set(err, PAIL_ERR_IO, 0, NULL, NULL,
                                   "gcs: copying %s to %s: the server was "
                                   "still not done after %d rewrite calls",
                                   src_key, dst_key, MAX_REWRITE_CALLS);
      break;
    }
    pail_request r;
    pail_http_response response = {0};
    status = gcs_core->request_init(
        &r, "POST",
        rewrite_url(gcs, src_key, dst_key, token, options->if_none_match != 0),
        err);
    if (status == PAIL_OK) {
      pail_request_body(&r, body, strlen(body));
      /* A rewrite call can be repeated (the same token continues the same
       * copy), but not a create-only one that may have finished. */
      if (!options->if_none_match)
        r.http.flags = PAIL_HTTP_IDEMPOTENT;
      status = gcs_core->request_header(&r, err,
                                        "Content-Type: application/json; "
                                        "charset=UTF-8");
    }
    if (status == PAIL_OK)
      status = gcs_exchange(gcs, &r, src_key, NULL, &response, err);
    json_t *root = status == PAIL_OK ? gcs_json_body(&response) : NULL;
    json_t *done = root ? json_object_get(root, "done") : NULL;
    const char *next =
        root ? json_string_value(json_object_get(root, "rewriteToken")) : NULL;
    if (status == PAIL_OK && !json_is_boolean(done))
      status = gcs_core->error_set(err, PAIL_ERR_IO, response.status, NULL,
                                   gcs_request_id(&response),
                                   "gcs: copying %s to %s: the answer is not "
                                   "a rewrite response",
                                   src_key, dst_key);
    bool finished = status == PAIL_OK && json_is_true(done);
    if (status == PAIL_OK && !finished && (next == NULL || *next == '\0'))
      status = gcs_core->error_set(err, PAIL_ERR_IO, response.status, NULL,
                                   gcs_request_id(&response),
                                   "gcs: copying %s to %s: the rewrite is not "
                                   "done and gives no rewriteToken",
                                   src_key, dst_key);
    if (status == PAIL_OK && !finished) {
      free(token);
      if ((token = strdup(next)) == NULL)
        status = gcs_no_memory(err);
    }
    json_decref(root);
    gcs_core->http_response_clear(&response);
    gcs_core->request_free(&r);
    if (finished)
      break;
  }
  free(token);
  free(body);
  gcs_core->object_info_clear(&source);
  return status;
}
