/*
 * test_db.c — a database handed out is configured, migrated exactly once, private to
 * its owner, and its backup restores to the same rows.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "testutil.h"

static const struct db_migration migs[] = {
	{ 1, "CREATE TABLE tenant (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
	     "INSERT INTO tenant (id, name) VALUES (1, '関所市');" },
	{ 2, "CREATE TABLE application (id INTEGER PRIMARY KEY,"
	     " tenant_id INTEGER NOT NULL REFERENCES tenant(id), body BLOB);" },
	{ 3, "ALTER TABLE application ADD COLUMN status TEXT NOT NULL DEFAULT 'new';" },
};
#define NMIGS (sizeof(migs) / sizeof(migs[0]))

static char dir[PATH_MAX];
static char path[PATH_MAX + 32];
static char err[512];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_db.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/tenant.db", dir);
	err[0] = '\0';
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return testutil_rmtree(dir);
}

static struct db *
open_ok(unsigned flags, size_t n)
{
	struct db *db = NULL;

	if (db_open(&db, path, flags, migs, n, err, sizeof(err)) != 0)
		fail_msg("db_open: %s", err);
	return db;
}

static void
pragma_is(struct db *db, const char *sql, const char *want)
{
	sqlite3_stmt *st = db_stmt(db, sql);

	assert_non_null(st);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), want);
	sqlite3_reset(st);
}

static long
count(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	long n;

	assert_non_null(st);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = (long)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

static int
exec(struct db *db, const char *sql)
{
	return sqlite3_exec(db_handle(db), sql, NULL, NULL, NULL);
}

static void
test_open_sets_wal_and_foreign_keys(void **state)
{
	struct db *db;

	(void)state;
	db = open_ok(DB_CREATE, NMIGS);
	pragma_is(db, "PRAGMA journal_mode", "wal");
	pragma_is(db, "PRAGMA foreign_keys", "1");
	pragma_is(db, "PRAGMA synchronous", "2");
	pragma_is(db, "PRAGMA secure_delete", "1");
	/* Foreign keys are enforced, not just declared. */
	assert_int_equal(exec(db, "INSERT INTO application (tenant_id) VALUES (99)"),
	    SQLITE_CONSTRAINT_FOREIGNKEY);
	assert_int_equal(exec(db, "INSERT INTO application (tenant_id) VALUES (1)"),
	    SQLITE_OK);
	assert_int_equal(db_ping(db), 0);
	db_close(db);
}

static void
test_missing_file_without_create_refused(void **state)
{
	struct db *db = (struct db *)1;

	(void)state;
	assert_int_equal(db_open(&db, path, 0, migs, NMIGS, err, sizeof(err)), -1);
	assert_null(db);
	assert_non_null(strstr(err, path));
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(db_open(&db, path, DB_CREATE | DB_READONLY, migs, NMIGS, err,
	    sizeof(err)), -1);
}

static void
test_migrations_applied_once_and_versioned(void **state)
{
	struct db *db;

	(void)state;
	db = open_ok(DB_CREATE, 2);
	assert_int_equal(db_schema_version(db), 2);
	assert_int_equal(count(db, "SELECT count(*) FROM tenant"), 1);
	db_close(db);

	/* Reopening does not re-run migration 1 (its INSERT would duplicate id 1). */
	db = open_ok(0, 2);
	assert_int_equal(db_schema_version(db), 2);
	assert_int_equal(count(db, "SELECT count(*) FROM tenant"), 1);
	db_close(db);

	/* A newer program applies only what is new. */
	db = open_ok(0, 3);
	assert_int_equal(db_schema_version(db), 3);
	assert_int_equal(exec(db, "INSERT INTO application (tenant_id) VALUES (1)"), 0);
	pragma_is(db, "SELECT status FROM application", "new");
	db_close(db);
}

static void
test_migration_list_out_of_order_refused(void **state)
{
	static const struct db_migration gap[] = {
		{ 1, "CREATE TABLE a (x)" }, { 3, "CREATE TABLE b (x)" },
	};
	struct db *db;

	(void)state;
	assert_int_equal(db_open(&db, path, DB_CREATE, gap, 2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "migration list entry 1 has version 3, "
	    "expected 2"));
	/* Refused before the file was made. */
	assert_int_equal(access(path, F_OK), -1);
}

