/*
 * test_workflow_outbox.c — status events leave in batches, as office-signed bundles
 * that verify, and a crash between writing a bundle and recording it writes the same
 * bundle (same id, same events) again instead of a second one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "crypto.h"
#include "jsonio.h"
#include "office_db.h"
#include "status_out.h"
#include "testutil.h"

struct fixture {
	char dir[64];
	struct tenant t;
	struct spool out;
	uint8_t pub[32], priv[32];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char path[128], err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/sekisho-outbox-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof path, "%s/demo.sqlite", f->dir);
	assert_int_equal(db_open(&f->t.db, path, DB_CREATE, office_db_migrations,
				 office_db_nmigrations, err, sizeof err), 0);
	snprintf(f->t.name, sizeof f->t.name, "demo");
	pthread_mutex_init(&f->t.lock, NULL);
	snprintf(path, sizeof path, "%s/downlink-out", f->dir);
	assert_int_equal(spool_open(&f->out, path, true), 0);
	assert_int_equal(crypto_ed25519_keygen(f->pub, f->priv), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	spool_close(&f->out);
	db_close(f->t.db);
	pthread_mutex_destroy(&f->t.lock);
	assert_int_equal(testutil_rmtree(f->dir), 0);
	free(f);
	return 0;
}

static void
enqueue(struct fixture *f, const char *receipt, const char *status, const char *message)
{
	assert_int_equal(status_out_enqueue(f->t.db, receipt, status, 1795000000, message), 0);
}

/* The events of the bundle id in the spool, verified with the office's key. */
static json_t *
bundle_events(struct fixture *f, const char *id)
{
	struct spool_item item;
	struct bundle_check chk = { .signer_pub = f->pub };
	struct bundle_info info;
	char err[256];
	json_t *events;
	int fd;

	assert_int_equal(spool_claim(&f->out, &item), SPOOL_OK);
	assert_string_equal(item.id, id);
	bundle_limits_default(&chk.limits);
	fd = open(item.path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(bundle_verify_fd(fd, &chk, &info, err, sizeof err), BUNDLE_OK);
	close(fd);
	assert_string_equal(info.kind, "status");
	assert_string_equal(info.tenant, "demo");
	{
		const json_t *doc = json_object_get(info.data, "data/status.json");

		assert_string_equal(jsonio_str(doc, "format", ""), "sekisho-status/1");
		events = json_incref(json_object_get(doc, "events"));
	}
	bundle_info_free(&info);
	assert_int_equal(spool_commit(&f->out, &item), 0);
	return events;
}

static long long
count(struct fixture *f, const char *sql)
{
	sqlite3_stmt *st = db_stmt(f->t.db, sql);
	long long n;

	assert_non_null(st);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

static void
test_waiting_events_leave_in_one_signed_bundle(void **state)
{
	struct fixture *f = *state;
	char err[256];
	json_t *events;

	assert_int_equal(status_out_flush(&f->t, &f->out, f->priv, 1795000001, err, sizeof err), 0);
	enqueue(f, "20261122-000001", "accepted", NULL);
	enqueue(f, "20261122-000002", "accepted", NULL);
	enqueue(f, "20261122-000001", "correction", "住所を確認してください。");
	assert_int_equal(status_out_flush(&f->t, &f->out, f->priv, 1795000001, err, sizeof err), 1);
	events = bundle_events(f, "status-demo-1");
	assert_int_equal(json_array_size(events), 3);
	assert_string_equal(jsonio_str(json_array_get(events, 0), "receipt_no", ""), "20261122-000001");
	assert_string_equal(jsonio_str(json_array_get(events, 0), "at", ""), "2026-11-18T20:06:40+09:00");
	assert_null(json_object_get(json_array_get(events, 0), "message"));
	assert_string_equal(jsonio_str(json_array_get(events, 2), "message", ""),
			    "住所を確認してください。");
	json_decref(events);
	assert_int_equal(count(f, "SELECT count(*) FROM status_outbox WHERE sent_at IS NULL"), 0);
	/* Nothing new: nothing written. */
	assert_int_equal(status_out_flush(&f->t, &f->out, f->priv, 1795000002, err, sizeof err), 0);
	enqueue(f, "20261122-000002", "completed", NULL);
	assert_int_equal(status_out_flush(&f->t, &f->out, f->priv, 1795000003, err, sizeof err), 1);
	events = bundle_events(f, "status-demo-4");
	assert_int_equal(json_array_size(events), 1);
	json_decref(events);
}

static void
test_crash_before_recording_writes_the_same_bundle_again(void **state)
{
	struct fixture *f = *state;
	char err[256];
	sqlite3_stmt *st;
	json_t *events;

	enqueue(f, "20261122-000007", "accepted", NULL);
	enqueue(f, "20261122-000008", "review", NULL);
	assert_int_equal(status_out_flush(&f->t, &f->out, f->priv, 1795000001, err, sizeof err), 1);
	/* As if the process died after the bundle was published and before the rows
	 * were marked sent; and a new event came meanwhile. */
	st = db_stmt(f->t.db, "UPDATE status_outbox SET sent_at = NULL");
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_reset(st);
	enqueue(f, "20261122-000009", "accepted", NULL);
	assert_int_equal(status_out_flush(&f->t, &f->out, f->priv, 1795000002, err, sizeof err), 2);
	/* The first bundle is the same (its id already in the spool: a no-op), the new
	 * event goes in a bundle of its own: no event is sent under two ids. */
	events = bundle_events(f, "status-demo-1");
	assert_int_equal(json_array_size(events), 2);
	json_decref(events);
	events = bundle_events(f, "status-demo-3");
	assert_int_equal(json_array_size(events), 1);
	assert_string_equal(jsonio_str(json_array_get(events, 0), "receipt_no", ""), "20261122-000009");
	json_decref(events);
	assert_int_equal(spool_claim(&f->out, &(struct spool_item){ 0 }), SPOOL_EMPTY);
}

static void
test_a_batch_holds_at_most_the_internet_zones_limit(void **state)
{
	struct fixture *f = *state;
	char err[256], receipt[32];
	json_t *events;

	assert_int_equal(db_begin(f->t.db), 0);
	for (int i = 0; i < STATUS_OUT_MAX_EVENTS + 5; i++) {
		snprintf(receipt, sizeof receipt, "20261122-%06d", i + 1);
		enqueue(f, receipt, "accepted", NULL);
	}
	assert_int_equal(db_commit(f->t.db), 0);
	assert_int_equal(status_out_flush(&f->t, &f->out, f->priv, 1795000001, err, sizeof err), 2);
	events = bundle_events(f, "status-demo-1");
	assert_int_equal(json_array_size(events), STATUS_OUT_MAX_EVENTS);
	json_decref(events);
	events = bundle_events(f, "status-demo-1001");
	assert_int_equal(json_array_size(events), 5);
	json_decref(events);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_waiting_events_leave_in_one_signed_bundle,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_before_recording_writes_the_same_bundle_again,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_batch_holds_at_most_the_internet_zones_limit,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
