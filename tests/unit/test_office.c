/*
 * test_office.c — Office and OpenDocument files become PDF in LibreOffice's cage and
 * then clean PDFs through the pipeline: each of the nine types converts with its
 * Japanese text intact (pdftotext); a document whose Basic macro would rewrite the
 * text on load comes out with the text unchanged; a conversion past its deadline
 * is killed whole; encrypted OOXML and ODF, and macro-enabled files, are refused
 * by content before LibreOffice sees them; the attestation names LibreOffice.
 *
 * The samples are tests/corpus/office/ (make-office-samples.sh). The cage needs
 * namespaces and a seccomp filter, which valgrind cannot run (see test_sandbox.c):
 * the tests that start LibreOffice skip under it, as does everything when
 * LibreOffice or pdftotext is not installed.
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
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include <valgrind/valgrind.h>

#include "detect.h"
#include "ocr.h"
#include "officepdf.h"
#include "pipeline.h"
#include "scan.h"
#include "testscan.h"

#define OFFICE_DIR	"tests/corpus/office"
#define DETECT_DIR	"tests/corpus/detect"

static int
skip_without_office(void)
{
	if (RUNNING_ON_VALGRIND || access(OFFICEPDF_SOFFICE, X_OK) != 0 ||
	    system("command -v pdftotext >/dev/null 2>&1") != 0) {
		skip();
		return 1;
	}
	return 0;
}

static int
open_sample(const char *dir, const char *name)
{
	char p[256];
	int fd;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

/* The text pdftotext reads from the PDF in fd (malloc'd). */
static char *
pdf_text(int fd)
{
	char pdf[] = "/tmp/test_office.XXXXXX", cmd[128];
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

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* No directory the cage used is left in base. */
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

static void
test_each_office_type_converts_with_its_text(void **state)
{
	static const struct {
		const char *name;
		enum detect_type type;
		const char *word;
	} samples[] = {
		{ "sample.docx", DETECT_DOCX, "住民票" }, { "sample.xlsx", DETECT_XLSX, "氏名" },
		{ "sample.pptx", DETECT_PPTX, "住民票" }, { "sample.doc", DETECT_DOC, "住民票" },
		{ "sample.xls", DETECT_XLS, "氏名" }, { "sample.ppt", DETECT_PPT, "住民票" },
		{ "sample.odt", DETECT_ODT, "住民票" }, { "sample.ods", DETECT_ODS, "氏名" },
		{ "sample.odp", DETECT_ODP, "住民票" },
	};
	char base[] = "/tmp/test_office_base.XXXXXX";
	struct officepdf_limits lim;
	size_t i;

	(void)state;
	if (skip_without_office())
		return;
	assert_non_null(mkdtemp(base));
	officepdf_limits_default(&lim);
	lim.tmp_base = base;
	for (i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		struct officepdf_result r;
		struct detect_result d;
		int in = open_sample(OFFICE_DIR, samples[i].name);
		int out = memfd_create("pdf", MFD_CLOEXEC);
		char *text, head[5] = { 0 };

		assert_int_equal(detect_fd(in, &d), 0);
		assert_int_equal(d.type, samples[i].type);
		assert_int_equal(d.flags & (DETECT_F_ENCRYPTED | DETECT_F_MACRO), 0);
		assert_true(officepdf_supports(d.type));
		assert_int_equal(officepdf_convert(&lim, in, d.type, out, &r), 0);
		if (r.status != OFFICEPDF_OK)
			print_error("%s: %s exit %d signal %d\n", samples[i].name,
				    officepdf_status_name(r.status), r.exit_code, r.signal);
		assert_int_equal(r.status, OFFICEPDF_OK);
		assert_int_equal(pread(out, head, 5, 0), 5);
		assert_memory_equal(head, "%PDF-", 5);
		text = pdf_text(out);
		assert_non_null(strstr(text, samples[i].word));
		print_message("  %s -> PDF %llu bytes in %.2f s\n", samples[i].name,
			      (unsigned long long)r.pdf_size, (double)r.elapsed_ms / 1000.0);
		free(text);
		close(in);
		close(out);
	}
	assert_int_equal(count_entries(base), 0);
	rmdir(base);
}

static void
test_macro_does_not_run_during_conversion(void **state)
{
	struct officepdf_limits lim;
	struct officepdf_result r;
	struct detect_result d;
	int in, out;
	char *text;

	(void)state;
	if (skip_without_office())
		return;
	in = open_sample(OFFICE_DIR, "macro.odt");
	/* By content, the pipeline refuses it before LibreOffice: */
	assert_int_equal(detect_fd(in, &d), 0);
	assert_int_equal(d.type, DETECT_ODT);
	assert_true(d.flags & DETECT_F_MACRO);
	/* and were it converted, its on-load macro (which would replace the whole text
	 * with MACRO-RAN) does not run. */
	out = memfd_create("pdf", MFD_CLOEXEC);
	officepdf_limits_default(&lim);
	assert_int_equal(officepdf_convert(&lim, in, DETECT_ODT, out, &r), 0);
	assert_int_equal(r.status, OFFICEPDF_OK);
	text = pdf_text(out);
	assert_non_null(strstr(text, "住民票"));
	assert_null(strstr(text, "MACRO-RAN"));
	free(text);
	close(in);
	close(out);
}

static void
test_conversion_past_its_deadline_is_killed_whole(void **state)
{
	struct officepdf_limits lim;
	struct officepdf_result r;
	int in, out;
	double t0;

	(void)state;
	if (skip_without_office())
		return;
	in = open_sample(OFFICE_DIR, "sample.docx");
	out = memfd_create("pdf", MFD_CLOEXEC);
	officepdf_limits_default(&lim);
	/* LibreOffice is running, not done: its start-up alone takes 0.9 s on the
	 * fastest machine seen (where 1 s let a whole conversion through), and its
	 * processes are all exec'd within the first few milliseconds. */
	lim.timeout_ms = 400;
	/* Whatever of the conversion outlived its parent would become our child: so
	 * "no child" below means no process of it is left, alive or zombie. (Not a
	 * pgrep for soffice: other tests' LibreOffice runs beside this one.) */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	t0 = now_s();
	assert_int_equal(officepdf_convert(&lim, in, DETECT_DOCX, out, &r), 0);
	assert_int_equal(r.status, OFFICEPDF_TIMEOUT);
	assert_true(now_s() - t0 < 5.0);
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
	assert_int_equal(lseek(out, 0, SEEK_END), 0);
	close(in);
	close(out);
}

/* A shell in the cage instead of soffice: what it sees comes back as the "PDF". */
static char *
probe_cage(const char *script)
{
	const char *const argv[] = { "sh", "-c", script, NULL };
	struct officepdf_limits lim;
	struct officepdf_result r;
	char *text;
	int in = open_sample(OFFICE_DIR, "sample.docx"), out = memfd_create("o", MFD_CLOEXEC);
	off_t end;

	officepdf_limits_default(&lim);
	lim.soffice = "/bin/sh";
	lim.argv = argv;
	lim.timeout_ms = 20000;
	assert_int_equal(officepdf_convert(&lim, in, DETECT_DOCX, out, &r), 0);
	assert_int_equal(r.status, OFFICEPDF_OK);
	end = lseek(out, 0, SEEK_END);
	text = calloc(1, (size_t)end + 1);
	assert_int_equal(pread(out, text, (size_t)end, 0), end);
	close(in);
	close(out);
	return text;
}

static void
test_the_cage_has_no_network_no_files_of_ours_and_no_privilege(void **state)
{
	char secret[] = "/tmp/test_office_secret.XXXXXX", script[1024], *seen;
	int fd;

	(void)state;
	if (skip_without_office())
		return;
	fd = mkstemp(secret);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "SIGNING-KEY", 11), 11);
	close(fd);
	snprintf(script, sizeof script,
		 "o=/work/out/input.pdf; "
		 "echo \"root: $(ls / | tr '\\n' ' ')\" >> $o; "
		 "echo \"work: $(ls /work | tr '\\n' ' ')\" >> $o; "
		 "echo \"uid: $(id -u)\" >> $o; "
		 "cat %s >> $o 2>/dev/null || echo 'secret: unreachable' >> $o; "
		 "echo \"procs: $(ls /proc | grep -c '^[0-9]')\" >> $o; "
		 "python3 -c 'import socket; socket.socket(socket.AF_INET)' 2>/dev/null "
		 "&& echo 'net: yes' >> $o || echo 'net: no' >> $o; "
		 "echo x > /usr/probe 2>/dev/null && echo 'usr: writable' >> $o || "
		 "echo 'usr: read-only' >> $o", secret);
	seen = probe_cage(script);
	unlink(secret);
	/* Only our root: /usr, /etc, /proc, /dev, /tmp, /var, /work and the links. */
	assert_non_null(strstr(seen, "root: bin dev etc lib lib64 proc sbin tmp usr var work"));
	assert_non_null(strstr(seen, "work: home input.docx out profile"));
	assert_non_null(strstr(seen, "secret: unreachable"));
	assert_null(strstr(seen, "SIGNING-KEY"));
	assert_non_null(strstr(seen, "net: no"));
	assert_non_null(strstr(seen, "usr: read-only"));
	/* Its own PID namespace: the shell and what it runs, nothing of ours. */
	assert_null(strstr(seen, "procs: 0"));
	if (geteuid() == 0)
		assert_non_null(strstr(seen, "uid: 65534"));
	print_message("  cage: %s", seen);
	free(seen);
}

