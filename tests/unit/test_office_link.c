/*
 * test_office_link.c — the pieces of data linking and export that need no server:
 * API keys (made once, stored as a hash, revoked for good), the CP932 writer that
 * replaces and reports what CP932 lacks, zip member names from applicants' file
 * names, and the Japan-day periods of queries.
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

#include "app_files.h"
#include "app_query.h"
#include "crypto.h"
#include "office_apikey.h"
#include "office_db.h"
#include "office_export.h"
#include "office_query.h"
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

	snprintf(f->dir, sizeof f->dir, "/tmp/sekisho-link-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/demo.sqlite", f->dir);
	assert_int_equal(db_open(&f->db, f->path, DB_CREATE, office_db_migrations,
				 office_db_nmigrations, err, sizeof err), 0);
	assert_int_equal(sqlite3_exec(db_handle(f->db), "INSERT INTO departments (name, created_at)"
				      " VALUES ('市民課', 'now')", NULL, NULL, NULL), SQLITE_OK);
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
test_key_is_base64url_stored_as_sha256_and_found_by_itself_only(void **state)
{
	struct fixture *f = *state;
	char key[OFFICE_APIKEY_CHARS + 1], other[OFFICE_APIKEY_CHARS + 1], err[256];
	char hex[65];
	uint8_t h[32];
	struct office_apikey k;
	sqlite3_stmt *st;

	assert_int_equal(office_apikey_create(f->db, "kikan", "read", NULL, "op", key, err,
					      sizeof err), 0);
	assert_int_equal(strlen(key), OFFICE_APIKEY_CHARS);
	assert_int_equal(strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				     "0123456789-_"), OFFICE_APIKEY_CHARS);
	st = db_stmt(f->db, "SELECT key_sha256 FROM api_keys WHERE name = 'kikan'");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	crypto_sha256(key, strlen(key), h);
	crypto_hex(h, 32, hex);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), hex);
	sqlite3_reset(st);

	assert_int_equal(office_apikey_lookup(f->db, key, &k), 1);
	assert_string_equal(k.name, "kikan");
	assert_false(k.write);
	assert_int_equal(k.department_id, 0);
	/* Another key, the same key altered, a truncated one: unknown. */
	assert_int_equal(office_apikey_create(f->db, "bunsho", "write", "市民課", "op", other,
					      err, sizeof err), 0);
	assert_string_not_equal(key, other);
	key[5] = key[5] == 'A' ? 'B' : 'A';
	assert_int_equal(office_apikey_lookup(f->db, key, &k), 0);
	assert_int_equal(office_apikey_lookup(f->db, "short", &k), 0);
	assert_int_equal(office_apikey_lookup(f->db, NULL, &k), 0);
	assert_int_equal(office_apikey_lookup(f->db, other, &k), 1);
	assert_true(k.write);
	assert_true(k.department_id > 0);
}

static void
test_bad_names_scopes_departments_and_duplicates_refused(void **state)
{
	struct fixture *f = *state;
	char key[OFFICE_APIKEY_CHARS + 1], err[256], name[80];

	assert_int_equal(office_apikey_create(f->db, "a b", "read", NULL, "op", key, err,
					      sizeof err), -1);
	memset(name, 'a', 57);
	name[57] = '\0';
	assert_int_equal(office_apikey_create(f->db, name, "read", NULL, "op", key, err,
					      sizeof err), -1);
	assert_int_equal(office_apikey_create(f->db, "x", "admin", NULL, "op", key, err,
					      sizeof err), -1);
	assert_non_null(strstr(err, "read か write"));
	assert_int_equal(office_apikey_create(f->db, "x", "read", "ない課", "op", key, err,
					      sizeof err), -1);
	assert_non_null(strstr(err, "ない課"));
	assert_int_equal(office_apikey_create(f->db, "x", "read", NULL, "op", key, err,
					      sizeof err), 0);
	assert_int_equal(office_apikey_create(f->db, "x", "write", NULL, "op", key, err,
					      sizeof err), -1);
	assert_string_equal(key, "");
}

