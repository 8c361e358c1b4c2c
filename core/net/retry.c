/*
 * retry.c: the one retry policy of pail, applied by the HTTP services
 * (http_*.c) to every backend's requests. Exponential backoff with full jitter
 * (a delay drawn uniformly from [0, min(cap, base * 2^n)], as in AWS's
 * "Exponential Backoff And Jitter"), a cap on attempts and on the time since
 * the first attempt, and the server's Retry-After honoured when it fits in that
 * time. What is transient is decided here too, so that every backend agrees.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RETRY_DEFAULT_ATTEMPTS 5
#define RETRY_DEFAULT_TIME_LIMIT_MS 60000
#define RETRY_BASE_MS 200
#define RETRY_CAP_MS 20000

retry_policy retry_policy_default(void) {
  retry_policy p = {RETRY_DEFAULT_ATTEMPTS, RETRY_DEFAULT_TIME_LIMIT_MS,
                    RETRY_BASE_MS, RETRY_CAP_MS};
  return p;
}

retry_policy retry_policy_for(const pail_config *cfg) {
  retry_policy p = retry_policy_default();
  if (cfg == NULL)
    return p;
  if (cfg->max_attempts > 0)
    p.max_attempts = cfg->max_attempts;
  if (cfg->retry_time_limit_ms > 0)
    p.time_limit_ms = cfg->retry_time_limit_ms;
  return p;
}

int64_t retry_clock_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool retry_method_is_idempotent(const char *method) {
  /* POST creates (a multipart upload, a resumable session) or acts on a
   * list (DeleteObjects): replaying it blind could leave an orphan behind,
   * so backends resume such sequences themselves. */
  return method != NULL && strcmp(method, "POST") != 0 &&
         strcmp(method, "PATCH") != 0;
}

bool retry_status_is_transient(int status) {
  return status == 408 || status == 429 || status == 500 || status == 502 ||
         status == 503 || status == 504;
}

int64_t retry_after_ms(const char *value) {
  if (value == NULL)
    return -1;
  while (*value == ' ' || *value == '\t')
    value++;
  if (*value >= '0' && *value <= '9') {
    errno = 0;
    char *end = NULL;
    long long seconds = strtoll(value, &end, 10);
    while (end && (*end == ' ' || *end == '\t'))
      end++;
    if (errno != 0 || end == NULL || *end != '\0' || seconds > 86400)
      return -1;
    return (int64_t)seconds * 1000;
  }
  int64_t at = 0;
  if (clock_parse_provider_time(value, &at, NULL) != PAIL_OK)
    return -1;
  int64_t now = (int64_t)time(NULL); /* the real clock, not a test's */
  return at > now ? (at - now) * 1000 : 0;
}

/* A uniform draw from [0, limit]. Jitter needs no secrecy, but the core's
 * random source is already there and retries are rare. */
static int64_t draw(int64_t limit) {
  uint64_t r = 0;
  if (limit <= 0 || crypto_random(&r, sizeof r, NULL) != PAIL_OK)
    return limit > 0 ? limit / 2 : 0;
  return (int64_t)(r % ((uint64_t)limit + 1));
}

bool retry_next(const retry_policy *policy, int attempts_made,
                int64_t first_attempt_ms, int64_t server_delay_ms,
                int64_t *delay_ms) {
  *delay_ms = 0;
  if (attempts_made >= policy->max_attempts)
    return false;
  int64_t ceiling = policy->base_ms;
  for (int i = 1; i < attempts_made && ceiling < policy->cap_ms; i++)
    ceiling *= 2;
  if (ceiling > policy->cap_ms)
    ceiling = policy->cap_ms;
  int64_t delay = draw(ceiling);
  if (server_delay_ms > delay)
    delay = server_delay_ms;
  int64_t elapsed = retry_clock_ms() - first_attempt_ms;
  if (elapsed + delay > policy->time_limit_ms)
    return false;
  *delay_ms = delay;
  return true;
}

void retry_sleep_ms(int64_t ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}
