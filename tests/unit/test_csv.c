/*
 * test_csv.c — CSV reading (RFC 4180, UTF-8 with or without BOM, CP932) and the
 * all-or-nothing staff import with its row/column error report.
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

#include "audit_log.h"
#include "csvio.h"
#include "office_db.h"
#include "staff_csv.h"
#include "testutil.h"

/* ---- csvio ------------------------------------------------------------------ */

static void
test_quoted_fields_commas_quotes_and_newlines(void **state)
{
	char buf[] = "a,\"b,c\",\"say \"\"hi\"\"\",\"line1\nline2\"\r\n\n,last,\r\n";
	struct csvio_reader r;
	char *f[8], err[256];
	size_t n;

	(void)state;
	csvio_reader_init(&r, buf, sizeof buf - 1);
	assert_int_equal(csvio_next(&r, f, 8, &n, err, sizeof err), 1);
	assert_int_equal(n, 4);
	assert_string_equal(f[0], "a");
	assert_string_equal(f[1], "b,c");
	assert_string_equal(f[2], "say \"hi\"");
	assert_string_equal(f[3], "line1\nline2");
	assert_int_equal(r.record, 1);
	assert_int_equal(csvio_next(&r, f, 8, &n, err, sizeof err), 1);
	assert_int_equal(r.record, 3);	/* the blank line is a row too */
	assert_int_equal(n, 3);
	assert_string_equal(f[0], "");
	assert_string_equal(f[1], "last");
	assert_string_equal(f[2], "");
	assert_int_equal(csvio_next(&r, f, 8, &n, err, sizeof err), 0);
	assert_int_equal(r.record, 3);
}

static void
test_crlf_after_unquoted_field_ends_one_record(void **state)
{
	char buf[] = "a,b\r\nc,d\r\n\r\ne\r\n";
	struct csvio_reader r;
	char *f[8], err[256];
	size_t n;

	(void)state;
	csvio_reader_init(&r, buf, sizeof buf - 1);
	assert_int_equal(csvio_next(&r, f, 8, &n, err, sizeof err), 1);
	assert_string_equal(f[1], "b");
	assert_int_equal(csvio_next(&r, f, 8, &n, err, sizeof err), 1);
	assert_int_equal(r.record, 2);
	assert_string_equal(f[0], "c");
	assert_int_equal(csvio_next(&r, f, 8, &n, err, sizeof err), 1);
	assert_int_equal(r.record, 4);
	assert_string_equal(f[0], "e");
	assert_int_equal(csvio_next(&r, f, 8, &n, err, sizeof err), 0);
}

static void
test_malformed_records_named(void **state)
{
	static const char *const bad[] = { "ok\n\"open", "ok\na\"b", "ok\n\"x\"y,z" };
	struct csvio_reader r;
	char *f[8], err[256], buf[64];
	size_t n;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		snprintf(buf, sizeof buf, "%s", bad[i]);
		csvio_reader_init(&r, buf, strlen(buf));
		assert_int_equal(csvio_next(&r, f, 8, &n, err, sizeof err), 1);
		assert_int_equal(csvio_next(&r, f, 8, &n, err, sizeof err), -1);
		assert_non_null(strstr(err, "2 行目"));
	}
}

static void
test_encoding_detected_by_content(void **state)
{
	char *out;
	size_t len;
	enum csvio_encoding e;
	char err[256];

	(void)state;
	assert_int_equal(csvio_to_utf8("\xEF\xBB\xBF" "氏名", 9, &out, &len, &e, err, sizeof err), 0);
	assert_int_equal(e, CSVIO_UTF8_BOM);
	assert_string_equal(out, "氏名");
	free(out);
	assert_int_equal(csvio_to_utf8("氏名", 6, &out, &len, &e, err, sizeof err), 0);
	assert_int_equal(e, CSVIO_UTF8);
	free(out);
	/* 氏名 and ソ (0x83 0x5C: a trail byte that is a backslash in ASCII) in CP932. */
	assert_int_equal(csvio_to_utf8("\x8e\x81\x96\xbc\x83\x5c", 6, &out, &len, &e, err,
				       sizeof err), 0);
	assert_int_equal(e, CSVIO_CP932);
	assert_string_equal(out, "氏名ソ");
	free(out);
	/* Neither: a lone lead byte at the end; NUL bytes; broken UTF-8 after a BOM. */
	assert_int_equal(csvio_to_utf8("abc\x8e", 4, &out, &len, &e, err, sizeof err), -1);
	assert_non_null(strstr(err, "文字コード"));
	assert_int_equal(csvio_to_utf8("a\0b", 3, &out, &len, &e, err, sizeof err), -1);
	assert_int_equal(csvio_to_utf8("\xEF\xBB\xBF\x8e\x81", 5, &out, &len, &e, err,
				       sizeof err), -1);
	assert_false(csvio_utf8_valid("\xC0\xAF", 2));		/* overlong */
	assert_false(csvio_utf8_valid("\xED\xA0\x80", 3));	/* surrogate */
}