static void
test_failed_migration_rolls_back_and_reports(void **state)
{
	static const struct db_migration bad[] = {
		{ 1, "CREATE TABLE a (x);" },
		/* The first statement succeeds; the second fails: both must vanish. */
		{ 2, "CREATE TABLE b (x); INSERT INTO nosuch VALUES (1);" },
	};
	struct db *db;

	(void)state;
	assert_int_equal(db_open(&db, path, DB_CREATE, bad, 2, err, sizeof(err)), -1);
	assert_null(db);
	assert_non_null(strstr(err, "tenant.db: migration 2: no such table: nosuch"));

	if (db_open(&db, path, 0, bad, 1, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(db_schema_version(db), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM sqlite_schema WHERE name='a'"),
	    1);
	assert_int_equal(count(db, "SELECT count(*) FROM sqlite_schema WHERE name='b'"),
	    0);
	db_close(db);
}

static void
test_newer_database_refused(void **state)
{
	struct db *db;

	(void)state;
	db_close(open_ok(DB_CREATE, 3));
	assert_int_equal(db_open(&db, path, 0, migs, 2, err, sizeof(err)), -1);
	assert_null(db);
	assert_non_null(strstr(err, "tenant.db: schema version 3 is newer than this "
	    "program (2)"));
	assert_int_equal(db_open(&db, path, DB_READONLY, migs, 2, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "newer than this program"));
	/* And the file was left as it was. */
	db = open_ok(0, 3);
	assert_int_equal(db_schema_version(db), 3);
	db_close(db);
}

static void
test_stmt_cache_returns_reset_statement(void **state)
{
	struct db *db;
	sqlite3_stmt *st, *again, *held;
	char sql[64];
	int i;

	(void)state;
	db = open_ok(DB_CREATE, NMIGS);
	st = db_stmt(db, "SELECT ?1, name FROM tenant");
	assert_non_null(st);
	assert_int_equal(sqlite3_bind_int(st, 1, 42), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 42);
	assert_true(sqlite3_stmt_busy(st));

	/* The same text gives the same statement, reset and with bindings cleared. */
	again = db_stmt(db, "SELECT ?1, name FROM tenant");
	assert_ptr_equal(again, st);
	assert_false(sqlite3_stmt_busy(again));
	assert_int_equal(sqlite3_step(again), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(again, 0), SQLITE_NULL);
	assert_string_equal((const char *)sqlite3_column_text(again, 1), "関所市");

	/* A statement mid-iteration survives more distinct statements than fit,
	 * when those are run to the end. */
	assert_int_equal(exec(db, "INSERT INTO tenant (name) VALUES ('b'), ('c')"), 0);
	held = db_stmt(db, "SELECT name FROM tenant ORDER BY id");
	assert_int_equal(sqlite3_step(held), SQLITE_ROW);
	for (i = 0; i < 2 * DB_STMT_CACHE; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		st = db_stmt(db, sql);
		assert_non_null(st);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), i);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	}
	assert_int_equal(sqlite3_step(held), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(held, 0), "b");

	/* Statements left mid-step (one row read, never reset) do not exhaust the
	 * cache: the least recently fetched is evicted all the same. */
	for (i = 0; i < 2 * DB_STMT_CACHE; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d, 'x'", i);
		st = db_stmt(db, sql);
		assert_non_null(st);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	}

	/* Errors: one statement per call, reported through db_errmsg. */
	assert_null(db_stmt(db, "SELECT 1; DROP TABLE tenant"));
	assert_non_null(strstr(db_errmsg(db), "more than one statement"));
	assert_non_null(db_stmt(db, "SELECT 2; -- a trailing comment is fine"));
	assert_null(db_stmt(db, "SELEC 1"));
	assert_non_null(strstr(db_errmsg(db), "syntax error"));
	db_close(db);
}

