/*
 * applications.c — the submission path and the status look-up.
 *
 * Work is ordered so that nothing slow happens while others wait: the procedure is
 * read and the answers validated without holding the database, the password is
 * hashed (Argon2id, tens of milliseconds) before the commit, the sanitizer is asked
 * for file verdicts before the commit, and the commit itself runs as one job of the
 * tenant's group committer that only does SQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "applications.h"
#include "catalogue.h"
#include "crypto.h"
#include "drafts.h"
#include "form.h"
#include "jsonio.h"
#include "log.h"
#include "notify.h"
#include "password.h"
#include "replies.h"
#include "reply.h"
#include "proccache.h"
#include "proxyrep.h"
#include "timefmt.h"
#include "uploads.h"

#define MAX_FILES_PER_APPLICATION 32
#define MAX_QUOTA_CHOICES         64

static const struct { const char *code, *label; } status_labels[] = {
	{ "arrived", "到達" }, { "accepted", "受付" }, { "review", "審査中" },
	{ "correction", "補正依頼" }, { "held", "保留" }, { "returned", "差戻し" },
	{ "result", "結果通知" }, { "completed", "完了" }, { "rejected", "却下" },
	{ "document", "交付文書" },	/* an event, never a status (documents.h) */
};

const char *
applications_status_label(const char *status)
{
	size_t i;

	for (i = 0; i < sizeof status_labels / sizeof status_labels[0]; i++)
		if (strcmp(status, status_labels[i].code) == 0)
			return status_labels[i].label;
	return status;
}

int
applications_receipt_valid(const char *s)
{
	size_t i;

	if (s != NULL && strncmp(s, APPLICATION_TEST_PREFIX, strlen(APPLICATION_TEST_PREFIX)) == 0)
		s += strlen(APPLICATION_TEST_PREFIX);
	if (s == NULL || strlen(s) != 15 || s[8] != '-')
		return 0;
	for (i = 0; i < 15; i++)
		if (i != 8 && (s[i] < '0' || s[i] > '9'))
			return 0;
	return 1;
}

int
applications_idem_key_valid(const char *k)
{
	size_t i;

	if (k == NULL || k[0] == '\0')
		return 0;
	for (i = 0; k[i]; i++)
		if (i >= APPLICATION_IDEM_KEY_MAX || k[i] < 0x21 || k[i] > 0x7e)
			return 0;
	return 1;
}

/* --- quotas (到達制限) -------------------------------------------------------- */

struct quota_choice {
	char path[FORM_PATH_MAX];
	char value[FORM_OPTION_VALUE_MAX * 4 + 1];
	long long quota;
};

struct quota_ctx {
	struct portal_tenant *pt;
	const char *procedure;
	json_t *options;		/* form_quota_options */
	struct quota_choice choice[MAX_QUOTA_CHOICES];
	size_t n;
	bool overflow;
};

static long long
quota_of(const json_t *options, const char *path, const char *value)
{
	const json_t *o;
	size_t i;

	json_array_foreach(options, i, o)
		if (strcmp(jsonio_str(o, "path", ""), path) == 0 &&
		    strcmp(jsonio_str(o, "value", ""), value) == 0)
			return json_integer_value(json_object_get(o, "quota"));
	return -1;
}

