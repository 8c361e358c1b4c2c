/*
 * http_exchange.c: a transfer run to its end: driven in its multi, its
 * outcome turned into a status and an error, logged, and tried again as the
 * retry policy (retry.c) allows; and the exchange service on top, with the
 * whole body in memory.
 *
 * Failure categories. Anything that fails before the response head is in
 * (refused, reset, DNS, TLS, timeout) is PAIL_ERR_UNAVAILABLE. Once the head
 * is in, a body cut short (connection lost, fewer bytes than Content-Length,
 * stalled) is PAIL_ERR_IO, and so is a body over the caller's limit. Messages
 * name the method and the URL without its query (presigned URLs carry their
 * signature there) and never a header value.
 */
#include "http_private.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool log_enabled(const pail_config *cfg) {
  return cfg != NULL && cfg->log != NULL && cfg->log_level >= PAIL_LOG_DEBUG;
}

/* One debug line per request, when it ends or is abandoned. */
void transfer_log(transfer *t, const char *outcome) {
  if (t->logged || !log_enabled(t->cfg))
    return;
  t->logged = true;
  char *url = http_url_describe(t->request->url, true);
  curl_off_t total_us = 0, sent = 0, received = 0;
  long connects = 0, request_size = 0;
  curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &total_us);
  curl_easy_getinfo(t->easy, CURLINFO_SIZE_UPLOAD_T, &sent);
  curl_easy_getinfo(t->easy, CURLINFO_SIZE_DOWNLOAD_T, &received);
  curl_easy_getinfo(t->easy, CURLINFO_NUM_CONNECTS, &connects);
  curl_easy_getinfo(t->easy, CURLINFO_REQUEST_SIZE, &request_size);
  char status[32] = "no response";
  if (t->head_done)
    snprintf(status, sizeof status, "%d", t->response.status);
  /* No new connection and nothing sent: the connect failed. */
  const char *connection = connects > 0       ? ", new connection"
                           : request_size > 0 ? ", reused connection"
                                              : "";
  core_services.log(t->cfg, PAIL_LOG_DEBUG,
                    "HTTP %s %s: %s, sent %" CURL_FORMAT_CURL_OFF_T
                    " B, received %" CURL_FORMAT_CURL_OFF_T " B, %.3f ms%s%s%s",
                    t->request->method, url ? url : "(URL)", status, sent,
                    received, (double)total_us / 1000.0, connection,
                    outcome ? ": " : "", outcome ? outcome : "");
  free(url);
}

/* The outcome of a finished transfer, as a status and error; logs it. */
pail_status transfer_result(transfer *t, pail_error **err) {
  const pail_http_request *rq = t->request;
  pail_status status = PAIL_OK;
  char *detail = NULL;
  if (t->out_of_memory || t->result == CURLE_OUT_OF_MEMORY) {
    status = PAIL_ERR_INTERNAL;
    detail = str_dup("out of memory");
  } else if (t->file_error != 0) {
    status = PAIL_ERR_IO;
    detail = t->file_error > 0
                 ? str_printf("cannot read the body from the local file: %s",
                              strerror(t->file_error))
                 : str_dup("the local file ended before the body did (it "
                           "changed during the upload)");
  } else if (t->over_limit) {
    status = PAIL_ERR_IO;
    detail = str_printf("response body larger than the %zu bytes allowed",
                        t->max_body);
  } else if (t->result == CURLE_OK && !t->head_done) {
    status = PAIL_ERR_UNAVAILABLE;
    detail = str_dup("no HTTP response");
  } else if (t->result != CURLE_OK &&
             !(t->error_body_cut && t->result == CURLE_WRITE_ERROR)) {
    status = (t->result == CURLE_URL_MALFORMAT ||
              t->result == CURLE_UNSUPPORTED_PROTOCOL)
                 ? PAIL_ERR_INVALID_ARGUMENT
             : t->head_done ? PAIL_ERR_IO
                            : PAIL_ERR_UNAVAILABLE;
    const char *why = t->errbuf[0] ? t->errbuf : curl_easy_strerror(t->result);
    detail = t->head_done ? str_printf("response body cut short after %" PRIu64
                                       " bytes (%s)",
                                       t->sink == SINK_STREAM
                                           ? t->received
                                           : (uint64_t)t->response.body_length,
                                       why)
                          : str_dup(why);
  }
  if (status == PAIL_OK) {
    transfer_log(t, NULL);
    return PAIL_OK;
  }
  /* A final message says how hard pail tried. */
  if (detail != NULL && t->attempts > 1) {
    char *tried = str_printf("%s (after %d attempts)", detail, t->attempts);
    free(detail);
    detail = tried;
  }
  if (detail != NULL)
    http_scrub_url_secrets(detail, rq->url);
  transfer_log(t, detail ? detail : "out of memory");
  char *url = http_url_describe(rq->url, false);
  pail_error_set(err, status, 0, NULL, NULL, "%s %s: %s", rq->method,
                 url ? url : "(URL)", detail ? detail : "out of memory");
  free(url);
  free(detail);
  return error_redact(err, t->cfg, status);
}

