/*
 * office_auth.c — staff sign-in and the authorisation gate (see office_auth.h).
 *
 * What this file keeps true:
 *  - A login costs one Argon2 verification whether the account exists, has no
 *    password yet, is disabled or is locked, and fails with the same words in every
 *    case; failures are counted per login ID typed, so an unknown ID locks exactly
 *    like a known one. Nothing a guesser sees tells accounts apart.
 *  - No Argon2 runs with the tenant's lock held: other staff of the tenant do not
 *    wait behind someone's login.
 *  - A session token is only ever replaced (login, password change), never reused
 *    across a change of who or what it authorises.
 *  - Every sign-in event (success, failure, lock, logout, password change, setup) is
 *    in the audit log, written in the same transaction as the change it records.
 */
#define _GNU_SOURCE	/* strcasestr */
#include "office_auth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "audit_log.h"
#include "csvio.h"
#include "deadline.h"
#include "fsio.h"
#include "jsonio.h"
#include "log.h"
#include "staff_csv.h"
#include "timefmt.h"

#define MSG_LOGIN_FAILED  "ログイン ID またはパスワードが正しくありません。"
#define MSG_LOCKED        "ログインに続けて失敗したため、一時的にロックされています。" \
			  "しばらく待ってからお試しください。解除を急ぐ場合は管理者にご連絡ください。"
#define MSG_UNAUTH        "ログインしてください。"
#define MSG_EXPIRED       "一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。"
#define MSG_CSRF          "リクエストを確認できませんでした。画面を再読み込みしてから、もう一度お試しください。"
#define MSG_FORBIDDEN     "この操作を行う権限がありません。"
#define MSG_CHANGE_FIRST  "パスワードの変更が必要です。先にパスワードを変更してください。"
#define MSG_RATE          "短い時間に多くの要求がありました。しばらく待ってからお試しください。"
#define MSG_NO_TENANT     "指定された自治体は見つかりません。"
#define MSG_INTERNAL_DB   "サーバーで問題が発生しました。時間をおいてお試しください。"
#define MSG_SETUP_FAILED  "ログイン ID または設定コードが正しくないか、設定コードの有効期限が切れています。"

#define PASSWORD_MIN_CHARS 12
#define LOGIN_RATE_BURST   20.0

void
office_session_config(struct officed *o, const char *tenant, struct session_config *sc,
		      char name[SESSION_NAME_MAX + 1])
{
	snprintf(name, SESSION_NAME_MAX + 1, "sekisho-staff-%s", tenant);
	sc->idle_s = o->set.idle_s;
	sc->absolute_s = o->set.absolute_s;
	sc->secure = o->set.cookie_secure;
	sc->name = name;
}

void
office_authz_relock(struct office_actor *a)
{
	if (!a->locked) {
		pthread_mutex_lock(&a->t->lock);
		a->locked = true;
	}
}

void
office_authz_unlock(struct office_actor *a)
{
	if (a->locked) {
		pthread_mutex_unlock(&a->t->lock);
		a->locked = false;
	}
}

void
office_authz_end(struct office_actor *a)
{
	office_authz_unlock(a);
	explicit_bzero(a->token, sizeof a->token);
}

int
office_audit(const struct office_actor *a, const char *action, const char *target,
	     const json_t *detail)
{
	char err[256];

	if (audit_log_append(a->t->db, a->login[0] ? a->login : "-", action, target, a->remote,
			     detail, time(NULL), err, sizeof err) != 0) {
		log_err("tenant %s: %s", a->t->name, err);
		return -1;
	}
	return 0;
}

/* Fill the account fields of a from the staff row of id. 1 found and enabled, 0 not,
 * -1 error. Also decides whether a password change is due. */
