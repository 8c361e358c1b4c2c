/*
 * s3_delete.c: DeleteObject, and DeleteObjects, up to 1,000 keys a request,
 * for `rm` of many objects (a folder with -r). Quiet mode: the server lists
 * only the keys it could not delete, each with its own error code.
 */
#include "s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S3_DELETE_BATCH 1000

/* The <Delete> document for keys[0..n). */
static char *delete_body(const char *const *keys, size_t n, size_t *length) {
  size_t size = 128;
  for (size_t i = 0; i < n; i++)
    size += 32 + strlen(keys[i]) * 6;
  char *body = malloc(size);
  if (body == NULL)
    return NULL;
  size_t used = (size_t)snprintf(body, size, "<Delete><Quiet>true</Quiet>");
  for (size_t i = 0; i < n; i++) {
    char *key = backend_xml_escape(keys[i]);
    if (key == NULL) {
      free(body);
      return NULL;
    }
    used += (size_t)snprintf(body + used, size - used,
                             "<Object><Key>%s</Key></Object>", key);
    free(key);
  }
  used += (size_t)snprintf(body + used, size - used, "</Delete>");
  *length = used;
  return body;
}

/* Records the per-key errors of a DeleteResult. */
pail_status s3_delete_read_result(const s3_instance *s3,
                                  const pail_http_response *response,
                                  const char *const *keys, size_t n,
                                  pail_status *results, pail_error **errors,
                                  pail_error **err) {
  xmlDocPtr doc = backend_xml_parse(response->body, response->body_length);
  xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
  if (root == NULL || strcmp((const char *)root->name, "DeleteResult") != 0) {
    if (doc)
      xmlFreeDoc(doc);
    return s3_core->error_set(err, PAIL_ERR_IO, response->status, NULL, NULL,
                              "s3: the answer to a batch delete in bucket "
                              "\"%s\" is not a DeleteResult document",
                              s3->bucket);
  }
  for (xmlNodePtr e = root->children; e != NULL; e = e->next) {
    if (e->type != XML_ELEMENT_NODE || strcmp((const char *)e->name, "Error"))
      continue;
    char *key = backend_xml_child_text(e, "Key");
    char *code = backend_xml_child_text(e, "Code");
    char *message = backend_xml_child_text(e, "Message");
    for (size_t i = 0; key != NULL && i < n; i++) {
      if (strcmp(keys[i], key) != 0 || results[i] != PAIL_OK)
        continue;
      /* Build the error as a response with the code would. */
      pail_http_response fake = {0};
      char *xml = NULL;
      char *ecode = code ? backend_xml_escape(code) : NULL;
      char *emessage = message ? backend_xml_escape(message) : NULL;
      if (asprintf(&xml, "<Error><Code>%s</Code><Message>%s</Message></Error>",
                   ecode ? ecode : "", emessage ? emessage : "") >= 0) {
        fake.body = xml;
        fake.body_length = strlen(xml);
      }
      fake.status = response->status;
      results[i] = s3_response_error(s3, &fake, keys[i], &errors[i]);
      /* A per-key failure with no code to map is still a failure. */
      if (results[i] == PAIL_OK)
        results[i] = PAIL_ERR_IO;
      free(xml);
      free(ecode);
      free(emessage);
      break;
    }
    free(key);
    free(code);
    free(message);
  }
  xmlFreeDoc(doc);
  return PAIL_OK;
}

static pail_status delete_chunk(const s3_instance *s3, const char *const *keys,
                                size_t n, pail_status *results,
                                pail_error **errors, pail_error **err) {
  size_t length = 0;
  char *body = delete_body(keys, n, &length);
  if (body == NULL)
    return s3_no_memory(err);
  /* DeleteObjects requires an integrity header; Content-MD5 is the one
   * every S3-compatible service accepts. */
  unsigned char digest[16];
  char md5[32];
  s3_core->md5(body, length, digest);
  s3_core->base64_encode(digest, sizeof digest, md5);
  pail_request r;
  pail_http_response response = {0};
  pail_status status =
      s3_core->request_init(&r, "POST", s3_url(s3, NULL, "delete="), err);
  if (status == PAIL_OK) {
    pail_request_body(&r, body, length);
    /* Deleting the same keys twice is harmless: let the core retry it. */
    r.http.flags |= PAIL_HTTP_IDEMPOTENT;
    status = s3_core->request_header(&r, err, "Content-Type: application/xml");
  }
  if (status == PAIL_OK)
    status = s3_core->request_header(&r, err, "Content-MD5: %s", md5);
  if (status == PAIL_OK)
    status = s3_request_sign(s3, &r, err);
  if (status == PAIL_OK)
    status = s3_exchange(s3, &r, "batch delete", &response, err);
  if (status == PAIL_OK)
    status =
        s3_delete_read_result(s3, &response, keys, n, results, errors, err);
  s3_core->http_response_clear(&response);
  s3_core->request_free(&r);
  free(body);
  return status;
}

/* DeleteObject: one key. */
pail_status s3_delete(void *instance, const char *key, pail_error **err) {
  return s3_send_delete(instance, key, NULL, err);
}

pail_status s3_send_delete(const s3_instance *s3, const char *key,
                           const char *query, pail_error **err) {
  pail_request r;
  pail_http_response response = {0};
  pail_status status =
      s3_core->request_init(&r, "DELETE", s3_url(s3, key, query), err);
  if (status == PAIL_OK)
    status = s3_request_sign(s3, &r, err);
  if (status == PAIL_OK)
    status = s3_exchange(s3, &r, key, &response, err);
  s3_core->http_response_clear(&response);
  s3_core->request_free(&r);
  return status;
}

pail_status s3_delete_objects(void *instance, const char *const *keys,
                              size_t count, pail_status *results,
                              pail_error **errors, pail_error **err) {
  s3_instance *s3 = instance;
  if (!s3->batch_delete) {
    /* No DeleteObjects (Google Cloud Storage): one DELETE per key, each
     * with its own result. */
    for (size_t i = 0; i < count; i++)
      results[i] = s3_delete(s3, keys[i], &errors[i]);
    return PAIL_OK;
  }
  for (size_t at = 0; at < count; at += S3_DELETE_BATCH) {
    size_t n = count - at < S3_DELETE_BATCH ? count - at : S3_DELETE_BATCH;
    pail_error *failure = NULL;
    pail_status status =
        delete_chunk(s3, keys + at, n, results + at, errors + at, &failure);
    if (status == PAIL_OK) {
      s3_core->error_free(failure);
      continue;
    }
    /* The whole request failed: every key of it carries the failure, and
     * later chunks are still tried. */
    for (size_t i = 0; i < n; i++) {
      results[at + i] = status;
      if (failure != NULL)
        s3_core->error_set(&errors[at + i], status, 0,
                           s3_core->error_provider_code(failure), NULL, "%s",
                           s3_core->error_message(failure));
    }
    if (at == 0 && count <= S3_DELETE_BATCH) {
      if (err != NULL && *err == NULL)
        *err = failure;
      else
        s3_core->error_free(failure);
      for (size_t i = 0; i < n; i++) {
        s3_core->error_free(errors[i]);
        errors[i] = NULL;
      }
      return status;
    }
    s3_core->error_free(failure);
  }
  return PAIL_OK;
}
