/*
 * fuzz_form.c — answers from the internet and schemas from staff, through the one
 * validator. An input starting with 'S' is a schema (the rest of the bytes), checked
 * and then used on a fixed answer document; any other input is an answer document
 * for a fixed sample schema that has every field type, groups and nested show_if.
 *
 * Beyond "no crash, no leak": a refusal must say why, a valid answer's normalised
 * form must itself be valid and normalise to itself (so a second validation, in
 * the other zone, agrees with the first), and walking it must not fail.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "jsonio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char sample[] =
	"{\"fields\":["
	"{\"name\":\"intro\",\"type\":\"heading\",\"label\":\"申請者\"},"
	"{\"name\":\"name\",\"type\":\"text\",\"label\":\"お名前\",\"required\":true,\"max_length\":20},"
	"{\"name\":\"kana\",\"type\":\"kana\",\"label\":\"フリガナ\",\"max_length\":30},"
	"{\"name\":\"note\",\"type\":\"textarea\",\"label\":\"備考\",\"max_length\":200},"
	"{\"name\":\"age\",\"type\":\"number\",\"label\":\"年齢\",\"min\":0,\"max\":120,\"integer\":true},"
	"{\"name\":\"height\",\"type\":\"number\",\"label\":\"身長\",\"min\":0.5},"
	"{\"name\":\"birth\",\"type\":\"date\",\"label\":\"生年月日\",\"max_date\":\"today-18y\","
	" \"min_date\":\"1900-01-01\"},"
	"{\"name\":\"email\",\"type\":\"email\",\"label\":\"メール\"},"
	"{\"name\":\"tel\",\"type\":\"tel\",\"label\":\"電話\"},"
	"{\"name\":\"zip\",\"type\":\"postal\",\"label\":\"郵便番号\",\"address_field\":\"addr\"},"
	"{\"name\":\"addr\",\"type\":\"text\",\"label\":\"住所\"},"
	"{\"name\":\"ward\",\"type\":\"select\",\"label\":\"区\",\"options\":["
	" {\"value\":\"naka\",\"label\":\"中区\"},{\"value\":\"kita\",\"label\":\"北区\",\"quota\":3}]},"
	"{\"name\":\"course\",\"type\":\"radio\",\"label\":\"コース\",\"options\":["
	" {\"value\":\"am\",\"label\":\"午前\",\"quota\":1},{\"value\":\"pm\",\"label\":\"午後\"}]},"
	"{\"name\":\"topics\",\"type\":\"checkbox\",\"label\":\"分野\",\"max_choices\":2,"
	" \"show_if\":{\"field\":\"course\",\"equals\":\"am\"},\"options\":["
	" {\"value\":\"a\",\"label\":\"A\"},{\"value\":\"b\",\"label\":\"B\",\"quota\":2},"
	" {\"value\":\"c\",\"label\":\"C\"}]},"
	"{\"name\":\"detail\",\"type\":\"text\",\"label\":\"詳細\",\"required\":true,"
	" \"show_if\":{\"field\":\"topics\",\"checked\":\"a\"}},"
	"{\"name\":\"more\",\"type\":\"number\",\"label\":\"追加\","
	" \"show_if\":{\"field\":\"detail\",\"in\":[\"x\",\"y\"]}},"
	"{\"name\":\"kids\",\"type\":\"group\",\"label\":\"お子さま\",\"max_items\":4,"
	" \"fields\":["
	"  {\"name\":\"kname\",\"type\":\"text\",\"label\":\"氏名\",\"required\":true},"
	"  {\"name\":\"kbirth\",\"type\":\"date\",\"label\":\"生年月日\",\"max_date\":\"today\"},"
	"  {\"name\":\"school\",\"type\":\"radio\",\"label\":\"在学\",\"show_if\":{\"field\":\"course\","
	"   \"equals\":\"pm\"},\"options\":[{\"value\":\"y\",\"label\":\"Y\"},{\"value\":\"n\",\"label\":\"N\"}]},"
	"  {\"name\":\"proof\",\"type\":\"file\",\"label\":\"証明書\",\"max_files\":2,"
	"   \"show_if\":{\"field\":\"school\",\"equals\":\"y\"}},"
	"  {\"name\":\"pets\",\"type\":\"group\",\"label\":\"ペット\",\"max_items\":3,\"fields\":["
	"   {\"name\":\"pname\",\"type\":\"kana\",\"label\":\"名前\",\"required\":true}]}]},"
	"{\"name\":\"docs\",\"type\":\"file\",\"label\":\"書類\",\"max_files\":3},"
	"{\"name\":\"agree\",\"type\":\"agreement\",\"label\":\"利用規約\",\"required\":true}"
	"]}";

static const char fixed_answers[] =
	"{\"name\":\"山田\",\"a\":\"x\",\"b\":1,\"c\":[\"a\"],\"agree\":true,\"g\":[{\"a\":\"1\"}]}";

/* Deterministic, so that a second validation sees the same quotas as the first. */
static bool
option_full(void *arg, const char *path, const char *value)
{
	(void)arg;
	return strcmp(value, "kita") == 0 && strcmp(path, "ward") == 0;
}

