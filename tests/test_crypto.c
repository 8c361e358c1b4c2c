/*
 * test_crypto.c: the ABI 1.2 crypto services (core/net/crypto.c,
 * core/net/crc.c): SHA-256 and HMAC-SHA256 against published vectors, from
 * several threads. RSA expectations were computed independently with printf
 * 'pail RS256 test' | openssl dgst -sha256 -sign key.pem using the private key
 * of tests/vectors/gcs-v4/test_service_account.json (Google's published dummy
 * key).
 */
#include "internal.h"
#include "testutil.h"

#include <unistd.h>

#include <pthread.h>

#define RS256_HEX                                                              \
  "6c70340c81e159734104eef9acf633ecc027a22c9bd3dc7cbbf8806d5313b1110f0bb1db3a" \
  "6e16a94606920c53e340c588539cba8bc16ceb4049b4c13ac959d228c6a94aefae70b86193" \
  "383eb030de73b4a070746828694df16593008d9727366a9002ca6df77ba95a1272f54eb025" \
  "752b5d1f083007d4bcaedbc87cd5f8553e0e7164d97bb28b1ed591dc66f2fa9c8d43b169f7" \
  "357d5f823c37e86ca6e36b14b05783c538663014848d31018fafa47de11577032d44583711" \
  "d78a5c739dc7a45041b1c61845250ab01a22e90e0798b0224d116475186f0acfe0bce3835c" \
  "c749c6c172090061c4046f7e6e0d44526c3f29c933953bff16c9455950c29c3aaaea"
#define RS256_URL                                                              \
  "bHA0DIHhWXNBBO75rPYz7MAnoiyb09x8u_iAbVMTsREPC7HbOm4WqUYGkgxT40DFiFOcuovBbO" \
  "tASbTBOslZ0ijGqUrvrnC4YZM4PrAw3nO0oHB0aChpTfFlkwCNlyc2apACym33e6laEnL1TrAl" \
  "dStdHwgwB9S8rtvIfNX4VT4OcWTZe7KLHtWR3Gby-pyNQ7Fp9zV9X4I8N-hspuNrFLBXg8U4Zj" \
  "AUhI0xAY-vpH3hFXcDLURYNxHXilxzncekUEGxxhhFJQqwGiLpDgeYsCJNEWR1GG8Kz-C844Nc" \
  "x0nGwXIJAGHEBG9-bg1EUmw_KckzlTv_FslFWVDCnDqq6g"

static char *test_key_pem(void) {
  const char *dir = getenv("top_srcdir");
  char *path = NULL;
  ck_assert_int_ge(asprintf(&path,
                            "%s/tests/vectors/gcs-v4/test_service_account.json",
                            dir ? dir : "."),
                   0);
  json_error_t jerr;
  json_t *account = json_load_file(path, 0, &jerr);
  ck_assert_msg(account != NULL, "%s: %s", path, jerr.text);
  free(path);
  char *pem =
      strdup(json_string_value(json_object_get(account, "private_key")));
  json_decref(account);
  return pem;
}

/* ------------------------------------------------------------- base64 */

static void expect_decodes(const char *text, const char *expected,
                           size_t expected_length) {
  unsigned char out[64];
  size_t n = 99;
  ck_assert_int_eq(crypto_base64_decode(text, strlen(text), out, &n), PAIL_OK);
  ck_assert_uint_eq(n, expected_length);
  ck_assert_mem_eq(out, expected, expected_length);
}

START_TEST(base64_decode_handles_every_padding) {
  expect_decodes("", "", 0);
  expect_decodes("Zg==", "f", 1);
  expect_decodes("Zm8=", "fo", 2);
  expect_decodes("Zm9v", "foo", 3);
  expect_decodes("Zm9vYmFy", "foobar", 6);
  expect_decodes("//8A", "\xff\xff\x00", 3);
  expect_decodes("+/+/", "\xfb\xff\xbf", 3);
}
END_TEST

