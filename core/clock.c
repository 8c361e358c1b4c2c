/*
 * clock.c: the library's one clock, and parsing of the time forms users give
 * (`pail sign --at`). Signing code asks this clock, never time(), so tests can
 * fix the time with $PAIL_TEST_NOW.
 */
#include "internal.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t clock_now(int32_t *nsec) {
  const char *fixed = getenv("PAIL_TEST_NOW");
  if (fixed != NULL && *fixed != '\0') {
    int64_t t;
    if (clock_parse_time(fixed, &t, NULL) == PAIL_OK) {
      if (nsec)
        *nsec = 0;
      return t;
    }
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (nsec)
    *nsec = (int32_t)ts.tv_nsec;
  return (int64_t)ts.tv_sec;
}

/* Reads exactly `width` digits. */
static bool read_digits(const char **p, int width, int *out) {
  int v = 0;
  for (int i = 0; i < width; i++) {
    if (!isdigit((unsigned char)(*p)[i]))
      return false;
    v = v * 10 + ((*p)[i] - '0');
  }
  *p += width;
  *out = v;
  return true;
}

static bool valid_fields(int year, int month, int day, int hour, int minute,
                         int second) {
  static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1970 || month < 1 || month > 12 || day < 1 ||
      day > days[month - 1] || hour > 23 || minute > 59 || second > 60)
    return false;
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return !(month == 2 && day == 29 && !leap);
}

pail_status clock_parse_time(const char *text, int64_t *out, pail_error **err) {
  const char *p = text;
  int year, month, day, hour, minute, second;
  if (*p != '\0' && strspn(p, "0123456789") == strlen(p) && strlen(p) <= 12) {
    *out = strtoll(p, NULL, 10); /* seconds since the epoch */
    return PAIL_OK;
  }
  bool compact = strlen(p) == 16 && p[8] == 'T';
  if (compact) { /* 20060102T150405Z */
    if (!read_digits(&p, 4, &year) || !read_digits(&p, 2, &month) ||
        !read_digits(&p, 2, &day) || *p++ != 'T' ||
        !read_digits(&p, 2, &hour) || !read_digits(&p, 2, &minute) ||
        !read_digits(&p, 2, &second) || *p++ != 'Z' || *p != '\0')
      goto bad;
  } else { /* 2006-01-02T15:04:05[.frac](Z|+hh:mm|-hh:mm) */
    if (!read_digits(&p, 4, &year) || *p++ != '-' ||
        !read_digits(&p, 2, &month) || *p++ != '-' ||
        !read_digits(&p, 2, &day) || (*p != 'T' && *p != 't' && *p != ' '))
      goto bad;
    p++;
    if (!read_digits(&p, 2, &hour) || *p++ != ':' ||
        !read_digits(&p, 2, &minute) || *p++ != ':' ||
        !read_digits(&p, 2, &second))
      goto bad;
    if (*p == '.') {
      p++;
      if (!isdigit((unsigned char)*p))
        goto bad;
      while (isdigit((unsigned char)*p))
        p++;
    }
    int offset = 0;
    if (*p == 'Z' || *p == 'z') {
      p++;
    } else if (*p == '+' || *p == '-') {
      int sign = *p++ == '-' ? -1 : 1, oh, om;
      if (!read_digits(&p, 2, &oh) || *p++ != ':' || !read_digits(&p, 2, &om) ||
          oh > 23 || om > 59)
        goto bad;
      offset = sign * (oh * 3600 + om * 60);
    } else {
      goto bad;
    }
    if (*p != '\0')
      goto bad;
    if (!valid_fields(year, month, day, hour, minute, second))
      goto bad;
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = month - 1,
                    .tm_mday = day,
                    .tm_hour = hour,
                    .tm_min = minute,
                    .tm_sec = second};
    *out = (int64_t)timegm(&tm) - offset;
    return PAIL_OK;
  }
  if (!valid_fields(year, month, day, hour, minute, second))
    goto bad;
  struct tm tm = {.tm_year = year - 1900,
                  .tm_mon = month - 1,
                  .tm_mday = day,
                  .tm_hour = hour,
                  .tm_min = minute,
                  .tm_sec = second};
  *out = (int64_t)timegm(&tm);
  return PAIL_OK;
bad:
  return pail_error_set(err, PAIL_ERR_INVALID_ARGUMENT, 0, NULL, NULL,
                        "invalid time \"%.64s\": expected RFC 3339 "
                        "(2026-11-25T10:00:00Z), 20261125T100000Z or seconds "
                        "since the epoch",
                        text);
}

pail_status pail_time_parse(const char *text, int64_t *seconds,
                            pail_error **err) {
  ARGUMENT_REQUIRED(err, text, "time");
  ARGUMENT_REQUIRED(err, seconds, "place for the seconds");
  return clock_parse_time(text, seconds, err);
}

void clock_format_rfc3339(int64_t seconds, char out[32]) {
  struct tm tm;
  time_t t = (time_t)seconds;
  if (gmtime_r(&t, &tm) == NULL ||
      strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    snprintf(out, 32, "%lld", (long long)seconds);
}

int64_t pail_time_now(void) {
  return clock_now(NULL);
}

pail_status clock_parse_provider_time(const char *text, int64_t *seconds,
                                      int32_t *nsec) {
  if (nsec != NULL)
    *nsec = 0;
  if (text == NULL)
    return PAIL_ERR_INVALID_ARGUMENT;
  if (isdigit((unsigned char)text[0])) {
    if (clock_parse_time(text, seconds, NULL) != PAIL_OK)
      return PAIL_ERR_INVALID_ARGUMENT;
    /* clock_parse_time checked the form; take the fraction, if any. */
    const char *dot = strchr(text, '.');
    if (nsec != NULL && dot != NULL && strchr(text, 'T') < dot) {
      int32_t value = 0, scale = 100000000;
      for (const char *p = dot + 1; isdigit((unsigned char)*p) && scale > 0;
           p++, scale /= 10)
        value += (*p - '0') * scale;
      *nsec = value;
    }
    return PAIL_OK;
  }
  /* HTTP dates (and the obsolete forms RFC 7231 says to accept): curl's
   * parser is locale-independent, unlike strptime's %a and %b. */
  time_t t = curl_getdate(text, NULL);
  if (t == (time_t)-1)
    return PAIL_ERR_INVALID_ARGUMENT;
  *seconds = (int64_t)t;
  return PAIL_OK;
}
