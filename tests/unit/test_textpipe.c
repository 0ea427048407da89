/*
 * test_textpipe.c — a citizen's text or CSV through the whole pipeline: decoded and
 * cleaned by textclean in the sandboxed child, checked by the parent, scanned and
 * attested as UTF-8 "csv" or "txt"; markup-looking text and text with nothing left
 * are refused, and a zip's CSV member comes out as a CSV of its own.
 *
 * The child runs in the sandbox, which valgrind cannot confine: these tests skip
 * under valgrind (test_textclean covers the cleaning itself there).
 */
#define _GNU_SOURCE
#include <iconv.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <valgrind/valgrind.h>

#include "crypto.h"
#include "pipeline.h"
#include "scan.h"
#include "testscan.h"


static int
memfd_with(const void *p, size_t len)
{
	int fd = memfd_create("in", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* The pipeline over in, with archives allowed; *out_fd holds the output. */
static int
run(int in, struct pipeline_result *res, int *out_fd)
{
	static const uint8_t key[32] = { 7 };
	struct pipeline_config c;

	pipeline_config_default(&c);
	c.scanner = group_scanner;
	c.sign_key = key;
	c.allow_archives = 1;
	*out_fd = memfd_create("out", MFD_CLOEXEC);
	assert_true(*out_fd >= 0);
	return pipeline_run(&c, in, *out_fd, res);
}

/* The output's bytes, checked against the hash the result and its attestation name. */
static char *
output_checked(int out_fd, const struct pipeline_result *res)
{
	const json_t *att = json_object_get(res->attestation, "attestation");
	char hex[65], *buf;
	uint8_t h[32];
	off_t end = lseek(out_fd, 0, SEEK_END);

	assert_int_equal((uint64_t)end, res->output_size);
	buf = calloc(1, (size_t)end + 1);
	assert_non_null(buf);
	assert_int_equal(pread(out_fd, buf, (size_t)end, 0), end);
	crypto_sha256(buf, (size_t)end, h);
	assert_memory_equal(h, res->output_sha256, 32);
	crypto_hex(h, 32, hex);
	assert_non_null(att);
	assert_string_equal(json_string_value(json_object_get(json_object_get(att, "output"),
							      "sha256")), hex);
	assert_string_equal(json_string_value(json_object_get(json_object_get(att, "output"),
							      "type")), res->output_type);
	return buf;
}

static void
test_cp932_csv_comes_out_utf8_csv_attested(void **state)
{
	const char *utf8 = "氏名,住所,金額\r\n山田 太郎,東京都千代田区,-1500\r\n=1+1,@x,+3\r\n";
	char sjis[256], *ip = (char *)(uintptr_t)utf8, *op = sjis, *got;
	size_t il = strlen(utf8), ol = sizeof sjis;
	struct pipeline_result res;
	iconv_t cd;
	int in, out;

	(void)state;
	if (RUNNING_ON_VALGRIND) {
		skip();
		return;
	}
	assert_true((cd = iconv_open("CP932", "UTF-8")) != (iconv_t)-1);
	assert_true(iconv(cd, &ip, &il, &op, &ol) != (size_t)-1);
	iconv_close(cd);
	in = memfd_with(sjis, sizeof sjis - ol);
	assert_int_equal(run(in, &res, &out), 0);
	if (!res.clean)
		print_error("%s (%s)\n", res.reason, res.detail);
	assert_true(res.clean);
	assert_string_equal(res.type, "text");
	assert_string_equal(res.method, "text-reencode");
	assert_string_equal(res.output_type, "csv");
	assert_int_equal(res.pages, 0);
	assert_int_equal(res.preview.len, 0);
	assert_non_null(strstr(res.detail, "cp932 as csv"));
	assert_non_null(strstr(res.detail, "2 CSV cells neutralised"));
	got = output_checked(out, &res);
	assert_string_equal(got, "氏名,住所,金額\r\n山田 太郎,東京都千代田区,-1500\r\n"
			    "'=1+1,'@x,+3\r\n");
	free(got);
	pipeline_result_free(&res);
	close(in);
	close(out);
}

static void
test_utf8_text_loses_bom_and_bidi_controls(void **state)
{
	const char text[] = "\xef\xbb\xbf" "ご連絡\n- 期日\xe2\x80\xae 変更\x7f\n";
	struct pipeline_result res;
	int in, out;
	char *got;

	(void)state;
	if (RUNNING_ON_VALGRIND) {
		skip();
		return;
	}
	in = memfd_with(text, sizeof text - 1);
	assert_int_equal(run(in, &res, &out), 0);
	assert_true(res.clean);
	assert_string_equal(res.output_type, "txt");
	assert_non_null(strstr(res.detail, "removed 1 BOM, 0 C0, 1 DEL, 0 C1, 1 bidi"));
	got = output_checked(out, &res);
	assert_string_equal(got, "ご連絡\n- 期日 変更\n");
	free(got);
	pipeline_result_free(&res);
	close(in);
	close(out);
}

static void
test_markup_or_nothing_left_is_refused(void **state)
{
	const char html[] = "<!DOCTYPE html><script>alert(1)</script>\n";
	const char bom_only[] = "\xef\xbb\xbf\xe2\x80\xae";
	struct pipeline_result res;
	int in, out;

	(void)state;
	if (RUNNING_ON_VALGRIND) {
		skip();
		return;
	}
	in = memfd_with(html, sizeof html - 1);
	assert_int_equal(run(in, &res, &out), 0);
	assert_false(res.clean);
	assert_string_equal(res.reason, "unsupported_type");
	assert_non_null(strstr(res.message, "テキスト・CSV"));
	pipeline_result_free(&res);
	close(in);
	close(out);

	in = memfd_with(bom_only, sizeof bom_only - 1);
	assert_int_equal(run(in, &res, &out), 0);
	assert_false(res.clean);
	assert_string_equal(res.type, "text");
	assert_string_equal(res.reason, "empty");
	pipeline_result_free(&res);
	close(in);
	close(out);
}

static void
test_zip_member_csv_is_its_own_csv(void **state)
{
	const char csv[] = "a,b\n1,=2\n";
	size_t cap = 1 << 16, used = 0;
	uint8_t *buf = malloc(cap);
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	struct pipeline_result res;
	int in, out;

	(void)state;
	if (RUNNING_ON_VALGRIND) {
		archive_entry_free(e);
		archive_write_free(a);
		free(buf);
		skip();
		return;
	}
	assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
	archive_entry_set_pathname(e, "list.csv");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, sizeof csv - 1);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, csv, sizeof csv - 1), (la_ssize_t)(sizeof csv - 1));
	archive_entry_free(e);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	in = memfd_with(buf, used);
	free(buf);
	assert_int_equal(run(in, &res, &out), 0);
	assert_true(res.clean);
	assert_int_equal(res.nmembers, 1);
	assert_string_equal(res.members[0].res.method, "text-reencode");
	assert_string_equal(res.members[0].res.output_type, "csv");
	assert_int_equal(res.members[0].output.len, strlen("a,b\n1,'=2\n"));
	assert_memory_equal(res.members[0].output.p, "a,b\n1,'=2\n", res.members[0].output.len);
	assert_non_null(res.members[0].res.attestation);
	pipeline_result_free(&res);
	close(in);
	close(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cp932_csv_comes_out_utf8_csv_attested),
		cmocka_unit_test(test_utf8_text_loses_bom_and_bidi_controls),
		cmocka_unit_test(test_markup_or_nothing_left_is_refused),
		cmocka_unit_test(test_zip_member_csv_is_its_own_csv),
	};
	return cmocka_run_group_tests(tests, testscan_setup_group, testscan_teardown_group);
}
