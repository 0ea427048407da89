/*
 * accounts.c — citizen accounts and the session gate (see accounts.h for what is
 * kept true).
 *
 * Each handler does its Argon2 work (hash or verify) with no lock held, then takes
 * the tenant's lock for one short transaction that checks and writes everything,
 * mail to the citizen included (the mail outbox is in the same database, so a mail is
 * sent exactly when its change is committed).
 */
#define _GNU_SOURCE	/* asprintf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounts.h"
#include "deadline.h"
#include "drafts.h"
#include "form.h"
#include "jsonio.h"
#include "log.h"
#include "mail_outbox.h"
#include "password.h"
#include "throttle.h"
#include "timefmt.h"
#include "tokens.h"

#define MSG_NO_TENANT   "指定された自治体は見つかりません。"
#define MSG_INTERNAL    "一時的な問題が発生しました。時間をおいてお試しください。"
#define MSG_UNAUTH      "ログインしてください。"
#define MSG_EXPIRED     "一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。"
#define MSG_CSRF        "リクエストを確認できませんでした。画面を再読み込みしてから、もう一度お試しください。"
#define MSG_LOGIN_FAILED "メールアドレスまたはパスワードが正しくありません。"
#define MSG_LOCKED      "ログインに続けて失敗したため、一時的にログインできなくなっています。" \
			"しばらく待ってからお試しください。"
#define MSG_UNVERIFIED  "メールアドレスの確認が済んでいません。登録のときにお送りしたメールのリンクを開いてください。"
#define MSG_REGISTERED  "確認のメールをお送りしました。メールに記載したリンクを開いて、登録を完了してください。" \
			"メールが届かない場合は、アドレスをご確認のうえ、もう一度お試しください。"
#define MSG_RESET_SENT  "ご入力のメールアドレスでアカウントが登録されている場合は、パスワード再設定のメールをお送りしました。"
#define MSG_BAD_TOKEN   "このリンクは無効か、有効期限が切れています。お手数ですが、もう一度最初からお手続きください。"
#define MSG_BAD_PASSWORD "パスワードが正しくありません。"
#define MSG_PW_RULE     "パスワードは10文字以上256文字以内で入力してください。"
#define MSG_EMAIL_RULE  "メールアドレスを正しい形式で入力してください (例: taro@example.jp)。"

static void
session_config(struct portald *p, struct portal_tenant *pt, struct portal_actor *a)
{
	snprintf(a->cookie_name, sizeof a->cookie_name, "sekisho-citizen-%s", pt->t->name);
	a->sc.idle_s = p->set.idle_s;
	a->sc.absolute_s = p->set.absolute_s;
	a->sc.secure = p->set.cookie_secure;
	a->sc.name = a->cookie_name;
}

