/*
 * http_group.c: groups of concurrent exchanges on one thread (http_group_*):
 * up to a concurrency limit in one multi, the rest queued, each retried on
 * its own schedule, answers returned in the order they end.
 */
#include "http_private.h"

#include <stdlib.h>
#include <string.h>

struct pail_http_group {
  const pail_config *cfg;
  size_t concurrency;
  CURLM *multi;
  char origin[HTTP_ORIGIN_SIZE];
  transfer *queued, *queued_last; /* not started yet */
  transfer *active;               /* in the multi */
  size_t active_count;
  transfer *finished, *finished_last; /* ended, not returned yet */
  transfer *waiting, *waiting_last;   /* to be tried again at retry_at_ms */
  size_t pending;
  CURL **spare_easy; /* handles of ended transfers, for the next ones */
  size_t spare_count;
};

static void list_push(transfer **first, transfer **last, transfer *t) {
  t->next = NULL;
  if (*last)
    (*last)->next = t;
  else
    *first = t;
  *last = t;
}

static void group_finish(pail_http_group *g, transfer *t) {
  list_push(&g->finished, &g->finished_last, t);
}

/* Moves the waiting transfers whose retry time has come to the front of
 * the queue (they started first). Returns ms until the next one is due, or
 * -1 when none waits. */
static int64_t group_wake(pail_http_group *g) {
  int64_t now = retry_clock_ms(), next = -1;
  transfer *due = NULL, *due_last = NULL;
  for (transfer **link = &g->waiting; *link != NULL;) {
    transfer *t = *link;
    if (t->retry_at_ms <= now) {
      *link = t->next;
      list_push(&due, &due_last, t);
      continue;
    }
    if (next < 0 || t->retry_at_ms - now < next)
      next = t->retry_at_ms - now;
    link = &t->next;
  }
  g->waiting_last = NULL;
  for (transfer *t = g->waiting; t != NULL; t = t->next)
    g->waiting_last = t;
  if (due != NULL) {
    due_last->next = g->queued;
    if (g->queued == NULL)
      g->queued_last = due_last;
    g->queued = due;
  }
  return next;
}

/* Starts queued transfers while slots are free. A transfer that cannot
 * start ends at once with its error. */
static void group_launch(pail_http_group *g) {
  group_wake(g);
  while (g->queued != NULL && g->active_count < g->concurrency) {
    transfer *t = g->queued;
    g->queued = t->next;
    if (g->queued == NULL)
      g->queued_last = NULL;
    CURL *easy =
        g->spare_count > 0 ? g->spare_easy[--g->spare_count] : pool_take_easy();
    if (easy == NULL) {
      t->status = error_no_memory(&t->error);
      group_finish(g, t);
      continue;
    }
    t->status = transfer_attach(t, easy, &t->error);
    if (t->status == PAIL_OK &&
        curl_multi_add_handle(g->multi, easy) != CURLM_OK)
      t->status = error_no_memory(&t->error);
    if (t->status != PAIL_OK) {
      t->easy = NULL;
      g->spare_easy[g->spare_count++] = easy;
      group_finish(g, t);
      continue;
    }
    t->running = true;
    t->next = g->active;
    g->active = t;
    g->active_count++;
  }
}

/* Moves the transfers that ended from active to finished. */
static void group_collect(pail_http_group *g) {
  multi_collect(g->multi);
  for (transfer **link = &g->active; *link != NULL;) {
    transfer *t = *link;
    if (!t->done) {
      link = &t->next;
      continue;
    }
    *link = t->next;
    g->active_count--;
    int64_t delay;
    bool again = transfer_should_retry(t, &delay);
    if (again) {
      transfer_result(t, NULL); /* the failed attempt's debug line */
      transfer_log_retry(t, delay);
    } else {
      t->status = transfer_result(t, &t->error);
    }
    curl_multi_remove_handle(g->multi, t->easy);
    t->running = false;
    g->spare_easy[g->spare_count++] = t->easy;
    t->easy = NULL;
    snprintf(g->origin, sizeof g->origin, "%s", t->origin);
    if (again) {
      transfer_reset(t);
      t->retry_at_ms = retry_clock_ms() + delay;
      list_push(&g->waiting, &g->waiting_last, t);
    } else {
      group_finish(g, t);
    }
  }
}

