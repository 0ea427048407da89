/*
 * routing.c — routing rules: checked when staff save them, applied at import.
 *
 * A rule is checked against the very definition it is saved with, so a rule that
 * names a field or option the form does not have is refused then, not discovered
 * when an application falls through to the default department.
 */
#include "routing.h"

#include <stdio.h>
#include <string.h>

#include "jsonio.h"
#include "office_db.h"

/* The top-level choice field called name in def's schema, or NULL. */
static const json_t *
choice_field(const json_t *def, const char *name)
{
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(def, "schema"), "fields"), i, f) {
		const char *type = jsonio_str(f, "type", "");

		if (strcmp(jsonio_str(f, "name", ""), name) != 0)
			continue;
		if (strcmp(type, "select") == 0 || strcmp(type, "radio") == 0 ||
		    strcmp(type, "checkbox") == 0)
			return f;
		return NULL;
	}
	return NULL;
}

static int
has_option(const json_t *field, const char *value)
{
	const json_t *o;
	size_t i;

	json_array_foreach(json_object_get(field, "options"), i, o)
		if (strcmp(jsonio_str(o, "value", ""), value) == 0)
			return 1;
	return 0;
}

int
routing_check(struct db *db, const json_t *def, const json_t *rules, json_t **out,
	      char *why, size_t whylen)
{
	const json_t *r, *field;
	json_t *list;
	size_t i;

	*out = NULL;
	if (rules != NULL && !json_is_null(rules) && !json_is_array(rules)) {
		snprintf(why, whylen, "振り分けの設定（routing）は一覧（配列）で指定してください。");
		return 1;
	}
	if (json_array_size(rules) > ROUTING_RULES_MAX) {
		snprintf(why, whylen, "振り分けの条件は %d 件までです。", ROUTING_RULES_MAX);
		return 1;
	}
	if ((list = json_array()) == NULL)
		return -1;
	json_array_foreach(rules, i, r) {
		const char *name = jsonio_str(r, "field", NULL), *value = jsonio_str(r, "value", NULL);
		int64_t dept = 0;
		int rc;

		if (!json_is_object(r) || name == NULL || value == NULL) {
			snprintf(why, whylen, "振り分けの %zu 件目: 項目（field）と選択肢（value）を"
				 "指定してください。", i + 1);
			goto refused;
		}
		if ((field = choice_field(def, name)) == NULL) {
			snprintf(why, whylen, "振り分けの %zu 件目: 「%s」は、この手続の最上位にある"
				 "選択式の項目（プルダウン・ラジオボタン・チェックボックス）ではありません。",
				 i + 1, name);
			goto refused;
		}
		if (!has_option(field, value)) {
			snprintf(why, whylen, "振り分けの %zu 件目: 項目「%s」に選択肢「%s」はありません。",
				 i + 1, jsonio_str(field, "label", name), value);
			goto refused;
		}
		if (!json_object_get(r, "department") && !json_object_get(r, "department_id")) {
			snprintf(why, whylen, "振り分けの %zu 件目: 振り分け先の部署を指定してください。",
				 i + 1);
			goto refused;
		}
		if ((rc = office_db_department_of(db, r, &dept)) < 0) {
			json_decref(list);
			return -1;
		}
		if (rc == 0) {
			snprintf(why, whylen, "振り分けの %zu 件目: 存在しない部署が指定されています。",
				 i + 1);
			goto refused;
		}
		json_array_append_new(list, json_pack("{s:s,s:s,s:I}", "field", name, "value", value,
						      "department_id", (json_int_t)dept));
	}
	*out = list;
	return 0;
refused:
	json_decref(list);
	return 1;
}

/* Whether the answer to a choice field is value: equal for select and radio, among
 * the chosen for checkbox. */
static int
answer_is(const json_t *answer, const char *value)
{
	const json_t *v;
	size_t i;

	if (json_is_string(answer))
		return strcmp(json_string_value(answer), value) == 0;
	json_array_foreach(answer, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), value) == 0)
			return 1;
	return 0;
}

int64_t
routing_pick(const json_t *rules, const json_t *answers, int64_t fallback)
{
	const json_t *r;
	size_t i;

	json_array_foreach(rules, i, r) {
		const json_t *answer = json_object_get(answers, jsonio_str(r, "field", ""));
		const json_t *dept = json_object_get(r, "department_id");

		if (answer != NULL && json_is_integer(dept) &&
		    answer_is(answer, jsonio_str(r, "value", "")))
			return json_integer_value(dept);
	}
	return fallback;
}

json_t *
routing_describe(struct db *db, const json_t *rules)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT name FROM departments WHERE id = ?1");
	json_t *out = json_array(), *r;
	size_t i;

	json_array_foreach(rules, i, r) {
		json_t *copy = json_deep_copy(r);

		if (st != NULL && copy != NULL) {
			sqlite3_bind_int64(st, 1, json_integer_value(json_object_get(r, "department_id")));
			if (sqlite3_step(st) == SQLITE_ROW)
				json_object_set_new(copy, "department",
						    json_string((const char *)sqlite3_column_text(st, 0)));
			sqlite3_reset(st);
		}
		json_array_append_new(out, copy);
	}
	return out;
}