static bool
state_changing(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

bool
accounts_rate_take(struct ratelimit *rl, struct http_request *req)
{
	if (rl == NULL || ratelimit_take(rl, http_req_remote(req), deadline_now_ms()))
		return true;
	http_reply_header(req, "Retry-After", "5");
	http_reply_error(req, 429, "rate_limited", ACCOUNT_MSG_RATE);
	return false;
}

static int
load_email(struct db *db, int64_t id, char email[MAIL_ADDR_MAX + 1])
{
	sqlite3_stmt *st = db_stmt(db, "SELECT email FROM accounts WHERE id = ?1 AND "
				       "verified_at IS NOT NULL");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(email, MAIL_ADDR_MAX + 1, "%s", sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
accounts_session(struct portald *p, struct portal_tenant *pt, struct http_request *req,
		 bool required, struct portal_actor *a)
{
	struct session s;
	char err[256] = "";
	int rc;

	memset(a, 0, sizeof *a);
	a->pt = pt;
	a->remote = http_req_remote(req);
	session_config(p, pt, a);
	if (session_cookie_parse(&a->sc, http_req_header(req, "Cookie"), a->token) != 0) {
		if (!required)
			return 0;
		http_reply_error(req, 401, "login_required", MSG_UNAUTH);
		return -1;
	}
	pthread_mutex_lock(&pt->t->lock);
	rc = session_lookup(pt->t->db, &a->sc, a->token, time(NULL), &s, err, sizeof err);
	if (rc == SESSION_OK) {
		rc = load_email(pt->t->db, s.subject, a->email);
		if (rc == 0)	/* the account is gone: so is the session */
			session_delete(pt->t->db, a->token);
		rc = rc == 1 ? SESSION_OK : rc == 0 ? SESSION_NONE : -1;
	}
	pthread_mutex_unlock(&pt->t->lock);
	if (rc < 0) {
		log_err("tenant %s: session: %s", pt->t->name, err[0] ? err : db_errmsg(pt->t->db));
		http_reply_error(req, 500, "internal", MSG_INTERNAL);
		return -1;
	}
	if (rc != SESSION_OK) {
		explicit_bzero(a->token, sizeof a->token);
		if (!required)
			return 0;
		http_reply_error(req, 401, rc == SESSION_EXPIRED ? "session_expired" : "login_required",
				 rc == SESSION_EXPIRED ? MSG_EXPIRED : MSG_UNAUTH);
		return -1;
	}
	memcpy(a->csrf, s.csrf, sizeof a->csrf);
	a->account_id = s.subject;
	if (state_changing(http_req_method(req)) &&
	    !session_csrf_check(a->token, http_req_header(req, SESSION_CSRF_HEADER))) {
		http_reply_error(req, 403, "csrf", MSG_CSRF);
		return -1;
	}
	return 1;
}

/* --- small helpers -------------------------------------------------------------- */

static struct portal_tenant *
tenant_of(struct portald *p, struct http_request *req)
{
	struct portal_tenant *pt = portal_tenant(p, http_req_param(req, "tenant"));

	if (pt == NULL)
		http_reply_error(req, 404, "unknown_tenant", MSG_NO_TENANT);
	return pt;
}

static void
reply_invalid(struct http_request *req, json_t *errors)
{
	json_t *body = json_pack("{s:{s:s,s:s},s:o,s:o}", "error", "code", "validation",
				 "message", "入力内容に誤りがあります。各項目のメッセージをご確認ください。",
				 "errors", json_incref(errors), "error_list", form_errors_list(errors));

	json_decref(errors);
	http_reply_json(req, 422, body);
}

static void
reply_one_invalid(struct http_request *req, const char *path, const char *message)
{
	reply_invalid(req, json_pack("{s:s}", path, message));
}

static void
reply_internal(struct http_request *req, struct portal_tenant *pt, const char *what)
{
	log_err("tenant %s: %s: %s", pt->t->name, what, db_errmsg(pt->t->db));
	http_reply_error(req, 500, "internal", MSG_INTERNAL);
}

/* Give up the transaction the handler holds, release the tenant and say so: every
 * handler's failure path, so none can forget the rollback or the unlock. */
static void
abandon(struct http_request *req, struct portal_tenant *pt, const char *what)
{
	db_rollback(pt->t->db);
	pthread_mutex_unlock(&pt->t->lock);
	reply_internal(req, pt, what);
}

static bool
password_ok(const char *pw)
{
	return pw != NULL && strlen(pw) >= ACCOUNT_PASSWORD_MIN && strlen(pw) <= PASSWORD_MAX_LEN;
}

static void
set_cookie(struct http_request *req, const struct portal_actor *a, const char *token)
{
	char v[SESSION_SET_COOKIE_MAX];

	if (session_set_cookie(&a->sc, token, v, sizeof v) == 0)
		http_reply_header(req, "Set-Cookie", v);
}

/* --- mail ------------------------------------------------------------------------ */

static const char mail_footer[] =
	"\n"
	"このメールは送信専用のアドレスからお送りしています。ご返信いただいてもお答えできません。\n"
	"お心当たりのない場合は、このメールを破棄してください。\n";

/* Enqueue a fixed template to to, with {{url}} and {{at}} filled. Inside the caller's
 * transaction. 0 or -1. */
static int
enqueue_mail(struct db *db, const char *to, const char *subject, const char *tmpl,
	     const char *url, time_t now)
{
	struct mail_message m;
	char when[TIMEFMT_LEN], *body = NULL, *full = NULL;
	json_t *vars;
	int rc = -1;

	timefmt_jst_text(now, when);
	vars = json_pack("{s:s,s:s}", "url", url ? url : "", "at", when);
	if (vars == NULL || mail_render(tmpl, vars, &body) != MAIL_OK ||
	    asprintf(&full, "%s%s", body, mail_footer) < 0) {
		full = NULL;
		goto out;
	}
	m.to = to;
	m.subject = subject;
	m.body = full;
	rc = mail_outbox_enqueue(db, &m, now, NULL) == MAIL_OK ? 0 : -1;
out:
	free(body);
	free(full);
	json_decref(vars);
	return rc;
}

static void
page_url(const struct portald *p, const struct portal_tenant *pt, const char *page,
	 const char *token, char *out, size_t outlen)
{
	/* The token rides in the fragment: it never reaches a server log or a Referer. */
	snprintf(out, outlen, "%s/%s/account/%s#token=%s", p->public_base_url, pt->t->name,
		 page, token);
}

/* A new token of purpose for account id, stored hashed; token gets the secret. */
static int
insert_token(struct db *db, int64_t id, const char *purpose, const char *new_email,
	     time_t now, unsigned ttl_s, char token[PORTAL_TOKEN_HEX + 1])
{
	char hash[PORTAL_TOKEN_HEX + 1];
	sqlite3_stmt *st;

	if (portal_token_new(token, hash) != 0)
		return -1;
	/* One live token per purpose: a new mail makes the older link worthless. */
	st = db_stmt(db, "DELETE FROM account_tokens WHERE account_id = ?1 AND purpose = ?2");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, purpose, -1, SQLITE_STATIC);
	if (db_step_done(st) != 0)
		return -1;
	st = db_stmt(db, "INSERT INTO account_tokens (token_hash, account_id, purpose, new_email,"
			 " created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_text(st, 3, purpose, -1, SQLITE_STATIC);
	if (new_email)
		sqlite3_bind_text(st, 4, new_email, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)now + ttl_s);
	return db_step_done(st);
}

/* --- account rows ---------------------------------------------------------------- */

struct account_row {
	int64_t id;
	char email[MAIL_ADDR_MAX + 1];
	char hash[PASSWORD_HASH_LEN];
	bool found, verified;
};

static int
fetch_by(struct db *db, const char *email, int64_t id, struct account_row *r)
{
	sqlite3_stmt *st = db_stmt(db, email
		? "SELECT id, email, password_hash, verified_at IS NOT NULL FROM accounts WHERE email = ?1"
		: "SELECT id, email, password_hash, verified_at IS NOT NULL FROM accounts WHERE id = ?2");
	int rc;

	memset(r, 0, sizeof *r);
	if (st == NULL)
		return -1;
	if (email)
		sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->found = true;
		r->id = sqlite3_column_int64(st, 0);
		snprintf(r->email, sizeof r->email, "%s", sqlite3_column_text(st, 1));
		snprintf(r->hash, sizeof r->hash, "%s", sqlite3_column_text(st, 2));
		r->verified = sqlite3_column_int(st, 3) != 0;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

json_t *
accounts_profile(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT profile FROM accounts WHERE id = ?1");
	json_t *j = NULL;
	char err[64];

	if (st != NULL) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW)
			j = jsonio_parse((const char *)sqlite3_column_text(st, 0),
					 (size_t)sqlite3_column_bytes(st, 0), ACCOUNT_PROFILE_MAX * 4,
					 4, err, sizeof err);
		sqlite3_reset(st);
	}
	if (!json_is_object(j)) {
		json_decref(j);
		j = json_object();
	}
	return j;
}

/* {account: {email, profile, created_at}, csrf_token, session} (lock held). */
static json_t *
me_json(struct portal_actor *a)
{
	sqlite3_stmt *st = db_stmt(a->pt->t->db, "SELECT created_at FROM accounts WHERE id = ?1");
	char when[TIMEFMT_LEN] = "";

	if (st != NULL) {
		sqlite3_bind_int64(st, 1, a->account_id);
		if (sqlite3_step(st) == SQLITE_ROW)
			timefmt_jst_rfc3339((time_t)sqlite3_column_int64(st, 0), when);
		sqlite3_reset(st);
	}
	return json_pack("{s:{s:s,s:o,s:s},s:s,s:{s:I,s:I}}",
			 "account", "email", a->email, "profile",
			 accounts_profile(a->pt->t->db, a->account_id), "created_at", when,
			 "csrf_token", a->csrf,
			 "session", "idle_timeout_s", (json_int_t)a->sc.idle_s,
			 "absolute_timeout_s", (json_int_t)a->sc.absolute_s);
}

/* --- registration and verification ------------------------------------------------- */

static const char tmpl_verify[] =
	"電子申請サービスへのご登録ありがとうございます。\n"
	"\n"
	"次のリンクを開いて、メールアドレスの確認を完了してください。\n"
	"{{url}}\n"
	"\n"
	"このリンクは一度だけ使えます。有効期限が切れた場合は、もう一度登録をお申し込みください。\n";
static const char tmpl_already[] =
	"このメールアドレスで電子申請サービスへの登録のお申込みがありましたが、\n"
	"このアドレスのアカウントはすでに登録されています。\n"
	"\n"
	"パスワードをお忘れの場合は、ログインの画面から再設定してください。\n"
	"{{url}}\n";

void
accounts_handle_register(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = tenant_of(p, req);
	char email[MAIL_ADDR_MAX + 1], hash[PASSWORD_HASH_LEN], token[PORTAL_TOKEN_HEX + 1];
	char url[1024];
	struct account_row row;
	const char *password;
	json_t *body, *errors;
	time_t now;

	if (pt == NULL || !accounts_rate_take(p->mail_rl, req) || (body = http_req_json(req)) == NULL)
		return;
	password = jsonio_str(body, "password", NULL);
	errors = json_object();
	if (portal_email_normalize(jsonio_str(body, "email", NULL), email) != 0)
		json_object_set_new(errors, "email", json_string(MSG_EMAIL_RULE));
	if (!password_ok(password))
		json_object_set_new(errors, "password", json_string(MSG_PW_RULE));
	if (json_object_size(errors) > 0) {
		reply_invalid(req, errors);
		return;
	}
	json_decref(errors);
	/* Hashed whatever the address: a known one costs what an unknown one does. */
	if (password_hash(password, hash) != 0) {
		http_reply_error(req, 500, "internal", MSG_INTERNAL);
		return;
	}
	pthread_mutex_lock(&pt->t->lock);
	now = time(NULL);
	if (db_begin(pt->t->db) != 0 || fetch_by(pt->t->db, email, 0, &row) != 0)
		goto fail;
	if (!row.found) {
		sqlite3_stmt *st = db_stmt(pt->t->db, "INSERT INTO accounts (email, password_hash,"
					   " created_at, password_changed_at) VALUES (?1, ?2, ?3, ?3)");
		if (st == NULL)
			goto fail;
		sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
		if (db_step_done(st) != 0)
			goto fail;
		row.id = sqlite3_last_insert_rowid(db_handle(pt->t->db));
	}
	if (!row.verified) {
		/* New, or registered and never verified: (another) verification link. The
		 * password of an unverified account is not replaced: whoever registered it
		 * first keeps it (or resets it through the mailbox). */
		if (insert_token(pt->t->db, row.id, "verify", NULL, now, p->set.verify_ttl_s,
				 token) != 0)
			goto fail;
		page_url(p, pt, "verify", token, url, sizeof url);
		explicit_bzero(token, sizeof token);
		if (enqueue_mail(pt->t->db, email, "【メールアドレスの確認】電子申請サービスへのご登録",
				 tmpl_verify, url, now) != 0)
			goto fail;
	} else {
		snprintf(url, sizeof url, "%s/%s/account/login", p->public_base_url, pt->t->name);
		if (enqueue_mail(pt->t->db, email, "【ご登録済みのお知らせ】電子申請サービス",
				 tmpl_already, url, now) != 0)
			goto fail;
	}
	if (db_commit(pt->t->db) != 0)
		goto fail;
	pthread_mutex_unlock(&pt->t->lock);
	explicit_bzero(url, sizeof url);
	http_reply_json(req, 202, json_pack("{s:s}", "message", MSG_REGISTERED));
	return;
fail:
	abandon(req, pt, "register");
}

static const char tmpl_email_changed[] =
	"電子申請サービスのアカウントのメールアドレスを変更しました ({{at}})。\n"
	"今後のお知らせは新しいメールアドレスにお送りします。\n"
	"\n"
	"お心当たりのない場合は、お手数ですが市区町村の担当窓口へご連絡ください。\n";

void
accounts_handle_verify(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = tenant_of(p, req);
	char hash[PORTAL_TOKEN_HEX + 1], purpose[16] = "", new_email[MAIL_ADDR_MAX + 1] = "";
	struct account_row row;
	sqlite3_stmt *st;
	int64_t id = 0;
	json_t *body;
	time_t now;
	int rc;

	if (pt == NULL || (body = http_req_json(req)) == NULL)
		return;
	if (portal_token_hash(jsonio_str(body, "token", NULL), hash) != 0) {
		http_reply_error(req, 400, "invalid_token", MSG_BAD_TOKEN);
		return;
	}
	pthread_mutex_lock(&pt->t->lock);
	now = time(NULL);
	if (db_begin(pt->t->db) != 0)
		goto fail;
	st = db_stmt(pt->t->db, "DELETE FROM account_tokens WHERE token_hash = ?1 AND purpose IN"
				" ('verify', 'email') RETURNING account_id, purpose, new_email, expires_at");
	if (st == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_int64(st, 3) > now) {
		id = sqlite3_column_int64(st, 0);
		snprintf(purpose, sizeof purpose, "%s", sqlite3_column_text(st, 1));
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			snprintf(new_email, sizeof new_email, "%s", sqlite3_column_text(st, 2));
	}
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto fail;
	if (id == 0) {
		/* Unknown, used or expired: the deletion of an expired one is kept. */
		if (db_commit(pt->t->db) != 0)
			goto fail;
		pthread_mutex_unlock(&pt->t->lock);
		http_reply_error(req, 400, "invalid_token", MSG_BAD_TOKEN);
		return;
	}
	if (strcmp(purpose, "verify") == 0) {
		st = db_stmt(pt->t->db, "UPDATE accounts SET verified_at = coalesce(verified_at, ?2)"
					" WHERE id = ?1");
		if (st == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
		if (db_step_done(st) != 0 || db_commit(pt->t->db) != 0)
			goto fail;
		pthread_mutex_unlock(&pt->t->lock);
		http_reply_json(req, 200, json_pack("{s:s,s:s}", "purpose", "verify", "message",
			"メールアドレスの確認が完了しました。ログインしてご利用ください。"));
		return;
	}
	/* A change of address: the new one must still be free. */
	if (fetch_by(pt->t->db, new_email, 0, &row) != 0)
		goto fail;
	if (row.found) {
		db_commit(pt->t->db);
		pthread_mutex_unlock(&pt->t->lock);
		http_reply_error(req, 409, "email_taken",
				 "このメールアドレスには変更できません。別のメールアドレスをお使いください。");
		return;
	}
	if (fetch_by(pt->t->db, NULL, id, &row) != 0 || !row.found)
		goto fail;
	st = db_stmt(pt->t->db, "UPDATE accounts SET email = ?2, verified_at = coalesce(verified_at, ?3)"
				" WHERE id = ?1");
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, new_email, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	if (db_step_done(st) != 0 ||
	    enqueue_mail(pt->t->db, row.email, "【メールアドレス変更のお知らせ】電子申請サービス",
			 tmpl_email_changed, NULL, now) != 0 ||
	    enqueue_mail(pt->t->db, new_email, "【メールアドレス変更のお知らせ】電子申請サービス",
			 tmpl_email_changed, NULL, now) != 0 ||
	    db_commit(pt->t->db) != 0)
		goto fail;
	pthread_mutex_unlock(&pt->t->lock);
	http_reply_json(req, 200, json_pack("{s:s,s:s}", "purpose", "email", "message",
		"メールアドレスを変更しました。"));
	return;
fail:
	abandon(req, pt, "verify");
}

/* --- login and logout -------------------------------------------------------------- */

void
accounts_handle_login(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = tenant_of(p, req);
	struct portal_actor a;
	struct account_row row = { 0 };
	struct session s;
	char email[MAIL_ADDR_MAX + 1], lk[PORTAL_EMAIL_KEY_MAX + 1], ik[THROTTLE_KEY_MAX + 1];
	char old[SESSION_TOKEN_HEX + 1], err[256] = "";
	const char *typed, *password;
	json_t *body, *reply;
	time_t now;
	int locked = 0, ok;

	if (pt == NULL || !accounts_rate_take(p->login_rl, req) || (body = http_req_json(req)) == NULL)
		return;
	memset(&a, 0, sizeof a);
	a.pt = pt;
	a.remote = http_req_remote(req);
	session_config(p, pt, &a);
	typed = jsonio_str(body, "email", NULL);
	password = jsonio_str(body, "password", NULL);
	if (typed == NULL || password == NULL || typed[0] == '\0' || password[0] == '\0' ||
	    strlen(typed) > MAIL_ADDR_MAX || strlen(password) > PASSWORD_MAX_LEN) {
		http_reply_error(req, 400, "invalid_request",
				 "メールアドレスとパスワードを入力してください。");
		return;
	}
	/* A malformed address has no account; it is counted like any other. */
	if (portal_email_normalize(typed, email) != 0)
		snprintf(email, sizeof email, "%s", typed);
	portal_email_key(email, lk);
	snprintf(ik, sizeof ik, "ip:%s", a.remote);

	pthread_mutex_lock(&pt->t->lock);
	now = time(NULL);
	if (fetch_by(pt->t->db, email, 0, &row) != 0 ||
	    (locked = throttle_locked(pt->t->db, lk, now, NULL)) < 0 ||
	    (locked == 0 && (locked = throttle_locked(pt->t->db, ik, now, NULL)) < 0)) {
		pthread_mutex_unlock(&pt->t->lock);
		reply_internal(req, pt, "login");
		return;
	}
	pthread_mutex_unlock(&pt->t->lock);

	/* One Argon2 whatever the case. */
	ok = password_verify(password, row.found ? row.hash : p->dummy_password_hash) == 1 &&
	     row.found && !locked;

	pthread_mutex_lock(&pt->t->lock);
	now = time(NULL);
	if (db_begin(pt->t->db) != 0)
		goto fail;
	if (!ok) {
		if (!locked && (throttle_fail(pt->t->db, &p->set.login, lk, now) < 0 ||
				throttle_fail(pt->t->db, &p->set.ip, ik, now) < 0))
			goto fail;
		if (db_commit(pt->t->db) != 0)
			goto fail;
		pthread_mutex_unlock(&pt->t->lock);
		if (locked)
			http_reply_error(req, 423, "locked", MSG_LOCKED);
		else
			http_reply_error(req, 401, "invalid_credentials", MSG_LOGIN_FAILED);
		return;
	}
	if (!row.verified) {
		/* Only someone who knows the password learns this. */
		db_rollback(pt->t->db);
		pthread_mutex_unlock(&pt->t->lock);
		http_reply_error(req, 403, "email_unverified", MSG_UNVERIFIED);
		return;
	}
	if (session_cookie_parse(&a.sc, http_req_header(req, "Cookie"), old) != 0)
		old[0] = '\0';
	if (throttle_reset(pt->t->db, lk) != 0 ||
	    session_create(pt->t->db, row.id, a.remote, old[0] ? old : NULL, now, &s, err,
			   sizeof err) != 0 ||
	    db_commit(pt->t->db) != 0)
		goto fail;
	a.account_id = row.id;
	snprintf(a.email, sizeof a.email, "%s", row.email);
	memcpy(a.csrf, s.csrf, sizeof a.csrf);
	reply = me_json(&a);
	pthread_mutex_unlock(&pt->t->lock);
	set_cookie(req, &a, s.token);
	explicit_bzero(&s, sizeof s);
	http_reply_header(req, "Cache-Control", "no-store");
	http_reply_json(req, 200, reply);
	return;
fail:
	db_rollback(pt->t->db);
	pthread_mutex_unlock(&pt->t->lock);
	if (err[0])
		log_err("tenant %s: login: %s", pt->t->name, err);
	reply_internal(req, pt, "login");
}

void
accounts_handle_logout(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = tenant_of(p, req);
	struct portal_actor a;

	if (pt == NULL || accounts_session(p, pt, req, true, &a) != 1)
		return;
	pthread_mutex_lock(&pt->t->lock);
	if (session_delete(pt->t->db, a.token) != 0) {
		pthread_mutex_unlock(&pt->t->lock);
		reply_internal(req, pt, "logout");
		return;
	}
	pthread_mutex_unlock(&pt->t->lock);
	set_cookie(req, &a, NULL);
	explicit_bzero(a.token, sizeof a.token);
	http_reply_json(req, 200, json_pack("{s:s}", "message", "ログアウトしました。"));
}

void
accounts_handle_me(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = tenant_of(p, req);
	struct portal_actor a;
	json_t *me;

	if (pt == NULL || accounts_session(p, pt, req, true, &a) != 1)
		return;
	pthread_mutex_lock(&pt->t->lock);
	me = me_json(&a);
	pthread_mutex_unlock(&pt->t->lock);
	http_reply_header(req, "Cache-Control", "no-store");
	http_reply_json(req, 200, me);
}

/* --- profile ------------------------------------------------------------------------ */

/* What forms are pre-filled from (docs/citizen-guide.md names the field mapping). */
static const char profile_schema_text[] =
	"{\"fields\": ["
	"{\"name\": \"name\", \"type\": \"text\", \"label\": \"氏名\", \"max_length\": 100},"
	"{\"name\": \"kana\", \"type\": \"kana\", \"label\": \"氏名 (フリガナ)\", \"max_length\": 100},"
	"{\"name\": \"birth_date\", \"type\": \"date\", \"label\": \"生年月日\","
	" \"min_date\": \"1900-01-01\", \"max_date\": \"today\"},"
	"{\"name\": \"postal_code\", \"type\": \"postal\", \"label\": \"郵便番号\"},"
	"{\"name\": \"address\", \"type\": \"text\", \"label\": \"住所\", \"max_length\": 200},"
	"{\"name\": \"tel\", \"type\": \"tel\", \"label\": \"電話番号\"}"
	"]}";

void
accounts_handle_profile(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = tenant_of(p, req);
	struct portal_actor a;
	struct form_schema *schema = NULL;
	struct form_context ctx = { 0 };
	json_t *body, *profile, *sj, *normalised = NULL, *errors = NULL;
	char err[256], *text = NULL;
	time_t t = time(NULL) + TIMEFMT_JST_OFFSET;
	struct tm tm;
	sqlite3_stmt *st;
	int rc;

	if (pt == NULL || accounts_session(p, pt, req, true, &a) != 1 ||
	    (body = http_req_json(req)) == NULL)
		return;
	profile = json_object_get(body, "profile");
	if (!json_is_object(profile)) {
		http_reply_error(req, 400, "bad_request", "profile (オブジェクト) が必要です。");
		return;
	}
	sj = jsonio_parse(profile_schema_text, strlen(profile_schema_text), sizeof profile_schema_text,
			  JSONIO_MAX_DEPTH, err, sizeof err);
	if (sj == NULL || form_schema_parse(sj, &schema, err, sizeof err) != 0) {
		json_decref(sj);
		log_err("profile schema: %s", err);
		http_reply_error(req, 500, "internal", MSG_INTERNAL);
		return;
	}
	json_decref(sj);
	gmtime_r(&t, &tm);
	ctx.today_y = tm.tm_year + 1900;
	ctx.today_m = tm.tm_mon + 1;
	ctx.today_d = tm.tm_mday;
	rc = form_validate(schema, profile, &ctx, &normalised, &errors);
	form_schema_free(schema);
	if (rc != 0) {
		if (rc > 0)
			reply_invalid(req, errors);
		else
			http_reply_error(req, 500, "internal", MSG_INTERNAL);
		return;
	}
	text = jsonio_dump_canonical(normalised, &(size_t){ 0 });
	if (text == NULL || strlen(text) > ACCOUNT_PROFILE_MAX) {
		free(text);
		json_decref(normalised);
		http_reply_error(req, 413, "too_large", "登録内容が大きすぎます。");
		return;
	}
	pthread_mutex_lock(&pt->t->lock);
	st = db_stmt(pt->t->db, "UPDATE accounts SET profile = ?2 WHERE id = ?1");
	rc = -1;
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, a.account_id);
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
		rc = db_step_done(st);
	}
	pthread_mutex_unlock(&pt->t->lock);
	free(text);
	if (rc != 0) {
		json_decref(normalised);
		reply_internal(req, pt, "profile");
		return;
	}
	http_reply_json(req, 200, json_pack("{s:o,s:s}", "profile", normalised, "message",
					    "登録内容を保存しました。"));
}

