/*
 * office_api.c — the data-linking API (see office_api.h).
 *
 * What this file keeps true:
 *  - A call is served only with an active key of the tenant (Authorization: Bearer);
 *    a session cookie counts for nothing here, and so no CSRF token is needed: a
 *    browser never attaches a bearer key by itself. A malformed, unknown or revoked
 *    key gets the same 401, so a caller cannot tell which.
 *  - A key limited to a department sees another department's application exactly as
 *    one that does not exist (404), like a clerk does.
 *  - Every call through a key, served or refused for its scope, is in the audit log
 *    in the transaction that also notes the key's last use. Calls without a valid
 *    key are logged to the journal only: anyone on the network could make them, and
 *    the audit log is for what identified actors did.
 *  - Attachments are served as app_files.h serves them: only bytes that still hash
 *    to the import-verified manifest.
 */
#include "office_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app_files.h"
#include "csvio.h"
#include "jsonio.h"
#include "log.h"
#include "office_apikey.h"
#include "office_auth.h"
#include "office_query.h"
#include "workflow.h"

#define MSG_KEY     "API キーが正しくないか、失効しています。システム管理者に確認してください。"
#define MSG_SCOPE   "この API キーには書き込みの権限がありません。"
#define MSG_DB      "サーバーで問題が発生しました。時間をおいてお試しください。"
#define MSG_NO_APP  "指定された申請は見つかりません。"
#define MSG_NO_FILE "指定された添付ファイルは見つかりません。"
#define MSG_TENANT  "指定された自治体は見つかりません。"
#define RECEIPT_MAX 40
#define APP_JSON_MAX (8 * 1024 * 1024)

struct api_call {
	struct office_actor a;		/* login "apikey:NAME": what office_audit records */
	struct office_apikey k;
};

static void
fail(struct http_request *req, struct api_call *c, const char *what)
{
	log_err("tenant %s: api %s (%s): %s", c->a.t->name, what, c->k.name, db_errmsg(c->a.t->db));
	if (c->a.locked && !sqlite3_get_autocommit(db_handle(c->a.t->db)))
		db_rollback(c->a.t->db);
	office_authz_end(&c->a);
	http_reply_error(req, 500, "internal", MSG_DB);
}

static void
refuse(struct http_request *req, struct api_call *c, unsigned status, const char *code,
       const char *message)
{
	office_authz_end(&c->a);
	http_reply_error(req, status, code, message);
}

/* One audit entry for the call, with the key's last use, in one transaction.
 * Lock held. 0 or -1. */
static int
record(struct api_call *c, const char *action, const char *target, const json_t *detail)
{
	char at[TIMEFMT_LEN];
	sqlite3_stmt *st;

	timefmt_utc(time(NULL), at);
	if (db_begin(c->a.t->db) != 0)
		return -1;
	st = db_stmt(c->a.t->db, "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1");
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, c->k.id);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
	if (db_step_done(st) != 0 || office_audit(&c->a, action, target, detail) != 0 ||
	    db_commit(c->a.t->db) != 0)
		goto fail;
	return 0;
fail:
	db_rollback(c->a.t->db);
	return -1;
}

/* The gate: tenant, key, scope. On success 0 with the tenant's lock held (end with
 * office_authz_end); otherwise it has replied and returns -1 with no lock held. */
static int
api_begin(struct officed *o, struct http_request *req, bool write, struct api_call *c)
{
	const char *tenant = http_req_param(req, "tenant");
	const char *key = office_apikey_from_header(http_req_header(req, "Authorization"));
	int rc;

	memset(c, 0, sizeof *c);
	c->a.o = o;
	c->a.remote = http_req_remote(req);
	if (tenant == NULL || (c->a.t = tenant_find(&o->tenants, tenant)) == NULL) {
		http_reply_error(req, 404, "no_such_tenant", MSG_TENANT);
		return -1;
	}
	office_authz_relock(&c->a);
	rc = key ? office_apikey_lookup(c->a.t->db, key, &c->k) : 0;
	if (rc < 0) {
		fail(req, c, "key");
		return -1;
	}
	if (rc == 0) {
		office_authz_end(&c->a);
		log_warn("tenant %s: api call %s %s from %s refused: %s", tenant,
			 http_req_method(req), http_req_path(req), c->a.remote ? c->a.remote : "-",
			 key ? "unknown or revoked key" : "no bearer key");
		http_reply_header(req, "WWW-Authenticate", "Bearer realm=\"sekisho\"");
		http_reply_error(req, 401, "invalid_api_key", MSG_KEY);
		return -1;
	}
	snprintf(c->a.login, sizeof c->a.login, "apikey:%s", c->k.name);
	snprintf(c->a.role, sizeof c->a.role, "apikey");
	if (write && !c->k.write) {
		json_t *d = json_pack("{s:s,s:s,s:s}", "reason", "scope", "method",
				      http_req_method(req), "path", http_req_path(req));

		rc = record(c, "api.refused", "api", d);
		json_decref(d);
		if (rc != 0) {
			fail(req, c, "refusal");
			return -1;
		}
		refuse(req, c, 403, "insufficient_scope", MSG_SCOPE);
		return -1;
	}
	return 0;
}

