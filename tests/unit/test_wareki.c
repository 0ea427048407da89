/*
 * test_wareki.c — era boundaries fall on the legal dates, the first year is 元年,
 * impossible dates are refused, and date arithmetic clamps to the month's end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "wareki.h"

static const char *
fmt(int y, int m, int d)
{
	static char buf[64];

	if (wareki_format(y, m, d, buf, sizeof buf) != 0)
		return "(refused)";
	return buf;
}

static void
test_era_boundaries(void **state)
{
	(void)state;
	assert_string_equal(fmt(1989, 1, 7), "昭和64年1月7日");
	assert_string_equal(fmt(1989, 1, 8), "平成元年1月8日");
	assert_string_equal(fmt(2019, 4, 30), "平成31年4月30日");
	assert_string_equal(fmt(2019, 5, 1), "令和元年5月1日");
	assert_string_equal(fmt(2026, 11, 22), "令和8年11月22日");
	assert_string_equal(fmt(1926, 12, 24), "大正15年12月24日");
	assert_string_equal(fmt(1926, 12, 25), "昭和元年12月25日");
	assert_string_equal(fmt(1912, 7, 29), "明治45年7月29日");
	assert_string_equal(fmt(1912, 7, 30), "大正元年7月30日");
	assert_string_equal(fmt(1868, 1, 25), "明治元年1月25日");
}

static void
test_before_meiji_and_impossible_dates_refused(void **state)
{
	(void)state;
	char small[8];

	assert_string_equal(fmt(1868, 1, 24), "(refused)");
	assert_string_equal(fmt(2026, 2, 29), "(refused)");
	assert_string_equal(fmt(2025, 4, 31), "(refused)");
	assert_string_equal(fmt(2025, 13, 1), "(refused)");
	assert_int_equal(wareki_format(2026, 11, 22, small, sizeof small), -1);
}

static void
test_leap_years(void **state)
{
	(void)state;
	assert_true(wareki_valid_date(2024, 2, 29));
	assert_true(wareki_valid_date(2000, 2, 29));
	assert_false(wareki_valid_date(1900, 2, 29));
	assert_false(wareki_valid_date(2026, 2, 29));
	assert_false(wareki_valid_date(2026, 0, 1));
	assert_false(wareki_valid_date(2026, 1, 0));
	assert_false(wareki_valid_date(10000, 1, 1));
	assert_int_equal(wareki_days_in_month(2024, 2), 29);
	assert_int_equal(wareki_days_in_month(2100, 2), 28);
}

static void
test_days_round_trip(void **state)
{
	(void)state;
	int y, m, d;

	assert_int_equal(wareki_days(1970, 1, 1), 0);
	assert_int_equal(wareki_days(2000, 3, 1) - wareki_days(2000, 2, 28), 2);
	for (long t = wareki_days(1868, 1, 1); t < wareki_days(2101, 1, 1); t += 17) {
		wareki_from_days(t, &y, &m, &d);
		assert_true(wareki_valid_date(y, m, d));
		assert_int_equal(wareki_days(y, m, d), t);
	}
}

static void
test_add_clamps_to_month_end(void **state)
{
	(void)state;
	int y = 2024, m = 2, d = 29;

	assert_int_equal(wareki_add(&y, &m, &d, 1, 0, 0), 0);
	assert_int_equal(y * 10000 + m * 100 + d, 20250228);
	y = 2026, m = 11, d = 22;
	assert_int_equal(wareki_add(&y, &m, &d, -18, 0, 0), 0);
	assert_int_equal(y * 10000 + m * 100 + d, 20081122);
	y = 2026, m = 1, d = 31;
	assert_int_equal(wareki_add(&y, &m, &d, 0, 1, 0), 0);
	assert_int_equal(y * 10000 + m * 100 + d, 20260228);
	y = 2026, m = 12, d = 20;
	assert_int_equal(wareki_add(&y, &m, &d, 0, 0, 30), 0);
	assert_int_equal(y * 10000 + m * 100 + d, 20270119);
	y = 2026, m = 1, d = 1;
	assert_int_equal(wareki_add(&y, &m, &d, 9000, 0, 0), -1);
}

static void
test_parse_both_notations(void **state)
{
	(void)state;
	int y, m, d;

	assert_int_equal(wareki_parse("令和8年11月22日", &y, &m, &d), 0);
	assert_int_equal(y * 10000 + m * 100 + d, 20261122);
	assert_int_equal(wareki_parse("R8.11.22", &y, &m, &d), 0);
	assert_int_equal(y * 10000 + m * 100 + d, 20261122);
	assert_int_equal(wareki_parse("h31/4/30", &y, &m, &d), 0);
	assert_int_equal(y * 10000 + m * 100 + d, 20190430);
	assert_int_equal(wareki_parse("平成元年1月8日", &y, &m, &d), 0);
	assert_int_equal(y * 10000 + m * 100 + d, 19890108);
	assert_int_equal(wareki_parse("S64.1.7", &y, &m, &d), 0);
	assert_int_equal(y * 10000 + m * 100 + d, 19890107);
}

static void
test_parse_refuses_dates_outside_their_era(void **state)
{
	(void)state;
	int y, m, d;

	assert_int_equal(wareki_parse("平成31年5月1日", &y, &m, &d), -1);	/* 令和元年 */
	assert_int_equal(wareki_parse("H32.1.1", &y, &m, &d), -1);
	assert_int_equal(wareki_parse("S64.1.8", &y, &m, &d), -1);
	assert_int_equal(wareki_parse("令和元年4月30日", &y, &m, &d), -1);
	assert_int_equal(wareki_parse("R8.2.29", &y, &m, &d), -1);
	assert_int_equal(wareki_parse("R8.11.22x", &y, &m, &d), -1);
	assert_int_equal(wareki_parse("R0.1.1", &y, &m, &d), -1);
	assert_int_equal(wareki_parse("X8.1.1", &y, &m, &d), -1);
	assert_int_equal(wareki_parse("令和8年11月", &y, &m, &d), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_era_boundaries),
		cmocka_unit_test(test_before_meiji_and_impossible_dates_refused),
		cmocka_unit_test(test_leap_years),
		cmocka_unit_test(test_days_round_trip),
		cmocka_unit_test(test_add_clamps_to_month_end),
		cmocka_unit_test(test_parse_both_notations),
		cmocka_unit_test(test_parse_refuses_dates_outside_their_era),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
