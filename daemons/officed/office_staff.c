/*
 * office_staff.c — departments (グループ/部署), staff accounts and their roles and
 * departments, and staff CSV import/export, for administrators.
 *
 * Access: creating and changing is for administrators; lists of accounts are for
 * administrators and auditors; a clerk sees only their own departments. Every
 * change is in the audit log with what it was before and after, in the same
 * transaction as the change.
 */
#include "office_staff.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit_log.h"
#include "fsio.h"
#include "jsonio.h"
#include "log.h"
#include "mail.h"
#include "office_auth.h"
#include "password.h"
#include "staff_csv.h"
#include "timefmt.h"

#define MSG_DB        "サーバーで問題が発生しました。時間をおいてお試しください。"
#define MSG_NO_STAFF  "指定された職員は見つかりません。"
#define LIST_DEFAULT  500
#define LIST_MAX      1000
#define GENERATED_PASSWORD_LEN 16

/* ---- departments ---------------------------------------------------------------- */

void
office_handle_departments_list(struct http_request *req, void *app)
{
	struct office_actor a;
	sqlite3_stmt *st;
	json_t *list;
	int rc;

	if (office_authz_begin(app, req, OFFICE_ANY, &a) != 0)
		return;
	st = db_stmt(a.t->db, "SELECT d.id, d.name, (SELECT count(*) FROM staff_departments sd"
			      " WHERE sd.department_id = d.id) FROM departments d WHERE "
			      OFFICE_AUTHZ_DEPT_FILTER("d.id", "?1", "?2") " ORDER BY d.name");
	if (st == NULL)
		return office_fail_db(req, &a, "departments");
	sqlite3_bind_int(st, 1, office_authz_all_departments(&a));
	sqlite3_bind_int64(st, 2, a.id);
	list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(list, json_pack("{s:I,s:s,s:I}",
			"id", (json_int_t)sqlite3_column_int64(st, 0),
			"name", (const char *)sqlite3_column_text(st, 1),
			"members", (json_int_t)sqlite3_column_int64(st, 2)));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		return office_fail_db(req, &a, "departments");
	}
	office_authz_end(&a);
	http_reply_json(req, 200, json_pack("{s:o}", "departments", list));
}

void
office_handle_departments_create(struct http_request *req, void *app)
{
	struct office_actor a;
	char at[TIMEFMT_LEN], target[64];
	const char *name;
	sqlite3_stmt *st;
	json_t *body, *d;
	int64_t id;
	int rc;

	if (office_authz_begin(app, req, OFFICE_ADMIN, &a) != 0)
		return;
	if ((body = http_req_json(req)) == NULL) {
		office_authz_end(&a);
		return;
	}
	name = jsonio_str(body, "name", "");
	if (!office_text_valid(name, OFFICE_DEPT_NAME_MAX, ";")) {
		office_authz_end(&a);
		http_reply_error(req, 400, "invalid_name", "部署名は 1〜64 文字で入力してください"
				 "（制御文字と「;」は使えません）。");
		return;
	}
	timefmt_utc(time(NULL), at);
	if (db_begin(a.t->db) != 0 ||
	    (st = db_stmt(a.t->db, "INSERT INTO departments (name, created_at) VALUES (?1, ?2)"))
	    == NULL)
		return office_fail_db(req, &a, "department create");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (db_is_constraint(rc)) {
		db_rollback(a.t->db);
		office_authz_end(&a);
		http_reply_error(req, 409, "exists", "同じ名前の部署が既にあります。");
		return;
	}
	if (rc != SQLITE_DONE)
		return office_fail_db(req, &a, "department create");
	id = sqlite3_last_insert_rowid(db_handle(a.t->db));
	snprintf(target, sizeof target, "department:%lld", (long long)id);
	d = json_pack("{s:s}", "name", name);
	rc = office_audit(&a, "department.create", target, d);
	json_decref(d);
	if (rc != 0 || db_commit(a.t->db) != 0)
		return office_fail_db(req, &a, "department create");
	office_authz_end(&a);
	http_reply_json(req, 201, json_pack("{s:I,s:s}", "id", (json_int_t)id, "name", name));
}

/* ---- accounts ------------------------------------------------------------------- */

/* The names of a staff member's departments as a JSON array (lock held). */
static json_t *
departments_of(struct db *db, int64_t staff_id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT d.name FROM staff_departments sd JOIN departments d"
				       " ON d.id = sd.department_id WHERE sd.staff_id = ?1"
				       " ORDER BY d.name");
	json_t *a = json_array();

	if (st == NULL)
		return a;
	sqlite3_bind_int64(st, 1, staff_id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_reset(st);
	return a;
}