static bool
option_full(void *arg, const char *path, const char *value)
{
	struct quota_ctx *q = arg;
	long long quota = quota_of(q->options, path, value), used = 0;
	sqlite3_stmt *st;

	if (quota < 0)
		return false;
	pthread_mutex_lock(&q->pt->t->lock);
	st = db_stmt(q->pt->t->db, "SELECT n FROM quota_counts WHERE procedure_id = ? "
				   "AND field = ? AND value = ?");
	if (st != NULL) {
		sqlite3_bind_text(st, 1, q->procedure, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			used = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	pthread_mutex_unlock(&q->pt->t->lock);
	return used >= quota;
}

static int
collect_quota_choice(void *arg, const char *path, const char *value)
{
	struct quota_ctx *q = arg;
	struct quota_choice *c;

	if (q->n >= MAX_QUOTA_CHOICES) {
		q->overflow = true;
		return 1;
	}
	c = &q->choice[q->n++];
	snprintf(c->path, sizeof c->path, "%s", path);
	snprintf(c->value, sizeof c->value, "%s", value);
	c->quota = quota_of(q->options, path, value);
	return 0;
}

/* --- files ------------------------------------------------------------------ */

struct file_ctx {
	struct portald *p;
	struct portal_tenant *pt;
	const struct form_schema *schema;
	const json_t *sanitizer;	/* the definition's own sanitizer policy, or NULL */
	json_t *files;			/* [{"upload", "field", "display_name"}] */
	json_t *errors;			/* {path: message} */
	bool unavailable;
};

static int
check_file(void *arg, const char *path, const char *schema_path, const char *upload_id)
{
	struct file_ctx *f = arg;
	struct form_file_limits lim;
	struct upload_verdict v;
	json_t *accept = json_array();
	const char *msg = NULL;
	char err[256];
	int rc;

	if (json_array_size(f->files) >= MAX_FILES_PER_APPLICATION) {
		json_object_set_new(f->errors, path, json_string("添付ファイルが多すぎます。"));
		json_decref(accept);
		return 1;
	}
	if (form_file_limits(f->schema, schema_path, &lim) == 0) {
		if (lim.accept & FORM_ACCEPT_PDF)
			json_array_append_new(accept, json_string("pdf"));
		if (lim.accept & FORM_ACCEPT_IMAGE)
			json_array_append_new(accept, json_string("image"));
		if (lim.accept & FORM_ACCEPT_OFFICE)
			json_array_append_new(accept, json_string("office"));
		if (lim.accept & FORM_ACCEPT_TEXT)
			json_array_append_new(accept, json_string("text"));
	}
	rc = uploads_verdict(f->p, f->pt, upload_id, accept, &v, err, sizeof err);
	json_decref(accept);
	if (rc < 0) {
		log_warn("submission: upload %s: %s", upload_id, err);
		f->unavailable = true;
		return 1;
	}
	if (rc == 1)
		msg = "添付ファイルが見つかりません。もう一度添付してください。";
	else if (strcmp(v.state, "pending") == 0)
		msg = "添付ファイルの無害化処理が終わっていません。処理が終わるまでお待ちください。";
	else if (strcmp(v.state, "rejected") == 0)
		msg = v.message[0] ? v.message : "この添付ファイルは受け付けられませんでした。";
	/* A zip sanitized while an earlier version allowed archives: the sanitizer would
	 * refuse to sign it into this version's bundle (assemble.h), after our 201. */
	else if (strcmp(v.type, "zip") == 0 && json_is_object(f->sanitizer) &&
		 !json_is_true(json_object_get(f->sanitizer, "allow_archives")))
		msg = "この手続では zip ファイルは添付できません。中のファイルをそれぞれ添付してください。";
	if (msg != NULL) {
		if (json_object_get(f->errors, path) == NULL)
			json_object_set_new(f->errors, path, json_string(msg));
		return 0;	/* go on: report every file at once */
	}
	json_array_append_new(f->files, json_pack("{s:s,s:s,s:s}", "upload", upload_id,
						   "field", path, "display_name",
						   v.display_name));
	return 0;
}

/* The representative's 委任状: paths "proxy.attorney", limits from its own schema. */
static int
check_proxy_file(void *arg, const char *path, const char *schema_path, const char *upload_id)
{
	char full[FORM_PATH_MAX + 8];

	snprintf(full, sizeof full, "proxy.%s", path);
	return check_file(arg, full, schema_path, upload_id);
}

/* --- the commit --------------------------------------------------------------- */

enum submit_outcome {
	SUBMIT_NEW = 0,
	SUBMIT_REPLAY = 2,	/* same Idempotency-Key, same request */
	SUBMIT_CONFLICT = 3,	/* same key, another request */
	SUBMIT_QUOTA = 4,	/* an option filled up meanwhile */
	SUBMIT_DUPLICATE = 5,	/* the applicant already applied */
	SUBMIT_DBERR = 6,
};

struct submit_job {
	/* in */
	const char *procedure;
	long long version;
	const char *answers, *files, *password_hash, *applicant_key;
	const char *proxy;		/* proxyrep normal form, or NULL */
	const char *draft_id;		/* the draft this finishes, or NULL */
	int64_t account_id;		/* 0: made without an account */
	const char *idem_key, *request_sha;
	time_t now;
	const struct quota_ctx *quotas;
	const struct portald *p;	/* for the 到達 email */
	const char *tenant;
	const json_t *def, *normalised;
	/* out */
	char receipt_no[APPLICATION_RECEIPT_MAX + 1];
	time_t submitted_at;
	const struct quota_choice *full;
	int outcome;
};

static int
submit_in_tx(struct db *db, void *arg)
{
	struct submit_job *j = arg;
	char day[TIMEFMT_LEN];
	sqlite3_stmt *st;
	long long seq = 0;
	size_t i;

	st = db_stmt(db, "SELECT i.request_sha256, i.receipt_no, a.submitted_at "
			 "FROM idempotency i JOIN applications a ON a.receipt_no = i.receipt_no "
			 "WHERE i.key = ?");
	if (st == NULL)
		return j->outcome = SUBMIT_DBERR;
	sqlite3_bind_text(st, 1, j->idem_key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		j->outcome = strcmp((const char *)sqlite3_column_text(st, 0), j->request_sha) == 0
				     ? SUBMIT_REPLAY : SUBMIT_CONFLICT;
		snprintf(j->receipt_no, sizeof j->receipt_no, "%s", sqlite3_column_text(st, 1));
		j->submitted_at = (time_t)sqlite3_column_int64(st, 2);
		sqlite3_reset(st);
		return j->outcome;	/* nothing written: rolled back to the savepoint */
	}
	sqlite3_reset(st);

	if (j->applicant_key != NULL) {
		st = db_stmt(db, "SELECT 1 FROM applications WHERE procedure_id = ? AND "
				 "applicant_key = ? LIMIT 1");
		if (st == NULL)
			return j->outcome = SUBMIT_DBERR;
		sqlite3_bind_text(st, 1, j->procedure, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, j->applicant_key, -1, SQLITE_STATIC);
		i = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		if (i)
			return j->outcome = SUBMIT_DUPLICATE;
	}

	/* Count each quota-bearing choice; a count already at its quota is not raised. */
	for (i = 0; i < j->quotas->n; i++) {
		const struct quota_choice *c = &j->quotas->choice[i];

		if (c->quota < 0)
			continue;
		st = db_stmt(db, "INSERT INTO quota_counts (procedure_id, field, value, n) "
				 "VALUES (?1, ?2, ?3, 1) ON CONFLICT DO UPDATE SET n = n + 1 "
				 "WHERE n < ?4");
		if (st == NULL)
			return j->outcome = SUBMIT_DBERR;
		sqlite3_bind_text(st, 1, j->procedure, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, c->path, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, c->value, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, c->quota);
		if (db_step_done(st) != 0)
			return j->outcome = SUBMIT_DBERR;
		if (sqlite3_changes(db_handle(db)) == 0 || c->quota == 0) {
			j->full = c;
			return j->outcome = SUBMIT_QUOTA;
		}
	}

	/* A test version counts on its own row ("T-" and the day), so its applications
	 * never use up a real 到達番号. */
	timefmt_jst_day(j->now, day);
	if (catalogue_is_test(j->def)) {
		memmove(day + strlen(APPLICATION_TEST_PREFIX), day, strlen(day) + 1);
		memcpy(day, APPLICATION_TEST_PREFIX, strlen(APPLICATION_TEST_PREFIX));
	}
	st = db_stmt(db, "INSERT INTO receipt_seq (day, n) VALUES (?, 1) "
			 "ON CONFLICT (day) DO UPDATE SET n = n + 1 RETURNING n");
	if (st == NULL)
		return j->outcome = SUBMIT_DBERR;
	sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		seq = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (seq <= 0 || seq > 999999)
		return j->outcome = SUBMIT_DBERR;	/* a million in a day: refuse, not wrap */
	snprintf(j->receipt_no, sizeof j->receipt_no, "%s-%06lld", day, seq);
	j->submitted_at = j->now;

	st = db_stmt(db, "INSERT INTO applications (receipt_no, procedure_id, procedure_version, "
			 "answers, files, status, password_hash, applicant_key, submitted_at, "
			 "account_id, proxy) VALUES (?, ?, ?, ?, ?, 'arrived', ?, ?, ?, ?, ?)");
	if (st == NULL)
		return j->outcome = SUBMIT_DBERR;
	sqlite3_bind_text(st, 1, j->receipt_no, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, j->procedure, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, j->version);
	sqlite3_bind_text(st, 4, j->answers, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, j->files, -1, SQLITE_STATIC);
	if (j->password_hash)
		sqlite3_bind_text(st, 6, j->password_hash, -1, SQLITE_STATIC);
	if (j->applicant_key)
		sqlite3_bind_text(st, 7, j->applicant_key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)j->now);
	if (j->account_id != 0)
		sqlite3_bind_int64(st, 9, j->account_id);
	if (j->proxy)
		sqlite3_bind_text(st, 10, j->proxy, -1, SQLITE_STATIC);
	if (db_step_done(st) != 0)
		return j->outcome = SUBMIT_DBERR;
	/* The draft it finishes (一時保存) is spent with it. */
	if (drafts_delete_submitted(db, j->draft_id, j->account_id, j->procedure) != 0)
		return j->outcome = SUBMIT_DBERR;

	st = db_stmt(db, "INSERT INTO application_events (receipt_no, status, at, source) "
			 "VALUES (?, 'arrived', ?, 'portal')");
	if (st == NULL)
		return j->outcome = SUBMIT_DBERR;
	sqlite3_bind_text(st, 1, j->receipt_no, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)j->now);
	if (db_step_done(st) != 0)
		return j->outcome = SUBMIT_DBERR;
	{
		struct notify_event ev = { j->tenant, j->receipt_no, "arrived", NULL, j->now };

		if (notify_enqueue(db, j->p, j->def, j->normalised, &ev) != 0)
			return j->outcome = SUBMIT_DBERR;
	}

	st = db_stmt(db, "INSERT INTO idempotency (key, request_sha256, receipt_no, created_at) "
			 "VALUES (?, ?, ?, ?)");
	if (st == NULL)
		return j->outcome = SUBMIT_DBERR;
	sqlite3_bind_text(st, 1, j->idem_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, j->request_sha, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, j->receipt_no, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)j->now);
	if (db_step_done(st) != 0)
		return j->outcome = SUBMIT_DBERR;
	return j->outcome = SUBMIT_NEW;
}

