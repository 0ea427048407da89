/*
 * test_worker_ocr.c — the text layer comes after the verdict. With OCR on, the
 * service's pool first publishes the verdict, preview and attested output of a quick
 * pass without OCR ("ocr": "pending"), then the output of a second pass with the text
 * layer takes its place ("ocr": "done", same pixels, new attested output); if that
 * pass reads nothing (here: no models where it looks), the first output stands and
 * says "failed", so that no bundle waits on it. The OCR pass has a thread of its
 * own, so the next upload's verdict does not wait for it. An output without a PDF
 * page (an image) has no "ocr" at all and no second pass.
 *
 * The pipeline's children need seccomp, which valgrind cannot run: skipped there.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include <mupdf/fitz.h>
#include <valgrind/valgrind.h>

#include "attest.h"
#include "jsonio.h"
#include "ocr.h"
#include "pipeline.h"
#include "rebuild.h"
#include "testworker.h"
#include "worker.h"

/* A PDF of pages pages, each saying "SEKISHO OCR" in 40 pt Helvetica; its length. */
static size_t
text_pdf(char *buf, size_t cap, unsigned pages)
{
	static const char content[] = "BT /F1 40 Tf 20 30 Td (SEKISHO OCR) Tj ET";
	size_t n = 0;
	unsigned i;

#define PUT(...) (n += (size_t)snprintf(buf + n, cap - n, __VA_ARGS__), assert_true(n < cap))
	PUT("%%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
	    "2 0 obj << /Type /Pages /Count %u /Kids [", pages);
	for (i = 0; i < pages; i++)
		PUT(" %u 0 R", 6 + i);
	PUT(" ] >> endobj\n4 0 obj << /Length %zu >> stream\n%s\nendstream endobj\n"
	    "5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj\n",
	    sizeof content - 1, content);
	for (i = 0; i < pages; i++)
		PUT("%u 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 400 100] /Contents 4 0 R"
		    " /Resources << /Font << /F1 5 0 R >> >> >> endobj\n", 6 + i);
	PUT("trailer << /Root 1 0 R >>\n%%%%EOF\n");
#undef PUT
	return n;
}

/* result.json of id into buf once it says "ocr": state (NULL: once it exists), polled
 * every 10 ms for up to 60 s; 1 if it did. Nothing here allocates: in the ASan build
 * the pool's worker thread forks for every pass (PIPELINE_ASAN: no OCR thread), and
 * a child forked while this thread held ASan's allocator lock would hang in its first
 * malloc until the sandbox killed it. */
static int
wait_raw(struct fixture *f, const char *id, const char *state, char *buf, size_t cap)
{
	char path[256], needle[64];
	int i;

	snprintf(path, sizeof path, "%s/%s/result.json", f->results, id);
	snprintf(needle, sizeof needle, "\"ocr\": \"%s\"", state ? state : "");
	for (i = 0; i < 6000; i++) {
		struct timespec ts = { 0, 10 * 1000000L };
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, cap - 1) : -1;

		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = '\0';
			if (state == NULL || strstr(buf, needle) != NULL)
				return 1;
		}
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* The same, parsed; NULL if it never came. In the ASan build, call it only for a
 * state after which the pool forks no more for this upload (see wait_raw). */
static json_t *
wait_result(struct fixture *f, const char *id, const char *state)
{
	static char buf[RESULT_MAX_BYTES + 1];

	return wait_raw(f, id, state, buf, sizeof buf) ? json_loads(buf, 0, NULL) : NULL;
}

/* The pool's "ocr" counter name once it reaches want (it is counted just after the
 * result it counts is published), or its value after 10 s. */
static json_int_t
ocr_counter(struct worker_pool *pool, const char *name, json_int_t want)
{
	json_int_t v = -1;
	int i;

	for (i = 0; i < 1000 && v != want; i++) {
		json_t *m = worker_metrics(pool);
		struct timespec ts = { 0, 10 * 1000000L };

		v = json_integer_value(json_object_get(json_object_get(m, "ocr"), name));
		json_decref(m);
		if (v != want)
			nanosleep(&ts, NULL);
	}
	return v;
}

/* The output of id verifies against its attestation; its text (MuPDF's, without
 * spaces or line breaks) in *text. */
