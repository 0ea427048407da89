/*
 * test_session.c — server-side sessions: only hashes stored, timeouts, rotation,
 * CSRF and the strict cookie parser.
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

#include "session.h"
#include "testutil.h"

static const struct db_migration migs[] = { { 1, SESSION_SQL } };

struct fixture {
	char dir[64];
	struct db *db;
	struct session_config c;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char path[128], err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/sekisho-session-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof path, "%s/s.sqlite", f->dir);
	assert_int_equal(db_open(&f->db, path, DB_CREATE, migs, 1, err, sizeof err), 0);
	f->c = (struct session_config){ .idle_s = 1800, .absolute_s = 43200, .secure = true,
					.name = "sekisho-staff-demo" };
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
count_rows(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM sessions");
	int n;

	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return n;
}

static void
test_token_is_stored_only_as_its_hash(void **state)
{
	struct fixture *f = *state;
	struct session s, l;
	char err[256];
	sqlite3_stmt *st;

	assert_int_equal(session_create(f->db, 7, "10.0.0.1", NULL, 1000, &s, err, sizeof err), 0);
	assert_int_equal(strlen(s.token), SESSION_TOKEN_HEX);
	st = db_stmt(f->db, "SELECT token_hash FROM sessions");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_not_equal((const char *)sqlite3_column_text(st, 0), s.token);
	assert_int_equal(strlen((const char *)sqlite3_column_text(st, 0)), 64);
	sqlite3_reset(st);
	assert_int_equal(session_lookup(f->db, &f->c, s.token, 1001, &l, err, sizeof err),
			 SESSION_OK);
	assert_int_equal(l.subject, 7);
	assert_string_equal(l.csrf, s.csrf);
	/* The stored hash itself is not a token that works. */
	st = db_stmt(f->db, "SELECT token_hash FROM sessions");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	char stored[65];
	snprintf(stored, sizeof stored, "%s", sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	assert_int_equal(session_lookup(f->db, &f->c, stored, 1001, &l, err, sizeof err),
			 SESSION_NONE);
}

static void
test_idle_timeout_ends_session_and_deletes_it(void **state)
{
	struct fixture *f = *state;
	struct session s, l;
	char err[256];

	session_create(f->db, 1, "x", NULL, 1000, &s, err, sizeof err);
	/* Each use moves the idle deadline. */
	assert_int_equal(session_lookup(f->db, &f->c, s.token, 1000 + 1799, &l, err, sizeof err),
			 SESSION_OK);
	assert_int_equal(session_lookup(f->db, &f->c, s.token, 1000 + 1799 + 1799, &l, err,
					sizeof err), SESSION_OK);
	assert_int_equal(session_lookup(f->db, &f->c, s.token, 1000 + 1799 * 2 + 1800, &l, err,
					sizeof err), SESSION_EXPIRED);
	assert_int_equal(count_rows(f->db), 0);
	assert_int_equal(session_lookup(f->db, &f->c, s.token, 1000 + 1799 * 2 + 1801, &l, err,
					sizeof err), SESSION_NONE);
}

static void
test_absolute_timeout_ends_even_an_active_session(void **state)
{
	struct fixture *f = *state;
	struct session s, l;
	char err[256];
	time_t t;

	session_create(f->db, 1, "x", NULL, 0, &s, err, sizeof err);
	for (t = 1000; t < 43200; t += 1000)
		assert_int_equal(session_lookup(f->db, &f->c, s.token, t, &l, err, sizeof err),
				 SESSION_OK);
	assert_int_equal(session_lookup(f->db, &f->c, s.token, 43200, &l, err, sizeof err),
			 SESSION_EXPIRED);
}

static void
test_login_rotates_token_and_old_one_is_dead(void **state)
{
	struct fixture *f = *state;
	struct session a, b, l;
	char err[256];

	session_create(f->db, 1, "x", NULL, 100, &a, err, sizeof err);
	assert_int_equal(session_create(f->db, 1, "x", a.token, 101, &b, err, sizeof err), 0);
	assert_string_not_equal(a.token, b.token);
	assert_string_not_equal(a.csrf, b.csrf);
	assert_int_equal(session_lookup(f->db, &f->c, a.token, 102, &l, err, sizeof err),
			 SESSION_NONE);
	assert_int_equal(session_lookup(f->db, &f->c, b.token, 102, &l, err, sizeof err),
			 SESSION_OK);
	assert_int_equal(session_delete(f->db, b.token), 0);
	assert_int_equal(session_lookup(f->db, &f->c, b.token, 103, &l, err, sizeof err),
			 SESSION_NONE);
}

static void
test_delete_subject_keeps_only_the_current_session(void **state)
{
	struct fixture *f = *state;
	struct session a, b, c, l;
	char err[256];

	session_create(f->db, 1, "x", NULL, 100, &a, err, sizeof err);
	session_create(f->db, 1, "x", NULL, 100, &b, err, sizeof err);
	session_create(f->db, 2, "x", NULL, 100, &c, err, sizeof err);
	assert_int_equal(session_delete_subject(f->db, 1, b.token), 1);
	assert_int_equal(session_lookup(f->db, &f->c, a.token, 101, &l, err, sizeof err), SESSION_NONE);
	assert_int_equal(session_lookup(f->db, &f->c, b.token, 101, &l, err, sizeof err), SESSION_OK);
	assert_int_equal(session_lookup(f->db, &f->c, c.token, 101, &l, err, sizeof err), SESSION_OK);
	assert_int_equal(session_purge(f->db, &f->c, 101 + 1800), 2);
	assert_int_equal(count_rows(f->db), 0);
}

