/*
 * importer.c — one thread: claim an inbox bundle, verify, store, record; and now and
 * then, write the receipts.
 *
 * Order of durability for one bundle: the verified tar is linked (or copied) into
 * bundles/TENANT/ID.tar (fsync'd), then the rows are committed, then the inbox item
 * is finished. A crash between any two steps leaves the item in work/, which is
 * handed out again at the next start: the link already exists (EEXIST is fine), the
 * rows already exist (the UNIQUE bundle id makes the insert a no-op), and the item is
 * finished this time. Nothing is lost, nothing is stored twice.
 */
#include "importer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "crypto.h"
#include "fsio.h"
#include "jsonio.h"
#include "log.h"
#include "office_proctest.h"
#include "office_replies.h"
#include "quarantine.h"
#include "reply.h"
#include "routing.h"
#include "staff_notify.h"

struct importer {
	struct importer_config cfg;
	pthread_t thread;
	volatile int stopping;
	pthread_mutex_t lock;
	uint64_t imported, duplicates, quarantined, receipts, errors;
	uint64_t replies, deferred;
};

static void
quarantine(struct importer *im, const struct spool_item *item, const char *reason)
{
	char name[SPOOL_ID_MAX + 8], dst[PATH_MAX];

	snprintf(name, sizeof name, "inbox-%s", item->id);
	if (quarantine_keep(im->cfg.quarantine_dir, name, item->path, QUARANTINE_LINK, reason,
			    dst, sizeof dst) != 0)
		log_err("officed: cannot quarantine %s: %s", item->id, strerror(errno));
	pthread_mutex_lock(&im->lock);
	im->quarantined++;
	pthread_mutex_unlock(&im->lock);
	struct log_field fl[] = { { "BUNDLE", item->id }, { "REASON", reason } };
	log_fields(LOG_LEVEL_ERR, fl, 2, "officed: bundle %s refused at import and quarantined: %s",
		   item->id, reason);
}

/* Link the verified tar to its permanent place (a copy under systemd, where the
 * inbox and bundles/ are two mounts: fsio_link). */
static int
store_bundle(struct importer *im, const struct spool_item *item, const char *tenant,
	     char *path, size_t pathlen)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof dir, "%s/%s", im->cfg.bundles_dir, tenant);
	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		return -1;
	snprintf(path, pathlen, "%s/%s.tar", dir, item->id);
	if (fsio_link(item->path, path) == 0)
		return 0;
	/* Placed before a crash: make sure its name is durable, as fsio_link would. */
	return errno == EEXIST ? fsio_fsync_dir(dir) : -1;
}

/* Routing: the department of the procedure version the application names (of the
 * newest version if officed does not hold that one; none, i.e. administrators only,
 * if it holds no version: published by hand), unless one of that version's routing
 * rules picks another by an answer (routing.h). 0 for none, -1 on a database error.
 * That version's staff addresses (staff_notify.h) go to *staff (malloc'd, or NULL). */
static int64_t
department_for(struct db *db, const json_t *application, const char *id, long long version,
	       char **staff)
{
	sqlite3_stmt *st;
	int64_t dept = 0;
	json_t *rules = NULL;
	int rc;

	*staff = NULL;
	if (id == NULL)
		return 0;
	st = db_stmt(db, "SELECT department_id, routing, staff_notify FROM procedures WHERE id = ?1"
			 " ORDER BY version = ?2 DESC, version DESC LIMIT 1");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(st, 1);
		char err[64];

		dept = sqlite3_column_int64(st, 0);
		if (text != NULL)
			rules = jsonio_parse(text, strlen(text), 1 << 20, JSONIO_MAX_DEPTH, err,
					     sizeof err);
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			*staff = strdup((const char *)sqlite3_column_text(st, 2));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		json_decref(rules);
		free(*staff);
		*staff = NULL;
		return -1;
	}
	dept = routing_pick(rules, json_object_get(application, "answers"), dept);
	json_decref(rules);
	return dept;
}