static int
load_staff(struct office_actor *a, int64_t id, time_t now)
{
	sqlite3_stmt *st = db_stmt(a->t->db, "SELECT login, display_name, role, disabled,"
				   " must_change_password, password_changed_at FROM staff WHERE id = ?1");
	int rc, found = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_int(st, 3) == 0) {
		time_t changed = 0;

		found = 1;
		a->id = id;
		snprintf(a->login, sizeof a->login, "%s", sqlite3_column_text(st, 0));
		snprintf(a->display_name, sizeof a->display_name, "%s", sqlite3_column_text(st, 1));
		snprintf(a->role, sizeof a->role, "%s", sqlite3_column_text(st, 2));
		timefmt_parse_rfc3339((const char *)sqlite3_column_text(st, 5), &changed);
		if (sqlite3_column_int(st, 4)) {
			a->change_required = true;
			a->change_reason = "initial";
		} else if (strcmp(a->role, OFFICE_ROLE_ADMIN) == 0 &&
			   now - changed >= (time_t)a->o->set.admin_password_max_age_s) {
			a->change_required = true;
			a->change_reason = "expired";
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? found : -1;
}

static bool
role_allows(const char *role, unsigned need)
{
	bool admin = strcmp(role, OFFICE_ROLE_ADMIN) == 0;
	bool clerk = strcmp(role, OFFICE_ROLE_CLERK) == 0;
	bool auditor = strcmp(role, OFFICE_ROLE_AUDITOR) == 0;

	if ((need & OFFICE_ADMIN) && !admin)
		return false;
	if ((need & OFFICE_READ_ALL) && !(admin || auditor))
		return false;
	if ((need & OFFICE_WRITE) && !(admin || clerk))
		return false;
	return admin || clerk || auditor;
}

static bool
state_changing(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

int
office_authz_begin(struct officed *o, struct http_request *req, unsigned need,
		   struct office_actor *a)
{
	const char *tenant = http_req_param(req, "tenant");
	struct session s;
	char err[256];
	time_t now = time(NULL);
	int rc;

	memset(a, 0, sizeof *a);
	a->o = o;
	a->remote = http_req_remote(req);
	if (tenant == NULL || (a->t = tenant_find(&o->tenants, tenant)) == NULL) {
		http_reply_error(req, 404, "no_such_tenant", MSG_NO_TENANT);
		return -1;
	}
	office_session_config(o, a->t->name, &a->sc, a->cookie_name);
	if (session_cookie_parse(&a->sc, http_req_header(req, "Cookie"), a->token) != 0) {
		http_reply_error(req, 401, "unauthenticated", MSG_UNAUTH);
		return -1;
	}
	office_authz_relock(a);
	rc = session_lookup(a->t->db, &a->sc, a->token, now, &s, err, sizeof err);
	if (rc < 0)
		goto internal;
	if (rc != SESSION_OK) {
		office_authz_end(a);
		http_reply_error(req, 401, rc == SESSION_EXPIRED ? "session_expired" : "unauthenticated",
				 rc == SESSION_EXPIRED ? MSG_EXPIRED : MSG_UNAUTH);
		return -1;
	}
	memcpy(a->csrf, s.csrf, sizeof a->csrf);
	if (state_changing(http_req_method(req)) &&
	    !session_csrf_check(a->token, http_req_header(req, SESSION_CSRF_HEADER))) {
		office_authz_end(a);
		http_reply_error(req, 403, "csrf", MSG_CSRF);
		return -1;
	}
	rc = load_staff(a, s.subject, now);
	if (rc < 0)
		goto internal;
	if (rc == 0) {
		/* Disabled or removed since login: the session goes with it. */
		session_delete(a->t->db, a->token);
		office_authz_end(a);
		http_reply_error(req, 401, "unauthenticated", MSG_UNAUTH);
		return -1;
	}
	if (a->change_required && !(need & OFFICE_PENDING_OK)) {
		office_authz_end(a);
		http_reply_error(req, 403, "password_change_required", MSG_CHANGE_FIRST);
		return -1;
	}
	if (!role_allows(a->role, need)) {
		office_authz_end(a);
		http_reply_error(req, 403, "forbidden", MSG_FORBIDDEN);
		return -1;
	}
	return 0;
internal:
	log_err("tenant %s: authz: %s", a->t->name, err[0] ? err : db_errmsg(a->t->db));
	office_authz_end(a);
	http_reply_error(req, 500, "internal", MSG_INTERNAL_DB);
	return -1;
}

int
office_authz_all_departments(const struct office_actor *a)
{
	return strcmp(a->role, OFFICE_ROLE_ADMIN) == 0 || strcmp(a->role, OFFICE_ROLE_AUDITOR) == 0;
}

int
office_authz_department(const struct office_actor *a, int64_t department_id)
{
	sqlite3_stmt *st;
	int rc;

	if (office_authz_all_departments(a))
		return 1;
	st = db_stmt(a->t->db, "SELECT 1 FROM staff_departments WHERE staff_id = ?1"
			       " AND department_id = ?2");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, a->id);
	sqlite3_bind_int64(st, 2, department_id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* ---- what a signed-in person is told ------------------------------------------ */

static json_t *
time_or_null(sqlite3_stmt *st, int col)
{
	char t[TIMEFMT_LEN];

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	timefmt_jst_rfc3339((time_t)sqlite3_column_int64(st, col), t);
	return json_string(t);
}

/* {staff, csrf_token, last_login_at, password, session} for the actor (lock held). */
static json_t *
me_json(const struct office_actor *a, time_t now)
{
	sqlite3_stmt *st;
	json_t *depts = json_array(), *me, *last = json_null(), *pw;
	char text[TIMEFMT_LEN] = "", expires[TIMEFMT_LEN] = "", email[OFFICE_EMAIL_MAX + 1] = "";
	time_t changed = 0;
	bool admin = strcmp(a->role, OFFICE_ROLE_ADMIN) == 0;

	st = db_stmt(a->t->db, "SELECT d.id, d.name FROM staff_departments sd JOIN departments d"
			       " ON d.id = sd.department_id WHERE sd.staff_id = ?1 ORDER BY d.name");
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, a->id);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(depts, json_pack("{s:I,s:s}", "id",
				(json_int_t)sqlite3_column_int64(st, 0), "name",
				(const char *)sqlite3_column_text(st, 1)));
		sqlite3_reset(st);
	}
	st = db_stmt(a->t->db, "SELECT previous_login_at, password_changed_at, email FROM staff"
			       " WHERE id = ?1");
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, a->id);
		if (sqlite3_step(st) == SQLITE_ROW) {
			json_decref(last);
			last = time_or_null(st, 0);
			if (sqlite3_column_type(st, 0) != SQLITE_NULL)
				timefmt_jst_text((time_t)sqlite3_column_int64(st, 0), text);
			timefmt_parse_rfc3339((const char *)sqlite3_column_text(st, 1), &changed);
			snprintf(email, sizeof email, "%s", sqlite3_column_text(st, 2));
		}
		sqlite3_reset(st);
	}
	pw = json_pack("{s:b,s:o}", "change_required", a->change_required, "reason",
		       a->change_reason ? json_string(a->change_reason) : json_null());
	if (admin) {
		time_t exp = changed + (time_t)a->o->set.admin_password_max_age_s;

		timefmt_jst_rfc3339(exp, expires);
		json_object_set_new(pw, "expires_at", json_string(expires));
		json_object_set_new(pw, "reminder", json_boolean(
			!a->change_required && now >= exp - (time_t)a->o->set.password_reminder_s));
	} else {
		json_object_set_new(pw, "expires_at", json_null());
		json_object_set_new(pw, "reminder", json_false());
	}
	me = json_pack("{s:{s:s,s:s,s:s,s:s,s:s,s:o},s:s,s:o,s:s?,s:o,s:{s:I}}",
		       "staff", "login", a->login, "display_name", a->display_name,
		       "role", a->role, "role_label", office_role_label(a->role),
		       "email", email, "departments", depts,
		       "csrf_token", a->csrf,
		       "last_login_at", last,
		       "last_login_text", text[0] ? text : NULL,
		       "password", pw,
		       "session", "idle_timeout_s", (json_int_t)a->sc.idle_s);
	return me;
}

