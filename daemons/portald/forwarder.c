/*
 * forwarder.c — one thread that hands committed applications to the sanitizer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "deadline.h"
#include "forwarder.h"
#include "jsonio.h"
#include "log.h"
#include "replies.h"
#include "sanclient.h"
#include "timefmt.h"

#define IDLE_WAIT_MS 1000

struct forwarder {
	struct portald *p;
	pthread_t thread;
	bool started;
};

void
forwarder_bundle_id(const char *tenant, const char *receipt, char *out, size_t len)
{
	snprintf(out, len, "app-%s-%s", tenant, receipt);
}

struct pending {
	/* outcome, recorded by the batch's one transaction */
	const char *state;		/* NULL: nothing to record */
	time_t next_at;
	char error[256];
	char receipt[40];
	char procedure[CATALOGUE_ID_MAX + 1];
	long long version;
	char *answers, *files;
	char *proxy;			/* the representative (proxyrep.h), or NULL */
	time_t submitted_at;
	int attempts;
};

static json_t *
parse_stored(const char *text)
{
	char err[64];

	return jsonio_parse(text, strlen(text), 8 << 20, JSONIO_MAX_DEPTH, err, sizeof err);
}

/* The request the sanitizer's /api/bundles takes (sanitizer/assemble.h). */
static json_t *
bundle_request(struct portal_tenant *pt, const struct pending *a, const json_t *def,
	       const char *signature)
{
	char id[160], when[TIMEFMT_LEN];
	json_t *answers = parse_stored(a->answers), *files = parse_stored(a->files);
	json_t *req = NULL;

	if (answers == NULL || files == NULL)
		goto out;
	forwarder_bundle_id(pt->t->name, a->receipt, id, sizeof id);
	timefmt_jst_rfc3339(a->submitted_at, when);
	/* The definition travels with its office signature: the sanitizer validates
	 * the answers against it again before it signs anything (procsig.h). */
	req = json_pack("{s:s,s:s,s:{s:O,s:s},s:{s:s,s:s,s:s,s:{s:s,s:I,s:s},s:s,s:O},s:O}",
			"id", id, "tenant", pt->t->name,
			"procedure", "definition", def, "signature", signature,
			"application",
			  "format", "sekisho-application/1",
			  "receipt_no", a->receipt,
			  "tenant", pt->t->name,
			  "procedure", "id", a->procedure, "version", (json_int_t)a->version,
			  "title", jsonio_str(def, "title", ""),
			  "submitted_at", when,
			  "answers", answers,
			"files", files);
	/* A proxy application's representative travels beside the answers; the
	 * sanitizer checks it with the same fixed form (proxyrep.h). */
	if (req != NULL && a->proxy != NULL) {
		json_t *px = parse_stored(a->proxy);

		if (px == NULL) {
			json_decref(req);
			req = NULL;
			goto out;
		}
		json_object_set_new(json_object_get(req, "application"), "proxy", px);
	}
out:
	json_decref(answers);
	json_decref(files);
	return req;
}

static void
mark(struct pending *a, const char *state, time_t next_at, const char *error)
{
	a->state = state;
	a->next_at = next_at;
	snprintf(a->error, sizeof a->error, "%s", error ? error : "");
}

struct record_job {
	struct pending *batch;
	size_t n;
};

/* Every outcome of a batch in one transaction, through the tenant's group committer:
 * it shares the fsync with the submissions of the moment instead of adding one per
 * application. */
static int
record_outcomes(struct db *db, void *arg)
{
	struct record_job *j = arg;
	sqlite3_stmt *st;

	for (size_t i = 0; i < j->n; i++) {
		struct pending *a = &j->batch[i];

		if (a->state == NULL)
			continue;
		st = db_stmt(db, "UPDATE applications SET forward_state = ?, forward_attempts = "
				 "forward_attempts + 1, forward_next_at = ?, forward_error = ? "
				 "WHERE receipt_no = ?");
		if (st == NULL)
			return 1;
		sqlite3_bind_text(st, 1, a->state, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)a->next_at);
		if (a->error[0])
			sqlite3_bind_text(st, 3, a->error, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, a->receipt, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_reset(st);
			return 1;
		}
		sqlite3_reset(st);
	}
	return 0;
}