static void
test_transactions_commit_and_roll_back(void **state)
{
	struct db *db;

	(void)state;
	db = open_ok(DB_CREATE, NMIGS);
	assert_int_equal(db_begin(db), SQLITE_OK);
	assert_int_equal(exec(db, "INSERT INTO tenant (name) VALUES ('x')"), 0);
	assert_int_equal(db_rollback(db), SQLITE_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM tenant"), 1);
	assert_int_equal(db_begin(db), SQLITE_OK);
	assert_int_equal(exec(db, "INSERT INTO tenant (name) VALUES ('x')"), 0);
	assert_int_equal(db_commit(db), SQLITE_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM tenant"), 2);
	/* A rollback with nothing to roll back is not an error on an error path. */
	assert_int_equal(db_rollback(db), SQLITE_OK);
	assert_int_equal(db_commit(db), SQLITE_ERROR);
	db_close(db);
}

static void
test_backup_restores_identical_content(void **state)
{
	static const unsigned char blob[] = { 0, 1, 2, 0xff, 0xfe, 0 };
	struct db *db, *copy;
	sqlite3_stmt *a, *b;
	char dest[PATH_MAX + 32];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int i, rows = 0, rca, rcb;

	(void)state;
	db = open_ok(DB_CREATE, NMIGS);
	a = db_stmt(db, "INSERT INTO application (tenant_id, body, status) "
	    "VALUES (1, ?1, ?2)");
	for (i = 0; i < 500; i++) {
		sqlite3_reset(a);
		sqlite3_bind_blob(a, 1, blob, (int)sizeof(blob), SQLITE_STATIC);
		sqlite3_bind_text(a, 2, i % 2 ? "受付" : "審査中", -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(a), SQLITE_DONE);
	}
	snprintf(dest, sizeof(dest), "%s/backup.db", dir);
	if (db_backup(db, dest, err, sizeof(err)) != 0)
		fail_msg("db_backup: %s", err);
	/* A second backup replaces the first in place. */
	if (db_backup(db, dest, err, sizeof(err)) != 0)
		fail_msg("db_backup: %s", err);
	assert_int_equal(stat(dest, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* No temporary or journal file is left beside it. */
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "backup.db", 9) == 0)
			assert_string_equal(de->d_name, "backup.db");
	closedir(d);

	if (db_open(&copy, dest, DB_READONLY, migs, NMIGS, err, sizeof(err)) != 0)
		fail_msg("db_open copy: %s", err);
	assert_int_equal(db_schema_version(copy), (int)NMIGS);
	a = db_stmt(db, "SELECT id, tenant_id, body, status FROM application ORDER BY id");
	b = db_stmt(copy, "SELECT id, tenant_id, body, status FROM application "
	    "ORDER BY id");
	for (;;) {
		rca = sqlite3_step(a);
		rcb = sqlite3_step(b);
		assert_int_equal(rca, rcb);
		if (rca != SQLITE_ROW)
			break;
		for (i = 0; i < 4; i++) {
			assert_int_equal(sqlite3_column_bytes(a, i),
			    sqlite3_column_bytes(b, i));
			assert_memory_equal(sqlite3_column_blob(a, i),
			    sqlite3_column_blob(b, i), sqlite3_column_bytes(a, i));
		}
		rows++;
	}
	assert_int_equal(rca, SQLITE_DONE);
	assert_int_equal(rows, 500);
	pragma_is(copy, "SELECT name FROM tenant", "関所市");
	db_close(copy);
	db_close(db);
}

static void
test_backup_to_missing_directory_reports(void **state)
{
	struct db *db;
	char dest[PATH_MAX + 32];

	(void)state;
	db = open_ok(DB_CREATE, NMIGS);
	snprintf(dest, sizeof(dest), "%s/nodir/backup.db", dir);
	assert_int_equal(db_backup(db, dest, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nodir/backup.db: temporary file: No such file"));
	db_close(db);
}

static void
test_file_created_0600(void **state)
{
	struct db *db;
	struct stat st;
	char wal[PATH_MAX + 40];
	mode_t old;

	(void)state;
	old = umask(0);		/* the widest umask must not widen the file */
	db = open_ok(DB_CREATE, NMIGS);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(exec(db, "INSERT INTO tenant (name) VALUES ('x')"), 0);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	db_close(db);
}

static void
test_symlink_refused(void **state)
{
	struct db *db;
	char target[PATH_MAX + 32];

	(void)state;
	db_close(open_ok(DB_CREATE, NMIGS));
	snprintf(target, sizeof(target), "%s", path);
	snprintf(path, sizeof(path), "%s/link.db", dir);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(db_open(&db, path, 0, migs, NMIGS, err, sizeof(err)), -1);
	assert_int_equal(db_open(&db, path, DB_CREATE, migs, NMIGS, err, sizeof(err)),
	    -1);
}

static void
test_readonly_open_refuses_write(void **state)
{
	struct db *db;

	(void)state;
	db_close(open_ok(DB_CREATE, 2));
	/* Read-only never migrates, so a version mismatch is refused. */
	assert_int_equal(db_open(&db, path, DB_READONLY, migs, NMIGS, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "schema version 2, this program expects 3"));

	db = open_ok(DB_READONLY, 2);
	assert_int_equal(count(db, "SELECT count(*) FROM tenant"), 1);
	assert_int_equal(exec(db, "INSERT INTO tenant (name) VALUES ('x')") & 0xff,
	    SQLITE_READONLY);
	assert_int_equal(db_begin(db) & 0xff, SQLITE_READONLY);
	assert_int_equal(exec(db, "DELETE FROM tenant") & 0xff, SQLITE_READONLY);
	assert_int_equal(db_rollback(db), SQLITE_OK);
	assert_int_equal(db_ping(db), 0);
	db_close(db);

	db = open_ok(0, 2);
	assert_int_equal(count(db, "SELECT count(*) FROM tenant"), 1);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_sets_wal_and_foreign_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file_without_create_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrations_applied_once_and_versioned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_list_out_of_order_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_migration_rolls_back_and_reports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_database_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stmt_cache_returns_reset_statement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions_commit_and_roll_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_restores_identical_content, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_to_missing_directory_reports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_created_0600, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_open_refuses_write, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
