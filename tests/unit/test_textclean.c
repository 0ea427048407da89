/*
 * test_textclean.c — a citizen's text or CSV comes out clean UTF-8, and cleaning it
 * again changes nothing.
 *
 * Each test builds the smallest text that shows one rule and checks the bytes that
 * come out, the count that records the change, and that a second pass is a no-op.
 */
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "textclean.h"

struct cleaned {
	int rc;
	uint8_t *p;
	size_t len;
	struct textclean_report rep;
};

/* Clean s (len bytes), and check the idempotence on the way. */
static struct cleaned
clean_n(const char *s, size_t len, enum textclean_encoding enc)
{
	struct cleaned c;
	struct textclean_report r2;
	uint8_t *p2;
	size_t len2;

	c.rc = textclean_run((const uint8_t *)s, len, enc, (iconv_t)-1, &c.p, &c.len, &c.rep);
	if (c.rc == TEXTCLEAN_OK) {
		assert_true(textclean_utf8_valid(c.p, c.len));
		assert_int_equal(textclean_run(c.p, c.len, TEXTCLEAN_UTF8, (iconv_t)-1, &p2, &len2,
					       &r2), TEXTCLEAN_OK);
		assert_int_equal(len2, c.len);
		if (c.len > 0)
			assert_memory_equal(p2, c.p, c.len);
		assert_int_equal(r2.kind, c.rep.kind);
		assert_int_equal(r2.csv_cells + r2.c0 + r2.c1 + r2.del + r2.bidi + r2.bom + r2.feff, 0);
		free(p2);
	}
	return c;
}

static struct cleaned
clean(const char *s, enum textclean_encoding enc)
{
	return clean_n(s, strlen(s), enc);
}

static void
assert_cleaned(struct cleaned *c, const char *want)
{
	assert_int_equal(c->rc, TEXTCLEAN_OK);
	assert_int_equal(c->len, strlen(want));
	if (c->len > 0)
		assert_memory_equal(c->p, want, c->len);
	free(c->p);
	c->p = NULL;
}

/* s (UTF-8) as CP932, by iconv, into buf. */
static size_t
to_cp932(const char *s, char *buf, size_t cap)
{
	iconv_t cd = iconv_open("CP932", "UTF-8");
	char *ip = (char *)(uintptr_t)s, *op = buf;
	size_t il = strlen(s), ol = cap;

	assert_true(cd != (iconv_t)-1);
	assert_true(iconv(cd, &ip, &il, &op, &ol) != (size_t)-1);
	iconv_close(cd);
	return cap - ol;
}

static void
test_cp932_csv_becomes_utf8_csv(void **state)
{
	const char *utf8 = "氏名,住所\r\n山田 太郎,東京都千代田区\r\n";
	char sjis[256];
	size_t n = to_cp932(utf8, sjis, sizeof sjis);
	struct cleaned c;

	(void)state;
	assert_true(n < strlen(utf8));		/* two bytes a kanji, not three */
	assert_int_equal((uint8_t)sjis[0], 0x8e);	/* 氏 in CP932 */
	c = clean_n(sjis, n, TEXTCLEAN_CP932);
	assert_int_equal(c.rep.kind, TEXTCLEAN_CSV);
	assert_int_equal(c.rep.separator, ',');
	assert_string_equal(textclean_kind_name(c.rep.kind), "csv");
	assert_int_equal(c.rep.csv_cells, 0);
	assert_cleaned(&c, utf8);
}

static void
test_cp932_halfwidth_kana_and_backslash(void **state)
{
	/* ｶﾅ (one byte each in CP932) and 0x5C, which CP932 reads as a backslash. */
	const char sjis[] = { (char)0xb6, (char)0xc5, 0x5c, 'a', '\n' };
	struct cleaned c = clean_n(sjis, sizeof sjis, TEXTCLEAN_CP932);

	(void)state;
	assert_int_equal(c.rep.kind, TEXTCLEAN_TXT);
	assert_cleaned(&c, "ｶﾅ\\a\n");
}

