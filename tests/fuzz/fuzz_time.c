/*
 * fuzz_time.c: the two time parsers on any text: pail_time_parse (the CLI's
 * --at: RFC 3339, 20261125T100000Z, epoch seconds) and the time_parse
 * service backends use for provider times (RFC 3339 with fraction, HTTP
 * dates). Both read a text that starts with a digit the same way; a time
 * the first accepts prints back, in both of its forms, to the same second;
 * a fraction stays within 0..999999999 ns.
 */
#include "internal.h"

#include <ctype.h>
#include <time.h>

#include "fuzz.h"

/* Year 10000 starts here: past it a year no longer fits the 4 digits the
 * forms allow. */
#define YEAR_10000 INT64_C(253402300800)

/* Prints seconds with strftime format and parses the result again. */
static void check_reprint(int64_t seconds, const char *format) {
  time_t t = (time_t)seconds;
  struct tm tm;
  char printed[64];
  FUZZ_ASSERT(gmtime_r(&t, &tm) != NULL);
  FUZZ_ASSERT(strftime(printed, sizeof printed, format, &tm) > 0);
  int64_t again = 0;
  pail_status status = pail_time_parse(printed, &again, NULL);
  if (status != PAIL_OK || again != seconds)
    fprintf(stderr, "%lld printed as %s reads back as %lld (status %d)\n",
            (long long)seconds, printed, (long long)again, status);
  FUZZ_ASSERT(status == PAIL_OK && again == seconds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_string(data, size);
  if (text == NULL)
    return 0;
  const pail_core_services *core = pail_core_services_get();

  int64_t provider_seconds = 0, seconds_alone = 0;
  int32_t nsec = -1;
  pail_status provider = core->time_parse(text, &provider_seconds, &nsec);
  FUZZ_ASSERT(provider == PAIL_OK || provider == PAIL_ERR_INVALID_ARGUMENT);
  /* nsec is optional and changes nothing else. */
  FUZZ_ASSERT(core->time_parse(text, &seconds_alone, NULL) == provider);
  if (provider == PAIL_OK) {
    FUZZ_ASSERT(nsec >= 0 && nsec <= 999999999);
    FUZZ_ASSERT(seconds_alone == provider_seconds);
  }

  int64_t seconds = 0;
  pail_error *err = NULL;
  pail_status status = pail_time_parse(text, &seconds, &err);
  if (status != PAIL_OK) {
    FUZZ_ASSERT(status == PAIL_ERR_INVALID_ARGUMENT && err != NULL);
    FUZZ_ASSERT(pail_error_category(err) == status);
    pail_error_free(err);
  } else {
    FUZZ_ASSERT(err == NULL);
    if (seconds >= 0 && seconds < YEAR_10000) {
      check_reprint(seconds, "%Y%m%dT%H%M%SZ");
      check_reprint(seconds, "%Y-%m-%dT%H:%M:%SZ");
    }
  }
  if (isdigit((unsigned char)text[0])) {
    FUZZ_ASSERT((status == PAIL_OK) == (provider == PAIL_OK));
    FUZZ_ASSERT(status != PAIL_OK || seconds == provider_seconds);
  }
  free(text);
  return 0;
}
