/*
 * test_routing.c — routing rules (振り分け): refused unless they name a real choice,
 * option and department; the first matching rule decides, else the procedure's
 * department.
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
#include "routing.h"
#include "testutil.h"

struct fixture {
	char dir[64];
	char path[128];
	struct db *db;
	json_t *def;
};

static const char DEF[] =
	"{\"id\":\"gomi\",\"title\":\"粗大ごみ\",\"schema\":{\"fields\":["
	" {\"name\":\"area\",\"type\":\"select\",\"label\":\"地区\",\"options\":["
	"   {\"value\":\"north\",\"label\":\"北部\"},{\"value\":\"south\",\"label\":\"南部\"}]},"
	" {\"name\":\"items\",\"type\":\"checkbox\",\"label\":\"品目\",\"options\":["
	"   {\"value\":\"sofa\",\"label\":\"ソファ\"},{\"value\":\"bed\",\"label\":\"ベッド\"}]},"
	" {\"name\":\"name\",\"type\":\"text\",\"label\":\"氏名\"},"
	" {\"name\":\"g\",\"type\":\"group\",\"label\":\"G\",\"fields\":["
	"   {\"name\":\"inner\",\"type\":\"radio\",\"label\":\"内\",\"options\":["
	"     {\"value\":\"a\",\"label\":\"A\"}]}]}]}}";

static void
add_department(struct db *db, const char *name)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO departments (name, created_at) VALUES (?1, '2026-11-22T00:00:00Z')");

	assert_non_null(st);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_reset(st);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/sekisho-routing-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/demo.sqlite", f->dir);
	assert_int_equal(db_open(&f->db, f->path, DB_CREATE, office_db_migrations,
				 office_db_nmigrations, err, sizeof err), 0);
	add_department(f->db, "環境課");	/* id 1 */
	add_department(f->db, "北部支所");	/* id 2 */
	add_department(f->db, "南部支所");	/* id 3 */
	f->def = jsonio_parse(DEF, strlen(DEF), 1 << 16, 16, err, sizeof err);
	assert_non_null(f->def);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	json_decref(f->def);
	db_close(f->db);
	assert_int_equal(testutil_rmtree(f->dir), 0);
	free(f);
	return 0;
}

static json_t *
parse(const char *text)
{
	char err[64];
	json_t *j = jsonio_parse(text, strlen(text), 1 << 16, 16, err, sizeof err);

	assert_non_null(j);
	return j;
}

/* routing_check's verdict on rules (JSON text); the stored rules in *out when 0. */
static int
check(struct fixture *f, const char *rules, json_t **out, char *why, size_t whylen)
{
	json_t *r = parse(rules);
	int rc = routing_check(f->db, f->def, r, out, why, whylen);

	json_decref(r);
	return rc;
}

static void
test_rules_are_stored_with_department_ids(void **state)
{
	struct fixture *f = *state;
	char why[512] = "";
	json_t *out, *described;

	assert_int_equal(check(f, "[{\"field\":\"area\",\"value\":\"north\",\"department\":\"北部支所\"},"
				  " {\"field\":\"items\",\"value\":\"bed\",\"department_id\":3}]",
			       &out, why, sizeof why), 0);
	assert_int_equal(json_array_size(out), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(out, 0), "department_id")), 2);
	assert_null(json_object_get(json_array_get(out, 0), "department"));
	described = routing_describe(f->db, out);
	assert_string_equal(jsonio_str(json_array_get(described, 1), "department", ""), "南部支所");
	json_decref(described);
	json_decref(out);
	assert_int_equal(routing_check(f->db, f->def, NULL, &out, why, sizeof why), 0);
	assert_int_equal(json_array_size(out), 0);
	json_decref(out);
}

static void
test_rules_the_form_cannot_satisfy_are_refused(void **state)
{
	static const struct {
		const char *rules, *expect;
	} cases[] = {
		{ "[{\"field\":\"name\",\"value\":\"x\",\"department_id\":2}]", "選択式の項目" },
		{ "[{\"field\":\"nowhere\",\"value\":\"x\",\"department_id\":2}]", "選択式の項目" },
		/* Only top-level fields: an answer inside a group has many items. */
		{ "[{\"field\":\"inner\",\"value\":\"a\",\"department_id\":2}]", "選択式の項目" },
		{ "[{\"field\":\"area\",\"value\":\"east\",\"department_id\":2}]", "選択肢「east」はありません" },
		{ "[{\"field\":\"area\",\"value\":\"north\",\"department\":\"西部支所\"}]", "存在しない部署" },
		{ "[{\"field\":\"area\",\"value\":\"north\"}]", "部署を指定してください" },
		{ "[{\"field\":\"area\",\"department_id\":2}]", "field）と選択肢" },
		{ "[\"area\"]", "field）と選択肢" },
		{ "{\"area\":\"north\"}", "配列" },
	};
	struct fixture *f = *state;
	char why[512];
	json_t *out;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		why[0] = '\0';
		assert_int_equal(check(f, cases[i].rules, &out, why, sizeof why), 1);
		assert_null(out);
		if (strstr(why, cases[i].expect) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, why, cases[i].expect);
	}
}

static void
test_too_many_rules_are_refused(void **state)
{
	struct fixture *f = *state;
	json_t *rules = json_array(), *out;
	char why[512];
	int i;

	for (i = 0; i <= ROUTING_RULES_MAX; i++)
		json_array_append_new(rules, json_pack("{s:s,s:s,s:i}", "field", "area", "value",
						       "north", "department_id", 2));
	assert_int_equal(routing_check(f->db, f->def, rules, &out, why, sizeof why), 1);
	assert_non_null(strstr(why, "件まで"));
	json_array_remove(rules, 0);
	assert_int_equal(routing_check(f->db, f->def, rules, &out, why, sizeof why), 0);
	json_decref(out);
	json_decref(rules);
}

static void
test_first_matching_rule_decides_else_the_procedure(void **state)
{
	json_t *rules = parse("[{\"field\":\"area\",\"value\":\"north\",\"department_id\":2},"
			      " {\"field\":\"items\",\"value\":\"bed\",\"department_id\":3},"
			      " {\"field\":\"area\",\"value\":\"south\",\"department_id\":3}]");
	json_t *a;

	(void)state;
	a = parse("{\"area\":\"north\",\"items\":[\"bed\"]}");
	assert_int_equal(routing_pick(rules, a, 1), 2);
	json_decref(a);
	a = parse("{\"area\":\"south\",\"items\":[\"sofa\",\"bed\"]}");
	assert_int_equal(routing_pick(rules, a, 1), 3);	/* the checkbox rule comes first */
	json_decref(a);
	a = parse("{\"items\":[\"sofa\"]}");
	assert_int_equal(routing_pick(rules, a, 1), 1);
	json_decref(a);
	a = parse("{\"area\":[\"north\"],\"name\":\"north\"}");
	assert_int_equal(routing_pick(rules, a, 1), 2);	/* the value, wherever it sits */
	json_decref(a);
	assert_int_equal(routing_pick(rules, NULL, 7), 7);
	assert_int_equal(routing_pick(NULL, a, 7), 7);
	json_decref(rules);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rules_are_stored_with_department_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules_the_form_cannot_satisfy_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_rules_are_refused, setup, teardown),
		cmocka_unit_test(test_first_matching_rule_decides_else_the_procedure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
