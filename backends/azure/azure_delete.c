/*
 * azure_delete.c: deleting many blobs (`rm` of several keys, a folder with
 * -r). With the account key, Blob Batch: up to 256 Delete Blob sub-requests
 * (each signed on its own) in one multipart/mixed POST to the container,
 * whose multipart answer gives each key its own status. With a SAS token
 * (the sub-requests would each need it in their path), or from a service
 * that does not offer Blob Batch, parallel Delete Blob requests on the
 * core's HTTP group.
 */
#include "azure.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define AZURE_BATCH_MAX 256

/* Deletes in flight per call: the storage's concurrency × 4, at most 32. */
static size_t in_flight(const azure_instance *az) {
  size_t n = az->concurrency * 4;
  return n > 32 ? 32 : n;
}

typedef struct delete_slot {
  pail_request request;
  size_t index; /* of the key */
  bool busy;
} delete_slot;

static pail_status start_one(const azure_instance *az, pail_http_group *group,
                             delete_slot *slot, const char *key,
                             pail_error **err) {
  pail_status status = azure_core->request_init(&slot->request, "DELETE",
                                                azure_url(az, key, NULL), err);
  if (status == PAIL_OK)
    status = azure_core->request_header(&slot->request, err,
                                        "x-ms-delete-snapshots: include");
  if (status == PAIL_OK)
    status = azure_request_sign(az, &slot->request, err);
  if (status == PAIL_OK)
    status = azure_core->http_group_start(group, &slot->request.http,
                                          AZURE_MAX_BODY, slot, err);
  if (status == PAIL_OK)
    slot->busy = true;
  else
    azure_core->request_free(&slot->request);
  return status;
}

static pail_status delete_parallel(const azure_instance *az,
                                   const char *const *keys, size_t count,
                                   pail_status *results, pail_error **errors,
                                   pail_error **err) {
  size_t width = in_flight(az);
  if (width > count)
    width = count;
  if (width == 0)
    return PAIL_OK;
  delete_slot *slots = calloc(width, sizeof *slots);
  pail_http_group *group =
      slots ? azure_core->http_group_new(az->cfg, width) : NULL;
  if (group == NULL) {
    free(slots);
    return azure_no_memory(err);
  }
  pail_status status = PAIL_OK;
  size_t next = 0;
  while (status == PAIL_OK) {
    /* Fill every idle slot, then collect one completion. */
    for (size_t i = 0; status == PAIL_OK && i < width && next < count; i++) {
      if (slots[i].busy)
        continue;
      slots[i].index = next;
      pail_error *failure = NULL;
      pail_status started =
          start_one(az, group, &slots[i], keys[next], &failure);
      if (started != PAIL_OK) {
        /* A request that cannot even be made (out of memory) is this
         * key's failure; the others go on. */
        results[next] = started;
        errors[next] = failure;
      }
      next++;
    }
    if (azure_core->http_group_pending(group) == 0)
      break;
    void *tag = NULL;
    pail_http_response response = {0};
    pail_error *failure = NULL;
    pail_status done =
        azure_core->http_group_wait(group, &tag, &response, &failure);
    delete_slot *slot = tag;
    if (slot == NULL) {
      /* The group itself failed: nothing more can be told per key. */
      status = done != PAIL_OK ? done : PAIL_ERR_INTERNAL;
      if (err != NULL && *err == NULL)
        *err = failure;
      else
        azure_core->error_free(failure);
      break;
    }
    size_t k = slot->index;
    if (done != PAIL_OK) {
      results[k] = done;
      errors[k] = failure;
    } else if (response.status < 200 || response.status > 299) {
      results[k] = azure_response_error(az, &response, keys[k], &errors[k]);
      if (results[k] == PAIL_OK)
        results[k] = PAIL_ERR_IO;
      azure_core->error_free(failure);
    } else {
      results[k] = PAIL_OK;
      azure_core->error_free(failure);
    }
    azure_core->http_response_clear(&response);
    azure_core->request_free(&slot->request);
    slot->busy = false;
  }
  azure_core->http_group_free(group);
  for (size_t i = 0; i < width; i++)
    if (slots[i].busy)
      azure_core->request_free(&slots[i].request);
  free(slots);
  return status;
}

/* ------------------------------------------------------------ Blob Batch */

/* A growing body; NULL text after a failed allocation. */
typedef struct body {
  char *text;
  size_t length, capacity;
} body;

