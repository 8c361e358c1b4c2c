/* A well-formed plugin whose open always fails, as a backend does when
 * credentials are refused: the error must reach the user with its storage. */
#include <pail/backend.h>

static const pail_core_services *core;

static const pail_backend_field fields[] = {
    {"token", PAIL_FIELD_STRING, 0, 1, "a credential that is never valid"},
    {NULL, 0, 0, 0, NULL},
};

static pail_status refuse_open(const pail_config *cfg, void **instance,
                               pail_error **err) {
  (void)cfg;
  *instance = NULL;
  return core->error_set(err, PAIL_ERR_ACCESS_DENIED, 403, "InvalidToken",
                         "req-123", "credentials were refused");
}

static void never_close(void *instance) {
  (void)instance;
}

static const pail_backend_ops ops = {
    PAIL_BACKEND_OPS_INIT("openfails"),
    .version = "1.0",
    .fields = fields,
    .open = refuse_open,
    .close = never_close,
};

PAIL_BACKEND_DEFINE_ENTRY(ops, core, 0)
