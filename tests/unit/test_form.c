/*
 * test_form.c — the form validator is the authority: each field type accepts what
 * it should (normalised) and refuses the rest with a Japanese message naming the
 * field, hidden fields are dropped, unknown keys are refused, quotas are honoured,
 * and a schema that could mislead the validator is refused when it is parsed.
 *
 * JSON in these tests is written with ' for " (J() swaps them back) to stay legible.
 * "Today" is fixed at 2026-11-22 so relative date bounds are deterministic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"

static json_t *
J(const char *text)
{
	char *s = strdup(text);
	json_error_t e;
	json_t *v;

	assert_non_null(s);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	v = json_loads(s, JSON_REJECT_DUPLICATES, &e);
	if (v == NULL)
		fail_msg("bad test JSON: %s: %s", e.text, s);
	free(s);
	return v;
}

static struct form_schema *
schema(const char *text)
{
	json_t *j = J(text);
	struct form_schema *s = NULL;
	char err[256] = "";

	if (form_schema_parse(j, &s, err, sizeof err) != 0)
		fail_msg("schema refused: %s", err);
	json_decref(j);
	return s;
}

/* The schema must be refused, with a reason that contains want. */
static void
refused(const char *text, const char *want)
{
	json_t *j = J(text);
	struct form_schema *s = NULL;
	char err[256] = "";

	assert_int_equal(form_schema_parse(j, &s, err, sizeof err), -1);
	assert_null(s);
	if (strstr(err, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", err, want);
	json_decref(j);
}

struct quota_state {
	const char *full_path, *full_value;	/* the one option that is full */
	int calls;
	char seen[256];
};

static bool
option_full(void *arg, const char *path, const char *value)
{
	struct quota_state *q = arg;

	q->calls++;
	snprintf(q->seen + strlen(q->seen), sizeof q->seen - strlen(q->seen), "%s=%s;", path,
		 value);
	return q->full_path && strcmp(path, q->full_path) == 0 && strcmp(value, q->full_value) == 0;
}

static struct quota_state quota;
static const struct form_context ctx = { 2026, 11, 22, option_full, &quota };

/* Validate; on 0 *out is the normalised answers, on 1 the errors. */
static int
run(const struct form_schema *s, const char *answers, json_t **out)
{
	json_t *a = J(answers), *norm = NULL, *errs = NULL;
	int rc = form_validate(s, a, &ctx, &norm, &errs);

	json_decref(a);
	if (rc == 0) {
		assert_non_null(norm);
		assert_null(errs);
		*out = norm;
	} else if (rc == 1) {
		assert_null(norm);
		assert_non_null(errs);
		*out = errs;
	} else
		*out = NULL;
	return rc;
}

/* A one-field form: the field's normalised value, or its error message. */
static char *
one(const char *field, const char *value)
{
	char sch[2048], ans[2048];
	struct form_schema *s;
	json_t *out, *v;
	char *r;
	int rc;

	snprintf(sch, sizeof sch, "{'fields':[%s]}", field);
	snprintf(ans, sizeof ans, "{'f':%s}", value);
	s = schema(sch);
	rc = run(s, ans, &out);
	assert_true(rc == 0 || rc == 1);
	v = json_object_get(out, "f");
	if (v == NULL)
		r = strdup("(absent)");
	else if (rc == 1)
		r = strdup(json_string_value(v));
	else
		r = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(out);
	form_schema_free(s);
	return r;
}

#define ONE_EQ(field, value, want) do {					\
		char *got_ = one(field, value);				\
		if (strcmp(got_, want) != 0)				\
			fail_msg("%s -> %s, wanted %s", value, got_, want); \
		free(got_);						\
	} while (0)

static const char *const sample =
	"{'fields':["
	" {'name':'intro','type':'heading','label':'申請者の情報'},"
	" {'name':'name','type':'text','label':'お名前','required':true,'max_length':20},"
	" {'name':'name_kana','type':'kana','label':'フリガナ','required':true},"
	" {'name':'age','type':'number','label':'年齢','min':0,'max':120,'integer':true},"
	" {'name':'zip','type':'postal','label':'郵便番号','address_field':'address'},"
	" {'name':'address','type':'text','label':'住所'},"
	" {'name':'tel','type':'tel','label':'電話番号'},"
	" {'name':'course','type':'radio','label':'コース','options':["
	"   {'value':'am','label':'午前','quota':10},{'value':'pm','label':'午後'}]},"
	" {'name':'has_children','type':'radio','label':'お子さまの有無','options':["
	"   {'value':'yes','label':'いる'},{'value':'no','label':'いない'}]},"
	" {'name':'children','type':'group','label':'お子さま','max_items':3,"
	"  'show_if':{'field':'has_children','equals':'yes'},'fields':["
	"   {'name':'child_name','type':'text','label':'氏名','required':true},"
	"   {'name':'birth_date','type':'date','label':'生年月日','required':true,'max_date':'today'},"
	"   {'name':'school','type':'radio','label':'在学','options':["
	"     {'value':'yes','label':'在学中'},{'value':'no','label':'なし'}]},"
	"   {'name':'proof','type':'file','label':'在学証明書','accept':['pdf'],'max_files':2,"
	"    'show_if':{'field':'school','equals':'yes'}},"
	"   {'name':'meal','type':'checkbox','label':'給食','options':["
	"     {'value':'milk','label':'牛乳','quota':5},{'value':'rice','label':'米飯'}],"
	"    'show_if':{'field':'course','equals':'am'}}]},"
	" {'name':'docs','type':'file','label':'本人確認書類','required':true,'max_files':3},"
	" {'name':'agree','type':'agreement','label':'利用規約','required':true,"
	"  'terms':'本サービスの利用規約に同意します。'}"
	"]}";

static void
test_valid_answers_are_normalised(void **state)
{
	(void)state;
	struct form_schema *s = schema(sample);
	json_t *out, *want;

	assert_int_equal(run(s, "{'name':'  山田 太郎　','name_kana':'ﾔﾏﾀﾞ ﾀﾛｳ','age':'４２',"
			 "'zip':'〒１２３４５６７','address':'東京都千代田区','tel':'０３ー１２３４ー５６７８',"
			 "'course':'am','has_children':'no','children':[{'child_name':'x'}],"
			 "'docs':['up_1','up-2'],'agree':true}", &out), 0);
	want = J("{'name':'山田 太郎','name_kana':'ヤマダ　タロウ','age':42,'zip':'123-4567',"
		 "'address':'東京都千代田区','tel':'03-1234-5678','course':'am',"
		 "'has_children':'no','docs':['up_1','up-2'],'agree':true}");
	if (!json_equal(out, want)) {
		char *d = json_dumps(out, JSON_COMPACT);
		fail_msg("normalised: %s", d);
	}
	json_decref(want);
	json_decref(out);
	form_schema_free(s);
}

static void
test_required_fields_reported_in_field_order(void **state)
{
	(void)state;
	struct form_schema *s = schema(sample);
	json_t *errs, *list;

	assert_int_equal(run(s, "{}", &errs), 1);
	assert_int_equal(json_object_size(errs), 4);
	list = form_errors_list(errs);
	assert_int_equal(json_array_size(list), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "path")), "name");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "message")),
			    "お名前を入力してください。");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "path")),
			    "name_kana");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 2), "message")),
			    "本人確認書類を添付してください。");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 3), "message")),
			    "利用規約に同意してください。");
	json_decref(list);
	json_decref(errs);
	form_schema_free(s);
}

