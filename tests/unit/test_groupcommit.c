/*
 * test_groupcommit.c — writers that arrive together share one commit, each gets its
 * own result, and a failing job takes nothing of the others with it.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "groupcommit.h"
#include "testutil.h"

static const struct db_migration migs[] = {
	{ 1, "CREATE TABLE item (n INTEGER PRIMARY KEY, who INTEGER NOT NULL) STRICT;" },
};

#define THREADS 8
#define PER_THREAD 200

struct fixture {
	char dir[PATH_MAX];
	struct db *db;
	pthread_mutex_t lock;
	struct groupcommit gc;
};

struct insert {
	long n;
	long who;
};

static int
insert_job(struct db *db, void *arg)
{
	struct insert *in = arg;
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO item (n, who) VALUES (?, ?)");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, in->n);
	sqlite3_bind_int64(st, 2, in->who);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : 1;	/* 1: e.g. a duplicate key */
}

static long
count_rows(struct db *db, const char *where_who)
{
	sqlite3_stmt *st = db_stmt(db, where_who ? "SELECT count(*) FROM item WHERE who = ?"
					     : "SELECT count(*) FROM item");
	long n;

	assert_non_null(st);
	if (where_who)
		sqlite3_bind_int64(st, 1, atol(where_who));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = (long)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char path[PATH_MAX + 16], err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/test_groupcommit.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/t.sqlite", f->dir);
	if (db_open(&f->db, path, DB_CREATE, migs, 1, err, sizeof err) != 0)
		return -1;
	pthread_mutex_init(&f->lock, NULL);
	if (groupcommit_init(&f->gc, f->db, &f->lock) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	groupcommit_destroy(&f->gc);
	pthread_mutex_destroy(&f->lock);
	db_close(f->db);
	testutil_rmtree(f->dir);
	free(f);
	return 0;
}

static void
test_lone_writer_commits_at_once(void **state)
{
	struct fixture *f = *state;
	struct insert in = { 1, 7 };

	assert_int_equal(groupcommit_run(&f->gc, insert_job, &in), 0);
	assert_int_equal(count_rows(f->db, "7"), 1);
	assert_int_equal(f->gc.batches, 1);
	/* A duplicate key: the job's own failure code comes back, nothing is kept. */
	in.who = 8;
	assert_int_equal(groupcommit_run(&f->gc, insert_job, &in), 1);
	assert_int_equal(count_rows(f->db, "8"), 0);
	assert_int_equal(count_rows(f->db, NULL), 1);
}

struct writer {
	struct fixture *f;
	long who;
	int failures;	/* jobs that returned non-zero (expected: the duplicates) */
	int errors;	/* anything else */
};

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct insert in;
	int i, rc;

	for (i = 0; i < PER_THREAD; i++) {
		/* Every 10th insert reuses key 0: exactly one thread's wins. */
		in.n = (i % 10 == 9) ? 0 : w->who * 100000 + i + 1;
		in.who = w->who;
		rc = groupcommit_run(&w->f->gc, insert_job, &in);
		if (rc == 1)
			w->failures++;
		else if (rc != 0)
			w->errors++;
	}
	return NULL;
}

static void
test_concurrent_writers_share_commits(void **state)
{
	struct fixture *f = *state;
	struct writer w[THREADS];
	pthread_t th[THREADS];
	int i, failures = 0;
	long total;

	for (i = 0; i < THREADS; i++) {
		w[i] = (struct writer){ .f = f, .who = i + 1 };
		assert_int_equal(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].errors, 0);
		failures += w[i].failures;
	}
	/* Each writer tried key 0 PER_THREAD/10 times; exactly one attempt succeeded. */
	assert_int_equal(failures, THREADS * PER_THREAD / 10 - 1);
	total = count_rows(f->db, NULL);
	assert_int_equal(total, THREADS * PER_THREAD - failures);
	for (i = 0; i < THREADS; i++) {
		char who[16];
		long expect = PER_THREAD - PER_THREAD / 10;

		snprintf(who, sizeof who, "%d", i + 1);
		/* The one thread that won key 0 has one more row. */
		assert_in_range(count_rows(f->db, who), expect, expect + 1);
	}
	assert_int_equal(f->gc.jobs, (unsigned long)(THREADS * PER_THREAD));
	/* Several writers per fsync: the whole point. */
	printf("# %lu jobs in %lu batches\n", f->gc.jobs, f->gc.batches);
	assert_true(f->gc.batches < f->gc.jobs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lone_writer_commits_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writers_share_commits, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
