/*
 * test_kana.c — katakana is checked, half-width kana becomes full-width, hiragana is
 * refused, and anything that is not strict UTF-8 never gets through.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "kana.h"

static int
norm(const char *in, char *out, size_t outlen, size_t *n)
{
	return kana_normalize(in, strlen(in), out, outlen, n);
}

static void
test_fullwidth_katakana_passes_unchanged(void **state)
{
	(void)state;
	char out[128];
	size_t n;

	assert_int_equal(norm("ヤマダ　タロウ", out, sizeof out, &n), KANA_OK);
	assert_string_equal(out, "ヤマダ　タロウ");
	assert_int_equal(n, 7);
	assert_int_equal(norm("ヴァイオリン・ホール", out, sizeof out, &n), KANA_OK);
	assert_string_equal(out, "ヴァイオリン・ホール");
	assert_int_equal(norm("スーパー", out, sizeof out, &n), KANA_OK);
	assert_string_equal(out, "スーパー");
}

static void
test_halfwidth_converted_with_voicing_marks_composed(void **state)
{
	(void)state;
	char out[128];
	size_t n;

	assert_int_equal(norm("ｶﾞ", out, sizeof out, &n), KANA_OK);
	assert_string_equal(out, "ガ");
	assert_int_equal(n, 1);
	assert_int_equal(norm("ﾊﾟ", out, sizeof out, &n), KANA_OK);
	assert_string_equal(out, "パ");
	assert_int_equal(norm("ﾔﾏﾀﾞ ﾀﾛｳ", out, sizeof out, &n), KANA_OK);
	assert_string_equal(out, "ヤマダ　タロウ");
	assert_int_equal(norm("ｳﾞｨｰﾅｽ", out, sizeof out, &n), KANA_OK);
	assert_string_equal(out, "ヴィーナス");
	assert_int_equal(norm("ﾎﾟﾃﾄ･ﾁｯﾌﾟｽ", out, sizeof out, &n), KANA_OK);
	assert_string_equal(out, "ポテト・チップス");
	assert_int_equal(norm("ﾂﾞﾃﾞﾄﾞ", out, sizeof out, &n), KANA_OK);
	assert_string_equal(out, "ヅデド");
	assert_int_equal(norm("ｦﾞﾜﾞ", out, sizeof out, &n), KANA_OK);
	assert_string_equal(out, "ヺヷ");
}

static void
test_combining_marks_of_decomposed_text_composed(void **state)
{
	(void)state;
	char out[128];
	size_t n;

	/* カ + U+3099 and ハ + U+309A, as NFD text (a Mac's file names) carries them. */
	assert_int_equal(norm("カ\xe3\x82\x99ハ\xe3\x82\x9a", out, sizeof out, &n), KANA_OK);
	assert_string_equal(out, "ガパ");
	assert_int_equal(n, 2);
}

static void
test_hiragana_refused_as_such(void **state)
{
	(void)state;
	char out[128];
	size_t n;

	assert_int_equal(norm("やまだ", out, sizeof out, &n), KANA_EHIRAGANA);
	assert_int_equal(norm("ヤマだ", out, sizeof out, &n), KANA_EHIRAGANA);
}

static void
test_other_characters_and_lone_marks_refused(void **state)
{
	(void)state;
	char out[128];
	size_t n;

	assert_int_equal(norm("山田", out, sizeof out, &n), KANA_EINVALID);
	assert_int_equal(norm("Yamada", out, sizeof out, &n), KANA_EINVALID);
	assert_int_equal(norm("ﾞｱ", out, sizeof out, &n), KANA_EINVALID);	/* mark first */
	assert_int_equal(norm("ｱﾞ", out, sizeof out, &n), KANA_EINVALID);	/* ア has no ゛ */
	assert_int_equal(norm("ｶﾟ", out, sizeof out, &n), KANA_EINVALID);	/* nor カ a ゜ */
	assert_int_equal(norm("ｱ｡", out, sizeof out, &n), KANA_EINVALID);
	assert_int_equal(norm("ア\tイ", out, sizeof out, &n), KANA_EINVALID);
}

static void
test_invalid_utf8_refused(void **state)
{
	(void)state;
	char out[128];
	size_t n;
	uint32_t cp;

	assert_int_equal(norm("\xe3\x82", out, sizeof out, &n), KANA_EUTF8);	/* cut short */
	assert_int_equal(norm("\xc0\xa0", out, sizeof out, &n), KANA_EUTF8);	/* overlong space */
	assert_int_equal(kana_utf8_next("\xed\xa0\x80", 3, &cp), 0);		/* surrogate */
	assert_int_equal(kana_utf8_next("\xf4\x90\x80\x80", 4, &cp), 0);	/* > U+10FFFF */
	assert_int_equal(kana_utf8_next("\xe3\x82\xa2", 3, &cp), 3);
	assert_int_equal(cp, 0x30A2);
}

static void
test_small_output_buffer_reported(void **state)
{
	(void)state;
	char out[8];
	size_t n;

	assert_int_equal(norm("アイウエ", out, sizeof out, &n), KANA_ETOOLONG);
	assert_int_equal(norm("アイ", out, 7, &n), KANA_OK);
	assert_string_equal(out, "アイ");
}

static void
test_fold_ascii_digits_and_dashes(void **state)
{
	(void)state;
	char out[64];
	const char *tel = "０９０ー１２３４－５６７８";

	assert_int_equal(kana_fold_ascii(tel, strlen(tel), true, out, sizeof out), KANA_OK);
	assert_string_equal(out, "090-1234-5678");
	/* Without dashes, the long vowel mark stays (a name may hold it). */
	assert_int_equal(kana_fold_ascii(tel, strlen(tel), false, out, sizeof out), KANA_OK);
	assert_string_equal(out, "090ー1234-5678");
	assert_int_equal(kana_fold_ascii("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", strlen("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ"),
					 false, out, sizeof out), KANA_OK);
	assert_string_equal(out, "taro@example.jp");
	assert_int_equal(kana_fold_ascii("a\xff", 2, false, out, sizeof out), KANA_EUTF8);
	assert_int_equal(kana_fold_ascii("12345", 5, false, out, 4), KANA_ETOOLONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fullwidth_katakana_passes_unchanged),
		cmocka_unit_test(test_halfwidth_converted_with_voicing_marks_composed),
		cmocka_unit_test(test_combining_marks_of_decomposed_text_composed),
		cmocka_unit_test(test_hiragana_refused_as_such),
		cmocka_unit_test(test_other_characters_and_lone_marks_refused),
		cmocka_unit_test(test_invalid_utf8_refused),
		cmocka_unit_test(test_small_output_buffer_reported),
		cmocka_unit_test(test_fold_ascii_digits_and_dashes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
