/*
 * office_documents.c — issued documents (see office_documents.h).
 *
 * What this file keeps true:
 *  - No unsigned document is stored or sent: the row is written only with the
 *    bytes pades_sign returned, and its SHA-256 is of exactly those bytes.
 *  - A document, its audit entry and its outbox place (sent_at NULL, bundle_id
 *    fixed) are one transaction; documents_out_flush is the only sender.
 *  - An uploaded file is a PDF by content (pades_check), never by its name or the
 *    Content-Type the browser claimed. A bulk zip is read twice: once for its
 *    headers alone (count, sizes, names, types; nothing issued if it is over a
 *    bound), then member by member, each read bounded by its checked size.
 *  - Rendering and signing (CPU: tens of milliseconds) run without the tenant's
 *    lock; what they need is copied out first.
 */
#include "office_documents.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "app_view.h"
#include "bundle.h"
#include "crypto.h"
#include "csvio.h"
#include "doc_render.h"
#include "jsonio.h"
#include "log.h"
#include "office_auth.h"
#include "office_procedures.h"
#include "pades.h"
#include "session.h"
#include "timefmt.h"
#include "wareki.h"

#define MSG_DB       "サーバーで問題が発生しました。時間をおいてお試しください。"
#define MSG_NO_APP   "指定された申請は見つかりません。"
#define MSG_NO_SIGN  "文書署名用の証明書が設定されていないため、文書を交付できません。" \
		     "システム管理者にご連絡ください。"
#define RECEIPT_MAX  40
#define APP_JSON_MAX (8 * 1024 * 1024)
#define DOC_MEMBER   "files/document.pdf"

/* ---- small helpers ---------------------------------------------------------------------- */

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

int
documents_receipt_from_name(const char *name, char *receipt, size_t len)
{
	size_t n = strlen(name), stem;
	const char *us;

	if (n < 5 || strcasecmp(name + n - 4, ".pdf") != 0)
		return -1;
	stem = n - 4;
	if ((us = memchr(name, '_', stem)) != NULL)
		stem = (size_t)(us - name);
	if (stem == 0 || stem >= len || stem > RECEIPT_MAX)
		return -1;
	memcpy(receipt, name, stem);
	receipt[stem] = '\0';
	return receipt_valid(receipt) ? 0 : -1;
}

/* The application (lock held) if the actor may act on its department. */
struct doc_app {
	int64_t id;
	char receipt[RECEIPT_MAX + 1];
	char title[DOC_TITLE_MAX + 1];
	char proc_id[72];
	long long version;
	json_t *answers;
};

/* 1 found, 0 not (or not the actor's), -1 database error. */
static int
fetch_app(struct office_actor *a, const char *receipt, struct doc_app *d)
{
	sqlite3_stmt *st;
	int64_t dept = 0;
	char err[64];
	int rc;

	memset(d, 0, sizeof *d);
	if (!receipt_valid(receipt))
		return 0;
	st = db_stmt(a->t->db, "SELECT id, receipt_no, department_id, application_json,"
			       " procedure_id, procedure_version FROM applications"
			       " WHERE receipt_no = ?1 ORDER BY id LIMIT 1");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, receipt, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(st, 3);
		json_t *app = text ? jsonio_parse(text, strlen(text), APP_JSON_MAX,
						  JSONIO_MAX_DEPTH, err, sizeof err) : NULL;

		d->id = sqlite3_column_int64(st, 0);
		snprintf(d->receipt, sizeof d->receipt, "%s", sqlite3_column_text(st, 1));
		dept = sqlite3_column_int64(st, 2);
		snprintf(d->title, sizeof d->title, "%s",
			 jsonio_str(json_object_get(app, "procedure"), "title", ""));
		d->answers = json_incref(json_object_get(app, "answers"));
		snprintf(d->proc_id, sizeof d->proc_id, "%s",
			 sqlite3_column_text(st, 4) ? (const char *)sqlite3_column_text(st, 4) : "");
		d->version = sqlite3_column_int64(st, 5);
		json_decref(app);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return -1;
	rc = office_authz_department(a, dept);
	if (rc != 1) {
		json_decref(d->answers);
		d->answers = NULL;
	}
	return rc;
}

static int
load_app(struct http_request *req, struct office_actor *a, struct doc_app *d)
{
	int rc = fetch_app(a, http_req_param(req, "receipt"), d);

	if (rc < 0)
		office_fail_db(req, a, "application");
	else if (rc == 0)
		office_refuse(req, a, 404, "no_such_application", MSG_NO_APP);
	return rc;
}

/* A display file name: the client's, made safe, ending in .pdf. */
static void
safe_file_name(const char *given, const char *fallback, char *out, size_t len)
{
	size_t n;

	snprintf(out, len, "%s", given && given[0] ? given : fallback);
	if (!office_text_valid(out, DOCUMENTS_NAME_MAX, "/\\\""))
		snprintf(out, len, "%s", fallback);
	n = strlen(out);
	if (n < 4 || strcasecmp(out + n - 4, ".pdf") != 0)
		snprintf(out + n, len - n, ".pdf");
}

/* ---- upload limits ---------------------------------------------------------------------- */

int
office_documents_upload_limits(struct http_request *req, struct http_limits *lim, void *app)
{
	struct officed *o = app;
	struct session_config sc;
	char name[SESSION_NAME_MAX + 1], token[SESSION_TOKEN_HEX + 1];
	const char *tenant = http_req_param(req, "tenant"), *path = http_req_path(req);
	size_t n = strlen(path);

	office_session_config(o, tenant ? tenant : "-", &sc, name);
	if (session_cookie_parse(&sc, http_req_header(req, "Cookie"), token) != 0) {
		http_reply_error(req, 401, "unauthenticated", "ログインしてください。");
		return -1;
	}
	if (!session_csrf_check(token, http_req_header(req, SESSION_CSRF_HEADER))) {
		explicit_bzero(token, sizeof token);
		http_reply_error(req, 403, "csrf", "リクエストを確認できませんでした。画面を再読み込み"
				 "してから、もう一度お試しください。");
		return -1;
	}
	explicit_bzero(token, sizeof token);
	lim->max_files = 1;
	if (n >= 5 && strcmp(path + n - 5, "/seal") == 0)
		lim->max_file_bytes = DOC_SEAL_MAX;
	else if (n >= 5 && strcmp(path + n - 5, "/bulk") == 0)
		lim->max_file_bytes = DOCUMENTS_ZIP_MAX;
	else
		lim->max_file_bytes = DOCUMENTS_UPLOAD_MAX;
	lim->max_upload_bytes = lim->max_file_bytes + 64 * 1024;
	return 0;
}

