/*
 * testworker.h — a sanitizer worker pool's surroundings for a test: a temporary
 * directory with the intake spool, results/ and quarantine/, the repository's test
 * signatures and a fresh Ed25519 key pair; and a pool of one worker on them. Include
 * after cmocka.h.
 */
#ifndef SEKISHO_TESTWORKER_H
#define SEKISHO_TESTWORKER_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "crypto.h"
#include "pipeline.h"
#include "scan.h"
#include "spool.h"
#include "testutil.h"
#include "worker.h"

#define TEST_DB "tests/clamav"

struct fixture {
	char dir[64], results[96], quarantine[96], intake[96];
	struct spool spool;
	struct worker_pool *pool;	/* testworker_pool's, stopped by teardown at the
					 * latest (a failed assertion skips the test's own
					 * testworker_stop) */
	struct scanner *scanner;
	uint8_t priv[32], pub[32];
	unsigned ocr_grace_ms;		/* for testworker_pool; 0: the default */
};

static inline int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct scan_limits lim;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/test_worker.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->results, sizeof f->results, "%s/results", f->dir);
	snprintf(f->quarantine, sizeof f->quarantine, "%s/quarantine", f->dir);
	snprintf(f->intake, sizeof f->intake, "%s/intake", f->dir);
	if (mkdir(f->results, 0750) != 0 || mkdir(f->quarantine, 0750) != 0 ||
	    spool_open(&f->spool, f->intake, true) != 0 ||
	    crypto_ed25519_keygen(f->pub, f->priv) != CRYPTO_OK)
		return -1;
	scan_limits_default(&lim);
	if (scan_open(&f->scanner, TEST_DB, &lim) != 0)
		return -1;
	*state = f;
	return 0;
}

static inline int
teardown(void **state)
{
	struct fixture *f = *state;

	if (f->pool != NULL)
		worker_stop(f->pool);
	scan_close(f->scanner);
	spool_close(&f->spool);
	testutil_rmtree(f->dir);
	free(f);
	return 0;
}

/* A pool of one worker on the fixture's spool, signing with its key; with a text
 * layer in langs (NULL: none) from the models in tessdata (NULL: Tesseract's own). */
static inline struct worker_pool *
testworker_pool(struct fixture *f, const char *langs, const char *tessdata)
{
	struct worker_config wc = { .intake = &f->spool, .results_dir = f->results,
				    .quarantine_dir = f->quarantine, .threads = 1,
				    .ocr_grace_ms = f->ocr_grace_ms };
	struct worker_pool *pool;
	char err[256];

	pipeline_config_default(&wc.pipeline);
	wc.pipeline.scanner = f->scanner;
	wc.pipeline.sign_key = f->priv;
	wc.pipeline.ocr = langs;
	wc.pipeline.ocr_tessdata = tessdata;
	if (worker_start(&pool, &wc, err, sizeof err) != 0)
		fail_msg("worker_start: %s", err);
	f->pool = pool;
	return pool;
}

/* Stop the pool testworker_pool started. */
static inline void
testworker_stop(struct fixture *f)
{
	worker_stop(f->pool);
	f->pool = NULL;
}

#endif