START_TEST(base64_decode_refuses_what_is_not_base64) {
  static const char *const bad[] = {"Zg=",  "Zg",   "Z===",       "Zm9v\n",
                                    " Zm9", "Zm-v", "Zm_v",       "=Zm9",
                                    "Zg=a", "Z=g=", "Zm9vYg=\x80"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    unsigned char out[16];
    size_t n = 7;
    ck_assert_msg(crypto_base64_decode(bad[i], strlen(bad[i]), out, &n) ==
                      PAIL_ERR_INVALID_ARGUMENT,
                  "accepted \"%s\"", bad[i]);
    ck_assert_uint_eq(n, 0);
  }
}
END_TEST

START_TEST(base64_round_trips_every_byte) {
  unsigned char data[256], back[256];
  char text[400];
  for (int i = 0; i < 256; i++)
    data[i] = (unsigned char)i;
  for (size_t length = 0; length <= 256; length += 37) {
    size_t n = crypto_base64_encode(data, length, text);
    size_t m = 0;
    ck_assert_int_eq(crypto_base64_decode(text, n, back, &m), PAIL_OK);
    ck_assert_uint_eq(m, length);
    ck_assert_mem_eq(back, data, length);
  }
}
END_TEST

START_TEST(base64url_has_no_padding_and_url_alphabet) {
  char out[16];
  ck_assert_uint_eq(crypto_base64url_encode((const unsigned char *)"f", 1, out),
                    2);
  ck_assert_str_eq(out, "Zg");
  ck_assert_uint_eq(
      crypto_base64url_encode((const unsigned char *)"\xfb\xff\xbf", 3, out),
      4);
  ck_assert_str_eq(out, "-_-_");
  ck_assert_uint_eq(crypto_base64url_encode((const unsigned char *)"", 0, out),
                    0);
  ck_assert_str_eq(out, "");
}
END_TEST

/* ---------------------------------------------------------------- RSA */

START_TEST(rsa_sha256_matches_openssl_dgst) {
  char *pem = test_key_pem();
  pail_error *err = NULL;
  pail_private_key *key = crypto_private_key_load(pem, strlen(pem), &err);
  ck_assert_msg(key != NULL, "%s", pail_error_message(err));
  unsigned char *signature = NULL;
  size_t length = 0;
  ck_assert_int_eq(crypto_rsa_sha256_sign(key, "pail RS256 test", 15,
                                          &signature, &length, &err),
                   PAIL_OK);
  ck_assert_uint_eq(length, 256);
  char hex[513], url[400];
  crypto_hex_encode(signature, length, hex);
  ck_assert_str_eq(hex, RS256_HEX);
  crypto_base64url_encode(signature, length, url);
  ck_assert_str_eq(url, RS256_URL);
  free(signature);
  crypto_private_key_free(key);
  free(pem);
}
END_TEST

START_TEST(bad_private_key_is_refused_without_quoting_it) {
  char *pem = test_key_pem();
  /* Damage the base64 body in the middle. */
  size_t n = strlen(pem);
  memset(pem + n / 2, '!', 8);
  pail_error *err = NULL;
  ck_assert_ptr_null(crypto_private_key_load(pem, n, &err));
  ck_assert_int_eq(pail_error_category(err), PAIL_ERR_INVALID_ARGUMENT);
  ck_assert_contains(pail_error_message(err), "not a PEM private key");
  ck_assert_ptr_null(strstr(pail_error_message(err), "MII"));
  pail_error_free(err);
  err = NULL;
  ck_assert_ptr_null(crypto_private_key_load("", 0, &err));
  ck_assert_int_eq(pail_error_category(err), PAIL_ERR_INVALID_ARGUMENT);
  pail_error_free(err);
  crypto_private_key_free(NULL);
  free(pem);
}
END_TEST

START_TEST(non_rsa_key_is_refused) {
  /* openssl genpkey -algorithm ed25519 */
  static const char ed25519[] =
      "-----BEGIN PRIVATE KEY-----\n"
      "MC4CAQAwBQYDK2VwBCIEIFGmQo9WVRR0j/zhk9E4jo4OeUTCxy3PaigKvHC28Wdb\n"
      "-----END PRIVATE KEY-----\n";
  pail_error *err = NULL;
  ck_assert_ptr_null(crypto_private_key_load(ed25519, strlen(ed25519), &err));
  ck_assert_contains(pail_error_message(err), "not an RSA key");
  pail_error_free(err);
}
END_TEST