static void
set_cookie(struct http_request *req, const struct office_actor *a, const char *token)
{
	char v[SESSION_SET_COOKIE_MAX];

	if (session_set_cookie(&a->sc, token, v, sizeof v) == 0)
		http_reply_header(req, "Set-Cookie", v);
}

/* ---- login ------------------------------------------------------------------- */

struct login_row {
	int64_t id;
	char hash[PASSWORD_HASH_LEN];
	bool found, disabled;
};

static int
fetch_login(struct db *db, const char *login, struct login_row *r)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, password_hash, disabled FROM staff"
				       " WHERE login = ?1");
	int rc;

	memset(r, 0, sizeof *r);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->found = true;
		r->id = sqlite3_column_int64(st, 0);
		snprintf(r->hash, sizeof r->hash, "%s", sqlite3_column_text(st, 1));
		r->disabled = sqlite3_column_int(st, 2) != 0;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Begin a no-session request: tenant, rate limit, JSON body. NULL after a reply. */
static json_t *
open_anonymous(struct officed *o, struct http_request *req, struct office_actor *a)
{
	const char *tenant = http_req_param(req, "tenant");

	memset(a, 0, sizeof *a);
	a->o = o;
	a->remote = http_req_remote(req);
	if (tenant == NULL || (a->t = tenant_find(&o->tenants, tenant)) == NULL) {
		http_reply_error(req, 404, "no_such_tenant", MSG_NO_TENANT);
		return NULL;
	}
	office_session_config(o, a->t->name, &a->sc, a->cookie_name);
	if (!ratelimit_take(o->login_rl, a->remote, deadline_now_ms())) {
		http_reply_header(req, "Retry-After", "5");
		http_reply_error(req, 429, "rate_limited", MSG_RATE);
		return NULL;
	}
	return http_req_json(req);
}