static void
test_invalid_input_is_refused(void **state)
{
	const char bad_utf8[] = { 'a', (char)0xc0, (char)0xaf, 'b' };	/* overlong "/" */
	const char surrogate[] = { (char)0xed, (char)0xa0, (char)0x80 };
	const char cut_utf8[] = { 'a', (char)0xe3, (char)0x81 };
	const char cut_sjis[] = { 'a', (char)0x82 };			/* lead byte, no trail */
	const char bad_sjis[] = { (char)0x82, (char)0x20 };		/* trail out of range */
	struct cleaned c;

	(void)state;
	c = clean_n(bad_utf8, sizeof bad_utf8, TEXTCLEAN_UTF8);
	assert_int_equal(c.rc, TEXTCLEAN_EENCODING);
	assert_null(c.p);
	c = clean_n(surrogate, sizeof surrogate, TEXTCLEAN_UTF8);
	assert_int_equal(c.rc, TEXTCLEAN_EENCODING);
	c = clean_n(cut_utf8, sizeof cut_utf8, TEXTCLEAN_UTF8);
	assert_int_equal(c.rc, TEXTCLEAN_EENCODING);
	c = clean_n(cut_sjis, sizeof cut_sjis, TEXTCLEAN_CP932);
	assert_int_equal(c.rc, TEXTCLEAN_EENCODING);
	c = clean_n(bad_sjis, sizeof bad_sjis, TEXTCLEAN_CP932);
	assert_int_equal(c.rc, TEXTCLEAN_EENCODING);
	assert_null(c.p);
}

static void
test_input_past_the_bound_is_refused(void **state)
{
	uint8_t *out = (uint8_t *)"x";
	size_t len = 1;
	struct textclean_report rep;

	(void)state;
	/* Refused on the length alone, before any byte is read. */
	assert_int_equal(textclean_run((const uint8_t *)"", (size_t)TEXTCLEAN_MAX + 1,
				       TEXTCLEAN_UTF8, (iconv_t)-1, &out, &len, &rep),
			 TEXTCLEAN_ELIMITS);
	assert_null(out);
	assert_int_equal(len, 0);
}

static void
test_bom_at_start_is_dropped(void **state)
{
	struct cleaned c = clean("\xef\xbb\xbfhello\n", TEXTCLEAN_UTF8);

	(void)state;
	assert_int_equal(c.rep.bom, 1);
	assert_int_equal(c.rep.feff, 0);
	assert_cleaned(&c, "hello\n");
}

static void
test_feff_elsewhere_is_removed(void **state)
{
	struct cleaned c = clean("a\xef\xbb\xbf" "b\xef\xbb\xbf\n", TEXTCLEAN_UTF8);

	(void)state;
	assert_int_equal(c.rep.bom, 0);
	assert_int_equal(c.rep.feff, 2);
	assert_cleaned(&c, "ab\n");
}

static void
test_c0_controls_go_tab_lf_cr_stay(void **state)
{
	const char in[] = "a\tb\r\nc\x01\x07\x0b\x0c\x1b[31md\x00" "e\n";
	struct cleaned c = clean_n(in, sizeof in - 1, TEXTCLEAN_UTF8);

	(void)state;
	assert_int_equal(c.rep.c0, 6);	/* SOH BEL VT FF ESC NUL */
	assert_cleaned(&c, "a\tb\r\nc[31mde\n");
}

static void
test_del_and_c1_controls_are_removed(void **state)
{
	/* DEL, U+0080, U+009B (CSI), U+009F; U+00A0 (no-break space) stays. */
	struct cleaned c = clean("x\x7fy\xc2\x80\xc2\x9b\xc2\x9fz\xc2\xa0\n", TEXTCLEAN_UTF8);

	(void)state;
	assert_int_equal(c.rep.del, 1);
	assert_int_equal(c.rep.c1, 3);
	assert_cleaned(&c, "xyz\xc2\xa0\n");
}

static void
test_bidi_overrides_and_isolates_are_removed(void **state)
{
	/* RLO U+202E, LRE U+202A, PDF U+202C, RLI U+2067, PDI U+2069; LRM U+200E stays. */
	struct cleaned c = clean("if (admin\xe2\x80\xae\xe2\x80\xaa\xe2\x80\xac) "
				 "\xe2\x81\xa7x\xe2\x81\xa9\xe2\x80\x8e\n", TEXTCLEAN_UTF8);

	(void)state;
	assert_int_equal(c.rep.bidi, 5);
	assert_cleaned(&c, "if (admin) x\xe2\x80\x8e\n");
}

