/*
 * test_workflow.c — the transition table of an application's status, and the
 * answers as a clerk sees them (app_view).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "app_view.h"
#include "jsonio.h"
#include "workflow.h"

static unsigned
used_of(const char *list_json)
{
	char err[200];
	json_t *l = jsonio_parse(list_json, strlen(list_json), 4096, 8, err, sizeof err);
	unsigned used = 0;

	assert_non_null(l);
	assert_int_equal(workflow_parse_list(l, &used, err, sizeof err), 0);
	json_decref(l);
	return used;
}

static void
test_full_main_line_goes_one_step_at_a_time(void **state)
{
	(void)state;
	assert_true(workflow_allowed(WF_ARRIVED, WF_ACCEPTED, WF_ALL));
	assert_true(workflow_allowed(WF_ACCEPTED, WF_REVIEW, WF_ALL));
	assert_true(workflow_allowed(WF_REVIEW, WF_RESULT, WF_ALL));
	assert_true(workflow_allowed(WF_RESULT, WF_COMPLETED, WF_ALL));
	/* No skipping steps the procedure uses. */
	assert_false(workflow_allowed(WF_ARRIVED, WF_COMPLETED, WF_ALL));
	assert_false(workflow_allowed(WF_ACCEPTED, WF_COMPLETED, WF_ALL));
	assert_false(workflow_allowed(WF_REVIEW, WF_COMPLETED, WF_ALL));
	/* No going back on the main line, nor staying put. */
	assert_false(workflow_allowed(WF_REVIEW, WF_ACCEPTED, WF_ALL));
	assert_false(workflow_allowed(WF_ACCEPTED, WF_ACCEPTED, WF_ALL));
	assert_false(workflow_allowed(WF_ACCEPTED, WF_ARRIVED, WF_ALL));
}

static void
test_subset_skips_unused_steps(void **state)
{
	unsigned used = used_of("[\"accepted\", \"completed\"]");

	(void)state;
	/* 到達 → 受付 → 完了 */
	assert_int_equal(workflow_targets(WF_ARRIVED, used), WF_BIT(WF_ACCEPTED));
	assert_int_equal(workflow_targets(WF_ACCEPTED, used), WF_BIT(WF_COMPLETED));
	assert_false(workflow_allowed(WF_ACCEPTED, WF_REVIEW, used));
	assert_false(workflow_allowed(WF_ACCEPTED, WF_CORRECTION, used));
	/* 審査 without 結果通知: 審査 → 完了. */
	used = used_of("[\"accepted\", \"review\", \"completed\"]");
	assert_int_equal(workflow_targets(WF_REVIEW, used), WF_BIT(WF_COMPLETED));
	/* Only 完了: straight from 到達. */
	used = used_of("[\"completed\"]");
	assert_int_equal(workflow_targets(WF_ARRIVED, used), WF_BIT(WF_COMPLETED));
}

static void
test_correction_comes_back_to_review_and_held_resumes(void **state)
{
	(void)state;
	assert_true(workflow_allowed(WF_ACCEPTED, WF_CORRECTION, WF_ALL));
	assert_true(workflow_allowed(WF_REVIEW, WF_CORRECTION, WF_ALL));
	assert_false(workflow_allowed(WF_ARRIVED, WF_CORRECTION, WF_ALL));
	assert_int_equal(workflow_targets(WF_CORRECTION, WF_ALL),
			 WF_BIT(WF_REVIEW) | WF_BIT(WF_REJECTED));
	/* Without 審査, a correction returns to 受付. */
	assert_int_equal(workflow_targets(WF_CORRECTION, used_of("[\"accepted\", \"correction\"]")),
			 WF_BIT(WF_ACCEPTED));
	assert_int_equal(workflow_targets(WF_HELD, WF_ALL),
			 WF_BIT(WF_ACCEPTED) | WF_BIT(WF_REVIEW) | WF_BIT(WF_RETURNED) |
			 WF_BIT(WF_REJECTED));
	assert_true(workflow_allowed(WF_ARRIVED, WF_HELD, WF_ALL));
	assert_true(workflow_allowed(WF_ARRIVED, WF_RETURNED, WF_ALL));
	assert_false(workflow_allowed(WF_ARRIVED, WF_REJECTED, WF_ALL));
	assert_false(workflow_allowed(WF_REVIEW, WF_RETURNED, WF_ALL));
}