#define TEXT "{'name':'f','type':'text','label':'お名前','max_length':5,'min_length':2}"

static void
test_text_trimmed_counted_in_characters_and_controls_refused(void **state)
{
	(void)state;
	ONE_EQ(TEXT, "'　山田花子 '", "\"山田花子\"");
	ONE_EQ(TEXT, "'山田花子さ'", "\"山田花子さ\"");
	ONE_EQ(TEXT, "'山田花子さん'", "お名前は5文字以内で入力してください。");
	ONE_EQ(TEXT, "'山'", "お名前は2文字以上で入力してください。");
	ONE_EQ(TEXT, "'山\\n田'", "お名前に使用できない文字が含まれています。");
	ONE_EQ(TEXT, "'山\\u202e田'", "お名前に使用できない文字が含まれています。");
	ONE_EQ(TEXT, "'山\\u0085田'", "お名前に使用できない文字が含まれています。");
	ONE_EQ(TEXT, "12", "お名前の入力内容が正しくありません。");
	ONE_EQ(TEXT, "'   '", "(absent)");
	ONE_EQ(TEXT, "null", "(absent)");
}

static void
test_textarea_keeps_newlines_as_lf(void **state)
{
	(void)state;
	const char *f = "{'name':'f','type':'textarea','label':'備考'}";

	ONE_EQ(f, "'一行目\\r\\n二行目\\r三行目\\n'", "\"一行目\\n二行目\\n三行目\"");
	ONE_EQ(f, "'a\\u0007b'", "備考に使用できない文字が含まれています。");
}

static void
test_kana_converted_and_hiragana_refused(void **state)
{
	(void)state;
	const char *f = "{'name':'f','type':'kana','label':'フリガナ','max_length':6}";

	ONE_EQ(f, "'ｶﾞｯｺｳ'", "\"ガッコウ\"");
	ONE_EQ(f, "'ﾊﾟﾝ ﾔ'", "\"パン　ヤ\"");
	ONE_EQ(f, "'やまだ'", "フリガナは全角カタカナで入力してください。");
	ONE_EQ(f, "'Yamada'", "フリガナは全角カタカナで入力してください。");
	ONE_EQ(f, "'ヤマダタロウサン'", "フリガナは6文字以内で入力してください。");
}