static void
check_output(struct fixture *f, const char *id, char **text)
{
	char path[256], err[256];
	fz_context *ctx;
	fz_document *doc;
	fz_buffer *buf;
	json_t *att;
	size_t i, n;
	int fd;

	snprintf(path, sizeof path, "%s/%s/attestation.json", f->results, id);
	assert_non_null(att = jsonio_load_file(path, ATTEST_MAX_BYTES, err, sizeof err));
	snprintf(path, sizeof path, "%s/%s/output", f->results, id);
	assert_true((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0);
	if (attest_verify_fd(att, f->pub, fd, err, sizeof err) != 0)
		fail_msg("%s: %s", id, err);
	close(fd);
	json_decref(att);
	ctx = fz_new_context(NULL, NULL, 0);
	fz_register_document_handlers(ctx);
	doc = fz_open_document(ctx, path);
	buf = fz_new_buffer_from_page_number(ctx, doc, 0, NULL);
	/* MuPDF's extraction spaces out the glyphs of an invisible text layer: the
	 * letters, without white space, are what is compared. */
	*text = malloc(buf->len + 1);
	for (i = n = 0; i < buf->len; i++)
		if (buf->data[i] != ' ' && buf->data[i] != '\n')
			(*text)[n++] = (char)buf->data[i];
	(*text)[n] = '\0';
	fz_drop_buffer(ctx, buf);
	fz_drop_document(ctx, doc);
	fz_drop_context(ctx);
}

static void
test_the_verdict_comes_first_and_the_text_layer_after(void **state)
{
	static char first_raw[RESULT_MAX_BYTES + 1];
	struct fixture *f = *state;
	struct worker_pool *pool;
	json_t *first, *done, *m;
	char pdf[1024], path[256], *text;
	size_t len = text_pdf(pdf, sizeof pdf, 1);

	if (RUNNING_ON_VALGRIND) {
		skip();
		return;
	}
	assert_int_equal(spool_put(&f->spool, "up-ocr-1", pdf, len), SPOOL_OK);
	pool = testworker_pool(f, OCR_DEFAULT_LANGS, NULL);
	/* The quick pass: clean, attested, previewed, no text yet (read as it is, and
	 * parsed once the OCR pass is over: see wait_raw). */
	assert_true(wait_raw(f, "up-ocr-1", "pending", first_raw, sizeof first_raw));
	snprintf(path, sizeof path, "%s/up-ocr-1/preview.png", f->results);
	assert_int_equal(access(path, R_OK), 0);
	/* The OCR pass takes its place: the same page, now with its words. */
	done = wait_result(f, "up-ocr-1", "done");
	assert_non_null(done);
	assert_non_null(first = json_loads(first_raw, 0, NULL));
	assert_string_equal(jsonio_str(first, "status", ""), "clean");
	assert_string_equal(jsonio_str(done, "status", ""), "clean");
	assert_int_equal(json_integer_value(json_object_get(done, "ocr_pages")), 1);
	assert_int_equal(json_integer_value(json_object_get(done, "pages")), 1);
	assert_string_not_equal(jsonio_str(first, "output_sha256", ""),
				jsonio_str(done, "output_sha256", ""));
	check_output(f, "up-ocr-1", &text);
	assert_non_null(strstr(text, "SEKISHO"));
	free(text);
	assert_int_equal(access(path, R_OK), 0);
	/* One upload, one verdict; one text layer made after it. */
	assert_int_equal(ocr_counter(pool, "passes", 1), 1);
	m = worker_metrics(pool);
	testworker_stop(f);
	assert_int_equal(json_integer_value(json_object_get(m, "processed")), 1);
	assert_int_equal(json_integer_value(json_object_get(m, "clean")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "ocr"), "failed")), 0);
	json_decref(m);
	json_decref(first);
	json_decref(done);
}

static void
test_an_ocr_pass_that_reads_nothing_leaves_the_first_output(void **state)
{
	struct fixture *f = *state;
	struct worker_pool *pool;
	json_t *res, *m;
	char pdf[1024], *text;
	size_t len = text_pdf(pdf, sizeof pdf, 1);

	if (RUNNING_ON_VALGRIND) {
		skip();
		return;
	}
	assert_int_equal(spool_put(&f->spool, "up-ocr-2", pdf, len), SPOOL_OK);
	pool = testworker_pool(f, OCR_DEFAULT_LANGS, "/nonexistent/tessdata");
	res = wait_result(f, "up-ocr-2", "failed");
	assert_non_null(res);
	assert_int_equal(ocr_counter(pool, "failed", 1), 1);
	m = worker_metrics(pool);
	testworker_stop(f);
	assert_string_equal(jsonio_str(res, "status", ""), "clean");
	assert_null(json_object_get(res, "ocr_pages"));
	check_output(f, "up-ocr-2", &text);
	assert_null(strstr(text, "SEKISHO"));	/* pixels only */
	free(text);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "ocr"), "passes")), 0);
	json_decref(m);
	json_decref(res);
}

