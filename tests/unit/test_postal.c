/*
 * test_postal.c — postal code → address: what a citizen types is normalised or
 * refused before any query, real codes give Japan Post's towns in order, an unknown
 * code gives an empty list, and the importer turns KEN_ALL's quirks into clean towns
 * and replaces a database only with a complete one.
 *
 * The databases are built by the real importer (provisioning/postal/import-postal.sh)
 * from the small committed fixtures in tests/fixtures/postal/: no network.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "db.h"
#include "postal.h"
#include "testutil.h"

#define IMPORT   "provisioning/postal/import-postal.sh"
#define FIXTURES "tests/fixtures/postal"

struct fixture {
	char dir[64];			/* mkdtemp */
	char ken_all_db[128];		/* from FIXTURES/KEN_ALL.CSV */
	char jpostal_db[128];		/* from FIXTURES/jpostal/ */
	struct postal *p;		/* ken_all_db */
};

static int
run_import(const char *args, const char *out)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), IMPORT " %s --out '%s' >/dev/null 2>&1", args, out);
	return system(cmd);
}

static int
group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_postal.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		goto fail;
	snprintf(f->ken_all_db, sizeof(f->ken_all_db), "%s/postal.sqlite", f->dir);
	snprintf(f->jpostal_db, sizeof(f->jpostal_db), "%s/jpostal.sqlite", f->dir);
	if (run_import("--ken-all " FIXTURES "/KEN_ALL.CSV", f->ken_all_db) != 0 ||
	    run_import("--jpostal-dir " FIXTURES "/jpostal", f->jpostal_db) != 0) {
		fprintf(stderr, "test_postal: the importer failed (run from the top of the "
			"tree, with /usr/bin/python3)\n");
		goto fail;
	}
	if (postal_open(&f->p, f->ken_all_db, err, sizeof(err)) != 0) {
		fprintf(stderr, "test_postal: %s\n", err);
		goto fail;
	}
	*state = f;
	return 0;
fail:
	if (f->dir[0] != '\0')
		testutil_rmtree(f->dir);
	free(f);
	return -1;
}

static int
group_teardown(void **state)
{
	struct fixture *f = *state;

	postal_close(f->p);
	testutil_rmtree(f->dir);
	free(f);
	return 0;
}

static void
assert_normal(const char *in, const char *want)
{
	char out[POSTAL_CODE_LEN + 1];

	if (postal_normalize(in, strlen(in), out) != POSTAL_OK)
		fail_msg("refused: \"%s\"", in);
	assert_string_equal(out, want);
}

static void
assert_refused_n(const char *in, size_t len)
{
	char out[POSTAL_CODE_LEN + 1];

	if (postal_normalize(in, len, out) != POSTAL_EBADCODE)
		fail_msg("accepted: \"%.*s\" as %s", (int)len, in, out);
	assert_string_equal(out, "");
}

static void
assert_refused(const char *in)
{
	assert_refused_n(in, strlen(in));
}

/* The one address object of a lookup that must give exactly one. */
static json_t *
lookup_one(struct postal *p, const char *code, json_t **arr)
{
	assert_int_equal(postal_lookup(p, code, arr), POSTAL_OK);
	assert_true(json_is_array(*arr));
	assert_int_equal(json_array_size(*arr), 1);
	return json_array_get(*arr, 0);
}

static const char *
member(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	assert_non_null(s);
	return s;
}

static void
test_normalize_accepts_what_people_type(void **state)
{
	(void)state;
	assert_normal("1000001", "1000001");
	assert_normal("100-0001", "1000001");
	assert_normal("１００－０００１", "1000001");	/* full-width, U+FF0D */
	assert_normal("１００ー０００１", "1000001");	/* prolonged sound mark */
	assert_normal("100ｰ0001", "1000001");		/* its half-width form */
	assert_normal("100\xe2\x88\x92" "0001", "1000001");	/* U+2212 minus */
	assert_normal("100\xe2\x80\x90" "0001", "1000001");	/* U+2010 hyphen */
	assert_normal("100\xe2\x80\x93" "0001", "1000001");	/* U+2013 en dash */
	assert_normal("〒100-0001", "1000001");
	assert_normal("  〒 １００－０００１\t", "1000001");
	assert_normal("　０６０ー００４２　", "0600042");	/* ideographic spaces */
	assert_normal("10０-0０01", "1000001");		/* mixed widths */
}

