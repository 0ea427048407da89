/*
 * worker.h — the sanitizer service's pool: threads that take uploads from the intake
 * spool and put each through the pipeline.
 *
 * An upload is claimed from intake (new/ -> work/), sanitized, its result written
 * under results/<id>/ (results.h; put in place whole, after fsync), and only then
 * committed (work/ -> done/). A refused original is hard-linked into quarantine
 * first. With OCR on, the text layer is made after the verdict by a thread of its
 * own (worker.c), and the item is committed after that. A crash at any point leaves
 * the upload in work/, which the next start returns to new/: it is sanitized again,
 * and the result directory is replaced whole, so nothing is lost or half-written.
 */
#ifndef SEKISHO_SANITIZER_WORKER_H
#define SEKISHO_SANITIZER_WORKER_H

#include <jansson.h>

#include "pipeline.h"
#include "results.h"
#include "spool.h"

/* An intake item is named by its upload id, or by the upload id and the procedure's
 * sanitizer policy for it: "ID.p" followed by "a" (allow_archives), "o" (keep_ooxml),
 * both, or "-" for neither — portald names it from the procedure's definition; the
 * suffix is the name's last ".p…". An item without one is sanitized under the
 * service's configured policy. The results are under results/ID/ either way. */
#define WORKER_POLICY_SEP ".p"

#define WORKER_MAX_THREADS 16
#define WORKER_OCR_QUEUE   64		/* uploads awaiting their text layer; a worker
					 * with another one waits for room */
#define WORKER_MAX_TRIES   5		/* attempts at one upload (our crashes and
					 * failures, not verdicts) before it is given
					 * up: refused as processing_failed */

struct worker_config {
	struct spool *intake;
	const char *results_dir;	/* results/<id>/ */
	const char *quarantine_dir;
	struct pipeline_config pipeline;	/* scanner and key borrowed */
	unsigned threads;
	unsigned ocr_grace_ms;		/* how long a lone one-page document waits for
					 * another before it takes every lane (worker.c);
					 * 0: WORKER_OCR_GRACE_MS */
};

struct worker_pool;

/* Recover the intake spool and start the threads. 0, or -1 with err. */
int worker_start(struct worker_pool **out, const struct worker_config *cfg,
		 char *err, size_t errlen);
void worker_stop(struct worker_pool *p);

/* Split an intake item id into its upload id (copied to upload) and the policy its
 * suffix names, applied to *pc (left as it is without a suffix). 0, or -1 for a
 * malformed name. */
int worker_item_policy(const char *item_id, char *upload, size_t uploadlen,
		       struct pipeline_config *pc);

/* Counters: processed, clean, rejected, errors, given_up (uploads refused after
 * WORKER_MAX_TRIES), busy and threads (workers), and "ocr": {passes, failed, banded,
 * vertical, turned, uneven_light, queued, busy, models_loaded, vertical_model} for
 * text layers made after the verdict (banded: pages read in bands; vertical: pages
 * read as written vertically; turned: pages found upside down or on their side;
 * uneven_light: pages whose paper was lit unevenly (ocr_light.h); models_loaded: the
 * pipeline's ocr_models are set; vertical_model: they include jpn_vert; new
 * reference). */
json_t *worker_metrics(struct worker_pool *p);

/* The state of upload id for the portal: its result.json when finished, else
 * {"status": "processing"} or {"status": "queued"}; NULL if unknown. */
json_t *worker_status(struct worker_pool *p, const char *id);

#endif