static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? (const char *)s : "";
}

static json_t *
parse_text(const char *text)
{
	char err[64];

	return jsonio_parse(text, strlen(text), APP_JSON_MAX, JSONIO_MAX_DEPTH, err, sizeof err);
}

/* [{n, name, type, pages, archive?}] of a stored manifest; a file that was a member
 * of a zip the applicant sent has "archive": {"name" of the zip, "member" path}. */
static json_t *
attachments_json(const json_t *manifest)
{
	json_t *out = json_array(), *row;
	size_t n = app_files_count(manifest);

	for (size_t i = 1; i <= n; i++) {
		const json_t *arc = json_object_get(json_array_get(json_object_get(manifest, "files"),
								   i - 1), "archive");
		struct app_file f;

		if (app_files_entry(manifest, (long)i, &f) != 0)
			continue;
		row = json_pack("{s:I,s:s,s:s,s:o}", "n", (json_int_t)i,
			"name", f.display_name[0] ? f.display_name : f.member, "type", f.type,
			"pages", f.pages >= 0 ? json_integer(f.pages) : json_null());
		if (row != NULL && json_is_object(arc))
			json_object_set_new(row, "archive", json_pack("{s:s,s:s}",
				"name", jsonio_str(arc, "display_name", "zip"),
				"member", jsonio_str(arc, "member", "")));
		json_array_append_new(out, row);
	}
	return out;
}

void
office_api_list(struct http_request *req, void *app)
{
	const char *procedure = http_req_query(req, "procedure");
	const char *status = http_req_query(req, "status");
	const char *since = http_req_query(req, "since");
	const char *v, *why = NULL;
	char since_utc[TIMEFMT_LEN], *end;
	long long limit = OFFICE_API_PAGE_DEFAULT, cursor = 0, last = 0, n = 0;
	char next[24];
	bool more;
	struct api_call c;
	sqlite3_stmt *st;
	json_t *list, *d;
	int rc;

	if (api_begin(app, req, false, &c) != 0)
		return;
	if (procedure && !procedure[0])
		procedure = NULL;
	if (status && !status[0])
		status = NULL;
	if (status && workflow_parse(status) < 0)
		why = "status には状態コード（arrived, accepted, completed など）を指定してください。";
	if (since && since[0] && office_query_instant(since, since_utc) != 0)
		why = "since は YYYY-MM-DD か RFC 3339 の日時で指定してください。";
	if ((v = http_req_query(req, "limit")) && v[0] &&
	    ((limit = strtoll(v, &end, 10)) < 1 || *end || limit > OFFICE_API_PAGE_MAX))
		why = "limit は 1〜500 で指定してください。";
	/* The cursor is the last row's id: rows come in import order, and one imported
	 * later always comes after, so paging while applications arrive loses none. */
	if ((v = http_req_query(req, "cursor")) && v[0] &&
	    ((cursor = strtoll(v, &end, 10)) < 0 || *end))
		why = "cursor には前の応答の next_cursor をそのまま指定してください。";
	if (why != NULL)
		return refuse(req, &c, 400, "invalid_query", why);
	st = db_stmt(c.a.t->db, "SELECT a.id, a.receipt_no, a.procedure_id, a.status,"
				" a.received_at, a.manifest_json FROM applications a"
				" WHERE (?1 = 0 OR a.department_id = ?1) AND a.test = 0"
				" AND (?2 IS NULL OR a.procedure_id = ?2)"
				" AND (?3 IS NULL OR a.status = ?3)"
				" AND (?4 IS NULL OR a.received_at >= ?4)"
				" AND a.id > ?5 ORDER BY a.id LIMIT ?6");
	if (st == NULL)
		return fail(req, &c, "list");
	sqlite3_bind_int64(st, 1, c.k.department_id);
	if (procedure)
		sqlite3_bind_text(st, 2, procedure, -1, SQLITE_STATIC);
	if (status)
		sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
	if (since && since[0])
		sqlite3_bind_text(st, 4, since_utc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, cursor);
	sqlite3_bind_int64(st, 6, limit + 1);	/* one more: is there a next page? */
	list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < limit) {
		char received[TIMEFMT_LEN];
		json_t *manifest = parse_text(col(st, 5));

		office_query_jst(col(st, 4), received);
		json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s,s:o}",
			"receipt_no", col(st, 1), "procedure_id", col(st, 2),
			"status", col(st, 3), "received_at", received,
			"attachments", attachments_json(manifest)));
		json_decref(manifest);
		last = sqlite3_column_int64(st, 0);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		json_decref(list);
		return fail(req, &c, "list");
	}
	more = rc == SQLITE_ROW;	/* the loop stopped at row limit + 1 */
	d = json_pack("{s:s?,s:s?,s:s?,s:I,s:I}", "procedure", procedure, "status", status,
		      "since", since && since[0] ? since : NULL, "cursor", (json_int_t)cursor,
		      "rows", (json_int_t)n);
	rc = record(&c, "api.list", "applications", d);
	json_decref(d);
	if (rc != 0) {
		json_decref(list);
		return fail(req, &c, "list");
	}
	office_authz_end(&c.a);
	snprintf(next, sizeof next, "%lld", last);
	http_reply_json(req, 200, json_pack("{s:o,s:s?}", "applications", list,
					    "next_cursor", more ? next : NULL));
}