static void
test_final_states_have_no_way_out(void **state)
{
	char msg[200];

	(void)state;
	for (int s = 0; s < WF_NSTATUS; s++) {
		assert_int_equal(workflow_targets(WF_COMPLETED, WF_ALL) & WF_BIT(s), 0);
		assert_int_equal(workflow_targets(WF_RETURNED, WF_ALL) & WF_BIT(s), 0);
		assert_int_equal(workflow_targets(WF_REJECTED, WF_ALL) & WF_BIT(s), 0);
		/* Nothing ever goes back to 到達. */
		assert_false(workflow_allowed(s, WF_ARRIVED, WF_ALL));
	}
	assert_true(workflow_final(WF_COMPLETED) && workflow_final(WF_REJECTED) &&
		    workflow_final(WF_RETURNED) && !workflow_final(WF_HELD));
	assert_false(workflow_allowed(WF_ACCEPTED, -1, WF_ALL));
	assert_false(workflow_allowed(WF_ACCEPTED, WF_NSTATUS, WF_ALL));
	assert_int_equal(workflow_targets(-1, WF_ALL), 0);
	workflow_refusal(WF_COMPLETED, WF_REVIEW, msg, sizeof msg);
	assert_non_null(strstr(msg, "「完了」で終了しているため"));
	workflow_refusal(WF_ARRIVED, WF_COMPLETED, msg, sizeof msg);
	assert_string_equal(msg, "現在の状態（到達）から「完了」には変更できません。");
}

static void
test_codes_labels_and_lists(void **state)
{
	char err[300];
	unsigned used;
	json_t *l;

	(void)state;
	for (int s = 0; s < WF_NSTATUS; s++)
		assert_int_equal(workflow_parse(workflow_code(s)), s);
	assert_int_equal(workflow_parse("done"), -1);
	assert_int_equal(workflow_parse(NULL), -1);
	assert_string_equal(workflow_label(WF_RESULT), "結果通知発行");
	assert_string_equal(workflow_label(WF_CORRECTION), "補正");
	assert_true(workflow_needs_message(WF_CORRECTION) && workflow_needs_message(WF_REJECTED));
	assert_false(workflow_needs_message(WF_ACCEPTED));

	assert_int_equal(workflow_parse_list(NULL, &used, err, sizeof err), 0);
	assert_int_equal(used, WF_ALL);
	l = json_pack("[s,s]", "accepted", "accepted");
	assert_int_equal(workflow_parse_list(l, &used, err, sizeof err), -1);
	assert_non_null(strstr(err, "重複"));
	json_decref(l);
	l = json_pack("[s]", "finished");
	assert_int_equal(workflow_parse_list(l, &used, err, sizeof err), -1);
	json_decref(l);
	l = json_pack("{}");
	assert_int_equal(workflow_parse_list(l, &used, err, sizeof err), -1);
	json_decref(l);
	/* 到達 and 完了 are always there, and the list comes back in table order. */
	l = workflow_list_json(used_of("[\"review\", \"accepted\"]"));
	{
		char *s = jsonio_dump(l);

		assert_string_equal(s, "[\"arrived\",\"accepted\",\"review\",\"completed\"]");
		free(s);
	}
	json_decref(l);
}

static json_t *
parse(const char *s)
{
	char err[200];
	json_t *v = jsonio_parse(s, strlen(s), 1 << 20, 16, err, sizeof err);

	assert_non_null(v);
	return v;
}