/* --- what needs the current password ---------------------------------------------------- */

/* Verify the account's current password (Argon2 without the lock); failures count
 * toward the account's lockout like failed logins. 1 ok, 0 replied. */
static int
confirm_password(struct portald *p, struct http_request *req, struct portal_actor *a,
		 const char *password, struct account_row *row)
{
	char lk[PORTAL_EMAIL_KEY_MAX + 1];
	time_t now = time(NULL);
	int locked, ok;

	portal_email_key(a->email, lk);
	pthread_mutex_lock(&a->pt->t->lock);
	if (fetch_by(a->pt->t->db, NULL, a->account_id, row) != 0 || !row->found ||
	    (locked = throttle_locked(a->pt->t->db, lk, now, NULL)) < 0) {
		pthread_mutex_unlock(&a->pt->t->lock);
		reply_internal(req, a->pt, "password check");
		return 0;
	}
	pthread_mutex_unlock(&a->pt->t->lock);
	if (locked) {
		http_reply_error(req, 423, "locked", MSG_LOCKED);
		return 0;
	}
	ok = password != NULL && strlen(password) <= PASSWORD_MAX_LEN &&
	     password_verify(password, row->hash) == 1;
	if (ok)
		return 1;
	pthread_mutex_lock(&a->pt->t->lock);
	throttle_fail(a->pt->t->db, &p->set.login, lk, time(NULL));
	pthread_mutex_unlock(&a->pt->t->lock);
	reply_one_invalid(req, "current_password", MSG_BAD_PASSWORD);
	return 0;
}

