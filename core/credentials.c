/*
 * credentials.c: one storage's credentials that expire (an STS role's, a
 * metadata server's, a bearer token), and their refreshing, for every
 * backend (pail_core_services' credentials_*).
 *
 * Two moments before the expiry: from `stale` on, one caller refreshes while
 * the others go on with the old credentials, and a failed refresh keeps
 * them (with a warning, retried after a pause); from `unusable` on, they
 * are never handed out, and callers wait for one refresh. Only one fetch is
 * ever in flight for a cache; the lock is not held during it.
 */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A refresh that failed while the old credentials were still usable is
 * tried again this many seconds later, not on every call. */
#define RETRY_PAUSE 10

struct pail_credentials_cache {
  const pail_config *cfg;
  pail_credentials_fetch fetch;
  void *context;
  pthread_mutex_t lock;
  pthread_cond_t done; /* a fetch ended */
  bool have;
  pail_backend_credentials current;
  int64_t stale, unusable; /* INT64_MAX: never */
  bool fetching;
  unsigned attempts;   /* fetches ended, to tell a waiter its own */
  pail_error *failure; /* the last fetch's, when it failed */
  int64_t retry_at;    /* no advisory refresh before */
};

static void wipe(char *s) {
  if (s == NULL)
    return;
  volatile char *p = s;
  while (*p)
    *p++ = '\0';
  free(s);
}

void credentials_clear(pail_backend_credentials *c) {
  if (c == NULL)
    return;
  free(c->access_key_id);
  wipe(c->secret_access_key);
  wipe(c->token);
  free(c->source);
  memset(c, 0, sizeof *c);
}

static pail_status credentials_copy(const pail_backend_credentials *from,
                                    pail_backend_credentials *to,
                                    pail_error **err) {
  memset(to, 0, sizeof *to);
  to->expires = from->expires;
  bool ok = true;
#define COPY(field)                                                            \
  if (from->field != NULL && (to->field = strdup(from->field)) == NULL)        \
    ok = false;
  COPY(access_key_id)
  COPY(secret_access_key)
  COPY(token)
  COPY(source)
#undef COPY
  if (ok)
    return PAIL_OK;
  credentials_clear(to);
  return error_no_memory(err);
}

pail_status credentials_cache_new(const pail_config *cfg,
                                  pail_credentials_fetch fetch, void *context,
                                  pail_credentials_cache **out,
                                  pail_error **err) {
  *out = NULL;
  pail_credentials_cache *cache = calloc(1, sizeof *cache);
  if (cache == NULL)
    return error_no_memory(err);
  cache->cfg = cfg;
  cache->fetch = fetch;
  cache->context = context;
  pthread_mutex_init(&cache->lock, NULL);
  pthread_cond_init(&cache->done, NULL);
  *out = cache;
  return PAIL_OK;
}

void credentials_cache_free(pail_credentials_cache *cache) {
  if (cache == NULL)
    return;
  credentials_clear(&cache->current);
  pail_error_free(cache->failure);
  pthread_cond_destroy(&cache->done);
  pthread_mutex_destroy(&cache->lock);
  free(cache);
}

/* The two moments of fresh credentials got at `now`: stale 5 minutes
 * before the expiry (or at half the lifetime), unusable 1 minute before
 * (or a tenth of the lifetime). */
static void moments(pail_credentials_cache *cache, int64_t now) {
  int64_t expires = cache->current.expires;
  if (expires == 0) {
    cache->stale = cache->unusable = INT64_MAX;
    return;
  }
  int64_t lifetime = expires > now ? expires - now : 0;
  int64_t early = lifetime / 2 < 300 ? lifetime / 2 : 300;
  int64_t guard = lifetime / 10 < 60 ? lifetime / 10 : 60;
  cache->stale = expires - early;
  cache->unusable = expires - guard;
}

/* One fetch, the lock held on entry and on return (released during it). */
static pail_status refresh(pail_credentials_cache *cache, pail_error **err) {
  cache->fetching = true;
  pthread_mutex_unlock(&cache->lock);
  pail_backend_credentials fresh = {0};
  pail_error *failure = NULL;
  pail_status status = cache->fetch(cache->context, &fresh, &failure);
  int64_t now = clock_now(NULL);
  if (status == PAIL_OK && fresh.expires != 0 && fresh.expires <= now) {
    status = pail_error_set(&failure, PAIL_ERR_ACCESS_DENIED, 0, NULL, NULL,
                            "the credentials from %s had already expired "
                            "when they came (check this machine's clock)",
                            fresh.source ? fresh.source : "their provider");
    credentials_clear(&fresh);
  }
  pthread_mutex_lock(&cache->lock);
  cache->fetching = false;
  cache->attempts++;
  pail_error_free(cache->failure);
  cache->failure = NULL;
  if (status == PAIL_OK) {
    credentials_clear(&cache->current);
    cache->current = fresh;
    cache->have = true;
    moments(cache, now);
    cache->retry_at = 0;
  } else {
    cache->failure = failure ? error_copy(failure) : NULL;
    cache->retry_at = now + RETRY_PAUSE;
    if (err != NULL) {
      *err = failure;
      failure = NULL;
    }
  }
  pail_error_free(failure);
  pthread_cond_broadcast(&cache->done);
  return status;
}

pail_status credentials_get(pail_credentials_cache *cache,
                            pail_backend_credentials *out, pail_error **err) {
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&cache->lock);
  pail_status status = PAIL_OK;
  for (;;) {
    int64_t now = clock_now(NULL);
    if (cache->have && now < cache->stale)
      break;
    if (cache->have && now < cache->unusable) {
      /* Due for a refresh, still good: one caller tries, the others (and
       * everyone during the pause after a failure) go on. */
      if (cache->fetching || now < cache->retry_at)
        break;
      pail_error *failure = NULL;
      if (refresh(cache, &failure) != PAIL_OK && cache->have) {
        config_log(cache->cfg, PAIL_LOG_WARNING,
                   "could not refresh the credentials from %s (%s); the "
                   "current ones stay in use until they expire in %lld s",
                   cache->current.source ? cache->current.source
                                         : "their provider",
                   failure ? pail_error_message(failure) : "no reason given",
                   (long long)(cache->current.expires - clock_now(NULL)));
      }
      pail_error_free(failure);
      continue;
    }
    /* None, or too close to their end: one refresh, which all wait for. */
    if (cache->fetching) {
      unsigned attempt = cache->attempts;
      while (cache->fetching && cache->attempts == attempt)
        pthread_cond_wait(&cache->done, &cache->lock);
      if (cache->failure != NULL &&
          !(cache->have && clock_now(NULL) < cache->unusable)) {
        status = PAIL_ERR_INTERNAL;
        if (err != NULL && (*err = error_copy(cache->failure)) != NULL)
          status = pail_error_category(*err);
        break;
      }
      continue;
    }
    status = refresh(cache, err);
    if (status != PAIL_OK)
      break;
  }
  if (status == PAIL_OK)
    status = credentials_copy(&cache->current, out, err);
  pthread_mutex_unlock(&cache->lock);
  return status;
}

static bool same(const char *a, const char *b) {
  return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

void credentials_invalidate(pail_credentials_cache *cache,
                            const pail_backend_credentials *token) {
  pthread_mutex_lock(&cache->lock);
  if (cache->have && same(cache->current.access_key_id, token->access_key_id) &&
      same(cache->current.token, token->token)) {
    credentials_clear(&cache->current);
    cache->have = false;
  }
  pthread_mutex_unlock(&cache->lock);
}
