/*
 * azure_xml.c: the little XML the Blob service needs, over libxml2. Bodies
 * come from the network: parsing never touches the network, never expands
 * entities and refuses huge nesting (libxml2's defaults without
 * XML_PARSE_HUGE).
 */
#include "azure.h"

#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>

xmlDocPtr azure_xml_parse(const char *body, size_t length) {
  if (body == NULL || length == 0 || length > (size_t)INT32_MAX)
    return NULL;
  /* The service starts its bodies with a UTF-8 byte order mark. */
  if (length >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) {
    body += 3;
    length -= 3;
    if (length == 0)
      return NULL;
  }
  return xmlReadMemory(body, (int)length, NULL, NULL,
                       XML_PARSE_NONET | XML_PARSE_NOERROR |
                           XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
}

xmlNodePtr azure_xml_child(xmlNodePtr node, const char *name) {
  for (xmlNodePtr c = node ? node->children : NULL; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
      return c;
  return NULL;
}

char *azure_xml_child_text(xmlNodePtr node, const char *name) {
  xmlNodePtr child = azure_xml_child(node, name);
  if (child == NULL)
    return NULL;
  xmlChar *text = xmlNodeGetContent(child);
  char *copy = text ? strdup((const char *)text) : strdup("");
  xmlFree(text);
  return copy;
}

char *azure_xml_escape(const char *text) {
  size_t n = 0;
  for (const char *p = text; *p; p++)
    n += *p == '&'                 ? 5
         : *p == '<' || *p == '>'  ? 4
         : *p == '"' || *p == '\'' ? 6
                                   : 1;
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
