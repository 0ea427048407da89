/*
 * office_applications.c — the staff's work on applications (see
 * office_applications.h).
 *
 * What this file keeps true:
 *  - A status changes only through change_status: the transition table
 *    (workflow.h) with the procedure's steps decides, and the change, its history
 *    row, its downlink event (status_out.h) and its audit entry are one
 *    transaction. Nothing else writes applications.status.
 *  - Every read of an application's personal data (its detail, a file, an export) is
 *    in the audit log, as the issue requires of every view.
 *  - An attachment is served only from the bundle stored at import, and only if
 *    its bytes still hash to what the import-verified manifest says (the manifest
 *    signature and the attestation were checked at import, and `sekishoctl audit
 *    verify-store` re-checks them whole): a stored tar changed since is refused,
 *    not shown. Re-verifying the whole bundle on every view would read up to
 *    512 MiB for one page.
 */
#include "office_applications.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app_files.h"
#include "app_query.h"
#include "app_view.h"
#include "fee.h"
#include "crypto.h"
#include "csvio.h"
#include "jsonio.h"
#include "log.h"
#include "office_auth.h"
#include "office_procedures.h"
#include "office_replies.h"
#include "office_query.h"
#include "status_out.h"
#include "timefmt.h"
#include "workflow.h"

#define MSG_DB        "サーバーで問題が発生しました。時間をおいてお試しください。"
#define MSG_NO_APP    "指定された申請は見つかりません。"
#define RECEIPT_MAX   40
#define APP_JSON_MAX  (8 * 1024 * 1024)

static json_t *
parse_text(const unsigned char *text, size_t max)
{
	char err[64];

	return text ? jsonio_parse((const char *)text, strlen((const char *)text), max,
				   JSONIO_MAX_DEPTH, err, sizeof err) : NULL;
}

static void
jst(const char *utc, char out[TIMEFMT_LEN])
{
	time_t t;

	if (utc != NULL && timefmt_parse_rfc3339(utc, &t) == 0)
		timefmt_jst_rfc3339(t, out);
	else
		snprintf(out, TIMEFMT_LEN, "%s", utc ? utc : "");
}

static int
receipt_valid(const char *r)
{
	size_t n = 0;

	for (; r && r[n]; n++)
		if (!((r[n] >= '0' && r[n] <= '9') || (r[n] >= 'A' && r[n] <= 'Z') ||
		      (r[n] >= 'a' && r[n] <= 'z') || r[n] == '-'))
			return 0;
	return n > 0 && n <= RECEIPT_MAX;
}

/* ---- one application ---------------------------------------------------------------- */

struct app_row {
	int64_t id;
	char receipt[RECEIPT_MAX + 1];
	char proc_id[72];
	long long version;
	int status;
	int64_t department_id, assignee_id;
	char received_at[32];
	char bundle_path[PATH_MAX];
	json_t *application, *manifest;
	bool test;			/* a test version's (office_proctest.h) */
};

static void
app_row_free(struct app_row *r)
{
	json_decref(r->application);
	json_decref(r->manifest);
	r->application = r->manifest = NULL;
}

/* The application receipt (lock held), if the actor may see its department.
 * 1 found, 0 not found or not the actor's, -1 database error. */
static int
fetch_app(struct office_actor *a, const char *receipt, struct app_row *r)
{
	sqlite3_stmt *st;
	int rc, ok;

	memset(r, 0, sizeof *r);
	if (!receipt_valid(receipt))
		return 0;
	st = db_stmt(a->t->db, "SELECT id, receipt_no, procedure_id, procedure_version, status,"
			       " department_id, assignee_id, received_at, bundle_path,"
			       " application_json, manifest_json, test FROM applications"
			       " WHERE receipt_no = ?1 ORDER BY id LIMIT 1");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, receipt, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->id = sqlite3_column_int64(st, 0);
		snprintf(r->receipt, sizeof r->receipt, "%s", sqlite3_column_text(st, 1));
		snprintf(r->proc_id, sizeof r->proc_id, "%s",
			 sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2) : "");
		r->version = sqlite3_column_int64(st, 3);
		r->status = workflow_parse((const char *)sqlite3_column_text(st, 4));
		r->department_id = sqlite3_column_int64(st, 5);
		r->assignee_id = sqlite3_column_int64(st, 6);
		snprintf(r->received_at, sizeof r->received_at, "%s", sqlite3_column_text(st, 7));
		snprintf(r->bundle_path, sizeof r->bundle_path, "%s", sqlite3_column_text(st, 8));
		r->application = parse_text(sqlite3_column_text(st, 9), APP_JSON_MAX);
		r->manifest = parse_text(sqlite3_column_text(st, 10), APP_JSON_MAX);
		r->test = sqlite3_column_int(st, 11) != 0;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return -1;
	/* No department (a procedure officed does not hold): administrators and
	 * auditors only, like every other unrouted record. */
	ok = office_authz_department(a, r->department_id);
	if (ok != 1)
		app_row_free(r);
	return ok;
}

/* fetch_app for the path's {receipt}, replying 404/500 itself. 1 when found. */
static int
load_app(struct http_request *req, struct office_actor *a, struct app_row *r)
{
	int rc = fetch_app(a, http_req_param(req, "receipt"), r);

	if (rc < 0)
		office_fail_db(req, a, "application");
	else if (rc == 0)
		office_refuse(req, a, 404, "no_such_application", MSG_NO_APP);
	return rc;
}

