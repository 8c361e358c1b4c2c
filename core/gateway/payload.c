/*
 * payload.c: the body of an S3 request as it arrives, checked as S3 checks
 * it. aws-chunked bodies lose their framing here, each chunk's signature is
 * checked against the chain that starts at the request's signature, and
 * every hash the request declared (x-amz-content-sha256, a checksum header
 * or trailer, Content-MD5) is computed on the way and compared at the end.
 *
 * Memory is bounded whatever the body: data goes to the sink as it comes,
 * and only one framing line (a chunk header or a trailer line, at most
 * FRAME_LINE_MAX bytes) and the trailer's text are ever held.
 */
#include "gateway.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

/* A chunk header is "<hex size>;chunk-signature=<64 hex>" (about 90
 * bytes); a trailer line is a checksum header. Longer lines are refused
 * rather than buffered. */
#define FRAME_LINE_MAX 256
/* The trailer lines that are signed, checksum and all. */
#define TRAILER_MAX 512
/* The longest checksum in base64: SHA-256's 44 characters. */
#define CHECKSUM_TEXT_MAX 44

typedef enum frame_state {
  FRAME_SIZE_LINE, /* reading "<hex size>[;chunk-signature=...]\r\n" */
  FRAME_DATA,      /* chunk_left bytes of data */
  FRAME_DATA_END,  /* the "\r\n" after them */
  FRAME_TRAILER,   /* trailer lines, up to an empty one */
  FRAME_END,       /* nothing more may come */
  FRAME_FAILED
} frame_state;

struct gateway_payload {
  gateway_payload_kind kind;
  bool chunk_signed; /* chunks carry chunk-signature */
  pail_sigv4_key key;
  char amz_date[17];
  char previous[65]; /* the last checked signature, the seed's first */
  char claimed[65];  /* the signature the current chunk claims */
  crypto_digest *chunk_digest;

  frame_state state;
  char line[FRAME_LINE_MAX + 1];
  size_t line_length;
  uint64_t chunk_left;
  size_t data_end_seen;          /* of the "\r\n" after a chunk's data */
  char trailer[TRAILER_MAX + 1]; /* "name:value\n" lines, as signed */
  size_t trailer_length;
  char trailer_signature[65];
  int64_t decoded_length; /* -1: not declared (not aws-chunked) */
  uint64_t decoded;

  /* What the request declared of the decoded body. */
  char payload_hash[65]; /* GATEWAY_PAYLOAD_SIGNED */
  gateway_checksum checksum;
  bool checksum_in_trailer;
  char checksum_text[CHECKSUM_TEXT_MAX + 1]; /* base64 */
  unsigned char content_md5[16];
  bool has_content_md5;
  crypto_digest *sha256, *sha1, *md5;
  uint32_t crc32, crc32c;
  uint64_t crc64;
};

static const char *const checksum_names[] = {
    [GATEWAY_CHECKSUM_CRC32] = "crc32",
    [GATEWAY_CHECKSUM_CRC32C] = "crc32c",
    [GATEWAY_CHECKSUM_CRC64NVME] = "crc64nvme",
    [GATEWAY_CHECKSUM_SHA1] = "sha1",
    [GATEWAY_CHECKSUM_SHA256] = "sha256",
};
static const char *const checksum_labels[] = {
    [GATEWAY_CHECKSUM_CRC32] = "CRC32",
    [GATEWAY_CHECKSUM_CRC32C] = "CRC32C",
    [GATEWAY_CHECKSUM_CRC64NVME] = "CRC64NVME",
    [GATEWAY_CHECKSUM_SHA1] = "SHA1",
    [GATEWAY_CHECKSUM_SHA256] = "SHA256",
};

/* Once failed, the decoder answers every call with this. */
static pail_status payload_fail(gateway_payload *p, pail_status status) {
  p->state = FRAME_FAILED;
  return status;
}

static pail_status frame_error(gateway_payload *p, pail_error **err,
                               const char *what) {
  return payload_fail(p, gateway_error(err, "InvalidRequest",
                                       "malformed aws-chunked body: %s", what));
}

/* --------------------------------------------------------------- open */

