/* A plugin whose ops table claims to be smaller than ABI 1.0 requires. */
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
    .abi_version = PAIL_BACKEND_ABI_VERSION,
    .struct_size = 16,
    .name = "smallops",
    .version = "0.1",
    .open = never_open,
    .close = never_close,
};

static const pail_core_services *core;
PAIL_BACKEND_DEFINE_ENTRY(ops, core, 0)