static int
forward_tenant(struct portald *p, struct portal_tenant *pt, time_t now)
{
	struct pending batch[FORWARDER_BATCH];
	sqlite3_stmt *st;
	size_t n = 0, i;
	int forwarded = 0;

	memset(batch, 0, sizeof batch);
	pthread_mutex_lock(&pt->t->lock);
	st = db_stmt(pt->t->db, "SELECT receipt_no, procedure_id, procedure_version, answers, "
				"files, submitted_at, forward_attempts, proxy FROM applications "
				"WHERE forward_state = 'pending' AND forward_next_at <= ? "
				"ORDER BY submitted_at LIMIT ?");
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
		sqlite3_bind_int(st, 2, FORWARDER_BATCH);
		while (n < FORWARDER_BATCH && sqlite3_step(st) == SQLITE_ROW) {
			struct pending *a = &batch[n++];

			snprintf(a->receipt, sizeof a->receipt, "%s", sqlite3_column_text(st, 0));
			snprintf(a->procedure, sizeof a->procedure, "%s",
				 sqlite3_column_text(st, 1));
			a->version = sqlite3_column_int64(st, 2);
			a->answers = strdup((const char *)sqlite3_column_text(st, 3));
			a->files = strdup((const char *)sqlite3_column_text(st, 4));
			a->submitted_at = (time_t)sqlite3_column_int64(st, 5);
			a->attempts = sqlite3_column_int(st, 6);
			if (sqlite3_column_type(st, 7) != SQLITE_NULL)
				a->proxy = strdup((const char *)sqlite3_column_text(st, 7));
		}
		sqlite3_reset(st);
	}
	pthread_mutex_unlock(&pt->t->lock);

	for (i = 0; i < n; i++) {
		struct pending *a = &batch[i];
		json_t *def, *req = NULL, *resp = NULL;
		char err[512], sig[129];
		int status;

		pthread_mutex_lock(&pt->t->lock);
		def = catalogue_get_version(pt->t->db, a->procedure, a->version);
		if (catalogue_get_signature(pt->t->db, a->procedure, a->version, sig) != 0)
			sig[0] = '\0';
		pthread_mutex_unlock(&pt->t->lock);
		if (a->answers && a->files && def != NULL && sig[0] != '\0')
			req = bundle_request(pt, a, def, sig);
		json_decref(def);
		if (req == NULL) {
			log_err("application %s (tenant %s): cannot build its bundle request",
				a->receipt, pt->t->name);
			mark(a, "failed", 0, "stored application unreadable");
			goto next;
		}
		status = sanclient_post_json(p->sanitizer_socket, "/api/bundles", req, &resp, err,
					     sizeof err);
		if (status == 200 || status == 201) {
			mark(a, "forwarded", 0, NULL);
			forwarded++;
		} else if (status >= 400 && status < 500) {
			const char *why = jsonio_str(json_object_get(resp, "error"), "message",
						     "refused");

			log_err("application %s (tenant %s): the sanitizer refused its bundle "
				"(%d): %s", a->receipt, pt->t->name, status, why);
			mark(a, "failed", 0, why);
		} else {
			bool waiting;
			int wait = sanclient_retry_after(status, resp, a->attempts, &waiting);

			if (waiting)
				log_info("application %s (tenant %s): waiting %d s for the text "
					 "layer of an upload", a->receipt, pt->t->name, wait);
			else
				log_warn("application %s (tenant %s): sanitizer unavailable (%s), "
					 "retrying in %d s", a->receipt, pt->t->name,
					 status < 0 ? err : "server error", wait);
			mark(a, "pending", now + wait, waiting ? "waiting for OCR"
			     : status < 0 ? err : "server error");
		}
next:
		json_decref(req);
		json_decref(resp);
	}
	if (n > 0) {
		struct record_job job = { batch, n };

		if (groupcommit_run(&pt->gc, record_outcomes, &job) != 0)
			log_err("tenant %s: cannot record what was forwarded: %s (it will be "
				"forwarded again; the sanitizer makes each bundle once)",
				pt->t->name, db_errmsg(pt->t->db));
	}
	for (i = 0; i < n; i++) {
		free(batch[i].answers);
		free(batch[i].files);
		free(batch[i].proxy);
	}
	return forwarded;
}

int
forwarder_run_once(struct portald *p, time_t now)
{
	size_t i;
	int n = 0;

	for (i = 0; i < p->tenants.n; i++) {
		n += forward_tenant(p, &p->pt[i], now);
		/* After the tenant's applications: a reply goes only after its own. */
		n += replies_forward_tenant(p, &p->pt[i], now);
	}
	return n;
}

static void *
run(void *arg)
{
	struct forwarder *f = arg;
	struct portald *p = f->p;
	struct timespec until;

	pthread_mutex_lock(&p->forward_mu);
	while (!p->stopping) {
		p->forward_kick = false;
		pthread_mutex_unlock(&p->forward_mu);
		/* A full batch means more may be waiting: go again without sleeping. */
		while (forwarder_run_once(p, time(NULL)) >= FORWARDER_BATCH &&
		       !__atomic_load_n(&p->stopping, __ATOMIC_RELAXED))
			;
		pthread_mutex_lock(&p->forward_mu);
		if (p->stopping || p->forward_kick)
			continue;
		deadline_after_ms(&until, IDLE_WAIT_MS);
		pthread_cond_timedwait(&p->forward_cv, &p->forward_mu, &until);
	}
	pthread_mutex_unlock(&p->forward_mu);
	return NULL;
}

int
forwarder_start(struct forwarder **out, struct portald *p, char *err, size_t errlen)
{
	struct forwarder *f = calloc(1, sizeof *f);
	int rc;

	if (f == NULL) {
		snprintf(err, errlen, "forwarder: out of memory");
		return -1;
	}
	f->p = p;
	if ((rc = pthread_create(&f->thread, NULL, run, f)) != 0) {
		snprintf(err, errlen, "forwarder: thread: %s", strerror(rc));
		free(f);
		return -1;
	}
	f->started = true;
	*out = f;
	return 0;
}

void
forwarder_stop(struct forwarder *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->p->forward_mu);
	f->p->stopping = true;
	pthread_cond_broadcast(&f->p->forward_cv);
	pthread_mutex_unlock(&f->p->forward_mu);
	if (f->started)
		pthread_join(f->thread, NULL);
	free(f);
}
