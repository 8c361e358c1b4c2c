/*
 * test_abi.c: the plugin ABI (include/pail/backend.h) held still. The
 * layout of every struct and table that crosses the plugin boundary is
 * asserted at compile time, so an accidental change fails the build; then
 * the versioning rules are exercised: a plugin built for ABI 1.0 loads and
 * works, an entry refuses a core older than the minor it needs, an ops
 * table whose size disagrees with its version or that declares a core field
 * is refused, and request_init clears only the frozen 1.x request. The
 * ABI 1.15 helpers (status categories, hex and percent decoding) are
 * checked here too, as services.
 */
#include "internal.h"
#include "testutil.h"

#include <stddef.h>

/* -------------------------------------------------- layouts, x86-64 LP64
 * The numbers are the ABI: changing one breaks every plugin built before.
 * A struct that may grow (see backend.h) grows at the end: then only its
 * size here changes, in the same commit as the ABI minor. */
#if defined(__x86_64__) && defined(__LP64__)
#define LAYOUT_SIZE(type, size)                                                \
  _Static_assert(sizeof(type) == (size), "size of " #type " changed")
#define LAYOUT_AT(type, member, offset)                                        \
  _Static_assert(offsetof(type, member) == (offset),                           \
                 "offset of " #type "." #member " changed")

/* pail_backend_ops */
LAYOUT_SIZE(pail_backend_ops, 248);
LAYOUT_AT(pail_backend_ops, abi_version, 0);
LAYOUT_AT(pail_backend_ops, struct_size, 4);
LAYOUT_AT(pail_backend_ops, name, 8);
LAYOUT_AT(pail_backend_ops, version, 16);
LAYOUT_AT(pail_backend_ops, capabilities, 24);
LAYOUT_AT(pail_backend_ops, fields, 32);
LAYOUT_AT(pail_backend_ops, open, 40);
LAYOUT_AT(pail_backend_ops, close, 48);
LAYOUT_AT(pail_backend_ops, list, 56);
LAYOUT_AT(pail_backend_ops, stat, 64);
LAYOUT_AT(pail_backend_ops, read_open, 72);
LAYOUT_AT(pail_backend_ops, read_stream, 80);
LAYOUT_AT(pail_backend_ops, read_close, 88);
LAYOUT_AT(pail_backend_ops, write_open, 96);
LAYOUT_AT(pail_backend_ops, write_stream, 104);
LAYOUT_AT(pail_backend_ops, write_commit, 112);
LAYOUT_AT(pail_backend_ops, write_abort, 120);
LAYOUT_AT(pail_backend_ops, delete_object, 128);
LAYOUT_AT(pail_backend_ops, copy, 136);
LAYOUT_AT(pail_backend_ops, sign, 144);
LAYOUT_AT(pail_backend_ops, create_container, 152);
LAYOUT_AT(pail_backend_ops, delete_objects, 160);
LAYOUT_AT(pail_backend_ops, write_stream_file, 168);
LAYOUT_AT(pail_backend_ops, connection_describe, 176);
LAYOUT_AT(pail_backend_ops, leftovers_list, 184);
LAYOUT_AT(pail_backend_ops, leftover_remove, 192);
LAYOUT_AT(pail_backend_ops, read_file, 200);
LAYOUT_AT(pail_backend_ops, upload_create, 208);
LAYOUT_AT(pail_backend_ops, upload_part, 216);
LAYOUT_AT(pail_backend_ops, upload_complete, 224);
LAYOUT_AT(pail_backend_ops, upload_abort, 232);
LAYOUT_AT(pail_backend_ops, upload_part_copy, 240);

/* pail_core_services */
LAYOUT_SIZE(pail_core_services, 576);
LAYOUT_AT(pail_core_services, abi_version, 0);
LAYOUT_AT(pail_core_services, struct_size, 4);
LAYOUT_AT(pail_core_services, error_set, 8);
LAYOUT_AT(pail_core_services, log, 16);
LAYOUT_AT(pail_core_services, now, 24);
LAYOUT_AT(pail_core_services, config_storage_name, 32);
LAYOUT_AT(pail_core_services, config_string, 40);
LAYOUT_AT(pail_core_services, config_bool, 48);
LAYOUT_AT(pail_core_services, config_integer, 56);
LAYOUT_AT(pail_core_services, config_json, 64);
LAYOUT_AT(pail_core_services, key_check, 72);
LAYOUT_AT(pail_core_services, sha256, 80);
LAYOUT_AT(pail_core_services, hmac_sha256, 88);
LAYOUT_AT(pail_core_services, hex_encode, 96);
LAYOUT_AT(pail_core_services, http_exchange, 104);
LAYOUT_AT(pail_core_services, http_response_clear, 112);
LAYOUT_AT(pail_core_services, http_header, 120);
LAYOUT_AT(pail_core_services, http_stream_open, 128);
LAYOUT_AT(pail_core_services, http_stream_read, 136);
LAYOUT_AT(pail_core_services, http_stream_close, 144);
LAYOUT_AT(pail_core_services, http_group_new, 152);
LAYOUT_AT(pail_core_services, http_group_start, 160);
LAYOUT_AT(pail_core_services, http_group_wait, 168);
LAYOUT_AT(pail_core_services, http_group_pending, 176);
LAYOUT_AT(pail_core_services, http_group_free, 184);
LAYOUT_AT(pail_core_services, sigv4_sign, 192);
LAYOUT_AT(pail_core_services, sigv4_presign, 200);
LAYOUT_AT(pail_core_services, uri_encode, 208);
LAYOUT_AT(pail_core_services, strings_free, 216);
LAYOUT_AT(pail_core_services, time_parse, 224);
LAYOUT_AT(pail_core_services, error_free, 232);
LAYOUT_AT(pail_core_services, error_category, 240);
LAYOUT_AT(pail_core_services, error_provider_code, 248);
LAYOUT_AT(pail_core_services, error_message, 256);
LAYOUT_AT(pail_core_services, md5, 264);
LAYOUT_AT(pail_core_services, base64_encode, 272);
LAYOUT_AT(pail_core_services, content_type_guess, 280);
LAYOUT_AT(pail_core_services, base64_decode, 288);
LAYOUT_AT(pail_core_services, base64url_encode, 296);
LAYOUT_AT(pail_core_services, private_key_load, 304);
LAYOUT_AT(pail_core_services, private_key_free, 312);
LAYOUT_AT(pail_core_services, rsa_sha256_sign, 320);
LAYOUT_AT(pail_core_services, crc32c, 328);
LAYOUT_AT(pail_core_services, object_info_clear, 336);
LAYOUT_AT(pail_core_services, resumable_open, 344);
LAYOUT_AT(pail_core_services, resumable_read, 352);
LAYOUT_AT(pail_core_services, resumable_close, 360);
LAYOUT_AT(pail_core_services, endpoint_problem, 368);
LAYOUT_AT(pail_core_services, delegate_open, 376);
LAYOUT_AT(pail_core_services, delegate_close, 384);
LAYOUT_AT(pail_core_services, resumable_verify, 392);
LAYOUT_AT(pail_core_services, sha256_file, 400);
LAYOUT_AT(pail_core_services, file_read, 408);
LAYOUT_AT(pail_core_services, error_redact_document, 416);
LAYOUT_AT(pail_core_services, request_init, 424);
LAYOUT_AT(pail_core_services, request_header, 432);
LAYOUT_AT(pail_core_services, request_free, 440);
LAYOUT_AT(pail_core_services, part_writer_open, 448);
LAYOUT_AT(pail_core_services, part_writer_write, 456);
LAYOUT_AT(pail_core_services, part_writer_write_file, 464);
LAYOUT_AT(pail_core_services, part_writer_copy, 472);
LAYOUT_AT(pail_core_services, part_writer_commit, 480);
LAYOUT_AT(pail_core_services, part_writer_abort, 488);
LAYOUT_AT(pail_core_services, request_set_url, 496);
LAYOUT_AT(pail_core_services, status_category, 504);
LAYOUT_AT(pail_core_services, hex_decode, 512);
LAYOUT_AT(pail_core_services, uri_decode, 520);
LAYOUT_AT(pail_core_services, resumable_stream_open, 528);
LAYOUT_AT(pail_core_services, credentials_cache_new, 536);
LAYOUT_AT(pail_core_services, credentials_get, 544);
LAYOUT_AT(pail_core_services, credentials_invalidate, 552);
LAYOUT_AT(pail_core_services, credentials_clear, 560);
LAYOUT_AT(pail_core_services, credentials_cache_free, 568);

/* pail_backend_field */
LAYOUT_SIZE(pail_backend_field, 32);
LAYOUT_AT(pail_backend_field, name, 0);
LAYOUT_AT(pail_backend_field, type, 8);
LAYOUT_AT(pail_backend_field, required, 12);
LAYOUT_AT(pail_backend_field, secret, 16);
LAYOUT_AT(pail_backend_field, description, 24);

/* pail_backend_list_request */
LAYOUT_SIZE(pail_backend_list_request, 32);
LAYOUT_AT(pail_backend_list_request, prefix, 0);
LAYOUT_AT(pail_backend_list_request, delimiter, 8);
LAYOUT_AT(pail_backend_list_request, page_token, 16);
LAYOUT_AT(pail_backend_list_request, max_keys, 24);

/* pail_http_request */
LAYOUT_SIZE(pail_http_request, 56);
LAYOUT_AT(pail_http_request, method, 0);
LAYOUT_AT(pail_http_request, url, 8);
LAYOUT_AT(pail_http_request, headers, 16);
LAYOUT_AT(pail_http_request, header_count, 24);
LAYOUT_AT(pail_http_request, body, 32);
LAYOUT_AT(pail_http_request, body_length, 40);
LAYOUT_AT(pail_http_request, flags, 48);

/* pail_http_body_file */
LAYOUT_SIZE(pail_http_body_file, 16);
LAYOUT_AT(pail_http_body_file, fd, 0);
LAYOUT_AT(pail_http_body_file, offset, 8);

/* pail_request */
LAYOUT_SIZE(pail_request, 80);
LAYOUT_AT(pail_request, http, 0);
LAYOUT_AT(pail_request, headers, 56);
LAYOUT_AT(pail_request, header_count, 64);
LAYOUT_AT(pail_request, url, 72);

/* pail_http_header */
LAYOUT_SIZE(pail_http_header, 16);
LAYOUT_AT(pail_http_header, name, 0);
LAYOUT_AT(pail_http_header, value, 8);

/* pail_http_response */
LAYOUT_SIZE(pail_http_response, 40);
LAYOUT_AT(pail_http_response, status, 0);
LAYOUT_AT(pail_http_response, headers, 8);
LAYOUT_AT(pail_http_response, header_count, 16);
LAYOUT_AT(pail_http_response, body, 24);
LAYOUT_AT(pail_http_response, body_length, 32);

/* pail_sigv4_key */
LAYOUT_SIZE(pail_sigv4_key, 48);
LAYOUT_AT(pail_sigv4_key, access_key_id, 0);
LAYOUT_AT(pail_sigv4_key, secret_access_key, 8);
LAYOUT_AT(pail_sigv4_key, session_token, 16);
LAYOUT_AT(pail_sigv4_key, region, 24);
LAYOUT_AT(pail_sigv4_key, service, 32);
LAYOUT_AT(pail_sigv4_key, normalize_path, 40);

/* pail_resumable_source */
LAYOUT_SIZE(pail_resumable_source, 64);
LAYOUT_AT(pail_resumable_source, label, 0);
LAYOUT_AT(pail_resumable_source, key, 8);
LAYOUT_AT(pail_resumable_source, version, 16);
LAYOUT_AT(pail_resumable_source, version_header, 24);
LAYOUT_AT(pail_resumable_source, resumes, 32);
LAYOUT_AT(pail_resumable_source, context, 40);
LAYOUT_AT(pail_resumable_source, build, 48);
LAYOUT_AT(pail_resumable_source, check, 56);

/* pail_delegate */
LAYOUT_SIZE(pail_delegate, 16);
LAYOUT_AT(pail_delegate, ops, 0);
LAYOUT_AT(pail_delegate, instance, 8);

/* pail_part */
LAYOUT_SIZE(pail_part, 128);
LAYOUT_AT(pail_part, number, 0);
LAYOUT_AT(pail_part, body, 8);
LAYOUT_AT(pail_part, body_length, 16);
LAYOUT_AT(pail_part, body_flags, 24);
LAYOUT_AT(pail_part, copy_offset, 32);
LAYOUT_AT(pail_part, copy_length, 40);
LAYOUT_AT(pail_part, request, 48);

/* pail_part_protocol */
LAYOUT_SIZE(pail_part_protocol, 144);
LAYOUT_AT(pail_part_protocol, label, 0);
LAYOUT_AT(pail_part_protocol, key, 8);
LAYOUT_AT(pail_part_protocol, part_word, 16);
LAYOUT_AT(pail_part_protocol, part_size_setting, 24);
LAYOUT_AT(pail_part_protocol, capacity, 32);
LAYOUT_AT(pail_part_protocol, part_size, 40);
LAYOUT_AT(pail_part_protocol, max_part_size, 48);
LAYOUT_AT(pail_part_protocol, max_parts, 56);
LAYOUT_AT(pail_part_protocol, concurrency, 64);
LAYOUT_AT(pail_part_protocol, size_hint, 72);
LAYOUT_AT(pail_part_protocol, max_body, 80);
LAYOUT_AT(pail_part_protocol, context, 88);
LAYOUT_AT(pail_part_protocol, begin, 96);
LAYOUT_AT(pail_part_protocol, part_start, 104);
LAYOUT_AT(pail_part_protocol, part_finish, 112);
LAYOUT_AT(pail_part_protocol, complete, 120);
LAYOUT_AT(pail_part_protocol, abort, 128);
LAYOUT_AT(pail_part_protocol, single, 136);

/* pail_metadata_entry */
LAYOUT_SIZE(pail_metadata_entry, 16);
LAYOUT_AT(pail_metadata_entry, name, 0);
LAYOUT_AT(pail_metadata_entry, value, 8);

/* pail_object_info */
LAYOUT_SIZE(pail_object_info, 72);
LAYOUT_AT(pail_object_info, key, 0);
LAYOUT_AT(pail_object_info, size, 8);
LAYOUT_AT(pail_object_info, last_modified, 16);
LAYOUT_AT(pail_object_info, last_modified_nsec, 24);
LAYOUT_AT(pail_object_info, is_folder, 28);
LAYOUT_AT(pail_object_info, etag, 32);
LAYOUT_AT(pail_object_info, content_type, 40);
LAYOUT_AT(pail_object_info, content_disposition, 48);
LAYOUT_AT(pail_object_info, metadata, 56);
LAYOUT_AT(pail_object_info, metadata_count, 64);

/* pail_list_page */
LAYOUT_SIZE(pail_list_page, 24);
LAYOUT_AT(pail_list_page, entries, 0);
LAYOUT_AT(pail_list_page, count, 8);
LAYOUT_AT(pail_list_page, next_page_token, 16);

/* pail_read_options */
LAYOUT_SIZE(pail_read_options, 56);
LAYOUT_AT(pail_read_options, struct_size, 0);
LAYOUT_AT(pail_read_options, offset, 8);
LAYOUT_AT(pail_read_options, length, 16);
LAYOUT_AT(pail_read_options, if_match, 24);
LAYOUT_AT(pail_read_options, progress, 32);
LAYOUT_AT(pail_read_options, progress_user_data, 40);
LAYOUT_AT(pail_read_options, large, 48);

/* pail_write_options */
LAYOUT_SIZE(pail_write_options, 80);
LAYOUT_AT(pail_write_options, struct_size, 0);
LAYOUT_AT(pail_write_options, content_type, 8);
LAYOUT_AT(pail_write_options, content_disposition, 16);
LAYOUT_AT(pail_write_options, if_none_match, 24);
LAYOUT_AT(pail_write_options, size_hint, 32);
LAYOUT_AT(pail_write_options, metadata, 40);
LAYOUT_AT(pail_write_options, metadata_count, 48);
LAYOUT_AT(pail_write_options, progress, 56);
LAYOUT_AT(pail_write_options, progress_user_data, 64);
LAYOUT_AT(pail_write_options, committing, 72);

/* pail_sign_options */
LAYOUT_SIZE(pail_sign_options, 64);
LAYOUT_AT(pail_sign_options, struct_size, 0);
LAYOUT_AT(pail_sign_options, method, 8);
LAYOUT_AT(pail_sign_options, expires, 16);
LAYOUT_AT(pail_sign_options, at, 24);
LAYOUT_AT(pail_sign_options, headers, 32);
LAYOUT_AT(pail_sign_options, header_count, 40);
LAYOUT_AT(pail_sign_options, query, 48);
LAYOUT_AT(pail_sign_options, query_count, 56);

/* pail_upload_part */
LAYOUT_SIZE(pail_upload_part, 16);
LAYOUT_AT(pail_upload_part, number, 0);
LAYOUT_AT(pail_upload_part, etag, 8);

/* pail_leftover */
LAYOUT_SIZE(pail_leftover, 64);
LAYOUT_AT(pail_leftover, kind, 0);
LAYOUT_AT(pail_leftover, key, 8);
LAYOUT_AT(pail_leftover, id, 16);
LAYOUT_AT(pail_leftover, size, 24);
LAYOUT_AT(pail_leftover, size_known, 32);
LAYOUT_AT(pail_leftover, started, 40);
LAYOUT_AT(pail_leftover, in_use, 48);
LAYOUT_AT(pail_leftover, outcome, 52);
LAYOUT_AT(pail_leftover, error, 56);
#endif /* __x86_64__ && __LP64__ */

/* ------------------------------------------------------ version records */

/* The services table size of each minor: the current one is this header's
 * table, so a service appended without updating PAIL_CORE_SERVICES_SIZE
 * fails here. */
START_TEST(services_size_of_each_minor_matches_the_table) {
  ck_assert_uint_eq(PAIL_CORE_SERVICES_SIZE(PAIL_BACKEND_ABI_MINOR),
                    sizeof(pail_core_services));
  ck_assert_uint_eq(PAIL_CORE_SERVICES_SIZE(0),
                    offsetof(pail_core_services, hex_encode) +
                        sizeof(void (*)(void)));
  ck_assert_uint_eq(PAIL_CORE_SERVICES_SIZE(12),
                    offsetof(pail_core_services, request_set_url));
  ck_assert_uint_eq(PAIL_CORE_SERVICES_SIZE(13), PAIL_CORE_SERVICES_SIZE(12));
  for (unsigned minor = 1; minor <= PAIL_BACKEND_ABI_MINOR; minor++)
    ck_assert_uint_ge(PAIL_CORE_SERVICES_SIZE(minor),
                      PAIL_CORE_SERVICES_SIZE(minor - 1));
}
END_TEST

/* An entry as PAIL_BACKEND_DEFINE_ENTRY writes it for a plugin that needs
 * core ABI 1.12 (the part writer). */
static const pail_core_services *needs_12_core;
static const pail_backend_ops needs_12_ops = {
    PAIL_BACKEND_OPS_INIT("needs12"),
};
PAIL_BACKEND_DEFINE_ENTRY(needs_12_ops, needs_12_core, 12)

/* A copy of this core's services that says it is core 1.minor, with that
 * minor's table size. */
static pail_core_services core_as_minor(unsigned minor) {
  pail_core_services older = *pail_core_services_get();
  older.abi_version = PAIL_ABI_VERSION_MAKE(1, minor);
  older.struct_size = (uint32_t)PAIL_CORE_SERVICES_SIZE(minor);
  return older;
}

START_TEST(entry_refuses_a_core_older_than_the_minor_it_needs) {
  pail_core_services older = core_as_minor(11);
  const pail_backend_ops *ops = &needs_12_ops;
  pail_error *err = NULL;
  ck_assert_int_eq(pail_backend_entry(older.abi_version, &older, &ops, &err),
                   PAIL_ERR_UNSUPPORTED);
  ck_assert_ptr_null(ops);
  ck_assert_contains(pail_error_message(err), "needs12");
  ck_assert_contains(pail_error_message(err), "needs core ABI 1.12");
  ck_assert_contains(pail_error_message(err), "this core is 1.11");
  pail_error_free(err);
}
END_TEST

/* The version alone is not trusted: a table smaller than the minor's. */
START_TEST(entry_refuses_a_core_whose_table_is_smaller_than_its_minor) {
  pail_core_services older = core_as_minor(12);
  older.struct_size = (uint32_t)PAIL_CORE_SERVICES_SIZE(11);
  const pail_backend_ops *ops = NULL;
  pail_error *err = NULL;
  ck_assert_int_eq(pail_backend_entry(older.abi_version, &older, &ops, &err),
                   PAIL_ERR_UNSUPPORTED);
  ck_assert_ptr_null(ops);
  ck_assert_ptr_nonnull(err);
  pail_error_free(err);
}
END_TEST

START_TEST(entry_accepts_the_minor_it_needs_and_every_later_one) {
  for (unsigned minor = 12; minor <= PAIL_BACKEND_ABI_MINOR; minor++) {
    pail_core_services core = core_as_minor(minor);
    const pail_backend_ops *ops = NULL;
    pail_error *err = NULL;
    ck_assert_int_eq(pail_backend_entry(core.abi_version, &core, &ops, &err),
                     PAIL_OK);
    ck_assert_ptr_eq(ops, &needs_12_ops);
    ck_assert_ptr_null(err);
  }
  ck_assert_uint_eq(pail_backend_abi_version, PAIL_BACKEND_ABI_VERSION);
}
END_TEST

START_TEST(entry_refuses_another_major_without_trusting_its_services) {
  pail_core_services core = core_as_minor(0);
  core.error_set = NULL; /* another major's table: never called */
  const pail_backend_ops *ops = NULL;
  pail_error *err = NULL;
  ck_assert_int_eq(
      pail_backend_entry(PAIL_ABI_VERSION_MAKE(2, 0), &core, &ops, &err),
      PAIL_ERR_UNSUPPORTED);
  ck_assert_ptr_null(ops);
  ck_assert_ptr_null(err);
}
END_TEST

START_TEST(ops_init_fills_the_version_records_from_this_header) {
  ck_assert_uint_eq(needs_12_ops.abi_version, PAIL_BACKEND_ABI_VERSION);
  ck_assert_uint_eq(needs_12_ops.struct_size, sizeof(pail_backend_ops));
  ck_assert_str_eq(needs_12_ops.name, "needs12");
}
END_TEST

/* A plugin built for ABI 1.0 (tests/plugins/old_minor.c: a 1.0 table of
 * 1.0 size, no ABI constant, 1.0 services) loads on this core, which reads
 * only its table, and serves reads. */
START_TEST(plugin_built_for_abi_1_0_loads_and_works) {
  const char *dir = getenv("TEST_PLUGIN_DIR");
  ck_assert_msg(dir != NULL, "TEST_PLUGIN_DIR is not set (run via make check)");
  setenv("PAIL_PLUGIN_PATH", dir, 1);
  const backend *b = NULL;
  pail_error *err = NULL;
  ck_assert_int_eq(backend_get("oldminor", &b, &err), PAIL_OK);
  ck_assert_uint_eq(b->ops.abi_version, PAIL_ABI_VERSION_MAKE(1, 0));
  ck_assert_uint_eq(b->ops.struct_size,
                    offsetof(pail_backend_ops, create_container) +
                        sizeof(void (*)(void)));
  ck_assert_ptr_null(b->ops.delete_objects); /* zero-filled past 1.0 */
  ck_assert_ptr_null(b->ops.leftover_remove);

  pail_workspace *ws = NULL;
  ck_assert_int_eq(
      pail_workspace_open_json("{\"storage\": {\"type\": \"oldminor\"}}", NULL,
                               &ws, &err),
      PAIL_OK);
  pail_pointer *ptr = NULL;
  ck_assert_int_eq(pail_pointer_parse("hello", NULL, &ptr, &err), PAIL_OK);
  void *data = NULL;
  size_t length = 0;
  ck_assert_int_eq(pail_read(ws, ptr, NULL, &data, &length, &err), PAIL_OK);
  ck_assert_uint_eq(length, 5);
  ck_assert_str_eq(data, "hello");
  free(data);
  pail_read_options range = PAIL_READ_OPTIONS_INIT;
  range.offset = 1;
  range.length = 3;
  ck_assert_int_eq(pail_read(ws, ptr, &range, &data, &length, &err), PAIL_OK);
  ck_assert_str_eq(data, "ell");
  free(data);
  ck_assert_ptr_null(err);
  pail_pointer_free(ptr);
  pail_workspace_close(ws);
}
END_TEST

static pail_status quiet_open(const pail_config *cfg, void **instance,
                              pail_error **err) {
  (void)cfg;
  (void)err;
  *instance = NULL;
  return PAIL_OK;
}

static void quiet_close(void *instance) {
  (void)instance;
}

/* abi_version is what the core acts on: a table that says 1.14 but has
 * only 1.7's size would be read past its end. */
START_TEST(ops_table_smaller_than_its_own_minor_is_refused) {
  pail_backend_ops ops = {PAIL_BACKEND_OPS_INIT("disagrees"),
                          .open = quiet_open, .close = quiet_close};
  ops.abi_version = PAIL_ABI_VERSION_MAKE(1, 14);
  ops.struct_size =
      offsetof(pail_backend_ops, write_stream_file) + sizeof(void (*)(void));
  pail_error *err = NULL;
  ck_assert_int_eq(pail_backend_register(&ops, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), "ABI 1.14");
  ck_assert_contains(pail_error_message(err), "disagree");
  pail_error_free(err);
  /* The same table saying 1.7 is fine. */
  ops.abi_version = PAIL_ABI_VERSION_MAKE(1, 7);
  ck_assert_int_eq(pail_backend_register(&ops, NULL), PAIL_OK);
}
END_TEST

static pail_status never_read_file(void *stream, int *fd, uint64_t *offset,
                                   uint64_t *length, pail_error **err) {
  (void)stream, (void)fd, (void)offset, (void)length, (void)err;
  ck_abort_msg("read_file past the end of a 1.16 table was called");
  return PAIL_ERR_INTERNAL;
}

/* A 1.16 table ends before read_file (1.17): the core reads it as NULL. */
START_TEST(ops_table_of_1_16_has_no_read_file) {
  pail_backend_ops ops = {PAIL_BACKEND_OPS_INIT("before17"), .open = quiet_open,
                          .close = quiet_close};
  ops.abi_version = PAIL_ABI_VERSION_MAKE(1, 16);
  ops.struct_size = offsetof(pail_backend_ops, read_file);
  ops.read_file = never_read_file; /* past the table's end */
  ck_assert_int_eq(pail_backend_register(&ops, NULL), PAIL_OK);
  const backend *b = NULL;
  ck_assert_int_eq(backend_get("before17", &b, NULL), PAIL_OK);
  ck_assert_ptr_null(b->ops.read_file);
  /* Saying 1.17 with that size is refused. */
  ops.name = "claims17";
  ops.abi_version = PAIL_ABI_VERSION_MAKE(1, 17);
  ck_assert_int_eq(pail_backend_register(&ops, NULL),
                   PAIL_ERR_INVALID_ARGUMENT);
}
END_TEST

/* The upload operations (ABI 1.18) are read only from a table of that
 * minor: a 1.14 table registers with them NULL (its gateway uploads are
 * staged), and a table saying 1.18 must be long enough to hold them. */
START_TEST(upload_operations_are_read_only_from_a_1_18_table) {
  pail_backend_ops ops = {PAIL_BACKEND_OPS_INIT("before18"), .open = quiet_open,
                          .close = quiet_close};
  ops.abi_version = PAIL_ABI_VERSION_MAKE(1, 14);
  ops.struct_size =
      offsetof(pail_backend_ops, leftover_remove) + sizeof(void (*)(void));
  ck_assert_int_eq(pail_backend_register(&ops, NULL), PAIL_OK);
  const backend *b = NULL;
  pail_error *err = NULL;
  ck_assert_int_eq(backend_get("before18", &b, &err), PAIL_OK);
  ck_assert_ptr_null(b->ops.upload_create);
  ck_assert_ptr_null(b->ops.upload_abort);

  ops.name = "short18";
  ops.abi_version = PAIL_ABI_VERSION_MAKE(1, 18);
  ck_assert_int_eq(pail_backend_register(&ops, &err),
                   PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), "ABI 1.18");
  pail_error_free(err);
}
END_TEST

START_TEST(field_table_declaring_a_core_field_is_refused) {
  static const char *const core_fields[] = {"maxAttempts", "retryTimeLimit",
                                            "streamBufferSize", "tlsVerify",
                                            "caBundle"};
  for (size_t i = 0; i < sizeof core_fields / sizeof core_fields[0]; i++) {
    pail_backend_field fields[] = {
        {"bucket", PAIL_FIELD_STRING, 1, 0, "the bucket"},
        {core_fields[i], PAIL_FIELD_ANY, 0, 0, "mine"},
        {NULL, 0, 0, 0, NULL},
    };
    pail_backend_ops ops = {PAIL_BACKEND_OPS_INIT("reserved"), .fields = fields,
                            .open = quiet_open, .close = quiet_close};
    pail_error *err = NULL;
    ck_assert_int_eq(pail_backend_register(&ops, &err),
                     PAIL_ERR_INVALID_ARGUMENT);
    ck_assert_contains(pail_error_message(err), core_fields[i]);
    ck_assert_contains(pail_error_message(err), "may not declare");
    pail_error_free(err);
  }
}
END_TEST

/* ------------------------------------------------------- request builder */

/* The plugin allocates the request: request_init and request_free touch its
 * frozen 1.x bytes and nothing after them. */
START_TEST(request_init_clears_only_the_frozen_request) {
  unsigned char memory[sizeof(pail_request) + 16];
  memset(memory, 0xAA, sizeof memory);
  pail_request *r = (pail_request *)(void *)memory;
  const pail_core_services *core = pail_core_services_get();
  ck_assert_int_eq(core->request_init(r, "GET", strdup("http://h/a"), NULL),
                   PAIL_OK);
  ck_assert_ptr_null(r->headers);
  ck_assert_uint_eq(r->http.flags, 0);
  ck_assert_ptr_null(r->http.body);
  for (size_t i = sizeof(pail_request); i < sizeof memory; i++)
    ck_assert_uint_eq(memory[i], 0xAA);
  core->request_free(r);
  for (size_t i = sizeof(pail_request); i < sizeof memory; i++)
    ck_assert_uint_eq(memory[i], 0xAA);
}
END_TEST

START_TEST(request_set_url_keeps_the_http_view_in_step) {
  const pail_core_services *core = pail_core_services_get();
  pail_request r;
  ck_assert_int_eq(core->request_init(&r, "GET", strdup("http://h/a"), NULL),
                   PAIL_OK);
  ck_assert_int_eq(core->request_header(&r, NULL, "X-A: %d", 1), PAIL_OK);
  ck_assert_int_eq(core->request_set_url(&r, strdup("http://h/a?sig=1"), NULL),
                   PAIL_OK);
  ck_assert_str_eq(r.url, "http://h/a?sig=1");
  ck_assert_ptr_eq(r.http.url, r.url);
  ck_assert_uint_eq(r.http.header_count, 1);
  /* A failed allocation is an error that keeps the old URL. */
  pail_error *err = NULL;
  ck_assert_int_eq(core->request_set_url(&r, NULL, &err), PAIL_ERR_INTERNAL);
  ck_assert_contains(pail_error_message(err), "out of memory");
  ck_assert_str_eq(r.http.url, "http://h/a?sig=1");
  pail_error_free(err);
  core->request_free(&r);
  ck_assert_ptr_null(r.url);
}
END_TEST

/* ------------------------------------------------ ABI 1.15 helpers */

START_TEST(status_category_is_one_table) {
  pail_status (*category)(int) = pail_core_services_get()->status_category;
  static const struct {
    int status;
    pail_status category;
  } table[] = {
      {200, PAIL_OK},
      {204, PAIL_OK},
      {206, PAIL_OK},
      {100, PAIL_ERR_IO},
      {301, PAIL_ERR_IO},
      {304, PAIL_ERR_IO},
      {400, PAIL_ERR_INVALID_ARGUMENT},
      {401, PAIL_ERR_ACCESS_DENIED},
      {403, PAIL_ERR_ACCESS_DENIED},
      {404, PAIL_ERR_NOT_FOUND},
      {405, PAIL_ERR_INVALID_ARGUMENT},
      {408, PAIL_ERR_UNAVAILABLE},
      {409, PAIL_ERR_CONFLICT},
      {410, PAIL_ERR_NOT_FOUND},
      {411, PAIL_ERR_INVALID_ARGUMENT},
      {412, PAIL_ERR_CONFLICT},
      /* The copies disagreed on these two (backend.h, core/error.c). */
      {413, PAIL_ERR_INVALID_ARGUMENT},
      {501, PAIL_ERR_UNSUPPORTED},
      {416, PAIL_ERR_INVALID_ARGUMENT},
      {429, PAIL_ERR_THROTTLED},
      {499, PAIL_ERR_INVALID_ARGUMENT},
      {500, PAIL_ERR_UNAVAILABLE},
      {502, PAIL_ERR_UNAVAILABLE},
      {503, PAIL_ERR_THROTTLED},
      {504, PAIL_ERR_UNAVAILABLE},
      {599, PAIL_ERR_UNAVAILABLE},
      {0, PAIL_ERR_IO},
      {600, PAIL_ERR_IO},
      {-1, PAIL_ERR_IO},
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    ck_assert_msg(category(table[i].status) == table[i].category,
                  "status %d: %s, expected %s", table[i].status,
                  pail_status_name(category(table[i].status)),
                  pail_status_name(table[i].category));
}
END_TEST

START_TEST(hex_decode_takes_either_case_and_refuses_the_rest) {
  pail_status (*decode)(const char *, size_t, unsigned char *) =
      pail_core_services_get()->hex_decode;
  unsigned char out[4] = {0};
  ck_assert_int_eq(decode("00fFa9", 6, out), PAIL_OK);
  ck_assert_uint_eq(out[0], 0x00);
  ck_assert_uint_eq(out[1], 0xff);
  ck_assert_uint_eq(out[2], 0xa9);
  ck_assert_int_eq(decode("", 0, out), PAIL_OK);
  ck_assert_int_eq(decode("abc", 3, out), PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(decode("0g", 2, out), PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(decode("g0", 2, out), PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(decode(" 1", 2, out), PAIL_ERR_INVALID_ARGUMENT);
  /* length counts: the digits after it are not read. */
  ck_assert_int_eq(decode("12zz", 2, out), PAIL_OK);
  ck_assert_uint_eq(out[0], 0x12);
}
END_TEST

START_TEST(uri_decode_undoes_percent_encoding_only) {
  pail_status (*decode)(const char *, size_t, char **, size_t *) =
      pail_core_services_get()->uri_decode;
  char *out = NULL;
  size_t length = 0;
  const char *text = "a%2Fb%20c+d%e2%82%AC";
  ck_assert_int_eq(decode(text, strlen(text), &out, &length), PAIL_OK);
  ck_assert_str_eq(out, "a/b c+d\xe2\x82\xac");
  ck_assert_uint_eq(length, strlen(out));
  free(out);
  /* Round trip with uri_encode. */
  char *encoded = pail_core_services_get()->uri_encode("dir/k y~é", 0);
  ck_assert_int_eq(decode(encoded, strlen(encoded), &out, NULL), PAIL_OK);
  ck_assert_str_eq(out, "dir/k y~é");
  free(out);
  free(encoded);
  /* %00 is a byte like another: the length says so. */
  ck_assert_int_eq(decode("a%00b", 5, &out, &length), PAIL_OK);
  ck_assert_uint_eq(length, 3);
  ck_assert_int_eq(memcmp(out, "a\0b", 4), 0);
  free(out);
  ck_assert_int_eq(decode("", 0, &out, &length), PAIL_OK);
  ck_assert_str_eq(out, "");
  ck_assert_uint_eq(length, 0);
  free(out);
  static const char *const bad[] = {"%",   "a%",  "%4",  "a%4",
                                    "%zz", "%4g", "%%41"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    out = (char *)"untouched";
    ck_assert_msg(decode(bad[i], strlen(bad[i]), &out, NULL) ==
                      PAIL_ERR_INVALID_ARGUMENT,
                  "\"%s\" was accepted", bad[i]);
    ck_assert_ptr_null(out);
  }
  /* A '%' whose digits lie past length is refused, not read. */
  ck_assert_int_eq(decode("a%41", 3, &out, NULL), PAIL_ERR_INVALID_ARGUMENT);
}
END_TEST

int main(void) {
  Suite *s = suite_create("abi");
  TCase *tc = tcase_create("abi");
  tcase_add_test(tc, services_size_of_each_minor_matches_the_table);
  tcase_add_test(tc, entry_refuses_a_core_older_than_the_minor_it_needs);
  tcase_add_test(tc,
                 entry_refuses_a_core_whose_table_is_smaller_than_its_minor);
  tcase_add_test(tc, entry_accepts_the_minor_it_needs_and_every_later_one);
  tcase_add_test(tc, entry_refuses_another_major_without_trusting_its_services);
  tcase_add_test(tc, ops_init_fills_the_version_records_from_this_header);
  tcase_add_test(tc, plugin_built_for_abi_1_0_loads_and_works);
  tcase_add_test(tc, ops_table_smaller_than_its_own_minor_is_refused);
  tcase_add_test(tc, ops_table_of_1_16_has_no_read_file);
  tcase_add_test(tc, upload_operations_are_read_only_from_a_1_18_table);
  tcase_add_test(tc, field_table_declaring_a_core_field_is_refused);
  tcase_add_test(tc, request_init_clears_only_the_frozen_request);
  tcase_add_test(tc, request_set_url_keeps_the_http_view_in_step);
  tcase_add_test(tc, status_category_is_one_table);
  tcase_add_test(tc, hex_decode_takes_either_case_and_refuses_the_rest);
  tcase_add_test(tc, uri_decode_undoes_percent_encoding_only);
  suite_add_tcase(s, tc);
  return test_run_suite(s);
}
