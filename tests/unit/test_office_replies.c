/*
 * test_office_replies.c — an applicant's reply recorded at import: once per bundle,
 * out of 補正 to where work resumes (and nowhere else), with its history row,
 * downlink event and audit entry; and staff messages leaving as "message" events.
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
#include "office_replies.h"
#include "reply.h"
#include "status_out.h"
#include "testutil.h"

#define NOW 1795000000

struct fixture {
	char dir[64];
	struct tenant t;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char path[128], err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/sekisho-replies-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof path, "%s/demo.sqlite", f->dir);
	assert_int_equal(db_open(&f->t.db, path, DB_CREATE, office_db_migrations,
				 office_db_nmigrations, err, sizeof err), 0);
	snprintf(f->t.name, sizeof f->t.name, "demo");
	pthread_mutex_init(&f->t.lock, NULL);
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

static void
exec(struct fixture *f, const char *sql)
{
	assert_int_equal(sqlite3_exec(db_handle(f->t.db), sql, NULL, NULL, NULL), SQLITE_OK);
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

static char *
text(struct fixture *f, const char *sql)
{
	sqlite3_stmt *st = db_stmt(f->t.db, sql);
	char *s;

	assert_non_null(st);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	s = strdup(sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "");
	sqlite3_reset(st);
	return s;
}

/* An application as the importer leaves it, of procedure proc (NULL: none), now in
 * status. */
static void
application(struct fixture *f, const char *receipt, const char *proc, const char *status)
{
	char sql[1024];

	snprintf(sql, sizeof sql, "INSERT INTO applications (bundle_id, received_at, status,"
		 " application_json, manifest_json, bundle_path, bundle_sha256, receipt_no,"
		 " procedure_id, procedure_version) VALUES ('app-demo-%s', '2026-11-22T00:00:00Z',"
		 " '%s', '{}', '{}', '/x', 'ab', '%s', %s%s%s, 1)", receipt, status, receipt,
		 proc ? "'" : "", proc ? proc : "NULL", proc ? "'" : "");
	exec(f, sql);
}

/* A verified reply bundle's info, as bundle_verify_fd fills it. */
static void
reply_info(struct bundle_info *info, const char *tenant, const char *receipt, long long no,
	   const char *id)
{
	memset(info, 0, sizeof *info);
	snprintf(info->id, sizeof info->id, "%s", id);
	snprintf(info->tenant, sizeof info->tenant, "%s", tenant);
	snprintf(info->kind, sizeof info->kind, "reply");
	info->manifest = json_pack("{s:s,s:[{s:s,s:s,s:s,s:s}],s:[{s:s,s:i,s:s}]}",
				   "kind", "reply", "files", "file", "files/1.pdf",
				   "attestation", "attestations/1.pdf.json", "field", "reply",
				   "display_name", "住民票.pdf", "members", "name", "files/1.pdf",
				   "size", 3, "sha256", "00");
	info->data = json_pack("{s:o}", "data/reply.json",
			       reply_doc_new(tenant, receipt, no, "書き直しました。",
					     "2026-11-23T09:00:00+09:00"));
	info->attestations = json_object();
}

static int
record(struct fixture *f, struct bundle_info *info, char *err, size_t errlen)
{
	int rc = office_replies_record(f->t.db, info, "/bundles/demo/r.tar", "cd", NOW, err, errlen);

	bundle_info_free(info);
	return rc;
}

