/*
 * test_timefmt.c — one spelling of an instant in, the same instant out, in UTC and
 * in Japan time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "timefmt.h"

static void
test_parse_accepts_utc_and_offsets(void **state)
{
	time_t t, u;
	char buf[TIMEFMT_LEN];

	(void)state;
	assert_int_equal(timefmt_parse_rfc3339("2026-04-01T00:00:00Z", &t), 0);
	assert_int_equal((long long)t, 1775001600LL);
	assert_int_equal(timefmt_parse_rfc3339("2026-04-01T09:00:00+09:00", &u), 0);
	assert_int_equal((long long)u, (long long)t);
	assert_int_equal(timefmt_parse_rfc3339("2026-03-31T19:00:00-05:00", &u), 0);
	assert_int_equal((long long)u, (long long)t);
	timefmt_utc(t, buf);
	assert_string_equal(buf, "2026-04-01T00:00:00Z");
	timefmt_jst_rfc3339(t, buf);
	assert_string_equal(buf, "2026-04-01T09:00:00+09:00");
	timefmt_jst_text(t, buf);
	assert_string_equal(buf, "2026年4月1日 9時00分");
	/* 23:30 UTC is already the next day in Japan. */
	assert_int_equal(timefmt_parse_rfc3339("2026-11-21T23:30:00Z", &t), 0);
	timefmt_jst_day(t, buf);
	assert_string_equal(buf, "20261122");
}

static void
test_parse_refuses_other_spellings(void **state)
{
	static const char *bad[] = {
		"", "2026-04-01", "2026-04-01 09:00:00Z", "2026-04-01T09:00:00",
		"2026-04-01T09:00:00+0900", "2026-4-01T09:00:00Z", "2026-02-29T00:00:00Z",
		"2026-13-01T00:00:00Z", "2026-04-31T00:00:00Z", "2026-04-01T24:00:00Z",
		"2026-04-01T09:00:00Z ", "+026-04-01T09:00:00Z", "2026-04-01T09:00:00+24:00",
		"1899-12-31T00:00:00Z", "2026-04-01T09:00:60Z",
	};
	time_t t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(timefmt_parse_rfc3339(bad[i], &t), -1);
	assert_int_equal(timefmt_parse_rfc3339(NULL, &t), -1);
	/* A real leap day is a date. */
	assert_int_equal(timefmt_parse_rfc3339("2028-02-29T00:00:00Z", &t), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_accepts_utc_and_offsets),
		cmocka_unit_test(test_parse_refuses_other_spellings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