static void
test_number_ranges_integers_and_fullwidth_digits(void **state)
{
	(void)state;
	const char *f = "{'name':'f','type':'number','label':'人数','min':1,'max':10,'integer':true}";
	const char *r = "{'name':'f','type':'number','label':'身長','min':0.5}";

	ONE_EQ(f, "3", "3");
	ONE_EQ(f, "'３'", "3");
	ONE_EQ(f, "' 10 '", "10");
	ONE_EQ(f, "3.0", "3");
	ONE_EQ(f, "11", "人数は1から10までの数値で入力してください。");
	ONE_EQ(f, "0", "人数は1から10までの数値で入力してください。");
	ONE_EQ(f, "2.5", "人数は整数で入力してください。");
	ONE_EQ(f, "'2.5'", "人数は整数で入力してください。");
	ONE_EQ(f, "'1e1'", "人数は数値で入力してください。");
	ONE_EQ(f, "'0x3'", "人数は数値で入力してください。");
	ONE_EQ(f, "'nan'", "人数は数値で入力してください。");
	ONE_EQ(f, "'3.'", "人数は数値で入力してください。");
	ONE_EQ(f, "true", "人数は数値で入力してください。");
	ONE_EQ(r, "'１６０．５'", "160.5");
	ONE_EQ(r, "0.25", "身長は0.5以上の数値で入力してください。");
	ONE_EQ(r, "1e300", "身長は数値で入力してください。");
	ONE_EQ(r, "''", "(absent)");
}

static void
test_dates_real_and_bounded(void **state)
{
	(void)state;
	const char *f = "{'name':'f','type':'date','label':'日付'}";
	const char *adult = "{'name':'f','type':'date','label':'生年月日','max_date':'today-18y'}";
	const char *soon = "{'name':'f','type':'date','label':'希望日','min_date':'today+1d',"
			   "'max_date':'today+30d'}";
	const char *abs = "{'name':'f','type':'date','label':'日付','min_date':'2019-05-01'}";

	ONE_EQ(f, "'2024-02-29'", "\"2024-02-29\"");
	ONE_EQ(f, "'２０２５－０１－３１'", "\"2025-01-31\"");
	ONE_EQ(f, "'2026-02-29'", "日付は正しい日付を入力してください。");
	ONE_EQ(f, "'1900-02-29'", "日付は正しい日付を入力してください。");
	ONE_EQ(f, "'2025-04-31'", "日付は正しい日付を入力してください。");
	ONE_EQ(f, "'2025-13-01'", "日付は正しい日付を入力してください。");
	ONE_EQ(f, "'2025-1-1'", "日付は正しい日付を入力してください。");
	ONE_EQ(f, "'1868-01-24'", "日付は正しい日付を入力してください。");
	ONE_EQ(adult, "'2008-11-22'", "\"2008-11-22\"");
	ONE_EQ(adult, "'2008-11-23'",
	       "生年月日は平成20年11月22日（2008年11月22日）以前の日付を入力してください。");
	ONE_EQ(soon, "'2026-11-22'",
	       "希望日は令和8年11月23日（2026年11月23日）から令和8年12月22日（2026年12月22日）"
	       "までの日付を入力してください。");
	ONE_EQ(soon, "'2026-12-22'", "\"2026-12-22\"");
	ONE_EQ(abs, "'2019-04-30'",
	       "日付は令和元年5月1日（2019年5月1日）以降の日付を入力してください。");
}

static void
test_relative_date_bound_without_today_is_an_internal_error(void **state)
{
	(void)state;
	struct form_schema *s = schema("{'fields':[{'name':'f','type':'date','label':'日',"
				       "'min_date':'today'}]}");
	struct form_context none = { 0 };
	json_t *a = J("{'f':'2026-01-01'}"), *n, *e;

	assert_int_equal(form_validate(s, a, &none, &n, &e), -1);
	assert_null(n);
	assert_null(e);
	json_decref(a);
	form_schema_free(s);
}

static void
test_email(void **state)
{
	(void)state;
	const char *f = "{'name':'f','type':'email','label':'メールアドレス'}";
	const char *bad = "メールアドレスはメールアドレスの形式（例：taro@example.jp）で入力してください。";

	ONE_EQ(f, "'taro.yamada+x@example.co.jp'", "\"taro.yamada+x@example.co.jp\"");
	ONE_EQ(f, "'ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ'", "\"taro@example.jp\"");
	ONE_EQ(f, "'taro@example'", bad);
	ONE_EQ(f, "'taro@@example.jp'", bad);
	ONE_EQ(f, "'ta ro@example.jp'", bad);
	ONE_EQ(f, "'taro@exa_mple.jp'", bad);
	ONE_EQ(f, "'.taro@example.jp'", bad);
	ONE_EQ(f, "'taro@example.jp.'", bad);
	ONE_EQ(f, "'太郎@example.jp'", bad);
}