static void
test_revoked_key_is_unknown_and_its_name_stays_taken(void **state)
{
	struct fixture *f = *state;
	char key[OFFICE_APIKEY_CHARS + 1], again[OFFICE_APIKEY_CHARS + 1], err[256];
	struct office_apikey k;
	json_t *list;

	assert_int_equal(office_apikey_create(f->db, "old", "read", NULL, "op", key, err,
					      sizeof err), 0);
	assert_int_equal(office_apikey_revoke(f->db, "old", err, sizeof err), 0);
	assert_int_equal(office_apikey_lookup(f->db, key, &k), 0);
	assert_int_equal(office_apikey_revoke(f->db, "old", err, sizeof err), 1);
	assert_int_equal(office_apikey_revoke(f->db, "never", err, sizeof err), 1);
	assert_int_equal(office_apikey_create(f->db, "old", "read", NULL, "op", again, err,
					      sizeof err), -1);
	list = office_apikey_list(f->db);
	assert_int_equal(json_array_size(list), 1);
	assert_true(json_is_string(json_object_get(json_array_get(list, 0), "revoked_at")));
	json_decref(list);
}

static void
test_bearer_header_parsing(void **state)
{
	(void)state;
	assert_string_equal(office_apikey_from_header("Bearer abc"), "abc");
	assert_string_equal(office_apikey_from_header("bearer  abc"), "abc");
	assert_null(office_apikey_from_header("Basic abc"));
	assert_null(office_apikey_from_header("Bearer "));
	assert_null(office_apikey_from_header(NULL));
}

static char *
cp932(const char *utf8, struct export_replaced *rep, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*rc = export_write_cp932(f, utf8, strlen(utf8), rep);
	fclose(f);
	return buf;
}

static void
test_cp932_replaces_missing_characters_with_geta_and_counts_them(void **state)
{
	struct export_replaced rep = { 0 };
	char *out;
	int rc;

	(void)state;
	/* 山田 in CP932, then 𠮷 (not in CP932) twice and 🙂 once. */
	out = cp932("山田,𠮷野,𠮷,🙂,髙橋①～", &rep, &rc);
	assert_int_equal(rc, 0);
	assert_memory_equal(out, "\x8e\x52\x93\x63,\x81\xac\x96\xec,\x81\xac,\x81\xac,"
			    "\xfb\xfc\x8b\xb4\x87\x40\x81\x60", 24);
	assert_int_equal(strlen(out), 24);
	assert_int_equal(rep.count, 3);
	assert_int_equal(rep.ndistinct, 2);
	assert_int_equal(rep.distinct[0], 0x20BB7);
	assert_int_equal(rep.distinct[1], 0x1F642);
	free(out);
	/* Not UTF-8 at all: refused, not guessed. */
	free(cp932("\xff\xfe", &rep, &rc));
	assert_int_equal(rc, -1);
}

