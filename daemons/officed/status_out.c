/*
 * status_out.c — the status outbox and its bundles (see status_out.h).
 *
 * Order for one bundle: (1) in one transaction, the oldest waiting rows get the
 * bundle id; (2) the bundle is built from exactly the rows with that id and
 * published into the spool; (3) the rows are marked sent. After a crash at (2) the
 * rows still have their id and no sent_at: the next flush starts with them, makes the
 * same bundle under the same id (SPOOL_EXISTS is success) and goes on.
 */
#include "status_out.h"

#include <stdio.h>
#include <string.h>

#include "bundle.h"
#include "jsonio.h"
#include "log.h"
#include "timefmt.h"

int
status_out_enqueue(struct db *db, const char *receipt_no, const char *status, time_t at,
		   const char *message)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO status_outbox (receipt_no, status, at,"
				       " message) VALUES (?1, ?2, ?3, ?4)");
	char when[TIMEFMT_LEN];
	int rc;

	if (st == NULL)
		return -1;
	timefmt_jst_rfc3339(at, when);
	sqlite3_bind_text(st, 1, receipt_no, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, when, -1, SQLITE_TRANSIENT);
	if (message != NULL && message[0] != '\0')
		sqlite3_bind_text(st, 4, message, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
status_out_enqueue_message(struct db *db, const char *receipt_no, const char *status,
			   time_t at, const char *message, int reply_invited)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO status_outbox (receipt_no, status, at,"
				       " message, kind, reply_invited) VALUES (?1, ?2, ?3, ?4,"
				       " 'message', ?5)");
	char when[TIMEFMT_LEN];
	int rc;

	if (st == NULL || message == NULL || message[0] == '\0')
		return -1;
	timefmt_jst_rfc3339(at, when);
	sqlite3_bind_text(st, 1, receipt_no, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, when, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, message, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, reply_invited ? 1 : 0);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The id of a bundle begun and not yet recorded as sent, or a new one given to the
 * oldest waiting rows. 1 with id, 0 if nothing waits, -1 on error. Lock held. */
static int
claim_batch(struct tenant *t, char id[SPOOL_ID_MAX + 1])
{
	struct db *db = t->db;
	sqlite3_stmt *st;
	sqlite3_int64 first = 0;
	int rc;

	st = db_stmt(db, "SELECT bundle_id FROM status_outbox WHERE bundle_id IS NOT NULL"
			 " AND sent_at IS NULL ORDER BY id LIMIT 1");
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(id, SPOOL_ID_MAX + 1, "%s", sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return -1;
	st = db_stmt(db, "SELECT min(id) FROM status_outbox WHERE bundle_id IS NULL");
	if (st == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		first = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (first == 0)
		return 0;
	snprintf(id, SPOOL_ID_MAX + 1, "status-%s-%lld", t->name, (long long)first);
	if (db_begin(db) != SQLITE_OK)
		return -1;
	st = db_stmt(db, "UPDATE status_outbox SET bundle_id = ?1 WHERE bundle_id IS NULL"
			 " AND id < ?2");
	if (st == NULL) {
		db_rollback(db);
		return -1;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, first + STATUS_OUT_MAX_EVENTS);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE || db_commit(db) != SQLITE_OK) {
		db_rollback(db);
		return -1;
	}
	return 1;
}

/* data/status.json of the rows of bundle id (lock held). NULL on error. */
static json_t *
batch_events(struct db *db, const char *id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT receipt_no, status, at, message, kind,"
				       " reply_invited FROM status_outbox WHERE bundle_id = ?1"
				       " ORDER BY id");
	json_t *events = json_array();
	int rc;

	if (st == NULL || events == NULL) {
		json_decref(events);
		return NULL;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *e = json_pack("{s:s,s:s,s:s}",
				      "receipt_no", (const char *)sqlite3_column_text(st, 0),
				      "status", (const char *)sqlite3_column_text(st, 1),
				      "at", (const char *)sqlite3_column_text(st, 2));
		if (e != NULL && sqlite3_column_type(st, 3) != SQLITE_NULL)
			json_object_set_new(e, "message",
					    json_string((const char *)sqlite3_column_text(st, 3)));
		/* A message without a status change; a status event has no "type", as
		 * before, so an internet zone not yet updated reads it unchanged. */
		if (e != NULL && strcmp((const char *)sqlite3_column_text(st, 4), "message") == 0)
			json_object_set_new(e, "type", json_string("message"));
		if (e != NULL && sqlite3_column_int(st, 5))
			json_object_set_new(e, "reply_invited", json_true());
		json_array_append_new(events, e);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(events);
		return NULL;
	}
	return json_pack("{s:s,s:o}", "format", "sekisho-status/1", "events", events);
}

static int
write_bundle(struct tenant *t, struct spool *out, const uint8_t key[32], const char *id,
	     const json_t *doc, char *err, size_t errlen)
{
	struct bundle_writer *w = bundle_writer_new(id, t->name, "status");
	char tmp[PATH_MAX];
	int fd, rc;

	if (w == NULL || bundle_writer_add_json(w, "data/status.json", doc) != BUNDLE_OK) {
		bundle_writer_free(w);
		snprintf(err, errlen, "%s: cannot build the bundle", id);
		return -1;
	}
	if ((fd = spool_tmp_open(out, tmp, sizeof tmp)) < 0) {
		bundle_writer_free(w);
		snprintf(err, errlen, "%s: downlink-out: %s", id, strerror(-fd));
		return -1;
	}
	if (bundle_writer_write(w, fd, key, err, errlen) != 0) {
		spool_tmp_discard(out, fd, tmp);
		bundle_writer_free(w);
		return -1;
	}
	bundle_writer_free(w);
	rc = spool_publish(out, fd, tmp, id);
	if (rc != SPOOL_OK && rc != SPOOL_EXISTS) {
		snprintf(err, errlen, "%s: publish: %s", id, rc == SPOOL_EBADID ? "bad id"
			 : strerror(-rc));
		return -1;
	}
	return 0;
}

static int
mark_sent(struct db *db, const char *id, time_t now)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE status_outbox SET sent_at = ?2 WHERE"
				       " bundle_id = ?1");
	char when[TIMEFMT_LEN];
	int rc;

	if (st == NULL)
		return -1;
	timefmt_utc(now, when);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, when, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
status_out_flush(struct tenant *t, struct spool *out, const uint8_t office_key[32],
		 time_t now, char *err, size_t errlen)
{
	int n = 0;

	pthread_mutex_lock(&t->lock);
	while (n < STATUS_OUT_MAX_BUNDLES) {
		char id[SPOOL_ID_MAX + 1];
		json_t *doc;
		int rc = claim_batch(t, id);

		if (rc == 0)
			break;
		if (rc < 0 || (doc = batch_events(t->db, id)) == NULL) {
			snprintf(err, errlen, "status outbox: %s", db_errmsg(t->db));
			n = -1;
			break;
		}
		rc = write_bundle(t, out, office_key, id, doc, err, errlen);
		json_decref(doc);
		if (rc != 0) {
			n = -1;
			break;
		}
		if (mark_sent(t->db, id, now) != 0) {
			snprintf(err, errlen, "status outbox: %s", db_errmsg(t->db));
			n = -1;
			break;
		}
		n++;
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}
