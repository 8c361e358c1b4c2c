/*
 * http_pool.c: libcurl set up once per process, and the pool of handles
 * every transfer of the core's HTTP services (http_private.h) runs in.
 *
 * Connections. curl's shared connection cache (CURL_LOCK_DATA_CONNECT) is
 * documented as unsafe between concurrent threads (curl's KNOWN_BUGS "A
 * shared connection cache is not thread-safe", issues 4915 and 9404; the
 * libcurl we build against, 7.74 and up, has it). So the process-wide share
 * holds only the DNS and TLS session caches, and connections are kept in
 * curl multi handles instead: every transfer runs in a multi taken from a
 * process-wide pool and given back, with its idle connections, when the
 * transfer ends. A multi is used by one thread at a time, so a connection is
 * never touched by two threads, and the next exchange to the same origin,
 * from any thread, finds the connection the last one left open. Easy handles
 * are pooled as well.
 */
#include "http_private.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Transport settings, one set for the process (unlike the retry policy,
 * which is per storage: retry.c). The environment may override the
 * defaults, read once:
 *   PAIL_HTTP_CONNECT_TIMEOUT  seconds to establish a connection (10)
 *   PAIL_HTTP_LOW_SPEED_TIME   seconds a transfer may stay under
 *                              low_speed_limit bytes/s before it is
 *                              abandoned as stalled (30)
 * Values may have decimals; an unparsable or non-positive one is ignored. */
typedef struct http_options {
  long connect_timeout_ms;
  long low_speed_limit; /* bytes per second */
  long low_speed_time;  /* seconds, at least 1 */
} http_options;

typedef struct idle_multi {
  CURLM *multi;
  char origin[HTTP_ORIGIN_SIZE]; /* of the last transfer it ran */
} idle_multi;

static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static struct {
  bool ready;
  CURLSH *share;
  pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
  http_options options;
  pthread_mutex_t pool_lock;
  CURL *idle_easy[HTTP_POOL_SIZE];
  size_t idle_easy_count;
  idle_multi idle_multi[HTTP_POOL_SIZE];
  size_t idle_multi_count;
  /* In a child after fork(): the parent's pool, never used nor freed. */
  CURL *parent_easy[HTTP_POOL_SIZE];
  idle_multi parent_multi[HTTP_POOL_SIZE];
} http;

/* ------------------------------------------------------------ setup */

static void share_lock(CURL *easy, curl_lock_data data, curl_lock_access access,
                       void *user) {
  (void)easy;
  (void)access;
  (void)user;
  if ((unsigned)data < CURL_LOCK_DATA_LAST)
    pthread_mutex_lock(&http.share_locks[data]);
}

static void share_unlock(CURL *easy, curl_lock_data data, void *user) {
  (void)easy;
  (void)user;
  if ((unsigned)data < CURL_LOCK_DATA_LAST)
    pthread_mutex_unlock(&http.share_locks[data]);
}

/* Seconds from the environment as a positive double, or 0. */
static double env_seconds(const char *name) {
  const char *text = getenv(name);
  if (text == NULL || *text == '\0')
    return 0;
  char *end = NULL;
  double value = strtod(text, &end);
  return (end != NULL && *end == '\0' && value > 0 && value < 1e7) ? value : 0;
}

static void options_from_environment(http_options *options) {
  options->connect_timeout_ms = 10000;
  options->low_speed_limit = 1;
  options->low_speed_time = 30;
  double connect = env_seconds("PAIL_HTTP_CONNECT_TIMEOUT");
  if (connect > 0)
    options->connect_timeout_ms =
        connect * 1000 < 1 ? 1 : (long)(connect * 1000);
  double low_speed = env_seconds("PAIL_HTTP_LOW_SPEED_TIME");
  if (low_speed > 0)
    options->low_speed_time = low_speed < 1 ? 1 : (long)(low_speed + 0.5);
}

/* In a child after fork(): the pooled connections are the parent's (two
 * processes writing to one TLS connection would break it, and closing one
 * sends the parent's peer a TLS close_notify), and a lock may have been held
 * by a thread that does not exist here. Set the pool aside without closing
 * anything (kept reachable, for leak checkers), and start the locks afresh. */
static void http_after_fork_in_child(void) {
  memcpy(http.parent_easy, http.idle_easy, sizeof http.idle_easy);
  memcpy(http.parent_multi, http.idle_multi, sizeof http.idle_multi);
  http.idle_easy_count = 0;
  http.idle_multi_count = 0;
  pthread_mutex_init(&http.pool_lock, NULL);
  for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
    pthread_mutex_init(&http.share_locks[i], NULL);
}