static void
test_tel_and_postal_normalised(void **state)
{
	(void)state;
	const char *t = "{'name':'f','type':'tel','label':'電話番号'}";
	const char *p = "{'name':'f','type':'postal','label':'郵便番号'}";
	const char *tbad = "電話番号は市外局番から10桁または11桁の番号で入力してください。";
	const char *pbad = "郵便番号は7桁の郵便番号（例：123-4567）で入力してください。";

	ONE_EQ(t, "'09012345678'", "\"09012345678\"");
	ONE_EQ(t, "'０９０－１２３４－５６７８'", "\"090-1234-5678\"");
	ONE_EQ(t, "'03-1234-567'", tbad);		/* 9 digits */
	ONE_EQ(t, "'090-1234-56789'", tbad);		/* 12 */
	ONE_EQ(t, "'+81-3-1234-5678'", tbad);
	ONE_EQ(t, "'03--1234-5678'", tbad);
	ONE_EQ(t, "'03-1234-5678-'", tbad);
	ONE_EQ(p, "'1234567'", "\"123-4567\"");
	ONE_EQ(p, "'〒１２３－４５６７'", "\"123-4567\"");
	ONE_EQ(p, "'12-34567'", pbad);
	ONE_EQ(p, "'123456'", pbad);
	ONE_EQ(p, "'123-45678'", pbad);
}

static void
test_choices(void **state)
{
	(void)state;
	const char *sel = "{'name':'f','type':'select','label':'区','options':["
			  "{'value':'naka','label':'中区'},{'value':'kita','label':'北区'}]}";
	const char *cb = "{'name':'f','type':'checkbox','label':'分野','required':true,"
			 "'max_choices':2,'options':[{'value':'a','label':'A'},"
			 "{'value':'b','label':'B'},{'value':'c','label':'C'}]}";

	ONE_EQ(sel, "'kita'", "\"kita\"");
	ONE_EQ(sel, "'minami'", "区は選択肢から選択してください。");
	ONE_EQ(sel, "['kita']", "区は選択肢から選択してください。");
	ONE_EQ(cb, "['c','a']", "[\"a\",\"c\"]");	/* schema order */
	ONE_EQ(cb, "['a','b','c']", "分野は2個以内で選択してください。");
	ONE_EQ(cb, "['a','a']", "分野は選択肢から選択してください。");
	ONE_EQ(cb, "['z']", "分野は選択肢から選択してください。");
	ONE_EQ(cb, "[]", "分野を選択してください。");
	ONE_EQ(cb, "'a'", "分野は選択肢から選択してください。");
}

static void
test_full_option_refused_and_only_quota_options_asked(void **state)
{
	(void)state;
	struct form_schema *s = schema(sample);
	const char *base = "{'name':'a','name_kana':'ア','docs':['u1'],'agree':true,";
	char ans[512];
	json_t *out;

	memset(&quota, 0, sizeof quota);
	quota.full_path = "course", quota.full_value = "am";
	snprintf(ans, sizeof ans, "%s'course':'am'}", base);
	assert_int_equal(run(s, ans, &out), 1);
	assert_string_equal(json_string_value(json_object_get(out, "course")),
			    "コースの「午前」は受付数の上限に達したため、選択できません。");
	json_decref(out);

	memset(&quota, 0, sizeof quota);
	snprintf(ans, sizeof ans, "%s'course':'pm'}", base);
	assert_int_equal(run(s, ans, &out), 0);
	assert_int_equal(quota.calls, 0);		/* 午後 has no quota */
	json_decref(out);

	/* A quota option in a group is asked by its schema path. */
	memset(&quota, 0, sizeof quota);
	quota.full_path = "children.meal", quota.full_value = "milk";
	snprintf(ans, sizeof ans, "%s'course':'pm','has_children':'yes','children':[{"
		 "'child_name':'b','birth_date':'2020-01-01','meal':['milk','rice']}]}", base);
	assert_int_equal(run(s, ans, &out), 0);	/* meal hidden: course is pm */
	assert_null(json_object_get(json_array_get(json_object_get(out, "children"), 0), "meal"));
	json_decref(out);
	snprintf(ans, sizeof ans, "%s'course':'am','has_children':'yes','children':[{"
		 "'child_name':'b','birth_date':'2020-01-01','meal':['milk','rice']}]}", base);
	assert_int_equal(run(s, ans, &out), 1);
	assert_string_equal(json_string_value(json_object_get(out, "children[0].meal")),
			    "お子さま（1件目）の給食の「牛乳」は受付数の上限に達したため、選択できません。");
	assert_non_null(strstr(quota.seen, "children.meal=milk;"));
	json_decref(out);
	memset(&quota, 0, sizeof quota);
	form_schema_free(s);
}

static int
count_choice(void *arg, const char *path, const char *value)
{
	char *buf = arg;

	snprintf(buf + strlen(buf), 256 - strlen(buf), "%s=%s;", path, value);
	return 0;
}

static void
test_quota_options_listed_and_choices_walked(void **state)
{
	(void)state;
	struct form_schema *s = schema(sample);
	json_t *list = form_quota_options(s), *want, *out;
	char seen[256] = "";

	want = J("[{'path':'course','value':'am','label':'午前','quota':10},"
		 "{'path':'children.meal','value':'milk','label':'牛乳','quota':5}]");
	assert_true(json_equal(list, want));
	json_decref(want);
	json_decref(list);
	assert_int_equal(run(s, "{'name':'a','name_kana':'ア','docs':['u1'],'agree':true,"
			 "'course':'am','has_children':'yes','children':[{'child_name':'b',"
			 "'birth_date':'2020-01-01','meal':['milk','rice']},{'child_name':'c',"
			 "'birth_date':'2021-01-01','meal':['rice']}]}", &out), 0);
	assert_int_equal(form_walk_quota_choices(s, out, count_choice, seen), 0);
	assert_string_equal(seen, "course=am;children.meal=milk;");
	json_decref(out);
	form_schema_free(s);
}

