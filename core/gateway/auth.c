/*
 * auth.c: who signed an S3 request, and whether they did, as S3 decides
 * it: SigV4 in the Authorization header or in a presigned URL's query. The
 * canonical request is sigv4.c's (sigv4_signature_of), the one the signer
 * uses, so the gateway accepts exactly what pail and botocore sign.
 *
 * Refusals carry S3's error codes and statuses (gateway_error), so clients
 * see the answers they know from S3.
 */
#include "gateway.h"
#include "strbuf.h"

#include <ctype.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define AUTH_ALGORITHM "AWS4-HMAC-SHA256"
/* S3 refuses a signed header whose time is further than this from its
 * clock, and a presigned URL dated further in the future. */
#define AUTH_MAX_SKEW 900
#define AUTH_MAX_EXPIRES 604800
#define AUTH_V2_REFUSAL                                                        \
  "The authorization mechanism you have provided is not supported. Please "    \
  "use AWS4-HMAC-SHA256."

/* ------------------------------------------------------------- errors */

typedef struct s3_error_code {
  const char *code;
  int http_status;
} s3_error_code;

/* The one table of S3's error codes the gateway answers, with their HTTP
 * statuses: its own refusals and those an S3 storage behind it gave. */
static const s3_error_code s3_error_codes[] = {
    {"AccessDenied", 403},
    {"AuthorizationHeaderMalformed", 400},
    {"AuthorizationQueryParametersError", 400},
    {"BadDigest", 400},
    {"EntityTooLarge", 400},
    {"EntityTooSmall", 400},
    {"ExpiredToken", 400},
    {"IncompleteBody", 400},
    {"InvalidAccessKeyId", 403},
    {"InvalidArgument", 400},
    {"InvalidDigest", 400},
    {"InvalidPart", 400},
    {"InvalidPartOrder", 400},
    {"InvalidRange", 416},
    {"InvalidRequest", 400},
    {"MalformedXML", 400},
    {"MissingContentLength", 411},
    {"NoSuchBucket", 404},
    {"NoSuchKey", 404},
    {"NoSuchUpload", 404},
    {"NotImplemented", 501},
    {"PreconditionFailed", 412},
    {"RequestTimeTooSkewed", 403},
    {"SignatureDoesNotMatch", 403},
    {"SlowDown", 503},
    {"XAmzContentSHA256Mismatch", 400},
};

int gateway_error_status(const char *code) {
  for (size_t i = 0; code && i < sizeof s3_error_codes / sizeof *s3_error_codes;
       i++)
    if (strcmp(s3_error_codes[i].code, code) == 0)
      return s3_error_codes[i].http_status;
  return 0;
}

pail_status gateway_error(pail_error **err, const char *code,
                          const char *format, ...) {
  int http_status = gateway_error_status(code);
  if (http_status == 0)
    http_status = 400;
  pail_status category = http_status == 403   ? PAIL_ERR_ACCESS_DENIED
                         : http_status == 501 ? PAIL_ERR_UNSUPPORTED
                                              : PAIL_ERR_INVALID_ARGUMENT;
  va_list args;
  va_start(args, format);
  error_setv(err, category, http_status, code, NULL, format, args);
  va_end(args);
  return category;
}

/* The code of a malformed authentication: it names where it was read. */
static const char *malformed(gateway_auth_kind kind) {
  return kind == GATEWAY_AUTH_HEADER ? "AuthorizationHeaderMalformed"
                                     : "AuthorizationQueryParametersError";
}

/* -------------------------------------------------------------- query */

/* Calls visit on each "name=value" of a raw query with the name decoded
 * (pieces whose name does not decode are passed with name NULL); stops
 * when visit returns false. */
void gateway_query_each(const char *query,
                        bool (*visit)(void *context, const char *name,
                                      const char *piece, size_t length,
                                      const char *value, size_t value_length),
                        void *context) {
  for (const char *piece = query ? query : ""; *piece != '\0';) {
    size_t length = strcspn(piece, "&");
    const char *equals = memchr(piece, '=', length);
    size_t name_length = equals ? (size_t)(equals - piece) : length;
    const char *value = equals ? equals + 1 : piece + length;
    char *name = NULL;
    if (length > 0) {
      if (str_uri_decode(piece, name_length, &name, NULL) != PAIL_OK)
        name = NULL;
      bool more = visit(context, name, piece, length, value,
                        (size_t)(piece + length - value));
      free(name);
      if (!more)
        return;
    }
    piece += length + (piece[length] == '&');
  }
}

