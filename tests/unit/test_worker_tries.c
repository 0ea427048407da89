/*
 * test_worker_tries.c — a poison upload is answered, not redone forever. Every claim
 * of an intake item is counted in the spool before any work; an upload the service
 * has already failed on WORKER_MAX_TRIES times (its crashes, or internal errors) is
 * refused as processing_failed with its original kept in quarantine, or, when its
 * verdict was out already, keeps it (a text layer still to come is given up).
 *
 * The earlier attempts are made here by claiming and counting as the pool does, then
 * handing the item back as a restart's spool_recover would.
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

#include <valgrind/valgrind.h>

#include "jsonio.h"
#include "pipeline.h"
#include "results.h"
#include "testworker.h"
#include "worker.h"

static const char tiny_pdf[] =
	"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
	"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
	"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 144 72] >> endobj\n"
	"trailer << /Root 1 0 R >>\n%%EOF\n";

/* n attempts at id that ended without an answer (each as a crash leaves it). */
static void
failed_attempts(struct fixture *f, const char *id, int n)
{
	struct spool_item item;
	int i;

	for (i = 1; i <= n; i++) {
		assert_int_equal(spool_claim(&f->spool, &item), SPOOL_OK);
		assert_string_equal(item.id, id);
		assert_int_equal(spool_attempt(&f->spool, &item), i);
		assert_int_equal(spool_return(&f->spool, &item), SPOOL_OK);
	}
}

/* The item is finished in the spool (polled for up to 30 s). */
static void
wait_done(struct fixture *f, const char *id)
{
	char path[256];
	int i;

	snprintf(path, sizeof path, "%s/done/%s", f->intake, id);
	for (i = 0; i < 3000 && access(path, F_OK) != 0; i++) {
		struct timespec ts = { 0, 10 * 1000000L };

		nanosleep(&ts, NULL);
	}
	assert_int_equal(access(path, F_OK), 0);
}

static json_t *
result_of(struct fixture *f, const char *id)
{
	char path[256], err[256];
	json_t *j;

	snprintf(path, sizeof path, "%s/%s/result.json", f->results, id);
	j = jsonio_load_file(path, RESULT_MAX_BYTES, err, sizeof err);
	if (j == NULL)
		fail_msg("%s: %s", path, err);
	return j;
}

static json_int_t
metric(struct worker_pool *pool, const char *name)
{
	json_t *m = worker_metrics(pool);
	json_int_t v = json_integer_value(json_object_get(m, name));

	json_decref(m);
	return v;
}

static void
test_poison_upload_is_refused_and_quarantined_after_the_last_try(void **state)
{
	struct fixture *f = *state;
	struct worker_pool *pool;
	uint8_t sum[32];
	char hex[65], path[256];
	json_t *res;

	(void)state;
	assert_int_equal(spool_put(&f->spool, "up-poison", tiny_pdf, sizeof tiny_pdf - 1),
			 SPOOL_OK);
	failed_attempts(f, "up-poison", WORKER_MAX_TRIES);
	pool = testworker_pool(f, NULL, NULL);
	wait_done(f, "up-poison");
	res = result_of(f, "up-poison");
	assert_string_equal(jsonio_str(res, "status", ""), "rejected");
	assert_string_equal(jsonio_str(res, "reason", ""), "processing_failed");
	assert_string_equal(jsonio_str(res, "message", ""), pipeline_message("processing_failed"));
	assert_non_null(strstr(jsonio_str(res, "message", ""), "処理を完了できませんでした"));
	crypto_sha256(tiny_pdf, sizeof tiny_pdf - 1, sum);
	crypto_hex(sum, sizeof sum, hex);
	assert_string_equal(jsonio_str(res, "input_sha256", ""), hex);
	json_decref(res);
	/* Nothing to pass on; the original kept for analysis, with the reason. */
	snprintf(path, sizeof path, "%s/up-poison/output", f->results);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof path, "%s/up-poison", f->quarantine);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof path, "%s/up-poison.reason", f->quarantine);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(metric(pool, "given_up"), 1);
	assert_int_equal(metric(pool, "rejected"), 1);
	/* Its count is gone with it (once the commit that put it in done/ returns). */
	testworker_stop(f);
	snprintf(path, sizeof path, "%s/tries/up-poison", f->intake);
	assert_int_not_equal(access(path, F_OK), 0);
}