static const char tmpl_password_changed[] =
	"電子申請サービスのアカウントのパスワードを変更しました ({{at}})。\n"
	"\n"
	"お心当たりのない場合は、ログインの画面からパスワードを再設定してください。\n"
	"{{url}}\n";

void
accounts_handle_password(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = tenant_of(p, req);
	struct portal_actor a;
	struct account_row row;
	struct session s;
	const char *current, *fresh;
	char hash[PASSWORD_HASH_LEN], url[512], err[256] = "";
	sqlite3_stmt *st;
	json_t *body;
	time_t now;

	if (pt == NULL || accounts_session(p, pt, req, true, &a) != 1 ||
	    (body = http_req_json(req)) == NULL)
		return;
	current = jsonio_str(body, "current_password", NULL);
	fresh = jsonio_str(body, "new_password", NULL);
	if (!password_ok(fresh)) {
		reply_one_invalid(req, "new_password", MSG_PW_RULE);
		return;
	}
	if (!confirm_password(p, req, &a, current, &row))
		return;
	if (password_hash(fresh, hash) != 0) {
		http_reply_error(req, 500, "internal", MSG_INTERNAL);
		return;
	}
	snprintf(url, sizeof url, "%s/%s/account/login", p->public_base_url, pt->t->name);
	pthread_mutex_lock(&pt->t->lock);
	now = time(NULL);
	if (db_begin(pt->t->db) != 0)
		goto fail;
	st = db_stmt(pt->t->db, "UPDATE accounts SET password_hash = ?2, password_changed_at = ?3"
				" WHERE id = ?1");
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, a.account_id);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	/* A new token for this browser; every other session of the account ends. */
	if (db_step_done(st) != 0 ||
	    session_create(pt->t->db, a.account_id, a.remote, a.token, now, &s, err, sizeof err) != 0 ||
	    session_delete_subject(pt->t->db, a.account_id, s.token) < 0 ||
	    enqueue_mail(pt->t->db, row.email, "【パスワード変更のお知らせ】電子申請サービス",
			 tmpl_password_changed, url, now) != 0 ||
	    db_commit(pt->t->db) != 0)
		goto fail;
	pthread_mutex_unlock(&pt->t->lock);
	set_cookie(req, &a, s.token);
	http_reply_json(req, 200, json_pack("{s:s,s:s}", "message", "パスワードを変更しました。",
					    "csrf_token", s.csrf));
	explicit_bzero(&s, sizeof s);
	return;