/* The presigned URL's parameters, in their order of the table below. */
enum {
  QUERY_ALGORITHM,
  QUERY_CREDENTIAL,
  QUERY_DATE,
  QUERY_EXPIRES,
  QUERY_SIGNED_HEADERS,
  QUERY_SIGNATURE,
  QUERY_PARAMETER_COUNT
};
static const char *const query_names[QUERY_PARAMETER_COUNT] = {
    "X-Amz-Algorithm", "X-Amz-Credential",    "X-Amz-Date",
    "X-Amz-Expires",   "X-Amz-SignedHeaders", "X-Amz-Signature"};

/* The older query signature's parameters. */
enum { V2_KEY_ID, V2_EXPIRES, V2_SIGNATURE, V2_PARAMETER_COUNT };
static const char *const v2_names[V2_PARAMETER_COUNT] = {
    "AWSAccessKeyId", "Expires", "Signature"};

typedef struct query_scan {
  const char *value[QUERY_PARAMETER_COUNT]; /* still encoded */
  size_t length[QUERY_PARAMETER_COUNT];
  const char *v2_value[V2_PARAMETER_COUNT];
  size_t v2_length[V2_PARAMETER_COUNT];
  bool repeated, undecodable, v2;
} query_scan;

static bool scan_parameter(void *context, const char *name, const char *piece,
                           size_t length, const char *value,
                           size_t value_length) {
  query_scan *scan = context;
  if (name == NULL) {
    scan->undecodable = true;
    return true;
  }
  for (size_t i = 0; i < V2_PARAMETER_COUNT; i++) {
    if (strcmp(name, v2_names[i]) != 0)
      continue;
    scan->v2 |= i != V2_EXPIRES;
    scan->repeated |= scan->v2_value[i] != NULL;
    scan->v2_value[i] = value;
    scan->v2_length[i] = value_length;
  }
  for (size_t i = 0; i < QUERY_PARAMETER_COUNT; i++) {
    if (strcmp(name, query_names[i]) != 0)
      continue;
    scan->repeated |= scan->value[i] != NULL;
    scan->value[i] = value;
    scan->length[i] = value_length;
  }
  return true;
}

/* A parameter's value decoded into a new string; NULL when it is absent,
 * does not decode or holds a NUL. */
static char *value_decode(const char *value, size_t encoded_length) {
  char *text = NULL;
  size_t length = 0;
  if (value == NULL ||
      str_uri_decode(value, encoded_length, &text, &length) != PAIL_OK)
    return NULL;
  if (strlen(text) != length) {
    free(text);
    return NULL;
  }
  return text;
}

static char *query_value(const query_scan *scan, size_t which) {
  return value_decode(scan->value[which], scan->length[which]);
}

/* ------------------------------------------------------- claim fields */

/* Parses "20130524T000000Z" strictly (a real instant, written as S3 and
 * every SDK write it). */
static bool amz_date_parse(const char *text, int64_t *at) {
  if (text == NULL || strlen(text) != 16 || text[8] != 'T' || text[15] != 'Z')
    return false;
  for (size_t i = 0; i < 15; i++)
    if (i != 8 && !isdigit((unsigned char)text[i]))
      return false;
  int64_t seconds = 0;
  if (clock_parse_time(text, &seconds, NULL) != PAIL_OK || seconds < 0)
    return false;
  time_t t = (time_t)seconds;
  struct tm tm;
  char again[17];
  if (gmtime_r(&t, &tm) == NULL ||
      strftime(again, sizeof again, "%Y%m%dT%H%M%SZ", &tm) != 16 ||
      strcmp(again, text) != 0)
    return false;
  *at = seconds;
  return true;
}

static bool is_lower_hex(const char *text, size_t length) {
  for (size_t i = 0; i < length; i++)
    if (!isdigit((unsigned char)text[i]) && !(text[i] >= 'a' && text[i] <= 'f'))
      return false;
  return true;
}

/* "AKID/20130524/us-east-1/s3/aws4_request" into out. The access key id is
 * what precedes the last four fields. */
static pail_status credential_parse(const char *text, gateway_auth *out,
                                    pail_error **err) {
  const char *code = malformed(out->kind);
  const char *slashes[4];
  size_t found = 0;
  for (const char *p = text + strlen(text); p > text && found < 4;)
    if (*--p == '/')
      slashes[found++] = p;
  if (found < 4 || slashes[3] == text)
    return gateway_error(err, code,
                         "the Credential is mal-formed; expecting "
                         "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/"
                         "aws4_request\"");
  const char *date = slashes[3] + 1, *region = slashes[2] + 1;
  const char *service = slashes[1] + 1, *terminal = slashes[0] + 1;
  if (strcmp(terminal, "aws4_request") != 0)
    return gateway_error(err, code,
                         "the Credential must end with \"aws4_request\"");
  if (slashes[2] - date != 8 || memcmp(date, out->amz_date, 8) != 0)
    return gateway_error(err, code,
                         "Invalid credential date. Date is not the same as "
                         "X-Amz-Date.");
  if (slashes[0] - service != 2 || memcmp(service, "s3", 2) != 0)
    return gateway_error(err, code,
                         "the Credential's service is not \"s3\": this "
                         "endpoint is S3");
  if (slashes[1] == region)
    return gateway_error(err, code, "the Credential has no region");
  out->access_key_id = strndup(text, (size_t)(slashes[3] - text));
  out->region = strndup(region, (size_t)(slashes[1] - region));
  out->service = strdup("s3");
  if (!out->access_key_id || !out->region || !out->service)
    return error_no_memory(err);
  return PAIL_OK;
}