/* 0 if message (may be empty) may go to the applicant; else 2 with why. */
static int
message_check(const char *message, char *why, size_t whylen)
{
	size_t chars = 0;

	if (message == NULL || message[0] == '\0')
		return 0;
	if (!csvio_utf8_valid(message, strlen(message))) {
		snprintf(why, whylen, "申請者へのメッセージに使えない文字が含まれています。");
		return 2;
	}
	/* Newlines are kept: a message may have paragraphs. */
	for (const unsigned char *s = (const unsigned char *)message; *s; s++)
		if ((*s < 0x20 && *s != '\n') || *s == 0x7F ||
		    ((*s & 0xC0) != 0x80 && ++chars > WF_MESSAGE_MAX)) {
			snprintf(why, whylen, "申請者へのメッセージは %d 文字以内で、"
				 "制御文字を含めずに入力してください。", WF_MESSAGE_MAX);
			return 2;
		}
	return 0;
}

/* Move r to status to with message, as the actor: 0 done, 1 refused (why: 409),
 * 2 a message is needed (why: 400), -1 database error. Lock held, no transaction
 * open; r->status is updated. */
static int
change_status(struct office_actor *a, struct app_row *r, int to, const char *message,
	      char *why, size_t whylen)
{
	struct office_procedure p;
	char at[TIMEFMT_LEN], target[RECEIPT_MAX + 16];
	time_t now = time(NULL);
	sqlite3_stmt *st;
	json_t *d;
	int rc;

	if (office_procedure_load(a->t->db, r->proc_id[0] ? r->proc_id : NULL, r->version, &p) != 0)
		return -1;
	office_procedure_free(&p);
	if (!workflow_allowed(r->status, to, p.used)) {
		workflow_refusal(r->status, to, why, whylen);
		return 1;
	}
	if (message_check(message, why, whylen) != 0)
		return 2;
	if (workflow_needs_message(to) && (message == NULL || message[0] == '\0')) {
		snprintf(why, whylen, "「%s」にするときは、申請者へのメッセージ（理由や依頼内容）を"
			 "入力してください。", workflow_label(to));
		return 2;
	}
	timefmt_utc(now, at);
	if (db_begin(a->t->db) != 0)
		return -1;
	st = db_stmt(a->t->db, "UPDATE applications SET status = ?2, updated_at = ?3"
			       " WHERE id = ?1 AND status = ?4");
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_text(st, 2, workflow_code(to), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, workflow_code(r->status), -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE || sqlite3_changes(db_handle(a->t->db)) != 1)
		goto fail;
	st = db_stmt(a->t->db, "INSERT INTO application_history (application_id, at, actor,"
			       " from_status, to_status, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->login, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, workflow_code(r->status), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, workflow_code(to), -1, SQLITE_STATIC);
	if (message != NULL && message[0] != '\0')
		sqlite3_bind_text(st, 6, message, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto fail;
	if (status_out_enqueue(a->t->db, r->receipt, workflow_code(to), now, message) != 0)
		goto fail;
	/* A correction request is also a message the applicant answers (office_replies.h). */
	if (to == WF_CORRECTION &&
	    office_replies_add_message(a->t->db, r->id, at, a->login, "correction", message, 1) != 0)
		goto fail;
	snprintf(target, sizeof target, "application:%s", r->receipt);
	d = json_pack("{s:s,s:s,s:s?}", "from", workflow_code(r->status), "to", workflow_code(to),
		      "message", message && message[0] ? message : NULL);
	rc = office_audit(a, "application.transition", target, d);
	json_decref(d);
	if (rc != 0 || db_commit(a->t->db) != 0)
		goto fail;
	r->status = to;
	return 0;
fail:
	db_rollback(a->t->db);
	return -1;
}

static json_t *
targets_json(int from, unsigned used)
{
	unsigned t = workflow_targets(from, used);
	json_t *out = json_array();

	for (int s = 0; s < WF_NSTATUS; s++)
		if (t & WF_BIT(s))
			json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:b}",
				"status", workflow_code(s), "label", workflow_label(s),
				"action", workflow_action_label(s),
				"message_required", workflow_needs_message(s)));
	return out;
}

static json_t *
staff_json(struct db *db, int64_t id)
{
	sqlite3_stmt *st;
	json_t *j = json_null();

	if (id <= 0 || (st = db_stmt(db, "SELECT login, display_name FROM staff WHERE id = ?1"))
	    == NULL)
		return j;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		j = json_pack("{s:s,s:s}", "login", (const char *)sqlite3_column_text(st, 0),
			      "display_name", (const char *)sqlite3_column_text(st, 1));
	sqlite3_reset(st);
	return j ? j : json_null();
}

static json_t *
department_json(struct db *db, int64_t id)
{
	sqlite3_stmt *st;
	json_t *j = json_null();

	if (id <= 0 || (st = db_stmt(db, "SELECT name FROM departments WHERE id = ?1")) == NULL)
		return j;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		j = json_pack("{s:I,s:s}", "id", (json_int_t)id, "name",
			      (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return j ? j : json_null();
}

/* [{n, member, display_name, field, type, archive?}] in the manifest's order, n from
 * 1. A file that was one member of a zip the applicant sent has "archive": the zip's
 * name and the member's path in it, so that staff see the members grouped under it
 * (display_name is that path: text to show, never a path of ours). */
static json_t *
attachments_json(const struct app_row *r)
{
	json_t *out = json_array(), *f, *row;
	size_t i;

	json_array_foreach(json_object_get(r->manifest, "files"), i, f) {
		const char *member = jsonio_str(f, "file", "");
		const char *dot = strrchr(member, '.');
		const json_t *arc = json_object_get(f, "archive");

		row = json_pack("{s:I,s:s,s:s,s:s,s:s}",
			"n", (json_int_t)(i + 1), "member", member,
			"display_name", jsonio_str(f, "display_name", member),
			"field", jsonio_str(f, "field", ""),
			"type", dot ? dot + 1 : "");
		if (row != NULL && json_is_object(arc))
			json_object_set_new(row, "archive", json_pack("{s:s,s:s}",
				"display_name", jsonio_str(arc, "display_name", "zip"),
				"member", jsonio_str(arc, "member", "")));
		json_array_append_new(out, row);
	}
	return out;
}

static json_t *
history_json(struct db *db, int64_t app_id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT at, actor, from_status, to_status, message FROM"
				       " application_history WHERE application_id = ?1 ORDER BY id");
	json_t *out = json_array();

	if (st == NULL)
		return out;
	sqlite3_bind_int64(st, 1, app_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char at[TIMEFMT_LEN];
		int to = workflow_parse((const char *)sqlite3_column_text(st, 3));

		jst((const char *)sqlite3_column_text(st, 0), at);
		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s,s:s?}", "at", at,
			"actor", (const char *)sqlite3_column_text(st, 1),
			"status", workflow_code(to), "label", workflow_label(to),
			"message", (const char *)sqlite3_column_text(st, 4)));
	}
	sqlite3_reset(st);
	return out;
}