static void http_init_once(void) {
  options_from_environment(&http.options);
  pthread_atfork(NULL, NULL, http_after_fork_in_child);
  pthread_mutex_init(&http.pool_lock, NULL);
  for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
    pthread_mutex_init(&http.share_locks[i], NULL);
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return;
  http.share = curl_share_init();
  if (http.share == NULL)
    return;
  if (curl_share_setopt(http.share, CURLSHOPT_LOCKFUNC, share_lock) ||
      curl_share_setopt(http.share, CURLSHOPT_UNLOCKFUNC, share_unlock) ||
      curl_share_setopt(http.share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) ||
      curl_share_setopt(http.share, CURLSHOPT_SHARE,
                        CURL_LOCK_DATA_SSL_SESSION)) {
    curl_share_cleanup(http.share);
    http.share = NULL;
    return;
  }
  http.ready = true;
}

pail_status http_ready(pail_error **err) {
  pthread_once(&http_once, http_init_once);
  if (!http.ready)
    return pail_error_set(err, PAIL_ERR_INTERNAL, 0, NULL, NULL,
                          "libcurl could not be initialised");
  return PAIL_OK;
}

/* ------------------------------------------------------------- pool */

CURL *pool_take_easy(void) {
  CURL *easy = NULL;
  pthread_mutex_lock(&http.pool_lock);
  if (http.idle_easy_count > 0)
    easy = http.idle_easy[--http.idle_easy_count];
  pthread_mutex_unlock(&http.pool_lock);
  return easy ? easy : curl_easy_init();
}

void pool_give_easy(CURL *easy) {
  if (easy == NULL)
    return;
  pthread_mutex_lock(&http.pool_lock);
  if (http.idle_easy_count < HTTP_POOL_SIZE) {
    http.idle_easy[http.idle_easy_count++] = easy;
    easy = NULL;
  }
  pthread_mutex_unlock(&http.pool_lock);
  curl_easy_cleanup(easy);
}

/* A multi whose connections most likely include one to origin: the most
 * recently returned one that last went there, else the most recent one. */
CURLM *pool_take_multi(const char *origin, size_t connections) {
  CURLM *multi = NULL;
  pthread_mutex_lock(&http.pool_lock);
  size_t n = http.idle_multi_count;
  if (n > 0) {
    size_t pick = n - 1;
    for (size_t i = n; i-- > 0;)
      if (strcmp(http.idle_multi[i].origin, origin) == 0) {
        pick = i;
        break;
      }
    multi = http.idle_multi[pick].multi;
    memmove(&http.idle_multi[pick], &http.idle_multi[pick + 1],
            (n - pick - 1) * sizeof http.idle_multi[0]);
    http.idle_multi_count--;
  }
  pthread_mutex_unlock(&http.pool_lock);
  if (multi == NULL)
    multi = curl_multi_init();
  if (multi != NULL)
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS,
                      (long)(connections > HTTP_MULTI_CONNECTIONS
                                 ? connections
                                 : HTTP_MULTI_CONNECTIONS));
  return multi;
}

/* Keeps multi (with no transfer in it) for reuse; when the pool is full the
 * oldest goes, closing its connections. */
void pool_give_multi(CURLM *multi, const char *origin) {
  if (multi == NULL)
    return;
  CURLM *evicted = NULL;
  pthread_mutex_lock(&http.pool_lock);
  if (http.idle_multi_count == HTTP_POOL_SIZE) {
    evicted = http.idle_multi[0].multi;
    memmove(&http.idle_multi[0], &http.idle_multi[1],
            (HTTP_POOL_SIZE - 1) * sizeof http.idle_multi[0]);
    http.idle_multi_count--;
  }
  idle_multi *slot = &http.idle_multi[http.idle_multi_count++];
  slot->multi = multi;
  snprintf(slot->origin, sizeof slot->origin, "%s", origin);
  pthread_mutex_unlock(&http.pool_lock);
  if (evicted != NULL)
    curl_multi_cleanup(evicted);
}

void pool_setup_easy(CURL *easy) {
  const http_options *o = &http.options;
  curl_easy_setopt(easy, CURLOPT_SHARE, http.share);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, o->low_speed_limit);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, o->low_speed_time);
}
