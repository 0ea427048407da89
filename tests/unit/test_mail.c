/*
 * test_mail.c — a composed message is 7-bit, folded, carries the Japanese subject,
 * sender name and body exactly (checked by decoding them here, independently), and no
 * recipient or text can add a header or a recipient.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mail.h"
#include "mailtest.h"

#define FROM "noreply@city.example.lg.jp"
#define MSGID "<0123456789abcdef@city.example.lg.jp>"
#define T_2024_02_01_0005Z ((time_t)1706745900)

static char *
compose_ok(const char *to, const char *subject, const char *body, const char *from_name)
{
	struct mail_message m = { to, subject, body };
	struct mail_origin o = { FROM, from_name, MSGID, T_2024_02_01_0005Z };
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(mail_compose(&m, &o, &out, &len), MAIL_OK);
	assert_non_null(out);
	assert_int_equal(strlen(out), len);
	return out;
}

/* --- tests ----------------------------------------------------------------------- */

static void
test_address_validator_accepts_plain_addresses(void **state)
{
	char longest[MAIL_ADDR_MAX + 2];

	(void)state;
	assert_true(mail_address_valid("taro@example.jp"));
	assert_true(mail_address_valid("taro.yamada+shinsei@city.example.lg.jp"));
	assert_true(mail_address_valid("o'brien_1-2@mail-1.example.com"));
	/* Pre-2009 docomo/au addresses: repeated and trailing dots are still in use. */
	assert_true(mail_address_valid("taro..yamada.@docomo.ne.jp"));
	/* Exactly 254 bytes: 64-byte local part, then labels up to the limit. */
	memset(longest, 'a', 64);
	longest[64] = '@';
	memset(longest + 65, 'b', 189);
	longest[65 + 60] = longest[65 + 120] = longest[65 + 180] = '.';
	longest[254] = '\0';
	assert_true(mail_address_valid(longest));
	longest[253] = 'b';
	longest[254] = 'c';
	longest[255] = '\0';
	assert_false(mail_address_valid(longest));
}

static void
test_address_validator_refuses_injection_and_oddities(void **state)
{
	static const char *const bad[] = {
		"a@b.jp\r\nBcc: victim@example.jp", "a@b.jp\nBcc: x@y.jp", "a@b.jp\r",
		"a@b.jp,c@d.jp", "a@b.jp;c@d.jp", "a@b.jp c@d.jp", "<a@b.jp>",
		"Taro <a@b.jp>", "\"a b\"@b.jp", "a(comment)@b.jp", "a@[192.0.2.1]",
		"a@192.0.2.1", "a@localhost", "", "@b.jp", "a@", "a@@b.jp", "a@b@c.jp",
		".a@b.jp", "a@.b.jp", "a@b..jp", "a@b.jp.", "a@-b.jp", "a@b-.jp",
		"a@b_c.jp", "太郎@example.jp", "a@例え.jp", "a\t@b.jp", "a@b.jp\x7f",
		NULL,
	};
	char local65[80];
	int i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++)
		if (mail_address_valid(bad[i]))
			fail_msg("accepted %s", bad[i]);
	assert_false(mail_address_valid(NULL));
	memset(local65, 'a', 65);
	strcpy(local65 + 65, "@b.jp");
	assert_false(mail_address_valid(local65));
}

static void
test_compose_refuses_header_injection(void **state)
{
	struct mail_message m = { "a@b.jp\r\nBcc: victim@example.jp", "件名", "本文" };
	struct mail_origin o = { FROM, "関所市", MSGID, T_2024_02_01_0005Z };
	char *out = (char *)1;
	size_t len = 1;

	(void)state;
	assert_int_equal(mail_compose(&m, &o, &out, &len), MAIL_EADDR);
	assert_null(out);
	assert_int_equal(len, 0);
	m.to = "a@b.jp";
	m.subject = "件名\r\nBcc: victim@example.jp";
	assert_int_equal(mail_compose(&m, &o, &out, &len), MAIL_ETEXT);
	m.subject = "件名\nBcc: victim@example.jp";
	assert_int_equal(mail_compose(&m, &o, &out, &len), MAIL_ETEXT);
	m.subject = "件名";
	o.from_name = "関所市\r\nBcc: victim@example.jp";
	assert_int_equal(mail_compose(&m, &o, &out, &len), MAIL_ETEXT);
	o.from_name = "関所市";
	o.message_id = "<x@y.jp>\r\nBcc: victim@example.jp";
	assert_int_equal(mail_compose(&m, &o, &out, &len), MAIL_EADDR);
	o.message_id = MSGID;
	o.from_addr = "noreply@city.jp\r\nBcc: victim@example.jp";
	assert_int_equal(mail_compose(&m, &o, &out, &len), MAIL_EADDR);
	assert_null(out);
}