static json_t *
comments_json(struct db *db, int64_t app_id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT at, author, body FROM application_comments"
				       " WHERE application_id = ?1 ORDER BY id");
	json_t *out = json_array();

	if (st == NULL)
		return out;
	sqlite3_bind_int64(st, 1, app_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char at[TIMEFMT_LEN];

		jst((const char *)sqlite3_column_text(st, 0), at);
		json_array_append_new(out, json_pack("{s:s,s:s,s:s}", "at", at,
			"author", (const char *)sqlite3_column_text(st, 1),
			"body", (const char *)sqlite3_column_text(st, 2)));
	}
	sqlite3_reset(st);
	return out;
}

static json_t *
detail_json(struct office_actor *a, const struct app_row *r)
{
	struct office_procedure p;
	json_t *atts = attachments_json(r), *answers, *j;
	const json_t *app = r->application;
	char received[TIMEFMT_LEN];

	if (office_procedure_load(a->t->db, r->proc_id[0] ? r->proc_id : NULL, r->version, &p) != 0)
		p.used = WF_ALL, p.definition = NULL;
	answers = app_view_answers(p.definition, json_object_get(app, "answers"), atts);
	jst(r->received_at, received);
	j = json_pack("{s:s,s:{s:s,s:I,s:s},s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b,"
		      "s:o,s:o,s:b}",
		"receipt_no", r->receipt,
		"procedure", "id", r->proc_id, "version", (json_int_t)r->version,
		"title", jsonio_str(json_object_get(app, "procedure"), "title",
				    jsonio_str(p.definition, "title", "")),
		"status", workflow_code(r->status), "status_label", workflow_label(r->status),
		"received_at", received,
		"submitted_at", jsonio_str(app, "submitted_at", ""),
		"department", department_json(a->t->db, r->department_id),
		"assignee", staff_json(a->t->db, r->assignee_id),
		"answers", answers ? answers : json_array(),
		"attachments", atts,
		"history", history_json(a->t->db, r->id),
		"comments", comments_json(a->t->db, r->id),
		"transitions", strcmp(a->role, OFFICE_ROLE_AUDITOR) == 0 ? json_array()
			       : targets_json(r->status, p.used),
		"workflow", workflow_list_json(p.used),
		"definition_known", p.definition != NULL,
		/* The correspondence with the applicant (office_replies.h). */
		"messages", office_replies_messages_json(a->t->db, r->id),
		"replies", office_replies_json(a->t->db, r->id),
		"can_message", strcmp(a->role, OFFICE_ROLE_AUDITOR) != 0 && !workflow_final(r->status));
	if (j != NULL)
		json_object_set_new(j, "test", json_boolean(r->test));
	/* 手数料 as the applicant was shown it (fee.h): the same computation as the portal's. */
	if (j != NULL && p.definition != NULL && json_object_get(p.definition, "fee") != NULL)
		json_object_set_new(j, "fee", fee_compute(json_object_get(p.definition, "fee"),
							  json_object_get(app, "answers")));
	office_procedure_free(&p);
	return j;
}

void
office_handle_application_get(struct http_request *req, void *app)
{
	struct office_actor a;
	struct app_row r;
	char target[RECEIPT_MAX + 16];
	json_t *j;

	if (office_authz_begin(app, req, OFFICE_ANY, &a) != 0)
		return;
	if (load_app(req, &a, &r) != 1)
		return;
	j = detail_json(&a, &r);
	snprintf(target, sizeof target, "application:%s", r.receipt);
	/* A view of personal data is on the record, like every change. */
	if (j == NULL || office_audit(&a, "application.view", target, NULL) != 0) {
		json_decref(j);
		app_row_free(&r);
		return office_fail_db(req, &a, "application view");
	}
	app_row_free(&r);
	office_authz_end(&a);
	http_reply_json(req, 200, j);
}

/* ---- attachments ---------------------------------------------------------------------- */

/* What a stored member is served as: by its extension, as the data-linking API does. */
static const char *
content_type(const char *member)
{
	const char *dot = strrchr(member, '.');

	return dot ? app_files_content_type(dot + 1) : NULL;
}

/* "inline" for what a browser shows as it is (PDF, images, UTF-8 text); a CSV is
 * for a spreadsheet, and anything unknown is never rendered: "attachment". */
static const char *
disposition(const char *type)
{
	return type == NULL || strncmp(type, "text/csv", 8) == 0 ? "attachment" : "inline";
}

/* Read member of the stored tar at path into *buf (*len), checking its SHA-256
 * against want_hex. 0, 1 if absent or not what the manifest says, -1 I/O. */