/* ---- settings and templates ------------------------------------------------------------- */

struct doc_settings {
	char issuer[DOCUMENTS_ISSUER_MAX * 4 + 1];
	uint8_t *seal;		/* malloc'd PNG or NULL */
	size_t seal_len;
};

/* Lock held. 0 or -1. */
static int
settings_load(struct db *db, struct doc_settings *s, bool with_seal)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT issuer, seal_png FROM document_settings"
				       " WHERE id = 1");
	int rc;

	memset(s, 0, sizeof *s);
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(s->issuer, sizeof s->issuer, "%s", sqlite3_column_text(st, 0));
		if (with_seal && sqlite3_column_type(st, 1) == SQLITE_BLOB &&
		    (s->seal_len = (size_t)sqlite3_column_bytes(st, 1)) > 0 &&
		    (s->seal = malloc(s->seal_len)) != NULL)
			memcpy(s->seal, sqlite3_column_blob(st, 1), s->seal_len);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static json_t *
settings_json(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT issuer, length(seal_png), updated_at, updated_by"
				       " FROM document_settings WHERE id = 1");
	json_t *j = NULL;

	if (st == NULL)
		return NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		j = json_pack("{s:s,s:b,s:s?,s:s?}", "issuer", sqlite3_column_text(st, 0),
			      "has_seal", sqlite3_column_int64(st, 1) > 0,
			      "updated_at", sqlite3_column_text(st, 2),
			      "updated_by", sqlite3_column_text(st, 3));
	else
		j = json_pack("{s:s,s:b}", "issuer", "", "has_seal", 0);
	sqlite3_reset(st);
	return j;
}

void
office_handle_documents_settings_get(struct http_request *req, void *app)
{
	struct office_actor a;
	json_t *j;

	if (office_authz_begin(app, req, OFFICE_ANY, &a) != 0)
		return;
	if ((j = settings_json(a.t->db)) == NULL)
		return office_fail_db(req, &a, "document settings");
	json_object_set_new(j, "signing_available", json_boolean(a.o->doc_signer != NULL));
	office_authz_end(&a);
	http_reply_json(req, 200, j);
}

/* Write the settings row (lock held, inside the caller's transaction): issuer if not
 * NULL, the seal if not NULL. */
static int
settings_store(struct office_actor *a, const char *issuer, const uint8_t *seal, size_t seal_len)
{
	char at[TIMEFMT_LEN];
	sqlite3_stmt *st;

	timefmt_utc(time(NULL), at);
	st = db_stmt(a->t->db, "INSERT INTO document_settings (id, issuer, seal_png, updated_at,"
			       " updated_by) VALUES (1, coalesce(?1, ''), ?2, ?3, ?4)"
			       " ON CONFLICT (id) DO UPDATE SET issuer = coalesce(?1, issuer),"
			       " seal_png = coalesce(?2, seal_png), updated_at = ?3, updated_by = ?4");
	if (st == NULL)
		return -1;
	if (issuer != NULL)
		sqlite3_bind_text(st, 1, issuer, -1, SQLITE_STATIC);
	if (seal != NULL)
		sqlite3_bind_blob(st, 2, seal, (int)seal_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->login, -1, SQLITE_STATIC);
	return db_step_done(st);
}

void
office_handle_documents_settings_put(struct http_request *req, void *app)
{
	struct office_actor a;
	const char *issuer;
	json_t *j, *d;
	int rc;

	if (office_authz_begin(app, req, OFFICE_ADMIN, &a) != 0)
		return;
	if ((j = http_req_json(req)) == NULL) {
		office_authz_end(&a);
		return;
	}
	issuer = jsonio_str(j, "issuer", NULL);
	if (issuer == NULL || !office_text_valid(issuer, DOCUMENTS_ISSUER_MAX, NULL))
		return office_refuse(req, &a, 400, "invalid_request", "発行者名（issuer）を 1〜100 文字で"
			      "入力してください（例: 関所市長 山田 一郎）。");
	d = json_pack("{s:s}", "issuer", issuer);
	rc = db_begin(a.t->db) != 0 || settings_store(&a, issuer, NULL, 0) != 0 ||
	     office_audit(&a, "document.settings", "document-settings", d) != 0 ||
	     db_commit(a.t->db) != 0;
	json_decref(d);
	if (rc)
		return office_fail_db(req, &a, "document settings");
	j = settings_json(a.t->db);
	office_authz_end(&a);
	http_reply_json(req, 200, j);
}

void
office_handle_documents_seal(struct http_request *req, void *app)
{
	struct office_actor a;
	char err[256], hex[CRYPTO_SHA256_LEN * 2 + 1];
	uint8_t h[CRYPTO_SHA256_LEN];
	size_t len = 0;
	char *png;
	json_t *d;
	int rc;

	if (office_authz_begin(app, req, OFFICE_ADMIN, &a) != 0)
		return;
	if ((png = office_upload_read(req, &a, DOC_SEAL_MAX, "公印の PNG ファイルを 1 つ指定してください。",
				      "公印の画像が大きすぎます。", &len)) == NULL)
		return;
	if (doc_render_seal_check((uint8_t *)png, len, err, sizeof err) != 0) {
		free(png);
		return office_refuse(req, &a, 400, "invalid_seal", err);
	}
	crypto_sha256(png, len, h);
	crypto_hex(h, sizeof h, hex);
	d = json_pack("{s:s,s:I}", "sha256", hex, "size", (json_int_t)len);
	rc = db_begin(a.t->db) != 0 || settings_store(&a, NULL, (uint8_t *)png, len) != 0 ||
	     office_audit(&a, "document.seal", "document-settings", d) != 0 ||
	     db_commit(a.t->db) != 0;
	json_decref(d);
	free(png);
	if (rc)
		return office_fail_db(req, &a, "seal");
	d = settings_json(a.t->db);
	office_authz_end(&a);
	http_reply_json(req, 200, d);
}

