/*
 * downlink.c — applying office-signed bundles from spool/downlink-in.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalogue.h"
#include "deadline.h"
#include "documents.h"
#include "downlink.h"
#include "jsonio.h"
#include "log.h"
#include "notify.h"
#include "procfile.h"
#include "quarantine.h"
#include "timefmt.h"

#define IDLE_WAIT_MS 500

struct downlink {
	struct portald *p;
	const char *quarantine_dir;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, started;
	unsigned long applied, duplicates, refused, errors;
};

static const char *const known_statuses[] = {
	"accepted", "review", "correction", "held", "returned", "result", "completed",
	"rejected", NULL,
};

/* data/status.json: {"format": "sekisho-status/1", "events": [{"receipt_no",
 * "status", "at", "message", "type", "reply_invited"}]}; "type": "message" is a message
 * from the office without a status change (its status is the current one). */
/* The email an event sends, if its procedure says so: inside the transaction. */
static int
notify_status(struct portald *p, const char *tenant, struct db *db, const char *receipt,
	      const char *status, const char *message, time_t at)
{
	struct notify_event ev = { tenant, receipt, status, message, at };

	return notify_enqueue_event(db, p, &ev);
}

static int
apply_status(struct portald *p, const char *tenant, struct db *db, const json_t *msg,
	     char *err, size_t errlen)
{
	const json_t *events = json_object_get(msg, "events"), *e;
	const char *const *k;
	size_t i;

	if (strcmp(jsonio_str(msg, "format", ""), "sekisho-status/1") != 0 ||
	    !json_is_array(events) || json_array_size(events) > DOWNLINK_STATUS_MAX_EVENTS) {
		snprintf(err, errlen, "status: not sekisho-status/1 with at most %d events",
			 DOWNLINK_STATUS_MAX_EVENTS);
		return -1;
	}
	json_array_foreach(events, i, e) {
		const char *receipt = jsonio_str(e, "receipt_no", NULL);
		const char *status = jsonio_str(e, "status", NULL);
		const char *message = jsonio_str(e, "message", NULL);
		const char *type = jsonio_str(e, "type", "status");
		bool is_message = strcmp(type, "message") == 0;
		/* A correction request is always answerable; a message when it says so. */
		bool invited = is_message ? json_is_true(json_object_get(e, "reply_invited"))
					  : status != NULL && strcmp(status, "correction") == 0;
		time_t at;
		sqlite3_stmt *st;

		for (k = known_statuses; status && *k; k++)
			if (strcmp(status, *k) == 0)
				break;
		if (receipt == NULL || status == NULL ||
		    (*k == NULL && !(is_message && strcmp(status, "arrived") == 0)) ||
		    (!is_message && strcmp(type, "status") != 0) || (is_message && message == NULL) ||
		    timefmt_parse_rfc3339(jsonio_str(e, "at", ""), &at) != 0 ||
		    (message && strlen(message) > 20000)) {
			snprintf(err, errlen, "status: events[%zu] is malformed", i);
			return -1;
		}
		/* A message leaves the status as it is; the UPDATE only finds the row. */
		st = db_stmt(db, is_message ? "UPDATE applications SET status = status WHERE"
					      " receipt_no = ?2 AND ?1 IS NOT NULL"
					    : "UPDATE applications SET status = ? WHERE receipt_no = ?");
		if (st == NULL)
			return -1;
		sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, receipt, -1, SQLITE_STATIC);
		if (db_step_done(st) != 0)
			goto dberr;
		if (sqlite3_changes(db_handle(db)) == 0) {
			/* An application this node does not hold (restored from an older
			 * backup, say): nothing to attach the event to. */
			log_warn("status event for unknown application %s ignored", receipt);
			continue;
		}
		st = db_stmt(db, "INSERT INTO application_events (receipt_no, status, message, "
				 "at, source, kind, reply_invited) VALUES (?, ?, ?, ?, 'office', ?, ?)");
		if (st == NULL)
			goto dberr;
		sqlite3_bind_text(st, 1, receipt, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
		if (message)
			sqlite3_bind_text(st, 3, message, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)at);
		sqlite3_bind_text(st, 5, is_message ? "message" : "status", -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 6, invited ? 1 : 0);
		if (db_step_done(st) != 0 ||
		    notify_status(p, tenant, db, receipt, is_message ? "message" : status, message,
				  at) != 0)
			goto dberr;
	}
	return 0;