static int
read_member(const char *path, const char *member, const char *want_hex, long long want_size,
	    char **buf, size_t *len)
{
	struct archive *ar = archive_read_new();
	struct archive_entry *e;
	uint8_t h[CRYPTO_SHA256_LEN];
	char hex[CRYPTO_SHA256_LEN * 2 + 1];
	int rc = 1;

	*buf = NULL;
	if (ar == NULL)
		return -1;
	archive_read_support_format_tar(ar);
	if (archive_read_open_filename(ar, path, 64 * 1024) != ARCHIVE_OK) {
		archive_read_free(ar);
		return -1;
	}
	while (archive_read_next_header(ar, &e) == ARCHIVE_OK) {
		la_ssize_t n;

		if (strcmp(archive_entry_pathname(e), member) != 0)
			continue;
		if (archive_entry_size(e) != want_size || want_size > APPLICATIONS_FILE_MAX ||
		    (*buf = malloc((size_t)want_size + 1)) == NULL)
			break;
		n = archive_read_data(ar, *buf, (size_t)want_size);
		if (n != (la_ssize_t)want_size) {
			rc = -1;
			break;
		}
		crypto_sha256(*buf, (size_t)n, h);
		crypto_hex(h, sizeof h, hex);
		if (strcmp(hex, want_hex) == 0) {
			*len = (size_t)n;
			rc = 0;
		}
		break;
	}
	archive_read_free(ar);
	if (rc != 0) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

void
office_handle_application_file(struct http_request *req, void *app)
{
	struct office_actor a;
	struct app_row r;
	const char *ns = http_req_param(req, "n"), *member, *type, *want = NULL;
	char target[RECEIPT_MAX + 32], cd[96], *buf = NULL, *end;
	long long want_size = -1;
	const json_t *f, *m;
	size_t len = 0, i;
	long n;
	int rc;

	if (office_authz_begin(app, req, OFFICE_ANY, &a) != 0)
		return;
	if (load_app(req, &a, &r) != 1)
		return;
	n = ns ? strtol(ns, &end, 10) : 0;
	f = (ns && *end == '\0' && n >= 1) ? json_array_get(json_object_get(r.manifest, "files"),
							     (size_t)(n - 1)) : NULL;
	member = jsonio_str(f, "file", NULL);
	json_array_foreach(json_object_get(r.manifest, "members"), i, m)
		if (member && strcmp(jsonio_str(m, "name", ""), member) == 0) {
			want = jsonio_str(m, "sha256", NULL);
			jsonio_int(m, "size", 0, APPLICATIONS_FILE_MAX, &want_size);
		}
	if (member == NULL || want == NULL || want_size < 0) {
		app_row_free(&r);
		return office_refuse(req, &a, 404, "no_such_file", "指定された添付ファイルは見つかりません。");
	}
	snprintf(target, sizeof target, "application:%s/files/%ld", r.receipt, n);
	/* Reading the tar needs no lock; the audit entry does. */
	office_authz_unlock(&a);
	rc = read_member(r.bundle_path, member, want, want_size, &buf, &len);
	office_authz_relock(&a);
	if (rc != 0) {
		log_err("tenant %s: %s: %s in %s %s", a.t->name, target, member, r.bundle_path,
			rc > 0 ? "does not match the verified manifest" : "cannot be read");
		app_row_free(&r);
		return office_refuse(req, &a, 500, "integrity", "添付ファイルを確認できませんでした。"
			      "システム管理者にご連絡ください。");
	}
	if (office_audit(&a, "application.file_view", target, NULL) != 0) {
		free(buf);
		app_row_free(&r);
		return office_fail_db(req, &a, "file view");
	}
	office_authz_end(&a);
	/* member lives in r's manifest: freed only once its type and name are taken. */
	type = content_type(member);
	/* Shown inline only for the types the sanitizer makes; anything else is a
	 * download, never rendered by the browser as something it was not. */
	snprintf(cd, sizeof cd, "%s; filename=\"file-%ld%s\"", disposition(type), n,
		 strrchr(member, '.') ? strrchr(member, '.') : "");
	app_row_free(&r);
	http_reply_header(req, "Content-Disposition", cd);
	http_reply_header(req, "Cache-Control", "no-store");
	http_reply_bytes(req, 200, type ? type : "application/octet-stream", buf, len);
	free(buf);
}

void
office_handle_application_reply_file(struct http_request *req, void *app)
{
	struct office_actor a;
	struct app_row r;
	const char *rs = http_req_param(req, "reply"), *ns = http_req_param(req, "n");
	const char *member = NULL, *type, *want = NULL;
	char target[RECEIPT_MAX + 48], cd[96], path[PATH_MAX] = "", *buf = NULL, *end, *end2;
	long long want_size = -1;
	json_t *man = NULL;
	const json_t *f, *m;
	sqlite3_stmt *st;
	size_t len = 0, i;
	long n, no;
	int rc;

	if (office_authz_begin(app, req, OFFICE_ANY, &a) != 0)
		return;
	if (load_app(req, &a, &r) != 1)
		return;
	no = rs ? strtol(rs, &end, 10) : 0;
	n = ns ? strtol(ns, &end2, 10) : 0;
	if (rs && ns && *end == '\0' && *end2 == '\0' && no >= 1 && n >= 1 &&
	    (st = db_stmt(a.t->db, "SELECT manifest_json, bundle_path FROM application_replies"
				   " WHERE application_id = ?1 AND reply_no = ?2")) != NULL) {
		sqlite3_bind_int64(st, 1, r.id);
		sqlite3_bind_int64(st, 2, no);
		if (sqlite3_step(st) == SQLITE_ROW) {
			man = parse_text(sqlite3_column_text(st, 0), APP_JSON_MAX);
			snprintf(path, sizeof path, "%s", sqlite3_column_text(st, 1));
		}
		sqlite3_reset(st);
	}
	f = json_array_get(json_object_get(man, "files"), (size_t)(n > 0 ? n - 1 : 0));
	member = n >= 1 ? jsonio_str(f, "file", NULL) : NULL;
	json_array_foreach(json_object_get(man, "members"), i, m)
		if (member && strcmp(jsonio_str(m, "name", ""), member) == 0) {
			want = jsonio_str(m, "sha256", NULL);
			jsonio_int(m, "size", 0, APPLICATIONS_FILE_MAX, &want_size);
		}
	if (member == NULL || want == NULL || want_size < 0) {
		json_decref(man);
		app_row_free(&r);
		return office_refuse(req, &a, 404, "no_such_file", "指定された添付ファイルは見つかりません。");
	}
	snprintf(target, sizeof target, "application:%s/replies/%ld/files/%ld", r.receipt, no, n);
	/* As for the application's own files: from the stored bundle, checked against
	 * the manifest verified at import. */
	office_authz_unlock(&a);
	rc = read_member(path, member, want, want_size, &buf, &len);
	office_authz_relock(&a);
	app_row_free(&r);
	if (rc != 0) {
		log_err("tenant %s: %s: %s in %s %s", a.t->name, target, member, path,
			rc > 0 ? "does not match the verified manifest" : "cannot be read");
		json_decref(man);
		return office_refuse(req, &a, 500, "integrity", "添付ファイルを確認できませんでした。"
			      "システム管理者にご連絡ください。");
	}
	if (office_audit(&a, "application.file_view", target, NULL) != 0) {
		free(buf);
		json_decref(man);
		return office_fail_db(req, &a, "reply file view");
	}
	office_authz_end(&a);
	type = content_type(member);
	snprintf(cd, sizeof cd, "%s; filename=\"reply-%ld-file-%ld%s\"", disposition(type),
		 no, n, strrchr(member, '.') ? strrchr(member, '.') : "");
	http_reply_header(req, "Content-Disposition", cd);
	http_reply_header(req, "Cache-Control", "no-store");
	http_reply_bytes(req, 200, type ? type : "application/octet-stream", buf, len);
	free(buf);
	json_decref(man);
}

/* ---- memo, assignment, status ----------------------------------------------------------- */

void
office_handle_application_comment(struct http_request *req, void *app)
{
	struct office_actor a;
	struct app_row r;
	char at[TIMEFMT_LEN], target[RECEIPT_MAX + 16];
	const char *body;
	sqlite3_stmt *st;
	json_t *j, *d;
	size_t chars = 0;
	int rc;

	if (office_authz_begin(app, req, OFFICE_WRITE, &a) != 0)
		return;
	if ((j = http_req_json(req)) == NULL) {
		office_authz_end(&a);
		return;
	}
	if (load_app(req, &a, &r) != 1)
		return;
	app_row_free(&r);
	body = jsonio_str(j, "body", "");
	for (const unsigned char *s = (const unsigned char *)body; *s; s++)
		if ((*s & 0xC0) != 0x80)
			chars++;
	if (chars == 0 || chars > APPLICATIONS_COMMENT_MAX || !csvio_utf8_valid(body, strlen(body)))
		return office_refuse(req, &a, 400, "invalid_request",
			      "メモは 1〜4000 文字で入力してください。");
	timefmt_utc(time(NULL), at);
	if (db_begin(a.t->db) != 0 ||
	    (st = db_stmt(a.t->db, "INSERT INTO application_comments (application_id, at, author,"
				   " body) VALUES (?1, ?2, ?3, ?4)")) == NULL)
		return office_fail_db(req, &a, "comment");
	sqlite3_bind_int64(st, 1, r.id);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a.login, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, body, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	snprintf(target, sizeof target, "application:%s", r.receipt);
	d = json_pack("{s:I}", "chars", (json_int_t)chars);
	if (rc != SQLITE_DONE || office_audit(&a, "application.comment", target, d) != 0 ||
	    db_commit(a.t->db) != 0) {
		json_decref(d);
		return office_fail_db(req, &a, "comment");
	}
	json_decref(d);
	d = comments_json(a.t->db, r.id);
	office_authz_end(&a);
	http_reply_json(req, 201, json_pack("{s:o}", "comments", d));
}

void
office_handle_application_assignee(struct http_request *req, void *app)
{
	struct office_actor a;
	struct app_row r;
	char target[RECEIPT_MAX + 16];
	const char *login;
	sqlite3_stmt *st;
	int64_t staff = 0;
	json_t *j, *d;
	int rc;

	if (office_authz_begin(app, req, OFFICE_WRITE, &a) != 0)
		return;
	if ((j = http_req_json(req)) == NULL) {
		office_authz_end(&a);
		return;
	}
	if (load_app(req, &a, &r) != 1)
		return;
	app_row_free(&r);
	login = jsonio_str(j, "login", NULL);
	if (login != NULL && login[0] != '\0') {
		/* An assignee works on it: an enabled clerk of its department, or an
		 * administrator. Never an auditor, never another department's clerk. */
		st = db_stmt(a.t->db, "SELECT s.id FROM staff s WHERE s.login = ?1 AND s.disabled = 0"
				      " AND (s.role = 'admin' OR (s.role = 'clerk' AND EXISTS"
				      " (SELECT 1 FROM staff_departments sd WHERE sd.staff_id = s.id"
				      " AND sd.department_id = ?2)))");
		if (st == NULL)
			return office_fail_db(req, &a, "assignee");
		sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, r.department_id);
		if (sqlite3_step(st) == SQLITE_ROW)
			staff = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (staff == 0)
			return office_refuse(req, &a, 400, "invalid_assignee", "担当者には、この申請の部署の"
				      "業務担当者か管理者を指定してください。");
	}
	if (db_begin(a.t->db) != 0 ||
	    (st = db_stmt(a.t->db, "UPDATE applications SET assignee_id = ?2 WHERE id = ?1")) == NULL)
		return office_fail_db(req, &a, "assignee");
	sqlite3_bind_int64(st, 1, r.id);
	if (staff > 0)
		sqlite3_bind_int64(st, 2, staff);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	snprintf(target, sizeof target, "application:%s", r.receipt);
	d = json_pack("{s:o,s:o}", "before", staff_json(a.t->db, r.assignee_id), "after",
		      staff_json(a.t->db, staff));
	if (rc != SQLITE_DONE || office_audit(&a, "application.assign", target, d) != 0 ||
	    db_commit(a.t->db) != 0) {
		json_decref(d);
		return office_fail_db(req, &a, "assignee");
	}
	office_authz_end(&a);
	http_reply_json(req, 200, json_pack("{s:s,s:O}", "receipt_no", r.receipt, "assignee",
					    json_object_get(d, "after")));
	json_decref(d);
}