static void
test_reply_brings_a_correction_back_to_review_once(void **state)
{
	struct fixture *f = *state;
	struct bundle_info info;
	char err[256], *s;
	json_t *replies;

	application(f, "20261122-000001", NULL, "correction");
	reply_info(&info, "demo", "20261122-000001", 1, "reply-demo-20261122-000001-1");
	assert_int_equal(record(f, &info, err, sizeof err), OFFICE_REPLY_NEW);
	s = text(f, "SELECT status FROM applications");
	assert_string_equal(s, "review");	/* no procedure held: every step, 審査 */
	free(s);
	assert_int_equal(count(f, "SELECT count(*) FROM application_history WHERE actor ="
				  " 'applicant' AND from_status = 'correction' AND to_status ="
				  " 'review'"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM status_outbox WHERE receipt_no ="
				  " '20261122-000001' AND status = 'review' AND kind = 'status'"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM audit_log WHERE action ="
				  " 'application.reply' AND target = 'application:20261122-000001'"
				  " AND actor = 'applicant'"), 1);
	replies = office_replies_json(f->t.db, 1);
	assert_int_equal(json_array_size(replies), 1);
	assert_string_equal(jsonio_str(json_array_get(replies, 0), "body", ""), "書き直しました。");
	assert_string_equal(jsonio_str(json_array_get(replies, 0), "to_status", ""), "review");
	assert_string_equal(jsonio_str(json_array_get(json_object_get(json_array_get(replies, 0),
								      "files"), 0),
				       "display_name", ""), "住民票.pdf");
	json_decref(replies);
	/* The same bundle again (a resend, a crash before the inbox commit): no change. */
	reply_info(&info, "demo", "20261122-000001", 1, "reply-demo-20261122-000001-1");
	assert_int_equal(record(f, &info, err, sizeof err), OFFICE_REPLY_DUPLICATE);
	assert_int_equal(count(f, "SELECT count(*) FROM application_replies"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM status_outbox"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM audit_log"), 1);
}

static void
test_reply_resumes_at_the_procedures_own_step(void **state)
{
	struct fixture *f = *state;
	struct bundle_info info;
	char err[256], *s;

	/* A procedure of 到達 → 受付 → 完了: a reply brings it back to 受付. */
	exec(f, "INSERT INTO procedures (id, version, definition, workflow, state, created_at,"
		" created_by) VALUES ('short', 1, '{}', '[\"arrived\",\"accepted\",\"completed\"]',"
		" 'draft', 'x', 'x')");
	application(f, "20261122-000002", "short", "correction");
	reply_info(&info, "demo", "20261122-000002", 1, "reply-demo-20261122-000002-1");
	assert_int_equal(record(f, &info, err, sizeof err), OFFICE_REPLY_NEW);
	s = text(f, "SELECT status FROM applications");
	assert_string_equal(s, "accepted");
	free(s);
}

static void
test_reply_outside_correction_is_kept_and_changes_nothing(void **state)
{
	struct fixture *f = *state;
	struct bundle_info info;
	char err[256], *s;

	application(f, "20261122-000003", NULL, "completed");
	reply_info(&info, "demo", "20261122-000003", 2, "reply-demo-20261122-000003-2");
	assert_int_equal(record(f, &info, err, sizeof err), OFFICE_REPLY_NEW);
	s = text(f, "SELECT status FROM applications");
	assert_string_equal(s, "completed");
	free(s);
	assert_int_equal(count(f, "SELECT count(*) FROM application_history"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM status_outbox"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM application_replies WHERE from_status ="
				  " 'completed' AND to_status = 'completed'"), 1);
}

