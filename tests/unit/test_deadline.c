/*
 * test_deadline.c — deadline_after_ms gives now + ms with tv_nsec in range, also when
 * the milliseconds carry into the seconds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "deadline.h"

static long long
ns_of(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static void
test_deadline_is_now_plus_ms_and_normalised(void **state)
{
	static const long ms[] = { 0, 1, 100, 999, 1000, 1500, 2999, 60000 };
	struct timespec before, d, after;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		clock_gettime(CLOCK_REALTIME, &before);
		deadline_after_ms(&d, ms[i]);
		clock_gettime(CLOCK_REALTIME, &after);
		assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
		assert_true(ns_of(&d) >= ns_of(&before) + ms[i] * 1000000LL);
		assert_true(ns_of(&d) <= ns_of(&after) + ms[i] * 1000000LL);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deadline_is_now_plus_ms_and_normalised),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
