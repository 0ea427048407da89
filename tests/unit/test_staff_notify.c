/*
 * test_staff_notify.c — the new-application email to staff: addresses checked when
 * saved, one queued email per address in the import's transaction, naming the
 * procedure and the 到達番号 and never carrying what the applicant wrote.
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

#include "jsonio.h"
#include "office_db.h"
#include "staff_notify.h"
#include "testutil.h"

struct fixture {
	char dir[64];
	char path[128];
	struct db *db;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/sekisho-staffmail-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/demo.sqlite", f->dir);
	assert_int_equal(db_open(&f->db, f->path, DB_CREATE, office_db_migrations,
				 office_db_nmigrations, err, sizeof err), 0);
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

static int
check(const char *text, json_t **out, char *why, size_t whylen)
{
	json_error_t e;
	json_t *in = json_loads(text, 0, &e);
	int rc;

	assert_non_null(in);
	rc = staff_notify_check(in, out, why, whylen);
	json_decref(in);
	return rc;
}

static void
test_addresses_are_checked(void **state)
{
	char why[256];
	json_t *out;
	int i;

	(void)state;
	assert_int_equal(check("[\"shimin@city.example.lg.jp\",\"kakari@city.example.lg.jp\"]", &out,
			       why, sizeof why), 0);
	assert_int_equal(json_array_size(out), 2);
	json_decref(out);
	assert_int_equal(staff_notify_check(NULL, &out, why, sizeof why), 0);
	assert_int_equal(json_array_size(out), 0);
	json_decref(out);
	assert_int_equal(check("[\"shimin@city.example.lg.jp\",\"not an address\"]", &out, why,
			       sizeof why), 1);
	assert_null(out);
	assert_non_null(strstr(why, "2 件目"));
	assert_int_equal(check("[\"a@b.jp\\r\\nBcc: x@y.jp\"]", &out, why, sizeof why), 1);
	assert_int_equal(check("[3]", &out, why, sizeof why), 1);
	assert_int_equal(check("{\"to\":\"a@b.jp\"}", &out, why, sizeof why), 1);
	{
		json_t *many = json_array();

		for (i = 0; i <= STAFF_NOTIFY_MAX; i++)
			json_array_append_new(many, json_string("a@city.example.lg.jp"));
		assert_int_equal(staff_notify_check(many, &out, why, sizeof why), 1);
		assert_non_null(strstr(why, "件まで"));
		json_decref(many);
	}
}

static void
test_one_email_per_address_naming_the_application_only(void **state)
{
	struct fixture *f = *state;
	struct staff_arrival a = { .tenant = "demo", .receipt_no = "20261122-000042",
				   .title = "粗大ごみ収集の申込み", .department = "環境課",
				   .staff_base_url = "https://lgwan.city.example.lg.jp" };
	sqlite3_stmt *st;
	int n = 0;

	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(staff_notify_arrival(f->db, "[\"kankyo@city.example.lg.jp\",\"kakari@city.example.lg.jp\"]", &a), 0);
	assert_int_equal(staff_notify_arrival(f->db, NULL, &a), 0);
	assert_int_equal(staff_notify_arrival(f->db, "[]", &a), 0);
	assert_int_equal(db_commit(f->db), 0);
	st = db_stmt(f->db, "SELECT recipient, subject, body, state FROM mail_outbox ORDER BY id");
	assert_non_null(st);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *body = (const char *)sqlite3_column_text(st, 2);

		assert_string_equal(sqlite3_column_text(st, 0),
				    n == 0 ? "kankyo@city.example.lg.jp" : "kakari@city.example.lg.jp");
		assert_string_equal(sqlite3_column_text(st, 1),
				    "【新着申請】粗大ごみ収集の申込み（到達番号 20261122-000042）");
		assert_non_null(strstr(body, "担当部署: 環境課"));
		assert_non_null(strstr(body, "https://lgwan.city.example.lg.jp/application.html?t=demo&r=20261122-000042"));
		assert_non_null(strstr(body, "申請の内容を記載していません"));
		assert_string_equal(sqlite3_column_text(st, 3), "queued");
		n++;
	}
	sqlite3_reset(st);
	assert_int_equal(n, 2);
}

static void
test_a_rolled_back_import_leaves_no_email(void **state)
{
	struct fixture *f = *state;
	struct staff_arrival a = { .tenant = "demo", .receipt_no = "20261122-000043",
				   .title = "t", .department = NULL, .staff_base_url = "" };
	sqlite3_stmt *st;

	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(staff_notify_arrival(f->db, "[\"kankyo@city.example.lg.jp\"]", &a), 0);
	db_rollback(f->db);
	st = db_stmt(f->db, "SELECT count(*) FROM mail_outbox");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0);
	sqlite3_reset(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses_are_checked),
		cmocka_unit_test_setup_teardown(test_one_email_per_address_naming_the_application_only,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_rolled_back_import_leaves_no_email, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
