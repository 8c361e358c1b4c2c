/*
 * fuzz_azure.h: what the Azure targets share: the backend's state as a
 * target needs it (no storage is opened: the parsers read only the
 * container name).
 */
#ifndef PAIL_TESTS_FUZZ_AZURE_H
#define PAIL_TESTS_FUZZ_AZURE_H

#include "azure.h"

#include <libxml/xmlerror.h>

#include "fuzz.h"

static void fuzz_azure_ignore_xml_error(void *context, const char *format,
                                        ...) {
  (void)context;
  (void)format;
}

/* An instance of container "fuzz-container" for the parsers, with
 * azure_core set to services (the core's own when NULL). libxml2's generic
 * error handler is silenced, as in fuzz_s3.h. */
static inline azure_instance
fuzz_azure_instance(const pail_core_services *services) {
  xmlSetGenericErrorFunc(NULL, fuzz_azure_ignore_xml_error);
  azure_core = services ? services : pail_core_services_get();
  azure_instance az;
  memset(&az, 0, sizeof az);
  az.container = (char *)"fuzz-container";
  az.account = (char *)"fuzzaccount";
  return az;
}

#endif /* PAIL_TESTS_FUZZ_AZURE_H */
