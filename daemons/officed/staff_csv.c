/*
 * staff_csv.c — staff CSV import and export (see staff_csv.h).
 *
 * Import runs in two passes over rows held as pointers into one UTF-8 buffer:
 * check everything (fields, duplicates within the file by sorting, logins already
 * in the database), and only if nothing is wrong, write everything in one
 * transaction. The second pass cannot meet a row the first did not approve.
 */
#include "staff_csv.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "audit_log.h"
#include "crypto.h"
#include "mail.h"
#include "office_db.h"
#include "password.h"
#include "timefmt.h"

enum col { C_LOGIN, C_NAME, C_ROLE, C_DEPTS, C_EMAIL, C_N };

static const struct {
	const char *en, *ja;
	int required;
} columns[C_N] = {
	[C_LOGIN] = { "login", "ログインID", 1 },
	[C_NAME] = { "display_name", "氏名", 1 },
	[C_ROLE] = { "role", "権限", 1 },
	[C_DEPTS] = { "departments", "所属", 0 },
	[C_EMAIL] = { "email", "メールアドレス", 0 },
};

struct row {
	size_t no;			/* record number in the file (header is 1) */
	const char *f[C_N];		/* "" when the column is absent */
	const char *role;		/* parsed */
	char *depts[STAFF_CSV_MAX_DEPTS];
	size_t ndepts;
};