/* libcurl results worth another attempt: the network or the server
 * failed, not the request, the TLS verification or this process. */
static bool curl_result_is_transient(CURLcode result) {
  switch (result) {
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
    return true;
  default:
    return false;
  }
}

/* Whether t, ended, failed in a way the retry policy lets us try again,
 * and after how long. Only idempotent requests are replayed, and a stream
 * only before its body began (a broken body is the reader's to resume). */
bool transfer_should_retry(const transfer *t, int64_t *delay_ms) {
  *delay_ms = 0;
  uint32_t flags = request_flags(t);
  if ((flags & (PAIL_HTTP_NO_RETRY | PAIL_HTTP_METADATA)) ||
      (!retry_method_is_idempotent(t->request->method) &&
       !(flags & PAIL_HTTP_IDEMPOTENT)) ||
      t->out_of_memory || t->over_limit || t->file_error != 0)
    return false;
  bool complete = t->result == CURLE_OK ||
                  (t->error_body_cut && t->result == CURLE_WRITE_ERROR);
  bool transient;
  if (t->head_done &&
      (complete || t->sink == SINK_MEMORY || t->sink == SINK_ERROR_BODY))
    transient = retry_status_is_transient(t->response.status) ||
                (!complete && curl_result_is_transient(t->result));
  else if (!t->head_done)
    transient = complete || curl_result_is_transient(t->result);
  else
    transient = false;
  if (!transient)
    return false;
  int64_t server_delay =
      t->head_done ? retry_after_ms(http_header(&t->response, "retry-after"))
                   : -1;
  retry_policy policy = retry_policy_for(t->cfg);
  return retry_next(&policy, t->attempts, t->first_attempt_ms, server_delay,
                    delay_ms);
}

/* Says why t is tried again; the failed attempt has its own debug line. */
void transfer_log_retry(transfer *t, int64_t delay_ms) {
  if (t->cfg == NULL || t->cfg->log == NULL ||
      t->cfg->log_level < PAIL_LOG_INFO)
    return;
  char *url = http_url_describe(t->request->url, false);
  char why[64];
  if (t->head_done)
    snprintf(why, sizeof why, "HTTP %d", t->response.status);
  else
    snprintf(why, sizeof why, "%s", curl_easy_strerror(t->result));
  retry_policy policy = retry_policy_for(t->cfg);
  core_services.log(t->cfg, PAIL_LOG_INFO,
                    "retrying %s %s after %s, attempt %d of %d, in %lld ms",
                    t->request->method, url ? url : "(URL)", why,
                    t->attempts + 1, policy.max_attempts, (long long)delay_ms);
  free(url);
}

/* Makes t ready to be attached again: the request stays, everything the
 * last attempt received goes. */
void transfer_reset(transfer *t) {
  http_response_clear(&t->response);
  t->header_capacity = 0;
  t->block_status = 0;
  t->head_done = false;
  t->content_length = -1;
  t->body_capacity = 0;
  t->over_limit = t->error_body_cut = t->out_of_memory = false;
  t->overflow_start = t->overflow_end = 0;
  t->paused = false;
  t->received = 0;
  t->done = t->logged = false;
  t->result = CURLE_OK;
  t->errbuf[0] = '\0';
  t->status = PAIL_OK;
  pail_error_free(t->error);
  t->error = NULL;
}

/* Marks the transfers of multi that have ended. */
void multi_collect(CURLM *multi) {
  CURLMsg *message;
  int left;
  while ((message = curl_multi_info_read(multi, &left)) != NULL) {
    if (message->msg != CURLMSG_DONE)
      continue;
    char *private_data = NULL;
    curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &private_data);
    transfer *t = (transfer *)(void *)private_data;
    if (t != NULL) {
      t->done = true;
      t->result = message->data.result;
    }
  }
}

static bool goal_reached(const transfer *t, drive_goal goal) {
  return t->done || (goal == UNTIL_HEAD && t->head_done) ||
         (goal == UNTIL_DATA &&
          (t->out_length > 0 || t->overflow_end > t->overflow_start));
}

