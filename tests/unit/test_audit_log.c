/*
 * test_audit_log.c — the hash-chained audit log: an intact chain verifies, and an
 * edited, deleted or truncated entry is found and named.
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
#include "office_db.h"
#include "testutil.h"

struct fixture {
	char dir[64];
	struct db *db;
	struct audit_verify_report r;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char path[128], err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/sekisho-audit-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof path, "%s/demo.sqlite", f->dir);
	assert_int_equal(db_open(&f->db, path, DB_CREATE, office_db_migrations,
				 office_db_nmigrations, err, sizeof err), 0);
	for (int i = 1; i <= 10; i++) {
		json_t *d = json_pack("{s:i,s:s}", "n", i, "note", "ログイン");
		assert_int_equal(audit_log_append(f->db, "admin", "login.success", "staff:admin",
						  "10.0.0.5", d, 1700000000 + i, err, sizeof err), 0);
		json_decref(d);
	}
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

/* What someone with write access to the file would do: the triggers go first. */
static void
attacker_sql(struct db *db, const char *sql)
{
	assert_int_equal(sqlite3_exec(db_handle(db), "DROP TRIGGER audit_log_no_update;"
				      "DROP TRIGGER audit_log_no_delete;", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db_handle(db), sql, NULL, NULL, NULL), SQLITE_OK);
}

static int
names_row(const struct audit_verify_report *r, int64_t seq, const char *word)
{
	for (size_t i = 0; i < r->nproblems && i < AUDIT_MAX_PROBLEMS; i++)
		if (r->problems[i].seq == seq && strstr(r->problems[i].what, word))
			return 1;
	return 0;
}

static void
test_intact_chain_verifies_and_reports_head(void **state)
{
	struct fixture *f = *state;
	char err[256];

	assert_int_equal(audit_log_verify(f->db, 0, NULL, &f->r, err, sizeof err), 0);
	assert_int_equal(f->r.rows, 10);
	assert_int_equal(f->r.head_seq, 10);
	assert_int_equal(strlen(f->r.head_hash), 64);
	assert_int_equal(f->r.nproblems, 0);
}

static void
test_plain_update_and_delete_refused_by_triggers(void **state)
{
	struct fixture *f = *state;

	assert_int_not_equal(sqlite3_exec(db_handle(f->db), "UPDATE audit_log SET actor='x'",
					  NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db_handle(f->db), "DELETE FROM audit_log WHERE seq=3",
					  NULL, NULL, NULL), SQLITE_OK);
}

static void
test_edited_row_is_named(void **state)
{
	struct fixture *f = *state;
	char err[256];

	attacker_sql(f->db, "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 4");
	assert_int_equal(audit_log_verify(f->db, 0, NULL, &f->r, err, sizeof err), 1);
	assert_true(names_row(&f->r, 4, "改ざん"));
	assert_int_equal(f->r.nproblems, 1);
}

static void
test_edited_row_with_recomputed_hash_breaks_the_next_link(void **state)
{
	struct fixture *f = *state;
	char err[256];

	/* Changing detail and also the stored hash of row 6: row 7's link breaks. */
	attacker_sql(f->db, "UPDATE audit_log SET detail = '{}', hash = "
		     "'1111111111111111111111111111111111111111111111111111111111111111' WHERE seq = 6");
	assert_int_equal(audit_log_verify(f->db, 0, NULL, &f->r, err, sizeof err), 1);
	assert_true(names_row(&f->r, 6, "改ざん"));
	assert_true(names_row(&f->r, 7, "直前ハッシュ"));
}

static void
test_deleted_row_is_named(void **state)
{
	struct fixture *f = *state;
	char err[256];

	attacker_sql(f->db, "DELETE FROM audit_log WHERE seq = 5");
	assert_int_equal(audit_log_verify(f->db, 0, NULL, &f->r, err, sizeof err), 1);
	assert_true(names_row(&f->r, 6, "削除"));
	assert_int_equal(f->r.rows, 9);
}

static void
test_truncated_tail_found_only_against_an_anchor(void **state)
{
	struct fixture *f = *state;
	char err[256], head[65];

	assert_int_equal(audit_log_verify(f->db, 0, NULL, &f->r, err, sizeof err), 0);
	snprintf(head, sizeof head, "%s", f->r.head_hash);
	attacker_sql(f->db, "DELETE FROM audit_log WHERE seq >= 9");
	assert_int_equal(audit_log_verify(f->db, 0, NULL, &f->r, err, sizeof err), 0);
	assert_int_equal(audit_log_verify(f->db, 10, head, &f->r, err, sizeof err), 1);
	assert_true(names_row(&f->r, 10, "末尾"));
}

static void
test_chain_continues_after_reopen_and_long_fields_are_cut(void **state)
{
	struct fixture *f = *state;
	char err[256], longer[1000];

	memset(longer, 'a', sizeof longer - 4);
	memcpy(longer + sizeof longer - 4, "あ", 4);	/* 3 bytes + NUL */
	assert_int_equal(audit_log_append(f->db, longer, "x", "y", "z", NULL, 1800000000,
					  err, sizeof err), 0);
	assert_int_equal(audit_log_verify(f->db, 0, NULL, &f->r, err, sizeof err), 0);
	assert_int_equal(f->r.head_seq, 11);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_intact_chain_verifies_and_reports_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_update_and_delete_refused_by_triggers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edited_row_is_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edited_row_with_recomputed_hash_breaks_the_next_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_row_is_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_tail_found_only_against_an_anchor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_continues_after_reopen_and_long_fields_are_cut, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
