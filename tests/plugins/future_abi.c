/* A plugin as a future header (ABI 2.0) would build it: it exports its ABI
 * version and its entry refuses this core without a message, since it cannot
 * trust another major's services table. The core must still name both. */
#include <pail/backend.h>

PAIL_BACKEND_EXPORT const uint32_t pail_backend_abi_version =
    PAIL_ABI_VERSION_MAKE(2, 0);

PAIL_BACKEND_EXPORT pail_status
pail_backend_entry(uint32_t core_abi_version, const pail_core_services *core,
                   const pail_backend_ops **ops, pail_error **err);
pail_status pail_backend_entry(uint32_t core_abi_version,
                               const pail_core_services *core,
                               const pail_backend_ops **ops, pail_error **err) {
  (void)core_abi_version;
  (void)core;
  (void)err;
  *ops = NULL;
  return PAIL_ERR_UNSUPPORTED;
}