void
office_handle_application_transition(struct http_request *req, void *app)
{
	struct office_actor a;
	struct app_row r;
	char why[300];
	json_t *j;
	int to, rc;

	if (office_authz_begin(app, req, OFFICE_WRITE, &a) != 0)
		return;
	if ((j = http_req_json(req)) == NULL) {
		office_authz_end(&a);
		return;
	}
	if (load_app(req, &a, &r) != 1)
		return;
	if ((to = workflow_parse(jsonio_str(j, "to", NULL))) < 0) {
		app_row_free(&r);
		return office_refuse(req, &a, 400, "invalid_request", "変更後の状態（to）を指定してください。");
	}
	rc = change_status(&a, &r, to, jsonio_str(j, "message", NULL), why, sizeof why);
	if (rc < 0) {
		app_row_free(&r);
		return office_fail_db(req, &a, "transition");
	}
	if (rc > 0) {
		app_row_free(&r);
		return office_refuse(req, &a, rc == 1 ? 409 : 400,
			      rc == 1 ? "illegal_transition" : "message_required", why);
	}
	j = detail_json(&a, &r);
	app_row_free(&r);
	office_authz_end(&a);
	http_reply_json(req, 200, j);
}

void
office_handle_application_message(struct http_request *req, void *app)
{
	struct office_actor a;
	struct app_row r;
	char why[300], at[TIMEFMT_LEN], target[RECEIPT_MAX + 16];
	const char *body;
	bool invited = true;
	time_t now = time(NULL);
	json_t *j, *d;
	int rc;

	if (office_authz_begin(app, req, OFFICE_WRITE, &a) != 0)
		return;
	if ((j = http_req_json(req)) == NULL) {
		office_authz_end(&a);
		return;
	}
	if (load_app(req, &a, &r) != 1)
		return;
	body = jsonio_str(j, "body", "");
	if (json_object_get(j, "reply_invited") != NULL &&
	    jsonio_bool(j, "reply_invited", &invited) != 0) {
		app_row_free(&r);
		return office_refuse(req, &a, 400, "invalid_request",
			      "reply_invited は true か false で指定してください。");
	}
	if (body[0] == '\0' || message_check(body, why, sizeof why) != 0) {
		app_row_free(&r);
		return office_refuse(req, &a, 400, "invalid_request", body[0] ? why
			      : "申請者へのメッセージを入力してください。");
	}
	if (workflow_final(r.status)) {
		snprintf(why, sizeof why, "この申請は「%s」で終了しているため、メッセージを送れません。",
			 workflow_label(r.status));
		app_row_free(&r);
		return office_refuse(req, &a, 409, "application_closed", why);
	}
	timefmt_utc(now, at);
	snprintf(target, sizeof target, "application:%s", r.receipt);
	d = json_pack("{s:s,s:b,s:s}", "status", workflow_code(r.status), "reply_invited", invited,
		      "message", body);
	if (db_begin(a.t->db) != 0) {
		json_decref(d);
		app_row_free(&r);
		return office_fail_db(req, &a, "message");
	}
	rc = office_replies_add_message(a.t->db, r.id, at, a.login, "message", body, invited) != 0 ||
	     status_out_enqueue_message(a.t->db, r.receipt, workflow_code(r.status), now, body,
					invited) != 0 ||
	     office_audit(&a, "application.message", target, d) != 0 || db_commit(a.t->db) != 0;
	json_decref(d);
	if (rc) {
		app_row_free(&r);
		return office_fail_db(req, &a, "message");
	}
	j = detail_json(&a, &r);
	app_row_free(&r);
	office_authz_end(&a);
	http_reply_json(req, 201, j);
}