/* The OCR pass has a thread of its own: an upload that comes after a long document
 * gets its verdict while that document's text layer is still being made, even with
 * one worker. */
static void
test_a_text_layer_in_the_making_holds_no_other_upload_back(void **state)
{
	struct fixture *f = *state;
	struct pixels_header h = { .width = 40, .height = 30, .channels = 1, .depth = 8 };
	struct rebuild_buf png = { 0 };
	uint8_t px[40 * 30];
	char pdf[8192];
	size_t len = text_pdf(pdf, sizeof pdf, 24);
	json_t *doc, *img;

	/* The ASan build has no OCR thread (pipeline.h, PIPELINE_ASAN). */
	if (RUNNING_ON_VALGRIND || PIPELINE_ASAN) {
		skip();
		return;
	}
	memset(px, 90, sizeof px);
	assert_int_equal(rebuild_png_encode(&h, px, &png), REBUILD_OK);
	assert_int_equal(spool_put(&f->spool, "up-ocr-4", pdf, len), SPOOL_OK);
	(void)testworker_pool(f, OCR_DEFAULT_LANGS, NULL);
	assert_non_null(doc = wait_result(f, "up-ocr-4", "pending"));
	json_decref(doc);
	assert_int_equal(spool_put(&f->spool, "up-ocr-5", png.p, png.len), SPOOL_OK);
	rebuild_buf_free(&png);
	assert_non_null(img = wait_result(f, "up-ocr-5", NULL));
	/* 24 pages of OCR take seconds; the picture's verdict a fraction of one. */
	assert_non_null(doc = wait_result(f, "up-ocr-4", NULL));
	assert_string_equal(jsonio_str(doc, "ocr", ""), "pending");
	assert_string_equal(jsonio_str(img, "status", ""), "clean");
	json_decref(doc);
	assert_non_null(doc = wait_result(f, "up-ocr-4", "done"));
	assert_int_equal(json_integer_value(json_object_get(doc, "ocr_pages")), 24);
	testworker_stop(f);
	json_decref(doc);
	json_decref(img);
}

static void
test_an_image_has_no_text_layer_to_wait_for(void **state)
{
	struct fixture *f = *state;
	struct pixels_header h = { .width = 40, .height = 30, .channels = 1, .depth = 8 };
	struct rebuild_buf png = { 0 };
	struct worker_pool *pool;
	uint8_t px[40 * 30];
	json_t *res, *m;

	if (RUNNING_ON_VALGRIND) {
		skip();
		return;
	}
	memset(px, 90, sizeof px);
	assert_int_equal(rebuild_png_encode(&h, px, &png), REBUILD_OK);
	assert_int_equal(spool_put(&f->spool, "up-ocr-3", png.p, png.len), SPOOL_OK);
	rebuild_buf_free(&png);
	pool = testworker_pool(f, OCR_DEFAULT_LANGS, NULL);
	res = wait_result(f, "up-ocr-3", NULL);
	assert_non_null(res);
	/* Give a second pass, if one wrongly ran, the time to show in the metrics. */
	usleep(300 * 1000);
	m = worker_metrics(pool);
	testworker_stop(f);
	assert_string_equal(jsonio_str(res, "status", ""), "clean");
	assert_string_equal(jsonio_str(res, "method", ""), "image-reencode");
	assert_null(json_object_get(res, "ocr"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "ocr"), "passes")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "ocr"), "failed")), 0);
	json_decref(m);
	json_decref(res);
}

/* Wait until the pool has made n text layers (up to 30 s); the most passes it ran at
 * once meanwhile. */
static json_int_t
most_at_once(struct worker_pool *pool, json_int_t n)
{
	json_int_t most = 0, passes = 0;

	for (int i = 0; i < 6000 && passes < n; i++) {
		json_t *m = worker_metrics(pool), *ocr = json_object_get(m, "ocr");
		struct timespec ts = { 0, 5 * 1000000L };
		json_int_t busy = json_integer_value(json_object_get(ocr, "busy"));

		passes = json_integer_value(json_object_get(ocr, "passes"));
		most = busy > most ? busy : most;
		json_decref(m);
		nanosleep(&ts, NULL);
	}
	assert_int_equal(passes, n);
	return most;
}

/* The pool's count of pages read in bands. */
static json_int_t
pages_banded(struct worker_pool *pool)
{
	json_t *m = worker_metrics(pool);
	json_int_t n = json_integer_value(json_object_get(json_object_get(m, "ocr"), "banded"));

	json_decref(m);
	return n;
}