struct files_seen {
	char buf[256];
	int stop_after;
};

static int
see_file(void *arg, const char *path, const char *schema_path, const char *id)
{
	struct files_seen *f = arg;

	snprintf(f->buf + strlen(f->buf), sizeof f->buf - strlen(f->buf), "%s(%s)=%s;", path,
		 schema_path, id);
	return --f->stop_after == 0 ? 7 : 0;
}

static void
test_files_checked_walked_and_limits_listed(void **state)
{
	(void)state;
	const char *f = "{'name':'f','type':'file','label':'書類','max_files':2}";
	struct form_schema *s = schema(sample);
	struct form_file_limits lim;
	struct files_seen seen = { .stop_after = 100 };
	json_t *out, *list, *want;

	ONE_EQ(f, "['a1','B_2']", "[\"a1\",\"B_2\"]");
	ONE_EQ(f, "['a','b','c']", "書類は2件まで添付できます。");
	ONE_EQ(f, "['../x']", "書類の添付ファイルが正しくありません。もう一度添付してください。");
	ONE_EQ(f, "['a','a']", "書類の添付ファイルが正しくありません。もう一度添付してください。");
	ONE_EQ(f, "[1]", "書類の添付ファイルが正しくありません。もう一度添付してください。");
	ONE_EQ(f, "'a'", "書類の添付ファイルが正しくありません。もう一度添付してください。");

	assert_int_equal(run(s, "{'name':'a','name_kana':'ア','docs':['d1','d2'],'agree':true,"
			 "'has_children':'yes','children':[{'child_name':'b','birth_date':"
			 "'2020-01-01','school':'yes','proof':['p1']},{'child_name':'c',"
			 "'birth_date':'2021-01-01','school':'no','proof':['p2']}]}", &out), 0);
	assert_int_equal(form_walk_files(s, out, see_file, &seen), 0);
	/* p2 is dropped: the second child is not in school, so proof is hidden. */
	assert_string_equal(seen.buf, "children[0].proof(children.proof)=p1;docs(docs)=d1;"
			    "docs(docs)=d2;");
	seen.buf[0] = '\0';
	seen.stop_after = 2;
	assert_int_equal(form_walk_files(s, out, see_file, &seen), 7);
	json_decref(out);

	list = form_file_fields(s);
	want = J("[{'path':'children.proof','accept':['pdf'],'max_files':2,'max_file_bytes':10485760},"
		 "{'path':'docs','accept':['pdf','image'],'max_files':3,'max_file_bytes':10485760}]");
	assert_true(json_equal(list, want));
	json_decref(want);
	json_decref(list);
	assert_int_equal(form_file_limits(s, "children.proof", &lim), 0);
	assert_int_equal(lim.accept, FORM_ACCEPT_PDF);
	assert_int_equal(lim.max_files, 2);
	assert_int_equal(form_file_limits(s, "children", &lim), -1);
	form_schema_free(s);
}

static void
test_agreement_needs_true(void **state)
{
	(void)state;
	const char *f = "{'name':'f','type':'agreement','label':'利用規約','required':true}";

	ONE_EQ(f, "true", "true");
	ONE_EQ(f, "false", "利用規約に同意してください。");
	ONE_EQ(f, "'true'", "利用規約の入力内容が正しくありません。");
}

static void
test_unknown_keys_refused_at_every_level(void **state)
{
	(void)state;
	struct form_schema *s = schema(sample);
	json_t *out;

	assert_int_equal(run(s, "{'name':'a','name_kana':'ア','docs':['u1'],'agree':true,"
			 "'admin':true,'intro':'x','Bad Key':1,'has_children':'yes',"
			 "'children':[{'child_name':'b','birth_date':'2020-01-01','extra':1}]}",
			 &out), 1);
	assert_string_equal(json_string_value(json_object_get(out, "admin")),
			    "この項目は受け付けられません。");
	assert_non_null(json_object_get(out, "intro"));		/* a heading has no answer */
	assert_non_null(json_object_get(out, "_invalid_key"));
	assert_non_null(json_object_get(out, "children[0].extra"));
	assert_int_equal(json_object_size(out), 4);
	json_decref(out);
	assert_int_equal(run(s, "[1]", &out), 1);
	assert_non_null(json_object_get(out, "_form"));
	json_decref(out);
	form_schema_free(s);
}