static void
test_cp932_writes_long_text_across_buffer_boundaries(void **state)
{
	struct export_replaced rep = { 0 };
	size_t n = 5000, i;
	char *in = malloc(n * 3 + 1), *out;
	int rc;

	(void)state;
	for (i = 0; i < n; i++)
		memcpy(in + i * 3, "あ", 3);
	in[n * 3] = '\0';
	out = cp932(in, &rep, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(strlen(out), n * 2);
	assert_int_equal(rep.count, 0);
	assert_memory_equal(out + (n - 1) * 2, "\x82\xa0", 2);
	free(out);
	free(in);
}

/* The sanitizer's outputs are served as what they are; cleaned text says it is UTF-8
 * (textclean.h), so no browser or spreadsheet guesses Shift_JIS. */
static void
test_sanitized_types_have_their_content_type(void **state)
{
	char out[EXPORT_NAME_MAX + 16];

	(void)state;
	assert_string_equal(app_files_content_type("pdf"), "application/pdf");
	assert_string_equal(app_files_content_type("png"), "image/png");
	assert_string_equal(app_files_content_type("jpg"), "image/jpeg");
	assert_string_equal(app_files_content_type("csv"), "text/csv; charset=utf-8");
	assert_string_equal(app_files_content_type("txt"), "text/plain; charset=utf-8");
	assert_null(app_files_content_type("html"));
	assert_null(app_files_content_type("text"));
	export_file_name("名簿.csv", "csv", out, sizeof out);
	assert_string_equal(out, "名簿.csv");
	export_file_name("memo.CSV", "txt", out, sizeof out);	/* not a CSV by the rule */
	assert_string_equal(out, "memo.txt");
}

static void
test_zip_names_keep_japanese_and_lose_paths(void **state)
{
	char out[EXPORT_NAME_MAX + 16];
	char longname[400];

	(void)state;
	export_file_name("住民票 写し.pdf", "pdf", out, sizeof out);
	assert_string_equal(out, "住民票 写し.pdf");
	export_file_name("../../etc/passwd", "pdf", out, sizeof out);
	assert_null(strchr(out, '/'));
	assert_true(out[0] != '.');
	export_file_name("写真.JPG", "png", out, sizeof out);	/* the type is what it is now */
	assert_string_equal(out, "写真.png");
	export_file_name("", "pdf", out, sizeof out);
	assert_string_equal(out, "file.pdf");
	export_file_name("\xe0\x81\x97x\xed\xa0\x80y", "pdf", out, sizeof out);	/* overlong, surrogate */
	assert_string_equal(out, "file.pdf");
	export_file_name("a\tb\\c:d", "pdf", out, sizeof out);
	assert_string_equal(out, "a_b_c_d.pdf");
	for (size_t i = 0; i < 130; i++)
		memcpy(longname + i * 3, "長", 3);
	strcpy(longname + 390, ".pdf");
	export_file_name(longname, "pdf", out, sizeof out);
	assert_true(strlen(out) <= EXPORT_NAME_MAX);
	assert_int_equal((strlen(out) - 4) % 3, 0);	/* whole characters only */
	assert_string_equal(out + strlen(out) - 4, ".pdf");
}

static void
test_japan_days_start_at_15_utc_the_day_before(void **state)
{
	char out[TIMEFMT_LEN];

	(void)state;
	assert_int_equal(office_query_day("2026-11-22", 0, out), 0);
	assert_string_equal(out, "2026-11-21T15:00:00Z");
	assert_int_equal(office_query_day("2026-12-31", 1, out), 0);
	assert_string_equal(out, "2026-12-31T15:00:00Z");
	assert_int_equal(office_query_day("2026-02-30", 0, out), -1);
	assert_int_equal(office_query_day("2026-1-5", 0, out), -1);
	assert_int_equal(office_query_instant("2026-11-22T10:00:00+09:00", out), 0);
	assert_string_equal(out, "2026-11-22T01:00:00Z");
	assert_int_equal(office_query_instant("yesterday", out), -1);
	office_query_jst("2026-11-21T15:00:00Z", out);
	assert_string_equal(out, "2026-11-22T00:00:00+09:00");
}

/* Applications with answers in departments 1 (市民課) and 2, and clerk 7 in 1. */
static void
add_applications(struct db *db)
{
	static const char *const rows[][4] = {
		/* receipt, department, status, answers */
		{ "R-1", "1", "arrived", "{\"name\":\"山田 太郎\",\"addr\":\"本町1丁目\"}" },
		{ "R-2", "1", "completed", "{\"name\":\"佐藤 花子\",\"note\":\"say \\\"hi\\\"\"}" },
		{ "R-3", "2", "arrived", "{\"name\":\"山田 次郎\"}" },
	};
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_exec(db_handle(db), "INSERT INTO departments (name, created_at)"
				      " VALUES ('税務課', 'now');"
				      "INSERT INTO staff (id, login, display_name, role, password_hash,"
				      " password_changed_at, created_at) VALUES (7, 'c', 'c', 'clerk', '',"
				      " 'now', 'now');"
				      "INSERT INTO staff_departments VALUES (7, 1);", NULL, NULL, NULL),
			 SQLITE_OK);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char app[256];

		snprintf(app, sizeof app, "{\"answers\":%s}", rows[i][3]);
		st = db_stmt(db, "INSERT INTO applications (bundle_id, received_at, status,"
				 " application_json, manifest_json, bundle_path, bundle_sha256, receipt_no,"
				 " procedure_id, department_id) VALUES (?1, ?2, ?3, ?4, '{}', '', '', ?1,"
				 " 'p', ?5)");
		sqlite3_bind_text(st, 1, rows[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, i == 0 ? "2026-11-01T00:00:00Z" : "2026-11-20T00:00:00Z", -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(st, 3, rows[i][2], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, app, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 5, atoi(rows[i][1]));
		assert_int_equal(db_step_done(st), 0);
	}
}

/* The receipts f selects, in order, joined by ",". */
static const char *
selected(struct db *db, const struct app_query *f)
{
	static char out[256];
	char where[APP_QUERY_SQL_MAX], sql[APP_QUERY_SQL_MAX + 128];
	sqlite3_stmt *st;

	assert_int_equal(app_query_sync(db), 0);
	assert_int_equal(app_query_where(f, where, sizeof where), 0);
	snprintf(sql, sizeof sql, "SELECT a.receipt_no FROM applications a%s ORDER BY a.id", where);
	assert_non_null(st = db_stmt(db, sql));
	app_query_bind(st, f);
	out[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW)
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", out[0] ? "," : "",
			 sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return out;
}

static void
test_query_filters_departments_and_text_search(void **state)
{
	struct fixture *f = *state;
	struct app_query q = { .all_departments = true };

	add_applications(f->db);
	assert_string_equal(selected(f->db, &q), "R-1,R-2,R-3");
	q.q = "山田";				/* two characters: no trigram, instr */
	assert_string_equal(selected(f->db, &q), "R-1,R-3");
	q.q = "山田 太郎";			/* the trigram index */
	assert_string_equal(selected(f->db, &q), "R-1");
	q.q = "say \\\"hi";			/* a quote: part of the phrase, not syntax */
	assert_string_equal(selected(f->db, &q), "R-2");
	q.q = "\" OR \"";
	assert_string_equal(selected(f->db, &q), "");
	q.q = NULL;
	q.status = "arrived";
	assert_string_equal(selected(f->db, &q), "R-1,R-3");
	q.all_departments = false;		/* clerk 7: department 1 only */
	q.staff_id = 7;
	assert_string_equal(selected(f->db, &q), "R-1");
	q.status = NULL;
	q.has_since = true;
	snprintf(q.since, sizeof q.since, "2026-11-10T00:00:00Z");
	assert_string_equal(selected(f->db, &q), "R-2");
	q.has_since = false;
	q.q = "山田";
	assert_string_equal(selected(f->db, &q), "R-1");
	q.q = NULL;
	q.assignee = -1;
	assert_string_equal(selected(f->db, &q), "R-1,R-2");
	q.assignee = 7;
	assert_string_equal(selected(f->db, &q), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_key_is_base64url_stored_as_sha256_and_found_by_itself_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_names_scopes_departments_and_duplicates_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoked_key_is_unknown_and_its_name_stays_taken, setup, teardown),
		cmocka_unit_test(test_bearer_header_parsing),
		cmocka_unit_test_setup_teardown(test_query_filters_departments_and_text_search, setup, teardown),
		cmocka_unit_test(test_cp932_replaces_missing_characters_with_geta_and_counts_them),
		cmocka_unit_test(test_cp932_writes_long_text_across_buffer_boundaries),
		cmocka_unit_test(test_sanitized_types_have_their_content_type),
		cmocka_unit_test(test_zip_names_keep_japanese_and_lose_paths),
		cmocka_unit_test(test_japan_days_start_at_15_utc_the_day_before),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