/* Checks a checksum's base64 now, so a bad one is refused before the body
 * is read. */
static pail_status checksum_take(gateway_payload *p, gateway_checksum which,
                                 const char *text, bool in_trailer,
                                 pail_error **err) {
  static const size_t sizes[] = {[GATEWAY_CHECKSUM_CRC32] = 4,
                                 [GATEWAY_CHECKSUM_CRC32C] = 4,
                                 [GATEWAY_CHECKSUM_CRC64NVME] = 8,
                                 [GATEWAY_CHECKSUM_SHA1] = 20,
                                 [GATEWAY_CHECKSUM_SHA256] = 32};
  unsigned char bytes[33];
  size_t length = text ? strlen(text) : 0, decoded = 0;
  if (text == NULL || length > CHECKSUM_TEXT_MAX ||
      crypto_base64_decode(text, length, bytes, &decoded) != PAIL_OK ||
      decoded != sizes[which])
    return gateway_error(
        err, "InvalidRequest", "Value for x-amz-checksum-%s %s is invalid.",
        checksum_names[which], in_trailer ? "trailing header" : "header");
  memcpy(p->checksum_text, text, length + 1);
  return PAIL_OK;
}

static pail_status digests_open(gateway_payload *p, pail_error **err) {
  if (p->kind == GATEWAY_PAYLOAD_SIGNED ||
      p->checksum == GATEWAY_CHECKSUM_SHA256)
    p->sha256 = crypto_digest_new(CRYPTO_DIGEST_SHA256);
  if (p->checksum == GATEWAY_CHECKSUM_SHA1)
    p->sha1 = crypto_digest_new(CRYPTO_DIGEST_SHA1);
  if (p->has_content_md5)
    p->md5 = crypto_digest_new(CRYPTO_DIGEST_MD5);
  if (p->chunk_signed)
    p->chunk_digest = crypto_digest_new(CRYPTO_DIGEST_SHA256);
  bool sha256_wanted = p->kind == GATEWAY_PAYLOAD_SIGNED ||
                       p->checksum == GATEWAY_CHECKSUM_SHA256;
  if ((sha256_wanted && !p->sha256) ||
      (p->checksum == GATEWAY_CHECKSUM_SHA1 && !p->sha1) ||
      (p->has_content_md5 && !p->md5) || (p->chunk_signed && !p->chunk_digest))
    return error_no_memory(err);
  return PAIL_OK;
}

/* The key of the chunk signatures: the request's scope and secret. */
static pail_status key_copy(gateway_payload *p, const gateway_auth *a,
                            const char *secret, pail_error **err) {
  p->key.access_key_id = strdup(a->access_key_id);
  p->key.secret_access_key = strdup(secret);
  p->key.region = strdup(a->region);
  p->key.service = strdup(a->service);
  if (!p->key.access_key_id || !p->key.secret_access_key || !p->key.region ||
      !p->key.service)
    return error_no_memory(err);
  memcpy(p->amz_date, a->amz_date, 17);
  memcpy(p->previous, a->signature, 65);
  return PAIL_OK;
}

static pail_status payload_setup(gateway_payload *p, const gateway_auth *a,
                                 const char *secret, pail_error **err) {
  p->kind = a->payload;
  p->decoded_length = a->decoded_length;
  p->chunk_signed = a->payload == GATEWAY_PAYLOAD_STREAMING ||
                    a->payload == GATEWAY_PAYLOAD_STREAMING_TRAILER;
  p->state =
      a->payload >= GATEWAY_PAYLOAD_STREAMING ? FRAME_SIZE_LINE : FRAME_DATA;
  if (a->payload == GATEWAY_PAYLOAD_SIGNED) {
    if (strlen(a->payload_line) != 64)
      return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                            "gateway: a signed payload's hash is 64 hex "
                            "digits");
    memcpy(p->payload_hash, a->payload_line, 65);
  }
  pail_status status = PAIL_OK;
  if (p->chunk_signed)
    status = key_copy(p, a, secret, err);
  if (status == PAIL_OK && a->header_checksum != GATEWAY_CHECKSUM_NONE) {
    p->checksum = a->header_checksum;
    status =
        checksum_take(p, p->checksum, a->header_checksum_value, false, err);
  } else if (status == PAIL_OK) {
    p->checksum = a->trailer_checksum;
    p->checksum_in_trailer = p->checksum != GATEWAY_CHECKSUM_NONE;
  }
  if (status == PAIL_OK && a->content_md5 != NULL) {
    size_t length = strlen(a->content_md5), decoded = 0;
    unsigned char bytes[18];
    if (length != 24 ||
        crypto_base64_decode(a->content_md5, length, bytes, &decoded) !=
            PAIL_OK ||
        decoded != 16)
      return gateway_error(err, "InvalidDigest",
                           "The Content-MD5 you specified was invalid.");
    memcpy(p->content_md5, bytes, 16);
    p->has_content_md5 = true;
  }
  if (status == PAIL_OK)
    status = digests_open(p, err);
  return status;
}