static void
test_unsupported_type_is_not_converted(void **state)
{
	struct officepdf_limits lim;
	struct officepdf_result r;

	(void)state;
	officepdf_limits_default(&lim);
	assert_false(officepdf_supports(DETECT_DOCM));
	assert_false(officepdf_supports(DETECT_PDF));
	assert_false(officepdf_supports(DETECT_OOXML_ENCRYPTED));
	assert_int_equal(officepdf_convert(&lim, 0, DETECT_DOCM, 1, &r), -EINVAL);
}

/* ---- through the pipeline ---- */

static void
run_ocr(const char *dir, const char *name, const char *ocr, struct pipeline_result *res,
    int *out_fd)
{
	static const uint8_t key[32] = { 3 };
	struct pipeline_config c;
	int in = open_sample(dir, name);

	*out_fd = memfd_create("out", MFD_CLOEXEC);
	pipeline_config_default(&c);
	c.scanner = group_scanner;
	c.sign_key = key;
	c.ocr = ocr;
	assert_int_equal(pipeline_run(&c, in, *out_fd, res), 0);
	close(in);
}

static void
run(const char *dir, const char *name, struct pipeline_result *res, int *out_fd)
{
	run_ocr(dir, name, NULL, res, out_fd);
}

static void
test_encrypted_and_macro_documents_are_refused_by_content(void **state)
{
	static const struct {
		const char *dir, *name, *reason;
	} cases[] = {
		{ DETECT_DIR, "encrypted-ooxml.docx", "encrypted" },
		{ OFFICE_DIR, "encrypted.odt", "encrypted" },
		{ DETECT_DIR, "encrypted.doc", "encrypted" },
		{ OFFICE_DIR, "macro.odt", "macros" },
		{ DETECT_DIR, "sample.docm", "macros" },
		{ DETECT_DIR, "docx-with-vba.docx", "macros" },
	};
	struct pipeline_result res;
	size_t i;
	int out;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		run(cases[i].dir, cases[i].name, &res, &out);
		if (strcmp(res.reason, cases[i].reason) != 0)
			print_error("%s: %s\n", cases[i].name, res.reason);
		assert_false(res.clean);
		assert_string_equal(res.reason, cases[i].reason);
		assert_string_equal(res.message, pipeline_message(cases[i].reason));
		assert_int_equal(res.office_seconds, 0);	/* LibreOffice never started */
		pipeline_result_free(&res);
		close(out);
	}
	/* The citizen is told to attach an unprotected copy. */
	assert_non_null(strstr(pipeline_message("encrypted"), "パスワード"));
	assert_non_null(strstr(pipeline_message("encrypted"), "解除した"));
}