static void
add_error(struct staff_csv_result *res, size_t row, const char *column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
add_error(struct staff_csv_result *res, size_t row, const char *column, const char *fmt, ...)
{
	char reason[300];
	va_list ap;

	res->nerrors++;
	if (json_array_size(res->errors) >= STAFF_CSV_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	json_array_append_new(res->errors, json_pack("{s:I,s:s,s:s}", "row", (json_int_t)row,
						     "column", column, "reason", reason));
}

/* Trim ASCII spaces at both ends, in place. */
static char *
trim(char *s)
{
	char *e;

	while (*s == ' ')
		s++;
	e = s + strlen(s);
	while (e > s && e[-1] == ' ')
		*--e = '\0';
	return s;
}

static int
header_map(char **h, size_t n, int idx[C_N], struct staff_csv_result *res)
{
	int bad = 0;

	for (int c = 0; c < C_N; c++)
		idx[c] = -1;
	for (size_t i = 0; i < n; i++) {
		char *name = trim(h[i]);
		int c;

		for (c = 0; c < C_N; c++)
			if (strcmp(name, columns[c].en) == 0 || strcmp(name, columns[c].ja) == 0)
				break;
		if (c == C_N) {
			add_error(res, 1, name, "不明な列名です。使える列名は login, display_name, "
				  "role, departments, email です");
			bad = 1;
		} else if (idx[c] >= 0) {
			add_error(res, 1, name, "同じ列が 2 回あります");
			bad = 1;
		} else {
			idx[c] = (int)i;
		}
	}
	for (int c = 0; c < C_N; c++)
		if (columns[c].required && idx[c] < 0) {
			add_error(res, 1, columns[c].en, "必須の列がありません");
			bad = 1;
		}
	return bad ? -1 : 0;
}

static void
check_row(struct row *r, struct staff_csv_result *res)
{
	const char *login = r->f[C_LOGIN], *email = r->f[C_EMAIL];
	char *d, *save = NULL;

	if (login[0] == '\0')
		add_error(res, r->no, "login", "ログイン ID が空です");
	else if (!office_login_valid(login))
		add_error(res, r->no, "login", "ログイン ID「%.64s」に使えない文字があるか、長すぎ"
			  "ます（英数字と . _ - の %d 文字以内、先頭は英数字）", login,
			  OFFICE_LOGIN_MAX);
	if (r->f[C_NAME][0] == '\0')
		add_error(res, r->no, "display_name", "氏名が空です");
	else if (!office_text_valid(r->f[C_NAME], OFFICE_NAME_MAX, NULL))
		add_error(res, r->no, "display_name", "氏名が長すぎるか（%d 文字以内）、制御文字が"
			  "含まれています", OFFICE_NAME_MAX);
	if ((r->role = office_role_parse(r->f[C_ROLE])) == NULL)
		add_error(res, r->no, "role", "権限「%.40s」は使えません（admin / clerk / auditor、"
			  "または 管理者 / 業務担当者 / 監査者）", r->f[C_ROLE]);
	if (email[0] != '\0' && (strlen(email) > OFFICE_EMAIL_MAX || !mail_address_valid(email)))
		add_error(res, r->no, "email", "メールアドレスの形式が正しくありません");
	/* The departments field is ours to cut up: it points into the buffer. */
	for (d = strtok_r((char *)r->f[C_DEPTS], ";", &save); d;
	     d = strtok_r(NULL, ";", &save)) {
		d = trim(d);
		if (*d == '\0')
			continue;
		if (!office_text_valid(d, OFFICE_DEPT_NAME_MAX, NULL)) {
			add_error(res, r->no, "departments", "部署名「%.64s」が長すぎるか（%d 文字以内）、"
				  "制御文字が含まれています", d, OFFICE_DEPT_NAME_MAX);
			continue;
		}
		if (r->ndepts == STAFF_CSV_MAX_DEPTS) {
			add_error(res, r->no, "departments", "所属が多すぎます（%d 部署まで）",
				  STAFF_CSV_MAX_DEPTS);
			break;
		}
		r->depts[r->ndepts++] = d;
	}
}

static int
by_login(const void *a, const void *b)
{
	const struct row *x = *(const struct row *const *)a, *y = *(const struct row *const *)b;
	int c = strcmp(x->f[C_LOGIN], y->f[C_LOGIN]);

	return c ? c : (x->no < y->no ? -1 : 1);
}

static void
check_duplicates(struct row *rows, size_t n, struct staff_csv_result *res)
{
	struct row **v = malloc(n * sizeof *v);

	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = &rows[i];
	qsort(v, n, sizeof *v, by_login);
	for (size_t i = 1; i < n; i++)
		if (v[i]->f[C_LOGIN][0] && strcmp(v[i]->f[C_LOGIN], v[i - 1]->f[C_LOGIN]) == 0)
			add_error(res, v[i]->no, "login", "ログイン ID「%s」は %zu 行目と重複して"
				  "います", v[i]->f[C_LOGIN], v[i - 1]->no);
	free(v);
}

static int
check_existing(struct db *db, struct row *rows, size_t n, struct staff_csv_result *res,
	       char *err, size_t errlen)
{
	sqlite3_stmt *st;

	for (size_t i = 0; i < n; i++) {
		int rc;

		if ((st = db_stmt(db, "SELECT 1 FROM staff WHERE login = ?1")) == NULL)
			goto dberr;
		sqlite3_bind_text(st, 1, rows[i].f[C_LOGIN], -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc == SQLITE_ROW)
			add_error(res, rows[i].no, "login", "ログイン ID「%s」は既に登録されて"
				  "います", rows[i].f[C_LOGIN]);
		else if (rc != SQLITE_DONE)
			goto dberr;
	}
	return 0;
dberr:
	snprintf(err, errlen, "staff import: %s", db_errmsg(db));
	return -1;
}

int
staff_setup_code(char *code, char hash[65])
{
	uint8_t h[CRYPTO_SHA256_LEN];

	if (password_generate(code, STAFF_SETUP_CODE_LEN + 1, STAFF_SETUP_CODE_LEN) != 0)
		return -1;
	crypto_sha256(code, STAFF_SETUP_CODE_LEN, h);
	crypto_hex(h, sizeof h, hash);
	return 0;
}

/* The id of department name, created if missing (*created counts it). -1 on error. */
static int64_t
department_id(struct db *db, const char *name, const char *at, size_t *created)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id FROM departments WHERE name = ?1");
	int64_t id = -1;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return id;
	if (rc != SQLITE_DONE)
		return -1;
	if ((st = db_stmt(db, "INSERT INTO departments (name, created_at) VALUES (?1, ?2)")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	(*created)++;
	return sqlite3_last_insert_rowid(db_handle(db));
}

static int
write_row(struct db *db, const struct row *r, const char *at, time_t expires,
	  const char *actor, const char *remote, time_t now, struct staff_csv_result *res,
	  char *err, size_t errlen)
{
	char code[STAFF_SETUP_CODE_LEN + 1], hash[65], exp[TIMEFMT_LEN];
	sqlite3_stmt *st;
	int64_t staff_id;
	json_t *detail, *dnames;
	int rc;

	if (staff_setup_code(code, hash) != 0) {
		snprintf(err, errlen, "staff import: no randomness");
		return -1;
	}
	st = db_stmt(db, "INSERT INTO staff (login, display_name, role, password_hash,"
			 " must_change_password, password_changed_at, created_at, email,"
			 " setup_code_hash, setup_expires_at)"
			 " VALUES (?1, ?2, ?3, '', 1, ?4, ?4, ?5, ?6, ?7)");
	if (st == NULL)
		goto dberr;
	sqlite3_bind_text(st, 1, r->f[C_LOGIN], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->f[C_NAME], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->f[C_EMAIL], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)expires);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto dberr;
	staff_id = sqlite3_last_insert_rowid(db_handle(db));
	dnames = json_array();
	for (size_t i = 0; i < r->ndepts; i++) {
		int64_t did = department_id(db, r->depts[i], at, &res->departments_created);

		if (did < 0 ||
		    (st = db_stmt(db, "INSERT OR IGNORE INTO staff_departments (staff_id,"
				      " department_id) VALUES (?1, ?2)")) == NULL) {
			json_decref(dnames);
			goto dberr;
		}
		sqlite3_bind_int64(st, 1, staff_id);
		sqlite3_bind_int64(st, 2, did);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			json_decref(dnames);
			goto dberr;
		}
		json_array_append_new(dnames, json_string(r->depts[i]));
	}
	detail = json_pack("{s:s,s:o,s:s}", "role", r->role, "departments", dnames,
			   "via", "csv");
	{
		char target[OFFICE_LOGIN_MAX + 8];

		snprintf(target, sizeof target, "staff:%s", r->f[C_LOGIN]);
		rc = audit_log_append(db, actor, "staff.create", target, remote, detail, now,
				      err, errlen);
	}
	json_decref(detail);
	if (rc != 0)
		return -1;
	timefmt_jst_rfc3339(expires, exp);
	json_array_append_new(res->accounts,
			      json_pack("{s:s,s:s,s:s,s:s}", "login", r->f[C_LOGIN],
					"display_name", r->f[C_NAME], "setup_code", code,
					"setup_expires_at", exp));
	explicit_bzero(code, sizeof code);
	res->created++;
	return 0;
dberr:
	snprintf(err, errlen, "staff import row %zu: %s", r->no, db_errmsg(db));
	return -1;
}

int
staff_csv_import(struct db *db, const char *buf, size_t len, time_t now,
		 unsigned setup_ttl_s, const char *actor, const char *remote,
		 struct staff_csv_result *res, char *err, size_t errlen)
{
	char *text = NULL, *fields[CSVIO_MAX_FIELDS], reason[300], at[TIMEFMT_LEN];
	struct csvio_reader rd;
	struct row *rows = NULL;
	size_t tlen, n, nrows = 0, cap = 0;
	int idx[C_N], rc, out = -1;
	uint8_t fh[CRYPTO_SHA256_LEN];
	char fhex[65];

	memset(res, 0, sizeof *res);
	res->errors = json_array();
	res->accounts = json_array();
	if (res->errors == NULL || res->accounts == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (csvio_to_utf8(buf, len, &text, &tlen, &res->encoding, reason, sizeof reason) != 0) {
		add_error(res, 0, "", "%s", reason);
		return 1;
	}
	csvio_reader_init(&rd, text, tlen);
	rc = csvio_next(&rd, fields, CSVIO_MAX_FIELDS, &n, reason, sizeof reason);
	if (rc <= 0) {
		add_error(res, rd.record, "", "%s", rc == 0 ? "ファイルが空です（見出し行が"
			  "必要です）" : reason);
		out = 1;
		goto done;
	}
	if (header_map(fields, n, idx, res) != 0) {
		out = 1;
		goto done;
	}
	size_t ncols = n;
	while ((rc = csvio_next(&rd, fields, CSVIO_MAX_FIELDS, &n, reason, sizeof reason)) == 1) {
		struct row *r;

		if (nrows == STAFF_CSV_MAX_ROWS) {
			add_error(res, rd.record, "", "行が多すぎます（%d 行まで）。ファイルを分けて"
				  "ください", STAFF_CSV_MAX_ROWS);
			break;
		}
		if (n != ncols) {
			add_error(res, rd.record, "", "列の数が見出し行と違います（見出し %zu 列、"
				  "この行 %zu 列）", ncols, n);
			continue;
		}
		if (nrows == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct row *nr = realloc(rows, ncap * sizeof *rows);

			if (nr == NULL) {
				snprintf(err, errlen, "out of memory");
				goto done;
			}
			rows = nr;
			cap = ncap;
		}
		r = &rows[nrows++];
		memset(r, 0, sizeof *r);
		r->no = rd.record;
		for (int c = 0; c < C_N; c++)
			r->f[c] = idx[c] >= 0 ? trim(fields[idx[c]]) : "";
		check_row(r, res);
	}
	if (rc < 0)
		add_error(res, rd.record, "", "%s", reason);
	res->rows = nrows;
	if (nrows == 0 && res->nerrors == 0)
		add_error(res, 2, "", "データ行がありません");
	check_duplicates(rows, nrows, res);
	if (check_existing(db, rows, nrows, res, err, errlen) != 0)
		goto done;
	if (res->nerrors > 0) {
		out = 1;
		goto done;
	}

	/* Everything checked: write it all or nothing. */
	timefmt_utc(now, at);
	if (db_begin(db) != 0) {
		snprintf(err, errlen, "staff import: begin: %s", db_errmsg(db));
		goto done;
	}
	for (size_t i = 0; i < nrows; i++)
		if (write_row(db, &rows[i], at, now + (time_t)setup_ttl_s, actor, remote, now,
			      res, err, errlen) != 0) {
			db_rollback(db);
			json_array_clear(res->accounts);
			res->created = res->departments_created = 0;
			goto done;
		}
	crypto_sha256(buf, len, fh);
	crypto_hex(fh, sizeof fh, fhex);
	{
		json_t *d = json_pack("{s:I,s:I,s:s,s:s}", "accounts", (json_int_t)res->created,
				      "departments_created", (json_int_t)res->departments_created,
				      "file_sha256", fhex, "encoding",
				      csvio_encoding_name(res->encoding));

		rc = audit_log_append(db, actor, "staff.import", "staff", remote, d, now, err,
				      errlen);
		json_decref(d);
	}
	if (rc != 0 || db_commit(db) != 0) {
		if (rc == 0)
			snprintf(err, errlen, "staff import: commit: %s", db_errmsg(db));
		db_rollback(db);
		json_array_clear(res->accounts);
		res->created = res->departments_created = 0;
		goto done;
	}
	out = 0;
done:
	free(rows);
	if (text != NULL) {
		explicit_bzero(text, tlen);
		free(text);
	}
	return out;
}

void
staff_csv_result_free(struct staff_csv_result *res)
{
	json_decref(res->errors);
	json_decref(res->accounts);
	res->errors = res->accounts = NULL;
}

long
staff_csv_export(struct db *db, FILE *out, char *err, size_t errlen)
{
	static const char *const head[] = { "login", "display_name", "role", "departments",
					    "email", "last_login_at", "status" };
	sqlite3_stmt *st;
	long n = 0;
	int rc, bad = 0;

	bad |= fputs("\xEF\xBB\xBF", out) == EOF;
	for (size_t i = 0; i < 7; i++)
		bad |= csvio_write_field(out, head[i], i == 6, false);
	st = db_stmt(db, "SELECT s.login, s.display_name, s.role,"
			 " coalesce((SELECT group_concat(name, ';') FROM (SELECT d.name AS name"
			 "   FROM staff_departments sd JOIN departments d ON d.id = sd.department_id"
			 "   WHERE sd.staff_id = s.id ORDER BY d.name)), ''),"
			 " s.email, s.last_login_at, s.disabled, s.password_hash = ''"
			 " FROM staff s ORDER BY s.login");
	if (st == NULL) {
		snprintf(err, errlen, "staff export: %s", db_errmsg(db));
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char last[TIMEFMT_LEN] = "";
		const char *status;

		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			timefmt_jst_rfc3339((time_t)sqlite3_column_int64(st, 5), last);
		status = sqlite3_column_int(st, 6) ? "disabled"
			 : sqlite3_column_int(st, 7) ? "setup_pending" : "active";
		for (int c = 0; c < 5; c++)
			bad |= csvio_write_field(out, (const char *)sqlite3_column_text(st, c),
						 false, true);
		bad |= csvio_write_field(out, last, false, false);
		bad |= csvio_write_field(out, status, true, false);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "staff export: %s", db_errmsg(db));
		return -1;
	}
	if (bad) {
		snprintf(err, errlen, "staff export: write error");
		return -1;
	}
	return n;
}