void
office_handle_applications_bulk(struct http_request *req, void *app)
{
	struct office_actor a;
	const char *action;
	json_t *body, *receipts, *v, *results;
	size_t i, ok = 0;
	int to;

	if (office_authz_begin(app, req, OFFICE_WRITE, &a) != 0)
		return;
	if ((body = http_req_json(req)) == NULL) {
		office_authz_end(&a);
		return;
	}
	action = jsonio_str(body, "action", "");
	to = strcmp(action, "accept") == 0 ? WF_ACCEPTED
	   : strcmp(action, "complete") == 0 ? WF_COMPLETED : -1;
	receipts = json_object_get(body, "receipts");
	if (to < 0 || !json_is_array(receipts) || json_array_size(receipts) == 0 ||
	    json_array_size(receipts) > APPLICATIONS_BULK_MAX)
		return office_refuse(req, &a, 400, "invalid_request", "action（accept または complete）と、"
			      "到達番号の配列 receipts（500 件まで）を指定してください。");
	/* Each application on its own: its own transaction and audit entry, so one
	 * that cannot move (another clerk just moved it, say) does not hold the others
	 * back; the reply says which moved and why the others did not. */
	results = json_array();
	json_array_foreach(receipts, i, v) {
		struct app_row r;
		char why[300];
		int rc = fetch_app(&a, json_string_value(v), &r);

		if (rc < 0) {
			json_decref(results);
			return office_fail_db(req, &a, "bulk");
		}
		if (rc == 0) {
			json_array_append_new(results, json_pack("{s:s?,s:b,s:{s:s,s:s}}",
				"receipt_no", json_string_value(v), "ok", 0, "error",
				"code", "no_such_application", "message", MSG_NO_APP));
			continue;
		}
		rc = change_status(&a, &r, to, jsonio_str(body, "message", NULL), why, sizeof why);
		if (rc < 0) {
			app_row_free(&r);
			json_decref(results);
			return office_fail_db(req, &a, "bulk");
		}
		json_array_append_new(results, rc == 0
			? json_pack("{s:s,s:b,s:s,s:s}", "receipt_no", r.receipt, "ok", 1,
				    "status", workflow_code(to), "status_label", workflow_label(to))
			: json_pack("{s:s,s:b,s:{s:s,s:s}}", "receipt_no", r.receipt, "ok", 0,
				    "error", "code", rc == 1 ? "illegal_transition"
							     : "message_required", "message", why));
		ok += rc == 0;
		app_row_free(&r);
	}
	office_authz_end(&a);
	http_reply_json(req, 200, json_pack("{s:o,s:I,s:I}", "results", results, "succeeded",
					    (json_int_t)ok, "failed",
					    (json_int_t)(json_array_size(receipts) - ok)));
}