/* The application receipt of the path, if the key may see it (lock held).
 * 1 found; otherwise it has replied (404 or 500) and returns 0. */
struct api_app {
	int64_t id;
	char receipt[RECEIPT_MAX + 1];
	char procedure_id[72];
	long long version;
	char status[16], received_at[32], bundle_path[PATH_MAX];
	int64_t department_id;
	json_t *application, *manifest;
};

static void
api_app_free(struct api_app *r)
{
	json_decref(r->application);
	json_decref(r->manifest);
	r->application = r->manifest = NULL;
}

static int
load_app(struct http_request *req, struct api_call *c, struct api_app *r)
{
	const char *receipt = http_req_param(req, "receipt");
	sqlite3_stmt *st;
	int rc;

	memset(r, 0, sizeof *r);
	if (receipt == NULL || strlen(receipt) > RECEIPT_MAX) {
		refuse(req, c, 404, "no_such_application", MSG_NO_APP);
		return 0;
	}
	st = db_stmt(c->a.t->db, "SELECT id, receipt_no, procedure_id, procedure_version, status,"
				 " received_at, bundle_path, department_id, application_json,"
				 " manifest_json FROM applications WHERE receipt_no = ?1"
				 " AND (?2 = 0 OR department_id = ?2) AND test = 0"
				 " ORDER BY id LIMIT 1");
	if (st == NULL) {
		fail(req, c, "application");
		return 0;
	}
	sqlite3_bind_text(st, 1, receipt, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->k.department_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->id = sqlite3_column_int64(st, 0);
		snprintf(r->receipt, sizeof r->receipt, "%s", col(st, 1));
		snprintf(r->procedure_id, sizeof r->procedure_id, "%s", col(st, 2));
		r->version = sqlite3_column_int64(st, 3);
		snprintf(r->status, sizeof r->status, "%s", col(st, 4));
		snprintf(r->received_at, sizeof r->received_at, "%s", col(st, 5));
		snprintf(r->bundle_path, sizeof r->bundle_path, "%s", col(st, 6));
		r->department_id = sqlite3_column_int64(st, 7);
		r->application = parse_text(col(st, 8));
		r->manifest = parse_text(col(st, 9));
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		refuse(req, c, 404, "no_such_application", MSG_NO_APP);
	else
		fail(req, c, "application");
	return 0;
}

static json_t *
history_json(struct db *db, int64_t app_id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT at, from_status, to_status, message FROM"
				       " application_history WHERE application_id = ?1 ORDER BY id");
	json_t *out = json_array();

	if (st == NULL)
		return out;
	sqlite3_bind_int64(st, 1, app_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char at[TIMEFMT_LEN];

		office_query_jst(col(st, 0), at);
		json_array_append_new(out, json_pack("{s:s,s:s?,s:s,s:s?}", "at", at,
			"from", sqlite3_column_type(st, 1) == SQLITE_NULL ? NULL : col(st, 1),
			"status", col(st, 2),
			"message", sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL : col(st, 3)));
	}
	sqlite3_reset(st);
	return out;
}