dberr:
	snprintf(err, errlen, "status: database: %s", db_errmsg(db));
	return -1;
}

/* The files the message's definitions list (procfile.h), from the bundle's members
 * into procedure_files, each checked against its listed SHA-256 and size as it is
 * read. Inside the caller's transaction: a catalogue is applied with all its files or
 * not at all. */
static int
store_files(struct db *db, const json_t *msg, const char *path, char *err, size_t errlen)
{
	const json_t *proc, *f;
	size_t i, k;

	json_array_foreach(json_object_get(msg, "procedures"), i, proc) {
		json_array_foreach(json_object_get(proc, "files"), k, f) {
			const char *sha = jsonio_str(f, "sha256", "");
			long long size = json_integer_value(json_object_get(f, "size"));
			char member[72], *data = NULL;
			sqlite3_stmt *st;
			int have, rc;

			if ((st = db_stmt(db, "SELECT 1 FROM procedure_files WHERE sha256 = ?1")) == NULL)
				return -1;
			sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
			have = sqlite3_step(st) == SQLITE_ROW;
			sqlite3_reset(st);
			if (have)
				continue;
			if (path == NULL) {
				snprintf(err, errlen, "files: the bundle's members cannot be read here");
				return -1;
			}
			procfile_member(sha, member);
			if (bundle_read_member(path, member, sha, size, &data, err, errlen) != 0)
				return -1;
			st = db_stmt(db, "INSERT INTO procedure_files (sha256, size, data) VALUES (?1, ?2, ?3)");
			if (st != NULL) {
				sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
				sqlite3_bind_int64(st, 2, size);
				sqlite3_bind_blob(st, 3, data, (int)size, SQLITE_STATIC);
			}
			rc = db_step_done(st);
			free(data);
			if (rc != 0) {
				snprintf(err, errlen, "files: %s", db_errmsg(db));
				return -1;
			}
		}
	}
	return 0;
}

int
downlink_apply(struct portald *p, const struct bundle_info *info, time_t now, char *err,
	       size_t errlen)
{
	return downlink_apply_bundle(p, info, NULL, now, err, errlen);
}

