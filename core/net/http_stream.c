/*
 * http_stream.c: the streamed response body of ABI 1.1 (http_stream_*):
 * the head returned when it is in, the body pulled by the caller in its own
 * buffer, what curl hands over beyond it kept in an overflow buffer.
 */
#include "http_private.h"

#include <stdlib.h>
#include <string.h>

struct pail_http_stream {
  transfer *transfer;
  CURLM *multi;
  pail_status failure; /* once failed, every read fails */
};

static pail_status stream_open(const pail_config *cfg,
                               const pail_http_request *request, bool bulk,
                               pail_http_stream **stream,
                               pail_http_response *head, pail_error **err) {
  if (head != NULL)
    memset(head, 0, sizeof *head);
  if (stream != NULL)
    *stream = NULL;
  if (stream == NULL || head == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "http_stream_open: no %s given (NULL)",
                          stream == NULL ? "stream" : "head");
  pail_status status = http_ready(err);
  if (status != PAIL_OK)
    return status;
  pail_http_stream *s = calloc(1, sizeof *s);
  if (s == NULL)
    return error_no_memory(err);
  transfer *t;
  status = transfer_new(cfg, request, SINK_STREAM, 0, &t, err);
  if (status != PAIL_OK) {
    free(s);
    return status;
  }
  if (bulk)
    t->receive_buffer = t->overflow_capacity = HTTP_RECEIVE_BULK;
  s->transfer = t;
  bool success = false;
  for (;;) {
    status = transfer_start_alone(t, &s->multi, err);
    if (status != PAIL_OK) {
      transfer_free(t);
      free(s);
      return status;
    }
    transfer_drive(s->multi, t, UNTIL_HEAD);
    success =
        t->head_done && t->response.status >= 200 && t->response.status <= 299;
    if (success)
      break;
    /* No head, or an error status: its body (the part kept) is the answer,
     * unless the failure is transient and the policy allows another try. */
    if (t->head_done && !t->done) {
      if (t->paused) {
        t->paused = false;
        curl_easy_pause(t->easy, CURLPAUSE_CONT);
      }
      transfer_drive(s->multi, t, UNTIL_DONE);
    }
    int64_t delay;
    if (!transfer_should_retry(t, &delay))
      break;
    transfer_result(t, NULL); /* the failed attempt's debug line */
    transfer_log_retry(t, delay);
    transfer_end_alone(t, s->multi);
    s->multi = NULL;
    transfer_reset(t);
    retry_sleep_ms(delay);
  }
  if (!success) {
    status = transfer_result(t, err);
    note_final_status(t);
    if (t->head_done) {
      /* The status is what the caller needs; a body cut short is not. */
      if (status != PAIL_OK && err != NULL && *err != NULL &&
          pail_error_category(*err) == PAIL_ERR_IO) {
        pail_error_free(*err);
        *err = NULL;
        status = PAIL_OK;
      }
      if (status == PAIL_OK)
        response_move(t, head);
    }
    transfer_end_alone(t, s->multi);
    transfer_free(t);
    free(s);
    return status;
  }
  head->status = t->response.status;
  head->headers = t->response.headers;
  head->header_count = t->response.header_count;
  t->response.headers = NULL;
  t->response.header_count = 0;
  t->header_capacity = 0;
  *stream = s;
  return PAIL_OK;
}

pail_status http_stream_open(const pail_config *cfg,
                             const pail_http_request *request,
                             pail_http_stream **stream,
                             pail_http_response *head, pail_error **err) {
  return stream_open(cfg, request, false, stream, head, err);
}

pail_status http_stream_open_bulk(const pail_config *cfg,
                                  const pail_http_request *request,
                                  pail_http_stream **stream,
                                  pail_http_response *head, pail_error **err) {
  return stream_open(cfg, request, true, stream, head, err);
}

pail_status http_stream_read(pail_http_stream *s, void *buffer, size_t capacity,
                             size_t *got, pail_error **err) {
  if (got != NULL)
    *got = 0;
  if (s == NULL || buffer == NULL || got == NULL || capacity == 0)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "http_stream_read: no %s given",
                          s == NULL        ? "stream"
                          : buffer == NULL ? "buffer"
                          : got == NULL    ? "count"
                                           : "room");
  transfer *t = s->transfer;
  if (s->failure != PAIL_OK) {
    char *url = http_url_describe(t->request->url, false);
    pail_error_set(err, s->failure, 0, NULL, NULL,
                   "%s %s: read after the transfer failed", t->request->method,
                   url ? url : "(URL)");
    free(url);
    return s->failure;
  }
  t->out = buffer;
  t->out_capacity = capacity;
  t->out_length = 0;
  size_t held = t->overflow_end - t->overflow_start;
  if (held > 0) {
    size_t take = held < capacity ? held : capacity;
    memcpy(t->out, t->overflow + t->overflow_start, take);
    t->out_length = take;
    t->overflow_start += take;
    if (t->overflow_start == t->overflow_end)
      t->overflow_start = t->overflow_end = 0;
  }
  if (t->out_length == 0 && !t->done) {
    if (t->paused) {
      /* curl hands the chunk it kept over again, now, through on_body. */
      t->paused = false;
      if (curl_easy_pause(t->easy, CURLPAUSE_CONT) != CURLE_OK) {
        t->done = true;
        t->result = CURLE_RECV_ERROR;
      }
    }
    if (t->out_length == 0 && !t->done)
      transfer_drive(s->multi, t, UNTIL_DATA);
  }
  *got = t->out_length;
  t->out = NULL;
  t->out_capacity = t->out_length = 0;
  if (*got > 0 || !t->done)
    return PAIL_OK;
  pail_status status = transfer_result(t, err);
  if (status != PAIL_OK)
    s->failure = status;
  return status;
}

void http_stream_close(pail_http_stream *s) {
  if (s == NULL)
    return;
  transfer *t = s->transfer;
  if (t->done)
    transfer_result(t, NULL); /* logs it, if the reader did not see the end */
  else
    transfer_log(t, "closed before the end of the body");
  transfer_end_alone(t, s->multi);
  transfer_free(t);
  free(s);
}

/* For tests: the most the stream has held in its overflow buffer. */
size_t http_stream_buffer_peak(const pail_http_stream *s) {
  return s ? s->transfer->overflow_peak : 0;
}