static bool body_add(body *b, const char *format, ...) PAIL_PRINTF(2, 3);
static bool body_add(body *b, const char *format, ...) {
  if (b->text == NULL && b->capacity != 0)
    return false;
  va_list args;
  va_start(args, format);
  char *piece = NULL;
  int n = vasprintf(&piece, format, args);
  va_end(args);
  if (n < 0)
    return false;
  if (b->length + (size_t)n + 1 > b->capacity) {
    size_t capacity = b->capacity ? b->capacity * 2 : 16384;
    while (capacity < b->length + (size_t)n + 1)
      capacity *= 2;
    char *grown = realloc(b->text, capacity);
    if (grown == NULL) {
      free(piece);
      free(b->text);
      b->text = NULL;
      b->capacity = 1;
      return false;
    }
    b->text = grown;
    b->capacity = capacity;
  }
  memcpy(b->text + b->length, piece, (size_t)n + 1);
  b->length += (size_t)n;
  free(piece);
  return true;
}

/* The multipart/mixed body of Delete Blob sub-requests for keys[0..n),
 * Content-ID i for keys[i], each signed with SharedKey as a request of its
 * own (path relative to the host, no x-ms-version: the batch's applies). */
static char *batch_body(const azure_instance *az, const char *const *keys,
                        size_t n, const char *boundary, const char *date,
                        size_t *length) {
  body b = {0};
  bool ok = true;
  size_t origin_length = strlen(az->origin);
  for (size_t i = 0; ok && i < n; i++) {
    char *url = azure_url(az, keys[i], NULL);
    ok = url != NULL;
    char *date_header = NULL;
    if (ok && asprintf(&date_header, "x-ms-date: %s", date) < 0)
      date_header = NULL;
    const char *headers[] = {date_header, "x-ms-delete-snapshots: include",
                             "Content-Length: 0"};
    char *text =
        ok && date_header
            ? azure_shared_key_string("DELETE", az->account, url, headers, 3, 0)
            : NULL;
    char signature[45];
    if (text != NULL)
      azure_hmac_base64(az->key, az->key_length, text, signature);
    ok = text != NULL &&
         body_add(&b,
                  "--%s\r\nContent-Type: application/http\r\n"
                  "Content-Transfer-Encoding: binary\r\nContent-ID: %zu\r\n"
                  "\r\nDELETE %s HTTP/1.1\r\n%s\r\n%s\r\n"
                  "Authorization: SharedKey %s:%s\r\n%s\r\n\r\n",
                  boundary, i, url + origin_length, headers[0], headers[1],
                  az->account, signature, headers[2]);
    free(text);
    free(date_header);
    free(url);
  }
  if (ok)
    ok = body_add(&b, "--%s--\r\n", boundary);
  if (!ok) {
    free(b.text);
    return NULL;
  }
  *length = b.length;
  return b.text;
}

/* Finds needle in haystack[0..length). */
static const char *find(const char *haystack, size_t length,
                        const char *needle) {
  return memmem(haystack, length, needle, strlen(needle));
}

/* Reads "Name: value" lines from *p up to a blank line into headers
 * (lowercased names, owned strings); *p moves past the blank line. */
static bool read_headers(const char **p, const char *end,
                         pail_http_header **headers, size_t *count) {
  while (*p < end) {
    const char *eol = memchr(*p, '\n', (size_t)(end - *p));
    const char *line_end = eol ? eol : end;
    const char *stop =
        line_end > *p && line_end[-1] == '\r' ? line_end - 1 : line_end;
    const char *line = *p;
    *p = eol ? eol + 1 : end;
    if (stop == line)
      return true; /* the blank line */
    const char *colon = memchr(line, ':', (size_t)(stop - line));
    if (colon == NULL || colon == line)
      continue;
    pail_http_header *grown = realloc(*headers, (*count + 1) * sizeof *grown);
    if (grown == NULL)
      return false;
    *headers = grown;
    const char *value = colon + 1;
    while (value < stop && (*value == ' ' || *value == '\t'))
      value++;
    char *name = strndup(line, (size_t)(colon - line));
    char *copy = strndup(value, (size_t)(stop - value));
    if (name == NULL || copy == NULL) {
      free(name);
      free(copy);
      return false;
    }
    for (char *c = name; *c; c++)
      if (*c >= 'A' && *c <= 'Z')
        *c = (char)(*c + 32);
    (*headers)[*count].name = name;
    (*headers)[*count].value = copy;
    (*count)++;
  }
  return true;
}

static void headers_free(pail_http_header *headers, size_t count) {
  for (size_t i = 0; i < count; i++) {
    free(headers[i].name);
    free(headers[i].value);
  }
  free(headers);
}

static const char *header_of(const pail_http_header *headers, size_t count,
                             const char *name) {
  for (size_t i = 0; i < count; i++)
    if (strcmp(headers[i].name, name) == 0)
      return headers[i].value;
  return NULL;
}

