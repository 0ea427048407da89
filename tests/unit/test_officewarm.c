/*
 * test_officewarm.c — the warm converter (LibreOfficeKit in the cage): the Japanese
 * docx and xlsx come out as PDFs with their text; a converter killed mid-file (a
 * deadline too short for any document) costs that file only, and the next one still
 * converts, in a fresh converter; a Basic macro bound to the load event does not
 * run; a converter is replaced after recycle_after files;
 * no job directory is left behind; the pipeline uses it and still attests
 * LibreOffice; a missing program makes the pipeline fall back to the one-shot.
 *
 * Needs LibreOffice, pdftotext and build/bin/sekisho-officewarm (built by `make all`);
 * the cage cannot run under valgrind (see test_office.c): skipped there.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#include <valgrind/valgrind.h>

#include "officewarm.h"
#include "pipeline.h"
#include "scan.h"

#define TEST_DB		"tests/clamav"
#define OFFICE_DIR	"tests/corpus/office"

static int
skip_without_office(void)
{
	if (RUNNING_ON_VALGRIND || access(OFFICEPDF_SOFFICE, X_OK) != 0 ||
	    system("command -v pdftotext >/dev/null 2>&1") != 0) {
		skip();
		return 1;
	}
	/* officewarm_new looks beside the test, then in ../bin: the build's. */
	if (access("build/bin/" OFFICEWARM_PROGRAM, X_OK) != 0) {
		print_message("  build/bin/%s not built: skipped\n", OFFICEWARM_PROGRAM);
		skip();
		return 1;
	}
	return 0;
}

