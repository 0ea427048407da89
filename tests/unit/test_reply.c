/*
 * test_reply.c — what portald, the sanitizer and officed all take for a reply
 * (reply.h): its text, its bundle id and its data/reply.json.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "jsonio.h"
#include "reply.h"

static void
test_text_is_bounded_in_characters_and_refuses_controls(void **state)
{
	char err[200], *text;
	size_t n = REPLY_TEXT_MAX;

	(void)state;
	assert_int_equal(reply_text_check("番地は 3-2 です。\n確認をお願いします。", err, sizeof err), 0);
	assert_int_equal(reply_text_check("", err, sizeof err), -1);
	assert_non_null(strstr(err, "入力してください"));
	assert_int_equal(reply_text_check(NULL, err, sizeof err), -1);
	assert_int_equal(reply_text_check("tab\there", err, sizeof err), -1);
	assert_non_null(strstr(err, "制御文字"));
	assert_int_equal(reply_text_check("cr\r\nlf", err, sizeof err), -1);
	assert_int_equal(reply_text_check("bad \xff utf8", err, sizeof err), -1);
	/* 2000 three-byte characters pass, one more does not. */
	text = malloc(n * 3 + 4);
	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		memcpy(text + i * 3, "\xe3\x81\x82", 3);	/* あ */
	text[n * 3] = '\0';
	assert_int_equal(reply_text_check(text, err, sizeof err), 0);
	memcpy(text + n * 3, "\xe3\x81\x82", 4);
	assert_int_equal(reply_text_check(text, err, sizeof err), -1);
	assert_non_null(strstr(err, "2000 文字以内"));
	free(text);
}

static void
test_bundle_id_names_tenant_receipt_and_number(void **state)
{
	char id[129], small[16];

	(void)state;
	assert_int_equal(reply_bundle_id("demo", "20261122-000123", 2, id, sizeof id), 0);
	assert_string_equal(id, "reply-demo-20261122-000123-2");
	assert_int_equal(reply_bundle_id("demo", "20261122-000123", 0, id, sizeof id), -1);
	assert_int_equal(reply_bundle_id("demo", "20261122-000123", REPLY_MAX_PER_APP + 1, id,
					 sizeof id), -1);
	assert_int_equal(reply_bundle_id("Demo!", "20261122-000123", 1, id, sizeof id), -1);
	assert_int_equal(reply_bundle_id("demo", "../etc", 1, id, sizeof id), -1);
	assert_int_equal(reply_bundle_id("demo", "20261122-000123", 1, small, sizeof small), -1);
}

static void
test_receipt_numbers_are_plain_and_bounded(void **state)
{
	(void)state;
	assert_true(reply_receipt_valid("20261122-000123"));
	assert_false(reply_receipt_valid(""));
	assert_false(reply_receipt_valid(NULL));
	assert_false(reply_receipt_valid("2026/1122"));
	assert_false(reply_receipt_valid("012345678901234567890123456789012"));	/* 33 */
	assert_true(reply_receipt_valid("01234567890123456789012345678901"));	/* 32 */
}

static void
test_document_round_trips_and_every_field_is_checked(void **state)
{
	char err[200];
	long long no = 0;
	json_t *d = reply_doc_new("demo", "20261122-000123", 3, "添付します。",
				  "2026-11-22T12:00:00+09:00");

	(void)state;
	assert_non_null(d);
	assert_int_equal(reply_doc_check(d, "demo", &no, err, sizeof err), 0);
	assert_int_equal(no, 3);
	/* Another tenant's reply is not this tenant's. */
	assert_int_equal(reply_doc_check(d, "other", &no, err, sizeof err), -1);
	assert_non_null(strstr(err, "tenant"));
	/* No extra member rides along. */
	json_object_set_new(d, "answers", json_object());
	assert_int_equal(reply_doc_check(d, "demo", &no, err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown member"));
	json_object_del(d, "answers");
	json_object_set_new(d, "reply_no", json_string("3"));
	assert_int_equal(reply_doc_check(d, "demo", &no, err, sizeof err), -1);
	json_object_set_new(d, "reply_no", json_integer(3));
	json_object_set_new(d, "text", json_string("a\x01"));
	assert_int_equal(reply_doc_check(d, "demo", &no, err, sizeof err), -1);
	json_object_set_new(d, "text", json_string("ok"));
	json_object_set_new(d, "format", json_string("sekisho-application/1"));
	assert_int_equal(reply_doc_check(d, "demo", &no, err, sizeof err), -1);
	json_object_set_new(d, "format", json_string(REPLY_FORMAT));
	json_object_set_new(d, "submitted_at", json_string("yesterday"));
	assert_int_equal(reply_doc_check(d, "demo", &no, err, sizeof err), -1);
	json_object_set_new(d, "submitted_at", json_string("2026-11-22T03:00:00Z"));
	assert_int_equal(reply_doc_check(d, "demo", &no, err, sizeof err), 0);
	json_decref(d);
	assert_null(reply_doc_new("demo", "20261122-000123", 1, "", "2026-11-22T03:00:00Z"));
	assert_null(reply_doc_new("demo", "x/y", 1, "ok", "2026-11-22T03:00:00Z"));
	assert_int_equal(reply_doc_check(NULL, "demo", &no, err, sizeof err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_is_bounded_in_characters_and_refuses_controls),
		cmocka_unit_test(test_bundle_id_names_tenant_receipt_and_number),
		cmocka_unit_test(test_receipt_numbers_are_plain_and_bounded),
		cmocka_unit_test(test_document_round_trips_and_every_field_is_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
