/*
 * xml.h: the XML the S3 and Azure Blob protocols need, over libxml2, with
 * one policy for every body that comes from the network. Compiled into the
 * plugins that speak XML (not into libpail, so that a process that never
 * does loads neither libxml2 nor what it pulls in).
 */
#ifndef PAIL_BACKENDS_XML_H
#define PAIL_BACKENDS_XML_H

#include <pail/backend.h>

#include <libxml/tree.h>

/* Parses a body from the network: never touches the network, never
 * expands entities, refuses libxml2's huge nesting, skips a leading UTF-8
 * byte order mark (the Blob service starts its bodies with one) and prints
 * nothing, whatever the body holds. NULL for an empty or broken body. Free
 * with xmlFreeDoc. */
xmlDocPtr backend_xml_parse(const char *body, size_t length);
/* The first child element of node called name, or NULL. */
xmlNodePtr backend_xml_child(xmlNodePtr node, const char *name);
/* The text of that child, as a malloc'd string ("" when empty); NULL when
 * there is no such child or no memory. */
char *backend_xml_child_text(xmlNodePtr node, const char *name);
/* backend_xml_child_text of the root element of a response's body. */
char *backend_xml_body_text(const pail_http_response *response,
                            const char *name);
/* text with &, <, >, " and carriage returns as XML references (libxml2's
 * xmlEncodeSpecialChars), for element content; malloc'd, NULL when out of
 * memory. */
char *backend_xml_escape(const char *text);

#endif /* PAIL_BACKENDS_XML_H */