static void
test_writer_quotes_and_defuses_formulas(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	csvio_write_field(f, "plain", false, true);
	csvio_write_field(f, "a,\"b\"", false, true);
	csvio_write_field(f, "=HYPERLINK(\"x\")", false, true);
	csvio_write_field(f, "-1", true, false);
	fclose(f);
	assert_string_equal(buf, "plain,\"a,\"\"b\"\"\",\"'=HYPERLINK(\"\"x\"\")\",-1\r\n");
	free(buf);
}

/* ---- staff import ---------------------------------------------------------- */

struct fixture {
	char dir[64];
	struct db *db;
	struct staff_csv_result res;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char path[128], err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/sekisho-csv-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof path, "%s/demo.sqlite", f->dir);
	assert_int_equal(db_open(&f->db, path, DB_CREATE, office_db_migrations,
				 office_db_nmigrations, err, sizeof err), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	staff_csv_result_free(&f->res);
	db_close(f->db);
	assert_int_equal(testutil_rmtree(f->dir), 0);
	free(f);
	return 0;
}

static long
count(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	long n;

	assert_non_null(st);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

static int
has_error(const struct staff_csv_result *res, long row, const char *column, const char *word)
{
	size_t i;
	json_t *e;

	json_array_foreach(res->errors, i, e) {
		if (json_integer_value(json_object_get(e, "row")) == row &&
		    strcmp(json_string_value(json_object_get(e, "column")), column) == 0 &&
		    strstr(json_string_value(json_object_get(e, "reason")), word))
			return 1;
	}
	return 0;
}

static void
test_good_file_imports_accounts_departments_and_audit(void **state)
{
	struct fixture *f = *state;
	const char csv[] = "\xEF\xBB\xBF" "login,display_name,role,departments,email\r\n"
			   "yamada,山田 太郎,clerk,市民課;税務課,yamada@example.lg.jp\r\n"
			   "suzuki,鈴木 花子,管理者,,\r\n"
			   "sato,\"佐藤, 次郎\",auditor,市民課,\r\n";
	char err[256];
	struct audit_verify_report r;

	assert_int_equal(staff_csv_import(f->db, csv, sizeof csv - 1, 1700000000, 86400,
					  "admin", "10.0.0.1", &f->res, err, sizeof err), 0);
	assert_int_equal(f->res.created, 3);
	assert_int_equal(f->res.departments_created, 2);
	assert_int_equal(f->res.encoding, CSVIO_UTF8_BOM);
	assert_int_equal(json_array_size(f->res.accounts), 3);
	const char *code = json_string_value(json_object_get(json_array_get(f->res.accounts, 0),
							      "setup_code"));
	assert_int_equal(strlen(code), STAFF_SETUP_CODE_LEN);
	assert_int_equal(count(f->db, "SELECT count(*) FROM staff WHERE password_hash = ''"
				      " AND setup_code_hash IS NOT NULL"), 3);
	assert_int_equal(count(f->db, "SELECT count(*) FROM staff_departments"), 3);
	assert_int_equal(count(f->db, "SELECT count(*) FROM staff WHERE login = 'suzuki'"
				      " AND role = 'admin'"), 1);
	/* The code itself is not stored. */
	sqlite3_stmt *st = db_stmt(f->db, "SELECT count(*) FROM staff WHERE setup_code_hash = ?1");
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0);
	sqlite3_reset(st);
	/* One audit entry per account and one for the import, in an intact chain. */
	assert_int_equal(count(f->db, "SELECT count(*) FROM audit_log"), 4);
	assert_int_equal(audit_log_verify(f->db, 0, NULL, &r, err, sizeof err), 0);
}