pail_status azure_batch_read_result(const azure_instance *az,
                                    const pail_http_response *response,
                                    const char *const *keys, size_t n,
                                    pail_status *results, pail_error **errors,
                                    pail_error **err) {
  const char *request_id = azure_core->http_header(response, "x-ms-request-id");
  const char *type = azure_core->http_header(response, "content-type");
  const char *at = type ? strcasestr(type, "boundary=") : NULL;
  char boundary[128] = "";
  if (at != NULL) {
    at += 9;
    bool quoted = *at == '"';
    at += quoted;
    size_t length = strcspn(at, quoted ? "\"" : "; \t");
    if (length > 0 && length < sizeof boundary - 3)
      snprintf(boundary, sizeof boundary, "--%.*s", (int)length, at);
  }
  if (*boundary == '\0' || response->body == NULL)
    return azure_core->error_set(err, PAIL_ERR_IO, response->status, NULL,
                                 request_id,
                                 "azure_blob: the answer to a batch delete "
                                 "in container \"%s\" is not multipart",
                                 az->container);
  bool *answered = calloc(n ? n : 1, sizeof *answered);
  if (answered == NULL)
    return azure_no_memory(err);
  const char *p = response->body, *end = p + response->body_length;
  pail_status status = PAIL_OK;
  const char *part = find(p, (size_t)(end - p), boundary);
  while (status == PAIL_OK && part != NULL) {
    p = part + strlen(boundary);
    if (end - p >= 2 && p[0] == '-' && p[1] == '-')
      break; /* the closing delimiter */
    const char *next = find(p, (size_t)(end - p), boundary);
    const char *part_end = next ? next : end;
    /* The part's own headers, then an HTTP response. */
    const char *q = memchr(p, '\n', (size_t)(part_end - p));
    q = q ? q + 1 : part_end;
    pail_http_header *part_headers = NULL, *headers = NULL;
    size_t part_count = 0, count = 0;
    bool ok = read_headers(&q, part_end, &part_headers, &part_count);
    const char *id = header_of(part_headers, part_count, "content-id");
    int code = 0;
    const char *status_end =
        q < part_end ? memchr(q, '\n', (size_t)(part_end - q)) : NULL;
    if (ok && status_end != NULL && (size_t)(status_end - q) > 9 &&
        strncmp(q, "HTTP/1.", 7) == 0) {
      for (const char *c = q + 9; c < status_end && c < q + 12; c++)
        code = *c >= '0' && *c <= '9' ? code * 10 + (*c - '0') : -1000;
      q = status_end + 1;
      ok = read_headers(&q, part_end, &headers, &count);
    }
    if (!ok) {
      status = azure_no_memory(err);
    } else if (code < 100 || code > 599) {
      status = azure_core->error_set(
          err, PAIL_ERR_IO, response->status, NULL, request_id,
          "azure_blob: a part of the answer to a batch delete in container "
          "\"%s\" is not an HTTP response",
          az->container);
    } else {
      /* The body runs to the part's end, less the CRLF before the next
       * delimiter. */
      size_t body_length = (size_t)(part_end - q);
      if (body_length >= 2 && q[body_length - 2] == '\r' &&
          q[body_length - 1] == '\n')
        body_length -= 2;
      char *part_body = strndup(q, body_length);
      pail_http_response sub = {.status = code,
                                .headers = headers,
                                .header_count = count,
                                .body = part_body,
                                .body_length =
                                    part_body ? strlen(part_body) : 0};
      char *id_end = NULL;
      unsigned long index = id ? strtoul(id, &id_end, 10) : 0;
      bool valid_id = id != NULL && *id >= '0' && *id <= '9' &&
                      id_end != NULL && *id_end == '\0' && index < n;
      if (part_body == NULL) {
        status = azure_no_memory(err);
      } else if (!valid_id) {
        /* A part for no key: the service refused the whole batch. */
        if (code < 200 || code > 299)
          status = azure_response_error(az, &sub, "batch delete", err);
      } else if (!answered[index]) {
        answered[index] = true;
        if (code < 200 || code > 299) {
          results[index] =
              azure_response_error(az, &sub, keys[index], &errors[index]);
          if (results[index] == PAIL_OK)
            results[index] = PAIL_ERR_IO;
        }
      }
      free(part_body);
    }
    headers_free(part_headers, part_count);
    headers_free(headers, count);
    part = next;
  }
  for (size_t i = 0; status == PAIL_OK && i < n; i++)
    if (!answered[i])
      results[i] = azure_core->error_set(
          &errors[i], PAIL_ERR_IO, response->status, NULL, request_id,
          "azure_blob: %s: the answer to the batch delete says nothing of "
          "it",
          keys[i]);
  free(answered);
  return status;
}