pail_status gateway_payload_open(const gateway_auth *a, const char *secret,
                                 gateway_payload **out, pail_error **err) {
  if (out == NULL || a == NULL || a->payload_line == NULL ||
      ((a->payload == GATEWAY_PAYLOAD_STREAMING ||
        a->payload == GATEWAY_PAYLOAD_STREAMING_TRAILER) &&
       (secret == NULL || a->access_key_id == NULL)))
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "gateway: a verified request (and its secret, for "
                          "signed chunks) is required");
  *out = NULL;
  gateway_payload *p = calloc(1, sizeof *p);
  if (p == NULL)
    return error_no_memory(err);
  pail_status status = payload_setup(p, a, secret, err);
  if (status != PAIL_OK) {
    gateway_payload_free(p);
    return status;
  }
  *out = p;
  return PAIL_OK;
}

void gateway_payload_free(gateway_payload *p) {
  if (p == NULL)
    return;
  crypto_digest_free(p->chunk_digest);
  crypto_digest_free(p->sha256);
  crypto_digest_free(p->sha1);
  crypto_digest_free(p->md5);
  if (p->key.secret_access_key != NULL)
    OPENSSL_cleanse((char *)p->key.secret_access_key,
                    strlen(p->key.secret_access_key));
  free((char *)p->key.access_key_id);
  free((char *)p->key.secret_access_key);
  free((char *)p->key.region);
  free((char *)p->key.service);
  OPENSSL_cleanse(p, sizeof *p);
  free(p);
}

/* --------------------------------------------------------------- data */

/* Decoded bytes: hashed for the final checks, then to the sink. Bytes past
 * the declared decoded length are refused, after the sink had those up to
 * it, so that the sink sees the same bytes however the body was split. */
static pail_status data_take(gateway_payload *p, const unsigned char *data,
                             size_t length, gateway_payload_sink sink,
                             void *context, pail_error **err) {
  bool too_long = false;
  if (p->decoded_length >= 0 &&
      length > (uint64_t)p->decoded_length - p->decoded) {
    length = (size_t)((uint64_t)p->decoded_length - p->decoded);
    too_long = true;
  }
  if (p->chunk_digest != NULL)
    crypto_digest_update(p->chunk_digest, data, length);
  if (p->sha256 != NULL)
    crypto_digest_update(p->sha256, data, length);
  if (p->sha1 != NULL)
    crypto_digest_update(p->sha1, data, length);
  if (p->md5 != NULL)
    crypto_digest_update(p->md5, data, length);
  if (p->checksum == GATEWAY_CHECKSUM_CRC32)
    p->crc32 = crc32_update(p->crc32, data, length);
  else if (p->checksum == GATEWAY_CHECKSUM_CRC32C)
    p->crc32c = crc32c_update(p->crc32c, data, length);
  else if (p->checksum == GATEWAY_CHECKSUM_CRC64NVME)
    p->crc64 = crc64nvme_update(p->crc64, data, length);
  p->decoded += length;
  pail_status status =
      sink != NULL && length > 0 ? sink(context, data, length, err) : PAIL_OK;
  if (status == PAIL_OK && too_long)
    status = gateway_error(err, "InvalidRequest",
                           "the aws-chunked body is longer than "
                           "x-amz-decoded-content-length");
  return status == PAIL_OK ? status : payload_fail(p, status);
}

