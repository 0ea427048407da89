/*
 * worker.c — the pool of sanitizer threads.
 *
 * Each worker owns nothing but the upload it claimed; the scanner is shared
 * (scan_fd is thread-safe) and the pipeline forks its own sandboxed child per file,
 * so one slow PDF occupies one thread while small files keep flowing on the others.
 *
 * A text layer (OCR) is made after the verdict, by a thread of its own: Tesseract
 * takes seconds a page where the rest of the pipeline takes tens of milliseconds,
 * and neither the citizen waiting for a verdict nor the next upload should wait for
 * it. A worker sanitizes without OCR, publishes that result ("ocr": "pending"),
 * and hands the still-claimed intake item to the OCR threads, one of which sanitizes
 * it again with OCR and publishes the result, the same pixels with a text layer, in
 * the first one's place. The item is committed only then, so a crash at any point
 * redoes both passes; bundles wait while a text layer is pending (assemble.c). An OCR
 * pass that reads nothing leaves the first result, marked "failed".
 *
 * The OCR threads share the pipeline's lanes (one per core) as tokens: a document of
 * several pages takes them all and reads its pages in parallel, a one-page document
 * takes one, so that two one-page documents are read at once instead of one core
 * reading both in turn. A one-page document with nothing queued behind it (for
 * WORKER_OCR_GRACE_MS) takes every free lane, and its page is read in bands
 * (pipeline.h, ocr_bands): alone, it would leave the other cores idle. Jobs start in
 * the order they came: a job waiting for lanes holds back those behind it.
 *
 * A poison upload, one this process crashes on or always fails on, would otherwise
 * be redone forever: after each restart, or every few seconds. So every claim is
 * counted in the spool (spool_attempt) before any work, and past WORKER_MAX_TRIES
 * the upload is given up: refused as processing_failed (its original quarantined for
 * analysis), or, when its verdict was out already, left with that verdict (and no
 * text layer, if one was still to come).
 */
#define _GNU_SOURCE
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "deadline.h"
#include "jsonio.h"
#include "log.h"
#include "quarantine.h"
#include "results.h"

#define WORKER_IDLE_MS	100	/* an idle worker's longest wait: how soon it sees a stop */
#define WORKER_OCR_GRACE_MS 200	/* a lone one-page job's wait for company */

/* An item for the OCR threads, and the lanes its pass will take. */
struct ocr_job {
	struct spool_item item;
	unsigned pages;			/* the first pass's */
	unsigned lanes;
};

struct worker_pool {
	struct worker_config cfg;
	pthread_t threads[WORKER_MAX_THREADS];
	unsigned nthreads;
	atomic_int stopping;		/* set under lock (for the conds); the workers'
					 * loop reads it without */
	pthread_mutex_t lock;
	uint64_t processed, clean, rejected, errors, given_up;
	unsigned busy;

	/* Intake items, still claimed, whose text layer is to be made; oldest first. */
	struct ocr_job ocr_queue[WORKER_OCR_QUEUE];
	unsigned ocr_head, ocr_len;
	pthread_cond_t ocr_cond;	/* a job queued, room or lanes freed, or stopping */
	pthread_t ocr_threads[PIPELINE_MAX_LANES];
	unsigned ocr_started, ocr_busy;
	unsigned ocr_lanes_free;	/* of the pipeline's lanes, not held by a pass */
	int ocr_waiting;		/* the job at the front waits for lanes */
	uint64_t ocr_passes, ocr_failed, ocr_banded, ocr_vertical, ocr_turned, ocr_uneven;
};

int
worker_item_policy(const char *item_id, char *upload, size_t uploadlen,
		   struct pipeline_config *pc)
{
	/* The suffix is the last ".p…": an id of other dots keeps them. */
	const char *sep = strrchr(item_id, '.'), *f;
	size_t len;
	int archives = 0, ooxml = 0;

	if (sep != NULL && strncmp(sep, WORKER_POLICY_SEP, strlen(WORKER_POLICY_SEP)) != 0)
		sep = NULL;
	len = sep ? (size_t)(sep - item_id) : strlen(item_id);