/* A boundary no key's sub-request contains: random hex. */
static void make_boundary(char out[64]) {
  static unsigned counter;
  int32_t nsec = 0;
  struct {
    int64_t seconds;
    int32_t nsec;
    pid_t pid;
    unsigned count;
  } seed = {azure_core->now(&nsec), 0, getpid(),
            __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED)};
  seed.nsec = nsec;
  unsigned char digest[32];
  azure_core->sha256(&seed, sizeof seed, digest);
  char hex[33];
  azure_core->hex_encode(digest, 16, hex);
  snprintf(out, 64, "batch_%s", hex);
}

/* True for an answer that means "this service has no Blob Batch". */
static bool batch_unsupported(const pail_http_response *response) {
  if (response->status == 501 || response->status == 405)
    return true;
  char *code = azure_error_code(response);
  bool unsupported =
      code != NULL && (strcmp(code, "UnsupportedQueryParameter") == 0 ||
                       strcmp(code, "InvalidQueryParameterValue") == 0 ||
                       strcmp(code, "FeatureVersionMismatch") == 0 ||
                       strcmp(code, "NotImplemented") == 0 ||
                       strcmp(code, "UnsupportedHttpVerb") == 0);
  free(code);
  return unsupported;
}

/* One Blob Batch of n <= 256 keys. PAIL_ERR_UNSUPPORTED (without *err)
 * when the service does not offer Blob Batch. */
static pail_status delete_batch(const azure_instance *az,
                                const char *const *keys, size_t n,
                                pail_status *results, pail_error **errors,
                                pail_error **err) {
  char boundary[64], date[64];
  make_boundary(boundary);
  azure_http_date(azure_core->now(NULL), date);
  size_t length = 0;
  char *text = batch_body(az, keys, n, boundary, date, &length);
  if (text == NULL)
    return azure_no_memory(err);
  pail_request r;
  pail_http_response response = {0};
  pail_status status = azure_core->request_init(
      &r, "POST", azure_url(az, NULL, "restype=container&comp=batch"), err);
  if (status == PAIL_OK) {
    pail_request_body(&r, text, length);
    status = azure_core->request_header(
        &r, err, "Content-Type: multipart/mixed; boundary=%s", boundary);
  }
  if (status == PAIL_OK)
    status = azure_request_sign(az, &r, err);
  if (status == PAIL_OK)
    status = azure_core->http_exchange(az->cfg, &r.http, AZURE_MAX_BODY,
                                       &response, err);
  if (status == PAIL_OK && (response.status < 200 || response.status > 299))
    status = batch_unsupported(&response)
                 ? PAIL_ERR_UNSUPPORTED
                 : azure_response_error(az, &response, "batch delete", err);
  if (status == PAIL_OK)
    status =
        azure_batch_read_result(az, &response, keys, n, results, errors, err);
  azure_core->http_response_clear(&response);
  azure_core->request_free(&r);
  free(text);
  return status;
}

pail_status azure_delete_objects(void *instance, const char *const *keys,
                                 size_t count, pail_status *results,
                                 pail_error **errors, pail_error **err) {
  azure_instance *az = instance;
  if (az->key_length == 0)
    return delete_parallel(az, keys, count, results, errors, err);
  for (size_t at = 0; at < count; at += AZURE_BATCH_MAX) {
    size_t n = count - at < AZURE_BATCH_MAX ? count - at : AZURE_BATCH_MAX;
    pail_error *failure = NULL;
    pail_status status =
        delete_batch(az, keys + at, n, results + at, errors + at, &failure);
    if (status == PAIL_ERR_UNSUPPORTED && failure == NULL) {
      azure_core->log(az->cfg, PAIL_LOG_INFO,
                      "azure_blob: the service has no Blob Batch; deleting "
                      "in parallel requests");
      return delete_parallel(az, keys + at, count - at, results + at,
                             errors + at, err);
    }
    if (status == PAIL_OK)
      continue;
    /* The whole batch failed: every key of it carries the failure, and
     * later batches are still tried; a single batch reports it whole. */
    if (at == 0 && count <= AZURE_BATCH_MAX) {
      for (size_t i = 0; i < n; i++) {
        azure_core->error_free(errors[i]);
        errors[i] = NULL;
      }
      if (err != NULL && *err == NULL)
        *err = failure;
      else
        azure_core->error_free(failure);
      return status;
    }
    for (size_t i = 0; i < n; i++) {
      azure_core->error_free(errors[at + i]);
      errors[at + i] = NULL;
      results[at + i] = status;
      if (failure != NULL)
        azure_core->error_set(&errors[at + i], status, 0,
                              azure_core->error_provider_code(failure), NULL,
                              "%s", azure_core->error_message(failure));
    }
    azure_core->error_free(failure);
  }
  return PAIL_OK;
}