static json_t *
template_json(sqlite3_stmt *st)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
			 "name", sqlite3_column_text(st, 1), "title", sqlite3_column_text(st, 2),
			 "body", sqlite3_column_text(st, 3), "updated_at", sqlite3_column_text(st, 4),
			 "updated_by", sqlite3_column_text(st, 5));
}

void
office_handle_document_templates_list(struct http_request *req, void *app)
{
	struct office_actor a;
	sqlite3_stmt *st;
	json_t *list;
	int rc;

	if (office_authz_begin(app, req, OFFICE_ANY, &a) != 0)
		return;
	st = db_stmt(a.t->db, "SELECT id, name, title, body, updated_at, updated_by FROM"
			      " document_templates ORDER BY name");
	if (st == NULL)
		return office_fail_db(req, &a, "templates");
	list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(list, template_json(st));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		return office_fail_db(req, &a, "templates");
	}
	office_authz_end(&a);
	http_reply_json(req, 200, json_pack("{s:o,s:[sssss]}", "templates", list, "builtin_fields",
					    "receipt_no", "date_wareki", "date", "municipality",
					    "procedure_title"));
}

/* The template in body j checked: name, title, body. NULL, or the reason. */
static const char *
template_problem(const json_t *j, char *err, size_t errlen)
{
	const char *name = jsonio_str(j, "name", ""), *title = jsonio_str(j, "title", "");
	const char *body = jsonio_str(j, "body", "");

	if (!office_text_valid(name, DOCUMENTS_NAME_MAX, NULL))
		return "ひな形の名前（name）を 1〜100 文字で入力してください。";
	if (!office_text_valid(title, 100, NULL))
		return "文書の表題（title）を 1〜100 文字で入力してください。";
	if (body[0] == '\0' || !csvio_utf8_valid(body, strlen(body)))
		return "本文（body）を入力してください。";
	if (doc_render_check(body, err, errlen) != 0)
		return err;
	return NULL;
}

/* Insert (id 0) or update the template from j, audited. 1 done, 0 no such template,
 * 2 name taken, -1 database error. *id is the template's. */