/* One try short of the bound, the upload is sanitized as any other. */
static void
test_upload_under_the_bound_is_sanitized(void **state)
{
	struct fixture *f = *state;
	struct worker_pool *pool;
	json_t *res;

	if (RUNNING_ON_VALGRIND) {	/* the pipeline's children need seccomp */
		skip();
		return;
	}
	assert_int_equal(spool_put(&f->spool, "up-late", tiny_pdf, sizeof tiny_pdf - 1),
			 SPOOL_OK);
	failed_attempts(f, "up-late", WORKER_MAX_TRIES - 1);
	pool = testworker_pool(f, NULL, NULL);
	wait_done(f, "up-late");
	res = result_of(f, "up-late");
	assert_string_equal(jsonio_str(res, "status", ""), "clean");
	json_decref(res);
	assert_int_equal(metric(pool, "given_up"), 0);
	testworker_stop(f);
}

/* Upload id whose verdict (result.json) is already out when the pool, started here,
 * claims it past the last try; its result.json once the item is finished. */
static json_t *
given_up_after_verdict(struct fixture *f, const char *id, const char *verdict)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", f->results, id);
	assert_int_equal(mkdir(path, 0750), 0);
	snprintf(path, sizeof path, "%s/%s/result.json", f->results, id);
	assert_non_null(fp = fopen(path, "w"));
	fputs(verdict, fp);
	fclose(fp);
	assert_int_equal(spool_put(&f->spool, id, tiny_pdf, sizeof tiny_pdf - 1), SPOOL_OK);
	failed_attempts(f, id, WORKER_MAX_TRIES);
	(void)testworker_pool(f, NULL, NULL);
	wait_done(f, id);
	return result_of(f, id);
}

/* A verdict already out (clean, its text layer pending) is not taken back: only the
 * text layer is given up. */
static void
test_clean_verdict_stands_when_only_its_text_layer_failed(void **state)
{
	struct fixture *f = *state;
	char path[256];
	json_t *res;

	res = given_up_after_verdict(f, "up-text", "{\"id\": \"up-text\", \"status\": \"clean\", "
				     "\"reason\": \"ok\", \"ocr\": \"pending\", \"pages\": 1}");
	assert_string_equal(jsonio_str(res, "status", ""), "clean");
	assert_string_equal(jsonio_str(res, "ocr", ""), RESULTS_OCR_FAILED);
	json_decref(res);
	snprintf(path, sizeof path, "%s/up-text", f->quarantine);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(metric(f->pool, "given_up"), 1);
	assert_int_equal(metric(f->pool, "rejected"), 0);
	testworker_stop(f);
}

/* Nor is a refusal: its reason stays the one the citizen was shown. */
static void
test_refusal_already_out_keeps_its_reason(void **state)
{
	struct fixture *f = *state;
	json_t *res;

	res = given_up_after_verdict(f, "up-bad", "{\"id\": \"up-bad\", \"status\": "
				     "\"rejected\", \"reason\": \"encrypted\"}");
	assert_string_equal(jsonio_str(res, "reason", ""), "encrypted");
	assert_null(json_object_get(res, "ocr"));
	json_decref(res);
	assert_int_equal(metric(f->pool, "given_up"), 1);
	testworker_stop(f);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_poison_upload_is_refused_and_quarantined_after_the_last_try),
		T(test_upload_under_the_bound_is_sanitized),
		T(test_clean_verdict_stands_when_only_its_text_layer_failed),
		T(test_refusal_already_out_keeps_its_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
