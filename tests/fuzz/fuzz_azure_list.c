/*
 * fuzz_azure_list.c: the Azure backend's List Blobs page parser on any
 * body, as if the service had answered 200 with it, under an empty prefix
 * and under "photos/". The page it makes holds only keys under the prefix,
 * object keys that pass the key rules, in byte order, and a next marker
 * only when it is not empty.
 */
#include "fuzz_azure.h"

static void parse_under(const azure_instance *az,
                        const pail_http_response *response,
                        const char *prefix) {
  pail_backend_list_request request = {
      .prefix = prefix, .delimiter = "/", .page_token = NULL, .max_keys = 1000};
  pail_list_page page = {0};
  pail_error *err = NULL;
  pail_status status =
      azure_list_parse_page(az, &request, response, &page, &err);
  if (status != PAIL_OK) {
    FUZZ_ASSERT(err != NULL && pail_error_category(err) == status);
  } else {
    FUZZ_ASSERT(err == NULL);
    FUZZ_ASSERT(page.count == 0 || page.entries != NULL);
    for (size_t i = 0; i < page.count; i++) {
      const pail_object_info *e = &page.entries[i];
      FUZZ_ASSERT(e->key != NULL);
      FUZZ_ASSERT(strncmp(e->key, prefix, strlen(prefix)) == 0);
      FUZZ_ASSERT(e->is_folder ||
                  pail_key_check(e->key, strlen(e->key), NULL) == PAIL_OK);
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
  azure_instance az = fuzz_azure_instance(NULL);
  char *body = fuzz_copy(data, size);
  pail_http_header header = {(char *)"x-ms-request-id",
                             (char *)"fuzz-request-0001"};
  pail_http_response response = {.status = 200,
                                 .headers = &header,
                                 .header_count = 1,
                                 .body = body,
                                 .body_length = size};
  parse_under(&az, &response, "");
  parse_under(&az, &response, "photos/");
  free(body);
  return 0;
}