static long
query_long(struct http_request *req, const char *name, long def, long max)
{
	const char *v = http_req_query(req, name);
	char *end;
	long n;

	if (v == NULL || *v == '\0')
		return def;
	n = strtol(v, &end, 10);
	if (*end != '\0' || n < 0)
		return -1;
	return n > max ? max : n;
}

void
office_handle_accounts_list(struct http_request *req, void *app)
{
	struct office_actor a;
	sqlite3_stmt *st;
	json_t *list;
	long limit = query_long(req, "limit", LIST_DEFAULT, LIST_MAX);
	long offset = query_long(req, "offset", 0, 10000000);
	long long total = 0;
	int rc;

	if (office_authz_begin(app, req, OFFICE_READ_ALL, &a) != 0)
		return;
	if (limit < 0 || offset < 0) {
		office_authz_end(&a);
		http_reply_error(req, 400, "invalid_query", "limit と offset は 0 以上の整数で指定"
				 "してください。");
		return;
	}
	if ((st = db_stmt(a.t->db, "SELECT count(*) FROM staff")) == NULL)
		return office_fail_db(req, &a, "accounts");
	if (sqlite3_step(st) == SQLITE_ROW)
		total = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	st = db_stmt(a.t->db, "SELECT id, login, display_name, role, email, last_login_at,"
			      " disabled, password_hash = '' FROM staff ORDER BY login"
			      " LIMIT ?1 OFFSET ?2");
	if (st == NULL)
		return office_fail_db(req, &a, "accounts");
	sqlite3_bind_int64(st, 1, limit);
	sqlite3_bind_int64(st, 2, offset);
	list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char last[TIMEFMT_LEN] = "";
		int64_t id = sqlite3_column_int64(st, 0);

		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			timefmt_jst_rfc3339((time_t)sqlite3_column_int64(st, 5), last);
		json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s,s:o}",
			"login", (const char *)sqlite3_column_text(st, 1),
			"display_name", (const char *)sqlite3_column_text(st, 2),
			"role", (const char *)sqlite3_column_text(st, 3),
			"email", (const char *)sqlite3_column_text(st, 4),
			"last_login_at", last[0] ? last : NULL,
			"status", sqlite3_column_int(st, 6) ? "disabled"
				  : sqlite3_column_int(st, 7) ? "setup_pending" : "active",
			"departments", json_null()));
		/* Filled after the step: departments_of uses another statement. */
		json_object_set_new(json_array_get(list, json_array_size(list) - 1), "id",
				    json_integer(id));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		return office_fail_db(req, &a, "accounts");
	}
	{
		size_t i;
		json_t *e;

		json_array_foreach(list, i, e) {
			json_object_set_new(e, "departments", departments_of(a.t->db,
				json_integer_value(json_object_get(e, "id"))));
			json_object_del(e, "id");
		}
	}
	office_authz_end(&a);
	http_reply_json(req, 200, json_pack("{s:o,s:I,s:I,s:I}", "accounts", list,
					    "total", (json_int_t)total, "limit", (json_int_t)limit,
					    "offset", (json_int_t)offset));
}

/* Department ids of names (a JSON array of strings) into ids; -1 and a reply-ready
 * message when one is unknown or the list is malformed. */
static int
department_ids(struct db *db, const json_t *names, int64_t *ids, size_t *n,
	       const char **why)
{
	size_t i;
	json_t *v;

	*n = 0;
	if (names == NULL)
		return 0;
	if (!json_is_array(names) || json_array_size(names) > STAFF_CSV_MAX_DEPTS) {
		*why = "departments は部署名の配列（32 件まで）で指定してください。";
		return -1;
	}
	json_array_foreach(names, i, v) {
		sqlite3_stmt *st = db_stmt(db, "SELECT id FROM departments WHERE name = ?1");
		int rc;

		if (!json_is_string(v) || st == NULL) {
			*why = "departments は部署名の配列で指定してください。";
			return -1;
		}
		sqlite3_bind_text(st, 1, json_string_value(v), -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			ids[(*n)++] = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW) {
			*why = "存在しない部署が指定されています。先に部署を作成してください。";
			return -1;
		}
	}
	return 0;
}