static json_t *
links_json(struct db *db, int64_t app_id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT system, reference, at FROM application_links"
				       " WHERE application_id = ?1 ORDER BY id");
	json_t *out = json_array();

	if (st == NULL)
		return out;
	sqlite3_bind_int64(st, 1, app_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char at[TIMEFMT_LEN];

		office_query_jst(col(st, 2), at);
		json_array_append_new(out, json_pack("{s:s,s:s,s:s}", "system", col(st, 0),
			"reference", col(st, 1), "at", at));
	}
	sqlite3_reset(st);
	return out;
}

void
office_api_get(struct http_request *req, void *app)
{
	struct api_call c;
	struct api_app r;
	char received[TIMEFMT_LEN], target[RECEIPT_MAX + 16];
	const json_t *proc;
	json_t *j, *answers;
	int s;

	if (api_begin(app, req, false, &c) != 0)
		return;
	if (load_app(req, &c, &r) != 1)
		return;
	office_query_jst(r.received_at, received);
	proc = json_object_get(r.application, "procedure");
	s = workflow_parse(r.status);
	/* The answers as the applicant's form submitted them (field name -> value), which
	 * is what a system maps to its own records; labels are in the procedure's
	 * published definition of that version. */
	answers = json_object_get(r.application, "answers");
	j = json_pack("{s:s,s:{s:s,s:I,s:s},s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o}",
		"receipt_no", r.receipt,
		"procedure", "id", r.procedure_id, "version", (json_int_t)r.version,
		"title", jsonio_str(proc, "title", ""),
		"status", r.status, "status_label", s >= 0 ? workflow_label(s) : r.status,
		"received_at", received,
		"submitted_at", jsonio_str(r.application, "submitted_at", ""),
		"answers", answers ? json_incref(answers) : json_object(),
		"attachments", attachments_json(r.manifest),
		"history", history_json(c.a.t->db, r.id),
		"links", links_json(c.a.t->db, r.id));
	api_app_free(&r);
	snprintf(target, sizeof target, "application:%s", r.receipt);
	if (j == NULL || record(&c, "api.view", target, NULL) != 0) {
		json_decref(j);
		return fail(req, &c, "view");
	}
	office_authz_end(&c.a);
	http_reply_json(req, 200, j);
}

/* The attachment {n} of the path: 1 with f filled; otherwise replied, 0. */
static int
load_file(struct http_request *req, struct api_call *c, const struct api_app *r,
	  struct app_file *f)
{
	const char *ns = http_req_param(req, "n");
	char *end;
	long n = ns ? strtol(ns, &end, 10) : 0;

	if (ns == NULL || *end != '\0' || n < 1 || n > 1000 ||
	    app_files_entry(r->manifest, n, f) != 0) {
		refuse(req, c, 404, "no_such_file", MSG_NO_FILE);
		return 0;
	}
	return 1;
}

void
office_api_attachment(struct http_request *req, void *app)
{
	struct api_call c;
	struct api_app r;
	struct app_file f;
	char target[RECEIPT_MAX + 32], cd[128], *buf = NULL;
	const char *type;
	size_t len = 0;
	int rc;

	if (api_begin(app, req, false, &c) != 0)
		return;
	if (load_app(req, &c, &r) != 1)
		return;
	if (load_file(req, &c, &r, &f) != 1) {
		api_app_free(&r);
		return;
	}
	snprintf(target, sizeof target, "application:%s/files/%ld", r.receipt, f.n);
	office_authz_unlock(&c.a);		/* reading the tar needs no lock */
	rc = app_files_read(r.bundle_path, &f, &buf, &len);
	office_authz_relock(&c.a);
	if (rc != 0) {
		log_err("tenant %s: api %s: %s in %s %s", c.a.t->name, target, f.member,
			r.bundle_path, rc > 0 ? "does not match the verified manifest"
					      : "cannot be read");
		api_app_free(&r);
		return refuse(req, &c, 500, "integrity", "添付ファイルを確認できませんでした。"
			      "システム管理者にご連絡ください。");
	}
	type = app_files_content_type(f.type);
	snprintf(cd, sizeof cd, "attachment; filename=\"%s_%02ld.%s\"", r.receipt, f.n,
		 f.type[0] ? f.type : "bin");
	api_app_free(&r);
	if (record(&c, "api.file", target, NULL) != 0) {
		free(buf);
		return fail(req, &c, "file");
	}
	office_authz_end(&c.a);
	http_reply_header(req, "Content-Disposition", cd);
	http_reply_bytes(req, 200, type ? type : "application/octet-stream", buf, len);
	free(buf);
}

