/*
 * test_procfile.c — a procedure's files: typed by name and confirmed by their first
 * bytes, listed only with a safe name, a known type, a bounded size and a hash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "procfile.h"

static const char SHA[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void
test_type_is_the_name_confirmed_by_the_bytes(void **state)
{
	static const uint8_t pdf[] = "%PDF-1.4\n", png[] = "\x89PNG\r\n\x1a\nrest",
			     jpg[] = "\xFF\xD8\xFF\xE0", zip[] = "PK\x03\x04...",
			     ole[] = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

	(void)state;
	assert_string_equal(procfile_type_of("請求書.pdf", pdf, sizeof pdf - 1), "pdf");
	assert_string_equal(procfile_type_of("MAP.PNG", png, sizeof png - 1), "png");
	assert_string_equal(procfile_type_of("card.jpeg", jpg, 4), "jpeg");
	assert_string_equal(procfile_type_of("card.jpg", jpg, 4), "jpeg");
	assert_string_equal(procfile_type_of("form.docx", zip, sizeof zip - 1), "docx");
	assert_string_equal(procfile_type_of("form.xls", ole, 8), "xls");
	/* Mislabelled, unknown, or too short to tell: refused. */
	assert_null(procfile_type_of("form.pdf", png, sizeof png - 1));
	assert_null(procfile_type_of("form.exe", pdf, sizeof pdf - 1));
	assert_null(procfile_type_of("pdf", pdf, sizeof pdf - 1));
	assert_null(procfile_type_of("a.pdf", pdf, 3));
	assert_string_equal(procfile_content_type("xlsx"),
			    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
	assert_null(procfile_content_type("html"));
}

static void
refused(const char *files, const char *why)
{
	json_error_t e;
	json_t *j = json_loads(files, 0, &e);
	char err[256] = "";

	assert_non_null(j);
	assert_int_equal(procfile_check(j, err, sizeof err), -1);
	if (strstr(err, why) == NULL)
		fail_msg("'%s' lacks '%s'", err, why);
	json_decref(j);
}

static void
test_the_list_is_checked(void **state)
{
	char ok[1024], bad[1024], err[256];
	json_error_t e;
	json_t *j;

	(void)state;
	snprintf(ok, sizeof ok, "[{\"name\":\"住民票請求書.pdf\",\"title\":\"請求書\",\"type\":\"pdf\","
		 "\"size\":1000,\"sha256\":\"%s\"},{\"name\":\"地図.png\",\"title\":\"会場の地図\","
		 "\"type\":\"png\",\"size\":5,\"sha256\":\"%s\",\"use\":\"image\",\"alt\":\"駅から会場までの道順\"}]",
		 SHA, SHA);
	j = json_loads(ok, 0, &e);
	assert_int_equal(procfile_check(j, err, sizeof err), 0);
	json_decref(j);
	assert_int_equal(procfile_check(NULL, err, sizeof err), 0);
#define ONE(extra) "[{\"name\":\"a.pdf\",\"title\":\"A\",\"type\":\"pdf\",\"size\":1,\"sha256\":\"%s\"" extra "}]"
	snprintf(bad, sizeof bad, ONE(",\"path\":\"/etc/passwd\""), SHA);
	refused(bad, "files[0].path: unknown member");
	snprintf(bad, sizeof bad, "[{\"name\":\"../a.pdf\",\"title\":\"A\",\"type\":\"pdf\",\"size\":1,\"sha256\":\"%s\"}]", SHA);
	refused(bad, "name");
	snprintf(bad, sizeof bad, "[{\"name\":\"a\\\".pdf\",\"title\":\"A\",\"type\":\"pdf\",\"size\":1,\"sha256\":\"%s\"}]", SHA);
	refused(bad, "name");
	snprintf(bad, sizeof bad, "[{\"name\":\"a.html\",\"title\":\"A\",\"type\":\"html\",\"size\":1,\"sha256\":\"%s\"}]", SHA);
	refused(bad, "type");
	snprintf(bad, sizeof bad, "[{\"name\":\"a.pdf\",\"title\":\"A\",\"type\":\"pdf\",\"size\":99999999,\"sha256\":\"%s\"}]", SHA);
	refused(bad, "size");
	refused("[{\"name\":\"a.pdf\",\"title\":\"A\",\"type\":\"pdf\",\"size\":1,\"sha256\":\"ABC\"}]", "sha256");
	snprintf(bad, sizeof bad, ONE(",\"use\":\"image\",\"alt\":\"x\""), SHA);
	refused(bad, "png or jpeg");	/* a PDF is not shown on the page */
	snprintf(bad, sizeof bad, "[{\"name\":\"a.png\",\"title\":\"A\",\"type\":\"png\",\"size\":1,\"sha256\":\"%s\",\"use\":\"image\"}]", SHA);
	refused(bad, "alt");
	snprintf(bad, sizeof bad, ONE(",\"use\":\"run\""), SHA);
	refused(bad, "use");
	{
		char many[4096] = "[";

		for (int i = 0; i <= PROCFILE_MAX; i++) {
			char one[256];

			snprintf(one, sizeof one, "%s{\"name\":\"a.pdf\",\"title\":\"A\",\"type\":\"pdf\",\"size\":1,\"sha256\":\"%s\"}",
				 i ? "," : "", SHA);
			strcat(many, one);
		}
		strcat(many, "]");
		refused(many, "at most");
		snprintf(many, sizeof many, "[{\"name\":\"a.pdf\",\"title\":\"A\",\"type\":\"pdf\",\"size\":%d,\"sha256\":\"%s\"},"
			 "{\"name\":\"b.pdf\",\"title\":\"B\",\"type\":\"pdf\",\"size\":%d,\"sha256\":\"%s\"},"
			 "{\"name\":\"c.pdf\",\"title\":\"C\",\"type\":\"pdf\",\"size\":%d,\"sha256\":\"%s\"},"
			 "{\"name\":\"d.pdf\",\"title\":\"D\",\"type\":\"pdf\",\"size\":%d,\"sha256\":\"%s\"}]",
			 PROCFILE_BYTES_MAX, SHA, PROCFILE_BYTES_MAX, SHA, PROCFILE_BYTES_MAX, SHA, 1, SHA);
		refused(many, "together");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_is_the_name_confirmed_by_the_bytes),
		cmocka_unit_test(test_the_list_is_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
