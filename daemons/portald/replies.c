/*
 * replies.c — the reply endpoint and the forwarding of replies (see replies.h).
 *
 * What this file keeps true: a reply is accepted only for an application the
 * requester may see (applications_authorize: a wrong password gets the very answer
 * an unknown 到達番号 gets), only while the office waits for one (checked again
 * inside the commit, so two replies racing for one request cannot both pass), and
 * only with uploads whose verdict is clean and of a type and size the procedure's
 * file fields accept (the upload itself may not name a field). The sanitizer checks
 * the files and the text again before it signs anything.
 */
#include "replies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "applications.h"
#include "catalogue.h"
#include "crypto.h"
#include "forwarder.h"
#include "jsonio.h"
#include "log.h"
#include "reply.h"
#include "sanclient.h"
#include "timefmt.h"
#include "uploads.h"

#define MSG_NOT_OPEN "この申請は、現在ご回答を受け付けていません。補正のご依頼や、回答を求めるお問い合わせがあったときにお送りいただけます。"
#define MSG_UNAVAILABLE "一時的な問題によりご回答を受け付けられませんでした。もう一度送信してください（二重に送られることはありません）。"
#define ACCEPT_DEPTH_MAX 4	/* groups nest 3 deep (form.h) */

int
replies_open(struct db *db, const char *receipt, const char *status)
{
	/* Waiting for the applicant: an invitation (a 補正 request while the
	 * application is still in 補正, or a message that asks for a reply) that no
	 * reply has come after. */
	sqlite3_stmt *st = db_stmt(db, "SELECT EXISTS (SELECT 1 FROM application_events m"
				       " WHERE m.receipt_no = ?1 AND m.reply_invited = 1"
				       " AND (m.kind = 'message' OR ?2 = 'correction')"
				       " AND NOT EXISTS (SELECT 1 FROM application_events r"
				       " WHERE r.receipt_no = ?1 AND r.kind = 'reply' AND r.id > m.id))");
	int rc, open = 0;

	if (strcmp(status, "completed") == 0 || strcmp(status, "returned") == 0 ||
	    strcmp(status, "rejected") == 0)
		return 0;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, receipt, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		open = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? open : -1;
}

/* --- what a reply's files may be ----------------------------------------------- */

/* Add the accept lists of the file fields in fields to acc; *any when one accepts
 * every type the sanitizer makes; *max_bytes the largest file one takes. */
static void
collect_accept(const json_t *fields, json_t *acc, bool *any, long long *max_bytes, int depth)
{
	const json_t *f, *a;
	size_t i, k;

	if (depth > ACCEPT_DEPTH_MAX)
		return;
	json_array_foreach(fields, i, f) {
		if (strcmp(jsonio_str(f, "type", ""), "file") == 0) {
			long long max = UPLOAD_DEFAULT_MAX_BYTES;

			jsonio_int(f, "max_file_bytes", 1, 100LL << 20, &max);
			if (max > *max_bytes)
				*max_bytes = max;
			if (!json_is_array(json_object_get(f, "accept")))
				*any = true;
			json_array_foreach(json_object_get(f, "accept"), k, a) {
				size_t j;
				const json_t *have;
				bool seen = false;

				json_array_foreach(acc, j, have)
					seen = seen || json_equal(have, (json_t *)a);
				if (!seen && json_is_string(a))
					json_array_append(acc, (json_t *)a);
			}
		}
		collect_accept(json_object_get(f, "fields"), acc, any, max_bytes, depth + 1);
	}
}

/* The types a reply to an application of def may attach: those its file fields
 * accept (NULL: any), PDF and images when it has no file field; and in *max_bytes
 * the size the largest of its fields takes (the default when it has none). New
 * reference. */
static json_t *
reply_accept(const json_t *def, long long *max_bytes)
{
	json_t *acc = json_array();
	bool any = false;

	*max_bytes = 0;
	collect_accept(json_object_get(json_object_get(def, "schema"), "fields"), acc, &any,
		       max_bytes, 0);
	if (*max_bytes == 0)
		*max_bytes = UPLOAD_DEFAULT_MAX_BYTES;
	if (any) {
		json_decref(acc);
		return NULL;
	}
	if (json_array_size(acc) == 0) {
		json_array_append_new(acc, json_string("pdf"));
		json_array_append_new(acc, json_string("image"));
	}
	return acc;
}

/* --- the commit ------------------------------------------------------------------ */