	if (len == 0 || len >= uploadlen)
		return -1;
	memcpy(upload, item_id, len);
	upload[len] = '\0';
	if (sep == NULL)
		return 0;
	f = sep + strlen(WORKER_POLICY_SEP);
	if (strcmp(f, "-") != 0) {
		for (; *f; f++) {
			if (*f == 'a' && !archives)
				archives = 1;
			else if (*f == 'o' && !ooxml)
				ooxml = 1;
			else
				return -1;
		}
		if (!archives && !ooxml)
			return -1;
	}
	pc->allow_archives = archives;
	pc->keep_ooxml = ooxml;
	return 0;
}

/*
 * One pass of the pipeline over a claimed upload into results/<id>/. ocr is what
 * result.json will say of the text layer: NULL; RESULTS_OCR_PENDING for a worker's
 * pass when a text layer is wanted (kept only if the output has a PDF page: then
 * *ocr_next is its page count, at least 1, and the item goes to the OCR threads;
 * else 0); RESULTS_OCR_DONE for the
 * OCR thread's pass, which replaces the first result only when clean with text on a
 * page at least (returns 1 otherwise: the first result stands). 0, or -1 on our own
 * failure.
 */
static int
sanitize_pass(struct worker_pool *p, const struct spool_item *item, const char *id,
    const struct pipeline_config *pc, const char *ocr, unsigned *ocr_next)
{
	int ocr_pass = ocr != NULL && strcmp(ocr, RESULTS_OCR_DONE) == 0;
	char tmpdir[PATH_MAX], out[PATH_MAX + 16];
	struct pipeline_result res;
	int in_fd = -1, out_fd = -1, rc = -1;

	*ocr_next = 0;
	if (results_begin(p->cfg.results_dir, id, tmpdir, sizeof tmpdir) != 0)
		return -1;
	snprintf(out, sizeof out, "%s/output", tmpdir);
	if ((in_fd = open(item->path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (out_fd = open(out, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0)
		goto done;
	if ((rc = pipeline_run(pc, in_fd, out_fd, &res)) != 0) {
		log_err("sanitized: upload %s: internal error: %s", item->id, strerror(-rc));
		goto done;
	}
	/* Refused, or not a page read: the first result, the same pixels, stands. */
	if (ocr_pass && (!res.clean || results_ocr_pages(&res) == 0)) {
		log_warn("sanitized: upload %s: the OCR pass came out %s with %u pages read (%s); "
			 "the first result stands, without a text layer", item->id, res.reason,
			 results_ocr_pages(&res), res.detail);
		pipeline_result_free(&res);
		results_abandon(tmpdir);
		rc = 1;
		goto done;
	}
	if (ocr != NULL && !results_has_pdf(&res))
		ocr = NULL;
	if (!res.clean) {
		char q[PATH_MAX];

		/* The reason is in result.json; the original alone is kept here. */
		if (quarantine_keep(p->cfg.quarantine_dir, item->id, item->path,
				    QUARANTINE_LINK, NULL, q, sizeof q) != 0)
			log_warn("sanitized: upload %s: cannot quarantine: %s", item->id,
				 strerror(errno));
	}
	rc = results_commit(p->cfg.results_dir, id, tmpdir, out_fd, &res, ocr);
	*ocr_next = rc == 0 && ocr != NULL && !ocr_pass ? (res.pages > 0 ? res.pages : 1) : 0;
	pthread_mutex_lock(&p->lock);
	if (!ocr_pass) {	/* an upload counts once, by its verdict */
		p->processed++;
		if (rc == 0)
			res.clean ? p->clean++ : p->rejected++;
	} else if (rc == 0) {
		p->ocr_passes++;
		p->ocr_banded += res.ocr_pages_banded;
		p->ocr_vertical += res.ocr_pages_vertical;
		p->ocr_turned += res.ocr_pages_turned;
		p->ocr_uneven += res.ocr_pages_uneven;
	}
	pthread_mutex_unlock(&p->lock);
	{
		struct log_field f[] = { { "UPLOAD", item->id }, { "VERDICT", res.clean ? "clean" : "rejected" },
					 { "REASON", res.reason }, { "TYPE", res.type ? res.type : "" } };
		log_fields(LOG_LEVEL_INFO, f, 4, "sanitized: upload %s %s (%s, %u pages, %.2f s)%s%s%s",
			   item->id, res.clean ? "clean" : "rejected", res.reason, res.pages,
			   res.seconds, ocr == NULL ? "" : ocr_pass ? ", text layer made"
			   : ", text layer to follow", res.detail[0] ? ": " : "", res.detail);
	}
	pipeline_result_free(&res);
done:
	if (in_fd >= 0)
		close(in_fd);
	if (out_fd >= 0)
		close(out_fd);
	return rc;
}

/* What a worker did with a claimed item. */
enum { PROCESS_DONE = 0, PROCESS_TO_OCR = 1, PROCESS_FAILED = -1 };

/* Queue a claimed item of pages pages for its text layer, waiting for room. 0, or -1
 * if stopping. */
static int
ocr_enqueue(struct worker_pool *p, const struct spool_item *item, unsigned pages)
{
	unsigned lanes = p->cfg.pipeline.lanes;

	pthread_mutex_lock(&p->lock);
	while (p->ocr_len == WORKER_OCR_QUEUE && !p->stopping)
		pthread_cond_wait(&p->ocr_cond, &p->lock);
	if (p->stopping) {
		pthread_mutex_unlock(&p->lock);
		return -1;
	}
	p->ocr_queue[(p->ocr_head + p->ocr_len++) % WORKER_OCR_QUEUE] = (struct ocr_job){
		.item = *item, .pages = pages, .lanes = pages < lanes ? pages : lanes };
	pthread_cond_broadcast(&p->ocr_cond);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* The OCR pass, in lanes lanes (0: the pipeline's), over an item whose verdict is
 * out. 0, or -1 to redo it. */
static int
ocr_process(struct worker_pool *p, const struct spool_item *item, unsigned lanes)
{
	struct pipeline_config pc = p->cfg.pipeline;
	char id[SPOOL_ID_MAX + 1];
	unsigned ocr_next;

	if (lanes > 0)
		pc.lanes = lanes;
	if (worker_item_policy(item->id, id, sizeof id, &pc) != 0)
		return -1;	/* process() checked it: cannot happen */
	if (sanitize_pass(p, item, id, &pc, RESULTS_OCR_DONE, &ocr_next) == 0)
		return 0;
	/* The first result stands; nothing waits on its text layer any longer. */
	pthread_mutex_lock(&p->lock);
	p->ocr_failed++;
	pthread_mutex_unlock(&p->lock);
	return results_set_ocr(p->cfg.results_dir, id, RESULTS_OCR_FAILED);
}

/* An upload's first pass; with a text layer asked for, one without OCR. */
static int
process(struct worker_pool *p, const struct spool_item *item)
{
	struct pipeline_config pc = p->cfg.pipeline;
	char id[SPOOL_ID_MAX + 1];
	unsigned ocr_next;
	int rc;

	/* A name we did not make sanitizes nothing: finished, with no result, so the
	 * portal shows the upload as pending until it expires. */
	if (worker_item_policy(item->id, id, sizeof id, &pc) != 0) {
		log_warn("sanitized: intake item %s: malformed name, not sanitized", item->id);
		return PROCESS_DONE;
	}
	if (!pipeline_ocr_on(&pc))
		return sanitize_pass(p, item, id, &pc, NULL, &ocr_next);
	pc.ocr = NULL;
	if ((rc = sanitize_pass(p, item, id, &pc, RESULTS_OCR_PENDING, &ocr_next)) != 0 ||
	    !ocr_next)
		return rc;
	/* The ASan build forks from one thread only (pipeline.h): the OCR pass here. */
	if (PIPELINE_ASAN)
		return ocr_process(p, item, 0) == 0 ? PROCESS_DONE : PROCESS_FAILED;
	return ocr_enqueue(p, item, ocr_next) == 0 ? PROCESS_TO_OCR : PROCESS_FAILED;
}

/*
 * Past WORKER_MAX_TRIES attempts at item: answer it for good. 0 when answered (the
 * item may be committed), -1 when not even that could be written (given back).
 */
static int
give_up(struct worker_pool *p, const struct spool_item *item, int tries)
{
	struct pipeline_config pc = p->cfg.pipeline;
	struct pipeline_result res;
	char id[SPOOL_ID_MAX + 1], tmpdir[PATH_MAX], q[PATH_MAX], why[96];
	char status[16], ocr[16];
	struct stat st;
	int fd;

	if (worker_item_policy(item->id, id, sizeof id, &pc) != 0)
		return 0;	/* process() sanitizes nothing for it either */
	/* The verdict is out (a crash came after it: while the text layer was made, or
	 * before the commit). It stands; a text layer still pending is given up. */
	if (results_read_state(p->cfg.results_dir, id, status, sizeof status, ocr,
			       sizeof ocr) == 0) {
		if (strcmp(ocr, RESULTS_OCR_PENDING) == 0 &&
		    results_set_ocr(p->cfg.results_dir, id, RESULTS_OCR_FAILED) != 0)
			return -1;
		log_err("sanitized: upload %s: given up after %d attempts; its verdict (%s) "
			"stands%s", item->id, tries, status,
			strcmp(ocr, RESULTS_OCR_PENDING) == 0 ? ", without a text layer" : "");
	} else {
		memset(&res, 0, sizeof res);
		res.reason = "processing_failed";
		res.message = pipeline_message(res.reason);
		res.type = res.method = "";
		if ((fd = open(item->path, O_RDONLY | O_CLOEXEC)) >= 0) {
			if (crypto_sha256_fd(fd, res.input_sha256) != CRYPTO_OK)
				memset(res.input_sha256, 0, sizeof res.input_sha256);
			if (fstat(fd, &st) == 0)
				res.input_size = (uint64_t)st.st_size;
			close(fd);
		}
		snprintf(why, sizeof why, "processing_failed: %d attempts, each a crash or an "
			 "internal error", tries);
		if (quarantine_keep(p->cfg.quarantine_dir, item->id, item->path, QUARANTINE_LINK,
				    why, q, sizeof q) != 0)
			log_warn("sanitized: upload %s: cannot quarantine: %s", item->id,
				 strerror(errno));
		if (results_begin(p->cfg.results_dir, id, tmpdir, sizeof tmpdir) != 0)
			return -1;
		if (results_commit(p->cfg.results_dir, id, tmpdir, -1, &res, NULL) != 0) {
			results_abandon(tmpdir);
			return -1;
		}
		log_err("sanitized: upload %s: given up after %d attempts, each a crash or an "
			"internal error; refused as processing_failed, the original kept in "
			"quarantine", item->id, tries);
		pthread_mutex_lock(&p->lock);
		p->processed++;
		p->rejected++;
		pthread_mutex_unlock(&p->lock);
	}
	pthread_mutex_lock(&p->lock);
	p->given_up++;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/*
 * The lanes a one-page job takes (under p->lock, the job dequeued and still the
 * front: p->ocr_waiting): every free one if nothing comes behind it within
 * WORKER_OCR_GRACE_MS, else one. Bands cost a page 14 % more CPU; with another job
 * waiting, two pages read side by side finish sooner than one in bands and then the
 * other (an application's attachments arrive together: their verdict passes end
 * tens of milliseconds apart).
 */
static unsigned
lanes_for_one_page(struct worker_pool *p)
{
	struct timespec until;

	deadline_after_ms(&until, p->cfg.ocr_grace_ms > 0 ? (long)p->cfg.ocr_grace_ms
			  : WORKER_OCR_GRACE_MS);
	while (p->ocr_len == 0 && !p->stopping &&
	       pthread_cond_timedwait(&p->ocr_cond, &p->lock, &until) != ETIMEDOUT)
		;
	return p->ocr_len == 0 ? p->ocr_lanes_free : 1;
}

static void *
ocr_run(void *arg)
{
	struct worker_pool *p = arg;

	for (;;) {
		struct ocr_job job;

		pthread_mutex_lock(&p->lock);
		while ((p->ocr_len == 0 || p->ocr_waiting) && !p->stopping)
			pthread_cond_wait(&p->ocr_cond, &p->lock);
		/* What is still queued at a stop stays claimed: the next start redoes it. */
		if (p->stopping) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		job = p->ocr_queue[p->ocr_head];
		p->ocr_head = (p->ocr_head + 1) % WORKER_OCR_QUEUE;
		p->ocr_len--;
		pthread_cond_broadcast(&p->ocr_cond);	/* room for a worker */
		p->ocr_waiting = 1;
		while (p->ocr_lanes_free < job.lanes && !p->stopping)
			pthread_cond_wait(&p->ocr_cond, &p->lock);
		if (job.pages == 1 && p->cfg.pipeline.ocr_bands && p->ocr_lanes_free > job.lanes &&
		    !p->stopping)
			job.lanes = lanes_for_one_page(p);
		p->ocr_waiting = 0;
		if (p->stopping) {
			pthread_mutex_unlock(&p->lock);
			return NULL;	/* still claimed: redone at the next start */
		}
		p->ocr_lanes_free -= job.lanes;
		p->ocr_busy++;
		pthread_cond_broadcast(&p->ocr_cond);	/* the next job may start */
		pthread_mutex_unlock(&p->lock);
		if (ocr_process(p, &job.item, job.lanes) == 0) {
			spool_commit(p->cfg.intake, &job.item);
		} else {
			/* Ours, not the file's: both passes again, by a worker. */
			pthread_mutex_lock(&p->lock);
			p->errors++;
			pthread_mutex_unlock(&p->lock);
			spool_return(p->cfg.intake, &job.item);
		}
		pthread_mutex_lock(&p->lock);
		p->ocr_busy--;
		p->ocr_lanes_free += job.lanes;
		pthread_cond_broadcast(&p->ocr_cond);
		pthread_mutex_unlock(&p->lock);
	}
}

static void *
run(void *arg)
{
	struct worker_pool *p = arg;
	/* An upload is taken the moment it arrives, not at the next look: a small file's
	 * verdict took 20 ms, and the wait for a look that came every 100 ms, 50 ms on
	 * average. The timeout is how soon a stop is seen. */
	int watch = spool_watch(p->cfg.intake);

	if (watch < 0)
		log_warn("sanitized: %s: cannot watch for uploads, looking every %d ms: %s",
			 p->cfg.intake->root, WORKER_IDLE_MS, strerror(-watch));
	while (!p->stopping) {
		struct spool_item item;
		int rc, tries;

		if (spool_claim(p->cfg.intake, &item) != SPOOL_OK) {
			(void)spool_wait(watch, WORKER_IDLE_MS);
			continue;
		}
		pthread_mutex_lock(&p->lock);
		p->busy++;
		pthread_mutex_unlock(&p->lock);
		/* Counted before any work, so that a crash on it counts too. A count that
		 * cannot be written costs the bound, not the upload. */
		if ((tries = spool_attempt(p->cfg.intake, &item)) < 0)
			log_warn("sanitized: upload %s: cannot count the attempt: %s", item.id,
				 strerror(-tries));
		if (tries > WORKER_MAX_TRIES)
			rc = give_up(p, &item, tries - 1) == 0 ? PROCESS_DONE : PROCESS_FAILED;
		else
			rc = process(p, &item);
		if (rc == PROCESS_DONE) {
			spool_commit(p->cfg.intake, &item);
		} else if (rc != PROCESS_TO_OCR) {
			/* Our failure, not the file's: give it back for another try, a little
			 * later each time. */
			pthread_mutex_lock(&p->lock);
			p->errors++;
			pthread_mutex_unlock(&p->lock);
			spool_return(p->cfg.intake, &item);
			sleep(tries > 1 ? (unsigned)tries : 1);
		}
		pthread_mutex_lock(&p->lock);
		p->busy--;
		pthread_mutex_unlock(&p->lock);
	}
	if (watch >= 0)
		close(watch);
	return NULL;
}

int
worker_start(struct worker_pool **out, const struct worker_config *cfg, char *err,
	     size_t errlen)
{
	struct worker_pool *p = calloc(1, sizeof *p);
	int rc;

	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->cfg = *cfg;
	if (mkdir(cfg->results_dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", cfg->results_dir, strerror(errno));
		free(p);
		return -1;
	}
	if ((rc = spool_recover(cfg->intake)) < 0) {
		snprintf(err, errlen, "%s: cannot recover: %s", cfg->intake->root, strerror(-rc));
		free(p);
		return -1;
	}
	if (rc > 0)
		log_info("sanitized: %d uploads in progress at the last stop will be redone", rc);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->ocr_cond, NULL);
	/* The OCR threads first, one per lane: a worker may hand them an item at once. */
	if (p->cfg.pipeline.lanes < 1 || p->cfg.pipeline.lanes > PIPELINE_MAX_LANES)
		p->cfg.pipeline.lanes = PIPELINE_DEFAULT_LANES;
	p->ocr_lanes_free = p->cfg.pipeline.lanes;
	for (unsigned i = 0; pipeline_ocr_on(&cfg->pipeline) && !PIPELINE_ASAN &&
	     i < p->cfg.pipeline.lanes; i++) {
		if (pthread_create(&p->ocr_threads[i], NULL, ocr_run, p) != 0)
			break;
		p->ocr_started++;
	}
	if (pipeline_ocr_on(&cfg->pipeline) && !PIPELINE_ASAN && p->ocr_started == 0) {
		snprintf(err, errlen, "cannot start the OCR threads");
		pthread_cond_destroy(&p->ocr_cond);
		pthread_mutex_destroy(&p->lock);
		free(p);
		return -1;
	}
	for (unsigned i = 0; i < cfg->threads && i < WORKER_MAX_THREADS; i++) {
		if (pthread_create(&p->threads[i], NULL, run, p) != 0)
			break;
		p->nthreads++;
	}
	if (p->nthreads == 0) {
		snprintf(err, errlen, "cannot start worker threads");
		worker_stop(p);
		return -1;
	}
	*out = p;
	return 0;
}

void
worker_stop(struct worker_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->ocr_cond);	/* a worker waiting for room, the OCR threads */
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	for (unsigned i = 0; i < p->ocr_started; i++)
		pthread_join(p->ocr_threads[i], NULL);
	pthread_cond_destroy(&p->ocr_cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

json_t *
worker_metrics(struct worker_pool *p)
{
	json_t *m;

	pthread_mutex_lock(&p->lock);
	m = json_pack("{s:I,s:I,s:I,s:I,s:I,s:i,s:i,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:i,s:b,s:b}}",
		      "processed", (json_int_t)p->processed, "clean", (json_int_t)p->clean,
		      "rejected", (json_int_t)p->rejected, "errors", (json_int_t)p->errors,
		      "given_up", (json_int_t)p->given_up,
		      "busy", (int)p->busy, "threads", (int)p->nthreads,
		      "ocr", "passes", (json_int_t)p->ocr_passes,
		      "failed", (json_int_t)p->ocr_failed, "banded", (json_int_t)p->ocr_banded,
		      "vertical", (json_int_t)p->ocr_vertical, "turned", (json_int_t)p->ocr_turned,
		      "uneven_light", (json_int_t)p->ocr_uneven,
		      "queued", (int)p->ocr_len,
		      "busy", (int)p->ocr_busy,
		      "models_loaded", p->cfg.pipeline.ocr_models != NULL,
		      "vertical_model", ocr_models_vertical(p->cfg.pipeline.ocr_models));
	pthread_mutex_unlock(&p->lock);
	return m;
}

json_t *
worker_status(struct worker_pool *p, const char *id)
{
	static const char *const suffixes[] = { "", WORKER_POLICY_SEP "-", WORKER_POLICY_SEP "a",
						WORKER_POLICY_SEP "o", WORKER_POLICY_SEP "ao" };
	char path[PATH_MAX], err[PATH_MAX + 64], up[SPOOL_ID_MAX + 1];
	struct pipeline_config pc;

	/* An upload id, never an item name with a policy in it. */
	if (!spool_valid_id(id) || worker_item_policy(id, up, sizeof up, &pc) != 0 ||
	    strcmp(up, id) != 0)
		return NULL;
	snprintf(path, sizeof path, "%s/%s/result.json", p->cfg.results_dir, id);
	if (access(path, F_OK) == 0)
		return jsonio_load_file(path, RESULT_MAX_BYTES, err, sizeof err);
	/* The item may carry the procedure's policy in its name (WORKER_POLICY_SEP). */
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		snprintf(path, sizeof path, "%s/work/%s%s", p->cfg.intake->root, id, suffixes[i]);
		if (access(path, F_OK) == 0)
			return json_pack("{s:s,s:s}", "id", id, "status", "processing");
	}
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		snprintf(path, sizeof path, "%s/new/%s%s", p->cfg.intake->root, id, suffixes[i]);
		if (access(path, F_OK) == 0)
			return json_pack("{s:s,s:s}", "id", id, "status", "queued");
	}
	return NULL;
}