/* ------------------------------------------------------------- crc32c */

START_TEST(crc32c_matches_rfc3720_vectors) {
  unsigned char buffer[32];
  memset(buffer, 0, sizeof buffer);
  ck_assert_uint_eq(crc32c_update(0, buffer, 32), 0x8A9136AAu);
  ck_assert_uint_eq(crc32c_portable(0, buffer, 32), 0x8A9136AAu);
  memset(buffer, 0xff, sizeof buffer);
  ck_assert_uint_eq(crc32c_update(0, buffer, 32), 0x62A8AB43u);
  ck_assert_uint_eq(crc32c_portable(0, buffer, 32), 0x62A8AB43u);
  for (int i = 0; i < 32; i++)
    buffer[i] = (unsigned char)i;
  ck_assert_uint_eq(crc32c_update(0, buffer, 32), 0x46DD794Eu);
  ck_assert_uint_eq(crc32c_portable(0, buffer, 32), 0x46DD794Eu);
  for (int i = 0; i < 32; i++)
    buffer[i] = (unsigned char)(31 - i);
  ck_assert_uint_eq(crc32c_update(0, buffer, 32), 0x113FDB5Cu);
  ck_assert_uint_eq(crc32c_portable(0, buffer, 32), 0x113FDB5Cu);
  ck_assert_uint_eq(crc32c_update(0, "123456789", 9), 0xE3069283u);
  ck_assert_uint_eq(crc32c_update(0, "", 0), 0);
}
END_TEST

/* The catalogue's check values (the CRC of "123456789"), whole and in
 * pieces. */
START_TEST(crc32_and_crc64nvme_match_their_check_values) {
  ck_assert_uint_eq(crc32_update(0, "123456789", 9), 0xCBF43926u);
  ck_assert_uint_eq(crc32_update(crc32_update(0, "1234", 4), "56789", 5),
                    0xCBF43926u);
  ck_assert_uint_eq(crc32_update(0, "", 0), 0);
  ck_assert_uint_eq(crc64nvme_update(0, "123456789", 9), 0xAE8B14860A799888ull);
  ck_assert_uint_eq(
      crc64nvme_update(crc64nvme_update(0, "12345", 5), "6789", 4),
      0xAE8B14860A799888ull);
  ck_assert_uint_eq(crc64nvme_update(0, "", 0), 0);
}
END_TEST

START_TEST(crc32c_paths_agree_at_every_alignment_and_split) {
  enum { N = 4099 };
  unsigned char *data = malloc(N);
  uint32_t state = 12345;
  for (int i = 0; i < N; i++) {
    state = state * 1103515245u + 12345u;
    data[i] = (unsigned char)(state >> 16);
  }
  for (size_t offset = 0; offset < 9; offset++) {
    for (size_t length = 0; length + offset <= N; length += 211) {
      uint32_t whole = crc32c_update(0, data + offset, length);
      ck_assert_uint_eq(crc32c_portable(0, data + offset, length), whole);
      size_t half = length / 3;
      uint32_t split = crc32c_update(0, data + offset, half);
      split = crc32c_portable(split, data + offset + half, length - half);
      ck_assert_uint_eq(split, whole);
    }
  }
  free(data);
}
END_TEST

/* ------------------------------------------------------- SHA-256, HMAC */

/* RFC 4231 test cases 1, 2 and 6 (a key longer than SHA-256's block), the
 * empty key, and FIPS 180-2's "abc". */
