/*
 * crc.c: the CRCs providers store for objects, to verify downloads.
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), which GCS
 * reports for every object and S3 on request. OpenSSL has no CRC-32C and zlib's
 * crc32 is the other polynomial, so it lives here: the SSE4.2 crc32 instruction
 * where the CPU has it (about 20 GB/s, so verification costs nothing next to
 * the network), else slicing-by-8 tables (about 1.5 GB/s), both checked against
 * RFC 3720's vectors in tests/test_crypto.c. CRC-32 (S3's
 * x-amz-checksum-crc32) is zlib's. CRC-64/NVME (reflected polynomial
 * 0x9A6C9329AC4BC9B5), which S3 computes for every object uploaded since
 * 2025, is in no library pail uses: a table here, checked against its
 * catalogue check value in tests/test_crypto.c.
 */
#include "internal.h"

#include <string.h>
#include <zlib.h>

#define CRC32C_POLY 0x82F63B78u

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_init(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t crc = n;
    for (int k = 0; k < 8; k++)
      crc = (crc & 1) ? (crc >> 1) ^ CRC32C_POLY : crc >> 1;
    table[0][n] = crc;
  }
  for (uint32_t n = 0; n < 256; n++)
    for (int t = 1; t < 8; t++)
      table[t][n] = (table[t - 1][n] >> 8) ^ table[0][table[t - 1][n] & 0xff];
}

static uint32_t crc32c_software(uint32_t crc, const unsigned char *p,
                                size_t length) {
  pthread_once(&table_once, table_init);
  while (length > 0 && ((uintptr_t)p & 7) != 0) {
    crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
    length--;
  }
  while (length >= 8) {
    uint64_t word;
    memcpy(&word, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    word = __builtin_bswap64(word);
#endif
    word ^= crc;
    crc = table[7][word & 0xff] ^ table[6][(word >> 8) & 0xff] ^
          table[5][(word >> 16) & 0xff] ^ table[4][(word >> 24) & 0xff] ^
          table[3][(word >> 32) & 0xff] ^ table[2][(word >> 40) & 0xff] ^
          table[1][(word >> 48) & 0xff] ^ table[0][word >> 56];
    p += 8;
    length -= 8;
  }
  while (length-- > 0)
    crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
  return crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>

__attribute__((target("sse4.2"))) static uint32_t
crc32c_sse42(uint32_t crc, const unsigned char *p, size_t length) {
  uint64_t c = crc;
  while (length > 0 && ((uintptr_t)p & 7) != 0) {
    c = _mm_crc32_u8((uint32_t)c, *p++);
    length--;
  }
  while (length >= 8) {
    uint64_t word;
    memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
    p += 8;
    length -= 8;
  }
  while (length-- > 0)
    c = _mm_crc32_u8((uint32_t)c, *p++);
  return (uint32_t)c;
}

static int have_sse42(void) {
  static int cached = -1;
  if (cached < 0)
    cached = __builtin_cpu_supports("sse4.2") ? 1 : 0;
  return cached;
}
#endif

uint32_t crc32c_portable(uint32_t crc, const void *data, size_t length) {
  return ~crc32c_software(~crc, data, length);
}

uint32_t crc32c_update(uint32_t crc, const void *data, size_t length) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (have_sse42())
    return ~crc32c_sse42(~crc, data, length);
#endif
  return ~crc32c_software(~crc, data, length);
}

uint32_t crc32_update(uint32_t crc, const void *data, size_t length) {
  const unsigned char *p = data;
  while (length > 0) { /* zlib takes a uInt length */
    uInt n = length > 0x40000000u ? 0x40000000u : (uInt)length;
    crc = (uint32_t)crc32(crc, p, n);
    p += n;
    length -= n;
  }
  return crc;
}

#define CRC64NVME_POLY 0x9A6C9329AC4BC9B5ull

static uint64_t table64[256];
static pthread_once_t table64_once = PTHREAD_ONCE_INIT;

static void table64_init(void) {
  for (uint64_t n = 0; n < 256; n++) {
    uint64_t crc = n;
    for (int k = 0; k < 8; k++)
      crc = (crc & 1) ? (crc >> 1) ^ CRC64NVME_POLY : crc >> 1;
    table64[n] = crc;
  }
}

uint64_t crc64nvme_update(uint64_t crc, const void *data, size_t length) {
  pthread_once(&table64_once, table64_init);
  const unsigned char *p = data;
  crc = ~crc;
  while (length-- > 0)
    crc = (crc >> 8) ^ table64[(crc ^ *p++) & 0xff];
  return ~crc;
}
