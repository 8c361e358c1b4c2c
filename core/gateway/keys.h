/*
 * keys.h: the gateway's access keys (keys.c), for the gateway that checks
 * them. Minting is public: pail_credentials_mint in pail.h.
 */
#ifndef PAIL_CORE_GATEWAY_KEYS_H
#define PAIL_CORE_GATEWAY_KEYS_H

#include "internal.h"

/* The secret of an access key: 43 base64url characters and a NUL. */
#define GATEWAY_SECRET_SIZE 44

/* What an access key id says, once it is known to be well formed. */
typedef struct gateway_key_claims {
  char *signing_key_id;
  char *username; /* NULL: none */
  int64_t expires_at;
  pail_scope scope; /* its lists point into the strings below */
  char **storages, **prefixes;
} gateway_key_claims;

/* Reads the claims of access_key_id and computes the secret that goes with
 * it (with the gateway signing key it names). Nothing in the claims is
 * proven until a request signed with that secret is checked: the caller
 * verifies the signature first, then gateway_key_open. An id that is not
 * one of ours, or names a signing key the settings do not have, is
 * PAIL_ERR_ACCESS_DENIED with provider code "InvalidAccessKeyId". */
PAIL_HIDDEN pail_status gateway_key_secret(pail_workspace *ws,
                                           const char *access_key_id,
                                           char secret[GATEWAY_SECRET_SIZE],
                                           gateway_key_claims *claims,
                                           pail_error **err);
/* The workspace view the claims allow at time `now`: expired keys are
 * PAIL_ERR_ACCESS_DENIED with provider code "ExpiredToken". */
PAIL_HIDDEN pail_status gateway_key_open(pail_workspace *ws,
                                         const gateway_key_claims *claims,
                                         int64_t now, pail_workspace **view,
                                         pail_error **err);
PAIL_HIDDEN void gateway_key_claims_clear(gateway_key_claims *claims);

#endif /* PAIL_CORE_GATEWAY_KEYS_H */