static int
template_store(struct office_actor *a, const json_t *j, int64_t *id)
{
	char at[TIMEFMT_LEN], target[48];
	sqlite3_stmt *st;
	json_t *d;
	int rc;

	timefmt_utc(time(NULL), at);
	if (db_begin(a->t->db) != 0)
		return -1;
	st = *id == 0
		? db_stmt(a->t->db, "INSERT INTO document_templates (name, title, body, created_at,"
				    " created_by, updated_at, updated_by) SELECT ?2, ?3, ?4, ?5, ?6,"
				    " ?5, ?6 WHERE (SELECT count(*) FROM document_templates) < ?1")
		: db_stmt(a->t->db, "UPDATE document_templates SET name = ?2, title = ?3, body = ?4,"
				    " updated_at = ?5, updated_by = ?6 WHERE id = ?1");
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, *id == 0 ? DOCUMENTS_TEMPLATES_MAX : *id);
	sqlite3_bind_text(st, 2, jsonio_str(j, "name", ""), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, jsonio_str(j, "title", ""), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, jsonio_str(j, "body", ""), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, a->login, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (db_is_constraint(rc)) {
		db_rollback(a->t->db);
		return 2;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	if (sqlite3_changes(db_handle(a->t->db)) != 1) {
		db_rollback(a->t->db);
		return 0;
	}
	if (*id == 0)
		*id = sqlite3_last_insert_rowid(db_handle(a->t->db));
	snprintf(target, sizeof target, "document-template:%lld", (long long)*id);
	d = json_pack("{s:s,s:s}", "name", jsonio_str(j, "name", ""), "title",
		      jsonio_str(j, "title", ""));
	rc = office_audit(a, "document.template", target, d);
	json_decref(d);
	if (rc != 0 || db_commit(a->t->db) != 0)
		goto fail;
	return 1;
fail:
	db_rollback(a->t->db);
	return -1;
}

static void
template_reply(struct http_request *req, struct office_actor *a, int64_t id, unsigned status)
{
	sqlite3_stmt *st = db_stmt(a->t->db, "SELECT id, name, title, body, updated_at, updated_by"
					     " FROM document_templates WHERE id = ?1");
	json_t *j = NULL;

	if (st == NULL)
		return office_fail_db(req, a, "template");
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		j = template_json(st);
	sqlite3_reset(st);
	office_authz_end(a);
	http_reply_json(req, status, j ? j : json_object());
}

static void
template_write(struct http_request *req, void *app, bool create)
{
	struct office_actor a;
	const char *why;
	char err[256], *end;
	int64_t id = 0;
	json_t *j;
	int rc;

	if (office_authz_begin(app, req, OFFICE_ADMIN, &a) != 0)
		return;
	if ((j = http_req_json(req)) == NULL) {
		office_authz_end(&a);
		return;
	}
	if (!create) {
		const char *s = http_req_param(req, "id");

		id = s ? strtoll(s, &end, 10) : 0;
		if (s == NULL || *end != '\0' || id <= 0)
			return office_refuse(req, &a, 404, "no_such_template", "指定されたひな形は見つかりません。");
	}
	if ((why = template_problem(j, err, sizeof err)) != NULL)
		return office_refuse(req, &a, 400, "invalid_template", why);
	rc = template_store(&a, j, &id);
	if (rc < 0)
		return office_fail_db(req, &a, "template");
	if (rc == 0)
		return office_refuse(req, &a, create ? 409 : 404, create ? "too_many" : "no_such_template",
			      create ? "ひな形は 500 件までです。" : "指定されたひな形は見つかりません。");
	if (rc == 2)
		return office_refuse(req, &a, 409, "name_taken", "同じ名前のひな形がすでにあります。");
	template_reply(req, &a, id, create ? 201 : 200);
}

void
office_handle_document_templates_create(struct http_request *req, void *app)
{
	template_write(req, app, true);
}

void
office_handle_document_template_update(struct http_request *req, void *app)
{
	template_write(req, app, false);
}

/* ---- issuing ---------------------------------------------------------------------------- */

struct issued {
	int64_t id;
	long long n;
	char bundle_id[SPOOL_ID_MAX + 1];
	char sha256[CRYPTO_SHA256_LEN * 2 + 1];
	char issued_at[TIMEFMT_LEN];
};

/* Store the signed pdf for app d, audited, with its outbox place. Lock held, no
 * transaction open. 0, 1 when the application has DOCUMENTS_PER_APP_MAX already,
 * -1 database error. */
static int
store_document(struct office_actor *a, const struct doc_app *d, const char *title,
	       const char *file_name, const char *source, int64_t template_id,
	       const uint8_t *pdf, size_t len, struct issued *out)
{
	uint8_t h[CRYPTO_SHA256_LEN];
	char target[RECEIPT_MAX + 32];
	sqlite3_stmt *st;
	json_t *detail;
	int rc;

	memset(out, 0, sizeof *out);
	crypto_sha256(pdf, len, h);
	crypto_hex(h, sizeof h, out->sha256);
	timefmt_utc(time(NULL), out->issued_at);
	if (db_begin(a->t->db) != 0)
		return -1;
	if ((st = db_stmt(a->t->db, "SELECT count(*) FROM issued_documents WHERE"
				    " application_id = ?1")) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, d->id);
	rc = sqlite3_step(st);
	out->n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) + 1 : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		goto fail;
	if (out->n > DOCUMENTS_PER_APP_MAX) {
		db_rollback(a->t->db);
		return 1;
	}
	st = db_stmt(a->t->db, "INSERT INTO issued_documents (application_id, receipt_no, n,"
			       " title, file_name, source, template_id, pdf, size, sha256, issued_at,"
			       " issued_by, bundle_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
			       " ?10, ?11, ?12, NULL)");
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, d->id);
	sqlite3_bind_text(st, 2, d->receipt, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, out->n);
	sqlite3_bind_text(st, 4, title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, file_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, source, -1, SQLITE_STATIC);
	if (template_id > 0)
		sqlite3_bind_int64(st, 7, template_id);
	sqlite3_bind_blob64(st, 8, pdf, len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)len);
	sqlite3_bind_text(st, 10, out->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, out->issued_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, a->login, -1, SQLITE_STATIC);
	if (db_step_done(st) != 0)
		goto fail;
	out->id = sqlite3_last_insert_rowid(db_handle(a->t->db));
	/* The bundle id is fixed now: a resend after a crash has the same one. */
	snprintf(out->bundle_id, sizeof out->bundle_id, "document-%s-%lld", a->t->name,
		 (long long)out->id);
	if ((st = db_stmt(a->t->db, "UPDATE issued_documents SET bundle_id = ?2 WHERE"
				    " id = ?1")) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, out->id);
	sqlite3_bind_text(st, 2, out->bundle_id, -1, SQLITE_STATIC);
	if (db_step_done(st) != 0)
		goto fail;
	snprintf(target, sizeof target, "application:%s/documents/%lld", d->receipt, out->n);
	detail = json_pack("{s:s,s:s,s:s,s:I,s:s,s:s}", "title", title, "file_name", file_name,
			   "source", source, "size", (json_int_t)len, "sha256", out->sha256,
			   "bundle_id", out->bundle_id);
	if (template_id > 0)
		json_object_set_new(detail, "template_id", json_integer(template_id));
	rc = office_audit(a, "document.issue", target, detail);
	json_decref(detail);
	if (rc != 0 || db_commit(a->t->db) != 0)
		goto fail;
	return 0;
fail:
	db_rollback(a->t->db);
	return -1;
}

static json_t *
issued_json(const struct issued *is, const char *receipt, const char *title,
	    const char *file_name, size_t size)
{
	char at[TIMEFMT_LEN];
	time_t t;

	if (timefmt_parse_rfc3339(is->issued_at, &t) == 0)
		timefmt_jst_rfc3339(t, at);
	else
		snprintf(at, sizeof at, "%s", is->issued_at);
	return json_pack("{s:s,s:I,s:s,s:s,s:I,s:s,s:s,s:s}", "receipt_no", receipt,
			 "n", (json_int_t)is->n, "title", title, "file_name", file_name,
			 "size", (json_int_t)size, "sha256", is->sha256, "issued_at", at,
			 "bundle_id", is->bundle_id);
}

/* Sign pdf without the lock, then store it. Replies itself. */
static void
sign_and_store(struct http_request *req, struct office_actor *a, struct doc_app *d,
	       const char *title, const char *file_name, const char *source,
	       int64_t template_id, const uint8_t *pdf, size_t len)
{
	uint8_t *signed_pdf = NULL;
	size_t slen = 0;
	struct issued is;
	char err[256];
	int rc;

	office_authz_unlock(a);
	rc = pades_sign(a->o->doc_signer, pdf, len, time(NULL), &signed_pdf, &slen, err,
			sizeof err);
	office_authz_relock(a);
	if (rc != 0) {
		log_err("tenant %s: sign document for %s: %s", a->t->name, d->receipt, err);
		return office_refuse(req, a, 500, "signing_failed", "文書に署名できませんでした。"
			      "システム管理者にご連絡ください。");
	}
	rc = store_document(a, d, title, file_name, source, template_id, signed_pdf, slen, &is);
	if (rc < 0) {
		free(signed_pdf);
		return office_fail_db(req, a, "document issue");
	}
	free(signed_pdf);
	if (rc == 1)
		return office_refuse(req, a, 409, "too_many", "この申請に交付できる文書は 50 件までです。");
	office_authz_end(a);
	http_reply_json(req, 201, issued_json(&is, d->receipt, title, file_name, slen));
}