/* Two one-page documents waiting together take one of the two lanes each: both
 * are read at once. (They wait behind a document of many pages, which holds both
 * lanes, so that each finds the other queued.) */
static void
test_one_page_documents_are_read_side_by_side(void **state)
{
	struct fixture *f = *state;
	char pdf[8192], one[8192];
	size_t len = text_pdf(pdf, sizeof pdf, 12), len1 = text_pdf(one, sizeof one, 1);

	if (RUNNING_ON_VALGRIND || PIPELINE_ASAN) {
		skip();
		return;
	}
	assert_int_equal(spool_put(&f->spool, "up-ocr-5", pdf, len), SPOOL_OK);
	(void)testworker_pool(f, OCR_DEFAULT_LANGS, NULL);
	json_decref(wait_result(f, "up-ocr-5", "pending"));
	assert_int_equal(spool_put(&f->spool, "up-ocr-6", one, len1), SPOOL_OK);
	assert_int_equal(spool_put(&f->spool, "up-ocr-7", one, len1), SPOOL_OK);
	assert_int_equal(most_at_once(f->pool, 3), 2);
	assert_int_equal(pages_banded(f->pool), 0);
	testworker_stop(f);
}

/* n one-page documents in the intake at once, then the pool started. */
static void
one_page_documents(struct fixture *f, const char *prefix, unsigned n)
{
	char one[8192], id[32];
	size_t len = text_pdf(one, sizeof one, 1);

	for (unsigned i = 0; i < n; i++) {
		snprintf(id, sizeof id, "%s-%u", prefix, i);
		assert_int_equal(spool_put(&f->spool, id, one, len), SPOOL_OK);
	}
	(void)testworker_pool(f, OCR_DEFAULT_LANGS, NULL);
}

/* A one-page document waits a moment for company before it takes every lane: the
 * next one, whose verdict pass ends shortly after its own (one worker here), finds
 * it on one lane and takes the other, and neither is read in bands. (The moment is
 * stretched to 3 s here so that a slow machine cannot make it miss.) */
static void
test_a_one_page_document_waits_a_moment_for_company(void **state)
{
	struct fixture *f = *state;

	if (RUNNING_ON_VALGRIND || PIPELINE_ASAN) {
		skip();
		return;
	}
	f->ocr_grace_ms = 3000;
	one_page_documents(f, "up-company", 2);
	assert_int_equal(most_at_once(f->pool, 2), 2);
	assert_int_equal(pages_banded(f->pool), 0);
	testworker_stop(f);
}

/* A one-page document with nothing behind it takes both lanes: its page is read in
 * bands, one per lane (pipeline.h, ocr_bands), where one lane would leave the other
 * core idle. */
static void
test_a_lone_one_page_document_is_read_in_bands(void **state)
{
	struct fixture *f = *state;

	if (RUNNING_ON_VALGRIND || PIPELINE_ASAN) {
		skip();
		return;
	}
	one_page_documents(f, "up-lone", 1);
	assert_int_equal(most_at_once(f->pool, 1), 1);
	assert_int_equal(pages_banded(f->pool), 1);
	testworker_stop(f);
}

/* A document of many pages takes both lanes: the one-page document behind it waits. */
static void
test_a_document_of_many_pages_reads_alone_on_both_lanes(void **state)
{
	struct fixture *f = *state;
	char pdf[8192], one[8192];
	size_t len = text_pdf(pdf, sizeof pdf, 12), len1 = text_pdf(one, sizeof one, 1);

	if (RUNNING_ON_VALGRIND || PIPELINE_ASAN) {
		skip();
		return;
	}
	assert_int_equal(spool_put(&f->spool, "up-ocr-8", pdf, len), SPOOL_OK);
	(void)testworker_pool(f, OCR_DEFAULT_LANGS, NULL);
	json_decref(wait_result(f, "up-ocr-8", "pending"));
	assert_int_equal(spool_put(&f->spool, "up-ocr-9", one, len1), SPOOL_OK);
	assert_int_equal(most_at_once(f->pool, 2), 1);
	testworker_stop(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_the_verdict_comes_first_and_the_text_layer_after, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_an_ocr_pass_that_reads_nothing_leaves_the_first_output, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_text_layer_in_the_making_holds_no_other_upload_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_an_image_has_no_text_layer_to_wait_for,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_page_documents_are_read_side_by_side,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_document_of_many_pages_reads_alone_on_both_lanes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_lone_one_page_document_is_read_in_bands,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_one_page_document_waits_a_moment_for_company,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