/* Checks the signature a chunk (or the trailer) claimed against the one
 * chained to the previous signature over hash, and chains the next one to
 * it. */
static pail_status chain_check(gateway_payload *p, bool trailer,
                               const unsigned char hash[32],
                               const char claimed[65], pail_error **err) {
  char expected[65];
  pail_status status = sigv4_chunk_signature(&p->key, p->amz_date, p->previous,
                                             trailer, hash, expected, err);
  if (status != PAIL_OK)
    return payload_fail(p, status);
  bool match = CRYPTO_memcmp(expected, claimed, 64) == 0;
  OPENSSL_cleanse(expected, sizeof expected);
  if (!match)
    return payload_fail(
        p, gateway_error(err, "SignatureDoesNotMatch",
                         "The %s signature we calculated does not match the "
                         "signature you provided.",
                         trailer ? "trailer" : "chunk"));
  memcpy(p->previous, claimed, 65);
  return PAIL_OK;
}

/* Checks the current chunk's signature, now that its data is hashed. */
static pail_status chunk_verify(gateway_payload *p, pail_error **err) {
  unsigned char hash[32];
  crypto_digest_final(p->chunk_digest, hash);
  return chain_check(p, false, hash, p->claimed, err);
}

/* ------------------------------------------------------------- framing */

static bool is_hex(char c) {
  return str_hex_digit((unsigned char)c) >= 0;
}

/* "<hex size>" with ";chunk-signature=<64 hex>" when chunks are signed. */
static pail_status size_line_parse(gateway_payload *p, pail_error **err) {
  const char *line = p->line;
  size_t digits = 0;
  uint64_t size = 0;
  while (is_hex(line[digits]) && digits < 16)
    size = size << 4 | (uint64_t)str_hex_digit((unsigned char)line[digits++]);
  if (digits == 0 || digits > 15 || (line[digits] != ';' && line[digits]))
    return frame_error(p, err, "a chunk size is not a hex number");
  const char *extension = line + digits;
  static const char signature_prefix[] = ";chunk-signature=";
  size_t prefix = sizeof signature_prefix - 1;
  if (p->chunk_signed) {
    if (strncmp(extension, signature_prefix, prefix) != 0 ||
        strlen(extension + prefix) != 64)
      return frame_error(p, err, "a chunk has no chunk-signature");
    memcpy(p->claimed, extension + prefix, 64);
    p->claimed[64] = '\0';
  } else if (*extension != '\0') {
    return frame_error(p, err, "an unsigned chunk has a signature");
  }
  p->chunk_left = size;
  if (size > 0) {
    p->state = FRAME_DATA;
    return PAIL_OK;
  }
  /* The final chunk: its signature covers no data. */
  p->state = FRAME_TRAILER;
  return p->chunk_signed ? chunk_verify(p, err) : PAIL_OK;
}

/* One "name:value" trailer line: the declared checksum, or (signed
 * trailers) the trailer's own signature. */
static pail_status trailer_line_parse(gateway_payload *p, pail_error **err) {
  char *colon = strchr(p->line, ':');
  if (colon == NULL || colon == p->line)
    return frame_error(p, err, "a trailer line is not \"name:value\"");
  *colon = '\0';
  const char *name = p->line, *value = colon + 1;
  bool signed_trailer = p->kind == GATEWAY_PAYLOAD_STREAMING_TRAILER;
  if (signed_trailer && strcasecmp(name, "x-amz-trailer-signature") == 0) {
    if (strlen(value) != 64 || p->trailer_signature[0] != '\0')
      return frame_error(p, err, "a bad x-amz-trailer-signature");
    memcpy(p->trailer_signature, value, 65);
    return PAIL_OK;
  }
  if (!p->checksum_in_trailer || p->checksum_text[0] != '\0' ||
      strncasecmp(name, "x-amz-checksum-", 15) != 0 ||
      strcasecmp(name + 15, checksum_names[p->checksum]) != 0)
    return frame_error(p, err, "a trailer x-amz-trailer did not announce");
  pail_status status = checksum_take(p, p->checksum, value, true, err);
  if (status != PAIL_OK)
    return payload_fail(p, status);
  int n =
      snprintf(p->trailer + p->trailer_length,
               sizeof p->trailer - p->trailer_length, "%s:%s\n", name, value);
  p->trailer_length += (size_t)n;
  return PAIL_OK;
}

