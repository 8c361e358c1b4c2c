/*
 * test_credentials.c: the core's cache of credentials that expire
 * (core/credentials.c): fetched once however many threads ask, refreshed
 * before the end by one caller while the others go on, the old ones kept
 * (with a warning) when a refresh fails while they are still good, never
 * handed out past their last minute, and fetched again once invalidated.
 * The clock is $PAIL_TEST_NOW, moved by the tests.
 */
#include "internal.h"
#include "testutil.h"

#include <pthread.h>
#include <unistd.h>

#define T0 INT64_C(1800000000)

static storage_settings storage;
static pail_config cfg;
static char log_buffer[4096];
static const char *log_text = log_buffer;

static void capture_log(void *user, pail_log_level level, const char *line) {
  (void)user;
  if (level == PAIL_LOG_WARNING)
    snprintf(log_buffer, sizeof log_buffer, "%s", line);
}

/* What the fake provider hands out, and how often it was asked. */
typedef struct provider {
  pthread_mutex_t lock;
  int fetches;
  int in_flight, most_in_flight;
  int64_t lifetime; /* 0: credentials that never expire */
  pail_status fail; /* PAIL_OK: succeed */
  useconds_t delay; /* a slow provider */
} provider;

static provider p;

static pail_status fetch(void *context, pail_backend_credentials *out,
                         pail_error **err) {
  provider *pr = context;
  pthread_mutex_lock(&pr->lock);
  int n = ++pr->fetches;
  if (++pr->in_flight > pr->most_in_flight)
    pr->most_in_flight = pr->in_flight;
  pthread_mutex_unlock(&pr->lock);
  if (pr->delay)
    usleep(pr->delay);
  pthread_mutex_lock(&pr->lock);
  pr->in_flight--;
  pthread_mutex_unlock(&pr->lock);
  if (pr->fail != PAIL_OK)
    return pail_error_set(err, pr->fail, 503, "ServiceUnavailable", "req-1",
                          "the provider is down");
  char key[32];
  snprintf(key, sizeof key, "ASIA%d", n);
  out->access_key_id = strdup(key);
  out->secret_access_key = strdup("secret");
  out->token = strdup("token");
  out->source = strdup("the fake provider");
  out->expires = pr->lifetime ? clock_now(NULL) + pr->lifetime : 0;
  return PAIL_OK;
}

static void at(int64_t t) {
  char text[32];
  snprintf(text, sizeof text, "%lld", (long long)t);
  setenv("PAIL_TEST_NOW", text, 1);
}

static void setup(void) {
  memset(&p, 0, sizeof p);
  pthread_mutex_init(&p.lock, NULL);
  log_buffer[0] = '\0';
  at(T0);
}

static void teardown(void) {
  unsetenv("PAIL_TEST_NOW");
  pthread_mutex_destroy(&p.lock);
}

/* Gets the credentials, expecting them, and returns their key id's
 * number (ASIA<n>). */
static int get_ok(pail_credentials_cache *cache) {
  pail_backend_credentials c;
  pail_error *err = NULL;
  ck_assert_int_eq(credentials_get(cache, &c, &err), PAIL_OK);
  ck_assert_ptr_null(err);
  ck_assert_str_eq(c.secret_access_key, "secret");
  int n = atoi(c.access_key_id + 4);
  credentials_clear(&c);
  ck_assert_ptr_null(c.access_key_id);
  return n;
}

static pail_credentials_cache *cache_new(void) {
  pail_credentials_cache *cache = NULL;
  ck_assert_int_eq(credentials_cache_new(&cfg, fetch, &p, &cache, NULL),
                   PAIL_OK);
  return cache;
}

START_TEST(credentials_that_never_expire_are_fetched_once) {
  pail_credentials_cache *cache = cache_new();
  ck_assert_int_eq(p.fetches, 0); /* not before they are asked for */
  for (int i = 0; i < 5; i++)
    ck_assert_int_eq(get_ok(cache), 1);
  at(T0 + 10 * 365 * 86400);
  ck_assert_int_eq(get_ok(cache), 1);
  ck_assert_int_eq(p.fetches, 1);
  credentials_cache_free(cache);
}
END_TEST

static void *getter(void *cache) {
  for (int i = 0; i < 100; i++)
    get_ok(cache);
  return NULL;
}

START_TEST(eight_threads_asking_at_once_make_one_request) {
  unsetenv("PAIL_TEST_NOW"); /* the real clock: threads */
  p.lifetime = 3600;
  p.delay = 200000;
  pail_credentials_cache *cache = cache_new();
  pthread_t threads[8];
  for (int i = 0; i < 8; i++)
    ck_assert_int_eq(pthread_create(&threads[i], NULL, getter, cache), 0);
  for (int i = 0; i < 8; i++)
    pthread_join(threads[i], NULL);
  ck_assert_int_eq(p.fetches, 1);
  credentials_cache_free(cache);
}
END_TEST

