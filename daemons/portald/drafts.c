/*
 * drafts.c — 一時保存 on the server (see drafts.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "drafts.h"
#include "jsonio.h"
#include "log.h"
#include "mail_outbox.h"
#include "proccache.h"
#include "timefmt.h"
#include "tokens.h"

#define MSG_INTERNAL "一時的な問題が発生しました。時間をおいてお試しください。"
#define MSG_NO_DRAFT "一時保存した申請内容は見つかりません。"

static void
reply_internal(struct http_request *req, struct portal_tenant *pt, const char *what)
{
	log_err("tenant %s: drafts: %s: %s", pt->t->name, what, db_errmsg(pt->t->db));
	http_reply_error(req, 500, "internal", MSG_INTERNAL);
}

/* The procedure's title if it exists and takes applications, else NULL after a reply;
 * *title is the caller's to free. */
static char *
procedure_title(struct portal_tenant *pt, struct http_request *req, const char *id)
{
	struct proc_entry *pe = id ? proccache_get(&pt->procs, pt->t, id) : NULL;
	char *title = NULL;

	if (pe == NULL || pe->schema == NULL) {
		proccache_put(pe);
		http_reply_error(req, 404, "unknown_procedure", "指定された手続は見つかりません。");
		return NULL;
	}
	title = strdup(jsonio_str(pe->def, "title", ""));
	proccache_put(pe);
	if (title == NULL)
		http_reply_error(req, 500, "internal", MSG_INTERNAL);
	return title;
}

/* The body's answers as canonical text (caller frees), or NULL after a reply. */
static char *
answers_text(struct http_request *req, const json_t *body, long long *version)
{
	const json_t *answers = json_object_get(body, "answers");
	char *text;
	size_t len = 0;

	if (!json_is_object(answers) ||
	    jsonio_int(body, "version", 1, 1000000000, version) != 0) {
		http_reply_error(req, 400, "bad_request",
				 "一時保存のデータの形式が正しくありません (answers はオブジェクト、version は整数)。");
		return NULL;
	}
	/* Depth is bounded again here, tighter than the request parser's. */
	if ((text = jsonio_dump_canonical(answers, &len)) == NULL) {
		http_reply_error(req, 500, "internal", MSG_INTERNAL);
		return NULL;
	}
	{
		char err[64];
		json_t *again = len <= DRAFT_ANSWERS_MAX
			? jsonio_parse(text, len, DRAFT_ANSWERS_MAX, DRAFT_DEPTH_MAX, err, sizeof err)
			: NULL;

		if (again == NULL) {
			free(text);
			http_reply_error(req, 413, "too_large",
					 "一時保存する内容が大きすぎます。添付ファイルや入力を減らしてください。");
			return NULL;
		}
		json_decref(again);
	}
	return text;
}

static json_t *
parse_answers(const char *text, size_t len)
{
	char err[64];
	json_t *j = jsonio_parse(text, len, DRAFT_ANSWERS_MAX, DRAFT_DEPTH_MAX, err, sizeof err);

	return j ? j : json_object();
}

/* --- with an account ------------------------------------------------------------------ */

void
drafts_handle_list(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = portal_tenant(p, http_req_param(req, "tenant"));
	struct portal_actor a;
	sqlite3_stmt *st;
	json_t *list;
	char up[TIMEFMT_LEN], ex[TIMEFMT_LEN];
	int rc;

	if (pt == NULL) {
		http_reply_error(req, 404, "unknown_tenant", "指定された自治体は見つかりません。");
		return;
	}
	if (accounts_session(p, pt, req, true, &a) != 1)
		return;
	list = json_array();
	pthread_mutex_lock(&pt->t->lock);
	st = db_stmt(pt->t->db, "SELECT d.id, d.procedure_id, coalesce(p.title, ''), d.version,"
				" d.updated_at, d.expires_at FROM drafts d LEFT JOIN procedures p"
				" ON p.id = d.procedure_id WHERE d.account_id = ?1 AND d.expires_at > ?2"
				" ORDER BY d.updated_at DESC LIMIT " "50");
	rc = SQLITE_ERROR;
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, a.account_id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			timefmt_jst_rfc3339((time_t)sqlite3_column_int64(st, 4), up);
			timefmt_jst_rfc3339((time_t)sqlite3_column_int64(st, 5), ex);
			json_array_append_new(list, json_pack("{s:s,s:{s:s,s:s},s:I,s:s,s:s}",
				"id", (const char *)sqlite3_column_text(st, 0),
				"procedure", "id", (const char *)sqlite3_column_text(st, 1),
				"title", (const char *)sqlite3_column_text(st, 2),
				"version", (json_int_t)sqlite3_column_int64(st, 3),
				"updated_at", up, "expires_at", ex));
		}
		sqlite3_reset(st);
	}
	pthread_mutex_unlock(&pt->t->lock);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		reply_internal(req, pt, "list");
		return;
	}
	http_reply_header(req, "Cache-Control", "no-store");
	http_reply_json(req, 200, json_pack("{s:o}", "drafts", list));
}