static void
test_show_if_nested_three_levels(void **state)
{
	(void)state;
	struct form_schema *s = schema(
		"{'fields':["
		" {'name':'d','type':'text','label':'D','required':true,"
		"  'show_if':{'field':'c','in':['y','z']}},"		/* forward reference */
		" {'name':'a','type':'radio','label':'A','options':[{'value':'yes','label':'Y'},"
		"  {'value':'no','label':'N'}]},"
		" {'name':'b','type':'checkbox','label':'B','show_if':{'field':'a','equals':'yes'},"
		"  'options':[{'value':'x','label':'X'},{'value':'w','label':'W'}]},"
		" {'name':'c','type':'select','label':'C','show_if':{'field':'b','checked':'x'},"
		"  'options':[{'value':'y','label':'Y'},{'value':'z','label':'Z'},{'value':'q','label':'Q'}]},"
		" {'name':'n','type':'number','label':'N'},"
		" {'name':'m','type':'text','label':'M','show_if':{'field':'n','equals':3}}"
		"]}");
	json_t *out;

	/* All shown: d is required. */
	assert_int_equal(run(s, "{'a':'yes','b':['x'],'c':'y'}", &out), 1);
	assert_string_equal(json_string_value(json_object_get(out, "d")), "Dを入力してください。");
	json_decref(out);
	/* a=no hides b, so c, so d: their values (even invalid ones) are dropped. */
	assert_int_equal(run(s, "{'a':'no','b':['x'],'c':'y','d':'\\u0001'}", &out), 0);
	assert_int_equal(json_object_size(out), 1);
	assert_string_equal(json_string_value(json_object_get(out, "a")), "no");
	json_decref(out);
	/* b without x hides c and d. */
	assert_int_equal(run(s, "{'a':'yes','b':['w'],'c':'z'}", &out), 0);
	assert_null(json_object_get(out, "c"));
	json_decref(out);
	/* c=q: d hidden, not required. */
	assert_int_equal(run(s, "{'a':'yes','b':['x','w'],'c':'q'}", &out), 0);
	json_decref(out);
	assert_int_equal(run(s, "{'a':'yes','b':['x'],'c':'z','d':'ok'}", &out), 0);
	assert_string_equal(json_string_value(json_object_get(out, "d")), "ok");
	json_decref(out);
	/* Numbers compare by value: "3" (a string answer) normalised to 3 shows m. */
	assert_int_equal(run(s, "{'n':'３','m':'shown'}", &out), 0);
	assert_string_equal(json_string_value(json_object_get(out, "m")), "shown");
	json_decref(out);
	assert_int_equal(run(s, "{'n':4,'m':'hidden'}", &out), 0);
	assert_null(json_object_get(out, "m"));
	json_decref(out);
	form_schema_free(s);
}

static void
test_group_items_report_their_own_errors(void **state)
{
	(void)state;
	struct form_schema *s = schema(sample);
	const char *base = "{'name':'a','name_kana':'ア','docs':['u1'],'agree':true,'has_children':'yes',";
	char ans[512];
	json_t *out, *list;

	snprintf(ans, sizeof ans, "%s'children':[{'child_name':'b','birth_date':'2020-01-01'},"
		 "{'child_name':'c','birth_date':'2027-01-01'},5]}", base);
	assert_int_equal(run(s, ans, &out), 1);
	assert_string_equal(json_string_value(json_object_get(out, "children[1].birth_date")),
			    "お子さま（2件目）の生年月日は令和8年11月22日（2026年11月22日）"
			    "以前の日付を入力してください。");
	assert_string_equal(json_string_value(json_object_get(out, "children[2]")),
			    "お子さま（3件目）の入力内容が正しくありません。");
	list = form_errors_list(out);
	assert_int_equal(json_array_size(list), 2);
	json_decref(list);
	json_decref(out);

	snprintf(ans, sizeof ans, "%s'children':[{},{},{},{}]}", base);
	assert_int_equal(run(s, ans, &out), 1);
	assert_string_equal(json_string_value(json_object_get(out, "children")),
			    "お子さまは3件まで入力できます。");
	json_decref(out);

	snprintf(ans, sizeof ans, "%s'children':{}}", base);
	assert_int_equal(run(s, ans, &out), 1);
	assert_non_null(json_object_get(out, "children"));
	json_decref(out);
	form_schema_free(s);
}

static void
test_group_min_items_and_hidden_group(void **state)
{
	(void)state;
	struct form_schema *s = schema(
		"{'fields':[{'name':'on','type':'agreement','label':'有無'},"
		"{'name':'g','type':'group','label':'家族','required':true,'min_items':2,"
		"'max_items':4,'show_if':{'field':'on','equals':true},'fields':["
		"{'name':'rel','type':'text','label':'続柄','show_if':{'field':'on','equals':true}},"
		"{'name':'sub','type':'group','label':'連絡先','fields':["
		"{'name':'tel','type':'tel','label':'電話'}]}]}]}");
	json_t *out;

	assert_int_equal(run(s, "{'on':true,'g':[{'rel':'父'}]}", &out), 1);
	assert_string_equal(json_string_value(json_object_get(out, "g")),
			    "家族は2件以上入力してください。");
	json_decref(out);
	assert_int_equal(run(s, "{'on':true,'g':[{'rel':'父','sub':[{'tel':'0312345678'}]},"
			 "{'sub':[{'tel':'1'}]}]}", &out), 1);
	assert_string_equal(json_string_value(json_object_get(out, "g[1].sub[0].tel")),
			    "家族（2件目）の連絡先（1件目）の電話は市外局番から10桁または11桁の番号で"
			    "入力してください。");
	json_decref(out);
	/* The group hidden: its items, even malformed, are dropped and not required. */
	assert_int_equal(run(s, "{'g':[1,2,3,4,5,6]}", &out), 0);
	assert_int_equal(json_object_size(out), 0);
	json_decref(out);
	form_schema_free(s);
}