fail:
	db_rollback(pt->t->db);
	pthread_mutex_unlock(&pt->t->lock);
	if (err[0])
		log_err("tenant %s: password: %s", pt->t->name, err);
	reply_internal(req, pt, "password change");
}

static const char tmpl_email_verify[] =
	"電子申請サービスのアカウントのメールアドレスを、このアドレスに変更するお申込みがありました。\n"
	"\n"
	"次のリンクを開くと、変更が完了します。\n"
	"{{url}}\n"
	"\n"
	"このリンクは一度だけ使えます。\n";
static const char tmpl_email_requested[] =
	"電子申請サービスのアカウントのメールアドレスを変更するお申込みがありました ({{at}})。\n"
	"新しいメールアドレスにお送りしたリンクが開かれると、変更が完了します。\n"
	"\n"
	"お心当たりのない場合は、ログインしてパスワードを変更してください。\n";

void
accounts_handle_email(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = tenant_of(p, req);
	struct portal_actor a;
	struct account_row row;
	char email[MAIL_ADDR_MAX + 1], token[PORTAL_TOKEN_HEX + 1], url[1024];
	json_t *body;
	time_t now;

	if (pt == NULL || accounts_session(p, pt, req, true, &a) != 1 ||
	    !accounts_rate_take(p->mail_rl, req) || (body = http_req_json(req)) == NULL)
		return;
	if (portal_email_normalize(jsonio_str(body, "new_email", NULL), email) != 0) {
		reply_one_invalid(req, "new_email", MSG_EMAIL_RULE);
		return;
	}
	if (strcmp(email, a.email) == 0) {
		reply_one_invalid(req, "new_email", "現在のメールアドレスと同じです。");
		return;
	}
	if (!confirm_password(p, req, &a, jsonio_str(body, "password", NULL), &row))
		return;
	pthread_mutex_lock(&pt->t->lock);
	now = time(NULL);
	if (db_begin(pt->t->db) != 0 ||
	    insert_token(pt->t->db, a.account_id, "email", email, now, p->set.verify_ttl_s,
			 token) != 0)
		goto fail;
	page_url(p, pt, "verify", token, url, sizeof url);
	explicit_bzero(token, sizeof token);
	if (enqueue_mail(pt->t->db, email, "【メールアドレスの確認】電子申請サービス",
			 tmpl_email_verify, url, now) != 0 ||
	    enqueue_mail(pt->t->db, row.email, "【メールアドレス変更のお申込み】電子申請サービス",
			 tmpl_email_requested, NULL, now) != 0 ||
	    db_commit(pt->t->db) != 0)
		goto fail;
	pthread_mutex_unlock(&pt->t->lock);
	http_reply_json(req, 202, json_pack("{s:s}", "message",
		"新しいメールアドレスに確認のメールをお送りしました。メールのリンクを開くと、変更が完了します。"));
	return;
fail:
	abandon(req, pt, "email change");
}

