/*
 * bench_ocr_service.c — what the citizen waits for when the service makes text
 * layers: the sanitizer's worker pool as sekisho-sanitized runs it (two workers, OCR
 * jpn+eng on), given bench_sanitize's 10-page text PDF and then, as soon as that
 * one's verdict is out, a small picture. It prints when the document's verdict was
 * published, when the picture's was (counted from its own arrival), and when the
 * document's text layer replaced the first output: the verdict no longer waits for
 * Tesseract (worker.c, "OCR after the verdict"). Then six one-page documents at
 * once (a lane each), and one alone (both lanes, its page read in bands; with
 * BENCH_OCR_BANDS=0, one lane, as before session 19). The OCR models are loaded
 * once, as the service loads them (BENCH_NO_MODELS=1: by each OCR child, as before
 * session 20).
 *
 * Run from the source tree (the signatures are tests/clamav, the PDF comes from
 * tests/bench/make-bench-pdf.py).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "fsio.h"
#include "jsonio.h"
#include "ocr.h"
#include "pipeline.h"
#include "rebuild.h"
#include "scan.h"
#include "spool.h"
#include "worker.h"

#define BENCH_PAGES	10
#define BENCH_ONE_PAGE_DOCS 6	/* of the same page, one page each */
#define BENCH_WAIT_S	600	/* the text layer of 10 dense pages takes tens of seconds */

