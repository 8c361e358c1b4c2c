/*
 * http_private.h: what the files of the core's HTTP services share, and
 * nothing outside them includes. The services themselves (ABI 1.1: one
 * exchange with the body in memory, a streamed response body pulled by the
 * caller, groups of concurrent exchanges on one thread) are declared in
 * internal.h. The pieces, each in its own file:
 *   http_pool.c      libcurl set up once; pooled easy and multi handles
 *   http_url.c       URL parsing and what messages show of a URL
 *   http_transfer.c  one request and its response as it arrives (callbacks)
 *   http_exchange.c  running a transfer to its end, its outcome, retries;
 *                    http_exchange
 *   http_stream.c    http_stream_*: a response body pulled by the caller
 *   http_group.c     http_group_*: concurrent exchanges on one thread
 */
#ifndef PAIL_HTTP_PRIVATE_H
#define PAIL_HTTP_PRIVATE_H

#include "internal.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A GET reads the socket in blocks of this size; other requests, whose
 * answers are small, take curl's default (16 KiB). A stream opened for a
 * large body (http_stream_open_bulk) reads in blocks of HTTP_RECEIVE_BULK:
 * 1 GiB from nginx into a file took 0.47-0.57 CPU s with it and 0.54-1.02
 * with 128 KiB. Not for every GET: libcurl (7.88) allocates the block for
 * each transfer and frees it after, and any block over glibc's 128 KiB
 * mmap threshold made malloc grow and trim the heap around every GET (three
 * brk calls each): 2,000 GETs of 4 KiB took 20 % more CPU. */
#define HTTP_RECEIVE_BUFFER (128 * 1024)
#define HTTP_RECEIVE_BULK (512 * 1024)
/* Large bodies go out in blocks of this size (curl's default is 64 KiB;
 * larger blocks halve the system calls for multipart parts): 512 KiB from
 * a file, 256 KiB from memory. curl copies a body in memory through this
 * buffer too, one per transfer, so for the parts of a stream in flight it
 * is memory on top of the parts. Against curl's 64 KiB, an upload from a
 * pipe to Azurite (3 blocks in flight) peaked 2.3-2.5 MiB higher with
 * 512 KiB and 0.8-1.1 MiB higher with 256 KiB; 64 KiB took 7 times the
 * send calls and 4 times the polls of 512 KiB (+0.05 CPU s per 256 MiB). */
#define HTTP_UPLOAD_BUFFER (512 * 1024)
#define HTTP_UPLOAD_BUFFER_MEMORY (256 * 1024)
#define HTTP_UPLOAD_BUFFER_FROM (4 * 1024 * 1024)
/* The most memory a Content-Length makes an exchange reserve at once. */
#define HTTP_PREALLOCATE_MAX (64 * 1024 * 1024)
/* The most of an error body kept by http_stream_open. */
#define HTTP_ERROR_BODY_MAX (64 * 1024)
/* Idle handles kept for reuse; beyond that they are freed. */
#define HTTP_POOL_SIZE 32
/* Idle connections a multi keeps (more for a wider group). */
#define HTTP_MULTI_CONNECTIONS 8
#define HTTP_ORIGIN_SIZE 160

typedef enum body_sink {
  SINK_MEMORY,    /* response.body, up to max_body */
  SINK_STREAM,    /* the reader's buffer, then the overflow buffer */
  SINK_ERROR_BODY /* response.body, first HTTP_ERROR_BODY_MAX bytes */
} body_sink;

/* One request and its response as it arrives. */
typedef struct transfer {
  const pail_config *cfg;
  const pail_http_request *request;
  CURL *easy;
  struct curl_slist *headers;
  bool sends_body;
  /* PAIL_HTTP_BODY_FILE: the body is read from the request's file; the
   * bytes of it sent so far, and why the file could not give the next
   * (an errno, or -1 for a file that ended early). */
  bool body_from_file;
  uint64_t file_sent;
  int file_error;
  char origin[HTTP_ORIGIN_SIZE];
  char errbuf[CURL_ERROR_SIZE];

  pail_http_response response;
  size_t header_capacity;
  int block_status;       /* of the header block being read (1xx, then final) */
  bool head_done;         /* the final header block is complete */
  int64_t content_length; /* -1 when not announced */

  body_sink sink;
  size_t max_body;
  size_t body_capacity;
  bool over_limit;
  bool error_body_cut;
  bool out_of_memory;

  /* SINK_STREAM: the reader's buffer during a read, then what did not fit,
   * in overflow[overflow_start, overflow_end), allocated when first needed
   * (at overflow_capacity, curl's receive block: the most it passes at
   * once). */
  size_t receive_buffer; /* of a GET: HTTP_RECEIVE_BUFFER or _BULK */
  unsigned char *out;
  size_t out_capacity, out_length;
  unsigned char *overflow;
  size_t overflow_capacity, overflow_start, overflow_end;
  size_t overflow_peak;
  bool paused;
  uint64_t received;

  bool running; /* added to a multi */
  bool done;
  bool logged;
  CURLcode result;

  /* Retries (core/retry.c): attempts started, when the first one was, and
   * in a group when the next one may start. */
  int attempts;
  int64_t first_attempt_ms;
  int64_t retry_at_ms;

  /* Groups. */
  void *tag;
  pail_status status;
  pail_error *error;
  struct transfer *next;
} transfer;