int
downlink_apply_bundle(struct portald *p, const struct bundle_info *info, const char *path,
		      time_t now, char *err, size_t errlen)
{
	struct portal_tenant *pt = portal_tenant(p, info->tenant);
	struct db *db;
	sqlite3_stmt *st;
	int rc = -1, seen;

	if (pt == NULL) {
		snprintf(err, errlen, "unknown tenant %s", info->tenant);
		return -1;
	}
	db = pt->t->db;
	pthread_mutex_lock(&pt->t->lock);
	if (db_begin(db) != SQLITE_OK) {
		snprintf(err, errlen, "begin: %s", db_errmsg(db));
		goto out;
	}
	st = db_stmt(db, "SELECT 1 FROM downlink_applied WHERE bundle_id = ?");
	if (st == NULL)
		goto rollback;
	sqlite3_bind_text(st, 1, info->id, -1, SQLITE_STATIC);
	seen = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (seen) {
		db_rollback(db);
		rc = 1;
		goto out;
	}
	if (strcmp(info->kind, "catalogue") == 0) {
		if (catalogue_apply(db, json_object_get(info->data, "data/catalogue.json"),
				    info->tenant, &p->office_keys, now, err, errlen) != 0 ||
		    store_files(db, json_object_get(info->data, "data/catalogue.json"), path, err,
				errlen) != 0)
			goto rollback;
	} else if (strcmp(info->kind, "status") == 0) {
		if (apply_status(p, info->tenant, db,
				 json_object_get(info->data, "data/status.json"), err, errlen) != 0)
			goto rollback;
	} else if (strcmp(info->kind, "document") == 0) {
		if (documents_apply(p, db, info->tenant, info, path, err, errlen) != 0)
			goto rollback;
	} else {
		snprintf(err, errlen, "kind %s is not applied by the portal", info->kind);
		goto rollback;
	}
	st = db_stmt(db, "INSERT INTO downlink_applied (bundle_id, kind, applied_at) "
			 "VALUES (?, ?, ?)");
	if (st == NULL)
		goto rollback;
	sqlite3_bind_text(st, 1, info->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, info->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	if (db_step_done(st) != 0 || db_commit(db) != SQLITE_OK) {
		snprintf(err, errlen, "commit: %s", db_errmsg(db));
		goto rollback;
	}
	rc = 0;
	if (strcmp(info->kind, "catalogue") == 0)
		proccache_clear(&pt->procs);
	goto out;
rollback:
	db_rollback(db);
out:
	pthread_mutex_unlock(&pt->t->lock);
	return rc;
}

/* One claimed bundle: verify, apply, finish. A bundle that cannot be applied is not
 * retried forever: it is quarantined with the reason, for an operator to look at. */
static void
process(struct downlink *d, const struct spool_item *item)
{
	struct bundle_check chk = { .signer_ring = &d->p->office_keys };
	struct bundle_info info;
	char err[512], dst[PATH_MAX];
	int fd, rc;

	bundle_limits_default(&chk.limits);
	if ((fd = open(item->path, O_RDONLY | O_CLOEXEC)) < 0) {
		log_err("downlink bundle %s: open: %s", item->id, strerror(errno));
		d->errors++;
		spool_return(&d->p->downlink_in, item);
		return;
	}
	rc = bundle_verify_fd(fd, &chk, &info, err, sizeof err);
	close(fd);
	if (rc != BUNDLE_OK) {
		log_err("downlink bundle %s refused: %s: %s", item->id, bundle_strerror(rc), err);
		goto refuse;
	}
	rc = downlink_apply_bundle(d->p, &info, item->path, time(NULL), err, sizeof err);
	if (rc < 0) {
		log_err("downlink bundle %s (%s, tenant %s) not applied: %s", item->id, info.kind,
			info.tenant, err);
		bundle_info_free(&info);
		goto refuse;
	}
	if (rc == 1)
		d->duplicates++;
	else {
		d->applied++;
		log_info("downlink bundle %s applied: %s for tenant %s", item->id, info.kind,
			 info.tenant);
	}
	bundle_info_free(&info);
	spool_commit(&d->p->downlink_in, item);
	return;
refuse:
	d->refused++;
	if (quarantine_keep(d->quarantine_dir, item->id, item->path, QUARANTINE_LINK, err, dst,
			    sizeof dst) != 0)
		log_err("downlink bundle %s: cannot quarantine: %s", item->id, strerror(errno));
	spool_commit(&d->p->downlink_in, item);
}

int
downlink_drain(struct downlink *d)
{
	struct spool_item item;
	int n = 0, rc;

	while ((rc = spool_claim(&d->p->downlink_in, &item)) == SPOOL_OK) {
		process(d, &item);
		n++;
	}
	if (rc < 0 && rc != SPOOL_EMPTY) {
		log_err("downlink-in spool: claim: %s", strerror(-rc));
		d->errors++;
	}
	return n;
}

static void *
run(void *arg)
{
	struct downlink *d = arg;
	struct timespec until;

	pthread_mutex_lock(&d->mu);
	while (!d->stop) {
		pthread_mutex_unlock(&d->mu);
		downlink_drain(d);
		pthread_mutex_lock(&d->mu);
		if (d->stop)
			break;
		deadline_after_ms(&until, IDLE_WAIT_MS);
		pthread_cond_timedwait(&d->cv, &d->mu, &until);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

int
downlink_start(struct downlink **out, struct portald *p, const char *quarantine_dir,
	       char *err, size_t errlen)
{
	struct downlink *d = calloc(1, sizeof *d);
	int rc;

	if (d == NULL) {
		snprintf(err, errlen, "downlink consumer: out of memory");
		return -1;
	}
	d->p = p;
	d->quarantine_dir = quarantine_dir;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	if ((rc = spool_recover(&p->downlink_in)) < 0) {
		snprintf(err, errlen, "downlink-in spool: recover: %s", strerror(-rc));
		goto fail;
	}
	if ((rc = pthread_create(&d->thread, NULL, run, d)) != 0) {
		snprintf(err, errlen, "downlink consumer: thread: %s", strerror(rc));
		goto fail;
	}
	d->started = true;
	*out = d;
	return 0;
fail:
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	free(d);
	return -1;
}

void
downlink_stop(struct downlink *d)
{
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	d->stop = true;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
	if (d->started)
		pthread_join(d->thread, NULL);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

json_t *
downlink_metrics(struct downlink *d)
{
	return json_pack("{s:I,s:I,s:I,s:I}", "applied", (json_int_t)d->applied, "duplicates",
			 (json_int_t)d->duplicates, "refused", (json_int_t)d->refused,
			 "errors", (json_int_t)d->errors);
}