static void
test_compose_refuses_invalid_text(void **state)
{
	static const char *const bad_subjects[] = {
		"\xc0\xaf", "\xed\xa0\x80", "\xe3\x81", "\xf4\x90\x80\x80", "a\tb",
		"a\x1b[31mb", "a\xc2\x85" "b", NULL,
	};
	struct mail_message m = { "a@b.jp", NULL, "本文" };
	struct mail_origin o = { FROM, NULL, MSGID, T_2024_02_01_0005Z };
	char *out;
	size_t len;
	int i;

	(void)state;
	for (i = 0; bad_subjects[i] != NULL; i++) {
		m.subject = bad_subjects[i];
		assert_int_equal(mail_compose(&m, &o, &out, &len), MAIL_ETEXT);
	}
	m.subject = "件名";
	m.body = "一行目\r二行目";	/* a bare CR */
	assert_int_equal(mail_compose(&m, &o, &out, &len), MAIL_ETEXT);
	m.body = "NUL\x01";
	assert_int_equal(mail_compose(&m, &o, &out, &len), MAIL_ETEXT);
}

static void
test_compose_headers_are_complete_and_decode_to_the_input(void **state)
{
	const char *subject = "【関所市】申請を受け付けました（受付番号 A-0001）";
	char *msg = compose_ok("taro@example.jp", subject, "本文です。\n", "関所市 市民課");
	char dec[1024];
	const char *rest;
	struct mailtest_hdrs h;

	(void)state;
	mailtest_assert_wire_form(msg, 78);
	mailtest_parse(msg, &h);
	assert_string_equal(mailtest_header(&h, "To"), "taro@example.jp");
	assert_string_equal(mailtest_header(&h, "Message-ID"), MSGID);
	assert_string_equal(mailtest_header(&h, "MIME-Version"), "1.0");
	assert_string_equal(mailtest_header(&h, "Content-Type"), "text/plain; charset=UTF-8");
	assert_string_equal(mailtest_header(&h, "Content-Transfer-Encoding"), "base64");
	assert_string_equal(mailtest_header(&h, "Auto-Submitted"), "auto-generated");
	assert_non_null(mailtest_header(&h, "Date"));
	mailtest_decode_words(mailtest_header(&h, "Subject"), dec, sizeof dec, &rest);
	assert_string_equal(dec, subject);
	assert_string_equal(rest, "");
	mailtest_decode_words(mailtest_header(&h, "From"), dec, sizeof dec, &rest);
	assert_string_equal(dec, "関所市 市民課");
	assert_string_equal(rest, "<" FROM ">");
	assert_int_equal(h.n, 9);	/* nothing but the headers above */
	free(h.buf);
	free(msg);
}

static void
test_long_subject_folds_within_78_columns(void **state)
{
	char subject[MAIL_SUBJECT_MAX + 1] = "", dec[2048];
	char *msg;
	struct mailtest_hdrs h;
	const char *p;
	int lines = 0;

	(void)state;
	/* 40 three-byte characters and an emoji (four bytes) between them. */
	while (strlen(subject) + 8 < 200)
		strcat(subject, strlen(subject) % 5 == 0 ? "申請🏯" : "住");
	msg = compose_ok("taro@example.jp", subject, "x", NULL);
	mailtest_assert_wire_form(msg, 78);
	for (p = strstr(msg, "Subject:"); p != NULL; p = strstr(p, "\r\n ")) {
		p += 2;
		lines++;
	}
	assert_true(lines >= 4);
	mailtest_parse(msg, &h);
	mailtest_decode_words(mailtest_header(&h, "Subject"), dec, sizeof dec, NULL);
	assert_string_equal(dec, subject);
	/* No display name: the address alone. */
	assert_string_equal(mailtest_header(&h, "From"), "<" FROM ">");
	free(h.buf);
	free(msg);
}

