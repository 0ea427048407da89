/*
 * test_portal_replies.c — when the internet zone lets an applicant reply (replies.h),
 * and how message events from the office land in the history (downlink.c): a message
 * changes no status, an invitation opens a reply, a reply closes it, a final status
 * closes everything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "downlink.h"
#include "jsonio.h"
#include "portal.h"
#include "portal_db.h"
#include "replies.h"
#include "testutil.h"

#define RECEIPT "20261122-000001"

struct fixture {
	char dir[64];
	struct tenant t;
	struct portal_tenant pt;
	struct portald p;
};

/* portald_main.c's, which a unit test does not link. */
struct portal_tenant *
portal_tenant(struct portald *p, const char *name)
{
	return name && strcmp(name, p->tenants.t[0].name) == 0 ? &p->pt[0] : NULL;
}

void
portal_kick_forwarder(struct portald *p)
{
	(void)p;
}

static void
exec(struct fixture *f, const char *sql)
{
	assert_int_equal(sqlite3_exec(db_handle(f->t.db), sql, NULL, NULL, NULL), SQLITE_OK);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char path[128], err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/sekisho-preplies-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof path, "%s/demo.sqlite", f->dir);
	assert_int_equal(db_open(&f->t.db, path, DB_CREATE, portal_db_migrations,
				 portal_db_nmigrations, err, sizeof err), 0);
	snprintf(f->t.name, sizeof f->t.name, "demo");
	pthread_mutex_init(&f->t.lock, NULL);
	f->pt.t = &f->t;
	f->p.tenants.n = 1;
	f->p.tenants.t = &f->t;
	f->p.pt = &f->pt;
	f->p.public_base_url = "https://apply.example.lg.jp";
	exec(f, "INSERT INTO procedure_versions (id, version, definition, received_at)"
		" VALUES ('p', 1, '{}', 0);"
		"INSERT INTO applications (receipt_no, procedure_id, procedure_version, answers,"
		" files, status, submitted_at) VALUES ('" RECEIPT "', 'p', 1, '{}', '[]',"
		" 'arrived', 0);"
		"INSERT INTO application_events (receipt_no, status, at, source) VALUES"
		" ('" RECEIPT "', 'arrived', 0, 'portal')");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	db_close(f->t.db);
	pthread_mutex_destroy(&f->t.lock);
	assert_int_equal(testutil_rmtree(f->dir), 0);
	free(f);
	return 0;
}

static int
open_now(struct fixture *f)
{
	sqlite3_stmt *st = db_stmt(f->t.db, "SELECT status FROM applications");
	char status[32];

	assert_non_null(st);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(status, sizeof status, "%s", sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return replies_open(f->t.db, RECEIPT, status);
}

/* Apply a status bundle of events (JSON array text) as the downlink consumer does. */
static int
apply(struct fixture *f, const char *id, const char *events)
{
	struct bundle_info info = { 0 };
	char err[256], perr[64];
	json_t *ev = jsonio_parse(events, strlen(events), 1 << 16, 16, perr, sizeof perr);
	int rc;

	assert_non_null(ev);
	snprintf(info.id, sizeof info.id, "%s", id);
	snprintf(info.tenant, sizeof info.tenant, "demo");
	snprintf(info.kind, sizeof info.kind, "status");
	info.data = json_pack("{s:{s:s,s:o}}", "data/status.json", "format", "sekisho-status/1",
			      "events", ev);
	rc = downlink_apply(&f->p, &info, 1795000000, err, sizeof err);
	json_decref(info.data);
	return rc;
}

static void
test_nothing_is_open_until_the_office_asks(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(open_now(f), 0);
	/* A message that does not invite a reply opens nothing and changes no status. */
	assert_int_equal(apply(f, "status-demo-1", "[{\"receipt_no\":\"" RECEIPT "\","
			       "\"status\":\"arrived\",\"type\":\"message\",\"at\":"
			       "\"2026-11-22T10:00:00+09:00\",\"message\":\"ご連絡です。\"}]"), 0);
	assert_int_equal(open_now(f), 0);
	{
		sqlite3_stmt *st = db_stmt(f->t.db, "SELECT a.status, e.kind, e.message,"
					   " e.reply_invited FROM applications a JOIN"
					   " application_events e USING (receipt_no) ORDER BY e.id DESC");

		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0), "arrived");
		assert_string_equal((const char *)sqlite3_column_text(st, 1), "message");
		assert_string_equal((const char *)sqlite3_column_text(st, 2), "ご連絡です。");
		assert_int_equal(sqlite3_column_int(st, 3), 0);
		sqlite3_reset(st);
	}
	/* A message without its text is malformed: the bundle is refused whole. */
	assert_int_equal(apply(f, "status-demo-2", "[{\"receipt_no\":\"" RECEIPT "\","
			       "\"status\":\"arrived\",\"type\":\"message\",\"at\":"
			       "\"2026-11-22T10:00:00+09:00\"}]"), -1);
	assert_int_equal(apply(f, "status-demo-3", "[{\"receipt_no\":\"" RECEIPT "\","
			       "\"status\":\"accepted\",\"type\":\"gossip\",\"at\":"
			       "\"2026-11-22T10:00:00+09:00\"}]"), -1);
}

