/*
 * s3_xml.c: the little XML the S3 protocol needs, over libxml2. Bodies come
 * from the network: parsing never touches the network, never expands
 * entities and refuses huge nesting (libxml2's defaults without
 * XML_PARSE_HUGE).
 */
#include "s3.h"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <stdlib.h>
#include <string.h>

static void xml_error_ignore(void *context, const char *format, ...) {
  (void)context;
  (void)format;
}

xmlDocPtr s3_xml_parse(const char *body, size_t length) {
  if (body == NULL || length == 0 || length > (size_t)INT32_MAX)
    return NULL;
  /* XML_PARSE_NOERROR does not cover libxml2's encoding errors, which go to
   * the generic handler (stderr by default): a bad body from a server must
   * not print into the host program's terminal. The handler is per thread
   * in libxml2; the program's own is put back after the parse. */
  xmlGenericErrorFunc saved = xmlGenericError;
  void *saved_context = xmlGenericErrorContext;
  xmlSetGenericErrorFunc(NULL, xml_error_ignore);
  xmlDocPtr doc = xmlReadMemory(body, (int)length, NULL, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR |
                                    XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
  xmlSetGenericErrorFunc(saved_context, saved);
  return doc;
}

xmlNodePtr s3_xml_child(xmlNodePtr node, const char *name) {
  for (xmlNodePtr c = node ? node->children : NULL; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
      return c;
  return NULL;
}

char *s3_xml_child_text(xmlNodePtr node, const char *name) {
  xmlNodePtr child = s3_xml_child(node, name);
  if (child == NULL)
    return NULL;
  xmlChar *text = xmlNodeGetContent(child);
  char *copy = text ? strdup((const char *)text) : strdup("");
  xmlFree(text);
  return copy;
}

char *s3_xml_body_text(const pail_http_response *response, const char *name) {
  xmlDocPtr doc = s3_xml_parse(response->body, response->body_length);
  xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
  char *text = root ? s3_xml_child_text(root, name) : NULL;
  if (doc != NULL)
    xmlFreeDoc(doc);
  return text;
}

char *s3_xml_escape(const char *text) {
  size_t n = 0;
  for (const char *p = text; *p; p++)
    n += *p == '&' ? 5 : *p == '<' || *p == '>' ? 4 : *p == '"' || *p == '\'' ? 6 : 1;
  char *out = malloc(n + 1), *q = out;
  if (out == NULL)
    return NULL;
  for (const char *p = text; *p; p++) {
    const char *entity = *p == '&'    ? "&amp;"
                         : *p == '<'  ? "&lt;"
                         : *p == '>'  ? "&gt;"
                         : *p == '"'  ? "&quot;"
                         : *p == '\'' ? "&apos;"
                                      : NULL;
    if (entity) {
      memcpy(q, entity, strlen(entity));
      q += strlen(entity);
    } else {
      *q++ = *p;
    }
  }
  *q = '\0';
  return out;
}