/* A character of a lowercase HTTP header name (RFC 9110's token). */
static bool is_header_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* "host;x-amz-date" into out->signed_headers; host must be there. */
static pail_status signed_headers_parse(const char *text, gateway_auth *out,
                                        pail_error **err) {
  const char *code = malformed(out->kind);
  size_t count = 1;
  for (const char *p = text; *p; p++)
    count += *p == ';';
  if ((out->signed_headers = calloc(count, sizeof *out->signed_headers)) ==
      NULL)
    return error_no_memory(err);
  bool host = false;
  for (const char *name = text;;) {
    size_t length = strcspn(name, ";");
    if (length == 0)
      return gateway_error(err, code, "SignedHeaders has an empty name");
    for (size_t i = 0; i < length; i++)
      if (!is_header_name_char(name[i]))
        return gateway_error(err, code,
                             "SignedHeaders names must be lowercase tokens");
    char *copy = strndup(name, length);
    if (copy == NULL)
      return error_no_memory(err);
    out->signed_headers[out->signed_header_count++] = copy;
    host |= strcmp(copy, "host") == 0;
    if (name[length] == '\0')
      break;
    name += length + 1;
  }
  if (!host)
    return gateway_error(err, code, "SignedHeaders must include host");
  return PAIL_OK;
}

static pail_status signature_parse(const char *text, gateway_auth *out,
                                   pail_error **err) {
  if (strlen(text) != 64 || !is_lower_hex(text, 64))
    return gateway_error(err, malformed(out->kind),
                         "the Signature must be 64 lowercase hex digits");
  memcpy(out->signature, text, 65);
  return PAIL_OK;
}

/* ------------------------------------------------------------- header */

/* The request time of a signed header: X-Amz-Date, else Date. */
static pail_status header_date(const gateway_request *r, gateway_auth *out,
                               pail_error **err) {
  const char *amz = r->header(r->context, "x-amz-date");
  if (amz != NULL) {
    if (!amz_date_parse(amz, &out->at))
      return gateway_error(err, "AccessDenied",
                           "AWS authentication requires a valid Date or "
                           "x-amz-date header");
    memcpy(out->amz_date, amz, 17);
    return PAIL_OK;
  }
  const char *date = r->header(r->context, "date");
  int64_t seconds = 0;
  int32_t nsec = 0;
  struct tm tm;
  time_t t;
  if (date == NULL || clock_parse_provider_time(date, &seconds, &nsec) != 0 ||
      seconds < 0 || (t = (time_t)seconds, gmtime_r(&t, &tm) == NULL) ||
      strftime(out->amz_date, sizeof out->amz_date, "%Y%m%dT%H%M%SZ", &tm) !=
          16)
    return gateway_error(err, "AccessDenied",
                         "AWS authentication requires a valid Date or "
                         "x-amz-date header");
  out->at = seconds;
  return PAIL_OK;
}

/* The value of one component ("Credential=...") of an Authorization header
 * into *out (a new string); false when it is not that component. */
static bool component_take(const char *text, size_t length, const char *name,
                           char **out, bool *repeated) {
  size_t name_length = strlen(name);
  if (length <= name_length || strncmp(text, name, name_length) != 0 ||
      text[name_length] != '=')
    return false;
  *repeated |= *out != NULL;
  free(*out);
  *out = strndup(text + name_length + 1, length - name_length - 1);
  return true;
}

/* "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...". */
static pail_status header_parse(const gateway_request *r, const char *value,
                                gateway_auth *out, pail_error **err) {
  out->kind = GATEWAY_AUTH_HEADER;
  pail_status status = header_date(r, out, err);
  if (status != PAIL_OK)
    return status;
  char *parts[3] = {NULL, NULL, NULL};
  static const char *const names[3] = {"Credential", "SignedHeaders",
                                       "Signature"};
  bool repeated = false, unknown = false;
  for (const char *p = value + strlen(AUTH_ALGORITHM); *p != '\0';) {
    p += strspn(p, " ,");
    size_t length = strcspn(p, " ,");
    bool taken = false;
    for (size_t i = 0; i < 3 && !taken && length > 0; i++)
      taken = component_take(p, length, names[i], &parts[i], &repeated);
    unknown |= length > 0 && !taken;
    p += length;
  }
  if (repeated || unknown || !parts[0] || !parts[1] || !parts[2])
    status = gateway_error(err, "AuthorizationHeaderMalformed",
                           "The authorization header is malformed; it must "
                           "hold Credential, SignedHeaders and Signature, "
                           "once each");
  if (status == PAIL_OK)
    status = credential_parse(parts[0], out, err);
  if (status == PAIL_OK)
    status = signed_headers_parse(parts[1], out, err);
  if (status == PAIL_OK)
    status = signature_parse(parts[2], out, err);
  for (size_t i = 0; i < 3; i++)
    free(parts[i]);
  return status;
}