static void
throttle_keys(const char *login, const char *remote, char lk[THROTTLE_KEY_MAX + 1],
	      char ik[THROTTLE_KEY_MAX + 1])
{
	snprintf(lk, THROTTLE_KEY_MAX + 1, "login:%s", login);
	snprintf(ik, THROTTLE_KEY_MAX + 1, "ip:%s", remote);
}

void
office_handle_login(struct http_request *req, void *app)
{
	struct officed *o = app;
	struct office_actor a;
	struct login_row row;
	struct session s;
	char lk[THROTTLE_KEY_MAX + 1], ik[THROTTLE_KEY_MAX + 1], target[OFFICE_LOGIN_MAX + 8];
	char old[SESSION_TOKEN_HEX + 1], err[256] = "";
	const char *login, *password;
	json_t *body, *reply = NULL;
	time_t now;
	int locked, ok, rc;

	if ((body = open_anonymous(o, req, &a)) == NULL)
		return;
	login = jsonio_str(body, "login", NULL);
	password = jsonio_str(body, "password", NULL);
	if (login == NULL || password == NULL || login[0] == '\0' || password[0] == '\0' ||
	    strlen(login) > OFFICE_LOGIN_MAX || strlen(password) > PASSWORD_MAX_LEN) {
		http_reply_error(req, 400, "invalid_request",
				 "ログイン ID とパスワードを入力してください。");
		return;
	}
	throttle_keys(login, a.remote, lk, ik);
	snprintf(target, sizeof target, "staff:%s", login);

	office_authz_relock(&a);
	now = time(NULL);
	rc = fetch_login(a.t->db, login, &row);
	locked = rc == 0 ? throttle_locked(a.t->db, lk, now, NULL) : -1;
	if (locked == 0)
		locked = throttle_locked(a.t->db, ik, now, NULL);
	office_authz_unlock(&a);
	if (rc != 0 || locked < 0)
		goto internal;

	/* One Argon2 whatever the case (see the top of this file). */
	ok = password_verify(password, row.found && row.hash[0] ? row.hash : o->dummy_hash) == 1 &&
	     row.found && row.hash[0] != '\0' && !row.disabled && !locked;

	office_authz_relock(&a);
	now = time(NULL);
	if (db_begin(a.t->db) != 0)
		goto internal_locked;
	if (!ok) {
		json_t *d = json_pack("{s:s}", "reason", locked ? "locked" : "bad_credentials");

		if (!locked && (throttle_fail(a.t->db, &o->set.login, lk, now) < 0 ||
				throttle_fail(a.t->db, &o->set.ip, ik, now) < 0)) {
			json_decref(d);
			goto rollback;
		}
		/* The actor of a failed login is the ID that was typed. */
		snprintf(a.login, sizeof a.login, "%s", login);
		rc = office_audit(&a, locked ? "login.locked" : "login.failure", target, d);
		json_decref(d);
		if (rc != 0 || db_commit(a.t->db) != 0)
			goto rollback;
		office_authz_unlock(&a);
		if (locked)
			http_reply_error(req, 423, "locked", MSG_LOCKED);
		else
			http_reply_error(req, 401, "invalid_credentials", MSG_LOGIN_FAILED);
		return;
	}
	/* Success: a new token (an old one from this browser is dropped: no fixation). */
	if (session_cookie_parse(&a.sc, http_req_header(req, "Cookie"), old) != 0)
		old[0] = '\0';
	if (throttle_reset(a.t->db, lk) != 0 ||
	    session_create(a.t->db, row.id, a.remote, old[0] ? old : NULL, now, &s, err,
			   sizeof err) != 0)
		goto rollback;
	{
		sqlite3_stmt *st = db_stmt(a.t->db, "UPDATE staff SET previous_login_at ="
					   " last_login_at, last_login_at = ?2 WHERE id = ?1");
		if (st == NULL)
			goto rollback;
		sqlite3_bind_int64(st, 1, row.id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			goto rollback;
	}
	if (load_staff(&a, row.id, now) != 1)
		goto rollback;
	memcpy(a.token, s.token, sizeof a.token);
	memcpy(a.csrf, s.csrf, sizeof a.csrf);
	{
		json_t *d = json_pack("{s:b}", "password_change_required", a.change_required);

		rc = office_audit(&a, "login.success", target, d);
		json_decref(d);
	}
	if (rc != 0 || db_commit(a.t->db) != 0)
		goto rollback;
	reply = me_json(&a, now);
	office_authz_unlock(&a);
	set_cookie(req, &a, s.token);
	explicit_bzero(&s, sizeof s);
	office_authz_end(&a);
	http_reply_json(req, 200, reply);
	return;
rollback:
	db_rollback(a.t->db);
internal_locked:
	office_authz_unlock(&a);
internal:
	log_err("tenant %s: login: %s", a.t->name, err[0] ? err : db_errmsg(a.t->db));
	office_authz_end(&a);
	http_reply_error(req, 500, "internal", MSG_INTERNAL_DB);
}

void
office_handle_logout(struct http_request *req, void *app)
{
	struct office_actor a;
	char target[OFFICE_LOGIN_MAX + 8];

	if (office_authz_begin(app, req, OFFICE_ANY | OFFICE_PENDING_OK, &a) != 0)
		return;
	snprintf(target, sizeof target, "staff:%s", a.login);
	if (db_begin(a.t->db) != 0 || session_delete(a.t->db, a.token) != 0 ||
	    office_audit(&a, "logout", target, NULL) != 0 || db_commit(a.t->db) != 0) {
		db_rollback(a.t->db);
		office_authz_end(&a);
		http_reply_error(req, 500, "internal", MSG_INTERNAL_DB);
		return;
	}
	office_authz_end(&a);
	set_cookie(req, &a, NULL);
	http_reply_json(req, 200, json_pack("{s:s}", "message", "ログアウトしました。"));
}

void
office_handle_me(struct http_request *req, void *app)
{
	struct office_actor a;
	json_t *me;

	if (office_authz_begin(app, req, OFFICE_ANY | OFFICE_PENDING_OK, &a) != 0)
		return;
	me = me_json(&a, time(NULL));
	office_authz_end(&a);
	http_reply_json(req, 200, me);
}

/* ---- passwords ----------------------------------------------------------------- */

const char *
office_password_problem(const char *login, const char *pw)
{
	size_t chars = 0, len = strlen(pw);
	bool same = true;

	if (len > PASSWORD_MAX_LEN)
		return "パスワードが長すぎます（256 バイト以内）。";
	if (!csvio_utf8_valid(pw, len))
		return "パスワードに使えない文字が含まれています。";
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)pw[i] < 0x20 || pw[i] == 0x7F)
			return "パスワードに制御文字は使えません。";
		if (((unsigned char)pw[i] & 0xC0) != 0x80)
			chars++;
		if (pw[i] != pw[0])
			same = false;
	}
	if (chars < PASSWORD_MIN_CHARS)
		return "パスワードは 12 文字以上にしてください。";
	if (same)
		return "同じ文字だけのパスワードは使えません。";
	if (login != NULL && login[0] != '\0' && strcasestr(pw, login) != NULL)
		return "ログイン ID を含むパスワードは使えません。";
	return NULL;
}

