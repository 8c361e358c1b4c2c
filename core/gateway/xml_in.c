/*
 * xml_in.c: the XML bodies clients send the gateway, DeleteObjects' and
 * CompleteMultipartUpload's, parsed with libxml2: no network, no entity
 * expansion beyond XML's five, and every text taken whole
 * (xmlNodeGetContent), so that a key split by a CDATA section or a
 * character reference is the key the client meant, not its first piece.
 * A document that is not one of S3's is refused as a whole (MalformedXML).
 */
#include "exchange.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

/* S3's most keys in one DeleteObjects. */
#define DELETE_MAX_KEYS 1000

/* The first child element of node named name, or NULL. */
static xmlNode *child(xmlNode *node, const char *name) {
  for (xmlNode *c = node ? node->children : NULL; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
      return c;
  return NULL;
}

/* The whole text of node's child name, malloc'ed; NULL when absent. */
static char *child_text(xmlNode *node, const char *name) {
  xmlNode *c = child(node, name);
  xmlChar *text = c ? xmlNodeGetContent(c) : NULL;
  char *copy = text ? strdup((const char *)text) : NULL;
  xmlFree(text);
  return copy;
}

/* The root element of the document in xml when it is named root. */
static xmlNode *root_named(xmlDoc *doc, const char *root) {
  xmlNode *r = doc ? xmlDocGetRootElement(doc) : NULL;
  return r && strcmp((const char *)r->name, root) == 0 ? r : NULL;
}

static xmlDoc *read_xml(const char *xml, size_t length) {
  if (xml == NULL || length == 0 || length > GATEWAY_XML_MAX)
    return NULL;
  return xmlReadMemory(xml, (int)length, NULL, NULL,
                       XML_PARSE_NONET | XML_PARSE_NOERROR |
                           XML_PARSE_NOWARNING);
}

/* How many children of node are elements named name. */
static size_t count_children(xmlNode *node, const char *name) {
  size_t n = 0;
  for (xmlNode *c = node->children; c; c = c->next)
    n +=
        c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0;
  return n;
}

void gateway_delete_request_clear(gateway_delete_request *r) {
  for (size_t i = 0; r->keys && i < r->count; i++)
    free(r->keys[i]);
  free(r->keys);
  memset(r, 0, sizeof *r);
}

bool gateway_delete_request_parse(const char *xml, size_t length,
                                  gateway_delete_request *out) {
  memset(out, 0, sizeof *out);
  xmlDoc *doc = read_xml(xml, length);
  xmlNode *root = root_named(doc, "Delete");
  size_t n = root ? count_children(root, "Object") : 0;
  bool ok = n > 0 && n <= DELETE_MAX_KEYS &&
            (out->keys = calloc(n, sizeof *out->keys)) != NULL;
  if (ok) {
    char *quiet = child_text(root, "Quiet");
    out->quiet = quiet != NULL && strcmp(quiet, "true") == 0;
    free(quiet);
  }
  for (xmlNode *c = ok ? root->children : NULL; ok && c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE ||
        strcmp((const char *)c->name, "Object") != 0)
      continue;
    char *key = child_text(c, "Key");
    ok = key != NULL && *key != '\0';
    if (ok)
      out->keys[out->count++] = key;
    else
      free(key);
  }
  xmlFreeDoc(doc);
  if (!ok)
    gateway_delete_request_clear(out);
  return ok;
}

void gateway_complete_request_clear(gateway_complete_request *r) {
  for (size_t i = 0; r->parts && i < r->count; i++) {
    free(r->parts[i].etag);
    free(r->parts[i].native_etag);
  }
  free(r->parts);
  memset(r, 0, sizeof *r);
}

bool gateway_complete_request_parse(const char *xml, size_t length,
                                    gateway_complete_request *out) {
  memset(out, 0, sizeof *out);
  xmlDoc *doc = read_xml(xml, length);
  xmlNode *root = root_named(doc, "CompleteMultipartUpload");
  size_t n = root ? count_children(root, "Part") : 0;
  bool ok = n > 0 && n <= GATEWAY_PART_NUMBER_MAX &&
            (out->parts = calloc(n, sizeof *out->parts)) != NULL;
  for (xmlNode *c = ok ? root->children : NULL; ok && c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "Part"))
      continue;
    gateway_listed_part *part = &out->parts[out->count++];
    char *number = child_text(c, "PartNumber");
    part->number = gateway_part_number(number);
    free(number);
    part->etag = child_text(c, "ETag");
    ok = part->number != 0 && part->etag != NULL;
  }
  xmlFreeDoc(doc);
  if (!ok)
    gateway_complete_request_clear(out);
  return ok;
}