/* --- the handler -------------------------------------------------------------- */

static void
reply_invalid(struct http_request *req, json_t *errors)
{
	json_t *body = json_pack("{s:{s:s,s:s},s:o,s:o}", "error", "code", "validation",
				 "message", "入力内容に誤りがあります。各項目のメッセージをご確認ください。",
				 "errors", json_incref(errors), "error_list", form_errors_list(errors));

	json_decref(errors);
	http_reply_json(req, 422, body);
}

/* answers with uploads merged in: {"field": [ids]} at the top level. */
static json_t *
merge_uploads(const json_t *answers, const json_t *uploads)
{
	json_t *m = answers ? json_deep_copy(answers) : json_object();
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)uploads, k, v)
		json_object_set(m, k, v);
	return m;
}

static void
request_hash(const char *procedure, const char *answers, const char *files,
	     const char *proxy, const char *password, char out[65])
{
	struct crypto_sha256_ctx *c = crypto_sha256_begin();
	uint8_t pw[32], h[32];

	crypto_sha256(password ? password : "", password ? strlen(password) : 0, pw);
	crypto_sha256_update(c, procedure, strlen(procedure) + 1);
	crypto_sha256_update(c, answers, strlen(answers) + 1);
	crypto_sha256_update(c, files, strlen(files) + 1);
	crypto_sha256_update(c, proxy ? proxy : "", proxy ? strlen(proxy) + 1 : 0);
	crypto_sha256_update(c, pw, sizeof pw);
	crypto_sha256_end(c, h);
	crypto_hex(h, sizeof h, out);
}