static void
test_normalize_refuses_everything_else(void **state)
{
	char longer[POSTAL_INPUT_MAX + 2];
	char out[POSTAL_CODE_LEN + 1];

	(void)state;
	assert_refused("");
	assert_refused("   ");
	assert_refused("〒");
	assert_refused("100001");		/* six digits */
	assert_refused("10000011");		/* eight */
	assert_refused("1000-001");		/* hyphen in the wrong place */
	assert_refused("10-00001");
	assert_refused("100--0001");		/* two hyphens */
	assert_refused("100-");
	assert_refused("-1000001");
	assert_refused("1000001-");
	assert_refused("100 0001");		/* a space is not a hyphen */
	assert_refused("100_0001");
	assert_refused("10a0001");
	assert_refused("1000001x");
	assert_refused("〒〒1000001");
	assert_refused("1000001〒");
	assert_refused("100' OR 1=1 --");
	assert_refused("١٠٠٠٠٠١");		/* Arabic-Indic digits are digits, not ours */
	assert_refused("１００\xef\xbc");	/* a cut UTF-8 sequence */
	assert_refused("\xef\xbc\x9a" "000001");	/* U+FF1A, just past the digits */
	assert_refused_n("100\0" "0001", 8);	/* NUL inside */
	assert_refused_n("1000001\0", 8);
	/* Over the bound, even if all spaces around a good code. */
	memset(longer, ' ', sizeof(longer));
	memcpy(longer, "1000001", 7);
	assert_refused_n(longer, POSTAL_INPUT_MAX + 1);
	assert_int_equal(postal_normalize(longer, POSTAL_INPUT_MAX, out), POSTAL_OK);
	assert_int_equal(postal_normalize(NULL, 0, out), POSTAL_EBADCODE);
}

static void
test_lookup_gives_the_address(void **state)
{
	struct fixture *f = *state;
	json_t *arr, *o;

	o = lookup_one(f->p, "100-0001", &arr);
	assert_string_equal(member(o, "postal_code"), "100-0001");
	assert_string_equal(member(o, "prefecture"), "東京都");
	assert_string_equal(member(o, "city"), "千代田区");
	assert_string_equal(member(o, "town"), "千代田");
	assert_string_equal(member(o, "prefecture_kana"), "トウキョウト");
	assert_string_equal(member(o, "city_kana"), "チヨダク");
	assert_string_equal(member(o, "town_kana"), "チヨダ");
	assert_int_equal(json_object_size(o), 7);
	json_decref(arr);

	/* The same answer whatever way the code was typed. */
	o = lookup_one(f->p, "〒１００ー０００１", &arr);
	assert_string_equal(member(o, "town"), "千代田");
	json_decref(arr);
}

static void
test_lookup_of_unknown_code_is_an_empty_list(void **state)
{
	struct fixture *f = *state;
	json_t *arr;

	assert_int_equal(postal_lookup(f->p, "999-9999", &arr), POSTAL_OK);
	assert_true(json_is_array(arr));
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
}

static void
test_lookup_refuses_bad_codes_without_a_result(void **state)
{
	struct fixture *f = *state;
	json_t *arr = json_true();	/* must be overwritten with NULL */

	assert_int_equal(postal_lookup(f->p, "100-001", &arr), POSTAL_EBADCODE);
	assert_null(arr);
	assert_int_equal(postal_lookup(f->p, "1000001' OR '1'='1", &arr), POSTAL_EBADCODE);
	assert_null(arr);
	assert_int_equal(postal_lookup(f->p, NULL, &arr), POSTAL_EBADCODE);
	assert_null(arr);
	assert_non_null(strstr(postal_strerror(POSTAL_EBADCODE), "7桁"));
}

