/*
 * office_replies.c — replies recorded at import, and the correspondence as staff
 * read it (see office_replies.h).
 *
 * A reply never moves an application anywhere but out of 補正, and only to the step
 * the transition table resumes at: an applicant's bytes cannot complete, reject or
 * reopen anything. A reply to an application in any other state is kept and shown,
 * and changes nothing.
 */
#include "office_replies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_log.h"
#include "jsonio.h"
#include "office_procedures.h"
#include "reply.h"
#include "status_out.h"
#include "timefmt.h"
#include "workflow.h"

#define MANIFEST_TEXT_MAX (8 * 1024 * 1024)

static void
jst(const char *utc, char out[TIMEFMT_LEN])
{
	time_t t;

	if (utc != NULL && timefmt_parse_rfc3339(utc, &t) == 0)
		timefmt_jst_rfc3339(t, out);
	else
		snprintf(out, TIMEFMT_LEN, "%s", utc ? utc : "");
}

struct target_app {
	int64_t id;
	int status;
	char proc[72];
	long long version;
};

/* The application of receipt (the first imported under it). 1, 0 none, -1 error. */
static int
find_app(struct db *db, const char *receipt, struct target_app *a)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, status, procedure_id, procedure_version FROM"
				       " applications WHERE receipt_no = ?1 ORDER BY id LIMIT 1");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, receipt, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		a->id = sqlite3_column_int64(st, 0);
		a->status = workflow_parse((const char *)sqlite3_column_text(st, 1));
		snprintf(a->proc, sizeof a->proc, "%s",
			 sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2) : "");
		a->version = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
insert_reply(struct db *db, const struct bundle_info *info, int64_t app_id, long long no,
	     const json_t *doc, const char *path, const char *sha_hex, const char *received,
	     int from, int to)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO application_replies (application_id,"
				       " bundle_id, reply_no, received_at, submitted_at, body,"
				       " manifest_json, bundle_path, bundle_sha256, from_status,"
				       " to_status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
				       " ?10, ?11)");
	char *man = jsonio_dump(info->manifest);
	int rc;

	if (st == NULL || man == NULL) {
		free(man);
		return -1;
	}
	sqlite3_bind_int64(st, 1, app_id);
	sqlite3_bind_text(st, 2, info->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, no);
	sqlite3_bind_text(st, 4, received, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, jsonio_str(doc, "submitted_at", ""), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, jsonio_str(doc, "text", ""), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, man, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, sha_hex, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, workflow_code(from), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, workflow_code(to), -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	free(man);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* 補正 → to, as the applicant's reply: the same three rows a clerk's change writes. */
static int
resume(struct db *db, int64_t app_id, const char *receipt, int to, const char *at, time_t now)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE applications SET status = ?2, updated_at = ?3"
				       " WHERE id = ?1 AND status = 'correction'");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, app_id);
	sqlite3_bind_text(st, 2, workflow_code(to), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, at, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE || sqlite3_changes(db_handle(db)) != 1)
		return -1;
	st = db_stmt(db, "INSERT INTO application_history (application_id, at, actor,"
			 " from_status, to_status) VALUES (?1, ?2, ?3, 'correction', ?4)");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, app_id);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, OFFICE_REPLY_ACTOR, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, workflow_code(to), -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	return status_out_enqueue(db, receipt, workflow_code(to), now, NULL);
}

