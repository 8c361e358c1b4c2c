/*
 * fuzz_gateway_xml.c: the XML bodies the S3 gateway takes from clients
 * (core/gateway/xml_in.c), DeleteObjects' and CompleteMultipartUpload's,
 * on any bytes. The first byte picks the parser (even: DeleteObjects, odd:
 * Complete), the rest is the body. An accepted DeleteObjects has 1 to 1,000
 * keys, none empty or NULL; an accepted Complete has 1 to 10,000 parts,
 * each numbered 1 to 10,000 with an ETag. A refusal leaves nothing behind.
 */
#include "gateway/exchange.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  const char *xml = (const char *)data + 1;
  size_t length = size - 1;
  if (data[0] % 2 == 0) {
    gateway_delete_request r;
    if (gateway_delete_request_parse(xml, length, &r)) {
      FUZZ_ASSERT(r.count >= 1 && r.count <= 1000);
      for (size_t i = 0; i < r.count; i++)
        FUZZ_ASSERT(r.keys[i] != NULL && r.keys[i][0] != '\0');
      gateway_delete_request_clear(&r);
    } else {
      FUZZ_ASSERT(r.keys == NULL && r.count == 0);
    }
    return 0;
  }
  gateway_complete_request r;
  if (gateway_complete_request_parse(xml, length, &r)) {
    FUZZ_ASSERT(r.count >= 1 && r.count <= GATEWAY_PART_NUMBER_MAX);
    for (size_t i = 0; i < r.count; i++)
      FUZZ_ASSERT(r.parts[i].number >= 1 &&
                  r.parts[i].number <= GATEWAY_PART_NUMBER_MAX &&
                  r.parts[i].etag != NULL);
    gateway_complete_request_clear(&r);
  } else {
    FUZZ_ASSERT(r.parts == NULL && r.count == 0);
  }
  return 0;
}