/* ---------------------------------------------------------- presigned */

static pail_status presigned_parse(const query_scan *scan, gateway_auth *out,
                                   pail_error **err) {
  out->kind = GATEWAY_AUTH_PRESIGNED;
  const char *code = "AuthorizationQueryParametersError";
  if (scan->repeated || scan->undecodable)
    return gateway_error(err, code,
                         "Query-string authentication parameters must each "
                         "be given once and decode");
  char *values[QUERY_PARAMETER_COUNT];
  for (size_t i = 0; i < QUERY_PARAMETER_COUNT; i++)
    values[i] = query_value(scan, i);
  pail_status status = PAIL_OK;
  for (size_t i = 0; i < QUERY_PARAMETER_COUNT && status == PAIL_OK; i++)
    if (values[i] == NULL)
      status = gateway_error(err, code,
                             "Query-string authentication version 4 requires "
                             "the X-Amz-Algorithm, X-Amz-Credential, "
                             "X-Amz-Signature, X-Amz-Date, "
                             "X-Amz-SignedHeaders, and X-Amz-Expires "
                             "parameters (%s is missing or invalid)",
                             query_names[i]);
  if (status == PAIL_OK && strcmp(values[QUERY_ALGORITHM], AUTH_ALGORITHM))
    status = gateway_error(
        err, code, "X-Amz-Algorithm only supports \"" AUTH_ALGORITHM "\"");
  if (status == PAIL_OK && !amz_date_parse(values[QUERY_DATE], &out->at))
    status = gateway_error(err, code,
                           "X-Amz-Date must be in the ISO8601 Long Format "
                           "\"yyyyMMdd'T'HHmmss'Z'\"");
  if (status == PAIL_OK) {
    memcpy(out->amz_date, values[QUERY_DATE], 17);
    const char *e = values[QUERY_EXPIRES];
    char *end = NULL;
    long long expires = strtoll(e, &end, 10);
    if (!isdigit((unsigned char)*e) || *end != '\0' || expires < 1 ||
        expires > AUTH_MAX_EXPIRES)
      status = gateway_error(err, code,
                             "X-Amz-Expires must be a number of seconds from "
                             "1 to %d (a week)",
                             AUTH_MAX_EXPIRES);
    out->expires = expires;
  }
  if (status == PAIL_OK)
    status = credential_parse(values[QUERY_CREDENTIAL], out, err);
  if (status == PAIL_OK)
    status = signed_headers_parse(values[QUERY_SIGNED_HEADERS], out, err);
  if (status == PAIL_OK)
    status = signature_parse(values[QUERY_SIGNATURE], out, err);
  for (size_t i = 0; i < QUERY_PARAMETER_COUNT; i++)
    free(values[i]);
  return status;
}

/* AWSAccessKeyId=...&Expires=...&Signature=...: the older query signature.
 * Expires is an instant (seconds since the epoch), kept in out->at. */
static pail_status presigned_v2_parse(const query_scan *scan, gateway_auth *out,
                                      pail_error **err) {
  out->kind = GATEWAY_AUTH_PRESIGNED_V2;
  const char *code = "AccessDenied";
  if (scan->repeated || scan->undecodable)
    return gateway_error(err, "InvalidArgument",
                         "Query-string authentication parameters must each "
                         "be given once and decode");
  char *values[V2_PARAMETER_COUNT];
  for (size_t i = 0; i < V2_PARAMETER_COUNT; i++)
    values[i] = value_decode(scan->v2_value[i], scan->v2_length[i]);
  pail_status status = PAIL_OK;
  if (values[V2_KEY_ID] == NULL || values[V2_KEY_ID][0] == '\0' ||
      values[V2_SIGNATURE] == NULL || values[V2_EXPIRES] == NULL)
    status = gateway_error(err, code,
                           "Query-string authentication requires the "
                           "Signature, Expires and AWSAccessKeyId parameters");
  char *end = NULL;
  long long expires =
      status == PAIL_OK ? strtoll(values[V2_EXPIRES], &end, 10) : 0;
  if (status == PAIL_OK &&
      (!isdigit((unsigned char)values[V2_EXPIRES][0]) || *end != '\0'))
    status = gateway_error(err, code,
                           "Invalid date (should be seconds since "
                           "epoch)");
  /* The HMAC-SHA1 in base64: 28 characters. */
  if (status == PAIL_OK && strlen(values[V2_SIGNATURE]) != 28)
    status = gateway_error(err, "SignatureDoesNotMatch",
                           "The request signature we calculated does not "
                           "match the signature you provided. Check your key "
                           "and signing method.");
  if (status == PAIL_OK) {
    out->at = expires;
    memcpy(out->signature, values[V2_SIGNATURE], 29);
    out->access_key_id = values[V2_KEY_ID];
    values[V2_KEY_ID] = NULL;
  }
  for (size_t i = 0; i < V2_PARAMETER_COUNT; i++)
    free(values[i]);
  return status;
}