static void
test_cp932_file_with_japanese_headers(void **state)
{
	struct fixture *f = *state;
	/* "ログインID,氏名,権限,所属\r\ntanaka,山田太郎,clerk,市民課\r\n" in CP932. */
	const char csv[] = "\x83\x8d\x83\x4f\x83\x43\x83\x93ID,\x8e\x81\x96\xbc,"
			   "\x8c\xa0\x8c\xc0,\x8f\x8a\x91\xae\r\n"
			   "tanaka,\x8e\x52\x93\x63\x91\xbe\x98\x59,clerk,\x8e\x73\x96\xaf\x89\xdb\r\n";
	char err[256];

	assert_int_equal(staff_csv_import(f->db, csv, sizeof csv - 1, 1700000000, 86400,
					  "admin", "-", &f->res, err, sizeof err), 0);
	assert_int_equal(f->res.encoding, CSVIO_CP932);
	assert_int_equal(count(f->db, "SELECT count(*) FROM staff WHERE display_name = '山田太郎'"), 1);
	assert_int_equal(count(f->db, "SELECT count(*) FROM departments WHERE name = '市民課'"), 1);
}

static void
test_bad_rows_reported_precisely_and_nothing_imported(void **state)
{
	struct fixture *f = *state;
	char err[256];
	const char csv[] = "login,display_name,role,departments,email\n"
			   "good1,良い 一郎,clerk,市民課,\n"
			   "bad login,名前,clerk,,\n"		/* row 3 */
			   "good2,,clerk,,\n"			/* row 4 */
			   "good3,名前,boss,,\n"		/* row 5 */
			   "good4,名前,clerk,,not-an-address\n"	/* row 6 */
			   "good1,重複,clerk,,\n"		/* row 7 */
			   "short,row\n"			/* row 8 */
			   "admin,既存,admin,,\n";		/* row 9: exists */

	assert_int_equal(office_db_add_staff(f->db, "admin", "管理者", "admin", "x-long-password",
					     1, err, sizeof err), 0);
	assert_int_equal(staff_csv_import(f->db, csv, sizeof csv - 1, 1700000000, 86400,
					  "admin", "-", &f->res, err, sizeof err), 1);
	assert_true(has_error(&f->res, 3, "login", "使えない文字"));
	assert_true(has_error(&f->res, 4, "display_name", "空"));
	assert_true(has_error(&f->res, 5, "role", "boss"));
	assert_true(has_error(&f->res, 6, "email", "メールアドレス"));
	assert_true(has_error(&f->res, 7, "login", "2 行目と重複"));
	assert_true(has_error(&f->res, 8, "", "列の数"));
	assert_true(has_error(&f->res, 9, "login", "既に登録"));
	assert_int_equal(f->res.nerrors, 7);
	assert_int_equal(f->res.created, 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM staff"), 1);
	assert_int_equal(count(f->db, "SELECT count(*) FROM departments"), 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM audit_log"), 0);
}

static void
test_header_problems_reported_on_row_one(void **state)
{
	struct fixture *f = *state;
	char err[256];
	const char csv[] = "login,name,role\nx,y,clerk\n";

	assert_int_equal(staff_csv_import(f->db, csv, sizeof csv - 1, 1, 1, "a", "-", &f->res,
					  err, sizeof err), 1);
	assert_true(has_error(&f->res, 1, "name", "不明な列名"));
	assert_true(has_error(&f->res, 1, "display_name", "必須の列"));
}

static void
test_export_round_trips_through_import_columns(void **state)
{
	struct fixture *f = *state;
	char err[256], *buf = NULL;
	size_t len = 0;
	const char csv[] = "login,display_name,role,departments\n"
			   "a1,=SUM(1),clerk,市民課;税務課\n";

	assert_int_equal(staff_csv_import(f->db, csv, sizeof csv - 1, 1700000000, 60, "x", "-",
					  &f->res, err, sizeof err), 0);
	FILE *out = open_memstream(&buf, &len);
	assert_int_equal(staff_csv_export(f->db, out, err, sizeof err), 1);
	fclose(out);
	assert_int_equal(memcmp(buf, "\xEF\xBB\xBF" "login,display_name,role,departments,email,"
			       "last_login_at,status\r\n", 3 + 62), 0);
	assert_non_null(strstr(buf, "a1,\"'=SUM(1)\",clerk,市民課;税務課,,,setup_pending\r\n"));
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quoted_fields_commas_quotes_and_newlines),
		cmocka_unit_test(test_crlf_after_unquoted_field_ends_one_record),
		cmocka_unit_test(test_malformed_records_named),
		cmocka_unit_test(test_encoding_detected_by_content),
		cmocka_unit_test(test_writer_quotes_and_defuses_formulas),
		cmocka_unit_test_setup_teardown(test_good_file_imports_accounts_departments_and_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cp932_file_with_japanese_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_rows_reported_precisely_and_nothing_imported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_problems_reported_on_row_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_round_trips_through_import_columns, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