int
office_replies_record(struct db *db, const struct bundle_info *info, const char *path,
		      const char *sha_hex, time_t now, char *err, size_t errlen)
{
	const json_t *doc = json_object_get(info->data, "data/reply.json");
	char want[129], at[TIMEFMT_LEN], target[REPLY_RECEIPT_MAX + 16];
	struct target_app a = { 0 };
	struct office_procedure p;
	const char *receipt;
	long long no = 0;
	sqlite3_stmt *st;
	json_t *d;
	int from, to, rc;

	if (strcmp(info->kind, REPLY_KIND) != 0 || info->application != NULL ||
	    reply_doc_check(doc, info->tenant, &no, err, errlen) != 0)
		return OFFICE_REPLY_MALFORMED;
	receipt = jsonio_str(doc, "receipt_no", "");
	if (reply_bundle_id(info->tenant, receipt, no, want, sizeof want) != 0 ||
	    strcmp(want, info->id) != 0) {
		snprintf(err, errlen, "reply bundle %s is not named %s", info->id, want);
		return OFFICE_REPLY_MALFORMED;
	}
	if (db_begin(db) != SQLITE_OK)
		goto dberr;
	st = db_stmt(db, "SELECT 1 FROM application_replies WHERE bundle_id = ?1");
	if (st == NULL)
		goto dberr;
	sqlite3_bind_text(st, 1, info->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW) {
		db_rollback(db);
		return OFFICE_REPLY_DUPLICATE;
	}
	if ((rc = find_app(db, receipt, &a)) < 0)
		goto dberr;
	if (rc == 0) {
		db_rollback(db);
		snprintf(err, errlen, "reply %s: application %s is not here (yet)", info->id, receipt);
		return OFFICE_REPLY_NO_APP;
	}
	if (office_procedure_load(db, a.proc[0] ? a.proc : NULL, a.version, &p) != 0)
		goto dberr;
	office_procedure_free(&p);
	from = a.status;
	to = from == WF_CORRECTION ? workflow_resume(p.used) : from;
	timefmt_utc(now, at);
	if (insert_reply(db, info, a.id, no, doc, path, sha_hex, at, from, to) != 0)
		goto dberr;
	if (to != from && resume(db, a.id, receipt, to, at, now) != 0)
		goto dberr;
	snprintf(target, sizeof target, "application:%s", receipt);
	d = json_pack("{s:s,s:I,s:I,s:s,s:s}", "bundle", info->id, "reply_no", (json_int_t)no,
		      "files", (json_int_t)json_array_size(json_object_get(info->manifest, "files")),
		      "from", workflow_code(from), "to", workflow_code(to));
	rc = audit_log_append(db, OFFICE_REPLY_ACTOR, "application.reply", target, "uplink", d,
			      now, err, errlen);
	json_decref(d);
	if (rc != 0) {
		db_rollback(db);
		return OFFICE_REPLY_DBERR;
	}
	if (db_commit(db) != SQLITE_OK)
		goto dberr;
	return OFFICE_REPLY_NEW;
dberr:
	snprintf(err, errlen, "reply %s: %s", info->id, db_errmsg(db));
	db_rollback(db);
	return OFFICE_REPLY_DBERR;
}

int
office_replies_add_message(struct db *db, int64_t app_id, const char *at, const char *author,
			   const char *kind, const char *body, int reply_invited)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO application_messages (application_id, at,"
				       " author, kind, body, reply_invited) VALUES (?1, ?2, ?3, ?4,"
				       " ?5, ?6)");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, app_id);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, author, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, body, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, reply_invited ? 1 : 0);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

json_t *
office_replies_messages_json(struct db *db, int64_t app_id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT kind, at, author, body, reply_invited FROM"
				       " application_messages WHERE application_id = ?1 ORDER BY id");
	json_t *out = json_array();

	if (st == NULL)
		return out;
	sqlite3_bind_int64(st, 1, app_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char at[TIMEFMT_LEN];

		jst((const char *)sqlite3_column_text(st, 1), at);
		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s,s:b}",
			"kind", (const char *)sqlite3_column_text(st, 0), "at", at,
			"author", (const char *)sqlite3_column_text(st, 2),
			"body", (const char *)sqlite3_column_text(st, 3),
			"reply_invited", sqlite3_column_int(st, 4)));
	}
	sqlite3_reset(st);
	return out;
}

json_t *
office_replies_json(struct db *db, int64_t app_id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT reply_no, received_at, submitted_at, body,"
				       " from_status, to_status, manifest_json FROM"
				       " application_replies WHERE application_id = ?1 ORDER BY id");
	json_t *out = json_array();

	if (st == NULL)
		return out;
	sqlite3_bind_int64(st, 1, app_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(st, 6);
		char at[TIMEFMT_LEN], perr[64];
		json_t *man = jsonio_parse(text, strlen(text), MANIFEST_TEXT_MAX, JSONIO_MAX_DEPTH,
					   perr, sizeof perr);
		json_t *files = json_array(), *f;
		int from = workflow_parse((const char *)sqlite3_column_text(st, 4));
		int to = workflow_parse((const char *)sqlite3_column_text(st, 5));
		size_t i;

		json_array_foreach(json_object_get(man, "files"), i, f) {
			const char *member = jsonio_str(f, "file", "");
			const char *dot = strrchr(member, '.');

			json_array_append_new(files, json_pack("{s:I,s:s,s:s}", "n", (json_int_t)(i + 1),
				"display_name", jsonio_str(f, "display_name", member),
				"type", dot ? dot + 1 : ""));
		}
		json_decref(man);
		jst((const char *)sqlite3_column_text(st, 1), at);
		json_array_append_new(out, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:o}",
			"reply_no", (json_int_t)sqlite3_column_int64(st, 0), "at", at,
			"submitted_at", (const char *)sqlite3_column_text(st, 2),
			"body", (const char *)sqlite3_column_text(st, 3),
			"from_status", workflow_code(from), "to_status", workflow_code(to),
			"to_label", workflow_label(to), "files", files));
	}
	sqlite3_reset(st);
	return out;
}