/* ------------------------------------------------------------ payload */

static const struct {
  const char *line;
  gateway_payload_kind kind;
} payload_lines[] = {
    {"UNSIGNED-PAYLOAD", GATEWAY_PAYLOAD_UNSIGNED},
    {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", GATEWAY_PAYLOAD_STREAMING},
    {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
     GATEWAY_PAYLOAD_STREAMING_TRAILER},
    {"STREAMING-UNSIGNED-PAYLOAD-TRAILER", GATEWAY_PAYLOAD_UNSIGNED_TRAILER},
};

static const char *const checksum_headers[] = {
    [GATEWAY_CHECKSUM_CRC32] = "x-amz-checksum-crc32",
    [GATEWAY_CHECKSUM_CRC32C] = "x-amz-checksum-crc32c",
    [GATEWAY_CHECKSUM_CRC64NVME] = "x-amz-checksum-crc64nvme",
    [GATEWAY_CHECKSUM_SHA1] = "x-amz-checksum-sha1",
    [GATEWAY_CHECKSUM_SHA256] = "x-amz-checksum-sha256",
};
#define CHECKSUM_COUNT (sizeof checksum_headers / sizeof checksum_headers[0])

/* What x-amz-content-sha256 says of the body (presigned: unsigned). */
static pail_status payload_kind_parse(const gateway_request *r,
                                      gateway_auth *out, pail_error **err) {
  const char *line = out->kind != GATEWAY_AUTH_HEADER
                         ? "UNSIGNED-PAYLOAD"
                         : r->header(r->context, "x-amz-content-sha256");
  if (line == NULL)
    return gateway_error(err, "InvalidRequest",
                         "Missing required header for this request: "
                         "x-amz-content-sha256");
  if ((out->payload_line = strdup(line)) == NULL)
    return error_no_memory(err);
  if (strlen(line) == 64 && is_lower_hex(line, 64)) {
    out->payload = GATEWAY_PAYLOAD_SIGNED;
    return PAIL_OK;
  }
  for (size_t i = 0; i < sizeof payload_lines / sizeof payload_lines[0]; i++)
    if (strcmp(line, payload_lines[i].line) == 0) {
      out->payload = payload_lines[i].kind;
      return PAIL_OK;
    }
  if (strncmp(line, "STREAMING-", 10) == 0)
    /* Not quoted: a client's header may hold anything, secrets included. */
    return gateway_error(err, "NotImplemented",
                         "this STREAMING- form of x-amz-content-sha256 is not "
                         "implemented");
  return gateway_error(err, "InvalidArgument",
                       "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                       "STREAMING-AWS4-HMAC-SHA256-PAYLOAD or a valid sha256 "
                       "value.");
}

/* x-amz-trailer: the one checksum an aws-chunked trailer may carry. */
static pail_status trailer_parse(const gateway_request *r, gateway_auth *out,
                                 pail_error **err) {
  const char *trailer = r->header(r->context, "x-amz-trailer");
  if (trailer == NULL)
    return PAIL_OK;
  bool chunked = out->payload == GATEWAY_PAYLOAD_STREAMING_TRAILER ||
                 out->payload == GATEWAY_PAYLOAD_UNSIGNED_TRAILER;
  trailer += strspn(trailer, " \t");
  size_t length = strcspn(trailer, " \t");
  for (size_t i = 1; chunked && i < CHECKSUM_COUNT; i++)
    if (strlen(checksum_headers[i]) == length &&
        strncasecmp(trailer, checksum_headers[i], length) == 0 &&
        trailer[length + strspn(trailer + length, " \t")] == '\0') {
      out->trailer_checksum = (gateway_checksum)i;
      return PAIL_OK;
    }
  return gateway_error(err, "InvalidRequest",
                       "The value specified in the x-amz-trailer header is "
                       "not supported");
}

/* The body's declarations: decoded length, trailer, checksum header and
 * Content-MD5. */
static pail_status payload_parse(const gateway_request *r, gateway_auth *out,
                                 pail_error **err) {
  pail_status status = payload_kind_parse(r, out, err);
  if (status != PAIL_OK)
    return status;
  const char *decoded = r->header(r->context, "x-amz-decoded-content-length");
  bool chunked = out->payload >= GATEWAY_PAYLOAD_STREAMING;
  if (decoded != NULL) {
    char *end = NULL;
    long long length = strtoll(decoded, &end, 10);
    if (!isdigit((unsigned char)*decoded) || *end != '\0' || length < 0)
      return gateway_error(err, "InvalidArgument",
                           "x-amz-decoded-content-length is not a length");
    out->decoded_length = length;
  } else if (chunked) {
    return gateway_error(err, "InvalidRequest",
                         "an aws-chunked body requires the "
                         "x-amz-decoded-content-length header");
  }
  if ((status = trailer_parse(r, out, err)) != PAIL_OK)
    return status;
  for (size_t i = 1; i < CHECKSUM_COUNT; i++) {
    const char *value = r->header(r->context, checksum_headers[i]);
    if (value == NULL)
      continue;
    if (out->header_checksum != GATEWAY_CHECKSUM_NONE ||
        out->trailer_checksum != GATEWAY_CHECKSUM_NONE)
      return gateway_error(err, "InvalidRequest",
                           "Expecting a single x-amz-checksum- header. "
                           "Multiple checksum Types are not allowed.");
    out->header_checksum = (gateway_checksum)i;
    if ((out->header_checksum_value = strdup(value)) == NULL)
      return error_no_memory(err);
  }
  const char *md5 = r->header(r->context, "content-md5");
  if (md5 != NULL && (out->content_md5 = strdup(md5)) == NULL)
    return error_no_memory(err);
  return PAIL_OK;
}

/* --------------------------------------------------------------- parse */

pail_status gateway_auth_parse(const gateway_request *r, gateway_auth *out,
                               pail_error **err) {
  if (out == NULL || r == NULL || r->header == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "gateway: no request or nowhere to put its claims");
  memset(out, 0, sizeof *out);
  out->decoded_length = -1;
  query_scan scan;
  memset(&scan, 0, sizeof scan);
  gateway_query_each(r->query, scan_parameter, &scan);
  bool presigned = scan.value[QUERY_ALGORITHM] || scan.value[QUERY_SIGNATURE] ||
                   scan.value[QUERY_CREDENTIAL];
  const char *authorization = r->header(r->context, "authorization");
  pail_status status;
  if (authorization != NULL && presigned)
    status = gateway_error(err, "InvalidArgument",
                           "Only one auth mechanism allowed; only the "
                           "X-Amz-Algorithm query parameter, Signature query "
                           "string parameter or the Authorization header "
                           "should be specified");
  else if (authorization != NULL && strncmp(authorization, AUTH_ALGORITHM " ",
                                            sizeof AUTH_ALGORITHM) == 0)
    status = header_parse(r, authorization, out, err);
  else if (authorization != NULL && strncmp(authorization, "AWS ", 4) == 0)
    status = gateway_error(err, "InvalidRequest", AUTH_V2_REFUSAL);
  else if (authorization != NULL)
    status =
        gateway_error(err, "InvalidArgument", "Unsupported Authorization Type");
  else if (presigned)
    status = presigned_parse(&scan, out, err);
  else if (scan.v2)
    status = presigned_v2_parse(&scan, out, err);
  else
    status = gateway_error(err, "AccessDenied", "Access Denied");
  if (status == PAIL_OK)
    status = payload_parse(r, out, err);
  if (status != PAIL_OK)
    gateway_auth_clear(out);
  return status;
}

void gateway_auth_clear(gateway_auth *a) {
  if (a == NULL)
    return;
  free(a->access_key_id);
  free(a->region);
  free(a->service);
  strings_free(a->signed_headers, a->signed_header_count);
  free(a->payload_line);
  free(a->header_checksum_value);
  free(a->content_md5);
  memset(a, 0, sizeof *a);
  a->decoded_length = -1;
}

/* -------------------------------------------------------------- verify */

static pail_status clock_check(const gateway_auth *a, int64_t now,
                               pail_error **err) {
  if (a->kind == GATEWAY_AUTH_HEADER) {
    if (a->at > now + AUTH_MAX_SKEW || a->at < now - AUTH_MAX_SKEW)
      return gateway_error(err, "RequestTimeTooSkewed",
                           "The difference between the request time and the "
                           "current time is too large.");
    return PAIL_OK;
  }
  if (a->kind == GATEWAY_AUTH_PRESIGNED_V2)
    return now > a->at
               ? gateway_error(err, "AccessDenied", "Request has expired")
               : PAIL_OK;
  if (a->at > now + AUTH_MAX_SKEW)
    return gateway_error(err, "AccessDenied", "Request is not valid yet");
  if (now > a->at + a->expires)
    return gateway_error(err, "AccessDenied", "Request has expired");
  return PAIL_OK;
}

/* The "name:value" lines of the signed headers other than host; a signed
 * header the request lacks signs as empty. */
static char **signed_header_lines(const gateway_auth *a,
                                  const gateway_request *r, size_t *count) {
  char **lines = calloc(a->signed_header_count + 1, sizeof *lines);
  *count = 0;
  if (lines == NULL)
    return NULL;
  for (size_t i = 0; i < a->signed_header_count; i++) {
    const char *name = a->signed_headers[i];
    if (strcmp(name, "host") == 0)
      continue;
    const char *value = r->header(r->context, name);
    char *line = str_printf("%s:%s", name, value ? value : "");
    if (line == NULL) {
      strings_free(lines, *count);
      return NULL;
    }
    lines[(*count)++] = line;
  }
  return lines;
}

typedef struct query_copy {
  char *text;
  size_t length;
} query_copy;

static bool keep_unless_signature(void *context, const char *name,
                                  const char *piece, size_t length,
                                  const char *value, size_t value_length) {
  query_copy *copy = context;
  if (name != NULL && strcmp(name, "X-Amz-Signature") == 0)
    return true;
  if (copy->length > 0)
    copy->text[copy->length++] = '&';
  memcpy(copy->text + copy->length, piece, length);
  copy->length += length;
  copy->text[copy->length] = '\0';
  return true;
}

/* Whether the request's signature is the one secret computes, with S3's
 * encoding of the path or the path as sent. */
static pail_status signature_check(const gateway_auth *a,
                                   sigv4_received *received, const char *secret,
                                   pail_error **err) {
  pail_sigv4_key key = {.access_key_id = a->access_key_id,
                        .secret_access_key = secret,
                        .region = a->region,
                        .service = a->service};
  char expected[65];
  bool match = false;
  pail_status status = PAIL_OK;
  for (int as_sent = 0; as_sent < 2 && !match && status == PAIL_OK; as_sent++) {
    received->path_as_sent = as_sent;
    status = sigv4_signature_of(&key, received, expected, NULL, err);
    match = status == PAIL_OK && CRYPTO_memcmp(expected, a->signature, 64) == 0;
  }
  OPENSSL_cleanse(expected, sizeof expected);
  if (status == PAIL_OK && !match)
    status = gateway_error(err, "SignatureDoesNotMatch",
                           "The request signature we calculated does not "
                           "match the signature you provided. Check your key "
                           "and signing method.");
  return status;
}

/* The sub-resources the older signature covers (botocore's
 * QSAOfInterest): the rest of a query is not signed. */
static const char *const v2_subresources[] = {"accelerate",
                                              "acl",
                                              "analytics",
                                              "cors",
                                              "defaultObjectAcl",
                                              "delete",
                                              "inventory",
                                              "legal-hold",
                                              "lifecycle",
                                              "location",
                                              "logging",
                                              "metrics",
                                              "notification",
                                              "object-lock",
                                              "partNumber",
                                              "policy",
                                              "replication",
                                              "requestPayment",
                                              "response-cache-control",
                                              "response-content-disposition",
                                              "response-content-encoding",
                                              "response-content-language",
                                              "response-content-type",
                                              "response-expires",
                                              "restore",
                                              "retention",
                                              "select",
                                              "select-type",
                                              "storageClass",
                                              "tagging",
                                              "torrent",
                                              "uploadId",
                                              "uploads",
                                              "versionId",
                                              "versioning",
                                              "versions",
                                              "website"};

typedef struct v2_resource {
  char *pieces[sizeof v2_subresources / sizeof *v2_subresources];
  size_t count;
  bool failed;
} v2_resource;

static bool keep_subresource(void *context, const char *name, const char *piece,
                             size_t length, const char *value,
                             size_t value_length) {
  v2_resource *res = context;
  (void)piece;
  for (size_t i = 0;
       name != NULL && res->count < sizeof res->pieces / sizeof *res->pieces &&
       i < sizeof v2_subresources / sizeof *v2_subresources;
       i++) {
    if (strcmp(name, v2_subresources[i]) != 0)
      continue;
    bool has_value = memchr(piece, '=', length) != NULL;
    char *decoded = has_value ? value_decode(value, value_length) : NULL;
    char *text = has_value
                     ? (decoded ? str_printf("%s=%s", name, decoded) : NULL)
                     : str_printf("%s", name);
    free(decoded);
    if (text == NULL)
      res->failed = true;
    else
      res->pieces[res->count++] = text;
  }
  return true;
}

static int compare_strings(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The string the older query signature signs: the method, Content-MD5,
 * Content-Type, Expires, the x-amz-* headers sent, and the path with its
 * signed sub-resources. */
static char *v2_string_to_sign(const gateway_auth *a,
                               const gateway_request *r) {
  strbuf b;
  strbuf_init(&b, NULL, 0);
  const char *md5 = r->header(r->context, "content-md5");
  const char *type = r->header(r->context, "content-type");
  char expires[24];
  snprintf(expires, sizeof expires, "%lld", (long long)a->at);
  strbuf_add_string(&b, r->method);
  strbuf_add_char(&b, '\n');
  strbuf_add_string(&b, md5 ? md5 : "");
  strbuf_add_char(&b, '\n');
  strbuf_add_string(&b, type ? type : "");
  strbuf_add_char(&b, '\n');
  strbuf_add_string(&b, expires);
  strbuf_add_char(&b, '\n');
  /* x-amz-* headers, lowercase, in order of their names. */
  char *amz[64];
  size_t amz_count = 0;
  const char *name, *value;
  for (size_t i = 0; r->header_at != NULL &&
                     (name = r->header_at(r->context, i, &value)) != NULL;
       i++) {
    if (strncasecmp(name, "x-amz-", 6) != 0)
      continue;
    char *line = amz_count < 64 ? str_printf("%s:%s", name, value) : NULL;
    if (line == NULL) {
      b.failed = true;
      break;
    }
    for (char *c = line; *c != ':'; c++)
      *c = (char)tolower((unsigned char)*c);
    amz[amz_count++] = line;
  }
  qsort(amz, amz_count, sizeof *amz, compare_strings);
  for (size_t i = 0; i < amz_count; i++) {
    strbuf_add_string(&b, amz[i]);
    strbuf_add_char(&b, '\n');
    free(amz[i]);
  }
  strbuf_add(&b, r->path, strcspn(r->path, "?"));
  v2_resource res = {.count = 0};
  gateway_query_each(r->query, keep_subresource, &res);
  qsort(res.pieces, res.count, sizeof *res.pieces, compare_strings);
  for (size_t i = 0; i < res.count; i++) {
    strbuf_add_char(&b, i == 0 ? '?' : '&');
    strbuf_add_string(&b, res.pieces[i]);
    free(res.pieces[i]);
  }
  if (res.failed)
    b.failed = true;
  return strbuf_finish(&b);
}

static pail_status v2_signature_check(const gateway_auth *a,
                                      const gateway_request *r,
                                      const char *secret, pail_error **err) {
  char *text = v2_string_to_sign(a, r);
  if (text == NULL)
    return error_no_memory(err);
  unsigned char mac[20];
  crypto_hmac_sha1(secret, strlen(secret), text, strlen(text), mac);
  free(text);
  char expected[29];
  crypto_base64_encode(mac, sizeof mac, expected);
  bool match = CRYPTO_memcmp(expected, a->signature, 28) == 0;
  OPENSSL_cleanse(expected, sizeof expected);
  OPENSSL_cleanse(mac, sizeof mac);
  return match ? PAIL_OK
               : gateway_error(err, "SignatureDoesNotMatch",
                               "The request signature we calculated does not "
                               "match the signature you provided. Check your "
                               "key and signing method.");
}

pail_status gateway_auth_verify(const gateway_auth *a, const gateway_request *r,
                                const char *secret, pail_error **err) {
  if (a == NULL || r == NULL || r->header == NULL || a->access_key_id == NULL ||
      secret == NULL || *secret == '\0' || r->host == NULL || r->path == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "gateway: a parsed request, its host and path and "
                          "a secret are required");
  pail_status status = clock_check(a, r->now, err);
  if (status != PAIL_OK)
    return status;
  if (a->kind == GATEWAY_AUTH_PRESIGNED_V2)
    return v2_signature_check(a, r, secret, err);
  size_t line_count = 0;
  char **lines = signed_header_lines(a, r, &line_count);
  const char *query = r->query ? r->query : "";
  query_copy copy = {NULL, 0};
  if (a->kind == GATEWAY_AUTH_PRESIGNED &&
      (copy.text = malloc(strlen(query) + 1)) != NULL) {
    copy.text[0] = '\0';
    gateway_query_each(query, keep_unless_signature, &copy);
  }
  if (lines == NULL || (a->kind == GATEWAY_AUTH_PRESIGNED && !copy.text)) {
    status = error_no_memory(err);
  } else {
    sigv4_received received = {.method = r->method,
                               .host = r->host,
                               .path = r->path,
                               .query = copy.text ? copy.text : query,
                               .headers = (const char *const *)lines,
                               .header_count = line_count,
                               .payload_line = a->payload_line,
                               .at = a->at};
    status = signature_check(a, &received, secret, err);
  }
  strings_free(lines, line_count);
  free(copy.text);
  return status;
}