/* The end of the trailer: its signature, when it is signed. */
static pail_status trailer_end(gateway_payload *p, pail_error **err) {
  p->state = FRAME_END;
  if (p->kind != GATEWAY_PAYLOAD_STREAMING_TRAILER)
    return PAIL_OK;
  if (p->trailer_signature[0] == '\0')
    return frame_error(p, err, "the trailer has no x-amz-trailer-signature");
  unsigned char hash[32];
  crypto_sha256(p->trailer, p->trailer_length, hash);
  return chain_check(p, true, hash, p->trailer_signature, err);
}

/* A complete line (CRLF removed) in p->line. */
static pail_status line_done(gateway_payload *p, pail_error **err) {
  if (p->state == FRAME_SIZE_LINE)
    return size_line_parse(p, err);
  if (p->line_length == 0)
    return trailer_end(p, err);
  if (p->kind == GATEWAY_PAYLOAD_STREAMING)
    return frame_error(p, err, "a trailer follows a body that announced none");
  return trailer_line_parse(p, err);
}

/* Takes bytes of a framing line from data; *used says how many. */
static pail_status line_feed(gateway_payload *p, const unsigned char *data,
                             size_t length, size_t *used, pail_error **err) {
  size_t i = 0;
  pail_status status = PAIL_OK;
  while (i < length && status == PAIL_OK && *used == 0) {
    char c = (char)data[i++];
    if (c == '\n') {
      if (p->line_length == 0 || p->line[p->line_length - 1] != '\r')
        return frame_error(p, err, "a line does not end with CRLF");
      p->line[--p->line_length] = '\0';
      *used = i;
      status = line_done(p, err);
      p->line_length = 0;
    } else if (c == '\0' || p->line_length == FRAME_LINE_MAX) {
      return frame_error(p, err, "a framing line is too long or holds NUL");
    } else {
      p->line[p->line_length++] = c;
      p->line[p->line_length] = '\0';
    }
  }
  if (*used == 0)
    *used = i;
  return status;
}

/* Takes bytes of chunk data or the CRLF after it; *used says how many. */
static pail_status chunk_feed(gateway_payload *p, const unsigned char *data,
                              size_t length, size_t *used,
                              gateway_payload_sink sink, void *context,
                              pail_error **err) {
  if (p->state == FRAME_DATA) {
    size_t take = p->chunk_left < length ? (size_t)p->chunk_left : length;
    *used = take;
    p->chunk_left -= take;
    if (p->chunk_left == 0) {
      p->state = FRAME_DATA_END;
      p->data_end_seen = 0;
    }
    return data_take(p, data, take, sink, context, err);
  }
  *used = 1;
  if (data[0] != "\r\n"[p->data_end_seen])
    return frame_error(p, err, "chunk data is not followed by CRLF");
  if (++p->data_end_seen < 2)
    return PAIL_OK;
  p->state = FRAME_SIZE_LINE;
  return p->chunk_signed ? chunk_verify(p, err) : PAIL_OK;
}

pail_status gateway_payload_feed(gateway_payload *p, const void *data,
                                 size_t length, gateway_payload_sink sink,
                                 void *context, pail_error **err) {
  if (p == NULL || (data == NULL && length > 0))
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "gateway: no decoder or no data");
  if (p->state == FRAME_FAILED)
    return gateway_error(err, "InvalidRequest",
                         "the request body was refused already");
  const unsigned char *bytes = data;
  bool chunked = p->kind >= GATEWAY_PAYLOAD_STREAMING;
  if (!chunked)
    return data_take(p, bytes, length, sink, context, err);
  pail_status status = PAIL_OK;
  while (length > 0 && status == PAIL_OK) {
    size_t used = 0;
    if (p->state == FRAME_END)
      return frame_error(p, err, "bytes follow the end of the body");
    if (p->state == FRAME_DATA || p->state == FRAME_DATA_END)
      status = chunk_feed(p, bytes, length, &used, sink, context, err);
    else
      status = line_feed(p, bytes, length, &used, err);
    bytes += used;
    length -= used;
  }
  return status;
}