/* ---- the list and its CSV ----------------------------------------------------------- */

/* The list, its count and the CSV share one WHERE (app_query.h): the department
 * gate first, then each filter given. The text search looks in the answers as
 * stored, which is what a clerk types a name or an address against. */
#define LIST_COLUMNS \
	"SELECT a.receipt_no, a.procedure_id, a.procedure_version," \
	" json_extract(a.application_json, '$.procedure.title'), a.status, a.received_at," \
	" d.name, s.login, s.display_name, a.application_json, a.manifest_json" \
	" FROM applications a LEFT JOIN departments d ON d.id = a.department_id" \
	" LEFT JOIN staff s ON s.id = a.assignee_id"

static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? (const char *)s : "";
}

void
office_handle_applications_list(struct http_request *req, void *app)
{
	struct office_actor a;
	struct app_query f;
	const char *why = NULL, *v;
	char where[APP_QUERY_SQL_MAX], sql[APP_QUERY_SQL_MAX + 1024];
	long long limit = APPLICATIONS_LIST_DEFAULT, offset = 0, total = 0;
	sqlite3_stmt *st;
	json_t *list;
	char *end;
	int rc;

	if (office_authz_begin(app, req, OFFICE_ANY, &a) != 0)
		return;
	if ((rc = app_query_read(req, &a, &f, &why)) == -2)
		return office_fail_db(req, &a, "applications");
	if ((v = http_req_query(req, "limit")) && v[0] &&
	    ((limit = strtoll(v, &end, 10)) < 1 || *end || limit > APPLICATIONS_LIST_MAX))
		why = "limit は 1〜500 で指定してください。";
	if ((v = http_req_query(req, "offset")) && v[0] &&
	    ((offset = strtoll(v, &end, 10)) < 0 || *end))
		why = "offset は 0 以上の整数で指定してください。";
	if (rc != 0 || why != NULL)
		return office_refuse(req, &a, 400, "invalid_query", why);
	if ((f.q && app_query_sync(a.t->db) != 0) ||
	    app_query_where(&f, where, sizeof where) != 0)
		return office_fail_db(req, &a, "applications");
	snprintf(sql, sizeof sql, "SELECT count(*) FROM applications a%s", where);
	if ((st = db_stmt(a.t->db, sql)) == NULL)
		return office_fail_db(req, &a, "applications");
	app_query_bind(st, &f);
	if (sqlite3_step(st) == SQLITE_ROW)
		total = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	/* The page's ids first, from an index where one serves: sorting the filtered
	 * rows whole would carry every row's JSON through the sorter. */
	snprintf(sql, sizeof sql, LIST_COLUMNS " JOIN (SELECT a.id FROM applications a%s"
		 " ORDER BY a.received_at DESC, a.id DESC LIMIT :limit OFFSET :offset) page"
		 " ON page.id = a.id ORDER BY a.received_at DESC, a.id DESC", where);
	if ((st = db_stmt(a.t->db, sql)) == NULL)
		return office_fail_db(req, &a, "applications");
	app_query_bind(st, &f);
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"), limit);
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":offset"), offset);
	list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char received[TIMEFMT_LEN];
		int s = workflow_parse(col(st, 4));

		jst(col(st, 5), received);
		json_array_append_new(list, json_pack("{s:s,s:{s:s,s:I,s:s},s:s,s:s,s:s,s:s?,s:o}",
			"receipt_no", col(st, 0),
			"procedure", "id", col(st, 1), "version",
			(json_int_t)sqlite3_column_int64(st, 2), "title", col(st, 3),
			"status", workflow_code(s), "status_label", workflow_label(s),
			"received_at", received,
			"department", sqlite3_column_type(st, 6) == SQLITE_NULL ? NULL : col(st, 6),
			"assignee", sqlite3_column_type(st, 7) == SQLITE_NULL ? json_null()
				: json_pack("{s:s,s:s}", "login", col(st, 7), "display_name",
					    col(st, 8))));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		return office_fail_db(req, &a, "applications");
	}
	office_authz_end(&a);
	http_reply_json(req, 200, json_pack("{s:o,s:I,s:I,s:I}", "applications", list,
					    "total", (json_int_t)total, "limit", (json_int_t)limit,
					    "offset", (json_int_t)offset));
}

