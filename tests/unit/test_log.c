/*
 * test_log.c — one event is one line, whatever bytes it carries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static char *captured;
static size_t captured_len;
static FILE *capture;

static int
setup(void **state)
{
	(void)state;
	capture = open_memstream(&captured, &captured_len);
	log_init("sekisho-test", LOG_LEVEL_INFO, LOG_SINK_STDERR);
	log_set_stream(capture);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	log_set_stream(NULL);
	fclose(capture);
	free(captured);
	captured = NULL;
	return 0;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += (*s == '\n');
	return n;
}

static void
test_event_is_one_line_with_level_ident_and_fields(void **state)
{
	(void)state;
	struct log_field f[] = { { "REQUEST_ID", "abc123" }, { "STATUS", "200" } };
	log_fields(LOG_LEVEL_INFO, f, 2, "request %s", "done");
	fflush(capture);
	assert_int_equal(count_lines(captured), 1);
	assert_non_null(strstr(captured, "sekisho-test["));
	assert_non_null(strstr(captured, "] info: request done REQUEST_ID=abc123 STATUS=200\n"));
}

static void
test_newline_in_hostile_value_cannot_forge_a_second_line(void **state)
{
	(void)state;
	struct log_field f[] = { { "FILENAME", "a.pdf\n2026-01-01T00:00:00Z fake[1] err: x" } };
	log_fields(LOG_LEVEL_WARN, f, 1, "upload of %s", "evil\r\nname");
	fflush(capture);
	assert_int_equal(count_lines(captured), 1);
	assert_non_null(strstr(captured, "evil\\x0d\\nname"));
	assert_non_null(strstr(captured, "FILENAME=\"a.pdf\\n2026"));
}

static void
test_level_below_minimum_is_dropped(void **state)
{
	(void)state;
	log_debug("not shown");
	fflush(capture);
	assert_int_equal(captured_len, 0);
}

static void
test_invalid_field_key_is_skipped(void **state)
{
	(void)state;
	struct log_field f[] = { { "bad key", "x" }, { "GOOD", "y" } };
	log_fields(LOG_LEVEL_ERR, f, 2, "m");
	fflush(capture);
	assert_null(strstr(captured, "bad key"));
	assert_non_null(strstr(captured, "GOOD=y"));
}

static void
test_escape_truncates_without_splitting_escape(void **state)
{
	(void)state;
	char out[6];
	log_escape("ab\n\ncd", out, sizeof out);
	assert_string_equal(out, "ab\\n");
	log_escape("x\\y", out, sizeof out);
	assert_string_equal(out, "x\\\\y");
}

static void
test_level_names_parse(void **state)
{
	(void)state;
	enum log_level l;
	assert_int_equal(log_level_parse("debug", &l), 0);
	assert_int_equal(l, LOG_LEVEL_DEBUG);
	assert_int_equal(log_level_parse("warning", &l), 0);
	assert_int_equal(l, LOG_LEVEL_WARN);
	assert_int_equal(log_level_parse("loud", &l), -1);
	assert_int_equal(log_level_parse(NULL, &l), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_event_is_one_line_with_level_ident_and_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newline_in_hostile_value_cannot_forge_a_second_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_below_minimum_is_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_field_key_is_skipped, setup, teardown),
		cmocka_unit_test(test_escape_truncates_without_splitting_escape),
		cmocka_unit_test(test_level_names_parse),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