static const char tmpl_deleted[] =
	"電子申請サービスのアカウントを削除しました ({{at}})。\n"
	"一時保存していた申請内容も削除しました。すでに送信した申請は、市区町村で引き続き取り扱います。\n";

void
accounts_handle_delete(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = tenant_of(p, req);
	struct portal_actor a;
	struct account_row row;
	sqlite3_stmt *st;
	json_t *body;
	time_t now;

	if (pt == NULL || accounts_session(p, pt, req, true, &a) != 1 ||
	    (body = http_req_json(req)) == NULL)
		return;
	if (!json_is_true(json_object_get(body, "confirm"))) {
		reply_one_invalid(req, "confirm", "削除してよいことを確認のうえ、チェックを入れてください。");
		return;
	}
	if (!confirm_password(p, req, &a, jsonio_str(body, "password", NULL), &row))
		return;
	pthread_mutex_lock(&pt->t->lock);
	now = time(NULL);
	if (db_begin(pt->t->db) != 0)
		goto fail;
	st = db_stmt(pt->t->db, "UPDATE applications SET account_id = NULL WHERE account_id = ?1");
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, a.account_id);
	if (db_step_done(st) != 0 || session_delete_subject(pt->t->db, a.account_id, NULL) < 0)
		goto fail;
	/* Tokens and drafts go with the row (ON DELETE CASCADE). */
	st = db_stmt(pt->t->db, "DELETE FROM accounts WHERE id = ?1");
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, a.account_id);
	if (db_step_done(st) != 0 ||
	    enqueue_mail(pt->t->db, row.email, "【アカウント削除のお知らせ】電子申請サービス",
			 tmpl_deleted, NULL, now) != 0 ||
	    db_commit(pt->t->db) != 0)
		goto fail;
	pthread_mutex_unlock(&pt->t->lock);
	set_cookie(req, &a, NULL);
	log_info("tenant %s: account %lld deleted", pt->t->name, (long long)a.account_id);
	http_reply_json(req, 200, json_pack("{s:s}", "message", "アカウントを削除しました。"));
	return;