static void
test_correction_opens_until_replied(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(apply(f, "status-demo-1", "[{\"receipt_no\":\"" RECEIPT "\","
			       "\"status\":\"correction\",\"at\":\"2026-11-22T10:00:00+09:00\","
			       "\"message\":\"書類を添付してください。\"}]"), 0);
	assert_int_equal(open_now(f), 1);
	exec(f, "INSERT INTO application_events (receipt_no, status, message, at, source, kind)"
		" VALUES ('" RECEIPT "', 'correction', '添付します。', 1, 'portal', 'reply')");
	assert_int_equal(open_now(f), 0);
	/* The same bundle again is applied once. */
	assert_int_equal(apply(f, "status-demo-1", "[]"), 1);
	/* Back to review and corrected again: open again. */
	assert_int_equal(apply(f, "status-demo-2", "[{\"receipt_no\":\"" RECEIPT "\","
			       "\"status\":\"review\",\"at\":\"2026-11-22T11:00:00+09:00\"},"
			       "{\"receipt_no\":\"" RECEIPT "\",\"status\":\"correction\",\"at\":"
			       "\"2026-11-22T12:00:00+09:00\",\"message\":\"もう一点\"}]"), 0);
	assert_int_equal(open_now(f), 1);
	/* Staff bring it back to review without a reply: the request lapses. */
	assert_int_equal(apply(f, "status-demo-3", "[{\"receipt_no\":\"" RECEIPT "\","
			       "\"status\":\"review\",\"at\":\"2026-11-22T13:00:00+09:00\"}]"), 0);
	assert_int_equal(open_now(f), 0);
}

static void
test_invited_message_opens_and_final_status_closes(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(apply(f, "status-demo-1", "[{\"receipt_no\":\"" RECEIPT "\","
			       "\"status\":\"accepted\",\"at\":\"2026-11-22T10:00:00+09:00\"},"
			       "{\"receipt_no\":\"" RECEIPT "\",\"status\":\"accepted\",\"type\":"
			       "\"message\",\"reply_invited\":true,\"at\":\"2026-11-22T10:01:00+09:00\","
			       "\"message\":\"連絡先を教えてください。\"}]"), 0);
	assert_int_equal(open_now(f), 1);
	assert_int_equal(apply(f, "status-demo-2", "[{\"receipt_no\":\"" RECEIPT "\","
			       "\"status\":\"rejected\",\"at\":\"2026-11-22T11:00:00+09:00\","
			       "\"message\":\"却下します。\"}]"), 0);
	assert_int_equal(open_now(f), 0);
}

static void
test_migration_lets_earlier_correction_requests_be_answered(void **state)
{
	struct fixture *f = *state;
	char path[128], err[256];
	struct db *db;

	snprintf(path, sizeof path, "%s/old.sqlite", f->dir);
	assert_int_equal(db_open(&db, path, DB_CREATE, portal_db_migrations, 5, err, sizeof err), 0);
	assert_int_equal(sqlite3_exec(db_handle(db),
		"INSERT INTO procedure_versions (id, version, definition, received_at) VALUES"
		" ('p', 1, '{}', 0);"
		"INSERT INTO applications (receipt_no, procedure_id, procedure_version, answers,"
		" files, status, submitted_at) VALUES ('" RECEIPT "', 'p', 1, '{}', '[]',"
		" 'correction', 0);"
		"INSERT INTO application_events (receipt_no, status, message, at, source) VALUES"
		" ('" RECEIPT "', 'correction', '添付してください。', 1, 'office')",
		NULL, NULL, NULL), SQLITE_OK);
	db_close(db);
	assert_int_equal(db_open(&db, path, DB_CREATE, portal_db_migrations, portal_db_nmigrations,
				 err, sizeof err), 0);
	assert_int_equal(replies_open(db, RECEIPT, "correction"), 1);
	db_close(db);
	(void)f;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nothing_is_open_until_the_office_asks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_correction_opens_until_replied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invited_message_opens_and_final_status_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_lets_earlier_correction_requests_be_answered, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