START_TEST(a_refresh_comes_before_the_end_and_a_failed_one_keeps_the_old) {
  p.lifetime = 1000; /* stale at +700, unusable at +940 */
  pail_credentials_cache *cache = cache_new();
  ck_assert_int_eq(get_ok(cache), 1);
  at(T0 + 699);
  ck_assert_int_eq(get_ok(cache), 1);
  ck_assert_int_eq(p.fetches, 1);
  /* Due: the provider fails, the old ones stay, with a warning. */
  p.fail = PAIL_ERR_UNAVAILABLE;
  at(T0 + 701);
  ck_assert_int_eq(get_ok(cache), 1);
  ck_assert_int_eq(p.fetches, 2);
  ck_assert_contains(log_text, "could not refresh the credentials from the "
                               "fake provider (the provider is down)");
  ck_assert_contains(log_text, "expire in 299 s");
  /* Not retried on every call: after a pause. */
  at(T0 + 705);
  ck_assert_int_eq(get_ok(cache), 1);
  ck_assert_int_eq(p.fetches, 2);
  at(T0 + 712);
  ck_assert_int_eq(get_ok(cache), 1);
  ck_assert_int_eq(p.fetches, 3);
  /* The provider is back: new credentials. */
  p.fail = PAIL_OK;
  at(T0 + 723);
  ck_assert_int_eq(get_ok(cache), 4);
  credentials_cache_free(cache);
}
END_TEST

START_TEST(credentials_in_their_last_minute_are_never_handed_out) {
  p.lifetime = 1000;
  pail_credentials_cache *cache = cache_new();
  ck_assert_int_eq(get_ok(cache), 1);
  p.fail = PAIL_ERR_UNAVAILABLE;
  at(T0 + 940); /* 60 s before they expire */
  pail_backend_credentials c;
  pail_error *err = NULL;
  ck_assert_int_eq(credentials_get(cache, &c, &err), PAIL_ERR_UNAVAILABLE);
  ck_assert_ptr_null(c.access_key_id);
  ck_assert_str_eq(pail_error_message(err), "the provider is down");
  ck_assert_int_eq(pail_error_http_status(err), 503);
  ck_assert_str_eq(pail_error_request_id(err), "req-1");
  pail_error_free(err);
  /* Each caller tries again: no pause once they are unusable. */
  err = NULL;
  ck_assert_int_eq(credentials_get(cache, &c, &err), PAIL_ERR_UNAVAILABLE);
  pail_error_free(err);
  ck_assert_int_eq(p.fetches, 3);
  credentials_cache_free(cache);
}
END_TEST

START_TEST(credentials_expired_on_arrival_are_refused) {
  p.lifetime = -5;
  pail_credentials_cache *cache = cache_new();
  pail_backend_credentials c;
  pail_error *err = NULL;
  ck_assert_int_eq(credentials_get(cache, &c, &err), PAIL_ERR_ACCESS_DENIED);
  ck_assert_contains(pail_error_message(err),
                     "the credentials from the fake provider had already "
                     "expired when they came");
  pail_error_free(err);
  credentials_cache_free(cache);
}
END_TEST

START_TEST(invalidated_credentials_are_fetched_again) {
  p.lifetime = 3600;
  pail_credentials_cache *cache = cache_new();
  pail_backend_credentials c;
  ck_assert_int_eq(credentials_get(cache, &c, NULL), PAIL_OK);
  /* Another copy's invalidation does nothing to newer credentials. */
  pail_backend_credentials other = {.access_key_id = "ASIA9", .token = "token"};
  credentials_invalidate(cache, &other);
  ck_assert_int_eq(get_ok(cache), 1);
  credentials_invalidate(cache, &c);
  ck_assert_int_eq(get_ok(cache), 2);
  credentials_invalidate(cache, &c); /* stale copy: nothing */
  ck_assert_int_eq(get_ok(cache), 2);
  credentials_clear(&c);
  credentials_cache_free(cache);
}
END_TEST

int main(void) {
  storage.name = "s";
  storage.fields = json_object();
  cfg.storage = &storage;
  cfg.log = capture_log;
  cfg.log_level = PAIL_LOG_DEBUG;
  Suite *suite = suite_create("credentials");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, credentials_that_never_expire_are_fetched_once);
  tcase_add_test(tc, eight_threads_asking_at_once_make_one_request);
  tcase_add_test(tc,
                 a_refresh_comes_before_the_end_and_a_failed_one_keeps_the_old);
  tcase_add_test(tc, credentials_in_their_last_minute_are_never_handed_out);
  tcase_add_test(tc, credentials_expired_on_arrival_are_refused);
  tcase_add_test(tc, invalidated_credentials_are_fetched_again);
  suite_add_tcase(suite, tc);
  int status = test_run_suite(suite);
  json_decref(storage.fields);
  return status;
}