static void
test_several_towns_under_one_code_come_in_japan_post_order(void **state)
{
	struct fixture *f = *state;
	json_t *arr;

	assert_int_equal(postal_lookup(f->p, "4520961", &arr), POSTAL_OK);
	assert_int_equal(json_array_size(arr), 2);
	assert_string_equal(member(json_array_get(arr, 0), "town"), "春日明河原");
	assert_string_equal(member(json_array_get(arr, 0), "town_kana"), "ハルヒアケガワラ");
	assert_string_equal(member(json_array_get(arr, 1), "town"), "春日一番割");
	json_decref(arr);
}

static void
assert_town(struct postal *p, const char *code, const char *town, const char *kana)
{
	json_t *arr, *o = lookup_one(p, code, &arr);

	assert_string_equal(member(o, "town"), town);
	assert_string_equal(member(o, "town_kana"), kana);
	json_decref(arr);
}

static void
test_import_cleans_ken_all_quirks(void **state)
{
	struct fixture *f = *state;

	/* Notes that are not towns. */
	assert_town(f->p, "1000000", "", "");		/* 以下に掲載がない場合 */
	assert_town(f->p, "0981200", "", "");		/* 猿払村の次に番地がくる場合 */
	assert_town(f->p, "1000301", "", "");		/* 利島村一円 */
	assert_town(f->p, "5220341", "一円", "イチエン");	/* a real town called 一円 */
	/* Parenthesised notes dropped, also one split over three CSV rows. */
	assert_town(f->p, "1000004", "大手町", "オオテマチ");
	assert_town(f->p, "0600042", "大通西", "オオドオリニシ");
	assert_town(f->p, "0660005", "協和", "キョウワ");	/* 3 rows + （その他） */
	assert_town(f->p, "1006890", "丸の内ＪＰタワー", "マルノウチJPタワー");
	/* A floor has its own code and keeps its name. */
	assert_town(f->p, "1007001", "丸の内ＪＰタワー１階", "マルノウチJPタワー1カイ");
	assert_town(f->p, "4506201", "名駅ミッドランドスクエア（高層棟）１階",
		    "メイエキミッドランドスクエア(コウソウトウ)1カイ");
	/* Rows that became the same are stored once. */
	assert_town(f->p, "9000001", "港町", "ミナトマチ");
}

static void
test_import_reads_the_npm_package_layout(void **state)
{
	struct fixture *f = *state;
	struct postal *p;
	json_t *arr, *o;
	char err[256];

	assert_int_equal(postal_open(&p, f->jpostal_db, err, sizeof(err)), 0);
	o = lookup_one(p, "100-0001", &arr);
	assert_string_equal(member(o, "prefecture"), "東京都");
	assert_string_equal(member(o, "town_kana"), "チヨダ");	/* was half-width */
	json_decref(arr);
	/* 100-8111 is a business code (宮内庁): not in KEN_ALL, so not imported. */
	assert_int_equal(postal_lookup(p, "1008111", &arr), POSTAL_OK);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
	assert_int_equal(postal_lookup(p, "4520961", &arr), POSTAL_OK);
	assert_int_equal(json_array_size(arr), 4);
	json_decref(arr);
	postal_close(p);
}