/* The values a template may use: the answers as the applicant saw them (option
 * labels, dates with 和暦; raw where the definition is not held), then officed's
 * own fields. Lock held. */
static json_t *
merge_values(struct db *db, const struct doc_app *d, const char *issuer, time_t now)
{
	json_t *v = json_is_object(d->answers) ? json_deep_copy(d->answers) : json_object();
	struct office_procedure p;
	time_t jst = now + TIMEFMT_JST_OFFSET;
	char day[16], wareki[40];
	struct tm tm;

	if (office_procedure_load(db, d->proc_id[0] ? d->proc_id : NULL, d->version, &p) == 0) {
		json_t *shown = p.definition ? app_view_values(p.definition, d->answers) : NULL;

		if (shown != NULL)
			json_object_update(v, shown);
		json_decref(shown);
		office_procedure_free(&p);
	}
	gmtime_r(&jst, &tm);
	snprintf(day, sizeof day, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	if (wareki_format(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, wareki, sizeof wareki) != 0)
		snprintf(wareki, sizeof wareki, "%s", day);
	json_object_set_new(v, "receipt_no", json_string(d->receipt));
	json_object_set_new(v, "date_wareki", json_string(wareki));
	json_object_set_new(v, "date", json_string(day));
	json_object_set_new(v, "municipality", json_string(issuer));
	json_object_set_new(v, "procedure_title", json_string(d->title));
	return v;
}

void
office_handle_application_document_issue(struct http_request *req, void *app)
{
	struct office_actor a;
	struct doc_app d;
	struct doc_settings set;
	char title[DOC_TITLE_MAX + 1], name[DOCUMENTS_NAME_MAX * 4 + 8], err[300], *tmpl = NULL;
	char *body = NULL;
	struct doc_render_input in;
	long long tid = 0;
	sqlite3_stmt *st;
	uint8_t *pdf = NULL;
	size_t len = 0;
	json_t *j, *v;
	int rc;

	if (office_authz_begin(app, req, OFFICE_WRITE, &a) != 0)
		return;
	if ((j = http_req_json(req)) == NULL) {
		office_authz_end(&a);
		return;
	}
	if (load_app(req, &a, &d) != 1)
		return;
	if (a.o->doc_signer == NULL) {
		json_decref(d.answers);
		return office_refuse(req, &a, 503, "signing_unavailable", MSG_NO_SIGN);
	}
	if (jsonio_int(j, "template_id", 1, INT32_MAX, &tid) != 0 || tid <= 0 ||
	    (st = db_stmt(a.t->db, "SELECT title, body FROM document_templates WHERE id = ?1"))
	    == NULL) {
		json_decref(d.answers);
		if (tid <= 0)
			return office_refuse(req, &a, 400, "invalid_request", "ひな形（template_id）を指定して"
				      "ください。");
		return office_fail_db(req, &a, "template");
	}
	sqlite3_bind_int64(st, 1, tid);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(title, sizeof title, "%s", sqlite3_column_text(st, 0));
		tmpl = strdup((const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	if (tmpl == NULL) {
		json_decref(d.answers);
		return office_refuse(req, &a, 404, "no_such_template", "指定されたひな形は見つかりません。");
	}
	if (settings_load(a.t->db, &set, true) != 0) {
		free(tmpl);
		json_decref(d.answers);
		return office_fail_db(req, &a, "document settings");
	}
	v = merge_values(a.t->db, &d, set.issuer, time(NULL));
	rc = doc_render_merge(tmpl, v, &body, err, sizeof err);
	json_decref(v);
	free(tmpl);
	if (rc != 0) {
		free(set.seal);
		json_decref(d.answers);
		return office_refuse(req, &a, 400, "merge_failed", err);
	}
	in = (struct doc_render_input){ title, body, set.issuer, set.seal, set.seal_len };
	office_authz_unlock(&a);
	rc = doc_render_pdf(&in, &pdf, &len, err, sizeof err);
	office_authz_relock(&a);
	free(body);
	free(set.seal);
	if (rc != 0) {
		json_decref(d.answers);
		return office_refuse(req, &a, 400, "render_failed", err);
	}
	snprintf(name, sizeof name, "%s-%s.pdf", title, d.receipt);
	sign_and_store(req, &a, &d, title, name, "template", tid, pdf, len);
	free(pdf);
	json_decref(d.answers);
}

void
office_handle_application_document_upload(struct http_request *req, void *app)
{
	const struct http_upload *u = http_req_upload(req, 0);
	const char *title = http_req_field(req, "title");
	char name[HTTP_MAX_FILENAME + 8], err[300];
	struct office_actor a;
	struct doc_app d;
	size_t len = 0;
	char *pdf;

	if (office_authz_begin(app, req, OFFICE_WRITE, &a) != 0)
		return;
	if (load_app(req, &a, &d) != 1)
		return;
	json_decref(d.answers);
	if (a.o->doc_signer == NULL)
		return office_refuse(req, &a, 503, "signing_unavailable", MSG_NO_SIGN);
	if (title == NULL || !office_text_valid(title, 100, NULL))
		return office_refuse(req, &a, 400, "invalid_request", "文書の表題（title）を 1〜100 文字で"
			      "入力してください。");
	if ((pdf = office_upload_read(req, &a, DOCUMENTS_UPLOAD_MAX, "交付する PDF ファイルを 1 つ指定して"
				      "ください。", "PDF ファイルは 10 MB までです。", &len)) == NULL)
		return;
	if (pades_check((uint8_t *)pdf, len, err, sizeof err) != 0) {
		free(pdf);
		return office_refuse(req, &a, 400, "not_a_signable_pdf", err);
	}
	safe_file_name(u->filename, "document.pdf", name, sizeof name);
	sign_and_store(req, &a, &d, title, name, "upload", 0, (uint8_t *)pdf, len);
	free(pdf);
}

void
office_handle_application_documents_list(struct http_request *req, void *app)
{
	struct office_actor a;
	struct doc_app d;
	sqlite3_stmt *st;
	json_t *list;
	int rc;

	if (office_authz_begin(app, req, OFFICE_ANY, &a) != 0)
		return;
	if (load_app(req, &a, &d) != 1)
		return;
	json_decref(d.answers);
	st = db_stmt(a.t->db, "SELECT n, title, file_name, source, size, sha256, issued_at,"
			      " issued_by, sent_at FROM issued_documents WHERE application_id = ?1"
			      " ORDER BY n");
	if (st == NULL)
		return office_fail_db(req, &a, "documents");
	sqlite3_bind_int64(st, 1, d.id);
	list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char at[TIMEFMT_LEN];
		time_t t;

		if (timefmt_parse_rfc3339((const char *)sqlite3_column_text(st, 6), &t) == 0)
			timefmt_jst_rfc3339(t, at);
		else
			snprintf(at, sizeof at, "%s", sqlite3_column_text(st, 6));
		json_array_append_new(list, json_pack("{s:I,s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:b}",
			"n", (json_int_t)sqlite3_column_int64(st, 0),
			"title", sqlite3_column_text(st, 1), "file_name", sqlite3_column_text(st, 2),
			"source", sqlite3_column_text(st, 3),
			"size", (json_int_t)sqlite3_column_int64(st, 4),
			"sha256", sqlite3_column_text(st, 5), "issued_at", at,
			"issued_by", sqlite3_column_text(st, 7),
			"sent", sqlite3_column_type(st, 8) != SQLITE_NULL));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		return office_fail_db(req, &a, "documents");
	}
	office_authz_end(&a);
	http_reply_json(req, 200, json_pack("{s:s,s:o}", "receipt_no", d.receipt, "documents",
					    list));
}

void
office_handle_application_document_get(struct http_request *req, void *app)
{
	const char *ns = http_req_param(req, "n");
	char target[RECEIPT_MAX + 32], cd[96], *end;
	struct office_actor a;
	struct doc_app d;
	sqlite3_stmt *st;
	void *pdf = NULL;
	size_t len = 0;
	long n;

	if (office_authz_begin(app, req, OFFICE_ANY, &a) != 0)
		return;
	if (load_app(req, &a, &d) != 1)
		return;
	json_decref(d.answers);
	n = ns ? strtol(ns, &end, 10) : 0;
	if (ns == NULL || *end != '\0' || n < 1 || n > DOCUMENTS_PER_APP_MAX)
		return office_refuse(req, &a, 404, "no_such_document", "指定された文書は見つかりません。");
	if ((st = db_stmt(a.t->db, "SELECT pdf FROM issued_documents WHERE application_id = ?1"
				   " AND n = ?2")) == NULL)
		return office_fail_db(req, &a, "document");
	sqlite3_bind_int64(st, 1, d.id);
	sqlite3_bind_int64(st, 2, n);
	if (sqlite3_step(st) == SQLITE_ROW && (len = (size_t)sqlite3_column_bytes(st, 0)) > 0 &&
	    (pdf = malloc(len)) != NULL)
		memcpy(pdf, sqlite3_column_blob(st, 0), len);
	sqlite3_reset(st);
	if (pdf == NULL)
		return office_refuse(req, &a, 404, "no_such_document", "指定された文書は見つかりません。");
	snprintf(target, sizeof target, "application:%s/documents/%ld", d.receipt, n);
	if (office_audit(&a, "document.view", target, NULL) != 0) {
		free(pdf);
		return office_fail_db(req, &a, "document view");
	}
	office_authz_end(&a);
	snprintf(cd, sizeof cd, "attachment; filename=\"document-%s-%ld.pdf\"", d.receipt, n);
	http_reply_header(req, "Content-Disposition", cd);
	http_reply_header(req, "Cache-Control", "no-store");
	http_reply_bytes(req, 200, "application/pdf", pdf, len);
	free(pdf);
}

/* ---- bulk ------------------------------------------------------------------------------- */

static struct archive *
zip_open(const char *path)
{
	struct archive *ar = archive_read_new();

	if (ar == NULL)
		return NULL;
	archive_read_support_format_zip(ar);
	if (archive_read_open_filename(ar, path, 64 * 1024) != ARCHIVE_OK) {
		archive_read_free(ar);
		return NULL;
	}
	return ar;
}

/* The next member's header. A name that does not convert to the daemon's (C) locale
 * is only a warning: the name is read as UTF-8 (member_name). */
static int
next_header(struct archive *ar, struct archive_entry **e)
{
	int rc = archive_read_next_header(ar, e);

	return rc == ARCHIVE_WARN ? ARCHIVE_OK : rc;
}

static const char *
member_name(struct archive_entry *e)
{
	const char *name = archive_entry_pathname_utf8(e);

	return name ? name : archive_entry_pathname(e);
}

/* Why a member cannot be a document, from its header alone; NULL if it may be. */
static const char *
member_problem(struct archive_entry *e, const char **code)
{
	const char *name = member_name(e);

	if (archive_entry_filetype(e) != AE_IFREG) {
		*code = "not_a_file";
		return "通常のファイルではありません（フォルダやリンクは使えません）。";
	}
	if (name == NULL || strchr(name, '/') || strchr(name, '\\') || name[0] == '.') {
		*code = "path_not_allowed";
		return "フォルダの中のファイルは使えません。zip の最上位に置いてください。";
	}
	if (archive_entry_is_encrypted(e)) {
		*code = "encrypted";
		return "暗号化されたファイルは使えません。";
	}
	if (!archive_entry_size_is_set(e) || archive_entry_size(e) > DOCUMENTS_UPLOAD_MAX) {
		*code = "too_large";
		return "ファイルが 10 MB を超えています。";
	}
	return NULL;
}

/* Pass one: count and size the members, nothing read. 0, or -1 with the reason. */
static int
zip_survey(const char *path, const char **why)
{
	struct archive *ar = zip_open(path);
	struct archive_entry *e;
	long long total = 0;
	unsigned n = 0;
	int rc;

	if (ar == NULL) {
		*why = "zip ファイルを読み取れません。";
		return -1;
	}
	while ((rc = next_header(ar, &e)) == ARCHIVE_OK) {
		if (++n > DOCUMENTS_ZIP_MEMBERS_MAX) {
			*why = "zip の中のファイルは 200 個までにしてください。";
			break;
		}
		if (archive_entry_size_is_set(e))
			total += archive_entry_size(e);
		if (total > DOCUMENTS_ZIP_TOTAL_MAX) {
			*why = "zip の中のファイルの合計が大きすぎます（200 MB まで）。";
			break;
		}
	}
	archive_read_free(ar);
	if (rc == ARCHIVE_OK)
		return -1;	/* stopped at a bound: *why says which */
	if (rc != ARCHIVE_EOF) {
		*why = "zip ファイルが壊れているか、扱えない形式です。";
		return -1;
	}
	if (n == 0) {
		*why = "zip の中に PDF ファイルがありません。";
		return -1;
	}
	return 0;
}

static json_t *
row(const char *name, const char *receipt, const char *code, const char *message)
{
	return json_pack("{s:s,s:s?,s:b,s:s,s:s}", "file", name, "receipt_no", receipt, "ok", 0,
			 "result", code, "message", message);
}

/* One member, its data read: checked, signed and stored. The row of results. */
static json_t *
bulk_member(struct office_actor *a, const char *name, const char *title, const uint8_t *pdf,
	    size_t len)
{
	char receipt[RECEIPT_MAX + 1], err[300], fname[HTTP_MAX_FILENAME + 8];
	uint8_t *signed_pdf = NULL;
	struct doc_app d;
	struct issued is;
	size_t slen = 0;
	json_t *r;
	int rc;

	if (documents_receipt_from_name(name, receipt, sizeof receipt) != 0)
		return row(name, NULL, "bad_name", "ファイル名が「到達番号.pdf」か"
			   "「到達番号_任意の名前.pdf」になっていません。");
	if ((rc = fetch_app(a, receipt, &d)) < 0)
		return NULL;
	if (rc == 0)
		return row(name, receipt, "unknown_receipt", "この到達番号の申請は見つかりません。");
	json_decref(d.answers);
	if (pades_check(pdf, len, err, sizeof err) != 0)
		return row(name, receipt, "not_a_pdf", err);
	office_authz_unlock(a);
	rc = pades_sign(a->o->doc_signer, pdf, len, time(NULL), &signed_pdf, &slen, err,
			sizeof err);
	office_authz_relock(a);
	if (rc != 0) {
		log_err("tenant %s: sign %s: %s", a->t->name, name, err);
		return row(name, receipt, "signing_failed", "署名できませんでした。");
	}
	safe_file_name(name, "document.pdf", fname, sizeof fname);
	rc = store_document(a, &d, title, fname, "upload", 0, signed_pdf, slen, &is);
	free(signed_pdf);
	if (rc < 0)
		return NULL;
	if (rc == 1)
		return row(name, receipt, "too_many", "この申請に交付できる文書は 50 件までです。");
	r = issued_json(&is, d.receipt, title, fname, slen);
	json_object_set_new(r, "file", json_string(name));
	json_object_set_new(r, "ok", json_true());
	json_object_set_new(r, "result", json_string("issued"));
	return r;
}

static void
bulk(struct http_request *req, void *app)
{
	const struct http_upload *u = http_req_upload(req, 0);
	const char *title = http_req_field(req, "title"), *why = NULL;
	struct office_actor a;
	struct archive *ar;
	struct archive_entry *e;
	json_t *results, *d;
	size_t ok = 0;
	int rc;

	if (office_authz_begin(app, req, OFFICE_WRITE, &a) != 0)
		return;
	if (a.o->doc_signer == NULL)
		return office_refuse(req, &a, 503, "signing_unavailable", MSG_NO_SIGN);
	if (u == NULL || http_req_upload_count(req) != 1)
		return office_refuse(req, &a, 400, "file_required", "PDF をまとめた zip ファイルを 1 つ"
			      "指定してください。");
	if (title == NULL || !office_text_valid(title, 100, NULL))
		return office_refuse(req, &a, 400, "invalid_request", "文書の表題（title）を 1〜100 文字で"
			      "入力してください。");
	/* Reading the zip needs no lock. */
	office_authz_unlock(&a);
	rc = zip_survey(u->path, &why);
	office_authz_relock(&a);
	if (rc != 0)
		return office_refuse(req, &a, 400, "invalid_zip", why);
	if ((ar = zip_open(u->path)) == NULL)
		return office_refuse(req, &a, 400, "invalid_zip", "zip ファイルを読み取れません。");
	results = json_array();
	while ((rc = next_header(ar, &e)) == ARCHIVE_OK) {
		const char *name = member_name(e), *code = NULL, *problem;
		char shown[HTTP_MAX_FILENAME + 1];
		uint8_t *buf;
		la_ssize_t got;
		json_t *r;

		snprintf(shown, sizeof shown, "%s", name ? name : "");
		if (!csvio_utf8_valid(shown, strlen(shown)))
			snprintf(shown, sizeof shown, "(名前を読み取れないファイル)");
		if ((problem = member_problem(e, &code)) != NULL) {
			json_array_append_new(results, row(shown, NULL, code, problem));
			continue;
		}
		if ((buf = malloc((size_t)archive_entry_size(e) + 1)) == NULL) {
			json_decref(results);
			archive_read_free(ar);
			return office_fail_db(req, &a, "bulk: out of memory");
		}
		/* One byte more than the header said: a member longer than it claims is
		 * caught, not truncated. */
		got = archive_read_data(ar, buf, (size_t)archive_entry_size(e) + 1);
		if (got != (la_ssize_t)archive_entry_size(e)) {
			free(buf);
			json_array_append_new(results, row(shown, NULL, "unreadable",
							   "zip の中のファイルを読み取れません。"));
			continue;
		}
		r = bulk_member(&a, shown, title, buf, (size_t)got);
		free(buf);
		if (r == NULL) {
			json_decref(results);
			archive_read_free(ar);
			return office_fail_db(req, &a, "bulk");
		}
		ok += json_is_true(json_object_get(r, "ok"));
		json_array_append_new(results, r);
	}
	archive_read_free(ar);
	d = json_pack("{s:s,s:I,s:I}", "title", title, "members",
		      (json_int_t)json_array_size(results), "issued", (json_int_t)ok);
	if (office_audit(&a, "document.bulk", "documents", d) != 0) {
		json_decref(d);
		json_decref(results);
		return office_fail_db(req, &a, "bulk");
	}
	json_decref(d);
	office_authz_end(&a);
	http_reply_json(req, 200, json_pack("{s:o,s:I,s:I}", "results", results, "issued",
					    (json_int_t)ok, "failed",
					    (json_int_t)(json_array_size(results) - ok)));
}

void
office_handle_documents_bulk(struct http_request *req, void *app)
{
	/* libarchive converts member names to the thread's locale, and the daemon runs in
	 * "C": in C.UTF-8, for this thread only, a Japanese file name is read as it is. */
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	locale_t old = utf8 != (locale_t)0 ? uselocale(utf8) : (locale_t)0;

	bulk(req, app);
	if (utf8 != (locale_t)0) {
		uselocale(old);
		freelocale(utf8);
	}
}

/* ---- the outbox ------------------------------------------------------------------------- */

/* Write the document row id as its bundle (lock held). 0 or -1 with err. */
static int
send_one(struct tenant *t, struct spool *out, const uint8_t key[32], sqlite3_stmt *st,
	 char *err, size_t errlen)
{
	const char *id = (const char *)sqlite3_column_text(st, 0);
	const void *pdf = sqlite3_column_blob(st, 7);
	size_t len = (size_t)sqlite3_column_bytes(st, 7);
	struct bundle_writer *w = bundle_writer_new(id, t->name, "document");
	char tmp[PATH_MAX], at[TIMEFMT_LEN];
	json_t *doc;
	time_t when;
	int fd, rc;

	if (timefmt_parse_rfc3339((const char *)sqlite3_column_text(st, 6), &when) == 0)
		timefmt_jst_rfc3339(when, at);
	else
		snprintf(at, sizeof at, "%s", sqlite3_column_text(st, 6));
	doc = json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:I,s:s,s:s}", "format", "sekisho-document/1",
			"receipt_no", sqlite3_column_text(st, 1),
			"n", (json_int_t)sqlite3_column_int64(st, 2),
			"title", sqlite3_column_text(st, 3), "file_name", sqlite3_column_text(st, 4),
			"sha256", sqlite3_column_text(st, 5), "size", (json_int_t)len,
			"issued_at", at, "member", DOC_MEMBER);
	if (w == NULL || doc == NULL || pdf == NULL ||
	    bundle_writer_add_json(w, "data/document.json", doc) != BUNDLE_OK ||
	    bundle_writer_add_bytes(w, DOC_MEMBER, pdf, len) != BUNDLE_OK) {
		json_decref(doc);
		bundle_writer_free(w);
		snprintf(err, errlen, "%s: cannot build the bundle", id ? id : "?");
		return -1;
	}
	json_decref(doc);
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

int
documents_out_flush(struct tenant *t, struct spool *out, const uint8_t office_key[32],
		    time_t now, char *err, size_t errlen)
{
	char when[TIMEFMT_LEN];
	sqlite3_stmt *st, *mark;
	int n = 0, rc;

	timefmt_utc(now, when);
	pthread_mutex_lock(&t->lock);
	while (n < DOCUMENTS_OUT_MAX_BUNDLES) {
		int64_t id;

		st = db_stmt(t->db, "SELECT bundle_id, receipt_no, n, title, file_name, sha256,"
				    " issued_at, pdf, id FROM issued_documents WHERE sent_at IS NULL"
				    " ORDER BY id LIMIT 1");
		if (st == NULL) {
			snprintf(err, errlen, "document outbox: %s", db_errmsg(t->db));
			n = -1;
			break;
		}
		if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
			sqlite3_reset(st);
			if (rc != SQLITE_DONE) {
				snprintf(err, errlen, "document outbox: %s", db_errmsg(t->db));
				n = -1;
			}
			break;
		}
		id = sqlite3_column_int64(st, 8);
		rc = send_one(t, out, office_key, st, err, errlen);
		sqlite3_reset(st);
		if (rc != 0) {
			n = -1;
			break;
		}
		mark = db_stmt(t->db, "UPDATE issued_documents SET sent_at = ?2 WHERE id = ?1");
		if (mark == NULL) {
			snprintf(err, errlen, "document outbox: %s", db_errmsg(t->db));
			n = -1;
			break;
		}
		sqlite3_bind_int64(mark, 1, id);
		sqlite3_bind_text(mark, 2, when, -1, SQLITE_STATIC);
		if (db_step_done(mark) != 0) {
			snprintf(err, errlen, "document outbox: %s", db_errmsg(t->db));
			n = -1;
			break;
		}
		n++;
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}