static void
today_jst(time_t now, struct form_context *ctx)
{
	time_t t = now + TIMEFMT_JST_OFFSET;
	struct tm tm;

	gmtime_r(&t, &tm);
	ctx->today_y = tm.tm_year + 1900;
	ctx->today_m = tm.tm_mon + 1;
	ctx->today_d = tm.tm_mday;
}

void
applications_handle_submit(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = portal_tenant(p, http_req_param(req, "tenant"));
	const char *proc_id = http_req_param(req, "id");
	const char *idem = http_req_header(req, "Idempotency-Key");
	const json_t *answers, *uploads, *pw, *proxy_in, *attorney, *draft;
	const char *password = NULL;
	struct portal_actor actor = { 0 };
	struct form_schema *pschema = NULL;
	json_t *proxy_full = NULL, *proxy_norm = NULL, *proxy_errs = NULL;
	char *proxy_text = NULL, akey[40];
	const struct form_schema *schema = NULL;
	struct proc_entry *pe = NULL;
	struct form_context fctx = { 0 };
	struct quota_ctx qctx = { 0 };
	struct file_ctx fc = { 0 };
	struct submit_job job = { 0 };
	const json_t *def = NULL;
	json_t *body, *merged = NULL, *normalised = NULL, *errors = NULL;
	char *answers_text = NULL, *files_text = NULL, msg[256], sha[65];
	char hash[PASSWORD_HASH_LEN];
	long long version = 0;
	time_t now = time(NULL);
	int rc;

	if (pt == NULL) {
		http_reply_error(req, 404, "unknown_tenant", "指定された自治体は見つかりません。");
		return;
	}
	if (!accounts_rate_take(p->submit_rl, req))
		return;
	if (!applications_idem_key_valid(idem)) {
		http_reply_error(req, 400, "idempotency_key_required",
				 "Idempotency-Key ヘッダ (1〜128 文字の英数記号) が必要です。");
		return;
	}
	if ((body = http_req_json(req)) == NULL)
		return;
	answers = json_object_get(body, "answers");
	uploads = json_object_get(body, "uploads");
	pw = json_object_get(body, "status_password");
	proxy_in = json_object_get(body, "proxy");
	attorney = json_object_get(body, "proxy_attorney");
	draft = json_object_get(body, "draft_id");
	if (!json_is_object(body) || (answers && !json_is_object(answers)) ||
	    (uploads && !json_is_object(uploads)) || (pw && !json_is_string(pw) && !json_is_null(pw)) ||
	    (proxy_in && !json_is_object(proxy_in) && !json_is_null(proxy_in)) ||
	    (attorney && !json_is_array(attorney) && !json_is_null(attorney)) ||
	    (draft && !json_is_string(draft) && !json_is_null(draft))) {
		http_reply_error(req, 400, "bad_request",
				 "申請データの形式が正しくありません (answers, uploads, proxy はオブジェクト、proxy_attorney は配列)。");
		return;
	}
	password = json_is_string(pw) ? json_string_value(pw) : NULL;

	if ((pe = proccache_get(&pt->procs, pt->t, proc_id)) == NULL) {
		http_reply_error(req, 404, "unknown_procedure", "指定された手続は見つかりません。");
		return;
	}
	def = pe->def;
	schema = pe->schema;
	version = pe->version;
	if (json_is_true(json_object_get(def, "info_only"))) {
		http_reply_error(req, 409, "info_only",
				 "この手続はご案内のみで、オンラインでの申請は受け付けていません。");
		goto out;
	}
	if (catalogue_reception(def, now, msg, sizeof msg) != CATALOGUE_OPEN) {
		http_reply_error(req, 409, "not_open", msg);
		goto out;
	}
	/* A session is optional unless the procedure needs an account; one that is
	 * there must come with its CSRF token (accounts_session replies 403). */
	if (accounts_session(p, pt, req, false, &actor) < 0)
		goto out;
	if (strcmp(jsonio_str(def, "identity", "none"), "none") != 0 && actor.account_id == 0) {
		http_reply_error(req, 401, "login_required",
				 "この手続の申請にはログインが必要です。ログインしてからお申し込みください。");
		goto out;
	}
	if (schema == NULL) {
		http_reply_error(req, 409, "info_only",
				 "この手続はご案内のみで、オンラインでの申請は受け付けていません。");
		goto out;
	}

	merged = merge_uploads(answers, uploads);
	qctx.pt = pt;
	qctx.procedure = proc_id;
	qctx.options = form_quota_options(schema);
	today_jst(now, &fctx);
	fctx.option_full = option_full;
	fctx.arg = &qctx;
	rc = form_validate(schema, merged, &fctx, &normalised, &errors);
	if (rc < 0) {
		http_reply_error(req, 500, "internal", "一時的な問題が発生しました。もう一度お試しください。");
		goto out;
	}
	if (password != NULL && (strlen(password) < APPLICATION_PASSWORD_MIN ||
				 strlen(password) > 128)) {
		if (errors == NULL)
			errors = json_object();
		json_object_set_new(errors, "status_password",
				    json_string("照会用パスワードは8文字以上128文字以内で入力してください。"));
	}
	/* The representative of a proxy application (代理申請), beside the answers. */
	if (proxy_in != NULL && !json_is_null(proxy_in)) {
		char perr[256];
		int prc;

		proxy_full = json_deep_copy(proxy_in);
		if (attorney != NULL && !json_is_null(attorney))
			json_object_set(proxy_full, "attorney", (json_t *)attorney);
		prc = proxyrep_check(json_object_get(def, "proxy"), proxy_full, &proxy_norm,
				     &proxy_errs, perr, sizeof perr);
		if (prc < 0) {
			log_err("submission: %s", perr);
			http_reply_error(req, 500, "internal", "一時的な問題が発生しました。もう一度お試しください。");
			goto out;
		}
		if (prc == 1) {
			const char *k;
			json_t *v;

			if (errors == NULL)
				errors = json_object();
			json_object_foreach(proxy_errs, k, v)
				json_object_set(errors, k, v);
		}
	} else if (attorney != NULL && json_array_size(attorney) > 0) {
		if (errors == NULL)
			errors = json_object();
		json_object_set_new(errors, "proxy", json_string("委任状は代理申請のときだけ添付できます。"));
	}
	if (rc == 0) {
		fc.p = p;
		fc.pt = pt;
		fc.schema = schema;
		fc.sanitizer = json_object_get(def, "sanitizer");
		fc.files = json_array();
		fc.errors = errors ? errors : json_object();
		errors = fc.errors;
		form_walk_files(schema, normalised, check_file, &fc);
		if (proxy_norm != NULL && !fc.unavailable) {
			char perr[256];

			if (proxyrep_schema(json_is_true(json_object_get(json_object_get(def, "proxy"),
									  "attorney_required")),
					    &pschema, perr, sizeof perr) != 0) {
				log_err("submission: %s", perr);
				http_reply_error(req, 500, "internal", "一時的な問題が発生しました。もう一度お試しください。");
				goto out;
			}
			fc.schema = pschema;
			form_walk_files(pschema, proxy_norm, check_proxy_file, &fc);
			fc.schema = schema;
		}
		if (fc.unavailable) {
			http_reply_error(req, 503, "unavailable",
					 "添付ファイルの確認ができませんでした。しばらくしてからもう一度お試しください。");
			goto out;
		}
	}
	if (errors != NULL && json_object_size(errors) > 0) {
		reply_invalid(req, errors);
		errors = NULL;
		goto out;
	}
	form_walk_quota_choices(schema, normalised, collect_quota_choice, &qctx);
	if (qctx.overflow) {
		http_reply_error(req, 422, "too_many_choices", "選択された項目が多すぎます。");
		goto out;
	}

	answers_text = jsonio_dump_canonical(normalised, &(size_t){ 0 });
	files_text = jsonio_dump_canonical(fc.files, &(size_t){ 0 });
	if (answers_text == NULL || files_text == NULL ||
	    strlen(answers_text) > APPLICATION_ANSWERS_MAX) {
		http_reply_error(req, 413, "too_large", "申請内容が大きすぎます。");
		goto out;
	}
	if (proxy_norm != NULL &&
	    (proxy_text = jsonio_dump_canonical(proxy_norm, &(size_t){ 0 })) == NULL) {
		http_reply_error(req, 500, "internal", "一時的な問題が発生しました。もう一度お試しください。");
		goto out;
	}
	request_hash(proc_id, answers_text, files_text, proxy_text, password, sha);
	if (password != NULL && password_hash(password, hash) != 0) {
		http_reply_error(req, 500, "internal", "一時的な問題が発生しました。もう一度お試しください。");
		goto out;
	}

	job.procedure = proc_id;
	job.version = version;
	job.answers = answers_text;
	job.files = files_text;
	job.password_hash = password ? hash : NULL;
	job.account_id = actor.account_id;
	job.proxy = proxy_text;
	job.draft_id = json_is_string(draft) ? json_string_value(draft) : NULL;
	/* 重複申請の制限 by account: the job refuses a second application with this key. */
	if (actor.account_id != 0 &&
	    strcmp(jsonio_str(def, "duplicate_rule", "none"), "account") == 0) {
		snprintf(akey, sizeof akey, "account:%lld", (long long)actor.account_id);
		job.applicant_key = akey;
	}
	job.idem_key = idem;
	job.request_sha = sha;
	job.now = now;
	job.quotas = &qctx;
	job.p = p;
	job.tenant = pt->t->name;
	job.def = def;
	job.normalised = normalised;
	rc = groupcommit_run(&pt->gc, submit_in_tx, &job);
	switch (rc == GROUPCOMMIT_EDB ? SUBMIT_DBERR : job.outcome) {
	case SUBMIT_NEW:
		portal_kick_forwarder(p);
		log_info("application %s for %s (tenant %s) arrived", job.receipt_no, proc_id,
			 pt->t->name);
		/* fall through */
	case SUBMIT_REPLAY: {
		char when[TIMEFMT_LEN];

		timefmt_jst_rfc3339(job.submitted_at, when);
		http_reply_json(req, 201, json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s}}",
						    "receipt_no", job.receipt_no,
						    "status", "arrived", "status_label", "到達",
						    "submitted_at", when, "procedure",
						    "id", proc_id, "title",
						    jsonio_str(def, "title", "")));
		break;
	}
	case SUBMIT_CONFLICT:
		http_reply_error(req, 409, "idempotency_conflict",
				 "同じ Idempotency-Key で別の内容が送信されました。");
		break;
	case SUBMIT_QUOTA:
		errors = json_object();
		json_object_set_new(errors, job.full->path,
				    json_string("選択された項目は定員に達したため、受付を終了しました。別の項目を選んでください。"));
		reply_invalid(req, errors);
		errors = NULL;
		break;
	case SUBMIT_DUPLICATE:
		http_reply_error(req, 409, "duplicate_applicant",
				 "この手続には、すでにお申し込みいただいています。");
		break;
	default:
		log_err("application for %s (tenant %s): commit failed: %s", proc_id, pt->t->name,
			db_errmsg(pt->t->db));
		http_reply_error(req, 503, "unavailable",
				 "一時的な問題により申請を受け付けられませんでした。もう一度送信してください (二重に申請されることはありません)。");
	}
