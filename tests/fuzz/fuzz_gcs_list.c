/*
 * fuzz_gcs_list.c: the GCS backend's objects.list page parser on any body,
 * as if a server had answered 200 with it, under an empty prefix and under
 * "photos/" with a delimiter. What it keeps holds only keys under the
 * prefix, objects that pass the key rules, folders longer than the prefix,
 * in byte order; sizes and generations came from decimal strings; a page
 * token only when it is not empty. Anything else in the body is an error
 * of category I/O, never a crash or a leak.
 */
#include "fuzz_gcs.h"

#include <pail/pail.h>

static void parse_under(const gcs_instance *gcs,
                        const pail_http_response *response, const char *prefix,
                        const char *delimiter) {
  pail_backend_list_request request = {
      .prefix = prefix, .delimiter = delimiter, .max_keys = 1000};
  pail_list_page page = {0};
  pail_error *err = NULL;
  pail_status status =
      gcs_list_parse_page(gcs, &request, response, &page, &err);
  if (status != PAIL_OK) {
    FUZZ_ASSERT(status == PAIL_ERR_IO || status == PAIL_ERR_INTERNAL);
    FUZZ_ASSERT(err != NULL && pail_error_category(err) == status);
  } else {
    FUZZ_ASSERT(err == NULL);
    FUZZ_ASSERT(page.count == 0 || page.entries != NULL);
    for (size_t i = 0; i < page.count; i++) {
      const pail_object_info *e = &page.entries[i];
      FUZZ_ASSERT(e->key != NULL);
      FUZZ_ASSERT(strncmp(e->key, prefix, strlen(prefix)) == 0);
      if (e->is_folder)
        FUZZ_ASSERT(strlen(e->key) > strlen(prefix));
      else
        FUZZ_ASSERT(pail_key_check(e->key, strlen(e->key), NULL) == PAIL_OK &&
                    e->etag != NULL);
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
  gcs_instance gcs = fuzz_gcs_instance();
  pail_http_response response = fuzz_gcs_response(200, data, size);
  parse_under(&gcs, &response, "", NULL);
  parse_under(&gcs, &response, "photos/", "/");
  free(response.body);
  return 0;
}