static void
test_group_items_bounded_across_the_whole_answer(void **state)
{
	(void)state;
	struct form_schema *s = schema(
		"{'fields':[{'name':'g','type':'group','label':'世帯','max_items':100,'fields':["
		"{'name':'h','type':'group','label':'人','max_items':100,'fields':["
		"{'name':'t','type':'text','label':'T'}]}]}]}");
	size_t cap = 1 << 20, len;
	char *buf = malloc(cap);
	json_t *out;

	assert_non_null(buf);
	/* 100 x 100 items is within each group's limit, but not within the answer's:
	 * the 100 outer items and 9 x 100 inner ones reach it, the tenth inner is over. */
	len = (size_t)snprintf(buf, cap, "{'g':[");
	for (int i = 0; i < 100; i++) {
		len += (size_t)snprintf(buf + len, cap - len, "%s{'h':[", i ? "," : "");
		for (int k = 0; k < 100; k++)
			len += (size_t)snprintf(buf + len, cap - len, "%s{}", k ? "," : "");
		len += (size_t)snprintf(buf + len, cap - len, "]}");
	}
	snprintf(buf + len, cap - len, "]}");
	assert_int_equal(run(s, buf, &out), 1);
	assert_null(json_object_get(out, "g[8].h"));
	assert_string_equal(json_string_value(json_object_get(out, "g[9].h")),
			    "世帯（10件目）の人の件数が多すぎます。");
	json_decref(out);
	free(buf);
	form_schema_free(s);
}

static void
test_schema_refusals(void **state)
{
	(void)state;
	refused("{'fields':[{'name':'a','type':'text','label':'A','show_if':{'field':'b','equals':'x'}},"
		"{'name':'b','type':'text','label':'B','show_if':{'field':'a','equals':'x'}}]}",
		"cycle");
	refused("{'fields':[{'name':'a','type':'text','label':'A','show_if':{'field':'a','equals':'x'}}]}",
		"cycle");
	refused("{'fields':[{'name':'a','type':'text','label':'A','show_if':{'field':'zz','equals':'x'}}]}",
		"show_if refers to \"zz\"");
	/* An outer field cannot look into a group. */
	refused("{'fields':[{'name':'a','type':'text','label':'A','show_if':{'field':'x','equals':'1'}},"
		"{'name':'g','type':'group','label':'G','fields':[{'name':'x','type':'text','label':'X'}]}]}",
		"show_if refers to \"x\"");
	refused("{'fields':[{'name':'g1','type':'group','label':'G','fields':[{'name':'g2','type':'group',"
		"'label':'G','fields':[{'name':'g3','type':'group','label':'G','fields':[{'name':'g4',"
		"'type':'group','label':'G','fields':[{'name':'t','type':'text','label':'T'}]}]}]}]}]}",
		"groups nest deeper than 3");
	refused("{'fields':[{'name':'Name','type':'text','label':'A'}]}", "\"name\" must match");
	refused("{'fields':[{'name':'a-b','type':'text','label':'A'}]}", "\"name\" must match");
	refused("{'fields':[{'name':'a','type':'text','label':'A'},{'name':'a','type':'text','label':'B'}]}",
		"a: the name is used twice");
	refused("{'fields':[{'name':'a','type':'text','label':'A','requierd':true}]}",
		"\"requierd\" is not a member of a text field");
	refused("{'fields':[{'name':'a','type':'text','label':'A','options':[]}]}",
		"\"options\" is not a member");
	refused("{'fields':[{'name':'a','type':'texto','label':'A'}]}", "unknown type");
	refused("{'fields':[{'name':'a','type':'text'}]}", "\"label\" is missing");
	refused("{'fields':[{'name':'a','type':'text','label':'A','max_length':5000}]}", "max_length");
	refused("{'fields':[{'name':'a','type':'radio','label':'A','options':[{'value':'x','label':'X'},"
		"{'value':'x','label':'Y'}]}]}", "appears twice");
	refused("{'fields':[{'name':'a','type':'radio','label':'A','options':[{'value':'x','label':'X'}]},"
		"{'name':'b','type':'text','label':'B','show_if':{'field':'a','equals':'y'}}]}",
		"can never equal");
	refused("{'fields':[{'name':'a','type':'radio','label':'A','options':[{'value':'x','label':'X'}]},"
		"{'name':'b','type':'text','label':'B','show_if':{'field':'a','checked':'x'}}]}",
		"needs a checkbox");
	refused("{'fields':[{'name':'a','type':'file','label':'A'},"
		"{'name':'b','type':'text','label':'B','show_if':{'field':'a','equals':'x'}}]}",
		"cannot depend on the file field");
	refused("{'fields':[{'name':'a','type':'text','label':'A'},"
		"{'name':'b','type':'text','label':'B','show_if':{'field':'a','equals':'x','in':['y']}}]}",
		"exactly one");
	refused("{'fields':[{'name':'z','type':'postal','label':'Z','address_field':'addr'}]}",
		"address_field");
	refused("{'fields':[{'name':'a','type':'date','label':'A','min_date':'2026-02-29'}]}",
		"min_date");
	refused("{'fields':[{'name':'a','type':'date','label':'A','max_date':'today-18x'}]}",
		"max_date");
	/* Digits with no unit: found by fuzz_catalogue reading past the string's end. */
	refused("{'fields':[{'name':'a','type':'date','label':'A','max_date':'today+5'}]}",
		"max_date");
	refused("{'fields':[{'name':'a','type':'date','label':'A','min_date':'2026-01-02',"
		"'max_date':'2026-01-01'}]}", "after");
	refused("{'fields':[{'name':'h','type':'heading','label':'H','required':true}]}", "heading");
	refused("{'fields':[]}", "non-empty");
	refused("{'fields':[{'name':'a','type':'file','label':'A','accept':['exe']}]}", "accept");
	refused("{'fields':[{'name':'a','type':'text','label':'A\\u0007'}]}", "control character");
	refused("[]", "must be a JSON object");
}