out:
	explicit_bzero(actor.token, sizeof actor.token);
	free(answers_text);
	free(files_text);
	free(proxy_text);
	json_decref(proxy_full);
	json_decref(proxy_norm);
	json_decref(proxy_errs);
	form_schema_free(pschema);
	json_decref(fc.files);
	json_decref(errors);
	json_decref(normalised);
	json_decref(merged);
	json_decref(qctx.options);
	proccache_put(pe);
}

/* --- status --------------------------------------------------------------------- */

#define MSG_STATUS_NOT_FOUND APPLICATIONS_MSG_NOT_FOUND
#define MY_APPLICATIONS_MAX  200

static void
fetch_application(struct portal_tenant *pt, const char *receipt, struct application_ref *r)
{
	sqlite3_stmt *st;

	memset(r, 0, sizeof *r);
	pthread_mutex_lock(&pt->t->lock);
	st = db_stmt(pt->t->db, "SELECT password_hash, procedure_id, procedure_version, status, "
				"submitted_at, coalesce(account_id, 0) FROM applications "
				"WHERE receipt_no = ?");
	if (st != NULL) {
		sqlite3_bind_text(st, 1, receipt, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			r->found = true;
			r->has_password = sqlite3_column_type(st, 0) != SQLITE_NULL;
			if (r->has_password)
				snprintf(r->stored, sizeof r->stored, "%s", sqlite3_column_text(st, 0));
			snprintf(r->proc, sizeof r->proc, "%s", sqlite3_column_text(st, 1));
			r->version = sqlite3_column_int64(st, 2);
			snprintf(r->status, sizeof r->status, "%s", sqlite3_column_text(st, 3));
			r->submitted = (time_t)sqlite3_column_int64(st, 4);
			r->account_id = sqlite3_column_int64(st, 5);
		}
		sqlite3_reset(st);
	}
	pthread_mutex_unlock(&pt->t->lock);
}