static void
test_csv_formula_cells_are_neutralised(void **state)
{
	struct cleaned c = clean("name,note,tel\r\n"
				 "=HYPERLINK(\"x\"),+cmd|' /C calc'!A0,@SUM(A1)\r\n"
				 "a,-2+3,\x09x\r\n", TEXTCLEAN_UTF8);

	(void)state;
	assert_int_equal(c.rep.kind, TEXTCLEAN_CSV);
	assert_int_equal(c.rep.csv_cells, 5);
	assert_cleaned(&c, "name,note,tel\r\n"
			   "'=HYPERLINK(\"x\"),'+cmd|' /C calc'!A0,'@SUM(A1)\r\n"
			   "a,'-2+3,'\x09x\r\n");
}

static void
test_csv_plain_numbers_are_kept(void **state)
{
	struct cleaned c = clean("amount,rate,delta\n-5,+3.25,-0.5\n1000,-12,+7\n"
				 "-1.,--1,-\n", TEXTCLEAN_UTF8);

	(void)state;
	assert_int_equal(c.rep.kind, TEXTCLEAN_CSV);
	assert_int_equal(c.rep.csv_cells, 3);	/* "-1." "--1" "-" are no numbers */
	assert_cleaned(&c, "amount,rate,delta\n-5,+3.25,-0.5\n1000,-12,+7\n"
			   "'-1.,'--1,'-\n");
}

static void
test_csv_quoted_cells_get_the_quote_inside(void **state)
{
	struct cleaned c = clean("a,b\n\"=1+1\",\"-1,000\"\n\"-7\",\"x\"\"y\"\n"
				 "\"multi\nline\",\"@x\"\n", TEXTCLEAN_UTF8);

	(void)state;
	assert_int_equal(c.rep.kind, TEXTCLEAN_CSV);
	assert_int_equal(c.rep.csv_cells, 3);	/* "-7" is a number, quoted or not */
	assert_cleaned(&c, "a,b\n\"'=1+1\",\"'-1,000\"\n\"-7\",\"x\"\"y\"\n"
			   "\"multi\nline\",\"'@x\"\n");
}

static void
test_tab_separated_is_csv_too(void **state)
{
	struct cleaned c = clean("項目\t金額\n手数料\t-300\n調整\t=A2*2\n", TEXTCLEAN_UTF8);

	(void)state;
	assert_int_equal(c.rep.kind, TEXTCLEAN_CSV);
	assert_int_equal(c.rep.separator, '\t');
	assert_int_equal(c.rep.csv_cells, 1);
	assert_cleaned(&c, "項目\t金額\n手数料\t-300\n調整\t'=A2*2\n");
}

static void
test_csv_cell_starting_with_cr_is_neutralised_but_crlf_is_a_line_break(void **state)
{
	struct cleaned c = clean("a,b\r\n\rx,\r\n", TEXTCLEAN_UTF8);

	(void)state;
	assert_int_equal(c.rep.kind, TEXTCLEAN_CSV);
	assert_int_equal(c.rep.csv_cells, 1);
	assert_cleaned(&c, "a,b\r\n'\rx,\r\n");
}

static void
test_prose_with_dashes_is_not_csv(void **state)
{
	const char *prose = "お知らせ\n- 持ち物: 印鑑, 本人確認書類\n- 受付は平日です\n"
			    "=以上=\n";
	struct cleaned c = clean(prose, TEXTCLEAN_UTF8);

	(void)state;
	assert_int_equal(c.rep.kind, TEXTCLEAN_TXT);
	assert_int_equal(c.rep.separator, 0);
	assert_int_equal(c.rep.csv_cells, 0);
	assert_string_equal(textclean_kind_name(c.rep.kind), "txt");
	assert_cleaned(&c, prose);
}

static void
test_one_record_or_no_separator_or_open_quote_is_not_csv(void **state)
{
	struct cleaned c;

	(void)state;
	c = clean("=a,b\n\n", TEXTCLEAN_UTF8);		/* one non-empty record */
	assert_int_equal(c.rep.kind, TEXTCLEAN_TXT);
	assert_cleaned(&c, "=a,b\n\n");
	c = clean("=a\n-b\n", TEXTCLEAN_UTF8);		/* no separator at all */
	assert_int_equal(c.rep.kind, TEXTCLEAN_TXT);
	assert_cleaned(&c, "=a\n-b\n");
	c = clean("a,b\n\"=c,d\n", TEXTCLEAN_UTF8);	/* a quote left open */
	assert_int_equal(c.rep.kind, TEXTCLEAN_TXT);
	assert_cleaned(&c, "a,b\n\"=c,d\n");
}