typedef enum drive_goal { UNTIL_DONE, UNTIL_HEAD, UNTIL_DATA } drive_goal;

/* -------------------------------------------------------- http_pool.c */

/* Sets libcurl up once per process; INTERNAL when it could not be. */
PAIL_HIDDEN pail_status http_ready(pail_error **err);
/* An idle easy handle, or a new one; NULL when out of memory. */
PAIL_HIDDEN CURL *pool_take_easy(void);
/* Keeps easy (NULL: nothing) for reuse, or frees it when the pool is full. */
PAIL_HIDDEN void pool_give_easy(CURL *easy);
/* A multi whose connections most likely include one to origin, keeping up
 * to connections (at least HTTP_MULTI_CONNECTIONS) idle; NULL when out of
 * memory. Given back with pool_give_multi. */
PAIL_HIDDEN CURLM *pool_take_multi(const char *origin, size_t connections);
/* Keeps multi (NULL: nothing; no transfer in it) for reuse; the oldest goes
 * when the pool is full, closing its connections. */
PAIL_HIDDEN void pool_give_multi(CURLM *multi, const char *origin);
/* Sets on easy what every transfer shares: the process-wide DNS and TLS
 * session caches and the transport timeouts. */
PAIL_HIDDEN void pool_setup_easy(CURL *easy);

/* --------------------------------------------------------- http_url.c */

/* "scheme://host:port" of url, lowercase, cut to size: the key by which a
 * pooled multi is chosen. */
PAIL_HIDDEN void url_origin(const char *url, char *out, size_t size);

/* ---------------------------------------------------- http_transfer.c */

/* Builds a transfer of request (checked; kept, not copied, until
 * transfer_free) whose body goes to sink; on failure *out is NULL. */
PAIL_HIDDEN pail_status transfer_new(const pail_config *cfg,
                                     const pail_http_request *request,
                                     body_sink sink, size_t max_body,
                                     transfer **out, pail_error **err);
/* Frees t (NULL: nothing), its response included; t->easy is not its. */
PAIL_HIDDEN void transfer_free(transfer *t);
/* Sets every option of easy for t's request, from a clean handle, and
 * counts the attempt. */
PAIL_HIDDEN pail_status transfer_attach(transfer *t, CURL *easy,
                                        pail_error **err);
/* Frees the header lines of r and sets their count to 0. */
PAIL_HIDDEN void response_clear_headers(pail_http_response *r);
/* The request's flags the plugin's ABI has (PAIL_HTTP_*). */
PAIL_HIDDEN uint32_t request_flags(const transfer *t);

/* ---------------------------------------------------- http_exchange.c */

/* One debug line for t, once, when it ends or is abandoned (outcome: why it
 * failed, or NULL). */
PAIL_HIDDEN void transfer_log(transfer *t, const char *outcome);
/* The outcome of a finished transfer, as a status and error; logs it. */
PAIL_HIDDEN pail_status transfer_result(transfer *t, pail_error **err);
/* Whether t, ended, may be tried again by the retry policy, and after how
 * long (*delay_ms). */
PAIL_HIDDEN bool transfer_should_retry(const transfer *t, int64_t *delay_ms);
/* Logs (INFO) that t is tried again in delay_ms. */
PAIL_HIDDEN void transfer_log_retry(transfer *t, int64_t delay_ms);
/* Makes t ready to be attached again: the request stays, everything the
 * last attempt received goes. */
PAIL_HIDDEN void transfer_reset(transfer *t);
/* Marks the transfers of multi that have ended. */
PAIL_HIDDEN void multi_collect(CURLM *multi);
/* Runs the transfers of multi until t reaches goal (or ends). */
PAIL_HIDDEN void transfer_drive(CURLM *multi, transfer *t, drive_goal goal);
/* Takes a multi and an easy handle from the pool and starts t in them;
 * transfer_end_alone gives them back. */
PAIL_HIDDEN pail_status transfer_start_alone(transfer *t, CURLM **multi,
                                             pail_error **err);
PAIL_HIDDEN void transfer_end_alone(transfer *t, CURLM *multi);
/* Moves t's response into out, leaving t without one. */
PAIL_HIDDEN void response_move(transfer *t, pail_http_response *out);
/* Records t's final status and attempts for http_attempts_take. */
PAIL_HIDDEN void note_final_status(const transfer *t);

#endif