int
applications_authorize(struct portald *p, struct portal_tenant *pt, struct http_request *req,
		       const char *receipt, const char *password, struct application_ref *r)
{
	struct portal_actor actor;
	bool ok;

	memset(r, 0, sizeof *r);
	if (!applications_receipt_valid(receipt) || (password != NULL && strlen(password) > 128))
		return 0;
	if (password == NULL) {
		/* With the account session instead: only the account's own applications,
		 * and no Argon2 on either side of the answer. */
		int rc = accounts_session(p, pt, req, false, &actor);

		if (rc < 0)
			return -1;
		explicit_bzero(actor.token, sizeof actor.token);
		fetch_application(pt, receipt, r);
		ok = rc == 1 && r->found && r->account_id == actor.account_id;
	} else {
		fetch_application(pt, receipt, r);
		/* The same work whether or not the 到達番号 exists: no enumeration by timing. */
		ok = password_verify(password, r->has_password ? r->stored : p->dummy_password_hash) == 1 &&
		     r->has_password;
	}
	explicit_bzero(r->stored, sizeof r->stored);
	return ok ? 1 : 0;
}

void
applications_handle_status(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = portal_tenant(p, http_req_param(req, "tenant"));
	const char *receipt = http_req_param(req, "receipt_no");
	const char *password = http_req_query(req, "status_password");
	struct application_ref r;
	char when[TIMEFMT_LEN];
	sqlite3_stmt *st;
	json_t *history, *def;
	bool can_reply;
	int rc;

	if (password == NULL)
		password = http_req_header(req, "X-Status-Password");
	rc = pt ? applications_authorize(p, pt, req, receipt, password, &r) : 0;
	if (rc < 0)
		return;
	if (rc == 0) {
		http_reply_error(req, 404, "not_found", MSG_STATUS_NOT_FOUND);
		return;
	}

	history = json_array();
	pthread_mutex_lock(&pt->t->lock);
	st = db_stmt(pt->t->db, "SELECT status, message, at, kind, reply_invited FROM "
				"application_events WHERE receipt_no = ? ORDER BY id LIMIT 200");
	if (st != NULL) {
		sqlite3_bind_text(st, 1, receipt, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *s = (const char *)sqlite3_column_text(st, 0);
			const char *kind = (const char *)sqlite3_column_text(st, 3);

			timefmt_jst_rfc3339((time_t)sqlite3_column_int64(st, 2), when);
			/* A message or a reply is not a status change: labelled as what it
			 * is, with the status it was made in beside it. */
			json_array_append_new(history, json_pack("{s:s,s:s,s:s?,s:s,s:s,s:b}",
				"status", s, "label", strcmp(kind, "message") == 0 ? "お問い合わせ"
						      : strcmp(kind, "reply") == 0 ? "ご回答"
						      : applications_status_label(s),
				"message", (const char *)sqlite3_column_text(st, 1), "at", when,
				"kind", kind, "reply_invited", sqlite3_column_int(st, 4)));
		}
		sqlite3_reset(st);
	}
	can_reply = replies_open(pt->t->db, receipt, r.status) == 1;
	def = catalogue_get_version(pt->t->db, r.proc, r.version);
	pthread_mutex_unlock(&pt->t->lock);
	timefmt_jst_rfc3339(r.submitted, when);
	http_reply_header(req, "Cache-Control", "no-store");
	http_reply_json(req, 200, json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:o,s:b,s:{s:i,s:i}}",
		"receipt_no", receipt, "status", r.status,
		"status_label", applications_status_label(r.status), "submitted_at", when,
		"procedure", "id", r.proc, "title", jsonio_str(def, "title", ""),
		"history", history, "can_reply", can_reply,
		"reply_limits", "text_max", REPLY_TEXT_MAX, "files_max", REPLY_MAX_FILES));
	json_decref(def);
}