static void
test_docx_becomes_a_clean_pdf_that_names_libreoffice(void **state)
{
	struct pipeline_result res;
	json_t *eng;
	char *text;
	int out;

	(void)state;
	if (skip_without_office())
		return;
	run(OFFICE_DIR, "sample.docx", &res, &out);
	if (!res.clean)
		print_error("%s (%s)\n", res.reason, res.detail);
	assert_true(res.clean);
	assert_string_equal(res.type, "docx");
	assert_string_equal(res.method, "office-pdf-render");
	assert_string_equal(res.output_type, "pdf");
	assert_int_equal(res.pages, 1);
	assert_true(res.office_seconds > 0);
	eng = json_object_get(json_object_get(res.attestation, "attestation"), "engines");
	assert_true(json_is_string(json_object_get(eng, "libreoffice")));
	assert_true(json_is_string(json_object_get(eng, "mupdf")));
	/* Pixels only: the rebuilt PDF has no text (OCR is off). */
	text = pdf_text(out);
	assert_null(strstr(text, "住民票"));
	free(text);
	print_message("  docx: %.2f s (LibreOffice %.2f s), %llu bytes\n", res.seconds,
		      res.office_seconds, (unsigned long long)res.output_size);
	pipeline_result_free(&res);
	close(out);
}

