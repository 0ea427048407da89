/*
 * test_jsonio.c — hostile JSON is refused before it costs anything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonio.h"

static json_t *
parse(const char *s, char *err, size_t errlen)
{
	return jsonio_parse(s, strlen(s), 4096, JSONIO_MAX_DEPTH, err, errlen);
}

static void
test_valid_object_parses(void **state)
{
	(void)state;
	char err[160];
	json_t *v = parse("{\"name\":\"山田 太郎\",\"age\":42}", err, sizeof err);
	long long age;
	assert_non_null(v);
	assert_string_equal(jsonio_str(v, "name", NULL), "山田 太郎");
	assert_int_equal(jsonio_int(v, "age", 0, 150, &age), 0);
	assert_int_equal(age, 42);
	json_decref(v);
}

static void
test_duplicate_keys_refused(void **state)
{
	(void)state;
	char err[160];
	assert_null(parse("{\"a\":1,\"a\":2}", err, sizeof err));
	assert_non_null(strstr(err, "duplicate"));
}

static void
test_nesting_past_limit_refused_with_position(void **state)
{
	(void)state;
	char buf[200], err[160];
	memset(buf, '[', 40);
	memset(buf + 40, ']', 40);
	buf[80] = '\0';
	assert_null(parse(buf, err, sizeof err));
	assert_non_null(strstr(err, "nesting deeper than 32 at byte 32"));
}

static void
test_brackets_inside_strings_do_not_count_as_depth(void **state)
{
	(void)state;
	char buf[200], err[160];
	snprintf(buf, sizeof buf, "{\"k\":\"%.*s\\\"[[\"}", 60,
		 "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
	json_t *v = parse(buf, err, sizeof err);
	assert_non_null(v);
	json_decref(v);
}

static void
test_oversized_document_refused_before_parsing(void **state)
{
	(void)state;
	char err[160];
	const char *s = "{\"a\":\"0123456789\"}";
	assert_null(jsonio_parse(s, strlen(s), 10, 8, err, sizeof err));
	assert_non_null(strstr(err, "limit 10"));
}

static void
test_trailing_garbage_and_nul_escape_refused(void **state)
{
	(void)state;
	char err[160];
	assert_null(parse("{\"a\":1} x", err, sizeof err));
	assert_null(parse("{\"a\":\"\\u0000\"}", err, sizeof err));
	assert_null(parse("", err, sizeof err));
	assert_null(jsonio_parse("{\"a\":\"\xff\"}", 8, 100, 4, err, sizeof err));
}

static void
test_canonical_dump_sorts_keys(void **state)
{
	(void)state;
	json_t *a = json_pack("{s:i,s:s,s:{s:b,s:n}}", "z", 1, "a", "x", "m", "y", 1, "b");
	size_t len = 0;
	char *s = jsonio_dump_canonical(a, &len);
	assert_string_equal(s, "{\"a\":\"x\",\"m\":{\"b\":null,\"y\":true},\"z\":1}");
	assert_int_equal(len, strlen(s));
	free(s);
	json_decref(a);
}

static void
test_getters_refuse_wrong_types_and_ranges(void **state)
{
	(void)state;
	char err[160];
	json_t *v = parse("{\"n\":\"5\",\"b\":1,\"big\":1000}", err, sizeof err);
	long long n;
	bool b;
	assert_non_null(v);
	assert_int_equal(jsonio_int(v, "n", 0, 10, &n), -1);
	assert_int_equal(jsonio_int(v, "big", 0, 999, &n), -1);
	assert_int_equal(jsonio_bool(v, "b", &b), -1);
	assert_string_equal(jsonio_str(v, "missing", "def"), "def");
	assert_string_equal(jsonio_str(NULL, "n", "def"), "def");
	json_decref(v);
}

static void
test_load_file_bounds_size_and_names_the_path(void **state)
{
	(void)state;
	char path[] = "/tmp/sekisho-jsonio-XXXXXX", err[256];
	int fd = mkstemp(path);
	json_t *v;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"status\":\"clean\"}", 18), 18);
	close(fd);
	v = jsonio_load_file(path, 64, err, sizeof err);
	assert_non_null(v);
	assert_string_equal(jsonio_str(v, "status", ""), "clean");
	json_decref(v);
	/* One byte over the limit is refused, not cut into something that parses. */
	assert_null(jsonio_load_file(path, 17, err, sizeof err));
	assert_non_null(strstr(err, "larger than 17 bytes"));
	assert_non_null(strstr(err, path));
	unlink(path);
	assert_null(jsonio_load_file(path, 64, err, sizeof err));
	assert_non_null(strstr(err, "cannot read"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_object_parses),
		cmocka_unit_test(test_duplicate_keys_refused),
		cmocka_unit_test(test_nesting_past_limit_refused_with_position),
		cmocka_unit_test(test_brackets_inside_strings_do_not_count_as_depth),
		cmocka_unit_test(test_oversized_document_refused_before_parsing),
		cmocka_unit_test(test_trailing_garbage_and_nul_escape_refused),
		cmocka_unit_test(test_canonical_dump_sorts_keys),
		cmocka_unit_test(test_getters_refuse_wrong_types_and_ranges),
		cmocka_unit_test(test_load_file_bounds_size_and_names_the_path),
	};
	return cmocka_run_group_tests_name("jsonio", tests, NULL, NULL);
}