/* --- my applications --------------------------------------------------------------- */

void
applications_handle_mine(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = portal_tenant(p, http_req_param(req, "tenant"));
	struct portal_actor actor;
	char when[TIMEFMT_LEN];
	sqlite3_stmt *st;
	json_t *list;
	int rc = SQLITE_ERROR;

	if (pt == NULL) {
		http_reply_error(req, 404, "unknown_tenant", "指定された自治体は見つかりません。");
		return;
	}
	if (accounts_session(p, pt, req, true, &actor) != 1)
		return;
	explicit_bzero(actor.token, sizeof actor.token);
	list = json_array();
	pthread_mutex_lock(&pt->t->lock);
	st = db_stmt(pt->t->db, "SELECT a.receipt_no, a.procedure_id, coalesce(v.definition ->> "
				"'$.title', ''), a.status, a.submitted_at FROM applications a "
				"LEFT JOIN procedure_versions v ON v.id = a.procedure_id AND "
				"v.version = a.procedure_version WHERE a.account_id = ?1 "
				"ORDER BY a.submitted_at DESC, a.receipt_no DESC LIMIT ?2");
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, actor.account_id);
		sqlite3_bind_int(st, 2, MY_APPLICATIONS_MAX);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *status = (const char *)sqlite3_column_text(st, 3);

			timefmt_jst_rfc3339((time_t)sqlite3_column_int64(st, 4), when);
			json_array_append_new(list, json_pack("{s:s,s:{s:s,s:s},s:s,s:s,s:s}",
				"receipt_no", (const char *)sqlite3_column_text(st, 0),
				"procedure", "id", (const char *)sqlite3_column_text(st, 1),
				"title", (const char *)sqlite3_column_text(st, 2),
				"status", status, "status_label", applications_status_label(status),
				"submitted_at", when));
		}
		sqlite3_reset(st);
	}
	pthread_mutex_unlock(&pt->t->lock);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		log_err("tenant %s: my applications: %s", pt->t->name, db_errmsg(pt->t->db));
		http_reply_error(req, 500, "internal", "一時的な問題が発生しました。時間をおいてお試しください。");
		return;
	}
	http_reply_header(req, "Cache-Control", "no-store");
	http_reply_json(req, 200, json_pack("{s:o}", "applications", list));
}