static void
test_csrf_token_checked_exactly(void **state)
{
	struct fixture *f = *state;
	struct session a, b;
	char err[256], bad[SESSION_TOKEN_HEX + 1];

	session_create(f->db, 1, "x", NULL, 100, &a, err, sizeof err);
	session_create(f->db, 1, "x", NULL, 100, &b, err, sizeof err);
	assert_int_equal(session_csrf_check(a.token, a.csrf), 1);
	assert_int_equal(session_csrf_check(a.token, b.csrf), 0);
	assert_int_equal(session_csrf_check(a.token, NULL), 0);
	assert_int_equal(session_csrf_check(a.token, ""), 0);
	/* The session token itself is not its CSRF token. */
	assert_int_equal(session_csrf_check(a.token, a.token), 0);
	memcpy(bad, a.csrf, sizeof bad);
	bad[10] ^= 1;
	assert_int_equal(session_csrf_check(a.token, bad), 0);
	char longer[80];
	snprintf(longer, sizeof longer, "%sx", a.csrf);
	assert_int_equal(session_csrf_check(a.token, longer), 0);
}

static void
test_cookie_parser_is_strict(void **state)
{
	struct fixture *f = *state;
	char tok[SESSION_TOKEN_HEX + 1], hdr[600];
	const char *t = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

	snprintf(hdr, sizeof hdr, "a=b; __Host-sekisho-staff-demo=%s; c=d", t);
	assert_int_equal(session_cookie_parse(&f->c, hdr, tok), 0);
	assert_string_equal(tok, t);
	/* Without the prefix the name is another cookie (one a sibling host could set). */
	snprintf(hdr, sizeof hdr, "sekisho-staff-demo=%s", t);
	assert_int_equal(session_cookie_parse(&f->c, hdr, tok), SESSION_NONE);
	/* Two of ours: neither trusted. */
	snprintf(hdr, sizeof hdr, "__Host-sekisho-staff-demo=%s; __Host-sekisho-staff-demo=%s",
		 t, t);
	assert_int_equal(session_cookie_parse(&f->c, hdr, tok), SESSION_NONE);
	/* Upper-case hex, wrong length, quotes. */
	snprintf(hdr, sizeof hdr, "__Host-sekisho-staff-demo=%.63sA", t);
	assert_int_equal(session_cookie_parse(&f->c, hdr, tok), SESSION_NONE);
	snprintf(hdr, sizeof hdr, "__Host-sekisho-staff-demo=%.63s", t);
	assert_int_equal(session_cookie_parse(&f->c, hdr, tok), SESSION_NONE);
	snprintf(hdr, sizeof hdr, "__Host-sekisho-staff-demo=\"%.62s\"", t);
	assert_int_equal(session_cookie_parse(&f->c, hdr, tok), SESSION_NONE);
	assert_int_equal(session_cookie_parse(&f->c, NULL, tok), SESSION_NONE);
	/* Over the length bound, even with a good pair in it. */
	char *huge = malloc(SESSION_COOKIE_MAX + 200);
	memset(huge, 'x', SESSION_COOKIE_MAX + 100);
	snprintf(huge + SESSION_COOKIE_MAX, 100, "; __Host-sekisho-staff-demo=%.20s", t);
	assert_int_equal(session_cookie_parse(&f->c, huge, tok), SESSION_NONE);
	free(huge);
	/* Too many pairs. */
	char many[SESSION_COOKIE_PAIRS * 6 + 200];
	size_t o = 0;
	for (int i = 0; i < SESSION_COOKIE_PAIRS; i++)
		o += (size_t)snprintf(many + o, sizeof many - o, "a=%d; ", i % 10);
	snprintf(many + o, sizeof many - o, "__Host-sekisho-staff-demo=%s", t);
	assert_int_equal(session_cookie_parse(&f->c, many, tok), SESSION_NONE);
}

static void
test_set_cookie_attributes(void **state)
{
	struct fixture *f = *state;
	char out[SESSION_SET_COOKIE_MAX];
	const char *t = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

	assert_int_equal(session_set_cookie(&f->c, t, out, sizeof out), 0);
	assert_non_null(strstr(out, "__Host-sekisho-staff-demo="));
	assert_non_null(strstr(out, "; HttpOnly"));
	assert_non_null(strstr(out, "; SameSite=Strict"));
	assert_non_null(strstr(out, "; Path=/"));
	assert_non_null(strstr(out, "; Secure"));
	assert_null(strstr(out, "Domain"));
	assert_int_equal(session_set_cookie(&f->c, NULL, out, sizeof out), 0);
	assert_non_null(strstr(out, "Max-Age=0"));
	f->c.secure = false;
	assert_int_equal(session_set_cookie(&f->c, t, out, sizeof out), 0);
	assert_null(strstr(out, "Secure"));
	assert_null(strstr(out, "__Host-"));
	f->c.name = "bad name;";
	assert_int_equal(session_set_cookie(&f->c, t, out, sizeof out), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_token_is_stored_only_as_its_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout_ends_session_and_deletes_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absolute_timeout_ends_even_an_active_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_rotates_token_and_old_one_is_dead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_subject_keeps_only_the_current_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csrf_token_checked_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cookie_parser_is_strict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_cookie_attributes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