static int
open_sample(const char *name)
{
	char p[256];
	int fd;

	snprintf(p, sizeof p, "%s/%s", OFFICE_DIR, name);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

/* The text pdftotext reads from the PDF in fd (malloc'd). */
static char *
pdf_text(int fd)
{
	char pdf[] = "/tmp/test_officewarm.XXXXXX", cmd[128];
	uint8_t buf[65536];
	char *text = calloc(1, 65536);
	off_t off = 0;
	ssize_t n;
	FILE *p;
	int t = mkstemp(pdf);

	assert_true(t >= 0);
	while ((n = pread(fd, buf, sizeof buf, off)) > 0) {
		assert_int_equal(write(t, buf, (size_t)n), n);
		off += n;
	}
	close(t);
	snprintf(cmd, sizeof cmd, "pdftotext %s - 2>/dev/null", pdf);
	assert_non_null(p = popen(cmd, "r"));
	n = (ssize_t)fread(text, 1, 65535, p);
	pclose(p);
	unlink(pdf);
	text[n > 0 ? n : 0] = '\0';
	return text;
}

static int
count_entries(const char *dir)
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

static struct officewarm *
warm_new(const char *base, unsigned recycle)
{
	struct officewarm_config c;
	struct officewarm *w;
	char err[256];

	officewarm_config_default(&c);
	c.limits.tmp_base = base;
	c.recycle_after = recycle;
	if (officewarm_new(&c, &w, err, sizeof err) != 0)
		fail_msg("officewarm_new: %s", err);
	return w;
}

/* Convert a sample: the status, and the PDF's text when it converted. */
static enum officepdf_status
convert(struct officewarm *w, const char *name, enum detect_type type, unsigned timeout_ms,
    char **text)
{
	struct officepdf_result res;
	int in = open_sample(name), out = memfd_create("pdf", MFD_CLOEXEC);

	assert_true(out >= 0);
	assert_int_equal(officewarm_convert(w, in, type, out, timeout_ms, &res), 0);
	if (text != NULL)
		*text = res.status == OFFICEPDF_OK ? pdf_text(out) : NULL;
	print_message("  %s: %s in %.2f s, %llu bytes\n", name, officepdf_status_name(res.status),
		      (double)res.elapsed_ms / 1000.0, (unsigned long long)res.pdf_size);
	close(in);
	close(out);
	return res.status;
}

static void
test_docx_and_xlsx_convert_with_their_japanese_text(void **state)
{
	char base[] = "/tmp/test_officewarm.XXXXXX", *text;
	struct officewarm_stats st;
	struct officewarm *w;

	(void)state;
	if (skip_without_office())
		return;
	assert_non_null(mkdtemp(base));
	w = warm_new(base, 50);
	assert_int_equal(convert(w, "sample.docx", DETECT_DOCX, 0, &text), OFFICEPDF_OK);
	assert_non_null(strstr(text, "住民票の写しの交付申請書"));
	free(text);
	/* A spreadsheet needs Calc's input bar (officewarm_ui.c) in the cage. */
	assert_int_equal(convert(w, "sample.xlsx", DETECT_XLSX, 0, &text), OFFICEPDF_OK);
	assert_non_null(strstr(text, "氏名3"));
	free(text);
	assert_int_equal(convert(w, "sample.docx", DETECT_DOCX, 0, &text), OFFICEPDF_OK);
	assert_non_null(strstr(text, "Sekisho office sample"));
	free(text);
	officewarm_get_stats(w, &st);
	assert_int_equal(st.starts, 1);	/* one converter did all three */
	assert_int_equal(st.files, 3);
	assert_int_equal(st.failures, 0);
	/* Only the converter's own directory is there; each job's is gone. */
	assert_int_equal(count_entries(base), 1);
	officewarm_free(w);
	assert_int_equal(count_entries(base), 0);
	rmdir(base);
}

static void
test_macro_does_not_run_in_the_warm_converter(void **state)
{
	char *text;
	struct officewarm *w;

	(void)state;
	if (skip_without_office())
		return;
	w = warm_new(NULL, 50);
	/* Its Basic macro, bound to the load event, would make the text MACRO-RAN. */
	assert_int_equal(convert(w, "macro.odt", DETECT_ODT, 0, &text), OFFICEPDF_OK);
	assert_null(strstr(text, "MACRO-RAN"));
	assert_non_null(strstr(text, "住民票の写しの交付申請書"));
	free(text);
	officewarm_free(w);
}

static void
test_a_converter_killed_mid_file_costs_that_file_only(void **state)
{
	char base[] = "/tmp/test_officewarm.XXXXXX", *text;
	struct officewarm_stats st;
	struct officewarm *w;

	(void)state;
	if (skip_without_office())
		return;
	assert_non_null(mkdtemp(base));
	w = warm_new(base, 50);
	/* Warm first, so that the short deadline falls inside the conversion. */
	assert_int_equal(convert(w, "sample.odt", DETECT_ODT, 0, NULL), OFFICEPDF_OK);
	assert_int_equal(convert(w, "sample.pptx", DETECT_PPTX, 1, NULL), OFFICEPDF_TIMEOUT);
	officewarm_get_stats(w, &st);
	assert_int_equal(st.failures, 1);
	assert_int_equal(st.starts, 2);	/* killed, and replaced at once */
	assert_int_equal(convert(w, "sample.docx", DETECT_DOCX, 0, &text), OFFICEPDF_OK);
	assert_non_null(strstr(text, "住民票の写し"));
	free(text);
	officewarm_free(w);
	assert_int_equal(count_entries(base), 0);
	rmdir(base);
}

static void
test_converter_is_replaced_after_recycle_after_files(void **state)
{
	char base[] = "/tmp/test_officewarm.XXXXXX";
	struct officewarm_stats st;
	struct officewarm *w;

	(void)state;
	if (skip_without_office())
		return;
	assert_non_null(mkdtemp(base));
	w = warm_new(base, 2);
	assert_int_equal(convert(w, "sample.docx", DETECT_DOCX, 0, NULL), OFFICEPDF_OK);
	assert_int_equal(convert(w, "sample.odt", DETECT_ODT, 0, NULL), OFFICEPDF_OK);
	officewarm_get_stats(w, &st);
	assert_int_equal(st.recycled, 1);
	assert_int_equal(st.starts, 2);
	assert_int_equal(convert(w, "sample.docx", DETECT_DOCX, 0, NULL), OFFICEPDF_OK);
	officewarm_get_stats(w, &st);
	assert_int_equal(st.starts, 2);
	assert_int_equal(st.files, 3);
	assert_int_equal(st.failures, 0);
	officewarm_free(w);
	rmdir(base);
}

static void
run_pipeline(struct officewarm *w, struct pipeline_result *res)
{
	struct pipeline_config c;
	struct scan_limits sl;
	struct scanner *sc;
	uint8_t key[32];
	int in = open_sample("sample.docx"), out = memfd_create("out", MFD_CLOEXEC);

	scan_limits_default(&sl);
	assert_int_equal(scan_open(&sc, TEST_DB, &sl), 0);
	memset(key, 7, sizeof key);
	pipeline_config_default(&c);
	c.scanner = sc;
	c.sign_key = key;
	c.office_warm = w;
	assert_int_equal(pipeline_run(&c, in, out, res), 0);
	scan_close(sc);
	close(in);
	close(out);
}

static void
test_pipeline_uses_the_warm_converter_and_attests_libreoffice(void **state)
{
	struct pipeline_result res;
	struct officewarm_stats st;
	struct officewarm *w;
	json_t *eng;

	(void)state;
	if (skip_without_office())
		return;
	w = warm_new(NULL, 50);
	run_pipeline(w, &res);
	if (!res.clean)
		print_error("%s (%s)\n", res.reason, res.detail);
	assert_true(res.clean);
	assert_string_equal(res.method, "office-pdf-render");
	assert_int_equal(res.pages, 1);
	eng = json_object_get(json_object_get(res.attestation, "attestation"), "engines");
	assert_true(json_is_string(json_object_get(eng, "libreoffice")));
	officewarm_get_stats(w, &st);
	assert_int_equal(st.files, 1);
	print_message("  pipeline: %.2f s (LibreOffice %.2f s)\n", res.seconds, res.office_seconds);
	pipeline_result_free(&res);
	officewarm_free(w);
}

static void
test_a_converter_that_cannot_start_falls_back_to_the_one_shot(void **state)
{
	struct officewarm_config c;
	struct pipeline_result res;
	struct officewarm_stats st;
	struct officewarm *w;
	char err[256];

	(void)state;
	if (skip_without_office())
		return;
	/* A "program" that exits at once: never ready. */
	officewarm_config_default(&c);
	c.program = "/bin/true";
	c.init_timeout_ms = 20000;
	assert_int_equal(officewarm_new(&c, &w, err, sizeof err), 0);
	run_pipeline(w, &res);
	assert_true(res.clean);
	officewarm_get_stats(w, &st);
	assert_int_equal(st.files, 0);	/* nothing reached it */
	assert_true(st.failures >= 1);
	pipeline_result_free(&res);
	officewarm_free(w);
	c.program = "/nonexistent/sekisho-officewarm";
	assert_int_equal(officewarm_new(&c, &w, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docx_and_xlsx_convert_with_their_japanese_text),
		cmocka_unit_test(test_macro_does_not_run_in_the_warm_converter),
		cmocka_unit_test(test_a_converter_killed_mid_file_costs_that_file_only),
		cmocka_unit_test(test_converter_is_replaced_after_recycle_after_files),
		cmocka_unit_test(test_pipeline_uses_the_warm_converter_and_attests_libreoffice),
		cmocka_unit_test(test_a_converter_that_cannot_start_falls_back_to_the_one_shot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