void
office_api_attestation(struct http_request *req, void *app)
{
	struct api_call c;
	struct api_app r;
	struct app_file f;
	char target[RECEIPT_MAX + 48];
	sqlite3_stmt *st;
	json_t *att = NULL;
	int rc;

	if (api_begin(app, req, false, &c) != 0)
		return;
	if (load_app(req, &c, &r) != 1)
		return;
	if (load_file(req, &c, &r, &f) != 1) {
		api_app_free(&r);
		return;
	}
	snprintf(target, sizeof target, "application:%s/files/%ld/attestation", r.receipt, f.n);
	st = db_stmt(c.a.t->db, "SELECT attestation FROM attachments WHERE application_id = ?1"
				" AND member = ?2");
	if (st == NULL) {
		api_app_free(&r);
		return fail(req, &c, "attestation");
	}
	sqlite3_bind_int64(st, 1, r.id);
	sqlite3_bind_text(st, 2, f.member, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		att = parse_text(col(st, 0));
	sqlite3_reset(st);
	api_app_free(&r);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(req, &c, "attestation");
	if (att == NULL)
		return refuse(req, &c, 404, "no_such_file", MSG_NO_FILE);
	/* As the sanitizer signed it: checkable with its public key alone
	 * (docs/auditor-guide.md), by the linked system as by an auditor. */
	if (record(&c, "api.attestation", target, NULL) != 0) {
		json_decref(att);
		return fail(req, &c, "attestation");
	}
	office_authz_end(&c.a);
	http_reply_json(req, 200, att);
}

void
office_api_link(struct http_request *req, void *app)
{
	struct api_call c;
	struct api_app r;
	char at[TIMEFMT_LEN], target[RECEIPT_MAX + 16];
	const char *ref;
	sqlite3_stmt *st;
	json_t *body, *d;
	int rc;

	if (api_begin(app, req, true, &c) != 0)
		return;
	if ((body = http_req_json(req)) == NULL) {
		office_authz_end(&c.a);
		return;
	}
	if (load_app(req, &c, &r) != 1)
		return;
	api_app_free(&r);
	ref = jsonio_str(body, "reference", NULL);
	if (!office_text_valid(ref, OFFICE_API_REF_MAX, NULL))
		return refuse(req, &c, 400, "invalid_request", "reference（連携先での番号）を "
			      "1〜100 文字で、制御文字を含めずに指定してください。");
	timefmt_utc(time(NULL), at);
	snprintf(target, sizeof target, "application:%s", r.receipt);
	if (db_begin(c.a.t->db) != 0)
		return fail(req, &c, "link");
	st = db_stmt(c.a.t->db, "INSERT INTO application_links (application_id, system, reference,"
				" at) VALUES (?1, ?2, ?3, ?4)");
	if (st == NULL)
		return fail(req, &c, "link");
	sqlite3_bind_int64(st, 1, r.id);
	sqlite3_bind_text(st, 2, c.k.name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, at, -1, SQLITE_STATIC);
	d = json_pack("{s:s}", "reference", ref);
	rc = db_step_done(st) == 0 && office_audit(&c.a, "api.link", target, d) == 0 &&
	     db_commit(c.a.t->db) == 0;
	json_decref(d);
	if (!rc)
		return fail(req, &c, "link");
	d = links_json(c.a.t->db, r.id);
	office_authz_end(&c.a);
	http_reply_json(req, 201, json_pack("{s:s,s:o}", "receipt_no", r.receipt, "links", d));
}