fail:
	abandon(req, pt, "delete account");
}

/* --- password reset ------------------------------------------------------------------- */

static const char tmpl_reset[] =
	"電子申請サービスのパスワード再設定のお申込みを受け付けました。\n"
	"\n"
	"次のリンクを開いて、新しいパスワードを設定してください。\n"
	"{{url}}\n"
	"\n"
	"このリンクは一度だけ使えます。有効期限が切れた場合は、もう一度お申し込みください。\n";

/* Reset mails per address: at most this many an hour, so the portal cannot be used
 * to flood one mailbox. */
static const struct throttle_policy reset_mail_policy = { 5, 3600, 3600 };

void
accounts_handle_reset_request(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = tenant_of(p, req);
	char email[MAIL_ADDR_MAX + 1], key[PORTAL_EMAIL_KEY_MAX + 8], token[PORTAL_TOKEN_HEX + 1];
	char url[1024];
	struct account_row row;
	json_t *body;
	time_t now;
	int locked;

	if (pt == NULL || !accounts_rate_take(p->mail_rl, req) || (body = http_req_json(req)) == NULL)
		return;
	if (portal_email_normalize(jsonio_str(body, "email", NULL), email) != 0) {
		reply_one_invalid(req, "email", MSG_EMAIL_RULE);
		return;
	}
	portal_email_key(email, key + 6);
	memcpy(key, "reset:", 6);
	pthread_mutex_lock(&pt->t->lock);
	now = time(NULL);
	/* Known or not, the same transaction with the same throttle write. */
	if (db_begin(pt->t->db) != 0 || fetch_by(pt->t->db, email, 0, &row) != 0 ||
	    (locked = throttle_locked(pt->t->db, key, now, NULL)) < 0 ||
	    throttle_fail(pt->t->db, &reset_mail_policy, key, now) < 0)
		goto fail;
	if (row.found && !locked) {
		if (insert_token(pt->t->db, row.id, "reset", NULL, now, p->set.reset_ttl_s, token) != 0)
			goto fail;
		page_url(p, pt, "reset", token, url, sizeof url);
		explicit_bzero(token, sizeof token);
		if (enqueue_mail(pt->t->db, row.email, "【パスワード再設定】電子申請サービス",
				 tmpl_reset, url, now) != 0)
			goto fail;
		explicit_bzero(url, sizeof url);
	}
	if (db_commit(pt->t->db) != 0)
		goto fail;
	pthread_mutex_unlock(&pt->t->lock);
	http_reply_json(req, 202, json_pack("{s:s}", "message", MSG_RESET_SENT));
	return;
fail:
	abandon(req, pt, "reset request");
}

static const char tmpl_reset_done[] =
	"電子申請サービスのアカウントのパスワードを再設定しました ({{at}})。\n"
	"\n"
	"お心当たりのない場合は、お手数ですが市区町村の担当窓口へご連絡ください。\n";