static void
test_open_refuses_what_is_not_a_postal_database(void **state)
{
	static const struct db_migration other[] = {
		{ 1, "CREATE TABLE other (x TEXT)" },
	};
	struct fixture *f = *state;
	char path[160], err[256];
	struct postal *p = (struct postal *)1;
	struct db *db;

	snprintf(path, sizeof(path), "%s/missing.sqlite", f->dir);
	assert_int_equal(postal_open(&p, path, err, sizeof(err)), -1);
	assert_null(p);
	assert_non_null(strstr(err, "missing.sqlite"));

	/* Right version number, wrong tables. */
	snprintf(path, sizeof(path), "%s/other.sqlite", f->dir);
	assert_int_equal(db_open(&db, path, DB_CREATE, other, 1, err, sizeof(err)), 0);
	db_close(db);
	assert_int_equal(postal_open(&p, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a postal database"));

	/* A newer schema than this code reads. */
	snprintf(path, sizeof(path), "%s/newer.sqlite", f->dir);
	{
		static const struct db_migration two[] = {
			{ 1, "CREATE TABLE a (x TEXT)" }, { 2, "CREATE TABLE b (x TEXT)" },
		};
		assert_int_equal(db_open(&db, path, DB_CREATE, two, 2, err, sizeof(err)), 0);
		db_close(db);
	}
	assert_int_equal(postal_open(&p, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "newer"));
}

/* Count the entries of dir other than . and .. */
static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_failed_import_leaves_the_previous_database(void **state)
{
	struct fixture *f = *state;
	char bad[160], out[160], sub[160], args[200], err[256];
	struct postal *p;
	json_t *arr;
	FILE *fp;

	snprintf(sub, sizeof(sub), "%s/atomic", f->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(out, sizeof(out), "%s/postal.sqlite", sub);
	assert_int_equal(run_import("--ken-all " FIXTURES "/KEN_ALL.CSV", out), 0);

	/* A CSV with a short row, and one with a code that is not seven digits. */
	snprintf(bad, sizeof(bad), "%s/bad.csv", f->dir);
	assert_non_null(fp = fopen(bad, "w"));
	fputs("13101,\"100  \",\"1000001\",\"ﾄｳｷｮｳﾄ\",\"ﾁﾖﾀﾞｸ\",\"ﾁﾖﾀﾞ\",\"東京都\","
	      "\"千代田区\",\"別の町\",0,0,0,0,0,0\r\n13101,\"100\"\r\n", fp);
	fclose(fp);
	snprintf(args, sizeof(args), "--ken-all '%s'", bad);
	assert_int_not_equal(run_import(args, out), 0);
	assert_non_null(fp = fopen(bad, "w"));
	fputs("13101,\"100  \",\"100001\",\"ﾄｳｷｮｳﾄ\",\"ﾁﾖﾀﾞｸ\",\"ﾁﾖﾀﾞ\",\"東京都\","
	      "\"千代田区\",\"千代田\",0,0,0,0,0,0\r\n", fp);
	fclose(fp);
	assert_int_not_equal(run_import(args, out), 0);

	/* The old database answers as before, and no temporary file is left. */
	assert_int_equal(entries(sub), 1);
	assert_int_equal(postal_open(&p, out, err, sizeof(err)), 0);
	assert_string_equal(member(lookup_one(p, "1000001", &arr), "town"), "千代田");
	json_decref(arr);
	postal_close(p);
}

#define THREADS 4
#define LOOKUPS_PER_THREAD 2000

static void *
lookup_worker(void *arg)
{
	struct postal *p = arg;
	json_t *arr;
	intptr_t bad = 0;
	int i;

	for (i = 0; i < LOOKUPS_PER_THREAD; i++) {
		const char *code = (i & 1) ? "452-0961" : "100-0001";
		size_t want = (i & 1) ? 2 : 1;

		if (postal_lookup(p, code, &arr) != POSTAL_OK)
			bad++;
		else {
			if (json_array_size(arr) != want)
				bad++;
			json_decref(arr);
		}
	}
	return (void *)bad;
}

static void
test_one_handle_serves_many_threads(void **state)
{
	struct fixture *f = *state;
	pthread_t t[THREADS];
	void *bad;
	int i;

	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, lookup_worker, f->p), 0);
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], &bad), 0);
		assert_int_equal((intptr_t)bad, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize_accepts_what_people_type),
		cmocka_unit_test(test_normalize_refuses_everything_else),
		cmocka_unit_test(test_lookup_gives_the_address),
		cmocka_unit_test(test_lookup_of_unknown_code_is_an_empty_list),
		cmocka_unit_test(test_lookup_refuses_bad_codes_without_a_result),
		cmocka_unit_test(test_several_towns_under_one_code_come_in_japan_post_order),
		cmocka_unit_test(test_import_cleans_ken_all_quirks),
		cmocka_unit_test(test_import_reads_the_npm_package_layout),
		cmocka_unit_test(test_open_refuses_what_is_not_a_postal_database),
		cmocka_unit_test(test_failed_import_leaves_the_previous_database),
		cmocka_unit_test(test_one_handle_serves_many_threads),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