static int
set_departments(struct db *db, int64_t staff_id, const int64_t *ids, size_t n)
{
	sqlite3_stmt *st = db_stmt(db, "DELETE FROM staff_departments WHERE staff_id = ?1");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, staff_id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if ((st = db_stmt(db, "INSERT OR IGNORE INTO staff_departments (staff_id,"
				      " department_id) VALUES (?1, ?2)")) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, staff_id);
		sqlite3_bind_int64(st, 2, ids[i]);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return -1;
	}
	return 0;
}

static int64_t
staff_id_of(struct db *db, const char *login, char role[16])
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, role FROM staff WHERE login = ?1");
	int64_t id = 0;

	if (st == NULL || login == NULL)
		return -1;
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if (role)
			snprintf(role, 16, "%s", sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	return id;
}

void
office_handle_accounts_create(struct http_request *req, void *app)
{
	struct office_actor a;
	char password[GENERATED_PASSWORD_LEN + 1], hash[PASSWORD_HASH_LEN];
	char target[OFFICE_LOGIN_MAX + 8];
	const char *login, *name, *role, *email, *why = NULL;
	int64_t ids[STAFF_CSV_MAX_DEPTS], id;
	size_t nids;
	json_t *body, *d;
	int rc;

	if (office_authz_begin(app, req, OFFICE_ADMIN, &a) != 0)
		return;
	if ((body = http_req_json(req)) == NULL) {
		office_authz_end(&a);
		return;
	}
	login = jsonio_str(body, "login", "");
	name = jsonio_str(body, "display_name", "");
	role = office_role_parse(jsonio_str(body, "role", ""));
	email = jsonio_str(body, "email", "");
	if (!office_login_valid(login))
		why = "ログイン ID は英数字と . _ - の 64 文字以内で、先頭は英数字にしてください。";
	else if (!office_text_valid(name, OFFICE_NAME_MAX, NULL))
		why = "氏名は 1〜100 文字で入力してください。";
	else if (role == NULL)
		why = "権限は admin、clerk、auditor のいずれかを指定してください。";
	else if (email[0] && !mail_address_valid(email))
		why = "メールアドレスの形式が正しくありません。";
	if (why == NULL)
		department_ids(a.t->db, json_object_get(body, "departments"), ids, &nids, &why);
	if (why != NULL) {
		office_authz_end(&a);
		http_reply_error(req, 400, "invalid_request", why);
		return;
	}
	/* Argon2 without the tenant's lock. */
	office_authz_unlock(&a);
	if (password_generate(password, sizeof password, GENERATED_PASSWORD_LEN) != 0 ||
	    password_hash(password, hash) != 0) {
		office_authz_end(&a);
		http_reply_error(req, 500, "internal", MSG_DB);
		return;
	}
	office_authz_relock(&a);
	if (db_begin(a.t->db) != 0)
		return office_fail_db(req, &a, "account create");
	{
		sqlite3_stmt *st = db_stmt(a.t->db, "INSERT INTO staff (login, display_name, role,"
					   " password_hash, must_change_password, password_changed_at,"
					   " created_at, email) VALUES (?1, ?2, ?3, ?4, 1,"
					   " strftime('%Y-%m-%dT%H:%M:%SZ','now'),"
					   " strftime('%Y-%m-%dT%H:%M:%SZ','now'), ?5)");
		if (st == NULL)
			return office_fail_db(req, &a, "account create");
		sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, role, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, email, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
	}
	if (db_is_constraint(rc)) {
		db_rollback(a.t->db);
		office_authz_end(&a);
		explicit_bzero(password, sizeof password);
		http_reply_error(req, 409, "exists", "このログイン ID は既に使われています。");
		return;
	}
	if (rc != SQLITE_DONE)
		return office_fail_db(req, &a, "account create");
	id = sqlite3_last_insert_rowid(db_handle(a.t->db));
	snprintf(target, sizeof target, "staff:%s", login);
	d = json_pack("{s:s,s:o}", "role", role, "departments", departments_of(a.t->db, id));
	if (set_departments(a.t->db, id, ids, nids) != 0) {
		json_decref(d);
		return office_fail_db(req, &a, "account create");
	}
	json_object_set_new(d, "departments", departments_of(a.t->db, id));
	rc = office_audit(&a, "staff.create", target, d);
	json_decref(d);
	if (rc != 0 || db_commit(a.t->db) != 0)
		return office_fail_db(req, &a, "account create");
	office_authz_end(&a);
	http_reply_json(req, 201, json_pack("{s:s,s:s,s:s}", "login", login, "initial_password",
					    password, "message", "初期パスワードは今回だけ表示されます。"
					    "本人に安全な方法で伝えてください。初回ログイン時に変更が"
					    "必要です。"));
	explicit_bzero(password, sizeof password);
	explicit_bzero(hash, sizeof hash);
}

