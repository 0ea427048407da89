/*
 * test_deadline.c — deadline_after_ms gives now + ms with tv_nsec in range, also when
 * the milliseconds carry into the seconds; deadline_poll_in answers as soon as there
 * is something to read, waits out the deadline when there is nothing, and reports a
 * closed peer as readable (for the read to find the end).
 */
#include <setjmp.h>
#include <unistd.h>
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

static void
test_poll_in_waits_for_data_or_the_deadline(void **state)
{
	uint64_t t0;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	t0 = deadline_now_ms();
	assert_int_equal(deadline_poll_in(p[0], t0 + 50), -ETIMEDOUT);
	assert_true(deadline_now_ms() - t0 >= 50);
	/* A deadline already past does not wait at all. */
	assert_int_equal(deadline_poll_in(p[0], t0), -ETIMEDOUT);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(deadline_poll_in(p[0], deadline_now_ms() + 10000), 0);
	close(p[1]);
	close(p[0]);
	assert_int_equal(pipe(p), 0);
	close(p[1]);
	assert_int_equal(deadline_poll_in(p[0], deadline_now_ms() + 10000), 0);	/* EOF */
	close(p[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deadline_is_now_plus_ms_and_normalised),
		cmocka_unit_test(test_poll_in_waits_for_data_or_the_deadline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