static void
die(const char *what)
{
	fprintf(stderr, "bench_ocr_service: %s\n", what);
	exit(1);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The file at path, whole, into *len bytes (malloc'd). */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0)
		die(path);
	rewind(f);
	if ((p = malloc((size_t)n)) == NULL || fread(p, 1, (size_t)n, f) != (size_t)n)
		die(path);
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* Seconds since t0 at which results/ID/result.json said "ocr": state (NULL: existed). */
static double
wait_state(const char *results, const char *id, const char *state, double t0)
{
	char path[512], err[128];

	snprintf(path, sizeof path, "%s/%s/result.json", results, id);
	while (now_s() - t0 < BENCH_WAIT_S) {
		json_t *r = access(path, R_OK) == 0
		    ? jsonio_load_file(path, RESULT_MAX_BYTES, err, sizeof err) : NULL;
		int hit = r != NULL && (state == NULL ||
					strcmp(jsonio_str(r, "ocr", ""), state) == 0);

		json_decref(r);
		if (hit)
			return now_s() - t0;
		usleep(5000);
	}
	die("no result in time");
	return 0;
}

int
main(void)
{
	char dir[] = "/tmp/sekisho-bench-ocr-XXXXXX", intake[128], results[128], quarantine[128];
	char cmd[256], pdf_path[160], one_path[160], err[256], id[32];
	struct worker_config wc = { .threads = 2 };
	struct pixels_header h = { .width = 800, .height = 600, .channels = 1, .depth = 8 };
	struct rebuild_buf png = { 0 };
	struct worker_pool *pool;
	struct ocr_models *models = NULL;
	struct scan_limits slim;
	struct spool spool;
	uint8_t key[32], pub[32], *px;
	double t0, t1, verdict, next, text, ones = 0, lone;
	json_int_t banded;
	json_t *metrics;
	size_t len, one_len;
	char *pdf, *one;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	snprintf(intake, sizeof intake, "%s/intake", dir);
	snprintf(results, sizeof results, "%s/results", dir);
	snprintf(quarantine, sizeof quarantine, "%s/quarantine", dir);
	snprintf(pdf_path, sizeof pdf_path, "%s/text.pdf", dir);
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/bench/make-bench-pdf.py %s %d",
		 pdf_path, BENCH_PAGES);
	if (system(cmd) != 0)
		die("tests/bench/make-bench-pdf.py failed (run from the source tree)");
	pdf = slurp(pdf_path, &len);
	snprintf(one_path, sizeof one_path, "%s/one.pdf", dir);
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/bench/make-bench-pdf.py %s 1", one_path);
	if (system(cmd) != 0)
		die("tests/bench/make-bench-pdf.py failed");
	one = slurp(one_path, &one_len);
	if ((px = malloc(800 * 600)) == NULL)
		die("out of memory");
	memset(px, 200, 800 * 600);
	if (rebuild_png_encode(&h, px, &png) != REBUILD_OK)
		die("png");
	free(px);
	if (mkdir(results, 0750) != 0 || mkdir(quarantine, 0750) != 0 ||
	    spool_open(&spool, intake, true) != 0)
		die(dir);
	scan_limits_default(&slim);
	pipeline_config_default(&wc.pipeline);
	/* As the service does: libclamav in the scanner process. */
	if (scan_spawn(&wc.pipeline.scanner, "tests/clamav", &slim, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		die("cannot start the scanner (run from the source tree)");
	}
	if (crypto_ed25519_keygen(pub, key) != CRYPTO_OK)
		die("key");
	wc.pipeline.sign_key = key;
	wc.pipeline.ocr = OCR_DEFAULT_LANGS;
	/* BENCH_OCR_BANDS=0: a lone one-page document read by one OCR child, as before. */
	if (getenv("BENCH_OCR_BANDS") != NULL)
		wc.pipeline.ocr_bands = atoi(getenv("BENCH_OCR_BANDS")) != 0;
	/* As the service does: the models loaded once (BENCH_NO_MODELS: by each child). */
	if (getenv("BENCH_NO_MODELS") == NULL &&
	    ocr_models_load(NULL, wc.pipeline.ocr, &models) == 0)
		wc.pipeline.ocr_models = models;
	wc.intake = &spool;
	wc.results_dir = results;
	wc.quarantine_dir = quarantine;
	if (worker_start(&pool, &wc, err, sizeof err) != 0)
		die(err);

	t0 = now_s();
	if (spool_put(&spool, "bench-doc", pdf, len) != SPOOL_OK)
		die("spool");
	verdict = wait_state(results, "bench-doc", "pending", t0);
	t1 = now_s();
	if (spool_put(&spool, "bench-next", png.p, png.len) != SPOOL_OK)
		die("spool");
	next = wait_state(results, "bench-next", NULL, t1);
	text = wait_state(results, "bench-doc", "done", t0);
	/* One-page documents, as most uploads are: each pass takes one lane. */
	t0 = now_s();
	for (int i = 0; i < BENCH_ONE_PAGE_DOCS; i++) {
		snprintf(id, sizeof id, "bench-one-%d", i);
		if (spool_put(&spool, id, one, one_len) != SPOOL_OK)
			die("spool");
	}
	for (int i = 0; i < BENCH_ONE_PAGE_DOCS; i++) {
		double t;

		snprintf(id, sizeof id, "bench-one-%d", i);
		if ((t = wait_state(results, id, "done", t0)) > ones)
			ones = t;
	}
	/* One alone, as at a quiet counter: it takes both lanes, its page read in bands. */
	t0 = now_s();
	if (spool_put(&spool, "bench-lone", one, one_len) != SPOOL_OK)
		die("spool");
	lone = wait_state(results, "bench-lone", "done", t0);
	metrics = worker_metrics(pool);
	banded = json_integer_value(json_object_get(json_object_get(metrics, "ocr"), "banded"));
	json_decref(metrics);
	worker_stop(pool);

	printf("service  %d pages, OCR jpn+eng after the verdict, 2 workers: verdict %.2f s, "
	       "the next upload's %.2f s after it came, text layer %.1f s (%.2f s/page) | "
	       "the citizen waits %.0fx less than for the text layer\n", BENCH_PAGES, verdict,
	       next, text, text / BENCH_PAGES, text / verdict);
	printf("service  %d one-page documents at once: every text layer in %.1f s "
	       "(%.2f s/page)\n", BENCH_ONE_PAGE_DOCS, ones, ones / BENCH_ONE_PAGE_DOCS);
	printf("service  a one-page document alone: its text layer in %.2f s (pages read in "
	       "bands: %lld)\n", lone, (long long)banded);
	scan_close(wc.pipeline.scanner);
	ocr_models_free(models);
	spool_close(&spool);
	fsio_remove_tree(dir);
	rebuild_buf_free(&png);
	free(pdf);
	free(one);
	return 0;
}