static void
test_short_ascii_subject_stays_readable(void **state)
{
	char *msg = compose_ok("taro@example.jp", "Application received", "x", NULL);
	struct mailtest_hdrs h;

	(void)state;
	mailtest_parse(msg, &h);
	assert_string_equal(mailtest_header(&h, "Subject"), "Application received");
	free(h.buf);
	free(msg);
	/* Text that a reader would take for an encoded word is encoded instead. */
	msg = compose_ok("taro@example.jp", "=?UTF-8?B?5ZCN?=", "x", NULL);
	mailtest_parse(msg, &h);
	assert_non_null(strstr(mailtest_header(&h, "Subject"), "=?UTF-8?B?PT9VVEYtOD9CPzVaQ04/PQ==?="));
	free(h.buf);
	free(msg);
}

static void
test_body_is_base64_crlf_in_76_column_lines(void **state)
{
	char body[4096] = "", *msg, *dec, *want;
	struct mailtest_hdrs h;
	size_t i, o = 0;

	(void)state;
	while (strlen(body) < 3000)
		strcat(body, "申請内容をご確認ください。\n");
	strcat(body, "末尾\r\n最後の行");	/* CRLF kept as is, not doubled */
	msg = compose_ok("taro@example.jp", "件名", body, NULL);
	mailtest_assert_wire_form(msg, 78);
	mailtest_parse(msg, &h);
	dec = mailtest_body(&h);
	want = calloc(1, 2 * strlen(body) + 1);
	for (i = 0; body[i] != '\0'; i++) {
		if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r'))
			want[o++] = '\r';
		want[o++] = body[i];
	}
	assert_string_equal(dec, want);
	free(want);
	free(dec);
	free(h.buf);
	free(msg);
}

static void
test_body_size_is_bounded(void **state)
{
	struct mail_message m = { "a@b.jp", "件名", NULL };
	struct mail_origin o = { FROM, NULL, MSGID, T_2024_02_01_0005Z };
	char *body = malloc(MAIL_BODY_MAX + 2), *out;
	size_t len;

	(void)state;
	memset(body, 'x', MAIL_BODY_MAX);
	body[MAIL_BODY_MAX] = '\0';
	m.body = body;
	assert_int_equal(mail_compose(&m, &o, &out, &len), MAIL_OK);
	free(out);
	body[MAIL_BODY_MAX] = 'x';
	body[MAIL_BODY_MAX + 1] = '\0';
	assert_int_equal(mail_compose(&m, &o, &out, &len), MAIL_ETOOBIG);
	assert_int_equal(mail_message_check(&m), MAIL_ETOOBIG);
	free(body);
}

static void
test_date_is_rfc5322_in_local_time(void **state)
{
	char d[64], *msg;
	struct mailtest_hdrs h;

	(void)state;
	setenv("TZ", "JST-9", 1);
	tzset();
	assert_int_equal(mail_format_date(T_2024_02_01_0005Z, d, sizeof d), MAIL_OK);
	assert_string_equal(d, "Thu, 01 Feb 2024 09:05:00 +0900");
	msg = compose_ok("taro@example.jp", "件名", "x", NULL);
	mailtest_parse(msg, &h);
	assert_string_equal(mailtest_header(&h, "Date"), "Thu, 01 Feb 2024 09:05:00 +0900");
	free(h.buf);
	free(msg);
	setenv("TZ", "EST5", 1);
	tzset();
	assert_int_equal(mail_format_date(T_2024_02_01_0005Z, d, sizeof d), MAIL_OK);
	assert_string_equal(d, "Wed, 31 Jan 2024 19:05:00 -0500");
	setenv("TZ", "IST-5:30", 1);
	tzset();
	assert_int_equal(mail_format_date(T_2024_02_01_0005Z, d, sizeof d), MAIL_OK);
	assert_string_equal(d, "Thu, 01 Feb 2024 05:35:00 +0530");
	assert_int_equal(mail_format_date(T_2024_02_01_0005Z, d, 10), MAIL_ETOOBIG);
	setenv("TZ", "JST-9", 1);
	tzset();
}

static void
test_message_id_is_token_at_domain(void **state)
{
	char id[MAIL_MSGID_MAX];

	(void)state;
	assert_int_equal(mail_message_id("00ff", "city.example.lg.jp", id, sizeof id), MAIL_OK);
	assert_string_equal(id, "<00ff@city.example.lg.jp>");
	assert_int_equal(mail_message_id("00FF", "city.jp", id, sizeof id), MAIL_EADDR);
	assert_int_equal(mail_message_id("a@b", "city.jp", id, sizeof id), MAIL_EADDR);
	assert_int_equal(mail_message_id("", "city.jp", id, sizeof id), MAIL_EADDR);
	assert_int_equal(mail_message_id("ab", "city.jp>", id, sizeof id), MAIL_EADDR);
	assert_int_equal(mail_message_id("ab", "city.jp", id, 8), MAIL_ETOOBIG);
}