static void
test_answers_shown_with_labels_options_dates_groups_and_files(void **state)
{
	json_t *def = parse("{\"schema\":{\"fields\":["
		"{\"name\":\"h\",\"type\":\"heading\",\"label\":\"申請者\"},"
		"{\"name\":\"name\",\"type\":\"text\",\"label\":\"お名前\"},"
		"{\"name\":\"kind\",\"type\":\"radio\",\"label\":\"種類\",\"options\":["
		"  {\"value\":\"a\",\"label\":\"転居\"},{\"value\":\"b\",\"label\":\"転出\"}]},"
		"{\"name\":\"days\",\"type\":\"checkbox\",\"label\":\"曜日\",\"options\":["
		"  {\"value\":\"mon\",\"label\":\"月\"},{\"value\":\"tue\",\"label\":\"火\"}]},"
		"{\"name\":\"born\",\"type\":\"date\",\"label\":\"生年月日\"},"
		"{\"name\":\"age\",\"type\":\"number\",\"label\":\"年齢\"},"
		"{\"name\":\"other\",\"type\":\"text\",\"label\":\"その他\","
		"  \"show_if\":{\"field\":\"kind\",\"equals\":\"b\"}},"
		"{\"name\":\"memo\",\"type\":\"text\",\"label\":\"備考\"},"
		"{\"name\":\"kids\",\"type\":\"group\",\"label\":\"お子さん\",\"fields\":["
		"  {\"name\":\"kid\",\"type\":\"text\",\"label\":\"氏名\"},"
		"  {\"name\":\"proof\",\"type\":\"file\",\"label\":\"証明書\"}]},"
		"{\"name\":\"ok\",\"type\":\"agreement\",\"label\":\"同意\"}]}}");
	json_t *answers = parse("{\"name\":\"山田\",\"kind\":\"a\",\"days\":[\"mon\",\"tue\"],"
		"\"born\":\"2019-05-01\",\"age\":42,\"kids\":[{\"kid\":\"一郎\",\"proof\":[\"u1\"]}],"
		"\"ok\":true}");
	json_t *atts = parse("[{\"n\":1,\"field\":\"kids[0].proof\",\"display_name\":\"証明.pdf\"},"
		"{\"n\":2,\"field\":\"kids[0].proof\",\"display_name\":\"写真/a.jpg\","
		"\"archive\":{\"display_name\":\"書類.zip\",\"member\":\"写真/a.jpg\"}}]");
	json_t *rows = app_view_answers(def, answers, atts);
	char *text;

	(void)state;
	assert_non_null(rows);
	assert_string_equal(jsonio_str(json_array_get(rows, 0), "heading", ""), "申請者");
	assert_string_equal(jsonio_str(json_array_get(rows, 1), "value", ""), "山田");
	assert_string_equal(jsonio_str(json_array_get(rows, 2), "value", ""), "転居");
	assert_string_equal(jsonio_str(json_array_get(rows, 3), "value", ""), "月、火");
	assert_string_equal(jsonio_str(json_array_get(rows, 4), "value", ""),
			    "2019-05-01（令和元年5月1日）");
	assert_string_equal(jsonio_str(json_array_get(rows, 5), "value", ""), "42");
	/* The conditional field the applicant never saw is left out; an unconditional
	 * one left empty is shown empty. */
	assert_string_equal(jsonio_str(json_array_get(rows, 6), "label", ""), "備考");
	assert_string_equal(jsonio_str(json_array_get(rows, 6), "value", "x"), "");
	{
		json_t *kids = json_array_get(rows, 7);
		json_t *item = json_array_get(json_object_get(kids, "items"), 0);
		json_t *files = json_object_get(json_array_get(item, 1), "files");

		assert_string_equal(jsonio_str(kids, "label", ""), "お子さん");
		assert_string_equal(jsonio_str(json_array_get(item, 0), "value", ""), "一郎");
		assert_int_equal(json_array_size(files), 2);
		assert_string_equal(jsonio_str(json_array_get(files, 0), "display_name", ""),
				    "証明.pdf");
		/* A zip's member is named with the zip it came in. */
		assert_string_equal(jsonio_str(json_array_get(files, 1), "display_name", ""),
				    "書類.zip 内の 写真/a.jpg");
	}
	assert_string_equal(jsonio_str(json_array_get(rows, 8), "value", ""), "同意する");
	assert_int_equal(json_array_size(rows), 9);
	text = app_view_text(rows);
	assert_non_null(strstr(text, "お名前: 山田 / 種類: 転居"));
	assert_non_null(strstr(text, "証明書: 証明.pdf"));
	assert_non_null(strstr(text, "書類.zip 内の 写真/a.jpg"));
	free(text);
	json_decref(rows);
	/* What a document template merges: top-level answers by name, shown as text;
	 * groups and files are not single values. */
	rows = app_view_values(def, answers);
	assert_string_equal(jsonio_str(rows, "kind", ""), "転居");
	assert_string_equal(jsonio_str(rows, "days", ""), "月、火");
	assert_string_equal(jsonio_str(rows, "born", ""), "2019-05-01（令和元年5月1日）");
	assert_string_equal(jsonio_str(rows, "age", ""), "42");
	assert_null(json_object_get(rows, "kids"));
	assert_null(json_object_get(rows, "memo"));	/* not answered */
	json_decref(rows);
	json_decref(def);
	json_decref(answers);
	json_decref(atts);
}

static void
test_answers_without_definition_keep_every_member(void **state)
{
	json_t *answers = parse("{\"name\":\"山田\",\"n\":3,\"list\":[\"x\"]}");
	json_t *rows = app_view_answers(NULL, answers, NULL);

	(void)state;
	assert_int_equal(json_array_size(rows), 3);
	assert_string_equal(jsonio_str(json_array_get(rows, 0), "label", ""), "name");
	assert_string_equal(jsonio_str(json_array_get(rows, 1), "value", ""), "3");
	assert_string_equal(jsonio_str(json_array_get(rows, 2), "value", ""), "[\"x\"]");
	json_decref(rows);
	json_decref(answers);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_main_line_goes_one_step_at_a_time),
		cmocka_unit_test(test_subset_skips_unused_steps),
		cmocka_unit_test(test_correction_comes_back_to_review_and_held_resumes),
		cmocka_unit_test(test_final_states_have_no_way_out),
		cmocka_unit_test(test_codes_labels_and_lists),
		cmocka_unit_test(test_answers_shown_with_labels_options_dates_groups_and_files),
		cmocka_unit_test(test_answers_without_definition_keep_every_member),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