void
drafts_handle_get(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = portal_tenant(p, http_req_param(req, "tenant"));
	const char *proc = http_req_param(req, "id");
	struct portal_actor a;
	sqlite3_stmt *st;
	json_t *reply = NULL;
	char up[TIMEFMT_LEN];
	int rc = SQLITE_ERROR;

	if (pt == NULL) {
		http_reply_error(req, 404, "unknown_tenant", "指定された自治体は見つかりません。");
		return;
	}
	if (accounts_session(p, pt, req, true, &a) != 1)
		return;
	pthread_mutex_lock(&pt->t->lock);
	st = db_stmt(pt->t->db, "SELECT id, version, answers, updated_at FROM drafts WHERE"
				" account_id = ?1 AND procedure_id = ?2 AND expires_at > ?3");
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, a.account_id);
		sqlite3_bind_text(st, 2, proc, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			timefmt_jst_rfc3339((time_t)sqlite3_column_int64(st, 3), up);
			reply = json_pack("{s:s,s:s,s:I,s:o,s:s}",
				"id", (const char *)sqlite3_column_text(st, 0), "procedure", proc,
				"version", (json_int_t)sqlite3_column_int64(st, 1), "answers",
				parse_answers((const char *)sqlite3_column_text(st, 2),
					      (size_t)sqlite3_column_bytes(st, 2)),
				"updated_at", up);
		}
		sqlite3_reset(st);
	}
	pthread_mutex_unlock(&pt->t->lock);
	if (rc == SQLITE_DONE) {
		http_reply_error(req, 404, "no_draft", MSG_NO_DRAFT);
		return;
	}
	if (reply == NULL) {
		reply_internal(req, pt, "get");
		return;
	}
	http_reply_header(req, "Cache-Control", "no-store");
	http_reply_json(req, 200, reply);
}

void
drafts_handle_put(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = portal_tenant(p, http_req_param(req, "tenant"));
	const char *proc = http_req_param(req, "id");
	struct portal_actor a;
	sqlite3_stmt *st;
	char id[DRAFT_ID_LEN + 1], *title = NULL, *text = NULL, up[TIMEFMT_LEN], ex[TIMEFMT_LEN];
	long long version = 0, count = 0;
	json_t *body;
	time_t now;
	int rc = -1;

	if (pt == NULL) {
		http_reply_error(req, 404, "unknown_tenant", "指定された自治体は見つかりません。");
		return;
	}
	if (accounts_session(p, pt, req, true, &a) != 1 || (body = http_req_json(req)) == NULL ||
	    (title = procedure_title(pt, req, proc)) == NULL ||
	    (text = answers_text(req, body, &version)) == NULL)
		goto out;
	if (portal_random_id(id) != 0) {
		http_reply_error(req, 500, "internal", MSG_INTERNAL);
		goto out;
	}
	pthread_mutex_lock(&pt->t->lock);
	now = time(NULL);
	st = db_stmt(pt->t->db, "SELECT count(*) FROM drafts WHERE account_id = ?1 AND"
				" procedure_id != ?2");
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, a.account_id);
		sqlite3_bind_text(st, 2, proc, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			count = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	if (count >= DRAFTS_PER_ACCOUNT) {
		pthread_mutex_unlock(&pt->t->lock);
		http_reply_error(req, 409, "too_many_drafts",
				 "一時保存できる件数の上限に達しました。不要な一時保存を削除してください。");
		goto out;
	}
	/* One per procedure: saving again replaces it (and keeps its id). */
	st = db_stmt(pt->t->db, "INSERT INTO drafts (id, account_id, procedure_id, version, answers,"
				" created_at, updated_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)"
				" ON CONFLICT (account_id, procedure_id) WHERE account_id IS NOT NULL"
				" DO UPDATE SET version = excluded.version, answers = excluded.answers,"
				" updated_at = excluded.updated_at, expires_at = excluded.expires_at"
				" RETURNING id");
	if (st != NULL) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, a.account_id);
		sqlite3_bind_text(st, 3, proc, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, version);
		sqlite3_bind_text(st, 5, text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)now);
		sqlite3_bind_int64(st, 7, (sqlite3_int64)now + p->set.draft_ttl_s);
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(id, sizeof id, "%s", sqlite3_column_text(st, 0));
			rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
		}
		sqlite3_reset(st);
	}
	pthread_mutex_unlock(&pt->t->lock);
	if (rc != 0) {
		reply_internal(req, pt, "save");
		goto out;
	}
	timefmt_jst_rfc3339(now, up);
	timefmt_jst_rfc3339(now + (time_t)p->set.draft_ttl_s, ex);
	http_reply_json(req, 200, json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", id, "procedure", proc,
					    "updated_at", up, "expires_at", ex, "message",
					    "入力内容を一時保存しました。"));
