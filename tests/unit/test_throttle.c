/*
 * test_throttle.c — lockout after repeated failures, reset on success, and the
 * bounded token-bucket limiter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "throttle.h"
#include "testutil.h"

static const struct db_migration migs[] = { { 1, THROTTLE_SQL } };
static const struct throttle_policy pol = { 5, 900, 900 };

struct fixture {
	char dir[64];
	struct db *db;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char path[128], err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/sekisho-throttle-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof path, "%s/t.sqlite", f->dir);
	assert_int_equal(db_open(&f->db, path, DB_CREATE, migs, 1, err, sizeof err), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	db_close(f->db);
	assert_int_equal(testutil_rmtree(f->dir), 0);
	free(f);
	return 0;
}

static void
test_fifth_failure_within_window_locks_for_lockout(void **state)
{
	struct fixture *f = *state;
	time_t until = 0;

	for (int i = 0; i < 4; i++) {
		assert_int_equal(throttle_fail(f->db, &pol, "login:alice", 1000 + i), 0);
		assert_int_equal(throttle_locked(f->db, "login:alice", 1000 + i, NULL), 0);
	}
	assert_int_equal(throttle_fail(f->db, &pol, "login:alice", 1004), 1);
	assert_int_equal(throttle_locked(f->db, "login:alice", 1005, &until), 1);
	assert_int_equal(until, 1004 + 900);
	/* More failures while locked do not move the end of the lock. */
	assert_int_equal(throttle_fail(f->db, &pol, "login:alice", 1500), 1);
	assert_int_equal(throttle_locked(f->db, "login:alice", 1004 + 899, &until), 1);
	assert_int_equal(until, 1004 + 900);
	assert_int_equal(throttle_locked(f->db, "login:alice", 1004 + 900, NULL), 0);
	/* Other keys are untouched. */
	assert_int_equal(throttle_locked(f->db, "login:bob", 1005, NULL), 0);
	/* After the lock, a fresh count. */
	assert_int_equal(throttle_fail(f->db, &pol, "login:alice", 1004 + 901), 0);
}

static void
test_failures_spread_over_windows_do_not_lock(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 20; i++)
		assert_int_equal(throttle_fail(f->db, &pol, "login:carol", 1000 + i * 300), 0);
}

static void
test_success_resets_the_count(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 4; i++)
		throttle_fail(f->db, &pol, "login:dave", 1000 + i);
	assert_int_equal(throttle_reset(f->db, "login:dave"), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(throttle_fail(f->db, &pol, "login:dave", 1010 + i), 0);
	assert_int_equal(throttle_fail(f->db, &pol, "login:dave", 1020), 1);
	assert_int_equal(throttle_reset(f->db, "login:dave"), 0);
	assert_int_equal(throttle_locked(f->db, "login:dave", 1021, NULL), 0);
	assert_int_equal(throttle_purge(f->db, &pol, 1021), 0);
}

static void
test_over_long_key_refused(void **state)
{
	struct fixture *f = *state;
	char key[THROTTLE_KEY_MAX + 2];

	memset(key, 'k', sizeof key - 1);
	key[sizeof key - 1] = '\0';
	assert_int_equal(throttle_fail(f->db, &pol, key, 1), -1);
	assert_int_equal(throttle_locked(f->db, key, 1, NULL), -1);
	assert_int_equal(throttle_fail(f->db, &pol, "", 1), -1);
}

static void
test_bucket_allows_burst_then_refills_at_rate(void **state)
{
	struct ratelimit *rl = ratelimit_new(16, 2.0, 3.0);

	(void)state;
	assert_non_null(rl);
	assert_true(ratelimit_take(rl, "10.0.0.1", 0));
	assert_true(ratelimit_take(rl, "10.0.0.1", 0));
	assert_true(ratelimit_take(rl, "10.0.0.1", 0));
	assert_false(ratelimit_take(rl, "10.0.0.1", 0));
	assert_true(ratelimit_take(rl, "10.0.0.2", 0));	/* its own bucket */
	assert_false(ratelimit_take(rl, "10.0.0.1", 400));	/* 0.8 token */
	assert_true(ratelimit_take(rl, "10.0.0.1", 500));	/* 1.0 */
	assert_false(ratelimit_take(rl, "10.0.0.1", 500));
	/* Refill is capped at burst. */
	assert_true(ratelimit_take(rl, "10.0.0.1", 100000));
	assert_true(ratelimit_take(rl, "10.0.0.1", 100000));
	assert_true(ratelimit_take(rl, "10.0.0.1", 100000));
	assert_false(ratelimit_take(rl, "10.0.0.1", 100000));
	ratelimit_free(rl);
	assert_null(ratelimit_new(0, 1, 1));
	assert_null(ratelimit_new(4, 0, 1));
}

static void
test_key_count_bounded_least_recent_forgotten(void **state)
{
	struct ratelimit *rl = ratelimit_new(4, 1.0, 1.0);
	char k[32];

	(void)state;
	assert_true(ratelimit_take(rl, "hot", 0));
	assert_false(ratelimit_take(rl, "hot", 0));
	for (int i = 0; i < 1000; i++) {
		snprintf(k, sizeof k, "flood-%d", i);
		assert_true(ratelimit_take(rl, k, 0));
		assert_true(ratelimit_size(rl) <= 4);
		if (i % 2 == 0)	/* keep "hot" recently used: it must stay */
			assert_false(ratelimit_take(rl, "hot", 0));
	}
	assert_int_equal(ratelimit_size(rl), 4);
	/* flood-0 was forgotten long ago: it starts with a full bucket again. */
	assert_true(ratelimit_take(rl, "flood-0", 0));
	ratelimit_free(rl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fifth_failure_within_window_locks_for_lockout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_spread_over_windows_do_not_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_success_resets_the_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_over_long_key_refused, setup, teardown),
		cmocka_unit_test(test_bucket_allows_burst_then_refills_at_rate),
		cmocka_unit_test(test_key_count_bounded_least_recent_forgotten),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
