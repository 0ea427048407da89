/*
 * test_tenant.c — a tenant is its database files, and only well-named ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tenant.h"
#include "testutil.h"

static const struct db_migration migs[] = {
	{ 1, "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);" },
};

static void
touch_db(const char *dir, const char *name)
{
	char path[512], err[256];
	struct db *db;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(db_open(&db, path, DB_CREATE, migs, 1, err, sizeof err), 0);
	db_close(db);
}

static void
test_names_are_lowercase_ascii_digits_and_hyphens(void **state)
{
	(void)state;
	assert_true(tenant_name_valid("demo"));
	assert_true(tenant_name_valid("city-13101"));
	assert_false(tenant_name_valid(""));
	assert_false(tenant_name_valid(NULL));
	assert_false(tenant_name_valid("-lead"));
	assert_false(tenant_name_valid("Demo"));
	assert_false(tenant_name_valid("../etc"));
	assert_false(tenant_name_valid("a/b"));
	assert_false(tenant_name_valid("東京"));
	assert_true(tenant_name_valid("abcdefghijklmnopqrstuvwxyz012345"));	/* 32 */
	assert_false(tenant_name_valid("abcdefghijklmnopqrstuvwxyz0123456"));	/* 33 */
}

static void
test_db_path_refuses_invalid_name(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(tenant_db_path("/x/db", "demo", out, sizeof out), 0);
	assert_string_equal(out, "/x/db/demo.sqlite");
	assert_int_equal(tenant_db_path("/x/db", "../demo", out, sizeof out), -1);
	assert_int_equal(tenant_db_path("/a/very/long/directory/name/that/does/not/fit", "demo",
					 out, 16), -1);
}

static void
test_set_opens_every_tenant_sorted_and_finds_by_name(void **state)
{
	(void)state;
	char dir[] = "/tmp/sekisho-tenant-XXXXXX", err[256];
	struct tenant_set ts;
	assert_non_null(mkdtemp(dir));
	touch_db(dir, "zeta.sqlite");
	touch_db(dir, "alpha.sqlite");
	assert_int_equal(tenant_set_open(&ts, dir, migs, 1, err, sizeof err), 0);
	assert_int_equal(ts.n, 2);
	assert_string_equal(ts.t[0].name, "alpha");
	assert_string_equal(ts.t[1].name, "zeta");
	assert_non_null(tenant_find(&ts, "zeta"));
	assert_null(tenant_find(&ts, "beta"));
	assert_null(tenant_find(&ts, "../zeta"));

	json_t *h = json_pack("{s:s,s:{}}", "status", "ok", "checks");
	tenant_set_health(&ts, h);
	assert_true(json_is_true(json_object_get(json_object_get(json_object_get(h, "checks"),
								 "database"), "ok")));
	json_decref(h);
	tenant_set_close(&ts);
	assert_int_equal(testutil_rmtree(dir), 0);
}

static void
test_badly_named_database_file_is_an_error(void **state)
{
	(void)state;
	char dir[] = "/tmp/sekisho-tenant-XXXXXX", err[256];
	struct tenant_set ts;
	assert_non_null(mkdtemp(dir));
	touch_db(dir, "demo.sqlite");
	touch_db(dir, "Bad Name.sqlite");
	assert_int_equal(tenant_set_open(&ts, dir, migs, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "Bad Name.sqlite: not a valid tenant database name"));
	assert_int_equal(testutil_rmtree(dir), 0);
}

static void
test_missing_directory_is_reported(void **state)
{
	(void)state;
	char err[256];
	struct tenant_set ts;
	assert_int_equal(tenant_set_open(&ts, "/nonexistent/sekisho", migs, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/sekisho: cannot open tenant directory"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_are_lowercase_ascii_digits_and_hyphens),
		cmocka_unit_test(test_db_path_refuses_invalid_name),
		cmocka_unit_test(test_set_opens_every_tenant_sorted_and_finds_by_name),
		cmocka_unit_test(test_badly_named_database_file_is_an_error),
		cmocka_unit_test(test_missing_directory_is_reported),
	};
	return cmocka_run_group_tests_name("tenant", tests, NULL, NULL);
}