static int
stored_hash(struct db *db, int64_t id, char out[PASSWORD_HASH_LEN])
{
	sqlite3_stmt *st = db_stmt(db, "SELECT password_hash FROM staff WHERE id = ?1");
	int rc;

	out[0] = '\0';
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(out, PASSWORD_HASH_LEN, "%s", sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

void
office_handle_password(struct http_request *req, void *app)
{
	struct officed *o = app;
	struct office_actor a;
	char old_hash[PASSWORD_HASH_LEN], new_hash[PASSWORD_HASH_LEN];
	char target[OFFICE_LOGIN_MAX + 8], lk[THROTTLE_KEY_MAX + 1], ik[THROTTLE_KEY_MAX + 1];
	char err[256] = "";
	const char *cur, *next, *problem;
	struct session s;
	json_t *body, *reply;
	time_t now;
	int rc;

	if (office_authz_begin(o, req, OFFICE_ANY | OFFICE_PENDING_OK, &a) != 0)
		return;
	if ((body = http_req_json(req)) == NULL) {
		office_authz_end(&a);
		return;
	}
	cur = jsonio_str(body, "current_password", "");
	next = jsonio_str(body, "new_password", "");
	snprintf(target, sizeof target, "staff:%s", a.login);
	throttle_keys(a.login, a.remote, lk, ik);
	if ((problem = office_password_problem(a.login, next)) != NULL) {
		office_authz_end(&a);
		http_reply_error(req, 400, "weak_password", problem);
		return;
	}
	if (stored_hash(a.t->db, a.id, old_hash) != 0)
		goto internal_locked;
	office_authz_unlock(&a);
	rc = password_verify(cur, old_hash[0] ? old_hash : o->dummy_hash);
	if (rc == 1 && password_verify(next, old_hash) == 1) {
		office_authz_end(&a);
		http_reply_error(req, 400, "same_password",
				 "新しいパスワードは現在のパスワードと違うものにしてください。");
		return;
	}
	if (rc != 1 || old_hash[0] == '\0') {
		/* A wrong current password counts like a failed login: a stolen
		 * session cannot be used to guess it at leisure. */
		office_authz_relock(&a);
		now = time(NULL);
		if (db_begin(a.t->db) != 0)
			goto internal_locked;
		if (throttle_fail(a.t->db, &o->set.login, lk, now) < 0 ||
		    office_audit(&a, "password.change_failed", target, NULL) != 0 ||
		    db_commit(a.t->db) != 0)
			goto rollback;
		office_authz_end(&a);
		http_reply_error(req, 403, "wrong_password", "現在のパスワードが正しくありません。");
		return;
	}
	if (password_hash(next, new_hash) != 0) {
		office_authz_end(&a);
		http_reply_error(req, 500, "internal", MSG_INTERNAL_DB);
		return;
	}
	office_authz_relock(&a);
	now = time(NULL);
	if (db_begin(a.t->db) != 0)
		goto internal_locked;
	{
		sqlite3_stmt *st = db_stmt(a.t->db, "UPDATE staff SET password_hash = ?2,"
					   " must_change_password = 0, password_changed_at = ?3"
					   " WHERE id = ?1");
		char at[TIMEFMT_LEN];

		if (st == NULL)
			goto rollback;
		timefmt_utc(now, at);
		sqlite3_bind_int64(st, 1, a.id);
		sqlite3_bind_text(st, 2, new_hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, at, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			goto rollback;
	}
	/* New token for this browser; every other session of the account ends. */
	if (session_create(a.t->db, a.id, a.remote, a.token, now, &s, err, sizeof err) != 0 ||
	    session_delete_subject(a.t->db, a.id, s.token) < 0 ||
	    throttle_reset(a.t->db, lk) != 0 ||
	    office_audit(&a, "password.change", target, NULL) != 0 ||
	    db_commit(a.t->db) != 0)
		goto rollback;
	a.change_required = false;
	a.change_reason = NULL;
	memcpy(a.token, s.token, sizeof a.token);
	memcpy(a.csrf, s.csrf, sizeof a.csrf);
	reply = me_json(&a, now);
	office_authz_unlock(&a);
	set_cookie(req, &a, s.token);
	explicit_bzero(&s, sizeof s);
	office_authz_end(&a);
	http_reply_json(req, 200, reply);
	return;
rollback:
	db_rollback(a.t->db);
internal_locked:
	log_err("tenant %s: password change: %s", a.t->name, err[0] ? err : db_errmsg(a.t->db));
	office_authz_end(&a);
	http_reply_error(req, 500, "internal", MSG_INTERNAL_DB);
}

void
office_handle_setup(struct http_request *req, void *app)
{
	struct officed *o = app;
	struct office_actor a;
	char lk[THROTTLE_KEY_MAX + 1], ik[THROTTLE_KEY_MAX + 1], target[OFFICE_LOGIN_MAX + 8];
	char stored[65] = "", given[65], new_hash[PASSWORD_HASH_LEN];
	const char *login, *code, *next, *problem;
	uint8_t h[CRYPTO_SHA256_LEN];
	int64_t id = 0, expires = 0;
	json_t *body;
	time_t now;
	int rc, locked, ok;

	if ((body = open_anonymous(o, req, &a)) == NULL)
		return;
	login = jsonio_str(body, "login", "");
	code = jsonio_str(body, "setup_code", "");
	next = jsonio_str(body, "new_password", "");
	if (!office_login_valid(login) || strlen(code) > 64) {
		http_reply_error(req, 401, "invalid_setup", MSG_SETUP_FAILED);
		return;
	}
	if ((problem = office_password_problem(login, next)) != NULL) {
		http_reply_error(req, 400, "weak_password", problem);
		return;
	}
	throttle_keys(login, a.remote, lk, ik);
	snprintf(target, sizeof target, "staff:%s", login);
	crypto_sha256(code, strlen(code), h);
	crypto_hex(h, sizeof h, given);

	office_authz_relock(&a);
	now = time(NULL);
	{
		sqlite3_stmt *st = db_stmt(a.t->db, "SELECT id, setup_code_hash, setup_expires_at"
					   " FROM staff WHERE login = ?1 AND disabled = 0"
					   " AND setup_code_hash IS NOT NULL");
		if (st == NULL)
			goto internal_locked;
		sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			id = sqlite3_column_int64(st, 0);
			snprintf(stored, sizeof stored, "%s", sqlite3_column_text(st, 1));
			expires = sqlite3_column_int64(st, 2);
		}
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			goto internal_locked;
	}
	locked = throttle_locked(a.t->db, lk, now, NULL);
	if (locked == 0)
		locked = throttle_locked(a.t->db, ik, now, NULL);
	if (locked < 0)
		goto internal_locked;
	ok = strlen(stored) == 64 && crypto_memeq(stored, given, 64) && expires > now && !locked;
	if (!ok) {
		snprintf(a.login, sizeof a.login, "%s", login);
		if (db_begin(a.t->db) != 0)
			goto internal_locked;
		if ((!locked && (throttle_fail(a.t->db, &o->set.login, lk, now) < 0 ||
				 throttle_fail(a.t->db, &o->set.ip, ik, now) < 0)) ||
		    office_audit(&a, "account.setup_failure", target, NULL) != 0 ||
		    db_commit(a.t->db) != 0)
			goto rollback;
		office_authz_end(&a);
		if (locked)
			http_reply_error(req, 423, "locked", MSG_LOCKED);
		else
			http_reply_error(req, 401, "invalid_setup", MSG_SETUP_FAILED);
		return;
	}
	office_authz_unlock(&a);
	if (password_hash(next, new_hash) != 0) {
		office_authz_end(&a);
		http_reply_error(req, 500, "internal", MSG_INTERNAL_DB);
		return;
	}
	office_authz_relock(&a);
	now = time(NULL);
	snprintf(a.login, sizeof a.login, "%s", login);
	if (db_begin(a.t->db) != 0)
		goto internal_locked;
	{
		/* The code hash is in the WHERE clause: two setups racing with the same
		 * code cannot both win. */
		sqlite3_stmt *st = db_stmt(a.t->db, "UPDATE staff SET password_hash = ?2,"
					   " must_change_password = 0, password_changed_at = ?3,"
					   " setup_code_hash = NULL, setup_expires_at = NULL"
					   " WHERE id = ?1 AND setup_code_hash = ?4");
		char at[TIMEFMT_LEN];

		if (st == NULL)
			goto rollback;
		timefmt_utc(now, at);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, new_hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, at, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, stored, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE || sqlite3_changes(db_handle(a.t->db)) != 1)
			goto rollback;
	}
	if (throttle_reset(a.t->db, lk) != 0 ||
	    office_audit(&a, "account.setup", target, NULL) != 0 || db_commit(a.t->db) != 0)
		goto rollback;
	office_authz_end(&a);
	http_reply_json(req, 200, json_pack("{s:s}", "message",
		"パスワードを設定しました。設定したパスワードでログインしてください。"));
	return;
rollback:
	db_rollback(a.t->db);
internal_locked:
	log_err("tenant %s: setup: %s", a.t->name, db_errmsg(a.t->db));
	office_authz_end(&a);
	http_reply_error(req, 500, "internal", MSG_INTERNAL_DB);
}

/* Only while this request holds the tenant's lock is an open transaction its own: a
 * request that let go (a long export) must not roll back another's. */
static void
rollback_own(struct office_actor *a)
{
	if (a->locked && !sqlite3_get_autocommit(db_handle(a->t->db)))
		db_rollback(a->t->db);
}

void
office_fail_db(struct http_request *req, struct office_actor *a, const char *what)
{
	log_err("tenant %s: %s: %s", a->t->name, what, db_errmsg(a->t->db));
	rollback_own(a);
	office_authz_end(a);
	http_reply_error(req, 500, "internal", "サーバーで問題が発生しました。時間をおいてお試しください。");
}

void
office_refuse(struct http_request *req, struct office_actor *a, unsigned status, const char *code,
	      const char *message)
{
	rollback_own(a);
	office_authz_end(a);
	http_reply_error(req, status, code, message);
}

char *
office_upload_read(struct http_request *req, struct office_actor *a, size_t max,
		   const char *missing, const char *too_large, size_t *len)
{
	const struct http_upload *u = http_req_upload(req, 0);
	char *buf;

	if (u == NULL || http_req_upload_count(req) != 1) {
		office_refuse(req, a, 400, "file_required", missing);
		return NULL;
	}
	if ((buf = fsio_read_bounded(u->path, u->size, max)) == NULL) {
		if (errno == EFBIG)
			office_refuse(req, a, 413, "too_large", too_large);
		else
			office_fail_db(req, a, "upload read");
		return NULL;
	}
	*len = (size_t)u->size;
	return buf;
}
