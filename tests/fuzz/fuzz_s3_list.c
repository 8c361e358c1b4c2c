/*
 * fuzz_s3_list.c: the S3 backend's ListObjectsV2 page parser on any body,
 * as if a server had answered 200 with it, then the core's filter of
 * unnameable keys, under an empty prefix and under "photos/". What is left
 * holds only keys under the prefix that pass the key rules (folders: plus
 * one '/'), in byte order, and a continuation token only when it is not
 * empty.
 */
#include "fuzz_s3.h"
#include "internal.h"

static void parse_under(const s3_instance *s3,
                        const pail_http_response *response,
                        const char *prefix) {
  pail_list_page page = {0};
  pail_error *err = NULL;
  pail_status status = s3_list_parse_page(s3, response, &page, &err);
  if (status == PAIL_OK)
    list_page_drop_unnameable(prefix, &page);
  if (status != PAIL_OK) {
    FUZZ_ASSERT(err != NULL && pail_error_category(err) == status);
  } else {
    FUZZ_ASSERT(err == NULL);
    FUZZ_ASSERT(page.count == 0 || page.entries != NULL);
    for (size_t i = 0; i < page.count; i++) {
      const pail_object_info *e = &page.entries[i];
      FUZZ_ASSERT(e->key != NULL);
      FUZZ_ASSERT(strncmp(e->key, prefix, strlen(prefix)) == 0);
      size_t length = strlen(e->key) - (e->is_folder ? 1 : 0);
      FUZZ_ASSERT(!e->is_folder || e->key[length] == '/');
      FUZZ_ASSERT(pail_key_check(e->key, length, NULL) == PAIL_OK);
      FUZZ_ASSERT(e->last_modified_nsec >= 0 &&
                  e->last_modified_nsec <= 999999999);
      FUZZ_ASSERT(i == 0 || strcmp(page.entries[i - 1].key, e->key) <= 0);
    }
    FUZZ_ASSERT(page.next_page_token == NULL || *page.next_page_token);
  }
  /* As the core does: the page is freed on failure too. */
  pail_list_page_clear(&page);
  pail_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  s3_instance s3 = fuzz_s3_instance(NULL);
  char *body = fuzz_copy(data, size);
  pail_http_header header = {(char *)"x-amz-request-id",
                             (char *)"FUZZREQUEST0001"};
  pail_http_response response = {.status = 200,
                                 .headers = &header,
                                 .header_count = 1,
                                 .body = body,
                                 .body_length = size};
  parse_under(&s3, &response, "");
  parse_under(&s3, &response, "photos/");
  free(body);
  return 0;
}
