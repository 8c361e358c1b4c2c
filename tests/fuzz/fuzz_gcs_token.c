/*
 * fuzz_gcs_token.c: what the GCS backend reads from outside before it has
 * a token: the token endpoint's answer (gcs_token_parse) and a credentials
 * file (gcs_account_parse: a service account key or an authorized_user
 * file), on any input. A token it accepts is visible ASCII without spaces
 * (it goes into a header line) with a positive lifetime; an account it
 * accepts has what its flow needs; a refusal is an error whose message
 * holds none of the file's credentials.
 */
#include "fuzz_gcs.h"

#include <pail/pail.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gcs_instance gcs = fuzz_gcs_instance();
  (void)gcs;
  pail_http_response response = fuzz_gcs_response(200, data, size);
  char *token = NULL;
  int64_t expires_in = 0;
  pail_error *err = NULL;
  pail_status status = gcs_token_parse(&response, &token, &expires_in, &err);
  if (status == PAIL_OK) {
    FUZZ_ASSERT(err == NULL && token != NULL && *token != '\0');
    for (const char *p = token; *p; p++)
      FUZZ_ASSERT(*p > ' ' && *p < 0x7f);
    FUZZ_ASSERT(expires_in > 0);
  } else {
    FUZZ_ASSERT(token == NULL && err != NULL);
  }
  free(token);
  pail_error_free(err);
  err = NULL;

  gcs_account account;
  status = gcs_account_parse(response.body, size, "fuzz", &account, &err);
  if (status == PAIL_OK) {
    FUZZ_ASSERT(err == NULL && account.token_uri != NULL);
    if (account.service_account)
      FUZZ_ASSERT(account.key != NULL && account.client_email != NULL);
    else
      FUZZ_ASSERT(account.refresh_token != NULL &&
                  account.client_secret != NULL);
    gcs_account_clear(&account);
  } else {
    FUZZ_ASSERT(err != NULL && pail_error_category(err) == status);
    /* A refusal never holds a credential the file had, even one that
     * happens to spell words of the message. */
    static const char *const secrets[] = {"private_key", "private_key_id",
                                          "client_secret", "refresh_token"};
    json_t *root = json_loadb((const char *)data, size, 0, NULL);
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++) {
      const char *value = json_string_value(json_object_get(root, secrets[i]));
      if (value != NULL && strlen(value) >= 16)
        FUZZ_ASSERT(strstr(pail_error_message(err), value) == NULL);
    }
    json_decref(root);
  }
  pail_error_free(err);
  free(response.body);
  return 0;
}