static int
count_file(void *arg, const char *path, const char *schema_path, const char *id)
{
	(void)path, (void)schema_path, (void)id;
	++*(size_t *)arg;
	return 0;
}

static int
count_choice(void *arg, const char *schema_path, const char *value)
{
	(void)schema_path, (void)value;
	++*(size_t *)arg;
	return 0;
}

static void
check(const struct form_schema *s, const json_t *answers)
{
	static const struct form_context ctx = { 2026, 11, 22, option_full, NULL };
	json_t *norm = NULL, *errs = NULL, *norm2 = NULL, *errs2 = NULL, *list;
	size_t n = 0;
	int rc = form_validate(s, answers, &ctx, &norm, &errs);

	if (rc == 1) {
		if (norm || json_object_size(errs) == 0 || (list = form_errors_list(errs)) == NULL)
			abort();
		if (json_array_size(list) != json_object_size(errs))
			abort();
		json_decref(list);
		json_decref(errs);
		return;
	}
	if (rc != 0 || errs || !json_is_object(norm))
		abort();
	if (form_validate(s, norm, &ctx, &norm2, &errs2) != 0 || !json_equal(norm, norm2))
		abort();
	if (form_walk_files(s, norm, count_file, &n) != 0 ||
	    form_walk_quota_choices(s, norm, count_choice, &n) != 0)
		abort();
	json_decref(norm2);
	json_decref(norm);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct form_schema *fixed;
	struct form_schema *s = NULL;
	char err[512];
	json_t *v, *q, *f;

	if (fixed == NULL) {
		json_t *j = jsonio_parse(sample, sizeof sample - 1, 1 << 20, JSONIO_MAX_DEPTH, err,
					 sizeof err);

		if (j == NULL || form_schema_parse(j, &fixed, err, sizeof err) != 0)
			abort();
		json_decref(j);
	}
	if (size > 0 && data[0] == 'S') {
		if ((v = jsonio_parse((const char *)data + 1, size - 1, 256 * 1024,
				      JSONIO_MAX_DEPTH, err, sizeof err)) == NULL)
			return 0;
		err[0] = '\0';
		if (form_schema_parse(v, &s, err, sizeof err) != 0) {
			if (err[0] == '\0' || s != NULL)
				abort();	/* a refusal must say why */
		} else {
			json_t *a = json_loads(fixed_answers, 0, NULL);

			if ((q = form_quota_options(s)) == NULL || (f = form_file_fields(s)) == NULL)
				abort();
			json_decref(q);
			json_decref(f);
			check(s, a);
			json_decref(a);
			form_schema_free(s);
		}
		json_decref(v);
		return 0;
	}
	if ((v = jsonio_parse((const char *)data, size, 64 * 1024, JSONIO_MAX_DEPTH, err,
			      sizeof err)) == NULL)
		return 0;
	check(fixed, v);
	json_decref(v);
	return 0;
}