void
office_handle_account_departments(struct http_request *req, void *app)
{
	struct office_actor a;
	const char *login = http_req_param(req, "login"), *why = NULL;
	char target[OFFICE_LOGIN_MAX + 8];
	int64_t ids[STAFF_CSV_MAX_DEPTS], id;
	size_t nids;
	json_t *body, *d, *names;
	int rc;

	if (office_authz_begin(app, req, OFFICE_ADMIN, &a) != 0)
		return;
	if ((body = http_req_json(req)) == NULL) {
		office_authz_end(&a);
		return;
	}
	if ((id = staff_id_of(a.t->db, login, NULL)) <= 0) {
		office_authz_end(&a);
		http_reply_error(req, 404, "no_such_staff", MSG_NO_STAFF);
		return;
	}
	names = json_object_get(body, "departments");
	if (names == NULL)
		why = "departments（部署名の配列）を指定してください。";
	else
		department_ids(a.t->db, names, ids, &nids, &why);
	if (why != NULL) {
		office_authz_end(&a);
		http_reply_error(req, 400, "invalid_request", why);
		return;
	}
	if (db_begin(a.t->db) != 0)
		return office_fail_db(req, &a, "account departments");
	d = json_pack("{s:o}", "before", departments_of(a.t->db, id));
	if (set_departments(a.t->db, id, ids, nids) != 0) {
		json_decref(d);
		return office_fail_db(req, &a, "account departments");
	}
	json_object_set_new(d, "after", departments_of(a.t->db, id));
	snprintf(target, sizeof target, "staff:%s", login);
	rc = office_audit(&a, "staff.departments", target, d);
	if (rc != 0 || db_commit(a.t->db) != 0) {
		json_decref(d);
		return office_fail_db(req, &a, "account departments");
	}
	office_authz_end(&a);
	http_reply_json(req, 200, json_pack("{s:s,s:O}", "login", login, "departments",
					    json_object_get(d, "after")));
	json_decref(d);
}

void
office_handle_account_role(struct http_request *req, void *app)
{
	struct office_actor a;
	const char *login = http_req_param(req, "login"), *role;
	char before[16] = "", target[OFFICE_LOGIN_MAX + 8];
	sqlite3_stmt *st;
	json_t *body, *d;
	int64_t id;
	int rc;

	if (office_authz_begin(app, req, OFFICE_ADMIN, &a) != 0)
		return;
	if ((body = http_req_json(req)) == NULL) {
		office_authz_end(&a);
		return;
	}
	if ((role = office_role_parse(jsonio_str(body, "role", ""))) == NULL) {
		office_authz_end(&a);
		http_reply_error(req, 400, "invalid_request",
				 "権限は admin、clerk、auditor のいずれかを指定してください。");
		return;
	}
	if ((id = staff_id_of(a.t->db, login, before)) <= 0) {
		office_authz_end(&a);
		http_reply_error(req, 404, "no_such_staff", MSG_NO_STAFF);
		return;
	}
	if (strcmp(before, OFFICE_ROLE_ADMIN) == 0 && strcmp(role, OFFICE_ROLE_ADMIN) != 0) {
		/* The tenant must keep an administrator who can undo this. */
		long long admins = 0;

		if ((st = db_stmt(a.t->db, "SELECT count(*) FROM staff WHERE role = 'admin'"
					   " AND disabled = 0")) == NULL)
			return office_fail_db(req, &a, "account role");
		if (sqlite3_step(st) == SQLITE_ROW)
			admins = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (admins <= 1) {
			office_authz_end(&a);
			http_reply_error(req, 409, "last_admin", "最後の管理者の権限は変更できません。"
					 "先に別の管理者を作成してください。");
			return;
		}
	}
	if (db_begin(a.t->db) != 0 ||
	    (st = db_stmt(a.t->db, "UPDATE staff SET role = ?2 WHERE id = ?1")) == NULL)
		return office_fail_db(req, &a, "account role");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, role, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return office_fail_db(req, &a, "account role");
	snprintf(target, sizeof target, "staff:%s", login);
	d = json_pack("{s:s,s:s}", "before", before, "after", role);
	rc = office_audit(&a, "staff.role", target, d);
	json_decref(d);
	if (rc != 0 || db_commit(a.t->db) != 0)
		return office_fail_db(req, &a, "account role");
	office_authz_end(&a);
	http_reply_json(req, 200, json_pack("{s:s,s:s}", "login", login, "role", role));
}