static void
test_schema_bounds_refused(void **state)
{
	(void)state;
	size_t cap = 64 * 1024, len;
	char *buf = malloc(cap);
	int i;

	assert_non_null(buf);
	/* One field more than a level may hold. */
	len = (size_t)snprintf(buf, cap, "{'fields':[");
	for (i = 0; i <= FORM_FIELDS_PER_LEVEL_MAX; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s{'name':'f%d','type':'text','label':'L'}",
					i ? "," : "", i);
	snprintf(buf + len, cap - len, "]}");
	refused(buf, "more than 200 fields");

	/* A chain of FORM_COND_CHAIN_MAX conditions is fine; one more is refused. */
	for (int extra = 0; extra < 2; extra++) {
		json_t *j;
		struct form_schema *s = NULL;
		char err[256];

		len = (size_t)snprintf(buf, cap, "{'fields':[{'name':'f0','type':'text','label':'L'}");
		for (i = 1; i <= FORM_COND_CHAIN_MAX + extra; i++)
			len += (size_t)snprintf(buf + len, cap - len,
						",{'name':'f%d','type':'text','label':'L',"
						"'show_if':{'field':'f%d','equals':'x'}}", i, i - 1);
		snprintf(buf + len, cap - len, "]}");
		j = J(buf);
		assert_int_equal(form_schema_parse(j, &s, err, sizeof err), extra ? -1 : 0);
		if (extra)
			assert_non_null(strstr(err, "chain deeper than 8"));
		form_schema_free(s);
		json_decref(j);
	}
	free(buf);
}

static void
test_procedure_document_passed_whole(void **state)
{
	(void)state;
	struct form_schema *s = schema("{'title':'犬の登録','fee':300,'fields':["
				       "{'name':'dog','type':'text','label':'犬の名前','x_width':3,"
				       "'placeholder':'ポチ'}]}");
	json_t *out;

	assert_int_equal(run(s, "{'dog':'ポチ'}", &out), 0);
	json_decref(out);
	form_schema_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_answers_are_normalised),
		cmocka_unit_test(test_required_fields_reported_in_field_order),
		cmocka_unit_test(test_text_trimmed_counted_in_characters_and_controls_refused),
		cmocka_unit_test(test_textarea_keeps_newlines_as_lf),
		cmocka_unit_test(test_kana_converted_and_hiragana_refused),
		cmocka_unit_test(test_number_ranges_integers_and_fullwidth_digits),
		cmocka_unit_test(test_dates_real_and_bounded),
		cmocka_unit_test(test_relative_date_bound_without_today_is_an_internal_error),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_tel_and_postal_normalised),
		cmocka_unit_test(test_choices),
		cmocka_unit_test(test_full_option_refused_and_only_quota_options_asked),
		cmocka_unit_test(test_quota_options_listed_and_choices_walked),
		cmocka_unit_test(test_files_checked_walked_and_limits_listed),
		cmocka_unit_test(test_agreement_needs_true),
		cmocka_unit_test(test_unknown_keys_refused_at_every_level),
		cmocka_unit_test(test_show_if_nested_three_levels),
		cmocka_unit_test(test_group_items_report_their_own_errors),
		cmocka_unit_test(test_group_min_items_and_hidden_group),
		cmocka_unit_test(test_group_items_bounded_across_the_whole_answer),
		cmocka_unit_test(test_schema_refusals),
		cmocka_unit_test(test_schema_bounds_refused),
		cmocka_unit_test(test_procedure_document_passed_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