/* Runs the transfers of multi until t reaches goal. */
void transfer_drive(CURLM *multi, transfer *t, drive_goal goal) {
  for (;;) {
    int running = 0;
    CURLMcode mc = curl_multi_perform(multi, &running);
    multi_collect(multi);
    if (!t->done && mc != CURLM_OK && mc != CURLM_CALL_MULTI_PERFORM) {
      t->done = true;
      t->result =
          mc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_FAILED_INIT;
    }
    if (goal_reached(t, goal))
      return;
    if (running == 0 && !t->paused) {
      /* Not running yet not reported done: curl says it is over. */
      t->done = true;
      t->result = CURLE_RECV_ERROR;
      return;
    }
    curl_multi_poll(multi, NULL, 0, 1000, NULL);
  }
}

/* Takes a multi and an easy handle and starts t in them. */
pail_status transfer_start_alone(transfer *t, CURLM **multi, pail_error **err) {
  *multi = pool_take_multi(t->origin, 0);
  CURL *easy = pool_take_easy();
  if (*multi == NULL || easy == NULL) {
    pool_give_easy(easy);
    if (*multi != NULL)
      curl_multi_cleanup(*multi);
    *multi = NULL;
    return error_no_memory(err);
  }
  pail_status status = transfer_attach(t, easy, err);
  if (status == PAIL_OK && curl_multi_add_handle(*multi, easy) != CURLM_OK)
    status = error_no_memory(err);
  if (status != PAIL_OK) {
    t->easy = NULL;
    pool_give_easy(easy);
    pool_give_multi(*multi, t->origin);
    *multi = NULL;
    return status;
  }
  t->running = true;
  return PAIL_OK;
}

/* Takes t out of multi (closing its connection if it did not finish) and
 * gives both handles back to the pool. */
void transfer_end_alone(transfer *t, CURLM *multi) {
  if (t->running)
    curl_multi_remove_handle(multi, t->easy);
  t->running = false;
  pool_give_easy(t->easy);
  t->easy = NULL;
  pool_give_multi(multi, t->origin);
}

/* --------------------------------------------------------- services */

void http_response_clear(pail_http_response *response) {
  if (response == NULL)
    return;
  response_clear_headers(response);
  free(response->headers);
  free(response->body);
  memset(response, 0, sizeof *response);
}

const char *http_header(const pail_http_response *response, const char *name) {
  if (response == NULL || name == NULL)
    return NULL;
  for (size_t i = 0; i < response->header_count; i++)
    if (strcasecmp(response->headers[i].name, name) == 0)
      return response->headers[i].value;
  return NULL;
}

/* Moves t's response into out, leaving t without one. */
void response_move(transfer *t, pail_http_response *out) {
  *out = t->response;
  if (out->body_length == 0) {
    free(out->body);
    out->body = NULL;
  }
  memset(&t->response, 0, sizeof t->response);
  t->header_capacity = 0;
  t->body_capacity = 0;
}

/* The error status the last exchange or stream opening of this thread
 * ended with after retries, and the attempts made, until
 * http_attempts_take takes them: the backend turns that answer into the
 * error, and the core's error_set adds the count to its message. */
static _Thread_local struct {
  int status;
  int attempts;
} last_retried;

void note_final_status(const transfer *t) {
  int status = t->response.status;
  bool failed = t->head_done && (status < 200 || status > 299);
  last_retried.status = failed && t->attempts > 1 ? status : 0;
  last_retried.attempts = failed ? t->attempts : 0;
}

int http_attempts_take(int status) {
  int attempts =
      status != 0 && status == last_retried.status ? last_retried.attempts : 0;
  if (attempts > 0)
    last_retried.status = last_retried.attempts = 0;
  return attempts;
}

pail_status http_exchange(const pail_config *cfg,
                          const pail_http_request *request, size_t max_body,
                          pail_http_response *out, pail_error **err) {
  if (out != NULL)
    memset(out, 0, sizeof *out);
  if (out == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "http_exchange: no response given (NULL)");
  pail_status status = http_ready(err);
  if (status != PAIL_OK)
    return status;
  transfer *t;
  status = transfer_new(cfg, request, SINK_MEMORY, max_body, &t, err);
  if (status != PAIL_OK)
    return status;
  CURLM *multi = NULL;
  while ((status = transfer_start_alone(t, &multi, err)) == PAIL_OK) {
    transfer_drive(multi, t, UNTIL_DONE);
    int64_t delay;
    if (transfer_should_retry(t, &delay)) {
      transfer_result(t, NULL); /* the failed attempt's debug line */
      transfer_log_retry(t, delay);
      transfer_end_alone(t, multi);
      transfer_reset(t);
      retry_sleep_ms(delay);
      continue;
    }
    status = transfer_result(t, err);
    note_final_status(t);
    if (status == PAIL_OK)
      response_move(t, out);
    transfer_end_alone(t, multi);
    break;
  }
  transfer_free(t);
  return status;
}