/* ---- CSV import / export ----------------------------------------------------------- */

int
office_import_limits(struct http_request *req, struct http_limits *lim, void *app)
{
	struct officed *o = app;
	struct session_config sc;
	char name[SESSION_NAME_MAX + 1], token[SESSION_TOKEN_HEX + 1];
	const char *tenant = http_req_param(req, "tenant");

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
	lim->max_file_bytes = CSVIO_MAX_BYTES;
	lim->max_upload_bytes = CSVIO_MAX_BYTES + 64 * 1024;
	return 0;
}

static char *
read_upload(const struct http_upload *u, size_t *len)
{
	char *buf;
	int fd;

	if (u->size > CSVIO_MAX_BYTES || (buf = malloc((size_t)u->size + 1)) == NULL)
		return NULL;
	if ((fd = open(u->path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fsio_pread_all(fd, buf, (size_t)u->size, 0) != 0) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	close(fd);
	*len = (size_t)u->size;
	return buf;
}

void
office_handle_import(struct http_request *req, void *app)
{
	struct officed *o = app;
	struct office_actor a;
	struct staff_csv_result res;
	const struct http_upload *u = http_req_upload(req, 0);
	char err[256] = "";
	size_t len;
	char *buf;
	int rc;

	if (office_authz_begin(o, req, OFFICE_ADMIN, &a) != 0)
		return;
	if (u == NULL || http_req_upload_count(req) != 1) {
		office_authz_end(&a);
		http_reply_error(req, 400, "file_required", "CSV ファイルを 1 つ指定してください。");
		return;
	}
	if ((buf = read_upload(u, &len)) == NULL) {
		office_authz_end(&a);
		http_reply_error(req, 500, "internal", MSG_DB);
		return;
	}
	rc = staff_csv_import(a.t->db, buf, len, time(NULL), o->set.setup_ttl_s, a.login,
			      a.remote, &res, err, sizeof err);
	explicit_bzero(buf, len);
	free(buf);
	office_authz_end(&a);
	if (rc < 0) {
		log_err("tenant %s: staff import: %s", a.t->name, err);
		staff_csv_result_free(&res);
		http_reply_error(req, 500, "internal", MSG_DB);
		return;
	}
	if (rc == 1) {
		char msg[200];

		snprintf(msg, sizeof msg, "CSV ファイルに %zu 件の誤りがあるため、取り込みませんでした。"
			 "誤りを直してから、もう一度取り込んでください。", res.nerrors);
		http_reply_json(req, 422, json_pack("{s:{s:s,s:s},s:I,s:O,s:s}",
			"error", "code", "invalid_csv", "message", msg,
			"error_count", (json_int_t)res.nerrors, "errors", res.errors,
			"request_id", http_req_id(req)));
		staff_csv_result_free(&res);
		return;
	}
	http_reply_json(req, 200, json_pack("{s:I,s:I,s:I,s:s,s:O,s:s}",
		"rows", (json_int_t)res.rows, "created", (json_int_t)res.created,
		"departments_created", (json_int_t)res.departments_created,
		"encoding", csvio_encoding_name(res.encoding), "accounts", res.accounts,
		"message", "取り込みました。各職員に設定コードを安全な方法で伝えてください。"
		"設定コードは今回だけ表示されます。"));
	staff_csv_result_free(&res);
}

void
office_handle_export(struct http_request *req, void *app)
{
	struct office_actor a;
	char err[256], *buf = NULL;
	size_t len = 0;
	FILE *f;
	long n;
	json_t *d;

	if (office_authz_begin(app, req, OFFICE_ADMIN, &a) != 0)
		return;
	if ((f = open_memstream(&buf, &len)) == NULL) {
		office_authz_end(&a);
		http_reply_error(req, 500, "internal", MSG_DB);
		return;
	}
	n = staff_csv_export(a.t->db, f, err, sizeof err);
	fclose(f);
	if (n < 0) {
		free(buf);
		log_err("tenant %s: %s", a.t->name, err);
		office_authz_end(&a);
		http_reply_error(req, 500, "internal", MSG_DB);
		return;
	}
	/* An export of personal data is itself on the record. */
	d = json_pack("{s:I}", "accounts", (json_int_t)n);
	office_audit(&a, "staff.export", "staff", d);
	json_decref(d);
	office_authz_end(&a);
	http_reply_header(req, "Content-Disposition", "attachment; filename=\"staff.csv\"");
	http_reply_bytes(req, 200, "text/csv; charset=utf-8", buf, len);
	free(buf);
}