/* --- pre-fill ------------------------------------------------------------------------ */

/* Profile keys and the top-level field names they fill (docs/citizen-guide.md). */
static const struct { const char *key, *fields[3]; } profile_map[] = {
	{ "name", { "name", "applicant_name", NULL } },
	{ "kana", { "name_kana", "kana", "applicant_kana" } },
	{ "birth_date", { "birth_date", NULL, NULL } },
	{ "postal_code", { "postal_code", NULL, NULL } },
	{ "address", { "address", NULL, NULL } },
	{ "tel", { "tel", "phone", NULL } },
	{ "email", { "email", NULL, NULL } },
};

/* The type of the top-level field name in the definition's schema, or NULL. */
static const char *
top_field_type(const json_t *def, const char *name)
{
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(def, "schema"), "fields"), i, f)
		if (strcmp(jsonio_str(f, "name", ""), name) == 0)
			return jsonio_str(f, "type", NULL);
	return NULL;
}

static bool
prefillable(const char *type)
{
	/* Files are sanitized per application, agreements are given each time, and
	 * groups hold files of their own. */
	return type != NULL && strcmp(type, "file") != 0 && strcmp(type, "agreement") != 0 &&
	       strcmp(type, "heading") != 0 && strcmp(type, "group") != 0;
}

void
applications_handle_prefill(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = portal_tenant(p, http_req_param(req, "tenant"));
	const char *proc_id = http_req_param(req, "id");
	struct portal_actor actor;
	struct proc_entry *pe;
	sqlite3_stmt *st;
	json_t *answers = json_object(), *sources = json_object(), *previous = json_null();
	json_t *profile, *prev = NULL;
	char when[TIMEFMT_LEN], err[64];
	const char *k;
	json_t *v;
	size_t i, n;

	if (pt == NULL) {
		http_reply_error(req, 404, "unknown_tenant", "指定された自治体は見つかりません。");
		goto out;
	}
	if (accounts_session(p, pt, req, true, &actor) != 1)
		goto out;
	explicit_bzero(actor.token, sizeof actor.token);
	if ((pe = proccache_get(&pt->procs, pt->t, proc_id)) == NULL || pe->schema == NULL) {
		proccache_put(pe);
		http_reply_error(req, 404, "unknown_procedure", "指定された手続は見つかりません。");
		goto out;
	}
	pthread_mutex_lock(&pt->t->lock);
	profile = accounts_profile(pt->t->db, actor.account_id);
	json_object_set_new(profile, "email", json_string(actor.email));
	st = db_stmt(pt->t->db, "SELECT receipt_no, answers, submitted_at FROM applications WHERE "
				"account_id = ?1 AND procedure_id = ?2 ORDER BY submitted_at DESC, "
				"receipt_no DESC LIMIT 1");
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, actor.account_id);
		sqlite3_bind_text(st, 2, proc_id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			prev = jsonio_parse((const char *)sqlite3_column_text(st, 1),
					    (size_t)sqlite3_column_bytes(st, 1), APPLICATION_ANSWERS_MAX,
					    JSONIO_MAX_DEPTH, err, sizeof err);
			timefmt_jst_rfc3339((time_t)sqlite3_column_int64(st, 2), when);
			json_decref(previous);
			previous = json_pack("{s:s,s:s}", "receipt_no",
					     (const char *)sqlite3_column_text(st, 0), "submitted_at", when);
		}
		sqlite3_reset(st);
	}
	pthread_mutex_unlock(&pt->t->lock);
	/* The previous application first (過去の申請の再利用): its answers to fields that
	 * still exist; then the profile, which is the newer word on who the citizen is. */
	json_object_foreach(prev, k, v) {
		if (!prefillable(top_field_type(pe->def, k)))
			continue;
		json_object_set(answers, k, v);
		json_object_set_new(sources, k, json_string("previous"));
	}
	for (i = 0; i < sizeof profile_map / sizeof profile_map[0]; i++) {
		const json_t *pv = json_object_get(profile, profile_map[i].key);

		if (!json_is_string(pv) || json_string_length(pv) == 0)
			continue;
		for (n = 0; n < 3 && profile_map[i].fields[n]; n++) {
			const char *t = top_field_type(pe->def, profile_map[i].fields[n]);

			if (!prefillable(t))
				continue;
			json_object_set(answers, profile_map[i].fields[n], (json_t *)pv);
			json_object_set_new(sources, profile_map[i].fields[n], json_string("profile"));
		}
	}
	json_decref(prev);
	json_decref(profile);
	http_reply_header(req, "Cache-Control", "no-store");
	http_reply_json(req, 200, json_pack("{s:s,s:I,s:o,s:o,s:o}", "procedure", proc_id,
					    "version", (json_int_t)pe->version, "answers", answers,
					    "sources", sources, "previous", previous));
	proccache_put(pe);
	return;
out:
	json_decref(answers);
	json_decref(sources);
	json_decref(previous);
}