out:
	free(title);
	free(text);
}

void
drafts_handle_delete(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = portal_tenant(p, http_req_param(req, "tenant"));
	struct portal_actor a;
	sqlite3_stmt *st;
	int rc = -1, n = 0;

	if (pt == NULL) {
		http_reply_error(req, 404, "unknown_tenant", "指定された自治体は見つかりません。");
		return;
	}
	if (accounts_session(p, pt, req, true, &a) != 1)
		return;
	pthread_mutex_lock(&pt->t->lock);
	st = db_stmt(pt->t->db, "DELETE FROM drafts WHERE account_id = ?1 AND procedure_id = ?2");
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, a.account_id);
		sqlite3_bind_text(st, 2, http_req_param(req, "id"), -1, SQLITE_STATIC);
		rc = db_step_done(st);
		n = sqlite3_changes(db_handle(pt->t->db));
	}
	pthread_mutex_unlock(&pt->t->lock);
	if (rc != 0)
		reply_internal(req, pt, "delete");
	else if (n == 0)
		http_reply_error(req, 404, "no_draft", MSG_NO_DRAFT);
	else
		http_reply_json(req, 200, json_pack("{s:s}", "message", "一時保存した内容を削除しました。"));
}

/* --- without an account: resume links ----------------------------------------------------- */

static const char tmpl_resume[] =
	"「{{title}}」の入力内容を一時保存しました。\n"
	"\n"
	"次のリンクを開くと、続きから入力できます ({{expires}}まで有効)。\n"
	"{{url}}\n"
	"\n"
	"このリンクは一度だけ使えます。もう一度一時保存すると、新しいリンクをお送りします。\n"
	"\n"
	"このメールは送信専用のアドレスからお送りしています。ご返信いただいてもお答えできません。\n"
	"お心当たりのない場合は、このメールを破棄してください。\n";

void
drafts_handle_resume_link(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = portal_tenant(p, http_req_param(req, "tenant"));
	char email[MAIL_ADDR_MAX + 1], id[DRAFT_ID_LEN + 1], token[PORTAL_TOKEN_HEX + 1];
	char hash[PORTAL_TOKEN_HEX + 1], url[1024], expires[TIMEFMT_LEN];
	char *title = NULL, *text = NULL, *subject = NULL, *mailbody = NULL;
	const char *proc, *previous;
	long long version = 0;
	struct mail_message m;
	sqlite3_stmt *st;
	json_t *body, *vars = NULL;
	time_t now = time(NULL);

	if (pt == NULL) {
		http_reply_error(req, 404, "unknown_tenant", "指定された自治体は見つかりません。");
		return;
	}
	if (!accounts_rate_take(p->mail_rl, req) || (body = http_req_json(req)) == NULL)
		return;
	proc = jsonio_str(body, "procedure", NULL);
	previous = jsonio_str(body, "draft_id", NULL);
	if (portal_email_normalize(jsonio_str(body, "email", NULL), email) != 0) {
		http_reply_json(req, 422, json_pack("{s:{s:s,s:s},s:{s:s},s:[{s:s,s:s}]}",
			"error", "code", "validation", "message", "メールアドレスを正しい形式で入力してください。",
			"errors", "email", "メールアドレスを正しい形式で入力してください (例: taro@example.jp)。",
			"error_list", "path", "email", "message",
			"メールアドレスを正しい形式で入力してください (例: taro@example.jp)。"));
		return;
	}
	if ((title = procedure_title(pt, req, proc)) == NULL ||
	    (text = answers_text(req, body, &version)) == NULL)
		goto out;
	if (portal_random_id(id) != 0 || portal_token_new(token, hash) != 0) {
		http_reply_error(req, 500, "internal", MSG_INTERNAL);
		goto out;
	}
	snprintf(url, sizeof url, "%s/%s/account/resume#token=%s", p->public_base_url,
		 pt->t->name, token);
	explicit_bzero(token, sizeof token);
	timefmt_jst_text(now + (time_t)p->set.resume_ttl_s, expires);
	vars = json_pack("{s:s,s:s,s:s}", "title", title, "url", url, "expires", expires);
	if (vars == NULL || mail_render("【一時保存】{{title}}", vars, &subject) != MAIL_OK ||
	    mail_render(tmpl_resume, vars, &mailbody) != MAIL_OK) {
		http_reply_error(req, 500, "internal", MSG_INTERNAL);
		goto out;
	}
	m.to = email;
	m.subject = subject;
	m.body = mailbody;

	pthread_mutex_lock(&pt->t->lock);
	if (db_begin(pt->t->db) != 0)
		goto fail;
	/* The same browser's previous link is replaced by this one. */
	if (previous != NULL && portal_random_id_valid(previous)) {
		st = db_stmt(pt->t->db, "DELETE FROM drafts WHERE id = ?1 AND account_id IS NULL");
		if (st == NULL)
			goto fail;
		sqlite3_bind_text(st, 1, previous, -1, SQLITE_STATIC);
		if (db_step_done(st) != 0)
			goto fail;
	}
	st = db_stmt(pt->t->db, "INSERT INTO drafts (id, token_hash, procedure_id, version, answers,"
				" created_at, updated_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)");
	if (st == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, proc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, version);
	sqlite3_bind_text(st, 5, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)now + p->set.resume_ttl_s);
	if (db_step_done(st) != 0 || mail_outbox_enqueue(pt->t->db, &m, now, NULL) != MAIL_OK ||
	    db_commit(pt->t->db) != 0)
		goto fail;
	pthread_mutex_unlock(&pt->t->lock);
	http_reply_json(req, 202, json_pack("{s:s,s:s}", "draft_id", id, "message",
		"続きから入力するためのリンクを、メールでお送りしました。"));
	goto out;