pail_http_group *http_group_new(const pail_config *cfg, size_t concurrency) {
  if (http_ready(NULL) != PAIL_OK)
    return NULL;
  if (concurrency == 0)
    concurrency = 1;
  pail_http_group *g = calloc(1, sizeof *g);
  if (g == NULL)
    return NULL;
  g->cfg = cfg;
  g->concurrency = concurrency;
  g->spare_easy = calloc(concurrency, sizeof *g->spare_easy);
  g->multi = g->spare_easy ? pool_take_multi("", concurrency) : NULL;
  if (g->multi == NULL) {
    free(g->spare_easy);
    free(g);
    return NULL;
  }
  return g;
}

pail_status http_group_start(pail_http_group *g,
                             const pail_http_request *request, size_t max_body,
                             void *tag, pail_error **err) {
  if (g == NULL)
    return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                          "http_group_start: no group given (NULL)");
  transfer *t;
  pail_status status =
      transfer_new(g->cfg, request, SINK_MEMORY, max_body, &t, err);
  if (status != PAIL_OK)
    return status;
  t->tag = tag;
  list_push(&g->queued, &g->queued_last, t);
  g->pending++;
  group_launch(g);
  return PAIL_OK;
}

pail_status http_group_wait(pail_http_group *g, void **tag,
                            pail_http_response *out, pail_error **err) {
  if (out != NULL)
    memset(out, 0, sizeof *out);
  if (tag != NULL)
    *tag = NULL;
  if (g == NULL || g->pending == 0)
    return pail_error_set(
        err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL, "http_group_wait: %s",
        g == NULL ? "no group given (NULL)" : "no request is pending");
  while (g->finished == NULL) {
    int running = 0;
    CURLMcode mc = curl_multi_perform(g->multi, &running);
    group_collect(g);
    group_launch(g);
    if (g->finished != NULL)
      break;
    if (mc != CURLM_OK && mc != CURLM_CALL_MULTI_PERFORM) {
      /* The multi is unusable: end every active transfer with that. */
      for (transfer *t = g->active; t != NULL; t = t->next) {
        t->done = true;
        t->result =
            mc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_FAILED_INIT;
      }
      group_collect(g);
      break;
    }
    int64_t next_retry = group_wake(g);
    group_launch(g);
    int timeout = next_retry >= 0 && next_retry < 1000 ? (int)next_retry : 1000;
    curl_multi_poll(g->multi, NULL, 0, timeout, NULL);
  }
  transfer *t = g->finished;
  if (t == NULL) /* the multi failed with nothing in it: cannot happen */
    return pail_error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                          "http_group_wait: libcurl failed");
  g->finished = t->next;
  if (g->finished == NULL)
    g->finished_last = NULL;
  g->pending--;
  if (tag != NULL)
    *tag = t->tag;
  pail_status status = t->status;
  if (status == PAIL_OK) {
    if (out != NULL)
      response_move(t, out);
  } else if (err != NULL && *err == NULL) {
    *err = t->error;
    t->error = NULL;
  }
  transfer_free(t);
  return status;
}

size_t http_group_pending(const pail_http_group *g) {
  return g ? g->pending : 0;
}

void http_group_free(pail_http_group *g) {
  if (g == NULL)
    return;
  for (transfer *t = g->active, *next; t != NULL; t = next) {
    next = t->next;
    transfer_log(t, "cancelled");
    curl_multi_remove_handle(g->multi, t->easy);
    pool_give_easy(t->easy);
    transfer_free(t);
  }
  for (transfer *t = g->queued, *next; t != NULL; t = next) {
    next = t->next;
    transfer_free(t);
  }
  for (transfer *t = g->finished, *next; t != NULL; t = next) {
    next = t->next;
    transfer_free(t);
  }
  for (transfer *t = g->waiting, *next; t != NULL; t = next) {
    next = t->next;
    transfer_free(t);
  }
  for (size_t i = 0; i < g->spare_count; i++)
    pool_give_easy(g->spare_easy[i]);
  pool_give_multi(g->multi, g->origin);
  free(g->spare_easy);
  free(g);
}