static void
test_empty_lines_do_not_count_as_records(void **state)
{
	struct cleaned c = clean("a,b\r\n\r\n\n=c,d\r\n", TEXTCLEAN_UTF8);

	(void)state;
	assert_int_equal(c.rep.kind, TEXTCLEAN_CSV);
	assert_cleaned(&c, "a,b\r\n\r\n\n'=c,d\r\n");
}

static void
test_removal_happens_before_the_csv_rule(void **state)
{
	/* An RLO hiding a formula's start is removed, and the cell then neutralised. */
	struct cleaned c = clean("a,b\n\xe2\x80\xae=1,2\n", TEXTCLEAN_UTF8);

	(void)state;
	assert_int_equal(c.rep.bidi, 1);
	assert_int_equal(c.rep.csv_cells, 1);
	assert_cleaned(&c, "a,b\n'=1,2\n");
}

static void
test_nothing_left_is_empty_output(void **state)
{
	struct cleaned c = clean("\xef\xbb\xbf\x01", TEXTCLEAN_UTF8);

	(void)state;
	assert_int_equal(c.rc, TEXTCLEAN_OK);
	assert_null(c.p);
	assert_int_equal(c.len, 0);
}

/* The parent's check of its child: clean output passes with its kind, anything a
 * pass would change is refused. */
static void
test_check_accepts_only_a_fixed_point(void **state)
{
	static const char *const unclean[] = {
		"\xef\xbb\xbf" "a\n",		/* BOM */
		"a\x0c" "b\n",			/* FF */
		"a\x7f\n",			/* DEL */
		"a\xc2\x85\n",			/* NEL, a C1 control */
		"a\xe2\x81\xa6" "b\n",		/* LRI */
		"a,b\n=1,2\n",			/* a formula cell left as it is */
		"a,b\n\"@x\",2\n",
	};
	struct textclean_report rep;
	size_t i;

	(void)state;
	assert_int_equal(textclean_check((const uint8_t *)"a,b\n'=1,-2\n", 11, &rep), TEXTCLEAN_OK);
	assert_int_equal(rep.kind, TEXTCLEAN_CSV);
	assert_int_equal(textclean_check((const uint8_t *)"- memo\n", 7, &rep), TEXTCLEAN_OK);
	assert_int_equal(rep.kind, TEXTCLEAN_TXT);
	assert_int_equal(textclean_check((const uint8_t *)"", 0, &rep), TEXTCLEAN_OK);
	for (i = 0; i < sizeof unclean / sizeof unclean[0]; i++)
		assert_int_equal(textclean_check((const uint8_t *)unclean[i], strlen(unclean[i]), &rep),
				 TEXTCLEAN_EUNCLEAN);
	assert_int_equal(textclean_check((const uint8_t *)"a\xff\n", 3, &rep), TEXTCLEAN_EENCODING);
	assert_string_equal(textclean_strerror(TEXTCLEAN_EUNCLEAN), "cleaning would change it");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cp932_csv_becomes_utf8_csv),
		cmocka_unit_test(test_cp932_halfwidth_kana_and_backslash),
		cmocka_unit_test(test_invalid_input_is_refused),
		cmocka_unit_test(test_input_past_the_bound_is_refused),
		cmocka_unit_test(test_bom_at_start_is_dropped),
		cmocka_unit_test(test_feff_elsewhere_is_removed),
		cmocka_unit_test(test_c0_controls_go_tab_lf_cr_stay),
		cmocka_unit_test(test_del_and_c1_controls_are_removed),
		cmocka_unit_test(test_bidi_overrides_and_isolates_are_removed),
		cmocka_unit_test(test_csv_formula_cells_are_neutralised),
		cmocka_unit_test(test_csv_plain_numbers_are_kept),
		cmocka_unit_test(test_csv_quoted_cells_get_the_quote_inside),
		cmocka_unit_test(test_tab_separated_is_csv_too),
		cmocka_unit_test(test_csv_cell_starting_with_cr_is_neutralised_but_crlf_is_a_line_break),
		cmocka_unit_test(test_prose_with_dashes_is_not_csv),
		cmocka_unit_test(test_one_record_or_no_separator_or_open_quote_is_not_csv),
		cmocka_unit_test(test_empty_lines_do_not_count_as_records),
		cmocka_unit_test(test_removal_happens_before_the_csv_rule),
		cmocka_unit_test(test_nothing_left_is_empty_output),
		cmocka_unit_test(test_check_accepts_only_a_fixed_point),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
