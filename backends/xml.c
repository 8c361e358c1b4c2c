/*
 * xml.c: the XML the S3 and Azure Blob protocols need (see xml.h).
 */
#include <config.h> /* _GNU_SOURCE, before any system header */

#include "xml.h"

#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <stdlib.h>
#include <string.h>

static void error_ignore(void *context, const char *format, ...) {
  (void)context;
  (void)format;
}

xmlDocPtr backend_xml_parse(const char *body, size_t length) {
  if (body != NULL && length >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) {
    body += 3;
    length -= 3;
  }
  if (body == NULL || length == 0 || length > (size_t)INT32_MAX)
    return NULL;
  /* XML_PARSE_NOERROR does not cover libxml2's encoding errors, which go to
   * the generic handler (stderr by default): a bad body from a server must
   * not print into the host program's terminal. The handler is per thread
   * in libxml2; the program's own is put back after the parse. */
  xmlGenericErrorFunc saved = xmlGenericError;
  void *saved_context = xmlGenericErrorContext;
  xmlSetGenericErrorFunc(NULL, error_ignore);
  xmlDocPtr doc = xmlReadMemory(body, (int)length, NULL, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR |
                                    XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
  xmlSetGenericErrorFunc(saved_context, saved);
  return doc;
}

xmlNodePtr backend_xml_child(xmlNodePtr node, const char *name) {
  for (xmlNodePtr c = node ? node->children : NULL; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
      return c;
  return NULL;
}

char *backend_xml_child_text(xmlNodePtr node, const char *name) {
  xmlNodePtr child = backend_xml_child(node, name);
  if (child == NULL)
    return NULL;
  xmlChar *text = xmlNodeGetContent(child);
  char *copy = text ? strdup((const char *)text) : strdup("");
  xmlFree(text);
  return copy;
}

char *backend_xml_body_text(const pail_http_response *response,
                            const char *name) {
  xmlDocPtr doc = backend_xml_parse(response->body, response->body_length);
  xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
  char *text = root ? backend_xml_child_text(root, name) : NULL;
  if (doc != NULL)
    xmlFreeDoc(doc);
  return text;
}

char *backend_xml_escape(const char *text) {
  xmlChar *escaped = xmlEncodeSpecialChars(NULL, (const xmlChar *)text);
  char *copy = escaped ? strdup((const char *)escaped) : NULL;
  xmlFree(escaped);
  return copy;
}
