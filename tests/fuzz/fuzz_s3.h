/*
 * fuzz_s3.h: what the S3 targets share: the backend's state as a target
 * needs it (no storage is opened: the parsers read only the bucket name).
 */
#ifndef PAIL_TESTS_FUZZ_S3_H
#define PAIL_TESTS_FUZZ_S3_H

#include "s3.h"

#include <libxml/xmlerror.h>

#include "fuzz.h"

static void fuzz_s3_ignore_xml_error(void *context, const char *format, ...) {
  (void)context;
  (void)format;
}

/* An instance of bucket "fuzz-bucket" for the parsers, with s3_core set to
 * services (the core's own when NULL). libxml2 prints encoding errors to
 * stderr through its generic handler, which XML_PARSE_NOERROR does not
 * silence; they would bury a finding in the log, so they go nowhere. */
static inline s3_instance fuzz_s3_instance(const pail_core_services *services) {
  xmlSetGenericErrorFunc(NULL, fuzz_s3_ignore_xml_error);
  s3_core = services ? services : pail_core_services_get();
  s3_instance s3;
  memset(&s3, 0, sizeof s3);
  s3.bucket = (char *)"fuzz-bucket";
  return s3;
}

#endif /* PAIL_TESTS_FUZZ_S3_H */