static void
test_unknown_application_or_foreign_reply_is_not_recorded(void **state)
{
	struct fixture *f = *state;
	struct bundle_info info;
	char err[256];

	reply_info(&info, "demo", "20261122-000009", 1, "reply-demo-20261122-000009-1");
	assert_int_equal(record(f, &info, err, sizeof err), OFFICE_REPLY_NO_APP);
	assert_non_null(strstr(err, "20261122-000009"));
	application(f, "20261122-000004", NULL, "correction");
	/* Signed under another bundle's id: it could stand in for that one. */
	reply_info(&info, "demo", "20261122-000004", 1, "app-demo-20261122-000004");
	assert_int_equal(record(f, &info, err, sizeof err), OFFICE_REPLY_MALFORMED);
	/* Another tenant's document in this tenant's bundle. */
	reply_info(&info, "demo", "20261122-000004", 1, "reply-demo-20261122-000004-1");
	json_object_set_new(json_object_get(info.data, "data/reply.json"), "tenant",
			    json_string("other"));
	assert_int_equal(record(f, &info, err, sizeof err), OFFICE_REPLY_MALFORMED);
	assert_int_equal(count(f, "SELECT count(*) FROM application_replies"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM audit_log"), 0);
}

static void
test_staff_message_leaves_as_a_message_event(void **state)
{
	struct fixture *f = *state;
	char err[256], path[128];
	struct spool out;
	struct spool_item item;
	struct bundle_check chk = { 0 };
	struct bundle_info info;
	uint8_t pub[32], priv[32];
	json_t *msgs, *e;
	int fd;

	application(f, "20261122-000005", NULL, "review");
	assert_int_equal(office_replies_add_message(f->t.db, 1, "2026-11-22T01:00:00Z", "clerk1",
						    "message", "連絡先を教えてください。", 1), 0);
	assert_int_equal(status_out_enqueue_message(f->t.db, "20261122-000005", "review", NOW,
						    "連絡先を教えてください。", 1), 0);
	assert_int_equal(status_out_enqueue_message(f->t.db, "20261122-000005", "review", NOW,
						    "", 0), -1);
	msgs = office_replies_messages_json(f->t.db, 1);
	assert_int_equal(json_array_size(msgs), 1);
	assert_string_equal(jsonio_str(json_array_get(msgs, 0), "kind", ""), "message");
	assert_string_equal(jsonio_str(json_array_get(msgs, 0), "at", ""), "2026-11-22T10:00:00+09:00");
	assert_true(json_is_true(json_object_get(json_array_get(msgs, 0), "reply_invited")));
	json_decref(msgs);

	snprintf(path, sizeof path, "%s/downlink-out", f->dir);
	assert_int_equal(spool_open(&out, path, true), 0);
	assert_int_equal(crypto_ed25519_keygen(pub, priv), 0);
	assert_int_equal(status_out_flush(&f->t, &out, priv, NOW, err, sizeof err), 1);
	assert_int_equal(spool_claim(&out, &item), SPOOL_OK);
	chk.signer_pub = pub;
	bundle_limits_default(&chk.limits);
	assert_true((fd = open(item.path, O_RDONLY)) >= 0);
	assert_int_equal(bundle_verify_fd(fd, &chk, &info, err, sizeof err), BUNDLE_OK);
	close(fd);
	e = json_array_get(json_object_get(json_object_get(info.data, "data/status.json"),
					   "events"), 0);
	assert_string_equal(jsonio_str(e, "type", ""), "message");
	assert_string_equal(jsonio_str(e, "status", ""), "review");
	assert_string_equal(jsonio_str(e, "message", ""), "連絡先を教えてください。");
	assert_true(json_is_true(json_object_get(e, "reply_invited")));
	bundle_info_free(&info);
	spool_close(&out);
}

static void
test_migration_keeps_earlier_correction_requests(void **state)
{
	struct fixture *f = *state;
	char path[128], err[256];
	struct db *db;
	json_t *msgs;

	/* A database of the version before messages, with a correction made then. */
	snprintf(path, sizeof path, "%s/old.sqlite", f->dir);
	assert_int_equal(db_open(&db, path, DB_CREATE, office_db_migrations, 4, err, sizeof err), 0);
	assert_int_equal(sqlite3_exec(db_handle(db),
		"INSERT INTO applications (bundle_id, received_at, application_json, manifest_json,"
		" bundle_path, bundle_sha256, receipt_no) VALUES ('a', 'x', '{}', '{}', '/x', 'ab',"
		" '20261122-000001');"
		"INSERT INTO application_history (application_id, at, actor, from_status, to_status,"
		" message) VALUES (1, '2026-11-22T01:00:00Z', 'clerk1', 'accepted', 'correction',"
		" '書類を添付してください。'), (1, '2026-11-22T02:00:00Z', 'clerk1', 'correction',"
		" 'review', NULL)", NULL, NULL, NULL), SQLITE_OK);
	db_close(db);
	assert_int_equal(db_open(&db, path, DB_CREATE, office_db_migrations, office_db_nmigrations,
				 err, sizeof err), 0);
	msgs = office_replies_messages_json(db, 1);
	assert_int_equal(json_array_size(msgs), 1);
	assert_string_equal(jsonio_str(json_array_get(msgs, 0), "kind", ""), "correction");
	assert_string_equal(jsonio_str(json_array_get(msgs, 0), "body", ""), "書類を添付してください。");
	assert_string_equal(jsonio_str(json_array_get(msgs, 0), "author", ""), "clerk1");
	json_decref(msgs);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reply_brings_a_correction_back_to_review_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_resumes_at_the_procedures_own_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_outside_correction_is_kept_and_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_application_or_foreign_reply_is_not_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_staff_message_leaves_as_a_message_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_keeps_earlier_correction_requests, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