static const struct {
  const char *key;
  size_t key_length;
  const char *data;
  const char *hex;
} hmac_vectors[] = {
    {"\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b"
     "\x0b\x0b\x0b",
     20, "Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {"Jefe", 4, "what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {NULL, 131, "Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    {"", 0, "",
     "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"},
};

static void expect_hmac_vectors(void) {
  unsigned char long_key[131];
  memset(long_key, 0xaa, sizeof long_key);
  /* Twice round, so that each key follows another: the contexts are
   * reused and must carry nothing from one call to the next. */
  for (int round = 0; round < 2; round++) {
    for (size_t i = 0; i < sizeof hmac_vectors / sizeof *hmac_vectors; i++) {
      unsigned char mac[32];
      char hex[65];
      const void *key =
          hmac_vectors[i].key ? (const void *)hmac_vectors[i].key : long_key;
      crypto_hmac_sha256(key, hmac_vectors[i].key_length, hmac_vectors[i].data,
                         strlen(hmac_vectors[i].data), mac);
      crypto_hex_encode(mac, 32, hex);
      ck_assert_str_eq(hex, hmac_vectors[i].hex);
    }
    unsigned char digest[32];
    char hex[65];
    crypto_sha256("abc", 3, digest);
    crypto_hex_encode(digest, 32, hex);
    ck_assert_str_eq(
        hex,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    crypto_sha256("", 0, digest);
    crypto_hex_encode(digest, 32, hex);
    ck_assert_str_eq(
        hex,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }
}

/* file_read and sha256_file: a range of a file, exactly, wherever the
 * descriptor's offset is; a file that ends early is an I/O error. */
START_TEST(file_ranges_are_read_exactly) {
  char path[] = "/tmp/pail-crypto-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  unlink(path);
  char data[1000];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (char)(i * 7);
  ck_assert_int_eq(write(fd, data, sizeof data), (ssize_t)sizeof data);
  char out[300];
  const pail_core_services *core = pail_core_services_get();
  ck_assert_int_eq(core->file_read(fd, 600, out, sizeof out, NULL), PAIL_OK);
  ck_assert_int_eq(memcmp(out, data + 600, sizeof out), 0);
  ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), (off_t)sizeof data);
  unsigned char want[32], got[32];
  core->sha256(data + 100, 800, want);
  ck_assert_int_eq(core->sha256_file(fd, 100, 800, got, NULL), PAIL_OK);
  ck_assert_int_eq(memcmp(want, got, 32), 0);
  pail_error *err = NULL;
  ck_assert_int_eq(core->file_read(fd, 900, out, 200, &err), PAIL_ERR_IO);
  ck_assert_msg(strstr(pail_error_message(err), "100 bytes early") != NULL,
                "%s", pail_error_message(err));
  pail_error_free(err);
  err = NULL;
  ck_assert_int_eq(core->sha256_file(fd, 500, 600, got, &err), PAIL_ERR_IO);
  pail_error_free(err);
  close(fd);
}
END_TEST

START_TEST(hmac_sha256_matches_rfc4231) {
  expect_hmac_vectors();
}
END_TEST

static void *hmac_thread(void *unused) {
  (void)unused;
  for (int i = 0; i < 200; i++)
    expect_hmac_vectors();
  return NULL;
}

/* Each thread has its own contexts: threads hashing at once agree. */
START_TEST(hmac_sha256_from_threads_at_once) {
  pthread_t threads[4];
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq(pthread_create(&threads[i], NULL, hmac_thread, NULL), 0);
  hmac_thread(NULL);
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("crypto");
  TCase *tc = tcase_create("base64");
  tcase_add_test(tc, base64_decode_handles_every_padding);
  tcase_add_test(tc, base64_decode_refuses_what_is_not_base64);
  tcase_add_test(tc, base64_round_trips_every_byte);
  tcase_add_test(tc, base64url_has_no_padding_and_url_alphabet);
  suite_add_tcase(s, tc);
  tc = tcase_create("hash");
  tcase_add_test(tc, file_ranges_are_read_exactly);
  tcase_add_test(tc, hmac_sha256_matches_rfc4231);
  tcase_add_test(tc, hmac_sha256_from_threads_at_once);
  suite_add_tcase(s, tc);
  tc = tcase_create("rsa");
  tcase_add_test(tc, rsa_sha256_matches_openssl_dgst);
  tcase_add_test(tc, bad_private_key_is_refused_without_quoting_it);
  tcase_add_test(tc, non_rsa_key_is_refused);
  suite_add_tcase(s, tc);
  tc = tcase_create("crc32c");
  tcase_add_test(tc, crc32c_matches_rfc3720_vectors);
  tcase_add_test(tc, crc32c_paths_agree_at_every_alignment_and_split);
  tcase_add_test(tc, crc32_and_crc64nvme_match_their_check_values);
  suite_add_tcase(s, tc);
  return test_run_suite(s);
}
