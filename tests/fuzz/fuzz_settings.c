/*
 * fuzz_settings.c: pail_workspace_open_json on any document, then close.
 * Opening loads no plugin, so this is the settings parser (storages,
 * aliases, advanced_permissions, workspace_key) alone. A workspace that
 * opens has a primary storage and valid names and types; a refusal is an
 * error of the status returned.
 */
#include <pail/pail.h>

#include "fuzz.h"

/* What settings.c allows in a type, since it becomes part of a file name. */
static int type_is_safe(const char *type) {
  size_t len = strlen(type);
  if (len == 0 || len > 63)
    return 0;
  return strspn(type, "abcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *json = fuzz_string(data, size);
  if (json == NULL)
    return 0;
  /* A fixed username, so that $PAIL_USER cannot change what runs. */
  pail_options options = PAIL_OPTIONS_INIT;
  options.username = "fuzz";
  pail_workspace *ws = NULL;
  pail_error *err = NULL;
  pail_status status = pail_workspace_open_json(json, &options, &ws, &err);
  if (status != PAIL_OK) {
    FUZZ_ASSERT(ws == NULL && err != NULL);
    FUZZ_ASSERT(pail_error_category(err) == status);
    FUZZ_ASSERT(pail_error_message(err) != NULL);
    pail_error_free(err);
    free(json);
    return 0;
  }
  FUZZ_ASSERT(ws != NULL && err == NULL);
  size_t count = pail_workspace_storage_count(ws);
  FUZZ_ASSERT(count >= 1);
  FUZZ_ASSERT(pail_workspace_storage_name(ws, 0) == NULL);
  for (size_t i = 0; i < count; i++) {
    const char *name = pail_workspace_storage_name(ws, i);
    const char *type = pail_workspace_storage_type(ws, i);
    FUZZ_ASSERT(type != NULL && type_is_safe(type));
    if (i > 0)
      FUZZ_ASSERT(name != NULL && strcmp(name, "_default_") != 0 &&
                  pail_storage_name_check(name, NULL) == PAIL_OK);
  }
  pail_workspace_close(ws);
  free(json);
  return 0;
}