/* The answers of one CSV row as text, with the definition of its version (cached
 * by "id/version" in defs for the export). NULL on no memory. */
static char *
answers_text(struct db *db, json_t *defs, const char *proc, long long version,
	     const json_t *application, const json_t *manifest)
{
	char key[96];
	json_t *def, *rows, *atts = json_array(), *f;
	size_t i;
	char *text;

	snprintf(key, sizeof key, "%s/%lld", proc, version);
	if ((def = json_object_get(defs, key)) == NULL) {
		struct office_procedure p;

		if (office_procedure_load(db, proc[0] ? proc : NULL, version, &p) != 0)
			p.definition = NULL;
		json_object_set_new(defs, key, p.definition ? p.definition : json_null());
		def = json_object_get(defs, key);
	}
	json_array_foreach(json_object_get(manifest, "files"), i, f)
		json_array_append_new(atts, json_pack("{s:I,s:s,s:s}", "n", (json_int_t)(i + 1),
			"field", jsonio_str(f, "field", ""),
			"display_name", jsonio_str(f, "display_name", "")));
	rows = app_view_answers(json_is_null(def) ? NULL : def,
				json_object_get(application, "answers"), atts);
	text = rows ? app_view_text(rows) : NULL;
	json_decref(rows);
	json_decref(atts);
	return text;
}

void
office_handle_applications_csv(struct http_request *req, void *app)
{
	static const char *const header[] = {
		"到達番号", "手続ID", "版", "手続名", "状態", "到達日時", "部署", "担当者",
		"回答", NULL,
	};
	struct office_actor a;
	struct app_query f;
	const char *why = NULL;
	sqlite3_stmt *st;
	char where[APP_QUERY_SQL_MAX], sql[APP_QUERY_SQL_MAX + 1024];
	char *buf = NULL, cd[96], day[TIMEFMT_LEN];
	size_t len = 0;
	long long rows = 0;
	json_t *defs, *d;
	FILE *out;
	int rc;

	if (office_authz_begin(app, req, OFFICE_ANY, &a) != 0)
		return;
	if ((rc = app_query_read(req, &a, &f, &why)) == -2)
		return office_fail_db(req, &a, "applications csv");
	if (rc != 0)
		return office_refuse(req, &a, 400, "invalid_query", why);
	if ((f.q && app_query_sync(a.t->db) != 0) ||
	    app_query_where(&f, where, sizeof where) != 0)
		return office_fail_db(req, &a, "applications csv");
	snprintf(sql, sizeof sql, LIST_COLUMNS "%s ORDER BY a.received_at, a.id LIMIT :limit",
		 where);
	st = db_stmt(a.t->db, sql);
	if (st == NULL || (out = open_memstream(&buf, &len)) == NULL)
		return office_fail_db(req, &a, "applications csv");
	app_query_bind(st, &f);
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"), APPLICATIONS_CSV_MAX);
	defs = json_object();
	/* UTF-8 with BOM, which Excel in a Japanese office opens as UTF-8; every cell
	 * formula-safe: the answers are the citizen's words. */
	fputs("\xEF\xBB\xBF", out);
	for (size_t i = 0; header[i]; i++)
		csvio_write_field(out, header[i], header[i + 1] == NULL, true);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char received[TIMEFMT_LEN], version[24], *answers;
		json_t *application = parse_text(sqlite3_column_text(st, 9), APP_JSON_MAX);
		json_t *manifest = parse_text(sqlite3_column_text(st, 10), APP_JSON_MAX);
		int s = workflow_parse(col(st, 4));

		jst(col(st, 5), received);
		snprintf(version, sizeof version, "%lld", (long long)sqlite3_column_int64(st, 2));
		answers = answers_text(a.t->db, defs, col(st, 1), sqlite3_column_int64(st, 2),
				       application, manifest);
		csvio_write_field(out, col(st, 0), false, true);
		csvio_write_field(out, col(st, 1), false, true);
		csvio_write_field(out, version, false, true);
		csvio_write_field(out, col(st, 3), false, true);
		csvio_write_field(out, workflow_label(s), false, true);
		csvio_write_field(out, received, false, true);
		csvio_write_field(out, col(st, 6), false, true);
		csvio_write_field(out, col(st, 8), false, true);
		csvio_write_field(out, answers ? answers : "", true, true);
		free(answers);
		json_decref(application);
		json_decref(manifest);
		rows++;
	}
	sqlite3_reset(st);
	json_decref(defs);
	if (fclose(out) != 0 || rc != SQLITE_DONE) {
		free(buf);
		return office_fail_db(req, &a, "applications csv");
	}
	d = json_pack("{s:I,s:s?,s:s?,s:s?}", "rows", (json_int_t)rows, "procedure", f.procedure,
		      "status", f.status, "q", f.q);
	rc = office_audit(&a, "application.export", "applications", d);
	json_decref(d);
	if (rc != 0) {
		free(buf);
		return office_fail_db(req, &a, "applications csv");
	}
	office_authz_end(&a);
	timefmt_jst_day(time(NULL), day);
	snprintf(cd, sizeof cd, "attachment; filename=\"applications-%s.csv\"", day);
	http_reply_header(req, "Content-Disposition", cd);
	http_reply_header(req, "Cache-Control", "no-store");
	http_reply_bytes(req, 200, "text/csv; charset=utf-8", buf, len);
	free(buf);
}