/* The text layer of the one-page sample name, made clean with OCR on (malloc'd). */
static char *
ocr_page_text(const char *name)
{
	struct pipeline_result res;
	char *text;
	int out;

	run_ocr(OFFICE_DIR, name, OCR_DEFAULT_LANGS, &res, &out);
	assert_true(res.clean);
	assert_int_equal(res.ocr_pages, 1);
	text = pdf_text(out);
	pipeline_result_free(&res);
	close(out);
	return text;
}

/* With OCR on, the PDF LibreOffice made is read like any PDF, and the attestation
 * names Tesseract among the engines that made the output; a spreadsheet's rows are
 * read in Japanese, a slide's title on its grey box, and a form's ruled table. */
static void
test_office_pdf_with_ocr_is_searchable_and_names_tesseract(void **state)
{
	struct pipeline_result res;
	json_t *eng;
	char *text;
	int out;

	(void)state;
	if (skip_without_office())
		return;
	run_ocr(OFFICE_DIR, "sample.docx", OCR_DEFAULT_LANGS, &res, &out);
	assert_true(res.clean);
	assert_string_equal(res.method, "office-pdf-render");
	assert_int_equal(res.ocr_pages, 1);
	eng = json_object_get(json_object_get(res.attestation, "attestation"), "engines");
	assert_true(json_is_string(json_object_get(eng, "tesseract")));
	text = pdf_text(out);
	assert_non_null(strstr(text, "住民票"));
	free(text);
	pipeline_result_free(&res);
	close(out);
	/* A spreadsheet's rows of a kanji name and digits: every row keeps its kanji
	 * (eng read "氏名 3  300" as "R43 300" before session 20; test_ocr_pipeline.c). */
	for (int i = 0; i < 2; i++) {
		const char *name = i == 0 ? "sample.xlsx" : "sample.ods";
		const char *at;
		int rows = 0;

		text = ocr_page_text(name);
		for (at = text; (at = strstr(at, "氏名")) != NULL; at++)
			rows++;
		if (rows != 5)
			print_error("%s: %s\n", name, text);
		assert_int_equal(rows, 5);
		assert_non_null(strstr(text, "申請"));
		free(text);
	}
	/* A slide's title in its box of mid-tone grey: Tesseract's black and white for
	 * the whole page turned the box black, title and all, and the slide had no text
	 * layer until session 22 (ocr_shade.h). */
	text = ocr_page_text("sample.pptx");
	if (strstr(text, "住民票の写し") == NULL)
		print_error("sample.pptx: %s\n", text);
	assert_non_null(strstr(text, "住民票の写し"));
	free(text);
	/* A form's ruled table with a grey header row: read as one block with its rules,
	 * the table was lost whole ("障。ク"); the rules are erased first (ocr_rules.h)
	 * and the header is read as a shade, its cells' borders left out. */
	text = ocr_page_text("form.docx");
	if (strstr(text, "氏名山田") == NULL || strstr(text, "項目記入欄") == NULL)
		print_error("form.docx: %s\n", text);
	assert_non_null(strstr(text, "項目記入欄"));
	assert_non_null(strstr(text, "氏名山田"));
	assert_non_null(strstr(text, "1234-5678"));
	assert_non_null(strstr(text, "生年月日昭和"));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_office_type_converts_with_its_text),
		cmocka_unit_test(test_macro_does_not_run_during_conversion),
		cmocka_unit_test(test_conversion_past_its_deadline_is_killed_whole),
		cmocka_unit_test(test_the_cage_has_no_network_no_files_of_ours_and_no_privilege),
		cmocka_unit_test(test_unsupported_type_is_not_converted),
		cmocka_unit_test(test_encrypted_and_macro_documents_are_refused_by_content),
		cmocka_unit_test(test_docx_becomes_a_clean_pdf_that_names_libreoffice),
		cmocka_unit_test(test_office_pdf_with_ocr_is_searchable_and_names_tesseract),
	};
	return cmocka_run_group_tests(tests, testscan_setup_group, testscan_teardown_group);
}