/* ------------------------------------------------------------- finish */

/* The checksum of the decoded body in S3's byte order; sha256 is the
 * body's SHA-256 when one was computed. */
static size_t checksum_compute(gateway_payload *p,
                               const unsigned char sha256[32],
                               unsigned char out[32]) {
  switch (p->checksum) {
  case GATEWAY_CHECKSUM_CRC32:
  case GATEWAY_CHECKSUM_CRC32C: {
    uint32_t crc = p->checksum == GATEWAY_CHECKSUM_CRC32 ? p->crc32 : p->crc32c;
    for (int i = 0; i < 4; i++)
      out[i] = (unsigned char)(crc >> (24 - 8 * i));
    return 4;
  }
  case GATEWAY_CHECKSUM_CRC64NVME:
    for (int i = 0; i < 8; i++)
      out[i] = (unsigned char)(p->crc64 >> (56 - 8 * i));
    return 8;
  case GATEWAY_CHECKSUM_SHA1:
    return crypto_digest_final(p->sha1, out);
  case GATEWAY_CHECKSUM_SHA256:
    memcpy(out, sha256, 32);
    return 32;
  case GATEWAY_CHECKSUM_NONE:
  default:
    return 0;
  }
}

static pail_status checksums_check(gateway_payload *p, pail_error **err) {
  unsigned char sha256[32], digest[32];
  if (p->sha256 != NULL)
    crypto_digest_final(p->sha256, sha256);
  if (p->kind == GATEWAY_PAYLOAD_SIGNED) {
    char hex[65];
    crypto_hex_encode(sha256, 32, hex);
    if (strcmp(hex, p->payload_hash) != 0)
      return gateway_error(err, "XAmzContentSHA256Mismatch",
                           "The provided 'x-amz-content-sha256' header does "
                           "not match what was computed.");
  }
  if (p->checksum != GATEWAY_CHECKSUM_NONE) {
    if (p->checksum_text[0] == '\0')
      return gateway_error(err, "InvalidRequest",
                           "The x-amz-checksum-%s trailer x-amz-trailer "
                           "announced was not sent",
                           checksum_names[p->checksum]);
    unsigned char sent[33];
    size_t sent_length = 0;
    crypto_base64_decode(p->checksum_text, strlen(p->checksum_text), sent,
                         &sent_length);
    size_t length = checksum_compute(p, sha256, digest);
    if (length != sent_length || memcmp(digest, sent, length) != 0)
      return gateway_error(err, "BadDigest",
                           "The %s you specified did not match the "
                           "calculated checksum.",
                           checksum_labels[p->checksum]);
  }
  if (p->has_content_md5) {
    crypto_digest_final(p->md5, digest);
    if (memcmp(digest, p->content_md5, 16) != 0)
      return gateway_error(err, "BadDigest",
                           "The Content-MD5 you specified did not match what "
                           "we received.");
  }
  return PAIL_OK;
}

pail_status gateway_payload_finish(gateway_payload *p, pail_error **err) {
  if (p == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "gateway: no decoder");
  if (p->state == FRAME_FAILED)
    return gateway_error(err, "InvalidRequest",
                         "the request body was refused already");
  bool chunked = p->kind >= GATEWAY_PAYLOAD_STREAMING;
  if ((chunked && p->state != FRAME_END) ||
      (p->decoded_length >= 0 && p->decoded != (uint64_t)p->decoded_length))
    return payload_fail(p, gateway_error(err, "IncompleteBody",
                                         "You did not provide the number of "
                                         "bytes specified by the "
                                         "x-amz-decoded-content-length "
                                         "header."));
  pail_status status = checksums_check(p, err);
  return status == PAIL_OK ? PAIL_OK : payload_fail(p, status);
}
