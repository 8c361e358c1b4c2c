/* A plugin built for a future, incompatible ABI major: must be refused. */
#include <pail/backend.h>

static pail_status never_open(const pail_config *cfg, void **instance,
                              pail_error **err) {
  (void)cfg;
  (void)err;
  *instance = NULL;
  return PAIL_OK;
}

static void never_close(void *instance) {
  (void)instance;
}

static const pail_backend_ops ops = {
    .abi_version = PAIL_ABI_VERSION_MAKE(PAIL_BACKEND_ABI_MAJOR + 1, 3),
    .struct_size = sizeof(pail_backend_ops),
    .name = "wrongabi",
    .version = "9.9",
    .open = never_open,
    .close = never_close,
};

static const pail_core_services *core;
PAIL_BACKEND_DEFINE_ENTRY(ops, core, 0)