void
accounts_handle_reset_confirm(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = tenant_of(p, req);
	char thash[PORTAL_TOKEN_HEX + 1], hash[PASSWORD_HASH_LEN], lk[PORTAL_EMAIL_KEY_MAX + 1];
	const char *fresh;
	struct account_row row;
	sqlite3_stmt *st;
	int64_t id = 0;
	json_t *body;
	time_t now;
	int rc;

	if (pt == NULL || (body = http_req_json(req)) == NULL)
		return;
	if (portal_token_hash(jsonio_str(body, "token", NULL), thash) != 0) {
		http_reply_error(req, 400, "invalid_token", MSG_BAD_TOKEN);
		return;
	}
	fresh = jsonio_str(body, "new_password", NULL);
	if (!password_ok(fresh)) {
		reply_one_invalid(req, "new_password", MSG_PW_RULE);
		return;
	}
	if (password_hash(fresh, hash) != 0) {
		http_reply_error(req, 500, "internal", MSG_INTERNAL);
		return;
	}
	pthread_mutex_lock(&pt->t->lock);
	now = time(NULL);
	if (db_begin(pt->t->db) != 0)
		goto fail;
	st = db_stmt(pt->t->db, "DELETE FROM account_tokens WHERE token_hash = ?1 AND purpose ="
				" 'reset' RETURNING account_id, expires_at");
	if (st == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, thash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_int64(st, 1) > now)
		id = sqlite3_column_int64(st, 0);
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto fail;
	if (id == 0 || fetch_by(pt->t->db, NULL, id, &row) != 0 || !row.found) {
		if (db_commit(pt->t->db) != 0)
			goto fail;
		pthread_mutex_unlock(&pt->t->lock);
		http_reply_error(req, 400, "invalid_token", MSG_BAD_TOKEN);
		return;
	}
	/* Opening the mailed link proves the mailbox: it verifies the address too. */
	st = db_stmt(pt->t->db, "UPDATE accounts SET password_hash = ?2, password_changed_at = ?3,"
				" verified_at = coalesce(verified_at, ?3) WHERE id = ?1");
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	portal_email_key(row.email, lk);
	if (db_step_done(st) != 0 || session_delete_subject(pt->t->db, id, NULL) < 0 ||
	    throttle_reset(pt->t->db, lk) != 0 ||
	    enqueue_mail(pt->t->db, row.email, "【パスワード再設定のお知らせ】電子申請サービス",
			 tmpl_reset_done, NULL, now) != 0 ||
	    db_commit(pt->t->db) != 0)
		goto fail;
	pthread_mutex_unlock(&pt->t->lock);
	http_reply_json(req, 200, json_pack("{s:s}", "message",
		"パスワードを再設定しました。新しいパスワードでログインしてください。"));
	return;
fail:
	abandon(req, pt, "reset");
}

/* --- the janitor -------------------------------------------------------------------- */

void
accounts_purge(struct portald *p, time_t now)
{
	struct session_config sc = { p->set.idle_s, p->set.absolute_s, p->set.cookie_secure, "x" };
	/* One purge for every throttle policy here: the longest window and lock. */
	struct throttle_policy longest = p->set.login;

	if (longest.window_s < reset_mail_policy.window_s)
		longest.window_s = reset_mail_policy.window_s;
	if (longest.lockout_s < reset_mail_policy.lockout_s)
		longest.lockout_s = reset_mail_policy.lockout_s;
	if (longest.window_s < p->set.ip.window_s)
		longest.window_s = p->set.ip.window_s;
	if (longest.lockout_s < p->set.ip.lockout_s)
		longest.lockout_s = p->set.ip.lockout_s;

	for (size_t i = 0; i < p->tenants.n; i++) {
		struct tenant *t = &p->tenants.t[i];
		sqlite3_stmt *st;
		int bad = 0;

		pthread_mutex_lock(&t->lock);
		bad |= session_purge(t->db, &sc, now) < 0;
		bad |= throttle_purge(t->db, &longest, now) < 0;
		st = db_stmt(t->db, "DELETE FROM account_tokens WHERE expires_at <= ?1");
		if (st != NULL)
			sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
		bad |= db_step_done(st) != 0;
		/* Never verified within the link's life: the registration lapses. */
		st = db_stmt(t->db, "DELETE FROM accounts WHERE verified_at IS NULL AND created_at <= ?1"
				    " AND NOT EXISTS (SELECT 1 FROM account_tokens k WHERE"
				    " k.account_id = accounts.id)");
		if (st != NULL)
			sqlite3_bind_int64(st, 1, (sqlite3_int64)(now - (time_t)p->set.verify_ttl_s));
		bad |= db_step_done(st) != 0;
		bad |= drafts_purge(t->db, now) < 0;
		if (bad)
			log_err("tenant %s: purge: %s", t->name, db_errmsg(t->db));
		pthread_mutex_unlock(&t->lock);
	}
}

struct janitor {
	struct portald *p;
	unsigned interval_s;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
};

static void *
janitor_run(void *arg)
{
	struct janitor *j = arg;
	struct timespec until;

	pthread_mutex_lock(&j->mu);
	while (!j->stop) {
		pthread_mutex_unlock(&j->mu);
		accounts_purge(j->p, time(NULL));
		pthread_mutex_lock(&j->mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += j->interval_s;
		while (!j->stop && pthread_cond_timedwait(&j->cv, &j->mu, &until) == 0)
			;
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

int
accounts_janitor_start(struct janitor **out, struct portald *p, unsigned interval_s,
		       char *err, size_t errlen)
{
	struct janitor *j = calloc(1, sizeof *j);
	int rc;

	*out = NULL;
	if (j == NULL) {
		snprintf(err, errlen, "janitor: out of memory");
		return -1;
	}
	j->p = p;
	j->interval_s = interval_s ? interval_s : 60;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	if ((rc = pthread_create(&j->thread, NULL, janitor_run, j)) != 0) {
		snprintf(err, errlen, "janitor: thread: %s", strerror(rc));
		pthread_cond_destroy(&j->cv);
		pthread_mutex_destroy(&j->mu);
		free(j);
		return -1;
	}
	*out = j;
	return 0;
}

void
accounts_janitor_stop(struct janitor *j)
{
	if (j == NULL)
		return;
	pthread_mutex_lock(&j->mu);
	j->stop = true;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
	pthread_join(j->thread, NULL);
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	free(j);
}