static void
test_render_replaces_variables_once(void **state)
{
	json_t *v = json_pack("{s:s, s:I, s:s, s:s}", "name", "山田 太郎", "no", (json_int_t)42,
			      "trap", "{{name}}", "url", "https://example.jp/r?t=abc");
	char *out;

	(void)state;
	assert_int_equal(mail_render("{{name}} 様\n受付番号: {{ no }}\n{{trap}}\n{{url}}", v,
				     &out), MAIL_OK);
	assert_string_equal(out, "山田 太郎 様\n受付番号: 42\n{{name}}\nhttps://example.jp/r?t=abc");
	free(out);
	assert_int_equal(mail_render("", v, &out), MAIL_OK);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(mail_render("no braces }} here", v, &out), MAIL_OK);
	assert_string_equal(out, "no braces }} here");
	free(out);
	json_decref(v);
}

static void
test_render_refuses_missing_and_malformed(void **state)
{
	json_t *v = json_pack("{s:s, s:[], s:f, s:b, s:n}", "name", "太郎", "list", "real", 1.5,
			      "flag", 1, "nothing");
	char *out = (char *)1;

	(void)state;
	assert_int_equal(mail_render("{{missing}}", v, &out), MAIL_ETEMPLATE);
	assert_null(out);
	assert_int_equal(mail_render("{{list}}", v, &out), MAIL_ETEMPLATE);
	assert_int_equal(mail_render("{{real}}", v, &out), MAIL_ETEMPLATE);
	assert_int_equal(mail_render("{{flag}}", v, &out), MAIL_ETEMPLATE);
	assert_int_equal(mail_render("{{nothing}}", v, &out), MAIL_ETEMPLATE);
	assert_int_equal(mail_render("{{name", v, &out), MAIL_ETEMPLATE);
	assert_int_equal(mail_render("{{}}", v, &out), MAIL_ETEMPLATE);
	assert_int_equal(mail_render("{{na-me}}", v, &out), MAIL_ETEMPLATE);
	assert_int_equal(mail_render("{{name}}", NULL, &out), MAIL_ETEMPLATE);
	json_decref(v);
}

static void
test_render_output_is_bounded(void **state)
{
	char *big = malloc(MAIL_BODY_MAX / 2 + 1), *out;
	json_t *v;

	(void)state;
	memset(big, 'x', MAIL_BODY_MAX / 2);
	big[MAIL_BODY_MAX / 2] = '\0';
	v = json_pack("{s:s}", "big", big);
	assert_int_equal(mail_render("{{big}}{{big}}", v, &out), MAIL_OK);
	assert_int_equal(strlen(out), MAIL_BODY_MAX);
	free(out);
	assert_int_equal(mail_render("{{big}}{{big}}!", v, &out), MAIL_ETOOBIG);
	assert_int_equal(mail_render("{{big}}{{big}}{{big}}", v, &out), MAIL_ETOOBIG);
	json_decref(v);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address_validator_accepts_plain_addresses),
		cmocka_unit_test(test_address_validator_refuses_injection_and_oddities),
		cmocka_unit_test(test_compose_refuses_header_injection),
		cmocka_unit_test(test_compose_refuses_invalid_text),
		cmocka_unit_test(test_compose_headers_are_complete_and_decode_to_the_input),
		cmocka_unit_test(test_long_subject_folds_within_78_columns),
		cmocka_unit_test(test_short_ascii_subject_stays_readable),
		cmocka_unit_test(test_body_is_base64_crlf_in_76_column_lines),
		cmocka_unit_test(test_body_size_is_bounded),
		cmocka_unit_test(test_date_is_rfc5322_in_local_time),
		cmocka_unit_test(test_message_id_is_token_at_domain),
		cmocka_unit_test(test_render_replaces_variables_once),
		cmocka_unit_test(test_render_refuses_missing_and_malformed),
		cmocka_unit_test(test_render_output_is_bounded),
	};

	setenv("TZ", "JST-9", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