fail:
	db_rollback(pt->t->db);
	pthread_mutex_unlock(&pt->t->lock);
	reply_internal(req, pt, "resume link");
out:
	explicit_bzero(url, sizeof url);
	if (mailbody)
		explicit_bzero(mailbody, strlen(mailbody));
	json_decref(vars);
	free(title);
	free(text);
	free(subject);
	free(mailbody);
}

void
drafts_handle_resume(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = portal_tenant(p, http_req_param(req, "tenant"));
	char hash[PORTAL_TOKEN_HEX + 1];
	sqlite3_stmt *st;
	json_t *body, *reply = NULL;
	int rc = SQLITE_ERROR;

	if (pt == NULL) {
		http_reply_error(req, 404, "unknown_tenant", "指定された自治体は見つかりません。");
		return;
	}
	if ((body = http_req_json(req)) == NULL)
		return;
	if (portal_token_hash(jsonio_str(body, "token", NULL), hash) != 0) {
		http_reply_error(req, 400, "invalid_token",
				 "このリンクは無効か、有効期限が切れています。");
		return;
	}
	pthread_mutex_lock(&pt->t->lock);
	/* Spent on opening: the row goes, whether or not it was still valid. */
	st = db_stmt(pt->t->db, "DELETE FROM drafts WHERE token_hash = ?1 AND account_id IS NULL"
				" RETURNING procedure_id, version, answers, expires_at");
	if (st != NULL) {
		sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && sqlite3_column_int64(st, 3) > time(NULL))
			reply = json_pack("{s:s,s:I,s:o}",
				"procedure", (const char *)sqlite3_column_text(st, 0),
				"version", (json_int_t)sqlite3_column_int64(st, 1),
				"answers", parse_answers((const char *)sqlite3_column_text(st, 2),
							 (size_t)sqlite3_column_bytes(st, 2)));
		while (rc == SQLITE_ROW)
			rc = sqlite3_step(st);
		sqlite3_reset(st);
	}
	pthread_mutex_unlock(&pt->t->lock);
	if (rc != SQLITE_DONE) {
		json_decref(reply);
		reply_internal(req, pt, "resume");
		return;
	}
	if (reply == NULL) {
		http_reply_error(req, 400, "invalid_token",
				 "このリンクは無効か、有効期限が切れています。お手数ですが、もう一度入力してください。");
		return;
	}
	http_reply_header(req, "Cache-Control", "no-store");
	http_reply_json(req, 200, reply);
}

/* --- housekeeping ------------------------------------------------------------------------ */

int
drafts_delete_submitted(struct db *db, const char *draft_id, int64_t account_id,
			const char *procedure)
{
	sqlite3_stmt *st;

	if (draft_id != NULL && portal_random_id_valid(draft_id)) {
		st = db_stmt(db, "DELETE FROM drafts WHERE id = ?1 AND (account_id IS NULL OR"
				 " account_id = ?2)");
		if (st == NULL)
			return -1;
		sqlite3_bind_text(st, 1, draft_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, account_id);
		if (db_step_done(st) != 0)
			return -1;
	}
	if (account_id != 0) {
		st = db_stmt(db, "DELETE FROM drafts WHERE account_id = ?1 AND procedure_id = ?2");
		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, account_id);
		sqlite3_bind_text(st, 2, procedure, -1, SQLITE_STATIC);
		if (db_step_done(st) != 0)
			return -1;
	}
	return 0;
}

int
drafts_purge(struct db *db, time_t now)
{
	sqlite3_stmt *st = db_stmt(db, "DELETE FROM drafts WHERE expires_at <= ?1");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	if (db_step_done(st) != 0)
		return -1;
	return sqlite3_changes(db_handle(db));
}
