/*
 * test_office_db.c — staff accounts as provisioning creates them.
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

#include "office_db.h"
#include "password.h"
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

	snprintf(f->dir, sizeof f->dir, "/tmp/sekisho-office-XXXXXX");
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

static const char *
stored_hash(struct db *db, const char *login, int *must_change)
{
	static char hash[PASSWORD_HASH_LEN];
	sqlite3_stmt *st = db_stmt(db, "SELECT password_hash, must_change_password FROM staff"
				       " WHERE login = ?1");
	assert_non_null(st);
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(hash, sizeof hash, "%s", sqlite3_column_text(st, 0));
	*must_change = sqlite3_column_int(st, 1);
	sqlite3_reset(st);
	return hash;
}

static void
test_added_staff_has_argon2id_hash_not_password(void **state)
{
	struct fixture *f = *state;
	char err[256];
	int must;

	assert_int_equal(office_db_add_staff(f->db, "admin", "管理者", OFFICE_ROLE_ADMIN,
					     "correct horse battery", 1, err, sizeof err), 0);
	const char *h = stored_hash(f->db, "admin", &must);
	assert_int_equal(strncmp(h, "$argon2id$", 10), 0);
	assert_null(strstr(h, "correct horse"));
	assert_int_equal(password_verify("correct horse battery", h), 1);
	assert_int_equal(must, 1);
}

static void
test_duplicate_login_and_unknown_role_refused(void **state)
{
	struct fixture *f = *state;
	char err[256];

	assert_int_equal(office_db_add_staff(f->db, "tanaka", "田中", OFFICE_ROLE_CLERK, "pw-1",
					     1, err, sizeof err), 0);
	assert_int_equal(office_db_add_staff(f->db, "tanaka", "田中", OFFICE_ROLE_CLERK, "pw-2",
					     1, err, sizeof err), -1);
	assert_non_null(strstr(err, "staff tanaka"));
	assert_int_equal(office_db_add_staff(f->db, "suzuki", "鈴木", "superuser", "pw",
					     1, err, sizeof err), -1);
}

static void
test_password_reset_replaces_hash_and_reports_missing_login(void **state)
{
	struct fixture *f = *state;
	char err[256];
	int must;

	assert_int_equal(office_db_add_staff(f->db, "sato", "佐藤", OFFICE_ROLE_AUDITOR, "old-pw",
					     0, err, sizeof err), 0);
	assert_int_equal(office_db_set_password(f->db, "sato", "new-pw", 1, err, sizeof err), 0);
	const char *h = stored_hash(f->db, "sato", &must);
	assert_int_equal(password_verify("new-pw", h), 1);
	assert_int_equal(password_verify("old-pw", h), 0);
	assert_int_equal(must, 1);
	assert_int_equal(office_db_set_password(f->db, "nobody", "x", 1, err, sizeof err), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_added_staff_has_argon2id_hash_not_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_login_and_unknown_role_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_reset_replaces_hash_and_reports_missing_login, setup, teardown),
	};
	return cmocka_run_group_tests_name("office_db", tests, NULL, NULL);
}