enum reply_outcome {
	REPLY_NEW = 0,
	REPLY_REPLAY = 2,
	REPLY_CONFLICT = 3,
	REPLY_CLOSED = 4,
	REPLY_FULL = 5,
	REPLY_DBERR = 6,
};

struct reply_job {
	const char *receipt, *text, *files, *idem_key, *request_sha;
	time_t now;
	long long reply_no;		/* out */
	time_t submitted_at;		/* out */
	int outcome;
};

static int
reply_in_tx(struct db *db, void *arg)
{
	struct reply_job *j = arg;
	char status[32] = "";
	sqlite3_stmt *st;
	int rc;

	st = db_stmt(db, "SELECT receipt_no, request_sha256, reply_no, submitted_at FROM replies"
			 " WHERE idem_key = ?");
	if (st == NULL)
		return j->outcome = REPLY_DBERR;
	sqlite3_bind_text(st, 1, j->idem_key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		j->outcome = strcmp((const char *)sqlite3_column_text(st, 0), j->receipt) == 0 &&
			     strcmp((const char *)sqlite3_column_text(st, 1), j->request_sha) == 0
				     ? REPLY_REPLAY : REPLY_CONFLICT;
		j->reply_no = sqlite3_column_int64(st, 2);
		j->submitted_at = (time_t)sqlite3_column_int64(st, 3);
		sqlite3_reset(st);
		return j->outcome;
	}
	sqlite3_reset(st);
	st = db_stmt(db, "SELECT status FROM applications WHERE receipt_no = ?");
	if (st == NULL)
		return j->outcome = REPLY_DBERR;
	sqlite3_bind_text(st, 1, j->receipt, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(status, sizeof status, "%s", sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if ((rc = replies_open(db, j->receipt, status)) < 0)
		return j->outcome = REPLY_DBERR;
	if (rc == 0)
		return j->outcome = REPLY_CLOSED;
	st = db_stmt(db, "SELECT coalesce(max(reply_no), 0) + 1 FROM replies WHERE receipt_no = ?");
	if (st == NULL)
		return j->outcome = REPLY_DBERR;
	sqlite3_bind_text(st, 1, j->receipt, -1, SQLITE_STATIC);
	j->reply_no = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (j->reply_no < 1)
		return j->outcome = REPLY_DBERR;
	if (j->reply_no > REPLY_MAX_PER_APP)
		return j->outcome = REPLY_FULL;
	j->submitted_at = j->now;
	st = db_stmt(db, "INSERT INTO replies (receipt_no, reply_no, body, files, idem_key,"
			 " request_sha256, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return j->outcome = REPLY_DBERR;
	sqlite3_bind_text(st, 1, j->receipt, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, j->reply_no);
	sqlite3_bind_text(st, 3, j->text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, j->files, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, j->idem_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, j->request_sha, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)j->now);
	if (db_step_done(st) != 0)
		return j->outcome = REPLY_DBERR;
	st = db_stmt(db, "INSERT INTO application_events (receipt_no, status, message, at, source,"
			 " kind) VALUES (?, ?, ?, ?, 'portal', 'reply')");
	if (st == NULL)
		return j->outcome = REPLY_DBERR;
	sqlite3_bind_text(st, 1, j->receipt, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, j->text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)j->now);
	if (db_step_done(st) != 0)
		return j->outcome = REPLY_DBERR;
	return j->outcome = REPLY_NEW;
}

/* --- the handler ----------------------------------------------------------------- */

static void
reply_invalid(struct http_request *req, json_t *errors)
{
	http_reply_json(req, 422, json_pack("{s:{s:s,s:s},s:o}", "error", "code", "validation",
					    "message", "入力内容に誤りがあります。各項目のメッセージをご確認ください。",
					    "errors", errors));
}

static const char *
jsonio_or(const char *s)
{
	return s ? s : "";
}

/* The verdict of each upload into files ([{"upload", "display_name"}]) or errors.
 * -1 when the sanitizer could not be asked. */
static int
check_uploads(struct portald *p, struct portal_tenant *pt, const json_t *uploads,
	      const json_t *accept, long long max_bytes, json_t *errors, json_t *files)
{
	const json_t *u;
	size_t i, k;

	json_array_foreach(uploads, i, u) {
		const char *id = json_string_value(u), *msg = NULL;
		struct upload_verdict v;
		char key[32], err[256];
		int rc = 1;

		snprintf(key, sizeof key, "uploads[%zu]", i);
		for (k = 0; k < i && id != NULL; k++)
			if (strcmp(id, jsonio_or(json_string_value(json_array_get(uploads, k)))) == 0)
				id = NULL;	/* the same file twice */
		if (id != NULL && uploads_id_valid(id))
			rc = uploads_verdict(p, pt, id, accept, &v, err, sizeof err);
		if (rc < 0) {
			log_warn("reply: upload %s: %s", id, err);
			return -1;
		}
		if (rc == 1)
			msg = "添付ファイルが見つかりません。もう一度添付してください。";
		else if (strcmp(v.state, "pending") == 0)
			msg = "添付ファイルの無害化処理が終わっていません。処理が終わるまでお待ちください。";
		else if (strcmp(v.state, "clean") != 0)
			msg = v.message[0] ? v.message : "この添付ファイルは受け付けられませんでした。";
		else if (v.size > max_bytes)
			msg = "添付ファイルが大きすぎます。申請のときと同じ大きさまでのファイルを添付してください。";
		if (msg != NULL) {
			json_object_set_new(errors, key, json_string(msg));
			continue;
		}
		json_array_append_new(files, json_pack("{s:s,s:s}", "upload", id, "display_name",
						       v.display_name));
	}
	return 0;
}

void
replies_handle_post(struct http_request *req, void *app)
{
	struct portald *p = app;
	struct portal_tenant *pt = portal_tenant(p, http_req_param(req, "tenant"));
	const char *receipt = http_req_param(req, "receipt_no");
	const char *idem = http_req_header(req, "Idempotency-Key");
	const char *password, *text;
	const json_t *uploads, *pw;
	struct application_ref r;
	struct reply_job job = { 0 };
	sqlite3_stmt *st;
	json_t *body, *def, *accept = NULL, *files = NULL, *errors = NULL;
	char why[200], sha[65], when[TIMEFMT_LEN], *files_text = NULL;
	uint8_t h[32];
	int rc, open;

	if (pt == NULL) {
		http_reply_error(req, 404, "not_found", APPLICATIONS_MSG_NOT_FOUND);
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
	uploads = json_object_get(body, "uploads");
	pw = json_object_get(body, "status_password");
	text = jsonio_str(body, "text", NULL);
	if (!json_is_object(body) || (uploads && !json_is_array(uploads)) ||
	    (pw && !json_is_string(pw) && !json_is_null(pw)) ||
	    (json_object_get(body, "text") && !json_is_string(json_object_get(body, "text")))) {
		http_reply_error(req, 400, "bad_request", "回答の形式が正しくありません (text は文字列、"
				 "uploads はファイル ID の配列)。");
		return;
	}
	password = json_is_string(pw) ? json_string_value(pw)
				      : http_req_header(req, "X-Status-Password");
	if ((rc = applications_authorize(p, pt, req, receipt, password, &r)) < 0)
		return;
	if (rc == 0) {
		http_reply_error(req, 404, "not_found", APPLICATIONS_MSG_NOT_FOUND);
		return;
	}
	pthread_mutex_lock(&pt->t->lock);
	open = replies_open(pt->t->db, receipt, r.status);
	/* A retry of a reply already taken is answered as the first time (in the
	 * commit), though the reply itself closed the request. */
	if (open == 0 && (st = db_stmt(pt->t->db, "SELECT 1 FROM replies WHERE idem_key = ?"))
	    != NULL) {
		sqlite3_bind_text(st, 1, idem, -1, SQLITE_STATIC);
		open = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
	}
	def = catalogue_get_version(pt->t->db, r.proc, r.version);
	pthread_mutex_unlock(&pt->t->lock);
	if (open < 0) {
		http_reply_error(req, 503, "unavailable", MSG_UNAVAILABLE);
		goto out;
	}
	if (open == 0) {
		http_reply_error(req, 409, "not_open_for_reply", MSG_NOT_OPEN);
		goto out;
	}
	errors = json_object();
	files = json_array();
	if (reply_text_check(text, why, sizeof why) != 0)
		json_object_set_new(errors, "text", json_string(why));
	if (json_array_size(uploads) > REPLY_MAX_FILES) {
		snprintf(why, sizeof why, "添付できるファイルは %d 個までです。", REPLY_MAX_FILES);
		json_object_set_new(errors, "uploads", json_string(why));
	} else {
		long long max_bytes;

		accept = reply_accept(def, &max_bytes);
		if (check_uploads(p, pt, uploads, accept, max_bytes, errors, files) != 0) {
			http_reply_error(req, 503, "unavailable",
					 "添付ファイルの確認ができませんでした。しばらくしてからもう一度お試しください。");
			goto out;
		}
	}
	if (json_object_size(errors) > 0) {
		reply_invalid(req, errors);
		errors = NULL;
		goto out;
	}
	if ((files_text = jsonio_dump_canonical(files, &(size_t){ 0 })) == NULL) {
		http_reply_error(req, 503, "unavailable", MSG_UNAVAILABLE);
		goto out;
	}
	{
		/* The request as a retry must repeat it: the receipt, the text, the files. */
		size_t lr = strlen(receipt), lt = strlen(text), lf = strlen(files_text);
		char *all = malloc(lr + lt + lf + 3);

		if (all == NULL) {
			http_reply_error(req, 503, "unavailable", MSG_UNAVAILABLE);
			goto out;
		}
		memcpy(all, receipt, lr + 1);
		memcpy(all + lr + 1, text, lt + 1);
		memcpy(all + lr + lt + 2, files_text, lf + 1);
		crypto_sha256(all, lr + lt + lf + 3, h);
		crypto_hex(h, sizeof h, sha);
		free(all);
	}
	job.receipt = receipt;
	job.text = text;
	job.files = files_text;
	job.idem_key = idem;
	job.request_sha = sha;
	job.now = time(NULL);
	rc = groupcommit_run(&pt->gc, reply_in_tx, &job);
	switch (rc == GROUPCOMMIT_EDB ? REPLY_DBERR : job.outcome) {
	case REPLY_NEW:
		portal_kick_forwarder(p);
		log_info("reply %lld to application %s (tenant %s) received", job.reply_no, receipt,
			 pt->t->name);
		/* fall through */
	case REPLY_REPLAY:
		timefmt_jst_rfc3339(job.submitted_at, when);
		http_reply_json(req, 201, json_pack("{s:s,s:I,s:s,s:I}", "receipt_no", receipt,
						    "reply_no", (json_int_t)job.reply_no,
						    "submitted_at", when, "files",
						    (json_int_t)json_array_size(files)));
		break;
	case REPLY_CONFLICT:
		http_reply_error(req, 409, "idempotency_conflict",
				 "同じ Idempotency-Key で別の内容が送信されました。");
		break;
	case REPLY_CLOSED:
		http_reply_error(req, 409, "not_open_for_reply", MSG_NOT_OPEN);
		break;
	case REPLY_FULL:
		http_reply_error(req, 409, "too_many_replies",
				 "この申請へのご回答の数が上限に達しました。担当窓口にお問い合わせください。");
		break;
	default:
		log_err("reply to %s (tenant %s): commit failed: %s", receipt, pt->t->name,
			db_errmsg(pt->t->db));
		http_reply_error(req, 503, "unavailable", MSG_UNAVAILABLE);
	}
out:
	free(files_text);
	json_decref(files);
	json_decref(errors);
	json_decref(accept);
	json_decref(def);
}

/* --- forwarding -------------------------------------------------------------------- */

struct pending_reply {
	int64_t id;
	char receipt[REPLY_RECEIPT_MAX + 1];
	long long reply_no;
	char *body, *files;
	time_t submitted_at;
	int attempts;
	/* outcome */
	const char *state;
	time_t next_at;
	char error[256];
};

struct reply_record_job {
	struct pending_reply *batch;
	size_t n;
};

static int
record_reply_outcomes(struct db *db, void *arg)
{
	struct reply_record_job *j = arg;
	struct pending_reply *batch = j->batch;
	size_t n = j->n;
	sqlite3_stmt *st;

	for (size_t i = 0; i < n; i++) {
		if (batch[i].state == NULL)
			continue;
		st = db_stmt(db, "UPDATE replies SET forward_state = ?, forward_attempts ="
				 " forward_attempts + 1, forward_next_at = ?, forward_error = ?"
				 " WHERE id = ?");
		if (st == NULL)
			return 1;
		sqlite3_bind_text(st, 1, batch[i].state, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)batch[i].next_at);
		if (batch[i].error[0])
			sqlite3_bind_text(st, 3, batch[i].error, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, batch[i].id);
		if (db_step_done(st) != 0)
			return 1;
	}
	return 0;
}

static json_t *
reply_request(const char *tenant, const struct pending_reply *a)
{
	char id[SPOOL_ID_MAX + 1], when[TIMEFMT_LEN], err[64];
	json_t *files, *doc;

	if (reply_bundle_id(tenant, a->receipt, a->reply_no, id, sizeof id) != 0 ||
	    a->body == NULL || a->files == NULL)
		return NULL;
	timefmt_jst_rfc3339(a->submitted_at, when);
	files = jsonio_parse(a->files, strlen(a->files), 1 << 20, JSONIO_MAX_DEPTH, err, sizeof err);
	doc = reply_doc_new(tenant, a->receipt, a->reply_no, a->body, when);
	if (files == NULL || doc == NULL) {
		json_decref(files);
		json_decref(doc);
		return NULL;
	}
	return json_pack("{s:s,s:s,s:s,s:o,s:o}", "kind", REPLY_KIND, "id", id, "tenant", tenant,
			 "reply", doc, "files", files);
}

int
replies_forward_tenant(struct portald *p, struct portal_tenant *pt, time_t now)
{
	struct pending_reply batch[REPLIES_FORWARD_BATCH];
	sqlite3_stmt *st;
	size_t n = 0, i;
	int forwarded = 0;

	memset(batch, 0, sizeof batch);
	pthread_mutex_lock(&pt->t->lock);
	/* After its application: the sanitizer signs a reply only to an application it
	 * has signed. */
	st = db_stmt(pt->t->db, "SELECT r.id, r.receipt_no, r.reply_no, r.body, r.files,"
				" r.submitted_at, r.forward_attempts FROM replies r JOIN"
				" applications a ON a.receipt_no = r.receipt_no WHERE"
				" r.forward_state = 'pending' AND r.forward_next_at <= ? AND"
				" a.forward_state = 'forwarded' ORDER BY r.id LIMIT ?");
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
		sqlite3_bind_int(st, 2, REPLIES_FORWARD_BATCH);
		while (n < REPLIES_FORWARD_BATCH && sqlite3_step(st) == SQLITE_ROW) {
			struct pending_reply *a = &batch[n++];

			a->id = sqlite3_column_int64(st, 0);
			snprintf(a->receipt, sizeof a->receipt, "%s", sqlite3_column_text(st, 1));
			a->reply_no = sqlite3_column_int64(st, 2);
			a->body = strdup((const char *)sqlite3_column_text(st, 3));
			a->files = strdup((const char *)sqlite3_column_text(st, 4));
			a->submitted_at = (time_t)sqlite3_column_int64(st, 5);
			a->attempts = sqlite3_column_int(st, 6);
		}
		sqlite3_reset(st);
	}
	pthread_mutex_unlock(&pt->t->lock);
	for (i = 0; i < n; i++) {
		struct pending_reply *a = &batch[i];
		json_t *req = reply_request(pt->t->name, a), *resp = NULL;
		char err[512];
		int status;

		if (req == NULL) {
			log_err("reply %lld to %s (tenant %s): cannot build its bundle request",
				a->reply_no, a->receipt, pt->t->name);
			a->state = "failed";
			snprintf(a->error, sizeof a->error, "stored reply unreadable");
			continue;
		}
		status = sanclient_post_json(p->sanitizer_socket, "/api/bundles", req, &resp, err,
					     sizeof err);
		if (status == 200 || status == 201) {
			a->state = "forwarded";
			forwarded++;
		} else if (status >= 400 && status < 500) {
			a->state = "failed";
			snprintf(a->error, sizeof a->error, "%s",
				 jsonio_str(json_object_get(resp, "error"), "message", "refused"));
			log_err("reply %lld to %s (tenant %s): the sanitizer refused its bundle (%d): %s",
				a->reply_no, a->receipt, pt->t->name, status, a->error);
		} else {
			bool waiting;
			int wait = sanclient_retry_after(status, resp, a->attempts, &waiting);

			a->state = "pending";
			a->next_at = now + wait;
			snprintf(a->error, sizeof a->error, "%s", waiting ? "waiting for OCR"
				 : status < 0 ? err : "server error");
			if (waiting)
				log_info("reply %lld to %s (tenant %s): waiting %d s for the text "
					 "layer of an upload", a->reply_no, a->receipt, pt->t->name,
					 wait);
			else
				log_warn("reply %lld to %s (tenant %s): sanitizer unavailable (%s), "
					 "retrying in %d s", a->reply_no, a->receipt, pt->t->name,
					 a->error, wait);
		}
		json_decref(req);
		json_decref(resp);
	}
	if (n > 0) {
		struct reply_record_job job = { batch, n };

		if (groupcommit_run(&pt->gc, record_reply_outcomes, &job) != 0)
			log_err("tenant %s: cannot record which replies were forwarded: %s (they "
				"will be forwarded again; the sanitizer makes each bundle once)",
				pt->t->name, db_errmsg(pt->t->db));
	}
	for (i = 0; i < n; i++) {
		free(batch[i].body);
		free(batch[i].files);
	}
	return forwarded;
}