/* The rows of one application, in one transaction. 1 if new, 0 if already there. */
static int
record(struct tenant *t, const struct bundle_info *info, const char *path,
       const char *sha_hex, const char *staff_base_url, char *err, size_t errlen)
{
	struct db *db = t->db;
	sqlite3_stmt *st;
	char *app = NULL, *man = NULL, *staff = NULL, proc_id[CATALOGUE_ID_MAX + 1];
	const json_t *proc;
	long long version = 0;
	bool has_version;
	int test;
	sqlite3_int64 app_id;
	int64_t dept;
	const json_t *f;
	size_t i;
	int rc = -1;

	if (db_begin(db) != SQLITE_OK) {
		snprintf(err, errlen, "%s", db_errmsg(db));
		return -1;
	}
	st = db_stmt(db, "SELECT 1 FROM applications WHERE bundle_id = ?1");
	if (st == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, info->id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		sqlite3_reset(st);
		db_rollback(db);
		return 0;
	}
	sqlite3_reset(st);
	app = jsonio_dump(info->application ? info->application : json_object());
	man = jsonio_dump(info->manifest);
	/* An application to a test version (office_proctest.h) is the draft's, kept
	 * apart: it is recorded under the draft's id and version with test = 1. */
	proc = json_object_get(info->application, "procedure");
	snprintf(proc_id, sizeof proc_id, "%s", jsonio_str(proc, "id", ""));
	has_version = jsonio_int(proc, "version", 1, 1000000000, &version) == 0;
	if ((test = office_proctest_resolve(db, proc_id, proc_id, sizeof proc_id, &version)) < 0)
		goto fail;
	if ((dept = department_for(db, info->application, proc_id[0] ? proc_id : NULL, version,
				   &staff)) < 0)
		goto fail;
	st = db_stmt(db, "INSERT INTO applications (bundle_id, received_at, application_json,"
			 " manifest_json, bundle_path, bundle_sha256, receipt_no, procedure_id,"
			 " procedure_version, department_id, updated_at, test) VALUES (?1,"
			 " strftime('%Y-%m-%dT%H:%M:%SZ','now'), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
			 " strftime('%Y-%m-%dT%H:%M:%SZ','now'), ?10)");
	if (st == NULL || app == NULL || man == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, info->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, app, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, man, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, sha_hex, -1, SQLITE_STATIC);
	{
		const char *receipt = jsonio_str(info->application, "receipt_no", NULL);

		/* A bundle id is "app-TENANT-RECEIPT" (portald's forwarder); the
		 * receipt in application.json is what the applicant was given. */
		if (receipt != NULL)
			sqlite3_bind_text(st, 6, receipt, -1, SQLITE_STATIC);
		if (proc_id[0] != '\0')
			sqlite3_bind_text(st, 7, proc_id, -1, SQLITE_STATIC);
		if (has_version || test > 0)
			sqlite3_bind_int64(st, 8, version);
		if (dept > 0)
			sqlite3_bind_int64(st, 9, dept);
		sqlite3_bind_int(st, 10, test > 0);
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		goto fail;
	}
	sqlite3_reset(st);
	app_id = sqlite3_last_insert_rowid(db_handle(db));
	st = db_stmt(db, "INSERT INTO application_history (application_id, at, actor,"
			 " to_status) VALUES (?1, strftime('%Y-%m-%dT%H:%M:%SZ','now'), '-',"
			 " 'arrived')");
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, app_id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto fail;
	json_array_foreach(json_object_get(info->manifest, "files"), i, f) {
		const char *att_name = jsonio_str(f, "attestation", "");
		char *att = jsonio_dump(json_object_get(info->attestations, att_name));

		st = db_stmt(db, "INSERT INTO attachments (application_id, member, attestation,"
				 " display_name, field) VALUES (?1, ?2, ?3, ?4, ?5)");
		if (st == NULL || att == NULL) {
			free(att);
			goto fail;
		}
		sqlite3_bind_int64(st, 1, app_id);
		sqlite3_bind_text(st, 2, jsonio_str(f, "file", ""), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, att, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, jsonio_str(f, "display_name", NULL), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, jsonio_str(f, "field", NULL), -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		free(att);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	if (staff != NULL) {
		struct staff_arrival a = {
			.tenant = t->name,
			.receipt_no = jsonio_str(info->application, "receipt_no", ""),
			.title = jsonio_str(json_object_get(info->application, "procedure"), "title", ""),
			.staff_base_url = staff_base_url ? staff_base_url : "",
		};
		char dname[256] = "";

		if (dept > 0 && (st = db_stmt(db, "SELECT name FROM departments WHERE id = ?1")) != NULL) {
			sqlite3_bind_int64(st, 1, dept);
			if (sqlite3_step(st) == SQLITE_ROW)
				snprintf(dname, sizeof dname, "%s", sqlite3_column_text(st, 0));
			sqlite3_reset(st);
		}
		a.department = dname;
		/* In this transaction: the staff hear of exactly the applications stored. */
		if (staff_notify_arrival(db, staff, &a) != 0)
			goto fail;
	}
	if (db_commit(db) != SQLITE_OK)
		goto fail;
	free(app);
	free(man);
	free(staff);
	return 1;
fail:
	snprintf(err, errlen, "%s", db_errmsg(db));
	db_rollback(db);
	free(app);
	free(man);
	free(staff);
	return -1;
}

static void
import_one(struct importer *im, const struct spool_item *item)
{
	struct bundle_check chk = { .signer_ring = im->cfg.sanitizer_ring,
				    .attest_ring = im->cfg.sanitizer_ring };
	struct bundle_info info;
	char err[512], path[PATH_MAX], hex[65];
	uint8_t sha[32];
	struct tenant *t;
	long long reply_no;
	bool is_reply;
	int fd, rc;

	bundle_limits_default(&chk.limits);
	if ((fd = open(item->path, O_RDONLY | O_CLOEXEC)) < 0) {
		log_err("officed: %s: %s", item->path, strerror(errno));
		spool_return(im->cfg.inbox, item);
		return;
	}
	rc = bundle_verify_fd(fd, &chk, &info, err, sizeof err);
	if (rc == BUNDLE_OK && (lseek(fd, 0, SEEK_SET) != 0 || crypto_sha256_fd(fd, sha) != 0))
		rc = BUNDLE_EIO;
	close(fd);
	if (rc != BUNDLE_OK) {
		quarantine(im, item, err);
		spool_commit(im->cfg.inbox, item);
		return;
	}
	is_reply = strcmp(info.kind, REPLY_KIND) == 0;
	if (strcmp(info.id, item->id) != 0 || (strcmp(info.kind, "application") != 0 && !is_reply) ||
	    (t = tenant_find(im->cfg.tenants, info.tenant)) == NULL) {
		snprintf(err, sizeof err, "bundle %s (kind %s) for tenant '%s' cannot be imported "
			 "here", info.id, info.kind, info.tenant);
		bundle_info_free(&info);
		quarantine(im, item, err);
		spool_commit(im->cfg.inbox, item);
		return;
	}
	/* A reply's document is checked before anything is stored: one that is not a
	 * reply is quarantined, never kept beside the applications. */
	if (is_reply && reply_doc_check(json_object_get(info.data, "data/reply.json"), info.tenant,
					&reply_no, err, sizeof err) != 0) {
		bundle_info_free(&info);
		quarantine(im, item, err);
		spool_commit(im->cfg.inbox, item);
		return;
	}
	crypto_hex(sha, 32, hex);
	if (store_bundle(im, item, info.tenant, path, sizeof path) != 0) {
		log_err("officed: bundle %s: cannot store: %s", item->id, strerror(errno));
		bundle_info_free(&info);
		spool_return(im->cfg.inbox, item);
		return;
	}
	pthread_mutex_lock(&t->lock);
	rc = is_reply ? office_replies_record(t->db, &info, path, hex, time(NULL), err, sizeof err)
		      : record(t, &info, path, hex, im->cfg.staff_base_url, err, sizeof err);
	pthread_mutex_unlock(&t->lock);
	bundle_info_free(&info);
	if (rc == OFFICE_REPLY_MALFORMED) {
		quarantine(im, item, err);
		spool_commit(im->cfg.inbox, item);
		return;
	}
	if (rc == OFFICE_REPLY_NO_APP) {
		/* The link may deliver a reply before its application: it waits behind
		 * whatever else is in the inbox (newest by mtime), not in front of it. */
		log_warn("officed: %s; deferred", err);
		(void)utimensat(AT_FDCWD, item->path, NULL, 0);
		pthread_mutex_lock(&im->lock);
		im->deferred++;
		pthread_mutex_unlock(&im->lock);
		spool_return(im->cfg.inbox, item);
		sleep(1);
		return;
	}
	if (rc < 0) {
		log_err("officed: bundle %s: cannot record: %s", item->id, err);
		pthread_mutex_lock(&im->lock);
		im->errors++;
		pthread_mutex_unlock(&im->lock);
		spool_return(im->cfg.inbox, item);
		sleep(1);
		return;
	}
	spool_commit(im->cfg.inbox, item);
	pthread_mutex_lock(&im->lock);
	rc ? (is_reply ? im->replies++ : im->imported++) : im->duplicates++;
	pthread_mutex_unlock(&im->lock);
	if (rc)
		log_info("officed: %s %s imported for %s", is_reply ? "reply" : "application",
			 item->id, t->name);
}

/* One receipt bundle per tenant with imports in the window. */
static void
write_receipts(struct importer *im)
{
	for (size_t i = 0; i < im->cfg.tenants->n; i++) {
		struct tenant *t = &im->cfg.tenants->t[i];
		json_t *ids = json_array(), *doc;
		sqlite3_stmt *st;
		char id[SPOOL_ID_MAX + 1], tmp[PATH_MAX], err[256];
		struct bundle_writer *w;
		int fd = -1;

		pthread_mutex_lock(&t->lock);
		st = db_stmt(t->db, "SELECT bundle_id FROM applications WHERE received_at >="
				    " strftime('%Y-%m-%dT%H:%M:%SZ','now', ?1) UNION ALL"
				    " SELECT bundle_id FROM application_replies WHERE received_at >="
				    " strftime('%Y-%m-%dT%H:%M:%SZ','now', ?1)");
		if (st != NULL) {
			char window[32];

			snprintf(window, sizeof window, "-%u seconds", im->cfg.receipt_window_s);
			sqlite3_bind_text(st, 1, window, -1, SQLITE_TRANSIENT);
			while (sqlite3_step(st) == SQLITE_ROW)
				json_array_append_new(ids, json_string((const char *)
								       sqlite3_column_text(st, 0)));
			sqlite3_reset(st);
		}
		pthread_mutex_unlock(&t->lock);
		if (json_array_size(ids) == 0) {
			json_decref(ids);
			continue;
		}
		/* "receipt-" ids are fire-and-forget for bridge-tx: receipts are never
		 * themselves receipted, the next cumulative one supersedes them. */
		snprintf(id, sizeof id, "receipt-%s-%lld", t->name, (long long)time(NULL));
		doc = json_pack("{s:o}", "received", ids);
		w = bundle_writer_new(id, t->name, "receipt");
		if (w == NULL || bundle_writer_add_json(w, "data/receipt.json", doc) != 0 ||
		    (fd = spool_tmp_open(im->cfg.downlink_out, tmp, sizeof tmp)) < 0) {
			bundle_writer_free(w);
			json_decref(doc);
			continue;
		}
		if (bundle_writer_write(w, fd, im->cfg.office_key, err, sizeof err) != 0) {
			log_err("officed: receipt for %s: %s", t->name, err);
			spool_tmp_discard(im->cfg.downlink_out, fd, tmp);
		} else if (spool_publish(im->cfg.downlink_out, fd, tmp, id) == SPOOL_OK) {
			pthread_mutex_lock(&im->lock);
			im->receipts++;
			pthread_mutex_unlock(&im->lock);
		}
		bundle_writer_free(w);
		json_decref(doc);
	}
}

static void *
run(void *arg)
{
	struct importer *im = arg;
	time_t last_receipts = 0;
	/* A bundle is imported when it lands in the inbox, not at the next look. */
	int watch = spool_watch(im->cfg.inbox);

	if (watch < 0)
		log_warn("officed: %s: cannot watch for bundles, looking every 100 ms: %s",
			 im->cfg.inbox->root, strerror(-watch));
	while (!im->stopping) {
		struct spool_item item;

		if (time(NULL) - last_receipts >= (time_t)im->cfg.receipt_interval_s) {
			write_receipts(im);
			last_receipts = time(NULL);
		}
		if (spool_claim(im->cfg.inbox, &item) == SPOOL_OK) {
			import_one(im, &item);
			continue;
		}
		(void)spool_wait(watch, 100);
	}
	if (watch >= 0)
		close(watch);
	return NULL;
}

int
importer_start(struct importer **out, const struct importer_config *cfg, char *err,
	       size_t errlen)
{
	struct importer *im = calloc(1, sizeof *im);
	int rc;

	if (im == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	im->cfg = *cfg;
	if (mkdir(cfg->bundles_dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", cfg->bundles_dir, strerror(errno));
		free(im);
		return -1;
	}
	if ((rc = spool_recover(cfg->inbox)) < 0) {
		snprintf(err, errlen, "%s: cannot recover: %s", cfg->inbox->root, strerror(-rc));
		free(im);
		return -1;
	}
	pthread_mutex_init(&im->lock, NULL);
	if (pthread_create(&im->thread, NULL, run, im) != 0) {
		snprintf(err, errlen, "cannot start the import thread");
		pthread_mutex_destroy(&im->lock);
		free(im);
		return -1;
	}
	*out = im;
	return 0;
}

void
importer_stop(struct importer *im)
{
	if (im == NULL)
		return;
	im->stopping = 1;
	pthread_join(im->thread, NULL);
	pthread_mutex_destroy(&im->lock);
	free(im);
}

json_t *
importer_metrics(struct importer *im)
{
	json_t *m;

	pthread_mutex_lock(&im->lock);
	m = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "imported", (json_int_t)im->imported,
		      "replies", (json_int_t)im->replies, "deferred", (json_int_t)im->deferred,
		      "duplicates", (json_int_t)im->duplicates,
		      "quarantined", (json_int_t)im->quarantined,
		      "receipts_written", (json_int_t)im->receipts,
		      "errors", (json_int_t)im->errors);
	pthread_mutex_unlock(&im->lock);
	return m;
}
